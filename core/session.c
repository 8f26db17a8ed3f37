#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

static bool name_eq(const struct l2tp_hnode *n, const void *key)
{
	return strcmp(l2tp_container_of(n, struct l2tp_session, by_name)->name, key) == 0;
}

static bool id_eq(const struct l2tp_hnode *n, const void *key)
{
	return l2tp_container_of(n, struct l2tp_session, by_id)->cfg.sid == *(const uint32_t *)key;
}

static bool v3_id_eq(const struct l2tp_hnode *n, const void *key)
{
	return l2tp_container_of(n, struct l2tp_session, by_v3_id)->cfg.sid == *(const uint32_t *)key;
}

struct l2tp_session *l2tp_session_by_id(struct l2tp_tunnel *t, uint32_t sid)
{
	struct l2tp_hnode *n = l2tp_htable_find(&t->sessions_by_id, l2tp_hash_u64(sid), id_eq, &sid);
	return n ? l2tp_container_of(n, struct l2tp_session, by_id) : NULL;
}

struct l2tp_session *l2tp_session_find(struct l2tp_tunnel *t, const char *name)
{
	struct l2tp_hnode *n = l2tp_htable_find(&t->sessions_by_name, l2tp_hash_str(name), name_eq, name);
	return n ? l2tp_container_of(n, struct l2tp_session, by_name) : NULL;
}

/* L2TPv2 session IDs are scoped by their tunnel; L2TPv3 ones by the host
 * (RFC 3931 section 4.1, and the kernel looks them up that way). */
static struct l2tp_session *find_by_id(struct l2tp_tunnel *t, uint32_t sid)
{
	struct l2tp_hnode *n;
	if (t->cfg.version == L2TP_V3) {
		n = l2tp_htable_find(&t->ctx->v3_sessions_by_id, l2tp_hash_u64(sid), v3_id_eq, &sid);
		return n ? l2tp_container_of(n, struct l2tp_session, by_v3_id) : NULL;
	}
	n = l2tp_htable_find(&t->sessions_by_id, l2tp_hash_u64(sid), id_eq, &sid);
	return n ? l2tp_container_of(n, struct l2tp_session, by_id) : NULL;
}

void l2tp_dp_session_fill(const struct l2tp_session *s, struct l2tp_dp_session *out)
{
	memset(out, 0, sizeof(*out));
	out->tid = s->tunnel->cfg.tid;
	out->ptid = s->tunnel->cfg.ptid;
	out->cfg = &s->cfg;
	out->lns_mode = s->tunnel->kind == L2TP_TUNNEL_ACCEPTED;
}

static bool sid_taken(void *arg, uint32_t id)
{
	return find_by_id(arg, id) != NULL;
}

static void send_icrq(struct l2tp_session *s);

static int link_session(struct l2tp_tunnel *t, struct l2tp_session *s)
{
	struct l2tp_context *ctx = t->ctx;
	if (l2tp_context_register(ctx, &s->obj) != 0)
		return -ENOMEM;
	if (l2tp_htable_insert(&t->sessions_by_name, &s->by_name, l2tp_hash_str(s->name)) != 0)
		goto undo_handle;
	if (s->cfg.sid) {
		if (l2tp_htable_insert(&t->sessions_by_id, &s->by_id, l2tp_hash_u64(s->cfg.sid)) != 0)
			goto undo_name;
		if (t->cfg.version == L2TP_V3 &&
		    l2tp_htable_insert(&ctx->v3_sessions_by_id, &s->by_v3_id, l2tp_hash_u64(s->cfg.sid)) != 0)
			goto undo_id;
	}
	L2TP_LIST_APPEND(t->sessions_head, t->sessions_tail, s, prev, next);
	t->nsessions++;
	ctx->nsessions++;
	return 0;
undo_id:
	l2tp_htable_remove(&t->sessions_by_id, &s->by_id);
undo_name:
	l2tp_htable_remove(&t->sessions_by_name, &s->by_name);
undo_handle:
	l2tp_context_unregister(ctx, &s->obj);
	return -ENOMEM;
}

static void unlink_session(struct l2tp_session *s)
{
	struct l2tp_tunnel *t = s->tunnel;
	l2tp_context_unregister(t->ctx, &s->obj);
	l2tp_htable_remove(&t->sessions_by_name, &s->by_name);
	if (s->cfg.sid) {
		l2tp_htable_remove(&t->sessions_by_id, &s->by_id);
		if (t->cfg.version == L2TP_V3)
			l2tp_htable_remove(&t->ctx->v3_sessions_by_id, &s->by_v3_id);
	}
	L2TP_LIST_REMOVE(t->sessions_head, t->sessions_tail, s, prev, next);
	t->nsessions--;
	t->ctx->nsessions--;
}

int l2tp_session_create(struct l2tp_tunnel *t, const char *name, const struct l2tp_session_config *cfg,
			struct l2tp_session **out, char *err, size_t errlen)
{
	struct l2tp_context *ctx = t->ctx;
	struct l2tp_session *s = NULL, *other;
	struct l2tp_dp_session dps;
	char prefix[300];
	int rc;

	*out = NULL;
	if (!name || !*name)
		return l2tp_errf(err, errlen, -EINVAL, "tunnel '%s': session name must be a non-empty string",
				 t->name);
	snprintf(prefix, sizeof(prefix), "session '%s/%s':", t->name, name);
	if (t->closing)
		return l2tp_errprefix(err, errlen, l2tp_errf(err, errlen, -ESHUTDOWN, "tunnel is closing"), prefix);
	if (l2tp_session_find(t, name))
		return l2tp_errf(err, errlen, -EEXIST,
				 "session '%s' already exists in tunnel '%s' (names are unique in a tunnel)", name,
				 t->name);
	rc = l2tp_session_config_check(cfg, t->cfg.version, t->kind, err, errlen);
	if (rc)
		return l2tp_errprefix(err, errlen, rc, prefix);
	if (cfg->sid && (other = find_by_id(t, cfg->sid)) != NULL) {
		if (other->tunnel == t)
			rc = l2tp_errf(err, errlen, -EEXIST, "sid %u is already used by session '%s' in this tunnel",
				       cfg->sid, other->name);
		else
			rc = l2tp_errf(err, errlen, -EEXIST,
				       "sid %u is already used by session '%s/%s' (l2tpv3 session IDs are unique per host)",
				       cfg->sid, other->tunnel->name, other->name);
		return l2tp_errprefix(err, errlen, rc, prefix);
	}

	s = calloc(1, sizeof(*s));
	if (!s || !(s->name = strdup(name))) {
		free(s);
		return l2tp_errprefix(err, errlen, l2tp_errf(err, errlen, -ENOMEM, "out of memory"), prefix);
	}
	s->tunnel = t;
	s->cfg = *cfg;
	s->obj.type = L2TP_OBJ_SESSION;
	s->ppp_fd = -1;

	if (t->kind == L2TP_TUNNEL_DYNAMIC) {
		/* A call: the data plane follows when the peer accepts it. */
		if (!s->cfg.sid && !(s->cfg.sid = l2tp_random_id(sid_taken, t))) {
			free(s->name);
			free(s);
			return l2tp_errprefix(err, errlen,
					      l2tp_errf(err, errlen, -ENOSPC, "no free session ID (all 65535 are in use)"),
					      prefix);
		}
		s->cfg.psid = 0;
		s->obj.handle = l2tp_context_new_handle(ctx);
		if (link_session(t, s) != 0) {
			free(s->name);
			free(s);
			return l2tp_errprefix(err, errlen, l2tp_errf(err, errlen, -ENOMEM, "out of memory"), prefix);
		}
		s->state = SS_WAIT_TUNNEL;
		l2tp_slog(s, L2TP_LOG_INFO, "placing a call, session ID %u", s->cfg.sid);
		l2tp_tunnel_call_setup_start(t, s);
		if (t->state == TS_ESTABLISHED)
			send_icrq(s);
		*out = s;
		return 0;
	}

	l2tp_dp_session_fill(s, &dps);
	rc = ctx->dp->session_create(ctx->dp_state, &dps, s->ifname, err, errlen);
	if (rc) {
		free(s->name);
		free(s);
		return l2tp_errprefix(err, errlen, rc, prefix);
	}
	s->dp_created = true;
	s->obj.handle = l2tp_context_new_handle(ctx);
	if (link_session(t, s) != 0) {
		char ignored[128];
		ctx->dp->session_delete(ctx->dp_state, &dps, ignored, sizeof(ignored));
		free(s->name);
		free(s);
		return l2tp_errprefix(err, errlen, l2tp_errf(err, errlen, -ENOMEM, "out of memory"), prefix);
	}
	l2tp_slog(s, L2TP_LOG_INFO, "created %s session, sid %u psid %u%s%s", l2tp_pseudowire_name(cfg->pseudowire),
		  cfg->sid, cfg->psid, s->ifname[0] ? ", interface " : "", s->ifname);
	if (t->up) {
		s->up = true;
		l2tp_context_post(ctx, L2TP_EVENT_SESSION_UP, t, s, NULL, NULL);
	}
	*out = s;
	return 0;
}


/* Dynamic sessions: an incoming call placed by us, the LAC (RFC 2661
 * section 5.4: ICRQ, ICRP, ICCN). */
static void send_icrq(struct l2tp_session *s)
{
	struct l2tp_msg m;
	struct l2tp_tunnel *t = s->tunnel;
	l2tp_msg_init(&m, 2, L2TP_MSG_ICRQ);
	l2tp_msg_add_u16(&m, L2TP_AVP_ASSIGNED_SESSION_ID, true, (uint16_t)s->cfg.sid);
	m.avps[m.navps - 1].hidden = t->cfg.hide_avps;
	l2tp_msg_add_u32(&m, L2TP_AVP_CALL_SERIAL_NUMBER, true, ++t->call_serial);
	l2tp_msg_add_u32(&m, L2TP_AVP_BEARER_TYPE, true, 0);
	m.hdr.tunnel_id = t->cfg.ptid;
	m.hdr.session_id = 0; /* the peer has not assigned one yet */
	struct l2tp_codec_error err;
	l2tp_channel_send(t->ch, &m, &err);
	s->state = SS_WAIT_REPLY;
}

void l2tp_session_tunnel_up(struct l2tp_session *s)
{
	if (s->state == SS_WAIT_TUNNEL)
		send_icrq(s);
}

static void send_cdn(struct l2tp_session *s, const struct l2tp_result *res)
{
	struct l2tp_msg m;
	l2tp_msg_init(&m, 2, L2TP_MSG_CDN);
	l2tp_msg_add_result(&m, res->result_code, res->error_code, res->message);
	l2tp_msg_add_u16(&m, L2TP_AVP_ASSIGNED_SESSION_ID, true, (uint16_t)s->cfg.sid);
	l2tp_tunnel_send(s->tunnel, s, &m);
}

static void pppd_output(void *arg, const char *line)
{
	l2tp_slog(arg, L2TP_LOG_INFO, "pppd: %s", line);
}

static void pppd_exited(void *arg, int status)
{
	struct l2tp_session *s = arg;
	char why[100];
	s->pppd = NULL;
	if (WIFEXITED(status))
		snprintf(why, sizeof(why), "pppd exited with status %d", WEXITSTATUS(status));
	else
		snprintf(why, sizeof(why), "pppd was killed by signal %d", WTERMSIG(status));
	struct l2tp_result res = {.result_code = L2TP_RESULT_CDN_ADMIN, .has_error_code = true};
	snprintf(res.message, sizeof(res.message), "%s", why);
	l2tp_session_down(s, why, &res, true);
}

/* Adds whitespace-separated words of text to argv. */
static int add_words(char **argv, int n, int max, char *text, const char *seps)
{
	for (char *tok = strtok(text, seps); tok && n < max; tok = strtok(NULL, seps))
		argv[n++] = tok;
	return n;
}

/* pppd on the session's PPPoL2TP socket, as kl2tpd runs it: its plugin,
 * the socket, the IDs, then the session's own arguments. */
static int start_pppd(struct l2tp_session *s, char *err, size_t errlen)
{
	struct l2tp_tunnel *t = s->tunnel;
	struct l2tp_context *ctx = t->ctx;
	struct l2tp_dp_tunnel dpt;
	struct l2tp_dp_session dps;
	char fdstr[16], tidstr[16], sidstr[16];
	char filebuf[4096], extra[sizeof(s->cfg.pppd_extra)];
	char *argv[256];
	int n = 0, rc;

	l2tp_dp_tunnel_fill(t, &dpt);
	l2tp_dp_session_fill(s, &dps);
	rc = ctx->dp->ppp_open(ctx->dp_state, &dpt, &dps, &s->ppp_fd, err, errlen);
	if (rc)
		return rc;
	if (!ctx->procs && !(ctx->procs = l2tp_procs_new(ctx->base)))
		return l2tp_errf(err, errlen, -ENOMEM, "out of memory");
	snprintf(fdstr, sizeof(fdstr), "%d", s->ppp_fd);
	snprintf(tidstr, sizeof(tidstr), "%u", t->cfg.tid);
	snprintf(sidstr, sizeof(sidstr), "%u", s->cfg.sid);
	argv[n++] = "pppd";
	argv[n++] = "plugin";
	argv[n++] = "pppol2tp.so";
	argv[n++] = "pppol2tp";
	argv[n++] = fdstr;
	argv[n++] = "pppol2tp_tunnel_id";
	argv[n++] = tidstr;
	argv[n++] = "pppol2tp_session_id";
	argv[n++] = sidstr;
	argv[n++] = "nodetach";
	if (t->kind == L2TP_TUNNEL_ACCEPTED)
		argv[n++] = "pppol2tp_lns_mode";
	if (s->cfg.interface_name[0]) {
		argv[n++] = "ifname";
		argv[n++] = s->cfg.interface_name;
	}
	if (s->cfg.pppd_args[0]) {
		FILE *f = fopen(s->cfg.pppd_args, "r");
		if (!f)
			return l2tp_errf(err, errlen, -errno, "pppd_args %s: %s", s->cfg.pppd_args, strerror(errno));
		size_t got = fread(filebuf, 1, sizeof(filebuf) - 1, f);
		fclose(f);
		filebuf[got] = '\0';
		n = add_words(argv, n, 250, filebuf, " \t\r\n");
	}
	memcpy(extra, s->cfg.pppd_extra, sizeof(extra));
	n = add_words(argv, n, 250, extra, "\n");
	argv[n] = NULL;
	static const struct l2tp_proc_ops ops = {pppd_output, pppd_exited};
	s->pppd = l2tp_proc_spawn(ctx->procs, argv, s->ppp_fd, &ops, s, err, errlen);
	if (!s->pppd)
		return -ECHILD;
	l2tp_slog(s, L2TP_LOG_INFO, "pppd started, pid %d", (int)l2tp_proc_pid(s->pppd));
	return 0;
}

static void connect_call(struct l2tp_session *s);

static void on_icrp(struct l2tp_session *s, struct l2tp_msg *m)
{
	struct l2tp_msg out;
	struct l2tp_tunnel *t = s->tunnel;
	const struct l2tp_avp *asid = l2tp_msg_find(m, L2TP_AVP_ASSIGNED_SESSION_ID);

	if (l2tp_avp_u16(asid) == 0) {
		struct l2tp_result res = {.result_code = L2TP_RESULT_CDN_ERROR, .error_code = L2TP_ERROR_BAD_VALUE,
					  .has_error_code = true};
		snprintf(res.message, sizeof(res.message), "Assigned Session ID 0");
		l2tp_session_down(s, "peer assigned session ID 0", &res, true);
		return;
	}
	s->cfg.psid = l2tp_avp_u16(asid);

	l2tp_msg_init(&out, 2, L2TP_MSG_ICCN);
	l2tp_msg_add_u32(&out, L2TP_AVP_TX_CONNECT_SPEED, true, 100000000);
	l2tp_msg_add_u32(&out, L2TP_AVP_FRAMING_TYPE, true,
			 t->cfg.framing_caps & L2TP_FRAMING_SYNC ? L2TP_FRAMING_SYNC : L2TP_FRAMING_ASYNC);
	if (s->cfg.seqnum)
		l2tp_msg_add(&out, L2TP_AVP_SEQUENCING_REQUIRED, true, false, NULL, 0);
	l2tp_tunnel_send(t, s, &out);
	connect_call(s);
}

/* Refuses a call without making a session: a CDN to the LAC's session. */
static void refuse_call(struct l2tp_tunnel *t, uint32_t peer_sid, const struct l2tp_verdict *v)
{
	struct l2tp_msg m;
	l2tp_msg_init(&m, 2, L2TP_MSG_CDN);
	l2tp_msg_add_result(&m, v->result_code, v->error_code, v->message);
	/* An ID no call of ours has, so the CDN cannot close one of them. */
	l2tp_msg_add_u16(&m, L2TP_AVP_ASSIGNED_SESSION_ID, true, (uint16_t)l2tp_random_id(sid_taken, t));
	m.hdr.tunnel_id = t->cfg.ptid;
	m.hdr.session_id = peer_sid;
	struct l2tp_codec_error err;
	l2tp_channel_send(t->ch, &m, &err);
}

/* RFC 2661 reserves session ID 0: a call that asks for it is refused. */
static bool refuse_zero_sid(struct l2tp_tunnel *t, uint32_t peer_sid, uint16_t type)
{
	if (peer_sid != 0)
		return false;
	struct l2tp_verdict v = {.result_code = L2TP_RESULT_CDN_ERROR, .error_code = L2TP_ERROR_BAD_VALUE};
	snprintf(v.message, sizeof(v.message), "Assigned Session ID 0");
	l2tp_tlog(t, L2TP_LOG_INFO, "refusing an %s with Assigned Session ID 0", l2tp_msg_type_name(type));
	refuse_call(t, 0, &v);
	return true;
}

static void copy_avp_string(const struct l2tp_msg *m, uint16_t type, char *out, size_t len)
{
	const struct l2tp_avp *a = l2tp_msg_find(m, type);
	snprintf(out, len, "%.*s", a ? (int)a->len : 0, a ? (const char *)a->value : "");
}

static struct l2tp_session *answer_call(struct l2tp_tunnel *t, uint32_t peer_sid, struct l2tp_session_config *cfg,
					uint16_t reply);

void l2tp_session_incoming(struct l2tp_tunnel *t, struct l2tp_msg *m)
{
	struct l2tp_listener *l = t->listener;
	uint32_t peer_sid = l2tp_avp_u16(l2tp_msg_find(m, L2TP_AVP_ASSIGNED_SESSION_ID));
	const struct l2tp_avp *serial = l2tp_msg_find(m, L2TP_AVP_CALL_SERIAL_NUMBER);
	const struct l2tp_avp *bearer = l2tp_msg_find(m, L2TP_AVP_BEARER_TYPE);
	struct l2tp_session_config cfg;
	struct l2tp_verdict v = {0};
	char calling[128], called[128], sub[128];

	if (refuse_zero_sid(t, peer_sid, L2TP_MSG_ICRQ))
		return;
	/* A retransmitted ICRQ is filtered by the transport; a second call
	 * with the same ID from the LAC is refused. */
	for (struct l2tp_session *x = t->sessions_head; x; x = x->next) {
		if (x->cfg.psid == peer_sid) {
			v.result_code = L2TP_RESULT_CDN_ERROR;
			v.error_code = L2TP_ERROR_BAD_SESSION_ID;
			snprintf(v.message, sizeof(v.message), "session ID %u is already in use", peer_sid);
			refuse_call(t, peer_sid, &v);
			return;
		}
	}
	if (l && l->cfg.max_sessions && l->nsessions >= l->cfg.max_sessions) {
		l2tp_listener_call_refused(l);
		v.result_code = L2TP_RESULT_CDN_NO_FACILITIES_TEMP;
		v.error_code = L2TP_ERROR_NO_RESOURCES;
		snprintf(v.message, sizeof(v.message), "too many sessions");
		l2tp_tlog(t, L2TP_LOG_WARN, "refusing a call: max_sessions limit reached (%u)", l->cfg.max_sessions);
		refuse_call(t, peer_sid, &v);
		return;
	}
	l2tp_session_config_defaults(&cfg, L2TP_V2);
	if (l && l->cfg.on_call) {
		copy_avp_string(m, L2TP_AVP_CALLING_NUMBER, calling, sizeof(calling));
		copy_avp_string(m, L2TP_AVP_CALLED_NUMBER, called, sizeof(called));
		copy_avp_string(m, L2TP_AVP_SUB_ADDRESS, sub, sizeof(sub));
		struct l2tp_call_request req = {t, peer_sid, serial ? l2tp_avp_u32(serial) : 0,
						bearer ? l2tp_avp_u32(bearer) : 0, calling, called, sub};
		int rc = l->cfg.on_call(l->cfg.hook_arg, l, &req, &cfg, &v);
		if (t->closing)
			return; /* the hook closed the tunnel */
		if (rc != 0) {
			l2tp_listener_call_refused(t->listener);
			if (!v.result_code)
				v.result_code = L2TP_RESULT_CDN_NO_FACILITIES_PERM;
			l2tp_tlog(t, L2TP_LOG_INFO, "call refused: result %u%s%s", v.result_code, v.message[0] ? ": " : "",
				  v.message);
			refuse_call(t, peer_sid, &v);
			return;
		}
	}
	struct l2tp_session *s = answer_call(t, peer_sid, &cfg, L2TP_MSG_ICRP);
	if (s) {
		l2tp_listener_call_added(t->listener);
		s->counted = t->listener != NULL;
		l2tp_tunnel_call_setup_start(t, s);
	}
}

/* Makes the session for a call the peer placed (an ICRQ at an LNS, an OCRQ
 * at a LAC) once it is admitted, and answers with `reply`. */
static struct l2tp_session *answer_call(struct l2tp_tunnel *t, uint32_t peer_sid, struct l2tp_session_config *cfg,
					uint16_t reply)
{
	struct l2tp_msg out;
	char name[64], err[256];
	cfg->sid = l2tp_random_id(sid_taken, t);
	cfg->psid = peer_sid;
	snprintf(name, sizeof(name), "%s%u", reply == L2TP_MSG_OCRP ? "out" : "s", cfg->sid);
	struct l2tp_session *s = cfg->sid ? calloc(1, sizeof(*s)) : NULL;
	if (!s || !(s->name = strdup(name)) || l2tp_session_config_check(cfg, L2TP_V2, t->kind, err, sizeof(err)) != 0) {
		if (s)
			free(s->name);
		free(s);
		struct l2tp_verdict v = {.result_code = L2TP_RESULT_CDN_ERROR, .error_code = L2TP_ERROR_NO_RESOURCES};
		snprintf(v.message, sizeof(v.message), "cannot accept");
		refuse_call(t, peer_sid, &v);
		return NULL;
	}
	s->tunnel = t;
	s->cfg = *cfg;
	s->obj.type = L2TP_OBJ_SESSION;
	s->ppp_fd = -1;
	s->obj.handle = l2tp_context_new_handle(t->ctx);
	if (link_session(t, s) != 0) {
		free(s->name);
		free(s);
		return NULL;
	}
	s->state = SS_WAIT_CONNECT;
	l2tp_msg_init(&out, 2, reply);
	l2tp_msg_add_u16(&out, L2TP_AVP_ASSIGNED_SESSION_ID, true, (uint16_t)s->cfg.sid);
	out.avps[out.navps - 1].hidden = t->cfg.hide_avps;
	l2tp_tunnel_send(t, s, &out);
	return s;
}


void l2tp_session_outgoing(struct l2tp_tunnel *t, struct l2tp_msg *m)
{
	struct l2tp_msg occn;
	uint32_t peer_sid = l2tp_avp_u16(l2tp_msg_find(m, L2TP_AVP_ASSIGNED_SESSION_ID));
	const struct l2tp_avp *serial = l2tp_msg_find(m, L2TP_AVP_CALL_SERIAL_NUMBER);
	const struct l2tp_avp *bearer = l2tp_msg_find(m, L2TP_AVP_BEARER_TYPE);
	struct l2tp_session_config cfg;
	struct l2tp_verdict v = {0};
	char called[128], sub[128];
	copy_avp_string(m, L2TP_AVP_CALLED_NUMBER, called, sizeof(called));
	copy_avp_string(m, L2TP_AVP_SUB_ADDRESS, sub, sizeof(sub));
	struct l2tp_call_request req = {t, peer_sid, serial ? l2tp_avp_u32(serial) : 0, bearer ? l2tp_avp_u32(bearer) : 0,
					"", called, sub};
	l2tp_session_config_defaults(&cfg, L2TP_V2);
	if (refuse_zero_sid(t, peer_sid, L2TP_MSG_OCRQ))
		return;
	int rc = t->ocrq_hook(t->ocrq_arg, t, &req, &cfg, &v);
	if (t->closing)
		return; /* the hook closed the tunnel */
	if (rc != 0) {
		if (!v.result_code)
			v.result_code = L2TP_RESULT_CDN_NO_FACILITIES_PERM;
		l2tp_tlog(t, L2TP_LOG_INFO, "outgoing call to '%s' refused: result %u", called, v.result_code);
		refuse_call(t, peer_sid, &v);
		return;
	}
	struct l2tp_session *s = answer_call(t, peer_sid, &cfg, L2TP_MSG_OCRP);
	if (!s)
		return;
	/* "Dialling" is immediate here: the call is connected at once. */
	l2tp_msg_init(&occn, 2, L2TP_MSG_OCCN);
	l2tp_msg_add_u32(&occn, L2TP_AVP_TX_CONNECT_SPEED, true, 100000000);
	l2tp_msg_add_u32(&occn, L2TP_AVP_FRAMING_TYPE, true,
			 t->cfg.framing_caps & L2TP_FRAMING_SYNC ? L2TP_FRAMING_SYNC : L2TP_FRAMING_ASYNC);
	l2tp_tunnel_send(t, s, &occn);
	connect_call(s);
}

/* The call is connected (we sent ICCN or OCCN, or received ICCN): the
 * kernel session, pppd for PPP, and the session is up. */
static void connect_call(struct l2tp_session *s)
{
	struct l2tp_tunnel *t = s->tunnel;
	struct l2tp_context *ctx = t->ctx;
	struct l2tp_dp_session dps;
	char err[256], why[300];
	l2tp_dp_session_fill(s, &dps);
	if (ctx->dp->session_create(ctx->dp_state, &dps, s->ifname, err, sizeof(err)) != 0) {
		struct l2tp_result res = {.result_code = L2TP_RESULT_CDN_ERROR, .error_code = L2TP_ERROR_NO_RESOURCES,
					  .has_error_code = true};
		snprintf(res.message, sizeof(res.message), "data plane failure");
		snprintf(why, sizeof(why), "data plane: %s", err);
		l2tp_session_down(s, why, &res, true);
		return;
	}
	s->dp_created = true;
	if (s->cfg.pseudowire != L2TP_PW_ETH && ctx->dp->ppp_open && start_pppd(s, err, sizeof(err)) != 0) {
		struct l2tp_result res = {.result_code = L2TP_RESULT_CDN_ERROR, .error_code = L2TP_ERROR_NO_RESOURCES,
					  .has_error_code = true};
		snprintf(res.message, sizeof(res.message), "cannot start PPP");
		l2tp_session_down(s, err, &res, true);
		return;
	}
	s->state = SS_ESTABLISHED;
	s->up = true;
	l2tp_tunnel_call_setup_done(t, s);
	l2tp_slog(s, L2TP_LOG_INFO, "established, peer session ID %u", s->cfg.psid);
	l2tp_context_post(ctx, L2TP_EVENT_SESSION_UP, t, s, NULL, NULL);
}

void l2tp_session_recv(struct l2tp_session *s, struct l2tp_msg *m, const struct l2tp_codec_error *err)
{
	char why[400];
	if (err) {
		struct l2tp_result res = {.result_code = err->result_code, .error_code = err->error_code,
					  .has_error_code = true};
		snprintf(res.message, sizeof(res.message), "%s", err->message);
		snprintf(why, sizeof(why), "bad %s from peer: %s", l2tp_msg_type_name(err->msg_type), err->message);
		l2tp_session_down(s, why, &res, true);
		return;
	}
	switch (m->type) {
	case L2TP_MSG_ICRP:
		if (s->state == SS_WAIT_REPLY)
			on_icrp(s, m);
		return;
	case L2TP_MSG_ICCN:
		if (s->state == SS_WAIT_CONNECT)
			connect_call(s);
		return;
	case L2TP_MSG_CDN: {
		struct l2tp_result res;
		l2tp_result_from_msg(m, &res);
		snprintf(why, sizeof(why), "peer sent CDN: result %u (%s)%s%s%s%s", res.result_code,
			 l2tp_result_code_text(L2TP_MSG_CDN, res.result_code), res.has_error_code ? ", error: " : "",
			 res.has_error_code ? l2tp_error_code_text(res.error_code) : "", res.message[0] ? ": " : "",
			 res.message);
		l2tp_session_down(s, why, &res, false);
		return;
	}
	case L2TP_MSG_SLI: {
		const struct l2tp_avp *accm = l2tp_msg_find(m, L2TP_AVP_ACCM);
		if (accm && accm->len == 10)
			l2tp_slog(s, L2TP_LOG_INFO, "peer set link info: send ACCM 0x%08x, receive ACCM 0x%08x",
				  l2tp_get32(accm->value + 2), l2tp_get32(accm->value + 6));
		return;
	}
	case L2TP_MSG_WEN:
		l2tp_slog(s, L2TP_LOG_INFO, "peer reported WAN errors");
		return;
	default:
		l2tp_slog(s, L2TP_LOG_DEBUG, "ignoring %s", l2tp_msg_type_name(m->type));
	}
}

void l2tp_session_down(struct l2tp_session *s, const char *reason, const struct l2tp_result *result, bool tell_peer)
{
	if (s->closing)
		return;
	bool dyn = s->tunnel->kind == L2TP_TUNNEL_DYNAMIC || s->tunnel->kind == L2TP_TUNNEL_ACCEPTED;
	/* Outlives the block below: the down event reports it. */
	struct l2tp_result admin = {.result_code = L2TP_RESULT_CDN_ADMIN, .has_error_code = true};
	if (tell_peer && dyn && s->state != SS_WAIT_TUNNEL && !s->tunnel->closing) {
		if (!result) {
			snprintf(admin.message, sizeof(admin.message), "%s", reason ? reason : "closed");
			result = &admin;
		}
		send_cdn(s, result);
	}
	l2tp_session_destroy(s, reason, result);
}

void l2tp_session_destroy(struct l2tp_session *s, const char *reason, const struct l2tp_result *result)
{
	struct l2tp_tunnel *t = s->tunnel;
	struct l2tp_context *ctx = t->ctx;

	if (s->closing)
		return;
	s->closing = true;
	if (!reason)
		reason = "closed";
	if (s->pppd) {
		l2tp_proc_stop(s->pppd); /* reaped on SIGCHLD by the context */
		s->pppd = NULL;
	}
	if (s->ppp_fd >= 0) {
		close(s->ppp_fd);
		s->ppp_fd = -1;
	}
	if (s->dp_created) {
		char err[256];
		struct l2tp_dp_session dps;
		l2tp_dp_session_fill(s, &dps);
		if (ctx->dp->session_delete(ctx->dp_state, &dps, err, sizeof(err)) != 0)
			l2tp_slog(s, L2TP_LOG_ERROR, "data plane delete failed: %s", err);
		s->dp_created = false;
	}
	l2tp_tunnel_call_setup_done(t, s);
	unlink_session(s);
	l2tp_slog(s, L2TP_LOG_INFO, "closed: %s", reason);
	if (s->counted)
		l2tp_listener_call_gone(t->listener);
	/* A call that fails during setup is reported too, in both roles. */
	if (s->up || t->kind == L2TP_TUNNEL_DYNAMIC || t->kind == L2TP_TUNNEL_ACCEPTED)
		l2tp_context_post(ctx, L2TP_EVENT_SESSION_DOWN, t, s, reason, result);
	free(s->name);
	free(s);
}

void l2tp_session_setup_expired(struct l2tp_session *s)
{
	struct l2tp_tunnel *t = s->tunnel;
	char why[200], took[32];
	const char *missing;
	struct l2tp_result res = {.has_error_code = true};
	l2tp_format_ms(t->cfg.setup_timeout_ms, took, sizeof(took));
	switch (s->state) {
	case SS_WAIT_TUNNEL: missing = "the tunnel did not come up"; break;
	case SS_WAIT_REPLY: missing = "no ICRP from the LNS"; break;
	default: missing = t->kind == L2TP_TUNNEL_ACCEPTED ? "no ICCN from the LAC" : "the call did not connect"; break;
	}
	snprintf(why, sizeof(why), "setup timeout: %s within %s", missing, took);
	/* RFC 2661 has a result for a LAC's own timeout (10); an LNS says
	 * what it missed in a general error. */
	res.result_code = t->kind == L2TP_TUNNEL_ACCEPTED ? L2TP_RESULT_CDN_ERROR : L2TP_RESULT_CDN_TIMEOUT;
	snprintf(res.message, sizeof(res.message), "%s", why);
	l2tp_session_down(s, why, &res, true);
}

void l2tp_session_close(struct l2tp_session *s, const char *reason)
{
	if (s)
		l2tp_session_down(s, reason, NULL, true);
}

const char *l2tp_session_name(const struct l2tp_session *s)
{
	return s->name;
}

uint64_t l2tp_session_handle(const struct l2tp_session *s)
{
	return s->obj.handle;
}

struct l2tp_tunnel *l2tp_session_tunnel(const struct l2tp_session *s)
{
	return s->tunnel;
}

const struct l2tp_session_config *l2tp_session_config(const struct l2tp_session *s)
{
	return &s->cfg;
}

const char *l2tp_session_interface_name(const struct l2tp_session *s)
{
	return s->ifname[0] ? s->ifname : NULL;
}

bool l2tp_session_is_up(const struct l2tp_session *s)
{
	return s->up;
}

int l2tp_session_stats(struct l2tp_session *s, struct l2tp_session_stats *out, char *err, size_t errlen)
{
	struct l2tp_context *ctx = s->tunnel->ctx;
	struct l2tp_dp_session dps;
	memset(out, 0, sizeof(*out));
	l2tp_dp_session_fill(s, &dps);
	return ctx->dp->session_stats(ctx->dp_state, &dps, out, err, errlen);
}
