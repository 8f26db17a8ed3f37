#include "l2tp/config.h"
#include "l2tp/l2tp.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define U32MAX 4294967295.0
#define TF(f) offsetof(struct l2tp_tunnel_config, f), sizeof(((struct l2tp_tunnel_config *)0)->f)
#define SF(f) offsetof(struct l2tp_session_config, f), sizeof(((struct l2tp_session_config *)0)->f)
#define LF(f) offsetof(struct l2tp_listener_config, f), sizeof(((struct l2tp_listener_config *)0)->f)

static const struct l2tp_key_name versions[] = {{"l2tpv2", L2TP_V2}, {"l2tpv3", L2TP_V3}, {NULL, 0}};
static const struct l2tp_key_name encaps[] = {{"udp", L2TP_ENCAP_UDP}, {"ip", L2TP_ENCAP_IP}, {NULL, 0}};
static const struct l2tp_key_name framings[] = {
	{"sync", L2TP_FRAMING_SYNC}, {"async", L2TP_FRAMING_ASYNC}, {NULL, 0}};
static const struct l2tp_key_name pseudowires[] = {
	{"ppp", L2TP_PW_PPP}, {"eth", L2TP_PW_ETH}, {"eth_vlan", L2TP_PW_ETH_VLAN}, {"pppac", L2TP_PW_PPP_AC}, {NULL, 0}};
static const struct l2tp_key_name listen_versions[] = {
	{"l2tpv2", L2TP_LISTEN_V2}, {"l2tpv3", L2TP_LISTEN_V3}, {NULL, 0}};
static const struct l2tp_key_name digests[] = {{"md5", L2TP_DIGEST_MD5}, {"sha1", L2TP_DIGEST_SHA1}, {NULL, 0}};
static const struct l2tp_key_name l2specs[] = {
	{"none", L2TP_L2SPEC_NONE}, {"default", L2TP_L2SPEC_DEFAULT}, {NULL, 0}};
static const struct l2tp_key_name tunnel_ports[] = {
	{"same", L2TP_TUNNEL_PORT_SAME}, {"new", L2TP_TUNNEL_PORT_NEW}, {NULL, 0}};
static const struct l2tp_key_name kinds[] = {{"static", L2TP_TUNNEL_STATIC},
					     {"quiescent", L2TP_TUNNEL_QUIESCENT},
					     {"dynamic", L2TP_TUNNEL_DYNAMIC},
					     {"accepted", L2TP_TUNNEL_ACCEPTED},
					     {NULL, 0}};

/* Key sets by purpose: every tunnel the user makes; those with a control
 * channel; those that set calls up (whose template a listener holds). */
#define MADE (L2TP_KEYS_STATIC | L2TP_KEYS_QUIESCENT | L2TP_KEYS_DYNAMIC)
#define CONTROL (L2TP_KEYS_QUIESCENT | L2TP_KEYS_DYNAMIC | L2TP_KEYS_ACCEPTED)
#define CALLS (L2TP_KEYS_DYNAMIC | L2TP_KEYS_ACCEPTED)

const struct l2tp_key l2tp_tunnel_keys[] = {
	{"local", L2TP_KEY_STRING, TF(local), 0, 0, 0, NULL, NULL, MADE, 0, false},
	{"peer", L2TP_KEY_STRING, TF(peer), 0, 0, 0, NULL, NULL, MADE, 0, false},
	{"version", L2TP_KEY_ENUM, TF(version), 0, 0, L2TP_V2, NULL, versions, MADE, 0, false},
	{"encap", L2TP_KEY_ENUM, TF(encap), 0, 0, L2TP_ENCAP_UDP, NULL, encaps, L2TP_KEYS_ALL, 0, false},
	{"tid", L2TP_KEY_UINT, TF(tid), 0, U32MAX, 0, NULL, NULL, MADE, 0, false},
	{"ptid", L2TP_KEY_UINT, TF(ptid), 0, U32MAX, 0, NULL, NULL, MADE, 0, false},
	{"window_size", L2TP_KEY_UINT, TF(window_size), 1, 65535, 4, NULL, NULL, L2TP_KEYS_ALL, 0, false},
	{"hello_timeout", L2TP_KEY_UINT, TF(hello_timeout_ms), 0, U32MAX, 0, "ms", NULL, L2TP_KEYS_ALL, 0, false},
	{"retry_timeout", L2TP_KEY_UINT, TF(retry_timeout_ms), 1, U32MAX, 1000, "ms", NULL, L2TP_KEYS_ALL, 0, false},
	{"max_retries", L2TP_KEY_UINT, TF(max_retries), 0, 65535, 3, NULL, NULL, L2TP_KEYS_ALL, 0, false},
	{"max_retry_timeout", L2TP_KEY_UINT, TF(max_retry_timeout_ms), 1, U32MAX, 8000, "ms", NULL, CONTROL, 0, false},
	{"ack_timeout", L2TP_KEY_UINT, TF(ack_timeout_ms), 0, U32MAX, 0, "ms", NULL, CONTROL, 0, false},
	{"stopccn_timeout", L2TP_KEY_UINT, TF(stopccn_timeout_ms), 1, U32MAX, 31000, "ms", NULL, CONTROL, 0, false},
	{"setup_timeout", L2TP_KEY_UINT, TF(setup_timeout_ms), 1, U32MAX, 30000, "ms", NULL, CALLS, 0, false},
	{"host_name", L2TP_KEY_STRING, TF(host_name), 0, 0, 0, NULL, NULL, L2TP_KEYS_ALL, 0, false},
	{"framing_caps", L2TP_KEY_FLAGS, TF(framing_caps), 0, 0, L2TP_FRAMING_SYNC | L2TP_FRAMING_ASYNC, NULL, framings,
	 L2TP_KEYS_ALL, 0, false},
	{"secret", L2TP_KEY_STRING, TF(secret), 0, 0, 0, NULL, NULL, CALLS, 0, true},
	{"hide_avps", L2TP_KEY_BOOL, TF(hide_avps), 0, 0, 0, NULL, NULL, CALLS, 0, false},
	{"hide_tunnel_id", L2TP_KEY_BOOL, TF(hide_tunnel_id), 0, 0, 1, NULL, NULL, CALLS, 0, false},
	{"challenge", L2TP_KEY_BOOL, TF(challenge), 0, 0, 0, NULL, NULL, L2TP_KEYS_DYNAMIC, 0, false},
	{"digest", L2TP_KEY_ENUM, TF(digest), 0, 0, L2TP_DIGEST_MD5, NULL, digests, CALLS, 0, false},
	{"router_id", L2TP_KEY_UINT, TF(router_id), 0, U32MAX, 0, NULL, NULL, CALLS, 0, false},
	{"tie_breaker", L2TP_KEY_TIEBREAKER, TF(tie_breaker), 0, 0, 0, NULL, NULL, L2TP_KEYS_DYNAMIC,
	 offsetof(struct l2tp_tunnel_config, has_tie_breaker), false},
	{"debug", L2TP_KEY_UINT, TF(debug), 0, U32MAX, 0, NULL, NULL, L2TP_KEYS_STATIC | L2TP_KEYS_QUIESCENT, 0, false},
	{"udp_checksum", L2TP_KEY_BOOL, TF(udp_checksum), 0, 0, 1, NULL, NULL, L2TP_KEYS_STATIC | L2TP_KEYS_QUIESCENT, 0,
	 false},
	{"udp6_zero_checksum_tx", L2TP_KEY_BOOL, TF(udp6_zero_checksum_tx), 0, 0, 0, NULL, NULL,
	 L2TP_KEYS_STATIC | L2TP_KEYS_QUIESCENT, 0, false},
	{"udp6_zero_checksum_rx", L2TP_KEY_BOOL, TF(udp6_zero_checksum_rx), 0, 0, 0, NULL, NULL,
	 L2TP_KEYS_STATIC | L2TP_KEYS_QUIESCENT, 0, false},
	{"on_outgoing_call", L2TP_KEY_HOOK, 0, 0, 0, 0, 0, NULL, NULL, L2TP_KEYS_DYNAMIC, 0, false},
	{NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, 0, false},
};

const struct l2tp_key l2tp_session_keys[] = {
	{"sid", L2TP_KEY_UINT, SF(sid), 0, U32MAX, 0, NULL, NULL, MADE, 0, false},
	{"psid", L2TP_KEY_UINT, SF(psid), 0, U32MAX, 0, NULL, NULL, MADE, 0, false},
	{"pseudowire", L2TP_KEY_ENUM, SF(pseudowire), 0, 0, L2TP_PW_PPP, NULL, pseudowires, MADE, 0, false},
	{"seqnum", L2TP_KEY_BOOL, SF(seqnum), 0, 0, 0, NULL, NULL, L2TP_KEYS_ALL, 0, false},
	{"reorder_timeout", L2TP_KEY_UINT, SF(reorder_timeout_ms), 0, U32MAX, 0, "ms", NULL, MADE, 0, false},
	{"cookie", L2TP_KEY_BYTES, SF(cookie), 0, 0, 0, NULL, NULL, MADE, offsetof(struct l2tp_session_config, cookie_len),
	 false},
	{"peer_cookie", L2TP_KEY_BYTES, SF(peer_cookie), 0, 0, 0, NULL, NULL, MADE,
	 offsetof(struct l2tp_session_config, peer_cookie_len), false},
	{"interface_name", L2TP_KEY_STRING, SF(interface_name), 0, 0, 0, NULL, NULL, L2TP_KEYS_ALL, 0, false},
	{"l2spec_type", L2TP_KEY_ENUM, SF(l2spec_type), 0, 0, L2TP_L2SPEC_NONE, NULL, l2specs, MADE, 0, false},
	{"cookie_size", L2TP_KEY_UINT, SF(cookie_size), 0, 8, 8, NULL, NULL, CALLS, 0, false},
	{"remote_end_id", L2TP_KEY_STRING, SF(remote_end_id), 0, 0, 0, NULL, NULL, L2TP_KEYS_DYNAMIC, 0, false},
	{"called_number", L2TP_KEY_STRING, SF(called_number), 0, 0, 0, NULL, NULL, L2TP_KEYS_DYNAMIC, 0, false},
	{"calling_number", L2TP_KEY_STRING, SF(calling_number), 0, 0, 0, NULL, NULL, L2TP_KEYS_DYNAMIC, 0, false},
	{"pppd_args", L2TP_KEY_STRING, SF(pppd_args), 0, 0, 0, NULL, NULL, CALLS, 0, false},
	{"pppd", L2TP_KEY_STRLIST, SF(pppd_extra), 0, 0, 0, NULL, NULL, CALLS, 0, false},
	{"mtu", L2TP_KEY_UINT, SF(mtu), 0, 65535, 0, NULL, NULL, L2TP_KEYS_ALL, 0, false},
	{"mru", L2TP_KEY_UINT, SF(mru), 0, 65535, 0, NULL, NULL, L2TP_KEYS_ALL, 0, false},
	{"debug", L2TP_KEY_UINT, SF(debug), 0, U32MAX, 0, NULL, NULL, L2TP_KEYS_ALL, 0, false},
	{"pppoe_session_id", L2TP_KEY_UINT, SF(pppoe_session_id), 0, 65535, 0, NULL, NULL, L2TP_KEYS_ALL, 0, false},
	{"pppoe_peer_mac", L2TP_KEY_BYTES, SF(pppoe_peer_mac), 0, 0, 0, NULL, NULL, L2TP_KEYS_ALL,
	 offsetof(struct l2tp_session_config, pppoe_peer_mac_len), false},
	{"pppoe_interface", L2TP_KEY_STRING, SF(pppoe_interface), 0, 0, 0, NULL, NULL, L2TP_KEYS_DYNAMIC, 0, false},
	{NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, 0, false},
};

const struct l2tp_key l2tp_listener_keys[] = {
	{"local", L2TP_KEY_STRING, LF(local), 0, 0, 0, NULL, NULL, L2TP_KEYS_LISTENER, 0, false},
	{"version", L2TP_KEY_FLAGS, LF(versions), 0, 0, L2TP_LISTEN_V2, NULL, listen_versions, L2TP_KEYS_LISTENER, 0,
	 false},
	{"max_tunnels", L2TP_KEY_UINT, LF(max_tunnels), 0, U32MAX, L2TP_DEFAULT_MAX_TUNNELS, NULL, NULL,
	 L2TP_KEYS_LISTENER, 0, false},
	{"max_sessions", L2TP_KEY_UINT, LF(max_sessions), 0, U32MAX, L2TP_DEFAULT_MAX_SESSIONS, NULL, NULL,
	 L2TP_KEYS_LISTENER, 0, false},
	{"max_pending", L2TP_KEY_UINT, LF(max_pending), 0, U32MAX, L2TP_DEFAULT_MAX_PENDING, NULL, NULL,
	 L2TP_KEYS_LISTENER, 0, false},
	{"tunnel_port", L2TP_KEY_ENUM, LF(tunnel_port), 0, 0, L2TP_TUNNEL_PORT_SAME, NULL, tunnel_ports,
	 L2TP_KEYS_LISTENER, 0, false},
	{"allow", L2TP_KEY_STRLIST, LF(allow), 0, 0, 0, NULL, NULL, L2TP_KEYS_LISTENER, 0, false},
	{"on_tunnel", L2TP_KEY_HOOK, 0, 0, 0, 0, 0, NULL, NULL, L2TP_KEYS_LISTENER, 0, false},
	{"on_call", L2TP_KEY_HOOK, 0, 0, 0, 0, 0, NULL, NULL, L2TP_KEYS_LISTENER, 0, false},
	{NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, 0, 0, false},
};

enum l2tp_tunnel_kind l2tp_session_maker_kind(enum l2tp_tunnel_kind kind)
{
	return kind == L2TP_TUNNEL_ACCEPTED ? L2TP_TUNNEL_DYNAMIC : kind;
}

unsigned l2tp_tunnel_kind_keys(enum l2tp_tunnel_kind kind)
{
	switch (kind) {
	case L2TP_TUNNEL_STATIC: return L2TP_KEYS_STATIC;
	case L2TP_TUNNEL_QUIESCENT: return L2TP_KEYS_QUIESCENT;
	case L2TP_TUNNEL_DYNAMIC: return L2TP_KEYS_DYNAMIC;
	case L2TP_TUNNEL_ACCEPTED: return L2TP_KEYS_ACCEPTED;
	}
	return 0;
}

const struct l2tp_key *l2tp_key_find(const struct l2tp_key *keys, unsigned set, const char *name)
{
	for (const struct l2tp_key *k = keys; k->name; k++)
		if ((k->kinds & set) && strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

const char *l2tp_key_spell(const struct l2tp_key_name *names, int value)
{
	for (; names->name; names++)
		if (names->value == value)
			return names->name;
	return NULL;
}

bool l2tp_key_value(const struct l2tp_key_name *names, const char *name, int *out)
{
	for (; names->name; names++)
		if (strcmp(names->name, name) == 0) {
			*out = names->value;
			return true;
		}
	return false;
}

uint32_t l2tp_key_get_uint(const struct l2tp_key *k, const void *base)
{
	const void *field = (const char *)base + k->off;
	if (k->size == 1)
		return *(const uint8_t *)field;
	if (k->size == 2)
		return *(const uint16_t *)field;
	return *(const uint32_t *)field;
}

void l2tp_key_set_uint(const struct l2tp_key *k, void *base, uint32_t v)
{
	void *field = (char *)base + k->off;
	if (k->size == 1)
		*(uint8_t *)field = (uint8_t)v;
	else if (k->size == 2)
		*(uint16_t *)field = (uint16_t)v;
	else
		*(uint32_t *)field = v;
}

void l2tp_keys_default(const struct l2tp_key *keys, unsigned set, void *base)
{
	for (const struct l2tp_key *k = keys; k->name; k++) {
		if (!(k->kinds & set))
			continue;
		void *field = (char *)base + k->off;
		switch (k->type) {
		case L2TP_KEY_UINT: l2tp_key_set_uint(k, base, (uint32_t)k->def); break;
		case L2TP_KEY_FLAGS: *(uint32_t *)field = (uint32_t)k->def; break;
		case L2TP_KEY_BOOL: *(bool *)field = k->def != 0; break;
		case L2TP_KEY_ENUM: *(int *)field = (int)k->def; break;
		case L2TP_KEY_STRING:
		case L2TP_KEY_STRLIST: memset(field, 0, k->size); break;
		case L2TP_KEY_BYTES: *((uint8_t *)base + k->aux) = 0; break;
		case L2TP_KEY_TIEBREAKER: *(bool *)((char *)base + k->aux) = false; break;
		case L2TP_KEY_HOOK: break;
		}
	}
}

void l2tp_key_spellings(const struct l2tp_key_name *names, bool quoted, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (; names->name; names++) {
		int n = snprintf(buf + used, len - used, quoted ? "%s\"%s\"" : "%s%s", used ? ", " : "", names->name);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

int l2tp_key_range_error(const struct l2tp_key *k, double value, char *err, size_t errlen)
{
	return l2tp_errf(err, errlen, -EINVAL, "%s %.14g is out of range (accepted: %.14g-%.14g%s%s)", k->name, value,
			 k->min, k->max, k->unit ? " " : "", k->unit ? k->unit : "");
}

int l2tp_key_spelling_error(const struct l2tp_key *k, const char *value, char *err, size_t errlen)
{
	char list[128];
	l2tp_key_spellings(k->names, false, list, sizeof(list));
	return l2tp_errf(err, errlen, -EINVAL, "%s '%s' is not valid (accepted: %s)", k->name, value, list);
}

int l2tp_keys_check(const struct l2tp_key *keys, unsigned set, const void *base, char *err, size_t errlen)
{
	for (const struct l2tp_key *k = keys; k->name; k++) {
		if (!(k->kinds & set))
			continue;
		const void *field = (const char *)base + k->off;
		if (k->type == L2TP_KEY_UINT) {
			uint32_t v = l2tp_key_get_uint(k, base);
			if (v < k->min || v > k->max)
				return l2tp_key_range_error(k, v, err, errlen);
		} else if (k->type == L2TP_KEY_ENUM && !l2tp_key_spell(k->names, *(const int *)field)) {
			char num[16];
			snprintf(num, sizeof(num), "%d", *(const int *)field);
			return l2tp_key_spelling_error(k, num, err, errlen);
		} else if (k->type == L2TP_KEY_FLAGS) {
			uint32_t all = 0, v = *(const uint32_t *)field;
			for (const struct l2tp_key_name *n = k->names; n->name; n++)
				all |= (uint32_t)n->value;
			if (v & ~all) {
				char num[16];
				snprintf(num, sizeof(num), "0x%x", v);
				return l2tp_key_spelling_error(k, num, err, errlen);
			}
		} else if (k->type == L2TP_KEY_STRING && memchr(field, '\0', k->size) == NULL) {
			return l2tp_errf(err, errlen, -EINVAL, "%s is too long (accepted: up to %u bytes)", k->name,
					 (unsigned)(k->size - 1));
		}
	}
	return 0;
}

static const char *spell(const struct l2tp_key_name *names, int value)
{
	const char *s = l2tp_key_spell(names, value);
	return s ? s : "?";
}

const char *l2tp_version_name(enum l2tp_version v)
{
	return spell(versions, v);
}

const char *l2tp_encap_name(enum l2tp_encap e)
{
	return spell(encaps, e);
}

bool l2tp_pseudowire_is_ethernet(enum l2tp_pseudowire pw)
{
	return pw == L2TP_PW_ETH || pw == L2TP_PW_ETH_VLAN;
}

const char *l2tp_pseudowire_name(enum l2tp_pseudowire pw)
{
	return pw == L2TP_PW_NONE ? "none" : spell(pseudowires, pw);
}

const char *l2tp_l2spec_name(enum l2tp_l2spec t)
{
	return spell(l2specs, t);
}

const char *l2tp_tunnel_kind_name(enum l2tp_tunnel_kind k)
{
	return spell(kinds, k);
}

void l2tp_tunnel_config_defaults(struct l2tp_tunnel_config *cfg, enum l2tp_tunnel_kind kind)
{
	memset(cfg, 0, sizeof(*cfg));
	/* Every key's default, whichever kinds take it: a config is whole. */
	l2tp_keys_default(l2tp_tunnel_keys, ~0u, cfg);
	/* Static tunnels exist only for L2TPv3. */
	if (kind == L2TP_TUNNEL_STATIC)
		cfg->version = L2TP_V3;
	if (gethostname(cfg->host_name, sizeof(cfg->host_name) - 1) != 0)
		snprintf(cfg->host_name, sizeof(cfg->host_name), "l2tp");
}

void l2tp_session_config_defaults(struct l2tp_session_config *cfg, enum l2tp_version version)
{
	memset(cfg, 0, sizeof(*cfg));
	l2tp_keys_default(l2tp_session_keys, ~0u, cfg);
	if (version != L2TP_V2)
		cfg->pseudowire = L2TP_PW_ETH;
}

static uint32_t id_max(enum l2tp_version v)
{
	return v == L2TP_V2 ? 0xffffu : 0xffffffffu;
}

/* An ID must fit the version; zero is allowed only where the protocol
 * assigns one later (dynamic tunnels pick their own, peers tell theirs). */
static int check_id(const char *key, uint32_t value, enum l2tp_version v, bool required,
		    const char *why, char *err, size_t errlen)
{
	if (value > id_max(v))
		return l2tp_errf(err, errlen, -EINVAL, "%s %u is out of range for %s (accepted: 1-%u)", key,
				 value, l2tp_version_name(v), id_max(v));
	if (required && value == 0)
		return l2tp_errf(err, errlen, -EINVAL, "%s is missing or 0 (accepted: 1-%u for %s)", key,
				 id_max(v), why);
	return 0;
}

int l2tp_tunnel_config_check(const struct l2tp_tunnel_config *cfg, enum l2tp_tunnel_kind kind,
			     char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int rc;
	bool fixed_ids = kind == L2TP_TUNNEL_STATIC || kind == L2TP_TUNNEL_QUIESCENT;
	char why[64];

	rc = l2tp_keys_check(l2tp_tunnel_keys, l2tp_tunnel_kind_keys(kind), cfg, err, errlen);
	if (rc)
		return rc;
	if (cfg->challenge && cfg->version == L2TP_V3)
		return l2tp_errf(err, errlen, -EINVAL,
				 "challenge is not allowed with l2tpv3 (it authenticates every message: set a secret, "
				 "and digest = \"md5\" or \"sha1\")");
	if (cfg->challenge && !cfg->secret[0])
		return l2tp_errf(err, errlen, -EINVAL, "challenge needs a secret (accepted: secret = \"...\")");
	if (cfg->hide_avps && !cfg->secret[0])
		return l2tp_errf(err, errlen, -EINVAL, "hide_avps needs a secret (accepted: secret = \"...\")");
	if (kind == L2TP_TUNNEL_STATIC && cfg->version != L2TP_V3)
		return l2tp_errf(err, errlen, -EINVAL,
				 "version '%s' is not allowed for a static tunnel (accepted: l2tpv3)",
				 l2tp_version_name(cfg->version));
	/* A listener's template has no version: the listener checks its own. */
	if (cfg->version == L2TP_V2 && cfg->encap == L2TP_ENCAP_IP && kind != L2TP_TUNNEL_ACCEPTED)
		return l2tp_errf(err, errlen, -EINVAL, "encap 'ip' is not allowed with l2tpv2 (accepted: udp)");

	snprintf(why, sizeof(why), "a %s tunnel", l2tp_tunnel_kind_name(kind));
	rc = check_id("tid", cfg->tid, cfg->version, fixed_ids, why, err, errlen);
	if (rc)
		return rc;
	rc = check_id("ptid", cfg->ptid, cfg->version, fixed_ids, why, err, errlen);
	if (rc)
		return rc;

	if (cfg->local[0]) {
		rc = l2tp_addr_parse(cfg->local, cfg->encap, &ss, &len, err, errlen);
		if (rc)
			return l2tp_errprefix(err, errlen, rc, "local");
	} else if (kind == L2TP_TUNNEL_STATIC || kind == L2TP_TUNNEL_QUIESCENT) {
		return l2tp_errf(err, errlen, -EINVAL, "local is missing (accepted: \"%s\" for a %s tunnel)",
				 cfg->encap == L2TP_ENCAP_IP ? "address" : "host:port",
				 l2tp_tunnel_kind_name(kind));
	}
	if (cfg->peer[0]) {
		struct sockaddr_storage ps;
		rc = l2tp_addr_parse(cfg->peer, cfg->encap, &ps, &len, err, errlen);
		if (rc)
			return l2tp_errprefix(err, errlen, rc, "peer");
		if (cfg->local[0] && ps.ss_family != ss.ss_family)
			return l2tp_errf(err, errlen, -EINVAL,
					 "local '%s' and peer '%s' are of different address families", cfg->local,
					 cfg->peer);
	} else if (kind != L2TP_TUNNEL_ACCEPTED) {
		return l2tp_errf(err, errlen, -EINVAL, "peer is missing (accepted: \"%s\")",
				 cfg->encap == L2TP_ENCAP_IP ? "address" : "host:port");
	}

	if (cfg->max_retry_timeout_ms < cfg->retry_timeout_ms && (l2tp_tunnel_kind_keys(kind) & CONTROL))
		return l2tp_errf(err, errlen, -EINVAL,
				 "max_retry_timeout %u is below retry_timeout %u (accepted: at least retry_timeout)",
				 cfg->max_retry_timeout_ms, cfg->retry_timeout_ms);
	return 0;
}

static int check_cookie(const char *key, uint8_t len, char *err, size_t errlen)
{
	if (!l2tp_cookie_len_ok(len))
		return l2tp_errf(err, errlen, -EINVAL, "%s has %u bytes (accepted: 4 or 8 bytes)", key, len);
	return 0;
}

int l2tp_session_config_check(const struct l2tp_session_config *cfg, enum l2tp_version version,
			      enum l2tp_tunnel_kind kind, char *err, size_t errlen)
{
	bool fixed_ids = kind == L2TP_TUNNEL_STATIC || kind == L2TP_TUNNEL_QUIESCENT;
	char why[64];
	int rc;

	rc = l2tp_keys_check(l2tp_session_keys, l2tp_tunnel_kind_keys(kind), cfg, err, errlen);
	if (rc)
		return rc;
	snprintf(why, sizeof(why), "a session in a %s tunnel", l2tp_tunnel_kind_name(kind));
	rc = check_id("sid", cfg->sid, version, fixed_ids, why, err, errlen);
	if (rc)
		return rc;
	rc = check_id("psid", cfg->psid, version, fixed_ids, why, err, errlen);
	if (rc)
		return rc;

	if (l2tp_pseudowire_is_ethernet(cfg->pseudowire) && version == L2TP_V2)
		return l2tp_errf(err, errlen, -EINVAL, "pseudowire '%s' is not allowed with l2tpv2 (accepted: ppp, pppac)",
				 l2tp_pseudowire_name(cfg->pseudowire));

	if (version == L2TP_V2 && (cfg->cookie_len || cfg->peer_cookie_len))
		return l2tp_errf(err, errlen, -EINVAL,
				 "%s is not allowed with l2tpv2 (cookies are an l2tpv3 feature)",
				 cfg->cookie_len ? "cookie" : "peer_cookie");
	if ((cfg->pppoe_session_id || cfg->pppoe_peer_mac_len || cfg->pppoe_interface[0]) &&
	    cfg->pseudowire != L2TP_PW_PPP_AC)
		return l2tp_errf(err, errlen, -EINVAL, "%s is for pseudowire 'pppac' (a PPPoE session's), not '%s'",
				 cfg->pppoe_session_id ? "pppoe_session_id"
				 : cfg->pppoe_peer_mac_len ? "pppoe_peer_mac"
							   : "pppoe_interface",
				 l2tp_pseudowire_name(cfg->pseudowire));
	if ((cfg->mtu && cfg->mtu < 68) || (cfg->mru && cfg->mru < 68))
		return l2tp_errf(err, errlen, -EINVAL, "%s %u is out of range (accepted: 0 for the default, or 68-65535)",
				 cfg->mtu && cfg->mtu < 68 ? "mtu" : "mru", cfg->mtu && cfg->mtu < 68 ? cfg->mtu : cfg->mru);
	if (cfg->mru && l2tp_pseudowire_is_ethernet(cfg->pseudowire))
		return l2tp_errf(err, errlen, -EINVAL, "mru is for PPP sessions (an Ethernet pseudowire's interface takes mtu)");
	if (version == L2TP_V2 && cfg->remote_end_id[0])
		return l2tp_errf(err, errlen, -EINVAL, "remote_end_id is not allowed with l2tpv2 (it names an l2tpv3 pseudowire)");
	if (!l2tp_cookie_len_ok(cfg->cookie_size))
		return l2tp_errf(err, errlen, -EINVAL, "cookie_size %u is not a cookie size (accepted: 0, 4 or 8)",
				 cfg->cookie_size);
	rc = check_cookie("cookie", cfg->cookie_len, err, errlen);
	if (rc)
		return rc;
	rc = check_cookie("peer_cookie", cfg->peer_cookie_len, err, errlen);
	if (rc)
		return rc;

	if (version == L2TP_V2 && cfg->l2spec_type != L2TP_L2SPEC_NONE)
		return l2tp_errf(err, errlen, -EINVAL,
				 "l2spec_type 'default' is not allowed with l2tpv2 (accepted: none)");

	for (const char *p = cfg->interface_name; *p; p++) {
		if (*p == '/' || *p == ':' || *p <= ' ' || *p == 0x7f)
			return l2tp_errf(err, errlen, -EINVAL,
					 "interface_name '%s' has a character Linux does not allow ('/', ':', space or control)",
					 cfg->interface_name);
	}
	if (!l2tp_pseudowire_is_ethernet(cfg->pseudowire) && cfg->interface_name[0] && version == L2TP_V3 &&
	    kind == L2TP_TUNNEL_STATIC)
		return l2tp_errf(err, errlen, -EINVAL,
				 "interface_name is only taken by Ethernet pseudowires ('eth', 'eth_vlan') in a static tunnel "
				 "(pppd names PPP interfaces)");
	return 0;
}
