/* pcap files of a context's datagrams (see l2tp/pcap.h). The format is
 * libpcap's classic one: a 24-byte file header, then per packet a 16-byte
 * record header and the packet. */
#include "l2tp/pcap.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define PCAP_MAGIC 0xa1b2c3d4u
#define LINKTYPE_RAW 101 /* an IPv4 or IPv6 header first */
#define SNAPLEN 262144u
#define PROTO_UDP 17
#define PROTO_L2TP 115

struct l2tp_pcap {
	int fd;
	int refs;
	uint64_t packets;
	int error;
	off_t size; /* where the next record goes */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The file's own integers are in the writer's byte order (the magic tells
 * readers which); the packets' are in network order. */
static void host32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void host16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static uint32_t sum(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

int l2tp_pcap_open(const char *path, struct l2tp_pcap **out, char *err, size_t errlen)
{
	uint8_t hdr[24];
	*out = NULL;
	struct l2tp_pcap *pc = calloc(1, sizeof(*pc));
	if (!pc)
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	pc->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (pc->fd < 0) {
		int e = errno;
		free(pc);
		return l2tp_errf(err, errlen, -e, "cannot create '%s': %s", path, strerror(e));
	}
	host32(hdr, PCAP_MAGIC);
	host16(hdr + 4, 2);
	host16(hdr + 6, 4);
	host32(hdr + 8, 0);  /* GMT offset */
	host32(hdr + 12, 0); /* timestamp accuracy */
	host32(hdr + 16, SNAPLEN);
	host32(hdr + 20, LINKTYPE_RAW);
	if (write(pc->fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr)) {
		int e = errno ? errno : EIO;
		close(pc->fd);
		free(pc);
		return l2tp_errf(err, errlen, -e, "cannot write '%s': %s", path, strerror(e));
	}
	pc->refs = 1;
	pc->size = sizeof(hdr);
	*out = pc;
	return 0;
}

struct l2tp_pcap *l2tp_pcap_ref(struct l2tp_pcap *pc)
{
	if (pc)
		pc->refs++;
	return pc;
}

void l2tp_pcap_unref(struct l2tp_pcap *pc)
{
	if (!pc || --pc->refs > 0)
		return;
	close(pc->fd);
	free(pc);
}

uint64_t l2tp_pcap_packets(const struct l2tp_pcap *pc)
{
	return pc->packets;
}

int l2tp_pcap_error(const struct l2tp_pcap *pc)
{
	return pc->error;
}

/* The IP header the datagram had; its length, or 0 for addresses that
 * are not IPv4 or IPv6 of one family. */
static bool v4mapped(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

static size_t ip_header(uint8_t *h, const struct l2tp_tap_packet *p, uint8_t proto, size_t payload,
			uint32_t *pseudo)
{
	int family = p->src->sa_family;
	if (family != p->dst->sa_family)
		return 0;
	/* A dual-stack socket's IPv4 peer went over IPv4. */
	bool mapped = v4mapped(p->src) && v4mapped(p->dst);
	if (family == AF_INET || mapped) {
		const uint8_t *src = mapped ? ((const struct sockaddr_in6 *)p->src)->sin6_addr.s6_addr + 12
					    : (const uint8_t *)&((const struct sockaddr_in *)p->src)->sin_addr;
		const uint8_t *dst = mapped ? ((const struct sockaddr_in6 *)p->dst)->sin6_addr.s6_addr + 12
					    : (const uint8_t *)&((const struct sockaddr_in *)p->dst)->sin_addr;
		memset(h, 0, 20);
		h[0] = 0x45;
		put16(h + 2, (uint16_t)(20 + payload));
		put16(h + 6, 0x4000); /* DF */
		h[8] = 64;
		h[9] = proto;
		memcpy(h + 12, src, 4);
		memcpy(h + 16, dst, 4);
		put16(h + 10, fold(sum(0, h, 20)));
		*pseudo = sum(0, h + 12, 8) + proto + (uint32_t)payload;
		return 20;
	}
	if (family == AF_INET6) {
		memset(h, 0, 40);
		h[0] = 0x60;
		put16(h + 4, (uint16_t)payload);
		h[6] = proto;
		h[7] = 64;
		memcpy(h + 8, &((const struct sockaddr_in6 *)p->src)->sin6_addr, 16);
		memcpy(h + 24, &((const struct sockaddr_in6 *)p->dst)->sin6_addr, 16);
		*pseudo = sum(0, h + 8, 32) + proto + (uint32_t)payload;
		return 40;
	}
	return 0;
}

void l2tp_pcap_write(struct l2tp_pcap *pc, const struct l2tp_tap_packet *p)
{
	static const uint8_t zero_sid[4] = {0};
	uint8_t rec[16], ip[40], udp[8];
	uint32_t pseudo = 0;
	if (!pc || pc->error || !p->dst)
		return;
	size_t below = p->over_ip ? sizeof(zero_sid) : sizeof(udp);
	if (p->len + below > 0xffff - 40)
		return;
	size_t iplen = ip_header(ip, p, p->over_ip ? PROTO_L2TP : PROTO_UDP, below + p->len, &pseudo);
	if (!iplen)
		return;
	struct iovec iov[4] = {{rec, sizeof(rec)}, {ip, iplen}, {NULL, 0}, {(void *)p->buf, p->len}};
	if (p->over_ip) {
		iov[2] = (struct iovec){(void *)zero_sid, sizeof(zero_sid)};
	} else {
		put16(udp, l2tp_addr_port(p->src));
		put16(udp + 2, l2tp_addr_port(p->dst));
		put16(udp + 4, (uint16_t)(8 + p->len));
		put16(udp + 6, 0);
		uint16_t c = fold(sum(sum(pseudo, udp, 8), p->buf, p->len));
		put16(udp + 6, c ? c : 0xffff); /* 0 would say "no checksum" */
		iov[2] = (struct iovec){udp, sizeof(udp)};
	}
	size_t caplen = iplen + below + p->len;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	host32(rec, (uint32_t)ts.tv_sec);
	host32(rec + 4, (uint32_t)(ts.tv_nsec / 1000));
	host32(rec + 8, (uint32_t)caplen);
	host32(rec + 12, (uint32_t)caplen);
	ssize_t n = writev(pc->fd, iov, 4);
	if (n != (ssize_t)(sizeof(rec) + caplen)) {
		pc->error = n < 0 ? errno : ENOSPC;
		/* no torn record: the file ends with the last whole one */
		if (n > 0 && ftruncate(pc->fd, pc->size) != 0)
			pc->error = errno;
		return;
	}
	pc->size += n;
	pc->packets++;
}
