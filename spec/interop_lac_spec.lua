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
    local log = h.read_file(dir .. "/log")
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
    local log = h.read_file(dir .. "/log")
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

-- xl2tpd 1.3.18 and hidden AVPs (RFC 2661 section 4.3). Read in its source
-- (aaa.c, control.c) and seen here: it loads the tunnel secret from its
-- auth file only in handle_challenge, which runs after it has parsed an
-- SCCRQ or SCCRP, and only when the peer challenged it. So it decrypts a
-- hidden AVP in an SCCRQ or SCCRP, and any hidden AVP from a peer that did
-- not challenge it, with an empty secret: "decrypt_avp: Decrypted length
-- is too long", StopCCN "Invalid Hidden AVP". (It never hides AVPs
-- itself: "hidden bit = yes" only adds Random Vectors.) With
-- hide_tunnel_id = false and a challenge (our LNS always challenges when
-- it has a secret; our LAC needs challenge = true) the call's hidden
-- Assigned Session ID goes through.
describe("interop: hidden AVPs with xl2tpd", function()
  local dir, pid
  before_each(function()
    dir = h.tmp_path(".xl2tpd")
    os.execute("mkdir -p " .. dir)
    h.write_file(dir .. "/secrets", "* * wire\n")
  end)
  after_each(function()
    if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
    pid = nil
    os.execute("rm -rf " .. dir)
  end)

  local function xl2tpd(section)
    local port = h.free_port()
    h.write_file(dir .. "/x.conf", ("[global]\nport = %d\nlisten-addr = 127.0.0.1\nauth file = %s/secrets\n%s")
      :format(port, dir, section))
    local p = io.popen(("xl2tpd -D -c %s/x.conf -p %s/pid -C %s/ctl >%s/log 2>&1 & echo $!"):format(dir, dir, dir, dir))
    pid = p:read("*l")
    p:close()
    return port
  end
  local function log() return h.read_file(dir .. "/log") end

  local function lac_call(over)
    local ctx = l2tp.context{ log_level = "error" }
    local r = h.recorder(ctx)
    local port = xl2tpd("[lns default]\nip range = 10.99.0.10-10.99.0.20\nlocal ip = 10.99.0.1\nhostname = xl2tpd-lns\n"
      .. "require authentication = no\nlength bit = yes\n")
    h.run_until(function() return log():match("Listening") end, 5)
    local cfg = { peer = "127.0.0.1:" .. port, host_name = "our-lac", secret = "wire", hide_avps = true,
      setup_timeout = 3000 }
    for k, v in pairs(over) do cfg[k] = v end
    ctx:dynamic_tunnel("x", cfg):session("call", {})
    h.run_until(function() return r.n("session_up") > 0 or r.n("tunnel_down") > 0 end, 10)
    ctx:close()
    l2tp.run(0.1)
    return r, log()
  end

  it("our LAC: hiding the call's IDs works once we challenge xl2tpd; its tunnel ID in the SCCRQ never does", function()
    if h.sh("command -v xl2tpd") ~= 0 then return skip("xl2tpd is not installed (apt-get install xl2tpd)") end
    local r, xlog = lac_call{ hide_tunnel_id = false, challenge = true }
    assert.equal(1, r.n("session_up"), xlog)
    assert.matches("Call established with 127%.0%.0%.1", xlog)
    -- the peer's limits, shown: a hidden Assigned Tunnel ID in the SCCRQ
    os.execute("kill " .. pid .. "; sleep 0.2")
    r, xlog = lac_call{ challenge = true }
    assert.equal(0, r.n("session_up"))
    assert.matches("decrypt_avp: Decrypted length is too long", xlog)
    assert.matches("Invalid Hidden AVP", xlog)
    -- and a hidden Assigned Session ID when xl2tpd was not challenged
    os.execute("kill " .. pid .. "; sleep 0.2")
    r, xlog = lac_call{ hide_tunnel_id = false }
    assert.equal(0, r.n("session_up"))
    assert.matches("Invalid Hidden AVP", xlog)
  end)

  it("our LNS: xl2tpd's LAC takes the call's hidden IDs (our LNS challenges it), not a hidden SCCRP", function()
    if h.sh("command -v xl2tpd") ~= 0 then return skip("xl2tpd is not installed (apt-get install xl2tpd)") end
    local function dial(hide_tunnel_id)
      local ctx = l2tp.context{ log_level = "error" }
      local r = h.recorder(ctx)
      local l = assert(ctx:listen("lns", { ["local"] = "127.0.0.1:0", secret = "wire", hide_avps = true,
        hide_tunnel_id = hide_tunnel_id, on_call = function() return true end }))
      xl2tpd(("[lac ours]\nlns = %s\nhostname = xl2tpd-lac\nautodial = yes\nredial = no\nlength bit = yes\n")
        :format(l:address()))
      h.run_until(function() return r.n("session_up") > 0 or log():match("Invalid Hidden AVP") end, 10)
      ctx:close()
      l2tp.run(0.1)
      os.execute("kill " .. pid .. "; sleep 0.2")
      return r, log()
    end
    local r, xlog = dial(false)
    assert.equal(1, r.n("session_up"), xlog)
    assert.matches("Call established with 127%.0%.0%.1", xlog)
    r, xlog = dial(true)
    assert.equal(0, r.n("session_up"))
    assert.matches("decrypt_avp: Decrypted length is too long", xlog)
  end)
end)

-- Debian's l2tpns as the LNS, in a network namespace of its own (it binds
-- port 1701 of its address and makes a tun device), with our LAC beside it
-- in an l2tp-run process, null data plane. l2tpns offers a window of 4 and
-- drops any message whose Ns is not the one it expects, a ZLB too, and the
-- Nr in it: with calls queued behind that window, our acks must carry the
-- Ns of the first message still waiting, not the next one to be queued.
describe("interop: our LAC and l2tpns's LNS", function()
  local NS = "l2tp-l2tpns-spec"
  local cleanups
  before_each(function() cleanups = {} end)
  after_each(function()
    for i = #cleanups, 1, -1 do cleanups[i]() end
  end)

  it("brings 5 tunnels of 40 calls up through its window of 4, no message of ours out of sequence", function()
    if h.sh("[ $(id -u) = 0 ]") ~= 0 then return skip("l2tpns needs root (a network namespace, a tun device)") end
    if h.sh("command -v l2tpns") ~= 0 then return skip("l2tpns is not installed (apt-get install l2tpns)") end
    if h.sh("[ -c /dev/net/tun ]") ~= 0 then return skip("no /dev/net/tun for l2tpns") end
    os.execute("ip netns del " .. NS .. " 2>/dev/null")
    assert.equal(0, h.sh("ip netns add " .. NS .. " && ip -n " .. NS .. " link set lo up"))
    cleanups[#cleanups + 1] = function() os.execute("ip netns del " .. NS .. " 2>/dev/null") end
    local dir = h.tmp_path(".l2tpns")
    os.execute("mkdir -p " .. dir)
    cleanups[#cleanups + 1] = function() os.execute("rm -rf " .. dir) end
    -- debug 1: it logs each message it drops as "Out of sequence"
    h.write_file(dir .. "/l2tpns.conf", "set debug 1\nset bind_address 127.0.0.1\nset cluster_interface lo\n"
      .. "set cluster_hb_timeout 31\nset cli_bind_address 127.0.0.1\n")
    -- in a session of its own: on exit it signals its whole process group
    os.execute(("ip netns exec %s setsid l2tpns -c %s/l2tpns.conf >%s/log 2>&1 &"):format(NS, dir, dir))
    cleanups[#cleanups + 1] = function() os.execute("pkill -f 'l2tpns -c " .. dir .. "/'") end
    local function log(name) return h.read_file(dir .. "/" .. (name or "log")) end
    -- it answers nothing until it has elected itself its cluster's master
    assert.is_true(h.run_until(function() return log():find("declaring myself the master") ~= nil end, 30), log())

    local script = h.write_script([[
local l2tp = require "l2tp"
local ctx = l2tp.context{ log_level = "error" }
local up, all = 0, {}
ctx:on("session_up", function() up = up + 1 end)
ctx:on("tunnel_down", function(e) print("tunnel down: " .. e.reason) end)
for i = 1, 5 do
  all[i] = assert(ctx:dynamic_tunnel("t" .. i, { peer = "127.0.0.1:1701", ["local"] = "127.0.0.2:0" }))
  for j = 1, 40 do all[i]:session("c" .. j, {}) end
end
-- done once every call is up and l2tpns has acknowledged every message
l2tp.every(0.01, function(timer)
  if up < 200 then return end
  local retransmits = 0
  for _, t in ipairs(all) do
    local st = t:stats()
    if st.in_flight ~= 0 or st.queued ~= 0 then return end
    retransmits = retransmits + st.tx_retransmits
  end
  print(("acked: %d calls up, %d retransmissions"):format(up, retransmits))
  io.stdout:flush()
  timer:cancel()
  ctx:close()
  l2tp.stop()
end)
]])
    cleanups[#cleanups + 1] = function() os.remove(script) end
    os.execute(("ip netns exec %s timeout 120 %s %s >%s/lac 2>&1 &"):format(NS, h.l2tp_run, script, dir))
    cleanups[#cleanups + 1] = function() os.execute("pkill -f '" .. script .. "'") end
    assert.is_true(h.run_until(function() return log("lac"):find("acked") ~= nil end, 120), log("lac"))
    assert.matches("acked: 200 calls up", log("lac"))
    io.stderr:write("l2tpns interop: " .. log("lac"):match("acked: ([^\n]*)") .. "\n")
    local l2tpns = log()
    assert.equal(5, select(2, l2tpns:gsub("New tunnel from 127%.0%.0%.2", "")))
    assert.is_nil(l2tpns:match("[^\n]*Out of sequence[^\n]*"))
  end)
end)
