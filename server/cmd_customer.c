/*
 * customer add, get, list, update: the customers of a BU and their archive
 * card. Owns the normalised form of customer names that duplicate detection
 * compares, and which card fields still count as missing.
 */
#include "tierd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CUSTOMER_NAME_CHARS  200
#define CUSTOMER_TEXT_CHARS  1000
#define CUSTOMER_REVENUE_MAX 100 /* years on one card */
#define CUSTOMER_YEAR_MIN    1900
#define CUSTOMER_YEAR_MAX    2999
#define CUSTOMER_PAGE        100
#define CUSTOMER_PAGE_MAX    1000

static const char customer_list_hint[] = "tier customer list shows the "
					 "customers you can see";

/* What to do about a customer card without its BU. */
#define CUSTOMER_BU_HINT "name the BU whose customer it is"
size_t
cmd_customer_missing(
    const struct store_customer *c, const char *out[CUSTOMER_CARD_FIELDS])
{
	size_t n = 0;

	if (c->industry[0] == '\0')
		out[n++] = "industry";
	if (c->region[0] == '\0')
		out[n++] = "region";
	if (c->size[0] == '\0')
		out[n++] = "size";
	if (c->contacts[0] == '\0')
		out[n++] = "contacts";
	if (c->credit_limit == 0)
		out[n++] = "credit_limit";
	if (c->payment_terms[0] == '\0')
		out[n++] = "payment_terms";
	if (c->nrevenue == 0)
		out[n++] = "revenue";
	if (c->profile == NULL || c->profile[0] == '\0')
		out[n++] = "profile";
	if (c->key_people == NULL || c->key_people[0] == '\0')
		out[n++] = "key_people";
	if (c->transaction_status == NULL || c->transaction_status[0] == '\0')
		out[n++] = "transaction_status";
	return n;
}

Tier__Customer *
cmd_customer_to_wire(struct cmd_ctx *ctx, const struct store_customer *c)
{
	const char *missing[CUSTOMER_CARD_FIELDS];
	struct arena *a = ctx->arena;
	struct store_unit bu;
	Tier__Customer *w;
	Tier__RevenueYear *y;
	size_t i, n;

	if (store_unit_get(ctx->srv->store, c->bu_id, &bu) != 0 ||
	    (w = arena_alloc(a, sizeof(*w))) == NULL)
		return NULL;
	tier__customer__init(w);
	w->id = (uint64_t)c->id;
	w->bu = arena_strdup(a, bu.name);
	w->name = arena_strdup(a, c->name);
	w->industry = arena_strdup(a, c->industry);
	w->region = arena_strdup(a, c->region);
	w->size = arena_strdup(a, c->size);
	w->contacts = arena_strdup(a, c->contacts);
	w->credit_limit = c->credit_limit;
	w->payment_terms = arena_strdup(a, c->payment_terms);
	w->profile = arena_strdup(a, c->profile != NULL ? c->profile : "");
	w->key_people =
	    arena_strdup(a, c->key_people != NULL ? c->key_people : "");
	w->transaction_status = arena_strdup(
	    a, c->transaction_status != NULL ? c->transaction_status : "");
	w->grade = arena_strdup(a, c->grade != NULL ? c->grade : "");
	w->owner = cmd_cycle_user_name(ctx, c->owner_id);
	w->version = (uint64_t)c->version;
	w->updated_by = cmd_cycle_user_name(ctx, c->updated_by);
	w->updated_at = c->updated_at;
	w->revenue = arena_alloc(
	    a, (c->nrevenue ? c->nrevenue : 1) * sizeof(*w->revenue));
	w->missing = arena_alloc(a, sizeof(missing));
	if (w->bu == NULL || w->name == NULL || w->industry == NULL ||
	    w->region == NULL || w->size == NULL || w->contacts == NULL ||
	    w->payment_terms == NULL || w->updated_by == NULL ||
	    w->revenue == NULL || w->missing == NULL || w->profile == NULL ||
	    w->key_people == NULL || w->transaction_status == NULL ||
	    w->grade == NULL || w->owner == NULL)
		return NULL;
	for (i = 0; i < c->nrevenue; i++) {
		if ((y = arena_alloc(a, sizeof(*y))) == NULL)
			return NULL;
		tier__revenue_year__init(y);
		y->year = c->revenue[i].year;
		y->amount = c->revenue[i].amount;
		y->plan = c->revenue[i].plan;
		w->revenue[i] = y;
	}
	w->n_revenue = c->nrevenue;
	n = cmd_customer_missing(c, missing);
	for (i = 0; i < n; i++)
		w->missing[i] = (char *)missing[i];
	w->n_missing = n;
	w->completeness =
	    (uint32_t)((CUSTOMER_CARD_FIELDS - n) * 100 / CUSTOMER_CARD_FIELDS);
	return w;
}

/* The record as the audit log keeps it. */
static json_t *
customer_json(const struct store_customer *c, const char *bu)
{
	json_t *rev = json_array();
	size_t i;

	for (i = 0; rev != NULL && i < c->nrevenue; i++) {
		if (json_array_append_new(
			rev, json_pack("{s:i, s:I, s:I}", "year",
				 (int)c->revenue[i].year, "amount",
				 (json_int_t)c->revenue[i].amount, "plan",
				 (json_int_t)c->revenue[i].plan)) != 0) {
			json_decref(rev);
			return NULL;
		}
	}
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:o, "
			 "s:I, s:s, s:s, s:s, s:s, s:I}",
	    "id", (json_int_t)c->id, "bu", bu, "name", c->name, "industry",
	    c->industry, "region", c->region, "size", c->size, "contacts",
	    c->contacts, "credit_limit", (json_int_t)c->credit_limit,
	    "payment_terms", c->payment_terms, "revenue", rev, "version",
	    (json_int_t)c->version, "profile", c->profile, "key_people",
	    c->key_people, "transaction_status", c->transaction_status, "grade",
	    c->grade != NULL ? c->grade : "", "owner_id",
	    (json_int_t)c->owner_id);
}

/* Loads customer id as the user may see it; NOT_FOUND otherwise. */
static int
customer_load(struct cmd_ctx *ctx, Tier__Response *resp, uint64_t id,
    const char *field, struct store_customer *out)
{
	int r = ERR_NOT_FOUND;

	if (id <= INT64_MAX)
		r = store_customer_get(
		    ctx->srv->store, ctx->arena, (int64_t)id, out);
	if (r == 0 && !scope_sees_bu(ctx->scope, out->bu_id))
		r = ERR_NOT_FOUND;
	if (r == ERR_NOT_FOUND)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND, field,
		    customer_list_hint, "no customer %llu",
		    (unsigned long long)id);
	return r;
}

/* 1 for a transaction status the card accepts. */
static int
customer_status_valid(const char *s)
{
	static const char *const ok[] = { "", "none", "prospect", "active",
		"dormant", "lost" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (strcmp(s, ok[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Checks the card of the request (body is "customer_add" or
 * "customer_update") and fills c from it: the strings stay the request's,
 * norm_name and the revenue array are in the arena. The BU is checked by
 * the caller.
 */
static int
customer_card(struct cmd_ctx *ctx, Tier__Response *resp, const char *body,
    const Tier__Customer *w, struct store_customer *c)
{
	const struct {
		const char *name;
		const char *value;
	} texts[] = {
		{ "industry", w->industry },
		{ "region", w->region },
		{ "size", w->size },
		{ "contacts", w->contacts },
		{ "payment_terms", w->payment_terms },
		{ "profile", w->profile },
		{ "key_people", w->key_people },
	};
	char field[64], *norm = NULL;
	size_t i, j;
	int r;

	snprintf(field, sizeof(field), "%s.customer.name", body);
	if (!msg_chars_valid(w->name, CUSTOMER_NAME_CHARS))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "use at most 200 characters without control characters",
		    "\"%.64s\" is not a usable customer name", w->name);
	if ((r = msg_norm_name(w->name, &norm)) != 0)
		return r == ERR_INVALID_ARG
			   ? cmd_error(ctx, resp,
				 TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
				 field, "send UTF-8 text",
				 "the customer name is not UTF-8")
			   : r;
	c->norm_name = arena_strdup(ctx->arena, norm);
	free(norm);
	if (c->norm_name == NULL)
		return ERR_ALLOC;
	if (c->norm_name[0] == '\0')
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "give the company's name", "a customer needs a name");
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (msg_chars_valid(texts[i].value, CUSTOMER_TEXT_CHARS))
			continue;
		snprintf(field, sizeof(field), "%s.customer.%s", body,
		    texts[i].name);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "use at most 1000 characters without control characters",
		    "the %s on the card is not acceptable", texts[i].name);
	}
	if (!customer_status_valid(w->transaction_status)) {
		snprintf(field, sizeof(field), "%s.customer.transaction_status",
		    body);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "give none, prospect, active, dormant or lost (\"\" when "
		    "not known)",
		    "\"%.32s\" is not a transaction status",
		    w->transaction_status);
	}
	if (w->credit_limit < 0) {
		snprintf(
		    field, sizeof(field), "%s.customer.credit_limit", body);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "give the limit in whole currency units; 0 means not "
		    "recorded",
		    "a credit limit cannot be negative (%lld)",
		    (long long)w->credit_limit);
	}
	snprintf(field, sizeof(field), "%s.customer.revenue", body);
	if (w->n_revenue > CUSTOMER_REVENUE_MAX)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "keep at most 100 years",
		    "%zu years of revenue are too many", w->n_revenue);
	c->revenue = arena_alloc(ctx->arena,
	    (w->n_revenue ? w->n_revenue : 1) * sizeof(*c->revenue));
	if (c->revenue == NULL)
		return ERR_ALLOC;
	for (i = 0; i < w->n_revenue; i++) {
		const Tier__RevenueYear *y = w->revenue[i];

		if (y->year < CUSTOMER_YEAR_MIN || y->year > CUSTOMER_YEAR_MAX)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
			    "give years from 1900 to 2999",
			    "%u is not a revenue year", y->year);
		if (y->amount < 0 || y->plan < 0)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
			    "revenue and plan are amounts of 0 or more",
			    "revenue for %u is negative", y->year);
		for (j = 0; j < i; j++) {
			if (c->revenue[j].year == y->year)
				return cmd_error(ctx, resp,
				    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
				    field, "give each year once",
				    "revenue for %u is given twice", y->year);
		}
		c->revenue[i].year = y->year;
		c->revenue[i].amount = y->amount;
		c->revenue[i].plan = y->plan;
	}
	c->nrevenue = w->n_revenue;
	c->name = w->name;
	c->industry = w->industry;
	c->region = w->region;
	c->size = w->size;
	c->contacts = w->contacts;
	c->credit_limit = w->credit_limit;
	c->payment_terms = w->payment_terms;
	c->profile = w->profile;
	c->key_people = w->key_people;
	c->transaction_status = w->transaction_status;
	return 0;
}

/* The amount of year in c, or -1 when c has no such year. */
static int64_t
customer_amount(const struct store_customer *c, uint32_t year)
{
	size_t i;

	for (i = 0; c != NULL && i < c->nrevenue; i++) {
		if (c->revenue[i].year == year)
			return c->revenue[i].amount;
	}
	return -1;
}

/* 1 when amount differs from base by more than pct percent of base. A base
 * of 0 is no recorded volume (a year with a plan only): nothing to compare. */
static int
customer_marked(int64_t base, int64_t amount, long pct)
{
	long double diff = (long double)amount - (long double)base;

	if (diff < 0)
		diff = -diff;
	if (base <= 0)
		return 0;
	return diff * 100 > (long double)pct * (long double)base;
}

/*
 * A marked change in transaction volume needs a reason: a year of c whose
 * amount is new or changed against before (NULL for a new customer) and
 * differs by more than volume_change_percent from the year's old amount or
 * from the previous year's amount on the card. Returns 0 or cmd_error's.
 */
static int
customer_volume(struct cmd_ctx *ctx, Tier__Response *resp, const char *body,
    const struct store_customer *before, const struct store_customer *c,
    const char *reason)
{
	long pct = ctx->srv->cfg.volume_change_percent;
	int64_t old, prev, base = 0;
	char field[64], hint[160];
	const char *what = NULL;
	size_t i;

	snprintf(field, sizeof(field), "%s.reason", body);
	if (!msg_chars_valid(reason, CUSTOMER_TEXT_CHARS))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "use at most 1000 characters without control characters",
		    "the reason is not acceptable");
	if (reason[strspn(reason, " ")] != '\0')
		return 0;
	for (i = 0; i < c->nrevenue && what == NULL; i++) {
		const struct store_revenue *y = &c->revenue[i];

		old = customer_amount(before, y->year);
		if (old == y->amount)
			continue;
		prev = customer_amount(c, y->year - 1);
		if (prev < 0)
			prev = customer_amount(before, y->year - 1);
		if (old >= 0 && customer_marked(old, y->amount, pct)) {
			what = "its recorded amount";
			base = old;
		} else if (prev >= 0 && customer_marked(prev, y->amount, pct)) {
			what = "the year before";
			base = prev;
		}
		if (what == NULL)
			continue;
		snprintf(hint, sizeof(hint),
		    "a change of more than %ld%% in transaction volume needs "
		    "its reason: add --reason TEXT",
		    pct);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field, hint,
		    "revenue %u changes from %lld (%s) to %lld: a marked "
		    "change in transaction volume needs a reason",
		    y->year, (long long)base, what, (long long)y->amount);
	}
	return 0;
}

/* ALREADY_EXISTS naming the customer of the BU with c's normalised name. */
static int
customer_unique(struct cmd_ctx *ctx, Tier__Response *resp, const char *body,
    const struct store_customer *c, const struct store_unit *bu)
{
	struct store_customer other;
	char field[64], hint[64];
	int r;

	r = store_customer_by_norm(
	    ctx->srv->store, ctx->arena, c->bu_id, c->norm_name, &other);
	if (r == ERR_NOT_FOUND || (r == 0 && other.id == c->id))
		return 0;
	if (r != 0)
		return r;
	snprintf(field, sizeof(field), "%s.customer.name", body);
	snprintf(hint, sizeof(hint),
	    "it is the same company: tier customer "
	    "show %lld",
	    (long long)other.id);
	return cmd_error(ctx, resp, TIER__ERROR_CODE__ERROR_CODE_ALREADY_EXISTS,
	    field, hint,
	    "BU \"%s\" already has customer %lld \"%s\" by that name", bu->name,
	    (long long)other.id, other.name);
}

static int
customer_respond(struct cmd_ctx *ctx, const struct store_customer *c,
    Tier__CustomerResponse **body)
{
	Tier__CustomerResponse *out;

	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__customer_response__init(out);
	if ((out->customer = cmd_customer_to_wire(ctx, c)) == NULL)
		return ERR_ALLOC;
	*body = out;
	return 0;
}

static int
cmd_customer_add(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__Customer *w = req->customer_add->customer;
	struct store_customer c;
	struct store_unit bu;
	json_t *after;
	int r;

	if (w == NULL)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "customer_add.customer", NULL, "no customer card sent");
	if ((r = cmd_find_bu(ctx, resp, w->bu, "customer_add.customer.bu",
		 CUSTOMER_BU_HINT, &bu)) != 0)
		return r;
	memset(&c, 0, sizeof(c));
	if ((r = customer_card(ctx, resp, "customer_add", w, &c)) != 0)
		return r;
	c.bu_id = bu.id;
	c.grade = "";
	if ((r = customer_unique(ctx, resp, "customer_add", &c, &bu)) != 0 ||
	    (r = customer_volume(ctx, resp, "customer_add", NULL, &c,
		 req->customer_add->reason)) != 0)
		return r;
	c.updated_by = ctx->user->id;
	c.updated_at = ctx->now;
	if ((r = store_customer_insert(ctx->srv->store, &c)) != 0)
		return r;
	if ((after = customer_json(&c, bu.name)) == NULL)
		return ERR_ALLOC;
	r = audit_record_json(ctx, "customer.add", "customer", c.id, NULL,
	    after, req->customer_add->reason);
	json_decref(after);
	if (r != 0)
		return r;
	cmd_log(ctx, "customer %lld added to %s by %s", (long long)c.id,
	    bu.name, ctx->user->name);
	return customer_respond(ctx, &c, &resp->customer_add);
}

static int
cmd_customer_get(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	struct store_customer c;
	int r;

	if ((r = customer_load(ctx, resp, req->customer_get->customer_id,
		 "customer_get.customer_id", &c)) != 0)
		return r;
	if ((r = customer_respond(ctx, &c, &resp->customer_get)) != 0)
		return r;
	/* The visit and complaint cards (cmd_visit.c). */
	return cmd_visit_customer_cards(ctx, c.id, resp->customer_get);
}

/* Refuses a change while a candidate of the customer awaits approval. */
static int
customer_unlocked(
    struct cmd_ctx *ctx, Tier__Response *resp, const struct store_customer *c)
{
	struct store_cycle cycle;
	int64_t candidate, cycle_id;
	int r;

	r = store_customer_candidate(ctx->srv->store, c->id,
	    TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING, &candidate,
	    &cycle_id);
	if (r == ERR_NOT_FOUND)
		return 0;
	if (r != 0 ||
	    (r = store_cycle_get(ctx->srv->store, cycle_id, &cycle)) != 0)
		return r;
	return cmd_error(ctx, resp, TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
	    "", "it can change again once the approval is decided or returned",
	    "customer %lld is locked: it is a candidate in cycle %lld (%u) "
	    "waiting for approval",
	    (long long)c->id, (long long)cycle.id, cycle.year);
}

static int
cmd_customer_update(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__CustomerUpdateRequest *a = req->customer_update;
	struct store *st = ctx->srv->store;
	struct store_customer before, c;
	struct store_unit old_bu, bu;
	json_t *jb = NULL, *ja = NULL;
	int64_t candidate, cycle_id;
	int r;

	if ((r = customer_load(ctx, resp, a->customer_id,
		 "customer_update.customer_id", &before)) != 0)
		return r;
	if (a->version == 0)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "customer_update.version",
		    "send the version you last saw (tier customer show shows "
		    "it)",
		    "a change to customer %lld needs its version",
		    (long long)before.id);
	if ((int64_t)a->version != before.version)
		return cmd_conflict(ctx, resp, "customer", before.id,
		    (uint64_t)before.version, a->version, before.updated_by,
		    before.updated_at);
	if ((r = customer_unlocked(ctx, resp, &before)) != 0)
		return r;
	if (a->customer == NULL)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "customer_update.customer", NULL, "no customer card sent");
	if ((r = store_unit_get(st, before.bu_id, &old_bu)) != 0)
		return r;
	bu = old_bu;
	if (a->customer->bu[0] != '\0' &&
	    strcmp(a->customer->bu, old_bu.name) != 0) {
		if ((r = cmd_find_bu(ctx, resp, a->customer->bu,
			 "customer_update.customer.bu", CUSTOMER_BU_HINT,
			 &bu)) != 0)
			return r;
		r = store_customer_candidate(st, before.id,
		    TIER__CANDIDATE_STATE__CANDIDATE_STATE_UNSPECIFIED,
		    &candidate, &cycle_id);
		if (r == 0)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
			    "customer_update.customer.bu",
			    "add the company to the other BU as a customer of "
			    "its own",
			    "customer %lld is a candidate in cycle %lld; it "
			    "stays in BU \"%s\"",
			    (long long)before.id, (long long)cycle_id,
			    old_bu.name);
		if (r != ERR_NOT_FOUND)
			return r;
	}
	memset(&c, 0, sizeof(c));
	if ((r = customer_card(
		 ctx, resp, "customer_update", a->customer, &c)) != 0)
		return r;
	c.id = before.id;
	c.bu_id = bu.id;
	c.grade = before.grade;
	c.owner_id = before.owner_id;
	if ((r = customer_unique(ctx, resp, "customer_update", &c, &bu)) != 0 ||
	    (r = customer_volume(
		 ctx, resp, "customer_update", &before, &c, a->reason)) != 0)
		return r;
	c.version = before.version + 1;
	c.updated_by = ctx->user->id;
	c.updated_at = ctx->now;
	c.created_at = before.created_at;
	if ((r = store_customer_update(st, &c)) != 0)
		return r;
	if ((jb = customer_json(&before, old_bu.name)) == NULL ||
	    (ja = customer_json(&c, bu.name)) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	if ((r = audit_record_json(ctx, "customer.update", "customer", c.id, jb,
		 ja, a->reason)) != 0)
		goto out;
	r = customer_respond(ctx, &c, &resp->customer_update);
out:
	json_decref(jb);
	json_decref(ja);
	return r;
}

/* The state of a customer list walk. */
struct customer_page {
	struct cmd_page page;
	Tier__CustomerListResponse *out;
};

static int
customer_page_add(const struct store_customer *row, void *arg)
{
	struct customer_page *pg = arg;
	struct cmd_ctx *ctx = pg->page.ctx;
	struct store_customer c = *row;
	Tier__Customer **w = &pg->out->customers[pg->page.n];
	int take = cmd_page_admit(&pg->page, c.bu_id), r;

	if (take <= 0)
		return take < 0;
	r = store_customer_revenue(
	    ctx->srv->store, ctx->arena, c.id, &c.revenue, &c.nrevenue);
	if (r == 0 && (*w = cmd_customer_to_wire(ctx, &c)) == NULL)
		r = ERR_ALLOC;
	return cmd_page_added(&pg->page, r);
}

static int
cmd_customer_list(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__CustomerListRequest *a = req->customer_list;
	struct customer_page pg;
	struct store_unit bu;
	const char *grade = NULL;
	char *search = NULL;
	int r;

	memset(&pg, 0, sizeof(pg));
	memset(&bu, 0, sizeof(bu));
	cmd_page_start(
	    &pg.page, ctx, a->page_size, CUSTOMER_PAGE, CUSTOMER_PAGE_MAX);
	if (a->bu[0] != '\0' && (r = cmd_find_bu(ctx, resp, a->bu,
				     "customer_list.bu", NULL, &bu)) != 0)
		return r;
	if (a->grade[0] != '\0') {
		grade = strcmp(a->grade, "none") == 0 ? "" : a->grade;
		if (grade[0] != '\0' && cmd_grade_of_name(grade) < 0)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
			    "customer_list.grade",
			    "give potential, general, key, strategic or none",
			    "\"%.32s\" is not a grade", a->grade);
	}
	if ((r = msg_norm_name(a->search, &search)) != 0)
		return r == ERR_INVALID_ARG
			   ? cmd_error(ctx, resp,
				 TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
				 "customer_list.search", "send UTF-8 text",
				 "the search text is not UTF-8")
			   : r;
	r = ERR_ALLOC;
	if ((pg.out = arena_alloc(ctx->arena, sizeof(*pg.out))) == NULL)
		goto out;
	tier__customer_list_response__init(pg.out);
	if ((pg.out->customers = arena_alloc(ctx->arena,
		 pg.page.limit * sizeof(*pg.out->customers))) == NULL)
		goto out;
	r = store_customer_each(ctx->srv->store, bu.id, search, grade,
	    a->page_after > INT64_MAX ? INT64_MAX : (int64_t)a->page_after,
	    customer_page_add, &pg);
	if (r < 0)
		goto out;
	if ((r = pg.page.r) != 0)
		goto out;
	pg.out->n_customers = pg.page.n;
	if (pg.page.more)
		pg.out->next_page_after =
		    pg.out->customers[pg.out->n_customers - 1]->id;
	resp->customer_list = pg.out;
out:
	free(search);
	return r;
}

#define CUSTOMER_WRITERS                                                       \
	(CMD_ROLE(TIER__ROLE__ROLE_SEGMENT_MGR) |                              \
	    CMD_ROLE(TIER__ROLE__ROLE_ACCOUNT_MGR) |                           \
	    CMD_ROLE(TIER__ROLE__ROLE_RESEARCHER) |                            \
	    CMD_ROLE(TIER__ROLE__ROLE_BU_VP))

const struct cmd_entry cmd_customer_add_entry = {
	.name = "customer_add",
	.request = TIER__REQUEST__BODY_CUSTOMER_ADD,
	.response = TIER__RESPONSE__BODY_CUSTOMER_ADD,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = CUSTOMER_WRITERS,
	.handler = cmd_customer_add,
};

const struct cmd_entry cmd_customer_get_entry = {
	.name = "customer_get",
	.request = TIER__REQUEST__BODY_CUSTOMER_GET,
	.response = TIER__RESPONSE__BODY_CUSTOMER_GET,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_customer_get,
};

const struct cmd_entry cmd_customer_list_entry = {
	.name = "customer_list",
	.request = TIER__REQUEST__BODY_CUSTOMER_LIST,
	.response = TIER__RESPONSE__BODY_CUSTOMER_LIST,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_customer_list,
};

const struct cmd_entry cmd_customer_update_entry = {
	.name = "customer_update",
	.request = TIER__REQUEST__BODY_CUSTOMER_UPDATE,
	.response = TIER__RESPONSE__BODY_CUSTOMER_UPDATE,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = CUSTOMER_WRITERS,
	.handler = cmd_customer_update,
};

json_t *
cmd_customer_json(const struct store_customer *c, const char *bu)
{
	return customer_json(c, bu);
}
