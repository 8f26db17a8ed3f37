local h = require "spec.support.helpers"
local l2tp = h.l2tp

describe("events", function()
  local ctx, seen
  before_each(function()
    ctx = l2tp.context{ log_level = "error" }
    seen = {}
    for _, ev in ipairs{ "tunnel_up", "tunnel_down", "session_up", "session_down" } do
      ctx:on(ev, function(e) seen[#seen + 1] = e end)
    end
  end)
  after_each(function() ctx:close(); l2tp.run(1) end)

  local function names()
    local out = {}
    for i, e in ipairs(seen) do
      out[i] = e.event .. " " .. e.tunnel_name .. (e.session_name and ("/" .. e.session_name) or "")
    end
    return out
  end

  it("are delivered from the loop, not from inside the call", function()
    ctx:static_tunnel("t1", h.tcfg())
    assert.equal(0, #seen)
    ctx:close()
    assert.is_true(l2tp.run(1))
    assert.same({ "tunnel_up t1", "tunnel_down t1" }, names())
  end)

  it("make their configs when a handler first reads them, and keep them", function()
    local t = ctx:static_tunnel("t1", h.tcfg())
    t:session("s1", { sid = 10, psid = 20, interface_name = "pw9" })
    ctx:close()
    l2tp.run(1)
    local up, sup = seen[1], seen[2]
    assert.equal("session_up", sup.event)
    assert.is_nil(rawget(sup, "session_config"))
    local c = sup.session_config
    assert.equal(10, c.sid)
    assert.equal(20, c.psid)
    assert.equal("pw9", c.interface_name)
    assert.equal(c, rawget(sup, "session_config"))
    assert.equal(c, sup.session_config) -- the same table again
    assert.equal(sup.tunnel_config.tid, h.tcfg().tid)
    assert.is_nil(up.session_config) -- a tunnel event has none
    assert.is_nil(up.no_such_field)
  end)

  it("fire up and down for tunnels and sessions, in order, with reasons", function()
    local t = ctx:static_tunnel("t1", h.tcfg())
    local s = t:session("s1", { sid = 10, psid = 20, interface_name = "pw0" })
    t:session("s2", { sid = 11, psid = 21 })
    s:close("no longer needed")
    t:close("maintenance")
    ctx:close()
    l2tp.run(1)
    assert.same({
      "tunnel_up t1", "session_up t1/s1", "session_up t1/s2",
      "session_down t1/s1", "session_down t1/s2", "tunnel_down t1",
    }, names())
    assert.equal("no longer needed", seen[4].reason)
    assert.equal("tunnel closed: maintenance", seen[5].reason)
    assert.equal("maintenance", seen[6].reason)
    assert.is_nil(seen[1].reason)
  end)

  it("carry names, objects, config, addresses and the interface", function()
    local t = ctx:static_tunnel("t1", h.tcfg{ ["local"] = "[::1]:7000", peer = "[::1]:7001" })
    local s = t:session("s1", { sid = 10, psid = 20, interface_name = "pw0", cookie = "abcd" })
    l2tp.run(0.05)
    local tu, su = seen[1], seen[2]
    assert.equal("t1", tu.tunnel_name)
    assert.equal(t, tu.tunnel)
    assert.equal("static", tu.kind)
    assert.equal("[::1]:7000", tu["local"])
    assert.equal("[::1]:7001", tu.peer)
    assert.equal(1, tu.tunnel_config.tid)
    assert.equal("l2tpv3", tu.tunnel_config.version)
    assert.is_nil(tu.session)
    assert.equal(s, su.session)
    assert.equal(t, su.tunnel)
    assert.equal("s1", su.session_name)
    assert.equal("pw0", su.interface_name)
    assert.equal(10, su.session_config.sid)
    assert.equal("abcd", su.session_config.cookie)
  end)

  it("session_down carries the accounting: time up and the data plane's last counters", function()
    local t = ctx:static_tunnel("t1", h.tcfg())
    local before = l2tp.now()
    local s = t:session("s1", { sid = 10, psid = 20 })
    l2tp.timer(0.25, function() s:close("done") end)
    assert.is_true(h.run_until(function() return #seen >= 3 end, 5))
    local elapsed = l2tp.now() - before
    local down = seen[3]
    assert.equal("session_down", down.event)
    assert.is_true(down.duration >= 0.24 and down.duration <= elapsed, down.duration .. " of " .. elapsed)
    -- the null data plane counts nothing, but the counters are all there
    assert.same({ tx_packets = 0, tx_bytes = 0, tx_errors = 0, rx_packets = 0, rx_bytes = 0, rx_errors = 0,
      rx_seq_discards = 0, rx_oos_packets = 0, rx_cookie_discards = 0, rx_invalid = 0 }, down.stats)
    assert.is_nil(seen[1].duration) -- tunnel events have none
  end)

  it("hand down events closed objects that still compare equal", function()
    local t = ctx:static_tunnel("t1", h.tcfg())
    t:close()
    l2tp.run(0.05)
    assert.equal("tunnel_down", seen[2].event)
    assert.equal(t, seen[2].tunnel)
    assert.is_true(seen[2].tunnel:is_closed())
  end)

  it("off removes a handler; on returns distinct handles", function()
    local count = 0
    local id = ctx:on("tunnel_up", function() count = count + 1 end)
    local id2 = ctx:on("tunnel_up", function() count = count + 10 end)
    assert.not_equal(id, id2)
    assert.is_true(ctx:off(id))
    assert.is_false(ctx:off(id))
    ctx:static_tunnel("t1", h.tcfg())
    l2tp.run(0.05)
    assert.equal(10, count)
  end)

  it("a handler that raises is logged and the others still run", function()
    local ran = false
    ctx:on("tunnel_up", function() error("boom") end)
    ctx:on("tunnel_up", function() ran = true end)
    ctx:static_tunnel("t1", h.tcfg())
    l2tp.run(0.05)
    assert.is_true(ran)
  end)

  it("a handler may create and close objects", function()
    ctx:on("tunnel_up", function(e)
      if e.tunnel_name == "t1" then
        e.tunnel:session("s1", { sid = 1, psid = 1 })
        ctx:static_tunnel("t2", h.tcfg{ tid = 2 })
      else
        e.tunnel:close("made and closed from a handler")
      end
    end)
    ctx:static_tunnel("t1", h.tcfg())
    l2tp.run(0.1)
    assert.same({ "tunnel_up t1", "session_up t1/s1", "tunnel_up t2", "tunnel_down t2" }, names())
  end)

  it("rejects unknown events and non-functions", function()
    assert.equal("unknown event 'tunnel_upp' (accepted: tunnel_up, tunnel_down, session_up, session_down, session_circuit)",
      h.raises(ctx.on, ctx, "tunnel_upp", function() end))
    assert.equal("ctx:on('tunnel_up', fn): fn must be a function, got no value", h.raises(ctx.on, ctx, "tunnel_up"))
    assert.equal("ctx:on('tunnel_up', fn): fn must be a function, got number", h.raises(ctx.on, ctx, "tunnel_up", 1))
  end)
end)
