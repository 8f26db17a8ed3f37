#include "l2tp/channel.h"

#include <errno.h>
#include <event2/event.h>
#include <linux/l2tp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "l2tp/config.h"
#include "util.h"

#ifndef IPPROTO_L2TP
#define IPPROTO_L2TP 115
#endif

/* Datagrams read per wakeup before the loop gets a turn elsewhere. */
#define READ_BUDGET 64

struct l2tp_channel {
	struct l2tp_transport *tr;
	struct event *rev, *tev;
	int fd;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	bool connected;
	bool adopt;
	uint64_t (*now)(void);
	uint64_t armed;
	struct l2tp_channel_ops ops;
	void *arg;
	int busy;
	bool dead;
};

uint64_t l2tp_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void destroy(struct l2tp_channel *ch)
{
	l2tp_transport_free(ch->tr);
	if (ch->rev)
		event_free(ch->rev);
	if (ch->tev)
		event_free(ch->tev);
	if (ch->fd >= 0)
		close(ch->fd);
	free(ch);
}

void l2tp_channel_free(struct l2tp_channel *ch)
{
	if (!ch)
		return;
	if (ch->busy) {
		ch->dead = true;
		return;
	}
	destroy(ch);
}

/* Re-arms the one timer to the transport's next deadline. */
static void rearm(struct l2tp_channel *ch)
{
	uint64_t d = l2tp_transport_deadline(ch->tr);
	if (d == ch->armed)
		return;
	ch->armed = d;
	if (d == L2TP_NEVER) {
		event_del(ch->tev);
		return;
	}
	uint64_t now = ch->now();
	uint64_t in = d > now ? d - now : 0;
	struct timeval tv = {(time_t)(in / 1000), (suseconds_t)(in % 1000) * 1000};
	event_add(ch->tev, &tv);
}

static bool leave(struct l2tp_channel *ch)
{
	if (--ch->busy == 0 && ch->dead) {
		destroy(ch);
		return false;
	}
	if (ch->dead)
		return false;
	rearm(ch);
	return true;
}

static int tr_send(void *arg, const uint8_t *buf, size_t len)
{
	struct l2tp_channel *ch = arg;
	ssize_t n = ch->connected ? send(ch->fd, buf, len, 0)
				  : sendto(ch->fd, buf, len, 0, (struct sockaddr *)&ch->peer, ch->peer_len);
	return n == (ssize_t)len ? 0 : -errno;
}

static void tr_recv(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err)
{
	struct l2tp_channel *ch = arg;
	ch->ops.recv(ch->arg, msg, err);
}

static void tr_failed(void *arg, const char *reason)
{
	struct l2tp_channel *ch = arg;
	ch->ops.failed(ch->arg, reason);
}

static void tr_released(void *arg)
{
	struct l2tp_channel *ch = arg;
	ch->ops.released(ch->arg);
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
		      sizeof(struct in6_addr)) == 0;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
					: ((const struct sockaddr_in6 *)ss)->sin6_port;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t buf[65540];
	struct l2tp_channel *ch = arg;
	(void)what;
	ch->busy++;
	for (int i = 0; i < READ_BUDGET && !ch->dead; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			break;
		if (!ch->connected) {
			/* Only the peer host may talk to us; the first reply
			 * fixes its port, and the socket is connected to it. */
			if (!same_host(&from, &ch->peer))
				continue;
			if (port_of(&from) != port_of(&ch->peer)) {
				if (!ch->adopt)
					continue;
				memcpy(&ch->peer, &from, flen);
				ch->peer_len = flen;
			}
			if (connect(fd, (struct sockaddr *)&ch->peer, ch->peer_len) == 0)
				ch->connected = true;
		}
		l2tp_transport_input(ch->tr, buf, (size_t)n, ch->now());
	}
	leave(ch);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct l2tp_channel *ch = arg;
	(void)fd, (void)what;
	ch->busy++;
	ch->armed = L2TP_NEVER;
	l2tp_transport_tick(ch->tr, ch->now());
	leave(ch);
}

int l2tp_channel_new(struct event_base *base, const struct l2tp_channel_config *cfg,
		     const struct l2tp_channel_ops *ops, void *arg, struct l2tp_channel **out, char *err,
		     size_t errlen)
{
	static const struct l2tp_transport_ops tops = {tr_send, tr_recv, tr_failed, tr_released};
	struct l2tp_channel *ch = calloc(1, sizeof(*ch));
	*out = NULL;
	if (!ch) {
		close(cfg->fd);
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	}
	ch->fd = cfg->fd;
	ch->peer = cfg->peer;
	ch->peer_len = cfg->peer_len;
	ch->adopt = cfg->adopt_peer_port;
	ch->now = cfg->now_ms ? cfg->now_ms : l2tp_monotonic_ms;
	ch->ops = *ops;
	ch->arg = arg;
	ch->armed = L2TP_NEVER;
	struct sockaddr_storage cur;
	socklen_t clen = sizeof(cur);
	ch->connected = getpeername(ch->fd, (struct sockaddr *)&cur, &clen) == 0;
	ch->tr = l2tp_transport_new(&cfg->transport, &tops, ch, ch->now());
	ch->rev = event_new(base, ch->fd, EV_READ | EV_PERSIST, on_read, ch);
	ch->tev = event_new(base, -1, 0, on_timer, ch);
	if (!ch->tr || !ch->rev || !ch->tev || event_add(ch->rev, NULL) != 0) {
		destroy(ch);
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	}
	rearm(ch); /* a HELLO may be due before anything happens */
	*out = ch;
	return 0;
}

int l2tp_channel_send(struct l2tp_channel *ch, const struct l2tp_msg *msg, struct l2tp_codec_error *err)
{
	ch->busy++;
	int rc = l2tp_transport_send(ch->tr, msg, ch->now(), err);
	leave(ch);
	return rc;
}

void l2tp_channel_input(struct l2tp_channel *ch, uint8_t *buf, size_t len)
{
	ch->busy++;
	l2tp_transport_input(ch->tr, buf, len, ch->now());
	leave(ch);
}

void l2tp_channel_linger(struct l2tp_channel *ch)
{
	l2tp_transport_linger(ch->tr, ch->now());
	ch->busy++;
	leave(ch);
}

void l2tp_channel_set_ops(struct l2tp_channel *ch, const struct l2tp_channel_ops *ops, void *arg)
{
	ch->ops = *ops;
	ch->arg = arg;
}

struct l2tp_transport *l2tp_channel_transport(struct l2tp_channel *ch)
{
	return ch->tr;
}

int l2tp_channel_fd(const struct l2tp_channel *ch)
{
	return ch->fd;
}

const struct sockaddr *l2tp_channel_peer(const struct l2tp_channel *ch, socklen_t *len)
{
	*len = ch->peer_len;
	return (const struct sockaddr *)&ch->peer;
}

/* L2TPv3 over IP sockets address a control connection ID, not a port. */
static socklen_t l2tpip_addr(const struct sockaddr *sa, uint32_t conn_id, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		struct sockaddr_l2tpip *ip = (struct sockaddr_l2tpip *)out;
		ip->l2tp_family = AF_INET;
		ip->l2tp_addr = ((const struct sockaddr_in *)sa)->sin_addr;
		ip->l2tp_conn_id = conn_id;
		return sizeof(*ip);
	}
	struct sockaddr_l2tpip6 *ip6 = (struct sockaddr_l2tpip6 *)out;
	ip6->l2tp_family = AF_INET6;
	ip6->l2tp_addr = ((const struct sockaddr_in6 *)sa)->sin6_addr;
	ip6->l2tp_conn_id = conn_id;
	return sizeof(*ip6);
}

int l2tp_socket_open(const struct sockaddr *local, socklen_t local_len, const struct sockaddr *peer,
		     socklen_t peer_len, bool over_ip, uint32_t conn_id, uint32_t peer_conn_id, bool connect_peer,
		     char *err, size_t errlen)
{
	int family = peer ? peer->sa_family : local->sa_family;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, over_ip ? IPPROTO_L2TP : IPPROTO_UDP);
	struct sockaddr_storage a;
	socklen_t alen;
	char addr[64];
	int e;

	if (fd < 0) {
		e = errno;
		if (over_ip && (e == EPROTONOSUPPORT || e == ESOCKTNOSUPPORT || e == EAFNOSUPPORT))
			return l2tp_errf(err, errlen, -e,
					 "L2TP over IP sockets are not available: kernel L2TP support is not loaded "
					 "(modprobe l2tp_ip l2tp_ip6)");
		return l2tp_errf(err, errlen, -e, "socket: %s", strerror(e));
	}
	if (!over_ip) {
		int one = 1;
		/* An LNS binds each accepted tunnel to the address it listens on. */
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	}
	if (local) {
		if (over_ip) {
			alen = l2tpip_addr(local, conn_id, &a);
		} else {
			memcpy(&a, local, local_len);
			alen = local_len;
		}
		if (bind(fd, (struct sockaddr *)&a, alen) != 0) {
			e = errno;
			l2tp_addr_format(local, addr, sizeof(addr));
			close(fd);
			return l2tp_errf(err, errlen, -e, "bind %s: %s", addr, strerror(e));
		}
	}
	if (peer && connect_peer) {
		if (over_ip) {
			alen = l2tpip_addr(peer, peer_conn_id, &a);
		} else {
			memcpy(&a, peer, peer_len);
			alen = peer_len;
		}
		if (connect(fd, (struct sockaddr *)&a, alen) != 0) {
			e = errno;
			l2tp_addr_format(peer, addr, sizeof(addr));
			close(fd);
			return l2tp_errf(err, errlen, -e, "connect to %s: %s", addr, strerror(e));
		}
	}
	return fd;
}
