/*
 * "tier enroll CODE": the first contact of a new client. Makes the identity
 * key if there is none, redeems the code so the server binds the key to its
 * user, and remembers the server address for later commands.
 */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tier.h"

/* The code as typed, possibly in several words: joined by dashes. */
static char *
cmd_enroll_join(int argc, char **argv)
{
	size_t len = 0;
	char *code;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((code = malloc(len + 1)) == NULL)
		return NULL;
	*code = '\0';
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strcat(code, "-");
		strcat(code, argv[i]);
	}
	return code;
}

int
cmd_enroll_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__EnrollRequest body = TIER__ENROLL_REQUEST__INIT;
	Tier__Response *resp = NULL;
	const Tier__User *u;
	struct keypair *kp = NULL;
	struct conn *conn = NULL;
	char *code = NULL;
	int r, created = 0, saved = 0;

	if ((r = cmd_parse_plain(self, argc, argv, c, 1, INT_MAX)) !=
	    CMD_CONTINUE)
		return r;
	if (c->server == NULL)
		return cmd_usage_error(self,
		    "no server configured: use --server HOST:PORT or set "
		    "TIER_SERVER");
	if ((code = cmd_enroll_join(argc - optind, argv + optind)) == NULL) {
		output_error(NULL, "out of memory");
		return EXIT_OTHER;
	}

	if ((r = conn_key_load(c, &kp, 1, &created)) != 0)
		goto out;
	if ((r = conn_open(&conn, c, kp)) != 0)
		goto out;
	body.code = code;
	req.body_case = TIER__REQUEST__BODY_ENROLL;
	req.enroll = &body;
	if ((r = conn_call(conn, &req, &resp)) != 0)
		goto out;
	if ((u = resp->enroll->user) == NULL) {
		output_error(NULL, "the server sent no user");
		r = EXIT_OTHER;
		goto out;
	}

	/* Later commands then need no --server. */
	if (!c->server_in_file) {
		if (cfg_save_server(c, conn_address(conn)) == 0)
			saved = 1;
		else
			output_warn("could not save the server address in %s; "
				    "keep using --server or TIER_SERVER",
			    c->file);
	}

	if (c->output == CFG_OUTPUT_JSON) {
		if (output_json_print(json_pack("{s:o, s:s, s:b, s:b}", "user",
			output_json_user(u), "server", conn_address(conn),
			"key_created", created, "server_saved", saved)) != 0)
			r = EXIT_OTHER;
		goto out;
	}
	if (saved)
		output_note(
		    "saved server %s in %s", conn_address(conn), c->file);
	fputs("enrolled as ", stdout);
	output_text(stdout, u->name);
	printf(" (%s", msg_role_name(u->role));
	if (u->scope != NULL && *u->scope != '\0') {
		fputs(", ", stdout);
		output_text(stdout, u->scope);
	}
	fputs(")\n", stdout);
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	keys_free(kp);
	free(code);
	return r;
}
