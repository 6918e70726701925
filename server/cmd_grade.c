/*
 * customer_grade, and the grade an approved candidate gives its customer:
 * the grade (potential, general, key, strategic) and development owner a
 * customer holds outside any one cycle.
 */
#include "tierd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRADE_REASON_CHARS 1000

/* Grade names by tier level; "potential" has no tier of its own. */
static const char *const grade_names[] = {
	[TIER__TIER_LEVEL__TIER_LEVEL_UNSPECIFIED] = "potential",
	[TIER__TIER_LEVEL__TIER_LEVEL_GENERAL] = "general",
	[TIER__TIER_LEVEL__TIER_LEVEL_KEY] = "key",
	[TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC] = "strategic",
};

const char *
cmd_grade_of_tier(Tier__TierLevel t)
{
	if (t <= TIER__TIER_LEVEL__TIER_LEVEL_UNSPECIFIED ||
	    (size_t)t >= sizeof(grade_names) / sizeof(grade_names[0]))
		return "";
	return grade_names[t];
}

int
cmd_grade_of_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(grade_names) / sizeof(grade_names[0]); i++) {
		if (strcmp(name, grade_names[i]) == 0)
			return (int)i;
	}
	return -1;
}

int
cmd_grade_set(struct cmd_ctx *ctx, const struct store_customer *c,
    const char *grade, int64_t owner_id, const char *reason)
{
	json_t *before, *after;
	int r;

	if ((r = store_customer_grade(ctx->srv->store, c->id, c->version + 1,
		 grade, owner_id, ctx->user->id, ctx->now)) != 0)
		return r;
	before = json_pack("{s:I, s:s, s:I, s:I}", "id", (json_int_t)c->id,
	    "grade", c->grade, "owner_id", (json_int_t)c->owner_id, "version",
	    (json_int_t)c->version);
	after = json_pack("{s:I, s:s, s:I, s:I}", "id", (json_int_t)c->id,
	    "grade", grade, "owner_id", (json_int_t)owner_id, "version",
	    (json_int_t)(c->version + 1));
	r = ERR_ALLOC;
	if (before != NULL && after != NULL)
		r = audit_record_json(ctx, "customer.grade", "customer", c->id,
		    before, after, reason);
	json_decref(before);
	json_decref(after);
	return r;
}

int
cmd_grade_from_candidate(struct cmd_ctx *ctx, int64_t customer_id,
    Tier__TierLevel tier, int64_t owner_id, int64_t candidate_id)
{
	const char *grade = cmd_grade_of_tier(tier);
	struct store_customer c;
	char reason[96];
	int r;

	if (grade[0] == '\0')
		return ERR_INTERNAL;
	if ((r = store_customer_get(
		 ctx->srv->store, ctx->arena, customer_id, &c)) != 0)
		return r;
	if (strcmp(c.grade, grade) == 0 && c.owner_id == owner_id)
		return 0;
	snprintf(reason, sizeof(reason), "candidate %lld approved",
	    (long long)candidate_id);
	return cmd_grade_set(ctx, &c, grade, owner_id, reason);
}

/*
 * Checks the owner of a manual grade: a business user whose scope sees the
 * customer's BU; one who does not exist and one who cannot see it get the
 * same answer. Returns 0 or cmd_error's.
 */
static int
grade_owner(struct cmd_ctx *ctx, Tier__Response *resp, int64_t bu_id,
    const char *name, struct store_user *owner)
{
	static const char field[] = "customer_grade.owner";
	struct scope sc;
	int r, sees = 0;

	r = store_user_by_name(ctx->srv->store, name, owner);
	if (r != 0 && r != ERR_NOT_FOUND)
		return r;
	if (r == 0) {
		if ((r = cmd_scope_resolve(
			 ctx->srv->store, owner->scope, &sc)) != 0)
			return r;
		sees = scope_sees_bu(&sc, bu_id);
		scope_release(&sc);
	}
	if (!sees)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "the owner is the user name of someone whose scope "
		    "includes the customer's BU",
		    "no user \"%.64s\" who can see the customer", name);
	if (owner->role == TIER__ROLE__ROLE_ADMIN ||
	    owner->role == TIER__ROLE__ROLE_AUDITOR)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "choose an account or segment manager",
		    "owner %s is an %s, who makes no business decisions",
		    owner->name, msg_role_name(owner->role));
	return 0;
}

static int
cmd_customer_grade(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__CustomerGradeRequest *a = req->customer_grade;
	struct store *st = ctx->srv->store;
	struct store_customer c;
	struct store_user owner;
	const char *grade;
	int64_t owner_id;
	int r = ERR_NOT_FOUND;

	if (a->customer_id <= INT64_MAX)
		r = store_customer_get(
		    st, ctx->arena, (int64_t)a->customer_id, &c);
	if (r == 0 && !scope_sees_bu(ctx->scope, c.bu_id))
		r = ERR_NOT_FOUND;
	if (r == ERR_NOT_FOUND)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND,
		    "customer_grade.customer_id",
		    "tier customer list shows the customers you can see",
		    "no customer %llu", (unsigned long long)a->customer_id);
	if (r != 0)
		return r;
	if (strcmp(a->grade, "none") == 0)
		grade = "";
	else if (cmd_grade_of_name(a->grade) >= 0)
		grade = a->grade;
	else
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "customer_grade.grade",
		    "give potential, general, key, strategic or none",
		    "\"%.32s\" is not a grade", a->grade);
	if (!msg_chars_valid(a->reason, GRADE_REASON_CHARS) ||
	    a->reason[strspn(a->reason, " ")] == '\0')
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "customer_grade.reason",
		    "say why with --reason TEXT (at most 1000 characters)",
		    "a grade change needs a reason");
	if (a->version == 0)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "customer_grade.version",
		    "send the version you last saw (tier customer show shows "
		    "it)",
		    "a change to customer %lld needs its version",
		    (long long)c.id);
	if ((int64_t)a->version != c.version)
		return cmd_conflict(ctx, resp, "customer", c.id,
		    (uint64_t)c.version, a->version, c.updated_by,
		    c.updated_at);
	owner_id = c.owner_id;
	if (a->owner[0] != '\0') {
		if (grade[0] == '\0')
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
			    "customer_grade.owner",
			    "leave out --owner: grade none clears the owner",
			    "a customer without a grade has no owner");
		if ((r = grade_owner(ctx, resp, c.bu_id, a->owner, &owner)) !=
		    0)
			return r;
		owner_id = owner.id;
	}
	if (grade[0] == '\0')
		owner_id = 0;
	if ((r = cmd_grade_set(ctx, &c, grade, owner_id, a->reason)) != 0 ||
	    (r = store_customer_get(st, ctx->arena, c.id, &c)) != 0)
		return r;
	cmd_log(ctx, "customer %lld graded %s by %s", (long long)c.id,
	    grade[0] != '\0' ? grade : "none", ctx->user->name);
	if ((resp->customer_grade = arena_alloc(
		 ctx->arena, sizeof(*resp->customer_grade))) == NULL)
		return ERR_ALLOC;
	tier__customer_response__init(resp->customer_grade);
	resp->customer_grade->customer = cmd_customer_to_wire(ctx, &c);
	return resp->customer_grade->customer != NULL ? 0 : ERR_ALLOC;
}

const struct cmd_entry cmd_customer_grade_entry = {
	.name = "customer_grade",
	.request = TIER__REQUEST__BODY_CUSTOMER_GRADE,
	.response = TIER__RESPONSE__BODY_CUSTOMER_GRADE,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = CMD_ROLE(TIER__ROLE__ROLE_BU_VP) |
		 CMD_ROLE(TIER__ROLE__ROLE_SEGMENT_MGR),
	.handler = cmd_customer_grade,
};
