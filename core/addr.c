#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static bool wildcard(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY);
	return sa->sa_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

bool l2tp_addr_covers(const struct sockaddr *bound, const struct sockaddr *to)
{
	if (l2tp_addr_port(bound) != l2tp_addr_port(to) || bound->sa_family != to->sa_family)
		return false;
	return wildcard(bound) || l2tp_addr_same_host(bound, to);
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
