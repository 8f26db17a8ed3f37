/* l2tp.timer / l2tp.every: libevent timers that call Lua through the one
 * door. A pending timer keeps itself (and the loop) alive even when the
 * script drops its handle. */
#include <event2/event.h>
#include <lauxlib.h>
#include <math.h>
#include <string.h>

#include "runtime.h"

#define TIMER_MT "l2tp.timer"

struct ltimer {
	struct event *ev;
	struct l2tp_lua_rt *rt;
	bool periodic;
	bool pending;
};

static void timer_disarm(lua_State *L, struct ltimer *t)
{
	if (!t->pending)
		return;
	t->pending = false;
	t->rt->timers--;
	event_del(t->ev);
	l2tp_lua_unanchor(L, t);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ltimer *t = arg;
	lua_State *L = t->rt->L;
	int top = lua_gettop(L);
	(void)fd, (void)what;

	/* Hold the object on the stack: disarming lets the anchor go. */
	if (!l2tp_lua_push_anchored(L, t))
		return;
	if (!t->periodic)
		timer_disarm(L, t);
	if (!l2tp_lua_cb_push(L, top + 1, "fn")) {
		lua_settop(L, top);
		return;
	}
	lua_pushvalue(L, top + 1);
	l2tp_lua_call(t->rt, L, 1, 0, t->periodic ? "l2tp.every callback" : "l2tp.timer callback");
	lua_settop(L, top);
}

static int new_timer(lua_State *L, bool periodic)
{
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	const char *fname = periodic ? "l2tp.every" : "l2tp.timer";
	if (lua_type(L, 1) != LUA_TNUMBER)
		return l2tp_lua_error(L, "%s(seconds, fn): seconds must be a number, got %s", fname, luaL_typename(L, 1));
	double secs = lua_tonumber(L, 1);
	if (!(secs >= 0) || secs > 1e9 || (periodic && secs <= 0))
		return l2tp_lua_error(L, "%s(seconds, fn): seconds %g is out of range (accepted: %s)", fname, secs,
				      periodic ? "greater than 0" : "0 or more");
	if (lua_type(L, 2) != LUA_TFUNCTION)
		return l2tp_lua_error(L, "%s(seconds, fn): fn must be a function, got %s", fname,
				      lua_isnone(L, 2) ? "no value" : luaL_typename(L, 2));

	struct ltimer *t = lua_newuserdata(L, sizeof(*t));
	memset(t, 0, sizeof(*t));
	t->rt = rt;
	t->periodic = periodic;
	luaL_getmetatable(L, TIMER_MT);
	lua_setmetatable(L, -2);
	lua_newtable(L);
	lua_setfenv(L, -2);
	t->ev = event_new(rt->base, -1, periodic ? EV_PERSIST : 0, timer_cb, t);
	if (!t->ev)
		return l2tp_lua_error(L, "%s: out of memory", fname);
	l2tp_lua_cb_set(L, -1, "fn", 2);
	struct timeval tv = {(time_t)floor(secs), (suseconds_t)((secs - floor(secs)) * 1e6)};
	if (event_add(t->ev, &tv) != 0)
		return l2tp_lua_error(L, "%s: cannot arm the timer", fname);
	l2tp_lua_anchor(L, -1);
	t->pending = true;
	rt->timers++;
	return 1;
}

static int l_timer(lua_State *L)
{
	return new_timer(L, false);
}

static int l_every(lua_State *L)
{
	return new_timer(L, true);
}

static int timer_cancel(lua_State *L)
{
	struct ltimer *t = luaL_checkudata(L, 1, TIMER_MT);
	bool was = t->pending;
	timer_disarm(L, t);
	lua_pushboolean(L, was);
	return 1;
}

static int timer_pending(lua_State *L)
{
	struct ltimer *t = luaL_checkudata(L, 1, TIMER_MT);
	lua_pushboolean(L, t->pending);
	return 1;
}

static int timer_gc(lua_State *L)
{
	struct ltimer *t = luaL_checkudata(L, 1, TIMER_MT);
	if (t->pending) {
		/* Only reachable when the whole state closes. */
		t->pending = false;
		t->rt->timers--;
	}
	if (t->ev) {
		event_free(t->ev);
		t->ev = NULL;
	}
	return 0;
}

static int timer_tostring(lua_State *L)
{
	struct ltimer *t = luaL_checkudata(L, 1, TIMER_MT);
	lua_pushfstring(L, "l2tp.timer (%s%s)", t->periodic ? "periodic, " : "", t->pending ? "pending" : "done");
	return 1;
}

void l2tp_lua_open_timer(lua_State *L, int module_idx)
{
	static const luaL_Reg methods[] = {{"cancel", timer_cancel}, {"pending", timer_pending}, {NULL, NULL}};
	l2tp_lua_class(L, TIMER_MT, methods, timer_gc, timer_tostring, false);
	lua_pushcfunction(L, l_timer);
	lua_setfield(L, module_idx, "timer");
	lua_pushcfunction(L, l_every);
	lua_setfield(L, module_idx, "every");
}
