-- l2tp.toml: a strict TOML 1.0.0 reader in plain Lua, for config files.
--
--   local cfg, err = l2tp.toml.decode(text)
--   if not cfg then error(err) end   -- err is "line N: what is wrong"
--
-- M.decode(text) returns the document as a Lua table, or nil and a message
-- naming the line of the first error ("line 3: duplicate key 'a'"). Bad
-- input never raises; a non-string argument does. Values map as follows:
--
--   string            Lua string (UTF-8; CRLF inside multi-line strings
--                     comes back as LF, so a file reads the same on any OS)
--   integer           Lua number when |n| <= 2^53, else an int64_t cdata
--                     (nothing is rounded); beyond int64 is an error
--   float             Lua number, including inf, -inf, nan and -0.0
--   boolean           Lua boolean
--   datetime          table with metatable M.datetime_mt: field kind is
--                     "offset-datetime", "local-datetime", "local-date" or
--                     "local-time"; year, month, day (dates) and hour,
--                     min, sec (times) are numbers; frac is the fractional
--                     second digits as written (absent if none); offset is
--                     minutes east of UTC (offset-datetime only).
--                     tostring(dt) gives RFC 3339 text with a 'T'
--                     separator, upper case, and "Z" for a zero offset
--                     (so -00:00 reads as Z). Dates are checked against
--                     the calendar; second 60 (a leap second) is allowed.
--   array             Lua sequence with metatable M.array_mt (so an empty
--                     array differs from an empty table; array_mt also
--                     carries __jsontype = "array" for l2tp's JSON encoder)
--   table             plain Lua table, no metatable
--
-- M.is_datetime(v) tells whether v is a decoded datetime. Arrays and
-- inline tables nest at most 200 deep, so hostile input cannot exhaust the
-- stack.
local l2tp = ... -- luacheck: ignore l2tp
local ffi = require "ffi"

local byte, sub, find, match = string.byte, string.sub, string.find, string.match
local format, rep, char = string.format, string.rep, string.char
local concat = table.concat
local floor, huge = math.floor, math.huge
local type, tonumber, getmetatable, setmetatable = type, tonumber, getmetatable, setmetatable
local pcall, error, tostring = pcall, error, tostring

local M = {}

local array_mt = { __jsontype = "array" }
local datetime_mt = {}
M.array_mt = array_mt
M.datetime_mt = datetime_mt

-- Parser state for the one decode in progress (decode never yields, so a
-- module-level state is safe and spares passing it to every function).
local src, len      -- the text and its length
local explicit      -- tables defined by a header (or closed dotted tables)
local frozen        -- inline tables: nothing may be added afterwards
local aot           -- arrays made by [[header]]: the only ones [[ ]] extends
local pending       -- tables touched by dotted keys in the current section
local depth         -- nesting of arrays and inline tables
local expr_pos      -- start of the expression being parsed

local MAX_DEPTH = 200

-- Errors -------------------------------------------------------------------

local function fail(pos, msg, ...)
  error({ pos = pos, msg = format(msg, ...) }, 0)
end

local function line_of(s, pos)
  local n, i = 1, 1
  while true do
    local j = find(s, "\n", i, true)
    if not j or j >= pos then return n end
    n, i = n + 1, j + 1
  end
end

-- The character at i, for messages.
local function describe(i)
  local c = byte(src, i)
  if c == nil then return "end of file" end
  if c == 10 or c == 13 then return "end of line" end
  return "'" .. match(src, "^[%z\1-\127\194-\244][\128-\191]*", i) .. "'"
end

local function show_key(keys, n)
  local parts = {}
  for k = 1, n or #keys do
    local key = keys[k]
    if find(key, "^[A-Za-z0-9_%-]+$") then
      parts[k] = key
    else
      parts[k] = '"' .. key:gsub('[%c"\\]', function(c)
        return format("\\u%04X", byte(c))
      end) .. '"'
    end
  end
  return "'" .. concat(parts, ".") .. "'"
end

local function type_name(v)
  local t = type(v)
  if t == "table" then
    local mt = getmetatable(v)
    if mt == array_mt then return "an array" end
    if mt == datetime_mt then return "a datetime" end
    return "a table"
  end
  if t == "cdata" or t == "number" then return "a number" end
  if t == "boolean" then return "a boolean" end
  return "a string"
end

-- Bytes ----------------------------------------------------------------------

local function is_cont(b) return b ~= nil and b >= 0x80 and b <= 0xBF end

-- Length of the well-formed UTF-8 sequence at i led by byte c (>= 0x80),
-- or nil: no overlong forms, surrogates or code points past U+10FFFF.
local function utf8_len(s, i, c)
  local a, b, d = byte(s, i + 1, i + 3)
  if c >= 0xC2 and c <= 0xDF then
    return is_cont(a) and 2 or nil
  end
  local lo, hi = 0x80, 0xBF
  if c >= 0xE0 and c <= 0xEF then
    if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F end
    if a and a >= lo and a <= hi and is_cont(b) then return 3 end
  elseif c >= 0xF0 and c <= 0xF4 then
    if c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
    if a and a >= lo and a <= hi and is_cont(b) and is_cont(d) then return 4 end
  end
  return nil
end

-- TOML allows no control character but tab anywhere, not even in comments
-- or strings, and CR only before LF; so one pass over the bytes settles
-- that and UTF-8 validity before parsing, and the parser may assume both.
local function check_bytes(s)
  local i = 1
  while true do
    i = find(s, "[%z\1-\8\11-\31\127-\255]", i)
    if not i then return end
    local c = byte(s, i)
    if c == 13 then
      if byte(s, i + 1) ~= 10 then fail(i, "carriage return not followed by line feed") end
      i = i + 2
    elseif c < 128 then
      fail(i, "control character U+%04X is not allowed", c)
    else
      local n = utf8_len(s, i, c)
      if not n then fail(i, "invalid UTF-8") end
      i = i + n
    end
  end
end

-- Whitespace, comments, line ends ------------------------------------------

local function skip_ws(i)
  return find(src, "[^ \t]", i) or len + 1
end

-- Skips whitespace, newlines and comments (inside arrays).
local function skip_blank(i)
  while true do
    i = find(src, "[^ \t\r\n]", i) or len + 1
    if byte(src, i) ~= 35 then return i end
    i = find(src, "\n", i, true) or len + 1
  end
end

-- After an expression: optional whitespace and comment, then a newline.
local function expect_eol(i, what)
  i = skip_ws(i)
  local c = byte(src, i)
  if c == 35 then
    i = find(src, "\n", i, true) or len + 1
    c = byte(src, i)
  end
  if c == nil then return i end
  if c == 10 then return i + 1 end
  if c == 13 then return i + 2 end
  fail(i, "expected end of line after %s, found %s", what, describe(i))
end

-- Strings ------------------------------------------------------------------

local simple_escapes = {
  [98] = "\b", [116] = "\t", [110] = "\n", [102] = "\f", [114] = "\r",
  [34] = '"', [92] = "\\",
}

local function utf8_encode(cp)
  if cp < 0x80 then return char(cp) end
  if cp < 0x800 then
    return char(0xC0 + floor(cp / 0x40), 0x80 + cp % 0x40)
  end
  if cp < 0x10000 then
    return char(0xE0 + floor(cp / 0x1000), 0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
  end
  return char(0xF0 + floor(cp / 0x40000), 0x80 + floor(cp / 0x1000) % 0x40,
    0x80 + floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

-- The escape whose backslash is at k: its text and the index after it.
local function escape(k)
  local c = byte(src, k + 1)
  local simple = simple_escapes[c]
  if simple then return simple, k + 2 end
  if c == 117 or c == 85 then -- u, U
    local n = c == 117 and 4 or 8
    local hex = match(src, "^" .. rep("%x", n), k + 2)
    if not hex then
      fail(k, "invalid unicode escape '\\%s' in string (needs %d hex digits)", char(c), n)
    end
    local cp = tonumber(hex, 16)
    if cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then
      fail(k, "invalid unicode escape '\\%s%s' in string (not a scalar value)", char(c), hex)
    end
    return utf8_encode(cp), k + 2 + n
  end
  if c == nil then fail(k, "unterminated string") end
  if c == 10 or c == 13 then fail(k, "invalid escape '\\' at end of line in string") end
  fail(k, "invalid escape '\\%s' in string", match(src, "^[%z\1-\127\194-\244][\128-\191]*", k + 1))
end

local function parse_basic(i)
  local buf, n, j = nil, 0, i + 1
  while true do
    local k = find(src, '["\\\r\n]', j)
    if not k then fail(i, "unterminated string") end
    local c = byte(src, k)
    if c == 34 then
      if not buf then return sub(src, j, k - 1), k + 1 end
      buf[n + 1] = sub(src, j, k - 1)
      return concat(buf, "", 1, n + 1), k + 1
    elseif c == 92 then
      buf = buf or {}
      buf[n + 1] = sub(src, j, k - 1)
      buf[n + 2], j = escape(k)
      n = n + 2
    else
      fail(k, "unterminated string (newline before the closing quote)")
    end
  end
end

local function parse_literal(i)
  local k = find(src, "['\r\n]", i + 1)
  if not k then fail(i, "unterminated string") end
  if byte(src, k) ~= 39 then fail(k, "unterminated string (newline before the closing quote)") end
  return sub(src, i + 1, k - 1), k + 1
end

-- A newline right after the opening delimiter is not part of the string.
local function skip_first_newline(j)
  local c = byte(src, j)
  if c == 10 then return j + 1 end
  if c == 13 then return j + 2 end
  return j
end

-- The run of delimiters q (34 or 39) at k in a multi-line string: up to two
-- of them may belong to the content just before the closing three.
-- Returns the content part and the index after, and whether it closed.
local function delimiter_run(k, q)
  local stop = find(src, q == 34 and '[^"]' or "[^']", k) or len + 1
  local run = stop - k
  if run < 3 then return sub(src, k, stop - 1), stop, false end
  if run > 5 then fail(k, "too many quotes in a row in multi-line string") end
  return sub(src, k, k + run - 4), stop, true
end

local function parse_ml_basic(i)
  local buf, n = {}, 0
  local j = skip_first_newline(i + 3)
  while true do
    local k = find(src, '["\\\r]', j)
    if not k then fail(i, "unterminated multi-line string") end
    n = n + 1
    buf[n] = sub(src, j, k - 1)
    local c = byte(src, k)
    if c == 13 then
      n = n + 1
      buf[n] = "\n"
      j = k + 2
    elseif c == 92 then
      local after = find(src, "[^ \t]", k + 1)
      local ac = after and byte(src, after)
      if ac == 10 or ac == 13 then
        -- a line-ending backslash eats all whitespace up to the next text
        j = find(src, "[^ \t\r\n]", after) or len + 1
      else
        n = n + 1
        buf[n], j = escape(k)
      end
    else
      local closed
      n = n + 1
      buf[n], j, closed = delimiter_run(k, 34)
      if closed then return concat(buf, "", 1, n), j end
    end
  end
end

local function parse_ml_literal(i)
  local buf, n = {}, 0
  local j = skip_first_newline(i + 3)
  while true do
    local k = find(src, "['\r]", j)
    if not k then fail(i, "unterminated multi-line string") end
    n = n + 1
    buf[n] = sub(src, j, k - 1)
    n = n + 1
    if byte(src, k) == 13 then
      buf[n] = "\n"
      j = k + 2
    else
      local closed
      buf[n], j, closed = delimiter_run(k, 39)
      if closed then return concat(buf, "", 1, n), j end
    end
  end
end

-- Keys ---------------------------------------------------------------------

local function parse_simple_key(i)
  local c = byte(src, i)
  if c == 34 or c == 39 then
    if byte(src, i + 1) == c and byte(src, i + 2) == c then
      fail(i, "a multi-line string cannot be a key")
    end
    if c == 34 then return parse_basic(i) end
    return parse_literal(i)
  end
  local e = select(2, find(src, "^[A-Za-z0-9_%-]+", i))
  if not e then fail(i, "expected a key, found %s", describe(i)) end
  return sub(src, i, e), e + 1
end

-- A dotted key: its parts, their count, and the index after it and any
-- whitespace that follows.
local function parse_key(i)
  local keys, n = {}, 0
  while true do
    n = n + 1
    keys[n], i = parse_simple_key(i)
    i = skip_ws(i)
    if byte(src, i) ~= 46 then return keys, n, i end
    i = skip_ws(i + 1)
  end
end

-- Numbers ------------------------------------------------------------------

-- Digits matching the anchored pattern all, underscores only between them.
local function digits_ok(s, all)
  return find(s, all) and find(s, "^%w") and find(s, "%w$") and not find(s, "__", 1, true)
end

local DECIMAL = "^[%d_]+$"

local INT64_MAX = 9223372036854775807ULL
local INT64_MIN_ABS = 9223372036854775808ULL
local EXACT = 2 ^ 53
-- Most digits in each base that always fit a double exactly.
local short_digits = { [2] = 53, [8] = 17, [10] = 15, [16] = 13 }

-- Integer from digits (no underscores) in base, negated if neg; nil if it
-- does not fit in int64.
local function int_value(d, base, neg)
  local n = #d
  if n <= short_digits[base] then
    local v = tonumber(d, base)
    return neg and 0 - v or v
  end
  local v, limit = 0ULL, neg and INT64_MIN_ABS or INT64_MAX
  for k = 1, n do
    local dv = tonumber(sub(d, k, k), base)
    if v > (limit - dv) / base then return nil end
    v = v * base + dv
  end
  if v <= EXACT then
    local x = tonumber(v)
    return neg and 0 - x or x
  end
  return ffi.cast("int64_t", neg and 0ULL - v or v)
end

local prefixed = {
  x = { 16, "^[%x_]+$", "hexadecimal" }, o = { 8, "^[0-7_]+$", "octal" },
  b = { 2, "^[01_]+$", "binary" },
}

-- The value of a number token, or nil and why not.
local function number(tok)
  local sign, body = match(tok, "^([+-]?)(.*)$")
  if body == "inf" then return sign == "-" and -huge or huge end
  if body == "nan" then return 0 / 0 end
  local p = match(body, "^0([xob])")
  if p then
    local base = prefixed[p]
    local digits = sub(body, 3)
    if sign ~= "" then return nil, "sign not allowed on " .. base[3] .. " integer" end
    if not digits_ok(digits, base[2]) then return nil, "invalid number" end
    local v = int_value(digits:gsub("_", ""), base[1], false)
    if not v then return nil, "integer out of range" end
    return v
  end
  local int, rest = match(body, "^([%d_]+)(.*)$")
  if not int or not digits_ok(int, DECIMAL) then return nil, "invalid number" end
  if find(int, "^0[%d_]") then return nil, "leading zero in number" end
  if rest == "" then
    local v = int_value(int:gsub("_", ""), 10, sign == "-")
    if not v then return nil, "integer out of range" end
    return v
  end
  local frac, exp = match(rest, "^%.([%d_]+)(.*)$")
  if frac then
    if not digits_ok(frac, DECIMAL) then return nil, "invalid number" end
    rest = exp
  end
  if rest ~= "" then
    exp = match(rest, "^[eE][+-]?([%d_]+)$")
    if not exp or not digits_ok(exp, DECIMAL) then return nil, "invalid number" end
  end
  return tonumber((tok:gsub("_", "")))
end

local function parse_number(i)
  local e = select(2, find(src, "^[0-9A-Za-z_%.%+%-]+", i))
  if not e then fail(i, "expected a value, found %s", describe(i)) end
  local tok = sub(src, i, e)
  if byte(src, e + 1) == 58 and find(tok, "^%d+$") then
    fail(i, "invalid time (expected HH:MM:SS)")
  end
  if find(tok, "^%a") and tok ~= "inf" and tok ~= "nan" then
    fail(i, "invalid value '%s' (strings need quotes; booleans are true or false)", tok)
  end
  local v, why = number(tok)
  if v == nil then fail(i, "%s '%s'", why, tok) end
  return v, e + 1
end

-- Datetimes ----------------------------------------------------------------

local function is_leap(y)
  return y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
end

local month_days = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function check_date(i, y, m, d)
  if m < 1 or m > 12 then fail(i, "invalid month %02d in date", m) end
  local last = (m == 2 and is_leap(y)) and 29 or month_days[m]
  if d < 1 or d > last then fail(i, "invalid day %02d for month %02d in date", d, m) end
end

-- The time at j into dt; returns the index after it.
local function parse_time(i, j, dt)
  local _, e, h, mi, s = find(src, "^(%d%d):(%d%d):(%d%d)", j)
  if not e then fail(i, "invalid time (expected HH:MM:SS)") end
  h, mi, s = tonumber(h), tonumber(mi), tonumber(s)
  if h > 23 then fail(i, "invalid hour %02d in time", h) end
  if mi > 59 then fail(i, "invalid minute %02d in time", mi) end
  if s > 60 then fail(i, "invalid second %02d in time", s) end
  dt.hour, dt.min, dt.sec = h, mi, s
  j = e + 1
  if byte(src, j) == 46 then
    local fe = select(2, find(src, "^%d+", j + 1))
    if not fe then fail(i, "invalid time (a '.' must be followed by digits)") end
    dt.frac = sub(src, j + 1, fe)
    j = fe + 1
  end
  return j
end

-- The offset at j of an offset-datetime into dt; returns the index after.
local function parse_offset(i, j, dt)
  local c = byte(src, j)
  if c == 90 or c == 122 then -- Z, z
    dt.offset = 0
    return j + 1
  end
  local _, e, sign, h, mi = find(src, "^([+-])(%d%d):(%d%d)", j)
  if not e then fail(i, "invalid time offset (expected Z or +HH:MM)") end
  h, mi = tonumber(h), tonumber(mi)
  if h > 23 or mi > 59 then fail(i, "invalid time offset %s%02d:%02d", sign, h, mi) end
  dt.offset = (sign == "-" and -1 or 1) * (h * 60 + mi)
  return e + 1
end

-- A datetime at i; has_date tells whether it starts with a date.
local function parse_datetime(i, has_date)
  local dt = setmetatable({}, datetime_mt)
  local j = i
  if has_date then
    local _, e, y, mo, d = find(src, "^(%d%d%d%d)%-(%d%d)%-(%d%d)", i)
    if not e then fail(i, "invalid date (expected YYYY-MM-DD)") end
    y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
    check_date(i, y, mo, d)
    dt.year, dt.month, dt.day = y, mo, d
    j = e + 1
    local c = byte(src, j)
    if c == 84 or c == 116 or (c == 32 and find(src, "^%d%d:", j + 1)) then
      j = parse_time(i, j + 1, dt)
      local oc = byte(src, j)
      if oc == 90 or oc == 122 or oc == 43 or oc == 45 then
        j = parse_offset(i, j, dt)
        dt.kind = "offset-datetime"
      else
        dt.kind = "local-datetime"
      end
    else
      dt.kind = "local-date"
    end
  else
    j = parse_time(i, i, dt)
    dt.kind = "local-time"
  end
  if find(src, "^[%w_%.:%+%-]", j) then
    fail(i, "invalid date or time '%s'", sub(src, i, j - 1) .. match(src, "^[%w_%.:%+%-]*", j))
  end
  return dt, j
end

local function dt_tostring(dt)
  local kind = dt.kind
  local date = kind ~= "local-time"
    and format("%04d-%02d-%02d", dt.year, dt.month, dt.day)
  if kind == "local-date" then return date end
  local time = format("%02d:%02d:%02d", dt.hour, dt.min, dt.sec)
  if dt.frac then time = time .. "." .. dt.frac end
  if kind == "local-time" then return time end
  local s = date .. "T" .. time
  if kind == "local-datetime" then return s end
  local off = dt.offset
  if off == 0 then return s .. "Z" end
  local sign = off < 0 and "-" or "+"
  if off < 0 then off = -off end
  return s .. format("%s%02d:%02d", sign, floor(off / 60), off % 60)
end

datetime_mt.__tostring = dt_tostring

function M.is_datetime(v)
  return type(v) == "table" and getmetatable(v) == datetime_mt
end

-- Values -------------------------------------------------------------------

local parse_value

local function enter(i)
  depth = depth + 1
  if depth > MAX_DEPTH then fail(i, "arrays and inline tables nested too deeply") end
end

local function parse_array(i)
  enter(i)
  local a, n = setmetatable({}, array_mt), 0
  i = skip_blank(i + 1)
  while byte(src, i) ~= 93 do
    if byte(src, i) == nil then fail(i, "unterminated array") end
    n = n + 1
    a[n], i = parse_value(i)
    i = skip_blank(i)
    local c = byte(src, i)
    if c == 44 then
      i = skip_blank(i + 1)
    elseif c ~= 93 then
      fail(i, "expected ',' or ']' after an array element, found %s", describe(i))
    end
  end
  depth = depth - 1
  return a, i + 1
end

local parse_keyval

local function parse_inline_table(i)
  enter(i)
  local t = {}
  i = skip_ws(i + 1)
  if byte(src, i) ~= 125 then
    while true do
      i = skip_ws(parse_keyval(t, i, true))
      local c = byte(src, i)
      if c == 125 then break end
      if c ~= 44 then
        fail(i, "expected ',' or '}' in inline table, found %s", describe(i))
      end
      i = skip_ws(i + 1)
      if byte(src, i) == 125 then fail(i, "trailing comma in inline table") end
    end
  end
  frozen[t] = true
  depth = depth - 1
  return t, i + 1
end

function parse_value(i)
  local c = byte(src, i)
  if c == 34 then
    if byte(src, i + 1) == 34 and byte(src, i + 2) == 34 then return parse_ml_basic(i) end
    return parse_basic(i)
  elseif c == 39 then
    if byte(src, i + 1) == 39 and byte(src, i + 2) == 39 then return parse_ml_literal(i) end
    return parse_literal(i)
  elseif c == 91 then
    return parse_array(i)
  elseif c == 123 then
    return parse_inline_table(i)
  elseif c == 116 and sub(src, i, i + 3) == "true" then
    return true, i + 4
  elseif c == 102 and sub(src, i, i + 4) == "false" then
    return false, i + 5
  end
  if find(src, "^%d%d%d%d%-", i) then return parse_datetime(i, true) end
  if find(src, "^%d%d:", i) then return parse_datetime(i, false) end
  return parse_number(i)
end

-- Tables -------------------------------------------------------------------

-- Follows dotted key part k (of keys) from t in a key/value pair, making
-- the table if need be. Outside inline tables, tables so reached are
-- closed to headers and dotted keys once the section ends.
local function descend_dotted(t, keys, k, pos, inline)
  local key = keys[k]
  local v = t[key]
  if v == nil then
    v = {}
    t[key] = v
  elseif type(v) ~= "table" or getmetatable(v) ~= nil then
    fail(pos, "cannot use dotted key %s: %s is %s", show_key(keys), show_key(keys, k), type_name(v))
  elseif frozen[v] then
    fail(pos, "cannot add keys to inline table %s", show_key(keys, k))
  elseif explicit[v] then
    fail(pos, "cannot add to table %s with dotted keys: it is defined elsewhere", show_key(keys, k))
  end
  if not inline then pending[#pending + 1] = v end
  return v
end

function parse_keyval(t, i, inline)
  local start = i
  local keys, n
  keys, n, i = parse_key(i)
  if byte(src, i) ~= 61 then fail(i, "expected '=' after key, found %s", describe(i)) end
  i = skip_ws(i + 1)
  for k = 1, n - 1 do t = descend_dotted(t, keys, k, start, inline) end
  local last = keys[n]
  if t[last] ~= nil then fail(start, "duplicate key %s", show_key(keys)) end
  t[last], i = parse_value(i)
  return i
end

-- Follows key part k of a header from t: tables and the last element of
-- arrays of tables may be passed through.
local function descend_header(t, keys, k, pos)
  local key = keys[k]
  local v = t[key]
  if v == nil then
    v = {}
    t[key] = v
    return v
  end
  if type(v) == "table" then
    local mt = getmetatable(v)
    if mt == nil and not frozen[v] then return v end
    if mt == array_mt and aot[v] then return v[#v] end
    if frozen[v] then fail(pos, "cannot add a table to inline table %s", show_key(keys, k)) end
  end
  fail(pos, "cannot define table %s: %s is %s", show_key(keys), show_key(keys, k), type_name(v))
end

local function close_section()
  for k = 1, #pending do
    explicit[pending[k]] = true
    pending[k] = nil
  end
end

-- A [table] or [[array of tables]] header at i: the table it opens and
-- the index after it.
local function parse_header(root, i)
  local is_array = byte(src, i + 1) == 91
  local keys, n
  keys, n, i = parse_key(skip_ws(i + (is_array and 2 or 1)))
  if is_array then
    if sub(src, i, i + 1) ~= "]]" then fail(i, "expected ']]' after table name, found %s", describe(i)) end
    i = i + 2
  else
    if byte(src, i) ~= 93 then fail(i, "expected ']' after table name, found %s", describe(i)) end
    i = i + 1
  end
  local t = root
  for k = 1, n - 1 do t = descend_header(t, keys, k, expr_pos) end
  local last = keys[n]
  local v = t[last]
  if is_array then
    if v == nil then
      v = setmetatable({}, array_mt)
      aot[v] = true
      t[last] = v
    elseif not aot[v] then
      fail(expr_pos, "cannot append to %s: it is %s, not an array of tables", show_key(keys), type_name(v))
    end
    local e = {}
    explicit[e] = true
    v[#v + 1] = e
    return e, i
  end
  if v == nil then
    v = {}
    t[last] = v
  elseif type(v) ~= "table" or getmetatable(v) ~= nil then
    fail(expr_pos, "cannot define table %s: it is %s", show_key(keys), type_name(v))
  elseif explicit[v] or frozen[v] then
    fail(expr_pos, "table %s is already defined", show_key(keys))
  end
  explicit[v] = true
  return v, i
end

local function parse_document()
  check_bytes(src)
  local root = {}
  local cur = root
  local i = sub(src, 1, 3) == "\239\187\191" and 4 or 1
  while true do
    i = skip_ws(i)
    expr_pos = i
    local c = byte(src, i)
    if c == nil then return root end
    if c == 91 then
      close_section()
      cur, i = parse_header(root, i)
      i = expect_eol(i, "table header")
    elseif c == 10 or c == 13 or c == 35 then
      i = expect_eol(i, "comment")
    else
      i = expect_eol(parse_keyval(cur, i, false), "value")
    end
  end
end

function M.decode(text)
  if type(text) ~= "string" then
    error("bad argument #1 to 'decode' (string expected, got " .. type(text) .. ")", 2)
  end
  src, len = text, #text
  explicit, frozen, aot, pending, depth, expr_pos = {}, {}, {}, {}, 0, 1
  local ok, res = pcall(parse_document)
  local at = expr_pos
  src, explicit, frozen, aot, pending = nil, nil, nil, nil, nil
  if ok then return res end
  if type(res) == "table" then
    return nil, format("line %d: %s", line_of(text, res.pos), res.msg)
  end
  return nil, format("line %d: internal error: %s", line_of(text, at), tostring(res))
end

return M
