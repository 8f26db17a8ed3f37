/* A control channel on the wire: a transport on an endpoint (a socket and
 * a timer, see io.h). It reads the socket, drives the transport's timers,
 * keeps datagrams for other control connections out of this one, and,
 * for an RFC 2661 initiator, adopts the port the peer answers from. */
#ifndef L2TP_CHANNEL_H
#define L2TP_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "l2tp/io.h"
#include "l2tp/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

struct l2tp_channel;

struct l2tp_channel_config {
	struct l2tp_transport_config transport;
	struct l2tp_sock_req sock; /* the socket to open */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	/* The ID the peer addresses us with (v2 tunnel ID, v3 control
	 * connection ID). Datagrams for another ID go to ops.stray; 0 lets
	 * every ID through. */
	uint32_t local_id;
	/* Until the first valid SCCRP for local_id, take it from any port of
	 * the peer's host and connect to that port (RFC 2661 section 8.1). */
	bool adopt_peer_port;
};

/* The transport's callbacks passed through, and two of the channel's own. */
struct l2tp_channel_ops {
	void (*recv)(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err);
	void (*failed)(void *arg, const char *reason);
	void (*released)(void *arg);
	void (*alarm)(void *arg); /* the transport's alarm; may be NULL */
	/* A datagram on our socket addressed to another control connection
	 * (a new one: ID 0, or one that is gone); may be NULL (dropped). */
	void (*stray)(void *arg, uint8_t *buf, size_t len, const struct sockaddr *from, socklen_t from_len);
};

int l2tp_channel_new(struct l2tp_io *io, const struct l2tp_channel_config *cfg, const struct l2tp_channel_ops *ops,
		     void *arg, struct l2tp_channel **out, char *err, size_t errlen);
/* Closes the socket. Safe from inside a callback. */
void l2tp_channel_free(struct l2tp_channel *ch);
int l2tp_channel_send(struct l2tp_channel *ch, const struct l2tp_msg *msg, struct l2tp_codec_error *err);
/* l2tp_transport_send_once and l2tp_transport_flush_ack, on the wire. */
int l2tp_channel_send_once(struct l2tp_channel *ch, const struct l2tp_msg *msg, struct l2tp_codec_error *err);
void l2tp_channel_flush_ack(struct l2tp_channel *ch);
/* After a StopCCN (see l2tp_transport_linger). */
void l2tp_channel_linger(struct l2tp_channel *ch, bool until_acked);
/* A datagram for this channel that arrived on another socket (an LNS's
 * listening socket). */
void l2tp_channel_input(struct l2tp_channel *ch, uint8_t *buf, size_t len);
/* And one already decoded into msg (l2tp_transport_input_decoded). */
void l2tp_channel_input_decoded(struct l2tp_channel *ch, uint8_t *buf, size_t len, struct l2tp_msg *msg);
/* Hands the callbacks to a new owner (a closed tunnel's channel going to
 * its context for the StopCCN hold). */
void l2tp_channel_set_ops(struct l2tp_channel *ch, const struct l2tp_channel_ops *ops, void *arg);
void l2tp_channel_set_alarm(struct l2tp_channel *ch, uint64_t deadline);
struct l2tp_transport *l2tp_channel_transport(struct l2tp_channel *ch);
/* The transport's counters, and the channel's rx_stray. */
void l2tp_channel_stats(const struct l2tp_channel *ch, struct l2tp_transport_stats *out);
/* The kernel's fd (for the data plane), or -1 under a test's socket layer. */
int l2tp_channel_fd(const struct l2tp_channel *ch);
uint64_t l2tp_channel_now(const struct l2tp_channel *ch);
/* The peer's address now (its port may have been adopted). */
const struct sockaddr *l2tp_channel_peer(const struct l2tp_channel *ch, socklen_t *len);
/* Where the socket is bound. */
const struct sockaddr *l2tp_channel_local(const struct l2tp_channel *ch, socklen_t *len);
bool l2tp_channel_connected(const struct l2tp_channel *ch);


#ifdef __cplusplus
}
#endif
#endif
