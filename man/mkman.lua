-- Makes the man pages from README.md, their one source, so they cannot
-- drift from it: each page is a README section (or rows of a table)
-- turned from the Markdown the README uses into man(7) roff.
--
--   luajit man/mkman.lua README.md OUTDIR VERSION
local readme, outdir, version = ...
assert(readme and outdir and version, "usage: mkman.lua README.md OUTDIR VERSION")

-- Each page: its sections, a README heading each (the section runs to the
-- next heading of its level or above), or the rows of the Daemons table
-- whose first cell matches.
local DAEMON_SEE_ALSO = "l2tp-run(1), l2tp-ctl(1), l2tp(7)"
local PAGES = {
  { name = "l2tp-run", section = 1, what = "run a Lua script with the l2tp module in one event loop",
    synopsis = "l2tp-run [options] SCRIPT [ARGS...]",
    from = { "## l2tp-run" }, see_also = "l2tp-ctl(1), l2tp(7), kl2tpd(8), ql2tpd(8), lnsd(8), kpppoed(8)" },
  { name = "l2tp-ctl", section = 1, what = "see into and steer a running l2tp-run process",
    synopsis = "l2tp-ctl [-s PATH] [--json] COMMAND [ARGS...]",
    from = { "## The control socket and l2tp-ctl" }, see_also = "l2tp-run(1), l2tp(7)" },
  { name = "kl2tpd", section = 8, what = "L2TPv2 LAC daemon: the tunnels and calls of a go-l2tp kl2tpd config",
    synopsis = "kl2tpd [l2tp-run options] CONFIG [--null]",
    rows = { "`scripts/kl2tpd.lua`", "go-l2tp TOML", "SIGHUP" }, from = { "### Installed commands" },
    see_also = DAEMON_SEE_ALSO },
  { name = "ql2tpd", section = 8, what = "static and quiescent L2TPv3 tunnels from a go-l2tp ql2tpd config",
    synopsis = "ql2tpd [l2tp-run options] CONFIG [--null]",
    rows = { "`scripts/ql2tpd.lua`", "go-l2tp TOML", "SIGHUP" }, from = { "### Installed commands" },
    see_also = DAEMON_SEE_ALSO },
  { name = "lnsd", section = 8, what = "L2TP network server with an address pool and pppd",
    synopsis = "lnsd [l2tp-run options] CONFIG [--null]",
    rows = { "`scripts/lnsd.lua`", "SIGHUP" }, from = { "## LNS mode", "### Installed commands" },
    see_also = DAEMON_SEE_ALSO },
  { name = "kpppoed", section = 8, what = "PPPoE access concentrator that carries subscribers to LNSs over L2TP",
    synopsis = "kpppoed [l2tp-run options] CONFIG [--null]",
    rows = { "`scripts/kpppoed.lua`", "SIGHUP" }, from = { "## PPPoE access concentrator", "### Installed commands" },
    see_also = DAEMON_SEE_ALSO },
  { name = "l2tp", section = 7, what = "the Lua API of the L2TP runtime",
    from = { "## Writing a script", "## Lua API reference" }, see_also = "l2tp-run(1), l2tp-ctl(1)" },
}

local f = assert(io.open(readme))
local lines = {}
for l in f:lines() do lines[#lines + 1] = l end
f:close()

local function level(l) local h = l:match("^(#+) ") return h and #h end

local function section(heading)
  for i, l in ipairs(lines) do
    if l == heading then
      local lv, out = level(l), {}
      for j = i + 1, #lines do
        local lj = level(lines[j])
        if lj and lj <= lv then break end
        out[#out + 1] = lines[j]
      end
      return out
    end
  end
  error("README has no heading '" .. heading .. "'")
end

local function cells(l)
  local out = {}
  -- "\|" is a pipe inside a cell
  l = l:gsub("\\|", "\1")
  for c in l:gmatch("|([^|]*)") do out[#out + 1] = (c:gsub("\1", "|"):match("^%s*(.-)%s*$")) end
  if out[#out] == "" then out[#out] = nil end
  return out
end

local function daemon_rows(keys)
  local out = {}
  for _, key in ipairs(keys) do
    local found
    for _, l in ipairs(section("## Daemons")) do
      local c = cells(l)
      if c[1] == key then found = c[2] end
    end
    out[#out + 1] = assert(found, "no Daemons row " .. key)
    out[#out + 1] = ""
  end
  return out
end

-- Inline Markdown to roff: escapes first, then `code` and **bold**.
local function inline(s)
  s = s:gsub("\\", "\\e")
  s = s:gsub("%[([^%]]+)%]%(([^)]+)%)", "%1 (%2)")
  s = s:gsub("`([^`]*)`", function(c) return "\\fB" .. c .. "\\fR" end)
  s = s:gsub("%*%*(.-)%*%*", "\\fB%1\\fR")
  return s
end

-- A text line must not start with a roff control character.
local function text(s)
  s = inline(s)
  if s:match("^[.']") then s = "\\&" .. s end
  return s
end

local function render(md, out)
  local i, para = 1, false
  local function gap() if para then out[#out + 1] = ".PP" para = false end end
  while i <= #md do
    local l = md[i]
    if l:match("^```") then
      out[#out + 1] = ".PP"
      out[#out + 1] = ".nf"
      out[#out + 1] = ".RS 4"
      i = i + 1
      while i <= #md and not md[i]:match("^```") do
        local c = md[i]:gsub("\\", "\\e")
        if c:match("^[.']") then c = "\\&" .. c end
        out[#out + 1] = c
        i = i + 1
      end
      out[#out + 1] = ".RE"
      out[#out + 1] = ".fi"
      para = true
    elseif level(l) then
      out[#out + 1] = ".SS " .. inline(l:gsub("^#+ ", ""))
      para = false
    elseif l:match("^|") then
      local head = true
      while i <= #md and md[i]:match("^|") do
        local c = cells(md[i])
        if not md[i]:match("^|%s*%-%-%-") then
          if not head then
            out[#out + 1] = ".TP"
            out[#out + 1] = text(c[1])
            local rest = {}
            for k = 2, #c do if c[k] ~= "" then rest[#rest + 1] = text(c[k]) end end
            out[#out + 1] = table.concat(rest, " \\(em ")
          end
          head = false
        end
        i = i + 1
      end
      i = i - 1
      para = true
    elseif l:match("^%s*[-*] ") then
      local indent = #l:match("^(%s*)")
      out[#out + 1] = indent > 0 and ".RS 4" or nil
      out[#out + 1] = ".IP \\(bu 2"
      -- the item with its continuation lines: inline code may span them
      local item = { (l:gsub("^%s*[-*] ", "")) }
      while i < #md and md[i + 1]:match("^%s+%S") and not md[i + 1]:match("^%s*[-*] ") do
        i = i + 1
        item[#item + 1] = md[i]:match("^%s*(.-)$")
      end
      out[#out + 1] = text(table.concat(item, " "))
      if indent > 0 then out[#out + 1] = ".RE" end
      para = true
    elseif l:match("^%s*$") then
      para = true
    else
      gap()
      local p = { l }
      while i < #md and not md[i + 1]:match("^%s*$") and not md[i + 1]:match("^[|`#]")
        and not md[i + 1]:match("^%s*[-*] ") do
        i = i + 1
        p[#p + 1] = md[i]
      end
      out[#out + 1] = text(table.concat(p, " "))
    end
    i = i + 1
  end
end

for _, p in ipairs(PAGES) do
  local out = {
    '.\\" Made from README.md by man/mkman.lua: edit the README, not this.',
    (".TH %s %d \"\" \"l2tp-runtime %s\""):format(p.name:upper(), p.section, version),
    ".SH NAME",
    p.name .. " \\- " .. p.what,
  }
  if p.synopsis then
    out[#out + 1] = ".SH SYNOPSIS"
    out[#out + 1] = text("`" .. p.synopsis .. "`")
  end
  out[#out + 1] = ".SH DESCRIPTION"
  if p.rows then render(daemon_rows(p.rows), out) end
  for _, h in ipairs(p.from) do
    if h ~= p.from[1] or p.rows then out[#out + 1] = ".SH " .. inline(h:gsub("^#+ ", "")):upper() end
    render(section(h), out)
  end
  out[#out + 1] = ".SH SEE ALSO"
  out[#out + 1] = p.see_also
  local path = ("%s/%s.%d"):format(outdir, p.name, p.section)
  local w = assert(io.open(path, "w"))
  -- roff is ASCII: other characters as \[uXXXX]
  local body = table.concat(out, "\n"):gsub("[\192-\247][\128-\191]+", function(ch)
    local b, cp = ch:byte(1), 0
    local n = b >= 240 and 3 or b >= 224 and 2 or 1
    cp = b % (2 ^ (6 - n))
    for k = 2, #ch do cp = cp * 64 + ch:byte(k) % 64 end
    return ("\\[u%04X]"):format(cp)
  end)
  w:write(body, "\n")
  w:close()
end
