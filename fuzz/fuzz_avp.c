/* Whole control messages with validation, and the round trip: a message
 * that decodes must encode, and the encoding must decode to the same AVPs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct l2tp_msg msg, again;
	static uint8_t buf[70000], out[70000];
	struct l2tp_codec_error err;
	size_t n;

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	if (l2tp_msg_decode(buf, size, NULL, &msg, &err) != 0)
		return 0;
	if (l2tp_msg_encode(&msg, NULL, out, sizeof(out), &n, &err) != 0)
		abort();
	if (l2tp_msg_decode(out, n, NULL, &again, &err) != 0)
		abort();
	if (again.navps != msg.navps || again.type != msg.type)
		abort();
	for (size_t i = 0; i < msg.navps; i++)
		if (again.avps[i].len != msg.avps[i].len ||
		    memcmp(again.avps[i].value, msg.avps[i].value, msg.avps[i].len) != 0)
			abort();
	return 0;
}
