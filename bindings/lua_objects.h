/* What the context, tunnel and session bindings share. Lua objects hold
 * handles, never core pointers: every method looks its object up again and
 * answers nil, "closed" once the core has let it go. */
#ifndef L2TP_LUA_OBJECTS_H
#define L2TP_LUA_OBJECTS_H

#include <lua.h>
#include <stdint.h>

#include "l2tp/l2tp.h"
#include "runtime.h"

#define L2TP_CTX_MT "l2tp.context"
#define L2TP_TUNNEL_MT "l2tp.tunnel"
#define L2TP_SESSION_MT "l2tp.session"

struct lctx {
	struct l2tp_context *ctx;
	struct l2tp_lua_rt *rt;
	int next_handler;
};

struct lobj {
	struct lctx *lc;
	uint64_t handle;
	char name[]; /* kept so obj.name works after close */
};

/* Pushes the context userdata of lc (nil if it is gone). */
void l2tp_lua_push_ctx(lua_State *L, struct lctx *lc);
struct lctx *l2tp_lua_check_ctx(lua_State *L, int idx);

/* Pushes the one Lua object for a handle (the same object every time while
 * Lua holds it, so objects compare equal and can key tables). */
void l2tp_lua_push_obj(lua_State *L, struct lctx *lc, const char *mt, uint64_t handle, const char *name);

/* A list being filled by a core foreach callback: the table is on top of
 * L's stack; list_add appends the object for handle to it. */
struct l2tp_lua_list {
	lua_State *L;
	struct lctx *lc;
	int n;
};
void l2tp_lua_list_add(struct l2tp_lua_list *list, const char *mt, uint64_t handle, const char *name);

/* A tunnel's or listener's hooks (the HOOK keys of set in the config
 * table at cfg) go to the one store, the object's environment (see
 * l2tp_lua_cb_set); the context then holds the object while the core one
 * lives, so its hooks outlive the script's hold on it. let_go ends that
 * when the core object is gone. keep_hooks says whether there was one. */
bool l2tp_lua_keep_hooks(lua_State *L, struct lctx *lc, int obj, int cfg, const struct l2tp_key *keys, unsigned set);
void l2tp_lua_let_go(lua_State *L, struct lctx *lc, uint64_t handle);
/* Holds the object at obj (its callbacks with it) while its core object
 * lives, until l2tp_lua_let_go. */
void l2tp_lua_keep(lua_State *L, struct lctx *lc, int obj);
/* A table of counters, name = value, from an array of n. */
struct l2tp_lua_counter {
	const char *name;
	uint64_t v;
};
void l2tp_lua_push_counters(lua_State *L, const struct l2tp_lua_counter *c, size_t n);
/* ctx:pppoe(cfg), served by l2tp.pppoe (lua_pppoe.c, lua/pppoe.lua). */
int l2tp_lua_ctx_pppoe(lua_State *L);
void l2tp_lua_open_pppoe(lua_State *L, int module_idx);

/* A data plane session's counters as a table (session:stats() and the
 * accounting in session_down). */
void l2tp_lua_push_session_stats(lua_State *L, const struct l2tp_session_stats *st);

/* Returns the live core object, or NULL if it is closed. */
struct l2tp_tunnel *l2tp_lua_tunnel_arg(lua_State *L, int idx, struct lobj **out);
struct l2tp_session *l2tp_lua_session_arg(lua_State *L, int idx, struct lobj **out);

/* Returns nil, "closed". */
int l2tp_lua_closed(lua_State *L);
/* Returns nil, msg for runtime failures; raises for bad input (-EINVAL,
 * -EEXIST). */
int l2tp_lua_fail(lua_State *L, int rc, const char *msg);

/* The name argument of a constructor: a string, or an error naming call. */
const char *l2tp_lua_name_arg(lua_State *L, int idx, const char *call);

void l2tp_lua_open_tunnel(lua_State *L);
void l2tp_lua_open_listener(lua_State *L);
int l2tp_lua_listen(lua_State *L);
/* Pushes a list of the context's open listeners. */
void l2tp_lua_push_listeners(lua_State *L, struct lctx *lc);
int l2tp_lua_run_call_hook(struct lctx *lc, const char *what, const struct l2tp_call_request *req,
			   struct l2tp_session_config *settings, struct l2tp_verdict *v, uint16_t default_result);
void l2tp_lua_open_session(lua_State *L);
void l2tp_lua_map_ctx(lua_State *L, int idx, struct lctx *lc);

#endif
