-- l2tp.control: the operator's door into a running process. l2tp-ctl (or
-- anything that writes a JSON array of words and a newline to the Unix
-- socket) runs the commands below; scripts add their own with
-- l2tp.control.command, so a daemon written in Lua extends its CLI
-- without C.
--
--   local server = assert(l2tp.control.listen("/run/l2tp/lnsd.sock"))
--   l2tp.control.command("dial", function(args) ... return {dialled = args[1]} end,
--                        "dial PEER: place a call")
--
-- A command returns its result (any table, string or number: l2tp-ctl
-- --json prints it as JSON, l2tp-ctl draws it as a table or as key: value
-- lines) and optionally a view ({columns = {...}} for a list of records,
-- {order = {...}} for one record) saying how to draw it; or nil and an
-- error message. A command that raises answers the error to the client and
-- the process goes on.
local l2tp = ...
local raw = l2tp._control
l2tp._control = nil

local M = {}
local commands = {}
local builtin = {}

-- Marks an empty table as a JSON array (a non-empty sequence always is one).
M.array_mt = {__jsontype = "array"}
function M.array(t) return setmetatable(t or {}, M.array_mt) end
M.encode = raw.encode

-- The reason tunnels and sessions closed from the control socket carry in
-- their down events: daemons see it and do not redial.
M.CLOSED_BY_OPERATOR = "closed by operator"

local function fail(fmt, ...)
  error(("l2tp.control.%s"):format(fmt:format(...)), 3)
end

function M.command(name, fn, help)
  if type(name) ~= "string" or not name:match("^[%w][%w_.-]*$") then
    fail("command(name, fn [, help]): name must be one word of letters, digits, '_', '-' or '.', got %s",
      type(name) == "string" and ("'" .. name .. "'") or type(name))
  end
  if fn ~= nil and type(fn) ~= "function" then
    fail("command(name, fn [, help]): fn must be a function (or nil to remove), got %s", type(fn))
  end
  if help ~= nil and type(help) ~= "string" then
    fail("command(name, fn [, help]): help must be a string, got %s", type(help))
  end
  if builtin[name] then
    fail("command: '%s' is a built-in command", name)
  end
  commands[name] = fn and {fn = fn, help = help or name} or nil
end

function M.listen(path, opts)
  if type(path) ~= "string" or path == "" then
    fail("listen(path [, opts]): path must be a non-empty string, got %s", type(path))
  end
  opts = opts or {}
  if type(opts) ~= "table" then fail("listen(path [, opts]): opts must be a table, got %s", type(opts)) end
  for k in pairs(opts) do
    if k ~= "mode" and k ~= "keep_alive" then
      fail("listen: unknown option '%s' (accepted: mode, keep_alive)", tostring(k))
    end
  end
  local mode = opts.mode or 384 -- 0600: the owner only
  if type(mode) ~= "number" or mode % 1 ~= 0 or mode < 0 or mode > 511 then
    fail("listen: mode must be a permission number such as tonumber('600', 8), got %s", tostring(mode))
  end
  return raw.listen(path, mode, opts.keep_alive and true or false, M.dispatch)
end

-- Runs one request (a list of words) and returns the reply record.
function M.dispatch(argv)
  local name = argv[1]
  local c = commands[name]
  if not c then
    return {ok = false, error = ("unknown command '%s' (try 'help')"):format(tostring(name))}
  end
  local args = {}
  for i = 2, #argv do args[i - 1] = argv[i] end
  local ok, result, extra = pcall(c.fn, args)
  if not ok then
    l2tp.log("warn", "control command '%s' failed: %s", name, tostring(result))
    return {ok = false, error = tostring(result)}
  end
  if result == nil and extra ~= nil then
    return {ok = false, error = tostring(extra)}
  end
  if result == nil then result = true end
  return {ok = true, result = result, view = type(extra) == "table" and extra or nil}
end

-- What the built-in commands read.
local function each_tunnel(fn)
  for ci, ctx in ipairs(l2tp.contexts()) do
    for _, t in ipairs(ctx:tunnels()) do fn(t, ctx, ci) end
  end
end

local function find_tunnel(name)
  for _, ctx in ipairs(l2tp.contexts()) do
    local t = ctx:find_tunnel(name)
    if t then return t end
  end
  return nil, ("no tunnel '%s' (see 'show tunnels')"):format(name)
end

local function tunnel_record(t)
  local cfg = t:config() or {}
  local st = t:stats() or {}
  local lo, peer = t:addresses()
  return {
    name = t.name, kind = t:kind(), state = t:state(), version = cfg.version, encap = cfg.encap,
    ["local"] = lo or cfg["local"], peer = peer or cfg.peer, tid = cfg.tid, ptid = cfg.ptid,
    sessions = #t:sessions(), tx = st.tx_messages, rx = st.rx_messages, retransmits = st.tx_retransmits,
  }
end

local function session_record(t, s)
  local cfg = s:config() or {}
  return {
    tunnel = t.name, name = s.name, state = s:state(), pseudowire = cfg.pseudowire,
    sid = cfg.sid, psid = cfg.psid, interface = s:interface_name(),
  }
end

local TUNNEL_COLUMNS = {"name", "kind", "version", "encap", "state", "local", "peer", "tid", "ptid", "sessions",
  "tx", "rx", "retransmits"}
local SESSION_COLUMNS = {"tunnel", "name", "pseudowire", "state", "sid", "psid", "interface"}
local LISTENER_COUNTERS = {"accepted", "refused_by_hook", "refused_by_limit", "refused_malformed", "refused_auth",
  "refused_version", "refused_address", "evicted", "setup_timeouts", "answers_dropped", "calls_accepted", "calls_refused"}
local LISTENER_GAUGES = {"tunnels", "pending", "sessions"}
local CONTROL_COUNTERS = {"tx_messages", "tx_retransmits", "tx_zlbs", "tx_errors", "rx_messages", "rx_duplicates",
  "rx_out_of_order", "rx_zlbs", "rx_bad", "rx_bad_digest", "rx_stray"}

local function each_listener(fn)
  for _, ctx in ipairs(l2tp.contexts()) do
    for _, l in ipairs(ctx:listeners()) do fn(l, ctx) end
  end
end

local show = {}

function show.tunnels()
  local rows = M.array()
  each_tunnel(function(t) rows[#rows + 1] = tunnel_record(t) end)
  return rows, {columns = TUNNEL_COLUMNS}
end

function show.sessions(args)
  local rows = M.array()
  local function add(t)
    for _, s in ipairs(t:sessions()) do rows[#rows + 1] = session_record(t, s) end
  end
  if args[1] then
    local t, err = find_tunnel(args[1])
    if not t then return nil, err end
    add(t)
  else
    each_tunnel(add)
  end
  return rows, {columns = SESSION_COLUMNS}
end

function show.tunnel(args)
  if not args[1] then return nil, "usage: show tunnel NAME" end
  local t, err = find_tunnel(args[1])
  if not t then return nil, err end
  local r = tunnel_record(t)
  r.config = t:config()
  r.control = t:stats()
  r.sessions = M.array()
  for _, s in ipairs(t:sessions()) do r.sessions[#r.sessions + 1] = session_record(t, s) end
  return r, {order = {"name", "kind", "state", "version", "encap", "local", "peer", "tid", "ptid", "control",
    "config", "sessions"}, columns = {sessions = SESSION_COLUMNS}}
end

function show.listeners()
  local rows = M.array()
  each_listener(function(l)
    local r = l:stats() or {}
    r.name, r.address = l.name, l:address()
    rows[#rows + 1] = r
  end)
  return rows, {columns = {"name", "address", "tunnels", "pending", "sessions", "accepted", "refused_by_hook",
    "refused_by_limit", "refused_malformed", "refused_auth", "evicted", "calls_accepted", "calls_refused"}}
end

local function stats()
  local total = {contexts = 0, tunnels = 0, sessions = 0, listeners = 0, tunnels_up = 0, sessions_up = 0}
  for _, k in ipairs(CONTROL_COUNTERS) do total[k] = 0 end
  for _, ctx in ipairs(l2tp.contexts()) do
    local st = ctx:stats()
    total.contexts = total.contexts + 1
    total.tunnels = total.tunnels + st.tunnels
    total.sessions = total.sessions + st.sessions
    total.listeners = total.listeners + st.listeners
  end
  each_tunnel(function(t)
    if t:is_up() then total.tunnels_up = total.tunnels_up + 1 end
    for _, s in ipairs(t:sessions()) do
      if s:is_up() then total.sessions_up = total.sessions_up + 1 end
    end
    local st = t:stats() or {}
    for _, k in ipairs(CONTROL_COUNTERS) do total[k] = total[k] + (st[k] or 0) end
  end)
  return total, {order = {"contexts", "listeners", "tunnels", "tunnels_up", "sessions", "sessions_up"}}
end

-- Prometheus text exposition (version 0.0.4).
local function label(v)
  return (tostring(v):gsub("[\\\"\n]", {["\\"] = "\\\\", ["\""] = "\\\"", ["\n"] = "\\n"}))
end

local function metrics()
  local out = {}
  local function family(name, kind, help, samples)
    out[#out + 1] = ("# HELP %s %s\n# TYPE %s %s\n"):format(name, help, name, kind)
    for _, s in ipairs(samples) do
      out[#out + 1] = ("%s%s %s\n"):format(name, s[1], ("%.17g"):format(s[2]))
    end
  end
  local total = stats()
  family("l2tp_tunnels", "gauge", "Tunnels open.", {{"", total.tunnels}})
  family("l2tp_tunnels_up", "gauge", "Tunnels up.", {{"", total.tunnels_up}})
  family("l2tp_sessions", "gauge", "Sessions open.", {{"", total.sessions}})
  family("l2tp_sessions_up", "gauge", "Sessions up.", {{"", total.sessions_up}})
  local per_tunnel = {}
  local up = {}
  each_tunnel(function(t)
    local lbl = ('{tunnel="%s"}'):format(label(t.name))
    up[#up + 1] = {lbl, t:is_up() and 1 or 0}
    local st = t:stats() or {}
    for _, k in ipairs(CONTROL_COUNTERS) do
      if st[k] then
        per_tunnel[k] = per_tunnel[k] or {}
        table.insert(per_tunnel[k], {lbl, st[k]})
      end
    end
  end)
  family("l2tp_tunnel_up", "gauge", "1 if the tunnel is up.", up)
  for _, k in ipairs(CONTROL_COUNTERS) do
    if per_tunnel[k] then
      family("l2tp_tunnel_control_" .. k .. "_total", "counter", "Control channel " .. k:gsub("_", " ") .. ".",
        per_tunnel[k])
    end
  end
  local per_listener = {}
  each_listener(function(l)
    local lbl = ('{listener="%s"}'):format(label(l.name))
    local st = l:stats() or {}
    for _, k in ipairs(LISTENER_COUNTERS) do
      per_listener[k] = per_listener[k] or {}
      table.insert(per_listener[k], {lbl, st[k] or 0})
    end
    for _, k in ipairs(LISTENER_GAUGES) do
      per_listener["g" .. k] = per_listener["g" .. k] or {}
      table.insert(per_listener["g" .. k], {lbl, st[k] or 0})
    end
  end)
  for _, k in ipairs(LISTENER_COUNTERS) do
    if per_listener[k] then
      family("l2tp_listener_" .. k .. "_total", "counter", "Listener " .. k:gsub("_", " ") .. ".", per_listener[k])
    end
  end
  for _, k in ipairs(LISTENER_GAUGES) do
    if per_listener["g" .. k] then
      family("l2tp_listener_" .. k, "gauge", "Listener " .. k .. " now.", per_listener["g" .. k])
    end
  end
  return table.concat(out)
end

local function close(args)
  local what, name = args[1], args[2]
  if what == "tunnel" and name then
    local t, err = find_tunnel(name)
    if not t then return nil, err end
    t:close(M.CLOSED_BY_OPERATOR)
    return {closed = "tunnel " .. name}
  elseif what == "session" and name then
    local tname, sname = name:match("^(.-)/(.+)$")
    if not tname then return nil, "usage: close session TUNNEL/SESSION" end
    local t, err = find_tunnel(tname)
    if not t then return nil, err end
    local s = t:find_session(sname)
    if not s then return nil, ("no session '%s' in tunnel '%s'"):format(sname, tname) end
    s:close(M.CLOSED_BY_OPERATOR)
    return {closed = "session " .. name}
  end
  return nil, "usage: close tunnel NAME | close session TUNNEL/SESSION"
end

local function log_level(args)
  if args[1] then
    local ok, err = pcall(l2tp.log_level, args[1])
    if not ok then return nil, (tostring(err):gsub("^.-: l2tp", "l2tp")) end
    for _, ctx in ipairs(l2tp.contexts()) do ctx:log_level(args[1]) end
    l2tp.log("info", "log level set to %s from the control socket", args[1])
  end
  return {log_level = l2tp.log_level()}
end

-- pcap FILE | off: capture every context's datagrams from now on, as
-- --pcap does from the start; pcap alone tells how it goes.
local function pcap(args)
  if args[1] == nil then
    local st = l2tp.pcap()
    if not st then return {capturing = false} end
    return {capturing = true, packets = st.packets, error = st.error}
  end
  if args[1] == "off" then
    l2tp.pcap(false)
    l2tp.log("info", "capture stopped from the control socket")
    return {capturing = false}
  end
  local ok, err = l2tp.pcap(args[1])
  if not ok then return nil, err end
  l2tp.log("info", "capturing to %s from the control socket", args[1])
  return {capturing = true, file = args[1]}
end

local function help()
  local rows = M.array()
  local names = {}
  for name in pairs(commands) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do rows[#rows + 1] = {command = name, help = commands[name].help} end
  return rows, {columns = {"command", "help"}}
end

local function define(name, fn, text)
  commands[name] = {fn = fn, help = text}
  builtin[name] = true
end

define("help", help, "help: the commands this process answers")
define("version", function() return {version = l2tp.version} end, "version: the runtime's version")
define("show", function(args)
  local f = show[args[1] or ""]
  if not f then return nil, "usage: show tunnels | sessions [TUNNEL] | tunnel NAME | listeners" end
  return f({select(2, unpack(args))})
end, "show tunnels | sessions [TUNNEL] | tunnel NAME | listeners")
define("stats", stats, "stats: totals over every context")
define("metrics", metrics, "metrics: counters in Prometheus text format")
define("close", close, "close tunnel NAME | close session TUNNEL/SESSION (stays closed: daemons do not redial)")
define("pcap", pcap, "pcap [FILE | off]: capture every datagram sent and received to FILE (pcap), or stop")
define("log-level", log_level, "log-level [LEVEL]: show or set the log level (error, warn, info, debug, trace)")

return M
