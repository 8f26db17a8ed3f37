local h = require "spec.support.helpers"
local l2tp = h.l2tp

describe("tunnel:session", function()
  local ctx, t
  before_each(function()
    ctx = l2tp.context{ log_level = "error" }
    t = ctx:static_tunnel("t1", h.tcfg())
  end)
  after_each(function() ctx:close() end)

  local function err(name, cfg) return h.raises(t.session, t, name, cfg) end

  it("creates an Ethernet session with defaults", function()
    local s = t:session("s1", { sid = 10, psid = 20 })
    assert.equal("s1", s.name)
    assert.is_true(s:is_up())
    assert.equal(t, s:tunnel())
    local c = s:config()
    assert.equal("eth", c.pseudowire)
    assert.equal("none", c.l2spec_type)
    assert.is_false(c.seqnum)
    assert.is_nil(c.cookie)
    assert.equal("l2tp.session 't1/s1'", tostring(s))
  end)

  it("takes every go-l2tp session key; cookies as strings or byte arrays", function()
    local s = t:session("s1", {
      sid = 10, psid = 20, pseudowire = "eth", seqnum = true, reorder_timeout = 250,
      cookie = { 0x12, 0xe9, 0x54, 0x0f, 0xe2, 0x68, 0x72, 0xbc }, peer_cookie = "\x74\x2e\x28\xa8",
      interface_name = "l2tpeth42", l2spec_type = "default",
    })
    local c = s:config()
    assert.equal("\x12\xe9\x54\x0f\xe2\x68\x72\xbc", c.cookie)
    assert.equal("\x74\x2e\x28\xa8", c.peer_cookie)
    assert.is_true(c.seqnum)
    assert.equal(250, c.reorder_timeout)
    assert.equal("default", c.l2spec_type)
    assert.equal("l2tpeth42", s:interface_name())
  end)

  it("takes the kernel's keys and go-l2tp's PPPoE keys", function()
    local s = t:session("eth", { sid = 10, psid = 20, mtu = 1400, debug = 0xff })
    assert.equal(1400, s:config().mtu)
    assert.equal(255, s:config().debug)
    -- a pppac session carries a PPPoE session: its ID and the subscriber's MAC,
    -- as text or as go-l2tp's TOML has it (an array of bytes)
    local v2 = ctx:static_tunnel("v2", h.tcfg{ tid = 2, ptid = 2, ["local"] = "127.0.0.1:5002" })
    local a = v2:session("a", { sid = 1, psid = 1, pseudowire = "pppac", pppoe_session_id = 0x1234,
      pppoe_peer_mac = "ca:6b:d5:10:0a:ff", mtu = 1492, mru = 1492 })
    local c = a:config()
    assert.equal(0x1234, c.pppoe_session_id)
    assert.equal("ca:6b:d5:10:0a:ff", c.pppoe_peer_mac)
    assert.equal(1492, c.mru)
    local b = v2:session("b", { sid = 2, psid = 2, pseudowire = "pppac",
      pppoe_peer_mac = { 0xca, 0x6b, 0xd5, 0x10, 0x0a, 0x01 } })
    assert.equal("ca:6b:d5:10:0a:01", b:config().pppoe_peer_mac)
    assert.is_nil(s:config().pppoe_peer_mac)
  end)

  it("names what is wrong with the kernel's and the PPPoE keys", function()
    assert.equal("session 't1/s1': pppoe_session_id is for pseudowire 'pppac' (a PPPoE session's), not 'eth'",
      err("s1", { sid = 1, psid = 1, pppoe_session_id = 7 }))
    assert.equal("session 't1/s1': pppoe_peer_mac has 5 bytes (accepted: 6 bytes, or \"aa:bb:cc:dd:ee:ff\")",
      err("s1", { sid = 1, psid = 1, pseudowire = "pppac", pppoe_peer_mac = { 1, 2, 3, 4, 5 } }))
    assert.equal("session 't1/s1': pppoe_peer_mac has 17 bytes (accepted: 6 bytes, or \"aa:bb:cc:dd:ee:ff\")",
      err("s1", { sid = 1, psid = 1, pseudowire = "pppac", pppoe_peer_mac = "ca:6b:d5:10:0a:zz" }))
    assert.equal("session 't1/s1': mtu 40 is out of range (accepted: 0 for the default, or 68-65535)",
      err("s1", { sid = 1, psid = 1, mtu = 40 }))
    assert.equal("session 't1/s1': mru is for PPP sessions (an Ethernet pseudowire's interface takes mtu)",
      err("s1", { sid = 1, psid = 1, mru = 1400 }))
    assert.equal("session 't1/s1': mtu 70000 is out of range (accepted: 0-65535)",
      err("s1", { sid = 1, psid = 1, mtu = 70000 }))
  end)

  it("names Ethernet interfaces as the kernel would when none is given", function()
    local a = t:session("a", { sid = 1, psid = 1 })
    local b = t:session("b", { sid = 2, psid = 2 })
    assert.matches("^l2tpeth%d+$", a:interface_name())
    assert.matches("^l2tpeth%d+$", b:interface_name())
    assert.not_equal(a:interface_name(), b:interface_name())
  end)

  it("has no interface for a PPP pseudowire (pppd makes it)", function()
    assert.is_nil(t:session("p", { sid = 1, psid = 1, pseudowire = "ppp" }):interface_name())
  end)

  it("reports stats counters", function()
    local st = t:session("s1", { sid = 10, psid = 20 }):stats()
    for _, k in ipairs{ "tx_packets", "tx_bytes", "tx_errors", "rx_packets", "rx_bytes", "rx_errors" } do
      assert.equal(0, st[k], k)
    end
  end)

  describe("validation", function()
    it("an unknown key", function()
      assert.equal("session 't1/s1': unknown key 'cookies' (accepted: sid, psid, pseudowire, seqnum, "
        .. "reorder_timeout, cookie, peer_cookie, interface_name, l2spec_type, mtu, mru, debug, pppoe_session_id, "
        .. "pppoe_peer_mac)", err("s1", { sid = 1, psid = 1, cookies = "x" }))
    end)
    it("a 5-byte cookie, as a string or an array", function()
      assert.equal("session 't1/s1': cookie has 5 bytes (accepted: 4 or 8 bytes)",
        err("s1", { sid = 1, psid = 1, cookie = "12345" }))
      assert.equal("session 't1/s1': peer_cookie has 5 bytes (accepted: 4 or 8 bytes)",
        err("s1", { sid = 1, psid = 1, peer_cookie = { 1, 2, 3, 4, 5 } }))
    end)
    it("a cookie byte out of range", function()
      assert.equal("session 't1/s1': cookie[2] is number 256 (accepted: integers 0-255)",
        err("s1", { sid = 1, psid = 1, cookie = { 1, 256, 3, 4 } }))
    end)
    it("a cookie of the wrong type", function()
      assert.equal("session 't1/s1': cookie must be a string or an array of byte values, got boolean true",
        err("s1", { sid = 1, psid = 1, cookie = true }))
    end)
    it("a wrong type", function()
      assert.equal("session 't1/s1': seqnum must be a boolean, got string 'yes'",
        err("s1", { sid = 1, psid = 1, seqnum = "yes" }))
    end)
    it("an unknown pseudowire or l2spec_type", function()
      assert.equal("session 't1/s1': pseudowire 'atm' is not valid (accepted: ppp, eth, eth_vlan, pppac)",
        err("s1", { sid = 1, psid = 1, pseudowire = "atm" }))
      assert.equal("session 't1/s1': l2spec_type 'atm' is not valid (accepted: none, default)",
        err("s1", { sid = 1, psid = 1, l2spec_type = "atm" }))
    end)
    it("zero or missing IDs", function()
      assert.equal("session 't1/s1': sid is missing or 0 (accepted: 1-4294967295 for a session in a static tunnel)",
        err("s1", { psid = 1 }))
      assert.equal("session 't1/s1': psid is missing or 0 (accepted: 1-4294967295 for a session in a static tunnel)",
        err("s1", { sid = 1, psid = 0 }))
    end)
    it("an interface name Linux would refuse", function()
      assert.equal("session 't1/s1': interface_name 'a-very-long-interface' is too long (accepted: up to 15 bytes)",
        err("s1", { sid = 1, psid = 1, interface_name = "a-very-long-interface" }))
      assert.equal("session 't1/s1': interface_name 'a/b' has a character Linux does not allow ('/', ':', space or control)",
        err("s1", { sid = 1, psid = 1, interface_name = "a/b" }))
    end)
    it("a duplicate name", function()
      t:session("s1", { sid = 1, psid = 1 })
      assert.equal("session 's1' already exists in tunnel 't1' (names are unique in a tunnel)",
        err("s1", { sid = 2, psid = 2 }))
    end)
    it("a duplicate session ID, in this tunnel or another (L2TPv3 IDs are host-wide)", function()
      t:session("s1", { sid = 1, psid = 1 })
      assert.equal("session 't1/s2': sid 1 is already used by session 's1' in this tunnel",
        err("s2", { sid = 1, psid = 2 }))
      local t2 = ctx:static_tunnel("t2", h.tcfg{ tid = 2 })
      assert.equal("session 't2/s9': sid 1 is already used by session 't1/s1' (l2tpv3 session IDs are unique per host)",
        h.raises(t2.session, t2, "s9", { sid = 1, psid = 5 }))
    end)
    it("creates nothing when anything is wrong", function()
      pcall(t.session, t, "s1", { sid = 1, psid = 1, cookie = "12345" })
      assert.same({}, t:sessions())
      assert.is_truthy(t:session("s1", { sid = 1, psid = 1 }))
    end)
  end)

  it("needs a string name", function()
    assert.equal("tunnel:session(name, cfg): name must be a string, got table", err({}, {}))
    assert.equal("tunnel name must be a non-empty string", h.raises(ctx.static_tunnel, ctx, "", h.tcfg()))
  end)

  it("close returns true once, then nil, 'closed'", function()
    local s = t:session("s1", { sid = 10, psid = 20 })
    assert.is_true(s:close())
    local r, e = s:close()
    assert.is_nil(r); assert.equal("closed", e)
    r, e = s:stats()
    assert.is_nil(r); assert.equal("closed", e)
    r, e = s:interface_name()
    assert.is_nil(r); assert.equal("closed", e)
    assert.same({}, t:sessions())
    assert.equal("l2tp.session 's1' (closed)", tostring(s))
  end)

  it("lists sessions in creation order and finds them by name", function()
    local a = t:session("a", { sid = 1, psid = 1 })
    local b = t:session("b", { sid = 2, psid = 2 })
    assert.same({ a, b }, t:sessions())
    assert.equal(b, t:find_session("b"))
    assert.is_nil(t:find_session("zz"))
  end)
end)
