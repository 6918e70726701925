/*
 * status: what this tierd is, how it is reached, and how busy it is.
 */
#include "tierd.h"

#include <string.h>

static int
cmd_status(struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	Tier__StatusResponse *st;
	struct server *srv = ctx->srv;

	(void)req;
	if ((st = arena_alloc(ctx->arena, sizeof(*st))) == NULL)
		return ERR_ALLOC;
	tier__status_response__init(st);
	st->server_version = TIER_VERSION;
	st->protocol_version = MSG_PROTOCOL_VERSION;
	st->server_name = srv->cfg.name;
	st->cipher_suite = NOISE_TIER_PROTOCOL;
	st->server_public_key.data = srv->key->pub;
	st->server_public_key.len = KEYS_LEN;
	st->started_at = srv->started_at;
	st->now = ctx->now;
	st->connections = srv->nsessions;
	st->schema_version = (uint32_t)store_schema_version(srv->store);
	st->store = (char *)store_engine();
	resp->status = st;
	return 0;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.request = TIER__REQUEST__BODY_STATUS,
	.response = TIER__RESPONSE__BODY_STATUS,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_status,
};
