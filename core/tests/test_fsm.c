/* Walks every (state, event) cell of every state machine table: the
 * control connection's (LAC, LNS, quiescent) and the call's (LAC, LNS).
 * Each cell runs on a fresh context over a socket layer and clock of the
 * test's own (l2tp/io.h): the tunnel or call is brought to the state by a
 * real exchange, the event is injected, and what our side sent and the
 * state it is left in are checked against the expectations below, written
 * from RFC 2661 sections 7.2 and 7.4, not read from the tables. The states
 * walked come from the core, so a row added to a table without an
 * expectation here fails. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <stdlib.h>

#include "check.h"
#include "fake_io.h"
#include "internal.h"

#define MAXSENT 32
#define GONE (-1)
#define NONE 0xfffe /* nothing sent (acknowledgements aside) */

static uint16_t sent[MAXSENT];
static int nsent;
static uint32_t last_sid; /* the Assigned Session ID we last sent */
static char last_log[512];

/* Records what our side sends, and what the peer acknowledges next. */
static void on_sent(int sock, const uint8_t *buf, size_t len)
{
	static uint8_t copy[4096];
	struct l2tp_msg m;
	struct l2tp_decode_opts o = {.no_validate = true};
	if (len > sizeof(copy))
		return;
	memcpy(copy, buf, len);
	if (l2tp_msg_decode(copy, len, &o, &m, NULL) != 0)
		return;
	if (m.type != L2TP_MSG_ZLB) {
		fake.socks[sock].peer_nr = (uint16_t)(m.hdr.ns + 1);
		if (nsent < MAXSENT)
			sent[nsent++] = m.type;
	}
	const struct l2tp_avp *a = l2tp_msg_find(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	if (a && (m.type == L2TP_MSG_SCCRQ || m.type == L2TP_MSG_SCCRP))
		fake.socks[sock].our_tid = l2tp_avp_u16(a);
	a = l2tp_msg_find(&m, L2TP_AVP_ASSIGNED_SESSION_ID);
	if (a && m.type != L2TP_MSG_CDN)
		last_sid = l2tp_avp_u16(a);
}

static void logged(void *arg, enum l2tp_log_level level, const char *line)
{
	(void)arg, (void)level;
	snprintf(last_log, sizeof(last_log), "%s", line);
}

static struct event_base *base;

static struct l2tp_context *new_ctx(void)
{
	fake_io_reset(1000, on_sent);
	nsent = 0;
	struct l2tp_context_config cc = {.log_level = L2TP_LOG_DEBUG, .log_fn = logged, .io_ops = &fake_io_ops};
	struct l2tp_context *ctx;
	char err[256];
	if (l2tp_context_new(base, &cc, &ctx, err, sizeof(err)) != 0) {
		fprintf(stderr, "context: %s\n", err);
		exit(1);
	}
	return ctx;
}

static void sockaddr_of(const char *ip, uint16_t port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
}

/* A message of type as a well-behaved peer sends it (v2's required AVPs),
 * or with malformed, one that does not decode (a StopCCN without its
 * Result Code; for a call, an ICRP without its session ID). */
static void peer_msg(struct l2tp_msg *m, uint16_t type)
{
	static const uint8_t errors[26], accm[10];
	l2tp_msg_init(m, 2, type);
	switch (type) {
	case L2TP_MSG_SCCRQ:
	case L2TP_MSG_SCCRP:
		l2tp_msg_add(m, L2TP_AVP_PROTOCOL_VERSION, true, false, "\x01\x00", 2);
		l2tp_msg_add(m, L2TP_AVP_HOST_NAME, true, false, "peer", 4);
		l2tp_msg_add_u32(m, L2TP_AVP_FRAMING_CAPABILITIES, true, 3);
		l2tp_msg_add_u16(m, L2TP_AVP_ASSIGNED_TUNNEL_ID, true, 77);
		break;
	case L2TP_MSG_STOPCCN:
		l2tp_msg_add_u16(m, L2TP_AVP_ASSIGNED_TUNNEL_ID, true, 77);
		l2tp_msg_add_result(m, 1, 0, "bye");
		break;
	case L2TP_MSG_OCRQ:
		l2tp_msg_add_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID, true, 55);
		l2tp_msg_add_u32(m, L2TP_AVP_CALL_SERIAL_NUMBER, true, 1);
		l2tp_msg_add_u32(m, L2TP_AVP_MINIMUM_BPS, true, 0);
		l2tp_msg_add_u32(m, L2TP_AVP_MAXIMUM_BPS, true, 1000000);
		l2tp_msg_add_u32(m, L2TP_AVP_BEARER_TYPE, true, 0);
		l2tp_msg_add_u32(m, L2TP_AVP_FRAMING_TYPE, true, 3);
		l2tp_msg_add(m, L2TP_AVP_CALLED_NUMBER, true, false, "123", 3);
		break;
	case L2TP_MSG_ICRQ:
		l2tp_msg_add_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID, true, 55);
		l2tp_msg_add_u32(m, L2TP_AVP_CALL_SERIAL_NUMBER, true, 1);
		break;
	case L2TP_MSG_OCRP:
	case L2TP_MSG_ICRP: l2tp_msg_add_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID, true, 55); break;
	case L2TP_MSG_OCCN:
	case L2TP_MSG_ICCN:
		l2tp_msg_add_u32(m, L2TP_AVP_TX_CONNECT_SPEED, true, 1000000);
		l2tp_msg_add_u32(m, L2TP_AVP_FRAMING_TYPE, true, 3);
		break;
	case L2TP_MSG_CDN:
		l2tp_msg_add_result(m, 3, 0, "bye");
		l2tp_msg_add_u16(m, L2TP_AVP_ASSIGNED_SESSION_ID, true, 55);
		break;
	case L2TP_MSG_WEN: l2tp_msg_add(m, L2TP_AVP_CALL_ERRORS, true, false, errors, sizeof(errors)); break;
	case L2TP_MSG_SLI: l2tp_msg_add(m, L2TP_AVP_ACCM, true, false, accm, sizeof(accm)); break;
	}
}

/* Sends m from the peer to socket sock, from addr. */
static void deliver(struct l2tp_context *ctx, int sock, struct l2tp_msg *m, uint32_t sid, const char *ip,
		    uint16_t port, bool no_validate)
{
	uint8_t buf[1024];
	size_t len;
	struct sockaddr_in from;
	struct l2tp_encode_opts o = {.no_validate = no_validate};
	m->hdr.tunnel_id = fake.socks[sock].our_tid;
	m->hdr.session_id = sid;
	m->hdr.ns = m->type == L2TP_MSG_ZLB ? fake.socks[sock].peer_ns : fake.socks[sock].peer_ns++;
	m->hdr.nr = fake.socks[sock].peer_nr;
	if (l2tp_msg_encode(m, &o, buf, sizeof(buf), &len, NULL) != 0) {
		fprintf(stderr, "cannot encode %s\n", l2tp_msg_type_name(m->type));
		exit(1);
	}
	sockaddr_of(ip, port, &from);
	CHECK_EQ(l2tp_io_deliver(ctx->io, sock, buf, len, (struct sockaddr *)&from, sizeof(from)), 0);
}

/* The peer acknowledges everything we sent, until we send no more (our
 * side starts with a window of one, RFC 2661 appendix A). */
static void ack_all(struct l2tp_context *ctx, int sock, const char *ip, uint16_t port)
{
	for (int round = 0; round < 8 && fake.socks[sock].open; round++) {
		int before = nsent;
		struct l2tp_msg zlb;
		uint8_t buf[64];
		size_t len;
		struct sockaddr_in from;
		l2tp_msg_init(&zlb, 2, L2TP_MSG_ZLB);
		zlb.hdr.tunnel_id = fake.socks[sock].our_tid;
		zlb.hdr.ns = fake.socks[sock].peer_ns;
		zlb.hdr.nr = fake.socks[sock].peer_nr;
		if (l2tp_msg_encode(&zlb, NULL, buf, sizeof(buf), &len, NULL) != 0)
			exit(1);
		sockaddr_of(ip, port, &from);
		l2tp_io_deliver(ctx->io, sock, buf, len, (struct sockaddr *)&from, sizeof(from));
		if (nsent == before)
			return;
	}
}

/* The message type each control event is made of; the malformed one and
 * the timer are made apart. */
static const uint16_t cc_msg[L2TP_CE_NEVENTS] = {
	[L2TP_CE_SCCRQ] = L2TP_MSG_SCCRQ, [L2TP_CE_SCCRP] = L2TP_MSG_SCCRP, [L2TP_CE_SCCCN] = L2TP_MSG_SCCCN,
	[L2TP_CE_STOPCCN] = L2TP_MSG_STOPCCN, [L2TP_CE_HELLO] = L2TP_MSG_HELLO, [L2TP_CE_OCRQ] = L2TP_MSG_OCRQ,
	[L2TP_CE_OCRP] = L2TP_MSG_OCRP, [L2TP_CE_OCCN] = L2TP_MSG_OCCN, [L2TP_CE_ICRQ] = L2TP_MSG_ICRQ,
	[L2TP_CE_ICRP] = L2TP_MSG_ICRP, [L2TP_CE_ICCN] = L2TP_MSG_ICCN, [L2TP_CE_CDN] = L2TP_MSG_CDN,
	[L2TP_CE_WEN] = L2TP_MSG_WEN, [L2TP_CE_SLI] = L2TP_MSG_SLI, [L2TP_CE_OTHER] = L2TP_MSG_ACK,
	[L2TP_CE_MALFORMED] = L2TP_MSG_STOPCCN,
};

struct outcome {
	uint16_t sends; /* a message type, or NONE */
	int after;	/* a state, or GONE */
	const char *log; /* what the log's last line says, if anything in particular */
};

static bool is_call_msg(enum l2tp_cc_event ev)
{
	return ev == L2TP_CE_ICRP || ev == L2TP_CE_ICCN || ev == L2TP_CE_OCRP || ev == L2TP_CE_OCCN ||
	       ev == L2TP_CE_CDN || ev == L2TP_CE_WEN || ev == L2TP_CE_SLI;
}

/* RFC 2661 section 7.2, and section 6.14 for call requests a role does
 * not take. */
static struct outcome cc_expect(enum l2tp_role role, enum l2tp_cc_state st, enum l2tp_cc_event ev)
{
	const struct outcome stop = {L2TP_MSG_STOPCCN, GONE, NULL}, stay = {NONE, (int)st, NULL};
	/* In every role and state. */
	if (ev == L2TP_CE_STOPCCN)
		return (struct outcome){NONE, GONE, "peer sent StopCCN"};
	if (ev == L2TP_CE_HELLO)
		return stay;
	if (role == L2TP_ROLE_QUIESCENT) {
		if (ev == L2TP_CE_MALFORMED)
			return (struct outcome){NONE, (int)st, "ignoring a bad"};
		if (ev == L2TP_CE_SETUP_TIMER)
			return stay;
		return (struct outcome){NONE, (int)st, "ignoring"};
	}
	if (ev == L2TP_CE_MALFORMED)
		return stop;
	if (st != L2TP_CC_ESTABLISHED) {
		if (role == L2TP_ROLE_LAC && ev == L2TP_CE_SCCRP)
			return (struct outcome){L2TP_MSG_SCCCN, L2TP_CC_ESTABLISHED, NULL};
		if (role == L2TP_ROLE_LNS && st == L2TP_CC_IDLE && ev == L2TP_CE_SCCRQ)
			return (struct outcome){L2TP_MSG_SCCRP, L2TP_CC_WAIT_CTL_CONN, NULL};
		if (role == L2TP_ROLE_LNS && st == L2TP_CC_WAIT_CTL_CONN && ev == L2TP_CE_SCCCN)
			return (struct outcome){NONE, L2TP_CC_ESTABLISHED, NULL};
		if (ev == L2TP_CE_SETUP_TIMER)
			return (struct outcome){L2TP_MSG_STOPCCN, GONE, "setup timeout"};
		return (struct outcome){L2TP_MSG_STOPCCN, GONE, "received in state"};
	}
	if (ev == L2TP_CE_SETUP_TIMER)
		return stay;
	if (role == L2TP_ROLE_LNS && ev == L2TP_CE_ICRQ)
		return (struct outcome){L2TP_MSG_ICRP, (int)st, NULL};
	if (ev == L2TP_CE_ICRQ || ev == L2TP_CE_OCRQ)
		return (struct outcome){L2TP_MSG_CDN, (int)st, "refused an"};
	if (is_call_msg(ev))
		return (struct outcome){NONE, (int)st, "unknown session"};
	return (struct outcome){NONE, (int)st, "ignoring"};
}

#define LNS_IP "192.0.2.1"
#define LAC_IP "192.0.2.2"

struct bench {
	struct l2tp_context *ctx;
	struct l2tp_tunnel *t;
	uint64_t handle;
	int sock;	   /* the tunnel's */
	const char *peer;  /* the peer's address */
	uint16_t peer_port;
};

static void tunnel_cfg(struct l2tp_tunnel_config *c, enum l2tp_tunnel_kind kind)
{
	l2tp_tunnel_config_defaults(c, kind);
	c->setup_timeout_ms = 5000;
	c->ack_timeout_ms = 100;
}

/* Our LAC with its SCCRQ out (wait-ctl-reply), or answered (established). */
static void lac_at(struct bench *b, enum l2tp_cc_state st)
{
	struct l2tp_tunnel_config c;
	char err[256];
	b->ctx = new_ctx();
	tunnel_cfg(&c, L2TP_TUNNEL_DYNAMIC);
	snprintf(c.peer, sizeof(c.peer), LNS_IP ":1701");
	CHECK_EQ(l2tp_tunnel_create(b->ctx, L2TP_TUNNEL_DYNAMIC, "lac", &c, &b->t, err, sizeof(err)), 0);
	b->handle = l2tp_tunnel_handle(b->t);
	b->sock = 0;
	b->peer = LNS_IP;
	b->peer_port = 1701;
	fake.socks[0].our_tid = b->t->cfg.tid; /* what our SCCRQ assigned */
	ack_all(b->ctx, 0, LNS_IP, 1701);
	if (st == L2TP_CC_ESTABLISHED) {
		struct l2tp_msg m;
		peer_msg(&m, L2TP_MSG_SCCRP);
		deliver(b->ctx, 0, &m, 0, LNS_IP, 1701, false);
		ack_all(b->ctx, 0, LNS_IP, 1701);
	}
	CHECK_EQ(b->t->state, st);
}

/* Our LNS: a tunnel its listener made (idle, before any SCCRQ reached
 * it), answered (wait-ctl-conn), or up (established). */
static void lns_at(struct bench *b, enum l2tp_cc_state st)
{
	struct l2tp_listener_config lc;
	struct l2tp_listener *l;
	struct sockaddr_in lac;
	char err[256];
	b->ctx = new_ctx();
	l2tp_listener_config_defaults(&lc);
	snprintf(lc.local, sizeof(lc.local), LNS_IP ":1701");
	lc.tunnel.setup_timeout_ms = 5000;
	CHECK_EQ(l2tp_listener_create(b->ctx, "lns", &lc, &l, err, sizeof(err)), 0);
	b->peer = LAC_IP;
	b->peer_port = 1701;
	sockaddr_of(LAC_IP, 1701, &lac);
	if (st == L2TP_CC_IDLE) {
		/* A tunnel as the listener makes it, fed a ZLB: no event. */
		uint8_t zlb[12] = {0xc8, 0x02, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0};
		CHECK_EQ(l2tp_tunnel_accept(l, (struct sockaddr *)&lac, sizeof(lac), LAC_IP ":1701", 77, false,
					    l->cfg.tunnel.secret, zlb, sizeof(zlb), NULL, err, sizeof(err)),
			 0);
	} else {
		struct l2tp_msg m;
		peer_msg(&m, L2TP_MSG_SCCRQ);
		deliver(b->ctx, 0, &m, 0, LAC_IP, 1701, false);
	}
	b->t = b->ctx->tunnels_tail;
	CHECK(b->t != NULL);
	if (!b->t)
		exit(1);
	b->handle = l2tp_tunnel_handle(b->t);
	for (int i = FAKE_MAXSOCK - 1; i >= 0; i--)
		if (fake.socks[i].open) {
			b->sock = i;
			break;
		}
	fake.socks[b->sock].our_tid = b->t->cfg.tid;
	if (st != L2TP_CC_IDLE) {
		fake.socks[b->sock].peer_ns = 1; /* the SCCRQ came through the listener */
		ack_all(b->ctx, b->sock, LAC_IP, 1701);
	}
	if (st == L2TP_CC_ESTABLISHED) {
		struct l2tp_msg m;
		peer_msg(&m, L2TP_MSG_SCCCN);
		deliver(b->ctx, b->sock, &m, 0, LAC_IP, 1701, false);
	}
	CHECK_EQ(b->t->state, st);
}

static void quiescent_at(struct bench *b, enum l2tp_cc_state st)
{
	struct l2tp_tunnel_config c;
	char err[256];
	b->ctx = new_ctx();
	tunnel_cfg(&c, L2TP_TUNNEL_QUIESCENT);
	snprintf(c.local, sizeof(c.local), LAC_IP ":1701");
	snprintf(c.peer, sizeof(c.peer), LNS_IP ":1701");
	c.tid = 10;
	c.ptid = 77;
	CHECK_EQ(l2tp_tunnel_create(b->ctx, L2TP_TUNNEL_QUIESCENT, "q", &c, &b->t, err, sizeof(err)), 0);
	b->handle = l2tp_tunnel_handle(b->t);
	b->sock = 0;
	b->peer = LNS_IP;
	b->peer_port = 1701;
	fake.socks[0].our_tid = 10;
	CHECK_EQ(b->t->state, st);
}

static void (*const cc_setup[])(struct bench *, enum l2tp_cc_state) = {
	[L2TP_ROLE_LAC] = lac_at, [L2TP_ROLE_LNS] = lns_at, [L2TP_ROLE_QUIESCENT] = quiescent_at};
static const char *const role_names[] = {"LAC", "LNS", "quiescent"};
static const char *const call_kind_names[] = {"LAC incoming", "LNS incoming", "LNS outgoing", "LAC outgoing"};

static bool contains(const char *hay, const char *needle)
{
	return !needle || strstr(hay, needle) != NULL;
}

static void check_cell(const char *table, const char *state, const char *event, const struct outcome *want,
		       uint16_t got_sent, int got_after, const char *log)
{
	if (want->sends == got_sent && want->after == got_after && contains(log, want->log)) {
		check_passed++;
		return;
	}
	check_failed++;
	fprintf(stderr, "%s (%s, %s): want %s then %d%s%s; got %s then %d (log: %s)\n", table, state, event,
		want->sends == NONE ? "nothing" : l2tp_msg_type_name(want->sends), want->after,
		want->log ? ", log " : "", want->log ? want->log : "",
		got_sent == NONE ? "nothing" : l2tp_msg_type_name(got_sent), got_after, log);
}

/* What was sent since mark: NONE, the one type, or 0 for several. */
static uint16_t sent_since(int mark)
{
	if (nsent == mark)
		return NONE;
	return nsent == mark + 1 ? sent[mark] : 0;
}

static int cc_cells;

static void control_tables_answer_every_event_as_the_rfc_says(void)
{
	for (enum l2tp_role role = L2TP_ROLE_LAC; role <= L2TP_ROLE_QUIESCENT; role++) {
		size_t nstates;
		const enum l2tp_cc_state *states = l2tp_control_states(role, &nstates);
		for (size_t i = 0; i < nstates; i++) {
			for (enum l2tp_cc_event ev = 0; ev < L2TP_CE_NEVENTS; ev++) {
				struct bench b;
				cc_setup[role](&b, states[i]);
				int mark = nsent;
				last_log[0] = '\0';
				if (ev == L2TP_CE_SETUP_TIMER) {
					l2tp_control_event(b.t, ev, NULL, NULL);
				} else {
					struct l2tp_msg m;
					peer_msg(&m, cc_msg[ev]);
					if (ev == L2TP_CE_MALFORMED)
						m.navps = 2; /* the Result Code goes */
					uint32_t sid = is_call_msg(ev) ? 999 : 0;
					deliver(b.ctx, b.sock, &m, sid, b.peer, b.peer_port, ev == L2TP_CE_MALFORMED);
				}
				ack_all(b.ctx, b.sock, b.peer, b.peer_port);
				struct l2tp_tunnel *t = l2tp_tunnel_lookup(b.ctx, b.handle);
				struct outcome want = cc_expect(role, states[i], ev);
				char table[64];
				snprintf(table, sizeof(table), "control/%s", role_names[role]);
				check_cell(table, l2tp_cc_state_name(states[i]), l2tp_cc_event_name(ev), &want,
					   sent_since(mark), t ? (int)t->state : GONE, last_log);
				cc_cells++;
				l2tp_context_free(b.ctx);
			}
		}
	}
}

/* RFC 2661 section 7.4: calls. */
static struct outcome call_expect(enum l2tp_call_kind kind, enum l2tp_call_state st, enum l2tp_call_event ev)
{
	const struct outcome stay = {NONE, (int)st, NULL};
	/* Before its ICRQ or OCRQ the peer knows nothing of the call: nothing
	 * to tell. */
	uint16_t cdn = st == L2TP_CS_WAIT_TUNNEL ? NONE : L2TP_MSG_CDN;
	if (ev == L2TP_SE_CDN)
		return (struct outcome){NONE, GONE, "peer sent CDN"};
	if (ev == L2TP_SE_MALFORMED)
		return (struct outcome){cdn, GONE, "bad"};
	if (st == L2TP_CS_ESTABLISHED) {
		if (ev == L2TP_SE_SLI)
			return (struct outcome){NONE, (int)st, "link info"};
		if (ev == L2TP_SE_WEN)
			return (struct outcome){NONE, (int)st, "WAN errors"};
		if (ev == L2TP_SE_TUNNEL_UP || ev == L2TP_SE_SETUP_TIMER)
			return stay;
		return (struct outcome){NONE, (int)st, "ignoring"};
	}
	if (ev == L2TP_SE_SETUP_TIMER)
		return (struct outcome){cdn, GONE, "setup timeout"};
	if (ev == L2TP_SE_TUNNEL_UP) {
		uint16_t request = kind == L2TP_CALL_LNS_OUT ? L2TP_MSG_OCRQ : L2TP_MSG_ICRQ;
		return st == L2TP_CS_WAIT_TUNNEL ? (struct outcome){request, L2TP_CS_WAIT_REPLY, NULL} : stay;
	}
	if (kind == L2TP_CALL_LAC_IN && st == L2TP_CS_WAIT_REPLY && ev == L2TP_SE_ICRP)
		return (struct outcome){L2TP_MSG_ICCN, L2TP_CS_ESTABLISHED, NULL};
	if (kind == L2TP_CALL_LNS_IN && st == L2TP_CS_WAIT_CONNECT && ev == L2TP_SE_ICCN)
		return (struct outcome){NONE, L2TP_CS_ESTABLISHED, NULL};
	if (kind == L2TP_CALL_LNS_OUT && st == L2TP_CS_WAIT_REPLY && ev == L2TP_SE_OCRP)
		return (struct outcome){NONE, L2TP_CS_WAIT_CONNECT, NULL};
	if (kind == L2TP_CALL_LNS_OUT && st == L2TP_CS_WAIT_CONNECT && ev == L2TP_SE_OCCN)
		return (struct outcome){NONE, L2TP_CS_ESTABLISHED, NULL};
	return (struct outcome){cdn, GONE, "received in state"};
}

static const uint16_t call_msg[L2TP_SE_NEVENTS] = {
	[L2TP_SE_ICRP] = L2TP_MSG_ICRP, [L2TP_SE_ICCN] = L2TP_MSG_ICCN, [L2TP_SE_OCRP] = L2TP_MSG_OCRP,
	[L2TP_SE_OCCN] = L2TP_MSG_OCCN, [L2TP_SE_CDN] = L2TP_MSG_CDN,	[L2TP_SE_WEN] = L2TP_MSG_WEN,
	[L2TP_SE_SLI] = L2TP_MSG_SLI,
};

/* A LAC script's on_outgoing_call that takes every call. */
static int take_ocrq(void *arg, struct l2tp_tunnel *t, const struct l2tp_call_request *req,
		     struct l2tp_session_config *settings, struct l2tp_verdict *v)
{
	(void)arg, (void)t, (void)req, (void)settings, (void)v;
	return 0;
}

/* A call of each kind in state st. Placed by us: on a tunnel in setup
 * (wait-tunnel) or up (wait-reply), then answered (an LNS's OCRP:
 * wait-connect) and connected (established). Answered by us: an ICRQ
 * (wait-connect, then its ICCN: established), an OCRQ (established at
 * once). */
static struct l2tp_session *call_at(struct bench *b, enum l2tp_call_kind kind, enum l2tp_call_state st)
{
	struct l2tp_session *s = NULL;
	struct l2tp_session_config sc;
	char err[256];
	if (kind == L2TP_CALL_LNS_OUT) {
		lns_at(b, st == L2TP_CS_WAIT_TUNNEL ? L2TP_CC_WAIT_CTL_CONN : L2TP_CC_ESTABLISHED);
		l2tp_session_config_defaults(&sc, L2TP_V2);
		CHECK_EQ(l2tp_session_create(b->t, "call", &sc, &s, err, sizeof(err)), 0);
		ack_all(b->ctx, b->sock, b->peer, b->peer_port);
		static const uint16_t answers[] = {L2TP_MSG_OCRP, L2TP_MSG_OCCN};
		int n = st == L2TP_CS_ESTABLISHED ? 2 : st == L2TP_CS_WAIT_CONNECT ? 1 : 0;
		for (int i = 0; i < n; i++) {
			struct l2tp_msg m;
			peer_msg(&m, answers[i]);
			deliver(b->ctx, b->sock, &m, s->cfg.sid, b->peer, b->peer_port, false);
			ack_all(b->ctx, b->sock, b->peer, b->peer_port);
		}
	} else if (kind == L2TP_CALL_LAC_OUT) {
		lac_at(b, L2TP_CC_ESTABLISHED);
		l2tp_tunnel_set_ocrq_hook(b->t, take_ocrq, NULL);
		struct l2tp_msg m;
		peer_msg(&m, L2TP_MSG_OCRQ);
		deliver(b->ctx, b->sock, &m, 0, b->peer, b->peer_port, false);
		ack_all(b->ctx, b->sock, b->peer, b->peer_port);
		s = b->t->sessions_head;
	} else if (kind == L2TP_CALL_LAC_IN) {
		lac_at(b, st == L2TP_CS_WAIT_TUNNEL ? L2TP_CC_WAIT_CTL_REPLY : L2TP_CC_ESTABLISHED);
		l2tp_session_config_defaults(&sc, L2TP_V2);
		CHECK_EQ(l2tp_session_create(b->t, "call", &sc, &s, err, sizeof(err)), 0);
		ack_all(b->ctx, b->sock, b->peer, b->peer_port);
		if (st == L2TP_CS_ESTABLISHED) {
			struct l2tp_msg m;
			peer_msg(&m, L2TP_MSG_ICRP);
			deliver(b->ctx, b->sock, &m, s->cfg.sid, b->peer, b->peer_port, false);
			ack_all(b->ctx, b->sock, b->peer, b->peer_port);
		}
	} else {
		lns_at(b, L2TP_CC_ESTABLISHED);
		struct l2tp_msg m;
		peer_msg(&m, L2TP_MSG_ICRQ);
		deliver(b->ctx, b->sock, &m, 0, b->peer, b->peer_port, false);
		ack_all(b->ctx, b->sock, b->peer, b->peer_port);
		s = b->t->sessions_head;
		if (s && st == L2TP_CS_ESTABLISHED) {
			peer_msg(&m, L2TP_MSG_ICCN);
			deliver(b->ctx, b->sock, &m, s->cfg.sid, b->peer, b->peer_port, false);
		}
	}
	CHECK(s != NULL);
	if (!s)
		exit(1);
	CHECK_EQ(s->state, st);
	return s;
}

static int call_cells;

static void call_tables_answer_every_event_as_the_rfc_says(void)
{
	for (enum l2tp_call_kind kind = 0; kind < L2TP_CALL_NKINDS; kind++) {
		size_t nstates;
		const enum l2tp_call_state *states = l2tp_call_states(kind, &nstates);
		for (size_t i = 0; i < nstates; i++) {
			for (enum l2tp_call_event ev = 0; ev < L2TP_SE_NEVENTS; ev++) {
				struct bench b;
				struct l2tp_session *s = call_at(&b, kind, states[i]);
				uint64_t handle = l2tp_session_handle(s);
				struct l2tp_msg m;
				struct l2tp_codec_error bad = {.result_code = L2TP_RESULT_CDN_ERROR,
							       .error_code = L2TP_ERROR_BAD_LENGTH,
							       .msg_type = L2TP_MSG_ICRP,
							       .session_scope = true};
				snprintf(bad.message, sizeof(bad.message), "test: a bad AVP");
				int mark = nsent;
				last_log[0] = '\0';
				peer_msg(&m, call_msg[ev] ? call_msg[ev] : L2TP_MSG_ICRP);
				l2tp_call_event(s, ev, call_msg[ev] || ev == L2TP_SE_MALFORMED ? &m : NULL,
						ev == L2TP_SE_MALFORMED ? &bad : NULL);
				ack_all(b.ctx, b.sock, b.peer, b.peer_port);
				s = l2tp_session_lookup(b.ctx, handle);
				struct outcome want = call_expect(kind, states[i], ev);
				char table[64];
				snprintf(table, sizeof(table), "call/%s", call_kind_names[kind]);
				check_cell(table, l2tp_call_state_name(states[i]), l2tp_call_event_name(ev), &want,
					   sent_since(mark), s ? (int)s->state : GONE, last_log);
				call_cells++;
				l2tp_context_free(b.ctx);
			}
		}
	}
}

/* The walk above covers each role's rows: these are the rows there are. */
static void every_role_has_the_rows_the_rfc_names(void)
{
	size_t n;
	l2tp_control_states(L2TP_ROLE_LAC, &n);
	CHECK_EQ(n, 2);
	l2tp_control_states(L2TP_ROLE_LNS, &n);
	CHECK_EQ(n, 3);
	l2tp_call_states(L2TP_CALL_LAC_IN, &n);
	CHECK_EQ(n, 3);
	l2tp_call_states(L2TP_CALL_LNS_IN, &n);
	CHECK_EQ(n, 2);
	l2tp_call_states(L2TP_CALL_LNS_OUT, &n);
	CHECK_EQ(n, 4);
	l2tp_call_states(L2TP_CALL_LAC_OUT, &n);
	CHECK_EQ(n, 1);
}

int main(void)
{
	base = event_base_new();
	RUN(every_role_has_the_rows_the_rfc_names);
	RUN(control_tables_answer_every_event_as_the_rfc_says);
	RUN(call_tables_answer_every_event_as_the_rfc_says);
	printf("state machine cells walked: %d control, %d call\n", cc_cells, call_cells);
	event_base_free(base);
	return check_report();
}
