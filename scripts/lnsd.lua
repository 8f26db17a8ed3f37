-- lnsd: an LNS daemon from a config file, with an address pool and
-- per-LAC and per-number rules written in Lua. It takes L2TPv2, or L2TPv3
-- too with listen.version = { "l2tpv2", "l2tpv3" }: PPP calls get a pool
-- address either way, Ethernet pseudowires none.
--
--   l2tp-run scripts/lnsd.lua CONFIG [--null]
--
-- CONFIG is a Lua file returning:
--
--   return {
--     listen = { ["local"] = "0.0.0.0:1701", secret = "s3cret", max_tunnels = 1000 },
--     pool = { first = "10.99.0.10", last = "10.99.0.250", gateway = "10.99.0.1" },
--     pppd = { "noauth", "ms-dns", "192.0.2.53" },       -- for every call
--     lacs = { ["lac-1"] = true, ["lac-2"] = { pppd = { "mtu", "1400" } } }, -- nil: any LAC
--     calls = function(call) return true end,             -- optional per-call rule
--   }
--
-- A LAC whose host name is not in `lacs` is refused (result 4). Each call
-- gets the next free address of the pool ("gateway:address" to pppd);
-- the address returns to the pool when the call ends. `calls` may refuse
-- a call (return false, result, message) or add pppd arguments (return a
-- list). --null runs on the null data plane. SIGHUP reads CONFIG again:
-- lacs, calls, pppd and the pool apply to new tunnels and calls at once
-- (an address taken stays with its call; one outside a shrunk pool is not
-- handed out again), a changed listen opens the listener anew (tunnels up
-- stay up); a config with a mistake is refused and the running one kept.
local l2tp = require "l2tp"
local daemon = dofile((arg[0]:match("^(.*/)") or "./") .. "daemon.lua")

local path, dataplane = daemon.args("lnsd")
if not path then return end

local function ip2n(ip, fail)
  local a, b, c, d = tostring(ip):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then fail("'%s' is not an IPv4 address", tostring(ip)) end
  return ((a * 256 + b) * 256 + c) * 256 + d
end
local function n2ip(n)
  return ("%d.%d.%d.%d"):format(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256,
    math.floor(n / 256) % 256, n % 256)
end

local function check(config, fail)
  for k in pairs(config) do
    if k ~= "listen" and k ~= "pool" and k ~= "pppd" and k ~= "lacs" and k ~= "calls" then
      fail("unknown key '%s' (accepted: listen, pool, pppd, lacs, calls)", tostring(k))
    end
  end
  local pool = config.pool
  if type(pool) ~= "table" then fail("pool is missing (accepted: pool = { first =, last =, gateway = })") end
  pool.first_n, pool.last_n = ip2n(pool.first, fail), ip2n(pool.last, fail)
  if pool.gateway then pool.gateway = n2ip(ip2n(pool.gateway, fail)) end
  if pool.last_n < pool.first_n then fail("pool.last is before pool.first") end
  if config.listen ~= nil and type(config.listen) ~= "table" then fail("listen must be a table of listener keys") end
  local ok, err = l2tp.check_config("listen", "lnsd", config.listen or {})
  if not ok then fail("%s", err) end
end

local config = daemon.load("lnsd", path, check)
local free, taken = {}, {}
-- The free addresses: the pool's, less those calls hold.
local function fill_pool()
  local held = {}
  for _, n in pairs(taken) do held[n] = true end
  free = {}
  for n = config.pool.last_n, config.pool.first_n, -1 do
    if not held[n] then free[#free + 1] = n end
  end
end
fill_pool()

local ctx = assert(l2tp.context{ dataplane = dataplane })

local function on_tunnel(req)
  if config.lacs and not config.lacs[req.host_name] then
    return false, { result = "not_authorized", message = "unknown LAC " .. req.host_name }
  end
  l2tp.log("info", "admitting LAC %s from %s", req.host_name, req.peer)
  return true
end

local function on_call(call)
  local extra = {}
  if config.calls then
    local verdict, result, message = config.calls(call)
    if verdict == false then return false, result or 5, message end
    if type(verdict) == "table" then extra = verdict end
  end
  -- An L2TPv3 Ethernet pseudowire (listen.version = "l2tpv3") has no PPP
  -- to give an address to; `calls` may still refuse it.
  if call.pseudowire == "eth" or call.pseudowire == "eth_vlan" then return true end
  local n = table.remove(free)
  if not n then return false, 4, "address pool exhausted" end
  local args = {}
  for _, a in ipairs(config.pppd or {}) do args[#args + 1] = a end
  for _, a in ipairs(extra) do args[#args + 1] = a end
  args[#args + 1] = (config.pool.gateway or "") .. ":" .. n2ip(n)
  taken[call.tunnel.name .. "/" .. call.peer_session_id] = n
  l2tp.log("info", "call %d on %s gets %s", call.serial, call.tunnel.name, n2ip(n))
  return { pppd = args }
end

ctx:on("session_down", function(e)
  local key = e.tunnel_name .. "/" .. e.session_config.psid
  local n = taken[key]
  if n then
    taken[key] = nil
    -- back to the pool, if the pool (after a reload) still has it
    if n >= config.pool.first_n and n <= config.pool.last_n then free[#free + 1] = n end
  end
  l2tp.log("info", "call %s/%s ended: %s", e.tunnel_name, e.session_name, e.reason)
end)
ctx:on("tunnel_down", function(e) l2tp.log("info", "tunnel %s down: %s", e.tunnel_name, e.reason) end)

local listener
local function listen()
  local cfg = {}
  for k, v in pairs(config.listen or {}) do cfg[k] = v end
  cfg.on_tunnel, cfg.on_call = on_tunnel, on_call
  listener = assert(ctx:listen("lnsd", cfg))
  l2tp.log("info", "lnsd listening on %s, pool %s-%s (%d addresses)", listener:address(), config.pool.first,
    config.pool.last, #free)
end

daemon.reload_on_hup("lnsd", path, check, function(new)
  local relisten = not daemon.same(config.listen or {}, new.listen or {})
  config = new
  fill_pool()
  if relisten then
    l2tp.log("info", "reload: listen changed: opening the listener anew")
    listener:close()
    listen()
  else
    l2tp.log("info", "reload: pool %s-%s (%d free), LAC and call rules applied", config.pool.first, config.pool.last,
      #free)
  end
end)

listen()
