#include <errno.h>
#include <sys/stat.h>

#include "check.h"
#include "golden.h"
#include "l2tp/codec.h"

static struct golden vecs[128];
static int nvecs;

static const struct golden *vec(const char *name)
{
	for (int i = 0; i < nvecs; i++)
		if (!strcmp(vecs[i].name, name))
			return &vecs[i];
	fprintf(stderr, "no golden vector %s\n", name);
	exit(2);
}

static int decode(const struct golden *g, unsigned char *buf, struct l2tp_msg *m, struct l2tp_codec_error *e)
{
	struct l2tp_decode_opts o = {.over_ip = g->over_ip};
	if (g->secret[0]) {
		o.secret = (const uint8_t *)g->secret;
		o.secret_len = strlen(g->secret);
	}
	memcpy(buf, g->bytes, g->len);
	return l2tp_msg_decode(buf, g->len, &o, m, e);
}

static void golden_vectors_decode_and_reencode_byte_for_byte(void)
{
	static struct l2tp_msg m;
	unsigned char buf[2048], out[2048];
	struct l2tp_codec_error e;
	int controls = 0, datas = 0;
	for (int i = 0; i < nvecs; i++) {
		const struct golden *g = &vecs[i];
		size_t n = 0;
		int rc;
		if (g->control) {
			rc = decode(g, buf, &m, &e);
			if (rc)
				fprintf(stderr, "%s: %s\n", g->name, e.message);
			CHECK_EQ(rc, 0);
			if (rc || g->decode_only)
				continue;
			struct l2tp_encode_opts eo = {.over_ip = g->over_ip};
			if (g->secret[0]) {
				eo.secret = (const uint8_t *)g->secret;
				eo.secret_len = strlen(g->secret);
			}
			rc = l2tp_msg_encode(&m, &eo, out, sizeof(out), &n, &e);
			if (rc)
				fprintf(stderr, "%s: encode: %s\n", g->name, e.message);
			CHECK_EQ(rc, 0);
			controls++;
		} else {
			struct l2tp_data d;
			struct l2tp_data_params p = {.cookie_len = (uint8_t)g->cookie_len, .l2spec_default = g->l2spec};
			rc = l2tp_data_decode(g->bytes, g->len, g->over_ip, &p, &d, &e);
			if (rc)
				fprintf(stderr, "%s: %s\n", g->name, e.message);
			CHECK_EQ(rc, 0);
			if (rc)
				continue;
			rc = l2tp_data_encode(&d, g->over_ip, out, sizeof(out), &n, &e);
			CHECK_EQ(rc, 0);
			datas++;
		}
		if (n != g->len || memcmp(out, g->bytes, n) != 0) {
			fprintf(stderr, "%s: re-encoded bytes differ (%zu vs %zu)\n", g->name, n, g->len);
			CHECK(false);
		} else {
			CHECK(true);
		}
	}
	/* Every message type of both versions, and the data forms. */
	CHECK(controls >= 33);
	CHECK(datas >= 6);
}

static void golden_fields_decode_to_what_the_comments_say(void)
{
	static struct l2tp_msg m;
	unsigned char buf[2048];
	struct l2tp_codec_error e;
	const struct l2tp_avp *a;

	CHECK_EQ(decode(vec("v2-sccrq"), buf, &m, &e), 0);
	CHECK_EQ(m.type, L2TP_MSG_SCCRQ);
	CHECK_EQ(m.hdr.version, 2);
	CHECK_EQ(m.navps, 10);
	a = l2tp_msg_find(&m, L2TP_AVP_HOST_NAME);
	CHECK(a && a->len == 3 && !memcmp(a->value, "lac", 3));
	a = l2tp_msg_find(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	CHECK(a && l2tp_avp_u16(a) == 0x1234 && a->mandatory);
	a = l2tp_msg_find(&m, L2TP_AVP_FIRMWARE_REVISION);
	CHECK(a && !a->mandatory);

	CHECK_EQ(decode(vec("v2-sccrp"), buf, &m, &e), 0);
	CHECK_EQ(m.hdr.tunnel_id, 0x1234);
	CHECK_EQ(m.hdr.nr, 1);

	CHECK_EQ(decode(vec("v3-sccrq"), buf, &m, &e), 0);
	CHECK_EQ(m.hdr.version, 3);
	a = l2tp_msg_find(&m, L2TP_AVP_ASSIGNED_CONNECTION_ID);
	CHECK(a && l2tp_avp_u32(a) == 0xabcd);

	CHECK_EQ(decode(vec("v3-icrq"), buf, &m, &e), 0);
	a = l2tp_msg_find(&m, L2TP_AVP_TX_CONNECT_SPEED_V3);
	CHECK(a && l2tp_avp_u64(a) == 1000000000ull);

	CHECK_EQ(decode(vec("v3-sccrp"), buf, &m, &e), 0);
	CHECK_EQ(m.hdr.tunnel_id, 0xabcd);

	CHECK_EQ(decode(vec("v3-ip-scccn"), buf, &m, &e), 0);
	CHECK_EQ(m.type, L2TP_MSG_SCCCN);
	CHECK_EQ(m.hdr.tunnel_id, 0x1111);

	CHECK_EQ(decode(vec("v2-zlb"), buf, &m, &e), 0);
	CHECK_EQ(m.type, L2TP_MSG_ZLB);
	CHECK_EQ(m.navps, 0);

	/* MikroTik's short Result Code. */
	CHECK_EQ(decode(vec("v2-cdn"), buf, &m, &e), 0);
	a = l2tp_msg_find(&m, L2TP_AVP_RESULT_CODE);
	CHECK(a && a->len == 2 && l2tp_avp_u16(a) == 3);

	/* Vendor AVPs are never IETF ones. */
	CHECK_EQ(decode(vec("v2-vendor-avp"), buf, &m, &e), 0);
	CHECK(l2tp_msg_find(&m, L2TP_AVP_PROTOCOL_VERSION) == NULL);
	CHECK(l2tp_msg_find(&m, L2TP_AVP_RESULT_CODE) == NULL);
	CHECK_EQ(m.navps, 3);
	CHECK_EQ(m.avps[1].vendor, 3561);
	CHECK_EQ(m.avps[1].type, 2);
	CHECK(l2tp_avp_info(m.avps[1].vendor, m.avps[1].type) == NULL);

	/* Hidden: multi-block chaining and padding. */
	CHECK_EQ(decode(vec("v2-hidden"), buf, &m, &e), 0);
	a = l2tp_msg_find(&m, L2TP_AVP_HOST_NAME);
	CHECK(a && a->hidden && a->len == 31 && !memcmp(a->value, "a-rather-long-host-name.example", 31));
	a = l2tp_msg_find(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	CHECK(a && a->hidden && l2tp_avp_u16(a) == 0x4321);
	CHECK_EQ(decode(vec("v2-hidden-padded"), buf, &m, &e), 0);
	a = l2tp_msg_find(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	CHECK(a && a->len == 2 && l2tp_avp_u16(a) == 0x4321);

	struct l2tp_data d;
	struct l2tp_data_params p = {.cookie_len = 4, .l2spec_default = true};
	const struct golden *g = vec("v3-data-udp");
	CHECK_EQ(l2tp_data_decode(g->bytes, g->len, false, &p, &d, &e), 0);
	CHECK_EQ(d.hdr.session_id, 0x10001);
	CHECK(d.l2spec_seq);
	CHECK_EQ(d.l2spec_ns, 5);
	CHECK_EQ(d.payload_len, 14);
	g = vec("v2-data-full");
	CHECK_EQ(l2tp_data_decode(g->bytes, g->len, false, NULL, &d, &e), 0);
	CHECK_EQ(d.hdr.ns, 3);
	CHECK_EQ(d.hdr.offset_size, 2);
	CHECK_EQ(d.payload_len, 4);
	CHECK_EQ(d.payload[0], 0xff);
}

/* Decodes bytes given as hex; returns the rc and fills e. */
static int try_hex(const char *hex, const char *secret, struct l2tp_codec_error *e)
{
	static struct l2tp_msg m;
	unsigned char buf[512];
	size_t n = 0;
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		int v = hexval((unsigned char)*p);
		if (v < 0)
			continue;
		if (hi < 0)
			hi = v;
		else {
			buf[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	struct l2tp_decode_opts o = {0};
	if (secret) {
		o.secret = (const uint8_t *)secret;
		o.secret_len = strlen(secret);
	}
	return l2tp_msg_decode(buf, n, &o, &m, e);
}

#define EXPECT(hex, secret, code_, msg_)                                                           \
	do {                                                                                       \
		struct l2tp_codec_error e_;                                                        \
		CHECK_EQ(try_hex(hex, secret, &e_), -EBADMSG);                                     \
		CHECK_EQ(e_.code, code_);                                                          \
		CHECK_STR(e_.message, msg_);                                                       \
		last = e_;                                                                         \
	} while (0)

static void malformed_messages_get_their_own_errors(void)
{
	struct l2tp_codec_error last;

	EXPECT("c802 0014 43", NULL, L2TP_CODEC_TRUNCATED,
	       "truncated header: 5 bytes, a control header needs 12 (at byte 0)");
	CHECK_EQ(last.result_code, 0); /* nothing to answer: drop */
	EXPECT("c802 0030 4321 0000 0001 0001 8008 0000 0000 0006", NULL, L2TP_CODEC_BAD_LENGTH,
	       "length field 48 exceeds the 20 bytes of the datagram (at byte 2)");
	EXPECT("c802 000a 4321 0000 0001 0001", NULL, L2TP_CODEC_BAD_LENGTH,
	       "length field 10 is shorter than the 12-byte header (at byte 2)");
	EXPECT("c804 0014 4321 0000 0001 0001 8008 0000 0000 0006", NULL, L2TP_CODEC_BAD_VERSION,
	       "version 4 is not supported (accepted: 2, 3) (at byte 0)");
	EXPECT("c002 0014 4321 0000 0001 0001 8008 0000 0000 0006", NULL, L2TP_CODEC_BAD_CONTROL_BITS,
	       "control message flags 0xc002: T, L and S must be set and O, P clear (at byte 0)");
	EXPECT("ca02 0014 4321 0000 0001 0001 8008 0000 0000 0006", NULL, L2TP_CODEC_BAD_CONTROL_BITS,
	       "control message flags 0xca02: T, L and S must be set and O, P clear (at byte 0)");
	/* AVP length under 6: xl2tpd once looped forever on this. */
	EXPECT("c802 001a 4321 0000 0001 0001 8008 0000 0000 0006 8003 0000 0009", NULL, L2TP_CODEC_AVP_TOO_SHORT,
	       "AVP length 3 is under 6 (at byte 20)");
	CHECK_EQ(last.result_code, L2TP_RESULT_STOPCCN_ERROR);
	CHECK_EQ(last.error_code, L2TP_ERROR_BAD_LENGTH);
	EXPECT("c802 001a 4321 0000 0001 0001 8008 0000 0000 0006 8010 0000 0009", NULL, L2TP_CODEC_AVP_OVERRUN,
	       "AVP length 16 runs past the message end (6 bytes left) (at byte 20)");
	EXPECT("c802 0017 4321 0000 0001 0001 8008 0000 0000 0006 8008 00", NULL, L2TP_CODEC_AVP_OVERRUN,
	       "AVP header runs past the message end: 3 bytes left, a header needs 6 (at byte 20)");
	EXPECT("c802 0014 4321 0000 0001 0001 8008 0000 0009 1234", NULL, L2TP_CODEC_FIRST_NOT_MSGTYPE,
	       "first AVP is vendor 0 type 9, not Message Type (at byte 12)");
	/* accel-ppp CVE-2020-15173 was a string AVP shorter than its header. */
	EXPECT("c802 001b 4321 0000 0001 0001 8008 0000 0000 0006 8007 0000 0009 12", NULL, L2TP_CODEC_AVP_BAD_LENGTH,
	       "Assigned Tunnel ID AVP value has 1 bytes (accepted: 2-2) (at byte 20)");
	EXPECT("c802 001d 4321 0000 0001 0001 8008 0000 0000 0004 8009 0000 0001 000200", NULL, L2TP_CODEC_AVP_BAD_LENGTH,
	       "Result Code AVP value has 3 bytes (accepted: 2-1017, not 3) (at byte 20)");
	EXPECT("c802 001c 4321 0000 0001 0001 8008 0000 0000 0006 4008 0000 0009 1234", NULL, L2TP_CODEC_HIDDEN_NO_RV,
	       "hidden AVP type 9 without a Random Vector AVP before it (at byte 20)");
	EXPECT("c802 0026 4321 0000 0001 0001 8008 0000 0000 0006 800a 0000 0024 01020304 4008 0000 0009 1234", NULL,
	       L2TP_CODEC_HIDDEN_NO_SECRET, "hidden AVP type 9 but no shared secret is configured (at byte 30)");
	/* The padded vector read with the wrong secret: the inner length
	 * decrypts to garbage and must not be trusted. */
	EXPECT("c80200421234000000000001 8008000000000004 801600000024a0a1a2a3a4a5a6a7a8a9aaabacadaeaf "
	       "c0100000000978aeb83138a90d520412 8008000000010001",
	       "wrong", L2TP_CODEC_HIDDEN_BAD_LENGTH,
	       "hidden AVP type 9: decrypted length 14138 does not fit its 8 bytes (wrong secret?) (at byte 42)");
	EXPECT("c802 0026 4321 0000 0001 0001 8008 0000 0000 0006 800a 0000 0024 01020304 c008 0000 0024 1234", "s",
	       L2TP_CODEC_HIDDEN_NOT_ALLOWED, "Random Vector AVP must not be hidden (at byte 30)");
	EXPECT("c802 001c 4321 0000 0001 0001 8008 0000 0000 0006 8008 0000 00c8 1234", NULL, L2TP_CODEC_UNKNOWN_MBIT_AVP,
	       "unknown AVP vendor 0 type 200 has the M bit set (at byte 20)");
	CHECK_EQ(last.result_code, L2TP_RESULT_STOPCCN_ERROR);
	CHECK_EQ(last.error_code, L2TP_ERROR_UNKNOWN_MBIT_AVP);
	CHECK(!last.session_scope);
	/* ...in a session message the session goes, not the tunnel. */
	EXPECT("c802 0024 4321 0099 0001 0001 8008 0000 0000 0010 8008 0de9 0002 1234 8008 0000 00c8 1234", NULL,
	       L2TP_CODEC_UNKNOWN_MBIT_AVP, "unknown AVP vendor 3561 type 2 has the M bit set (at byte 20)");
	CHECK(last.session_scope);
	CHECK_EQ(last.result_code, L2TP_RESULT_CDN_ERROR);
	CHECK_EQ(last.error_code, L2TP_ERROR_UNKNOWN_MBIT_AVP);
	EXPECT("c802 0014 4321 0000 0001 0001 8008 0000 0000 0063", NULL, L2TP_CODEC_BAD_MSGTYPE,
	       "unknown message type 99 with the M bit set (at byte 12)");
	CHECK_EQ(last.result_code, L2TP_RESULT_STOPCCN_ERROR);
	EXPECT("c802 0014 4321 0000 0001 0001 0008 0000 0000 0063", NULL, L2TP_CODEC_BAD_MSGTYPE,
	       "unknown message type 99 (M bit clear: ignore it) (at byte 12)");
	CHECK_EQ(last.result_code, 0);
	EXPECT("c802 0014 4321 0000 0001 0001 8008 0000 0000 0001", NULL, L2TP_CODEC_MISSING_AVP,
	       "SCCRQ (L2TPv2) is missing the required Protocol Version AVP (at byte 12)");
	CHECK_EQ(last.result_code, L2TP_RESULT_STOPCCN_ERROR);
	CHECK_EQ(last.avp_type, L2TP_AVP_PROTOCOL_VERSION);
	EXPECT("c802 0014 4321 0099 0001 0001 8008 0000 0000 000e", NULL, L2TP_CODEC_MISSING_AVP,
	       "CDN (L2TPv2) is missing the required Result Code AVP (at byte 12)");
	CHECK(last.session_scope);
	EXPECT("c802 001c 4321 0000 0001 0001 8008 0000 0000 0006 8408 0000 0009 1234", NULL, L2TP_CODEC_AVP_RESERVED,
	       "AVP vendor 0 type 9 has reserved bits set (0x0400) (at byte 20)");
	EXPECT("0000 0001 c803 0014 0000 1111 0001 0001", NULL, L2TP_CODEC_BAD_VERSION,
	       "version 0 is not supported (accepted: 2, 3) (at byte 0)");
}

static void over_ip_needs_a_zero_session_id(void)
{
	static struct l2tp_msg m;
	unsigned char buf[] = {0, 0, 0, 5, 0xc8, 0x03, 0, 12, 0, 0, 0x11, 0x11, 0, 1, 0, 1};
	struct l2tp_decode_opts o = {.over_ip = true};
	struct l2tp_codec_error e;
	CHECK_EQ(l2tp_msg_decode(buf, sizeof(buf), &o, &m, &e), -EBADMSG);
	CHECK_STR(e.message, "session ID 5 is not 0: a data message, not a control message (at byte 0)");
	buf[3] = 0;
	CHECK_EQ(l2tp_msg_decode(buf, sizeof(buf), &o, &m, &e), 0);
	CHECK_EQ(m.type, L2TP_MSG_ZLB);
}

static void too_many_avps_are_refused(void)
{
	static struct l2tp_msg m;
	static unsigned char buf[12 + 8 + 6 * 200];
	size_t n = 0;
	struct l2tp_codec_error e;
	memcpy(buf, "\xc8\x02\x00\x00\x43\x21\x00\x00\x00\x01\x00\x01", 12);
	n = 12;
	memcpy(buf + n, "\x80\x08\x00\x00\x00\x00\x00\x06", 8);
	n += 8;
	for (int i = 0; i < 200; i++, n += 6)
		memcpy(buf + n, "\x00\x06\x00\x00\x00\x08", 6); /* empty Vendor Name, M clear */
	buf[2] = (unsigned char)(n >> 8);
	buf[3] = (unsigned char)n;
	CHECK_EQ(l2tp_msg_decode(buf, n, NULL, &m, &e), -EBADMSG);
	CHECK_EQ(e.code, L2TP_CODEC_TOO_MANY_AVPS);
}

static void builder_and_hidden_round_trip(void)
{
	static struct l2tp_msg m, d;
	unsigned char out[1024];
	size_t n;
	struct l2tp_codec_error e;
	const uint8_t secret[] = "secret";
	struct l2tp_encode_opts eo = {.secret = secret, .secret_len = 6};
	struct l2tp_decode_opts dop = {.secret = secret, .secret_len = 6};

	l2tp_msg_init(&m, 2, L2TP_MSG_SCCRQ);
	m.hdr.tunnel_id = 0;
	m.hdr.ns = 7;
	CHECK_EQ(l2tp_msg_add(&m, L2TP_AVP_PROTOCOL_VERSION, true, false, "\x01\x00", 2), 0);
	CHECK_EQ(l2tp_msg_add(&m, L2TP_AVP_HOST_NAME, true, true, "hidden.example", 14), 0);
	CHECK_EQ(l2tp_msg_add_u32(&m, L2TP_AVP_FRAMING_CAPABILITIES, true, 3), 0);
	CHECK_EQ(l2tp_msg_add(&m, L2TP_AVP_ASSIGNED_TUNNEL_ID, true, true, "\xbe\xef", 2), 0);
	CHECK_EQ(l2tp_msg_encode(&m, &eo, out, sizeof(out), &n, &e), 0);
	CHECK_EQ(l2tp_msg_decode(out, n, &dop, &d, &e), 0);
	CHECK_EQ(d.type, L2TP_MSG_SCCRQ);
	CHECK_EQ(d.hdr.ns, 7);
	/* a Random Vector was put before the first hidden AVP */
	CHECK_EQ(d.navps, 6);
	CHECK_EQ(d.avps[2].type, L2TP_AVP_RANDOM_VECTOR);
	const struct l2tp_avp *a = l2tp_msg_find(&d, L2TP_AVP_HOST_NAME);
	CHECK(a && a->hidden && a->len == 14 && !memcmp(a->value, "hidden.example", 14));
	/* padded to one MD5 block: the 2-byte ID hides as 16 bytes (l2tpns
	 * refuses fewer than 8), and a 30-byte name as 32 */
	CHECK_EQ(a->hidden_len, 16);
	a = l2tp_msg_find(&d, L2TP_AVP_ASSIGNED_TUNNEL_ID);
	CHECK(a && a->hidden && a->hidden_len == 16);
	CHECK_EQ(l2tp_avp_u16(a), 0xbeef);
	static struct l2tp_msg hello;
	l2tp_msg_init(&hello, 2, L2TP_MSG_HELLO);
	CHECK_EQ(l2tp_msg_add(&hello, L2TP_AVP_HOST_NAME, true, true, "a-30-byte-host-name.example.ne", 30), 0);
	CHECK_EQ(l2tp_msg_encode(&hello, &eo, out, sizeof(out), &n, &e), 0);
	CHECK_EQ(l2tp_msg_decode(out, n, &dop, &d, &e), 0);
	a = l2tp_msg_find(&d, L2TP_AVP_HOST_NAME);
	CHECK(a && a->len == 30 && a->hidden_len == 32 && !memcmp(a->value, "a-30-byte-host-name.example.ne", 30));

	/* Hiding without a secret is refused. */
	CHECK_EQ(l2tp_msg_encode(&m, NULL, out, sizeof(out), &n, &e), -EINVAL);
	CHECK_STR(e.message, "AVP type 7 is to be hidden but no secret is given (at byte 28)");
	/* So is a message that lacks what its type requires, unless asked. */
	l2tp_msg_init(&m, 2, L2TP_MSG_STOPCCN);
	CHECK_EQ(l2tp_msg_encode(&m, NULL, out, sizeof(out), &n, &e), -EBADMSG);
	CHECK_STR(e.message, "StopCCN (L2TPv2) is missing the required Assigned Tunnel ID AVP (at byte 0)");
	struct l2tp_encode_opts loose = {.no_validate = true};
	CHECK_EQ(l2tp_msg_encode(&m, &loose, out, sizeof(out), &n, &e), 0);
	CHECK_EQ(n, 20);
	/* A buffer too small is an error, not an overflow. */
	l2tp_msg_init(&m, 2, L2TP_MSG_HELLO);
	CHECK_EQ(l2tp_msg_encode(&m, NULL, out, 15, &n, &e), -ENOSPC);
}

static void challenge_response_is_md5_of_type_secret_challenge(void)
{
	/* Expected value computed with Python's hashlib. */
	static const uint8_t want[16] = {0x85, 0x9b, 0xca, 0x0a, 0x71, 0x5d, 0xa1, 0x39,
					 0x9f, 0x99, 0xf7, 0xbd, 0x42, 0x17, 0x88, 0x52};
	uint8_t got[16];
	l2tp_challenge_response(2, (const uint8_t *)"s3cret", 6, (const uint8_t *)"\x11\x22\x33\x44\x55\x66\x77\x88",
				8, got);
	CHECK(memcmp(got, want, 16) == 0);
}

static void malformed_data_messages(void)
{
	struct l2tp_data d;
	struct l2tp_codec_error e;
	struct l2tp_data_params p = {.cookie_len = 8, .l2spec_default = true};
	const uint8_t short_v3[] = {0, 3, 0, 0, 0, 1, 0, 1, 1, 2, 3};
	CHECK_EQ(l2tp_data_decode(short_v3, sizeof(short_v3), false, &p, &d, &e), -EBADMSG);
	CHECK_STR(e.message, "truncated: 11 bytes, cookie and sublayer need 20 (at byte 8)");
	const uint8_t v2_badlen[] = {0x40, 0x02, 0x00, 0x40, 0x12, 0x34, 0x00, 0x99};
	CHECK_EQ(l2tp_data_decode(v2_badlen, sizeof(v2_badlen), false, NULL, &d, &e), -EBADMSG);
	CHECK_STR(e.message, "length field 64 exceeds the 8 bytes of the datagram (at byte 2)");
	const uint8_t v2_offset[] = {0x02, 0x02, 0x12, 0x34, 0x00, 0x99, 0x00, 0x10, 0xff};
	CHECK_EQ(l2tp_data_decode(v2_offset, sizeof(v2_offset), false, NULL, &d, &e), -EBADMSG);
	CHECK_STR(e.message, "offset size 16 runs past the datagram (1 bytes left) (at byte 6)");
	const uint8_t control[] = {0xc8, 0x02, 0, 12};
	CHECK_EQ(l2tp_data_decode(control, sizeof(control), false, NULL, &d, &e), -EBADMSG);
	CHECK_EQ(e.code, L2TP_CODEC_BAD_CONTROL_BITS);
	/* Found by fuzz_header: it decoded, but could not be encoded again. */
	const uint8_t v3_zero[] = {0x02, 0x13, 0x9a, 0, 0, 0, 0, 0, 0, 0, 4};
	CHECK_EQ(l2tp_data_decode(v3_zero, sizeof(v3_zero), false, NULL, &d, &e), -EBADMSG);
	CHECK_STR(e.message, "session ID 0 is reserved (RFC 3931 section 4.1) (at byte 4)");
	const uint8_t ip_zero[] = {0, 0, 0, 0, 1};
	CHECK_EQ(l2tp_data_decode(ip_zero, sizeof(ip_zero), true, NULL, &d, &e), -EBADMSG);
	CHECK_STR(e.message, "session ID 0: a control message, not data (at byte 0)");
}

static void tables_are_sorted_and_named(void)
{
	size_t n;
	const struct l2tp_avp_info *t = l2tp_avp_table(&n);
	CHECK(n >= 55);
	for (size_t i = 1; i < n; i++)
		CHECK(t[i - 1].type < t[i].type);
	for (size_t i = 0; i < n; i++) {
		CHECK(l2tp_avp_info(0, t[i].type) == &t[i]);
		CHECK(l2tp_avp_info_by_key(t[i].key) == &t[i]);
	}
	CHECK(l2tp_avp_info(0, 20) == NULL);
	CHECK_STR(l2tp_msg_type_name(L2TP_MSG_SLI), "SLI");
	CHECK_STR(l2tp_msg_type_description(L2TP_MSG_ICRQ), "Incoming-Call-Request");
	uint16_t type;
	CHECK_EQ(l2tp_msg_type_parse("StopCCN", &type), 0);
	CHECK_EQ(type, L2TP_MSG_STOPCCN);
	CHECK_EQ(l2tp_msg_type_parse("NOPE", &type), -EINVAL);
	CHECK_STR(l2tp_result_code_text(L2TP_MSG_STOPCCN, 4), "Requester is not authorized to establish a control channel");
	CHECK_STR(l2tp_result_code_text(L2TP_MSG_CDN, 3), "Call disconnected for administrative reasons");
	CHECK_STR(l2tp_error_code_text(8),
		  "Session or tunnel was shutdown due to receipt of an unknown AVP with the M-bit set");
}

/* test_codec GOLDEN [--write-corpus DIR]: the seed corpus for the fuzz
 * targets is the golden vectors, written one file each. */
static int write_corpus(const char *dir)
{
	mkdir(dir, 0755);
	for (int i = 0; i < nvecs; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%.400s/%.63s.bin", dir, vecs[i].name);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(vecs[i].bytes, 1, vecs[i].len, f) != vecs[i].len)
			return 1;
		fclose(f);
	}
	return 0;
}

/* Structured values read by the core (what the state machines and the Lua
 * codec both use), from bytes written by hand. */
static void avp_values_read_in_c_types(void)
{
	static const uint8_t q931[] = {0x00, 0x10, 0x5a, 'b', 'u', 's', 'y'};
	static const uint8_t errs[26] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6};
	static const uint8_t accm[10] = {0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x0a};
	static const uint8_t ppp[] = {0x00, 0x02, 0xc0, 0x21, 0x01, 'b', 'y', 'e'};
	static const uint8_t ver[2] = {1, 0};
	struct l2tp_msg m, d;
	uint8_t buf[512];
	size_t n;
	struct l2tp_avp_value v;
	struct l2tp_decode_opts o = {.no_validate = true};

	l2tp_msg_init(&m, 2, L2TP_MSG_CDN);
	l2tp_msg_add_result(&m, 2, 6, "gone");
	l2tp_msg_add(&m, L2TP_AVP_Q931_CAUSE_CODE, false, false, q931, sizeof(q931));
	l2tp_msg_add(&m, L2TP_AVP_CALL_ERRORS, false, false, errs, sizeof(errs));
	l2tp_msg_add(&m, L2TP_AVP_ACCM, false, false, accm, sizeof(accm));
	l2tp_msg_add(&m, L2TP_AVP_PPP_DISCONNECT_CAUSE, false, false, ppp, sizeof(ppp));
	l2tp_msg_add(&m, L2TP_AVP_PROTOCOL_VERSION, false, false, ver, sizeof(ver));
	struct l2tp_encode_opts eo = {.no_validate = true};
	CHECK_EQ(l2tp_msg_encode(&m, &eo, buf, sizeof(buf), &n, NULL), 0);
	CHECK_EQ(l2tp_msg_decode(buf, n, &o, &d, NULL), 0);
	CHECK_EQ(d.navps, 7);
	if (d.navps != 7)
		return;
	const struct l2tp_avp *a = d.avps;
	l2tp_avp_value(l2tp_avp_info(0, a[1].type), &a[1], &v);
	CHECK(v.data == L2TP_AVP_D_RESULT && v.result.result_code == 2 && v.result.has_error_code &&
	      v.result.error_code == 6 && v.result.message_len == 4 && memcmp(v.result.message, "gone", 4) == 0);
	l2tp_avp_value(l2tp_avp_info(0, a[2].type), &a[2], &v);
	CHECK(v.q931.cause == 16 && v.q931.msg == 0x5a && v.q931.advisory_len == 4);
	l2tp_avp_value(l2tp_avp_info(0, a[3].type), &a[3], &v);
	CHECK(v.call_errors.crc == 1 && v.call_errors.framing == 2 && v.call_errors.hardware_overruns == 3 &&
	      v.call_errors.buffer_overruns == 4 && v.call_errors.timeouts == 5 && v.call_errors.alignment == 6);
	l2tp_avp_value(l2tp_avp_info(0, a[4].type), &a[4], &v);
	CHECK(v.accm.send == 0xffffffffu && v.accm.recv == 0x0a);
	l2tp_avp_value(l2tp_avp_info(0, a[5].type), &a[5], &v);
	CHECK(v.ppp_disconnect.code == 2 && v.ppp_disconnect.protocol == 0xc021 && v.ppp_disconnect.direction == 1 &&
	      v.ppp_disconnect.message_len == 3);
	l2tp_avp_value(l2tp_avp_info(0, a[6].type), &a[6], &v);
	CHECK(v.proto.version == 1 && v.proto.revision == 0);
	/* an AVP without a table entry reads as bytes */
	l2tp_avp_value(NULL, &a[6], &v);
	CHECK(v.data == L2TP_AVP_D_BYTES && v.bytes.len == 2);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_codec GOLDEN-FILE [--write-corpus DIR]\n");
		return 2;
	}
	nvecs = golden_load(argv[1], vecs, 128);
	if (nvecs <= 0) {
		fprintf(stderr, "cannot read golden vectors from %s\n", argv[1]);
		return 2;
	}
	if (argc == 4 && !strcmp(argv[2], "--write-corpus"))
		return write_corpus(argv[3]);
	RUN(golden_vectors_decode_and_reencode_byte_for_byte);
	RUN(avp_values_read_in_c_types);
	RUN(golden_fields_decode_to_what_the_comments_say);
	RUN(malformed_messages_get_their_own_errors);
	RUN(over_ip_needs_a_zero_session_id);
	RUN(too_many_avps_are_refused);
	RUN(builder_and_hidden_round_trip);
	RUN(challenge_response_is_md5_of_type_secret_challenge);
	RUN(malformed_data_messages);
	RUN(tables_are_sorted_and_named);
	return check_report();
}
