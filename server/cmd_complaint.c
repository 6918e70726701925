/*
 * complaint add, resolve, list: the complaint card of customers (抱怨管理卡).
 * A complaint is opened with a category and a description, and resolved
 * once with a resolution; resolved is final, a recurrence is a new
 * complaint.
 */
#include "tierd.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define COMPLAINT_TEXT_CHARS 2000 /* description, handling, resolution */
#define COMPLAINT_PAGE       100
#define COMPLAINT_PAGE_MAX   1000

static const char complaint_list_hint[] = "tier complaint list shows the "
					  "complaints you can see";

const char *
cmd_complaint_category_name(Tier__ComplaintCategory c)
{
	switch (c) {
	case TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_QUALITY:
		return "quality";
	case TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_SERVICE:
		return "service";
	case TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_PRICE:
		return "price";
	case TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_DELIVERY:
		return "delivery";
	case TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_OTHER:
		return "other";
	default:
		return "unspecified";
	}
}

const char *
cmd_complaint_state_name(Tier__ComplaintState s)
{
	switch (s) {
	case TIER__COMPLAINT_STATE__COMPLAINT_STATE_OPEN:
		return "open";
	case TIER__COMPLAINT_STATE__COMPLAINT_STATE_RESOLVED:
		return "resolved";
	default:
		return "unspecified";
	}
}

/* 1 for the categories a complaint may have. */
static int
complaint_category_valid(Tier__ComplaintCategory c)
{
	return c >= TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_QUALITY &&
	       c <= TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_OTHER;
}

Tier__Complaint *
cmd_complaint_to_wire(struct cmd_ctx *ctx, const struct store_complaint *c)
{
	struct arena *a = ctx->arena;
	Tier__Complaint *w;

	if ((w = arena_alloc(a, sizeof(*w))) == NULL)
		return NULL;
	tier__complaint__init(w);
	w->id = (uint64_t)c->id;
	w->customer_id = (uint64_t)c->customer_id;
	w->customer = arena_strdup(a, c->customer);
	w->bu = arena_strdup(a, c->bu);
	w->opened_on = arena_strdup(a, c->opened_on);
	w->category = c->category;
	w->description = arena_strdup(a, c->description);
	w->handling = arena_strdup(a, c->handling);
	w->resolution = arena_strdup(a, c->resolution);
	w->state = c->state;
	w->opened_by = arena_strdup(a, c->opener);
	w->created_at = c->created_at;
	w->resolved_by = arena_strdup(a, c->resolver);
	w->resolved_at = c->resolved_at;
	if (w->customer == NULL || w->bu == NULL || w->opened_on == NULL ||
	    w->description == NULL || w->handling == NULL ||
	    w->resolution == NULL || w->opened_by == NULL ||
	    w->resolved_by == NULL)
		return NULL;
	return w;
}

/* The complaint as the audit log keeps it. */
static json_t *
complaint_json(const struct store_complaint *c)
{
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
	    (json_int_t)c->id, "customer_id", (json_int_t)c->customer_id,
	    "customer", c->customer, "opened_on", c->opened_on, "category",
	    cmd_complaint_category_name(c->category), "description",
	    c->description, "handling", c->handling, "resolution",
	    c->resolution, "state", cmd_complaint_state_name(c->state));
}

/* BAD_REQUEST for a text field that is missing (required) or too long. */
static int
complaint_text(struct cmd_ctx *ctx, Tier__Response *resp, const char *text,
    const char *field, const char *what, int required, const char *flag)
{
	char hint[96];

	if (required && text[0] == '\0') {
		snprintf(hint, sizeof(hint), "give %s", flag);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field, hint,
		    "the %s is missing", what);
	}
	if (!msg_chars_valid(text, COMPLAINT_TEXT_CHARS))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "use at most 2000 characters without control characters",
		    "the %s is not acceptable", what);
	return 0;
}

static int
complaint_respond(
    struct cmd_ctx *ctx, int64_t id, Tier__ComplaintResponse **body)
{
	struct store_complaint c;
	Tier__ComplaintResponse *out;
	int r;

	if ((r = store_complaint_get(ctx->srv->store, ctx->arena, id, &c)) != 0)
		return r;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__complaint_response__init(out);
	if ((out->complaint = cmd_complaint_to_wire(ctx, &c)) == NULL)
		return ERR_ALLOC;
	*body = out;
	return 0;
}

static int
cmd_complaint_add(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__Complaint *w = req->complaint_add->complaint;
	struct store *st = ctx->srv->store;
	struct store_customer cu;
	struct store_complaint c;
	char today[11];
	int64_t day;
	json_t *after;
	int r;

	if (w == NULL)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "complaint_add.complaint", NULL, "no complaint sent");
	if ((r = cmd_visit_customer(ctx, resp, w->customer_id,
		 "complaint_add.complaint.customer_id", &cu)) != 0)
		return r;
	if (!complaint_category_valid(w->category))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "complaint_add.complaint.category",
		    "one of quality, service, price, delivery, other",
		    "a complaint needs a category");
	day_format(ctx->now / DAY_SECONDS, today);
	if (w->opened_on[0] != '\0') {
		if (day_parse(w->opened_on, &day) != 0)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
			    "complaint_add.complaint.opened_on",
			    "write the date as YYYY-MM-DD, a real day from "
			    "2000-01-01 to 2999-12-31",
			    "\"%.32s\" is not a usable complaint date",
			    w->opened_on);
		if (day > ctx->now / DAY_SECONDS)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
			    "complaint_add.complaint.opened_on",
			    "give the day the complaint was received",
			    "the complaint date %s is after today (%s)",
			    w->opened_on, today);
	}
	if ((r = complaint_text(ctx, resp, w->description,
		 "complaint_add.complaint.description", "description", 1,
		 "--description")) != 0 ||
	    (r = complaint_text(ctx, resp, w->handling,
		 "complaint_add.complaint.handling", "handling", 0,
		 "--handling")) != 0)
		return r;
	memset(&c, 0, sizeof(c));
	c.customer_id = cu.id;
	c.opened_on = w->opened_on[0] != '\0' ? w->opened_on : today;
	c.category = w->category;
	c.description = w->description;
	c.handling = w->handling;
	c.opened_by = ctx->user->id;
	c.created_at = ctx->now;
	if ((r = store_complaint_insert(st, &c)) != 0 ||
	    (r = store_complaint_get(st, ctx->arena, c.id, &c)) != 0)
		return r;
	if ((after = complaint_json(&c)) == NULL)
		return ERR_ALLOC;
	r = audit_record_json(
	    ctx, "complaint.add", "complaint", c.id, NULL, after, "");
	json_decref(after);
	if (r != 0)
		return r;
	cmd_log(ctx, "complaint %lld about customer %lld opened by %s",
	    (long long)c.id, (long long)cu.id, ctx->user->name);
	return complaint_respond(ctx, c.id, &resp->complaint_add);
}

static int
cmd_complaint_resolve(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__ComplaintResolveRequest *a = req->complaint_resolve;
	struct store *st = ctx->srv->store;
	struct store_complaint before, after;
	char when[32];
	json_t *jb = NULL, *ja = NULL;
	int r = ERR_NOT_FOUND;

	if (a->complaint_id != 0 && a->complaint_id <= INT64_MAX)
		r = store_complaint_get(
		    st, ctx->arena, (int64_t)a->complaint_id, &before);
	if (r == 0 && !scope_sees_bu(ctx->scope, before.bu_id))
		r = ERR_NOT_FOUND;
	if (r == ERR_NOT_FOUND)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND,
		    "complaint_resolve.complaint_id", complaint_list_hint,
		    "no complaint %llu", (unsigned long long)a->complaint_id);
	if (r != 0)
		return r;
	if (before.state != TIER__COMPLAINT_STATE__COMPLAINT_STATE_OPEN) {
		day_format(before.resolved_at / DAY_SECONDS, when);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_CONFLICT,
		    "complaint_resolve.complaint_id",
		    "a resolved complaint is final; record a recurrence with "
		    "tier complaint add",
		    "complaint %lld was already resolved by %s on %s",
		    (long long)before.id, before.resolver, when);
	}
	if ((r = complaint_text(ctx, resp, a->resolution,
		 "complaint_resolve.resolution", "resolution", 1,
		 "--resolution")) != 0 ||
	    (r = complaint_text(ctx, resp, a->handling,
		 "complaint_resolve.handling", "handling", 0, "--handling")) !=
		0)
		return r;
	r = store_complaint_resolve(st, before.id, a->resolution,
	    a->handling[0] != '\0' ? a->handling : before.handling,
	    ctx->user->id, ctx->now);
	if (r != 0 ||
	    (r = store_complaint_get(st, ctx->arena, before.id, &after)) != 0)
		return r;
	if ((jb = complaint_json(&before)) == NULL ||
	    (ja = complaint_json(&after)) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	if ((r = audit_record_json(ctx, "complaint.resolve", "complaint",
		 before.id, jb, ja, "")) != 0)
		goto out;
	r = complaint_respond(ctx, before.id, &resp->complaint_resolve);
out:
	json_decref(jb);
	json_decref(ja);
	return r;
}

/* The state of a complaint list walk. */
struct complaint_page {
	struct cmd_page page;
	Tier__Complaint **rows; /* in ctx's arena */
};

static int
complaint_page_add(const struct store_complaint *c, void *arg)
{
	struct complaint_page *pg = arg;
	int take = cmd_page_admit(&pg->page, c->bu_id);

	if (take <= 0)
		return take < 0;
	pg->rows[pg->page.n] = cmd_complaint_to_wire(pg->page.ctx, c);
	return cmd_page_added(
	    &pg->page, pg->rows[pg->page.n] != NULL ? 0 : ERR_ALLOC);
}

static int
cmd_complaint_list(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__ComplaintListRequest *a = req->complaint_list;
	struct store_complaint_filter f;
	struct store_customer cu;
	struct store_unit bu;
	Tier__ComplaintListResponse *out;
	struct complaint_page pg;
	int r;

	memset(&f, 0, sizeof(f));
	if (a->customer_id != 0) {
		if ((r = cmd_visit_customer(ctx, resp, a->customer_id,
			 "complaint_list.customer_id", &cu)) != 0)
			return r;
		f.customer_id = cu.id;
	}
	if (a->bu[0] != '\0') {
		if ((r = cmd_find_bu(ctx, resp, a->bu, "complaint_list.bu",
			 NULL, &bu)) != 0)
			return r;
		f.bu_id = bu.id;
	}
	if (a->category !=
		TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_UNSPECIFIED &&
	    !complaint_category_valid(a->category))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "complaint_list.category",
		    "one of quality, service, price, delivery, other",
		    "category %d is not a complaint category", a->category);
	f.category = a->category;
	f.open_only = a->open_only;
	memset(&pg, 0, sizeof(pg));
	cmd_page_start(
	    &pg.page, ctx, a->limit, COMPLAINT_PAGE, COMPLAINT_PAGE_MAX);
	if ((pg.rows = arena_alloc(
		 ctx->arena, pg.page.limit * sizeof(*pg.rows))) == NULL)
		return ERR_ALLOC;
	r = store_complaint_each(ctx->srv->store, &f, complaint_page_add, &pg);
	if (r < 0)
		return r;
	if (pg.page.r != 0)
		return pg.page.r;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__complaint_list_response__init(out);
	out->complaints = pg.rows;
	out->n_complaints = pg.page.n;
	out->truncated = pg.page.more;
	resp->complaint_list = out;
	return 0;
}

#define COMPLAINT_WRITERS                                                      \
	(CMD_ROLE(TIER__ROLE__ROLE_ACCOUNT_MGR) |                              \
	    CMD_ROLE(TIER__ROLE__ROLE_SEGMENT_MGR) |                           \
	    CMD_ROLE(TIER__ROLE__ROLE_BU_VP))

const struct cmd_entry cmd_complaint_add_entry = {
	.name = "complaint_add",
	.request = TIER__REQUEST__BODY_COMPLAINT_ADD,
	.response = TIER__RESPONSE__BODY_COMPLAINT_ADD,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = COMPLAINT_WRITERS,
	.handler = cmd_complaint_add,
};

const struct cmd_entry cmd_complaint_resolve_entry = {
	.name = "complaint_resolve",
	.request = TIER__REQUEST__BODY_COMPLAINT_RESOLVE,
	.response = TIER__RESPONSE__BODY_COMPLAINT_RESOLVE,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = COMPLAINT_WRITERS,
	.handler = cmd_complaint_resolve,
};

const struct cmd_entry cmd_complaint_list_entry = {
	.name = "complaint_list",
	.request = TIER__REQUEST__BODY_COMPLAINT_LIST,
	.response = TIER__RESPONSE__BODY_COMPLAINT_LIST,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_complaint_list,
};
