/*
 * user add, user code, user list: the administrator's user management. Names,
 * roles and scopes are validated here, where they enter the database.
 */
#include "tierd.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>

#define USER_PAGE_DEFAULT 100
#define USER_PAGE_MAX     1000

/* Login names: 1-64 of [a-z0-9._-], starting with a letter or digit. */
int
cmd_user_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || strchr("._-", c) == NULL))
			return 0;
	}
	return 1;
}

json_t *
cmd_user_json(const struct store_user *u)
{
	char fp[KEYS_FINGERPRINT_SIZE] = "";

	if (u->has_key)
		keys_fingerprint(u->public_key, fp);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", u->name, "role",
	    msg_role_name(u->role), "scope", u->scope, "display_name",
	    u->display_name, "key", fp);
}

/* Audits a change to u; the entry never holds a code. */
static int
user_audit(struct cmd_ctx *ctx, const char *action, const struct store_user *u,
    const char *reason)
{
	json_t *after = cmd_user_json(u);
	int r;

	r = after ? audit_record_json(
			ctx, action, "user", u->id, NULL, after, reason)
		  : ERR_ALLOC;
	json_decref(after);
	return r;
}

/* Free text: well-formed UTF-8 without control characters. */
static int
user_text_valid(const char *text, size_t max)
{
	return msg_text_valid(text, max);
}

/*
 * Checks that scope has the form the role needs (see PROTOCOL.md, "Scopes").
 * Returns NULL, or a sentence saying what is wrong.
 */
static const char *
user_scope_check(Tier__Role role, const char *scope)
{
	const char *colon = strchr(scope, ':'), *names, *p;
	size_t kind_len = colon ? (size_t)(colon - scope) : strlen(scope);
	int all = strcmp(scope, "all") == 0;

	if (!user_text_valid(scope, 255))
		return "a scope is at most 255 characters without control "
		       "characters";
	if (role == TIER__ROLE__ROLE_ADMIN || role == TIER__ROLE__ROLE_AUDITOR)
		return all ? NULL : "admin and auditor have scope \"all\"";
	if (all)
		return "only admin and auditor may have scope \"all\"";
	if (colon == NULL || colon[1] == '\0')
		return "a scope is bg:NAME, bu:NAME or segments:NAME[,NAME...]";
	names = colon + 1;
	if (strncmp(scope, "segments", kind_len) == 0 && kind_len == 8) {
		if (role != TIER__ROLE__ROLE_SEGMENT_MGR &&
		    role != TIER__ROLE__ROLE_ACCOUNT_MGR &&
		    role != TIER__ROLE__ROLE_RESEARCHER)
			return "only segment_mgr, account_mgr and researcher "
			       "may have a segments: scope";
		for (p = names; *p != '\0'; p++) {
			if (*p == ',' &&
			    (p == names || p[1] == ',' || p[1] == '\0'))
				return "segment names in a scope may not be "
				       "empty";
		}
		return NULL;
	}
	if (strchr(names, ',') != NULL)
		return "bg: and bu: scopes name exactly one unit";
	if (kind_len == 2 && strncmp(scope, "bg", 2) == 0)
		return role == TIER__ROLE__ROLE_BG_VP
			   ? NULL
			   : "only bg_vp has a bg: scope";
	if (kind_len == 2 && strncmp(scope, "bu", 2) == 0)
		return role == TIER__ROLE__ROLE_BG_VP
			   ? "bg_vp needs a bg: scope"
			   : NULL;
	return "a scope is bg:NAME, bu:NAME or segments:NAME[,NAME...]";
}

/* Validates a code lifetime request; 0 means the configured default. */
static int
user_code_ttl(struct cmd_ctx *ctx, Tier__Response *resp, uint32_t asked,
    const char *field, long *ttl)
{
	if (asked == 0) {
		*ttl = ctx->srv->cfg.code_ttl;
		return 0;
	}
	if (asked > 30u * 86400)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, field,
		    "give at most 2592000 seconds (30 days)",
		    "enrolment code lifetime of %u seconds is too long", asked);
	*ttl = (long)asked;
	return 0;
}

static int
cmd_user_add(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__UserAddRequest *a = req->user_add;
	Tier__UserAddResponse *out;
	struct store_user u;
	const char *why, *scope;
	char code[ENROL_CODE_SIZE];
	int64_t expires_at;
	long ttl = 0;
	int r;

	if (!cmd_user_name_valid(a->name))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "user_add.name",
		    "use 1-64 of a-z, 0-9, '.', '_' and '-', starting with a "
		    "letter or digit",
		    "\"%.64s\" is not a valid user name", a->name);
	if (a->role == TIER__ROLE__ROLE_UNSPECIFIED ||
	    strcmp(msg_role_name(a->role), "unspecified") == 0)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "user_add.role",
		    msg_role_names(), "a user needs a role");
	memset(&u, 0, sizeof(u));
	scope = a->scope[0] == '\0' && (a->role == TIER__ROLE__ROLE_ADMIN ||
					   a->role == TIER__ROLE__ROLE_AUDITOR)
		    ? "all"
		    : a->scope;
	/* Checked before it is copied: nothing is silently cut short. */
	if ((why = user_scope_check(a->role, scope)) != NULL)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "user_add.scope",
		    why, "scope \"%.64s\" does not fit role %s", a->scope,
		    msg_role_name(a->role));
	snprintf(u.scope, sizeof(u.scope), "%s", scope);
	if (!user_text_valid(a->display_name, 128))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "user_add.display_name",
		    "use at most 128 bytes of text without control characters",
		    "display name is not acceptable");
	if ((r = user_code_ttl(ctx, resp, a->code_ttl_seconds,
		 "user_add.code_ttl_seconds", &ttl)) != 0)
		return r;

	snprintf(u.name, sizeof(u.name), "%s", a->name);
	snprintf(u.display_name, sizeof(u.display_name), "%s", a->display_name);
	u.role = a->role;
	u.created_at = ctx->now;
	r = store_user_insert(ctx->srv->store, &u);
	if (r == ERR_EXISTS)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_ALREADY_EXISTS,
		    "user_add.name",
		    "to give that user a new code: tier user code NAME",
		    "user %s already exists", a->name);
	if (r != 0)
		return r;
	if ((r = enrol_issue(
		 ctx->srv->store, u.id, ttl, ctx->now, code, &expires_at)) != 0)
		return r;

	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__user_add_response__init(out);
	out->user = cmd_user_to_wire(ctx->arena, &u);
	out->code = arena_strdup(ctx->arena, code);
	out->code_expires_at = expires_at;
	sodium_memzero(code, sizeof(code));
	if (out->user == NULL || out->code == NULL)
		return ERR_ALLOC;
	resp->user_add = out;
	if ((r = user_audit(ctx, "user.add", &u, NULL)) != 0)
		return r;
	cmd_log(ctx, "user %s added by %s (role %s, scope %s)", u.name,
	    ctx->user->name, msg_role_name(u.role), u.scope);
	return 0;
}

static int
cmd_user_code(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__UserCodeRequest *a = req->user_code;
	Tier__UserCodeResponse *out;
	struct store_user u;
	char code[ENROL_CODE_SIZE];
	int64_t expires_at;
	long ttl = 0;
	int r;

	if ((r = user_code_ttl(ctx, resp, a->code_ttl_seconds,
		 "user_code.code_ttl_seconds", &ttl)) != 0)
		return r;
	r = store_user_by_name(ctx->srv->store, a->name, &u);
	if (r == ERR_NOT_FOUND)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND, "user_code.name",
		    "tier user list shows the users", "no user named \"%.64s\"",
		    a->name);
	if (r != 0)
		return r;
	if ((r = enrol_issue(
		 ctx->srv->store, u.id, ttl, ctx->now, code, &expires_at)) != 0)
		return r;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__user_code_response__init(out);
	out->code = arena_strdup(ctx->arena, code);
	out->code_expires_at = expires_at;
	sodium_memzero(code, sizeof(code));
	if (out->code == NULL)
		return ERR_ALLOC;
	resp->user_code = out;
	if ((r = user_audit(ctx, "user.code", &u, "new enrolment code")) != 0)
		return r;
	cmd_log(ctx, "new enrolment code for %s issued by %s", u.name,
	    ctx->user->name);
	return 0;
}

static int
cmd_user_list(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__UserListRequest *a = req->user_list;
	Tier__UserListResponse *out;
	struct store_user *users = NULL;
	unsigned limit = a->page_size ? a->page_size : USER_PAGE_DEFAULT;
	size_t i, n = 0;
	int r;

	if (limit > USER_PAGE_MAX)
		limit = USER_PAGE_MAX;
	/* One extra row tells whether another page follows. */
	if ((r = store_user_list(
		 ctx->srv->store, a->page_after, limit + 1, &users, &n)) != 0)
		return r;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	tier__user_list_response__init(out);
	out->next_page_after = "";
	if (n > limit) {
		n = limit;
		out->next_page_after =
		    arena_strdup(ctx->arena, users[n - 1].name);
	}
	out->users = arena_alloc(ctx->arena, (n ? n : 1) * sizeof(*out->users));
	if (out->users == NULL || out->next_page_after == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((out->users[i] = cmd_user_to_wire(ctx->arena, &users[i])) ==
		    NULL) {
			r = ERR_ALLOC;
			goto out;
		}
	}
	out->n_users = n;
	resp->user_list = out;
out:
	free(users);
	return r;
}

const struct cmd_entry cmd_user_add_entry = {
	.name = "user_add",
	.request = TIER__REQUEST__BODY_USER_ADD,
	.response = TIER__RESPONSE__BODY_USER_ADD,
	.flags = CMD_WRITE,
	.roles = CMD_ROLE(TIER__ROLE__ROLE_ADMIN),
	.handler = cmd_user_add,
};

const struct cmd_entry cmd_user_code_entry = {
	.name = "user_code",
	.request = TIER__REQUEST__BODY_USER_CODE,
	.response = TIER__RESPONSE__BODY_USER_CODE,
	.flags = CMD_WRITE,
	.roles = CMD_ROLE(TIER__ROLE__ROLE_ADMIN),
	.handler = cmd_user_code,
};

const struct cmd_entry cmd_user_list_entry = {
	.name = "user_list",
	.request = TIER__REQUEST__BODY_USER_LIST,
	.response = TIER__RESPONSE__BODY_USER_LIST,
	.flags = 0,
	.roles = CMD_ROLE(TIER__ROLE__ROLE_ADMIN) |
		 CMD_ROLE(TIER__ROLE__ROLE_AUDITOR),
	.handler = cmd_user_list,
};
