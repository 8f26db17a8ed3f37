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
-- SIGHUP reads CONFIG again: tunnels and calls added are brought up, those
-- removed are closed, those changed are closed and brought up again with
-- their new settings, the rest are left alone.
--
-- A tunnel that goes down is dialled again, and a call that drops is placed
-- again, each after a backoff that doubles from 1 s to 60 s while it keeps
-- failing. A tunnel or call closed by the operator (l2tp-ctl close, with
-- l2tp-run --control) stays closed until `l2tp-ctl dial TUNNEL [SESSION]`.
local l2tp = require "l2tp"
local daemon = dofile((arg[0]:match("^(.*/)") or "./") .. "daemon.lua")

local path, dataplane = daemon.args("kl2tpd")
if not path then return end

local split = daemon.split

local function check(config, fail)
  daemon.check_tunnels(config, fail, function() return "dynamic_tunnel" end,
    "no tunnels (accepted: tunnel = { name = { peer = ..., session = { ... } } })")
end

local config = daemon.load("kl2tpd", path, check)
local ctx = assert(l2tp.context{ dataplane = dataplane })

local MIN_BACKOFF, MAX_BACKOFF = 1, 60
local dialers = {}

-- Places call sname of d's tunnel; a config mistake raises unless lenient
-- (a reload, or a call placed again), where it is logged.
local function place(d, sname, lenient)
  local ok, s, serr = pcall(d.tunnel.session, d.tunnel, sname, d.sessions[sname])
  if not ok and not lenient then error(s, 0) end
  if not ok or not s then l2tp.log("error", "session %s/%s: %s", d.name, sname, ok and serr or s) end
end

-- A config mistake raises (at start l2tp-run exits 1 naming it); on a
-- reload (lenient) it is logged and the tunnel waits for a fixed config.
local function dial(d, lenient)
  d.timer = nil
  local ok, t, derr = pcall(ctx.dynamic_tunnel, ctx, d.name, d.cfg)
  if not ok then
    if not lenient then error(t, 0) end
    l2tp.log("error", "%s (fix the config and send SIGHUP again)", t)
    return
  end
  if not t then
    l2tp.log("error", "tunnel %s: %s", d.name, derr)
    return d.retry()
  end
  d.tunnel = t
  for sname in pairs(d.sessions) do place(d, sname, lenient) end
end

local function dialer(name, entry)
  local cfg, sessions = split(entry)
  local d = { name = name, entry = entry, cfg = cfg, sessions = sessions, backoff = MIN_BACKOFF,
    call_backoff = {}, held = {} }
  function d.retry()
    l2tp.log("info", "tunnel %s: redialling in %d s", name, d.backoff)
    d.timer = l2tp.timer(d.backoff, function() dial(d, true) end)
    d.backoff = math.min(d.backoff * 2, MAX_BACKOFF)
  end
  dialers[name] = d
  return d
end

-- Stops a dialer: no more redialling, its tunnel closed (StopCCN).
local function drop(d, why)
  dialers[d.name] = nil
  if d.timer then d.timer:cancel() end
  if d.tunnel and not d.tunnel:is_closed() then d.tunnel:close(why) end
end

ctx:on("tunnel_up", function(e)
  l2tp.log("info", "tunnel %s up (%s -> %s)", e.tunnel_name, e["local"] or "?", e.peer or "?")
  local d = dialers[e.tunnel_name]
  if d and d.tunnel == e.tunnel then d.backoff = MIN_BACKOFF end
end)
local function by_operator(e) return e.reason == l2tp.control.CLOSED_BY_OPERATOR end

ctx:on("tunnel_down", function(e)
  l2tp.log("warn", "tunnel %s down: %s", e.tunnel_name, e.reason)
  local d = dialers[e.tunnel_name]
  -- a tunnel a reload replaced or removed is not redialled
  if not (d and d.tunnel == e.tunnel and not ctx:is_closed()) then return end
  if by_operator(e) then
    l2tp.log("info", "tunnel %s: closed by the operator, not redialled (l2tp-ctl dial %s)", d.name, d.name)
    return
  end
  d.retry()
end)
ctx:on("session_up", function(e)
  l2tp.log("info", "session %s/%s up%s", e.tunnel_name, e.session_name,
    e.interface_name and (" on " .. e.interface_name) or "")
  local d = dialers[e.tunnel_name]
  if d and d.tunnel == e.tunnel then d.call_backoff[e.session_name] = nil end
end)
ctx:on("session_down", function(e)
  l2tp.log("warn", "session %s/%s down: %s", e.tunnel_name, e.session_name, e.reason)
  -- A call that drops while its tunnel stays up is placed again (while
  -- the config still has it), after a backoff that grows while the LNS
  -- keeps refusing it.
  local d = dialers[e.tunnel_name]
  if not (d and d.tunnel == e.tunnel and d.tunnel:is_up()) then return end
  local sname = e.session_name
  if by_operator(e) then
    d.held[sname] = true
    l2tp.log("info", "session %s/%s: closed by the operator, not placed again (l2tp-ctl dial %s %s)",
      d.name, sname, d.name, sname)
    return
  end
  local wait = d.call_backoff[sname] or MIN_BACKOFF
  d.call_backoff[sname] = math.min(wait * 2, MAX_BACKOFF)
  l2tp.log("info", "session %s/%s: placing it again in %d s", d.name, sname, wait)
  l2tp.timer(wait, function()
    if dialers[d.name] == d and d.tunnel:is_up() and d.sessions[sname] and not d.held[sname]
      and not d.tunnel:find_session(sname) then
      place(d, sname, true)
    end
  end)
end)

-- l2tp-ctl dial TUNNEL [SESSION]: brings back what the operator closed.
l2tp.control.command("dial", function(args)
  local d = dialers[args[1] or ""]
  if not d then return nil, ("usage: dial TUNNEL [SESSION]; no tunnel '%s' in the config"):format(args[1] or "") end
  local sname = args[2]
  if sname then
    if not d.sessions[sname] then return nil, ("no session '%s' in tunnel '%s'"):format(sname, d.name) end
    d.held[sname] = nil
    if not (d.tunnel and d.tunnel:is_up()) then return {waiting = "tunnel " .. d.name .. " is not up"} end
    if d.tunnel:find_session(sname) then return {already = sname} end
    place(d, sname, true)
    return {placed = d.name .. "/" .. sname}
  end
  if d.tunnel and not d.tunnel:is_closed() then return {already = d.name} end
  d.held, d.backoff = {}, MIN_BACKOFF
  if d.timer then d.timer:cancel() end
  dial(d, true)
  return {dialled = d.name}
end, "dial TUNNEL [SESSION]: dial a tunnel or place a call the operator closed")

local function apply(new)
  local old = {}
  for name, d in pairs(dialers) do old[name] = d.entry end
  local added, removed, changed = daemon.diff(old, new.tunnel)
  for _, name in ipairs(removed) do
    l2tp.log("info", "reload: tunnel %s removed", name)
    drop(dialers[name], "removed from the config")
  end
  for _, name in ipairs(changed) do
    local d = dialers[name]
    local cfg, sessions = split(new.tunnel[name])
    if daemon.same(cfg, d.cfg) and d.tunnel and d.tunnel:is_up() then
      -- only its calls changed: those are placed, closed or placed again
      local s_added, s_removed, s_changed = daemon.diff(d.sessions, sessions)
      d.entry, d.sessions = new.tunnel[name], sessions
      for _, sname in ipairs(s_removed) do
        l2tp.log("info", "reload: session %s/%s removed", name, sname)
        d.tunnel:find_session(sname):close("removed from the config")
      end
      for _, sname in ipairs(s_changed) do
        l2tp.log("info", "reload: session %s/%s changed", name, sname)
        local s = d.tunnel:find_session(sname)
        if s then s:close("its config changed") end -- placed again once it is down
      end
      for _, sname in ipairs(s_added) do
        l2tp.log("info", "reload: session %s/%s added", name, sname)
        place(d, sname, true)
      end
    else
      l2tp.log("info", "reload: tunnel %s changed: closing it and dialling again", name)
      drop(d, "its config changed")
      dial(dialer(name, new.tunnel[name]), true)
    end
  end
  for _, name in ipairs(added) do
    l2tp.log("info", "reload: tunnel %s added", name)
    dial(dialer(name, new.tunnel[name]), true)
  end
end

daemon.reload_on_hup("kl2tpd", path, check, apply)

-- A mistake in the config raises here, from the first dial, and l2tp-run
-- exits 1 naming it, closing whatever was already dialled.
for name, entry in pairs(config.tunnel) do dialer(name, entry) end
for _, d in pairs(dialers) do dial(d) end
