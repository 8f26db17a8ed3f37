/* The bindings' shared runtime: one per Lua state. It owns (or borrows) the
 * libevent base, counts what keeps the loop alive, and is the one door
 * through which C calls into Lua. Private to bindings/. */
#ifndef L2TP_LUA_RUNTIME_H
#define L2TP_LUA_RUNTIME_H

#include <lauxlib.h>
#include <lua.h>
#include <stdbool.h>

#include "l2tp/l2tp.h"
#include "l2tp/log.h"

struct event_base;
struct event;

#define L2TP_LUA_NSIGNALS 3 /* HUP, USR1, USR2: see lua_signal.c */

struct l2tp_lua_rt {
	struct event_base *base;
	lua_State *L;	  /* the thread that runs the loop; callbacks run on it */
	bool stop;	  /* l2tp.stop() was called */
	int exit_code;	  /* l2tp.stop(code): what l2tp-run exits with */
	int timers;	  /* pending timers: they keep the loop alive */
	int children;	  /* child processes and listening sockets: they keep the loop alive */
	enum l2tp_log_level log_level; /* for l2tp.log and new contexts without one */
	int contexts_ref; /* registry: context userdata kept alive while busy -> creation number */
	unsigned long contexts_made;
	int signals_ref;  /* registry: l2tp.on_signal handlers by signal name */
	struct event *signal_events[L2TP_LUA_NSIGNALS];
	struct l2tp_log_output *log_out; /* NULL until the first line: stderr, or journald's stream */
	struct l2tp_pcap *pcap;		 /* l2tp.pcap: every context captures into it */
	char udp_buf[65536]; /* l2tp.udp sockets read into it, one at a time */
};

/* Returns the runtime for L, creating it (and an event base) on first use. */
struct l2tp_lua_rt *l2tp_lua_rt(lua_State *L);

/* Runs the loop until l2tp.stop(), nothing is left to run, or timeout
 * seconds (timeout < 0: none) have passed. Returns 1 if it stopped on the
 * timeout, 0 otherwise. */
int l2tp_lua_rt_loop(lua_State *L, struct l2tp_lua_rt *rt, double timeout);
/* True while timers, children or open contexts remain. */
bool l2tp_lua_rt_alive(lua_State *L, struct l2tp_lua_rt *rt);
/* Calls fn for every open context of the runtime; returns how many. */
int l2tp_lua_rt_foreach_context(lua_State *L, struct l2tp_lua_rt *rt, void (*fn)(struct l2tp_context *ctx, void *arg),
				void *arg);
/* The log level named by the string at idx; raises "<prefix>'<name>' is
 * not valid (accepted: ...)" for any other. */
enum l2tp_log_level l2tp_lua_check_log_level(lua_State *L, int idx, const char *prefix);
/* Closes every context (as on SIGTERM) and delivers their last events. */
void l2tp_lua_rt_close_all(lua_State *L, struct l2tp_lua_rt *rt);

/* The one door into Lua: calls the function below nargs arguments on the
 * runtime's thread with a traceback handler. On error it logs "what: error"
 * and traceback, leaves the stack as it was before the function was pushed,
 * and returns the pcall status. On success nresults values are left. */
int l2tp_lua_call(struct l2tp_lua_rt *rt, lua_State *L, int nargs, int nresults, const char *what);

/* Sends the log elsewhere from now on (l2tp.log_to, l2tp-run --syslog). */
int l2tp_lua_rt_log_to(struct l2tp_lua_rt *rt, const struct l2tp_log_output_config *cfg, char *err, size_t errlen);
/* Logging sink shared by contexts and l2tp.log. */
void l2tp_lua_log_sink(void *arg, enum l2tp_log_level level, const char *line);
void l2tp_lua_logf(struct l2tp_lua_rt *rt, enum l2tp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Registers a context userdata (at index idx) as busy: kept alive by the
 * runtime until it is closed and its events are delivered. */
void l2tp_lua_rt_track_context(lua_State *L, struct l2tp_lua_rt *rt, int idx);

/* The one store for Lua callbacks: a callback lives in the environment
 * table of the object it belongs to (a context's event handlers, a
 * listener's or tunnel's hooks, a timer's or socket's function), under its
 * name, so it goes when its owner goes. cb_set with fn 0 removes it;
 * cb_push pushes it and says whether there is one. */
void l2tp_lua_cb_set(lua_State *L, int owner, const char *name, int fn);
bool l2tp_lua_cb_push(lua_State *L, int owner, const char *name);
/* Objects that must live while the loop needs them though the script has
 * let them go (a pending timer, a socket with a handler): anchored in the
 * runtime and found again by their address. */
void l2tp_lua_anchor(lua_State *L, int idx);
void l2tp_lua_unanchor(lua_State *L, const void *udata);
bool l2tp_lua_push_anchored(lua_State *L, const void *udata);

/* Creates the metatable mt for a class of userdata: methods behind
 * __index (which, with serves_name, also answers obj.name for tunnels and
 * sessions), __gc (may be NULL) and __tostring. */
void l2tp_lua_class(lua_State *L, const char *mt, const luaL_Reg *methods, lua_CFunction gc,
		    lua_CFunction tostring, bool serves_name);

/* Pushes a Lua error "msg" with the caller's file:line. */
int l2tp_lua_error(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Object registration, one per file. */
void l2tp_lua_open_context(lua_State *L);
void l2tp_lua_open_timer(lua_State *L, int module_idx);
void l2tp_lua_open_codec(lua_State *L, int module_idx);
void l2tp_lua_open_udp(lua_State *L, int module_idx);
void l2tp_lua_open_results(lua_State *L, int module_idx);
void l2tp_lua_open_signal(lua_State *L, int module_idx);
void l2tp_lua_open_control(lua_State *L, int module_idx);
void l2tp_lua_open_pcap(lua_State *L, int module_idx);
/* Makes SIGHUP, SIGUSR1 and SIGUSR2 events on the loop (l2tp-run does at
 * start; l2tp.on_signal does in any host); idempotent. */
void l2tp_lua_signals_install(struct l2tp_lua_rt *rt);
void l2tp_lua_signals_free(struct l2tp_lua_rt *rt);
/* A result code of a StopCCN or a CDN (msg_type), or an error code, by
 * its name in l2tp.result / l2tp.error; false for an unknown name. */
bool l2tp_lua_result_code(uint16_t msg_type, const char *name, uint16_t *out);
bool l2tp_lua_error_code(const char *name, uint16_t *out);
int l2tp_lua_context_new(lua_State *L);
int l2tp_lua_context_close_udata(lua_State *L, int idx);
bool l2tp_lua_context_busy_udata(lua_State *L, int idx);
void l2tp_lua_context_flush_udata(lua_State *L, int idx);
/* The core context of the context userdata at idx (NULL once closed). */
struct l2tp_context *l2tp_lua_context_of_udata(lua_State *L, int idx);

int luaopen_l2tp(lua_State *L);

#endif
