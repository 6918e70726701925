/*
 * enroll: binds the key of an unregistered connection to the user an
 * enrolment code was issued for, and authenticates the connection.
 */
#include "tierd.h"

#include <jansson.h>

#include <stdio.h>
#include <time.h>

static const char cmd_enroll_hint[] =
    "ask an administrator for a new code: tier user code NAME";

static int
cmd_enroll(struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	struct store *st = ctx->srv->store;
	enum store_code_status status;
	Tier__EnrollResponse *e;
	struct store_user u;
	uint8_t hash[32];
	int64_t user_id = 0, expired_at = 0;
	char when[32];
	struct tm tm;
	time_t t;
	json_t *after;
	int r;

	if (enrol_hash(req->enroll->code, hash) != 0)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "enroll.code",
		    "a code has 16 letters and digits, like "
		    "ABCD-EFGH-JKMN-PQRS",
		    "\"%.40s\" is not an enrolment code", req->enroll->code);
	r = store_code_redeem(
	    st, hash, ctx->now, &user_id, &status, &expired_at);
	if (r != 0)
		return r;
	switch (status) {
	case STORE_CODE_OK:
		break;
	case STORE_CODE_UNKNOWN:
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_ENROLMENT_REFUSED,
		    "enroll.code", cmd_enroll_hint,
		    "enrolment code is unknown (mistyped, or replaced by a "
		    "newer code)");
	case STORE_CODE_USED:
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_ENROLMENT_REFUSED,
		    "enroll.code", cmd_enroll_hint,
		    "enrolment code has already been used");
	case STORE_CODE_EXPIRED:
		t = (time_t)expired_at;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_ENROLMENT_REFUSED,
		    "enroll.code", cmd_enroll_hint,
		    "enrolment code expired at %s", when);
	}

	r = store_user_bind_key(
	    st, user_id, session_peer_key(ctx->session), ctx->now);
	if (r == ERR_EXISTS)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_ALREADY_EXISTS, "",
		    "each user needs a key of its own: enrol with another "
		    "key (tier --config-dir DIR enroll CODE)",
		    "this key already belongs to another user");
	if (r != 0)
		return r;
	if ((r = store_user_get(st, user_id, &u)) != 0)
		return r;

	if ((e = arena_alloc(ctx->arena, sizeof(*e))) == NULL)
		return ERR_ALLOC;
	tier__enroll_response__init(e);
	if ((e->user = cmd_user_to_wire(ctx->arena, &u)) == NULL)
		return ERR_ALLOC;
	resp->enroll = e;
	/* The entry is the new user's own act. */
	ctx->user = &u;
	after = cmd_user_json(&u);
	r = after ? audit_record_json(
			ctx, "user.enroll", "user", u.id, NULL, after, "")
		  : ERR_ALLOC;
	json_decref(after);
	ctx->user = NULL;
	if (r != 0)
		return r;
	/* Undone by the commit queue (the session is closed) if the commit
	 * fails. */
	session_authenticate(ctx->session, &u);
	return 0;
}

const struct cmd_entry cmd_enroll_entry = {
	.name = "enroll",
	.request = TIER__REQUEST__BODY_ENROLL,
	.response = TIER__RESPONSE__BODY_ENROLL,
	.flags = CMD_WRITE | CMD_ANONYMOUS,
	.roles = 0,
	.handler = cmd_enroll,
};
