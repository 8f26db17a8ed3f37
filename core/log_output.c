/* Log outputs (see l2tp/log.h). */
#include "l2tp/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define SYSLOG_PATH "/dev/log"
#define FACILITY_DAEMON (3 << 3)

struct l2tp_log_output {
	enum l2tp_log_target target;
	int fd;
	bool own_fd; /* the syslog socket is ours to close */
	char ident[64];
	struct sockaddr_un addr;
	bool is_socket;	     /* the journal's stream */
	uint64_t dropped;    /* lines lost, ever */
	uint64_t unreported; /* of them, not yet owned up to in the log */
};

/* syslog(3)'s severities for our levels. */
static int severity(enum l2tp_log_level level)
{
	switch (level) {
	case L2TP_LOG_ERROR: return 3;
	case L2TP_LOG_WARN: return 4;
	case L2TP_LOG_INFO: return 6;
	default: return 7;
	}
}

bool l2tp_log_fd_is_journal(int fd)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(fd, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static int syslog_connect(struct l2tp_log_output *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (o->fd < 0)
		return -errno;
	if (connect(o->fd, (struct sockaddr *)&o->addr, sizeof(o->addr)) != 0) {
		int e = errno;
		close(o->fd);
		o->fd = -1;
		return -e;
	}
	return 0;
}

int l2tp_log_output_open(const struct l2tp_log_output_config *cfg, struct l2tp_log_output **out, char *err,
			 size_t errlen)
{
	*out = NULL;
	struct l2tp_log_output *o = calloc(1, sizeof(*o));
	if (!o)
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	o->target = cfg->target;
	o->fd = cfg->fd;
	snprintf(o->ident, sizeof(o->ident), "%s", cfg->ident && cfg->ident[0] ? cfg->ident : "l2tp");
	struct stat st;
	o->is_socket = cfg->target == L2TP_LOG_TO_JOURNAL && fstat(o->fd, &st) == 0 && S_ISSOCK(st.st_mode);
	if (cfg->target == L2TP_LOG_TO_SYSLOG) {
		const char *path = cfg->path ? cfg->path : SYSLOG_PATH;
		o->fd = -1;
		o->own_fd = true;
		o->addr.sun_family = AF_UNIX;
		if (strlen(path) >= sizeof(o->addr.sun_path)) {
			free(o);
			return l2tp_errf(err, errlen, -ENAMETOOLONG, "syslog socket path '%s' is too long", path);
		}
		memcpy(o->addr.sun_path, path, strlen(path) + 1);
		int rc = syslog_connect(o);
		if (rc) {
			free(o);
			return l2tp_errf(err, errlen, rc, "cannot reach syslog at %s: %s", path, strerror(-rc));
		}
	}
	*out = o;
	return 0;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* nowhere to report that logging failed */
		buf += n;
		len -= (size_t)n;
	}
}

static bool syslog_send(struct l2tp_log_output *o, const char *buf, size_t len)
{
	if (o->fd < 0 && syslog_connect(o) != 0)
		return false;
	if (send(o->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		return true;
	/* A syslog daemon that was restarted has a new socket: one more try. */
	return (errno == ECONNREFUSED || errno == ENOTCONN) && syslog_connect(o) == 0 &&
	       send(o->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0;
}

/* journald's stream is a socket: a journald that stalls must not stall us.
 * A line goes whole or not at all (a half line would glue onto the next);
 * the rare partial send is finished as a plain write. */
static bool journal_send(struct l2tp_log_output *o, const char *buf, size_t len)
{
	if (!o->is_socket) {
		write_all(o->fd, buf, len);
		return true;
	}
	ssize_t n = send(o->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n <= 0)
		return false;
	write_all(o->fd, buf + n, len - (size_t)n);
	return true;
}

/* One line as the target wants it, in buf; its length. */
static size_t format(struct l2tp_log_output *o, enum l2tp_log_level level, const char *line, char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char when[40], zone[8];
	int n = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	switch (o->target) {
	case L2TP_LOG_TO_STDERR:
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		strftime(zone, sizeof(zone), "%z", &tm);
		n = snprintf(buf, size, "%s.%03ld%s %s: %s\n", when, ts.tv_nsec / 1000000, zone, l2tp_log_level_name(level),
			     line);
		break;
	case L2TP_LOG_TO_JOURNAL: {
		/* Every line of a message (a traceback) carries the priority,
		 * or journald files the rest at its default. */
		size_t used = 0;
		const char *p = line;
		do {
			size_t len = strcspn(p, "\n");
			int m = snprintf(buf + used, size - used, "<%d>%.*s\n", severity(level), (int)len, p);
			if (m < 0 || (size_t)m >= size - used)
				break;
			used += (size_t)m;
			p += len + (p[len] ? 1 : 0);
		} while (*p);
		return used;
	}
	case L2TP_LOG_TO_SYSLOG:
		strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm);
		n = snprintf(buf, size, "<%d>%s %s[%ld]: %s", FACILITY_DAEMON | severity(level), when, o->ident,
			     (long)getpid(), line);
		break;
	}
	if (n < 0)
		return 0;
	if ((size_t)n >= size) {
		n = (int)size - 1;
		if (o->target == L2TP_LOG_TO_STDERR)
			buf[n - 1] = '\n';
	}
	return (size_t)n;
}

static bool deliver(struct l2tp_log_output *o, const char *buf, size_t len)
{
	switch (o->target) {
	case L2TP_LOG_TO_SYSLOG: return syslog_send(o, buf, len);
	case L2TP_LOG_TO_JOURNAL: return journal_send(o, buf, len);
	default: write_all(o->fd, buf, len); return true;
	}
}

void l2tp_log_output_write(struct l2tp_log_output *o, enum l2tp_log_level level, const char *line)
{
	char buf[4096];
	/* Lines lost while the log did not keep up are owned up to first. */
	if (o->unreported) {
		char note[128];
		snprintf(note, sizeof(note), "%llu log lines were lost: the log did not take them",
			 (unsigned long long)o->unreported);
		size_t len = format(o, L2TP_LOG_WARN, note, buf, sizeof(buf));
		if (!deliver(o, buf, len)) {
			o->dropped++;
			o->unreported++;
			return;
		}
		o->unreported = 0;
	}
	size_t len = format(o, level, line, buf, sizeof(buf));
	if (len && !deliver(o, buf, len)) {
		o->dropped++;
		o->unreported++;
	}
}

uint64_t l2tp_log_output_dropped(const struct l2tp_log_output *o)
{
	return o->dropped;
}

void l2tp_log_output_free(struct l2tp_log_output *o)
{
	if (!o)
		return;
	if (o->own_fd && o->fd >= 0)
		close(o->fd);
	free(o);
}
