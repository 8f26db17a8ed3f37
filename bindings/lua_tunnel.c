/* l2tp.tunnel objects: a handle plus the context; looked up on every call. */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "lua_config.h"
#include "lua_objects.h"
#include "l2tp/transport.h"

static int tunnel_session(lua_State *L)
{
	struct lobj *o;
	struct l2tp_tunnel *t = l2tp_lua_tunnel_arg(L, 1, &o);
	const char *name = l2tp_lua_name_arg(L, 2, "tunnel:session(name, cfg)");
	struct l2tp_session_config cfg;
	struct l2tp_session *s;
	char err[512], what[300];

	if (!t)
		return l2tp_lua_closed(L);
	snprintf(what, sizeof(what), "session '%s/%s'", o->name, name);
	l2tp_lua_session_config(L, 3, l2tp_tunnel_config(t)->version, l2tp_session_maker_kind(l2tp_tunnel_kind(t)), what,
				&cfg);
	int rc = l2tp_session_create(t, name, &cfg, &s, err, sizeof(err));
	if (rc)
		return l2tp_lua_fail(L, rc, err);
	l2tp_lua_push_obj(L, o->lc, L2TP_SESSION_MT, l2tp_session_handle(s), l2tp_session_name(s));
	return 1;
}

static int tunnel_close(lua_State *L)
{
	struct l2tp_tunnel *t = l2tp_lua_tunnel_arg(L, 1, NULL);
	if (!t)
		return l2tp_lua_closed(L);
	l2tp_tunnel_close(t, luaL_optstring(L, 2, "closed by script"));
	lua_pushboolean(L, 1);
	return 1;
}

static void push_session_cb(struct l2tp_session *s, void *arg)
{
	l2tp_lua_list_add(arg, L2TP_SESSION_MT, l2tp_session_handle(s), l2tp_session_name(s));
}

static int tunnel_sessions(lua_State *L)
{
	struct lobj *o;
	struct l2tp_tunnel *t = l2tp_lua_tunnel_arg(L, 1, &o);
	if (!t) {
		lua_newtable(L);
		return 1;
	}
	struct l2tp_lua_list pa = {L, o->lc, 0};
	lua_createtable(L, (int)l2tp_tunnel_session_count(t), 0);
	l2tp_tunnel_foreach_session(t, push_session_cb, &pa);
	return 1;
}

static int tunnel_find_session(lua_State *L)
{
	struct lobj *o;
	struct l2tp_tunnel *t = l2tp_lua_tunnel_arg(L, 1, &o);
	struct l2tp_session *s = t ? l2tp_session_find(t, luaL_checkstring(L, 2)) : NULL;
	if (!s) {
		lua_pushnil(L);
		return 1;
	}
	l2tp_lua_push_obj(L, o->lc, L2TP_SESSION_MT, l2tp_session_handle(s), l2tp_session_name(s));
	return 1;
}

static int tunnel_config(lua_State *L)
{
	struct l2tp_tunnel *t = l2tp_lua_tunnel_arg(L, 1, NULL);
	if (!t)
		return l2tp_lua_closed(L);
	l2tp_lua_push_tunnel_config(L, l2tp_tunnel_config(t));
	return 1;
}

static int tunnel_kind(lua_State *L)
{
	struct l2tp_tunnel *t = l2tp_lua_tunnel_arg(L, 1, NULL);
	if (!t)
		return l2tp_lua_closed(L);
	lua_pushstring(L, l2tp_tunnel_kind_name(l2tp_tunnel_kind(t)));
	return 1;
}

static void field(lua_State *L, const char *k, double v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

/* tunnel:stats(): the control channel's counters (static tunnels have
 * none: an empty table). */
static int tunnel_stats(lua_State *L)
{
	struct l2tp_tunnel *t = l2tp_lua_tunnel_arg(L, 1, NULL);
	struct l2tp_transport_stats st;
	if (!t)
		return l2tp_lua_closed(L);
	lua_newtable(L);
	if (l2tp_tunnel_control_stats(t, &st) != 0)
		return 1;
	field(L, "tx_messages", (double)st.tx_messages);
	field(L, "tx_retransmits", (double)st.tx_retransmits);
	field(L, "tx_zlbs", (double)st.tx_zlbs);
	field(L, "tx_errors", (double)st.tx_errors);
	field(L, "rx_messages", (double)st.rx_messages);
	field(L, "rx_duplicates", (double)st.rx_duplicates);
	field(L, "rx_out_of_order", (double)st.rx_out_of_order);
	field(L, "rx_zlbs", (double)st.rx_zlbs);
	field(L, "rx_bad", (double)st.rx_bad);
	field(L, "rx_bad_digest", (double)st.rx_bad_digest);
	field(L, "rx_stray", (double)st.rx_stray);
	field(L, "in_flight", st.in_flight);
	field(L, "queued", st.queued);
	field(L, "cwnd", st.cwnd);
	field(L, "tx_window", st.tx_window);
	return 1;
}

static int tunnel_state(lua_State *L)
{
	struct l2tp_tunnel *t = l2tp_lua_tunnel_arg(L, 1, NULL);
	lua_pushstring(L, t ? l2tp_tunnel_state_name(t) : "closed");
	return 1;
}

/* tunnel:addresses(): local, peer as "host:port" (nil while unknown). */
static int tunnel_addresses(lua_State *L)
{
	struct l2tp_tunnel *t = l2tp_lua_tunnel_arg(L, 1, NULL);
	if (!t)
		return l2tp_lua_closed(L);
	const char *a[2] = {l2tp_tunnel_local(t), l2tp_tunnel_peer(t)};
	for (int i = 0; i < 2; i++) {
		if (a[i][0])
			lua_pushstring(L, a[i]);
		else
			lua_pushnil(L);
	}
	return 2;
}

static int tunnel_is_up(lua_State *L)
{
	struct l2tp_tunnel *t = l2tp_lua_tunnel_arg(L, 1, NULL);
	lua_pushboolean(L, t && l2tp_tunnel_is_up(t));
	return 1;
}

static int tunnel_is_closed(lua_State *L)
{
	lua_pushboolean(L, l2tp_lua_tunnel_arg(L, 1, NULL) == NULL);
	return 1;
}

static int tunnel_tostring(lua_State *L)
{
	struct lobj *o;
	struct l2tp_tunnel *t = l2tp_lua_tunnel_arg(L, 1, &o);
	lua_pushfstring(L, "l2tp.tunnel '%s'%s", o->name, t ? "" : " (closed)");
	return 1;
}

static const luaL_Reg methods[] = {
	{"session", tunnel_session},
	{"close", tunnel_close},
	{"sessions", tunnel_sessions},
	{"find_session", tunnel_find_session},
	{"config", tunnel_config},
	{"kind", tunnel_kind},
	{"stats", tunnel_stats},
	{"is_up", tunnel_is_up},
	{"state", tunnel_state},
	{"addresses", tunnel_addresses},
	{"is_closed", tunnel_is_closed},
	{NULL, NULL},
};

void l2tp_lua_open_tunnel(lua_State *L)
{
	l2tp_lua_class(L, L2TP_TUNNEL_MT, methods, NULL, tunnel_tostring, true);
}
