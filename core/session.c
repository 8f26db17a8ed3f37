/* Sessions: the object, its tunnel's tables and the data plane's copy.
 * How a dynamic one comes and goes as a call is call.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool name_eq(const struct l2tp_hnode *n, const void *key)
{
	return strcmp(l2tp_container_of(n, struct l2tp_session, by_name)->name, key) == 0;
}

static bool id_eq(const struct l2tp_hnode *n, const void *key)
{
	return l2tp_container_of(n, struct l2tp_session, by_id)->cfg.sid == *(const uint32_t *)key;
}

static bool psid_eq(const struct l2tp_hnode *n, const void *key)
{
	return l2tp_container_of(n, struct l2tp_session, by_psid)->cfg.psid == *(const uint32_t *)key;
}

static bool v3_id_eq(const struct l2tp_hnode *n, const void *key)
{
	return l2tp_container_of(n, struct l2tp_session, by_v3_id)->cfg.sid == *(const uint32_t *)key;
}

struct l2tp_session *l2tp_session_by_id(struct l2tp_tunnel *t, uint32_t sid)
{
	struct l2tp_hnode *n = l2tp_htable_find(&t->sessions_by_id, l2tp_hash_u64(sid), id_eq, &sid);
	return n ? l2tp_container_of(n, struct l2tp_session, by_id) : NULL;
}

struct l2tp_session *l2tp_session_by_peer_id(struct l2tp_tunnel *t, uint32_t psid)
{
	struct l2tp_hnode *n = l2tp_htable_find(&t->sessions_by_psid, l2tp_hash_u64(psid), psid_eq, &psid);
	return n ? l2tp_container_of(n, struct l2tp_session, by_psid) : NULL;
}

struct l2tp_session *l2tp_session_find(struct l2tp_tunnel *t, const char *name)
{
	struct l2tp_hnode *n = l2tp_htable_find(&t->sessions_by_name, l2tp_hash_str(name), name_eq, name);
	return n ? l2tp_container_of(n, struct l2tp_session, by_name) : NULL;
}

/* L2TPv2 session IDs are scoped by their tunnel; L2TPv3 ones by the host
 * (RFC 3931 section 4.1, and the kernel looks them up that way). */
static struct l2tp_session *find_by_id(struct l2tp_tunnel *t, uint32_t sid)
{
	struct l2tp_hnode *n;
	if (t->cfg.version == L2TP_V3) {
		n = l2tp_htable_find(&t->ctx->v3_sessions_by_id, l2tp_hash_u64(sid), v3_id_eq, &sid);
		return n ? l2tp_container_of(n, struct l2tp_session, by_v3_id) : NULL;
	}
	return l2tp_session_by_id(t, sid);
}

void l2tp_dp_session_fill(const struct l2tp_session *s, struct l2tp_dp_session *out)
{
	memset(out, 0, sizeof(*out));
	out->tid = s->tunnel->cfg.tid;
	out->ptid = s->tunnel->cfg.ptid;
	out->cfg = l2tp_session_config_copy(s, &out->full);
	out->lns_mode = s->tunnel->kind == L2TP_TUNNEL_ACCEPTED;
}

static bool sid_taken(void *arg, uint32_t id)
{
	return find_by_id(arg, id) != NULL;
}

uint32_t l2tp_session_free_id(struct l2tp_tunnel *t)
{
	return l2tp_random_id(sid_taken, t, t->cfg.version == L2TP_V3);
}

static int link_session(struct l2tp_tunnel *t, struct l2tp_session *s)
{
	struct l2tp_context *ctx = t->ctx;
	if (l2tp_context_register(ctx, &s->obj) != 0)
		return -ENOMEM;
	if (l2tp_htable_insert(&t->sessions_by_name, &s->by_name, l2tp_hash_str(s->name)) != 0)
		goto undo_handle;
	if (s->cfg.sid) {
		if (l2tp_htable_insert(&t->sessions_by_id, &s->by_id, l2tp_hash_u64(s->cfg.sid)) != 0)
			goto undo_name;
		if (t->cfg.version == L2TP_V3 &&
		    l2tp_htable_insert(&ctx->v3_sessions_by_id, &s->by_v3_id, l2tp_hash_u64(s->cfg.sid)) != 0)
			goto undo_id;
	}
	/* Calls the peer placed, by the peer's ID: a second request with it
	 * is refused. */
	if (s->cfg.psid && l2tp_tunnel_has_calls(t)) {
		if (l2tp_htable_insert(&t->sessions_by_psid, &s->by_psid, l2tp_hash_u64(s->cfg.psid)) != 0)
			goto undo_v3;
		s->psid_indexed = true;
	}
	L2TP_LIST_APPEND(t->sessions_head, t->sessions_tail, s, prev, next);
	t->nsessions++;
	ctx->nsessions++;
	return 0;
undo_v3:
	if (s->cfg.sid && t->cfg.version == L2TP_V3)
		l2tp_htable_remove(&ctx->v3_sessions_by_id, &s->by_v3_id);
undo_id:
	l2tp_htable_remove(&t->sessions_by_id, &s->by_id);
undo_name:
	l2tp_htable_remove(&t->sessions_by_name, &s->by_name);
undo_handle:
	l2tp_context_unregister(ctx, &s->obj);
	return -ENOMEM;
}

static void unlink_session(struct l2tp_session *s)
{
	struct l2tp_tunnel *t = s->tunnel;
	l2tp_context_unregister(t->ctx, &s->obj);
	l2tp_htable_remove(&t->sessions_by_name, &s->by_name);
	if (s->cfg.sid) {
		l2tp_htable_remove(&t->sessions_by_id, &s->by_id);
		if (t->cfg.version == L2TP_V3)
			l2tp_htable_remove(&t->ctx->v3_sessions_by_id, &s->by_v3_id);
	}
	if (s->psid_indexed)
		l2tp_htable_remove(&t->sessions_by_psid, &s->by_psid);
	L2TP_LIST_REMOVE(t->sessions_head, t->sessions_tail, s, prev, next);
	t->nsessions--;
	t->ctx->nsessions--;
}

static void session_free(struct l2tp_session *s)
{
	free(s);
}

const struct l2tp_session_config *l2tp_session_config_copy(const struct l2tp_session *s,
							   struct l2tp_session_config *out)
{
	if (!s->cfg_short)
		return &s->cfg;
	memcpy(out, &s->cfg, L2TP_SESSION_CFG_SHORT);
	memset((char *)out + L2TP_SESSION_CFG_SHORT, 0, sizeof(*out) - L2TP_SESSION_CFG_SHORT);
	return out;
}

/* A session object for tunnel t, not yet linked: one allocation with its
 * name, and its config short when the long strings are all empty. */
static struct l2tp_session *session_alloc(struct l2tp_tunnel *t, const char *name,
					  const struct l2tp_session_config *cfg)
{
	bool is_short = !cfg->remote_end_id[0] && !cfg->called_number[0] && !cfg->calling_number[0] &&
			!cfg->pppoe_interface[0] && !cfg->pppd_args[0] && !cfg->pppd_extra[0];
	size_t cfg_size = is_short ? L2TP_SESSION_CFG_SHORT : sizeof(*cfg);
	size_t name_len = strlen(name) + 1;
	struct l2tp_session *s = calloc(1, offsetof(struct l2tp_session, cfg) + cfg_size + name_len);
	if (!s)
		return NULL;
	s->name = (char *)&s->cfg + cfg_size;
	memcpy(s->name, name, name_len);
	s->tunnel = t;
	s->cfg_short = is_short;
	memcpy(&s->cfg, cfg, cfg_size);
	s->obj.type = L2TP_OBJ_SESSION;
	s->ppp_fd = -1;
	return s;
}

/* An L2TPv3 call assigns the peer a cookie: the one configured, else a
 * random one of cookie_size bytes (RFC 3931 section 5.4.4), which makes
 * data packets hard to spoof blindly. */
static void assign_cookie(struct l2tp_session *s)
{
	if (s->tunnel->cfg.version != L2TP_V3 || s->cfg.cookie_len || !s->cfg.cookie_size)
		return;
	s->cfg.cookie_len = s->cfg.cookie_size;
	l2tp_random_bytes(s->cfg.cookie, s->cfg.cookie_len);
}

int l2tp_session_create(struct l2tp_tunnel *t, const char *name, const struct l2tp_session_config *cfg,
			struct l2tp_session **out, char *err, size_t errlen)
{
	struct l2tp_context *ctx = t->ctx;
	struct l2tp_session *s = NULL, *other;
	struct l2tp_dp_session dps;
	char prefix[300];
	int rc;

	*out = NULL;
	if (!name || !*name)
		return l2tp_errf(err, errlen, -EINVAL, "tunnel '%s': session name must be a non-empty string",
				 t->name);
	snprintf(prefix, sizeof(prefix), "session '%s/%s':", t->name, name);
	if (t->closing)
		return l2tp_errprefix(err, errlen, l2tp_errf(err, errlen, -ESHUTDOWN, "tunnel is closing"), prefix);
	if (l2tp_session_find(t, name))
		return l2tp_errf(err, errlen, -EEXIST,
				 "session '%s' already exists in tunnel '%s' (names are unique in a tunnel)", name,
				 t->name);
	rc = l2tp_session_config_check(cfg, t->cfg.version, l2tp_session_maker_kind(t->kind), err, errlen);
	if (rc)
		return l2tp_errprefix(err, errlen, rc, prefix);
	if (cfg->sid && (other = find_by_id(t, cfg->sid)) != NULL) {
		if (other->tunnel == t)
			rc = l2tp_errf(err, errlen, -EEXIST, "sid %u is already used by session '%s' in this tunnel",
				       cfg->sid, other->name);
		else
			rc = l2tp_errf(err, errlen, -EEXIST,
				       "sid %u is already used by session '%s/%s' (l2tpv3 session IDs are unique per host)",
				       cfg->sid, other->tunnel->name, other->name);
		return l2tp_errprefix(err, errlen, rc, prefix);
	}

	if (!(s = session_alloc(t, name, cfg)))
		return l2tp_errprefix(err, errlen, l2tp_errf(err, errlen, -ENOMEM, "out of memory"), prefix);

	if (t->kind == L2TP_TUNNEL_DYNAMIC || t->kind == L2TP_TUNNEL_ACCEPTED) {
		/* A call (incoming from a LAC, outgoing from an LNS): the data
		 * plane follows when the peer accepts it. */
		if (!s->cfg.sid && !(s->cfg.sid = l2tp_session_free_id(t))) {
			session_free(s);
			return l2tp_errprefix(err, errlen,
					      l2tp_errf(err, errlen, -ENOSPC, "no free session ID (all 65535 are in use)"),
					      prefix);
		}
		s->cfg.psid = 0;
		s->cfg.peer_cookie_len = 0; /* the peer assigns it */
		assign_cookie(s);
		s->obj.handle = l2tp_context_new_handle(ctx);
		if (link_session(t, s) != 0) {
			session_free(s);
			return l2tp_errprefix(err, errlen, l2tp_errf(err, errlen, -ENOMEM, "out of memory"), prefix);
		}
		l2tp_call_place(s);
		*out = s;
		return 0;
	}

	l2tp_dp_session_fill(s, &dps);
	rc = ctx->dp->session_create(ctx->dp_state, &dps, s->ifname, err, errlen);
	if (rc) {
		session_free(s);
		return l2tp_errprefix(err, errlen, rc, prefix);
	}
	s->dp_created = true;
	s->obj.handle = l2tp_context_new_handle(ctx);
	if (link_session(t, s) != 0) {
		char ignored[128];
		ctx->dp->session_delete(ctx->dp_state, &dps, ignored, sizeof(ignored));
		session_free(s);
		return l2tp_errprefix(err, errlen, l2tp_errf(err, errlen, -ENOMEM, "out of memory"), prefix);
	}
	l2tp_slog(s, L2TP_LOG_INFO, "created %s session, sid %u psid %u%s%s", l2tp_pseudowire_name(cfg->pseudowire),
		  cfg->sid, cfg->psid, s->ifname[0] ? ", interface " : "", s->ifname);
	if (t->up) {
		s->up = true;
		s->up_at = l2tp_io_now(ctx->io);
		l2tp_context_post(ctx, L2TP_EVENT_SESSION_UP, t, s, NULL, NULL);
	}
	*out = s;
	return 0;
}

int l2tp_session_answered(struct l2tp_tunnel *t, uint32_t peer_sid, struct l2tp_session_config *cfg,
			  const char *prefix, struct l2tp_session **out)
{
	char name[64], err[256];
	*out = NULL;
	cfg->sid = l2tp_session_free_id(t);
	cfg->psid = peer_sid;
	if (!cfg->sid || l2tp_session_config_check(cfg, t->cfg.version, t->kind, err, sizeof(err)) != 0)
		return -EINVAL;
	snprintf(name, sizeof(name), "%s%u", prefix, cfg->sid);
	struct l2tp_session *s = session_alloc(t, name, cfg);
	if (!s)
		return -ENOMEM;
	assign_cookie(s);
	s->obj.handle = l2tp_context_new_handle(t->ctx);
	if (link_session(t, s) != 0) {
		session_free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void l2tp_session_destroy(struct l2tp_session *s, const char *reason, const struct l2tp_result *result)
{
	struct l2tp_tunnel *t = s->tunnel;
	struct l2tp_context *ctx = t->ctx;

	if (s->closing)
		return;
	s->closing = true;
	if (!reason)
		reason = "closed";
	struct l2tp_session_stats final;
	char err[256];
	struct l2tp_dp_session dps;
	l2tp_dp_session_fill(s, &dps);
	/* The last moment the counters exist, for session_down: before the
	 * PPPoL2TP socket closes with pppd, as its last close deletes the
	 * kernel session. */
	if (s->dp_created) {
		if (ctx->dp->session_stats(ctx->dp_state, &dps, &final, err, sizeof(err)) == 0)
			s->final_stats = &final;
		else
			l2tp_slog(s, L2TP_LOG_WARN, "final counters not read: %s", err);
	}
	/* pppd holds a copy of the PPPoL2TP socket, so ours may close now;
	 * a bridged session's is the only one, and its close would delete
	 * the kernel session before we do: it closes after the delete. */
	bool bridged = s->bridge != NULL;
	l2tp_ppp_bridge_stop(s);
	if (!bridged)
		l2tp_pppd_stop(s);
	if (s->dp_created) {
		if (ctx->dp->session_delete(ctx->dp_state, &dps, err, sizeof(err)) != 0)
			l2tp_slog(s, L2TP_LOG_ERROR, "data plane delete failed: %s", err);
		s->dp_created = false;
	}
	l2tp_pppd_stop(s);
	l2tp_tunnel_call_setup_done(t, s);
	unlink_session(s);
	l2tp_slog(s, L2TP_LOG_INFO, "closed: %s", reason);
	l2tp_listener_call_gone(t->listener, s);
	/* A call that fails during setup is reported too, in both roles. */
	if (s->up || l2tp_tunnel_has_calls(t))
		l2tp_context_post(ctx, L2TP_EVENT_SESSION_DOWN, t, s, reason, result);
	s->final_stats = NULL;
	session_free(s);
}

void l2tp_session_close(struct l2tp_session *s, const char *reason)
{
	if (!s)
		return;
	if (l2tp_tunnel_has_calls(s->tunnel))
		l2tp_call_hangup(s, reason, NULL);
	else
		l2tp_session_destroy(s, reason, NULL);
}

const char *l2tp_session_name(const struct l2tp_session *s)
{
	return s->name;
}

uint64_t l2tp_session_handle(const struct l2tp_session *s)
{
	return s->obj.handle;
}

struct l2tp_tunnel *l2tp_session_tunnel(const struct l2tp_session *s)
{
	return s->tunnel;
}

const struct l2tp_session_config *l2tp_session_config(const struct l2tp_session *s)
{
	static struct l2tp_session_config full; /* valid until the next call, as the header says */
	return l2tp_session_config_copy(s, &full);
}

const char *l2tp_session_interface_name(const struct l2tp_session *s)
{
	return s->ifname[0] ? s->ifname : NULL;
}

bool l2tp_session_is_up(const struct l2tp_session *s)
{
	return s->up;
}

int l2tp_session_stats(struct l2tp_session *s, struct l2tp_session_stats *out, char *err, size_t errlen)
{
	struct l2tp_context *ctx = s->tunnel->ctx;
	struct l2tp_dp_session dps;
	memset(out, 0, sizeof(*out));
	l2tp_dp_session_fill(s, &dps);
	return ctx->dp->session_stats(ctx->dp_state, &dps, out, err, errlen);
}
