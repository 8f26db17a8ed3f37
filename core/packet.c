/* Sockets on Ethernet: AF_PACKET for one ethertype on one interface, made
 * in a network namespace of the caller's choosing. A socket keeps the
 * namespace it was made in, so one process can serve interfaces in
 * several (a subscriber-facing namespace apart from the L2TP side's). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "l2tp/pppoe.h"
#include "util.h"

int l2tp_netns_socket(const char *netns, int domain, int type, int protocol, char *err, size_t errlen)
{
	if (!netns || !*netns) {
		int fd = socket(domain, type, protocol);
		return fd >= 0 ? fd : l2tp_errf(err, errlen, -errno, "socket: %s", strerror(errno));
	}
	if (strchr(netns, '/'))
		return l2tp_errf(err, errlen, -EINVAL, "netns '%s' is not a name (a name in /run/netns, no '/')", netns);
	char path[300];
	snprintf(path, sizeof(path), "/run/netns/%s", netns);
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return l2tp_errf(err, errlen, -errno, "/proc/self/ns/net: %s", strerror(errno));
	int target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		int rc = l2tp_errf(err, errlen, -errno, "netns '%s': %s", netns, strerror(errno));
		close(self);
		return rc;
	}
	int fd;
	if (setns(target, CLONE_NEWNET) != 0) {
		fd = l2tp_errf(err, errlen, -errno, "netns '%s': setns: %s", netns, strerror(errno));
	} else {
		fd = socket(domain, type, protocol);
		if (fd < 0)
			fd = l2tp_errf(err, errlen, -errno, "socket in netns '%s': %s", netns, strerror(errno));
		/* Back home, or every socket after this one would be made
		 * there: a process that cannot return must not go on. */
		if (setns(self, CLONE_NEWNET) != 0) {
			fprintf(stderr, "cannot return from netns '%s': setns: %s\n", netns, strerror(errno));
			abort();
		}
	}
	close(target);
	close(self);
	return fd;
}

int l2tp_packet_socket(const char *netns, const char *ifname, uint16_t ethertype, int *ifindex, uint8_t mac[6],
		       char *err, size_t errlen)
{
	struct ifreq ifr;
	if (!ifname || !*ifname || strlen(ifname) >= sizeof(ifr.ifr_name))
		return l2tp_errf(err, errlen, -EINVAL, "interface name '%s' is empty or too long (at most %zu characters)",
				 ifname ? ifname : "", sizeof(ifr.ifr_name) - 1);
	/* Protocol 0 until bound: a socket made with the ethertype would
	 * queue frames from every interface until then. */
	int fd = l2tp_netns_socket(netns, AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, err, errlen);
	if (fd < 0)
		return fd;
	int rc;
	/* Asked of the socket, so in the socket's namespace. */
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, SIOCGIFINDEX, &ifr) != 0) {
		rc = l2tp_errf(err, errlen, -errno, "interface '%s'%s%s: %s", ifname, netns && *netns ? " in netns " : "",
			       netns && *netns ? netns : "", strerror(errno));
		goto fail;
	}
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
		rc = l2tp_errf(err, errlen, -errno, "interface '%s': its MAC address: %s", ifname, strerror(errno));
		goto fail;
	}
	if (ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */) {
		rc = l2tp_errf(err, errlen, -EINVAL, "interface '%s' is not Ethernet (hardware type %u)", ifname,
			       ifr.ifr_hwaddr.sa_family);
		goto fail;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ethertype), .sll_ifindex = *ifindex};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		rc = l2tp_errf(err, errlen, -errno, "interface '%s': bind: %s", ifname, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return rc;
}
