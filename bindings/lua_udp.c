/* l2tp.udp: a datagram socket on the event loop, for scripted peers and
 * lab tools (an LNS or LAC made of l2tp.codec messages, a relay); and
 * l2tp.packet, the same on Ethernet (AF_PACKET, one ethertype on one
 * interface), for scripted PPPoE subscribers. One class serves both: an
 * address is "host:port" for the one and a MAC for the other. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <lauxlib.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "l2tp/pppoe.h"
#include "lua_config.h"
#include "runtime.h"

#define UDP_MT "l2tp.udp"

struct ludp {
	int fd;
	struct event *ev;
	struct l2tp_lua_rt *rt;
	bool receiving; /* a handler is set: anchored, keeping the loop alive */
	bool packet;	/* l2tp.packet: AF_PACKET on ifindex for proto */
	int ifindex;
	uint16_t proto;
	uint8_t mac[6];
};

static struct ludp *check(lua_State *L)
{
	struct ludp *u = luaL_checkudata(L, 1, UDP_MT);
	if (u->fd < 0)
		l2tp_lua_error(L, "l2tp.udp: the socket is closed");
	return u;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct ludp *u = arg;
	char *buf = u->rt->udp_buf;
	lua_State *L = u->rt->L;
	(void)what;
	int top = lua_gettop(L);
	if (!l2tp_lua_push_anchored(L, u))
		return;
	for (int i = 0; i < 64 && u->fd >= 0 && u->receiving; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(u->rt->udp_buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			break;
		char addr[L2TP_ADDR_STRLEN];
		if (u->packet) {
			const struct sockaddr_ll *ll = (const struct sockaddr_ll *)&from;
			/* our own frames going out */
			if (ll->sll_pkttype == PACKET_OUTGOING || ll->sll_halen != 6)
				continue;
			l2tp_mac_format(ll->sll_addr, addr);
		} else {
			l2tp_addr_format((struct sockaddr *)&from, addr, sizeof(addr));
		}
		if (!l2tp_lua_cb_push(L, top + 1, "on_receive"))
			break;
		lua_pushlstring(L, buf, (size_t)n);
		lua_pushstring(L, addr);
		lua_pushvalue(L, top + 1);
		l2tp_lua_call(u->rt, L, 3, 0, "l2tp.udp receive handler");
	}
	lua_settop(L, top);
}

static int parse(lua_State *L, const char *what, const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char err[256];
	if (l2tp_addr_parse(text, L2TP_ENCAP_UDP, ss, len, err, sizeof(err)) != 0)
		return l2tp_lua_error(L, "l2tp.udp: %s %s", what, err);
	return 0;
}

static struct ludp *new_socket(lua_State *L, struct l2tp_lua_rt *rt, int fd);

static int l_udp(lua_State *L)
{
	static const char *const keys[] = {"local", "peer", NULL};
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	struct sockaddr_storage local, peer;
	socklen_t llen = 0, plen = 0;
	bool has_peer = false;

	luaL_checktype(L, 1, LUA_TTABLE);
	l2tp_lua_check_keys(L, 1, "l2tp.udp", keys);
	lua_getfield(L, 1, "local");
	parse(L, "local", lua_isnil(L, -1) ? "127.0.0.1:0" : luaL_checkstring(L, -1), &local, &llen);
	lua_getfield(L, 1, "peer");
	if (!lua_isnil(L, -1)) {
		parse(L, "peer", luaL_checkstring(L, -1), &peer, &plen);
		has_peer = true;
	}
	lua_pop(L, 2);

	int fd = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, llen) != 0 ||
	    (has_peer && connect(fd, (struct sockaddr *)&peer, plen) != 0)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		lua_pushnil(L);
		lua_pushfstring(L, "l2tp.udp: %s", strerror(e));
		return 2;
	}
	new_socket(L, rt, fd);
	return 1;
}

static struct ludp *new_socket(lua_State *L, struct l2tp_lua_rt *rt, int fd)
{
	struct ludp *u = lua_newuserdata(L, sizeof(*u));
	memset(u, 0, sizeof(*u));
	u->fd = fd;
	u->rt = rt;
	u->ev = event_new(rt->base, fd, EV_READ | EV_PERSIST, on_read, u);
	luaL_getmetatable(L, UDP_MT);
	lua_setmetatable(L, -2);
	lua_newtable(L);
	lua_setfenv(L, -2);
	return u;
}

/* l2tp.packet{interface = "veth0", protocol = 0x8863, netns = "ns"}:
 * frames' payloads of that ethertype in and out. */
static int l_packet(lua_State *L)
{
	static const char *const keys[] = {"interface", "protocol", "netns", NULL};
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	char err[256];
	uint8_t mac[6];
	int ifindex;

	luaL_checktype(L, 1, LUA_TTABLE);
	l2tp_lua_check_keys(L, 1, "l2tp.packet", keys);
	lua_getfield(L, 1, "interface");
	lua_getfield(L, 1, "protocol");
	lua_getfield(L, 1, "netns");
	if (lua_type(L, -3) != LUA_TSTRING)
		return l2tp_lua_error(L, "l2tp.packet: interface must be a string, got %s", luaL_typename(L, -3));
	lua_Number proto = lua_tonumber(L, -2);
	if (lua_type(L, -2) != LUA_TNUMBER || proto < 0x600 || proto > 0xffff || proto != (lua_Number)(int)proto)
		return l2tp_lua_error(L, "l2tp.packet: protocol must be an ethertype (0x0600-0xffff), got %s",
				      lua_type(L, -2) == LUA_TNUMBER ? lua_tostring(L, -2) : luaL_typename(L, -2));
	if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
		return l2tp_lua_error(L, "l2tp.packet: netns must be a string, got %s", luaL_typename(L, -1));
	int fd = l2tp_packet_socket(lua_tostring(L, -1), lua_tostring(L, -3), (uint16_t)proto, &ifindex, mac, err,
				    sizeof(err));
	if (fd < 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "l2tp.packet: %s", err);
		return 2;
	}
	struct ludp *u = new_socket(L, rt, fd);
	u->packet = true;
	u->ifindex = ifindex;
	u->proto = (uint16_t)proto;
	memcpy(u->mac, mac, 6);
	return 1;
}

static int u_send(lua_State *L)
{
	struct ludp *u = check(L);
	size_t n;
	const char *data = luaL_checklstring(L, 2, &n);
	ssize_t rc;
	if (u->packet) {
		struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_protocol = htons(u->proto),
					 .sll_ifindex = u->ifindex, .sll_halen = 6};
		const char *dst = luaL_checkstring(L, 3);
		if (l2tp_mac_parse(dst, to.sll_addr) != 0)
			return l2tp_lua_error(L, "l2tp.packet: destination '%s' is not a MAC (aa:bb:cc:dd:ee:ff)", dst);
		rc = sendto(u->fd, data, n, 0, (struct sockaddr *)&to, sizeof(to));
	} else if (lua_isnoneornil(L, 3)) {
		rc = send(u->fd, data, n, 0);
	} else {
		struct sockaddr_storage to;
		socklen_t tlen;
		parse(L, "destination", luaL_checkstring(L, 3), &to, &tlen);
		rc = sendto(u->fd, data, n, 0, (struct sockaddr *)&to, tlen);
	}
	if (rc != (ssize_t)n) {
		lua_pushnil(L);
		lua_pushstring(L, strerror(errno));
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* on_receive(fn): fn(bytes, "host:port", sock) for every datagram; while
 * a handler is set the socket keeps the loop alive. nil removes it. */
static void stop_receiving(lua_State *L, struct ludp *u)
{
	if (!u->receiving)
		return;
	u->receiving = false;
	event_del(u->ev);
	l2tp_lua_unanchor(L, u);
	u->rt->children--;
}

static int u_on_receive(lua_State *L)
{
	struct ludp *u = check(L);
	stop_receiving(L, u);
	if (lua_isnoneornil(L, 2)) {
		l2tp_lua_cb_set(L, 1, "on_receive", 0);
		return 0;
	}
	luaL_checktype(L, 2, LUA_TFUNCTION);
	l2tp_lua_cb_set(L, 1, "on_receive", 2);
	l2tp_lua_anchor(L, 1);
	u->receiving = true;
	event_add(u->ev, NULL);
	u->rt->children++;
	return 0;
}

static int u_local_address(lua_State *L)
{
	struct ludp *u = check(L);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[L2TP_ADDR_STRLEN];
	if (u->packet) {
		l2tp_mac_format(u->mac, addr);
		lua_pushstring(L, addr);
		return 1;
	}
	getsockname(u->fd, (struct sockaddr *)&ss, &len);
	l2tp_addr_format((struct sockaddr *)&ss, addr, sizeof(addr));
	lua_pushstring(L, addr);
	return 1;
}

static void shut(lua_State *L, struct ludp *u)
{
	stop_receiving(L, u);
	if (u->ev) {
		event_free(u->ev);
		u->ev = NULL;
	}
	if (u->fd >= 0) {
		close(u->fd);
		u->fd = -1;
	}
}

static int u_close(lua_State *L)
{
	struct ludp *u = luaL_checkudata(L, 1, UDP_MT);
	shut(L, u);
	return 0;
}

static int u_tostring(lua_State *L)
{
	struct ludp *u = luaL_checkudata(L, 1, UDP_MT);
	lua_pushfstring(L, "%s (%s)", u->packet ? "l2tp.packet" : "l2tp.udp", u->fd >= 0 ? "open" : "closed");
	return 1;
}

void l2tp_lua_open_udp(lua_State *L, int module_idx)
{
	static const luaL_Reg methods[] = {
		{"send", u_send},
		{"on_receive", u_on_receive},
		{"local_address", u_local_address},
		{"close", u_close},
		{NULL, NULL},
	};
	l2tp_lua_class(L, UDP_MT, methods, u_close, u_tostring, false);
	lua_pushcfunction(L, l_udp);
	lua_setfield(L, module_idx, "udp");
	lua_pushcfunction(L, l_packet);
	lua_setfield(L, module_idx, "packet");
}
