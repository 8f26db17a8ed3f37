#include "runtime.h"

#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/pcap.h"

#define RT_KEY "l2tp.runtime"

static int rt_gc(lua_State *L)
{
	struct l2tp_lua_rt *rt = luaL_checkudata(L, 1, RT_KEY);
	l2tp_lua_signals_free(rt);
	l2tp_pcap_unref(rt->pcap);
	rt->pcap = NULL;
	l2tp_log_output_free(rt->log_out);
	rt->log_out = NULL;
	if (rt->base) {
		event_base_free(rt->base);
		rt->base = NULL;
	}
	return 0;
}

struct l2tp_lua_rt *l2tp_lua_rt(lua_State *L)
{
	struct l2tp_lua_rt *rt;
	lua_getfield(L, LUA_REGISTRYINDEX, RT_KEY "#instance");
	rt = lua_touserdata(L, -1);
	lua_pop(L, 1);
	if (rt)
		return rt;

	rt = lua_newuserdata(L, sizeof(*rt));
	memset(rt, 0, sizeof(*rt));
	rt->base = event_base_new();
	if (!rt->base)
		luaL_error(L, "cannot create the libevent base");
	rt->L = L;
	rt->log_level = L2TP_LOG_INFO;
	if (luaL_newmetatable(L, RT_KEY)) {
		lua_pushcfunction(L, rt_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	lua_newtable(L);
	rt->contexts_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	/* The registry keeps the runtime alive as long as the state. */
	lua_setfield(L, LUA_REGISTRYINDEX, RT_KEY "#instance");
	return rt;
}

int l2tp_lua_error(lua_State *L, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Level 1: the Lua code that called the C function. */
	luaL_where(L, 1);
	lua_pushstring(L, msg);
	lua_concat(L, 2);
	return lua_error(L);
}

int l2tp_lua_rt_log_to(struct l2tp_lua_rt *rt, const struct l2tp_log_output_config *cfg, char *err, size_t errlen)
{
	struct l2tp_log_output *o;
	int rc = l2tp_log_output_open(cfg, &o, err, errlen);
	if (rc)
		return rc;
	l2tp_log_output_free(rt->log_out);
	rt->log_out = o;
	return 0;
}

void l2tp_lua_log_sink(void *arg, enum l2tp_log_level level, const char *line)
{
	struct l2tp_lua_rt *rt = arg;
	if (!rt->log_out) {
		/* Under systemd stderr is journald's stream: it takes the
		 * priority from a prefix and has its own timestamps. */
		struct l2tp_log_output_config c = {.target = L2TP_LOG_TO_STDERR, .fd = 2};
		char err[256];
		if (l2tp_log_fd_is_journal(2))
			c.target = L2TP_LOG_TO_JOURNAL;
		if (l2tp_log_output_open(&c, &rt->log_out, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s: %s\n", l2tp_log_level_name(level), line);
			return;
		}
	}
	l2tp_log_output_write(rt->log_out, level, line);
}

void l2tp_lua_logf(struct l2tp_lua_rt *rt, enum l2tp_log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	if (level > rt->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	l2tp_lua_log_sink(rt, level, line);
}

static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	if (!msg) {
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			return 1;
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	}
	lua_getglobal(L, "debug");
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "traceback");
		if (lua_isfunction(L, -1)) {
			lua_pushstring(L, msg);
			lua_pushinteger(L, 2);
			lua_call(L, 2, 1);
			return 1;
		}
	}
	lua_pushstring(L, msg);
	return 1;
}

int l2tp_lua_call(struct l2tp_lua_rt *rt, lua_State *L, int nargs, int nresults, const char *what)
{
	int base = lua_gettop(L) - nargs; /* index of the function */
	int status;
	lua_pushcfunction(L, traceback);
	lua_insert(L, base);
	status = lua_pcall(L, nargs, nresults, base);
	lua_remove(L, base);
	if (status != 0) {
		const char *err = lua_tostring(L, -1);
		l2tp_lua_logf(rt, L2TP_LOG_ERROR, "%s: %s", what, err ? err : "(no message)");
		lua_pop(L, 1);
	}
	return status;
}

void l2tp_lua_cb_set(lua_State *L, int owner, const char *name, int fn)
{
	owner = owner < 0 ? lua_gettop(L) + owner + 1 : owner;
	fn = fn < 0 ? lua_gettop(L) + fn + 1 : fn;
	lua_getfenv(L, owner);
	if (fn)
		lua_pushvalue(L, fn);
	else
		lua_pushnil(L);
	lua_setfield(L, -2, name);
	lua_pop(L, 1);
}

bool l2tp_lua_cb_push(lua_State *L, int owner, const char *name)
{
	lua_getfenv(L, owner);
	lua_getfield(L, -1, name);
	lua_remove(L, -2);
	if (lua_isfunction(L, -1))
		return true;
	lua_pop(L, 1);
	return false;
}

#define ANCHORS_KEY "l2tp.anchors"

static void anchor_set(lua_State *L, const void *udata, int idx)
{
	lua_getfield(L, LUA_REGISTRYINDEX, ANCHORS_KEY);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		if (!idx)
			return;
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, ANCHORS_KEY);
	}
	lua_pushlightuserdata(L, (void *)udata);
	if (idx)
		lua_pushvalue(L, idx);
	else
		lua_pushnil(L);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

void l2tp_lua_anchor(lua_State *L, int idx)
{
	idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
	anchor_set(L, lua_touserdata(L, idx), idx);
}

void l2tp_lua_unanchor(lua_State *L, const void *udata)
{
	anchor_set(L, udata, 0);
}

bool l2tp_lua_push_anchored(lua_State *L, const void *udata)
{
	lua_getfield(L, LUA_REGISTRYINDEX, ANCHORS_KEY);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return false;
	}
	lua_pushlightuserdata(L, (void *)udata);
	lua_rawget(L, -2);
	lua_remove(L, -2);
	if (!lua_isnil(L, -1))
		return true;
	lua_pop(L, 1);
	return false;
}

void l2tp_lua_rt_track_context(lua_State *L, struct l2tp_lua_rt *rt, int idx)
{
	idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
	lua_rawgeti(L, LUA_REGISTRYINDEX, rt->contexts_ref);
	lua_pushvalue(L, idx);
	/* The value orders l2tp.contexts() by creation. */
	lua_pushnumber(L, (lua_Number)++rt->contexts_made);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

/* Drops contexts that are closed with nothing left to deliver, and says
 * whether any busy one is left. */
static bool contexts_alive(lua_State *L, struct l2tp_lua_rt *rt)
{
	bool alive = false;
	lua_rawgeti(L, LUA_REGISTRYINDEX, rt->contexts_ref);
	int tbl = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, tbl)) {
		lua_pop(L, 1);
		if (l2tp_lua_context_busy_udata(L, -1)) {
			alive = true;
		} else {
			/* Removing the current key during lua_next is allowed. */
			lua_pushvalue(L, -1);
			lua_pushnil(L);
			lua_rawset(L, tbl);
		}
	}
	lua_pop(L, 1);
	return alive;
}

bool l2tp_lua_rt_alive(lua_State *L, struct l2tp_lua_rt *rt)
{
	bool ctx_alive = contexts_alive(L, rt);
	return rt->timers > 0 || rt->children > 0 || ctx_alive;
}

static void loop_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	*(bool *)arg = true;
}

int l2tp_lua_rt_loop(lua_State *L, struct l2tp_lua_rt *rt, double timeout)
{
	lua_State *saved = rt->L;
	bool timed_out = false;
	struct event *tev = NULL;

	rt->L = L;
	rt->stop = false;
	if (timeout >= 0) {
		struct timeval tv = {(time_t)timeout, (suseconds_t)((timeout - (double)(time_t)timeout) * 1e6)};
		tev = evtimer_new(rt->base, loop_timeout_cb, &timed_out);
		evtimer_add(tev, &tv);
	}
	while (!rt->stop && !timed_out && l2tp_lua_rt_alive(L, rt))
		event_base_loop(rt->base, EVLOOP_ONCE);
	if (tev)
		event_free(tev);
	rt->L = saved;
	rt->stop = false;
	return timed_out ? 1 : 0;
}

int l2tp_lua_rt_foreach_context(lua_State *L, struct l2tp_lua_rt *rt, void (*fn)(struct l2tp_context *ctx, void *arg),
				void *arg)
{
	int n = 0;
	lua_rawgeti(L, LUA_REGISTRYINDEX, rt->contexts_ref);
	int tbl = lua_gettop(L);
	for (lua_pushnil(L); lua_next(L, tbl); lua_pop(L, 1)) {
		struct l2tp_context *ctx = l2tp_lua_context_of_udata(L, -2);
		if (ctx && !l2tp_context_is_closed(ctx)) {
			fn(ctx, arg);
			n++;
		}
	}
	lua_pop(L, 1);
	return n;
}

enum l2tp_log_level l2tp_lua_check_log_level(lua_State *L, int idx, const char *prefix)
{
	enum l2tp_log_level level;
	const char *name = luaL_checkstring(L, idx);
	if (l2tp_log_level_parse(name, &level) != 0)
		l2tp_lua_error(L, "%s'%s' is not valid (accepted: " L2TP_LOG_LEVELS ")", prefix, name);
	return level;
}

void l2tp_lua_rt_close_all(lua_State *L, struct l2tp_lua_rt *rt)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, rt->contexts_ref);
	int tbl = lua_gettop(L);
	/* Collect first: closing delivers events, and callbacks may change the table. */
	lua_newtable(L);
	int list = lua_gettop(L), n = 0;
	lua_pushnil(L);
	while (lua_next(L, tbl)) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_rawseti(L, list, ++n);
	}
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, list, i);
		l2tp_lua_context_close_udata(L, -1);
		/* Scripts see their down events before the process exits. */
		l2tp_lua_context_flush_udata(L, -1);
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
}
