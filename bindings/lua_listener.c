/* ctx:listen(name, cfg): an LNS, with Lua admission hooks. The hooks run
 * through the one door (l2tp_lua_call): a hook that raises refuses, and the
 * runtime goes on. */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "l2tp/codec.h"
#include "lua_config.h"
#include "lua_objects.h"

#define LISTENER_MT "l2tp.listener"

/* Laid out as struct lobj, so listener.name works as for tunnels; the
 * hooks live in a registry table keyed by the object's address. */
struct llistener {
	struct lctx *lc;
	uint64_t handle;
	char name[];
};

#define HOOKS_KEY "l2tp.listener.hooks"

static struct l2tp_listener *listener_arg(lua_State *L, struct llistener **out)
{
	struct llistener *ll = luaL_checkudata(L, 1, LISTENER_MT);
	if (out)
		*out = ll;
	return ll->lc->ctx ? l2tp_listener_lookup(ll->lc->ctx, ll->handle) : NULL;
}

/* A code given by number or by its name in l2tp.result / l2tp.error. */
static void code_from(lua_State *L, int idx, uint16_t msg_type, bool error, uint16_t *out)
{
	if (lua_type(L, idx) == LUA_TNUMBER) {
		*out = (uint16_t)lua_tointeger(L, idx);
	} else if (lua_type(L, idx) == LUA_TSTRING) {
		const char *name = lua_tostring(L, idx);
		bool ok = error ? l2tp_lua_error_code(name, out) : l2tp_lua_result_code(msg_type, name, out);
		if (!ok)
			l2tp_lua_logf(l2tp_lua_rt(L), L2TP_LOG_ERROR, "hook verdict: unknown %s '%s' (see l2tp.%s)",
				      error ? "error code" : "result code", name,
				      error ? "error" : msg_type == L2TP_MSG_STOPCCN ? "result.stopccn" : "result.cdn");
	}
}

/* A hook's refusal: a result code, a message, or a table of result,
 * error and message; msg_type says whose result codes (StopCCN, CDN). */
static void verdict_from(lua_State *L, int idx, struct l2tp_verdict *v, uint16_t msg_type, uint16_t default_result)
{
	v->result_code = default_result;
	if (lua_type(L, idx) == LUA_TNUMBER) {
		v->result_code = (uint16_t)lua_tointeger(L, idx);
		if (lua_type(L, idx + 1) == LUA_TSTRING)
			snprintf(v->message, sizeof(v->message), "%s", lua_tostring(L, idx + 1));
	} else if (lua_type(L, idx) == LUA_TSTRING) {
		snprintf(v->message, sizeof(v->message), "%s", lua_tostring(L, idx));
	} else if (lua_type(L, idx) == LUA_TTABLE) {
		lua_getfield(L, idx, "result");
		code_from(L, lua_gettop(L), msg_type, false, &v->result_code);
		lua_getfield(L, idx, "error");
		code_from(L, lua_gettop(L), msg_type, true, &v->error_code);
		lua_getfield(L, idx, "message");
		if (lua_isstring(L, -1))
			snprintf(v->message, sizeof(v->message), "%s", lua_tostring(L, -1));
		lua_pop(L, 3);
	}
}

static void hook_failed(struct l2tp_verdict *v, const char *why)
{
	v->result_code = L2TP_RESULT_CDN_ERROR; /* 2 in StopCCN and CDN alike */
	v->error_code = L2TP_ERROR_VENDOR;
	snprintf(v->message, sizeof(v->message), "%s", why);
}

/* Pushes the hook named `which`; false if there is none. */
static bool push_hook(lua_State *L, struct llistener *ll, const char *which)
{
	lua_getfield(L, LUA_REGISTRYINDEX, HOOKS_KEY);
	lua_pushlightuserdata(L, ll);
	lua_rawget(L, -2);
	if (!lua_istable(L, -1)) {
		lua_pop(L, 2);
		return false;
	}
	lua_getfield(L, -1, which);
	lua_remove(L, -2);
	lua_remove(L, -2);
	if (lua_isfunction(L, -1))
		return true;
	lua_pop(L, 1);
	return false;
}

static int on_tunnel(void *arg, struct l2tp_listener *l, const struct l2tp_tunnel_request *req, struct l2tp_verdict *v)
{
	struct llistener *ll = arg;
	lua_State *L = ll->lc->rt->L;
	int top = lua_gettop(L), rc = 0;
	char what[200];
	(void)l;
	if (!push_hook(L, ll, "on_tunnel"))
		return 0;
	lua_createtable(L, 0, 4);
	lua_pushstring(L, req->peer);
	lua_setfield(L, -2, "peer");
	lua_pushstring(L, req->host_name);
	lua_setfield(L, -2, "host_name");
	lua_pushstring(L, req->vendor_name);
	lua_setfield(L, -2, "vendor_name");
	lua_pushnumber(L, req->peer_tid);
	lua_setfield(L, -2, "peer_tunnel_id");
	snprintf(what, sizeof(what), "listener '%s' on_tunnel hook (refusing %s)", ll->name, req->peer);
	if (l2tp_lua_call(ll->lc->rt, L, 1, 2, what) != 0) {
		hook_failed(v, "admission hook failed");
		rc = -1;
	} else if (!lua_toboolean(L, top + 1)) {
		verdict_from(L, top + 2, v, L2TP_MSG_STOPCCN, L2TP_RESULT_STOPCCN_NOT_AUTHORIZED);
		rc = -1;
	}
	lua_settop(L, top);
	return rc;
}

static int apply_call_settings(lua_State *L);

/* Runs the call hook on top of the stack for req, through the one door:
 * true accepts, false [, result [, message]] refuses, a table accepts with
 * those session settings (read like any config; a bad one refuses). */
int l2tp_lua_run_call_hook(struct lctx *lc, const char *what, const struct l2tp_call_request *req,
			   struct l2tp_session_config *settings, struct l2tp_verdict *v, uint16_t default_result)
{
	lua_State *L = lc->rt->L;
	int top = lua_gettop(L) - 1, rc = 0;
	lua_createtable(L, 0, 8);
	l2tp_lua_push_obj(L, lc, L2TP_TUNNEL_MT, l2tp_tunnel_handle(req->tunnel), l2tp_tunnel_name(req->tunnel));
	lua_setfield(L, -2, "tunnel");
	lua_pushnumber(L, req->peer_sid);
	lua_setfield(L, -2, "peer_session_id");
	lua_pushnumber(L, req->serial);
	lua_setfield(L, -2, "serial");
	lua_pushnumber(L, req->bearer_type);
	lua_setfield(L, -2, "bearer_type");
	lua_pushstring(L, req->calling_number);
	lua_setfield(L, -2, "calling_number");
	lua_pushstring(L, req->called_number);
	lua_setfield(L, -2, "called_number");
	lua_pushstring(L, req->sub_address);
	lua_setfield(L, -2, "sub_address");
	if (l2tp_lua_call(lc->rt, L, 1, 3, what) != 0) {
		hook_failed(v, "admission hook failed");
		rc = -1;
	} else if (lua_istable(L, top + 1)) {
		/* Read through the one door, so a bad table refuses the call
		 * instead of raising here. */
		lua_pushcfunction(L, apply_call_settings);
		lua_pushvalue(L, top + 1);
		lua_pushlightuserdata(L, settings);
		lua_pushstring(L, l2tp_tunnel_name(req->tunnel));
		if (l2tp_lua_call(lc->rt, L, 3, 0, what) != 0) {
			hook_failed(v, "bad session settings from the hook");
			rc = -1;
		}
	} else if (!lua_toboolean(L, top + 1)) {
		verdict_from(L, top + 2, v, L2TP_MSG_CDN, default_result);
		rc = -1;
	}
	lua_settop(L, top);
	return rc;
}

static int on_call(void *arg, struct l2tp_listener *l, const struct l2tp_call_request *req,
		   struct l2tp_session_config *settings, struct l2tp_verdict *v)
{
	struct llistener *ll = arg;
	char what[200];
	(void)l;
	if (!push_hook(ll->lc->rt->L, ll, "on_call"))
		return 0;
	snprintf(what, sizeof(what), "listener '%s' on_call hook (refusing the call)", ll->name);
	return l2tp_lua_run_call_hook(ll->lc, what, req, settings, v, L2TP_RESULT_CDN_NO_FACILITIES_PERM);
}

/* (settings table, config pointer, tunnel name): reads the hook's session
 * settings into the config, raising on a mistake. */
static int apply_call_settings(lua_State *L)
{
	static const char *const keys[] = {"pppd", "pppd_args", "interface_name", "seqnum", NULL};
	struct l2tp_session_config *cfg = lua_touserdata(L, 2);
	char what[200];
	snprintf(what, sizeof(what), "on_call settings for tunnel '%s'", lua_tostring(L, 3));
	l2tp_lua_check_keys(L, 1, what, keys);
	struct l2tp_session_config parsed;
	l2tp_lua_session_config(L, 1, L2TP_V2, L2TP_TUNNEL_DYNAMIC, what, &parsed);
	memcpy(cfg->pppd_args, parsed.pppd_args, sizeof(cfg->pppd_args));
	memcpy(cfg->pppd_extra, parsed.pppd_extra, sizeof(cfg->pppd_extra));
	memcpy(cfg->interface_name, parsed.interface_name, sizeof(cfg->interface_name));
	cfg->seqnum = parsed.seqnum;
	return 0;
}

int l2tp_lua_listen(lua_State *L)
{
	static const char *const keys[] = {"local", "max_tunnels", "max_sessions", "max_pending", "tunnel_port",
					   "on_tunnel", "on_call", "window_size", "hello_timeout", "retry_timeout",
					   "max_retries", "max_retry_timeout", "ack_timeout", "stopccn_timeout",
					   "setup_timeout", "host_name", "framing_caps", "secret", "hide_avps", NULL};
	static const char *const own[] = {"local", "max_tunnels", "max_sessions", "max_pending", "tunnel_port",
					  "on_tunnel", "on_call", NULL};
	struct lctx *lc = l2tp_lua_check_ctx(L, 1);
	const char *name = l2tp_lua_name_arg(L, 2, "ctx:listen(name, cfg)");
	struct l2tp_listener_config cfg;
	char what[200], err[512];
	if (!lc->ctx || l2tp_context_is_closed(lc->ctx))
		return l2tp_lua_closed(L);
	snprintf(what, sizeof(what), "listener '%s'", name);
	l2tp_lua_check_keys(L, 3, what, keys);
	l2tp_listener_config_defaults(&cfg);

	/* The tunnel template: every key but the listener's own. */
	lua_newtable(L);
	int tmpl = lua_gettop(L);
	if (lua_istable(L, 3)) {
		lua_pushnil(L);
		while (lua_next(L, 3)) {
			const char *k = lua_tostring(L, -2);
			bool mine = false;
			for (const char *const *o = own; *o; o++)
				mine |= strcmp(*o, k) == 0;
			if (mine) {
				lua_pop(L, 1);
			} else {
				lua_pushvalue(L, -2);
				lua_insert(L, -2);
				lua_rawset(L, tmpl);
			}
		}
		lua_getfield(L, 3, "local");
		if (!lua_isnil(L, -1)) {
			if (lua_type(L, -1) != LUA_TSTRING)
				return l2tp_lua_error(L, "%s: local must be a string, got %s", what, luaL_typename(L, -1));
			snprintf(cfg.local, sizeof(cfg.local), "%s", lua_tostring(L, -1));
		}
		lua_pop(L, 1);
		static const char *const limits[] = {"max_tunnels", "max_sessions", "max_pending"};
		uint32_t *fields[] = {&cfg.max_tunnels, &cfg.max_sessions, &cfg.max_pending};
		for (int i = 0; i < 3; i++) {
			lua_getfield(L, 3, limits[i]);
			if (!lua_isnil(L, -1)) {
				lua_Number n = lua_tonumber(L, -1);
				if (lua_type(L, -1) != LUA_TNUMBER || n != (lua_Number)(uint32_t)n)
					return l2tp_lua_error(L, "%s: %s must be an integer 0-4294967295, got %s", what, limits[i],
							      luaL_typename(L, -1));
				*fields[i] = (uint32_t)n;
			}
			lua_pop(L, 1);
		}
		lua_getfield(L, 3, "tunnel_port");
		if (!lua_isnil(L, -1)) {
			const char *v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
			if (v && strcmp(v, "same") == 0)
				cfg.tunnel_port = L2TP_TUNNEL_PORT_SAME;
			else if (v && strcmp(v, "new") == 0)
				cfg.tunnel_port = L2TP_TUNNEL_PORT_NEW;
			else
				return l2tp_lua_error(L, "%s: tunnel_port %s%s%s is not valid (accepted: \"same\", \"new\")", what,
						      v ? "'" : "", v ? v : luaL_typename(L, -1), v ? "'" : "");
		}
		lua_pop(L, 1);
		static const char *const hooks[] = {"on_tunnel", "on_call"};
		for (int i = 0; i < 2; i++) {
			lua_getfield(L, 3, hooks[i]);
			if (!lua_isnil(L, -1) && !lua_isfunction(L, -1))
				return l2tp_lua_error(L, "%s: %s must be a function, got %s", what, hooks[i], luaL_typename(L, -1));
			lua_pop(L, 1);
		}
	}
	l2tp_lua_tunnel_config(L, tmpl, L2TP_TUNNEL_DYNAMIC, what, &cfg.tunnel);

	struct llistener *ll = lua_newuserdata(L, sizeof(*ll) + strlen(name) + 1);
	memset(ll, 0, sizeof(*ll));
	strcpy(ll->name, name);
	ll->lc = lc;
	luaL_getmetatable(L, LISTENER_MT);
	lua_setmetatable(L, -2);
	lua_getfield(L, LUA_REGISTRYINDEX, HOOKS_KEY);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, HOOKS_KEY);
	}
	lua_pushlightuserdata(L, ll);
	lua_createtable(L, 0, 2);
	if (lua_istable(L, 3)) {
		lua_getfield(L, 3, "on_tunnel");
		lua_setfield(L, -2, "on_tunnel");
		lua_getfield(L, 3, "on_call");
		lua_setfield(L, -2, "on_call");
	}
	lua_rawset(L, -3);
	lua_pop(L, 1);
	/* The listener keeps its context alive. */
	lua_createtable(L, 1, 0);
	lua_pushvalue(L, 1);
	lua_rawseti(L, -2, 1);
	lua_setfenv(L, -2);
	cfg.on_tunnel = on_tunnel;
	cfg.on_call = on_call;
	cfg.hook_arg = ll;
	struct l2tp_listener *l;
	int rc = l2tp_listener_create(lc->ctx, name, &cfg, &l, err, sizeof(err));
	if (rc)
		return l2tp_lua_fail(L, rc, err);
	ll->handle = l2tp_listener_handle(l);
	/* A listener lives as long as its context, not as long as the script
	 * holds the object: the context's table anchors it (and so the
	 * argument its hooks are called with). */
	lua_getfenv(L, 1);
	lua_getfield(L, -1, "listeners");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, "listeners");
	}
	lua_pushvalue(L, -3);
	lua_pushboolean(L, 1);
	lua_rawset(L, -3);
	lua_pop(L, 2);
	return 1;
}

static int l_close(lua_State *L)
{
	struct l2tp_listener *l = listener_arg(L, NULL);
	if (!l)
		return l2tp_lua_closed(L);
	l2tp_listener_close(l);
	lua_pushboolean(L, 1);
	return 1;
}

static int l_address(lua_State *L)
{
	struct l2tp_listener *l = listener_arg(L, NULL);
	if (!l)
		return l2tp_lua_closed(L);
	lua_pushstring(L, l2tp_listener_address(l));
	return 1;
}

static int l_stats(lua_State *L)
{
	struct l2tp_listener *l = listener_arg(L, NULL);
	struct l2tp_listener_stats st;
	if (!l)
		return l2tp_lua_closed(L);
	l2tp_listener_stats(l, &st);
	const struct {
		const char *name;
		uint64_t v;
	} fields[] = {
		{"accepted", st.accepted},
		{"refused_by_hook", st.refused_by_hook},
		{"refused_by_limit", st.refused_by_limit},
		{"refused_malformed", st.refused_malformed},
		{"refused_auth", st.refused_auth},
		{"refused_version", st.refused_version},
		{"evicted", st.evicted},
		{"setup_timeouts", st.setup_timeouts},
		{"answers_dropped", st.answers_dropped},
		{"calls_accepted", st.calls_accepted},
		{"calls_refused", st.calls_refused},
		{"tunnels", st.tunnels},
		{"pending", st.pending},
		{"sessions", st.sessions},
	};
	lua_createtable(L, 0, (int)(sizeof(fields) / sizeof(fields[0])));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		lua_pushnumber(L, (double)fields[i].v);
		lua_setfield(L, -2, fields[i].name);
	}
	return 1;
}

static int l_gc(lua_State *L)
{
	struct llistener *ll = luaL_checkudata(L, 1, LISTENER_MT);
	/* Reached only with the context (which anchors us) being collected:
	 * its core listener is gone or goes with it. */
	lua_getfield(L, LUA_REGISTRYINDEX, HOOKS_KEY);
	if (lua_istable(L, -1)) {
		lua_pushlightuserdata(L, ll);
		lua_pushnil(L);
		lua_rawset(L, -3);
	}
	return 0;
}

static int l_tostring(lua_State *L)
{
	struct llistener *ll;
	struct l2tp_listener *l = listener_arg(L, &ll);
	lua_pushfstring(L, "l2tp.listener '%s'%s", ll->name, l ? "" : " (closed)");
	return 1;
}

void l2tp_lua_open_listener(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{"close", l_close}, {"address", l_address}, {"stats", l_stats}, {NULL, NULL}};
	l2tp_lua_class(L, LISTENER_MT, methods, l_gc, l_tostring, true);
}
