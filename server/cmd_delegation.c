/*
 * delegation add, delegation list: an approver lets a deputy decide the
 * approval steps of the approver's role and scope for a period (holidays,
 * travel). Who may use a delegation is decided where approvals are.
 */
#include "tierd.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DELEGATION_MAX_SECONDS (366 * 86400)

static Tier__Delegation *
delegation_to_wire(struct cmd_ctx *ctx, const struct store_delegation *d)
{
	Tier__Delegation *w;

	if ((w = arena_alloc(ctx->arena, sizeof(*w))) == NULL)
		return NULL;
	tier__delegation__init(w);
	w->id = (uint64_t)d->id;
	w->approver = cmd_cycle_user_name(ctx, d->approver_id);
	w->deputy = cmd_cycle_user_name(ctx, d->deputy_id);
	w->starts_at = d->starts_at;
	w->ends_at = d->ends_at;
	/* Approvers delegate for themselves only. */
	w->created_by = w->approver;
	if (w->approver == NULL || w->deputy == NULL)
		return NULL;
	return w;
}

static int
cmd_delegation_add(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__DelegationAddRequest *a = req->delegation_add;
	Tier__DelegationResponse *out;
	struct store_delegation d;
	struct store_user deputy;
	uint64_t span;
	json_t *after;
	int r;

	r = store_user_by_name(ctx->srv->store, a->deputy, &deputy);
	if (r == ERR_NOT_FOUND)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND,
		    "delegation_add.deputy", "give the deputy's user name",
		    "no user named \"%.64s\"", a->deputy);
	if (r != 0)
		return r;
	if (deputy.id == ctx->user->id)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "delegation_add.deputy", "name someone else as deputy",
		    "you cannot be your own deputy");
	if (deputy.role == TIER__ROLE__ROLE_ADMIN ||
	    deputy.role == TIER__ROLE__ROLE_AUDITOR)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "delegation_add.deputy",
		    "admins and auditors make no business decisions",
		    "%s (%s) cannot be a deputy for approvals", deputy.name,
		    msg_role_name(deputy.role));
	if (a->ends_at <= a->starts_at)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "delegation_add.ends_at", "the period ends after it starts",
		    "a delegation needs a period that is not empty");
	/* Both ends are the client's: the difference of two int64 may not
	 * fit one, but it always fits a uint64 once ends_at > starts_at. */
	span = (uint64_t)a->ends_at - (uint64_t)a->starts_at;
	if (span > DELEGATION_MAX_SECONDS)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "delegation_add.ends_at", "delegate for at most 366 days",
		    "a delegation of %llu days is too long",
		    (unsigned long long)(span / 86400 + (span % 86400 != 0)));
	if (a->ends_at <= ctx->now)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "delegation_add.ends_at",
		    "give a period that has not ended",
		    "that delegation would already be over");

	memset(&d, 0, sizeof(d));
	d.approver_id = ctx->user->id;
	d.deputy_id = deputy.id;
	d.starts_at = a->starts_at;
	d.ends_at = a->ends_at;
	d.created_at = ctx->now;
	if ((r = store_delegation_insert(ctx->srv->store, &d)) != 0)
		return r;
	after = json_pack("{s:I, s:s, s:s, s:I, s:I}", "id", (json_int_t)d.id,
	    "approver", ctx->user->name, "deputy", deputy.name, "starts_at",
	    (json_int_t)d.starts_at, "ends_at", (json_int_t)d.ends_at);
	if (after == NULL)
		return ERR_ALLOC;
	r = audit_record_json(
	    ctx, "delegation.add", "delegation", d.id, NULL, after, "");
	json_decref(after);
	if (r != 0)
		return r;

	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__delegation_response__init(out);
	if ((out->delegation = delegation_to_wire(ctx, &d)) == NULL)
		return ERR_ALLOC;
	resp->delegation_add = out;
	cmd_log(ctx, "%s delegates to %s", ctx->user->name, deputy.name);
	return 0;
}

static int
cmd_delegation_list(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	Tier__DelegationListResponse *out;
	struct store_delegation *rows = NULL;
	int64_t who = ctx->user->id;
	size_t i, n = 0;
	int r;

	(void)req;
	if (ctx->user->role == TIER__ROLE__ROLE_ADMIN ||
	    ctx->user->role == TIER__ROLE__ROLE_AUDITOR)
		who = 0;
	if ((r = store_delegation_list(ctx->srv->store, who, &rows, &n)) != 0)
		return r;
	r = ERR_ALLOC;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		goto out;
	tier__delegation_list_response__init(out);
	if ((out->delegations = arena_alloc(
		 ctx->arena, (n ? n : 1) * sizeof(*out->delegations))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if ((out->delegations[i] = delegation_to_wire(ctx, &rows[i])) ==
		    NULL)
			goto out;
	}
	out->n_delegations = n;
	resp->delegation_list = out;
	r = 0;
out:
	free(rows);
	return r;
}

const struct cmd_entry cmd_delegation_add_entry = {
	.name = "delegation_add",
	.request = TIER__REQUEST__BODY_DELEGATION_ADD,
	.response = TIER__RESPONSE__BODY_DELEGATION_ADD,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles =
	    CMD_ROLE(TIER__ROLE__ROLE_BU_VP) | CMD_ROLE(TIER__ROLE__ROLE_BG_VP),
	.handler = cmd_delegation_add,
};

const struct cmd_entry cmd_delegation_list_entry = {
	.name = "delegation_list",
	.request = TIER__REQUEST__BODY_DELEGATION_LIST,
	.response = TIER__RESPONSE__BODY_DELEGATION_LIST,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_delegation_list,
};
