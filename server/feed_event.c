/*
 * From audit entries to wire Events. A batch reads consecutive entries once,
 * with the facts the filters need; the record behind an entry is read once
 * per batch, when a first subscriber gets it, and each subscriber's Event
 * shows it in that subscriber's wire form (the actions it may take, the
 * quotas it sees).
 */
#include "tierd.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The audited entities that have a record and a place in the organisation. */
static const struct {
	const char *entity;
	enum feed_kind kind;
} feed_event_kinds[] = {
	{ "candidate", FEED_KIND_CANDIDATE },
	{ "customer", FEED_KIND_CUSTOMER },
	{ "cycle", FEED_KIND_CYCLE },
	{ "inquiry", FEED_KIND_INQUIRY },
	{ "visit", FEED_KIND_VISIT },
	{ "complaint", FEED_KIND_COMPLAINT },
};

static enum feed_kind
feed_event_kind(const char *entity)
{
	size_t i;

	for (i = 0; i < sizeof(feed_event_kinds) / sizeof(feed_event_kinds[0]);
	     i++) {
		if (strcmp(feed_event_kinds[i].entity, entity) == 0)
			return feed_event_kinds[i].kind;
	}
	return FEED_KIND_OTHER;
}

/* Where feed_batch_read's row callback puts entries. */
struct feed_event_read {
	struct feed_batch *b; /* being filled */
	int64_t upto;         /* the last seq wanted */
	int failed;           /* ERR_ALLOC once out of memory */
};

static int
feed_event_row_cb(const struct store_audit *e, void *arg)
{
	struct feed_event_read *rd = arg;
	struct feed_batch *b = rd->b;
	struct arena *a = b->arena;
	struct feed_entry *arr, *x;
	size_t cap;

	if (e->seq > rd->upto)
		return 1;
	if (b->n == b->cap) {
		cap = b->cap ? b->cap * 2 : 16;
		if ((arr = arena_alloc(a, cap * sizeof(*arr))) == NULL)
			return rd->failed = ERR_ALLOC;
		if (b->n > 0)
			memcpy(arr, b->e, b->n * sizeof(*arr));
		b->e = arr;
		b->cap = cap;
	}
	x = &b->e[b->n];
	memset(x, 0, sizeof(*x));
	x->row = *e;
	x->row.user = arena_strdup(a, e->user);
	x->row.action = arena_strdup(a, e->action);
	x->row.entity = arena_strdup(a, e->entity);
	x->row.before = arena_strdup(a, e->before);
	x->row.after = arena_strdup(a, e->after);
	x->row.reason = arena_strdup(a, e->reason);
	if (x->row.user == NULL || x->row.action == NULL ||
	    x->row.entity == NULL || x->row.before == NULL ||
	    x->row.after == NULL || x->row.reason == NULL)
		return rd->failed = ERR_ALLOC;
	b->n++;
	b->last_seq = e->seq;
	return 0;
}

/* The roles an escalation entry names ("notify_roles" of its after JSON). */
static void
feed_event_notify(struct feed_entry *x)
{
	json_t *j, *roles, *v;
	Tier__Role r;
	size_t i;

	if ((j = json_loads(x->row.after, 0, NULL)) == NULL)
		return;
	roles = json_object_get(j, "notify_roles");
	json_array_foreach(roles, i, v)
	{
		if (x->nnotify == 2 || !json_is_string(v) ||
		    msg_role_parse(json_string_value(v), &r) != 0)
			continue;
		x->notify[x->nnotify++] = r;
		x->facts.notify_roles |= CMD_ROLE(r);
	}
	json_decref(j);
}

/* The owner a customer.visit_overdue entry tells ("notify_user" of its
 * after JSON), into the batch's arena. */
static int
feed_event_notify_user(struct arena *a, struct feed_entry *x)
{
	const char *name;
	json_t *j;
	int r = 0;

	if ((j = json_loads(x->row.after, 0, NULL)) == NULL)
		return 0;
	name = json_string_value(json_object_get(j, "notify_user"));
	if (name != NULL && name[0] != '\0' &&
	    (x->notify_user = arena_strdup(a, name)) == NULL)
		r = ERR_ALLOC;
	json_decref(j);
	return r;
}

/* Fills the facts of x from where its record sits now. */
static int
feed_event_facts(struct store *st, struct arena *a, struct feed_entry *x)
{
	struct store_audit_place pl;
	int r;

	x->facts.kind = feed_event_kind(x->row.entity);
	x->facts.id = x->row.entity_id;
	if (x->facts.kind == FEED_KIND_OTHER)
		return 0;
	r = store_audit_place(st, x->row.entity, x->row.entity_id, &pl);
	if (r == ERR_NOT_FOUND)
		return 0; /* exists stays 0: nobody sees it */
	if (r != 0)
		return r;
	x->facts.exists = 1;
	x->facts.segment_id = pl.segment_id;
	x->facts.bu_id = pl.bu_id;
	x->facts.cycle_id = pl.cycle_id;
	if (strcmp(x->row.action, "customer.visit_overdue") == 0)
		return feed_event_notify_user(a, x);
	if (x->facts.kind != FEED_KIND_CANDIDATE)
		return 0;
	x->facts.queue_roles =
	    feed_queue_roles(x->row.before, x->row.after, pl.chain);
	if (strcmp(x->row.action, "candidate.escalate") == 0)
		feed_event_notify(x);
	return 0;
}

int
feed_batch_read(struct store *st, struct arena *arena, int64_t after,
    int64_t upto, unsigned max, struct feed_batch *b)
{
	struct feed_event_read rd = { b, upto, 0 };
	size_t i;
	int r;

	memset(b, 0, sizeof(*b));
	b->arena = arena;
	if (after >= upto || max == 0)
		return 0;
	/* Rows first, then the facts: no query runs inside another. */
	r = store_audit_after(st, after, max, feed_event_row_cb, &rd);
	if (rd.failed)
		return rd.failed;
	if (r < 0)
		return r;
	for (i = 0; i < b->n; i++) {
		if ((r = feed_event_facts(st, arena, &b->e[i])) != 0)
			return r;
	}
	return 0;
}

/* Views
 * ----------------------------------------------------------------------*/

int
feed_view_load(struct server *srv, const struct store_user *u, int64_t now,
    struct feed_view *v)
{
	size_t i;
	int r;

	memset(v, 0, sizeof(*v));
	if ((r = arena_new(&v->arena)) != 0)
		return r;
	v->ctx.srv = srv;
	v->ctx.user = u;
	v->ctx.now = now;
	v->ctx.arena = v->arena;
	v->ctx.scope = &v->scope;
	if ((r = cmd_scope_resolve(srv->store, u->scope, &v->scope)) != 0 ||
	    (r = cmd_candidate_actor_load(&v->ctx, &v->actor)) != 0)
		return r;
	v->viewer.scope = &v->scope;
	v->viewer.deputy = v->actor.scopes;
	v->viewer.ndeputy = v->actor.napprovers;
	v->viewer.roles = CMD_ROLE(u->role);
	for (i = 0; i < v->actor.napprovers; i++)
		v->viewer.roles |= CMD_ROLE(v->actor.approvers[i].role);
	return 0;
}

void
feed_view_release(struct feed_view *v)
{
	cmd_candidate_actor_release(&v->actor);
	scope_release(&v->scope);
	arena_free(v->arena);
	memset(v, 0, sizeof(*v));
}

/* Events
 * ---------------------------------------------------------------------*/

/* Reads the record behind x once. A record that is gone leaves the
 * pointers NULL and the Event without a snapshot. */
static int
feed_event_load(struct store *st, struct arena *a, struct feed_entry *x)
{
	int64_t id = x->row.entity_id;
	int r = 0;

	if (x->loaded)
		return 0;
	switch (x->facts.kind) {
	case FEED_KIND_CANDIDATE:
		x->candidate = arena_alloc(a, sizeof(*x->candidate));
		x->cycle = arena_alloc(a, sizeof(*x->cycle));
		if (x->candidate == NULL || x->cycle == NULL)
			return ERR_ALLOC;
		r = store_candidate_get(st, a, id, x->candidate);
		if (r == 0)
			r = store_cycle_get(
			    st, x->candidate->cycle_id, x->cycle);
		break;
	case FEED_KIND_CUSTOMER:
		if ((x->customer = arena_alloc(a, sizeof(*x->customer))) ==
		    NULL)
			return ERR_ALLOC;
		r = store_customer_get(st, a, id, x->customer);
		break;
	case FEED_KIND_CYCLE:
		if ((x->cycle = arena_alloc(a, sizeof(*x->cycle))) == NULL)
			return ERR_ALLOC;
		r = store_cycle_get(st, id, x->cycle);
		break;
	case FEED_KIND_INQUIRY:
		if ((x->inquiry = arena_alloc(a, sizeof(*x->inquiry))) == NULL)
			return ERR_ALLOC;
		r = store_inquiry_get(st, a, id, x->inquiry);
		break;
	case FEED_KIND_VISIT:
		if ((x->visit = arena_alloc(a, sizeof(*x->visit))) == NULL)
			return ERR_ALLOC;
		r = store_visit_get(st, a, id, x->visit);
		break;
	case FEED_KIND_COMPLAINT:
		if ((x->complaint = arena_alloc(a, sizeof(*x->complaint))) ==
		    NULL)
			return ERR_ALLOC;
		r = store_complaint_get(st, a, id, x->complaint);
		break;
	default:
		break;
	}
	if (r == ERR_NOT_FOUND) {
		x->candidate = NULL;
		x->cycle = NULL;
		x->customer = NULL;
		x->inquiry = NULL;
		x->visit = NULL;
		x->complaint = NULL;
		r = 0;
	}
	if (r == 0)
		x->loaded = 1;
	return r;
}

/* The record of x in v's wire form, into ev. */
static int
feed_event_snapshot(
    struct feed_view *v, const struct feed_entry *x, Tier__Event *ev)
{
	switch (x->facts.kind) {
	case FEED_KIND_CANDIDATE:
		if (x->candidate == NULL)
			return 0;
		ev->candidate =
		    cmd_candidate_to_wire(&v->actor, x->candidate, x->cycle, 1);
		return ev->candidate != NULL ? 0 : ERR_ALLOC;
	case FEED_KIND_CUSTOMER:
		if (x->customer == NULL)
			return 0;
		ev->customer = cmd_customer_to_wire(&v->ctx, x->customer);
		return ev->customer != NULL ? 0 : ERR_ALLOC;
	case FEED_KIND_CYCLE:
		if (x->cycle == NULL)
			return 0;
		return cmd_cycle_to_wire(&v->ctx, x->cycle, &ev->cycle);
	case FEED_KIND_INQUIRY:
		if (x->inquiry == NULL)
			return 0;
		ev->inquiry = cmd_inquiry_to_wire(&v->ctx, x->inquiry);
		return ev->inquiry != NULL ? 0 : ERR_ALLOC;
	case FEED_KIND_VISIT:
		if (x->visit == NULL)
			return 0;
		ev->visit = cmd_visit_to_wire(&v->ctx, x->visit);
		return ev->visit != NULL ? 0 : ERR_ALLOC;
	case FEED_KIND_COMPLAINT:
		if (x->complaint == NULL)
			return 0;
		ev->complaint = cmd_complaint_to_wire(&v->ctx, x->complaint);
		return ev->complaint != NULL ? 0 : ERR_ALLOC;
	default:
		return 0;
	}
}

int
feed_event_build(struct feed_view *v, const struct feed_filter *flt,
    struct feed_batch *b, size_t i, struct arena *a, Tier__Event **out)
{
	struct feed_entry *x = &b->e[i];
	Tier__Event *ev;
	size_t k;
	int r;

	*out = NULL;
	if (!feed_match(flt, &x->facts, &v->viewer))
		return 0;
	if ((r = feed_event_load(v->ctx.srv->store, b->arena, x)) != 0)
		return r;
	if ((ev = arena_alloc(a, sizeof(*ev))) == NULL)
		return ERR_ALLOC;
	tier__event__init(ev);
	ev->seq = (uint64_t)x->row.seq;
	ev->at = x->row.at;
	ev->user = (char *)x->row.user;
	ev->action = (char *)x->row.action;
	ev->entity = (char *)x->row.entity;
	ev->entity_id = (uint64_t)x->row.entity_id;
	ev->reason = (char *)x->row.reason;
	if (x->notify_user != NULL)
		ev->notify_user = (char *)x->notify_user;
	if (x->nnotify > 0) {
		ev->notify_roles =
		    arena_alloc(a, x->nnotify * sizeof(*ev->notify_roles));
		if (ev->notify_roles == NULL)
			return ERR_ALLOC;
		for (k = 0; k < x->nnotify; k++)
			ev->notify_roles[k] = x->notify[k];
		ev->n_notify_roles = x->nnotify;
	}
	/* The wire forms allocate from the context's arena. */
	v->ctx.arena = a;
	r = feed_event_snapshot(v, x, ev);
	v->ctx.arena = v->arena;
	if (r != 0)
		return r;
	*out = ev;
	return 0;
}
