/* The control messages the state machines send, one builder per message
 * (both roles share them), and the typed views of the AVPs they read.
 * Builders only fill a struct l2tp_msg: the header's IDs and the sending
 * are the caller's. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* A structured value, read as the AVP table says. */
static void read_value(const struct l2tp_avp *a, struct l2tp_avp_value *v)
{
	l2tp_avp_value(l2tp_avp_info(0, a->type), a, v);
}

static void read_string(const struct l2tp_avp *a, const char **s, uint16_t *len)
{
	*s = (const char *)a->value;
	*len = a->len;
}

/* Calls each(avp, out) for the IETF AVPs of m; a Result Code (both views
 * have one) is read here. */
static void walk(const struct l2tp_msg *m, bool *has_result, struct l2tp_result_view *result,
		 void (*each)(const struct l2tp_avp *a, void *out), void *out)
{
	for (size_t i = 0; i < m->navps; i++) {
		const struct l2tp_avp *a = &m->avps[i];
		if (a->vendor != 0)
			continue;
		if (a->type == L2TP_AVP_RESULT_CODE) {
			struct l2tp_avp_value v;
			read_value(a, &v);
			*has_result = true;
			*result = v.result;
		} else {
			each(a, out);
		}
	}
}

static void ctl_avp(const struct l2tp_avp *a, void *arg)
{
	struct l2tp_ctl_view *out = arg;
	switch (a->type) {
	case L2TP_AVP_PROTOCOL_VERSION: {
		struct l2tp_avp_value v;
		read_value(a, &v);
		out->has_version = true;
		out->version = v.proto.version;
		out->revision = v.proto.revision;
		break;
	}
	case L2TP_AVP_ASSIGNED_TUNNEL_ID: out->assigned_tid = l2tp_avp_u16(a); break;
	case L2TP_AVP_ASSIGNED_CONNECTION_ID: out->assigned_tid = l2tp_avp_u32(a); break;
	case L2TP_AVP_RECEIVE_WINDOW_SIZE:
		out->has_rx_window = true;
		out->rx_window = l2tp_avp_u16(a);
		break;
	case L2TP_AVP_FRAMING_CAPABILITIES: out->framing_caps = l2tp_avp_u32(a); break;
	case L2TP_AVP_BEARER_CAPABILITIES: out->bearer_caps = l2tp_avp_u32(a); break;
	case L2TP_AVP_HOST_NAME: read_string(a, &out->host_name, &out->host_name_len); break;
	case L2TP_AVP_VENDOR_NAME: read_string(a, &out->vendor_name, &out->vendor_name_len); break;
	case L2TP_AVP_CHALLENGE:
		out->challenge = a->value;
		out->challenge_len = a->len;
		break;
	case L2TP_AVP_CHALLENGE_RESPONSE:
		out->response = a->value;
		out->response_len = a->len;
		break;
	case L2TP_AVP_TIE_BREAKER: out->tie_breaker = a->value; break;
	}
}

static void call_avp(const struct l2tp_avp *a, void *arg)
{
	struct l2tp_call_view *out = arg;
	switch (a->type) {
	case L2TP_AVP_ASSIGNED_SESSION_ID: out->assigned_sid = l2tp_avp_u16(a); break;
	case L2TP_AVP_CALL_SERIAL_NUMBER:
		out->has_serial = true;
		out->serial = l2tp_avp_u32(a);
		break;
	case L2TP_AVP_BEARER_TYPE: out->bearer_type = l2tp_avp_u32(a); break;
	case L2TP_AVP_FRAMING_TYPE: out->framing_type = l2tp_avp_u32(a); break;
	case L2TP_AVP_TX_CONNECT_SPEED: out->tx_speed = l2tp_avp_u32(a); break;
	case L2TP_AVP_SEQUENCING_REQUIRED: out->seq_required = true; break;
	case L2TP_AVP_CALLING_NUMBER: read_string(a, &out->calling, &out->calling_len); break;
	case L2TP_AVP_CALLED_NUMBER: read_string(a, &out->called, &out->called_len); break;
	case L2TP_AVP_SUB_ADDRESS: read_string(a, &out->sub_address, &out->sub_address_len); break;
	case L2TP_AVP_ACCM: {
		struct l2tp_avp_value v;
		read_value(a, &v);
		out->has_accm = true;
		out->send_accm = v.accm.send;
		out->recv_accm = v.accm.recv;
		break;
	}
	}
}

void l2tp_msg_read_ctl(const struct l2tp_msg *m, struct l2tp_ctl_view *out)
{
	memset(out, 0, sizeof(*out));
	walk(m, &out->has_result, &out->result, ctl_avp, out);
}

void l2tp_msg_read_call(const struct l2tp_msg *m, struct l2tp_call_view *out)
{
	memset(out, 0, sizeof(*out));
	walk(m, &out->has_result, &out->result, call_avp, out);
}

static void result_from_view(const struct l2tp_result_view *v, struct l2tp_result *res)
{
	memset(res, 0, sizeof(*res));
	res->result_code = v->result_code;
	res->error_code = v->error_code;
	res->has_error_code = v->has_error_code;
	snprintf(res->message, sizeof(res->message), "%.*s", (int)v->message_len, v->message ? v->message : "");
}

void l2tp_result_from_msg(const struct l2tp_msg *m, struct l2tp_result *res)
{
	const struct l2tp_avp *rc = l2tp_msg_find(m, L2TP_AVP_RESULT_CODE);
	struct l2tp_avp_value v = {.data = L2TP_AVP_D_RESULT};
	if (rc)
		read_value(rc, &v);
	result_from_view(&v.result, res);
}

void l2tp_result_set(struct l2tp_result *res, uint16_t result, uint16_t error, const char *msg)
{
	memset(res, 0, sizeof(*res));
	res->result_code = result;
	res->error_code = error;
	res->has_error_code = true;
	snprintf(res->message, sizeof(res->message), "%s", msg ? msg : "");
}

/* SCCRQ and SCCRP describe their sender alike (RFC 2661 sections 6.1 and
 * 6.2). */
static void describe_us(struct l2tp_msg *m, const struct l2tp_tunnel_config *c)
{
	static const char vendor[] = "l2tp-runtime";
	l2tp_msg_add(m, L2TP_AVP_PROTOCOL_VERSION, true, false, "\x01\x00", 2);
	l2tp_msg_add(m, L2TP_AVP_HOST_NAME, true, false, c->host_name, (uint16_t)strlen(c->host_name));
	l2tp_msg_add_u32(m, L2TP_AVP_FRAMING_CAPABILITIES, true, c->framing_caps);
	l2tp_msg_add_u32(m, L2TP_AVP_BEARER_CAPABILITIES, true, 0);
	l2tp_msg_add_u16(m, L2TP_AVP_FIRMWARE_REVISION, false, 0x0100);
	l2tp_msg_add(m, L2TP_AVP_VENDOR_NAME, false, false, vendor, sizeof(vendor) - 1);
	l2tp_msg_add_u16(m, L2TP_AVP_ASSIGNED_TUNNEL_ID, true, (uint16_t)c->tid);
	m->avps[m->navps - 1].hidden = c->hide_avps;
	l2tp_msg_add_u16(m, L2TP_AVP_RECEIVE_WINDOW_SIZE, true, c->window_size);
}

void l2tp_build_sccrq(struct l2tp_msg *m, const struct l2tp_tunnel_config *c, const uint8_t *challenge)
{
	l2tp_msg_init(m, 2, L2TP_MSG_SCCRQ);
	describe_us(m, c);
	if (c->has_tie_breaker)
		l2tp_msg_add(m, L2TP_AVP_TIE_BREAKER, false, false, c->tie_breaker, 8);
	if (challenge)
		l2tp_msg_add(m, L2TP_AVP_CHALLENGE, true, false, challenge, L2TP_CHALLENGE_LEN);
}

void l2tp_build_sccrp(struct l2tp_msg *m, const struct l2tp_tunnel_config *c, const uint8_t *challenge,
		      const uint8_t *response)
{
	l2tp_msg_init(m, 2, L2TP_MSG_SCCRP);
	describe_us(m, c);
	if (challenge)
		l2tp_msg_add(m, L2TP_AVP_CHALLENGE, true, false, challenge, L2TP_CHALLENGE_LEN);
	if (response)
		l2tp_msg_add(m, L2TP_AVP_CHALLENGE_RESPONSE, true, false, response, 16);
}

void l2tp_build_scccn(struct l2tp_msg *m, const uint8_t *response)
{
	l2tp_msg_init(m, 2, L2TP_MSG_SCCCN);
	if (response)
		l2tp_msg_add(m, L2TP_AVP_CHALLENGE_RESPONSE, true, false, response, 16);
}

void l2tp_build_stopccn(struct l2tp_msg *m, uint8_t version, uint32_t tid, uint16_t result, uint16_t error,
			const char *text)
{
	l2tp_msg_init(m, version, L2TP_MSG_STOPCCN);
	if (version == 3) {
		if (tid)
			l2tp_msg_add_u32(m, L2TP_AVP_ASSIGNED_CONNECTION_ID, true, tid);
	} else
		l2tp_msg_add_u16(m, L2TP_AVP_ASSIGNED_TUNNEL_ID, true, (uint16_t)tid);
	l2tp_msg_add_result(m, result, error, text);
}

void l2tp_build_icrq(struct l2tp_msg *m, uint32_t sid, uint32_t serial, bool hide)
{
	l2tp_msg_init(m, 2, L2TP_MSG_ICRQ);
	l2tp_msg_add_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID, true, (uint16_t)sid);
	m->avps[m->navps - 1].hidden = hide;
	l2tp_msg_add_u32(m, L2TP_AVP_CALL_SERIAL_NUMBER, true, serial);
	l2tp_msg_add_u32(m, L2TP_AVP_BEARER_TYPE, true, 0);
}

void l2tp_build_call_reply(struct l2tp_msg *m, uint16_t type, uint32_t sid, bool hide)
{
	l2tp_msg_init(m, 2, type);
	l2tp_msg_add_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID, true, (uint16_t)sid);
	m->avps[m->navps - 1].hidden = hide;
}

void l2tp_build_call_connected(struct l2tp_msg *m, uint16_t type, uint32_t framing_caps, bool seqnum)
{
	l2tp_msg_init(m, 2, type);
	l2tp_msg_add_u32(m, L2TP_AVP_TX_CONNECT_SPEED, true, 100000000);
	l2tp_msg_add_u32(m, L2TP_AVP_FRAMING_TYPE, true,
			 framing_caps & L2TP_FRAMING_SYNC ? L2TP_FRAMING_SYNC : L2TP_FRAMING_ASYNC);
	if (seqnum)
		l2tp_msg_add(m, L2TP_AVP_SEQUENCING_REQUIRED, true, false, NULL, 0);
}

void l2tp_build_cdn(struct l2tp_msg *m, uint32_t sid, uint16_t result, uint16_t error, const char *text)
{
	l2tp_msg_init(m, 2, L2TP_MSG_CDN);
	l2tp_msg_add_result(m, result, error, text);
	l2tp_msg_add_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID, true, (uint16_t)sid);
}
