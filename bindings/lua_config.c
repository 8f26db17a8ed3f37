#include "lua_config.h"

#include <lauxlib.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "runtime.h"

enum ktype { K_STRING, K_UINT, K_BOOL, K_ENUM, K_BYTES, K_FRAMING, K_STRLIST, K_TIEBREAKER };

struct enumval {
	const char *name;
	int value;
};

struct key {
	const char *name;
	enum ktype type;
	size_t off;
	size_t size; /* field size: string buffer or integer width */
	double min, max;
	const struct enumval *enums;
	unsigned kinds;
	size_t lenoff; /* K_BYTES: offset of the uint8_t length */
};

static const struct enumval versions[] = {{"l2tpv2", L2TP_V2}, {"l2tpv3", L2TP_V3}, {NULL, 0}};
static const struct enumval encaps[] = {{"udp", L2TP_ENCAP_UDP}, {"ip", L2TP_ENCAP_IP}, {NULL, 0}};
static const struct enumval pseudowires[] = {
	{"ppp", L2TP_PW_PPP}, {"eth", L2TP_PW_ETH}, {"pppac", L2TP_PW_PPP_AC}, {NULL, 0}};
static const struct enumval l2specs[] = {{"none", L2TP_L2SPEC_NONE}, {"default", L2TP_L2SPEC_DEFAULT}, {NULL, 0}};

#define TF(f) offsetof(struct l2tp_tunnel_config, f), sizeof(((struct l2tp_tunnel_config *)0)->f)
#define SF(f) offsetof(struct l2tp_session_config, f), sizeof(((struct l2tp_session_config *)0)->f)

static const struct key tunnel_keys[] = {
	{"local", K_STRING, TF(local), 0, 0, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"peer", K_STRING, TF(peer), 0, 0, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"version", K_ENUM, TF(version), 0, 0, versions, L2TP_LUA_KEYS_ALL, 0},
	{"encap", K_ENUM, TF(encap), 0, 0, encaps, L2TP_LUA_KEYS_ALL, 0},
	{"tid", K_UINT, TF(tid), 0, 4294967295.0, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"ptid", K_UINT, TF(ptid), 0, 4294967295.0, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"window_size", K_UINT, TF(window_size), 1, 65535, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"hello_timeout", K_UINT, TF(hello_timeout_ms), 0, 4294967295.0, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"retry_timeout", K_UINT, TF(retry_timeout_ms), 1, 4294967295.0, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"max_retries", K_UINT, TF(max_retries), 0, 65535, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"max_retry_timeout", K_UINT, TF(max_retry_timeout_ms), 1, 4294967295.0, NULL, L2TP_LUA_KEYS_CONTROL, 0},
	{"ack_timeout", K_UINT, TF(ack_timeout_ms), 1, 4294967295.0, NULL, L2TP_LUA_KEYS_CONTROL, 0},
	{"stopccn_timeout", K_UINT, TF(stopccn_timeout_ms), 1, 4294967295.0, NULL, L2TP_LUA_KEYS_CONTROL, 0},
	{"setup_timeout", K_UINT, TF(setup_timeout_ms), 1, 4294967295.0, NULL, L2TP_LUA_KEYS_DYNAMIC, 0},
	{"host_name", K_STRING, TF(host_name), 0, 0, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"framing_caps", K_FRAMING, TF(framing_caps), 0, 0, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"secret", K_STRING, TF(secret), 0, 0, NULL, L2TP_LUA_KEYS_DYNAMIC, 0},
	{"hide_avps", K_BOOL, TF(hide_avps), 0, 0, NULL, L2TP_LUA_KEYS_DYNAMIC, 0},
	{"challenge", K_BOOL, TF(challenge), 0, 0, NULL, L2TP_LUA_KEYS_DYNAMIC, 0},
	{"tie_breaker", K_TIEBREAKER, TF(tie_breaker), 0, 0, NULL, L2TP_LUA_KEYS_DYNAMIC,
	 offsetof(struct l2tp_tunnel_config, has_tie_breaker)},
	{NULL, 0, 0, 0, 0, 0, NULL, 0, 0},
};

static const struct key session_keys[] = {
	{"sid", K_UINT, SF(sid), 0, 4294967295.0, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"psid", K_UINT, SF(psid), 0, 4294967295.0, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"pseudowire", K_ENUM, SF(pseudowire), 0, 0, pseudowires, L2TP_LUA_KEYS_ALL, 0},
	{"seqnum", K_BOOL, SF(seqnum), 0, 0, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"reorder_timeout", K_UINT, SF(reorder_timeout_ms), 0, 4294967295.0, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"cookie", K_BYTES, SF(cookie), 0, 0, NULL, L2TP_LUA_KEYS_ALL, offsetof(struct l2tp_session_config, cookie_len)},
	{"peer_cookie", K_BYTES, SF(peer_cookie), 0, 0, NULL, L2TP_LUA_KEYS_ALL,
	 offsetof(struct l2tp_session_config, peer_cookie_len)},
	{"interface_name", K_STRING, SF(interface_name), 0, 0, NULL, L2TP_LUA_KEYS_ALL, 0},
	{"l2spec_type", K_ENUM, SF(l2spec_type), 0, 0, l2specs, L2TP_LUA_KEYS_ALL, 0},
	{"pppd_args", K_STRING, SF(pppd_args), 0, 0, NULL, L2TP_LUA_KEYS_DYNAMIC, 0},
	{"pppd", K_STRLIST, SF(pppd_extra), 0, 0, NULL, L2TP_LUA_KEYS_DYNAMIC, 0},
	{NULL, 0, 0, 0, 0, 0, NULL, 0, 0},
};

static unsigned kind_mask(enum l2tp_tunnel_kind kind)
{
	switch (kind) {
	case L2TP_TUNNEL_STATIC: return L2TP_LUA_KEYS_STATIC;
	case L2TP_TUNNEL_QUIESCENT: return L2TP_LUA_KEYS_QUIESCENT;
	default: return L2TP_LUA_KEYS_DYNAMIC;
	}
}

static void accepted_list(const struct key *keys, unsigned mask, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (const struct key *k = keys; k->name; k++) {
		if (!(k->kinds & mask))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", k->name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

static void enum_list(const struct enumval *e, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (; e->name; e++) {
		int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", e->name);
		if (n < 0 || (size_t)n >= len - used)
			break;
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

static void read_bytes(lua_State *L, int idx, const char *what, const struct key *k, uint8_t *dst, uint8_t *len)
{
	char vb[80];
	if (lua_type(L, idx) == LUA_TSTRING) {
		size_t n;
		const char *s = lua_tolstring(L, idx, &n);
		if (n != 4 && n != 8)
			l2tp_lua_error(L, "%s: %s has %u bytes (accepted: 4 or 8 bytes)", what, k->name, (unsigned)n);
		memcpy(dst, s, n);
		*len = (uint8_t)n;
		return;
	}
	if (lua_type(L, idx) != LUA_TTABLE)
		l2tp_lua_error(L, "%s: %s must be a string or an array of byte values, got %s", what, k->name,
			       describe(L, idx, vb, sizeof(vb)));
	size_t n = lua_objlen(L, idx);
	if (n != 4 && n != 8)
		l2tp_lua_error(L, "%s: %s has %u bytes (accepted: 4 or 8 bytes)", what, k->name, (unsigned)n);
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

static uint32_t read_framing(lua_State *L, int idx, const char *what)
{
	char vb[80];
	uint32_t caps = 0;
	if (lua_type(L, idx) != LUA_TTABLE)
		l2tp_lua_error(L, "%s: framing_caps must be an array of strings, got %s (accepted: {\"sync\", \"async\"})",
			       what, describe(L, idx, vb, sizeof(vb)));
	size_t n = lua_objlen(L, idx);
	for (size_t i = 1; i <= n; i++) {
		lua_rawgeti(L, idx, (int)i);
		const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		if (s && strcmp(s, "sync") == 0)
			caps |= L2TP_FRAMING_SYNC;
		else if (s && strcmp(s, "async") == 0)
			caps |= L2TP_FRAMING_ASYNC;
		else
			l2tp_lua_error(L, "%s: framing_caps[%u] is %s (accepted: \"sync\", \"async\")", what, (unsigned)i,
				       describe(L, -1, vb, sizeof(vb)));
		lua_pop(L, 1);
	}
	return caps;
}

static void set_uint(void *field, size_t size, uint32_t v)
{
	if (size == 1)
		*(uint8_t *)field = (uint8_t)v;
	else if (size == 2)
		*(uint16_t *)field = (uint16_t)v;
	else
		*(uint32_t *)field = v;
}

static void read_key(lua_State *L, int vidx, const char *what, const struct key *k, void *base)
{
	char vb[80], list[256];
	void *field = (char *)base + k->off;

	switch (k->type) {
	case K_STRING: {
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
	case K_UINT: {
		lua_Number v = lua_tonumber(L, vidx);
		if (lua_type(L, vidx) != LUA_TNUMBER || v != floor(v))
			l2tp_lua_error(L, "%s: %s must be an integer, got %s", what, k->name, describe(L, vidx, vb, sizeof(vb)));
		if (v < k->min || v > k->max)
			l2tp_lua_error(L, "%s: %s %.14g is out of range (accepted: %.14g-%.14g)", what, k->name, v, k->min,
				       k->max);
		set_uint(field, k->size, (uint32_t)v);
		break;
	}
	case K_BOOL:
		if (lua_type(L, vidx) != LUA_TBOOLEAN)
			l2tp_lua_error(L, "%s: %s must be a boolean, got %s", what, k->name, describe(L, vidx, vb, sizeof(vb)));
		*(bool *)field = lua_toboolean(L, vidx);
		break;
	case K_ENUM: {
		const char *s = lua_type(L, vidx) == LUA_TSTRING ? lua_tostring(L, vidx) : NULL;
		enum_list(k->enums, list, sizeof(list));
		if (!s)
			l2tp_lua_error(L, "%s: %s must be a string, got %s (accepted: %s)", what, k->name,
				       describe(L, vidx, vb, sizeof(vb)), list);
		const struct enumval *e = k->enums;
		while (e->name && strcmp(e->name, s) != 0)
			e++;
		if (!e->name)
			l2tp_lua_error(L, "%s: %s '%s' is not valid (accepted: %s)", what, k->name, s, list);
		*(int *)field = e->value;
		break;
	}
	case K_BYTES:
		read_bytes(L, vidx, what, k, field, (uint8_t *)base + k->lenoff);
		break;
	case K_FRAMING:
		*(uint32_t *)field = read_framing(L, vidx, what);
		break;
	case K_TIEBREAKER: {
		/* true: a random value; an 8-byte string: that value. */
		bool *has = (bool *)((char *)base + k->lenoff);
		if (lua_type(L, vidx) == LUA_TBOOLEAN) {
			*has = lua_toboolean(L, vidx);
			if (*has && getrandom(field, 8, 0) != 8)
				l2tp_lua_error(L, "%s: cannot make a random tie_breaker", what);
		} else if (lua_type(L, vidx) == LUA_TSTRING && lua_objlen(L, vidx) == 8) {
			memcpy(field, lua_tostring(L, vidx), 8);
			*has = true;
		} else {
			l2tp_lua_error(L, "%s: tie_breaker is %s (accepted: true, false, or an 8-byte string)", what,
				       describe(L, vidx, vb, sizeof(vb)));
		}
		break;
	}
	case K_STRLIST: {
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
	}
}

static const struct key *find_key(const struct key *keys, const char *name, unsigned mask)
{
	for (const struct key *k = keys; k->name; k++)
		if ((k->kinds & mask) && strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

/* First pass: every key known; second pass: values. So a typo is reported
 * as such even when another key also has a bad value. */
static void read_table(lua_State *L, int idx, const char *what, const struct key *keys, unsigned mask,
		       void *base)
{
	char list[512], vb[80];
	if (lua_isnoneornil(L, idx))
		return;
	if (lua_type(L, idx) != LUA_TTABLE)
		l2tp_lua_error(L, "%s: config must be a table, got %s", what, describe(L, idx, vb, sizeof(vb)));
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_type(L, -2) != LUA_TSTRING) {
			accepted_list(keys, mask, list, sizeof(list));
			l2tp_lua_error(L, "%s: config keys must be strings, got %s (accepted: %s)", what,
				       describe(L, -2, vb, sizeof(vb)), list);
		}
		const char *name = lua_tostring(L, -2);
		if (!find_key(keys, name, mask)) {
			accepted_list(keys, mask, list, sizeof(list));
			l2tp_lua_error(L, "%s: unknown key '%s' (accepted: %s)", what, name, list);
		}
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		read_key(L, lua_gettop(L), what, find_key(keys, lua_tostring(L, -2), mask), base);
		lua_pop(L, 1);
	}
}

void l2tp_lua_tunnel_config(lua_State *L, int idx, enum l2tp_tunnel_kind kind, const char *what,
			    struct l2tp_tunnel_config *cfg)
{
	idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
	l2tp_tunnel_config_defaults(cfg, kind);
	read_table(L, idx, what, tunnel_keys, kind_mask(kind), cfg);
}

void l2tp_lua_session_config(lua_State *L, int idx, enum l2tp_version version, enum l2tp_tunnel_kind kind,
			     const char *what, struct l2tp_session_config *cfg)
{
	idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
	l2tp_session_config_defaults(cfg, version);
	read_table(L, idx, what, session_keys, kind_mask(kind), cfg);
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

static uint32_t get_uint(const void *field, size_t size)
{
	if (size == 1)
		return *(const uint8_t *)field;
	if (size == 2)
		return *(const uint16_t *)field;
	return *(const uint32_t *)field;
}

/* The reverse of read_table, from the same key table: what a script reads
 * back is spelled exactly as what it may write. */
static void push_table(lua_State *L, const struct key *keys, const void *base)
{
	lua_newtable(L);
	for (const struct key *k = keys; k->name; k++) {
		const void *field = (const char *)base + k->off;
		/* A secret never leaves the config it was given in: events and
		 * config() say only that there is one. */
		if (strcmp(k->name, "secret") == 0) {
			if (*(const char *)field) {
				lua_pushliteral(L, "(set)");
				lua_setfield(L, -2, k->name);
			}
			continue;
		}
		switch (k->type) {
		case K_STRING:
			if (!*(const char *)field)
				continue;
			lua_pushstring(L, field);
			break;
		case K_UINT:
			lua_pushnumber(L, get_uint(field, k->size));
			break;
		case K_BOOL:
			lua_pushboolean(L, *(const bool *)field);
			break;
		case K_ENUM: {
			const struct enumval *e = k->enums;
			while (e->name && e->value != *(const int *)field)
				e++;
			if (!e->name)
				continue;
			lua_pushstring(L, e->name);
			break;
		}
		case K_BYTES: {
			uint8_t len = *((const uint8_t *)base + k->lenoff);
			if (!len)
				continue;
			lua_pushlstring(L, field, len);
			break;
		}
		case K_TIEBREAKER:
			if (!*(const bool *)((const char *)base + k->lenoff))
				continue;
			lua_pushlstring(L, field, 8);
			break;
		case K_STRLIST: {
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
		case K_FRAMING: {
			uint32_t caps = *(const uint32_t *)field;
			int n = 0;
			lua_newtable(L);
			if (caps & L2TP_FRAMING_SYNC) {
				lua_pushliteral(L, "sync");
				lua_rawseti(L, -2, ++n);
			}
			if (caps & L2TP_FRAMING_ASYNC) {
				lua_pushliteral(L, "async");
				lua_rawseti(L, -2, ++n);
			}
			break;
		}
		}
		lua_setfield(L, -2, k->name);
	}
}

void l2tp_lua_push_tunnel_config(lua_State *L, const struct l2tp_tunnel_config *cfg)
{
	push_table(L, tunnel_keys, cfg);
}

void l2tp_lua_push_session_config(lua_State *L, const struct l2tp_session_config *cfg)
{
	push_table(L, session_keys, cfg);
}
