/*
 * "tier complaint add|resolve|list": the complaint card of customers. A
 * complaint is opened with a category and a description and resolved once,
 * with a resolution; resolved is final.
 */
#include <getopt.h>
#include <string.h>

#include "err.h"
#include "tier.h"

enum {
	COMPLAINT_OPT_CATEGORY = 0x200,
	COMPLAINT_OPT_DESCRIPTION,
	COMPLAINT_OPT_DATE,
	COMPLAINT_OPT_HANDLING,
	COMPLAINT_OPT_RESOLUTION,
	COMPLAINT_OPT_CUSTOMER,
	COMPLAINT_OPT_OPEN,
	COMPLAINT_OPT_BU,
	COMPLAINT_OPT_LIMIT,
};

static const char complaint_categories[] =
    "quality, service, price, delivery or other";

int
cmd_complaint_parse_category(const char *text, Tier__ComplaintCategory *out)
{
	static const struct {
		const char *name;
		Tier__ComplaintCategory c;
	} names[] = {
		{ "quality",
		    TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_QUALITY },
		{ "service",
		    TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_SERVICE },
		{ "price", TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_PRICE },
		{ "delivery",
		    TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_DELIVERY },
		{ "other", TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_OTHER },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i].name, text) == 0) {
			*out = names[i].c;
			return 0;
		}
	}
	return ERR_INVALID_ARG;
}

static const char *
complaint_category(Tier__ComplaintCategory c, char *buf, size_t len)
{
	return output_enum_name(
	    &tier__complaint_category__descriptor, c, buf, len);
}

static const char *
complaint_state(Tier__ComplaintState s, char *buf, size_t len)
{
	return output_enum_name(
	    &tier__complaint_state__descriptor, s, buf, len);
}

/* Prints one complaint as labelled lines. */
static void
complaint_print_fields(const Tier__Complaint *k)
{
	char when[OUTPUT_TIME_SIZE], name[32];

	output_fieldf(stdout, "complaint", "%llu", (unsigned long long)k->id);
	output_fieldf(stdout, "customer", "%llu %s (%s)",
	    (unsigned long long)k->customer_id, k->customer, k->bu);
	output_field(stdout, "opened on", k->opened_on);
	output_field(stdout, "category",
	    complaint_category(k->category, name, sizeof(name)));
	output_field(stdout, "description", k->description);
	output_field(stdout, "handling",
	    k->handling[0] != '\0' ? k->handling : "(not recorded)");
	output_field(
	    stdout, "state", complaint_state(k->state, name, sizeof(name)));
	output_time(k->created_at, when);
	output_fieldf(stdout, "opened", "%s by %s", when, k->opened_by);
	if (k->state == TIER__COMPLAINT_STATE__COMPLAINT_STATE_RESOLVED) {
		output_field(stdout, "resolution", k->resolution);
		output_time(k->resolved_at, when);
		output_fieldf(
		    stdout, "resolved", "%s by %s", when, k->resolved_by);
	}
}

/* Prints the complaint of a response and frees what the command holds. */
static int
complaint_finish(const struct cfg *c, int r, const Tier__Complaint *k,
    Tier__Response *resp, struct conn *conn)
{
	if (r == 0 && k == NULL) {
		output_error(NULL, "the server sent no complaint");
		r = EXIT_OTHER;
	} else if (r == 0 && c->output == CFG_OUTPUT_JSON) {
		if (output_json_print(json_pack("{s:o}", "complaint",
			cmd_visit_json_complaint(k))) != 0)
			r = EXIT_OTHER;
	} else if (r == 0) {
		complaint_print_fields(k);
	}
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

int
cmd_complaint_add_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "category", required_argument, NULL, COMPLAINT_OPT_CATEGORY },
		{ "description", required_argument, NULL,
		    COMPLAINT_OPT_DESCRIPTION },
		{ "date", required_argument, NULL, COMPLAINT_OPT_DATE },
		{ "handling", required_argument, NULL, COMPLAINT_OPT_HANDLING },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__ComplaintAddRequest body = TIER__COMPLAINT_ADD_REQUEST__INIT;
	Tier__Complaint k = TIER__COMPLAINT__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	uint64_t id;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case COMPLAINT_OPT_CATEGORY:
			if (cmd_complaint_parse_category(optarg, &k.category) !=
			    0)
				return cmd_usage_error(self,
				    "--category '%s': give %s", optarg,
				    complaint_categories);
			break;
		case COMPLAINT_OPT_DESCRIPTION:
			k.description = optarg;
			break;
		case COMPLAINT_OPT_DATE:
			if ((r = cmd_visit_date_option(
				 self, "--date", optarg)) != 0)
				return r;
			k.opened_on = optarg;
			break;
		case COMPLAINT_OPT_HANDLING:
			k.handling = optarg;
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
	if (k.category ==
	    TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_UNSPECIFIED)
		return cmd_usage_error(
		    self, "give --category: %s", complaint_categories);
	if (k.description[0] == '\0')
		return cmd_usage_error(self, "give --description");
	if ((r = cmd_configure(c)) != 0)
		return r;
	k.customer_id = id;
	body.complaint = &k;
	req.body_case = TIER__REQUEST__BODY_COMPLAINT_ADD;
	req.complaint_add = &body;
	r = cmd_call(c, &conn, &req, &resp);
	return complaint_finish(
	    c, r, r == 0 ? resp->complaint_add->complaint : NULL, resp, conn);
}

int
cmd_complaint_resolve_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "resolution", required_argument, NULL,
		    COMPLAINT_OPT_RESOLUTION },
		{ "handling", required_argument, NULL, COMPLAINT_OPT_HANDLING },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__ComplaintResolveRequest body =
	    TIER__COMPLAINT_RESOLVE_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	uint64_t id;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case COMPLAINT_OPT_RESOLUTION:
			body.resolution = optarg;
			break;
		case COMPLAINT_OPT_HANDLING:
			body.handling = optarg;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(self, argc == optind
						 ? "missing the complaint ID"
						 : "give one complaint ID");
	if ((r = cmd_cycle_parse_id(self, argv[optind], "complaint", &id)) != 0)
		return r;
	if (body.resolution[0] == '\0')
		return cmd_usage_error(self, "give --resolution");
	if ((r = cmd_configure(c)) != 0)
		return r;
	body.complaint_id = id;
	req.body_case = TIER__REQUEST__BODY_COMPLAINT_RESOLVE;
	req.complaint_resolve = &body;
	r = cmd_call(c, &conn, &req, &resp);
	return complaint_finish(c, r,
	    r == 0 ? resp->complaint_resolve->complaint : NULL, resp, conn);
}

/*
 * Prints the complaints body asks for as a table or one JSON document,
 * connecting when *conn is NULL. A watch_list_fn. Returns 0 or an exit
 * code.
 */
static int
complaint_list_print(const struct cfg *c, struct conn **conn, void *arg)
{
	static const char *const headers[] = { "ID", "OPENED", "CUSTOMER",
		"NAME", "CATEGORY", "STATE", "DESCRIPTION", "HANDLING",
		"RESOLUTION" };
	Tier__ComplaintListRequest *body = arg;
	Tier__Request req = TIER__REQUEST__INIT;
	const Tier__ComplaintListResponse *l;
	Tier__Response *resp = NULL;
	struct output_table *t = NULL;
	json_t *arr = NULL;
	char id[24], cust[24], cat[32], state[32];
	size_t i;
	int r;

	req.body_case = TIER__REQUEST__BODY_COMPLAINT_LIST;
	req.complaint_list = body;
	if ((r = cmd_call(c, conn, &req, &resp)) != 0)
		goto out;
	l = resp->complaint_list;
	if (c->output == CFG_OUTPUT_JSON) {
		r = (arr = json_array()) == NULL ? output_oom() : 0;
		for (i = 0; r == 0 && i < l->n_complaints; i++) {
			if (json_array_append_new(arr,
				cmd_visit_json_complaint(l->complaints[i])) !=
			    0)
				r = output_oom();
		}
		if (r == 0 &&
		    output_json_print(json_pack("{s:O, s:b}", "complaints", arr,
			"truncated", l->truncated)) != 0)
			r = EXIT_OTHER;
		goto out;
	}
	if (output_table_new(&t, 9, headers) != 0) {
		r = output_oom();
		goto out;
	}
	for (i = 0; i < l->n_complaints; i++) {
		const Tier__Complaint *k = l->complaints[i];
		const char *cells[] = { id, k->opened_on, cust, k->customer,
			complaint_category(k->category, cat, sizeof(cat)),
			complaint_state(k->state, state, sizeof(state)),
			k->description, k->handling, k->resolution };

		snprintf(id, sizeof(id), "%llu", (unsigned long long)k->id);
		snprintf(cust, sizeof(cust), "%llu",
		    (unsigned long long)k->customer_id);
		if (output_table_add(t, cells) != 0) {
			r = output_oom();
			goto out;
		}
		output_table_style(t, 5,
		    k->state == TIER__COMPLAINT_STATE__COMPLAINT_STATE_OPEN
			? OUTPUT_STYLE_BAD
			: OUTPUT_STYLE_GOOD);
	}
	output_table_print(t, stdout);
	if (l->truncated)
		output_note("more complaints match: narrow the list or raise "
			    "--limit");
out:
	json_decref(arr);
	output_table_free(t);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	return r;
}

int
cmd_complaint_list_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS, WATCH_OPTIONS,
		{ "customer", required_argument, NULL, COMPLAINT_OPT_CUSTOMER },
		{ "open", no_argument, NULL, COMPLAINT_OPT_OPEN },
		{ "category", required_argument, NULL, COMPLAINT_OPT_CATEGORY },
		{ "bu", required_argument, NULL, COMPLAINT_OPT_BU },
		{ "limit", required_argument, NULL, COMPLAINT_OPT_LIMIT },
		{ NULL, 0, NULL, 0 } };
	Tier__ComplaintListRequest body = TIER__COMPLAINT_LIST_REQUEST__INIT;
	struct watch_opts w = { 0 };
	struct watch_spec ws = { 0 };
	uint64_t n;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case COMPLAINT_OPT_CUSTOMER:
			if ((r = cmd_cycle_parse_id(
				 self, optarg, "customer", &n)) != 0)
				return r;
			body.customer_id = n;
			break;
		case COMPLAINT_OPT_OPEN:
			body.open_only = 1;
			break;
		case COMPLAINT_OPT_CATEGORY:
			if (cmd_complaint_parse_category(
				optarg, &body.category) != 0)
				return cmd_usage_error(self,
				    "--category '%s': give %s", optarg,
				    complaint_categories);
			break;
		case COMPLAINT_OPT_BU:
			body.bu = optarg;
			break;
		case COMPLAINT_OPT_LIMIT:
			if (cmd_cycle_parse_uint(optarg, 1, 1000, &n) != 0)
				return cmd_usage_error(self,
				    "--limit '%s': give a number from 1 to "
				    "1000",
				    optarg);
			body.limit = (uint32_t)n;
			break;
		default:
			if ((r = watch_option(self, ch, &w)) < 0)
				return EXIT_USAGE;
			if (r == 0 && (r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc != optind)
		return cmd_usage_error(self, "unexpected '%s'", argv[optind]);
	if ((r = watch_check(self, &w, 0)) != 0)
		return r;
	if ((r = cmd_configure(c)) != 0)
		return r;
	/* The watch keeps the complaint events of the BU asked for. */
	ws.key = "complaint list";
	ws.entity = "complaint";
	ws.bu = *body.bu != '\0' ? body.bu : NULL;
	ws.list = complaint_list_print;
	ws.arg = &body;
	return watch_or_list(c, &w, &ws, 0);
}
