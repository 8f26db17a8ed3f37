/* The core's private view of its objects. Only core/ includes this. */
#ifndef L2TP_INTERNAL_H
#define L2TP_INTERNAL_H

#include <netinet/in.h>
#include <stdarg.h>

#include "hash.h"
#include "l2tp/channel.h"
#include "l2tp/io.h"
#include "l2tp/process.h"
#include "l2tp/l2tp.h"
#include "util.h"

struct event;
struct l2tp_evq_item;

enum l2tp_obj_type { L2TP_OBJ_TUNNEL = 1, L2TP_OBJ_SESSION = 2, L2TP_OBJ_LISTENER = 3 };

/* Common head of tunnels and sessions: what the handle table indexes. */
struct l2tp_obj {
	struct l2tp_hnode by_handle;
	uint64_t handle;
	enum l2tp_obj_type type;
};

struct l2tp_context {
	struct event_base *base;
	const struct l2tp_dataplane_ops *dp;
	void *dp_state;
	enum l2tp_log_level log_level;
	l2tp_log_fn log_fn;
	void *log_arg;
	l2tp_event_fn event_fn;
	void *event_arg;

	struct l2tp_htable objs_by_handle;
	struct l2tp_htable tunnels_by_name;
	struct l2tp_htable tunnels_by_id;
	struct l2tp_htable v3_sessions_by_id; /* L2TPv3 session IDs are unique per host */
	struct l2tp_tunnel *tunnels_head, *tunnels_tail;
	size_t ntunnels;
	uint64_t next_handle;
	bool closed;

	struct event *evq_ev;
	struct l2tp_evq_item *evq_head, *evq_tail;

	struct l2tp_io *io;	  /* sockets and the clock */
	/* Closed tunnels' channels in their StopCCN hold, oldest first. */
	struct l2tp_linger *linger_head, *linger_tail;
	size_t nlinger, max_lingering;
	size_t tunnels_high; /* most tunnels since memory was last given back */
	struct l2tp_htable linger_by_peer;
	size_t nsessions;
	struct l2tp_procs *procs; /* pppd children; made when first needed */
	struct l2tp_listener *listeners;
};

/* Why a listener turned a tunnel request away (its rate-limited log
 * counts each). */
enum l2tp_refusal {
	L2TP_REFUSED_LIMIT,
	L2TP_REFUSED_EVICTED,
	L2TP_REFUSED_HOOK,
	L2TP_REFUSED_MALFORMED,
	L2TP_REFUSED_AUTH,
	L2TP_REFUSED_VERSION,
	L2TP_REFUSED_ERROR,
	L2TP_REFUSED_N,
};

struct l2tp_listener {
	struct l2tp_obj obj;
	struct l2tp_listener *next, **pprev;
	struct l2tp_context *ctx;
	char *name;
	struct l2tp_listener_config cfg;
	struct sockaddr_storage local;
	socklen_t local_len;
	char local_str[L2TP_ADDR_STRLEN];
	struct l2tp_endpoint *ep;
	uint32_t ntunnels, npending, nsessions, seq;
	/* Accepted tunnels still in setup, oldest first: the first to go
	 * when max_pending is reached. */
	struct l2tp_tunnel *pending_head, *pending_tail;
	struct l2tp_htable by_peer_tid; /* accepted tunnels by (LAC address, LAC tunnel ID) */
	struct l2tp_htable same_port;	/* those whose socket shares our port, by LAC address */
	struct l2tp_listener_stats stats;
	/* Stateless answers (refusals) allowed now: a token bucket, so the
	 * listener cannot be used to reflect traffic at a third party. */
	uint32_t answer_tokens;
	uint64_t answer_refill;
	/* Refusals are logged once, then summed up every few seconds. */
	uint64_t quiet_until;
	uint32_t quiet[L2TP_REFUSED_N];
	int busy;  /* inside its input path (a hook may close it) */
	bool dead; /* closed while busy: freed when the path returns */
	struct l2tp_msg msg, out; /* decode and build scratch */
	uint8_t copy[65540];	  /* a datagram decoded without changing the original */
};

struct l2tp_tunnel {
	struct l2tp_obj obj;
	struct l2tp_context *ctx;
	char *name;
	enum l2tp_tunnel_kind kind;
	struct l2tp_tunnel_config cfg;
	struct sockaddr_storage local, peer;
	socklen_t local_len, peer_len;
	char local_str[L2TP_ADDR_STRLEN], peer_str[L2TP_ADDR_STRLEN];

	struct l2tp_hnode by_name, by_id;
	struct l2tp_tunnel *prev, *next;
	/* accepted tunnels, in their listener's tables */
	struct l2tp_hnode by_peer_tid, by_peer;
	bool same_port; /* its socket shares the listener's port */
	bool pending;	/* in the listener's pending list */
	struct l2tp_tunnel *pend_prev, *pend_next;
	/* Setup timers: the tunnel's own until it is up, then its calls',
	 * oldest first (one setup_timeout for all, so deadlines are in order). */
	uint64_t setup_deadline;
	struct l2tp_session *calls_head, *calls_tail;

	struct l2tp_htable sessions_by_name;
	struct l2tp_htable sessions_by_id;
	struct l2tp_session *sessions_head, *sessions_tail;
	size_t nsessions;

	bool dp_created;
	bool up;
	bool closing;
	bool stop_sent; /* we sent the StopCCN (so we hold only until it is acknowledged) */
	int busy;	/* in a message's handling, which may run a script's hook */
	bool freed;	/* gone while busy: the memory goes when the handling returns */

	struct l2tp_channel *ch; /* quiescent and dynamic tunnels */

	/* dynamic tunnels (RFC 2661 initiator) */
	enum { TS_IDLE, TS_WAIT_CTL_REPLY, TS_WAIT_CTL_CONN, TS_ESTABLISHED } state;
	struct l2tp_listener *listener; /* accepted tunnels, while it lives */
	bool challenged;		/* we sent a Challenge (LNS) */
	l2tp_ocrq_fn ocrq_hook;		/* LAC: accepts outgoing calls */
	void *ocrq_arg;
	uint8_t our_challenge[16];
	uint32_t call_serial;
};

struct l2tp_session {
	struct l2tp_obj obj;
	struct l2tp_tunnel *tunnel;
	char *name;
	struct l2tp_session_config cfg;
	char ifname[L2TP_IFNAME_MAX];

	struct l2tp_hnode by_name, by_id, by_v3_id;
	struct l2tp_session *prev, *next;

	bool dp_created;
	bool up;
	bool closing;

	bool counted; /* in its listener's session count */
	/* in its tunnel's list of calls in setup */
	bool in_setup;
	uint64_t setup_deadline;
	struct l2tp_session *call_prev, *call_next;

	/* dynamic sessions (RFC 2661 LAC, incoming call) */
	enum { SS_WAIT_TUNNEL, SS_WAIT_REPLY, SS_WAIT_CONNECT, SS_ESTABLISHED } state;
	int ppp_fd;		 /* PPPoL2TP socket, or -1 */
	struct l2tp_proc *pppd;	 /* running for this session, or NULL */
};

/* context.c */
uint64_t l2tp_context_new_handle(struct l2tp_context *ctx);
int l2tp_context_register(struct l2tp_context *ctx, struct l2tp_obj *obj);
void l2tp_context_unregister(struct l2tp_context *ctx, struct l2tp_obj *obj);
/* Queues an event about t (and s, if not NULL). */
void l2tp_context_post(struct l2tp_context *ctx, enum l2tp_event_type type, const struct l2tp_tunnel *t,
		       const struct l2tp_session *s, const char *reason, const struct l2tp_result *result);
void l2tp_dp_tunnel_fill(const struct l2tp_tunnel *t, struct l2tp_dp_tunnel *out);
void l2tp_dp_session_fill(const struct l2tp_session *s, struct l2tp_dp_session *out);

/* log.c */
void l2tp_vlog(struct l2tp_context *ctx, enum l2tp_log_level level, const char *fmt, va_list ap);
void l2tp_tlog(const struct l2tp_tunnel *t, enum l2tp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void l2tp_slog(const struct l2tp_session *s, enum l2tp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* tunnel.c: takes the tunnel down, with the protocol's result if it gave
 * one; linger keeps the control channel for the StopCCN hold. */
void l2tp_tunnel_down(struct l2tp_tunnel *t, const char *reason, const struct l2tp_result *result, bool linger);

/* context.c: keeps a closed tunnel's channel until its StopCCN hold ends;
 * until_acked: we sent the StopCCN (released once it is acknowledged). */
void l2tp_context_linger(struct l2tp_context *ctx, struct l2tp_channel *ch, bool until_acked);
/* context.c: drops a lingering channel that a new one supersedes: bound to
 * local and talking to peer. */
void l2tp_context_unlinger(struct l2tp_context *ctx, const struct sockaddr *local, const struct sockaddr *peer);
/* context.c: a datagram that arrived on channel ch's socket for another
 * control connection: a listener on that socket's address may know it. */
void l2tp_context_stray(struct l2tp_context *ctx, struct l2tp_channel *ch, uint8_t *buf, size_t len,
			const struct sockaddr *from, socklen_t from_len);
uint64_t l2tp_context_now(const struct l2tp_context *ctx);
/* context.c: a tunnel came or went (tunnels counts them now). */
void l2tp_context_tunnels_changed(struct l2tp_context *ctx);
/* Whether this context's own sockets (accepted tunnels, StopCCN holds)
 * are bound to addr. */
bool l2tp_context_holds(struct l2tp_context *ctx, const struct sockaddr *addr);
struct l2tp_tunnel *l2tp_tunnel_by_id(struct l2tp_context *ctx, uint32_t tid);

/* tunnel.c: sends a message on the tunnel's control channel (header IDs
 * filled in from the tunnel and session s, if any). */
int l2tp_tunnel_send(struct l2tp_tunnel *t, const struct l2tp_session *s, struct l2tp_msg *m);
/* A fresh random 16-bit ID, not 0, for which used() is false; 0 when
 * every ID is in use. */
uint32_t l2tp_random_id(bool (*used)(void *arg, uint32_t id), void *arg);
/* Reads a Result Code AVP into res (absent: result 0). */
void l2tp_result_from_msg(const struct l2tp_msg *m, struct l2tp_result *res);

/* tunnel.c: an LNS accepts a tunnel whose first datagram (an SCCRQ, with
 * the LAC's tunnel ID peer_tid) is buf; same_port: its socket shares the
 * listener's port, else it answers from a port of its own. */
int l2tp_tunnel_accept(struct l2tp_listener *l, const struct sockaddr *peer, socklen_t peer_len, uint32_t peer_tid,
		       bool same_port, uint8_t *buf, size_t len, char *err, size_t errlen);
/* tunnel.c: sends one StopCCN and frees the tunnel without a StopCCN hold
 * (a pending tunnel the listener evicts to make room). */
void l2tp_tunnel_evict(struct l2tp_tunnel *t, const char *reason);

/* listener.c: the accepted tunnel t is made, established, or gone. */
int l2tp_listener_tunnel_added(struct l2tp_listener *l, struct l2tp_tunnel *t);
void l2tp_listener_tunnel_up(struct l2tp_listener *l, struct l2tp_tunnel *t);
void l2tp_listener_tunnel_gone(struct l2tp_listener *l, struct l2tp_tunnel *t);
/* listener.c: a call on an accepted tunnel is admitted or gone. */
void l2tp_listener_call_added(struct l2tp_listener *l);
void l2tp_listener_call_gone(struct l2tp_listener *l);
void l2tp_listener_call_refused(struct l2tp_listener *l);
/* listener.c: takes a token for a datagram to a LAC that has not shown it
 * is there (a refusal, an eviction's StopCCN); false when the rate limit
 * says to send nothing. */
bool l2tp_listener_may_answer(struct l2tp_listener *l);
/* tunnel.c: whether the peer has acknowledged anything we sent (a LAC
 * that answers, not a forged address). */
bool l2tp_tunnel_heard_back(const struct l2tp_tunnel *t);
/* listener.c: a datagram for the listener that arrived elsewhere. */
void l2tp_listener_input(struct l2tp_listener *l, uint8_t *buf, size_t len, const struct sockaddr *from,
			 socklen_t from_len);
void l2tp_listener_close_all(struct l2tp_context *ctx);

/* session.c */
/* An ICRQ on an LNS tunnel: admission, then ICRP. */
void l2tp_session_incoming(struct l2tp_tunnel *t, struct l2tp_msg *m);
/* An OCRQ on a LAC tunnel whose script accepts outgoing calls. */
void l2tp_session_outgoing(struct l2tp_tunnel *t, struct l2tp_msg *m);
void l2tp_session_destroy(struct l2tp_session *s, const char *reason, const struct l2tp_result *result);
/* Takes the session down; tell_peer sends a CDN with result first. */
void l2tp_session_down(struct l2tp_session *s, const char *reason, const struct l2tp_result *result, bool tell_peer);
/* The tunnel is established: pending calls go out. */
void l2tp_session_tunnel_up(struct l2tp_session *s);
/* A message for this session arrived on the control channel. */
void l2tp_session_recv(struct l2tp_session *s, struct l2tp_msg *m, const struct l2tp_codec_error *err);
struct l2tp_session *l2tp_session_by_id(struct l2tp_tunnel *t, uint32_t sid);
/* A call's setup timer ran out (the tunnel's alarm found it due). */
void l2tp_session_setup_expired(struct l2tp_session *s);

/* tunnel.c: the tunnel's list of calls in setup, whose first deadline is
 * the tunnel's alarm. */
void l2tp_tunnel_call_setup_start(struct l2tp_tunnel *t, struct l2tp_session *s);
void l2tp_tunnel_call_setup_done(struct l2tp_tunnel *t, struct l2tp_session *s);

#endif
