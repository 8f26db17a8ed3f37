-- Minimal pcap reading and writing for the interop specs: raw IPv4 (link
-- type 101) carrying UDP, so tshark sees L2TP on port 1701.
local M = {}

local function u16be(n) return string.char(math.floor(n / 256) % 256, n % 256) end
local function u32le(n)
  return string.char(n % 256, math.floor(n / 256) % 256, math.floor(n / 65536) % 256, math.floor(n / 16777216) % 256)
end

local function ipv4_checksum(hdr)
  local sum = 0
  for i = 1, #hdr, 2 do sum = sum + hdr:byte(i) * 256 + hdr:byte(i + 1) end
  while sum > 0xffff do sum = (sum % 65536) + math.floor(sum / 65536) end
  return 0xffff - sum
end

-- Writes each payload as a UDP datagram 127.0.0.1:1701 -> 127.0.0.2:1701,
-- or, for an entry {ip = true, payload = ...}, as IP protocol 115 (L2TPv3
-- over IP); {payload = ..., reverse = true} goes 127.0.0.2 -> 127.0.0.1
-- (the answers of an exchange).
function M.write_udp(path, payloads, port)
  port = port or 1701
  local f = assert(io.open(path, "wb"))
  f:write(u32le(0xa1b2c3d4), string.char(2, 0, 4, 0), u32le(0), u32le(0), u32le(65535), u32le(101))
  for i, p in ipairs(payloads) do
    local proto, body, rev = 17, nil, false
    if type(p) == "table" then proto, rev, p = p.ip and 115 or 17, p.reverse, p.payload end
    if proto == 115 then body = p
    else body = u16be(port) .. u16be(port) .. u16be(8 + #p) .. u16be(0) .. p end
    local udp = body
    local a, b = string.char(127, 0, 0, 1), string.char(127, 0, 0, 2)
    if rev then a, b = b, a end
    local ip = string.char(0x45, 0) .. u16be(20 + #udp) .. u16be(i % 65536) .. string.char(0x40, 0, 64, proto)
      .. "\0\0" .. a .. b
    local c = ipv4_checksum(ip)
    ip = ip:sub(1, 10) .. u16be(c) .. ip:sub(13)
    local pkt = ip .. udp
    f:write(u32le(1700000000 + i), u32le(0), u32le(#pkt), u32le(#pkt), pkt)
  end
  f:close()
end

local function le32(s, i)
  local a, b, c, d = s:byte(i, i + 3)
  return a + b * 256 + c * 65536 + d * 16777216
end

-- Returns the UDP payloads of a pcap (Ethernet, Linux cooked or raw IP).
function M.read_udp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  assert(le32(s, 1) == 0xa1b2c3d4, "not a little-endian microsecond pcap")
  local linktype = le32(s, 21)
  local out, pos = {}, 25
  while pos + 16 <= #s do
    local caplen = le32(s, pos + 8)
    local pkt = s:sub(pos + 16, pos + 15 + caplen)
    pos = pos + 16 + caplen
    local off
    if linktype == 1 then off = 15 elseif linktype == 113 then off = 17 elseif linktype == 101 then off = 1
    elseif linktype == 276 then off = 21 end
    if off and pkt:byte(off) and math.floor(pkt:byte(off) / 16) == 4 then
      local ihl = (pkt:byte(off) % 16) * 4
      if pkt:byte(off + 9) == 17 then
        local udp = off + ihl
        local sport = pkt:byte(udp) * 256 + pkt:byte(udp + 1)
        local dport = pkt:byte(udp + 2) * 256 + pkt:byte(udp + 3)
        out[#out + 1] = { sport = sport, dport = dport, payload = pkt:sub(udp + 8) }
      end
    end
  end
  return out
end

return M
