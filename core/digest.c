/* L2TPv3 control message authentication (RFC 3931 sections 4.3 and
 * 5.4.1): the keys made from the shared secret, and the Message Digest AVP
 * signed and checked on encoded messages. HMAC comes from nettle. */
#include <errno.h>
#include <nettle/hmac.h>
#include <string.h>

#include "l2tp/codec.h"
#include "util.h"

/* Where the Message Digest AVP sits: right after the Message Type AVP
 * (12-byte header, 8-byte Message Type). */
#define DIGEST_AVP 20
#define AVP_HDR 6

static void hmac_md5_once(const void *secret, size_t len, uint8_t label, uint8_t key[L2TP_AUTH_KEY_LEN])
{
	struct hmac_md5_ctx h;
	hmac_md5_set_key(&h, len, secret);
	hmac_md5_update(&h, 1, &label);
	hmac_md5_digest(&h, L2TP_AUTH_KEY_LEN, key);
}

void l2tp_auth_key(const void *secret, size_t len, uint8_t key[L2TP_AUTH_KEY_LEN])
{
	hmac_md5_once(secret, len, 2, key);
}

void l2tp_hiding_key(const void *secret, size_t len, uint8_t key[L2TP_AUTH_KEY_LEN])
{
	hmac_md5_once(secret, len, 1, key);
}

size_t l2tp_digest_size(uint8_t type)
{
	switch (type) {
	case 0: return MD5_DIGEST_SIZE;
	case 1: return SHA1_DIGEST_SIZE;
	default: return 0;
	}
}

/* The digest AVP at off, if one is there: its digest's offset and size. */
static bool digest_at(const uint8_t *msg, size_t len, size_t off, size_t *doff, size_t *dlen)
{
	if (len < off + AVP_HDR + 1)
		return false;
	uint16_t w = l2tp_get16(msg + off), alen = w & 0x3ff;
	if ((w & 0x4000) || l2tp_get16(msg + off + 2) != 0 || l2tp_get16(msg + off + 4) != L2TP_AVP_MESSAGE_DIGEST)
		return false;
	size_t n = l2tp_digest_size(msg[off + AVP_HDR]);
	if (!n || alen != AVP_HDR + 1 + n || off + alen > len)
		return false;
	*doff = off + AVP_HDR + 1;
	*dlen = n;
	return true;
}

/* The first digest AVP, and the Message Type before it as section 5.4.1
 * places it. */
static bool first_digest(const uint8_t *msg, size_t len, size_t *doff, size_t *dlen)
{
	if (len < DIGEST_AVP || (l2tp_get16(msg + 12) & 0x3ff) != 8 || l2tp_get16(msg + 16) != L2TP_AVP_MESSAGE_TYPE)
		return false;
	return digest_at(msg, len, DIGEST_AVP, doff, dlen);
}

/* One HMAC of either hash. */
struct mac {
	uint8_t type;
	union {
		struct hmac_md5_ctx md5;
		struct hmac_sha1_ctx sha1;
	} u;
};

static void mac_init(struct mac *h, uint8_t type, const uint8_t key[L2TP_AUTH_KEY_LEN])
{
	h->type = type;
	if (type == 0)
		hmac_md5_set_key(&h->u.md5, L2TP_AUTH_KEY_LEN, key);
	else
		hmac_sha1_set_key(&h->u.sha1, L2TP_AUTH_KEY_LEN, key);
}

static void mac_update(struct mac *h, size_t len, const uint8_t *data)
{
	if (h->type == 0)
		hmac_md5_update(&h->u.md5, len, data);
	else
		hmac_sha1_update(&h->u.sha1, len, data);
}

static void mac_final(struct mac *h, uint8_t *out)
{
	if (h->type == 0)
		hmac_md5_digest(&h->u.md5, MD5_DIGEST_SIZE, out);
	else
		hmac_sha1_digest(&h->u.sha1, SHA1_DIGEST_SIZE, out);
}

/* HMAC(key, n1 || n2 || msg) with the digest values at d[0..nd) read as
 * zeros, into out (the size of the hash type's digest). */
static void compute(uint8_t type, const uint8_t key[L2TP_AUTH_KEY_LEN], const struct l2tp_nonces *nonces,
		    const uint8_t *msg, size_t len, const size_t *doff, const size_t *dlen, size_t nd, uint8_t *out)
{
	static const uint8_t zeros[SHA1_DIGEST_SIZE];
	struct mac h;
	mac_init(&h, type, key);
	if (nonces) {
		mac_update(&h, nonces->first_len, nonces->first);
		mac_update(&h, nonces->second_len, nonces->second);
	}
	size_t at = 0;
	for (size_t i = 0; i < nd; i++) {
		mac_update(&h, doff[i] - at, msg + at);
		mac_update(&h, dlen[i], zeros);
		at = doff[i] + dlen[i];
	}
	mac_update(&h, len - at, msg + at);
	mac_final(&h, out);
}

int l2tp_digest_sign(uint8_t *msg, size_t len, const uint8_t key[L2TP_AUTH_KEY_LEN], const struct l2tp_nonces *nonces)
{
	size_t doff, dlen;
	if (!first_digest(msg, len, &doff, &dlen))
		return -EINVAL;
	compute(msg[doff - 1], key, nonces, msg, len, &doff, &dlen, 1, msg + doff);
	return 0;
}

int l2tp_digest_verify(const uint8_t *msg, size_t len, const uint8_t key[L2TP_AUTH_KEY_LEN],
		       const struct l2tp_nonces *nonces)
{
	size_t doff[2], dlen[2], nd = 1;
	uint8_t want[SHA1_DIGEST_SIZE];
	if (!first_digest(msg, len, &doff[0], &dlen[0]))
		return -ENOMSG;
	/* A second digest may follow the first (a change of secret or hash
	 * under way): both are zeroed, and either may match. */
	if (digest_at(msg, len, doff[0] + dlen[0], &doff[1], &dlen[1]))
		nd = 2;
	for (size_t i = 0; i < nd; i++) {
		compute(msg[doff[i] - 1], key, nonces, msg, len, doff, dlen, nd, want);
		if (l2tp_memeq_const(want, msg + doff[i], dlen[i]))
			return 0;
	}
	return -EBADMSG;
}

int l2tp_msg_add_digest(struct l2tp_msg *msg, uint8_t type)
{
	/* The value only holds the type: the digest is zeros until signed. */
	static const uint8_t blank[2][1 + L2TP_DIGEST_MAX] = {{0}, {1}};
	if (!l2tp_digest_size(type) || !msg->navps || msg->avps[0].type != L2TP_AVP_MESSAGE_TYPE)
		return -EINVAL;
	if (msg->navps >= L2TP_MAX_AVPS)
		return -ENOSPC;
	memmove(&msg->avps[2], &msg->avps[1], (msg->navps - 1) * sizeof(msg->avps[0]));
	msg->avps[1] = (struct l2tp_avp){.type = L2TP_AVP_MESSAGE_DIGEST, .mandatory = true, .value = blank[type],
					 .len = (uint16_t)(1 + l2tp_digest_size(type))};
	msg->navps++;
	return 0;
}

int l2tp_avp_next(const uint8_t *msg, size_t len, size_t *off, struct l2tp_avp_raw *out)
{
	if (*off < 12)
		*off = 12; /* past the control header, the same size in both versions */
	if (len < *off + AVP_HDR)
		return 0;
	uint16_t w = l2tp_get16(msg + *off), alen = w & 0x3ff;
	if (alen < AVP_HDR || alen > len - *off)
		return -EBADMSG;
	out->mandatory = w & 0x8000;
	out->hidden = w & 0x4000;
	out->vendor = l2tp_get16(msg + *off + 2);
	out->type = l2tp_get16(msg + *off + 4);
	out->value = msg + *off + AVP_HDR;
	out->len = alen - AVP_HDR;
	*off += alen;
	return 1;
}

int l2tp_avp_scan(const uint8_t *msg, size_t len, uint16_t type, const uint8_t **value, size_t *vlen)
{
	size_t off = 0;
	struct l2tp_avp_raw a;
	int rc;
	while ((rc = l2tp_avp_next(msg, len, &off, &a)) > 0) {
		if (!a.hidden && a.vendor == 0 && a.type == type) {
			*value = a.value;
			*vlen = a.len;
			return 0;
		}
	}
	return rc < 0 ? rc : -ENOENT;
}
