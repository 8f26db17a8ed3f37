-- A static L2TPv3 Ethernet pseudowire: the `ip l2tp` kind of tunnel, with no
-- control protocol. Run one copy on each host, with local and peer swapped:
--
--   l2tp-run examples/static.lua          (null data plane: a dry run)
--   L2TP_DATAPLANE=netlink l2tp-run examples/static.lua   (as root: real)
--
-- The script keeps running until SIGINT/SIGTERM, then removes what it made.
local l2tp = require "l2tp"

local ctx = l2tp.context{
  dataplane = os.getenv("L2TP_DATAPLANE") or "null",
  log_level = "info",
}

local tunnel = ctx:static_tunnel("pw1", {
  -- `local` is a Lua keyword, so it is written ["local"] in a table.
  ["local"] = "192.0.2.1:5000",   -- this host's address and UDP port
  peer = "192.0.2.2:5000",        -- the other end
  version = "l2tpv3",             -- static tunnels are L2TPv3 only
  encap = "udp",                  -- or "ip" (addresses then take no port)
  tid = 4000,                     -- our tunnel ID: the peer's ptid
  ptid = 4001,                    -- the peer's tunnel ID: its tid
})

tunnel:session("eth0-bridge", {
  sid = 1,                        -- session IDs are host-wide in L2TPv3
  psid = 2,
  pseudowire = "eth",             -- an Ethernet interface, l2tpethN
  interface_name = "l2tp-pw1",    -- or leave it out for the kernel's name
  cookie = { 0xde, 0xad, 0xbe, 0xef },       -- what we send: the peer's peer_cookie
  peer_cookie = { 0xca, 0xfe, 0xf0, 0x0d },  -- what we expect from the peer
  l2spec_type = "default",        -- the RFC 3931 default L2-specific sublayer
  seqnum = false,
})

ctx:on("session_up", function(e)
  l2tp.log("info", "%s is up: add it to a bridge or give it an address", e.interface_name or e.session_name)
end)
ctx:on("tunnel_down", function(e)
  l2tp.log("info", "tunnel %s down: %s", e.tunnel_name, e.reason)
end)
