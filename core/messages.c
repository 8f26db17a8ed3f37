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
	case L2TP_AVP_ROUTER_ID:
		out->has_router_id = true;
		out->router_id = l2tp_avp_u32(a);
		break;
	case L2TP_AVP_PW_CAPABILITIES_LIST:
		out->pw_caps = a->value;
		out->n_pw_caps = a->len / 2;
		break;
	case L2TP_AVP_CTRL_MSG_AUTH_NONCE:
		out->nonce = a->value;
		out->nonce_len = a->len;
		break;
	}
}

bool l2tp_ctl_view_has_pw(const struct l2tp_ctl_view *v, uint16_t pw)
{
	for (uint16_t i = 0; i < v->n_pw_caps; i++)
		if (l2tp_get16(v->pw_caps + 2 * i) == pw)
			return true;
	return false;
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
	case L2TP_AVP_LOCAL_SESSION_ID: out->assigned_sid = l2tp_avp_u32(a); break;
	case L2TP_AVP_REMOTE_SESSION_ID: out->remote_sid = l2tp_avp_u32(a); break;
	case L2TP_AVP_PW_TYPE:
		out->has_pw_type = true;
		out->pw_type = l2tp_avp_u16(a);
		break;
	case L2TP_AVP_L2_SPECIFIC_SUBLAYER:
		out->has_l2spec = true;
		out->l2spec = l2tp_avp_u16(a);
		break;
	case L2TP_AVP_DATA_SEQUENCING:
		out->has_data_seq = true;
		out->data_seq = l2tp_avp_u16(a);
		break;
	case L2TP_AVP_CIRCUIT_STATUS:
		out->has_circuit_status = true;
		out->circuit_status = l2tp_avp_u16(a);
		break;
	case L2TP_AVP_ASSIGNED_COOKIE:
		out->cookie = a->value;
		out->cookie_len = a->len;
		break;
	case L2TP_AVP_REMOTE_END_ID:
		out->remote_end_id = a->value;
		out->remote_end_id_len = a->len;
		break;
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

/* The pseudowires we offer (RFC 3931 section 5.4.3): the ones the kernel
 * carries, and Ethernet VLAN, which it carries as Ethernet. */
static const uint8_t pw_caps[] = {0, L2TP_PW_ETH, 0, L2TP_PW_ETH_VLAN, 0, L2TP_PW_PPP};

/* SCCRQ and SCCRP describe their sender alike (RFC 2661 sections 6.1 and
 * 6.2, RFC 3931 sections 6.1 and 6.2). */
static void describe_us(struct l2tp_msg *m, const struct l2tp_tunnel *t)
{
	static const char vendor[] = "l2tp-runtime";
	const struct l2tp_tunnel_config *c = &t->cfg;
	if (c->version == L2TP_V2)
		l2tp_msg_add(m, L2TP_AVP_PROTOCOL_VERSION, true, false, "\x01\x00", 2);
	l2tp_msg_add(m, L2TP_AVP_HOST_NAME, true, false, c->host_name, (uint16_t)strlen(c->host_name));
	if (c->version == L2TP_V2) {
		l2tp_msg_add_u32(m, L2TP_AVP_FRAMING_CAPABILITIES, true, c->framing_caps);
		l2tp_msg_add_u32(m, L2TP_AVP_BEARER_CAPABILITIES, true, 0);
	}
	l2tp_msg_add_u16(m, L2TP_AVP_FIRMWARE_REVISION, false, 0x0100);
	l2tp_msg_add(m, L2TP_AVP_VENDOR_NAME, false, false, vendor, sizeof(vendor) - 1);
	if (c->version == L2TP_V2) {
		l2tp_msg_add_u16(m, L2TP_AVP_ASSIGNED_TUNNEL_ID, true, (uint16_t)c->tid);
	} else {
		l2tp_msg_add_u32(m, L2TP_AVP_ROUTER_ID, true, l2tp_tunnel_router_id(t));
		l2tp_msg_add_u32(m, L2TP_AVP_ASSIGNED_CONNECTION_ID, true, c->tid);
	}
	/* xl2tpd loads its secret only after it has read the SCCRQ or SCCRP
	 * (and only when challenged): hide_tunnel_id = false keeps what it
	 * reads there in the clear. */
	m->avps[m->navps - 1].hidden = c->hide_avps && c->hide_tunnel_id;
	if (c->version == L2TP_V3)
		l2tp_msg_add(m, L2TP_AVP_PW_CAPABILITIES_LIST, true, false, pw_caps, sizeof(pw_caps));
	l2tp_msg_add_u16(m, L2TP_AVP_RECEIVE_WINDOW_SIZE, true, c->window_size);
	/* With a secret, an L2TPv3 peer authenticates every message from
	 * here on (RFC 3931 section 4.3). */
	if (c->version == L2TP_V3 && c->secret[0])
		l2tp_msg_add(m, L2TP_AVP_CTRL_MSG_AUTH_NONCE, true, false, t->nonce, sizeof(t->nonce));
}

void l2tp_build_sccrq(struct l2tp_msg *m, const struct l2tp_tunnel *t, const uint8_t *challenge)
{
	l2tp_msg_init(m, (uint8_t)t->cfg.version, L2TP_MSG_SCCRQ);
	describe_us(m, t);
	if (t->cfg.has_tie_breaker)
		l2tp_msg_add(m, L2TP_AVP_TIE_BREAKER, false, false, t->cfg.tie_breaker, 8);
	if (challenge)
		l2tp_msg_add(m, L2TP_AVP_CHALLENGE, true, false, challenge, L2TP_CHALLENGE_LEN);
}

void l2tp_build_sccrp(struct l2tp_msg *m, const struct l2tp_tunnel *t, const uint8_t *challenge,
		      const uint8_t *response)
{
	l2tp_msg_init(m, (uint8_t)t->cfg.version, L2TP_MSG_SCCRP);
	describe_us(m, t);
	if (challenge)
		l2tp_msg_add(m, L2TP_AVP_CHALLENGE, true, false, challenge, L2TP_CHALLENGE_LEN);
	if (response)
		l2tp_msg_add(m, L2TP_AVP_CHALLENGE_RESPONSE, true, false, response, 16);
}

void l2tp_build_scccn(struct l2tp_msg *m, uint8_t version, const uint8_t *response)
{
	l2tp_msg_init(m, version, L2TP_MSG_SCCCN);
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

/* A call's IDs: L2TPv2 names only its sender's (the header has the
 * receiver's); L2TPv3 both, the receiver's 0 until it is known (RFC 3931
 * section 5.4.4). */
static void call_ids(struct l2tp_msg *m, uint8_t version, uint32_t sid, uint32_t psid, bool hide)
{
	if (version == 2) {
		l2tp_msg_add_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID, true, (uint16_t)sid);
		m->avps[m->navps - 1].hidden = hide;
		return;
	}
	l2tp_msg_add_u32(m, L2TP_AVP_LOCAL_SESSION_ID, true, sid);
	l2tp_msg_add_u32(m, L2TP_AVP_REMOTE_SESSION_ID, true, psid);
}

/* What an L2TPv3 call asks of the peer's data packets (RFC 3931 sections
 * 5.4.4 and 5.4.5): our cookie, the sublayer and sequencing we want. */
static void call_data(struct l2tp_msg *m, const struct l2tp_session *s, bool with_cookie)
{
	const struct l2tp_session_config *c = &s->cfg;
	if (with_cookie && c->cookie_len)
		l2tp_msg_add(m, L2TP_AVP_ASSIGNED_COOKIE, true, false, c->cookie, c->cookie_len);
	l2tp_msg_add_u16(m, L2TP_AVP_L2_SPECIFIC_SUBLAYER, true, (uint16_t)c->l2spec_type);
	l2tp_msg_add_u16(m, L2TP_AVP_DATA_SEQUENCING, true, c->seqnum ? L2TP_DATA_SEQ_ALL : L2TP_DATA_SEQ_NONE);
}

/* ICRQ or OCRQ. An L2TPv2 OCRQ asks the LAC to dial: it must say at what
 * speeds, on which bearer and framing, and whom (RFC 2661 section 6.7);
 * we leave the choice of speed and bearer to the LAC. */
void l2tp_build_call_request(struct l2tp_msg *m, uint16_t type, const struct l2tp_session *s, uint32_t serial)
{
	const struct l2tp_tunnel_config *tc = &s->tunnel->cfg;
	uint8_t version = (uint8_t)tc->version;
	const char *called = L2TP_SESSION_LONG(s, called_number);
	l2tp_msg_init(m, version, type);
	call_ids(m, version, s->cfg.sid, 0, tc->hide_avps);
	l2tp_msg_add_u32(m, L2TP_AVP_CALL_SERIAL_NUMBER, true, serial);
	if (version == 2 && type == L2TP_MSG_OCRQ) {
		l2tp_msg_add_u32(m, L2TP_AVP_MINIMUM_BPS, true, 0);
		l2tp_msg_add_u32(m, L2TP_AVP_MAXIMUM_BPS, true, UINT32_MAX);
		/* Bearer Type: digital (1) or analog (2) */
		l2tp_msg_add_u32(m, L2TP_AVP_BEARER_TYPE, true, 3);
		l2tp_msg_add_u32(m, L2TP_AVP_FRAMING_TYPE, true,
				 tc->framing_caps ? tc->framing_caps : L2TP_FRAMING_SYNC | L2TP_FRAMING_ASYNC);
		l2tp_msg_add(m, L2TP_AVP_CALLED_NUMBER, true, false, called, (uint16_t)strlen(called));
		return;
	}
	if (called[0])
		l2tp_msg_add(m, L2TP_AVP_CALLED_NUMBER, true, false, called, (uint16_t)strlen(called));
	const char *calling = L2TP_SESSION_LONG(s, calling_number);
	if (calling[0] && type == L2TP_MSG_ICRQ)
		l2tp_msg_add(m, L2TP_AVP_CALLING_NUMBER, true, false, calling, (uint16_t)strlen(calling));
	if (version == 2) {
		l2tp_msg_add_u32(m, L2TP_AVP_BEARER_TYPE, true, 0);
		return;
	}
	l2tp_msg_add_u16(m, L2TP_AVP_PW_TYPE, true, (uint16_t)s->cfg.pseudowire);
	const char *id = L2TP_SESSION_LONG(s, remote_end_id);
	if (!id[0])
		id = s->name;
	l2tp_msg_add(m, L2TP_AVP_REMOTE_END_ID, true, false, id, (uint16_t)strlen(id));
	l2tp_msg_add_u16(m, L2TP_AVP_CIRCUIT_STATUS, true, L2TP_CIRCUIT_ACTIVE | L2TP_CIRCUIT_NEW);
	call_data(m, s, true);
}

void l2tp_build_call_reply(struct l2tp_msg *m, uint16_t type, const struct l2tp_session *s)
{
	const struct l2tp_tunnel_config *tc = &s->tunnel->cfg;
	uint8_t version = (uint8_t)tc->version;
	l2tp_msg_init(m, version, type);
	call_ids(m, version, s->cfg.sid, s->cfg.psid, tc->hide_avps);
	if (version == 3) {
		l2tp_msg_add_u16(m, L2TP_AVP_CIRCUIT_STATUS, true, L2TP_CIRCUIT_ACTIVE | L2TP_CIRCUIT_NEW);
		call_data(m, s, true);
	}
}

void l2tp_build_call_connected(struct l2tp_msg *m, uint16_t type, const struct l2tp_session *s)
{
	const struct l2tp_tunnel_config *tc = &s->tunnel->cfg;
	if (tc->version == L2TP_V3) {
		l2tp_msg_init(m, 3, type);
		call_ids(m, 3, s->cfg.sid, s->cfg.psid, false);
		call_data(m, s, false);
		return;
	}
	l2tp_msg_init(m, 2, type);
	l2tp_msg_add_u32(m, L2TP_AVP_TX_CONNECT_SPEED, true, 100000000);
	l2tp_msg_add_u32(m, L2TP_AVP_FRAMING_TYPE, true,
			 tc->framing_caps & L2TP_FRAMING_SYNC ? L2TP_FRAMING_SYNC : L2TP_FRAMING_ASYNC);
	if (s->cfg.seqnum)
		l2tp_msg_add(m, L2TP_AVP_SEQUENCING_REQUIRED, true, false, NULL, 0);
}

/* L2TPv3: our end of the circuit changed (RFC 3931 section 5.4.5); N is
 * clear, this is an update. */
void l2tp_build_sli(struct l2tp_msg *m, const struct l2tp_session *s, bool active)
{
	l2tp_msg_init(m, 3, L2TP_MSG_SLI);
	call_ids(m, 3, s->cfg.sid, s->cfg.psid, false);
	l2tp_msg_add_u16(m, L2TP_AVP_CIRCUIT_STATUS, true, active ? L2TP_CIRCUIT_ACTIVE : 0);
}

void l2tp_build_cdn(struct l2tp_msg *m, uint8_t version, uint32_t sid, uint32_t psid, uint16_t result, uint16_t error,
		    const char *text)
{
	l2tp_msg_init(m, version, L2TP_MSG_CDN);
	l2tp_msg_add_result(m, result, error, text);
	call_ids(m, version, sid, psid, false);
}

uint32_t l2tp_msg_call_id(const struct l2tp_msg *m)
{
	if (m->hdr.version != 3)
		return m->hdr.session_id;
	const struct l2tp_avp *a = l2tp_msg_find(m, L2TP_AVP_REMOTE_SESSION_ID);
	return a && a->len == 4 ? l2tp_avp_u32(a) : 0;
}
