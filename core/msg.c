/* Control and data message headers, the message table, and the message
 * codec. Every read is bounds-checked against what the datagram holds. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "l2tp/codec.h"
#include "util.h"

#define END 0xffffu
#define T_BIT 0x8000u
#define L_BIT 0x4000u
#define S_BIT 0x0800u
#define O_BIT 0x0200u
#define P_BIT 0x0100u
#define AVP_M 0x8000u
#define AVP_H 0x4000u
#define AVP_RSVD 0x3c00u
#define AVP_LEN 0x03ffu

struct msg_info {
	uint16_t type;
	const char *name;
	const char *desc;
	bool session;
	uint16_t req_v2[9]; /* required AVPs besides Message Type */
	uint16_t req_v3[9];
};

/* RFC 2661 section 6 and RFC 3931 section 6: what each message must carry. */
static const struct msg_info msgs[] = {
	{L2TP_MSG_SCCRQ, "SCCRQ", "Start-Control-Connection-Request", false,
	 {L2TP_AVP_PROTOCOL_VERSION, L2TP_AVP_HOST_NAME, L2TP_AVP_FRAMING_CAPABILITIES, L2TP_AVP_ASSIGNED_TUNNEL_ID, END},
	 {L2TP_AVP_HOST_NAME, L2TP_AVP_ROUTER_ID, L2TP_AVP_ASSIGNED_CONNECTION_ID, L2TP_AVP_PW_CAPABILITIES_LIST, END}},
	{L2TP_MSG_SCCRP, "SCCRP", "Start-Control-Connection-Reply", false,
	 {L2TP_AVP_PROTOCOL_VERSION, L2TP_AVP_FRAMING_CAPABILITIES, L2TP_AVP_HOST_NAME, L2TP_AVP_ASSIGNED_TUNNEL_ID, END},
	 {L2TP_AVP_HOST_NAME, L2TP_AVP_ROUTER_ID, L2TP_AVP_ASSIGNED_CONNECTION_ID, L2TP_AVP_PW_CAPABILITIES_LIST, END}},
	{L2TP_MSG_SCCCN, "SCCCN", "Start-Control-Connection-Connected", false, {END}, {END}},
	{L2TP_MSG_STOPCCN, "StopCCN", "Stop-Control-Connection-Notification", false,
	 {L2TP_AVP_ASSIGNED_TUNNEL_ID, L2TP_AVP_RESULT_CODE, END}, {L2TP_AVP_RESULT_CODE, END}},
	{L2TP_MSG_HELLO, "HELLO", "Hello", false, {END}, {END}},
	{L2TP_MSG_OCRQ, "OCRQ", "Outgoing-Call-Request", true,
	 {L2TP_AVP_ASSIGNED_SESSION_ID, L2TP_AVP_CALL_SERIAL_NUMBER, L2TP_AVP_MINIMUM_BPS, L2TP_AVP_MAXIMUM_BPS,
	  L2TP_AVP_BEARER_TYPE, L2TP_AVP_FRAMING_TYPE, L2TP_AVP_CALLED_NUMBER, END},
	 {L2TP_AVP_LOCAL_SESSION_ID, L2TP_AVP_REMOTE_SESSION_ID, L2TP_AVP_CALL_SERIAL_NUMBER, L2TP_AVP_PW_TYPE, END}},
	{L2TP_MSG_OCRP, "OCRP", "Outgoing-Call-Reply", true, {L2TP_AVP_ASSIGNED_SESSION_ID, END},
	 {L2TP_AVP_LOCAL_SESSION_ID, L2TP_AVP_REMOTE_SESSION_ID, END}},
	{L2TP_MSG_OCCN, "OCCN", "Outgoing-Call-Connected", true, {L2TP_AVP_TX_CONNECT_SPEED, L2TP_AVP_FRAMING_TYPE, END},
	 {L2TP_AVP_LOCAL_SESSION_ID, L2TP_AVP_REMOTE_SESSION_ID, END}},
	{L2TP_MSG_ICRQ, "ICRQ", "Incoming-Call-Request", true,
	 {L2TP_AVP_ASSIGNED_SESSION_ID, L2TP_AVP_CALL_SERIAL_NUMBER, END},
	 {L2TP_AVP_LOCAL_SESSION_ID, L2TP_AVP_REMOTE_SESSION_ID, L2TP_AVP_CALL_SERIAL_NUMBER, L2TP_AVP_PW_TYPE, END}},
	{L2TP_MSG_ICRP, "ICRP", "Incoming-Call-Reply", true, {L2TP_AVP_ASSIGNED_SESSION_ID, END},
	 {L2TP_AVP_LOCAL_SESSION_ID, L2TP_AVP_REMOTE_SESSION_ID, END}},
	{L2TP_MSG_ICCN, "ICCN", "Incoming-Call-Connected", true, {L2TP_AVP_TX_CONNECT_SPEED, L2TP_AVP_FRAMING_TYPE, END},
	 {L2TP_AVP_LOCAL_SESSION_ID, L2TP_AVP_REMOTE_SESSION_ID, END}},
	{L2TP_MSG_CDN, "CDN", "Call-Disconnect-Notify", true, {L2TP_AVP_RESULT_CODE, L2TP_AVP_ASSIGNED_SESSION_ID, END},
	 {L2TP_AVP_RESULT_CODE, L2TP_AVP_LOCAL_SESSION_ID, L2TP_AVP_REMOTE_SESSION_ID, END}},
	{L2TP_MSG_WEN, "WEN", "WAN-Error-Notify", true, {L2TP_AVP_CALL_ERRORS, END},
	 {L2TP_AVP_LOCAL_SESSION_ID, L2TP_AVP_REMOTE_SESSION_ID, L2TP_AVP_CALL_ERRORS, END}},
	{L2TP_MSG_SLI, "SLI", "Set-Link-Info", true, {L2TP_AVP_ACCM, END},
	 {L2TP_AVP_LOCAL_SESSION_ID, L2TP_AVP_REMOTE_SESSION_ID, END}},
	{L2TP_MSG_ACK, "ACK", "Explicit-Acknowledgement", false, {END}, {END}},
};

#define NMSGS (sizeof(msgs) / sizeof(msgs[0]))

static const struct msg_info *msg_info(uint16_t type)
{
	for (size_t i = 0; i < NMSGS; i++)
		if (msgs[i].type == type)
			return &msgs[i];
	return NULL;
}

const char *l2tp_msg_type_name(uint16_t type)
{
	if (type == L2TP_MSG_ZLB)
		return "ZLB";
	const struct msg_info *m = msg_info(type);
	return m ? m->name : NULL;
}

const char *l2tp_msg_type_description(uint16_t type)
{
	if (type == L2TP_MSG_ZLB)
		return "Zero-Length Body acknowledgement";
	const struct msg_info *m = msg_info(type);
	return m ? m->desc : NULL;
}

int l2tp_msg_type_parse(const char *name, uint16_t *out)
{
	if (strcmp(name, "ZLB") == 0) {
		*out = L2TP_MSG_ZLB;
		return 0;
	}
	for (size_t i = 0; i < NMSGS; i++) {
		if (strcmp(msgs[i].name, name) == 0) {
			*out = msgs[i].type;
			return 0;
		}
	}
	return -EINVAL;
}

bool l2tp_msg_type_is_session(uint16_t type)
{
	const struct msg_info *m = msg_info(type);
	return m && m->session;
}

const char *l2tp_result_code_text(uint16_t msg_type, uint16_t result)
{
	static const char *const stopccn[] = {
		"Reserved",
		"General request to clear control connection",
		"General error, Error Code indicates the problem",
		"Control channel already exists",
		"Requester is not authorized to establish a control channel",
		"The protocol version of the requester is not supported",
		"Requester is being shut down",
		"Finite State Machine error",
	};
	static const char *const cdn[] = {
		"Reserved",
		"Call disconnected due to loss of carrier",
		"Call disconnected for the reason indicated in error code",
		"Call disconnected for administrative reasons",
		"Call failed due to lack of appropriate facilities being available (temporary condition)",
		"Call failed due to lack of appropriate facilities being available (permanent condition)",
		"Invalid destination",
		"Call failed due to no carrier detected",
		"Call failed due to detection of a busy signal",
		"Call failed due to lack of a dial tone",
		"Call was not established within time allotted by LAC",
		"Call was connected but no appropriate framing was detected",
		"Unknown result code 12",
		"Session not established due to losing tie breaker",
		"Session not established due to unsupported PW type",
		"Session not established, sequencing required without valid L2-Specific Sublayer",
		"Finite state machine error or timeout",
	};
	if (msg_type == L2TP_MSG_STOPCCN) {
		if (result < sizeof(stopccn) / sizeof(stopccn[0]))
			return stopccn[result];
	} else if (result < sizeof(cdn) / sizeof(cdn[0]) && result != 12) {
		return cdn[result];
	}
	return "Unknown result code";
}

const char *l2tp_error_code_text(uint16_t error)
{
	static const char *const errs[] = {
		"No general error",
		"No control connection exists yet for this pair of peers",
		"Length is wrong",
		"One of the field values was out of range or reserved field was non-zero",
		"Insufficient resources to handle this operation now",
		"The Session ID is invalid in this context",
		"A generic vendor-specific error occurred",
		"Try another",
		"Session or tunnel was shutdown due to receipt of an unknown AVP with the M-bit set",
	};
	if (error < sizeof(errs) / sizeof(errs[0]))
		return errs[error];
	return "Unknown error code";
}

/* Fills err and returns -EBADMSG (or -ENOSPC/-EINVAL as the code says). */
static int fail(struct l2tp_codec_error *err, enum l2tp_codec_err code, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct l2tp_codec_error *err, enum l2tp_codec_err code, size_t offset, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		char msg[160];
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		err->code = code;
		err->offset = offset;
		snprintf(err->message, sizeof(err->message), "%s (at byte %zu)", msg, offset);
	}
	if (code == L2TP_CODEC_NO_SPACE)
		return -ENOSPC;
	if (code == L2TP_CODEC_BAD_INPUT)
		return -EINVAL;
	return -EBADMSG;
}

/* How the RFC says to answer a message we cannot accept. */
static void answer(struct l2tp_codec_error *err, uint16_t msg_type, uint16_t error_code)
{
	if (!err)
		return;
	err->msg_type = msg_type;
	err->session_scope = l2tp_msg_type_is_session(msg_type);
	err->result_code = err->session_scope ? L2TP_RESULT_CDN_ERROR : L2TP_RESULT_STOPCCN_ERROR;
	err->error_code = error_code;
}

/* The control header: T, L and S set, O and P clear; 12 bytes, plus the
 * zero session ID that leads an L2TPv3 control message over IP. */
static int control_header(const uint8_t *buf, size_t len, bool over_ip, struct l2tp_header *h,
			  struct l2tp_codec_error *err)
{
	size_t base = over_ip ? 4 : 0;
	memset(h, 0, sizeof(*h));
	if (over_ip) {
		if (len < 4)
			return fail(err, L2TP_CODEC_TRUNCATED, 0, "truncated: %zu bytes, L2TPv3 over IP needs 4 for the session ID", len);
		uint32_t sid = l2tp_get32(buf);
		if (sid != 0)
			return fail(err, L2TP_CODEC_BAD_CONTROL_BITS, 0,
				    "session ID %u is not 0: a data message, not a control message", sid);
	}
	if (len < base + 2)
		return fail(err, L2TP_CODEC_TRUNCATED, base, "truncated header: %zu bytes", len);
	uint16_t flags = l2tp_get16(buf + base);
	h->version = flags & 0x0f;
	if (h->version != 2 && h->version != 3)
		return fail(err, L2TP_CODEC_BAD_VERSION, base, "version %u is not supported (accepted: 2, 3)", h->version);
	if (over_ip && h->version != 3)
		return fail(err, L2TP_CODEC_BAD_VERSION, base, "version %u over IP (only L2TPv3 runs over IP)", h->version);
	h->control = flags & T_BIT;
	h->has_length = flags & L_BIT;
	h->has_seq = flags & S_BIT;
	h->has_offset = flags & O_BIT;
	h->priority = flags & P_BIT;
	if (!h->control || !h->has_length || !h->has_seq || h->has_offset || h->priority)
		return fail(err, L2TP_CODEC_BAD_CONTROL_BITS, base,
			    "control message flags 0x%04x: T, L and S must be set and O, P clear", flags);
	if (len < base + 12)
		return fail(err, L2TP_CODEC_TRUNCATED, base, "truncated header: %zu bytes, a control header needs %zu", len,
			    base + 12);
	h->length = l2tp_get16(buf + base + 2);
	if (h->length > len - base)
		return fail(err, L2TP_CODEC_BAD_LENGTH, base + 2, "length field %u exceeds the %zu bytes of the datagram",
			    h->length, len - base);
	if (h->length < 12)
		return fail(err, L2TP_CODEC_BAD_LENGTH, base + 2, "length field %u is shorter than the 12-byte header",
			    h->length);
	if (h->version == 2) {
		h->tunnel_id = l2tp_get16(buf + base + 4);
		h->session_id = l2tp_get16(buf + base + 6);
	} else {
		h->tunnel_id = l2tp_get32(buf + base + 4);
	}
	h->ns = l2tp_get16(buf + base + 8);
	h->nr = l2tp_get16(buf + base + 10);
	h->header_len = base + 12;
	return 0;
}

int l2tp_msg_peek(const uint8_t *buf, size_t len, bool over_ip, struct l2tp_header *h, uint16_t *type)
{
	int rc = control_header(buf, len, over_ip, h, NULL);
	if (rc)
		return rc;
	size_t off = h->header_len, end = (over_ip ? 4 : 0) + (size_t)h->length;
	*type = L2TP_MSG_UNKNOWN;
	if (off == end)
		*type = L2TP_MSG_ZLB;
	else if (end - off >= 8 && (l2tp_get16(buf + off) & (AVP_H | AVP_LEN)) == 8 && l2tp_get16(buf + off + 2) == 0 &&
		 l2tp_get16(buf + off + 4) == L2TP_AVP_MESSAGE_TYPE)
		*type = l2tp_get16(buf + off + 6);
	return 0;
}

/* Checks a value against what its data type allows beyond the table's
 * bounds (Result Code of 3 bytes, odd lists, 5-byte cookies). */
static bool value_shape_ok(const struct l2tp_avp_info *info, uint16_t len)
{
	if (len < info->min_len || len > info->max_len)
		return false;
	switch (info->data) {
	case L2TP_AVP_D_RESULT: return len != 3;
	case L2TP_AVP_D_U16_LIST: return len % 2 == 0;
	case L2TP_AVP_D_DIGEST: return len == 17 || len == 21;
	default: break;
	}
	if (info->type == L2TP_AVP_ASSIGNED_COOKIE)
		return len == 4 || len == 8;
	return true;
}

int l2tp_msg_decode(uint8_t *buf, size_t len, const struct l2tp_decode_opts *opts, struct l2tp_msg *msg,
		    struct l2tp_codec_error *err)
{
	static const struct l2tp_decode_opts none;
	const uint8_t *rv = NULL;
	size_t rv_len = 0;
	int rc;

	if (!opts)
		opts = &none;
	if (err)
		memset(err, 0, sizeof(*err));
	msg->navps = 0;
	msg->type = L2TP_MSG_ZLB;
	msg->scratch_used = 0;
	rc = control_header(buf, len, opts->over_ip, &msg->hdr, err);
	if (rc)
		return rc;

	size_t base = opts->over_ip ? 4 : 0;
	size_t end = base + msg->hdr.length;
	size_t off = msg->hdr.header_len;
	bool mtype_mandatory = false;

	while (off < end) {
		size_t left = end - off;
		if (left < 6)
			return fail(err, L2TP_CODEC_AVP_OVERRUN, off,
				    "AVP header runs past the message end: %zu bytes left, a header needs 6", left);
		uint16_t w = l2tp_get16(buf + off);
		uint16_t alen = w & AVP_LEN;
		struct l2tp_avp a = {
			.vendor = l2tp_get16(buf + off + 2),
			.type = l2tp_get16(buf + off + 4),
			.mandatory = w & AVP_M,
			.hidden = w & AVP_H,
			.hidden_len = w & AVP_H ? (uint16_t)(alen - 6) : 0,
			.offset = off,
		};
		if (alen < 6) {
			rc = fail(err, L2TP_CODEC_AVP_TOO_SHORT, off, "AVP length %u is under 6", alen);
			goto answer_length;
		}
		if (alen > left) {
			rc = fail(err, L2TP_CODEC_AVP_OVERRUN, off, "AVP length %u runs past the message end (%zu bytes left)",
				  alen, left);
			goto answer_length;
		}
		if (msg->navps == 0 && (a.vendor != 0 || a.type != L2TP_AVP_MESSAGE_TYPE))
			return fail(err, L2TP_CODEC_FIRST_NOT_MSGTYPE, off,
				    "first AVP is vendor %u type %u, not Message Type", a.vendor, a.type);
		if (w & AVP_RSVD) {
			rc = fail(err, L2TP_CODEC_AVP_RESERVED, off, "AVP vendor %u type %u has reserved bits set (0x%04x)",
				  a.vendor, a.type, w & AVP_RSVD);
			answer(err, msg->type, L2TP_ERROR_BAD_VALUE);
			return rc;
		}
		if (msg->navps >= L2TP_MAX_AVPS)
			return fail(err, L2TP_CODEC_TOO_MANY_AVPS, off, "more than %d AVPs", L2TP_MAX_AVPS);

		const struct l2tp_avp_info *info = l2tp_avp_info(a.vendor, a.type);
		uint8_t *val = buf + off + 6;
		a.len = (uint16_t)(alen - 6);
		if (a.hidden) {
			if (info && !info->may_hide) {
				rc = fail(err, L2TP_CODEC_HIDDEN_NOT_ALLOWED, off, "%s AVP must not be hidden", info->name);
				answer(err, msg->type, L2TP_ERROR_BAD_VALUE);
				return rc;
			}
			if (!rv)
				return fail(err, L2TP_CODEC_HIDDEN_NO_RV, off,
					    "hidden AVP type %u without a Random Vector AVP before it", a.type);
			if (!opts->secret)
				return fail(err, L2TP_CODEC_HIDDEN_NO_SECRET, off,
					    "hidden AVP type %u but no shared secret is configured", a.type);
			uint16_t orig;
			if (l2tp_avp_unhide(a.type, opts->secret, opts->secret_len, rv, rv_len, val, a.len, &orig) != 0) {
				rc = fail(err, L2TP_CODEC_HIDDEN_BAD_LENGTH, off,
					  "hidden AVP type %u: decrypted length %u does not fit its %u bytes (wrong secret?)",
					  a.type, a.len >= 2 ? l2tp_get16(val) : 0, a.len >= 2 ? a.len - 2 : 0);
				answer(err, msg->type, L2TP_ERROR_BAD_LENGTH);
				return rc;
			}
			val += 2;
			a.len = orig;
		}
		a.value = val;
		if (info && !value_shape_ok(info, a.len)) {
			if (info->type == L2TP_AVP_MESSAGE_TYPE)
				return fail(err, L2TP_CODEC_AVP_BAD_LENGTH, off, "Message Type AVP value has %u bytes (accepted: 2)",
					    a.len);
			rc = fail(err, L2TP_CODEC_AVP_BAD_LENGTH, off, "%s AVP value has %u bytes (accepted: %u-%u%s)",
				  info->name, a.len, info->min_len, info->max_len,
				  info->data == L2TP_AVP_D_RESULT ? ", not 3" :
				  info->data == L2TP_AVP_D_U16_LIST ? ", even" :
				  info->type == L2TP_AVP_ASSIGNED_COOKIE ? ", 4 or 8" : "");
			answer(err, msg->type, L2TP_ERROR_BAD_LENGTH);
			return rc;
		}
		if (msg->navps == 0) {
			msg->type = l2tp_get16(val);
			mtype_mandatory = a.mandatory;
			if (!msg_info(msg->type) || msg->type == L2TP_MSG_ZLB) {
				rc = fail(err, L2TP_CODEC_BAD_MSGTYPE, off, "unknown message type %u%s", msg->type,
					  mtype_mandatory ? " with the M bit set" : " (M bit clear: ignore it)");
				/* With M set the control connection must go
				 * (RFC 2661 section 4.4.1); without, drop. */
				if (mtype_mandatory && err) {
					err->result_code = L2TP_RESULT_STOPCCN_ERROR;
					err->error_code = L2TP_ERROR_BAD_VALUE;
					err->msg_type = msg->type;
				}
				return rc;
			}
		} else if (!info && a.mandatory) {
			rc = fail(err, L2TP_CODEC_UNKNOWN_MBIT_AVP, off, "unknown AVP vendor %u type %u has the M bit set",
				  a.vendor, a.type);
			answer(err, msg->type, L2TP_ERROR_UNKNOWN_MBIT_AVP);
			if (err)
				err->avp_type = a.type;
			return rc;
		}
		if (info && info->type == L2TP_AVP_RANDOM_VECTOR) {
			rv = a.value;
			rv_len = a.len;
		}
		msg->avps[msg->navps++] = a;
		off += alen;
	}

	if (opts->no_validate)
		return 0;
	return l2tp_msg_validate(msg, err);

answer_length:
	answer(err, msg->type, L2TP_ERROR_BAD_LENGTH);
	return rc;
}

const struct l2tp_avp *l2tp_msg_find(const struct l2tp_msg *msg, uint16_t type)
{
	for (size_t i = 0; i < msg->navps; i++)
		if (msg->avps[i].vendor == 0 && msg->avps[i].type == type)
			return &msg->avps[i];
	return NULL;
}

int l2tp_msg_validate(const struct l2tp_msg *msg, struct l2tp_codec_error *err)
{
	if (msg->type == L2TP_MSG_ZLB) {
		if (msg->navps)
			return fail(err, L2TP_CODEC_BAD_INPUT, 0, "a ZLB carries no AVPs, this one has %zu", msg->navps);
		return 0;
	}
	const struct msg_info *m = msg_info(msg->type);
	if (!m)
		return fail(err, L2TP_CODEC_BAD_MSGTYPE, 0, "unknown message type %u", msg->type);
	const uint16_t *req = msg->hdr.version == 3 ? m->req_v3 : m->req_v2;
	for (; *req != END; req++) {
		if (!l2tp_msg_find(msg, *req)) {
			const struct l2tp_avp_info *info = l2tp_avp_info(0, *req);
			int rc = fail(err, L2TP_CODEC_MISSING_AVP, msg->hdr.header_len,
				      "%s (L2TPv%u) is missing the required %s AVP", m->name, msg->hdr.version,
				      info ? info->name : "?");
			answer(err, msg->type, L2TP_ERROR_BAD_VALUE);
			if (err)
				err->avp_type = *req;
			return rc;
		}
	}
	return 0;
}

void l2tp_msg_init(struct l2tp_msg *msg, uint8_t version, uint16_t type)
{
	memset(&msg->hdr, 0, sizeof(msg->hdr));
	msg->hdr.version = version;
	msg->hdr.control = msg->hdr.has_length = msg->hdr.has_seq = true;
	msg->type = type;
	msg->navps = 0;
	msg->scratch_used = 0;
	if (type != L2TP_MSG_ZLB)
		l2tp_msg_add_u16(msg, L2TP_AVP_MESSAGE_TYPE, true, type);
}

int l2tp_msg_add(struct l2tp_msg *msg, uint16_t type, bool mandatory, bool hidden, const void *value, uint16_t len)
{
	if (msg->navps >= L2TP_MAX_AVPS)
		return -ENOSPC;
	msg->avps[msg->navps++] = (struct l2tp_avp){
		.vendor = 0, .type = type, .mandatory = mandatory, .hidden = hidden, .len = len, .value = value};
	return 0;
}

static int add_scratch(struct l2tp_msg *msg, uint16_t type, bool mandatory, const uint8_t *bytes, uint16_t n)
{
	if (msg->scratch_used + n > sizeof(msg->scratch))
		return -ENOSPC;
	uint8_t *p = msg->scratch + msg->scratch_used;
	memcpy(p, bytes, n);
	msg->scratch_used += n;
	return l2tp_msg_add(msg, type, mandatory, false, p, n);
}

int l2tp_msg_add_u16(struct l2tp_msg *msg, uint16_t type, bool mandatory, uint16_t v)
{
	uint8_t b[2];
	l2tp_put16(b, v);
	return add_scratch(msg, type, mandatory, b, 2);
}

int l2tp_msg_add_u32(struct l2tp_msg *msg, uint16_t type, bool mandatory, uint32_t v)
{
	uint8_t b[4];
	l2tp_put32(b, v);
	return add_scratch(msg, type, mandatory, b, 4);
}

int l2tp_msg_add_u64(struct l2tp_msg *msg, uint16_t type, bool mandatory, uint64_t v)
{
	uint8_t b[8];
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	return add_scratch(msg, type, mandatory, b, 8);
}

int l2tp_msg_add_result(struct l2tp_msg *msg, uint16_t result, uint16_t error, const char *message)
{
	uint8_t v[4 + 160];
	size_t mlen = message ? strlen(message) : 0;
	if (mlen > sizeof(v) - 4)
		mlen = sizeof(v) - 4;
	l2tp_put16(v, result);
	l2tp_put16(v + 2, error);
	if (mlen)
		memcpy(v + 4, message, mlen);
	return add_scratch(msg, L2TP_AVP_RESULT_CODE, true, v, (uint16_t)(4 + mlen));
}

static int put_avp(uint8_t *buf, size_t buflen, size_t *off, bool mandatory, bool hidden, uint16_t vendor,
		   uint16_t type, const uint8_t *value, size_t len, struct l2tp_codec_error *err)
{
	size_t total = 6 + len;
	if (total > AVP_LEN)
		return fail(err, L2TP_CODEC_BAD_INPUT, *off, "AVP type %u value of %zu bytes is too long (at most %d)", type,
			    len, AVP_LEN - 6 - (hidden ? 2 : 0));
	if (*off + total > buflen)
		return fail(err, L2TP_CODEC_NO_SPACE, *off, "no room for AVP type %u", type);
	l2tp_put16(buf + *off, (uint16_t)((mandatory ? AVP_M : 0) | (hidden ? AVP_H : 0) | total));
	l2tp_put16(buf + *off + 2, vendor);
	l2tp_put16(buf + *off + 4, type);
	if (len)
		memcpy(buf + *off + 6, value, len);
	*off += total;
	return 0;
}

int l2tp_msg_encode(const struct l2tp_msg *msg, const struct l2tp_encode_opts *opts, uint8_t *buf, size_t buflen,
		    size_t *outlen, struct l2tp_codec_error *err)
{
	static const struct l2tp_encode_opts none;
	const struct l2tp_header *h = &msg->hdr;
	uint8_t rvbuf[16];
	const uint8_t *rv = NULL;
	size_t rv_len = 0;
	int rc;

	if (!opts)
		opts = &none;
	if (err)
		memset(err, 0, sizeof(*err));
	if (h->version != 2 && h->version != 3)
		return fail(err, L2TP_CODEC_BAD_INPUT, 0, "version %u is not supported (accepted: 2, 3)", h->version);
	if (opts->over_ip && h->version != 3)
		return fail(err, L2TP_CODEC_BAD_INPUT, 0, "only L2TPv3 runs over IP");
	if (h->version == 2 && (h->tunnel_id > 0xffff || h->session_id > 0xffff))
		return fail(err, L2TP_CODEC_BAD_INPUT, 0, "L2TPv2 tunnel and session IDs are 16-bit");
	if (!opts->no_validate) {
		rc = l2tp_msg_validate(msg, err);
		if (rc)
			return rc;
	}

	size_t base = opts->over_ip ? 4 : 0;
	size_t off = base + 12;
	if (buflen < off)
		return fail(err, L2TP_CODEC_NO_SPACE, 0, "no room for the header");
	if (opts->over_ip)
		l2tp_put32(buf, 0);
	l2tp_put16(buf + base, (uint16_t)(T_BIT | L_BIT | S_BIT | h->version));
	if (h->version == 2) {
		l2tp_put16(buf + base + 4, (uint16_t)h->tunnel_id);
		l2tp_put16(buf + base + 6, (uint16_t)h->session_id);
	} else {
		l2tp_put32(buf + base + 4, h->tunnel_id);
	}
	l2tp_put16(buf + base + 8, h->ns);
	l2tp_put16(buf + base + 10, h->nr);

	bool need_mtype = msg->type != L2TP_MSG_ZLB &&
			  (msg->navps == 0 || msg->avps[0].vendor != 0 || msg->avps[0].type != L2TP_AVP_MESSAGE_TYPE);
	if (need_mtype) {
		uint8_t v[2];
		l2tp_put16(v, msg->type);
		rc = put_avp(buf, buflen, &off, true, false, 0, L2TP_AVP_MESSAGE_TYPE, v, 2, err);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < msg->navps; i++) {
		const struct l2tp_avp *a = &msg->avps[i];
		if (a->vendor == 0 && a->type == L2TP_AVP_RANDOM_VECTOR) {
			rv = a->value;
			rv_len = a->len;
		}
		if (!a->hidden) {
			rc = put_avp(buf, buflen, &off, a->mandatory, false, a->vendor, a->type, a->value, a->len, err);
			if (rc)
				return rc;
			continue;
		}
		if (!opts->secret)
			return fail(err, L2TP_CODEC_BAD_INPUT, off, "AVP type %u is to be hidden but no secret is given",
				    a->type);
		if (!rv) {
			/* RFC 2661 section 4.3: a Random Vector must precede the
			 * first hidden AVP; add one. */
			if (opts->random_vector) {
				rv = opts->random_vector;
				rv_len = opts->random_vector_len;
			} else {
				if (getrandom(rvbuf, sizeof(rvbuf), 0) != (ssize_t)sizeof(rvbuf))
					return fail(err, L2TP_CODEC_BAD_INPUT, off, "getrandom failed");
				rv = rvbuf;
				rv_len = sizeof(rvbuf);
			}
			rc = put_avp(buf, buflen, &off, true, false, 0, L2TP_AVP_RANDOM_VECTOR, rv, rv_len, err);
			if (rc)
				return rc;
		}
		uint8_t plain[AVP_LEN];
		size_t room = sizeof(plain) - 6, n = (size_t)a->len + 2;
		if (n > room)
			return fail(err, L2TP_CODEC_BAD_INPUT, off, "AVP type %u value of %u bytes is too long to hide",
				    a->type, a->len);
		l2tp_put16(plain, a->len);
		memcpy(plain + 2, a->value, a->len);
		/* Random padding to a whole MD5 block (section 4.3 allows it):
		 * it hides how long the value is, and l2tpns refuses a hidden
		 * value shorter than 8 bytes, which a 2-byte ID would be. A
		 * decoded AVP keeps the length it came with. */
		size_t padded = a->hidden_len >= n ? a->hidden_len : (n + 15) / 16 * 16;
		if (padded > room)
			padded = room;
		if (padded > n && getrandom(plain + n, padded - n, 0) != (ssize_t)(padded - n))
			return fail(err, L2TP_CODEC_BAD_INPUT, off, "getrandom failed");
		n = padded;
		l2tp_avp_hide(a->type, opts->secret, opts->secret_len, rv, rv_len, plain, n);
		rc = put_avp(buf, buflen, &off, a->mandatory, true, a->vendor, a->type, plain, n, err);
		if (rc)
			return rc;
	}
	if (off - base > 0xffff)
		return fail(err, L2TP_CODEC_BAD_INPUT, off, "message of %zu bytes is longer than 65535", off - base);
	l2tp_put16(buf + base + 2, (uint16_t)(off - base));
	*outlen = off;
	return 0;
}

/* Data messages: L2TPv2 over UDP (section 3.1 of RFC 2661), L2TPv3 over
 * UDP and IP (section 4.1 of RFC 3931) with cookie and the default
 * L2-specific sublayer (section 4.6). */
int l2tp_data_decode(const uint8_t *buf, size_t len, bool over_ip, const struct l2tp_data_params *p,
		     struct l2tp_data *d, struct l2tp_codec_error *err)
{
	static const struct l2tp_data_params none;
	size_t off = 0;
	if (!p)
		p = &none;
	if (err)
		memset(err, 0, sizeof(*err));
	memset(d, 0, sizeof(*d));
	if (over_ip) {
		if (len < 4)
			return fail(err, L2TP_CODEC_TRUNCATED, 0, "truncated: %zu bytes, a session ID needs 4", len);
		d->hdr.version = 3;
		d->hdr.session_id = l2tp_get32(buf);
		if (d->hdr.session_id == 0)
			return fail(err, L2TP_CODEC_BAD_CONTROL_BITS, 0, "session ID 0: a control message, not data");
		off = 4;
	} else {
		if (len < 2)
			return fail(err, L2TP_CODEC_TRUNCATED, 0, "truncated header: %zu bytes", len);
		uint16_t flags = l2tp_get16(buf);
		struct l2tp_header *h = &d->hdr;
		h->version = flags & 0x0f;
		if (flags & T_BIT)
			return fail(err, L2TP_CODEC_BAD_CONTROL_BITS, 0, "T bit set: a control message, not data");
		if (h->version == 3) {
			if (len < 8)
				return fail(err, L2TP_CODEC_TRUNCATED, 0, "truncated header: %zu bytes, L2TPv3 data needs 8", len);
			h->session_id = l2tp_get32(buf + 4);
			if (h->session_id == 0)
				return fail(err, L2TP_CODEC_BAD_CONTROL_BITS, 4, "session ID 0 is reserved (RFC 3931 section 4.1)");
			off = 8;
		} else if (h->version == 2) {
			h->has_length = flags & L_BIT;
			h->has_seq = flags & S_BIT;
			h->has_offset = flags & O_BIT;
			h->priority = flags & P_BIT;
			size_t need = 6 + (h->has_length ? 2 : 0) + (h->has_seq ? 4 : 0) + (h->has_offset ? 2 : 0);
			if (len < need)
				return fail(err, L2TP_CODEC_TRUNCATED, 0, "truncated header: %zu bytes, these flags need %zu",
					    len, need);
			off = 2;
			if (h->has_length) {
				h->length = l2tp_get16(buf + off);
				if (h->length > len)
					return fail(err, L2TP_CODEC_BAD_LENGTH, off,
						    "length field %u exceeds the %zu bytes of the datagram", h->length, len);
				if (h->length < need)
					return fail(err, L2TP_CODEC_BAD_LENGTH, off,
						    "length field %u is shorter than the %zu-byte header", h->length, need);
				len = h->length;
				off += 2;
			}
			h->tunnel_id = l2tp_get16(buf + off);
			h->session_id = l2tp_get16(buf + off + 2);
			off += 4;
			if (h->has_seq) {
				h->ns = l2tp_get16(buf + off);
				h->nr = l2tp_get16(buf + off + 2);
				off += 4;
			}
			if (h->has_offset) {
				h->offset_size = l2tp_get16(buf + off);
				off += 2;
				if (h->offset_size > len - off)
					return fail(err, L2TP_CODEC_BAD_LENGTH, off - 2,
						    "offset size %u runs past the datagram (%zu bytes left)", h->offset_size,
						    len - off);
				off += h->offset_size;
			}
			h->header_len = off;
			d->payload = buf + off;
			d->payload_len = len - off;
			return 0;
		} else {
			return fail(err, L2TP_CODEC_BAD_VERSION, 0, "version %u is not supported (accepted: 2, 3)",
				    h->version);
		}
	}
	/* L2TPv3: cookie and sublayer as the session agreed. */
	if (p->cookie_len != 0 && p->cookie_len != 4 && p->cookie_len != 8)
		return fail(err, L2TP_CODEC_BAD_INPUT, off, "cookie length %u (accepted: 0, 4, 8)", p->cookie_len);
	size_t need = off + p->cookie_len + (p->l2spec_default ? 4 : 0);
	if (len < need)
		return fail(err, L2TP_CODEC_TRUNCATED, off, "truncated: %zu bytes, cookie and sublayer need %zu", len, need);
	d->cookie = buf + off;
	d->cookie_len = p->cookie_len;
	off += p->cookie_len;
	if (p->l2spec_default) {
		d->has_l2spec = true;
		d->l2spec_seq = buf[off] & 0x40;
		d->l2spec_ns = l2tp_get32(buf + off) & 0xffffff;
		off += 4;
	}
	d->hdr.header_len = off;
	d->payload = buf + off;
	d->payload_len = len - off;
	return 0;
}

int l2tp_data_encode(const struct l2tp_data *d, bool over_ip, uint8_t *buf, size_t buflen, size_t *outlen,
		     struct l2tp_codec_error *err)
{
	const struct l2tp_header *h = &d->hdr;
	size_t off = 0;
	if (err)
		memset(err, 0, sizeof(*err));
	if (h->version == 2 && !over_ip) {
		uint16_t flags = 2;
		size_t need = 6 + (h->has_length ? 2 : 0) + (h->has_seq ? 4 : 0) + (h->has_offset ? 2 + h->offset_size : 0);
		if (h->tunnel_id > 0xffff || h->session_id > 0xffff)
			return fail(err, L2TP_CODEC_BAD_INPUT, 0, "L2TPv2 tunnel and session IDs are 16-bit");
		if (buflen < need + d->payload_len)
			return fail(err, L2TP_CODEC_NO_SPACE, 0, "no room for %zu bytes", need + d->payload_len);
		if (need + d->payload_len > 0xffff && h->has_length)
			return fail(err, L2TP_CODEC_BAD_INPUT, 0, "data message longer than 65535 bytes");
		flags |= (h->has_length ? L_BIT : 0) | (h->has_seq ? S_BIT : 0) | (h->has_offset ? O_BIT : 0) |
			 (h->priority ? P_BIT : 0);
		l2tp_put16(buf, flags);
		off = 2;
		if (h->has_length) {
			l2tp_put16(buf + off, (uint16_t)(need + d->payload_len));
			off += 2;
		}
		l2tp_put16(buf + off, (uint16_t)h->tunnel_id);
		l2tp_put16(buf + off + 2, (uint16_t)h->session_id);
		off += 4;
		if (h->has_seq) {
			l2tp_put16(buf + off, h->ns);
			l2tp_put16(buf + off + 2, h->nr);
			off += 4;
		}
		if (h->has_offset) {
			l2tp_put16(buf + off, h->offset_size);
			off += 2;
			memset(buf + off, 0, h->offset_size);
			off += h->offset_size;
		}
	} else if (h->version == 3) {
		size_t need = (over_ip ? 4 : 8) + d->cookie_len + (d->has_l2spec ? 4 : 0);
		if (h->session_id == 0)
			return fail(err, L2TP_CODEC_BAD_INPUT, 0, "L2TPv3 data needs a non-zero session ID");
		if (d->cookie_len != 0 && d->cookie_len != 4 && d->cookie_len != 8)
			return fail(err, L2TP_CODEC_BAD_INPUT, 0, "cookie length %u (accepted: 0, 4, 8)", d->cookie_len);
		if (buflen < need + d->payload_len)
			return fail(err, L2TP_CODEC_NO_SPACE, 0, "no room for %zu bytes", need + d->payload_len);
		if (!over_ip) {
			l2tp_put16(buf, 3);
			l2tp_put16(buf + 2, 0);
			off = 4;
		}
		l2tp_put32(buf + off, h->session_id);
		off += 4;
		if (d->cookie_len)
			memcpy(buf + off, d->cookie, d->cookie_len);
		off += d->cookie_len;
		if (d->has_l2spec) {
			l2tp_put32(buf + off, (d->l2spec_seq ? 0x40000000u : 0) | (d->l2spec_ns & 0xffffff));
			off += 4;
		}
	} else {
		return fail(err, L2TP_CODEC_BAD_INPUT, 0, "version %u%s is not supported", h->version,
			    over_ip ? " over IP" : "");
	}
	if (d->payload_len)
		memcpy(buf + off, d->payload, d->payload_len);
	*outlen = off + d->payload_len;
	return 0;
}
