#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

int l2tp_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int l2tp_errprefix(char *err, size_t errlen, int rc, const char *prefix)
{
	if (err && errlen) {
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%s %s", prefix, err);
		snprintf(err, errlen, "%s", tmp);
	}
	return rc;
}

char *l2tp_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

const char *l2tp_format_ms(uint32_t ms, char *buf, size_t len)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%u s", ms / 1000);
	else
		snprintf(buf, len, "%u ms", ms);
	return buf;
}

bool l2tp_memeq_const(const void *a, const void *b, size_t len)
{
	const uint8_t *x = a, *y = b;
	uint8_t d = 0;
	for (size_t i = 0; i < len; i++)
		d |= (uint8_t)(x[i] ^ y[i]);
	return d == 0;
}

/* Drawn from the kernel a pool at a time: one getrandom per ID was a
 * measurable part of setting a session up. The process is single-threaded
 * and execs whatever it forks, so the pool is never shared. */
void l2tp_random_bytes(void *buf, size_t len)
{
	static uint8_t pool[256];
	static size_t left;
	uint8_t *out = buf;
	while (len) {
		if (!left) {
			if (getrandom(pool, sizeof(pool), 0) != (ssize_t)sizeof(pool))
				for (size_t i = 0; i < sizeof(pool); i++)
					pool[i] = (uint8_t)rand();
			left = sizeof(pool);
		}
		size_t n = len < left ? len : left;
		memcpy(out, pool + sizeof(pool) - left, n);
		/* What was handed out is not handed out again. */
		memset(pool + sizeof(pool) - left, 0, n);
		left -= n, out += n, len -= n;
	}
}

uint32_t l2tp_random_id(bool (*used)(void *arg, uint32_t id), void *arg, bool wide)
{
	uint32_t r = 0;
	for (int round = 0; round < 32; round++) {
		l2tp_random_bytes(&r, sizeof(r));
		uint32_t id = wide ? r : (uint16_t)r;
		if (id != 0 && !used(arg, id))
			return id;
	}
	/* Nearly every ID is taken (or the space is 16 bits and small): walk
	 * the 16-bit IDs once, from a random start. */
	for (uint32_t i = 0; i < 65536; i++) {
		uint16_t id = (uint16_t)(r + i);
		if (id != 0 && !used(arg, id))
			return id;
	}
	return 0;
}
