-- kl2tpd: a LAC daemon, the equivalent of go-l2tp's kl2tpd. It brings up
-- the tunnels and calls of a config file and keeps them up, redialling
-- with backoff. Tunnels are L2TPv2 unless they say version = "l2tpv3"
-- (scripts/pseudowired.lua is the daemon for L2TPv3 pseudowires).
--
--   l2tp-run scripts/kl2tpd.lua CONFIG [--null]
--
-- CONFIG is a Lua file returning the go-l2tp layout, with go-l2tp's keys:
--
--   return {
--     tunnel = {
--       t1 = { peer = "192.0.2.1:1701", secret = "s3cret",
--              session = { s1 = { pppd_args = "/etc/kl2tpd/t1s1.args" } } },
--     },
--   }
--
-- --null runs on the null data plane (no kernel, no pppd, no root).
local l2tp = require "l2tp"

local path, mode = arg[1], arg[2]
if not path or (mode and mode ~= "--null") then
  io.stderr:write("usage: l2tp-run scripts/kl2tpd.lua CONFIG [--null]\n")
  l2tp.stop(2)
  return
end

local chunk, err = loadfile(path)
if not chunk then error("kl2tpd: " .. err, 0) end
setfenv(chunk, {}) -- a config is data: no access to the runtime
local ok, config = pcall(chunk)
if not ok then error("kl2tpd: " .. path .. ": " .. tostring(config), 0) end
if type(config) ~= "table" then error("kl2tpd: " .. path .. ": must return a table", 0) end
for k in pairs(config) do
  if k ~= "tunnel" then
    error(("kl2tpd: %s: unknown top-level key '%s' (accepted: tunnel)"):format(path, tostring(k)), 0)
  end
end
if type(config.tunnel) ~= "table" or next(config.tunnel) == nil then
  error(("kl2tpd: %s: no tunnels (accepted: tunnel = { name = { peer = ..., session = { ... } } })"):format(path), 0)
end

local ctx = assert(l2tp.context{ dataplane = mode == "--null" and "null" or "netlink" })

local MIN_BACKOFF, MAX_BACKOFF = 1, 60
local dialers = {}

-- Splits a tunnel entry into its own config and its sessions.
local function split(name, entry)
  if type(entry) ~= "table" then
    error(("kl2tpd: %s: tunnel '%s' must be a table"):format(path, name), 0)
  end
  local cfg, sessions = {}, {}
  for k, v in pairs(entry) do
    if k == "session" then sessions = v else cfg[k] = v end
  end
  return cfg, sessions
end

local function dial(name)
  local d = dialers[name]
  d.timer = nil
  local t, derr = ctx:dynamic_tunnel(name, d.cfg)
  if not t then
    l2tp.log("error", "tunnel %s: %s", name, derr)
    return d.retry()
  end
  d.tunnel = t
  for sname, scfg in pairs(d.sessions) do
    local s, serr = t:session(sname, scfg)
    if not s then l2tp.log("error", "session %s/%s: %s", name, sname, serr) end
  end
end

for name, entry in pairs(config.tunnel) do
  local cfg, sessions = split(name, entry)
  local d = { cfg = cfg, sessions = sessions, backoff = MIN_BACKOFF }
  function d.retry()
    l2tp.log("info", "tunnel %s: redialling in %d s", name, d.backoff)
    d.timer = l2tp.timer(d.backoff, function() dial(name) end)
    d.backoff = math.min(d.backoff * 2, MAX_BACKOFF)
  end
  dialers[name] = d
end

ctx:on("tunnel_up", function(e)
  l2tp.log("info", "tunnel %s up (%s -> %s)", e.tunnel_name, e["local"] or "?", e.peer or "?")
  dialers[e.tunnel_name].backoff = MIN_BACKOFF
end)
ctx:on("tunnel_down", function(e)
  l2tp.log("warn", "tunnel %s down: %s", e.tunnel_name, e.reason)
  local d = dialers[e.tunnel_name]
  if d and not ctx:is_closed() then d.retry() end
end)
ctx:on("session_up", function(e)
  l2tp.log("info", "session %s/%s up%s", e.tunnel_name, e.session_name,
    e.interface_name and (" on " .. e.interface_name) or "")
end)
ctx:on("session_down", function(e)
  l2tp.log("warn", "session %s/%s down: %s", e.tunnel_name, e.session_name, e.reason)
  -- A call that drops while its tunnel stays up is placed again.
  local d = dialers[e.tunnel_name]
  if d and d.tunnel and d.tunnel:is_up() then
    l2tp.timer(MIN_BACKOFF, function()
      if d.tunnel:is_up() and not d.tunnel:find_session(e.session_name) then
        d.tunnel:session(e.session_name, d.sessions[e.session_name])
      end
    end)
  end
end)

-- A mistake in the config raises here, from the first dial, and l2tp-run
-- exits 1 naming it, closing whatever was already dialled.
for name in pairs(dialers) do dial(name) end
