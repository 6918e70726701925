/*
 * "tier customer abc": the ABC analysis of customer revenue as a table
 * (rank, customer, revenue, share, cumulative share, class), JSON or CSV.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tier.h"

enum {
	ABC_OPT_BU = 0x200,
	ABC_OPT_YEAR,
	ABC_OPT_TO_YEAR,
	ABC_OPT_A,
	ABC_OPT_B,
};

/* The JSON document of an analysis. */
static json_t *
abc_json(const Tier__AbcResponse *a)
{
	json_t *rows = json_array();
	size_t i;

	for (i = 0; rows != NULL && i < a->n_rows; i++) {
		const Tier__AbcRow *r = a->rows[i];

		if (json_array_append_new(rows,
			json_pack("{s:i, s:I, s:s, s:s, s:I, s:f, s:f, s:s}",
			    "rank", (int)r->rank, "customer_id",
			    (json_int_t)r->customer_id, "customer", r->customer,
			    "bu", r->bu, "revenue", (json_int_t)r->revenue,
			    "share", r->share, "cumulative", r->cumulative,
			    "class", r->abc_class)) != 0) {
			json_decref(rows);
			rows = NULL;
		}
	}
	return json_pack("{s:i, s:i, s:i, s:i, s:I, s:o}", "year", (int)a->year,
	    "to_year", (int)a->to_year, "a", (int)a->a, "b", (int)a->b, "total",
	    (json_int_t)a->total, "rows", rows);
}

static int
abc_print(const Tier__AbcResponse *a)
{
	static const char *const headers[] = { "RANK", "ID", "CUSTOMER", "BU",
		"REVENUE", "SHARE %", "CUMULATIVE %", "CLASS" };
	char rank[16], id[24], revenue[32], share[32], cum[32];
	struct output_table *t = NULL;
	size_t i;

	if (output_table_new(&t, 8, headers) != 0)
		return output_oom();
	for (i = 0; i < a->n_rows; i++) {
		const Tier__AbcRow *r = a->rows[i];
		const char *cells[] = { rank, id, r->customer, r->bu, revenue,
			share, cum, r->abc_class };

		snprintf(rank, sizeof(rank), "%u", r->rank);
		snprintf(
		    id, sizeof(id), "%llu", (unsigned long long)r->customer_id);
		snprintf(
		    revenue, sizeof(revenue), "%lld", (long long)r->revenue);
		snprintf(share, sizeof(share), "%.2f", r->share);
		snprintf(cum, sizeof(cum), "%.2f", r->cumulative);
		if (output_table_add(t, cells) != 0) {
			output_table_free(t);
			return output_oom();
		}
		output_table_style(t, 7,
		    r->abc_class[0] == 'A'   ? OUTPUT_STYLE_GOOD
		    : r->abc_class[0] == 'B' ? OUTPUT_STYLE_WARN
					     : OUTPUT_STYLE_DIM);
	}
	output_table_print(t, stdout);
	output_table_free(t);
	if (output_mode() != CFG_OUTPUT_CSV) {
		if (a->to_year != a->year)
			printf("years %u-%u", a->year, a->to_year);
		else
			printf("year %u", a->year);
		printf(", total %lld, A below %u%%, B below %u%% of the "
		       "total before the customer\n",
		    (long long)a->total, a->a, a->a + a->b);
	}
	return EXIT_OK;
}

int
cmd_customer_abc_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "bu", required_argument, NULL, ABC_OPT_BU },
		{ "year", required_argument, NULL, ABC_OPT_YEAR },
		{ "to-year", required_argument, NULL, ABC_OPT_TO_YEAR },
		{ "a", required_argument, NULL, ABC_OPT_A },
		{ "b", required_argument, NULL, ABC_OPT_B },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__AbcRequest body = TIER__ABC_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	uint64_t n;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case ABC_OPT_BU:
			body.bu = optarg;
			break;
		case ABC_OPT_YEAR:
		case ABC_OPT_TO_YEAR:
			if (cmd_cycle_parse_uint(optarg, 2000, 2999, &n) != 0)
				return cmd_usage_error(self,
				    "--%s '%s' is not a year from 2000 to "
				    "2999",
				    ch == ABC_OPT_YEAR ? "year" : "to-year",
				    optarg);
			if (ch == ABC_OPT_YEAR)
				body.year = (uint32_t)n;
			else
				body.to_year = (uint32_t)n;
			break;
		case ABC_OPT_A:
		case ABC_OPT_B:
			if (cmd_cycle_parse_uint(
				optarg, ch == ABC_OPT_A, 100, &n) != 0)
				return cmd_usage_error(self,
				    "--%s '%s' is not a percentage",
				    ch == ABC_OPT_A ? "a" : "b", optarg);
			if (ch == ABC_OPT_A)
				body.a = (uint32_t)n;
			else
				body.b = (uint32_t)n;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (optind != argc)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind]);
	if (body.year == 0)
		return cmd_usage_error(self, "missing --year YYYY");
	if ((r = cmd_configure(c)) != 0)
		return r;
	req.body_case = TIER__REQUEST__BODY_ABC;
	req.abc = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0) {
		if (c->output == CFG_OUTPUT_JSON)
			r = output_json_print(abc_json(resp->abc)) == 0
				? EXIT_OK
				: EXIT_OTHER;
		else
			r = abc_print(resp->abc);
	}
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}
