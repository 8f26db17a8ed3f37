/* The data plane: where tunnels and sessions carry traffic. A vtable, so the
 * kernel (netlink) and the null plane walk the same control paths. */
#ifndef L2TP_DATAPLANE_H
#define L2TP_DATAPLANE_H

#include <stdint.h>
#include <sys/socket.h>

#include "l2tp/config.h"

#ifdef __cplusplus
extern "C" {
#endif

struct l2tp_dp_tunnel {
	enum l2tp_version version;
	enum l2tp_encap encap;
	uint32_t tid;
	uint32_t ptid;
	struct sockaddr_storage local;
	socklen_t local_len;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	int fd; /* managed tunnel: the control socket; -1: unmanaged (static) */
	uint32_t debug;
	bool udp_csum, udp6_zero_csum_tx, udp6_zero_csum_rx; /* unmanaged tunnels */
};

struct l2tp_dp_session {
	uint32_t tid;
	uint32_t ptid;
	const struct l2tp_session_config *cfg;
	bool lns_mode;
	/* where cfg points when the session keeps its config short */
	struct l2tp_session_config full;
};

struct l2tp_session_stats {
	uint64_t tx_packets, tx_bytes, tx_errors;
	uint64_t rx_packets, rx_bytes, rx_errors;
	uint64_t rx_seq_discards, rx_oos_packets;
	uint64_t rx_cookie_discards, rx_invalid;
};

struct l2tp_dataplane_ops {
	const char *name;
	int (*open)(void **state, char *err, size_t errlen);
	void (*close)(void *state);
	int (*tunnel_create)(void *state, const struct l2tp_dp_tunnel *t, char *err, size_t errlen);
	int (*tunnel_delete)(void *state, const struct l2tp_dp_tunnel *t, char *err, size_t errlen);
	/* ifname receives the interface the session made, or "" if none. */
	int (*session_create)(void *state, const struct l2tp_dp_session *s, char ifname[L2TP_IFNAME_MAX],
			      char *err, size_t errlen);
	int (*session_delete)(void *state, const struct l2tp_dp_session *s, char *err, size_t errlen);
	int (*session_stats)(void *state, const struct l2tp_dp_session *s, struct l2tp_session_stats *out,
			     char *err, size_t errlen);
	/* PPP sessions: a socket pppd can use (PPPoL2TP), connected to the
	 * session; NULL where the data plane has none (null). */
	int (*ppp_open)(void *state, const struct l2tp_dp_tunnel *t, const struct l2tp_dp_session *s, int *fd,
			char *err, size_t errlen);
	/* Lists every tunnel the data plane holds, ours or not (NULL: none to
	 * list). The tunnel's fd is -1; st has its counters. */
	int (*dump_tunnels)(void *state,
			    void (*fn)(const struct l2tp_dp_tunnel *t, const struct l2tp_session_stats *st, void *arg),
			    void *arg, char *err, size_t errlen);
};

extern const struct l2tp_dataplane_ops l2tp_dataplane_null;
extern const struct l2tp_dataplane_ops l2tp_dataplane_netlink;

/* Looks a data plane up by name ("null", "netlink"); NULL if unknown. */
const struct l2tp_dataplane_ops *l2tp_dataplane_find(const char *name);

#ifdef __cplusplus
}
#endif
#endif
