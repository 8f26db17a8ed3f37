-- A LAC that moves its calls to a backup LNS when the primary's tunnel goes
-- down, and back when the primary answers again.
--
--   l2tp-run examples/failover.lua PRIMARY BACKUP [--null]
--
-- PRIMARY and BACKUP are "host:port". Each call is described once in
-- `calls`; the script places them on whichever tunnel is current.
local l2tp = require "l2tp"

local primary, backup = arg[1], arg[2]
if not primary or not backup then
  io.stderr:write("usage: l2tp-run examples/failover.lua PRIMARY BACKUP [--null]\n")
  l2tp.stop(2)
  return
end

local ctx = assert(l2tp.context{ dataplane = arg[3] == "--null" and "null" or "netlink" })
local calls = { office = {}, lab = {} }                   -- session configs
local tunnel_cfg = { hello_timeout = 5000, retry_timeout = 500, max_retries = 3 }
local PROBE_EVERY = tonumber(os.getenv("FAILOVER_PROBE_EVERY")) or 10 -- seconds between tries of the primary

local function cfg_for(peer)
  local c = { peer = peer }
  for k, v in pairs(tunnel_cfg) do c[k] = v end
  return c
end

local current -- "primary" or "backup"
local tunnels = {}

local function place_calls(t)
  for name, scfg in pairs(calls) do
    if not t:find_session(name) then t:session(name, scfg) end
  end
end

local function use(which)
  current = which
  local t = tunnels[which]
  if not t or t:is_closed() then
    t = ctx:dynamic_tunnel(which, cfg_for(which == "primary" and primary or backup))
    tunnels[which] = t
  end
  place_calls(t)
  l2tp.log("info", "calls go to the %s LNS", which)
end

ctx:on("tunnel_up", function(e)
  l2tp.log("info", "%s tunnel up (%s)", e.tunnel_name, e.peer)
  if e.tunnel_name == "primary" and current == "backup" then
    -- The primary is back: move the calls home, then drop the backup.
    use("primary")
    local b = tunnels.backup
    l2tp.timer(1, function() if b and not b:is_closed() then b:close("primary is back") end end)
  end
end)

ctx:on("tunnel_down", function(e)
  l2tp.log("warn", "%s tunnel down: %s", e.tunnel_name, e.reason)
  if ctx:is_closed() then return end
  if e.tunnel_name == "primary" and current == "primary" then
    use("backup")
  elseif e.tunnel_name == "backup" and current == "backup" then
    l2tp.timer(PROBE_EVERY, function() if current == "backup" then use("backup") end end)
  end
end)

ctx:on("session_up", function(e) l2tp.log("info", "call %s up via %s", e.session_name, e.tunnel_name) end)

-- While on the backup, keep trying the primary.
l2tp.every(PROBE_EVERY, function()
  if current == "backup" and (not tunnels.primary or tunnels.primary:is_closed()) then
    tunnels.primary = ctx:dynamic_tunnel("primary", cfg_for(primary))
  end
end)

use("primary")
