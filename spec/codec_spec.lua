local h = require "spec.support.helpers"
local golden = require "spec.support.golden"
local codec = h.l2tp.codec

local vecs = golden.load()

local function hex(s) return (s:gsub("[^%x]", ""):gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end)) end

describe("l2tp.codec", function()
  describe("golden vectors", function()
    for _, v in ipairs(vecs) do
      if v.control then
        it(v.name .. " decodes, and its table encodes to the same bytes", function()
          local m, err = codec.decode(v.bytes, { secret = v.secret, over_ip = v.over_ip })
          assert.is_nil(err)
          assert.is_table(m)
          if v.decode_only then return end
          local again, eerr = codec.encode(m, { secret = v.secret, over_ip = v.over_ip })
          assert.is_nil(eerr)
          assert.equal(v.bytes, again)
        end)
      else
        it(v.name .. " (data) decodes", function()
          local d, err = codec.decode_data(v.bytes, { over_ip = v.over_ip, cookie_len = v.cookie_len, l2spec = v.l2spec })
          assert.is_nil(err)
          assert.is_string(d.payload)
        end)
      end
    end
  end)

  describe("decode", function()
    it("gives the header fields and AVPs in natural Lua form", function()
      local m = assert(codec.decode(vecs["v2-sccrq"].bytes))
      assert.equal(2, m.version)
      assert.equal("SCCRQ", m.type)
      assert.equal("Start-Control-Connection-Request", m.description)
      assert.equal(0, m.tunnel_id)
      assert.equal(0, m.ns)
      assert.equal(10, #m.avps)
      assert.same({ name = "host_name", description = "Host Name", type = 7, vendor = 0, mandatory = true,
        hidden = false, value = "lac", offset = 28 }, m.avps[3])
      assert.same({ version = 1, revision = 0 }, m.values.protocol_version)
      assert.equal(3, m.values.framing_capabilities)
      assert.equal(0x1234, m.values.assigned_tunnel_id)
      assert.is_false(m.avps[6].mandatory) -- Firmware Revision
      assert.equal("\1\2\3\4\5\6\7\8", m.values.tie_breaker)
    end)

    it("decodes every structured value", function()
      local m = assert(codec.decode(vecs["v2-cdn"].bytes))
      assert.same({ result = 3 }, m.values.result_code) -- the short form
      assert.same({ cause = 16, msg = 0x5a, advisory = "ok" }, m.values.q931_cause_code)
      assert.same({ code = 1, protocol = 0xc021, direction = 1 }, m.values.ppp_disconnect_cause)
      m = assert(codec.decode(vecs["v2-stopccn"].bytes))
      assert.same({ result = 2, error = 6, message = "bye" }, m.values.result_code)
      m = assert(codec.decode(vecs["v2-wen"].bytes))
      assert.same({ crc_errors = 1, framing_errors = 2, hardware_overruns = 3, buffer_overruns = 4,
        timeout_errors = 5, alignment_errors = 6 }, m.values.call_errors)
      m = assert(codec.decode(vecs["v2-sli"].bytes))
      assert.same({ send = 0xffffffff, recv = 0x000a0000 }, m.values.accm)
      m = assert(codec.decode(vecs["v2-occn"].bytes))
      assert.is_true(m.values.sequencing_required)
      m = assert(codec.decode(vecs["v3-sccrq"].bytes))
      assert.equal(3, m.version)
      assert.equal(0, m.connection_id)
      assert.same({ 5, 7 }, m.values.pw_capabilities_list)
      assert.equal(0xc0000201, m.values.router_id)
      m = assert(codec.decode(vecs["v3-sccrp"].bytes))
      assert.equal(0, m.values.message_digest.type)
      assert.equal(16, #m.values.message_digest.digest)
      m = assert(codec.decode(vecs["v3-icrq"].bytes))
      assert.equal(1000000000, m.values.tx_connect_speed_v3)
      assert.equal("\18\233\84\15", m.values.assigned_cookie)
    end)

    it("keeps vendor AVPs apart from IETF ones", function()
      local m = assert(codec.decode(vecs["v2-vendor-avp"].bytes))
      assert.is_nil(m.values.protocol_version)
      assert.equal(3561, m.avps[2].vendor)
      assert.equal(2, m.avps[2].type)
      assert.is_nil(m.avps[2].name)
      assert.equal("\0\0\0\1", m.avps[2].value)
    end)

    it("unhides hidden AVPs with the secret", function()
      local m = assert(codec.decode(vecs["v2-hidden"].bytes, { secret = "s3cret" }))
      assert.equal("a-rather-long-host-name.example", m.values.host_name)
      assert.equal(0x4321, m.values.assigned_tunnel_id)
      assert.is_true(m.avps[5].hidden)
    end)

    it("names the problem, the byte offset and the RFC's answer", function()
      local m, err, info = codec.decode(hex("c802 001c 4321 0000 0001 0001 8008 0000 0000 0006 8008 0000 00c8 1234"))
      assert.is_nil(m)
      assert.equal("unknown AVP vendor 0 type 200 has the M bit set (at byte 20)", err)
      assert.same({ code = "unknown_mbit_avp", offset = 20, result_code = 2, error_code = 8, scope = "tunnel",
        message_type = "HELLO", avp_type = 200 }, info)
      m, err, info = codec.decode(hex("c802 0014 43"))
      assert.equal("truncated header: 5 bytes, a control header needs 12 (at byte 0)", err)
      assert.equal("truncated", info.code)
      assert.is_nil(info.result_code)
      m, err = codec.decode(vecs["v2-hidden"].bytes)
      assert.equal("hidden AVP type 7 but no shared secret is configured (at byte 60)", err)
      m, err = codec.decode(hex("c802 0014 4321 0000 0001 0001 8008 0000 0000 0001"))
      assert.equal("SCCRQ (L2TPv2) is missing the required Protocol Version AVP (at byte 12)", err)
      m = assert(codec.decode(hex("c802 0014 4321 0000 0001 0001 8008 0000 0000 0001"), { validate = false }))
      assert.equal("SCCRQ", m.type)
    end)

    it("rejects unknown options", function()
      assert.equal("l2tp.codec.decode: unknown key 'secrt' (accepted: secret, over_ip, validate)",
        h.raises(codec.decode, "x", { secrt = "s" }))
    end)
  end)

  describe("encode", function()
    it("builds a message from names and values, adding the Message Type", function()
      local b = assert(codec.encode({ type = "ICRQ", tunnel_id = 0x4321, ns = 7, nr = 4, avps = {
        { name = "assigned_session_id", value = 0x99 },
        { name = "call_serial_number", value = 2 },
        { name = "calling_number", value = "5551234" },
      } }))
      local m = assert(codec.decode(b))
      assert.equal("ICRQ", m.type)
      assert.equal(0x4321, m.tunnel_id)
      assert.equal(7, m.ns)
      assert.equal(4, m.nr)
      assert.equal("message_type", m.avps[1].name)
      assert.equal("5551234", m.values.calling_number)
      assert.is_true(m.avps[2].mandatory) -- from the table's M-bit rule
    end)

    it("hides AVPs, inserting a Random Vector", function()
      local b = assert(codec.encode({ type = "SCCRP", tunnel_id = 1, avps = {
        { name = "protocol_version", value = { version = 1, revision = 0 } },
        { name = "framing_capabilities", value = 3 },
        { name = "host_name", value = "lns", hidden = true },
        { name = "assigned_tunnel_id", value = 9, hidden = true },
      } }, { secret = "k", random_vector = "0123456789abcdef" }))
      local m = assert(codec.decode(b, { secret = "k" }))
      assert.equal("random_vector", m.avps[4].name)
      assert.equal("0123456789abcdef", m.avps[4].value)
      assert.equal("lns", m.values.host_name)
      assert.is_nil(codec.decode(b, { secret = "wrong" }))
      -- padded with random bytes to a whole 16-byte block by default
      -- (l2tpns refuses a hidden value under 8 bytes), or as asked
      assert.equal(16, m.avps[5].hidden_length)
      assert.equal(16, m.avps[6].hidden_length)
      assert.is_nil(m.avps[4].hidden_length)
      b = assert(codec.encode({ type = "HELLO", avps = {
        { name = "assigned_tunnel_id", value = 9, hidden = true, hidden_length = 40 } } }, { secret = "k" }))
      m = assert(codec.decode(b, { secret = "k" }))
      assert.equal(40, m.avps[3].hidden_length)
      assert.equal(9, m.values.assigned_tunnel_id)
      assert.equal("l2tp.codec.encode: avps[1] (assigned_tunnel_id): hidden_length 3 does not hold the 2-byte value "
        .. "and its 2-byte length (accepted: 4-1017)", h.raises(codec.encode, { type = "HELLO", avps = {
          { name = "assigned_tunnel_id", value = 9, hidden = true, hidden_length = 3 } } }, { secret = "k" }))
    end)

    it("builds malformed messages when asked", function()
      local b = assert(codec.encode({ type = "StopCCN" }, { validate = false }))
      assert.equal(20, #b)
      local _, err = codec.encode({ type = "StopCCN" })
      assert.equal("StopCCN (L2TPv2) is missing the required Assigned Tunnel ID AVP (at byte 0)", err)
      -- a raw value of the wrong size, and a lying length field
      b = assert(codec.encode({ type = "HELLO", avps = { { name = "assigned_tunnel_id", bytes = "\1" } } },
        { validate = false, length = 200 }))
      local _, derr = codec.decode(b)
      assert.equal("length field 200 exceeds the 27 bytes of the datagram (at byte 2)", derr)
      -- unknown AVP with the M bit, for testing a peer's answer
      b = assert(codec.encode({ type = "HELLO", avps = { { type = 200, value = "\0", mandatory = true } } }))
      local _, e2, info = codec.decode(b)
      assert.equal("unknown_mbit_avp", info.code)
    end)

    it("raises on programming errors, naming the AVP", function()
      assert.equal("l2tp.codec.encode: avps[1]: unknown AVP name 'hostname'",
        h.raises(codec.encode, { type = "HELLO", avps = { { name = "hostname", value = "x" } } }))
      assert.equal("l2tp.codec.encode: avps[1] (assigned_tunnel_id): value must be a number, got string",
        h.raises(codec.encode, { type = "HELLO", avps = { { name = "assigned_tunnel_id", value = "x" } } }))
      assert.equal("l2tp.codec.encode: avps[1] (assigned_tunnel_id): value 70000 is out of range (accepted: 0-65535)",
        h.raises(codec.encode, { type = "HELLO", avps = { { name = "assigned_tunnel_id", value = 70000 } } }))
      assert.equal("l2tp.codec.encode: message type 'HELO' is not known (accepted: ZLB, SCCRQ, SCCRP, SCCCN, StopCCN, "
        .. "HELLO, OCRQ, OCRP, OCCN, ICRQ, ICRP, ICCN, CDN, WEN, SLI, ACK, or a number)",
        h.raises(codec.encode, { type = "HELO" }))
      assert.equal("l2tp.codec.encode: message: unknown key 'tunnelid' (accepted: version, type, tunnel_id, "
        .. "session_id, connection_id, ns, nr, avps, type_code, description, length, values)",
        h.raises(codec.encode, { type = "HELLO", tunnelid = 1 }))
      assert.equal("l2tp.codec.encode: avps[1] (result_code): value must be a table {result=, error=, message=}, got number",
        h.raises(codec.encode, { type = "CDN", avps = { { name = "result_code", value = 1 } } }))
    end)

    it("encodes L2TPv3 over IP", function()
      local b = assert(codec.encode({ version = 3, type = "HELLO", connection_id = 0x1111 }, { over_ip = true }))
      assert.equal("\0\0\0\0", b:sub(1, 4))
      local m = assert(codec.decode(b, { over_ip = true }))
      assert.equal(0x1111, m.connection_id)
    end)
  end)

  describe("helpers", function()
    it("result_text gives the RFC's meaning", function()
      assert.equal("Requester is not authorized to establish a control channel", codec.result_text("StopCCN", 4))
      local r, e = codec.result_text("CDN", 2, 4)
      assert.equal("Call disconnected for the reason indicated in error code", r)
      assert.equal("Insufficient resources to handle this operation now", e)
    end)
    it("challenge_response is MD5(type, secret, challenge)", function()
      -- value computed with Python's hashlib
      assert.equal(hex("859bca0a715da1399f99f7bd42178852"),
        codec.challenge_response(2, "s3cret", hex("1122334455667788")))
    end)
    it("avps lists the table", function()
      local t = codec.avps()
      assert.equal(7, t.host_name.type)
      assert.equal("set", t.host_name.mbit)
      assert.is_false(t.message_type.may_hide)
    end)
  end)
end)
