/*
 * The change feed's decisions: who may see an entry (scope, delegation,
 * scope all for everything else), the filters and the approval-queue rule,
 * the queue roles read from audit JSON, and who an escalation names. Then,
 * on a real database: reading the log after a seq, the facts of a batch,
 * and the escalation pass (once per step, by the server).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tierd.h"

#define BU_VP  TIER__ROLE__ROLE_BU_VP
#define BG_VP  TIER__ROLE__ROLE_BG_VP
#define SEGMGR TIER__ROLE__ROLE_SEGMENT_MGR

/* BG 1 > BU 2 (segments 3, 4) and BU 5 (segment 6). */
static const struct store_unit units[] = {
	{ 1, TIER__UNIT_KIND__UNIT_KIND_BG, "G", 0 },
	{ 2, TIER__UNIT_KIND__UNIT_KIND_BU, "D", 1 },
	{ 3, TIER__UNIT_KIND__UNIT_KIND_SEGMENT, "E", 2 },
	{ 4, TIER__UNIT_KIND__UNIT_KIND_SEGMENT, "S", 2 },
	{ 5, TIER__UNIT_KIND__UNIT_KIND_BU, "P", 1 },
	{ 6, TIER__UNIT_KIND__UNIT_KIND_SEGMENT, "W", 5 },
};

/* A viewer with scope expr and role, and optionally one delegated scope. */
struct viewer {
	struct scope scope, deputy;
	struct feed_viewer v;
};

static void
viewer_make(struct viewer *w, const char *expr, Tier__Role role,
    const char *deputy_expr, Tier__Role deputy_role)
{
	const size_t n = sizeof(units) / sizeof(units[0]);

	memset(w, 0, sizeof(*w));
	assert_int_equal(scope_resolve(expr, units, n, &w->scope), 0);
	w->v.scope = &w->scope;
	w->v.roles = CMD_ROLE(role);
	if (deputy_expr != NULL) {
		assert_int_equal(
		    scope_resolve(deputy_expr, units, n, &w->deputy), 0);
		w->v.deputy = &w->deputy;
		w->v.ndeputy = 1;
		w->v.roles |= CMD_ROLE(deputy_role);
	}
}

static void
viewer_release(struct viewer *w)
{
	scope_release(&w->scope);
	scope_release(&w->deputy);
}

static struct feed_facts
candidate(int64_t id, int64_t segment, int64_t bu, int64_t cycle)
{
	struct feed_facts e = { FEED_KIND_CANDIDATE, 1, id, segment, bu, cycle,
		0, 0 };

	return e;
}

static void
test_visibility(void **state)
{
	struct feed_filter none = { 0 };
	struct feed_facts cand_e = candidate(10, 3, 2, 7);
	struct feed_facts cand_w = candidate(11, 6, 5, 8);
	struct feed_facts cust_d = { FEED_KIND_CUSTOMER, 1, 20, 0, 2, 0, 0, 0 };
	struct feed_facts cycle_p = { FEED_KIND_CYCLE, 1, 8, 0, 5, 8, 0, 0 };
	struct feed_facts user = { FEED_KIND_OTHER, 0, 30, 0, 0, 0, 0, 0 };
	struct feed_facts gone = candidate(12, 3, 2, 7);
	struct viewer east, south, buvp, bgvp, aud, deputy;

	(void)state;
	gone.exists = 0;
	viewer_make(&east, "segments:E", SEGMGR, NULL, 0);
	viewer_make(&south, "segments:S", SEGMGR, NULL, 0);
	viewer_make(&buvp, "bu:D", BU_VP, NULL, 0);
	viewer_make(&bgvp, "bg:G", BG_VP, NULL, 0);
	viewer_make(&aud, "all", TIER__ROLE__ROLE_AUDITOR, NULL, 0);
	viewer_make(&deputy, "segments:S", SEGMGR, "bu:P", BU_VP);

	/* A candidate through its segment only. */
	assert_true(feed_match(&none, &cand_e, &east.v));
	assert_false(feed_match(&none, &cand_e, &south.v));
	assert_true(feed_match(&none, &cand_e, &buvp.v));
	assert_true(feed_match(&none, &cand_w, &bgvp.v));
	assert_false(feed_match(&none, &cand_w, &buvp.v));
	/* ... or through the scope of an approver one stands in for. */
	assert_true(feed_match(&none, &cand_w, &deputy.v));
	assert_false(feed_match(&none, &cand_e, &deputy.v));
	/* Customers and cycles through their BU, seen via any segment. */
	assert_true(feed_match(&none, &cust_d, &south.v));
	assert_true(feed_match(&none, &cust_d, &east.v));
	assert_false(feed_match(&none, &cycle_p, &east.v));
	assert_true(feed_match(&none, &cycle_p, &bgvp.v));
	/* Users, units, delegations: scope all only. */
	assert_false(feed_match(&none, &user, &bgvp.v));
	assert_false(feed_match(&none, &user, &buvp.v));
	assert_true(feed_match(&none, &user, &aud.v));
	/* A record that is gone is seen by nobody. */
	assert_false(feed_match(&none, &gone, &aud.v));
	assert_true(feed_match(&none, &cand_e, &aud.v));

	viewer_release(&east);
	viewer_release(&south);
	viewer_release(&buvp);
	viewer_release(&bgvp);
	viewer_release(&aud);
	viewer_release(&deputy);
}

static void
test_filters(void **state)
{
	struct feed_filter by_cycle = { 0, 7, 0, 0 };
	struct feed_filter by_segment = { 0, 0, 3, 0 };
	struct feed_filter by_candidate = { 0, 0, 0, 10 };
	struct feed_filter both = { 0, 7, 4, 0 };
	struct feed_facts cand_e = candidate(10, 3, 2, 7);
	struct feed_facts cand_s = candidate(13, 4, 2, 9);
	struct feed_facts cycle7 = { FEED_KIND_CYCLE, 1, 7, 0, 2, 7, 0, 0 };
	struct feed_facts cust = { FEED_KIND_CUSTOMER, 1, 20, 0, 2, 0, 0, 0 };
	struct viewer aud;

	(void)state;
	viewer_make(&aud, "all", TIER__ROLE__ROLE_AUDITOR, NULL, 0);
	assert_true(feed_match(&by_cycle, &cand_e, &aud.v));
	assert_false(feed_match(&by_cycle, &cand_s, &aud.v));
	assert_true(feed_match(&by_cycle, &cycle7, &aud.v));
	assert_false(feed_match(&by_cycle, &cust, &aud.v));
	assert_true(feed_match(&by_segment, &cand_e, &aud.v));
	assert_false(feed_match(&by_segment, &cand_s, &aud.v));
	assert_false(feed_match(&by_segment, &cycle7, &aud.v));
	assert_true(feed_match(&by_candidate, &cand_e, &aud.v));
	assert_false(feed_match(&by_candidate, &cand_s, &aud.v));
	assert_false(feed_match(&by_candidate, &cust, &aud.v));
	/* Fields combine: all must hold. */
	assert_false(feed_match(&both, &cand_e, &aud.v));
	assert_false(feed_match(&both, &cand_s, &aud.v));
	viewer_release(&aud);
}

static void
test_my_queue(void **state)
{
	struct feed_filter mine = { 1, 0, 0, 0 }, none = { 0 };
	struct feed_facts entering = candidate(10, 3, 2, 7);
	struct feed_facts other = candidate(11, 3, 2, 7);
	struct feed_facts escalated = candidate(12, 3, 2, 7);
	struct feed_facts cust = { FEED_KIND_CUSTOMER, 1, 20, 0, 2, 0, 0, 0 };
	struct viewer buvp, bgvp, east, deputy;

	(void)state;
	entering.queue_roles = CMD_ROLE(BU_VP);
	escalated.queue_roles = CMD_ROLE(BU_VP);
	escalated.notify_roles = CMD_ROLE(BU_VP) | CMD_ROLE(BG_VP);
	viewer_make(&buvp, "bu:D", BU_VP, NULL, 0);
	viewer_make(&bgvp, "bg:G", BG_VP, NULL, 0);
	viewer_make(&east, "segments:E", SEGMGR, NULL, 0);
	viewer_make(&deputy, "segments:E", SEGMGR, "bu:D", BU_VP);

	assert_true(feed_match(&mine, &entering, &buvp.v));
	assert_false(feed_match(&mine, &entering, &bgvp.v));
	assert_false(feed_match(&mine, &entering, &east.v));
	/* A deputy's queue holds its approver's steps. */
	assert_true(feed_match(&mine, &entering, &deputy.v));
	assert_false(feed_match(&mine, &other, &buvp.v));
	assert_false(feed_match(&mine, &cust, &buvp.v));
	/* An escalation reaches the roles it names, my_queue or not ... */
	assert_true(feed_match(&mine, &escalated, &bgvp.v));
	assert_true(feed_match(&mine, &escalated, &buvp.v));
	/* ... and nobody else, even without a filter. */
	assert_false(feed_match(&none, &escalated, &east.v));
	assert_true(feed_match(&none, &escalated, &deputy.v));

	viewer_release(&buvp);
	viewer_release(&bgvp);
	viewer_release(&east);
	viewer_release(&deputy);
}

static void
test_queue_roles(void **state)
{
	const char *scored = "{\"state\":\"scored\",\"step\":0}";
	const char *pending1 = "{\"chain\":[\"bu_vp\",\"bg_vp\"],"
			       "\"state\":\"pending\",\"step\":0}";
	const char *pending2 = "{\"chain\":[\"bu_vp\",\"bg_vp\"],"
			       "\"state\":\"pending\",\"step\":1}";
	const char *approved = "{\"chain\":[\"bu_vp\",\"bg_vp\"],"
			       "\"state\":\"approved\",\"step\":1}";
	/* The rescore entries carry no chain: the record's is used. */
	const char *rescore = "{\"state\":\"pending\",\"step\":1}";

	(void)state;
	assert_int_equal(
	    feed_queue_roles(scored, pending1, ""), CMD_ROLE(BU_VP));
	assert_int_equal(feed_queue_roles(pending1, pending2, ""),
	    CMD_ROLE(BU_VP) | CMD_ROLE(BG_VP));
	assert_int_equal(
	    feed_queue_roles(pending2, approved, ""), CMD_ROLE(BG_VP));
	assert_int_equal(feed_queue_roles(scored, approved, "2,1"), 0);
	assert_int_equal(
	    feed_queue_roles(rescore, scored, "2,1"), CMD_ROLE(BG_VP));
	assert_int_equal(feed_queue_roles(rescore, "", "2"), 0);
	/* Junk is no queue at all. */
	assert_int_equal(feed_queue_roles("", "not json", "2"), 0);
	assert_int_equal(feed_queue_roles("{\"state\":\"pending\",\"step\":-1}",
			     "[1,2]", "2"),
	    0);
	assert_int_equal(
	    feed_queue_roles("{\"state\":\"pending\",\"step\":0,\"chain\":"
			     "[\"nobody\"]}",
		"", "2"),
	    0);
}

static void
test_notify_roles(void **state)
{
	Tier__Role r[2];

	(void)state;
	assert_int_equal(escalate_notify_roles(BU_VP, r), 2);
	assert_int_equal(r[0], BU_VP);
	assert_int_equal(r[1], BG_VP);
	assert_int_equal(escalate_notify_roles(BG_VP, r), 1);
	assert_int_equal(r[0], BG_VP);
}

/* On a database
 * ---------------------------------------------------------------*/

struct fixture {
	char dir[64];  /* temporary directory */
	char path[96]; /* database file inside it */
	struct server srv;
	struct store_user sm; /* a segment manager, the actor */
	int64_t seg_e, seg_w, cycle, cand;
};

static int64_t
unit_add(
    struct store *st, Tier__UnitKind kind, const char *name, int64_t parent)
{
	struct store_unit u;

	memset(&u, 0, sizeof(u));
	u.kind = kind;
	snprintf(u.name, sizeof(u.name), "%s", name);
	u.parent_id = parent;
	assert_int_equal(store_unit_insert(st, &u, 100), 0);
	return u.id;
}

/* Writes an audit entry by the segment manager at time 100. */
static void
audit_add(struct fixture *f, const char *action, const char *entity, int64_t id,
    const char *before, const char *after)
{
	struct cmd_ctx ctx = { .srv = &f->srv, .user = &f->sm, .now = 100 };

	assert_int_equal(
	    audit_record(&ctx, action, entity, id, before, after, ""), 0);
}

/*
 * One BG with BU D (segment E) and BU P (segment W); an open cycle of D
 * with a two-step chain for strategic and a 2-hour step limit; one
 * candidate pending at step 0 since time 100.
 */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_customer cu;
	struct store_candidate c, old;
	struct store_cycle cy;
	int64_t bg, bu, bu_p;
	char why[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_feed.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/tier.db", f->dir);
	config_defaults(&f->srv.cfg);
	if (store_open(&f->srv.store, f->path, why, sizeof(why)) != 0)
		return -1;
	snprintf(f->sm.name, sizeof(f->sm.name), "sm");
	snprintf(f->sm.scope, sizeof(f->sm.scope), "segments:E");
	f->sm.role = SEGMGR;
	assert_int_equal(store_user_insert(f->srv.store, &f->sm), 0);
	bg = unit_add(f->srv.store, TIER__UNIT_KIND__UNIT_KIND_BG, "G", 0);
	bu = unit_add(f->srv.store, TIER__UNIT_KIND__UNIT_KIND_BU, "D", bg);
	bu_p = unit_add(f->srv.store, TIER__UNIT_KIND__UNIT_KIND_BU, "P", bg);
	f->seg_e =
	    unit_add(f->srv.store, TIER__UNIT_KIND__UNIT_KIND_SEGMENT, "E", bu);
	f->seg_w = unit_add(
	    f->srv.store, TIER__UNIT_KIND__UNIT_KIND_SEGMENT, "W", bu_p);

	memset(&cy, 0, sizeof(cy));
	cy.bu_id = bu;
	cy.year = 2027;
	cy.state = TIER__CYCLE_STATE__CYCLE_STATE_OPEN;
	cy.chains[TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC].n = 2;
	cy.chains[TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC].steps[0] = BU_VP;
	cy.chains[TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC].steps[1] = BG_VP;
	cy.step_limit_hours = 2;
	cy.version = 1;
	cy.updated_by = f->sm.id;
	cy.updated_at = 100;
	assert_int_equal(store_cycle_insert(f->srv.store, &cy), 0);
	f->cycle = cy.id;

	memset(&cu, 0, sizeof(cu));
	cu.bu_id = bu;
	cu.name = cu.norm_name = "acme";
	cu.industry = cu.region = cu.size = cu.contacts = cu.payment_terms = "";
	cu.version = 1;
	cu.updated_by = f->sm.id;
	cu.updated_at = cu.created_at = 100;
	assert_int_equal(store_customer_insert(f->srv.store, &cu), 0);

	memset(&c, 0, sizeof(c));
	c.cycle_id = f->cycle;
	c.segment_id = f->seg_e;
	c.customer_id = cu.id;
	c.state = TIER__CANDIDATE_STATE__CANDIDATE_STATE_PROPOSED;
	c.proposed_by = f->sm.id;
	c.created_at = 100;
	assert_int_equal(store_candidate_insert(f->srv.store, &c), 0);
	c.version = 1;
	old = c;
	c.justification = c.reason = "";
	c.chain = "2,1";
	c.state = TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING;
	c.tier = TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC;
	c.round = 1;
	c.pending_since = 100;
	c.version = 2;
	c.updated_by = f->sm.id;
	c.updated_at = 100;
	assert_int_equal(store_candidate_update(f->srv.store, &old, &c), 0);
	f->cand = c.id;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[96];

	store_close(f->srv.store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int
count_cb(const struct store_audit *e, void *arg)
{
	int64_t *last = arg;

	assert_true(e->seq > *last);
	*last = e->seq;
	return 0;
}

static void
test_batch(void **state)
{
	struct fixture *f = *state;
	struct store_audit_place pl;
	struct feed_batch b;
	struct arena *a;
	int64_t last = 2;

	audit_add(f, "unit.add", "unit", f->seg_e, "", "{}");
	audit_add(f, "candidate.submit", "candidate", f->cand,
	    "{\"state\":\"scored\",\"step\":0}",
	    "{\"chain\":[\"bu_vp\",\"bg_vp\"],\"state\":\"pending\","
	    "\"step\":0}");
	audit_add(f, "candidate.rescore", "candidate", f->cand,
	    "{\"state\":\"pending\",\"step\":1}", "{\"state\":\"scored\"}");
	audit_add(f, "candidate.escalate", "candidate", f->cand, "",
	    "{\"notify_roles\":[\"bu_vp\",\"bg_vp\"],\"state\":\"pending\","
	    "\"step\":0,\"chain\":[\"bu_vp\",\"bg_vp\"]}");
	audit_add(f, "customer.add", "customer", 999, "", "{}");

	/* The log after a seq, in order, at most limit entries. */
	assert_int_equal(
	    store_audit_after(f->srv.store, 2, 2, count_cb, &last), 0);
	assert_int_equal(last, 4);
	assert_int_equal(
	    store_audit_place(f->srv.store, "candidate", f->cand, &pl), 0);
	assert_int_equal(pl.segment_id, f->seg_e);
	assert_int_equal(pl.cycle_id, f->cycle);
	assert_string_equal(pl.chain, "2,1");
	assert_int_equal(store_audit_place(f->srv.store, "customer", 999, &pl),
	    ERR_NOT_FOUND);
	assert_int_equal(
	    store_audit_place(f->srv.store, "unit", 1, &pl), ERR_INVALID_ARG);

	assert_int_equal(arena_new(&a), 0);
	/* Up to seq 4 only, though 5 entries follow 0. */
	assert_int_equal(feed_batch_read(f->srv.store, a, 0, 4, 100, &b), 0);
	assert_int_equal(b.n, 4);
	assert_int_equal(b.last_seq, 4);
	assert_int_equal(feed_batch_read(f->srv.store, a, 0, 100, 100, &b), 0);
	assert_int_equal(b.n, 5);
	assert_int_equal(b.e[0].facts.kind, FEED_KIND_OTHER);
	assert_int_equal(b.e[1].facts.kind, FEED_KIND_CANDIDATE);
	assert_true(b.e[1].facts.exists);
	assert_int_equal(b.e[1].facts.segment_id, f->seg_e);
	assert_int_equal(b.e[1].facts.queue_roles, CMD_ROLE(BU_VP));
	/* No chain in the JSON: the record's current chain "2,1". */
	assert_int_equal(b.e[2].facts.queue_roles, CMD_ROLE(BG_VP));
	assert_int_equal(
	    b.e[3].facts.notify_roles, CMD_ROLE(BU_VP) | CMD_ROLE(BG_VP));
	assert_int_equal(b.e[3].nnotify, 2);
	assert_int_equal(b.e[3].notify[1], BG_VP);
	assert_int_equal(b.e[1].facts.notify_roles, 0);
	assert_int_equal(b.e[4].facts.kind, FEED_KIND_CUSTOMER);
	assert_false(b.e[4].facts.exists);
	/* Nothing after the end, nothing when after >= upto. */
	assert_int_equal(feed_batch_read(f->srv.store, a, 5, 100, 100, &b), 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(feed_batch_read(f->srv.store, a, 3, 3, 100, &b), 0);
	assert_int_equal(b.n, 0);
	arena_free(a);
}

/* Counts candidate.escalate entries and checks them. */
static int
escalate_cb(const struct store_audit *e, void *arg)
{
	int *n = arg;

	if (strcmp(e->action, "candidate.escalate") != 0)
		return 0;
	(*n)++;
	assert_string_equal(e->user, "");
	assert_non_null(strstr(e->after, "\"notify_roles\":[\"bu_vp\","
					 "\"bg_vp\"]"));
	assert_string_equal(
	    e->reason, "step 1 (bu_vp) pending for 2h, limit 2h");
	return 0;
}

static void
test_escalate(void **state)
{
	struct fixture *f = *state;
	struct store_overdue *rows;
	struct arena *a;
	size_t n, count;
	int entries = 0;

	assert_int_equal(arena_new(&a), 0);
	/* Two hours exactly is not longer than the limit. */
	assert_int_equal(store_candidate_overdue(
			     f->srv.store, a, 100 + 7200, 3600, &rows, &n),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(store_candidate_overdue(
			     f->srv.store, a, 100 + 7201, 3600, &rows, &n),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, f->cand);
	assert_int_equal(rows[0].limit_hours, 2);
	assert_string_equal(rows[0].chain, "2,1");
	/* A shorter "hour" (the test knob) makes it overdue sooner. */
	assert_int_equal(
	    store_candidate_overdue(f->srv.store, a, 100 + 3, 1, &rows, &n), 0);
	assert_int_equal(n, 1);

	assert_int_equal(escalate_run(&f->srv, 100 + 7201, &count), 0);
	assert_int_equal(count, 1);
	/* Once per round and step. */
	assert_int_equal(escalate_run(&f->srv, 100 + 9999, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(store_audit_each(f->srv.store, "candidate", f->cand,
			     escalate_cb, &entries),
	    0);
	assert_int_equal(entries, 1);
	assert_int_equal(store_candidate_overdue(
			     f->srv.store, a, 100 + 9999, 3600, &rows, &n),
	    0);
	assert_int_equal(n, 0);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_visibility),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_my_queue),
		cmocka_unit_test(test_queue_roles),
		cmocka_unit_test(test_notify_roles),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escalate, setup, teardown),
	};
	log_init("test_feed", LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
