/* l2tp.codec: the wire codec for scripts. decode() turns bytes into a
 * table with AVP values in natural Lua form; encode() does the reverse and,
 * with validate = false, builds malformed messages on purpose. */
#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/codec.h"
#include "lua_config.h"
#include "runtime.h"

#define MAX_DATAGRAM 65540

static const char *const codec_errs[] = {
	"ok", "truncated", "bad_version", "bad_control_bits", "bad_length", "avp_too_short", "avp_overrun",
	"avp_reserved", "first_not_message_type", "bad_message_type", "avp_bad_length", "unknown_mbit_avp",
	"hidden_no_random_vector", "hidden_no_secret", "hidden_bad_length", "hidden_not_allowed", "missing_avp",
	"too_many_avps", "no_space", "bad_input",
};

static void setnum(lua_State *L, const char *k, double v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

static void setstr(lua_State *L, const char *k, const void *s, size_t n)
{
	lua_pushlstring(L, s, n);
	lua_setfield(L, -2, k);
}

/* Pushes the value of a decoded AVP in its natural Lua form: the core
 * reads it (l2tp_avp_value), this only converts. */
static void push_value(lua_State *L, const struct l2tp_avp_info *info, const struct l2tp_avp *a)
{
	struct l2tp_avp_value v;
	l2tp_avp_value(info, a, &v);
	switch (v.data) {
	case L2TP_AVP_D_EMPTY: lua_pushboolean(L, 1); break;
	case L2TP_AVP_D_U8:
	case L2TP_AVP_D_U16:
	case L2TP_AVP_D_U32:
	case L2TP_AVP_D_U64: lua_pushnumber(L, (double)v.u); break;
	case L2TP_AVP_D_STRING:
	case L2TP_AVP_D_BYTES: lua_pushlstring(L, (const char *)v.bytes.p, v.bytes.len); break;
	case L2TP_AVP_D_RESULT:
		lua_createtable(L, 0, 3);
		setnum(L, "result", v.result.result_code);
		if (v.result.has_error_code)
			setnum(L, "error", v.result.error_code);
		if (v.result.message_len)
			setstr(L, "message", (const uint8_t *)v.result.message, v.result.message_len);
		break;
	case L2TP_AVP_D_PROTO_VERSION:
		lua_createtable(L, 0, 2);
		setnum(L, "version", v.proto.version);
		setnum(L, "revision", v.proto.revision);
		break;
	case L2TP_AVP_D_Q931:
		lua_createtable(L, 0, 3);
		setnum(L, "cause", v.q931.cause);
		setnum(L, "msg", v.q931.msg);
		if (v.q931.advisory_len)
			setstr(L, "advisory", (const uint8_t *)v.q931.advisory, v.q931.advisory_len);
		break;
	case L2TP_AVP_D_CALL_ERRORS:
		lua_createtable(L, 0, 6);
		setnum(L, "crc_errors", v.call_errors.crc);
		setnum(L, "framing_errors", v.call_errors.framing);
		setnum(L, "hardware_overruns", v.call_errors.hardware_overruns);
		setnum(L, "buffer_overruns", v.call_errors.buffer_overruns);
		setnum(L, "timeout_errors", v.call_errors.timeouts);
		setnum(L, "alignment_errors", v.call_errors.alignment);
		break;
	case L2TP_AVP_D_ACCM:
		lua_createtable(L, 0, 2);
		setnum(L, "send", v.accm.send);
		setnum(L, "recv", v.accm.recv);
		break;
	case L2TP_AVP_D_U16_LIST:
		lua_createtable(L, v.bytes.len / 2, 0);
		for (size_t i = 0; i < v.bytes.len / 2u; i++) {
			lua_pushnumber(L, l2tp_avp_list_u16(&v, i));
			lua_rawseti(L, -2, (int)i + 1);
		}
		break;
	case L2TP_AVP_D_DIGEST:
		lua_createtable(L, 0, 2);
		setnum(L, "type", v.digest.type);
		setstr(L, "digest", v.digest.digest, v.digest.len);
		break;
	case L2TP_AVP_D_PPP_DISCONNECT:
		lua_createtable(L, 0, 4);
		setnum(L, "code", v.ppp_disconnect.code);
		setnum(L, "protocol", v.ppp_disconnect.protocol);
		setnum(L, "direction", v.ppp_disconnect.direction);
		if (v.ppp_disconnect.message_len)
			setstr(L, "message", (const uint8_t *)v.ppp_disconnect.message, v.ppp_disconnect.message_len);
		break;
	}
}

static void push_error(lua_State *L, const struct l2tp_codec_error *e)
{
	lua_pushnil(L);
	lua_pushstring(L, e->message);
	lua_createtable(L, 0, 8);
	lua_pushstring(L, (size_t)e->code < sizeof(codec_errs) / sizeof(codec_errs[0]) ? codec_errs[e->code] : "?");
	lua_setfield(L, -2, "code");
	setnum(L, "offset", (double)e->offset);
	if (e->result_code) {
		setnum(L, "result_code", e->result_code);
		setnum(L, "error_code", e->error_code);
		lua_pushstring(L, e->session_scope ? "session" : "tunnel");
		lua_setfield(L, -2, "scope");
	}
	if (e->msg_type && l2tp_msg_type_name(e->msg_type)) {
		lua_pushstring(L, l2tp_msg_type_name(e->msg_type));
		lua_setfield(L, -2, "message_type");
	}
	if (e->avp_type)
		setnum(L, "avp_type", e->avp_type);
}

static const char *opt_string(lua_State *L, int idx, const char *key, size_t *len, const char *fn)
{
	const char *s = NULL;
	lua_getfield(L, idx, key);
	if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) != LUA_TSTRING)
			l2tp_lua_error(L, "%s: option %s must be a string, got %s", fn, key, luaL_typename(L, -1));
		s = lua_tolstring(L, -1, len);
	}
	lua_pop(L, 1); /* the string stays referenced by the options table */
	return s;
}

static bool opt_bool(lua_State *L, int idx, const char *key, bool def, const char *fn)
{
	bool v = def;
	lua_getfield(L, idx, key);
	if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) != LUA_TBOOLEAN)
			l2tp_lua_error(L, "%s: option %s must be a boolean, got %s", fn, key, luaL_typename(L, -1));
		v = lua_toboolean(L, -1);
	}
	lua_pop(L, 1);
	return v;
}

static int l_decode(lua_State *L)
{
	static const char *const keys[] = {"secret", "over_ip", "validate", NULL};
	size_t len, slen = 0;
	const char *bytes = luaL_checklstring(L, 1, &len);
	struct l2tp_decode_opts o = {0};
	struct l2tp_codec_error e;

	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		l2tp_lua_check_keys(L, 2, "l2tp.codec.decode", keys);
		o.secret = (const uint8_t *)opt_string(L, 2, "secret", &slen, "l2tp.codec.decode");
		o.secret_len = slen;
		o.over_ip = opt_bool(L, 2, "over_ip", false, "l2tp.codec.decode");
		o.no_validate = !opt_bool(L, 2, "validate", true, "l2tp.codec.decode");
	}
	/* Decoding unhides in place: work on a copy. */
	uint8_t *buf = malloc(len ? len : 1);
	struct l2tp_msg *m = malloc(sizeof(*m));
	if (!buf || !m) {
		free(buf);
		free(m);
		return luaL_error(L, "l2tp.codec.decode: out of memory");
	}
	memcpy(buf, bytes, len);
	if (l2tp_msg_decode(buf, len, &o, m, &e) != 0) {
		free(buf);
		free(m);
		push_error(L, &e);
		return 3;
	}

	lua_createtable(L, 0, 12);
	setnum(L, "version", m->hdr.version);
	lua_pushstring(L, l2tp_msg_type_name(m->type));
	lua_setfield(L, -2, "type");
	setnum(L, "type_code", m->type);
	lua_pushstring(L, l2tp_msg_type_description(m->type));
	lua_setfield(L, -2, "description");
	if (m->hdr.version == 2) {
		setnum(L, "tunnel_id", m->hdr.tunnel_id);
		setnum(L, "session_id", m->hdr.session_id);
	} else {
		setnum(L, "connection_id", m->hdr.tunnel_id);
	}
	setnum(L, "ns", m->hdr.ns);
	setnum(L, "nr", m->hdr.nr);
	setnum(L, "length", m->hdr.length);
	lua_createtable(L, (int)m->navps, 0);
	lua_createtable(L, 0, (int)m->navps);
	int avps = lua_gettop(L) - 1, values = lua_gettop(L);
	for (size_t i = 0; i < m->navps; i++) {
		const struct l2tp_avp *a = &m->avps[i];
		const struct l2tp_avp_info *info = l2tp_avp_info(a->vendor, a->type);
		lua_createtable(L, 0, 8);
		if (info) {
			lua_pushstring(L, info->key);
			lua_setfield(L, -2, "name");
			lua_pushstring(L, info->name);
			lua_setfield(L, -2, "description");
		}
		setnum(L, "type", a->type);
		setnum(L, "vendor", a->vendor);
		lua_pushboolean(L, a->mandatory);
		lua_setfield(L, -2, "mandatory");
		lua_pushboolean(L, a->hidden);
		lua_setfield(L, -2, "hidden");
		if (a->hidden)
			setnum(L, "hidden_length", a->hidden_len);
		setnum(L, "offset", (double)a->offset);
		push_value(L, info, a);
		if (info) {
			/* values: the first of each named AVP, for quick access */
			lua_getfield(L, values, info->key);
			if (lua_isnil(L, -1)) {
				lua_pushvalue(L, -2);
				lua_setfield(L, values, info->key);
			}
			lua_pop(L, 1);
		}
		lua_setfield(L, -2, "value");
		lua_rawseti(L, avps, (int)i + 1);
	}
	lua_setfield(L, avps - 1, "values");
	lua_setfield(L, -2, "avps");
	free(buf);
	free(m);
	return 1;
}

/* Encoding: Lua values to AVP bytes, by the table's data type. */
struct wbuf {
	uint8_t b[1024];
	size_t n;
	bool overflow;
};

static void w8(struct wbuf *w, unsigned v)
{
	if (w->n + 1 > sizeof(w->b)) {
		w->overflow = true;
		return;
	}
	w->b[w->n++] = (uint8_t)v;
}

static void w16(struct wbuf *w, unsigned v)
{
	w8(w, v >> 8);
	w8(w, v);
}

static void w32(struct wbuf *w, uint32_t v)
{
	w16(w, v >> 16);
	w16(w, v & 0xffff);
}

static void wbytes(struct wbuf *w, const char *s, size_t n)
{
	if (w->n + n > sizeof(w->b)) {
		w->overflow = true;
		return;
	}
	memcpy(w->b + w->n, s, n);
	w->n += n;
}

static double need_num(lua_State *L, int idx, const char *field, double max, const char *where)
{
	if (lua_type(L, idx) != LUA_TNUMBER)
		l2tp_lua_error(L, "l2tp.codec.encode: %s: %s must be a number, got %s", where, field, luaL_typename(L, idx));
	double v = lua_tonumber(L, idx);
	if (v != floor(v) || v < 0 || v > max)
		l2tp_lua_error(L, "l2tp.codec.encode: %s: %s %.14g is out of range (accepted: 0-%.14g)", where, field, v, max);
	return v;
}

static double field_num(lua_State *L, int t, const char *field, double max, bool required, const char *where)
{
	lua_getfield(L, t, field);
	double v = 0;
	if (!lua_isnil(L, -1) || required)
		v = need_num(L, -1, field, max, where);
	lua_pop(L, 1);
	return v;
}

static const char *field_str(lua_State *L, int t, const char *field, size_t *n, const char *where)
{
	lua_getfield(L, t, field);
	const char *s = NULL;
	*n = 0;
	if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) != LUA_TSTRING)
			l2tp_lua_error(L, "l2tp.codec.encode: %s: %s must be a string, got %s", where, field,
				       luaL_typename(L, -1));
		s = lua_tolstring(L, -1, n);
	}
	lua_pop(L, 1);
	return s;
}

static void need_table(lua_State *L, int idx, const char *where, const char *form)
{
	if (lua_type(L, idx) != LUA_TTABLE)
		l2tp_lua_error(L, "l2tp.codec.encode: %s: value must be a table %s, got %s", where, form, luaL_typename(L, idx));
}

static void encode_value(lua_State *L, int vidx, const struct l2tp_avp_info *info, struct wbuf *w, const char *where)
{
	size_t n;
	const char *s;
	switch (info->data) {
	case L2TP_AVP_D_EMPTY: break;
	case L2TP_AVP_D_U8: w8(w, (unsigned)need_num(L, vidx, "value", 255, where)); break;
	case L2TP_AVP_D_U16: w16(w, (unsigned)need_num(L, vidx, "value", 65535, where)); break;
	case L2TP_AVP_D_U32: w32(w, (uint32_t)need_num(L, vidx, "value", 4294967295.0, where)); break;
	case L2TP_AVP_D_U64: {
		double v = need_num(L, vidx, "value", 18446744073709551615.0, where);
		uint64_t u = (uint64_t)v;
		w32(w, (uint32_t)(u >> 32));
		w32(w, (uint32_t)u);
		break;
	}
	case L2TP_AVP_D_STRING:
	case L2TP_AVP_D_BYTES:
		if (lua_type(L, vidx) != LUA_TSTRING)
			l2tp_lua_error(L, "l2tp.codec.encode: %s: value must be a string, got %s", where, luaL_typename(L, vidx));
		s = lua_tolstring(L, vidx, &n);
		wbytes(w, s, n);
		break;
	case L2TP_AVP_D_RESULT: {
		need_table(L, vidx, where, "{result=, error=, message=}");
		w16(w, (unsigned)field_num(L, vidx, "result", 65535, true, where));
		lua_getfield(L, vidx, "error");
		bool has_error = !lua_isnil(L, -1);
		lua_pop(L, 1);
		s = field_str(L, vidx, "message", &n, where);
		if (has_error || s)
			w16(w, (unsigned)field_num(L, vidx, "error", 65535, false, where));
		if (s)
			wbytes(w, s, n);
		break;
	}
	case L2TP_AVP_D_PROTO_VERSION:
		need_table(L, vidx, where, "{version=, revision=}");
		w8(w, (unsigned)field_num(L, vidx, "version", 255, true, where));
		w8(w, (unsigned)field_num(L, vidx, "revision", 255, true, where));
		break;
	case L2TP_AVP_D_Q931:
		need_table(L, vidx, where, "{cause=, msg=, advisory=}");
		w16(w, (unsigned)field_num(L, vidx, "cause", 65535, true, where));
		w8(w, (unsigned)field_num(L, vidx, "msg", 255, true, where));
		s = field_str(L, vidx, "advisory", &n, where);
		if (s)
			wbytes(w, s, n);
		break;
	case L2TP_AVP_D_CALL_ERRORS: {
		static const char *const f[] = {"crc_errors", "framing_errors", "hardware_overruns", "buffer_overruns",
						"timeout_errors", "alignment_errors"};
		need_table(L, vidx, where, "of six error counters");
		w16(w, 0);
		for (int i = 0; i < 6; i++)
			w32(w, (uint32_t)field_num(L, vidx, f[i], 4294967295.0, false, where));
		break;
	}
	case L2TP_AVP_D_ACCM:
		need_table(L, vidx, where, "{send=, recv=}");
		w16(w, 0);
		w32(w, (uint32_t)field_num(L, vidx, "send", 4294967295.0, true, where));
		w32(w, (uint32_t)field_num(L, vidx, "recv", 4294967295.0, true, where));
		break;
	case L2TP_AVP_D_U16_LIST:
		need_table(L, vidx, where, "(an array of numbers)");
		for (size_t i = 1; i <= lua_objlen(L, vidx); i++) {
			lua_rawgeti(L, vidx, (int)i);
			w16(w, (unsigned)need_num(L, -1, "value[i]", 65535, where));
			lua_pop(L, 1);
		}
		break;
	case L2TP_AVP_D_DIGEST:
		need_table(L, vidx, where, "{type=, digest=}");
		w8(w, (unsigned)field_num(L, vidx, "type", 255, true, where));
		s = field_str(L, vidx, "digest", &n, where);
		if (s)
			wbytes(w, s, n);
		break;
	case L2TP_AVP_D_PPP_DISCONNECT:
		need_table(L, vidx, where, "{code=, protocol=, direction=, message=}");
		w16(w, (unsigned)field_num(L, vidx, "code", 65535, true, where));
		w16(w, (unsigned)field_num(L, vidx, "protocol", 65535, true, where));
		w8(w, (unsigned)field_num(L, vidx, "direction", 255, true, where));
		s = field_str(L, vidx, "message", &n, where);
		if (s)
			wbytes(w, s, n);
		break;
	}
}

static int l_encode(lua_State *L)
{
	static const char *const okeys[] = {"secret", "over_ip", "validate", "random_vector", "length", NULL};
	/* The last four are what decode() adds; accepted (and ignored) so a
	 * decoded message encodes again as it is. */
	static const char *const mkeys[] = {"version", "type", "tunnel_id", "session_id", "connection_id", "ns", "nr",
					    "avps", "type_code", "description", "length", "values", NULL};
	static const char *const akeys[] = {"name", "type", "vendor", "value", "bytes", "mandatory", "hidden",
					    "hidden_length",
					    /* fields decode() adds, accepted so a decoded message re-encodes */
					    "description", "offset", NULL};
	struct l2tp_encode_opts o = {0};
	struct l2tp_codec_error e;
	size_t n;
	char where[96];

	luaL_checktype(L, 1, LUA_TTABLE);
	l2tp_lua_check_keys(L, 1, "l2tp.codec.encode: message", mkeys);
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		l2tp_lua_check_keys(L, 2, "l2tp.codec.encode: options", okeys);
		o.secret = (const uint8_t *)opt_string(L, 2, "secret", &n, "l2tp.codec.encode");
		o.secret_len = n;
		o.random_vector = (const uint8_t *)opt_string(L, 2, "random_vector", &n, "l2tp.codec.encode");
		o.random_vector_len = n;
		o.over_ip = opt_bool(L, 2, "over_ip", false, "l2tp.codec.encode");
		o.no_validate = !opt_bool(L, 2, "validate", true, "l2tp.codec.encode");
	}
	/* options.length: write this into the length field instead of the
	 * true length, to test how a peer handles a lying header. */
	double forced_length = -1;
	if (!lua_isnoneornil(L, 2)) {
		lua_getfield(L, 2, "length");
		if (!lua_isnil(L, -1))
			forced_length = need_num(L, -1, "length", 65535, "options");
		lua_pop(L, 1);
	}
	lua_settop(L, 2);

	struct l2tp_msg *m = lua_newuserdata(L, sizeof(*m)); /* freed by the GC, even on error */
	memset(m, 0, sizeof(*m));
	snprintf(where, sizeof(where), "message");
	m->hdr.version = (uint8_t)field_num(L, 1, "version", 255, false, where);
	if (!m->hdr.version)
		m->hdr.version = 2;
	lua_getfield(L, 1, "type");
	if (lua_type(L, -1) == LUA_TSTRING) {
		if (l2tp_msg_type_parse(lua_tostring(L, -1), &m->type) != 0)
			return l2tp_lua_error(L, "l2tp.codec.encode: message type '%s' is not known (accepted: ZLB, SCCRQ, SCCRP, "
					      "SCCCN, StopCCN, HELLO, OCRQ, OCRP, OCCN, ICRQ, ICRP, ICCN, CDN, WEN, SLI, ACK, "
					      "or a number)", lua_tostring(L, -1));
	} else {
		m->type = (uint16_t)need_num(L, -1, "type", 65535, where);
	}
	lua_pop(L, 1);
	double tid = field_num(L, 1, m->hdr.version == 3 ? "connection_id" : "tunnel_id", 4294967295.0, false, where);
	m->hdr.tunnel_id = (uint32_t)tid;
	m->hdr.session_id = (uint32_t)field_num(L, 1, "session_id", 4294967295.0, false, where);
	m->hdr.ns = (uint16_t)field_num(L, 1, "ns", 65535, false, where);
	m->hdr.nr = (uint16_t)field_num(L, 1, "nr", 65535, false, where);

	lua_newtable(L); /* keeps every value string alive until encoded */
	int keep = lua_gettop(L);
	lua_getfield(L, 1, "avps");
	int avps = lua_gettop(L);
	if (!lua_isnil(L, avps) && lua_type(L, avps) != LUA_TTABLE)
		return l2tp_lua_error(L, "l2tp.codec.encode: message: avps must be an array of tables, got %s",
				      luaL_typename(L, avps));
	size_t count = lua_isnil(L, avps) ? 0 : lua_objlen(L, avps);
	if (count > L2TP_MAX_AVPS)
		return l2tp_lua_error(L, "l2tp.codec.encode: message has %u AVPs (accepted: up to %d)", (unsigned)count,
				      L2TP_MAX_AVPS);
	for (size_t i = 1; i <= count; i++) {
		lua_rawgeti(L, avps, (int)i);
		int a = lua_gettop(L);
		snprintf(where, sizeof(where), "avps[%u]", (unsigned)i);
		if (lua_type(L, a) != LUA_TTABLE)
			return l2tp_lua_error(L, "l2tp.codec.encode: %s must be a table, got %s", where, luaL_typename(L, a));
		l2tp_lua_check_keys(L, a, where, akeys);
		const struct l2tp_avp_info *info = NULL;
		uint16_t vendor = (uint16_t)field_num(L, a, "vendor", 65535, false, where);
		uint16_t type;
		lua_getfield(L, a, "name");
		if (!lua_isnil(L, -1)) {
			const char *name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
			info = vendor == 0 ? l2tp_avp_info_by_key(name) : NULL;
			if (!info)
				return l2tp_lua_error(L, "l2tp.codec.encode: %s: unknown AVP name '%s'%s", where, name,
						      vendor ? " (names are for IETF AVPs; give type with vendor)" : "");
			type = info->type;
			snprintf(where, sizeof(where), "avps[%u] (%s)", (unsigned)i, info->key);
		} else {
			lua_getfield(L, a, "type");
			if (lua_isnil(L, -1))
				return l2tp_lua_error(L, "l2tp.codec.encode: %s: give name or type", where);
			type = (uint16_t)need_num(L, -1, "type", 65535, where);
			lua_pop(L, 1);
			info = l2tp_avp_info(vendor, type);
		}
		lua_pop(L, 1);

		bool mandatory = info ? info->mbit != L2TP_MBIT_MUST_CLEAR : false;
		lua_getfield(L, a, "mandatory");
		if (!lua_isnil(L, -1))
			mandatory = lua_toboolean(L, -1);
		lua_pop(L, 1);
		lua_getfield(L, a, "hidden");
		bool hidden = lua_toboolean(L, -1);
		lua_pop(L, 1);
		lua_getfield(L, a, "hidden_length");
		lua_Number hlen = lua_isnil(L, -1) ? 0 : luaL_checknumber(L, -1);
		lua_pop(L, 1);

		const char *raw = field_str(L, a, "bytes", &n, where);
		if (raw) {
			lua_getfield(L, a, "bytes");
		} else {
			struct wbuf w = {.n = 0};
			lua_getfield(L, a, "value");
			if (!info) {
				if (lua_type(L, -1) != LUA_TSTRING)
					return l2tp_lua_error(L, "l2tp.codec.encode: %s: an AVP the codec does not know takes "
							      "its value as a string of bytes, got %s", where, luaL_typename(L, -1));
			} else {
				if (lua_isnil(L, -1) && info->data != L2TP_AVP_D_EMPTY)
					return l2tp_lua_error(L, "l2tp.codec.encode: %s: value is missing", where);
				encode_value(L, lua_gettop(L), info, &w, where);
				if (w.overflow)
					return l2tp_lua_error(L, "l2tp.codec.encode: %s: value is longer than an AVP can carry",
							      where);
				lua_pop(L, 1);
				lua_pushlstring(L, (const char *)w.b, w.n);
			}
		}
		size_t vlen;
		const char *val = lua_tolstring(L, -1, &vlen);
		if (vlen > 1017)
			return l2tp_lua_error(L, "l2tp.codec.encode: %s: value of %u bytes is longer than an AVP can carry "
					      "(1017)", where, (unsigned)vlen);
		if (hlen && (hlen != (lua_Number)(uint16_t)hlen || hlen < (lua_Number)vlen + 2 || hlen > 1017))
			return l2tp_lua_error(L, "l2tp.codec.encode: %s: hidden_length %g does not hold the %u-byte value "
					      "and its 2-byte length (accepted: %u-1017)", where, (double)hlen,
					      (unsigned)vlen, (unsigned)vlen + 2);
		lua_rawseti(L, keep, (int)i);
		m->avps[m->navps++] = (struct l2tp_avp){
			.vendor = vendor, .type = type, .mandatory = mandatory, .hidden = hidden,
			.hidden_len = (uint16_t)hlen, .value = (const uint8_t *)val, .len = (uint16_t)vlen};
		lua_settop(L, avps);
	}

	uint8_t *out = lua_newuserdata(L, MAX_DATAGRAM);
	size_t outlen;
	if (l2tp_msg_encode(m, &o, out, MAX_DATAGRAM, &outlen, &e) != 0) {
		push_error(L, &e);
		return 3;
	}
	if (forced_length >= 0) {
		size_t at = o.over_ip ? 6 : 2;
		out[at] = (uint8_t)((unsigned)forced_length >> 8);
		out[at + 1] = (uint8_t)forced_length;
	}
	lua_pushlstring(L, (const char *)out, outlen);
	return 1;
}

static int l_data_decode(lua_State *L)
{
	static const char *const keys[] = {"over_ip", "cookie_len", "l2spec", NULL};
	size_t len;
	const char *bytes = luaL_checklstring(L, 1, &len);
	struct l2tp_data_params p = {0};
	bool over_ip = false;
	struct l2tp_data d;
	struct l2tp_codec_error e;
	if (!lua_isnoneornil(L, 2)) {
		luaL_checktype(L, 2, LUA_TTABLE);
		l2tp_lua_check_keys(L, 2, "l2tp.codec.decode_data", keys);
		over_ip = opt_bool(L, 2, "over_ip", false, "l2tp.codec.decode_data");
		p.l2spec_default = opt_bool(L, 2, "l2spec", false, "l2tp.codec.decode_data");
		lua_getfield(L, 2, "cookie_len");
		p.cookie_len = (uint8_t)luaL_optinteger(L, -1, 0);
		lua_pop(L, 1);
	}
	if (l2tp_data_decode((const uint8_t *)bytes, len, over_ip, &p, &d, &e) != 0) {
		push_error(L, &e);
		return 3;
	}
	lua_createtable(L, 0, 10);
	setnum(L, "version", d.hdr.version);
	if (d.hdr.version == 2)
		setnum(L, "tunnel_id", d.hdr.tunnel_id);
	setnum(L, "session_id", d.hdr.session_id);
	if (d.hdr.has_seq) {
		setnum(L, "ns", d.hdr.ns);
		setnum(L, "nr", d.hdr.nr);
	}
	if (d.cookie_len)
		setstr(L, "cookie", d.cookie, d.cookie_len);
	if (d.has_l2spec) {
		lua_pushboolean(L, d.l2spec_seq);
		lua_setfield(L, -2, "l2spec_s");
		setnum(L, "l2spec_ns", d.l2spec_ns);
	}
	setstr(L, "payload", d.payload, d.payload_len);
	return 1;
}

static int l_avp_names(lua_State *L)
{
	size_t n;
	const struct l2tp_avp_info *t = l2tp_avp_table(&n);
	lua_createtable(L, 0, (int)n);
	for (size_t i = 0; i < n; i++) {
		lua_createtable(L, 0, 4);
		setnum(L, "type", t[i].type);
		lua_pushstring(L, t[i].name);
		lua_setfield(L, -2, "description");
		lua_pushstring(L, t[i].mbit == L2TP_MBIT_MUST_SET ? "set" : t[i].mbit == L2TP_MBIT_MUST_CLEAR ? "clear" : "any");
		lua_setfield(L, -2, "mbit");
		lua_pushboolean(L, t[i].may_hide);
		lua_setfield(L, -2, "may_hide");
		lua_setfield(L, -2, t[i].key);
	}
	return 1;
}

static int l_result_text(lua_State *L)
{
	uint16_t type;
	const char *mt = luaL_checkstring(L, 1);
	if (l2tp_msg_type_parse(mt, &type) != 0 || (type != L2TP_MSG_STOPCCN && type != L2TP_MSG_CDN))
		return l2tp_lua_error(L, "l2tp.codec.result_text: message type '%s' (accepted: StopCCN, CDN)", mt);
	uint16_t result = (uint16_t)luaL_checkinteger(L, 2);
	bool has_error = !lua_isnoneornil(L, 3);
	uint16_t error = has_error ? (uint16_t)luaL_checkinteger(L, 3) : 0;
	lua_pushstring(L, l2tp_result_code_text(type, result));
	if (has_error)
		lua_pushstring(L, l2tp_error_code_text(error));
	return has_error ? 2 : 1;
}

static int l_challenge_response(lua_State *L)
{
	size_t slen, clen;
	lua_Integer type = luaL_checkinteger(L, 1);
	const char *secret = luaL_checklstring(L, 2, &slen);
	const char *challenge = luaL_checklstring(L, 3, &clen);
	uint8_t out[16];
	if (type < 0 || type > 255)
		return l2tp_lua_error(L, "l2tp.codec.challenge_response: message type %d is out of range (accepted: 0-255)",
				      (int)type);
	l2tp_challenge_response((uint8_t)type, (const uint8_t *)secret, slen, (const uint8_t *)challenge, clen, out);
	lua_pushlstring(L, (const char *)out, 16);
	return 1;
}

/* sign and verify take (bytes, secret [, sender's nonce, receiver's
 * nonce]): the message, the key made from the secret, and the nonces
 * (NULL without both). */
static const struct l2tp_nonces *digest_args(lua_State *L, const char **bytes, size_t *len,
					     uint8_t key[L2TP_AUTH_KEY_LEN], struct l2tp_nonces *n)
{
	size_t slen;
	*bytes = luaL_checklstring(L, 1, len);
	const char *secret = luaL_checklstring(L, 2, &slen);
	const char *n1 = luaL_optlstring(L, 3, NULL, &n->first_len), *n2 = luaL_optlstring(L, 4, NULL, &n->second_len);
	n->first = (const uint8_t *)n1;
	n->second = (const uint8_t *)n2;
	l2tp_auth_key(secret, slen, key);
	return n1 && n2 ? n : NULL;
}

/* The L2TPv3 message (over UDP; its Message Digest AVP right after the
 * Message Type, any value) with its digest filled in, for scripted peers. */
static int l_sign(lua_State *L)
{
	const char *bytes;
	size_t len;
	uint8_t key[L2TP_AUTH_KEY_LEN];
	struct l2tp_nonces n;
	const struct l2tp_nonces *np = digest_args(L, &bytes, &len, key, &n);
	uint8_t *copy = (uint8_t *)lua_newuserdata(L, len ? len : 1);
	memcpy(copy, bytes, len);
	if (l2tp_digest_sign(copy, len, key, np) != 0)
		return l2tp_lua_error(L, "l2tp.codec.sign: the message has no Message Digest AVP after its Message Type");
	lua_pushlstring(L, (const char *)copy, len);
	return 1;
}

/* true, or nil and why the digest does not check. */
static int l_verify(lua_State *L)
{
	const char *bytes;
	size_t len;
	uint8_t key[L2TP_AUTH_KEY_LEN];
	struct l2tp_nonces n;
	const struct l2tp_nonces *np = digest_args(L, &bytes, &len, key, &n);
	int rc = l2tp_digest_verify((const uint8_t *)bytes, len, key, np);
	if (rc == 0) {
		lua_pushboolean(L, 1);
		return 1;
	}
	lua_pushnil(L);
	lua_pushstring(L, rc == -ENOMSG ? "no Message Digest AVP after the Message Type" : "the digest does not match");
	return 2;
}

void l2tp_lua_open_codec(lua_State *L, int module_idx)
{
	static const luaL_Reg funcs[] = {
		{"decode", l_decode},
		{"encode", l_encode},
		{"decode_data", l_data_decode},
		{"avps", l_avp_names},
		{"result_text", l_result_text},
		{"challenge_response", l_challenge_response},
		{"sign", l_sign},
		{"verify", l_verify},
		{NULL, NULL},
	};
	lua_newtable(L);
	luaL_register(L, NULL, funcs);
	lua_setfield(L, module_idx, "codec");
}
