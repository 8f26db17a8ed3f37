/* PPPoE (RFC 2516): the discovery codec and the access concentrator that
 * answers subscribers on an Ethernet interface and hands each session it
 * grants to its owner (the Lua policy places an L2TP call for it). */
#ifndef L2TP_PPPOE_H
#define L2TP_PPPOE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define L2TP_ETH_P_PPP_DISC 0x8863
#define L2TP_ETH_P_PPP_SES 0x8864
/* The PPPoE header: VER/TYPE, CODE, SESSION_ID, LENGTH. */
#define L2TP_PPPOE_HDR 6
/* What a discovery frame may carry in a 1500-byte Ethernet payload. */
#define L2TP_PPPOE_MAX_PAYLOAD (1500 - L2TP_PPPOE_HDR)

enum l2tp_pppoe_code {
	L2TP_PADI = 0x09,
	L2TP_PADO = 0x07,
	L2TP_PADR = 0x19,
	L2TP_PADS = 0x65,
	L2TP_PADT = 0xa7,
};

enum l2tp_pppoe_tag_type {
	L2TP_TAG_END_OF_LIST = 0x0000,
	L2TP_TAG_SERVICE_NAME = 0x0101,
	L2TP_TAG_AC_NAME = 0x0102,
	L2TP_TAG_HOST_UNIQ = 0x0103,
	L2TP_TAG_AC_COOKIE = 0x0104,
	L2TP_TAG_VENDOR_SPECIFIC = 0x0105,
	L2TP_TAG_RELAY_SESSION_ID = 0x0110,
	L2TP_TAG_PPP_MAX_PAYLOAD = 0x0120, /* RFC 4638 */
	L2TP_TAG_SERVICE_NAME_ERROR = 0x0201,
	L2TP_TAG_AC_SYSTEM_ERROR = 0x0202,
	L2TP_TAG_GENERIC_ERROR = 0x0203,
};

/* "PADI", ... or NULL; the tag's name ("service_name", ...) or NULL. */
const char *l2tp_pppoe_code_name(uint8_t code);
const char *l2tp_pppoe_tag_name(uint16_t type);
/* By those names; 0 or -ENOENT. */
int l2tp_pppoe_code_parse(const char *name, uint8_t *out);
int l2tp_pppoe_tag_parse(const char *name, uint16_t *out);

struct l2tp_pppoe_tag {
	uint16_t type;
	uint16_t len;
	const uint8_t *value; /* into the frame decoded */
};

#define L2TP_PPPOE_MAX_TAGS 32

/* A discovery frame, decoded: its tags in order (up to End-Of-List), and
 * the first of each tag the access concentrator acts on. */
struct l2tp_pppoe_frame {
	uint8_t code;
	uint16_t session_id;
	unsigned ntags;
	struct l2tp_pppoe_tag tags[L2TP_PPPOE_MAX_TAGS];
	const struct l2tp_pppoe_tag *service_name, *ac_name, *host_uniq, *ac_cookie, *relay_session_id,
		*max_payload, /* RFC 4638's PPP-Max-Payload */
		*error;	      /* the first of the three error tags */
};

/* Decodes the Ethernet payload of a discovery frame (bytes past LENGTH are
 * Ethernet padding). 0, or -EINVAL with the reason in err: a version or
 * type other than 1, an unknown code, LENGTH past the bytes there are, a
 * tag running past LENGTH, more than L2TP_PPPOE_MAX_TAGS tags. */
int l2tp_pppoe_decode(const uint8_t *buf, size_t len, struct l2tp_pppoe_frame *out, char *err, size_t errlen);

/* Encodes a discovery frame; returns its length, or -ENOSPC when it would
 * not fit in cap or in an Ethernet payload. */
int l2tp_pppoe_encode(uint8_t code, uint16_t session_id, const struct l2tp_pppoe_tag *tags, unsigned ntags,
		      uint8_t *buf, size_t cap);

/* MAC addresses: "aa:bb:cc:dd:ee:ff" (out: 18 bytes); parse accepts that
 * form only. */
void l2tp_mac_format(const uint8_t mac[6], char out[18]);
int l2tp_mac_parse(const char *text, uint8_t mac[6]);

/* ---- The access concentrator ---- */

struct l2tp_context;
struct l2tp_pppoe_ac;

/* What the owner sees of a subscriber's request (PADI or PADR). */
struct l2tp_pppoe_request {
	uint8_t mac[6];
	const char *interface;
	const uint8_t *service;	  /* the Service-Name asked for ("" = any) */
	size_t service_len;
	const uint8_t *host_uniq; /* NULL if none */
	size_t host_uniq_len;
	uint16_t session_id;	  /* PADR: the ID granted, pending the owner's word */
	/* RFC 4638: the PPP payload above 1492 bytes the subscriber asked for
	 * and the interface can carry, which the answer grants; 0: 1492 */
	uint16_t max_payload;
};

struct l2tp_pppoe_ac_config {
	const char *interface;
	const char *netns;	/* NULL: this process's namespace; else a name in /run/netns */
	const char *ac_name;
	const char *const *services; /* NULL-terminated; NULL or empty: any service */
	unsigned nservices;
	unsigned max_sessions;	/* sessions granted or pending */
	unsigned max_pending;	/* PADRs granted an ID, awaiting the owner's word */
	unsigned max_sessions_per_mac; /* one subscriber's (Host-Uniq tells them apart) */
	unsigned max_offers;	/* PADOs per cookie period (10 s): the offers outstanding */
	unsigned pending_timeout_ms; /* a pending session refused after this */
	/* PADI: return true to offer (PADO). NULL: offer to all. */
	bool (*on_padi)(void *arg, struct l2tp_pppoe_ac *ac, const struct l2tp_pppoe_request *req);
	/* A PADR with a good cookie was granted req->session_id: the owner
	 * answers with l2tp_pppoe_ac_confirm or _refuse, now or later. */
	void (*on_padr)(void *arg, struct l2tp_pppoe_ac *ac, const struct l2tp_pppoe_request *req);
	/* A session ended, whoever ended it (a PADT from the subscriber, a
	 * pending timeout, the owner's own refuse or terminate, the AC's
	 * close): the owner drops what it holds for it. */
	void (*on_end)(void *arg, struct l2tp_pppoe_ac *ac, uint16_t session_id, const char *reason);
	void *arg;
};

#define L2TP_PPPOE_DEFAULT_MAX_SESSIONS 4096
#define L2TP_PPPOE_DEFAULT_MAX_PENDING 256
#define L2TP_PPPOE_DEFAULT_MAX_SESSIONS_PER_MAC 8
#define L2TP_PPPOE_DEFAULT_MAX_OFFERS 1000
#define L2TP_PPPOE_DEFAULT_PENDING_TIMEOUT_MS 20000

void l2tp_pppoe_ac_config_defaults(struct l2tp_pppoe_ac_config *cfg);

struct l2tp_pppoe_ac_stats {
	uint64_t padi, pado, padr, pads, pads_refused, padt_in, padt_out;
	uint64_t malformed;	  /* not a discovery frame we can read */
	uint64_t bad_cookie;	  /* PADR with an AC-Cookie we did not give, or a stale one */
	uint64_t ignored;	  /* well-formed but not for us or not now */
	uint64_t dropped_by_limit; /* PADI or PADR over a limit */
	uint64_t sessions, pending;
};

int l2tp_pppoe_ac_create(struct l2tp_context *ctx, const struct l2tp_pppoe_ac_config *cfg,
			 struct l2tp_pppoe_ac **out, char *err, size_t errlen);
/* PADT to every session (on_end for each), then the socket closed. Safe
 * from inside the AC's own callbacks, where it happens on the way out. The
 * context does it when it closes. */
void l2tp_pppoe_ac_free(struct l2tp_pppoe_ac *ac);
/* Handles, for owners that must not hold a pointer the context may free
 * (NULL once freed). */
struct l2tp_pppoe_ac *l2tp_pppoe_ac_lookup(struct l2tp_context *ctx, uint64_t handle);
uint64_t l2tp_pppoe_ac_handle(const struct l2tp_pppoe_ac *ac);
/* The owner's word on a pending session: PADS with its ID... */
int l2tp_pppoe_ac_confirm(struct l2tp_pppoe_ac *ac, uint16_t session_id, char *err, size_t errlen);
/* ... or a PADS refusing it (ID 0, the error tag with text), freeing the
 * ID. tag: L2TP_TAG_SERVICE_NAME_ERROR, _AC_SYSTEM_ERROR or _GENERIC_ERROR. */
int l2tp_pppoe_ac_refuse(struct l2tp_pppoe_ac *ac, uint16_t session_id, uint16_t tag, const char *text, char *err,
			 size_t errlen);
/* Ends a session (PADT to the subscriber, with text as Generic-Error). */
int l2tp_pppoe_ac_terminate(struct l2tp_pppoe_ac *ac, uint16_t session_id, const char *text, char *err,
			    size_t errlen);
void l2tp_pppoe_ac_stats(const struct l2tp_pppoe_ac *ac, struct l2tp_pppoe_ac_stats *out);
const char *l2tp_pppoe_ac_interface(const struct l2tp_pppoe_ac *ac);
/* The interface's MAC, the AC's own address on the wire. */
void l2tp_pppoe_ac_mac(const struct l2tp_pppoe_ac *ac, uint8_t mac[6]);
/* Calls fn for each session: its ID, the subscriber's MAC, whether the
 * owner has confirmed it. */
void l2tp_pppoe_ac_foreach(const struct l2tp_pppoe_ac *ac,
			   void (*fn)(void *arg, uint16_t session_id, const uint8_t mac[6], bool confirmed), void *arg);

/* A socket of the given kind made inside network namespace netns (a name
 * in /run/netns; NULL or "": ours), the calling thread back in its own
 * namespace after. The fd or a negative errno with the reason in err. */
int l2tp_netns_socket(const char *netns, int domain, int type, int protocol, char *err, size_t errlen);
/* An AF_PACKET datagram socket for ethertype on interface ifname (in
 * netns), non-blocking; its index and MAC written out. */
int l2tp_packet_socket(const char *netns, const char *ifname, uint16_t ethertype, int *ifindex, uint8_t mac[6],
		       char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
