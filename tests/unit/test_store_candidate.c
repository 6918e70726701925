/*
 * The candidate queries on a real database: ranks (ties share one, only
 * completely scored candidates are ranked, per segment and per BU), list
 * order, scope filter, paging and totals, the version guard of updates, one
 * candidate per customer and cycle, approvals and the funnel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store_db.h"
#include "tierd.h"

struct fixture {
	char dir[64];  /* temporary directory */
	char path[96]; /* database file inside it */
	struct store *st;
	struct arena *a; /* for what the readers return */
	int64_t user;    /* a segment manager */
	int64_t bu, seg_a, seg_b, cycle;
	int64_t cand[5]; /* see setup */
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

static int64_t
customer_add(struct fixture *f, int64_t bu, const char *name)
{
	struct store_customer c;

	memset(&c, 0, sizeof(c));
	c.bu_id = bu;
	c.name = name;
	c.norm_name = name;
	c.industry = c.region = c.size = c.contacts = c.payment_terms = "";
	c.version = 1;
	c.updated_by = f->user;
	c.updated_at = c.created_at = 100;
	assert_int_equal(store_customer_insert(f->st, &c), 0);
	return c.id;
}

/* Proposes a candidate and gives it a score (complete or not). */
static int64_t
candidate_add(struct fixture *f, int64_t segment, int64_t customer,
    double score, int complete)
{
	struct store_candidate c, old;

	memset(&c, 0, sizeof(c));
	c.cycle_id = f->cycle;
	c.segment_id = segment;
	c.customer_id = customer;
	c.state = TIER__CANDIDATE_STATE__CANDIDATE_STATE_PROPOSED;
	c.criteria_version = 1;
	c.proposed_by = f->user;
	c.created_at = 100;
	assert_int_equal(store_candidate_insert(f->st, &c), 0);
	assert_int_equal(c.version, 1);
	old = c;
	c.justification = c.chain = c.reason = "";
	c.score = score;
	c.score_complete = complete;
	c.state = complete ? TIER__CANDIDATE_STATE__CANDIDATE_STATE_SCORED
			   : TIER__CANDIDATE_STATE__CANDIDATE_STATE_PROPOSED;
	c.ever_scored = complete;
	c.version = 2;
	c.updated_by = f->user;
	c.updated_at = 101;
	assert_int_equal(store_candidate_update(f->st, &old, &c), 0);
	return c.id;
}

/*
 * One BU with segments A and B and an open cycle. Candidates: A 80, A 80,
 * A 70, A 90 (incomplete), B 85.
 */
static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_user u;
	struct store_cycle cy;
	int64_t bg, bu;
	char why[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_store_candidate.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/tier.db", f->dir);
	if (store_open(&f->st, f->path, why, sizeof(why)) != 0 ||
	    arena_new(&f->a) != 0)
		return -1;
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "sm");
	snprintf(u.scope, sizeof(u.scope), "bu:BU");
	u.role = TIER__ROLE__ROLE_SEGMENT_MGR;
	assert_int_equal(store_user_insert(f->st, &u), 0);
	f->user = u.id;
	bg = unit_add(f->st, TIER__UNIT_KIND__UNIT_KIND_BG, "BG", 0);
	bu = unit_add(f->st, TIER__UNIT_KIND__UNIT_KIND_BU, "BU", bg);
	f->bu = bu;
	f->seg_a = unit_add(f->st, TIER__UNIT_KIND__UNIT_KIND_SEGMENT, "A", bu);
	f->seg_b = unit_add(f->st, TIER__UNIT_KIND__UNIT_KIND_SEGMENT, "B", bu);

	memset(&cy, 0, sizeof(cy));
	cy.bu_id = bu;
	cy.year = 2027;
	cy.state = TIER__CYCLE_STATE__CYCLE_STATE_OPEN;
	cy.min_score = 50;
	cy.cut_strategic = 85;
	cy.cut_key = 70;
	for (int t = 1; t <= 3; t++) {
		cy.chains[t].n = 1;
		cy.chains[t].steps[0] = TIER__ROLE__ROLE_BU_VP;
	}
	cy.step_limit_hours = 72;
	cy.criteria_version = 1;
	cy.version = 1;
	cy.updated_by = f->user;
	cy.updated_at = 100;
	assert_int_equal(store_cycle_insert(f->st, &cy), 0);
	f->cycle = cy.id;
	assert_int_equal(store_cycle_quota_set(f->st, cy.id, f->seg_a, 3), 0);

	f->cand[0] =
	    candidate_add(f, f->seg_a, customer_add(f, bu, "c0"), 80, 1);
	f->cand[1] =
	    candidate_add(f, f->seg_a, customer_add(f, bu, "c1"), 80, 1);
	f->cand[2] =
	    candidate_add(f, f->seg_a, customer_add(f, bu, "c2"), 70, 1);
	f->cand[3] =
	    candidate_add(f, f->seg_a, customer_add(f, bu, "c3"), 90, 0);
	f->cand[4] =
	    candidate_add(f, f->seg_b, customer_add(f, bu, "c4"), 85, 1);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[96];

	arena_free(f->a);
	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
test_ranks(void **state)
{
	struct fixture *f = *state;
	/* Expected rank in segment and in BU, per candidate of setup. */
	static const uint32_t seg[] = { 1, 1, 3, 0, 1 };
	static const uint32_t bu[] = { 2, 2, 4, 0, 1 };
	struct store_candidate c;
	size_t i;

	for (i = 0; i < 5; i++) {
		assert_int_equal(
		    store_candidate_get(f->st, f->a, f->cand[i], &c), 0);
		assert_int_equal(c.rank_segment, seg[i]);
		assert_int_equal(c.rank_bu, bu[i]);
	}
	assert_string_equal(c.segment, "B");
	assert_string_equal(c.bu, "BU");
	assert_string_equal(c.customer, "c4");
	assert_string_equal(c.proposer, "sm");
	assert_string_equal(c.owner, "");
	assert_int_equal(c.year, 2027);
	assert_int_equal(
	    store_candidate_get(f->st, f->a, 999, &c), ERR_NOT_FOUND);
}

/* The rank of id by SQL RANK() over the candidates as stored: the oracle. */
static uint32_t
oracle_rank(const char *path, int64_t id, int per_segment)
{
	char sql[512];
	sqlite3 *db;
	sqlite3_stmt *s;
	uint32_t rank = 0;

	snprintf(sql, sizeof(sql),
	    "SELECT r FROM (SELECT id, RANK() OVER (%s ORDER BY score DESC) "
	    "AS r FROM candidates WHERE score_complete AND state NOT IN (5, "
	    "6)) WHERE id = %lld",
	    per_segment ? "PARTITION BY segment_id" : "", (long long)id);
	assert_int_equal(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		rank = (uint32_t)sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rank;
}

/*
 * Many distinct scores in hundredths, across many whole-point bands and
 * both segments, moved about, withdrawn and restored: every rank the
 * counts give equals SQL RANK() over the rows.
 */
static void
test_ranks_match_rank(void **state)
{
	struct fixture *f = *state;
	struct store_candidate c, old;
	int64_t ids[120], bu_id;
	uint32_t x = 12345;
	char name[16];
	size_t i, k;

	assert_int_equal(store_candidate_get(f->st, f->a, f->cand[0], &c), 0);
	bu_id = c.bu_id;
	for (i = 0; i < 120; i++) {
		x = x * 1103515245u + 12345u;
		snprintf(name, sizeof(name), "r%zu", i);
		/* 0.00 to 99.99, with a few repeats among 120 */
		ids[i] = candidate_add(f, i % 2 ? f->seg_a : f->seg_b,
		    customer_add(f, bu_id, name),
		    (double)((x >> 8) % 10000) / 100.0, i % 7 != 0);
	}
	for (k = 0; k < 60; k++) {
		x = x * 1103515245u + 12345u;
		i = (x >> 8) % 120;
		assert_int_equal(
		    store_candidate_get(f->st, f->a, ids[i], &c), 0);
		old = c;
		c.version++;
		if (k % 5 == 0)
			c.state =
			    c.state ==
				    TIER__CANDIDATE_STATE__CANDIDATE_STATE_WITHDRAWN
				? TIER__CANDIDATE_STATE__CANDIDATE_STATE_SCORED
				: TIER__CANDIDATE_STATE__CANDIDATE_STATE_WITHDRAWN;
		else
			c.score = (double)((x >> 4) % 10000) / 100.0;
		assert_int_equal(store_candidate_update(f->st, &old, &c), 0);
	}
	for (i = 0; i < 120; i++) {
		assert_int_equal(
		    store_candidate_get(f->st, f->a, ids[i], &c), 0);
		assert_int_equal(c.rank_segment, oracle_rank(f->path, c.id, 1));
		assert_int_equal(c.rank_bu, oracle_rank(f->path, c.id, 0));
		/* The separate rank query of a transition agrees. */
		c.rank_segment = c.rank_bu = 99999;
		assert_int_equal(store_candidate_ranks(f->st, &c), 0);
		assert_int_equal(c.rank_segment, oracle_rank(f->path, c.id, 1));
		assert_int_equal(c.rank_bu, oracle_rank(f->path, c.id, 0));
	}
}

/* Every candidate's ranks, as the store gives them, equal SQL RANK(). */
static void
ranks_match_oracle(struct fixture *f, const int64_t *ids, size_t n)
{
	struct store_candidate c;
	size_t i;

	for (i = 0; i < n; i++) {
		assert_int_equal(
		    store_candidate_get(f->st, f->a, ids[i], &c), 0);
		assert_int_equal(c.rank_segment, oracle_rank(f->path, c.id, 1));
		assert_int_equal(c.rank_bu, oracle_rank(f->path, c.id, 0));
	}
}

/* Moves a candidate to a new score inside the open transaction. */
static void
rescore(struct fixture *f, int64_t id, double score)
{
	struct store_candidate c, old;

	assert_int_equal(store_candidate_get(f->st, f->a, id, &c), 0);
	old = c;
	c.version++;
	c.score = score;
	assert_int_equal(store_candidate_update(f->st, &old, &c), 0);
}

/*
 * Ranks kept in memory follow the database through savepoints rolled back
 * or released, whole transactions rolled back, and a cycle first read in
 * the middle of a transaction that is then rolled back.
 */
static void
test_ranks_roll_back(void **state)
{
	struct fixture *f = *state;
	struct store_candidate c;
	int64_t ids[30], bu_id;
	char name[16];
	size_t i;

	assert_int_equal(store_candidate_get(f->st, f->a, f->cand[0], &c), 0);
	bu_id = c.bu_id;
	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "b%zu", i);
		ids[i] = candidate_add(f, i % 2 ? f->seg_a : f->seg_b,
		    customer_add(f, bu_id, name), (double)(i * 3 % 50) + 0.25,
		    1);
	}
	ranks_match_oracle(f, ids, 30);

	/* A savepoint rolled back, one released, one rolled back again. */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_savepoint(f->st), 0);
	rescore(f, ids[3], 99.5);
	assert_int_equal(store_candidate_get(f->st, f->a, ids[3], &c), 0);
	assert_int_equal(c.rank_bu, 1);
	assert_int_equal(store_rollback_to(f->st), 0);
	assert_int_equal(store_savepoint(f->st), 0);
	rescore(f, ids[4], 98.25);
	assert_int_equal(store_release(f->st), 0);
	assert_int_equal(store_savepoint(f->st), 0);
	assert_int_equal(store_savepoint(f->st), 0);
	rescore(f, ids[5], 0);
	assert_int_equal(store_release(f->st), 0);
	rescore(f, ids[6], 97);
	assert_int_equal(store_rollback_to(f->st), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_candidate_get(f->st, f->a, ids[4], &c), 0);
	assert_int_equal(c.rank_bu, 1);
	ranks_match_oracle(f, ids, 30);

	/* A whole transaction rolled back. */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_savepoint(f->st), 0);
	rescore(f, ids[7], 12.5);
	assert_int_equal(store_release(f->st), 0);
	store_rollback(f->st);
	ranks_match_oracle(f, ids, 30);

	/* The cycle read again inside a transaction, after a change. */
	store_rank_forget(f->st, c.cycle_id);
	assert_int_equal(store_begin(f->st), 0);
	rescore(f, ids[8], 99.75);
	assert_int_equal(store_candidate_get(f->st, f->a, ids[8], &c), 0);
	assert_int_equal(c.rank_bu, 1);
	store_rollback(f->st);
	ranks_match_oracle(f, ids, 30);
}

/*
 * At most STORE_RANK_CYCLES cycles stay loaded: reading one more forgets the
 * one asked about least recently, and a forgotten cycle's ranks are right
 * when it is next asked about, after a change made while it was forgotten.
 */
static void
test_ranks_forget_oldest(void **state)
{
	struct fixture *f = *state;
	int64_t first = f->cycle, cycles[STORE_RANK_CYCLES];
	struct store_candidate c;
	struct store_cycle cy;
	char name[32];
	int i;

	assert_int_equal(store_candidate_get(f->st, f->a, f->cand[0], &c), 0);
	assert_true(store_rank_loaded(f->st, first));
	assert_int_equal(store_cycle_get(f->st, first, &cy), 0);
	for (i = 0; i < STORE_RANK_CYCLES; i++) {
		cy.year = 2028 + i;
		assert_int_equal(store_cycle_insert(f->st, &cy), 0);
		cycles[i] = f->cycle = cy.id;
		snprintf(name, sizeof(name), "hi%d", i);
		candidate_add(f, f->seg_a, customer_add(f, f->bu, name), 60, 1);
		snprintf(name, sizeof(name), "lo%d", i);
		assert_int_equal(store_candidate_get(f->st, f->a,
				     candidate_add(f, f->seg_a,
					 customer_add(f, f->bu, name), 40, 1),
				     &c),
		    0);
		assert_int_equal(c.rank_bu, 2);
	}
	f->cycle = first;
	assert_false(store_rank_loaded(f->st, first));
	for (i = 0; i < STORE_RANK_CYCLES; i++)
		assert_true(store_rank_loaded(f->st, cycles[i]));

	/* A 70 overtakes A 80, A 80 and B 85 while its cycle is forgotten. */
	rescore(f, f->cand[2], 95);
	assert_int_equal(store_candidate_get(f->st, f->a, f->cand[2], &c), 0);
	assert_int_equal(c.rank_segment, 1);
	assert_int_equal(c.rank_bu, 1);
	assert_int_equal(store_candidate_get(f->st, f->a, f->cand[4], &c), 0);
	assert_int_equal(c.rank_bu, 2);
	assert_true(store_rank_loaded(f->st, first));
	assert_false(store_rank_loaded(f->st, cycles[0]));
}

static void
test_list(void **state)
{
	struct fixture *f = *state;
	struct store_candidate_filter flt;
	struct store_candidate *rows;
	int64_t only_a[] = { 0 };
	size_t n;
	uint32_t total;

	memset(&flt, 0, sizeof(flt));
	flt.cycle_id = f->cycle;
	flt.all_segments = 1;
	flt.limit = 100;
	assert_int_equal(
	    store_candidate_list(f->st, f->a, &flt, &rows, &n, &total), 0);
	/* Best score first, ties by id, the incomplete one last. */
	assert_int_equal(n, 5);
	assert_int_equal(total, 5);
	assert_int_equal(rows[0].id, f->cand[4]);
	assert_int_equal(rows[1].id, f->cand[0]);
	assert_int_equal(rows[2].id, f->cand[1]);
	assert_int_equal(rows[3].id, f->cand[2]);
	assert_int_equal(rows[4].id, f->cand[3]);

	/* A page: the total still counts every match. */
	flt.offset = 1;
	flt.limit = 2;
	assert_int_equal(
	    store_candidate_list(f->st, f->a, &flt, &rows, &n, &total), 0);
	assert_int_equal(n, 2);
	assert_int_equal(total, 5);
	assert_int_equal(rows[0].id, f->cand[0]);

	/* A scope of segment A only; then of nothing at all. */
	only_a[0] = f->seg_a;
	flt.offset = 0;
	flt.limit = 100;
	flt.all_segments = 0;
	flt.segments = only_a;
	flt.nsegments = 1;
	assert_int_equal(
	    store_candidate_list(f->st, f->a, &flt, &rows, &n, &total), 0);
	assert_int_equal(n, 4);
	assert_int_equal(total, 4);
	flt.nsegments = 0;
	assert_int_equal(
	    store_candidate_list(f->st, f->a, &flt, &rows, &n, &total), 0);
	assert_int_equal(n, 0);
	assert_int_equal(total, 0);

	/* Segment and state filters. */
	flt.all_segments = 1;
	flt.segment_id = f->seg_b;
	assert_int_equal(
	    store_candidate_list(f->st, f->a, &flt, &rows, &n, &total), 0);
	assert_int_equal(n, 1);
	flt.segment_id = 0;
	flt.state = TIER__CANDIDATE_STATE__CANDIDATE_STATE_PROPOSED;
	assert_int_equal(
	    store_candidate_list(f->st, f->a, &flt, &rows, &n, &total), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, f->cand[3]);
}

static void
test_versions_and_uniqueness(void **state)
{
	struct fixture *f = *state;
	struct store_candidate c, dup, old;
	int64_t id;

	assert_int_equal(store_candidate_get(f->st, f->a, f->cand[0], &c), 0);
	assert_int_equal(c.version, 2);
	old = c;
	c.version = 3;
	c.reason = "stale";
	/* The row is at version 2, not 1: nothing changes. */
	old.version = 1;
	assert_int_equal(store_candidate_update(f->st, &old, &c), ERR_CONFLICT);
	old.version = 2;
	assert_int_equal(store_candidate_update(f->st, &old, &c), 0);
	/* A change of state takes the other statement, with the same check. */
	old = c;
	c.version = 4;
	c.state = TIER__CANDIDATE_STATE__CANDIDATE_STATE_WITHDRAWN;
	assert_int_equal(store_candidate_update(f->st, &old, &c), 0);
	assert_int_equal(store_candidate_update(f->st, &old, &c), ERR_CONFLICT);
	assert_int_equal(store_candidate_get(f->st, f->a, f->cand[0], &c), 0);
	assert_int_equal(c.version, 4);
	assert_int_equal(
	    c.state, TIER__CANDIDATE_STATE__CANDIDATE_STATE_WITHDRAWN);
	assert_int_equal(c.rank_segment, 0);
	old = c;
	c.state = TIER__CANDIDATE_STATE__CANDIDATE_STATE_SCORED;
	c.version = 5;
	assert_int_equal(store_candidate_update(f->st, &old, &c), 0);
	assert_int_equal(store_candidate_get(f->st, f->a, f->cand[0], &c), 0);
	assert_int_equal(c.version, 5);
	assert_string_equal(c.reason, "stale");

	assert_int_equal(
	    store_candidate_find(f->st, f->cycle, c.customer_id, &id), 0);
	assert_int_equal(id, f->cand[0]);
	dup = c;
	assert_int_equal(store_candidate_insert(f->st, &dup), ERR_EXISTS);
	assert_int_equal(
	    store_candidate_find(f->st, f->cycle, 9999, &id), ERR_NOT_FOUND);
}

static void
test_scores_approvals_funnel(void **state)
{
	struct fixture *f = *state;
	struct store_candidate_score *sc;
	struct store_candidate_approval *ap;
	struct store_candidate_funnel *fu;
	size_t n;

	assert_int_equal(store_candidate_score_put(
			     f->st, f->cand[0], 1, "reach", 3, f->user, 200),
	    0);
	assert_int_equal(store_candidate_score_put(
			     f->st, f->cand[0], 1, "reach", 7, f->user, 201),
	    0);
	assert_int_equal(store_candidate_score_put(
			     f->st, f->cand[0], 2, "reach", 1, f->user, 202),
	    0);
	assert_int_equal(
	    store_candidate_scores(f->st, f->a, f->cand[0], 1, &sc, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sc[0].value, 7);
	assert_string_equal(sc[0].scorer, "sm");

	assert_int_equal(store_candidate_approval_insert(
			     f->st, f->cand[0], 1, 0, f->user, 0, 300),
	    0);
	assert_int_equal(store_candidate_approval_insert(
			     f->st, f->cand[0], 1, 0, f->user, 0, 301),
	    ERR_EXISTS);
	assert_int_equal(
	    store_candidate_approvals(f->st, f->a, f->cand[0], 1, &ap, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(ap[0].user, "sm");
	assert_string_equal(ap[0].on_behalf, "");
	assert_int_equal(
	    store_candidate_approvals(f->st, f->a, f->cand[0], 2, &ap, &n), 0);
	assert_int_equal(n, 0);

	assert_int_equal(
	    store_candidate_funnel(f->st, f->a, f->cycle, &fu, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(fu[0].segment, "A");
	assert_int_equal(fu[0].quota, 3);
	assert_int_equal(fu[0].proposed, 4);
	assert_int_equal(fu[0].scored, 3);
	assert_int_equal(fu[0].submitted, 0);
	assert_string_equal(fu[1].segment, "B");
	assert_int_equal(fu[1].quota, 0);
	assert_int_equal(fu[1].proposed, 1);
}

/* Counts what the walks find. */
static int
count_visit(const struct store_visit *v, void *arg)
{
	(void)v;
	++*(int *)arg;
	return 0;
}

static int
count_complaint(const struct store_complaint *c, void *arg)
{
	(void)c;
	++*(int *)arg;
	return 0;
}

/* A visit and an open complaint of customer. */
static void
card_rows_add(struct fixture *f, int64_t customer)
{
	struct store_visit v;
	struct store_complaint k;

	memset(&v, 0, sizeof(v));
	v.customer_id = customer;
	v.visit_date = "2027-03-01";
	v.visitor_id = v.created_by = f->user;
	v.received_by = v.content = v.progress = v.next_visit = "";
	v.created_at = 100;
	assert_int_equal(store_visit_insert(f->st, &v), 0);
	memset(&k, 0, sizeof(k));
	k.customer_id = customer;
	k.opened_on = "2027-03-02";
	k.category = TIER__COMPLAINT_CATEGORY__COMPLAINT_CATEGORY_PRICE;
	k.description = k.handling = "";
	k.opened_by = f->user;
	k.created_at = 100;
	assert_int_equal(store_complaint_insert(f->st, &k), 0);
}

/*
 * The engine's work for what customer_get and a customer change read of one
 * customer: its visits, open complaints and candidates (each found once).
 */
static uint64_t
customer_reads(struct fixture *f, int64_t customer)
{
	struct store_visit_filter vf = { .customer_id = customer };
	struct store_complaint_filter cf = {
		.customer_id = customer, .open_only = 1, .oldest_first = 1
	};
	int64_t cand, cycle;
	int n = 0;

	store_vm_steps(f->st);
	assert_int_equal(store_visit_each(f->st, &vf, count_visit, &n), 0);
	assert_int_equal(
	    store_complaint_each(f->st, &cf, count_complaint, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_customer_candidate(f->st, customer,
			     TIER__CANDIDATE_STATE__CANDIDATE_STATE_UNSPECIFIED,
			     &cand, &cycle),
	    0);
	assert_int_equal(cycle, f->cycle);
	return store_vm_steps(f->st);
}

/*
 * One customer's card rows and candidates are found through indexes: the
 * work does not grow with other customers' rows (a filter of the form
 * "?1 = 0 OR customer_id = ?1" scanned every visit, complaint and
 * candidate, on every customer_get).
 */
static void
test_customer_reads_bounded(void **state)
{
	struct fixture *f = *state;
	struct store_candidate c;
	uint64_t few, many;
	int64_t other;
	char name[16];
	int i;

	assert_int_equal(store_candidate_get(f->st, f->a, f->cand[0], &c), 0);
	card_rows_add(f, c.customer_id);
	few = customer_reads(f, c.customer_id);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "other %d", i);
		other = customer_add(f, f->bu, name);
		candidate_add(f, f->seg_b, other, 60, 1);
		card_rows_add(f, other);
	}
	many = customer_reads(f, c.customer_id);
	print_message("engine steps for one customer's reads: %llu with 5 "
		      "customers, %llu with 305\n",
	    (unsigned long long)few, (unsigned long long)many);
	assert_true(many <= few + few / 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ranks, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ranks_match_rank, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ranks_roll_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_versions_and_uniqueness, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_scores_approvals_funnel, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_customer_reads_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_ranks_forget_oldest, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
