/*
 * Escalation of overdue approval steps. Every [feed] escalation_check
 * seconds a timer looks for pending steps that have waited longer than
 * their cycle's step limit and, once per submission and step, records a
 * candidate.escalate audit entry by the server itself. The write commits
 * like any other; the feed then tells the step's role and the role above.
 * The same pass records customer.visit_overdue for targets not visited for
 * longer than their cycle's visit limit (cmd_visit_escalate).
 */
#include "tierd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Steps of one submission are marked round * ESCALATE_MARK + step. */
#define ESCALATE_MARK 16

struct escalate {
	struct server *srv;  /* store, configuration, feed */
	struct event *timer; /* every [feed] escalation_check seconds */
	uint64_t escalated;  /* steps escalated since start, for the log */
};

static void escalate_timer_cb(evutil_socket_t fd, short what, void *arg);

size_t
escalate_notify_roles(Tier__Role r, Tier__Role out[2])
{
	out[0] = r;
	if (r == TIER__ROLE__ROLE_BU_VP) {
		out[1] = TIER__ROLE__ROLE_BG_VP;
		return 2;
	}
	return 1;
}

/* The step's role, from the chain text "2,1"; UNSPECIFIED if unreadable. */
static Tier__Role
escalate_step_role(const char *chain, uint32_t step)
{
	const char *p = chain;
	char *end;
	long v;

	for (;;) {
		v = strtol(p, &end, 10);
		if (end == p)
			return TIER__ROLE__ROLE_UNSPECIFIED;
		if (step-- == 0)
			return v > 0 && v <= TIER__ROLE__ROLE_AUDITOR
				   ? (Tier__Role)v
				   : TIER__ROLE__ROLE_UNSPECIFIED;
		if (*end != ',')
			return TIER__ROLE__ROLE_UNSPECIFIED;
		p = end + 1;
	}
}

/* The audit form of an escalation: the step, and who is told. */
static json_t *
escalate_json(const struct store_overdue *o, Tier__Role role, int64_t waited,
    int64_t mark, const Tier__Role *notify, size_t nnotify)
{
	json_t *j, *roles = json_array(), *chain = json_array();
	Tier__Role r;
	size_t i;

	for (i = 0; roles != NULL && i < nnotify; i++)
		json_array_append_new(
		    roles, json_string(msg_role_name(notify[i])));
	for (i = 0;
	     chain != NULL && (r = escalate_step_role(o->chain, (uint32_t)i)) !=
				  TIER__ROLE__ROLE_UNSPECIFIED;
	     i++)
		json_array_append_new(chain, json_string(msg_role_name(r)));
	j = json_pack("{s:I, s:s, s:o, s:i, s:i, s:s, s:I, s:I, s:i, s:I, "
		      "s:o}",
	    "id", (json_int_t)o->id, "state", "pending", "chain", chain, "step",
	    (int)o->step, "round", (int)o->round, "step_role",
	    msg_role_name(role), "pending_since", (json_int_t)o->pending_since,
	    "waited_seconds", (json_int_t)waited, "limit_hours",
	    (int)o->limit_hours, "escalated_step", (json_int_t)mark,
	    "notify_roles", roles);
	return j;
}

/* Escalates one overdue step inside the open transaction. */
static int
escalate_one(struct cmd_ctx *ctx, const struct store_overdue *o)
{
	struct store *st = ctx->srv->store;
	int64_t scale = ctx->srv->cfg.feed_step_limit_scale;
	int64_t waited = ctx->now - o->pending_since;
	int64_t mark = (int64_t)o->round * ESCALATE_MARK + o->step;
	Tier__Role role = escalate_step_role(o->chain, o->step), notify[2];
	size_t nnotify = escalate_notify_roles(role, notify);
	char reason[128];
	json_t *after;
	int r;

	snprintf(reason, sizeof(reason),
	    "step %u (%s) pending for %lldh, limit %uh", o->step + 1,
	    msg_role_name(role), (long long)(waited / scale), o->limit_hours);
	if ((after = escalate_json(o, role, waited, mark, notify, nnotify)) ==
	    NULL)
		return ERR_ALLOC;
	r = store_candidate_escalated(st, o->id, mark);
	if (r == 0)
		r = audit_record_json(ctx, "candidate.escalate", "candidate",
		    o->id, NULL, after, reason);
	json_decref(after);
	if (r == 0)
		log_info(
		    "candidate %lld escalated: %s", (long long)o->id, reason);
	return r;
}

int
escalate_run(struct server *srv, int64_t now, size_t *count)
{
	struct store *st = srv->store;
	struct store_overdue *rows = NULL;
	struct arena *a = NULL;
	struct cmd_ctx ctx;
	size_t i, n = 0, visits = 0;
	int r;

	*count = 0;
	if ((r = arena_new(&a)) != 0)
		return r;
	memset(&ctx, 0, sizeof(ctx));
	ctx.srv = srv;
	ctx.arena = a;
	ctx.now = now;
	/* ctx.user stays NULL: the audit entry is by the server, user "". */
	if ((r = store_begin(st)) != 0)
		goto out;
	r = store_candidate_overdue(
	    st, a, now, srv->cfg.feed_step_limit_scale, &rows, &n);
	for (i = 0; r == 0 && i < n; i++)
		r = escalate_one(&ctx, &rows[i]);
	/* Targets not visited for longer than their limit (cmd_visit.c). */
	if (r == 0 && (r = cmd_visit_escalate(&ctx, &visits)) == 0)
		n += visits;
	if (r == 0 && n > 0)
		r = store_commit(st);
	if (r != 0 || n == 0) {
		store_rollback(st);
		goto out;
	}
	*count = n;
	commit_written(srv);
out:
	arena_free(a);
	return r;
}

static void
escalate_arm(struct escalate *e)
{
	struct timeval tv = { e->srv->cfg.feed_escalation_check, 0 };

	evtimer_add(e->timer, &tv);
}

int
escalate_new(struct server *srv, struct escalate **out)
{
	struct escalate *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return ERR_ALLOC;
	e->srv = srv;
	if ((e->timer = evtimer_new(srv->base, escalate_timer_cb, e)) == NULL) {
		free(e);
		return ERR_ALLOC;
	}
	escalate_arm(e);
	*out = e;
	return 0;
}

void
escalate_free(struct escalate *e)
{
	if (e == NULL)
		return;
	event_free(e->timer);
	free(e);
}

void
escalate_reschedule(struct escalate *e)
{
	if (e != NULL)
		escalate_arm(e);
}

static void
escalate_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct escalate *e = arg;
	size_t n;
	int r;

	(void)fd;
	(void)what;
	if (e->srv->stopping)
		return;
	if ((r = escalate_run(e->srv, server_now(), &n)) != 0)
		log_error("escalation failed, retrying in %ld s: %s",
		    e->srv->cfg.feed_escalation_check, err_str(r));
	if (r == 0 && n > 0) {
		e->escalated += n;
		log_info("escalation: %zu overdue step(s), %llu since start", n,
		    (unsigned long long)e->escalated);
	}
	escalate_arm(e);
}
