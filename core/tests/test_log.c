/* The log: repetition limits per call site, and the outputs (stderr with
 * timestamps, journald's prefix, syslog's socket). */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <regex.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "fake_io.h"
#include "l2tp/l2tp.h"
#include "l2tp/log.h"
#include "internal.h"

static char lines[400][400];
static int nlines;

static void capture(void *arg, enum l2tp_log_level level, const char *line)
{
	(void)arg;
	if (nlines < 400)
		snprintf(lines[nlines], sizeof(lines[0]), "%s: %s", l2tp_log_level_name(level), line);
	nlines++;
}

static struct l2tp_context *context(struct event_base *base, enum l2tp_log_level level)
{
	char err[256];
	struct l2tp_context *ctx;
	struct l2tp_context_config cc = {.log_level = level, .log_fn = capture, .io_ops = &fake_io_ops};
	fake_io_reset(1000, NULL);
	nlines = 0;
	if (l2tp_context_new(base, &cc, &ctx, err, sizeof(err)) != 0) {
		fprintf(stderr, "context: %s\n", err);
		exit(1);
	}
	return ctx;
}

static void flood(struct l2tp_context *ctx, int n)
{
	for (int i = 0; i < n; i++)
		l2tp_log(ctx, L2TP_LOG_WARN, "bad datagram %d from a stranger", i);
}

static void repetition_is_limited_per_call_site(void)
{
	struct event_base *base = event_base_new();
	struct l2tp_context *ctx = context(base, L2TP_LOG_INFO);
	flood(ctx, 150);
	CHECK_EQ(nlines, 100);
	CHECK_STR(lines[99], "warn: bad datagram 99 from a stranger");
	/* another call site is not held back by the first one's flood */
	l2tp_log(ctx, L2TP_LOG_INFO, "something else");
	CHECK_EQ(nlines, 101);
	/* the window ends: the count comes with the first line held */
	fake.now += 10000;
	flood(ctx, 1);
	CHECK_EQ(nlines, 103);
	CHECK_STR(lines[101], "warn: 50 more lines like this were not logged in the last 10 s: bad datagram 100 from a "
			      "stranger");
	CHECK_STR(lines[102], "warn: bad datagram 0 from a stranger");
	/* held lines are reported when the context goes, too */
	flood(ctx, 120);
	CHECK_EQ(nlines, 202);
	l2tp_context_free(ctx);
	CHECK_EQ(nlines, 203);
	CHECK_STR(lines[202], "warn: 21 more lines like this were not logged in the last 1 s: bad datagram 99 from a "
			      "stranger");
	event_base_free(base);
}

#define SITE(n) "site " #n ": line %d"
static const char *const sites[] = {SITE(0),  SITE(1),	SITE(2),  SITE(3),	SITE(4),  SITE(5),  SITE(6),
				    SITE(7),  SITE(8),	SITE(9),  SITE(10), SITE(11), SITE(12), SITE(13),
				    SITE(14), SITE(15), SITE(16), SITE(17), SITE(18), SITE(19), SITE(20),
				    SITE(21), SITE(22), SITE(23), SITE(24), SITE(25), SITE(26), SITE(27),
				    SITE(28), SITE(29), SITE(30), SITE(31), SITE(32), SITE(33), SITE(34),
				    SITE(35), SITE(36), SITE(37), SITE(38), SITE(39)};

/* Many sites whose lines alternate, some sharing slots: each is limited on
 * its own (when two that collide pushed each other out, neither was). */
static void sites_that_alternate_are_each_limited(void)
{
	struct event_base *base = event_base_new();
	struct l2tp_context *ctx = context(base, L2TP_LOG_INFO);
	for (int i = 0; i < 300; i++)
		for (size_t s = 0; s < L2TP_NELEM(sites); s++)
			l2tp_log(ctx, L2TP_LOG_WARN, sites[s], i);
	CHECK_EQ(nlines, 100 * (int)L2TP_NELEM(sites));
	l2tp_context_free(ctx);
	CHECK_EQ(nlines, 101 * (int)L2TP_NELEM(sites)); /* and one count each at the end */
	event_base_free(base);
}

/* A flood about one tunnel does not hold back the same line about others:
 * a mass reconnect logs every tunnel's lines. */
static void objects_are_limited_each_on_their_own(void)
{
	struct event_base *base = event_base_new();
	struct l2tp_context *ctx = context(base, L2TP_LOG_INFO);
	char err[256];
	struct l2tp_tunnel *t[3];
	for (int i = 0; i < 3; i++) {
		struct l2tp_tunnel_config c;
		char name[8], local[32];
		l2tp_tunnel_config_defaults(&c, L2TP_TUNNEL_STATIC);
		snprintf(local, sizeof(local), "127.0.0.1:%d", 5000 + i);
		snprintf(c.local, sizeof(c.local), "%s", local);
		snprintf(c.peer, sizeof(c.peer), "127.0.0.1:6000");
		c.tid = c.ptid = (uint32_t)(i + 1);
		snprintf(name, sizeof(name), "t%d", i);
		CHECK_EQ(l2tp_tunnel_create(ctx, L2TP_TUNNEL_STATIC, name, &c, &t[i], err, sizeof(err)), 0);
	}
	int before = nlines;
	for (int i = 0; i < 150; i++) {
		l2tp_tlog(t[0], L2TP_LOG_WARN, "flooded %d", i);
		if (i < 50) {
			l2tp_tlog(t[1], L2TP_LOG_WARN, "flooded %d", i);
			l2tp_tlog(t[2], L2TP_LOG_WARN, "flooded %d", i);
		}
	}
	CHECK_EQ(nlines - before, 100 + 50 + 50);
	l2tp_context_free(ctx);
	event_base_free(base);
}

static void debug_and_trace_are_never_held(void)
{
	struct event_base *base = event_base_new();
	struct l2tp_context *ctx = context(base, L2TP_LOG_TRACE);
	for (int i = 0; i < 300; i++)
		l2tp_log(ctx, L2TP_LOG_DEBUG, "asked for %d", i);
	CHECK_EQ(nlines, 301); /* and the context's own "context open" */
	l2tp_context_free(ctx);
	event_base_free(base);
}

static bool matches(const char *re, const char *s)
{
	regex_t r;
	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	bool ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

/* What a log output writes to a pipe. */
static void written(enum l2tp_log_target target, enum l2tp_log_level level, const char *line, char *out, size_t n)
{
	int p[2];
	char err[256];
	struct l2tp_log_output *o;
	out[0] = '\0';
	if (pipe(p) != 0)
		return;
	struct l2tp_log_output_config c = {.target = target, .fd = p[1]};
	CHECK_EQ(l2tp_log_output_open(&c, &o, err, sizeof(err)), 0);
	l2tp_log_output_write(o, level, line);
	l2tp_log_output_free(o);
	close(p[1]);
	ssize_t got = read(p[0], out, n - 1);
	out[got > 0 ? got : 0] = '\0';
	close(p[0]);
}

static void outputs_stderr_and_journal(void)
{
	char out[512];
	written(L2TP_LOG_TO_STDERR, L2TP_LOG_WARN, "tunnel 't1': no answer", out, sizeof(out));
	CHECK(matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}[+-][0-9]{4} warn: tunnel 't1': "
		      "no answer\n$",
		      out));
	written(L2TP_LOG_TO_JOURNAL, L2TP_LOG_ERROR, "it broke", out, sizeof(out));
	CHECK_STR(out, "<3>it broke\n");
	written(L2TP_LOG_TO_JOURNAL, L2TP_LOG_INFO, "fine", out, sizeof(out));
	CHECK_STR(out, "<6>fine\n");
	written(L2TP_LOG_TO_JOURNAL, L2TP_LOG_TRACE, "sent ZLB", out, sizeof(out));
	CHECK_STR(out, "<7>sent ZLB\n");
	/* a traceback: every line keeps the priority */
	written(L2TP_LOG_TO_JOURNAL, L2TP_LOG_ERROR, "hook: boom\nstack traceback:\n\tx.lua:1", out, sizeof(out));
	CHECK_STR(out, "<3>hook: boom\n<3>stack traceback:\n<3>\tx.lua:1\n");

	/* journald's stream that does not read: lines are lost and counted,
	 * the loop is never held (this would hang if a write blocked) */
	int sp[2];
	char err[256];
	struct l2tp_log_output *jo;
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	struct l2tp_log_output_config jc = {.target = L2TP_LOG_TO_JOURNAL, .fd = sp[0]};
	CHECK_EQ(l2tp_log_output_open(&jc, &jo, err, sizeof(err)), 0);
	for (int i = 0; i < 20000; i++)
		l2tp_log_output_write(jo, L2TP_LOG_INFO, "a line journald does not read yet ..............................");
	CHECK(l2tp_log_output_dropped(jo) > 0);
	l2tp_log_output_free(jo);
	close(sp[0]);
	close(sp[1]);

	/* systemd names journald's stream by device and inode */
	int fd = open("/dev/null", O_WRONLY);
	char js[64];
	struct stat st;
	fstat(fd, &st);
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	CHECK(l2tp_log_fd_is_journal(fd));
	setenv("JOURNAL_STREAM", "1:2", 1);
	CHECK(!l2tp_log_fd_is_journal(fd));
	unsetenv("JOURNAL_STREAM");
	CHECK(!l2tp_log_fd_is_journal(fd));
	close(fd);
}

static void outputs_syslog(void)
{
	char path[64], err[256], buf[600];
	snprintf(path, sizeof(path), "/tmp/l2tp-test-syslog.%ld", (long)getpid());
	unlink(path);
	struct l2tp_log_output_config c = {.target = L2TP_LOG_TO_SYSLOG, .ident = "lnsd", .path = path};
	struct l2tp_log_output *o;
	CHECK_EQ(l2tp_log_output_open(&c, &o, err, sizeof(err)), -ENOENT);
	CHECK(matches("^cannot reach syslog at /tmp/l2tp-test-syslog\\.[0-9]+: No such file or directory$", err));

	int rx = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	CHECK_EQ(bind(rx, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(l2tp_log_output_open(&c, &o, err, sizeof(err)), 0);
	l2tp_log_output_write(o, L2TP_LOG_ERROR, "listener 'lns': gone");
	ssize_t n = recv(rx, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	/* facility daemon (3) * 8 + severity err (3) */
	char want[128];
	snprintf(want, sizeof(want), "^<27>[A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} lnsd\\[%ld\\]: listener "
				     "'lns': gone$",
		 (long)getpid());
	CHECK(matches(want, buf));
	l2tp_log_output_write(o, L2TP_LOG_DEBUG, "x");
	n = recv(rx, buf, sizeof(buf) - 1, 0);
	CHECK(n > 5 && strncmp(buf, "<31>", 4) == 0);

	/* a syslog that does not read: lines are lost and counted, never waited for */
	for (int i = 0; i < 5000; i++)
		l2tp_log_output_write(o, L2TP_LOG_INFO, "a line nobody reads, long enough to fill the queue soon .........");
	CHECK(l2tp_log_output_dropped(o) > 0);
	uint64_t before = l2tp_log_output_dropped(o);
	/* syslog restarted: a new socket at the same path is found again */
	close(rx);
	unlink(path);
	rx = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_EQ(bind(rx, (struct sockaddr *)&a, sizeof(a)), 0);
	l2tp_log_output_write(o, L2TP_LOG_INFO, "after the restart");
	/* first it owns up to what was lost, then the line */
	n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	snprintf(want, sizeof(want), "^<28>.* lnsd\\[[0-9]+\\]: %llu log lines were lost: the log did not take them$",
		 (unsigned long long)before);
	CHECK(matches(want, buf));
	n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(matches("^<30>.* after the restart$", buf));
	CHECK_EQ(l2tp_log_output_dropped(o), before);
	l2tp_log_output_write(o, L2TP_LOG_INFO, "and then");
	n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	CHECK(matches("^<30>.* and then$", buf)); /* said once */
	l2tp_log_output_free(o);
	close(rx);
	unlink(path);
}

int main(void)
{
	RUN(repetition_is_limited_per_call_site);
	RUN(sites_that_alternate_are_each_limited);
	RUN(objects_are_limited_each_on_their_own);
	RUN(debug_and_trace_are_never_held);
	RUN(outputs_stderr_and_journal);
	RUN(outputs_syslog);
	return check_report();
}
