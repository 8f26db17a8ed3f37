/* A PPPoE session bridged to its L2TP call inside the kernel, with no
 * pppd at the LAC: a PPP channel for each side (the PPPoE session socket
 * and the call's PPPoL2TP socket, each attached through /dev/ppp) joined
 * by PPPIOCBRIDGECHAN (Linux 5.14), so frames pass between subscriber and
 * LNS in the kernel. The channels are looked up in this process's network
 * namespace, so the PPPoE interface must be in it too. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/if_pppox.h>
#include <linux/ppp-ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

#ifndef PPPIOCBRIDGECHAN
#define PPPIOCBRIDGECHAN _IOW('t', 53, int)
#define PPPIOCUNBRIDGECHAN _IO('t', 54)
#endif

struct l2tp_ppp_bridge {
	int pppoe_fd;		   /* the PPPoE session socket */
	int chan_pppoe, chan_l2tp; /* /dev/ppp, attached to each channel */
	bool bridged;
};

/* /dev/ppp attached to the channel of the PPPoX socket fd, whose index
 * is written to index. */
static int attach(int fd, const char *what, int *index_out, char *err, size_t errlen)
{
	int index;
	if (ioctl(fd, PPPIOCGCHAN, &index) != 0)
		return l2tp_errf(err, errlen, -errno, "%s channel: PPPIOCGCHAN: %s", what, strerror(errno));
	int ch = open("/dev/ppp", O_RDWR | O_CLOEXEC);
	if (ch < 0)
		return l2tp_errf(err, errlen, -errno, "/dev/ppp: %s (modprobe ppp_generic)", strerror(errno));
	if (ioctl(ch, PPPIOCATTCHAN, &index) != 0) {
		int rc = l2tp_errf(err, errlen, -errno, "%s channel %d: PPPIOCATTCHAN: %s", what, index, strerror(errno));
		close(ch);
		return rc;
	}
	*index_out = index;
	return ch;
}

void l2tp_ppp_bridge_stop(struct l2tp_session *s)
{
	struct l2tp_ppp_bridge *b = s->bridge;
	if (!b)
		return;
	/* Unbridged first: each channel holds the other while bridged. A
	 * channel that went first (the subscriber's PADT unbinds the PPPoE
	 * socket in the kernel) took the bridge with it: EINVAL. */
	if (b->bridged && ioctl(b->chan_pppoe, PPPIOCUNBRIDGECHAN) != 0 && errno != EINVAL)
		l2tp_slog(s, L2TP_LOG_WARN, "PPPIOCUNBRIDGECHAN: %s", strerror(errno));
	if (b->chan_pppoe >= 0)
		close(b->chan_pppoe);
	if (b->chan_l2tp >= 0)
		close(b->chan_l2tp);
	if (b->pppoe_fd >= 0)
		close(b->pppoe_fd);
	free(b);
	s->bridge = NULL;
	/* s->ppp_fd stays: see l2tp_ppp_bridge_stop's caller */
}

int l2tp_ppp_bridge_start(struct l2tp_session *s, char *err, size_t errlen)
{
	struct l2tp_tunnel *t = s->tunnel;
	struct l2tp_context *ctx = t->ctx;
	struct l2tp_dp_tunnel dpt;
	struct l2tp_dp_session dps;
	const char *ifname = L2TP_SESSION_LONG(s, pppoe_interface);
	int rc;

	if (!ifname[0] || s->cfg.pppoe_peer_mac_len != 6 || !s->cfg.pppoe_session_id)
		return l2tp_errf(err, errlen, -EINVAL,
				 "a PPPoE bridge needs pppoe_session_id, pppoe_peer_mac and pppoe_interface");
	struct l2tp_ppp_bridge *b = calloc(1, sizeof(*b));
	if (!b)
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	b->pppoe_fd = b->chan_pppoe = b->chan_l2tp = -1;
	s->bridge = b;

	l2tp_dp_tunnel_fill(t, &dpt);
	l2tp_dp_session_fill(s, &dps);
	rc = ctx->dp->ppp_open(ctx->dp_state, &dpt, &dps, &s->ppp_fd, err, errlen);
	if (rc)
		goto fail;

	b->pppoe_fd = socket(AF_PPPOX, SOCK_STREAM | SOCK_CLOEXEC, PX_PROTO_OE);
	if (b->pppoe_fd < 0) {
		rc = l2tp_errf(err, errlen, -errno, "PPPoE socket: %s (modprobe pppoe)", strerror(errno));
		goto fail;
	}
	/* The packed kernel struct goes through an aligned union. */
	union {
		struct sockaddr_storage align;
		struct sockaddr_pppox sp;
	} u;
	memset(&u, 0, sizeof(u));
	u.sp.sa_family = AF_PPPOX;
	u.sp.sa_protocol = PX_PROTO_OE;
	u.sp.sa_addr.pppoe.sid = htons(s->cfg.pppoe_session_id);
	memcpy(u.sp.sa_addr.pppoe.remote, s->cfg.pppoe_peer_mac, 6);
	snprintf(u.sp.sa_addr.pppoe.dev, sizeof(u.sp.sa_addr.pppoe.dev), "%s", ifname);
	if (connect(b->pppoe_fd, (struct sockaddr *)&u.align, sizeof(u.sp)) != 0) {
		rc = l2tp_errf(err, errlen, -errno, "PPPoE session %u on %s: connect: %s", s->cfg.pppoe_session_id,
			       ifname, strerror(errno));
		goto fail;
	}
	int l2tp_index, pppoe_index;
	if ((rc = b->chan_l2tp = attach(s->ppp_fd, "PPPoL2TP", &l2tp_index, err, errlen)) < 0 ||
	    (rc = b->chan_pppoe = attach(b->pppoe_fd, "PPPoE", &pppoe_index, err, errlen)) < 0)
		goto fail;
	if (ioctl(b->chan_pppoe, PPPIOCBRIDGECHAN, &l2tp_index) != 0) {
		rc = l2tp_errf(err, errlen, -errno, "PPPIOCBRIDGECHAN: %s%s", strerror(errno),
			       errno == ENOTTY ? " (the kernel is older than 5.14)" : "");
		goto fail;
	}
	b->bridged = true;
	l2tp_slog(s, L2TP_LOG_INFO, "PPPoE session %u on %s bridged to the call (channels %d and %d)",
		  s->cfg.pppoe_session_id, ifname, pppoe_index, l2tp_index);
	return 0;
fail:
	l2tp_ppp_bridge_stop(s);
	if (s->ppp_fd >= 0) {
		close(s->ppp_fd);
		s->ppp_fd = -1;
	}
	return rc;
}
