-- bench/churn's LAC: CYCLES times, a tunnel to the LNS at arg[1] with S
-- calls, up, then closed; the default timers. Every 100 cycles it waits
-- until every StopCCN it sent is acknowledged (it then holds no socket),
-- prints "cycle N" and keeps still for a moment, so bench/churn samples
-- both processes at rest. Prints "done N SECONDS" at the end (the pauses
-- not counted); exits 1 on any failure.
local l2tp = require "l2tp"
local peer, N, S = arg[1], tonumber(arg[2]), tonumber(arg[3])
local ctx = l2tp.context{ log_level = "error" }
local cycle, up, t = 0, 0, nil
local t0, paused = l2tp.now(), 0

local next_cycle

local function rest_then(fn)
  local p0 = l2tp.now()
  l2tp.every(0.01, function(poll)
    if ctx:stats().sockets > 0 then return end
    poll:cancel()
    print("cycle " .. cycle)
    io.stdout:flush()
    l2tp.timer(0.3, function()
      paused = paused + (l2tp.now() - p0)
      fn()
    end)
  end)
end

next_cycle = function()
  if cycle == N then
    print(("done %d %.2f"):format(N, l2tp.now() - t0 - paused))
    io.stdout:flush()
    ctx:close()
    return
  end
  cycle, up = cycle + 1, 0
  t = ctx:dynamic_tunnel("t" .. cycle, { peer = peer })
  for j = 1, S do t:session("s" .. j, {}) end
end

ctx:on("session_up", function()
  up = up + 1
  if up == S then t:close("cycle done") end
end)
ctx:on("tunnel_down", function(e)
  if not e.established then
    io.stderr:write(("cycle %d: tunnel failed: %s\n"):format(cycle, e.reason))
    l2tp.stop(1)
    return
  end
  if cycle % 100 == 0 then rest_then(next_cycle) else next_cycle() end
end)
next_cycle()
