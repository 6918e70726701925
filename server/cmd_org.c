/*
 * org add, org list: the organisation's business groups, business units and
 * market segments. Unit names are checked here, where they enter the
 * database; also the free-text check the other workflow handlers share.
 */
#include "tierd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORG_NAME_MAX 64 /* characters in a unit name */

_Static_assert(STORE_UNIT_NAME_SIZE > ORG_NAME_MAX * 4,
    "a unit name of ORG_NAME_MAX characters fits struct store_unit");

const char *
cmd_org_kind_name(Tier__UnitKind kind)
{
	switch (kind) {
	case TIER__UNIT_KIND__UNIT_KIND_BG:
		return "BG";
	case TIER__UNIT_KIND__UNIT_KIND_BU:
		return "BU";
	case TIER__UNIT_KIND__UNIT_KIND_SEGMENT:
		return "segment";
	default:
		return "unit";
	}
}

/* The unit with id in units, or NULL. */
static const struct store_unit *
org_find(const struct store_unit *units, size_t n, int64_t id)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (units[i].id == id)
			return &units[i];
	}
	return NULL;
}

static Tier__Unit *
org_unit_to_wire(
    struct arena *a, const struct store_unit *u, const char *parent)
{
	Tier__Unit *w;

	if ((w = arena_alloc(a, sizeof(*w))) == NULL)
		return NULL;
	tier__unit__init(w);
	w->id = (uint64_t)u->id;
	w->kind = u->kind;
	w->name = arena_strdup(a, u->name);
	w->parent = arena_strdup(a, parent);
	if (w->name == NULL || w->parent == NULL)
		return NULL;
	return w;
}

/* Why name cannot be a unit name, or NULL when it can. */
static const char *
org_name_problem(const char *name)
{
	size_t len = strlen(name);

	if (len == 0)
		return "a unit needs a name";
	if (!msg_chars_valid(name, ORG_NAME_MAX))
		return "a unit name is 1-64 characters of UTF-8 text without "
		       "control characters";
	if (strpbrk(name, ",:") != NULL)
		return "a unit name may not contain ',' or ':' (scopes use "
		       "them)";
	if (name[0] == ' ' || name[len - 1] == ' ')
		return "a unit name may not start or end with a space";
	return NULL;
}

static int
cmd_org_add(struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__OrgAddRequest *a = req->org_add;
	Tier__UnitKind parent_kind = TIER__UNIT_KIND__UNIT_KIND_UNSPECIFIED;
	struct store *st = ctx->srv->store;
	struct store_unit u, parent;
	Tier__OrgAddResponse *out;
	json_t *after = NULL;
	const char *why;
	int r;

	switch (a->kind) {
	case TIER__UNIT_KIND__UNIT_KIND_BG:
		break;
	case TIER__UNIT_KIND__UNIT_KIND_BU:
		parent_kind = TIER__UNIT_KIND__UNIT_KIND_BG;
		break;
	case TIER__UNIT_KIND__UNIT_KIND_SEGMENT:
		parent_kind = TIER__UNIT_KIND__UNIT_KIND_BU;
		break;
	default:
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "org_add.kind",
		    "use bg, bu or segment", "a unit needs a kind");
	}
	if ((why = org_name_problem(a->name)) != NULL)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "org_add.name",
		    why, "\"%.64s\" is not a valid %s name", a->name,
		    cmd_org_kind_name(a->kind));
	memset(&u, 0, sizeof(u));
	memset(&parent, 0, sizeof(parent));
	if (parent_kind == TIER__UNIT_KIND__UNIT_KIND_UNSPECIFIED &&
	    a->parent[0] != '\0')
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "org_add.parent",
		    "leave out --parent for a BG", "a BG has no parent unit");
	if (parent_kind != TIER__UNIT_KIND__UNIT_KIND_UNSPECIFIED) {
		if (a->parent[0] == '\0')
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
			    "org_add.parent",
			    a->kind == TIER__UNIT_KIND__UNIT_KIND_BU
				? "name the BG it belongs to: --parent BG"
				: "name the BU it belongs to: --parent BU",
			    "a %s needs a parent %s",
			    cmd_org_kind_name(a->kind),
			    cmd_org_kind_name(parent_kind));
		r = store_unit_by_name(st, parent_kind, a->parent, &parent);
		if (r == ERR_NOT_FOUND)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND,
			    "org_add.parent", "tier org list shows the units",
			    "no %s \"%.64s\"", cmd_org_kind_name(parent_kind),
			    a->parent);
		if (r != 0)
			return r;
	}

	u.kind = a->kind;
	snprintf(u.name, sizeof(u.name), "%s", a->name);
	u.parent_id = parent.id;
	r = store_unit_insert(st, &u, ctx->now);
	if (r == ERR_EXISTS)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_ALREADY_EXISTS, "org_add.name",
		    "unit names are unique among units of a kind",
		    "%s \"%s\" already exists", cmd_org_kind_name(u.kind),
		    u.name);
	if (r != 0)
		return r;
	after = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)u.id,
	    "kind", cmd_org_kind_name(u.kind), "name", u.name, "parent",
	    parent.name);
	if (after == NULL)
		return ERR_ALLOC;
	r = audit_record_json(ctx, "unit.add", "unit", u.id, NULL, after, "");
	json_decref(after);
	if (r != 0)
		return r;

	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__org_add_response__init(out);
	if ((out->unit = org_unit_to_wire(ctx->arena, &u, parent.name)) == NULL)
		return ERR_ALLOC;
	resp->org_add = out;
	cmd_log(ctx, "%s %s added by %s", cmd_org_kind_name(u.kind), u.name,
	    ctx->user->name);
	return 0;
}

/* 1 if the user sees unit u (a BG through any BU of it in scope). */
static int
org_visible(const struct scope *sc, const struct store_unit *units, size_t n,
    const struct store_unit *u)
{
	size_t i;

	switch (u->kind) {
	case TIER__UNIT_KIND__UNIT_KIND_SEGMENT:
		return scope_sees_segment(sc, u->id);
	case TIER__UNIT_KIND__UNIT_KIND_BU:
		return scope_sees_bu(sc, u->id);
	default:
		if (sc->all || sc->bg == u->id)
			return 1;
		for (i = 0; i < n; i++) {
			if (units[i].kind == TIER__UNIT_KIND__UNIT_KIND_BU &&
			    units[i].parent_id == u->id &&
			    scope_sees_bu(sc, units[i].id))
				return 1;
		}
		return 0;
	}
}

static int
cmd_org_list(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	Tier__OrgListResponse *out;
	struct store_unit *units = NULL;
	const struct store_unit *parent;
	size_t i, n = 0;
	int r;

	(void)req;
	if ((r = store_unit_all(ctx->srv->store, &units, &n)) != 0)
		return r;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	tier__org_list_response__init(out);
	out->units = arena_alloc(ctx->arena, (n ? n : 1) * sizeof(*out->units));
	if (out->units == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	/* store_unit_all orders BGs, BUs, segments, each by name. */
	for (i = 0; i < n; i++) {
		if (!org_visible(ctx->scope, units, n, &units[i]))
			continue;
		parent = org_find(units, n, units[i].parent_id);
		out->units[out->n_units] = org_unit_to_wire(
		    ctx->arena, &units[i], parent ? parent->name : "");
		if (out->units[out->n_units++] == NULL) {
			r = ERR_ALLOC;
			goto out;
		}
	}
	resp->org_list = out;
out:
	free(units);
	return r;
}

const struct cmd_entry cmd_org_add_entry = {
	.name = "org_add",
	.request = TIER__REQUEST__BODY_ORG_ADD,
	.response = TIER__RESPONSE__BODY_ORG_ADD,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = CMD_ROLE(TIER__ROLE__ROLE_ADMIN),
	.handler = cmd_org_add,
};

const struct cmd_entry cmd_org_list_entry = {
	.name = "org_list",
	.request = TIER__REQUEST__BODY_ORG_LIST,
	.response = TIER__RESPONSE__BODY_ORG_LIST,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_org_list,
};
