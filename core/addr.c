#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "l2tp/config.h"
#include "hash.h"
#include "util.h"

static int parse_port(const char *text, const char *p, uint16_t *port, char *err, size_t errlen)
{
	char *end;
	if (!*p)
		return l2tp_errf(err, errlen, -EINVAL, "'%s' has an empty port (accepted: 0-65535)", text);
	for (const char *q = p; *q; q++)
		if (*q < '0' || *q > '9')
			return l2tp_errf(err, errlen, -EINVAL, "'%s' has a port that is not a number (accepted: 0-65535)",
					 text);
	unsigned long v = strtoul(p, &end, 10);
	if (v > 65535 || strlen(p) > 5)
		return l2tp_errf(err, errlen, -EINVAL, "'%s' has port %s out of range (accepted: 0-65535)", text, p);
	*port = (uint16_t)v;
	return 0;
}

int l2tp_addr_parse(const char *text, enum l2tp_encap encap, struct sockaddr_storage *out,
		    socklen_t *outlen, char *err, size_t errlen)
{
	char host[L2TP_ADDR_STRLEN];
	const char *portstr = NULL;
	uint16_t port = 0;
	bool bracketed = false;
	const char *accepted = encap == L2TP_ENCAP_IP ? "an IPv4 or IPv6 address without a port, as ip encap has none"
						      : "\"a.b.c.d:port\" or \"[v6addr]:port\"";

	memset(out, 0, sizeof(*out));
	if (strlen(text) >= sizeof(host))
		return l2tp_errf(err, errlen, -EINVAL, "'%.20s...' is too long (accepted: %s)", text, accepted);

	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close)
			return l2tp_errf(err, errlen, -EINVAL, "'%s' has no closing ']' (accepted: %s)", text, accepted);
		size_t n = (size_t)(close - text - 1);
		memcpy(host, text + 1, n);
		host[n] = '\0';
		bracketed = true;
		if (close[1] == ':')
			portstr = close + 2;
		else if (close[1] != '\0')
			return l2tp_errf(err, errlen, -EINVAL, "'%s' has junk after ']' (accepted: %s)", text, accepted);
	} else {
		const char *colon = strchr(text, ':');
		if (colon && strchr(colon + 1, ':')) {
			/* More than one colon and no brackets: a bare IPv6 address. */
			snprintf(host, sizeof(host), "%s", text);
		} else if (colon) {
			size_t n = (size_t)(colon - text);
			memcpy(host, text, n);
			host[n] = '\0';
			portstr = colon + 1;
		} else {
			snprintf(host, sizeof(host), "%s", text);
		}
	}

	if (encap == L2TP_ENCAP_IP && portstr)
		return l2tp_errf(err, errlen, -EINVAL, "'%s' has a port (accepted: %s)", text, accepted);
	if (encap == L2TP_ENCAP_UDP && !portstr)
		return l2tp_errf(err, errlen, -EINVAL, "'%s' has no port (accepted: %s)", text, accepted);
	if (portstr) {
		int rc = parse_port(text, portstr, &port, err, errlen);
		if (rc)
			return rc;
	}

	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
	if (!bracketed && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*outlen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*outlen = sizeof(*sin6);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return l2tp_errf(err, errlen, -EINVAL,
			 "'%s' is not a numeric IPv4 or IPv6 address (accepted: %s; names are not resolved)", text,
			 accepted);
}

void l2tp_addr_format(const struct sockaddr *sa, char *buf, size_t buflen)
{
	char host[INET6_ADDRSTRLEN];
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		if (sin->sin_port)
			snprintf(buf, buflen, "%s:%u", host, ntohs(sin->sin_port));
		else
			snprintf(buf, buflen, "%s", host);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		if (sin6->sin6_port)
			snprintf(buf, buflen, "[%s]:%u", host, ntohs(sin6->sin6_port));
		else
			snprintf(buf, buflen, "%s", host);
	} else {
		snprintf(buf, buflen, "%s", "");
	}
}

bool l2tp_addr_same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return false;
}

uint16_t l2tp_addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

void l2tp_addr_set_port(struct sockaddr *sa, uint16_t port)
{
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons(port);
	else if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
}

bool l2tp_addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	return l2tp_addr_same_host(a, b) && l2tp_addr_port(a) == l2tp_addr_port(b);
}

bool l2tp_addr_is_wildcard(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY);
	return sa->sa_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

bool l2tp_addr_covers(const struct sockaddr *bound, const struct sockaddr *to)
{
	if (l2tp_addr_port(bound) != l2tp_addr_port(to) || bound->sa_family != to->sa_family)
		return false;
	return l2tp_addr_is_wildcard(bound) || l2tp_addr_same_host(bound, to);
}

uint64_t l2tp_addr_hash(const struct sockaddr *sa, uint64_t salt)
{
	uint64_t h = salt ^ ((uint64_t)l2tp_addr_port(sa) << 32);
	if (sa->sa_family == AF_INET) {
		h ^= ((const struct sockaddr_in *)sa)->sin_addr.s_addr;
	} else if (sa->sa_family == AF_INET6) {
		uint64_t w[2];
		memcpy(w, &((const struct sockaddr_in6 *)sa)->sin6_addr, sizeof(w));
		h ^= l2tp_hash_u64(w[0]) ^ w[1];
	}
	return l2tp_hash_u64(h);
}

static int host_parse(const char *text, int *family, uint8_t out[16])
{
	if (inet_pton(AF_INET, text, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int l2tp_addr_range_parse(const char *text, struct l2tp_addr_range *out, char *err, size_t errlen)
{
	static const char accepted[] = "accepted: an address, address/prefix-length or first-last, as "
				       "\"192.0.2.0/24\", \"2001:db8::/32\" or \"192.0.2.10-192.0.2.20\"";
	char buf[128];
	memset(out, 0, sizeof(*out));
	if (strlen(text) >= sizeof(buf))
		return l2tp_errf(err, errlen, -EINVAL, "address range '%.40s...' is too long (%s)", text, accepted);
	snprintf(buf, sizeof(buf), "%s", text);
	char *slash = strchr(buf, '/'), *dash = strchr(buf, '-');
	if (slash)
		*slash = '\0';
	else if (dash)
		*dash = '\0';
	if (host_parse(buf, &out->family, out->lo) != 0)
		return l2tp_errf(err, errlen, -EINVAL, "address range '%s': '%s' is not an IP address (%s)", text, buf,
				 accepted);
	size_t n = out->family == AF_INET ? 4 : 16;
	memcpy(out->hi, out->lo, n);
	if (slash) {
		char *end;
		unsigned long bits = strtoul(slash + 1, &end, 10);
		if (!slash[1] || strspn(slash + 1, "0123456789") != strlen(slash + 1) || *end || bits > n * 8)
			return l2tp_errf(err, errlen, -EINVAL, "address range '%s': prefix length '%s' is not valid (0-%zu)",
					 text, slash + 1, n * 8);
		for (size_t i = 0; i < n; i++) {
			size_t keep = bits > i * 8 ? bits - i * 8 : 0;
			uint8_t mask = keep >= 8 ? 0xff : (uint8_t)(0xff00 >> keep);
			out->lo[i] &= mask;
			out->hi[i] = out->lo[i] | (uint8_t)~mask;
		}
	} else if (dash) {
		int family;
		if (host_parse(dash + 1, &family, out->hi) != 0 || family != out->family)
			return l2tp_errf(err, errlen, -EINVAL, "address range '%s': '%s' is not an %s address (%s)", text,
					 dash + 1, out->family == AF_INET ? "IPv4" : "IPv6", accepted);
		if (memcmp(out->lo, out->hi, n) > 0)
			return l2tp_errf(err, errlen, -EINVAL, "address range '%s': its first address is after its last",
					 text);
	}
	/* IPv4 written the IPv6 way (::ffff:a.b.c.d) is matched as IPv4, as
	 * a dual-stack socket's IPv4 peers are. */
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (out->family == AF_INET6 && memcmp(out->lo, mapped, 12) == 0 && memcmp(out->hi, mapped, 12) == 0) {
		out->family = AF_INET;
		memmove(out->lo, out->lo + 12, 4);
		memmove(out->hi, out->hi + 12, 4);
	}
	return 0;
}

bool l2tp_addr_range_has(const struct l2tp_addr_range *r, const struct sockaddr *sa)
{
	const uint8_t *host;
	int family = sa->sa_family;
	if (family == AF_INET) {
		host = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		host = a->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			family = AF_INET;
			host += 12;
		}
	} else {
		return false;
	}
	size_t n = family == AF_INET ? 4 : 16;
	return family == r->family && memcmp(host, r->lo, n) >= 0 && memcmp(host, r->hi, n) <= 0;
}

int l2tp_addr_route_source(const struct sockaddr *to, struct sockaddr_storage *out)
{
	socklen_t len = to->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	struct sockaddr_storage dst;
	if (to->sa_family != AF_INET && to->sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	/* Connecting a UDP socket only looks the route up: nothing is sent. */
	memcpy(&dst, to, len);
	if (!l2tp_addr_port((struct sockaddr *)&dst))
		l2tp_addr_set_port((struct sockaddr *)&dst, 1);
	int fd = socket(to->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	socklen_t olen = sizeof(*out);
	int rc = connect(fd, (struct sockaddr *)&dst, len) == 0 && getsockname(fd, (struct sockaddr *)out, &olen) == 0
			 ? 0
			 : -errno;
	close(fd);
	return rc;
}
