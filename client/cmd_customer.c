/*
 * "tier customer add|update|show|list": the customers of a BU and their
 * archive card. An update reads the card first and changes only the fields
 * given, so the server, which replaces the whole card, keeps the rest.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tier.h"

enum {
	CUSTOMER_OPT_BU = 0x200,
	CUSTOMER_OPT_NAME,
	CUSTOMER_OPT_INDUSTRY,
	CUSTOMER_OPT_REGION,
	CUSTOMER_OPT_SIZE,
	CUSTOMER_OPT_CONTACTS,
	CUSTOMER_OPT_CREDIT_LIMIT,
	CUSTOMER_OPT_PAYMENT_TERMS,
	CUSTOMER_OPT_REVENUE,
	CUSTOMER_OPT_IF_VERSION,
	CUSTOMER_OPT_SEARCH,
	CUSTOMER_OPT_PROFILE,
	CUSTOMER_OPT_KEY_PEOPLE,
	CUSTOMER_OPT_STATUS,
	CUSTOMER_OPT_PLAN,
	CUSTOMER_OPT_REASON,
	CUSTOMER_OPT_GRADE,
};

/* clang-format off */
#define CUSTOMER_CARD_OPTIONS \
	{ "bu", required_argument, NULL, CUSTOMER_OPT_BU }, \
	{ "industry", required_argument, NULL, CUSTOMER_OPT_INDUSTRY }, \
	{ "region", required_argument, NULL, CUSTOMER_OPT_REGION }, \
	{ "size", required_argument, NULL, CUSTOMER_OPT_SIZE }, \
	{ "contacts", required_argument, NULL, CUSTOMER_OPT_CONTACTS }, \
	{ "credit-limit", required_argument, NULL, CUSTOMER_OPT_CREDIT_LIMIT }, \
	{ "payment-terms", required_argument, NULL, \
	    CUSTOMER_OPT_PAYMENT_TERMS }, \
	{ "revenue", required_argument, NULL, CUSTOMER_OPT_REVENUE }, \
	{ "plan", required_argument, NULL, CUSTOMER_OPT_PLAN }, \
	{ "profile", required_argument, NULL, CUSTOMER_OPT_PROFILE }, \
	{ "key-people", required_argument, NULL, CUSTOMER_OPT_KEY_PEOPLE }, \
	{ "status", required_argument, NULL, CUSTOMER_OPT_STATUS }, \
	{ "reason", required_argument, NULL, CUSTOMER_OPT_REASON }
/* clang-format on */

/* One --revenue or --plan YEAR=AMOUNT; "YEAR=" removes the year (update
 * only). */
struct customer_year {
	uint32_t year;
	int64_t amount;
	int remove;
	int plan; /* --plan: sets the year's plan, keeps its amount */
};

/* What the card options gave; NULL and 0 for what they did not. */
struct customer_opts {
	const char *bu, *name, *industry, *region, *size, *contacts;
	const char *payment_terms;
	const char *profile, *key_people, *status, *reason;
	int has_credit;
	int64_t credit_limit;
	struct customer_year *years; /* malloc'd */
	size_t nyears;
	uint64_t version; /* --if-version, 0 when absent */
};

static int
customer_revenue_option(const struct cmd_entry *self, const char *text,
    int plan, struct customer_opts *o)
{
	const char *eq = strchr(text, '=');
	struct customer_year *y;
	uint64_t year, amount = 0;
	char digits[16];
	size_t len;

	len = eq != NULL ? (size_t)(eq - text) : 0;
	if (len > 0 && len < sizeof(digits)) {
		memcpy(digits, text, len);
		digits[len] = '\0';
	}
	if (len == 0 || len >= sizeof(digits) ||
	    cmd_cycle_parse_uint(digits, 1, 9999, &year) != 0 ||
	    (eq[1] != '\0' &&
		cmd_cycle_parse_uint(eq + 1, 0, INT64_MAX, &amount) != 0))
		return cmd_usage_error(self,
		    "--%s '%s': write YEAR=AMOUNT in whole currency "
		    "units (YEAR= removes the year)",
		    plan ? "plan" : "revenue", text);
	y = reallocarray(o->years, o->nyears + 1, sizeof(*y));
	if (y == NULL)
		return output_oom();
	o->years = y;
	y = &o->years[o->nyears++];
	y->year = (uint32_t)year;
	y->amount = (int64_t)amount;
	y->remove = eq[1] == '\0';
	y->plan = plan;
	return 0;
}

/* Handles one option of add or update. Returns 0 or an exit code. */
static int
customer_option(const struct cmd_entry *self, int ch, char **argv,
    struct cfg *c, struct customer_opts *o)
{
	uint64_t n;

	switch (ch) {
	case CUSTOMER_OPT_BU:
		o->bu = optarg;
		return 0;
	case CUSTOMER_OPT_NAME:
		o->name = optarg;
		return 0;
	case CUSTOMER_OPT_INDUSTRY:
		o->industry = optarg;
		return 0;
	case CUSTOMER_OPT_REGION:
		o->region = optarg;
		return 0;
	case CUSTOMER_OPT_SIZE:
		o->size = optarg;
		return 0;
	case CUSTOMER_OPT_CONTACTS:
		o->contacts = optarg;
		return 0;
	case CUSTOMER_OPT_PAYMENT_TERMS:
		o->payment_terms = optarg;
		return 0;
	case CUSTOMER_OPT_CREDIT_LIMIT:
		if (cmd_cycle_parse_uint(optarg, 0, INT64_MAX, &n) != 0)
			return cmd_usage_error(self,
			    "--credit-limit '%s' is not a whole amount",
			    optarg);
		o->credit_limit = (int64_t)n;
		o->has_credit = 1;
		return 0;
	case CUSTOMER_OPT_REVENUE:
		return customer_revenue_option(self, optarg, 0, o);
	case CUSTOMER_OPT_PLAN:
		return customer_revenue_option(self, optarg, 1, o);
	case CUSTOMER_OPT_PROFILE:
		o->profile = optarg;
		return 0;
	case CUSTOMER_OPT_KEY_PEOPLE:
		o->key_people = optarg;
		return 0;
	case CUSTOMER_OPT_STATUS:
		o->status = optarg;
		return 0;
	case CUSTOMER_OPT_REASON:
		o->reason = optarg;
		return 0;
	case CUSTOMER_OPT_IF_VERSION:
		if (cmd_cycle_parse_uint(optarg, 1, INT64_MAX, &o->version) !=
		    0)
			return cmd_usage_error(self,
			    "--if-version '%s' is not a version number",
			    optarg);
		return 0;
	default:
		return cmd_option(self, ch, argv, c);
	}
}

/*
 * Builds the card to send: cur (NULL for a new customer) with the options
 * applied. The revenue rows live in *rows and *ptrs (malloc'd, the caller
 * frees them); strings point into cur and argv.
 */
static int
customer_card(const struct customer_opts *o, const Tier__Customer *cur,
    Tier__Customer *out, Tier__RevenueYear **rows, Tier__RevenueYear ***ptrs)
{
	size_t i, j, n = 0, max = o->nyears + (cur ? cur->n_revenue : 0);
	Tier__RevenueYear *r;

	tier__customer__init(out);
	if (cur != NULL) {
		out->bu = cur->bu;
		out->name = cur->name;
		out->industry = cur->industry;
		out->region = cur->region;
		out->size = cur->size;
		out->contacts = cur->contacts;
		out->credit_limit = cur->credit_limit;
		out->payment_terms = cur->payment_terms;
		out->profile = cur->profile;
		out->key_people = cur->key_people;
		out->transaction_status = cur->transaction_status;
	}
	if (o->profile != NULL)
		out->profile = (char *)o->profile;
	if (o->key_people != NULL)
		out->key_people = (char *)o->key_people;
	if (o->status != NULL)
		out->transaction_status = (char *)o->status;
	if (o->bu != NULL)
		out->bu = (char *)o->bu;
	if (o->name != NULL)
		out->name = (char *)o->name;
	if (o->industry != NULL)
		out->industry = (char *)o->industry;
	if (o->region != NULL)
		out->region = (char *)o->region;
	if (o->size != NULL)
		out->size = (char *)o->size;
	if (o->contacts != NULL)
		out->contacts = (char *)o->contacts;
	if (o->payment_terms != NULL)
		out->payment_terms = (char *)o->payment_terms;
	if (o->has_credit)
		out->credit_limit = o->credit_limit;

	if ((*rows = calloc(max ? max : 1, sizeof(**rows))) == NULL ||
	    (*ptrs = calloc(max ? max : 1, sizeof(**ptrs))) == NULL)
		return ERR_ALLOC;
	for (i = 0; cur != NULL && i < cur->n_revenue; i++) {
		r = &(*rows)[n++];
		tier__revenue_year__init(r);
		r->year = cur->revenue[i]->year;
		r->amount = cur->revenue[i]->amount;
		r->plan = cur->revenue[i]->plan;
	}
	for (i = 0; i < o->nyears; i++) {
		/* A year already on the card is replaced (or removed). */
		for (j = 0; j < n && (*rows)[j].year != o->years[i].year; j++)
			;
		if (o->years[i].remove && !o->years[i].plan) {
			if (j < n)
				(*rows)[j] = (*rows)[--n];
			continue;
		}
		if (j == n)
			tier__revenue_year__init(&(*rows)[j = n++]);
		(*rows)[j].year = o->years[i].year;
		if (o->years[i].plan)
			(*rows)[j].plan = o->years[i].amount;
		else
			(*rows)[j].amount = o->years[i].amount;
	}
	for (i = 0; i < n; i++)
		(*ptrs)[i] = &(*rows)[i];
	out->revenue = *ptrs;
	out->n_revenue = n;
	return 0;
}

/* A card field as labelled line; "-" for one not recorded. */
static void
customer_field(const char *label, const char *value)
{
	output_field(stdout, label, *value != '\0' ? value : "-");
}

/* Prints a customer's card as labelled lines. */
static void
customer_print_fields(const Tier__Customer *cu)
{
	char when[OUTPUT_TIME_SIZE], *text = NULL;
	size_t i, len = 0;
	FILE *f;

	output_fieldf(stdout, "customer", "%llu", (unsigned long long)cu->id);
	output_field(stdout, "bu", cu->bu);
	output_field(stdout, "name", cu->name);
	customer_field("industry", cu->industry);
	customer_field("region", cu->region);
	customer_field("size", cu->size);
	customer_field("contacts", cu->contacts);
	if (cu->credit_limit != 0)
		output_fieldf(stdout, "credit limit", "%lld",
		    (long long)cu->credit_limit);
	else
		customer_field("credit limit", "");
	customer_field("payment terms", cu->payment_terms);
	customer_field("profile", cu->profile);
	customer_field("key people", cu->key_people);
	customer_field("transactions", cu->transaction_status);
	customer_field("grade", cu->grade);
	customer_field("owner", cu->owner);
	if ((f = open_memstream(&text, &len)) != NULL) {
		for (i = 0; i < cu->n_revenue; i++) {
			fprintf(f, "%s%u: %lld", i ? "; " : "",
			    cu->revenue[i]->year,
			    (long long)cu->revenue[i]->amount);
			if (cu->revenue[i]->plan != 0)
				fprintf(f, " (plan %lld)",
				    (long long)cu->revenue[i]->plan);
		}
		if (fclose(f) == 0)
			customer_field("revenue", text);
		free(text);
		text = NULL;
	}
	if ((f = open_memstream(&text, &len)) != NULL) {
		for (i = 0; i < cu->n_missing; i++)
			fprintf(f, "%s%s", i ? ", " : "", cu->missing[i]);
		if (fclose(f) == 0)
			output_field(stdout, "missing",
			    cu->n_missing ? text : "nothing");
		free(text);
	}
	output_fieldf(stdout, "complete", "%u%%", cu->completeness);
	output_fieldf(
	    stdout, "version", "%llu", (unsigned long long)cu->version);
	output_time(cu->updated_at, when);
	output_fieldf(stdout, "updated", "%s by %s", when, cu->updated_by);
}

int
cmd_customer_print(const struct cfg *c, const Tier__Customer *cu)
{
	if (cu == NULL) {
		output_error(NULL, "the server sent no customer");
		return EXIT_OTHER;
	}
	if (c->output == CFG_OUTPUT_JSON)
		return output_json_print(json_pack(
			   "{s:o}", "customer", output_json_customer(cu))) == 0
			   ? EXIT_OK
			   : EXIT_OTHER;
	customer_print_fields(cu);
	return EXIT_OK;
}

int
cmd_customer_fetch(
    const struct cfg *c, struct conn **conn, uint64_t id, Tier__Response **resp)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CustomerGetRequest body = TIER__CUSTOMER_GET_REQUEST__INIT;

	body.customer_id = id;
	req.body_case = TIER__REQUEST__BODY_CUSTOMER_GET;
	req.customer_get = &body;
	return sync_call(c, conn, &req, resp);
}

int
cmd_customer_add_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		CUSTOMER_CARD_OPTIONS, { NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CustomerAddRequest body = TIER__CUSTOMER_ADD_REQUEST__INIT;
	Tier__RevenueYear *rows = NULL, **ptrs = NULL;
	Tier__Response *resp = NULL;
	Tier__Customer card;
	struct customer_opts o;
	struct conn *conn = NULL;
	size_t i;
	int ch, r = 0;

	memset(&o, 0, sizeof(o));
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h') {
			r = cmd_print_help(stdout, self);
			goto out;
		}
		if ((r = customer_option(self, ch, argv, c, &o)) != 0)
			goto out;
	}
	if (argc - optind != 1) {
		r = cmd_usage_error(self, argc == optind
					      ? "missing the customer NAME"
					      : "give the NAME as one argument "
						"(quote it)");
		goto out;
	}
	o.name = argv[optind];
	for (i = 0; i < o.nyears; i++) {
		if (o.years[i].remove) {
			r = cmd_usage_error(self,
			    "--%s %u= removes a year; give an amount",
			    o.years[i].plan ? "plan" : "revenue",
			    o.years[i].year);
			goto out;
		}
	}
	if (o.bu == NULL) {
		r = cmd_usage_error(self, "missing --bu BU");
		goto out;
	}
	if ((r = cmd_configure(c)) != 0)
		goto out;
	if (customer_card(&o, NULL, &card, &rows, &ptrs) != 0) {
		r = output_oom();
		goto out;
	}
	body.customer = &card;
	if (o.reason != NULL)
		body.reason = (char *)o.reason;
	req.body_case = TIER__REQUEST__BODY_CUSTOMER_ADD;
	req.customer_add = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0)
		r = cmd_customer_print(c, resp->customer_add->customer);
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	free(rows);
	free(ptrs);
	free(o.years);
	return r;
}

int
cmd_customer_update_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		CUSTOMER_CARD_OPTIONS,
		{ "name", required_argument, NULL, CUSTOMER_OPT_NAME },
		{ "if-version", required_argument, NULL,
		    CUSTOMER_OPT_IF_VERSION },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CustomerUpdateRequest body = TIER__CUSTOMER_UPDATE_REQUEST__INIT;
	Tier__RevenueYear *rows = NULL, **ptrs = NULL;
	Tier__Response *cur = NULL, *resp = NULL;
	Tier__Customer card;
	struct customer_opts o;
	struct conn *conn = NULL;
	int ch, r = 0;

	memset(&o, 0, sizeof(o));
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h') {
			r = cmd_print_help(stdout, self);
			goto out;
		}
		if ((r = customer_option(self, ch, argv, c, &o)) != 0)
			goto out;
	}
	if (argc - optind != 1) {
		r = cmd_usage_error(self, argc == optind
					      ? "missing the customer ID"
					      : "give one customer ID");
		goto out;
	}
	if ((r = cmd_cycle_parse_id(
		 self, argv[optind], "customer", &body.customer_id)) != 0)
		goto out;
	if ((r = cmd_configure(c)) != 0)
		goto out;
	/* The whole card is sent: start from the card as it is. */
	if ((r = cmd_customer_fetch(c, &conn, body.customer_id, &cur)) != 0)
		goto out;
	if (cur->customer_get->customer == NULL) {
		r = cmd_customer_print(c, NULL);
		goto out;
	}
	if (customer_card(
		&o, cur->customer_get->customer, &card, &rows, &ptrs) != 0) {
		r = output_oom();
		goto out;
	}
	body.version =
	    o.version ? o.version : cur->customer_get->customer->version;
	body.customer = &card;
	if (o.reason != NULL)
		body.reason = (char *)o.reason;
	req.body_case = TIER__REQUEST__BODY_CUSTOMER_UPDATE;
	req.customer_update = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0)
		r = cmd_customer_print(c, resp->customer_update->customer);
out:
	if (cur != NULL)
		tier__response__free_unpacked(cur, NULL);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	free(rows);
	free(ptrs);
	free(o.years);
	return r;
}

int
cmd_customer_show_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	uint64_t id;
	int r, offline;

	if ((r = sync_parse_plain(self, argc, argv, c, 1, 1, &offline)) !=
	    CMD_CONTINUE)
		return r;
	if ((r = cmd_cycle_parse_id(self, argv[optind], "customer", &id)) != 0)
		return r;
	if ((r = cmd_customer_fetch(c, offline ? NULL : &conn, id, &resp)) ==
	    0) {
		/* With the visit and complaint cards (cmd_visit.c), which
		 * the local copy does not keep. */
		if (!offline && c->output == CFG_OUTPUT_JSON &&
		    resp->customer_get->customer != NULL)
			r = cmd_visit_customer_json(resp->customer_get);
		else if ((r = cmd_customer_print(
			      c, resp->customer_get->customer)) == 0 &&
			 !offline)
			cmd_visit_customer_fields(resp->customer_get);
	}
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}

/* Adds one page of customers to the table or the JSON array. */
static int
customer_list_page(const Tier__CustomerListResponse *page, const char *grade,
    struct output_table *t, json_t *arr)
{
	char id[24], complete[16], *missing = NULL;
	size_t i, j, len;
	FILE *f;
	int r;

	for (i = 0; i < page->n_customers; i++) {
		const Tier__Customer *cu = page->customers[i];

		/* The local copy (--offline) is not filtered by grade. */
		if (grade != NULL && *grade != '\0' &&
		    strcmp(cu->grade != NULL ? cu->grade : "",
			strcmp(grade, "none") == 0 ? "" : grade) != 0)
			continue;
		if (arr != NULL) {
			if (json_array_append_new(
				arr, output_json_customer(cu)) != 0)
				return ERR_ALLOC;
			continue;
		}
		if ((f = open_memstream(&missing, &len)) == NULL)
			return ERR_ALLOC;
		for (j = 0; j < cu->n_missing; j++)
			fprintf(f, "%s%s", j ? ", " : "", cu->missing[j]);
		if (fclose(f) != 0) {
			free(missing);
			return ERR_ALLOC;
		}
		snprintf(id, sizeof(id), "%llu", (unsigned long long)cu->id);
		snprintf(complete, sizeof(complete), "%u%%", cu->completeness);
		const char *cells[] = { id, cu->bu, cu->name, cu->grade,
			cu->owner, cu->transaction_status, complete, missing };
		r = output_table_add(t, cells);
		free(missing);
		missing = NULL;
		if (r != 0)
			return r;
		if (cu->n_missing > 0)
			output_table_style(t, 6, OUTPUT_STYLE_WARN);
	}
	return 0;
}

/*
 * Prints the customers body asks for, every page, as a table or one JSON
 * document; connects when *conn is NULL, reads the local copy when conn is
 * NULL (--offline). A watch_list_fn. Returns 0 or an exit code.
 */
static int
customer_list_print(const struct cfg *c, struct conn **conn, void *arg)
{
	static const char *const headers[] = { "ID", "BU", "NAME", "GRADE",
		"OWNER", "STATUS", "CARD", "MISSING" };
	Tier__CustomerListRequest *body = arg;
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct output_table *t = NULL;
	json_t *arr = NULL;
	int r;

	if (c->output == CFG_OUTPUT_JSON)
		arr = json_array();
	else if (output_table_new(&t, 8, headers) != 0)
		t = NULL;
	if (arr == NULL && t == NULL)
		return output_oom();
	req.body_case = TIER__REQUEST__BODY_CUSTOMER_LIST;
	req.customer_list = body;
	body->page_after = 0;
	do {
		if ((r = sync_call(c, conn, &req, &resp)) != 0)
			goto out;
		if (customer_list_page(
			resp->customer_list, body->grade, t, arr) != 0) {
			r = output_oom();
			goto out;
		}
		body->page_after = resp->customer_list->next_page_after;
		tier__response__free_unpacked(resp, NULL);
		resp = NULL;
	} while (body->page_after != 0);

	if (arr != NULL)
		r = output_json_print(json_pack("{s:O}", "customers", arr)) == 0
			? EXIT_OK
			: EXIT_OTHER;
	else
		output_table_print(t, stdout);
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	json_decref(arr);
	output_table_free(t);
	return r;
}

int
cmd_customer_list_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS, WATCH_OPTIONS,
		SYNC_OFFLINE_OPTION,
		{ "bu", required_argument, NULL, CUSTOMER_OPT_BU },
		{ "search", required_argument, NULL, CUSTOMER_OPT_SEARCH },
		{ "grade", required_argument, NULL, CUSTOMER_OPT_GRADE },
		{ NULL, 0, NULL, 0 } };
	Tier__CustomerListRequest body = TIER__CUSTOMER_LIST_REQUEST__INIT;
	struct watch_opts w = { 0 };
	struct watch_spec ws = { 0 };
	int ch, r, offline = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case CUSTOMER_OPT_BU:
			body.bu = optarg;
			break;
		case CUSTOMER_OPT_SEARCH:
			body.search = optarg;
			break;
		case CUSTOMER_OPT_GRADE:
			body.grade = optarg;
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

	/* The feed has no customer filter: the watch keeps the
	 * customer events of the BU asked for. --search narrows the
	 * list only, as its matching (NFKC, case folding) is the
	 * server's. */
	ws.key = "customer list";
	ws.entity = "customer";
	ws.bu = *body.bu != '\0' ? body.bu : NULL;
	ws.list = customer_list_print;
	ws.arg = &body;
	return watch_or_list(c, &w, &ws, offline);
}
