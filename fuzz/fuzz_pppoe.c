/* PPPoE discovery frames: the tag parser the access concentrator runs on
 * every frame from the subscribers' side. What decodes must encode again
 * to the same tags, and decode to them once more. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l2tp/pppoe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l2tp_pppoe_frame f, g;
	char err[160];
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	if (l2tp_pppoe_decode(buf, size, &f, err, sizeof(err)) == 0) {
		uint8_t out[L2TP_PPPOE_HDR + L2TP_PPPOE_MAX_PAYLOAD];
		int n = l2tp_pppoe_encode(f.code, f.session_id, f.tags, f.ntags, out, sizeof(out));
		/* a decoded frame's tags fit where they came from, unless the
		 * frame was longer than Ethernet allows */
		if (n < 0 && size <= L2TP_PPPOE_HDR + L2TP_PPPOE_MAX_PAYLOAD)
			abort();
		if (n >= 0) {
			if (l2tp_pppoe_decode(out, (size_t)n, &g, err, sizeof(err)) != 0 || g.ntags != f.ntags ||
			    g.code != f.code || g.session_id != f.session_id)
				abort();
			for (unsigned i = 0; i < f.ntags; i++)
				if (g.tags[i].type != f.tags[i].type || g.tags[i].len != f.tags[i].len ||
				    memcmp(g.tags[i].value, f.tags[i].value, f.tags[i].len) != 0)
					abort();
			if ((f.host_uniq == NULL) != (g.host_uniq == NULL) || (f.ac_cookie == NULL) != (g.ac_cookie == NULL))
				abort();
		}
	}
	free(buf);
	return 0;
}
