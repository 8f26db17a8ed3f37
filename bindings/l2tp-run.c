/* l2tp-run: runs a Lua script with the `l2tp` module inside one libevent
 * loop. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <luajit.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "l2tp/pcap.h"
#include "runtime.h"

#define EXIT_SCRIPT_ERROR 1
#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fprintf(f,
		"usage: l2tp-run [options] SCRIPT [ARGS...]\n"
		"\n"
		"Runs SCRIPT (Lua, with the l2tp module preloaded; ARGS in `arg` and `...`),\n"
		"then runs the event loop until l2tp.stop(), until nothing is left to run\n"
		"(no open context, no pending timer, no child process), or SIGINT, SIGTERM\n"
		"or SIGQUIT, which close every context (tunnels, sessions and the kernel\n"
		"objects the runtime made) before exiting. SIGHUP, SIGUSR1 and SIGUSR2 go\n"
		"to the script's l2tp.on_signal handlers (SIGUSR1 first writes a state\n"
		"report to the log); unhandled, they are logged and ignored.\n"
		"\n"
		"options:\n"
		"  -c, --control PATH     serve the control socket at PATH (mode 0600) for\n"
		"                         l2tp-ctl; the script may add commands\n"
		"                         (l2tp.control.command)\n"
		"  -l, --log-level LEVEL  error, warn, info (default), debug, or trace (debug\n"
		"                         and one line per control message sent or received)\n"
		"  -s, --syslog[=IDENT]   log to syslog (/dev/log, facility daemon) as IDENT\n"
		"                         (default: the script's name); otherwise lines go to\n"
		"                         stderr with timestamps, or with journald's priority\n"
		"                         prefix when stderr is the journal (run by systemd)\n"
		"  -P, --pid-file PATH    hold a lock on PATH and write our pid in it; a second\n"
		"                         process given the same PATH refuses to start\n"
		"  -p, --pcap FILE        write every datagram the control plane sends and\n"
		"                         receives to FILE (pcap, for tshark or Wireshark)\n"
		"  -h, --help             this text\n"
		"  -V, --version          print the version\n"
		"\n"
		"exit status:\n"
		"  0  the loop ended, l2tp.stop() was called, or SIGINT/SIGTERM/SIGQUIT was\n"
		"     handled\n"
		"  1  the script failed to load or raised an error (message on stderr\n"
		"     as file:line: message)\n"
		"  2  bad command line\n"
		"  N  l2tp.stop(N) was called with an exit code\n");
}

struct host {
	lua_State *L;
	struct l2tp_lua_rt *rt;
	bool signalled;
};

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct host *h = arg;
	(void)what;
	l2tp_lua_logf(h->rt, L2TP_LOG_INFO, "%s received: closing every context",
		      sig == SIGINT ? "SIGINT" : sig == SIGQUIT ? "SIGQUIT" : "SIGTERM");
	h->signalled = true;
	l2tp_lua_rt_close_all(h->L, h->rt);
	h->rt->stop = true;
	event_base_loopbreak(h->rt->base);
}

/* --pid-file: the lock is the file's flock, held while we live, so a stale
 * file left by a killed process never blocks a start; the pid in it is for
 * people and service managers. */
static int lock_pidfile(const char *path)
{
	char buf[32];
	int fd = -1;
	/* The holder unlinks the file as it exits: a lock taken on a file
	 * already unlinked (opened just before) locks nothing, so look again. */
	for (int tries = 0; tries < 10; tries++) {
		struct stat opened, named;
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "l2tp-run: --pid-file: cannot open %s: %s\n", path, strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			ssize_t n = read(fd, buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			fprintf(stderr, "l2tp-run: --pid-file: another instance%s%s%s holds %s\n", buf[0] ? " (pid " : "",
				buf, buf[0] ? ")" : "", path);
			close(fd);
			return -1;
		}
		if (fstat(fd, &opened) == 0 && stat(path, &named) == 0 && opened.st_dev == named.st_dev &&
		    opened.st_ino == named.st_ino)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		fprintf(stderr, "l2tp-run: --pid-file: %s keeps changing under us\n", path);
		return -1;
	}
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		fprintf(stderr, "l2tp-run: --pid-file: cannot write %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int traceback(lua_State *L)
{
	/* Keep the first line as file:line: message; the stack follows. */
	const char *msg = lua_tostring(L, 1);
	if (!msg)
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	lua_getglobal(L, "debug");
	lua_getfield(L, -1, "traceback");
	lua_pushstring(L, msg);
	lua_pushinteger(L, 2);
	lua_call(L, 2, 1);
	return 1;
}

/* --control PATH: l2tp.control.listen(PATH) before the script runs, so a
 * daemon can be seen into from its first moment. */
static int open_control(lua_State *L, const char *path)
{
	lua_getglobal(L, "require");
	lua_pushliteral(L, "l2tp");
	if (lua_pcall(L, 1, 1, 0) != 0)
		goto fail;
	lua_getfield(L, -1, "control");
	lua_getfield(L, -1, "listen");
	lua_pushstring(L, path);
	if (lua_pcall(L, 1, 2, 0) != 0)
		goto fail;
	if (lua_isnil(L, -2)) {
		fprintf(stderr, "l2tp-run: --control: %s\n", lua_tostring(L, -1));
		lua_settop(L, 0);
		return -1;
	}
	lua_settop(L, 0);
	return 0;
fail:
	fprintf(stderr, "l2tp-run: --control: %s\n", lua_tostring(L, -1));
	lua_settop(L, 0);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"control", required_argument, NULL, 'c'},
		{"log-level", required_argument, NULL, 'l'},
		{"syslog", optional_argument, NULL, 's'},
		{"pcap", required_argument, NULL, 'p'},
		{"pid-file", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	enum l2tp_log_level level = L2TP_LOG_INFO;
	const char *control = NULL, *pcap = NULL, *ident = NULL, *pidfile = NULL;
	int pidfd = -1;
	bool syslog = false;
	int c;

	while ((c = getopt_long(argc, argv, "+c:l:s::p:P:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			control = optarg;
			break;
		case 'l':
			if (l2tp_log_level_parse(optarg, &level) != 0) {
				fprintf(stderr, "l2tp-run: log level '%s' is not valid (accepted: " L2TP_LOG_LEVELS ")\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			syslog = true;
			ident = optarg;
			break;
		case 'p':
			pcap = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("l2tp-run %s (%s)\n", L2TP_VERSION_STRING, LUAJIT_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "l2tp-run: no script given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Every tunnel holds a socket: take all the descriptors the hard
	 * limit allows (the soft one is often 1024). */
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}

	struct host h = {0};
	h.L = luaL_newstate();
	if (!h.L) {
		fprintf(stderr, "l2tp-run: cannot create the Lua state\n");
		return EXIT_SCRIPT_ERROR;
	}
	lua_State *L = h.L;
	luaL_openlibs(L);
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "preload");
	lua_pushcfunction(L, luaopen_l2tp);
	lua_setfield(L, -2, "l2tp");
	lua_pop(L, 2);
	h.rt = l2tp_lua_rt(L);
	h.rt->log_level = level;

	/* arg as luajit builds it: arg[0] the script, arg[1..] its arguments,
	 * negative indices the interpreter and its options. */
	int script = optind;
	lua_createtable(L, argc - script - 1, script + 1);
	for (int i = 0; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i - script);
	}
	lua_setglobal(L, "arg");

	/* No signal an operator or a service manager commonly sends ends the
	 * process without closing what it made. */
	static const int stopping[] = {SIGINT, SIGTERM, SIGQUIT};
	struct event *stop_events[3];
	for (int i = 0; i < 3; i++) {
		stop_events[i] = evsignal_new(h.rt->base, stopping[i], on_signal, &h);
		evsignal_add(stop_events[i], NULL);
	}
	l2tp_lua_signals_install(h.rt);

	int rc = 0;
	char err[256], name[64];
	if (pidfile && (pidfd = lock_pidfile(pidfile)) < 0) {
		rc = EXIT_SCRIPT_ERROR;
		goto out;
	}
	if (syslog) {
		/* The script's name, as "lnsd" for lnsd.lua. */
		if (!ident) {
			const char *base = strrchr(argv[script], '/');
			base = base ? base + 1 : argv[script];
			size_t n = strcspn(base, ".");
			snprintf(name, sizeof(name), "%.*s", (int)n, base);
			ident = name;
		}
		struct l2tp_log_output_config lc = {.target = L2TP_LOG_TO_SYSLOG, .ident = ident};
		if (l2tp_lua_rt_log_to(h.rt, &lc, err, sizeof(err)) != 0) {
			fprintf(stderr, "l2tp-run: --syslog: %s\n", err);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (pcap && l2tp_pcap_open(pcap, &h.rt->pcap, err, sizeof(err)) != 0) {
		fprintf(stderr, "l2tp-run: --pcap: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (control && open_control(L, control) != 0) {
		rc = EXIT_SCRIPT_ERROR;
		goto out;
	}
	lua_pushcfunction(L, traceback);
	int tb = lua_gettop(L);
	if (luaL_loadfile(L, argv[script]) != 0) {
		fprintf(stderr, "l2tp-run: %s\n", lua_tostring(L, -1));
		rc = EXIT_SCRIPT_ERROR;
		goto out;
	}
	for (int i = script + 1; i < argc; i++)
		lua_pushstring(L, argv[i]);
	if (lua_pcall(L, argc - script - 1, 0, tb) != 0) {
		const char *msg = lua_tostring(L, -1);
		const char *nl = msg ? strchr(msg, '\n') : NULL;
		/* file:line: message first; the traceback only when debugging. */
		if (nl && level < L2TP_LOG_DEBUG)
			fprintf(stderr, "%.*s\n", (int)(nl - msg), msg);
		else
			fprintf(stderr, "%s\n", msg ? msg : "(error)");
		rc = EXIT_SCRIPT_ERROR;
		goto out;
	}
	if (!h.rt->stop)
		l2tp_lua_rt_loop(L, h.rt, -1);
	rc = h.rt->exit_code;
out:
	/* Whatever happened, leave nothing behind in the kernel. */
	l2tp_lua_rt_close_all(L, h.rt);
	for (int i = 0; i < 3; i++)
		event_free(stop_events[i]);
	lua_close(L);
	if (pidfd >= 0) {
		unlink(pidfile);
		close(pidfd);
	}
	return rc;
}
