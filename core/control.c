/* The L2TPv2 control connection (RFC 2661 section 7.2): one table per role
 * of (state, event) -> action + next state. Events are the messages the
 * transport passes up, a message that did not decode, and the setup timer.
 * A cell no row names is the RFC's answer to the unexpected: during setup
 * a StopCCN (result 7, FSM error), once established a log line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum action {
	A_UNEXPECTED = 0, /* the default of every cell */
	A_IGNORE,	  /* nothing beyond the transport's acknowledgement */
	A_STOPCCN,	  /* the peer stops: down, holding the channel (section 5.7) */
	A_MALFORMED,	  /* a message that did not decode: StopCCN with the codec's result */
	A_LOG_MALFORMED,  /* the same, where the tunnel lives on (quiescent) */
	A_SETUP_EXPIRED,
	A_SCCRQ,
	A_SCCRP,
	A_SCCCN,
	A_ICRQ,
	A_OCRQ,
	A_REFUSE_CALL, /* a call this role does not take: CDN */
	A_TO_CALL,     /* a message of an existing call: its own table */
};

struct cell {
	uint8_t action;
	uint8_t next; /* SAME: no change */
};

#define SAME L2TP_CC_NSTATES
#define C(a, n) {(a), (n)}
#define STAY(a) {(a), SAME}

/* Every state: the peer's StopCCN and HELLO, a malformed message. */
#define COMMON                                                                                                         \
	[L2TP_CE_STOPCCN] = STAY(A_STOPCCN), [L2TP_CE_HELLO] = STAY(A_IGNORE), [L2TP_CE_MALFORMED] = STAY(A_MALFORMED)
/* An established tunnel: calls' messages go to the call. */
#define CALLS                                                                                                          \
	[L2TP_CE_ICRP] = STAY(A_TO_CALL), [L2TP_CE_ICCN] = STAY(A_TO_CALL), [L2TP_CE_OCRP] = STAY(A_TO_CALL),          \
	[L2TP_CE_OCCN] = STAY(A_TO_CALL), [L2TP_CE_CDN] = STAY(A_TO_CALL), [L2TP_CE_WEN] = STAY(A_TO_CALL),            \
	[L2TP_CE_SLI] = STAY(A_TO_CALL)

/* The initiator (LAC): it enters wait-ctl-reply as it sends its SCCRQ. */
static const struct cell lac_table[L2TP_CC_NSTATES][L2TP_CE_NEVENTS] = {
	[L2TP_CC_WAIT_CTL_REPLY] = {COMMON, [L2TP_CE_SCCRP] = C(A_SCCRP, L2TP_CC_ESTABLISHED),
				    [L2TP_CE_SETUP_TIMER] = STAY(A_SETUP_EXPIRED)},
	[L2TP_CC_ESTABLISHED] = {COMMON, CALLS, [L2TP_CE_OCRQ] = STAY(A_OCRQ), [L2TP_CE_ICRQ] = STAY(A_REFUSE_CALL),
				 [L2TP_CE_SETUP_TIMER] = STAY(A_IGNORE)},
};

/* The responder (LNS): made idle by its listener for an SCCRQ. */
static const struct cell lns_table[L2TP_CC_NSTATES][L2TP_CE_NEVENTS] = {
	[L2TP_CC_IDLE] = {COMMON, [L2TP_CE_SCCRQ] = C(A_SCCRQ, L2TP_CC_WAIT_CTL_CONN),
			  [L2TP_CE_SETUP_TIMER] = STAY(A_SETUP_EXPIRED)},
	[L2TP_CC_WAIT_CTL_CONN] = {COMMON, [L2TP_CE_SCCCN] = C(A_SCCCN, L2TP_CC_ESTABLISHED),
				   [L2TP_CE_SETUP_TIMER] = STAY(A_SETUP_EXPIRED)},
	[L2TP_CC_ESTABLISHED] = {COMMON, CALLS, [L2TP_CE_ICRQ] = STAY(A_ICRQ), [L2TP_CE_OCRQ] = STAY(A_REFUSE_CALL),
				 [L2TP_CE_SETUP_TIMER] = STAY(A_IGNORE)},
};

/* A quiescent tunnel runs no setup: the peer is told nothing but HELLOs
 * and acknowledgements, and the tunnel lives as long as it answers. */
static const struct cell quiescent_table[L2TP_CC_NSTATES][L2TP_CE_NEVENTS] = {
	[L2TP_CC_ESTABLISHED] = {[L2TP_CE_STOPCCN] = STAY(A_STOPCCN), [L2TP_CE_HELLO] = STAY(A_IGNORE),
				 [L2TP_CE_MALFORMED] = STAY(A_LOG_MALFORMED), [L2TP_CE_SETUP_TIMER] = STAY(A_IGNORE)},
};

static const enum l2tp_cc_state lac_states[] = {L2TP_CC_WAIT_CTL_REPLY, L2TP_CC_ESTABLISHED};
static const enum l2tp_cc_state lns_states[] = {L2TP_CC_IDLE, L2TP_CC_WAIT_CTL_CONN, L2TP_CC_ESTABLISHED};
static const enum l2tp_cc_state quiescent_states[] = {L2TP_CC_ESTABLISHED};

static const struct {
	const struct cell (*table)[L2TP_CE_NEVENTS];
	const enum l2tp_cc_state *states;
	size_t nstates;
	const char *name;
} roles[] = {
	[L2TP_ROLE_LAC] = {lac_table, lac_states, L2TP_NELEM(lac_states), "LAC"},
	[L2TP_ROLE_LNS] = {lns_table, lns_states, L2TP_NELEM(lns_states), "LNS"},
	[L2TP_ROLE_QUIESCENT] = {quiescent_table, quiescent_states, L2TP_NELEM(quiescent_states), "quiescent tunnel"},
};

const enum l2tp_cc_state *l2tp_control_states(enum l2tp_role role, size_t *n)
{
	*n = roles[role].nstates;
	return roles[role].states;
}

const char *l2tp_cc_state_name(enum l2tp_cc_state s)
{
	static const char *const names[] = {
		[L2TP_CC_IDLE] = "idle",
		[L2TP_CC_WAIT_CTL_REPLY] = "wait-ctl-reply",
		[L2TP_CC_WAIT_CTL_CONN] = "wait-ctl-conn",
		[L2TP_CC_ESTABLISHED] = "established",
	};
	return (unsigned)s < L2TP_CC_NSTATES ? names[s] : "?";
}

const char *l2tp_cc_event_name(enum l2tp_cc_event e)
{
	static const char *const names[] = {
		[L2TP_CE_SCCRQ] = "SCCRQ", [L2TP_CE_SCCRP] = "SCCRP",	      [L2TP_CE_SCCCN] = "SCCCN",
		[L2TP_CE_STOPCCN] = "StopCCN", [L2TP_CE_HELLO] = "HELLO",     [L2TP_CE_OCRQ] = "OCRQ",
		[L2TP_CE_OCRP] = "OCRP",	 [L2TP_CE_OCCN] = "OCCN",	      [L2TP_CE_ICRQ] = "ICRQ",
		[L2TP_CE_ICRP] = "ICRP",	 [L2TP_CE_ICCN] = "ICCN",	      [L2TP_CE_CDN] = "CDN",
		[L2TP_CE_WEN] = "WEN",		 [L2TP_CE_SLI] = "SLI",	      [L2TP_CE_OTHER] = "another message",
		[L2TP_CE_MALFORMED] = "a malformed message", [L2TP_CE_SETUP_TIMER] = "setup timer",
	};
	return (unsigned)e < L2TP_CE_NEVENTS ? names[e] : "?";
}

enum l2tp_cc_event l2tp_cc_event_of(uint16_t msg_type)
{
	switch (msg_type) {
	case L2TP_MSG_SCCRQ: return L2TP_CE_SCCRQ;
	case L2TP_MSG_SCCRP: return L2TP_CE_SCCRP;
	case L2TP_MSG_SCCCN: return L2TP_CE_SCCCN;
	case L2TP_MSG_STOPCCN: return L2TP_CE_STOPCCN;
	case L2TP_MSG_HELLO: return L2TP_CE_HELLO;
	case L2TP_MSG_OCRQ: return L2TP_CE_OCRQ;
	case L2TP_MSG_OCRP: return L2TP_CE_OCRP;
	case L2TP_MSG_OCCN: return L2TP_CE_OCCN;
	case L2TP_MSG_ICRQ: return L2TP_CE_ICRQ;
	case L2TP_MSG_ICRP: return L2TP_CE_ICRP;
	case L2TP_MSG_ICCN: return L2TP_CE_ICCN;
	case L2TP_MSG_CDN: return L2TP_CE_CDN;
	case L2TP_MSG_WEN: return L2TP_CE_WEN;
	case L2TP_MSG_SLI: return L2TP_CE_SLI;
	default: return L2TP_CE_OTHER;
	}
}

enum l2tp_role l2tp_tunnel_role(const struct l2tp_tunnel *t)
{
	switch (t->kind) {
	case L2TP_TUNNEL_ACCEPTED: return L2TP_ROLE_LNS;
	case L2TP_TUNNEL_DYNAMIC: return L2TP_ROLE_LAC;
	default: return L2TP_ROLE_QUIESCENT;
	}
}

/* Tells the peer we stop (StopCCN), then takes the tunnel down, keeping the
 * channel until the StopCCN is acknowledged. */
void l2tp_control_stop(struct l2tp_tunnel *t, uint16_t result, uint16_t error, const char *msg, const char *reason)
{
	if (t->ch && !t->closing) {
		struct l2tp_msg m;
		l2tp_build_stopccn(&m, (uint8_t)t->cfg.version, t->cfg.tid, result, error, msg);
		l2tp_tunnel_send(t, NULL, &m);
		t->stop_sent = true;
	}
	struct l2tp_result res;
	l2tp_result_set(&res, result, error, msg);
	l2tp_tunnel_down(t, reason, &res, true);
}

/* Sends one StopCCN, now, and takes the tunnel down without a hold: a LAC
 * that is there learns why; one that is not (the usual case in a flood)
 * costs nothing more. */
void l2tp_control_drop(struct l2tp_tunnel *t, uint16_t result, uint16_t error, const char *msg, const char *reason)
{
	struct l2tp_msg m;
	struct l2tp_codec_error err;
	struct l2tp_result res;
	l2tp_build_stopccn(&m, (uint8_t)t->cfg.version, t->cfg.tid, result, error, msg);
	m.hdr.tunnel_id = t->cfg.ptid;
	/* Within the listener's budget for datagrams to addresses that have
	 * not shown they are there. */
	if (t->ch && !t->closing && (!t->listener || l2tp_listener_may_answer(t->listener)))
		l2tp_channel_send_once(t->ch, &m, &err);
	l2tp_result_set(&res, result, error, msg);
	l2tp_tunnel_down(t, reason, &res, false);
}

/* Tunnel authentication (RFC 2661 section 4.2), both roles. Each returns
 * false after stopping the tunnel. */
static bool answer_challenge(struct l2tp_tunnel *t, const struct l2tp_ctl_view *v, uint8_t type, uint8_t out[16])
{
	const char *secret = t->cfg.secret;
	if (!secret[0]) {
		l2tp_control_stop(t, L2TP_RESULT_STOPCCN_NOT_AUTHORIZED, 0, "no secret configured",
				  "peer challenged us and no secret is configured");
		return false;
	}
	l2tp_challenge_response(type, (const uint8_t *)secret, strlen(secret), v->challenge, v->challenge_len, out);
	return true;
}

static bool check_response(struct l2tp_tunnel *t, const struct l2tp_ctl_view *v, uint8_t type)
{
	const char *secret = t->cfg.secret;
	uint8_t want[16];
	l2tp_challenge_response(type, (const uint8_t *)secret, strlen(secret), t->our_challenge, sizeof(t->our_challenge),
				want);
	if (v->response && v->response_len == 16 && memcmp(v->response, want, 16) == 0)
		return true;
	l2tp_control_stop(t, L2TP_RESULT_STOPCCN_NOT_AUTHORIZED, 0, "challenge response mismatch",
			  v->response ? "peer failed our challenge (wrong secret)" : "peer did not answer our challenge");
	return false;
}

/* L2TPv3 with a secret: every message from our SCCRQ or SCCRP on carries
 * a digest (RFC 3931 section 4.3), made with our nonce and, once known,
 * the peer's (an LNS has it from the SCCRQ). False after stopping. */
bool l2tp_control_auth_start(struct l2tp_tunnel *t, const uint8_t *peer_nonce, size_t peer_len)
{
	uint8_t key[L2TP_AUTH_KEY_LEN];
	const char *secret = t->cfg.secret;
	struct l2tp_transport *tr = l2tp_channel_transport(t->ch);
	if (t->cfg.version != L2TP_V3 || !secret[0])
		return true;
	l2tp_random_bytes(t->nonce, sizeof(t->nonce));
	l2tp_auth_key(secret, strlen(secret), key);
	if (l2tp_transport_set_auth(tr, (uint8_t)t->cfg.digest, key, t->nonce, sizeof(t->nonce)) != 0 ||
	    (peer_nonce && l2tp_transport_set_peer_nonce(tr, peer_nonce, peer_len) != 0)) {
		l2tp_control_drop(t, L2TP_RESULT_STOPCCN_ERROR, L2TP_ERROR_NO_RESOURCES, "cannot set up authentication",
				  "cannot set up message authentication");
		return false;
	}
	return true;
}

void l2tp_control_open(struct l2tp_tunnel *t)
{
	struct l2tp_msg m;
	const uint8_t *chal = NULL;
	if (t->cfg.challenge) {
		l2tp_random_bytes(t->our_challenge, sizeof(t->our_challenge));
		chal = t->our_challenge;
	}
	if (!l2tp_control_auth_start(t, NULL, 0))
		return;
	l2tp_build_sccrq(&m, t, chal);
	l2tp_tunnel_send(t, NULL, &m);
	t->state = L2TP_CC_WAIT_CTL_REPLY;
	l2tp_tunnel_set_dialing(t, true);
}

/* The data plane takes the tunnel as the control connection comes up: a
 * failure stops it before the peer is told it is up. */
static bool create_dataplane(struct l2tp_tunnel *t)
{
	char err[256], why[300];
	struct l2tp_dp_tunnel dpt;
	l2tp_dp_tunnel_fill(t, &dpt);
	if (t->ctx->dp->tunnel_create(t->ctx->dp_state, &dpt, err, sizeof(err)) != 0) {
		snprintf(why, sizeof(why), "data plane: %s", err);
		l2tp_control_stop(t, L2TP_RESULT_STOPCCN_ERROR, L2TP_ERROR_NO_RESOURCES, "cannot create the data plane",
				  why);
		return false;
	}
	t->dp_created = true;
	return true;
}

/* Entering established: the tunnel is up, and its calls may go out. */
static void established(struct l2tp_tunnel *t)
{
	t->up = true;
	l2tp_transport_set_max_retries(l2tp_channel_transport(t->ch), t->cfg.max_retries);
	l2tp_listener_tunnel_up(t->listener, t);
	l2tp_tunnel_update_alarm(t);
	l2tp_tlog(t, L2TP_LOG_INFO, "established with %s, peer tunnel ID %u", t->peer_str, t->cfg.ptid);
	l2tp_context_post(t->ctx, L2TP_EVENT_TUNNEL_UP, t, NULL, NULL, NULL);
	for (struct l2tp_session *s = t->sessions_head; s && !t->closing;) {
		struct l2tp_session *next = s->next;
		l2tp_call_event(s, L2TP_SE_TUNNEL_UP, NULL, NULL);
		s = next;
	}
}

/* LAC, L2TPv3: message authentication is both ways or neither (RFC 3931
 * section 4.3). The transport has checked the SCCRP's digest where we
 * have a secret; here the nonces must agree with it. */
static bool check_auth(struct l2tp_tunnel *t, const struct l2tp_ctl_view *v)
{
	bool ours = t->cfg.secret[0] != 0;
	if (!ours && v->nonce) {
		l2tp_control_stop(t, L2TP_RESULT_STOPCCN_NOT_AUTHORIZED, 0, "no secret configured",
				  "peer authenticates its messages (it sent a nonce) and no secret is configured");
		return false;
	}
	if (ours && !l2tp_transport_has_peer_nonce(l2tp_channel_transport(t->ch))) {
		l2tp_control_stop(t, L2TP_RESULT_STOPCCN_NOT_AUTHORIZED, 0, "no Control Message Authentication Nonce",
				  "peer does not authenticate its messages (its SCCRP has no nonce) and we have a secret");
		return false;
	}
	return true;
}

/* LAC, wait-ctl-reply: the LNS's SCCRP (RFC 2661 section 6.2). */
static bool on_sccrp(struct l2tp_tunnel *t, const struct l2tp_msg *m)
{
	struct l2tp_ctl_view v;
	uint8_t answer[16];
	char why[300];

	l2tp_msg_read_ctl(m, &v);
	if (t->cfg.version == L2TP_V2 && (v.version != 1 || v.revision != 0)) {
		snprintf(why, sizeof(why), "peer speaks protocol version %u.%u, not 1.0", v.version, v.revision);
		l2tp_control_stop(t, L2TP_RESULT_STOPCCN_BAD_VERSION, 0, why, why);
		return false;
	}
	if (t->cfg.version == L2TP_V3 && !check_auth(t, &v))
		return false;
	if (v.assigned_tid == 0) {
		const char *what = t->cfg.version == L2TP_V2 ? "Assigned Tunnel ID 0" : "Assigned Control Connection ID 0";
		l2tp_control_stop(t, L2TP_RESULT_STOPCCN_ERROR, L2TP_ERROR_BAD_VALUE, what, what);
		return false;
	}
	t->cfg.ptid = v.assigned_tid;
	if (v.has_rx_window && v.rx_window == 0) {
		l2tp_control_stop(t, L2TP_RESULT_STOPCCN_ERROR, L2TP_ERROR_BAD_VALUE, "Receive Window Size 0",
				  "peer advertised a receive window of 0");
		return false;
	}
	if (v.has_rx_window)
		l2tp_transport_set_peer_window(l2tp_channel_transport(t->ch), v.rx_window);
	l2tp_transport_set_peer_id(l2tp_channel_transport(t->ch), t->cfg.ptid);

	if (t->cfg.challenge && !check_response(t, &v, L2TP_MSG_SCCRP))
		return false;
	if (v.challenge && !answer_challenge(t, &v, L2TP_MSG_SCCCN, answer))
		return false;

	/* The peer may have answered from another port: the data plane and
	 * the events use where it really is. */
	socklen_t plen;
	const struct sockaddr *peer = l2tp_channel_peer(t->ch, &plen);
	memcpy(&t->peer, peer, plen);
	t->peer_len = plen;
	l2tp_addr_format(peer, t->peer_str, sizeof(t->peer_str));
	if (!create_dataplane(t))
		return false;

	struct l2tp_msg out;
	l2tp_build_scccn(&out, (uint8_t)t->cfg.version, v.challenge ? answer : NULL);
	l2tp_tunnel_send(t, NULL, &out);
	return true;
}

/* LNS, idle: the SCCRQ its listener made it for (section 6.1). The
 * listener has refused what could only fail here (another protocol
 * version, a challenge without a secret). */
static bool on_sccrq(struct l2tp_tunnel *t, const struct l2tp_msg *m)
{
	struct l2tp_ctl_view v;
	uint8_t answer[16];
	const uint8_t *chal = NULL;

	l2tp_msg_read_ctl(m, &v);
	l2tp_transport_set_peer_id(l2tp_channel_transport(t->ch), t->cfg.ptid);
	if (v.has_rx_window && v.rx_window)
		l2tp_transport_set_peer_window(l2tp_channel_transport(t->ch), v.rx_window);
	if (v.challenge && !answer_challenge(t, &v, L2TP_MSG_SCCRP, answer))
		return false;
	/* With a secret, an LNS authenticates every LAC (section 4.2). */
	if (t->cfg.secret[0]) {
		l2tp_random_bytes(t->our_challenge, sizeof(t->our_challenge));
		chal = t->our_challenge;
		t->challenged = true;
	}
	struct l2tp_msg out;
	l2tp_build_sccrp(&out, t, chal, v.challenge ? answer : NULL);
	l2tp_tunnel_send(t, NULL, &out);
	return true;
}

/* LNS, wait-ctl-conn: the LAC's SCCCN (section 6.3). */
static bool on_scccn(struct l2tp_tunnel *t, const struct l2tp_msg *m)
{
	if (t->challenged) {
		struct l2tp_ctl_view v;
		l2tp_msg_read_ctl(m, &v);
		if (!check_response(t, &v, L2TP_MSG_SCCCN))
			return false;
	}
	return create_dataplane(t);
}

static void on_stopccn(struct l2tp_tunnel *t, const struct l2tp_msg *m)
{
	struct l2tp_result res;
	char why[400];
	l2tp_result_from_msg(m, &res);
	snprintf(why, sizeof(why), "peer sent StopCCN: result %u (%s)%s%s", res.result_code,
		 l2tp_result_code_text(L2TP_MSG_STOPCCN, res.result_code), res.message[0] ? ": " : "", res.message);
	l2tp_tunnel_down(t, why, &res, true);
}

/* What the tunnel still waited for when its setup time ran out. */
static void setup_expired(struct l2tp_tunnel *t)
{
	char why[300], took[32], hint[160];
	const char *missing;
	l2tp_format_ms(t->cfg.setup_timeout_ms, took, sizeof(took));
	if (t->kind == L2TP_TUNNEL_DYNAMIC)
		missing = "no SCCRP from the LNS";
	else if (t->state == L2TP_CC_IDLE)
		missing = "no valid SCCRQ from the LAC";
	else
		missing = "no SCCCN from the LAC";
	snprintf(why, sizeof(why), "setup timeout: %s within %s%s", missing, took,
		 l2tp_tunnel_auth_hint(t, hint, sizeof(hint)));
	l2tp_listener_setup_timeout(t->listener);
	if (t->kind == L2TP_TUNNEL_ACCEPTED && !l2tp_tunnel_heard_back(t)) {
		/* The LAC never acknowledged our SCCRP (a request from an
		 * address that does not answer, as in a flood): one StopCCN,
		 * no hold. */
		l2tp_control_drop(t, L2TP_RESULT_STOPCCN_GENERAL, 0, why, why);
		return;
	}
	l2tp_control_stop(t, L2TP_RESULT_STOPCCN_GENERAL, 0, why, why);
}

static void malformed(struct l2tp_tunnel *t, const struct l2tp_codec_error *err, bool stop)
{
	char why[400];
	const char *type = l2tp_msg_type_name(err->msg_type);
	snprintf(why, sizeof(why), "bad %s from peer: %s", type ? type : "message", err->message);
	if (stop)
		l2tp_control_stop(t, err->result_code, err->error_code, err->message, why);
	else
		l2tp_tlog(t, L2TP_LOG_INFO, "ignoring a %s", why);
}

/* A call request this role does not take (an ICRQ at a LAC, an OCRQ at an
 * LNS, an OCRQ at a LAC whose script takes no outgoing calls): refused
 * with a CDN (RFC 2661 section 6.14), from a session ID no call of ours
 * has, so it cannot close one of them. */
static void refuse_call(struct l2tp_tunnel *t, const struct l2tp_msg *m, const char *why)
{
	struct l2tp_call_view v;
	struct l2tp_verdict verdict = {.result_code = L2TP_RESULT_CDN_NO_FACILITIES_PERM};
	l2tp_msg_read_call(m, &v);
	snprintf(verdict.message, sizeof(verdict.message), "%s", why);
	l2tp_call_refuse(t, v.assigned_sid, &verdict);
	l2tp_tlog(t, L2TP_LOG_INFO, "refused an %s: %s", l2tp_msg_type_name(m->type), why);
}

static void to_call(struct l2tp_tunnel *t, const struct l2tp_msg *m, const struct l2tp_codec_error *err)
{
	uint32_t sid = l2tp_msg_call_id(m);
	struct l2tp_session *s = sid ? l2tp_session_by_id(t, sid) : NULL;
	if (s)
		l2tp_call_event(s, err ? L2TP_SE_MALFORMED : l2tp_call_event_of(m->type), m, err);
	else
		l2tp_tlog(t, L2TP_LOG_DEBUG, "%s for unknown session %u ignored",
			  l2tp_msg_type_name(err ? err->msg_type : m->type), sid);
}

/* RFC 2661 section 7.2: what the state does not expect ends the control
 * connection during setup; once established it is logged and ignored. */
static void unexpected(struct l2tp_tunnel *t, enum l2tp_cc_event ev, const struct l2tp_msg *m)
{
	char why[300];
	const char *what = m && l2tp_msg_type_name(m->type) ? l2tp_msg_type_name(m->type) : l2tp_cc_event_name(ev);
	if (t->state != L2TP_CC_ESTABLISHED) {
		snprintf(why, sizeof(why), "%s received in state %s", what, l2tp_cc_state_name(t->state));
		l2tp_control_stop(t, L2TP_RESULT_STOPCCN_FSM_ERROR, 0, why, why);
		return;
	}
	l2tp_tlog(t, L2TP_LOG_INFO, "ignoring %s: not expected by a%s %s", what,
		  l2tp_tunnel_role(t) == L2TP_ROLE_LNS ? "n" : "", roles[l2tp_tunnel_role(t)].name);
}

static bool run(struct l2tp_tunnel *t, enum action a, enum l2tp_cc_event ev, const struct l2tp_msg *m,
		const struct l2tp_codec_error *err)
{
	switch (a) {
	case A_UNEXPECTED: unexpected(t, ev, m); return false;
	case A_IGNORE: return true;
	case A_STOPCCN: on_stopccn(t, m); return false;
	case A_MALFORMED: malformed(t, err, true); return false;
	case A_LOG_MALFORMED: malformed(t, err, false); return true;
	case A_SETUP_EXPIRED: setup_expired(t); return false;
	case A_SCCRQ: return on_sccrq(t, m);
	case A_SCCRP: return on_sccrp(t, m);
	case A_SCCCN: return on_scccn(t, m);
	case A_ICRQ: l2tp_call_incoming(t, m); return true;
	case A_OCRQ:
		if (t->ocrq_hook)
			l2tp_call_outgoing(t, m);
		else
			refuse_call(t, m, "outgoing calls are not accepted");
		return true;
	case A_REFUSE_CALL:
		refuse_call(t, m, l2tp_tunnel_role(t) == L2TP_ROLE_LNS ? "an LNS places no outgoing calls"
								     : "a LAC takes no incoming calls");
		return true;
	case A_TO_CALL: to_call(t, m, err); return true;
	}
	return false;
}

void l2tp_control_event(struct l2tp_tunnel *t, enum l2tp_cc_event ev, const struct l2tp_msg *m,
			const struct l2tp_codec_error *err)
{
	enum l2tp_role role = l2tp_tunnel_role(t);
	enum l2tp_cc_state from = t->state;
	const struct cell *c = &roles[role].table[from][ev];
	if (t->closing)
		return;
	/* A hook run by the action may close anything, this tunnel included:
	 * its memory stays until the action returns. */
	l2tp_tunnel_hold(t);
	bool ok = run(t, c->action, ev, m, err);
	if (ok && !t->closing && c->next != SAME && c->next != from) {
		t->state = c->next;
		l2tp_tunnel_set_dialing(t, t->state == L2TP_CC_WAIT_CTL_REPLY);
		if (t->state == L2TP_CC_ESTABLISHED)
			established(t);
	}
	l2tp_tunnel_release(t);
}

/* A request for a new call that did not decode (an unknown M-bit AVP, a
 * required AVP missing) ends that call, not the control connection (RFC
 * 2661 section 4.1, RFC 3931 section 5.2): a CDN to the session the peer
 * named, where the AVPs read before the fault name one. */
static bool refuse_bad_request(struct l2tp_tunnel *t, const struct l2tp_msg *m, const struct l2tp_codec_error *err)
{
	struct l2tp_call_view v;
	if ((err->msg_type != L2TP_MSG_ICRQ && err->msg_type != L2TP_MSG_OCRQ) || t->state != L2TP_CC_ESTABLISHED)
		return false;
	l2tp_msg_read_call(m, &v);
	if (!v.assigned_sid)
		return false;
	struct l2tp_verdict verdict = {.result_code = err->result_code, .error_code = err->error_code};
	snprintf(verdict.message, sizeof(verdict.message), "%.*s", (int)sizeof(verdict.message) - 1, err->message);
	l2tp_tlog(t, L2TP_LOG_INFO, "refusing a bad %s: %s", l2tp_msg_type_name(err->msg_type), err->message);
	l2tp_call_refuse(t, v.assigned_sid, &verdict);
	return true;
}

void l2tp_control_input(struct l2tp_tunnel *t, const struct l2tp_msg *m, const struct l2tp_codec_error *err)
{
	if (err && err->session_scope && l2tp_tunnel_has_calls(t)) {
		/* A call's message that did not decode is the call's to answer. */
		if (l2tp_msg_call_id(m)) {
			to_call(t, m, err);
			return;
		}
		if (refuse_bad_request(t, m, err))
			return;
	}
	l2tp_control_event(t, err ? L2TP_CE_MALFORMED : l2tp_cc_event_of(m->type), m, err);
}
