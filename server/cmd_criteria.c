/*
 * criteria set, criteria get: the weighted criteria a cycle's candidates are
 * scored against. While drafting the draft set is replaced; once the cycle
 * is open a change is a new version, with the differences to the previous
 * one written out, and every undecided candidate marked for rescoring.
 */
#include "tierd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRITERIA_NAME_CHARS   64
#define CRITERIA_DESC_CHARS   1000
#define CRITERIA_REASON_CHARS 1000
#define CRITERIA_SCALE_MAX    1000
#define CRITERIA_WEIGHT_SUM   100

/* Checks one criterion of the request. Returns 0 or a cmd_error result. */
static int
criteria_check_one(
    struct cmd_ctx *ctx, Tier__Response *resp, const Tier__Criterion *k)
{
	static const char field[] = "criteria_set.criteria";
	size_t len = strlen(k->name);

	if (len == 0)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "write each as NAME:WEIGHT:MIN-MAX[:DESCRIPTION]",
		    "a criterion needs a name");
	if (!msg_chars_valid(k->name, CRITERIA_NAME_CHARS) ||
	    strpbrk(k->name, "=:,") != NULL || k->name[0] == ' ' ||
	    k->name[len - 1] == ' ')
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "use 1-64 characters without control characters, '=', "
		    "':' or ',', not starting or ending with a space",
		    "\"%.64s\" is not a valid criterion name", k->name);
	if (!msg_chars_valid(k->description, CRITERIA_DESC_CHARS))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "use at most 1000 characters without control characters",
		    "the description of criterion \"%s\" is not acceptable",
		    k->name);
	if (k->scale_max <= k->scale_min || k->scale_max > CRITERIA_SCALE_MAX)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "a scale is MIN-MAX with MIN < MAX <= 1000, e.g. 0-10",
		    "criterion \"%s\" has no usable scale (%u-%u)", k->name,
		    k->scale_min, k->scale_max);
	if (k->weight < 1 || k->weight > CRITERIA_WEIGHT_SUM)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "a weight is from 1 to 100",
		    "criterion \"%s\" has weight %u", k->name, k->weight);
	return 0;
}

/*
 * Checks the request's criteria as a whole and copies them into out (the
 * strings stay the request's). Returns 0 or a cmd_error result.
 */
static int
criteria_check(struct cmd_ctx *ctx, Tier__Response *resp,
    const Tier__CriteriaSetRequest *a, struct store_criteria *out)
{
	static const char field[] = "criteria_set.criteria";
	char **norm = NULL;
	size_t i, j;
	uint32_t sum = 0;
	int r = 0;

	if (a->n_criteria == 0)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "give one or more: --criterion "
		    "'NAME:WEIGHT:MIN-MAX[:DESCRIPTION]'",
		    "a criteria set needs at least one criterion");
	if (a->n_criteria > CRITERIA_WEIGHT_SUM)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "weights are at least 1 and sum to 100",
		    "%zu criteria are too many", a->n_criteria);
	if ((norm = calloc(a->n_criteria, sizeof(*norm))) == NULL ||
	    (out->criteria = arena_alloc(
		 ctx->arena, a->n_criteria * sizeof(*out->criteria))) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < a->n_criteria; i++) {
		const Tier__Criterion *k = a->criteria[i];

		if ((r = criteria_check_one(ctx, resp, k)) != 0)
			goto out;
		if ((r = msg_norm_name(k->name, &norm[i])) != 0)
			goto out;
		/* Names differing only in case or width would confuse. */
		for (j = 0; j < i; j++) {
			if (strcmp(norm[i], norm[j]) == 0) {
				r = cmd_error(ctx, resp,
				    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
				    field, "give each criterion its own name",
				    "criteria \"%s\" and \"%s\" have the same "
				    "name",
				    a->criteria[j]->name, k->name);
				goto out;
			}
		}
		sum += k->weight;
		out->criteria[i].name = k->name;
		out->criteria[i].description = k->description;
		out->criteria[i].scale_min = k->scale_min;
		out->criteria[i].scale_max = k->scale_max;
		out->criteria[i].weight = k->weight;
	}
	out->n = a->n_criteria;
	if (sum != CRITERIA_WEIGHT_SUM)
		r = cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "adjust the weights so that they sum to 100",
		    "the weights sum to %u, not 100", sum);
out:
	for (i = 0; norm != NULL && i < a->n_criteria; i++)
		free(norm[i]);
	free(norm);
	return r;
}

static const struct store_criterion *
criteria_find(const struct store_criteria *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		if (strcmp(set->criteria[i].name, name) == 0)
			return &set->criteria[i];
	}
	return NULL;
}

/*
 * Writes what changed from prev to next, "; "-separated, prefixed by label
 * when not NULL, into the arena; "no changes" when nothing did. *same says
 * whether nothing did. NULL when out of memory.
 */
static char *
criteria_changes(struct arena *a, const struct store_criteria *prev,
    const struct store_criteria *next, const char *label, int *same)
{
	const struct store_criterion *k, *o;
	const char *sep = "";
	char *text = NULL, *copy;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&text, &len)) == NULL)
		return NULL;
	if (label != NULL)
		fprintf(f, "%s: ", label);
	for (i = 0; i < next->n; i++) {
		k = &next->criteria[i];
		if ((o = criteria_find(prev, k->name)) == NULL) {
			fprintf(f, "%sadded %s (weight %u, scale %u-%u)", sep,
			    k->name, k->weight, k->scale_min, k->scale_max);
			sep = "; ";
			continue;
		}
		if (o->weight != k->weight) {
			fprintf(f, "%s%s: weight %u -> %u", sep, k->name,
			    o->weight, k->weight);
			sep = "; ";
		}
		if (o->scale_min != k->scale_min ||
		    o->scale_max != k->scale_max) {
			fprintf(f, "%s%s: scale %u-%u -> %u-%u", sep, k->name,
			    o->scale_min, o->scale_max, k->scale_min,
			    k->scale_max);
			sep = "; ";
		}
		if (strcmp(o->description, k->description) != 0) {
			fprintf(f, "%s%s: description changed", sep, k->name);
			sep = "; ";
		}
	}
	for (i = 0; i < prev->n; i++) {
		if (criteria_find(next, prev->criteria[i].name) == NULL) {
			fprintf(f, "%sremoved %s", sep, prev->criteria[i].name);
			sep = "; ";
		}
	}
	*same = *sep == '\0';
	if (*same)
		fputs("no changes", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	copy = arena_strdup(a, text);
	free(text);
	return copy;
}

static json_t *
criteria_json(const struct store_criteria *set)
{
	json_t *arr = json_array(), *k;
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < set->n; i++) {
		const struct store_criterion *c = &set->criteria[i];

		k = json_pack("{s:s, s:s, s:i, s:i, s:i}", "name", c->name,
		    "description", c->description, "scale_min",
		    (int)c->scale_min, "scale_max", (int)c->scale_max, "weight",
		    (int)c->weight);
		if (json_array_append_new(arr, k) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return json_pack("{s:i, s:s, s:s, s:o}", "version", (int)set->version,
	    "reason", set->reason, "changes", set->changes, "criteria", arr);
}

static Tier__CriteriaSet *
criteria_to_wire(
    struct cmd_ctx *ctx, const struct store_criteria *set, uint32_t in_force)
{
	Tier__CriteriaSet *w;
	Tier__Criterion *k;
	size_t i;

	if ((w = arena_alloc(ctx->arena, sizeof(*w))) == NULL)
		return NULL;
	tier__criteria_set__init(w);
	w->version = set->version;
	w->reason = arena_strdup(ctx->arena, set->reason);
	w->changes = arena_strdup(ctx->arena, set->changes);
	w->created_by = cmd_cycle_user_name(ctx, set->created_by);
	w->created_at = set->created_at;
	w->in_force = set->version == in_force;
	w->frozen = set->frozen != 0;
	w->criteria = arena_alloc(
	    ctx->arena, (set->n ? set->n : 1) * sizeof(*w->criteria));
	if (w->reason == NULL || w->changes == NULL || w->created_by == NULL ||
	    w->criteria == NULL)
		return NULL;
	for (i = 0; i < set->n; i++) {
		if ((k = arena_alloc(ctx->arena, sizeof(*k))) == NULL)
			return NULL;
		tier__criterion__init(k);
		k->name = arena_strdup(ctx->arena, set->criteria[i].name);
		k->description =
		    arena_strdup(ctx->arena, set->criteria[i].description);
		k->scale_min = set->criteria[i].scale_min;
		k->scale_max = set->criteria[i].scale_max;
		k->weight = set->criteria[i].weight;
		if (k->name == NULL || k->description == NULL)
			return NULL;
		w->criteria[i] = k;
	}
	w->n_criteria = set->n;
	return w;
}

/* The candidate fields a criteria change touches, for the audit log. */
static json_t *
criteria_rescore_json(const struct store_rescore *k)
{
	return json_pack("{s:I, s:s, s:b, s:b, s:i, s:I, s:I}", "id",
	    (json_int_t)k->id, "state", workflow_state_name(k->state),
	    "needs_rescore", k->needs_rescore, "score_complete",
	    k->score_complete, "step", (int)k->step, "pending_since",
	    (json_int_t)k->pending_since, "version", (json_int_t)k->version);
}

/*
 * Marks the cycle's undecided candidates for rescoring after version
 * became the one in force, one audit entry each.
 */
static int
criteria_rescore(struct cmd_ctx *ctx, const struct store_cycle *c)
{
	struct store *st = ctx->srv->store;
	struct store_rescore *rows = NULL, after;
	json_t *b = NULL, *a = NULL;
	char reason[96];
	size_t i, n = 0;
	int r;

	if ((r = store_cycle_rescore_targets(st, c->id, &rows, &n)) != 0)
		return r;
	if ((r = store_cycle_rescore_mark(
		 st, c->id, ctx->user->id, ctx->now)) != 0)
		goto out;
	snprintf(reason, sizeof(reason),
	    "criteria of cycle %lld changed to version %u", (long long)c->id,
	    c->criteria_version);
	for (i = 0; i < n; i++) {
		after = rows[i];
		if (after.state !=
		    TIER__CANDIDATE_STATE__CANDIDATE_STATE_PROPOSED) {
			after.state =
			    TIER__CANDIDATE_STATE__CANDIDATE_STATE_SCORED;
			after.needs_rescore = 1;
			after.step = 0;
			after.pending_since = 0;
		}
		after.score_complete = 0;
		after.version = rows[i].version + 1;
		b = criteria_rescore_json(&rows[i]);
		a = criteria_rescore_json(&after);
		r = b != NULL && a != NULL
			? audit_record_json(ctx, "candidate.rescore",
			      "candidate", rows[i].id, b, a, reason)
			: ERR_ALLOC;
		json_decref(b);
		json_decref(a);
		if (r != 0)
			goto out;
	}
	if (n > 0)
		cmd_log(ctx, "cycle %lld: %zu candidate%s to rescore",
		    (long long)c->id, n, n == 1 ? "" : "s");
out:
	free(rows);
	return r;
}

/*
 * The set a new one is compared with: the previous version, or for the
 * draft of a derived cycle the criteria in force in the cycle it came from.
 * *prev has n 0 when there is none; *label says which it is, or NULL.
 */
static int
criteria_previous(struct cmd_ctx *ctx, const struct store_cycle *c,
    uint32_t version, struct store_criteria *prev, char **label)
{
	struct store_cycle from;
	char text[96];
	int r;

	memset(prev, 0, sizeof(*prev));
	*label = NULL;
	if (version > 1)
		return store_criteria_get(
		    ctx->srv->store, ctx->arena, c->id, version - 1, prev);
	if (c->derived_from == 0)
		return 0;
	r = store_cycle_get(ctx->srv->store, c->derived_from, &from);
	if (r == ERR_NOT_FOUND || (r == 0 && from.criteria_version == 0))
		return 0;
	if (r != 0)
		return r;
	if ((r = store_criteria_get(ctx->srv->store, ctx->arena, from.id,
		 from.criteria_version, prev)) != 0)
		return r;
	snprintf(text, sizeof(text), "against cycle %lld (%u), version %u",
	    (long long)from.id, from.year, from.criteria_version);
	if ((*label = arena_strdup(ctx->arena, text)) == NULL)
		return ERR_ALLOC;
	return 0;
}

static int
cmd_criteria_set(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__CriteriaSetRequest *a = req->criteria_set;
	struct store *st = ctx->srv->store;
	struct store_criteria set, prev, replaced;
	struct store_cycle before, c;
	Tier__CriteriaResponse *out;
	json_t *jb = NULL, *ja = NULL;
	char *label = NULL;
	int r, open, same = 0;

	if ((r = cmd_cycle_load_change(ctx, resp, a->cycle_id, a->version,
		 "criteria_set", &before)) != 0)
		return r;
	open = before.state == TIER__CYCLE_STATE__CYCLE_STATE_OPEN;
	memset(&set, 0, sizeof(set));
	if ((r = criteria_check(ctx, resp, a, &set)) != 0)
		return r;
	if (!msg_chars_valid(a->reason, CRITERIA_REASON_CHARS))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "criteria_set.reason",
		    "use at most 1000 characters without control characters",
		    "the reason is not acceptable");
	if (open && a->reason[0] == '\0')
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "criteria_set.reason",
		    "say why the criteria change: --reason TEXT",
		    "cycle %lld (%u) is open: changing its criteria needs a "
		    "reason",
		    (long long)before.id, before.year);

	c = before;
	set.cycle_id = c.id;
	set.version = open || c.criteria_version == 0 ? c.criteria_version + 1
						      : c.criteria_version;
	set.reason = a->reason;
	set.frozen = open;
	set.created_by = ctx->user->id;
	set.created_at = ctx->now;
	if ((r = criteria_previous(ctx, &c, set.version, &prev, &label)) != 0)
		return r;
	set.changes = "";
	if (prev.version != 0 || label != NULL) {
		set.changes =
		    criteria_changes(ctx->arena, &prev, &set, label, &same);
		if (set.changes == NULL)
			return ERR_ALLOC;
	}
	if (open && same)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "criteria_set.criteria",
		    "tier criteria show shows the criteria in force",
		    "the criteria are the same as version %u; nothing would "
		    "change",
		    prev.version);
	/* The audit's "before" is the set this one replaces or follows. */
	memset(&replaced, 0, sizeof(replaced));
	if (c.criteria_version != 0 &&
	    (r = store_criteria_get(
		 st, ctx->arena, c.id, c.criteria_version, &replaced)) != 0)
		return r;
	r = store_criteria_put(st, &set);
	if (r == ERR_EXISTS)
		r = ERR_INTERNAL; /* a frozen draft: broken invariant */
	if (r != 0)
		return r;

	c.criteria_version = set.version;
	c.version = before.version + 1;
	c.updated_by = ctx->user->id;
	c.updated_at = ctx->now;
	if ((r = store_cycle_update(st, &c)) != 0)
		return r;
	if (replaced.version != 0 && (jb = criteria_json(&replaced)) == NULL)
		return ERR_ALLOC;
	if ((ja = criteria_json(&set)) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	if ((r = audit_record_json(
		 ctx, "criteria.set", "cycle", c.id, jb, ja, a->reason)) != 0)
		goto out;
	if (open && (r = criteria_rescore(ctx, &c)) != 0)
		goto out;

	r = ERR_ALLOC;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		goto out;
	tier__criteria_response__init(out);
	if ((out->sets = arena_alloc(ctx->arena, sizeof(*out->sets))) == NULL ||
	    (out->sets[0] = criteria_to_wire(ctx, &set, c.criteria_version)) ==
		NULL)
		goto out;
	out->n_sets = 1;
	if ((r = cmd_cycle_to_wire(ctx, &c, &out->cycle)) != 0)
		goto out;
	resp->criteria_set = out;
	cmd_log(ctx, "cycle %lld: criteria version %u set by %s",
	    (long long)c.id, set.version, ctx->user->name);
out:
	json_decref(jb);
	json_decref(ja);
	return r;
}

static int
cmd_criteria_get(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__CriteriaGetRequest *a = req->criteria_get;
	struct store_criteria *sets = NULL, one;
	Tier__CriteriaResponse *out;
	struct store_cycle c;
	size_t i, n = 0;
	int r;

	if ((r = cmd_cycle_load(
		 ctx, resp, a->cycle_id, "criteria_get.cycle_id", &c)) != 0)
		return r;
	if (a->all) {
		if ((r = store_criteria_all(
			 ctx->srv->store, ctx->arena, c.id, &sets, &n)) != 0)
			return r;
	} else if (a->version != 0 || c.criteria_version != 0) {
		r = store_criteria_get(ctx->srv->store, ctx->arena, c.id,
		    a->version ? a->version : c.criteria_version, &one);
		if (r == ERR_NOT_FOUND)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND,
			    "criteria_get.version",
			    "tier criteria show --all lists every version",
			    "cycle %lld has no criteria version %u",
			    (long long)c.id, a->version);
		if (r != 0)
			return r;
		sets = &one;
		n = 1;
	}
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__criteria_response__init(out);
	if ((out->sets = arena_alloc(
		 ctx->arena, (n ? n : 1) * sizeof(*out->sets))) == NULL)
		return ERR_ALLOC;
	for (i = 0; i < n; i++) {
		if ((out->sets[i] = criteria_to_wire(
			 ctx, &sets[i], c.criteria_version)) == NULL)
			return ERR_ALLOC;
	}
	out->n_sets = n;
	if ((r = cmd_cycle_to_wire(ctx, &c, &out->cycle)) != 0)
		return r;
	resp->criteria_get = out;
	return 0;
}

const struct cmd_entry cmd_criteria_set_entry = {
	.name = "criteria_set",
	.request = TIER__REQUEST__BODY_CRITERIA_SET,
	.response = TIER__RESPONSE__BODY_CRITERIA_SET,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = CMD_ROLE(TIER__ROLE__ROLE_BU_VP),
	.handler = cmd_criteria_set,
};

const struct cmd_entry cmd_criteria_get_entry = {
	.name = "criteria_get",
	.request = TIER__REQUEST__BODY_CRITERIA_GET,
	.response = TIER__RESPONSE__BODY_CRITERIA_GET,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_criteria_get,
};
