#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "internal.h"
#include "l2tp/l2tp.h"

struct seen {
	int n;
	enum l2tp_event_type types[32];
	char names[32][64];
	char reasons[32][128];
	char ifnames[32][16];
};

static void on_event(void *arg, const struct l2tp_event *ev)
{
	struct seen *s = arg;
	if (s->n >= 32)
		return;
	s->types[s->n] = ev->type;
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s%s%s", ev->tunnel_name, ev->session_name ? "/" : "",
		 ev->session_name ? ev->session_name : "");
	snprintf(s->reasons[s->n], sizeof(s->reasons[0]), "%s", ev->reason ? ev->reason : "");
	snprintf(s->ifnames[s->n], sizeof(s->ifnames[0]), "%s", ev->interface_name ? ev->interface_name : "");
	s->n++;
}

static void quiet(void *arg, enum l2tp_log_level level, const char *line)
{
	(void)arg, (void)level, (void)line;
}

static struct l2tp_context *new_ctx(struct event_base *base, struct seen *seen)
{
	struct l2tp_context_config cc = {
		.log_level = L2TP_LOG_DEBUG, .log_fn = quiet, .event_fn = on_event, .event_arg = seen};
	struct l2tp_context *ctx;
	char err[256];
	CHECK_EQ(l2tp_context_new(base, &cc, &ctx, err, sizeof(err)), 0);
	return ctx;
}

static struct l2tp_tunnel_config tcfg(uint32_t tid)
{
	struct l2tp_tunnel_config c;
	l2tp_tunnel_config_defaults(&c, L2TP_TUNNEL_STATIC);
	snprintf(c.local, sizeof(c.local), "127.0.0.1:%u", 5000 + tid);
	snprintf(c.peer, sizeof(c.peer), "127.0.0.1:6000");
	c.tid = tid;
	c.ptid = tid + 100;
	return c;
}

static struct l2tp_session_config scfg(uint32_t sid)
{
	struct l2tp_session_config c;
	l2tp_session_config_defaults(&c, L2TP_V3);
	c.sid = sid;
	c.psid = sid + 1000;
	return c;
}

static void events_are_delivered_from_the_loop_in_order(void)
{
	struct event_base *base = event_base_new();
	struct seen seen = {0};
	struct l2tp_context *ctx = new_ctx(base, &seen);
	struct l2tp_tunnel *t;
	struct l2tp_session *s;
	char err[256];
	struct l2tp_tunnel_config tc = tcfg(1);
	struct l2tp_session_config sc = scfg(10);

	CHECK_EQ(l2tp_tunnel_create(ctx, L2TP_TUNNEL_STATIC, "t1", &tc, &t, err, sizeof(err)), 0);
	CHECK_EQ(l2tp_session_create(t, "s1", &sc, &s, err, sizeof(err)), 0);
	CHECK_STR(l2tp_session_interface_name(s), "l2tpeth0");
	CHECK_EQ(seen.n, 0); /* nothing runs inside the API call */
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK_EQ(seen.n, 2);
	CHECK_EQ(seen.types[0], L2TP_EVENT_TUNNEL_UP);
	CHECK_EQ(seen.types[1], L2TP_EVENT_SESSION_UP);
	CHECK_STR(seen.names[1], "t1/s1");
	CHECK_STR(seen.ifnames[1], "l2tpeth0");

	uint64_t th = l2tp_tunnel_handle(t), sh = l2tp_session_handle(s);
	CHECK(l2tp_tunnel_lookup(ctx, th) == t);
	CHECK(l2tp_session_lookup(ctx, sh) == s);
	CHECK(l2tp_tunnel_lookup(ctx, sh) == NULL); /* a handle has one type */

	l2tp_context_close(ctx);
	CHECK(l2tp_tunnel_lookup(ctx, th) == NULL);
	CHECK(l2tp_session_lookup(ctx, sh) == NULL);
	CHECK(l2tp_context_busy(ctx));
	event_base_loop(base, EVLOOP_NONBLOCK);
	CHECK(!l2tp_context_busy(ctx));
	CHECK_EQ(seen.n, 4);
	CHECK_EQ(seen.types[2], L2TP_EVENT_SESSION_DOWN);
	CHECK_STR(seen.reasons[2], "tunnel closed: context closed");
	CHECK_EQ(seen.types[3], L2TP_EVENT_TUNNEL_DOWN);
	CHECK_STR(seen.reasons[3], "context closed");
	l2tp_context_free(ctx);
	event_base_free(base);
}

static void duplicates_are_refused_and_nothing_is_created(void)
{
	struct event_base *base = event_base_new();
	struct seen seen = {0};
	struct l2tp_context *ctx = new_ctx(base, &seen);
	struct l2tp_tunnel *t, *t2, *t3;
	struct l2tp_session *s;
	char err[256];
	struct l2tp_tunnel_config tc = tcfg(1);
	struct l2tp_session_config sc = scfg(10);

	CHECK_EQ(l2tp_tunnel_create(ctx, L2TP_TUNNEL_STATIC, "t1", &tc, &t, err, sizeof(err)), 0);
	tc = tcfg(2);
	CHECK_EQ(l2tp_tunnel_create(ctx, L2TP_TUNNEL_STATIC, "t1", &tc, &t2, err, sizeof(err)), -EEXIST);
	CHECK_STR(err, "tunnel 't1' already exists (names are unique in a context)");
	tc = tcfg(1);
	CHECK_EQ(l2tp_tunnel_create(ctx, L2TP_TUNNEL_STATIC, "t2", &tc, &t2, err, sizeof(err)), -EEXIST);
	CHECK_STR(err, "tunnel 't2': tid 1 is already used by tunnel 't1'");
	CHECK_EQ(l2tp_context_tunnel_count(ctx), 1);

	tc = tcfg(2);
	CHECK_EQ(l2tp_tunnel_create(ctx, L2TP_TUNNEL_STATIC, "t2", &tc, &t2, err, sizeof(err)), 0);
	CHECK_EQ(l2tp_session_create(t, "s1", &sc, &s, err, sizeof(err)), 0);
	CHECK_EQ(l2tp_session_create(t, "s1", &sc, &s, err, sizeof(err)), -EEXIST);
	CHECK_STR(err, "session 's1' already exists in tunnel 't1' (names are unique in a tunnel)");
	CHECK_EQ(l2tp_session_create(t, "s2", &sc, &s, err, sizeof(err)), -EEXIST);
	CHECK_STR(err, "session 't1/s2': sid 10 is already used by session 's1' in this tunnel");
	/* L2TPv3 session IDs are host-wide. */
	CHECK_EQ(l2tp_session_create(t2, "s1", &sc, &s, err, sizeof(err)), -EEXIST);
	CHECK_STR(err, "session 't2/s1': sid 10 is already used by session 't1/s1' (l2tpv3 session IDs are unique per host)");
	CHECK_EQ(l2tp_tunnel_session_count(t), 1);
	CHECK_EQ(l2tp_tunnel_session_count(t2), 0);

	tc = tcfg(3);
	tc.tid = 0;
	CHECK_EQ(l2tp_tunnel_create(ctx, L2TP_TUNNEL_STATIC, "t3", &tc, &t3, err, sizeof(err)), -EINVAL);
	CHECK_STR(err, "tunnel 't3': tid is missing or 0 (accepted: 1-4294967295 for a static tunnel)");
	CHECK(t3 == NULL);
	CHECK_EQ(l2tp_context_tunnel_count(ctx), 2);

	/* Closing one tunnel frees its IDs and name for reuse. */
	l2tp_tunnel_close(t, "test");
	tc = tcfg(1);
	CHECK_EQ(l2tp_tunnel_create(ctx, L2TP_TUNNEL_STATIC, "t1", &tc, &t, err, sizeof(err)), 0);
	CHECK_EQ(l2tp_session_create(t2, "s1", &sc, &s, err, sizeof(err)), 0);
	l2tp_context_free(ctx);
	event_base_free(base);
}

static void many_tunnels_and_sessions(void)
{
	struct event_base *base = event_base_new();
	struct seen seen = {0};
	struct l2tp_context *ctx = new_ctx(base, &seen);
	char err[256], name[32];
	int ok = 0;
	l2tp_context_set_log_level(ctx, L2TP_LOG_ERROR);
	for (uint32_t i = 1; i <= 200; i++) {
		struct l2tp_tunnel *t;
		struct l2tp_tunnel_config tc = tcfg(i);
		snprintf(name, sizeof(name), "t%u", i);
		if (l2tp_tunnel_create(ctx, L2TP_TUNNEL_STATIC, name, &tc, &t, err, sizeof(err)) != 0)
			continue;
		for (uint32_t j = 1; j <= 10; j++) {
			struct l2tp_session *s;
			struct l2tp_session_config sc = scfg(i * 100 + j);
			snprintf(name, sizeof(name), "s%u", j);
			ok += l2tp_session_create(t, name, &sc, &s, err, sizeof(err)) == 0;
		}
	}
	CHECK_EQ(ok, 2000);
	CHECK_EQ(l2tp_context_tunnel_count(ctx), 200);
	CHECK(l2tp_tunnel_find(ctx, "t150") != NULL);
	CHECK(l2tp_session_find(l2tp_tunnel_find(ctx, "t150"), "s7") != NULL);
	l2tp_context_free(ctx);
	event_base_free(base);
}

static bool all_used(void *arg, uint32_t id)
{
	(void)id;
	++*(int *)arg;
	return true;
}

static uint32_t free_one;

static bool all_but_one(void *arg, uint32_t id)
{
	(void)arg;
	return id != free_one;
}

/* L2TPv3 IDs use the 32-bit space: in a few draws one is above 65535. */
static bool none_used(void *arg, uint32_t id)
{
	(void)arg;
	(void)id;
	return false;
}

static void wide_random_ids_use_32_bits(void)
{
	bool above = false;
	for (int i = 0; i < 16 && !above; i++)
		above = l2tp_random_id(none_used, NULL, true) > 0xffffu;
	CHECK(above);
	for (int i = 0; i < 64; i++)
		CHECK(l2tp_random_id(none_used, NULL, false) <= 0xffffu);
}

static void random_ids_end_when_every_id_is_taken(void)
{
	int asked = 0;
	CHECK_EQ(l2tp_random_id(all_used, &asked, false), 0);
	CHECK(asked <= 32 + 65535); /* a bounded search, not a loop for ever */
	asked = 0;
	CHECK_EQ(l2tp_random_id(all_used, &asked, true), 0);
	CHECK(asked <= 32 + 65535);
	free_one = 48611;
	CHECK_EQ(l2tp_random_id(all_but_one, NULL, false), 48611);
	CHECK_EQ(l2tp_random_id(all_but_one, NULL, true), 48611);
}

/* A session without long settings keeps a short config; one with them
 * keeps them, and both read back whole. */
static void a_session_keeps_long_settings_only_when_it_has_them(void)
{
	struct event_base *base = event_base_new();
	struct seen seen = {0};
	struct l2tp_context *ctx = new_ctx(base, &seen);
	struct l2tp_tunnel *t;
	struct l2tp_session *plain, *rich;
	char err[256];
	struct l2tp_tunnel_config tc = tcfg(1);
	struct l2tp_session_config sc = scfg(10);

	CHECK_EQ(l2tp_tunnel_create(ctx, L2TP_TUNNEL_STATIC, "t1", &tc, &t, err, sizeof(err)), 0);
	CHECK_EQ(l2tp_session_create(t, "plain", &sc, &plain, err, sizeof(err)), 0);
	sc = scfg(11);
	snprintf(sc.pppd_extra, sizeof(sc.pppd_extra), "noauth\nmtu 1400");
	snprintf(sc.remote_end_id, sizeof(sc.remote_end_id), "vc-7");
	CHECK_EQ(l2tp_session_create(t, "rich", &sc, &rich, err, sizeof(err)), 0);
	CHECK(plain->cfg_short);
	CHECK(!rich->cfg_short);
	const struct l2tp_session_config *c = l2tp_session_config(plain);
	CHECK_EQ(c->sid, 10);
	CHECK_EQ(c->psid, 1010);
	CHECK_STR(c->pppd_extra, "");
	CHECK_STR(c->remote_end_id, "");
	CHECK_STR(l2tp_session_name(plain), "plain");
	c = l2tp_session_config(rich);
	CHECK_EQ(c->sid, 11);
	CHECK_STR(c->pppd_extra, "noauth\nmtu 1400");
	CHECK_STR(c->remote_end_id, "vc-7");
	CHECK_STR(l2tp_session_name(rich), "rich");
	l2tp_context_close(ctx);
	event_base_loop(base, EVLOOP_NONBLOCK);
	l2tp_context_free(ctx);
	event_base_free(base);
}

int main(void)
{
	RUN(a_session_keeps_long_settings_only_when_it_has_them);
	RUN(events_are_delivered_from_the_loop_in_order);
	RUN(duplicates_are_refused_and_nothing_is_created);
	RUN(many_tunnels_and_sessions);
	RUN(random_ids_end_when_every_id_is_taken);
	RUN(wide_random_ids_use_32_bits);
	return check_report();
}
