/*
 * "tier cycle create|list|show|set|open|close|derive": a BU's planning year,
 * its policy and quotas. Changes carry the cycle's version: --if-version, or
 * the version the command reads just before. Also the number parsing the
 * other workflow commands share.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tier.h"

#define CYCLE_CHAIN_PARSE_MAX 16 /* steps parsed; the server allows 4 */

enum {
	CYCLE_OPT_BU = 0x200,
	CYCLE_OPT_YEAR,
	CYCLE_OPT_REASON,
	CYCLE_OPT_MIN_SCORE,
	CYCLE_OPT_CUT_STRATEGIC,
	CYCLE_OPT_CUT_KEY,
	CYCLE_OPT_CHAIN,
	CYCLE_OPT_STEP_LIMIT,
	CYCLE_OPT_QUOTA,
	CYCLE_OPT_IF_VERSION,
	CYCLE_OPT_VISIT_LIMIT,
};

int
cmd_cycle_parse_uint(
    const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long n;
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return ERR_INVALID_ARG;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max)
		return ERR_INVALID_ARG;
	*out = n;
	return 0;
}

int
cmd_cycle_parse_id(const struct cmd_entry *self, const char *text,
    const char *what, uint64_t *out)
{
	if (cmd_cycle_parse_uint(text, 1, INT64_MAX, out) != 0)
		return cmd_usage_error(
		    self, "%s '%s' is not a number", what, text);
	return 0;
}

/* A score or cut-off as typed: a decimal number. */
static int
cycle_parse_score(const char *text, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0')
		return ERR_INVALID_ARG;
	return 0;
}

static int cycle_print(const struct cfg *c, const Tier__Cycle *cy);

/* Reads cycle id into *resp, from the local copy when conn is NULL
 * (--offline). Returns 0 or an exit code. */
static int
cycle_fetch(
    const struct cfg *c, struct conn **conn, uint64_t id, Tier__Response **resp)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CycleGetRequest body = TIER__CYCLE_GET_REQUEST__INIT;

	body.cycle_id = id;
	req.body_case = TIER__REQUEST__BODY_CYCLE_GET;
	req.cycle_get = &body;
	return sync_call(c, conn, &req, resp);
}

int
cmd_cycle_version(
    const struct cfg *c, struct conn **conn, uint64_t id, uint64_t *version)
{
	Tier__Response *resp = NULL;
	int r;

	if ((r = cycle_fetch(c, conn, id, &resp)) != 0)
		return r;
	if (resp->cycle_get->cycle != NULL)
		*version = resp->cycle_get->cycle->version;
	else
		r = cycle_print(c, NULL);
	tier__response__free_unpacked(resp, NULL);
	return r;
}

/* "bu_vp > bg_vp" */
static void
cycle_chain_text(const Tier__Chain *ch, char *out, size_t len)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; ch != NULL && i < ch->n_steps && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s",
		    i ? " > " : "", msg_role_name(ch->steps[i]));
}

/* Prints a cycle as labelled lines and its quotas as a table. */
static int
cycle_print_fields(const Tier__Cycle *cy)
{
	static const char *const headers[] = { "SEGMENT", "QUOTA", "PROPOSED",
		"APPROVED" };
	const Tier__Policy *p = cy->policy;
	char state[32], when[OUTPUT_TIME_SIZE], g[128], k[128], s[128];
	char quota[16], proposed[16], approved[16];
	struct output_table *t = NULL;
	size_t i;
	int r = EXIT_OK;

	output_fieldf(stdout, "cycle", "%llu", (unsigned long long)cy->id);
	output_field(stdout, "bu", cy->bu);
	output_fieldf(stdout, "year", "%u", cy->year);
	output_field(stdout, "state",
	    output_enum_name(&tier__cycle_state__descriptor, cy->state, state,
		sizeof(state)));
	output_fieldf(
	    stdout, "version", "%llu", (unsigned long long)cy->version);
	if (cy->criteria_version != 0)
		output_fieldf(
		    stdout, "criteria", "version %u", cy->criteria_version);
	else
		output_field(stdout, "criteria", "none yet");
	if (p != NULL) {
		output_fieldf(stdout, "min score", "%g", p->min_score);
		output_fieldf(stdout, "tier cut-offs",
		    "strategic >= %g, key >= %g, else general",
		    p->cut_strategic, p->cut_key);
		cycle_chain_text(p->chain_general, g, sizeof(g));
		cycle_chain_text(p->chain_key, k, sizeof(k));
		cycle_chain_text(p->chain_strategic, s, sizeof(s));
		output_fieldf(stdout, "approvals",
		    "general: %s; key: %s; strategic: %s", g, k, s);
		output_fieldf(
		    stdout, "step limit", "%u hours", p->step_limit_hours);
		output_fieldf(stdout, "visit limit", "%u days",
		    p->visit_limit_days ? p->visit_limit_days : 90);
	}
	if (cy->derived_from != 0) {
		output_fieldf(stdout, "derived from", "cycle %llu",
		    (unsigned long long)cy->derived_from);
		output_field(stdout, "because", cy->derive_reason);
	}
	output_time(cy->updated_at, when);
	output_fieldf(stdout, "updated", "%s by %s", when, cy->updated_by);
	if (cy->n_quotas == 0)
		return EXIT_OK;
	if (output_table_new(&t, 4, headers) != 0)
		return output_oom();
	for (i = 0; i < cy->n_quotas; i++) {
		const Tier__Quota *q = cy->quotas[i];
		const char *cells[] = { q->segment, quota, proposed, approved };

		snprintf(quota, sizeof(quota), "%u", q->quota);
		snprintf(proposed, sizeof(proposed), "%u", q->proposed);
		snprintf(approved, sizeof(approved), "%u", q->approved);
		if (output_table_add(t, cells) != 0) {
			r = output_oom();
			goto out;
		}
	}
	fputc('\n', stdout);
	output_table_print(t, stdout);
out:
	output_table_free(t);
	return r;
}

/* Shows the cycle of a response as the output mode wants. */
static int
cycle_print(const struct cfg *c, const Tier__Cycle *cy)
{
	if (cy == NULL) {
		output_error(NULL, "the server sent no cycle");
		return EXIT_OTHER;
	}
	if (c->output == CFG_OUTPUT_JSON)
		return output_json_print(json_pack(
			   "{s:o}", "cycle", output_json_cycle(cy))) == 0
			   ? EXIT_OK
			   : EXIT_OTHER;
	return cycle_print_fields(cy);
}

int
cmd_cycle_create_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "bu", required_argument, NULL, CYCLE_OPT_BU },
		{ "year", required_argument, NULL, CYCLE_OPT_YEAR },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CycleCreateRequest body = TIER__CYCLE_CREATE_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	uint64_t year = 0;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case CYCLE_OPT_BU:
			body.bu = optarg;
			break;
		case CYCLE_OPT_YEAR:
			if (cmd_cycle_parse_uint(optarg, 1, 9999, &year) != 0)
				return cmd_usage_error(
				    self, "--year '%s' is not a year", optarg);
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (optind != argc)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind]);
	if (*body.bu == '\0' || year == 0)
		return cmd_usage_error(self, "give --bu BU and --year YEAR");
	body.year = (uint32_t)year;
	if ((r = cmd_configure(c)) != 0)
		return r;

	req.body_case = TIER__REQUEST__BODY_CYCLE_CREATE;
	req.cycle_create = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0)
		r = cycle_print(c, resp->cycle_create->cycle);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

int
cmd_cycle_show_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	uint64_t id;
	int r, offline;

	if ((r = sync_parse_plain(self, argc, argv, c, 1, 1, &offline)) !=
	    CMD_CONTINUE)
		return r;
	if ((r = cmd_cycle_parse_id(self, argv[optind], "cycle", &id)) != 0)
		return r;
	if ((r = cycle_fetch(c, offline ? NULL : &conn, id, &resp)) == 0)
		r = cycle_print(c, resp->cycle_get->cycle);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

/*
 * Prints the cycles body asks for, as a table or one JSON document;
 * connects when *conn is NULL, reads the local copy when conn is NULL
 * (--offline). A watch_list_fn. Returns 0 or an exit code.
 */
static int
cycle_list_print(const struct cfg *c, struct conn **conn, void *arg)
{
	static const char *const headers[] = { "ID", "BU", "YEAR", "STATE",
		"CRITERIA", "VERSION", "UPDATED", "BY" };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct output_table *t = NULL;
	json_t *arr = NULL;
	char id[24], year[16], state[32], crit[16], ver[24];
	char when[OUTPUT_TIME_SIZE];
	size_t i;
	int r;

	req.body_case = TIER__REQUEST__BODY_CYCLE_LIST;
	req.cycle_list = arg;
	if ((r = sync_call(c, conn, &req, &resp)) != 0)
		goto out;
	if (c->output == CFG_OUTPUT_JSON) {
		r = (arr = json_array()) == NULL ? output_oom() : 0;
		for (i = 0; r == 0 && i < resp->cycle_list->n_cycles; i++) {
			if (json_array_append_new(
				arr, output_json_cycle(
					 resp->cycle_list->cycles[i])) != 0)
				r = output_oom();
		}
		if (r == 0 &&
		    output_json_print(json_pack("{s:O}", "cycles", arr)) != 0)
			r = EXIT_OTHER;
		goto out;
	}
	if (output_table_new(&t, 8, headers) != 0) {
		r = output_oom();
		goto out;
	}
	for (i = 0; i < resp->cycle_list->n_cycles; i++) {
		const Tier__Cycle *cy = resp->cycle_list->cycles[i];
		const char *cells[] = { id, cy->bu, year,
			output_enum_name(&tier__cycle_state__descriptor,
			    cy->state, state, sizeof(state)),
			crit, ver, when, cy->updated_by };

		snprintf(id, sizeof(id), "%llu", (unsigned long long)cy->id);
		snprintf(year, sizeof(year), "%u", cy->year);
		if (cy->criteria_version != 0)
			snprintf(
			    crit, sizeof(crit), "v%u", cy->criteria_version);
		else
			snprintf(crit, sizeof(crit), "-");
		snprintf(
		    ver, sizeof(ver), "%llu", (unsigned long long)cy->version);
		output_time(cy->updated_at, when);
		if (output_table_add(t, cells) != 0) {
			r = output_oom();
			goto out;
		}
		if (cy->state == TIER__CYCLE_STATE__CYCLE_STATE_OPEN)
			output_table_style(t, 3, OUTPUT_STYLE_GOOD);
		else if (cy->state == TIER__CYCLE_STATE__CYCLE_STATE_DRAFTING)
			output_table_style(t, 3, OUTPUT_STYLE_WARN);
		else
			output_table_style(t, 3, OUTPUT_STYLE_DIM);
	}
	output_table_print(t, stdout);
out:
	json_decref(arr);
	output_table_free(t);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	return r;
}

int
cmd_cycle_list_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS, WATCH_OPTIONS,
		SYNC_OFFLINE_OPTION,
		{ "bu", required_argument, NULL, CYCLE_OPT_BU },
		{ NULL, 0, NULL, 0 } };
	Tier__CycleListRequest body = TIER__CYCLE_LIST_REQUEST__INIT;
	struct watch_opts w = { 0 };
	struct watch_spec ws = { 0 };
	int ch, r, offline = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case CYCLE_OPT_BU:
			body.bu = optarg;
			break;
		case SYNC_OPT_OFFLINE:
			offline = 1;
			break;
		default:
			if ((r = watch_option(self, ch, &w)) < 0)
				return EXIT_USAGE;
			if (r == 0 && (r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (optind != argc)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind]);
	if ((r = watch_check(self, &w, offline)) != 0)
		return r;
	if ((r = cmd_configure(c)) != 0)
		return r;

	/* The cycle events of the BUs listed. */
	ws.key = "cycle list";
	ws.entity = "cycle";
	ws.bu = *body.bu != '\0' ? body.bu : NULL;
	ws.list = cycle_list_print;
	ws.arg = &body;
	return watch_or_list(c, &w, &ws, offline);
}

/* The tier a --chain names. */
static int
cycle_tier_parse(const char *text, size_t len, Tier__TierLevel *out)
{
	static const struct {
		const char *name;
		Tier__TierLevel tier;
	} tiers[] = {
		{ "general", TIER__TIER_LEVEL__TIER_LEVEL_GENERAL },
		{ "key", TIER__TIER_LEVEL__TIER_LEVEL_KEY },
		{ "strategic", TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC },
	};
	size_t i;

	for (i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++) {
		if (strlen(tiers[i].name) == len &&
		    strncmp(tiers[i].name, text, len) == 0) {
			*out = tiers[i].tier;
			return 0;
		}
	}
	return ERR_INVALID_ARG;
}

/* What "cycle set" collects from its options. */
struct cycle_set {
	Tier__Policy policy; /* scalars merged over the current ones */
	int has_min, has_strategic, has_key, has_limit; /* given */
	double min_score, cut_strategic, cut_key;
	uint64_t step_limit;
	int has_visit_limit; /* --visit-limit given */
	uint64_t visit_limit;
	Tier__Chain chains[4]; /* by Tier__TierLevel, given ones have steps */
	Tier__Role steps[4][CYCLE_CHAIN_PARSE_MAX];
	Tier__Quota *quotas; /* malloc'd */
	Tier__Quota **quota_ptrs;
	size_t nquotas;
};

/* --chain TIER=ROLE[,ROLE...] */
static int
cycle_chain_option(
    const struct cmd_entry *self, const char *text, struct cycle_set *cs)
{
	const char *eq = strchr(text, '='), *p, *end;
	Tier__TierLevel tier;
	Tier__Chain *ch;
	char role[32];
	size_t len;

	if (eq == NULL || cycle_tier_parse(text, (size_t)(eq - text), &tier))
		return cmd_usage_error(self,
		    "--chain '%s': write TIER=ROLE[,ROLE...] with TIER "
		    "general, key or strategic",
		    text);
	ch = &cs->chains[tier];
	tier__chain__init(ch);
	ch->steps = cs->steps[tier];
	for (p = eq + 1; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (len == 0 || len >= sizeof(role) ||
		    ch->n_steps == CYCLE_CHAIN_PARSE_MAX)
			return cmd_usage_error(self,
			    "--chain '%s': give 1 to 4 roles separated by ','",
			    text);
		memcpy(role, p, len);
		role[len] = '\0';
		if (msg_role_parse(role, &ch->steps[ch->n_steps]) != 0)
			return cmd_usage_error(self,
			    "--chain '%s': unknown role '%s'", text, role);
		ch->n_steps++;
	}
	if (ch->n_steps == 0)
		return cmd_usage_error(
		    self, "--chain '%s': name at least one role", text);
	return 0;
}

/* --quota SEGMENT=N */
static int
cycle_quota_option(
    const struct cmd_entry *self, char *text, struct cycle_set *cs)
{
	char *eq = strrchr(text, '=');
	uint64_t n;
	Tier__Quota *q;

	if (eq == NULL || eq == text ||
	    cmd_cycle_parse_uint(eq + 1, 0, UINT32_MAX, &n) != 0)
		return cmd_usage_error(self,
		    "--quota '%s': write SEGMENT=N with N a whole number",
		    text);
	q = reallocarray(cs->quotas, cs->nquotas + 1, sizeof(*q));
	if (q == NULL)
		return output_oom();
	cs->quotas = q;
	q = &cs->quotas[cs->nquotas++];
	tier__quota__init(q);
	/* The segment name ends at the '=': cut the option's text there. */
	*eq = '\0';
	q->segment = text;
	q->quota = (uint32_t)n;
	return 0;
}

/* Handles one option of "cycle set". Returns 0 or an exit code. */
static int
cycle_set_option(const struct cmd_entry *self, int ch, char **argv,
    struct cfg *c, struct cycle_set *cs, uint64_t *version)
{
	double *score = NULL;
	int *given = NULL;

	switch (ch) {
	case CYCLE_OPT_MIN_SCORE:
		score = &cs->min_score;
		given = &cs->has_min;
		break;
	case CYCLE_OPT_CUT_STRATEGIC:
		score = &cs->cut_strategic;
		given = &cs->has_strategic;
		break;
	case CYCLE_OPT_CUT_KEY:
		score = &cs->cut_key;
		given = &cs->has_key;
		break;
	case CYCLE_OPT_STEP_LIMIT:
		if (cmd_cycle_parse_uint(
			optarg, 1, UINT32_MAX, &cs->step_limit) != 0)
			return cmd_usage_error(self,
			    "--step-limit '%s' is not a number of hours",
			    optarg);
		cs->has_limit = 1;
		return 0;
	case CYCLE_OPT_VISIT_LIMIT:
		if (cmd_cycle_parse_uint(optarg, 1, 3660, &cs->visit_limit) !=
		    0)
			return cmd_usage_error(self,
			    "--visit-limit '%s' is not a number of days from "
			    "1 to 3660",
			    optarg);
		cs->has_visit_limit = 1;
		return 0;
	case CYCLE_OPT_CHAIN:
		return cycle_chain_option(self, optarg, cs);
	case CYCLE_OPT_QUOTA:
		return cycle_quota_option(self, optarg, cs);
	case CYCLE_OPT_IF_VERSION:
		if (cmd_cycle_parse_uint(optarg, 1, INT64_MAX, version) != 0)
			return cmd_usage_error(self,
			    "--if-version '%s' is not a version number",
			    optarg);
		return 0;
	default:
		return cmd_option(self, ch, argv, c);
	}
	if (cycle_parse_score(optarg, score) != 0)
		return cmd_usage_error(self, "'%s' is not a number", optarg);
	*given = 1;
	return 0;
}

int
cmd_cycle_set_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "min-score", required_argument, NULL, CYCLE_OPT_MIN_SCORE },
		{ "cut-strategic", required_argument, NULL,
		    CYCLE_OPT_CUT_STRATEGIC },
		{ "cut-key", required_argument, NULL, CYCLE_OPT_CUT_KEY },
		{ "chain", required_argument, NULL, CYCLE_OPT_CHAIN },
		{ "step-limit", required_argument, NULL, CYCLE_OPT_STEP_LIMIT },
		{ "visit-limit", required_argument, NULL,
		    CYCLE_OPT_VISIT_LIMIT },
		{ "quota", required_argument, NULL, CYCLE_OPT_QUOTA },
		{ "if-version", required_argument, NULL, CYCLE_OPT_IF_VERSION },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CycleUpdateRequest body = TIER__CYCLE_UPDATE_REQUEST__INIT;
	Tier__Response *cur = NULL, *resp = NULL;
	const Tier__Policy *now;
	struct conn *conn = NULL;
	struct cycle_set cs;
	uint64_t id, version = 0;
	int ch, r, policy;
	size_t i;

	memset(&cs, 0, sizeof(cs));
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h') {
			r = cmd_print_help(stdout, self);
			goto out;
		}
		if ((r = cycle_set_option(self, ch, argv, c, &cs, &version)) !=
		    0)
			goto out;
	}
	if (argc - optind != 1) {
		r = cmd_usage_error(self, argc == optind
					      ? "missing the cycle ID"
					      : "give one cycle ID");
		goto out;
	}
	if ((r = cmd_cycle_parse_id(self, argv[optind], "cycle", &id)) != 0)
		goto out;
	policy = cs.has_min || cs.has_strategic || cs.has_key || cs.has_limit ||
		 cs.has_visit_limit;
	for (i = 1; i < 4; i++)
		policy |= cs.chains[i].n_steps != 0;
	if (!policy && cs.nquotas == 0) {
		r = cmd_usage_error(self, "nothing to set");
		goto out;
	}
	if ((r = cmd_configure(c)) != 0)
		goto out;

	/* What is not given stays as it is: start from the cycle as it is. */
	if ((policy || version == 0) &&
	    (r = cycle_fetch(c, &conn, id, &cur)) != 0)
		goto out;
	if (cur != NULL && cur->cycle_get->cycle == NULL) {
		r = cycle_print(c, NULL);
		goto out;
	}
	if (version == 0)
		version = cur->cycle_get->cycle->version;
	if (policy) {
		if ((now = cur->cycle_get->cycle->policy) == NULL) {
			output_error(NULL, "the server sent no policy");
			r = EXIT_OTHER;
			goto out;
		}
		tier__policy__init(&cs.policy);
		cs.policy.min_score =
		    cs.has_min ? cs.min_score : now->min_score;
		cs.policy.cut_strategic =
		    cs.has_strategic ? cs.cut_strategic : now->cut_strategic;
		cs.policy.cut_key = cs.has_key ? cs.cut_key : now->cut_key;
		cs.policy.step_limit_hours = cs.has_limit
						 ? (uint32_t)cs.step_limit
						 : now->step_limit_hours;
		cs.policy.visit_limit_days = cs.has_visit_limit
						 ? (uint32_t)cs.visit_limit
						 : now->visit_limit_days;
		/* Chains left empty are kept by the server. */
		cs.policy.chain_general =
		    &cs.chains[TIER__TIER_LEVEL__TIER_LEVEL_GENERAL];
		cs.policy.chain_key =
		    &cs.chains[TIER__TIER_LEVEL__TIER_LEVEL_KEY];
		cs.policy.chain_strategic =
		    &cs.chains[TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC];
		for (i = 1; i < 4; i++) {
			if (cs.chains[i].n_steps == 0)
				tier__chain__init(&cs.chains[i]);
		}
		body.policy = &cs.policy;
	}
	if (cs.nquotas != 0) {
		if ((cs.quota_ptrs = calloc(
			 cs.nquotas, sizeof(*cs.quota_ptrs))) == NULL) {
			r = output_oom();
			goto out;
		}
		for (i = 0; i < cs.nquotas; i++)
			cs.quota_ptrs[i] = &cs.quotas[i];
		body.quotas = cs.quota_ptrs;
		body.n_quotas = cs.nquotas;
	}
	body.cycle_id = id;
	body.version = version;
	req.body_case = TIER__REQUEST__BODY_CYCLE_UPDATE;
	req.cycle_update = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0)
		r = cycle_print(c, resp->cycle_update->cycle);
out:
	if (cur != NULL)
		tier__response__free_unpacked(cur, NULL);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	free(cs.quotas);
	free(cs.quota_ptrs);
	return r;
}

/* "cycle open", "cycle close" and "cycle review". */
static int
cycle_transition(const struct cmd_entry *self, int argc, char **argv,
    struct cfg *c, Tier__CycleAction action)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "if-version", required_argument, NULL, CYCLE_OPT_IF_VERSION },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CycleTransitionRequest body =
	    TIER__CYCLE_TRANSITION_REQUEST__INIT;
	Tier__Response *cur = NULL, *resp = NULL;
	struct conn *conn = NULL;
	uint64_t id, version = 0;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case CYCLE_OPT_IF_VERSION:
			if (cmd_cycle_parse_uint(
				optarg, 1, INT64_MAX, &version) != 0)
				return cmd_usage_error(self,
				    "--if-version '%s' is not a version number",
				    optarg);
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(self, argc == optind
						 ? "missing the cycle ID"
						 : "give one cycle ID");
	if ((r = cmd_cycle_parse_id(self, argv[optind], "cycle", &id)) != 0)
		return r;
	if ((r = cmd_configure(c)) != 0)
		return r;
	if (version == 0) {
		if ((r = cycle_fetch(c, &conn, id, &cur)) != 0)
			goto out;
		if (cur->cycle_get->cycle == NULL) {
			r = cycle_print(c, NULL);
			goto out;
		}
		version = cur->cycle_get->cycle->version;
	}
	body.cycle_id = id;
	body.version = version;
	body.action = action;
	req.body_case = TIER__REQUEST__BODY_CYCLE_TRANSITION;
	req.cycle_transition = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0)
		r = cycle_print(c, resp->cycle_transition->cycle);
out:
	if (cur != NULL)
		tier__response__free_unpacked(cur, NULL);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

int
cmd_cycle_open_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	return cycle_transition(
	    self, argc, argv, c, TIER__CYCLE_ACTION__CYCLE_ACTION_OPEN);
}

int
cmd_cycle_close_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	return cycle_transition(
	    self, argc, argv, c, TIER__CYCLE_ACTION__CYCLE_ACTION_CLOSE);
}

int
cmd_cycle_review_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	return cycle_transition(
	    self, argc, argv, c, TIER__CYCLE_ACTION__CYCLE_ACTION_REVIEW);
}

int
cmd_cycle_derive_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "year", required_argument, NULL, CYCLE_OPT_YEAR },
		{ "reason", required_argument, NULL, CYCLE_OPT_REASON },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CycleDeriveRequest body = TIER__CYCLE_DERIVE_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	uint64_t year = 0;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case CYCLE_OPT_YEAR:
			if (cmd_cycle_parse_uint(optarg, 1, 9999, &year) != 0)
				return cmd_usage_error(
				    self, "--year '%s' is not a year", optarg);
			break;
		case CYCLE_OPT_REASON:
			body.reason = optarg;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(self, argc == optind
						 ? "missing the cycle ID"
						 : "give one cycle ID");
	if ((r = cmd_cycle_parse_id(
		 self, argv[optind], "cycle", &body.from_cycle_id)) != 0)
		return r;
	if (year == 0 || *body.reason == '\0')
		return cmd_usage_error(
		    self, "give --year YEAR and --reason TEXT");
	body.year = (uint32_t)year;
	if ((r = cmd_configure(c)) != 0)
		return r;

	req.body_case = TIER__REQUEST__BODY_CYCLE_DERIVE;
	req.cycle_derive = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0)
		r = cycle_print(c, resp->cycle_derive->cycle);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}
