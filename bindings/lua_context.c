/* l2tp.context: owns a core context, its event handlers, and the cache of
 * Lua objects for its tunnels and sessions. */
#include <errno.h>
#include <stddef.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "l2tp/codec.h"
#include "lua_config.h"
#include "lua_objects.h"

static const char *const event_names[] = {"tunnel_up",	  "tunnel_down",     "session_up",
					  "session_down", "session_circuit", NULL};

/* The configs an event reports, kept as they are until a handler reads
 * one: building both tables for every event was a fifth of a busy LNS's
 * CPU, and most handlers never look at them. */
struct event_configs {
	struct l2tp_tunnel_config tunnel;
	bool has_session;
	struct l2tp_session_config session;
};

/* __index of an event table: its configs as tables, made on first read
 * and kept in the event from then on. */
static int event_index(lua_State *L)
{
	const struct event_configs *c = lua_touserdata(L, lua_upvalueindex(1));
	const char *k = lua_tostring(L, 2);
	if (k && strcmp(k, "tunnel_config") == 0)
		l2tp_lua_push_tunnel_config(L, &c->tunnel);
	else if (k && c->has_session && strcmp(k, "session_config") == 0)
		l2tp_lua_push_session_config(L, &c->session);
	else
		return 0;
	lua_pushvalue(L, 2);
	lua_pushvalue(L, -2);
	lua_rawset(L, 1);
	return 1;
}

static void push_event_table(lua_State *L, struct lctx *lc, const struct l2tp_event *ev)
{
	lua_createtable(L, 0, 16);
	lua_pushstring(L, l2tp_event_type_name(ev->type));
	lua_setfield(L, -2, "event");
	lua_pushstring(L, ev->tunnel_name);
	lua_setfield(L, -2, "tunnel_name");
	l2tp_lua_push_obj(L, lc, L2TP_TUNNEL_MT, ev->tunnel_handle, ev->tunnel_name);
	lua_setfield(L, -2, "tunnel");
	lua_pushstring(L, l2tp_tunnel_kind_name(ev->tunnel_kind));
	lua_setfield(L, -2, "kind");
	/* The protocol version, as the header has it: 2 or 3. */
	lua_pushinteger(L, ev->tunnel_config->version);
	lua_setfield(L, -2, "version");
	struct event_configs *c = lua_newuserdata(L, ev->session_name ? sizeof(*c)
								     : offsetof(struct event_configs, session));
	c->tunnel = *ev->tunnel_config;
	c->has_session = ev->session_name != NULL;
	if (c->has_session)
		c->session = *ev->session_config;
	lua_createtable(L, 0, 1);
	lua_insert(L, -2);
	lua_pushcclosure(L, event_index, 1);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	if (ev->local && ev->local[0]) {
		lua_pushstring(L, ev->local);
		lua_setfield(L, -2, "local");
	}
	if (ev->peer && ev->peer[0]) {
		lua_pushstring(L, ev->peer);
		lua_setfield(L, -2, "peer");
	}
	if (ev->session_name) {
		lua_pushstring(L, ev->session_name);
		lua_setfield(L, -2, "session_name");
		l2tp_lua_push_obj(L, lc, L2TP_SESSION_MT, ev->session_handle, ev->session_name);
		lua_setfield(L, -2, "session");
	}
	if (ev->interface_name) {
		lua_pushstring(L, ev->interface_name);
		lua_setfield(L, -2, "interface_name");
	}
	if (ev->reason) {
		lua_pushstring(L, ev->reason);
		lua_setfield(L, -2, "reason");
		lua_pushboolean(L, ev->established);
		lua_setfield(L, -2, "established");
	}
	if (ev->type == L2TP_EVENT_SESSION_DOWN) {
		/* Accounting: how long it was up (s) and its last counters. */
		lua_pushnumber(L, (lua_Number)ev->up_ms / 1000);
		lua_setfield(L, -2, "duration");
		if (ev->stats) {
			l2tp_lua_push_session_stats(L, ev->stats);
			lua_setfield(L, -2, "stats");
		}
	}
	if (ev->type == L2TP_EVENT_SESSION_CIRCUIT) {
		lua_pushstring(L, ev->circuit_active ? "up" : "down");
		lua_setfield(L, -2, "circuit");
	}
	if (ev->result) {
		lua_pushinteger(L, ev->result->result_code);
		lua_setfield(L, -2, "result_code");
		if (ev->result->has_error_code) {
			lua_pushinteger(L, ev->result->error_code);
			lua_setfield(L, -2, "error_code");
		}
		if (ev->result->message[0]) {
			lua_pushstring(L, ev->result->message);
			lua_setfield(L, -2, "message");
		}
	}
}

static void on_event(void *arg, const struct l2tp_event *ev)
{
	struct lctx *lc = arg;
	lua_State *L = lc->rt->L;
	int top = lua_gettop(L);
	const char *name = l2tp_event_type_name(ev->type);

	l2tp_lua_push_ctx(L, lc);
	if (lua_isnil(L, -1))
		goto out;
	lua_getfenv(L, -1);
	lua_getfield(L, -1, "handlers");
	lua_getfield(L, -1, name);
	if (lua_isnil(L, -1) || lua_objlen(L, -1) == 0)
		goto out;
	/* Copy the list: a handler may call on/off while we walk it. */
	int n = (int)lua_objlen(L, -1);
	lua_createtable(L, n, 0);
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, -2, i);
		lua_getfield(L, -1, "fn");
		lua_rawseti(L, -3, i);
		lua_pop(L, 1);
	}
	int fns = lua_gettop(L);
	push_event_table(L, lc, ev);
	int evt = lua_gettop(L);
	char what[128];
	snprintf(what, sizeof(what), "%s handler", name);
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, fns, i);
		lua_pushvalue(L, evt);
		l2tp_lua_call(lc->rt, L, 1, 0, what);
	}
out:
	lua_settop(L, top);
	/* A tunnel that is down is gone: its object need not be held for
	 * its hooks any more. */
	if (ev->type == L2TP_EVENT_TUNNEL_DOWN)
		l2tp_lua_let_go(L, lc, ev->tunnel_handle);
}

static int ctx_gc(lua_State *L)
{
	struct lctx *lc = luaL_checkudata(L, 1, L2TP_CTX_MT);
	l2tp_context_free(lc->ctx);
	lc->ctx = NULL;
	return 0;
}

int l2tp_lua_context_close_udata(lua_State *L, int idx)
{
	struct lctx *lc = luaL_checkudata(L, idx, L2TP_CTX_MT);
	if (!lc->ctx || l2tp_context_is_closed(lc->ctx))
		return 0;
	l2tp_context_close(lc->ctx);
	return 1;
}

bool l2tp_lua_context_busy_udata(lua_State *L, int idx)
{
	struct lctx *lc = luaL_checkudata(L, idx, L2TP_CTX_MT);
	return lc->ctx && l2tp_context_busy(lc->ctx);
}

struct l2tp_context *l2tp_lua_context_of_udata(lua_State *L, int idx)
{
	struct lctx *lc = luaL_checkudata(L, idx, L2TP_CTX_MT);
	return lc->ctx;
}

void l2tp_lua_context_flush_udata(lua_State *L, int idx)
{
	struct lctx *lc = luaL_checkudata(L, idx, L2TP_CTX_MT);
	if (lc->ctx)
		l2tp_context_flush_events(lc->ctx);
}

static int ctx_close(lua_State *L)
{
	if (!l2tp_lua_context_close_udata(L, 1))
		return l2tp_lua_closed(L);
	lua_pushboolean(L, 1);
	return 1;
}

static struct l2tp_context *open_ctx(lua_State *L, struct lctx **out)
{
	struct lctx *lc = luaL_checkudata(L, 1, L2TP_CTX_MT);
	if (out)
		*out = lc;
	return lc->ctx && !l2tp_context_is_closed(lc->ctx) ? lc->ctx : NULL;
}

/* A LAC's on_outgoing_call hook, kept with the tunnel's object. */
static int ocrq_hook(void *arg, struct l2tp_tunnel *t, const struct l2tp_call_request *req,
		     struct l2tp_session_config *settings, struct l2tp_verdict *v)
{
	struct lctx *lc = arg;
	lua_State *L = lc->rt->L;
	char what[200];
	l2tp_lua_push_obj(L, lc, L2TP_TUNNEL_MT, l2tp_tunnel_handle(t), l2tp_tunnel_name(t));
	bool found = l2tp_lua_cb_push(L, -1, "on_outgoing_call");
	lua_remove(L, found ? -2 : -1);
	if (!found) {
		v->result_code = L2TP_RESULT_CDN_NO_FACILITIES_PERM;
		return -1;
	}
	snprintf(what, sizeof(what), "tunnel '%s' on_outgoing_call hook (refusing the call)", l2tp_tunnel_name(t));
	return l2tp_lua_run_call_hook(lc, what, req, settings, v, L2TP_RESULT_CDN_NO_FACILITIES_PERM);
}

static int create_tunnel(lua_State *L, enum l2tp_tunnel_kind kind, const char *call)
{
	struct lctx *lc;
	struct l2tp_context *ctx = open_ctx(L, &lc);
	struct l2tp_tunnel_config cfg;
	struct l2tp_tunnel *t;
	char err[512], what[300];
	const char *name = l2tp_lua_name_arg(L, 2, call);

	if (!ctx)
		return l2tp_lua_closed(L);
	snprintf(what, sizeof(what), "tunnel '%s'", name);
	l2tp_lua_tunnel_config(L, 3, kind, what, &cfg);
	int rc = l2tp_tunnel_create(ctx, kind, name, &cfg, &t, err, sizeof(err));
	if (rc)
		return l2tp_lua_fail(L, rc, err);
	l2tp_lua_push_obj(L, lc, L2TP_TUNNEL_MT, l2tp_tunnel_handle(t), l2tp_tunnel_name(t));
	if (l2tp_lua_keep_hooks(L, lc, -1, 3, l2tp_tunnel_keys, l2tp_tunnel_kind_keys(kind)))
		l2tp_tunnel_set_ocrq_hook(t, ocrq_hook, lc);
	return 1;
}

static int ctx_static_tunnel(lua_State *L)
{
	return create_tunnel(L, L2TP_TUNNEL_STATIC, "ctx:static_tunnel(name, cfg)");
}

static int ctx_dynamic_tunnel(lua_State *L)
{
	return create_tunnel(L, L2TP_TUNNEL_DYNAMIC, "ctx:dynamic_tunnel(name, cfg)");
}

static int ctx_quiescent_tunnel(lua_State *L)
{
	return create_tunnel(L, L2TP_TUNNEL_QUIESCENT, "ctx:quiescent_tunnel(name, cfg)");
}

static void push_tunnel_cb(struct l2tp_tunnel *t, void *arg)
{
	l2tp_lua_list_add(arg, L2TP_TUNNEL_MT, l2tp_tunnel_handle(t), l2tp_tunnel_name(t));
}

static int ctx_tunnels(lua_State *L)
{
	struct lctx *lc;
	struct l2tp_context *ctx = open_ctx(L, &lc);
	if (!ctx) {
		lua_newtable(L);
		return 1;
	}
	struct l2tp_lua_list pa = {L, lc, 0};
	lua_createtable(L, (int)l2tp_context_tunnel_count(ctx), 0);
	l2tp_context_foreach_tunnel(ctx, push_tunnel_cb, &pa);
	return 1;
}

static int ctx_listeners(lua_State *L)
{
	l2tp_lua_push_listeners(L, l2tp_lua_check_ctx(L, 1));
	return 1;
}

static int ctx_find_tunnel(lua_State *L)
{
	struct lctx *lc;
	struct l2tp_context *ctx = open_ctx(L, &lc);
	const char *name = luaL_checkstring(L, 2);
	struct l2tp_tunnel *t = ctx ? l2tp_tunnel_find(ctx, name) : NULL;
	if (!t) {
		lua_pushnil(L);
		return 1;
	}
	l2tp_lua_push_obj(L, lc, L2TP_TUNNEL_MT, l2tp_tunnel_handle(t), l2tp_tunnel_name(t));
	return 1;
}

static int ctx_on(lua_State *L)
{
	struct lctx *lc = l2tp_lua_check_ctx(L, 1);
	const char *ev = luaL_checkstring(L, 2);
	const char *const *e = event_names;
	while (*e && strcmp(*e, ev) != 0)
		e++;
	if (!*e) {
		/* the accepted list is the table's, so it cannot fall behind */
		char list[256];
		size_t used = 0;
		for (e = event_names; *e; e++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", e == event_names ? "" : ", ", *e);
		return l2tp_lua_error(L, "unknown event '%s' (accepted: %s)", ev, list);
	}
	if (lua_type(L, 3) != LUA_TFUNCTION)
		return l2tp_lua_error(L, "ctx:on('%s', fn): fn must be a function, got %s", ev,
				      lua_isnone(L, 3) ? "no value" : luaL_typename(L, 3));
	lua_getfenv(L, 1);
	lua_getfield(L, -1, "handlers");
	lua_getfield(L, -1, ev);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, ev);
	}
	int id = ++lc->next_handler;
	lua_createtable(L, 0, 2);
	lua_pushinteger(L, id);
	lua_setfield(L, -2, "id");
	lua_pushvalue(L, 3);
	lua_setfield(L, -2, "fn");
	lua_rawseti(L, -2, (int)lua_objlen(L, -2) + 1);
	lua_pushinteger(L, id);
	return 1;
}

static int ctx_off(lua_State *L)
{
	l2tp_lua_check_ctx(L, 1);
	lua_Integer id = luaL_checkinteger(L, 2);
	lua_getfenv(L, 1);
	lua_getfield(L, -1, "handlers");
	int handlers = lua_gettop(L);
	for (const char *const *e = event_names; *e; e++) {
		lua_getfield(L, handlers, *e);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			continue;
		}
		int list = lua_gettop(L), n = (int)lua_objlen(L, list);
		for (int i = 1; i <= n; i++) {
			lua_rawgeti(L, list, i);
			lua_getfield(L, -1, "id");
			lua_Integer got = lua_tointeger(L, -1);
			lua_pop(L, 2);
			if (got != id)
				continue;
			for (int j = i; j < n; j++) {
				lua_rawgeti(L, list, j + 1);
				lua_rawseti(L, list, j);
			}
			lua_pushnil(L);
			lua_rawseti(L, list, n);
			lua_pushboolean(L, 1);
			return 1;
		}
		lua_pop(L, 1);
	}
	lua_pushboolean(L, 0);
	return 1;
}

static void push_kernel_tunnel(const struct l2tp_dp_tunnel *t, const struct l2tp_session_stats *st, void *arg)
{
	struct l2tp_lua_list *pa = arg;
	lua_State *L = pa->L;
	char addr[L2TP_ADDR_STRLEN];
	lua_createtable(L, 0, 8);
	lua_pushnumber(L, t->tid);
	lua_setfield(L, -2, "tid");
	lua_pushnumber(L, t->ptid);
	lua_setfield(L, -2, "ptid");
	lua_pushstring(L, l2tp_version_name(t->version));
	lua_setfield(L, -2, "version");
	lua_pushstring(L, l2tp_encap_name(t->encap));
	lua_setfield(L, -2, "encap");
	if (t->local.ss_family) {
		l2tp_addr_format((const struct sockaddr *)&t->local, addr, sizeof(addr));
		lua_pushstring(L, addr);
		lua_setfield(L, -2, "local");
		l2tp_addr_format((const struct sockaddr *)&t->peer, addr, sizeof(addr));
		lua_pushstring(L, addr);
		lua_setfield(L, -2, "peer");
	}
	l2tp_lua_push_session_stats(L, st);
	lua_setfield(L, -2, "stats");
	lua_rawseti(L, -2, ++pa->n);
}

/* ctx:kernel_tunnels(): what the kernel has, like `ip l2tp show tunnel`,
 * ours or not; nil, message on the null data plane or on failure. */
static int ctx_kernel_tunnels(lua_State *L)
{
	struct lctx *lc;
	struct l2tp_context *ctx = open_ctx(L, &lc);
	char err[256];
	if (!ctx)
		return l2tp_lua_closed(L);
	struct l2tp_lua_list pa = {L, lc, 0};
	lua_newtable(L);
	int rc = l2tp_context_kernel_tunnels(ctx, push_kernel_tunnel, &pa, err, sizeof(err));
	if (rc) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	return 1;
}

/* ctx:stats(): what the context holds now. */
static int ctx_stats(lua_State *L)
{
	struct lctx *lc;
	struct l2tp_context *ctx = open_ctx(L, &lc);
	struct l2tp_context_stats st;
	if (!ctx)
		return l2tp_lua_closed(L);
	l2tp_context_stats(ctx, &st);
	lua_createtable(L, 0, 5);
	lua_pushnumber(L, (double)st.tunnels);
	lua_setfield(L, -2, "tunnels");
	lua_pushnumber(L, (double)st.sessions);
	lua_setfield(L, -2, "sessions");
	lua_pushnumber(L, (double)st.listeners);
	lua_setfield(L, -2, "listeners");
	lua_pushnumber(L, (double)st.lingering);
	lua_setfield(L, -2, "lingering");
	lua_pushnumber(L, (double)st.sockets);
	lua_setfield(L, -2, "sockets");
	return 1;
}

static int ctx_dataplane(lua_State *L)
{
	struct lctx *lc = l2tp_lua_check_ctx(L, 1);
	lua_pushstring(L, lc->ctx ? l2tp_context_dataplane_name(lc->ctx) : "closed");
	return 1;
}

/* ctx:log_level([level]): the context's level, set first if given. */
static int ctx_log_level(lua_State *L)
{
	struct lctx *lc;
	struct l2tp_context *ctx = open_ctx(L, &lc);
	if (!ctx)
		return l2tp_lua_closed(L);
	if (!lua_isnoneornil(L, 2))
		l2tp_context_set_log_level(ctx, l2tp_lua_check_log_level(L, 2, "ctx:log_level: "));
	lua_pushstring(L, l2tp_log_level_name(l2tp_context_log_level(ctx)));
	return 1;
}

static int ctx_is_closed(lua_State *L)
{
	struct lctx *lc = l2tp_lua_check_ctx(L, 1);
	lua_pushboolean(L, !lc->ctx || l2tp_context_is_closed(lc->ctx));
	return 1;
}

static int ctx_tostring(lua_State *L)
{
	struct lctx *lc = l2tp_lua_check_ctx(L, 1);
	lua_pushfstring(L, "l2tp.context (%s%s)", lc->ctx ? l2tp_context_dataplane_name(lc->ctx) : "freed",
			lc->ctx && l2tp_context_is_closed(lc->ctx) ? ", closed" : "");
	return 1;
}

static const luaL_Reg ctx_methods[] = {
	{"static_tunnel", ctx_static_tunnel},
	{"quiescent_tunnel", ctx_quiescent_tunnel},
	{"dynamic_tunnel", ctx_dynamic_tunnel},
	{"listen", l2tp_lua_listen},
	{"pppoe", l2tp_lua_ctx_pppoe},
	{"tunnels", ctx_tunnels},
	{"listeners", ctx_listeners},
	{"find_tunnel", ctx_find_tunnel},
	{"kernel_tunnels", ctx_kernel_tunnels},
	{"stats", ctx_stats},
	{"on", ctx_on},
	{"off", ctx_off},
	{"close", ctx_close},
	{"is_closed", ctx_is_closed},
	{"dataplane", ctx_dataplane},
	{"log_level", ctx_log_level},
	{NULL, NULL},
};

int l2tp_lua_context_new(lua_State *L)
{
	static const char *const keys[] = {"dataplane", "log_level", "max_lingering", NULL};
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	struct l2tp_context_config cc = {0};
	char err[512];

	l2tp_lua_check_keys(L, 1, "context", keys);
	cc.dataplane = &l2tp_dataplane_null;
	cc.log_level = rt->log_level;
	if (lua_istable(L, 1)) {
		lua_getfield(L, 1, "dataplane");
		if (!lua_isnil(L, -1)) {
			const char *name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
			cc.dataplane = name ? l2tp_dataplane_find(name) : NULL;
			if (!cc.dataplane)
				return l2tp_lua_error(L, "context: dataplane %s%s%s is not available (accepted: %s)",
						      name ? "'" : "", name ? name : luaL_typename(L, -1), name ? "'" : "",
						      l2tp_dataplane_find("netlink") ? "null, netlink" : "null");
		}
		lua_pop(L, 1);
		lua_getfield(L, 1, "max_lingering");
		if (!lua_isnil(L, -1)) {
			lua_Number n = lua_tonumber(L, -1);
			if (lua_type(L, -1) != LUA_TNUMBER)
				return l2tp_lua_error(L, "context: max_lingering must be an integer, got %s",
						      luaL_typename(L, -1));
			if (n != (lua_Number)(uint32_t)n || n < 1)
				return l2tp_lua_error(L, "context: max_lingering %.14g is out of range (accepted: 1-4294967295)",
						      n);
			cc.max_lingering = (uint32_t)n;
		}
		lua_pop(L, 1);
		lua_getfield(L, 1, "log_level");
		if (!lua_isnil(L, -1)) {
			const char *name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
			if (!name || l2tp_log_level_parse(name, &cc.log_level) != 0)
				return l2tp_lua_error(L, "context: log_level %s%s%s is not valid (accepted: " L2TP_LOG_LEVELS ")",
						      name ? "'" : "", name ? name : luaL_typename(L, -1), name ? "'" : "");
		}
		lua_pop(L, 1);
	}

	struct lctx *lc = lua_newuserdata(L, sizeof(*lc));
	memset(lc, 0, sizeof(*lc));
	lc->rt = rt;
	luaL_getmetatable(L, L2TP_CTX_MT);
	lua_setmetatable(L, -2);
	lua_createtable(L, 0, 2);
	lua_newtable(L);
	lua_setfield(L, -2, "handlers");
	lua_newtable(L);
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "v");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_setfield(L, -2, "cache");
	lua_setfenv(L, -2);

	cc.log_fn = l2tp_lua_log_sink;
	cc.log_arg = rt;
	cc.event_fn = on_event;
	cc.event_arg = lc;
	int rc = l2tp_context_new(rt->base, &cc, &lc->ctx, err, sizeof(err));
	if (rc) {
		lua_pushnil(L);
		lua_pushfstring(L, "context: %s", err);
		return 2;
	}
	if (rt->pcap)
		l2tp_context_set_pcap(lc->ctx, rt->pcap);
	l2tp_lua_map_ctx(L, -1, lc);
	l2tp_lua_rt_track_context(L, rt, -1);
	return 1;
}

void l2tp_lua_open_context(lua_State *L)
{
	l2tp_lua_class(L, L2TP_CTX_MT, ctx_methods, ctx_gc, ctx_tostring, false);
	l2tp_lua_open_tunnel(L);
	l2tp_lua_open_session(L);
	l2tp_lua_open_listener(L);
}
