#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
