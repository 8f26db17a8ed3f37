/* What a context's sockets send and receive, for people: at log level
 * trace, one line per control message (direction, addresses, type, IDs,
 * Ns/Nr and its AVPs by name); and, where a capture is set, every datagram
 * into a pcap file. Both watch the io's tap, below every state machine, so
 * retransmissions, ZLBs, refusals and strangers' datagrams show too. */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "util.h"
#include "l2tp/pcap.h"

static void trace_line(struct l2tp_context *ctx, const struct l2tp_tap_packet *p)
{
	struct l2tp_header h;
	uint16_t type;
	char src[L2TP_ADDR_STRLEN], dst[L2TP_ADDR_STRLEN], avps[700], tname[16], aname[40];
	l2tp_addr_format(p->src, src, sizeof(src));
	if (p->dst)
		l2tp_addr_format(p->dst, dst, sizeof(dst));
	else
		snprintf(dst, sizeof(dst), "?");
	const char *dir = p->out ? "sent" : "received";
	if (l2tp_msg_peek(p->buf, p->len, false, &h, &type) != 0) {
		l2tp_log(ctx, L2TP_LOG_TRACE, "%s %zu bytes %s -> %s: not an L2TP control message", dir, p->len, src, dst);
		return;
	}
	if (!h.control)
		return; /* data: the data plane's business */
	const char *name = type == L2TP_MSG_ZLB ? "ZLB" : l2tp_msg_type_name(type);
	if (!name) {
		snprintf(tname, sizeof(tname), "type %u", type);
		name = tname;
	}
	size_t used = 0, off = 0;
	struct l2tp_avp_raw a;
	int rc;
	avps[0] = '\0';
	while ((rc = l2tp_avp_next(p->buf, h.length < p->len ? h.length : p->len, &off, &a)) > 0) {
		const struct l2tp_avp_info *info = l2tp_avp_info(a.vendor, a.type);
		if (!info)
			snprintf(aname, sizeof(aname), "vendor %u type %u", a.vendor, a.type);
		int n = snprintf(avps + used, sizeof(avps) - used, "%s%s%s", used ? ", " : ": ", info ? info->name : aname,
				 a.hidden ? " (hidden)" : "");
		if (n < 0 || (size_t)n >= sizeof(avps) - used)
			break;
		used += (size_t)n;
	}
	l2tp_log(ctx, L2TP_LOG_TRACE, "%s %s %s -> %s, v%u tunnel %u session %u Ns %u Nr %u, %zu bytes%s%s", dir, name,
		 src, dst, h.version, h.tunnel_id, h.session_id, h.ns, h.nr, p->len, avps,
		 rc < 0 ? " (then a malformed AVP)" : "");
}

/* A socket bound to a wildcard address has no address of its own: what it
 * sends goes out from the one the kernel routes from toward the peer.
 * (What it receives carries its destination: see pktinfo_dst in io.c.) */
static const struct sockaddr *concrete(const struct sockaddr *ours, const struct sockaddr *theirs,
				       struct sockaddr_storage *buf)
{
	if (!theirs || !l2tp_addr_is_wildcard(ours) || l2tp_addr_route_source(theirs, buf) != 0 ||
	    buf->ss_family != ours->sa_family)
		return ours;
	l2tp_addr_set_port((struct sockaddr *)buf, l2tp_addr_port(ours));
	return (const struct sockaddr *)buf;
}

void l2tp_trace_tap(void *arg, const struct l2tp_tap_packet *p)
{
	struct l2tp_context *ctx = arg;
	if (!ctx->pcap && ctx->log_level < L2TP_LOG_TRACE)
		return;
	struct sockaddr_storage buf;
	struct l2tp_tap_packet q = *p;
	if (p->out)
		q.src = concrete(p->src, p->dst, &buf);
	if (ctx->pcap)
		l2tp_pcap_write(ctx->pcap, &q);
	if (ctx->log_level >= L2TP_LOG_TRACE)
		trace_line(ctx, &q);
}

void l2tp_context_set_pcap(struct l2tp_context *ctx, struct l2tp_pcap *pc)
{
	l2tp_pcap_ref(pc);
	l2tp_pcap_unref(ctx->pcap);
	ctx->pcap = pc;
}
