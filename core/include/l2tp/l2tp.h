/* libl2tp: the L2TP control plane as a C library (no Lua in it).
 *
 * A context owns tunnels, tunnels own sessions. Objects are named (names are
 * unique in their parent) and carry a handle: a 64-bit number that is never
 * reused, so a caller holding a handle can always ask whether the object
 * still exists instead of holding a pointer the library may free. */
#ifndef L2TP_L2TP_H
#define L2TP_L2TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "l2tp/config.h"
#include "l2tp/dataplane.h"

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct l2tp_context;
struct l2tp_tunnel;
struct l2tp_session;

#define L2TP_VERSION_STRING "0.1.0"

enum l2tp_log_level {
	L2TP_LOG_ERROR = 0,
	L2TP_LOG_WARN = 1,
	L2TP_LOG_INFO = 2,
	L2TP_LOG_DEBUG = 3,
	L2TP_LOG_TRACE = 4, /* debug, and one line per control message sent or received */
};

/* A log sink gets one finished line (no trailing newline). */
typedef void (*l2tp_log_fn)(void *arg, enum l2tp_log_level level, const char *line);

const char *l2tp_log_level_name(enum l2tp_log_level level);
/* Every level's name, for messages. */
#define L2TP_LOG_LEVELS "error, warn, info, debug, trace"
/* Returns 0 and sets *out, or -EINVAL for an unknown name. */
int l2tp_log_level_parse(const char *name, enum l2tp_log_level *out);

enum l2tp_event_type {
	L2TP_EVENT_TUNNEL_UP = 0,
	L2TP_EVENT_TUNNEL_DOWN,
	L2TP_EVENT_SESSION_UP,
	L2TP_EVENT_SESSION_DOWN,
	L2TP_EVENT_SESSION_CIRCUIT, /* an L2TPv3 peer's SLI changed its circuit's status */
};

const char *l2tp_event_type_name(enum l2tp_event_type type);

/* Why something went down, as the protocol said it (Result Code AVP) where
 * it did; result_code 0 means the protocol gave none. */
struct l2tp_result {
	uint16_t result_code;
	uint16_t error_code;
	bool has_error_code;
	char message[256];
};

/* Events are queued and delivered from the event loop, never from inside an
 * API call, so a callback may create or close objects freely. Everything in
 * the event is a copy that lives as long as the callback runs. */
struct l2tp_event {
	enum l2tp_event_type type;
	const char *tunnel_name;
	uint64_t tunnel_handle;
	enum l2tp_tunnel_kind tunnel_kind;
	const struct l2tp_tunnel_config *tunnel_config;
	const char *local; /* formatted addresses */
	const char *peer;
	const char *session_name; /* NULL for tunnel events */
	uint64_t session_handle;
	const struct l2tp_session_config *session_config;
	const char *interface_name; /* NULL where there is none */
	const char *reason;	    /* down events: always set */
	bool established;	    /* down events: it had come up (a dynamic tunnel or call may fail before) */
	const struct l2tp_result *result; /* down events: where the protocol gave one */
	bool circuit_active;		  /* session_circuit: the peer's circuit is up */
	/* session_down, for accounting: the data plane's counters as they
	 * were when the session was deleted (NULL where it had no data plane
	 * session, as a call that failed in setup, or they could not be
	 * read), and how long it was up (0 if it never came up). */
	const struct l2tp_session_stats *stats;
	uint64_t up_ms;
};

typedef void (*l2tp_event_fn)(void *arg, const struct l2tp_event *ev);

struct l2tp_io_ops;

struct l2tp_context_config {
	const struct l2tp_dataplane_ops *dataplane; /* NULL: the null data plane */
	enum l2tp_log_level log_level;
	l2tp_log_fn log_fn; /* NULL: stderr */
	void *log_arg;
	l2tp_event_fn event_fn;
	void *event_arg;
	/* Closed tunnels' channels kept for their StopCCN hold (each holds a
	 * socket); past it the oldest is released early. 0: 1024. */
	uint32_t max_lingering;
	/* NULL: real sockets and clock. A test's own (see l2tp/io.h). */
	const struct l2tp_io_ops *io_ops;
	void *io_arg;
};

#define L2TP_DEFAULT_MAX_LINGERING 1024

int l2tp_context_new(struct event_base *base, const struct l2tp_context_config *cfg,
		     struct l2tp_context **out, char *err, size_t errlen);
/* Closes every tunnel (down events are queued); idempotent. */
void l2tp_context_close(struct l2tp_context *ctx);
bool l2tp_context_is_closed(const struct l2tp_context *ctx);
/* True while the context is open or has events not yet delivered. */
bool l2tp_context_busy(const struct l2tp_context *ctx);
/* Delivers queued events now. */
void l2tp_context_flush_events(struct l2tp_context *ctx);
/* Closes, drops undelivered events, frees. Accepts NULL. */
void l2tp_context_free(struct l2tp_context *ctx);
void l2tp_context_set_log_level(struct l2tp_context *ctx, enum l2tp_log_level level);
enum l2tp_log_level l2tp_context_log_level(const struct l2tp_context *ctx);
const char *l2tp_context_dataplane_name(const struct l2tp_context *ctx);
struct event_base *l2tp_context_base(const struct l2tp_context *ctx);

/* What a context holds now. */
struct l2tp_context_stats {
	uint64_t tunnels, sessions, listeners;
	uint64_t lingering; /* closed tunnels' channels in their StopCCN hold */
	uint64_t sockets;   /* every socket the context has open */
};
void l2tp_context_stats(const struct l2tp_context *ctx, struct l2tp_context_stats *out);
/* The operator's state report: one line of text per context, listener,
 * tunnel and session, with their counters, each passed to line(). */
void l2tp_context_report(const struct l2tp_context *ctx, void (*line)(void *arg, const char *text), void *arg);
/* The context's sockets and clock (tests drive a l2tp_io_ops one with it). */
struct l2tp_io *l2tp_context_io(const struct l2tp_context *ctx);

/* Captures every datagram the context's sockets send and receive into pc
 * (see l2tp/pcap.h; the context holds a reference), or stops: pc NULL. */
struct l2tp_pcap;
void l2tp_context_set_pcap(struct l2tp_context *ctx, struct l2tp_pcap *pc);

/* Logs through the context's sink; a NULL context logs to stderr. */
void l2tp_log(struct l2tp_context *ctx, enum l2tp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Lists the data plane's tunnels, including ones the runtime did not make
 * (like `ip l2tp show tunnel`). -EOPNOTSUPP where the data plane has no
 * such list (the null one). */
int l2tp_context_kernel_tunnels(struct l2tp_context *ctx,
				void (*fn)(const struct l2tp_dp_tunnel *t, const struct l2tp_session_stats *st, void *arg),
				void *arg, char *err, size_t errlen);

/* Tunnels. */
int l2tp_tunnel_create(struct l2tp_context *ctx, enum l2tp_tunnel_kind kind, const char *name,
		       const struct l2tp_tunnel_config *cfg, struct l2tp_tunnel **out, char *err,
		       size_t errlen);
struct l2tp_tunnel *l2tp_tunnel_find(struct l2tp_context *ctx, const char *name);
struct l2tp_tunnel *l2tp_tunnel_lookup(struct l2tp_context *ctx, uint64_t handle);
/* Calls fn for each tunnel in creation order; fn must not close tunnels. */
void l2tp_context_foreach_tunnel(struct l2tp_context *ctx,
				 void (*fn)(struct l2tp_tunnel *t, void *arg), void *arg);
size_t l2tp_context_tunnel_count(const struct l2tp_context *ctx);
/* Tears the tunnel and its sessions down; reason is logged and reported. */
void l2tp_tunnel_close(struct l2tp_tunnel *t, const char *reason);

const char *l2tp_tunnel_name(const struct l2tp_tunnel *t);
uint64_t l2tp_tunnel_handle(const struct l2tp_tunnel *t);
enum l2tp_tunnel_kind l2tp_tunnel_kind(const struct l2tp_tunnel *t);
const struct l2tp_tunnel_config *l2tp_tunnel_config(const struct l2tp_tunnel *t);
bool l2tp_tunnel_is_up(const struct l2tp_tunnel *t);
size_t l2tp_tunnel_session_count(const struct l2tp_tunnel *t);
/* "up"/"down" for a static or quiescent tunnel; for a dynamic one
 * "established" or the control connection's state (e.g. "wait-ctl-reply"). */
const char *l2tp_tunnel_state_name(const struct l2tp_tunnel *t);
/* The local and peer addresses as "host:port" ("" if not known yet). */
const char *l2tp_tunnel_local(const struct l2tp_tunnel *t);
const char *l2tp_tunnel_peer(const struct l2tp_tunnel *t);
/* The control channel's counters; -ENOENT for a static tunnel (it has none). */
struct l2tp_transport_stats;
int l2tp_tunnel_control_stats(const struct l2tp_tunnel *t, struct l2tp_transport_stats *out);

/* LNS: a listener accepts tunnels from any number of LACs. */
struct l2tp_listener;

/* What an admission hook sees of a tunnel request (SCCRQ). */
struct l2tp_tunnel_request {
	const char *peer;	 /* "host:port" */
	const char *host_name;
	const char *vendor_name; /* "" if absent */
	uint32_t peer_tid;
	uint8_t version; /* 2 or 3 */
};

/* What an admission hook may choose for the tunnel it admits. */
struct l2tp_tunnel_settings {
	/* This LAC's shared secret ("": the listener's): the request is
	 * authenticated with it (an L2TPv3 digest, an L2TPv2 challenge) once
	 * the hook has admitted it, and the tunnel uses it. */
	char secret[L2TP_SECRET_MAX];
};

/* What an admission hook sees of a call (ICRQ). */
struct l2tp_call_request {
	struct l2tp_tunnel *tunnel;
	uint32_t peer_sid;
	uint32_t serial;
	uint32_t bearer_type;
	const char *calling_number; /* "" if absent */
	const char *called_number;
	const char *sub_address;
	/* L2TPv3 */
	enum l2tp_pseudowire pseudowire;
	const char *remote_end_id; /* "" if absent */
};

/* A hook's answer: accept (result_code 0), or refuse with a result code
 * and message. on_call may also change the session's settings. */
struct l2tp_verdict {
	uint16_t result_code;
	uint16_t error_code;
	char message[128];
};

/* Which port an accepted tunnel answers from. */
enum l2tp_tunnel_port {
	/* The listener's, on a socket of its own connected to the LAC. A LAC
	 * that opens a second tunnel from an address and port that already
	 * has one gets that one from a new port (RFC 2661 section 8.1 lets
	 * it; such a LAC must adopt the port). */
	L2TP_TUNNEL_PORT_SAME = 0,
	/* Always a new one (every LAC must adopt it; firewalls and NAT must
	 * let the answer from an unknown port through). */
	L2TP_TUNNEL_PORT_NEW,
};

struct l2tp_listener_config {
	char local[L2TP_ADDR_STRLEN];		 /* "host:port"; "" = 0.0.0.0:1701 */
	uint32_t versions;			 /* L2TP_LISTEN_V2 | L2TP_LISTEN_V3 */
	struct l2tp_tunnel_config tunnel;	 /* template for accepted tunnels */
	/* 0: no limit. Past max_tunnels or max_sessions requests are refused;
	 * past max_pending (tunnels not yet up) the oldest pending one is
	 * dropped to make room, so a flood of requests that never complete
	 * cannot lock LACs out. */
	uint32_t max_tunnels, max_sessions, max_pending;
	enum l2tp_tunnel_port tunnel_port;
	/* The LACs whose SCCRQs are taken: address ranges ("192.0.2.0/24",
	 * "2001:db8::7", "192.0.2.10-192.0.2.20"), '\n'-separated; "" takes any.
	 * An SCCRQ from elsewhere gets no answer at all. */
	char allow[2048];
	/* Return 0 to accept (settings filled where the hook chooses them);
	 * nonzero with v filled to refuse. */
	int (*on_tunnel)(void *arg, struct l2tp_listener *l, const struct l2tp_tunnel_request *req,
			 struct l2tp_tunnel_settings *settings, struct l2tp_verdict *v);
	int (*on_call)(void *arg, struct l2tp_listener *l, const struct l2tp_call_request *req,
		       struct l2tp_session_config *settings, struct l2tp_verdict *v);
	void *hook_arg;
};

#define L2TP_DEFAULT_MAX_TUNNELS 16384
#define L2TP_DEFAULT_MAX_SESSIONS 262144
#define L2TP_DEFAULT_MAX_PENDING 1024
/* The defaults: no hooks, the tunnel defaults, the limits above. */
void l2tp_listener_config_defaults(struct l2tp_listener_config *cfg);

int l2tp_listener_create(struct l2tp_context *ctx, const char *name, const struct l2tp_listener_config *cfg,
			 struct l2tp_listener **out, char *err, size_t errlen);
/* Stops accepting; tunnels already accepted stay. */
void l2tp_listener_close(struct l2tp_listener *l);
/* Calls fn for each open listener; fn must not close listeners. */
void l2tp_context_foreach_listener(struct l2tp_context *ctx,
				   void (*fn)(struct l2tp_listener *l, void *arg), void *arg);
struct l2tp_listener *l2tp_listener_lookup(struct l2tp_context *ctx, uint64_t handle);
uint64_t l2tp_listener_handle(const struct l2tp_listener *l);
const char *l2tp_listener_name(const struct l2tp_listener *l);
/* The bound address ("host:port"), useful with port 0. */
const char *l2tp_listener_address(const struct l2tp_listener *l);
struct l2tp_listener_stats {
	uint64_t accepted, refused_by_hook, refused_by_limit, calls_accepted, calls_refused;
	uint64_t refused_malformed; /* SCCRQs answered with a StopCCN for what was wrong with them */
	uint64_t refused_auth;	    /* hidden AVPs that could not be read (no secret, wrong secret) */
	uint64_t refused_version;   /* SCCRQs of a version the listener does not take */
	uint64_t refused_address;   /* SCCRQs from an address not in allow (dropped unanswered) */
	uint64_t evicted;	    /* pending tunnels dropped to make room (max_pending) */
	uint64_t setup_timeouts;    /* accepted tunnels that did not come up in setup_timeout */
	uint64_t answers_dropped;   /* refusals not sent: over the answer rate limit */
	uint64_t tunnels, pending, sessions; /* now */
};
void l2tp_listener_stats(const struct l2tp_listener *l, struct l2tp_listener_stats *out);

/* LAC: a script may accept the LNS's outgoing call requests (OCRQ) on a
 * dynamic tunnel; without a hook they are refused (CDN result 5). The hook
 * returns 0 to accept (settings may be changed) or nonzero with v filled. */
typedef int (*l2tp_ocrq_fn)(void *arg, struct l2tp_tunnel *t, const struct l2tp_call_request *req,
			    struct l2tp_session_config *settings, struct l2tp_verdict *v);
void l2tp_tunnel_set_ocrq_hook(struct l2tp_tunnel *t, l2tp_ocrq_fn fn, void *arg);

/* Sessions. */
int l2tp_session_create(struct l2tp_tunnel *t, const char *name, const struct l2tp_session_config *cfg,
			struct l2tp_session **out, char *err, size_t errlen);
struct l2tp_session *l2tp_session_find(struct l2tp_tunnel *t, const char *name);
struct l2tp_session *l2tp_session_lookup(struct l2tp_context *ctx, uint64_t handle);
void l2tp_tunnel_foreach_session(struct l2tp_tunnel *t,
				 void (*fn)(struct l2tp_session *s, void *arg), void *arg);
void l2tp_session_close(struct l2tp_session *s, const char *reason);

const char *l2tp_session_name(const struct l2tp_session *s);
uint64_t l2tp_session_handle(const struct l2tp_session *s);
struct l2tp_tunnel *l2tp_session_tunnel(const struct l2tp_session *s);
/* Valid until the next call (a session may keep its config in a shorter
 * form of its own). */
const struct l2tp_session_config *l2tp_session_config(const struct l2tp_session *s);
/* The data plane's interface for the session, or NULL if it has none. */
const char *l2tp_session_interface_name(const struct l2tp_session *s);
bool l2tp_session_is_up(const struct l2tp_session *s);
/* "up"/"down" on a static or quiescent tunnel; the call's state otherwise
 * (e.g. "wait-reply", "established"). */
const char *l2tp_session_state_name(const struct l2tp_session *s);
/* L2TPv3, an established call: tells the peer our end of the circuit went
 * up or down (SLI with Circuit Status, RFC 3931 section 5.4.5). Returns 0,
 * or -EINVAL/-EAGAIN with the reason in err. */
int l2tp_session_set_circuit(struct l2tp_session *s, bool active, char *err, size_t errlen);
int l2tp_session_stats(struct l2tp_session *s, struct l2tp_session_stats *out, char *err,
		       size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
