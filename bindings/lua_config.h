/* Lua tables <-> core config structs. Every key is checked: unknown keys,
 * wrong types and out-of-range values raise an error naming the key, the
 * value and what is accepted, before anything is created. */
#ifndef L2TP_LUA_CONFIG_H
#define L2TP_LUA_CONFIG_H

#include <lua.h>

#include "l2tp/config.h"

/* Key sets: which keys a kind of object accepts. */
#define L2TP_LUA_KEYS_STATIC 0x1u
#define L2TP_LUA_KEYS_QUIESCENT 0x2u
#define L2TP_LUA_KEYS_DYNAMIC 0x4u
#define L2TP_LUA_KEYS_ALL 0x7u
#define L2TP_LUA_KEYS_CONTROL (L2TP_LUA_KEYS_QUIESCENT | L2TP_LUA_KEYS_DYNAMIC) /* tunnels with a control channel */

/* Reads the table at idx (nil means {}) into cfg, starting from the
 * defaults of kind. what prefixes error messages ("tunnel 't1'"). Raises on
 * error. */
void l2tp_lua_tunnel_config(lua_State *L, int idx, enum l2tp_tunnel_kind kind, const char *what,
			    struct l2tp_tunnel_config *cfg);
void l2tp_lua_session_config(lua_State *L, int idx, enum l2tp_version version, enum l2tp_tunnel_kind kind,
			     const char *what, struct l2tp_session_config *cfg);

void l2tp_lua_push_tunnel_config(lua_State *L, const struct l2tp_tunnel_config *cfg);
void l2tp_lua_push_session_config(lua_State *L, const struct l2tp_session_config *cfg);

/* Checks that every key of the table at idx is in the NULL-terminated list
 * `keys`; raises "what: unknown key 'k' (accepted: ...)" otherwise. */
void l2tp_lua_check_keys(lua_State *L, int idx, const char *what, const char *const *keys);

#endif
