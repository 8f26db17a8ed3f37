-- kpppoed: a PPPoE access concentrator that carries each subscriber's
-- session to an LNS over L2TPv2, the equivalent of go-l2tp's kpppoed in
-- one process. On the kernel each PPPoE session is bridged to its L2TP
-- call (PPPIOCBRIDGECHAN, Linux 5.14): PPP runs between subscriber and
-- LNS, with no pppd here.
--
--   l2tp-run scripts/kpppoed.lua CONFIG [--null]
--
-- CONFIG is a Lua file (or TOML, the same keys) returning:
--
--   return {
--     interfaces = { "eth1" },                  -- the subscribers' side
--     ac_name = "bras1",                        -- default: the host's name
--     services = { "internet", "voip" },        -- offered; none: any service
--     max_sessions = 4096, max_pending = 256, max_sessions_per_mac = 8, max_offers = 1000,
--     lns = {                                   -- in order of preference
--       { name = "lns1", peer = "192.0.2.1:1701", secret = "s3cret", services = { "internet" } },
--       { name = "lns2", peer = "192.0.2.2:1701", secret = "s3cret" },
--     },
--     holddown = 60,                            -- s an LNS is passed over after its tunnel failed
--     -- netns = "subs",                        -- --null only: the interfaces are in that namespace
--   }
--
-- An LNS entry is a dynamic tunnel's config (peer, secret, host_name,
-- hello_timeout, ...) plus name (default: peer) and services (the service
-- names it takes; none: every one). A session goes to the first LNS that
-- takes its service and is not held down; a tunnel to an LNS that fails
-- (not one closed because its last call ended) holds that LNS down for
-- `holddown` seconds, so its next subscribers go to the next LNS. With no
-- LNS left the subscriber's PADR is answered with AC-System-Error.
-- SIGHUP reads CONFIG again: the LNS list and holddown apply to the next
-- sessions; interfaces and the discovery settings need a restart.
local l2tp = require "l2tp"
local daemon = dofile((arg[0]:match("^(.*/)") or "./") .. "daemon.lua")

local path, dataplane = daemon.args("kpppoed")
if not path then return end

local AC_KEYS = { "ac_name", "services", "max_sessions", "max_pending", "max_sessions_per_mac", "max_offers",
  "pending_timeout", "netns" }
local TOP = { interfaces = true, lns = true, holddown = true }
for _, k in ipairs(AC_KEYS) do TOP[k] = true end

local function check(config, fail)
  for k in pairs(config) do
    if not TOP[k] then
      fail("unknown key '%s' (accepted: interfaces, lns, holddown, %s)", tostring(k), table.concat(AC_KEYS, ", "))
    end
  end
  if type(config.interfaces) ~= "table" or #config.interfaces == 0 then
    fail("interfaces must list the subscribers' interfaces, e.g. interfaces = { \"eth1\" }")
  end
  for i, ifname in ipairs(config.interfaces) do
    if type(ifname) ~= "string" then fail("interfaces[%d] must be a string", i) end
  end
  if type(config.lns) ~= "table" or #config.lns == 0 then
    fail("lns must list at least one LNS, e.g. lns = { { peer = \"192.0.2.1:1701\" } }")
  end
  if config.holddown ~= nil and (type(config.holddown) ~= "number" or config.holddown < 0) then
    fail("holddown must be a number of seconds, 0 or more")
  end
  local names = {}
  for i, lns in ipairs(config.lns) do
    if type(lns) ~= "table" then fail("lns[%d] must be a table", i) end
    local tcfg = {}
    for k, v in pairs(lns) do
      if k ~= "name" and k ~= "services" then tcfg[k] = v end
    end
    local name = lns.name or lns.peer
    if type(name) ~= "string" then fail("lns[%d] needs a peer (\"host:port\")", i) end
    if names[name] then fail("lns[%d]: name '%s' is used twice", i, name) end
    names[name] = true
    if lns.services ~= nil and type(lns.services) ~= "table" then
      fail("lns '%s': services must be a list of service names", name)
    end
    local ok, err = l2tp.check_config("dynamic_tunnel", name, tcfg, {})
    if not ok then fail("%s", err) end
  end
end

local config = daemon.load("kpppoed", path, check)
local ctx = assert(l2tp.context{ dataplane = dataplane })
local held_until = {} -- LNS name -> when it may be chosen again

local function takes(lns, service)
  if not lns.services or #lns.services == 0 then return true end
  for _, s in ipairs(lns.services) do
    if s == service then return true end
  end
  return false
end

-- The LNS for a session: the first that takes its service and is not
-- held down.
local function choose(req)
  local now = l2tp.now()
  for _, lns in ipairs(config.lns) do
    local name = lns.name or lns.peer
    if takes(lns, req.service) and (held_until[name] or 0) <= now then
      local t = { name = name }
      for k, v in pairs(lns) do
        if k ~= "services" then t[k] = v end
      end
      return t
    end
  end
  return nil, "no LNS available for service '" .. req.service .. "'", "ac_system_error"
end

ctx:on("tunnel_down", function(e)
  if e.reason == "no calls left" or ctx:is_closed() then return end
  local hold = config.holddown or 60
  held_until[e.tunnel_name] = l2tp.now() + hold
  l2tp.log("warn", "LNS %s: tunnel down (%s): passed over for %d s", e.tunnel_name, e.reason, hold)
end)
ctx:on("session_up", function(e)
  l2tp.log("info", "call %s/%s up", e.tunnel_name, e.session_name)
end)
ctx:on("session_down", function(e)
  l2tp.log("info", "call %s/%s down: %s", e.tunnel_name, e.session_name, e.reason)
end)

local function hostname()
  local f = io.open("/etc/hostname")
  local name = f and f:read("*l")
  if f then f:close() end
  return name and name ~= "" and name or "kpppoed"
end

local acs = {}
for _, ifname in ipairs(config.interfaces) do
  local cfg = { interface = ifname, on_session = choose }
  for _, k in ipairs(AC_KEYS) do cfg[k] = config[k] end
  cfg.ac_name = cfg.ac_name or hostname()
  local ac, err = ctx:pppoe(cfg)
  if not ac then error("kpppoed: " .. err, 0) end
  acs[#acs + 1] = ac
  l2tp.log("info", "kpppoed: serving PPPoE on %s as '%s'", ifname, cfg.ac_name)
end

-- The operator's view (l2tp-ctl, with l2tp-run --control):
--   pppoe                      each interface's discovery counters
--   pppoe sessions             every PPPoE session: ID, interface, MAC, state
--   pppoe terminate IFACE ID   PADT to that subscriber, and its call ends
local COUNTERS = { "sessions", "pending", "padi", "pado", "padr", "pads", "pads_refused", "padt_in", "padt_out",
  "malformed", "bad_cookie", "ignored", "dropped_by_limit" }
l2tp.control.command("pppoe", function(args)
  if args[1] == nil then
    local rows = {}
    for _, ac in ipairs(acs) do
      local st = ac:stats() or {}
      st.interface = ac.name
      rows[#rows + 1] = st
    end
    local columns = { "interface" }
    for _, c in ipairs(COUNTERS) do columns[#columns + 1] = c end
    return l2tp.control.array(rows), { columns = columns }
  elseif args[1] == "sessions" then
    local rows = {}
    for _, ac in ipairs(acs) do
      for _, s in ipairs(ac:sessions() or {}) do
        s.interface = ac.name
        rows[#rows + 1] = s
      end
    end
    table.sort(rows, function(a, b) return a.session_id < b.session_id end)
    return l2tp.control.array(rows), { columns = { "session_id", "interface", "mac", "state" } }
  elseif args[1] == "terminate" then
    local id = tonumber(args[3] or "")
    for _, ac in ipairs(acs) do
      if ac.name == args[2] and id then
        local ok, err = ac:terminate(id, "terminated by the operator")
        if not ok then return nil, err end
        return { terminated = id }
      end
    end
    return nil, ("usage: pppoe terminate INTERFACE SESSION_ID; no interface '%s' served"):format(args[2] or "")
  end
  return nil, "usage: pppoe [sessions | terminate INTERFACE SESSION_ID]"
end, "pppoe [sessions | terminate IFACE ID]: discovery counters, PPPoE sessions, or end one")

daemon.reload_on_hup("kpppoed", path, check, function(new)
  for _, k in ipairs{ "interfaces", unpack(AC_KEYS) } do
    if not daemon.same(config[k], new[k]) then
      l2tp.log("warn", "reload: %s changed: takes effect on restart", k)
    end
  end
  config.lns, config.holddown = new.lns, new.holddown
  held_until = {}
  l2tp.log("info", "reload: %d LNS(s), holddown %d s", #config.lns, config.holddown or 60)
end)
