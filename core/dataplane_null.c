/* The null data plane: nothing reaches the kernel, but every control path
 * runs as it would, so scripts and tests work without root. It keeps the
 * kernel's habit of naming Ethernet session interfaces l2tpethN. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct null_state {
	unsigned next_eth;
};

static int null_open(void **state, char *err, size_t errlen)
{
	struct null_state *st = calloc(1, sizeof(*st));
	if (!st)
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	*state = st;
	return 0;
}

static void null_close(void *state)
{
	free(state);
}

static int null_tunnel_create(void *state, const struct l2tp_dp_tunnel *t, char *err, size_t errlen)
{
	(void)state, (void)t, (void)err, (void)errlen;
	return 0;
}

static int null_tunnel_delete(void *state, const struct l2tp_dp_tunnel *t, char *err, size_t errlen)
{
	(void)state, (void)t, (void)err, (void)errlen;
	return 0;
}

static int null_session_create(void *state, const struct l2tp_dp_session *s, char ifname[L2TP_IFNAME_MAX],
			       char *err, size_t errlen)
{
	struct null_state *st = state;
	(void)err, (void)errlen;
	ifname[0] = '\0';
	if (!l2tp_pseudowire_is_ethernet(s->cfg->pseudowire))
		return 0;
	if (s->cfg->interface_name[0])
		snprintf(ifname, L2TP_IFNAME_MAX, "%s", s->cfg->interface_name);
	else
		snprintf(ifname, L2TP_IFNAME_MAX, "l2tpeth%u", st->next_eth++);
	return 0;
}

static int null_session_delete(void *state, const struct l2tp_dp_session *s, char *err, size_t errlen)
{
	(void)state, (void)s, (void)err, (void)errlen;
	return 0;
}

static int null_session_stats(void *state, const struct l2tp_dp_session *s, struct l2tp_session_stats *out,
			      char *err, size_t errlen)
{
	(void)state, (void)s, (void)err, (void)errlen;
	memset(out, 0, sizeof(*out));
	return 0;
}

const struct l2tp_dataplane_ops l2tp_dataplane_null = {
	.name = "null",
	.open = null_open,
	.close = null_close,
	.tunnel_create = null_tunnel_create,
	.tunnel_delete = null_tunnel_delete,
	.session_create = null_session_create,
	.session_delete = null_session_delete,
	.session_stats = null_session_stats,
};

const struct l2tp_dataplane_ops *l2tp_dataplane_find(const char *name)
{
	if (strcmp(name, "null") == 0)
		return &l2tp_dataplane_null;
	if (strcmp(name, "netlink") == 0)
		return &l2tp_dataplane_netlink;
	return NULL;
}
