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

static struct l2tp_listener *listener_arg(lua_State *L, struct lobj **out)
{
	struct lobj *o = luaL_checkudata(L, 1, LISTENER_MT);
	if (out)
		*out = o;
	return o->lc->ctx ? l2tp_listener_lookup(o->lc->ctx, o->handle) : NULL;
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

/* Pushes the listener's hook named `which`; false if it has none. */
static bool push_hook(lua_State *L, struct lctx *lc, struct l2tp_listener *l, const char *which)
{
	l2tp_lua_push_obj(L, lc, LISTENER_MT, l2tp_listener_handle(l), l2tp_listener_name(l));
	bool found = l2tp_lua_cb_push(L, -1, which);
	lua_remove(L, found ? -2 : -1);
	return found;
}

/* An on_tunnel hook's table: the settings it chooses for the tunnel. A
 * mistake refuses the tunnel and is logged, as a hook that fails. */
static bool tunnel_settings_from(lua_State *L, int idx, const char *what, struct l2tp_tunnel_settings *out)
{
	for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
		const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		if (!key || strcmp(key, "secret") != 0) {
			l2tp_lua_logf(l2tp_lua_rt(L), L2TP_LOG_ERROR, "%s: unknown key '%s' in its answer (accepted: secret)",
				      what, key ? key : luaL_typename(L, -2));
			lua_pop(L, 2);
			return false;
		}
		size_t n;
		const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
		if (!s || n == 0 || n >= sizeof(out->secret) || memchr(s, '\0', n)) {
			l2tp_lua_logf(l2tp_lua_rt(L), L2TP_LOG_ERROR,
				      "%s: secret must be a non-empty string of up to %u bytes, got %s", what,
				      (unsigned)sizeof(out->secret) - 1, luaL_typename(L, -1));
			lua_pop(L, 2);
			return false;
		}
		memcpy(out->secret, s, n + 1);
	}
	return true;
}

static int on_tunnel(void *arg, struct l2tp_listener *l, const struct l2tp_tunnel_request *req,
		     struct l2tp_tunnel_settings *settings, struct l2tp_verdict *v)
{
	struct lctx *lc = arg;
	lua_State *L = lc->rt->L;
	int top = lua_gettop(L), rc = 0;
	char what[200];
	if (!push_hook(L, lc, l, "on_tunnel"))
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
	lua_pushinteger(L, req->version);
	lua_setfield(L, -2, "version");
	snprintf(what, sizeof(what), "listener '%s' on_tunnel hook (refusing %s)", l2tp_listener_name(l), req->peer);
	if (l2tp_lua_call(lc->rt, L, 1, 2, what) != 0) {
		hook_failed(v, "admission hook failed");
		rc = -1;
	} else if (lua_type(L, top + 1) == LUA_TTABLE) {
		if (!tunnel_settings_from(L, top + 1, what, settings)) {
			hook_failed(v, "admission hook failed");
			rc = -1;
		}
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
	if (l2tp_tunnel_config(req->tunnel)->version == L2TP_V3) {
		lua_pushstring(L, l2tp_pseudowire_name(req->pseudowire));
		lua_setfield(L, -2, "pseudowire");
		lua_pushstring(L, req->remote_end_id);
		lua_setfield(L, -2, "remote_end_id");
	}
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
	struct lctx *lc = arg;
	char what[200];
	if (!push_hook(lc->rt->L, lc, l, "on_call"))
		return 0;
	snprintf(what, sizeof(what), "listener '%s' on_call hook (refusing the call)", l2tp_listener_name(l));
	return l2tp_lua_run_call_hook(lc, what, req, settings, v, L2TP_RESULT_CDN_NO_FACILITIES_PERM);
}

/* (settings table, config pointer, tunnel name): reads the hook's session
 * settings over the config, raising on a mistake. */
static int apply_call_settings(lua_State *L)
{
	char what[200];
	snprintf(what, sizeof(what), "on_call settings for tunnel '%s'", lua_tostring(L, 3));
	l2tp_lua_call_settings(L, 1, what, lua_touserdata(L, 2));
	return 0;
}

int l2tp_lua_listen(lua_State *L)
{
	struct lctx *lc = l2tp_lua_check_ctx(L, 1);
	const char *name = l2tp_lua_name_arg(L, 2, "ctx:listen(name, cfg)");
	struct l2tp_listener_config cfg;
	struct l2tp_listener *l;
	char what[200], err[512];
	if (!lc->ctx || l2tp_context_is_closed(lc->ctx))
		return l2tp_lua_closed(L);
	snprintf(what, sizeof(what), "listener '%s'", name);
	l2tp_lua_listener_config(L, 3, what, &cfg);
	cfg.on_tunnel = on_tunnel;
	cfg.on_call = on_call;
	cfg.hook_arg = lc;
	int rc = l2tp_listener_create(lc->ctx, name, &cfg, &l, err, sizeof(err));
	if (rc)
		return l2tp_lua_fail(L, rc, err);
	l2tp_lua_push_obj(L, lc, LISTENER_MT, l2tp_listener_handle(l), name);
	l2tp_lua_keep_hooks(L, lc, -1, 3, l2tp_listener_keys, L2TP_KEYS_LISTENER);
	return 1;
}

static int l_close(lua_State *L)
{
	struct lobj *o;
	struct l2tp_listener *l = listener_arg(L, &o);
	if (!l)
		return l2tp_lua_closed(L);
	l2tp_listener_close(l);
	l2tp_lua_let_go(L, o->lc, o->handle);
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
	const struct l2tp_lua_counter fields[] = {
		{"accepted", st.accepted},
		{"refused_by_hook", st.refused_by_hook},
		{"refused_by_limit", st.refused_by_limit},
		{"refused_malformed", st.refused_malformed},
		{"refused_auth", st.refused_auth},
		{"refused_version", st.refused_version},
		{"refused_address", st.refused_address},
		{"evicted", st.evicted},
		{"setup_timeouts", st.setup_timeouts},
		{"answers_dropped", st.answers_dropped},
		{"calls_accepted", st.calls_accepted},
		{"calls_refused", st.calls_refused},
		{"tunnels", st.tunnels},
		{"pending", st.pending},
		{"sessions", st.sessions},
	};
	l2tp_lua_push_counters(L, fields, sizeof(fields) / sizeof(fields[0]));
	return 1;
}

static int l_tostring(lua_State *L)
{
	struct lobj *o;
	struct l2tp_listener *l = listener_arg(L, &o);
	lua_pushfstring(L, "l2tp.listener '%s'%s", o->name, l ? "" : " (closed)");
	return 1;
}

static void push_listener_cb(struct l2tp_listener *l, void *arg)
{
	l2tp_lua_list_add(arg, LISTENER_MT, l2tp_listener_handle(l), l2tp_listener_name(l));
}

void l2tp_lua_push_listeners(lua_State *L, struct lctx *lc)
{
	struct l2tp_lua_list pa = {L, lc, 0};
	lua_newtable(L);
	if (lc->ctx)
		l2tp_context_foreach_listener(lc->ctx, push_listener_cb, &pa);
}

void l2tp_lua_open_listener(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{"close", l_close}, {"address", l_address}, {"stats", l_stats}, {NULL, NULL}};
	l2tp_lua_class(L, LISTENER_MT, methods, NULL, l_tostring, true);
}
