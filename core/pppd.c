/* pppd for a PPP call, as kl2tpd runs it: on the session's PPPoL2TP
 * socket, supervised by the context's process table. Its exit hangs the
 * call up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

static void pppd_output(void *arg, const char *line)
{
	l2tp_slog(arg, L2TP_LOG_INFO, "pppd: %s", line);
}

static void pppd_exited(void *arg, int status)
{
	struct l2tp_session *s = arg;
	char why[100];
	s->pppd = NULL;
	if (WIFEXITED(status))
		snprintf(why, sizeof(why), "pppd exited with status %d", WEXITSTATUS(status));
	else
		snprintf(why, sizeof(why), "pppd was killed by signal %d", WTERMSIG(status));
	struct l2tp_result res;
	l2tp_result_set(&res, L2TP_RESULT_CDN_ADMIN, 0, why);
	l2tp_call_hangup(s, why, &res);
}

/* Adds the words of text, split at any of seps, to argv. */
static int add_words(char **argv, int n, int max, char *text, const char *seps)
{
	for (char *tok = strtok(text, seps); tok && n < max; tok = strtok(NULL, seps))
		argv[n++] = tok;
	return n;
}

/* Its plugin, the socket, the IDs, then the session's own arguments. */
int l2tp_pppd_start(struct l2tp_session *s, char *err, size_t errlen)
{
	struct l2tp_tunnel *t = s->tunnel;
	struct l2tp_context *ctx = t->ctx;
	struct l2tp_dp_tunnel dpt;
	struct l2tp_dp_session dps;
	char fdstr[16], tidstr[16], sidstr[16], mtustr[8], mrustr[8];
	char filebuf[4096], extra[sizeof(s->cfg.pppd_extra)];
	char *argv[256];
	int n = 0, rc;

	l2tp_dp_tunnel_fill(t, &dpt);
	l2tp_dp_session_fill(s, &dps);
	rc = ctx->dp->ppp_open(ctx->dp_state, &dpt, &dps, &s->ppp_fd, err, errlen);
	if (rc)
		return rc;
	if (!ctx->procs && !(ctx->procs = l2tp_procs_new(ctx->base)))
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	snprintf(fdstr, sizeof(fdstr), "%d", s->ppp_fd);
	snprintf(tidstr, sizeof(tidstr), "%u", t->cfg.tid);
	snprintf(sidstr, sizeof(sidstr), "%u", s->cfg.sid);
	argv[n++] = "pppd";
	argv[n++] = "plugin";
	argv[n++] = "pppol2tp.so";
	argv[n++] = "pppol2tp";
	argv[n++] = fdstr;
	argv[n++] = "pppol2tp_tunnel_id";
	argv[n++] = tidstr;
	argv[n++] = "pppol2tp_session_id";
	argv[n++] = sidstr;
	argv[n++] = "nodetach";
	if (t->kind == L2TP_TUNNEL_ACCEPTED)
		argv[n++] = "pppol2tp_lns_mode";
	if (s->cfg.interface_name[0]) {
		argv[n++] = "ifname";
		argv[n++] = s->cfg.interface_name;
	}
	/* Before the user's arguments, which may still say otherwise. */
	if (s->cfg.mtu) {
		snprintf(mtustr, sizeof(mtustr), "%u", s->cfg.mtu);
		argv[n++] = "mtu";
		argv[n++] = mtustr;
	}
	if (s->cfg.mru) {
		snprintf(mrustr, sizeof(mrustr), "%u", s->cfg.mru);
		argv[n++] = "mru";
		argv[n++] = mrustr;
	}
	const char *args = L2TP_SESSION_LONG(s, pppd_args);
	if (args[0]) {
		FILE *f = fopen(args, "r");
		if (!f)
			return l2tp_errf(err, errlen, -errno, "pppd_args %s: %s", args, strerror(errno));
		size_t got = fread(filebuf, 1, sizeof(filebuf) - 1, f);
		fclose(f);
		filebuf[got] = '\0';
		n = add_words(argv, n, 250, filebuf, " \t\r\n");
	}
	snprintf(extra, sizeof(extra), "%s", L2TP_SESSION_LONG(s, pppd_extra));
	n = add_words(argv, n, 250, extra, "\n");
	argv[n] = NULL;
	static const struct l2tp_proc_ops ops = {pppd_output, pppd_exited};
	s->pppd = l2tp_proc_spawn(ctx->procs, argv, s->ppp_fd, &ops, s, err, errlen);
	if (!s->pppd)
		return -ECHILD;
	l2tp_slog(s, L2TP_LOG_INFO, "pppd started, pid %d", (int)l2tp_proc_pid(s->pppd));
	return 0;
}

void l2tp_pppd_stop(struct l2tp_session *s)
{
	if (s->pppd) {
		l2tp_proc_stop(s->pppd); /* reaped on SIGCHLD by the context */
		s->pppd = NULL;
	}
	if (s->ppp_fd >= 0) {
		close(s->ppp_fd);
		s->ppp_fd = -1;
	}
}
