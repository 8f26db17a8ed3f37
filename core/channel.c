#include "l2tp/channel.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/config.h"
#include "util.h"

struct l2tp_channel {
	struct l2tp_transport *tr;
	struct l2tp_endpoint *ep;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	uint32_t local_id;
	uint8_t version;
	bool connected;
	bool adopt;
	uint64_t strays;
	struct l2tp_channel_ops ops;
	void *arg;
	int busy;
	bool dead;
};

static void destroy(struct l2tp_channel *ch)
{
	l2tp_transport_free(ch->tr);
	l2tp_endpoint_close(ch->ep);
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

uint64_t l2tp_channel_now(const struct l2tp_channel *ch)
{
	return l2tp_io_now(l2tp_endpoint_io(ch->ep));
}

/* Re-arms the endpoint's timer to the transport's next deadline. */
static void rearm(struct l2tp_channel *ch)
{
	l2tp_endpoint_arm(ch->ep, l2tp_transport_deadline(ch->tr));
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
	return l2tp_endpoint_send(ch->ep, buf, len, ch->connected ? NULL : (struct sockaddr *)&ch->peer,
				  ch->connected ? 0 : ch->peer_len);
}

/* Once freed (the free waits for the callbacks running now), a channel
 * passes nothing more up: its owner may be gone, while its transport
 * still has queued messages to deliver. */
static void tr_recv(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err)
{
	struct l2tp_channel *ch = arg;
	if (!ch->dead)
		ch->ops.recv(ch->arg, msg, err);
}

static void tr_failed(void *arg, const char *reason)
{
	struct l2tp_channel *ch = arg;
	if (!ch->dead)
		ch->ops.failed(ch->arg, reason);
}

static void tr_released(void *arg)
{
	struct l2tp_channel *ch = arg;
	if (!ch->dead)
		ch->ops.released(ch->arg);
}

static void tr_alarm(void *arg)
{
	struct l2tp_channel *ch = arg;
	if (!ch->dead && ch->ops.alarm)
		ch->ops.alarm(ch->arg);
}

/* Whether buf is a well-formed SCCRP addressed to us, signed with our
 * secret where messages are authenticated: the only datagram an initiator
 * may take a new peer port from. Decoded on a copy (decoding unhides AVPs
 * in place, and the transport decodes the original). */
static bool valid_sccrp(struct l2tp_channel *ch, const uint8_t *buf, size_t len)
{
	const struct l2tp_transport_config *tc = l2tp_transport_config(ch->tr);
	struct l2tp_decode_opts o = {.secret = tc->secret, .secret_len = tc->secret_len};
	struct {
		struct l2tp_msg m;
		uint8_t copy[];
	} *s = malloc(sizeof(*s) + len);
	if (!s)
		return false;
	memcpy(s->copy, buf, len);
	bool ok = l2tp_msg_decode(s->copy, len, &o, &s->m, NULL) == 0 && s->m.type == L2TP_MSG_SCCRP &&
		  s->m.hdr.tunnel_id == ch->local_id && l2tp_transport_authentic(ch->tr, buf, len, L2TP_MSG_SCCRP);
	free(s);
	return ok;
}

/* One datagram from the socket. */
static void on_input(void *arg, uint8_t *buf, size_t len, const struct sockaddr *from, socklen_t from_len)
{
	struct l2tp_channel *ch = arg;
	struct l2tp_header h;
	uint16_t type = L2TP_MSG_UNKNOWN;
	bool readable = l2tp_msg_peek(buf, len, false, &h, &type) == 0 && h.version == ch->version;

	if (!ch->connected) {
		/* Only the peer's host may talk to us before it has answered;
		 * its port is taken from a valid SCCRP only, so a stray or
		 * forged datagram from elsewhere on that host cannot steer
		 * the tunnel away. */
		if (!l2tp_addr_same_host(from, (struct sockaddr *)&ch->peer))
			return;
		bool other_port = l2tp_addr_port(from) != l2tp_addr_port((struct sockaddr *)&ch->peer);
		bool sccrp = readable && type == L2TP_MSG_SCCRP && valid_sccrp(ch, buf, len);
		if (other_port && (!ch->adopt || !sccrp))
			return;
		if (sccrp) {
			memcpy(&ch->peer, from, from_len);
			ch->peer_len = from_len;
			if (l2tp_endpoint_connect(ch->ep, from, from_len) == 0)
				ch->connected = true;
		}
	}
	if (readable && ch->local_id && h.tunnel_id != ch->local_id) {
		/* ID 0 is a new control connection when it is an SCCRQ; any
		 * other message with ID 0 answers a request whose assigned ID
		 * the peer could not read, and is ours. */
		if (h.tunnel_id != 0 || type == L2TP_MSG_SCCRQ) {
			ch->strays++;
			if (ch->ops.stray) {
				ch->busy++;
				ch->ops.stray(ch->arg, buf, len, from, from_len);
				leave(ch);
			}
			return;
		}
	}
	ch->busy++;
	l2tp_transport_input(ch->tr, buf, len, l2tp_channel_now(ch));
	leave(ch);
}

static void on_timer(void *arg)
{
	struct l2tp_channel *ch = arg;
	ch->busy++;
	l2tp_transport_tick(ch->tr, l2tp_channel_now(ch));
	leave(ch);
}

int l2tp_channel_new(struct l2tp_io *io, const struct l2tp_channel_config *cfg, const struct l2tp_channel_ops *ops,
		     void *arg, struct l2tp_channel **out, char *err, size_t errlen)
{
	static const struct l2tp_transport_ops tops = {tr_send, tr_recv, tr_failed, tr_released, tr_alarm};
	static const struct l2tp_endpoint_ops eops = {on_input, on_timer};
	struct l2tp_channel *ch = calloc(1, sizeof(*ch));
	*out = NULL;
	if (!ch)
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	ch->peer = cfg->peer;
	ch->peer_len = cfg->peer_len;
	ch->adopt = cfg->adopt_peer_port;
	ch->local_id = cfg->local_id;
	ch->version = cfg->transport.version;
	ch->connected = cfg->sock.connect && cfg->sock.peer;
	ch->ops = *ops;
	ch->arg = arg;
	int rc = l2tp_endpoint_open(io, &cfg->sock, &eops, ch, &ch->ep, err, errlen);
	if (rc) {
		free(ch);
		return rc;
	}
	struct l2tp_transport_config tc = cfg->transport;
	if (!tc.scratch)
		tc.scratch = l2tp_io_scratch(io);
	ch->tr = l2tp_transport_new(&tc, &tops, ch, l2tp_channel_now(ch));
	if (!ch->tr) {
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
	int rc = l2tp_transport_send(ch->tr, msg, l2tp_channel_now(ch), err);
	leave(ch);
	return rc;
}

int l2tp_channel_send_once(struct l2tp_channel *ch, const struct l2tp_msg *msg, struct l2tp_codec_error *err)
{
	ch->busy++;
	int rc = l2tp_transport_send_once(ch->tr, msg, l2tp_channel_now(ch), err);
	leave(ch);
	return rc;
}

void l2tp_channel_flush_ack(struct l2tp_channel *ch)
{
	ch->busy++;
	l2tp_transport_flush_ack(ch->tr);
	leave(ch);
}

void l2tp_channel_input(struct l2tp_channel *ch, uint8_t *buf, size_t len)
{
	ch->busy++;
	l2tp_transport_input(ch->tr, buf, len, l2tp_channel_now(ch));
	leave(ch);
}

void l2tp_channel_input_decoded(struct l2tp_channel *ch, uint8_t *buf, size_t len, struct l2tp_msg *msg)
{
	ch->busy++;
	l2tp_transport_input_decoded(ch->tr, buf, len, msg, l2tp_channel_now(ch));
	leave(ch);
}

void l2tp_channel_linger(struct l2tp_channel *ch, bool until_acked)
{
	ch->busy++;
	l2tp_transport_linger(ch->tr, l2tp_channel_now(ch), until_acked);
	leave(ch);
}

void l2tp_channel_set_alarm(struct l2tp_channel *ch, uint64_t deadline)
{
	l2tp_transport_set_alarm(ch->tr, deadline);
	if (!ch->busy)
		rearm(ch);
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

void l2tp_channel_stats(const struct l2tp_channel *ch, struct l2tp_transport_stats *out)
{
	l2tp_transport_stats(ch->tr, out);
	out->rx_stray = ch->strays;
}

int l2tp_channel_fd(const struct l2tp_channel *ch)
{
	return l2tp_endpoint_fd(ch->ep);
}

const struct sockaddr *l2tp_channel_peer(const struct l2tp_channel *ch, socklen_t *len)
{
	*len = ch->peer_len;
	return (const struct sockaddr *)&ch->peer;
}

const struct sockaddr *l2tp_channel_local(const struct l2tp_channel *ch, socklen_t *len)
{
	return l2tp_endpoint_local(ch->ep, len);
}

bool l2tp_channel_connected(const struct l2tp_channel *ch)
{
	return ch->connected;
}
