/* Lua tables <-> core config structs. Every key is checked: unknown keys,
 * wrong types and out-of-range values raise an error naming the key, the
 * value and what is accepted, before anything is created. */
#ifndef L2TP_LUA_CONFIG_H
#define L2TP_LUA_CONFIG_H

#include <lua.h>

#include "l2tp/l2tp.h"

/* Reads the table at idx (nil means {}) into cfg, starting from the
 * defaults of kind. what prefixes error messages ("tunnel 't1'"). Raises on
 * error. */
void l2tp_lua_tunnel_config(lua_State *L, int idx, enum l2tp_tunnel_kind kind, const char *what,
			    struct l2tp_tunnel_config *cfg);
void l2tp_lua_session_config(lua_State *L, int idx, enum l2tp_version version, enum l2tp_tunnel_kind kind,
			     const char *what, struct l2tp_session_config *cfg);

/* A listener's own keys and its template for accepted tunnels, in one
 * table, from the listener defaults; its hooks are checked, not kept. */
void l2tp_lua_listener_config(lua_State *L, int idx, const char *what, struct l2tp_listener_config *cfg);
/* The session settings a call hook may change (L2TP_KEYS_ACCEPTED), read
 * over cfg as it is. */
void l2tp_lua_call_settings(lua_State *L, int idx, const char *what, struct l2tp_session_config *cfg);

/* A table read by the key tables of l2tp/config.h: the keys of set in
 * keys go to base. Several sections make one table (a listener's own keys
 * and its tunnels' template). Unknown keys, wrong types and values out of
 * range raise, naming the key and what is accepted; HOOK keys are checked
 * to be functions and left for the caller. */
struct l2tp_lua_section {
	const struct l2tp_key *keys;
	unsigned set;
	void *base;
};
void l2tp_lua_read_config(lua_State *L, int idx, const char *what, const struct l2tp_lua_section *secs,
			  size_t nsecs);

void l2tp_lua_push_tunnel_config(lua_State *L, const struct l2tp_tunnel_config *cfg);
void l2tp_lua_push_session_config(lua_State *L, const struct l2tp_session_config *cfg);

/* Checks that every key of the table at idx is in the NULL-terminated list
 * `keys`; raises "what: unknown key 'k' (accepted: ...)" otherwise. */
void l2tp_lua_check_keys(lua_State *L, int idx, const char *what, const char *const *keys);

/* l2tp.check_config(constructor, name, cfg [, sessions]) */
int l2tp_lua_check_config(lua_State *L);

#endif
