/* Headers: control (UDP and IP) and data (v2, v3 UDP and IP, with every
 * cookie and sublayer setting). The first byte picks the variant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct l2tp_msg msg;
	struct l2tp_codec_error err;
	struct l2tp_data d;
	uint8_t out[70000];
	size_t n;

	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	data++, size--;
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	struct l2tp_decode_opts o = {.over_ip = sel & 1, .no_validate = true};
	(void)l2tp_msg_decode(buf, size, &o, &msg, &err);
	free(buf);

	struct l2tp_data_params p = {.cookie_len = (uint8_t)((sel >> 1) % 3 * 4), .l2spec_default = sel & 8};
	if (l2tp_data_decode(data, size, sel & 16, &p, &d, &err) == 0) {
		/* What decodes must encode again, to the same length. */
		if (l2tp_data_encode(&d, sel & 16, out, sizeof(out), &n, &err) != 0)
			abort();
		if (d.hdr.version == 3 && n != size)
			abort();
	}
	return 0;
}
