/*
 * cycle create, get, list, update, transition and derive: the planning year
 * of a BU, its policy and quotas, and its life drafting -> open -> closed.
 * Also what the other workflow handlers need of a cycle: loading it as the
 * user may see it, refusing changes once it is closed, its wire form.
 */
#include "tierd.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CYCLE_YEAR_MIN     2000
#define CYCLE_YEAR_MAX     2999
#define CYCLE_STEP_LIMIT   72   /* hours, when the policy says 0 */
#define CYCLE_STEP_MAX     8784 /* hours: a leap year */
#define CYCLE_QUOTA_MAX    100000
#define CYCLE_REASON_CHARS 1000

_Static_assert(
    sizeof(((struct store_cycle *)0)->derive_reason) > CYCLE_REASON_CHARS * 4,
    "a derive reason of CYCLE_REASON_CHARS characters fits the record");

static const char cycle_list_hint[] = "tier cycle list shows the cycles you "
				      "can see";

static const char *
cycle_state_name(Tier__CycleState s)
{
	switch (s) {
	case TIER__CYCLE_STATE__CYCLE_STATE_DRAFTING:
		return "drafting";
	case TIER__CYCLE_STATE__CYCLE_STATE_OPEN:
		return "open";
	case TIER__CYCLE_STATE__CYCLE_STATE_CLOSED:
		return "closed";
	case TIER__CYCLE_STATE__CYCLE_STATE_REVIEWED:
		return "reviewed";
	default:
		return "unspecified";
	}
}

char *
cmd_cycle_user_name(struct cmd_ctx *ctx, int64_t user_id)
{
	struct store_user u;
	char text[32];

	if (user_id == 0)
		return arena_strdup(ctx->arena, "");
	if (ctx->user != NULL && ctx->user->id == user_id)
		return arena_strdup(ctx->arena, ctx->user->name);
	if (store_user_get(ctx->srv->store, user_id, &u) == 0)
		return arena_strdup(ctx->arena, u.name);
	snprintf(text, sizeof(text), "user %lld", (long long)user_id);
	return arena_strdup(ctx->arena, text);
}

int
cmd_cycle_load(struct cmd_ctx *ctx, Tier__Response *resp, uint64_t id,
    const char *field, struct store_cycle *out)
{
	int r = ERR_NOT_FOUND;

	if (id <= INT64_MAX)
		r = store_cycle_get(ctx->srv->store, (int64_t)id, out);
	if (r == 0 && !scope_sees_bu(ctx->scope, out->bu_id))
		r = ERR_NOT_FOUND;
	if (r == ERR_NOT_FOUND)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND, field,
		    cycle_list_hint, "no cycle %llu", (unsigned long long)id);
	return r;
}

int
cmd_cycle_writable(
    struct cmd_ctx *ctx, Tier__Response *resp, const struct store_cycle *c)
{
	char hint[128];

	if (c->state != TIER__CYCLE_STATE__CYCLE_STATE_CLOSED &&
	    c->state != TIER__CYCLE_STATE__CYCLE_STATE_REVIEWED)
		return 0;
	snprintf(hint, sizeof(hint),
	    "derive next year's cycle from it: tier cycle derive %lld "
	    "--year %u --reason TEXT",
	    (long long)c->id, c->year + 1);
	return cmd_error(ctx, resp, TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
	    "", hint, "cycle %lld (%u) is %s; nothing in it can change",
	    (long long)c->id, c->year, cycle_state_name(c->state));
}

int
cmd_cycle_load_change(struct cmd_ctx *ctx, Tier__Response *resp, uint64_t id,
    uint64_t version, const char *body, struct store_cycle *out)
{
	char field[64];
	struct store_unit bu;
	int r;

	snprintf(field, sizeof(field), "%s.cycle_id", body);
	if ((r = cmd_cycle_load(ctx, resp, id, field, out)) != 0)
		return r;
	if (!scope_covers_bu(ctx->scope, out->bu_id)) {
		if (store_unit_get(ctx->srv->store, out->bu_id, &bu) != 0)
			snprintf(bu.name, sizeof(bu.name), "?");
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED, field,
		    "ask the BU's VP",
		    "changing cycle %lld needs all of BU \"%s\" in your scope",
		    (long long)out->id, bu.name);
	}
	if ((r = cmd_cycle_writable(ctx, resp, out)) != 0)
		return r;
	snprintf(field, sizeof(field), "%s.version", body);
	if (version == 0)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "send the version you last saw (tier cycle show shows it)",
		    "a change to cycle %lld needs its version",
		    (long long)out->id);
	if ((int64_t)version != out->version)
		return cmd_conflict(ctx, resp, "cycle", out->id,
		    (uint64_t)out->version, version, out->updated_by,
		    out->updated_at);
	return 0;
}

/* Wire and JSON forms
 * --------------------------------------------------------*/

static Tier__Chain *
cycle_chain_to_wire(struct arena *a, const struct store_chain *c)
{
	Tier__Chain *w;
	size_t i;

	if ((w = arena_alloc(a, sizeof(*w))) == NULL)
		return NULL;
	tier__chain__init(w);
	if ((w->steps = arena_alloc(a, STORE_CHAIN_MAX * sizeof(*w->steps))) ==
	    NULL)
		return NULL;
	for (i = 0; i < c->n && i < STORE_CHAIN_MAX; i++)
		w->steps[i] = c->steps[i];
	w->n_steps = i;
	return w;
}

static Tier__Policy *
cycle_policy_to_wire(struct arena *a, const struct store_cycle *c)
{
	Tier__Policy *p;

	if ((p = arena_alloc(a, sizeof(*p))) == NULL)
		return NULL;
	tier__policy__init(p);
	p->min_score = c->min_score;
	p->cut_strategic = c->cut_strategic;
	p->cut_key = c->cut_key;
	p->chain_general = cycle_chain_to_wire(
	    a, &c->chains[TIER__TIER_LEVEL__TIER_LEVEL_GENERAL]);
	p->chain_key = cycle_chain_to_wire(
	    a, &c->chains[TIER__TIER_LEVEL__TIER_LEVEL_KEY]);
	p->chain_strategic = cycle_chain_to_wire(
	    a, &c->chains[TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC]);
	p->step_limit_hours = c->step_limit_hours;
	if (p->chain_general == NULL || p->chain_key == NULL ||
	    p->chain_strategic == NULL)
		return NULL;
	return p;
}

int
cmd_cycle_to_wire(
    struct cmd_ctx *ctx, const struct store_cycle *c, Tier__Cycle **out)
{
	struct store_quota *quotas = NULL;
	struct store_unit bu;
	Tier__Cycle *w;
	Tier__Quota *q;
	size_t i, n = 0;
	int r;

	if ((r = store_unit_get(ctx->srv->store, c->bu_id, &bu)) != 0)
		return r == ERR_NOT_FOUND ? ERR_INTERNAL : r;
	if ((r = store_cycle_quotas(ctx->srv->store, c, &quotas, &n)) != 0)
		return r;
	r = ERR_ALLOC;
	if ((w = arena_alloc(ctx->arena, sizeof(*w))) == NULL)
		goto out;
	tier__cycle__init(w);
	w->id = (uint64_t)c->id;
	w->bu = arena_strdup(ctx->arena, bu.name);
	w->year = c->year;
	w->state = c->state;
	w->policy = cycle_policy_to_wire(ctx->arena, c);
	if (w->policy != NULL) /* kept by cmd_visit.c */
		w->policy->visit_limit_days = cmd_visit_limit_days(ctx, c->id);
	w->criteria_version = c->criteria_version;
	w->version = (uint64_t)c->version;
	w->derived_from = (uint64_t)c->derived_from;
	w->derive_reason = arena_strdup(ctx->arena, c->derive_reason);
	w->updated_by = cmd_cycle_user_name(ctx, c->updated_by);
	w->updated_at = c->updated_at;
	w->quotas = arena_alloc(ctx->arena, (n ? n : 1) * sizeof(*w->quotas));
	if (w->bu == NULL || w->policy == NULL || w->derive_reason == NULL ||
	    w->updated_by == NULL || w->quotas == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (!scope_sees_segment(ctx->scope, quotas[i].segment_id))
			continue;
		if ((q = arena_alloc(ctx->arena, sizeof(*q))) == NULL)
			goto out;
		tier__quota__init(q);
		if ((q->segment = arena_strdup(
			 ctx->arena, quotas[i].segment)) == NULL)
			goto out;
		q->quota = quotas[i].quota;
		q->proposed = quotas[i].proposed;
		q->approved = quotas[i].approved;
		w->quotas[w->n_quotas++] = q;
	}
	*out = w;
	r = 0;
out:
	free(quotas);
	return r;
}

static json_t *
cycle_chain_json(const struct store_chain *c)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < c->n; i++) {
		if (json_array_append_new(
			arr, json_string(msg_role_name(c->steps[i]))) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* The record as the audit log keeps it, with the quotas of every segment and
 * the visit limit as stored now. */
static int
cycle_json(struct cmd_ctx *ctx, const struct store_cycle *c, json_t **out)
{
	struct store_quota *quotas = NULL;
	struct store_unit bu;
	json_t *doc = NULL, *q;
	size_t i, n = 0;
	int r;

	if ((r = store_unit_get(ctx->srv->store, c->bu_id, &bu)) != 0)
		return r == ERR_NOT_FOUND ? ERR_INTERNAL : r;
	if ((r = store_cycle_quotas(ctx->srv->store, c, &quotas, &n)) != 0)
		return r;
	r = ERR_ALLOC;
	if ((q = json_object()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (quotas[i].quota != 0 &&
		    json_object_set_new(q, quotas[i].segment,
			json_integer(quotas[i].quota)) != 0) {
			json_decref(q);
			goto out;
		}
	}
	doc = json_pack("{s:I, s:s, s:i, s:s, s:{s:f, s:f, s:f, s:o, s:o, s:o, "
			"s:i, s:i}, s:o, s:i, s:I, s:I, s:s}",
	    "id", (json_int_t)c->id, "bu", bu.name, "year", (int)c->year,
	    "state", cycle_state_name(c->state), "policy", "min_score",
	    c->min_score, "cut_strategic", c->cut_strategic, "cut_key",
	    c->cut_key, "chain_general",
	    cycle_chain_json(&c->chains[TIER__TIER_LEVEL__TIER_LEVEL_GENERAL]),
	    "chain_key",
	    cycle_chain_json(&c->chains[TIER__TIER_LEVEL__TIER_LEVEL_KEY]),
	    "chain_strategic",
	    cycle_chain_json(
		&c->chains[TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC]),
	    "step_limit_hours", (int)c->step_limit_hours, "visit_limit_days",
	    (int)cmd_visit_limit_days(ctx, c->id), "quotas", q,
	    "criteria_version", (int)c->criteria_version, "version",
	    (json_int_t)c->version, "derived_from", (json_int_t)c->derived_from,
	    "derive_reason", c->derive_reason);
	if (doc != NULL) {
		*out = doc;
		r = 0;
	}
out:
	free(quotas);
	return r;
}

/*
 * Writes the audit entry of a change to after. b is the record's audit form
 * taken before the change wrote anything (quotas and the visit limit are
 * read from the database), or NULL for a creation.
 */
static int
cycle_audit(struct cmd_ctx *ctx, const char *action, const json_t *b,
    const struct store_cycle *after, const char *reason)
{
	json_t *a = NULL;
	int r;

	if ((r = cycle_json(ctx, after, &a)) == 0)
		r = audit_record_json(
		    ctx, action, "cycle", after->id, b, a, reason);
	json_decref(a);
	return r;
}

/* Fills the response body of every cycle request. */
static int
cycle_respond(struct cmd_ctx *ctx, const struct store_cycle *c,
    Tier__CycleResponse **body)
{
	Tier__CycleResponse *out;

	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__cycle_response__init(out);
	*body = out;
	return cmd_cycle_to_wire(ctx, c, &out->cycle);
}

/* Handlers
 * -------------------------------------------------------------------*/

static int
cycle_year_check(
    struct cmd_ctx *ctx, Tier__Response *resp, uint32_t year, const char *field)
{
	if (year >= CYCLE_YEAR_MIN && year <= CYCLE_YEAR_MAX)
		return 0;
	return cmd_error(ctx, resp, TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
	    field, "give a year from 2000 to 2999", "%u is not a cycle year",
	    year);
}

/* ALREADY_EXISTS when the BU has a cycle for year. */
static int
cycle_year_free(struct cmd_ctx *ctx, Tier__Response *resp,
    const struct store_unit *bu, uint32_t year, const char *field)
{
	struct store_cycle other;
	char hint[64];
	int r;

	r = store_cycle_by_year(ctx->srv->store, bu->id, year, &other);
	if (r == ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	snprintf(
	    hint, sizeof(hint), "tier cycle show %lld", (long long)other.id);
	return cmd_error(ctx, resp, TIER__ERROR_CODE__ERROR_CODE_ALREADY_EXISTS,
	    field, hint, "BU \"%s\" already has a cycle for %u: cycle %lld",
	    bu->name, year, (long long)other.id);
}

static int
cmd_cycle_create(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__CycleCreateRequest *a = req->cycle_create;
	struct store_cycle c;
	struct store_unit bu;
	int r;

	if ((r = cmd_find_bu(ctx, resp, a->bu, "cycle_create.bu", NULL, &bu)) !=
	    0)
		return r;
	if (!scope_covers_bu(ctx->scope, bu.id))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED,
		    "cycle_create.bu", "ask the BU's VP",
		    "creating a cycle needs all of BU \"%s\" in your scope",
		    bu.name);
	if ((r = cycle_year_check(ctx, resp, a->year, "cycle_create.year")) !=
	    0)
		return r;
	if ((r = cycle_year_free(
		 ctx, resp, &bu, a->year, "cycle_create.year")) != 0)
		return r;

	memset(&c, 0, sizeof(c));
	c.bu_id = bu.id;
	c.year = a->year;
	c.state = TIER__CYCLE_STATE__CYCLE_STATE_DRAFTING;
	c.min_score = 50;
	c.cut_strategic = 85;
	c.cut_key = 70;
	c.chains[TIER__TIER_LEVEL__TIER_LEVEL_GENERAL] =
	    (struct store_chain){ 1, { TIER__ROLE__ROLE_BU_VP } };
	c.chains[TIER__TIER_LEVEL__TIER_LEVEL_KEY] =
	    (struct store_chain){ 1, { TIER__ROLE__ROLE_BU_VP } };
	c.chains[TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC] =
	    (struct store_chain){ 2,
		    { TIER__ROLE__ROLE_BU_VP, TIER__ROLE__ROLE_BG_VP } };
	c.step_limit_hours = CYCLE_STEP_LIMIT;
	c.updated_by = ctx->user->id;
	c.updated_at = ctx->now;
	if ((r = store_cycle_insert(ctx->srv->store, &c)) != 0)
		return r;
	if ((r = cycle_audit(ctx, "cycle.create", NULL, &c, "")) != 0)
		return r;
	cmd_log(ctx, "cycle %lld (%s %u) created by %s", (long long)c.id,
	    bu.name, c.year, ctx->user->name);
	return cycle_respond(ctx, &c, &resp->cycle_create);
}

static int
cmd_cycle_get(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	struct store_cycle c;
	int r;

	if ((r = cmd_cycle_load(ctx, resp, req->cycle_get->cycle_id,
		 "cycle_get.cycle_id", &c)) != 0)
		return r;
	return cycle_respond(ctx, &c, &resp->cycle_get);
}

static int
cmd_cycle_list(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__CycleListRequest *a = req->cycle_list;
	struct store_cycle *cycles = NULL;
	Tier__CycleListResponse *out;
	struct store_unit bu;
	size_t i, n = 0;
	int r;

	memset(&bu, 0, sizeof(bu));
	if (a->bu[0] != '\0' && (r = cmd_find_bu(ctx, resp, a->bu,
				     "cycle_list.bu", NULL, &bu)) != 0)
		return r;
	if ((r = store_cycle_list(ctx->srv->store, bu.id, &cycles, &n)) != 0)
		return r;
	r = ERR_ALLOC;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		goto out;
	tier__cycle_list_response__init(out);
	if ((out->cycles = arena_alloc(
		 ctx->arena, (n ? n : 1) * sizeof(*out->cycles))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (!scope_sees_bu(ctx->scope, cycles[i].bu_id))
			continue;
		if ((r = cmd_cycle_to_wire(
			 ctx, &cycles[i], &out->cycles[out->n_cycles])) != 0)
			goto out;
		out->n_cycles++;
	}
	resp->cycle_list = out;
	r = 0;
out:
	free(cycles);
	return r;
}

/* Checks a chain of the request; field names it. */
static int
cycle_chain_check(struct cmd_ctx *ctx, Tier__Response *resp,
    const Tier__Chain *w, const char *field, struct store_chain *out)
{
	size_t i;

	if (w == NULL || w->n_steps == 0)
		return 0; /* kept as it is */
	if (w->n_steps > STORE_CHAIN_MAX)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "give 1 to 4 steps",
		    "an approval chain of %zu steps is too long", w->n_steps);
	for (i = 0; i < w->n_steps; i++) {
		if (w->steps[i] != TIER__ROLE__ROLE_BU_VP &&
		    w->steps[i] != TIER__ROLE__ROLE_BG_VP)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
			    "approval steps are bu_vp or bg_vp",
			    "role %s cannot approve a step",
			    msg_role_name(w->steps[i]));
		out->steps[i] = w->steps[i];
	}
	out->n = w->n_steps;
	return 0;
}

/* 1 if x is a percentage score (0-100, not NaN). */
static int
cycle_score_valid(double x)
{
	return isfinite(x) && x >= 0 && x <= 100;
}

/* Applies the request's policy to c, after checking all of it. */
static int
cycle_policy_apply(struct cmd_ctx *ctx, Tier__Response *resp,
    const Tier__Policy *p, struct store_cycle *c)
{
	static const struct {
		const char *field;
		Tier__TierLevel tier;
	} chains[] = {
		{ "cycle_update.policy.chain_general",
		    TIER__TIER_LEVEL__TIER_LEVEL_GENERAL },
		{ "cycle_update.policy.chain_key",
		    TIER__TIER_LEVEL__TIER_LEVEL_KEY },
		{ "cycle_update.policy.chain_strategic",
		    TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC },
	};
	const Tier__Chain *given[3] = { p->chain_general, p->chain_key,
		p->chain_strategic };
	struct store_chain next[3];
	size_t i;
	int r;

	if (!cycle_score_valid(p->min_score))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "cycle_update.policy.min_score", "scores are from 0 to 100",
		    "minimum score %g is out of range", p->min_score);
	if (!cycle_score_valid(p->cut_strategic) ||
	    !cycle_score_valid(p->cut_key))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    !cycle_score_valid(p->cut_key)
			? "cycle_update.policy.cut_key"
			: "cycle_update.policy.cut_strategic",
		    "scores are from 0 to 100",
		    "tier cut-off %g is out of range",
		    !cycle_score_valid(p->cut_key) ? p->cut_key
						   : p->cut_strategic);
	if (p->cut_key > p->cut_strategic)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "cycle_update.policy.cut_key",
		    "the key cut-off is at most the strategic one",
		    "key cut-off %g is above strategic cut-off %g", p->cut_key,
		    p->cut_strategic);
	if (p->step_limit_hours > CYCLE_STEP_MAX)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "cycle_update.policy.step_limit_hours",
		    "give at most 8784 hours (a year); 0 means 72",
		    "a step limit of %u hours is too long",
		    p->step_limit_hours);
	if (p->visit_limit_days > 3660)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "cycle_update.policy.visit_limit_days",
		    "give at most 3660 days (ten years); 0 means 90",
		    "a visit limit of %u days is too long",
		    p->visit_limit_days);
	for (i = 0; i < 3; i++) {
		next[i] = c->chains[chains[i].tier];
		if ((r = cycle_chain_check(
			 ctx, resp, given[i], chains[i].field, &next[i])) != 0)
			return r;
	}
	c->min_score = p->min_score;
	c->cut_strategic = p->cut_strategic;
	c->cut_key = p->cut_key;
	c->step_limit_hours =
	    p->step_limit_hours ? p->step_limit_hours : CYCLE_STEP_LIMIT;
	for (i = 0; i < 3; i++)
		c->chains[chains[i].tier] = next[i];
	return 0;
}

static int
cmd_cycle_update(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__CycleUpdateRequest *a = req->cycle_update;
	struct store *st = ctx->srv->store;
	struct store_cycle before, c;
	struct store_unit seg, bu;
	int64_t *segs = NULL;
	json_t *b = NULL;
	size_t i;
	int r;

	if ((r = cmd_cycle_load_change(ctx, resp, a->cycle_id, a->version,
		 "cycle_update", &before)) != 0)
		return r;
	if (before.state != TIER__CYCLE_STATE__CYCLE_STATE_DRAFTING)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "",
		    "policy and quotas are set while drafting; changed "
		    "criteria are a new version: tier criteria set",
		    "cycle %lld (%u) is open; its policy and quotas were fixed "
		    "when it opened",
		    (long long)before.id, before.year);
	if (a->policy == NULL && a->n_quotas == 0)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "cycle_update.policy", "give a policy, quotas, or both",
		    "nothing to change");
	c = before;
	if (a->policy != NULL &&
	    (r = cycle_policy_apply(ctx, resp, a->policy, &c)) != 0)
		return r;
	if ((segs = calloc(a->n_quotas ? a->n_quotas : 1, sizeof(*segs))) ==
	    NULL)
		return ERR_ALLOC;
	for (i = 0; i < a->n_quotas; i++) {
		const Tier__Quota *q = a->quotas[i];

		r = store_unit_by_name(
		    st, TIER__UNIT_KIND__UNIT_KIND_SEGMENT, q->segment, &seg);
		if (r == 0 && seg.parent_id != c.bu_id)
			r = ERR_NOT_FOUND;
		if (r == ERR_NOT_FOUND) {
			if (store_unit_get(st, c.bu_id, &bu) != 0)
				snprintf(bu.name, sizeof(bu.name), "?");
			r = cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND,
			    "cycle_update.quotas",
			    "tier org list shows the segments",
			    "BU \"%s\" has no segment \"%.64s\"", bu.name,
			    q->segment);
			goto out;
		}
		if (r != 0)
			goto out;
		if (q->quota > CYCLE_QUOTA_MAX) {
			r = cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
			    "cycle_update.quotas", "give at most 100000",
			    "a quota of %u for segment \"%s\" is too large",
			    q->quota, seg.name);
			goto out;
		}
		segs[i] = seg.id;
	}

	c.version = before.version + 1;
	c.updated_by = ctx->user->id;
	c.updated_at = ctx->now;
	if ((r = cycle_json(ctx, &before, &b)) != 0 ||
	    (r = store_cycle_update(st, &c)) != 0)
		goto out;
	if (a->policy != NULL && (r = store_visit_limit_set(st, c.id,
				      a->policy->visit_limit_days)) != 0)
		goto out;
	for (i = 0; i < a->n_quotas; i++) {
		if ((r = store_cycle_quota_set(
			 st, c.id, segs[i], a->quotas[i]->quota)) != 0)
			goto out;
	}
	if ((r = cycle_audit(ctx, "cycle.update", b, &c, "")) != 0)
		goto out;
	r = cycle_respond(ctx, &c, &resp->cycle_update);
out:
	json_decref(b);
	free(segs);
	return r;
}

/*
 * cmd_cycle_load_change for REVIEW, the one change of a closed cycle: the
 * whole BU in scope, the cycle closed (not yet reviewed), the version the
 * cycle's.
 */
static int
cycle_load_review(struct cmd_ctx *ctx, Tier__Response *resp,
    const Tier__CycleTransitionRequest *a, struct store_cycle *out)
{
	char hint[96];
	int r;

	if ((r = cmd_cycle_load(ctx, resp, a->cycle_id,
		 "cycle_transition.cycle_id", out)) != 0)
		return r;
	if (!scope_covers_bu(ctx->scope, out->bu_id))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED,
		    "cycle_transition.cycle_id", "ask the BU's VP",
		    "changing cycle %lld needs all of its BU in your scope",
		    (long long)out->id);
	if (out->state != TIER__CYCLE_STATE__CYCLE_STATE_CLOSED) {
		snprintf(hint, sizeof(hint),
		    out->state == TIER__CYCLE_STATE__CYCLE_STATE_REVIEWED
			? "tier review --cycle %lld shows the review"
			: "close it first: tier cycle close %lld",
		    (long long)out->id);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "cycle_transition.action", hint,
		    "cycle %lld (%u) is %s; only a closed cycle can be marked "
		    "reviewed",
		    (long long)out->id, out->year,
		    cycle_state_name(out->state));
	}
	if (a->version == 0)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "cycle_transition.version",
		    "send the version you last saw (tier cycle show shows it)",
		    "a change to cycle %lld needs its version",
		    (long long)out->id);
	if ((int64_t)a->version != out->version)
		return cmd_conflict(ctx, resp, "cycle", out->id,
		    (uint64_t)out->version, a->version, out->updated_by,
		    out->updated_at);
	return 0;
}

static int
cmd_cycle_transition(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__CycleTransitionRequest *a = req->cycle_transition;
	struct store *st = ctx->srv->store;
	struct store_cycle before, c;
	json_t *b = NULL;
	const char *action;
	char hint[160];
	uint64_t pending = 0;
	int r;

	if (a->action != TIER__CYCLE_ACTION__CYCLE_ACTION_OPEN &&
	    a->action != TIER__CYCLE_ACTION__CYCLE_ACTION_CLOSE &&
	    a->action != TIER__CYCLE_ACTION__CYCLE_ACTION_REVIEW)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "cycle_transition.action", "open, close or review",
		    "a cycle transition needs an action");
	if (a->action == TIER__CYCLE_ACTION__CYCLE_ACTION_REVIEW)
		r = cycle_load_review(ctx, resp, a, &before);
	else
		r = cmd_cycle_load_change(ctx, resp, a->cycle_id, a->version,
		    "cycle_transition", &before);
	if (r != 0)
		return r;
	c = before;
	if (a->action == TIER__CYCLE_ACTION__CYCLE_ACTION_REVIEW) {
		action = "cycle.review";
		c.state = TIER__CYCLE_STATE__CYCLE_STATE_REVIEWED;
	} else if (a->action == TIER__CYCLE_ACTION__CYCLE_ACTION_OPEN) {
		action = "cycle.open";
		if (before.state != TIER__CYCLE_STATE__CYCLE_STATE_DRAFTING)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
			    "cycle_transition.action", NULL,
			    "cycle %lld (%u) is already open",
			    (long long)before.id, before.year);
		if (before.criteria_version == 0) {
			snprintf(hint, sizeof(hint),
			    "define them first: tier criteria set %lld "
			    "--criterion 'NAME:WEIGHT:MIN-MAX' ...",
			    (long long)before.id);
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
			    "cycle_transition.action", hint,
			    "cycle %lld (%u) has no criteria; it cannot open "
			    "without them",
			    (long long)before.id, before.year);
		}
		if ((r = store_criteria_freeze(st, c.id, c.criteria_version)) !=
		    0)
			return r;
		c.state = TIER__CYCLE_STATE__CYCLE_STATE_OPEN;
	} else {
		action = "cycle.close";
		if (before.state != TIER__CYCLE_STATE__CYCLE_STATE_OPEN)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
			    "cycle_transition.action",
			    "open it first: tier cycle open",
			    "cycle %lld (%u) is still drafting; only an open "
			    "cycle can close",
			    (long long)before.id, before.year);
		if ((r = store_cycle_count_state(st, c.id,
			 TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING,
			 &pending)) != 0)
			return r;
		if (pending != 0)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
			    "cycle_transition.action",
			    "decide or return them first; tier candidate list "
			    "--state pending shows them",
			    "cycle %lld (%u) still has %llu candidate%s "
			    "waiting for approval",
			    (long long)before.id, before.year,
			    (unsigned long long)pending,
			    pending == 1 ? "" : "s");
		c.state = TIER__CYCLE_STATE__CYCLE_STATE_CLOSED;
	}
	c.version = before.version + 1;
	c.updated_by = ctx->user->id;
	c.updated_at = ctx->now;
	if ((r = cycle_json(ctx, &before, &b)) != 0 ||
	    (r = store_cycle_update(st, &c)) != 0 ||
	    (r = cycle_audit(ctx, action, b, &c, "")) != 0) {
		json_decref(b);
		return r;
	}
	json_decref(b);
	cmd_log(ctx, "cycle %lld (%u) %s by %s", (long long)c.id, c.year,
	    cycle_state_name(c.state), ctx->user->name);
	return cycle_respond(ctx, &c, &resp->cycle_transition);
}

static int
cmd_cycle_derive(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__CycleDeriveRequest *a = req->cycle_derive;
	struct store *st = ctx->srv->store;
	struct store_quota *quotas = NULL;
	struct store_criteria set;
	struct store_cycle from, c;
	struct store_unit bu;
	char changes[128];
	size_t i, n = 0;
	int r;

	if ((r = cmd_cycle_load(ctx, resp, a->from_cycle_id,
		 "cycle_derive.from_cycle_id", &from)) != 0)
		return r;
	if ((r = store_unit_get(st, from.bu_id, &bu)) != 0)
		return r;
	if (!scope_covers_bu(ctx->scope, from.bu_id))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED,
		    "cycle_derive.from_cycle_id", "ask the BU's VP",
		    "deriving a cycle needs all of BU \"%s\" in your scope",
		    bu.name);
	if (from.state == TIER__CYCLE_STATE__CYCLE_STATE_DRAFTING)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "cycle_derive.from_cycle_id",
		    "derive from an open or closed cycle",
		    "cycle %lld (%u) is still drafting", (long long)from.id,
		    from.year);
	if (a->reason[0] == '\0')
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "cycle_derive.reason",
		    "say why next year's cycle starts from this one: --reason "
		    "TEXT",
		    "deriving a cycle needs a reason");
	if (!msg_chars_valid(a->reason, CYCLE_REASON_CHARS))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "cycle_derive.reason",
		    "use at most 1000 characters without control characters",
		    "the reason is not acceptable");
	if ((r = cycle_year_check(ctx, resp, a->year, "cycle_derive.year")) !=
	    0)
		return r;
	if (a->year <= from.year)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "cycle_derive.year", "give a later year",
		    "cycle %lld is for %u; a cycle derived from it must be for "
		    "a later year",
		    (long long)from.id, from.year);
	if ((r = cycle_year_free(
		 ctx, resp, &bu, a->year, "cycle_derive.year")) != 0)
		return r;

	c = from;
	c.id = 0;
	c.year = a->year;
	c.state = TIER__CYCLE_STATE__CYCLE_STATE_DRAFTING;
	c.criteria_version = from.criteria_version ? 1 : 0;
	c.derived_from = from.id;
	snprintf(c.derive_reason, sizeof(c.derive_reason), "%s", a->reason);
	c.updated_by = ctx->user->id;
	c.updated_at = ctx->now;
	if ((r = store_cycle_insert(st, &c)) != 0)
		return r;
	if ((r = store_cycle_quotas(st, &from, &quotas, &n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if (quotas[i].quota != 0 &&
		    (r = store_cycle_quota_set(
			 st, c.id, quotas[i].segment_id, quotas[i].quota)) != 0)
			goto out;
	}
	if (from.criteria_version != 0) {
		if ((r = store_criteria_get(st, ctx->arena, from.id,
			 from.criteria_version, &set)) != 0)
			goto out;
		snprintf(changes, sizeof(changes),
		    "copied from cycle %lld (%u), criteria version %u",
		    (long long)from.id, from.year, from.criteria_version);
		set.id = 0;
		set.cycle_id = c.id;
		set.version = 1;
		set.reason = a->reason;
		set.changes = changes;
		set.frozen = 0;
		set.created_by = ctx->user->id;
		set.created_at = ctx->now;
		if ((r = store_criteria_put(st, &set)) != 0)
			goto out;
	}
	if ((r = cycle_audit(ctx, "cycle.derive", NULL, &c, a->reason)) != 0)
		goto out;
	cmd_log(ctx, "cycle %lld (%s %u) derived from cycle %lld by %s",
	    (long long)c.id, bu.name, c.year, (long long)from.id,
	    ctx->user->name);
	r = cycle_respond(ctx, &c, &resp->cycle_derive);
out:
	free(quotas);
	return r;
}

#define CYCLE_WRITER CMD_ROLE(TIER__ROLE__ROLE_BU_VP)

const struct cmd_entry cmd_cycle_create_entry = {
	.name = "cycle_create",
	.request = TIER__REQUEST__BODY_CYCLE_CREATE,
	.response = TIER__RESPONSE__BODY_CYCLE_CREATE,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = CYCLE_WRITER,
	.handler = cmd_cycle_create,
};

const struct cmd_entry cmd_cycle_get_entry = {
	.name = "cycle_get",
	.request = TIER__REQUEST__BODY_CYCLE_GET,
	.response = TIER__RESPONSE__BODY_CYCLE_GET,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_cycle_get,
};

const struct cmd_entry cmd_cycle_list_entry = {
	.name = "cycle_list",
	.request = TIER__REQUEST__BODY_CYCLE_LIST,
	.response = TIER__RESPONSE__BODY_CYCLE_LIST,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_cycle_list,
};

const struct cmd_entry cmd_cycle_update_entry = {
	.name = "cycle_update",
	.request = TIER__REQUEST__BODY_CYCLE_UPDATE,
	.response = TIER__RESPONSE__BODY_CYCLE_UPDATE,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = CYCLE_WRITER,
	.handler = cmd_cycle_update,
};

const struct cmd_entry cmd_cycle_transition_entry = {
	.name = "cycle_transition",
	.request = TIER__REQUEST__BODY_CYCLE_TRANSITION,
	.response = TIER__RESPONSE__BODY_CYCLE_TRANSITION,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = CYCLE_WRITER,
	.handler = cmd_cycle_transition,
};

const struct cmd_entry cmd_cycle_derive_entry = {
	.name = "cycle_derive",
	.request = TIER__REQUEST__BODY_CYCLE_DERIVE,
	.response = TIER__RESPONSE__BODY_CYCLE_DERIVE,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = CYCLE_WRITER,
	.handler = cmd_cycle_derive,
};
