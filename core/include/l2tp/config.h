/* Tunnel and session configuration: plain data, validated as a whole
 * before anything is created. Key names follow go-l2tp's TOML keys. */
#ifndef L2TP_CONFIG_H
#define L2TP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

enum l2tp_version { L2TP_V2 = 2, L2TP_V3 = 3 };
enum l2tp_encap { L2TP_ENCAP_UDP = 0, L2TP_ENCAP_IP = 1 };

/* Values are the RFC 3931/IANA pseudowire types, which the kernel uses too. */
enum l2tp_pseudowire {
	L2TP_PW_NONE = 0,
	L2TP_PW_ETH_VLAN = 4,
	L2TP_PW_ETH = 5,
	L2TP_PW_PPP = 7,
	L2TP_PW_PPP_AC = 8,
};

enum l2tp_l2spec { L2TP_L2SPEC_NONE = 0, L2TP_L2SPEC_DEFAULT = 1 };

/* L2TPv3 control message authentication (RFC 3931 section 5.4.1): the
 * Message Digest AVP's hash types. */
enum l2tp_digest { L2TP_DIGEST_MD5 = 0, L2TP_DIGEST_SHA1 = 1 };

/* The protocol versions a listener accepts (a bit set). */
#define L2TP_LISTEN_V2 (1u << L2TP_V2)
#define L2TP_LISTEN_V3 (1u << L2TP_V3)

/* Framing Capabilities AVP bits (RFC 2661 section 4.4.3). */
#define L2TP_FRAMING_SYNC 0x1u
#define L2TP_FRAMING_ASYNC 0x2u

enum l2tp_tunnel_kind {
	L2TP_TUNNEL_STATIC = 0,
	L2TP_TUNNEL_QUIESCENT,
	L2TP_TUNNEL_DYNAMIC,
	L2TP_TUNNEL_ACCEPTED,
};

#define L2TP_ADDR_STRLEN 64
#define L2TP_HOSTNAME_MAX 256
#define L2TP_IFNAME_MAX 16 /* IFNAMSIZ, terminator included */
#define L2TP_COOKIE_MAX 8
#define L2TP_SECRET_MAX 256

struct l2tp_tunnel_config {
	enum l2tp_version version;
	enum l2tp_encap encap;
	char local[L2TP_ADDR_STRLEN]; /* as written by the user; "" = unset */
	char peer[L2TP_ADDR_STRLEN];
	uint32_t tid;
	uint32_t ptid;
	uint16_t window_size;
	uint32_t hello_timeout_ms; /* 0: no HELLO */
	uint32_t retry_timeout_ms;
	uint32_t max_retry_timeout_ms; /* backoff cap */
	uint32_t ack_timeout_ms;       /* delay before a lone ZLB; 0: once this read is handled */
	uint32_t stopccn_timeout_ms;   /* how long a closed channel keeps acknowledging */
	uint32_t setup_timeout_ms;     /* dynamic tunnels and their calls: time allowed to come up */
	uint16_t max_retries;
	char host_name[L2TP_HOSTNAME_MAX];
	uint32_t framing_caps;
	/* dynamic tunnels */
	char secret[L2TP_SECRET_MAX]; /* tunnel authentication and hidden AVPs; "" = none */
	bool hide_avps;		      /* hide what RFC 2661 allows hiding */
	bool hide_tunnel_id;	      /* with hide_avps: in SCCRQ and SCCRP too (xl2tpd cannot read it there) */
	bool challenge;		      /* challenge the peer (needs secret) */
	bool has_tie_breaker;	      /* send a Tie Breaker AVP in SCCRQ */
	uint8_t tie_breaker[8];
	/* L2TPv3 */
	enum l2tp_digest digest; /* with a secret, every message carries one */
	uint32_t router_id;	 /* 0: the local IPv4 address, or a random one */
	/* The kernel's side (static and quiescent tunnels: the kernel makes
	 * their UDP socket from the addresses) */
	uint32_t debug;		   /* the kernel's debug flags for the tunnel */
	bool udp_checksum;	   /* IPv4: UDP checksums on data packets (default on) */
	bool udp6_zero_checksum_tx; /* IPv6: send data with a zero UDP checksum */
	bool udp6_zero_checksum_rx; /* IPv6: accept data with a zero UDP checksum */
};

struct l2tp_session_config {
	uint32_t sid;
	uint32_t psid;
	enum l2tp_pseudowire pseudowire;
	bool seqnum;
	uint32_t reorder_timeout_ms;
	uint8_t cookie[L2TP_COOKIE_MAX];
	uint8_t cookie_len;
	uint8_t peer_cookie[L2TP_COOKIE_MAX];
	uint8_t peer_cookie_len;
	char interface_name[L2TP_IFNAME_MAX];
	enum l2tp_l2spec l2spec_type;
	/* L2TPv3 calls: the random cookie assigned where cookie is not set (0,
	 * 4 or 8 bytes). */
	uint8_t cookie_size;
	/* MTU and MRU: pppd's for a PPP session, the interface's MTU for an
	 * Ethernet one (0: the defaults) */
	uint16_t mtu, mru;
	uint32_t debug; /* the kernel's debug flags for the session */
	/* pseudowire pppac (go-l2tp's keys): the PPPoE session it carries */
	uint16_t pppoe_session_id;
	uint8_t pppoe_peer_mac[6];
	uint8_t pppoe_peer_mac_len; /* 0 or 6 */

	/* The long strings stay last (from remote_end_id on): a session whose
	 * long strings are all empty keeps its config without them, which is
	 * most of a session's memory at scale. */
	/* L2TPv3 calls: the Remote End ID the placer of a call asks for. */
	char remote_end_id[128];
	/* Calls we place: the Called Number (an L2TPv2 OCRQ must carry one;
	 * an ICRQ or an L2TPv3 OCRQ carries it where set). */
	char called_number[64];
	/* Incoming calls we place: the Calling Number (RFC 2661 4.4.5), who
	 * called the LAC; a PPPoE session's is its subscriber's MAC. */
	char calling_number[64];
	/* pseudowire pppac on the kernel: the PPPoE session's interface, whose
	 * session the call is bridged to (no pppd) */
	char pppoe_interface[L2TP_IFNAME_MAX];
	/* PPP sessions on the kernel data plane: pppd runs for them */
	char pppd_args[256];	  /* a file of extra pppd arguments (as kl2tpd) */
	char pppd_extra[1024];	  /* more arguments, '\n'-separated */
};

/* The one description of every config key: its name (go-l2tp's TOML key
 * where there is one), its type and place in the config struct, its range,
 * default and spellings, and the kinds of object that take it. The core
 * fills defaults and checks ranges from it; the Lua reader reads and writes
 * tables with it; so a key is added in one place. */
enum l2tp_key_type {
	L2TP_KEY_STRING,     /* char[size] */
	L2TP_KEY_UINT,	     /* an unsigned integer of size bytes, within [min, max] */
	L2TP_KEY_BOOL,
	L2TP_KEY_ENUM,	     /* an int enum, spelled by names */
	L2TP_KEY_FLAGS,	     /* a uint32_t bit set, spelled as an array of names */
	L2TP_KEY_BYTES,	     /* uint8_t[size] with its length (a uint8_t) at aux: 0, 4 or 8 */
	L2TP_KEY_TIEBREAKER, /* uint8_t[8] with a bool at aux saying it is set */
	L2TP_KEY_STRLIST,    /* strings kept '\n'-separated in char[size] */
	L2TP_KEY_HOOK,	     /* a function: the bindings keep it, the struct has no field */
};

struct l2tp_key_name {
	const char *name;
	int value;
};

/* Which objects take a key. */
#define L2TP_KEYS_STATIC 0x1u
#define L2TP_KEYS_QUIESCENT 0x2u
#define L2TP_KEYS_DYNAMIC 0x4u
#define L2TP_KEYS_ACCEPTED 0x8u /* a listener's template for the tunnels it accepts, and its calls' settings */
#define L2TP_KEYS_LISTENER 0x10u
#define L2TP_KEYS_ALL (L2TP_KEYS_STATIC | L2TP_KEYS_QUIESCENT | L2TP_KEYS_DYNAMIC | L2TP_KEYS_ACCEPTED)

struct l2tp_key {
	const char *name;
	enum l2tp_key_type type;
	size_t off, size;
	double min, max, def; /* UINT: range; UINT, BOOL, ENUM, FLAGS: default */
	const char *unit;     /* of a UINT, for messages ("ms"), or NULL */
	const struct l2tp_key_name *names; /* ENUM and FLAGS spellings */
	unsigned kinds;			   /* L2TP_KEYS_* */
	size_t aux;
	bool secret; /* never shown: read back as "(set)" */
};

/* NULL-name terminated. Listener keys hold the listener's own; its
 * template for accepted tunnels is the tunnel keys marked ACCEPTED. */
extern const struct l2tp_key l2tp_tunnel_keys[];
extern const struct l2tp_key l2tp_session_keys[];
extern const struct l2tp_key l2tp_listener_keys[];

/* The key set (L2TP_KEYS_*) a kind of tunnel takes, and its sessions. */
unsigned l2tp_tunnel_kind_keys(enum l2tp_tunnel_kind kind);
/* The kind whose session keys tunnel:session() takes in a tunnel of this
 * kind: an LNS places a call on an accepted tunnel as a LAC does on its
 * dynamic one (the accepted kind's session keys are what an answered
 * call's hook may set). */
enum l2tp_tunnel_kind l2tp_session_maker_kind(enum l2tp_tunnel_kind kind);
const struct l2tp_key *l2tp_key_find(const struct l2tp_key *keys, unsigned kinds, const char *name);
/* The spelling of value, or NULL; and the reverse (false if unknown). */
const char *l2tp_key_spell(const struct l2tp_key_name *names, int value);
bool l2tp_key_value(const struct l2tp_key_name *names, const char *name, int *out);
/* Every spelling, comma-separated (quoted: each in double quotes). */
void l2tp_key_spellings(const struct l2tp_key_name *names, bool quoted, char *buf, size_t len);
/* A UINT key's value in the struct at base, whatever its width. */
uint32_t l2tp_key_get_uint(const struct l2tp_key *k, const void *base);
void l2tp_key_set_uint(const struct l2tp_key *k, void *base, uint32_t v);
/* Sets every key of the set at base to its default (the rest of the
 * struct is left as it is). */
void l2tp_keys_default(const struct l2tp_key *keys, unsigned kinds, void *base);
/* The message for a value of k out of its range or spellings, as
 * "window_size 0 is out of range (accepted: 1-65535)". */
int l2tp_key_range_error(const struct l2tp_key *k, double value, char *err, size_t errlen);
int l2tp_key_spelling_error(const struct l2tp_key *k, const char *value, char *err, size_t errlen);
/* Every UINT of the set within its range, every ENUM one of its values. */
int l2tp_keys_check(const struct l2tp_key *keys, unsigned kinds, const void *base, char *err, size_t errlen);

/* go-l2tp's defaults. The version default depends on the kind of tunnel:
 * static tunnels exist only for L2TPv3. */
void l2tp_tunnel_config_defaults(struct l2tp_tunnel_config *cfg, enum l2tp_tunnel_kind kind);
void l2tp_session_config_defaults(struct l2tp_session_config *cfg, enum l2tp_version version);

/* Semantic checks of one config on its own (ranges, combinations,
 * addresses). Returns 0 or -EINVAL with a message naming the key, the value
 * and what is accepted. Uniqueness against existing objects is checked by
 * the context when the object is created. */
int l2tp_tunnel_config_check(const struct l2tp_tunnel_config *cfg, enum l2tp_tunnel_kind kind,
			     char *err, size_t errlen);
int l2tp_session_config_check(const struct l2tp_session_config *cfg, enum l2tp_version version,
			      enum l2tp_tunnel_kind kind, char *err, size_t errlen);

/* Address strings: "host:port", "[v6]:port", or for IP encapsulation a bare
 * address. Numeric addresses only: resolving names would block the loop. */
int l2tp_addr_parse(const char *text, enum l2tp_encap encap, struct sockaddr_storage *out,
		    socklen_t *outlen, char *err, size_t errlen);
/* Formats as "a.b.c.d:port" or "[v6]:port" (no port for port 0). */
void l2tp_addr_format(const struct sockaddr *sa, char *buf, size_t buflen);

const char *l2tp_version_name(enum l2tp_version v);
const char *l2tp_encap_name(enum l2tp_encap e);
const char *l2tp_pseudowire_name(enum l2tp_pseudowire pw);
/* Ethernet pseudowires (eth, eth_vlan): an l2tpeth interface each. */
bool l2tp_pseudowire_is_ethernet(enum l2tp_pseudowire pw);
const char *l2tp_l2spec_name(enum l2tp_l2spec t);
const char *l2tp_tunnel_kind_name(enum l2tp_tunnel_kind k);

#ifdef __cplusplus
}
#endif
#endif
