-- Strangers must not stall, hijack or exhaust a LAC or an LNS (issue 10).
-- Scripted peers play each attack byte by byte against our LAC and our
-- LNS, on loopback with the null data plane.
local h = require "spec.support.helpers"
local LAC = require "spec.support.lac"
local LNS = require "spec.support.lns"
local l2tp = h.l2tp
local codec = l2tp.codec

local function until_(fn, timeout) return h.run_until(fn, timeout or 5) end

describe("hardening", function()
  local lns, lac, lnsr, lacr, listen
  -- scripted peers are closed even when a spec fails: an open socket would
  -- keep the loop of the next spec alive
  local peers
  local function new_lac(...) local p = LAC.new(...); peers[#peers + 1] = p; return p end
  local function new_lns(...) local p = LNS.new(...); peers[#peers + 1] = p; return p end
  before_each(function()
    lns, lac, lnsr, lacr, listen = h.pair()
    peers = {}
  end)
  after_each(function()
    for _, p in ipairs(peers) do pcall(p.close, p) end
    h.close_pair(lns, lac)
  end)

  describe("setup timeouts (item 1)", function()
    it("an LNS reaps a tunnel whose SCCRP was acknowledged but never followed by SCCCN", function()
      local l = listen{ setup_timeout = 300 }
      local s = new_lac(l:address())
      local t = s:sccrq(77)
      assert.is_true(until_(function() return s:sccrp(t) ~= nil end))
      s:send(t, "ZLB")
      assert.is_true(until_(function() return s:got("StopCCN", 77) == 1 end))
      local _, stop = s:got("StopCCN", 77)
      assert.equal(1, stop.values.result_code.result)
      assert.equal("setup timeout: no SCCCN from the LAC within 300 ms", stop.values.result_code.message)
      l2tp.run(0.05)
      local down = lnsr.last("tunnel_down")
      assert.is_false(down.established)
      assert.equal("setup timeout: no SCCCN from the LAC within 300 ms", down.reason)
      local st = l:stats()
      assert.equal(0, st.pending)
      assert.equal(0, st.tunnels)
      assert.equal(1, st.setup_timeouts)
      s:close()
    end)

    it("half-open tunnels cannot lock LACs out: the oldest pending one makes room", function()
      local l = listen{ max_pending = 5 }
      local s = new_lac(l:address())
      for tid = 1, 10 do s:sccrq(tid) end
      assert.is_true(until_(function() return l:stats().evicted == 5 end))
      for tid = 1, 10 do if s:sccrp(s.tunnels[tid]) then s:send(s.tunnels[tid], "ZLB") end end
      assert.equal(5, l:stats().pending)
      -- the first five were told why they were dropped
      assert.is_true(until_(function() return s:got("StopCCN") == 5 end))
      local _, stop = s:got("StopCCN", 1)
      assert.same({ result = 2, error = 4, message = "too many tunnels in setup" }, stop.values.result_code)
      local t = lac:dynamic_tunnel("real", { peer = l:address() })
      -- the real one is up (at the LNS too, once it has our SCCCN); it made
      -- room by dropping one more
      assert.is_true(until_(function() return t:is_up() and l:stats().pending == 4 end), l:stats().pending)
      s:close()
    end)

    it("an LNS reaps a call whose ICRP was acknowledged but never followed by ICCN", function()
      local l = listen{ setup_timeout = 300 }
      local t = lac:dynamic_tunnel("t", { peer = l:address() })
      assert.is_true(until_(function() return t:is_up() end))
      -- our LAC plays a LAC that stops after ICRQ: a scripted one does it
      local s = new_lac(l:address())
      local st = s:establish(9)
      assert.is_true(until_(function() return l:stats().pending == 0 and l:stats().tunnels == 2 end))
      s:send(st, "ICRQ", { { name = "assigned_session_id", value = 33 }, { name = "call_serial_number", value = 1 } })
      assert.is_true(until_(function() return s:got("ICRP", 9) == 1 end))
      s:send(st, "ZLB")
      assert.equal(1, l:stats().sessions)
      assert.is_true(until_(function() return s:got("CDN", 9) == 1 end))
      local _, cdn = s:got("CDN", 9)
      assert.equal(33, cdn.session_id)
      assert.same({ result = 2, error = 0, message = "setup timeout: no ICCN from the LAC within 300 ms" },
        cdn.values.result_code)
      l2tp.run(0.05)
      assert.equal(0, l:stats().sessions)
      local down = lnsr.last("session_down")
      assert.is_false(down.established)
      assert.equal("setup timeout: no ICCN from the LAC within 300 ms", down.reason)
      s:close()
    end)

    it("a LAC gives up on an SCCRQ that is acknowledged but never answered", function()
      local peer = new_lns()
      peer.on.SCCRQ = function() end -- a ZLB, and nothing more
      local t = lac:dynamic_tunnel("t", { peer = peer:address(), setup_timeout = 300 })
      assert.is_true(until_(function() return t:is_closed() end))
      l2tp.run(0.05)
      local down = lacr.last("tunnel_down")
      assert.is_false(down.established)
      assert.equal("setup timeout: no SCCRP from the LNS within 300 ms", down.reason)
      assert.equal(1, peer:count("StopCCN"))
      assert.equal("setup timeout: no SCCRP from the LNS within 300 ms", peer:last("StopCCN").values.result_code.message)
      peer:close()
    end)

    it("a LAC gives up on an ICRQ that is acknowledged but never answered", function()
      local peer = new_lns()
      peer.on.ICRQ = function() end
      local t = lac:dynamic_tunnel("t", { peer = peer:address(), setup_timeout = 300 })
      local c = t:session("c", {})
      assert.is_true(until_(function() return c:is_closed() end))
      l2tp.run(0.05)
      local down = lacr.last("session_down")
      assert.is_false(down.established)
      assert.equal("setup timeout: no ICRP from the LNS within 300 ms", down.reason)
      local cdn = peer:last("CDN")
      assert.equal(10, cdn.values.result_code.result) -- not established within the time the LAC allows
      assert.is_true(t:is_up())
      peer:close()
    end)

    it("a LAC restarted on its fixed local port gets a new tunnel at once, whoever closed the last one", function()
      local l = listen()
      local port = h.free_port()
      for _, who in ipairs{ "lac", "lns" } do
        local ctx = l2tp.context{ log_level = "error" }
        local t = ctx:dynamic_tunnel("t", { peer = l:address(), ["local"] = "127.0.0.1:" .. port })
        assert.is_true(until_(function() return t:is_up() end), who)
        if who == "lac" then t:close() else lns:tunnels()[1]:close() end
        assert.is_true(until_(function() return t:is_closed() and #lns:tunnels() == 0 end), who)
        ctx:close() -- the "process" ends...
        ctx = l2tp.context{ log_level = "error" } -- ...and starts again on the same port
        local t2 = ctx:dynamic_tunnel("t", { peer = l:address(), ["local"] = "127.0.0.1:" .. port })
        assert.is_true(until_(function() return t2:is_up() end, 3), who .. " closed, then the restarted LAC")
        ctx:close()
      end
    end)
  end)

  describe("port adoption (item 2)", function()
    it("junk from another port of the LNS host neither steers the LAC nor gets its SCCRQ", function()
      local peer = new_lns()
      local junk = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
      local got = 0
      junk:on_receive(function() got = got + 1 end)
      local sent = false
      peer.on.SCCRQ = function(self, m)
        -- before answering, a stranger on the same host sends a byte to the LAC
        if not sent then junk:send("x", self.peer); sent = true end
        return LNS.default.SCCRQ(self, m)
      end
      local t = lac:dynamic_tunnel("t", { peer = peer:address(), retry_timeout = 200 })
      assert.is_true(until_(function() return t:is_up() end))
      l2tp.run(0.5) -- long enough for a retransmitted SCCRQ to have gone astray
      assert.equal(0, got)
      assert.equal(peer:address(), lacr.last("tunnel_up")["peer"])
      junk:close()
      peer:close()
    end)
  end)

  describe("address reuse (item 3)", function()
    it("LAC sockets on port 0 never share a port", function()
      local ports, n = {}, 0
      for i = 1, 800 do lac:dynamic_tunnel("t" .. i, { peer = "127.0.0.1:9", retry_timeout = 60000, max_retry_timeout = 60000 }) end
      lac:close()
      l2tp.run(0.1)
      for _, e in ipairs(lacr.list) do
        if e.event == "tunnel_down" then
          local p = e["local"]:match(":(%d+)$")
          if not ports[p] then n = n + 1 end
          ports[p] = true
        end
      end
      assert.equal(800, lacr.n("tunnel_down"))
      assert.equal(800, n)
    end)

    it("a second listener on an address this context serves fails, naming the first", function()
      local l = listen()
      local r, err = lns:listen("x", { ["local"] = l:address() })
      assert.is_nil(r)
      assert.equal("listener 'x': " .. l:address() .. " is already served by listener 'lns'", err)
      r, err = lns:listen("y", { ["local"] = "0.0.0.0:" .. l:address():match(":(%d+)$") })
      assert.is_nil(r)
      assert.equal("listener 'y': " .. l:address() .. " is already served by listener 'lns'", err)
    end)

    it("a second listener on an address another process serves fails with a clear error", function()
      local port = h.free_port()
      local ready = os.tmpname()
      local script = h.write_script(([[
local l2tp = require "l2tp"
local ctx = l2tp.context{ log_level = "error" }
assert(ctx:listen("other", { ["local"] = "0.0.0.0:%d" }))
local f = io.open(%q, "w"); f:write("ready"); f:close()
l2tp.timer(10, function() l2tp.stop() end)
]]):format(port, ready))
      local p = io.popen(h.l2tp_run .. " " .. script .. " 2>&1 & echo $!")
      local pid = p:read("*l")
      p:close()
      local function is_ready() local f = io.open(ready); local s = f and f:read("*a"); if f then f:close() end; return s == "ready" end
      assert.is_true(until_(is_ready, 10))
      local r, err = lns:listen("x", { ["local"] = "127.0.0.1:" .. port })
      os.execute("kill " .. pid)
      os.remove(ready)
      os.remove(script)
      assert.is_nil(r)
      assert.equal("listener 'x': bind 127.0.0.1:" .. port .. ": Address already in use (another LNS on this host?)", err)
    end)
  end)

  describe("several tunnels from one LAC address and port (item 4)", function()
    local function two_tunnels(port_mode)
      local l = listen{ tunnel_port = port_mode }
      local s = new_lac(l:address())
      local a, b = s:sccrq(11), s:sccrq(12)
      assert.is_true(until_(function() return s:sccrp(a) ~= nil and s:sccrp(b) ~= nil end))
      s:send(a, "SCCCN")
      s:send(b, "SCCCN")
      assert.is_true(until_(function() return lnsr.n("tunnel_up") == 2 end))
      assert.equal(2, l:stats().tunnels)
      assert.equal(0, l:stats().pending)
      s:close()
      return l, a.peer, b.peer
    end

    it("each gets its own tunnel; the second answers from a new port (tunnel_port = \"same\")", function()
      local l, pa, pb = two_tunnels(nil)
      assert.equal(l:address(), pa)
      assert.is_not.equal(l:address(), pb)
      assert.equal("127.0.0.1", pb:match("^(.*):"))
    end)

    it("every tunnel answers from a new port with tunnel_port = \"new\"", function()
      local l, pa, pb = two_tunnels("new")
      assert.is_not.equal(l:address(), pa)
      assert.is_not.equal(l:address(), pb)
      assert.is_not.equal(pa, pb)
    end)

    it("our LAC adopts the new port: tunnels and calls come up through a listener on new ports", function()
      local l = listen{ tunnel_port = "new" }
      local t = lac:dynamic_tunnel("t", { peer = l:address() })
      local c = t:session("c", {})
      assert.is_true(until_(function() return c:is_up() end))
      assert.is_not.equal(l:address(), lacr.last("tunnel_up").peer)
    end)
  end)

  describe("lingering sockets (item 5)", function()
    it("a new SCCRQ on a closed tunnel's socket still in its StopCCN hold reaches the listener", function()
      local l = listen()
      local s = new_lac(l:address())
      local t = s:establish(21)
      assert.is_true(until_(function() return lnsr.n("tunnel_up") == 1 end))
      -- the LNS closes; this LAC "crashes" and never acknowledges, so the
      -- LNS holds the socket connected to this LAC's address and port
      lns:tunnels()[1]:close()
      assert.is_true(until_(function() return s:got("StopCCN", 21) >= 1 end))
      assert.equal(1, lns:stats().lingering)
      -- restarted on the same port: a new tunnel, not a ZLB from the old one
      local t2 = s:sccrq(22)
      assert.is_true(until_(function() return s:sccrp(t2) ~= nil end, 3))
      assert.equal(l:address(), t2.peer)
      s:send(t2, "SCCCN")
      assert.is_true(until_(function() return lnsr.n("tunnel_up") == 2 end))
      assert.equal(0, lns:stats().lingering) -- the old hold gave way to the new tunnel
      s:close()
    end)

    it("a StopCCN that crosses ours is acknowledged before our socket goes", function()
      local peer = new_lns()
      local t = lac:dynamic_tunnel("t", { peer = peer:address() })
      assert.is_true(until_(function() return t:is_up() end))
      -- the LNS answers our StopCCN with its own, which acknowledges ours
      peer.on.StopCCN = function(self)
        self:send("StopCCN", { { name = "assigned_tunnel_id", value = self.tid },
          { name = "result_code", value = { result = 6 } } })
        return true
      end
      local zlbs = peer:count("ZLB")
      t:close()
      assert.is_true(until_(function() return peer:count("ZLB") > zlbs end, 3))
      assert.equal(peer.ns, peer:last("ZLB").nr) -- ours acknowledges theirs
      assert.is_true(until_(function() return lac:stats().sockets == 0 end, 3))
    end)

    it("a StopCCN sender lets go of its socket once the StopCCN is acknowledged", function()
      local l = listen()
      local t = lac:dynamic_tunnel("t", { peer = l:address() })
      assert.is_true(until_(function() return t:is_up() end))
      local before = lac:stats().sockets
      t:close()
      assert.is_true(until_(function() return lac:stats().sockets == before - 1 and lac:stats().lingering == 0 end, 3))
      -- and the LNS, which received it, holds no socket for it either
      assert.is_true(until_(function() return lns:stats().sockets == 1 end, 3))
    end)

    it("a StopCCN whose acknowledgement was lost is acknowledged again by the listener, with no socket kept", function()
      local l = listen()
      local s = new_lac(l:address())
      local t = s:establish(31)
      assert.is_true(until_(function() return lnsr.n("tunnel_up") == 1 end))
      local avps = { { name = "assigned_tunnel_id", value = 31 }, { name = "result_code", value = { result = 1 } } }
      local stop = s:send(t, "StopCCN", avps)
      assert.is_true(until_(function()
        local _, zlb = s:got("ZLB", 31)
        return zlb and zlb.nr == t.ns and lns:stats().sockets == 1
      end))
      local acks = s:got("ZLB", 31)
      -- "our ZLB was lost": the same StopCCN again, to the listener's port
      s.sock:send(stop, t.peer)
      assert.is_true(until_(function() return s:got("ZLB", 31) == acks + 1 end))
      local _, zlb, from = s:got("ZLB", 31)
      assert.equal(l:address(), from)
      assert.equal(t.ns, zlb.nr) -- acknowledges the StopCCN
      assert.equal(1, lns:stats().sockets)
      assert.equal(0, lns:stats().lingering)
      s:close()
    end)

    it("100 churn cycles with default timers leave the socket count where it started", function()
      local l = listen()
      local base_lac, base_lns = lac:stats().sockets, lns:stats().sockets
      for i = 1, 100 do
        local t = lac:dynamic_tunnel("t" .. i, { peer = l:address() })
        for j = 1, 3 do t:session("s" .. j, {}) end
        assert.is_true(until_(function() return lnsr.n("session_up") == 3 * i end), "cycle " .. i)
        t:close()
        assert.is_true(until_(function() return #lns:tunnels() == 0 end), "cycle " .. i)
      end
      assert.is_true(until_(function() return lac:stats().sockets == base_lac and lns:stats().sockets == base_lns end, 5))
      assert.equal(100, lnsr.n("tunnel_up"))
    end)
  end)

  describe("floods (item 6)", function()
    it("an SCCRQ flood keeps pending tunnels and sockets bounded, and a real LAC still gets in", function()
      local l = listen{ max_pending = 50, setup_timeout = 1000 }
      local socks = {}
      for i = 1, 100 do socks[i] = new_lac(l:address()) end
      local t
      for round = 1, 10 do
        for i = 1, 100 do socks[i]:sccrq(round * 1000 + i) end
        if round == 5 then t = lac:dynamic_tunnel("real", { peer = l:address() }) end
        l2tp.run(0.01)
        assert.is_true(l:stats().pending <= 50)
        assert.is_true(lns:stats().sockets <= 1 + 50 + 1)
      end
      assert.is_true(until_(function() return t:is_up() end))
      assert.is_true(until_(function() return l:stats().pending == 0 end, 5))
      -- the kernel drops what a full socket buffer cannot take; of what
      -- got through, all but the last 50 made room for newer ones
      local st = l:stats()
      assert.is_true(st.accepted > 100, st.accepted)
      assert.is_true(st.evicted >= st.accepted - 1 - 50, st.evicted)
      assert.is_true(until_(function() return lns:stats().sockets == 2 end, 5)) -- the listener and the real tunnel
      for i = 1, 100 do socks[i]:close() end
    end)

    it("a request from an address that never answers gets two SCCRPs at most, and no event", function()
      local l = listen{ retry_timeout = 100, max_retries = 5 }
      local s = new_lac(l:address())
      s:sccrq(41)
      assert.is_true(until_(function() return l:stats().tunnels == 0 and l:stats().accepted == 1 end, 5))
      l2tp.run(0.3)
      assert.equal(2, s:got("SCCRP", 41)) -- the first and one retransmission, not 1 + max_retries
      assert.equal(0, s:got("StopCCN", 41))
      assert.equal(0, lnsr.n("tunnel_down")) -- counted by the listener, not reported
      assert.equal(1, lns:stats().sockets)
      -- a LAC that answers gets the full retransmission schedule once up
      local t2 = lac:dynamic_tunnel("real", { peer = l:address() })
      assert.is_true(until_(function() return t2:is_up() end))
      assert.equal(5, lns:tunnels()[1]:config().max_retries)
    end)

    it("requests that could only fail are refused before anything is made: protocol version, a challenge without a secret", function()
      local l = listen()
      local s = new_lac(l:address())
      local v2 = { tid = 51, ns = 0, nr = 0 }
      s.tunnels[51] = v2
      local avps = LAC.sccrq_avps(51)
      avps[1].value = { version = 2, revision = 0 }
      s:send(v2, "SCCRQ", avps)
      s:sccrq(52, { { name = "challenge", value = ("c"):rep(16) } })
      assert.is_true(until_(function() return s:got("StopCCN") == 2 end))
      local _, a = s:got("StopCCN", 51)
      local _, b = s:got("StopCCN", 52)
      assert.equal(5, a.values.result_code.result)
      assert.equal(4, b.values.result_code.result)
      assert.equal("no secret configured", b.values.result_code.message)
      assert.equal(0, l:stats().accepted)
      assert.equal(1, lns:stats().sockets)
      assert.equal(0, lns:stats().lingering)
    end)

    it("a request the hook refuses does not make a pending tunnel give way", function()
      local l = listen{ max_pending = 1, on_tunnel = function(req) return req.host_name ~= "bad" end }
      local s = new_lac(l:address())
      local good = s:sccrq(61)
      assert.is_true(until_(function() return s:sccrp(good) ~= nil end))
      local bad = { tid = 62, ns = 0, nr = 0 }
      s.tunnels[62] = bad
      local avps = LAC.sccrq_avps(62)
      avps[2].value = "bad"
      s:send(bad, "SCCRQ", avps)
      assert.is_true(until_(function() return s:got("StopCCN", 62) == 1 end))
      assert.equal(0, l:stats().evicted)
      assert.equal(1, l:stats().pending)
      s:send(good, "SCCCN")
      assert.is_true(until_(function() return lnsr.n("tunnel_up") == 1 end))
    end)

    it("malformed SCCRQs are answered and leave no socket behind", function()
      local l = listen()
      local s = new_lac(l:address())
      for tid = 1, 100 do
        local t = { tid = tid, ns = 0, nr = 0 }
        s.tunnels[tid] = t
        -- no Host Name: a required AVP is missing
        s:send(t, "SCCRQ", { { name = "protocol_version", value = { version = 1, revision = 0 } },
          { name = "framing_capabilities", value = 3 }, { name = "assigned_tunnel_id", value = tid } },
          { validate = false })
      end
      assert.is_true(until_(function() return s:got("StopCCN") == 100 end))
      local _, stop = s:got("StopCCN", 42)
      assert.equal(42, stop.tunnel_id)
      assert.equal(2, stop.values.result_code.result)
      assert.equal(3, stop.values.result_code.error)
      assert.matches("missing the required Host Name AVP", stop.values.result_code.message)
      assert.equal(1, lns:stats().sockets)
      assert.equal(100, l:stats().refused_malformed)
      assert.equal(0, l:stats().accepted)
      s:close()
    end)

    it("refusals are logged once, then summed up, not one line each", function()
      local port = h.free_port()
      local log, ready = os.tmpname(), os.tmpname()
      local script = h.write_script(([[
local l2tp = require "l2tp"
local ctx = l2tp.context{}
assert(ctx:listen("lns", { ["local"] = "127.0.0.1:%d", max_tunnels = 1 }))
local f = io.open(%q, "w"); f:write("ready"); f:close()
l2tp.timer(20, function() l2tp.stop() end)
]]):format(port, ready))
      local p = io.popen(h.l2tp_run .. " " .. script .. " 2>" .. log .. " & echo $!")
      local pid = p:read("*l")
      p:close()
      assert.is_true(until_(function()
        local f = io.open(ready); local r = f and f:read("*a"); if f then f:close() end; return r == "ready"
      end, 10))
      os.remove(ready)
      local s = new_lac("127.0.0.1:" .. port)
      s:establish(1, 10)
      -- in batches a socket buffer holds: every one is answered
      for batch = 0, 9 do
        for tid = 2 + batch * 50, 51 + batch * 50 do s:sccrq(tid) end
        assert.is_true(until_(function() return s:got("StopCCN") == 50 * (batch + 1) end, 10))
      end
      os.execute("kill " .. pid) -- SIGTERM: the listener closes and sums up what it has not said
      local function stopped()
        return h.read_file(log):match("more tunnel requests turned away") ~= nil
      end
      assert.is_true(until_(stopped, 10))
      local f = io.open(log)
      local text = f:read("*a")
      f:close()
      os.remove(log)
      os.remove(script)
      local refusals = 0
      for _ in text:gmatch("max_tunnels limit reached") do refusals = refusals + 1 end
      assert.equal(1, refusals, text)
      assert.matches("499 more tunnel requests turned away in the last %d+ s %(499 over max_tunnels%)", text)
      s:close()
    end)
  end)

  describe("answers to what is wrong (item 7)", function()
    local function ask(l, avps, opts)
      local s = new_lac(l:address(), opts)
      local t = { tid = 77, ns = 0, nr = 0 }
      s.tunnels[77] = t
      s:send(t, "SCCRQ", avps, { validate = false })
      return s
    end

    it("an SCCRQ with an unknown M-bit AVP gets StopCCN result 2, error 8", function()
      local l = listen()
      local s = ask(l, LAC.sccrq_avps(77, { { type = 200, vendor = 0, mandatory = true, bytes = "x" } }))
      assert.is_true(until_(function() return s:got("StopCCN") == 1 end))
      local _, stop = s:got("StopCCN")
      assert.equal(77, stop.tunnel_id)
      assert.equal(2, stop.values.result_code.result)
      assert.equal(8, stop.values.result_code.error)
      assert.equal(0, l:stats().accepted)
      s:close()
    end)

    it("an SCCRQ larger than 2048 bytes is answered", function()
      local l = listen()
      local s = ask(l, LAC.sccrq_avps(77, { { type = 1, vendor = 9999, mandatory = false, bytes = ("v"):rep(1000) },
        { type = 2, vendor = 9999, mandatory = false, bytes = ("v"):rep(1000) },
        { type = 3, vendor = 9999, mandatory = false, bytes = ("v"):rep(1000) } }))
      assert.is_true(until_(function() return s:got("SCCRP") == 1 end))
      s:close()
    end)

    it("Assigned Tunnel ID 0 is refused", function()
      local l = listen()
      local s = ask(l, LAC.sccrq_avps(0))
      assert.is_true(until_(function() return s:got("StopCCN") == 1 end))
      local _, stop = s:got("StopCCN")
      assert.same({ result = 2, error = 3, message = "Assigned Tunnel ID 0" }, stop.values.result_code)
      assert.equal(0, l:stats().accepted)
      s:close()
    end)

    it("Assigned Session ID 0 is refused with a CDN", function()
      local l = listen()
      local s = new_lac(l:address())
      local t = s:establish(5)
      s:send(t, "ICRQ", { { name = "assigned_session_id", value = 0 }, { name = "call_serial_number", value = 1 } },
        { validate = false })
      assert.is_true(until_(function() return s:got("CDN", 5) == 1 end))
      local _, cdn = s:got("CDN", 5)
      assert.same({ result = 2, error = 3, message = "Assigned Session ID 0" }, cdn.values.result_code)
      assert.equal(0, l:stats().sessions)
      s:close()
    end)

    it("an L2TPv3 SCCRQ gets an L2TPv3 StopCCN: protocol version not supported", function()
      local l = listen()
      local sock = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
      local got
      sock:on_receive(function(bytes) got = codec.decode(bytes) end)
      sock:send(assert(codec.encode({ version = 3, type = "SCCRQ", connection_id = 0, avps = {
        { name = "host_name", value = "v3-lcce" }, { name = "router_id", value = 1 },
        { name = "assigned_connection_id", value = 0x01020304 }, { name = "pw_capabilities_list", value = { 5 } } } })),
        l:address())
      assert.is_true(until_(function() return got ~= nil end))
      assert.equal(3, got.version)
      assert.equal("StopCCN", got.type)
      assert.equal(0x01020304, got.connection_id)
      assert.equal(5, got.values.result_code.result)
      assert.equal(1, l:stats().refused_version)
      sock:close()
    end)

    it("hidden AVPs the listener cannot read are refused with result 4, without a secret or with a wrong one", function()
      for _, secret in ipairs{ false, "ours" } do
        local l = listen{ secret = secret or nil }
        local s = new_lac(l:address(), { secret = "theirs" })
        -- the Assigned Tunnel ID hidden with the LAC's secret
        local t = { tid = 67, ns = 0, nr = 0 }
        s.tunnels[67] = t
        local avps = LAC.sccrq_avps(67)
        avps[4].hidden = true
        s:send(t, "SCCRQ", avps)
        assert.is_true(until_(function() return s:got("StopCCN") == 1 end))
        local _, stop = s:got("StopCCN")
        assert.equal(4, stop.values.result_code.result)
        assert.equal(secret and "hidden AVPs do not decrypt" or "no shared secret", stop.values.result_code.message)
        assert.equal(1, l:stats().refused_auth)
        s:close()
        l:close()
      end
    end)

    it("an ICRQ before SCCCN ends the control connection (FSM error)", function()
      local l = listen()
      local s = new_lac(l:address())
      local t = s:sccrq(8)
      assert.is_true(until_(function() return s:sccrp(t) ~= nil end))
      s:send(t, "ICRQ", { { name = "assigned_session_id", value = 3 }, { name = "call_serial_number", value = 1 } })
      assert.is_true(until_(function() return s:got("StopCCN", 8) == 1 end))
      local _, stop = s:got("StopCCN", 8)
      assert.equal(7, stop.values.result_code.result)
      assert.equal("ICRQ received in state wait-ctl-conn", stop.values.result_code.message)
      s:close()
    end)
  end)
end)
