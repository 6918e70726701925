/*
 * inquiry add, get, list, decide and summary: the inbound inquiries of a BU
 * and the marketing head's decision on each (promote to a candidate of the
 * BU's open cycle, serve as a general customer, decline with a reason). A
 * promotion goes through the one propose path of cmd_candidate.c.
 */
#include "tierd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INQUIRY_NAME_CHARS 200  /* caller, company: as a customer name */
#define INQUIRY_TEXT_CHARS 1000 /* request, handling, note */
#define INQUIRY_PAGE       100
#define INQUIRY_PAGE_MAX   1000

#define BAD_REQUEST TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST
#define NOT_FOUND   TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND
#define OUTCOME(x)  TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_##x

static const char *const inquiry_channels[] = { "unspecified", "phone", "mail",
	"web", "visit", "fair", "other" };
static const char *const inquiry_outcomes[] = { "unspecified", "open",
	"promoted", "served", "declined" };

#define INQUIRY_NCHANNELS (sizeof(inquiry_channels) / sizeof(char *))
#define INQUIRY_NOUTCOMES (sizeof(inquiry_outcomes) / sizeof(char *))

static const char *
inquiry_channel_name(Tier__InquiryChannel c)
{
	return (unsigned)c < INQUIRY_NCHANNELS ? inquiry_channels[c]
					       : "unknown";
}

static const char *
inquiry_outcome_name(Tier__InquiryOutcome o)
{
	return (unsigned)o < INQUIRY_NOUTCOMES ? inquiry_outcomes[o]
					       : "unknown";
}

/* What to do about an inquiry request without its BU. */
#define INQUIRY_BU_HINT "name the BU the inquiry came to"
/* 1 if s has something besides white space. */
static int
inquiry_has_text(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s != ' ' && *s != '\t')
			return 1;
	}
	return 0;
}

/* The record as the audit log keeps it. */
static json_t *
inquiry_json(const struct store_inquiry *q)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
			 "s:s, s:I, s:I, s:I, s:s, s:s}",
	    "id", (json_int_t)q->id, "bu", q->bu, "segment", q->segment,
	    "channel", inquiry_channel_name(q->channel), "received_on",
	    q->received_on, "caller", q->caller, "company", q->company,
	    "request", q->request, "handling", q->handling, "outcome",
	    inquiry_outcome_name(q->outcome), "note", q->note, "customer_id",
	    (json_int_t)q->customer_id, "candidate_id",
	    (json_int_t)q->candidate_id, "cycle_id", (json_int_t)q->cycle_id,
	    "logged_by", q->logger, "decided_by", q->decider);
}

Tier__Inquiry *
cmd_inquiry_to_wire(struct cmd_ctx *ctx, const struct store_inquiry *q)
{
	struct arena *a = ctx->arena;
	Tier__Inquiry *w;

	if ((w = arena_alloc(a, sizeof(*w))) == NULL)
		return NULL;
	tier__inquiry__init(w);
	w->id = (uint64_t)q->id;
	w->channel = q->channel;
	w->outcome = q->outcome;
	w->customer_id = (uint64_t)q->customer_id;
	w->candidate_id = (uint64_t)q->candidate_id;
	w->cycle_id = (uint64_t)q->cycle_id;
	w->created_at = q->created_at;
	w->decided_at = q->decided_at;
	w->bu = arena_strdup(a, q->bu);
	w->segment = arena_strdup(a, q->segment);
	w->received_on = arena_strdup(a, q->received_on);
	w->caller = arena_strdup(a, q->caller);
	w->company = arena_strdup(a, q->company);
	w->request = arena_strdup(a, q->request);
	w->handling = arena_strdup(a, q->handling);
	w->note = arena_strdup(a, q->note);
	w->logged_by = arena_strdup(a, q->logger);
	w->decided_by = arena_strdup(a, q->decider);
	if (w->bu == NULL || w->segment == NULL || w->received_on == NULL ||
	    w->caller == NULL || w->company == NULL || w->request == NULL ||
	    w->handling == NULL || w->note == NULL || w->logged_by == NULL ||
	    w->decided_by == NULL)
		return NULL;
	return w;
}

/* Finds a segment of BU bu_id in the user's scope; NOT_FOUND or
 * BAD_REQUEST otherwise. */
static int
inquiry_find_segment(struct cmd_ctx *ctx, Tier__Response *resp,
    const char *name, int64_t bu_id, const char *field, struct store_unit *out)
{
	int r = store_unit_by_name(
	    ctx->srv->store, TIER__UNIT_KIND__UNIT_KIND_SEGMENT, name, out);

	if (r == 0 && !scope_sees_segment(ctx->scope, out->id))
		r = ERR_NOT_FOUND;
	if (r == ERR_NOT_FOUND)
		return cmd_error(ctx, resp, NOT_FOUND, field,
		    "tier org list shows the segments you can see",
		    "no segment \"%.64s\"", name);
	if (r != 0)
		return r;
	if (out->parent_id != bu_id)
		return cmd_error(ctx, resp, BAD_REQUEST, field,
		    "name a segment of the inquiry's BU",
		    "segment %s is not in the inquiry's BU", out->name);
	return 0;
}

/* Loads inquiry id as the user may see it; NOT_FOUND otherwise. */
static int
inquiry_load(struct cmd_ctx *ctx, Tier__Response *resp, uint64_t id,
    const char *field, struct store_inquiry *out)
{
	int r = ERR_NOT_FOUND;

	if (id <= INT64_MAX)
		r = store_inquiry_get(
		    ctx->srv->store, ctx->arena, (int64_t)id, out);
	if (r == 0 && !scope_sees_bu(ctx->scope, out->bu_id))
		r = ERR_NOT_FOUND;
	if (r == ERR_NOT_FOUND)
		return cmd_error(ctx, resp, NOT_FOUND, field,
		    "tier inquiry list shows the inquiries you can see",
		    "no inquiry %llu", (unsigned long long)id);
	return r;
}

/* Checks one text of a request: required or not, at most max characters. */
static int
inquiry_text(struct cmd_ctx *ctx, Tier__Response *resp, const char *field,
    const char *what, const char *text, int required, size_t max)
{
	char hint[96];

	if (required && !inquiry_has_text(text))
		return cmd_error(ctx, resp, BAD_REQUEST, field, NULL,
		    "an inquiry needs its %s", what);
	if (!msg_chars_valid(text, max)) {
		snprintf(hint, sizeof(hint),
		    "use at most %zu characters without control characters",
		    max);
		return cmd_error(ctx, resp, BAD_REQUEST, field, hint,
		    "the %s is not acceptable", what);
	}
	return 0;
}

static int
inquiry_respond(struct cmd_ctx *ctx, const struct store_inquiry *q,
    Tier__InquiryResponse **body)
{
	Tier__InquiryResponse *out;

	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__inquiry_response__init(out);
	if ((out->inquiry = cmd_inquiry_to_wire(ctx, q)) == NULL)
		return ERR_ALLOC;
	*body = out;
	return 0;
}

static int
cmd_inquiry_add(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__Inquiry *w = req->inquiry_add->inquiry;
	struct store_unit bu, seg;
	struct store_inquiry q;
	char today[11];
	int64_t received;
	json_t *after;
	int r;

	if (w == NULL)
		return cmd_error(ctx, resp, BAD_REQUEST, "inquiry_add.inquiry",
		    NULL, "no inquiry sent");
	if ((r = cmd_find_bu(ctx, resp, w->bu, "inquiry_add.inquiry.bu",
		 INQUIRY_BU_HINT, &bu)) != 0)
		return r;
	memset(&q, 0, sizeof(q));
	q.bu_id = bu.id;
	if (w->segment[0] != '\0') {
		if ((r = inquiry_find_segment(ctx, resp, w->segment, bu.id,
			 "inquiry_add.inquiry.segment", &seg)) != 0)
			return r;
		q.segment_id = seg.id;
	}
	if (w->channel <= TIER__INQUIRY_CHANNEL__INQUIRY_CHANNEL_UNSPECIFIED ||
	    (unsigned)w->channel >= INQUIRY_NCHANNELS)
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "inquiry_add.inquiry.channel",
		    "phone, mail, web, visit, fair or other",
		    "an inquiry needs the channel it came by");
	day_format(ctx->now / DAY_SECONDS, today);
	if (w->received_on[0] == '\0')
		memcpy(q.received_on, today, sizeof(today));
	else if (day_parse(w->received_on, &received) != 0)
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "inquiry_add.inquiry.received_on",
		    "write the day as YYYY-MM-DD, 2000 to 2999",
		    "\"%.32s\" is not a day", w->received_on);
	else if (received > ctx->now / DAY_SECONDS)
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "inquiry_add.inquiry.received_on",
		    "give the day it came in, today or earlier",
		    "%s is after today (%s)", w->received_on, today);
	else
		memcpy(q.received_on, w->received_on, sizeof(q.received_on));
	if ((r = inquiry_text(ctx, resp, "inquiry_add.inquiry.caller", "caller",
		 w->caller, 1, INQUIRY_NAME_CHARS)) != 0 ||
	    (r = inquiry_text(ctx, resp, "inquiry_add.inquiry.company",
		 "company", w->company, 1, INQUIRY_NAME_CHARS)) != 0 ||
	    (r = inquiry_text(ctx, resp, "inquiry_add.inquiry.request",
		 "request", w->request, 1, INQUIRY_TEXT_CHARS)) != 0 ||
	    (r = inquiry_text(ctx, resp, "inquiry_add.inquiry.handling",
		 "first handling", w->handling, 0, INQUIRY_TEXT_CHARS)) != 0)
		return r;
	q.channel = w->channel;
	q.caller = w->caller;
	q.company = w->company;
	q.request = w->request;
	q.handling = w->handling;
	q.logged_by = ctx->user->id;
	q.created_at = ctx->now;
	if ((r = store_inquiry_insert(ctx->srv->store, &q)) != 0 ||
	    (r = store_inquiry_get(ctx->srv->store, ctx->arena, q.id, &q)) != 0)
		return r;
	if ((after = inquiry_json(&q)) == NULL)
		return ERR_ALLOC;
	r = audit_record_json(
	    ctx, "inquiry.add", "inquiry", q.id, NULL, after, "");
	json_decref(after);
	if (r != 0)
		return r;
	cmd_log(ctx, "inquiry %lld logged for %s by %s", (long long)q.id,
	    bu.name, ctx->user->name);
	return inquiry_respond(ctx, &q, &resp->inquiry_add);
}

static int
cmd_inquiry_get(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	struct store_inquiry q;
	int r;

	if ((r = inquiry_load(ctx, resp, req->inquiry_get->inquiry_id,
		 "inquiry_get.inquiry_id", &q)) != 0)
		return r;
	return inquiry_respond(ctx, &q, &resp->inquiry_get);
}

/* The state of an inquiry list walk. */
struct inquiry_page {
	struct cmd_page page;
	Tier__InquiryListResponse *out;
};

static int
inquiry_page_add(const struct store_inquiry *row, void *arg)
{
	struct inquiry_page *pg = arg;
	Tier__Inquiry **w = &pg->out->inquiries[pg->page.n];
	int take = cmd_page_admit(&pg->page, row->bu_id);

	if (take <= 0)
		return take < 0;
	*w = cmd_inquiry_to_wire(pg->page.ctx, row);
	return cmd_page_added(&pg->page, *w != NULL ? 0 : ERR_ALLOC);
}

static int
cmd_inquiry_list(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__InquiryListRequest *a = req->inquiry_list;
	struct store_inquiry_filter f;
	struct inquiry_page pg;
	struct store_unit bu;
	int r;

	memset(&pg, 0, sizeof(pg));
	memset(&f, 0, sizeof(f));
	cmd_page_start(
	    &pg.page, ctx, a->page_size, INQUIRY_PAGE, INQUIRY_PAGE_MAX);
	if (a->bu[0] != '\0') {
		if ((r = cmd_find_bu(ctx, resp, a->bu, "inquiry_list.bu",
			 INQUIRY_BU_HINT, &bu)) != 0)
			return r;
		f.bu_id = bu.id;
	}
	if (a->month[0] != '\0' && !day_month_valid(a->month))
		return cmd_error(ctx, resp, BAD_REQUEST, "inquiry_list.month",
		    "write the month as YYYY-MM", "\"%.32s\" is not a month",
		    a->month);
	f.month = a->month;
	f.open_only = a->open;
	f.before =
	    a->page_before > INT64_MAX ? INT64_MAX : (int64_t)a->page_before;
	if ((pg.out = arena_alloc(ctx->arena, sizeof(*pg.out))) == NULL)
		return ERR_ALLOC;
	tier__inquiry_list_response__init(pg.out);
	if ((pg.out->inquiries = arena_alloc(ctx->arena,
		 pg.page.limit * sizeof(*pg.out->inquiries))) == NULL)
		return ERR_ALLOC;
	r = store_inquiry_each(ctx->srv->store, &f, inquiry_page_add, &pg);
	if (r < 0)
		return r;
	if (pg.page.r != 0)
		return pg.page.r;
	pg.out->n_inquiries = pg.page.n;
	if (pg.page.more)
		pg.out->next_page_before =
		    pg.out->inquiries[pg.out->n_inquiries - 1]->id;
	resp->inquiry_list = pg.out;
	return 0;
}

/* Decisions
 * -------------------------------------------------------------------*/

/*
 * The customer a promoted or served inquiry becomes: the one named by
 * customer_id (of the inquiry's BU), else the BU's customer whose name
 * normalises like the inquiry's company, else a new customer by that name,
 * created here with its own audit entry.
 */
static int
inquiry_customer(struct cmd_ctx *ctx, Tier__Response *resp,
    const struct store_inquiry *q, uint64_t customer_id,
    struct store_customer *out)
{
	struct store *st = ctx->srv->store;
	char *norm = NULL, reason[64];
	json_t *after;
	int r;

	if (customer_id != 0) {
		r = customer_id > INT64_MAX ? ERR_NOT_FOUND
					    : store_customer_get(st, ctx->arena,
						  (int64_t)customer_id, out);
		if (r == 0 && !scope_sees_bu(ctx->scope, out->bu_id))
			r = ERR_NOT_FOUND;
		if (r == ERR_NOT_FOUND)
			return cmd_error(ctx, resp, NOT_FOUND,
			    "inquiry_decide.customer_id",
			    "tier customer list shows the customers you can "
			    "see",
			    "no customer %llu",
			    (unsigned long long)customer_id);
		if (r != 0)
			return r;
		if (out->bu_id != q->bu_id)
			return cmd_error(ctx, resp, BAD_REQUEST,
			    "inquiry_decide.customer_id",
			    "name a customer of the inquiry's BU, or none to "
			    "use the company's name",
			    "customer %lld (%s) is not a customer of BU %s",
			    (long long)out->id, out->name, q->bu);
		return 0;
	}
	if ((r = msg_norm_name(q->company, &norm)) != 0)
		return r == ERR_INVALID_ARG ? ERR_INTERNAL : r;
	r = store_customer_by_norm(st, ctx->arena, q->bu_id, norm, out);
	if (r != ERR_NOT_FOUND) {
		free(norm);
		return r;
	}
	memset(out, 0, sizeof(*out));
	out->bu_id = q->bu_id;
	out->name = q->company;
	out->norm_name = arena_strdup(ctx->arena, norm);
	free(norm);
	if (out->norm_name == NULL)
		return ERR_ALLOC;
	if (out->norm_name[0] == '\0')
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "inquiry_decide.customer_id",
		    "name an existing customer with --customer ID",
		    "the company \"%s\" has no usable name for a customer",
		    q->company);
	out->industry = out->region = out->size = out->contacts = "";
	out->payment_terms = out->profile = out->key_people = "";
	out->transaction_status = out->grade = "";
	out->updated_by = ctx->user->id;
	out->updated_at = ctx->now;
	out->created_at = ctx->now;
	if ((r = store_customer_insert(st, out)) != 0)
		return r;
	out->version = 1;
	if ((after = cmd_customer_json(out, q->bu)) == NULL)
		return ERR_ALLOC;
	snprintf(reason, sizeof(reason), "from inquiry %lld", (long long)q->id);
	r = audit_record_json(
	    ctx, "customer.add", "customer", out->id, NULL, after, reason);
	json_decref(after);
	if (r == 0)
		cmd_log(ctx, "customer %lld added to %s from inquiry %lld",
		    (long long)out->id, q->bu, (long long)q->id);
	return r;
}

/*
 * Serving makes the customer a general customer: a customer without a grade
 * (or only a potential one) gets grade "general", with a "customer.grade"
 * entry of the same form as customer_grade writes (id, grade, owner_id,
 * version); a graded one keeps its grade.
 */
static int
inquiry_serve_grade(struct cmd_ctx *ctx, const struct store_inquiry *q,
    const struct store_customer *c)
{
	char reason[64];

	if (c->grade[0] != '\0' && strcmp(c->grade, "potential") != 0)
		return 0;
	snprintf(
	    reason, sizeof(reason), "inquiry %lld served", (long long)q->id);
	return cmd_grade_set(ctx, c, "general", c->owner_id, reason);
}

/* Promotes q: a candidate of the BU's open cycle, in the segment asked for
 * (or the inquiry's), proposed through the common propose path. */
static int
inquiry_promote(struct cmd_ctx *ctx, Tier__Response *resp,
    const Tier__InquiryDecideRequest *a, struct store_inquiry *q,
    Tier__CandidateResponse **cand)
{
	struct store *st = ctx->srv->store;
	struct cmd_candidate_actor ac;
	const char *segment = a->segment[0] != '\0' ? a->segment : q->segment;
	struct store_customer cu;
	struct store_cycle cy;
	struct store_unit seg;
	char hint[160];
	int64_t cycle_id;
	int r;

	memset(&ac, 0, sizeof(ac));
	if (segment[0] == '\0')
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "inquiry_decide.segment",
		    "name the candidate's segment with --segment NAME",
		    "inquiry %lld has no segment to promote it in",
		    (long long)q->id);
	if ((r = inquiry_find_segment(ctx, resp, segment, q->bu_id,
		 "inquiry_decide.segment", &seg)) != 0)
		return r;
	r = store_inquiry_open_cycle(st, q->bu_id, &cycle_id);
	if (r == ERR_NOT_FOUND) {
		snprintf(hint, sizeof(hint),
		    "the BU VP opens one (tier cycle open ID); meanwhile "
		    "serve or decline it, or wait: tier inquiry list --open");
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "inquiry_decide.outcome", hint,
		    "BU %s has no open cycle to promote inquiry %lld into",
		    q->bu, (long long)q->id);
	}
	if (r != 0 || (r = store_cycle_get(st, cycle_id, &cy)) != 0)
		return r;
	if ((r = inquiry_customer(ctx, resp, q, a->customer_id, &cu)) != 0)
		return r;
	if ((r = cmd_candidate_actor_load(ctx, &ac)) != 0)
		goto out;
	if ((r = cmd_candidate_propose_in(
		 &ac, resp, "inquiry_decide", &cy, &seg, &cu, cand)) != 0)
		goto out;
	(*cand)->candidate->inquiry_id = (uint64_t)q->id;
	q->customer_id = cu.id;
	q->candidate_id = (int64_t)(*cand)->candidate->id;
	q->cycle_id = cy.id;
out:
	cmd_candidate_actor_release(&ac);
	return r;
}

static int
cmd_inquiry_decide(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__InquiryDecideRequest *a = req->inquiry_decide;
	Tier__CandidateResponse *cand = NULL;
	struct store_inquiry before, q;
	struct store_customer cu;
	struct store_unit bu;
	json_t *jb = NULL, *ja = NULL;
	char action[32], when[32];
	time_t t;
	struct tm tm;
	int r;

	if ((r = inquiry_load(ctx, resp, a->inquiry_id,
		 "inquiry_decide.inquiry_id", &before)) != 0)
		return r;
	if (!scope_covers_bu(ctx->scope, before.bu_id)) {
		if ((r = store_unit_get(ctx->srv->store, before.bu_id, &bu)) !=
		    0)
			return r;
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED,
		    "inquiry_decide.inquiry_id",
		    "the marketing head of the BU decides",
		    "deciding inquiries of BU \"%s\" needs all of it in your "
		    "scope",
		    bu.name);
	}
	if (a->outcome != OUTCOME(PROMOTED) && a->outcome != OUTCOME(SERVED) &&
	    a->outcome != OUTCOME(DECLINED))
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "inquiry_decide.outcome", "promoted, served or declined",
		    "an inquiry decision needs its outcome");
	if (before.outcome != OUTCOME(OPEN)) {
		t = (time_t)before.decided_at;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_CONFLICT,
		    "inquiry_decide.inquiry_id",
		    "each inquiry is decided once; tier inquiry show shows "
		    "the decision",
		    "inquiry %lld was already %s by %s at %s",
		    (long long)before.id, inquiry_outcome_name(before.outcome),
		    before.decider, when);
	}
	if ((r = inquiry_text(ctx, resp, "inquiry_decide.note",
		 a->outcome == OUTCOME(DECLINED) ? "reason for declining"
						 : "note",
		 a->note, a->outcome == OUTCOME(DECLINED),
		 INQUIRY_TEXT_CHARS)) != 0)
		return r;
	q = before;
	q.outcome = a->outcome;
	q.note = a->note;
	q.decided_by = ctx->user->id;
	q.decided_at = ctx->now;
	if (a->outcome == OUTCOME(PROMOTED)) {
		if ((r = inquiry_promote(ctx, resp, a, &q, &cand)) != 0)
			return r;
	} else if (a->outcome == OUTCOME(SERVED)) {
		if ((r = inquiry_customer(
			 ctx, resp, &q, a->customer_id, &cu)) != 0 ||
		    (r = inquiry_serve_grade(ctx, &q, &cu)) != 0)
			return r;
		q.customer_id = cu.id;
	} else if (a->customer_id != 0) {
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "inquiry_decide.customer_id", "leave it out",
		    "a declined inquiry names no customer");
	}
	if ((r = store_inquiry_decide(ctx->srv->store, &q)) != 0)
		return r;
	if ((r = store_inquiry_get(ctx->srv->store, ctx->arena, q.id, &q)) != 0)
		return r;
	snprintf(action, sizeof(action), "inquiry.%s",
	    a->outcome == OUTCOME(PROMOTED) ? "promote"
	    : a->outcome == OUTCOME(SERVED) ? "serve"
					    : "decline");
	if ((jb = inquiry_json(&before)) == NULL ||
	    (ja = inquiry_json(&q)) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	if ((r = audit_record_json(
		 ctx, action, "inquiry", q.id, jb, ja, q.note)) != 0)
		goto out;
	cmd_log(ctx, "inquiry %lld %s by %s", (long long)q.id,
	    inquiry_outcome_name(q.outcome), ctx->user->name);
	if ((r = inquiry_respond(ctx, &q, &resp->inquiry_decide)) == 0 &&
	    cand != NULL)
		resp->inquiry_decide->candidate = cand->candidate;
out:
	json_decref(jb);
	json_decref(ja);
	return r;
}

/* Summary
 * ---------------------------------------------------------------------*/

/* Counts as store_inquiry_counts hands them out. */
struct inquiry_counts {
	struct store_unit *segs; /* the BU's segments */
	size_t nsegs;
	uint32_t *seg; /* per segment of segs */
	uint32_t none; /* without a segment */
	uint32_t channel[INQUIRY_NCHANNELS];
	uint32_t outcome[INQUIRY_NOUTCOMES];
	uint32_t total;
};

static int
inquiry_count_cb(int by, int64_t key, uint32_t count, void *arg)
{
	struct inquiry_counts *c = arg;
	size_t i;

	if (by == 0) {
		if (key == 0)
			c->none += count;
		for (i = 0; key != 0 && i < c->nsegs; i++) {
			if (c->segs[i].id == key)
				c->seg[i] += count;
		}
	} else if (by == 1 && key > 0 && (size_t)key < INQUIRY_NCHANNELS) {
		c->channel[key] += count;
	} else if (by == 2 && key > 0 && (size_t)key < INQUIRY_NOUTCOMES) {
		c->outcome[key] += count;
		c->total += count;
	}
	return 0;
}

/* Appends one row to out. */
static int
inquiry_summary_row(struct arena *a, Tier__InquirySummaryResponse *out,
    const char *by, const char *key, uint32_t count)
{
	Tier__InquirySummaryRow *row;

	if ((row = arena_alloc(a, sizeof(*row))) == NULL)
		return ERR_ALLOC;
	tier__inquiry_summary_row__init(row);
	row->by = (char *)by;
	if ((row->key = arena_strdup(a, key)) == NULL)
		return ERR_ALLOC;
	row->count = count;
	out->rows[out->n_rows++] = row;
	return 0;
}

static int
cmd_inquiry_summary(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__InquirySummaryRequest *a = req->inquiry_summary;
	struct store_unit *units = NULL, bu;
	struct inquiry_counts c;
	Tier__InquirySummaryResponse *out;
	size_t i, n = 0;
	int r;

	memset(&c, 0, sizeof(c));
	if ((r = cmd_find_bu(ctx, resp, a->bu, "inquiry_summary.bu",
		 INQUIRY_BU_HINT, &bu)) != 0)
		return r;
	if (!day_month_valid(a->month))
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "inquiry_summary.month", "write the month as YYYY-MM",
		    "\"%.32s\" is not a month", a->month);
	if ((r = store_unit_all(ctx->srv->store, &units, &n)) != 0)
		return r;
	/* The BU's segments, in store_unit_all's order (by name). */
	r = ERR_ALLOC;
	if ((c.segs = arena_alloc(ctx->arena, (n ? n : 1) * sizeof(*c.segs))) ==
		NULL ||
	    (c.seg = arena_alloc(ctx->arena, (n ? n : 1) * sizeof(*c.seg))) ==
		NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (units[i].kind == TIER__UNIT_KIND__UNIT_KIND_SEGMENT &&
		    units[i].parent_id == bu.id)
			c.segs[c.nsegs++] = units[i];
	}
	if ((r = store_inquiry_counts(
		 ctx->srv->store, bu.id, a->month, inquiry_count_cb, &c)) != 0)
		goto out;
	r = ERR_ALLOC;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		goto out;
	tier__inquiry_summary_response__init(out);
	out->rows = arena_alloc(
	    ctx->arena, (c.nsegs + 1 + INQUIRY_NCHANNELS + INQUIRY_NOUTCOMES) *
			    sizeof(*out->rows));
	out->bu = arena_strdup(ctx->arena, bu.name);
	out->month = arena_strdup(ctx->arena, a->month);
	if (out->rows == NULL || out->bu == NULL || out->month == NULL)
		goto out;
	out->total = c.total;
	for (i = 0; i < c.nsegs; i++) {
		if ((r = inquiry_summary_row(ctx->arena, out, "segment",
			 c.segs[i].name, c.seg[i])) != 0)
			goto out;
	}
	if (c.none > 0 && (r = inquiry_summary_row(
			       ctx->arena, out, "segment", "", c.none)) != 0)
		goto out;
	for (i = 1; i < INQUIRY_NCHANNELS; i++) {
		if ((r = inquiry_summary_row(ctx->arena, out, "channel",
			 inquiry_channels[i], c.channel[i])) != 0)
			goto out;
	}
	for (i = 1; i < INQUIRY_NOUTCOMES; i++) {
		if ((r = inquiry_summary_row(ctx->arena, out, "outcome",
			 inquiry_outcomes[i], c.outcome[i])) != 0)
			goto out;
	}
	resp->inquiry_summary = out;
	r = 0;
out:
	free(units);
	return r;
}

/* Those who take inquiries in: the BU's people facing customers. */
#define INQUIRY_LOGGERS                                                        \
	(CMD_ROLE(TIER__ROLE__ROLE_ACCOUNT_MGR) |                              \
	    CMD_ROLE(TIER__ROLE__ROLE_SEGMENT_MGR) |                           \
	    CMD_ROLE(TIER__ROLE__ROLE_MARKETING_HEAD) |                        \
	    CMD_ROLE(TIER__ROLE__ROLE_BU_VP))

const struct cmd_entry cmd_inquiry_add_entry = {
	.name = "inquiry_add",
	.request = TIER__REQUEST__BODY_INQUIRY_ADD,
	.response = TIER__RESPONSE__BODY_INQUIRY_ADD,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = INQUIRY_LOGGERS,
	.handler = cmd_inquiry_add,
};

const struct cmd_entry cmd_inquiry_get_entry = {
	.name = "inquiry_get",
	.request = TIER__REQUEST__BODY_INQUIRY_GET,
	.response = TIER__RESPONSE__BODY_INQUIRY_GET,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_inquiry_get,
};

const struct cmd_entry cmd_inquiry_list_entry = {
	.name = "inquiry_list",
	.request = TIER__REQUEST__BODY_INQUIRY_LIST,
	.response = TIER__RESPONSE__BODY_INQUIRY_LIST,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_inquiry_list,
};

const struct cmd_entry cmd_inquiry_decide_entry = {
	.name = "inquiry_decide",
	.request = TIER__REQUEST__BODY_INQUIRY_DECIDE,
	.response = TIER__RESPONSE__BODY_INQUIRY_DECIDE,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = CMD_ROLE(TIER__ROLE__ROLE_MARKETING_HEAD),
	.handler = cmd_inquiry_decide,
};

const struct cmd_entry cmd_inquiry_summary_entry = {
	.name = "inquiry_summary",
	.request = TIER__REQUEST__BODY_INQUIRY_SUMMARY,
	.response = TIER__RESPONSE__BODY_INQUIRY_SUMMARY,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_inquiry_summary,
};
