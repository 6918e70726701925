/*
 * --watch without a server: the options and their combinations, where
 * positions are saved, and events as text and as JSON.
 */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tier.h"

static const struct cmd_entry watch_row = { "list", NULL, "list things",
	"list [--watch [--since SEQ | --fresh]]", NULL, NULL };

/* Parses argv with the watch options only. Returns the first nonzero
 * result of watch_option, or 0. */
static int
parse(struct watch_opts *w, int argc, char **argv)
{
	static const struct option opts[] = { WATCH_OPTIONS,
		{ NULL, 0, NULL, 0 } };
	int ch, r;

	memset(w, 0, sizeof(*w));
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if ((r = watch_option(&watch_row, ch, w)) != 1)
			return r == 0 ? -2 : r;
	}
	return 0;
}

static void
test_options(void **state)
{
	struct watch_opts w;
	char *a1[] = { "list", "--watch", NULL };
	char *a2[] = { "list", "--watch", "--since", "42", NULL };
	char *a3[] = { "list", "--watch", "--fresh", NULL };
	char *a4[] = { "list", "--since", "4x", NULL };
	char *a5[] = { "list", "--since", "42", NULL };
	char *a6[] = { "list", "--watch", "--since", "1", "--fresh", NULL };
	char *a7[] = { "list", "--since", "0", "--watch", NULL };

	(void)state;
	assert_int_equal(parse(&w, 2, a1), 0);
	assert_true(w.watch);
	assert_false(w.have_since);
	assert_int_equal(watch_check(&watch_row, &w, 0), 0);

	assert_int_equal(parse(&w, 4, a2), 0);
	assert_true(w.have_since);
	assert_int_equal(w.since, 42);
	assert_int_equal(watch_check(&watch_row, &w, 0), 0);

	assert_int_equal(parse(&w, 3, a3), 0);
	assert_true(w.fresh);
	assert_int_equal(watch_check(&watch_row, &w, 0), 0);

	/* A bad number is a usage error at once. */
	assert_int_equal(parse(&w, 3, a4), -1);

	/* --since and --fresh need --watch, and exclude each other. */
	assert_int_equal(parse(&w, 3, a5), 0);
	assert_int_equal(watch_check(&watch_row, &w, 0), EXIT_USAGE);
	assert_int_equal(parse(&w, 5, a6), 0);
	assert_int_equal(watch_check(&watch_row, &w, 0), EXIT_USAGE);

	/* --since 0 would mean "from now" on the wire: --fresh says that. */
	assert_int_equal(parse(&w, 4, a7), -1);

	/* Another option is not ours. */
	assert_int_equal(watch_option(&watch_row, 'x', &w), 0);
}

/* Sets or unsets an environment variable. */
static void
env(const char *name, const char *value)
{
	if (value != NULL)
		assert_int_equal(setenv(name, value, 1), 0);
	else
		assert_int_equal(unsetenv(name), 0);
}

static void
check_dir(const char *want)
{
	char *dir = watch_state_dir();

	if (want == NULL) {
		assert_null(dir);
		return;
	}
	assert_non_null(dir);
	assert_string_equal(dir, want);
	free(dir);
}

static void
test_state_dir(void **state)
{
	(void)state;
	env("TIER_STATE_DIR", "/tmp/s");
	env("XDG_STATE_HOME", "/tmp/x");
	env("HOME", "/home/u");
	check_dir("/tmp/s/watch");
	env("TIER_STATE_DIR", "");
	check_dir("/tmp/x/tier/watch");
	/* A relative XDG_STATE_HOME is ignored, as the specification says. */
	env("XDG_STATE_HOME", "rel");
	check_dir("/home/u/.local/state/tier/watch");
	env("XDG_STATE_HOME", NULL);
	env("TIER_STATE_DIR", NULL);
	check_dir("/home/u/.local/state/tier/watch");
	env("HOME", NULL);
	check_dir(NULL);
}

/* A pending strategic candidate at step 2 of [bu_vp, bg_vp]. */
static void
make_candidate(Tier__Candidate *c, Tier__ApprovalStep *s1,
    Tier__ApprovalStep *s2, Tier__ApprovalStep **steps)
{
	tier__candidate__init(c);
	tier__approval_step__init(s1);
	tier__approval_step__init(s2);
	s1->role = TIER__ROLE__ROLE_BU_VP;
	s1->decided_by = "buvp";
	s2->role = TIER__ROLE__ROLE_BG_VP;
	steps[0] = s1;
	steps[1] = s2;
	c->id = 7;
	c->cycle_id = 3;
	c->year = 2027;
	c->bu = "Drives";
	c->segment = "华东";
	c->customer = "ACME 传动有限公司";
	c->state = TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING;
	c->tier = TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC;
	c->score = 97;
	c->score_complete = 1;
	c->n_chain = 2;
	c->chain = steps;
	c->step = 1;
}

static void
test_event_text(void **state)
{
	Tier__Event ev = TIER__EVENT__INIT;
	Tier__Candidate c;
	Tier__ApprovalStep s1, s2, *steps[2];
	Tier__Customer cu = TIER__CUSTOMER__INIT;
	Tier__Cycle cy = TIER__CYCLE__INIT;
	Tier__Role roles[] = { TIER__ROLE__ROLE_BG_VP, TIER__ROLE__ROLE_BG_VP };
	char buf[512], tiny[16];

	(void)state;
	make_candidate(&c, &s1, &s2, steps);
	ev.seq = 12;
	ev.user = "buvp";
	ev.action = "candidate.approve";
	ev.entity = "candidate";
	ev.entity_id = 7;
	ev.candidate = &c;
	assert_string_equal(watch_event_text(&ev, buf, sizeof(buf)),
	    "approve candidate 7: ACME 传动有限公司 (华东, Drives 2027) "
	    "now pending 2/2 bg_vp, strategic, score 97.00");

	ev.action = "candidate.escalate";
	ev.user = "";
	ev.reason = "step 2 (bg_vp) pending for 80h, limit 72h";
	ev.n_notify_roles = 2;
	ev.notify_roles = roles;
	assert_string_equal(watch_event_text(&ev, buf, sizeof(buf)),
	    "escalate candidate 7: ACME 传动有限公司 (华东, Drives 2027) "
	    "now pending 2/2 bg_vp, strategic, score 97.00; notify bg_vp, "
	    "bg_vp; reason: step 2 (bg_vp) pending for 80h, limit 72h");

	/* Truncated, still terminated. */
	assert_int_equal(strlen(watch_event_text(&ev, tiny, sizeof(tiny))), 15);

	/* A record the user no longer sees. */
	ev.candidate = NULL;
	ev.n_notify_roles = 0;
	ev.reason = "";
	ev.action = "candidate.approve";
	assert_string_equal(watch_event_text(&ev, buf, sizeof(buf)),
	    "approve candidate 7: no longer visible to you");

	ev.entity = "customer";
	ev.action = "customer.update";
	ev.customer = &cu;
	cu.name = "南方泵业";
	cu.bu = "Drives";
	assert_string_equal(watch_event_text(&ev, buf, sizeof(buf)),
	    "update customer 7: 南方泵业 (Drives)");

	ev.customer = NULL;
	ev.entity = "cycle";
	ev.action = "cycle.open";
	ev.cycle = &cy;
	cy.bu = "Drives";
	cy.year = 2028;
	cy.state = TIER__CYCLE_STATE__CYCLE_STATE_OPEN;
	assert_string_equal(watch_event_text(&ev, buf, sizeof(buf)),
	    "open cycle 7: Drives 2028 now open");

	/* Entities without a wire form say only what happened. */
	ev.cycle = NULL;
	ev.entity = "user";
	ev.action = "user.add";
	assert_string_equal(
	    watch_event_text(&ev, buf, sizeof(buf)), "add user 7");
}

static void
test_event_json(void **state)
{
	Tier__Event ev = TIER__EVENT__INIT;
	Tier__Candidate c;
	Tier__ApprovalStep s1, s2, *steps[2];
	Tier__Role roles[] = { TIER__ROLE__ROLE_BU_VP, TIER__ROLE__ROLE_BG_VP };
	json_t *j;

	(void)state;
	make_candidate(&c, &s1, &s2, steps);
	ev.seq = 12;
	ev.at = 86400;
	ev.user = "";
	ev.action = "candidate.escalate";
	ev.entity = "candidate";
	ev.entity_id = 7;
	ev.reason = "late";
	ev.candidate = &c;
	ev.n_notify_roles = 2;
	ev.notify_roles = roles;
	assert_non_null(j = watch_json_event(&ev));
	assert_int_equal(json_integer_value(json_object_get(j, "seq")), 12);
	assert_string_equal(json_string_value(json_object_get(j, "at")),
	    "1970-01-02T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "user")), "");
	assert_string_equal(json_string_value(json_object_get(j, "action")),
	    "candidate.escalate");
	assert_int_equal(
	    json_integer_value(json_object_get(j, "entity_id")), 7);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(j, "candidate"), "customer")),
	    "ACME 传动有限公司");
	assert_int_equal(
	    json_array_size(json_object_get(j, "notify_roles")), 2);
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(j, "notify_roles"), 1)),
	    "bg_vp");
	assert_null(json_object_get(j, "customer"));
	json_decref(j);

	/* Gone from sight: the record is null, not absent. */
	ev.candidate = NULL;
	ev.n_notify_roles = 0;
	assert_non_null(j = watch_json_event(&ev));
	assert_true(json_is_null(json_object_get(j, "candidate")));
	assert_int_equal(
	    json_array_size(json_object_get(j, "notify_roles")), 0);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_state_dir),
		cmocka_unit_test(test_event_text),
		cmocka_unit_test(test_event_json),
	};

	output_locale_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
