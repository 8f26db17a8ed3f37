-- Helpers for the kernel specs, which run inside the VM (tools/vm) as
-- root: network namespaces joined by veth, and runtime processes in them.
local M = {}

M.build_dir = os.getenv("L2TP_BUILD_DIR") or "build"
M.l2tp_run = M.build_dir .. "/bindings/l2tp-run"
local dir = "/tmp/l2tp-kernel-spec"
M.dir = dir -- where the specs keep their scripts, configs and logs

-- The scripts' report writer, as Lua source: put(file, text) writes
-- base .. file whole (through a rename), so a spec polling for the file
-- never reads it empty or half-written.
M.PUT = 'local function put(file, s) local p = base .. file; local f = io.open(p .. ".tmp", "w"); '
  .. 'f:write(s); f:close(); os.rename(p .. ".tmp", p) end'

function M.sh(cmd)
  local f = io.popen(cmd .. " 2>&1; echo \"rc=$?\"")
  local out = f:read("*a")
  f:close()
  local rc = tonumber(out:match("rc=(%d+)%s*$"))
  return rc, (out:gsub("rc=%d+%s*$", ""))
end

function M.must(cmd)
  local rc, out = M.sh(cmd)
  assert(rc == 0, cmd .. " failed: " .. out)
  return out
end

function M.ns(ns, cmd) return M.sh("ip netns exec " .. ns .. " " .. cmd) end

-- Two namespaces a and b joined by veth: 10.200.0.1/24 and fd00:200::1/64
-- in a, .2 and ::2 in b.
function M.setup()
  M.teardown()
  os.execute("mkdir -p " .. dir)
  M.must("ip netns add l2a && ip netns add l2b")
  M.must("ip link add va netns l2a type veth peer name vb netns l2b")
  M.must("ip -n l2a link set lo up && ip -n l2b link set lo up")
  M.must("ip -n l2a addr add 10.200.0.1/24 dev va && ip -n l2b addr add 10.200.0.2/24 dev vb")
  M.must("ip -n l2a addr add fd00:200::1/64 dev va nodad && ip -n l2b addr add fd00:200::2/64 dev vb nodad")
  M.must("ip -n l2a link set va up && ip -n l2b link set vb up")
end

function M.teardown()
  os.execute("pkill -f 'l2tp-run .*/tmp/l2tp-kernel-spec' >/dev/null 2>&1; sleep 0.2")
  os.execute("ip netns del l2a >/dev/null 2>&1; ip netns del l2b >/dev/null 2>&1")
  os.execute("rm -rf " .. dir)
end

local function read(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end
M.read = read

function M.write(path, s)
  local f = assert(io.open(path, "w"))
  f:write(s)
  f:close()
end

function M.wait_for(fn, timeout)
  local deadline = os.time() + (timeout or 10)
  repeat
    local v = fn()
    if v then return v end
    os.execute("sleep 0.1")
  until os.time() > deadline
  return fn()
end

-- Starts `l2tp-run` in namespace ns on a script that builds one tunnel
-- (kind "static" or "quiescent") and one session, and reports through
-- files: NAME.ready (the interface), NAME.stats (session counters, every
-- 200 ms), NAME.down (why the tunnel went down). Returns the pid.
function M.endpoint(name, ns, kind, tcfg, scfg)
  local function ser(t)
    local parts = {}
    for k, v in pairs(t) do
      local val
      if type(v) == "string" then val = ("%q"):format(v)
      elseif type(v) == "table" then
        local items = {}
        for _, x in ipairs(v) do items[#items + 1] = tostring(x) end
        val = "{" .. table.concat(items, ",") .. "}"
      else val = tostring(v) end
      parts[#parts + 1] = ("[%q]=%s"):format(k, val)
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  local base = dir .. "/" .. name
  local script = base .. ".lua"
  local f = assert(io.open(script, "w"))
  f:write(([[
local l2tp = require "l2tp"
local base = %q
%s
local ctx = assert(l2tp.context{ dataplane = "netlink", log_level = "info" })
local t = assert(ctx:%s_tunnel("t", %s))
local s = assert(t:session("s", %s))
put(".ready", s:interface_name() or "")
ctx:on("tunnel_down", function(e) put(".down", e.reason) end)
l2tp.every(0.2, function()
  local st = s:stats()
  if st then
    put(".stats", ("rx_packets=%%d rx_errors=%%d rx_cookie_discards=%%d tx_packets=%%d"):format(
      st.rx_packets, st.rx_errors, st.rx_cookie_discards, st.tx_packets))
  end
  local ts = t:stats()
  if ts and ts.tx_messages then put(".control", ("tx_messages=%%d rx_zlbs=%%d"):format(ts.tx_messages, ts.rx_zlbs)) end
end)
]]):format(base, M.PUT, kind, ser(tcfg), ser(scfg)))
  f:close()
  local p = io.popen(("ip netns exec %s %s %s >%s.log 2>&1 & echo $!"):format(ns, M.l2tp_run, script, base))
  local pid = p:read("*l")
  p:close()
  local ifname = M.wait_for(function() return read(base .. ".ready") end, 10)
  assert(ifname, "endpoint " .. name .. " did not come up: " .. (read(base .. ".log") or ""))
  return pid, ifname
end

-- Starts `l2tp-run` in namespace ns on a script of its own: body runs
-- after `l2tp`, `base` (where its files go) and put(suffix, text) are
-- defined. Returns the pid; the script reports through its files.
function M.script(name, ns, body)
  local base = dir .. "/" .. name
  M.write(base .. ".lua", ([[
local l2tp = require "l2tp"
local base = %q
%s
]]):format(base, M.PUT) .. body)
  local p = io.popen(("ip netns exec %s %s %s.lua >%s.log 2>&1 & echo $!"):format(ns, M.l2tp_run, base, base))
  local pid = p:read("*l")
  p:close()
  return pid
end

-- Starts one of our daemons (scripts/NAME.lua) in namespace ns on the
-- config `config` (Lua source), written to dir/NAME.conf; its output goes
-- to dir/LOG.log (log defaults to ns). Returns the pid.
function M.daemon(script, ns, config, log)
  local conf = ("%s/%s-%s.conf"):format(dir, script, ns)
  M.write(conf, config)
  local p = io.popen(("ip netns exec %s %s scripts/%s.lua %s >%s/%s.log 2>&1 & echo $!"):format(ns, M.l2tp_run,
    script, conf, dir, log or ns))
  local pid = p:read("*l")
  p:close()
  return pid
end

function M.stats(name)
  local s = read(dir .. "/" .. name .. ".stats") or ""
  local t = {}
  for k, v in s:gmatch("(%w[%w_]*)=(%d+)") do t[k] = tonumber(v) end
  return t
end

function M.down_reason(name) return read(dir .. "/" .. name .. ".down") end

function M.log(name) return read(dir .. "/" .. name .. ".log") or "" end

-- Puts an address on a namespace's interface and brings it up.
function M.addr(ns, ifname, cidr)
  M.must(("ip -n %s addr add %s dev %s && ip -n %s link set %s up"):format(ns, cidr, ifname, ns, ifname))
end

function M.ping(ns, addr, count)
  return M.ns(ns, ("ping -c %d -i 0.2 -W 2 %s"):format(count or 3, addr))
end

-- Captures interface ifname of namespace ns with dumpcap into dir/NAME.pcap
-- until the returned function is called, which stops the capture and
-- returns the file's path (nil and why when there is no dumpcap or it
-- did not start).
function M.capture(name, ns, ifname)
  if M.sh("command -v dumpcap") ~= 0 then return nil, "dumpcap is not installed (apt-get install tshark)" end
  local path, log = dir .. "/" .. name .. ".pcap", dir .. "/" .. name .. ".dumpcap"
  local p = io.popen(("ip netns exec %s dumpcap -q -i %s -w %s >%s 2>&1 & echo $!"):format(ns, ifname, path, log))
  local pid = p:read("*l")
  p:close()
  -- dumpcap says where it captures once it does
  if not M.wait_for(function() return (read(log) or ""):find("Capturing on") end, 30) then
    os.execute("kill " .. pid .. " 2>/dev/null")
    return nil, "dumpcap did not start: " .. (read(log) or "")
  end
  return function()
    os.execute("kill -INT " .. pid .. " 2>/dev/null")
    M.wait_for(function() return M.sh("kill -0 " .. pid) ~= 0 end, 10)
    return path
  end
end

function M.kernel_tunnels(ns)
  local _, out = M.ns(ns, "ip l2tp show tunnel")
  return out
end

return M
