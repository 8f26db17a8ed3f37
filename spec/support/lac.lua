-- A scripted LAC for driving our LNS: it speaks through l2tp.codec over one
-- l2tp.udp socket (a fixed port if asked), keeps Ns/Nr per tunnel it opens,
-- adopts the port each tunnel is answered from, and records what it hears.
-- It answers nothing by itself: a spec says what to send and when.
-- opts.version = 3 makes it an L2TPv3 LCCE dialling as a LAC (no message
-- authentication): tunnel IDs are then connection IDs.
local h = require "spec.support.helpers"
local l2tp = h.l2tp
local codec = l2tp.codec

local LAC = {}
LAC.__index = LAC

function LAC.new(lns, opts)
  opts = opts or {}
  local self = setmetatable({ lns = lns, version = opts.version or 2, secret = opts.secret, tunnels = {}, heard = {},
    errors = {} }, LAC)
  self.sock = assert(l2tp.udp{ ["local"] = "127.0.0.1:" .. (opts.port or 0) })
  self.address = self.sock:local_address()
  self.sock:on_receive(function(bytes, from) self:input(bytes, from) end)
  return self
end

function LAC:close() self.sock:close() end

-- What arrived for our tunnel tid (every message when tid is nil).
function LAC:got(type, tid)
  local n, last = 0, nil
  for _, e in ipairs(self.heard) do
    if e.m.type == type and (tid == nil or (e.m.tunnel_id or e.m.connection_id) == tid) then n, last = n + 1, e end
  end
  return n, last and last.m, last and last.from
end

function LAC:input(bytes, from)
  local m, err = codec.decode(bytes, { secret = self.secret })
  if not m then self.errors[#self.errors + 1] = err; return end
  self.heard[#self.heard + 1] = { m = m, from = from }
  local t = self.tunnels[m.tunnel_id or m.connection_id]
  if not t then return end
  t.acked = m.nr -- the LNS has everything we sent before this Ns
  if m.type == "SCCRP" then
    t.peer = from -- RFC 2661 section 8.1: the answer's port is the tunnel's
    t.lns_tid = m.values.assigned_tunnel_id or m.values.assigned_connection_id
  end
  if m.type ~= "ZLB" and m.ns == t.nr then t.nr = (t.nr + 1) % 65536 end
end

-- Sends a message on tunnel t; opts: session_id, to, validate, raw avps.
function LAC:send(t, type, avps, opts)
  opts = opts or {}
  local m = { version = self.version, type = type, ns = t.ns, nr = t.nr, avps = avps or {} }
  if self.version == 3 then
    m.connection_id = opts.tunnel_id or t.lns_tid or 0
  else
    m.tunnel_id, m.session_id = opts.tunnel_id or t.lns_tid or 0, opts.session_id or 0
  end
  local b = assert(codec.encode(m, { secret = self.secret, validate = opts.validate }))
  if type ~= "ZLB" then t.ns = (t.ns + 1) % 65536 end
  self.sock:send(b, opts.to or t.peer or self.lns)
  return b
end

function LAC.sccrq_avps(tid, extra, version)
  local avps = version == 3 and {
    { name = "host_name", value = "scripted-lac" },
    { name = "router_id", value = 0x0a000001 },
    { name = "assigned_connection_id", value = tid },
    { name = "pw_capabilities_list", value = { 5, 4 } },
  } or {
    { name = "protocol_version", value = { version = 1, revision = 0 } },
    { name = "host_name", value = "scripted-lac" },
    { name = "framing_capabilities", value = 3 },
    { name = "assigned_tunnel_id", value = tid },
  }
  for _, a in ipairs(extra or {}) do avps[#avps + 1] = a end
  return avps
end

-- Opens tunnel tid: sends its SCCRQ; returns the tunnel's state.
function LAC:sccrq(tid, extra, opts)
  local t = { tid = tid, ns = 0, nr = 0 }
  self.tunnels[tid] = t
  self:send(t, "SCCRQ", LAC.sccrq_avps(tid, extra, self.version), opts)
  return t
end

function LAC:sccrp(t) local _, m = self:got("SCCRP", t.tid); return m end

-- Opens tunnel tid to the end of our part: SCCRQ, then (once the SCCRP has
-- come, within timeout seconds, default 5) SCCCN. Returns the tunnel.
function LAC:establish(tid, timeout)
  local t = self:sccrq(tid)
  assert(h.run_until(function() return self:sccrp(t) ~= nil end, timeout or 5), "no SCCRP for tunnel " .. tid)
  self:send(t, "SCCCN")
  return t
end

return LAC
