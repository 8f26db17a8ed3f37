-- The benchmarks' LNS: listens on 127.0.0.1:arg[1], writes its address to
-- arg[2] when ready. With arg[3] tunnels and arg[4] sessions expected, it
-- prints "up TUNNELS SESSIONS WHEN CPU_NS RSS0_KB RSS_KB" once all are up:
-- WHEN on the monotonic clock (l2tp.now, comparable across processes),
-- CPU_NS its own CPU since it was ready, RSS0_KB and RSS_KB its resident
-- memory then and now. BENCH_LNS_* in the environment override listener
-- keys (e.g. BENCH_LNS_ACK_TIMEOUT=100, BENCH_LNS_TUNNEL_PORT=new).
local l2tp = require "l2tp"
local b = dofile((arg[0]:match("^(.*)/") or ".") .. "/lib.lua")
local T, S = tonumber(arg[3] or 0), tonumber(arg[4] or 0)
-- A bench dials thousands of tunnels at once: the flood limit on tunnels
-- in setup is the hardening's business (bench/flood), not this one's.
local cfg = b.env_keys("BENCH_LNS_", { ["local"] = "127.0.0.1:" .. arg[1], window_size = 32, max_pending = 0,
  max_tunnels = 0, max_sessions = 0 })
local ctx = l2tp.context{ log_level = "error" }
local l = assert(ctx:listen("bench", cfg))
local cpu0, rss0 = b.cpu_ns(), b.rss_kb()
local tunnels, sessions, done = 0, 0, false
local function check()
  if not done and T > 0 and tunnels >= T and sessions >= T * S then
    done = true
    print(("up %d %d %.6f %d %d %d"):format(tunnels, sessions, l2tp.now(), b.cpu_ns() - cpu0, rss0, b.rss_kb()))
    io.stdout:flush()
  end
end
ctx:on("tunnel_up", function() tunnels = tunnels + 1; check() end)
ctx:on("session_up", function() sessions = sessions + 1; check() end)
local f = io.open(arg[2], "w")
f:write(l:address(), "\n")
f:close()
