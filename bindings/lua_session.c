/* l2tp.session objects: a handle plus the context; looked up on every call. */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "lua_config.h"
#include "lua_objects.h"

static int session_close(lua_State *L)
{
	struct l2tp_session *s = l2tp_lua_session_arg(L, 1, NULL);
	if (!s)
		return l2tp_lua_closed(L);
	l2tp_session_close(s, luaL_optstring(L, 2, "closed by script"));
	lua_pushboolean(L, 1);
	return 1;
}

/* session:set_circuit(up): true, or nil and why (not established yet);
 * raises where it can never work (not an L2TPv3 call). */
static int session_set_circuit(lua_State *L)
{
	struct lobj *o;
	struct l2tp_session *s = l2tp_lua_session_arg(L, 1, &o);
	char err[256], msg[400];
	if (!s)
		return l2tp_lua_closed(L);
	if (lua_type(L, 2) != LUA_TBOOLEAN)
		return l2tp_lua_error(L, "session:set_circuit(up): up must be a boolean, got %s", luaL_typename(L, 2));
	int rc = l2tp_session_set_circuit(s, lua_toboolean(L, 2), err, sizeof(err));
	if (rc) {
		snprintf(msg, sizeof(msg), "session '%s/%s': %s", l2tp_tunnel_name(l2tp_session_tunnel(s)), o->name, err);
		return l2tp_lua_fail(L, rc, msg);
	}
	lua_pushboolean(L, 1);
	return 1;
}

static int session_state(lua_State *L)
{
	struct l2tp_session *s = l2tp_lua_session_arg(L, 1, NULL);
	lua_pushstring(L, s ? l2tp_session_state_name(s) : "closed");
	return 1;
}

static int session_interface_name(lua_State *L)
{
	struct l2tp_session *s = l2tp_lua_session_arg(L, 1, NULL);
	if (!s)
		return l2tp_lua_closed(L);
	const char *ifname = l2tp_session_interface_name(s);
	if (ifname)
		lua_pushstring(L, ifname);
	else
		lua_pushnil(L);
	return 1;
}

static void set_counter(lua_State *L, const char *name, uint64_t v)
{
	lua_pushnumber(L, (lua_Number)v);
	lua_setfield(L, -2, name);
}

void l2tp_lua_push_session_stats(lua_State *L, const struct l2tp_session_stats *st)
{
	lua_createtable(L, 0, 10);
	set_counter(L, "tx_packets", st->tx_packets);
	set_counter(L, "tx_bytes", st->tx_bytes);
	set_counter(L, "tx_errors", st->tx_errors);
	set_counter(L, "rx_packets", st->rx_packets);
	set_counter(L, "rx_bytes", st->rx_bytes);
	set_counter(L, "rx_errors", st->rx_errors);
	set_counter(L, "rx_seq_discards", st->rx_seq_discards);
	set_counter(L, "rx_oos_packets", st->rx_oos_packets);
	set_counter(L, "rx_cookie_discards", st->rx_cookie_discards);
	set_counter(L, "rx_invalid", st->rx_invalid);
}

static int session_stats(lua_State *L)
{
	struct l2tp_session *s = l2tp_lua_session_arg(L, 1, NULL);
	struct l2tp_session_stats st;
	char err[256];
	if (!s)
		return l2tp_lua_closed(L);
	int rc = l2tp_session_stats(s, &st, err, sizeof(err));
	if (rc) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	l2tp_lua_push_session_stats(L, &st);
	return 1;
}

static int session_config(lua_State *L)
{
	struct l2tp_session *s = l2tp_lua_session_arg(L, 1, NULL);
	if (!s)
		return l2tp_lua_closed(L);
	l2tp_lua_push_session_config(L, l2tp_session_config(s));
	return 1;
}

static int session_tunnel(lua_State *L)
{
	struct lobj *o;
	struct l2tp_session *s = l2tp_lua_session_arg(L, 1, &o);
	if (!s)
		return l2tp_lua_closed(L);
	struct l2tp_tunnel *t = l2tp_session_tunnel(s);
	l2tp_lua_push_obj(L, o->lc, L2TP_TUNNEL_MT, l2tp_tunnel_handle(t), l2tp_tunnel_name(t));
	return 1;
}

static int session_is_up(lua_State *L)
{
	struct l2tp_session *s = l2tp_lua_session_arg(L, 1, NULL);
	lua_pushboolean(L, s && l2tp_session_is_up(s));
	return 1;
}

static int session_is_closed(lua_State *L)
{
	lua_pushboolean(L, l2tp_lua_session_arg(L, 1, NULL) == NULL);
	return 1;
}

static int session_tostring(lua_State *L)
{
	struct lobj *o;
	struct l2tp_session *s = l2tp_lua_session_arg(L, 1, &o);
	if (s)
		lua_pushfstring(L, "l2tp.session '%s/%s'", l2tp_tunnel_name(l2tp_session_tunnel(s)), o->name);
	else
		lua_pushfstring(L, "l2tp.session '%s' (closed)", o->name);
	return 1;
}

static const luaL_Reg methods[] = {
	{"close", session_close},
	{"set_circuit", session_set_circuit},
	{"interface_name", session_interface_name},
	{"stats", session_stats},
	{"config", session_config},
	{"tunnel", session_tunnel},
	{"is_up", session_is_up},
	{"state", session_state},
	{"is_closed", session_is_closed},
	{NULL, NULL},
};

void l2tp_lua_open_session(lua_State *L)
{
	l2tp_lua_class(L, L2TP_SESSION_MT, methods, NULL, session_tostring, true);
}
