/*
 * "tier inquiry add|list|show|summary|promote|serve|decline" and "tier
 * review": inbound inquiries of a BU, the marketing head's decision on each,
 * their monthly summary, and the annual review of a closed cycle.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tier.h"

enum {
	INQUIRY_OPT_BU = 0x200,
	INQUIRY_OPT_SEGMENT,
	INQUIRY_OPT_CHANNEL,
	INQUIRY_OPT_CALLER,
	INQUIRY_OPT_COMPANY,
	INQUIRY_OPT_REQUEST,
	INQUIRY_OPT_HANDLING,
	INQUIRY_OPT_DATE,
	INQUIRY_OPT_MONTH,
	INQUIRY_OPT_OPEN,
	INQUIRY_OPT_CUSTOMER,
	INQUIRY_OPT_NOTE,
	INQUIRY_OPT_REASON,
	INQUIRY_OPT_CYCLE,
};

/* The lower-case name of an enum value ("phone", "declined"). */
static const char *
inquiry_enum(const ProtobufCEnumDescriptor *d, int value, char *buf, size_t n)
{
	return output_enum_name(d, value, buf, n);
}

static json_t *
inquiry_json(const Tier__Inquiry *q)
{
	char channel[32], outcome[32];

	inquiry_enum(&tier__inquiry_channel__descriptor, q->channel, channel,
	    sizeof(channel));
	inquiry_enum(&tier__inquiry_outcome__descriptor, q->outcome, outcome,
	    sizeof(outcome));
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
			 "s:s, s:I, s:I, s:I, s:s, s:o, s:s, s:o}",
	    "id", (json_int_t)q->id, "bu", q->bu, "segment", q->segment,
	    "channel", channel, "received_on", q->received_on, "caller",
	    q->caller, "company", q->company, "request", q->request, "handling",
	    q->handling, "outcome", outcome, "note", q->note, "customer_id",
	    (json_int_t)q->customer_id, "candidate_id",
	    (json_int_t)q->candidate_id, "cycle_id", (json_int_t)q->cycle_id,
	    "logged_by", q->logged_by, "created_at",
	    output_json_time(q->created_at), "decided_by", q->decided_by,
	    "decided_at", output_json_time(q->decided_at));
}

/* Prints an inquiry as labelled lines. */
static void
inquiry_fields(const Tier__Inquiry *q)
{
	char when[OUTPUT_TIME_SIZE], name[32];

	output_fieldf(stdout, "inquiry", "%llu", (unsigned long long)q->id);
	output_field(stdout, "bu", q->bu);
	output_field(stdout, "segment", *q->segment ? q->segment : "-");
	output_field(stdout, "received", q->received_on);
	output_field(stdout, "channel",
	    inquiry_enum(&tier__inquiry_channel__descriptor, q->channel, name,
		sizeof(name)));
	output_field(stdout, "caller", q->caller);
	output_field(stdout, "company", q->company);
	output_field(stdout, "request", q->request);
	output_field(stdout, "handling", *q->handling ? q->handling : "-");
	output_time(q->created_at, when);
	output_fieldf(stdout, "logged", "%s by %s", when, q->logged_by);
	output_field(stdout, "outcome",
	    inquiry_enum(&tier__inquiry_outcome__descriptor, q->outcome, name,
		sizeof(name)));
	if (q->decided_at != 0) {
		output_time(q->decided_at, when);
		output_fieldf(
		    stdout, "decided", "%s by %s", when, q->decided_by);
	}
	if (*q->note != '\0')
		output_field(stdout,
		    q->outcome ==
			    TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_DECLINED
			? "reason"
			: "note",
		    q->note);
	if (q->customer_id != 0)
		output_fieldf(stdout, "customer", "%llu",
		    (unsigned long long)q->customer_id);
	if (q->candidate_id != 0)
		output_fieldf(stdout, "candidate", "%llu (cycle %llu)",
		    (unsigned long long)q->candidate_id,
		    (unsigned long long)q->cycle_id);
}

static int
inquiry_print(const struct cfg *c, const Tier__InquiryResponse *r)
{
	json_t *doc;

	if (r == NULL || r->inquiry == NULL) {
		output_error(NULL, "the server sent no inquiry");
		return EXIT_OTHER;
	}
	if (c->output == CFG_OUTPUT_JSON) {
		doc = json_pack("{s:o}", "inquiry", inquiry_json(r->inquiry));
		if (doc != NULL && r->candidate != NULL)
			json_object_set_new(doc, "candidate",
			    output_json_candidate(r->candidate));
		return output_json_print(doc) == 0 ? EXIT_OK : EXIT_OTHER;
	}
	inquiry_fields(r->inquiry);
	return EXIT_OK;
}

/* Parses a --channel name. Returns 0 or ERR_INVALID_ARG. */
static int
inquiry_channel_parse(const char *text, Tier__InquiryChannel *out)
{
	char name[32];
	int v;

	for (v = TIER__INQUIRY_CHANNEL__INQUIRY_CHANNEL_PHONE;
	     v <= TIER__INQUIRY_CHANNEL__INQUIRY_CHANNEL_OTHER; v++) {
		if (strcmp(
			text, inquiry_enum(&tier__inquiry_channel__descriptor,
				  v, name, sizeof(name))) == 0) {
			*out = (Tier__InquiryChannel)v;
			return 0;
		}
	}
	return ERR_INVALID_ARG;
}

int
cmd_inquiry_add_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "bu", required_argument, NULL, INQUIRY_OPT_BU },
		{ "segment", required_argument, NULL, INQUIRY_OPT_SEGMENT },
		{ "channel", required_argument, NULL, INQUIRY_OPT_CHANNEL },
		{ "caller", required_argument, NULL, INQUIRY_OPT_CALLER },
		{ "company", required_argument, NULL, INQUIRY_OPT_COMPANY },
		{ "request", required_argument, NULL, INQUIRY_OPT_REQUEST },
		{ "handling", required_argument, NULL, INQUIRY_OPT_HANDLING },
		{ "date", required_argument, NULL, INQUIRY_OPT_DATE },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__InquiryAddRequest body = TIER__INQUIRY_ADD_REQUEST__INIT;
	Tier__Inquiry q = TIER__INQUIRY__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case INQUIRY_OPT_BU:
			q.bu = optarg;
			break;
		case INQUIRY_OPT_SEGMENT:
			q.segment = optarg;
			break;
		case INQUIRY_OPT_CHANNEL:
			if (inquiry_channel_parse(optarg, &q.channel) != 0)
				return cmd_usage_error(self,
				    "--channel '%s': give phone, mail, web, "
				    "visit, fair or other",
				    optarg);
			break;
		case INQUIRY_OPT_CALLER:
			q.caller = optarg;
			break;
		case INQUIRY_OPT_COMPANY:
			q.company = optarg;
			break;
		case INQUIRY_OPT_REQUEST:
			q.request = optarg;
			break;
		case INQUIRY_OPT_HANDLING:
			q.handling = optarg;
			break;
		case INQUIRY_OPT_DATE:
			q.received_on = optarg;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (optind != argc)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind]);
	if (*q.bu == '\0')
		return cmd_usage_error(self, "missing --bu BU");
	if (q.channel == TIER__INQUIRY_CHANNEL__INQUIRY_CHANNEL_UNSPECIFIED)
		return cmd_usage_error(self, "missing --channel CHANNEL");
	if (*q.caller == '\0' || *q.company == '\0' || *q.request == '\0')
		return cmd_usage_error(self, "missing --%s TEXT",
		    *q.caller == '\0'    ? "caller"
		    : *q.company == '\0' ? "company"
					 : "request");
	if ((r = cmd_configure(c)) != 0)
		return r;
	body.inquiry = &q;
	req.body_case = TIER__REQUEST__BODY_INQUIRY_ADD;
	req.inquiry_add = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0)
		r = inquiry_print(c, resp->inquiry_add);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

int
cmd_inquiry_show_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__InquiryGetRequest body = TIER__INQUIRY_GET_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	int r;

	if ((r = cmd_parse_plain(self, argc, argv, c, 1, 1)) != CMD_CONTINUE)
		return r;
	if ((r = cmd_cycle_parse_id(
		 self, argv[optind], "inquiry", &body.inquiry_id)) != 0)
		return r;
	req.body_case = TIER__REQUEST__BODY_INQUIRY_GET;
	req.inquiry_get = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0)
		r = inquiry_print(c, resp->inquiry_get);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

/* The style of an outcome cell: open waits, declined is dim. */
static enum output_style
inquiry_outcome_style(Tier__InquiryOutcome o)
{
	switch (o) {
	case TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_OPEN:
		return OUTPUT_STYLE_WARN;
	case TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_PROMOTED:
	case TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_SERVED:
		return OUTPUT_STYLE_GOOD;
	case TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_DECLINED:
		return OUTPUT_STYLE_DIM;
	default:
		return OUTPUT_STYLE_PLAIN;
	}
}

int
cmd_inquiry_list_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "bu", required_argument, NULL, INQUIRY_OPT_BU },
		{ "month", required_argument, NULL, INQUIRY_OPT_MONTH },
		{ "open", no_argument, NULL, INQUIRY_OPT_OPEN },
		{ NULL, 0, NULL, 0 } };
	static const char *const headers[] = { "ID", "RECEIVED", "BU",
		"SEGMENT", "CHANNEL", "COMPANY", "CALLER", "OUTCOME" };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__InquiryListRequest body = TIER__INQUIRY_LIST_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct output_table *t = NULL;
	struct conn *conn = NULL;
	char id[24], channel[32], outcome[32];
	json_t *arr = NULL;
	size_t i;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case INQUIRY_OPT_BU:
			body.bu = optarg;
			break;
		case INQUIRY_OPT_MONTH:
			body.month = optarg;
			break;
		case INQUIRY_OPT_OPEN:
			body.open = 1;
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
	else if (output_table_new(&t, 8, headers) != 0)
		t = NULL;
	if (arr == NULL && t == NULL)
		return output_oom();
	req.body_case = TIER__REQUEST__BODY_INQUIRY_LIST;
	req.inquiry_list = &body;
	do {
		if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
			goto out;
		for (i = 0; i < resp->inquiry_list->n_inquiries; i++) {
			const Tier__Inquiry *q =
			    resp->inquiry_list->inquiries[i];

			if (arr != NULL) {
				if (json_array_append_new(
					arr, inquiry_json(q)) != 0)
					goto oom;
				continue;
			}
			snprintf(
			    id, sizeof(id), "%llu", (unsigned long long)q->id);
			inquiry_enum(&tier__inquiry_channel__descriptor,
			    q->channel, channel, sizeof(channel));
			inquiry_enum(&tier__inquiry_outcome__descriptor,
			    q->outcome, outcome, sizeof(outcome));
			const char *cells[] = { id, q->received_on, q->bu,
				q->segment, channel, q->company, q->caller,
				outcome };
			if (output_table_add(t, cells) != 0)
				goto oom;
			output_table_style(
			    t, 7, inquiry_outcome_style(q->outcome));
		}
		body.page_before = resp->inquiry_list->next_page_before;
		tier__response__free_unpacked(resp, NULL);
		resp = NULL;
	} while (body.page_before != 0);
	if (arr != NULL)
		r = output_json_print(json_pack("{s:O}", "inquiries", arr)) == 0
			? EXIT_OK
			: EXIT_OTHER;
	else
		output_table_print(t, stdout);
	goto out;
oom:
	r = output_oom();
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	json_decref(arr);
	output_table_free(t);
	conn_free(conn);
	return r;
}

int
cmd_inquiry_summary_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "bu", required_argument, NULL, INQUIRY_OPT_BU },
		{ "month", required_argument, NULL, INQUIRY_OPT_MONTH },
		{ NULL, 0, NULL, 0 } };
	static const char *const headers[] = { "BY", "KEY", "COUNT" };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__InquirySummaryRequest body = TIER__INQUIRY_SUMMARY_REQUEST__INIT;
	const Tier__InquirySummaryResponse *s;
	Tier__Response *resp = NULL;
	struct output_table *t = NULL;
	struct conn *conn = NULL;
	json_t *rows;
	char count[16];
	size_t i;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case INQUIRY_OPT_BU:
			body.bu = optarg;
			break;
		case INQUIRY_OPT_MONTH:
			body.month = optarg;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (optind != argc)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind]);
	if (*body.bu == '\0' || *body.month == '\0')
		return cmd_usage_error(self, "missing --%s",
		    *body.bu == '\0' ? "bu BU" : "month YYYY-MM");
	if ((r = cmd_configure(c)) != 0)
		return r;
	req.body_case = TIER__REQUEST__BODY_INQUIRY_SUMMARY;
	req.inquiry_summary = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		goto out;
	s = resp->inquiry_summary;
	if (c->output == CFG_OUTPUT_JSON) {
		if ((rows = json_array()) == NULL)
			goto oom;
		for (i = 0; i < s->n_rows; i++)
			json_array_append_new(
			    rows, json_pack("{s:s, s:s, s:i}", "by",
				      s->rows[i]->by, "key", s->rows[i]->key,
				      "count", (int)s->rows[i]->count));
		r = output_json_print(json_pack("{s:s, s:s, s:i, s:o}", "bu",
			s->bu, "month", s->month, "total", (int)s->total,
			"rows", rows)) == 0
			? EXIT_OK
			: EXIT_OTHER;
		goto out;
	}
	if (output_mode() != CFG_OUTPUT_CSV) {
		printf("inquiries of BU ");
		output_text(stdout, s->bu);
		printf(" received in %s\n\n", s->month);
	}
	/* One table, so that CSV stays one table: BY says which count. */
	if (output_table_new(&t, 3, headers) != 0)
		goto oom;
	for (i = 0; i < s->n_rows; i++) {
		snprintf(count, sizeof(count), "%u", s->rows[i]->count);
		const char *cells[] = { s->rows[i]->by,
			*s->rows[i]->key ? s->rows[i]->key : "(none)", count };
		if (output_table_add(t, cells) != 0)
			goto oom;
		if (strcmp(s->rows[i]->key, "open") == 0 &&
		    s->rows[i]->count > 0)
			output_table_style(t, 2, OUTPUT_STYLE_WARN);
	}
	snprintf(count, sizeof(count), "%u", s->total);
	const char *total[] = { "total", "", count };
	if (output_table_add(t, total) != 0)
		goto oom;
	output_table_print(t, stdout);
	goto out;
oom:
	r = output_oom();
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	output_table_free(t);
	conn_free(conn);
	return r;
}

/* "inquiry promote|serve|decline ID": the marketing head's decision. */
static int
inquiry_decide(const struct cmd_entry *self, int argc, char **argv,
    struct cfg *c, Tier__InquiryOutcome outcome)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "segment", required_argument, NULL, INQUIRY_OPT_SEGMENT },
		{ "customer", required_argument, NULL, INQUIRY_OPT_CUSTOMER },
		{ "note", required_argument, NULL, INQUIRY_OPT_NOTE },
		{ "reason", required_argument, NULL, INQUIRY_OPT_REASON },
		{ NULL, 0, NULL, 0 } };
	const int promote =
	    outcome == TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_PROMOTED;
	const int decline =
	    outcome == TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_DECLINED;
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__InquiryDecideRequest body = TIER__INQUIRY_DECIDE_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case INQUIRY_OPT_SEGMENT:
			if (!promote)
				return cmd_usage_error(
				    self, "--segment is for promote only");
			body.segment = optarg;
			break;
		case INQUIRY_OPT_CUSTOMER:
			if (decline)
				return cmd_usage_error(self,
				    "a declined inquiry names no "
				    "customer");
			if (cmd_cycle_parse_id(self, optarg, "customer",
				&body.customer_id) != 0)
				return EXIT_USAGE;
			break;
		case INQUIRY_OPT_NOTE:
			if (outcome !=
			    TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_SERVED)
				return cmd_usage_error(
				    self, "--note is for serve only");
			body.note = optarg;
			break;
		case INQUIRY_OPT_REASON:
			if (!decline)
				return cmd_usage_error(
				    self, "--reason is for decline only");
			body.note = optarg;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(self, argc == optind
						 ? "missing the inquiry ID"
						 : "give one inquiry ID");
	if ((r = cmd_cycle_parse_id(
		 self, argv[optind], "inquiry", &body.inquiry_id)) != 0)
		return r;
	if (decline && *body.note == '\0')
		return cmd_usage_error(self, "missing --reason TEXT");
	if ((r = cmd_configure(c)) != 0)
		return r;
	body.outcome = outcome;
	req.body_case = TIER__REQUEST__BODY_INQUIRY_DECIDE;
	req.inquiry_decide = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0) {
		r = inquiry_print(c, resp->inquiry_decide);
		if (r == EXIT_OK && c->output != CFG_OUTPUT_JSON &&
		    resp->inquiry_decide->candidate != NULL) {
			printf("\n");
			output_candidate_fields(
			    stdout, resp->inquiry_decide->candidate);
		}
	}
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

int
cmd_inquiry_promote_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	return inquiry_decide(self, argc, argv, c,
	    TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_PROMOTED);
}

int
cmd_inquiry_serve_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	return inquiry_decide(
	    self, argc, argv, c, TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_SERVED);
}

int
cmd_inquiry_decline_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	return inquiry_decide(self, argc, argv, c,
	    TIER__INQUIRY_OUTCOME__INQUIRY_OUTCOME_DECLINED);
}

/* The annual review
 * -----------------------------------------------------------*/

static json_t *
review_row_json(const Tier__ReviewRow *w)
{
	return json_pack("{s:o, s:s, s:i, s:i, s:i, s:I, s:I, s:f, s:i}",
	    "tier",
	    w->tier ? json_string(output_candidate_tier(w->tier)) : json_null(),
	    "segment", w->segment, "targets", (int)w->targets, "visits",
	    (int)w->visits, "complaints", (int)w->complaints, "revenue",
	    (json_int_t)w->revenue, "plan", (json_int_t)w->plan,
	    "revenue_percent", w->revenue_percent, "from_inquiries",
	    (int)w->from_inquiries);
}

/* Adds one review row to the table; the totals row when tier is NULL. */
static int
review_row_add(
    struct output_table *t, const Tier__ReviewRow *w, const char *tier)
{
	char targets[16], visits[16], complaints[16], revenue[32], plan[32];
	char percent[32], inquiries[16];

	snprintf(targets, sizeof(targets), "%u", w->targets);
	snprintf(visits, sizeof(visits), "%u", w->visits);
	snprintf(complaints, sizeof(complaints), "%u", w->complaints);
	snprintf(revenue, sizeof(revenue), "%lld", (long long)w->revenue);
	snprintf(plan, sizeof(plan), "%lld", (long long)w->plan);
	if (w->plan > 0)
		snprintf(percent, sizeof(percent), "%.1f", w->revenue_percent);
	else
		snprintf(percent, sizeof(percent), "-");
	snprintf(inquiries, sizeof(inquiries), "%u", w->from_inquiries);
	const char *cells[] = { tier != NULL ? tier : "total",
		tier != NULL ? w->segment : "", targets, visits, complaints,
		revenue, plan, percent, inquiries };
	if (output_table_add(t, cells) != 0)
		return ERR_ALLOC;
	if (w->plan > 0)
		output_table_style(t, 7,
		    w->revenue >= w->plan ? OUTPUT_STYLE_GOOD
					  : OUTPUT_STYLE_BAD);
	return 0;
}

int
cmd_review_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "cycle", required_argument, NULL, INQUIRY_OPT_CYCLE },
		{ NULL, 0, NULL, 0 } };
	static const char *const headers[] = { "TIER", "SEGMENT", "TARGETS",
		"VISITS", "COMPLAINTS", "REVENUE", "PLAN", "%PLAN",
		"FROM INQUIRY" };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__ReviewRequest body = TIER__REVIEW_REQUEST__INIT;
	const Tier__ReviewResponse *rv;
	Tier__Response *resp = NULL;
	struct output_table *t = NULL;
	struct conn *conn = NULL;
	char state[32];
	json_t *rows;
	size_t i;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case INQUIRY_OPT_CYCLE:
			if (cmd_cycle_parse_id(
				self, optarg, "cycle", &body.cycle_id) != 0)
				return EXIT_USAGE;
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
	req.body_case = TIER__REQUEST__BODY_REVIEW;
	req.review = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
		goto out;
	rv = resp->review;
	if (c->output == CFG_OUTPUT_JSON) {
		if ((rows = json_array()) == NULL)
			goto oom;
		for (i = 0; i < rv->n_rows; i++)
			json_array_append_new(
			    rows, review_row_json(rv->rows[i]));
		r = output_json_print(json_pack("{s:o, s:o, s:o, s:i}", "cycle",
			output_json_cycle(rv->cycle), "rows", rows, "total",
			review_row_json(rv->total), "inquiries_promoted",
			(int)rv->inquiries_promoted)) == 0
			? EXIT_OK
			: EXIT_OTHER;
		goto out;
	}
	if (output_mode() != CFG_OUTPUT_CSV && rv->cycle != NULL) {
		printf("annual review of cycle %llu: BU ",
		    (unsigned long long)rv->cycle->id);
		output_text(stdout, rv->cycle->bu);
		printf(" %u (%s)\n\n", rv->cycle->year,
		    output_enum_name(&tier__cycle_state__descriptor,
			rv->cycle->state, state, sizeof(state)));
	}
	if (output_table_new(&t, 9, headers) != 0)
		goto oom;
	for (i = 0; i < rv->n_rows; i++) {
		if (review_row_add(t, rv->rows[i],
			output_candidate_tier(rv->rows[i]->tier)) != 0)
			goto oom;
	}
	if (rv->total != NULL && review_row_add(t, rv->total, NULL) != 0)
		goto oom;
	output_table_print(t, stdout);
	if (output_mode() != CFG_OUTPUT_CSV)
		printf("\ninquiries promoted into the cycle: %u\n",
		    rv->inquiries_promoted);
	goto out;
oom:
	r = output_oom();
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	output_table_free(t);
	conn_free(conn);
	return r;
}
