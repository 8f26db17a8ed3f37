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
	uint64_t dropped;
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

void l2tp_log_output_write(struct l2tp_log_output *o, enum l2tp_log_level level, const char *line)
{
	char buf[2200];
	int n;
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	switch (o->target) {
	case L2TP_LOG_TO_STDERR: {
		char when[40], zone[8];
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		strftime(zone, sizeof(zone), "%z", &tm);
		n = snprintf(buf, sizeof(buf), "%s.%03ld%s %s: %s\n", when, ts.tv_nsec / 1000000, zone,
			     l2tp_log_level_name(level), line);
		break;
	}
	case L2TP_LOG_TO_JOURNAL:
		n = snprintf(buf, sizeof(buf), "<%d>%s\n", severity(level), line);
		break;
	case L2TP_LOG_TO_SYSLOG: {
		char when[20];
		strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm);
		n = snprintf(buf, sizeof(buf), "<%d>%s %s[%ld]: %s", FACILITY_DAEMON | severity(level), when, o->ident,
			     (long)getpid(), line);
		if (n < 0)
			return;
		size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
		if (o->fd < 0 && syslog_connect(o) != 0) {
			o->dropped++;
			return;
		}
		if (send(o->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return;
		/* A syslog daemon that was restarted has a new socket: one more try. */
		if ((errno == ECONNREFUSED || errno == ENOTCONN) && syslog_connect(o) == 0 &&
		    send(o->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return;
		o->dropped++;
		return;
	}
	default:
		return;
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	write_all(o->fd, buf, (size_t)n);
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
