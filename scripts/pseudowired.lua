-- pseudowired: L2TPv3 Ethernet pseudowires between two hosts (RFC 3931),
-- one config per end, that come back by themselves after either end
-- restarts.
--
--   l2tp-run scripts/pseudowired.lua CONFIG [--null]
--
-- CONFIG is a Lua file returning:
--
--   return {
--     role = "lac",                      -- this end dials; the other runs role = "lns"
--     peer = "192.0.2.2:1701",           -- lac: the other end
--     -- ["local"] = "192.0.2.2:1701",   -- lns: where to wait (lac: optional)
--     -- encap = "ip",                   -- L2TPv3 over IP: addresses without ports
--     secret = "s3cret", digest = "sha1", hello_timeout = 10000,
--     pseudowires = {
--       vc1 = { interface_name = "pw-vc1" },
--       vc2 = { pseudowire = "eth_vlan", interface_name = "pw-vc2", cookie_size = 4 },
--     },
--   }
--
-- Each pseudowire is a call whose Remote End ID is its name; its keys are
-- session keys, the other top-level keys tunnel (lac) or listener (lns)
-- keys. The LAC redials with backoff (1 s doubling to 30 s) when its
-- tunnel goes down (a StopCCN, or HELLOs unanswered once the LNS has gone)
-- and places a call again when one drops. The LNS takes only the
-- pseudowires of its config; a call for a pseudowire it already carries
-- (the LAC restarted before the old tunnel timed out) replaces the old
-- one, so its interface name is free again. --null runs on the null data
-- plane (no kernel, no root). SIGHUP reads CONFIG again: pseudowires added
-- come up, removed ones are closed, changed ones are closed and come back
-- with their new settings; changed tunnel or listener keys redo the tunnel
-- (lac) or the listener (lns); a config with a mistake, or another role,
-- is refused and the running one kept.
local l2tp = require "l2tp"
local daemon = dofile((arg[0]:match("^(.*/)") or "./") .. "daemon.lua")

local path, dataplane = daemon.args("pseudowired")
if not path then return end

-- The tunnel (lac) or listener (lns) keys of a config.
local function tunnel_keys(config)
  local cfg = { version = "l2tpv3" }
  for k, v in pairs(config) do
    if k ~= "role" and k ~= "pseudowires" then cfg[k] = v end
  end
  return cfg
end

-- A call's session keys: the pseudowire's, and its name as Remote End ID.
local function call_keys(name, pw)
  local scfg = { remote_end_id = name }
  for k, v in pairs(pw) do scfg[k] = v end
  return scfg
end

local function check(config, fail)
  if config.role ~= "lac" and config.role ~= "lns" then
    fail("role is %s (accepted: \"lac\", which dials, or \"lns\", which waits)", tostring(config.role))
  end
  if type(config.pseudowires) ~= "table" or next(config.pseudowires) == nil then
    fail("no pseudowires (accepted: pseudowires = { name = { interface_name = ... }, ... })")
  end
  if config.version ~= nil and config.version ~= "l2tpv3" then
    fail("version is %s: pseudowires are L2TPv3 (leave version out)", tostring(config.version))
  end
  local calls = {}
  for name, pw in pairs(config.pseudowires) do
    if type(pw) ~= "table" then fail("pseudowire '%s' must be a table of session keys", tostring(name)) end
    calls[tostring(name)] = call_keys(name, pw)
  end
  local ok, err
  if config.role == "lac" then
    ok, err = l2tp.check_config("dynamic_tunnel", "pseudowired", tunnel_keys(config), calls)
  else
    ok, err = l2tp.check_config("listen", "pseudowired", tunnel_keys(config))
  end
  if not ok then fail("%s", err) end
end

local config = daemon.load("pseudowired", path, check)
local ctx = assert(l2tp.context{ dataplane = dataplane })
local role = config.role
local function pws() return config.pseudowires end

-- A pseudowire's name is its call's Remote End ID, on both ends.
local function pw_name(e)
  local id = e.session_config and e.session_config.remote_end_id
  return id and id ~= "" and id or e.session_name
end
ctx:on("session_up", function(e)
  l2tp.log("info", "pseudowire %s up%s", pw_name(e), e.interface_name and (" on " .. e.interface_name) or "")
end)
ctx:on("session_down", function(e)
  l2tp.log("warn", "pseudowire %s down: %s", pw_name(e), e.reason)
end)
ctx:on("session_circuit", function(e)
  l2tp.log("info", "pseudowire %s: the peer's circuit is %s", pw_name(e), e.circuit)
end)

local function refuse_role(new)
  if new.role == role then return false end
  l2tp.log("error", "pseudowired: %s: role %s -> %s needs a restart (reload refused, the running config stays)",
    path, role, tostring(new.role))
  return true
end

if role == "lns" then
  local carried = {} -- pseudowire name -> its session
  local listener
  local function on_call(call)
    local pw = pws()[call.remote_end_id]
    if not pw then return false, 2, "no pseudowire '" .. call.remote_end_id .. "' here" end
    local want = pw.pseudowire or "eth"
    if call.pseudowire ~= want then
      return false, 14, ("pseudowire '%s' is %s here, not %s"):format(call.remote_end_id, want, call.pseudowire)
    end
    local old = carried[call.remote_end_id]
    if old and not old:is_closed() then
      l2tp.log("info", "pseudowire %s: a new call from %s replaces the one on tunnel %s", call.remote_end_id,
        call.tunnel:config().peer or "?", old:tunnel().name)
      old:close("replaced by a new call")
    end
    local settings = {}
    for k, v in pairs(pw) do
      if k ~= "pseudowire" then settings[k] = v end
    end
    return settings
  end
  local function listen()
    local cfg = tunnel_keys(config)
    cfg.on_call = on_call
    listener = assert(ctx:listen("pseudowired", cfg))
    l2tp.log("info", "pseudowired (lns) waiting on %s", listener:address())
  end
  ctx:on("session_up", function(e)
    if e.kind == "accepted" then carried[e.session_config.remote_end_id] = e.session end
  end)
  ctx:on("tunnel_down", function(e) l2tp.log("warn", "tunnel %s down: %s", e.tunnel_name, e.reason) end)
  daemon.reload_on_hup("pseudowired", path, check, function(new)
    if refuse_role(new) then return end
    local old = config
    config = new
    local _, removed, changed = daemon.diff(old.pseudowires, new.pseudowires)
    for _, list in ipairs{ removed, changed } do
      for _, name in ipairs(list) do
        local s = carried[name]
        if s and not s:is_closed() then
          -- a removed one stays down; a changed one is placed again by the
          -- LAC and answered with its new settings
          l2tp.log("info", "reload: pseudowire %s %s", name, list == removed and "removed" or "changed")
          s:close(list == removed and "removed from the config" or "its config changed")
        end
      end
    end
    if not daemon.same(tunnel_keys(old), tunnel_keys(new)) then
      l2tp.log("info", "reload: listener keys changed: opening the listener anew")
      listener:close()
      listen()
    end
  end)
  listen()
  return
end

-- role = "lac"
local MIN_BACKOFF, MAX_BACKOFF = 1, 30
local backoff, tunnel = MIN_BACKOFF, nil

local function call(name)
  return tunnel:session(name, call_keys(name, pws()[name]))
end

local function dial()
  tunnel = ctx:dynamic_tunnel("pseudowired", tunnel_keys(config))
  for name in pairs(pws()) do call(name) end
end

ctx:on("tunnel_up", function(e)
  if e.tunnel ~= tunnel then return end
  l2tp.log("info", "tunnel up (%s -> %s)", e["local"] or "?", e.peer or "?")
  backoff = MIN_BACKOFF
end)
ctx:on("tunnel_down", function(e)
  -- a tunnel a reload replaced is not redialled
  if e.tunnel ~= tunnel then return end
  l2tp.log("warn", "tunnel down: %s; redialling in %d s", e.reason, backoff)
  if ctx:is_closed() then return end
  l2tp.timer(backoff, function()
    if not ctx:is_closed() and tunnel == e.tunnel then dial() end
  end)
  backoff = math.min(backoff * 2, MAX_BACKOFF)
end)
ctx:on("session_down", function(e)
  -- a call that drops while its tunnel stays up is placed again, while the
  -- config has it
  l2tp.timer(MIN_BACKOFF, function()
    if tunnel and tunnel == e.tunnel and tunnel:is_up() and pws()[e.session_name]
      and not tunnel:find_session(e.session_name) then
      call(e.session_name)
    end
  end)
end)

daemon.reload_on_hup("pseudowired", path, check, function(new)
  if refuse_role(new) then return end
  local old = config
  config = new
  if not daemon.same(tunnel_keys(old), tunnel_keys(new)) or not tunnel:is_up() then
    l2tp.log("info", "reload: tunnel keys changed: closing the tunnel and dialling again")
    local t = tunnel
    tunnel = nil
    t:close("its config changed")
    backoff = MIN_BACKOFF
    dial()
    return
  end
  local added, removed, changed = daemon.diff(old.pseudowires, new.pseudowires)
  for _, name in ipairs(removed) do
    l2tp.log("info", "reload: pseudowire %s removed", name)
    local s = tunnel:find_session(name)
    if s then s:close("removed from the config") end
  end
  for _, name in ipairs(changed) do
    l2tp.log("info", "reload: pseudowire %s changed", name)
    local s = tunnel:find_session(name)
    if s then s:close("its config changed") end -- placed again once it is down
  end
  for _, name in ipairs(added) do
    l2tp.log("info", "reload: pseudowire %s added", name)
    call(name)
  end
end)

-- A mistake in the config raises here, and l2tp-run exits 1 naming it.
dial()
l2tp.log("info", "pseudowired (lac) dialling %s", tostring(config.peer))
