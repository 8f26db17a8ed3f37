-- Our LAC against a real xl2tpd LNS (Debian's) on loopback, null data
-- plane: the call reaches session up; xl2tpd's pppd cannot start here, so
-- xl2tpd then disconnects the call with a CDN, which we report.
local h = require "spec.support.helpers"
local l2tp = h.l2tp

local function skip(why)
  io.stderr:write("SKIPPED: " .. why .. "\n")
  pending("SKIPPED: " .. why)
end

describe("interop: our LAC and xl2tpd's LNS", function()
  it("reaches session up, then reports xl2tpd's CDN", function()
    if h.sh("command -v xl2tpd") ~= 0 then return skip("xl2tpd is not installed (apt-get install xl2tpd)") end
    local dir = os.tmpname()
    os.remove(dir)
    os.execute("mkdir -p " .. dir)
    local port = h.free_port()
    local f = assert(io.open(dir .. "/lns.conf", "w"))
    f:write(([[
[global]
port = %d
listen-addr = 127.0.0.1
[lns default]
ip range = 10.99.0.10-10.99.0.20
local ip = 10.99.0.1
hostname = xl2tpd-lns
require authentication = no
length bit = yes
]]):format(port))
    f:close()
    local pidf = io.popen(("xl2tpd -D -c %s/lns.conf -p %s/pid -C %s/ctl >%s/log 2>&1 & echo $!"):format(dir, dir, dir, dir))
    local pid = pidf:read("*l")
    pidf:close()
    os.execute("sleep 0.5")

    local ctx = l2tp.context{ log_level = "error" }
    local events = {}
    for _, name in ipairs{ "tunnel_up", "tunnel_down", "session_up", "session_down" } do
      ctx:on(name, function(e) events[#events + 1] = e end)
    end
    local t = ctx:dynamic_tunnel("x", { peer = "127.0.0.1:" .. port, host_name = "our-lac" })
    local s = t:session("call", {})
    local function seen(name) for _, e in ipairs(events) do if e.event == name then return e end end end
    h.run_until(function() return seen("session_down") end, 10)
    os.execute("kill " .. pid .. " 2>/dev/null")
    local log = io.open(dir .. "/log"):read("*a")
    ctx:close()
    l2tp.run(0.1)
    os.execute("rm -rf " .. dir)

    assert.truthy(seen("tunnel_up"), log)
    local up = seen("session_up")
    assert.truthy(up, log)
    assert.is_true(up.session_config.psid > 0)
    local down = seen("session_down")
    assert.truthy(down, log)
    assert.is_true(down.established)
    io.stderr:write("xl2tpd interop: session_down reason: " .. down.reason .. "\n")
    assert.matches("^peer sent CDN: result %d+", down.reason)
    assert.is_number(down.result_code)
    assert.matches("Call established with 127.0.0.1", log)
  end)
end)

describe("interop: xl2tpd's LAC and our LNS", function()
  it("reaches session up", function()
    if h.sh("command -v xl2tpd") ~= 0 then return skip("xl2tpd is not installed (apt-get install xl2tpd)") end
    local ctx = l2tp.context{ log_level = "error" }
    local events, calls = {}, 0
    for _, name in ipairs{ "tunnel_up", "tunnel_down", "session_up", "session_down" } do
      ctx:on(name, function(e) events[#events + 1] = e end)
    end
    local l = assert(ctx:listen("lns", { ["local"] = "127.0.0.1:0", on_call = function() calls = calls + 1; return true end }))
    local dir = os.tmpname()
    os.remove(dir)
    os.execute("mkdir -p " .. dir)
    local f = assert(io.open(dir .. "/lac.conf", "w"))
    f:write(([[
[global]
port = %d
listen-addr = 127.0.0.1
[lac ours]
lns = %s
hostname = xl2tpd-lac
autodial = yes
redial = no
length bit = yes
]]):format(h.free_port(), l:address()))
    f:close()
    local pidf = io.popen(("xl2tpd -D -c %s/lac.conf -p %s/pid -C %s/ctl >%s/log 2>&1 & echo $!"):format(dir, dir, dir, dir))
    local pid = pidf:read("*l")
    pidf:close()
    local function seen(name) for _, e in ipairs(events) do if e.event == name then return e end end end
    h.run_until(function() return seen("session_up") end, 10)
    os.execute("kill " .. pid .. " 2>/dev/null")
    local log = io.open(dir .. "/log"):read("*a")
    local up, tup = seen("session_up"), seen("tunnel_up")
    ctx:close()
    l2tp.run(0.1)
    os.execute("rm -rf " .. dir)
    assert.truthy(tup, log)
    assert.equal("accepted", tup.kind)
    assert.truthy(up, log)
    assert.equal(1, calls)
    io.stderr:write("xl2tpd LAC interop: session " .. up.tunnel_name .. "/" .. up.session_name .. " up, peer session "
      .. up.session_config.psid .. "\n")
  end)
end)
