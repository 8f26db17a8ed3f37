/* The parts of the `l2tp` module written in Lua (bindings/lua/NAME.lua),
 * carried in the binary: each chunk returns the value of l2tp.NAME. */
#ifndef L2TP_LUA_EMBEDDED_H
#define L2TP_LUA_EMBEDDED_H

#include <stddef.h>

struct l2tp_lua_embedded {
	const char *name;
	const char *source;
	size_t len;
};

/* Ends with an entry whose name is NULL. */
extern const struct l2tp_lua_embedded l2tp_lua_embedded[];

#endif
