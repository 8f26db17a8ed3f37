/* Drives the tunnel and call state machines of both roles (an LNS's
 * listener and accepted tunnels, a LAC's dynamic tunnels and calls) with
 * sequences of messages, junk, API calls and clock jumps, through the
 * sans-IO path: a socket layer and a clock of the fuzzer's own (l2tp/io.h).
 * Randomness is seeded per input, so every finding replays.
 *
 * Input: two bytes of setup, then operations until the bytes run out:
 *   setup[0] bits: 0 listener secret, 1 LAC secret + challenge, 2 LAC hides
 *     AVPs, 3 tunnel_port "new", 4 on_tunnel refuses, 5 on_call refuses,
 *     6 the LAC accepts outgoing calls
 *   setup[1]: max_pending 1-8 (low 3 bits + 1), bit 3 the LAC speaks L2TPv3
 *     (its secret then signs every message), calls placed at once (bits 4-5)
 *   op % 8: 0, 5 a message to the LNS side (the listener or an accepted
 *     tunnel's socket) from one of four LACs; 1, 6 a message to a LAC
 *     tunnel from its LNS (from port 1701 or another); 2 the clock moves;
 *     3 an API call; 4, 7 raw bytes to any socket
 *   a message: type, flags (v3, no validation, fuzzed Ns/Nr, ID 0, random
 *     ID, session ID from those seen, an extra AVP, hidden IDs), an index
 *     into the IDs our side has used, then its values.
 * Invariants, besides the sanitizers: the listener never holds more than
 * max_pending tunnels in setup; the socket count agrees with the sockets
 * opened and closed; once every timer has run out, no tunnel or call is
 * left in setup; a freed context leaves no socket open. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "l2tp/codec.h"
#include "fake_io.h"
#include "l2tp/io.h"
#include "l2tp/l2tp.h"

#define NIDS 16

static struct event_base *base;
static uint64_t rng;

/* Every random byte the core asks for comes from here. */
ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	(void)flags;
	for (size_t i = 0; i < len; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		((uint8_t *)buf)[i] = (uint8_t)rng;
	}
	return (ssize_t)len;
}

static uint32_t ids[NIDS];
static int nids;
static const char *secret;

static void learn(uint32_t id)
{
	if (!id)
		return;
	for (int i = 0; i < nids; i++)
		if (ids[i] == id)
			return;
	if (nids < NIDS)
		ids[nids++] = id;
	else
		ids[id % NIDS] = id;
}

/* What our side sends teaches the fuzzer the IDs and sequence numbers to
 * use next. */
static void on_sent(int sock, const uint8_t *buf, size_t len)
{
	static struct l2tp_msg m;
	static uint8_t copy[65540];
	struct l2tp_decode_opts o = {.no_validate = true, .secret = (const uint8_t *)secret,
				     .secret_len = secret ? strlen(secret) : 0};
	if (len > sizeof(copy))
		abort();
	memcpy(copy, buf, len);
	if (l2tp_msg_decode(copy, len, &o, &m, NULL) != 0)
		return;
	learn(m.hdr.tunnel_id);
	learn(m.hdr.session_id);
	const struct l2tp_avp *a = l2tp_msg_find(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	if (a && a->len == 2)
		learn(l2tp_avp_u16(a));
	a = l2tp_msg_find(&m, L2TP_AVP_ASSIGNED_SESSION_ID);
	if (a && a->len == 2)
		learn(l2tp_avp_u16(a));
	fake.socks[sock].peer_ns = m.hdr.nr;
	if (m.type != L2TP_MSG_ZLB)
		fake.socks[sock].peer_nr = (uint16_t)(m.hdr.ns + 1);
}


/* The input, read from the front; zeros once it runs out. */
struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static bool refuse_tunnels, refuse_calls;

static int on_tunnel(void *arg, struct l2tp_listener *l, const struct l2tp_tunnel_request *req, struct l2tp_verdict *v)
{
	(void)arg, (void)l, (void)req;
	if (!refuse_tunnels)
		return 0;
	v->result_code = 4;
	return -1;
}

static int on_call(void *arg, struct l2tp_listener *l, const struct l2tp_call_request *req,
		   struct l2tp_session_config *settings, struct l2tp_verdict *v)
{
	(void)arg, (void)l, (void)settings;
	if (!refuse_calls || req->serial % 2)
		return 0;
	v->result_code = 5;
	return -1;
}

static int on_ocrq(void *arg, struct l2tp_tunnel *t, const struct l2tp_call_request *req,
		   struct l2tp_session_config *settings, struct l2tp_verdict *v)
{
	(void)arg, (void)t, (void)req, (void)settings, (void)v;
	return 0;
}

static void on_event(void *arg, const struct l2tp_event *ev)
{
	(void)arg;
	if (!ev->tunnel_name || (ev->type == L2TP_EVENT_TUNNEL_DOWN && !ev->reason))
		abort();
}

static void quiet(void *arg, enum l2tp_log_level level, const char *line)
{
	(void)arg, (void)level, (void)line;
}

static const uint16_t types[] = {
	L2TP_MSG_SCCRQ, L2TP_MSG_SCCRP, L2TP_MSG_SCCCN, L2TP_MSG_STOPCCN, L2TP_MSG_HELLO, L2TP_MSG_OCRQ,
	L2TP_MSG_OCRP,	L2TP_MSG_OCCN,	L2TP_MSG_ICRQ,	L2TP_MSG_ICRP,	 L2TP_MSG_ICCN,	 L2TP_MSG_CDN,
	L2TP_MSG_WEN,	L2TP_MSG_SLI,	L2TP_MSG_ACK,	L2TP_MSG_ZLB,	 99,
};

static uint32_t pick_id(struct in *in)
{
	uint8_t i = take(in);
	return nids ? ids[i % nids] : i;
}

/* Builds a message from the input and delivers it to sock from `from`. */
static void message(struct in *in, struct l2tp_context *ctx, int sock, const struct sockaddr_in *from)
{
	static struct l2tp_msg m;
	uint8_t buf[4096], bytes[64], pv[2];
	size_t n;
	uint16_t type = types[take(in) % (sizeof(types) / sizeof(types[0]))];
	uint8_t fl = take(in);
	struct fake_sock *s = &fake.socks[sock];
	l2tp_msg_init(&m, fl & 1 ? 3 : 2, type);
	m.hdr.tunnel_id = fl & 8 ? 0 : fl & 16 ? take(in) : pick_id(in);
	m.hdr.session_id = fl & 32 ? pick_id(in) : 0;
	if (type == L2TP_MSG_SCCRQ && !(fl & 16))
		m.hdr.tunnel_id = 0;
	m.hdr.ns = s->peer_ns;
	m.hdr.nr = s->peer_nr;
	if (fl & 4) {
		m.hdr.ns = (uint16_t)(take(in) << 8 | take(in));
		m.hdr.nr = (uint16_t)(take(in) << 8 | take(in));
	}
	bool hide = (fl & 128) && secret;
	uint16_t id16 = (uint16_t)(1 + take(in));
	switch (type) {
	case L2TP_MSG_SCCRQ:
	case L2TP_MSG_SCCRP: {
		pv[0] = 1;
		pv[1] = take(in) == 7;
		l2tp_msg_add(&m, L2TP_AVP_PROTOCOL_VERSION, true, false, pv, 2);
		l2tp_msg_add(&m, L2TP_AVP_HOST_NAME, true, false, "fuzz", 4);
		l2tp_msg_add_u32(&m, L2TP_AVP_FRAMING_CAPABILITIES, true, 3);
		l2tp_msg_add_u16(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID, true, take(in) == 0 ? 0 : id16);
		m.avps[m.navps - 1].hidden = hide;
		l2tp_msg_add_u16(&m, L2TP_AVP_RECEIVE_WINDOW_SIZE, true, (uint16_t)(take(in) % 9));
		if (take(in) & 1) {
			for (int i = 0; i < 16; i++)
				bytes[i] = take(in);
			l2tp_msg_add(&m, L2TP_AVP_CHALLENGE, true, false, bytes, 16);
		}
		if (take(in) & 1) {
			for (int i = 0; i < 8; i++)
				bytes[32 + i] = take(in);
			l2tp_msg_add(&m, L2TP_AVP_TIE_BREAKER, false, false, bytes + 32, 8);
		}
		break;
	}
	case L2TP_MSG_SCCCN:
		if (take(in) & 1) {
			for (int i = 0; i < 16; i++)
				bytes[i] = take(in);
			l2tp_msg_add(&m, L2TP_AVP_CHALLENGE_RESPONSE, true, false, bytes, 16);
		}
		break;
	case L2TP_MSG_STOPCCN:
		l2tp_msg_add_u16(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID, true, id16);
		l2tp_msg_add_result(&m, take(in) % 8, take(in) % 9, take(in) & 1 ? "bye" : NULL);
		break;
	case L2TP_MSG_OCRQ:
	case L2TP_MSG_ICRQ:
		l2tp_msg_add_u16(&m, L2TP_AVP_ASSIGNED_SESSION_ID, true, take(in) == 0 ? 0 : id16);
		m.avps[m.navps - 1].hidden = hide;
		l2tp_msg_add_u32(&m, L2TP_AVP_CALL_SERIAL_NUMBER, true, take(in));
		if (type == L2TP_MSG_OCRQ) {
			l2tp_msg_add_u32(&m, L2TP_AVP_MINIMUM_BPS, true, 0);
			l2tp_msg_add_u32(&m, L2TP_AVP_MAXIMUM_BPS, true, 1000000);
			l2tp_msg_add_u32(&m, L2TP_AVP_BEARER_TYPE, true, 1);
			l2tp_msg_add_u32(&m, L2TP_AVP_FRAMING_TYPE, true, 1);
			l2tp_msg_add(&m, L2TP_AVP_CALLED_NUMBER, true, false, "123", 3);
		}
		break;
	case L2TP_MSG_OCRP:
	case L2TP_MSG_ICRP:
		l2tp_msg_add_u16(&m, L2TP_AVP_ASSIGNED_SESSION_ID, true, take(in) == 0 ? 0 : id16);
		m.avps[m.navps - 1].hidden = hide;
		break;
	case L2TP_MSG_OCCN:
	case L2TP_MSG_ICCN:
		l2tp_msg_add_u32(&m, L2TP_AVP_TX_CONNECT_SPEED, true, 1000000);
		l2tp_msg_add_u32(&m, L2TP_AVP_FRAMING_TYPE, true, 1);
		if (take(in) & 1)
			l2tp_msg_add(&m, L2TP_AVP_SEQUENCING_REQUIRED, true, false, NULL, 0);
		break;
	case L2TP_MSG_CDN:
		l2tp_msg_add_result(&m, take(in) % 12, take(in) % 9, NULL);
		l2tp_msg_add_u16(&m, L2TP_AVP_ASSIGNED_SESSION_ID, true, id16);
		break;
	case L2TP_MSG_WEN:
		memset(bytes, 0, 26);
		l2tp_msg_add(&m, L2TP_AVP_CALL_ERRORS, true, false, bytes, 26);
		break;
	case L2TP_MSG_SLI:
		for (int i = 0; i < 10; i++)
			bytes[i] = take(in);
		l2tp_msg_add(&m, L2TP_AVP_ACCM, true, false, bytes, 10);
		break;
	default:
		break;
	}
	if (fl & 64) {
		uint8_t t = take(in), len = take(in) % 24, mb = take(in);
		for (int i = 0; i < len; i++)
			bytes[40 + (i % 24)] = take(in);
		struct l2tp_avp *a = &m.avps[m.navps];
		if (m.navps < L2TP_MAX_AVPS) {
			*a = (struct l2tp_avp){.vendor = mb & 2 ? 9 : 0, .type = t, .mandatory = mb & 1, .len = len, .value = bytes + 40};
			m.navps++;
		}
	}
	struct l2tp_encode_opts eo = {.no_validate = (fl & 2) != 0, .secret = (const uint8_t *)secret,
				      .secret_len = secret ? strlen(secret) : 0};
	if (l2tp_msg_encode(&m, &eo, buf, sizeof(buf), &n, NULL) != 0)
		return;
	if (type != L2TP_MSG_ZLB)
		s->peer_ns++;
	l2tp_io_deliver(l2tp_context_io(ctx), sock, buf, n, (const struct sockaddr *)from, sizeof(*from));
}

static struct sockaddr_in addr(uint32_t host, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(host)};
	return a;
}

static int find_sock(bool lac, const struct sockaddr_in *peer, int k)
{
	int found = -1, seen = 0;
	for (int i = 0; i < FAKE_MAXSOCK; i++) {
		struct fake_sock *s = &fake.socks[i];
		if (!s->open || s->listen || s->lac != lac)
			continue;
		if (peer && (!s->has_peer || ((struct sockaddr_in *)&s->peer)->sin_addr.s_addr != peer->sin_addr.s_addr))
			continue;
		if (seen++ == k || found < 0)
			found = i;
	}
	return found;
}

static int listen_sock(void)
{
	for (int i = 0; i < FAKE_MAXSOCK; i++)
		if (fake.socks[i].open && fake.socks[i].listen)
			return i;
	return -1;
}

struct tcheck {
	int stuck;
	uint64_t sessions;
};

static void count_session(struct l2tp_session *s, void *arg)
{
	struct tcheck *c = arg;
	c->sessions++;
	if (!l2tp_session_is_up(s))
		c->stuck++;
}

static void check_tunnel(struct l2tp_tunnel *t, void *arg)
{
	struct tcheck *c = arg;
	if (l2tp_tunnel_kind(t) != L2TP_TUNNEL_STATIC && !l2tp_tunnel_is_up(t))
		c->stuck++;
	l2tp_tunnel_foreach_session(t, count_session, c);
}

static void check(struct l2tp_context *ctx, struct l2tp_listener *l, uint32_t max_pending)
{
	struct l2tp_context_stats cs;
	l2tp_context_stats(ctx, &cs);
	if (cs.sockets != (uint64_t)fake.nopen)
		abort();
	if (l) {
		struct l2tp_listener_stats ls;
		l2tp_listener_stats(l, &ls);
		if (ls.pending > max_pending)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	char err[512];
	if (!base)
		base = event_base_new();
	rng = 0x9e3779b97f4a7c15ULL ^ size;
	fake_io_reset(1000000, on_sent);
	nids = 0;

	uint8_t s0 = take(&in), s1 = take(&in);
	secret = (s0 & 3) ? "fuzz-secret" : NULL;
	refuse_tunnels = s0 & 16;
	refuse_calls = s0 & 32;
	uint32_t max_pending = (s1 & 7) + 1;

	struct l2tp_context_config cc = {.log_level = L2TP_LOG_DEBUG, .log_fn = quiet, .event_fn = on_event,
					 .io_ops = &fake_io_ops, .max_lingering = 4};
	struct l2tp_context *ctx;
	if (l2tp_context_new(base, &cc, &ctx, err, sizeof(err)) != 0)
		abort();

	struct l2tp_listener_config lc;
	l2tp_listener_config_defaults(&lc);
	snprintf(lc.local, sizeof(lc.local), "192.0.2.1:1701");
	lc.max_pending = max_pending;
	lc.max_tunnels = 6;
	lc.max_sessions = 6;
	lc.tunnel_port = s0 & 8 ? L2TP_TUNNEL_PORT_NEW : L2TP_TUNNEL_PORT_SAME;
	lc.versions = L2TP_LISTEN_V2 | L2TP_LISTEN_V3;
	if (s0 & 1)
		snprintf(lc.tunnel.secret, sizeof(lc.tunnel.secret), "%s", secret);
	lc.on_tunnel = on_tunnel;
	lc.on_call = on_call;
	struct l2tp_listener *l;
	if (l2tp_listener_create(ctx, "lns", &lc, &l, err, sizeof(err)) != 0)
		abort();

	struct l2tp_tunnel_config tc;
	l2tp_tunnel_config_defaults(&tc, L2TP_TUNNEL_DYNAMIC);
	snprintf(tc.peer, sizeof(tc.peer), "192.0.2.2:1701");
	tc.version = s1 & 8 ? L2TP_V3 : L2TP_V2;
	if (s0 & 2) {
		snprintf(tc.secret, sizeof(tc.secret), "%s", secret);
		tc.challenge = tc.version == L2TP_V2;
		tc.hide_avps = s0 & 4;
	}
	struct l2tp_session_config sc;
	l2tp_session_config_defaults(&sc, tc.version);
	int nlac = 0;
	struct l2tp_tunnel *t;
	char name[32];
	snprintf(name, sizeof(name), "lac%d", nlac++);
	if (l2tp_tunnel_create(ctx, L2TP_TUNNEL_DYNAMIC, name, &tc, &t, err, sizeof(err)) != 0)
		abort();
	if (s0 & 64)
		l2tp_tunnel_set_ocrq_hook(t, on_ocrq, NULL);
	uint64_t lac_handle = l2tp_tunnel_handle(t);
	int nsess = 0;
	for (int i = 0; i < ((s1 >> 4) & 3); i++) {
		struct l2tp_session *s;
		snprintf(name, sizeof(name), "c%d", nsess++);
		l2tp_session_create(t, name, &sc, &s, err, sizeof(err));
	}

	for (int ops = 0; in.n && ops < 64; ops++) {
		uint8_t op = take(&in);
		switch (op % 8) {
		case 0:
		case 5: {
			uint8_t b = take(&in);
			struct sockaddr_in from = addr(0xc0000210 + (b & 3), (uint16_t)(1701 + (b & 16 ? 1000 : 0)));
			int sock = (b & 32) ? find_sock(false, &from, 0) : -1;
			if (sock < 0)
				sock = listen_sock();
			if (sock >= 0)
				message(&in, ctx, sock, &from);
			break;
		}
		case 1:
		case 6: {
			uint8_t b = take(&in);
			struct sockaddr_in from = addr(0xc0000202, b & 1 ? 4000 : 1701);
			int sock = find_sock(true, NULL, b >> 1);
			if (sock >= 0)
				message(&in, ctx, sock, &from);
			break;
		}
		case 2:
			fake.now += (uint64_t)take(&in) * 97;
			l2tp_io_run_timers(l2tp_context_io(ctx));
			break;
		case 3: {
			uint8_t a = take(&in), k = take(&in);
			struct l2tp_tunnel *lt = l2tp_tunnel_lookup(ctx, lac_handle);
			switch (a % 6) {
			case 0:
				if (nlac < 4) {
					snprintf(name, sizeof(name), "lac%d", nlac++);
					if (l2tp_tunnel_create(ctx, L2TP_TUNNEL_DYNAMIC, name, &tc, &lt, err, sizeof(err)) == 0)
						lac_handle = l2tp_tunnel_handle(lt);
				}
				break;
			case 1:
				if (lt) {
					struct l2tp_session *s;
					snprintf(name, sizeof(name), "c%d", nsess++);
					l2tp_session_create(lt, name, &sc, &s, err, sizeof(err));
				}
				break;
			case 2:
				if (lt && l2tp_tunnel_session_count(lt)) {
					snprintf(name, sizeof(name), "c%d", k % (nsess ? nsess : 1));
					l2tp_session_close(l2tp_session_find(lt, name), "fuzz");
				}
				break;
			case 3:
				if (lt && (k & 1))
					l2tp_tunnel_close(lt, "fuzz");
				else if (l2tp_context_tunnel_count(ctx)) {
					struct l2tp_tunnel *first = NULL;
					for (uint64_t h = 1; h < 4096 && !first; h++)
						first = l2tp_tunnel_lookup(ctx, h);
					l2tp_tunnel_close(first, "fuzz");
				}
				break;
			case 4:
				if (l) {
					l2tp_listener_close(l);
					l = NULL;
				}
				break;
			default:
				break;
			}
			break;
		}
		default: {
			uint8_t len = take(&in) % 48, k = take(&in);
			uint8_t raw[48];
			for (int i = 0; i < len; i++)
				raw[i] = take(&in);
			int sock = k % FAKE_MAXSOCK;
			struct sockaddr_in from = addr(0xc0000202, 1701);
			if (fake.socks[sock].open)
				l2tp_io_deliver(l2tp_context_io(ctx), sock, raw, len, (const struct sockaddr *)&from, sizeof(from));
			break;
		}
		}
		l2tp_context_flush_events(ctx);
		check(ctx, l, max_pending);
	}

	/* Every timer runs out: nothing may be left half set up. */
	for (int i = 0; i < 20; i++) {
		fake.now += 10000;
		l2tp_io_run_timers(l2tp_context_io(ctx));
		l2tp_context_flush_events(ctx);
	}
	struct tcheck c = {0};
	l2tp_context_foreach_tunnel(ctx, check_tunnel, &c);
	if (c.stuck)
		abort();
	check(ctx, l, max_pending);
	l2tp_context_free(ctx);
	if (fake.nopen != 0)
		abort();
	return 0;
}
