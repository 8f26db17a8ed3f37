/* An LNS's listening socket: SCCRQs from any number of LACs arrive here, or
 * at the sockets of tunnels already accepted, which pass on what is not
 * theirs. A request is checked whole before anything is made; what is
 * refused is answered without keeping state (RFC 2661 section 4.4.1:
 * StopCCN for an unknown M-bit AVP and for other malformed requests); what
 * is kept is bounded (max_tunnels, max_pending, max_sessions). Each
 * accepted tunnel gets its own socket connected to its LAC, on the
 * listener's port or on a new one (tunnel_port), so the kernel hands that
 * LAC's datagrams to it and can attach the managed kernel tunnel to it. */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Stateless answers per second (and the burst allowed): enough for every
 * real LAC, too few to make the listener a useful reflector. */
#define ANSWER_RATE 1000
/* How often a stream of refusals is summed up in the log. */
#define QUIET_MS 10000

static const char *const refusal_names[L2TP_REFUSED_N] = {
	[L2TP_REFUSED_LIMIT] = "over max_tunnels",
	[L2TP_REFUSED_EVICTED] = "dropped in setup for newer ones (max_pending)",
	[L2TP_REFUSED_HOOK] = "refused by on_tunnel",
	[L2TP_REFUSED_MALFORMED] = "malformed",
	[L2TP_REFUSED_AUTH] = "refused for authentication",
	[L2TP_REFUSED_VERSION] = "another protocol version",
	[L2TP_REFUSED_ADDRESS] = "from addresses not allowed",
	[L2TP_REFUSED_ERROR] = "local errors",
};

void l2tp_listener_config_defaults(struct l2tp_listener_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	l2tp_keys_default(l2tp_listener_keys, L2TP_KEYS_LISTENER, cfg);
	l2tp_tunnel_config_defaults(&cfg->tunnel, L2TP_TUNNEL_ACCEPTED);
}

static uint64_t now_ms(const struct l2tp_listener *l)
{
	return l2tp_context_now(l->ctx);
}

/* The summary of refusals not logged one by one. */
static void flush_quiet(struct l2tp_listener *l)
{
	char parts[300];
	size_t used = 0;
	uint32_t total = 0;
	parts[0] = '\0';
	for (int i = 0; i < L2TP_REFUSED_N; i++) {
		if (!l->quiet[i])
			continue;
		total += l->quiet[i];
		int n = snprintf(parts + used, sizeof(parts) - used, "%s%u %s", used ? ", " : "", l->quiet[i],
				 refusal_names[i]);
		if (n > 0 && (size_t)n < sizeof(parts) - used)
			used += (size_t)n;
		l->quiet[i] = 0;
	}
	if (total) {
		uint64_t since = l->quiet_until - QUIET_MS, now = now_ms(l);
		unsigned secs = (unsigned)((now > since ? now - since : 0) + 999) / 1000;
		l2tp_log(l->ctx, L2TP_LOG_WARN, "listener '%s': %u more tunnel requests turned away in the last %u s (%s)",
			 l->name, total, secs ? secs : 1, parts);
	}
}

/* Logs a refusal, or counts it for the summary while a stream of them
 * goes on: a flood must not become a flood of log lines. */
static void note_refusal(struct l2tp_listener *l, enum l2tp_refusal why, enum l2tp_log_level level, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));
static void note_refusal(struct l2tp_listener *l, enum l2tp_refusal why, enum l2tp_log_level level, const char *fmt,
			 ...)
{
	uint64_t now = now_ms(l);
	if (now < l->quiet_until) {
		l->quiet[why]++;
		l2tp_endpoint_arm(l->ep, l->quiet_until);
		return;
	}
	flush_quiet(l);
	l->quiet_until = now + QUIET_MS;
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l2tp_log(l->ctx, level, "listener '%s': %s", l->name, msg);
}

static void on_timer(void *arg)
{
	flush_quiet(arg);
}

bool l2tp_listener_may_answer(struct l2tp_listener *l)
{
	uint64_t now = now_ms(l);
	uint64_t add = (now - l->answer_refill) * ANSWER_RATE / 1000;
	if (add) {
		l->answer_tokens = (uint32_t)(l->answer_tokens + add > ANSWER_RATE ? ANSWER_RATE : l->answer_tokens + add);
		l->answer_refill = now;
	}
	if (!l->answer_tokens) {
		l->stats.answers_dropped++;
		return false;
	}
	l->answer_tokens--;
	return true;
}

static void send_out(struct l2tp_listener *l, const struct sockaddr *to, socklen_t tolen)
{
	uint8_t buf[512];
	size_t n;
	/* An L2TPv3 LAC that authenticates reads only what is signed: our
	 * answers before a tunnel exists carry a digest without nonces. */
	bool sign = l->out.hdr.version == 3 && l->cfg.tunnel.secret[0] &&
		    l2tp_msg_add_digest(&l->out, (uint8_t)l->cfg.tunnel.digest) == 0;
	if (l2tp_msg_encode(&l->out, NULL, buf, sizeof(buf), &n, NULL) != 0)
		return;
	if (sign)
		l2tp_digest_sign(buf, n, l->auth_key, NULL);
	l2tp_endpoint_send(l->ep, buf, n, to, tolen);
}

/* Refuses without keeping any state: a StopCCN that acknowledges the
 * request (its Ns + 1), addressed to the tunnel ID the LAC assigned where
 * it could be read. */
static void refuse(struct l2tp_listener *l, const struct l2tp_header *h, const struct sockaddr *to, socklen_t tolen,
		   uint32_t peer_tid, uint16_t result, uint16_t error, const char *text)
{
	if (!l2tp_listener_may_answer(l))
		return;
	/* Our tunnel ID is 0: there is no tunnel. */
	l2tp_build_stopccn(&l->out, h->version, 0, result, error, text);
	l->out.hdr.tunnel_id = peer_tid;
	l->out.hdr.ns = 0;
	l->out.hdr.nr = (uint16_t)(h->ns + 1);
	send_out(l, to, tolen);
}

/* The LAC's Assigned Tunnel ID (L2TPv2) or Control Connection ID
 * (L2TPv3), decoded (m) or, for a message not decoded (m NULL) or that did
 * not decode, read straight
 * from the wire where every AVP header before it holds together. */
static uint32_t assigned_tid(const struct l2tp_msg *m, const uint8_t *raw, const struct l2tp_header *h)
{
	uint16_t type = h->version == 2 ? L2TP_AVP_ASSIGNED_TUNNEL_ID : L2TP_AVP_ASSIGNED_CONNECTION_ID;
	size_t want = h->version == 2 ? 2 : 4, n;
	const uint8_t *v;
	const struct l2tp_avp *a = m ? l2tp_msg_find(m, type) : NULL;
	if (a && a->len == want)
		return want == 2 ? l2tp_avp_u16(a) : l2tp_avp_u32(a);
	if (l2tp_avp_scan(raw, h->length, type, &v, &n) != 0 || n != want)
		return 0;
	return want == 2 ? l2tp_get16(v) : l2tp_get32(v);
}

/* An SCCRQ that did not decode: answered as the RFC says (an unknown
 * M-bit AVP, a bad length, a missing AVP), never dropped in silence. */
static void refuse_malformed(struct l2tp_listener *l, const struct l2tp_header *h, const uint8_t *raw,
			     const struct l2tp_codec_error *err, const struct sockaddr *from, socklen_t flen,
			     const char *peer)
{
	uint32_t ptid = assigned_tid(&l->msg, raw, h);
	if (err->code == L2TP_CODEC_HIDDEN_NO_SECRET || err->code == L2TP_CODEC_HIDDEN_BAD_LENGTH) {
		/* The LAC hides AVPs with a secret we do not share. */
		l->stats.refused_auth++;
		note_refusal(l, L2TP_REFUSED_AUTH, L2TP_LOG_WARN, "SCCRQ from %s refused: %s", peer,
			     err->code == L2TP_CODEC_HIDDEN_NO_SECRET ? "it hides AVPs and this listener has no secret"
								      : "its hidden AVPs do not decrypt with our secret (wrong secret?)");
		refuse(l, h, from, flen, ptid, L2TP_RESULT_STOPCCN_NOT_AUTHORIZED, 0,
		       err->code == L2TP_CODEC_HIDDEN_NO_SECRET ? "no shared secret" : "hidden AVPs do not decrypt");
		return;
	}
	l->stats.refused_malformed++;
	note_refusal(l, L2TP_REFUSED_MALFORMED, L2TP_LOG_INFO, "malformed SCCRQ from %s refused: %s", peer, err->message);
	refuse(l, h, from, flen, ptid, L2TP_RESULT_STOPCCN_ERROR,
	       err->result_code ? err->error_code : L2TP_ERROR_BAD_VALUE, err->message);
}

/* Decodes a copy of raw into l->msg: decoding unhides AVPs in place, and
 * the original goes on to a tunnel's transport as it came. */
static int decode_copy(struct l2tp_listener *l, const uint8_t *raw, size_t len, const struct l2tp_decode_opts *o,
		       struct l2tp_codec_error *err)
{
	if (len > sizeof(l->copy))
		return -EMSGSIZE;
	memcpy(l->copy, raw, len);
	return l2tp_msg_decode(l->copy, len, o, &l->msg, err);
}

/* An SCCRQ of a version this listener does not take: refused, and told
 * which it takes. */
static void refuse_version(struct l2tp_listener *l, const struct l2tp_header *h, const uint8_t *raw,
			   const struct sockaddr *from, socklen_t flen, const char *peer)
{
	char text[128];
	/* It takes one version, the other one (a listener takes at least one). */
	const char *takes = l->cfg.versions & L2TP_LISTEN_V3 ? "l2tpv3" : "l2tpv2";
	l->stats.refused_version++;
	note_refusal(l, L2TP_REFUSED_VERSION, L2TP_LOG_INFO, "L2TPv%u SCCRQ from %s refused: this listener takes %s",
		     h->version, peer, takes);
	snprintf(text, sizeof(text), "L2TPv%u is not accepted here (this LNS takes %s)", h->version, takes);
	/* Read from the wire: a version we do not take is not decoded. */
	refuse(l, h, from, flen, assigned_tid(NULL, raw, h), L2TP_RESULT_STOPCCN_BAD_VERSION, 0, text);
}

/* A StopCCN for a tunnel that is gone (its own socket closed after it
 * acknowledged the first one): acknowledged again, from what the message
 * itself says, so the hold of RFC 2661 section 5.7 costs no socket. */
static void ack_stopccn(struct l2tp_listener *l, const uint8_t *raw, size_t len, const struct l2tp_header *h,
			const struct sockaddr *from, socklen_t flen)
{
	struct l2tp_decode_opts o = {.no_validate = true};
	if (decode_copy(l, raw, len, &o, NULL) != 0 || !l2tp_listener_may_answer(l))
		return;
	l2tp_msg_init(&l->out, h->version, L2TP_MSG_ZLB);
	l->out.hdr.tunnel_id = assigned_tid(&l->msg, raw, h);
	l->out.hdr.ns = h->nr;
	l->out.hdr.nr = (uint16_t)(h->ns + 1);
	send_out(l, from, flen);
}

struct peer_key {
	const struct sockaddr *peer;
	uint32_t tid;
};

static bool peer_tid_eq(const struct l2tp_hnode *n, const void *key)
{
	const struct peer_key *k = key;
	const struct l2tp_tunnel *t = l2tp_container_of(n, struct l2tp_tunnel, by_peer_tid);
	return t->cfg.ptid == k->tid && l2tp_addr_equal((const struct sockaddr *)&t->peer, k->peer);
}

static bool peer_eq(const struct l2tp_hnode *n, const void *key)
{
	const struct l2tp_tunnel *t = l2tp_container_of(n, struct l2tp_tunnel, by_peer);
	return l2tp_addr_equal((const struct sockaddr *)&t->peer, key);
}

static struct l2tp_tunnel *find_by_peer_tid(struct l2tp_listener *l, const struct sockaddr *peer, uint32_t tid)
{
	struct peer_key k = {peer, tid};
	struct l2tp_hnode *n = l2tp_htable_find(&l->by_peer_tid, l2tp_addr_hash(peer, tid), peer_tid_eq, &k);
	return n ? l2tp_container_of(n, struct l2tp_tunnel, by_peer_tid) : NULL;
}

/* RFC 2661 section 4.4.3: when we have an SCCRQ of our own outstanding to
 * the host this SCCRQ comes from, one tunnel survives. The lower Tie
 * Breaker wins and the loser silently discards its tunnel; equal values
 * discard both; a side that sent none loses to one that did; with none on
 * either side both tunnels are made. Returns true when the received SCCRQ
 * is to be dropped. */
static bool tie_break(struct l2tp_listener *l, const struct l2tp_ctl_view *req, const struct sockaddr *from)
{
	if (!req->tie_breaker)
		return false;
	struct l2tp_tunnel *t = l2tp_tunnel_dialing(l->ctx, from);
	if (t) {
		int cmp = t->cfg.has_tie_breaker ? memcmp(t->cfg.tie_breaker, req->tie_breaker, 8) : 1;
		if (cmp < 0) {
			l2tp_tlog(t, L2TP_LOG_INFO, "won the tie breaker against the peer's own SCCRQ");
			return true;
		}
		l2tp_tunnel_down(t, cmp == 0 ? "equal tie breakers: both tunnels discarded"
					    : "lost the tie breaker to the peer's own SCCRQ",
				 NULL, false);
		return cmp == 0;
	}
	return false;
}

/* A datagram for one of our tunnels (an ID that is not 0). */
static bool allowed(const struct l2tp_listener *l, const struct sockaddr *from)
{
	if (!l->allow)
		return true;
	for (size_t i = 0; i < l->nallow; i++)
		if (l2tp_addr_range_has(&l->allow[i], from))
			return true;
	return false;
}

static void to_tunnel(struct l2tp_listener *l, uint8_t *buf, size_t len, const struct l2tp_header *h, uint16_t type,
		      const struct sockaddr *from, socklen_t flen)
{
	struct l2tp_tunnel *t = l2tp_tunnel_by_id(l->ctx, h->tunnel_id);
	if (t && t->listener == l && t->ch && l2tp_addr_equal((struct sockaddr *)&t->peer, from)) {
		/* Sent before the tunnel's socket existed, or by a LAC that
		 * did not adopt a tunnel's new port. */
		l2tp_channel_input(t->ch, buf, len);
		return;
	}
	if (type == L2TP_MSG_STOPCCN && allowed(l, from))
		ack_stopccn(l, buf, len, h, from, flen);
}

/* An L2TPv3 SCCRQ and message authentication (RFC 3931 section 4.3):
 * both sides or neither. A digest that does not check is dropped
 * unanswered, as the RFC says (a forged or altered request learns
 * nothing); a LAC that does not authenticate where we do, or does where we
 * cannot, is told so. */
static bool authenticated(struct l2tp_listener *l, const char *secret, const uint8_t *raw, size_t len,
			  const struct l2tp_header *h, const struct l2tp_ctl_view *req, const struct sockaddr *from,
			  socklen_t flen, const char *peer, uint32_t ptid)
{
	bool ours = secret[0] != 0;
	if (!ours && !req->nonce)
		return true;
	uint8_t key[L2TP_AUTH_KEY_LEN];
	const uint8_t *k = l->auth_key;
	if (ours && secret != l->cfg.tunnel.secret) {
		l2tp_auth_key(secret, strlen(secret), key);
		k = key;
	}
	int rc = ours ? l2tp_digest_verify(raw, len, k, NULL) : 0;
	if (ours && rc == 0 && req->nonce)
		return true;
	l->stats.refused_auth++;
	if (!ours) {
		note_refusal(l, L2TP_REFUSED_AUTH, L2TP_LOG_WARN,
			     "SCCRQ from %s refused: it authenticates its messages and this listener has no secret", peer);
		refuse(l, h, from, flen, ptid, L2TP_RESULT_STOPCCN_NOT_AUTHORIZED, 0, "no secret configured");
		return false;
	}
	if (rc == -EBADMSG) {
		note_refusal(l, L2TP_REFUSED_AUTH, L2TP_LOG_WARN,
			     "SCCRQ from %s dropped: its message digest does not check (wrong secret?)", peer);
		return false;
	}
	note_refusal(l, L2TP_REFUSED_AUTH, L2TP_LOG_WARN,
		     "SCCRQ from %s refused: it does not authenticate its messages and this listener has a secret", peer);
	refuse(l, h, from, flen, ptid, L2TP_RESULT_STOPCCN_NOT_AUTHORIZED, 0, "message authentication required");
	return false;
}

static void enter(struct l2tp_listener *l)
{
	l->busy++;
}

static void listener_free(struct l2tp_listener *l);

static bool leave(struct l2tp_listener *l)
{
	if (--l->busy == 0 && l->dead) {
		listener_free(l);
		return false;
	}
	return !l->dead;
}

/* What to do with a well-formed SCCRQ: the existing tunnel (a
 * retransmission), a tie break, the limits, the hook, then a new tunnel. */
static void on_sccrq(struct l2tp_listener *l, uint8_t *buf, size_t len, const struct l2tp_header *h,
		     const struct sockaddr *from, socklen_t flen, const char *peer)
{
	const struct l2tp_listener_config *c = &l->cfg;
	struct l2tp_ctl_view req;
	char err[256];

	l2tp_msg_read_ctl(&l->msg, &req);
	uint32_t ptid = req.assigned_tid;

	if (ptid == 0) {
		const char *what = h->version == 2 ? "Assigned Tunnel ID 0" : "Assigned Control Connection ID 0";
		l->stats.refused_malformed++;
		note_refusal(l, L2TP_REFUSED_MALFORMED, L2TP_LOG_INFO, "SCCRQ from %s refused: %s", peer, what);
		refuse(l, h, from, flen, 0, L2TP_RESULT_STOPCCN_ERROR, L2TP_ERROR_BAD_VALUE, what);
		return;
	}
	struct l2tp_tunnel *t = find_by_peer_tid(l, from, ptid);
	if (t) {
		/* A retransmitted SCCRQ never makes a second tunnel. */
		l2tp_channel_input(t->ch, buf, len);
		return;
	}
	/* What would stop a tunnel as soon as it is made is refused before
	 * anything is: no state for requests that cannot succeed. */
	if (h->version == 2 && (req.version != 1 || req.revision != 0)) {
		l->stats.refused_version++;
		note_refusal(l, L2TP_REFUSED_VERSION, L2TP_LOG_INFO, "SCCRQ from %s refused: protocol version %u.%u", peer,
			     req.version, req.revision);
		refuse(l, h, from, flen, ptid, L2TP_RESULT_STOPCCN_BAD_VERSION, 0, "protocol version 1.0 only");
		return;
	}
	if (c->max_tunnels && l->ntunnels >= c->max_tunnels) {
		l->stats.refused_by_limit++;
		note_refusal(l, L2TP_REFUSED_LIMIT, L2TP_LOG_WARN, "refusing a tunnel from %s: max_tunnels limit reached (%u)",
			     peer, c->max_tunnels);
		refuse(l, h, from, flen, ptid, L2TP_RESULT_STOPCCN_ERROR, L2TP_ERROR_NO_RESOURCES, "too many tunnels");
		return;
	}
	/* The hook admits the LAC and may choose its secret, so it runs
	 * before the request is authenticated with that secret. */
	struct l2tp_tunnel_settings settings = {{0}};
	if (c->on_tunnel) {
		char host[256], vendor[256];
		snprintf(host, sizeof(host), "%.*s", (int)req.host_name_len, req.host_name);
		snprintf(vendor, sizeof(vendor), "%.*s", (int)req.vendor_name_len, req.vendor_name ? req.vendor_name : "");
		struct l2tp_tunnel_request treq = {peer, host, vendor, ptid, h->version};
		struct l2tp_verdict v = {0};
		int rc = c->on_tunnel(c->hook_arg, l, &treq, &settings, &v);
		if (l->dead)
			return; /* the hook closed the listener */
		if (rc != 0) {
			l->stats.refused_by_hook++;
			if (!v.result_code)
				v.result_code = L2TP_RESULT_STOPCCN_NOT_AUTHORIZED;
			note_refusal(l, L2TP_REFUSED_HOOK, L2TP_LOG_INFO, "tunnel from %s (%s) refused: result %u%s%s", peer, host,
				     v.result_code, v.message[0] ? ": " : "", v.message);
			refuse(l, h, from, flen, ptid, v.result_code, v.error_code, v.message);
			return;
		}
	}
	const char *secret = settings.secret[0] ? settings.secret : c->tunnel.secret;
	if (req.challenge && !secret[0]) {
		l->stats.refused_auth++;
		note_refusal(l, L2TP_REFUSED_AUTH, L2TP_LOG_WARN,
			     "SCCRQ from %s refused: it challenges us and this listener has no secret", peer);
		refuse(l, h, from, flen, ptid, L2TP_RESULT_STOPCCN_NOT_AUTHORIZED, 0, "no secret configured");
		return;
	}
	if (h->version == 3 && !authenticated(l, secret, buf, len, h, &req, from, flen, peer, ptid))
		return;
	if (tie_break(l, &req, from))
		return;
	if (c->max_pending && l->npending >= c->max_pending) {
		/* A tunnel that has not come up by now is the one to lose: a
		 * real LAC completes within a round trip, requests that never
		 * complete must not keep it out. */
		struct l2tp_tunnel *old = l->pending_head;
		l->stats.evicted++;
		note_refusal(l, L2TP_REFUSED_EVICTED, L2TP_LOG_WARN,
			     "max_pending (%u) reached: dropping tunnel '%s' from %s, still in setup, for a new one from %s",
			     c->max_pending, old->name, old->peer_str, peer);
		l2tp_tunnel_evict(old, "dropped to make room for a new tunnel request (max_pending)");
	}
	/* One socket per LAC address and port on our port: a second tunnel
	 * from there gets a port of its own. A tunnel there that has not
	 * heard from its LAC for a whole retry interval (a request forged
	 * with that LAC's address, say) does not keep the port from the next
	 * one; a LAC that opens several tunnels at once answers within that.
	 * A lingering socket of a closed tunnel to that address is
	 * superseded. */
	bool share = c->tunnel_port == L2TP_TUNNEL_PORT_SAME && c->tunnel.encap == L2TP_ENCAP_UDP;
	struct l2tp_hnode *n = share ? l2tp_htable_find(&l->same_port, l2tp_addr_hash(from, 0), peer_eq, from)
				       : NULL;
	struct l2tp_tunnel *holder = n ? l2tp_container_of(n, struct l2tp_tunnel, by_peer) : NULL;
	if (holder && !holder->up && !l2tp_tunnel_heard_back(holder) &&
	    now_ms(l) + holder->cfg.setup_timeout_ms >= holder->setup_deadline + holder->cfg.retry_timeout_ms) {
		l->stats.evicted++;
		l2tp_tunnel_evict(holder, "dropped: a new request from its LAC's address and port, which it never heard from");
		n = NULL;
	}
	bool same = share && !n;
	if (same)
		l2tp_context_unlinger(l->ctx, (struct sockaddr *)&l->local, from);
	if (l2tp_tunnel_accept(l, from, flen, peer, ptid, same, secret, buf, len, &l->msg, err, sizeof(err)) != 0) {
		note_refusal(l, L2TP_REFUSED_ERROR, L2TP_LOG_ERROR, "cannot accept a tunnel from %s: %s", peer, err);
		refuse(l, h, from, flen, ptid, L2TP_RESULT_STOPCCN_ERROR, L2TP_ERROR_NO_RESOURCES, "cannot accept");
		return;
	}
	l->stats.accepted++;
}

/* cfg.allow, checked and parsed once. */
static int parse_allow(struct l2tp_listener *l, char *err, size_t errlen)
{
	const char *p = l->cfg.allow;
	size_t n = 0, i = 0;
	if (!*p)
		return 0;
	for (const char *q = p; q; q = strchr(q + 1, '\n'))
		n++;
	l->allow = calloc(n, sizeof(*l->allow));
	if (!l->allow)
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	while (*p) {
		char one[128];
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		snprintf(one, sizeof(one), "%.*s", (int)len, p);
		int rc = len < sizeof(one) ? l2tp_addr_range_parse(one, &l->allow[i], err, errlen)
					   : l2tp_errf(err, errlen, -EINVAL, "'%.40s...' is too long for an address range", one);
		if (rc) {
			char prefix[32];
			snprintf(prefix, sizeof(prefix), "allow[%zu]:", i + 1);
			return l2tp_errprefix(err, errlen, rc, prefix);
		}
		i++;
		p += len + (nl ? 1 : 0);
	}
	l->nallow = i;
	return 0;
}

void l2tp_listener_input(struct l2tp_listener *l, uint8_t *buf, size_t len, const struct sockaddr *from,
			 socklen_t flen)
{
	struct l2tp_header h;
	uint16_t type;
	char peer[L2TP_ADDR_STRLEN];

	if (l->dead || l2tp_msg_peek(buf, len, false, &h, &type) != 0)
		return; /* not an L2TP control message: nothing to answer */
	if (h.tunnel_id != 0) {
		enter(l);
		to_tunnel(l, buf, len, &h, type, from, flen);
		leave(l);
		return;
	}
	if (type != L2TP_MSG_SCCRQ || len > sizeof(l->copy))
		return;
	l2tp_addr_format(from, peer, sizeof(peer));
	if (!allowed(l, from)) {
		/* No answer: a LAC we do not serve learns nothing, and the
		 * listener cannot be made to send to an address of its choosing. */
		l->stats.refused_address++;
		note_refusal(l, L2TP_REFUSED_ADDRESS, L2TP_LOG_INFO, "SCCRQ from %s dropped: not in allow", peer);
		return;
	}
	enter(l);
	if (!(l->cfg.versions & (1u << h.version))) {
		refuse_version(l, &h, buf, from, flen, peer);
	} else {
		struct l2tp_codec_error err;
		struct l2tp_decode_opts o = {0};
		if (l->cfg.tunnel.secret[0]) {
			bool v3 = h.version == 3;
			o.secret = v3 ? l->v3_hiding_key : (const uint8_t *)l->cfg.tunnel.secret;
			o.secret_len = v3 ? sizeof(l->v3_hiding_key) : strlen(l->cfg.tunnel.secret);
		}
		if (decode_copy(l, buf, len, &o, &err) != 0)
			refuse_malformed(l, &h, buf, &err, from, flen, peer);
		else
			on_sccrq(l, buf, len, &h, from, flen, peer);
	}
	leave(l);
}

static void on_input(void *arg, uint8_t *buf, size_t len, const struct sockaddr *from, socklen_t flen)
{
	l2tp_listener_input(arg, buf, len, from, flen);
}

int l2tp_listener_create(struct l2tp_context *ctx, const char *name, const struct l2tp_listener_config *cfg,
			 struct l2tp_listener **out, char *err, size_t errlen)
{
	static const struct l2tp_endpoint_ops ops = {on_input, on_timer};
	char prefix[200];
	int rc;
	*out = NULL;
	snprintf(prefix, sizeof(prefix), "listener '%s':", name);
	if (ctx->closed)
		return l2tp_errf(err, errlen, -ESHUTDOWN, "context is closed");
	for (struct l2tp_listener *x = ctx->listeners; x; x = x->next)
		if (strcmp(x->name, name) == 0)
			return l2tp_errf(err, errlen, -EEXIST, "listener '%s' already exists", name);
	rc = l2tp_tunnel_config_check(&cfg->tunnel, L2TP_TUNNEL_ACCEPTED, err, errlen);
	if (rc)
		return l2tp_errprefix(err, errlen, rc, prefix);
	rc = l2tp_keys_check(l2tp_listener_keys, L2TP_KEYS_LISTENER, cfg, err, errlen);
	if (rc)
		return l2tp_errprefix(err, errlen, rc, prefix);
	if (!(cfg->versions & (L2TP_LISTEN_V2 | L2TP_LISTEN_V3)))
		return l2tp_errprefix(err, errlen,
				      l2tp_errf(err, errlen, -EINVAL, "version takes no protocol version (accepted: \"l2tpv2\", "
								      "\"l2tpv3\", or both in a list)"),
				      prefix);
	if (cfg->tunnel.encap == L2TP_ENCAP_IP && cfg->versions != L2TP_LISTEN_V3)
		return l2tp_errprefix(err, errlen,
				      l2tp_errf(err, errlen, -EINVAL,
						"encap 'ip' carries only l2tpv3 (accepted: version = \"l2tpv3\" with encap "
						"'ip', or encap 'udp')"),
				      prefix);
	struct l2tp_listener *l = calloc(1, sizeof(*l));
	if (!l || !(l->name = strdup(name))) {
		free(l);
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	}
	l->ctx = ctx;
	l->cfg = *cfg;
	if (cfg->tunnel.secret[0]) {
		size_t n;
		l2tp_auth_key(cfg->tunnel.secret, strlen(cfg->tunnel.secret), l->auth_key);
		l2tp_hiding_secret(&cfg->tunnel, L2TP_V3, l->v3_hiding_key, &n);
	}
	l->obj.type = L2TP_OBJ_LISTENER;
	l->answer_tokens = ANSWER_RATE;
	l->answer_refill = l2tp_context_now(ctx);
	l2tp_htable_init(&l->by_peer_tid);
	l2tp_htable_init(&l->same_port);
	bool ip = cfg->tunnel.encap == L2TP_ENCAP_IP;
	rc = l2tp_addr_parse(cfg->local[0] ? cfg->local : ip ? "0.0.0.0" : "0.0.0.0:1701", cfg->tunnel.encap, &l->local,
			     &l->local_len, err, errlen);
	if (rc) {
		l2tp_errprefix(err, errlen, rc, "local");
		goto fail;
	}
	rc = parse_allow(l, err, errlen);
	if (rc)
		goto fail;
	for (struct l2tp_listener *x = ctx->listeners; x; x = x->next) {
		if (x->cfg.tunnel.encap == cfg->tunnel.encap && (ip || l2tp_addr_port((struct sockaddr *)&l->local)) &&
		    (l2tp_addr_covers((struct sockaddr *)&x->local, (struct sockaddr *)&l->local) ||
		     l2tp_addr_covers((struct sockaddr *)&l->local, (struct sockaddr *)&x->local))) {
			rc = l2tp_errf(err, errlen, -EADDRINUSE, "%s is already served by listener '%s'", x->local_str,
				       x->name);
			goto fail;
		}
	}
	/* Bound alone first, so a second LNS on this address (another
	 * process) fails here instead of sharing the requests. Tunnels on
	 * the listener's port join it afterwards; so does a listener whose
	 * address only this context's own tunnels hold (left by a listener
	 * closed before). */
	/* Over IP the kernel hands us the messages for connection ID 0:
	 * SCCRQs. */
	struct l2tp_sock_req req = {.local = (struct sockaddr *)&l->local,
				    .local_len = l->local_len,
				    .over_ip = ip,
				    .share = cfg->tunnel_port == L2TP_TUNNEL_PORT_SAME && !ip ? L2TP_SOCK_LISTEN
											 : L2TP_SOCK_OWN};
	rc = l2tp_endpoint_open(ctx->io, &req, &ops, l, &l->ep, err, errlen);
	if (rc == -EADDRINUSE && !ip && l2tp_context_holds(ctx, (struct sockaddr *)&l->local)) {
		req.share = L2TP_SOCK_JOIN;
		rc = l2tp_endpoint_open(ctx->io, &req, &ops, l, &l->ep, err, errlen);
	}
	if (rc == -EADDRINUSE) {
		size_t n = strlen(err);
		snprintf(err + n, errlen > n ? errlen - n : 0, " (another LNS on this host?)");
	}
	if (rc)
		goto fail;
	socklen_t len;
	const struct sockaddr *bound = l2tp_endpoint_local(l->ep, &len);
	memcpy(&l->local, bound, len);
	l->local_len = len;
	l2tp_addr_format((struct sockaddr *)&l->local, l->local_str, sizeof(l->local_str));
	l->obj.handle = l2tp_context_new_handle(ctx);
	if (l2tp_context_register(ctx, &l->obj) != 0) {
		rc = l2tp_errf(err, errlen, -ENOMEM, "out of memory");
		goto fail;
	}
	l->next = ctx->listeners;
	if (l->next)
		l->next->pprev = &l->next;
	l->pprev = &ctx->listeners;
	ctx->listeners = l;
	if (ip)
		l2tp_log(ctx, L2TP_LOG_INFO, "listener '%s': accepting L2TPv3 tunnels over IP on %s", name, l->local_str);
	else
		l2tp_log(ctx, L2TP_LOG_INFO, "listener '%s': accepting %s tunnels over UDP on %s (tunnels answer from %s port)",
			 name,
			 cfg->versions == (L2TP_LISTEN_V2 | L2TP_LISTEN_V3) ? "L2TPv2 and L2TPv3"
			 : cfg->versions & L2TP_LISTEN_V3		    ? "L2TPv3"
									    : "L2TPv2",
			 l->local_str, cfg->tunnel_port == L2TP_TUNNEL_PORT_SAME ? "this" : "a new");
	*out = l;
	return 0;
fail:
	l2tp_endpoint_close(l->ep);
	listener_free(l);
	return l2tp_errprefix(err, errlen, rc, prefix);
}

static void listener_free(struct l2tp_listener *l)
{
	l2tp_htable_fini(&l->by_peer_tid);
	l2tp_htable_fini(&l->same_port);
	free(l->allow);
	free(l->name);
	free(l);
}

void l2tp_listener_close(struct l2tp_listener *l)
{
	if (!l || l->dead)
		return;
	flush_quiet(l);
	for (struct l2tp_tunnel *t = l->ctx->tunnels_head; t; t = t->next) {
		if (t->listener != l)
			continue;
		t->listener = NULL;
		t->pending = false;
	}
	*l->pprev = l->next;
	if (l->next)
		l->next->pprev = l->pprev;
	l2tp_context_unregister(l->ctx, &l->obj);
	l2tp_endpoint_close(l->ep);
	l->ep = NULL;
	l2tp_log(l->ctx, L2TP_LOG_INFO, "listener '%s': closed", l->name);
	if (l->busy) {
		l->dead = true;
		return;
	}
	listener_free(l);
}

void l2tp_listener_close_all(struct l2tp_context *ctx)
{
	while (ctx->listeners)
		l2tp_listener_close(ctx->listeners);
}

int l2tp_listener_tunnel_added(struct l2tp_listener *l, struct l2tp_tunnel *t)
{
	const struct sockaddr *peer = (struct sockaddr *)&t->peer;
	if (l2tp_htable_insert(&l->by_peer_tid, &t->by_peer_tid, l2tp_addr_hash(peer, t->cfg.ptid)) != 0)
		return -ENOMEM;
	if (t->same_port && l2tp_htable_insert(&l->same_port, &t->by_peer, l2tp_addr_hash(peer, 0)) != 0) {
		l2tp_htable_remove(&l->by_peer_tid, &t->by_peer_tid);
		return -ENOMEM;
	}
	t->listener = l;
	t->pending = true;
	L2TP_LIST_APPEND(l->pending_head, l->pending_tail, t, pend_prev, pend_next);
	l->ntunnels++;
	l->npending++;
	return 0;
}

static void unpend(struct l2tp_listener *l, struct l2tp_tunnel *t)
{
	if (!t->pending)
		return;
	t->pending = false;
	L2TP_LIST_REMOVE(l->pending_head, l->pending_tail, t, pend_prev, pend_next);
	l->npending--;
}

void l2tp_listener_tunnel_up(struct l2tp_listener *l, struct l2tp_tunnel *t)
{
	if (l)
		unpend(l, t);
}

void l2tp_listener_tunnel_gone(struct l2tp_listener *l, struct l2tp_tunnel *t)
{
	if (!l)
		return;
	unpend(l, t);
	l2tp_htable_remove(&l->by_peer_tid, &t->by_peer_tid);
	if (t->same_port)
		l2tp_htable_remove(&l->same_port, &t->by_peer);
	l->ntunnels--;
	t->listener = NULL;
}

int l2tp_listener_admit_call(struct l2tp_listener *l, const struct l2tp_call_request *req,
			     struct l2tp_session_config *cfg, struct l2tp_verdict *v)
{
	struct l2tp_tunnel *t = req->tunnel;
	if (!l)
		return 0;
	if (l->cfg.max_sessions && l->nsessions >= l->cfg.max_sessions) {
		l->stats.calls_refused++;
		v->result_code = L2TP_RESULT_CDN_NO_FACILITIES_TEMP;
		v->error_code = L2TP_ERROR_NO_RESOURCES;
		snprintf(v->message, sizeof(v->message), "too many sessions");
		l2tp_tlog(t, L2TP_LOG_WARN, "refusing a call: max_sessions limit reached (%u)", l->cfg.max_sessions);
		return -EBUSY;
	}
	if (!l->cfg.on_call)
		return 0;
	int rc = l->cfg.on_call(l->cfg.hook_arg, l, req, cfg, v);
	if (rc == 0 || t->closing)
		return rc;
	/* The hook may have closed the listener: t->listener says. */
	if (t->listener)
		t->listener->stats.calls_refused++;
	if (!v->result_code)
		v->result_code = L2TP_RESULT_CDN_NO_FACILITIES_PERM;
	l2tp_tlog(t, L2TP_LOG_INFO, "call refused: result %u%s%s", v->result_code, v->message[0] ? ": " : "", v->message);
	return rc;
}

void l2tp_listener_call_added(struct l2tp_listener *l, struct l2tp_session *s)
{
	if (!l)
		return;
	l->nsessions++;
	l->stats.calls_accepted++;
	s->counted = true;
}

void l2tp_listener_call_gone(struct l2tp_listener *l, struct l2tp_session *s)
{
	if (l && s->counted && l->nsessions)
		l->nsessions--;
	s->counted = false;
}

void l2tp_listener_setup_timeout(struct l2tp_listener *l)
{
	if (l)
		l->stats.setup_timeouts++;
}

uint64_t l2tp_listener_handle(const struct l2tp_listener *l)
{
	return l->obj.handle;
}

const char *l2tp_listener_name(const struct l2tp_listener *l)
{
	return l->name;
}

void l2tp_context_foreach_listener(struct l2tp_context *ctx, void (*fn)(struct l2tp_listener *l, void *arg),
				   void *arg)
{
	for (struct l2tp_listener *l = ctx->listeners; l; l = l->next)
		fn(l, arg);
}

const char *l2tp_listener_address(const struct l2tp_listener *l)
{
	return l->local_str;
}

void l2tp_listener_stats(const struct l2tp_listener *l, struct l2tp_listener_stats *out)
{
	*out = l->stats;
	out->tunnels = l->ntunnels;
	out->pending = l->npending;
	out->sessions = l->nsessions;
}
