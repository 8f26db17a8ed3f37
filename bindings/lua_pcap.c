/* l2tp.pcap(path): every context of this runtime, open now or made later,
 * captures what its sockets send and receive into one pcap file (see
 * l2tp/pcap.h); l2tp.pcap(false) stops; l2tp.pcap() tells how it goes. */
#include <lauxlib.h>
#include <string.h>

#include "l2tp/pcap.h"
#include "runtime.h"

/* A closed context has let its capture go and has no socket left. */
static void set_one(struct l2tp_context *ctx, void *pc)
{
	l2tp_context_set_pcap(ctx, pc);
}

static int l_pcap(lua_State *L)
{
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	char err[256];
	if (lua_isnone(L, 1)) {
		if (!rt->pcap) {
			lua_pushboolean(L, 0);
			return 1;
		}
		lua_createtable(L, 0, 2);
		lua_pushnumber(L, (lua_Number)l2tp_pcap_packets(rt->pcap));
		lua_setfield(L, -2, "packets");
		if (l2tp_pcap_error(rt->pcap)) {
			lua_pushstring(L, strerror(l2tp_pcap_error(rt->pcap)));
			lua_setfield(L, -2, "error");
		}
		return 1;
	}
	struct l2tp_pcap *pc = NULL;
	if (lua_type(L, 1) == LUA_TSTRING) {
		if (l2tp_pcap_open(lua_tostring(L, 1), &pc, err, sizeof(err)) != 0) {
			lua_pushnil(L);
			lua_pushfstring(L, "l2tp.pcap: %s", err);
			return 2;
		}
	} else if (!(lua_type(L, 1) == LUA_TBOOLEAN && !lua_toboolean(L, 1))) {
		return l2tp_lua_error(L, "l2tp.pcap: takes a file name, or false to stop, got %s", luaL_typename(L, 1));
	}
	l2tp_lua_rt_foreach_context(L, rt, set_one, pc);
	l2tp_pcap_unref(rt->pcap);
	rt->pcap = pc;
	lua_pushboolean(L, 1);
	return 1;
}

void l2tp_lua_open_pcap(lua_State *L, int module_idx)
{
	lua_pushcfunction(L, l_pcap);
	lua_setfield(L, module_idx, "pcap");
}
