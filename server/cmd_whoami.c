/*
 * whoami: the user this connection is authenticated as.
 */
#include "tierd.h"

static int
cmd_whoami(struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	Tier__WhoamiResponse *w;

	(void)req;
	if ((w = arena_alloc(ctx->arena, sizeof(*w))) == NULL)
		return ERR_ALLOC;
	tier__whoami_response__init(w);
	if ((w->user = cmd_user_to_wire(ctx->arena, ctx->user)) == NULL)
		return ERR_ALLOC;
	resp->whoami = w;
	return 0;
}

const struct cmd_entry cmd_whoami_entry = {
	.name = "whoami",
	.request = TIER__REQUEST__BODY_WHOAMI,
	.response = TIER__RESPONSE__BODY_WHOAMI,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_whoami,
};
