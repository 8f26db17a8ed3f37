/* The `l2tp` module: require "l2tp" under l2tp-run or a plain luajit. */
#include <event2/event.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "embedded.h"
#include "lua_config.h"
#include "lua_objects.h"
#include "runtime.h"

static int l_context(lua_State *L)
{
	return l2tp_lua_context_new(L);
}

static int l_stop(lua_State *L)
{
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	if (!lua_isnoneornil(L, 1)) {
		lua_Number code = lua_tonumber(L, 1);
		if (lua_type(L, 1) != LUA_TNUMBER || code != (int)code || code < 0 || code > 255)
			return l2tp_lua_error(L, "l2tp.stop([exit_code]): exit_code must be an integer 0-255, got %s",
					      luaL_typename(L, 1));
		rt->exit_code = (int)code;
	}
	rt->stop = true;
	event_base_loopbreak(rt->base);
	return 0;
}

/* l2tp.run([timeout]): for scripts and tests outside l2tp-run. Returns
 * true when the loop ended by itself or by l2tp.stop(), nil, "timeout"
 * otherwise. */
static int l_run(lua_State *L)
{
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	double timeout = -1;
	if (!lua_isnoneornil(L, 1)) {
		if (lua_type(L, 1) != LUA_TNUMBER || lua_tonumber(L, 1) < 0)
			return l2tp_lua_error(L, "l2tp.run([timeout]): timeout must be a number of seconds >= 0, got %s",
					      luaL_typename(L, 1));
		timeout = lua_tonumber(L, 1);
	}
	if (l2tp_lua_rt_loop(L, rt, timeout)) {
		lua_pushnil(L);
		lua_pushliteral(L, "timeout");
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

static int l_log(lua_State *L)
{
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	enum l2tp_log_level level = l2tp_lua_check_log_level(L, 1, "l2tp.log: level ");
	if (level > rt->log_level)
		return 0;
	int nargs = lua_gettop(L) - 1;
	lua_getglobal(L, "string");
	lua_getfield(L, -1, "format");
	lua_remove(L, -2);
	lua_insert(L, 2);
	lua_call(L, nargs, 1);
	l2tp_lua_log_sink(rt, level, lua_tostring(L, -1));
	return 0;
}

/* l2tp.log_to(target [, {ident =, path =}]): "stderr" (timestamped),
 * "journal" (journald's "<N>" prefix) or "syslog" (its socket, path
 * /dev/log by default; ident: the name in each line). */
static int l_log_to(lua_State *L)
{
	static const char *const targets[] = {"stderr", "journal", "syslog", NULL};
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	const char *name = luaL_checkstring(L, 1);
	struct l2tp_log_output_config c = {.fd = 2};
	char err[256];
	int i = 0;
	while (targets[i] && strcmp(targets[i], name) != 0)
		i++;
	if (!targets[i])
		return l2tp_lua_error(L, "l2tp.log_to: '%s' is not a log target (accepted: stderr, journal, syslog)", name);
	c.target = (enum l2tp_log_target)i;
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		for (lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1)) {
			const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
			if ((strcmp(k, "ident") != 0 && strcmp(k, "path") != 0) || lua_type(L, -1) != LUA_TSTRING)
				return l2tp_lua_error(L, "l2tp.log_to: option '%s' is not valid (accepted: ident and path, "
							 "strings)", k);
		}
		lua_getfield(L, 2, "ident");
		c.ident = lua_tostring(L, -1);
		lua_getfield(L, 2, "path");
		c.path = lua_tostring(L, -1);
	}
	if (l2tp_lua_rt_log_to(rt, &c, err, sizeof(err)) != 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "l2tp.log_to: %s", err);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

static int l_log_level(lua_State *L)
{
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	if (!lua_isnoneornil(L, 1))
		rt->log_level = l2tp_lua_check_log_level(L, 1, "l2tp.log_level: ");
	lua_pushstring(L, l2tp_log_level_name(rt->log_level));
	return 1;
}

static int l_now(lua_State *L)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
	return 1;
}

/* l2tp.contexts(): the open contexts, oldest first (what an operator's
 * commands walk). */
static int l_contexts(lua_State *L)
{
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	lua_newtable(L);
	int out = lua_gettop(L);
	lua_newtable(L);
	int order = lua_gettop(L), n = 0;
	lua_rawgeti(L, LUA_REGISTRYINDEX, rt->contexts_ref);
	for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) {
		struct l2tp_context *ctx = l2tp_lua_context_of_udata(L, -2);
		if (!ctx || l2tp_context_is_closed(ctx))
			continue;
		lua_pushvalue(L, -2);
		lua_rawseti(L, out, ++n);
		lua_pushvalue(L, -1);
		lua_rawseti(L, order, n);
	}
	lua_pop(L, 1);
	/* Few contexts: an insertion sort by creation number. */
	for (int i = 2; i <= n; i++) {
		for (int j = i; j > 1; j--) {
			lua_rawgeti(L, order, j - 1);
			lua_rawgeti(L, order, j);
			bool swap = lua_tonumber(L, -2) > lua_tonumber(L, -1);
			lua_pop(L, 2);
			if (!swap)
				break;
			for (int t = out; t <= order; t++) {
				lua_rawgeti(L, t, j - 1);
				lua_rawgeti(L, t, j);
				lua_rawseti(L, t, j - 1);
				lua_rawseti(L, t, j);
			}
		}
	}
	lua_pop(L, 1);
	return 1;
}

static const luaL_Reg funcs[] = {
	{"contexts", l_contexts},
	{"context", l_context},
	{"stop", l_stop},
	{"run", l_run},
	{"log", l_log},
	{"log_level", l_log_level},
	{"log_to", l_log_to},
	{"now", l_now},
	{"check_config", l2tp_lua_check_config},
	{NULL, NULL},
};

int luaopen_l2tp(lua_State *L)
{
	l2tp_lua_rt(L);
	lua_newtable(L);
	int mod = lua_gettop(L);
	luaL_register(L, NULL, funcs);
	lua_pushliteral(L, L2TP_VERSION_STRING);
	lua_setfield(L, mod, "version");
	l2tp_lua_open_context(L);
	l2tp_lua_open_timer(L, mod);
	l2tp_lua_open_codec(L, mod);
	l2tp_lua_open_udp(L, mod);
	l2tp_lua_open_results(L, mod);
	l2tp_lua_open_signal(L, mod);
	l2tp_lua_open_control(L, mod);
	l2tp_lua_open_pcap(L, mod);
	l2tp_lua_open_pppoe(L, mod);
	/* The Lua parts last: each chunk gets the module built so far. */
	for (const struct l2tp_lua_embedded *e = l2tp_lua_embedded; e->name; e++) {
		char chunkname[64];
		snprintf(chunkname, sizeof(chunkname), "=l2tp/%s.lua", e->name);
		if (luaL_loadbuffer(L, e->source, e->len, chunkname) != 0)
			return lua_error(L);
		lua_pushvalue(L, mod);
		lua_call(L, 1, 1);
		lua_setfield(L, mod, e->name);
	}
	return 1;
}
