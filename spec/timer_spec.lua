local h = require "spec.support.helpers"
local l2tp = h.l2tp

describe("timers", function()
  it("l2tp.timer fires once, after its delay, with the timer object", function()
    local t0, fired, arg = l2tp.now(), 0, nil
    local tm = l2tp.timer(0.05, function(x) fired = fired + 1; arg = x end)
    assert.is_true(tm:pending())
    assert.is_true(l2tp.run(2))
    assert.equal(1, fired)
    assert.equal(tm, arg)
    assert.is_true(l2tp.now() - t0 >= 0.045)
    assert.is_false(tm:pending())
  end)

  it("l2tp.every repeats until cancelled", function()
    local n = 0
    l2tp.every(0.01, function(t) n = n + 1; if n == 3 then t:cancel() end end)
    assert.is_true(l2tp.run(2))
    assert.equal(3, n)
  end)

  it("cancel stops a pending timer and reports whether it was pending", function()
    local fired = false
    local tm = l2tp.timer(0.01, function() fired = true end)
    assert.is_true(tm:cancel())
    assert.is_false(tm:cancel())
    assert.is_true(l2tp.run(1))
    assert.is_false(fired)
  end)

  it("a pending timer keeps running even when the script drops it", function()
    local fired = false
    l2tp.timer(0.01, function() fired = true end)
    collectgarbage(); collectgarbage()
    l2tp.run(1)
    assert.is_true(fired)
  end)

  it("a timer that has fired or was cancelled is collected with its callback", function()
    local weak = setmetatable({}, { __mode = "k" })
    do
      local once = l2tp.timer(0.01, function() end)
      local cancelled = l2tp.timer(5, function() end)
      cancelled:cancel()
      weak[once], weak[cancelled] = true, true
    end
    assert.is_true(l2tp.run(1))
    collectgarbage(); collectgarbage()
    assert.is_nil(next(weak))
  end)

  it("l2tp.run returns nil, 'timeout' when its limit passes first", function()
    local tm = l2tp.timer(10, function() end)
    local r, e = l2tp.run(0.05)
    assert.is_nil(r)
    assert.equal("timeout", e)
    tm:cancel()
  end)

  it("l2tp.stop ends the loop from a callback", function()
    local late = false
    l2tp.timer(0.01, function() l2tp.stop() end)
    local tm = l2tp.timer(5, function() late = true end)
    assert.is_true(l2tp.run(2))
    assert.is_false(late)
    tm:cancel()
  end)

  it("a callback that raises does not stop the loop", function()
    local after = false
    l2tp.timer(0.01, function() error("boom") end)
    l2tp.timer(0.02, function() after = true end)
    assert.is_true(l2tp.run(2))
    assert.is_true(after)
  end)

  it("rejects bad arguments", function()
    assert.equal("l2tp.timer(seconds, fn): seconds must be a number, got string", h.raises(l2tp.timer, "1", print))
    assert.equal("l2tp.timer(seconds, fn): seconds -1 is out of range (accepted: 0 or more)",
      h.raises(l2tp.timer, -1, print))
    assert.equal("l2tp.every(seconds, fn): seconds 0 is out of range (accepted: greater than 0)",
      h.raises(l2tp.every, 0, print))
    assert.equal("l2tp.timer(seconds, fn): fn must be a function, got no value", h.raises(l2tp.timer, 1))
  end)
end)

describe("l2tp.udp", function()
  it("a socket with a handler keeps receiving when the script drops it, and goes once the handler is removed",
    function()
    local got, address = {}, nil
    local weak = setmetatable({}, { __mode = "k" })
    do
      local rx = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
      rx:on_receive(function(data, from, sock)
        got[#got + 1] = data
        sock:on_receive(nil)
      end)
      address = rx:local_address()
      weak[rx] = true
    end
    collectgarbage(); collectgarbage()
    local tx = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
    assert(tx:send("hello", address))
    assert.is_true(h.run_until(function() return #got == 1 end, 5))
    assert.equal("hello", got[1])
    collectgarbage(); collectgarbage()
    assert.is_nil(next(weak))
    tx:close()
  end)
end)

describe("l2tp.log", function()
  it("checks the level (its output is pinned in l2tp_run_spec)", function()
    assert.equal("l2tp.log: level 'loud' is not valid (accepted: error, warn, info, debug, trace)",
      h.raises(l2tp.log, "loud", "x"))
  end)
  it("l2tp.log_level reads and sets the level", function()
    local old = l2tp.log_level()
    assert.equal("error", l2tp.log_level("error"))
    assert.equal("error", l2tp.log_level())
    l2tp.log_level(old)
  end)
end)
