#define _GNU_SOURCE /* pipe2 */
#include "l2tp/process.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

struct l2tp_proc {
	struct l2tp_proc *next, **pprev;
	struct l2tp_procs *owner;
	pid_t pid;
	int out_fd;
	struct event *out_ev;
	char line[512];
	size_t used;
	struct l2tp_proc_ops ops;
	void *arg;
	bool stopped; /* the owner let go: no more callbacks */
};

struct l2tp_procs {
	struct event_base *base;
	struct event *sigchld;
	struct l2tp_proc *head;
	size_t count;
};

static void proc_free(struct l2tp_proc *pr)
{
	*pr->pprev = pr->next;
	if (pr->next)
		pr->next->pprev = pr->pprev;
	pr->owner->count--;
	if (pr->out_ev)
		event_free(pr->out_ev);
	if (pr->out_fd >= 0)
		close(pr->out_fd);
	free(pr);
}

static void emit(struct l2tp_proc *pr)
{
	pr->line[pr->used] = '\0';
	if (pr->used && !pr->stopped && pr->ops.output)
		pr->ops.output(pr->arg, pr->line);
	pr->used = 0;
}

static void on_output(evutil_socket_t fd, short what, void *arg)
{
	struct l2tp_proc *pr = arg;
	char buf[512];
	(void)what;
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n <= 0) {
		emit(pr);
		event_del(pr->out_ev);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || pr->used == sizeof(pr->line) - 1)
			emit(pr);
		if (buf[i] != '\n')
			pr->line[pr->used++] = buf[i];
	}
}

static void reap(struct l2tp_procs *p)
{
	struct l2tp_proc *pr = p->head;
	while (pr) {
		struct l2tp_proc *next = pr->next;
		int status;
		if (waitpid(pr->pid, &status, WNOHANG) == pr->pid) {
			/* Drain what it wrote before it died. */
			if (pr->out_fd >= 0) {
				on_output(pr->out_fd, EV_READ, pr);
			}
			if (!pr->stopped && pr->ops.exited)
				pr->ops.exited(pr->arg, status);
			proc_free(pr);
		}
		pr = next;
	}
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	(void)sig, (void)what;
	reap(arg);
}

struct l2tp_procs *l2tp_procs_new(struct event_base *base)
{
	struct l2tp_procs *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->base = base;
	p->sigchld = evsignal_new(base, SIGCHLD, on_sigchld, p);
	if (!p->sigchld) {
		free(p);
		return NULL;
	}
	return p;
}

size_t l2tp_procs_count(const struct l2tp_procs *p)
{
	return p ? p->count : 0;
}

void l2tp_procs_free(struct l2tp_procs *p)
{
	if (!p)
		return;
	for (struct l2tp_proc *pr = p->head; pr; pr = pr->next) {
		pr->stopped = true;
		kill(pr->pid, SIGTERM);
	}
	/* At shutdown only: give them a moment, then insist, and reap all. */
	for (int i = 0; i < 50 && p->head; i++) {
		reap(p);
		if (p->head) {
			struct timespec ts = {0, 20 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	while (p->head) {
		kill(p->head->pid, SIGKILL);
		waitpid(p->head->pid, NULL, 0);
		proc_free(p->head);
	}
	event_free(p->sigchld);
	free(p);
}

struct l2tp_proc *l2tp_proc_spawn(struct l2tp_procs *p, char *const argv[], int keep_fd,
				  const struct l2tp_proc_ops *ops, void *arg, char *err, size_t errlen)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		l2tp_errf(err, errlen, -errno, "pipe: %s", strerror(errno));
		return NULL;
	}
	struct l2tp_proc *pr = calloc(1, sizeof(*pr));
	if (!pr) {
		close(pipefd[0]);
		close(pipefd[1]);
		l2tp_errf(err, errlen, -ENOMEM, "out of memory");
		return NULL;
	}
	if (p->count == 0)
		evsignal_add(p->sigchld, NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		free(pr);
		l2tp_errf(err, errlen, -e, "fork: %s", strerror(e));
		return NULL;
	}
	if (pid == 0) {
		/* A group of its own: pppd signals its whole process group
		 * (kill(0, sig)) when it is stopped early in its start, which
		 * in ours would stop this process too. */
		setpgid(0, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		if (keep_fd >= 0)
			fcntl(keep_fd, F_SETFD, 0);
		signal(SIGPIPE, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	pr->owner = p;
	pr->pid = pid;
	pr->out_fd = pipefd[0];
	pr->ops = *ops;
	pr->arg = arg;
	pr->out_ev = event_new(p->base, pr->out_fd, EV_READ | EV_PERSIST, on_output, pr);
	event_add(pr->out_ev, NULL);
	pr->next = p->head;
	if (pr->next)
		pr->next->pprev = &pr->next;
	pr->pprev = &p->head;
	p->head = pr;
	p->count++;
	return pr;
}

void l2tp_proc_stop(struct l2tp_proc *pr)
{
	if (!pr || pr->stopped)
		return;
	pr->stopped = true;
	kill(pr->pid, SIGTERM);
}

pid_t l2tp_proc_pid(const struct l2tp_proc *pr)
{
	return pr->pid;
}
