/*
 * audit_list and audit_verify: reading the audit log. The history of one
 * record is shown to whoever can see the record; verifying the whole chain
 * is for auditors and administrators.
 */
#include "tierd.h"

#include <stdlib.h>
#include <string.h>

/* Collects entries into the response, copying into the arena. */
struct audit_collect {
	struct arena *arena;
	Tier__AuditEntry **entries;
	size_t n, cap;
	int failed; /* ERR_ALLOC once out of memory */
};

static int
cmd_audit_collect_cb(const struct store_audit *e, void *arg)
{
	struct audit_collect *c = arg;
	Tier__AuditEntry *w, **p;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		p = arena_alloc(c->arena, c->cap * sizeof(*p));
		if (p == NULL)
			return c->failed = ERR_ALLOC;
		if (c->n > 0)
			memcpy(p, c->entries, c->n * sizeof(*p));
		c->entries = p;
	}
	if ((w = arena_alloc(c->arena, sizeof(*w))) == NULL)
		return c->failed = ERR_ALLOC;
	tier__audit_entry__init(w);
	w->seq = (uint64_t)e->seq;
	w->at = e->at;
	w->user = arena_strdup(c->arena, e->user);
	w->action = arena_strdup(c->arena, e->action);
	w->entity = arena_strdup(c->arena, e->entity);
	w->entity_id = (uint64_t)e->entity_id;
	w->before = arena_strdup(c->arena, e->before);
	w->after = arena_strdup(c->arena, e->after);
	w->reason = arena_strdup(c->arena, e->reason);
	w->hash.data = arena_alloc(c->arena, 32);
	if (w->user == NULL || w->action == NULL || w->entity == NULL ||
	    w->before == NULL || w->after == NULL || w->reason == NULL ||
	    w->hash.data == NULL)
		return c->failed = ERR_ALLOC;
	memcpy(w->hash.data, e->hash, 32);
	w->hash.len = 32;
	c->entries[c->n++] = w;
	return 0;
}

static int
cmd_audit_list(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__AuditListRequest *a = req->audit_list;
	struct audit_collect c = { .arena = ctx->arena };
	Tier__AuditListResponse *out;
	Tier__UnitKind kind;
	int64_t unit;
	int r, seen;

	r = store_audit_entity_unit(
	    ctx->srv->store, a->entity, (int64_t)a->entity_id, &kind, &unit);
	if (r == ERR_INVALID_ARG)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "audit_list.entity", "use candidate, customer or cycle",
		    "\"%.40s\" is not a kind of record with a history",
		    a->entity);
	if (r != 0 && r != ERR_NOT_FOUND)
		return r;
	seen = r == 0 && (kind == TIER__UNIT_KIND__UNIT_KIND_SEGMENT
				 ? scope_sees_segment(ctx->scope, unit)
				 : scope_sees_bu(ctx->scope, unit));
	if (!seen)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND,
		    "audit_list.entity_id", NULL, "no %s %llu", a->entity,
		    (unsigned long long)a->entity_id);
	r = store_audit_each(ctx->srv->store, a->entity, (int64_t)a->entity_id,
	    cmd_audit_collect_cb, &c);
	if (r != 0)
		return c.failed ? c.failed : r;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__audit_list_response__init(out);
	out->entries = c.entries;
	out->n_entries = c.n;
	resp->audit_list = out;
	return 0;
}

static int
cmd_audit_verify(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	Tier__AuditVerifyResponse *out;
	uint64_t entries, first_bad;
	uint8_t head[32];
	char problem[256];
	int ok, r;

	(void)req;
	r = audit_verify(ctx->srv->store, &ok, &entries, &first_bad, head,
	    problem, sizeof(problem));
	if (r != 0)
		return r;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__audit_verify_response__init(out);
	out->ok = ok;
	out->entries = entries;
	out->first_bad = first_bad;
	out->problem = arena_strdup(ctx->arena, problem);
	out->head_hash.data = arena_alloc(ctx->arena, 32);
	if (out->problem == NULL || out->head_hash.data == NULL)
		return ERR_ALLOC;
	memcpy(out->head_hash.data, head, 32);
	out->head_hash.len = 32;
	if (!ok)
		log_warn("audit: verification by %s failed: %s",
		    ctx->user->name, problem);
	resp->audit_verify = out;
	return 0;
}

const struct cmd_entry cmd_audit_list_entry = {
	.name = "audit_list",
	.request = TIER__REQUEST__BODY_AUDIT_LIST,
	.response = TIER__RESPONSE__BODY_AUDIT_LIST,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_audit_list,
};

const struct cmd_entry cmd_audit_verify_entry = {
	.name = "audit_verify",
	.request = TIER__REQUEST__BODY_AUDIT_VERIFY,
	.response = TIER__RESPONSE__BODY_AUDIT_VERIFY,
	.flags = 0,
	.roles = CMD_ROLE(TIER__ROLE__ROLE_AUDITOR) |
		 CMD_ROLE(TIER__ROLE__ROLE_ADMIN),
	.handler = cmd_audit_verify,
};
