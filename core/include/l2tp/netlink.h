/* The kernel's L2TP subsystem over generic netlink (family "l2tp"), on
 * libmnl: every command of go-l2tp's nll2tp. Plain structs describe what is
 * asked for and what the kernel reports; calls return 0 or a negative errno
 * with a message a user can act on. */
#ifndef L2TP_NETLINK_H
#define L2TP_NETLINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "l2tp/dataplane.h"

#ifdef __cplusplus
extern "C" {
#endif

struct l2tp_nl;

struct l2tp_nl_tunnel {
	uint32_t tid, ptid;
	uint8_t version;     /* 2 or 3 */
	uint8_t encap;	     /* L2TP_ENCAP_UDP or L2TP_ENCAP_IP */
	int fd;		     /* managed: the control socket; -1: unmanaged, the kernel makes one */
	/* unmanaged tunnels */
	struct sockaddr_storage local, peer;
	bool udp_csum;	     /* IPv4 UDP checksums */
	bool udp6_zero_csum_tx, udp6_zero_csum_rx;
	uint32_t debug;
	/* reported by get and dump */
	bool has_addresses;
	struct l2tp_session_stats stats;
};

struct l2tp_nl_session {
	uint32_t tid, ptid, sid, psid;
	uint16_t pw_type;    /* L2TP_PW_ETH, L2TP_PW_PPP, L2TP_PW_PPP_AC */
	uint8_t l2spec_type; /* L2TP_L2SPEC_NONE or L2TP_L2SPEC_DEFAULT */
	uint8_t l2spec_len;
	uint8_t cookie[8], cookie_len;
	uint8_t peer_cookie[8], peer_cookie_len;
	char ifname[16];     /* asked for on create; the kernel's after get */
	bool send_seq, recv_seq, lns_mode;
	uint64_t reorder_timeout_ms;
	uint32_t debug;
	uint16_t mtu, mru;   /* sent where given; current kernels ignore them */
	struct l2tp_session_stats stats; /* get and dump */
};

int l2tp_nl_open(struct l2tp_nl **out, char *err, size_t errlen);
void l2tp_nl_close(struct l2tp_nl *nl);

int l2tp_nl_tunnel_create(struct l2tp_nl *nl, const struct l2tp_nl_tunnel *t, char *err, size_t errlen);
int l2tp_nl_tunnel_delete(struct l2tp_nl *nl, uint32_t tid, char *err, size_t errlen);
int l2tp_nl_tunnel_modify(struct l2tp_nl *nl, uint32_t tid, uint32_t debug, char *err, size_t errlen);
int l2tp_nl_tunnel_get(struct l2tp_nl *nl, uint32_t tid, struct l2tp_nl_tunnel *out, char *err, size_t errlen);
/* Calls fn for every tunnel the kernel has, made by us or not. */
int l2tp_nl_tunnel_dump(struct l2tp_nl *nl, void (*fn)(const struct l2tp_nl_tunnel *t, void *arg), void *arg,
			char *err, size_t errlen);

int l2tp_nl_session_create(struct l2tp_nl *nl, const struct l2tp_nl_session *s, char *err, size_t errlen);
int l2tp_nl_session_delete(struct l2tp_nl *nl, uint32_t tid, uint32_t sid, char *err, size_t errlen);
/* Changes what the kernel lets change: sequencing, LNS mode, reorder
 * timeout, debug, MTU/MRU. */
int l2tp_nl_session_modify(struct l2tp_nl *nl, const struct l2tp_nl_session *s, char *err, size_t errlen);
int l2tp_nl_session_get(struct l2tp_nl *nl, uint32_t tid, uint32_t sid, struct l2tp_nl_session *out, char *err,
			size_t errlen);
int l2tp_nl_session_dump(struct l2tp_nl *nl, void (*fn)(const struct l2tp_nl_session *s, void *arg), void *arg,
			 char *err, size_t errlen);


#ifdef __cplusplus
}
#endif
#endif
