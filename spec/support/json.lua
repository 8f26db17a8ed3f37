-- A small JSON reader for the specs (toml-test's expected .json files).
-- Objects become plain tables; arrays get M.array_mt so an empty array is
-- told from an empty object. Numbers are kept as their source text in a
-- {number = "..."} table: toml-test only puts strings in its leaves, and
-- keeping text avoids guessing a precision. Raises on malformed input.
local M = {}

M.array_mt = {}

local byte, sub, find, char = string.byte, string.sub, string.find, string.char
local floor = math.floor

local function fail(s, i, what)
  error(string.format("json: %s at byte %d near %q", what, i, sub(s, i, i + 10)), 0)
end

local function skip(s, i)
  return find(s, "[^ \t\r\n]", i) or #s + 1
end

local function utf8(cp)
  if cp < 0x80 then return char(cp) end
  if cp < 0x800 then return char(0xC0 + floor(cp / 64), 0x80 + cp % 64) end
  if cp < 0x10000 then
    return char(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
  end
  return char(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64,
    0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
end

local escapes = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }

local function read_string(s, i)
  local buf, j = {}, i + 1
  while true do
    local k = find(s, '["\\]', j)
    if not k then fail(s, i, "unterminated string") end
    buf[#buf + 1] = sub(s, j, k - 1)
    if byte(s, k) == 34 then return table.concat(buf), k + 1 end
    local e = sub(s, k + 1, k + 1)
    if e == "u" then
      local cp = tonumber(sub(s, k + 2, k + 5), 16)
      j = k + 6
      if not cp then fail(s, k, "bad \\u escape") end
      -- a UTF-16 surrogate pair stands for one code point
      if cp >= 0xD800 and cp <= 0xDBFF and sub(s, j, j + 1) == "\\u" then
        local lo = tonumber(sub(s, j + 2, j + 5), 16)
        if lo and lo >= 0xDC00 and lo <= 0xDFFF then
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (lo - 0xDC00)
          j = j + 6
        end
      end
      buf[#buf + 1] = utf8(cp)
    elseif escapes[e] then
      buf[#buf + 1] = escapes[e]
      j = k + 2
    else
      fail(s, k, "bad escape")
    end
  end
end

local read_value

local function read_array(s, i)
  local a = setmetatable({}, M.array_mt)
  i = skip(s, i + 1)
  if byte(s, i) == 93 then return a, i + 1 end
  while true do
    a[#a + 1], i = read_value(s, i)
    i = skip(s, i)
    local c = byte(s, i)
    if c == 93 then return a, i + 1 end
    if c ~= 44 then fail(s, i, "expected ',' or ']'") end
    i = skip(s, i + 1)
  end
end

local function read_object(s, i)
  local o = {}
  i = skip(s, i + 1)
  if byte(s, i) == 125 then return o, i + 1 end
  while true do
    if byte(s, i) ~= 34 then fail(s, i, "expected a key") end
    local k
    k, i = read_string(s, i)
    i = skip(s, i)
    if byte(s, i) ~= 58 then fail(s, i, "expected ':'") end
    o[k], i = read_value(s, skip(s, i + 1))
    i = skip(s, i)
    local c = byte(s, i)
    if c == 125 then return o, i + 1 end
    if c ~= 44 then fail(s, i, "expected ',' or '}'") end
    i = skip(s, i + 1)
  end
end

local literals = { ["true"] = true, ["false"] = false }

function read_value(s, i)
  local c = byte(s, i)
  if c == 34 then return read_string(s, i) end
  if c == 91 then return read_array(s, i) end
  if c == 123 then return read_object(s, i) end
  local _, e = find(s, "^-?%d+%.?%d*[eE]?[+-]?%d*", i)
  if e then return { number = sub(s, i, e) }, e + 1 end
  for word, v in pairs(literals) do
    if sub(s, i, i + #word - 1) == word then return v, i + #word end
  end
  fail(s, i, "unexpected character")
end

function M.decode(s)
  local v, i = read_value(s, skip(s, 1))
  if skip(s, i) <= #s then fail(s, i, "trailing text") end
  return v
end

return M
