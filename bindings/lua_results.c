/* RFC 2661 result and error codes by name, for scripts: the tables
 * l2tp.result.stopccn, l2tp.result.cdn and l2tp.error, and the names a
 * hook's verdict may give instead of a number. */
#include <string.h>

#include "l2tp/codec.h"
#include "runtime.h"

struct code {
	const char *name;
	uint16_t value;
};

static const struct code stopccn[] = {
	{"general", L2TP_RESULT_STOPCCN_GENERAL},
	{"error", L2TP_RESULT_STOPCCN_ERROR},
	{"exists", L2TP_RESULT_STOPCCN_EXISTS},
	{"not_authorized", L2TP_RESULT_STOPCCN_NOT_AUTHORIZED},
	{"bad_version", L2TP_RESULT_STOPCCN_BAD_VERSION},
	{"shutting_down", L2TP_RESULT_STOPCCN_SHUTTING_DOWN},
	{"fsm_error", L2TP_RESULT_STOPCCN_FSM_ERROR},
	{NULL, 0},
};

static const struct code cdn[] = {
	{"lost_carrier", L2TP_RESULT_CDN_LOST_CARRIER},
	{"error", L2TP_RESULT_CDN_ERROR},
	{"admin", L2TP_RESULT_CDN_ADMIN},
	{"no_facilities_temp", L2TP_RESULT_CDN_NO_FACILITIES_TEMP},
	{"no_facilities_perm", L2TP_RESULT_CDN_NO_FACILITIES_PERM},
	{"timeout", L2TP_RESULT_CDN_TIMEOUT},
	{NULL, 0},
};

static const struct code errors[] = {
	{"none", L2TP_ERROR_NONE},
	{"no_tunnel", L2TP_ERROR_NO_TUNNEL},
	{"bad_length", L2TP_ERROR_BAD_LENGTH},
	{"bad_value", L2TP_ERROR_BAD_VALUE},
	{"no_resources", L2TP_ERROR_NO_RESOURCES},
	{"bad_session_id", L2TP_ERROR_BAD_SESSION_ID},
	{"vendor", L2TP_ERROR_VENDOR},
	{"try_another", L2TP_ERROR_TRY_ANOTHER},
	{"unknown_mbit_avp", L2TP_ERROR_UNKNOWN_MBIT_AVP},
	{NULL, 0},
};

static void push_codes(lua_State *L, const struct code *c)
{
	lua_newtable(L);
	for (; c->name; c++) {
		lua_pushinteger(L, c->value);
		lua_setfield(L, -2, c->name);
	}
}

void l2tp_lua_open_results(lua_State *L, int module_idx)
{
	lua_newtable(L);
	push_codes(L, stopccn);
	lua_setfield(L, -2, "stopccn");
	push_codes(L, cdn);
	lua_setfield(L, -2, "cdn");
	lua_setfield(L, module_idx, "result");
	push_codes(L, errors);
	lua_setfield(L, module_idx, "error");
}

static bool find(const struct code *c, const char *name, uint16_t *out)
{
	for (; c->name; c++)
		if (strcmp(c->name, name) == 0) {
			*out = c->value;
			return true;
		}
	return false;
}

bool l2tp_lua_result_code(uint16_t msg_type, const char *name, uint16_t *out)
{
	return find(msg_type == L2TP_MSG_STOPCCN ? stopccn : cdn, name, out);
}

bool l2tp_lua_error_code(const char *name, uint16_t *out)
{
	return find(errors, name, out);
}
