-- scripts/kl2tpd.lua and examples/failover.lua, each run by l2tp-run on the
-- null data plane against scripted LNSs in this process.
local h = require "spec.support.helpers"
local LNS = require "spec.support.lns"
local l2tp = h.l2tp

local function start(cmd)
  local p = io.popen(cmd .. " >/tmp/l2tp-daemon-spec.log 2>&1 & echo $!")
  local pid = p:read("*l")
  p:close()
  return pid
end

local function log() local f = io.open("/tmp/l2tp-daemon-spec.log"); local s = f and f:read("*a") or ""; if f then f:close() end; return s end

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
