/* Where a daemon's log lines go: stderr with timestamps, journald's stream
 * (the priority as a "<N>" prefix, journald adds the time), or syslog over
 * its Unix socket. Every write is one non-blocking datagram or one write
 * of the whole line; a syslog that cannot keep up loses lines (counted)
 * rather than stall the loop. */
#ifndef L2TP_LOG_H
#define L2TP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l2tp/l2tp.h"

#ifdef __cplusplus
extern "C" {
#endif

enum l2tp_log_target {
	L2TP_LOG_TO_STDERR = 0, /* "2026-11-23T10:00:00.123+0100 info: line" */
	L2TP_LOG_TO_JOURNAL,	/* "<6>line" */
	L2TP_LOG_TO_SYSLOG,	/* RFC 3164 datagrams, facility daemon */
};

struct l2tp_log_output_config {
	enum l2tp_log_target target;
	int fd;		   /* stderr and journal: where to write (2 for stderr) */
	const char *ident; /* syslog: the program name in each line; NULL: "l2tp" */
	const char *path;  /* syslog: its socket; NULL: /dev/log */
};

struct l2tp_log_output;

int l2tp_log_output_open(const struct l2tp_log_output_config *cfg, struct l2tp_log_output **out, char *err,
			 size_t errlen);
void l2tp_log_output_write(struct l2tp_log_output *o, enum l2tp_log_level level, const char *line);
/* Lines syslog did not take (its queue full, or gone). */
uint64_t l2tp_log_output_dropped(const struct l2tp_log_output *o);
/* Accepts NULL. */
void l2tp_log_output_free(struct l2tp_log_output *o);
/* Whether fd is journald's stream: systemd names it in JOURNAL_STREAM. */
bool l2tp_log_fd_is_journal(int fd);

#ifdef __cplusplus
}
#endif
#endif
