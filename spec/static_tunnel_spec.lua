local h = require "spec.support.helpers"
local l2tp = h.l2tp

describe("ctx:static_tunnel", function()
  local ctx
  before_each(function() ctx = l2tp.context{ log_level = "error" } end)
  after_each(function() ctx:close() end)

  local function err(name, cfg) return h.raises(ctx.static_tunnel, ctx, name, cfg) end

  it("creates an L2TPv3 tunnel with go-l2tp's defaults", function()
    local t = ctx:static_tunnel("t1", h.tcfg())
    assert.equal("t1", t.name)
    assert.equal("static", t:kind())
    assert.is_true(t:is_up())
    local c = t:config()
    assert.equal("l2tpv3", c.version)
    assert.equal("udp", c.encap)
    assert.equal(4, c.window_size)
    assert.equal(0, c.hello_timeout)
    assert.equal(1000, c.retry_timeout)
    assert.equal(3, c.max_retries)
    assert.same({ "sync", "async" }, c.framing_caps)
    assert.is_string(c.host_name)
    assert.equal("127.0.0.1:5000", c["local"])
  end)

  it("takes every go-l2tp tunnel key", function()
    local t = ctx:static_tunnel("t1", {
      ["local"] = "[::1]:5000", peer = "[::1]:5001", version = "l2tpv3", encap = "udp",
      tid = 4294967295, ptid = 7, window_size = 10, hello_timeout = 7500, retry_timeout = 1500,
      max_retries = 5, host_name = "basilbrush.local", framing_caps = { "sync" },
    })
    local c = t:config()
    assert.equal(4294967295, c.tid)
    assert.equal(10, c.window_size)
    assert.equal(7500, c.hello_timeout)
    assert.equal(1500, c.retry_timeout)
    assert.equal(5, c.max_retries)
    assert.equal("basilbrush.local", c.host_name)
    assert.same({ "sync" }, c.framing_caps)
  end)

  it("takes the kernel's keys: debug flags and UDP checksums", function()
    local c = ctx:static_tunnel("t1", h.tcfg()):config()
    assert.is_true(c.udp_checksum) -- the kernel's and ip l2tp's default
    assert.is_false(c.udp6_zero_checksum_tx)
    c = ctx:static_tunnel("t2", h.tcfg{ tid = 2, ["local"] = "[::1]:5000", peer = "[::1]:5001", debug = 3,
      udp_checksum = false, udp6_zero_checksum_tx = true, udp6_zero_checksum_rx = true }):config()
    assert.equal(3, c.debug)
    assert.is_false(c.udp_checksum)
    assert.is_true(c.udp6_zero_checksum_tx and c.udp6_zero_checksum_rx)
    -- a dynamic tunnel's UDP socket is ours, not the kernel's: not its keys
    assert.matches("unknown key 'udp_checksum'", h.raises(ctx.dynamic_tunnel, ctx, "d", { peer = "127.0.0.1:1701",
      udp_checksum = false }))
  end)

  it("takes IP encapsulation with bare addresses", function()
    local t = ctx:static_tunnel("t1", h.tcfg{ encap = "ip", ["local"] = "127.0.0.1", peer = "127.0.0.2" })
    assert.equal("ip", t:config().encap)
  end)

  describe("validation", function()
    it("an unknown key", function()
      assert.equal("tunnel 't1': unknown key 'windw_size' (accepted: local, peer, version, encap, tid, ptid, "
        .. "window_size, hello_timeout, retry_timeout, max_retries, host_name, framing_caps, debug, udp_checksum, "
        .. "udp6_zero_checksum_tx, udp6_zero_checksum_rx)",
        err("t1", h.tcfg{ windw_size = 4 }))
    end)
    it("a non-string key", function()
      assert.matches("^tunnel 't1': config keys must be strings, got number 1 %(accepted: local, peer",
        err("t1", { "x" }))
    end)
    it("a wrong type", function()
      assert.equal("tunnel 't1': tid must be an integer, got string '5'", err("t1", h.tcfg{ tid = "5" }))
      assert.equal("tunnel 't1': tid must be an integer, got number 1.5", err("t1", h.tcfg{ tid = 1.5 }))
      assert.equal("tunnel 't1': peer must be a string, got number 5", err("t1", h.tcfg{ peer = 5 }))
      assert.equal("tunnel 't1': config must be a table, got string 'x'", err("t1", "x"))
    end)
    it("an unknown enum value", function()
      assert.equal("tunnel 't1': version 'l2tpv4' is not valid (accepted: l2tpv2, l2tpv3)",
        err("t1", h.tcfg{ version = "l2tpv4" }))
      assert.equal("tunnel 't1': encap 'gre' is not valid (accepted: udp, ip)", err("t1", h.tcfg{ encap = "gre" }))
      assert.equal("tunnel 't1': framing_caps[2] is string 'bisync' (accepted: \"sync\", \"async\")",
        err("t1", h.tcfg{ framing_caps = { "sync", "bisync" } }))
    end)
    it("l2tpv2 for a static tunnel", function()
      assert.equal("tunnel 't1': version 'l2tpv2' is not allowed for a static tunnel (accepted: l2tpv3)",
        err("t1", h.tcfg{ version = "l2tpv2" }))
    end)
    it("out-of-range values", function()
      assert.equal("tunnel 't1': tid 4294967296 is out of range (accepted: 0-4294967295)",
        err("t1", h.tcfg{ tid = 4294967296 }))
      assert.equal("tunnel 't1': window_size 0 is out of range (accepted: 1-65535)",
        err("t1", h.tcfg{ window_size = 0 }))
      assert.equal("tunnel 't1': window_size 70000 is out of range (accepted: 1-65535)",
        err("t1", h.tcfg{ window_size = 70000 }))
      assert.equal("tunnel 't1': max_retries -1 is out of range (accepted: 0-65535)",
        err("t1", h.tcfg{ max_retries = -1 }))
    end)
    it("zero or missing IDs", function()
      assert.equal("tunnel 't1': tid is missing or 0 (accepted: 1-4294967295 for a static tunnel)",
        err("t1", h.tcfg{ tid = 0 }))
      local c = h.tcfg(); c.ptid = nil
      assert.equal("tunnel 't1': ptid is missing or 0 (accepted: 1-4294967295 for a static tunnel)", err("t1", c))
    end)
    it("bad addresses", function()
      assert.equal("tunnel 't1': local '127.0.0.1' has no port (accepted: \"a.b.c.d:port\" or \"[v6addr]:port\")",
        err("t1", h.tcfg{ ["local"] = "127.0.0.1" }))
      assert.equal("tunnel 't1': peer 'lns:1701' is not a numeric IPv4 or IPv6 address (accepted: "
        .. "\"a.b.c.d:port\" or \"[v6addr]:port\"; names are not resolved)", err("t1", h.tcfg{ peer = "lns:1701" }))
      assert.equal("tunnel 't1': local '127.0.0.1:0' has port 0 (accepted: 1-65535 for a static tunnel)",
        err("t1", h.tcfg{ ["local"] = "127.0.0.1:0" }))
      assert.equal("tunnel 't1': local '127.0.0.1:5000' and peer '[::1]:5001' are of different address families",
        err("t1", h.tcfg{ peer = "[::1]:5001" }))
      assert.equal("tunnel 't1': local '127.0.0.1:5000' has a port (accepted: an IPv4 or IPv6 address without a "
        .. "port, as ip encap has none)", err("t1", h.tcfg{ encap = "ip" }))
      local c = h.tcfg(); c["local"] = nil
      assert.equal("tunnel 't1': local is missing (accepted: \"host:port\" for a static tunnel)", err("t1", c))
    end)
    it("a duplicate name", function()
      ctx:static_tunnel("t1", h.tcfg())
      assert.equal("tunnel 't1' already exists (names are unique in a context)", err("t1", h.tcfg{ tid = 9 }))
    end)
    it("a duplicate tunnel ID", function()
      ctx:static_tunnel("t1", h.tcfg())
      assert.equal("tunnel 't2': tid 1 is already used by tunnel 't1'", err("t2", h.tcfg()))
    end)
    it("an empty or missing name", function()
      assert.equal("tunnel name must be a non-empty string", err("", h.tcfg()))
      assert.equal("ctx:static_tunnel(name, cfg): name must be a string, got nil", err(nil, h.tcfg()))
      assert.equal("ctx:static_tunnel(name, cfg): name must be a string, got no value", h.raises(ctx.static_tunnel, ctx))
      assert.equal("ctx:static_tunnel(name, cfg): name must be a string, got number", err(5, h.tcfg()))
    end)
    it("creates nothing when anything is wrong", function()
      pcall(ctx.static_tunnel, ctx, "t1", h.tcfg{ tid = 0 })
      pcall(ctx.static_tunnel, ctx, "t2", h.tcfg{ bogus = 1 })
      assert.same({}, ctx:tunnels())
      -- and the good config still works afterwards, with the same name and ID
      assert.is_truthy(ctx:static_tunnel("t1", h.tcfg()))
    end)
  end)

  it("close tears down its sessions and returns nil, 'closed' afterwards", function()
    local t = ctx:static_tunnel("t1", h.tcfg())
    local s = t:session("s1", { sid = 1, psid = 2 })
    assert.is_true(t:close())
    assert.is_true(t:is_closed())
    assert.is_true(s:is_closed())
    local r, e = t:close()
    assert.is_nil(r); assert.equal("closed", e)
    r, e = t:session("s2", { sid = 3, psid = 4 })
    assert.is_nil(r); assert.equal("closed", e)
    r, e = t:config()
    assert.is_nil(r); assert.equal("closed", e)
    assert.same({}, t:sessions())
    assert.equal("t1", t.name) -- names outlive the object
    assert.equal("l2tp.tunnel 't1' (closed)", tostring(t))
    assert.same({}, ctx:tunnels())
  end)

  it("frees its name and ID on close", function()
    ctx:static_tunnel("t1", h.tcfg()):close()
    assert.is_truthy(ctx:static_tunnel("t1", h.tcfg()))
  end)
end)
