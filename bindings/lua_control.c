/* The control socket: a Unix stream socket on the loop that l2tp-ctl talks
 * to. One request per line, a JSON array of strings (the command line);
 * one reply per line, the JSON form of what the Lua dispatcher returns
 * (bindings/lua/control.lua builds it: {ok = true, result = ..., view =
 * ...} or {ok = false, error = "..."}). Commands themselves are Lua, so
 * scripts add their own beside the built-in ones.
 *
 * A client cannot hold the loop: reads and writes never block, a request
 * line is bounded, a client that sends nothing for a while or does not
 * read its replies is dropped, and so are clients past a maximum. */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <fcntl.h>
#include <jansson.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime.h"

#define SERVER_MT "l2tp.control_server"
#define MAX_REQUEST (64 * 1024)
#define MAX_PENDING_REPLY (64 * 1024 * 1024)
#define MAX_CLIENTS 64
#define IDLE_SECONDS 60
#define MAX_DEPTH 32

struct client;

struct server {
	int fd;
	struct event *ev;
	struct l2tp_lua_rt *rt;
	bool keep_alive; /* counts as a child: keeps the loop running */
	struct client *clients;
	int nclients;
	struct client *dispatching; /* whose command runs now: see server_close */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct client {
	struct server *srv; /* NULL once the server closed under its command */
	struct bufferevent *bev;
	bool closing; /* the last reply is queued: free once it is written */
	struct client *next, **pprev;
};

static void client_unlink(struct client *c)
{
	if (c->next)
		c->next->pprev = c->pprev;
	*c->pprev = c->next;
	c->srv->nclients--;
	c->srv = NULL;
}

static void client_free(struct client *c)
{
	if (c->srv)
		client_unlink(c);
	bufferevent_free(c->bev);
	free(c);
}

/* JSON strings must be UTF-8: a byte that does not start a well-formed
 * sequence becomes U+FFFD. */
static json_t *json_text(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	if (j)
		return j;
	char *fixed = malloc(len * 3 + 1);
	size_t n = 0;
	if (!fixed)
		return json_null();
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		/* continuation bytes the lead byte calls for; 4: not a lead byte */
		size_t need = ch < 0x80			 ? 0
			      : ch >= 0xc2 && ch < 0xe0 ? 1
			      : ch >= 0xe0 && ch < 0xf0 ? 2
			      : ch >= 0xf0 && ch < 0xf5 ? 3
							 : 4;
		bool ok = need < 4 && i + need < len;
		for (size_t k = 1; ok && k <= need; k++)
			ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
		if (ok) {
			memcpy(fixed + n, s + i, need + 1);
			n += need + 1;
			i += need;
		} else {
			memcpy(fixed + n, "\xef\xbf\xbd", 3);
			n += 3;
		}
	}
	j = json_stringn(fixed, n);
	free(fixed);
	/* Still refused (an overlong form, a surrogate): say so, do not fail. */
	return j ? j : json_string("(text that is not UTF-8)");
}

static json_t *to_json(lua_State *L, int idx, int depth);

static bool is_array(lua_State *L, int idx)
{
	if (lua_objlen(L, idx) > 0)
		return true;
	/* An empty table is an object unless marked (l2tp.control.array). */
	if (!lua_getmetatable(L, idx))
		return false;
	lua_getfield(L, -1, "__jsontype");
	bool arr = lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "array") == 0;
	lua_pop(L, 2);
	return arr;
}

static json_t *table_to_json(lua_State *L, int idx, int depth)
{
	if (is_array(L, idx)) {
		json_t *a = json_array();
		size_t n = lua_objlen(L, idx);
		for (size_t i = 1; i <= n; i++) {
			lua_rawgeti(L, idx, (int)i);
			json_array_append_new(a, to_json(L, lua_gettop(L), depth + 1));
			lua_pop(L, 1);
		}
		return a;
	}
	json_t *o = json_object();
	for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
		lua_pushvalue(L, -2);
		const char *k = lua_tostring(L, -1);
		if (k) {
			json_t *key = json_text(k, strlen(k));
			json_object_set_new(o, json_string_value(key) ? json_string_value(key) : "?",
					    to_json(L, lua_gettop(L) - 1, depth + 1));
			json_decref(key);
		}
		lua_pop(L, 1);
	}
	return o;
}

static json_t *to_json(lua_State *L, int idx, int depth)
{
	size_t len;
	const char *s;
	switch (lua_type(L, idx)) {
	case LUA_TBOOLEAN:
		return json_boolean(lua_toboolean(L, idx));
	case LUA_TNUMBER: {
		double v = lua_tonumber(L, idx);
		if (!isfinite(v))
			return json_null();
		if (v == floor(v) && fabs(v) < 9007199254740992.0)
			return json_integer((json_int_t)v);
		return json_real(v);
	}
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		return json_text(s, len);
	case LUA_TTABLE:
		if (depth >= MAX_DEPTH)
			return json_string("(nested too deep)");
		return table_to_json(L, idx, depth);
	case LUA_TNIL:
	case LUA_TNONE:
		return json_null();
	default:
		/* Objects (tunnels, sessions) by their description. */
		lua_getglobal(L, "tostring");
		lua_pushvalue(L, idx);
		lua_call(L, 1, 1);
		s = lua_tolstring(L, -1, &len);
		json_t *j = s ? json_text(s, len) : json_null();
		lua_pop(L, 1);
		return j;
	}
}

static void reply(struct client *c, json_t *r)
{
	char *text = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	if (text) {
		evbuffer_add(out, text, strlen(text));
		free(text);
	} else {
		evbuffer_add_printf(out, "{\"ok\":false,\"error\":\"reply could not be encoded\"}");
	}
	evbuffer_add(out, "\n", 1);
}

static void reply_error(struct client *c, const char *msg)
{
	reply(c, json_pack("{sbss}", "ok", 0, "error", msg));
}

/* Runs one request line through the Lua dispatcher. */
static void handle(struct client *c, const char *line, size_t len)
{
	struct l2tp_lua_rt *rt = c->srv->rt;
	lua_State *L = rt->L;
	json_error_t jerr;
	json_t *req = json_loadb(line, len, 0, &jerr);
	if (!req || !json_is_array(req) || json_array_size(req) == 0) {
		char msg[256];
		snprintf(msg, sizeof(msg), "malformed request: %s",
			 req ? "not a non-empty JSON array of strings" : jerr.text);
		json_decref(req);
		reply_error(c, msg);
		return;
	}
	int top = lua_gettop(L);
	if (!l2tp_lua_push_anchored(L, c->srv) || !l2tp_lua_cb_push(L, top + 1, "dispatch")) {
		lua_settop(L, top);
		json_decref(req);
		reply_error(c, "the control socket is closing");
		return;
	}
	lua_createtable(L, (int)json_array_size(req), 0);
	size_t i;
	json_t *v;
	json_array_foreach(req, i, v)
	{
		if (!json_is_string(v)) {
			lua_settop(L, top);
			json_decref(req);
			reply_error(c, "malformed request: every word must be a JSON string");
			return;
		}
		lua_pushlstring(L, json_string_value(v), json_string_length(v));
		lua_rawseti(L, -2, (int)i + 1);
	}
	json_decref(req);
	if (l2tp_lua_call(rt, L, 1, 1, "control command") != 0) {
		lua_settop(L, top);
		reply_error(c, "the command failed: see the log");
		return;
	}
	reply(c, to_json(L, lua_gettop(L), 0));
	lua_settop(L, top);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev, (void)what;
	/* EOF, an error or the idle timeout: the client is gone. */
	client_free(arg);
}

static void on_written(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	(void)bev;
	if (c->closing)
		client_free(c);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	while (!c->closing) {
		size_t len;
		char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (!line) {
			if (evbuffer_get_length(in) > MAX_REQUEST) {
				reply_error(c, "request too long (the limit is 65536 bytes)");
				c->closing = true;
				bufferevent_disable(bev, EV_READ);
			}
			break;
		}
		if (len > MAX_REQUEST) {
			free(line);
			reply_error(c, "request too long (the limit is 65536 bytes)");
			c->closing = true;
			bufferevent_disable(bev, EV_READ);
			break;
		}
		c->srv->dispatching = c;
		handle(c, line, len);
		free(line);
		if (!c->srv) {
			/* The command closed the server: the answer goes out, then
			 * the client goes. */
			c->closing = true;
			bufferevent_disable(bev, EV_READ);
			if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
				client_free(c);
			return;
		}
		c->srv->dispatching = NULL;
		/* A client that asks faster than it reads loses its link. */
		if (evbuffer_get_length(bufferevent_get_output(bev)) > MAX_PENDING_REPLY) {
			l2tp_lua_logf(c->srv->rt, L2TP_LOG_WARN,
				      "control socket: a client does not read its replies: dropped");
			client_free(c);
			return;
		}
	}
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	(void)what;
	for (int i = 0; i < 16; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		if (srv->nclients >= MAX_CLIENTS) {
			static const char busy[] = "{\"ok\":false,\"error\":\"too many control clients\"}\n";
			if (write(cfd, busy, sizeof(busy) - 1) < 0) {
				/* Nothing more to tell a client we turn away. */
			}
			close(cfd);
			continue;
		}
		struct client *c = calloc(1, sizeof(*c));
		struct bufferevent *bev = c ? bufferevent_socket_new(srv->rt->base, cfd, BEV_OPT_CLOSE_ON_FREE) : NULL;
		if (!bev) {
			free(c);
			close(cfd);
			continue;
		}
		c->srv = srv;
		c->bev = bev;
		c->next = srv->clients;
		if (c->next)
			c->next->pprev = &c->next;
		c->pprev = &srv->clients;
		srv->clients = c;
		srv->nclients++;
		struct timeval idle = {IDLE_SECONDS, 0};
		bufferevent_set_timeouts(bev, &idle, &idle);
		bufferevent_setcb(bev, on_read, on_written, on_event, c);
		bufferevent_enable(bev, EV_READ);
	}
}

static void server_close(struct server *srv)
{
	if (srv->fd < 0)
		return;
	/* A command may close its own server: its client lives on until the
	 * answer is written (on_read sees it orphaned). */
	while (srv->clients) {
		struct client *c = srv->clients;
		if (c == srv->dispatching)
			client_unlink(c);
		else
			client_free(c);
	}
	srv->dispatching = NULL;
	event_free(srv->ev);
	close(srv->fd);
	srv->fd = -1;
	unlink(srv->path);
	if (srv->keep_alive)
		srv->rt->children--;
}

/* A socket file left by a process that died is reused; one a live process
 * answers on is not taken over. */
static int claim_path(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -errno);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	int e = errno;
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "%s: another process is serving it (a second instance?)", path);
		return -EADDRINUSE;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	unlink(path);
	return 0;
}

static int open_socket(const char *path, mode_t mode, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long (at most %zu bytes)", path, sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	int rc = claim_path(path, err, errlen);
	if (rc)
		return rc;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	/* The socket is born with its final mode: no window in which anyone
	 * else may connect. */
	mode_t old = umask(~mode & 0777);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	int e = errno;
	umask(old);
	if (rc != 0 || listen(fd, 16) != 0) {
		e = rc != 0 ? e : errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		close(fd);
		if (rc == 0)
			unlink(path);
		return -e;
	}
	return fd;
}

/* raw.listen(path, mode, keep_alive, dispatch): a server object, or nil,
 * message. */
static int l_listen(lua_State *L)
{
	struct l2tp_lua_rt *rt = l2tp_lua_rt(L);
	const char *path = luaL_checkstring(L, 1);
	mode_t mode = (mode_t)luaL_checkinteger(L, 2);
	bool keep_alive = lua_toboolean(L, 3);
	luaL_checktype(L, 4, LUA_TFUNCTION);
	char err[512];
	int fd = open_socket(path, mode, err, sizeof(err));
	if (fd < 0) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	struct server *srv = lua_newuserdata(L, sizeof(*srv));
	memset(srv, 0, sizeof(*srv));
	srv->fd = fd;
	srv->rt = rt;
	srv->keep_alive = keep_alive;
	snprintf(srv->path, sizeof(srv->path), "%s", path);
	luaL_getmetatable(L, SERVER_MT);
	lua_setmetatable(L, -2);
	lua_newtable(L);
	lua_setfenv(L, -2);
	int obj = lua_gettop(L);
	l2tp_lua_cb_set(L, obj, "dispatch", 4);
	srv->ev = event_new(rt->base, fd, EV_READ | EV_PERSIST, on_accept, srv);
	event_add(srv->ev, NULL);
	if (keep_alive)
		rt->children++;
	/* Serves while open, whether or not the script keeps the object. */
	l2tp_lua_anchor(L, obj);
	return 1;
}

static struct server *check(lua_State *L)
{
	return luaL_checkudata(L, 1, SERVER_MT);
}

static int s_close(lua_State *L)
{
	struct server *srv = check(L);
	if (srv->fd < 0) {
		lua_pushnil(L);
		lua_pushliteral(L, "closed");
		return 2;
	}
	server_close(srv);
	l2tp_lua_unanchor(L, srv);
	lua_pushboolean(L, 1);
	return 1;
}

static int s_path(lua_State *L)
{
	lua_pushstring(L, check(L)->path);
	return 1;
}

static int s_clients(lua_State *L)
{
	lua_pushinteger(L, check(L)->nclients);
	return 1;
}

static int s_gc(lua_State *L)
{
	server_close(check(L));
	return 0;
}

static int s_tostring(lua_State *L)
{
	struct server *srv = check(L);
	lua_pushfstring(L, "l2tp.control server on %s%s", srv->path, srv->fd < 0 ? " (closed)" : "");
	return 1;
}

/* raw.encode(value): the JSON a reply would carry (for specs and scripts
 * that write JSON files). */
static int l_encode(lua_State *L)
{
	luaL_checkany(L, 1);
	json_t *j = to_json(L, 1, 0);
	char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	lua_pushstring(L, text ? text : "null");
	free(text);
	return 1;
}

void l2tp_lua_open_control(lua_State *L, int module_idx)
{
	static const luaL_Reg methods[] = {
		{"close", s_close}, {"path", s_path}, {"clients", s_clients}, {NULL, NULL}};
	l2tp_lua_class(L, SERVER_MT, methods, s_gc, s_tostring, false);
	/* The Lua half (bindings/lua/control.lua) takes these and removes them. */
	lua_createtable(L, 0, 2);
	lua_pushcfunction(L, l_listen);
	lua_setfield(L, -2, "listen");
	lua_pushcfunction(L, l_encode);
	lua_setfield(L, -2, "encode");
	lua_setfield(L, module_idx, "_control");
}
