#include "fake_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fake_io fake;

void fake_io_reset(uint64_t now, void (*sent)(int sock, const uint8_t *buf, size_t len))
{
	memset(&fake, 0, sizeof(fake));
	fake.now = now;
	fake.sent = sent;
}

static int f_open(void *arg, const struct l2tp_sock_req *req, struct sockaddr_storage *bound, socklen_t *len,
		  char *err, size_t errlen)
{
	(void)arg;
	for (int i = 0; i < FAKE_MAXSOCK; i++) {
		struct fake_sock *s = &fake.socks[i];
		if (s->open)
			continue;
		memset(s, 0, sizeof(*s));
		s->open = true;
		s->listen = req->share == L2TP_SOCK_LISTEN || (!req->peer && !req->connect);
		s->lac = req->peer && !req->connect;
		memcpy(&s->local, req->local, req->local_len);
		if (((struct sockaddr_in *)&s->local)->sin_port == 0)
			((struct sockaddr_in *)&s->local)->sin_port = htons((uint16_t)(FAKE_PORT_BASE + i));
		if (req->peer) {
			memcpy(&s->peer, req->peer, req->peer_len);
			s->has_peer = req->connect;
		}
		memcpy(bound, &s->local, sizeof(struct sockaddr_in));
		*len = sizeof(struct sockaddr_in);
		fake.nopen++;
		return i;
	}
	snprintf(err, errlen, "out of fake sockets");
	return -EMFILE;
}

static int f_connect(void *arg, int sock, const struct sockaddr *peer, socklen_t len)
{
	(void)arg;
	memcpy(&fake.socks[sock].peer, peer, len);
	fake.socks[sock].has_peer = true;
	return 0;
}

static int f_send(void *arg, int sock, const uint8_t *buf, size_t len, const struct sockaddr *to, socklen_t tolen)
{
	(void)arg, (void)to, (void)tolen;
	if (!fake.socks[sock].open)
		abort(); /* the core sent on a socket it had closed */
	if (fake.sent)
		fake.sent(sock, buf, len);
	return 0;
}

static void f_close(void *arg, int sock)
{
	(void)arg;
	if (!fake.socks[sock].open)
		abort(); /* closed twice */
	fake.socks[sock].open = false;
	fake.nopen--;
}

static uint64_t f_now(void *arg)
{
	(void)arg;
	return fake.now;
}

const struct l2tp_io_ops fake_io_ops = {f_open, f_connect, f_send, f_close, f_now};
