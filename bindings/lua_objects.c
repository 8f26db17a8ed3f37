#include "lua_objects.h"

#include <errno.h>
#include <lauxlib.h>
#include <string.h>

#include "l2tp/config.h"

#define CTXMAP_KEY "l2tp.ctxmap"

void l2tp_lua_push_ctx(lua_State *L, struct lctx *lc)
{
	lua_getfield(L, LUA_REGISTRYINDEX, CTXMAP_KEY);
	if (lua_isnil(L, -1))
		return;
	lua_pushlightuserdata(L, lc);
	lua_rawget(L, -2);
	lua_remove(L, -2);
}

/* Events arrive with the core's pointer to lc; this weak map finds the
 * userdata again without keeping it alive. */
void l2tp_lua_map_ctx(lua_State *L, int idx, struct lctx *lc)
{
	idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
	lua_getfield(L, LUA_REGISTRYINDEX, CTXMAP_KEY);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_newtable(L);
		lua_pushstring(L, "v");
		lua_setfield(L, -2, "__mode");
		lua_setmetatable(L, -2);
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, CTXMAP_KEY);
	}
	lua_pushlightuserdata(L, lc);
	lua_pushvalue(L, idx);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

struct lctx *l2tp_lua_check_ctx(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, L2TP_CTX_MT);
}

void l2tp_lua_list_add(struct l2tp_lua_list *list, const char *mt, uint64_t handle, const char *name)
{
	l2tp_lua_push_obj(list->L, list->lc, mt, handle, name);
	lua_rawseti(list->L, -2, ++list->n);
}

void l2tp_lua_push_obj(lua_State *L, struct lctx *lc, const char *mt, uint64_t handle, const char *name)
{
	l2tp_lua_push_ctx(L, lc);
	int ctxi = lua_gettop(L);
	lua_getfenv(L, ctxi);
	lua_getfield(L, -1, "cache");
	int cache = lua_gettop(L);
	lua_pushnumber(L, (lua_Number)handle);
	lua_rawget(L, cache);
	if (!lua_isnil(L, -1)) {
		lua_replace(L, ctxi);
		lua_settop(L, ctxi);
		return;
	}
	lua_pop(L, 1);
	size_t nlen = strlen(name);
	struct lobj *o = lua_newuserdata(L, sizeof(*o) + nlen + 1);
	o->lc = lc;
	o->handle = handle;
	memcpy(o->name, name, nlen + 1);
	luaL_getmetatable(L, mt);
	lua_setmetatable(L, -2);
	/* The object keeps its context alive. */
	lua_createtable(L, 1, 0);
	lua_pushvalue(L, ctxi);
	lua_rawseti(L, -2, 1);
	lua_setfenv(L, -2);
	lua_pushnumber(L, (lua_Number)handle);
	lua_pushvalue(L, -2);
	lua_rawset(L, cache);
	lua_replace(L, ctxi);
	lua_settop(L, ctxi);
}

bool l2tp_lua_keep_hooks(lua_State *L, struct lctx *lc, int obj, int cfg, const struct l2tp_key *keys, unsigned set)
{
	bool any = false;
	obj = obj < 0 ? lua_gettop(L) + obj + 1 : obj;
	cfg = cfg < 0 ? lua_gettop(L) + cfg + 1 : cfg;
	if (!lua_istable(L, cfg))
		return false;
	for (const struct l2tp_key *k = keys; k->name; k++) {
		if (k->type != L2TP_KEY_HOOK || !(k->kinds & set))
			continue;
		lua_getfield(L, cfg, k->name);
		if (lua_isfunction(L, -1)) {
			l2tp_lua_cb_set(L, obj, k->name, -1);
			any = true;
		}
		lua_pop(L, 1);
	}
	if (!any)
		return false;
	l2tp_lua_keep(L, lc, obj);
	return true;
}

void l2tp_lua_keep(lua_State *L, struct lctx *lc, int obj)
{
	obj = obj < 0 ? lua_gettop(L) + obj + 1 : obj;
	/* The context's table holds the object while its core object lives. */
	struct lobj *o = lua_touserdata(L, obj);
	l2tp_lua_push_ctx(L, lc);
	lua_getfenv(L, -1);
	lua_getfield(L, -1, "kept");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, "kept");
	}
	lua_pushnumber(L, (lua_Number)o->handle);
	lua_pushvalue(L, obj);
	lua_rawset(L, -3);
	lua_pop(L, 3);
}

void l2tp_lua_push_counters(lua_State *L, const struct l2tp_lua_counter *c, size_t n)
{
	lua_createtable(L, 0, (int)n);
	for (size_t i = 0; i < n; i++) {
		lua_pushnumber(L, (double)c[i].v);
		lua_setfield(L, -2, c[i].name);
	}
}

void l2tp_lua_let_go(lua_State *L, struct lctx *lc, uint64_t handle)
{
	l2tp_lua_push_ctx(L, lc);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	lua_getfenv(L, -1);
	lua_getfield(L, -1, "kept");
	if (lua_istable(L, -1)) {
		lua_pushnumber(L, (lua_Number)handle);
		lua_pushnil(L);
		lua_rawset(L, -3);
	}
	lua_pop(L, 3);
}

struct l2tp_tunnel *l2tp_lua_tunnel_arg(lua_State *L, int idx, struct lobj **out)
{
	struct lobj *o = luaL_checkudata(L, idx, L2TP_TUNNEL_MT);
	if (out)
		*out = o;
	return o->lc->ctx ? l2tp_tunnel_lookup(o->lc->ctx, o->handle) : NULL;
}

struct l2tp_session *l2tp_lua_session_arg(lua_State *L, int idx, struct lobj **out)
{
	struct lobj *o = luaL_checkudata(L, idx, L2TP_SESSION_MT);
	if (out)
		*out = o;
	return o->lc->ctx ? l2tp_session_lookup(o->lc->ctx, o->handle) : NULL;
}

int l2tp_lua_closed(lua_State *L)
{
	lua_pushnil(L);
	lua_pushliteral(L, "closed");
	return 2;
}

int l2tp_lua_fail(lua_State *L, int rc, const char *msg)
{
	if (rc == -EINVAL || rc == -EEXIST)
		return l2tp_lua_error(L, "%s", msg);
	lua_pushnil(L);
	lua_pushstring(L, msg);
	return 2;
}

static int obj_index(lua_State *L)
{
	struct lobj *o = lua_touserdata(L, 1);
	const char *key = lua_tostring(L, 2);
	if (key && strcmp(key, "name") == 0) {
		lua_pushstring(L, o->name);
		return 1;
	}
	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(1));
	return 1;
}

void l2tp_lua_class(lua_State *L, const char *mt, const luaL_Reg *methods, lua_CFunction gc,
		    lua_CFunction tostring, bool serves_name)
{
	luaL_newmetatable(L, mt);
	lua_newtable(L);
	luaL_register(L, NULL, methods);
	if (serves_name)
		lua_pushcclosure(L, obj_index, 1);
	lua_setfield(L, -2, "__index");
	if (gc) {
		lua_pushcfunction(L, gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_pushcfunction(L, tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pushliteral(L, "locked");
	lua_setfield(L, -2, "__metatable");
	lua_pop(L, 1);
}

const char *l2tp_lua_name_arg(lua_State *L, int idx, const char *call)
{
	if (lua_type(L, idx) != LUA_TSTRING)
		l2tp_lua_error(L, "%s: name must be a string, got %s", call,
			       lua_isnone(L, idx) ? "no value" : luaL_typename(L, idx));
	return lua_tostring(L, idx);
}
