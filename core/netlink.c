/* Generic netlink family "l2tp" on libmnl. Requests are answered by the
 * kernel inline, so a call returns as soon as the kernel has done the work;
 * it does not wait on the network. */
#include "l2tp/netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h> /* before the kernel's headers, for libc-compat */
#include <linux/genetlink.h>
#include <linux/l2tp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "l2tp/config.h"
#include "util.h"

struct l2tp_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint16_t family;
	uint32_t seq;
	char *buf; /* MNL_SOCKET_BUFFER_SIZE */
};

typedef int (*attr_fn)(const struct nlmsghdr *nlh, void *data);

/* Sends nlh and reads replies until the kernel says done, calling cb for
 * each data message. Returns 0 or the kernel's negative errno. */
static int transact(struct l2tp_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, MNL_SOCKET_BUFFER_SIZE);
		if (n < 0)
			return -errno;
		int rc = mnl_cb_run(nl->buf, (size_t)n, nl->seq, nl->portid, cb, data);
		if (rc == MNL_CB_ERROR)
			return errno ? -errno : -EIO;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *start(struct l2tp_nl *nl, uint16_t type, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 1 : L2TP_GENL_VERSION;
	return nlh;
}

static int family_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);
	if (mnl_attr_type_valid(a, CTRL_ATTR_MAX) < 0)
		return MNL_CB_OK;
	if (type == CTRL_ATTR_FAMILY_ID && mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = {0};
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr, tb);
	if (tb[CTRL_ATTR_FAMILY_ID])
		*(uint16_t *)data = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return MNL_CB_OK;
}

void l2tp_nl_close(struct l2tp_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl);
}

int l2tp_nl_open(struct l2tp_nl **out, char *err, size_t errlen)
{
	struct l2tp_nl *nl = calloc(1, sizeof(*nl));
	int rc;
	*out = NULL;
	if (!nl || !(nl->buf = malloc(MNL_SOCKET_BUFFER_SIZE))) {
		free(nl);
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	}
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		l2tp_nl_close(nl);
		return l2tp_errf(err, errlen, rc, "cannot open a generic netlink socket: %s", strerror(-rc));
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	struct nlmsghdr *nlh = start(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, L2TP_GENL_NAME);
	rc = transact(nl, nlh, family_cb, &nl->family);
	if (rc == -ENOENT || (rc == 0 && nl->family == 0)) {
		l2tp_nl_close(nl);
		return l2tp_errf(err, errlen, -ENOENT,
				 "kernel L2TP support is not loaded (modprobe l2tp_netlink l2tp_eth l2tp_ip l2tp_ip6 l2tp_ppp)");
	}
	if (rc) {
		l2tp_nl_close(nl);
		return l2tp_errf(err, errlen, rc, "cannot resolve the generic netlink family l2tp: %s", strerror(-rc));
	}
	*out = nl;
	return 0;
}

/* The kernel's answers, turned into what a user can act on. */
static int explain(int rc, char *err, size_t errlen, const char *what)
{
	switch (rc) {
	case 0:
		return 0;
	case -EPERM:
	case -EACCES:
		return l2tp_errf(err, errlen, rc, "%s: permission denied (needs CAP_NET_ADMIN: run as root)", what);
	case -EEXIST:
		return l2tp_errf(err, errlen, rc, "%s: already exists in the kernel", what);
	case -ENOENT:
	case -ENODEV: /* what the kernel answers for an unknown tunnel or session */
		return l2tp_errf(err, errlen, rc, "%s: not found in the kernel", what);
	case -EPROTONOSUPPORT:
		return l2tp_errf(err, errlen, rc,
				 "%s: the kernel lacks support for this pseudowire or encapsulation (modprobe l2tp_eth l2tp_ppp l2tp_ip l2tp_ip6)",
				 what);
	default:
		return l2tp_errf(err, errlen, rc, "%s: %s", what, strerror(-rc));
	}
}

static void put_addr(struct nlmsghdr *nlh, const struct sockaddr_storage *ss, bool local)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		mnl_attr_put(nlh, local ? L2TP_ATTR_IP_SADDR : L2TP_ATTR_IP_DADDR, 4, &in->sin_addr);
		mnl_attr_put_u16(nlh, local ? L2TP_ATTR_UDP_SPORT : L2TP_ATTR_UDP_DPORT, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		mnl_attr_put(nlh, local ? L2TP_ATTR_IP6_SADDR : L2TP_ATTR_IP6_DADDR, 16, &in6->sin6_addr);
		mnl_attr_put_u16(nlh, local ? L2TP_ATTR_UDP_SPORT : L2TP_ATTR_UDP_DPORT, ntohs(in6->sin6_port));
	}
}

int l2tp_nl_tunnel_create(struct l2tp_nl *nl, const struct l2tp_nl_tunnel *t, char *err, size_t errlen)
{
	char what[64];
	struct nlmsghdr *nlh = start(nl, nl->family, L2TP_CMD_TUNNEL_CREATE, NLM_F_ACK);
	mnl_attr_put_u32(nlh, L2TP_ATTR_CONN_ID, t->tid);
	mnl_attr_put_u32(nlh, L2TP_ATTR_PEER_CONN_ID, t->ptid);
	mnl_attr_put_u8(nlh, L2TP_ATTR_PROTO_VERSION, t->version);
	mnl_attr_put_u16(nlh, L2TP_ATTR_ENCAP_TYPE, t->encap == L2TP_ENCAP_IP ? L2TP_ENCAPTYPE_IP : L2TP_ENCAPTYPE_UDP);
	if (t->debug)
		mnl_attr_put_u32(nlh, L2TP_ATTR_DEBUG, t->debug);
	if (t->fd >= 0) {
		mnl_attr_put_u32(nlh, L2TP_ATTR_FD, (uint32_t)t->fd);
	} else {
		put_addr(nlh, &t->local, true);
		put_addr(nlh, &t->peer, false);
		if (t->local.ss_family == AF_INET)
			mnl_attr_put_u8(nlh, L2TP_ATTR_UDP_CSUM, t->udp_csum);
		if (t->udp6_zero_csum_tx)
			mnl_attr_put(nlh, L2TP_ATTR_UDP_ZERO_CSUM6_TX, 0, NULL);
		if (t->udp6_zero_csum_rx)
			mnl_attr_put(nlh, L2TP_ATTR_UDP_ZERO_CSUM6_RX, 0, NULL);
	}
	snprintf(what, sizeof(what), "kernel tunnel %u", t->tid);
	return explain(transact(nl, nlh, NULL, NULL), err, errlen, what);
}

int l2tp_nl_tunnel_delete(struct l2tp_nl *nl, uint32_t tid, char *err, size_t errlen)
{
	char what[64];
	struct nlmsghdr *nlh = start(nl, nl->family, L2TP_CMD_TUNNEL_DELETE, NLM_F_ACK);
	mnl_attr_put_u32(nlh, L2TP_ATTR_CONN_ID, tid);
	snprintf(what, sizeof(what), "kernel tunnel %u", tid);
	return explain(transact(nl, nlh, NULL, NULL), err, errlen, what);
}

int l2tp_nl_tunnel_modify(struct l2tp_nl *nl, uint32_t tid, uint32_t debug, char *err, size_t errlen)
{
	char what[64];
	struct nlmsghdr *nlh = start(nl, nl->family, L2TP_CMD_TUNNEL_MODIFY, NLM_F_ACK);
	mnl_attr_put_u32(nlh, L2TP_ATTR_CONN_ID, tid);
	mnl_attr_put_u32(nlh, L2TP_ATTR_DEBUG, debug);
	snprintf(what, sizeof(what), "kernel tunnel %u", tid);
	return explain(transact(nl, nlh, NULL, NULL), err, errlen, what);
}

/* Attribute validation into tb[], as the libmnl examples do. */
static int l2tp_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);
	if (mnl_attr_type_valid(a, L2TP_ATTR_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case L2TP_ATTR_CONN_ID:
	case L2TP_ATTR_PEER_CONN_ID:
	case L2TP_ATTR_SESSION_ID:
	case L2TP_ATTR_PEER_SESSION_ID:
	case L2TP_ATTR_DEBUG:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case L2TP_ATTR_PW_TYPE:
	case L2TP_ATTR_ENCAP_TYPE:
	case L2TP_ATTR_UDP_SPORT:
	case L2TP_ATTR_UDP_DPORT:
	case L2TP_ATTR_MTU:
	case L2TP_ATTR_MRU:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		break;
	case L2TP_ATTR_PROTO_VERSION:
	case L2TP_ATTR_L2SPEC_TYPE:
	case L2TP_ATTR_L2SPEC_LEN:
	case L2TP_ATTR_RECV_SEQ:
	case L2TP_ATTR_SEND_SEQ:
	case L2TP_ATTR_LNS_MODE:
	case L2TP_ATTR_UDP_CSUM:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		break;
	case L2TP_ATTR_RECV_TIMEOUT:
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		break;
	case L2TP_ATTR_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		break;
	case L2TP_ATTR_STATS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		break;
	}
	tb[type] = a;
	return MNL_CB_OK;
}

static int stats_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);
	if (mnl_attr_type_valid(a, L2TP_ATTR_STATS_MAX) < 0)
		return MNL_CB_OK;
	if (type != L2TP_ATTR_STATS_PAD && mnl_attr_validate(a, MNL_TYPE_U64) < 0)
		return MNL_CB_ERROR;
	tb[type] = a;
	return MNL_CB_OK;
}

static void parse_stats(const struct nlattr *nest, struct l2tp_session_stats *st)
{
	const struct nlattr *tb[L2TP_ATTR_STATS_MAX + 1] = {0};
	memset(st, 0, sizeof(*st));
	if (!nest || mnl_attr_parse_nested(nest, stats_attr, tb) < 0)
		return;
#define U64(attr, field)                                                                                        \
	if (tb[attr])                                                                                           \
	st->field = mnl_attr_get_u64(tb[attr])
	U64(L2TP_ATTR_TX_PACKETS, tx_packets);
	U64(L2TP_ATTR_TX_BYTES, tx_bytes);
	U64(L2TP_ATTR_TX_ERRORS, tx_errors);
	U64(L2TP_ATTR_RX_PACKETS, rx_packets);
	U64(L2TP_ATTR_RX_BYTES, rx_bytes);
	U64(L2TP_ATTR_RX_ERRORS, rx_errors);
	U64(L2TP_ATTR_RX_SEQ_DISCARDS, rx_seq_discards);
	U64(L2TP_ATTR_RX_OOS_PACKETS, rx_oos_packets);
	U64(L2TP_ATTR_RX_COOKIE_DISCARDS, rx_cookie_discards);
	U64(L2TP_ATTR_RX_INVALID, rx_invalid);
#undef U64
}

static void get_addr(const struct nlattr **tb, struct sockaddr_storage *ss, bool local)
{
	const struct nlattr *a4 = tb[local ? L2TP_ATTR_IP_SADDR : L2TP_ATTR_IP_DADDR];
	const struct nlattr *a6 = tb[local ? L2TP_ATTR_IP6_SADDR : L2TP_ATTR_IP6_DADDR];
	const struct nlattr *p = tb[local ? L2TP_ATTR_UDP_SPORT : L2TP_ATTR_UDP_DPORT];
	uint16_t port = p ? htons(mnl_attr_get_u16(p)) : 0;
	memset(ss, 0, sizeof(*ss));
	if (a4 && mnl_attr_get_payload_len(a4) == 4) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, mnl_attr_get_payload(a4), 4);
		in->sin_port = port;
	} else if (a6 && mnl_attr_get_payload_len(a6) == 16) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, mnl_attr_get_payload(a6), 16);
		in6->sin6_port = port;
	}
}

struct dump_arg {
	void (*tfn)(const struct l2tp_nl_tunnel *, void *);
	void (*sfn)(const struct l2tp_nl_session *, void *);
	void *arg;
};

static int tunnel_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[L2TP_ATTR_MAX + 1] = {0};
	struct dump_arg *d = data;
	struct l2tp_nl_tunnel t;
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), l2tp_attr, tb) < 0)
		return MNL_CB_ERROR;
	memset(&t, 0, sizeof(t));
	t.fd = -1;
	if (tb[L2TP_ATTR_CONN_ID])
		t.tid = mnl_attr_get_u32(tb[L2TP_ATTR_CONN_ID]);
	if (tb[L2TP_ATTR_PEER_CONN_ID])
		t.ptid = mnl_attr_get_u32(tb[L2TP_ATTR_PEER_CONN_ID]);
	if (tb[L2TP_ATTR_PROTO_VERSION])
		t.version = mnl_attr_get_u8(tb[L2TP_ATTR_PROTO_VERSION]);
	if (tb[L2TP_ATTR_ENCAP_TYPE])
		t.encap = mnl_attr_get_u16(tb[L2TP_ATTR_ENCAP_TYPE]) == L2TP_ENCAPTYPE_IP ? L2TP_ENCAP_IP : L2TP_ENCAP_UDP;
	if (tb[L2TP_ATTR_DEBUG])
		t.debug = mnl_attr_get_u32(tb[L2TP_ATTR_DEBUG]);
	if (tb[L2TP_ATTR_UDP_CSUM])
		t.udp_csum = mnl_attr_get_u8(tb[L2TP_ATTR_UDP_CSUM]);
	t.udp6_zero_csum_tx = tb[L2TP_ATTR_UDP_ZERO_CSUM6_TX] != NULL;
	t.udp6_zero_csum_rx = tb[L2TP_ATTR_UDP_ZERO_CSUM6_RX] != NULL;
	get_addr(tb, &t.local, true);
	get_addr(tb, &t.peer, false);
	t.has_addresses = t.local.ss_family != 0;
	parse_stats(tb[L2TP_ATTR_STATS], &t.stats);
	d->tfn(&t, d->arg);
	return MNL_CB_OK;
}

static void copy_tunnel(const struct l2tp_nl_tunnel *t, void *arg)
{
	*(struct l2tp_nl_tunnel *)arg = *t;
}

int l2tp_nl_tunnel_get(struct l2tp_nl *nl, uint32_t tid, struct l2tp_nl_tunnel *out, char *err, size_t errlen)
{
	char what[64];
	struct dump_arg d = {.tfn = copy_tunnel, .arg = out};
	struct nlmsghdr *nlh = start(nl, nl->family, L2TP_CMD_TUNNEL_GET, NLM_F_ACK);
	mnl_attr_put_u32(nlh, L2TP_ATTR_CONN_ID, tid);
	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "kernel tunnel %u", tid);
	return explain(transact(nl, nlh, tunnel_cb, &d), err, errlen, what);
}

int l2tp_nl_tunnel_dump(struct l2tp_nl *nl, void (*fn)(const struct l2tp_nl_tunnel *t, void *arg), void *arg,
			char *err, size_t errlen)
{
	struct dump_arg d = {.tfn = fn, .arg = arg};
	struct nlmsghdr *nlh = start(nl, nl->family, L2TP_CMD_TUNNEL_GET, NLM_F_DUMP);
	return explain(transact(nl, nlh, tunnel_cb, &d), err, errlen, "kernel tunnel dump");
}

static void put_session(struct nlmsghdr *nlh, const struct l2tp_nl_session *s, bool create)
{
	mnl_attr_put_u32(nlh, L2TP_ATTR_CONN_ID, s->tid);
	mnl_attr_put_u32(nlh, L2TP_ATTR_SESSION_ID, s->sid);
	if (create) {
		mnl_attr_put_u32(nlh, L2TP_ATTR_PEER_CONN_ID, s->ptid);
		mnl_attr_put_u32(nlh, L2TP_ATTR_PEER_SESSION_ID, s->psid);
		mnl_attr_put_u16(nlh, L2TP_ATTR_PW_TYPE, s->pw_type);
		mnl_attr_put_u8(nlh, L2TP_ATTR_L2SPEC_TYPE, s->l2spec_type);
		mnl_attr_put_u8(nlh, L2TP_ATTR_L2SPEC_LEN, s->l2spec_len);
		if (s->cookie_len)
			mnl_attr_put(nlh, L2TP_ATTR_COOKIE, s->cookie_len, s->cookie);
		if (s->peer_cookie_len)
			mnl_attr_put(nlh, L2TP_ATTR_PEER_COOKIE, s->peer_cookie_len, s->peer_cookie);
		if (s->ifname[0])
			mnl_attr_put_strz(nlh, L2TP_ATTR_IFNAME, s->ifname);
	}
	mnl_attr_put_u8(nlh, L2TP_ATTR_SEND_SEQ, s->send_seq);
	mnl_attr_put_u8(nlh, L2TP_ATTR_RECV_SEQ, s->recv_seq);
	mnl_attr_put_u8(nlh, L2TP_ATTR_LNS_MODE, s->lns_mode);
	if (s->reorder_timeout_ms)
		mnl_attr_put_u64(nlh, L2TP_ATTR_RECV_TIMEOUT, s->reorder_timeout_ms);
	if (s->debug)
		mnl_attr_put_u32(nlh, L2TP_ATTR_DEBUG, s->debug);
	if (s->mtu)
		mnl_attr_put_u16(nlh, L2TP_ATTR_MTU, s->mtu);
	if (s->mru)
		mnl_attr_put_u16(nlh, L2TP_ATTR_MRU, s->mru);
}

int l2tp_nl_session_create(struct l2tp_nl *nl, const struct l2tp_nl_session *s, char *err, size_t errlen)
{
	char what[96];
	struct nlmsghdr *nlh = start(nl, nl->family, L2TP_CMD_SESSION_CREATE, NLM_F_ACK);
	put_session(nlh, s, true);
	snprintf(what, sizeof(what), "kernel session %u in tunnel %u", s->sid, s->tid);
	return explain(transact(nl, nlh, NULL, NULL), err, errlen, what);
}

int l2tp_nl_session_modify(struct l2tp_nl *nl, const struct l2tp_nl_session *s, char *err, size_t errlen)
{
	char what[96];
	struct nlmsghdr *nlh = start(nl, nl->family, L2TP_CMD_SESSION_MODIFY, NLM_F_ACK);
	put_session(nlh, s, false);
	snprintf(what, sizeof(what), "kernel session %u in tunnel %u", s->sid, s->tid);
	return explain(transact(nl, nlh, NULL, NULL), err, errlen, what);
}

int l2tp_nl_session_delete(struct l2tp_nl *nl, uint32_t tid, uint32_t sid, char *err, size_t errlen)
{
	char what[96];
	struct nlmsghdr *nlh = start(nl, nl->family, L2TP_CMD_SESSION_DELETE, NLM_F_ACK);
	mnl_attr_put_u32(nlh, L2TP_ATTR_CONN_ID, tid);
	mnl_attr_put_u32(nlh, L2TP_ATTR_SESSION_ID, sid);
	snprintf(what, sizeof(what), "kernel session %u in tunnel %u", sid, tid);
	return explain(transact(nl, nlh, NULL, NULL), err, errlen, what);
}

static int session_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[L2TP_ATTR_MAX + 1] = {0};
	struct dump_arg *d = data;
	struct l2tp_nl_session s;
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), l2tp_attr, tb) < 0)
		return MNL_CB_ERROR;
	memset(&s, 0, sizeof(s));
#define GET(attr, field, fn)                                                                                    \
	if (tb[attr])                                                                                           \
	s.field = fn(tb[attr])
	GET(L2TP_ATTR_CONN_ID, tid, mnl_attr_get_u32);
	GET(L2TP_ATTR_PEER_CONN_ID, ptid, mnl_attr_get_u32);
	GET(L2TP_ATTR_SESSION_ID, sid, mnl_attr_get_u32);
	GET(L2TP_ATTR_PEER_SESSION_ID, psid, mnl_attr_get_u32);
	GET(L2TP_ATTR_PW_TYPE, pw_type, mnl_attr_get_u16);
	GET(L2TP_ATTR_L2SPEC_TYPE, l2spec_type, mnl_attr_get_u8);
	GET(L2TP_ATTR_L2SPEC_LEN, l2spec_len, mnl_attr_get_u8);
	GET(L2TP_ATTR_SEND_SEQ, send_seq, mnl_attr_get_u8);
	GET(L2TP_ATTR_RECV_SEQ, recv_seq, mnl_attr_get_u8);
	GET(L2TP_ATTR_LNS_MODE, lns_mode, mnl_attr_get_u8);
	GET(L2TP_ATTR_RECV_TIMEOUT, reorder_timeout_ms, mnl_attr_get_u64);
	GET(L2TP_ATTR_DEBUG, debug, mnl_attr_get_u32);
	GET(L2TP_ATTR_MTU, mtu, mnl_attr_get_u16);
	GET(L2TP_ATTR_MRU, mru, mnl_attr_get_u16);
#undef GET
	if (tb[L2TP_ATTR_IFNAME])
		snprintf(s.ifname, sizeof(s.ifname), "%s", mnl_attr_get_str(tb[L2TP_ATTR_IFNAME]));
	if (tb[L2TP_ATTR_COOKIE] && mnl_attr_get_payload_len(tb[L2TP_ATTR_COOKIE]) <= 8) {
		s.cookie_len = (uint8_t)mnl_attr_get_payload_len(tb[L2TP_ATTR_COOKIE]);
		memcpy(s.cookie, mnl_attr_get_payload(tb[L2TP_ATTR_COOKIE]), s.cookie_len);
	}
	if (tb[L2TP_ATTR_PEER_COOKIE] && mnl_attr_get_payload_len(tb[L2TP_ATTR_PEER_COOKIE]) <= 8) {
		s.peer_cookie_len = (uint8_t)mnl_attr_get_payload_len(tb[L2TP_ATTR_PEER_COOKIE]);
		memcpy(s.peer_cookie, mnl_attr_get_payload(tb[L2TP_ATTR_PEER_COOKIE]), s.peer_cookie_len);
	}
	parse_stats(tb[L2TP_ATTR_STATS], &s.stats);
	d->sfn(&s, d->arg);
	return MNL_CB_OK;
}

static void copy_session(const struct l2tp_nl_session *s, void *arg)
{
	*(struct l2tp_nl_session *)arg = *s;
}

int l2tp_nl_session_get(struct l2tp_nl *nl, uint32_t tid, uint32_t sid, struct l2tp_nl_session *out, char *err,
			size_t errlen)
{
	char what[96];
	struct dump_arg d = {.sfn = copy_session, .arg = out};
	struct nlmsghdr *nlh = start(nl, nl->family, L2TP_CMD_SESSION_GET, NLM_F_ACK);
	mnl_attr_put_u32(nlh, L2TP_ATTR_CONN_ID, tid);
	mnl_attr_put_u32(nlh, L2TP_ATTR_SESSION_ID, sid);
	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "kernel session %u in tunnel %u", sid, tid);
	return explain(transact(nl, nlh, session_cb, &d), err, errlen, what);
}

int l2tp_nl_session_dump(struct l2tp_nl *nl, void (*fn)(const struct l2tp_nl_session *s, void *arg), void *arg,
			 char *err, size_t errlen)
{
	struct dump_arg d = {.sfn = fn, .arg = arg};
	struct nlmsghdr *nlh = start(nl, nl->family, L2TP_CMD_SESSION_GET, NLM_F_DUMP);
	return explain(transact(nl, nlh, session_cb, &d), err, errlen, "kernel session dump");
}
