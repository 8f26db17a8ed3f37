-- Our LAC with pppd (namespace l2a) against xl2tpd's LNS with pppd
-- (namespace l2b), on Debian's kernel in the VM.
local k = require "spec.kernel.support"

local dir, write = k.dir, k.write

describe("LAC on the kernel", function()
  before_each(function() k.setup() end)
  after_each(function()
    os.execute("pkill xl2tpd; pkill pppd; sleep 0.3")
    k.teardown()
  end)

  local function bring_up()
    write(dir .. "/xl2tpd.conf", [[
[global]
listen-addr = 10.200.0.2
port = 1701
[lns default]
ip range = 10.201.0.10-10.201.0.20
local ip = 10.201.0.1
require authentication = no
hostname = xlns
pppoptfile = /tmp/l2tp-kernel-spec/lns.options
length bit = yes
]])
    write(dir .. "/lns.options", "noauth\nnodefaultroute\nnoccp\nlcp-echo-interval 0\n")
    k.ns("l2b", "sh -c 'xl2tpd -D -c " .. dir .. "/xl2tpd.conf -p " .. dir .. "/xl2tpd.pid -C "
      .. dir .. "/xl2tpd.ctl >" .. dir .. "/xl2tpd.log 2>&1 & echo started'")
    os.execute("sleep 0.5")
    write(dir .. "/lac.lua", [[
local l2tp = require "l2tp"
local dir = "/tmp/l2tp-kernel-spec"
local base = dir .. "/"
]] .. k.PUT .. [[

local ctx = assert(l2tp.context{ dataplane = "netlink", log_level = "info" })
local t = ctx:dynamic_tunnel("lac", { peer = "10.200.0.2:1701", host_name = "our-lac" })
t:session("call", { pppd = { "noauth", "nodefaultroute", "noipdefault", "ipcp-accept-local",
  "ipcp-accept-remote", "noccp", "lcp-echo-interval", "0" } })
ctx:on("session_up", function(e) put("lac.up", tostring(t:config().tid)) end)
ctx:on("session_down", function(e)
  if e.stats then
    put("lac.stats", string.format("%d %d %d %d %.3f", e.stats.tx_packets, e.stats.rx_packets, e.stats.tx_bytes,
      e.stats.rx_bytes, e.duration))
  end
  put("lac.down", e.reason)
end)
l2tp.every(0.1, function()
  if io.open(dir .. "/lac.close") then t:close("test done"); put("lac.closed", "1"); l2tp.stop() end
end)
]])
    local p = io.popen("ip netns exec l2a " .. k.l2tp_run .. " " .. dir .. "/lac.lua >" .. dir .. "/lac.log 2>&1 & echo $!")
    local pid = p:read("*l")
    p:close()
    local tid = k.wait_for(function() return k.read(dir .. "/lac.up") end, 20)
    assert.truthy(tid, "session up: " .. (k.read(dir .. "/lac.log") or "") .. (k.read(dir .. "/xl2tpd.log") or ""))
    local ours = k.wait_for(function()
      local _, out = k.ns("l2a", "ip -4 addr show dev ppp0")
      return out:match("inet 10%.201%.0%.%d+") and out
    end, 20)
    assert.truthy(ours, "our ppp0: " .. (k.read(dir .. "/lac.log") or ""))
    local pppd_pid = k.wait_for(function() return (k.read(dir .. "/lac.log") or ""):match("pppd started, pid (%d+)") end, 5)
    assert.truthy(pppd_pid)
    return pid, ours, pppd_pid
  end

  it("when our pppd exits, sends a CDN, reports the session down and removes it from the kernel", function()
    local _, _, pppd_pid = bring_up()
    k.must("kill -TERM " .. pppd_pid)
    local reason = k.wait_for(function() return k.read(dir .. "/lac.down") end, 10)
    assert.matches("^pppd ", reason or "")
    io.stderr:write("after killing pppd: session_down reason: " .. reason .. "\n")
    -- pppd went first, and still the counters were read before its socket closed
    local acct = k.read(dir .. "/lac.stats")
    assert.truthy(acct, "session_down had no stats: " .. (k.read(dir .. "/lac.log") or ""))
    local txp, rxp = acct:match("^(%d+) (%d+) ")
    assert.truthy(tonumber(txp) >= 1 and tonumber(rxp) >= 1, "counters: " .. acct)
    assert.truthy(k.wait_for(function() local _, o = k.ns("l2a", "ip l2tp show session"); return o == "" end, 5))
    assert.truthy(k.wait_for(function()
      -- xl2tpd logs the message of the CDN it received
      return (k.read(dir .. "/xl2tpd.log") or ""):match("Connection closed to 10%.200%.0%.1, serial %d+ %(pppd ")
    end, 5), "xl2tpd got our CDN: " .. (k.read(dir .. "/xl2tpd.log") or ""))
    write(dir .. "/lac.close", "1")
  end)

  it("brings ppp0 up on both sides against xl2tpd, pings across, and leaves nothing behind when closed", function()
    local pid, ours, pppd_pid = bring_up()
    local theirs = k.wait_for(function()
      local _, out = k.ns("l2b", "ip -4 addr show")
      return out:match("inet 10%.201%.0%.1 ") and out
    end, 10)
    assert.truthy(theirs, "xl2tpd's ppp: " .. (k.read(dir .. "/xl2tpd.log") or ""))
    local rc, out = k.ping("l2a", "10.201.0.1", 3)
    assert.equal(0, rc, out)
    io.stderr:write("LAC ppp0: " .. ours:match("inet [^\n]*") .. "\n" .. out:match("%d+ packets transmitted[^\n]*") .. "\n")

    -- closing the tunnel from Lua leaves no kernel tunnel, session or pppd
    write(dir .. "/lac.close", "1")
    assert.truthy(k.wait_for(function() return k.read(dir .. "/lac.closed") end, 10))
    -- session_down carries the kernel session's last counters: PPP's
    -- negotiation and the pings went through it both ways
    local acct = k.wait_for(function() return k.read(dir .. "/lac.stats") end, 10)
    assert.truthy(acct, "session_down had no stats: " .. (k.read(dir .. "/lac.log") or ""))
    local txp, rxp, txb, rxb, dur = acct:match("^(%d+) (%d+) (%d+) (%d+) ([%d.]+)$")
    assert.truthy(tonumber(txp) >= 3 and tonumber(rxp) >= 3, "counters: " .. acct)
    assert.truthy(tonumber(txb) > tonumber(txp) and tonumber(rxb) > tonumber(rxp), "bytes: " .. acct)
    assert.truthy(tonumber(dur) > 0, "duration: " .. acct)
    io.stderr:write("session_down accounting (tx_packets rx_packets tx_bytes rx_bytes duration): " .. acct .. "\n")
    assert.truthy(k.wait_for(function() return k.kernel_tunnels("l2a") == "" end, 10), k.kernel_tunnels("l2a"))
    local _, sessions = k.ns("l2a", "ip l2tp show session")
    assert.equal("", sessions)
    assert.truthy(k.wait_for(function() return os.execute("kill -0 " .. pppd_pid .. " 2>/dev/null") ~= 0 end, 10),
      "our pppd is gone")
    -- and the runtime itself exits once pppd is reaped
    assert.truthy(k.wait_for(function() return os.execute("kill -0 " .. pid .. " 2>/dev/null") ~= 0 end, 10))
    local _, zombies = k.sh("ps -eo stat,comm | awk '$1 ~ /^Z/'")
    assert.equal("", zombies)
  end)
end)
