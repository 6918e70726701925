/*
 * "tier queue", "tier targets" and "tier funnel": what waits for my
 * decision, oldest first, and a cycle's approved target list and funnel
 * with quota progress. Reads only; the server filters by scope.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tier.h"

enum {
	QUEUE_OPT_CYCLE = 0x200,
};

/*
 * Prints what waits for the user's decision, as a table or one JSON
 * document; connects when *conn is NULL. A watch_list_fn. Returns 0 or an
 * exit code.
 */
static int
queue_print(const struct cfg *c, struct conn **conn, void *arg)
{
	static const char *const headers[] = { "ID", "CUSTOMER", "SEGMENT",
		"TIER", "SCORE", "STEP", "WAITING", "OVERDUE", "FOR", "CARD" };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__QueueRequest body = TIER__QUEUE_REQUEST__INIT;
	Tier__Response *resp = NULL;
	const Tier__QueueResponse *q;
	struct output_table *t = NULL;
	json_t *arr = NULL;
	char id[24], score[32], step[48], waiting[32];
	size_t i;
	int r;

	(void)arg;
	req.body_case = TIER__REQUEST__BODY_QUEUE;
	req.queue = &body;
	if ((r = cmd_call(c, conn, &req, &resp)) != 0)
		goto out;
	q = resp->queue;
	if (c->output == CFG_OUTPUT_JSON) {
		if ((arr = json_array()) == NULL)
			goto oom;
		for (i = 0; i < q->n_items; i++) {
			const Tier__QueueItem *it = q->items[i];

			if (it->candidate == NULL)
				continue;
			if (json_array_append_new(arr,
				json_pack("{s:o, s:I, s:b, s:s}", "candidate",
				    output_json_candidate(it->candidate),
				    "waiting_seconds",
				    (json_int_t)it->waiting_seconds, "overdue",
				    it->overdue, "on_behalf_of",
				    it->on_behalf_of)) != 0)
				goto oom;
		}
		r = output_json_print(json_pack("{s:O}", "items", arr)) == 0
			? EXIT_OK
			: EXIT_OTHER;
		goto out;
	}
	if (q->n_items == 0 && output_mode() != CFG_OUTPUT_CSV) {
		printf("nothing waits for your decision\n");
		goto out;
	}
	if (output_table_new(&t, 10, headers) != 0)
		goto oom;
	for (i = 0; i < q->n_items; i++) {
		const Tier__QueueItem *it = q->items[i];
		const Tier__Candidate *k = it->candidate;

		if (k == NULL)
			continue;
		snprintf(id, sizeof(id), "%llu", (unsigned long long)k->id);
		snprintf(score, sizeof(score), "%.2f", k->score);
		if (k->step < k->n_chain)
			snprintf(step, sizeof(step), "%u/%zu %s", k->step + 1,
			    k->n_chain, msg_role_name(k->chain[k->step]->role));
		else
			snprintf(step, sizeof(step), "%u", k->step + 1);
		output_duration(it->waiting_seconds, waiting, sizeof(waiting));
		const char *cells[] = { id, k->customer, k->segment,
			output_candidate_tier(k->tier), score, step, waiting,
			it->overdue ? "yes" : "", it->on_behalf_of,
			k->card_incomplete ? "incomplete" : "ok" };
		if (output_table_add(t, cells) != 0)
			goto oom;
		if (it->overdue)
			output_table_style(t, 7, OUTPUT_STYLE_BAD);
		if (k->card_incomplete)
			output_table_style(t, 9, OUTPUT_STYLE_WARN);
	}
	output_table_print(t, stdout);
	goto out;
oom:
	output_error(NULL, "out of memory");
	r = EXIT_OTHER;
out:
	json_decref(arr);
	output_table_free(t);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	return r;
}

int
cmd_queue_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS, WATCH_OPTIONS,
		{ NULL, 0, NULL, 0 } };
	struct watch_opts w = { 0 };
	struct watch_spec ws = { 0 };
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cmd_print_help(stdout, self);
		if ((r = watch_option(self, ch, &w)) < 0)
			return EXIT_USAGE;
		if (r == 0 && (r = cmd_option(self, ch, argv, c)) != 0)
			return r;
	}
	if (optind != argc)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind]);
	if ((r = watch_check(self, &w, 0)) != 0 || (r = cmd_configure(c)) != 0)
		return r;
	ws.key = "queue";
	ws.my_queue = 1;
	ws.list = queue_print;
	return watch_or_list(c, &w, &ws, 0);
}

/*
 * The argument handling and request of targets and funnel: --cycle ID.
 * Returns CMD_CONTINUE with *resp set (the report), or the exit code to
 * return at once.
 */
static int
report_fetch(const struct cmd_entry *self, int argc, char **argv, struct cfg *c,
    Tier__ReportKind kind, struct conn **conn, Tier__Response **resp)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "cycle", required_argument, NULL, QUEUE_OPT_CYCLE },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__ReportRequest body = TIER__REPORT_REQUEST__INIT;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case QUEUE_OPT_CYCLE:
			if (cmd_candidate_parse_id(optarg, &body.cycle_id) != 0)
				return cmd_usage_error(self,
				    "--cycle '%s' is not a cycle id", optarg);
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (optind != argc)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind]);
	if (body.cycle_id == 0)
		return cmd_usage_error(self, "missing --cycle ID");
	if ((r = cmd_configure(c)) != 0)
		return r;
	body.kind = kind;
	req.body_case = TIER__REQUEST__BODY_REPORT;
	req.report = &body;
	if ((r = cmd_call(c, conn, &req, resp)) != 0)
		return r;
	if ((*resp)->report->cycle == NULL) {
		output_error(NULL, "the server sent no cycle");
		tier__response__free_unpacked(*resp, NULL);
		*resp = NULL;
		return EXIT_OTHER;
	}
	return CMD_CONTINUE;
}

/* "cycle 3: BU 华东 2027 (open)" above a report's table. */
static void
report_title(const Tier__Cycle *cy, const char *what)
{
	static const char *const states[] = { "unspecified", "drafting", "open",
		"closed", "reviewed" };

	if (output_mode() == CFG_OUTPUT_CSV)
		return; /* the table alone: one CSV document */
	printf("%s of cycle %llu: BU ", what, (unsigned long long)cy->id);
	output_text(stdout, cy->bu);
	printf(" %u (%s)\n\n", cy->year,
	    (unsigned)cy->state < 5 ? states[cy->state] : "unknown");
}

/* Prints the JSON document {"cycle": ..., key: arr}, consuming arr. */
static int
report_json(const Tier__Cycle *cy, const char *key, json_t *arr)
{
	return output_json_print(json_pack(
		   "{s:o, s:o}", "cycle", output_json_cycle(cy), key, arr)) == 0
		   ? EXIT_OK
		   : EXIT_OTHER;
}

int
cmd_targets_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const char *const headers[] = { "TIER", "ID", "CUSTOMER",
		"SEGMENT", "SCORE", "RANK", "OWNER", "CARD" };
	Tier__Response *resp = NULL;
	const Tier__ReportResponse *rep;
	struct output_table *t = NULL;
	struct conn *conn = NULL;
	json_t *arr;
	char id[24], score[32], rank[32];
	size_t i;
	int r;

	if ((r = report_fetch(self, argc, argv, c,
		 TIER__REPORT_KIND__REPORT_KIND_TARGETS, &conn, &resp)) !=
	    CMD_CONTINUE)
		goto out;
	r = EXIT_OK;
	rep = resp->report;
	if (c->output == CFG_OUTPUT_JSON) {
		if ((arr = json_array()) == NULL)
			goto oom;
		for (i = 0; i < rep->n_targets; i++)
			json_array_append_new(
			    arr, output_json_candidate(rep->targets[i]));
		r = report_json(rep->cycle, "targets", arr);
		goto out;
	}
	report_title(rep->cycle, "approved targets");
	if (rep->n_targets == 0 && output_mode() != CFG_OUTPUT_CSV) {
		printf("no approved targets yet\n");
		goto out;
	}
	if (output_table_new(&t, 8, headers) != 0)
		goto oom;
	for (i = 0; i < rep->n_targets; i++) {
		const Tier__Candidate *k = rep->targets[i];

		snprintf(id, sizeof(id), "%llu", (unsigned long long)k->id);
		snprintf(score, sizeof(score), "%.2f", k->score);
		snprintf(
		    rank, sizeof(rank), "%u/%u", k->rank_segment, k->rank_bu);
		const char *cells[] = { output_candidate_tier(k->tier), id,
			k->customer, k->segment, score, rank, k->owner,
			k->card_incomplete ? "incomplete" : "ok" };
		if (output_table_add(t, cells) != 0)
			goto oom;
		if (k->card_incomplete)
			output_table_style(t, 7, OUTPUT_STYLE_WARN);
	}
	output_table_print(t, stdout);
	if (output_mode() != CFG_OUTPUT_CSV)
		printf("%zu target%s\n", rep->n_targets,
		    rep->n_targets == 1 ? "" : "s");
	goto out;
oom:
	output_error(NULL, "out of memory");
	r = EXIT_OTHER;
out:
	output_table_free(t);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

int
cmd_funnel_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const char *const headers[] = { "SEGMENT", "QUOTA", "PROPOSED",
		"SCORED", "SUBMITTED", "APPROVED", "REJECTED", "WITHDRAWN" };
	Tier__Response *resp = NULL;
	const Tier__ReportResponse *rep;
	struct output_table *t = NULL;
	struct conn *conn = NULL;
	Tier__FunnelRow sum = TIER__FUNNEL_ROW__INIT;
	json_t *arr;
	char n[8][40];
	size_t i;
	int r;

	if ((r = report_fetch(self, argc, argv, c,
		 TIER__REPORT_KIND__REPORT_KIND_FUNNEL, &conn, &resp)) !=
	    CMD_CONTINUE)
		goto out;
	r = EXIT_OK;
	rep = resp->report;
	if (c->output == CFG_OUTPUT_JSON) {
		if ((arr = json_array()) == NULL)
			goto oom;
		for (i = 0; i < rep->n_funnel; i++) {
			const Tier__FunnelRow *f = rep->funnel[i];

			json_array_append_new(arr,
			    json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, "
				      "s:i}",
				"segment", f->segment, "quota", (int)f->quota,
				"proposed", (int)f->proposed, "scored",
				(int)f->scored, "submitted", (int)f->submitted,
				"approved", (int)f->approved, "rejected",
				(int)f->rejected, "withdrawn",
				(int)f->withdrawn));
		}
		r = report_json(rep->cycle, "funnel", arr);
		goto out;
	}
	report_title(rep->cycle, "funnel");
	if (output_table_new(&t, 8, headers) != 0)
		goto oom;
	sum.segment = (char *)"total";
	for (i = 0; i <= rep->n_funnel; i++) {
		const Tier__FunnelRow *f =
		    i < rep->n_funnel ? rep->funnel[i] : &sum;

		if (f != &sum) {
			sum.quota += f->quota;
			sum.proposed += f->proposed;
			sum.scored += f->scored;
			sum.submitted += f->submitted;
			sum.approved += f->approved;
			sum.rejected += f->rejected;
			sum.withdrawn += f->withdrawn;
		}
		snprintf(n[0], sizeof(n[0]), "%u", f->quota);
		/* Quota progress: proposed against the quota. */
		if (f->quota != 0)
			snprintf(n[1], sizeof(n[1]), "%u (%u%%)", f->proposed,
			    (unsigned)((uint64_t)f->proposed * 100 / f->quota));
		else
			snprintf(n[1], sizeof(n[1]), "%u", f->proposed);
		snprintf(n[2], sizeof(n[2]), "%u", f->scored);
		snprintf(n[3], sizeof(n[3]), "%u", f->submitted);
		snprintf(n[4], sizeof(n[4]), "%u", f->approved);
		snprintf(n[5], sizeof(n[5]), "%u", f->rejected);
		snprintf(n[6], sizeof(n[6]), "%u", f->withdrawn);
		const char *cells[] = { f->segment, f->quota ? n[0] : "-", n[1],
			n[2], n[3], n[4], n[5], n[6] };
		if (output_table_add(t, cells) != 0)
			goto oom;
	}
	output_table_print(t, stdout);
	goto out;
oom:
	output_error(NULL, "out of memory");
	r = EXIT_OTHER;
out:
	output_table_free(t);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}
