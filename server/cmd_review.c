/*
 * review: the annual review of a closed cycle, what its targets delivered per
 * tier and segment (visits, complaints, revenue against plan) and how many
 * came from inquiries. Read only; the BU VP records having reviewed it with
 * the cycle transition REVIEW (cmd_cycle.c).
 */
#include "tierd.h"

#include <string.h>

/* revenue * 100 / plan to tenths; 0 without a plan. */
static double
review_percent(int64_t revenue, int64_t plan)
{
	double tenths;

	if (plan <= 0)
		return 0;
	/* Rounded half away from zero without libm. */
	tenths = (double)revenue * 1000.0 / (double)plan;
	tenths = tenths < 0 ? (double)(int64_t)(tenths - 0.5)
			    : (double)(int64_t)(tenths + 0.5);
	return tenths / 10.0;
}

static Tier__ReviewRow *
review_row(struct arena *a, const struct store_review_row *r)
{
	Tier__ReviewRow *w;

	if ((w = arena_alloc(a, sizeof(*w))) == NULL)
		return NULL;
	tier__review_row__init(w);
	w->tier = r->tier;
	w->segment = (char *)r->segment;
	w->targets = r->targets;
	w->visits = r->visits;
	w->complaints = r->complaints;
	w->revenue = r->revenue;
	w->plan = r->plan;
	w->revenue_percent = review_percent(r->revenue, r->plan);
	w->from_inquiries = r->from_inquiries;
	return w;
}

static int
cmd_review(struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__ReviewRequest *a = req->review;
	struct store_review_row *rows = NULL, total;
	Tier__ReviewResponse *out;
	struct store_cycle cy;
	struct store_unit bu;
	uint32_t promoted = 0;
	char hint[96];
	size_t i, n = 0;
	int r;

	if ((r = cmd_cycle_load(
		 ctx, resp, a->cycle_id, "review.cycle_id", &cy)) != 0)
		return r;
	if (!scope_covers_bu(ctx->scope, cy.bu_id)) {
		if ((r = store_unit_get(ctx->srv->store, cy.bu_id, &bu)) != 0)
			return r;
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED,
		    "review.cycle_id", "ask the BU's VP or marketing head",
		    "the review of cycle %lld covers all of BU \"%s\", which "
		    "is not wholly in your scope",
		    (long long)cy.id, bu.name);
	}
	if (cy.state != TIER__CYCLE_STATE__CYCLE_STATE_CLOSED &&
	    cy.state != TIER__CYCLE_STATE__CYCLE_STATE_REVIEWED) {
		snprintf(hint, sizeof(hint),
		    "the BU VP closes it first: tier cycle close %lld",
		    (long long)cy.id);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "review.cycle_id",
		    hint,
		    "cycle %lld (%u) is %s; the annual review is of a closed "
		    "cycle",
		    (long long)cy.id, cy.year,
		    cy.state == TIER__CYCLE_STATE__CYCLE_STATE_OPEN
			? "open"
			: "drafting");
	}
	if ((r = store_review(
		 ctx->srv->store, ctx->arena, &cy, &rows, &n, &promoted)) != 0)
		return r;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__review_response__init(out);
	if ((r = cmd_cycle_to_wire(ctx, &cy, &out->cycle)) != 0)
		return r;
	if ((out->rows = arena_alloc(
		 ctx->arena, (n ? n : 1) * sizeof(*out->rows))) == NULL)
		return ERR_ALLOC;
	memset(&total, 0, sizeof(total));
	total.segment = "";
	for (i = 0; i < n; i++) {
		if ((out->rows[i] = review_row(ctx->arena, &rows[i])) == NULL)
			return ERR_ALLOC;
		total.targets += rows[i].targets;
		total.visits += rows[i].visits;
		total.complaints += rows[i].complaints;
		total.revenue += rows[i].revenue;
		total.plan += rows[i].plan;
		total.from_inquiries += rows[i].from_inquiries;
	}
	out->n_rows = n;
	if ((out->total = review_row(ctx->arena, &total)) == NULL)
		return ERR_ALLOC;
	out->inquiries_promoted = promoted;
	resp->review = out;
	return 0;
}

const struct cmd_entry cmd_review_entry = {
	.name = "review",
	.request = TIER__REQUEST__BODY_REVIEW,
	.response = TIER__RESPONSE__BODY_REVIEW,
	.flags = 0,
	.roles = CMD_ROLE(TIER__ROLE__ROLE_BU_VP) |
		 CMD_ROLE(TIER__ROLE__ROLE_BG_VP) |
		 CMD_ROLE(TIER__ROLE__ROLE_MARKETING_HEAD) |
		 CMD_ROLE(TIER__ROLE__ROLE_AUDITOR),
	.handler = cmd_review,
};
