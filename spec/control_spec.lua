-- The control socket (l2tp-run --control, l2tp.control) and l2tp-ctl: a
-- daemon runs in its own l2tp-run process and these specs steer it from
-- outside, as an operator would.
local h = require "spec.support.helpers"
local ffi = require "ffi"

local RUN = h.l2tp_run
local CTL = h.build_dir .. "/bindings/l2tp-ctl"
local l2tp = h.l2tp

ffi.cdef [[
struct sockaddr_un_ { unsigned short sun_family; char sun_path[108]; };
int socket(int domain, int type, int protocol);
int connect(int fd, const void *addr, unsigned int len);
long write(int fd, const void *buf, unsigned long n);
long read(int fd, void *buf, unsigned long n);
int close(int fd);
]]

-- A raw client, to send what l2tp-ctl never would.
local function raw_connect(path)
  local fd = ffi.C.socket(1, 1, 0) -- AF_UNIX, SOCK_STREAM
  assert(fd >= 0)
  local sun = ffi.new("struct sockaddr_un_")
  sun.sun_family = 1
  ffi.copy(sun.sun_path, path)
  assert(ffi.C.connect(fd, sun, ffi.sizeof(sun)) == 0, "connect " .. path)
  return fd
end

local function raw_send(fd, bytes)
  local off = 0
  while off < #bytes do
    local n = tonumber(ffi.C.write(fd, ffi.cast("const char *", bytes) + off, #bytes - off))
    if n <= 0 then return false end
    off = off + n
  end
  return true
end

-- Reads to the first newline (the server answers every request).
local function raw_reply(fd)
  local buf, out = ffi.new("char[4096]"), {}
  while true do
    local n = tonumber(ffi.C.read(fd, buf, 4096))
    if n <= 0 then break end
    out[#out + 1] = ffi.string(buf, n)
    if out[#out]:find("\n") then break end
  end
  return table.concat(out)
end

local tmp = h.tmp_path

-- Starts SCRIPT under l2tp-run --control; waits until it prints "ready".
local function start(body, extra, sock)
  local d = {sock = sock or tmp(".sock"), out = tmp(".out"), script = h.write_script(body)}
  d.pidfile = d.out .. ".pid"
  os.execute(("%s --control %s %s %s >%s 2>&1 & echo $! >%s"):format(RUN, d.sock, extra or "", d.script, d.out,
    d.pidfile))
  local code = h.sh(("for i in $(seq 600); do grep -q '^ready' %s && exit 0; " ..
    "kill -0 $(cat %s) 2>/dev/null || exit 1; sleep 0.05; done; exit 1"):format(d.out, d.pidfile))
  d.log = function() return h.read_file(d.out) end
  assert(code == 0, "daemon did not get ready: " .. d.log())
  function d.ctl(args)
    return h.sh(("%s -s %s %s"):format(CTL, d.sock, args))
  end
  -- Waits until `l2tp-ctl ARGS` prints something matching pattern.
  function d.until_ctl(args, pattern)
    local out
    for _ = 1, 400 do
      local _, o = d.ctl(args)
      out = o
      if o:match(pattern) then return o end
      h.sh("sleep 0.05")
    end
    error(("'%s' never matched %s; last output:\n%s"):format(args, pattern, out))
  end
  function d.stop()
    if d.stopped then return 0 end
    d.stopped = true
    local code2 = h.sh(("kill -TERM $(cat %s); while kill -0 $(cat %s) 2>/dev/null; do sleep 0.05; done")
      :format(d.pidfile, d.pidfile))
    os.remove(d.script)
    os.remove(d.pidfile)
    return code2
  end
  return d
end

-- A LAC and an LNS in one process, one call up.
local PAIR = [[
local l2tp = require "l2tp"
local ctx = l2tp.context{ dataplane = "null", log_level = "info" }
ctx:on("session_down", function(e) print("session_down " .. e.tunnel_name .. "/" .. e.session_name .. ": " .. e.reason); io.stdout:flush() end)
local lns = assert(ctx:listen("lns", { ["local"] = "127.0.0.1:0" }))
local t = assert(ctx:dynamic_tunnel("t1", { peer = lns:address(), version = "l2tpv2" }))
t:session("s1", { pseudowire = "ppp" })
ctx:on("session_up", function(e) if e.session_name == "s1" then print("ready"); io.stdout:flush() end end)
]]

describe("the control socket", function()
  local d
  after_each(function()
    if d then
      d.stop()
      os.remove(d.out)
      os.remove(d.sock)
    end
    d = nil
  end)

  it("shows tunnels, sessions, one tunnel, listeners and totals, as tables and as JSON", function()
    d = start(PAIR)
    local code, out = d.ctl("show tunnels")
    assert.equal(0, code)
    assert.matches("^NAME +KIND +VERSION +ENCAP +STATE +LOCAL +PEER +TID +PTID +SESSIONS +TX +RX +RETRANSMITS\n", out)
    assert.matches("\nt1 +dynamic +l2tpv2 +udp +established +[%d.:]+ +127%.0%.0%.1:%d+ +%d+ +%d+ +1 ", out)
    assert.matches("\nlns#1 +accepted +l2tpv2 +udp +established ", out)

    code, out = d.ctl("show sessions t1")
    assert.equal(0, code)
    assert.matches("^TUNNEL +NAME +PSEUDOWIRE +STATE +SID +PSID +INTERFACE\nt1 +s1 +ppp +established +%d+ +%d+ *\n$", out)

    code, out = d.ctl("show tunnel t1")
    assert.equal(0, code)
    assert.matches("^name: t1\nkind: dynamic\nstate: established\n", out)
    assert.matches("\ncontrol:\n  cwnd: %d+\n", out)
    assert.matches("\n  tx_retransmits: 0\n", out)
    assert.matches("\nsessions:\n  TUNNEL +NAME", out)

    code, out = d.ctl("--json show tunnel t1")
    assert.equal(0, code)
    assert.matches('"state": "established"', out)
    assert.matches('"control": {', out)
    assert.matches('"framing_caps": %[', out)

    code, out = d.ctl("show listeners")
    assert.equal(0, code)
    assert.matches("\nlns +127%.0%.0%.1:%d+ +1 +0 +1 +1 +0 ", out)

    code, out = d.ctl("stats")
    assert.equal(0, code)
    assert.matches("^contexts: 1\nlisteners: 1\ntunnels: 2\ntunnels_up: 2\nsessions: 2\nsessions_up: 2\n", out)
    code, out = d.ctl("--json stats")
    assert.equal(0, code)
    assert.matches('"sessions_up": 2', out)
  end)

  it("closes a session and a tunnel with the operator's reason, and says which names do not exist", function()
    d = start(PAIR)
    local code, out, err = d.ctl("close session t1/s1")
    assert.equal(0, code)
    assert.matches("closed: session t1/s1", out)
    d.until_ctl("show sessions t1", "^%(none%)\n$")
    assert.matches("session_down t1/s1: closed by operator", d.log())

    code, _, err = d.ctl("close session t1/nope")
    assert.equal(1, code)
    assert.equal("l2tp-ctl: no session 'nope' in tunnel 't1'\n", err)
    code, _, err = d.ctl("close tunnel nope")
    assert.equal(1, code)
    assert.equal("l2tp-ctl: no tunnel 'nope' (see 'show tunnels')\n", err)
    code, _, err = d.ctl("close")
    assert.equal(1, code)
    assert.matches("usage: close tunnel NAME | close session TUNNEL/SESSION", err)

    code = d.ctl("close tunnel t1")
    assert.equal(0, code)
    d.until_ctl("show tunnels", "^%(none%)\n$")
  end)

  it("serves the script's own commands, and answers an error when one raises or fails", function()
    d = start([[
local l2tp = require "l2tp"
l2tp.control.command("dial", function(args) return { dialled = args[1], count = #args } end, "dial PEER")
l2tp.control.command("boom", function() error("it broke") end)
l2tp.control.command("refuse", function() return nil, "not now" end)
l2tp.timer(60, function() end)
print("ready"); io.stdout:flush()
]])
    local code, out = d.ctl("dial lns-2 extra")
    assert.equal(0, code)
    assert.matches("count: 2\ndialled: lns%-2\n", out)
    local _, help = d.ctl("help")
    assert.matches("\ndial +dial PEER\n", help)
    local err
    code, _, err = d.ctl("boom")
    assert.equal(1, code)
    assert.matches("^l2tp%-ctl: .*it broke\n$", err)
    code, _, err = d.ctl("refuse")
    assert.equal(1, code)
    assert.equal("l2tp-ctl: not now\n", err)
    code, _, err = d.ctl("nope")
    assert.equal(1, code)
    assert.equal("l2tp-ctl: unknown command 'nope' (try 'help')\n", err)
    -- and it still answers
    code = d.ctl("version")
    assert.equal(0, code)
  end)

  it("lets a command close the control socket it came through, answering first", function()
    local own = tmp(".sock")
    d = start(([[
local l2tp = require "l2tp"
local server = assert(l2tp.control.listen(%q))
l2tp.control.command("quit", function()
  server:close()
  return { closed = true }
end)
l2tp.timer(60, function() end)
print("ready"); io.stdout:flush()
]]):format(own))
    local function ctl(args) return h.sh(CTL .. " -s " .. own .. " " .. args) end
    local code, out = ctl("quit")
    assert.equal(0, code)
    assert.equal("closed: yes\n", out)
    assert.equal(3, (ctl("version")))
    -- the process lives on, and its other socket still answers
    assert.equal(0, (d.ctl("version")))
    os.remove(own)
  end)

  it("answers malformed and oversized requests with an error, and an idle client blocks nobody", function()
    d = start("local l2tp = require 'l2tp'; l2tp.timer(60, function() end); print('ready'); io.stdout:flush()")
    local fd = raw_connect(d.sock)
    raw_send(fd, "this is not json\n")
    assert.matches('^{"ok":false,"error":"malformed request: ', raw_reply(fd))
    raw_send(fd, '{"command":"show"}\n')
    assert.matches('"error":"malformed request: not a non%-empty JSON array of strings"', raw_reply(fd))
    raw_send(fd, '["show", 1]\n')
    assert.matches('"error":"malformed request: every word must be a JSON string"', raw_reply(fd))
    raw_send(fd, '["version"]\n')
    assert.matches('"ok":true', raw_reply(fd))
    ffi.C.close(fd)

    fd = raw_connect(d.sock)
    raw_send(fd, string.rep("x", 70000))
    assert.matches('"error":"request too long %(the limit is 65536 bytes%)"', raw_reply(fd))
    ffi.C.close(fd)

    -- a client that sends half a request and waits holds nothing up
    local idle = raw_connect(d.sock)
    raw_send(idle, '["vers')
    local code, out = d.ctl("version")
    assert.equal(0, code)
    assert.matches("version: %d", out)
    ffi.C.close(idle)
  end)

  it("is created mode 0600, refuses a second instance and takes over a dead one's socket file", function()
    d = start("local l2tp = require 'l2tp'; l2tp.timer(60, function() end); print('ready'); io.stdout:flush()")
    local _, mode = h.sh("stat -c %a " .. d.sock)
    assert.equal("600\n", mode)
    local p = h.write_script("print('should not run')")
    local code, out, err = h.sh(RUN .. " --control " .. d.sock .. " " .. p)
    assert.equal(1, code)
    assert.equal("", out)
    assert.equal("l2tp-run: --control: " .. d.sock .. ": another process is serving it (a second instance?)\n", err)
    -- killed without cleanup: the file stays, and the next one reuses it
    h.sh("kill -KILL $(cat " .. d.pidfile .. "); while kill -0 $(cat " .. d.pidfile .. ") 2>/dev/null; do sleep 0.05; done")
    assert.equal(0, (h.sh("test -S " .. d.sock)))
    local sock = d.sock
    os.remove(d.script)
    d = start("local l2tp = require 'l2tp'; l2tp.timer(60, function() end); print('ready'); io.stdout:flush()",
      nil, sock)
    code, _, err = h.sh(RUN .. " --control " .. sock .. " " .. p)
    os.remove(p)
    assert.equal(1, code)
    assert.matches("another process is serving it", err)
    assert.equal(0, (d.ctl("version")))
    code, _, err = h.sh(RUN .. " --control /nonexistent-dir/x.sock " .. p)
    assert.equal(1, code)
    assert.equal("l2tp-run: --control: /nonexistent-dir/x.sock: No such file or directory\n", err)
  end)

  it("exports counters in the Prometheus text format", function()
    d = start(PAIR)
    local code, out = d.ctl("metrics")
    assert.equal(0, code)
    assert.matches("# TYPE l2tp_tunnels gauge\nl2tp_tunnels 2\n", out)
    assert.matches('\nl2tp_tunnel_up{tunnel="t1"} 1\n', out)
    assert.matches('\nl2tp_tunnel_control_tx_messages_total{tunnel="t1"} %d+\n', out)
    assert.matches('\nl2tp_listener_accepted_total{listener="lns"} 1\n', out)
    assert.matches('\nl2tp_listener_sessions{listener="lns"} 1\n', out)
    for line in out:gmatch("[^\n]+") do
      if not line:match("^# ") then
        assert.matches('^[%w_]+%b{} %-?[%d.e+]+$', line:find("{") and line or (line:gsub(" ", "{} ", 1)))
      end
    end
  end)

  it("sets the log level of the process and its contexts", function()
    d = start(PAIR)
    local code, out = d.ctl("log-level")
    assert.equal(0, code)
    assert.equal("log_level: info\n", out)
    code, out = d.ctl("log-level debug")
    assert.equal(0, code)
    assert.equal("log_level: debug\n", out)
    local err
    code, _, err = d.ctl("log-level loud")
    assert.equal(1, code)
    assert.matches("'loud' is not valid", err)
    -- the context logs at debug now: its last words say so
    d.stop()
    assert.matches(" debug: context closed\n", d.log())
  end)

  it("starts and stops a capture, and traces control messages at log level trace", function()
    d = start(PAIR)
    local path = h.tmp_path(".pcap")
    local code, out = d.ctl("pcap")
    assert.equal(0, code)
    assert.equal("capturing: no\n", out)
    code, out = d.ctl("pcap " .. path)
    assert.equal(0, code, out)
    assert.equal(0, d.ctl("log-level trace"))
    assert.equal(0, d.ctl("close tunnel t1"))
    -- the StopCCN and its acknowledgement, seen from both contexts
    local packets = 0
    for _ = 1, 400 do
      packets = tonumber(d.until_ctl("pcap", "packets: %d+"):match("packets: (%d+)"))
      if packets >= 4 then break end
      h.sh("sleep 0.05")
    end
    assert.is_true(packets >= 4, packets .. " packets")
    code, out = d.ctl("pcap off")
    assert.equal(0, code)
    assert.equal("capturing: no\n", out)
    code, _, err = d.ctl("pcap /nonexistent/x.pcap")
    assert.equal(1, code)
    assert.matches("cannot create '/nonexistent/x.pcap'", err)
    d.stop()
    assert.matches(" trace: sent StopCCN ", d.log())
    assert.matches(" trace: received StopCCN ", d.log())
    local f = assert(io.open(path, "rb"))
    assert.is_true(#f:read("*a") > 24 + 4 * 16)
    f:close()
    os.remove(path)
  end)
end)

describe("l2tp-ctl", function()
  it("says when nothing serves the socket, and documents its options", function()
    local code, _, err = h.sh(CTL .. " -s /nonexistent.sock show tunnels")
    assert.equal(3, code)
    assert.equal("l2tp-ctl: cannot connect to /nonexistent.sock: No such file or directory " ..
      "(is the daemon running with --control?)\n", err)
    code, _, err = h.sh(CTL)
    assert.equal(2, code)
    assert.matches("no command given", err)
    local out
    code, out = h.sh(CTL .. " --help")
    assert.equal(0, code)
    assert.matches("%-%-json", out)
    assert.matches("exit status", out)
  end)
end)

describe("l2tp.control", function()
  it("checks command names and functions, and keeps the built-in ones", function()
    assert.matches("name must be one word", h.raises(l2tp.control.command, "two words", function() end))
    assert.matches("fn must be a function", h.raises(l2tp.control.command, "x", 42))
    assert.matches("'show' is a built%-in command", h.raises(l2tp.control.command, "show", function() end))
    assert.matches("unknown option 'mod'", h.raises(l2tp.control.listen, "/tmp/x.sock", {mod = 1}))
  end)

  it("encodes replies as JSON: arrays, objects, empty arrays and text that is not UTF-8", function()
    assert.equal('[1,2,"x"]', l2tp.control.encode({1, 2, "x"}))
    assert.equal('{"a":true}', l2tp.control.encode({a = true}))
    assert.equal('[]', l2tp.control.encode(l2tp.control.array()))
    assert.equal('{}', l2tp.control.encode({}))
    assert.equal('"a\239\191\189b"', l2tp.control.encode("a\255b"))
    assert.equal('1.5', l2tp.control.encode(1.5))
  end)
end)
