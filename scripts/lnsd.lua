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
-- list). --null runs on the null data plane.
local l2tp = require "l2tp"

local path, mode = arg[1], arg[2]
if not path or (mode and mode ~= "--null") then
  io.stderr:write("usage: l2tp-run scripts/lnsd.lua CONFIG [--null]\n")
  l2tp.stop(2)
  return
end
local chunk, err = loadfile(path)
if not chunk then error("lnsd: " .. err, 0) end
setfenv(chunk, {})
local ok, config = pcall(chunk)
if not ok then error("lnsd: " .. path .. ": " .. tostring(config), 0) end
if type(config) ~= "table" then error("lnsd: " .. path .. ": must return a table", 0) end
for k in pairs(config) do
  if k ~= "listen" and k ~= "pool" and k ~= "pppd" and k ~= "lacs" and k ~= "calls" then
    error(("lnsd: %s: unknown key '%s' (accepted: listen, pool, pppd, lacs, calls)"):format(path, tostring(k)), 0)
  end
end

local function ip2n(ip)
  local a, b, c, d = tostring(ip):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then error(("lnsd: %s: '%s' is not an IPv4 address"):format(path, tostring(ip)), 0) end
  return ((a * 256 + b) * 256 + c) * 256 + d
end
local function n2ip(n)
  return ("%d.%d.%d.%d"):format(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256,
    math.floor(n / 256) % 256, n % 256)
end

local pool = config.pool or error(("lnsd: %s: pool is missing (accepted: pool = { first =, last =, gateway = })"):format(path), 0)
local first, last = ip2n(pool.first), ip2n(pool.last)
local gateway = pool.gateway and n2ip(ip2n(pool.gateway))
if last < first then error(("lnsd: %s: pool.last is before pool.first"):format(path), 0) end
local free, taken = {}, {}
for n = last, first, -1 do free[#free + 1] = n end

local ctx = assert(l2tp.context{ dataplane = mode == "--null" and "null" or "netlink" })
local listen = {}
for k, v in pairs(config.listen or {}) do listen[k] = v end

listen.on_tunnel = function(req)
  if config.lacs and not config.lacs[req.host_name] then
    return false, { result = "not_authorized", message = "unknown LAC " .. req.host_name }
  end
  l2tp.log("info", "admitting LAC %s from %s", req.host_name, req.peer)
  return true
end

listen.on_call = function(call)
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
  args[#args + 1] = (gateway or "") .. ":" .. n2ip(n)
  taken[call.tunnel.name .. "/" .. call.peer_session_id] = n
  l2tp.log("info", "call %d on %s gets %s", call.serial, call.tunnel.name, n2ip(n))
  return { pppd = args }
end

ctx:on("session_down", function(e)
  local key = e.tunnel_name .. "/" .. e.session_config.psid
  if taken[key] then
    free[#free + 1] = taken[key]
    taken[key] = nil
  end
  l2tp.log("info", "call %s/%s ended: %s", e.tunnel_name, e.session_name, e.reason)
end)
ctx:on("tunnel_down", function(e) l2tp.log("info", "tunnel %s down: %s", e.tunnel_name, e.reason) end)

local l = assert(ctx:listen("lnsd", listen))
l2tp.log("info", "lnsd listening on %s, pool %s-%s (%d addresses)", l:address(), pool.first, pool.last, #free)
