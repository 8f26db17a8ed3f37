/* Endpoints: a datagram socket and one timer each, either real (a UDP or
 * L2TP/IP socket read from the libevent loop, CLOCK_MONOTONIC) or a test's
 * own (l2tp_io_ops: the test delivers datagrams and runs the clock). The
 * layers above never learn which. */
#define _GNU_SOURCE /* struct in6_pktinfo */
#include "l2tp/io.h"

#include <errno.h>
#include <event2/event.h>
#include <linux/l2tp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "l2tp/codec.h"
#include "l2tp/config.h"
#include "util.h"

#ifndef IPPROTO_L2TP
#define IPPROTO_L2TP 115
#endif

/* Datagrams read per wakeup before the loop gets a turn elsewhere, and
 * per system call. */
#define READ_BUDGET 64
#define RX_BATCH 16
#define LISTEN_RCVBUF (8 << 20)
#define MAX_DATAGRAM 65540

struct l2tp_endpoint {
	struct l2tp_io *io;
	struct l2tp_endpoint *prev, *next; /* all of the io's endpoints */
	int sock;			   /* fd, or the test's number */
	struct event *rev, *tev;	   /* real sockets only */
	uint64_t deadline;
	struct sockaddr_storage local;
	socklen_t local_len;
	struct sockaddr_storage peer; /* connected to; family 0: not */
	/* Where its datagrams come from on the wire, when local is a wildcard
	 * and the kernel chose on connect (traces); family 0: local. */
	struct sockaddr_storage wire;
	bool over_ip;
	/* The destination of the datagram its input handler has now */
	struct sockaddr_storage rx_dst;
	socklen_t rx_dst_len;
	struct l2tp_endpoint_ops ops;
	void *arg;
	int busy;  /* handlers running */
	bool dead; /* closed while busy: freed when they return */
};

struct l2tp_io {
	struct event_base *base;
	const struct l2tp_io_ops *ops; /* NULL: real sockets */
	void *arg;
	struct l2tp_endpoint *head, *tail;
	size_t count;
	l2tp_io_tap_fn tap;
	void *tap_arg;
	/* One set of receive buffers for every socket (a read fills up to
	 * RX_BATCH): handlers run one at a time and are done with a datagram
	 * when they return. Pages are touched only as datagrams land. */
	uint8_t rxbuf[RX_BATCH][MAX_DATAGRAM];
	struct l2tp_msg scratch;
};

uint64_t l2tp_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct l2tp_io *l2tp_io_new(struct event_base *base, const struct l2tp_io_ops *ops, void *arg)
{
	struct l2tp_io *io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	io->base = base;
	io->ops = ops;
	io->arg = arg;
	return io;
}

void l2tp_io_free(struct l2tp_io *io)
{
	free(io);
}

void l2tp_io_set_tap(struct l2tp_io *io, l2tp_io_tap_fn fn, void *arg)
{
	io->tap = fn;
	io->tap_arg = arg;
}

static void note_wire(struct l2tp_endpoint *ep)
{
	socklen_t len = sizeof(ep->wire);
	if (ep->io->ops || !ep->peer.ss_family)
		return;
	if (getsockname(ep->sock, (struct sockaddr *)&ep->wire, &len) != 0)
		ep->wire.ss_family = 0;
}

/* ours: where a received datagram came to, if the kernel said (else the
 * endpoint's own address). */
static void tap(const struct l2tp_endpoint *ep, bool out, const uint8_t *buf, size_t len, const struct sockaddr *other,
		const struct sockaddr *ours)
{
	const struct sockaddr *local =
		ours ? ours : (const struct sockaddr *)(ep->wire.ss_family ? &ep->wire : &ep->local);
	if (!other && ep->peer.ss_family)
		other = (const struct sockaddr *)&ep->peer;
	struct l2tp_tap_packet p = {out, ep->over_ip, out ? local : other, out ? other : local, buf, len};
	ep->io->tap(ep->io->tap_arg, &p);
}

uint64_t l2tp_io_now(const struct l2tp_io *io)
{
	return io->ops ? io->ops->now_ms(io->arg) : l2tp_monotonic_ms();
}

struct l2tp_msg *l2tp_io_scratch(struct l2tp_io *io)
{
	return &io->scratch;
}

size_t l2tp_io_sockets(const struct l2tp_io *io)
{
	return io->count;
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

/* The address to bind or connect to: as given for UDP; addressed by
 * control connection ID for L2TPv3 over IP. */
static socklen_t sock_addr(const struct l2tp_sock_req *req, const struct sockaddr *sa, socklen_t len, uint32_t conn_id,
			   struct sockaddr_storage *out)
{
	if (req->over_ip)
		return l2tpip_addr(sa, conn_id, out);
	memcpy(out, sa, len);
	return len;
}

/* A socket call on fd about sa failed: closes fd, says which and why. */
static int sock_fail(int fd, const char *what, const struct sockaddr *sa, char *err, size_t errlen)
{
	int e = errno;
	char addr[L2TP_ADDR_STRLEN];
	l2tp_addr_format(sa, addr, sizeof(addr));
	close(fd);
	return l2tp_errf(err, errlen, -e, "%s %s: %s", what, addr, strerror(e));
}

static int real_open(const struct l2tp_sock_req *req, struct sockaddr_storage *bound, socklen_t *bound_len, char *err,
		     size_t errlen)
{
	int family = req->peer ? req->peer->sa_family : req->local->sa_family;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, req->over_ip ? IPPROTO_L2TP : IPPROTO_UDP);
	struct sockaddr_storage a;
	socklen_t alen;
	int one = 1;

	if (fd < 0) {
		int e = errno;
		if (req->over_ip && (e == EPROTONOSUPPORT || e == ESOCKTNOSUPPORT || e == EAFNOSUPPORT))
			return l2tp_errf(err, errlen, -e,
					 "L2TP over IP sockets are not available: kernel L2TP support is not loaded "
					 "(modprobe l2tp_ip l2tp_ip6)");
		return l2tp_errf(err, errlen, -e, "socket: %s", strerror(e));
	}
	/* Address reuse only where sockets are meant to share a port: an
	 * accepted tunnel joins its listener's. Never on a port-0 bind, where
	 * it would let the kernel hand out a port another socket holds. */
	if (req->share == L2TP_SOCK_JOIN)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (req->local) {
		alen = sock_addr(req, req->local, req->local_len, req->conn_id, &a);
		if (bind(fd, (struct sockaddr *)&a, alen) != 0)
			return sock_fail(fd, "bind", req->local, err, errlen);
	}
	/* Bound alone, so a second listener anywhere fails above; from now on
	 * the tunnels it accepts may join its port. */
	if (req->share == L2TP_SOCK_LISTEN) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* Every LAC's first request comes here, thousands at once when
		 * an LNS comes back: the default buffer (208 KiB, some 200
		 * requests) drops the rest, which then wait a whole retry
		 * interval. Past the system's limit where we may (root). */
		int size = LISTEN_RCVBUF;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	if (req->peer && req->connect) {
		alen = sock_addr(req, req->peer, req->peer_len, req->peer_conn_id, &a);
		if (connect(fd, (struct sockaddr *)&a, alen) != 0)
			return sock_fail(fd, "connect to", req->peer, err, errlen);
	}
	*bound_len = sizeof(*bound);
	if (getsockname(fd, (struct sockaddr *)bound, bound_len) != 0)
		*bound_len = 0;
	/* Bound to a wildcard and unconnected, a socket has no address of its
	 * own: ask the kernel which of ours each datagram came to (traces and
	 * captures show it). */
	if (*bound_len && !(req->peer && req->connect) && l2tp_addr_is_wildcard((struct sockaddr *)bound)) {
		if (bound->ss_family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	}
	return fd;
}

/* The address a datagram came to, from its IP_PKTINFO or IPV6_PKTINFO,
 * with our port; false when it carried none. */
static bool pktinfo_dst(struct msghdr *mh, const struct sockaddr_storage *local, struct sockaddr_storage *out)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && local->ss_family == AF_INET) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(out, local, sizeof(struct sockaddr_in));
			((struct sockaddr_in *)out)->sin_addr = pi.ipi_addr;
			return true;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO && local->ss_family == AF_INET6) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(out, local, sizeof(struct sockaddr_in6));
			((struct sockaddr_in6 *)out)->sin6_addr = pi.ipi6_addr;
			return true;
		}
	}
	return false;
}

static void endpoint_free(struct l2tp_endpoint *ep)
{
	struct l2tp_io *io = ep->io;
	L2TP_LIST_REMOVE(io->head, io->tail, ep, prev, next);
	io->count--;
	if (ep->rev)
		event_free(ep->rev);
	if (ep->tev)
		event_free(ep->tev);
	if (io->ops)
		io->ops->close(io->arg, ep->sock);
	else if (ep->sock >= 0)
		close(ep->sock);
	free(ep);
}

static void enter(struct l2tp_endpoint *ep)
{
	ep->busy++;
}

/* False when the endpoint was closed by a handler (and is now freed). */
static bool leave(struct l2tp_endpoint *ep)
{
	if (--ep->busy == 0 && ep->dead) {
		endpoint_free(ep);
		return false;
	}
	return !ep->dead;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct l2tp_endpoint *ep = arg;
	struct mmsghdr mm[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct sockaddr_storage from[RX_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} control[RX_BATCH];
	(void)what;
	enter(ep);
	for (int done = 0; done < READ_BUDGET && !ep->dead;) {
		for (int k = 0; k < RX_BATCH; k++) {
			iov[k] = (struct iovec){ep->io->rxbuf[k], MAX_DATAGRAM};
			mm[k].msg_hdr = (struct msghdr){&from[k], sizeof(from[k]), &iov[k], 1, control[k].buf,
							sizeof(control[k].buf), 0};
		}
		int n = recvmmsg(fd, mm, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int k = 0; k < n && !ep->dead; k++) {
			struct sockaddr_storage to;
			uint8_t *buf = ep->io->rxbuf[k];
			size_t len = mm[k].msg_len;
			bool have_to = pktinfo_dst(&mm[k].msg_hdr, &ep->local, &to);
			if (ep->io->tap)
				tap(ep, false, buf, len, (struct sockaddr *)&from[k], have_to ? (struct sockaddr *)&to : NULL);
			if (have_to) {
				ep->rx_dst = to;
				ep->rx_dst_len =
					to.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
			}
			ep->ops.input(ep->arg, buf, len, (struct sockaddr *)&from[k], mm[k].msg_hdr.msg_namelen);
			/* Only for the handler of this datagram. */
			ep->rx_dst_len = 0;
		}
		done += n;
		/* Fewer than asked for: the socket is empty, and asking again
		 * would only be told so (a system call per wakeup, a third of
		 * an idle tunnel's); the loop comes back if more arrive. */
		if (n < RX_BATCH)
			break;
	}
	leave(ep);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct l2tp_endpoint *ep = arg;
	(void)fd, (void)what;
	ep->deadline = L2TP_NEVER;
	enter(ep);
	if (ep->ops.timer)
		ep->ops.timer(ep->arg);
	leave(ep);
}

int l2tp_endpoint_open(struct l2tp_io *io, const struct l2tp_sock_req *req, const struct l2tp_endpoint_ops *ops,
		       void *arg, struct l2tp_endpoint **out, char *err, size_t errlen)
{
	struct l2tp_endpoint *ep = calloc(1, sizeof(*ep));
	*out = NULL;
	if (!ep)
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	ep->io = io;
	ep->ops = *ops;
	ep->arg = arg;
	ep->deadline = L2TP_NEVER;
	ep->local_len = sizeof(ep->local);
	int sock = io->ops ? io->ops->open(io->arg, req, &ep->local, &ep->local_len, err, errlen)
			   : real_open(req, &ep->local, &ep->local_len, err, errlen);
	if (sock < 0) {
		free(ep);
		return sock;
	}
	ep->sock = sock;
	ep->over_ip = req->over_ip;
	if (req->peer && req->connect && req->peer_len <= sizeof(ep->peer))
		memcpy(&ep->peer, req->peer, req->peer_len);
	note_wire(ep);
	L2TP_LIST_APPEND(io->head, io->tail, ep, prev, next);
	io->count++;
	if (!io->ops) {
		ep->rev = event_new(io->base, sock, EV_READ | EV_PERSIST, on_read, ep);
		ep->tev = event_new(io->base, -1, 0, on_timer, ep);
		if (!ep->rev || !ep->tev || event_add(ep->rev, NULL) != 0) {
			endpoint_free(ep);
			return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
		}
	}
	*out = ep;
	return 0;
}

void l2tp_endpoint_close(struct l2tp_endpoint *ep)
{
	if (!ep || ep->dead)
		return;
	if (ep->busy) {
		ep->dead = true;
		if (ep->rev)
			event_del(ep->rev);
		if (ep->tev)
			event_del(ep->tev);
		ep->deadline = L2TP_NEVER;
		return;
	}
	endpoint_free(ep);
}

int l2tp_endpoint_send(struct l2tp_endpoint *ep, const uint8_t *buf, size_t len, const struct sockaddr *to,
		       socklen_t to_len)
{
	struct l2tp_io *io = ep->io;
	int rc;
	if (io->ops) {
		rc = io->ops->send(io->arg, ep->sock, buf, len, to, to_len);
	} else {
		ssize_t n = to ? sendto(ep->sock, buf, len, 0, to, to_len) : send(ep->sock, buf, len, 0);
		rc = n == (ssize_t)len ? 0 : -errno;
	}
	/* What went out: a datagram the kernel refused did not. */
	if (rc == 0 && io->tap)
		tap(ep, true, buf, len, to, NULL);
	return rc;
}

int l2tp_endpoint_connect(struct l2tp_endpoint *ep, const struct sockaddr *peer, socklen_t peer_len)
{
	struct l2tp_io *io = ep->io;
	int rc = io->ops ? io->ops->connect(io->arg, ep->sock, peer, peer_len)
			 : connect(ep->sock, peer, peer_len) == 0 ? 0 : -errno;
	if (rc == 0 && peer_len <= sizeof(ep->peer))
		memcpy(&ep->peer, peer, peer_len);
	note_wire(ep);
	return rc;
}

void l2tp_endpoint_arm(struct l2tp_endpoint *ep, uint64_t deadline)
{
	if (ep->dead || deadline == ep->deadline)
		return;
	ep->deadline = deadline;
	if (!ep->tev)
		return; /* a test's clock: l2tp_io_run_timers looks at deadline */
	if (deadline == L2TP_NEVER) {
		event_del(ep->tev);
		return;
	}
	uint64_t now = l2tp_monotonic_ms();
	uint64_t in = deadline > now ? deadline - now : 0;
	struct timeval tv = {(time_t)(in / 1000), (suseconds_t)(in % 1000) * 1000};
	event_add(ep->tev, &tv);
}

const struct sockaddr *l2tp_endpoint_rx_dst(const struct l2tp_endpoint *ep, socklen_t *len)
{
	*len = ep->rx_dst_len;
	return ep->rx_dst_len ? (const struct sockaddr *)&ep->rx_dst : NULL;
}

const struct sockaddr *l2tp_endpoint_local(const struct l2tp_endpoint *ep, socklen_t *len)
{
	*len = ep->local_len;
	return (const struct sockaddr *)&ep->local;
}

int l2tp_endpoint_fd(const struct l2tp_endpoint *ep)
{
	return ep->io->ops ? -1 : ep->sock;
}

struct l2tp_io *l2tp_endpoint_io(const struct l2tp_endpoint *ep)
{
	return ep->io;
}

int l2tp_io_deliver(struct l2tp_io *io, int sock, uint8_t *buf, size_t len, const struct sockaddr *from,
		    socklen_t from_len)
{
	for (struct l2tp_endpoint *ep = io->head; ep; ep = ep->next) {
		if (ep->dead || ep->sock != sock)
			continue;
		if (io->tap)
			tap(ep, false, buf, len, from, NULL);
		enter(ep);
		ep->ops.input(ep->arg, buf, len, from, from_len);
		leave(ep);
		return 0;
	}
	return -ENOENT;
}

static struct l2tp_endpoint *earliest(const struct l2tp_io *io)
{
	struct l2tp_endpoint *best = NULL;
	for (struct l2tp_endpoint *ep = io->head; ep; ep = ep->next)
		if (!ep->dead && ep->deadline != L2TP_NEVER && (!best || ep->deadline < best->deadline))
			best = ep;
	return best;
}

uint64_t l2tp_io_next_deadline(const struct l2tp_io *io)
{
	struct l2tp_endpoint *ep = earliest(io);
	return ep ? ep->deadline : L2TP_NEVER;
}

void l2tp_io_run_timers(struct l2tp_io *io)
{
	uint64_t now = l2tp_io_now(io);
	/* Bounded: a timer that keeps re-arming itself in the past must not
	 * hang the test that drives it. */
	for (int i = 0; i < 100000; i++) {
		struct l2tp_endpoint *ep = earliest(io);
		if (!ep || ep->deadline > now)
			return;
		on_timer(-1, 0, ep);
	}
}
