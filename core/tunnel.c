/* Tunnels: the object and its registry; the four kinds (static, quiescent,
 * dynamic: an RFC 2661 LAC, accepted: an LNS's) and their sockets; the one
 * alarm of a tunnel, which holds its own setup deadline and its calls'.
 * What a tunnel does with the messages it receives is control.c's. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool name_eq(const struct l2tp_hnode *n, const void *key)
{
	return strcmp(l2tp_container_of(n, struct l2tp_tunnel, by_name)->name, key) == 0;
}

static bool id_eq(const struct l2tp_hnode *n, const void *key)
{
	return l2tp_container_of(n, struct l2tp_tunnel, by_id)->cfg.tid == *(const uint32_t *)key;
}

struct l2tp_tunnel *l2tp_tunnel_find(struct l2tp_context *ctx, const char *name)
{
	struct l2tp_hnode *n = l2tp_htable_find(&ctx->tunnels_by_name, l2tp_hash_str(name), name_eq, name);
	return n ? l2tp_container_of(n, struct l2tp_tunnel, by_name) : NULL;
}

struct l2tp_tunnel *l2tp_tunnel_by_id(struct l2tp_context *ctx, uint32_t tid)
{
	struct l2tp_hnode *n = l2tp_htable_find(&ctx->tunnels_by_id, l2tp_hash_u64(tid), id_eq, &tid);
	return n ? l2tp_container_of(n, struct l2tp_tunnel, by_id) : NULL;
}

uint32_t l2tp_tunnel_router_id(const struct l2tp_tunnel *t)
{
	if (t->cfg.router_id)
		return t->cfg.router_id;
	if (t->local.ss_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)&t->local)->sin_addr.s_addr);
		if (a)
			return a;
	}
	return t->ctx->router_id;
}

/* The LNS's host, whatever port it answers from. */
static uint64_t host_hash(const struct sockaddr *sa)
{
	struct sockaddr_storage host;
	memcpy(&host, sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	l2tp_addr_set_port((struct sockaddr *)&host, 0);
	return l2tp_addr_hash((struct sockaddr *)&host, 0);
}

static bool dial_eq(const struct l2tp_hnode *n, const void *key)
{
	const struct l2tp_tunnel *t = l2tp_container_of(n, struct l2tp_tunnel, by_dial);
	return l2tp_addr_same_host((const struct sockaddr *)&t->peer, key);
}

void l2tp_tunnel_set_dialing(struct l2tp_tunnel *t, bool on)
{
	if (on == t->dialing)
		return;
	if (on && l2tp_htable_insert(&t->ctx->dialing, &t->by_dial, host_hash((struct sockaddr *)&t->peer)) != 0)
		return; /* out of memory: this tunnel takes no part in tie breaks */
	if (!on)
		l2tp_htable_remove(&t->ctx->dialing, &t->by_dial);
	t->dialing = on;
}

struct l2tp_tunnel *l2tp_tunnel_dialing(struct l2tp_context *ctx, const struct sockaddr *peer)
{
	struct l2tp_hnode *n = l2tp_htable_find(&ctx->dialing, host_hash(peer), dial_eq, peer);
	return n ? l2tp_container_of(n, struct l2tp_tunnel, by_dial) : NULL;
}

void l2tp_dp_tunnel_fill(const struct l2tp_tunnel *t, struct l2tp_dp_tunnel *out)
{
	memset(out, 0, sizeof(*out));
	out->version = t->cfg.version;
	out->encap = t->cfg.encap;
	out->tid = t->cfg.tid;
	out->ptid = t->cfg.ptid;
	out->local = t->local;
	out->local_len = t->local_len;
	out->peer = t->peer;
	out->peer_len = t->peer_len;
	out->fd = t->ch ? l2tp_channel_fd(t->ch) : -1;
	out->debug = t->cfg.debug;
	out->udp_csum = t->cfg.udp_checksum;
	out->udp6_zero_csum_tx = t->cfg.udp6_zero_checksum_tx;
	out->udp6_zero_csum_rx = t->cfg.udp6_zero_checksum_rx;
}

int l2tp_tunnel_send(struct l2tp_tunnel *t, const struct l2tp_session *s, struct l2tp_msg *m)
{
	struct l2tp_codec_error err;
	if (!t->ch)
		return -ENOTCONN;
	m->hdr.tunnel_id = t->cfg.ptid;
	m->hdr.session_id = s ? s->cfg.psid : 0;
	int rc = l2tp_channel_send(t->ch, m, &err);
	if (rc)
		l2tp_tlog(t, L2TP_LOG_ERROR, "cannot send %s: %s", l2tp_msg_type_name(m->type), err.message);
	return rc;
}

/* The tunnel's alarm: its own setup deadline until it is up, then the
 * first of its calls' (they are in deadline order). */
void l2tp_tunnel_update_alarm(struct l2tp_tunnel *t)
{
	if (!t->ch || t->closing)
		return;
	uint64_t d = L2TP_NEVER;
	if (!t->up && l2tp_tunnel_has_calls(t))
		d = t->setup_deadline;
	if (t->calls_head && t->calls_head->setup_deadline < d)
		d = t->calls_head->setup_deadline;
	l2tp_channel_set_alarm(t->ch, d);
}

void l2tp_tunnel_call_setup_start(struct l2tp_tunnel *t, struct l2tp_session *s)
{
	if (s->in_setup)
		return;
	s->in_setup = true;
	s->setup_deadline = l2tp_context_now(t->ctx) + t->cfg.setup_timeout_ms;
	L2TP_LIST_APPEND(t->calls_head, t->calls_tail, s, call_prev, call_next);
	if (t->calls_head == s)
		l2tp_tunnel_update_alarm(t);
}

void l2tp_tunnel_call_setup_done(struct l2tp_tunnel *t, struct l2tp_session *s)
{
	if (!s->in_setup)
		return;
	s->in_setup = false;
	bool first = t->calls_head == s;
	L2TP_LIST_REMOVE(t->calls_head, t->calls_tail, s, call_prev, call_next);
	if (first)
		l2tp_tunnel_update_alarm(t);
}

void l2tp_tunnel_evict(struct l2tp_tunnel *t, const char *reason)
{
	l2tp_control_drop(t, L2TP_RESULT_STOPCCN_ERROR, L2TP_ERROR_NO_RESOURCES, "too many tunnels in setup", reason);
}

bool l2tp_tunnel_has_calls(const struct l2tp_tunnel *t)
{
	return t->kind == L2TP_TUNNEL_DYNAMIC || t->kind == L2TP_TUNNEL_ACCEPTED;
}

bool l2tp_tunnel_heard_back(const struct l2tp_tunnel *t)
{
	struct l2tp_transport_stats st;
	if (!t->ch)
		return false;
	l2tp_channel_stats(t->ch, &st);
	return st.tx_acked > 0;
}

static void on_alarm(void *arg)
{
	struct l2tp_tunnel *t = arg;
	uint64_t now = l2tp_context_now(t->ctx);
	if (!t->up && l2tp_tunnel_has_calls(t) && now >= t->setup_deadline) {
		l2tp_control_event(t, L2TP_CE_SETUP_TIMER, NULL, NULL);
		return;
	}
	l2tp_tunnel_hold(t);
	while (!t->closing && t->calls_head && t->calls_head->setup_deadline <= now)
		l2tp_call_event(t->calls_head, L2TP_SE_SETUP_TIMER, NULL, NULL);
	l2tp_tunnel_update_alarm(t);
	l2tp_tunnel_release(t);
}

/* A datagram on our socket for another control connection: the
 * listener on our address may know it. */
static void on_stray(void *arg, uint8_t *buf, size_t len, const struct sockaddr *from, socklen_t from_len)
{
	struct l2tp_tunnel *t = arg;
	l2tp_context_stray(t->ctx, t->ch, buf, len, from, from_len);
}

static void on_released(void *arg)
{
	(void)arg; /* only lingering channels are released; see l2tp_tunnel_down */
}

/* Every kind with a control channel: the control connection's table. */
static void on_recv(void *arg, struct l2tp_msg *m, const struct l2tp_codec_error *err)
{
	l2tp_control_input(arg, m, err);
}

const char *l2tp_tunnel_auth_hint(const struct l2tp_tunnel *t, char *buf, size_t len)
{
	struct l2tp_transport_stats st;
	buf[0] = 0;
	if (t->ch) {
		l2tp_channel_stats(t->ch, &st);
		if (st.rx_bad_digest)
			snprintf(buf, len, " (%llu message%s from the peer had no valid message digest: is the secret the same on both sides?)",
				 (unsigned long long)st.rx_bad_digest, st.rx_bad_digest == 1 ? "" : "s");
		else if (t->cfg.version == L2TP_V3 && t->cfg.secret[0] && !st.rx_messages)
			snprintf(buf, len, " (a peer with another secret drops our messages unanswered: is the secret the same on both sides?)");
	}
	return buf;
}

static void on_failed(void *arg, const char *reason)
{
	char why[500], hint[160];
	snprintf(why, sizeof(why), "peer not responding: %s%s", reason, l2tp_tunnel_auth_hint(arg, hint, sizeof(hint)));
	l2tp_tunnel_down(arg, why, NULL, false);
}

const uint8_t *l2tp_hiding_secret(const struct l2tp_tunnel_config *c, enum l2tp_version v,
				  uint8_t key[L2TP_AUTH_KEY_LEN], size_t *len)
{
	*len = strlen(c->secret);
	if (!*len)
		return NULL;
	if (v == L2TP_V2)
		return (const uint8_t *)c->secret;
	l2tp_hiding_key(c->secret, *len, key);
	*len = L2TP_AUTH_KEY_LEN;
	return key;
}

/* hkey: room for the secret L2TPv3 hides AVPs with, derived from ours. */
static struct l2tp_transport_config transport_config(const struct l2tp_tunnel *t, uint8_t hkey[L2TP_AUTH_KEY_LEN])
{
	const struct l2tp_tunnel_config *c = &t->cfg;
	size_t secret_len;
	const uint8_t *secret = l2tp_hiding_secret(c, c->version, hkey, &secret_len);
	struct l2tp_transport_config tc = {
		.version = (uint8_t)c->version,
		.rx_window = c->window_size,
		.retry_timeout_ms = c->retry_timeout_ms,
		.retry_cap_ms = c->max_retry_timeout_ms,
		.max_retries = c->max_retries,
		.ack_timeout_ms = c->ack_timeout_ms,
		.hello_timeout_ms = c->hello_timeout_ms,
		.stopccn_timeout_ms = c->stopccn_timeout_ms,
		.secret = secret,
		.secret_len = secret_len,
	};
	return tc;
}

static int open_channel(struct l2tp_tunnel *t, char *err, size_t errlen)
{
	static const struct l2tp_channel_ops ops = {on_recv, on_failed, on_released, NULL, on_stray};
	const struct l2tp_tunnel_config *c = &t->cfg;
	uint8_t hkey[L2TP_AUTH_KEY_LEN];
	struct l2tp_channel_config cc = {
		.transport = transport_config(t, hkey),
		.sock = {.local = (struct sockaddr *)&t->local, .local_len = t->local_len,
			 .peer = (struct sockaddr *)&t->peer, .peer_len = t->peer_len, .connect = true,
			 .over_ip = c->encap == L2TP_ENCAP_IP, .conn_id = c->tid, .peer_conn_id = c->ptid},
		.peer = t->peer,
		.peer_len = t->peer_len,
		.local_id = c->tid,
	};
	/* A restart of this tunnel supersedes its predecessor's StopCCN hold. */
	l2tp_context_unlinger(t->ctx, (struct sockaddr *)&t->local, (struct sockaddr *)&t->peer);
	int rc = l2tp_channel_new(t->ctx->io, &cc, &ops, t, &t->ch, err, errlen);
	if (rc)
		return rc;
	l2tp_transport_set_peer_id(l2tp_channel_transport(t->ch), c->ptid);
	return 0;
}

/* A dynamic tunnel's socket. Over UDP a LAC's is bound but not connected
 * until the LNS answers, which it may do from another port (RFC 2661
 * section 8.1); an accepted tunnel's is connected to its LAC, on the
 * listener's port (sharing it) or on a new one. Over IP there are no
 * ports: the kernel hands each socket the control messages for the
 * connection ID it is bound to, so both roles bind to their own ID and
 * connect to the peer at once. */
static int open_dynamic(struct l2tp_tunnel *t, char *err, size_t errlen)
{
	static const struct l2tp_channel_ops ops = {on_recv, on_failed, on_released, on_alarm, on_stray};
	bool lns = t->kind == L2TP_TUNNEL_ACCEPTED;
	bool ip = t->cfg.encap == L2TP_ENCAP_IP;
	struct sockaddr_storage local = t->local;
	socklen_t local_len = t->local_len;
	if (!local_len) {
		memset(&local, 0, sizeof(local));
		local.ss_family = t->peer.ss_family;
		local_len = local.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	}
	if (lns && !t->same_port)
		l2tp_addr_set_port((struct sockaddr *)&local, 0);
	if (!lns && l2tp_addr_port((struct sockaddr *)&local))
		/* A LAC on a fixed port: its earlier tunnel's hold gives way. */
		l2tp_context_unlinger(t->ctx, (struct sockaddr *)&local, NULL);
	uint8_t hkey[L2TP_AUTH_KEY_LEN];
	struct l2tp_channel_config cc = {
		.transport = transport_config(t, hkey),
		.sock = {.local = (struct sockaddr *)&local, .local_len = local_len, .peer = (struct sockaddr *)&t->peer,
			 .peer_len = t->peer_len, .connect = lns || ip, .over_ip = ip, .conn_id = t->cfg.tid,
			 .share = lns && t->same_port ? L2TP_SOCK_JOIN : L2TP_SOCK_OWN},
		.peer = t->peer,
		.peer_len = t->peer_len,
		.local_id = t->cfg.tid,
		.adopt_peer_port = !lns && !ip,
	};
	/* Until the LAC shows it is there, its SCCRP goes out at most twice:
	 * a request forged with someone else's address must not make us send
	 * them four datagrams for one. */
	if (lns && cc.transport.max_retries > 1)
		cc.transport.max_retries = 1;
	int rc = l2tp_channel_new(t->ctx->io, &cc, &ops, t, &t->ch, err, errlen);
	if (rc)
		return rc;
	/* Where the kernel bound us, for logs and events. */
	socklen_t len;
	const struct sockaddr *bound = l2tp_channel_local(t->ch, &len);
	if (len) {
		memcpy(&t->local, bound, len);
		t->local_len = len;
		l2tp_addr_format(bound, t->local_str, sizeof(t->local_str));
	}
	return 0;
}

static bool tid_used(void *arg, uint32_t id)
{
	return l2tp_tunnel_by_id(arg, id) != NULL;
}

static void unlink_tunnel(struct l2tp_tunnel *t)
{
	struct l2tp_context *ctx = t->ctx;
	l2tp_htable_remove(&ctx->tunnels_by_name, &t->by_name);
	if (t->cfg.tid)
		l2tp_htable_remove(&ctx->tunnels_by_id, &t->by_id);
	l2tp_tunnel_set_dialing(t, false);
	l2tp_context_unregister(ctx, &t->obj);
	L2TP_LIST_REMOVE(ctx->tunnels_head, ctx->tunnels_tail, t, prev, next);
	ctx->ntunnels--;
	l2tp_context_tunnels_changed(ctx);
}

static void tunnel_free(struct l2tp_tunnel *t)
{
	if (!t)
		return;
	if (t->busy) {
		t->freed = true;
		return;
	}
	l2tp_htable_fini(&t->sessions_by_name);
	l2tp_htable_fini(&t->sessions_by_id);
	l2tp_htable_fini(&t->sessions_by_psid);
	free(t->name);
	free(t);
}

/* A script's hook may run inside a message's handling and close anything,
 * this tunnel included: its memory stays until the handling is over. */
void l2tp_tunnel_hold(struct l2tp_tunnel *t)
{
	t->busy++;
}

void l2tp_tunnel_release(struct l2tp_tunnel *t)
{
	if (--t->busy == 0 && t->freed)
		tunnel_free(t);
}

/* A tunnel a listener accepts: made from the listener's template, which
 * was checked when the listener was, and the request's peer, as the
 * socket gave it and as the listener already wrote it down. */
struct accept_args {
	struct l2tp_listener *l;
	const struct sockaddr *peer;
	socklen_t peer_len;
	const char *peer_str;
	uint32_t ptid;
	bool same_port;
	enum l2tp_version version;
	const char *secret; /* the LAC's: the template's, or one the admission hook chose */
};

static int tunnel_new(struct l2tp_context *ctx, enum l2tp_tunnel_kind kind, const char *name,
		      const struct l2tp_tunnel_config *cfg, const struct accept_args *acc, struct l2tp_tunnel **out,
		      char *err, size_t errlen)
{
	struct l2tp_tunnel *t = NULL, *other;
	int rc;

	*out = NULL;
	if (ctx->closed)
		return l2tp_errf(err, errlen, -ESHUTDOWN, "context is closed");
	if (!name || !*name)
		return l2tp_errf(err, errlen, -EINVAL, "tunnel name must be a non-empty string");
	if (l2tp_tunnel_find(ctx, name))
		return l2tp_errf(err, errlen, -EEXIST, "tunnel '%s' already exists (names are unique in a context)",
				 name);
	rc = acc ? 0 : l2tp_tunnel_config_check(cfg, kind, err, errlen);
	if (rc)
		goto prefixed;
	if (cfg->tid && (other = l2tp_tunnel_by_id(ctx, cfg->tid)) != NULL) {
		rc = l2tp_errf(err, errlen, -EEXIST, "tid %u is already used by tunnel '%s'", cfg->tid, other->name);
		goto prefixed;
	}

	t = calloc(1, sizeof(*t));
	if (!t || !(t->name = strdup(name))) {
		rc = l2tp_errf(err, errlen, -ENOMEM, "out of memory");
		goto prefixed;
	}
	t->ctx = ctx;
	t->kind = kind;
	t->cfg = *cfg;
	t->obj.type = L2TP_OBJ_TUNNEL;
	l2tp_htable_init(&t->sessions_by_name);
	l2tp_htable_init(&t->sessions_by_id);
	l2tp_htable_init(&t->sessions_by_psid);
	if (acc) {
		t->cfg.ptid = acc->ptid;
		t->cfg.version = acc->version;
		if (acc->secret != cfg->secret)
			snprintf(t->cfg.secret, sizeof(t->cfg.secret), "%s", acc->secret);
		socklen_t dst_len;
		const struct sockaddr *dst = l2tp_endpoint_rx_dst(acc->l->ep, &dst_len);
		if (dst) {
			/* A listener on a wildcard: the tunnel answers from the
			 * address the LAC dialled, or the LAC drops the answer. */
			memcpy(&t->local, dst, dst_len);
			t->local_len = dst_len;
			l2tp_addr_format(dst, t->local_str, sizeof(t->local_str));
		} else {
			memcpy(&t->local, &acc->l->local, acc->l->local_len);
			t->local_len = acc->l->local_len;
			memcpy(t->local_str, acc->l->local_str, sizeof(t->local_str));
		}
		memcpy(&t->peer, acc->peer, acc->peer_len);
		t->peer_len = acc->peer_len;
		snprintf(t->peer_str, sizeof(t->peer_str), "%s", acc->peer_str);
		/* What the config reads back says where the tunnel is. */
		memcpy(t->cfg.local, t->local_str, sizeof(t->cfg.local));
		memcpy(t->cfg.peer, t->peer_str, sizeof(t->cfg.peer));
	} else {
		if (cfg->local[0] &&
		    (rc = l2tp_addr_parse(cfg->local, cfg->encap, &t->local, &t->local_len, err, errlen)) != 0)
			goto prefixed;
		if (cfg->peer[0] &&
		    (rc = l2tp_addr_parse(cfg->peer, cfg->encap, &t->peer, &t->peer_len, err, errlen)) != 0)
			goto prefixed;
		if (t->local_len)
			l2tp_addr_format((struct sockaddr *)&t->local, t->local_str, sizeof(t->local_str));
		if (t->peer_len)
			l2tp_addr_format((struct sockaddr *)&t->peer, t->peer_str, sizeof(t->peer_str));
	}
	/* The kernel makes a static tunnel's socket itself and cannot pick
	 * ports for it; a quiescent tunnel's peer must know our port. */
	if (cfg->encap == L2TP_ENCAP_UDP && (kind == L2TP_TUNNEL_STATIC || kind == L2TP_TUNNEL_QUIESCENT)) {
		if (l2tp_addr_port((struct sockaddr *)&t->local) == 0) {
			rc = l2tp_errf(err, errlen, -EINVAL, "local '%s' has port 0 (accepted: 1-65535 for a %s tunnel)",
				       cfg->local, l2tp_tunnel_kind_name(kind));
			goto prefixed;
		}
		if (l2tp_addr_port((struct sockaddr *)&t->peer) == 0) {
			rc = l2tp_errf(err, errlen, -EINVAL, "peer '%s' has port 0 (accepted: 1-65535 for a %s tunnel)",
				       cfg->peer, l2tp_tunnel_kind_name(kind));
			goto prefixed;
		}
	}

	if (kind == L2TP_TUNNEL_QUIESCENT) {
		rc = open_channel(t, err, errlen);
		if (rc)
			goto prefixed;
	}
	if (l2tp_tunnel_has_calls(t)) {
		/* Unpredictable IDs make blind spoofing of our control
		 * connection harder. */
		if (!t->cfg.tid && !(t->cfg.tid = l2tp_random_id(tid_used, ctx, t->cfg.version == L2TP_V3))) {
			rc = l2tp_errf(err, errlen, -ENOSPC, "no free tunnel ID (every one is in use)");
			goto prefixed;
		}
		if (kind == L2TP_TUNNEL_DYNAMIC)
			t->cfg.ptid = 0;
		t->same_port = acc && acc->same_port;
		t->setup_deadline = l2tp_context_now(ctx) + t->cfg.setup_timeout_ms;
		rc = open_dynamic(t, err, errlen);
		if (rc)
			goto prefixed;
	} else {
		/* A dynamic tunnel reaches the data plane once the peer has
		 * answered; the others at once. */
		struct l2tp_dp_tunnel dpt;
		l2tp_dp_tunnel_fill(t, &dpt);
		rc = ctx->dp->tunnel_create(ctx->dp_state, &dpt, err, errlen);
		if (rc)
			goto prefixed;
		t->dp_created = true;
	}

	t->obj.handle = l2tp_context_new_handle(ctx);
	if (l2tp_context_register(ctx, &t->obj) != 0)
		goto oom;
	if (l2tp_htable_insert(&ctx->tunnels_by_name, &t->by_name, l2tp_hash_str(t->name)) != 0)
		goto oom_handle;
	if (t->cfg.tid && l2tp_htable_insert(&ctx->tunnels_by_id, &t->by_id, l2tp_hash_u64(t->cfg.tid)) != 0)
		goto oom_name;
	if (acc && l2tp_listener_tunnel_added(acc->l, t) != 0) {
		l2tp_htable_remove(&ctx->tunnels_by_id, &t->by_id);
		goto oom_name;
	}
	L2TP_LIST_APPEND(ctx->tunnels_head, ctx->tunnels_tail, t, prev, next);
	ctx->ntunnels++;
	l2tp_context_tunnels_changed(ctx);

	/* An LNS under a flood of requests makes many tunnels that never
	 * come up: those are told of at debug level (the listener sums them). */
	l2tp_tlog(t, kind == L2TP_TUNNEL_ACCEPTED ? L2TP_LOG_DEBUG : L2TP_LOG_INFO,
		  "created %s %s/%s tunnel %s -> %s, tid %u ptid %u", l2tp_tunnel_kind_name(kind),
		  l2tp_version_name(t->cfg.version), l2tp_encap_name(t->cfg.encap), t->local_str, t->peer_str, t->cfg.tid,
		  t->cfg.ptid);
	if (kind == L2TP_TUNNEL_DYNAMIC) {
		l2tp_control_open(t);
		l2tp_tunnel_update_alarm(t);
	} else if (kind == L2TP_TUNNEL_ACCEPTED) {
		t->state = L2TP_CC_IDLE; /* up once the LAC's SCCCN arrives */
		l2tp_tunnel_update_alarm(t);
	} else {
		/* Static and quiescent tunnels run no call setup: they are up
		 * once the data plane has them. */
		t->up = true;
		t->state = L2TP_CC_ESTABLISHED;
		l2tp_context_post(ctx, L2TP_EVENT_TUNNEL_UP, t, NULL, NULL, NULL);
	}
	*out = t;
	return 0;

oom_name:
	l2tp_htable_remove(&ctx->tunnels_by_name, &t->by_name);
oom_handle:
	l2tp_context_unregister(ctx, &t->obj);
oom:
	rc = l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	if (t->dp_created) {
		char ignored[128];
		struct l2tp_dp_tunnel dpt;
		l2tp_dp_tunnel_fill(t, &dpt);
		ctx->dp->tunnel_delete(ctx->dp_state, &dpt, ignored, sizeof(ignored));
	}
prefixed:
	if (t && t->ch)
		l2tp_channel_free(t->ch);
	tunnel_free(t);
	char prefix[512];
	snprintf(prefix, sizeof(prefix), "tunnel '%s':", name);
	return l2tp_errprefix(err, errlen, rc, prefix);
}

int l2tp_tunnel_create(struct l2tp_context *ctx, enum l2tp_tunnel_kind kind, const char *name,
		       const struct l2tp_tunnel_config *cfg, struct l2tp_tunnel **out, char *err, size_t errlen)
{
	*out = NULL;
	if (kind != L2TP_TUNNEL_STATIC && kind != L2TP_TUNNEL_QUIESCENT && kind != L2TP_TUNNEL_DYNAMIC)
		return l2tp_errf(err, errlen, -EOPNOTSUPP, "tunnel '%s': %s tunnels are made by a listener, not created",
				 name ? name : "", l2tp_tunnel_kind_name(kind));
	return tunnel_new(ctx, kind, name, cfg, NULL, out, err, errlen);
}

int l2tp_tunnel_accept(struct l2tp_listener *l, const struct sockaddr *peer, socklen_t peer_len, const char *peer_str,
		       uint32_t peer_tid, bool same_port, const char *secret, uint8_t *buf, size_t len,
		       struct l2tp_msg *sccrq, char *err, size_t errlen)
{
	struct accept_args acc = {l,
				  peer,
				  peer_len,
				  peer_str,
				  peer_tid,
				  same_port,
				  sccrq ? (enum l2tp_version)sccrq->hdr.version : l->cfg.tunnel.version,
				  secret};
	struct l2tp_tunnel *t;
	struct l2tp_ctl_view v;
	char name[300];
	snprintf(name, sizeof(name), "%s#%u", l->name, ++l->seq);
	int rc = tunnel_new(l->ctx, L2TP_TUNNEL_ACCEPTED, name, &l->cfg.tunnel, &acc, &t, err, errlen);
	if (rc)
		return rc;
	memset(&v, 0, sizeof(v));
	if (sccrq)
		l2tp_msg_read_ctl(sccrq, &v);
	if (!l2tp_control_auth_start(t, v.nonce, v.nonce_len))
		return 0; /* dropped, and said why */
	/* The SCCRQ itself, so the transport counts it and acknowledges it;
	 * as the listener decoded it. */
	l2tp_channel_input_decoded(t->ch, buf, len, sccrq);
	return 0;
}

void l2tp_tunnel_close(struct l2tp_tunnel *t, const char *reason)
{
	if (t && l2tp_tunnel_has_calls(t) && !t->closing)
		l2tp_control_stop(t, L2TP_RESULT_STOPCCN_GENERAL, 0, reason, reason ? reason : "closed");
	else
		l2tp_tunnel_down(t, reason, NULL, false);
}

/* After a StopCCN the channel stays to acknowledge retransmissions (RFC
 * 2661 section 5.7): until ours is acknowledged when we sent it, for the
 * hold when we received it. An accepted tunnel on its listener's port
 * needs no socket for that: the listener answers for tunnels that are
 * gone. */
static void release_channel(struct l2tp_tunnel *t, bool linger)
{
	struct l2tp_channel *ch = t->ch;
	t->ch = NULL;
	if (!linger) {
		l2tp_channel_free(ch);
	} else if (t->stop_sent) {
		l2tp_context_linger(t->ctx, ch, true);
	} else if (t->kind == L2TP_TUNNEL_ACCEPTED && t->same_port && t->listener) {
		l2tp_channel_flush_ack(ch);
		l2tp_channel_free(ch);
	} else {
		l2tp_context_linger(t->ctx, ch, false);
	}
}

void l2tp_tunnel_down(struct l2tp_tunnel *t, const char *reason, const struct l2tp_result *result, bool linger)
{
	struct l2tp_context *ctx;
	char why[450];

	if (!t || t->closing)
		return;
	ctx = t->ctx;
	t->closing = true;
	if (!reason)
		reason = "closed";
	snprintf(why, sizeof(why), "tunnel closed: %s", reason);
	while (t->sessions_tail)
		l2tp_session_destroy(t->sessions_tail, why, NULL);
	if (t->dp_created) {
		char err[256];
		struct l2tp_dp_tunnel dpt;
		l2tp_dp_tunnel_fill(t, &dpt);
		if (ctx->dp->tunnel_delete(ctx->dp_state, &dpt, err, sizeof(err)) != 0)
			l2tp_tlog(t, L2TP_LOG_ERROR, "data plane delete failed: %s", err);
		t->dp_created = false;
	}
	/* A tunnel that fails to come up is reported too: a script that
	 * dials wants to know why, and so does an LNS whose LAC answered but
	 * did not finish. A request whose LAC never answered (what a flood
	 * of forged requests makes) is only counted by its listener. */
	bool report = t->up || t->kind == L2TP_TUNNEL_DYNAMIC ||
		      (t->kind == L2TP_TUNNEL_ACCEPTED && l2tp_tunnel_heard_back(t));
	if (t->ch)
		release_channel(t, linger);
	unlink_tunnel(t);
	l2tp_listener_tunnel_gone(t->listener, t);
	l2tp_tlog(t, report ? L2TP_LOG_INFO : L2TP_LOG_DEBUG, "closed: %s", reason);
	if (report)
		l2tp_context_post(ctx, L2TP_EVENT_TUNNEL_DOWN, t, NULL, reason, result);
	tunnel_free(t);
}

const char *l2tp_tunnel_name(const struct l2tp_tunnel *t)
{
	return t->name;
}

const char *l2tp_tunnel_local(const struct l2tp_tunnel *t)
{
	return t->local_str;
}

const char *l2tp_tunnel_peer(const struct l2tp_tunnel *t)
{
	return t->peer_str;
}

uint64_t l2tp_tunnel_handle(const struct l2tp_tunnel *t)
{
	return t->obj.handle;
}

enum l2tp_tunnel_kind l2tp_tunnel_kind(const struct l2tp_tunnel *t)
{
	return t->kind;
}

const struct l2tp_tunnel_config *l2tp_tunnel_config(const struct l2tp_tunnel *t)
{
	return &t->cfg;
}

bool l2tp_tunnel_is_up(const struct l2tp_tunnel *t)
{
	return t->up;
}

void l2tp_tunnel_set_ocrq_hook(struct l2tp_tunnel *t, l2tp_ocrq_fn fn, void *arg)
{
	t->ocrq_hook = fn;
	t->ocrq_arg = arg;
}

int l2tp_tunnel_control_stats(const struct l2tp_tunnel *t, struct l2tp_transport_stats *out)
{
	if (!t->ch)
		return -ENOENT;
	l2tp_channel_stats(t->ch, out);
	return 0;
}

size_t l2tp_tunnel_session_count(const struct l2tp_tunnel *t)
{
	return t->nsessions;
}

void l2tp_tunnel_foreach_session(struct l2tp_tunnel *t, void (*fn)(struct l2tp_session *s, void *arg),
				 void *arg)
{
	for (struct l2tp_session *s = t->sessions_head; s; s = s->next)
		fn(s, arg);
}
