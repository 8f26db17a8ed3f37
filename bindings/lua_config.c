#include "lua_config.h"

#include <lauxlib.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "l2tp/pppoe.h"
#include "runtime.h"

/* Every key the table's sections take, for "(accepted: ...)". */
static void accepted_list(const struct l2tp_lua_section *secs, size_t nsecs, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < nsecs; i++)
		for (const struct l2tp_key *k = secs[i].keys; k->name; k++) {
			if (!(k->kinds & secs[i].set))
				continue;
			int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", k->name);
			if (n < 0 || (size_t)n >= len - used)
				return;
			used += (size_t)n;
		}
}

/* A short rendering of the offending value for messages. */
static const char *describe(lua_State *L, int idx, char *buf, size_t len)
{
	switch (lua_type(L, idx)) {
	case LUA_TSTRING: snprintf(buf, len, "string '%.40s'", lua_tostring(L, idx)); break;
	case LUA_TNUMBER: snprintf(buf, len, "number %.14g", lua_tonumber(L, idx)); break;
	case LUA_TBOOLEAN: snprintf(buf, len, "boolean %s", lua_toboolean(L, idx) ? "true" : "false"); break;
	default: snprintf(buf, len, "%s", luaL_typename(L, idx)); break;
	}
	return buf;
}

/* Byte keys: a cookie (4 or 8 bytes) or a MAC address (6, also written
 * "aa:bb:cc:dd:ee:ff"). */
#define MAC_LEN 6
static const char *mac_text(const uint8_t *b)
{
	static char buf[18];
	l2tp_mac_format(b, buf);
	return buf;
}

static bool bytes_len_ok(const struct l2tp_key *k, size_t n)
{
	return k->size == MAC_LEN ? n == MAC_LEN : n == 4 || n == 8;
}

static const char *bytes_accepted(const struct l2tp_key *k)
{
	return k->size == MAC_LEN ? "6 bytes, or \"aa:bb:cc:dd:ee:ff\"" : "4 or 8 bytes";
}

static void read_bytes(lua_State *L, int idx, const char *what, const struct l2tp_key *k, uint8_t *dst,
		       uint8_t *len)
{
	char vb[80];
	if (k->size == MAC_LEN && lua_type(L, idx) == LUA_TSTRING && l2tp_mac_parse(lua_tostring(L, idx), dst) == 0) {
		*len = MAC_LEN;
		return;
	}
	if (lua_type(L, idx) == LUA_TSTRING) {
		size_t n;
		const char *s = lua_tolstring(L, idx, &n);
		if (!bytes_len_ok(k, n))
			l2tp_lua_error(L, "%s: %s has %u bytes (accepted: %s)", what, k->name, (unsigned)n, bytes_accepted(k));
		memcpy(dst, s, n);
		*len = (uint8_t)n;
		return;
	}
	if (lua_type(L, idx) != LUA_TTABLE)
		l2tp_lua_error(L, "%s: %s must be a string or an array of byte values, got %s", what, k->name,
			       describe(L, idx, vb, sizeof(vb)));
	size_t n = lua_objlen(L, idx);
	if (!bytes_len_ok(k, n))
		l2tp_lua_error(L, "%s: %s has %u bytes (accepted: %s)", what, k->name, (unsigned)n, bytes_accepted(k));
	for (size_t i = 1; i <= n; i++) {
		lua_rawgeti(L, idx, (int)i);
		lua_Number v = lua_tonumber(L, -1);
		if (lua_type(L, -1) != LUA_TNUMBER || v != floor(v) || v < 0 || v > 255)
			l2tp_lua_error(L, "%s: %s[%u] is %s (accepted: integers 0-255)", what, k->name, (unsigned)i,
				       describe(L, -1, vb, sizeof(vb)));
		dst[i - 1] = (uint8_t)v;
		lua_pop(L, 1);
	}
	*len = (uint8_t)n;
}

static uint32_t read_flags(lua_State *L, int idx, const char *what, const struct l2tp_key *k)
{
	char vb[80], list[128];
	uint32_t flags = 0;
	int bit;
	l2tp_key_spellings(k->names, true, list, sizeof(list));
	/* One name is a set of one. */
	if (lua_type(L, idx) == LUA_TSTRING) {
		if (!l2tp_key_value(k->names, lua_tostring(L, idx), &bit))
			l2tp_lua_error(L, "%s: %s is %s (accepted: %s, or a list of them)", what, k->name,
				       describe(L, idx, vb, sizeof(vb)), list);
		return (uint32_t)bit;
	}
	if (lua_type(L, idx) != LUA_TTABLE)
		l2tp_lua_error(L, "%s: %s must be an array of strings, got %s (accepted: {%s})", what, k->name,
			       describe(L, idx, vb, sizeof(vb)), list);
	size_t n = lua_objlen(L, idx);
	for (size_t i = 1; i <= n; i++) {
		lua_rawgeti(L, idx, (int)i);
		const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		if (!s || !l2tp_key_value(k->names, s, &bit))
			l2tp_lua_error(L, "%s: %s[%u] is %s (accepted: %s)", what, k->name, (unsigned)i,
				       describe(L, -1, vb, sizeof(vb)), list);
		flags |= (uint32_t)bit;
		lua_pop(L, 1);
	}
	return flags;
}

static void read_key(lua_State *L, int vidx, const char *what, const struct l2tp_key *k, void *base)
{
	char vb[80], list[256], msg[256];
	void *field = (char *)base + k->off;

	switch (k->type) {
	case L2TP_KEY_STRING: {
		if (lua_type(L, vidx) != LUA_TSTRING)
			l2tp_lua_error(L, "%s: %s must be a string, got %s", what, k->name, describe(L, vidx, vb, sizeof(vb)));
		size_t n;
		const char *s = lua_tolstring(L, vidx, &n);
		if (n >= k->size)
			l2tp_lua_error(L, "%s: %s '%.40s' is too long (accepted: up to %u bytes)", what, k->name, s,
				       (unsigned)(k->size - 1));
		if (strlen(s) != n)
			l2tp_lua_error(L, "%s: %s has an embedded zero byte", what, k->name);
		memcpy(field, s, n + 1);
		break;
	}
	case L2TP_KEY_UINT: {
		lua_Number v = lua_tonumber(L, vidx);
		if (lua_type(L, vidx) != LUA_TNUMBER || v != floor(v))
			l2tp_lua_error(L, "%s: %s must be an integer, got %s", what, k->name, describe(L, vidx, vb, sizeof(vb)));
		if (v < k->min || v > k->max) {
			l2tp_key_range_error(k, v, msg, sizeof(msg));
			l2tp_lua_error(L, "%s: %s", what, msg);
		}
		l2tp_key_set_uint(k, base, (uint32_t)v);
		break;
	}
	case L2TP_KEY_BOOL:
		if (lua_type(L, vidx) != LUA_TBOOLEAN)
			l2tp_lua_error(L, "%s: %s must be a boolean, got %s", what, k->name, describe(L, vidx, vb, sizeof(vb)));
		*(bool *)field = lua_toboolean(L, vidx);
		break;
	case L2TP_KEY_ENUM: {
		const char *s = lua_type(L, vidx) == LUA_TSTRING ? lua_tostring(L, vidx) : NULL;
		if (!s) {
			l2tp_key_spellings(k->names, false, list, sizeof(list));
			l2tp_lua_error(L, "%s: %s must be a string, got %s (accepted: %s)", what, k->name,
				       describe(L, vidx, vb, sizeof(vb)), list);
		}
		if (!l2tp_key_value(k->names, s, (int *)field)) {
			l2tp_key_spelling_error(k, s, msg, sizeof(msg));
			l2tp_lua_error(L, "%s: %s", what, msg);
		}
		break;
	}
	case L2TP_KEY_BYTES:
		read_bytes(L, vidx, what, k, field, (uint8_t *)base + k->aux);
		break;
	case L2TP_KEY_FLAGS:
		*(uint32_t *)field = read_flags(L, vidx, what, k);
		break;
	case L2TP_KEY_TIEBREAKER: {
		/* true: a random value; an 8-byte string: that value. */
		bool *has = (bool *)((char *)base + k->aux);
		if (lua_type(L, vidx) == LUA_TBOOLEAN) {
			*has = lua_toboolean(L, vidx);
			if (*has && getrandom(field, 8, 0) != 8)
				l2tp_lua_error(L, "%s: cannot make a random %s", what, k->name);
		} else if (lua_type(L, vidx) == LUA_TSTRING && lua_objlen(L, vidx) == 8) {
			memcpy(field, lua_tostring(L, vidx), 8);
			*has = true;
		} else {
			l2tp_lua_error(L, "%s: %s is %s (accepted: true, false, or an 8-byte string)", what, k->name,
				       describe(L, vidx, vb, sizeof(vb)));
		}
		break;
	}
	case L2TP_KEY_STRLIST: {
		/* An array of strings, kept '\n'-separated. */
		char *out = field;
		size_t used = 0;
		if (lua_type(L, vidx) != LUA_TTABLE)
			l2tp_lua_error(L, "%s: %s must be an array of strings, got %s", what, k->name,
				       describe(L, vidx, vb, sizeof(vb)));
		out[0] = '\0';
		for (size_t i = 1; i <= lua_objlen(L, vidx); i++) {
			lua_rawgeti(L, vidx, (int)i);
			size_t n;
			const char *str = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
			if (!str || memchr(str, '\n', n) || strlen(str) != n)
				l2tp_lua_error(L, "%s: %s[%u] is %s (accepted: strings without newlines)", what, k->name,
					       (unsigned)i, describe(L, -1, vb, sizeof(vb)));
			if (used + n + 2 > k->size)
				l2tp_lua_error(L, "%s: %s is too long (accepted: up to %u bytes in all)", what, k->name,
					       (unsigned)(k->size - 1));
			if (used)
				out[used++] = '\n';
			memcpy(out + used, str, n + 1);
			used += n;
			lua_pop(L, 1);
		}
		break;
	}
	case L2TP_KEY_HOOK:
		/* Kept by the binding that owns the object; only checked here. */
		if (!lua_isfunction(L, vidx))
			l2tp_lua_error(L, "%s: %s must be a function, got %s", what, k->name, luaL_typename(L, vidx));
		break;
	}
}

static const struct l2tp_key *find_key(const struct l2tp_lua_section *secs, size_t nsecs, const char *name,
				       size_t *sec)
{
	for (size_t i = 0; i < nsecs; i++) {
		const struct l2tp_key *k = l2tp_key_find(secs[i].keys, secs[i].set, name);
		if (k) {
			*sec = i;
			return k;
		}
	}
	return NULL;
}

/* First pass: every key known; second pass: values. So a typo is reported
 * as such even when another key also has a bad value. */
void l2tp_lua_read_config(lua_State *L, int idx, const char *what, const struct l2tp_lua_section *secs,
			  size_t nsecs)
{
	char list[512], vb[80];
	size_t sec;
	idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
	if (lua_isnoneornil(L, idx))
		return;
	if (lua_type(L, idx) != LUA_TTABLE)
		l2tp_lua_error(L, "%s: config must be a table, got %s", what, describe(L, idx, vb, sizeof(vb)));
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_type(L, -2) != LUA_TSTRING) {
			accepted_list(secs, nsecs, list, sizeof(list));
			l2tp_lua_error(L, "%s: config keys must be strings, got %s (accepted: %s)", what,
				       describe(L, -2, vb, sizeof(vb)), list);
		}
		const char *name = lua_tostring(L, -2);
		if (!find_key(secs, nsecs, name, &sec)) {
			accepted_list(secs, nsecs, list, sizeof(list));
			l2tp_lua_error(L, "%s: unknown key '%s' (accepted: %s)", what, name, list);
		}
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const struct l2tp_key *k = find_key(secs, nsecs, lua_tostring(L, -2), &sec);
		read_key(L, lua_gettop(L), what, k, secs[sec].base);
		lua_pop(L, 1);
	}
}

void l2tp_lua_tunnel_config(lua_State *L, int idx, enum l2tp_tunnel_kind kind, const char *what,
			    struct l2tp_tunnel_config *cfg)
{
	struct l2tp_lua_section sec = {l2tp_tunnel_keys, l2tp_tunnel_kind_keys(kind), cfg};
	l2tp_tunnel_config_defaults(cfg, kind);
	l2tp_lua_read_config(L, idx, what, &sec, 1);
}

void l2tp_lua_session_config(lua_State *L, int idx, enum l2tp_version version, enum l2tp_tunnel_kind kind,
			     const char *what, struct l2tp_session_config *cfg)
{
	struct l2tp_lua_section sec = {l2tp_session_keys, l2tp_tunnel_kind_keys(kind), cfg};
	l2tp_session_config_defaults(cfg, version);
	l2tp_lua_read_config(L, idx, what, &sec, 1);
}

void l2tp_lua_listener_config(lua_State *L, int idx, const char *what, struct l2tp_listener_config *cfg)
{
	struct l2tp_lua_section secs[] = {
		{l2tp_listener_keys, L2TP_KEYS_LISTENER, cfg},
		{l2tp_tunnel_keys, L2TP_KEYS_ACCEPTED, &cfg->tunnel},
	};
	l2tp_listener_config_defaults(cfg);
	l2tp_lua_read_config(L, idx, what, secs, 2);
}

void l2tp_lua_call_settings(lua_State *L, int idx, const char *what, struct l2tp_session_config *cfg)
{
	struct l2tp_lua_section sec = {l2tp_session_keys, L2TP_KEYS_ACCEPTED, cfg};
	l2tp_lua_read_config(L, idx, what, &sec, 1);
}

void l2tp_lua_check_keys(lua_State *L, int idx, const char *what, const char *const *keys)
{
	char list[512], vb[80];
	size_t used = 0;
	idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
	if (lua_isnoneornil(L, idx))
		return;
	if (lua_type(L, idx) != LUA_TTABLE)
		l2tp_lua_error(L, "%s: config must be a table, got %s", what, describe(L, idx, vb, sizeof(vb)));
	list[0] = '\0';
	for (const char *const *k = keys; *k; k++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", *k);
		if (n > 0 && (size_t)n < sizeof(list) - used)
			used += (size_t)n;
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		const char *const *k = keys;
		if (lua_type(L, -2) == LUA_TSTRING)
			while (*k && strcmp(*k, lua_tostring(L, -2)) != 0)
				k++;
		if (lua_type(L, -2) != LUA_TSTRING || !*k)
			l2tp_lua_error(L, "%s: unknown key %s%s%s (accepted: %s)", what,
				       lua_type(L, -2) == LUA_TSTRING ? "'" : "",
				       lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : describe(L, -2, vb, sizeof(vb)),
				       lua_type(L, -2) == LUA_TSTRING ? "'" : "", list);
		lua_pop(L, 1);
	}
}

/* The reverse of l2tp_lua_read_config, from the same key table: what a
 * script reads back is spelled exactly as what it may write. */
static void push_table(lua_State *L, const struct l2tp_key *keys, const void *base)
{
	lua_newtable(L);
	for (const struct l2tp_key *k = keys; k->name; k++) {
		const void *field = (const char *)base + k->off;
		/* A secret never leaves the config it was given in: events and
		 * config() say only that there is one. */
		if (k->secret) {
			if (*(const char *)field) {
				lua_pushliteral(L, "(set)");
				lua_setfield(L, -2, k->name);
			}
			continue;
		}
		switch (k->type) {
		case L2TP_KEY_STRING:
			if (!*(const char *)field)
				continue;
			lua_pushstring(L, field);
			break;
		case L2TP_KEY_UINT:
			lua_pushnumber(L, l2tp_key_get_uint(k, base));
			break;
		case L2TP_KEY_BOOL:
			lua_pushboolean(L, *(const bool *)field);
			break;
		case L2TP_KEY_ENUM: {
			const char *name = l2tp_key_spell(k->names, *(const int *)field);
			if (!name)
				continue;
			lua_pushstring(L, name);
			break;
		}
		case L2TP_KEY_BYTES: {
			uint8_t len = *((const uint8_t *)base + k->aux);
			const uint8_t *b = (const uint8_t *)field;
			if (!len)
				continue;
			if (k->size == MAC_LEN)
				lua_pushfstring(L, "%s", mac_text(b));
			else
				lua_pushlstring(L, field, len);
			break;
		}
		case L2TP_KEY_TIEBREAKER:
			if (!*(const bool *)((const char *)base + k->aux))
				continue;
			lua_pushlstring(L, field, 8);
			break;
		case L2TP_KEY_STRLIST: {
			const char *p = field;
			int n = 0;
			lua_newtable(L);
			while (*p) {
				const char *nl = strchr(p, '\n');
				size_t len = nl ? (size_t)(nl - p) : strlen(p);
				lua_pushlstring(L, p, len);
				lua_rawseti(L, -2, ++n);
				p += len + (nl ? 1 : 0);
			}
			if (n == 0) {
				lua_pop(L, 1);
				continue;
			}
			break;
		}
		case L2TP_KEY_FLAGS: {
			uint32_t flags = *(const uint32_t *)field;
			int n = 0;
			lua_newtable(L);
			for (const struct l2tp_key_name *e = k->names; e->name; e++) {
				if (flags & (uint32_t)e->value) {
					lua_pushstring(L, e->name);
					lua_rawseti(L, -2, ++n);
				}
			}
			break;
		}
		case L2TP_KEY_HOOK:
			continue;
		}
		lua_setfield(L, -2, k->name);
	}
}

void l2tp_lua_push_tunnel_config(lua_State *L, const struct l2tp_tunnel_config *cfg)
{
	push_table(L, l2tp_tunnel_keys, cfg);
}

void l2tp_lua_push_session_config(lua_State *L, const struct l2tp_session_config *cfg)
{
	push_table(L, l2tp_session_keys, cfg);
}

/* The constructors l2tp.check_config speaks for, and what they make. */
static const struct {
	const char *ctor;
	enum l2tp_tunnel_kind kind;
} ctors[] = {{"static_tunnel", L2TP_TUNNEL_STATIC},
	     {"quiescent_tunnel", L2TP_TUNNEL_QUIESCENT},
	     {"dynamic_tunnel", L2TP_TUNNEL_DYNAMIC},
	     {"listen", L2TP_TUNNEL_ACCEPTED}};

/* The body of l2tp.check_config, run protected: reads and checks as the
 * constructor would, raising the constructor's message. */
static int check_config_body(lua_State *L)
{
	enum l2tp_tunnel_kind kind = ctors[lua_tointeger(L, 5)].kind;
	const char *name = lua_tostring(L, 2);
	char what[300], err[512];
	struct l2tp_tunnel_config cfg;
	struct l2tp_listener_config lcfg;
	if (kind == L2TP_TUNNEL_ACCEPTED) {
		snprintf(what, sizeof(what), "listener '%s'", name);
		l2tp_lua_listener_config(L, 3, what, &lcfg);
		cfg = lcfg.tunnel;
	} else {
		snprintf(what, sizeof(what), "tunnel '%s'", name);
		l2tp_lua_tunnel_config(L, 3, kind, what, &cfg);
	}
	if (l2tp_tunnel_config_check(&cfg, kind, err, sizeof(err)) != 0)
		return luaL_error(L, "%s: %s", what, err);
	if (lua_isnoneornil(L, 4))
		return 0;
	luaL_checktype(L, 4, LUA_TTABLE);
	enum l2tp_tunnel_kind maker = l2tp_session_maker_kind(kind);
	for (lua_pushnil(L); lua_next(L, 4); lua_pop(L, 1)) {
		struct l2tp_session_config scfg;
		snprintf(what, sizeof(what), "session '%s/%s'", name, lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?");
		l2tp_lua_session_config(L, lua_gettop(L), cfg.version, maker, what, &scfg);
		if (l2tp_session_config_check(&scfg, cfg.version, maker, err, sizeof(err)) != 0)
			return luaL_error(L, "%s: %s", what, err);
	}
	return 0;
}

/* l2tp.check_config(constructor, name, cfg [, sessions]): whether
 * ctx:CONSTRUCTOR(name, cfg) (and tunnel:session for each of sessions,
 * name -> cfg) would take these configs, without making anything. Returns
 * true, or nil and the message the constructor would raise. For daemons
 * that reload a config and must not close what works for what will not. */
int l2tp_lua_check_config(lua_State *L)
{
	const char *ctor = luaL_checkstring(L, 1);
	luaL_checkstring(L, 2);
	size_t i = 0;
	while (i < sizeof(ctors) / sizeof(ctors[0]) && strcmp(ctors[i].ctor, ctor) != 0)
		i++;
	if (i == sizeof(ctors) / sizeof(ctors[0]))
		return l2tp_lua_error(L, "l2tp.check_config: '%s' is not a constructor (accepted: static_tunnel, "
					 "quiescent_tunnel, dynamic_tunnel, listen)", ctor);
	lua_settop(L, 4);
	lua_pushinteger(L, (lua_Integer)i);
	lua_pushcfunction(L, check_config_body);
	lua_insert(L, 1);
	if (lua_pcall(L, 5, 0, 0) != 0) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}
