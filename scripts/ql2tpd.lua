-- ql2tpd: static and quiescent L2TPv3 tunnels from a config file, the
-- equivalent of go-l2tp's ql2tpd. No control protocol: both ends are
-- configured alike (tid/ptid, sid/psid swapped). A tunnel with a
-- hello_timeout is quiescent: it sends HELLOs and, when they go
-- unanswered, takes its sessions down and is brought up again after a
-- backoff (1 s doubling to 60 s); the other end must run a quiescent
-- tunnel too.
--
--   l2tp-run scripts/ql2tpd.lua CONFIG [--null]
--
-- CONFIG is go-l2tp's ql2tpd.toml as it is (a file whose name ends in
-- .toml), or a Lua file returning the same layout:
--
--   [tunnel.t1]
--   local = "192.0.2.1:5000"
--   peer = "192.0.2.2:5000"
--   version = "l2tpv3"
--   encap = "udp"
--   tid = 412
--   ptid = 8192
--   hello_timeout = 5000        # optional: quiescent, HELLO every 5 s
--
--   [tunnel.t1.session.s1]
--   sid = 1
--   psid = 2
--   pseudowire = "eth"
--   cookie = [ 0x34, 0x04, 0xa9, 0xbe ]
--   peer_cookie = [ 0x80, 0x12, 0xff, 0x5b ]
--   interface_name = "l2tpeth-t1s1"
--
-- --null runs on the null data plane (no kernel, no root). SIGHUP reads
-- CONFIG again: tunnels and sessions added are made, removed ones closed,
-- changed ones made again; the rest are left alone. A tunnel closed by the
-- operator (l2tp-ctl close) stays closed until `l2tp-ctl up TUNNEL`.
local l2tp = require "l2tp"
local daemon = dofile((arg[0]:match("^(.*/)") or "./") .. "daemon.lua")

local path, dataplane = daemon.args("ql2tpd")
if not path then return end

local split = daemon.split

local function kind(cfg)
  return (cfg.hello_timeout or 0) > 0 and "quiescent_tunnel" or "static_tunnel"
end

local function check(config, fail)
  daemon.check_tunnels(config, fail, kind,
    "no tunnels (accepted: [tunnel.NAME] tables, each with [tunnel.NAME.session.NAME] tables)")
end

local config = daemon.load("ql2tpd", path, check)
local ctx = assert(l2tp.context{ dataplane = dataplane })

local MIN_BACKOFF, MAX_BACKOFF = 1, 60
local tunnels = {} -- name -> { entry, cfg, sessions, tunnel, backoff, timer }

-- Opens session sname of e's tunnel; a mistake raises unless lenient (a
-- reload or a retry), where it is logged.
local function open(e, sname, lenient)
  local ok, s, err = pcall(e.tunnel.session, e.tunnel, sname, e.sessions[sname])
  if not (ok and s) then
    if not lenient then error(ok and err or s, 0) end
    l2tp.log("error", "session %s/%s: %s", e.name, sname, ok and err or s)
  end
end

-- Makes tunnel e and its sessions (mistakes as open).
local function make(e, lenient)
  e.timer = nil
  local ok, t, err = pcall(ctx[kind(e.cfg)], ctx, e.name, e.cfg)
  if ok and t then
    e.tunnel = t
    for sname in pairs(e.sessions) do open(e, sname, lenient) end
    return
  end
  if not lenient then error(ok and err or t, 0) end
  l2tp.log("error", "tunnel %s: %s", e.name, ok and err or t)
end

local function entry(name, value)
  local cfg, sessions = split(value)
  local e = { name = name, entry = value, cfg = cfg, sessions = sessions, backoff = MIN_BACKOFF }
  tunnels[name] = e
  return e
end

local function drop(e, why)
  tunnels[e.name] = nil
  if e.timer then e.timer:cancel() end
  if e.tunnel and not e.tunnel:is_closed() then e.tunnel:close(why) end
end

ctx:on("tunnel_up", function(ev)
  l2tp.log("info", "tunnel %s up (%s -> %s)", ev.tunnel_name, ev["local"] or "?", ev.peer or "?")
  local e = tunnels[ev.tunnel_name]
  if e and e.tunnel == ev.tunnel then e.backoff = MIN_BACKOFF end
end)
ctx:on("tunnel_down", function(ev)
  l2tp.log("warn", "tunnel %s down: %s", ev.tunnel_name, ev.reason)
  local e = tunnels[ev.tunnel_name]
  if not (e and e.tunnel == ev.tunnel and not ctx:is_closed()) then return end
  if ev.reason == l2tp.control.CLOSED_BY_OPERATOR then
    l2tp.log("info", "tunnel %s: closed by the operator, left down (l2tp-ctl up %s)", e.name, e.name)
    return
  end
  l2tp.log("info", "tunnel %s: making it again in %d s", e.name, e.backoff)
  e.timer = l2tp.timer(e.backoff, function() make(e, true) end)
  e.backoff = math.min(e.backoff * 2, MAX_BACKOFF)
end)
ctx:on("session_up", function(ev)
  l2tp.log("info", "session %s/%s up%s", ev.tunnel_name, ev.session_name,
    ev.interface_name and (" on " .. ev.interface_name) or "")
end)
ctx:on("session_down", function(ev)
  l2tp.log("warn", "session %s/%s down: %s", ev.tunnel_name, ev.session_name, ev.reason)
end)

l2tp.control.command("up", function(args)
  local e = tunnels[args[1] or ""]
  if not e then return nil, ("usage: up TUNNEL; no tunnel '%s' in the config"):format(args[1] or "") end
  if e.tunnel and not e.tunnel:is_closed() then return {already = e.name} end
  if e.timer then e.timer:cancel() end
  e.backoff = MIN_BACKOFF
  make(e, true)
  return {made = e.name}
end, "up TUNNEL: make a tunnel the operator closed again")

local function apply(new)
  local old = {}
  for name, e in pairs(tunnels) do old[name] = e.entry end
  local added, removed, changed = daemon.diff(old, new.tunnel)
  for _, name in ipairs(removed) do
    l2tp.log("info", "reload: tunnel %s removed", name)
    drop(tunnels[name], "removed from the config")
  end
  for _, name in ipairs(changed) do
    local e = tunnels[name]
    local cfg, sessions = split(new.tunnel[name])
    if daemon.same(cfg, e.cfg) and e.tunnel and not e.tunnel:is_closed() then
      local s_added, s_removed, s_changed = daemon.diff(e.sessions, sessions)
      e.entry, e.sessions = new.tunnel[name], sessions
      for _, sname in ipairs(s_removed) do
        l2tp.log("info", "reload: session %s/%s removed", name, sname)
        local s = e.tunnel:find_session(sname)
        if s then s:close("removed from the config") end
      end
      for _, sname in ipairs(s_changed) do
        l2tp.log("info", "reload: session %s/%s changed", name, sname)
        local s = e.tunnel:find_session(sname)
        if s then s:close("its config changed") end
        open(e, sname, true)
      end
      for _, sname in ipairs(s_added) do
        l2tp.log("info", "reload: session %s/%s added", name, sname)
        open(e, sname, true)
      end
    else
      l2tp.log("info", "reload: tunnel %s changed: making it again", name)
      drop(e, "its config changed")
      make(entry(name, new.tunnel[name]), true)
    end
  end
  for _, name in ipairs(added) do
    l2tp.log("info", "reload: tunnel %s added", name)
    make(entry(name, new.tunnel[name]), true)
  end
end

daemon.reload_on_hup("ql2tpd", path, check, apply)

for name, value in pairs(config.tunnel) do entry(name, value) end
for _, e in pairs(tunnels) do make(e) end
