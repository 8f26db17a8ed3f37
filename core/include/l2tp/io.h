/* Where a context's sockets and clock come from. By default the real ones:
 * UDP and L2TP/IP datagram sockets read from the libevent loop, and
 * CLOCK_MONOTONIC. A test or a fuzzer passes its own l2tp_io_ops instead and
 * runs the whole control plane (listeners, tunnels, calls, timers) with no
 * I/O at all: it feeds datagrams with l2tp_io_deliver() and moves its clock
 * with l2tp_io_run_timers().
 *
 * Every socket the core opens is an endpoint: a datagram socket and one
 * timer, with a handler for each. */
#ifndef L2TP_IO_H
#define L2TP_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct l2tp_io;
struct l2tp_endpoint;

#ifndef L2TP_NEVER
#define L2TP_NEVER UINT64_MAX
#endif

/* Who else may bind the same address and port. */
enum l2tp_sock_share {
	L2TP_SOCK_OWN = 0, /* nobody: bind fails if the address is in use */
	L2TP_SOCK_LISTEN,  /* bound as OWN, then open to JOIN sockets (an LNS's listening socket) */
	L2TP_SOCK_JOIN,	   /* shares a LISTEN socket's port (a tunnel it accepted) */
};

struct l2tp_sock_req {
	const struct sockaddr *local; /* port 0: a free port */
	socklen_t local_len;
	const struct sockaddr *peer;  /* NULL: none */
	socklen_t peer_len;
	bool connect;		      /* connect to peer now */
	bool over_ip;		      /* L2TPv3 over IP: addressed by control connection ID; the
				       * kernel adds and strips a control message's zero Session ID */
	uint32_t conn_id, peer_conn_id;
	enum l2tp_sock_share share;
};

/* A socket layer of a test's own. Sockets are the test's numbers (>= 0). */
struct l2tp_io_ops {
	/* Opens a socket as req says; writes the address it is bound to. */
	int (*open)(void *arg, const struct l2tp_sock_req *req, struct sockaddr_storage *bound,
		    socklen_t *bound_len, char *err, size_t errlen);
	int (*connect)(void *arg, int sock, const struct sockaddr *peer, socklen_t peer_len);
	/* to NULL: the connected peer. 0 or a negative errno. */
	int (*send)(void *arg, int sock, const uint8_t *buf, size_t len, const struct sockaddr *to,
		    socklen_t to_len);
	void (*close)(void *arg, int sock);
	uint64_t (*now_ms)(void *arg);
};

/* The real clock: CLOCK_MONOTONIC in milliseconds. */
uint64_t l2tp_monotonic_ms(void);

/* ops NULL: real sockets on base. */
struct l2tp_io *l2tp_io_new(struct event_base *base, const struct l2tp_io_ops *ops, void *arg);
/* Every endpoint must be closed first. Accepts NULL. */
void l2tp_io_free(struct l2tp_io *io);
uint64_t l2tp_io_now(const struct l2tp_io *io);
/* Sockets open now. */
size_t l2tp_io_sockets(const struct l2tp_io *io);
/* A message to decode into, shared by everything on this io (one thing
 * decodes at a time: handlers run one after another). */
struct l2tp_msg *l2tp_io_scratch(struct l2tp_io *io);

/* A tap sees every datagram the io's sockets send or receive, as it goes
 * out or before its handler sees it (traces and captures). */
struct l2tp_tap_packet {
	bool out;
	bool over_ip; /* L2TPv3 over IP: buf lacks the zero Session ID the wire has */
	const struct sockaddr *src, *dst; /* dst NULL: not known (an unconnected socket's own sends never are) */
	const uint8_t *buf;
	size_t len;
};
typedef void (*l2tp_io_tap_fn)(void *arg, const struct l2tp_tap_packet *p);
/* fn NULL: none. */
void l2tp_io_set_tap(struct l2tp_io *io, l2tp_io_tap_fn fn, void *arg);

/* A test's socket layer only. A datagram for sock, as if it had arrived
 * from `from` (buf may be changed); -ENOENT when no endpoint has sock. */
int l2tp_io_deliver(struct l2tp_io *io, int sock, uint8_t *buf, size_t len, const struct sockaddr *from,
		    socklen_t from_len);
/* Runs every timer due at ops->now_ms(), in deadline order. */
void l2tp_io_run_timers(struct l2tp_io *io);
/* The earliest timer; L2TP_NEVER when none is armed. */
uint64_t l2tp_io_next_deadline(const struct l2tp_io *io);

struct l2tp_endpoint_ops {
	void (*input)(void *arg, uint8_t *buf, size_t len, const struct sockaddr *from, socklen_t from_len);
	void (*timer)(void *arg);
};

int l2tp_endpoint_open(struct l2tp_io *io, const struct l2tp_sock_req *req, const struct l2tp_endpoint_ops *ops,
		       void *arg, struct l2tp_endpoint **out, char *err, size_t errlen);
/* Safe from inside the endpoint's own handlers. */
void l2tp_endpoint_close(struct l2tp_endpoint *ep);
/* to NULL: the connected peer. */
int l2tp_endpoint_send(struct l2tp_endpoint *ep, const uint8_t *buf, size_t len, const struct sockaddr *to,
		       socklen_t to_len);
int l2tp_endpoint_connect(struct l2tp_endpoint *ep, const struct sockaddr *peer, socklen_t peer_len);
/* The timer fires once at deadline (ms on the io's clock); L2TP_NEVER disarms. */
void l2tp_endpoint_arm(struct l2tp_endpoint *ep, uint64_t deadline);
const struct sockaddr *l2tp_endpoint_local(const struct l2tp_endpoint *ep, socklen_t *len);
/* In an input handler: the address the datagram came to, where the socket
 * is bound to a wildcard and the kernel said (IP_PKTINFO); else NULL. An
 * LNS on 0.0.0.0 answers a LAC from the address the LAC dialled. */
const struct sockaddr *l2tp_endpoint_rx_dst(const struct l2tp_endpoint *ep, socklen_t *len);
/* The kernel's fd, or -1 under a test's socket layer. */
int l2tp_endpoint_fd(const struct l2tp_endpoint *ep);
struct l2tp_io *l2tp_endpoint_io(const struct l2tp_endpoint *ep);

#ifdef __cplusplus
}
#endif
#endif
