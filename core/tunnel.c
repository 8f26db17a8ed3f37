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

static struct l2tp_tunnel *find_by_id(struct l2tp_context *ctx, uint32_t tid)
{
	struct l2tp_hnode *n = l2tp_htable_find(&ctx->tunnels_by_id, l2tp_hash_u64(tid), id_eq, &tid);
	return n ? l2tp_container_of(n, struct l2tp_tunnel, by_id) : NULL;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
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
}

/* Quiescent tunnels: the peer is told nothing but HELLOs and acks, and the
 * tunnel lives as long as it answers. */
static void q_recv(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err)
{
	struct l2tp_tunnel *t = arg;
	if (msg->type != L2TP_MSG_STOPCCN || err)
		return; /* acknowledged by the transport, nothing else to do */
	struct l2tp_result res = {0};
	const struct l2tp_avp *rc = l2tp_msg_find(msg, L2TP_AVP_RESULT_CODE);
	char why[400];
	if (rc) {
		res.result_code = l2tp_avp_u16(rc);
		if (rc->len >= 4) {
			res.has_error_code = true;
			res.error_code = (uint16_t)(rc->value[2] << 8 | rc->value[3]);
		}
		if (rc->len > 4)
			snprintf(res.message, sizeof(res.message), "%.*s", rc->len - 4, (const char *)rc->value + 4);
	}
	snprintf(why, sizeof(why), "peer sent StopCCN: result %u (%s)%s%s", res.result_code,
		 l2tp_result_code_text(L2TP_MSG_STOPCCN, res.result_code), res.message[0] ? ": " : "", res.message);
	l2tp_tunnel_down(t, why, &res, true);
}

static void q_failed(void *arg, const char *reason)
{
	char why[300];
	snprintf(why, sizeof(why), "peer not responding: %s", reason);
	l2tp_tunnel_down(arg, why, NULL, false);
}

static void q_released(void *arg)
{
	(void)arg; /* only lingering channels are released; see l2tp_tunnel_down */
}

static int open_channel(struct l2tp_tunnel *t, char *err, size_t errlen)
{
	static const struct l2tp_channel_ops ops = {q_recv, q_failed, q_released};
	const struct l2tp_tunnel_config *c = &t->cfg;
	bool over_ip = c->encap == L2TP_ENCAP_IP;
	int fd = l2tp_socket_open((struct sockaddr *)&t->local, t->local_len, (struct sockaddr *)&t->peer, t->peer_len,
				  over_ip, c->tid, c->ptid, true, err, errlen);
	if (fd < 0)
		return fd;
	struct l2tp_channel_config cc = {
		.transport = {.version = (uint8_t)c->version, .over_ip = over_ip, .rx_window = c->window_size,
			      .retry_timeout_ms = c->retry_timeout_ms, .retry_cap_ms = c->max_retry_timeout_ms,
			      .max_retries = c->max_retries, .ack_timeout_ms = c->ack_timeout_ms,
			      .hello_timeout_ms = c->hello_timeout_ms, .stopccn_timeout_ms = c->stopccn_timeout_ms},
		.fd = fd,
		.peer = t->peer,
		.peer_len = t->peer_len,
	};
	int rc = l2tp_channel_new(t->ctx->base, &cc, &ops, t, &t->ch, err, errlen);
	if (rc)
		return rc;
	l2tp_transport_set_peer_id(l2tp_channel_transport(t->ch), c->ptid);
	return 0;
}

static void unlink_tunnel(struct l2tp_tunnel *t)
{
	struct l2tp_context *ctx = t->ctx;
	l2tp_htable_remove(&ctx->tunnels_by_name, &t->by_name);
	if (t->cfg.tid)
		l2tp_htable_remove(&ctx->tunnels_by_id, &t->by_id);
	l2tp_context_unregister(ctx, &t->obj);
	if (t->prev)
		t->prev->next = t->next;
	else
		ctx->tunnels_head = t->next;
	if (t->next)
		t->next->prev = t->prev;
	else
		ctx->tunnels_tail = t->prev;
	ctx->ntunnels--;
}

static void tunnel_free(struct l2tp_tunnel *t)
{
	if (!t)
		return;
	l2tp_htable_fini(&t->sessions_by_name);
	l2tp_htable_fini(&t->sessions_by_id);
	free(t->name);
	free(t);
}

int l2tp_tunnel_create(struct l2tp_context *ctx, enum l2tp_tunnel_kind kind, const char *name,
		       const struct l2tp_tunnel_config *cfg, struct l2tp_tunnel **out, char *err, size_t errlen)
{
	struct l2tp_tunnel *t = NULL, *other;
	int rc;

	*out = NULL;
	if (ctx->closed)
		return l2tp_errf(err, errlen, -ESHUTDOWN, "context is closed");
	if (!name || !*name)
		return l2tp_errf(err, errlen, -EINVAL, "tunnel name must be a non-empty string");
	if (kind != L2TP_TUNNEL_STATIC && kind != L2TP_TUNNEL_QUIESCENT)
		return l2tp_errf(err, errlen, -EOPNOTSUPP, "tunnel '%s': %s tunnels are not supported yet", name,
				 l2tp_tunnel_kind_name(kind));
	if (l2tp_tunnel_find(ctx, name))
		return l2tp_errf(err, errlen, -EEXIST, "tunnel '%s' already exists (names are unique in a context)",
				 name);
	rc = l2tp_tunnel_config_check(cfg, kind, err, errlen);
	if (rc)
		goto prefixed;
	if (cfg->tid && (other = find_by_id(ctx, cfg->tid)) != NULL) {
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
	if (cfg->local[0]) {
		rc = l2tp_addr_parse(cfg->local, cfg->encap, &t->local, &t->local_len, err, errlen);
		if (rc)
			goto prefixed;
		l2tp_addr_format((struct sockaddr *)&t->local, t->local_str, sizeof(t->local_str));
	}
	if (cfg->peer[0]) {
		rc = l2tp_addr_parse(cfg->peer, cfg->encap, &t->peer, &t->peer_len, err, errlen);
		if (rc)
			goto prefixed;
		l2tp_addr_format((struct sockaddr *)&t->peer, t->peer_str, sizeof(t->peer_str));
	}
	/* The kernel makes a static tunnel's socket itself and cannot pick
	 * ports for it; a quiescent tunnel's peer must know our port. */
	if (cfg->encap == L2TP_ENCAP_UDP) {
		if (port_of(&t->local) == 0) {
			rc = l2tp_errf(err, errlen, -EINVAL, "local '%s' has port 0 (accepted: 1-65535 for a %s tunnel)",
				       cfg->local, l2tp_tunnel_kind_name(kind));
			goto prefixed;
		}
		if (port_of(&t->peer) == 0) {
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

	struct l2tp_dp_tunnel dpt;
	l2tp_dp_tunnel_fill(t, &dpt);
	rc = ctx->dp->tunnel_create(ctx->dp_state, &dpt, err, errlen);
	if (rc)
		goto prefixed;
	t->dp_created = true;

	t->obj.handle = l2tp_context_new_handle(ctx);
	if (l2tp_context_register(ctx, &t->obj) != 0)
		goto oom;
	if (l2tp_htable_insert(&ctx->tunnels_by_name, &t->by_name, l2tp_hash_str(t->name)) != 0) {
		l2tp_context_unregister(ctx, &t->obj);
		goto oom;
	}
	if (cfg->tid && l2tp_htable_insert(&ctx->tunnels_by_id, &t->by_id, l2tp_hash_u64(cfg->tid)) != 0) {
		l2tp_htable_remove(&ctx->tunnels_by_name, &t->by_name);
		l2tp_context_unregister(ctx, &t->obj);
		goto oom;
	}
	t->prev = ctx->tunnels_tail;
	if (ctx->tunnels_tail)
		ctx->tunnels_tail->next = t;
	else
		ctx->tunnels_head = t;
	ctx->tunnels_tail = t;
	ctx->ntunnels++;

	l2tp_tlog(t, L2TP_LOG_INFO, "created %s %s/%s tunnel %s -> %s, tid %u ptid %u", l2tp_tunnel_kind_name(kind),
		  l2tp_version_name(cfg->version), l2tp_encap_name(cfg->encap), t->local_str, t->peer_str, cfg->tid,
		  cfg->ptid);
	/* A static tunnel runs no control protocol: it is up once the data
	 * plane has it. */
	t->up = true;
	l2tp_context_post(ctx, L2TP_EVENT_TUNNEL_UP, t, NULL, NULL, NULL);
	*out = t;
	return 0;

oom:
	rc = l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	{
		char ignored[128];
		struct l2tp_dp_tunnel dpt2;
		l2tp_dp_tunnel_fill(t, &dpt2);
		ctx->dp->tunnel_delete(ctx->dp_state, &dpt2, ignored, sizeof(ignored));
	}
prefixed:
	if (t && t->ch)
		l2tp_channel_free(t->ch);
	tunnel_free(t);
	{
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "tunnel '%s':", name);
		return l2tp_errprefix(err, errlen, rc, tmp);
	}
}

void l2tp_tunnel_close(struct l2tp_tunnel *t, const char *reason)
{
	l2tp_tunnel_down(t, reason, NULL, false);
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
	if (t->ch) {
		/* After a StopCCN the channel stays to acknowledge its
		 * retransmissions; the context keeps it until released. */
		if (linger)
			l2tp_context_linger(ctx, t->ch);
		else
			l2tp_channel_free(t->ch);
		t->ch = NULL;
	}
	unlink_tunnel(t);
	l2tp_tlog(t, L2TP_LOG_INFO, "closed: %s", reason);
	if (t->up)
		l2tp_context_post(ctx, L2TP_EVENT_TUNNEL_DOWN, t, NULL, reason, result);
	tunnel_free(t);
}

const char *l2tp_tunnel_name(const struct l2tp_tunnel *t)
{
	return t->name;
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

int l2tp_tunnel_control_stats(const struct l2tp_tunnel *t, struct l2tp_transport_stats *out)
{
	if (!t->ch)
		return -ENOENT;
	l2tp_transport_stats(l2tp_channel_transport(t->ch), out);
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
