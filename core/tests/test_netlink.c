/* The netlink API against a real kernel (run inside tools/vm by the
 * "kernel" test). Exits 77 where the kernel has no L2TP. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include "check.h"
#include "l2tp/netlink.h"

static struct l2tp_nl *nl;

static void v4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	in->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &in->sin_addr);
	in->sin_port = htons(port);
}

static int ntun;
static void count_tunnel(const struct l2tp_nl_tunnel *t, void *arg)
{
	if (t->tid == *(uint32_t *)arg)
		ntun++;
}

static int nsess;
static void count_session(const struct l2tp_nl_session *s, void *arg)
{
	if (s->tid == *(uint32_t *)arg)
		nsess++;
}

static void tunnel_and_session_lifecycle(void)
{
	char err[256];
	struct l2tp_nl_tunnel t = {.tid = 501, .ptid = 502, .version = 3, .encap = 0, .fd = -1, .udp_csum = true};
	v4(&t.local, "127.0.0.1", 7001);
	v4(&t.peer, "127.0.0.1", 7002);
	CHECK_EQ(l2tp_nl_tunnel_create(nl, &t, err, sizeof(err)), 0);
	CHECK_EQ(l2tp_nl_tunnel_create(nl, &t, err, sizeof(err)), -EEXIST);
	CHECK_STR(err, "kernel tunnel 501: already exists in the kernel");

	struct l2tp_nl_tunnel got;
	CHECK_EQ(l2tp_nl_tunnel_get(nl, 501, &got, err, sizeof(err)), 0);
	CHECK_EQ(got.ptid, 502);
	CHECK_EQ(got.version, 3);
	CHECK(got.has_addresses);
	CHECK_EQ(ntohs(((struct sockaddr_in *)&got.peer)->sin_port), 7002);
	CHECK_EQ(l2tp_nl_tunnel_modify(nl, 501, 0, err, sizeof(err)), 0);
	uint32_t tid = 501;
	CHECK_EQ(l2tp_nl_tunnel_dump(nl, count_tunnel, &tid, err, sizeof(err)), 0);
	CHECK_EQ(ntun, 1);

	struct l2tp_nl_session s = {.tid = 501, .ptid = 502, .sid = 601, .psid = 602, .pw_type = 5, .l2spec_type = 1,
				    .l2spec_len = 4, .cookie = {1, 2, 3, 4}, .cookie_len = 4,
				    .peer_cookie = {5, 6, 7, 8, 9, 10, 11, 12}, .peer_cookie_len = 8,
				    .ifname = "nltest0"};
	CHECK_EQ(l2tp_nl_session_create(nl, &s, err, sizeof(err)), 0);
	CHECK_EQ(l2tp_nl_session_create(nl, &s, err, sizeof(err)), -EEXIST);
	CHECK_STR(err, "kernel session 601 in tunnel 501: already exists in the kernel");
	struct l2tp_nl_session gs;
	CHECK_EQ(l2tp_nl_session_get(nl, 501, 601, &gs, err, sizeof(err)), 0);
	CHECK_STR(gs.ifname, "nltest0");
	CHECK_EQ(gs.psid, 602);
	CHECK_EQ(gs.cookie_len, 4);
	CHECK_EQ(gs.peer_cookie_len, 8);
	/* (the kernel does not report the sublayer type back) */
	CHECK(!gs.send_seq);

	s.send_seq = s.recv_seq = true;
	s.reorder_timeout_ms = 250;
	CHECK_EQ(l2tp_nl_session_modify(nl, &s, err, sizeof(err)), 0);
	CHECK_EQ(l2tp_nl_session_get(nl, 501, 601, &gs, err, sizeof(err)), 0);
	CHECK(gs.send_seq);
	CHECK(gs.recv_seq);
	CHECK(gs.reorder_timeout_ms >= 250 && gs.reorder_timeout_ms < 260); /* kept in jiffies */
	CHECK_EQ(l2tp_nl_session_dump(nl, count_session, &tid, err, sizeof(err)), 0);
	CHECK_EQ(nsess, 1);

	CHECK_EQ(l2tp_nl_session_delete(nl, 501, 601, err, sizeof(err)), 0);
	CHECK_EQ(l2tp_nl_session_get(nl, 501, 601, &gs, err, sizeof(err)), -ENODEV);
	CHECK_STR(err, "kernel session 601 in tunnel 501: not found in the kernel");
	/* Tunnel deletion completes asynchronously in the kernel. */
	CHECK_EQ(l2tp_nl_tunnel_delete(nl, 501, err, sizeof(err)), 0);
	CHECK_EQ(l2tp_nl_tunnel_get(nl, 999, &got, err, sizeof(err)), -ENODEV);
	CHECK_STR(err, "kernel tunnel 999: not found in the kernel");
}

int main(void)
{
	char err[256];
	if (l2tp_nl_open(&nl, err, sizeof(err)) != 0) {
		printf("SKIPPED: %s\n", err);
		return 77;
	}
	RUN(tunnel_and_session_lifecycle);
	l2tp_nl_close(nl);
	return check_report();
}
