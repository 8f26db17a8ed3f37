-- l2tp.pppoe: a PPPoE access concentrator whose sessions ride L2TP, the
-- broadband LAC (go-l2tp's kpppoed) with its policy in Lua.
--
--   local ac = ctx:pppoe{
--     interface = "eth1",                -- the subscribers' side
--     ac_name = "bras1", services = { "internet", "voip" },
--     on_session = function(req)         -- req: mac, service, host_uniq, session_id, interface, max_payload
--       if req.service == "voip" then return { name = "lns2", peer = "192.0.2.2:1701", secret = "s" } end
--       return { name = "lns1", peer = "192.0.2.1:1701", secret = "s" }
--     end,
--   }
--
-- Discovery (PADI/PADO/PADR/PADS/PADT, cookies, limits) runs in C. Each
-- session granted on a PADR goes to on_session, which names the LNS: a
-- dynamic tunnel's config (`name` picks the tunnel, default its peer), or
-- a tunnel object the script made; or refuses with nil, message [, tag].
-- The session becomes an incoming call (pseudowire "pppac", the PPPoE
-- session ID and subscriber MAC as its keys, the MAC as Calling Number) on
-- the one tunnel to that LNS, dialled on first use and shared by every
-- call to it, and closed with its last call. On the kernel data plane the call's PPP channel is bridged
-- to the PPPoE session's (PPPIOCBRIDGECHAN): no pppd at the LAC. The subscriber's PADS goes out once the call is up; a call
-- the LNS refuses becomes a PADS with AC-System-Error, a call that drops
-- a PADT, and a PADT from the subscriber closes the call (CDN).
local l2tp = ...
local raw = l2tp._pppoe
l2tp._pppoe = nil

local M = {
  encode = raw.encode,
  decode = raw.decode,
  ETH_P_DISC = 0x8863,
  ETH_P_SESSION = 0x8864,
}

local KEYS = { "interface", "netns", "ac_name", "services", "max_sessions", "max_pending", "max_sessions_per_mac",
  "max_offers", "pending_timeout", "on_padi", "on_session", "calling_number", "session" }
local KNOWN = {}
for _, k in ipairs(KEYS) do KNOWN[k] = true end

local function fail(level, fmt, ...)
  error(("pppoe: " .. fmt):format(...), level + 1)
end

local function check(cfg)
  if type(cfg) ~= "table" then fail(4, "ctx:pppoe(cfg): cfg must be a table, got %s", type(cfg)) end
  for k in pairs(cfg) do
    if not KNOWN[k] then
      fail(4, "unknown key '%s' (accepted: %s)", tostring(k), table.concat(KEYS, ", "))
    end
  end
  for _, k in ipairs{ "on_padi", "on_session", "calling_number" } do
    if cfg[k] ~= nil and type(cfg[k]) ~= "function" then
      fail(4, "%s must be a function, got %s", k, type(cfg[k]))
    end
  end
  if type(cfg.on_session) ~= "function" then
    fail(4, "on_session is required: a function(req) that names the LNS for a session")
  end
  if cfg.session ~= nil and type(cfg.session) ~= "table" then
    fail(4, "session must be a table of session keys, got %s", type(cfg.session))
  end
end

-- Per context, the tunnels its ACs dialled and how many of their calls
-- ride each: shared, since two ACs (two interfaces) may send calls to one
-- LNS, and the tunnel goes only with the last of all of them.
local dialled_by_ctx = setmetatable({}, { __mode = "k" })

local function is_tunnel(x)
  return type(x) == "userdata" and tostring(x):match("^l2tp%.tunnel") ~= nil
end

-- ctx:pppoe(cfg): the AC object (l2tp.pppoe_ac), or nil, message when the
-- interface cannot be opened.
local function serve(ctx, cfg)
  check(cfg)
  if cfg.netns and ctx:dataplane() ~= "null" then
    -- PPPIOCBRIDGECHAN finds channels in the caller's namespace only
    fail(3, "netns is for the null data plane: the kernel bridges a PPPoE session to its call only when the "
      .. "interface is in this process's namespace (run l2tp-run inside it: ip netns exec)")
  end
  -- Both kept in step by forget, which every end of a PPPoE session
  -- reaches (on_end hears them all, or session_down forgets first).
  local calls = {}    -- PPPoE session ID -> { session = , tunnel = , up = }
  local by_session = {} -- L2TP session object -> PPPoE session ID
  local dialled = dialled_by_ctx[ctx] or setmetatable({}, { __mode = "k" })
  dialled_by_ctx[ctx] = dialled
  local ac, handlers

  -- A tunnel we dialled that carries no call of ours goes.
  local function release(t)
    local n = dialled[t]
    if not n then return end
    dialled[t] = n > 1 and n - 1 or nil
    if n <= 1 and not t:is_closed() then t:close("no calls left") end
  end

  local function forget(id)
    local c = calls[id]
    if c then
      calls[id] = nil
      by_session[c.session] = nil
      -- A tunnel we dialled goes with its last call, as a LAC's does: no
      -- idle tunnel (and kernel tunnel) is left to an LNS nobody uses.
      release(c.tunnel)
    end
    return c
  end

  -- The LNS on_session chose: its tunnel, open or dialled now.
  local function tunnel_for(lns)
    if is_tunnel(lns) then
      if lns:is_closed() then return nil, "the tunnel on_session gave is closed" end
      return lns
    end
    if type(lns) ~= "table" then
      return nil, ("on_session returned a %s (accepted: a tunnel config table, a tunnel, or nil, message)")
        :format(type(lns))
    end
    local conf, name = {}, lns.name or lns.peer
    if type(name) ~= "string" then return nil, "on_session's LNS has neither name nor peer" end
    for k, v in pairs(lns) do
      if k ~= "name" and k ~= "session" then conf[k] = v end
    end
    local t = ctx:find_tunnel(name)
    if t and not t:is_closed() then return t end
    local ok, nt, err = pcall(ctx.dynamic_tunnel, ctx, name, conf)
    if not ok then return nil, nt end
    if nt then dialled[nt] = 1 end -- counted for the call about to be placed
    return nt, err, true
  end

  local function on_padr(req)
    local ok, lns, why, tag = pcall(cfg.on_session, req)
    if not ok then
      l2tp.log("error", "pppoe %s: on_session failed (refusing %s): %s", req.interface, req.mac, lns)
      return ac:refuse(req.session_id, "admission hook failed", "ac_system_error")
    end
    if not lns then
      l2tp.log("info", "pppoe %s: %s refused by on_session%s", req.interface, req.mac,
        why and (": " .. tostring(why)) or "")
      local refused, err = ac:refuse(req.session_id, why and tostring(why) or "refused", tag)
      if not refused then l2tp.log("error", "pppoe %s: %s", req.interface, err) end
      return
    end
    local t, err, fresh = tunnel_for(lns)
    if not t then
      l2tp.log("error", "pppoe %s: no tunnel for %s: %s", req.interface, req.mac, err)
      return ac:refuse(req.session_id, "no LNS reachable", "ac_system_error")
    end
    local scfg = {}
    for k, v in pairs(cfg.session or {}) do scfg[k] = v end
    if type(lns) == "table" and type(lns.session) == "table" then
      for k, v in pairs(lns.session) do scfg[k] = v end
    end
    scfg.pseudowire = "pppac"
    scfg.pppoe_session_id = req.session_id
    scfg.pppoe_peer_mac = req.mac
    scfg.pppoe_interface = req.interface
    if scfg.calling_number == nil and cfg.calling_number then
      local cok, number = pcall(cfg.calling_number, req)
      if not cok then l2tp.log("error", "pppoe %s: calling_number failed: %s", req.interface, number) end
      scfg.calling_number = cok and number or nil
    end
    if scfg.calling_number == nil then scfg.calling_number = req.mac end
    local name = ("pppoe-%s-%d"):format(req.interface, req.session_id)
    local sok, s, serr = pcall(t.session, t, name, scfg)
    if not sok or not s then
      l2tp.log("error", "pppoe %s: call for %s: %s", req.interface, req.mac, sok and serr or s)
      if fresh then release(t) end
      return ac:refuse(req.session_id, "could not place the L2TP call", "ac_system_error")
    end
    calls[req.session_id] = { session = s, tunnel = t }
    by_session[s] = req.session_id
    if dialled[t] and not fresh then dialled[t] = dialled[t] + 1 end
    l2tp.log("info", "pppoe %s: session %d for %s rides tunnel %s", req.interface, req.session_id, req.mac,
      t.name)
  end

  -- Any end of a PPPoE session: a PADT from the subscriber, the AC gave
  -- up waiting for the call, a refuse or terminate (ours or the script's),
  -- the AC's close. The call goes with it.
  local function on_end(id, reason)
    local c = calls[id]
    -- the call first, so that it ends for this reason, not its tunnel's
    if c and not c.session:is_closed() then c.session:close(reason) end
    forget(id)
  end

  local ok, made, err = pcall(raw.ac, ctx, cfg, cfg.on_padi, on_padr, on_end)
  -- a bad value is the caller's mistake: said at the caller's line
  if not ok then error((tostring(made):gsub("^[^:]*:%d+: ", "")), 3) end
  if not made then return nil, err end
  ac = made

  -- The handlers go with the AC, the first time they run after it closed.
  local function gone()
    if not ac:is_closed() then return false end
    for _, hid in ipairs(handlers) do ctx:off(hid) end
    return true
  end
  handlers = {
    ctx:on("session_up", function(e)
      local id = by_session[e.session]
      if gone() or not id then return end
      calls[id].up = true
      local ok, cerr = ac:confirm(id)
      if not ok then l2tp.log("error", "pppoe %s: %s", e.session_name, cerr) end
    end),
    ctx:on("session_down", function(e)
      local id = by_session[e.session]
      if gone() or not id then return end
      local c = forget(id)
      if c.up then
        ac:terminate(id, "L2TP call ended: " .. tostring(e.reason))
      else
        ac:refuse(id, "the LNS did not take the call: " .. tostring(e.reason), "ac_system_error")
      end
    end),
  }
  return ac
end

raw.register(serve)
return M
