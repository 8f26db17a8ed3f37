-- A scripted LNS for driving our LAC: it speaks through l2tp.codec over an
-- l2tp.udp socket, keeps its own Ns/Nr, records what it hears, and answers
-- with default handlers that a spec can replace message by message.
-- opts.version = 3 makes it an L2TPv3 LCCE answering as an LNS (no
-- message authentication); opts.rws is the Receive Window Size it
-- offers (default 8). Like l2tpns, it holds a ZLB whose Ns is not the one
-- it expects next against the sender: zlb_out_of_sequence counts them.
local l2tp = require "l2tp"
local codec = l2tp.codec

local LNS = {}
LNS.__index = LNS

function LNS.new(opts)
  opts = opts or {}
  local self = setmetatable({
    version = opts.version or 2, secret = opts.secret, tid = opts.tid or 4321, ns = 0, nr = 0, heard = {}, errors = {},
    on = {}, next_sid = 500, drop = false, rws = opts.rws or 8, zlb_out_of_sequence = 0,
  }, LNS)
  self.sock = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
  self.port = tonumber(self.sock:local_address():match(":(%d+)$"))
  self.reply_sock = self.sock
  self.sock:on_receive(function(bytes, from) self:input(bytes, from) end)
  return self
end

function LNS:address() return "127.0.0.1:" .. self.port end

-- Answer from another socket (another port) from now on.
function LNS:move_port()
  self.reply_sock = assert(l2tp.udp{ ["local"] = "127.0.0.1:0" })
  self.reply_sock:on_receive(function(bytes, from) self:input(bytes, from) end)
end

function LNS:close()
  self.sock:close()
  if self.reply_sock ~= self.sock then self.reply_sock:close() end
end

function LNS:count(type)
  local n = 0
  for _, m in ipairs(self.heard) do if m.type == type then n = n + 1 end end
  return n
end

function LNS:last(type)
  for i = #self.heard, 1, -1 do if self.heard[i].type == type then return self.heard[i] end end
end

function LNS:send(type, avps, session_id, opts)
  opts = opts or {}
  local m = { version = self.version, type = type, ns = self.ns, nr = self.nr, avps = avps or {} }
  if self.version == 3 then
    m.connection_id = self.lac_tid or 0 -- a v3 call names its sessions in AVPs
  else
    m.tunnel_id, m.session_id = self.lac_tid or 0, session_id or 0
  end
  local b = assert(codec.encode(m, { secret = self.secret, validate = opts.validate }))
  if type ~= "ZLB" then self.ns = (self.ns + 1) % 65536 end
  self.reply_sock:send(b, self.peer)
end

function LNS:zlb() self:send("ZLB") end

function LNS:input(bytes, from)
  if self.drop then return end
  self.peer = from
  local m, err = codec.decode(bytes, { secret = self.secret })
  if not m then self.errors[#self.errors + 1] = err; return end
  self.heard[#self.heard + 1] = m
  if m.type == "ZLB" then
    if m.ns ~= self.nr then self.zlb_out_of_sequence = self.zlb_out_of_sequence + 1 end
    return
  end
  if m.type == "SCCRQ" and m.ns == 0 and (m.tunnel_id or m.connection_id) == 0 then
    self.ns, self.nr = 0, 0 -- a new tunnel: new sequence numbers
  end
  if m.ns ~= self.nr then self:zlb(); return end -- a retransmission: ack again
  self.nr = (self.nr + 1) % 65536
  local h = self.on[m.type] or LNS.default[m.type]
  if not h or h(self, m) ~= true then self:zlb() end -- true: the handler answered already
end

-- L2TPv3 (RFC 3931 sections 3.3 and 3.4): what an LNS answers with.
local v3 = {
  SCCRQ = function(self, m)
    self.lac_tid = m.values.assigned_connection_id
    self:send("SCCRP", {
      { name = "host_name", value = "scripted-lns" },
      { name = "router_id", value = 0x0a000002 },
      { name = "assigned_connection_id", value = self.tid },
      { name = "pw_capabilities_list", value = { 5, 4 } },
      { name = "receive_window_size", value = self.rws },
    })
    return true
  end,
  ICRQ = function(self, m)
    self.lac_sid = m.values.local_session_id
    self.next_sid = self.next_sid + 1
    self:send("ICRP", { { name = "local_session_id", value = self.next_sid },
      { name = "remote_session_id", value = self.lac_sid } })
    return true
  end,
}

LNS.default = {
  SCCRQ = function(self, m)
    if self.version == 3 then return v3.SCCRQ(self, m) end
    self.lac_tid = m.values.assigned_tunnel_id
    local avps = {
      { name = "protocol_version", value = { version = 1, revision = 0 } },
      { name = "framing_capabilities", value = 3 },
      { name = "host_name", value = "scripted-lns" },
      { name = "assigned_tunnel_id", value = self.tid, hidden = self.hide or nil },
      { name = "receive_window_size", value = self.rws },
    }
    if self.challenge then avps[#avps + 1] = { name = "challenge", value = self.challenge } end
    if m.values.challenge then
      avps[#avps + 1] = { name = "challenge_response",
        value = codec.challenge_response(2, self.answer_secret or self.secret, m.values.challenge) }
    end
    self:send("SCCRP", avps)
    return true
  end,
  ICRQ = function(self, m)
    if self.version == 3 then return v3.ICRQ(self, m) end
    self.lac_sid = m.values.assigned_session_id
    self.next_sid = self.next_sid + 1
    self:send("ICRP", { { name = "assigned_session_id", value = self.next_sid } }, self.lac_sid)
    return true
  end,
}

return LNS
