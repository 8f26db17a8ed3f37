/* Calls (RFC 2661 section 7.4, RFC 3931 section 3.2): one table per kind
 * of call (who places it, who answers) of (state, event) -> action + next
 * state, and the requests that make a call (an ICRQ at an LNS, an OCRQ at
 * a LAC whose script takes outgoing calls).
 * A cell no row names is the RFC's answer to the unexpected: during setup
 * a CDN, once established a log line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

enum action {
	A_UNEXPECTED = 0, /* the default of every cell */
	A_IGNORE,
	A_SEND_REQUEST, /* ICRQ or OCRQ */
	A_ICRP,
	A_OCRP,
	A_CONNECTED, /* ICCN, OCCN */
	A_CDN,
	A_LINK_INFO, /* SLI, WEN: logged */
	A_MALFORMED,
	A_SETUP_EXPIRED,
};

struct cell {
	uint8_t action;
	uint8_t next;
};

#define SAME L2TP_CS_NSTATES
#define C(a, n) {(a), (n)}
#define STAY(a) {(a), SAME}

#define COMMON [L2TP_SE_CDN] = STAY(A_CDN), [L2TP_SE_MALFORMED] = STAY(A_MALFORMED)
#define ESTABLISHED_ROW                                                                                                \
	{COMMON, [L2TP_SE_SLI] = STAY(A_LINK_INFO), [L2TP_SE_WEN] = STAY(A_LINK_INFO),                                 \
	 [L2TP_SE_TUNNEL_UP] = STAY(A_IGNORE), [L2TP_SE_SETUP_TIMER] = STAY(A_IGNORE)}

#define SETUP_ROW(...) {COMMON, [L2TP_SE_SETUP_TIMER] = STAY(A_SETUP_EXPIRED), __VA_ARGS__}
#define WAITING [L2TP_SE_TUNNEL_UP] = STAY(A_IGNORE)

/* The LAC places incoming calls (section 7.4.1). */
static const struct cell lac_in_table[L2TP_CS_NSTATES][L2TP_SE_NEVENTS] = {
	[L2TP_CS_WAIT_TUNNEL] = SETUP_ROW([L2TP_SE_TUNNEL_UP] = C(A_SEND_REQUEST, L2TP_CS_WAIT_REPLY)),
	[L2TP_CS_WAIT_REPLY] = SETUP_ROW(WAITING, [L2TP_SE_ICRP] = C(A_ICRP, L2TP_CS_ESTABLISHED)),
	[L2TP_CS_ESTABLISHED] = ESTABLISHED_ROW,
};

/* The LNS answers them (section 7.4.2). */
static const struct cell lns_in_table[L2TP_CS_NSTATES][L2TP_SE_NEVENTS] = {
	[L2TP_CS_WAIT_CONNECT] = SETUP_ROW(WAITING, [L2TP_SE_ICCN] = C(A_CONNECTED, L2TP_CS_ESTABLISHED)),
	[L2TP_CS_ESTABLISHED] = ESTABLISHED_ROW,
};

/* The LNS places outgoing calls (section 7.4.2): OCRQ, the LAC's OCRP,
 * then its OCCN once it has dialled. */
static const struct cell lns_out_table[L2TP_CS_NSTATES][L2TP_SE_NEVENTS] = {
	[L2TP_CS_WAIT_TUNNEL] = SETUP_ROW([L2TP_SE_TUNNEL_UP] = C(A_SEND_REQUEST, L2TP_CS_WAIT_REPLY)),
	[L2TP_CS_WAIT_REPLY] = SETUP_ROW(WAITING, [L2TP_SE_OCRP] = C(A_OCRP, L2TP_CS_WAIT_CONNECT)),
	[L2TP_CS_WAIT_CONNECT] = SETUP_ROW(WAITING, [L2TP_SE_OCCN] = C(A_CONNECTED, L2TP_CS_ESTABLISHED)),
	[L2TP_CS_ESTABLISHED] = ESTABLISHED_ROW,
};

/* The LAC answers them (section 7.4.1): dialling is immediate here, so the
 * call is connected as it is answered and lives only established. */
static const struct cell lac_out_table[L2TP_CS_NSTATES][L2TP_SE_NEVENTS] = {
	[L2TP_CS_ESTABLISHED] = ESTABLISHED_ROW,
};

static const enum l2tp_call_state lac_in_states[] = {L2TP_CS_WAIT_TUNNEL, L2TP_CS_WAIT_REPLY, L2TP_CS_ESTABLISHED};
static const enum l2tp_call_state lns_in_states[] = {L2TP_CS_WAIT_CONNECT, L2TP_CS_ESTABLISHED};
static const enum l2tp_call_state lns_out_states[] = {L2TP_CS_WAIT_TUNNEL, L2TP_CS_WAIT_REPLY, L2TP_CS_WAIT_CONNECT,
						      L2TP_CS_ESTABLISHED};
static const enum l2tp_call_state lac_out_states[] = {L2TP_CS_ESTABLISHED};

static const struct {
	const struct cell (*table)[L2TP_SE_NEVENTS];
	const enum l2tp_call_state *states;
	size_t nstates;
} kinds[] = {
	[L2TP_CALL_LAC_IN] = {lac_in_table, lac_in_states, L2TP_NELEM(lac_in_states)},
	[L2TP_CALL_LNS_IN] = {lns_in_table, lns_in_states, L2TP_NELEM(lns_in_states)},
	[L2TP_CALL_LNS_OUT] = {lns_out_table, lns_out_states, L2TP_NELEM(lns_out_states)},
	[L2TP_CALL_LAC_OUT] = {lac_out_table, lac_out_states, L2TP_NELEM(lac_out_states)},
};

const enum l2tp_call_state *l2tp_call_states(enum l2tp_call_kind kind, size_t *n)
{
	*n = kinds[kind].nstates;
	return kinds[kind].states;
}

enum l2tp_call_kind l2tp_call_kind_of(const struct l2tp_session *s)
{
	bool lns = l2tp_tunnel_role(s->tunnel) == L2TP_ROLE_LNS;
	if (s->outgoing)
		return lns ? L2TP_CALL_LNS_OUT : L2TP_CALL_LAC_OUT;
	return lns ? L2TP_CALL_LNS_IN : L2TP_CALL_LAC_IN;
}

const char *l2tp_call_state_name(enum l2tp_call_state s)
{
	static const char *const names[] = {
		[L2TP_CS_WAIT_TUNNEL] = "wait-tunnel",
		[L2TP_CS_WAIT_REPLY] = "wait-reply",
		[L2TP_CS_WAIT_CONNECT] = "wait-connect",
		[L2TP_CS_ESTABLISHED] = "established",
	};
	return (unsigned)s < L2TP_CS_NSTATES ? names[s] : "?";
}

const char *l2tp_call_event_name(enum l2tp_call_event e)
{
	static const char *const names[] = {
		[L2TP_SE_TUNNEL_UP] = "tunnel up", [L2TP_SE_ICRP] = "ICRP", [L2TP_SE_ICCN] = "ICCN",
		[L2TP_SE_OCRP] = "OCRP",	   [L2TP_SE_OCCN] = "OCCN", [L2TP_SE_CDN] = "CDN",
		[L2TP_SE_WEN] = "WEN",		   [L2TP_SE_SLI] = "SLI",   [L2TP_SE_MALFORMED] = "a malformed message",
		[L2TP_SE_SETUP_TIMER] = "setup timer",
	};
	return (unsigned)e < L2TP_SE_NEVENTS ? names[e] : "?";
}

enum l2tp_call_event l2tp_call_event_of(uint16_t msg_type)
{
	switch (msg_type) {
	case L2TP_MSG_ICRP: return L2TP_SE_ICRP;
	case L2TP_MSG_ICCN: return L2TP_SE_ICCN;
	case L2TP_MSG_OCRP: return L2TP_SE_OCRP;
	case L2TP_MSG_OCCN: return L2TP_SE_OCCN;
	case L2TP_MSG_CDN: return L2TP_SE_CDN;
	case L2TP_MSG_WEN: return L2TP_SE_WEN;
	case L2TP_MSG_SLI: return L2TP_SE_SLI;
	default: return L2TP_SE_MALFORMED; /* the tunnel routes no other type here */
	}
}

void l2tp_call_refuse(struct l2tp_tunnel *t, uint32_t peer_sid, const struct l2tp_verdict *v)
{
	struct l2tp_msg m;
	struct l2tp_codec_error err;
	/* An ID no call of ours has, so the CDN cannot close one of them. */
	l2tp_build_cdn(&m, (uint8_t)t->cfg.version, l2tp_session_free_id(t), peer_sid, v->result_code, v->error_code,
		       v->message);
	m.hdr.tunnel_id = t->cfg.ptid;
	m.hdr.session_id = peer_sid;
	l2tp_channel_send(t->ch, &m, &err);
}

/* Tells the peer the call is over (a CDN, once the peer knows of it), then
 * takes the session down. */
void l2tp_call_hangup(struct l2tp_session *s, const char *reason, const struct l2tp_result *result)
{
	struct l2tp_tunnel *t = s->tunnel;
	/* Outlives the block below: the down event reports it. */
	struct l2tp_result admin;
	if (s->closing)
		return;
	if (s->state != L2TP_CS_WAIT_TUNNEL && !t->closing) {
		if (!result) {
			l2tp_result_set(&admin, L2TP_RESULT_CDN_ADMIN, 0, reason ? reason : "closed");
			result = &admin;
		}
		struct l2tp_msg m;
		l2tp_build_cdn(&m, (uint8_t)t->cfg.version, s->cfg.sid, s->cfg.psid, result->result_code,
			       result->error_code, result->message);
		l2tp_tunnel_send(t, s, &m);
	}
	l2tp_session_destroy(s, reason, result);
}

static void hangup_with(struct l2tp_session *s, uint16_t result, uint16_t error, const char *msg, const char *reason)
{
	struct l2tp_result res;
	l2tp_result_set(&res, result, error, msg);
	l2tp_call_hangup(s, reason, &res);
}

static void send_request(struct l2tp_session *s)
{
	struct l2tp_tunnel *t = s->tunnel;
	struct l2tp_msg m;
	l2tp_build_call_request(&m, s->outgoing ? L2TP_MSG_OCRQ : L2TP_MSG_ICRQ, s, ++t->call_serial);
	/* The header's session ID is 0: the peer has not assigned one yet. */
	l2tp_tunnel_send(t, NULL, &m);
}

void l2tp_call_place(struct l2tp_session *s)
{
	struct l2tp_tunnel *t = s->tunnel;
	s->state = L2TP_CS_WAIT_TUNNEL;
	s->outgoing = l2tp_tunnel_role(t) == L2TP_ROLE_LNS;
	l2tp_slog(s, L2TP_LOG_INFO, "placing an %s call, session ID %u", s->outgoing ? "outgoing" : "incoming",
		  s->cfg.sid);
	l2tp_tunnel_call_setup_start(t, s);
	if (t->state == L2TP_CC_ESTABLISHED)
		l2tp_call_event(s, L2TP_SE_TUNNEL_UP, NULL, NULL);
}

/* Both roles, as the call connects: the data plane's session, and pppd
 * for PPP. False after hanging up. */
static bool prepare_data(struct l2tp_session *s)
{
	struct l2tp_context *ctx = s->tunnel->ctx;
	struct l2tp_dp_session dps;
	char err[256], why[300];
	l2tp_dp_session_fill(s, &dps);
	if (ctx->dp->session_create(ctx->dp_state, &dps, s->ifname, err, sizeof(err)) != 0) {
		snprintf(why, sizeof(why), "data plane: %s", err);
		hangup_with(s, L2TP_RESULT_CDN_ERROR, L2TP_ERROR_NO_RESOURCES, "data plane failure", why);
		return false;
	}
	s->dp_created = true;
	bool ppp = s->cfg.pseudowire == L2TP_PW_PPP || s->cfg.pseudowire == L2TP_PW_PPP_AC;
	/* A PPPoE session's call is bridged to it in the kernel: no pppd. */
	bool bridge = s->cfg.pseudowire == L2TP_PW_PPP_AC && s->cfg.pppoe_session_id;
	if (ppp && ctx->dp->ppp_open &&
	    (bridge ? l2tp_ppp_bridge_start(s, err, sizeof(err)) : l2tp_pppd_start(s, err, sizeof(err))) != 0) {
		hangup_with(s, L2TP_RESULT_CDN_ERROR, L2TP_ERROR_NO_RESOURCES,
			    bridge ? "cannot bridge the PPPoE session" : "cannot start PPP", err);
		return false;
	}
	return true;
}

/* Entering established. */
static void connected(struct l2tp_session *s)
{
	s->up = true;
	s->up_at = l2tp_io_now(s->tunnel->ctx->io);
	l2tp_tunnel_call_setup_done(s->tunnel, s);
	l2tp_slog(s, L2TP_LOG_INFO, "established, peer session ID %u", s->cfg.psid);
	l2tp_context_post(s->tunnel->ctx, L2TP_EVENT_SESSION_UP, s->tunnel, s, NULL, NULL);
}

/* L2TPv3: the cookie the peer assigned us (none: no Assigned Cookie AVP,
 * and no bytes to copy). */
static void take_peer_cookie(struct l2tp_session_config *cfg, const struct l2tp_call_view *v)
{
	if (v->cookie_len)
		memcpy(cfg->peer_cookie, v->cookie, v->cookie_len);
	cfg->peer_cookie_len = (uint8_t)v->cookie_len;
}

/* L2TPv3: what the peer asks of our data packets (RFC 3931 section
 * 5.4.4). Its cookie goes into ours; one sublayer serves both directions
 * on the kernel, so the initiator's is the call's and a reply that wants
 * another is refused; sequencing is on if either side wants it. False
 * after hanging up (v->result holds no meaning then). */
static bool agree_data(struct l2tp_session *s, const struct l2tp_call_view *v)
{
	char why[160];
	if (!l2tp_cookie_len_ok(v->cookie_len)) {
		snprintf(why, sizeof(why), "peer assigned a %u-byte cookie (accepted: 4 or 8)", v->cookie_len);
		hangup_with(s, L2TP_RESULT_CDN_ERROR, L2TP_ERROR_BAD_VALUE, why, why);
		return false;
	}
	take_peer_cookie(&s->cfg, v);
	if (v->has_l2spec && v->l2spec != s->cfg.l2spec_type) {
		snprintf(why, sizeof(why), "peer wants L2-Specific Sublayer %u, the call has %u", v->l2spec,
			 s->cfg.l2spec_type);
		hangup_with(s, L2TP_RESULT_CDN_ERROR, L2TP_ERROR_BAD_VALUE, why, why);
		return false;
	}
	if (v->has_data_seq && v->data_seq != L2TP_DATA_SEQ_NONE)
		s->cfg.seqnum = true;
	return true;
}

/* Wait-reply, the call we placed: the peer's ICRP or OCRP names its
 * session and, in L2TPv3, what it asks of our data packets. */
static bool on_reply(struct l2tp_session *s, const struct l2tp_msg *m)
{
	struct l2tp_call_view v;
	l2tp_msg_read_call(m, &v);
	if (v.assigned_sid == 0) {
		hangup_with(s, L2TP_RESULT_CDN_ERROR, L2TP_ERROR_BAD_VALUE, "Assigned Session ID 0",
			    "peer assigned session ID 0");
		return false;
	}
	s->cfg.psid = v.assigned_sid;
	return s->tunnel->cfg.version != L2TP_V3 || agree_data(s, &v);
}

/* LAC: the LNS's ICRP; our ICCN connects the call. (An LNS's OCRP leaves
 * the LAC to connect it, with its OCCN.) */
static bool on_icrp(struct l2tp_session *s, const struct l2tp_msg *m)
{
	struct l2tp_tunnel *t = s->tunnel;
	struct l2tp_msg out;
	if (!on_reply(s, m))
		return false;
	l2tp_build_call_connected(&out, L2TP_MSG_ICCN, s);
	l2tp_tunnel_send(t, s, &out);
	return prepare_data(s);
}

/* The peer connects the call (ICCN, OCCN), and may ask for sequenced
 * data: RFC 2661's Sequencing Required, RFC 3931's Data Sequencing. */
static bool on_connected(struct l2tp_session *s, const struct l2tp_msg *m)
{
	struct l2tp_call_view v;
	l2tp_msg_read_call(m, &v);
	if (v.seq_required || (v.has_data_seq && v.data_seq != L2TP_DATA_SEQ_NONE))
		s->cfg.seqnum = true;
	return prepare_data(s);
}

static void on_cdn(struct l2tp_session *s, const struct l2tp_msg *m)
{
	struct l2tp_result res;
	char why[400];
	l2tp_result_from_msg(m, &res);
	snprintf(why, sizeof(why), "peer sent CDN: result %u (%s)%s%s%s%s", res.result_code,
		 l2tp_result_code_text(L2TP_MSG_CDN, res.result_code), res.has_error_code ? ", error: " : "",
		 res.has_error_code ? l2tp_error_code_text(res.error_code) : "", res.message[0] ? ": " : "", res.message);
	l2tp_session_destroy(s, why, &res);
}

static void link_info(struct l2tp_session *s, const struct l2tp_msg *m)
{
	struct l2tp_call_view v;
	l2tp_msg_read_call(m, &v);
	if (m->type == L2TP_MSG_WEN) {
		l2tp_slog(s, L2TP_LOG_INFO, "peer reported WAN errors");
	} else if (v.has_circuit_status) {
		bool down = !(v.circuit_status & L2TP_CIRCUIT_ACTIVE);
		l2tp_slog(s, L2TP_LOG_INFO, "peer's circuit is %s", down ? "down" : "up");
		if (down != s->peer_circuit_down) {
			s->peer_circuit_down = down;
			l2tp_context_post(s->tunnel->ctx, L2TP_EVENT_SESSION_CIRCUIT, s->tunnel, s, NULL, NULL);
		}
	} else if (v.has_accm)
		l2tp_slog(s, L2TP_LOG_INFO, "peer set link info: send ACCM 0x%08x, receive ACCM 0x%08x", v.send_accm,
			  v.recv_accm);
	else
		l2tp_slog(s, L2TP_LOG_INFO, "peer set link info");
}

int l2tp_session_set_circuit(struct l2tp_session *s, bool active, char *err, size_t errlen)
{
	struct l2tp_tunnel *t = s->tunnel;
	struct l2tp_msg m;
	if (s->closing)
		return l2tp_errf(err, errlen, -EAGAIN, "session is closing");
	if (!l2tp_tunnel_has_calls(t) || t->cfg.version != L2TP_V3)
		return l2tp_errf(err, errlen, -EINVAL,
				 "circuit status goes in an L2TPv3 call (this session is in a %s %s tunnel)",
				 l2tp_tunnel_kind_name(t->kind), t->cfg.version == L2TP_V3 ? "l2tpv3" : "l2tpv2");
	if (s->state != L2TP_CS_ESTABLISHED)
		return l2tp_errf(err, errlen, -EAGAIN, "the call is not established yet (state %s)",
				 l2tp_call_state_name(s->state));
	l2tp_build_sli(&m, s, active);
	l2tp_tunnel_send(t, s, &m);
	l2tp_slog(s, L2TP_LOG_INFO, "told the peer our circuit is %s", active ? "up" : "down");
	return 0;
}

static void malformed(struct l2tp_session *s, const struct l2tp_codec_error *err)
{
	char why[400];
	snprintf(why, sizeof(why), "bad %s from peer: %s", l2tp_msg_type_name(err->msg_type), err->message);
	hangup_with(s, err->result_code, err->error_code, err->message, why);
}

static void setup_expired(struct l2tp_session *s)
{
	struct l2tp_tunnel *t = s->tunnel;
	bool lns = t->kind == L2TP_TUNNEL_ACCEPTED;
	char why[200], took[32];
	const char *missing;
	l2tp_format_ms(t->cfg.setup_timeout_ms, took, sizeof(took));
	switch (s->state) {
	case L2TP_CS_WAIT_TUNNEL: missing = "the tunnel did not come up"; break;
	case L2TP_CS_WAIT_REPLY: missing = lns ? "no OCRP from the LAC" : "no ICRP from the LNS"; break;
	default:
		missing = !lns ? "the call did not connect" : s->outgoing ? "no OCCN from the LAC" : "no ICCN from the LAC";
		break;
	}
	snprintf(why, sizeof(why), "setup timeout: %s within %s", missing, took);
	/* RFC 2661 has a result for a LAC's own timeout (10); an LNS says
	 * what it missed in a general error. */
	hangup_with(s, lns ? L2TP_RESULT_CDN_ERROR : L2TP_RESULT_CDN_TIMEOUT, L2TP_ERROR_NONE, why, why);
}

static void unexpected(struct l2tp_session *s, enum l2tp_call_event ev)
{
	char why[200];
	if (s->state == L2TP_CS_ESTABLISHED) {
		l2tp_slog(s, L2TP_LOG_INFO, "ignoring %s: not expected by an established call", l2tp_call_event_name(ev));
		return;
	}
	snprintf(why, sizeof(why), "%s received in state %s", l2tp_call_event_name(ev), l2tp_call_state_name(s->state));
	hangup_with(s, L2TP_RESULT_CDN_ERROR, L2TP_ERROR_NONE, why, why);
}

/* Runs an action; true when the session lives on and takes the cell's
 * next state. */
static bool run(struct l2tp_session *s, enum action a, enum l2tp_call_event ev, const struct l2tp_msg *m,
		const struct l2tp_codec_error *err)
{
	switch (a) {
	case A_UNEXPECTED: unexpected(s, ev); return false;
	case A_IGNORE: return true;
	case A_SEND_REQUEST: send_request(s); return true;
	case A_ICRP: return on_icrp(s, m);
	case A_OCRP: return on_reply(s, m);
	case A_CONNECTED: return on_connected(s, m);
	case A_CDN: on_cdn(s, m); return false;
	case A_LINK_INFO: link_info(s, m); return true;
	case A_MALFORMED: malformed(s, err); return false;
	case A_SETUP_EXPIRED: setup_expired(s); return false;
	}
	return false;
}

void l2tp_call_event(struct l2tp_session *s, enum l2tp_call_event ev, const struct l2tp_msg *m,
		     const struct l2tp_codec_error *err)
{
	if (s->closing || l2tp_tunnel_role(s->tunnel) == L2TP_ROLE_QUIESCENT)
		return;
	const struct cell *c = &kinds[l2tp_call_kind_of(s)].table[s->state][ev];
	/* An action that returns false may have freed s. */
	if (!run(s, c->action, ev, m, err) || c->next == SAME || c->next == s->state)
		return;
	s->state = c->next;
	if (s->state == L2TP_CS_ESTABLISHED)
		connected(s);
}

/* RFC 2661 reserves session ID 0: a call that asks for it is refused. */
static bool refuse_zero_sid(struct l2tp_tunnel *t, uint32_t peer_sid, uint16_t type)
{
	if (peer_sid != 0)
		return false;
	struct l2tp_verdict v = {.result_code = L2TP_RESULT_CDN_ERROR, .error_code = L2TP_ERROR_BAD_VALUE};
	snprintf(v.message, sizeof(v.message), "Assigned Session ID 0");
	l2tp_tlog(t, L2TP_LOG_INFO, "refusing an %s with Assigned Session ID 0", l2tp_msg_type_name(type));
	l2tp_call_refuse(t, 0, &v);
	return true;
}

/* A second call with an ID the peer already uses (a retransmission is
 * filtered by the transport) is refused. */
static bool refuse_duplicate(struct l2tp_tunnel *t, uint32_t peer_sid)
{
	if (!l2tp_session_by_peer_id(t, peer_sid))
		return false;
	struct l2tp_verdict v = {.result_code = L2TP_RESULT_CDN_ERROR, .error_code = L2TP_ERROR_BAD_SESSION_ID};
	snprintf(v.message, sizeof(v.message), "session ID %u is already in use", peer_sid);
	l2tp_call_refuse(t, peer_sid, &v);
	return true;
}

static void copy_string(char *out, size_t len, const char *s, uint16_t n)
{
	snprintf(out, len, "%.*s", s ? (int)n : 0, s ? s : "");
}

/* A call the peer places starts from the defaults and, in L2TPv3, from
 * what its request asks for (RFC 3931 section 5.4.4): the pseudowire, which
 * must be one we carry, its cookie, sublayer and sequencing. The hook sees
 * the result and may change it. False after refusing the call. */
static bool call_settings(struct l2tp_tunnel *t, const struct l2tp_call_view *v, struct l2tp_call_request *req,
			  struct l2tp_session_config *cfg)
{
	struct l2tp_verdict verdict = {.result_code = L2TP_RESULT_CDN_ERROR, .error_code = L2TP_ERROR_BAD_VALUE};
	l2tp_session_config_defaults(cfg, t->cfg.version);
	if (t->cfg.version == L2TP_V2)
		return true;
	if (v->pw_type != L2TP_PW_ETH && v->pw_type != L2TP_PW_ETH_VLAN && v->pw_type != L2TP_PW_PPP) {
		verdict.result_code = L2TP_RESULT_CDN_PW_TYPE;
		verdict.error_code = 0;
		snprintf(verdict.message, sizeof(verdict.message), "pseudowire type %u is not supported (accepted: 4, 5, 7)",
			 v->pw_type);
	} else if (!l2tp_cookie_len_ok(v->cookie_len)) {
		snprintf(verdict.message, sizeof(verdict.message), "a %u-byte cookie (accepted: 4 or 8)", v->cookie_len);
	} else if (v->has_l2spec && v->l2spec > L2TP_L2SPEC_DEFAULT) {
		snprintf(verdict.message, sizeof(verdict.message), "L2-Specific Sublayer %u is not supported (accepted: 0, 1)",
			 v->l2spec);
	} else {
		req->pseudowire = cfg->pseudowire = (enum l2tp_pseudowire)v->pw_type;
		take_peer_cookie(cfg, v);
		cfg->l2spec_type = v->has_l2spec ? (enum l2tp_l2spec)v->l2spec : L2TP_L2SPEC_NONE;
		cfg->seqnum = v->has_data_seq && v->data_seq != L2TP_DATA_SEQ_NONE;
		/* what the call was placed for, for session:config() */
		copy_string(cfg->remote_end_id, sizeof(cfg->remote_end_id), (const char *)v->remote_end_id,
			    v->remote_end_id_len);
		return true;
	}
	l2tp_tlog(t, L2TP_LOG_INFO, "refusing a call: %s", verdict.message);
	l2tp_call_refuse(t, v->assigned_sid, &verdict);
	return false;
}

/* Makes the session for a call the peer placed once it is admitted, and
 * answers with `reply` (ICRP, OCRP). */
static struct l2tp_session *answer(struct l2tp_tunnel *t, uint32_t peer_sid, struct l2tp_session_config *cfg,
				   uint16_t reply)
{
	struct l2tp_session *s;
	struct l2tp_msg out;
	if (l2tp_session_answered(t, peer_sid, cfg, reply == L2TP_MSG_OCRP ? "out" : "s", &s) != 0) {
		struct l2tp_verdict v = {.result_code = L2TP_RESULT_CDN_ERROR, .error_code = L2TP_ERROR_NO_RESOURCES};
		snprintf(v.message, sizeof(v.message), "cannot accept");
		l2tp_call_refuse(t, peer_sid, &v);
		return NULL;
	}
	s->state = L2TP_CS_WAIT_CONNECT;
	l2tp_build_call_reply(&out, reply, s);
	l2tp_tunnel_send(t, s, &out);
	return s;
}

/* LNS, established tunnel: an ICRQ. The listener admits it (limits, the
 * script's hook), then the LNS answers (ICRP) and waits for the ICCN. */
void l2tp_call_incoming(struct l2tp_tunnel *t, const struct l2tp_msg *m)
{
	struct l2tp_call_view v;
	struct l2tp_session_config cfg;
	struct l2tp_verdict verdict = {0};
	char calling[128], called[128], sub[128], end_id[128];

	l2tp_msg_read_call(m, &v);
	if (refuse_zero_sid(t, v.assigned_sid, L2TP_MSG_ICRQ) || refuse_duplicate(t, v.assigned_sid))
		return;
	copy_string(calling, sizeof(calling), v.calling, v.calling_len);
	copy_string(called, sizeof(called), v.called, v.called_len);
	copy_string(sub, sizeof(sub), v.sub_address, v.sub_address_len);
	copy_string(end_id, sizeof(end_id), (const char *)v.remote_end_id, v.remote_end_id_len);
	struct l2tp_call_request req = {t, v.assigned_sid, v.serial, v.bearer_type, calling, called, sub, L2TP_PW_NONE,
					end_id};
	if (!call_settings(t, &v, &req, &cfg))
		return;
	int rc = l2tp_listener_admit_call(t->listener, &req, &cfg, &verdict);
	if (t->closing)
		return; /* the hook closed the tunnel */
	if (rc != 0) {
		l2tp_call_refuse(t, v.assigned_sid, &verdict);
		return;
	}
	struct l2tp_session *s = answer(t, v.assigned_sid, &cfg, L2TP_MSG_ICRP);
	if (s) {
		l2tp_listener_call_added(t->listener, s);
		l2tp_tunnel_call_setup_start(t, s);
	}
}

/* LAC, established tunnel, a script that takes outgoing calls: an OCRQ.
 * "Dialling" is immediate here: the call is connected as it is answered
 * (OCRP, then OCCN). */
void l2tp_call_outgoing(struct l2tp_tunnel *t, const struct l2tp_msg *m)
{
	struct l2tp_call_view v;
	struct l2tp_session_config cfg;
	struct l2tp_verdict verdict = {0};
	char called[128], sub[128], end_id[128];

	l2tp_msg_read_call(m, &v);
	if (refuse_zero_sid(t, v.assigned_sid, L2TP_MSG_OCRQ) || refuse_duplicate(t, v.assigned_sid))
		return;
	copy_string(called, sizeof(called), v.called, v.called_len);
	copy_string(sub, sizeof(sub), v.sub_address, v.sub_address_len);
	copy_string(end_id, sizeof(end_id), (const char *)v.remote_end_id, v.remote_end_id_len);
	struct l2tp_call_request req = {t, v.assigned_sid, v.serial, v.bearer_type, "", called, sub, L2TP_PW_NONE, end_id};
	if (!call_settings(t, &v, &req, &cfg))
		return;
	int rc = t->ocrq_hook(t->ocrq_arg, t, &req, &cfg, &verdict);
	if (t->closing)
		return; /* the hook closed the tunnel */
	if (rc != 0) {
		if (!verdict.result_code)
			verdict.result_code = L2TP_RESULT_CDN_NO_FACILITIES_PERM;
		l2tp_tlog(t, L2TP_LOG_INFO, "outgoing call to '%s' refused: result %u", called, verdict.result_code);
		l2tp_call_refuse(t, v.assigned_sid, &verdict);
		return;
	}
	struct l2tp_session *s = answer(t, v.assigned_sid, &cfg, L2TP_MSG_OCRP);
	if (!s)
		return;
	s->outgoing = true;
	struct l2tp_msg occn;
	l2tp_build_call_connected(&occn, L2TP_MSG_OCCN, s);
	l2tp_tunnel_send(t, s, &occn);
	if (prepare_data(s)) {
		s->state = L2TP_CS_ESTABLISHED;
		connected(s);
	}
}
