-- L2TPv3 (RFC 3931 sections 3, 4 and 5): what our LNS and our LAC do when
-- a scripted peer (l2tp.codec over l2tp.udp) ends a connection or a call
-- in each state, or sends what the RFC calls malformed. Null data plane.
local h = require "spec.support.helpers"
local LAC = require "spec.support.lac"
local LNS = require "spec.support.lns"
local l2tp = h.l2tp

local function unknown_mandatory(list)
  list[#list + 1] = { type = 999, vendor = 0, mandatory = true, bytes = "x" }
  return list
end

describe("L2TPv3 LNS against a scripted LAC", function()
  local ctx, r, l, lac
  before_each(function()
    ctx = l2tp.context{ log_level = "error" }
    r = h.recorder(ctx)
    l = assert(ctx:listen("lns", { ["local"] = "127.0.0.1:0", version = "l2tpv3" }))
    lac = LAC.new(l:address(), { version = 3 })
  end)
  after_each(function()
    lac:close()
    ctx:close()
    l2tp.run(0.1)
  end)

  local function stopccn(t, result)
    lac:send(t, "StopCCN", { { name = "assigned_connection_id", value = t.tid },
      { name = "result_code", value = { result = result or 6, message = "scripted" } } })
  end
  -- An ICRQ for our session sid on tunnel t; edit changes its AVP list.
  local function icrq(t, sid, edit)
    local avps = { { name = "local_session_id", value = sid }, { name = "remote_session_id", value = 0 },
      { name = "call_serial_number", value = sid }, { name = "pw_type", value = 5 },
      { name = "remote_end_id", value = "vc" .. sid } }
    if edit then avps = edit(avps) end
    lac:send(t, "ICRQ", avps, { validate = false })
  end
  local function cdn(t, sid, psid)
    lac:send(t, "CDN", { { name = "result_code", value = { result = 3, message = "scripted hangup" } },
      { name = "local_session_id", value = sid }, { name = "remote_session_id", value = psid } })
  end
  local function until_(fn) return h.run_until(fn, 5) end
  -- Tunnel tid up, and our LNS's answer (ICRP) to an ICRQ for session
  -- sid: returns the tunnel and the session ID our LNS gave the call.
  local function answered(tid, sid)
    local t = lac:establish(tid)
    icrq(t, sid)
    assert.is_true(until_(function() return lac:got("ICRP", tid) > 0 end))
    local _, icrp = lac:got("ICRP", tid)
    return t, icrp.values.local_session_id
  end

  it("a StopCCN in wait-ctl-conn (SCCRP sent, no SCCCN) removes the tunnel, which never came up", function()
    local t = lac:sccrq(70001)
    assert.is_true(until_(function() return lac:sccrp(t) ~= nil end))
    assert.equal(1, #ctx:tunnels())
    stopccn(t, 6)
    assert.is_true(until_(function() return #ctx:tunnels() == 0 end))
    assert.equal(0, r.n("tunnel_up"))
    -- the StopCCN was acknowledged
    assert.is_true(until_(function() return lac:got("ZLB", 70001) > 0 end))
  end)

  it("a StopCCN once established brings the tunnel and its calls down, with the peer's result", function()
    local t = answered(70002, 11)
    stopccn(t, 6)
    assert.is_true(until_(function() return r.n("tunnel_down") == 1 end))
    local down = r.last("tunnel_down")
    assert.is_true(down.established)
    assert.equal(6, down.result_code)
    assert.matches("^peer sent StopCCN: result 6", down.reason)
    assert.same({}, ctx:tunnels())
  end)

  it("a CDN in wait-connect (ICRP sent, no ICCN) removes the call, which never came up", function()
    local t, ours = answered(70003, 12)
    assert.equal(1, #ctx:tunnels()[1]:sessions())
    cdn(t, 12, ours)
    assert.is_true(until_(function() return #ctx:tunnels()[1]:sessions() == 0 end))
    assert.equal(0, r.n("session_up"))
    assert.is_true(ctx:tunnels()[1]:is_up()) -- a call's end is not the tunnel's
  end)

  it("a CDN once established brings the call down with the peer's result", function()
    local t, ours = answered(70004, 13)
    lac:send(t, "ICCN", { { name = "local_session_id", value = 13 }, { name = "remote_session_id", value = ours } })
    assert.is_true(until_(function() return r.n("session_up") == 1 end))
    cdn(t, 13, ours)
    assert.is_true(until_(function() return r.n("session_down") == 1 end))
    local down = r.last("session_down")
    assert.is_true(down.established)
    assert.equal(3, down.result_code)
    assert.matches("^peer sent CDN: result 3 .*scripted hangup", down.reason)
  end)

  it("refuses an ICRQ with an unknown M-bit AVP, one without Pseudowire Type, and one it does not carry, "
    .. "with CDN to the LAC's session", function()
    local t = lac:establish(70005)
    icrq(t, 21, unknown_mandatory)
    icrq(t, 22, function(avps) table.remove(avps, 4); return avps end)
    icrq(t, 23, function(avps) avps[4].value = 11; return avps end) -- HDLC: not carried
    local by_sid, acked = {}, 0
    local function refused()
      -- acknowledge what came, so our LNS's congestion window opens
      if #lac.heard > acked then acked = #lac.heard; lac:send(t, "ZLB") end
      for _, e in ipairs(lac.heard) do
        if e.m.type == "CDN" then by_sid[e.m.values.remote_session_id] = e.m.values.result_code end
      end
      return (by_sid[21] and by_sid[22] and by_sid[23]) ~= nil
    end
    assert.is_true(until_(refused))
    assert.equal(2, by_sid[21].result)
    assert.equal(8, by_sid[21].error) -- unknown mandatory AVP
    assert.equal(2, by_sid[22].result)
    assert.matches("Pseudowire Type", by_sid[22].message)
    assert.equal(14, by_sid[23].result) -- RFC 3931: pseudowire type not supported
    assert.same({}, ctx:tunnels()[1]:sessions())
    assert.equal(0, r.n("session_up"))
    assert.is_true(ctx:tunnels()[1]:is_up())
  end)

  it("refuses an SCCRQ whose nonce is longer than 64 bytes (RFC 3931 section 5.4.3), naming it", function()
    local tl = assert(ctx:listen("auth", { ["local"] = "127.0.0.1:0", version = "l2tpv3", secret = "k" }))
    local x = LAC.new(tl:address(), { version = 3 })
    local t = { tid = 70006, ns = 0, nr = 0 }
    x.tunnels[t.tid] = t
    local avps = LAC.sccrq_avps(t.tid, { { name = "ctrl_msg_auth_nonce", value = ("n"):rep(65) } }, 3)
    -- the digest goes first, after the Message Type (RFC 3931 section 5.4.1)
    table.insert(avps, 1, { name = "message_digest", value = { type = 0, digest = ("\0"):rep(16) } })
    local m = { version = 3, type = "SCCRQ", connection_id = 0, ns = 0, nr = 0, avps = avps }
    local b = assert(l2tp.codec.encode(m, { validate = false }))
    x.sock:send(l2tp.codec.sign(b, "k"), tl:address())
    assert.is_true(until_(function() return x:got("StopCCN") > 0 end))
    local _, stop = x:got("StopCCN")
    assert.equal(2, stop.values.result_code.result)
    assert.matches("Nonce", stop.values.result_code.message)
    assert.equal(1, tl:stats().refused_malformed)
    x:close()
    assert.same({}, ctx:tunnels())
  end)
end)

describe("L2TPv3 LAC against a scripted LNS", function()
  local ctx, r, lns
  before_each(function()
    ctx = l2tp.context{ log_level = "error" }
    r = h.recorder(ctx)
    lns = LNS.new{ version = 3, tid = 80000 }
  end)
  after_each(function()
    ctx:close()
    l2tp.run(0.1)
    lns:close()
  end)
  local function dial()
    return assert(ctx:dynamic_tunnel("t", { version = "l2tpv3", peer = lns:address(), retry_timeout = 100,
      max_retries = 2 }))
  end
  local function until_(fn) return h.run_until(fn, 5) end
  local function stopccn(result)
    lns:send("StopCCN", { { name = "assigned_connection_id", value = lns.tid },
      { name = "result_code", value = { result = result, message = "scripted" } } })
  end

  it("comes up against the scripted LNS (the baseline the cases below break)", function()
    local t = dial()
    local s = t:session("pw", {})
    assert.is_true(until_(function() return s:is_up() and lns:count("ICCN") == 1 end))
    local rq = lns:last("SCCRQ")
    assert.equal(3, rq.version)
    assert.equal(t:config().tid, rq.values.assigned_connection_id)
    assert.equal(80000, t:config().ptid)
  end)

  it("a StopCCN in wait-ctl-reply (instead of an SCCRP) ends the tunnel before it came up, with the result", function()
    lns.on.SCCRQ = function(self, m)
      self.lac_tid = m.values.assigned_connection_id
      stopccn(2)
      return true
    end
    dial()
    assert.is_true(until_(function() return r.n("tunnel_down") == 1 end))
    local down = r.last("tunnel_down")
    assert.is_false(down.established)
    assert.equal(2, down.result_code)
    assert.matches("^peer sent StopCCN: result 2", down.reason)
  end)

  it("an SCCRP without Router ID, or with an unknown M-bit AVP, gets StopCCN result 2 and the tunnel goes down",
    function()
    for _, case in ipairs{
      { edit = function(avps) table.remove(avps, 2) end, error = 3, says = "Router ID" },
      { edit = unknown_mandatory, error = 8, says = "" },
    } do
      lns.heard = {}
      lns.on.SCCRQ = function(self, m)
        self.lac_tid = m.values.assigned_connection_id
        local avps = { { name = "host_name", value = "scripted-lns" }, { name = "router_id", value = 1 },
          { name = "assigned_connection_id", value = self.tid }, { name = "pw_capabilities_list", value = { 5 } } }
        case.edit(avps)
        self:send("SCCRP", avps, nil, { validate = false })
        return true
      end
      local before = r.n("tunnel_down")
      dial()
      assert.is_true(until_(function() return lns:count("StopCCN") == 1 and r.n("tunnel_down") == before + 1 end))
      local stop = lns:last("StopCCN").values.result_code
      assert.equal(2, stop.result)
      assert.equal(case.error, stop.error)
      assert.matches(case.says, stop.message)
      assert.is_false(r.last("tunnel_down").established)
      l2tp.run(0.05)
    end
  end)

  it("a StopCCN once established brings the tunnel and its call down", function()
    local t = dial()
    local s = t:session("pw", {})
    assert.is_true(until_(function() return s:is_up() end))
    stopccn(6)
    assert.is_true(until_(function() return r.n("tunnel_down") == 1 and r.n("session_down") == 1 end))
    assert.is_true(r.last("tunnel_down").established)
    assert.equal(6, r.last("tunnel_down").result_code)
  end)

  it("a CDN in wait-reply (instead of an ICRP) ends the call before it came up, with the result", function()
    lns.on.ICRQ = function(self, m)
      self:send("CDN", { { name = "result_code", value = { result = 4, message = "no room" } },
        { name = "local_session_id", value = 0 }, { name = "remote_session_id", value = m.values.local_session_id } })
      return true
    end
    local t = dial()
    t:session("pw", {})
    assert.is_true(until_(function() return r.n("session_down") == 1 end))
    local down = r.last("session_down")
    assert.is_false(down.established)
    assert.equal(4, down.result_code)
    assert.matches("no room", down.reason)
    assert.is_true(t:is_up())
  end)

  it("an ICRP with an unknown M-bit AVP gets CDN result 2 error 8; a CDN once established ends the call", function()
    lns.on.ICRQ = function(self, m)
      self.lac_sid = m.values.local_session_id
      self:send("ICRP", unknown_mandatory{ { name = "local_session_id", value = 901 },
        { name = "remote_session_id", value = self.lac_sid } }, nil, { validate = false })
      return true
    end
    local t = dial()
    t:session("bad", {})
    assert.is_true(until_(function() return lns:count("CDN") == 1 and r.n("session_down") == 1 end))
    local res = lns:last("CDN").values.result_code
    assert.equal(2, res.result)
    assert.equal(8, res.error)
    assert.is_false(r.last("session_down").established)
    lns.on.ICRQ = nil
    local s = t:session("good", {})
    assert.is_true(until_(function() return s:is_up() end))
    lns:send("CDN", { { name = "result_code", value = { result = 3, message = "bye" } },
      { name = "local_session_id", value = lns.next_sid }, { name = "remote_session_id", value = s:config().sid } })
    assert.is_true(until_(function() return r.n("session_down") == 2 end))
    assert.is_true(r.last("session_down").established)
    assert.equal(3, r.last("session_down").result_code)
    assert.is_true(t:is_up())
  end)
end)

describe("L2TPv3 LAC with message authentication against a scripted LNS", function()
  it("takes the LNS's new port only from an SCCRP whose digest checks, not from a forged one", function()
    local ctx = l2tp.context{ log_level = "error" }
    local r = h.recorder(ctx)
    local codec = l2tp.codec
    local lns = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
    local forger = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
    local real = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
    local rq, lac
    local got = { forger = {}, real = {} }
    lns:on_receive(function(bytes, from) rq, lac = rq or assert(codec.decode(bytes)), from end)
    forger:on_receive(function(bytes) got.forger[#got.forger + 1] = assert(codec.decode(bytes)) end)
    real:on_receive(function(bytes) got.real[#got.real + 1] = assert(codec.decode(bytes)) end)
    local t = assert(ctx:dynamic_tunnel("t", { version = "l2tpv3", peer = lns:local_address(), secret = "k" }))
    assert.is_true(h.run_until(function() return rq ~= nil end, 5))
    local ours = ("L"):rep(16)
    local function sccrp(secret)
      local b = assert(codec.encode({ version = 3, type = "SCCRP", connection_id = rq.values.assigned_connection_id,
        ns = 0, nr = 1, avps = {
          { name = "message_digest", value = { type = 0, digest = ("\0"):rep(16) } },
          { name = "host_name", value = "lns" }, { name = "router_id", value = 2 },
          { name = "assigned_connection_id", value = 90001 }, { name = "pw_capabilities_list", value = { 5 } },
          { name = "ctrl_msg_auth_nonce", value = ours } } }, { validate = false }))
      return codec.sign(b, secret, ours, rq.values.ctrl_msg_auth_nonce)
    end
    -- from another port of the LNS's host, signed with another secret:
    -- well formed, for our tunnel, and not to be trusted
    forger:send(sccrp("not-k"), lac)
    h.run_until(function() return false end, 0.3)
    assert.is_false(t:is_up())
    assert.same({}, got.forger)
    -- the real answer, from yet another port, moves the tunnel there
    real:send(sccrp("k"), lac)
    assert.is_true(h.run_until(function() return t:is_up() and #got.real > 0 end, 5))
    assert.equal("SCCCN", got.real[1].type)
    assert.same({}, got.forger)
    assert.equal(0, r.n("tunnel_down"))
    ctx:close()
    l2tp.run(0.1)
    lns:close(); forger:close(); real:close()
  end)
end)
