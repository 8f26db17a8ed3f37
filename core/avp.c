/* The AVP table and the byte-level AVP helpers: hiding (RFC 2661 section
 * 4.3) and the tunnel authentication response (section 4.2). MD5 comes from
 * nettle. */
#include <errno.h>
#include <nettle/md5.h>
#include <string.h>

#include "l2tp/codec.h"
#include "util.h"

#define V2 L2TP_AVP_V2
#define V3 L2TP_AVP_V3
#define ANY_LEN 1017 /* the AVP length field has 10 bits, minus the 6-byte header */

/* type, name, key, data, min, max, M bit, may hide, versions */
static const struct l2tp_avp_info avps[] = {
	{0, "Message Type", "message_type", L2TP_AVP_D_U16, 2, 2, L2TP_MBIT_ANY, false, V2 | V3},
	{1, "Result Code", "result_code", L2TP_AVP_D_RESULT, 2, ANY_LEN, L2TP_MBIT_MUST_SET, true, V2 | V3},
	{2, "Protocol Version", "protocol_version", L2TP_AVP_D_PROTO_VERSION, 2, 2, L2TP_MBIT_MUST_SET, false, V2},
	{3, "Framing Capabilities", "framing_capabilities", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_SET, true, V2},
	{4, "Bearer Capabilities", "bearer_capabilities", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_SET, true, V2},
	{5, "Tie Breaker", "tie_breaker", L2TP_AVP_D_BYTES, 8, 8, L2TP_MBIT_MUST_CLEAR, false, V2 | V3},
	{6, "Firmware Revision", "firmware_revision", L2TP_AVP_D_U16, 2, 2, L2TP_MBIT_MUST_CLEAR, true, V2 | V3},
	{7, "Host Name", "host_name", L2TP_AVP_D_STRING, 1, ANY_LEN, L2TP_MBIT_MUST_SET, true, V2 | V3},
	{8, "Vendor Name", "vendor_name", L2TP_AVP_D_STRING, 0, ANY_LEN, L2TP_MBIT_MUST_CLEAR, true, V2 | V3},
	{9, "Assigned Tunnel ID", "assigned_tunnel_id", L2TP_AVP_D_U16, 2, 2, L2TP_MBIT_MUST_SET, true, V2},
	{10, "Receive Window Size", "receive_window_size", L2TP_AVP_D_U16, 2, 2, L2TP_MBIT_MUST_SET, false, V2 | V3},
	{11, "Challenge", "challenge", L2TP_AVP_D_BYTES, 1, ANY_LEN, L2TP_MBIT_MUST_SET, true, V2},
	{12, "Q.931 Cause Code", "q931_cause_code", L2TP_AVP_D_Q931, 3, ANY_LEN, L2TP_MBIT_MUST_SET, false, V2 | V3},
	{13, "Challenge Response", "challenge_response", L2TP_AVP_D_BYTES, 16, 16, L2TP_MBIT_MUST_SET, true, V2},
	{14, "Assigned Session ID", "assigned_session_id", L2TP_AVP_D_U16, 2, 2, L2TP_MBIT_MUST_SET, true, V2},
	{15, "Call Serial Number", "call_serial_number", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_SET, true, V2 | V3},
	{16, "Minimum BPS", "minimum_bps", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_SET, true, V2},
	{17, "Maximum BPS", "maximum_bps", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_SET, true, V2},
	{18, "Bearer Type", "bearer_type", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_SET, true, V2},
	{19, "Framing Type", "framing_type", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_SET, true, V2},
	{21, "Called Number", "called_number", L2TP_AVP_D_STRING, 0, ANY_LEN, L2TP_MBIT_MUST_SET, true, V2 | V3},
	{22, "Calling Number", "calling_number", L2TP_AVP_D_STRING, 0, ANY_LEN, L2TP_MBIT_MUST_SET, true, V2 | V3},
	{23, "Sub-Address", "sub_address", L2TP_AVP_D_STRING, 0, ANY_LEN, L2TP_MBIT_MUST_SET, true, V2 | V3},
	{24, "(Tx) Connect Speed", "tx_connect_speed", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_SET, true, V2},
	{25, "Physical Channel ID", "physical_channel_id", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_CLEAR, true, V2 | V3},
	{26, "Initial Received LCP CONFREQ", "initial_received_lcp_confreq", L2TP_AVP_D_BYTES, 0, ANY_LEN,
	 L2TP_MBIT_MUST_CLEAR, true, V2},
	{27, "Last Sent LCP CONFREQ", "last_sent_lcp_confreq", L2TP_AVP_D_BYTES, 0, ANY_LEN, L2TP_MBIT_MUST_CLEAR,
	 true, V2},
	{28, "Last Received LCP CONFREQ", "last_received_lcp_confreq", L2TP_AVP_D_BYTES, 0, ANY_LEN,
	 L2TP_MBIT_MUST_CLEAR, true, V2},
	{29, "Proxy Authen Type", "proxy_authen_type", L2TP_AVP_D_U16, 2, 2, L2TP_MBIT_MUST_CLEAR, true, V2},
	{30, "Proxy Authen Name", "proxy_authen_name", L2TP_AVP_D_STRING, 0, ANY_LEN, L2TP_MBIT_MUST_CLEAR, true, V2},
	{31, "Proxy Authen Challenge", "proxy_authen_challenge", L2TP_AVP_D_BYTES, 1, ANY_LEN, L2TP_MBIT_MUST_CLEAR,
	 true, V2},
	{32, "Proxy Authen ID", "proxy_authen_id", L2TP_AVP_D_U16, 2, 2, L2TP_MBIT_MUST_CLEAR, true, V2},
	{33, "Proxy Authen Response", "proxy_authen_response", L2TP_AVP_D_BYTES, 0, ANY_LEN, L2TP_MBIT_MUST_CLEAR,
	 true, V2},
	{34, "Call Errors", "call_errors", L2TP_AVP_D_CALL_ERRORS, 26, 26, L2TP_MBIT_MUST_SET, true, V2 | V3},
	{35, "ACCM", "accm", L2TP_AVP_D_ACCM, 10, 10, L2TP_MBIT_MUST_SET, true, V2 | V3},
	{36, "Random Vector", "random_vector", L2TP_AVP_D_BYTES, 1, ANY_LEN, L2TP_MBIT_MUST_SET, false, V2 | V3},
	{37, "Private Group ID", "private_group_id", L2TP_AVP_D_BYTES, 0, ANY_LEN, L2TP_MBIT_MUST_CLEAR, true, V2},
	{38, "Rx Connect Speed", "rx_connect_speed", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_CLEAR, true, V2},
	{39, "Sequencing Required", "sequencing_required", L2TP_AVP_D_EMPTY, 0, 0, L2TP_MBIT_MUST_SET, false, V2},
	{46, "PPP Disconnect Cause Code", "ppp_disconnect_cause", L2TP_AVP_D_PPP_DISCONNECT, 5, ANY_LEN,
	 L2TP_MBIT_MUST_CLEAR, false, V2 | V3},
	{58, "Extended Vendor ID", "extended_vendor_id", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_ANY, false, V3},
	{59, "Message Digest", "message_digest", L2TP_AVP_D_DIGEST, 17, 21, L2TP_MBIT_ANY, false, V3},
	{60, "Router ID", "router_id", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_SET, true, V3},
	{61, "Assigned Control Connection ID", "assigned_connection_id", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_SET, true,
	 V3},
	{62, "Pseudowire Capabilities List", "pw_capabilities_list", L2TP_AVP_D_U16_LIST, 0, ANY_LEN,
	 L2TP_MBIT_MUST_SET, true, V3},
	{63, "Local Session ID", "local_session_id", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_SET, true, V3},
	{64, "Remote Session ID", "remote_session_id", L2TP_AVP_D_U32, 4, 4, L2TP_MBIT_MUST_SET, true, V3},
	{65, "Assigned Cookie", "assigned_cookie", L2TP_AVP_D_BYTES, 4, 8, L2TP_MBIT_MUST_SET, true, V3},
	{66, "Remote End ID", "remote_end_id", L2TP_AVP_D_BYTES, 1, ANY_LEN, L2TP_MBIT_MUST_SET, true, V3},
	{68, "Pseudowire Type", "pw_type", L2TP_AVP_D_U16, 2, 2, L2TP_MBIT_MUST_SET, true, V3},
	{69, "L2-Specific Sublayer", "l2_specific_sublayer", L2TP_AVP_D_U16, 2, 2, L2TP_MBIT_MUST_SET, true, V3},
	{70, "Data Sequencing", "data_sequencing", L2TP_AVP_D_U16, 2, 2, L2TP_MBIT_MUST_SET, true, V3},
	{71, "Circuit Status", "circuit_status", L2TP_AVP_D_U16, 2, 2, L2TP_MBIT_MUST_SET, true, V3},
	{72, "Preferred Language", "preferred_language", L2TP_AVP_D_STRING, 1, ANY_LEN, L2TP_MBIT_MUST_CLEAR, true,
	 V3},
	{73, "Control Message Authentication Nonce", "ctrl_msg_auth_nonce", L2TP_AVP_D_BYTES, 16, 64,
	 L2TP_MBIT_MUST_SET, false, V3},
	{74, "Tx Connect Speed", "tx_connect_speed_v3", L2TP_AVP_D_U64, 8, 8, L2TP_MBIT_MUST_CLEAR, true, V3},
	{75, "Rx Connect Speed", "rx_connect_speed_v3", L2TP_AVP_D_U64, 8, 8, L2TP_MBIT_MUST_CLEAR, true, V3},
};

#define NAVPS (sizeof(avps) / sizeof(avps[0]))

const struct l2tp_avp_info *l2tp_avp_info(uint16_t vendor, uint16_t type)
{
	/* Only the IETF's numbers are ours; a vendor's type 2 is not
	 * Protocol Version. */
	if (vendor != 0)
		return NULL;
	size_t lo = 0, hi = NAVPS;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (avps[mid].type == type)
			return &avps[mid];
		if (avps[mid].type < type)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct l2tp_avp_info *l2tp_avp_info_by_key(const char *key)
{
	for (size_t i = 0; i < NAVPS; i++)
		if (strcmp(avps[i].key, key) == 0)
			return &avps[i];
	return NULL;
}

const struct l2tp_avp_info *l2tp_avp_table(size_t *count)
{
	*count = NAVPS;
	return avps;
}

uint16_t l2tp_avp_u16(const struct l2tp_avp *a)
{
	return a->len >= 2 ? l2tp_get16(a->value) : 0;
}

uint32_t l2tp_avp_u32(const struct l2tp_avp *a)
{
	if (a->len < 4)
		return 0;
	return l2tp_get32(a->value);
}

uint64_t l2tp_avp_u64(const struct l2tp_avp *a)
{
	uint64_t v = 0;
	if (a->len < 8)
		return 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | a->value[i];
	return v;
}

/* The keystream of section 4.3: block 1 is MD5(type, secret, RV), each
 * next block MD5(secret, previous ciphertext block). decrypt says whether
 * buf holds ciphertext (the chaining input is then what we read) or
 * plaintext (the chaining input is what we write). */
static void hide_xor(uint16_t type, const uint8_t *secret, size_t secret_len, const uint8_t *rv, size_t rv_len,
		     uint8_t *buf, size_t len, bool decrypt)
{
	struct md5_ctx md5;
	uint8_t block[MD5_DIGEST_SIZE], tbytes[2] = {(uint8_t)(type >> 8), (uint8_t)type};
	uint8_t cipher[MD5_DIGEST_SIZE];

	md5_init(&md5);
	md5_update(&md5, 2, tbytes);
	md5_update(&md5, secret_len, secret);
	md5_update(&md5, rv_len, rv);
	md5_digest(&md5, MD5_DIGEST_SIZE, block);
	for (size_t off = 0; off < len; off += MD5_DIGEST_SIZE) {
		size_t n = len - off < MD5_DIGEST_SIZE ? len - off : MD5_DIGEST_SIZE;
		if (decrypt)
			memcpy(cipher, buf + off, n);
		for (size_t i = 0; i < n; i++)
			buf[off + i] ^= block[i];
		if (!decrypt)
			memcpy(cipher, buf + off, n);
		if (off + n < len) {
			md5_init(&md5);
			md5_update(&md5, secret_len, secret);
			md5_update(&md5, MD5_DIGEST_SIZE, cipher);
			md5_digest(&md5, MD5_DIGEST_SIZE, block);
		}
	}
}

int l2tp_avp_unhide(uint16_t type, const uint8_t *secret, size_t secret_len, const uint8_t *rv, size_t rv_len,
		    uint8_t *hidden, size_t hidden_len, uint16_t *orig_len)
{
	if (hidden_len < 2)
		return -EINVAL;
	hide_xor(type, secret, secret_len, rv, rv_len, hidden, hidden_len, true);
	*orig_len = (uint16_t)(hidden[0] << 8 | hidden[1]);
	/* Padding may follow the value (Juniper pads), but the value itself
	 * must fit in what was hidden: a wrong secret usually fails here. */
	if ((size_t)*orig_len > hidden_len - 2)
		return -EBADMSG;
	return 0;
}

void l2tp_avp_hide(uint16_t type, const uint8_t *secret, size_t secret_len, const uint8_t *rv, size_t rv_len,
		   uint8_t *buf, size_t len)
{
	hide_xor(type, secret, secret_len, rv, rv_len, buf, len, false);
}

void l2tp_challenge_response(uint8_t msg_type, const uint8_t *secret, size_t secret_len,
			     const uint8_t *challenge, size_t challenge_len, uint8_t out[16])
{
	struct md5_ctx md5;
	md5_init(&md5);
	md5_update(&md5, 1, &msg_type);
	md5_update(&md5, secret_len, secret);
	md5_update(&md5, challenge_len, challenge);
	md5_digest(&md5, MD5_DIGEST_SIZE, out);
}

void l2tp_avp_value(const struct l2tp_avp_info *info, const struct l2tp_avp *a, struct l2tp_avp_value *out)
{
	const uint8_t *v = a->value;
	memset(out, 0, sizeof(*out));
	out->data = info ? info->data : L2TP_AVP_D_BYTES;
	switch (out->data) {
	case L2TP_AVP_D_EMPTY: break;
	case L2TP_AVP_D_U8: out->u = v[0]; break;
	case L2TP_AVP_D_U16: out->u = l2tp_avp_u16(a); break;
	case L2TP_AVP_D_U32: out->u = l2tp_avp_u32(a); break;
	case L2TP_AVP_D_U64: out->u = l2tp_avp_u64(a); break;
	case L2TP_AVP_D_STRING:
	case L2TP_AVP_D_BYTES:
	case L2TP_AVP_D_U16_LIST:
		out->bytes.p = v;
		out->bytes.len = a->len;
		break;
	case L2TP_AVP_D_RESULT:
		out->result.result_code = l2tp_get16(v);
		if (a->len >= 4) {
			out->result.has_error_code = true;
			out->result.error_code = l2tp_get16(v + 2);
		}
		if (a->len > 4) {
			out->result.message = (const char *)v + 4;
			out->result.message_len = (uint16_t)(a->len - 4);
		}
		break;
	case L2TP_AVP_D_PROTO_VERSION:
		out->proto.version = v[0];
		out->proto.revision = v[1];
		break;
	case L2TP_AVP_D_Q931:
		out->q931.cause = l2tp_get16(v);
		out->q931.msg = v[2];
		if (a->len > 3) {
			out->q931.advisory = (const char *)v + 3;
			out->q931.advisory_len = (uint16_t)(a->len - 3);
		}
		break;
	case L2TP_AVP_D_CALL_ERRORS:
		out->call_errors.crc = l2tp_get32(v + 2);
		out->call_errors.framing = l2tp_get32(v + 6);
		out->call_errors.hardware_overruns = l2tp_get32(v + 10);
		out->call_errors.buffer_overruns = l2tp_get32(v + 14);
		out->call_errors.timeouts = l2tp_get32(v + 18);
		out->call_errors.alignment = l2tp_get32(v + 22);
		break;
	case L2TP_AVP_D_ACCM:
		out->accm.send = l2tp_get32(v + 2);
		out->accm.recv = l2tp_get32(v + 6);
		break;
	case L2TP_AVP_D_DIGEST:
		out->digest.type = v[0];
		out->digest.digest = v + 1;
		out->digest.len = (uint16_t)(a->len - 1);
		break;
	case L2TP_AVP_D_PPP_DISCONNECT:
		out->ppp_disconnect.code = l2tp_get16(v);
		out->ppp_disconnect.protocol = l2tp_get16(v + 2);
		out->ppp_disconnect.direction = v[4];
		if (a->len > 5) {
			out->ppp_disconnect.message = (const char *)v + 5;
			out->ppp_disconnect.message_len = (uint16_t)(a->len - 5);
		}
		break;
	}
}

uint16_t l2tp_avp_list_u16(const struct l2tp_avp_value *v, size_t n)
{
	return 2 * n + 1 < v->bytes.len ? l2tp_get16(v->bytes.p + 2 * n) : 0;
}
