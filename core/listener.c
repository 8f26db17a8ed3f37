/* An LNS's listening socket: SCCRQs from any number of LACs arrive here.
 * Each accepted tunnel gets its own socket, bound to the same address and
 * connected to its LAC, so the kernel hands that LAC's datagrams to it (and
 * can attach the managed kernel tunnel to it). */
#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

/* Refuses without keeping any state: a StopCCN that acknowledges the
 * SCCRQ (Nr 1). */
static void refuse(struct l2tp_listener *l, const struct sockaddr *to, socklen_t tolen, uint32_t peer_tid,
		   uint16_t result, uint16_t error, const char *text)
{
	static struct l2tp_msg m;
	uint8_t buf[512];
	size_t n;
	l2tp_msg_init(&m, 2, L2TP_MSG_STOPCCN);
	m.hdr.tunnel_id = peer_tid;
	m.hdr.ns = 0;
	m.hdr.nr = 1;
	l2tp_msg_add_u16(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID, true, 0);
	l2tp_msg_add_result(&m, result, error, text);
	if (l2tp_msg_encode(&m, NULL, buf, sizeof(buf), &n, NULL) == 0)
		sendto(l->fd, buf, n, 0, to, tolen);
}

struct find_arg {
	const struct sockaddr *peer;
	uint32_t ptid;
	struct l2tp_tunnel *found;
};

static void find_existing(struct l2tp_tunnel *t, void *arg)
{
	struct find_arg *f = arg;
	if (!f->found && t->kind == L2TP_TUNNEL_ACCEPTED && t->cfg.ptid == f->ptid && same_peer(&t->peer, f->peer))
		f->found = t;
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
		      sizeof(struct in6_addr)) == 0;
}

/* RFC 2661 section 4.4.3: when we have an SCCRQ of our own outstanding to
 * the host this SCCRQ comes from, one tunnel survives. The lower Tie
 * Breaker wins and the loser silently discards its tunnel; equal values
 * discard both; a side that sent none loses to one that did; with none on
 * either side both tunnels are made. Returns true when the received SCCRQ
 * is to be dropped. */
static bool tie_break(struct l2tp_listener *l, const struct l2tp_msg *m, const struct sockaddr *from)
{
	const struct l2tp_avp *theirs = l2tp_msg_find(m, L2TP_AVP_TIE_BREAKER);
	if (!theirs || theirs->len != 8)
		return false;
	for (struct l2tp_tunnel *t = l->ctx->tunnels_head; t; t = t->next) {
		if (t->kind != L2TP_TUNNEL_DYNAMIC || t->state != TS_WAIT_CTL_REPLY || t->closing ||
		    !same_host(&t->peer, from))
			continue;
		int cmp = t->cfg.has_tie_breaker ? memcmp(t->cfg.tie_breaker, theirs->value, 8) : 1;
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

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t buf[65540];
	static struct l2tp_msg m;
	struct l2tp_listener *l = arg;
	(void)what;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		struct l2tp_decode_opts o = {.no_validate = true,
					     .secret = l->cfg.tunnel.secret[0] ? (const uint8_t *)l->cfg.tunnel.secret : NULL,
					     .secret_len = strlen(l->cfg.tunnel.secret)};
		uint8_t copy[2048];
		if ((size_t)n > sizeof(copy))
			continue;
		memcpy(copy, buf, (size_t)n);
		if (l2tp_msg_decode(copy, (size_t)n, &o, &m, NULL) != 0 || m.hdr.version != 2)
			continue;
		char peer[L2TP_ADDR_STRLEN];
		l2tp_addr_format((struct sockaddr *)&from, peer, sizeof(peer));
		if (m.hdr.tunnel_id != 0) {
			/* For a tunnel we accepted, sent before its own socket was
			 * there: hand it over. */
			struct l2tp_tunnel *t = NULL;
			for (struct l2tp_tunnel *x = l->ctx->tunnels_head; x; x = x->next)
				if (x->kind == L2TP_TUNNEL_ACCEPTED && x->cfg.tid == m.hdr.tunnel_id && same_peer(&x->peer, (struct sockaddr *)&from))
					t = x;
			if (t && t->ch)
				l2tp_channel_input(t->ch, buf, (size_t)n);
			continue;
		}
		if (m.type != L2TP_MSG_SCCRQ)
			continue;
		const struct l2tp_avp *atid = l2tp_msg_find(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
		uint32_t ptid = atid ? l2tp_avp_u16(atid) : 0;
		struct find_arg f = {(struct sockaddr *)&from, ptid, NULL};
		l2tp_context_foreach_tunnel(l->ctx, find_existing, &f);
		if (f.found) {
			/* A retransmitted SCCRQ never makes a second tunnel. */
			l2tp_channel_input(f.found->ch, buf, (size_t)n);
			continue;
		}
		if (tie_break(l, &m, (struct sockaddr *)&from))
			continue;
		const struct l2tp_listener_config *c = &l->cfg;
		if ((c->max_tunnels && l->ntunnels >= c->max_tunnels) || (c->max_pending && l->npending >= c->max_pending)) {
			l->stats.refused_by_limit++;
			l2tp_log(l->ctx, L2TP_LOG_WARN, "listener '%s': refusing a tunnel from %s: %s limit reached (%u)", l->name,
				 peer, c->max_tunnels && l->ntunnels >= c->max_tunnels ? "max_tunnels" : "max_pending",
				 c->max_tunnels && l->ntunnels >= c->max_tunnels ? c->max_tunnels : c->max_pending);
			refuse(l, (struct sockaddr *)&from, flen, ptid, L2TP_RESULT_STOPCCN_ERROR, L2TP_ERROR_NO_RESOURCES,
			       "too many tunnels");
			continue;
		}
		if (c->on_tunnel) {
			const struct l2tp_avp *hn = l2tp_msg_find(&m, L2TP_AVP_HOST_NAME);
			const struct l2tp_avp *vn = l2tp_msg_find(&m, L2TP_AVP_VENDOR_NAME);
			char host[256] = "", vendor[256] = "";
			if (hn)
				snprintf(host, sizeof(host), "%.*s", hn->len, (const char *)hn->value);
			if (vn)
				snprintf(vendor, sizeof(vendor), "%.*s", vn->len, (const char *)vn->value);
			struct l2tp_tunnel_request req = {peer, host, vendor, ptid};
			struct l2tp_verdict v = {0};
			if (c->on_tunnel(c->hook_arg, l, &req, &v) != 0) {
				l->stats.refused_by_hook++;
				if (!v.result_code)
					v.result_code = L2TP_RESULT_STOPCCN_NOT_AUTHORIZED;
				l2tp_log(l->ctx, L2TP_LOG_INFO, "listener '%s': tunnel from %s (%s) refused: result %u%s%s", l->name,
					 peer, host, v.result_code, v.message[0] ? ": " : "", v.message);
				refuse(l, (struct sockaddr *)&from, flen, ptid, v.result_code, v.error_code, v.message);
				continue;
			}
		}
		char err[256];
		if (l2tp_tunnel_accept(l, (struct sockaddr *)&from, flen, buf, (size_t)n, err, sizeof(err)) != 0) {
			l2tp_log(l->ctx, L2TP_LOG_ERROR, "listener '%s': cannot accept a tunnel from %s: %s", l->name, peer, err);
			refuse(l, (struct sockaddr *)&from, flen, ptid, L2TP_RESULT_STOPCCN_ERROR, L2TP_ERROR_NO_RESOURCES,
			       "cannot accept");
			continue;
		}
		l->stats.accepted++;
	}
}

int l2tp_listener_create(struct l2tp_context *ctx, const char *name, const struct l2tp_listener_config *cfg,
			 struct l2tp_listener **out, char *err, size_t errlen)
{
	char prefix[200];
	int rc;
	*out = NULL;
	snprintf(prefix, sizeof(prefix), "listener '%s':", name);
	if (ctx->closed)
		return l2tp_errf(err, errlen, -ESHUTDOWN, "context is closed");
	for (struct l2tp_listener *x = ctx->listeners; x; x = x->next)
		if (strcmp(x->name, name) == 0)
			return l2tp_errf(err, errlen, -EEXIST, "listener '%s' already exists", name);
	struct l2tp_tunnel_config tc = cfg->tunnel;
	snprintf(tc.peer, sizeof(tc.peer), "0.0.0.0:1");
	rc = l2tp_tunnel_config_check(&tc, L2TP_TUNNEL_ACCEPTED, err, errlen);
	if (rc)
		return l2tp_errprefix(err, errlen, rc, prefix);
	struct l2tp_listener *l = calloc(1, sizeof(*l));
	if (!l || !(l->name = strdup(name))) {
		free(l);
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	}
	l->ctx = ctx;
	l->cfg = *cfg;
	l->fd = -1;
	l->obj.type = L2TP_OBJ_LISTENER;
	rc = l2tp_addr_parse(cfg->local[0] ? cfg->local : "0.0.0.0:1701", L2TP_ENCAP_UDP, &l->local, &l->local_len, err,
			     errlen);
	if (rc) {
		l2tp_errprefix(err, errlen, rc, "local");
		goto fail;
	}
	l->fd = l2tp_socket_open((struct sockaddr *)&l->local, l->local_len, NULL, 0, false, 0, 0, false, err, errlen);
	if (l->fd < 0) {
		rc = l->fd;
		goto fail;
	}
	socklen_t len = sizeof(l->local);
	getsockname(l->fd, (struct sockaddr *)&l->local, &len);
	l->local_len = len;
	l2tp_addr_format((struct sockaddr *)&l->local, l->local_str, sizeof(l->local_str));
	l->ev = event_new(ctx->base, l->fd, EV_READ | EV_PERSIST, on_read, l);
	if (!l->ev || event_add(l->ev, NULL) != 0) {
		rc = l2tp_errf(err, errlen, -ENOMEM, "out of memory");
		goto fail;
	}
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
	l2tp_log(ctx, L2TP_LOG_INFO, "listener '%s': accepting L2TPv2 tunnels on %s", name, l->local_str);
	*out = l;
	return 0;
fail:
	if (l->ev)
		event_free(l->ev);
	if (l->fd >= 0)
		close(l->fd);
	free(l->name);
	free(l);
	return l2tp_errprefix(err, errlen, rc, prefix);
}

void l2tp_listener_close(struct l2tp_listener *l)
{
	if (!l)
		return;
	for (struct l2tp_tunnel *t = l->ctx->tunnels_head; t; t = t->next)
		if (t->listener == l)
			t->listener = NULL;
	*l->pprev = l->next;
	if (l->next)
		l->next->pprev = l->pprev;
	l2tp_context_unregister(l->ctx, &l->obj);
	event_free(l->ev);
	close(l->fd);
	l2tp_log(l->ctx, L2TP_LOG_INFO, "listener '%s': closed", l->name);
	free(l->name);
	free(l);
}

void l2tp_listener_close_all(struct l2tp_context *ctx)
{
	while (ctx->listeners)
		l2tp_listener_close(ctx->listeners);
}

void l2tp_listener_tunnel_gone(struct l2tp_listener *l, bool was_pending)
{
	if (!l)
		return;
	if (l->ntunnels)
		l->ntunnels--;
	if (was_pending && l->npending)
		l->npending--;
}

struct l2tp_listener *l2tp_listener_lookup(struct l2tp_context *ctx, uint64_t handle)
{
	for (struct l2tp_listener *l = ctx->listeners; l; l = l->next)
		if (l->obj.handle == handle)
			return l;
	return NULL;
}

uint64_t l2tp_listener_handle(const struct l2tp_listener *l)
{
	return l->obj.handle;
}

const char *l2tp_listener_name(const struct l2tp_listener *l)
{
	return l->name;
}

const char *l2tp_listener_address(const struct l2tp_listener *l)
{
	return l->local_str;
}

void l2tp_listener_stats(const struct l2tp_listener *l, struct l2tp_listener_stats *out)
{
	*out = l->stats;
}
