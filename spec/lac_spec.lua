-- Our LAC (dynamic L2TPv2 tunnel, incoming calls) against a scripted LNS
-- on loopback, null data plane.
local h = require "spec.support.helpers"
local LNS = require "spec.support.lns"
local l2tp = h.l2tp
local codec = l2tp.codec

describe("LAC: ctx:dynamic_tunnel", function()
  local ctx, lns, events
  local function ev(name)
    for _, e in ipairs(events) do if e.event == name then return e end end
  end
  before_each(function()
    ctx = l2tp.context{ log_level = "error" }
    events = {}
    for _, name in ipairs{ "tunnel_up", "tunnel_down", "session_up", "session_down" } do
      ctx:on(name, function(e) events[#events + 1] = e end)
    end
    lns = LNS.new()
  end)
  after_each(function()
    ctx:close()
    l2tp.run(0.1)
    lns:close()
  end)

  local function tunnel(over)
    local c = { peer = lns:address(), retry_timeout = 100, max_retries = 2, host_name = "our-lac" }
    for k, v in pairs(over or {}) do c[k] = v end
    return ctx:dynamic_tunnel("t", c)
  end
  local function until_(fn) return h.run_until(fn, 5) end

  it("brings a tunnel and a call up (the happy path), then closes with StopCCN", function()
    local t = tunnel()
    assert.equal("dynamic", t:kind())
    local s = t:session("call", {})
    -- up once the ICCN is sent; the scripted LNS reads it on its own turn
    assert.is_true(until_(function() return s:is_up() and lns:count("ICCN") == 1 end))
    local rq = lns:last("SCCRQ")
    assert.same({ version = 1, revision = 0 }, rq.values.protocol_version)
    assert.equal("our-lac", rq.values.host_name)
    assert.equal(3, rq.values.framing_capabilities)
    assert.equal(0, rq.values.bearer_capabilities)
    assert.is_number(rq.values.firmware_revision)
    assert.equal("l2tp-runtime", rq.values.vendor_name)
    assert.equal(4, rq.values.receive_window_size)
    local tid = rq.values.assigned_tunnel_id
    assert.is_true(tid > 0 and tid < 65536)
    assert.equal(tid, t:config().tid)
    assert.equal(4321, t:config().ptid)
    assert.equal(1, lns:count("SCCCN"))
    local icrq = lns:last("ICRQ")
    assert.equal(s:config().sid, icrq.values.assigned_session_id)
    assert.equal(1, icrq.values.call_serial_number)
    local iccn = lns:last("ICCN")
    assert.is_number(iccn.values.tx_connect_speed)
    assert.is_number(iccn.values.framing_type)
    assert.equal(501, s:config().psid)
    assert.equal(4321, iccn.tunnel_id)
    assert.equal(501, iccn.session_id)
    l2tp.run(0.05)
    assert.equal("tunnel_up", events[1].event)
    assert.equal("session_up", events[2].event)

    t:close("done")
    until_(function() return lns:count("StopCCN") > 0 end)
    local stop = lns:last("StopCCN")
    assert.equal(1, stop.values.result_code.result)
    assert.equal(tid, stop.values.assigned_tunnel_id)
    l2tp.run(0.05)
    assert.equal("session_down", events[3].event)
    assert.equal("tunnel_down", events[4].event)
  end)

  it("picks unpredictable, distinct IDs", function()
    local seen = {}
    for i = 1, 20 do
      local t = ctx:dynamic_tunnel("t" .. i, { peer = lns:address() })
      seen[t:config().tid] = true
    end
    local n = 0
    for _ in pairs(seen) do n = n + 1 end
    assert.equal(20, n)
  end)

  describe("StopCCN from the LNS", function()
    local function stop(self)
      self:send("StopCCN", { { name = "assigned_tunnel_id", value = self.tid },
        { name = "result_code", value = { result = 4, error = 0, message = "go away" } } })
      return true
    end
    it("instead of SCCRP", function()
      lns.on.SCCRQ = function(self, m) self.lac_tid = m.values.assigned_tunnel_id; return stop(self) end
      local t = tunnel()
      assert.is_true(until_(function() return t:is_closed() end))
      l2tp.run(0.05)
      assert.is_nil(ev("tunnel_up"))
      local down = ev("tunnel_down") -- a failed setup is reported too
      assert.is_false(down.established)
      assert.equal(4, down.result_code)
      assert.equal("go away", down.message)
      assert.equal(1, lns:count("ZLB")) -- our ack of the StopCCN
    end)
    it("when established, with result code and message in the event", function()
      local t = tunnel()
      local s = t:session("call", {})
      until_(function() return s:is_up() end)
      stop(lns)
      assert.is_true(until_(function() return t:is_closed() end))
      l2tp.run(0.05)
      local down = ev("tunnel_down")
      assert.is_true(down.established)
      assert.equal("peer sent StopCCN: result 4 (Requester is not authorized to establish a control channel): go away",
        down.reason)
      assert.equal(4, down.result_code)
      assert.equal("go away", down.message)
      assert.matches("^tunnel closed: peer sent StopCCN", ev("session_down").reason)
    end)
    it("while a call waits for ICRP", function()
      lns.on.ICRQ = function(self) return stop(self) end
      local t = tunnel()
      local s = t:session("call", {})
      assert.is_true(until_(function() return t:is_closed() end))
      assert.is_true(s:is_closed())
    end)
  end)

  describe("CDN from the LNS", function()
    local function cdn(self, sid)
      self:send("CDN", { { name = "result_code", value = { result = 4, error = 0, message = "busy" } },
        { name = "assigned_session_id", value = 777 } }, sid)
      return true
    end
    it("instead of ICRP: the call fails, the tunnel stays", function()
      lns.on.ICRQ = function(self, m) return cdn(self, m.values.assigned_session_id) end
      local t = tunnel()
      local s = t:session("call", {})
      assert.is_true(until_(function() return s:is_closed() end))
      assert.is_true(t:is_up())
      l2tp.run(0.05)
      local down = ev("session_down")
      assert.is_false(down.established)
      assert.equal("busy", down.message)
    end)
    it("when established: session_down with the result, the tunnel stays", function()
      local t = tunnel()
      local s = t:session("call", {})
      until_(function() return s:is_up() end)
      cdn(lns, s:config().sid)
      assert.is_true(until_(function() return s:is_closed() end))
      l2tp.run(0.05)
      local down = ev("session_down")
      assert.equal("peer sent CDN: result 4 (Call failed due to lack of appropriate facilities being available "
        .. "(temporary condition)), error: No general error: busy", down.reason)
      assert.equal(4, down.result_code)
      assert.equal(0, down.error_code)
      assert.is_true(t:is_up())
    end)
    it("our session:close() sends one", function()
      local t = tunnel()
      local s = t:session("call", {})
      until_(function() return s:is_up() end)
      s:close("hanging up")
      until_(function() return lns:count("CDN") > 0 end)
      local m = lns:last("CDN")
      assert.equal(3, m.values.result_code.result)
      assert.equal("hanging up", m.values.result_code.message)
      assert.equal(501, m.session_id)
    end)
  end)

  describe("tunnel authentication", function()
    it("answers the LNS's challenge with MD5(SCCCN type, secret, challenge)", function()
      lns.secret, lns.challenge = "s3cret", "0123456789abcdef"
      local t = tunnel{ secret = "s3cret" }
      -- up as it sends its SCCCN: wait for the LNS to have it too
      assert.is_true(until_(function() return t:is_up() and lns:count("SCCCN") == 1 end))
      local cn = lns:last("SCCCN")
      assert.equal(codec.challenge_response(3, "s3cret", "0123456789abcdef"), cn.values.challenge_response)
    end)
    it("with the wrong secret the LNS refuses, and we report its result code", function()
      lns.secret, lns.challenge = "s3cret", "0123456789abcdef"
      lns.on.SCCCN = function(self, m)
        if m.values.challenge_response ~= codec.challenge_response(3, "s3cret", self.challenge) then
          self:send("StopCCN", { { name = "assigned_tunnel_id", value = self.tid },
            { name = "result_code", value = { result = 4, error = 0, message = "bad response" } } })
          return true
        end
      end
      local t = tunnel{ secret = "wrong" }
      assert.is_true(until_(function() return t:is_closed() end))
      l2tp.run(0.05)
      assert.equal(4, ev("tunnel_down").result_code)
    end)
    it("is refused when the LNS challenges and we have no secret", function()
      lns.challenge = "0123456789abcdef"
      local t = tunnel()
      -- closed as it sends the StopCCN; the scripted LNS reads it on its own turn
      assert.is_true(until_(function() return t:is_closed() and lns:last("StopCCN") ~= nil end))
      local stop = lns:last("StopCCN")
      assert.equal(4, stop.values.result_code.result)
    end)
    it("challenges the LNS when asked, and accepts the right answer", function()
      lns.secret = "k"
      local t = tunnel{ secret = "k", challenge = true }
      assert.is_true(until_(function() return t:is_up() end))
      assert.equal(16, #lns:last("SCCRQ").values.challenge)
    end)
    it("challenges the LNS and stops it when the answer is wrong", function()
      lns.secret, lns.answer_secret = "k", "not-k"
      local t = tunnel{ secret = "k", challenge = true }
      assert.is_true(until_(function() return t:is_closed() and lns:last("StopCCN") ~= nil end))
      local stop = lns:last("StopCCN")
      assert.equal(4, stop.values.result_code.result)
      assert.is_nil(ev("tunnel_up"))
    end)
  end)

  describe("hidden AVPs", function()
    it("are unhidden with the secret", function()
      lns.secret, lns.hide = "h1dden", true
      local t = tunnel{ secret = "h1dden" }
      assert.is_true(until_(function() return t:is_up() end))
      assert.equal(4321, t:config().ptid)
    end)
    it("are sent hidden with hide_avps", function()
      lns.secret = "h1dden"
      local t = tunnel{ secret = "h1dden", hide_avps = true }
      assert.is_true(until_(function() return t:is_up() end))
      local rq = lns:last("SCCRQ")
      local hidden
      for _, a in ipairs(rq.avps) do if a.name == "assigned_tunnel_id" then hidden = a.hidden end end
      assert.is_true(hidden)
      assert.equal(t:config().tid, rq.values.assigned_tunnel_id)
    end)
    it("need a secret: hide_avps and challenge without one are config errors", function()
      assert.equal("tunnel 't': hide_avps needs a secret (accepted: secret = \"...\")",
        h.raises(ctx.dynamic_tunnel, ctx, "t", { peer = lns:address(), hide_avps = true }))
      assert.equal("tunnel 't': challenge needs a secret (accepted: secret = \"...\")",
        h.raises(ctx.dynamic_tunnel, ctx, "t", { peer = lns:address(), challenge = true }))
    end)
  end)

  it("gives up after the retransmissions, naming the message", function()
    lns.drop = true
    local t = tunnel()
    assert.is_true(until_(function() return t:is_closed() end))
    l2tp.run(0.05)
    local down = ev("tunnel_down")
    assert.equal("peer not responding: SCCRQ (Ns 0) was not acknowledged after 2 retransmissions", down.reason)
    assert.is_false(down.established)
  end)

  it("accepts SLI and WEN mid-session", function()
    local t = tunnel()
    local s = t:session("call", {})
    until_(function() return s:is_up() end)
    local sid = s:config().sid
    lns:send("SLI", { { name = "accm", value = { send = 0xffffffff, recv = 0 } } }, sid)
    lns:send("WEN", { { name = "call_errors", value = { crc_errors = 1 } } }, sid)
    l2tp.run(0.3)
    assert.is_true(s:is_up())
    assert.is_true(t:is_up())
    assert.is_true(lns:count("ZLB") >= 1)
  end)

  describe("an unknown AVP with the M bit", function()
    it("in a tunnel message: StopCCN with result 2, error 8", function()
      local t = tunnel()
      until_(function() return t:is_up() end)
      lns:send("HELLO", { { type = 250, value = "x", mandatory = true } })
      assert.is_true(until_(function() return t:is_closed() and lns:last("StopCCN") ~= nil end))
      local stop = lns:last("StopCCN")
      assert.equal(2, stop.values.result_code.result)
      assert.equal(8, stop.values.result_code.error)
    end)
    it("in a session message: CDN with result 2, error 8, the tunnel stays", function()
      local t = tunnel()
      local s = t:session("call", {})
      until_(function() return s:is_up() end)
      lns:send("SLI", { { name = "accm", value = { send = 0, recv = 0 } }, { type = 250, value = "x", mandatory = true } },
        s:config().sid)
      assert.is_true(until_(function() return s:is_closed() and lns:last("CDN") ~= nil end))
      local cdn = lns:last("CDN")
      assert.equal(2, cdn.values.result_code.result)
      assert.equal(8, cdn.values.result_code.error)
      assert.is_true(t:is_up())
    end)
  end)

  it("counts what waits for the window, and acks it meanwhile with the Ns the LNS expects next", function()
    lns:close()
    lns = LNS.new{ rws = 1 }
    local t = tunnel()
    assert.is_true(until_(function() return t:is_up() end))
    lns.on.ICRQ = function() return true end -- neither answered nor acknowledged
    for i = 1, 3 do t:session("c" .. i, {}) end
    assert.is_true(until_(function() local st = t:stats(); return st.in_flight == 1 and st.queued == 2 end))
    -- a HELLO that acknowledges nothing new: the window stays shut, so
    -- the LAC acks it with a ZLB whose Ns is that of the first ICRQ still
    -- waiting (l2tpns drops any other, and the ack in it)
    local zlbs = lns:count("ZLB")
    local nr = lns.nr
    lns.nr = (nr + 65535) % 65536
    lns:send("HELLO")
    lns.nr = nr
    assert.is_true(until_(function() return lns:count("ZLB") > zlbs end))
    assert.equal(nr, lns:last("ZLB").ns)
    assert.equal(0, lns.zlb_out_of_sequence)
    assert.equal(2, t:stats().queued)
  end)

  it("follows the LNS when it replies from a new port", function()
    lns:move_port()
    local t = tunnel()
    local s = t:session("call", {})
    -- up as it sends its ICCN: wait for the LNS to have it too
    assert.is_true(until_(function() return s:is_up() and lns:count("ICCN") >= 1 end))
    assert.equal(1, lns:count("ICCN"))
  end)

  describe("outgoing calls (OCRQ) a script accepts", function()
    local function ocrq(sid, called)
      lns:send("OCRQ", { { name = "assigned_session_id", value = sid }, { name = "call_serial_number", value = 7 },
        { name = "minimum_bps", value = 1 }, { name = "maximum_bps", value = 2 }, { name = "bearer_type", value = 1 },
        { name = "framing_type", value = 1 }, { name = "called_number", value = called } })
    end
    it("answers OCRP then OCCN, and the call comes up", function()
      local seen
      local t = tunnel{ on_outgoing_call = function(call) seen = call; return true end }
      until_(function() return t:is_up() end)
      ocrq(99, "5551234")
      assert.is_true(until_(function() return lns:count("OCCN") == 1 end))
      local rp, cn = lns:last("OCRP"), lns:last("OCCN")
      assert.equal(99, rp.session_id)
      local sid = rp.values.assigned_session_id
      assert.is_number(cn.values.tx_connect_speed)
      assert.equal("5551234", seen.called_number)
      assert.equal(7, seen.serial)
      assert.equal(t, seen.tunnel)
      l2tp.run(0.05)
      local up = ev("session_up")
      assert.equal("out" .. sid, up.session_name)
      assert.equal(99, up.session_config.psid)
    end)
    it("the hook may refuse with a result code", function()
      local t = tunnel{ on_outgoing_call = function() return false, 6, "no such number" end }
      until_(function() return t:is_up() end)
      ocrq(98, "0")
      assert.is_true(until_(function() return lns:count("CDN") > 0 end))
      local cdn = lns:last("CDN")
      assert.equal(6, cdn.values.result_code.result)
      assert.equal("no such number", cdn.values.result_code.message)
      assert.equal(98, cdn.session_id)
    end)
    it("runs after the script drops the tunnel object, which goes once the tunnel is down", function()
      local seen = 0
      local weak = setmetatable({}, { __mode = "k" })
      do
        local t = tunnel{ on_outgoing_call = function() seen = seen + 1; return true end }
        weak[t] = true
      end
      collectgarbage()
      collectgarbage()
      local t = next(weak)
      assert.is_not_nil(t, "the context holds a tunnel with a hook")
      until_(function() return t:is_up() end)
      ocrq(97, "1")
      assert.is_true(until_(function() return lns:count("OCCN") == 1 end))
      assert.equal(1, seen)
      t:close()
      t = nil
      assert.is_true(until_(function() return ev("tunnel_down") ~= nil end))
      events = {} -- they hold the tunnel too
      collectgarbage()
      collectgarbage()
      assert.is_nil(next(weak), "a closed tunnel's object (and hook) are collected")
    end)
    it("must be a function", function()
      assert.equal("tunnel 't': on_outgoing_call must be a function, got boolean",
        h.raises(ctx.dynamic_tunnel, ctx, "t", { peer = lns:address(), on_outgoing_call = true }))
    end)
  end)

  it("refuses an outgoing call request with a CDN when no script accepts them", function()
    local t = tunnel()
    until_(function() return t:is_up() end)
    lns:send("OCRQ", { { name = "assigned_session_id", value = 99 }, { name = "call_serial_number", value = 1 },
      { name = "minimum_bps", value = 1 }, { name = "maximum_bps", value = 2 }, { name = "bearer_type", value = 1 },
      { name = "framing_type", value = 1 }, { name = "called_number", value = "1" } })
    assert.is_true(until_(function() return lns:count("CDN") > 0 end))
    local cdn = lns:last("CDN")
    assert.equal(5, cdn.values.result_code.result)
    assert.equal(99, cdn.session_id)
  end)
end)
