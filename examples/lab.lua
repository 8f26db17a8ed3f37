-- The lab: a tour of the runtime that needs no root and no kernel L2TP.
--
--   l2tp-run examples/lab.lua
--
-- It builds two static L2TPv3 tunnels with Ethernet sessions on the null
-- data plane, prints every event as it happens, tears things down step by
-- step from timers, and exits 0 once nothing is left to run.
local l2tp = require "l2tp"

local ctx = l2tp.context{ dataplane = "null", log_level = "warn" }

local function describe(e)
  local what = e.session_name and ("session %s/%s"):format(e.tunnel_name, e.session_name)
    or ("tunnel %s"):format(e.tunnel_name)
  local extra = {}
  if e["local"] then extra[#extra + 1] = ("%s -> %s"):format(e["local"], e.peer) end
  if e.interface_name then extra[#extra + 1] = "interface " .. e.interface_name end
  if e.reason then extra[#extra + 1] = "reason: " .. e.reason end
  return ("%-13s %s%s"):format(e.event, what,
    #extra > 0 and ("  (" .. table.concat(extra, ", ") .. ")") or "")
end

for _, ev in ipairs{ "tunnel_up", "session_up", "session_down", "tunnel_down" } do
  ctx:on(ev, function(e) print(describe(e)) end)
end

-- Two tunnels between the same pair of hosts, as `ip l2tp` would make them.
local west = ctx:static_tunnel("west", {
  ["local"] = "127.0.0.1:17001", peer = "127.0.0.1:17002",
  version = "l2tpv3", encap = "udp", tid = 100, ptid = 200,
})
local east = ctx:static_tunnel("east", {
  ["local"] = "127.0.0.1:17003", peer = "127.0.0.1:17004",
  tid = 101, ptid = 201,
})

west:session("office", { sid = 1000, psid = 2000, pseudowire = "eth",
  cookie = { 0x12, 0xe9, 0x54, 0x0f }, peer_cookie = "\x74\x2e\x28\xa8",
  l2spec_type = "default", interface_name = "l2tp-office" })
west:session("lab", { sid = 1001, psid = 2001 })
east:session("backup", { sid = 1002, psid = 2002, seqnum = true })

-- A mistake is caught before anything is made: here, a 5-byte cookie.
local ok, err = pcall(function()
  east:session("broken", { sid = 1003, psid = 2003, cookie = "12345" })
end)
print("rejected:    " .. tostring(err):gsub("^.-:%d+: ", ""))
assert(not ok and #east:sessions() == 1)

l2tp.timer(0.1, function()
  for _, t in ipairs(ctx:tunnels()) do
    local names = {}
    for _, s in ipairs(t:sessions()) do
      names[#names + 1] = ("%s(%s)"):format(s.name, s:interface_name() or "-")
    end
    print(("status:      tunnel %s: %d session(s): %s"):format(t.name, #names, table.concat(names, " ")))
  end
  west:find_session("lab"):close("lab session no longer needed")
end)

l2tp.timer(0.2, function() east:close("maintenance") end)

l2tp.timer(0.3, function()
  ctx:close()   -- closes what is left; the down events follow
end)
