/* The reliable control channel of RFC 2661 section 5.8 and appendix A
 * (and RFC 3931 section 4.2): sequence numbers, acknowledgement, windows
 * with slow start and congestion avoidance, retransmission with a capped
 * backoff, HELLO, and the StopCCN hold. One per tunnel; it knows nothing of
 * tunnels.
 *
 * It does no I/O and reads no clock: the owner passes the time in (ms, any
 * monotonic origin) and asks for the next deadline, so tests drive it with
 * a clock they control. */
#ifndef L2TP_TRANSPORT_H
#define L2TP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l2tp/codec.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef L2TP_NEVER
#define L2TP_NEVER UINT64_MAX
#endif

struct l2tp_transport;

struct l2tp_transport_config {
	uint8_t version;	   /* 2 or 3 */
	uint16_t rx_window;	   /* what we advertise: our Receive Window Size */
	uint16_t tx_window;	   /* the peer's Receive Window Size; 0: 4 (the RFC default) */
	uint32_t retry_timeout_ms; /* first retransmission; 0: 1000 */
	uint32_t retry_cap_ms;	   /* backoff cap; 0: 8000 */
	uint16_t max_retries;	   /* retransmissions before failure */
	uint32_t ack_timeout_ms;   /* delay before a lone ZLB ack; 0: once this read's datagrams are handled */
	uint32_t hello_timeout_ms; /* 0: no HELLO */
	uint32_t stopccn_timeout_ms; /* 0: 31000 */
	const uint8_t *secret;	   /* for hidden AVPs in received messages */
	size_t secret_len;
	/* Where received messages are decoded: NULL, one of its own; else
	 * one the owner shares between transports (decoding never nests). */
	struct l2tp_msg *scratch;
};

struct l2tp_transport_ops {
	/* Puts a datagram on the wire; errors are counted, the message stays
	 * queued for retransmission. */
	int (*send)(void *arg, const uint8_t *buf, size_t len);
	/* A message, in order and once. err is non-NULL when its AVPs could
	 * not be decoded (the header could): the owner answers as err says. */
	void (*recv)(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err);
	/* A message went unacknowledged through every retry. */
	void (*failed)(void *arg, const char *reason);
	/* The StopCCN hold is over: the owner may free the transport. */
	void (*released)(void *arg);
	/* The owner's alarm (l2tp_transport_set_alarm) is due; may be NULL. */
	void (*alarm)(void *arg);
};

struct l2tp_transport_stats {
	uint64_t tx_messages;	 /* first transmissions of non-ZLB messages */
	uint64_t tx_acked;	 /* of those, acknowledged by the peer */
	uint64_t tx_retransmits;
	uint64_t tx_zlbs;
	uint64_t tx_errors;
	uint64_t rx_messages;	 /* delivered */
	uint64_t rx_duplicates;
	uint64_t rx_out_of_order; /* queued, delivered later */
	uint64_t rx_outside_window;
	uint64_t rx_zlbs;
	uint64_t rx_bad;	 /* not decodable: dropped */
	uint64_t rx_bad_digest;	 /* L2TPv3 authentication: no valid Message Digest, dropped */
	uint64_t rx_stray;	 /* for another control connection (the channel counts these) */
	uint16_t in_flight;
	uint16_t cwnd;
	uint16_t ssthresh;
	uint16_t tx_window;
	uint16_t queued;	 /* waiting for the window */
};

struct l2tp_transport *l2tp_transport_new(const struct l2tp_transport_config *cfg,
					  const struct l2tp_transport_ops *ops, void *arg, uint64_t now);
/* Safe from inside a callback: the free then happens when it returns. */
void l2tp_transport_free(struct l2tp_transport *t);

/* Queues msg (its header's tunnel/session IDs are used as given; Ns and Nr
 * are the transport's). Returns 0, or a negative errno with err filled
 * when the message cannot be encoded. */
int l2tp_transport_send(struct l2tp_transport *t, const struct l2tp_msg *msg, uint64_t now,
			struct l2tp_codec_error *err);
/* Sends msg once, now, outside the window and never again: the last word
 * to a peer we are dropping without a StopCCN hold. What the window still
 * held back is dropped, and msg takes the first of its Ns. */
int l2tp_transport_send_once(struct l2tp_transport *t, const struct l2tp_msg *msg, uint64_t now,
			     struct l2tp_codec_error *err);
/* Sends the acknowledgement that is waiting for its delay, now. */
void l2tp_transport_flush_ack(struct l2tp_transport *t);
/* A datagram from the peer. buf is modified (hidden AVPs are decrypted). */
void l2tp_transport_input(struct l2tp_transport *t, uint8_t *buf, size_t len, uint64_t now);
/* The same for a datagram whoever received it had to read first (an LNS's
 * listener reads an SCCRQ before there is a tunnel): msg is buf decoded
 * with this transport's options, handed up as it is when buf is delivered
 * at once, so a message is not decoded twice (NULL: as l2tp_transport_input). */
void l2tp_transport_input_decoded(struct l2tp_transport *t, uint8_t *buf, size_t len, struct l2tp_msg *msg,
				  uint64_t now);
/* Runs what is due at now: retransmissions, the ZLB ack, HELLO, release. */
void l2tp_transport_tick(struct l2tp_transport *t, uint64_t now);
/* When tick should next run; L2TP_NEVER when nothing is pending. */
uint64_t l2tp_transport_deadline(const struct l2tp_transport *t);

/* How many times a message is retransmitted before the channel fails. */
void l2tp_transport_set_max_retries(struct l2tp_transport *t, uint16_t n);
/* The peer's Receive Window Size, once known (0 is invalid: ignored). */
void l2tp_transport_set_peer_window(struct l2tp_transport *t, uint16_t rws);
/* The peer's tunnel (v2) or control connection (v3) ID, for the headers of
 * the ZLBs and HELLOs the transport makes itself. */
void l2tp_transport_set_peer_id(struct l2tp_transport *t, uint32_t id);
/* L2TPv3 control message authentication (RFC 3931 section 4.3), from
 * now on: every message sent carries a Message Digest of type (0 MD5, 1
 * SHA-1) made with key (l2tp_auth_key), and a message received without a
 * valid one is dropped unread and counted (rx_bad_digest); acknowledgements
 * go as explicit ACK messages, since a ZLB carries no digest. nonce: ours,
 * as our SCCRQ or SCCRP carries it. -EINVAL for an unknown type. */
#define L2TP_NONCE_MAX 64
int l2tp_transport_set_auth(struct l2tp_transport *t, uint8_t type, const uint8_t key[L2TP_AUTH_KEY_LEN],
			    const uint8_t *nonce, size_t nonce_len);
/* The peer's nonce (an LNS has it from the SCCRQ). Until it is set, the
 * first message that carries one and checks with it (the SCCRP) sets it. */
int l2tp_transport_set_peer_nonce(struct l2tp_transport *t, const uint8_t *nonce, size_t len);
bool l2tp_transport_has_peer_nonce(const struct l2tp_transport *t);
/* Whether a datagram of this type carries a digest that checks (true
 * without message authentication), as input() would judge it. */
bool l2tp_transport_authentic(struct l2tp_transport *t, const uint8_t *buf, size_t len, uint16_t type);
/* A StopCCN was sent or received: keep acknowledging for the
 * stopccn_timeout, send no more HELLOs, then call released. The sender of
 * the StopCCN (until_acked) is released as soon as everything it sent is
 * acknowledged (RFC 2661 section 5.7: only the recipient must stay for a
 * full retransmission cycle, to acknowledge the StopCCN again). */
void l2tp_transport_linger(struct l2tp_transport *t, uint64_t now, bool until_acked);
/* One deadline of the owner's, run with the transport's timers: at
 * `deadline` ops.alarm is called once. L2TP_NEVER cancels. */
void l2tp_transport_set_alarm(struct l2tp_transport *t, uint64_t deadline);
bool l2tp_transport_lingering(const struct l2tp_transport *t);
/* True when everything sent has been acknowledged. */
bool l2tp_transport_idle(const struct l2tp_transport *t);

void l2tp_transport_stats(const struct l2tp_transport *t, struct l2tp_transport_stats *out);
/* The config it runs with, defaults filled in. */
const struct l2tp_transport_config *l2tp_transport_config(const struct l2tp_transport *t);

#ifdef __cplusplus
}
#endif
#endif
