-- The benchmarks' LAC: T = arg[2] tunnels of S = arg[3] sessions to the LNS
-- at arg[1]. Prints "start WHEN" before the first SCCRQ and "up TUNNELS
-- SESSIONS WHEN CPU_NS" once all are up (CPU_NS: its own CPU since start),
-- then stays, HELLO running, until SIGTERM. BENCH_LAC_* in the environment
-- override tunnel keys.
local l2tp = require "l2tp"
local b = dofile((arg[0]:match("^(.*)/") or ".") .. "/lib.lua")
local peer, T, S = arg[1], tonumber(arg[2]), tonumber(arg[3])
-- From 127.0.0.2: its sockets' ports then do not come out of the same
-- address's ephemeral range as the LNS's (with tunnel_port = "new", 10,000
-- tunnels a side ran it dry).
local cfg = b.env_keys("BENCH_LAC_", { peer = peer, ["local"] = "127.0.0.2:0", window_size = 32 })
local ctx = l2tp.context{ log_level = "error" }
local tunnels, sessions, done = 0, 0, false
local cpu0 = b.cpu_ns()
print(("start %.6f"):format(l2tp.now()))
io.stdout:flush()
local function check()
  if not done and tunnels == T and sessions == T * S then
    done = true
    print(("up %d %d %.6f %d"):format(tunnels, sessions, l2tp.now(), b.cpu_ns() - cpu0))
    io.stdout:flush()
  end
end
ctx:on("tunnel_up", function() tunnels = tunnels + 1; check() end)
ctx:on("session_up", function() sessions = sessions + 1; check() end)
ctx:on("session_down", function(e) io.stderr:write("down: " .. e.reason .. "\n") end)
ctx:on("tunnel_down", function(e) io.stderr:write("tunnel down: " .. e.reason .. "\n") end)
for i = 1, T do
  local t = assert(ctx:dynamic_tunnel("t" .. i, cfg))
  for j = 1, S do t:session("s" .. j, {}) end
end
