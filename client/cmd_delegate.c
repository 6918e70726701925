/*
 * "tier delegate add|list": an approver names a deputy who may decide
 * approval steps in the approver's place for a range of days. Days are UTC
 * calendar days; the last day given is included.
 */
#include <getopt.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "tier.h"

#define DELEGATE_DAY 86400

enum {
	DELEGATE_OPT_FROM = 0x200,
	DELEGATE_OPT_UNTIL,
};

int
cmd_delegate_parse_day(const char *text, int64_t *out)
{
	struct tm tm;
	const char *end;
	char back[16];
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (strlen(text) != 10 ||
	    (end = strptime(text, "%Y-%m-%d", &tm)) == NULL || *end != '\0')
		return ERR_INVALID_ARG;
	if ((t = timegm(&tm)) == (time_t)-1)
		return ERR_INVALID_ARG;
	/* timegm normalises 2027-02-30 to March: refuse such days. */
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(back, sizeof(back), "%Y-%m-%d", &tm) == 0 ||
	    strcmp(back, text) != 0)
		return ERR_INVALID_ARG;
	*out = (int64_t)t;
	return 0;
}

/* "YYYY-MM-DD" of Unix seconds, UTC. */
static void
delegate_day(int64_t t, char out[OUTPUT_TIME_SIZE])
{
	output_time(t, out);
	if (strlen(out) >= 10)
		out[10] = '\0';
}

static void
delegate_print_fields(const Tier__Delegation *d)
{
	char from[OUTPUT_TIME_SIZE], until[OUTPUT_TIME_SIZE];

	delegate_day(d->starts_at, from);
	delegate_day(d->ends_at - 1, until);
	output_fieldf(stdout, "delegation", "%llu", (unsigned long long)d->id);
	output_field(stdout, "approver", d->approver);
	output_field(stdout, "deputy", d->deputy);
	output_fieldf(stdout, "from", "%s (UTC)", from);
	output_fieldf(stdout, "until", "%s (UTC, the whole day)", until);
}

int
cmd_delegate_add_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "from", required_argument, NULL, DELEGATE_OPT_FROM },
		{ "until", required_argument, NULL, DELEGATE_OPT_UNTIL },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__DelegationAddRequest body = TIER__DELEGATION_ADD_REQUEST__INIT;
	Tier__Response *resp = NULL;
	const Tier__Delegation *d;
	struct conn *conn = NULL;
	int64_t from = INT64_MIN, until = INT64_MIN;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case DELEGATE_OPT_FROM:
		case DELEGATE_OPT_UNTIL:
			if (cmd_delegate_parse_day(optarg,
				ch == DELEGATE_OPT_FROM ? &from : &until) != 0)
				return cmd_usage_error(self,
				    "'%s' is not a day: write YYYY-MM-DD",
				    optarg);
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(self,
		    argc == optind ? "missing the DEPUTY" : "give one DEPUTY");
	if (from == INT64_MIN || until == INT64_MIN)
		return cmd_usage_error(
		    self, "give --from YYYY-MM-DD and --until YYYY-MM-DD");
	if (until < from)
		return cmd_usage_error(self, "--until is before --from");
	if ((r = cmd_configure(c)) != 0)
		return r;
	body.deputy = argv[optind];
	body.starts_at = from;
	/* The last day is included: the delegation ends at its midnight. */
	body.ends_at = until + DELEGATE_DAY;
	req.body_case = TIER__REQUEST__BODY_DELEGATION_ADD;
	req.delegation_add = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		goto out;
	if ((d = resp->delegation_add->delegation) == NULL) {
		output_error(NULL, "the server sent no delegation");
		r = EXIT_OTHER;
		goto out;
	}
	if (c->output == CFG_OUTPUT_JSON) {
		if (output_json_print(json_pack(
			"{s:o}", "delegation", output_json_delegation(d))) != 0)
			r = EXIT_OTHER;
		goto out;
	}
	delegate_print_fields(d);
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

int
cmd_delegate_list_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const char *const headers[] = { "ID", "APPROVER", "DEPUTY",
		"FROM", "UNTIL", "STATUS" };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__DelegationListRequest body = TIER__DELEGATION_LIST_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct output_table *t = NULL;
	struct conn *conn = NULL;
	json_t *arr = NULL;
	char id[24], from[OUTPUT_TIME_SIZE], until[OUTPUT_TIME_SIZE];
	int64_t now = (int64_t)time(NULL);
	size_t i;
	int r;

	if ((r = cmd_parse_plain(self, argc, argv, c, 0, 0)) != CMD_CONTINUE)
		return r;
	req.body_case = TIER__REQUEST__BODY_DELEGATION_LIST;
	req.delegation_list = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		goto out;
	if (c->output == CFG_OUTPUT_JSON) {
		r = (arr = json_array()) == NULL ? output_oom() : 0;
		for (i = 0; r == 0 && i < resp->delegation_list->n_delegations;
		     i++) {
			if (json_array_append_new(arr,
				output_json_delegation(
				    resp->delegation_list->delegations[i])) !=
			    0)
				r = output_oom();
		}
		if (r == 0 && output_json_print(
				  json_pack("{s:O}", "delegations", arr)) != 0)
			r = EXIT_OTHER;
		goto out;
	}
	if (output_table_new(&t, 6, headers) != 0) {
		r = output_oom();
		goto out;
	}
	for (i = 0; i < resp->delegation_list->n_delegations; i++) {
		const Tier__Delegation *d =
		    resp->delegation_list->delegations[i];
		const char *status = now < d->starts_at ? "upcoming"
				     : now < d->ends_at ? "active"
							: "ended";
		const char *cells[] = { id, d->approver, d->deputy, from, until,
			status };

		snprintf(id, sizeof(id), "%llu", (unsigned long long)d->id);
		delegate_day(d->starts_at, from);
		/* Shown as the last day included. */
		delegate_day(d->ends_at - 1, until);
		if (output_table_add(t, cells) != 0) {
			r = output_oom();
			goto out;
		}
		output_table_style(t, 5,
		    status[0] == 'a'   ? OUTPUT_STYLE_GOOD
		    : status[0] == 'e' ? OUTPUT_STYLE_DIM
				       : OUTPUT_STYLE_PLAIN);
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
