/* The transport on a clock the test controls: every time below is exact. */
#include <stdlib.h>

#include "check.h"
#include "l2tp/transport.h"

#define MAXOUT 4096

struct wire {
	uint64_t at;
	uint16_t ns, nr;
	uint16_t type; /* 0 = ZLB */
	uint32_t counter;
};

struct side {
	struct l2tp_transport *t;
	struct wire out[MAXOUT];
	int nout;
	uint32_t got[MAXOUT];
	int ngot;
	char failed[200];
	bool released;
	uint64_t now;
	/* window accounting, counted at each first transmission */
	int window_violations;
	uint16_t max_in_flight;
};

static uint32_t counter_of(const struct l2tp_msg *m)
{
	for (size_t i = 0; i < m->navps; i++)
		if (m->avps[i].vendor == 9999)
			return l2tp_avp_u32(&m->avps[i]);
	return 0xffffffff;
}

static int on_send(void *arg, const uint8_t *buf, size_t len)
{
	struct side *s = arg;
	static struct l2tp_msg m;
	uint8_t copy[2048];
	memcpy(copy, buf, len);
	struct l2tp_decode_opts o = {.no_validate = true};
	if (l2tp_msg_decode(copy, len, &o, &m, NULL) != 0 || s->nout >= MAXOUT)
		return -1;
	struct wire *w = &s->out[s->nout++];
	w->at = s->now;
	w->ns = m.hdr.ns;
	w->nr = m.hdr.nr;
	w->type = m.type;
	w->counter = counter_of(&m);
	return 0;
}

static void on_recv(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err)
{
	struct side *s = arg;
	(void)err;
	if (s->ngot < MAXOUT)
		s->got[s->ngot++] = counter_of(msg);
}

static void on_failed(void *arg, const char *reason)
{
	struct side *s = arg;
	snprintf(s->failed, sizeof(s->failed), "%s", reason);
}

static void on_released(void *arg)
{
	((struct side *)arg)->released = true;
}

static int alarms;

static void on_alarm(void *arg)
{
	(void)arg;
	alarms++;
}

static const struct l2tp_transport_ops ops = {on_send, on_recv, on_failed, on_released, on_alarm};

static void init(struct side *s, struct l2tp_transport_config *cfg)
{
	memset(s, 0, sizeof(*s));
	if (!cfg->version)
		cfg->version = 2;
	s->t = l2tp_transport_new(cfg, &ops, s, 0);
	l2tp_transport_set_peer_id(s->t, 0x4321);
}

/* A HELLO carrying a counter in a vendor AVP, as the peer would send it. */
static size_t peer_msg(uint8_t *buf, uint16_t ns, uint16_t nr, uint32_t counter)
{
	static struct l2tp_msg m;
	size_t n;
	l2tp_msg_init(&m, 2, L2TP_MSG_HELLO);
	m.hdr.tunnel_id = 0x1234;
	m.hdr.ns = ns;
	m.hdr.nr = nr;
	l2tp_msg_add_u32(&m, 1, false, counter);
	m.avps[1].vendor = 9999;
	if (l2tp_msg_encode(&m, NULL, buf, 2048, &n, NULL) != 0)
		abort();
	return n;
}

static size_t peer_zlb(uint8_t *buf, uint16_t ns, uint16_t nr)
{
	static struct l2tp_msg m;
	size_t n;
	l2tp_msg_init(&m, 2, L2TP_MSG_ZLB);
	m.hdr.tunnel_id = 0x1234;
	m.hdr.ns = ns;
	m.hdr.nr = nr;
	l2tp_msg_encode(&m, NULL, buf, 2048, &n, NULL);
	return n;
}

static void input(struct side *s, uint8_t *buf, size_t n)
{
	l2tp_transport_input(s->t, buf, n, s->now);
}

static int queue(struct side *s, uint32_t counter)
{
	static struct l2tp_msg m;
	l2tp_msg_init(&m, 2, L2TP_MSG_HELLO);
	m.hdr.tunnel_id = 0x4321;
	l2tp_msg_add_u32(&m, 1, false, counter);
	m.avps[1].vendor = 9999;
	struct l2tp_transport_stats st;
	int before = s->nout;
	int rc = l2tp_transport_send(s->t, &m, s->now, NULL);
	l2tp_transport_stats(s->t, &st);
	if (s->nout > before && st.in_flight > (st.cwnd < st.tx_window ? st.cwnd : st.tx_window))
		s->window_violations++;
	return rc;
}

/* Runs the transport's timers up to `until`, stepping to each deadline. */
static void run_until(struct side *s, uint64_t until)
{
	for (;;) {
		uint64_t d = l2tp_transport_deadline(s->t);
		if (d > until || s->failed[0] || s->released)
			break;
		s->now = d > s->now ? d : s->now;
		l2tp_transport_tick(s->t, s->now);
	}
	if (s->now < until)
		s->now = until;
}

static void retransmit_schedule_doubles_up_to_the_cap_then_fails(void)
{
	struct side s;
	struct l2tp_transport_config cfg = {.max_retries = 5};
	init(&s, &cfg);
	CHECK_EQ(queue(&s, 1), 0);
	run_until(&s, 60000);
	/* 0, then +1 s, +2 s, +4 s, +8 s (the cap), +8 s; failure 8 s later. */
	static const uint64_t want[] = {0, 1000, 3000, 7000, 15000, 23000};
	CHECK_EQ(s.nout, 6);
	for (int i = 0; i < 6 && i < s.nout; i++) {
		CHECK_EQ(s.out[i].at, want[i]);
		CHECK_EQ(s.out[i].ns, 0); /* the same message each time */
	}
	CHECK_EQ(s.now, 60000);
	CHECK_STR(s.failed, "HELLO (Ns 0) was not acknowledged after 5 retransmissions");
	struct l2tp_transport_stats st;
	l2tp_transport_stats(s.t, &st);
	CHECK_EQ(st.tx_retransmits, 5);
	l2tp_transport_free(s.t);

	/* A custom first timeout and cap. */
	struct l2tp_transport_config c2 = {.max_retries = 4, .retry_timeout_ms = 250, .retry_cap_ms = 1000};
	init(&s, &c2);
	queue(&s, 1);
	run_until(&s, 60000);
	static const uint64_t want2[] = {0, 250, 750, 1750, 2750};
	CHECK_EQ(s.nout, 5);
	for (int i = 0; i < 5 && i < s.nout; i++)
		CHECK_EQ(s.out[i].at, want2[i]);
	CHECK_STR(s.failed, "HELLO (Ns 0) was not acknowledged after 4 retransmissions");
	l2tp_transport_free(s.t);
}

static void slow_start_then_congestion_avoidance_never_exceed_the_window(void)
{
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.max_retries = 10, .tx_window = 8};
	init(&s, &cfg);
	for (uint32_t i = 0; i < 200; i++)
		queue(&s, i);
	struct l2tp_transport_stats st;
	l2tp_transport_stats(s.t, &st);
	CHECK_EQ(st.cwnd, 1);
	CHECK_EQ(st.in_flight, 1); /* slow start begins with one message */
	CHECK_EQ(s.nout, 1);

	/* Ack everything sent so far, round by round: cwnd 1, 2, 4, 8 (the
	 * window caps it). */
	uint16_t acked = 0;
	int rounds = 0, cwnds[8] = {0};
	while (acked < 200 && rounds < 100) {
		l2tp_transport_stats(s.t, &st);
		if (rounds < 8)
			cwnds[rounds] = st.in_flight;
		acked = (uint16_t)(acked + st.in_flight);
		s.now += 10;
		int before = s.nout;
		input(&s, buf, peer_zlb(buf, 0, acked));
		for (int i = before; i < s.nout; i++) {
			l2tp_transport_stats(s.t, &st);
			if (st.in_flight > st.tx_window || st.in_flight > st.cwnd)
				s.window_violations++;
		}
		rounds++;
	}
	CHECK_EQ(cwnds[0], 1);
	CHECK_EQ(cwnds[1], 2);
	CHECK_EQ(cwnds[2], 4);
	CHECK_EQ(cwnds[3], 8);
	CHECK_EQ(cwnds[4], 8);
	CHECK_EQ(acked, 200);
	CHECK_EQ(s.window_violations, 0);
	l2tp_transport_stats(s.t, &st);
	CHECK_EQ(st.in_flight, 0);
	CHECK_EQ(st.tx_messages, 200);
	l2tp_transport_free(s.t);
}

static void congestion_avoidance_grows_by_one_per_window_of_acks(void)
{
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.max_retries = 10, .tx_window = 16};
	struct l2tp_transport_stats st;
	init(&s, &cfg);
	for (uint32_t i = 0; i < 300; i++)
		queue(&s, i);
	/* Grow cwnd to 8 by acking one at a time, then force a timeout:
	 * ssthresh = 8 / 2 = 4, cwnd = 1. */
	uint16_t acked = 0;
	for (int i = 0; i < 7; i++) {
		acked++;
		s.now += 1;
		input(&s, buf, peer_zlb(buf, 0, acked));
	}
	l2tp_transport_stats(s.t, &st);
	CHECK_EQ(st.cwnd, 8);
	run_until(&s, s.now + 1000);
	l2tp_transport_stats(s.t, &st);
	CHECK_EQ(st.cwnd, 1);
	CHECK_EQ(st.ssthresh, 4);
	/* Acks one by one: 1 -> 4 in slow start (3 acks), then +1 per 4 acks. */
	int seq[12];
	for (int i = 0; i < 12; i++) {
		acked++;
		s.now += 1;
		input(&s, buf, peer_zlb(buf, 0, acked));
		l2tp_transport_stats(s.t, &st);
		seq[i] = st.cwnd;
	}
	static const int want[12] = {2, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 6};
	for (int i = 0; i < 12; i++)
		CHECK_EQ(seq[i], want[i]);
	CHECK_EQ(s.window_violations, 0);
	l2tp_transport_free(s.t);
}

static void peer_window_of_four_by_default_and_zero_ignored(void)
{
	struct side s;
	struct l2tp_transport_config cfg = {.max_retries = 3};
	struct l2tp_transport_stats st;
	init(&s, &cfg);
	l2tp_transport_stats(s.t, &st);
	CHECK_EQ(st.tx_window, 4);
	l2tp_transport_set_peer_window(s.t, 0);
	l2tp_transport_stats(s.t, &st);
	CHECK_EQ(st.tx_window, 4);
	l2tp_transport_set_peer_window(s.t, 32);
	l2tp_transport_stats(s.t, &st);
	CHECK_EQ(st.tx_window, 32);
	CHECK_EQ(st.ssthresh, 32);
	l2tp_transport_free(s.t);
}

static void in_order_delivery_with_duplicates_reordering_and_wraparound(void)
{
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.max_retries = 3, .rx_window = 8};
	init(&s, &cfg);
	/* 70000 messages take the peer's Ns across 65535 -> 0. Every 97th
	 * pair arrives swapped, every 89th is sent twice. */
	uint32_t delivered_ok = 0, expect = 0, dups = 0, swaps = 0;
	for (uint32_t i = 0; i < 70000; i++) {
		if (i % 97 == 0 && i + 1 < 70000) {
			input(&s, buf, peer_msg(buf, (uint16_t)(i + 1), 0, i + 1));
			input(&s, buf, peer_msg(buf, (uint16_t)i, 0, i));
			i++;
			swaps++;
		} else {
			input(&s, buf, peer_msg(buf, (uint16_t)i, 0, i));
		}
		if (i % 89 == 0) {
			input(&s, buf, peer_msg(buf, (uint16_t)i, 0, i));
			dups++;
		}
		/* check and reset the delivery log as we go */
		for (int k = 0; k < s.ngot; k++)
			delivered_ok += s.got[k] == expect++;
		s.ngot = 0;
		s.nout = 0;
	}
	CHECK_EQ(expect, 70000);
	CHECK_EQ(delivered_ok, 70000);
	struct l2tp_transport_stats st;
	l2tp_transport_stats(s.t, &st);
	CHECK_EQ(st.rx_messages, 70000);
	CHECK_EQ(st.rx_duplicates, dups);
	CHECK_EQ(st.rx_out_of_order, swaps);
	l2tp_transport_free(s.t);
}

static void duplicates_are_acknowledged_at_once(void)
{
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.max_retries = 3};
	init(&s, &cfg);
	input(&s, buf, peer_msg(buf, 0, 0, 1));
	CHECK_EQ(s.ngot, 1);
	CHECK_EQ(s.nout, 0); /* the ack waits: something may piggyback it */
	input(&s, buf, peer_msg(buf, 0, 0, 1));
	CHECK_EQ(s.ngot, 1); /* not delivered twice */
	run_until(&s, s.now);
	CHECK_EQ(s.nout, 1);
	CHECK_EQ(s.out[0].type, L2TP_MSG_ZLB);
	CHECK_EQ(s.out[0].nr, 1);
	l2tp_transport_free(s.t);
}

static void out_of_order_messages_wait_for_the_gap(void)
{
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.max_retries = 3, .rx_window = 4};
	init(&s, &cfg);
	input(&s, buf, peer_msg(buf, 2, 0, 2));
	input(&s, buf, peer_msg(buf, 1, 0, 1));
	CHECK_EQ(s.ngot, 0);
	input(&s, buf, peer_msg(buf, 9, 0, 9)); /* beyond our window of 4: dropped */
	input(&s, buf, peer_msg(buf, 0, 0, 0));
	CHECK_EQ(s.ngot, 3);
	CHECK_EQ(s.got[0], 0);
	CHECK_EQ(s.got[1], 1);
	CHECK_EQ(s.got[2], 2);
	struct l2tp_transport_stats st;
	l2tp_transport_stats(s.t, &st);
	CHECK_EQ(st.rx_outside_window, 1);
	l2tp_transport_free(s.t);
}

static void a_zlb_is_never_answered_with_a_zlb_and_acks_wait_for_piggyback(void)
{
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.max_retries = 3, .ack_timeout_ms = 100};
	init(&s, &cfg);
	input(&s, buf, peer_zlb(buf, 0, 0));
	run_until(&s, 10000);
	CHECK_EQ(s.nout, 0);

	/* A message is acknowledged by a ZLB 100 ms later... */
	s.now = 20000;
	input(&s, buf, peer_msg(buf, 0, 0, 1));
	run_until(&s, 20099);
	CHECK_EQ(s.nout, 0);
	run_until(&s, 20100);
	CHECK_EQ(s.nout, 1);
	CHECK_EQ(s.out[0].type, L2TP_MSG_ZLB);
	CHECK_EQ(s.out[0].at, 20100);
	CHECK_EQ(s.out[0].ns, 0); /* a ZLB consumes no Ns */
	CHECK_EQ(s.out[0].nr, 1);

	/* ...unless a message of ours carries the Nr first. */
	input(&s, buf, peer_msg(buf, 1, 0, 2));
	queue(&s, 7);
	run_until(&s, s.now + 500);
	CHECK_EQ(s.out[1].type, L2TP_MSG_HELLO);
	CHECK_EQ(s.out[1].ns, 0);
	CHECK_EQ(s.out[1].nr, 2);
	/* no ZLB went out; the only other sends are retransmissions */
	for (int i = 1; i < s.nout; i++)
		CHECK(s.out[i].type != L2TP_MSG_ZLB);

	/* A retransmission carries the current Nr. */
	input(&s, buf, peer_msg(buf, 2, 0, 3));
	int before = s.nout;
	run_until(&s, s.now + 3000);
	CHECK(s.nout > before);
	CHECK_EQ(s.out[s.nout - 1].type, L2TP_MSG_HELLO);
	CHECK_EQ(s.out[s.nout - 1].nr, 3);
	l2tp_transport_free(s.t);
}

static void the_delayed_ack_stays_inside_the_retry_timeout(void)
{
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.max_retries = 3, .ack_timeout_ms = 100, .retry_timeout_ms = 100};
	init(&s, &cfg);
	input(&s, buf, peer_msg(buf, 0, 0, 1));
	run_until(&s, 1000);
	CHECK_EQ(s.nout, 1);
	CHECK_EQ(s.out[0].at, 25); /* a quarter of the retry timeout, not 100 */
	l2tp_transport_free(s.t);
}

static void our_ns_wraps_around(void)
{
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.max_retries = 3, .tx_window = 4};
	init(&s, &cfg);
	uint16_t nr = 0;
	int ok = 0;
	for (uint32_t i = 0; i < 70000; i++) {
		s.nout = 0;
		queue(&s, i);
		if (s.nout == 1 && s.out[0].ns == (uint16_t)i)
			ok++;
		nr = (uint16_t)(i + 1);
		input(&s, buf, peer_zlb(buf, 0, nr));
	}
	CHECK_EQ(ok, 70000);
	CHECK(l2tp_transport_idle(s.t));
	l2tp_transport_free(s.t);
}

static void hello_after_silence_and_its_failure(void)
{
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.max_retries = 2, .hello_timeout_ms = 5000};
	init(&s, &cfg);
	run_until(&s, 4999);
	CHECK_EQ(s.nout, 0);
	s.now = 3000;
	input(&s, buf, peer_zlb(buf, 0, 0)); /* anything heard resets it */
	run_until(&s, 7999);
	CHECK_EQ(s.nout, 0);
	run_until(&s, 8000);
	CHECK_EQ(s.nout, 1);
	CHECK_EQ(s.out[0].type, L2TP_MSG_HELLO);
	CHECK_EQ(s.out[0].at, 8000);
	/* Acknowledged: the next HELLO comes after another silence. */
	s.now = 8010;
	input(&s, buf, peer_zlb(buf, 0, 1));
	run_until(&s, 13009);
	CHECK_EQ(s.nout, 1);
	run_until(&s, 13010);
	CHECK_EQ(s.nout, 2);
	/* Not acknowledged: retried, then the transport fails. */
	run_until(&s, 100000);
	CHECK_EQ(s.nout, 4);
	CHECK_EQ(s.out[2].at, 14010);
	CHECK_EQ(s.out[3].at, 16010);
	CHECK_STR(s.failed, "HELLO (Ns 1) was not acknowledged after 2 retransmissions");
	CHECK_EQ(s.now, 100000);
	l2tp_transport_free(s.t);
}

static void stopccn_hold_keeps_acknowledging_then_releases(void)
{
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.max_retries = 3, .hello_timeout_ms = 1000};
	init(&s, &cfg);
	input(&s, buf, peer_msg(buf, 0, 0, 1)); /* say this was the peer's StopCCN */
	s.now = 100;
	l2tp_transport_linger(s.t, s.now, false);
	CHECK(l2tp_transport_lingering(s.t));
	run_until(&s, 100);
	int zlbs = s.nout;
	CHECK_EQ(zlbs, 1); /* the StopCCN was acknowledged at once, not after the ack delay */
	/* The peer did not hear our ack and sends it again: acknowledged
	 * again, not delivered again. */
	s.now = 5000;
	input(&s, buf, peer_msg(buf, 0, 0, 1));
	run_until(&s, 5000);
	CHECK_EQ(s.nout, 2);
	CHECK_EQ(s.ngot, 1);
	/* No HELLO while lingering; released 31 s after the StopCCN. */
	run_until(&s, 31099);
	CHECK(!s.released);
	CHECK_EQ(s.nout, 2);
	run_until(&s, 31100);
	CHECK(s.released);
	l2tp_transport_free(s.t);
}

static void the_sender_of_a_stopccn_is_released_once_it_is_acknowledged(void)
{
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.max_retries = 3};
	init(&s, &cfg);
	CHECK_EQ(queue(&s, 1), 0); /* say this is our StopCCN (Ns 0) */
	l2tp_transport_linger(s.t, s.now, true);
	run_until(&s, 500);
	CHECK(!s.released); /* not acknowledged yet */
	s.now = 600;
	input(&s, buf, peer_zlb(buf, 0, 1));
	run_until(&s, 600);
	CHECK(s.released); /* at once, not after the 31 s hold */
	l2tp_transport_free(s.t);
}

static void the_owners_alarm_fires_once_at_its_deadline_and_can_be_cancelled(void)
{
	struct side s;
	struct l2tp_transport_config cfg = {.max_retries = 3};
	init(&s, &cfg);
	alarms = 0;
	l2tp_transport_set_alarm(s.t, 2500);
	CHECK_EQ(l2tp_transport_deadline(s.t), 2500);
	run_until(&s, 2499);
	CHECK_EQ(alarms, 0);
	run_until(&s, 10000);
	CHECK_EQ(alarms, 1);
	CHECK_EQ(l2tp_transport_deadline(s.t), L2TP_NEVER);
	l2tp_transport_set_alarm(s.t, 20000);
	l2tp_transport_set_alarm(s.t, L2TP_NEVER);
	run_until(&s, 30000);
	CHECK_EQ(alarms, 1);
	l2tp_transport_free(s.t);
}

static void send_once_goes_out_now_outside_the_window_and_is_never_repeated(void)
{
	struct side s;
	struct l2tp_transport_config cfg = {.max_retries = 3};
	init(&s, &cfg);
	CHECK_EQ(queue(&s, 1), 0); /* fills the initial window of one */
	CHECK_EQ(queue(&s, 2), 0); /* waits */
	CHECK_EQ(s.nout, 1);
	static struct l2tp_msg m;
	l2tp_msg_init(&m, 2, L2TP_MSG_HELLO);
	CHECK_EQ(l2tp_transport_send_once(s.t, &m, s.now, NULL), 0);
	CHECK_EQ(s.nout, 2);
	/* the Ns the peer expects next: the waiting message's, which is
	 * dropped (it could no longer follow in order) */
	CHECK_EQ(s.out[1].ns, 1);
	CHECK_EQ(s.out[1].counter, 0xffffffff);
	struct l2tp_transport_stats st;
	l2tp_transport_stats(s.t, &st);
	CHECK_EQ(st.queued, 0);
	CHECK_EQ(st.in_flight, 1);
	/* only the message in flight is retransmitted */
	run_until(&s, 1500);
	CHECK(s.nout > 2);
	for (int i = 2; i < s.nout; i++)
		CHECK(s.out[i].ns == 0 && s.out[i].counter == 1);
	/* an ack after it carries the Ns past the one-shot message's */
	uint8_t buf[2048];
	input(&s, buf, peer_msg(buf, 0, 0, 5));
	run_until(&s, s.now);
	CHECK_EQ(s.out[s.nout - 1].type, L2TP_MSG_ZLB);
	CHECK_EQ(s.out[s.nout - 1].ns, 2);
	l2tp_transport_free(s.t);
}

/* A message that waited behind a gap is acknowledged when the gap fills,
 * even when what the filling message let out of our window already went
 * with the Nr before it. */
static void a_message_delivered_from_behind_a_gap_is_acknowledged(void)
{
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.max_retries = 3};
	init(&s, &cfg);
	CHECK_EQ(queue(&s, 1), 0); /* Ns 0 goes (a window of one)... */
	CHECK_EQ(queue(&s, 2), 0); /* ...Ns 1 waits */
	input(&s, buf, peer_msg(buf, 1, 0, 11)); /* the peer's Ns 0 is lost: its Ns 1 waits */
	CHECK_EQ(s.ngot, 0);
	run_until(&s, s.now);
	int before = s.nout;
	/* Ns 0 comes again, acknowledging ours: our Ns 1 goes with Nr 1 */
	s.now += 10;
	input(&s, buf, peer_msg(buf, 0, 1, 10));
	CHECK_EQ(s.ngot, 2);
	run_until(&s, s.now);
	CHECK(s.nout >= before + 2);
	CHECK_EQ(s.out[before].ns, 1);
	CHECK_EQ(s.out[before].nr, 1);
	/* and Ns 1, delivered from behind the gap, is acknowledged at once */
	CHECK_EQ(s.out[s.nout - 1].type, L2TP_MSG_ZLB);
	CHECK_EQ(s.out[s.nout - 1].nr, 2);
	CHECK_EQ(s.out[s.nout - 1].at, s.now);
	l2tp_transport_free(s.t);
}

/* A ZLB sent while the window holds messages back carries the Ns of the
 * first of them, the one the peer expects next, not the Ns the next queued
 * message would take: l2tpns drops a ZLB whose Ns it does not expect, and
 * its Nr with it. */
static void a_zlb_carries_the_ns_the_peer_expects_while_messages_wait(void)
{
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.max_retries = 3};
	init(&s, &cfg);
	for (uint32_t i = 1; i <= 5; i++)
		CHECK_EQ(queue(&s, i), 0); /* Ns 0 goes (a window of one), 1-4 wait */
	CHECK_EQ(s.nout, 1);
	input(&s, buf, peer_msg(buf, 0, 0, 100));
	run_until(&s, s.now);
	CHECK_EQ(s.nout, 2);
	CHECK_EQ(s.out[1].type, L2TP_MSG_ZLB);
	CHECK_EQ(s.out[1].ns, 1);
	CHECK_EQ(s.out[1].nr, 1);
	/* Ns 0 acknowledged: the window opens to two, Ns 1 and 2 go */
	s.now += 10;
	input(&s, buf, peer_msg(buf, 1, 1, 101));
	run_until(&s, s.now);
	CHECK_EQ(s.out[2].ns, 1);
	CHECK_EQ(s.out[3].ns, 2);
	CHECK_EQ(s.out[2].nr, 2); /* the Nr of the message that opened the window */
	CHECK_EQ(s.out[3].nr, 2);
	CHECK_EQ(s.nout, 4); /* so no ZLB */
	input(&s, buf, peer_msg(buf, 2, 1, 102));
	run_until(&s, s.now);
	CHECK_EQ(s.nout, 5);
	CHECK_EQ(s.out[4].type, L2TP_MSG_ZLB);
	CHECK_EQ(s.out[4].ns, 3);
	/* nothing waiting: the next Ns */
	input(&s, buf, peer_zlb(buf, 3, 3));
	run_until(&s, s.now);
	input(&s, buf, peer_msg(buf, 3, 5, 103));
	run_until(&s, s.now);
	CHECK_EQ(s.out[s.nout - 1].type, L2TP_MSG_ZLB);
	CHECK_EQ(s.out[s.nout - 1].ns, 5);
	l2tp_transport_free(s.t);
}

static void the_transport_keeps_its_own_copy_of_the_secret(void)
{
	static struct l2tp_msg m;
	uint8_t buf[2048];
	size_t n;
	char secret[] = "shared";
	struct side s;
	struct l2tp_transport_config cfg = {.max_retries = 3, .secret = (const uint8_t *)secret, .secret_len = 6};
	init(&s, &cfg);
	memset(secret, 'x', 6); /* the owner's config is gone (a tunnel freed while its channel is held) */
	l2tp_msg_init(&m, 2, L2TP_MSG_HELLO);
	l2tp_msg_add_u32(&m, 1, false, 77);
	m.avps[1].vendor = 9999;
	m.avps[1].hidden = true;
	struct l2tp_encode_opts o = {.secret = (const uint8_t *)"shared", .secret_len = 6};
	CHECK_EQ(l2tp_msg_encode(&m, &o, buf, sizeof(buf), &n, NULL), 0);
	input(&s, buf, n);
	CHECK_EQ(s.ngot, 1);
	CHECK_EQ(s.got[0], 77); /* unhidden with the secret it was made with */
	l2tp_transport_free(s.t);
}

static void free_on_failure(void *arg, const char *reason)
{
	struct side *s = arg;
	on_failed(arg, reason);
	l2tp_transport_free(s->t); /* as a tunnel going down would */
}

static void free_on_recv(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err)
{
	struct side *s = arg;
	on_recv(arg, msg, err);
	l2tp_transport_free(s->t);
	s->t = NULL;
}

static void freeing_from_a_callback_is_safe(void)
{
	static const struct l2tp_transport_ops fops = {on_send, on_recv, free_on_failure, on_released, NULL};
	static const struct l2tp_transport_ops rops = {on_send, free_on_recv, on_failed, on_released, NULL};
	struct side s;
	uint8_t buf[2048];
	struct l2tp_transport_config cfg = {.version = 2, .max_retries = 0, .retry_timeout_ms = 10};
	memset(&s, 0, sizeof(s));
	s.t = l2tp_transport_new(&cfg, &fops, &s, 0);
	queue(&s, 1);
	s.now = 10;
	l2tp_transport_tick(s.t, s.now); /* fails, and the callback frees it */
	CHECK_STR(s.failed, "HELLO (Ns 0) was not acknowledged after 0 retransmissions");

	/* Freed while delivering, with more queued behind: nothing else runs. */
	memset(&s, 0, sizeof(s));
	s.t = l2tp_transport_new(&cfg, &rops, &s, 0);
	input(&s, buf, peer_msg(buf, 1, 0, 1));
	input(&s, buf, peer_msg(buf, 2, 0, 2));
	input(&s, buf, peer_msg(buf, 0, 0, 0));
	CHECK(s.t == NULL);
	CHECK_EQ(s.ngot, 1);
}

/* A datagram its receiver had to decode first (an LNS's SCCRQ) is handed
 * up as decoded when it is delivered at once; one that waits in the queue
 * is decoded from its own bytes when its turn comes. */
static void a_decoded_datagram_is_not_decoded_again(void)
{
	struct side s;
	struct l2tp_transport_config cfg = {0};
	uint8_t buf[2048], other[2048], copy[2048];
	struct l2tp_msg pre;
	init(&s, &cfg);
	/* pre says 8 where the bytes say 7: what comes up tells which was used */
	size_t n8 = peer_msg(other, 0, 0, 8);
	memcpy(copy, other, n8);
	CHECK_EQ(l2tp_msg_decode(copy, n8, NULL, &pre, NULL), 0);
	size_t n = peer_msg(buf, 0, 0, 7);
	l2tp_transport_input_decoded(s.t, buf, n, &pre, s.now);
	CHECK_EQ(s.ngot, 1);
	CHECK_EQ(s.got[0], 8);

	/* out of order: queued, then decoded from its bytes */
	n = peer_msg(buf, 2, 0, 7);
	l2tp_transport_input_decoded(s.t, buf, n, &pre, s.now);
	CHECK_EQ(s.ngot, 1);
	n = peer_msg(buf, 1, 0, 6);
	input(&s, buf, n);
	CHECK_EQ(s.ngot, 3);
	CHECK_EQ(s.got[1], 6);
	CHECK_EQ(s.got[2], 7);
	l2tp_transport_free(s.t);
}

/* Two transports on a wire with 1 ms of delay each way: the datagrams one
 * sends reach the other's input. */
struct end {
	struct l2tp_transport *t;
	struct {
		uint64_t at;
		uint8_t buf[256];
		size_t len;
	} inbox[64];
	int ninbox;
	struct end *peer;
	uint64_t *clock;
	int hellos;
	bool dead; /* sends nothing, hears nothing, runs no timer */
	char failed[200];
	uint64_t failed_at;
};

static int end_send(void *arg, const uint8_t *buf, size_t len)
{
	struct end *e = arg;
	uint16_t type = 0;
	struct l2tp_header h;
	if (l2tp_msg_peek(buf, len, false, &h, &type) == 0 && h.length > 12 && type == L2TP_MSG_HELLO)
		e->hellos++;
	struct end *p = e->peer;
	if (e->dead || p->ninbox == 64 || len > sizeof(p->inbox[0].buf))
		return 0;
	p->inbox[p->ninbox].at = *e->clock + 1;
	memcpy(p->inbox[p->ninbox].buf, buf, len);
	p->inbox[p->ninbox++].len = len;
	return 0;
}

static void end_failed(void *arg, const char *reason)
{
	struct end *e = arg;
	snprintf(e->failed, sizeof(e->failed), "%s", reason);
	e->failed_at = *e->clock;
}

static void end_recv(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err)
{
	(void)arg, (void)msg, (void)err;
}

/* Runs both ends to `until`: each step is the next timer or arrival. */
static void wire_run(struct end *e, uint64_t *now, uint64_t until)
{
	while (!e[0].failed[0] && !e[1].failed[0]) {
		uint64_t next = L2TP_NEVER;
		for (int i = 0; i < 2; i++) {
			if (e[i].dead)
				continue;
			uint64_t d = l2tp_transport_deadline(e[i].t);
			next = d < next ? d : next;
			if (e[i].ninbox && e[i].inbox[0].at < next)
				next = e[i].inbox[0].at;
		}
		if (next > until)
			break;
		*now = next > *now ? next : *now;
		for (int i = 0; i < 2; i++) {
			if (e[i].dead)
				continue;
			while (e[i].ninbox && e[i].inbox[0].at <= *now) {
				uint8_t b[256];
				size_t n = e[i].inbox[0].len;
				memcpy(b, e[i].inbox[0].buf, n);
				memmove(&e[i].inbox[0], &e[i].inbox[1], --e[i].ninbox * sizeof(e[i].inbox[0]));
				l2tp_transport_input(e[i].t, b, n, *now);
			}
			if (l2tp_transport_deadline(e[i].t) <= *now)
				l2tp_transport_tick(e[i].t, *now);
		}
	}
	*now = until > *now ? until : *now;
}

/* With the same hello_timeout at both ends, an idle tunnel carries one
 * HELLO an interval, not one from each end; the end that only answers
 * still notices a dead peer. */
static void idle_ends_take_turns_instead_of_both_sending_hellos(void)
{
	static const struct l2tp_transport_ops eops = {end_send, end_recv, end_failed, NULL, NULL};
	struct l2tp_transport_config cfg = {.version = 2, .max_retries = 2, .hello_timeout_ms = 1600};
	uint64_t now = 0;
	struct end e[2];
	memset(e, 0, sizeof(e));
	for (int i = 0; i < 2; i++) {
		e[i].peer = &e[1 - i];
		e[i].clock = &now;
		e[i].t = l2tp_transport_new(&cfg, &eops, &e[i], 0);
		l2tp_transport_set_peer_id(e[i].t, 1);
	}
	/* Both timers start together, so the first HELLOs cross. */
	wire_run(e, &now, 1600 * 50);
	CHECK_EQ(e[0].failed[0] + e[1].failed[0], 0);
	int total = e[0].hellos + e[1].hellos;
	CHECK(total >= 45 && total <= 52); /* one an interval; 100 with both sending */
	CHECK(e[0].hellos <= 3 || e[1].hellos <= 3);

	/* The end that only answers: its peer dies. It sends its own
	 * HELLO within 1/8 of an interval more than usual, then gives up
	 * after its two retransmissions (1 s, 2 s, then 4 s for the last). */
	int quiet = e[0].hellos <= 3 ? 0 : 1;
	uint64_t cut_at = now;
	e[1 - quiet].dead = true;
	wire_run(e, &now, cut_at + 20000);
	CHECK(e[quiet].failed[0] != 0);
	CHECK(e[quiet].failed_at <= cut_at + 1600 + 1600 / 8 + 7000);
	for (int i = 0; i < 2; i++)
		l2tp_transport_free(e[i].t);
}

int main(void)
{
	RUN(retransmit_schedule_doubles_up_to_the_cap_then_fails);
	RUN(slow_start_then_congestion_avoidance_never_exceed_the_window);
	RUN(congestion_avoidance_grows_by_one_per_window_of_acks);
	RUN(peer_window_of_four_by_default_and_zero_ignored);
	RUN(in_order_delivery_with_duplicates_reordering_and_wraparound);
	RUN(duplicates_are_acknowledged_at_once);
	RUN(out_of_order_messages_wait_for_the_gap);
	RUN(a_decoded_datagram_is_not_decoded_again);
	RUN(a_zlb_is_never_answered_with_a_zlb_and_acks_wait_for_piggyback);
	RUN(the_delayed_ack_stays_inside_the_retry_timeout);
	RUN(our_ns_wraps_around);
	RUN(hello_after_silence_and_its_failure);
	RUN(idle_ends_take_turns_instead_of_both_sending_hellos);
	RUN(stopccn_hold_keeps_acknowledging_then_releases);
	RUN(the_sender_of_a_stopccn_is_released_once_it_is_acknowledged);
	RUN(the_owners_alarm_fires_once_at_its_deadline_and_can_be_cancelled);
	RUN(send_once_goes_out_now_outside_the_window_and_is_never_repeated);
	RUN(a_zlb_carries_the_ns_the_peer_expects_while_messages_wait);
	RUN(a_message_delivered_from_behind_a_gap_is_acknowledged);
	RUN(the_transport_keeps_its_own_copy_of_the_secret);
	RUN(freeing_from_a_callback_is_safe);
	return check_report();
}
