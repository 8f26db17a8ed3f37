#include <errno.h>
#include <event2/event.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A queued event owns copies of everything it reports, because the objects
 * it names may be gone by the time the loop delivers it. */
struct l2tp_evq_item {
	struct l2tp_evq_item *next;
	enum l2tp_event_type type;
	char *tunnel_name;
	uint64_t tunnel_handle;
	enum l2tp_tunnel_kind kind;
	struct l2tp_tunnel_config tcfg;
	char local[L2TP_ADDR_STRLEN], peer[L2TP_ADDR_STRLEN];
	char *session_name;
	uint64_t session_handle;
	struct l2tp_session_config scfg;
	char ifname[L2TP_IFNAME_MAX];
	char *reason;
	bool established;
	bool has_result;
	struct l2tp_result result;
	bool circuit_active;
	bool has_stats;
	struct l2tp_session_stats stats;
	uint64_t up_ms;
};

/* What an item owns besides itself. */
static void evq_item_clear(struct l2tp_evq_item *it)
{
	free(it->tunnel_name);
	free(it->session_name);
	free(it->reason);
}

static void evq_item_free(struct l2tp_evq_item *it)
{
	evq_item_clear(it);
	free(it);
}

/* Items are a few KiB (they carry whole configs) and a busy LNS posts
 * hundreds of thousands a second: a few are kept for reuse instead of
 * going through malloc's large-chunk path each time. */
#define EVQ_SPARES 64

static struct l2tp_evq_item *evq_item_new(struct l2tp_context *ctx)
{
	struct l2tp_evq_item *it = ctx->evq_spare;
	if (!it)
		return calloc(1, sizeof(*it));
	ctx->evq_spare = it->next;
	ctx->nspare--;
	memset(it, 0, sizeof(*it));
	return it;
}

static void evq_item_done(struct l2tp_context *ctx, struct l2tp_evq_item *it)
{
	if (ctx->nspare >= EVQ_SPARES) {
		evq_item_free(it);
		return;
	}
	evq_item_clear(it);
	it->next = ctx->evq_spare;
	ctx->evq_spare = it;
	ctx->nspare++;
}

static void deliver(struct l2tp_context *ctx)
{
	/* Take the whole queue first: callbacks may post more events, which
	 * go to the next round instead of growing this one without end. */
	struct l2tp_evq_item *it = ctx->evq_head;
	ctx->evq_head = ctx->evq_tail = NULL;
	while (it) {
		struct l2tp_evq_item *next = it->next;
		if (ctx->event_fn) {
			struct l2tp_event ev = {
				.type = it->type,
				.tunnel_name = it->tunnel_name,
				.tunnel_handle = it->tunnel_handle,
				.tunnel_kind = it->kind,
				.tunnel_config = &it->tcfg,
				.local = it->local,
				.peer = it->peer,
				.session_name = it->session_name,
				.session_handle = it->session_handle,
				.session_config = it->session_name ? &it->scfg : NULL,
				.interface_name = it->ifname[0] ? it->ifname : NULL,
				.reason = it->reason,
				.established = it->established,
				.result = it->has_result ? &it->result : NULL,
				.circuit_active = it->circuit_active,
				.stats = it->has_stats ? &it->stats : NULL,
				.up_ms = it->up_ms,
			};
			ctx->event_fn(ctx->event_arg, &ev);
		}
		evq_item_done(ctx, it);
		it = next;
	}
}

static void evq_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	deliver(arg);
}

void l2tp_context_flush_events(struct l2tp_context *ctx)
{
	while (ctx->evq_head)
		deliver(ctx);
}

void l2tp_context_post(struct l2tp_context *ctx, enum l2tp_event_type type, const struct l2tp_tunnel *t,
		       const struct l2tp_session *s, const char *reason, const struct l2tp_result *result)
{
	struct l2tp_evq_item *it = evq_item_new(ctx);
	if (!it)
		goto oom;
	it->type = type;
	it->tunnel_name = strdup(t->name);
	it->tunnel_handle = t->obj.handle;
	it->kind = t->kind;
	it->tcfg = t->cfg;
	memcpy(it->local, t->local_str, sizeof(it->local));
	memcpy(it->peer, t->peer_str, sizeof(it->peer));
	if (!it->tunnel_name)
		goto oom;
	it->established = s ? s->up : t->up;
	if (s) {
		it->circuit_active = !s->peer_circuit_down;
		it->session_name = strdup(s->name);
		if (!it->session_name)
			goto oom;
		it->session_handle = s->obj.handle;
		const struct l2tp_session_config *c = l2tp_session_config_copy(s, &it->scfg);
		if (c != &it->scfg)
			it->scfg = *c;
		memcpy(it->ifname, s->ifname, sizeof(it->ifname));
		if (type == L2TP_EVENT_SESSION_DOWN) {
			if (s->up)
				it->up_ms = l2tp_io_now(ctx->io) - s->up_at;
			if (s->final_stats) {
				it->has_stats = true;
				it->stats = *s->final_stats;
			}
		}
	}
	if (type == L2TP_EVENT_TUNNEL_DOWN || type == L2TP_EVENT_SESSION_DOWN) {
		it->reason = strdup(reason ? reason : "closed");
		if (!it->reason)
			goto oom;
	}
	if (result) {
		it->has_result = true;
		it->result = *result;
	}
	if (ctx->evq_tail)
		ctx->evq_tail->next = it;
	else
		ctx->evq_head = it;
	ctx->evq_tail = it;
	event_active(ctx->evq_ev, EV_TIMEOUT, 0);
	return;
oom:
	l2tp_log(ctx, L2TP_LOG_ERROR, "out of memory: %s event for tunnel '%s' lost", l2tp_event_type_name(type),
		 t->name);
	if (it)
		evq_item_free(it);
}

struct l2tp_linger {
	struct l2tp_linger *prev, *next;
	struct l2tp_hnode by_peer;
	struct l2tp_context *ctx;
	struct l2tp_channel *ch;
};

static void linger_drop(struct l2tp_linger *l)
{
	struct l2tp_context *ctx = l->ctx;
	L2TP_LIST_REMOVE(ctx->linger_head, ctx->linger_tail, l, prev, next);
	l2tp_htable_remove(&ctx->linger_by_peer, &l->by_peer);
	ctx->nlinger--;
	l2tp_channel_free(l->ch);
	free(l);
}

static void linger_recv(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err)
{
	(void)arg, (void)msg, (void)err;
}

static void linger_done(void *arg)
{
	linger_drop(arg);
}

static void linger_failed(void *arg, const char *reason)
{
	(void)reason;
	linger_drop(arg);
}

/* A lingering socket still shares its address: a new tunnel's SCCRQ (or a
 * datagram for another tunnel) may land on it, and must reach a listener. */
static void linger_stray(void *arg, uint8_t *buf, size_t len, const struct sockaddr *from, socklen_t from_len)
{
	struct l2tp_linger *l = arg;
	l2tp_context_stray(l->ctx, l->ch, buf, len, from, from_len);
}

static uint64_t peer_hash(struct l2tp_channel *ch)
{
	socklen_t len;
	return l2tp_addr_hash(l2tp_channel_peer(ch, &len), 0);
}

void l2tp_context_linger(struct l2tp_context *ctx, struct l2tp_channel *ch, bool until_acked)
{
	static const struct l2tp_channel_ops ops = {linger_recv, linger_failed, linger_done, NULL, linger_stray};
	struct l2tp_linger *l = calloc(1, sizeof(*l));
	if (!l || l2tp_htable_insert(&ctx->linger_by_peer, &l->by_peer, peer_hash(ch)) != 0) {
		free(l);
		l2tp_channel_free(ch);
		return;
	}
	l->ctx = ctx;
	l->ch = ch;
	L2TP_LIST_APPEND(ctx->linger_head, ctx->linger_tail, l, prev, next);
	ctx->nlinger++;
	l2tp_channel_set_ops(ch, &ops, l);
	l2tp_channel_linger(ch, until_acked);
	/* Each holds a socket: past the limit the oldest hold ends early. */
	while (ctx->nlinger > ctx->max_lingering)
		linger_drop(ctx->linger_head);
}

struct linger_key {
	const struct sockaddr *local, *peer;
};

static bool linger_eq(const struct l2tp_hnode *n, const void *key)
{
	const struct linger_key *k = key;
	struct l2tp_channel *ch = l2tp_container_of(n, struct l2tp_linger, by_peer)->ch;
	socklen_t len;
	return l2tp_addr_equal(l2tp_channel_peer(ch, &len), k->peer) &&
	       l2tp_addr_covers(k->local, l2tp_channel_local(ch, &len));
}

void l2tp_context_unlinger(struct l2tp_context *ctx, const struct sockaddr *local, const struct sockaddr *peer)
{
	socklen_t len;
	if (peer) {
		struct linger_key k = {local, peer};
		struct l2tp_hnode *n;
		uint64_t h = l2tp_addr_hash(peer, 0);
		while ((n = l2tp_htable_find(&ctx->linger_by_peer, h, linger_eq, &k)) != NULL)
			linger_drop(l2tp_container_of(n, struct l2tp_linger, by_peer));
		return;
	}
	/* By local address alone: rare (a tunnel on a fixed local port), and
	 * the list is bounded by max_lingering. */
	for (struct l2tp_linger *l = ctx->linger_head, *next; l; l = next) {
		next = l->next;
		if (l2tp_addr_covers(local, l2tp_channel_local(l->ch, &len)))
			linger_drop(l);
	}
}

bool l2tp_context_holds(struct l2tp_context *ctx, const struct sockaddr *addr)
{
	socklen_t len;
	for (struct l2tp_tunnel *t = ctx->tunnels_head; t; t = t->next)
		if (t->kind == L2TP_TUNNEL_ACCEPTED && t->same_port && t->ch &&
		    l2tp_addr_covers(addr, l2tp_channel_local(t->ch, &len)))
			return true;
	for (struct l2tp_linger *l = ctx->linger_head; l; l = l->next)
		if (l2tp_addr_covers(addr, l2tp_channel_local(l->ch, &len)))
			return true;
	return false;
}

void l2tp_context_stray(struct l2tp_context *ctx, struct l2tp_channel *ch, uint8_t *buf, size_t len,
			const struct sockaddr *from, socklen_t from_len)
{
	socklen_t llen;
	const struct sockaddr *local = l2tp_channel_local(ch, &llen);
	for (struct l2tp_listener *l = ctx->listeners; l; l = l->next) {
		if (l2tp_addr_covers((struct sockaddr *)&l->local, local)) {
			l2tp_listener_input(l, buf, len, from, from_len);
			return;
		}
	}
}

void l2tp_context_tunnels_changed(struct l2tp_context *ctx)
{
	if (ctx->ntunnels > ctx->tunnels_high) {
		ctx->tunnels_high = ctx->ntunnels;
		return;
	}
	/* After a flood, or any burst, of tunnels is gone: the allocator
	 * keeps freed memory in its heap, scattered between live blocks, and
	 * an LNS must not stay at its peak for ever. Rare (each time the
	 * count falls to a quarter of the mark), so its cost does not count. */
	if (ctx->tunnels_high >= 64 && ctx->ntunnels <= ctx->tunnels_high / 4) {
#ifdef __GLIBC__
		malloc_trim(0);
#endif
		ctx->tunnels_high = ctx->ntunnels;
	}
}

uint64_t l2tp_context_now(const struct l2tp_context *ctx)
{
	return l2tp_io_now(ctx->io);
}

struct l2tp_io *l2tp_context_io(const struct l2tp_context *ctx)
{
	return ctx->io;
}

void l2tp_context_stats(const struct l2tp_context *ctx, struct l2tp_context_stats *out)
{
	size_t listeners = 0;
	for (const struct l2tp_listener *l = ctx->listeners; l; l = l->next)
		listeners++;
	out->tunnels = ctx->ntunnels;
	out->sessions = ctx->nsessions;
	out->listeners = listeners;
	out->lingering = ctx->nlinger;
	out->sockets = l2tp_io_sockets(ctx->io);
}

const char *l2tp_event_type_name(enum l2tp_event_type type)
{
	switch (type) {
	case L2TP_EVENT_TUNNEL_UP: return "tunnel_up";
	case L2TP_EVENT_TUNNEL_DOWN: return "tunnel_down";
	case L2TP_EVENT_SESSION_UP: return "session_up";
	case L2TP_EVENT_SESSION_DOWN: return "session_down";
	case L2TP_EVENT_SESSION_CIRCUIT: return "session_circuit";
	}
	return "?";
}

int l2tp_context_new(struct event_base *base, const struct l2tp_context_config *cfg,
		     struct l2tp_context **out, char *err, size_t errlen)
{
	struct l2tp_context *ctx;
	int rc;

	*out = NULL;
	if (!base)
		return l2tp_errf(err, errlen, -EINVAL, "no event base");
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	ctx->base = base;
	ctx->dp = cfg && cfg->dataplane ? cfg->dataplane : &l2tp_dataplane_null;
	ctx->log_level = cfg ? cfg->log_level : L2TP_LOG_INFO;
	if (cfg) {
		ctx->log_fn = cfg->log_fn;
		ctx->log_arg = cfg->log_arg;
		ctx->event_fn = cfg->event_fn;
		ctx->event_arg = cfg->event_arg;
	}
	ctx->next_handle = 1;
	while (!ctx->router_id)
		l2tp_random_bytes(&ctx->router_id, sizeof(ctx->router_id));
	ctx->max_lingering = cfg && cfg->max_lingering ? cfg->max_lingering : L2TP_DEFAULT_MAX_LINGERING;
	l2tp_htable_init(&ctx->linger_by_peer);
	l2tp_htable_init(&ctx->objs_by_handle);
	l2tp_htable_init(&ctx->tunnels_by_name);
	l2tp_htable_init(&ctx->tunnels_by_id);
	l2tp_htable_init(&ctx->dialing);
	l2tp_htable_init(&ctx->v3_sessions_by_id);

	ctx->evq_ev = event_new(base, -1, 0, evq_cb, ctx);
	ctx->io = l2tp_io_new(base, cfg ? cfg->io_ops : NULL, cfg ? cfg->io_arg : NULL);
	if (!ctx->evq_ev || !ctx->io) {
		if (ctx->evq_ev)
			event_free(ctx->evq_ev);
		l2tp_io_free(ctx->io);
		free(ctx);
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	}
	rc = ctx->dp->open(&ctx->dp_state, err, errlen);
	if (rc) {
		event_free(ctx->evq_ev);
		l2tp_io_free(ctx->io);
		free(ctx);
		return rc;
	}
	l2tp_io_set_tap(ctx->io, l2tp_trace_tap, ctx);
	l2tp_log(ctx, L2TP_LOG_DEBUG, "context open, data plane '%s'", ctx->dp->name);
	*out = ctx;
	return 0;
}

void l2tp_context_close(struct l2tp_context *ctx)
{
	if (!ctx || ctx->closed)
		return;
	/* Newest first, as a stack unwinds what it built. */
	l2tp_listener_close_all(ctx);
	/* before the tunnels: subscribers get their PADT while the calls
	 * they rode on still stand */
	l2tp_pppoe_ac_close_all(ctx);
	while (ctx->tunnels_tail)
		l2tp_tunnel_close(ctx->tunnels_tail, "context closed");
	/* Nobody will be around to acknowledge: stop holding. */
	while (ctx->linger_head)
		linger_drop(ctx->linger_head);
	ctx->closed = true;
	l2tp_context_set_pcap(ctx, NULL); /* no socket left to capture */
	ctx->dp->close(ctx->dp_state);
	ctx->dp_state = NULL;
	l2tp_log(ctx, L2TP_LOG_DEBUG, "context closed");
}

bool l2tp_context_is_closed(const struct l2tp_context *ctx)
{
	return ctx->closed;
}

bool l2tp_context_busy(const struct l2tp_context *ctx)
{
	/* Children still exiting keep it busy: they must be reaped. */
	return !ctx->closed || ctx->evq_head != NULL || l2tp_procs_count(ctx->procs) > 0;
}

void l2tp_context_free(struct l2tp_context *ctx)
{
	if (!ctx)
		return;
	l2tp_context_close(ctx);
	l2tp_log_flush(ctx);
	while (ctx->evq_head) {
		struct l2tp_evq_item *it = ctx->evq_head;
		ctx->evq_head = it->next;
		evq_item_free(it);
	}
	while (ctx->evq_spare) {
		struct l2tp_evq_item *it = ctx->evq_spare;
		ctx->evq_spare = it->next;
		free(it);
	}
	event_free(ctx->evq_ev);
	l2tp_procs_free(ctx->procs);
	l2tp_context_set_pcap(ctx, NULL);
	l2tp_io_free(ctx->io);
	l2tp_htable_fini(&ctx->linger_by_peer);
	l2tp_htable_fini(&ctx->objs_by_handle);
	l2tp_htable_fini(&ctx->tunnels_by_name);
	l2tp_htable_fini(&ctx->tunnels_by_id);
	l2tp_htable_fini(&ctx->dialing);
	l2tp_htable_fini(&ctx->v3_sessions_by_id);
	free(ctx);
}

void l2tp_context_set_log_level(struct l2tp_context *ctx, enum l2tp_log_level level)
{
	ctx->log_level = level;
}

enum l2tp_log_level l2tp_context_log_level(const struct l2tp_context *ctx)
{
	return ctx->log_level;
}

const char *l2tp_context_dataplane_name(const struct l2tp_context *ctx)
{
	return ctx->dp->name;
}

int l2tp_context_kernel_tunnels(struct l2tp_context *ctx,
				void (*fn)(const struct l2tp_dp_tunnel *t, const struct l2tp_session_stats *st, void *arg),
				void *arg, char *err, size_t errlen)
{
	if (ctx->closed)
		return l2tp_errf(err, errlen, -ESHUTDOWN, "context is closed");
	if (!ctx->dp->dump_tunnels)
		return l2tp_errf(err, errlen, -EOPNOTSUPP, "the %s data plane has no kernel tunnels to list",
				 ctx->dp->name);
	return ctx->dp->dump_tunnels(ctx->dp_state, fn, arg, err, errlen);
}

struct event_base *l2tp_context_base(const struct l2tp_context *ctx)
{
	return ctx->base;
}

uint64_t l2tp_context_new_handle(struct l2tp_context *ctx)
{
	return ctx->next_handle++;
}

static bool handle_eq(const struct l2tp_hnode *n, const void *key)
{
	return l2tp_container_of(n, struct l2tp_obj, by_handle)->handle == *(const uint64_t *)key;
}

int l2tp_context_register(struct l2tp_context *ctx, struct l2tp_obj *obj)
{
	return l2tp_htable_insert(&ctx->objs_by_handle, &obj->by_handle, l2tp_hash_u64(obj->handle));
}

void l2tp_context_unregister(struct l2tp_context *ctx, struct l2tp_obj *obj)
{
	l2tp_htable_remove(&ctx->objs_by_handle, &obj->by_handle);
}

static struct l2tp_obj *obj_lookup(struct l2tp_context *ctx, uint64_t handle, enum l2tp_obj_type type)
{
	struct l2tp_hnode *n = l2tp_htable_find(&ctx->objs_by_handle, l2tp_hash_u64(handle), handle_eq, &handle);
	if (!n)
		return NULL;
	struct l2tp_obj *obj = l2tp_container_of(n, struct l2tp_obj, by_handle);
	return obj->type == type ? obj : NULL;
}

struct l2tp_tunnel *l2tp_tunnel_lookup(struct l2tp_context *ctx, uint64_t handle)
{
	struct l2tp_obj *obj = obj_lookup(ctx, handle, L2TP_OBJ_TUNNEL);
	return obj ? l2tp_container_of(obj, struct l2tp_tunnel, obj) : NULL;
}

struct l2tp_listener *l2tp_listener_lookup(struct l2tp_context *ctx, uint64_t handle)
{
	struct l2tp_obj *obj = obj_lookup(ctx, handle, L2TP_OBJ_LISTENER);
	return obj ? l2tp_container_of(obj, struct l2tp_listener, obj) : NULL;
}

struct l2tp_session *l2tp_session_lookup(struct l2tp_context *ctx, uint64_t handle)
{
	struct l2tp_obj *obj = obj_lookup(ctx, handle, L2TP_OBJ_SESSION);
	return obj ? l2tp_container_of(obj, struct l2tp_session, obj) : NULL;
}

void l2tp_context_foreach_tunnel(struct l2tp_context *ctx, void (*fn)(struct l2tp_tunnel *t, void *arg),
				 void *arg)
{
	for (struct l2tp_tunnel *t = ctx->tunnels_head; t; t = t->next)
		fn(t, arg);
}

size_t l2tp_context_tunnel_count(const struct l2tp_context *ctx)
{
	return ctx->ntunnels;
}
