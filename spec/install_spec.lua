-- The daemons as installed commands: what `cmake --install` puts where,
-- the wrappers with their control socket and lock, the systemd units and
-- the man pages made from the README.
local h = require "spec.support.helpers"

local function have(cmd) return h.sh("command -v " .. cmd) == 0 end

describe("cmake --install", function()
  local stage, prefix, rundir
  setup(function()
    stage = h.tmp_path(".stage")
    prefix = stage .. "/usr/local"
    local code, out, err = h.sh("DESTDIR=" .. stage .. " cmake --install " .. h.build_dir)
    assert(code == 0, out .. err)
  end)
  teardown(function() h.sh("rm -rf " .. stage) end)
  before_each(function()
    rundir = h.tmp_path(".run")
  end)
  after_each(function() h.sh("rm -rf " .. rundir) end)

  it("installs the commands, the daemons' scripts, the units and the man pages", function()
    for _, f in ipairs{ "bin/l2tp-run", "bin/l2tp-ctl", "bin/kl2tpd", "bin/ql2tpd", "bin/lnsd", "bin/kpppoed",
      "share/l2tp/scripts/daemon.lua", "share/l2tp/scripts/kl2tpd.lua", "share/l2tp/scripts/ql2tpd.lua",
      "share/l2tp/scripts/lnsd.lua", "share/l2tp/scripts/kpppoed.lua", "share/l2tp/scripts/pseudowired.lua",
      "lib/systemd/system/kl2tpd.service", "lib/systemd/system/ql2tpd.service", "lib/systemd/system/lnsd.service",
      "lib/systemd/system/kpppoed.service",
      "share/man/man1/l2tp-run.1", "share/man/man1/l2tp-ctl.1", "share/man/man8/kl2tpd.8",
      "share/man/man8/ql2tpd.8", "share/man/man8/lnsd.8", "share/man/man8/kpppoed.8", "share/man/man7/l2tp.7" } do
      assert.equal(0, h.sh("test -s " .. prefix .. "/" .. f), f .. " is missing")
    end
    assert.equal(0, h.sh("test -x " .. prefix .. "/bin/kl2tpd"))
  end)

  it("runs a daemon by its name, with its control socket, and refuses a second instance", function()
    local cfg = h.tmp_path(".toml")
    h.write_file(cfg, '[tunnel.t1]\npeer = "127.0.0.1:9"\nversion = "l2tpv2"\n')
    local env = "L2TP_RUNDIR=" .. rundir .. " "
    local log = h.tmp_path(".log")
    -- a pid file left by a killed process holds no lock: it does not count
    h.sh("mkdir -p " .. rundir .. " && echo 999999 >" .. rundir .. "/kl2tpd.pid")
    os.execute(env .. prefix .. "/bin/kl2tpd -l debug " .. cfg .. " --null >" .. log .. " 2>&1 &")
    local ctl = prefix .. "/bin/l2tp-ctl -s " .. rundir .. "/kl2tpd.sock "
    local out
    for _ = 1, 200 do
      local code
      code, out = h.sh(ctl .. "show tunnels")
      if code == 0 then break end
      h.sh("sleep 0.05")
    end
    assert.matches("t1 +dynamic +l2tpv2", out, (function() local f = io.open(log); return f and f:read("*a") end)())
    local f = assert(io.open(rundir .. "/kl2tpd.pid"))
    local pid = f:read("*l")
    f:close()
    assert.matches("^%d+$", pid)
    assert.is_not.equal("999999", pid)
    -- the options given win over the wrapper's defaults: -l debug took
    local code, _, err = h.sh(env .. prefix .. "/bin/kl2tpd " .. cfg .. " --null")
    assert.equal(1, code)
    assert.equal("l2tp-run: --pid-file: another instance (pid " .. pid .. ") holds " .. rundir .. "/kl2tpd.pid\n", err)
    assert.equal(0, h.sh("kill -TERM " .. pid .. "; while kill -0 " .. pid .. " 2>/dev/null; do sleep 0.05; done"))
    -- it leaves neither the socket nor the pid file behind
    assert.equal(1, h.sh("test -e " .. rundir .. "/kl2tpd.pid"))
    assert.equal(1, h.sh("test -e " .. rundir .. "/kl2tpd.sock"))
    local l = io.open(log):read("*a")
    assert.matches(" debug: context open", l)
    os.remove(cfg)
    os.remove(log)
  end)

  it("installs systemd units that systemd-analyze verify passes", function()
    if not have("systemd-analyze") then
      return pending("SKIPPED: systemd-analyze is not installed (apt-get install systemd)")
    end
    -- The units name the installed paths; verify them where the stage
    -- has them, with the staged man pages for their Documentation=.
    local units = h.tmp_path(".units")
    h.sh("mkdir -p " .. units)
    for _, u in ipairs{ "kl2tpd", "ql2tpd", "lnsd", "kpppoed" } do
      local f = assert(io.open(prefix .. "/lib/systemd/system/" .. u .. ".service"))
      local text = f:read("*a")
      f:close()
      assert.matches("ExecStart=/usr/local/bin/" .. u .. " /etc/l2tp/" .. u, text)
      assert.matches("ExecReload=/bin/kill %-HUP %$MAINPID", text)
      h.write_file(units .. "/" .. u .. ".service", (text:gsub("/usr/local/bin/", prefix .. "/bin/")))
    end
    local code, out, err = h.sh("MANPATH=" .. prefix .. "/share/man systemd-analyze verify " .. units .. "/*.service")
    h.sh("rm -rf " .. units)
    assert.equal(0, code, out .. err)
    assert.equal("", err)
    -- and the check is real: a unit whose command is missing fails it
    h.sh("mkdir -p " .. units)
    h.write_file(units .. "/bad.service", "[Service]\nExecStart=/nonexistent/kl2tpd\n")
    code = h.sh("systemd-analyze verify " .. units .. "/bad.service")
    h.sh("rm -rf " .. units)
    assert.is_not.equal(0, code)
  end)

  it("installs man pages made from the README that render without a warning", function()
    if not have("groff") then return pending("SKIPPED: groff is not installed (apt-get install groff-base)") end
    local pages = { "man1/l2tp-run.1", "man1/l2tp-ctl.1", "man8/kl2tpd.8", "man8/ql2tpd.8", "man8/lnsd.8",
      "man8/kpppoed.8", "man7/l2tp.7" }
    local text = {}
    for _, p in ipairs(pages) do
      local code, out, err = h.sh("LC_ALL=C.UTF-8 groff -man -ww -Tutf8 -rLL=2000n -rHY=0 -P-cbou " .. prefix .. "/share/man/" .. p)
      assert.equal(0, code)
      assert.equal("", err, p)
      text[p] = out
    end
    -- what the README says is what they say
    assert.matches("%-%-pid%-file PATH", text["man1/l2tp-run.1"])
    assert.matches("Logs, traces and captures", text["man1/l2tp-run.1"])
    assert.matches("pcap %[FILE | off%]", text["man1/l2tp-ctl.1"])
    assert.matches("redialling a tunnel", text["man8/kl2tpd.8"])
    assert.matches("quiescent", text["man8/ql2tpd.8"])
    assert.matches("allow", text["man8/lnsd.8"])
    assert.matches("PPPIOCBRIDGECHAN", text["man8/kpppoed.8"])
    assert.matches("l2tp%.pcap%(file%)", text["man7/l2tp.7"])
    assert.matches("session_down", text["man7/l2tp.7"])
  end)
end)
