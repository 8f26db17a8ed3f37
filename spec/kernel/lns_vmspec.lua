-- Our LNS with pppd (namespace l2a) on Debian's kernel, against xl2tpd's
-- LAC with pppd and against our own LAC (namespace l2b).
local k = require "spec.kernel.support"

local dir, write = k.dir, k.write

local function start_lns()
  write(dir .. "/lns.lua", [[
local l2tp = require "l2tp"
local ctx = assert(l2tp.context{ dataplane = "netlink", log_level = "info" })
assert(ctx:listen("lns", { ["local"] = "10.200.0.1:1701",
  on_call = function() return { pppd = { "noauth", "nodefaultroute", "noccp", "lcp-echo-interval", "0",
    "10.202.0.1:10.202.0.10" } } end }))
ctx:on("session_up", function() local f = io.open("/tmp/l2tp-kernel-spec/lns.up", "w"); f:write("1"); f:close() end)
]])
  local p = io.popen("ip netns exec l2a " .. k.l2tp_run .. " " .. dir .. "/lns.lua >" .. dir .. "/lns.log 2>&1 & echo $!")
  local pid = p:read("*l")
  p:close()
  os.execute("sleep 0.5")
  return pid
end

local function both_ppp_up()
  local ours = k.wait_for(function()
    local _, out = k.ns("l2a", "ip -4 addr show")
    return out:match("inet 10%.202%.0%.1 peer") and out
  end, 20)
  local theirs = k.wait_for(function()
    local _, out = k.ns("l2b", "ip -4 addr show")
    return out:match("inet 10%.202%.0%.10 peer") and out
  end, 20)
  return ours, theirs
end

describe("LNS on the kernel", function()
  before_each(function()
    k.setup()
    os.execute("mkdir -p " .. dir)
  end)
  after_each(function()
    os.execute("pkill xl2tpd; pkill pppd; sleep 0.3")
    k.teardown()
  end)

  it("xl2tpd's LAC with pppd: ppp up on both sides, ping across", function()
    start_lns()
    write(dir .. "/lac.conf", [[
[global]
listen-addr = 10.200.0.2
port = 1701
[lac ours]
lns = 10.200.0.1
autodial = yes
redial = no
hostname = xl2tpd-lac
pppoptfile = /tmp/l2tp-kernel-spec/lac.options
length bit = yes
]])
    write(dir .. "/lac.options", "noauth\nnodefaultroute\nnoipdefault\nipcp-accept-local\nipcp-accept-remote\nnoccp\nlcp-echo-interval 0\n")
    k.ns("l2b", "sh -c 'xl2tpd -D -c " .. dir .. "/lac.conf -p " .. dir .. "/x.pid -C " .. dir .. "/x.ctl >"
      .. dir .. "/xl2tpd.log 2>&1 &'")
    local ours, theirs = both_ppp_up()
    assert.truthy(ours, "our ppp: " .. (k.read(dir .. "/lns.log") or ""))
    assert.truthy(theirs, "xl2tpd's ppp: " .. (k.read(dir .. "/xl2tpd.log") or ""))
    local rc, out = k.ping("l2b", "10.202.0.1", 3)
    assert.equal(0, rc, out)
    io.stderr:write("xl2tpd LAC -> our LNS: " .. out:match("%d+ packets transmitted[^\n]*") .. "\n")
  end)

  it("our LAC with pppd: ppp up on both sides, ping across", function()
    start_lns()
    write(dir .. "/ourlac.lua", [[
local l2tp = require "l2tp"
local ctx = assert(l2tp.context{ dataplane = "netlink", log_level = "info" })
local t = ctx:dynamic_tunnel("lac", { peer = "10.200.0.1:1701" })
t:session("call", { pppd = { "noauth", "nodefaultroute", "noipdefault", "ipcp-accept-local", "ipcp-accept-remote",
  "noccp", "lcp-echo-interval", "0" } })
]])
    k.ns("l2b", "sh -c '" .. k.l2tp_run .. " " .. dir .. "/ourlac.lua >" .. dir .. "/ourlac.log 2>&1 &'")
    local ours, theirs = both_ppp_up()
    assert.truthy(ours, "LNS ppp: " .. (k.read(dir .. "/lns.log") or ""))
    assert.truthy(theirs, "LAC ppp: " .. (k.read(dir .. "/ourlac.log") or ""))
    local rc, out = k.ping("l2b", "10.202.0.1", 3)
    assert.equal(0, rc, out)
    io.stderr:write("our LAC -> our LNS: " .. out:match("%d+ packets transmitted[^\n]*") .. "\n")
  end)
end)
