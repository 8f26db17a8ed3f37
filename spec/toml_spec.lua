local h = require "spec.support.helpers"
local json = require "spec.support.json"
local ffi = require "ffi"
local toml = h.l2tp.toml

-- The toml-test suite lives beside the project, not in it.
local SUITE = os.getenv("TOML_TEST_DIR") or "../shared/toml-test"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- The cases tests/files-toml-1.0.0 lists, without ".toml"; nil if the
-- suite is not there.
local function suite_cases()
  local f = io.open(SUITE .. "/tests/files-toml-1.0.0")
  if not f then return nil end
  local valid, invalid = {}, {}
  for line in f:lines() do
    local case, dir = line:match("^((%a+)/.*)%.toml$")
    if dir == "valid" then valid[#valid + 1] = case end
    if dir == "invalid" then invalid[#invalid + 1] = case end
  end
  f:close()
  return valid, invalid
end

-- Comparing with toml-test's tagged JSON ------------------------------------

local dt_kinds = {
  datetime = "offset-datetime", ["datetime-local"] = "local-datetime",
  ["date-local"] = "local-date", ["time-local"] = "local-time",
}

-- toml-test writes fractions to its own precision ("56.600Z" for 56.6Z)
-- and either case or separator, so both sides go through this.
local function normalise_datetime(s)
  s = s:upper():gsub("^(%d%d%d%d%-%d%d%-%d%d) ", "%1T")
  s = s:gsub("%.(%d+)", function(frac)
    frac = frac:gsub("0+$", "")
    return frac == "" and "" or "." .. frac
  end)
  return (s:gsub("[+-]00:00$", "Z"))
end

local function float_of(text)
  local t = text:lower():gsub("^%+", "")
  if t == "nan" or t == "-nan" then return 0 / 0 end
  if t == "inf" then return math.huge end
  if t == "-inf" then return -math.huge end
  return assert(tonumber(t), "bad float in expected JSON: " .. text)
end

-- Equal as floats: nan matches nan, and the sign of zero counts.
local function same_float(a, b)
  if a ~= a then return b ~= b end
  return a == b and (a ~= 0 or 1 / a == 1 / b)
end

-- The decimal text of a decoded integer, or nil if v is not one.
local function int_text(v)
  if type(v) == "number" then
    if v ~= math.floor(v) or math.abs(v) > 2 ^ 53 then return nil end
    return string.format("%.0f", v)
  end
  if type(v) == "cdata" and ffi.istype("int64_t", v) then
    return (tostring(v):gsub("LL$", ""))
  end
end

local function show(v)
  if type(v) == "table" and not toml.is_datetime(v) then
    return getmetatable(v) == toml.array_mt and "an array" or "a table"
  end
  return type(v) .. " " .. tostring(v)
end

local function is_tagged(e)
  if type(e) ~= "table" or getmetatable(e) then return false end
  local n = 0
  for _ in pairs(e) do n = n + 1 end
  return n == 2 and type(e.type) == "string" and type(e.value) == "string"
end

-- Lua numbers carry no integer/float tag, so an integer is checked by its
-- exact value and a float by numeric equality.
local scalar_checks = {
  string = function(want, got) return got == want end,
  bool = function(want, got) return got == (want == "true") end,
  integer = function(want, got)
    want = want:gsub("^%+", ""):gsub("^%-0$", "0")
    return int_text(got) == want
  end,
  float = function(want, got)
    return type(got) == "number" and same_float(float_of(want), got)
  end,
}

local function diff_scalar(want, got, path)
  local kind = dt_kinds[want.type]
  local ok
  if kind then
    ok = toml.is_datetime(got) and got.kind == kind
      and normalise_datetime(tostring(got)) == normalise_datetime(want.value)
  else
    local check = assert(scalar_checks[want.type], "unknown type in expected JSON: " .. want.type)
    ok = check(want.value, got)
  end
  if not ok then
    return string.format("%s: expected %s %q, got %s", path, want.type, want.value, show(got))
  end
end

-- Where got differs from want (toml-test's tagged JSON), or nil.
local function diff(want, got, path)
  if getmetatable(want) == json.array_mt then
    if type(got) ~= "table" or getmetatable(got) ~= toml.array_mt then
      return path .. ": expected an array, got " .. show(got)
    end
    local n = 0
    for _ in pairs(got) do n = n + 1 end
    if n ~= #want then return string.format("%s: expected %d elements, got %d", path, #want, n) end
    for i = 1, #want do
      local d = diff(want[i], got[i], path .. "[" .. i .. "]")
      if d then return d end
    end
    return nil
  end
  if is_tagged(want) then return diff_scalar(want, got, path) end
  if type(got) ~= "table" or getmetatable(got) ~= nil then
    return path .. ": expected a table, got " .. show(got)
  end
  for k, v in pairs(want) do
    local d = diff(v, got[k], path .. "." .. k)
    if d then return d end
  end
  for k in pairs(got) do
    if want[k] == nil then return path .. ": unexpected key " .. k end
  end
end

describe("l2tp.toml against toml-test (TOML 1.0.0)", function()
  local valid, invalid = suite_cases()
  if not valid then
    it("runs the toml-test suite", function()
      pending("SKIPPED: toml-test not found at " .. SUITE
        .. " (no tests/files-toml-1.0.0); set TOML_TEST_DIR to run its cases")
    end)
    return
  end

  it("finds cases of both kinds in the suite's list", function()
    assert.is_true(#valid > 100, "only " .. #valid .. " valid cases listed")
    assert.is_true(#invalid > 100, "only " .. #invalid .. " invalid cases listed")
  end)

  for _, name in ipairs(valid) do
    it("decodes " .. name .. " to what its .json says", function()
      local ok, got, err = pcall(toml.decode, read(SUITE .. "/tests/" .. name .. ".toml"))
      assert(ok, "decode raised: " .. tostring(got))
      assert(got ~= nil, "decode failed: " .. tostring(err))
      local d = diff(json.decode(read(SUITE .. "/tests/" .. name .. ".json")), got, "$")
      assert(d == nil, d)
    end)
  end

  for _, name in ipairs(invalid) do
    it("rejects " .. name .. " with a line number", function()
      local ok, got, err = pcall(toml.decode, read(SUITE .. "/tests/" .. name .. ".toml"))
      assert(ok, "decode raised: " .. tostring(got))
      assert(got == nil, "decode accepted invalid TOML")
      assert.matches("^line %d+: ", err)
    end)
  end
end)

describe("l2tp.toml", function()
  it("names the line of the error", function()
    local v, err = toml.decode("a = 1\nb = 2\na = 3\n")
    assert.is_nil(v)
    assert.equal("line 3: duplicate key 'a'", err)
  end)

  it("counts CRLF line ends and lines inside multi-line strings", function()
    local _, err = toml.decode('x = 1\r\ns = """\r\none\r\ntwo\r\n"""\r\nt = "\\q"\r\n')
    assert.equal("line 6: invalid escape '\\q' in string", err)
  end)

  it("names a dotted key in full when it is a duplicate", function()
    local _, err = toml.decode("[t]\na.b = 1\na.b = 2\n")
    assert.equal("line 3: duplicate key 'a.b'", err)
  end)

  it("rejects a table defined twice on the line of the second header", function()
    local _, err = toml.decode("[a]\nx = 1\n\n[a]\n")
    assert.equal("line 4: table 'a' is already defined", err)
  end)

  it("decodes a go-l2tp style config", function()
    local cfg = assert(toml.decode([[
# a static L2TPv3 tunnel
[tunnel.t1]
local = "127.0.0.1:5000"
peer = "127.0.0.1:5001"
version = "l2tpv3"
encap = "udp"
tid = 412
ptid = 8192

[tunnel.t1.session.s1]
sid = 1
psid = 2
pseudowire = "eth"
cookie = [ 0x34, 0x04, 0xa9, 0xbe ]
]]))
    local t1 = cfg.tunnel.t1
    assert.equal("127.0.0.1:5000", t1["local"])
    assert.equal("127.0.0.1:5001", t1.peer)
    assert.equal("l2tpv3", t1.version)
    assert.equal("udp", t1.encap)
    assert.equal(412, t1.tid)
    assert.equal(8192, t1.ptid)
    local s1 = t1.session.s1
    assert.equal(1, s1.sid)
    assert.equal(2, s1.psid)
    assert.equal("eth", s1.pseudowire)
    assert.same({ 0x34, 4, 0xa9, 0xbe }, s1.cookie)
    assert.equal(4, s1.cookie[2])
    assert.equal(toml.array_mt, getmetatable(s1.cookie))
    assert.is_nil(getmetatable(t1))
  end)

  it("returns integers beyond 2^53 as int64 cdata, exactly", function()
    local v = assert(toml.decode("max = 9223372036854775807\nmin = -9223372036854775808\n"
      .. "big = 9007199254740993\nedge = 9007199254740992\nhex = 0x7fffffffffffffff\n"))
    assert.equal("cdata", type(v.max))
    assert.is_true(ffi.istype("int64_t", v.max))
    assert.is_true(v.max == 9223372036854775807LL)
    assert.is_true(v.min == -9223372036854775807LL - 1)
    assert.is_true(v.big == 9007199254740993LL)
    assert.is_true(v.hex == 9223372036854775807LL)
    -- 2^53 itself is exact as a double, so it stays a plain number
    assert.equal("number", type(v.edge))
    assert.equal(2 ^ 53, v.edge)
  end)

  it("rejects integers outside int64 instead of rounding them", function()
    local _, err = toml.decode("a = 1\nn = 9223372036854775808\n")
    assert.equal("line 2: integer out of range '9223372036854775808'", err)
    assert.is_nil(toml.decode("n = -9223372036854775809"))
    assert.is_nil(toml.decode("n = 0xffffffffffffffff"))
  end)

  it("gives datetimes their fields and RFC 3339 text", function()
    local v = assert(toml.decode([[
odt = 1979-05-27 07:32:00.999999-07:00
utc = 1979-05-27t07:32:00z
ldt = 1979-05-27T00:32:00
ld = 1979-05-27
lt = 07:32:00.5
]]))
    local odt = v.odt
    assert.is_true(toml.is_datetime(odt))
    assert.equal(toml.datetime_mt, getmetatable(odt))
    assert.equal("offset-datetime", odt.kind)
    assert.equal(1979, odt.year)
    assert.equal(5, odt.month)
    assert.equal(27, odt.day)
    assert.equal(7, odt.hour)
    assert.equal(32, odt.min)
    assert.equal(0, odt.sec)
    assert.equal("999999", odt.frac)
    assert.equal(-420, odt.offset)
    assert.equal("1979-05-27T07:32:00.999999-07:00", tostring(odt))
    assert.equal("1979-05-27T07:32:00Z", tostring(v.utc))
    assert.equal(0, v.utc.offset)
    assert.is_nil(v.utc.frac)
    assert.equal("local-datetime", v.ldt.kind)
    assert.is_nil(v.ldt.offset)
    assert.equal("1979-05-27T00:32:00", tostring(v.ldt))
    assert.equal("local-date", v.ld.kind)
    assert.equal("1979-05-27", tostring(v.ld))
    assert.equal("local-time", v.lt.kind)
    assert.equal("07:32:00.5", tostring(v.lt))
    assert.is_false(toml.is_datetime({}))
  end)

  it("validates dates against the calendar", function()
    assert.truthy(toml.decode("d = 2000-02-29"))
    assert.equal("line 1: invalid day 29 for month 02 in date", select(2, toml.decode("d = 1900-02-29")))
    assert.is_nil(toml.decode("d = 2021-04-31"))
    assert.truthy(toml.decode("t = 23:59:60"))  -- RFC 3339 leap second
  end)

  it("tells an empty array from an empty table by metatable", function()
    local v = assert(toml.decode("a = []\nt = {}\n[s]\n"))
    assert.equal(toml.array_mt, getmetatable(v.a))
    assert.is_nil(getmetatable(v.t))
    assert.is_nil(getmetatable(v.s))
    assert.is_nil(next(v.a))
  end)

  it("decodes special floats", function()
    local v = assert(toml.decode("a = inf\nb = -inf\nc = nan\nd = -0.0\ne = +1_000.5e-3\n"))
    assert.equal(math.huge, v.a)
    assert.equal(-math.huge, v.b)
    assert.is_true(v.c ~= v.c)
    assert.equal(-math.huge, 1 / v.d)
    assert.equal(1.0005, v.e)
  end)

  it("keeps inline tables closed", function()
    local _, err = toml.decode("a = { b = 1 }\n[a.c]\n")
    assert.equal("line 2: cannot add a table to inline table 'a'", err)
  end)

  it("raises only for a non-string argument", function()
    assert.has_error(function() toml.decode(nil) end,
      "bad argument #1 to 'decode' (string expected, got nil)")
  end)

  it("never raises on a truncated document", function()
    -- every prefix of a rich document ends mid-token somewhere
    local doc = 'a = "x\\u00e9"\nb = [1, 2.5, { c = 1979-05-27T07:32:00Z }]\n'
      .. "[[t.u]]\nd = '''\nlit'''\ne = \"\"\"\nml \\\n  x\"\"\" # c\n"
    for n = 0, #doc do
      local ok, v, err = pcall(toml.decode, doc:sub(1, n))
      assert(ok, "raised on prefix " .. n .. ": " .. tostring(v))
      assert(v ~= nil or err:match("^line %d+: "), "bad message for prefix " .. n .. ": " .. tostring(err))
    end
  end)

  it("sets no globals", function()
    local before = {}
    for k in pairs(_G) do before[k] = true end
    toml.decode('a = 1\n[b]\nc = "d"\nbad = \n')
    for k in pairs(_G) do assert(before[k], "new global " .. tostring(k)) end
  end)

  it("decodes a 1000-line config well under 50 ms", function()
    local lines = {}
    local t = 0
    while #lines < 1000 do
      t = t + 1
      lines[#lines + 1] = string.format('[tunnel.t%d]\nlocal = "127.0.0.1:%d"\npeer = "127.0.0.1:%d"',
        t, 5000 + t, 6000 + t)
      lines[#lines + 1] = string.format('version = "l2tpv3" # static\ntid = %d\nptid = %d\n', t, t + 100)
      for s = 1, 3 do
        lines[#lines + 1] = string.format(
          '[tunnel.t%d.session.s%d]\nsid = %d\npsid = %d\ncookie = [ 0x34, 0x04, 0xa9, 0xbe ]\n',
          t, s, s, s + 1)
      end
    end
    local text = table.concat(lines, "\n")
    local _, n = text:gsub("\n", "")
    assert.is_true(n >= 1000)
    local best = math.huge
    for _ = 1, 5 do
      local t0 = os.clock()
      assert(toml.decode(text))
      best = math.min(best, os.clock() - t0)
    end
    assert.is_true(best < 0.05, string.format("took %.1f ms", best * 1000))
  end)
end)
