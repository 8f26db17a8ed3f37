/* A control channel on the wire: a transport bound to a datagram socket
 * and a libevent base. It reads the socket, drives the transport's timers
 * from one libevent timer, and adopts the peer's port when the peer
 * answers from another one (RFC 2661 initiators must). */
#ifndef L2TP_CHANNEL_H
#define L2TP_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "l2tp/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct l2tp_channel;

struct l2tp_channel_config {
	struct l2tp_transport_config transport;
	int fd;			  /* bound; the channel owns it from now on */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	bool adopt_peer_port;	  /* until the first reply, accept it from any port of the peer */
	uint64_t (*now_ms)(void); /* NULL: CLOCK_MONOTONIC */
};

/* The transport's callbacks, passed through. */
struct l2tp_channel_ops {
	void (*recv)(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err);
	void (*failed)(void *arg, const char *reason);
	void (*released)(void *arg);
};

int l2tp_channel_new(struct event_base *base, const struct l2tp_channel_config *cfg,
		     const struct l2tp_channel_ops *ops, void *arg, struct l2tp_channel **out, char *err,
		     size_t errlen);
/* Closes the socket. Safe from inside a callback. */
void l2tp_channel_free(struct l2tp_channel *ch);
int l2tp_channel_send(struct l2tp_channel *ch, const struct l2tp_msg *msg, struct l2tp_codec_error *err);
void l2tp_channel_linger(struct l2tp_channel *ch);
/* A datagram for this channel that arrived elsewhere (an LNS's listening
 * socket, before the tunnel's own socket existed). */
void l2tp_channel_input(struct l2tp_channel *ch, uint8_t *buf, size_t len);
/* Hands the callbacks to a new owner (a closed tunnel's channel going to
 * its context for the StopCCN hold). */
void l2tp_channel_set_ops(struct l2tp_channel *ch, const struct l2tp_channel_ops *ops, void *arg);
struct l2tp_transport *l2tp_channel_transport(struct l2tp_channel *ch);
int l2tp_channel_fd(const struct l2tp_channel *ch);
/* The peer's address now (its port may have been adopted). */
const struct sockaddr *l2tp_channel_peer(const struct l2tp_channel *ch, socklen_t *len);

uint64_t l2tp_monotonic_ms(void);

/* Makes a non-blocking datagram socket, UDP or L2TPv3 over IP (which
 * addresses control connection IDs: ours conn_id, the peer's
 * peer_conn_id), bound to local and, unless connect_peer is false,
 * connected to peer. Returns the fd or a negative errno. */
int l2tp_socket_open(const struct sockaddr *local, socklen_t local_len, const struct sockaddr *peer,
		     socklen_t peer_len, bool over_ip, uint32_t conn_id, uint32_t peer_conn_id, bool connect_peer,
		     char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
