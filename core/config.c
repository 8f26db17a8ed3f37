#include "l2tp/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

const char *l2tp_version_name(enum l2tp_version v)
{
	switch (v) {
	case L2TP_V2: return "l2tpv2";
	case L2TP_V3: return "l2tpv3";
	}
	return "?";
}

const char *l2tp_encap_name(enum l2tp_encap e)
{
	switch (e) {
	case L2TP_ENCAP_UDP: return "udp";
	case L2TP_ENCAP_IP: return "ip";
	}
	return "?";
}

const char *l2tp_pseudowire_name(enum l2tp_pseudowire pw)
{
	switch (pw) {
	case L2TP_PW_NONE: return "none";
	case L2TP_PW_ETH: return "eth";
	case L2TP_PW_PPP: return "ppp";
	case L2TP_PW_PPP_AC: return "pppac";
	}
	return "?";
}

const char *l2tp_l2spec_name(enum l2tp_l2spec t)
{
	switch (t) {
	case L2TP_L2SPEC_NONE: return "none";
	case L2TP_L2SPEC_DEFAULT: return "default";
	}
	return "?";
}

const char *l2tp_tunnel_kind_name(enum l2tp_tunnel_kind k)
{
	switch (k) {
	case L2TP_TUNNEL_STATIC: return "static";
	case L2TP_TUNNEL_QUIESCENT: return "quiescent";
	case L2TP_TUNNEL_DYNAMIC: return "dynamic";
	case L2TP_TUNNEL_ACCEPTED: return "accepted";
	}
	return "?";
}

void l2tp_tunnel_config_defaults(struct l2tp_tunnel_config *cfg, enum l2tp_tunnel_kind kind)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = kind == L2TP_TUNNEL_STATIC ? L2TP_V3 : L2TP_V2;
	cfg->encap = L2TP_ENCAP_UDP;
	cfg->window_size = 4;
	cfg->hello_timeout_ms = 0;
	cfg->retry_timeout_ms = 1000;
	cfg->max_retry_timeout_ms = 8000;
	cfg->ack_timeout_ms = 100;
	cfg->stopccn_timeout_ms = 31000;
	cfg->setup_timeout_ms = 30000;
	cfg->max_retries = 3;
	cfg->framing_caps = L2TP_FRAMING_SYNC | L2TP_FRAMING_ASYNC;
	if (gethostname(cfg->host_name, sizeof(cfg->host_name) - 1) != 0)
		snprintf(cfg->host_name, sizeof(cfg->host_name), "l2tp");
}

void l2tp_session_config_defaults(struct l2tp_session_config *cfg, enum l2tp_version version)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pseudowire = version == L2TP_V2 ? L2TP_PW_PPP : L2TP_PW_ETH;
	cfg->l2spec_type = L2TP_L2SPEC_NONE;
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

	if ((kind == L2TP_TUNNEL_DYNAMIC || kind == L2TP_TUNNEL_ACCEPTED) && cfg->version != L2TP_V2)
		return l2tp_errf(err, errlen, -EINVAL,
				 "version '%s' is not supported for a dynamic tunnel yet (accepted: l2tpv2)",
				 l2tp_version_name(cfg->version));
	if (cfg->challenge && !cfg->secret[0])
		return l2tp_errf(err, errlen, -EINVAL, "challenge needs a secret (accepted: secret = \"...\")");
	if (cfg->hide_avps && !cfg->secret[0])
		return l2tp_errf(err, errlen, -EINVAL, "hide_avps needs a secret (accepted: secret = \"...\")");
	if (cfg->version != L2TP_V2 && cfg->version != L2TP_V3)
		return l2tp_errf(err, errlen, -EINVAL, "version %d is not supported (accepted: l2tpv2, l2tpv3)",
				 (int)cfg->version);
	if (kind == L2TP_TUNNEL_STATIC && cfg->version != L2TP_V3)
		return l2tp_errf(err, errlen, -EINVAL,
				 "version '%s' is not allowed for a static tunnel (accepted: l2tpv3)",
				 l2tp_version_name(cfg->version));
	if (cfg->encap != L2TP_ENCAP_UDP && cfg->encap != L2TP_ENCAP_IP)
		return l2tp_errf(err, errlen, -EINVAL, "encap %d is not supported (accepted: udp, ip)",
				 (int)cfg->encap);
	if (cfg->version == L2TP_V2 && cfg->encap == L2TP_ENCAP_IP)
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

	if (cfg->window_size == 0)
		return l2tp_errf(err, errlen, -EINVAL, "window_size 0 is out of range (accepted: 1-65535)");
	if (cfg->retry_timeout_ms == 0)
		return l2tp_errf(err, errlen, -EINVAL,
				 "retry_timeout 0 is out of range (accepted: 1-4294967295 ms)");
	if (cfg->max_retry_timeout_ms < cfg->retry_timeout_ms)
		return l2tp_errf(err, errlen, -EINVAL,
				 "max_retry_timeout %u is below retry_timeout %u (accepted: at least retry_timeout)",
				 cfg->max_retry_timeout_ms, cfg->retry_timeout_ms);
	if (cfg->setup_timeout_ms == 0)
		return l2tp_errf(err, errlen, -EINVAL,
				 "setup_timeout 0 is out of range (accepted: 1-4294967295 ms)");
	if (cfg->framing_caps & ~(L2TP_FRAMING_SYNC | L2TP_FRAMING_ASYNC))
		return l2tp_errf(err, errlen, -EINVAL, "framing_caps 0x%x is not valid (accepted: sync, async)",
				 cfg->framing_caps);
	if (memchr(cfg->host_name, '\0', sizeof(cfg->host_name)) == NULL)
		return l2tp_errf(err, errlen, -EINVAL, "host_name is too long (accepted: up to %d bytes)",
				 L2TP_HOSTNAME_MAX - 1);
	return 0;
}

static int check_cookie(const char *key, uint8_t len, char *err, size_t errlen)
{
	if (len != 0 && len != 4 && len != 8)
		return l2tp_errf(err, errlen, -EINVAL, "%s has %u bytes (accepted: 4 or 8 bytes)", key, len);
	return 0;
}

int l2tp_session_config_check(const struct l2tp_session_config *cfg, enum l2tp_version version,
			      enum l2tp_tunnel_kind kind, char *err, size_t errlen)
{
	bool fixed_ids = kind == L2TP_TUNNEL_STATIC || kind == L2TP_TUNNEL_QUIESCENT;
	char why[64];
	int rc;

	snprintf(why, sizeof(why), "a session in a %s tunnel", l2tp_tunnel_kind_name(kind));
	rc = check_id("sid", cfg->sid, version, fixed_ids, why, err, errlen);
	if (rc)
		return rc;
	rc = check_id("psid", cfg->psid, version, fixed_ids, why, err, errlen);
	if (rc)
		return rc;

	switch (cfg->pseudowire) {
	case L2TP_PW_ETH:
		if (version == L2TP_V2)
			return l2tp_errf(err, errlen, -EINVAL,
					 "pseudowire 'eth' is not allowed with l2tpv2 (accepted: ppp, pppac)");
		break;
	case L2TP_PW_PPP:
	case L2TP_PW_PPP_AC:
		break;
	default:
		return l2tp_errf(err, errlen, -EINVAL,
				 "pseudowire %d is not supported (accepted: ppp, eth, pppac)", (int)cfg->pseudowire);
	}

	if (version == L2TP_V2 && (cfg->cookie_len || cfg->peer_cookie_len))
		return l2tp_errf(err, errlen, -EINVAL,
				 "%s is not allowed with l2tpv2 (cookies are an l2tpv3 feature)",
				 cfg->cookie_len ? "cookie" : "peer_cookie");
	rc = check_cookie("cookie", cfg->cookie_len, err, errlen);
	if (rc)
		return rc;
	rc = check_cookie("peer_cookie", cfg->peer_cookie_len, err, errlen);
	if (rc)
		return rc;

	if (cfg->l2spec_type != L2TP_L2SPEC_NONE && cfg->l2spec_type != L2TP_L2SPEC_DEFAULT)
		return l2tp_errf(err, errlen, -EINVAL, "l2spec_type %d is not supported (accepted: none, default)",
				 (int)cfg->l2spec_type);
	if (version == L2TP_V2 && cfg->l2spec_type != L2TP_L2SPEC_NONE)
		return l2tp_errf(err, errlen, -EINVAL,
				 "l2spec_type 'default' is not allowed with l2tpv2 (accepted: none)");

	if (memchr(cfg->interface_name, '\0', sizeof(cfg->interface_name)) == NULL)
		return l2tp_errf(err, errlen, -EINVAL, "interface_name is too long (accepted: up to %d bytes)",
				 L2TP_IFNAME_MAX - 1);
	for (const char *p = cfg->interface_name; *p; p++) {
		if (*p == '/' || *p == ':' || *p <= ' ' || *p == 0x7f)
			return l2tp_errf(err, errlen, -EINVAL,
					 "interface_name '%s' has a character Linux does not allow ('/', ':', space or control)",
					 cfg->interface_name);
	}
	if (cfg->pseudowire != L2TP_PW_ETH && cfg->interface_name[0] && version == L2TP_V3 &&
	    kind == L2TP_TUNNEL_STATIC)
		return l2tp_errf(err, errlen, -EINVAL,
				 "interface_name is only taken by 'eth' pseudowires in a static tunnel (pppd names PPP interfaces)");
	return 0;
}
