-- scripts/kl2tpd.lua and examples/failover.lua, each run by l2tp-run on the
-- null data plane against scripted LNSs in this process.
local h = require "spec.support.helpers"
local LNS = require "spec.support.lns"
local l2tp = h.l2tp

local function log() local f = io.open("/tmp/l2tp-daemon-spec.log"); local s = f and f:read("*a") or ""; if f then f:close() end; return s end

-- Starts a daemon whose log goes to /tmp/l2tp-daemon-spec.log; it is
-- stopped when the spec ends, whether it passes or not.
local function start(cmd)
  os.remove("/tmp/l2tp-daemon-spec.log")
  local p = io.popen(cmd .. " >/tmp/l2tp-daemon-spec.log 2>&1 & echo $!")
  local pid = p:read("*l")
  p:close()
  finally(function() os.execute("kill -TERM " .. pid .. " 2>/dev/null") end)
  return pid
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
