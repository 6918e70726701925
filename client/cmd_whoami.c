/*
 * "tier whoami": the user this client's key is enrolled as, asked of the
 * server, which alone knows.
 */
#include "tier.h"

int
cmd_whoami_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__WhoamiRequest body = TIER__WHOAMI_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	int r;

	if ((r = cmd_parse_plain(self, argc, argv, c, 0, 0)) != CMD_CONTINUE)
		return r;

	req.body_case = TIER__REQUEST__BODY_WHOAMI;
	req.whoami = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		goto out;
	if (resp->whoami->user == NULL) {
		output_error(NULL, "the server sent no user");
		r = EXIT_OTHER;
		goto out;
	}
	if (c->output == CFG_OUTPUT_JSON) {
		if (output_json_print(json_pack("{s:o}", "user",
			output_json_user(resp->whoami->user))) != 0)
			r = EXIT_OTHER;
	} else
		output_user_fields(stdout, resp->whoami->user);
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}
