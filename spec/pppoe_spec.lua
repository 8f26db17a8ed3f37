-- The PPPoE access concentrator (ctx:pppoe) against a scripted subscriber
-- (l2tp.packet and l2tp.pppoe's codec) across a veth pair inside a network
-- namespace this spec makes; its calls go to our LNS on loopback. Null
-- data plane: discovery and the L2TP calls run, no kernel bridge.
local h = require "spec.support.helpers"
local l2tp = h.l2tp
local pppoe = l2tp.pppoe

local NS = "l2tp-pppoe-spec"
local can, why = true, nil
if h.sh("id -u | grep -qx 0") ~= 0 then
  can, why = false, "needs root (a network namespace and AF_PACKET sockets)"
elseif h.sh("command -v ip") ~= 0 then
  can, why = false, "iproute2 is not installed (apt-get install iproute2)"
end

local function skip()
  io.stderr:write("SKIPPED: pppoe_spec: " .. why .. "\n")
  pending("SKIPPED: " .. why)
end

local function must(cmd)
  local code, out, err = h.sh(cmd)
  assert(code == 0, cmd .. ": " .. out .. err)
end

local function drop_ns() os.execute("ip netns del " .. NS .. " >/dev/null 2>&1") end

-- The namespace, afresh, with two veth pairs: acN (the AC's side) and subN.
local function make_ns()
  drop_ns()
  must("ip netns add " .. NS)
  for i = 0, 1 do
    must(("ip -n %s link add ac%d type veth peer name sub%d"):format(NS, i, i))
    must(("ip -n %s link set ac%d up && ip -n %s link set sub%d up"):format(NS, i, NS, i))
  end
end

local function tags(list)
  local t = {}
  for _, p in ipairs(list) do t[#t + 1] = { type = p[1], value = p[2] } end
  return t
end

-- The scripted subscriber: frames in a queue, and the discovery steps.
local function subscriber(ac_mac, ifname)
  local sock = assert(l2tp.packet{ interface = ifname or "sub0", protocol = pppoe.ETH_P_DISC, netns = NS })
  local sub = { got = {}, mac = sock:local_address(), sock = sock }
  sock:on_receive(function(bytes, from)
    local f, err = pppoe.decode(bytes)
    sub.got[#sub.got + 1] = f or { error = err }
    if f then f.from = from end
  end)
  function sub.send(f, to) assert(sock:send(pppoe.encode(f), to or ac_mac or "ff:ff:ff:ff:ff:ff")) end
  function sub.send_raw(bytes, to) assert(sock:send(bytes, to)) end
  -- PADR for service, with Host-Uniq hu and cookie (each left out if nil)
  function sub.request(service, hu, cookie, to)
    local t = { { "service_name", service } }
    if hu then t[#t + 1] = { "host_uniq", hu } end
    if cookie then t[#t + 1] = { "ac_cookie", cookie } end
    sub.send({ code = "PADR", tags = tags(t) }, to)
  end
  -- Waits for the next frame of code; returns it (nil on timeout).
  function sub.next(code, timeout)
    local function at()
      for i, f in ipairs(sub.got) do
        if f.code == code then return i end
      end
    end
    -- run_until calls its function once more at the end: it only looks
    if h.run_until(at, timeout or 5) then return table.remove(sub.got, at()) end
  end
  function sub.close() sock:close() end
  return sub
end

describe("PPPoE access concentrator: ctx:pppoe", function()
  local lns, lac, lnsr, lacr, listen, l, seen_calls
  setup(function()
    if not can then return end
    make_ns()
  end)
  teardown(function()
    if can then drop_ns() end
  end)
  before_each(function()
    if not can then return end
    lns, lac, lnsr, lacr, listen = h.pair()
    seen_calls = {}
    l = listen{ on_call = function(call)
      seen_calls[#seen_calls + 1] = call
      return true
    end }
  end)
  after_each(function() if can then h.close_pair(lns, lac) end end)

  local function serve(over)
    local cfg = {
      interface = "ac0", netns = NS, ac_name = "spec-ac", services = { "internet", "voip" },
      on_session = function() return { name = "lns1", peer = l:address(), retry_timeout = 200 } end,
    }
    for k, v in pairs(over or {}) do cfg[k] = v end
    return assert(lac:pppoe(cfg))
  end

  -- PADI, PADO: returns the offer.
  local function discover(sub, service, host_uniq)
    sub.send({ code = "PADI", tags = tags{ { "service_name", service }, { "host_uniq", host_uniq } } },
      "ff:ff:ff:ff:ff:ff")
    return sub.next("PADO")
  end

  it("does PADI/PADO/PADR/PADS, places the call on our LNS, and PADT takes both down", function()
    if not can then return skip() end
    local ac = serve()
    local sub = subscriber(ac:mac())
    local offer = assert(discover(sub, "internet", "hu-1"), "no PADO")
    assert.equal(ac:mac(), offer.from)
    assert.equal("spec-ac", offer.ac_name)
    assert.equal("internet", offer.service_name)
    assert.equal("hu-1", offer.host_uniq)
    assert.equal(20, #offer.ac_cookie)
    -- every service we serve is offered, the one asked for first
    local services = {}
    for _, t in ipairs(offer.tags) do
      if t.type == "service_name" then services[#services + 1] = t.value end
    end
    assert.same({ "internet", "voip" }, services)

    sub.request("internet", "hu-1", offer.ac_cookie)
    local pads = assert(sub.next("PADS"), "no PADS")
    assert.is_true(pads.session_id > 0 and pads.session_id < 0xffff)
    assert.equal("hu-1", pads.host_uniq)
    assert.equal("internet", pads.service_name)
    assert.is_nil(pads.generic_error)
    -- PADS waited for the call: both ends have it up by now
    assert.equal(1, lacr.n("session_up"))
    assert.is_true(h.run_until(function() return lnsr.n("session_up") == 1 end, 5))
    local s = lacr.last("session_up").session
    local c = s:config()
    assert.equal("pppac", c.pseudowire)
    assert.equal(pads.session_id, c.pppoe_session_id)
    assert.equal(sub.mac, c.pppoe_peer_mac)
    -- the LNS saw the subscriber's MAC as the Calling Number
    assert.equal(sub.mac, seen_calls[1].calling_number)
    assert.same({ { session_id = pads.session_id, mac = sub.mac, state = "up" } }, ac:sessions())

    sub.send({ code = "PADT", session_id = pads.session_id }, ac:mac())
    assert.is_true(h.run_until(function() return lnsr.n("session_down") == 1 end, 5))
    assert.equal("PADT from the subscriber", lacr.last("session_down").reason)
    assert.same({}, ac:sessions())
    local st = ac:stats()
    assert.equal(1, st.padi)
    assert.equal(1, st.pado)
    assert.equal(1, st.padr)
    assert.equal(1, st.pads)
    assert.equal(1, st.padt_in)
    assert.equal(0, st.sessions)
    -- the tunnel the AC dialled goes with its last call
    assert.is_true(h.run_until(function() return lnsr.n("tunnel_down") == 1 end, 5))
    assert.equal("no calls left", lacr.last("tunnel_down").reason)
    sub.close()
  end)

  it("shares one tunnel per LNS among its calls, and sends PADT when the call drops", function()
    if not can then return skip() end
    local ac = serve{ on_session = function(req)
      return { name = req.service, peer = l:address(), retry_timeout = 200 }
    end }
    local sub = subscriber(ac:mac())
    local ids = {}
    for i, svc in ipairs{ "internet", "internet", "voip" } do
      local offer = assert(discover(sub, svc, "h" .. i))
      sub.request(svc, "h" .. i, offer.ac_cookie)
      ids[i] = assert(sub.next("PADS")).session_id
    end
    assert.is_true(ids[1] ~= ids[2] and ids[2] ~= ids[3])
    local names = {}
    for _, t in ipairs(lac:tunnels()) do names[#names + 1] = t.name end
    table.sort(names)
    assert.same({ "internet", "voip" }, names)
    assert.equal(3, ac:stats().sessions)
    -- the LNS hangs up one call: its subscriber gets a PADT
    local victim = lns:tunnels()[1]:sessions()[1]
    local n_down = lacr.n("session_down")
    victim:close("operator")
    local padt = assert(sub.next("PADT"), "no PADT")
    assert.is_truthy(padt.session_id == ids[1] or padt.session_id == ids[2] or padt.session_id == ids[3])
    assert.matches("^L2TP call ended", padt.generic_error)
    assert.equal(n_down + 1, lacr.n("session_down"))
    assert.equal(2, ac:stats().sessions)
    -- closing the AC: a PADT to each subscriber left
    ac:close()
    assert(sub.next("PADT"), "no PADT at close")
    assert(sub.next("PADT"), "no second PADT at close")
    assert.is_true(ac:is_closed())
    -- and their calls end with it
    assert.is_true(h.run_until(function() return lnsr.n("session_down") == 3 end, 5))
    assert.equal("access concentrator closed", lacr.last("session_down").reason)
    sub.close()
  end)

  it("keeps a tunnel two ACs share until the last call of both ends, and ends the call a script terminates",
    function()
    if not can then return skip() end
    local ac0 = serve()
    local ac1 = serve{ interface = "ac1" }
    local sub0, sub1 = subscriber(ac0:mac()), subscriber(ac1:mac(), "sub1")
    local ids = {}
    for i, sub in ipairs{ sub0, sub1 } do
      local offer = assert(discover(sub, "internet", "s" .. i))
      sub.request("internet", "s" .. i, offer.ac_cookie)
      ids[i] = assert(sub.next("PADS")).session_id
    end
    assert.equal(1, #lac:tunnels())
    assert.equal(2, #lac:tunnels()[1]:sessions())
    -- sub0 hangs up: the tunnel stays for sub1's call
    sub0.send({ code = "PADT", session_id = ids[1] }, ac0:mac())
    assert.is_true(h.run_until(function() return lnsr.n("session_down") == 1 end, 5))
    assert.equal(0, lnsr.n("tunnel_down"))
    assert.is_false(lac:tunnels()[1]:is_closed())
    -- the script ends sub1's session itself: a PADT, its call, then the tunnel
    assert.is_true(ac1:terminate(ids[2], "operator"))
    local padt = assert(sub1.next("PADT"))
    assert.equal(ids[2], padt.session_id)
    assert.equal("operator", padt.generic_error)
    assert.is_true(h.run_until(function() return lnsr.n("tunnel_down") == 1 end, 5))
    assert.equal("operator", lacr.last("session_down").reason)
    assert.equal("no calls left", lacr.last("tunnel_down").reason)
    sub0.close()
    sub1.close()
  end)

  it("refuses by hook with a PADS error tag, and without placing a call", function()
    if not can then return skip() end
    local asked
    local ac = serve{ on_session = function(req)
      asked = req
      return nil, "no such subscriber", "service_name_error"
    end }
    local sub = subscriber(ac:mac())
    local offer = assert(discover(sub, "voip", "x"))
    sub.request("voip", "x", offer.ac_cookie)
    local pads = assert(sub.next("PADS"))
    assert.equal(0, pads.session_id)
    assert.equal("no such subscriber", pads.service_name_error)
    assert.equal("x", pads.host_uniq)
    assert.equal(sub.mac, asked.mac)
    assert.equal("voip", asked.service)
    assert.equal("x", asked.host_uniq)
    assert.equal(0, #lac:tunnels())
    assert.equal(0, ac:stats().sessions)
    assert.equal(1, ac:stats().pads_refused)
    sub.close()
  end)

  it("answers a call the LNS refuses with AC-System-Error", function()
    if not can then return skip() end
    l:close()
    l = listen{ on_call = function() return false, 5, "full" end }
    local ac = serve()
    local sub = subscriber(ac:mac())
    local offer = assert(discover(sub, "", "r"))
    sub.request("", "r", offer.ac_cookie)
    local pads = assert(sub.next("PADS"))
    assert.equal(0, pads.session_id)
    assert.matches("^the LNS did not take the call", pads.ac_system_error)
    sub.close()
  end)

  it("offers only where on_padi says so, and echoes Relay-Session-Id", function()
    if not can then return skip() end
    local asked = {}
    local ac = serve{ on_padi = function(req)
      asked[#asked + 1] = req
      return req.host_uniq ~= "banned"
    end }
    local sub = subscriber(ac:mac())
    local ignored = ac:stats().ignored
    sub.send({ code = "PADI", tags = tags{ { "service_name", "" }, { "host_uniq", "banned" } } }, "ff:ff:ff:ff:ff:ff")
    assert.is_true(h.run_until(function() return ac:stats().ignored == ignored + 1 end, 5))
    assert.equal("banned", asked[1].host_uniq)
    assert.equal(sub.mac, asked[1].mac)
    assert.equal("ac0", asked[1].interface)
    sub.send({ code = "PADI", tags = tags{ { "service_name", "" }, { "relay_session_id", "relay-7" } } },
      "ff:ff:ff:ff:ff:ff")
    local offer = assert(sub.next("PADO"))
    assert.equal("relay-7", offer.relay_session_id)
    assert.is_nil(offer.host_uniq)
    sub.send{ code = "PADR", tags = tags{ { "service_name", "" }, { "relay_session_id", "relay-7" },
      { "ac_cookie", offer.ac_cookie } } }
    local pads = assert(sub.next("PADS"))
    assert.is_true(pads.session_id > 0)
    assert.equal("relay-7", pads.relay_session_id)
    -- only one offer was made: the banned subscriber got none
    assert.equal(1, ac:stats().pado)
    sub.close()
  end)

  it("grants PPP payloads over 1492 bytes up to what the interface carries (RFC 4638)", function()
    if not can then return skip() end
    local function u16(n) return string.char(math.floor(n / 256), n % 256) end
    local function mtu(n) must(("ip -n %s link set ac0 mtu %d"):format(NS, n)) end
    local seen = {}
    local ac = serve{ on_session = function(req)
      seen[#seen + 1] = req
      return { name = "lns1", peer = l:address(), retry_timeout = 200 }
    end }
    local sub = subscriber(ac:mac())
    local function offer(asked)
      local t = { { "service_name", "internet" } }
      if asked then t[#t + 1] = { "ppp_max_payload", u16(asked) } end
      sub.send({ code = "PADI", tags = tags(t) }, "ff:ff:ff:ff:ff:ff")
      return assert(sub.next("PADO"), "no PADO")
    end
    mtu(1508)
    local ok, err = pcall(function()
      -- 1508 less the PPPoE header and the PPP protocol field: 1500
      local o = offer(1500)
      assert.equal(u16(1500), o.ppp_max_payload)
      sub.send{ code = "PADR", tags = tags{ { "service_name", "internet" }, { "ppp_max_payload", u16(1500) },
        { "ac_cookie", o.ac_cookie } } }
      local pads = assert(sub.next("PADS"), "no PADS")
      assert.is_true(pads.session_id > 0)
      assert.equal(u16(1500), pads.ppp_max_payload)
      assert.equal(1500, seen[1].max_payload)
      -- more than the interface carries: what it carries; 1492 or less,
      -- or no tag: none (1492 it stays)
      assert.equal(u16(1500), offer(1600).ppp_max_payload)
      assert.equal(u16(1496), offer(1496).ppp_max_payload)
      assert.is_nil(offer(1492).ppp_max_payload)
      assert.is_nil(offer(nil).ppp_max_payload)
      -- an interface of MTU 1500 carries no more than 1492
      mtu(1500)
      assert.is_nil(offer(1500).ppp_max_payload)
    end)
    mtu(1500)
    sub.close()
    assert(ok, err)
  end)

  it("refuses a bad or missing AC-Cookie, and offers nothing for a service it lacks", function()
    if not can then return skip() end
    local ac = serve()
    local sub = subscriber(ac:mac())
    local offer = assert(discover(sub, "internet", "c"))
    -- a cookie made for another Host-Uniq
    sub.request("internet", "other", offer.ac_cookie)
    local pads = assert(sub.next("PADS"))
    assert.equal(0, pads.session_id)
    assert.matches("AC%-Cookie", pads.generic_error)
    -- a forged one
    sub.request("internet", "c", ("\0"):rep(20))
    assert.equal(0, assert(sub.next("PADS")).session_id)
    sub.request("internet", "c")
    assert.equal("no AC-Cookie", assert(sub.next("PADS")).generic_error)
    assert.equal(3, ac:stats().bad_cookie)
    assert.equal(0, #lac:tunnels())
    -- a service not served: no offer (RFC 2516 5.2), counted
    local ignored = ac:stats().ignored
    sub.send({ code = "PADI", tags = tags{ { "service_name", "video" } } }, "ff:ff:ff:ff:ff:ff")
    assert.is_true(h.run_until(function() return ac:stats().ignored == ignored + 1 end, 5))
    -- and the next good request is answered: nothing was sent for "video"
    assert(discover(sub, "internet", "c2"))
    assert.equal(0, #sub.got)
    sub.close()
  end)

  it("counts and ignores malformed discovery frames, and goes on serving", function()
    if not can then return skip() end
    local ac = serve()
    local sub = subscriber(ac:mac())
    local bad = {
      "\x11\x09",                                  -- shorter than a header
      "\x21\x09\0\0\0\0",                          -- version 2
      "\x11\x42\0\0\0\0",                          -- not a discovery code
      "\x11\x09\0\0\0\x10",                        -- LENGTH past the frame
      "\x11\x09\0\0\0\x06\x01\x01\0\x09ab",        -- tag past LENGTH
      "\x11\x09\0\x07\0\x04\x01\x01\0\0",          -- PADI with a session ID
      "\x11\x09\0\0\0\x04\x01\x03\0\0",            -- PADI without Service-Name
      "\x11\xa7\0\0\0\0",                          -- PADT for session 0
    }
    for _, b in ipairs(bad) do sub.send_raw(b, ac:mac()) end
    assert.is_true(h.run_until(function() return ac:stats().malformed == #bad end, 5),
      "malformed: " .. ac:stats().malformed)
    -- a PADT for a session that is not the sender's is ignored
    sub.send({ code = "PADT", session_id = 1234 }, ac:mac())
    assert.is_true(h.run_until(function() return ac:stats().ignored >= 1 end, 5))
    assert(discover(sub, "internet", "after"), "no PADO after the bad frames")
    assert.equal(0, ac:stats().pado - 1)
    sub.close()
  end)

  it("holds PADIs to max_offers per cookie period, and PADRs to max_pending", function()
    if not can then return skip() end
    local ac = serve{ max_offers = 3, max_pending = 1,
      -- a hook that never answers: the sessions stay pending
      on_session = function() return { name = "slow", peer = "127.0.0.1:9", retry_timeout = 5000 } end }
    local sub = subscriber(ac:mac())
    local offers = {}
    for i = 1, 3 do offers[i] = assert(discover(sub, "internet", "p" .. i)) end
    sub.send({ code = "PADI", tags = tags{ { "service_name", "internet" } } }, "ff:ff:ff:ff:ff:ff")
    assert.is_true(h.run_until(function() return ac:stats().dropped_by_limit == 1 end, 5))
    sub.request("internet", "p1", offers[1].ac_cookie)
    assert.is_true(h.run_until(function() return ac:stats().pending == 1 end, 5))
    -- the same PADR again while its call is placed: not a second session
    sub.request("internet", "p1", offers[1].ac_cookie)
    sub.request("internet", "p2", offers[2].ac_cookie)
    local pads = assert(sub.next("PADS"))
    assert.equal(0, pads.session_id)
    assert.matches("too many sessions being set up", pads.ac_system_error)
    assert.equal(1, ac:stats().sessions)
    assert.equal(2, ac:stats().dropped_by_limit)
    sub.close()
  end)

  it("holds one subscriber to max_sessions_per_mac, told apart by Host-Uniq", function()
    if not can then return skip() end
    local ac = serve{ max_sessions_per_mac = 2 }
    local sub = subscriber(ac:mac())
    for i = 1, 3 do
      local offer = assert(discover(sub, "internet", "m" .. i))
      sub.request("internet", "m" .. i, offer.ac_cookie)
      local pads = assert(sub.next("PADS"))
      if i < 3 then
        assert.is_true(pads.session_id > 0)
      else
        assert.equal(0, pads.session_id)
        assert.equal("too many sessions for this MAC", pads.ac_system_error)
      end
    end
    assert.equal(2, ac:stats().sessions)
    assert.equal(1, ac:stats().dropped_by_limit)
    -- one ends: that subscriber may have another
    sub.send({ code = "PADT", session_id = ac:sessions()[1].session_id }, ac:mac())
    assert.is_true(h.run_until(function() return ac:stats().sessions == 1 end, 5))
    local offer = assert(discover(sub, "internet", "m4"))
    sub.request("internet", "m4", offer.ac_cookie)
    assert.is_true(assert(sub.next("PADS")).session_id > 0)
    sub.close()
  end)

  it("names what is wrong with its config", function()
    if not can then return skip() end
    assert.matches("pppoe: unknown key 'servics' %(accepted: interface, netns,",
      h.raises(lac.pppoe, lac, { interface = "ac0", servics = {}, on_session = print }))
    assert.matches("pppoe: on_session is required", h.raises(lac.pppoe, lac, { interface = "ac0" }))
    assert.matches("pppoe: max_pending must be an integer 1%-65534, got 0",
      h.raises(lac.pppoe, lac, { interface = "ac0", netns = NS, max_pending = 0, on_session = print }))
    assert.equal("pppoe: services[2] must be a string, got number",
      h.raises(lac.pppoe, lac, { interface = "ac0", netns = NS, services = { "a", 7 }, on_session = print }))
    local ac, err = lac:pppoe{ interface = "nosuch0", netns = NS, on_session = print }
    assert.is_nil(ac)
    assert.matches("pppoe: interface 'nosuch0' in netns " .. NS:gsub("%-", "%%-") .. ": No such device", err)
    ac, err = lac:pppoe{ interface = "ac0", netns = "no-such-ns", on_session = print }
    assert.is_nil(ac)
    assert.matches("netns 'no%-such%-ns': No such file or directory", err)
  end)
end)

describe("l2tp.pppoe codec", function()
  it("encodes and decodes discovery frames, tag by tag", function()
    local bytes = pppoe.encode{ code = "PADO", session_id = 0, tags = {
      { "ac_name", "ac" }, { type = "service_name", value = "" }, { type = 0x0999, value = "v" } } }
    assert.equal("\x11\x07\0\0\0\x0f\x01\x02\0\x02ac\x01\x01\0\0\x09\x99\0\x01v", bytes)
    local f = assert(pppoe.decode(bytes .. "\0\0\0")) -- Ethernet padding past LENGTH
    assert.equal("PADO", f.code)
    assert.equal("ac", f.ac_name)
    assert.equal("", f.service_name)
    assert.same({ type = 0x0999, value = "v" }, f.tags[3])
    -- End-Of-List ends the tags
    f = assert(pppoe.decode("\x11\x09\0\0\0\x0c\x01\x01\0\0\0\0\0\0\x01\x02\0\0"))
    assert.equal(1, #f.tags)
    assert.same({ nil, "tag 0x0101 of 9 bytes runs past LENGTH" },
      { pppoe.decode("\x11\x09\0\0\0\x06\x01\x01\0\x09ab") })
    assert.matches("code must be PADI", h.raises(pppoe.encode, { code = "PADX" }))
    assert.matches("unknown type nope", h.raises(pppoe.encode, { code = "PADI", tags = { { "nope", "" } } }))
  end)
end)

describe("scripts/kpppoed.lua", function()
  if not can then return it("runs", skip) end
  local LOG = "/tmp/l2tp-kpppoed-spec.log"
  local function log() return h.read_file(LOG) end

  it("fails over past an LNS whose tunnel failed, refuses the session that was riding it, and takes a new "
    .. "LNS list on SIGHUP", function()
    make_ns()
    -- busted keeps one finally per test: every cleanup goes through it
    local cleanups = {}
    finally(function()
      for i = #cleanups, 1, -1 do cleanups[i]() end
    end)
    cleanups[#cleanups + 1] = drop_ns
    local lns = l2tp.context{ log_level = "error" }
    local lnsr = h.recorder(lns)
    local l = assert(lns:listen("lns", { ["local"] = "127.0.0.1:0" }))
    cleanups[#cleanups + 1] = function() lns:close(); l2tp.run(0.1) end
    local conf = h.write_script(([[
return {
  interfaces = { "ac0" }, netns = %q, ac_name = "kpppoed-spec", services = { "internet" },
  lns = {
    { name = "dead", peer = "127.0.0.1:%d", retry_timeout = 100, max_retries = 1 },
    { name = "good", peer = %q },
  },
  holddown = 60,
}]]):format(NS, h.free_port(), l:address()))
    cleanups[#cleanups + 1] = function() os.remove(conf) end
    os.remove(LOG)
    local sock = h.tmp_path(".sock")
    local p = io.popen(h.l2tp_run .. " --control " .. sock .. " scripts/kpppoed.lua " .. conf .. " --null >" .. LOG
      .. " 2>&1 & echo $!")
    local pid = p:read("*l")
    p:close()
    cleanups[#cleanups + 1] = function() os.execute("kill -TERM " .. pid .. " 2>/dev/null") end
    assert.is_true(h.run_until(function() return log():find("serving PPPoE on ac0") ~= nil end, 10), log())

    local sub = subscriber()
    cleanups[#cleanups + 1] = function() sub.close() end
    local function session(hu)
      sub.send({ code = "PADI", tags = tags{ { "service_name", "internet" }, { "host_uniq", hu } } },
        "ff:ff:ff:ff:ff:ff")
      local offer = assert(sub.next("PADO"), "no PADO: " .. log())
      assert.equal("kpppoed-spec", offer.ac_name)
      sub.request("internet", hu, offer.ac_cookie, offer.from)
      return assert(sub.next("PADS", 10), "no PADS: " .. log())
    end
    -- the first LNS does not answer: its session is refused
    local pads = session("a")
    assert.equal(0, pads.session_id)
    assert.matches("the LNS did not take the call", pads.ac_system_error)
    -- (the daemon logs it as it goes on: the PADS may come first)
    assert.is_true(h.run_until(function()
      return log():find("LNS dead: tunnel down %(.*%): passed over for 60 s") ~= nil
    end, 5), log())
    -- the next subscriber goes to the second
    pads = session("b")
    assert.is_true(pads.session_id > 0, log())
    assert.is_true(h.run_until(function() return lnsr.n("session_up") == 1 end, 5))
    assert.equal(1, #lns:tunnels())
    assert.equal(1, #lns:tunnels()[1]:sessions())
    -- SIGHUP: a config with a mistake is refused, the running one kept...
    h.write_file(conf, "return { interfaces = { 'ac0' }, lns = { { peer = 7 } } }")
    os.execute("kill -HUP " .. pid)
    assert.is_true(h.run_until(function() return log():find("reload refused") ~= nil end, 5), log())
    -- ...and a good one's LNS list serves the next subscriber
    h.write_file(conf, ([[
return { interfaces = { "ac0" }, netns = %q, ac_name = "kpppoed-spec", services = { "internet" },
  lns = { { name = "next", peer = %q } } }]]):format(NS, l:address()))
    os.execute("kill -HUP " .. pid)
    assert.is_true(h.run_until(function() return log():find("reload: 1 LNS") ~= nil end, 5), log())
    assert.is_true(session("c").session_id > 0, log())
    assert.matches("rides tunnel next", log())
    assert.is_true(h.run_until(function() return lnsr.n("session_up") == 2 end, 5))
    assert.equal(2, #lns:tunnels())

    -- the operator sees both sessions and the counters, and ends one
    local function ctl(args) return h.sh(h.build_dir .. "/bindings/l2tp-ctl -s " .. sock .. " --json " .. args) end
    local code, out = ctl("pppoe")
    assert.equal(0, code, out)
    local json = require "spec.support.json"
    -- the specs' JSON reader keeps numbers as their text
    local function num(v) return tonumber(v.number) end
    local rows = json.decode(out)
    assert.equal("ac0", rows[1].interface)
    assert.equal(2, num(rows[1].sessions))
    assert.equal(1, num(rows[1].pads_refused))
    code, out = ctl("pppoe sessions")
    assert.equal(0, code, out)
    rows = json.decode(out)
    assert.equal(2, #rows)
    assert.equal(sub.mac, rows[1].mac)
    assert.equal("up", rows[1].state)
    local victim = num(rows[1].session_id)
    code, out = ctl("pppoe terminate ac0 " .. victim)
    assert.equal(0, code, out)
    local padt = assert(sub.next("PADT"), "no PADT: " .. log())
    assert.equal(victim, padt.session_id)
    assert.equal("terminated by the operator", padt.generic_error)
    assert.is_true(h.run_until(function() return lnsr.n("session_down") == 1 end, 5), log())
    local err
    code, _, err = ctl("pppoe terminate eth9 1")
    assert.equal(1, code)
    assert.matches("no interface 'eth9' served", err)
    -- SIGTERM: the subscriber gets its PADT
    os.execute("kill -TERM " .. pid)
    assert(sub.next("PADT"), "no PADT at exit: " .. log())
  end)
end)
