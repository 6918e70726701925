/*
 * audit_list and audit_verify: reading the audit log. The history of one
 * record is shown to whoever can see the record (a cycle's without the
 * quotas of segments the reader cannot see); verifying the whole chain is
 * for auditors and administrators.
 */
#include "tierd.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Collects entries into the response, copying into the arena. */
struct audit_collect {
	struct arena *arena;
	Tier__AuditEntry **entries;
	size_t n, cap;
	int failed; /* ERR_ALLOC once out of memory */
	/* Set when the reader sees only part of a cycle's BU: the quotas of
	 * the segments it does not see are left out of each entry. */
	const struct scope *scope;
	const struct store_unit *units; /* every unit, to name segments */
	size_t nunits;
};

/* 1 if the reader sees the segment of that name. */
static int
cmd_audit_sees_segment(const struct audit_collect *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nunits; i++) {
		if (c->units[i].kind == TIER__UNIT_KIND__UNIT_KIND_SEGMENT &&
		    strcmp(c->units[i].name, name) == 0)
			return scope_sees_segment(c->scope, c->units[i].id);
	}
	return 0;
}

/*
 * A cycle's JSON as the reader may see it, in the arena: its "quotas"
 * without the segments outside the reader's scope (org_list and cycle_get
 * hide those too). Text that is not such a JSON object is kept as it is.
 */
static char *
cmd_audit_redact(struct audit_collect *c, const char *text)
{
	json_t *doc, *quotas, *v;
	const char *key;
	char *out, *dumped;
	void *tmp;

	if (c->scope == NULL || text[0] == '\0')
		return arena_strdup(c->arena, text);
	if ((doc = json_loads(text, 0, NULL)) == NULL)
		return arena_strdup(c->arena, text);
	quotas = json_object_get(doc, "quotas");
	if (!json_is_object(quotas)) {
		json_decref(doc);
		return arena_strdup(c->arena, text);
	}
	json_object_foreach_safe(quotas, tmp, key, v)
	{
		if (!cmd_audit_sees_segment(c, key))
			json_object_del(quotas, key);
	}
	dumped =
	    json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(doc);
	if (dumped == NULL)
		return NULL;
	out = arena_strdup(c->arena, dumped);
	free(dumped);
	return out;
}

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
	w->before = cmd_audit_redact(c, e->before);
	w->after = cmd_audit_redact(c, e->after);
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

/* Entities of the organisation itself rather than of a unit. */
static int
cmd_audit_org_entity(const char *entity)
{
	return strcmp(entity, "user") == 0 || strcmp(entity, "unit") == 0 ||
	       strcmp(entity, "delegation") == 0;
}

static int
cmd_audit_list(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__AuditListRequest *a = req->audit_list;
	struct audit_collect c = { .arena = ctx->arena };
	Tier__AuditListResponse *out;
	struct store_unit *units = NULL;
	Tier__UnitKind kind;
	size_t nunits = 0;
	int64_t unit;
	int r, seen;

	r = store_audit_entity_unit(
	    ctx->srv->store, a->entity, (int64_t)a->entity_id, &kind, &unit);
	if (r == ERR_INVALID_ARG && ctx->scope->all &&
	    cmd_audit_org_entity(a->entity)) {
		/* Users, units and delegations belong to no unit: their
		 * history is for those who see everything. */
		r = 0;
		kind = TIER__UNIT_KIND__UNIT_KIND_UNSPECIFIED;
		unit = 0;
	} else if (r == ERR_INVALID_ARG)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "audit_list.entity",
		    ctx->scope->all
			? "use candidate, customer, cycle, visit, complaint, "
			  "inquiry, user, unit or delegation"
			: "use candidate, customer, cycle, visit, complaint or "
			  "inquiry",
		    "\"%.40s\" is not a kind of record with a history",
		    a->entity);
	if (r != 0 && r != ERR_NOT_FOUND)
		return r;
	if (r == 0 && kind == TIER__UNIT_KIND__UNIT_KIND_UNSPECIFIED)
		seen = 1;
	else
		seen = r == 0 && (kind == TIER__UNIT_KIND__UNIT_KIND_SEGMENT
					 ? scope_sees_segment(ctx->scope, unit)
					 : scope_sees_bu(ctx->scope, unit));
	if (!seen)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND,
		    "audit_list.entity_id", NULL, "no %s %llu", a->entity,
		    (unsigned long long)a->entity_id);
	if (strcmp(a->entity, "cycle") == 0 &&
	    !scope_covers_bu(ctx->scope, unit)) {
		if ((r = store_unit_all(ctx->srv->store, &units, &nunits)) != 0)
			return r;
		c.scope = ctx->scope;
		c.units = units;
		c.nunits = nunits;
	}
	r = store_audit_each(ctx->srv->store, a->entity, (int64_t)a->entity_id,
	    cmd_audit_collect_cb, &c);
	free(units);
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
