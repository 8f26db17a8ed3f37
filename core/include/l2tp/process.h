/* Child processes (pppd) on the event loop: spawned with their output
 * turned into log lines, reaped on SIGCHLD so none is left a zombie, and
 * reported when they exit. */
#ifndef L2TP_PROCESS_H
#define L2TP_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct l2tp_procs;
struct l2tp_proc;

struct l2tp_proc_ops {
	void (*output)(void *arg, const char *line);	 /* one line of stdout/stderr */
	void (*exited)(void *arg, int status);		 /* waitpid status; the proc is freed after */
};

struct l2tp_procs *l2tp_procs_new(struct event_base *base);
/* Terminates what is left (SIGTERM, then SIGKILL) and reaps it. */
void l2tp_procs_free(struct l2tp_procs *p);
size_t l2tp_procs_count(const struct l2tp_procs *p);

/* Starts argv[0] (searched in PATH) with keep_fd (or -1) left open across
 * exec. Returns the process or NULL with err filled. */
struct l2tp_proc *l2tp_proc_spawn(struct l2tp_procs *p, char *const argv[], int keep_fd,
				  const struct l2tp_proc_ops *ops, void *arg, char *err, size_t errlen);
/* Sends SIGTERM; the process is reported and freed when it has exited. The
 * owner's callbacks are not called any more. */
void l2tp_proc_stop(struct l2tp_proc *proc);
pid_t l2tp_proc_pid(const struct l2tp_proc *proc);

#ifdef __cplusplus
}
#endif
#endif
