-- The netlink data plane on a real kernel. Runs inside the VM (tools/vm,
-- through ctest as "kernel"), as root, with Debian's l2tp modules loaded.
local k = require "spec.kernel.support"

local encaps = {
  { name = "UDP over IPv4", encap = "udp", a = "10.200.0.1:5000", b = "10.200.0.2:5000" },
  { name = "UDP over IPv6", encap = "udp", a = "[fd00:200::1]:5000", b = "[fd00:200::2]:5000" },
  { name = "IP (IPv4)", encap = "ip", a = "10.200.0.1", b = "10.200.0.2" },
  { name = "IP (IPv6)", encap = "ip", a = "fd00:200::1", b = "fd00:200::2" },
}

local function tcfg(e, loc, peer, tid, ptid, over)
  local c = { ["local"] = loc, peer = peer, version = "l2tpv3", encap = e.encap, tid = tid, ptid = ptid }
  for key, v in pairs(over or {}) do c[key] = v end
  return c
end

describe("kernel data plane", function()
  before_each(function() k.setup() end)
  after_each(function() k.teardown() end)

  for i, e in ipairs(encaps) do
    it("static L2TPv3 over " .. e.name .. ": an Ethernet pseudowire with cookies and the default sublayer carries pings", function()
      local sa = { sid = 100 + i, psid = 200 + i, pseudowire = "eth", cookie = { 1, 2, 3, 4 },
        peer_cookie = { 5, 6, 7, 8, 9, 10, 11, 12 }, l2spec_type = "default", interface_name = "pwa" }
      local sb = { sid = 200 + i, psid = 100 + i, pseudowire = "eth", cookie = { 5, 6, 7, 8, 9, 10, 11, 12 },
        peer_cookie = { 1, 2, 3, 4 }, l2spec_type = "default" }
      k.endpoint("a", "l2a", "static", tcfg(e, e.a, e.b, 10, 20), sa)
      local _, ifb = k.endpoint("b", "l2b", "static", tcfg(e, e.b, e.a, 20, 10), sb)
      assert.matches("^l2tpeth%d+$", ifb) -- the kernel's own name when none is asked for
      k.addr("l2a", "pwa", "192.168.77.1/30")
      k.addr("l2b", ifb, "192.168.77.2/30")
      local rc, out = k.ping("l2a", "192.168.77.2", 5)
      assert.equal(0, rc, out)
      -- session:stats() counts what crossed
      assert.truthy(k.wait_for(function() return (k.stats("a").rx_packets or 0) >= 5 end, 5), k.log("a"))
      assert.truthy(k.stats("a").tx_packets >= 5)
      assert.matches("Tunnel 10,", k.kernel_tunnels("l2a"))
    end)
  end

  it("interoperates with iproute2: one end by the runtime, the other by ip l2tp", function()
    -- with the kernel-side keys: no IPv4 UDP checksums, debug flags, the interface's MTU
    k.endpoint("a", "l2a", "static", tcfg(encaps[1], "10.200.0.1:5001", "10.200.0.2:5001", 30, 40,
        { udp_checksum = false, debug = 0 }),
      { sid = 300, psid = 400, pseudowire = "eth", cookie = "abcd", peer_cookie = "wxyz", interface_name = "pwa",
        mtu = 1400 })
    local _, link = k.ns("l2a", "ip link show pwa")
    assert.matches(" mtu 1400 ", link)
    k.must("ip -n l2b l2tp add tunnel tunnel_id 40 peer_tunnel_id 30 encap udp local 10.200.0.2 remote 10.200.0.1 "
      .. "udp_sport 5001 udp_dport 5001")
    k.must("ip -n l2b l2tp add session name pwb tunnel_id 40 session_id 400 peer_session_id 300 "
      .. "cookie 7778797a peer_cookie 61626364 l2spec_type none")
    k.addr("l2a", "pwa", "192.168.78.1/30")
    k.addr("l2b", "pwb", "192.168.78.2/30")
    local rc, out = k.ping("l2a", "192.168.78.2", 3)
    assert.equal(0, rc, out)
    rc, out = k.ping("l2b", "192.168.78.1", 3)
    assert.equal(0, rc, out)
  end)

  it("a cookie mismatch stops traffic and shows in the error counters", function()
    local e = encaps[1]
    k.endpoint("a", "l2a", "static", tcfg(e, e.a, e.b, 10, 20),
      { sid = 1, psid = 2, pseudowire = "eth", cookie = "aaaa", peer_cookie = "bbbb", interface_name = "pwa" })
    k.endpoint("b", "l2b", "static", tcfg(e, e.b, e.a, 20, 10),
      { sid = 2, psid = 1, pseudowire = "eth", cookie = "XXXX", peer_cookie = "aaaa", interface_name = "pwb" })
    k.addr("l2a", "pwa", "192.168.79.1/30")
    k.addr("l2b", "pwb", "192.168.79.2/30")
    local rc = k.ping("l2b", "192.168.79.1", 3)
    assert.is_not.equal(0, rc)
    assert.truthy(k.wait_for(function()
      local s = k.stats("a")
      return (s.rx_errors or 0) + (s.rx_cookie_discards or 0) > 0
    end, 5), "a counted the bad cookies: " .. (k.read("/tmp/l2tp-kernel-spec/a.stats") or ""))
  end)

  it("removes every kernel object it made on SIGTERM", function()
    local e = encaps[1]
    local pid = k.endpoint("a", "l2a", "static", tcfg(e, e.a, e.b, 10, 20), { sid = 1, psid = 2, pseudowire = "eth" })
    assert.matches("Tunnel 10,", k.kernel_tunnels("l2a"))
    k.must("kill -TERM " .. pid)
    assert.truthy(k.wait_for(function() return k.kernel_tunnels("l2a") == "" end, 5), k.kernel_tunnels("l2a"))
    assert.matches("SIGTERM received", k.log("a"))
  end)

  it("lives through SIGHUP, SIGUSR1 and SIGUSR2 with its kernel objects, and removes them on SIGQUIT", function()
    local e = encaps[1]
    local pid = k.endpoint("a", "l2a", "static", tcfg(e, e.a, e.b, 11, 21), { sid = 1, psid = 2, pseudowire = "eth" })
    k.must("kill -HUP " .. pid)
    k.must("kill -USR2 " .. pid)
    k.must("kill -USR1 " .. pid)
    assert.truthy(k.wait_for(function()
      local log = k.log("a")
      return log:find("tunnel 't': static l2tpv3/udp, up", 1, true) and log:find("SIGHUP received: no handler", 1, true)
        and log:find("SIGUSR2 received: no handler", 1, true)
    end, 10), k.log("a"))
    assert.equal(0, (k.sh("kill -0 " .. pid)))
    assert.matches("Tunnel 11,", k.kernel_tunnels("l2a"))
    k.must("kill -QUIT " .. pid)
    assert.truthy(k.wait_for(function() return k.kernel_tunnels("l2a") == "" end, 5), k.kernel_tunnels("l2a"))
    assert.matches("SIGQUIT received", k.log("a"))
  end)

  it("lists kernel tunnels it did not make", function()
    k.must("ip -n l2a l2tp add tunnel tunnel_id 77 peer_tunnel_id 88 encap udp local 10.200.0.1 remote 10.200.0.2 "
      .. "udp_sport 6000 udp_dport 6000")
    local script = "/tmp/l2tp-kernel-spec/list.lua"
    os.execute("mkdir -p /tmp/l2tp-kernel-spec")
    local f = io.open(script, "w")
    f:write([[local l2tp = require "l2tp"
local ctx = assert(l2tp.context{ dataplane = "netlink" })
for _, t in ipairs(assert(ctx:kernel_tunnels())) do print(t.tid, t.ptid, t.version, t.encap, t["local"], t.peer) end
ctx:close()]])
    f:close()
    local rc, out = k.ns("l2a", k.l2tp_run .. " " .. script)
    assert.equal(0, rc, out)
    assert.matches("77\t88\tl2tpv3\tudp\t10.200.0.1:6000\t10.200.0.2:6000", out)
  end)

  for _, e in ipairs{ encaps[1], encaps[3] } do
    it("a quiescent pair over " .. e.name .. " carries traffic and HELLOs; killing one side brings the other down "
      .. "and removes its kernel objects", function()
      -- b only answers (no HELLO of its own) and is up before a starts, so
      -- a's HELLOs have an answer from the first one however slowly the two
      -- processes start.
      local pb = k.endpoint("b", "l2b", "quiescent", tcfg(e, e.b, e.a, 20, 10, { hello_timeout = 0 }),
        { sid = 2, psid = 1, pseudowire = "eth", interface_name = "pwb" })
      local pa = k.endpoint("a", "l2a", "quiescent", tcfg(e, e.a, e.b, 10, 20,
        { hello_timeout = 500, retry_timeout = 200, max_retries = 2 }),
        { sid = 1, psid = 2, pseudowire = "eth", interface_name = "pwa" })
      k.addr("l2a", "pwa", "192.168.80.1/30")
      k.addr("l2b", "pwb", "192.168.80.2/30")
      local rc, out = k.ping("l2a", "192.168.80.2", 3)
      assert.equal(0, rc, out)
      assert.truthy(k.wait_for(function()
        local c = k.read("/tmp/l2tp-kernel-spec/a.control") or ""
        return tonumber(c:match("rx_zlbs=(%d+)") or 0) >= 1
      end, 5), "HELLOs were acknowledged")
      k.must("kill -KILL " .. pb)
      local reason = k.wait_for(function() return k.down_reason("a") end, 10)
      assert.matches("^peer not responding: HELLO", reason or "")
      assert.truthy(k.wait_for(function() return k.kernel_tunnels("l2a") == "" end, 5), k.kernel_tunnels("l2a"))
      os.execute("kill -TERM " .. pa .. " 2>/dev/null")
    end)
  end
end)
