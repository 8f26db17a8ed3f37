/* Signals an operator or a service manager sends a running daemon: SIGHUP,
 * SIGUSR1 and SIGUSR2 are events on the loop, never a reason to die without
 * cleaning up. A script handles them with l2tp.on_signal(name, fn); SIGUSR1
 * also writes the state report of every context to the log first. The
 * handlers run on the loop, between events, like any callback. */
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "runtime.h"

static const struct {
	const char *name;
	int signo;
} signals[L2TP_LUA_NSIGNALS] = {{"HUP", SIGHUP}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}};

static int signal_index(const char *name)
{
	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	for (int i = 0; i < L2TP_LUA_NSIGNALS; i++)
		if (strcmp(name, signals[i].name) == 0)
			return i;
	return -1;
}

static void report_line(void *arg, const char *text)
{
	l2tp_lua_log_sink(arg, L2TP_LOG_INFO, text);
}

/* SIGUSR1: the report, whatever the log level (the operator asked). */
static void report_context(struct l2tp_context *ctx, void *arg)
{
	l2tp_context_report(ctx, report_line, arg);
}

static void report(lua_State *L, struct l2tp_lua_rt *rt)
{
	l2tp_lua_log_sink(rt, L2TP_LOG_INFO, "SIGUSR1: state report");
	if (l2tp_lua_rt_foreach_context(L, rt, report_context, rt) == 0)
		l2tp_lua_log_sink(rt, L2TP_LOG_INFO, "no open context");
}

static void on_signal(evutil_socket_t signo, short what, void *arg)
{
	struct l2tp_lua_rt *rt = arg;
	lua_State *L = rt->L;
	(void)what;
	for (int i = 0; i < L2TP_LUA_NSIGNALS; i++) {
		if (signals[i].signo != signo)
			continue;
		if (signo == SIGUSR1)
			report(L, rt);
		lua_rawgeti(L, LUA_REGISTRYINDEX, rt->signals_ref);
		lua_getfield(L, -1, signals[i].name);
		lua_remove(L, -2);
		if (lua_isfunction(L, -1)) {
			char what_[64];
			snprintf(what_, sizeof(what_), "SIG%s handler", signals[i].name);
			lua_pushstring(L, signals[i].name);
			if (l2tp_lua_call(rt, L, 1, 0, what_) != 0)
				return; /* logged; the process lives on */
		} else {
			lua_pop(L, 1);
			if (signo != SIGUSR1)
				l2tp_lua_logf(rt, L2TP_LOG_INFO, "SIG%s received: no handler (l2tp.on_signal), ignored",
					      signals[i].name);
		}
	}
}

void l2tp_lua_signals_install(struct l2tp_lua_rt *rt)
{
	for (int i = 0; i < L2TP_LUA_NSIGNALS; i++) {
		if (rt->signal_events[i])
			continue;
		rt->signal_events[i] = evsignal_new(rt->base, signals[i].signo, on_signal, rt);
		if (rt->signal_events[i])
			evsignal_add(rt->signal_events[i], NULL);
	}
}

void l2tp_lua_signals_free(struct l2tp_lua_rt *rt)
{
	for (int i = 0; i < L2TP_LUA_NSIGNALS; i++) {
		if (rt->signal_events[i])
			event_free(rt->signal_events[i]);
		rt->signal_events[i] = NULL;
	}
}

/* l2tp.on_signal(name, fn): fn(name) runs on the loop when the process
 * gets that signal; nil removes it. Taking a signal makes the process
 * keep living when it arrives, handled or not. */
static int l_on_signal(lua_State *L)
{
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	const char *name = luaL_checkstring(L, 1);
	int i = signal_index(name);
	if (i < 0)
		return l2tp_lua_error(L, "l2tp.on_signal: signal '%s' is not one a script handles (accepted: HUP, USR1, USR2)",
				      name);
	if (!lua_isnil(L, 2) && !lua_isfunction(L, 2))
		return l2tp_lua_error(L, "l2tp.on_signal('%s', fn): fn must be a function or nil, got %s", signals[i].name,
				      luaL_typename(L, 2));
	l2tp_lua_signals_install(rt);
	lua_rawgeti(L, LUA_REGISTRYINDEX, rt->signals_ref);
	lua_pushvalue(L, 2);
	lua_setfield(L, -2, signals[i].name);
	lua_pop(L, 1);
	return 0;
}

void l2tp_lua_open_signal(lua_State *L, int module_idx)
{
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	if (!rt->signals_ref) {
		lua_newtable(L);
		rt->signals_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	lua_pushcfunction(L, l_on_signal);
	lua_setfield(L, module_idx, "on_signal");
}
