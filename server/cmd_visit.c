/*
 * visit add, list, plan, overdue: the visit card of customers (访问履历卡)
 * and the revisit plan of the targets' owners. A target is a customer with
 * an approved candidate in an open, closed or reviewed cycle; its owner is that
 * candidate's owner and its visit limit that cycle's policy. Owns the
 * escalation of targets not visited for longer than the limit.
 */
#include "tierd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VISIT_PARTY_CHARS    200  /* received_by */
#define VISIT_TEXT_CHARS     2000 /* content */
#define VISIT_PROGRESS_CHARS 1000
#define VISIT_PAGE           100
#define VISIT_PAGE_MAX       1000
#define VISIT_RECENT         5   /* visits shown with a customer */
#define VISIT_OPEN_MAX       100 /* open complaints shown with a customer */

static const char visit_date_hint[] = "write the date as YYYY-MM-DD, a real "
				      "day from 2000-01-01 to 2999-12-31";

/* Today on the server's clock, as a day number. */
static int64_t
visit_today(const struct cmd_ctx *ctx)
{
	return ctx->now / DAY_SECONDS;
}

/*
 * Checks a date field: BAD_REQUEST naming it when text is not a date, or
 * (not_future) when it is after today. Returns 0 with *days set, or an
 * error for the handler to return.
 */
static int
visit_date_field(struct cmd_ctx *ctx, Tier__Response *resp, const char *text,
    const char *field, const char *what, int not_future, int64_t *days)
{
	char today[11];

	if (day_parse(text, days) != 0)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    visit_date_hint, "\"%.32s\" is not a usable %s", text,
		    what);
	if (not_future && *days > visit_today(ctx)) {
		day_format(visit_today(ctx), today);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "record what already happened; plan a visit with its "
		    "next-visit date",
		    "the %s %s is after today (%s)", what, text, today);
	}
	return 0;
}

int
cmd_visit_customer(struct cmd_ctx *ctx, Tier__Response *resp, uint64_t id,
    const char *field, struct store_customer *out)
{
	int r = ERR_NOT_FOUND;

	if (id != 0 && id <= INT64_MAX)
		r = store_customer_get(
		    ctx->srv->store, ctx->arena, (int64_t)id, out);
	if (r == 0 && !scope_sees_bu(ctx->scope, out->bu_id))
		r = ERR_NOT_FOUND;
	if (r == ERR_NOT_FOUND)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND, field,
		    id == 0 ? "name the customer by its id"
			    : "tier customer list shows the customers you can "
			      "see",
		    "no customer %llu", (unsigned long long)id);
	return r;
}

int
cmd_visit_find_user(struct cmd_ctx *ctx, Tier__Response *resp, const char *name,
    const char *field, struct store_user *out)
{
	int r = store_user_by_name(ctx->srv->store, name, out);

	if (r == ERR_NOT_FOUND)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND, field,
		    "give a user's login name", "no user \"%.64s\"", name);
	return r;
}

/* 1 if user u's scope covers any of BU bu_id (resolved now). */
static int
visit_user_sees_bu(
    struct cmd_ctx *ctx, const struct store_user *u, int64_t bu_id, int *sees)
{
	struct scope sc;
	int r;

	if ((r = cmd_scope_resolve(ctx->srv->store, u->scope, &sc)) != 0)
		return r;
	*sees = scope_sees_bu(&sc, bu_id);
	scope_release(&sc);
	return 0;
}

Tier__Visit *
cmd_visit_to_wire(struct cmd_ctx *ctx, const struct store_visit *v)
{
	struct arena *a = ctx->arena;
	Tier__Visit *w;

	if ((w = arena_alloc(a, sizeof(*w))) == NULL)
		return NULL;
	tier__visit__init(w);
	w->id = (uint64_t)v->id;
	w->customer_id = (uint64_t)v->customer_id;
	w->customer = arena_strdup(a, v->customer);
	w->bu = arena_strdup(a, v->bu);
	w->visit_date = arena_strdup(a, v->visit_date);
	w->visitor = arena_strdup(a, v->visitor);
	w->received_by = arena_strdup(a, v->received_by);
	w->content = arena_strdup(a, v->content);
	w->progress = arena_strdup(a, v->progress);
	w->next_visit = arena_strdup(a, v->next_visit);
	w->created_by = arena_strdup(a, v->creator);
	w->created_at = v->created_at;
	if (w->customer == NULL || w->bu == NULL || w->visit_date == NULL ||
	    w->visitor == NULL || w->received_by == NULL ||
	    w->content == NULL || w->progress == NULL ||
	    w->next_visit == NULL || w->created_by == NULL)
		return NULL;
	return w;
}

/* The visit as the audit log keeps it. */
static json_t *
visit_json(const struct store_visit *v)
{
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
	    (json_int_t)v->id, "customer_id", (json_int_t)v->customer_id,
	    "customer", v->customer, "visit_date", v->visit_date, "visitor",
	    v->visitor, "received_by", v->received_by, "content", v->content,
	    "progress", v->progress, "next_visit", v->next_visit);
}

/* BAD_REQUEST for a text field that is missing (required) or too long. */
static int
visit_text(struct cmd_ctx *ctx, Tier__Response *resp, const char *text,
    const char *field, const char *what, size_t max, int required,
    const char *flag)
{
	char hint[128];

	if (required && text[0] == '\0') {
		snprintf(hint, sizeof(hint), "give %s", flag);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field, hint,
		    "the %s is missing", what);
	}
	if (!msg_chars_valid(text, max)) {
		snprintf(hint, sizeof(hint),
		    "use at most %zu characters without control characters",
		    max);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field, hint,
		    "the %s is not acceptable", what);
	}
	return 0;
}

static int
cmd_visit_add(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__Visit *w = req->visit_add->visit;
	struct store *st = ctx->srv->store;
	struct store_customer cu;
	struct store_user visitor;
	struct store_visit v;
	Tier__VisitResponse *out;
	int64_t day, next;
	json_t *after;
	int r, sees;

	if (w == NULL)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "visit_add.visit",
		    NULL, "no visit sent");
	if ((r = cmd_visit_customer(ctx, resp, w->customer_id,
		 "visit_add.visit.customer_id", &cu)) != 0)
		return r;
	if (w->visit_date[0] == '\0')
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "visit_add.visit.visit_date", "give --date YYYY-MM-DD",
		    "a visit needs the day it took place");
	if ((r = visit_date_field(ctx, resp, w->visit_date,
		 "visit_add.visit.visit_date", "visit date", 1, &day)) != 0)
		return r;
	if (w->next_visit[0] != '\0') {
		if ((r = visit_date_field(ctx, resp, w->next_visit,
			 "visit_add.visit.next_visit", "next visit date", 0,
			 &next)) != 0)
			return r;
		if (next <= day)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
			    "visit_add.visit.next_visit",
			    "plan the next visit after this one",
			    "the next visit %s is not after the visit on %s",
			    w->next_visit, w->visit_date);
	}
	if ((r = visit_text(ctx, resp, w->received_by,
		 "visit_add.visit.received_by", "person who received the visit",
		 VISIT_PARTY_CHARS, 1, "--received-by")) != 0 ||
	    (r = visit_text(ctx, resp, w->content, "visit_add.visit.content",
		 "content of the visit", VISIT_TEXT_CHARS, 1, "--content")) !=
		0 ||
	    (r = visit_text(ctx, resp, w->progress, "visit_add.visit.progress",
		 "deal progress", VISIT_PROGRESS_CHARS, 0, "--progress")) != 0)
		return r;
	if (w->visitor[0] == '\0')
		visitor = *ctx->user;
	else if ((r = cmd_visit_find_user(ctx, resp, w->visitor,
		      "visit_add.visit.visitor", &visitor)) != 0)
		return r;
	if (visitor.role == TIER__ROLE__ROLE_ADMIN ||
	    visitor.role == TIER__ROLE__ROLE_AUDITOR)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "visit_add.visit.visitor",
		    "name the person of the sales organisation who visited",
		    "%s is an %s and does not visit customers", visitor.name,
		    msg_role_name(visitor.role));
	if ((r = visit_user_sees_bu(ctx, &visitor, cu.bu_id, &sees)) != 0)
		return r;
	if (!sees)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "visit_add.visit.visitor",
		    "name a visitor whose scope includes the customer's BU",
		    "%s cannot see customer %lld \"%s\"", visitor.name,
		    (long long)cu.id, cu.name);
	memset(&v, 0, sizeof(v));
	v.customer_id = cu.id;
	v.visit_date = w->visit_date;
	v.visitor_id = visitor.id;
	v.received_by = w->received_by;
	v.content = w->content;
	v.progress = w->progress;
	v.next_visit = w->next_visit;
	v.created_by = ctx->user->id;
	v.created_at = ctx->now;
	if ((r = store_visit_insert(st, &v)) != 0 ||
	    (r = store_visit_get(st, ctx->arena, v.id, &v)) != 0)
		return r;
	if ((after = visit_json(&v)) == NULL)
		return ERR_ALLOC;
	r = audit_record_json(ctx, "visit.add", "visit", v.id, NULL, after, "");
	json_decref(after);
	if (r != 0)
		return r;
	cmd_log(ctx, "visit %lld to customer %lld recorded by %s",
	    (long long)v.id, (long long)cu.id, ctx->user->name);
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__visit_response__init(out);
	if ((out->visit = cmd_visit_to_wire(ctx, &v)) == NULL)
		return ERR_ALLOC;
	resp->visit_add = out;
	return 0;
}

/* The state of a visit list walk. */
struct visit_page {
	struct cmd_page page;
	Tier__Visit **rows; /* in ctx's arena */
};

static int
visit_page_add(const struct store_visit *v, void *arg)
{
	struct visit_page *pg = arg;
	int take = cmd_page_admit(&pg->page, v->bu_id);

	if (take <= 0)
		return take < 0;
	pg->rows[pg->page.n] = cmd_visit_to_wire(pg->page.ctx, v);
	return cmd_page_added(
	    &pg->page, pg->rows[pg->page.n] != NULL ? 0 : ERR_ALLOC);
}

/* Starts a page of asked visits (0: dflt), at most max. */
static int
visit_page_new(struct cmd_ctx *ctx, size_t asked, size_t dflt, size_t max,
    struct visit_page *pg)
{
	cmd_page_start(&pg->page, ctx, asked, dflt, max);
	pg->rows = arena_alloc(ctx->arena,
	    (pg->page.limit ? pg->page.limit : 1) * sizeof(*pg->rows));
	return pg->rows != NULL ? 0 : ERR_ALLOC;
}

static int
cmd_visit_list(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__VisitListRequest *a = req->visit_list;
	struct store_visit_filter f;
	struct store_customer cu;
	struct store_user visitor;
	Tier__VisitListResponse *out;
	struct visit_page pg;
	int64_t from = 0, to = 0;
	int r;

	memset(&f, 0, sizeof(f));
	if (a->customer_id != 0) {
		if ((r = cmd_visit_customer(ctx, resp, a->customer_id,
			 "visit_list.customer_id", &cu)) != 0)
			return r;
		f.customer_id = cu.id;
	}
	if (a->visitor[0] != '\0') {
		if ((r = cmd_visit_find_user(ctx, resp, a->visitor,
			 "visit_list.visitor", &visitor)) != 0)
			return r;
		f.visitor_id = visitor.id;
	}
	if (a->from[0] != '\0' &&
	    (r = visit_date_field(ctx, resp, a->from, "visit_list.from",
		 "start date", 0, &from)) != 0)
		return r;
	if (a->to[0] != '\0' && (r = visit_date_field(ctx, resp, a->to,
				     "visit_list.to", "end date", 0, &to)) != 0)
		return r;
	if (a->from[0] != '\0' && a->to[0] != '\0' && from > to)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "visit_list.to",
		    "give the earlier date with --from",
		    "the period %s to %s ends before it starts", a->from,
		    a->to);
	f.from = a->from;
	f.to = a->to;
	if ((r = visit_page_new(
		 ctx, a->limit, VISIT_PAGE, VISIT_PAGE_MAX, &pg)) != 0)
		return r;
	r = store_visit_each(ctx->srv->store, &f, visit_page_add, &pg);
	if (r < 0)
		return r;
	if (pg.page.r != 0)
		return pg.page.r;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__visit_list_response__init(out);
	out->visits = pg.rows;
	out->n_visits = pg.page.n;
	out->truncated = pg.page.more;
	resp->visit_list = out;
	return 0;
}

/* A target with its plan figures, as the plan and the alerts need them. */
struct visit_due {
	const struct store_target *t;
	int64_t base;       /* last visit, else the approval day */
	int64_t due;        /* when a visit is due */
	int64_t days_since; /* -1 when never visited */
	int overdue;        /* today - base > limit */
};

/* Computes the plan figures of t for today. */
static void
visit_due_of(const struct store_target *t, int64_t today, struct visit_due *d)
{
	int64_t next;

	memset(d, 0, sizeof(*d));
	d->t = t;
	if (t->last_visit[0] != '\0' &&
	    day_parse(t->last_visit, &d->base) == 0) {
		d->days_since = today - d->base;
	} else {
		d->base = t->approved_at / DAY_SECONDS;
		d->days_since = -1;
	}
	d->due = d->base + t->limit_days;
	if (t->next_visit[0] != '\0' && day_parse(t->next_visit, &next) == 0 &&
	    next < d->due)
		d->due = next;
	d->overdue = today - d->base > (int64_t)t->limit_days;
}

static Tier__VisitTarget *
visit_target_to_wire(struct cmd_ctx *ctx, const struct visit_due *d)
{
	const struct store_target *t = d->t;
	struct arena *a = ctx->arena;
	Tier__VisitTarget *w;
	char day[11];

	if ((w = arena_alloc(a, sizeof(*w))) == NULL)
		return NULL;
	tier__visit_target__init(w);
	w->customer_id = (uint64_t)t->customer_id;
	w->customer = (char *)t->customer;
	w->bu = (char *)t->bu;
	w->owner = (char *)t->owner;
	w->tier = t->tier;
	w->cycle_id = (uint64_t)t->cycle_id;
	w->year = t->year;
	w->limit_days = t->limit_days;
	w->last_visit = (char *)t->last_visit;
	w->next_visit = (char *)t->next_visit;
	w->days_since = (int32_t)d->days_since;
	day_format(d->due, day);
	w->due = arena_strdup(a, day);
	w->overdue = d->overdue;
	day_format(t->approved_at / DAY_SECONDS, day);
	w->target_since = arena_strdup(a, day);
	return w->due != NULL && w->target_since != NULL ? w : NULL;
}

/* Plan order: owner, due date, customer. */
static int
visit_due_by_owner(const void *x, const void *y)
{
	const struct visit_due *a = x, *b = y;
	int c = strcmp(a->t->owner, b->t->owner);

	if (c != 0)
		return c;
	if (a->due != b->due)
		return a->due < b->due ? -1 : 1;
	return a->t->customer_id < b->t->customer_id ? -1 : 1;
}

/* Overdue order: due date (the most overdue first), customer. */
static int
visit_due_by_date(const void *x, const void *y)
{
	const struct visit_due *a = x, *b = y;

	if (a->due != b->due)
		return a->due < b->due ? -1 : 1;
	return a->t->customer_id < b->t->customer_id ? -1 : 1;
}

/* The targets the user sees in BU bu and of owner (names, "" for any),
 * overdue ones only when asked, in plan or overdue order. */
static int
visit_plan(struct cmd_ctx *ctx, Tier__Response *resp, const char *body,
    const char *bu, const char *owner, int overdue_only,
    Tier__VisitPlanResponse **outp)
{
	struct store_target *targets = NULL;
	struct visit_due *due = NULL;
	Tier__VisitPlanResponse *out;
	struct store_user u;
	struct store_unit unit;
	int64_t bu_id = 0, owner_id = 0, today = visit_today(ctx);
	char field[64], day[11];
	size_t i, n = 0, k = 0;
	int r;

	if (bu[0] != '\0') {
		snprintf(field, sizeof(field), "%s.bu", body);
		if ((r = cmd_find_bu(ctx, resp, bu, field, NULL, &unit)) != 0)
			return r;
		bu_id = unit.id;
	}
	if (owner[0] != '\0') {
		snprintf(field, sizeof(field), "%s.owner", body);
		if ((r = cmd_visit_find_user(ctx, resp, owner, field, &u)) != 0)
			return r;
		owner_id = u.id;
	}
	if ((r = store_visit_targets(
		 ctx->srv->store, ctx->arena, &targets, &n)) != 0)
		return r;
	if ((due = arena_alloc(ctx->arena, (n ? n : 1) * sizeof(*due))) == NULL)
		return ERR_ALLOC;
	for (i = 0; i < n; i++) {
		if (!scope_sees_bu(ctx->scope, targets[i].bu_id) ||
		    (bu_id != 0 && targets[i].bu_id != bu_id) ||
		    (owner_id != 0 && targets[i].owner_id != owner_id))
			continue;
		visit_due_of(&targets[i], today, &due[k]);
		if (overdue_only && !due[k].overdue)
			continue;
		k++;
	}
	qsort(due, k, sizeof(*due),
	    overdue_only ? visit_due_by_date : visit_due_by_owner);
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__visit_plan_response__init(out);
	if ((out->targets = arena_alloc(
		 ctx->arena, (k ? k : 1) * sizeof(*out->targets))) == NULL)
		return ERR_ALLOC;
	for (i = 0; i < k; i++) {
		if ((out->targets[i] = visit_target_to_wire(ctx, &due[i])) ==
		    NULL)
			return ERR_ALLOC;
	}
	out->n_targets = k;
	day_format(today, day);
	if ((out->today = arena_strdup(ctx->arena, day)) == NULL)
		return ERR_ALLOC;
	*outp = out;
	return 0;
}

static int
cmd_visit_plan(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__VisitPlanRequest *a = req->visit_plan;

	return visit_plan(
	    ctx, resp, "visit_plan", a->bu, a->owner, 0, &resp->visit_plan);
}

static int
cmd_visit_overdue(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__VisitOverdueRequest *a = req->visit_overdue;

	return visit_plan(ctx, resp, "visit_overdue", a->bu, a->owner, 1,
	    &resp->visit_overdue);
}

/* Announces one overdue target inside the open transaction. */
static int
visit_alert(struct cmd_ctx *ctx, const struct visit_due *d)
{
	const struct store_target *t = d->t;
	char reason[160], due[11], since[11];
	json_t *after;
	int r;

	day_format(d->due, due);
	day_format(t->approved_at / DAY_SECONDS, since);
	if (d->days_since >= 0)
		snprintf(reason, sizeof(reason),
		    "not visited for %lld days (last visit %s), limit %u days",
		    (long long)d->days_since, t->last_visit, t->limit_days);
	else
		snprintf(reason, sizeof(reason),
		    "never visited since it became a target on %s, limit %u "
		    "days",
		    since, t->limit_days);
	after = json_pack("{s:I, s:s, s:s, s:s, s:I, s:i, s:I, s:s, s:s, "
			  "s:s}",
	    "customer_id", (json_int_t)t->customer_id, "customer", t->customer,
	    "owner", t->owner, "last_visit", t->last_visit, "days_since",
	    (json_int_t)d->days_since, "limit_days", (int)t->limit_days,
	    "cycle_id", (json_int_t)t->cycle_id, "target_since", since, "due",
	    due, "notify_user", t->owner);
	if (after == NULL)
		return ERR_ALLOC;
	r = store_visit_alerted(
	    ctx->srv->store, t->customer_id, t->last_visit, ctx->now);
	if (r == 0)
		r = audit_record_json(ctx, "customer.visit_overdue", "customer",
		    t->customer_id, NULL, after, reason);
	json_decref(after);
	if (r == 0)
		cmd_log(ctx, "customer %lld: %s", (long long)t->customer_id,
		    reason);
	return r;
}

int
cmd_visit_escalate(struct cmd_ctx *ctx, size_t *count)
{
	struct store_target *targets = NULL;
	struct visit_due d;
	size_t i, n = 0;
	int r;

	*count = 0;
	if ((r = store_visit_targets(
		 ctx->srv->store, ctx->arena, &targets, &n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		visit_due_of(&targets[i], visit_today(ctx), &d);
		/* Once per overdue period: until the last visit changes. */
		if (!d.overdue ||
		    (targets[i].alerted && strcmp(targets[i].alerted_for,
					       targets[i].last_visit) == 0))
			continue;
		if ((r = visit_alert(ctx, &d)) != 0)
			return r;
		(*count)++;
	}
	return 0;
}

uint32_t
cmd_visit_limit_days(struct cmd_ctx *ctx, int64_t cycle_id)
{
	uint32_t days = 0;

	if (store_visit_limit_get(ctx->srv->store, cycle_id, &days) != 0)
		days = 0;
	return days ? days : 90;
}

/* Collects up to VISIT_OPEN_MAX open complaints of a customer. */
struct visit_open {
	struct cmd_ctx *ctx;
	Tier__Complaint **rows;
	size_t n;
	int r;
};

static int
visit_open_add(const struct store_complaint *c, void *arg)
{
	struct visit_open *o = arg;

	if (o->n == VISIT_OPEN_MAX)
		return 1;
	if ((o->rows[o->n] = cmd_complaint_to_wire(o->ctx, c)) == NULL) {
		o->r = ERR_ALLOC;
		return 1;
	}
	o->n++;
	return 0;
}

int
cmd_visit_customer_cards(
    struct cmd_ctx *ctx, int64_t customer_id, Tier__CustomerResponse *out)
{
	struct store_visit_filter vf;
	struct store_complaint_filter cf;
	struct visit_page pg;
	struct visit_open o;
	int r;

	/* The count first: a customer without visits needs no walk. */
	if ((r = store_visit_count(
		 ctx->srv->store, customer_id, &out->visit_count)) != 0)
		return r;
	if (out->visit_count > 0) {
		memset(&vf, 0, sizeof(vf));
		vf.customer_id = customer_id;
		if ((r = visit_page_new(
			 ctx, 0, VISIT_RECENT, VISIT_RECENT, &pg)) != 0)
			return r;
		r = store_visit_each(ctx->srv->store, &vf, visit_page_add, &pg);
		if (r < 0)
			return r;
		if (pg.page.r != 0)
			return pg.page.r;
		out->recent_visits = pg.rows;
		out->n_recent_visits = pg.page.n;
	}
	memset(&cf, 0, sizeof(cf));
	cf.customer_id = customer_id;
	cf.open_only = 1;
	cf.oldest_first = 1;
	memset(&o, 0, sizeof(o));
	o.ctx = ctx;
	if ((o.rows = arena_alloc(
		 ctx->arena, VISIT_OPEN_MAX * sizeof(*o.rows))) == NULL)
		return ERR_ALLOC;
	r = store_complaint_each(ctx->srv->store, &cf, visit_open_add, &o);
	if (r < 0)
		return r;
	if (o.r != 0)
		return o.r;
	out->open_complaints = o.rows;
	out->n_open_complaints = o.n;
	return 0;
}

#define VISIT_WRITERS                                                          \
	(CMD_ROLE(TIER__ROLE__ROLE_ACCOUNT_MGR) |                              \
	    CMD_ROLE(TIER__ROLE__ROLE_SEGMENT_MGR) |                           \
	    CMD_ROLE(TIER__ROLE__ROLE_BU_VP))

const struct cmd_entry cmd_visit_add_entry = {
	.name = "visit_add",
	.request = TIER__REQUEST__BODY_VISIT_ADD,
	.response = TIER__RESPONSE__BODY_VISIT_ADD,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = VISIT_WRITERS,
	.handler = cmd_visit_add,
};

const struct cmd_entry cmd_visit_list_entry = {
	.name = "visit_list",
	.request = TIER__REQUEST__BODY_VISIT_LIST,
	.response = TIER__RESPONSE__BODY_VISIT_LIST,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_visit_list,
};

const struct cmd_entry cmd_visit_plan_entry = {
	.name = "visit_plan",
	.request = TIER__REQUEST__BODY_VISIT_PLAN,
	.response = TIER__RESPONSE__BODY_VISIT_PLAN,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_visit_plan,
};

const struct cmd_entry cmd_visit_overdue_entry = {
	.name = "visit_overdue",
	.request = TIER__REQUEST__BODY_VISIT_OVERDUE,
	.response = TIER__RESPONSE__BODY_VISIT_OVERDUE,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_visit_overdue,
};
