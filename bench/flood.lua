-- bench/flood's attacker: N SCCRQs to 127.0.0.1:PORT over about SECONDS,
-- each from its own source port and with its own Assigned Tunnel ID, sent
-- through a raw socket (root only) so no socket is needed per port. Nobody
-- answers on those ports: every tunnel the LNS starts for them stays
-- half-open. Usage: luajit bench/flood.lua PORT N SECONDS
local ffi = require "ffi"
local l2tp = require "l2tp"
local port, n, secs = tonumber(arg[1]), tonumber(arg[2]), tonumber(arg[3])

ffi.cdef [[
int socket(int domain, int type, int protocol);
long sendto(int fd, const void *buf, size_t len, int flags, const void *to, unsigned tolen);
struct timespec_ { long tv_sec; long tv_nsec; };
int nanosleep(const struct timespec_ *req, struct timespec_ *rem);
struct sockaddr_in_ { uint16_t family; uint16_t port; uint32_t addr; uint8_t zero[8]; };
]]
local C = ffi.C
local fd = C.socket(2, 3, 17) -- AF_INET, SOCK_RAW, IPPROTO_UDP: we write the UDP header
assert(fd >= 0, "a raw socket needs root")
local to = ffi.new("struct sockaddr_in_", { family = 2, port = 0, addr = 0x0100007f })

local function be16(v) return string.char(math.floor(v / 256) % 256, v % 256) end

local batch = 100
local pause = ffi.new("struct timespec_", { 0, math.floor(secs * 1e9 * batch / n) })
for i = 0, n - 1 do
  local l2 = assert(l2tp.codec.encode({ type = "SCCRQ", avps = {
    { name = "protocol_version", value = { version = 1, revision = 0 } },
    { name = "host_name", value = "flood" }, { name = "framing_capabilities", value = 3 },
    { name = "assigned_tunnel_id", value = 1 + i % 65535 } } }))
  local sport = 1024 + i % 64000
  local dgram = be16(sport) .. be16(port) .. be16(8 + #l2) .. "\0\0" .. l2 -- checksum 0: none (IPv4)
  C.sendto(fd, dgram, #dgram, 0, to, ffi.sizeof(to))
  if i % batch == batch - 1 then C.nanosleep(pause, nil) end
end
