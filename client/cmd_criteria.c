/*
 * "tier criteria set|show": the weighted criteria of a cycle, every version
 * of them, and what changed from one version to the next. Criteria are typed
 * as NAME:WEIGHT:MIN-MAX[:DESCRIPTION]; the server checks them.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tier.h"

enum {
	CRITERIA_OPT_CRITERION = 0x200,
	CRITERIA_OPT_REASON,
	CRITERIA_OPT_IF_VERSION,
	CRITERIA_OPT_VERSION,
	CRITERIA_OPT_ALL,
};

int
cmd_criteria_parse(char *text, Tier__Criterion *out)
{
	char *weight, *scale, *max, *desc;
	uint64_t n;

	tier__criterion__init(out);
	if ((weight = strchr(text, ':')) == NULL)
		return ERR_INVALID_ARG;
	*weight++ = '\0';
	if ((scale = strchr(weight, ':')) == NULL)
		return ERR_INVALID_ARG;
	*scale++ = '\0';
	if ((desc = strchr(scale, ':')) != NULL)
		*desc++ = '\0';
	if ((max = strchr(scale, '-')) == NULL)
		return ERR_INVALID_ARG;
	*max++ = '\0';
	out->name = text;
	out->description = desc != NULL ? desc : "";
	if (cmd_cycle_parse_uint(weight, 0, UINT32_MAX, &n) != 0)
		return ERR_INVALID_ARG;
	out->weight = (uint32_t)n;
	if (cmd_cycle_parse_uint(scale, 0, UINT32_MAX, &n) != 0)
		return ERR_INVALID_ARG;
	out->scale_min = (uint32_t)n;
	if (cmd_cycle_parse_uint(max, 0, UINT32_MAX, &n) != 0)
		return ERR_INVALID_ARG;
	out->scale_max = (uint32_t)n;
	return 0;
}

/* Prints one version as a heading, reason, changes and a table. */
static int
criteria_print_set(const Tier__CriteriaSet *s)
{
	static const char *const headers[] = { "CRITERION", "WEIGHT", "SCALE",
		"DESCRIPTION" };
	struct output_table *t = NULL;
	char when[OUTPUT_TIME_SIZE], weight[16], scale[32];
	size_t i;
	int r = EXIT_OK;

	output_time(s->created_at, when);
	if (output_mode() == CFG_OUTPUT_CSV)
		goto table; /* the criteria alone: one CSV table */
	printf("version %u%s, by %s at %s\n", s->version,
	    s->in_force && s->frozen ? " (in force, frozen)"
	    : s->in_force            ? " (in force)"
	    : s->frozen              ? " (frozen)"
				     : "",
	    s->created_by, when);
	if (*s->reason != '\0')
		output_field(stdout, "reason", s->reason);
	if (*s->changes != '\0')
		output_field(stdout, "changes", s->changes);
table:
	if (output_table_new(&t, 4, headers) != 0)
		return output_oom();
	for (i = 0; i < s->n_criteria; i++) {
		const Tier__Criterion *k = s->criteria[i];
		const char *cells[] = { k->name, weight, scale,
			k->description };

		snprintf(weight, sizeof(weight), "%u", k->weight);
		snprintf(
		    scale, sizeof(scale), "%u-%u", k->scale_min, k->scale_max);
		if (output_table_add(t, cells) != 0) {
			r = output_oom();
			goto out;
		}
	}
	output_table_print(t, stdout);
out:
	output_table_free(t);
	return r;
}

/* Shows a CriteriaResponse: the set a change made (one; JSON key
 * "criteria_set") or the sets asked for (JSON key "sets"). */
static int
criteria_print(const struct cfg *c, const Tier__CriteriaResponse *cr, int one)
{
	const Tier__Cycle *cy = cr->cycle;
	char state[32];
	json_t *arr;
	size_t i;
	int r = EXIT_OK;

	if (c->output == CFG_OUTPUT_JSON) {
		if (one)
			return output_json_print(json_pack("{s:o, s:o}",
				   "criteria_set",
				   cr->n_sets
				       ? output_json_criteria_set(cr->sets[0])
				       : json_null(),
				   "cycle",
				   cy ? output_json_cycle(cy) : json_null())) ==
				       0
				   ? EXIT_OK
				   : EXIT_OTHER;
		if ((arr = json_array()) == NULL)
			return output_oom();
		for (i = 0; i < cr->n_sets; i++) {
			if (json_array_append_new(arr,
				output_json_criteria_set(cr->sets[i])) != 0) {
				json_decref(arr);
				return output_oom();
			}
		}
		return output_json_print(json_pack("{s:o, s:o}", "cycle",
			   cy ? output_json_cycle(cy) : json_null(), "sets",
			   arr)) == 0
			   ? EXIT_OK
			   : EXIT_OTHER;
	}
	if (output_mode() == CFG_OUTPUT_CSV) {
		/* One table: the version asked for (the last with --all). */
		return cr->n_sets ? criteria_print_set(cr->sets[cr->n_sets - 1])
				  : EXIT_OK;
	}
	if (cy != NULL)
		printf("cycle %llu (%s %u), %s\n", (unsigned long long)cy->id,
		    cy->bu, cy->year,
		    output_enum_name(&tier__cycle_state__descriptor, cy->state,
			state, sizeof(state)));
	if (cr->n_sets == 0)
		printf("no criteria yet\n");
	for (i = 0; i < cr->n_sets && r == EXIT_OK; i++) {
		fputc('\n', stdout);
		r = criteria_print_set(cr->sets[i]);
	}
	return r;
}

int
cmd_criteria_set_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "criterion", required_argument, NULL,
		    CRITERIA_OPT_CRITERION },
		{ "reason", required_argument, NULL, CRITERIA_OPT_REASON },
		{ "if-version", required_argument, NULL,
		    CRITERIA_OPT_IF_VERSION },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CriteriaSetRequest body = TIER__CRITERIA_SET_REQUEST__INIT;
	Tier__Criterion *crit = NULL, **ptrs = NULL;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	char *typed;
	size_t n = 0, i;
	int ch, r = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			r = cmd_print_help(stdout, self);
			goto out;
		case CRITERIA_OPT_CRITERION:
			if ((crit = reallocarray(crit, n + 1, sizeof(*crit))) ==
			    NULL) {
				r = output_oom();
				goto out;
			}
			if ((typed = strdup(optarg)) == NULL) {
				r = output_oom();
				goto out;
			}
			/* Parsed in optarg's place, so the strings live on. */
			if (cmd_criteria_parse(optarg, &crit[n++]) != 0)
				r = cmd_usage_error(self,
				    "--criterion '%s': write "
				    "NAME:WEIGHT:MIN-MAX[:DESCRIPTION], e.g. "
				    "'Revenue:40:0-10:annual revenue'",
				    typed);
			free(typed);
			if (r != 0)
				goto out;
			break;
		case CRITERIA_OPT_REASON:
			body.reason = optarg;
			break;
		case CRITERIA_OPT_IF_VERSION:
			if (cmd_cycle_parse_uint(
				optarg, 1, INT64_MAX, &body.version) != 0) {
				r = cmd_usage_error(self,
				    "--if-version '%s' is not a version number",
				    optarg);
				goto out;
			}
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				goto out;
		}
	}
	if (argc - optind != 1) {
		r = cmd_usage_error(self, argc == optind
					      ? "missing the CYCLE id"
					      : "give one CYCLE id");
		goto out;
	}
	if ((r = cmd_cycle_parse_id(
		 self, argv[optind], "cycle", &body.cycle_id)) != 0)
		goto out;
	if (n == 0) {
		r = cmd_usage_error(self, "give the criteria: --criterion "
					  "NAME:WEIGHT:MIN-MAX[:DESCRIPTION]");
		goto out;
	}
	if ((r = cmd_configure(c)) != 0)
		goto out;
	if ((ptrs = calloc(n, sizeof(*ptrs))) == NULL) {
		r = output_oom();
		goto out;
	}
	for (i = 0; i < n; i++)
		ptrs[i] = &crit[i];
	body.criteria = ptrs;
	body.n_criteria = n;
	if (body.version == 0 && (r = cmd_cycle_version(c, &conn, body.cycle_id,
				      &body.version)) != 0)
		goto out;
	req.body_case = TIER__REQUEST__BODY_CRITERIA_SET;
	req.criteria_set = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0)
		r = criteria_print(c, resp->criteria_set, 1);
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	free(crit);
	free(ptrs);
	return r;
}

int
cmd_criteria_show_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "version", required_argument, NULL, CRITERIA_OPT_VERSION },
		{ "all", no_argument, NULL, CRITERIA_OPT_ALL },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CriteriaGetRequest body = TIER__CRITERIA_GET_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	uint64_t version;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case CRITERIA_OPT_VERSION:
			if (cmd_cycle_parse_uint(
				optarg, 1, UINT32_MAX, &version) != 0)
				return cmd_usage_error(self,
				    "--version '%s' is not a version number",
				    optarg);
			body.version = (uint32_t)version;
			break;
		case CRITERIA_OPT_ALL:
			body.all = 1;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(self, argc == optind
						 ? "missing the CYCLE id"
						 : "give one CYCLE id");
	if (body.all && body.version != 0)
		return cmd_usage_error(self, "give --version N or --all");
	if ((r = cmd_cycle_parse_id(
		 self, argv[optind], "cycle", &body.cycle_id)) != 0)
		return r;
	if ((r = cmd_configure(c)) != 0)
		return r;
	req.body_case = TIER__REQUEST__BODY_CRITERIA_GET;
	req.criteria_get = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0)
		r = criteria_print(c, resp->criteria_get, 0);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}
