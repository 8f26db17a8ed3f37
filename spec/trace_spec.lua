-- What went over the wire, without tcpdump: the trace log level (one line
-- per control message) and pcap captures (l2tp.pcap, l2tp-run --pcap).
local h = require "spec.support.helpers"
local l2tp = h.l2tp

local function no_tshark()
  if h.sh("command -v tshark") ~= 0 then
    pending("SKIPPED: tshark is not installed (apt-get install tshark)")
    return true
  end
end

-- tshark on a capture, decoding the given UDP ports as L2TP and checking
-- IP and UDP checksums.
local function tshark(path, ports, args)
  local d = ""
  for _, p in ipairs(ports) do d = d .. " -d udp.port==" .. p .. ",l2tp" end
  local _, out = h.sh("tshark -n -o l2tp.shared_secret:wire -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE"
    .. d .. " -r " .. path .. " " .. (args or ""))
  return out
end

local function port(addr) return addr:match(":(%d+)$") end

describe("l2tp.pcap", function()
  local lns, lac, lnsr, lacr, listen
  before_each(function() lns, lac, lnsr, lacr, listen = h.pair() end)
  after_each(function()
    l2tp.pcap(false)
    h.close_pair(lns, lac)
  end)

  it("captures every datagram both ways, IPv4 and IPv6, L2TPv2 and v3, which tshark dissects cleanly", function()
    if no_tshark() then return end
    local path = h.tmp_path(".pcap")
    assert.is_true(l2tp.pcap(path))
    local ports = {}
    local function call(listener_cfg, tunnel_cfg)
      local l = listen(listener_cfg)
      ports[#ports + 1] = port(l:address())
      tunnel_cfg.peer = l:address()
      local t = lac:dynamic_tunnel("t" .. #ports, tunnel_cfg)
      local s = t:session("c", tunnel_cfg.version == "l2tpv3" and { pseudowire = "eth" } or {})
      assert.is_true(h.run_until(function() return s:is_up() end, 5))
      t:close("done")
      assert.is_true(h.run_until(function() return #lns:tunnels() == 0 end, 5))
      lns:listeners()[1]:close()
    end
    -- hidden AVPs and a challenge both ways
    call({ secret = "wire", hide_avps = true }, { secret = "wire", hide_avps = true, challenge = true })
    call({ ["local"] = "[::1]:0" }, {})
    -- (Wireshark checks a digest against the nonces of the conversation's
    -- two ends; with one address at both it mixes them up: two addresses)
    call({ ["local"] = "127.0.0.2:0", version = "l2tpv3", secret = "wire" }, { version = "l2tpv3", secret = "wire" })
    h.run_until(function() return false end, 0.3) -- the last acknowledgements
    local st = l2tp.pcap()
    assert.is_true(st.packets >= 2 * 3 * 8, st.packets .. " packets")
    assert.is_nil(st.error)
    assert.is_true(l2tp.pcap(false))
    assert.is_false(l2tp.pcap())

    local summary = tshark(path, ports)
    local frames = select(2, summary:gsub("\n", "\n"))
    assert.equal(st.packets, frames, summary)
    -- both contexts are here: each message is seen sent and received
    for _, want in ipairs{ "SCCRQ", "SCCRP", "SCCCN", "ICRQ", "ICRP", "ICCN", "StopCCN", "ZLB" } do
      local n = select(2, summary:gsub(want .. " ", "")) + select(2, summary:gsub(want .. "%)", ""))
      assert.is_true(n >= 2, want .. " seen " .. n .. " times:\n" .. summary)
    end
    assert.matches("::1 → ::1", summary)
    assert.is_nil(summary:find("Malformed"), summary)
    -- the checks are real: every checksum was verified good
    assert.equal("", tshark(path, ports, "-Y 'udp.checksum.status != 1 || ip.checksum.status != 1'"))
    assert.equal("", tshark(path, ports, "-Y 'l2tp.incorrect_digest || _ws.malformed'"))
    local expert = tshark(path, ports, "-q -z expert")
    assert.is_nil(expert:find("Warn") or expert:find("Error"), expert)
    os.remove(path)
  end)

  it("records where a datagram to a wildcard socket came to, and a dual-stack socket's IPv4 as IPv4", function()
    if no_tshark() then return end
    local path = h.tmp_path(".pcap")
    assert.is_true(l2tp.pcap(path))
    local any4 = lns:listen("any4", { ["local"] = "0.0.0.0:0" })
    local any6 = lns:listen("any6", { ["local"] = "[::]:0" })
    local p4, p6 = port(any4:address()), port(any6:address())
    -- to a second loopback address, and IPv4 to the IPv6 wildcard
    lac:dynamic_tunnel("a", { peer = "127.0.0.2:" .. p4, setup_timeout = 300 })
    lac:dynamic_tunnel("b", { peer = "127.0.0.1:" .. p6, setup_timeout = 300 })
    assert.is_true(h.run_until(function() return any4:stats().accepted + any6:stats().accepted >= 2 end, 5))
    h.run_until(function() return false end, 0.1)
    assert.is_true(l2tp.pcap(false))
    local rows = tshark(path, { p4, p6 }, "-Y 'l2tp.avp.message_type == 1' -T fields -e ip.src -e ip.dst -e udp.dstport")
    os.remove(path)
    -- each SCCRQ twice, as sent and as received, and the same both times
    local n4, n6 = 0, 0
    for line in rows:gmatch("[^\n]+") do
      if line:match("\t" .. p4 .. "$") then
        assert.equal("127.0.0.1\t127.0.0.2\t" .. p4, line)
        n4 = n4 + 1
      else
        assert.equal("127.0.0.1\t127.0.0.1\t" .. p6, line)
        n6 = n6 + 1
      end
    end
    assert.is_true(n4 >= 2 and n6 >= 2, rows)
  end)

  it("follows contexts made later, stops on false, and says why it cannot start", function()
    local path = h.tmp_path(".pcap")
    assert.is_true(l2tp.pcap(path))
    local later = l2tp.context{ log_level = "error" }
    local l = listen()
    local t = later:dynamic_tunnel("t", { peer = l:address() })
    assert.is_true(h.run_until(function() return t:is_up() end, 5))
    assert.is_true(l2tp.pcap().packets >= 6) -- SCCRQ, SCCRP, SCCCN, seen by both
    assert.is_true(l2tp.pcap(false))
    later:close()
    l2tp.run(0.1)
    local f = assert(io.open(path, "rb"))
    local size = #f:read("*a")
    f:close()
    os.remove(path)
    assert.is_true(size > 24)
    local ok, err = l2tp.pcap("/nonexistent/dir/x.pcap")
    assert.is_nil(ok)
    assert.equal("l2tp.pcap: cannot create '/nonexistent/dir/x.pcap': No such file or directory", err)
    assert.matches("l2tp.pcap: takes a file name, or false to stop, got number", h.raises(l2tp.pcap, 1))
  end)
end)

describe("l2tp-run --log-level trace and --pcap", function()
  it("logs one line per control message, with its IDs and AVPs, and writes the capture", function()
    local script = h.write_script([[
local l2tp = require "l2tp"
local lns = l2tp.context{}
local lac = l2tp.context{}
local l = assert(lns:listen("lns", { ["local"] = "127.0.0.1:0", secret = "wire", hide_avps = true }))
print(l:address())
local t = lac:dynamic_tunnel("t", { peer = l:address(), secret = "wire", hide_avps = true })
t:session("c", {})
lac:on("session_up", function() t:close("done") end)
lac:on("tunnel_down", function() l2tp.timer(0.3, function() l2tp.stop() end) end)
]])
    local pcap = h.tmp_path(".pcap")
    local code, out, err = h.sh(h.l2tp_run .. " --log-level trace --pcap " .. pcap .. " " .. script)
    assert.equal(0, code, err)
    assert.matches("trace: sent SCCRQ [%d.:]+ %-> 127%.0%.0%.1:%d+, v2 tunnel 0 session 0 Ns 0 Nr 0, %d+ bytes: "
      .. "Message Type, Protocol Version, Host Name, .*Assigned Tunnel ID %(hidden%)", err)
    assert.matches("trace: received SCCRP 127%.0%.0%.1:%d+ %-> [%d.:]+, v2 tunnel %d+ session 0 Ns 0 Nr 1, "
      .. "%d+ bytes: .*Challenge", err)
    assert.matches("trace: sent ICRQ .* Assigned Session ID %(hidden%)", err)
    assert.matches("trace: received StopCCN .*Result Code", err)
    assert.matches("trace: sent ZLB .* Ns %d+ Nr %d+, 12 bytes\n", err)
    -- a level below trace has none of it
    local _, _, quiet = h.sh(h.l2tp_run .. " --log-level debug " .. script)
    assert.is_nil(quiet:find("trace:"))
    assert.matches("established", quiet)
    local _, _, usage = h.sh(h.l2tp_run .. " --pcap /nonexistent/x.pcap " .. script)
    assert.matches("l2tp%-run: %-%-pcap: cannot create '/nonexistent/x.pcap'", usage)
    os.remove(script)
    if no_tshark() then return os.remove(pcap) end
    local summary = tshark(pcap, { port(out:match("[%d.]+:%d+")) })
    os.remove(pcap)
    assert.matches("SCCRQ", summary)
    assert.matches("StopCCN", summary)
    assert.is_nil(summary:find("Malformed"), summary)
  end)
end)
