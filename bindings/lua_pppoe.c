/* l2tp.pppoe's C half: the discovery codec (encode, decode) for scripted
 * subscribers, and the access concentrator object that ctx:pppoe builds
 * on (lua/pppoe.lua places the L2TP calls). The AC's callbacks run through
 * the one door; a hook that raises is a refusal. */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "l2tp/pppoe.h"
#include "lua_config.h"
#include "lua_objects.h"

#define AC_MT "l2tp.pppoe_ac"
#define SERVE_KEY "l2tp.pppoe.serve"

/* ---- codec ---- */

static void push_tag_type(lua_State *L, uint16_t type)
{
	const char *name = l2tp_pppoe_tag_name(type);
	if (name)
		lua_pushstring(L, name);
	else
		lua_pushinteger(L, type);
}

/* decode(bytes) -> {code, session_id, tags = {{type, value}...}, and the
 * first of each tag by name}, or nil, reason. */
static int l_decode(lua_State *L)
{
	size_t len;
	const uint8_t *buf = (const uint8_t *)luaL_checklstring(L, 1, &len);
	struct l2tp_pppoe_frame f;
	char err[160];
	if (l2tp_pppoe_decode(buf, len, &f, err, sizeof(err)) != 0) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_createtable(L, 0, 8);
	lua_pushstring(L, l2tp_pppoe_code_name(f.code));
	lua_setfield(L, -2, "code");
	lua_pushinteger(L, f.session_id);
	lua_setfield(L, -2, "session_id");
	lua_createtable(L, (int)f.ntags, 0);
	for (unsigned i = 0; i < f.ntags; i++) {
		const struct l2tp_pppoe_tag *t = &f.tags[i];
		lua_createtable(L, 0, 2);
		push_tag_type(L, t->type);
		lua_setfield(L, -2, "type");
		lua_pushlstring(L, (const char *)t->value, t->len);
		lua_setfield(L, -2, "value");
		lua_rawseti(L, -2, (int)i + 1);
		/* the first of each known tag, by name, for easy reading */
		const char *name = l2tp_pppoe_tag_name(t->type);
		if (name) {
			lua_getfield(L, -2, name);
			bool seen = !lua_isnil(L, -1);
			lua_pop(L, 1);
			if (!seen) {
				lua_pushlstring(L, (const char *)t->value, t->len);
				lua_setfield(L, -3, name);
			}
		}
	}
	lua_setfield(L, -2, "tags");
	return 1;
}

/* encode{code = "PADR", session_id = 0, tags = {{"service_name", ""},
 * {type = 0x0103, value = "x"}}} -> bytes. */
static int l_encode(lua_State *L)
{
	struct l2tp_pppoe_tag tags[L2TP_PPPOE_MAX_TAGS];
	unsigned n = 0;
	uint8_t code;
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_getfield(L, 1, "code");
	const char *cname = lua_tostring(L, -1);
	if (!cname || l2tp_pppoe_code_parse(cname, &code) != 0)
		return l2tp_lua_error(L, "l2tp.pppoe.encode: code must be PADI, PADO, PADR, PADS or PADT, got %s",
				      cname ? cname : luaL_typename(L, -1));
	lua_getfield(L, 1, "session_id");
	lua_Number sid = lua_isnil(L, -1) ? 0 : lua_tonumber(L, -1);
	if (sid < 0 || sid > 65535 || sid != (lua_Number)(int)sid)
		return l2tp_lua_error(L, "l2tp.pppoe.encode: session_id must be 0-65535");
	lua_getfield(L, 1, "tags");
	int ti = lua_gettop(L);
	size_t ntags = lua_istable(L, ti) ? lua_objlen(L, ti) : 0;
	if (ntags > L2TP_PPPOE_MAX_TAGS)
		return l2tp_lua_error(L, "l2tp.pppoe.encode: more than %d tags", L2TP_PPPOE_MAX_TAGS);
	for (size_t i = 1; i <= ntags; i++) {
		lua_rawgeti(L, ti, (int)i);
		if (!lua_istable(L, -1))
			return l2tp_lua_error(L, "l2tp.pppoe.encode: tags[%u] must be a table", (unsigned)i);
		lua_getfield(L, -1, "type");
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			lua_rawgeti(L, -1, 1);
		}
		lua_getfield(L, -2, "value");
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			lua_rawgeti(L, -2, 2);
		}
		uint16_t type;
		if (lua_type(L, -2) == LUA_TNUMBER && lua_tonumber(L, -2) >= 0 && lua_tonumber(L, -2) <= 65535)
			type = (uint16_t)lua_tointeger(L, -2);
		else if (lua_type(L, -2) != LUA_TSTRING || l2tp_pppoe_tag_parse(lua_tostring(L, -2), &type) != 0)
			return l2tp_lua_error(L, "l2tp.pppoe.encode: tags[%u] has an unknown type %s", (unsigned)i,
					      lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : luaL_typename(L, -2));
		size_t vl = 0;
		/* strings only: a number converted here would be a new string
		 * that nothing holds once popped */
		if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
			return l2tp_lua_error(L, "l2tp.pppoe.encode: tags[%u].value must be a string, got %s", (unsigned)i,
					      luaL_typename(L, -1));
		const char *v = lua_isnil(L, -1) ? "" : lua_tolstring(L, -1, &vl);
		if (vl > 65535)
			return l2tp_lua_error(L, "l2tp.pppoe.encode: tags[%u].value is longer than 65535 bytes", (unsigned)i);
		/* the strings stay referenced from the caller's table */
		tags[n++] = (struct l2tp_pppoe_tag){type, (uint16_t)vl, (const uint8_t *)v};
		lua_pop(L, 3);
	}
	uint8_t out[L2TP_PPPOE_HDR + L2TP_PPPOE_MAX_PAYLOAD];
	int len = l2tp_pppoe_encode(code, (uint16_t)sid, tags, n, out, sizeof(out));
	if (len < 0)
		return l2tp_lua_error(L, "l2tp.pppoe.encode: the tags do not fit in an Ethernet frame (1494 bytes)");
	lua_pushlstring(L, (const char *)out, (size_t)len);
	return 1;
}

/* ---- the access concentrator ---- */

static struct l2tp_pppoe_ac *ac_arg(lua_State *L, struct lobj **out)
{
	struct lobj *o = luaL_checkudata(L, 1, AC_MT);
	if (out)
		*out = o;
	return o->lc->ctx ? l2tp_pppoe_ac_lookup(o->lc->ctx, o->handle) : NULL;
}

static void push_request(lua_State *L, const struct l2tp_pppoe_request *req)
{
	char mac[18];
	l2tp_mac_format(req->mac, mac);
	lua_createtable(L, 0, 5);
	lua_pushstring(L, mac);
	lua_setfield(L, -2, "mac");
	lua_pushstring(L, req->interface);
	lua_setfield(L, -2, "interface");
	lua_pushlstring(L, (const char *)req->service, req->service_len);
	lua_setfield(L, -2, "service");
	if (req->host_uniq) {
		lua_pushlstring(L, (const char *)req->host_uniq, req->host_uniq_len);
		lua_setfield(L, -2, "host_uniq");
	}
	if (req->session_id) {
		lua_pushinteger(L, req->session_id);
		lua_setfield(L, -2, "session_id");
	}
	if (req->max_payload) {
		lua_pushinteger(L, req->max_payload);
		lua_setfield(L, -2, "max_payload");
	}
}

/* Pushes the AC's object and its callback `which`; false (nothing pushed)
 * without one. */
static bool push_cb(lua_State *L, struct lctx *lc, struct l2tp_pppoe_ac *ac, const char *which)
{
	l2tp_lua_push_obj(L, lc, AC_MT, l2tp_pppoe_ac_handle(ac), l2tp_pppoe_ac_interface(ac));
	if (!l2tp_lua_cb_push(L, -1, which)) {
		lua_pop(L, 1);
		return false;
	}
	lua_insert(L, -2); /* fn, ac */
	return true;
}

static bool on_padi(void *arg, struct l2tp_pppoe_ac *ac, const struct l2tp_pppoe_request *req)
{
	struct lctx *lc = arg;
	lua_State *L = lc->rt->L;
	int top = lua_gettop(L);
	if (!push_cb(L, lc, ac, "on_padi"))
		return true;
	push_request(L, req);
	lua_insert(L, -2); /* fn, req, ac */
	char what[80];
	snprintf(what, sizeof(what), "pppoe %s on_padi hook (no offer)", l2tp_pppoe_ac_interface(ac));
	bool offer = l2tp_lua_call(lc->rt, L, 2, 1, what) == 0 && lua_toboolean(L, -1);
	lua_settop(L, top);
	return offer;
}

static void on_padr(void *arg, struct l2tp_pppoe_ac *ac, const struct l2tp_pppoe_request *req)
{
	struct lctx *lc = arg;
	lua_State *L = lc->rt->L;
	int top = lua_gettop(L);
	uint16_t id = req->session_id;
	if (!push_cb(L, lc, ac, "on_padr")) {
		l2tp_pppoe_ac_refuse(ac, id, L2TP_TAG_AC_SYSTEM_ERROR, "nobody to serve the session", NULL, 0);
		return;
	}
	push_request(L, req);
	lua_insert(L, -2);
	char what[80];
	snprintf(what, sizeof(what), "pppoe %s session handler", l2tp_pppoe_ac_interface(ac));
	if (l2tp_lua_call(lc->rt, L, 2, 0, what) != 0 && l2tp_pppoe_ac_lookup(lc->ctx, l2tp_pppoe_ac_handle(ac)))
		/* a handler that raised leaves nobody placing the call */
		l2tp_pppoe_ac_refuse(ac, id, L2TP_TAG_AC_SYSTEM_ERROR, "session handler failed", NULL, 0);
	lua_settop(L, top);
}

static void on_end(void *arg, struct l2tp_pppoe_ac *ac, uint16_t id, const char *reason)
{
	struct lctx *lc = arg;
	lua_State *L = lc->rt->L;
	int top = lua_gettop(L);
	if (!push_cb(L, lc, ac, "on_end"))
		return;
	lua_pushinteger(L, id);
	lua_pushstring(L, reason);
	lua_pushvalue(L, -3);
	lua_remove(L, -4); /* fn, id, reason, ac */
	char what[80];
	snprintf(what, sizeof(what), "pppoe %s session end handler", l2tp_pppoe_ac_interface(ac));
	l2tp_lua_call(lc->rt, L, 3, 0, what);
	lua_settop(L, top);
}

static unsigned opt_uint(lua_State *L, int cfg, const char *key, unsigned dflt, unsigned lo, unsigned hi)
{
	lua_getfield(L, cfg, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return dflt;
	}
	lua_Number v = lua_tonumber(L, -1);
	if (lua_type(L, -1) != LUA_TNUMBER || v != (lua_Number)(long long)v || v < lo || v > hi)
		l2tp_lua_error(L, "pppoe: %s must be an integer %u-%u, got %s", key, lo, hi,
			       lua_type(L, -1) == LUA_TNUMBER || lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
											: luaL_typename(L, -1));
	lua_pop(L, 1);
	return (unsigned)v;
}

static const char *opt_string(lua_State *L, int cfg, const char *key)
{
	lua_getfield(L, cfg, key);
	if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
		l2tp_lua_error(L, "pppoe: %s must be a string, got %s", key, luaL_typename(L, -1));
	const char *s = lua_tostring(L, -1);
	lua_pop(L, 1); /* still referenced by the table */
	return s;
}

/* _pppoe.ac(ctx, cfg, on_padi, on_padr, on_end): lua/pppoe.lua has checked
 * the table's keys; values are checked here. */
static int l_ac(lua_State *L)
{
	struct lctx *lc = l2tp_lua_check_ctx(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);
	if (!lc->ctx || l2tp_context_is_closed(lc->ctx))
		return l2tp_lua_closed(L);
	struct l2tp_pppoe_ac_config cfg;
	l2tp_pppoe_ac_config_defaults(&cfg);
	cfg.interface = opt_string(L, 2, "interface");
	if (!cfg.interface)
		return l2tp_lua_error(L, "pppoe: interface is required (the subscribers' Ethernet interface)");
	cfg.netns = opt_string(L, 2, "netns");
	cfg.ac_name = opt_string(L, 2, "ac_name");
	cfg.max_sessions = opt_uint(L, 2, "max_sessions", cfg.max_sessions, 1, 65534);
	cfg.max_pending = opt_uint(L, 2, "max_pending", cfg.max_pending, 1, 65534);
	cfg.max_sessions_per_mac = opt_uint(L, 2, "max_sessions_per_mac", cfg.max_sessions_per_mac, 1, 65534);
	cfg.max_offers = opt_uint(L, 2, "max_offers", cfg.max_offers, 1, 1000000);
	cfg.pending_timeout_ms = 1000 * opt_uint(L, 2, "pending_timeout", cfg.pending_timeout_ms / 1000, 1, 3600);
	const char *services[64];
	lua_getfield(L, 2, "services");
	if (!lua_isnil(L, -1)) {
		if (!lua_istable(L, -1))
			return l2tp_lua_error(L, "pppoe: services must be a list of names, got %s", luaL_typename(L, -1));
		size_t n = lua_objlen(L, -1);
		if (n > 60)
			return l2tp_lua_error(L, "pppoe: %u services are more than a PADO carries (at most 60)", (unsigned)n);
		for (size_t i = 1; i <= n; i++) {
			lua_rawgeti(L, -1, (int)i);
			if (lua_type(L, -1) != LUA_TSTRING)
				return l2tp_lua_error(L, "pppoe: services[%u] must be a string, got %s", (unsigned)i,
						      luaL_typename(L, -1));
			services[cfg.nservices++] = lua_tostring(L, -1);
			lua_pop(L, 1);
		}
	}
	cfg.services = services;
	cfg.on_padi = lua_isfunction(L, 3) ? on_padi : NULL;
	cfg.on_padr = on_padr;
	cfg.on_end = on_end;
	cfg.arg = lc;
	struct l2tp_pppoe_ac *ac;
	char err[400];
	int rc = l2tp_pppoe_ac_create(lc->ctx, &cfg, &ac, err, sizeof(err));
	if (rc)
		return l2tp_lua_fail(L, rc, err);
	l2tp_lua_push_obj(L, lc, AC_MT, l2tp_pppoe_ac_handle(ac), l2tp_pppoe_ac_interface(ac));
	int obj = lua_gettop(L);
	if (lua_isfunction(L, 3))
		l2tp_lua_cb_set(L, obj, "on_padi", 3);
	if (lua_isfunction(L, 4))
		l2tp_lua_cb_set(L, obj, "on_padr", 4);
	if (lua_isfunction(L, 5))
		l2tp_lua_cb_set(L, obj, "on_end", 5);
	l2tp_lua_keep(L, lc, obj);
	return 1;
}

static int ac_result(lua_State *L, int rc, const char *err)
{
	if (rc) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

static uint16_t session_arg(lua_State *L, int idx)
{
	lua_Number v = luaL_checknumber(L, idx);
	if (v < 1 || v > 65535 || v != (lua_Number)(int)v)
		l2tp_lua_error(L, "pppoe: session ID must be 1-65535, got %g", v);
	return (uint16_t)v;
}

static int m_confirm(lua_State *L)
{
	struct l2tp_pppoe_ac *ac = ac_arg(L, NULL);
	if (!ac)
		return l2tp_lua_closed(L);
	char err[160];
	return ac_result(L, l2tp_pppoe_ac_confirm(ac, session_arg(L, 2), err, sizeof(err)), err);
}

/* refuse(id, text [, "service_name_error" | "ac_system_error" |
 * "generic_error"]) */
static int m_refuse(lua_State *L)
{
	struct l2tp_pppoe_ac *ac = ac_arg(L, NULL);
	if (!ac)
		return l2tp_lua_closed(L);
	uint16_t id = session_arg(L, 2);
	const char *text = luaL_optstring(L, 3, "");
	uint16_t tag = L2TP_TAG_GENERIC_ERROR;
	if (!lua_isnoneornil(L, 4)) {
		const char *name = luaL_checkstring(L, 4);
		if (l2tp_pppoe_tag_parse(name, &tag) != 0 ||
		    (tag != L2TP_TAG_GENERIC_ERROR && tag != L2TP_TAG_AC_SYSTEM_ERROR &&
		     tag != L2TP_TAG_SERVICE_NAME_ERROR))
			return l2tp_lua_error(L,
					      "pppoe: refusal tag '%s' is not one (accepted: service_name_error, "
					      "ac_system_error, generic_error)",
					      name);
	}
	char err[160];
	return ac_result(L, l2tp_pppoe_ac_refuse(ac, id, tag, text, err, sizeof(err)), err);
}

static int m_terminate(lua_State *L)
{
	struct l2tp_pppoe_ac *ac = ac_arg(L, NULL);
	if (!ac)
		return l2tp_lua_closed(L);
	char err[160];
	return ac_result(L, l2tp_pppoe_ac_terminate(ac, session_arg(L, 2), luaL_optstring(L, 3, ""), err, sizeof(err)),
			 err);
}

static int m_close(lua_State *L)
{
	struct lobj *o;
	struct l2tp_pppoe_ac *ac = ac_arg(L, &o);
	if (!ac)
		return l2tp_lua_closed(L);
	l2tp_pppoe_ac_free(ac);
	l2tp_lua_let_go(L, o->lc, o->handle);
	lua_pushboolean(L, 1);
	return 1;
}

static int m_is_closed(lua_State *L)
{
	lua_pushboolean(L, ac_arg(L, NULL) == NULL);
	return 1;
}

static int m_stats(lua_State *L)
{
	struct l2tp_pppoe_ac *ac = ac_arg(L, NULL);
	if (!ac)
		return l2tp_lua_closed(L);
	struct l2tp_pppoe_ac_stats st;
	l2tp_pppoe_ac_stats(ac, &st);
	const struct l2tp_lua_counter fields[] = {
		{"padi", st.padi},
		{"pado", st.pado},
		{"padr", st.padr},
		{"pads", st.pads},
		{"pads_refused", st.pads_refused},
		{"padt_in", st.padt_in},
		{"padt_out", st.padt_out},
		{"malformed", st.malformed},
		{"bad_cookie", st.bad_cookie},
		{"ignored", st.ignored},
		{"dropped_by_limit", st.dropped_by_limit},
		{"sessions", st.sessions},
		{"pending", st.pending},
	};
	l2tp_lua_push_counters(L, fields, sizeof(fields) / sizeof(fields[0]));
	return 1;
}

static int m_mac(lua_State *L)
{
	struct l2tp_pppoe_ac *ac = ac_arg(L, NULL);
	if (!ac)
		return l2tp_lua_closed(L);
	uint8_t mac[6];
	char text[18];
	l2tp_pppoe_ac_mac(ac, mac);
	l2tp_mac_format(mac, text);
	lua_pushstring(L, text);
	return 1;
}

static void push_session(void *arg, uint16_t id, const uint8_t mac[6], bool confirmed)
{
	lua_State *L = arg;
	char text[18];
	l2tp_mac_format(mac, text);
	lua_createtable(L, 0, 3);
	lua_pushinteger(L, id);
	lua_setfield(L, -2, "session_id");
	lua_pushstring(L, text);
	lua_setfield(L, -2, "mac");
	lua_pushstring(L, confirmed ? "up" : "pending");
	lua_setfield(L, -2, "state");
	lua_rawseti(L, -2, (int)lua_objlen(L, -2) + 1);
}

static int m_sessions(lua_State *L)
{
	struct l2tp_pppoe_ac *ac = ac_arg(L, NULL);
	if (!ac)
		return l2tp_lua_closed(L);
	lua_newtable(L);
	l2tp_pppoe_ac_foreach(ac, push_session, L);
	return 1;
}

static int m_tostring(lua_State *L)
{
	struct lobj *o;
	struct l2tp_pppoe_ac *ac = ac_arg(L, &o);
	lua_pushfstring(L, "l2tp.pppoe_ac '%s'%s", o->name, ac ? "" : " (closed)");
	return 1;
}

/* _pppoe.register(serve): lua/pppoe.lua's ctx:pppoe. */
static int l_register(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_pushvalue(L, 1);
	lua_setfield(L, LUA_REGISTRYINDEX, SERVE_KEY);
	return 0;
}

int l2tp_lua_ctx_pppoe(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, SERVE_KEY);
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

void l2tp_lua_open_pppoe(lua_State *L, int module_idx)
{
	static const luaL_Reg methods[] = {
		{"confirm", m_confirm}, {"refuse", m_refuse},	  {"terminate", m_terminate}, {"close", m_close},
		{"is_closed", m_is_closed}, {"stats", m_stats}, {"mac", m_mac},	  {"sessions", m_sessions},
		{NULL, NULL},
	};
	l2tp_lua_class(L, AC_MT, methods, NULL, m_tostring, true);
	static const luaL_Reg funcs[] = {
		{"encode", l_encode}, {"decode", l_decode}, {"ac", l_ac}, {"register", l_register}, {NULL, NULL}};
	lua_newtable(L);
	luaL_register(L, NULL, funcs);
	lua_setfield(L, module_idx, "_pppoe");
}
