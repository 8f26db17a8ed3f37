-- Shared by the specs: finds the build, loads the module, and checks error
-- messages exactly.
local M = {}

M.build_dir = os.getenv("L2TP_BUILD_DIR") or "build"
M.l2tp_run = os.getenv("L2TP_RUN") or (M.build_dir .. "/bindings/l2tp-run")
package.cpath = M.build_dir .. "/bindings/?.so;" .. package.cpath

M.l2tp = require "l2tp"

-- Calls fn from a Lua line of this file and returns its error message
-- without the "file:line: " prefix, after checking that the prefix names
-- that line: errors must point at the script line that made them.
function M.raises(fn, ...)
  local args, n = { ... }, select("#", ...)
  local line = debug.getinfo(1, "l").currentline + 2
  local ok, err = pcall(function()
    local r = fn(unpack(args, 1, n)) -- not a tail call: the caller's line must stay on the stack
    return r
  end)
  assert(not ok, "expected an error, got success")
  err = tostring(err)
  local file, at, msg = err:match("^([^:]+%.lua):(%d+): (.*)$")
  assert(file, "error has no file:line prefix: " .. err)
  assert(file:match("helpers%.lua$") and tonumber(at) == line,
    "error points at " .. file .. ":" .. at .. ", not at the calling line " .. line)
  return msg
end

-- A static L2TPv3 tunnel config with the given overrides.
function M.tcfg(over)
  local c = { ["local"] = "127.0.0.1:5000", peer = "127.0.0.1:5001", tid = 1, ptid = 2 }
  for k, v in pairs(over or {}) do c[k] = v end
  return c
end

-- Records a context's events: r.list (in order), r.n(name), and
-- r.last(name [, tunnel_name]).
function M.recorder(ctx)
  local r = { list = {}, count = {} }
  for _, name in ipairs{ "tunnel_up", "tunnel_down", "session_up", "session_down" } do
    ctx:on(name, function(e)
      r.list[#r.list + 1] = e
      r.count[name] = (r.count[name] or 0) + 1
    end)
  end
  function r.n(name) return r.count[name] or 0 end
  function r.last(name, tunnel)
    for i = #r.list, 1, -1 do
      local e = r.list[i]
      if e.event == name and (tunnel == nil or e.tunnel_name == tunnel) then return e end
    end
  end
  return r
end

-- An LNS context and a LAC context (null data plane, quiet), each with a
-- recorder, and listen(cfg): a listener "lns" on a free loopback port.
-- For before_each; close_pair in after_each.
function M.pair()
  local l2tp = M.l2tp
  local lns = l2tp.context{ log_level = "error" }
  local lac = l2tp.context{ log_level = "error" }
  local function listen(cfg)
    cfg = cfg or {}
    cfg["local"] = cfg["local"] or "127.0.0.1:0"
    return assert(lns:listen("lns", cfg))
  end
  return lns, lac, M.recorder(lns), M.recorder(lac), listen
end

function M.close_pair(lns, lac)
  lac:close()
  lns:close()
  M.l2tp.run(0.2)
end

-- Runs the loop until fn() is true or the timeout passes.
function M.run_until(fn, timeout)
  local l2tp = M.l2tp
  local deadline = l2tp.now() + (timeout or 5)
  local poll
  poll = l2tp.every(0.005, function(t)
    if fn() or l2tp.now() > deadline then t:cancel(); l2tp.stop() end
  end)
  l2tp.run(timeout or 5)
  poll:cancel()
  return fn()
end

-- Runs a shell command; returns exit code, stdout, stderr.
function M.sh(cmd)
  local out, errf = os.tmpname(), os.tmpname()
  local ok, how, code = os.execute(cmd .. " >" .. out .. " 2>" .. errf)
  -- LuaJIT without 5.2 compat returns the raw status.
  if type(ok) == "number" then code = ok >= 256 and math.floor(ok / 256) or ok end
  local function slurp(p) local f = io.open(p); local s = f:read("*a"); f:close(); os.remove(p); return s end
  return code, slurp(out), slurp(errf)
end

-- Writes body to path, whole (a config a spec rewrites before a reload).
function M.write_file(path, body)
  local f = assert(io.open(path, "w"))
  f:write(body)
  f:close()
end

-- What the file at path holds; "" when there is none (yet): a log a
-- spec polls while a process writes it.
function M.read_file(path)
  local f = io.open(path)
  local s = f and f:read("*a") or ""
  if f then f:close() end
  return s
end

-- A fresh path in /tmp ending in suffix, with nothing at it (for a socket
-- or a config whose name matters).
function M.tmp_path(suffix)
  local p = os.tmpname()
  os.remove(p)
  return p .. (suffix or "")
end

function M.write_script(body)
  local p = os.tmpname() .. ".lua"
  M.write_file(p, body)
  return p
end

-- A free UDP port on loopback (bound, read, released).
function M.free_port()
  local s = assert(M.l2tp.udp{ ["local"] = "127.0.0.1:0" })
  local port = tonumber(s:local_address():match(":(%d+)$"))
  s:close()
  return port
end

return M
