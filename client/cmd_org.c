/*
 * "tier org add|list": the business groups, business units and market
 * segments of the organisation. The server checks names and parents; this
 * file parses the command line and shows the answer.
 */
#include <getopt.h>
#include <string.h>

#include "err.h"
#include "tier.h"

enum {
	ORG_OPT_PARENT = 0x200,
};

/* The kind as typed: bg, bu or segment. */
static int
org_kind_parse(const char *text, Tier__UnitKind *out)
{
	if (strcmp(text, "bg") == 0)
		*out = TIER__UNIT_KIND__UNIT_KIND_BG;
	else if (strcmp(text, "bu") == 0)
		*out = TIER__UNIT_KIND__UNIT_KIND_BU;
	else if (strcmp(text, "segment") == 0)
		*out = TIER__UNIT_KIND__UNIT_KIND_SEGMENT;
	else
		return ERR_INVALID_ARG;
	return 0;
}

int
cmd_org_add_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "parent", required_argument, NULL, ORG_OPT_PARENT },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__OrgAddRequest body = TIER__ORG_ADD_REQUEST__INIT;
	Tier__Response *resp = NULL;
	const Tier__Unit *u;
	struct conn *conn = NULL;
	char kind[16];
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case ORG_OPT_PARENT:
			body.parent = optarg;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc - optind < 2)
		return cmd_usage_error(self, "missing the kind and the NAME");
	if (argc - optind > 2)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind + 2]);
	if (org_kind_parse(argv[optind], &body.kind) != 0)
		return cmd_usage_error(self,
		    "unknown kind '%s': use bg, bu or segment", argv[optind]);
	body.name = argv[optind + 1];
	if (body.kind != TIER__UNIT_KIND__UNIT_KIND_BG && *body.parent == '\0')
		return cmd_usage_error(self, "a %s needs --parent %s",
		    argv[optind],
		    body.kind == TIER__UNIT_KIND__UNIT_KIND_BU ? "BG" : "BU");
	if ((r = cmd_configure(c)) != 0)
		return r;

	req.body_case = TIER__REQUEST__BODY_ORG_ADD;
	req.org_add = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		goto out;
	if ((u = resp->org_add->unit) == NULL) {
		output_error(NULL, "the server sent no unit");
		r = EXIT_OTHER;
		goto out;
	}
	if (c->output == CFG_OUTPUT_JSON) {
		if (output_json_print(
			json_pack("{s:o}", "unit", output_json_unit(u))) != 0)
			r = EXIT_OTHER;
		goto out;
	}
	output_fieldf(stdout, "id", "%llu", (unsigned long long)u->id);
	output_field(stdout, "kind",
	    output_enum_name(
		&tier__unit_kind__descriptor, u->kind, kind, sizeof(kind)));
	output_field(stdout, "name", u->name);
	if (*u->parent != '\0')
		output_field(stdout, "parent", u->parent);
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

int
cmd_org_list_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const char *const headers[] = { "KIND", "NAME", "PARENT" };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__OrgListRequest body = TIER__ORG_LIST_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct output_table *t = NULL;
	struct conn *conn = NULL;
	json_t *arr = NULL;
	char kind[16];
	size_t i;
	int r;

	if ((r = cmd_parse_plain(self, argc, argv, c, 0, 0)) != CMD_CONTINUE)
		return r;
	req.body_case = TIER__REQUEST__BODY_ORG_LIST;
	req.org_list = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		goto out;
	if (c->output == CFG_OUTPUT_JSON) {
		r = (arr = json_array()) == NULL ? output_oom() : 0;
		for (i = 0; r == 0 && i < resp->org_list->n_units; i++) {
			if (json_array_append_new(arr,
				output_json_unit(resp->org_list->units[i])) !=
			    0)
				r = output_oom();
		}
		if (r == 0 &&
		    output_json_print(json_pack("{s:O}", "units", arr)) != 0)
			r = EXIT_OTHER;
		goto out;
	}
	if (output_table_new(&t, 3, headers) != 0) {
		r = output_oom();
		goto out;
	}
	for (i = 0; i < resp->org_list->n_units; i++) {
		const Tier__Unit *u = resp->org_list->units[i];
		const char *cells[] = { output_enum_name(
					    &tier__unit_kind__descriptor,
					    u->kind, kind, sizeof(kind)),
			u->name, u->parent };

		if (output_table_add(t, cells) != 0) {
			r = output_oom();
			goto out;
		}
	}
	output_table_print(t, stdout);
out:
	json_decref(arr);
	output_table_free(t);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}
