/* The L2TP wire codec: headers (RFC 2661 section 3.1, RFC 3931 sections
 * 3.2 and 4.1), AVPs (one table), hidden AVPs (RFC 2661 section 4.3) and
 * per-message validation. Decoding never reads a byte it has not checked
 * it has; every failure names the byte offset and, where the RFC says how
 * to answer it, the result and error code to answer with. */
#ifndef L2TP_CODEC_H
#define L2TP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum l2tp_msg_type {
	L2TP_MSG_ZLB = 0, /* not on the wire: a control message without AVPs */
	L2TP_MSG_SCCRQ = 1,
	L2TP_MSG_SCCRP = 2,
	L2TP_MSG_SCCCN = 3,
	L2TP_MSG_STOPCCN = 4,
	L2TP_MSG_HELLO = 6,
	L2TP_MSG_OCRQ = 7,
	L2TP_MSG_OCRP = 8,
	L2TP_MSG_OCCN = 9,
	L2TP_MSG_ICRQ = 10,
	L2TP_MSG_ICRP = 11,
	L2TP_MSG_ICCN = 12,
	L2TP_MSG_CDN = 14,
	L2TP_MSG_WEN = 15,
	L2TP_MSG_SLI = 16,
	L2TP_MSG_ACK = 20, /* L2TPv3 explicit acknowledgement */
};

enum l2tp_avp_type {
	L2TP_AVP_MESSAGE_TYPE = 0,
	L2TP_AVP_RESULT_CODE = 1,
	L2TP_AVP_PROTOCOL_VERSION = 2,
	L2TP_AVP_FRAMING_CAPABILITIES = 3,
	L2TP_AVP_BEARER_CAPABILITIES = 4,
	L2TP_AVP_TIE_BREAKER = 5,
	L2TP_AVP_FIRMWARE_REVISION = 6,
	L2TP_AVP_HOST_NAME = 7,
	L2TP_AVP_VENDOR_NAME = 8,
	L2TP_AVP_ASSIGNED_TUNNEL_ID = 9,
	L2TP_AVP_RECEIVE_WINDOW_SIZE = 10,
	L2TP_AVP_CHALLENGE = 11,
	L2TP_AVP_Q931_CAUSE_CODE = 12,
	L2TP_AVP_CHALLENGE_RESPONSE = 13,
	L2TP_AVP_ASSIGNED_SESSION_ID = 14,
	L2TP_AVP_CALL_SERIAL_NUMBER = 15,
	L2TP_AVP_MINIMUM_BPS = 16,
	L2TP_AVP_MAXIMUM_BPS = 17,
	L2TP_AVP_BEARER_TYPE = 18,
	L2TP_AVP_FRAMING_TYPE = 19,
	L2TP_AVP_CALLED_NUMBER = 21,
	L2TP_AVP_CALLING_NUMBER = 22,
	L2TP_AVP_SUB_ADDRESS = 23,
	L2TP_AVP_TX_CONNECT_SPEED = 24,
	L2TP_AVP_PHYSICAL_CHANNEL_ID = 25,
	L2TP_AVP_INITIAL_RECEIVED_LCP_CONFREQ = 26,
	L2TP_AVP_LAST_SENT_LCP_CONFREQ = 27,
	L2TP_AVP_LAST_RECEIVED_LCP_CONFREQ = 28,
	L2TP_AVP_PROXY_AUTHEN_TYPE = 29,
	L2TP_AVP_PROXY_AUTHEN_NAME = 30,
	L2TP_AVP_PROXY_AUTHEN_CHALLENGE = 31,
	L2TP_AVP_PROXY_AUTHEN_ID = 32,
	L2TP_AVP_PROXY_AUTHEN_RESPONSE = 33,
	L2TP_AVP_CALL_ERRORS = 34,
	L2TP_AVP_ACCM = 35,
	L2TP_AVP_RANDOM_VECTOR = 36,
	L2TP_AVP_PRIVATE_GROUP_ID = 37,
	L2TP_AVP_RX_CONNECT_SPEED = 38,
	L2TP_AVP_SEQUENCING_REQUIRED = 39,
	L2TP_AVP_PPP_DISCONNECT_CAUSE = 46, /* RFC 3145 */
	L2TP_AVP_EXTENDED_VENDOR_ID = 58,
	L2TP_AVP_MESSAGE_DIGEST = 59,
	L2TP_AVP_ROUTER_ID = 60,
	L2TP_AVP_ASSIGNED_CONNECTION_ID = 61,
	L2TP_AVP_PW_CAPABILITIES_LIST = 62,
	L2TP_AVP_LOCAL_SESSION_ID = 63,
	L2TP_AVP_REMOTE_SESSION_ID = 64,
	L2TP_AVP_ASSIGNED_COOKIE = 65,
	L2TP_AVP_REMOTE_END_ID = 66,
	L2TP_AVP_PW_TYPE = 68,
	L2TP_AVP_L2_SPECIFIC_SUBLAYER = 69,
	L2TP_AVP_DATA_SEQUENCING = 70,
	L2TP_AVP_CIRCUIT_STATUS = 71,
	L2TP_AVP_PREFERRED_LANGUAGE = 72,
	L2TP_AVP_CTRL_MSG_AUTH_NONCE = 73,
	L2TP_AVP_TX_CONNECT_SPEED_V3 = 74,
	L2TP_AVP_RX_CONNECT_SPEED_V3 = 75,
};

/* How an AVP's value is laid out; the Lua codec maps each to a natural
 * Lua form. */
enum l2tp_avp_data {
	L2TP_AVP_D_EMPTY,	   /* no value (Sequencing Required) */
	L2TP_AVP_D_U8,
	L2TP_AVP_D_U16,
	L2TP_AVP_D_U32,
	L2TP_AVP_D_U64,
	L2TP_AVP_D_STRING,
	L2TP_AVP_D_BYTES,
	L2TP_AVP_D_RESULT,	   /* u16 result [u16 error [message]] */
	L2TP_AVP_D_PROTO_VERSION,  /* u8 version, u8 revision */
	L2TP_AVP_D_Q931,	   /* u16 cause, u8 message [advisory] */
	L2TP_AVP_D_CALL_ERRORS,	   /* u16 reserved, 6 x u32 counters */
	L2TP_AVP_D_ACCM,	   /* u16 reserved, u32 send, u32 receive */
	L2TP_AVP_D_U16_LIST,	   /* Pseudowire Capabilities List */
	L2TP_AVP_D_DIGEST,	   /* u8 digest type, digest */
	L2TP_AVP_D_PPP_DISCONNECT, /* u16 code, u16 protocol, u8 direction [message] */
};

enum l2tp_mbit {
	L2TP_MBIT_MUST_SET,   /* the RFC says the M bit MUST be 1 */
	L2TP_MBIT_MUST_CLEAR, /* the RFC says the M bit MUST be 0 */
	L2TP_MBIT_ANY,	      /* either: the sender decides */
};

#define L2TP_AVP_V2 0x1u
#define L2TP_AVP_V3 0x2u

struct l2tp_avp_info {
	uint16_t type;
	const char *name;     /* as the RFC spells it */
	const char *key;      /* the snake_case name Lua uses */
	enum l2tp_avp_data data;
	uint16_t min_len;     /* bounds of the value, header excluded */
	uint16_t max_len;
	enum l2tp_mbit mbit;
	bool may_hide;	      /* the RFC allows the H bit on it */
	unsigned versions;    /* L2TP_AVP_V2 | L2TP_AVP_V3 */
};

/* The IETF AVP table; NULL for an unknown (vendor, type). */
const struct l2tp_avp_info *l2tp_avp_info(uint16_t vendor, uint16_t type);
const struct l2tp_avp_info *l2tp_avp_info_by_key(const char *key);
/* Every IETF AVP we know, in type order. */
const struct l2tp_avp_info *l2tp_avp_table(size_t *count);

const char *l2tp_msg_type_name(uint16_t type);		/* "SCCRQ", or NULL */
const char *l2tp_msg_type_description(uint16_t type);	/* "Start-Control-Connection-Request" */
int l2tp_msg_type_parse(const char *name, uint16_t *out); /* -EINVAL if unknown */
/* True for messages that belong to a session (their errors close the
 * session with a CDN); false for those of the control connection. */
bool l2tp_msg_type_is_session(uint16_t type);

/* Result and error codes (RFC 2661 section 4.4.2, RFC 3931 section 5.4.2). */
const char *l2tp_result_code_text(uint16_t msg_type, uint16_t result);
const char *l2tp_error_code_text(uint16_t error);

#define L2TP_RESULT_STOPCCN_GENERAL 1
#define L2TP_RESULT_STOPCCN_ERROR 2
#define L2TP_RESULT_STOPCCN_EXISTS 3
#define L2TP_RESULT_STOPCCN_NOT_AUTHORIZED 4
#define L2TP_RESULT_STOPCCN_BAD_VERSION 5
#define L2TP_RESULT_STOPCCN_SHUTTING_DOWN 6
#define L2TP_RESULT_STOPCCN_FSM_ERROR 7
#define L2TP_RESULT_CDN_LOST_CARRIER 1
#define L2TP_RESULT_CDN_ERROR 2
#define L2TP_RESULT_CDN_ADMIN 3
#define L2TP_RESULT_CDN_NO_FACILITIES_TEMP 4
#define L2TP_RESULT_CDN_NO_FACILITIES_PERM 5
#define L2TP_RESULT_CDN_TIMEOUT 10 /* not established within the time the LAC allows */
#define L2TP_RESULT_CDN_PW_TYPE 14    /* L2TPv3: unsupported pseudowire type */
#define L2TP_RESULT_CDN_SEQ_NO_L2SPEC 15 /* L2TPv3: sequencing asked for without a sublayer to carry it */
#define L2TP_RESULT_CDN_FSM 16	      /* L2TPv3: state machine error or timeout */
#define L2TP_ERROR_NONE 0
#define L2TP_ERROR_NO_TUNNEL 1
#define L2TP_ERROR_BAD_LENGTH 2
#define L2TP_ERROR_BAD_VALUE 3
#define L2TP_ERROR_NO_RESOURCES 4
#define L2TP_ERROR_BAD_SESSION_ID 5
#define L2TP_ERROR_VENDOR 6
#define L2TP_ERROR_TRY_ANOTHER 7
#define L2TP_ERROR_UNKNOWN_MBIT_AVP 8

/* Headers. */
struct l2tp_header {
	uint8_t version;     /* 2 or 3 */
	bool control;	     /* T bit */
	bool has_length;     /* L */
	bool has_seq;	     /* S */
	bool has_offset;     /* O (L2TPv2 data) */
	bool priority;	     /* P (L2TPv2 data) */
	uint16_t length;     /* when has_length */
	uint32_t tunnel_id;  /* v2 tunnel ID, v3 control connection ID */
	uint32_t session_id; /* v2 header session ID; v3 data session ID */
	uint16_t ns, nr;     /* control, or v2 data with S */
	uint16_t offset_size;
	size_t header_len;   /* where the AVPs or the payload start */
};

/* L2TPv3 data messages carry what the session agreed on: a cookie of 0, 4
 * or 8 bytes and maybe the default L2-specific sublayer. */
struct l2tp_data_params {
	uint8_t cookie_len;
	bool l2spec_default;
};

struct l2tp_data {
	struct l2tp_header hdr;
	const uint8_t *cookie;
	uint8_t cookie_len;
	bool has_l2spec;
	bool l2spec_seq; /* the S bit of the default sublayer */
	uint32_t l2spec_ns; /* 24-bit sequence number */
	const uint8_t *payload;
	size_t payload_len;
};

enum l2tp_codec_err {
	L2TP_CODEC_OK = 0,
	L2TP_CODEC_TRUNCATED,	     /* shorter than its header */
	L2TP_CODEC_BAD_VERSION,
	L2TP_CODEC_BAD_CONTROL_BITS, /* control without T, L, S, or with O/P */
	L2TP_CODEC_BAD_LENGTH,	     /* length field beyond the datagram or under the header */
	L2TP_CODEC_AVP_TOO_SHORT,    /* AVP length under 6 */
	L2TP_CODEC_AVP_OVERRUN,	     /* AVP runs past the message end */
	L2TP_CODEC_AVP_RESERVED,     /* reserved AVP header bits set */
	L2TP_CODEC_FIRST_NOT_MSGTYPE,
	L2TP_CODEC_BAD_MSGTYPE,	     /* unknown message type */
	L2TP_CODEC_AVP_BAD_LENGTH,   /* value length outside the table's bounds */
	L2TP_CODEC_UNKNOWN_MBIT_AVP,
	L2TP_CODEC_HIDDEN_NO_RV,     /* hidden AVP and no Random Vector before it */
	L2TP_CODEC_HIDDEN_NO_SECRET,
	L2TP_CODEC_HIDDEN_BAD_LENGTH, /* the decrypted length does not fit */
	L2TP_CODEC_HIDDEN_NOT_ALLOWED,
	L2TP_CODEC_MISSING_AVP,	     /* a required AVP is absent */
	L2TP_CODEC_TOO_MANY_AVPS,
	L2TP_CODEC_NO_SPACE,	     /* encode: the buffer is too small */
	L2TP_CODEC_BAD_INPUT,	     /* encode: the message given is invalid */
};

struct l2tp_codec_error {
	enum l2tp_codec_err code;
	size_t offset;	      /* byte offset in the datagram */
	uint16_t avp_type;    /* where an AVP is at fault */
	uint16_t msg_type;    /* 0 if not known yet */
	uint16_t result_code; /* how to answer, where the RFC says (0: drop) */
	uint16_t error_code;
	bool session_scope;   /* answer with CDN (true) or StopCCN */
	char message[200];
};

struct l2tp_avp {
	uint16_t vendor;
	uint16_t type;
	bool mandatory;
	bool hidden;
	uint16_t len;	       /* value length (unhidden) */
	uint16_t hidden_len;   /* hidden: the length it had or is to have, padding included (0 on encode: whole
				* 16-byte blocks) */
	const uint8_t *value;  /* into the decoded buffer */
	size_t offset;	       /* of the AVP header in the datagram */
};

#define L2TP_MAX_AVPS 128

struct l2tp_msg {
	struct l2tp_header hdr;
	uint16_t type;	/* L2TP_MSG_ZLB for a ZLB */
	size_t navps;
	struct l2tp_avp avps[L2TP_MAX_AVPS];
	/* Room for the values l2tp_msg_add_u16/u32/u64 copy in. */
	uint8_t scratch[256];
	size_t scratch_used;
};

/* Builders for the state machines: start a message, then add AVPs in
 * order. The Message Type AVP is added by l2tp_msg_init. Values given by
 * pointer must live until the message is encoded. Return -ENOSPC when the
 * message is full. */
void l2tp_msg_init(struct l2tp_msg *msg, uint8_t version, uint16_t type);
int l2tp_msg_add(struct l2tp_msg *msg, uint16_t type, bool mandatory, bool hidden, const void *value,
		 uint16_t len);
int l2tp_msg_add_u16(struct l2tp_msg *msg, uint16_t type, bool mandatory, uint16_t v);
int l2tp_msg_add_u32(struct l2tp_msg *msg, uint16_t type, bool mandatory, uint32_t v);
int l2tp_msg_add_u64(struct l2tp_msg *msg, uint16_t type, bool mandatory, uint64_t v);
/* A Result Code AVP with its error code and message (cut to fit). */
int l2tp_msg_add_result(struct l2tp_msg *msg, uint16_t result, uint16_t error, const char *message);

struct l2tp_decode_opts {
	bool over_ip;	     /* L2TPv3 over IP: a 4-byte session ID leads */
	const uint8_t *secret; /* for hidden AVPs; NULL: none configured */
	size_t secret_len;
	bool no_validate;    /* skip per-message required-AVP checks */
};

/* Decodes a control message. buf is modified in place: hidden AVP values
 * are decrypted where they lie, and msg->avps point into buf. */
int l2tp_msg_decode(uint8_t *buf, size_t len, const struct l2tp_decode_opts *opts, struct l2tp_msg *msg,
		    struct l2tp_codec_error *err);

/* Reads a control message's header and, without decoding its AVPs, its
 * message type (L2TP_MSG_ZLB for a ZLB, L2TP_MSG_UNKNOWN when the first
 * AVP is not a readable Message Type). For the paths that only route a
 * datagram: cheap, and it never changes buf. */
#define L2TP_MSG_UNKNOWN 0xffffu
int l2tp_msg_peek(const uint8_t *buf, size_t len, bool over_ip, struct l2tp_header *h, uint16_t *type);

/* L2TPv3 control message authentication (RFC 3931 sections 4.3 and
 * 5.4.1). Both directions use one key, HMAC-MD5(secret, 2); each message's
 * Message Digest AVP, right after its Message Type, is HMAC(key, the
 * sender's nonce || the receiver's nonce || the message, its digest read as
 * zeros), with MD5 (type 0) or SHA-1 (type 1). An SCCRQ, and any message
 * sent before both nonces are known, is signed without nonces. */
#define L2TP_AUTH_KEY_LEN 16
#define L2TP_DIGEST_MAX 20
struct l2tp_nonces {
	const uint8_t *first, *second; /* the sender's, the receiver's */
	size_t first_len, second_len;
};
void l2tp_auth_key(const void *secret, size_t len, uint8_t key[L2TP_AUTH_KEY_LEN]);
/* The secret L2TPv3 hides AVPs with: HMAC-MD5(secret, 1). */
void l2tp_hiding_key(const void *secret, size_t len, uint8_t key[L2TP_AUTH_KEY_LEN]);
/* 16 (MD5), 20 (SHA-1), 0 for another type. */
size_t l2tp_digest_size(uint8_t type);
/* msg: an encoded control message from its header (over IP: after the
 * session ID), len its Length. Sign fills its digest (-EINVAL: no digest
 * AVP where it belongs); verify returns 0, -ENOMSG (no digest there) or
 * -EBADMSG (no digest matches). nonces NULL: none. */
int l2tp_digest_sign(uint8_t *msg, size_t len, const uint8_t key[L2TP_AUTH_KEY_LEN], const struct l2tp_nonces *nonces);
int l2tp_digest_verify(const uint8_t *msg, size_t len, const uint8_t key[L2TP_AUTH_KEY_LEN],
		       const struct l2tp_nonces *nonces);
/* Makes room for a message's digest: a Message Digest AVP of type (zeros
 * until l2tp_digest_sign fills it) right after its Message Type. -EINVAL
 * for an unknown type or a message without a Message Type first, -ENOSPC
 * when it is full. */
int l2tp_msg_add_digest(struct l2tp_msg *msg, uint8_t type);
/* The first AVP of type in an encoded control message, unhidden, without
 * decoding it (or checking it): -ENOENT if there is none. */
int l2tp_avp_scan(const uint8_t *msg, size_t len, uint16_t type, const uint8_t **value, size_t *vlen);
/* An encoded control message's AVPs one by one, headers read and nothing
 * decoded (traces, scans): *off starts at 0 and is moved past each; 1 with
 * the AVP in out, 0 at the end, -EBADMSG where an AVP's length is wrong. */
struct l2tp_avp_raw {
	bool mandatory, hidden;
	uint16_t vendor, type;
	const uint8_t *value;
	size_t len;
};
int l2tp_avp_next(const uint8_t *msg, size_t len, size_t *off, struct l2tp_avp_raw *out);

/* Checks a decoded message against its type's required AVPs. */
int l2tp_msg_validate(const struct l2tp_msg *msg, struct l2tp_codec_error *err);

struct l2tp_encode_opts {
	bool over_ip;
	const uint8_t *secret;
	size_t secret_len;
	const uint8_t *random_vector; /* for hiding; NULL: made with getrandom() */
	size_t random_vector_len;
	bool no_validate; /* build malformed messages on purpose */
};

/* Encodes msg (header fields and AVPs; AVPs with hidden set are hidden,
 * with a Random Vector AVP inserted before the first one unless the
 * message has one). The length field is computed. */
int l2tp_msg_encode(const struct l2tp_msg *msg, const struct l2tp_encode_opts *opts, uint8_t *buf,
		    size_t buflen, size_t *outlen, struct l2tp_codec_error *err);

/* Finds the first AVP of (vendor 0, type); NULL if absent. */
const struct l2tp_avp *l2tp_msg_find(const struct l2tp_msg *msg, uint16_t type);
/* Typed readers; the decoder has checked the lengths against the table. */
uint16_t l2tp_avp_u16(const struct l2tp_avp *a);
uint32_t l2tp_avp_u32(const struct l2tp_avp *a);
uint64_t l2tp_avp_u64(const struct l2tp_avp *a);

/* Typed views of a decoded control message's AVPs, for programs that act
 * on messages (our state machines, a C peer, the Lua codec). Absent AVPs
 * read as zero, NULL or false; the decoder has checked lengths. Pointers
 * point into the message's buffer. */
struct l2tp_result_view {
	uint16_t result_code;
	uint16_t error_code;
	bool has_error_code;
	const char *message; /* not NUL-terminated */
	uint16_t message_len;
};

/* One AVP's value in C types, by the kind of data its table entry says
 * (info->data); bytes point into the decoded message. Every AVP reader
 * (the state machines' views, the Lua codec) reads values through it. */
struct l2tp_avp_value {
	enum l2tp_avp_data data;
	union {
		uint64_t u; /* U8, U16, U32, U64 */
		struct {
			const uint8_t *p;
			uint16_t len;
		} bytes; /* STRING, BYTES, and U16_LIST (len / 2 entries) */
		struct l2tp_result_view result;
		struct {
			uint8_t version, revision;
		} proto;
		struct {
			uint16_t cause;
			uint8_t msg;
			const char *advisory;
			uint16_t advisory_len;
		} q931;
		struct {
			uint32_t crc, framing, hardware_overruns, buffer_overruns, timeouts, alignment;
		} call_errors;
		struct {
			uint32_t send, recv;
		} accm;
		struct {
			uint8_t type;
			const uint8_t *digest;
			uint16_t len;
		} digest;
		struct {
			uint16_t code, protocol;
			uint8_t direction;
			const char *message;
			uint16_t message_len;
		} ppp_disconnect;
	};
};
/* Reads a's value as info's kind (which the decoder has checked its length
 * against); an AVP we have no entry for (info NULL) reads as BYTES. */
void l2tp_avp_value(const struct l2tp_avp_info *info, const struct l2tp_avp *a, struct l2tp_avp_value *out);
/* The n-th entry of a U16_LIST value. */
uint16_t l2tp_avp_list_u16(const struct l2tp_avp_value *v, size_t n);

/* SCCRQ, SCCRP, SCCCN, StopCCN (RFC 2661 sections 6.1-6.4). */
struct l2tp_ctl_view {
	bool has_version;
	uint8_t version, revision; /* Protocol Version */
	uint32_t assigned_tid;	   /* Assigned Tunnel ID (v2) or Connection ID (v3) */
	bool has_rx_window;
	uint16_t rx_window;
	uint32_t framing_caps, bearer_caps;
	const char *host_name, *vendor_name;
	uint16_t host_name_len, vendor_name_len;
	const uint8_t *challenge, *response, *tie_breaker;
	uint16_t challenge_len, response_len; /* a Tie Breaker is 8 bytes */
	bool has_result;
	struct l2tp_result_view result;
	/* L2TPv3 (RFC 3931 sections 5.4.3 and 6.1) */
	bool has_router_id;
	uint32_t router_id;
	const uint8_t *pw_caps; /* Pseudowire Capabilities List: n_pw_caps u16s */
	uint16_t n_pw_caps;
	const uint8_t *nonce; /* Control Message Authentication Nonce */
	uint16_t nonce_len;
};

/* Whether a Pseudowire Capabilities List holds type pw. */
bool l2tp_ctl_view_has_pw(const struct l2tp_ctl_view *v, uint16_t pw);

/* ICRQ, ICRP, ICCN, OCRQ, OCRP, OCCN, CDN, SLI, WEN (sections 6.7-6.15). */
struct l2tp_call_view {
	uint32_t assigned_sid;
	bool has_serial;
	uint32_t serial;
	uint32_t bearer_type, framing_type, tx_speed;
	bool seq_required;
	const char *calling, *called, *sub_address;
	uint16_t calling_len, called_len, sub_address_len;
	bool has_accm;
	uint32_t send_accm, recv_accm;
	bool has_result;
	struct l2tp_result_view result;
	/* L2TPv3 (RFC 3931 section 5.4.4): assigned_sid holds the sender's
	 * Local Session ID, remote_sid the receiver's ID it echoes. */
	uint32_t remote_sid;
	bool has_pw_type, has_l2spec, has_data_seq, has_circuit_status;
	uint16_t pw_type, l2spec, data_seq, circuit_status;
	const uint8_t *cookie, *remote_end_id;
	uint16_t cookie_len, remote_end_id_len;
};

/* Circuit Status bits (RFC 3931 section 5.4.5), Data Sequencing values. */
#define L2TP_CIRCUIT_ACTIVE 0x1u
#define L2TP_CIRCUIT_NEW 0x2u
#define L2TP_DATA_SEQ_NONE 0
#define L2TP_DATA_SEQ_ALL 2

void l2tp_msg_read_ctl(const struct l2tp_msg *msg, struct l2tp_ctl_view *out);
void l2tp_msg_read_call(const struct l2tp_msg *msg, struct l2tp_call_view *out);

/* Data messages. */
int l2tp_data_decode(const uint8_t *buf, size_t len, bool over_ip, const struct l2tp_data_params *p,
		     struct l2tp_data *out, struct l2tp_codec_error *err);
int l2tp_data_encode(const struct l2tp_data *d, bool over_ip, uint8_t *buf, size_t buflen, size_t *outlen,
		     struct l2tp_codec_error *err);

/* RFC 2661 section 4.3 hiding: transforms value in place. hidden is the
 * AVP value as on the wire: it starts with the 2-byte original length. */
int l2tp_avp_unhide(uint16_t type, const uint8_t *secret, size_t secret_len, const uint8_t *rv,
		    size_t rv_len, uint8_t *hidden, size_t hidden_len, uint16_t *orig_len);
void l2tp_avp_hide(uint16_t type, const uint8_t *secret, size_t secret_len, const uint8_t *rv, size_t rv_len,
		   uint8_t *buf, size_t len);

/* RFC 2661 section 4.2 tunnel authentication: MD5(msg type, secret, challenge). */
void l2tp_challenge_response(uint8_t msg_type, const uint8_t *secret, size_t secret_len,
			     const uint8_t *challenge, size_t challenge_len, uint8_t out[16]);

#ifdef __cplusplus
}
#endif
#endif
