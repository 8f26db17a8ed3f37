/* The channel: port adoption and who may talk, on real loopback sockets;
 * which datagrams belong to another control connection, on a test's own
 * socket layer. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "l2tp/channel.h"

static int delivered, strays;
static uint16_t last_type;

static void on_recv(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err)
{
	(void)arg, (void)err;
	delivered++;
	last_type = msg->type;
}
static void on_failed(void *arg, const char *reason)
{
	(void)arg, (void)reason;
}
static void on_released(void *arg)
{
	(void)arg;
}
static void on_stray(void *arg, uint8_t *buf, size_t len, const struct sockaddr *from, socklen_t flen)
{
	(void)arg, (void)buf, (void)len, (void)from, (void)flen;
	strays++;
}

static const struct l2tp_channel_ops ops = {on_recv, on_failed, on_released, NULL, on_stray};

static int bound(const char *ip, struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	socklen_t len = sizeof(*addr);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &addr->sin_addr);
	bind(fd, (struct sockaddr *)addr, sizeof(*addr));
	getsockname(fd, (struct sockaddr *)addr, &len);
	return fd;
}

/* Waits briefly for a datagram on fd; returns its length or -1. */
static int wait_recv(int fd, uint8_t *buf, size_t len)
{
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, 500) != 1)
		return -1;
	return (int)recv(fd, buf, len, 0);
}

static void pump(struct event_base *base)
{
	for (int i = 0; i < 20; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/* A control message of type with header tunnel ID tid; an SCCRP carries
 * what RFC 2661 requires of one. */
static size_t build(uint8_t *buf, uint16_t type, uint32_t tid, uint16_t ns, uint16_t nr)
{
	static struct l2tp_msg m;
	size_t n;
	l2tp_msg_init(&m, 2, type);
	m.hdr.tunnel_id = tid;
	m.hdr.ns = ns;
	m.hdr.nr = nr;
	if (type == L2TP_MSG_SCCRP || type == L2TP_MSG_SCCRQ) {
		l2tp_msg_add(&m, L2TP_AVP_PROTOCOL_VERSION, true, false, "\x01\x00", 2);
		l2tp_msg_add_u32(&m, L2TP_AVP_FRAMING_CAPABILITIES, true, 3);
		l2tp_msg_add(&m, L2TP_AVP_HOST_NAME, true, false, "lns", 3);
		l2tp_msg_add_u16(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID, true, 4321);
	}
	if (type == L2TP_MSG_STOPCCN) {
		l2tp_msg_add_u16(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID, true, 4321);
		l2tp_msg_add_result(&m, 1, 0, NULL);
	}
	if (l2tp_msg_encode(&m, NULL, buf, 2048, &n, NULL) != 0)
		abort();
	return n;
}

static void send_to(int fd, const struct sockaddr_in *to, const uint8_t *buf, size_t n)
{
	sendto(fd, buf, n, 0, (const struct sockaddr *)to, sizeof(*to));
}

static void run(bool adopt)
{
	struct event_base *base = event_base_new();
	struct l2tp_io *io = l2tp_io_new(base, NULL, NULL);
	struct sockaddr_in first, second, stranger, local;
	int p1 = bound("127.0.0.1", &first), p2 = bound("127.0.0.1", &second), p3 = bound("127.0.0.2", &stranger);
	char err[256];
	uint8_t buf[2048];
	struct l2tp_channel *ch;

	memset(&local, 0, sizeof(local));
	local.sin_family = AF_INET;
	local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct l2tp_channel_config cfg = {.transport = {.version = 2, .max_retries = 3},
					  .sock = {.local = (struct sockaddr *)&local, .local_len = sizeof(local)},
					  .local_id = 7,
					  .adopt_peer_port = adopt};
	memcpy(&cfg.peer, &first, sizeof(first));
	cfg.peer_len = sizeof(first);
	CHECK_EQ(l2tp_channel_new(io, &cfg, &ops, NULL, &ch, err, sizeof(err)), 0);
	socklen_t llen;
	memcpy(&local, l2tp_channel_local(ch, &llen), sizeof(local));
	CHECK(ntohs(local.sin_port) != 0);

	static struct l2tp_msg m;
	l2tp_msg_init(&m, 2, L2TP_MSG_HELLO);
	CHECK_EQ(l2tp_channel_send(ch, &m, NULL), 0);
	CHECK(wait_recv(p1, buf, sizeof(buf)) > 0); /* the first message goes to the configured port */

	/* the peer acknowledges it from that port: heard, but a ZLB is no
	 * reply that fixes the peer's port */
	send_to(p1, &local, buf, build(buf, L2TP_MSG_ZLB, 7, 0, 1));
	pump(base);
	CHECK(!l2tp_channel_connected(ch));

	delivered = strays = 0;
	send_to(p3, &local, buf, build(buf, L2TP_MSG_SCCRP, 7, 0, 1)); /* another host: ignored */
	pump(base);
	CHECK_EQ(delivered, 0);

	/* From another port of the peer's host, nothing but a valid SCCRP for
	 * our tunnel moves the peer: not junk, not another message, not an
	 * SCCRP for another tunnel. */
	send_to(p2, &local, (const uint8_t *)"x", 1);
	send_to(p2, &local, buf, build(buf, L2TP_MSG_HELLO, 7, 0, 1));
	send_to(p2, &local, buf, build(buf, L2TP_MSG_SCCRP, 99, 0, 1));
	pump(base);
	socklen_t plen;
	const struct sockaddr_in *peer = (const struct sockaddr_in *)l2tp_channel_peer(ch, &plen);
	CHECK_EQ(delivered, 0);
	CHECK_EQ(ntohs(peer->sin_port), ntohs(first.sin_port));
	CHECK(!l2tp_channel_connected(ch));
	CHECK_EQ(l2tp_channel_send(ch, &m, NULL), 0);
	CHECK(wait_recv(p1, buf, sizeof(buf)) > 0); /* still to the configured port */
	CHECK(wait_recv(p2, buf, sizeof(buf)) < 0);

	send_to(p2, &local, buf, build(buf, L2TP_MSG_SCCRP, 7, 0, 1)); /* the peer answers from a new port */
	pump(base);
	peer = (const struct sockaddr_in *)l2tp_channel_peer(ch, &plen);
	if (adopt) {
		CHECK_EQ(delivered, 1);
		CHECK_EQ(last_type, L2TP_MSG_SCCRP);
		CHECK_EQ(ntohs(peer->sin_port), ntohs(second.sin_port));
		CHECK(l2tp_channel_connected(ch));
		CHECK_EQ(l2tp_channel_send(ch, &m, NULL), 0);
		CHECK(wait_recv(p2, buf, sizeof(buf)) > 0); /* now to the adopted port */
		CHECK(wait_recv(p1, buf, sizeof(buf)) < 0);
		/* and, connected now, only that port is heard */
		send_to(p1, &local, buf, build(buf, L2TP_MSG_HELLO, 7, 1, 2));
		pump(base);
		CHECK_EQ(delivered, 1);
	} else {
		CHECK_EQ(delivered, 0);
		CHECK_EQ(ntohs(peer->sin_port), ntohs(first.sin_port));
	}
	CHECK_EQ(strays, 0);
	l2tp_channel_free(ch);
	l2tp_io_free(io);
	close(p1);
	close(p2);
	close(p3);
	event_base_free(base);
}

static void an_initiator_adopts_a_new_port_only_from_a_valid_sccrp_for_its_tunnel(void)
{
	run(true);
}

static void without_adoption_other_ports_are_ignored(void)
{
	run(false);
}

/* A socket layer of the test's own: one socket, nothing on the wire. */
static uint64_t fake_now;
static int fake_open(void *arg, const struct l2tp_sock_req *req, struct sockaddr_storage *bound_to, socklen_t *len,
		     char *err, size_t errlen)
{
	(void)arg, (void)err, (void)errlen;
	memcpy(bound_to, req->local, req->local_len);
	*len = req->local_len;
	return 1;
}
static int fake_connect(void *arg, int sock, const struct sockaddr *peer, socklen_t len)
{
	(void)arg, (void)sock, (void)peer, (void)len;
	return 0;
}
static int fake_send(void *arg, int sock, const uint8_t *buf, size_t len, const struct sockaddr *to, socklen_t tolen)
{
	(void)arg, (void)sock, (void)buf, (void)len, (void)to, (void)tolen;
	return 0;
}
static void fake_close(void *arg, int sock)
{
	(void)arg, (void)sock;
}
static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static void datagrams_for_other_control_connections_go_to_stray(void)
{
	static const struct l2tp_io_ops fops = {fake_open, fake_connect, fake_send, fake_close, fake_clock};
	struct event_base *base = event_base_new();
	struct l2tp_io *io = l2tp_io_new(base, &fops, NULL);
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(1701)}, peer = local;
	peer.sin_addr.s_addr = htonl(0x7f000001);
	peer.sin_port = htons(40000);
	struct l2tp_channel_config cfg = {.transport = {.version = 2, .max_retries = 3, .ack_timeout_ms = 100},
					  .sock = {.local = (struct sockaddr *)&local, .local_len = sizeof(local),
						   .peer = (struct sockaddr *)&peer, .peer_len = sizeof(peer), .connect = true},
					  .local_id = 7};
	memcpy(&cfg.peer, &peer, sizeof(peer));
	cfg.peer_len = sizeof(peer);
	struct l2tp_channel *ch;
	char err[256];
	uint8_t buf[2048];
	CHECK_EQ(l2tp_channel_new(io, &cfg, &ops, NULL, &ch, err, sizeof(err)), 0);
	delivered = strays = 0;
	struct sockaddr *from = (struct sockaddr *)&peer;
	/* a new control connection: an SCCRQ with tunnel ID 0 */
	CHECK_EQ(l2tp_io_deliver(io, 1, buf, build(buf, L2TP_MSG_SCCRQ, 0, 0, 0), from, sizeof(peer)), 0);
	CHECK_EQ(strays, 1);
	/* a tunnel that is not this one */
	l2tp_io_deliver(io, 1, buf, build(buf, L2TP_MSG_STOPCCN, 9, 0, 0), from, sizeof(peer));
	CHECK_EQ(strays, 2);
	CHECK_EQ(delivered, 0);
	/* ours, and an answer that could not name us (ID 0, not an SCCRQ) */
	l2tp_io_deliver(io, 1, buf, build(buf, L2TP_MSG_HELLO, 7, 0, 0), from, sizeof(peer));
	l2tp_io_deliver(io, 1, buf, build(buf, L2TP_MSG_STOPCCN, 0, 1, 0), from, sizeof(peer));
	CHECK_EQ(delivered, 2);
	CHECK_EQ(strays, 2);
	struct l2tp_transport_stats st;
	l2tp_channel_stats(ch, &st);
	CHECK_EQ(st.rx_stray, 2);
	/* the test's clock drives the transport: the delayed ack goes out
	 * at 100 ms, not before */
	CHECK_EQ(l2tp_io_next_deadline(io), 100);
	fake_now = 99;
	l2tp_io_run_timers(io);
	l2tp_channel_stats(ch, &st);
	CHECK_EQ(st.tx_zlbs, 0);
	fake_now = 100;
	l2tp_io_run_timers(io);
	l2tp_channel_stats(ch, &st);
	CHECK_EQ(st.tx_zlbs, 1);
	/* By default the ack is due at once: the timer runs it once the
	 * datagrams read now are handled, without waiting. */
	l2tp_channel_free(ch);
	cfg.transport.ack_timeout_ms = 0;
	CHECK_EQ(l2tp_channel_new(io, &cfg, &ops, NULL, &ch, err, sizeof(err)), 0);
	CHECK_EQ(l2tp_io_deliver(io, 1, buf, build(buf, L2TP_MSG_HELLO, 7, 0, 0), from, sizeof(peer)), 0);
	CHECK_EQ(delivered, 3);
	CHECK_EQ(l2tp_io_next_deadline(io), fake_now);
	l2tp_channel_stats(ch, &st);
	CHECK_EQ(st.tx_zlbs, 0); /* not from inside the handler: a reply may carry it */
	l2tp_io_run_timers(io);
	l2tp_channel_stats(ch, &st);
	CHECK_EQ(st.tx_zlbs, 1);
	l2tp_channel_free(ch);
	CHECK_EQ(l2tp_io_sockets(io), 0);
	l2tp_io_free(io);
	event_base_free(base);
}

static struct l2tp_channel *freed_in_recv;

static void free_on_recv(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err)
{
	(void)arg, (void)msg, (void)err;
	delivered++;
	l2tp_channel_free(freed_in_recv); /* as a tunnel going down would */
}

static void a_freed_channel_passes_nothing_more_up(void)
{
	static const struct l2tp_io_ops fops = {fake_open, fake_connect, fake_send, fake_close, fake_clock};
	static const struct l2tp_channel_ops fo = {free_on_recv, on_failed, on_released, NULL, on_stray};
	struct event_base *base = event_base_new();
	struct l2tp_io *io = l2tp_io_new(base, &fops, NULL);
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(1701)}, peer = local;
	peer.sin_addr.s_addr = htonl(0x7f000001);
	struct l2tp_channel_config cfg = {.transport = {.version = 2, .max_retries = 3, .rx_window = 8},
					  .sock = {.local = (struct sockaddr *)&local, .local_len = sizeof(local),
						   .peer = (struct sockaddr *)&peer, .peer_len = sizeof(peer), .connect = true},
					  .local_id = 7};
	memcpy(&cfg.peer, &peer, sizeof(peer));
	cfg.peer_len = sizeof(peer);
	char err[256];
	uint8_t buf[2048];
	CHECK_EQ(l2tp_channel_new(io, &cfg, &fo, NULL, &freed_in_recv, err, sizeof(err)), 0);
	delivered = 0;
	struct sockaddr *from = (struct sockaddr *)&peer;
	/* 1 and 2 wait for 0; 0 arrives, its owner frees the channel: 1 and
	 * 2 must not reach the owner that is gone */
	l2tp_io_deliver(io, 1, buf, build(buf, L2TP_MSG_HELLO, 7, 1, 0), from, sizeof(peer));
	l2tp_io_deliver(io, 1, buf, build(buf, L2TP_MSG_HELLO, 7, 2, 0), from, sizeof(peer));
	CHECK_EQ(delivered, 0);
	l2tp_io_deliver(io, 1, buf, build(buf, L2TP_MSG_HELLO, 7, 0, 0), from, sizeof(peer));
	CHECK_EQ(delivered, 1);
	CHECK_EQ(l2tp_io_sockets(io), 0);
	l2tp_io_free(io);
	event_base_free(base);
}

int main(void)
{
	RUN(an_initiator_adopts_a_new_port_only_from_a_valid_sccrp_for_its_tunnel);
	RUN(without_adoption_other_ports_are_ignored);
	RUN(datagrams_for_other_control_connections_go_to_stray);
	RUN(a_freed_channel_passes_nothing_more_up);
	return check_report();
}
