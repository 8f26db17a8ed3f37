/* The kernel data plane: tunnels and sessions made over netlink. */
#include <errno.h>
#include <netinet/in.h>
#include <linux/if_pppox.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "l2tp/netlink.h"

static int nl_dp_open(void **state, char *err, size_t errlen)
{
	struct l2tp_nl *nl;
	int rc = l2tp_nl_open(&nl, err, errlen);
	if (rc)
		return rc;
	*state = nl;
	return 0;
}

static void nl_dp_close(void *state)
{
	l2tp_nl_close(state);
}

static int nl_dp_tunnel_create(void *state, const struct l2tp_dp_tunnel *t, char *err, size_t errlen)
{
	struct l2tp_nl_tunnel nt = {
		.tid = t->tid,
		.ptid = t->ptid,
		.version = (uint8_t)t->version,
		.encap = (uint8_t)t->encap,
		.fd = t->fd,
		.local = t->local,
		.peer = t->peer,
		.debug = t->debug,
		.udp_csum = t->udp_csum,
		.udp6_zero_csum_tx = t->udp6_zero_csum_tx,
		.udp6_zero_csum_rx = t->udp6_zero_csum_rx,
	};
	return l2tp_nl_tunnel_create(state, &nt, err, errlen);
}

static int nl_dp_tunnel_delete(void *state, const struct l2tp_dp_tunnel *t, char *err, size_t errlen)
{
	return l2tp_nl_tunnel_delete(state, t->tid, err, errlen);
}

static void fill_session(const struct l2tp_dp_session *s, struct l2tp_nl_session *ns)
{
	const struct l2tp_session_config *c = s->cfg;
	memset(ns, 0, sizeof(*ns));
	ns->tid = s->tid;
	ns->ptid = s->ptid;
	ns->sid = c->sid;
	ns->psid = c->psid;
	/* The kernel has no VLAN pseudowire of its own: l2tpeth carries the
	 * tagged frames of an Ethernet VLAN one (RFC 4719) as they come. */
	/* Nor a PPP AC one (Debian 12's l2tp_ppp registers PPP only): a
	 * PPPoE session's call is a PPP session whose channel is bridged. */
	ns->pw_type = (uint16_t)(c->pseudowire == L2TP_PW_ETH_VLAN ? L2TP_PW_ETH
				 : c->pseudowire == L2TP_PW_PPP_AC ? L2TP_PW_PPP
								   : c->pseudowire);
	ns->l2spec_type = (uint8_t)c->l2spec_type;
	ns->l2spec_len = c->l2spec_type == L2TP_L2SPEC_DEFAULT ? 4 : 0;
	memcpy(ns->cookie, c->cookie, c->cookie_len);
	ns->cookie_len = c->cookie_len;
	memcpy(ns->peer_cookie, c->peer_cookie, c->peer_cookie_len);
	ns->peer_cookie_len = c->peer_cookie_len;
	snprintf(ns->ifname, sizeof(ns->ifname), "%s", c->interface_name);
	ns->send_seq = ns->recv_seq = c->seqnum;
	ns->lns_mode = s->lns_mode;
	ns->reorder_timeout_ms = c->reorder_timeout_ms;
	ns->debug = c->debug;
}

/* mtu on an Ethernet session's interface. */
static int set_mtu(const char *ifname, unsigned mtu, char *err, size_t errlen)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_mtu = (int)mtu;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = fd >= 0 && ioctl(fd, SIOCSIFMTU, &ifr) == 0 ? 0 : -errno;
	if (fd >= 0)
		close(fd);
	if (rc)
		return l2tp_errf(err, errlen, rc, "interface %s: cannot set mtu %u: %s", ifname, mtu, strerror(-rc));
	return 0;
}

static int nl_dp_session_create(void *state, const struct l2tp_dp_session *s, char ifname[L2TP_IFNAME_MAX],
				char *err, size_t errlen)
{
	struct l2tp_nl_session ns, got;
	fill_session(s, &ns);
	ifname[0] = '\0';
	int rc = l2tp_nl_session_create(state, &ns, err, errlen);
	if (rc)
		return rc;
	/* Only Ethernet sessions get an interface from the kernel; ask it
	 * which name it chose. */
	if (l2tp_pseudowire_is_ethernet(s->cfg->pseudowire) &&
	    l2tp_nl_session_get(state, ns.tid, ns.sid, &got, NULL, 0) == 0)
		snprintf(ifname, L2TP_IFNAME_MAX, "%s", got.ifname);
	if (s->cfg->mtu && ifname[0] && (rc = set_mtu(ifname, s->cfg->mtu, err, errlen)) != 0) {
		/* nothing left half-made */
		l2tp_nl_session_delete(state, ns.tid, ns.sid, NULL, 0);
		ifname[0] = '\0';
		return rc;
	}
	return 0;
}

static int nl_dp_session_delete(void *state, const struct l2tp_dp_session *s, char *err, size_t errlen)
{
	return l2tp_nl_session_delete(state, s->tid, s->cfg->sid, err, errlen);
}

static int nl_dp_session_stats(void *state, const struct l2tp_dp_session *s, struct l2tp_session_stats *out,
			       char *err, size_t errlen)
{
	struct l2tp_nl_session got;
	int rc = l2tp_nl_session_get(state, s->tid, s->cfg->sid, &got, err, errlen);
	if (rc)
		return rc;
	*out = got.stats;
	return 0;
}

static int nl_dp_ppp_open(void *state, const struct l2tp_dp_tunnel *t, const struct l2tp_dp_session *s, int *out,
			  char *err, size_t errlen)
{
	(void)state;
	int fd = socket(AF_PPPOX, SOCK_DGRAM | SOCK_CLOEXEC, PX_PROTO_OL2TP);
	if (fd < 0)
		return l2tp_errf(err, errlen, -errno, "PPPoL2TP socket: %s (modprobe l2tp_ppp)", strerror(errno));
	/* The packed kernel structs go through an aligned union. The kernel
	 * tells L2TPv2 from L2TPv3 (32-bit IDs) and IPv4 from IPv6 by the
	 * address's length. */
	union {
		struct sockaddr_storage align;
		struct sockaddr_pppol2tp v2;
		struct sockaddr_pppol2tpin6 v2in6;
		struct sockaddr_pppol2tpv3 v3;
		struct sockaddr_pppol2tpv3in6 v3in6;
	} u;
	socklen_t len;
	bool v6 = t->peer.ss_family == AF_INET6;
	memset(&u, 0, sizeof(u));
#define FILL(x, id_type)                                                                                               \
	do {                                                                                                           \
		(x).sa_family = AF_PPPOX;                                                                              \
		(x).sa_protocol = PX_PROTO_OL2TP;                                                                      \
		(x).pppol2tp.fd = t->fd;                                                                               \
		memcpy(&(x).pppol2tp.addr, &t->peer, sizeof((x).pppol2tp.addr));                                       \
		(x).pppol2tp.s_tunnel = (id_type)t->tid;                                                               \
		(x).pppol2tp.s_session = (id_type)s->cfg->sid;                                                         \
		(x).pppol2tp.d_tunnel = (id_type)t->ptid;                                                              \
		(x).pppol2tp.d_session = (id_type)s->cfg->psid;                                                        \
		len = sizeof(x);                                                                                       \
	} while (0)
	if (t->version == L2TP_V3 && v6)
		FILL(u.v3in6, uint32_t);
	else if (t->version == L2TP_V3)
		FILL(u.v3, uint32_t);
	else if (v6)
		FILL(u.v2in6, uint16_t);
	else
		FILL(u.v2, uint16_t);
#undef FILL
	int rc = connect(fd, (struct sockaddr *)&u.align, len);
	if (rc != 0) {
		int e = errno;
		close(fd);
		return l2tp_errf(err, errlen, -e, "PPPoL2TP connect: %s", strerror(e));
	}
	*out = fd;
	return 0;
}

struct dump_arg {
	void (*fn)(const struct l2tp_dp_tunnel *t, const struct l2tp_session_stats *st, void *arg);
	void *arg;
};

static void dump_one(const struct l2tp_nl_tunnel *t, void *arg)
{
	struct dump_arg *d = arg;
	struct l2tp_dp_tunnel dt = {
		.version = t->version == 3 ? L2TP_V3 : L2TP_V2,
		.encap = t->encap == L2TP_ENCAP_IP ? L2TP_ENCAP_IP : L2TP_ENCAP_UDP,
		.tid = t->tid,
		.ptid = t->ptid,
		.local = t->local,
		.peer = t->peer,
		.fd = -1,
	};
	d->fn(&dt, &t->stats, d->arg);
}

static int nl_dp_dump_tunnels(void *state,
			      void (*fn)(const struct l2tp_dp_tunnel *t, const struct l2tp_session_stats *st, void *arg),
			      void *arg, char *err, size_t errlen)
{
	struct dump_arg d = {fn, arg};
	return l2tp_nl_tunnel_dump(state, dump_one, &d, err, errlen);
}

const struct l2tp_dataplane_ops l2tp_dataplane_netlink = {
	.name = "netlink",
	.open = nl_dp_open,
	.close = nl_dp_close,
	.tunnel_create = nl_dp_tunnel_create,
	.tunnel_delete = nl_dp_tunnel_delete,
	.session_create = nl_dp_session_create,
	.session_delete = nl_dp_session_delete,
	.session_stats = nl_dp_session_stats,
	.ppp_open = nl_dp_ppp_open,
	.dump_tunnels = nl_dp_dump_tunnels,
};
