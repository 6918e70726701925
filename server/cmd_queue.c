/*
 * queue and report: what waits for the asking user's decision (or for an
 * approver it stands in for), and a cycle's approved target list and funnel
 * with quota progress. Reads only; every row passes the user's scope.
 */
#include "tierd.h"

#include <string.h>

#define QUEUE_STEP_LIMIT_DEFAULT 72 /* hours, when the policy says 0 */

static int
cmd_queue(struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const uint32_t approve =
	    1u << TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_APPROVE;
	const struct store_user *on_behalf;
	struct cmd_candidate_actor ac;
	struct store_candidate *rows = NULL;
	struct store_cycle cy;
	struct wf_facts f;
	Tier__QueueResponse *out;
	Tier__QueueItem *it;
	size_t i, n = 0;
	int64_t limit;
	int r;

	(void)req;
	memset(&cy, 0, sizeof(cy));
	if ((r = cmd_candidate_actor_load(ctx, &ac)) != 0 ||
	    (r = store_candidate_pending(
		 ctx->srv->store, ctx->arena, &rows, &n)) != 0)
		goto out;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	tier__queue_response__init(out);
	if ((out->items = arena_alloc(
		 ctx->arena, (n + 1) * sizeof(*out->items))) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct store_candidate *c = &rows[i];

		if (!cmd_candidate_sees(&ac, c->segment_id))
			continue;
		if (cy.id != c->cycle_id &&
		    (r = store_cycle_get(ctx->srv->store, c->cycle_id, &cy)) !=
			0)
			goto out;
		/* Listed only when this user, or an approver it stands in
		 * for, may approve it now: four eyes included. */
		if ((r = cmd_candidate_facts(&ac, c, &cy, &f, &on_behalf)) != 0)
			goto out;
		if (!(workflow_allowed(&f) & approve))
			continue;
		if ((it = arena_alloc(ctx->arena, sizeof(*it))) == NULL) {
			r = ERR_ALLOC;
			goto out;
		}
		tier__queue_item__init(it);
		if ((it->candidate = cmd_candidate_to_wire(&ac, c, &cy, 0)) ==
		    NULL) {
			r = ERR_ALLOC;
			goto out;
		}
		limit =
		    (int64_t)(cy.step_limit_hours ? cy.step_limit_hours
						  : QUEUE_STEP_LIMIT_DEFAULT) *
		    3600;
		it->waiting_seconds = ctx->now - c->pending_since;
		if (it->waiting_seconds < 0)
			it->waiting_seconds = 0;
		it->overdue = it->waiting_seconds > limit;
		it->on_behalf_of =
		    (char *)(on_behalf != NULL ? on_behalf->name : "");
		out->items[out->n_items++] = it;
	}
	resp->queue = out;
out:
	cmd_candidate_actor_release(&ac);
	return r;
}

/* FUNNEL: one row per visible segment of the cycle's BU. */
static int
report_funnel(struct cmd_candidate_actor *ac, const struct store_cycle *cy,
    Tier__ReportResponse *out)
{
	struct cmd_ctx *ctx = ac->ctx;
	struct store_candidate_funnel *rows = NULL;
	Tier__FunnelRow *fr;
	size_t i, n = 0;
	int r;

	if ((r = store_candidate_funnel(
		 ctx->srv->store, ctx->arena, cy->id, &rows, &n)) != 0)
		return r;
	if ((out->funnel = arena_alloc(
		 ctx->arena, (n + 1) * sizeof(*out->funnel))) == NULL)
		return ERR_ALLOC;
	for (i = 0; i < n; i++) {
		if (!cmd_candidate_sees(ac, rows[i].segment_id))
			continue;
		if ((fr = arena_alloc(ctx->arena, sizeof(*fr))) == NULL)
			return ERR_ALLOC;
		tier__funnel_row__init(fr);
		fr->segment = (char *)rows[i].segment;
		fr->proposed = rows[i].proposed;
		fr->scored = rows[i].scored;
		fr->submitted = rows[i].submitted;
		fr->approved = rows[i].approved;
		fr->rejected = rows[i].rejected;
		fr->withdrawn = rows[i].withdrawn;
		fr->quota = rows[i].quota;
		out->funnel[out->n_funnel++] = fr;
	}
	return 0;
}

/* TARGETS: the approved candidates the user sees, strategic first. */
static int
report_targets(struct cmd_candidate_actor *ac, const struct store_cycle *cy,
    Tier__ReportResponse *out)
{
	struct cmd_ctx *ctx = ac->ctx;
	struct store_candidate *rows = NULL;
	size_t i, n = 0;
	int r;

	if ((r = store_candidate_targets(
		 ctx->srv->store, ctx->arena, cy->id, &rows, &n)) != 0)
		return r;
	if ((out->targets = arena_alloc(
		 ctx->arena, (n + 1) * sizeof(*out->targets))) == NULL)
		return ERR_ALLOC;
	for (i = 0; i < n; i++) {
		if (!cmd_candidate_sees(ac, rows[i].segment_id))
			continue;
		if ((out->targets[out->n_targets] =
			    cmd_candidate_to_wire(ac, &rows[i], cy, 0)) == NULL)
			return ERR_ALLOC;
		out->n_targets++;
	}
	return 0;
}

static int
cmd_report(struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__ReportRequest *a = req->report;
	struct cmd_candidate_actor ac;
	struct store_cycle cy;
	Tier__ReportResponse *out;
	int r;

	if ((r = cmd_candidate_actor_load(ctx, &ac)) != 0)
		goto out;
	if (a->kind != TIER__REPORT_KIND__REPORT_KIND_TARGETS &&
	    a->kind != TIER__REPORT_KIND__REPORT_KIND_FUNNEL) {
		r = cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "report.kind",
		    "ask for targets or funnel", "unknown report kind %d",
		    (int)a->kind);
		goto out;
	}
	if ((r = cmd_cycle_load(
		 ctx, resp, a->cycle_id, "report.cycle_id", &cy)) != 0)
		goto out;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	tier__report_response__init(out);
	if ((r = cmd_cycle_to_wire(ctx, &cy, &out->cycle)) != 0)
		goto out;
	if (a->kind == TIER__REPORT_KIND__REPORT_KIND_TARGETS)
		r = report_targets(&ac, &cy, out);
	else
		r = report_funnel(&ac, &cy, out);
	if (r == 0)
		resp->report = out;
out:
	cmd_candidate_actor_release(&ac);
	return r;
}

const struct cmd_entry cmd_queue_entry = {
	.name = "queue",
	.request = TIER__REQUEST__BODY_QUEUE,
	.response = TIER__RESPONSE__BODY_QUEUE,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_queue,
};

const struct cmd_entry cmd_report_entry = {
	.name = "report",
	.request = TIER__REQUEST__BODY_REPORT,
	.response = TIER__RESPONSE__BODY_REPORT,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_report,
};
