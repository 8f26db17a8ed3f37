/* The PPPoE access concentrator's discovery stage (RFC 2516 section 5):
 * one AF_PACKET socket on one interface, on the context's loop. It offers
 * (PADO) with a cookie it can check without keeping state, grants a
 * session ID on a PADR that brings one back, and leaves the session's fate
 * to its owner, which places the L2TP call and answers confirm (PADS) or
 * refuse (PADS with an error tag). A subscriber that floods PADIs costs a
 * PADO each, within max_offers per cookie period; one that floods PADRs
 * is held to max_pending, max_sessions and max_sessions_per_mac. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <nettle/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hash.h"
#include "internal.h"
#include "l2tp/io.h"
#include "l2tp/l2tp.h"
#include "l2tp/pppoe.h"
#include "util.h"

/* A cookie is good for the period it was made in and the one after:
 * 10-20 s, longer than any client waits between PADO and PADR. */
#define COOKIE_PERIOD_MS 10000
#define COOKIE_MAC_LEN 16
#define COOKIE_LEN (4 + COOKIE_MAC_LEN)
/* A PPP payload's overhead in an Ethernet frame: the PPPoE header and the
 * PPP protocol field (1492 bytes of payload in 1500) */
#define PPP_OVERHEAD (L2TP_PPPOE_HDR + 2)

struct ac_session {
	struct l2tp_hnode by_id, by_peer;
	struct ac_session *prev, *next; /* the pending list, oldest first */
	struct l2tp_pppoe_ac *ac;
	uint16_t id;
	bool confirmed;
	uint8_t mac[6];
	uint64_t deadline; /* pending: refused at this time */
	uint16_t max_payload; /* granted (RFC 4638), echoed in the PADS; 0: none */
	/* What the PADR carried, for the PADS and PADT (RFC 2516 5.4): its
	 * Service-Name, and the tags every answer echoes (echo_tags) */
	struct l2tp_pppoe_tag service, echo[2];
	unsigned necho;
	uint8_t data[]; /* their values */
};

struct l2tp_pppoe_ac {
	uint64_t handle;
	struct l2tp_pppoe_ac *next; /* the context's list (a few ACs at most) */
	struct l2tp_context *ctx;
	struct l2tp_pppoe_ac_config cfg;
	char ifname[32];
	char *ac_name;
	char **services;
	int fd, ifindex;
	uint8_t mac[6];
	struct event *rx, *timer;
	struct hmac_sha256_ctx cookie_key;
	uint32_t offers_period;
	unsigned offers;
	struct l2tp_htable by_id, by_peer;
	struct ac_session *pending_head, *pending_tail;
	struct l2tp_pppoe_ac_stats st;
	/* The owner's callbacks may free the AC: freed then on the way out. */
	int depth;
	bool freed;
	uint8_t buf[1600];
};

static void ac_destroy(struct l2tp_pppoe_ac *ac);

void l2tp_pppoe_ac_config_defaults(struct l2tp_pppoe_ac_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_sessions = L2TP_PPPOE_DEFAULT_MAX_SESSIONS;
	cfg->max_pending = L2TP_PPPOE_DEFAULT_MAX_PENDING;
	cfg->max_sessions_per_mac = L2TP_PPPOE_DEFAULT_MAX_SESSIONS_PER_MAC;
	cfg->max_offers = L2TP_PPPOE_DEFAULT_MAX_OFFERS;
	cfg->pending_timeout_ms = L2TP_PPPOE_DEFAULT_PENDING_TIMEOUT_MS;
}

/* ---- sessions ---- */

static bool id_eq(const struct l2tp_hnode *n, const void *key)
{
	return l2tp_container_of(n, struct ac_session, by_id)->id == *(const uint16_t *)key;
}

struct peer_key {
	const uint8_t *mac;
	const uint8_t *host_uniq;
	size_t host_uniq_len;
};

static bool peer_eq(const struct l2tp_hnode *n, const void *key)
{
	const struct ac_session *s = l2tp_container_of(n, struct ac_session, by_peer);
	const struct peer_key *k = key;
	/* its Host-Uniq, if any, is the first tag it echoes */
	const struct l2tp_pppoe_tag *hu = s->necho && s->echo[0].type == L2TP_TAG_HOST_UNIQ ? &s->echo[0] : NULL;
	size_t hu_len = hu ? hu->len : 0;
	return memcmp(s->mac, k->mac, 6) == 0 && hu_len == k->host_uniq_len &&
	       (!hu_len || memcmp(hu->value, k->host_uniq, hu_len) == 0);
}

/* By MAC alone: a subscriber's sessions share a chain, which is how they
 * are counted (max_sessions_per_mac bounds the chain's length). */
static uint64_t peer_hash(const uint8_t *mac)
{
	uint64_t h = 0;
	memcpy(&h, mac, 6);
	return l2tp_hash_u64(h);
}

static unsigned sessions_of(const struct l2tp_pppoe_ac *ac, const uint8_t *mac, uint64_t hash)
{
	unsigned n = 0;
	if (!ac->by_peer.nbuckets)
		return 0;
	for (const struct l2tp_hnode *p = ac->by_peer.buckets[hash & (ac->by_peer.nbuckets - 1)]; p; p = p->next)
		if (p->hash == hash && memcmp(l2tp_container_of(p, struct ac_session, by_peer)->mac, mac, 6) == 0)
			n++;
	return n;
}

static struct ac_session *find_id(const struct l2tp_pppoe_ac *ac, uint16_t id)
{
	struct l2tp_hnode *n = l2tp_htable_find(&ac->by_id, l2tp_hash_u64(id), id_eq, &id);
	return n ? l2tp_container_of(n, struct ac_session, by_id) : NULL;
}

static bool id_used(void *arg, uint32_t id)
{
	/* 0xffff is reserved (RFC 2516 section 4) */
	return id == 0xffff || find_id(arg, (uint16_t)id);
}

static void arm(struct l2tp_pppoe_ac *ac)
{
	if (!ac->pending_head) {
		evtimer_del(ac->timer);
		return;
	}
	uint64_t now = l2tp_monotonic_ms(), at = ac->pending_head->deadline;
	uint64_t ms = at > now ? at - now : 0;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	evtimer_add(ac->timer, &tv);
}

static void unpend(struct ac_session *s)
{
	struct l2tp_pppoe_ac *ac = s->ac;
	if (s->confirmed)
		return;
	bool head = ac->pending_head == s;
	L2TP_LIST_REMOVE(ac->pending_head, ac->pending_tail, s, prev, next);
	ac->st.pending--;
	if (head)
		arm(ac);
}

static void session_free(struct ac_session *s)
{
	struct l2tp_pppoe_ac *ac = s->ac;
	unpend(s);
	l2tp_htable_remove(&ac->by_id, &s->by_id);
	l2tp_htable_remove(&ac->by_peer, &s->by_peer);
	ac->st.sessions--;
	free(s);
}

/* Every end of a session goes through here: the owner hears of it, so
 * that what it holds for the session (the L2TP call) goes too. */
static void session_end(struct ac_session *s, const char *reason)
{
	struct l2tp_pppoe_ac *ac = s->ac;
	uint16_t id = s->id;
	session_free(s);
	if (ac->cfg.on_end)
		ac->cfg.on_end(ac->cfg.arg, ac, id, reason);
}

/* ---- the wire ---- */

static bool send_to(struct l2tp_pppoe_ac *ac, const uint8_t mac[6], uint8_t code, uint16_t id,
		    const struct l2tp_pppoe_tag *tags, unsigned ntags)
{
	uint8_t out[L2TP_PPPOE_HDR + L2TP_PPPOE_MAX_PAYLOAD];
	int n = l2tp_pppoe_encode(code, id, tags, ntags, out, sizeof(out));
	if (n < 0) {
		/* a request with tags this long to echo: counted, logged at
		 * debug (a flood of them must not flood the log) */
		ac->st.ignored++;
		l2tp_log(ac->ctx, L2TP_LOG_DEBUG, "pppoe %s: a %s would not fit in a frame; not sent", ac->ifname,
			 l2tp_pppoe_code_name(code));
		return false;
	}
	struct sockaddr_ll to = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(L2TP_ETH_P_PPP_DISC),
				 .sll_ifindex = ac->ifindex,
				 .sll_halen = 6};
	memcpy(to.sll_addr, mac, 6);
	if (sendto(ac->fd, out, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		char m[18];
		l2tp_mac_format(mac, m);
		l2tp_log(ac->ctx, L2TP_LOG_WARN, "pppoe %s: sending %s to %s: %s", ac->ifname,
			 l2tp_pppoe_code_name(code), m, strerror(errno));
		return false;
	}
	return true;
}

static struct l2tp_pppoe_tag tag(uint16_t type, const void *value, size_t len)
{
	return (struct l2tp_pppoe_tag){type, (uint16_t)len, value};
}

/* The cookie: the period it was made in, and an HMAC of that period, the
 * subscriber's MAC and Host-Uniq under a key made at start. */
static void cookie_make(struct l2tp_pppoe_ac *ac, uint32_t period, const uint8_t mac[6],
			const struct l2tp_pppoe_tag *hu, uint8_t out[COOKIE_LEN])
{
	struct hmac_sha256_ctx h = ac->cookie_key;
	l2tp_put32(out, period);
	hmac_sha256_update(&h, 4, out);
	hmac_sha256_update(&h, 6, mac);
	if (hu)
		hmac_sha256_update(&h, hu->len, hu->value);
	hmac_sha256_digest(&h, COOKIE_MAC_LEN, out + 4);
}

static uint32_t period_now(void)
{
	return (uint32_t)(l2tp_monotonic_ms() / COOKIE_PERIOD_MS);
}

static bool cookie_good(struct l2tp_pppoe_ac *ac, const uint8_t mac[6], const struct l2tp_pppoe_frame *f)
{
	if (!f->ac_cookie || f->ac_cookie->len != COOKIE_LEN)
		return false;
	uint32_t period = l2tp_get32(f->ac_cookie->value), now = period_now();
	if (period != now && period + 1 != now)
		return false;
	uint8_t want[COOKIE_LEN];
	cookie_make(ac, period, mac, f->host_uniq, want);
	return l2tp_memeq_const(want, f->ac_cookie->value, COOKIE_LEN);
}

/* The Service-Name asked for is one we serve: any, when we list none;
 * the empty one ("any service") always. */
static bool service_ok(const struct l2tp_pppoe_ac *ac, const struct l2tp_pppoe_tag *sn)
{
	if (!ac->cfg.nservices || !sn->len)
		return true;
	for (unsigned i = 0; i < ac->cfg.nservices; i++)
		if (strlen(ac->services[i]) == sn->len && memcmp(ac->services[i], sn->value, sn->len) == 0)
			return true;
	return false;
}

/* RFC 4638: a subscriber may ask for PPP payloads over 1492 bytes
 * (PPP-Max-Payload). It is granted what the interface carries, up to what
 * it asked: the MTU less the PPPoE header and the PPP protocol field. 0:
 * nothing over 1492 (no tag in the answer, and the subscriber keeps to
 * 1492). Read at each answer: the MTU may change under a running AC. */
static uint16_t grant_payload(const struct l2tp_pppoe_ac *ac, const struct l2tp_pppoe_frame *f)
{
	if (!f->max_payload || f->max_payload->len != 2)
		return 0;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ac->ifname, strnlen(ac->ifname, IFNAMSIZ - 1));
	if (ioctl(ac->fd, SIOCGIFMTU, &ifr) != 0) {
		l2tp_log(ac->ctx, L2TP_LOG_DEBUG, "pppoe %s: no MTU to grant PPP-Max-Payload by: %s", ac->ifname,
			 strerror(errno));
		return 0;
	}
	if (ifr.ifr_mtu <= PPP_OVERHEAD)
		return 0;
	unsigned can = (unsigned)ifr.ifr_mtu - PPP_OVERHEAD;
	unsigned asked = l2tp_get16(f->max_payload->value);
	unsigned v = asked < can ? asked : can;
	return v > 1500 - PPP_OVERHEAD ? (uint16_t)v : 0;
}

/* The PPP-Max-Payload tag granting v, its value in out[2]. */
static struct l2tp_pppoe_tag payload_tag(uint16_t v, uint8_t out[2])
{
	l2tp_put16(out, v);
	return tag(L2TP_TAG_PPP_MAX_PAYLOAD, out, 2);
}

static void request_of(const struct l2tp_pppoe_ac *ac, const uint8_t mac[6], const struct l2tp_pppoe_frame *f,
		       struct l2tp_pppoe_request *req)
{
	memset(req, 0, sizeof(*req));
	req->max_payload = grant_payload(ac, f);
	memcpy(req->mac, mac, 6);
	req->interface = ac->ifname;
	req->service = f->service_name->value;
	req->service_len = f->service_name->len;
	if (f->host_uniq) {
		req->host_uniq = f->host_uniq->value;
		req->host_uniq_len = f->host_uniq->len;
	}
}

/* Tags every answer echoes (RFC 2516 5.2-5.4): Host-Uniq and
 * Relay-Session-Id as the request carried them. */
static unsigned echo_tags(const struct l2tp_pppoe_frame *f, struct l2tp_pppoe_tag *t)
{
	unsigned n = 0;
	if (f->host_uniq)
		t[n++] = *f->host_uniq;
	if (f->relay_session_id)
		t[n++] = *f->relay_session_id;
	return n;
}

static void on_padi(struct l2tp_pppoe_ac *ac, const uint8_t mac[6], const struct l2tp_pppoe_frame *f)
{
	ac->st.padi++;
	if (!service_ok(ac, f->service_name)) {
		/* RFC 2516 5.2: an AC that cannot serve the request does not offer */
		ac->st.ignored++;
		return;
	}
	uint32_t period = period_now();
	if (period != ac->offers_period) {
		ac->offers_period = period;
		ac->offers = 0;
	}
	if (ac->offers >= ac->cfg.max_offers) {
		ac->st.dropped_by_limit++;
		return;
	}
	struct l2tp_pppoe_request req;
	request_of(ac, mac, f, &req);
	if (ac->cfg.on_padi && !ac->cfg.on_padi(ac->cfg.arg, ac, &req)) {
		ac->st.ignored++;
		return;
	}
	ac->offers++;
	struct l2tp_pppoe_tag t[8 + 64];
	uint8_t cookie[COOKIE_LEN];
	unsigned n = 0;
	cookie_make(ac, period, mac, f->host_uniq, cookie);
	t[n++] = tag(L2TP_TAG_AC_NAME, ac->ac_name, strlen(ac->ac_name));
	/* the service asked for first, then the others we serve */
	t[n++] = *f->service_name;
	for (unsigned i = 0; i < ac->cfg.nservices && n < 8 + 60; i++) {
		size_t l = strlen(ac->services[i]);
		if (l != f->service_name->len || memcmp(ac->services[i], f->service_name->value, l) != 0)
			t[n++] = tag(L2TP_TAG_SERVICE_NAME, ac->services[i], l);
	}
	t[n++] = tag(L2TP_TAG_AC_COOKIE, cookie, sizeof(cookie));
	n += echo_tags(f, t + n);
	uint8_t mp[2];
	if (req.max_payload)
		t[n++] = payload_tag(req.max_payload, mp);
	if (send_to(ac, mac, L2TP_PADO, 0, t, n))
		ac->st.pado++;
}

/* A PADS with session ID 0: the request's Service-Name, the error tag
 * with text, and the request's echoed tags. */
static void send_refusal(struct l2tp_pppoe_ac *ac, const uint8_t mac[6], const struct l2tp_pppoe_tag *service,
			 uint16_t err_tag, const char *text, const struct l2tp_pppoe_tag *echo, unsigned necho)
{
	struct l2tp_pppoe_tag t[4];
	unsigned n = 0;
	t[n++] = *service;
	t[n++] = tag(err_tag, text, strnlen(text, 512));
	for (unsigned i = 0; i < necho; i++)
		t[n++] = echo[i];
	send_to(ac, mac, L2TP_PADS, 0, t, n);
	ac->st.pads_refused++;
}

static void refuse_frame(struct l2tp_pppoe_ac *ac, const uint8_t mac[6], const struct l2tp_pppoe_frame *f,
			 uint16_t err_tag, const char *text)
{
	struct l2tp_pppoe_tag echo[2];
	send_refusal(ac, mac, f->service_name, err_tag, text, echo, echo_tags(f, echo));
}

static void send_pads(struct ac_session *s)
{
	struct l2tp_pppoe_tag t[4];
	uint8_t mp[2];
	unsigned n = 0;
	t[n++] = s->service;
	for (unsigned i = 0; i < s->necho; i++)
		t[n++] = s->echo[i];
	if (s->max_payload)
		t[n++] = payload_tag(s->max_payload, mp);
	send_to(s->ac, s->mac, L2TP_PADS, s->id, t, n);
	s->ac->st.pads++;
}

static void on_padr(struct l2tp_pppoe_ac *ac, const uint8_t mac[6], const struct l2tp_pppoe_frame *f)
{
	ac->st.padr++;
	struct peer_key k = {mac, f->host_uniq ? f->host_uniq->value : NULL, f->host_uniq ? f->host_uniq->len : 0};
	uint64_t ph = peer_hash(mac);
	struct l2tp_hnode *n = l2tp_htable_find(&ac->by_peer, ph, peer_eq, &k);
	if (n) {
		/* A PADR again: its PADS was lost (send it again) or is not
		 * due yet (the call is still being placed). Before the cookie:
		 * a call slower than the cookie's life is still this one. */
		struct ac_session *s = l2tp_container_of(n, struct ac_session, by_peer);
		if (s->confirmed)
			send_pads(s);
		else
			ac->st.ignored++;
		return;
	}
	if (!cookie_good(ac, mac, f)) {
		ac->st.bad_cookie++;
		refuse_frame(ac, mac, f, L2TP_TAG_GENERIC_ERROR,
			     f->ac_cookie ? "AC-Cookie not ours, or stale: send PADI again" : "no AC-Cookie");
		return;
	}
	if (!service_ok(ac, f->service_name)) {
		refuse_frame(ac, mac, f, L2TP_TAG_SERVICE_NAME_ERROR, "service not offered here");
		return;
	}
	const char *full = ac->st.pending >= ac->cfg.max_pending     ? "too many sessions being set up; try again"
			   : ac->st.sessions >= ac->cfg.max_sessions ? "no more sessions here"
			   : sessions_of(ac, mac, ph) >= ac->cfg.max_sessions_per_mac ? "too many sessions for this MAC"
										       : NULL;
	if (full) {
		ac->st.dropped_by_limit++;
		refuse_frame(ac, mac, f, L2TP_TAG_AC_SYSTEM_ERROR, full);
		return;
	}
	uint16_t id = (uint16_t)l2tp_random_id(id_used, ac, false);
	struct l2tp_pppoe_tag echo[2];
	unsigned necho = echo_tags(f, echo);
	size_t bytes = f->service_name->len;
	for (unsigned i = 0; i < necho; i++)
		bytes += echo[i].len;
	struct ac_session *s = calloc(1, sizeof(*s) + bytes + 1);
	if (!id || !s) {
		free(s);
		refuse_frame(ac, mac, f, L2TP_TAG_AC_SYSTEM_ERROR, "out of session IDs or memory");
		return;
	}
	s->ac = ac;
	s->id = id;
	memcpy(s->mac, mac, 6);
	s->service = *f->service_name;
	memcpy(s->echo, echo, sizeof(echo));
	s->necho = necho;
	/* their values, copied out of the frame */
	struct l2tp_pppoe_tag *own[] = {&s->service, &s->echo[0], &s->echo[1]};
	uint8_t *p = s->data;
	for (unsigned i = 0; i < 1 + necho; i++) {
		memcpy(p, own[i]->value, own[i]->len);
		own[i]->value = p;
		p += own[i]->len;
	}
	bool by_id = l2tp_htable_insert(&ac->by_id, &s->by_id, l2tp_hash_u64(id)) == 0;
	if (!by_id || l2tp_htable_insert(&ac->by_peer, &s->by_peer, ph) != 0) {
		if (by_id)
			l2tp_htable_remove(&ac->by_id, &s->by_id);
		free(s);
		refuse_frame(ac, mac, f, L2TP_TAG_AC_SYSTEM_ERROR, "out of memory");
		return;
	}
	ac->st.sessions++;
	ac->st.pending++;
	s->deadline = l2tp_monotonic_ms() + ac->cfg.pending_timeout_ms;
	bool first = !ac->pending_head;
	L2TP_LIST_APPEND(ac->pending_head, ac->pending_tail, s, prev, next);
	if (first)
		arm(ac);
	struct l2tp_pppoe_request req;
	request_of(ac, mac, f, &req);
	req.session_id = id;
	s->max_payload = req.max_payload;
	/* The owner may confirm or refuse at once: s may be gone after. */
	if (ac->cfg.on_padr)
		ac->cfg.on_padr(ac->cfg.arg, ac, &req);
}

static void on_padt(struct l2tp_pppoe_ac *ac, const uint8_t mac[6], const struct l2tp_pppoe_frame *f)
{
	ac->st.padt_in++;
	struct ac_session *s = find_id(ac, f->session_id);
	/* Only the subscriber the session is for may end it. */
	if (!s || memcmp(s->mac, mac, 6) != 0) {
		ac->st.ignored++;
		return;
	}
	session_end(s, "PADT from the subscriber");
}

static void input(struct l2tp_pppoe_ac *ac, const uint8_t *buf, size_t len, const uint8_t mac[6])
{
	struct l2tp_pppoe_frame f;
	char why[160], m[18];
	if (l2tp_pppoe_decode(buf, len, &f, why, sizeof(why)) != 0) {
		ac->st.malformed++;
		l2tp_mac_format(mac, m);
		l2tp_log(ac->ctx, L2TP_LOG_DEBUG, "pppoe %s: dropped a frame from %s: %s", ac->ifname, m, why);
		return;
	}
	bool from_client = f.code == L2TP_PADI || f.code == L2TP_PADR;
	/* RFC 2516 5.1/5.3: a PADI or PADR has session ID 0 and one
	 * Service-Name; a PADT names its session. */
	if ((from_client && (f.session_id != 0 || !f.service_name)) || (f.code == L2TP_PADT && !f.session_id) ||
	    (mac[0] & 1)) {
		ac->st.malformed++;
		l2tp_mac_format(mac, m);
		l2tp_log(ac->ctx, L2TP_LOG_DEBUG, "pppoe %s: dropped a %s from %s: %s", ac->ifname,
			 l2tp_pppoe_code_name(f.code), m,
			 mac[0] & 1 ? "a group source address"
			 : f.code == L2TP_PADT ? "session ID 0"
			 : f.session_id ? "session ID not 0"
					: "no Service-Name");
		return;
	}
	switch (f.code) {
	case L2TP_PADI: on_padi(ac, mac, &f); break;
	case L2TP_PADR: on_padr(ac, mac, &f); break;
	case L2TP_PADT: on_padt(ac, mac, &f); break;
	default: ac->st.ignored++; break; /* PADO, PADS: an AC's, not ours */
	}
}

/* Around the owner's callbacks: false once the AC is gone. */
static void enter(struct l2tp_pppoe_ac *ac)
{
	ac->depth++;
}

static bool leave(struct l2tp_pppoe_ac *ac)
{
	if (--ac->depth == 0 && ac->freed) {
		ac_destroy(ac);
		return false;
	}
	return !ac->freed;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct l2tp_pppoe_ac *ac = arg;
	(void)what;
	enter(ac);
	/* a bounded batch: other sockets get their turn */
	for (int i = 0; i < 64 && !ac->freed; i++) {
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, ac->buf, sizeof(ac->buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			break;
		/* our own frames going out, and others' seen promiscuously */
		if (from.sll_pkttype == PACKET_OUTGOING || from.sll_pkttype == PACKET_OTHERHOST || from.sll_halen != 6)
			continue;
		input(ac, ac->buf, (size_t)n, from.sll_addr);
	}
	leave(ac);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct l2tp_pppoe_ac *ac = arg;
	(void)fd, (void)what;
	uint64_t now = l2tp_monotonic_ms();
	char text[64];
	snprintf(text, sizeof(text), "no answer from the L2TP side in %u ms", ac->cfg.pending_timeout_ms);
	enter(ac);
	while (!ac->freed && ac->pending_head && ac->pending_head->deadline <= now)
		l2tp_pppoe_ac_refuse(ac, ac->pending_head->id, L2TP_TAG_AC_SYSTEM_ERROR, text, NULL, 0);
	if (leave(ac))
		arm(ac);
}

/* ---- the owner's side ---- */

static int pending_session(struct l2tp_pppoe_ac *ac, uint16_t id, bool any, struct ac_session **out, char *err,
			   size_t errlen)
{
	struct ac_session *s = find_id(ac, id);
	if (!s)
		return l2tp_errf(err, errlen, -ENOENT, "pppoe %s: no session %u", ac->ifname, id);
	if (!any && s->confirmed)
		return l2tp_errf(err, errlen, -EALREADY, "pppoe %s: session %u is confirmed already", ac->ifname, id);
	*out = s;
	return 0;
}

int l2tp_pppoe_ac_confirm(struct l2tp_pppoe_ac *ac, uint16_t id, char *err, size_t errlen)
{
	struct ac_session *s;
	int rc = pending_session(ac, id, false, &s, err, errlen);
	if (rc)
		return rc;
	unpend(s);
	s->confirmed = true;
	send_pads(s);
	return 0;
}

int l2tp_pppoe_ac_refuse(struct l2tp_pppoe_ac *ac, uint16_t id, uint16_t err_tag, const char *text, char *err,
			 size_t errlen)
{
	struct ac_session *s;
	int rc = pending_session(ac, id, false, &s, err, errlen);
	if (rc)
		return rc;
	if (err_tag != L2TP_TAG_SERVICE_NAME_ERROR && err_tag != L2TP_TAG_AC_SYSTEM_ERROR)
		err_tag = L2TP_TAG_GENERIC_ERROR;
	text = text ? text : "";
	send_refusal(ac, s->mac, &s->service, err_tag, text, s->echo, s->necho);
	session_end(s, *text ? text : "refused");
	return 0;
}

static void send_padt(struct ac_session *s, const char *text)
{
	struct l2tp_pppoe_tag t[3];
	unsigned n = 0;
	if (text && *text)
		t[n++] = tag(L2TP_TAG_GENERIC_ERROR, text, strnlen(text, 512));
	for (unsigned i = 0; i < s->necho; i++)
		t[n++] = s->echo[i];
	send_to(s->ac, s->mac, L2TP_PADT, s->id, t, n);
	s->ac->st.padt_out++;
}

int l2tp_pppoe_ac_terminate(struct l2tp_pppoe_ac *ac, uint16_t id, const char *text, char *err, size_t errlen)
{
	struct ac_session *s;
	int rc = pending_session(ac, id, true, &s, err, errlen);
	if (rc)
		return rc;
	if (s->confirmed)
		send_padt(s, text);
	else
		/* the subscriber has no session yet: a PADS tells it no */
		return l2tp_pppoe_ac_refuse(ac, id, L2TP_TAG_GENERIC_ERROR, text, err, errlen);
	session_end(s, text && *text ? text : "terminated");
	return 0;
}

void l2tp_pppoe_ac_stats(const struct l2tp_pppoe_ac *ac, struct l2tp_pppoe_ac_stats *out)
{
	*out = ac->st;
}

const char *l2tp_pppoe_ac_interface(const struct l2tp_pppoe_ac *ac)
{
	return ac->ifname;
}

void l2tp_pppoe_ac_mac(const struct l2tp_pppoe_ac *ac, uint8_t mac[6])
{
	memcpy(mac, ac->mac, 6);
}

void l2tp_pppoe_ac_foreach(const struct l2tp_pppoe_ac *ac,
			   void (*fn)(void *arg, uint16_t session_id, const uint8_t mac[6], bool confirmed), void *arg)
{
	for (size_t b = 0; b < ac->by_id.nbuckets; b++)
		for (struct l2tp_hnode *n = ac->by_id.buckets[b]; n; n = n->next) {
			struct ac_session *s = l2tp_container_of(n, struct ac_session, by_id);
			fn(arg, s->id, s->mac, s->confirmed);
		}
}

/* ---- life ---- */

struct l2tp_pppoe_ac *l2tp_pppoe_ac_lookup(struct l2tp_context *ctx, uint64_t handle)
{
	for (struct l2tp_pppoe_ac *ac = ctx->pppoe_acs; ac; ac = ac->next)
		if (ac->handle == handle)
			return ac;
	return NULL;
}

uint64_t l2tp_pppoe_ac_handle(const struct l2tp_pppoe_ac *ac)
{
	return ac->handle;
}

void l2tp_pppoe_ac_close_all(struct l2tp_context *ctx)
{
	while (ctx->pppoe_acs)
		l2tp_pppoe_ac_free(ctx->pppoe_acs);
}

int l2tp_pppoe_ac_create(struct l2tp_context *ctx, const struct l2tp_pppoe_ac_config *cfg,
			 struct l2tp_pppoe_ac **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!cfg->interface || !*cfg->interface)
		return l2tp_errf(err, errlen, -EINVAL, "pppoe: interface must be a non-empty string");
	if (strlen(cfg->interface) >= 16)
		return l2tp_errf(err, errlen, -EINVAL, "pppoe: interface '%s' is longer than 15 characters",
				 cfg->interface);
	if (!cfg->max_sessions || cfg->max_sessions > 65534 || !cfg->max_pending || !cfg->max_offers ||
	    !cfg->max_sessions_per_mac)
		return l2tp_errf(err, errlen, -EINVAL,
				 "pppoe: max_sessions (1-65534), max_pending, max_sessions_per_mac and max_offers "
				 "(1 or more) must be set");
	const char *name = cfg->ac_name && *cfg->ac_name ? cfg->ac_name : "l2tp";
	size_t total = 0;
	for (unsigned i = 0; i < cfg->nservices; i++) {
		size_t l = strlen(cfg->services[i]);
		if (!l || l > 255)
			return l2tp_errf(err, errlen, -EINVAL,
					 "pppoe: service %u is %s (accepted: 1-255 characters)", i + 1,
					 l ? "longer than 255 characters" : "empty");
		total += 4 + l;
	}
	if (strlen(name) > 255 || total + strlen(name) + 4 + 4 + COOKIE_LEN + 300 > L2TP_PPPOE_MAX_PAYLOAD ||
	    cfg->nservices > 60)
		return l2tp_errf(err, errlen, -EINVAL,
				 "pppoe: ac_name and services do not fit in one PADO (at most 60 services, about 1 KB in all)");

	struct l2tp_pppoe_ac *ac = calloc(1, sizeof(*ac));
	if (!ac)
		return l2tp_errf(err, errlen, -ENOMEM, "pppoe: out of memory");
	ac->ctx = ctx;
	ac->cfg = *cfg;
	ac->fd = -1;
	snprintf(ac->ifname, sizeof(ac->ifname), "%s", cfg->interface);
	ac->ac_name = strdup(name);
	ac->services = calloc(cfg->nservices + 1, sizeof(char *));
	int rc = -ENOMEM;
	if (!ac->ac_name || !ac->services)
		goto fail_nomem;
	for (unsigned i = 0; i < cfg->nservices; i++)
		if (!(ac->services[i] = strdup(cfg->services[i])))
			goto fail_nomem;
	/* the caller's strings are not ours to keep */
	ac->cfg.services = (const char *const *)ac->services;
	ac->cfg.interface = ac->ifname;
	ac->cfg.netns = NULL;
	ac->cfg.ac_name = ac->ac_name;
	l2tp_htable_init(&ac->by_id);
	l2tp_htable_init(&ac->by_peer);
	uint8_t key[32];
	l2tp_random_bytes(key, sizeof(key));
	hmac_sha256_set_key(&ac->cookie_key, sizeof(key), key);

	ac->fd = l2tp_packet_socket(cfg->netns, cfg->interface, L2TP_ETH_P_PPP_DISC, &ac->ifindex, ac->mac, err, errlen);
	if (ac->fd < 0) {
		rc = l2tp_errprefix(err, errlen, ac->fd, "pppoe:");
		ac->fd = -1;
		goto fail;
	}
	struct event_base *base = l2tp_context_base(ctx);
	ac->rx = event_new(base, ac->fd, EV_READ | EV_PERSIST, on_readable, ac);
	ac->timer = evtimer_new(base, on_timer, ac);
	if (!ac->rx || !ac->timer || event_add(ac->rx, NULL) != 0)
		goto fail_nomem;
	ac->handle = l2tp_context_new_handle(ctx);
	ac->next = ctx->pppoe_acs;
	ctx->pppoe_acs = ac;
	l2tp_log(ctx, L2TP_LOG_INFO, "pppoe %s: access concentrator '%s' up", ac->ifname, ac->ac_name);
	*out = ac;
	return 0;
fail_nomem:
	rc = l2tp_errf(err, errlen, -ENOMEM, "pppoe: out of memory");
fail:
	l2tp_pppoe_ac_free(ac);
	return rc;
}

void l2tp_pppoe_ac_free(struct l2tp_pppoe_ac *ac)
{
	if (!ac || ac->freed)
		return;
	/* Gone for the owner at once: no handle finds it, and the context
	 * will not close it again. */
	for (struct l2tp_pppoe_ac **p = &ac->ctx->pppoe_acs; *p; p = &(*p)->next)
		if (*p == ac) {
			*p = ac->next;
			l2tp_log(ac->ctx, L2TP_LOG_INFO, "pppoe %s: access concentrator closed", ac->ifname);
			break;
		}
	/* freed from now on, so that the owner's callbacks during the
	 * destroy cannot free it again */
	ac->freed = true;
	if (!ac->depth)
		ac_destroy(ac);
}

static void ac_destroy(struct l2tp_pppoe_ac *ac)
{
	while (ac->by_id.count) {
		struct ac_session *s = NULL;
		for (size_t b = 0; !s && b < ac->by_id.nbuckets; b++)
			if (ac->by_id.buckets[b])
				s = l2tp_container_of(ac->by_id.buckets[b], struct ac_session, by_id);
		/* each end calls the owner back, which may end others: the
		 * loop looks again each time */
		if (ac->fd >= 0 && !s->confirmed) {
			l2tp_pppoe_ac_refuse(ac, s->id, L2TP_TAG_AC_SYSTEM_ERROR, "access concentrator closed", NULL, 0);
			continue;
		}
		if (ac->fd >= 0)
			send_padt(s, "access concentrator closed");
		session_end(s, "access concentrator closed");
	}
	l2tp_htable_fini(&ac->by_id);
	l2tp_htable_fini(&ac->by_peer);
	if (ac->rx)
		event_free(ac->rx);
	if (ac->timer)
		event_free(ac->timer);
	if (ac->fd >= 0)
		close(ac->fd);
	if (ac->services)
		for (unsigned i = 0; i < ac->cfg.nservices; i++)
			free(ac->services[i]);
	free(ac->services);
	free(ac->ac_name);
	free(ac);
}
