local h = require "spec.support.helpers"
local l2tp = h.l2tp

describe("l2tp.context", function()
  it("defaults to the null data plane", function()
    local ctx = l2tp.context()
    assert.equal("null", ctx:dataplane())
    assert.is_false(ctx:is_closed())
    ctx:close()
  end)

  it("accepts dataplane and log_level", function()
    local ctx = l2tp.context{ dataplane = "null", log_level = "error" }
    assert.equal("null", ctx:dataplane())
    ctx:close()
  end)

  it("rejects an unknown key, naming it and the accepted ones", function()
    assert.equal("context: unknown key 'data_plane' (accepted: dataplane, log_level, max_lingering)",
      h.raises(l2tp.context, { data_plane = "null" }))
    assert.equal("context: max_lingering 0 is out of range (accepted: 1-4294967295)",
      h.raises(l2tp.context, { max_lingering = 0 }))
    assert.equal("context: max_lingering must be an integer, got string",
      h.raises(l2tp.context, { max_lingering = "many" }))
  end)

  it("rejects an unknown data plane", function()
    local msg = h.raises(l2tp.context, { dataplane = "dpdk" })
    assert.equal("context: dataplane 'dpdk' is not available (accepted: null, netlink)", msg)
  end)

  it("rejects an unknown log level", function()
    assert.equal("context: log_level 'verbose' is not valid (accepted: error, warn, info, debug, trace)",
      h.raises(l2tp.context, { log_level = "verbose" }))
  end)

  it("rejects a config that is not a table", function()
    assert.equal("context: config must be a table, got string 'null'", h.raises(l2tp.context, "null"))
  end)

  it("close is idempotent and makes the context refuse new tunnels", function()
    local ctx = l2tp.context()
    assert.is_true(ctx:close())
    assert.is_true(ctx:is_closed())
    local r, err = ctx:close()
    assert.is_nil(r)
    assert.equal("closed", err)
    r, err = ctx:static_tunnel("t", h.tcfg())
    assert.is_nil(r)
    assert.equal("closed", err)
    assert.same({}, ctx:tunnels())
  end)

  it("lists tunnels in creation order and finds them by name", function()
    local ctx = l2tp.context()
    local a = ctx:static_tunnel("a", h.tcfg{ tid = 1 })
    local b = ctx:static_tunnel("b", h.tcfg{ tid = 2 })
    local list = ctx:tunnels()
    assert.equal(2, #list)
    assert.equal(a, list[1])
    assert.equal(b, list[2])
    assert.equal(b, ctx:find_tunnel("b"))
    assert.is_nil(ctx:find_tunnel("c"))
    ctx:close()
  end)

  it("says what to load when the kernel has no L2TP (on machines without it)", function()
    local ctx, err = l2tp.context{ dataplane = "netlink" }
    if ctx then
      -- this kernel has L2TP: the kernel specs (spec/kernel) cover it
      assert.is_table(ctx:kernel_tunnels())
      ctx:close()
    else
      assert.matches("^context: kernel L2TP support is not loaded %(modprobe l2tp_netlink l2tp_eth", err)
    end
  end)

  it("kernel_tunnels is nil, message on the null data plane", function()
    local ctx = l2tp.context()
    local r, err = ctx:kernel_tunnels()
    assert.is_nil(r)
    assert.equal("the null data plane has no kernel tunnels to list", err)
    ctx:close()
  end)

  it("prints as l2tp.context", function()
    local ctx = l2tp.context()
    assert.equal("l2tp.context (null)", tostring(ctx))
    ctx:close()
    assert.equal("l2tp.context (null, closed)", tostring(ctx))
  end)

  it("stats() counts what the context holds: tunnels, sessions, listeners, holds and sockets", function()
    local ctx = l2tp.context{ log_level = "error" }
    assert.same({ tunnels = 0, sessions = 0, listeners = 0, lingering = 0, sockets = 0 }, ctx:stats())
    local t = assert(ctx:static_tunnel("s", h.tcfg()))
    assert(t:session("a", { sid = 1, psid = 2 }))
    assert(ctx:listen("l", { ["local"] = "127.0.0.1:0" }))
    assert(ctx:quiescent_tunnel("q", { ["local"] = "127.0.0.1:" .. h.free_port(), peer = "127.0.0.1:9", tid = 5, ptid = 6 }))
    -- the static tunnel's socket is the kernel's; the listener and the
    -- quiescent tunnel's control channel are ours
    assert.same({ tunnels = 2, sessions = 1, listeners = 1, lingering = 0, sockets = 2 }, ctx:stats())
    ctx:close()
    assert.same({ nil, "closed" }, { ctx:stats() })
  end)
  it("tells an operator's tools what is open: contexts, listeners, states, addresses and the log level", function()
    local lns, lac = h.pair()
    assert.is_true(#l2tp.contexts() >= 2)
    local list = l2tp.contexts()
    assert.equal(lac, list[#list])
    assert.equal(lns, list[#list - 1])
    local l = assert(lns:listen("lns", { ["local"] = "127.0.0.1:0" }))
    assert.same({ l }, lns:listeners())
    assert.same({}, lac:listeners())
    local t = assert(lac:dynamic_tunnel("t1", { peer = l:address() }))
    local s = t:session("s1", {})
    assert.equal("wait-ctl-reply", t:state())
    assert.is_true(h.run_until(function() return s:is_up() end, 5))
    assert.equal("established", t:state())
    assert.equal("established", s:state())
    local lo, peer = t:addresses()
    assert.matches(":%d+$", lo)
    assert.equal(l:address(), peer)
    assert.equal("error", lac:log_level())
    assert.equal("warn", lac:log_level("warn"))
    assert.matches("'loud' is not valid", h.raises(lac.log_level, lac, "loud"))
    local st = lac:static_tunnel("st", { ["local"] = "127.0.0.1:" .. h.free_port(), peer = "127.0.0.1:9", tid = 1, ptid = 2 })
    assert.equal("up", st:state())
    h.close_pair(lns, lac)
    assert.equal("closed", t:state())
    assert.equal("closed", s:state())
    for _, c in ipairs(l2tp.contexts()) do assert.is_not.equal(lac, c) end
  end)
end)
