/* The PPPoE discovery codec (RFC 2516 section 5 and appendix A). A frame
 * read from the wire is only trusted as far as its LENGTH and each tag's
 * length have been checked against the bytes there are. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "l2tp/pppoe.h"
#include "util.h"

static const struct {
	uint8_t code;
	const char *name;
} codes[] = {{L2TP_PADI, "PADI"}, {L2TP_PADO, "PADO"}, {L2TP_PADR, "PADR"}, {L2TP_PADS, "PADS"}, {L2TP_PADT, "PADT"}};

static const struct {
	uint16_t type;
	const char *name;
} tags[] = {
	{L2TP_TAG_END_OF_LIST, "end_of_list"},
	{L2TP_TAG_SERVICE_NAME, "service_name"},
	{L2TP_TAG_AC_NAME, "ac_name"},
	{L2TP_TAG_HOST_UNIQ, "host_uniq"},
	{L2TP_TAG_AC_COOKIE, "ac_cookie"},
	{L2TP_TAG_VENDOR_SPECIFIC, "vendor_specific"},
	{L2TP_TAG_RELAY_SESSION_ID, "relay_session_id"},
	{L2TP_TAG_PPP_MAX_PAYLOAD, "ppp_max_payload"},
	{L2TP_TAG_SERVICE_NAME_ERROR, "service_name_error"},
	{L2TP_TAG_AC_SYSTEM_ERROR, "ac_system_error"},
	{L2TP_TAG_GENERIC_ERROR, "generic_error"},
};

const char *l2tp_pppoe_code_name(uint8_t code)
{
	for (size_t i = 0; i < L2TP_NELEM(codes); i++)
		if (codes[i].code == code)
			return codes[i].name;
	return NULL;
}

const char *l2tp_pppoe_tag_name(uint16_t type)
{
	for (size_t i = 0; i < L2TP_NELEM(tags); i++)
		if (tags[i].type == type)
			return tags[i].name;
	return NULL;
}

int l2tp_pppoe_code_parse(const char *name, uint8_t *out)
{
	for (size_t i = 0; i < L2TP_NELEM(codes); i++)
		if (strcmp(codes[i].name, name) == 0)
			return *out = codes[i].code, 0;
	return -ENOENT;
}

int l2tp_pppoe_tag_parse(const char *name, uint16_t *out)
{
	for (size_t i = 0; i < L2TP_NELEM(tags); i++)
		if (strcmp(tags[i].name, name) == 0)
			return *out = tags[i].type, 0;
	return -ENOENT;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int l2tp_pppoe_decode(const uint8_t *buf, size_t len, struct l2tp_pppoe_frame *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (len < L2TP_PPPOE_HDR)
		return l2tp_errf(err, errlen, -EINVAL, "%zu bytes is shorter than a PPPoE header (6)", len);
	if (buf[0] != 0x11)
		return l2tp_errf(err, errlen, -EINVAL, "version %u type %u (accepted: 1 and 1)", buf[0] >> 4,
				 buf[0] & 15u);
	out->code = buf[1];
	if (!l2tp_pppoe_code_name(out->code))
		return l2tp_errf(err, errlen, -EINVAL, "code 0x%02x is not a discovery code", out->code);
	out->session_id = get16(buf + 2);
	size_t plen = get16(buf + 4);
	if (plen > len - L2TP_PPPOE_HDR)
		return l2tp_errf(err, errlen, -EINVAL, "LENGTH %zu runs past the %zu bytes there are", plen,
				 len - L2TP_PPPOE_HDR);
	const uint8_t *p = buf + L2TP_PPPOE_HDR, *end = p + plen;
	while (p < end) {
		if (end - p < 4)
			return l2tp_errf(err, errlen, -EINVAL, "a tag header is cut short at byte %zu",
					 (size_t)(p - buf));
		uint16_t type = get16(p), tlen = get16(p + 2);
		if (tlen > end - p - 4)
			return l2tp_errf(err, errlen, -EINVAL, "tag 0x%04x of %u bytes runs past LENGTH", type, tlen);
		if (type == L2TP_TAG_END_OF_LIST)
			break;
		if (out->ntags == L2TP_PPPOE_MAX_TAGS)
			return l2tp_errf(err, errlen, -EINVAL, "more than %d tags", L2TP_PPPOE_MAX_TAGS);
		struct l2tp_pppoe_tag *t = &out->tags[out->ntags++];
		t->type = type;
		t->len = tlen;
		t->value = p + 4;
		const struct l2tp_pppoe_tag **first = NULL;
		switch (type) {
		case L2TP_TAG_SERVICE_NAME: first = &out->service_name; break;
		case L2TP_TAG_AC_NAME: first = &out->ac_name; break;
		case L2TP_TAG_HOST_UNIQ: first = &out->host_uniq; break;
		case L2TP_TAG_AC_COOKIE: first = &out->ac_cookie; break;
		case L2TP_TAG_RELAY_SESSION_ID: first = &out->relay_session_id; break;
		case L2TP_TAG_PPP_MAX_PAYLOAD: first = &out->max_payload; break;
		case L2TP_TAG_SERVICE_NAME_ERROR:
		case L2TP_TAG_AC_SYSTEM_ERROR:
		case L2TP_TAG_GENERIC_ERROR: first = &out->error; break;
		default: break;
		}
		if (first && !*first)
			*first = t;
		p += 4 + tlen;
	}
	return 0;
}

int l2tp_pppoe_encode(uint8_t code, uint16_t session_id, const struct l2tp_pppoe_tag *t, unsigned ntags,
		      uint8_t *buf, size_t cap)
{
	size_t len = L2TP_PPPOE_HDR;
	for (unsigned i = 0; i < ntags; i++)
		len += 4u + t[i].len;
	if (len > cap || len - L2TP_PPPOE_HDR > L2TP_PPPOE_MAX_PAYLOAD)
		return -ENOSPC;
	buf[0] = 0x11;
	buf[1] = code;
	put16(buf + 2, session_id);
	put16(buf + 4, (uint16_t)(len - L2TP_PPPOE_HDR));
	uint8_t *p = buf + L2TP_PPPOE_HDR;
	for (unsigned i = 0; i < ntags; i++) {
		put16(p, t[i].type);
		put16(p + 2, t[i].len);
		if (t[i].len)
			memcpy(p + 4, t[i].value, t[i].len);
		p += 4 + t[i].len;
	}
	return (int)len;
}

void l2tp_mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int l2tp_mac_parse(const char *text, uint8_t mac[6])
{
	if (strlen(text) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const char *p = text + 3 * i;
		int hi = hexval(p[0]), lo = hexval(p[1]);
		if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
