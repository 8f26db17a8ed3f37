-- Dynamic L2TPv3 (RFC 3931): our LAC against our LNS on loopback, null
-- data plane, with and without message authentication, and scripted peers
-- (l2tp.codec over l2tp.udp) for what a friendly peer never sends.
local h = require "spec.support.helpers"
local pcap = require "spec.support.pcap"
local l2tp = h.l2tp
local codec = l2tp.codec

local function hex(s) return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end)) end

-- Between a LAC and a listener: records every datagram as pcap.write_udp
-- takes them (the answers reversed), and lets a spec change one on its way
-- to the LNS (tamper returns the bytes to send).
local function relay(target)
  local r = { log = {} }
  r.front = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
  r.back = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
  r.front:on_receive(function(bytes, from)
    r.lac = from
    if r.tamper then bytes = r.tamper(bytes) end
    r.log[#r.log + 1] = { payload = bytes }
    r.back:send(bytes, target)
  end)
  r.back:on_receive(function(bytes)
    r.log[#r.log + 1] = { payload = bytes, reverse = true }
    r.front:send(bytes, r.lac)
  end)
  function r.address() return r.front:local_address() end
  function r.close() r.front:close(); r.back:close() end
  return r
end

describe("L2TPv3 control plane", function()
  local lns, lac, lnsr, lacr, listen
  before_each(function() lns, lac, lnsr, lacr, listen = h.pair() end)
  after_each(function() h.close_pair(lns, lac) end)
  local function dial(peer, name, over)
    local c = { version = "l2tpv3", peer = peer, retry_timeout = 200, max_retries = 3 }
    for k, v in pairs(over or {}) do c[k] = v end
    return assert(lac:dynamic_tunnel(name, c))
  end

  -- L2TP over IP needs the kernel's l2tp_ip modules (and root) even on the
  -- null data plane: the control channel is a kernel socket. Where they are
  -- missing the IP cases say SKIPPED; the kernel VM (tools/test) runs this
  -- file again with them loaded.
  local carriers = {
    { name = "over UDP", encap = "udp", addr = "127.0.0.1:0" },
    { name = "over IP/IPv4", encap = "ip", addr = "127.0.0.1" },
    { name = "over IP/IPv6", encap = "ip", addr = "::1" },
  }
  for _, carrier in ipairs(carriers) do
   for _, secret in ipairs{ false, "s3cret" } do
    local how = secret and "with message digests" or "without message authentication"
    it("brings up 50 control connections of 20 pseudowires each " .. carrier.name .. " " .. how
      .. ", and takes them down cleanly", function()
      local l, err = lns:listen("lns", { ["local"] = carrier.addr, encap = carrier.encap, version = "l2tpv3",
        secret = secret or nil, digest = "sha1" })
      if not l and carrier.encap == "ip" and err:match("not available") and not os.getenv("L2TP_REQUIRE_IP") then
        io.stderr:write("\n*** SKIPPED: L2TPv3 " .. carrier.name .. ": " .. err .. "\n")
        pending("SKIPPED: " .. err)
        return
      end
      assert(l, err)
      local peer = carrier.encap == "ip" and carrier.addr or l:address()
      for i = 1, 50 do
        local t = dial(peer, "t" .. i, { encap = carrier.encap, secret = secret or nil, digest = "sha1",
          retry_timeout = 1000, max_retries = 5 })
        for j = 1, 20 do t:session("pw" .. j, {}) end
      end
      assert.is_true(h.run_until(function() return lacr.n("session_up") == 1000 and lnsr.n("session_up") == 1000 end, 30),
        ("LAC %d, LNS %d sessions up"):format(lacr.n("session_up"), lnsr.n("session_up")))
      assert.equal(50, lacr.n("tunnel_up"))
      local up = lnsr.last("tunnel_up")
      assert.equal(3, up.version)
      assert.equal("l2tpv3", up.tunnel_config.version)
      assert.equal("accepted", up.kind)
      local bad = 0
      for _, t in ipairs(lns:tunnels()) do bad = bad + t:stats().rx_bad_digest end
      for _, t in ipairs(lac:tunnels()) do bad = bad + t:stats().rx_bad_digest end
      assert.equal(0, bad)
      assert.equal(50, l:stats().accepted)
      assert.equal(1000, l:stats().calls_accepted)
      lac:close()
      assert.is_true(h.run_until(function() return lnsr.n("tunnel_down") == 50 and lnsr.n("session_down") == 1000 end, 10))
      assert.matches("^peer sent StopCCN: result 1", lnsr.last("tunnel_down").reason)
      assert.equal(1000, lacr.n("session_down"))
      assert.same({}, lns:tunnels())
    end)
   end
  end

  it("uses 32-bit IDs and negotiates cookies both ways, visible in session:config()", function()
    local l = listen{ version = "l2tpv3" }
    local t = dial(l:address(), "t")
    local s = t:session("pw", { cookie = "\1\2\3\4" })
    assert.is_true(h.run_until(function() return s:is_up() and lnsr.n("session_up") == 1 end, 5))
    local ls = lns:tunnels()[1]:sessions()[1]
    local ours, theirs = s:config(), ls:config()
    assert.equal("\1\2\3\4", ours.cookie) -- as configured
    assert.equal(8, #theirs.cookie) -- the LNS's random one (cookie_size 8 by default)
    assert.equal(ours.cookie, theirs.peer_cookie)
    assert.equal(theirs.cookie, ours.peer_cookie)
    assert.equal(ours.sid, theirs.psid)
    assert.equal(theirs.sid, ours.psid)
    assert.equal("eth", theirs.pseudowire)
    -- IDs are drawn from 32 bits: over 100 tunnels and sessions, some are above 65535
    local wide = ours.sid > 65535 or theirs.sid > 65535 or t:config().tid > 65535
    for i = 1, 20 do
      local x = dial(l:address(), "x" .. i)
      wide = wide or x:config().tid > 65535
      for j = 1, 4 do wide = wide or x:session("s" .. j, {}):config().sid > 65535 end
    end
    assert.is_true(wide)
  end)

  it("an LNS places a call with OCRQ: the LAC's on_outgoing_call sees its pseudowire and Remote End ID, cookies "
    .. "go both ways", function()
    local seen
    local l = listen{ version = "l2tpv3" }
    local t = dial(l:address(), "t", { on_outgoing_call = function(call)
      seen = call
      return { cookie_size = 4 }
    end })
    assert.is_true(h.run_until(function() return lnsr.n("tunnel_up") == 1 end, 5))
    local s = assert(lns:tunnels()[1]:session("out", { pseudowire = "eth_vlan", remote_end_id = "vc7",
      called_number = "n7", l2spec_type = "default" }))
    assert.is_true(h.run_until(function() return s:is_up() and lacr.n("session_up") == 1 end, 5))
    assert.equal("eth_vlan", seen.pseudowire)
    assert.equal("vc7", seen.remote_end_id)
    assert.equal("n7", seen.called_number)
    local ours, theirs = s:config(), t:sessions()[1]:config()
    assert.equal(8, #ours.cookie)
    assert.equal(4, #theirs.cookie)
    assert.equal(ours.cookie, theirs.peer_cookie)
    assert.equal(theirs.cookie, ours.peer_cookie)
    assert.equal(ours.sid, theirs.psid)
    assert.equal(theirs.sid, ours.psid)
    assert.equal("eth_vlan", theirs.pseudowire)
    assert.equal("default", theirs.l2spec_type)
    assert.equal(3, lacr.last("session_up").version)
    t:sessions()[1]:close()
    assert.is_true(h.run_until(function() return lnsr.n("session_down") == 1 end, 5))
    assert.matches("^peer sent CDN: result 3", lnsr.last("session_down").reason)
  end)

  it("session:set_circuit tells the peer with SLI; its session_circuit event fires on each change", function()
    local l = listen{ version = "l2tpv3" }
    local seen = {}
    lns:on("session_circuit", function(e) seen[#seen + 1] = e end)
    local t = dial(l:address(), "t")
    local s = t:session("pw", {})
    local early, why = s:set_circuit(false)
    assert.is_nil(early)
    assert.equal("session 't/pw': the call is not established yet (state wait-tunnel)", why)
    assert.is_true(h.run_until(function() return s:is_up() and lnsr.n("session_up") == 1 end, 5))
    assert.is_true(s:set_circuit(false))
    assert.is_true(h.run_until(function() return #seen == 1 end, 5))
    assert.equal("down", seen[1].circuit)
    assert.equal(lnsr.last("session_up").session_name, seen[1].session_name)
    assert.equal(3, seen[1].version)
    assert.is_true(s:set_circuit(false)) -- no change: no event
    assert.is_true(s:set_circuit(true))
    assert.is_true(h.run_until(function() return #seen == 2 end, 5))
    assert.equal("up", seen[2].circuit)
    h.run_until(function() return false end, 0.1)
    assert.equal(2, #seen)
    -- and the other way
    local back = {}
    lac:on("session_circuit", function(e) back[#back + 1] = e.circuit end)
    assert.is_true(lns:tunnels()[1]:sessions()[1]:set_circuit(false))
    assert.is_true(h.run_until(function() return #back == 1 end, 5))
    assert.same({ "down" }, back)
    assert.is_true(s:is_up()) -- the call stays: the script decides
    assert.matches("set_circuit%(up%): up must be a boolean, got string", h.raises(s.set_circuit, s, "down"))
    local v2l = assert(lns:listen("v2", { ["local"] = "127.0.0.1:0" }))
    local v2 = assert(lac:dynamic_tunnel("v2", { peer = v2l:address() })):session("ppp", {})
    assert.is_true(h.run_until(function() return v2:is_up() end, 5))
    assert.equal("session 'v2/ppp': circuit status goes in an L2TPv3 call (this session is in a dynamic l2tpv2 tunnel)",
      h.raises(v2.set_circuit, v2, true))
  end)

  it("on_call sees the pseudowire type and Remote End ID, and its settings apply", function()
    local seen
    local l = listen{ version = "l2tpv3", on_call = function(call)
      seen = call
      return { cookie_size = 4, interface_name = "pw-" .. call.remote_end_id }
    end }
    local t = dial(l:address(), "t")
    local s = t:session("pw", { pseudowire = "eth_vlan", remote_end_id = "vc42", l2spec_type = "default", seqnum = true })
    assert.is_true(h.run_until(function() return s:is_up() and lnsr.n("session_up") == 1 end, 5))
    assert.equal("eth_vlan", seen.pseudowire)
    assert.equal("vc42", seen.remote_end_id)
    assert.equal(s:config().sid, seen.peer_session_id)
    local c = lns:tunnels()[1]:sessions()[1]:config()
    assert.equal(4, #c.cookie)
    assert.equal("pw-vc42", c.interface_name)
    assert.equal("vc42", c.remote_end_id) -- what the call was placed for
    assert.equal("default", c.l2spec_type) -- the LAC's sublayer
    assert.is_true(c.seqnum) -- the LAC asked for sequencing
    assert.equal(4, #s:config().peer_cookie)
    -- without remote_end_id, a call names itself by its session's name
    t:session("second", {})
    assert.is_true(h.run_until(function() return lnsr.n("session_up") == 2 end, 5))
    assert.equal("second", seen.remote_end_id)
  end)

  it("refuses a pseudowire it does not carry with CDN result 14", function()
    local l = listen{ version = "l2tpv3" }
    local t = dial(l:address(), "t")
    local s = t:session("pw", { pseudowire = "pppac" })
    assert.is_true(h.run_until(function() return lacr.last("session_down") ~= nil end, 5))
    local down = lacr.last("session_down")
    assert.equal(14, down.result_code)
    assert.matches("pseudowire type 8 is not supported", down.message)
    assert.is_false(down.established)
    assert.equal(0, lnsr.n("session_up"))
  end)

  it("drops and counts a message whose digest does not check; the retransmission gets through", function()
    local l = listen{ version = "l2tpv3", secret = "k" }
    local r = relay(l:address())
    local spoiled = 0
    r.tamper = function(bytes)
      local m = codec.decode(bytes)
      if spoiled == 0 and m and m.type == "ICRQ" then
        spoiled = 1
        return bytes:sub(1, -2) .. string.char((bytes:byte(-1) + 1) % 256) -- the last AVP's last byte
      end
      return bytes
    end
    local t = dial(r.address(), "t", { secret = "k" })
    local s = t:session("pw", {})
    assert.is_true(h.run_until(function() return s:is_up() and lnsr.n("session_up") == 1 end, 5))
    assert.equal(1, spoiled)
    assert.equal(1, lns:tunnels()[1]:stats().rx_bad_digest)
    assert.equal(0, t:stats().rx_bad_digest)
    r.close()
  end)

  it("a digest mismatch (another secret) keeps the tunnel from coming up, and the reason says why", function()
    local l = listen{ version = "l2tpv3", secret = "one" }
    local t = dial(l:address(), "t", { secret = "two", retry_timeout = 100, max_retries = 2 })
    assert.is_true(h.run_until(function() return lacr.last("tunnel_down", "t") ~= nil end, 5))
    local down = lacr.last("tunnel_down")
    assert.is_false(down.established)
    assert.matches("is the secret the same on both sides%?", down.reason)
    assert.is_true(l:stats().refused_auth >= 1)
    assert.equal(0, l:stats().accepted)
    assert.same({}, lns:tunnels())
  end)

  it("on_tunnel chooses each LAC's secret: its SCCRQ is checked with it, and its tunnel uses it", function()
    local secrets = { ["lac-a"] = "secret-a", ["lac-b"] = "secret-b" }
    local seen = {}
    local l = listen{ version = "l2tpv3", on_tunnel = function(req)
      seen[req.host_name] = req
      if req.host_name == "lac-bad" then return { secrt = "x" } end
      return secrets[req.host_name] and { secret = secrets[req.host_name] } or true
    end }
    local a = dial(l:address(), "a", { host_name = "lac-a", secret = "secret-a", digest = "sha1" })
    local b = dial(l:address(), "b", { host_name = "lac-b", secret = "secret-a" }) -- not its own
    local c = dial(l:address(), "c", { host_name = "lac-c" }) -- the listener has none either
    local bad = dial(l:address(), "bad", { host_name = "lac-bad" })
    assert.is_true(h.run_until(function()
      return a:is_up() and c:is_up() and lacr.last("tunnel_down", "b") ~= nil and lacr.last("tunnel_down", "bad") ~= nil
    end, 10))
    assert.equal(3, seen["lac-a"].version)
    assert.matches("is the secret the same on both sides%?", lacr.last("tunnel_down", "b").reason)
    assert.equal(2, lacr.last("tunnel_down", "bad").result_code)
    assert.equal("admission hook failed", lacr.last("tunnel_down", "bad").message)
    -- a's tunnel authenticates every message with a's secret
    local s = a:session("pw", {})
    assert.is_true(h.run_until(function() return s:is_up() end, 5))
    assert.equal(0, a:stats().rx_bad_digest)
    assert.equal(2, l:stats().accepted)
    assert.equal(1, l:stats().refused_by_hook)
  end)

  it("a LAC with no secret is told the LNS authenticates; an LNS with none refuses one that does", function()
    local l = listen{ version = "l2tpv3", secret = "k" }
    local t = dial(l:address(), "t")
    assert.is_true(h.run_until(function() return lacr.last("tunnel_down", "t") ~= nil end, 5))
    local down = lacr.last("tunnel_down")
    assert.equal(4, down.result_code)
    assert.equal("message authentication required", down.message)
    l:close()
    local l2 = assert(lns:listen("open", { ["local"] = "127.0.0.1:0", version = "l2tpv3" }))
    local t2 = dial(l2:address(), "t2", { secret = "k", retry_timeout = 100, max_retries = 2 })
    assert.is_true(h.run_until(function() return lacr.last("tunnel_down", "t2") ~= nil end, 5))
    -- its unsigned refusal is dropped as RFC 3931 says, and counted
    assert.matches("had no valid message digest", lacr.last("tunnel_down", "t2").reason)
    assert.is_true(l2:stats().refused_auth >= 1)
  end)

  it("a listener takes the protocol versions it is given and refuses the others with result 5", function()
    local v2 = listen{}
    local t = dial(v2:address(), "v3-to-v2")
    assert.is_true(h.run_until(function() return lacr.last("tunnel_down", "v3-to-v2") ~= nil end, 5))
    assert.equal(5, lacr.last("tunnel_down").result_code)
    assert.equal("L2TPv3 is not accepted here (this LNS takes l2tpv2)", lacr.last("tunnel_down").message)
    assert.equal(1, v2:stats().refused_version)
    v2:close()
    local both = assert(lns:listen("both", { ["local"] = "127.0.0.1:0", version = { "l2tpv2", "l2tpv3" } }))
    dial(both:address(), "a3")
    assert(lac:dynamic_tunnel("a2", { peer = both:address() })):session("ppp", {})
    assert.is_true(h.run_until(function() return lnsr.n("tunnel_up") == 2 and lnsr.n("session_up") == 1 end, 5))
    local versions = {}
    for _, x in ipairs(lns:tunnels()) do versions[#versions + 1] = x:config().version end
    table.sort(versions)
    assert.same({ "l2tpv2", "l2tpv3" }, versions)
    assert.matches("version takes no protocol version %(accepted: \"l2tpv2\", \"l2tpv3\", or both in a list%)",
      h.raises(lns.listen, lns, "bad", { ["local"] = "127.0.0.1:0", version = {} }))
    assert.matches("version is string 'l2tpv4' %(accepted: \"l2tpv2\", \"l2tpv3\", or a list of them%)", h.raises(lns.listen, lns, "bad", { version = "l2tpv4" }))
  end)

  it("says what L2TPv3 does not take: challenge, or a 3-byte cookie size", function()
    assert.matches("challenge is not allowed with l2tpv3", h.raises(lac.dynamic_tunnel, lac, "c",
      { version = "l2tpv3", peer = "127.0.0.1:1701", secret = "x", challenge = true }))
    local l = listen{ version = "l2tpv3" }
    local t = dial(l:address(), "t")
    assert.matches("cookie_size 3 is not a cookie size %(accepted: 0, 4 or 8%)", h.raises(t.session, t, "s", { cookie_size = 3 }))
    local v2 = assert(lac:dynamic_tunnel("v2", { peer = l:address() }))
    assert.matches("remote_end_id is not allowed with l2tpv2", h.raises(v2.session, v2, "s", { remote_end_id = "x" }))
    assert.equal(2, #lac:tunnels()) -- nothing else was made
  end)

  it("says what L2TP over IP takes: l2tpv3 only, addresses without a port", function()
    assert.equal([[listener 'i': encap 'ip' carries only l2tpv3 (accepted: version = "l2tpv3" with encap 'ip', ]]
      .. [[or encap 'udp')]], h.raises(lns.listen, lns, "i", { ["local"] = "127.0.0.1", encap = "ip" }))
    assert.equal([[listener 'i': encap 'ip' carries only l2tpv3 (accepted: version = "l2tpv3" with encap 'ip', ]]
      .. [[or encap 'udp')]], h.raises(lns.listen, lns, "i",
        { ["local"] = "127.0.0.1", encap = "ip", version = { "l2tpv2", "l2tpv3" } }))
    assert.equal("listener 'i': local '127.0.0.1:1701' has a port (accepted: an IPv4 or IPv6 address without a port, "
      .. "as ip encap has none)", h.raises(lns.listen, lns, "i",
        { ["local"] = "127.0.0.1:1701", encap = "ip", version = "l2tpv3" }))
    assert.equal("tunnel 'd': encap 'ip' is not allowed with l2tpv2 (accepted: udp)",
      h.raises(lac.dynamic_tunnel, lac, "d", { peer = "127.0.0.1", encap = "ip" }))
    assert.equal("tunnel 'd': peer '127.0.0.1:1701' has a port (accepted: an IPv4 or IPv6 address without a port, "
      .. "as ip encap has none)", h.raises(lac.dynamic_tunnel, lac, "d",
        { peer = "127.0.0.1:1701", encap = "ip", version = "l2tpv3" }))
    assert.equal(0, lns:stats().listeners)
    assert.same({}, lac:tunnels())
  end)

  it("tshark dissects a whole L2TPv3 exchange, digests checked, with no malformed or expert warning", function()
    if h.sh("command -v tshark") ~= 0 then
      return pending("SKIPPED: tshark is not installed (apt-get install tshark)")
    end
    local l = listen{ version = "l2tpv3", secret = "wire" }
    local r = relay(l:address())
    local t = dial(r.address(), "t", { secret = "wire", hello_timeout = 50,
      on_outgoing_call = function() return true end })
    local s = t:session("pw", { remote_end_id = "vc1", l2spec_type = "default" })
    assert.is_true(h.run_until(function() return s:is_up() and lnsr.n("session_up") == 1 end, 5))
    -- and one the LNS places
    lns:tunnels()[1]:session("out", { remote_end_id = "vc2", called_number = "42" })
    assert.is_true(h.run_until(function() return lacr.n("session_up") == 2 and lnsr.n("session_up") == 2 end, 5))
    assert.is_true(s:set_circuit(false))
    local function hello_acked()
      local hello = false
      for _, e in ipairs(r.log) do
        local m = codec.decode(e.payload)
        if m and m.type == "HELLO" then hello = true elseif m and hello and m.type == "ACK" then return true end
      end
      return false
    end
    assert.is_true(h.run_until(hello_acked, 5)) -- a HELLO and its ACK
    s:close()
    assert.is_true(h.run_until(function() return lnsr.n("session_down") == 1 end, 5))
    t:close()
    assert.is_true(h.run_until(function() return lnsr.n("tunnel_down") == 1 end, 5))
    h.run_until(function() return false end, 0.3) -- the last acknowledgements
    r.close()
    local seen = {}
    for _, e in ipairs(r.log) do
      local m = assert(codec.decode(e.payload))
      seen[m.type] = true
    end
    for _, want in ipairs{ "SCCRQ", "SCCRP", "SCCCN", "ICRQ", "ICRP", "ICCN", "OCRQ", "OCRP", "OCCN", "HELLO", "ACK",
      "CDN", "StopCCN", "SLI" } do
      assert.is_true(seen[want] or false, want .. " was not captured")
    end
    local path = os.tmpname()
    pcap.write_udp(path, r.log)
    local code, summary = h.sh("tshark -n -o l2tp.shared_secret:wire -r " .. path)
    assert.equal(0, code)
    local _, expert = h.sh("tshark -n -q -o l2tp.shared_secret:wire -z expert -r " .. path)
    local _, digest = h.sh("tshark -n -o l2tp.shared_secret:wire -Y l2tp.incorrect_digest -r " .. path)
    local _, malformed = h.sh("tshark -n -o l2tp.shared_secret:wire -Y _ws.malformed -r " .. path)
    -- the check is real: with another secret tshark flags the digests
    local _, wrong = h.sh("tshark -n -o l2tp.shared_secret:other -Y l2tp.incorrect_digest -r " .. path)
    os.remove(path)
    assert.matches("SCCRP", wrong)
    assert.is_nil(summary:find("Malformed"), summary)
    assert.equal("", digest)
    assert.equal("", malformed)
    assert.is_nil(expert:find("Warn") or expert:find("Error"), expert)
    for _, name in ipairs{ "SCCRQ", "ICRQ", "OCRQ", "OCCN", "SLI", "CDN", "StopCCN" } do assert.matches(name, summary) end
  end)
end)

describe("L2TPv3 LNS against a scripted LAC", function()
  local lns, lnsr, l, sock, heard
  before_each(function()
    lns = l2tp.context{ log_level = "error" }
    lnsr = h.recorder(lns)
    l = assert(lns:listen("lns", { ["local"] = "127.0.0.1:0", version = "l2tpv3", secret = "k" }))
    sock = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
    heard = {}
    sock:on_receive(function(bytes) heard[#heard + 1] = bytes end)
  end)
  after_each(function()
    sock:close()
    lns:close()
    l2tp.run(0.1)
  end)

  -- An SCCRQ as an L2TPv3 LAC sends it; avps changes it, signed with key k
  -- unless sign is false.
  local nonce = ("n"):rep(16)
  local function sccrq(avps, sign)
    local list = { { name = "message_digest", value = { type = 0, digest = ("\0"):rep(16) } },
      { name = "host_name", value = "lac" }, { name = "router_id", value = 1 },
      { name = "assigned_connection_id", value = 70000 }, { name = "pw_capabilities_list", value = { 5 } },
      { name = "ctrl_msg_auth_nonce", value = nonce } }
    for _, f in ipairs(avps or {}) do f(list) end
    local b = assert(codec.encode({ version = 3, type = "SCCRQ", connection_id = 0, ns = 0, nr = 0, avps = list },
      { validate = false }))
    return sign == false and b or codec.sign(b, "k")
  end
  local function send(b) sock:send(b, l:address()) end
  local function answer()
    assert.is_true(h.run_until(function() return #heard > 0 end, 3), "no answer")
    return assert(codec.decode(heard[#heard], { validate = false }))
  end

  it("answers a valid SCCRQ with an SCCRP signed with both nonces, carrying its own nonce", function()
    send(sccrq())
    local m = answer()
    assert.equal("SCCRP", m.type)
    assert.equal(70000, m.connection_id)
    local theirs = m.values.ctrl_msg_auth_nonce
    assert.equal(16, #theirs)
    assert.is_true(codec.verify(heard[#heard], "k", theirs, nonce))
    assert.is_nil(codec.verify(heard[#heard], "k"))
    assert.is_nil(codec.verify(heard[#heard], "other", theirs, nonce))
    assert.equal(3, #m.values.pw_capabilities_list)
    assert.is_number(m.values.router_id)
    assert.is_number(m.values.assigned_connection_id)
  end)

  it("takes an SCCRQ that offers a Preferred Language (RFC 5642, M bit clear) like any other", function()
    send(sccrq{ function(list) list[#list + 1] = { name = "preferred_language", value = "en" } end })
    local m = answer()
    assert.equal("SCCRP", m.type)
    assert.equal(70000, m.connection_id)
  end)

  it("drops an SCCRQ whose digest does not check, unanswered, and counts it", function()
    local b = sccrq()
    send(b:sub(1, -2) .. string.char((b:byte(-1) + 1) % 256))
    h.run_until(function() return #heard > 0 end, 0.3)
    assert.equal(0, #heard)
    assert.equal(1, l:stats().refused_auth)
    assert.same({}, lns:tunnels())
  end)

  it("refuses an SCCRQ with an unknown M-bit AVP, and one without a required AVP, with StopCCN", function()
    send(sccrq{ function(list) list[#list + 1] = { type = 999, vendor = 0, mandatory = true, bytes = "x" } end })
    local m = answer()
    assert.equal("StopCCN", m.type)
    assert.equal(2, m.values.result_code.result)
    assert.equal(8, m.values.result_code.error)
    heard = {}
    send(sccrq{ function(list) table.remove(list, 3) end }) -- Router ID
    m = answer()
    assert.equal("StopCCN", m.type)
    assert.matches("Router ID", m.values.result_code.message)
    assert.equal(2, l:stats().refused_malformed)
    assert.same({}, lns:tunnels())
  end)
end)
