-- What the daemons in scripts/ share: reading a config file (Lua data,
-- no access to the runtime) with errors that name the file, comparing
-- configs to find what a reload changed, and reloading on SIGHUP.
--
--   local daemon = dofile(script_dir .. "daemon.lua")   -- see require_here
local l2tp = require "l2tp"

local M = {}

-- The command line every daemon takes: CONFIG [--null]. Returns the config
-- path and the data plane to use; on a bad command line, prints the usage
-- and returns nil (l2tp-run exits 2).
function M.args(name)
  local path, mode = arg[1], arg[2]
  if not path or (mode and mode ~= "--null") then
    io.stderr:write(("usage: l2tp-run scripts/%s.lua CONFIG [--null]\n"):format(name))
    l2tp.stop(2)
    return nil
  end
  return path, mode == "--null" and "null" or "netlink"
end

-- Loads CONFIG for daemon `name`: a Lua file returning a table, or, when
-- its name ends in .toml, a TOML file (go-l2tp's config files as they
-- are). check(config, fail) validates it, where fail(fmt, ...) raises
-- "name: path: message". Returns the config, or raises.
function M.load(name, path, check)
  local function fail(fmt, ...) error(name .. ": " .. path .. ": " .. fmt:format(...), 0) end
  local config
  if path:match("%.toml$") then
    local f, err = io.open(path)
    if not f then error(name .. ": " .. err, 0) end
    local text = f:read("*a")
    f:close()
    config, err = l2tp.toml.decode(text)
    if not config then fail("%s", err) end
  else
    local chunk, err = loadfile(path)
    if not chunk then error(name .. ": " .. err, 0) end
    setfenv(chunk, {}) -- a config is data: no access to the runtime
    local ok
    ok, config = pcall(chunk)
    if not ok then fail("%s", tostring(config)) end
    if type(config) ~= "table" then fail("must return a table") end
  end
  if check then check(config, fail) end
  return config
end

-- go-l2tp's layout, { tunnel = { NAME = { ..., session = { NAME = {...} } } } },
-- as kl2tpd and ql2tpd take it.

-- Splits a tunnel entry into its own config and its sessions.
function M.split(entry)
  local cfg, sessions = {}, {}
  for k, v in pairs(entry) do
    if k == "session" then sessions = v else cfg[k] = v end
  end
  return cfg, sessions
end

-- Checks the layout, then every tunnel and its sessions as
-- ctx:CONSTRUCTOR would take them (constructor(cfg) names it), so a
-- reload never closes a tunnel for a config that cannot replace it.
function M.check_tunnels(config, fail, constructor, no_tunnels)
  for k in pairs(config) do
    if k ~= "tunnel" then fail("unknown top-level key '%s' (accepted: tunnel)", tostring(k)) end
  end
  if type(config.tunnel) ~= "table" or next(config.tunnel) == nil then fail("%s", no_tunnels) end
  for name, entry in pairs(config.tunnel) do
    if type(entry) ~= "table" then fail("tunnel '%s' must be a table", tostring(name)) end
    if entry.session ~= nil and type(entry.session) ~= "table" then
      fail("tunnel '%s': session must be a table of sessions", tostring(name))
    end
    local cfg, sessions = M.split(entry)
    local ok, err = l2tp.check_config(constructor(cfg), tostring(name), cfg, sessions)
    if not ok then fail("%s", err) end
  end
end

-- Whether a and b are equal values, tables compared key by key.
function M.same(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do
    if not M.same(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

-- What changed between two tables of named entries: names only in new
-- (added), only in old (removed), in both but different (changed).
function M.diff(old, new)
  local added, removed, changed = {}, {}, {}
  for name, v in pairs(new) do
    if old[name] == nil then added[#added + 1] = name
    elseif not M.same(old[name], v) then changed[#changed + 1] = name end
  end
  for name in pairs(old) do
    if new[name] == nil then removed[#removed + 1] = name end
  end
  table.sort(added)
  table.sort(removed)
  table.sort(changed)
  return added, removed, changed
end

-- On SIGHUP, reads the config again and calls apply(config); a config
-- with a mistake is logged and the running one kept.
function M.reload_on_hup(name, path, check, apply)
  l2tp.on_signal("HUP", function()
    local ok, config = pcall(M.load, name, path, check)
    if not ok then
      l2tp.log("error", "%s (reload refused, the running config stays)", config)
      return
    end
    l2tp.log("info", "%s: reloading %s", name, path)
    apply(config)
  end)
end

return M
