-- The codec checked against tools no one here wrote: Wireshark's L2TP
-- dissector reads what we encode, and we read what xl2tpd sends. Where a
-- tool is missing the test says SKIPPED (CI installs them).
local h = require "spec.support.helpers"
local golden = require "spec.support.golden"
local pcap = require "spec.support.pcap"
local codec = h.l2tp.codec

local function have(cmd) return h.sh("command -v " .. cmd) == 0 end

local function skip(why)
  io.stderr:write("SKIPPED: " .. why .. "\n")
  pending("SKIPPED: " .. why)
end

describe("interop", function()
  it("tshark dissects every message the codec encodes, every AVP known, no expert warning", function()
    if not have("tshark") then return skip("tshark is not installed (apt-get install tshark)") end
    local msgs, names = {}, {}
    for _, v in ipairs(golden.load()) do
      if v.control and v.name ~= "v2-vendor-avp" then
        local m = assert(codec.decode(v.bytes, { secret = v.secret, over_ip = v.over_ip }))
        -- We do not compute RFC 3931 digests; an arbitrary one would
        -- rightly be flagged by Wireshark.
        for i = #m.avps, 1, -1 do if m.avps[i].name == "message_digest" then table.remove(m.avps, i) end end
        local b = assert(codec.encode(m, { secret = v.secret, over_ip = v.over_ip }))
        msgs[#msgs + 1] = v.over_ip and { ip = true, payload = b } or b
        names[#names + 1] = m.type
      end
    end
    -- and one built from scratch with every optional ICRQ AVP
    msgs[#msgs + 1] = assert(codec.encode({ type = "ICRQ", tunnel_id = 7, avps = {
      { name = "assigned_session_id", value = 1 }, { name = "call_serial_number", value = 1 },
      { name = "bearer_type", value = 1 }, { name = "physical_channel_id", value = 3 },
      { name = "calling_number", value = "123" }, { name = "called_number", value = "456" },
      { name = "sub_address", value = "7" },
    } }))
    names[#names + 1] = "ICRQ"

    local path = os.tmpname() .. ".pcap"
    pcap.write_udp(path, msgs)
    local code, summary = h.sh("tshark -n -r " .. path)
    assert.equal(0, code)
    local lines = {}
    for l in summary:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal(#msgs, #lines)
    for i, l in ipairs(lines) do
      local want = names[i] == "HELLO" and "Hello" or names[i]
      assert.truthy(l:find("Control Message - " .. want, 1, true), "packet " .. i .. ": " .. l)
    end
    local _, verbose = h.sh("tshark -n -V -r " .. path)
    assert.is_nil(verbose:find("Malformed", 1, true))
    assert.is_nil(verbose:match("Unknown %(%d+%) AVP"))
    assert.is_nil(verbose:find("Expert Info", 1, true))
    local _, expert = h.sh("tshark -n -q -z expert -r " .. path)
    assert.is_nil(expert:match("Errors %(") or expert:match("Warns %("), expert)
    os.remove(path)
  end)

  it("decodes the control messages of a real xl2tpd LAC/LNS exchange", function()
    for _, tool in ipairs{ "xl2tpd", "dumpcap", "tshark" } do
      if not have(tool) then return skip(tool .. " is not installed (apt-get install xl2tpd tshark)") end
    end
    if h.sh("id -u | grep -qx 0") ~= 0 then return skip("capturing on loopback needs root") end
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir) == 0 or true)
    local function write(name, s) local f = assert(io.open(dir .. "/" .. name, "w")); f:write(s); f:close() end
    write("lns.conf", [[
[global]
port = 17021
listen-addr = 127.0.0.1
[lns default]
ip range = 10.99.0.10-10.99.0.20
local ip = 10.99.0.1
hostname = xlns
require authentication = no
length bit = yes
]])
    write("lac.conf", [[
[global]
port = 17022
listen-addr = 127.0.0.1
[lac test]
lns = 127.0.0.1:17021
hostname = xlac
autodial = yes
redial = no
length bit = yes
]])
    -- Both xl2tpd instances run without kernel L2TP; the LAC's call gets to
    -- ICCN and ends in a CDN when pppd cannot start.
    local script = ([[
cd %s
dumpcap -q -P -i lo -f "udp port 17021 or udp port 17022" -w cap.pcap >dump.log 2>&1 & dp=$!
for i in 1 2 3 4 5 6 7 8 9 10; do grep -q "File:" dump.log 2>/dev/null && break; sleep 0.3; done
sleep 0.5
timeout 6 xl2tpd -D -c lns.conf -p lns.pid -C lns.ctl >lns.log 2>&1 &
sleep 0.5
timeout 5 xl2tpd -D -c lac.conf -p lac.pid -C lac.ctl >lac.log 2>&1
sleep 1
kill $dp; wait $dp 2>/dev/null
true
]]):format(dir)
    h.sh(script)
    local pkts = pcap.read_udp(dir .. "/cap.pcap")
    local seen, failures = {}, {}
    for i, p in ipairs(pkts) do
      local m, err = codec.decode(p.payload)
      if m then seen[m.type] = (seen[m.type] or 0) + 1
      else failures[#failures + 1] = ("packet %d: %s"):format(i, err) end
    end
    assert.same({}, failures)
    for _, t in ipairs{ "SCCRQ", "SCCRP", "SCCCN", "ICRQ", "ICRP", "ICCN", "CDN", "ZLB" } do
      assert.truthy(seen[t], t .. " was not captured; saw " .. #pkts .. " packets")
    end
    h.sh("rm -rf " .. dir)
  end)
end)
