/* The channel on real loopback sockets: port adoption and who may talk. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include "check.h"
#include "l2tp/channel.h"

static int delivered;

static void on_recv(void *arg, struct l2tp_msg *msg, const struct l2tp_codec_error *err)
{
	(void)arg, (void)msg, (void)err;
	delivered++;
}
static void on_failed(void *arg, const char *reason)
{
	(void)arg, (void)reason;
}
static void on_released(void *arg)
{
	(void)arg;
}

static int bound(const char *ip, struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	socklen_t len = sizeof(*addr);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &addr->sin_addr);
	bind(fd, (struct sockaddr *)addr, sizeof(*addr));
	getsockname(fd, (struct sockaddr *)addr, &len);
	return fd;
}

/* Waits briefly for a datagram on fd; returns its length or -1. */
static int wait_recv(int fd, uint8_t *buf, size_t len)
{
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, 500) != 1)
		return -1;
	return (int)recv(fd, buf, len, 0);
}

static void pump(struct event_base *base)
{
	for (int i = 0; i < 20; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void send_msg(int fd, const struct sockaddr_in *to, uint16_t type, uint16_t ns, uint16_t nr)
{
	static struct l2tp_msg m;
	uint8_t buf[256];
	size_t n;
	l2tp_msg_init(&m, 2, type);
	m.hdr.tunnel_id = 7;
	m.hdr.ns = ns;
	m.hdr.nr = nr;
	l2tp_msg_encode(&m, NULL, buf, sizeof(buf), &n, NULL);
	sendto(fd, buf, n, 0, (const struct sockaddr *)to, sizeof(*to));
}

static void run(bool adopt)
{
	static const struct l2tp_channel_ops ops = {on_recv, on_failed, on_released};
	struct event_base *base = event_base_new();
	struct sockaddr_in first, second, stranger, local;
	int p1 = bound("127.0.0.1", &first), p2 = bound("127.0.0.1", &second), p3 = bound("127.0.0.2", &stranger);
	char err[256];
	uint8_t buf[2048];
	struct l2tp_channel *ch;

	memset(&local, 0, sizeof(local));
	local.sin_family = AF_INET;
	local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = l2tp_socket_open((struct sockaddr *)&local, sizeof(local), (struct sockaddr *)&first, sizeof(first),
				  false, 0, 0, false, err, sizeof(err));
	CHECK(fd >= 0);
	socklen_t llen = sizeof(local);
	getsockname(fd, (struct sockaddr *)&local, &llen);
	struct l2tp_channel_config cfg = {.transport = {.version = 2, .max_retries = 3}, .fd = fd,
					  .adopt_peer_port = adopt};
	memcpy(&cfg.peer, &first, sizeof(first));
	cfg.peer_len = sizeof(first);
	CHECK_EQ(l2tp_channel_new(base, &cfg, &ops, NULL, &ch, err, sizeof(err)), 0);

	static struct l2tp_msg m;
	l2tp_msg_init(&m, 2, L2TP_MSG_HELLO);
	CHECK_EQ(l2tp_channel_send(ch, &m, NULL), 0);
	CHECK(wait_recv(p1, buf, sizeof(buf)) > 0); /* the first message goes to the configured port */

	delivered = 0;
	send_msg(p3, &local, L2TP_MSG_HELLO, 0, 1); /* another host: ignored */
	pump(base);
	CHECK_EQ(delivered, 0);

	send_msg(p2, &local, L2TP_MSG_HELLO, 0, 1); /* the peer answers from a new port */
	pump(base);
	socklen_t plen;
	const struct sockaddr_in *peer = (const struct sockaddr_in *)l2tp_channel_peer(ch, &plen);
	if (adopt) {
		CHECK_EQ(delivered, 1);
		CHECK_EQ(ntohs(peer->sin_port), ntohs(second.sin_port));
		CHECK_EQ(l2tp_channel_send(ch, &m, NULL), 0);
		CHECK(wait_recv(p2, buf, sizeof(buf)) > 0); /* now to the adopted port */
		CHECK(wait_recv(p1, buf, sizeof(buf)) < 0);
		/* and, connected now, only that port is heard */
		send_msg(p1, &local, L2TP_MSG_HELLO, 1, 2);
		pump(base);
		CHECK_EQ(delivered, 1);
	} else {
		CHECK_EQ(delivered, 0);
		CHECK_EQ(ntohs(peer->sin_port), ntohs(first.sin_port));
	}
	l2tp_channel_free(ch);
	close(p1);
	close(p2);
	close(p3);
	event_base_free(base);
}

static void an_initiator_adopts_the_port_of_the_first_reply(void)
{
	run(true);
}

static void without_adoption_other_ports_are_ignored(void)
{
	run(false);
}

int main(void)
{
	RUN(an_initiator_adopts_the_port_of_the_first_reply);
	RUN(without_adoption_other_ports_are_ignored);
	return check_report();
}
