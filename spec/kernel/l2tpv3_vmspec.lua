-- Dynamic L2TPv3 on a real kernel: our LAC in one namespace, our LNS in
-- the other, an Ethernet pseudowire (l2tpeth) on each side that pings
-- across. Runs inside the VM (tools/vm) as root.
local k = require "spec.kernel.support"

local families = {
  { name = "UDP/IPv4", encap = "udp", lns = "10.200.0.2:1701", peer = "10.200.0.2:1701" },
  { name = "UDP/IPv6", encap = "udp", lns = "[fd00:200::2]:1701", peer = "[fd00:200::2]:1701" },
  { name = "IP/IPv4", encap = "ip", lns = "10.200.0.2", peer = "10.200.0.2" },
  { name = "IP/IPv6", encap = "ip", lns = "fd00:200::2", peer = "fd00:200::2" },
}

-- The LNS: takes L2TPv3 with secret, names the pseudowire's interface pwb.
local function lns(fam, secret)
  return k.script("lns", "l2b", ([[
local ctx = assert(l2tp.context{ dataplane = "netlink", log_level = "info" })
ctx:on("session_up", function(e) put(".ready", e.interface_name or "") end)
ctx:on("tunnel_down", function(e) put(".down", e.reason) end)
assert(ctx:listen("lns", { ["local"] = %q, encap = %q, version = "l2tpv3", secret = %q, hello_timeout = 500,
  on_call = function(call) return { interface_name = "pwb" } end }))
put(".listening", "")
]]):format(fam.lns, fam.encap, secret))
end

local function lac(fam, secret)
  return k.script("lac", "l2a", ([[
local ctx = assert(l2tp.context{ dataplane = "netlink", log_level = "info" })
ctx:on("session_up", function(e) put(".ready", e.interface_name or "") end)
ctx:on("tunnel_down", function(e) put(".down", e.reason) end)
local t = assert(ctx:dynamic_tunnel("t", { version = "l2tpv3", encap = %q, peer = %q, secret = %q, hello_timeout = 500,
  retry_timeout = 200, max_retries = 2 }))
t:session("pw", { interface_name = "pwa", remote_end_id = "vc1" })
]]):format(fam.encap, fam.peer, secret))
end

describe("dynamic L2TPv3 on the kernel", function()
  before_each(function() k.setup() end)
  after_each(function() k.teardown() end)

  for _, fam in ipairs(families) do
    it("over " .. fam.name .. ": an Ethernet pseudowire with digests and random cookies pings across; "
      .. "killing the LNS brings the LAC down and removes its kernel objects", function()
      local stop = assert(k.capture("wire", "l2a", "va"))
      local pl = lns(fam, "pw-secret")
      assert.truthy(k.wait_for(function() return k.read(k.dir .. "/lns.listening") end, 10), k.log("lns"))
      local pa = lac(fam, "pw-secret")
      assert.truthy(k.wait_for(function() return k.read(k.dir .. "/lac.ready") end, 10), k.log("lac"))
      assert.truthy(k.wait_for(function() return k.read(k.dir .. "/lns.ready") end, 10), k.log("lns"))
      assert.equal("pwa", k.read(k.dir .. "/lac.ready"))
      assert.equal("pwb", k.read(k.dir .. "/lns.ready"))
      -- the kernel has the tunnel in this encapsulation, and the session
      -- with cookies both ways
      local _, tun = k.ns("l2a", "ip l2tp show tunnel")
      assert.matches("encap " .. fam.encap:upper(), tun)
      local _, sess = k.ns("l2a", "ip l2tp show session")
      assert.matches("cookie", sess)
      assert.matches("peer cookie", sess)
      k.addr("l2a", "pwa", "192.168.90.1/30")
      k.addr("l2b", "pwb", "192.168.90.2/30")
      local rc, out = k.ping("l2a", "192.168.90.2", 3)
      assert.equal(0, rc, out)
      -- what went over the wire dissects as L2TPv3 (over UDP, or straight
      -- over IP protocol 115) with every digest checked and nothing malformed
      local pcap = stop()
      local function tshark(args)
        return select(2, k.sh("(tshark -n -o l2tp.shared_secret:pw-secret -r " .. pcap .. " " .. args .. " 2>/dev/null)"))
      end
      local summary = tshark("-Y l2tp")
      for _, name in ipairs{ "SCCRQ", "SCCRP", "SCCCN", "ICRQ", "ICRP", "ICCN" } do
        assert.matches(name, summary)
      end
      local layers = fam.encap == "ip" and (fam.name:find("IPv6") and "ipv6:l2tp" or "ip:l2tp") or "udp:l2tp"
      assert.matches(layers, tshark("-Y 'l2tp.type == 1' -T fields -e frame.protocols"), 1, true)
      assert.equal("", tshark("-Y '_ws.malformed || l2tp.incorrect_digest'"))
      local expert = tshark("-q -z expert")
      assert.is_nil(expert:find("Warn") or expert:find("Error"), expert)
      k.must("kill -KILL " .. pl)
      local reason = k.wait_for(function() return k.read(k.dir .. "/lac.down") end, 15)
      assert.matches("^peer not responding", reason or "", k.log("lac"))
      assert.truthy(k.wait_for(function() return k.kernel_tunnels("l2a") == "" end, 5), k.kernel_tunnels("l2a"))
      os.execute("kill -TERM " .. pa .. " 2>/dev/null")
    end)
  end

  it("a digest mismatch keeps the tunnel from coming up, with a reason that names the secret, and leaves nothing in the kernel", function()
    lns(families[1], "one")
    assert.truthy(k.wait_for(function() return k.read(k.dir .. "/lns.listening") end, 10), k.log("lns"))
    local pa = lac(families[1], "two")
    local reason = k.wait_for(function() return k.read(k.dir .. "/lac.down") end, 15)
    assert.matches("is the secret the same on both sides%?", reason or "", k.log("lac"))
    assert.equal("", k.kernel_tunnels("l2a"))
    assert.equal("", k.kernel_tunnels("l2b"))
    os.execute("kill -TERM " .. pa .. " 2>/dev/null")
  end)

  it("scripts/pseudowired.lua: the pseudowire comes back by itself after either end is killed", function()
    local common = [[secret = "pw", retry_timeout = 200, max_retries = 2,
  pseudowires = { vc1 = { interface_name = "pw-vc1" },
    vc2 = { pseudowire = "eth_vlan", interface_name = "pw-vc2" } } }]]
    -- The LNS's HELLOs are slow, so a restarted LAC's calls always find
    -- the old tunnel there and replace its calls (whatever the load); the
    -- LAC's are quick, so it finds a dead LNS soon.
    local lns_conf = 'return { role = "lns", ["local"] = "10.200.0.2:1701", hello_timeout = 60000, ' .. common
    local lac_conf = 'return { role = "lac", peer = "10.200.0.2:1701", hello_timeout = 500, ' .. common
    local function count(log, pattern)
      local n = 0
      for _ in k.log(log):gmatch(pattern) do n = n + 1 end
      return n
    end
    local function logs()
      local out = ""
      for _, name in ipairs{ "l2b", "l2a", "l2a-2", "l2b-2" } do out = out .. "--- " .. name .. ":\n" .. k.log(name) end
      return out
    end
    -- both ends up (n pseudowires come up so far on each), then addresses
    -- on the new interfaces, and a ping across
    local function pings(lac_log, lns_log, n)
      assert.truthy(k.wait_for(function()
        return count(lac_log, "pseudowire vc1 up") >= 1 and count(lns_log, "pseudowire vc1 up") >= n
      end, 20), logs())
      k.addr("l2a", "pw-vc1", "192.168.91.1/30")
      k.addr("l2b", "pw-vc1", "192.168.91.2/30")
      local rc, out = k.ping("l2a", "192.168.91.2", 3)
      assert.equal(0, rc, out .. logs())
    end
    local pb = k.daemon("pseudowired", "l2b", lns_conf)
    assert.truthy(k.wait_for(function() return k.log("l2b"):find("waiting on") end, 10), logs())
    local pa = k.daemon("pseudowired", "l2a", lac_conf)
    pings("l2a", "l2b", 1)
    -- the VLAN pseudowire is an l2tpeth interface on the kernel too
    assert.truthy(k.wait_for(function()
      return k.ns("l2a", "ip link show pw-vc2") == 0 and k.ns("l2b", "ip link show pw-vc2") == 0
    end, 10), logs())
    -- the LAC dies: its tunnel's socket closes, and the kernel drops the
    -- tunnel and pw-vc1 with it; a new LAC's call replaces the LNS's old one
    k.must("kill -KILL " .. pa)
    assert.truthy(k.wait_for(function() return k.kernel_tunnels("l2a") == "" end, 10), k.kernel_tunnels("l2a"))
    pa = k.daemon("pseudowired", "l2a", lac_conf, "l2a-2")
    assert.truthy(k.wait_for(function() return k.log("l2b"):find("replaces the one on tunnel") end, 20), logs())
    assert.truthy(k.wait_for(function() return k.log("l2a-2"):find("pseudowire vc1 up") end, 20), logs())
    pings("l2a-2", "l2b", 2)
    -- the LNS dies: the LAC's HELLOs go unanswered, and it redials until a
    -- new LNS answers
    k.must("kill -KILL " .. pb)
    assert.truthy(k.wait_for(function() return k.log("l2a-2"):find("tunnel down: ") end, 20), k.log("l2a-2"))
    pb = k.daemon("pseudowired", "l2b", lns_conf, "l2b-2")
    assert.truthy(k.wait_for(function()
      return count("l2a-2", "pseudowire vc1 up") >= 2 and k.log("l2b-2"):find("pseudowire vc1 up")
    end, 30), k.log("l2a-2") .. k.log("l2b-2"))
    k.addr("l2a", "pw-vc1", "192.168.91.1/30")
    k.addr("l2b", "pw-vc1", "192.168.91.2/30")
    local rc, out = k.ping("l2a", "192.168.91.2", 3)
    assert.equal(0, rc, out)
    -- SIGTERM: each end removes what it made
    k.must("kill -TERM " .. pa .. " " .. pb)
    assert.truthy(k.wait_for(function() return k.kernel_tunnels("l2a") == "" and k.kernel_tunnels("l2b") == "" end,
      10), k.kernel_tunnels("l2a") .. k.kernel_tunnels("l2b"))
  end)

  for _, fam in ipairs{ families[1], families[4] } do
    it("over " .. fam.name .. ": a PPP pseudowire runs pppd on a PPPoL2TPv3 socket at each end; ppp up, ping across",
      function()
      k.script("lns", "l2b", ([[
local ctx = assert(l2tp.context{ dataplane = "netlink", log_level = "info" })
ctx:on("session_up", function(e) put(".ready", e.session_config.pseudowire) end)
assert(ctx:listen("lns", { ["local"] = %q, encap = %q, version = "l2tpv3",
  on_call = function() return { pppd = { "noauth", "nodefaultroute", "noccp", "lcp-echo-interval", "0",
    "10.203.0.1:10.203.0.10" } } end }))
put(".listening", "")
]]):format(fam.lns, fam.encap))
      assert.truthy(k.wait_for(function() return k.read(k.dir .. "/lns.listening") end, 10), k.log("lns"))
      k.script("lac", "l2a", ([[
local ctx = assert(l2tp.context{ dataplane = "netlink", log_level = "info" })
local t = assert(ctx:dynamic_tunnel("t", { version = "l2tpv3", encap = %q, peer = %q }))
t:session("ppp", { pseudowire = "ppp", pppd = { "noauth", "nodefaultroute", "noipdefault", "ipcp-accept-local",
  "ipcp-accept-remote", "noccp", "lcp-echo-interval", "0" } })
]]):format(fam.encap, fam.peer))
      local function logs() return "--- lns:\n" .. k.log("lns") .. "\n--- lac:\n" .. k.log("lac") end
      assert.truthy(k.wait_for(function()
        local _, out = k.ns("l2b", "ip -4 addr show")
        return out:match("inet 10%.203%.0%.1 peer")
      end, 30), logs())
      assert.truthy(k.wait_for(function()
        local _, out = k.ns("l2a", "ip -4 addr show")
        return out:match("inet 10%.203%.0%.10 peer")
      end, 30), logs())
      assert.equal("ppp", k.read(k.dir .. "/lns.ready"))
      -- 32-bit IDs and cookies both ways, as the control plane agreed
      local _, sess = k.ns("l2a", "ip l2tp show session")
      assert.matches("peer cookie", sess)
      local rc, out = k.ping("l2a", "10.203.0.1", 3)
      assert.equal(0, rc, out .. logs())
    end)
  end
end)
