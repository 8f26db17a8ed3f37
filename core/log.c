#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

const char *l2tp_log_level_name(enum l2tp_log_level level)
{
	if ((unsigned)level < sizeof(level_names) / sizeof(level_names[0]))
		return level_names[level];
	return "?";
}

int l2tp_log_level_parse(const char *name, enum l2tp_log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum l2tp_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void sink(struct l2tp_context *ctx, enum l2tp_log_level level, const char *line)
{
	if (ctx && ctx->log_fn)
		ctx->log_fn(ctx->log_arg, level, line);
	else
		fprintf(stderr, "l2tp %s: %s\n", l2tp_log_level_name(level), line);
}

/* Repetition is limited per call site (its format string): a stream of
 * packets a stranger sends, or a mass failure, must not turn into a stream
 * of log lines that drowns everything else or fills a disk. Past the burst
 * the lines of that site are counted, and the count is logged with one of
 * them when the window ends. Debug and trace lines, which the operator asked
 * for, are never held back. */
static void report_held(struct l2tp_context *ctx, struct l2tp_log_slot *sl, uint64_t now)
{
	if (sl->held) {
		char line[L2TP_LOG_SAMPLE + 100];
		unsigned secs = (unsigned)((now - sl->start + 999) / 1000);
		snprintf(line, sizeof(line), "%u more lines like this were not logged in the last %u s: %s", sl->held,
			 secs ? secs : 1, sl->sample);
		sink(ctx, sl->level, line);
		sl->held = 0;
	}
	sl->start = now;
	sl->n = 0;
}

static void arm(struct l2tp_context *ctx, uint64_t now);

static void on_window(evutil_socket_t fd, short what, void *arg)
{
	struct l2tp_context *ctx = arg;
	uint64_t now = l2tp_io_now(ctx->io);
	(void)fd, (void)what;
	for (size_t i = 0; i < L2TP_LOG_SLOTS; i++) {
		struct l2tp_log_slot *sl = &ctx->log_slots[i];
		if (sl->held && now - sl->start >= L2TP_LOG_WINDOW_MS)
			report_held(ctx, sl, now);
	}
	arm(ctx, now);
}

/* The timer for the earliest window that has lines held. */
static void arm(struct l2tp_context *ctx, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	for (size_t i = 0; i < L2TP_LOG_SLOTS; i++) {
		const struct l2tp_log_slot *sl = &ctx->log_slots[i];
		if (sl->held && sl->start + L2TP_LOG_WINDOW_MS < next)
			next = sl->start + L2TP_LOG_WINDOW_MS;
	}
	if (next == UINT64_MAX)
		return;
	if (!ctx->log_ev && !(ctx->log_ev = event_new(ctx->base, -1, 0, on_window, ctx)))
		return; /* the count is still reported with the site's next line */
	uint64_t in = next > now ? next - now : 0;
	struct timeval tv = {(time_t)(in / 1000), (suseconds_t)(in % 1000) * 1000};
	event_add(ctx->log_ev, &tv);
}

/* The slot of (site, obj), looked for in every slot: with fewer places
 * (a hash and a few probes) keys whose lines alternate pushed each other
 * out and so were never limited, as often as the addresses of their format
 * strings happened to cluster. Past 64 keys in play the oldest window
 * gives way. */
static struct l2tp_log_slot *slot_for(struct l2tp_context *ctx, const char *site, const void *obj, uint64_t now)
{
	struct l2tp_log_slot *free_one = NULL, *oldest = NULL;
	for (size_t i = 0; i < L2TP_LOG_SLOTS; i++) {
		struct l2tp_log_slot *sl = &ctx->log_slots[i];
		if (sl->site == site && sl->obj == obj)
			return sl;
		if (!free_one && (!sl->site || (!sl->held && now - sl->start >= L2TP_LOG_WINDOW_MS)))
			free_one = sl;
		if (!oldest || sl->start < oldest->start)
			oldest = sl;
	}
	struct l2tp_log_slot *sl = free_one ? free_one : oldest;
	report_held(ctx, sl, now);
	sl->site = site;
	sl->obj = obj;
	return sl;
}

/* obj: the tunnel or session a line is about, or NULL: a flood against
 * one object is limited without holding back the lines of others (a mass
 * reconnect's "established" lines, each session's pppd). */
static void emit(struct l2tp_context *ctx, enum l2tp_log_level level, const char *site, const void *obj,
		 const char *line)
{
	if (ctx && level <= L2TP_LOG_INFO && ctx->io) {
		uint64_t now = l2tp_io_now(ctx->io);
		struct l2tp_log_slot *sl = slot_for(ctx, site, obj, now);
		if (now - sl->start >= L2TP_LOG_WINDOW_MS)
			report_held(ctx, sl, now);
		if (++sl->n > L2TP_LOG_BURST) {
			if (sl->held++ == 0) {
				sl->level = level;
				snprintf(sl->sample, sizeof(sl->sample), "%s", line);
				arm(ctx, now);
			}
			return;
		}
	}
	sink(ctx, level, line);
}

void l2tp_log_flush(struct l2tp_context *ctx)
{
	uint64_t now = l2tp_io_now(ctx->io);
	for (size_t i = 0; i < L2TP_LOG_SLOTS; i++)
		if (ctx->log_slots[i].held)
			report_held(ctx, &ctx->log_slots[i], now);
	if (ctx->log_ev) {
		event_free(ctx->log_ev);
		ctx->log_ev = NULL;
	}
}

void l2tp_vlog(struct l2tp_context *ctx, enum l2tp_log_level level, const char *fmt, va_list ap)
{
	char line[1024];
	if (ctx && level > ctx->log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	emit(ctx, level, fmt, NULL, line);
}

void l2tp_log(struct l2tp_context *ctx, enum l2tp_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	l2tp_vlog(ctx, level, fmt, ap);
	va_end(ap);
}

/* Every line names its object so a log of many tunnels stays readable. */
void l2tp_tlog(const struct l2tp_tunnel *t, enum l2tp_log_level level, const char *fmt, ...)
{
	char msg[900], line[1024];
	va_list ap;
	if (level > t->ctx->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "tunnel '%s': %s", t->name, msg);
	emit(t->ctx, level, fmt, t, line);
}

void l2tp_slog(const struct l2tp_session *s, enum l2tp_log_level level, const char *fmt, ...)
{
	char msg[900], line[1024];
	va_list ap;
	if (level > s->tunnel->ctx->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "session '%s/%s': %s", s->tunnel->name, s->name, msg);
	emit(s->tunnel->ctx, level, fmt, s, line);
}
