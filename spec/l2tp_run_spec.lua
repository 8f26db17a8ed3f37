local h = require "spec.support.helpers"

local RUN = h.l2tp_run
local l2tp = h.l2tp

describe("l2tp-run", function()
  it("--help documents usage and exit codes", function()
    local code, out = h.sh(RUN .. " --help")
    assert.equal(0, code)
    assert.matches("usage: l2tp%-run %[options%] SCRIPT %[ARGS%.%.%.%]", out)
    assert.matches("exit status:", out)
    assert.matches("1  the script failed to load or raised an error", out)
    assert.matches("%-%-log%-level", out)
  end)

  it("--version prints the version", function()
    local code, out = h.sh(RUN .. " --version")
    assert.equal(0, code)
    assert.matches("^l2tp%-run %d+%.%d+%.%d+", out)
  end)

  it("exits 2 on a bad command line", function()
    local code, _, err = h.sh(RUN)
    assert.equal(2, code)
    assert.matches("no script given", err)
    code, _, err = h.sh(RUN .. " --log-level loud x.lua")
    assert.equal(2, code)
    assert.matches("log level 'loud' is not valid %(accepted: error, warn, info, debug, trace%)", err)
  end)

  it("passes arguments in arg and ...", function()
    local p = h.write_script([[print(arg[0] ~= nil, arg[1], arg[2], select('#', ...), (...))]])
    local code, out = h.sh(RUN .. " " .. p .. " one two")
    os.remove(p)
    assert.equal(0, code)
    assert.equal("true\tone\ttwo\t2\tone\n", out)
  end)

  it("exits 1 with file:line: message when the script raises", function()
    local p = h.write_script("local x = 1\nerror('it broke')\n")
    local code, _, err = h.sh(RUN .. " " .. p)
    os.remove(p)
    assert.equal(1, code)
    assert.equal(p .. ":2: it broke\n", err)
  end)

  it("exits 1 when the script does not parse", function()
    local p = h.write_script("local = 1\n")
    local code, _, err = h.sh(RUN .. " " .. p)
    os.remove(p)
    assert.equal(1, code)
    assert.matches(p:gsub("%p", "%%%0") .. ":1:", err)
  end)

  it("exits 1 naming the key when a config key has a typo", function()
    local p = h.write_script([[
local l2tp = require "l2tp"
local ctx = l2tp.context()
ctx:static_tunnel("t1", { ["local"] = "127.0.0.1:5000", peer = "127.0.0.1:5001",
  tid = 1, ptid = 2, windw_size = 8 })
]])
    local code, _, err = h.sh(RUN .. " " .. p)
    os.remove(p)
    assert.equal(1, code)
    assert.matches("^" .. p:gsub("%p", "%%%0") .. ":3: tunnel 't1': unknown key 'windw_size' %(accepted: ", err)
  end)

  it("runs the loop until nothing is left, then exits 0", function()
    local p = h.write_script([[
local l2tp = require "l2tp"
l2tp.timer(0.05, function() print("timer") end)
print("script done")
]])
    local code, out = h.sh(RUN .. " " .. p)
    os.remove(p)
    assert.equal(0, code)
    assert.equal("script done\ntimer\n", out)
  end)

  it("l2tp.stop(code) ends the loop with that exit code", function()
    local p = h.write_script([[
local l2tp = require "l2tp"
local ctx = l2tp.context()
l2tp.timer(0.02, function() l2tp.stop(7) end)
]])
    local code = h.sh(RUN .. " " .. p)
    os.remove(p)
    assert.equal(7, code)
  end)

  it("l2tp.log writes formatted lines at or above the log level", function()
    local p = h.write_script([[
local l2tp = require "l2tp"
l2tp.log("info", "%s=%d", "x", 1)
l2tp.log("debug", "hidden")
]])
    local code, _, err = h.sh(RUN .. " " .. p)
    assert.equal(0, code)
    local stamp = "%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%d[+-]%d%d%d%d "
    assert.matches("^" .. stamp .. "info: x=1\n$", err)
    code, _, err = h.sh(RUN .. " -l debug " .. p)
    assert.matches("^" .. stamp .. "info: x=1\n" .. stamp .. "debug: hidden\n$", err)
    -- run by systemd, stderr is journald's stream: its priority prefix, no time
    local log = h.tmp_path(".log")
    h.write_file(log, "")
    local _, ino = h.sh("stat -c %d:%i " .. log)
    code = h.sh("sh -c 'JOURNAL_STREAM=" .. ino:gsub("%s", "") .. " " .. RUN .. " -l debug " .. p .. " 2>>" .. log .. "'")
    assert.equal(0, code)
    local f = assert(io.open(log))
    assert.equal("<6>x=1\n<7>hidden\n", f:read("*a"))
    f:close()
    os.remove(log)
    os.remove(p)
  end)

  it("--syslog names a syslog it cannot reach", function()
    local p = h.write_script("require 'l2tp'.log('info', 'x')")
    -- a mount namespace whose /dev has no log socket
    local code, _, err = h.sh("unshare -m sh -c 'mount -t tmpfs none /dev 2>/dev/null || exit 99; " .. RUN
      .. " --syslog " .. p .. "'")
    os.remove(p)
    if code == 99 or err:match("unshare") then
      return pending("SKIPPED: cannot make a mount namespace without /dev/log here")
    end
    assert.equal(2, code)
    assert.equal("l2tp-run: --syslog: cannot reach syslog at /dev/log: No such file or directory\n", err)
  end)

  it("on SIGTERM closes every context, delivers down events and exits 0", function()
    local p = h.write_script([[
local l2tp = require "l2tp"
local ctx = l2tp.context{ log_level = "error" }
ctx:on("tunnel_down", function(e) print("down " .. e.tunnel_name .. ": " .. e.reason) end)
ctx:on("session_down", function(e) print("down " .. e.session_name .. ": " .. e.reason) end)
local t = ctx:static_tunnel("t1", { ["local"] = "127.0.0.1:5000", peer = "127.0.0.1:5001", tid = 1, ptid = 2 })
t:session("s1", { sid = 1, psid = 2 })
ctx:on("tunnel_up", function() print("up"); io.stdout:flush() end)
]])
    -- The context keeps the runtime alive until the signal, which is sent
    -- once the script is up (its handlers are in place by then).
    local code, out = h.sh("(" .. RUN .. " " .. p .. " >/tmp/l2tp-run-term.out & pid=$!; " ..
      "for i in $(seq 400); do grep -q up /tmp/l2tp-run-term.out && break; sleep 0.05; done; " ..
      "kill -TERM $pid; wait $pid; cat /tmp/l2tp-run-term.out)")
    os.remove(p)
    assert.equal(0, code)
    assert.equal("up\ndown s1: tunnel closed: context closed\ndown t1: context closed\n", out)
  end)

  it("lives through SIGHUP, SIGUSR1 and SIGUSR2: handlers run, USR1 writes the state report, unhandled ones are "
    .. "logged; SIGQUIT closes everything as SIGTERM does", function()
    local p = h.write_script([[
local l2tp = require "l2tp"
local ctx = l2tp.context{ log_level = "error" }
ctx:on("tunnel_down", function(e) print("down " .. e.tunnel_name .. ": " .. e.reason); io.stdout:flush() end)
local t = ctx:static_tunnel("t1", { ["local"] = "127.0.0.1:5000", peer = "127.0.0.1:5001", tid = 1, ptid = 2 })
t:session("s1", { sid = 1, psid = 2 })
assert(ctx:listen("lns", { ["local"] = "127.0.0.1:0" }))
l2tp.on_signal("HUP", function(name) print("handled " .. name); io.stdout:flush() end)
l2tp.on_signal("USR1", function(name) print("handled " .. name); io.stdout:flush() end)
ctx:on("tunnel_up", function() print("up"); io.stdout:flush() end)
]])
    local o = "/tmp/l2tp-run-sig.out"
    local function waitfor(pat) return "for i in $(seq 400); do grep -q '" .. pat .. "' " .. o .. " && break; sleep 0.05; done; " end
    local code, out = h.sh("(" .. RUN .. " " .. p .. " >" .. o .. " 2>&1 & pid=$!; " .. waitfor("^up") ..
      "kill -HUP $pid; " .. waitfor("handled HUP") ..
      "kill -USR1 $pid; " .. waitfor("handled USR1") ..
      "kill -USR2 $pid; " .. waitfor("SIGUSR2 received") ..
      "kill -QUIT $pid; wait $pid; echo exit=$?; cat " .. o .. ")")
    os.remove(p)
    os.remove(o)
    assert.equal(0, code)
    assert.matches("exit=0", out)
    assert.matches("handled HUP\n", out)
    assert.matches("info: SIGUSR1: state report\n", out)
    assert.matches("info: context: 1 tunnels, 1 sessions, 1 listeners", out)
    assert.matches("info: listener 'lns' on 127%.0%.0%.1:%d+: 0 tunnels", out)
    assert.matches("info: tunnel 't1': static l2tpv3/udp, up, 127%.0%.0%.1:5000 %-> 127%.0%.0%.1:5001, tid 1 ptid 2, 1 sessions", out)
    assert.matches("info: session 't1/s1': eth, up, sid 1 psid 2, interface l2tpeth%d+", out)
    -- the report comes before the script's own handler
    assert.is_true(out:find("state report", 1, true) < out:find("handled USR1", 1, true))
    assert.matches("SIGUSR2 received: no handler %(l2tp.on_signal%), ignored", out)
    assert.matches("SIGQUIT received: closing every context", out)
    assert.matches("down t1: context closed", out)
  end)

  it("l2tp.on_signal takes HUP, USR1, USR2 and a function or nil, and says so otherwise", function()
    assert.matches("signal 'TERM' is not one a script handles %(accepted: HUP, USR1, USR2%)",
      h.raises(l2tp.on_signal, "TERM", function() end))
    assert.matches("l2tp.on_signal%('HUP', fn%): fn must be a function or nil, got string",
      h.raises(l2tp.on_signal, "SIGHUP", "x"))
    l2tp.on_signal("USR2", nil)
  end)

  it("l2tp.check_config says whether a constructor would take a config, without making anything", function()
    assert.is_true(l2tp.check_config("dynamic_tunnel", "t", { peer = "127.0.0.1:1701" }, { s = { seqnum = true } }))
    local ok, err = l2tp.check_config("dynamic_tunnel", "t", { peer = "127.0.0.1:1701", windw = 4 })
    assert.is_nil(ok)
    assert.matches("^tunnel 't': unknown key 'windw' %(accepted: local, peer,", err)
    assert.same({ nil, "session 't/s': cookie_size 3 is not a cookie size (accepted: 0, 4 or 8)" },
      { l2tp.check_config("dynamic_tunnel", "t", { peer = "127.0.0.1:1701", version = "l2tpv3" },
        { s = { cookie_size = 3 } }) })
    assert.same({ nil, "tunnel 't': peer is missing (accepted: \"host:port\")" },
      { l2tp.check_config("dynamic_tunnel", "t", {}) })
    assert.is_true(l2tp.check_config("listen", "l", { ["local"] = "127.0.0.1:1701", version = "l2tpv3" }))
    assert.is_true(l2tp.check_config("static_tunnel", "s", { ["local"] = "127.0.0.1:1", peer = "127.0.0.1:2",
      tid = 1, ptid = 2 }, { x = { sid = 1, psid = 2 } }))
    assert.matches("'tunnel' is not a constructor %(accepted: static_tunnel, quiescent_tunnel, dynamic_tunnel, listen%)",
      h.raises(l2tp.check_config, "tunnel", "t", {}))
  end)

  it("runs examples/lab.lua (a LAC and an LNS in one process) to completion with up and down events", function()
    local code, out = h.sh(RUN .. " examples/lab.lua")
    assert.equal(0, code)
    assert.matches("LNS  listening +on 127%.0%.0%.1:%d+", out)
    assert.matches("LAC  tunnel_up +tunnel to%-lns", out)
    assert.matches("LNS  tunnel_up +tunnel lns#1", out)
    assert.matches("LAC  session_up +session to%-lns/alice", out)
    assert.matches("LAC  tunnel_down +tunnel stranger .*result 4 .*unknown LAC someone%-else", out)
    assert.matches("LNS  session_down .*reason: peer sent CDN: result 3 .*bob hung up", out)
    assert.matches("LNS  tunnel_down +tunnel lns#1 .*peer sent StopCCN: result 1", out)
    assert.matches("LAC  tunnel_down +tunnel pw .*reason: context closed", out)
    assert.matches("rejected +session 'pw/broken': cookie has 5 bytes", out)
  end)

  it("accepts examples/static.lua (a dry run on the null data plane until SIGTERM)", function()
    local code, out, err = h.sh("(" .. RUN .. " examples/static.lua 2>/tmp/l2tp-run-static.err & pid=$!; " ..
      "for i in $(seq 400); do grep -q 'is up' /tmp/l2tp-run-static.err && break; sleep 0.05; done; " ..
      "kill -TERM $pid; wait $pid; cat /tmp/l2tp-run-static.err >&2)")
    assert.equal(0, code, err)
    assert.matches("tunnel 'pw1': created static l2tpv3/udp tunnel 192.0.2.1:5000 %-> 192.0.2.2:5000", err)
    assert.matches("l2tp%-pw1 is up", err)
    assert.matches("tunnel pw1 down: context closed", err)
  end)
end)
