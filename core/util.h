/* Small internal helpers shared by the core's files. */
#ifndef L2TP_UTIL_H
#define L2TP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes a message to err (if any) and returns rc, so callers can
 * `return l2tp_errf(err, len, -EINVAL, "...")`. */
int l2tp_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Puts "prefix " in front of the message already in err; returns rc. */
int l2tp_errprefix(char *err, size_t errlen, int rc, const char *prefix);
/* strdup that tolerates NULL. */
char *l2tp_strdup(const char *s);
/* A duration for people: "30 s", or "1500 ms" when not whole seconds. */
const char *l2tp_format_ms(uint32_t ms, char *buf, size_t len);

struct sockaddr;
struct sockaddr_storage;
/* Socket addresses (IPv4 and IPv6; other families never match). */
bool l2tp_addr_same_host(const struct sockaddr *a, const struct sockaddr *b);
void l2tp_addr_set_port(struct sockaddr *sa, uint16_t port);
/* Same host and port. */
bool l2tp_addr_equal(const struct sockaddr *a, const struct sockaddr *b);
/* Host byte order; 0 for other families. */
uint16_t l2tp_addr_port(const struct sockaddr *sa);
/* Whether a socket bound to `bound` receives what is sent to `to`: same
 * port, and the same host or a wildcard one of the same family. */
bool l2tp_addr_covers(const struct sockaddr *bound, const struct sockaddr *to);
/* 0.0.0.0 or ::. */
bool l2tp_addr_is_wildcard(const struct sockaddr *sa);
/* The address the kernel would send from to reach `to` (its port is not
 * meaningful). 0 or a negative errno. */
int l2tp_addr_route_source(const struct sockaddr *to, struct sockaddr_storage *out);
uint64_t l2tp_addr_hash(const struct sockaddr *sa, uint64_t salt);

/* A range of host addresses of one family, both ends included, in network
 * byte order (only the first 4 bytes for IPv4). */
struct l2tp_addr_range {
	int family;
	uint8_t lo[16], hi[16];
};
/* "192.0.2.7", "192.0.2.0/24", "192.0.2.10-192.0.2.20" and their IPv6
 * forms (no brackets, no port). 0 or -EINVAL with the reason in err. */
int l2tp_addr_range_parse(const char *text, struct l2tp_addr_range *out, char *err, size_t errlen);
/* Whether sa's host is in the range; an IPv4-mapped IPv6 address (a
 * dual-stack socket's peer) is matched as the IPv4 address it carries. */
bool l2tp_addr_range_has(const struct l2tp_addr_range *r, const struct sockaddr *sa);

/* Elements of an array (not a pointer). */
#define L2TP_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Doubly linked lists with typed links, as sys/queue.h has them: head and
 * tail are the list's ends, prev and next the names of the element's
 * links. Arguments are evaluated more than once: pass plain lvalues. */
#define L2TP_LIST_APPEND(head, tail, x, prev, next)                                                                   \
	do {                                                                                                          \
		(x)->next = NULL;                                                                                     \
		(x)->prev = (tail);                                                                                   \
		if (tail)                                                                                             \
			(tail)->next = (x);                                                                           \
		else                                                                                                  \
			(head) = (x);                                                                                 \
		(tail) = (x);                                                                                         \
	} while (0)
#define L2TP_LIST_REMOVE(head, tail, x, prev, next)                                                                   \
	do {                                                                                                          \
		if ((x)->prev)                                                                                        \
			(x)->prev->next = (x)->next;                                                                  \
		else                                                                                                  \
			(head) = (x)->next;                                                                           \
		if ((x)->next)                                                                                        \
			(x)->next->prev = (x)->prev;                                                                  \
		else                                                                                                  \
			(tail) = (x)->prev;                                                                           \
	} while (0)

/* Big-endian reads and writes. The casts keep the shifts unsigned: a byte
 * shifted into bit 31 of an int is undefined. */
static inline uint16_t l2tp_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t l2tp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void l2tp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void l2tp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* An L2TPv3 cookie's length: none, 4 or 8 bytes (RFC 3931 section
 * 5.4.4). */
static inline bool l2tp_cookie_len_ok(size_t n)
{
	return n == 0 || n == 4 || n == 8;
}

/* Equal, in a time that does not depend on where they differ. */
bool l2tp_memeq_const(const void *a, const void *b, size_t len);
/* Random bytes from getrandom(), or rand() where it fails. */
void l2tp_random_bytes(void *buf, size_t len);
/* A fresh random ID, not 0, for which used() is false: 16 bits, or 32
 * (wide: L2TPv3's IDs); 0 when every ID is in use. */
uint32_t l2tp_random_id(bool (*used)(void *arg, uint32_t id), void *arg, bool wide);

#endif
