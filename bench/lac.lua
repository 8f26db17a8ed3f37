-- bench/setup's LAC: T tunnels of S sessions to the LNS at arg[1]; prints
-- when all are up, then stays (HELLO running) until SIGTERM.
local l2tp = require "l2tp"
local peer, T, S = arg[1], tonumber(arg[2]), tonumber(arg[3])
local ctx = l2tp.context{ log_level = "error" }
local up, down = 0, 0
local t0 = l2tp.now()
ctx:on("session_up", function()
  up = up + 1
  if up == T * S then
    local dt = l2tp.now() - t0
    print(("up %d %.3f"):format(up, dt))
    io.stdout:flush()
  end
end)
ctx:on("session_down", function(e) down = down + 1; io.stderr:write("down: " .. e.reason .. "\n") end)
for i = 1, T do
  local t = ctx:dynamic_tunnel("t" .. i, { peer = peer, window_size = 32, hello_timeout = 1000 })
  for j = 1, S do t:session("s" .. j, {}) end
end
