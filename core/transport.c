#include "l2tp/transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define DEFAULT_TX_WINDOW 4
#define DEFAULT_RETRY_MS 1000
#define DEFAULT_RETRY_CAP_MS 8000
#define DEFAULT_STOPCCN_MS 31000

/* A message we sent (or will send when the window opens). */
struct txmsg {
	struct txmsg *next;
	uint16_t ns;
	uint16_t type;
	bool sent;
	uint16_t retries;
	uint64_t deadline; /* next retransmission */
	size_t len;
	uint8_t buf[];
};

/* A message that arrived ahead of its turn, kept until the gap fills. */
struct rxmsg {
	struct rxmsg *next;
	uint16_t ns;
	size_t len;
	uint8_t buf[];
};

struct l2tp_transport {
	struct l2tp_transport_config cfg;
	struct l2tp_transport_ops ops;
	void *arg;

	uint32_t peer_id;
	uint16_t next_ns;  /* Ns of the next message we queue */
	uint16_t expected; /* Nr: the next Ns we want from the peer */

	struct txmsg *txq, *txq_tail; /* oldest unacknowledged first */
	uint16_t hellos; /* HELLOs in txq: none is sent while one is (without walking txq for it) */
	uint16_t in_flight;
	uint16_t tx_window;
	uint16_t cwnd, ssthresh, ca_acks;
	uint16_t recover; /* messages before this Ns were in flight at the last reduction */

	struct rxmsg *rxq; /* sorted by distance from expected */
	uint16_t rxq_len;

	uint64_t ack_deadline;	   /* pending ZLB */
	uint64_t last_rx;	   /* for HELLO */
	uint32_t hello_slack;	   /* ms added to hello_timeout: see hear() */
	bool hello_crossed;	   /* the peer's HELLO came while ours was unacknowledged */
	uint64_t release_deadline; /* StopCCN hold */
	uint64_t alarm;		   /* the owner's */
	bool lingering;
	bool until_acked;	   /* we sent the StopCCN: released once it is acknowledged */

	/* L2TPv3 message authentication, once on. */
	struct {
		bool on;
		uint8_t type;
		uint8_t key[L2TP_AUTH_KEY_LEN];
		uint8_t nonce[L2TP_NONCE_MAX];
		uint8_t *peer_nonce; /* NULL until known */
		size_t nonce_len, peer_nonce_len;
	} auth;

	int busy;  /* callbacks running */
	bool dead; /* freed during a callback */
	struct l2tp_transport_stats st;
	/* Decode target, too big for the stack: the owner's (one per context
	 * serves every transport, as decoding never nests) or own[]. */
	struct l2tp_msg *scratch;
	struct l2tp_msg own[];
};

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}


struct l2tp_transport *l2tp_transport_new(const struct l2tp_transport_config *cfg,
					  const struct l2tp_transport_ops *ops, void *arg, uint64_t now)
{
	struct l2tp_transport *t = calloc(1, sizeof(*t) + (cfg->scratch ? 0 : sizeof(struct l2tp_msg)));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->scratch = cfg->scratch ? cfg->scratch : t->own;
	/* Its own copy: the transport outlives its owner's config when the
	 * channel is held for a StopCCN. */
	if (cfg->secret && cfg->secret_len) {
		uint8_t *copy = malloc(cfg->secret_len);
		if (!copy) {
			free(t);
			return NULL;
		}
		memcpy(copy, cfg->secret, cfg->secret_len);
		t->cfg.secret = copy;
	} else {
		t->cfg.secret = NULL;
		t->cfg.secret_len = 0;
	}
	if (!t->cfg.retry_timeout_ms)
		t->cfg.retry_timeout_ms = DEFAULT_RETRY_MS;
	if (!t->cfg.retry_cap_ms)
		t->cfg.retry_cap_ms = DEFAULT_RETRY_CAP_MS;
	if (t->cfg.retry_cap_ms < t->cfg.retry_timeout_ms)
		t->cfg.retry_cap_ms = t->cfg.retry_timeout_ms;
	/* A delayed ack that races the peer's retransmission loses it and
	 * doubles the traffic; keep it well inside our own retry timeout, which
	 * is the best guess of the peer's. (0, the default, acknowledges as
	 * soon as the datagrams read with the message are handled: a reply
	 * made meanwhile still carries the ack, and a peer that sends one
	 * message at a time, waiting for each to be acknowledged, never waits
	 * for a timer.) */
	if (t->cfg.ack_timeout_ms > t->cfg.retry_timeout_ms / 4)
		t->cfg.ack_timeout_ms = t->cfg.retry_timeout_ms / 4 ? t->cfg.retry_timeout_ms / 4 : 1;
	if (!t->cfg.stopccn_timeout_ms)
		t->cfg.stopccn_timeout_ms = DEFAULT_STOPCCN_MS;
	if (!t->cfg.rx_window)
		t->cfg.rx_window = DEFAULT_TX_WINDOW;
	t->ops = *ops;
	t->arg = arg;
	t->tx_window = cfg->tx_window ? cfg->tx_window : DEFAULT_TX_WINDOW;
	/* Appendix A: slow start from one message, threshold at the window. */
	t->cwnd = 1;
	t->ssthresh = t->tx_window;
	t->ack_deadline = L2TP_NEVER;
	t->release_deadline = L2TP_NEVER;
	t->alarm = L2TP_NEVER;
	t->last_rx = now;
	return t;
}

static void destroy(struct l2tp_transport *t)
{
	free((void *)t->cfg.secret);
	free(t->auth.peer_nonce);
	while (t->txq) {
		struct txmsg *m = t->txq;
		t->txq = m->next;
		free(m);
	}
	while (t->rxq) {
		struct rxmsg *m = t->rxq;
		t->rxq = m->next;
		free(m);
	}
	free(t);
}

void l2tp_transport_free(struct l2tp_transport *t)
{
	if (!t)
		return;
	if (t->busy) {
		t->dead = true;
		return;
	}
	destroy(t);
}

/* Callbacks may free the transport; enter/leave bracket them. */
static void enter(struct l2tp_transport *t)
{
	t->busy++;
}

static bool leave(struct l2tp_transport *t)
{
	if (--t->busy == 0 && t->dead) {
		destroy(t);
		return false;
	}
	return !t->dead;
}

/* The nonces a message's digest covers (RFC 3931 section 5.4.1): the
 * sender's then the receiver's, except in an SCCRQ and until both are
 * known (peer: the peer's, or NULL). */
static const struct l2tp_nonces *nonces(const struct l2tp_transport *t, uint16_t type, const uint8_t *peer,
					size_t peer_len, bool sending, struct l2tp_nonces *out)
{
	if (type == L2TP_MSG_SCCRQ || !peer)
		return NULL;
	const uint8_t *ours = t->auth.nonce;
	size_t olen = t->auth.nonce_len;
	*out = sending ? (struct l2tp_nonces){ours, peer, olen, peer_len} : (struct l2tp_nonces){peer, ours, peer_len, olen};
	return out;
}

/* type: the message's, which decides the digest's nonces. */
static void wire(struct l2tp_transport *t, uint8_t *buf, size_t len, uint16_t type)
{
	if (t->auth.on) {
		struct l2tp_nonces n;
		l2tp_digest_sign(buf, len, t->auth.key,
				 nonces(t, type, t->auth.peer_nonce, t->auth.peer_nonce_len, true, &n));
	}
	if (t->ops.send(t->arg, buf, len) != 0)
		t->st.tx_errors++;
}

/* Every transmission carries the current Nr, which acknowledges what we
 * have received, so a pending ZLB is no longer needed. */
static void transmit(struct l2tp_transport *t, struct txmsg *m)
{
	l2tp_put16(m->buf + 10, t->expected);
	t->ack_deadline = L2TP_NEVER;
	wire(t, m->buf, m->len, m->type);
}

static uint16_t window(const struct l2tp_transport *t)
{
	return t->cwnd < t->tx_window ? t->cwnd : t->tx_window;
}

static uint32_t backoff(const struct l2tp_transport *t, uint16_t retries)
{
	uint64_t d = t->cfg.retry_timeout_ms;
	for (uint16_t i = 0; i < retries && d < t->cfg.retry_cap_ms; i++)
		d *= 2;
	return (uint32_t)min64(d, t->cfg.retry_cap_ms);
}

/* Sends what the window allows, oldest first. */
static void pump(struct l2tp_transport *t, uint64_t now)
{
	for (struct txmsg *m = t->txq; m && t->in_flight < window(t); m = m->next) {
		if (m->sent)
			continue;
		m->sent = true;
		m->deadline = now + backoff(t, 0);
		t->in_flight++;
		t->st.tx_messages++;
		transmit(t, m);
	}
}

/* The Ns the peer is to see next from us: that of the first message the
 * window still holds back, not next_ns. A receiver that checks a ZLB's Ns
 * (l2tpns drops any message whose Ns is not the one it expects, Nr and
 * all) would otherwise take every ack sent while messages wait for the
 * window as out of sequence. Sent messages are a prefix of txq; with none
 * held back it is next_ns (past a send_once message, which is not in txq). */
static uint16_t wire_ns(const struct l2tp_transport *t)
{
	return t->txq_tail && !t->txq_tail->sent ? (uint16_t)(t->txq->ns + t->in_flight) : t->next_ns;
}

/* Forgets the messages the window still holds back: they were never sent,
 * so their Ns are free again. */
static void drop_unsent(struct l2tp_transport *t)
{
	struct txmsg **pp = &t->txq, *last = NULL;
	uint16_t ns = wire_ns(t);
	while (*pp && (*pp)->sent) {
		last = *pp;
		pp = &(*pp)->next;
	}
	while (*pp) {
		struct txmsg *m = *pp;
		*pp = m->next;
		if (m->type == L2TP_MSG_HELLO)
			t->hellos--;
		free(m);
	}
	t->txq_tail = last;
	t->next_ns = ns;
	/* the loss marker may not stay ahead of the Ns that are live */
	uint16_t ahead = (uint16_t)(t->recover - ns);
	if (ahead != 0 && ahead < 32768)
		t->recover = ns;
}

static int encode_into(struct l2tp_transport *t, const struct l2tp_msg *msg, uint16_t ns, struct txmsg **out,
		       struct l2tp_codec_error *err)
{
	struct l2tp_msg copy;
	size_t len;
	struct l2tp_encode_opts o = {.secret = t->cfg.secret, .secret_len = t->cfg.secret_len};

	/* The header's sequence numbers are ours to set; the copy keeps the
	 * caller's message untouched (and its AVP pointers valid). */
	memcpy(&copy.hdr, &msg->hdr, sizeof(copy.hdr));
	copy.hdr.version = t->cfg.version;
	copy.hdr.ns = ns;
	copy.hdr.nr = t->expected;
	copy.type = msg->type;
	copy.navps = msg->navps;
	memcpy(copy.avps, msg->avps, msg->navps * sizeof(msg->avps[0]));
	/* The digest goes right after the Message Type, zeros until the
	 * message is signed as it goes on the wire. */
	if (t->auth.on)
		l2tp_msg_add_digest(&copy, t->auth.type);
	/* Encoded straight into its queue entry, sized for the most the
	 * encoder can add: the longest header, a Message Type, a Message
	 * Digest and a Random Vector AVP, and per AVP its header and a hidden
	 * value's length. */
	size_t room = 16 + 8 + 6 + 64 + 8 + L2TP_DIGEST_MAX;
	for (size_t i = 0; i < msg->navps; i++)
		room += 8 + (size_t)msg->avps[i].len;
	struct txmsg *m = calloc(1, sizeof(*m) + room);
	if (!m)
		return -ENOMEM;
	int rc = l2tp_msg_encode(&copy, &o, m->buf, room, &len, err);
	if (rc) {
		free(m);
		return rc;
	}
	m->len = len;
	m->ns = ns;
	m->type = msg->type;
	*out = m;
	return 0;
}

int l2tp_transport_send(struct l2tp_transport *t, const struct l2tp_msg *msg, uint64_t now,
			struct l2tp_codec_error *err)
{
	struct txmsg *m;
	if (msg->type == L2TP_MSG_ZLB)
		return -EINVAL; /* ZLBs are the transport's own business */
	int rc = encode_into(t, msg, t->next_ns, &m, err);
	if (rc)
		return rc;
	t->next_ns++;
	if (m->type == L2TP_MSG_HELLO)
		t->hellos++;
	if (t->txq_tail)
		t->txq_tail->next = m;
	else
		t->txq = m;
	t->txq_tail = m;
	pump(t, now);
	return 0;
}

int l2tp_transport_send_once(struct l2tp_transport *t, const struct l2tp_msg *msg, uint64_t now,
			     struct l2tp_codec_error *err)
{
	struct txmsg *m;
	(void)now;
	/* The last word on a connection that ends now goes before what the
	 * window holds back, which will never go: with the Ns the peer expects
	 * next, or a receiver that checks it drops the message. */
	drop_unsent(t);
	int rc = encode_into(t, msg, t->next_ns, &m, err);
	if (rc)
		return rc;
	t->next_ns++;
	t->st.tx_messages++;
	wire(t, m->buf, m->len, m->type);
	t->ack_deadline = L2TP_NEVER;
	free(m);
	return 0;
}

/* With message authentication on, an acknowledgement is an explicit ACK
 * message that carries a digest (RFC 3931 section 5.3: a ZLB cannot); like
 * a ZLB it takes no sequence number. */
static void send_ack(struct l2tp_transport *t)
{
	/* Not the scratch message: an owner may flush an ack while it still
	 * reads a message decoded there. */
	struct l2tp_msg msg;
	struct l2tp_codec_error err;
	struct txmsg *m;
	l2tp_msg_init(&msg, t->cfg.version, L2TP_MSG_ACK);
	msg.hdr.tunnel_id = t->peer_id;
	t->ack_deadline = L2TP_NEVER;
	if (encode_into(t, &msg, wire_ns(t), &m, &err) != 0)
		return;
	t->st.tx_zlbs++;
	wire(t, m->buf, m->len, m->type);
	free(m);
}

static void send_zlb(struct l2tp_transport *t)
{
	uint8_t buf[16];
	if (t->auth.on) {
		send_ack(t);
		return;
	}
	memset(buf, 0, sizeof(buf));
	l2tp_put16(buf, (uint16_t)(0xc800 | t->cfg.version));
	l2tp_put16(buf + 2, 12);
	if (t->cfg.version == 2) {
		l2tp_put16(buf + 4, (uint16_t)t->peer_id);
	} else {
		l2tp_put16(buf + 4, (uint16_t)(t->peer_id >> 16));
		l2tp_put16(buf + 6, (uint16_t)t->peer_id);
	}
	/* A ZLB carries the next Ns without consuming it. */
	l2tp_put16(buf + 8, wire_ns(t));
	l2tp_put16(buf + 10, t->expected);
	t->ack_deadline = L2TP_NEVER;
	t->st.tx_zlbs++;
	wire(t, buf, 12, L2TP_MSG_ZLB);
}

/* The peer's Nr acknowledges every message before it. */
static void process_ack(struct l2tp_transport *t, uint16_t nr, uint64_t now)
{
	while (t->txq && t->txq->sent) {
		uint16_t d = (uint16_t)(nr - t->txq->ns);
		if (d == 0 || d > 32768)
			break; /* not acknowledged by this Nr */
		struct txmsg *m = t->txq;
		t->txq = m->next;
		if (!t->txq)
			t->txq_tail = NULL;
		t->in_flight--;
		t->st.tx_acked++;
		if (m->type == L2TP_MSG_HELLO) {
			t->hellos--;
			if (!t->hello_crossed)
				t->hello_slack = 0; /* ours, heard: we keep the turn */
			t->hello_crossed = false;
		}
		free(m);
		/* Appendix A: one more per ack below the threshold, then one
		 * more per window's worth of acks. */
		if (t->cwnd < t->ssthresh) {
			t->cwnd++;
		} else if (++t->ca_acks >= t->cwnd) {
			t->ca_acks = 0;
			t->cwnd++;
		}
		if (t->cwnd > t->tx_window)
			t->cwnd = t->tx_window;
	}
	if (t->lingering && t->until_acked && !t->txq)
		t->release_deadline = now; /* our StopCCN is acknowledged: done */
	/* Keep the loss marker near the live sequence numbers, so the modular
	 * comparison stays right however long the channel runs. */
	uint16_t head = t->txq ? t->txq->ns : t->next_ns;
	if ((uint16_t)(head - t->recover) < 32768)
		t->recover = head;
}

static void schedule_ack(struct l2tp_transport *t, uint64_t now, bool at_once)
{
	uint64_t when = at_once ? now : now + t->cfg.ack_timeout_ms;
	t->ack_deadline = min64(t->ack_deadline, when);
}

/* Decodes a datagram we have accepted in sequence (unless it comes
 * decoded) and hands it up. Returns false if the transport was freed by
 * the callback. */
static bool deliver(struct l2tp_transport *t, uint8_t *buf, size_t len, struct l2tp_msg *decoded)
{
	struct l2tp_codec_error err;
	struct l2tp_decode_opts o = {.secret = t->cfg.secret, .secret_len = t->cfg.secret_len};
	struct l2tp_msg *m = decoded ? decoded : t->scratch;
	int rc = decoded ? 0 : l2tp_msg_decode(buf, len, &o, m, &err);
	t->st.rx_messages++;
	enter(t);
	if (t->lingering) {
		/* After StopCCN only acknowledgement matters. */
	} else if (rc == 0) {
		t->ops.recv(t->arg, m, NULL);
	} else if (err.result_code) {
		t->ops.recv(t->arg, m, &err);
	}
	/* else: not answerable (e.g. an unknown type with M clear): drop */
	return leave(t);
}

/* Whether a datagram carries a valid digest. The peer's nonce, until we
 * have it, comes in the message (an SCCRP) and is kept once it checks. */
static bool authentic(struct l2tp_transport *t, const uint8_t *buf, size_t len, uint16_t type)
{
	size_t plen = t->auth.peer_nonce_len;
	const uint8_t *peer = t->auth.peer_nonce;
	bool learned = false;
	struct l2tp_nonces n;
	if (!peer && type != L2TP_MSG_SCCRQ &&
	    l2tp_avp_scan(buf, len, L2TP_AVP_CTRL_MSG_AUTH_NONCE, &peer, &plen) == 0 && plen &&
	    plen <= L2TP_NONCE_MAX)
		learned = true;
	else if (!t->auth.peer_nonce)
		peer = NULL;
	if (l2tp_digest_verify(buf, len, t->auth.key, nonces(t, type, peer, plen, false, &n)) != 0)
		return false;
	if (learned)
		l2tp_transport_set_peer_nonce(t, peer, plen);
	return true;
}

bool l2tp_transport_authentic(struct l2tp_transport *t, const uint8_t *buf, size_t len, uint16_t type)
{
	return !t->auth.on || authentic(t, buf, len, type);
}

/* Two ends with the same hello_timeout would each send a HELLO every
 * interval, both timers running from the same exchange. A peer's HELLO
 * stretches our interval by a random 1/16 to 1/8, and the ack of our own
 * takes that away again, so the end that sent first keeps the keepalive
 * alone and the other only answers: half the messages of an idle tunnel.
 * A dead peer is still noticed, up to 1/8 of an interval later. When two
 * HELLOs cross, both ends keep their random slack, and the shorter wins
 * the next turn. Any other message clears the slack. */
static void hear(struct l2tp_transport *t, uint16_t type)
{
	uint32_t h = t->cfg.hello_timeout_ms, r;
	if (type != L2TP_MSG_HELLO || h < 16) {
		t->hello_slack = 0;
		return;
	}
	l2tp_random_bytes(&r, sizeof(r));
	t->hello_slack = h / 16 + r % (h / 16 + 1);
	if (t->hellos)
		t->hello_crossed = true;
}

/* Sequencing of a datagram whose header checked: true when it is the next
 * message in sequence (now taken: Nr advanced, its ack scheduled); false
 * for anything else (ZLBs, duplicates, messages ahead of a gap, kept for
 * later, or past the window, or with no memory to keep them). */
static bool take(struct l2tp_transport *t, const uint8_t *buf, size_t len, const struct l2tp_header *h,
		 uint16_t type, uint64_t now)
{
	if (h->length == 12 || (type == L2TP_MSG_ACK && h->version == 3)) {
		t->st.rx_zlbs++; /* a ZLB (or L2TPv3 ACK) is never answered with one */
		return false;
	}

	uint16_t d = (uint16_t)(h->ns - t->expected);
	if (d >= 32768) {
		/* Old: a retransmission of something we have. Drop it, but
		 * acknowledge at once: our ack was probably lost. */
		t->st.rx_duplicates++;
		schedule_ack(t, now, true);
		return false;
	}
	if (d != 0) {
		if (d >= t->cfg.rx_window) {
			t->st.rx_outside_window++;
			return false;
		}
		struct rxmsg **pp = &t->rxq;
		while (*pp && (uint16_t)((*pp)->ns - t->expected) < d)
			pp = &(*pp)->next;
		if (*pp && (*pp)->ns == h->ns) {
			t->st.rx_duplicates++;
			return false;
		}
		struct rxmsg *m = malloc(sizeof(*m) + len);
		if (!m)
			return false;
		m->ns = h->ns;
		m->len = len;
		memcpy(m->buf, buf, len);
		m->next = *pp;
		*pp = m;
		t->rxq_len++;
		t->st.rx_out_of_order++;
		/* Tell the peer where the gap is. */
		schedule_ack(t, now, true);
		return false;
	}
	t->expected++;
	schedule_ack(t, now, false);
	return true;
}

static void input(struct l2tp_transport *t, uint8_t *buf, size_t len, struct l2tp_msg *decoded, uint64_t now)
{
	struct l2tp_header h;
	uint16_t type;

	/* The header first: sequence numbers are valid even when the AVPs
	 * are not, and must be honoured either way. */
	if (l2tp_msg_peek(buf, len, false, &h, &type) != 0) {
		t->st.rx_bad++;
		return;
	}
	if (!h.control || h.version != t->cfg.version) {
		t->st.rx_bad++;
		return;
	}
	len = h.length; /* trailing bytes past the length field are not ours */
	/* Nothing of a message is used, not even its Nr, before its digest
	 * is checked (RFC 3931 section 4.3). */
	if (t->auth.on && !authentic(t, buf, len, type)) {
		t->st.rx_bad_digest++;
		return;
	}
	t->last_rx = now;

	/* What the ack lets out of the window goes after a message in
	 * sequence has advanced the Nr, so it carries that message's ack and
	 * no ZLB is needed for it. */
	process_ack(t, h.nr, now);
	enter(t);
	bool in_sequence = take(t, buf, len, &h, type, now);
	pump(t, now);
	if (!leave(t) || !in_sequence)
		return;
	hear(t, type);
	if (!deliver(t, buf, len, decoded))
		return;
	/* The gap may be filled now: deliver what waited behind it. */
	while (t->rxq && t->rxq->ns == t->expected) {
		struct rxmsg *m = t->rxq;
		t->rxq = m->next;
		t->rxq_len--;
		t->expected++;
		/* its ack: what went out above carried only the Nr before it */
		schedule_ack(t, now, false);
		bool alive = deliver(t, m->buf, m->len, NULL);
		free(m);
		if (!alive)
			return;
	}
}

void l2tp_transport_input(struct l2tp_transport *t, uint8_t *buf, size_t len, uint64_t now)
{
	input(t, buf, len, NULL, now);
}

void l2tp_transport_input_decoded(struct l2tp_transport *t, uint8_t *buf, size_t len, struct l2tp_msg *msg,
				  uint64_t now)
{
	input(t, buf, len, msg, now);
}

static void send_hello(struct l2tp_transport *t, uint64_t now)
{
	struct l2tp_msg *msg = t->scratch;
	struct l2tp_codec_error err;
	l2tp_msg_init(msg, t->cfg.version, L2TP_MSG_HELLO);
	msg->hdr.tunnel_id = t->peer_id;
	l2tp_transport_send(t, msg, now, &err);
}

static uint64_t hello_deadline(const struct l2tp_transport *t)
{
	if (!t->cfg.hello_timeout_ms || t->lingering || t->hellos)
		return L2TP_NEVER;
	return t->last_rx + t->cfg.hello_timeout_ms + t->hello_slack;
}

uint64_t l2tp_transport_deadline(const struct l2tp_transport *t)
{
	uint64_t d = min64(min64(t->ack_deadline, t->release_deadline), t->alarm);
	d = min64(d, hello_deadline(t));
	for (const struct txmsg *m = t->txq; m && m->sent; m = m->next)
		d = min64(d, m->deadline);
	return d;
}

static const char *type_name(uint16_t type)
{
	const char *n = l2tp_msg_type_name(type);
	return n ? n : "message";
}

void l2tp_transport_tick(struct l2tp_transport *t, uint64_t now)
{
	enter(t);
	if (now >= t->release_deadline) {
		/* What the peer sent last (its own StopCCN, crossing ours) is
		 * acknowledged before we go. */
		if (t->ack_deadline != L2TP_NEVER)
			send_zlb(t);
		t->release_deadline = L2TP_NEVER;
		t->ops.released(t->arg);
		leave(t);
		return;
	}

	bool reduce = false;
	for (struct txmsg *m = t->txq; m && m->sent; m = m->next) {
		if (m->deadline > now)
			continue;
		if (m->retries >= t->cfg.max_retries) {
			char why[160];
			snprintf(why, sizeof(why), "%s (Ns %u) was not acknowledged after %u retransmission%s",
				 type_name(m->type), m->ns, m->retries, m->retries == 1 ? "" : "s");
			if (t->lingering) {
				/* Our StopCCN went unheard: nothing left to wait for. */
				t->release_deadline = L2TP_NEVER;
				t->ops.released(t->arg);
			} else {
				t->ops.failed(t->arg, why);
			}
			leave(t);
			return;
		}
		m->retries++;
		m->deadline = now + backoff(t, m->retries);
		t->st.tx_retransmits++;
		/* One loss event per window: the timeouts of messages that were
		 * already in flight at the last reduction do not halve again. */
		if ((uint16_t)(m->ns - t->recover) < 32768)
			reduce = true;
		transmit(t, m);
	}
	if (reduce) {
		/* Appendix A: on retransmission, halve the threshold and start
		 * again from one. */
		t->ssthresh = t->cwnd / 2 > 1 ? t->cwnd / 2 : 1;
		t->cwnd = 1;
		t->ca_acks = 0;
		t->recover = t->next_ns;
	}

	if (now >= t->ack_deadline)
		send_zlb(t);
	if (now >= hello_deadline(t))
		send_hello(t, now);
	if (now >= t->alarm) {
		t->alarm = L2TP_NEVER;
		if (t->ops.alarm)
			t->ops.alarm(t->arg);
	}
	leave(t);
}

void l2tp_transport_flush_ack(struct l2tp_transport *t)
{
	if (t->ack_deadline != L2TP_NEVER)
		send_zlb(t);
}

void l2tp_transport_set_alarm(struct l2tp_transport *t, uint64_t deadline)
{
	t->alarm = deadline;
}

void l2tp_transport_set_max_retries(struct l2tp_transport *t, uint16_t n)
{
	t->cfg.max_retries = n;
}

void l2tp_transport_set_peer_window(struct l2tp_transport *t, uint16_t rws)
{
	if (rws == 0)
		return;
	t->tx_window = rws;
	t->ssthresh = rws;
	if (t->cwnd > rws)
		t->cwnd = rws;
}

void l2tp_transport_set_peer_id(struct l2tp_transport *t, uint32_t id)
{
	t->peer_id = id;
}

int l2tp_transport_set_auth(struct l2tp_transport *t, uint8_t type, const uint8_t key[L2TP_AUTH_KEY_LEN],
			    const uint8_t *nonce, size_t nonce_len)
{
	if (!l2tp_digest_size(type) || nonce_len > L2TP_NONCE_MAX)
		return -EINVAL;
	t->auth.on = true;
	t->auth.type = type;
	memcpy(t->auth.key, key, L2TP_AUTH_KEY_LEN);
	memcpy(t->auth.nonce, nonce, nonce_len);
	t->auth.nonce_len = nonce_len;
	return 0;
}

int l2tp_transport_set_peer_nonce(struct l2tp_transport *t, const uint8_t *nonce, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, nonce, len);
	free(t->auth.peer_nonce);
	t->auth.peer_nonce = copy;
	t->auth.peer_nonce_len = len;
	return 0;
}

bool l2tp_transport_has_peer_nonce(const struct l2tp_transport *t)
{
	return t->auth.peer_nonce != NULL;
}

void l2tp_transport_linger(struct l2tp_transport *t, uint64_t now, bool until_acked)
{
	if (t->lingering)
		return;
	t->lingering = true;
	t->until_acked = until_acked;
	t->alarm = L2TP_NEVER;
	/* The recipient acknowledges the StopCCN at once: the peer may be
	 * waiting for nothing else. */
	if (t->ack_deadline != L2TP_NEVER)
		t->ack_deadline = now;
	t->release_deadline = until_acked && !t->txq ? now : now + t->cfg.stopccn_timeout_ms;
}

bool l2tp_transport_lingering(const struct l2tp_transport *t)
{
	return t->lingering;
}

bool l2tp_transport_idle(const struct l2tp_transport *t)
{
	return t->txq == NULL;
}

void l2tp_transport_stats(const struct l2tp_transport *t, struct l2tp_transport_stats *out)
{
	*out = t->st;
	out->in_flight = t->in_flight;
	out->cwnd = t->cwnd;
	out->ssthresh = t->ssthresh;
	out->tx_window = t->tx_window;
	uint16_t q = 0;
	for (const struct txmsg *m = t->txq; m; m = m->next)
		q += !m->sent;
	out->queued = q;
}

const struct l2tp_transport_config *l2tp_transport_config(const struct l2tp_transport *t)
{
	return &t->cfg;
}
