#include <arpa/inet.h>
#include <errno.h>

#include "check.h"
#include "l2tp/config.h"
#include "l2tp/l2tp.h"
#include "util.h"

static struct l2tp_tunnel_config static_v3(void)
{
	struct l2tp_tunnel_config c;
	l2tp_tunnel_config_defaults(&c, L2TP_TUNNEL_STATIC);
	snprintf(c.local, sizeof(c.local), "127.0.0.1:5000");
	snprintf(c.peer, sizeof(c.peer), "127.0.0.1:5001");
	c.tid = 1;
	c.ptid = 2;
	return c;
}

static void defaults_follow_go_l2tp(void)
{
	struct l2tp_tunnel_config c;
	l2tp_tunnel_config_defaults(&c, L2TP_TUNNEL_DYNAMIC);
	CHECK_EQ(c.version, L2TP_V2);
	CHECK_EQ(c.encap, L2TP_ENCAP_UDP);
	CHECK_EQ(c.window_size, 4);
	CHECK_EQ(c.hello_timeout_ms, 0);
	CHECK_EQ(c.retry_timeout_ms, 1000);
	CHECK_EQ(c.max_retries, 3);
	CHECK_EQ(c.framing_caps, L2TP_FRAMING_SYNC | L2TP_FRAMING_ASYNC);
	CHECK(c.host_name[0] != '\0');
	l2tp_tunnel_config_defaults(&c, L2TP_TUNNEL_STATIC);
	CHECK_EQ(c.version, L2TP_V3);
}

/* The key tables are the one source: every default they give is within
 * their own range and spellings, names are unique in the sets that share a
 * table, and the core's checks answer from them. */
static void key_tables_are_consistent(const struct l2tp_key *keys, const struct l2tp_key *other)
{
	for (const struct l2tp_key *k = keys; k->name; k++) {
		for (const struct l2tp_key *j = k + 1; j->name; j++)
			CHECK(strcmp(k->name, j->name) != 0 || !(k->kinds & j->kinds));
		/* a listener's table holds its own keys and the tunnels' template */
		for (const struct l2tp_key *j = other; j && j->name; j++)
			CHECK(strcmp(k->name, j->name) != 0 || !(j->kinds & L2TP_KEYS_ACCEPTED));
		CHECK(k->kinds != 0);
		if (k->type == L2TP_KEY_UINT)
			CHECK(k->def >= k->min && k->def <= k->max);
		if (k->type == L2TP_KEY_ENUM)
			CHECK(l2tp_key_spell(k->names, (int)k->def) != NULL);
	}
}

static void keys_are_one_table(void)
{
	key_tables_are_consistent(l2tp_tunnel_keys, NULL);
	key_tables_are_consistent(l2tp_session_keys, NULL);
	key_tables_are_consistent(l2tp_listener_keys, l2tp_tunnel_keys);

	struct l2tp_listener_config lc;
	l2tp_listener_config_defaults(&lc);
	CHECK_EQ(lc.max_tunnels, L2TP_DEFAULT_MAX_TUNNELS);
	CHECK_EQ(lc.max_pending, L2TP_DEFAULT_MAX_PENDING);
	CHECK_EQ(lc.tunnel_port, L2TP_TUNNEL_PORT_SAME);
	CHECK_EQ(lc.tunnel.setup_timeout_ms, 30000);

	/* spellings both ways, from the table */
	const struct l2tp_key *k = l2tp_key_find(l2tp_tunnel_keys, L2TP_KEYS_DYNAMIC, "encap");
	int v = -1;
	CHECK(k && l2tp_key_value(k->names, "ip", &v) && v == L2TP_ENCAP_IP);
	CHECK_STR(l2tp_encap_name(L2TP_ENCAP_IP), "ip");
	CHECK(!l2tp_key_find(l2tp_tunnel_keys, L2TP_KEYS_STATIC, "setup_timeout"));
	CHECK(l2tp_key_find(l2tp_tunnel_keys, L2TP_KEYS_ACCEPTED, "hide_avps"));
	CHECK(!l2tp_key_find(l2tp_tunnel_keys, L2TP_KEYS_ACCEPTED, "peer"));

	/* the core's range and spelling checks speak as the Lua reader does */
	char err[256];
	struct l2tp_tunnel_config c;
	l2tp_tunnel_config_defaults(&c, L2TP_TUNNEL_DYNAMIC);
	snprintf(c.peer, sizeof(c.peer), "127.0.0.1:1701");
	c.retry_timeout_ms = 0;
	CHECK_EQ(l2tp_tunnel_config_check(&c, L2TP_TUNNEL_DYNAMIC, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "retry_timeout 0 is out of range (accepted: 1-4294967295 ms)");
	c.retry_timeout_ms = 1000;
	c.encap = (enum l2tp_encap)7;
	CHECK_EQ(l2tp_tunnel_config_check(&c, L2TP_TUNNEL_DYNAMIC, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "encap '7' is not valid (accepted: udp, ip)");
	c.encap = L2TP_ENCAP_UDP;
	c.framing_caps = 0x4;
	CHECK_EQ(l2tp_tunnel_config_check(&c, L2TP_TUNNEL_DYNAMIC, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "framing_caps '0x4' is not valid (accepted: sync, async)");
	lc.tunnel_port = (enum l2tp_tunnel_port)9;
	CHECK_EQ(l2tp_keys_check(l2tp_listener_keys, L2TP_KEYS_LISTENER, &lc, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "tunnel_port '9' is not valid (accepted: same, new)");
}

static void tunnel_checks_name_key_value_and_accepted(void)
{
	char err[256];
	struct l2tp_tunnel_config c = static_v3();
	CHECK_EQ(l2tp_tunnel_config_check(&c, L2TP_TUNNEL_STATIC, err, sizeof(err)), 0);

	c.version = L2TP_V2;
	CHECK_EQ(l2tp_tunnel_config_check(&c, L2TP_TUNNEL_STATIC, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "version 'l2tpv2' is not allowed for a static tunnel (accepted: l2tpv3)");

	CHECK_EQ(l2tp_tunnel_config_check(&c, L2TP_TUNNEL_QUIESCENT, err, sizeof(err)), 0);
	c.tid = 70000;
	CHECK_EQ(l2tp_tunnel_config_check(&c, L2TP_TUNNEL_QUIESCENT, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "tid 70000 is out of range for l2tpv2 (accepted: 1-65535)");

	c = static_v3();
	c.ptid = 0;
	CHECK_EQ(l2tp_tunnel_config_check(&c, L2TP_TUNNEL_STATIC, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "ptid is missing or 0 (accepted: 1-4294967295 for a static tunnel)");

	c = static_v3();
	c.version = L2TP_V2;
	c.encap = L2TP_ENCAP_IP;
	CHECK_EQ(l2tp_tunnel_config_check(&c, L2TP_TUNNEL_QUIESCENT, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "encap 'ip' is not allowed with l2tpv2 (accepted: udp)");

	c = static_v3();
	c.encap = L2TP_ENCAP_IP;
	CHECK_EQ(l2tp_tunnel_config_check(&c, L2TP_TUNNEL_STATIC, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "local '127.0.0.1:5000' has a port (accepted: an IPv4 or IPv6 address without a port, as ip encap has none)");

	c = static_v3();
	c.window_size = 0;
	CHECK_EQ(l2tp_tunnel_config_check(&c, L2TP_TUNNEL_STATIC, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "window_size 0 is out of range (accepted: 1-65535)");

	c = static_v3();
	snprintf(c.peer, sizeof(c.peer), "[::1]:5001");
	CHECK_EQ(l2tp_tunnel_config_check(&c, L2TP_TUNNEL_STATIC, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "local '127.0.0.1:5000' and peer '[::1]:5001' are of different address families");

	c = static_v3();
	c.peer[0] = '\0';
	CHECK_EQ(l2tp_tunnel_config_check(&c, L2TP_TUNNEL_STATIC, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "peer is missing (accepted: \"host:port\")");
}

static void session_checks(void)
{
	char err[256];
	struct l2tp_session_config s;
	l2tp_session_config_defaults(&s, L2TP_V3);
	s.sid = 10;
	s.psid = 20;
	CHECK_EQ(s.pseudowire, L2TP_PW_ETH);
	CHECK_EQ(l2tp_session_config_check(&s, L2TP_V3, L2TP_TUNNEL_STATIC, err, sizeof(err)), 0);

	s.cookie_len = 5;
	CHECK_EQ(l2tp_session_config_check(&s, L2TP_V3, L2TP_TUNNEL_STATIC, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "cookie has 5 bytes (accepted: 4 or 8 bytes)");
	s.cookie_len = 8;
	s.peer_cookie_len = 3;
	CHECK_EQ(l2tp_session_config_check(&s, L2TP_V3, L2TP_TUNNEL_STATIC, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "peer_cookie has 3 bytes (accepted: 4 or 8 bytes)");
	s.peer_cookie_len = 4;
	CHECK_EQ(l2tp_session_config_check(&s, L2TP_V3, L2TP_TUNNEL_STATIC, err, sizeof(err)), 0);

	l2tp_session_config_defaults(&s, L2TP_V2);
	s.sid = 1;
	s.psid = 2;
	s.pseudowire = L2TP_PW_ETH;
	CHECK_EQ(l2tp_session_config_check(&s, L2TP_V2, L2TP_TUNNEL_QUIESCENT, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "pseudowire 'eth' is not allowed with l2tpv2 (accepted: ppp, pppac)");
	s.pseudowire = L2TP_PW_ETH_VLAN;
	CHECK_EQ(l2tp_session_config_check(&s, L2TP_V2, L2TP_TUNNEL_QUIESCENT, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "pseudowire 'eth_vlan' is not allowed with l2tpv2 (accepted: ppp, pppac)");
	s.pseudowire = L2TP_PW_PPP;
	s.sid = 65536;
	CHECK_EQ(l2tp_session_config_check(&s, L2TP_V2, L2TP_TUNNEL_QUIESCENT, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "sid 65536 is out of range for l2tpv2 (accepted: 1-65535)");
	s.sid = 0;
	CHECK_EQ(l2tp_session_config_check(&s, L2TP_V2, L2TP_TUNNEL_QUIESCENT, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "sid is missing or 0 (accepted: 1-65535 for a session in a quiescent tunnel)");
	/* Dynamic tunnels allocate IDs themselves. */
	CHECK_EQ(l2tp_session_config_check(&s, L2TP_V2, L2TP_TUNNEL_DYNAMIC, err, sizeof(err)), 0);
}

static void addresses(void)
{
	char err[256], buf[64];
	struct sockaddr_storage ss;
	socklen_t len;
	CHECK_EQ(l2tp_addr_parse("192.0.2.1:1701", L2TP_ENCAP_UDP, &ss, &len, err, sizeof(err)), 0);
	CHECK_EQ(ss.ss_family, AF_INET);
	l2tp_addr_format((struct sockaddr *)&ss, buf, sizeof(buf));
	CHECK_STR(buf, "192.0.2.1:1701");
	CHECK_EQ(l2tp_addr_parse("[2001:db8::1]:1701", L2TP_ENCAP_UDP, &ss, &len, err, sizeof(err)), 0);
	CHECK_EQ(ss.ss_family, AF_INET6);
	CHECK_EQ(len, sizeof(struct sockaddr_in6));
	l2tp_addr_format((struct sockaddr *)&ss, buf, sizeof(buf));
	CHECK_STR(buf, "[2001:db8::1]:1701");
	CHECK_EQ(l2tp_addr_parse("2001:db8::1", L2TP_ENCAP_IP, &ss, &len, err, sizeof(err)), 0);
	l2tp_addr_format((struct sockaddr *)&ss, buf, sizeof(buf));
	CHECK_STR(buf, "2001:db8::1");

	CHECK_EQ(l2tp_addr_parse("192.0.2.1", L2TP_ENCAP_UDP, &ss, &len, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "'192.0.2.1' has no port (accepted: \"a.b.c.d:port\" or \"[v6addr]:port\")");
	CHECK_EQ(l2tp_addr_parse("192.0.2.1:70000", L2TP_ENCAP_UDP, &ss, &len, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "'192.0.2.1:70000' has port 70000 out of range (accepted: 0-65535)");
	CHECK_EQ(l2tp_addr_parse("lns.example:1701", L2TP_ENCAP_UDP, &ss, &len, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "'lns.example:1701' is not a numeric IPv4 or IPv6 address (accepted: \"a.b.c.d:port\" or \"[v6addr]:port\"; names are not resolved)");
	CHECK_EQ(l2tp_addr_parse("[::1:1701", L2TP_ENCAP_UDP, &ss, &len, err, sizeof(err)), -EINVAL);
	CHECK_EQ(l2tp_addr_parse("1.2.3.4:x", L2TP_ENCAP_UDP, &ss, &len, err, sizeof(err)), -EINVAL);
	CHECK_EQ(l2tp_addr_parse("[1.2.3.4]:5", L2TP_ENCAP_UDP, &ss, &len, err, sizeof(err)), -EINVAL);
}

static bool in_range(const char *range, const char *addr)
{
	char err[256];
	struct l2tp_addr_range r;
	struct sockaddr_storage ss;
	socklen_t len;
	if (l2tp_addr_range_parse(range, &r, err, sizeof(err)) != 0 ||
	    l2tp_addr_parse(addr, L2TP_ENCAP_IP, &ss, &len, err, sizeof(err)) != 0)
		return false;
	return l2tp_addr_range_has(&r, (struct sockaddr *)&ss);
}

static void address_ranges(void)
{
	CHECK(in_range("192.0.2.0/24", "192.0.2.0"));
	CHECK(in_range("192.0.2.0/24", "192.0.2.255"));
	CHECK(!in_range("192.0.2.0/24", "192.0.3.0"));
	CHECK(in_range("192.0.2.77/24", "192.0.2.1")); /* host bits are ignored */
	CHECK(in_range("10.0.0.0/9", "10.127.255.255"));
	CHECK(!in_range("10.0.0.0/9", "10.128.0.0"));
	CHECK(in_range("0.0.0.0/0", "203.0.113.9"));
	CHECK(!in_range("0.0.0.0/0", "2001:db8::1")); /* families never mix */
	CHECK(in_range("192.0.2.7", "192.0.2.7"));
	CHECK(!in_range("192.0.2.7", "192.0.2.8"));
	CHECK(in_range("192.0.2.10-192.0.2.20", "192.0.2.20"));
	CHECK(!in_range("192.0.2.10-192.0.2.20", "192.0.2.21"));
	CHECK(!in_range("192.0.2.10-192.0.2.20", "192.0.2.9"));
	CHECK(in_range("2001:db8::/32", "2001:db8:ffff::1"));
	CHECK(!in_range("2001:db8::/32", "2001:db9::"));
	CHECK(in_range("2001:db8::/127", "2001:db8::1"));
	CHECK(!in_range("2001:db8::/127", "2001:db8::2"));
	/* a dual-stack socket sees an IPv4 LAC as ::ffff:a.b.c.d */
	CHECK(in_range("192.0.2.0/24", "::ffff:192.0.2.5"));
	/* and an IPv4 range written the IPv6 way is one */
	CHECK(in_range("::ffff:192.0.2.0/120", "192.0.2.5"));
	CHECK(in_range("::ffff:192.0.2.0/120", "::ffff:192.0.2.5"));
	CHECK(!in_range("::ffff:192.0.2.0/120", "192.0.3.5"));
	CHECK(in_range("::ffff:0:0/96", "192.0.2.5"));
	CHECK(!in_range("::/95", "192.0.2.5"));

	char err[256];
	struct l2tp_addr_range r;
	CHECK_EQ(l2tp_addr_range_parse("192.0.2.0/", &r, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "address range '192.0.2.0/': prefix length '' is not valid (0-32)");
	CHECK_EQ(l2tp_addr_range_parse("2001:db8::/129", &r, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "address range '2001:db8::/129': prefix length '129' is not valid (0-128)");
	CHECK_EQ(l2tp_addr_range_parse("", &r, err, sizeof(err)), -EINVAL);
	CHECK_EQ(l2tp_addr_range_parse("192.0.2.1-", &r, err, sizeof(err)), -EINVAL);
	CHECK_EQ(l2tp_addr_range_parse("192.0.2.0/24/8", &r, err, sizeof(err)), -EINVAL);
	/* only digits after the slash: strtoul would read "-0" as 0, allow-all */
	CHECK_EQ(l2tp_addr_range_parse("10.0.0.0/-0", &r, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "address range '10.0.0.0/-0': prefix length '-0' is not valid (0-32)");
	CHECK_EQ(l2tp_addr_range_parse("10.0.0.0/+8", &r, err, sizeof(err)), -EINVAL);
	CHECK_EQ(l2tp_addr_range_parse("10.0.0.0/ 8", &r, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	RUN(defaults_follow_go_l2tp);
	RUN(keys_are_one_table);
	RUN(tunnel_checks_name_key_value_and_accepted);
	RUN(session_checks);
	RUN(addresses);
	RUN(address_ranges);
	return check_report();
}
