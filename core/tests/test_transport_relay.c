/* Two channels on loopback talk through a seeded impairment relay that
 * drops 30%, duplicates 10% and reorders datagrams both ways: 1000 messages
 * each way must arrive exactly once and in order, and ZLBs stay bounded. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "l2tp/channel.h"

#define N 1000

static uint64_t rng = 20261122;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

struct end {
	struct l2tp_channel *ch;
	uint32_t expect;
	uint32_t out_of_order;
	uint32_t delivered;
	char failed[200];
};

struct relay_side {
	int fd;		       /* faces one end */
	struct sockaddr_in to; /* that end's address, learnt from its first datagram */
	bool known;
	struct relay_side *other;
	uint64_t seen, dropped, duplicated, delayed;
};

struct delayed {
	struct relay_side *via;
	size_t len;
	uint8_t buf[2048];
};

static struct event_base *base;
static struct end A, B;
static int in_flight; /* datagrams held back, each owning its copy */

static void forward_now(struct relay_side *via, const uint8_t *buf, size_t len)
{
	if (via->known)
		sendto(via->fd, buf, len, 0, (struct sockaddr *)&via->to, sizeof(via->to));
}

static void delayed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct delayed *d = arg;
	(void)fd, (void)what;
	forward_now(d->via, d->buf, d->len);
	free(d);
	in_flight--;
}

static void forward(struct relay_side *via, const uint8_t *buf, size_t len)
{
	/* Reorder: hold a third of the datagrams back 1-30 ms. */
	if (rnd() % 3 == 0) {
		struct delayed *d = malloc(sizeof(*d));
		d->via = via;
		d->len = len;
		memcpy(d->buf, buf, len);
		struct timeval tv = {0, (suseconds_t)(1000 + rnd() % 29000)};
		event_base_once(base, -1, EV_TIMEOUT, delayed_cb, d, &tv);
		in_flight++;
		via->other->delayed++;
	} else {
		forward_now(via, buf, len);
	}
}

static void relay_read(evutil_socket_t fd, short what, void *arg)
{
	struct relay_side *in = arg;
	uint8_t buf[2048];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	(void)what;
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	if (n <= 0)
		return;
	in->to = from;
	in->known = true;
	in->seen++;
	uint32_t r = rnd() % 100;
	if (r < 30) {
		in->dropped++;
		return;
	}
	forward(in->other, buf, (size_t)n);
	if (r >= 90) {
		in->duplicated++;
		forward(in->other, buf, (size_t)n);
	}
}

static uint32_t counter_of(const struct l2tp_msg *m)
{
	for (size_t i = 0; i < m->navps; i++)
		if (m->avps[i].vendor == 9999)
			return l2tp_avp_u32(&m->avps[i]);
	return 0xffffffff;
}

static void done_check(void)
{
	if (A.delivered == N && B.delivered == N && l2tp_transport_idle(l2tp_channel_transport(A.ch)) &&
	    l2tp_transport_idle(l2tp_channel_transport(B.ch)))
		event_base_loopexit(base, NULL);
}

static void on_recv(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err)
{
	struct end *e = arg;
	(void)err;
	if (counter_of(msg) != e->expect)
		e->out_of_order++;
	e->expect = counter_of(msg) + 1;
	e->delivered++;
	done_check();
}

static void on_failed(void *arg, const char *reason)
{
	struct end *e = arg;
	snprintf(e->failed, sizeof(e->failed), "%s", reason);
	event_base_loopexit(base, NULL);
}

static void on_released(void *arg)
{
	(void)arg;
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	done_check();
}

static int udp_socket(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	socklen_t len = sizeof(*addr);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) != 0)
		abort();
	getsockname(fd, (struct sockaddr *)addr, &len);
	return fd;
}

static void send_all(struct end *e)
{
	static struct l2tp_msg m;
	for (uint32_t i = 0; i < N; i++) {
		l2tp_msg_init(&m, 2, L2TP_MSG_HELLO);
		m.hdr.tunnel_id = 1;
		l2tp_msg_add_u32(&m, 1, false, i);
		m.avps[1].vendor = 9999;
		if (l2tp_channel_send(e->ch, &m, NULL) != 0)
			abort();
	}
}

static void thousand_messages_each_way_through_loss_duplication_and_reordering(void)
{
	struct sockaddr_in a_addr, b_addr, ra_addr, rb_addr;
	struct relay_side ra = {0}, rb = {0};
	static const struct l2tp_channel_ops ops = {on_recv, on_failed, on_released, NULL, NULL};
	char err[256];

	base = event_base_new();
	struct l2tp_io *io = l2tp_io_new(base, NULL, NULL);
	memset(&a_addr, 0, sizeof(a_addr));
	a_addr.sin_family = AF_INET;
	a_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	b_addr = a_addr;
	ra.fd = udp_socket(&ra_addr);
	rb.fd = udp_socket(&rb_addr);
	ra.other = &rb;
	rb.other = &ra;
	struct event *era = event_new(base, ra.fd, EV_READ | EV_PERSIST, relay_read, &ra);
	struct event *erb = event_new(base, rb.fd, EV_READ | EV_PERSIST, relay_read, &rb);
	event_add(era, NULL);
	event_add(erb, NULL);

	struct l2tp_channel_config cfg = {
		.transport = {.version = 2, .rx_window = 8, .tx_window = 8, .retry_timeout_ms = 40,
			      .retry_cap_ms = 320, .max_retries = 40, .ack_timeout_ms = 20},
	};
	cfg.sock.local = (struct sockaddr *)&a_addr;
	cfg.sock.local_len = sizeof(a_addr);
	memcpy(&cfg.peer, &ra_addr, sizeof(ra_addr));
	cfg.peer_len = sizeof(ra_addr);
	CHECK_EQ(l2tp_channel_new(io, &cfg, &ops, &A, &A.ch, err, sizeof(err)), 0);
	cfg.sock.local = (struct sockaddr *)&b_addr;
	memcpy(&cfg.peer, &rb_addr, sizeof(rb_addr));
	CHECK_EQ(l2tp_channel_new(io, &cfg, &ops, &B, &B.ch, err, sizeof(err)), 0);

	send_all(&A);
	send_all(&B);
	struct event *poll = event_new(base, -1, EV_PERSIST, on_poll, NULL);
	struct timeval every = {0, 100000}, limit = {180, 0};
	event_add(poll, &every);
	event_base_loopexit(base, &limit);
	uint64_t t0 = l2tp_monotonic_ms();
	event_base_dispatch(base);
	uint64_t took = l2tp_monotonic_ms() - t0;

	struct l2tp_transport_stats sa, sb;
	l2tp_transport_stats(l2tp_channel_transport(A.ch), &sa);
	l2tp_transport_stats(l2tp_channel_transport(B.ch), &sb);
	printf("relay: seed 20261122, %llu ms; A->B seen %llu dropped %llu duplicated %llu; "
	       "B->A seen %llu dropped %llu duplicated %llu\n",
	       (unsigned long long)took, (unsigned long long)ra.seen, (unsigned long long)ra.dropped,
	       (unsigned long long)ra.duplicated, (unsigned long long)rb.seen, (unsigned long long)rb.dropped,
	       (unsigned long long)rb.duplicated);
	printf("relay: A sent %llu messages, %llu retransmits, %llu ZLBs; B sent %llu, %llu, %llu\n",
	       (unsigned long long)sa.tx_messages, (unsigned long long)sa.tx_retransmits,
	       (unsigned long long)sa.tx_zlbs, (unsigned long long)sb.tx_messages,
	       (unsigned long long)sb.tx_retransmits, (unsigned long long)sb.tx_zlbs);

	CHECK_STR(A.failed, "");
	CHECK_STR(B.failed, "");
	CHECK_EQ(A.delivered, N);
	CHECK_EQ(B.delivered, N);
	CHECK_EQ(A.out_of_order, 0);
	CHECK_EQ(B.out_of_order, 0);
	CHECK(ra.dropped > 0 && ra.duplicated > 0 && ra.delayed > 0);
	/* No ZLB storm: a side sends at most one ZLB per non-ZLB datagram it
	 * received (a ZLB never answers a ZLB). */
	uint64_t a_rx = sa.rx_messages + sa.rx_duplicates + sa.rx_out_of_order + sa.rx_outside_window;
	uint64_t b_rx = sb.rx_messages + sb.rx_duplicates + sb.rx_out_of_order + sb.rx_outside_window;
	printf("relay: A received %llu non-ZLB datagrams and sent %llu ZLBs; B %llu and %llu\n",
	       (unsigned long long)a_rx, (unsigned long long)sa.tx_zlbs, (unsigned long long)b_rx,
	       (unsigned long long)sb.tx_zlbs);
	CHECK(sa.tx_zlbs <= a_rx);
	CHECK(sb.tx_zlbs <= b_rx);

	l2tp_channel_free(A.ch);
	l2tp_channel_free(B.ch);
	event_free(era);
	event_free(erb);
	event_free(poll);
	/* The test may end with datagrams still held back (under load the
	 * ends finish first): let them go, so each copy is freed. */
	while (in_flight > 0)
		event_base_loop(base, EVLOOP_ONCE);
	close(ra.fd);
	close(rb.fd);
	l2tp_io_free(io);
	event_base_free(base);
}

int main(void)
{
	RUN(thousand_messages_each_way_through_loss_duplication_and_reordering);
	return check_report();
}
