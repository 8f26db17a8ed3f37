-- The interoperability matrix (README, "Interoperability"): PPP over
-- L2TPv2 on Debian's kernel in the VM, between our LAC or LNS and every
-- peer Debian ships, with the options a user switches on. The LNS runs in
-- namespace l2a (10.200.0.1, fd00:200::1), the LACs in l2b (10.200.0.2 and
-- .3, fd00:200::2 and ::3). Each cell brings PPP up on every call, pings
-- across each one, closes from the LAC side, checks that no kernel tunnel,
-- session, pppd or ppp interface is left, and checks that tshark dissects
-- the control traffic it captured with no malformed frame or expert
-- warning. The cells are the table `cells`: a peer or an option is one
-- more line. The run ends with the table of results.
local k = require "spec.kernel.support"

local dir, write, read = k.dir, k.write, k.read

local ffi = require "ffi"
ffi.cdef [[
struct l2tp_matrix_ts { long sec; long nsec; };
int clock_gettime(int clk, struct l2tp_matrix_ts *ts);
]]
local function now()
  local ts = ffi.new("struct l2tp_matrix_ts")
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.sec) + tonumber(ts.nsec) / 1e9
end
local SECRET = "matrix-s3cret"

-- PPP: the LNS is 10.202.0.1 on every call and gives each call's LAC end
-- its own address from 10.202.0.10. At hang-up the L2TP session is gone
-- before pppd's LCP Terminate-Request can be answered, so each pppd waits
-- out its terminate retries: one try after 1 s instead of two after 3 s
-- each keeps that wait from being most of a cell's time.
local LAC_PPPD = "noauth\nnodefaultroute\nnoipdefault\nipcp-accept-local\nipcp-accept-remote\nnoccp\n" ..
  "lcp-echo-interval 0\nlcp-restart 1\nlcp-max-terminate 1\n"
local LNS_PPPD = "noauth\nnodefaultroute\nnoccp\nlcp-echo-interval 0\nlcp-restart 1\nlcp-max-terminate 1\n"

-- An options file's words as pppd's command line
local function argv(options)
  local out = {}
  for w in options:gmatch("%S+") do out[#out + 1] = w end
  return out
end

local function lua_list(t)
  local out = {}
  for _, v in ipairs(t) do out[#out + 1] = ("%q"):format(v) end
  return "{" .. table.concat(out, ", ") .. "}"
end

local function lua_table(t)
  local out = {}
  for key, v in pairs(t) do
    out[#out + 1] = ("[%q] = %s"):format(key, type(v) == "string" and ("%q"):format(v) or tostring(v))
  end
  table.sort(out)
  return "{" .. table.concat(out, ", ") .. "}"
end

local function addr(fam, host) -- host: 1 (LNS), 2 or 3 (LACs)
  return fam == 6 and ("fd00:200::%d"):format(host) or ("10.200.0.%d"):format(host)
end

local function hostport(fam, host, port)
  return fam == 6 and ("[%s]:%d"):format(addr(fam, host), port) or ("%s:%d"):format(addr(fam, host), port)
end

-- The options, as each implementation spells them. `ours` is merged into
-- our tunnel's (LAC) or listener's (LNS) settings, `call` into each call's.
local options = {
  plain = {},
  challenge = {
    lac = { secret = SECRET, challenge = true }, lns = { secret = SECRET },
    xl2tpd = { challenge = true },
  },
  hidden = {
    -- xl2tpd can only decrypt hidden AVPs once it has been challenged,
    -- and never a hidden tunnel ID (README, "Hidden AVPs and xl2tpd")
    lac = { secret = SECRET, challenge = true, hide_avps = true },
    lns = { secret = SECRET, hide_avps = true },
    xl2tpd = { challenge = true },
    for_xl2tpd = { hide_tunnel_id = false },
  },
  sequencing = { call = { seqnum = true } },
}

------------------------------------------------------------------------
-- The LNSs: start(cell) returns once it listens.

local lns = {}

function lns.ours(cell)
  local cfg = { ["local"] = hostport(cell.fam, 1, 1701) }
  for key, v in pairs(cell.opt.lns or {}) do cfg[key] = v end
  if cell.lac == "xl2tpd" then
    for key, v in pairs(cell.opt.for_xl2tpd or {}) do cfg[key] = v end
  end
  k.script("lns", "l2a", ([[
local cfg = %s
local n = 0
cfg.on_call = function()
  n = n + 1
  return { seqnum = %s, pppd = { "noauth", "nodefaultroute", "noccp", "lcp-echo-interval", "0",
    "lcp-restart", "1", "lcp-max-terminate", "1", "10.202.0.1:10.202.0." .. (9 + n) } }
end
local ctx = assert(l2tp.context{ dataplane = "netlink", log_level = "info" })
assert(ctx:listen("lns", cfg))
put(".listening", "1")
]]):format(lua_table(cfg), tostring((cell.opt.call or {}).seqnum or false)))
  assert.truthy(k.wait_for(function() return read(dir .. "/lns.listening") end, 20), k.log("lns"))
end

-- xl2tpd as an LNS, with its own pppd.
function lns.xl2tpd(cell)
  local x = cell.opt.xl2tpd or {}
  write(dir .. "/l2tp-secrets", "* * " .. SECRET .. "\n")
  write(dir .. "/lns.options", LNS_PPPD)
  write(dir .. "/xlns.conf", ([[
[global]
listen-addr = %s
port = 1701
auth file = %s/l2tp-secrets
[lns default]
ip range = 10.202.0.10-10.202.0.20
local ip = 10.202.0.1
require authentication = no
challenge = %s
hostname = xlns
pppoptfile = %s/lns.options
length bit = yes
]]):format(addr(cell.fam, 1), dir, x.challenge and "yes" or "no", dir))
  k.ns("l2a", ("sh -c 'xl2tpd -D -c %s/xlns.conf -p %s/xlns.pid -C %s/xlns.ctl >%s/xlns.log 2>&1 &'"):format(dir, dir,
    dir, dir))
  assert.truthy(k.wait_for(function() return k.log("xlns"):find("Listening on IP address") end, 20), k.log("xlns"))
end

-- l2tpns: PPP in its own user space, over a tun device, with no kernel
-- L2TP; every login goes to RADIUS (spec/kernel/radius.py accepts it and
-- gives 10.202.0.10). It never challenges a LAC, answers a challenge with
-- l2tp_secret, and drops control messages until it has elected itself
-- its cluster's master (cluster_hb_timeout 31: about 3 s).
function lns.l2tpns(cell)
  write(dir .. "/l2tpns.conf", ([[
set debug 3
set bind_address %s
set peer_address 10.202.0.1
set cluster_interface lo
set cluster_hb_timeout 31
set primary_radius 127.0.0.1
set radius_secret "radius-s3cret"
set cli_bind_address 127.0.0.1
set l2tp_secret "%s"
]]):format(addr(cell.fam, 1), SECRET))
  -- its IPCP address: local, so that pings to it are answered
  k.must("ip -n l2a addr add 10.202.0.1/32 dev lo")
  k.ns("l2a", ("sh -c 'python3 spec/kernel/radius.py radius-s3cret 127.0.0.1 10.202.0.10 >%s/radius.log 2>&1 &'")
    :format(dir))
  assert.truthy(k.wait_for(function() return k.log("radius"):find("listening") end, 20), k.log("radius"))
  -- in a session of its own: on exit l2tpns sends SIGTERM to its whole
  -- process group (kill(0, SIGTERM), l2tpns.c), which was busted's
  k.ns("l2a", ("sh -c 'setsid l2tpns -c %s/l2tpns.conf >%s/l2tpns.log 2>&1 &'"):format(dir, dir))
  assert.truthy(k.wait_for(function() return k.log("l2tpns"):find("declaring myself the master") end, 30),
    k.log("l2tpns"))
end

-- PPP up at the LNS: the calls' interfaces (ours, xl2tpd), or l2tpns's
-- routes to its subscribers through its tun device.
local function lns_ppp(cell)
  local _, out
  if cell.lns == "l2tpns" then
    _, out = k.ns("l2a", "ip -4 route show")
    return select(2, out:gsub("10%.202%.0%.%d+ dev tun", ""))
  end
  _, out = k.ns("l2a", "ip -4 -o addr show")
  return select(2, out:gsub("inet 10%.202%.0%.1 peer", ""))
end

------------------------------------------------------------------------
-- The LACs: start(cell) dials; close(cell) hangs up from the LAC side.

local lac = {}
lac.ours = {}

function lac.ours.start(cell)
  for i = 1, cell.lacs do
    local tunnels = {}
    for j = 1, cell.tunnels do
      local cfg = { peer = hostport(cell.fam, 1, 1701), host_name = ("ours-%d-%d"):format(i, j) }
      for key, v in pairs(cell.opt.lac or {}) do cfg[key] = v end
      if cell.lns == "xl2tpd" then
        for key, v in pairs(cell.opt.for_xl2tpd or {}) do cfg[key] = v end
      end
      tunnels[#tunnels + 1] = lua_table(cfg)
    end
    k.script("lac" .. i, "l2b", ([[
local ctx = assert(l2tp.context{ dataplane = "netlink", log_level = "info" })
local calls = { seqnum = %s, pppd = %s }
local tunnels, open = {}, 0
for j, cfg in ipairs{ %s } do
  local t = assert(ctx:dynamic_tunnel("t" .. j, cfg))
  for c = 1, %d do assert(t:session("c" .. c, calls)) end
  tunnels[#tunnels + 1] = t
  open = open + 1
end
ctx:on("tunnel_down", function(e)
  open = open - 1
  if open == 0 then l2tp.stop() end
end)
l2tp.every(0.1, function()
  if io.open(base .. ".close") then
    os.remove(base .. ".close")
    for _, t in ipairs(tunnels) do t:close("matrix cell done") end
  end
end)
]]):format(tostring((cell.opt.call or {}).seqnum or false), lua_list(argv(cell.pppd or LAC_PPPD)), table.concat(tunnels, ", "),
      cell.calls))
  end
end

function lac.ours.close(cell)
  for i = 1, cell.lacs do write(dir .. "/lac" .. i .. ".close", "1") end
end

-- xl2tpd as a LAC, with its own pppd: one process per LAC, each tunnel
-- a [lac] section, all of one process's from its port 1701.
lac.xl2tpd = {}

function lac.xl2tpd.start(cell)
  local x = cell.opt.xl2tpd or {}
  write(dir .. "/l2tp-secrets", "* * " .. SECRET .. "\n")
  write(dir .. "/lac.options", LAC_PPPD)
  for i = 1, cell.lacs do
    local sections = {}
    for j = 1, cell.tunnels do
      sections[#sections + 1] = ([[
[lac t%d]
lns = %s
autodial = yes
redial = no
challenge = %s
hostname = xl2tpd-%d-%d
pppoptfile = %s/lac.options
length bit = yes
]]):format(j, addr(cell.fam, 1), x.challenge and "yes" or "no", i, j, dir)
    end
    write(("%s/xlac%d.conf"):format(dir, i), ([[
[global]
listen-addr = %s
port = 1701
auth file = %s/l2tp-secrets
]]):format(addr(cell.fam, 1 + i), dir) .. table.concat(sections))
    k.ns("l2b", ("sh -c 'xl2tpd -D -c %s/xlac%d.conf -p %s/xlac%d.pid -C %s/xlac%d.ctl >%s/xlac%d.log 2>&1 &'")
      :format(dir, i, dir, i, dir, i, dir, i))
  end
end

function lac.xl2tpd.close(cell)
  -- xl2tpd's control pipe: "d NAME" hangs up a [lac] section's tunnel
  for i = 1, cell.lacs do
    for j = 1, cell.tunnels do
      k.must(("echo 'd t%d' > %s/xlac%d.ctl"):format(j, dir, i))
    end
  end
end

------------------------------------------------------------------------
-- The matrix.

local function cell(lac_kind, lns_kind, option, fam, extra)
  local c = { lac = lac_kind, lns = lns_kind, option = option, opt = options[option] or options.plain, fam = fam,
    lacs = 1, tunnels = 1, calls = 1 }
  for key, v in pairs(extra or {}) do c[key] = v end
  return c
end

local function logs()
  local _, out = k.sh("tail -n 40 " .. dir .. "/*.log")
  return out
end

-- A cell the peer cannot do: why, from its source, and a check of it
-- that returns what the peer said.
local xl2tpd_ipv6 = {
  why = "xl2tpd has no IPv6: its sockets are AF_INET only (network.c; no AF_INET6 anywhere in its source)",
  check = function()
    write(dir .. "/x6.conf", "[global]\nlisten-addr = fd00:200::1\nport = 1701\n")
    local _, out = k.ns("l2a", "timeout 20 xl2tpd -D -c " .. dir .. "/x6.conf -p " .. dir .. "/x6.pid -C " .. dir
      .. "/x6.ctl")
    return assert(out:match("set_ip: host 'fd00:200::1' not found"), out)
  end,
}

local xl2tpd_no_sequencing = {
  why = "xl2tpd has no data sequencing: it notes the Sequencing Required AVP of our ICCN (avp.c) but has no "
    .. "sequencing code (control.c) and starts pppd without pppol2tp_send_seq, so its frames carry no numbers and our "
    .. "LAC, which asked for them, drops them (RFC 2661: the LNS must then always send them). PPP comes up only when "
    .. "a race goes our way: a numbered frame of ours that reaches xl2tpd's kernel session before its pppd has set "
    .. "LNS mode makes the kernel number that session's frames",
  check = function(c)
    lns.xl2tpd(c)
    lac.ours.start(c)
    -- xl2tpd logs the pppd command line, one quoted word a line, then
    -- "Call established"
    local log = k.wait_for(function()
      local l = k.log("xlns")
      return l:find("Call established") and l
    end, 30)
    assert.truthy(log, "xl2tpd took the call:\n" .. logs())
    local words = {}
    for w in log:match("start_pppd: I'm running:(.-)Call established"):gmatch('"([^"]*)"') do words[#words + 1] = w end
    local cmd = table.concat(words, " ")
    assert.matches("pppol2tp_lns_mode", cmd, 1, true)
    assert.is_nil(cmd:find("seq", 1, true), cmd)
    return "xl2tpd ran: " .. cmd
  end,
}

local xl2tpd_one_port = {
  why = "xl2tpd gives each tunnel a kernel socket bound to its port 1701 and connected to the address and port it "
    .. "dialled, and never adopts the port an answer came from (network.c connect_pppol2tp; t->peer is set once, "
    .. "call.c): two tunnels to one LNS are two sockets with the same 4-tuple, Linux 6.1 delivers a datagram to only "
    .. "one of them and l2tp_core finds an L2TPv2 session only in that socket's tunnel, so the other tunnel's PPP "
    .. "frames never reach it, whichever LNS answers. Both control connections come up with ours",
  check = function(c)
    lns.ours(c)
    lac.xl2tpd.start(c)
    assert.truthy(k.wait_for(function()
      return select(2, k.log("lns"):gsub("established with 10%.200%.0%.2:1701", "")) == 2
    end, 30), "two tunnels from 10.200.0.2:1701:\n" .. logs())
    local n = k.wait_for(function()
      local _, out = k.ns("l2b", "ss -uan")
      local n = select(2, out:gsub("10%.200%.0%.2:1701%s+10%.200%.0%.1:1701", ""))
      return n >= 2 and n
    end, 10)
    assert.truthy(n, "xl2tpd's sockets")
    return ("our LNS established both tunnels; xl2tpd holds %d UDP sockets 10.200.0.2:1701 -> 10.200.0.1:1701"):format(n)
  end,
}

-- l2tpns authenticates every PPP login (PAP, through RADIUS)
local L2TPNS_PPPD = "user matrix\npassword matrix\n" .. LAC_PPPD

local cells = {
  cell("ours", "xl2tpd", "plain", 4),
  cell("ours", "xl2tpd", "challenge", 4),
  cell("ours", "xl2tpd", "hidden", 4),
  cell("ours", "xl2tpd", "sequencing", 4, { peer_cannot = xl2tpd_no_sequencing }),
  cell("ours", "xl2tpd", "IPv6 transport", 6, { peer_cannot = xl2tpd_ipv6 }),
  cell("ours", "xl2tpd", "two calls in one tunnel", 4, { calls = 2 }),
  cell("xl2tpd", "ours", "plain", 4),
  cell("xl2tpd", "ours", "challenge", 4),
  cell("xl2tpd", "ours", "hidden", 4),
  cell("xl2tpd", "ours", "sequencing", 4),
  cell("xl2tpd", "ours", "IPv6 transport", 6, { peer_cannot = xl2tpd_ipv6 }),
  cell("xl2tpd", "ours", "two LACs at once", 4, { lacs = 2 }),
  cell("xl2tpd", "ours", "several tunnels from port 1701", 4, { tunnels = 2, peer_cannot = xl2tpd_one_port }),
  cell("ours", "l2tpns", "plain", 4, { pppd = L2TPNS_PPPD }),
  cell("ours", "l2tpns", "challenge", 4, { pppd = L2TPNS_PPPD }),
  cell("ours", "l2tpns", "hidden", 4, { pppd = L2TPNS_PPPD }),
}
for _, fam in ipairs{ 4, 6 } do
  for _, c in ipairs{
    cell("ours", "ours", "plain", fam),
    cell("ours", "ours", "challenge", fam),
    cell("ours", "ours", "hidden", fam),
    cell("ours", "ours", "sequencing", fam),
    cell("ours", "ours", "two calls in one tunnel", fam, { calls = 2 }),
    cell("ours", "ours", "two LACs at once", fam, { lacs = 2 }),
    cell("ours", "ours", "two tunnels from one LAC", fam, { tunnels = 2 }),
  } do cells[#cells + 1] = c end
end

------------------------------------------------------------------------

-- The LAC side's PPP interfaces whose peer is the LNS: { ifname = address }.
local function lac_ppp()
  local _, out = k.ns("l2b", "ip -4 -o addr show")
  local found, n = {}, 0
  for ifname, a in out:gmatch("%d+: (ppp%d+)%s+inet (10%.202%.0%.%d+) peer 10%.202%.0%.1/") do
    found[ifname], n = a, n + 1
  end
  return n, found
end


-- What is left of L2TP and PPP in a namespace: "" when nothing.
local function leftovers(ns)
  local _, t = k.ns(ns, "ip l2tp show tunnel")
  local _, s = k.ns(ns, "ip l2tp show session")
  local _, p = k.ns(ns, "ip -o link show")
  local ppp = {}
  for ifname in p:gmatch("%d+: (ppp%d+)") do ppp[#ppp + 1] = ifname end
  return t .. s .. table.concat(ppp, " ")
end

-- Where the cells' captures go: the work tree, so they outlive the VM.
local PCAP_DIR = k.build_dir .. "/interop-pcap"

-- The control frames of every capture, by cell, from one tshark run:
-- tshark starts in seconds under TCG, not once per cell. mergecap keeps
-- each file's interface apart (-I none), so a frame's interface ID is its
-- cell's place among the files. Returns { [file] = { infos = {...},
-- warnings = {...} } }.
local function dissect(files)
  local merged = PCAP_DIR .. "/all.pcapng"
  k.must("mergecap -I none -w " .. merged .. " " .. table.concat(files, " "))
  local _, out = k.sh(("{ tshark -n -o l2tp.shared_secret:%s -r %s -Y 'l2tp.type == 1' -T fields -E separator=/t "
    .. "-e frame.interface_id -e frame.number -e _ws.col.Info -e _ws.expert.severity -e _ws.expert.message "
    .. "2>/dev/null; }"):format(SECRET, merged))
  local by = {}
  for i, f in ipairs(files) do by[i - 1] = { file = f, infos = {}, warnings = {} } end
  for line in out:gmatch("[^\n]+") do
    local iface, num, info, sev, msg = line:match("^(%d+)\t(%d+)\t([^\t]*)\t?([^\t]*)\t?(.*)$")
    local c = iface and by[tonumber(iface)]
    assert(c, "tshark: " .. line)
    c.infos[#c.infos + 1] = info
    for s in sev:gmatch("%d+") do
      -- PI_WARN and PI_ERROR (a malformed frame is an error)
      if tonumber(s) >= 0x00600000 then c.warnings[#c.warnings + 1] = "frame " .. num .. ": " .. info .. ": " .. msg end
    end
  end
  local res = {}
  for i, f in ipairs(files) do res[f] = by[i - 1] end
  return res
end

local results, captures = {}, {}

describe("interoperability matrix", function()
  setup(function() k.must("rm -rf " .. PCAP_DIR .. " && mkdir -p " .. PCAP_DIR) end)
  before_each(function()
    k.setup()
    k.must("ip -n l2b addr add 10.200.0.3/24 dev vb && ip -n l2b addr add fd00:200::3/64 dev vb nodad")
  end)
  after_each(function()
    os.execute("pkill -x xl2tpd; pkill -x pppd; pkill -x dumpcap; pkill -QUIT -x l2tpns; pkill -f spec/kernel/radius.py; "
      .. "sleep 0.3")
    k.teardown()
  end)

  teardown(function()
    local out = { "", "interop matrix (kernel " .. (k.must("uname -r"):gsub("%s+$", "")) .. "):",
      "| our side | peer | option | IP | result |", "|---|---|---|---|---|" }
    for _, r in ipairs(results) do out[#out + 1] = r end
    io.stderr:write(table.concat(out, "\n") .. "\n")
  end)

  for _, c in ipairs(cells) do
    local ours, peer
    if c.lac == "ours" and c.lns == "ours" then ours, peer = "our LAC", "our LNS"
    elseif c.lac == "ours" then ours, peer = "our LAC", c.lns .. " LNS"
    else ours, peer = "our LNS", c.lac .. " LAC" end
    local row = ("| %s | %s | %s | IPv%d | "):format(ours, peer, c.option, c.fam)
    local name = ("%s with %s: %s over IPv%d"):format(ours, peer, c.option, c.fam)
    it(name, function()
      if c.peer_cannot then
        -- a check that fails is a failed cell in the table too
        local ok, said = pcall(c.peer_cannot.check, c)
        results[#results + 1] = row .. (ok and ("cannot (peer): %s; it says \"%s\" |"):format(c.peer_cannot.why, said)
          or "FAIL (the check of why the peer cannot) |")
        if not ok then error(said, 0) end
        return pending("the peer cannot: " .. c.peer_cannot.why)
      end
      local t0, phases = now(), {}
      local function phase(what) phases[#phases + 1] = ("%s %.1f"):format(what, now() - t0) end
      local ok, err = pcall(function()
        local stop_capture = assert(k.capture("cell", "l2a", "va"))
        phase("capturing")
        local path = ("%s/cell-%d.pcap"):format(PCAP_DIR, #captures + 1)
        lns[c.lns](c)
        phase("LNS listening")
        lac[c.lac].start(c)
        local want = c.lacs * c.tunnels * c.calls
        local n, ifs = k.wait_for(function()
          local n, ifs = lac_ppp()
          return n == want and lns_ppp(c) == want and n, ifs
        end, 60)
        n, ifs = lac_ppp()
        assert.equal(want, n, "PPP up on every call at the LAC:\n" .. logs())
        assert.equal(want, lns_ppp(c), "PPP up on every call at the LNS:\n" .. logs())
        phase("PPP up")
        for ifname in pairs(ifs) do
          local rc, out = k.ping("l2b", "-I " .. ifname .. " 10.202.0.1", 2)
          assert.equal(0, rc, ifname .. ": " .. out)
        end

        phase("pinged")
        lac[c.lac].close(c)
        for _, ns in ipairs{ "l2a", "l2b" } do
          assert.truthy(k.wait_for(function() return leftovers(ns) == "" end, 20),
            ns .. " still has: " .. leftovers(ns) .. "\n" .. logs())
          phase(ns .. " clean")
        end
        assert.truthy(k.wait_for(function() return k.sh("pgrep -x pppd") ~= 0 end, 20), "a pppd is left:\n" .. logs())
        -- and PPP is down at the LNS (l2tpns: its routes to the calls)
        assert.truthy(k.wait_for(function() return lns_ppp(c) == 0 end, 20), "PPP is still up at the LNS:\n" .. logs())

        phase("all gone")
        k.must("cp " .. stop_capture() .. " " .. path)
        phase("capture saved")
        captures[#captures + 1] = { path = path, row = #results + 1, name = name }
      end)
      io.stderr:write(("%s: %s s\n"):format(name, table.concat(phases, ", ")))
      results[#results + 1] = row .. (ok and "pass" or "FAIL") .. " |"
      if not ok then error(err, 0) end
    end)
  end

  it("tshark dissects every cell's control traffic with no malformed frame or expert warning", function()
    if k.sh("command -v tshark && command -v mergecap") ~= 0 then
      return pending("SKIPPED: tshark is not installed (apt-get install tshark)")
    end
    local files = {}
    for _, c in ipairs(captures) do files[#files + 1] = c.path end
    assert.is_true(#files > 0, "no cell captured anything")
    local got = dissect(files)
    local failed = {}
    for _, c in ipairs(captures) do
      local d = got[c.path]
      local all = table.concat(d.infos, "\n")
      local missing = {}
      for _, m in ipairs{ "SCCRQ", "SCCRP", "SCCCN", "ICRQ", "ICRP", "ICCN", "StopCCN" } do
        if not all:find(m, 1, true) then missing[#missing + 1] = m end
      end
      local why = #missing > 0 and ("no " .. table.concat(missing, ", ") .. " in:\n" .. all)
        or #d.warnings > 0 and table.concat(d.warnings, "\n")
      if why then
        results[c.row] = results[c.row]:gsub("pass |$", "FAIL (tshark) |")
        failed[#failed + 1] = c.name .. ": " .. why
      else
        results[c.row] = results[c.row]:gsub("pass |$", ("pass, %d control frames dissected |"):format(#d.infos))
      end
    end
    assert.equal("", table.concat(failed, "\n\n"))
  end)
end)
