-- The lab: a tour of the runtime that needs no root and no kernel L2TP.
--
--   l2tp-run examples/lab.lua
--
-- One process runs an LNS (with an admission hook) and a LAC on loopback
-- over the null data plane, plus a static L2TPv3 pseudowire. It prints
-- every event as it happens, tears things down step by step from timers,
-- and exits 0 once nothing is left to run.
local l2tp = require "l2tp"

local lns = l2tp.context{ log_level = "warn" }
local lac = l2tp.context{ log_level = "warn" }

local function show(side)
  return function(e)
    local what = e.session_name and ("session %s/%s"):format(e.tunnel_name, e.session_name)
      or ("tunnel %s"):format(e.tunnel_name)
    local extra = {}
    if e["local"] and e.peer then extra[#extra + 1] = ("%s -> %s"):format(e["local"], e.peer) end
    if e.interface_name then extra[#extra + 1] = "interface " .. e.interface_name end
    if e.reason then extra[#extra + 1] = "reason: " .. e.reason end
    print(("%-4s %-13s %s%s"):format(side, e.event, what,
      #extra > 0 and ("  (" .. table.concat(extra, ", ") .. ")") or ""))
  end
end
for _, ev in ipairs{ "tunnel_up", "session_up", "session_down", "tunnel_down" } do
  lns:on(ev, show("LNS"))
  lac:on(ev, show("LAC"))
end

-- The LNS: a secret for tunnel authentication, a hook that admits one
-- host name, and a hook that gives each call an address from a pool.
local pool, next_addr = "10.99.0.", 10
local listener = assert(lns:listen("lns", {
  ["local"] = "127.0.0.1:0", secret = "lab-secret", max_tunnels = 10,
  on_tunnel = function(req)
    if req.host_name ~= "lab-lac" then return false, { result = "not_authorized", message = "unknown LAC " .. req.host_name } end
    return true
  end,
  on_call = function(call)
    next_addr = next_addr + 1
    print(("LNS  on_call       serial %d from %s: assigning %s%d"):format(call.serial, call.tunnel.name, pool, next_addr))
    return { pppd = { "noauth", "10.99.0.1:" .. pool .. next_addr } }
  end,
}))
print("LNS  listening     on " .. listener:address())

-- The LAC: a tunnel to the LNS with two calls, and one the hook turns away.
local t = lac:dynamic_tunnel("to-lns", { peer = listener:address(), host_name = "lab-lac", secret = "lab-secret" })
t:session("alice", {})
t:session("bob", {})
lac:dynamic_tunnel("stranger", { peer = listener:address(), host_name = "someone-else", secret = "lab-secret" })

-- A static L2TPv3 Ethernet pseudowire, as `ip l2tp` would make it.
local pw = lac:static_tunnel("pw", { ["local"] = "127.0.0.1:17001", peer = "127.0.0.1:17002", tid = 100, ptid = 200 })
pw:session("eth", { sid = 1000, psid = 2000, cookie = { 0x12, 0xe9, 0x54, 0x0f }, l2spec_type = "default" })

-- A mistake is caught before anything is made: here, a 5-byte cookie.
local ok, err = pcall(function() pw:session("broken", { sid = 1001, psid = 2001, cookie = "12345" }) end)
print("     rejected      " .. tostring(err):gsub("^.-:%d+: ", ""))
assert(not ok and #pw:sessions() == 1)

l2tp.timer(0.5, function()
  for _, tun in ipairs(lns:tunnels()) do
    print(("LNS  status        tunnel %s (%s): %d call(s), %d control messages received"):format(
      tun.name, tun:kind(), #tun:sessions(), tun:stats().rx_messages))
  end
  t:find_session("bob"):close("bob hung up")
end)
l2tp.timer(0.8, function() t:close("lab over") end)
l2tp.timer(1.2, function()
  lac:close()
  lns:close()
end)
