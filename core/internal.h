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

/* The control connection's states and events (control.c), and the
 * call's (call.c): what their tables are indexed by. */
enum l2tp_cc_state {
	L2TP_CC_IDLE,
	L2TP_CC_WAIT_CTL_REPLY,
	L2TP_CC_WAIT_CTL_CONN,
	L2TP_CC_ESTABLISHED,
	L2TP_CC_NSTATES,
};

enum l2tp_cc_event {
	L2TP_CE_SCCRQ,
	L2TP_CE_SCCRP,
	L2TP_CE_SCCCN,
	L2TP_CE_STOPCCN,
	L2TP_CE_HELLO,
	L2TP_CE_OCRQ,
	L2TP_CE_OCRP,
	L2TP_CE_OCCN,
	L2TP_CE_ICRQ,
	L2TP_CE_ICRP,
	L2TP_CE_ICCN,
	L2TP_CE_CDN,
	L2TP_CE_WEN,
	L2TP_CE_SLI,
	L2TP_CE_OTHER,	   /* a message type neither role handles */
	L2TP_CE_MALFORMED, /* a message that did not decode */
	L2TP_CE_SETUP_TIMER,
	L2TP_CE_NEVENTS,
};

enum l2tp_call_state {
	L2TP_CS_WAIT_TUNNEL,
	L2TP_CS_WAIT_REPLY,
	L2TP_CS_WAIT_CONNECT,
	L2TP_CS_ESTABLISHED,
	L2TP_CS_NSTATES,
};

enum l2tp_call_event {
	L2TP_SE_TUNNEL_UP,
	L2TP_SE_ICRP,
	L2TP_SE_ICCN,
	L2TP_SE_OCRP,
	L2TP_SE_OCCN,
	L2TP_SE_CDN,
	L2TP_SE_WEN,
	L2TP_SE_SLI,
	L2TP_SE_MALFORMED,
	L2TP_SE_SETUP_TIMER,
	L2TP_SE_NEVENTS,
};

/* Whose table a tunnel runs: a dynamic tunnel is the initiator (LAC), an
 * accepted one the responder (LNS); quiescent ones have a table of their
 * own, static ones no control channel at all. */
enum l2tp_role { L2TP_ROLE_LAC, L2TP_ROLE_LNS, L2TP_ROLE_QUIESCENT };

/* Whose table a call runs: the one who places it or the one who answers,
 * in each role. A LAC places incoming calls (ICRQ) and answers outgoing
 * ones (OCRQ), an LNS the other way round. */
enum l2tp_call_kind { L2TP_CALL_LAC_IN, L2TP_CALL_LNS_IN, L2TP_CALL_LNS_OUT, L2TP_CALL_LAC_OUT, L2TP_CALL_NKINDS };

enum l2tp_obj_type { L2TP_OBJ_TUNNEL = 1, L2TP_OBJ_SESSION = 2, L2TP_OBJ_LISTENER = 3 };

/* Common head of tunnels and sessions: what the handle table indexes. */
struct l2tp_obj {
	struct l2tp_hnode by_handle;
	uint64_t handle;
	enum l2tp_obj_type type;
};

/* log.c: repetition limits, per call site. */
#define L2TP_LOG_SLOTS 64
#define L2TP_LOG_WINDOW_MS 10000u
#define L2TP_LOG_BURST 100u
#define L2TP_LOG_SAMPLE 300
struct l2tp_log_slot {
	const char *site; /* the format string of the call */
	const void *obj;  /* the tunnel or session it is about, or NULL */
	uint64_t start;	  /* the window's, on the io clock */
	uint32_t n, held; /* lines in this window; of them, not logged */
	enum l2tp_log_level level;
	char sample[L2TP_LOG_SAMPLE]; /* the first line held */
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
	struct l2tp_htable dialing; /* LAC tunnels awaiting an SCCRP, by the LNS's host (tie breaks) */
	struct l2tp_htable v3_sessions_by_id; /* L2TPv3 session IDs are unique per host */
	struct l2tp_tunnel *tunnels_head, *tunnels_tail;
	size_t ntunnels;
	uint64_t next_handle;
	bool closed;

	struct event *evq_ev;
	struct l2tp_evq_item *evq_head, *evq_tail;
	struct l2tp_evq_item *evq_spare; /* delivered items kept for reuse */
	size_t nspare;

	struct l2tp_io *io;	  /* sockets and the clock */
	/* Closed tunnels' channels in their StopCCN hold, oldest first. */
	struct l2tp_linger *linger_head, *linger_tail;
	size_t nlinger, max_lingering;
	size_t tunnels_high; /* most tunnels since memory was last given back */
	struct l2tp_htable linger_by_peer;
	size_t nsessions;
	struct l2tp_procs *procs; /* pppd children; made when first needed */
	struct l2tp_listener *listeners;
	struct l2tp_pppoe_ac *pppoe_acs; /* pppoe_ac.c: closed with the context */
	uint32_t router_id; /* random, for L2TPv3 tunnels with no address of their own to give */
	struct l2tp_log_slot log_slots[L2TP_LOG_SLOTS];
	struct event *log_ev; /* reports what was held when a window ends */
	struct l2tp_pcap *pcap; /* capturing to, or NULL */
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
	L2TP_REFUSED_ADDRESS,
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
	struct l2tp_addr_range *allow; /* cfg.allow parsed; NULL: any LAC */
	size_t nallow;
	/* Stateless answers (refusals) allowed now: a token bucket, so the
	 * listener cannot be used to reflect traffic at a third party. */
	uint32_t answer_tokens;
	uint64_t answer_refill;
	/* Refusals are logged once, then summed up every few seconds. */
	uint64_t quiet_until;
	uint32_t quiet[L2TP_REFUSED_N];
	int busy;  /* inside its input path (a hook may close it) */
	bool dead; /* closed while busy: freed when the path returns */
	/* With a secret, made once: L2TPv3's message authentication key and
	 * the secret its hidden AVPs use (see l2tp_hiding_secret). */
	uint8_t auth_key[L2TP_AUTH_KEY_LEN], v3_hiding_key[L2TP_AUTH_KEY_LEN];
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

	struct l2tp_hnode by_name, by_id, by_dial;
	bool dialing; /* in the context's dialing table */
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
	struct l2tp_htable sessions_by_psid; /* calls the peer placed */
	struct l2tp_session *sessions_head, *sessions_tail;
	size_t nsessions;

	bool dp_created;
	bool up;
	bool closing;
	uint64_t up_at; /* io clock, ms: when it came up (for the accounting in session_down) */
	/* Its data plane counters as destroy read them, while session_down is
	 * posted; NULL otherwise. */
	const struct l2tp_session_stats *final_stats;
	bool stop_sent; /* we sent the StopCCN (so we hold only until it is acknowledged) */
	int busy;	/* in a message's handling, which may run a script's hook */
	bool freed;	/* gone while busy: the memory goes when the handling returns */

	struct l2tp_channel *ch; /* quiescent and dynamic tunnels */

	enum l2tp_cc_state state; /* the control connection's (static ones: established) */
	struct l2tp_listener *listener; /* accepted tunnels, while it lives */
	bool challenged;		/* we sent a Challenge (LNS) */
	l2tp_ocrq_fn ocrq_hook;		/* LAC: accepts outgoing calls */
	void *ocrq_arg;
	uint8_t our_challenge[16];
	uint8_t nonce[16]; /* L2TPv3 with a secret: our Control Message Authentication Nonce */
	uint32_t call_serial;
};

struct l2tp_session {
	struct l2tp_obj obj;
	struct l2tp_tunnel *tunnel;
	char *name; /* in the same allocation, after cfg */
	char ifname[L2TP_IFNAME_MAX];

	struct l2tp_hnode by_name, by_id, by_v3_id, by_psid;
	bool psid_indexed;
	struct l2tp_session *prev, *next;

	bool dp_created;
	bool up;
	bool closing;
	uint64_t up_at; /* io clock, ms: when it came up (for the accounting in session_down) */
	/* Its data plane counters as destroy read them, while session_down is
	 * posted; NULL otherwise. */
	const struct l2tp_session_stats *final_stats;

	bool counted; /* in its listener's session count */
	/* in its tunnel's list of calls in setup */
	bool in_setup;
	uint64_t setup_deadline;
	struct l2tp_session *call_prev, *call_next;

	enum l2tp_call_state state; /* dynamic sessions: the call's */
	bool outgoing;		    /* an OCRQ's call, placed by either role */
	bool peer_circuit_down;	    /* L2TPv3: as the peer's last Circuit Status said */
	int ppp_fd;		 /* PPPoL2TP socket, or -1 */
	struct l2tp_proc *pppd;	 /* running for this session, or NULL */
	struct l2tp_ppp_bridge *bridge; /* pppbridge.c: a PPPoE session's, or NULL */

	/* Last, and without its long strings when they are all empty
	 * (cfg_short): most sessions have none, and they were most of a
	 * session's memory. Those are read through L2TP_SESSION_LONG, the whole
	 * config through l2tp_session_config_copy. */
	bool cfg_short;
	struct l2tp_session_config cfg;
};

/* The part of a config a short session keeps. */
#define L2TP_SESSION_CFG_SHORT offsetof(struct l2tp_session_config, remote_end_id)
/* One of a session's long strings ("" when it keeps its config short). */
#define L2TP_SESSION_LONG(s, field) ((s)->cfg_short ? "" : (const char *)(s)->cfg.field)

/* context.c */
uint64_t l2tp_context_new_handle(struct l2tp_context *ctx);
int l2tp_context_register(struct l2tp_context *ctx, struct l2tp_obj *obj);
void l2tp_context_unregister(struct l2tp_context *ctx, struct l2tp_obj *obj);
/* Queues an event about t (and s, if not NULL). */
void l2tp_context_post(struct l2tp_context *ctx, enum l2tp_event_type type, const struct l2tp_tunnel *t,
		       const struct l2tp_session *s, const char *reason, const struct l2tp_result *result);
void l2tp_dp_tunnel_fill(const struct l2tp_tunnel *t, struct l2tp_dp_tunnel *out);
void l2tp_dp_session_fill(const struct l2tp_session *s, struct l2tp_dp_session *out);

/* trace.c: the io tap (traces and captures) */
struct l2tp_tap_packet;
void l2tp_trace_tap(void *arg, const struct l2tp_tap_packet *p);

/* log.c */
/* Logs the counts of lines held back by the repetition limit now. */
void l2tp_log_flush(struct l2tp_context *ctx);
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
/* tunnel.c: the Router ID an L2TPv3 tunnel gives (RFC 3931 section
 * 5.4.3): as configured, else its local IPv4 address, else the context's
 * random one. */
uint32_t l2tp_tunnel_router_id(const struct l2tp_tunnel *t);
/* tunnel.c: the secret that hides AVPs in a tunnel of version v with
 * config c: the configured one (L2TPv2), a key made from it into key
 * (L2TPv3, RFC 3931 section 5.3); NULL without a secret. */
const uint8_t *l2tp_hiding_secret(const struct l2tp_tunnel_config *c, enum l2tp_version v,
				  uint8_t key[L2TP_AUTH_KEY_LEN], size_t *len);

/* tunnel.c: sends a message on the tunnel's control channel (header IDs
 * filled in from the tunnel and session s, if any). */
int l2tp_tunnel_send(struct l2tp_tunnel *t, const struct l2tp_session *s, struct l2tp_msg *m);
/* tunnel.c: an LNS accepts a tunnel whose first datagram (an SCCRQ, with
 * the LAC's tunnel ID peer_tid) is buf, decoded in sccrq, from peer
 * (peer_str as formatted); same_port: its socket shares the listener's
 * port, else it answers from a port of its own; secret: this LAC's (the
 * listener's, or one its admission hook chose). */
int l2tp_tunnel_accept(struct l2tp_listener *l, const struct sockaddr *peer, socklen_t peer_len, const char *peer_str,
		       uint32_t peer_tid, bool same_port, const char *secret, uint8_t *buf, size_t len,
		       struct l2tp_msg *sccrq, char *err, size_t errlen);
/* tunnel.c: sends one StopCCN and frees the tunnel without a StopCCN hold
 * (a pending tunnel the listener evicts to make room). */
void l2tp_tunnel_evict(struct l2tp_tunnel *t, const char *reason);
/* tunnel.c: a LAC tunnel enters or leaves the context's table of those
 * awaiting an SCCRP; the one awaiting a reply from peer's host, if any. */
void l2tp_tunnel_set_dialing(struct l2tp_tunnel *t, bool on);
struct l2tp_tunnel *l2tp_tunnel_dialing(struct l2tp_context *ctx, const struct sockaddr *peer);
/* tunnel.c: what to add to a reason for a tunnel the peer did not answer:
 * that the peer's messages failed the digest check, if they did ("" if
 * not). */
const char *l2tp_tunnel_auth_hint(const struct l2tp_tunnel *t, char *buf, size_t len);
/* tunnel.c: dynamic and accepted tunnels carry calls. */
bool l2tp_tunnel_has_calls(const struct l2tp_tunnel *t);
/* tunnel.c: whether the peer has acknowledged anything we sent (a LAC
 * that answers, not a forged address). */
bool l2tp_tunnel_heard_back(const struct l2tp_tunnel *t);
/* tunnel.c: keeps the tunnel's memory while a handler that may close it
 * runs; the last release frees a tunnel that went meanwhile. */
void l2tp_tunnel_hold(struct l2tp_tunnel *t);
void l2tp_tunnel_release(struct l2tp_tunnel *t);
/* tunnel.c: the tunnel's alarm, from its own setup deadline and the
 * first of its calls'. */
void l2tp_tunnel_update_alarm(struct l2tp_tunnel *t);
void l2tp_tunnel_call_setup_start(struct l2tp_tunnel *t, struct l2tp_session *s);
void l2tp_tunnel_call_setup_done(struct l2tp_tunnel *t, struct l2tp_session *s);

/* listener.c: the accepted tunnel t is made, established, or gone. */
int l2tp_listener_tunnel_added(struct l2tp_listener *l, struct l2tp_tunnel *t);
void l2tp_listener_tunnel_up(struct l2tp_listener *l, struct l2tp_tunnel *t);
void l2tp_listener_tunnel_gone(struct l2tp_listener *l, struct l2tp_tunnel *t);
/* listener.c: admission of a call on an accepted tunnel (l NULL: a
 * tunnel whose listener is gone admits everything): its limits, then the
 * script's hook, which may set cfg. Non-zero: refused, with the CDN's
 * result in v. */
int l2tp_listener_admit_call(struct l2tp_listener *l, const struct l2tp_call_request *req,
			     struct l2tp_session_config *cfg, struct l2tp_verdict *v);
/* listener.c: an admitted call's session is made, or a session is gone
 * (counted only if it was admitted). */
void l2tp_listener_call_added(struct l2tp_listener *l, struct l2tp_session *s);
void l2tp_listener_call_gone(struct l2tp_listener *l, struct l2tp_session *s);
/* listener.c: an accepted tunnel did not come up in time. */
void l2tp_listener_setup_timeout(struct l2tp_listener *l);
/* listener.c: takes a token for a datagram to a LAC that has not shown it
 * is there (a refusal, an eviction's StopCCN); false when the rate limit
 * says to send nothing. */
bool l2tp_listener_may_answer(struct l2tp_listener *l);
/* listener.c: a datagram for the listener that arrived elsewhere. */
void l2tp_listener_input(struct l2tp_listener *l, uint8_t *buf, size_t len, const struct sockaddr *from,
			 socklen_t from_len);
void l2tp_listener_close_all(struct l2tp_context *ctx);
/* pppoe_ac.c */
void l2tp_pppoe_ac_close_all(struct l2tp_context *ctx);

/* control.c: the control connection's state machine. */
enum l2tp_role l2tp_tunnel_role(const struct l2tp_tunnel *t);
/* A LAC's first step: SCCRQ, and wait-ctl-reply. */
void l2tp_control_open(struct l2tp_tunnel *t);
/* A message (or, with err, one that did not decode) from the channel. */
void l2tp_control_input(struct l2tp_tunnel *t, const struct l2tp_msg *m, const struct l2tp_codec_error *err);
/* One event through the role's table; m and err as the event needs. */
void l2tp_control_event(struct l2tp_tunnel *t, enum l2tp_cc_event ev, const struct l2tp_msg *m,
			const struct l2tp_codec_error *err);
/* L2TPv3 with a secret: message authentication on (peer_nonce: the
 * LAC's, for an LNS). False after the tunnel is dropped. */
bool l2tp_control_auth_start(struct l2tp_tunnel *t, const uint8_t *peer_nonce, size_t peer_len);
/* StopCCN, then down with the StopCCN hold. */
void l2tp_control_stop(struct l2tp_tunnel *t, uint16_t result, uint16_t error, const char *msg, const char *reason);
/* One StopCCN (within the listener's answer budget), down without a hold. */
void l2tp_control_drop(struct l2tp_tunnel *t, uint16_t result, uint16_t error, const char *msg, const char *reason);
enum l2tp_cc_event l2tp_cc_event_of(uint16_t msg_type);
const char *l2tp_cc_state_name(enum l2tp_cc_state s);
const char *l2tp_cc_event_name(enum l2tp_cc_event e);
/* The states a role's table has rows for. */
const enum l2tp_cc_state *l2tp_control_states(enum l2tp_role role, size_t *n);

/* call.c: the call's state machine. */
void l2tp_call_event(struct l2tp_session *s, enum l2tp_call_event ev, const struct l2tp_msg *m,
		     const struct l2tp_codec_error *err);
/* A new call of ours: wait-tunnel, or at once on an established tunnel
 * its ICRQ (LAC) or OCRQ (LNS). */
void l2tp_call_place(struct l2tp_session *s);
/* An ICRQ at an LNS; an OCRQ at a LAC whose script takes outgoing calls. */
void l2tp_call_incoming(struct l2tp_tunnel *t, const struct l2tp_msg *m);
void l2tp_call_outgoing(struct l2tp_tunnel *t, const struct l2tp_msg *m);
/* A CDN to the peer's session peer_sid, with no session of ours. */
void l2tp_call_refuse(struct l2tp_tunnel *t, uint32_t peer_sid, const struct l2tp_verdict *v);
/* CDN (result NULL: administrative) once the peer knows the call, then
 * the session goes. */
void l2tp_call_hangup(struct l2tp_session *s, const char *reason, const struct l2tp_result *result);
enum l2tp_call_event l2tp_call_event_of(uint16_t msg_type);
const char *l2tp_call_state_name(enum l2tp_call_state s);
const char *l2tp_call_event_name(enum l2tp_call_event e);
const enum l2tp_call_state *l2tp_call_states(enum l2tp_call_kind kind, size_t *n);
enum l2tp_call_kind l2tp_call_kind_of(const struct l2tp_session *s);

/* session.c: the object. */
/* The session's whole config: cfg itself, or out filled in from it. */
const struct l2tp_session_config *l2tp_session_config_copy(const struct l2tp_session *s,
							   struct l2tp_session_config *out);
struct l2tp_session *l2tp_session_by_id(struct l2tp_tunnel *t, uint32_t sid);
struct l2tp_session *l2tp_session_by_peer_id(struct l2tp_tunnel *t, uint32_t psid);
/* A random session ID no session of t has (L2TPv3: of this host); 0 when
 * none is free. */
uint32_t l2tp_session_free_id(struct l2tp_tunnel *t);
/* A session for a call the peer placed (ID peer_sid), named prefix and
 * our random ID; cfg gets both IDs. */
int l2tp_session_answered(struct l2tp_tunnel *t, uint32_t peer_sid, struct l2tp_session_config *cfg,
			  const char *prefix, struct l2tp_session **out);
/* Takes the session down and frees it; the peer is not told. */
void l2tp_session_destroy(struct l2tp_session *s, const char *reason, const struct l2tp_result *result);

/* pppd.c */
int l2tp_pppd_start(struct l2tp_session *s, char *err, size_t errlen);
void l2tp_pppd_stop(struct l2tp_session *s);
/* pppbridge.c: pppac calls that carry a PPPoE session, on the kernel */
int l2tp_ppp_bridge_start(struct l2tp_session *s, char *err, size_t errlen);
/* Unbridges and closes all but the PPPoL2TP socket (s->ppp_fd), whose
 * close deletes the kernel session: the caller closes it last. */
void l2tp_ppp_bridge_stop(struct l2tp_session *s);

/* messages.c: one builder per control message; the header's IDs are the
 * sender's to fill. */
#define L2TP_CHALLENGE_LEN 16
void l2tp_build_sccrq(struct l2tp_msg *m, const struct l2tp_tunnel *t, const uint8_t *challenge);
void l2tp_build_sccrp(struct l2tp_msg *m, const struct l2tp_tunnel *t, const uint8_t *challenge,
		      const uint8_t *response);
void l2tp_build_scccn(struct l2tp_msg *m, uint8_t version, const uint8_t *response);
/* tid 0 in L2TPv3: no Assigned Control Connection ID (a refusal before
 * we have one). */
void l2tp_build_stopccn(struct l2tp_msg *m, uint8_t version, uint32_t tid, uint16_t result, uint16_t error,
			const char *text);
void l2tp_build_sli(struct l2tp_msg *m, const struct l2tp_session *s, bool active);
void l2tp_build_call_request(struct l2tp_msg *m, uint16_t type, const struct l2tp_session *s, uint32_t serial);
/* ICRP, OCRP. */
void l2tp_build_call_reply(struct l2tp_msg *m, uint16_t type, const struct l2tp_session *s);
/* ICCN, OCCN. */
void l2tp_build_call_connected(struct l2tp_msg *m, uint16_t type, const struct l2tp_session *s);
/* sid: ours; psid: the peer's (L2TPv3 only: v2 puts it in the header). */
void l2tp_build_cdn(struct l2tp_msg *m, uint8_t version, uint32_t sid, uint32_t psid, uint16_t result, uint16_t error,
		    const char *text);
/* Which of our sessions a call's message is for: the header's session
 * ID (L2TPv2), its Remote Session ID AVP (L2TPv3); 0 for none. */
uint32_t l2tp_msg_call_id(const struct l2tp_msg *m);
/* A Result Code AVP into res (absent: result 0). */
void l2tp_result_from_msg(const struct l2tp_msg *m, struct l2tp_result *res);
void l2tp_result_set(struct l2tp_result *res, uint16_t result, uint16_t error, const char *msg);

#endif
