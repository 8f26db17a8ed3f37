/* A socket layer and clock of a test's own (l2tp/io.h), shared by the
 * state machine tests and the state machine fuzzer: sockets are slots in a
 * table, ports are made up, the clock moves only when the test moves it,
 * and nothing reaches a network. What our side sends goes to the test's
 * send function, which plays the peer. */
#ifndef L2TP_FAKE_IO_H
#define L2TP_FAKE_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "l2tp/io.h"

#define FAKE_MAXSOCK 64
#define FAKE_PORT_BASE 30000 /* a socket bound to port 0 gets this plus its slot */

struct fake_sock {
	bool open;
	bool listen;   /* a listener's (or an unconnected one's) */
	bool lac;      /* a LAC tunnel's: it knows its peer but is not connected */
	bool has_peer; /* connected */
	struct sockaddr_storage local, peer;
	uint16_t peer_ns, peer_nr; /* what the test, as the peer, sends next */
	uint32_t our_tid;	   /* the tunnel ID our side assigned on it */
};

struct fake_io {
	struct fake_sock socks[FAKE_MAXSOCK];
	int nopen;
	uint64_t now; /* ms */
	/* Our side sent buf on sock. */
	void (*sent)(int sock, const uint8_t *buf, size_t len);
};

extern struct fake_io fake;
extern const struct l2tp_io_ops fake_io_ops;

/* Every socket closed, the clock at now, sends going to sent. */
void fake_io_reset(uint64_t now, void (*sent)(int sock, const uint8_t *buf, size_t len));

#endif
