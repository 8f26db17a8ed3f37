/* Hidden AVPs: decoding with a secret (the golden secret, so seeds reach
 * the decryption), the unhide primitive on raw input, and hide/unhide
 * round trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct l2tp_msg msg;
	static uint8_t buf[70000];
	struct l2tp_codec_error err;
	static const uint8_t secret[] = "s3cret";

	if (size > sizeof(buf) || size < 2)
		return 0;
	memcpy(buf, data, size);
	struct l2tp_decode_opts o = {.secret = secret, .secret_len = 6};
	(void)l2tp_msg_decode(buf, size, &o, &msg, &err);

	/* Raw: first byte the RV length, then RV, then the hidden value. */
	size_t rvlen = data[0] % 32;
	if (size < 1 + rvlen)
		return 0;
	const uint8_t *rv = data + 1;
	size_t hlen = size - 1 - rvlen;
	memcpy(buf, data + 1 + rvlen, hlen);
	uint16_t orig;
	if (l2tp_avp_unhide(7, secret, 6, rv, rvlen, buf, hlen, &orig) == 0 && orig > hlen - 2)
		abort();

	/* Hiding then unhiding gives the plaintext back. */
	if (hlen >= 2 && hlen <= 1000) {
		uint8_t plain[1000], work[1000];
		memcpy(plain, data + 1 + rvlen, hlen);
		plain[0] = (uint8_t)((hlen - 2) >> 8);
		plain[1] = (uint8_t)(hlen - 2);
		memcpy(work, plain, hlen);
		l2tp_avp_hide(9, secret, 6, rv, rvlen, work, hlen);
		if (l2tp_avp_unhide(9, secret, 6, rv, rvlen, work, hlen, &orig) != 0 || orig != hlen - 2 ||
		    memcmp(work, plain, hlen) != 0)
			abort();
	}
	return 0;
}
