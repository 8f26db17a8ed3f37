/* Small internal helpers shared by the core's files. */
#ifndef L2TP_UTIL_H
#define L2TP_UTIL_H

#include <stddef.h>

/* Writes a message to err (if any) and returns rc, so callers can
 * `return l2tp_errf(err, len, -EINVAL, "...")`. */
int l2tp_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Puts "prefix " in front of the message already in err; returns rc. */
int l2tp_errprefix(char *err, size_t errlen, int rc, const char *prefix);
/* strdup that tolerates NULL. */
char *l2tp_strdup(const char *s);

#endif
