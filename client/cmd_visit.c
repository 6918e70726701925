/*
 * "tier visit add|list|plan|overdue": the visit card of customers and the
 * revisit plan of the targets' owners; also the visit and complaint lines
 * of "tier customer show". Dates are "YYYY-MM-DD"; the server decides what
 * is overdue, by its own clock.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tier.h"

enum {
	VISIT_OPT_DATE = 0x200,
	VISIT_OPT_VISITOR,
	VISIT_OPT_RECEIVED_BY,
	VISIT_OPT_CONTENT,
	VISIT_OPT_PROGRESS,
	VISIT_OPT_NEXT,
	VISIT_OPT_CUSTOMER,
	VISIT_OPT_FROM,
	VISIT_OPT_TO,
	VISIT_OPT_LIMIT,
	VISIT_OPT_OWNER,
	VISIT_OPT_BU,
};

int
cmd_visit_date_option(
    const struct cmd_entry *self, const char *flag, const char *text)
{
	int64_t t;

	if (cmd_delegate_parse_day(text, &t) != 0)
		return cmd_usage_error(
		    self, "%s '%s' is not a day: write YYYY-MM-DD", flag, text);
	return 0;
}

json_t *
cmd_visit_json(const Tier__Visit *v)
{
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, "
			 "s:s, s:o}",
	    "id", (json_int_t)v->id, "customer_id", (json_int_t)v->customer_id,
	    "customer", v->customer, "bu", v->bu, "visit_date", v->visit_date,
	    "visitor", v->visitor, "received_by", v->received_by, "content",
	    v->content, "progress", v->progress, "next_visit",
	    v->next_visit[0] != '\0' ? v->next_visit : NULL, "created_by",
	    v->created_by, "created_at", output_json_time(v->created_at));
}

json_t *
cmd_visit_json_complaint(const Tier__Complaint *k)
{
	char cat[32], state[32];

	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
			 "s:s, s:o, s:s?, s:o}",
	    "id", (json_int_t)k->id, "customer_id", (json_int_t)k->customer_id,
	    "customer", k->customer, "bu", k->bu, "opened_on", k->opened_on,
	    "category",
	    output_enum_name(&tier__complaint_category__descriptor, k->category,
		cat, sizeof(cat)),
	    "description", k->description, "handling", k->handling,
	    "resolution", k->resolution, "state",
	    output_enum_name(&tier__complaint_state__descriptor, k->state,
		state, sizeof(state)),
	    "opened_by", k->opened_by, "created_at",
	    output_json_time(k->created_at), "resolved_by",
	    k->resolved_by[0] != '\0' ? k->resolved_by : NULL, "resolved_at",
	    output_json_time(k->resolved_at));
}

static json_t *
visit_json_target(const Tier__VisitTarget *t)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:s?, s:s?, "
			 "s:o, s:s, s:b, s:s}",
	    "customer_id", (json_int_t)t->customer_id, "customer", t->customer,
	    "bu", t->bu, "owner", t->owner, "tier",
	    output_candidate_tier(t->tier), "cycle_id", (json_int_t)t->cycle_id,
	    "year", (int)t->year, "limit_days", (int)t->limit_days,
	    "last_visit", t->last_visit[0] != '\0' ? t->last_visit : NULL,
	    "next_visit", t->next_visit[0] != '\0' ? t->next_visit : NULL,
	    "days_since",
	    t->days_since >= 0 ? json_integer(t->days_since) : json_null(),
	    "due", t->due, "overdue", t->overdue, "target_since",
	    t->target_since);
}

/* Prints one visit as labelled lines. */
static void
visit_print_fields(const Tier__Visit *v)
{
	char when[OUTPUT_TIME_SIZE];

	output_fieldf(stdout, "visit", "%llu", (unsigned long long)v->id);
	output_fieldf(stdout, "customer", "%llu %s (%s)",
	    (unsigned long long)v->customer_id, v->customer, v->bu);
	output_field(stdout, "date", v->visit_date);
	output_field(stdout, "visitor", v->visitor);
	output_field(stdout, "received by", v->received_by);
	output_field(stdout, "content", v->content);
	output_field(stdout, "progress",
	    v->progress[0] != '\0' ? v->progress : "(not recorded)");
	output_field(stdout, "next visit",
	    v->next_visit[0] != '\0' ? v->next_visit : "(none planned)");
	output_time(v->created_at, when);
	output_fieldf(stdout, "recorded", "%s by %s", when, v->created_by);
}

/* Ends a command: frees what it holds, returns r. */
static int
visit_done(int r, Tier__Response *resp, struct conn *conn)
{
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

int
cmd_visit_add_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "date", required_argument, NULL, VISIT_OPT_DATE },
		{ "visitor", required_argument, NULL, VISIT_OPT_VISITOR },
		{ "received-by", required_argument, NULL,
		    VISIT_OPT_RECEIVED_BY },
		{ "content", required_argument, NULL, VISIT_OPT_CONTENT },
		{ "progress", required_argument, NULL, VISIT_OPT_PROGRESS },
		{ "next", required_argument, NULL, VISIT_OPT_NEXT },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__VisitAddRequest body = TIER__VISIT_ADD_REQUEST__INIT;
	Tier__Visit v = TIER__VISIT__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	uint64_t id;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case VISIT_OPT_DATE:
			if ((r = cmd_visit_date_option(
				 self, "--date", optarg)) != 0)
				return r;
			v.visit_date = optarg;
			break;
		case VISIT_OPT_NEXT:
			if ((r = cmd_visit_date_option(
				 self, "--next", optarg)) != 0)
				return r;
			v.next_visit = optarg;
			break;
		case VISIT_OPT_VISITOR:
			v.visitor = optarg;
			break;
		case VISIT_OPT_RECEIVED_BY:
			v.received_by = optarg;
			break;
		case VISIT_OPT_CONTENT:
			v.content = optarg;
			break;
		case VISIT_OPT_PROGRESS:
			v.progress = optarg;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(self, argc == optind
						 ? "missing the CUSTOMER id"
						 : "give one CUSTOMER id");
	if ((r = cmd_cycle_parse_id(self, argv[optind], "customer", &id)) != 0)
		return r;
	if (v.visit_date[0] == '\0')
		return cmd_usage_error(self, "give --date YYYY-MM-DD");
	if (v.received_by[0] == '\0' || v.content[0] == '\0')
		return cmd_usage_error(
		    self, "give --received-by and --content");
	if ((r = cmd_configure(c)) != 0)
		return r;
	v.customer_id = id;
	body.visit = &v;
	req.body_case = TIER__REQUEST__BODY_VISIT_ADD;
	req.visit_add = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		return visit_done(r, resp, conn);
	if (resp->visit_add->visit == NULL) {
		output_error(NULL, "the server sent no visit");
		return visit_done(EXIT_OTHER, resp, conn);
	}
	if (c->output == CFG_OUTPUT_JSON)
		r = output_json_print(json_pack("{s:o}", "visit",
			cmd_visit_json(resp->visit_add->visit))) == 0
			? EXIT_OK
			: EXIT_OTHER;
	else
		visit_print_fields(resp->visit_add->visit);
	return visit_done(r, resp, conn);
}

int
cmd_visit_list_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "customer", required_argument, NULL, VISIT_OPT_CUSTOMER },
		{ "visitor", required_argument, NULL, VISIT_OPT_VISITOR },
		{ "from", required_argument, NULL, VISIT_OPT_FROM },
		{ "to", required_argument, NULL, VISIT_OPT_TO },
		{ "limit", required_argument, NULL, VISIT_OPT_LIMIT },
		{ NULL, 0, NULL, 0 } };
	static const char *const headers[] = { "ID", "DATE", "CUSTOMER", "NAME",
		"VISITOR", "RECEIVED BY", "CONTENT", "PROGRESS", "NEXT" };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__VisitListRequest body = TIER__VISIT_LIST_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct output_table *t = NULL;
	struct conn *conn = NULL;
	json_t *arr = NULL;
	char id[24], cust[24];
	uint64_t n;
	size_t i;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case VISIT_OPT_CUSTOMER:
			if ((r = cmd_cycle_parse_id(
				 self, optarg, "customer", &n)) != 0)
				return r;
			body.customer_id = n;
			break;
		case VISIT_OPT_VISITOR:
			body.visitor = optarg;
			break;
		case VISIT_OPT_FROM:
		case VISIT_OPT_TO:
			if ((r = cmd_visit_date_option(self,
				 ch == VISIT_OPT_FROM ? "--from" : "--to",
				 optarg)) != 0)
				return r;
			if (ch == VISIT_OPT_FROM)
				body.from = optarg;
			else
				body.to = optarg;
			break;
		case VISIT_OPT_LIMIT:
			if (cmd_cycle_parse_uint(optarg, 1, 1000, &n) != 0)
				return cmd_usage_error(self,
				    "--limit '%s': give a number from 1 to "
				    "1000",
				    optarg);
			body.limit = (uint32_t)n;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc != optind)
		return cmd_usage_error(self, "unexpected '%s'", argv[optind]);
	if ((r = cmd_configure(c)) != 0)
		return r;
	req.body_case = TIER__REQUEST__BODY_VISIT_LIST;
	req.visit_list = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		return visit_done(r, resp, conn);
	if (c->output == CFG_OUTPUT_JSON) {
		r = (arr = json_array()) == NULL ? output_oom() : 0;
		for (i = 0; r == 0 && i < resp->visit_list->n_visits; i++) {
			if (json_array_append_new(arr,
				cmd_visit_json(resp->visit_list->visits[i])) !=
			    0)
				r = output_oom();
		}
		if (r == 0 &&
		    output_json_print(json_pack("{s:o, s:b}", "visits", arr,
			"truncated", resp->visit_list->truncated)) != 0)
			r = EXIT_OTHER;
		return visit_done(r, resp, conn);
	}
	if (output_table_new(&t, 9, headers) != 0)
		return visit_done(output_oom(), resp, conn);
	for (i = 0; i < resp->visit_list->n_visits; i++) {
		const Tier__Visit *v = resp->visit_list->visits[i];
		const char *cells[] = { id, v->visit_date, cust, v->customer,
			v->visitor, v->received_by, v->content, v->progress,
			v->next_visit };

		snprintf(id, sizeof(id), "%llu", (unsigned long long)v->id);
		snprintf(cust, sizeof(cust), "%llu",
		    (unsigned long long)v->customer_id);
		if (output_table_add(t, cells) != 0) {
			output_table_free(t);
			return visit_done(output_oom(), resp, conn);
		}
	}
	output_table_print(t, stdout);
	output_table_free(t);
	if (resp->visit_list->truncated)
		output_note("more visits match: narrow the list or raise "
			    "--limit");
	return visit_done(EXIT_OK, resp, conn);
}

/* Prints a plan or the overdue targets as a table or JSON. */
static int
visit_plan_print(const struct cfg *c, const Tier__VisitPlanResponse *p)
{
	static const char *const headers[] = { "OWNER", "CUSTOMER", "NAME",
		"BU", "TIER", "LAST VISIT", "DAYS", "NEXT PLANNED", "DUE",
		"LIMIT", "STATUS" };
	struct output_table *t = NULL;
	json_t *arr;
	char id[24], days[24], limit[24];
	size_t i;
	int r = 0;

	if (c->output == CFG_OUTPUT_JSON) {
		if ((arr = json_array()) == NULL)
			return output_oom();
		for (i = 0; r == 0 && i < p->n_targets; i++) {
			if (json_array_append_new(
				arr, visit_json_target(p->targets[i])) != 0)
				r = output_oom();
		}
		if (r != 0) {
			json_decref(arr);
			return r;
		}
		return output_json_print(json_pack("{s:s, s:o}", "today",
			   p->today, "targets", arr)) == 0
			   ? EXIT_OK
			   : EXIT_OTHER;
	}
	if (output_table_new(&t, 11, headers) != 0)
		return output_oom();
	for (i = 0; i < p->n_targets; i++) {
		const Tier__VisitTarget *g = p->targets[i];
		/* Due by a planned visit that has passed: a reminder. */
		const char *status = g->overdue                      ? "overdue"
				     : strcmp(g->due, p->today) <= 0 ? "due"
								     : "ok";
		const char *cells[] = { g->owner, id, g->customer, g->bu,
			output_candidate_tier(g->tier),
			g->last_visit[0] != '\0' ? g->last_visit : "never",
			days, g->next_visit, g->due, limit, status };

		snprintf(
		    id, sizeof(id), "%llu", (unsigned long long)g->customer_id);
		if (g->days_since >= 0)
			snprintf(days, sizeof(days), "%d", (int)g->days_since);
		else
			days[0] = '\0';
		snprintf(limit, sizeof(limit), "%u", g->limit_days);
		if (output_table_add(t, cells) != 0) {
			output_table_free(t);
			return output_oom();
		}
		output_table_style(t, 10,
		    g->overdue         ? OUTPUT_STYLE_BAD
		    : status[0] == 'd' ? OUTPUT_STYLE_WARN
				       : OUTPUT_STYLE_GOOD);
	}
	output_table_print(t, stdout);
	output_table_free(t);
	return EXIT_OK;
}

/* visit plan and visit overdue: the same options, another request. */
static int
visit_targets_main(const struct cmd_entry *self, int argc, char **argv,
    struct cfg *c, int overdue)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "owner", required_argument, NULL, VISIT_OPT_OWNER },
		{ "bu", required_argument, NULL, VISIT_OPT_BU },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__VisitPlanRequest plan = TIER__VISIT_PLAN_REQUEST__INIT;
	Tier__VisitOverdueRequest late = TIER__VISIT_OVERDUE_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	const char *owner = "", *bu = "";
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case VISIT_OPT_OWNER:
			owner = optarg;
			break;
		case VISIT_OPT_BU:
			bu = optarg;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc != optind)
		return cmd_usage_error(self, "unexpected '%s'", argv[optind]);
	if ((r = cmd_configure(c)) != 0)
		return r;
	if (overdue) {
		late.owner = (char *)owner;
		late.bu = (char *)bu;
		req.body_case = TIER__REQUEST__BODY_VISIT_OVERDUE;
		req.visit_overdue = &late;
	} else {
		plan.owner = (char *)owner;
		plan.bu = (char *)bu;
		req.body_case = TIER__REQUEST__BODY_VISIT_PLAN;
		req.visit_plan = &plan;
	}
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		return visit_done(r, resp, conn);
	r = visit_plan_print(
	    c, overdue ? resp->visit_overdue : resp->visit_plan);
	return visit_done(r, resp, conn);
}

int
cmd_visit_plan_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	return visit_targets_main(self, argc, argv, c, 0);
}

int
cmd_visit_overdue_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	return visit_targets_main(self, argc, argv, c, 1);
}

void
cmd_visit_customer_fields(const Tier__CustomerResponse *r)
{
	char cat[32];
	size_t i;

	output_fieldf(stdout, "visits", "%u recorded", r->visit_count);
	for (i = 0; i < r->n_recent_visits; i++) {
		const Tier__Visit *v = r->recent_visits[i];

		if (v->next_visit[0] != '\0')
			output_fieldf(stdout, "visit", "%s by %s: %s (next %s)",
			    v->visit_date, v->visitor, v->content,
			    v->next_visit);
		else
			output_fieldf(stdout, "visit", "%s by %s: %s",
			    v->visit_date, v->visitor, v->content);
	}
	output_fieldf(stdout, "complaints", "%zu open", r->n_open_complaints);
	for (i = 0; i < r->n_open_complaints; i++) {
		const Tier__Complaint *k = r->open_complaints[i];

		output_fieldf(stdout, "complaint", "%llu %s %s: %s",
		    (unsigned long long)k->id, k->opened_on,
		    output_enum_name(&tier__complaint_category__descriptor,
			k->category, cat, sizeof(cat)),
		    k->description);
	}
}

int
cmd_visit_customer_json(const Tier__CustomerResponse *r)
{
	json_t *visits = json_array(), *open = json_array();
	size_t i;

	for (i = 0; visits != NULL && i < r->n_recent_visits; i++) {
		if (json_array_append_new(
			visits, cmd_visit_json(r->recent_visits[i])) != 0) {
			json_decref(visits);
			visits = NULL;
		}
	}
	for (i = 0; open != NULL && i < r->n_open_complaints; i++) {
		if (json_array_append_new(open,
			cmd_visit_json_complaint(r->open_complaints[i])) != 0) {
			json_decref(open);
			open = NULL;
		}
	}
	if (visits == NULL || open == NULL) {
		json_decref(visits);
		json_decref(open);
		return output_oom();
	}
	return output_json_print(json_pack("{s:o, s:o, s:i, s:o}", "customer",
		   output_json_customer(r->customer), "recent_visits", visits,
		   "visit_count", (int)r->visit_count, "open_complaints",
		   open)) == 0
		   ? EXIT_OK
		   : EXIT_OTHER;
}
