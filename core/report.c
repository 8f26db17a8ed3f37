/* The state report an operator asks a running process for (SIGUSR1): one
 * line per context, listener, tunnel and session, with the counters that
 * say whether each is healthy. Lines go to a callback, so the host chooses
 * where they are written, whatever the log level. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

struct out {
	void (*line)(void *arg, const char *text);
	void *arg;
};

static void emit(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct out *o, const char *fmt, ...)
{
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	o->line(o->arg, text);
}

static void report_listener(struct out *o, const struct l2tp_listener *l)
{
	struct l2tp_listener_stats st;
	l2tp_listener_stats(l, &st);
	emit(o,
	     "listener '%s' on %s: %llu tunnels (%llu pending), %llu sessions; accepted %llu, refused %llu "
	     "(hook %llu, limit %llu, malformed %llu, auth %llu, version %llu), evicted %llu, setup timeouts %llu",
	     l->name, l->local_str, (unsigned long long)st.tunnels, (unsigned long long)st.pending,
	     (unsigned long long)st.sessions, (unsigned long long)st.accepted,
	     (unsigned long long)(st.refused_by_hook + st.refused_by_limit + st.refused_malformed + st.refused_auth +
				  st.refused_version),
	     (unsigned long long)st.refused_by_hook, (unsigned long long)st.refused_by_limit,
	     (unsigned long long)st.refused_malformed, (unsigned long long)st.refused_auth,
	     (unsigned long long)st.refused_version, (unsigned long long)st.evicted,
	     (unsigned long long)st.setup_timeouts);
}

static void report_tunnel(struct out *o, const struct l2tp_tunnel *t)
{
	struct l2tp_transport_stats st;
	char counters[256] = "";
	if (l2tp_tunnel_control_stats(t, &st) == 0)
		snprintf(counters, sizeof(counters),
			 "; control: tx %llu (retransmits %llu), rx %llu (duplicates %llu, bad %llu, bad digest %llu), "
			 "in flight %u",
			 (unsigned long long)st.tx_messages, (unsigned long long)st.tx_retransmits,
			 (unsigned long long)st.rx_messages, (unsigned long long)st.rx_duplicates,
			 (unsigned long long)st.rx_bad, (unsigned long long)st.rx_bad_digest, st.in_flight);
	emit(o, "tunnel '%s': %s %s/%s, %s, %s -> %s, tid %u ptid %u, %zu sessions%s", t->name,
	     l2tp_tunnel_kind_name(t->kind), l2tp_version_name(t->cfg.version), l2tp_encap_name(t->cfg.encap),
	     l2tp_tunnel_state_name(t), t->local_str, t->peer_str, t->cfg.tid, t->cfg.ptid, t->nsessions, counters);
	for (const struct l2tp_session *s = t->sessions_head; s; s = s->next)
		emit(o, "session '%s/%s': %s, %s, sid %u psid %u%s%s", t->name, s->name,
		     l2tp_pseudowire_name(s->cfg.pseudowire), l2tp_session_state_name(s), s->cfg.sid,
		     s->cfg.psid, s->ifname[0] ? ", interface " : "", s->ifname);
}

const char *l2tp_tunnel_state_name(const struct l2tp_tunnel *t)
{
	if (!l2tp_tunnel_has_calls(t))
		return t->up ? "up" : "down";
	return t->up ? "established" : l2tp_cc_state_name(t->state);
}

const char *l2tp_session_state_name(const struct l2tp_session *s)
{
	if (!l2tp_tunnel_has_calls(s->tunnel))
		return s->up ? "up" : "down";
	return l2tp_call_state_name(s->state);
}

void l2tp_context_report(const struct l2tp_context *ctx, void (*line)(void *arg, const char *text), void *arg)
{
	struct out o = {line, arg};
	struct l2tp_context_stats st;
	l2tp_context_stats(ctx, &st);
	emit(&o, "context: %llu tunnels, %llu sessions, %llu listeners, %llu lingering, %llu sockets",
	     (unsigned long long)st.tunnels, (unsigned long long)st.sessions, (unsigned long long)st.listeners,
	     (unsigned long long)st.lingering, (unsigned long long)st.sockets);
	for (const struct l2tp_listener *l = ctx->listeners; l; l = l->next)
		report_listener(&o, l);
	for (const struct l2tp_tunnel *t = ctx->tunnels_head; t; t = t->next)
		report_tunnel(&o, t);
}
