/*
 * "tier user add|code|list": user administration. The server decides who
 * may do it and whether names, roles and scopes are acceptable; this file
 * only parses the command line and shows the answer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tier.h"

enum {
	USER_OPT_ROLE = 0x200,
	USER_OPT_SCOPE,
	USER_OPT_DISPLAY_NAME,
	USER_OPT_CODE_TTL,
	USER_OPT_PAGE_SIZE,
};

int
cmd_user_parse_ttl(const char *text, uint32_t *out)
{
	unsigned long long n, unit = 1;
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return ERR_INVALID_ARG;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno != 0)
		return ERR_INVALID_ARG;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		return ERR_INVALID_ARG;
	}
	if (*end != '\0' && end[1] != '\0')
		return ERR_INVALID_ARG;
	if (n == 0 || n > UINT32_MAX / unit)
		return ERR_INVALID_ARG;
	*out = (uint32_t)(n * unit);
	return 0;
}

/* Prints a freshly issued code the way an administrator passes it on. */
static int
user_print_code(const struct cfg *c, const Tier__User *u, const char *code,
    int64_t expires, const char *server)
{
	char when[OUTPUT_TIME_SIZE];

	if (c->output == CFG_OUTPUT_JSON)
		return output_json_print(json_pack("{s:o, s:s, s:o, s:s}",
			   "user", output_json_user(u), "code", code,
			   "code_expires_at", output_json_time(expires),
			   "server", server)) == 0
			   ? EXIT_OK
			   : EXIT_OTHER;
	output_time(expires, when);
	output_user_fields(stdout, u);
	output_field(stdout, "code", code);
	output_field(stdout, "expires", when);
	printf("\nThe user enrols with:\n  tier --server %s enroll %s\n",
	    server, code);
	return EXIT_OK;
}

/* The option loop shared by add and code: --code-ttl and the globals. */
static int
user_ttl_option(const struct cmd_entry *self, int ch, char **argv,
    struct cfg *c, uint32_t *ttl)
{
	if (ch != USER_OPT_CODE_TTL)
		return cmd_option(self, ch, argv, c);
	if (cmd_user_parse_ttl(optarg, ttl) != 0)
		return cmd_usage_error(self,
		    "--code-ttl '%s' is not a duration: use seconds or a "
		    "number with s, m, h or d, e.g. 30m or 2d",
		    optarg);
	return 0;
}

int
cmd_user_add_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "role", required_argument, NULL, USER_OPT_ROLE },
		{ "scope", required_argument, NULL, USER_OPT_SCOPE },
		{ "display-name", required_argument, NULL,
		    USER_OPT_DISPLAY_NAME },
		{ "code-ttl", required_argument, NULL, USER_OPT_CODE_TTL },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__UserAddRequest body = TIER__USER_ADD_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case USER_OPT_ROLE:
			if (msg_role_parse(optarg, &body.role) != 0)
				return cmd_usage_error(self,
				    "unknown role '%s': use one of %s", optarg,
				    msg_role_names());
			break;
		case USER_OPT_SCOPE:
			body.scope = optarg;
			break;
		case USER_OPT_DISPLAY_NAME:
			body.display_name = optarg;
			break;
		default:
			if ((r = user_ttl_option(self, ch, argv, c,
				 &body.code_ttl_seconds)) != 0)
				return r;
		}
	}
	if (optind == argc)
		return cmd_usage_error(self, "missing the user NAME");
	if (optind + 1 != argc)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind + 1]);
	if (body.role == TIER__ROLE__ROLE_UNSPECIFIED)
		return cmd_usage_error(
		    self, "missing --role: use one of %s", msg_role_names());
	body.name = argv[optind];
	if ((r = cmd_configure(c)) != 0)
		return r;

	req.body_case = TIER__REQUEST__BODY_USER_ADD;
	req.user_add = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		goto out;
	if (resp->user_add->user == NULL) {
		output_error(NULL, "the server sent no user");
		r = EXIT_OTHER;
		goto out;
	}
	r = user_print_code(c, resp->user_add->user, resp->user_add->code,
	    resp->user_add->code_expires_at, conn_address(conn));
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

int
cmd_user_code_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "code-ttl", required_argument, NULL, USER_OPT_CODE_TTL },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__UserCodeRequest body = TIER__USER_CODE_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	char when[OUTPUT_TIME_SIZE];
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cmd_print_help(stdout, self);
		if ((r = user_ttl_option(
			 self, ch, argv, c, &body.code_ttl_seconds)) != 0)
			return r;
	}
	if (optind == argc)
		return cmd_usage_error(self, "missing the user NAME");
	if (optind + 1 != argc)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind + 1]);
	body.name = argv[optind];
	if ((r = cmd_configure(c)) != 0)
		return r;

	req.body_case = TIER__REQUEST__BODY_USER_CODE;
	req.user_code = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		goto out;
	if (c->output == CFG_OUTPUT_JSON) {
		if (output_json_print(
			json_pack("{s:s, s:s, s:o, s:s}", "user", body.name,
			    "code", resp->user_code->code, "code_expires_at",
			    output_json_time(resp->user_code->code_expires_at),
			    "server", conn_address(conn))) != 0)
			r = EXIT_OTHER;
		goto out;
	}
	output_time(resp->user_code->code_expires_at, when);
	output_field(stdout, "name", body.name);
	output_field(stdout, "code", resp->user_code->code);
	output_field(stdout, "expires", when);
	printf("\nThe user enrols with:\n  tier --server %s enroll %s\n",
	    conn_address(conn), resp->user_code->code);
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

/* Adds one page of users to the table or the JSON array. */
static int
user_list_page(
    const Tier__UserListResponse *page, struct output_table *t, json_t *arr)
{
	char when[OUTPUT_TIME_SIZE];
	size_t i;

	for (i = 0; i < page->n_users; i++) {
		const Tier__User *u = page->users[i];

		if (arr != NULL) {
			if (json_array_append_new(arr, output_json_user(u)) !=
			    0)
				return ERR_ALLOC;
			continue;
		}
		if (u->enrolled_at != 0)
			output_time(u->enrolled_at, when);
		else
			snprintf(when, sizeof(when), "not yet");
		const char *cells[] = { u->name, msg_role_name(u->role),
			u->scope, when, u->display_name };
		if (output_table_add(t, cells) != 0)
			return ERR_ALLOC;
		if (u->enrolled_at == 0)
			output_table_style(t, 3, OUTPUT_STYLE_WARN);
	}
	return 0;
}

int
cmd_user_list_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "page-size", required_argument, NULL, USER_OPT_PAGE_SIZE },
		{ NULL, 0, NULL, 0 } };
	static const char *const headers[] = { "NAME", "ROLE", "SCOPE",
		"ENROLLED", "DISPLAY NAME" };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__UserListRequest body = TIER__USER_LIST_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct output_table *t = NULL;
	struct conn *conn = NULL;
	json_t *arr = NULL;
	char *after = NULL, *end;
	unsigned long n;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case USER_OPT_PAGE_SIZE:
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || n < 1 || n > 1000 ||
			    optarg[0] < '0' || optarg[0] > '9')
				return cmd_usage_error(self,
				    "--page-size '%s' is not a number from 1 "
				    "to 1000",
				    optarg);
			body.page_size = (uint32_t)n;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (optind != argc)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind]);
	if ((r = cmd_configure(c)) != 0)
		return r;

	if (c->output == CFG_OUTPUT_JSON)
		arr = json_array();
	else if (output_table_new(&t, 5, headers) != 0)
		t = NULL;
	if (arr == NULL && t == NULL) {
		output_error(NULL, "out of memory");
		return EXIT_OTHER;
	}
	req.body_case = TIER__REQUEST__BODY_USER_LIST;
	req.user_list = &body;
	do {
		body.page_after = after != NULL ? after : "";
		if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
			goto out;
		if (user_list_page(resp->user_list, t, arr) != 0) {
			output_error(NULL, "out of memory");
			r = EXIT_OTHER;
			goto out;
		}
		free(after);
		after = NULL;
		if (*resp->user_list->next_page_after != '\0' &&
		    (after = strdup(resp->user_list->next_page_after)) ==
			NULL) {
			output_error(NULL, "out of memory");
			r = EXIT_OTHER;
			goto out;
		}
		tier__response__free_unpacked(resp, NULL);
		resp = NULL;
	} while (after != NULL);

	if (arr != NULL) {
		r = output_json_print(json_pack("{s:O}", "users", arr)) == 0
			? EXIT_OK
			: EXIT_OTHER;
	} else
		output_table_print(t, stdout);
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	json_decref(arr);
	output_table_free(t);
	conn_free(conn);
	free(after);
	return r;
}
