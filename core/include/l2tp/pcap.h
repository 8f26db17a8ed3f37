/* Captures of what a context's sockets send and receive, as a pcap file
 * tshark and Wireshark dissect: each datagram in the IP and UDP headers it
 * had on the wire (raw IP link type), L2TPv3 over IP with its zero Session
 * ID. For lab work: what went over the wire, without tcpdump or root. */
#ifndef L2TP_PCAP_H
#define L2TP_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "l2tp/io.h"

#ifdef __cplusplus
extern "C" {
#endif

struct l2tp_pcap;

/* Creates (or truncates) path and writes the file header. 0, or a
 * negative errno with the reason in err. The caller holds one reference. */
int l2tp_pcap_open(const char *path, struct l2tp_pcap **out, char *err, size_t errlen);
struct l2tp_pcap *l2tp_pcap_ref(struct l2tp_pcap *pc);
/* Closes the file with the last reference. Accepts NULL. */
void l2tp_pcap_unref(struct l2tp_pcap *pc);
/* One record; a failed write is counted, and the capture stops there
 * rather than leave a torn record in the file. */
void l2tp_pcap_write(struct l2tp_pcap *pc, const struct l2tp_tap_packet *p);
uint64_t l2tp_pcap_packets(const struct l2tp_pcap *pc);
/* Writes that failed (the disk is full...): the first error, or 0. */
int l2tp_pcap_error(const struct l2tp_pcap *pc);

#ifdef __cplusplus
}
#endif
#endif
