-- The PPPoE access concentrator on Debian's kernel: pppd with its
-- rp-pppoe plugin as the subscriber (namespace psub), our AC and LAC
-- (namespace plac, ctx:pppoe on the netlink data plane: each PPPoE session
-- bridged to its L2TP call with PPPIOCBRIDGECHAN, no pppd), and an LNS
-- with pppd (namespace plns): ours, then xl2tpd's.
local k = require "spec.kernel.support"

local dir, write, read = k.dir, k.write, k.read

local function setup()
  os.execute("pkill -f 'rp-pppoe[.]so'; pkill xl2tpd; pkill pppd; sleep 0.2")
  for _, ns in ipairs{ "psub", "plac", "plns" } do os.execute("ip netns del " .. ns .. " >/dev/null 2>&1") end
  k.teardown()
  os.execute("mkdir -p " .. dir)
  k.must("ip netns add psub && ip netns add plac && ip netns add plns")
  k.must("ip link add s0 netns psub type veth peer name a0 netns plac")
  k.must("ip link add l0 netns plac type veth peer name n0 netns plns")
  for _, ns in ipairs{ "psub", "plac", "plns" } do k.must("ip -n " .. ns .. " link set lo up") end
  k.must("ip -n psub link set s0 up && ip -n plac link set a0 up")
  -- room for 1500-byte PPP payloads (RFC 4638): 8 more on the PPPoE side,
  -- and the L2TP leg carries them whole
  k.must("ip -n psub link set s0 mtu 1508 && ip -n plac link set a0 mtu 1508")
  k.must("ip -n plac link set l0 mtu 1600 && ip -n plns link set n0 mtu 1600")
  k.addr("plac", "l0", "10.210.0.1/24")
  k.addr("plns", "n0", "10.210.0.2/24")
end

local function teardown()
  os.execute("pkill -f 'rp-pppoe[.]so'; pkill xl2tpd; pkill pppd; sleep 0.3")
  for _, ns in ipairs{ "psub", "plac", "plns" } do os.execute("ip netns del " .. ns .. " >/dev/null 2>&1") end
  k.teardown()
end

-- Our AC and LAC: every session to the LNS at 10.210.0.2.
local function start_ac()
  k.script("ac", "plac", [[
local ctx = assert(l2tp.context{ dataplane = "netlink", log_level = "info" })
local ac = assert(ctx:pppoe{ interface = "a0", ac_name = "vm-ac",
  on_session = function(req) return { name = "lns", peer = "10.210.0.2:1701", host_name = "vm-lac" } end })
put(".ready", ac:mac())
ctx:on("session_up", function(e) put(".up", e.session_name) end)
ctx:on("session_down", function(e) put(".down", e.reason) end)
ctx:on("tunnel_down", function(e) put(".tunnel_down", e.reason) end)
l2tp.every(0.1, function()
  local st = ac:stats()
  put(".stats", ("padt_in=%d padt_out=%d sessions=%d"):format(st.padt_in, st.padt_out, st.sessions))
end)
]])
  assert.truthy(k.wait_for(function() return read(dir .. "/ac.ready") end, 20), k.log("ac"))
end

-- mtu and mru over 1492: the plugin asks for them with PPP-Max-Payload,
-- and keeps to 1492 unless the AC's PADO and PADS grant them.
local function start_subscriber()
  k.ns("psub", "sh -c 'pppd plugin rp-pppoe.so nic-s0 noauth nodefaultroute noipdefault ipcp-accept-local "
    .. "ipcp-accept-remote noccp lcp-echo-interval 0 mtu 1500 mru 1500 nodetach debug >" .. dir .. "/sub.log 2>&1 &'")
end

-- The subscriber's ppp0 has its address from the LNS pool: returns it.
local function subscriber_address(who)
  local got = k.wait_for(function()
    local _, out = k.ns("psub", "ip -4 addr show dev ppp0")
    return out:match("inet (10%.211%.0%.%d+)")
  end, 40)
  assert.truthy(got, "subscriber ppp0 (" .. who .. "): " .. (read(dir .. "/sub.log") or "") .. "\n--- ac:\n"
    .. k.log("ac") .. "\n--- lns:\n" .. k.log(who))
  return got
end

local function ac_stats()
  local t = {}
  for key, v in (read(dir .. "/ac.stats") or ""):gmatch("(%w[%w_]*)=(%d+)") do t[key] = tonumber(v) end
  return t
end

-- Nothing of the call is left on the LAC: no kernel tunnel or session,
-- no PPPoE socket, no ppp unit.
local function lac_is_clean()
  local function empty(cmd)
    local _, out = k.ns("plac", cmd)
    return out:gsub("%s+", "") == "" and true or nil, out
  end
  local ok = k.wait_for(function()
    return empty("ip l2tp show session") and empty("ip l2tp show tunnel")
      and empty("sh -c 'tail -n +2 /proc/net/pppoe'") and empty("ip -o link show type ppp")
  end, 15)
  local _, s = k.ns("plac", "ip l2tp show session")
  local _, t = k.ns("plac", "ip l2tp show tunnel")
  local _, p = k.ns("plac", "cat /proc/net/pppoe")
  assert.truthy(ok, ("left on the LAC:\nsessions: %s\ntunnels: %s\npppoe: %s\n--- ac:\n%s"):format(s, t, p, k.log("ac")))
end

describe("PPPoE access concentrator on the kernel", function()
  before_each(setup)
  after_each(teardown)

  it("bridges pppd's PPPoE session to our LNS, pings across, and PADT leaves nothing behind", function()
    k.script("lns", "plns", [[
local n = 0
local ctx = assert(l2tp.context{ dataplane = "netlink", log_level = "info" })
assert(ctx:listen("lns", { ["local"] = "10.210.0.2:1701", on_call = function(call)
  n = n + 1
  put(".calling", call.calling_number)
  return { pppd = { "noauth", "nodefaultroute", "noccp", "lcp-echo-interval", "0", "10.211.0.1:10.211.0." .. (9 + n) } }
end }))
put(".listening", "1")
]])
    assert.truthy(k.wait_for(function() return read(dir .. "/lns.listening") end, 20), k.log("lns"))
    start_ac()
    start_subscriber()
    local addr = subscriber_address("lns")
    assert.equal("10.211.0.10", addr)
    local rc, out = k.ping("psub", "10.211.0.1", 3)
    assert.equal(0, rc, "ping across: " .. out)
    -- RFC 4638: 1500-byte PPP payloads, granted by the AC, negotiated with
    -- the LNS's pppd, and carried whole through the bridge
    local _, link = k.ns("psub", "ip -o link show ppp0")
    assert.matches(" mtu 1500 ", link)
    rc, out = k.ns("psub", "ping -c 2 -i 0.2 -W 2 -s 1472 -M do 10.211.0.1")
    assert.equal(0, rc, "1500-byte ping across: " .. out)
    -- the LAC bridged, never ran pppd: no ppp unit there
    local _, units = k.ns("plac", "ip -o link show type ppp")
    assert.equal("", units)
    assert.matches("bridged to the call", k.log("ac"))
    -- the LNS saw the subscriber's MAC as the Calling Number
    local _, mac = k.ns("psub", "cat /sys/class/net/s0/address")
    assert.equal(mac:gsub("%s", ""), read(dir .. "/lns.calling"))

    -- the subscriber hangs up: LCP Terminate-Request through the bridge,
    -- then its PADT. The LNS's pppd ends on the first and its CDN may
    -- come before the PADT: the call ends for either, and the PADT is
    -- heard all the same.
    k.must("pkill -TERM -f 'rp-pppoe[.]so'")
    local down = k.wait_for(function() return read(dir .. "/ac.down") end, 15)
    assert.truthy(down, k.log("ac"))
    io.stderr:write("pppoe: the subscriber hung up; the call ended: " .. down .. "\n")
    assert.truthy(down == "PADT from the subscriber" or down:match("^peer sent CDN"), down)
    -- and the PPPoE session ended with a PADT: the subscriber's, or ours
    -- when the CDN came first
    assert.truthy(k.wait_for(function()
      local st = ac_stats()
      return (st.padt_in or 0) + (st.padt_out or 0) >= 1
    end, 15), k.log("ac"))
    assert.equal(0, ac_stats().sessions)
    lac_is_clean()
    -- the kernel session went in its turn: deleted, then its socket closed
    assert.is_nil(k.log("ac"):find("data plane delete failed"), k.log("ac"))
  end)

  it("bridges to xl2tpd's LNS, and its CDN sends the subscriber a PADT and leaves nothing behind", function()
    write(dir .. "/lns.options", "noauth\nnodefaultroute\nnoccp\nlcp-echo-interval 0\n")
    write(dir .. "/xlns.conf", ([[
[global]
listen-addr = 10.210.0.2
port = 1701
[lns default]
ip range = 10.211.0.10-10.211.0.20
local ip = 10.211.0.1
require authentication = no
hostname = xlns
pppoptfile = %s/lns.options
length bit = yes
]]):format(dir))
    k.ns("plns", ("sh -c 'xl2tpd -D -c %s/xlns.conf -p %s/xlns.pid -C %s/xlns.ctl >%s/xlns.log 2>&1 &'"):format(dir,
      dir, dir, dir))
    assert.truthy(k.wait_for(function() return k.log("xlns"):find("Listening on IP address") end, 20), k.log("xlns"))
    start_ac()
    start_subscriber()
    subscriber_address("xlns")
    local rc, out = k.ping("psub", "10.211.0.1", 3)
    assert.equal(0, rc, "ping across: " .. out)

    -- the LNS's pppd dies without a word (SIGKILL: no LCP Terminate):
    -- xl2tpd hangs the call up (CDN), and only our PADT tells the
    -- subscriber, whose pppd then ends
    k.must("pkill -KILL -f 'file " .. dir .. "/lns[.]options'")
    local down = k.wait_for(function() return read(dir .. "/ac.down") end, 15)
    assert.truthy(down, k.log("ac") .. k.log("xlns"))
    assert.matches("^peer sent CDN", down)
    assert.truthy(k.wait_for(function() return ac_stats().padt_out == 1 end, 5), k.log("ac"))
    assert.truthy(k.wait_for(function() return k.sh("pgrep -f 'rp-pppoe[.]so'") ~= 0 end, 20),
      "subscriber pppd still running: " .. (read(dir .. "/sub.log") or ""))
    lac_is_clean()
  end)
end)
