/*
 * "tier customer grade": sets the grade and development owner of a customer
 * by hand, with a reason. The version is read first, so a change made in
 * between is refused rather than overwritten.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tier.h"

enum {
	GRADE_OPT_OWNER = 0x200,
	GRADE_OPT_REASON,
	GRADE_OPT_IF_VERSION,
};

static const char *const grade_names[] = { "potential", "general", "key",
	"strategic", "none" };

int
cmd_customer_grade_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "owner", required_argument, NULL, GRADE_OPT_OWNER },
		{ "reason", required_argument, NULL, GRADE_OPT_REASON },
		{ "if-version", required_argument, NULL, GRADE_OPT_IF_VERSION },
		{ NULL, 0, NULL, 0 } };
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CustomerGradeRequest body = TIER__CUSTOMER_GRADE_REQUEST__INIT;
	Tier__Response *cur = NULL, *resp = NULL;
	struct conn *conn = NULL;
	uint64_t version = 0;
	size_t i;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case GRADE_OPT_OWNER:
			body.owner = optarg;
			break;
		case GRADE_OPT_REASON:
			body.reason = optarg;
			break;
		case GRADE_OPT_IF_VERSION:
			if (cmd_cycle_parse_uint(
				optarg, 1, INT64_MAX, &version) != 0)
				return cmd_usage_error(self,
				    "--if-version '%s' is not a version "
				    "number",
				    optarg);
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc - optind != 2)
		return cmd_usage_error(self,
		    argc - optind < 2 ? "give the customer ID and the grade"
				      : "unexpected argument '%s'",
		    argv[argc - 1]);
	if ((r = cmd_cycle_parse_id(
		 self, argv[optind], "customer", &body.customer_id)) != 0)
		return r;
	for (i = 0; i < sizeof(grade_names) / sizeof(grade_names[0]); i++) {
		if (strcmp(argv[optind + 1], grade_names[i]) == 0)
			break;
	}
	if (i == sizeof(grade_names) / sizeof(grade_names[0]))
		return cmd_usage_error(self,
		    "'%s' is not a grade: give potential, general, key, "
		    "strategic or none",
		    argv[optind + 1]);
	body.grade = argv[optind + 1];
	if (*body.reason == '\0')
		return cmd_usage_error(self, "missing --reason TEXT");
	if ((r = cmd_configure(c)) != 0)
		return r;
	if (version == 0) {
		if ((r = cmd_customer_fetch(
			 c, &conn, body.customer_id, &cur)) != 0)
			goto out;
		if (cur->customer_get->customer == NULL) {
			r = cmd_customer_print(c, NULL);
			goto out;
		}
		version = cur->customer_get->customer->version;
	}
	body.version = version;
	req.body_case = TIER__REQUEST__BODY_CUSTOMER_GRADE;
	req.customer_grade = &body;
	if ((r = cmd_call(c, &conn, &req, &resp)) == 0)
		r = cmd_customer_print(c, resp->customer_grade->customer);
out:
	if (cur != NULL)
		tier__response__free_unpacked(cur, NULL);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return r;
}
