local h = require "spec.support.helpers"
local l2tp = h.l2tp
local codec = l2tp.codec

local function qcfg(lport, pport, over)
  local c = { ["local"] = "127.0.0.1:" .. lport, peer = "127.0.0.1:" .. pport, tid = 10, ptid = 20,
    hello_timeout = 100, retry_timeout = 100, max_retries = 2 }
  for k, v in pairs(over or {}) do c[k] = v end
  return c
end

describe("ctx:quiescent_tunnel", function()
  local ctx, events
  before_each(function()
    ctx = l2tp.context{ log_level = "error" }
    events = {}
    for _, ev in ipairs{ "tunnel_up", "tunnel_down", "session_up", "session_down" } do
      ctx:on(ev, function(e) events[#events + 1] = e end)
    end
  end)
  after_each(function() ctx:close(); l2tp.run(1) end)

  it("two tunnels on loopback exchange HELLOs and stay up", function()
    local p1, p2 = h.free_port(), h.free_port()
    -- HELLOs every 100 ms; retransmission slow enough that a loaded
    -- machine's scheduling delays never count as a lost HELLO
    local slow = { retry_timeout = 1000, max_retries = 5 }
    local a = ctx:quiescent_tunnel("a", qcfg(p1, p2, slow))
    local b = ctx:quiescent_tunnel("b", qcfg(p2, p1, { tid = 20, ptid = 10, retry_timeout = 1000, max_retries = 5 }))
    assert.equal("quiescent", a:kind())
    -- The ends take turns (one HELLO an interval, not one from each: see
    -- c.test_transport), so it is the pair's HELLOs that are counted.
    local function heard(s) return s.rx_zlbs + s.rx_messages end
    assert.is_true(h.run_until(function()
      local sa, sb = a:stats(), b:stats()
      return sa.tx_messages + sb.tx_messages >= 6 and heard(sa) >= 3 and heard(sb) >= 3
    end, 10))
    assert.is_true(a:is_up())
    assert.is_true(b:is_up())
    local sa, sb = a:stats(), b:stats()
    assert.is_true(sa.tx_messages + sb.tx_messages >= 6, "HELLOs sent: " .. sa.tx_messages .. " + " .. sb.tx_messages)
    assert.is_true(heard(sa) >= 3 and heard(sb) >= 3, "HELLOs and acks heard")
    assert.equal(0, sa.tx_retransmits)
    assert.equal(0, sb.tx_retransmits)
    assert.equal(2, #events)
  end)

  it("carries sessions that come up with it and go down with it", function()
    local p1, p2 = h.free_port(), h.free_port()
    local a = ctx:quiescent_tunnel("a", qcfg(p1, p2, { version = "l2tpv3" }))
    a:session("s1", { sid = 1, psid = 2, pseudowire = "eth" })
    l2tp.run(0.05)
    assert.equal("tunnel_up", events[1].event)
    assert.equal("session_up", events[2].event)
    -- nobody answers: HELLO at 100 ms, retries at +100 and +200, down at +400
    h.run_until(function() return not a:is_up() end, 3)
    l2tp.run(0.05)
    assert.equal("session_down", events[3].event)
    assert.equal("tunnel_down", events[4].event)
    assert.equal("peer not responding: HELLO (Ns 0) was not acknowledged after 2 retransmissions", events[4].reason)
  end)

  it("goes down with the result code when the peer sends StopCCN, and acknowledges it", function()
    local port = h.free_port()
    local peer = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
    local pport = peer:local_address():match(":(%d+)$")
    local heard = {}
    peer:on_receive(function(bytes) heard[#heard + 1] = assert(codec.decode(bytes)) end)
    local t = ctx:quiescent_tunnel("q", qcfg(port, pport, { hello_timeout = 0 }))
    peer:send(assert(codec.encode({ type = "StopCCN", tunnel_id = 10, ns = 0, nr = 0, avps = {
      { name = "assigned_tunnel_id", value = 20 },
      { name = "result_code", value = { result = 6, error = 0, message = "going away" } },
    } })), "127.0.0.1:" .. port)
    h.run_until(function() return #events >= 2 and #heard >= 1 end, 3)
    peer:close()
    local down = events[2]
    assert.equal("tunnel_down", down.event)
    assert.equal("peer sent StopCCN: result 6 (Requester is being shut down): going away", down.reason)
    assert.equal(6, down.result_code)
    assert.equal(0, down.error_code)
    assert.equal("going away", down.message)
    assert.is_true(t:is_closed())
    -- the StopCCN was acknowledged by a ZLB with Nr 1
    assert.equal("ZLB", heard[1].type)
    assert.equal(1, heard[1].nr)
  end)

  it("validates its config: IDs and both addresses are required", function()
    assert.equal("tunnel 'q': tid is missing or 0 (accepted: 1-65535 for a quiescent tunnel)",
      h.raises(ctx.quiescent_tunnel, ctx, "q", { ["local"] = "127.0.0.1:1", peer = "127.0.0.1:2", ptid = 1 }))
    assert.equal("tunnel 'q': tid 70000 is out of range for l2tpv2 (accepted: 1-65535)",
      h.raises(ctx.quiescent_tunnel, ctx, "q", qcfg(1, 2, { tid = 70000 })))
    assert.equal("tunnel 'q': local '127.0.0.1:0' has port 0 (accepted: 1-65535 for a quiescent tunnel)",
      h.raises(ctx.quiescent_tunnel, ctx, "q", qcfg(0, 2)))
    assert.equal("tunnel 'q': peer is missing (accepted: \"host:port\")",
      h.raises(ctx.quiescent_tunnel, ctx, "q", { ["local"] = "127.0.0.1:1", tid = 1, ptid = 2 }))
    assert.same({}, ctx:tunnels())
  end)

  it("takes the control channel's timers; static tunnels, having none, refuse them", function()
    local t = ctx:quiescent_tunnel("q", qcfg(h.free_port(), 9, { ack_timeout = 50, max_retry_timeout = 4000,
      stopccn_timeout = 5000 }))
    local c = t:config()
    assert.equal(50, c.ack_timeout)
    assert.equal(4000, c.max_retry_timeout)
    assert.equal(5000, c.stopccn_timeout)
    assert.equal("tunnel 'q2': max_retry_timeout 500 is below retry_timeout 1000 (accepted: at least retry_timeout)",
      h.raises(ctx.quiescent_tunnel, ctx, "q2", qcfg(h.free_port(), 9, { retry_timeout = 1000, max_retry_timeout = 500 })))
    assert.matches("^tunnel 's': unknown key 'ack_timeout' %(accepted: local, peer,",
      h.raises(ctx.static_tunnel, ctx, "s", h.tcfg{ ack_timeout = 5 }))
  end)

  it("returns nil and the reason when its socket cannot be bound, leaving nothing behind", function()
    local busy = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
    local port = busy:local_address():match(":(%d+)$")
    local t, err = ctx:quiescent_tunnel("q", qcfg(port, 9))
    busy:close()
    assert.is_nil(t)
    assert.equal("tunnel 'q': bind 127.0.0.1:" .. port .. ": Address already in use", err)
    assert.same({}, ctx:tunnels())
    assert.is_truthy(ctx:quiescent_tunnel("q", qcfg(h.free_port(), 9)))
  end)

  it("holds L2TPv2 sessions to PPP and 16-bit IDs", function()
    local t = ctx:quiescent_tunnel("q", qcfg(h.free_port(), 9, { hello_timeout = 0 }))
    assert.equal("session 'q/s': pseudowire 'eth' is not allowed with l2tpv2 (accepted: ppp, pppac)",
      h.raises(t.session, t, "s", { sid = 1, psid = 2, pseudowire = "eth" }))
    assert.equal("session 'q/s': sid 65536 is out of range for l2tpv2 (accepted: 1-65535)",
      h.raises(t.session, t, "s", { sid = 65536, psid = 2 }))
    assert.equal("session 'q/s': cookie is not allowed with l2tpv2 (cookies are an l2tpv3 feature)",
      h.raises(t.session, t, "s", { sid = 1, psid = 2, cookie = "abcd" }))
    local s = t:session("s", { sid = 1, psid = 2 })
    assert.equal("ppp", s:config().pseudowire)
  end)

  it("goes down within hello_timeout plus the retry schedule when the peer process is killed", function()
    local p1, p2 = h.free_port(), h.free_port()
    local script = h.write_script(([[
local l2tp = require "l2tp"
local ctx = l2tp.context{ log_level = "error" }
ctx:quiescent_tunnel("peer", { ["local"] = "127.0.0.1:%d", peer = "127.0.0.1:%d", tid = 20, ptid = 10,
  hello_timeout = 200 })
]]):format(p2, p1))
    local pidf = io.popen(h.l2tp_run .. " " .. script .. " >/dev/null 2>&1 & echo $!")
    local pid = pidf:read("*l")
    pidf:close()
    -- hello 500 ms; retries after 200 and 400 ms; failure 800 ms later
    local t = ctx:quiescent_tunnel("q", qcfg(p1, p2, { hello_timeout = 500, retry_timeout = 200, max_retries = 2 }))
    assert.is_true(h.run_until(function() return t:stats().rx_messages + t:stats().rx_zlbs >= 2 end, 5),
      "the peer process answered")
    os.execute("kill -9 " .. pid)
    local killed = l2tp.now()
    h.run_until(function() return not t:is_up() end, 5)
    local took = l2tp.now() - killed
    os.remove(script)
    l2tp.run(0.05)
    local down = events[#events]
    assert.equal("tunnel_down", down.event)
    assert.matches("^peer not responding: HELLO %(Ns %d+%) was not acknowledged after 2 retransmissions$", down.reason)
    -- at most hello_timeout + 200 + 400 + 800 ms, plus scheduling slack
    assert.is_true(took <= 0.5 + 1.4 + 0.5, ("took %.3f s"):format(took))
    assert.is_true(took >= 1.4 - 0.05, ("took %.3f s"):format(took))
  end)
end)
