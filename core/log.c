#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const level_names[] = {"error", "warn", "info", "debug"};

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

void l2tp_vlog(struct l2tp_context *ctx, enum l2tp_log_level level, const char *fmt, va_list ap)
{
	char line[1024];
	if (ctx && level > ctx->log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (ctx && ctx->log_fn)
		ctx->log_fn(ctx->log_arg, level, line);
	else
		fprintf(stderr, "l2tp %s: %s\n", l2tp_log_level_name(level), line);
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
	char msg[900];
	va_list ap;
	if (level > t->ctx->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l2tp_log(t->ctx, level, "tunnel '%s': %s", t->name, msg);
}

void l2tp_slog(const struct l2tp_session *s, enum l2tp_log_level level, const char *fmt, ...)
{
	char msg[900];
	va_list ap;
	if (level > s->tunnel->ctx->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l2tp_log(s->tunnel->ctx, level, "session '%s/%s': %s", s->tunnel->name, s->name, msg);
}
