-- The benchmarks' LAC: T = arg[2] tunnels of S = arg[3] sessions to the LNS
-- at arg[1]. Prints "start WHEN" before the first SCCRQ, "up TUNNELS
-- SESSIONS WHEN CPU_NS" once all are up (CPU_NS: its own CPU since start;
-- a call is up here when its ICCN goes), and "acked WHEN" once the LNS has
-- acknowledged every message (so has every ICCN: what bench/compare times
-- for LNSs that report nothing), then stays, HELLO running, until SIGTERM.
-- BENCH_LAC_* in the environment override tunnel keys.
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
local all = {}
-- Whether every tunnel's messages are acknowledged; there is no event for
-- it, so it is looked at every millisecond once all are up.
local function acked()
  for _, t in ipairs(all) do
    local st = t:stats()
    if st.in_flight ~= 0 or st.queued ~= 0 then return false end
  end
  return true
end
local function check()
  if not done and tunnels == T and sessions == T * S then
    done = true
    print(("up %d %d %.6f %d"):format(tunnels, sessions, l2tp.now(), b.cpu_ns() - cpu0))
    io.stdout:flush()
    l2tp.every(0.001, function(timer)
      if acked() then
        print(("acked %.6f"):format(l2tp.now()))
        io.stdout:flush()
        timer:cancel()
      end
    end)
  end
end
ctx:on("tunnel_up", function() tunnels = tunnels + 1; check() end)
ctx:on("session_up", function() sessions = sessions + 1; check() end)
ctx:on("session_down", function(e) io.stderr:write("down: " .. e.reason .. "\n") end)
ctx:on("tunnel_down", function(e) io.stderr:write("tunnel down: " .. e.reason .. "\n") end)
for i = 1, T do
  local t = assert(ctx:dynamic_tunnel("t" .. i, cfg))
  all[i] = t
  for j = 1, S do t:session("s" .. j, {}) end
end
