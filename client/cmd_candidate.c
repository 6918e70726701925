/*
 * "tier candidate ...": propose, the transitions after it (score, submit,
 * approve, reject, return, withdraw, reopen), show, explain and list. The
 * server decides every rule and computes every score; this file parses the
 * command line, sends the version the user saw, and shows the answer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tier.h"

#define CAND_PAGE 1000 /* candidates fetched per list request */

enum {
	CAND_OPT_CYCLE = 0x200,
	CAND_OPT_SEGMENT,
	CAND_OPT_CUSTOMER,
	CAND_OPT_IF_VERSION,
	CAND_OPT_TIER,
	CAND_OPT_OWNER,
	CAND_OPT_JUSTIFICATION,
	CAND_OPT_REASON,
	CAND_OPT_STATE,
};

int
cmd_candidate_parse_id(const char *text, uint64_t *out)
{
	unsigned long long n;
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return ERR_INVALID_ARG;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || n == 0 || n > INT64_MAX)
		return ERR_INVALID_ARG;
	*out = n;
	return 0;
}

/* Prints a candidate answer: labelled lines, or {"candidate": {...}}. */
static int
cand_print(const struct cfg *c, const Tier__Candidate *cand)
{
	if (cand == NULL) {
		output_error(NULL, "the server sent no candidate");
		return EXIT_OTHER;
	}
	if (c->output == CFG_OUTPUT_JSON)
		return output_json_print(json_pack("{s:o}", "candidate",
			   output_json_candidate(cand))) == 0
			   ? EXIT_OK
			   : EXIT_OTHER;
	output_candidate_fields(stdout, cand);
	return EXIT_OK;
}

/* Fetches candidate id on *conn, or from the local copy when conn is NULL
 * (--offline). Returns 0 with *resp set, or an exit code. */
static int
cand_get(
    const struct cfg *c, struct conn **conn, uint64_t id, Tier__Response **resp)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CandidateGetRequest body = TIER__CANDIDATE_GET_REQUEST__INIT;

	body.candidate_id = id;
	req.body_case = TIER__REQUEST__BODY_CANDIDATE_GET;
	req.candidate_get = &body;
	return sync_call(c, conn, &req, resp);
}

int
cmd_candidate_propose_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "cycle", required_argument, NULL, CAND_OPT_CYCLE },
		{ "segment", required_argument, NULL, CAND_OPT_SEGMENT },
		{ "customer", required_argument, NULL, CAND_OPT_CUSTOMER },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CandidateProposeRequest body =
	    TIER__CANDIDATE_PROPOSE_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case CAND_OPT_CYCLE:
			if (cmd_candidate_parse_id(optarg, &body.cycle_id) != 0)
				return cmd_usage_error(self,
				    "--cycle '%s' is not a cycle id", optarg);
			break;
		case CAND_OPT_SEGMENT:
			body.segment = optarg;
			break;
		case CAND_OPT_CUSTOMER:
			if (cmd_candidate_parse_id(optarg, &body.customer_id) !=
			    0)
				return cmd_usage_error(self,
				    "--customer '%s' is not a customer id",
				    optarg);
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (optind != argc)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind]);
	if (body.cycle_id == 0 || body.segment[0] == '\0' ||
	    body.customer_id == 0)
		return cmd_usage_error(
		    self, "--cycle, --segment and --customer are all needed");
	if ((r = cmd_configure(c)) != 0)
		return r;

	req.body_case = TIER__REQUEST__BODY_CANDIDATE_PROPOSE;
	req.candidate_propose = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0)
		r = cand_print(c, resp->candidate_propose->candidate);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

/* What each transition takes besides the id and --if-version. */
static const struct cand_verb {
	const char *name;             /* the subcommand */
	Tier__CandidateAction action; /* what it sends */
	unsigned options;             /* CAND_TAKES_* */
} cand_verbs[] = {
#define CAND_TAKES_SCORES (1u << 0) /* NAME=VALUE operands */
#define CAND_TAKES_SUBMIT (1u << 1) /* --tier, --owner, --justification */
#define CAND_TAKES_REASON (1u << 2) /* --reason */
	{ "score", TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_SCORE,
	    CAND_TAKES_SCORES },
	{ "submit", TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_SUBMIT,
	    CAND_TAKES_SUBMIT },
	{ "approve", TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_APPROVE,
	    CAND_TAKES_REASON },
	{ "reject", TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_REJECT,
	    CAND_TAKES_REASON },
	{ "return", TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_RETURN,
	    CAND_TAKES_REASON },
	{ "withdraw", TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_WITHDRAW,
	    CAND_TAKES_REASON },
	{ "reopen", TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_REOPEN,
	    CAND_TAKES_REASON },
};

/* Parses "NAME=VALUE" (the last '=' splits, so names may contain one). */
static int
cand_parse_score(char *arg, Tier__Score *s)
{
	char *eq = strrchr(arg, '='), *end;
	unsigned long v;

	if (eq == NULL || eq == arg || eq[1] < '0' || eq[1] > '9')
		return ERR_INVALID_ARG;
	errno = 0;
	v = strtoul(eq + 1, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return ERR_INVALID_ARG;
	*eq = '\0';
	s->criterion = arg;
	s->value = (uint32_t)v;
	return 0;
}

static int
cand_parse_tier(const char *text, Tier__TierLevel *out)
{
	Tier__TierLevel t;

	for (t = TIER__TIER_LEVEL__TIER_LEVEL_GENERAL;
	     t <= TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC; t++) {
		if (strcmp(text, output_candidate_tier(t)) == 0) {
			*out = t;
			return 0;
		}
	}
	return ERR_INVALID_ARG;
}

int
cmd_candidate_act_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "if-version", required_argument, NULL, CAND_OPT_IF_VERSION },
		{ "tier", required_argument, NULL, CAND_OPT_TIER },
		{ "owner", required_argument, NULL, CAND_OPT_OWNER },
		{ "justification", required_argument, NULL,
		    CAND_OPT_JUSTIFICATION },
		{ "reason", required_argument, NULL, CAND_OPT_REASON },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CandidateActRequest body = TIER__CANDIDATE_ACT_REQUEST__INIT;
	Tier__Response *resp = NULL;
	Tier__Score *scores = NULL, **score_ptrs = NULL;
	const struct cand_verb *verb = NULL;
	struct conn *conn = NULL;
	unsigned takes;
	size_t i;
	int ch, r, nscores;

	for (i = 0; i < sizeof(cand_verbs) / sizeof(cand_verbs[0]); i++) {
		if (strcmp(self->name, cand_verbs[i].name) == 0)
			verb = &cand_verbs[i];
	}
	if (verb == NULL) {
		output_error(NULL, "no candidate action '%s'", self->name);
		return EXIT_OTHER;
	}
	takes = verb->options;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case CAND_OPT_IF_VERSION:
			if (cmd_candidate_parse_id(optarg, &body.version) != 0)
				return cmd_usage_error(self,
				    "--if-version '%s' is not a version",
				    optarg);
			break;
		case CAND_OPT_TIER:
		case CAND_OPT_OWNER:
		case CAND_OPT_JUSTIFICATION:
			if (!(takes & CAND_TAKES_SUBMIT))
				return cmd_usage_error(self,
				    "'%s' is for candidate submit",
				    argv[optind - 1]);
			if (ch == CAND_OPT_OWNER)
				body.owner = optarg;
			else if (ch == CAND_OPT_JUSTIFICATION)
				body.justification = optarg;
			else if (cand_parse_tier(optarg, &body.tier) != 0)
				return cmd_usage_error(self,
				    "unknown tier '%s': use strategic, key or "
				    "general",
				    optarg);
			break;
		case CAND_OPT_REASON:
			if (!(takes & CAND_TAKES_REASON))
				return cmd_usage_error(self,
				    "candidate %s takes no --reason",
				    self->name);
			body.reason = optarg;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (optind == argc)
		return cmd_usage_error(self, "missing the candidate ID");
	if (cmd_candidate_parse_id(argv[optind], &body.candidate_id) != 0)
		return cmd_usage_error(
		    self, "'%s' is not a candidate id", argv[optind]);
	nscores = argc - optind - 1;
	if (!(takes & CAND_TAKES_SCORES) && nscores > 0)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind + 1]);
	if ((takes & CAND_TAKES_SCORES) && nscores == 0)
		return cmd_usage_error(
		    self, "give at least one score as CRITERION=VALUE");
	if (nscores > 0) {
		scores = calloc((size_t)nscores, sizeof(*scores));
		score_ptrs = calloc((size_t)nscores, sizeof(*score_ptrs));
		if (scores == NULL || score_ptrs == NULL) {
			output_error(NULL, "out of memory");
			r = EXIT_OTHER;
			goto out;
		}
		for (i = 0; i < (size_t)nscores; i++) {
			tier__score__init(&scores[i]);
			if (cand_parse_score(
				argv[optind + 1 + i], &scores[i]) != 0) {
				r = cmd_usage_error(self,
				    "'%s' is not CRITERION=VALUE with a whole "
				    "number",
				    argv[optind + 1 + i]);
				goto out;
			}
			score_ptrs[i] = &scores[i];
		}
		body.scores = score_ptrs;
		body.n_scores = (size_t)nscores;
	}
	if ((r = cmd_configure(c)) != 0)
		goto out;

	/* Without --if-version, the version is the one the server shows now. */
	if (body.version == 0) {
		if ((r = cand_get(c, &conn, body.candidate_id, &resp)) != 0)
			goto out;
		if (resp->candidate_get->candidate == NULL) {
			output_error(NULL, "the server sent no candidate");
			r = EXIT_OTHER;
			goto out;
		}
		body.version = resp->candidate_get->candidate->version;
		tier__response__free_unpacked(resp, NULL);
		resp = NULL;
	}
	body.action = verb->action;
	req.body_case = TIER__REQUEST__BODY_CANDIDATE_ACT;
	req.candidate_act = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0)
		r = cand_print(c, resp->candidate_act->candidate);
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	free(scores);
	free(score_ptrs);
	return r;
}

int
cmd_candidate_show_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	uint64_t id;
	int r, offline;

	if ((r = sync_parse_plain(self, argc, argv, c, 1, 1, &offline)) !=
	    CMD_CONTINUE)
		return r;
	if (cmd_candidate_parse_id(argv[optind], &id) != 0)
		return cmd_usage_error(
		    self, "'%s' is not a candidate id", argv[optind]);
	if ((r = cand_get(c, offline ? NULL : &conn, id, &resp)) == 0)
		r = cand_print(c, resp->candidate_get->candidate);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

/* The score as a table: one line per criterion, then the total. */
static int
cand_explain_print(const Tier__Candidate *cand)
{
	static const char *const headers[] = { "CRITERION", "WEIGHT", "SCALE",
		"VALUE", "POINTS", "SCORED BY" };
	struct output_table *t = NULL;
	char weight[16], scale[32], value[16], points[32];
	size_t i;

	if (output_table_new(&t, 6, headers) != 0)
		goto oom;
	for (i = 0; i < cand->n_lines; i++) {
		const Tier__ScoreLine *l = cand->lines[i];

		snprintf(weight, sizeof(weight), "%u", l->weight);
		snprintf(
		    scale, sizeof(scale), "%u-%u", l->scale_min, l->scale_max);
		snprintf(value, sizeof(value), "%u", l->value);
		snprintf(points, sizeof(points), "%.2f", l->points);
		const char *cells[] = { l->criterion, weight, scale,
			l->scored ? value : "-", l->scored ? points : "-",
			l->scored_by };
		if (output_table_add(t, cells) != 0)
			goto oom;
	}
	snprintf(points, sizeof(points), "%.2f", cand->score);
	const char *total[] = { "total", "", "", "", points,
		cand->score_complete ? "" : "(incomplete)" };
	if (output_table_add(t, total) != 0)
		goto oom;
	if (output_mode() == CFG_OUTPUT_CSV) {
		output_table_print(t, stdout);
		output_table_free(t);
		return EXIT_OK;
	}
	printf("candidate %llu: ", (unsigned long long)cand->id);
	output_text(stdout, cand->customer);
	printf(" (%s)\n\n", output_candidate_state(cand->state));
	output_table_print(t, stdout);
	printf("\npoints = weight * (value - min) / (max - min); the score is "
	       "their sum, 0-100.\n");
	if (cand->suggested_tier != TIER__TIER_LEVEL__TIER_LEVEL_UNSPECIFIED)
		printf("suggested tier: %s\n",
		    output_candidate_tier(cand->suggested_tier));
	output_table_free(t);
	return EXIT_OK;
oom:
	output_table_free(t);
	output_error(NULL, "out of memory");
	return EXIT_OTHER;
}

int
cmd_candidate_explain_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const char *const keys[] = { "id", "customer", "state", "score",
		"score_complete", "suggested_tier", "criteria_version",
		"lines" };
	Tier__Response *resp = NULL;
	const Tier__Candidate *cand;
	struct conn *conn = NULL;
	json_t *doc = NULL, *part;
	uint64_t id;
	size_t i;
	int r;

	if ((r = cmd_parse_plain(self, argc, argv, c, 1, 1)) != CMD_CONTINUE)
		return r;
	if (cmd_candidate_parse_id(argv[optind], &id) != 0)
		return cmd_usage_error(
		    self, "'%s' is not a candidate id", argv[optind]);
	if ((r = cand_get(c, &conn, id, &resp)) != 0)
		goto out;
	if ((cand = resp->candidate_get->candidate) == NULL) {
		output_error(NULL, "the server sent no candidate");
		r = EXIT_OTHER;
		goto out;
	}
	if (c->output != CFG_OUTPUT_JSON) {
		r = cand_explain_print(cand);
		goto out;
	}
	/* JSON: the candidate's score fields and lines only. */
	if ((doc = output_json_candidate(cand)) == NULL ||
	    (part = json_object()) == NULL) {
		output_error(NULL, "out of memory");
		r = EXIT_OTHER;
		goto out;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_set(part, keys[i], json_object_get(doc, keys[i]));
	r = output_json_print(part) == 0 ? EXIT_OK : EXIT_OTHER;
out:
	json_decref(doc);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

/* Adds a page of candidates to the table or the JSON array. */
static int
cand_list_page(const Tier__CandidateListResponse *page, struct output_table *t,
    json_t *arr)
{
	char score[32], rank[32];
	size_t i;

	for (i = 0; i < page->n_candidates; i++) {
		const Tier__Candidate *k = page->candidates[i];

		if (arr != NULL) {
			if (json_array_append_new(
				arr, output_json_candidate(k)) != 0)
				return ERR_ALLOC;
			continue;
		}
		char id[24];
		snprintf(id, sizeof(id), "%llu", (unsigned long long)k->id);
		if (k->score_complete) {
			snprintf(score, sizeof(score), "%.2f", k->score);
			snprintf(rank, sizeof(rank), "%u/%u", k->rank_segment,
			    k->rank_bu);
		} else {
			snprintf(score, sizeof(score), "-");
			snprintf(rank, sizeof(rank), "-");
		}
		const char *cells[] = { id, k->customer, k->segment,
			output_candidate_state(k->state), score, rank,
			output_candidate_tier(k->suggested_tier),
			output_candidate_tier(k->tier), k->owner,
			k->card_incomplete ? "incomplete" : "ok" };
		if (output_table_add(t, cells) != 0)
			return ERR_ALLOC;
		output_table_style(t, 3, output_candidate_style(k->state));
		if (k->card_incomplete)
			output_table_style(t, 9, OUTPUT_STYLE_WARN);
	}
	return 0;
}

static int
cand_parse_state(const char *text, Tier__CandidateState *out)
{
	Tier__CandidateState s;

	for (s = TIER__CANDIDATE_STATE__CANDIDATE_STATE_PROPOSED;
	     s <= TIER__CANDIDATE_STATE__CANDIDATE_STATE_WITHDRAWN; s++) {
		if (strcmp(text, output_candidate_state(s)) == 0) {
			*out = s;
			return 0;
		}
	}
	return ERR_INVALID_ARG;
}

/*
 * Prints the candidates body asks for, every page, as a table or one JSON
 * document; connects when *conn is NULL, reads the local copy when conn is
 * NULL (--offline). A watch_list_fn: --watch calls it again after a resync.
 * Returns 0 or an exit code.
 */
static int
cand_list_print(const struct cfg *c, struct conn **conn, void *arg)
{
	static const char *const headers[] = { "ID", "CUSTOMER", "SEGMENT",
		"STATE", "SCORE", "RANK", "SUGGESTED", "TIER", "OWNER",
		"CARD" };
	Tier__CandidateListRequest *body = arg;
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct output_table *t = NULL;
	json_t *arr = NULL;
	uint32_t total = 0, got = 0;
	int r;

	if (c->output == CFG_OUTPUT_JSON)
		arr = json_array();
	else if (output_table_new(&t, 10, headers) != 0)
		t = NULL;
	if (arr == NULL && t == NULL) {
		output_error(NULL, "out of memory");
		return EXIT_OTHER;
	}
	req.body_case = TIER__REQUEST__BODY_CANDIDATE_LIST;
	req.candidate_list = body;
	body->page_size = CAND_PAGE;
	do {
		body->page_offset = got;
		if ((r = sync_call(c, conn, &req, &resp)) != 0)
			goto out;
		total = resp->candidate_list->total;
		if (cand_list_page(resp->candidate_list, t, arr) != 0) {
			output_error(NULL, "out of memory");
			r = EXIT_OTHER;
			goto out;
		}
		got += (uint32_t)resp->candidate_list->n_candidates;
		r = resp->candidate_list->n_candidates == 0;
		tier__response__free_unpacked(resp, NULL);
		resp = NULL;
	} while (got < total && r == 0);

	if (arr != NULL) {
		r = output_json_print(json_pack("{s:O, s:i}", "candidates", arr,
			"total", (int)total)) == 0
			? EXIT_OK
			: EXIT_OTHER;
	} else {
		output_table_print(t, stdout);
		if (output_mode() != CFG_OUTPUT_CSV)
			printf(
			    "%u candidate%s\n", total, total == 1 ? "" : "s");
		r = EXIT_OK;
	}
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	json_decref(arr);
	output_table_free(t);
	return r;
}

int
cmd_candidate_list_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS, WATCH_OPTIONS,
		SYNC_OFFLINE_OPTION,
		{ "cycle", required_argument, NULL, CAND_OPT_CYCLE },
		{ "segment", required_argument, NULL, CAND_OPT_SEGMENT },
		{ "state", required_argument, NULL, CAND_OPT_STATE },
		{ NULL, 0, NULL, 0 } };
	Tier__CandidateListRequest body = TIER__CANDIDATE_LIST_REQUEST__INIT;
	struct watch_opts w = { 0 };
	struct watch_spec ws = { 0 };
	int ch, r, offline = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case CAND_OPT_CYCLE:
			if (cmd_candidate_parse_id(optarg, &body.cycle_id) != 0)
				return cmd_usage_error(self,
				    "--cycle '%s' is not a cycle id", optarg);
			break;
		case CAND_OPT_SEGMENT:
			body.segment = optarg;
			break;
		case CAND_OPT_STATE:
			if (cand_parse_state(optarg, &body.state) != 0)
				return cmd_usage_error(self,
				    "unknown state '%s': use proposed, "
				    "scored, pending, approved, rejected or "
				    "withdrawn",
				    optarg);
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
	if (body.cycle_id == 0)
		return cmd_usage_error(self, "missing --cycle ID");
	if ((r = watch_check(self, &w, offline)) != 0)
		return r;
	if ((r = cmd_configure(c)) != 0)
		return r;

	/* The feed filters by cycle and segment; a state filter
	 * narrows the list only, so that candidates leaving the
	 * state are seen leaving. */
	ws.key = "candidate list";
	ws.cycle_id = body.cycle_id;
	ws.segment = body.segment;
	ws.list = cand_list_print;
	ws.arg = &body;
	return watch_or_list(c, &w, &ws, offline);
}
