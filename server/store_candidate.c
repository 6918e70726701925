/*
 * Queries of the candidate workflow: candidates with their ranks (per
 * segment and per BU, from store_rank.c), their scores and approvals, and
 * the per-segment funnel of a cycle. Text and arrays are allocated in the
 * caller's arena.
 */
#include "store_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Ranks (store_rank.c) are among the candidates of a cycle that are
 * completely scored and still in the running (not rejected or withdrawn);
 * the others get 0. Rows are read, then ranked in memory.
 */
#define CAND_COLUMNS                                                           \
	"c.id, c.cycle_id, c.segment_id, c.customer_id, c.state, c.score, "    \
	"c.score_complete, c.needs_rescore, c.criteria_version, "              \
	"c.suggested_tier, c.tier, coalesce(c.owner_id, 0), "                  \
	"c.justification, c.chain, c.step, c.round, c.pending_since, "         \
	"c.proposed_by, coalesce(c.submitted_by, 0), c.reason, "               \
	"c.ever_scored, c.ever_submitted, c.version, c.updated_by, "           \
	"c.updated_at, c.created_at, cy.year, cy.bu_id, bu.name, seg.name, "   \
	"cu.name, coalesce(ow.name, ''), pr.name, coalesce(sb.name, ''), "     \
	"up.name, coalesce((SELECT i.id FROM inquiries i WHERE "               \
	"i.candidate_id = c.id), 0)"

#define CAND_JOINS                                                             \
	" JOIN cycles cy ON cy.id = c.cycle_id "                               \
	"JOIN units bu ON bu.id = cy.bu_id "                                   \
	"JOIN units seg ON seg.id = c.segment_id "                             \
	"JOIN customers cu ON cu.id = c.customer_id "                          \
	"LEFT JOIN users ow ON ow.id = c.owner_id "                            \
	"JOIN users pr ON pr.id = c.proposed_by "                              \
	"LEFT JOIN users sb ON sb.id = c.submitted_by "                        \
	"JOIN users up ON up.id = c.updated_by"

#define CAND_FROM " FROM candidates c" CAND_JOINS

static const char sql_cand_get[] =
    "SELECT " CAND_COLUMNS CAND_FROM " WHERE c.id = ?1";

/*
 * ?4 is NULL for every segment, or a JSON array of the segment ids the
 * asking user sees: lists skip the others silently.
 */
#define CAND_LIST_WHERE                                                        \
	" WHERE c.cycle_id = ?1 AND (?2 = 0 OR c.segment_id = ?2) AND "        \
	"(?3 = 0 OR c.state = ?3) AND (?4 IS NULL OR c.segment_id IN "         \
	"(SELECT value FROM json_each(?4)))"

#define CAND_LIST_ORDER                                                        \
	" ORDER BY c.score_complete DESC, "                                    \
	"CASE WHEN c.score_complete THEN c.score END DESC, c.id"

/* The page is chosen first, so that only its rows are joined and ranked. */
static const char sql_cand_list[] =
    "WITH page AS MATERIALIZED (SELECT c.id FROM candidates c" CAND_LIST_WHERE
	CAND_LIST_ORDER " LIMIT ?5 OFFSET ?6) SELECT " CAND_COLUMNS
    " FROM page JOIN candidates c ON c.id = page.id" CAND_JOINS CAND_LIST_ORDER;

/* The total, from the per-state counts (migration 7), not the rows. */
static const char sql_cand_count[] =
    "SELECT coalesce(sum(c.n), 0) FROM candidate_counts c" CAND_LIST_WHERE;

static const char sql_cand_pending[] =
    "SELECT " CAND_COLUMNS CAND_FROM " WHERE c.state = 3 ORDER BY "
    "c.pending_since, c.id";

static const char sql_cand_targets[] =
    "SELECT " CAND_COLUMNS CAND_FROM " WHERE c.cycle_id = ?1 AND c.state = 4 "
    "ORDER BY c.tier DESC, c.score DESC, c.id";

static const char sql_cand_find[] =
    "SELECT id FROM candidates WHERE cycle_id = ?1 AND customer_id = ?2";

static const char sql_cand_insert[] =
    "INSERT INTO candidates (cycle_id, segment_id, customer_id, state, "
    "criteria_version, proposed_by, updated_by, updated_at, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?7)";

/* Only from the version the caller read: a lost race changes no row. */
static const char sql_cand_update[] =
    "UPDATE candidates SET state = ?3, score = ?4, score_complete = ?5, "
    "needs_rescore = ?6, criteria_version = ?7, suggested_tier = ?8, "
    "tier = ?9, owner_id = nullif(?10, 0), justification = ?11, "
    "chain = ?12, step = ?13, round = ?14, pending_since = ?15, "
    "submitted_by = nullif(?16, 0), reason = ?17, ever_scored = ?18, "
    "ever_submitted = ?19, version = ?20, updated_by = ?21, "
    "updated_at = ?22 WHERE id = ?1 AND version = ?2";

/*
 * The same without the columns of state, pending time, owner and submitter,
 * for a change that leaves them (a score): SQLite rewrites every index entry
 * and checks every foreign key whose column an UPDATE sets, changed or not.
 */
static const char sql_cand_update_in_place[] =
    "UPDATE candidates SET score = ?4, score_complete = ?5, "
    "needs_rescore = ?6, criteria_version = ?7, suggested_tier = ?8, "
    "tier = ?9, justification = ?11, chain = ?12, step = ?13, round = ?14, "
    "reason = ?17, ever_scored = ?18, ever_submitted = ?19, version = ?20, "
    "updated_by = ?21, updated_at = ?22 WHERE id = ?1 AND version = ?2";

static const char sql_scores[] =
    "SELECT s.criterion, s.value, s.scored_by, u.name, s.scored_at "
    "FROM scores s JOIN users u ON u.id = s.scored_by "
    "WHERE s.candidate_id = ?1 AND s.criteria_version = ?2 "
    "ORDER BY s.criterion";

static const char sql_score_put[] =
    "INSERT INTO scores (candidate_id, criteria_version, criterion, value, "
    "scored_by, scored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT (candidate_id, criteria_version, criterion) DO UPDATE SET "
    "value = excluded.value, scored_by = excluded.scored_by, "
    "scored_at = excluded.scored_at";

static const char sql_approvals[] =
    "SELECT a.step, a.user_id, coalesce(a.on_behalf_of, 0), u.name, "
    "coalesce(o.name, ''), a.decided_at FROM approvals a "
    "JOIN users u ON u.id = a.user_id "
    "LEFT JOIN users o ON o.id = a.on_behalf_of "
    "WHERE a.candidate_id = ?1 AND a.round = ?2 ORDER BY a.step";

static const char sql_approval_insert[] =
    "INSERT INTO approvals (candidate_id, round, step, user_id, "
    "on_behalf_of, decided_at) VALUES (?1, ?2, ?3, ?4, nullif(?5, 0), ?6)";

static const char sql_funnel[] =
    "SELECT seg.id, seg.name, coalesce(q.quota, 0), count(c.id), "
    "coalesce(sum(c.ever_scored), 0), coalesce(sum(c.ever_submitted), 0), "
    "coalesce(sum(c.state = 4), 0), coalesce(sum(c.state = 5), 0), "
    "coalesce(sum(c.state = 6), 0) FROM units seg "
    "LEFT JOIN quotas q ON q.cycle_id = ?1 AND q.segment_id = seg.id "
    "LEFT JOIN candidates c ON c.cycle_id = ?1 AND c.segment_id = seg.id "
    "WHERE seg.kind = 3 AND seg.parent_id = "
    "(SELECT bu_id FROM cycles WHERE id = ?1) "
    "GROUP BY seg.id, seg.name, q.quota ORDER BY seg.name";

/*
 * Makes room for one more element of size bytes in *arr (n in use, *cap
 * allocated), moving it to a twice larger arena block when full. Returns 0
 * or ERR_ALLOC.
 */
static int
store_cand_grow(struct arena *a, void **arr, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if ((p = arena_alloc(a, ncap * size)) == NULL)
		return ERR_ALLOC;
	if (n > 0)
		memcpy(p, *arr, n * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Fills c from a row of CAND_COLUMNS; the text goes to the arena. */
static int
store_cand_row(struct arena *a, sqlite3_stmt *s, struct store_candidate *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(s, 0);
	c->cycle_id = sqlite3_column_int64(s, 1);
	c->segment_id = sqlite3_column_int64(s, 2);
	c->customer_id = sqlite3_column_int64(s, 3);
	c->state = (Tier__CandidateState)sqlite3_column_int(s, 4);
	c->score = sqlite3_column_double(s, 5);
	c->score_complete = sqlite3_column_int(s, 6);
	c->needs_rescore = sqlite3_column_int(s, 7);
	c->criteria_version = (uint32_t)sqlite3_column_int64(s, 8);
	c->suggested_tier = (Tier__TierLevel)sqlite3_column_int(s, 9);
	c->tier = (Tier__TierLevel)sqlite3_column_int(s, 10);
	c->owner_id = sqlite3_column_int64(s, 11);
	c->justification = store_arena_text(a, s, 12);
	c->chain = store_arena_text(a, s, 13);
	c->step = (uint32_t)sqlite3_column_int64(s, 14);
	c->round = (uint32_t)sqlite3_column_int64(s, 15);
	c->pending_since = sqlite3_column_int64(s, 16);
	c->proposed_by = sqlite3_column_int64(s, 17);
	c->submitted_by = sqlite3_column_int64(s, 18);
	c->reason = store_arena_text(a, s, 19);
	c->ever_scored = sqlite3_column_int(s, 20);
	c->ever_submitted = sqlite3_column_int(s, 21);
	c->version = (uint64_t)sqlite3_column_int64(s, 22);
	c->updated_by = sqlite3_column_int64(s, 23);
	c->updated_at = sqlite3_column_int64(s, 24);
	c->created_at = sqlite3_column_int64(s, 25);
	c->year = (uint32_t)sqlite3_column_int64(s, 26);
	c->bu_id = sqlite3_column_int64(s, 27);
	c->bu = store_arena_text(a, s, 28);
	c->segment = store_arena_text(a, s, 29);
	c->customer = store_arena_text(a, s, 30);
	c->owner = store_arena_text(a, s, 31);
	c->proposer = store_arena_text(a, s, 32);
	c->submitter = store_arena_text(a, s, 33);
	c->updater = store_arena_text(a, s, 34);
	c->inquiry_id = sqlite3_column_int64(s, 35);
	if (c->justification == NULL || c->chain == NULL || c->reason == NULL ||
	    c->bu == NULL || c->segment == NULL || c->customer == NULL ||
	    c->owner == NULL || c->proposer == NULL || c->submitter == NULL ||
	    c->updater == NULL)
		return ERR_ALLOC;
	return 0;
}

/* Steps s to its end, collecting candidates into a new arena array. */
static int
store_cand_rows(struct store *st, struct arena *a, sqlite3_stmt *s,
    const char *what, struct store_candidate **out, size_t *n)
{
	struct store_candidate *arr = NULL;
	size_t count = 0, cap = 0;
	int rc, r = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = store_cand_grow(
			 a, (void **)&arr, count, &cap, sizeof(*arr))) != 0 ||
		    (r = store_cand_row(a, s, &arr[count])) != 0 ||
		    (r = store_rank_get(st, &arr[count])) != 0)
			break;
		count++;
	}
	sqlite3_reset(s);
	if (r != 0)
		return r;
	if (rc != SQLITE_DONE)
		return store_fail(st, what);
	*out = arr;
	*n = count;
	return 0;
}

int
store_candidate_get(
    struct store *st, struct arena *a, int64_t id, struct store_candidate *out)
{
	sqlite3_stmt *s = store_sql(st, sql_cand_get);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	if ((r = store_row(st, s, "candidate get")) <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	r = store_cand_row(a, s, out);
	sqlite3_reset(s);
	return r != 0 ? r : store_rank_get(st, out);
}

int
store_candidate_ranks(struct store *st, struct store_candidate *c)
{
	return store_rank_get(st, c);
}

int
store_candidate_find(
    struct store *st, int64_t cycle_id, int64_t customer_id, int64_t *id)
{
	sqlite3_stmt *s = store_sql(st, sql_cand_find);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cycle_id);
	sqlite3_bind_int64(s, 2, customer_id);
	if ((r = store_row(st, s, "candidate find")) <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

int
store_candidate_insert(struct store *st, struct store_candidate *c)
{
	sqlite3_stmt *s = store_sql(st, sql_cand_insert);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, c->cycle_id);
	sqlite3_bind_int64(s, 2, c->segment_id);
	sqlite3_bind_int64(s, 3, c->customer_id);
	sqlite3_bind_int(s, 4, (int)c->state);
	sqlite3_bind_int64(s, 5, c->criteria_version);
	sqlite3_bind_int64(s, 6, c->proposed_by);
	sqlite3_bind_int64(s, 7, c->created_at);
	if ((r = store_run(st, s, "candidate insert")) != 0)
		return r;
	c->id = store_last_id(st);
	c->version = 1;
	return 0;
}

int
store_candidate_update(struct store *st, const struct store_candidate *old,
    const struct store_candidate *c)
{
	int in_place = c->state == old->state &&
		       c->pending_since == old->pending_since &&
		       c->owner_id == old->owner_id &&
		       c->submitted_by == old->submitted_by;
	sqlite3_stmt *s = store_sql(
	    st, in_place ? sql_cand_update_in_place : sql_cand_update);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, c->id);
	sqlite3_bind_int64(s, 2, (int64_t)old->version);
	sqlite3_bind_int(s, 3, (int)c->state);
	sqlite3_bind_double(s, 4, c->score);
	sqlite3_bind_int(s, 5, c->score_complete);
	sqlite3_bind_int(s, 6, c->needs_rescore);
	sqlite3_bind_int64(s, 7, c->criteria_version);
	sqlite3_bind_int(s, 8, (int)c->suggested_tier);
	sqlite3_bind_int(s, 9, (int)c->tier);
	sqlite3_bind_int64(s, 10, c->owner_id);
	sqlite3_bind_text(s, 11, c->justification, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 12, c->chain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 13, c->step);
	sqlite3_bind_int64(s, 14, c->round);
	sqlite3_bind_int64(s, 15, c->pending_since);
	sqlite3_bind_int64(s, 16, c->submitted_by);
	sqlite3_bind_text(s, 17, c->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 18, c->ever_scored);
	sqlite3_bind_int(s, 19, c->ever_submitted);
	sqlite3_bind_int64(s, 20, (int64_t)c->version);
	sqlite3_bind_int64(s, 21, c->updated_by);
	sqlite3_bind_int64(s, 22, c->updated_at);
	if ((r = store_run(st, s, "candidate update")) != 0)
		return r;
	if (store_changes(st) != 1)
		return ERR_CONFLICT;
	return store_rank_moved(st, old, c);
}

/* Binds the filter of sql_cand_list and sql_cand_count. */
static int
store_cand_bind_filter(
    sqlite3_stmt *s, const struct store_candidate_filter *f, char **json)
{
	size_t i, len, cap;
	char *p;
	int n;

	*json = NULL;
	sqlite3_bind_int64(s, 1, f->cycle_id);
	sqlite3_bind_int64(s, 2, f->segment_id);
	sqlite3_bind_int(s, 3, (int)f->state);
	if (f->all_segments) {
		sqlite3_bind_null(s, 4);
		return 0;
	}
	/* "[1,2,3]": 21 bytes per id is enough for any int64 and a comma. */
	cap = f->nsegments * 21 + 3;
	if ((p = malloc(cap)) == NULL)
		return ERR_ALLOC;
	len = 0;
	p[len++] = '[';
	for (i = 0; i < f->nsegments; i++) {
		n = snprintf(p + len, cap - len, "%s%lld", i ? "," : "",
		    (long long)f->segments[i]);
		len += (size_t)n;
	}
	p[len++] = ']';
	p[len] = '\0';
	sqlite3_bind_text(s, 4, p, (int)len, SQLITE_STATIC);
	*json = p;
	return 0;
}

int
store_candidate_list(struct store *st, struct arena *a,
    const struct store_candidate_filter *f, struct store_candidate **out,
    size_t *n, uint32_t *total)
{
	sqlite3_stmt *s = store_sql(st, sql_cand_count);
	char *json = NULL;
	int r;

	if (s == NULL)
		return ERR_STORE;
	if ((r = store_cand_bind_filter(s, f, &json)) != 0)
		return r;
	r = store_row(st, s, "candidate count");
	if (r == 1) {
		*total = (uint32_t)sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		r = 0;
	}
	sqlite3_clear_bindings(s);
	free(json);
	if (r != 0)
		return r < 0 ? r : ERR_STORE;

	if ((s = store_sql(st, sql_cand_list)) == NULL)
		return ERR_STORE;
	if ((r = store_cand_bind_filter(s, f, &json)) != 0)
		return r;
	sqlite3_bind_int64(s, 5, f->limit);
	sqlite3_bind_int64(s, 6, f->offset);
	r = store_cand_rows(st, a, s, "candidate list", out, n);
	sqlite3_clear_bindings(s);
	free(json);
	return r;
}

int
store_candidate_pending(
    struct store *st, struct arena *a, struct store_candidate **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_cand_pending);

	if (s == NULL)
		return ERR_STORE;
	return store_cand_rows(st, a, s, "pending candidates", out, n);
}

int
store_candidate_targets(struct store *st, struct arena *a, int64_t cycle_id,
    struct store_candidate **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_cand_targets);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cycle_id);
	return store_cand_rows(st, a, s, "approved candidates", out, n);
}

int
store_candidate_scores(struct store *st, struct arena *a, int64_t id,
    uint32_t version, struct store_candidate_score **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_scores);
	struct store_candidate_score *arr = NULL, *sc;
	size_t count = 0, cap = 0;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, version);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = store_cand_grow(
			 a, (void **)&arr, count, &cap, sizeof(*arr))) != 0)
			break;
		sc = &arr[count++];
		sc->criterion = store_arena_text(a, s, 0);
		sc->value = (uint32_t)sqlite3_column_int64(s, 1);
		sc->scored_by = sqlite3_column_int64(s, 2);
		sc->scorer = store_arena_text(a, s, 3);
		sc->scored_at = sqlite3_column_int64(s, 4);
		if (sc->criterion == NULL || sc->scorer == NULL) {
			r = ERR_ALLOC;
			break;
		}
	}
	sqlite3_reset(s);
	if (r != 0)
		return r;
	if (rc != SQLITE_DONE)
		return store_fail(st, "scores");
	*out = arr;
	*n = count;
	return 0;
}

int
store_candidate_score_put(struct store *st, int64_t id, uint32_t version,
    const char *criterion, uint32_t value, int64_t user_id, int64_t now)
{
	sqlite3_stmt *s = store_sql(st, sql_score_put);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, version);
	sqlite3_bind_text(s, 3, criterion, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, value);
	sqlite3_bind_int64(s, 5, user_id);
	sqlite3_bind_int64(s, 6, now);
	return store_run(st, s, "score put");
}

int
store_candidate_approvals(struct store *st, struct arena *a, int64_t id,
    uint32_t round, struct store_candidate_approval **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_approvals);
	struct store_candidate_approval *arr = NULL, *ap;
	size_t count = 0, cap = 0;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, round);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = store_cand_grow(
			 a, (void **)&arr, count, &cap, sizeof(*arr))) != 0)
			break;
		ap = &arr[count++];
		ap->step = (uint32_t)sqlite3_column_int64(s, 0);
		ap->user_id = sqlite3_column_int64(s, 1);
		ap->on_behalf_of = sqlite3_column_int64(s, 2);
		ap->user = store_arena_text(a, s, 3);
		ap->on_behalf = store_arena_text(a, s, 4);
		ap->decided_at = sqlite3_column_int64(s, 5);
		if (ap->user == NULL || ap->on_behalf == NULL) {
			r = ERR_ALLOC;
			break;
		}
	}
	sqlite3_reset(s);
	if (r != 0)
		return r;
	if (rc != SQLITE_DONE)
		return store_fail(st, "approvals");
	*out = arr;
	*n = count;
	return 0;
}

int
store_candidate_approval_insert(struct store *st, int64_t id, uint32_t round,
    uint32_t step, int64_t user_id, int64_t on_behalf_of, int64_t now)
{
	sqlite3_stmt *s = store_sql(st, sql_approval_insert);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, round);
	sqlite3_bind_int64(s, 3, step);
	sqlite3_bind_int64(s, 4, user_id);
	sqlite3_bind_int64(s, 5, on_behalf_of);
	sqlite3_bind_int64(s, 6, now);
	return store_run(st, s, "approval insert");
}

int
store_candidate_funnel(struct store *st, struct arena *a, int64_t cycle_id,
    struct store_candidate_funnel **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_funnel);
	struct store_candidate_funnel *arr = NULL, *f;
	size_t count = 0, cap = 0;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cycle_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = store_cand_grow(
			 a, (void **)&arr, count, &cap, sizeof(*arr))) != 0)
			break;
		f = &arr[count++];
		f->segment_id = sqlite3_column_int64(s, 0);
		f->segment = store_arena_text(a, s, 1);
		f->quota = (uint32_t)sqlite3_column_int64(s, 2);
		f->proposed = (uint32_t)sqlite3_column_int64(s, 3);
		f->scored = (uint32_t)sqlite3_column_int64(s, 4);
		f->submitted = (uint32_t)sqlite3_column_int64(s, 5);
		f->approved = (uint32_t)sqlite3_column_int64(s, 6);
		f->rejected = (uint32_t)sqlite3_column_int64(s, 7);
		f->withdrawn = (uint32_t)sqlite3_column_int64(s, 8);
		if (f->segment == NULL) {
			r = ERR_ALLOC;
			break;
		}
	}
	sqlite3_reset(s);
	if (r != 0)
		return r;
	if (rc != SQLITE_DONE)
		return store_fail(st, "funnel");
	*out = arr;
	*n = count;
	return 0;
}

/* Escalation
 * ----------------------------------------------------------------*/

/*
 * Pending steps of open cycles that have waited longer than their cycle's
 * step limit (?3 seconds per hour; 72 hours when the policy says 0) and
 * were not escalated for this submission and step.
 */
static const char sql_cand_overdue[] =
    "SELECT c.id, c.chain, c.step, c.round, c.pending_since, "
    "cy.step_limit_hours FROM candidates c "
    "JOIN cycles cy ON cy.id = c.cycle_id "
    "WHERE c.state = ?1 AND cy.state = ?2 AND c.pending_since > 0 AND "
    "c.escalated_step <> c.round * 16 + c.step AND ?4 - c.pending_since > "
    "(CASE WHEN cy.step_limit_hours > 0 THEN cy.step_limit_hours "
    "ELSE 72 END) * ?3 ORDER BY c.pending_since, c.id";

static const char sql_cand_escalated[] =
    "UPDATE candidates SET escalated_step = ?2 WHERE id = ?1";

int
store_candidate_overdue(struct store *st, struct arena *a, int64_t now,
    int64_t hour_seconds, struct store_overdue **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_cand_overdue);
	struct store_overdue *arr = NULL, *o;
	size_t count = 0, cap = 0;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int(s, 1, TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING);
	sqlite3_bind_int(s, 2, TIER__CYCLE_STATE__CYCLE_STATE_OPEN);
	sqlite3_bind_int64(s, 3, hour_seconds);
	sqlite3_bind_int64(s, 4, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = store_cand_grow(
			 a, (void **)&arr, count, &cap, sizeof(*arr))) != 0)
			break;
		o = &arr[count++];
		o->id = sqlite3_column_int64(s, 0);
		o->chain = store_arena_text(a, s, 1);
		o->step = (uint32_t)sqlite3_column_int64(s, 2);
		o->round = (uint32_t)sqlite3_column_int64(s, 3);
		o->pending_since = sqlite3_column_int64(s, 4);
		o->limit_hours = (uint32_t)sqlite3_column_int64(s, 5);
		if (o->limit_hours == 0)
			o->limit_hours = 72;
		if (o->chain == NULL) {
			r = ERR_ALLOC;
			break;
		}
	}
	sqlite3_reset(s);
	if (r != 0)
		return r;
	if (rc != SQLITE_DONE)
		return store_fail(st, "overdue candidates");
	*out = arr;
	*n = count;
	return 0;
}

int
store_candidate_escalated(struct store *st, int64_t id, int64_t mark)
{
	sqlite3_stmt *s = store_sql(st, sql_cand_escalated);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, mark);
	if ((r = store_run(st, s, "candidate escalated")) != 0)
		return r;
	return store_changes(st) == 1 ? 0 : ERR_NOT_FOUND;
}
