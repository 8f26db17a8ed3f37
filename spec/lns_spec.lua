-- Our LNS (ctx:listen) against our LAC, both in this process on loopback,
-- null data plane.
local h = require "spec.support.helpers"
local l2tp = h.l2tp

describe("LNS: ctx:listen", function()
  local lns, lac, lnsr, lacr, listen
  before_each(function() lns, lac, lnsr, lacr, listen = h.pair() end)
  after_each(function() h.close_pair(lns, lac) end)
  local function dial(l, name, over)
    local c = { peer = l:address(), retry_timeout = 200, max_retries = 3 }
    for k, v in pairs(over or {}) do c[k] = v end
    return lac:dynamic_tunnel(name, c)
  end

  it("brings up 50 tunnels of 20 sessions each, fires every event, and takes all down cleanly", function()
    local l = listen()
    for i = 1, 50 do
      -- the default timers: a loaded CI machine must not turn scale into loss
      local t = dial(l, "t" .. i, { retry_timeout = 1000, max_retries = 5 })
      for j = 1, 20 do t:session("s" .. j, {}) end
    end
    assert.is_true(h.run_until(function() return lacr.n("session_up") == 1000 and lnsr.n("session_up") == 1000 end, 30),
      ("LAC %d, LNS %d sessions up"):format(lacr.n("session_up"), lnsr.n("session_up")))
    l2tp.run(0.1)
    assert.equal(50, lacr.n("tunnel_up"))
    assert.equal(50, lnsr.n("tunnel_up"))
    assert.equal(50, #lns:tunnels())
    assert.equal("accepted", lns:tunnels()[1]:kind())
    local st = l:stats()
    assert.equal(50, st.accepted)
    assert.equal(1000, st.calls_accepted)
    -- the LAC hangs up everything: StopCCN on every tunnel
    lac:close()
    assert.is_true(h.run_until(function() return lnsr.n("tunnel_down") == 50 end, 10))
    l2tp.run(0.1)
    assert.equal(1000, lnsr.n("session_down"))
    assert.equal(1000, lacr.n("session_down"))
    assert.equal(50, lacr.n("tunnel_down"))
    assert.matches("^peer sent StopCCN: result 1", lnsr.last("tunnel_down").reason)
    assert.same({}, lns:tunnels())
  end)

  it("never makes a stop-and-wait LAC wait for an acknowledgement timer", function()
    -- A LAC that sends its next message only once the last is acknowledged
    -- (as go-l2tp's kl2tpd does): 10 tunnels of 10 calls, every step
    -- timed from send to acknowledgement. After an SCCCN or an ICCN the
    -- LNS has nothing to say, so only a lone ZLB acknowledges it.
    local LAC = require "spec.support.lac"
    local l = listen()
    local s = LAC.new(l:address())
    local T, S = 10, 10
    local waits, steps = {}, {}
    local t0 = l2tp.now()
    for i = 1, T do
      local t = s:sccrq(100 + i)
      steps[i] = { t = t, sent = l2tp.now(), call = 0, stage = "sccrq" }
    end
    local function acked(st) return st.t.acked == st.t.ns end
    local function step(st)
      local t = st.t
      if st.stage == "done" or not acked(st) then return end
      local now = l2tp.now()
      if st.stage == "sccrq" then
        if not st.sccrp then return end
        s:send(t, "SCCCN")
        st.stage, st.sent = "call", now
        return
      end
      if st.stage == "icrq" then
        if not st.icrp then return end
        s:send(t, "ICCN", { { name = "tx_connect_speed", value = 10000000 }, { name = "framing_type", value = 1 } },
          { session_id = st.icrp.values.assigned_session_id })
        st.stage, st.sent, st.icrp = "iccn", now, nil
        return
      end
      -- SCCCN or ICCN acknowledged: a lone ZLB's doing
      waits[#waits + 1] = now - st.sent
      if st.call == S then st.stage = "done"; return end
      st.call = st.call + 1
      s:send(t, "ICRQ", { { name = "assigned_session_id", value = st.call },
        { name = "call_serial_number", value = st.call } })
      st.stage, st.sent = "icrq", now
    end
    -- It answers as each datagram comes (not when the spec polls), and
    -- only on the tunnel the datagram is for.
    local by_tid = {}
    for _, st in ipairs(steps) do by_tid[st.t.tid] = st end
    -- The script's own time (Lua codec, in this process) is added up, so
    -- that what the LNS made it wait can be told from what it cost itself.
    local busy = 0
    s.sock:on_receive(function(bytes, from)
      local c0 = l2tp.now()
      local before = #s.heard
      s:input(bytes, from)
      if #s.heard == before then return end
      local m = s.heard[#s.heard].m
      local st = by_tid[m.tunnel_id]
      if not st then return end
      if m.type == "SCCRP" then st.sccrp = true elseif m.type == "ICRP" then st.icrp = m end
      step(st)
      busy = busy + l2tp.now() - c0
    end)
    assert.is_true(h.run_until(function()
      local done = 0
      for _, st in ipairs(steps) do if st.stage == "done" then done = done + 1 end end
      return done == T and lnsr.n("session_up") == T * S
    end, 30), ("%d sessions up at the LNS"):format(lnsr.n("session_up")))
    local stop_and_wait = l2tp.now() - t0
    assert.equal(T * (S + 1), #waits)
    table.sort(waits)
    -- A delayed acknowledgement (the old default: 100 ms) would hold every
    -- one of these for at least its delay.
    local median = waits[math.floor(#waits / 2) + 1]
    assert.is_true(median < 0.05, ("median wait for an acknowledgement: %.1f ms"):format(median * 1000))
    s:close()
    -- For comparison, printed (timings are not asserted): our own LAC.
    local t1 = l2tp.now()
    for i = 1, T do
      local t = dial(l, "own" .. i, { retry_timeout = 1000 })
      for j = 1, S do t:session("s" .. j, {}) end
    end
    assert.is_true(h.run_until(function() return lacr.n("session_up") == T * S end, 30))
    local own = l2tp.now() - t1
    io.stderr:write(("\nstop-and-wait LAC, %d x %d: %.3f s (median ack wait %.2f ms), of which %.3f s its own Lua; "
      .. "our LAC: %.3f s; ratio %.2f, %.2f without the script's own time\n")
      :format(T, S, stop_and_wait, median * 1000, busy, own, stop_and_wait / own, (stop_and_wait - busy) / own))
  end)

  it("on_tunnel sees the request and may refuse with a chosen result code", function()
    local seen
    local l = listen{ on_tunnel = function(req)
      seen = req
      return false, { result = 4, message = "not on the list" }
    end }
    local t = dial(l, "t", { host_name = "lac-7" })
    local tid = t:config().tid
    assert.is_true(h.run_until(function() return t:is_closed() end, 5))
    l2tp.run(0.05)
    assert.equal("lac-7", seen.host_name)
    assert.equal("l2tp-runtime", seen.vendor_name)
    assert.matches("^127%.0%.0%.1:%d+$", seen.peer)
    assert.equal(tid, seen.peer_tunnel_id)
    local down = lacr.last("tunnel_down")
    assert.equal(4, down.result_code)
    assert.equal("not on the list", down.message)
    assert.is_false(down.established)
    assert.equal(0, #lns:tunnels())
    assert.equal(1, l:stats().refused_by_hook)
  end)

  it("on_call sees the call and may refuse it with a result code", function()
    local seen
    local l = listen{ on_call = function(call)
      seen = call
      return false, 4, "no ports free"
    end }
    local t = dial(l, "t")
    local s = t:session("c", {})
    local sid = s:config().sid
    assert.is_true(h.run_until(function() return s:is_closed() end, 5))
    l2tp.run(0.05)
    assert.equal(1, seen.serial)
    assert.equal(sid, seen.peer_session_id)
    assert.equal(lns:tunnels()[1], seen.tunnel)
    local down = lacr.last("session_down")
    assert.equal(4, down.result_code)
    assert.equal("no ports free", down.message)
    -- a call that never came up has no data plane counters and no time up
    assert.is_nil(down.stats)
    assert.equal(0, down.duration)
    assert.is_true(t:is_up())
  end)

  it("hooks may name result and error codes (l2tp.result, l2tp.error)", function()
    assert.equal(4, l2tp.result.stopccn.not_authorized)
    assert.equal(10, l2tp.result.cdn.timeout)
    assert.equal(4, l2tp.error.no_resources)
    local l = listen{ on_call = function()
      return false, { result = "no_facilities_temp", error = "no_resources", message = "full" }
    end }
    local t = dial(l, "t")
    local s = t:session("c", {})
    assert.is_true(h.run_until(function() return s:is_closed() end, 5))
    l2tp.run(0.05)
    local down = lacr.last("session_down")
    assert.equal(l2tp.result.cdn.no_facilities_temp, down.result_code)
    assert.equal(l2tp.error.no_resources, down.error_code)
    assert.equal("full", down.message)
  end)

  it("on_tunnel may refuse with a result code by name", function()
    local l2 = listen{ on_tunnel = function() return false, { result = "shutting_down" } end }
    local t2 = dial(l2, "t2")
    assert.is_true(h.run_until(function() return t2:is_closed() end, 5))
    l2tp.run(0.05)
    assert.equal(l2tp.result.stopccn.shutting_down, lacr.last("tunnel_down").result_code)
  end)

  it("a hook's unknown result name is logged and the default refusal stands", function()
    local script = h.write_script([[
      local l2tp = require "l2tp"
      local lns, lac = l2tp.context{}, l2tp.context{}
      local l = assert(lns:listen("lns", { ["local"] = "127.0.0.1:0",
        on_tunnel = function() return false, { result = "nope" } end }))
      lac:on("tunnel_down", function(ev) print("result " .. ev.result_code); l2tp.stop() end)
      lac:dynamic_tunnel("t", { peer = l:address(), retry_timeout = 200, max_retries = 3 })
    ]])
    local code, out, err = h.sh(h.l2tp_run .. " " .. script)
    os.remove(script)
    assert.equal(0, code, err)
    assert.matches("result 4", out)
    assert.matches("unknown result code 'nope' %(see l2tp%.result%.stopccn%)", err)
  end)

  it("on_call may return session settings", function()
    local l = listen{ on_call = function() return { pppd = { "noauth", "ms-dns", "192.0.2.53" }, seqnum = true } end }
    local t = dial(l, "t")
    t:session("c", {})
    assert.is_true(h.run_until(function() return lnsr.n("session_up") == 1 end, 5))
    local cfg = lnsr.last("session_up").session_config
    assert.same({ "noauth", "ms-dns", "192.0.2.53" }, cfg.pppd)
    assert.is_true(cfg.seqnum)
  end)

  it("a hook that raises refuses, and the runtime goes on", function()
    local fail = true
    local l = listen{ on_tunnel = function() if fail then error("database is down") end return true end }
    local t = dial(l, "t1")
    assert.is_true(h.run_until(function() return t:is_closed() end, 5))
    l2tp.run(0.05)
    local down = lacr.last("tunnel_down")
    assert.equal(2, down.result_code)
    assert.equal(6, down.error_code)
    fail = false
    local t2 = dial(l, "t2")
    assert.is_true(h.run_until(function() return t2:is_up() end, 5))
  end)

  it("bad settings from on_call refuse the call", function()
    local l = listen{ on_call = function() return { pppd = "noauth" } end }
    local t = dial(l, "t")
    local s = t:session("c", {})
    assert.is_true(h.run_until(function() return s:is_closed() end, 5))
    l2tp.run(0.05)
    assert.equal(2, lacr.last("session_down").result_code)
    assert.is_true(t:is_up())
  end)

  it("refuses tunnels and calls past its limits", function()
    local l = listen{ max_tunnels = 2, max_sessions = 3 }
    local t1, t2, t3 = dial(l, "t1"), dial(l, "t2"), nil
    assert.is_true(h.run_until(function() return t1:is_up() and t2:is_up() end, 5))
    t3 = dial(l, "t3")
    assert.is_true(h.run_until(function() return t3:is_closed() end, 5))
    l2tp.run(0.05)
    local down = lacr.last("tunnel_down")
    assert.equal(2, down.result_code)
    assert.equal(4, down.error_code)
    assert.equal(1, l:stats().refused_by_limit)
    local calls = {}
    for i = 1, 4 do calls[i] = t1:session("c" .. i, {}) end
    assert.is_true(h.run_until(function() return lacr.n("session_up") == 3 and lacr.n("session_down") == 1 end, 5))
    assert.equal(4, lacr.last("session_down").result_code)
    -- a closed tunnel makes room
    t2:close()
    h.run_until(function() return #lns:tunnels() == 1 end, 5)
    local t4 = dial(l, "t4")
    assert.is_true(h.run_until(function() return t4:is_up() end, 5))
  end)

  it("authenticates LACs when it has a secret", function()
    local l = listen{ secret = "s3cret" }
    local good = dial(l, "good", { secret = "s3cret" })
    local bad = dial(l, "bad", { secret = "wrong" })
    assert.is_true(h.run_until(function() return good:is_up() and bad:is_closed() end, 5))
    l2tp.run(0.2)
    local down
    for _, e in ipairs(lacr.list) do if e.event == "tunnel_down" and e.tunnel_name == "bad" then down = e end end
    assert.equal(4, down.result_code)
  end)

  it("never makes a second tunnel from a retransmitted SCCRQ", function()
    local l = listen()
    local sock = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
    local replies = {}
    sock:on_receive(function(bytes) replies[#replies + 1] = l2tp.codec.decode(bytes) end)
    local sccrq = assert(l2tp.codec.encode({ type = "SCCRQ", avps = {
      { name = "protocol_version", value = { version = 1, revision = 0 } },
      { name = "host_name", value = "scripted-lac" }, { name = "framing_capabilities", value = 3 },
      { name = "assigned_tunnel_id", value = 77 } } }))
    sock:send(sccrq, l:address())
    sock:send(sccrq, l:address()) -- our first SCCRP "was lost"
    l2tp.run(0.3)
    sock:send(sccrq, l:address())
    l2tp.run(0.3)
    sock:close()
    assert.equal(1, #lns:tunnels())
    assert.equal(1, l:stats().accepted)
    local sccrps = 0
    for _, m in ipairs(replies) do if m.type == "SCCRP" then sccrps = sccrps + 1 end end
    assert.is_true(sccrps >= 1)
    assert.equal(77, replies[1].tunnel_id)
  end)

  it("listens on IPv6", function()
    local l = assert(lns:listen("lns6", { ["local"] = "[::1]:0" }))
    assert.matches("^%[::1%]:%d+$", l:address())
    local t = dial(l, "t6")
    local s = t:session("c", {})
    assert.is_true(h.run_until(function() return s:is_up() end, 5))
    assert.matches("^%[::1%]:%d+$", lns:tunnels()[1]:config().peer)
  end)

  it("takes SCCRQs only from the address ranges in allow, and leaves the others unanswered", function()
    local closed = lns:listen("closed", { ["local"] = "127.0.0.1:0", allow = { "192.0.2.0/24", "2001:db8::/32" } })
    local t = dial(closed, "out", { setup_timeout = 300 })
    assert.is_true(h.run_until(function() return t:is_closed() end, 5))
    l2tp.run(0.05)
    assert.is_true(closed:stats().refused_address >= 1) -- and its retransmissions
    assert.equal(0, closed:stats().accepted)
    -- not refused with a StopCCN: the LAC heard nothing and gave up
    assert.matches("^setup timeout: no SCCRP", lacr.last("tunnel_down").reason)

    -- a prefix, a range and one address of each family
    local open = lns:listen("open", { ["local"] = "127.0.0.1:0", allow = { "10.0.0.0/8", "127.0.0.1-127.0.0.3" } })
    local s = dial(open, "in"):session("c", {})
    assert.is_true(h.run_until(function() return s:is_up() end, 5))
    assert.equal(0, open:stats().refused_address)
    local six = lns:listen("six", { ["local"] = "[::1]:0", allow = { "::1" } })
    local s6 = dial(six, "in6"):session("c", {})
    assert.is_true(h.run_until(function() return s6:is_up() end, 5))
  end)

  it("names what is wrong in allow", function()
    assert.equal("listener 'x': allow[2]: address range '10.0.0.0/33': prefix length '33' is not valid (0-32)",
      h.raises(lns.listen, lns, "x", { allow = { "10.0.0.1", "10.0.0.0/33" } }))
    assert.matches("^listener 'x': allow%[1%]: address range 'lac%.example': 'lac%.example' is not an IP address",
      h.raises(lns.listen, lns, "x", { allow = { "lac.example" } }))
    assert.equal("listener 'x': allow[1]: address range '10.0.0.9-10.0.0.1': its first address is after its last",
      h.raises(lns.listen, lns, "x", { allow = { "10.0.0.9-10.0.0.1" } }))
    assert.matches("'::1' is not an IPv4 address", h.raises(lns.listen, lns, "x", { allow = { "10.0.0.1-::1" } }))
    assert.equal(0, #lns:listeners())
  end)

  it("on a wildcard address, answers each LAC from the address it dialled", function()
    local l = assert(lns:listen("any", { ["local"] = "0.0.0.0:0" }))
    local p = l:address():match(":(%d+)$")
    local s2 = lac:dynamic_tunnel("via2", { peer = "127.0.0.2:" .. p, retry_timeout = 200 }):session("c", {})
    local s1 = lac:dynamic_tunnel("via1", { peer = "127.0.0.1:" .. p, retry_timeout = 200 }):session("c", {})
    assert.is_true(h.run_until(function() return s1:is_up() and s2:is_up() end, 5))
    local locals = {}
    for _, t in ipairs(lns:tunnels()) do locals[#locals + 1] = (t:addresses()) end
    table.sort(locals)
    assert.same({ "127.0.0.1:" .. p, "127.0.0.2:" .. p }, locals)
    -- and IPv4 LACs of a dual-stack listener
    local six = assert(lns:listen("any6", { ["local"] = "[::]:0" }))
    local s6 = lac:dynamic_tunnel("via6", { peer = "127.0.0.2:" .. six:address():match(":(%d+)$"),
      retry_timeout = 200 }):session("c", {})
    assert.is_true(h.run_until(function() return s6:is_up() end, 5))
  end)

  it("keeps listening when the script drops the listener object", function()
    local address
    do address = listen():address() end
    collectgarbage()
    collectgarbage()
    local t = lac:dynamic_tunnel("t", { peer = address })
    assert.is_true(h.run_until(function() return t:is_up() end, 5))
  end)

  it("runs its hooks after the script drops the listener object, and lets the object go once closed", function()
    local calls, address = 0, nil
    local weak = setmetatable({}, { __mode = "k" })
    do
      local l = listen{ on_tunnel = function() calls = calls + 1; return true end,
        on_call = function() calls = calls + 1; return true end }
      address = l:address()
      weak[l] = true
    end
    collectgarbage()
    collectgarbage()
    assert.is_not_nil(next(weak), "the context holds a listener with hooks")
    local t = lac:dynamic_tunnel("t", { peer = address })
    local s = t:session("c", {})
    assert.is_true(h.run_until(function() return s:is_up() end, 5))
    assert.equal(2, calls)
    next(weak):close()
    collectgarbage()
    collectgarbage()
    assert.is_nil(next(weak), "a closed listener's object (and hooks) are collected")
  end)

  it("reads its own keys and its tunnels' template from one table, naming each", function()
    assert.matches("^listener 'x': unknown key 'peer' %(accepted: local, version, max_tunnels, max_sessions, max_pending, "
      .. "tunnel_port, allow, on_tunnel, on_call, encap, window_size, hello_timeout, retry_timeout, max_retries, max_retry_timeout, "
      .. "ack_timeout, stopccn_timeout, setup_timeout, host_name, framing_caps, secret, hide_avps, hide_tunnel_id, digest, router_id%)$",
      h.raises(lns.listen, lns, "x", { peer = "127.0.0.1:1" }))
    assert.equal("listener 'x': max_pending -1 is out of range (accepted: 0-4294967295)",
      h.raises(lns.listen, lns, "x", { max_pending = -1 }))
    assert.equal("listener 'x': setup_timeout 0 is out of range (accepted: 1-4294967295 ms)",
      h.raises(lns.listen, lns, "x", { setup_timeout = 0 }))
    local l = listen{ hello_timeout = 250, tunnel_port = "new" }
    local t = dial(l, "t")
    assert.is_true(h.run_until(function() return t:is_up() end, 5))
    assert.equal(250, lns:tunnels()[1]:config().hello_timeout)
  end)

  it("on_tunnel may choose the LAC's secret: its challenge is answered with it", function()
    local l = listen{ on_tunnel = function(req)
      assert.equal(2, req.version)
      return { secret = req.host_name == "a" and "for-a" or "for-others" }
    end }
    local a = dial(l, "a", { host_name = "a", secret = "for-a", challenge = true })
    local b = dial(l, "b", { host_name = "b", secret = "for-a", challenge = true })
    assert.is_true(h.run_until(function() return a:is_up() and lacr.last("tunnel_down", "b") ~= nil end, 5))
    assert.matches("challenge", lacr.last("tunnel_down", "b").reason:lower())
  end)

  describe("outgoing calls: tunnel:session() on an accepted tunnel sends an OCRQ", function()
    it("the LAC's on_outgoing_call sees the Called Number; OCRP, OCCN, and both sides are up", function()
      local seen
      local l = listen()
      local t = dial(l, "t", { on_outgoing_call = function(call) seen = call; return { seqnum = true } end })
      assert.is_true(h.run_until(function() return lnsr.n("tunnel_up") == 1 end, 5))
      local acc = lns:tunnels()[1]
      local s = assert(acc:session("dial", { called_number = "5551234" }))
      assert.is_true(h.run_until(function() return lnsr.n("session_up") == 1 and lacr.n("session_up") == 1 end, 5))
      assert.equal("5551234", seen.called_number)
      assert.equal(t, seen.tunnel)
      local up = lacr.last("session_up")
      assert.equal(s:config().sid, up.session_config.psid)
      assert.equal(up.session_config.sid, s:config().psid)
      assert.is_true(up.session_config.seqnum)
      assert.is_true(s:config().seqnum) -- the LAC's OCCN asked for it
      assert.equal(0, l:stats().calls_accepted) -- a call the LNS placed is not one it admitted
      -- the LNS hangs up: CDN, and the LAC's call goes
      s:close()
      assert.is_true(h.run_until(function() return lacr.n("session_down") == 1 end, 5))
      assert.matches("^peer sent CDN: result 3", lacr.last("session_down").reason)
      assert.is_true(t:is_up())
    end)

    it("a LAC without the hook refuses it with CDN result 5, and the LNS's session goes down saying so", function()
      local l = listen()
      dial(l, "t")
      assert.is_true(h.run_until(function() return lnsr.n("tunnel_up") == 1 end, 5))
      lns:tunnels()[1]:session("dial", {})
      assert.is_true(h.run_until(function() return lnsr.n("session_down") == 1 end, 5))
      local down = lnsr.last("session_down")
      assert.matches("^peer sent CDN: result 5", down.reason)
      assert.is_false(down.established)
      assert.equal(0, lacr.n("session_up"))
    end)
  end)

  describe("the tie breaker (RFC 2661 section 4.4.3)", function()
    -- Our LAC dials a peer that, at the same moment, dials our listener
    -- (from the same host) with its own SCCRQ and Tie Breaker.
    local function race(ours, theirs, v3)
      local l = listen(v3 and { version = "l2tpv3" } or nil)
      local peer = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
      local c = { peer = peer:local_address(), retry_timeout = 5000, version = v3 and "l2tpv3" or nil }
      if ours ~= nil then c.tie_breaker = ours end
      local t = lns:dynamic_tunnel("ours", c)
      l2tp.run(0.05) -- our SCCRQ is out, unanswered
      local avps = v3 and { { name = "host_name", value = "peer" }, { name = "router_id", value = 7 },
        { name = "assigned_connection_id", value = 55 }, { name = "pw_capabilities_list", value = { 5 } } }
        or { { name = "protocol_version", value = { version = 1, revision = 0 } },
        { name = "host_name", value = "peer" }, { name = "framing_capabilities", value = 3 },
        { name = "assigned_tunnel_id", value = 55 } }
      if theirs then avps[#avps + 1] = { name = "tie_breaker", value = theirs } end
      peer:send(assert(l2tp.codec.encode({ version = v3 and 3 or 2, type = "SCCRQ", avps = avps })), l:address())
      l2tp.run(0.2)
      peer:close()
      return t, l
    end
    local low, high = "\0\0\0\0\0\0\0\1", "\255\255\255\255\255\255\255\255"

    it("the lower value wins: theirs is dropped", function()
      local t, l = race(low, high)
      assert.is_false(t:is_closed())
      assert.equal(0, l:stats().accepted)
    end)
    it("the higher value loses: ours is discarded, theirs accepted", function()
      local t, l = race(high, low)
      assert.is_true(t:is_closed())
      assert.equal(1, l:stats().accepted)
      l2tp.run(0.05)
      local down
      for _, e in ipairs(lnsr.list) do if e.event == "tunnel_down" and e.tunnel_name == "ours" then down = e end end
      assert.equal("lost the tie breaker to the peer's own SCCRQ", down.reason)
    end)
    it("equal values discard both", function()
      local t, l = race(low, low)
      assert.is_true(t:is_closed())
      assert.equal(0, l:stats().accepted)
    end)
    it("a side that sent none loses to one that did", function()
      local t, l = race(nil, high)
      assert.is_true(t:is_closed())
      assert.equal(1, l:stats().accepted)
    end)
    it("in L2TPv3 the same (RFC 3931 section 5.4.3): the lower wins, the higher loses", function()
      local t, l = race(low, high, true)
      assert.is_false(t:is_closed())
      assert.equal(0, l:stats().accepted)
      l:close()
      t:close()
      l2tp.run(0.05)
      t, l = race(high, low, true)
      assert.is_true(t:is_closed())
      assert.equal(1, l:stats().accepted)
    end)
    it("with none on either side both tunnels are made", function()
      local t, l = race(nil, nil)
      assert.is_false(t:is_closed())
      assert.equal(1, l:stats().accepted)
    end)
    it("our SCCRQ carries it, and config() shows it", function()
      local t = lns:dynamic_tunnel("tb", { peer = "127.0.0.1:9", tie_breaker = low })
      assert.equal(low, t:config().tie_breaker)
      assert.equal("tunnel 'x': tie_breaker is string 'short' (accepted: true, false, or an 8-byte string)",
        h.raises(lns.dynamic_tunnel, lns, "x", { peer = "127.0.0.1:9", tie_breaker = "short" }))
    end)
  end)

  it("validates its config", function()
    assert.matches("^listener 'x': unknown key 'peer' %(accepted: local, version, max_tunnels",
      h.raises(lns.listen, lns, "x", { peer = "127.0.0.1:1" }))
    assert.equal("listener 'x': on_call must be a function, got string",
      h.raises(lns.listen, lns, "x", { on_call = "yes" }))
    assert.equal("listener 'x': tunnel_port 'other' is not valid (accepted: same, new)",
      h.raises(lns.listen, lns, "x", { tunnel_port = "other" }))
  end)
end)
