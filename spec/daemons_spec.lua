-- scripts/kl2tpd.lua, scripts/lnsd.lua, scripts/pseudowired.lua and
-- examples/failover.lua, each run by l2tp-run on the null data plane
-- against scripted peers or our own objects in this process, or each other.
local h = require "spec.support.helpers"
local LNS = require "spec.support.lns"
local l2tp = h.l2tp

local DEFAULT_LOG = "/tmp/l2tp-daemon-spec.log"
local function log(path) return h.read_file(path or DEFAULT_LOG) end

-- Starts a daemon whose log goes to path (default /tmp/l2tp-daemon-spec.log);
-- it is stopped when the spec ends, whether it passes or not.
local function start(cmd, path)
  path = path or DEFAULT_LOG
  os.remove(path)
  local p = io.popen(cmd .. " >" .. path .. " 2>&1 & echo $!")
  local pid = p:read("*l")
  p:close()
  finally(function() os.execute("kill -TERM " .. pid .. " 2>/dev/null") end)
  return pid
end

-- How many times pattern occurs in the log at path.
local function count(path, pattern)
  local n = 0
  for _ in log(path):gmatch(pattern) do n = n + 1 end
  return n
end

describe("scripts/kl2tpd.lua", function()
  it("brings up the tunnels and calls of its config and redials after a StopCCN", function()
    local lns = LNS.new()
    local conf = h.write_script(([[
return { tunnel = { t1 = { peer = %q, retry_timeout = 200,
  session = { s1 = {}, s2 = {} } } } }]]):format(lns:address()))
    local pid = start(h.l2tp_run .. " scripts/kl2tpd.lua " .. conf .. " --null")
    local up = h.run_until(function() return lns:count("ICCN") >= 2 end, 5)
    -- the LNS hangs up: kl2tpd dials again after its backoff (1 s)
    lns:send("StopCCN", { { name = "assigned_tunnel_id", value = lns.tid },
      { name = "result_code", value = { result = 6 } } })
    local redialled = h.run_until(function() return lns:count("SCCRQ") >= 2 and lns:count("ICCN") >= 4 end, 6)
    os.execute("kill -TERM " .. pid)
    h.run_until(function() return lns:count("StopCCN") >= 1 end, 2)
    lns:close()
    os.remove(conf)
    assert.is_true(up, log())
    assert.is_true(redialled, log())
    assert.matches("tunnel t1 down: peer sent StopCCN: result 6", log())
    assert.matches("redialling in 1 s", log())
  end)

  it("on SIGHUP brings up what the config adds, closes what it removes, redoes what it changes, "
    .. "and keeps running on a broken one", function()
    local a, b = LNS.new(), LNS.new{ tid = 999 }
    local conf = os.tmpname()
    local function write(body) h.write_file(conf, body) end
    write(([[return { tunnel = { t1 = { peer = %q, session = { s1 = {} } } } }]]):format(a:address()))
    local pid = start(h.l2tp_run .. " scripts/kl2tpd.lua " .. conf .. " --null")
    assert.is_true(h.run_until(function() return a:count("ICCN") == 1 end, 5), log())
    -- a call and a tunnel added
    write(([[return { tunnel = { t1 = { peer = %q, session = { s1 = {}, s2 = {} } },
      t2 = { peer = %q, session = { x = {} } } } }]]):format(a:address(), b:address()))
    os.execute("kill -HUP " .. pid)
    assert.is_true(h.run_until(function() return a:count("ICCN") == 2 and b:count("ICCN") == 1 end, 5), log())
    assert.equal(1, a:count("SCCRQ")) -- t1 itself untouched
    assert.equal(0, a:count("CDN"))
    -- a tunnel removed, a call changed
    write(([[return { tunnel = { t1 = { peer = %q, session = { s1 = { seqnum = true }, s2 = {} } } } }]])
      :format(a:address()))
    os.execute("kill -HUP " .. pid)
    assert.is_true(h.run_until(function() return b:count("StopCCN") == 1 and a:count("ICCN") == 3 end, 5), log())
    assert.equal(1, a:count("CDN")) -- s1 closed, then placed again with its new settings
    assert.equal(1, a:count("SCCRQ"))
    -- a broken config is refused: nothing changes, the process lives on
    write([[return { tunnel = { t1 = { peer = "127.0.0.1:1701", windw = 4 } } }]])
    os.execute("kill -HUP " .. pid)
    assert.is_true(h.run_until(function() return log():match("reload refused") ~= nil end, 5), log())
    assert.matches("unknown key 'windw'", log())
    h.run_until(function() return false end, 0.3)
    assert.equal(1, a:count("CDN"))
    assert.equal(0, a:count("StopCCN"))
    assert.equal(0, h.sh("kill -0 " .. pid))
    -- and USR1 writes the state report
    os.execute("kill -USR1 " .. pid)
    assert.is_true(h.run_until(function() return log():match("session 't1/s2': ppp, established") ~= nil end, 5),
      log())
    os.execute("kill -TERM " .. pid)
    h.run_until(function() return a:count("StopCCN") >= 1 end, 3)
    a:close()
    b:close()
    os.remove(conf)
  end)

  it("dials L2TPv3 tunnels where the config says so", function()
    local ctx = l2tp.context{ log_level = "error" }
    local r = h.recorder(ctx)
    local l = assert(ctx:listen("v3", { ["local"] = "127.0.0.1:0", version = "l2tpv3", secret = "k" }))
    local conf = h.write_script(([[
return { tunnel = { t3 = { version = "l2tpv3", peer = %q, secret = "k", digest = "md5",
  session = { vc1 = { pseudowire = "eth", remote_end_id = "vc1" } } } } }]]):format(l:address()))
    start(h.l2tp_run .. " scripts/kl2tpd.lua " .. conf .. " --null")
    assert.is_true(h.run_until(function() return r.n("session_up") == 1 end, 10), log())
    assert.equal(3, r.last("session_up").version)
    assert.equal("vc1", r.last("session_up").session_config.remote_end_id)
    ctx:close()
    l2tp.run(0.1)
    os.remove(conf)
  end)

  it("places a refused call again after a backoff that doubles while the LNS keeps refusing it", function()
    local ctx = l2tp.context{ log_level = "error" }
    local asked = {}
    local l = assert(ctx:listen("lns", { ["local"] = "127.0.0.1:0", on_call = function()
      asked[#asked + 1] = l2tp.now()
      return false, 4, "no room"
    end }))
    local conf = h.write_script(([[
return { tunnel = { t1 = { peer = %q, session = { s1 = {} } } } }]]):format(l:address()))
    start(h.l2tp_run .. " scripts/kl2tpd.lua " .. conf .. " --null")
    local refused = h.run_until(function() return #asked >= 3 end, 15)
    ctx:close()
    l2tp.run(0.1)
    os.remove(conf)
    assert.is_true(refused, log())
    -- timers never fire early: each gap is at least the backoff of its turn
    assert.is_true(asked[2] - asked[1] >= 0.95, log())
    assert.is_true(asked[3] - asked[2] >= 1.95, log())
    assert.matches("session t1/s1: placing it again in 1 s", log())
    assert.matches("session t1/s1: placing it again in 2 s", log())
  end)

  it("leaves a tunnel or call the operator closed down until l2tp-ctl dial brings it back", function()
    local ctx = l2tp.context{ log_level = "error" }
    local r = h.recorder(ctx)
    local l = assert(ctx:listen("lns", { ["local"] = "127.0.0.1:0" }))
    local conf = h.write_script(([[
return { tunnel = { t1 = { peer = %q, session = { s1 = {} } } } }]]):format(l:address()))
    local sock = h.tmp_path(".sock")
    start(h.l2tp_run .. " --control " .. sock .. " scripts/kl2tpd.lua " .. conf .. " --null")
    local function ctl(args) return h.sh(h.build_dir .. "/bindings/l2tp-ctl -s " .. sock .. " " .. args) end
    assert.is_true(h.run_until(function() return r.n("session_up") == 1 end, 10), log())

    assert.equal(0, (ctl("close session t1/s1")))
    assert.is_true(h.run_until(function() return r.n("session_down") == 1 end, 5), log())
    assert.is_true(h.run_until(function() return log():match("session t1/s1: closed by the operator") ~= nil end, 5))
    assert.equal(0, (ctl("dial t1 s1")))
    assert.is_true(h.run_until(function() return r.n("session_up") == 2 end, 5), log())

    assert.equal(0, (ctl("close tunnel t1")))
    assert.is_true(h.run_until(function() return r.n("tunnel_down") == 1 end, 5), log())
    -- a redial would come after 1 s: give it twice that to show it does not
    h.run_until(function() return r.n("tunnel_up") > 1 end, 2)
    assert.equal(1, r.n("tunnel_up"))
    assert.matches("tunnel t1: closed by the operator, not redialled", log())
    local code, out = ctl("dial t1")
    assert.equal(0, code)
    assert.equal("dialled: t1\n", out)
    assert.is_true(h.run_until(function() return r.n("session_up") == 3 end, 5), log())
    local err
    code, _, err = ctl("dial nope")
    assert.equal(1, code)
    assert.matches("no tunnel 'nope' in the config", err)
    ctx:close()
    l2tp.run(0.1)
    os.remove(conf)
  end)

  it("exits 1 naming a mistake in its config", function()
    local conf = h.write_script([[return { tunnel = { t1 = { peer = "127.0.0.1:1701", windowsize = 4 } } }]])
    local code, _, err = h.sh(h.l2tp_run .. " scripts/kl2tpd.lua " .. conf .. " --null")
    os.remove(conf)
    assert.equal(1, code)
    assert.matches("tunnel 't1': unknown key 'windowsize'", err)
  end)

  it("exits 1 on a config that is not the go-l2tp layout", function()
    local conf = h.write_script([[return { tunnels = {} }]])
    local code, _, err = h.sh(h.l2tp_run .. " scripts/kl2tpd.lua " .. conf .. " --null")
    os.remove(conf)
    assert.equal(1, code)
    assert.matches("unknown top%-level key 'tunnels' %(accepted: tunnel%)", err)
  end)
end)

describe("scripts/ql2tpd.lua", function()
  local function ctl(sock, args) return h.sh(h.build_dir .. "/bindings/l2tp-ctl -s " .. sock .. " " .. args) end
  local tmp = h.tmp_path

  it("brings up go-l2tp's ql2tpd.toml as it is: static tunnels, sessions with cookies", function()
    local conf = tmp(".toml")
    local p1, p2 = h.free_port(), h.free_port()
    h.write_file(conf, ([[
# go-l2tp ql2tpd.toml
[tunnel.t1]
local = "127.0.0.1:%d"
peer = "127.0.0.1:%d"
version = "l2tpv3"
encap = "udp"
tid = 412
ptid = 8192

[tunnel.t1.session.s1]
sid = 1
psid = 2
pseudowire = "eth"
cookie = [ 0x34, 0x04, 0xa9, 0xbe ]
peer_cookie = [ 0x80, 0x12, 0xff, 0x5b ]
interface_name = "l2tpeth-s1"
l2spec_type = "none"
]]):format(p1, p2))
    local sock = tmp(".sock")
    start(h.l2tp_run .. " --control " .. sock .. " scripts/ql2tpd.lua " .. conf .. " --null")
    assert.is_true(h.run_until(function() return log():match("session t1/s1 up") ~= nil end, 10), log())
    local code, out = ctl(sock, "--json show tunnel t1")
    assert.equal(0, code)
    assert.matches('"tid": 412', out)
    assert.matches('"ptid": 8192', out)
    assert.matches('"kind": "static"', out)
    code, out = ctl(sock, "show sessions")
    assert.equal(0, code)
    assert.matches("\nt1 +s1 +eth +up +1 +2 ", out)
    os.remove(conf)
  end)

  it("runs a quiescent tunnel against ours, adds a session on SIGHUP, and remakes the tunnel the peer lost", function()
    local ctx = l2tp.context{ log_level = "error" }
    local r = h.recorder(ctx)
    local p1, p2 = h.free_port(), h.free_port()
    local function peer()
      local t = assert(ctx:quiescent_tunnel("q", { ["local"] = "127.0.0.1:" .. p2, peer = "127.0.0.1:" .. p1,
        version = "l2tpv3", tid = 2, ptid = 1, hello_timeout = 200, retry_timeout = 100, max_retries = 2 }))
      t:session("a", { sid = 20, psid = 10, pseudowire = "eth" })
      return t
    end
    local t = peer()
    local conf = tmp(".toml")
    local base = ([[
[tunnel.q]
local = "127.0.0.1:%d"
peer = "127.0.0.1:%d"
version = "l2tpv3"
tid = 1
ptid = 2
hello_timeout = 200
retry_timeout = 100
max_retries = 2

[tunnel.q.session.a]
sid = 10
psid = 20
pseudowire = "eth"
]]):format(p1, p2)
    h.write_file(conf, base)
    local pid = start(h.l2tp_run .. " scripts/ql2tpd.lua " .. conf .. " --null")
    assert.is_true(h.run_until(function() return log():match("session q/a up") ~= nil end, 10), log())
    -- HELLOs flow, the two ends taking turns, and are answered: our end
    -- hears ql2tpd's HELLOs or its acks of ours, and stays up
    assert.is_true(h.run_until(function()
      local s = t:stats()
      return (s.rx_messages or 0) + (s.rx_zlbs or 0) >= 2 and (s.rx_messages or 0) + (s.tx_messages or 0) >= 2
    end, 10))
    assert.equal(0, r.n("tunnel_down"))

    h.write_file(conf, base .. "\n[tunnel.q.session.b]\nsid = 11\npsid = 21\npseudowire = \"eth\"\n")
    os.execute("kill -HUP " .. pid)
    assert.is_true(h.run_until(function() return log():match("session q/b up") ~= nil end, 10), log())
    assert.matches("reload: session q/b added", log())

    -- our end goes away: ql2tpd's HELLOs go unanswered, it takes the
    -- tunnel down and makes it again; when we come back, both are up
    t:close()
    assert.is_true(h.run_until(function() return log():match("tunnel q: making it again in 1 s") ~= nil end, 10),
      log())
    t = peer()
    assert.is_true(h.run_until(function() return count(DEFAULT_LOG, "tunnel q up") >= 2 end, 10), log())
    ctx:close()
    l2tp.run(0.1)
    os.remove(conf)
  end)

  it("exits 1 naming the line of a TOML mistake, or the key go-l2tp does not have", function()
    local conf = tmp(".toml")
    h.write_file(conf, "[tunnel.t1]\nlocal = \"127.0.0.1:5000\"\npeer = 127.0.0.1\n")
    local code, _, err = h.sh(h.l2tp_run .. " scripts/ql2tpd.lua " .. conf .. " --null")
    assert.equal(1, code)
    assert.equal(1, err:find("ql2tpd: " .. conf .. ": line 3: ", 1, true), err)
    h.write_file(conf, "[tunnel.t1]\nlocal = \"127.0.0.1:5000\"\npeer = \"127.0.0.1:5001\"\nversion = \"l2tpv3\"\n" ..
      "tid = 1\nptid = 2\nwindw_size = 4\n")
    code, _, err = h.sh(h.l2tp_run .. " scripts/ql2tpd.lua " .. conf .. " --null")
    os.remove(conf)
    assert.equal(1, code)
    assert.matches("tunnel 't1': unknown key 'windw_size'", err)
  end)
end)

describe("go-l2tp TOML for kl2tpd", function()
  it("dials what go-l2tp's kl2tpd.toml says", function()
    local lns = LNS.new()
    local conf = h.tmp_path(".toml")
    h.write_file(conf, ([[
[tunnel.t1]
peer = "%s"
version = "l2tpv2"
encap = "udp"
hello_timeout = 60000
window_size = 10
retry_timeout = 250
max_retries = 5
host_name = "lac.example"
framing_caps = [ "sync", "async" ]

[tunnel.t1.session.s1]
pseudowire = "ppp"
]]):format(lns:address()))
    local pid = start(h.l2tp_run .. " scripts/kl2tpd.lua " .. conf .. " --null")
    local up = h.run_until(function() return lns:count("ICCN") >= 1 end, 10)
    os.execute("kill -TERM " .. pid)
    h.run_until(function() return lns:count("StopCCN") >= 1 end, 3)
    lns:close()
    os.remove(conf)
    assert.is_true(up, log())
    local sccrq = lns.heard[1]
    assert.equal("SCCRQ", sccrq.type)
    local seen = {}
    for _, a in ipairs(sccrq.avps) do seen[a.name] = a.value end
    assert.equal("lac.example", seen.host_name)
    assert.equal(10, seen.receive_window_size)
  end)
end)

describe("examples/failover.lua", function()
  it("moves the calls to the backup when the primary goes down, and back when it returns", function()
    local primary, backup = LNS.new(), LNS.new()
    local pid = start("FAILOVER_PROBE_EVERY=1 " .. h.l2tp_run .. " examples/failover.lua " .. primary:address()
      .. " " .. backup:address() .. " --null")
    local on_primary = h.run_until(function() return primary:count("ICCN") >= 2 end, 5)
    -- the primary goes away
    primary:send("StopCCN", { { name = "assigned_tunnel_id", value = primary.tid },
      { name = "result_code", value = { result = 6 } } })
    primary.drop = true
    local on_backup = h.run_until(function() return backup:count("ICCN") >= 2 end, 5)
    -- and comes back: the next probe finds it, the calls go home, the backup is dropped
    primary.drop = false
    local home = h.run_until(function() return primary:count("ICCN") >= 4 and backup:count("StopCCN") >= 1 end, 8)
    os.execute("kill -TERM " .. pid)
    l2tp.run(0.2)
    primary:close()
    backup:close()
    assert.is_true(on_primary, log())
    assert.is_true(on_backup, log())
    assert.is_true(home, log())
  end)
end)

describe("scripts/lnsd.lua", function()
  it("admits listed LACs, gives each call a pool address, and takes it back when the call ends", function()
    local port = h.free_port()
    local conf = h.write_script(([[
return {
  listen = { ["local"] = "127.0.0.1:%d" },
  pool = { first = "10.99.0.10", last = "10.99.0.11", gateway = "10.99.0.1" },
  pppd = { "noauth" },
  lacs = { ["good-lac"] = true },
}]]):format(port))
    local pid = start(h.l2tp_run .. " -l debug scripts/lnsd.lua " .. conf .. " --null")
    assert.is_true(h.run_until(function() return log():match("lnsd listening on") ~= nil end, 10), log())
    local ctx = l2tp.context{ log_level = "error" }
    local downs = {}
    ctx:on("tunnel_down", function(e) downs[e.tunnel_name] = e end)
    ctx:on("session_down", function(e) downs[e.session_name] = e end)
    local bad = ctx:dynamic_tunnel("bad", { peer = "127.0.0.1:" .. port, host_name = "bad-lac" })
    local good = ctx:dynamic_tunnel("good", { peer = "127.0.0.1:" .. port, host_name = "good-lac" })
    local a, b = good:session("a", {}), good:session("b", {})
    assert.is_true(h.run_until(function() return a:is_up() and b:is_up() and bad:is_closed() end, 5), log())
    -- the pool has two addresses: a third call is refused
    local c = good:session("c", {})
    assert.is_true(h.run_until(function() return c:is_closed() end, 5))
    l2tp.run(0.05)
    assert.equal("address pool exhausted", downs.c.message)
    assert.equal(4, downs.bad.result_code)
    -- a call ends: its address is free again
    a:close()
    h.run_until(function() return downs.a end, 2)
    l2tp.run(0.2)
    local d = good:session("d", {})
    assert.is_true(h.run_until(function() return d:is_up() end, 5), log())
    ctx:close()
    l2tp.run(0.1)
    os.execute("kill -TERM " .. pid)
    os.execute("sleep 0.2")
    os.remove(conf)
    local out = log()
    assert.matches("call 1 on lnsd#%d+ gets 10%.99%.0%.10", out)
    assert.matches("call 2 on lnsd#%d+ gets 10%.99%.0%.11", out)
    assert.matches("gets 10%.99%.0%.10\n.*call %d+ on lnsd#%d+ gets 10%.99%.0%.10", out)
  end)
end)

describe("scripts/lnsd.lua reloading", function()
  it("on SIGHUP applies new LAC rules and a grown pool to new tunnels and calls, and refuses a broken config", function()
    local port = h.free_port()
    local conf = os.tmpname()
    local function write(lacs, last)
      h.write_file(conf, ([[return { listen = { ["local"] = "127.0.0.1:%d" }, lacs = { %s },
  pool = { first = "10.99.2.10", last = %q } }]]):format(port, lacs, last))
    end
    write('good = true', "10.99.2.10")
    local pid = start(h.l2tp_run .. " scripts/lnsd.lua " .. conf .. " --null")
    assert.is_true(h.run_until(function() return log():match("lnsd listening on") ~= nil end, 10), log())
    local ctx = l2tp.context{ log_level = "error" }
    local peer = "127.0.0.1:" .. port
    local good = ctx:dynamic_tunnel("good", { peer = peer, host_name = "good" })
    local a = good:session("a", {})
    local other = ctx:dynamic_tunnel("other", { peer = peer, host_name = "other" })
    assert.is_true(h.run_until(function() return a:is_up() and other:is_closed() end, 5), log())
    write('good = true, other = true', "10.99.2.11")
    os.execute("kill -HUP " .. pid)
    assert.is_true(h.run_until(function() return log():match("reload: pool 10%.99%.2%.10%-10%.99%.2%.11 %(1 free%)") ~= nil end,
      5), log())
    local other2 = ctx:dynamic_tunnel("other2", { peer = peer, host_name = "other" })
    local b = other2:session("b", {})
    assert.is_true(h.run_until(function() return b:is_up() end, 5), log())
    assert.matches("gets 10%.99%.2%.11", log())
    assert.is_true(a:is_up()) -- untouched
    h.write_file(conf,
      [[return { listen = { ["local"] = "127.0.0.1:1", windw = 1 }, pool = { first = "10.0.0.1", last = "10.0.0.2" } }]])
    os.execute("kill -HUP " .. pid)
    assert.is_true(h.run_until(function() return log():match("reload refused") ~= nil end, 5), log())
    assert.matches("listener 'lnsd': unknown key 'windw'", log())
    assert.is_true(a:is_up() and b:is_up())
    ctx:close()
    l2tp.run(0.1)
    os.remove(conf)
  end)
end)

describe("scripts/lnsd.lua with L2TPv3", function()
  it("gives an L2TPv3 PPP call a pool address and an Ethernet pseudowire none", function()
    local port = h.free_port()
    local conf = h.write_script(([[
return {
  listen = { ["local"] = "127.0.0.1:%d", version = { "l2tpv2", "l2tpv3" } },
  pool = { first = "10.99.1.10", last = "10.99.1.10" },
}]]):format(port))
    start(h.l2tp_run .. " scripts/lnsd.lua " .. conf .. " --null")
    assert.is_true(h.run_until(function() return log():match("lnsd listening on") ~= nil end, 10), log())
    local ctx = l2tp.context{ log_level = "error" }
    local t = ctx:dynamic_tunnel("t", { version = "l2tpv3", peer = "127.0.0.1:" .. port })
    local eth = t:session("eth", {})
    local ppp = t:session("ppp", { pseudowire = "ppp" })
    assert.is_true(h.run_until(function() return eth:is_up() and ppp:is_up() end, 5), log())
    ctx:close()
    l2tp.run(0.1)
    os.remove(conf)
    -- one address in the pool, and the PPP call has it
    local out = log()
    local n = 0
    for _ in out:gmatch("call %d+ on lnsd#%d+ gets 10%.99%.1%.10") do n = n + 1 end
    assert.equal(1, n, out)
  end)
end)

describe("scripts/pseudowired.lua", function()
  local LNS_LOG, LAC_LOG = "/tmp/l2tp-pw-lns.log", "/tmp/l2tp-pw-lac.log"
  local function both() return "--- lns:\n" .. log(LNS_LOG) .. "\n--- lac:\n" .. log(LAC_LOG) end

  it("two ends bring up their pseudowires and bring them back after either end is killed and restarted", function()
    local port = h.free_port()
    local common = [[secret = "s3cret", digest = "sha1", retry_timeout = 200, max_retries = 3,
  pseudowires = { vc1 = { interface_name = "pw-vc1" }, vc2 = { pseudowire = "eth_vlan", cookie_size = 4 } } }]]
    -- The LNS's HELLOs are slow, so a restarted LAC's calls always find
    -- the old tunnel still there and replace its calls; the LAC's are
    -- quick, so it finds a dead LNS soon.
    local lns_conf = h.write_script(("return { role = \"lns\", [\"local\"] = \"127.0.0.1:%d\", hello_timeout = 60000, ")
      :format(port) .. common)
    local lac_conf = h.write_script(("return { role = \"lac\", peer = \"127.0.0.1:%d\", hello_timeout = 300, ")
      :format(port) .. common)
    local run = h.l2tp_run .. " scripts/pseudowired.lua "
    local lns_pid = start(run .. lns_conf .. " --null", LNS_LOG)
    assert.is_true(h.run_until(function() return log(LNS_LOG):match("waiting on") ~= nil end, 10), both())
    local lac_pid = start(run .. lac_conf .. " --null", LAC_LOG)
    local function up(path, n) return function() return count(path, "pseudowire vc%d up") >= n end end
    assert.is_true(h.run_until(function() return up(LNS_LOG, 2)() and up(LAC_LOG, 2)() end, 10), both())
    assert.matches("pseudowire vc1 up", log(LNS_LOG))
    assert.matches("pseudowire vc2 up", log(LNS_LOG))

    -- the LAC dies without a word and comes back: its new calls replace
    -- the old tunnel's, which HELLO then finds dead
    os.execute("kill -KILL " .. lac_pid)
    lac_pid = start(run .. lac_conf .. " --null", LAC_LOG)
    assert.is_true(h.run_until(function() return up(LNS_LOG, 4)() and up(LAC_LOG, 2)() end, 15), both())
    assert.is_true(h.run_until(function() return count(LNS_LOG, "replaces the one on tunnel") >= 2 end, 5), both())

    -- the LNS dies and comes back: the LAC's HELLOs go unanswered, it
    -- redials until the new LNS answers, and both pseudowires are up again
    os.execute("kill -KILL " .. lns_pid)
    assert.is_true(h.run_until(function() return log(LAC_LOG):match("tunnel down: ") ~= nil end, 15), both())
    lns_pid = start(run .. lns_conf .. " --null", LNS_LOG)
    assert.is_true(h.run_until(function() return up(LNS_LOG, 2)() and up(LAC_LOG, 4)() end, 20), both())

    os.execute("kill -TERM " .. lac_pid .. " " .. lns_pid)
    os.remove(lns_conf)
    os.remove(lac_conf)
  end)

  it("on SIGHUP brings up pseudowires added at both ends and closes those removed, leaving the rest", function()
    local port = h.free_port()
    local lns_conf, lac_conf = os.tmpname(), os.tmpname()
    local function write(pws)
      for _, c in ipairs{ { lns_conf, ('role = "lns", ["local"] = "127.0.0.1:%d"'):format(port) },
        { lac_conf, ('role = "lac", peer = "127.0.0.1:%d"'):format(port) } } do
        h.write_file(c[1], "return { " .. c[2] .. ", pseudowires = { " .. pws .. " } }")
      end
    end
    write("vc1 = {}, vc2 = {}")
    local run = h.l2tp_run .. " scripts/pseudowired.lua "
    local lns_pid = start(run .. lns_conf .. " --null", LNS_LOG)
    assert.is_true(h.run_until(function() return log(LNS_LOG):match("waiting on") ~= nil end, 10), both())
    local lac_pid = start(run .. lac_conf .. " --null", LAC_LOG)
    assert.is_true(h.run_until(function() return count(LAC_LOG, "pseudowire vc%d up") == 2 end, 10), both())
    write("vc2 = {}, vc3 = {}")
    os.execute("kill -HUP " .. lns_pid .. " " .. lac_pid)
    assert.is_true(h.run_until(function()
      return count(LAC_LOG, "pseudowire vc3 up") == 1 and count(LNS_LOG, "pseudowire vc3 up") == 1
        and count(LAC_LOG, "pseudowire vc1 down") == 1
    end, 10), both())
    h.run_until(function() return false end, 1.5) -- past the LAC's 1 s re-placing of dropped calls
    assert.equal(1, count(LAC_LOG, "pseudowire vc1 up")) -- removed: not placed again
    assert.equal(1, count(LAC_LOG, "pseudowire vc2 up")) -- untouched
    assert.equal(0, count(LAC_LOG, "pseudowire vc2 down"))
    os.execute("kill -TERM " .. lac_pid .. " " .. lns_pid)
    os.remove(lns_conf)
    os.remove(lac_conf)
  end)

  it("takes only the pseudowires of its config, of the type configured", function()
    local port = h.free_port()
    local conf = h.write_script(([[
return { role = "lns", ["local"] = "127.0.0.1:%d", pseudowires = { vc1 = {} } }]]):format(port))
    start(h.l2tp_run .. " scripts/pseudowired.lua " .. conf .. " --null", LNS_LOG)
    assert.is_true(h.run_until(function() return log(LNS_LOG):match("waiting on") ~= nil end, 10), log(LNS_LOG))
    local ctx = l2tp.context{ log_level = "error" }
    local downs = {}
    ctx:on("session_down", function(e) downs[e.session_name] = e end)
    local t = ctx:dynamic_tunnel("t", { version = "l2tpv3", peer = "127.0.0.1:" .. port })
    local good = t:session("vc1", {})
    t:session("vc9", {})
    t:session("vlan", { remote_end_id = "vc1", pseudowire = "eth_vlan" })
    assert.is_true(h.run_until(function() return good:is_up() and downs.vc9 ~= nil and downs.vlan ~= nil end, 5), log(LNS_LOG))
    assert.equal("no pseudowire 'vc9' here", downs.vc9.message)
    assert.equal(14, downs.vlan.result_code)
    assert.equal("pseudowire 'vc1' is eth here, not eth_vlan", downs.vlan.message)
    ctx:close()
    l2tp.run(0.1)
    os.remove(conf)
  end)

  it("exits 1 naming a mistake in its config", function()
    for _, case in ipairs{
      { [[return { role = "server", pseudowires = { a = {} } }]], "role is server %(accepted: \"lac\", which dials" },
      { [[return { role = "lac", peer = "127.0.0.1:1701" }]], "no pseudowires" },
      { [[return { role = "lac", peer = "127.0.0.1:1701", version = "l2tpv2", pseudowires = { a = {} } }]],
        "version is l2tpv2: pseudowires are L2TPv3" },
      { [[return { role = "lac", peer = "127.0.0.1:1701", windw = 4, pseudowires = { a = {} } }]],
        "tunnel 'pseudowired': unknown key 'windw'" },
      { [[return { role = "lac", peer = "127.0.0.1:1701", pseudowires = { a = { cookie_size = 3 } } }]],
        "cookie_size 3 is not a cookie size" },
    } do
      local conf = h.write_script(case[1])
      local code, _, err = h.sh(h.l2tp_run .. " scripts/pseudowired.lua " .. conf .. " --null")
      os.remove(conf)
      assert.equal(1, code, err)
      assert.matches(case[2], err)
    end
  end)
end)
