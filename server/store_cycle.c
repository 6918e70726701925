/*
 * Queries on cycles: the cycle rows with their policy, the segment quotas,
 * the criteria sets of every version, and the bulk marking of a cycle's
 * undecided candidates when its criteria change. Approval chains are stored
 * as comma-separated Role numbers ("2,1").
 */
#include "store_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CYCLE_COLUMNS                                                          \
	"id, bu_id, year, state, min_score, cut_strategic, cut_key, "          \
	"chain_general, chain_key, chain_strategic, step_limit_hours, "        \
	"criteria_version, coalesce(derived_from, 0), derive_reason, "         \
	"version, updated_by, updated_at"

static const char sql_cycle_get[] =
    "SELECT " CYCLE_COLUMNS " FROM cycles WHERE id = ?1";
static const char sql_cycle_by_year[] =
    "SELECT " CYCLE_COLUMNS " FROM cycles WHERE bu_id = ?1 AND year = ?2";
static const char sql_cycle_list[] =
    "SELECT " CYCLE_COLUMNS " FROM cycles WHERE ?1 = 0 OR bu_id = ?1 "
    "ORDER BY year DESC, bu_id, id";
static const char sql_cycle_insert[] =
    "INSERT INTO cycles (bu_id, year, state, min_score, cut_strategic, "
    "cut_key, chain_general, chain_key, chain_strategic, step_limit_hours, "
    "criteria_version, derived_from, derive_reason, version, updated_by, "
    "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
    "nullif(?12, 0), ?13, 1, ?14, ?15)";
static const char sql_cycle_update[] =
    "UPDATE cycles SET state = ?2, min_score = ?3, cut_strategic = ?4, "
    "cut_key = ?5, chain_general = ?6, chain_key = ?7, chain_strategic = ?8, "
    "step_limit_hours = ?9, criteria_version = ?10, version = ?11, "
    "updated_by = ?12, updated_at = ?13 WHERE id = ?1 AND version = ?11 - 1";

static const char sql_quotas[] =
    "SELECT u.id, u.name, coalesce(q.quota, 0), "
    "(SELECT count(*) FROM candidates c WHERE c.cycle_id = ?1 AND "
    "c.segment_id = u.id), "
    "(SELECT count(*) FROM candidates c WHERE c.cycle_id = ?1 AND "
    "c.segment_id = u.id AND c.state = ?3) "
    "FROM units u LEFT JOIN quotas q ON q.cycle_id = ?1 AND "
    "q.segment_id = u.id WHERE u.kind = ?4 AND u.parent_id = ?2 "
    "ORDER BY u.name";
static const char sql_quota_set[] =
    "INSERT INTO quotas (cycle_id, segment_id, quota) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (cycle_id, segment_id) DO UPDATE SET quota = excluded.quota";

static const char sql_criteria_set_get[] =
    "SELECT id, version, reason, changes, frozen, created_by, created_at "
    "FROM criteria_sets WHERE cycle_id = ?1 AND version = ?2";
static const char sql_criteria_set_all[] =
    "SELECT id, version, reason, changes, frozen, created_by, created_at "
    "FROM criteria_sets WHERE cycle_id = ?1 ORDER BY version";
static const char sql_criteria_rows[] =
    "SELECT name, description, scale_min, scale_max, weight FROM criteria "
    "WHERE set_id = ?1 ORDER BY position";
static const char sql_criteria_set_find[] =
    "SELECT id, frozen FROM criteria_sets WHERE cycle_id = ?1 AND "
    "version = ?2";
static const char sql_criteria_set_insert[] =
    "INSERT INTO criteria_sets (cycle_id, version, reason, changes, frozen, "
    "created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_criteria_set_replace[] =
    "UPDATE criteria_sets SET reason = ?2, changes = ?3, frozen = ?4, "
    "created_by = ?5, created_at = ?6 WHERE id = ?1";
static const char sql_criteria_delete[] =
    "DELETE FROM criteria WHERE set_id = ?1";
static const char sql_criterion_insert[] =
    "INSERT INTO criteria (set_id, position, name, description, scale_min, "
    "scale_max, weight) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_criteria_freeze[] =
    "UPDATE criteria_sets SET frozen = 1 WHERE cycle_id = ?1 AND version = ?2";

static const char sql_count_state[] =
    "SELECT count(*) FROM candidates WHERE cycle_id = ?1 AND state = ?2";
static const char sql_rescore_targets[] =
    "SELECT id, state, step, pending_since, score_complete, needs_rescore, "
    "version FROM candidates WHERE cycle_id = ?1 AND (state IN (?2, ?3) OR "
    "(state = ?4 AND score_complete != 0)) ORDER BY id";
static const char sql_rescore_mark[] =
    "UPDATE candidates SET state = ?2, needs_rescore = 1, score_complete = 0, "
    "score = 0, suggested_tier = 0, step = 0, pending_since = 0, version = "
    "version + 1, updated_by = ?4, "
    "updated_at = ?5 WHERE cycle_id = ?1 AND state IN (?2, ?3)";
static const char sql_rescore_proposed[] =
    "UPDATE candidates SET score_complete = 0, score = 0, suggested_tier = 0, "
    "version = version + 1, "
    "updated_by = ?3, updated_at = ?4 WHERE cycle_id = ?1 AND state = ?2 "
    "AND score_complete != 0";

/* Chains
 * ---------------------------------------------------------------------*/

/* "2,1" -> {bu_vp, bg_vp}. Unreadable text gives an empty chain. */
static void
store_chain_parse(const char *text, struct store_chain *out)
{
	const char *p = text;
	char *end;
	long v;

	memset(out, 0, sizeof(*out));
	while (*p != '\0' && out->n < STORE_CHAIN_MAX) {
		v = strtol(p, &end, 10);
		if (end == p)
			break;
		out->steps[out->n++] = (Tier__Role)v;
		p = *end == ',' ? end + 1 : end;
	}
}

static void
store_chain_format(const struct store_chain *c, char *out, size_t len)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < c->n && i < STORE_CHAIN_MAX && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%d",
		    i ? "," : "", (int)c->steps[i]);
}

/* Cycles
 * ---------------------------------------------------------------------*/

static void
store_row_cycle(sqlite3_stmt *s, struct store_cycle *c)
{
	char text[64];

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(s, 0);
	c->bu_id = sqlite3_column_int64(s, 1);
	c->year = (uint32_t)sqlite3_column_int64(s, 2);
	c->state = (Tier__CycleState)sqlite3_column_int(s, 3);
	c->min_score = sqlite3_column_double(s, 4);
	c->cut_strategic = sqlite3_column_double(s, 5);
	c->cut_key = sqlite3_column_double(s, 6);
	store_copy_text(text, sizeof(text), s, 7);
	store_chain_parse(
	    text, &c->chains[TIER__TIER_LEVEL__TIER_LEVEL_GENERAL]);
	store_copy_text(text, sizeof(text), s, 8);
	store_chain_parse(text, &c->chains[TIER__TIER_LEVEL__TIER_LEVEL_KEY]);
	store_copy_text(text, sizeof(text), s, 9);
	store_chain_parse(
	    text, &c->chains[TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC]);
	c->step_limit_hours = (uint32_t)sqlite3_column_int64(s, 10);
	c->criteria_version = (uint32_t)sqlite3_column_int64(s, 11);
	c->derived_from = sqlite3_column_int64(s, 12);
	store_copy_text(c->derive_reason, sizeof(c->derive_reason), s, 13);
	c->version = sqlite3_column_int64(s, 14);
	c->updated_by = sqlite3_column_int64(s, 15);
	c->updated_at = sqlite3_column_int64(s, 16);
}

static int
store_cycle_one(struct store *st, sqlite3_stmt *s, struct store_cycle *out)
{
	int r = store_row(st, s, "cycle lookup");

	if (r <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	store_row_cycle(s, out);
	sqlite3_reset(s);
	return 0;
}

int
store_cycle_get(struct store *st, int64_t id, struct store_cycle *out)
{
	sqlite3_stmt *s = store_sql(st, sql_cycle_get);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	return store_cycle_one(st, s, out);
}

int
store_cycle_by_year(
    struct store *st, int64_t bu_id, uint32_t year, struct store_cycle *out)
{
	sqlite3_stmt *s = store_sql(st, sql_cycle_by_year);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, bu_id);
	sqlite3_bind_int64(s, 2, year);
	return store_cycle_one(st, s, out);
}

/* Binds the three chains as text at columns first, first+1, first+2. */
static void
store_bind_chains(sqlite3_stmt *s, int first, const struct store_cycle *c)
{
	static const Tier__TierLevel order[] = {
		TIER__TIER_LEVEL__TIER_LEVEL_GENERAL,
		TIER__TIER_LEVEL__TIER_LEVEL_KEY,
		TIER__TIER_LEVEL__TIER_LEVEL_STRATEGIC,
	};
	char text[64];
	size_t i;

	for (i = 0; i < 3; i++) {
		store_chain_format(&c->chains[order[i]], text, sizeof(text));
		sqlite3_bind_text(
		    s, first + (int)i, text, -1, SQLITE_TRANSIENT);
	}
}

int
store_cycle_insert(struct store *st, struct store_cycle *c)
{
	sqlite3_stmt *s = store_sql(st, sql_cycle_insert);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, c->bu_id);
	sqlite3_bind_int64(s, 2, c->year);
	sqlite3_bind_int(s, 3, (int)c->state);
	sqlite3_bind_double(s, 4, c->min_score);
	sqlite3_bind_double(s, 5, c->cut_strategic);
	sqlite3_bind_double(s, 6, c->cut_key);
	store_bind_chains(s, 7, c);
	sqlite3_bind_int64(s, 10, c->step_limit_hours);
	sqlite3_bind_int64(s, 11, c->criteria_version);
	sqlite3_bind_int64(s, 12, c->derived_from);
	sqlite3_bind_text(s, 13, c->derive_reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 14, c->updated_by);
	sqlite3_bind_int64(s, 15, c->updated_at);
	if ((r = store_run(st, s, "cycle insert")) != 0)
		return r;
	c->id = store_last_id(st);
	c->version = 1;
	return 0;
}

int
store_cycle_update(struct store *st, const struct store_cycle *c)
{
	sqlite3_stmt *s = store_sql(st, sql_cycle_update);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, c->id);
	sqlite3_bind_int(s, 2, (int)c->state);
	sqlite3_bind_double(s, 3, c->min_score);
	sqlite3_bind_double(s, 4, c->cut_strategic);
	sqlite3_bind_double(s, 5, c->cut_key);
	store_bind_chains(s, 6, c);
	sqlite3_bind_int64(s, 9, c->step_limit_hours);
	sqlite3_bind_int64(s, 10, c->criteria_version);
	sqlite3_bind_int64(s, 11, c->version);
	sqlite3_bind_int64(s, 12, c->updated_by);
	sqlite3_bind_int64(s, 13, c->updated_at);
	if ((r = store_run(st, s, "cycle update")) != 0)
		return r;
	return store_changes(st) == 1 ? 0 : ERR_CONFLICT;
}

int
store_cycle_list(
    struct store *st, int64_t bu_id, struct store_cycle **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_cycle_list);
	struct store_cycle *cycles = NULL, *p;
	size_t count = 0, cap = 0;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, bu_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = reallocarray(cycles, cap, sizeof(*p))) ==
			    NULL) {
				r = ERR_ALLOC;
				goto out;
			}
			cycles = p;
		}
		store_row_cycle(s, &cycles[count++]);
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, "cycle list");
out:
	sqlite3_reset(s);
	if (r != 0) {
		free(cycles);
		return r;
	}
	*out = cycles;
	*n = count;
	return 0;
}

int
store_cycle_quotas(struct store *st, const struct store_cycle *c,
    struct store_quota **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_quotas);
	struct store_quota *quotas = NULL, *p, *q;
	size_t count = 0, cap = 0;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, c->id);
	sqlite3_bind_int64(s, 2, c->bu_id);
	sqlite3_bind_int(s, 3, TIER__CANDIDATE_STATE__CANDIDATE_STATE_APPROVED);
	sqlite3_bind_int(s, 4, TIER__UNIT_KIND__UNIT_KIND_SEGMENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = reallocarray(quotas, cap, sizeof(*p))) ==
			    NULL) {
				r = ERR_ALLOC;
				goto out;
			}
			quotas = p;
		}
		q = &quotas[count++];
		memset(q, 0, sizeof(*q));
		q->segment_id = sqlite3_column_int64(s, 0);
		store_copy_text(q->segment, sizeof(q->segment), s, 1);
		q->quota = (uint32_t)sqlite3_column_int64(s, 2);
		q->proposed = (uint32_t)sqlite3_column_int64(s, 3);
		q->approved = (uint32_t)sqlite3_column_int64(s, 4);
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, "quota list");
out:
	sqlite3_reset(s);
	if (r != 0) {
		free(quotas);
		return r;
	}
	*out = quotas;
	*n = count;
	return 0;
}

int
store_cycle_quota_set(
    struct store *st, int64_t cycle_id, int64_t segment_id, uint32_t quota)
{
	sqlite3_stmt *s = store_sql(st, sql_quota_set);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cycle_id);
	sqlite3_bind_int64(s, 2, segment_id);
	sqlite3_bind_int64(s, 3, quota);
	return store_run(st, s, "quota set");
}

int
store_cycle_count_state(
    struct store *st, int64_t cycle_id, Tier__CandidateState state, uint64_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_count_state);
	int r;

	*n = 0;
	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cycle_id);
	sqlite3_bind_int(s, 2, (int)state);
	if ((r = store_row(st, s, "candidate count")) <= 0)
		return r;
	*n = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

/* Criteria
 * -------------------------------------------------------------------*/

/* Reads the set row at s's current row (header only). */
static int
store_row_criteria(struct arena *a, sqlite3_stmt *s, int64_t cycle_id,
    struct store_criteria *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(s, 0);
	out->cycle_id = cycle_id;
	out->version = (uint32_t)sqlite3_column_int64(s, 1);
	out->reason = store_arena_text(a, s, 2);
	out->changes = store_arena_text(a, s, 3);
	out->frozen = sqlite3_column_int(s, 4) != 0;
	out->created_by = sqlite3_column_int64(s, 5);
	out->created_at = sqlite3_column_int64(s, 6);
	return out->reason != NULL && out->changes != NULL ? 0 : ERR_ALLOC;
}

/* Fills c->criteria from the criteria rows of set c->id. */
static int
store_criteria_rows(struct store *st, struct arena *a, struct store_criteria *c)
{
	sqlite3_stmt *s = store_sql(st, sql_criteria_rows);
	struct store_criterion *rows = NULL, *p, *k;
	size_t count = 0, cap = 0;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, c->id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			/* The arena cannot grow a block: copy to a bigger one.
			 */
			cap = cap ? cap * 2 : 16;
			if ((p = arena_alloc(a, cap * sizeof(*p))) == NULL) {
				r = ERR_ALLOC;
				goto out;
			}
			if (count > 0)
				memcpy(p, rows, count * sizeof(*p));
			rows = p;
		}
		k = &rows[count++];
		k->name = store_arena_text(a, s, 0);
		k->description = store_arena_text(a, s, 1);
		k->scale_min = (uint32_t)sqlite3_column_int64(s, 2);
		k->scale_max = (uint32_t)sqlite3_column_int64(s, 3);
		k->weight = (uint32_t)sqlite3_column_int64(s, 4);
		if (k->name == NULL || k->description == NULL) {
			r = ERR_ALLOC;
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, "criteria read");
out:
	sqlite3_reset(s);
	if (r == 0) {
		c->criteria = rows;
		c->n = count;
	}
	return r;
}

int
store_criteria_get(struct store *st, struct arena *arena, int64_t cycle_id,
    uint32_t version, struct store_criteria *out)
{
	sqlite3_stmt *s = store_sql(st, sql_criteria_set_get);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cycle_id);
	sqlite3_bind_int64(s, 2, version);
	if ((r = store_row(st, s, "criteria set lookup")) <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	r = store_row_criteria(arena, s, cycle_id, out);
	sqlite3_reset(s);
	if (r != 0)
		return r;
	return store_criteria_rows(st, arena, out);
}

int
store_criteria_all(struct store *st, struct arena *arena, int64_t cycle_id,
    struct store_criteria **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_criteria_set_all);
	struct store_criteria *sets = NULL, *p;
	size_t count = 0, cap = 0, i;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cycle_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			if ((p = arena_alloc(arena, cap * sizeof(*p))) ==
			    NULL) {
				r = ERR_ALLOC;
				goto out;
			}
			if (count > 0)
				memcpy(p, sets, count * sizeof(*p));
			sets = p;
		}
		if ((r = store_row_criteria(
			 arena, s, cycle_id, &sets[count++])) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, "criteria list");
out:
	sqlite3_reset(s);
	/* The criteria rows use another statement: read them afterwards. */
	for (i = 0; r == 0 && i < count; i++)
		r = store_criteria_rows(st, arena, &sets[i]);
	if (r == 0) {
		*out = sets;
		*n = count;
	}
	return r;
}

int
store_criteria_put(struct store *st, struct store_criteria *c)
{
	sqlite3_stmt *s = store_sql(st, sql_criteria_set_find);
	int64_t id = 0;
	size_t i;
	int r, frozen = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, c->cycle_id);
	sqlite3_bind_int64(s, 2, c->version);
	if ((r = store_row(st, s, "criteria set lookup")) < 0)
		return r;
	if (r == 1) {
		id = sqlite3_column_int64(s, 0);
		frozen = sqlite3_column_int(s, 1);
		sqlite3_reset(s);
	}
	if (frozen)
		return ERR_EXISTS;
	if (id != 0) {
		if ((s = store_sql(st, sql_criteria_set_replace)) == NULL)
			return ERR_STORE;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_text(s, 2, c->reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, c->changes, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 4, c->frozen);
		sqlite3_bind_int64(s, 5, c->created_by);
		sqlite3_bind_int64(s, 6, c->created_at);
		if ((r = store_run(st, s, "criteria set replace")) != 0)
			return r;
		if ((s = store_sql(st, sql_criteria_delete)) == NULL)
			return ERR_STORE;
		sqlite3_bind_int64(s, 1, id);
		if ((r = store_run(st, s, "criteria delete")) != 0)
			return r;
	} else {
		if ((s = store_sql(st, sql_criteria_set_insert)) == NULL)
			return ERR_STORE;
		sqlite3_bind_int64(s, 1, c->cycle_id);
		sqlite3_bind_int64(s, 2, c->version);
		sqlite3_bind_text(s, 3, c->reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, c->changes, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 5, c->frozen);
		sqlite3_bind_int64(s, 6, c->created_by);
		sqlite3_bind_int64(s, 7, c->created_at);
		if ((r = store_run(st, s, "criteria set insert")) != 0)
			return r;
		id = store_last_id(st);
	}
	for (i = 0; i < c->n; i++) {
		const struct store_criterion *k = &c->criteria[i];

		if ((s = store_sql(st, sql_criterion_insert)) == NULL)
			return ERR_STORE;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, (int64_t)i);
		sqlite3_bind_text(s, 3, k->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, k->description, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, k->scale_min);
		sqlite3_bind_int64(s, 6, k->scale_max);
		sqlite3_bind_int64(s, 7, k->weight);
		if ((r = store_run(st, s, "criterion insert")) != 0)
			return r;
	}
	c->id = id;
	return 0;
}

int
store_criteria_freeze(struct store *st, int64_t cycle_id, uint32_t version)
{
	sqlite3_stmt *s = store_sql(st, sql_criteria_freeze);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cycle_id);
	sqlite3_bind_int64(s, 2, version);
	return store_run(st, s, "criteria freeze");
}

/* Rescoring
 * ------------------------------------------------------------------*/

int
store_cycle_rescore_targets(
    struct store *st, int64_t cycle_id, struct store_rescore **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_rescore_targets);
	struct store_rescore *rows = NULL, *p, *k;
	size_t count = 0, cap = 0;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cycle_id);
	sqlite3_bind_int(s, 2, TIER__CANDIDATE_STATE__CANDIDATE_STATE_SCORED);
	sqlite3_bind_int(s, 3, TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING);
	sqlite3_bind_int(s, 4, TIER__CANDIDATE_STATE__CANDIDATE_STATE_PROPOSED);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = reallocarray(rows, cap, sizeof(*p))) == NULL) {
				r = ERR_ALLOC;
				goto out;
			}
			rows = p;
		}
		k = &rows[count++];
		k->id = sqlite3_column_int64(s, 0);
		k->state = (Tier__CandidateState)sqlite3_column_int(s, 1);
		k->step = (uint32_t)sqlite3_column_int64(s, 2);
		k->pending_since = sqlite3_column_int64(s, 3);
		k->score_complete = sqlite3_column_int(s, 4) != 0;
		k->needs_rescore = sqlite3_column_int(s, 5) != 0;
		k->version = sqlite3_column_int64(s, 6);
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, "rescore list");
out:
	sqlite3_reset(s);
	if (r != 0) {
		free(rows);
		return r;
	}
	*out = rows;
	*n = count;
	return 0;
}

int
store_cycle_rescore_mark(
    struct store *st, int64_t cycle_id, int64_t user_id, int64_t now)
{
	sqlite3_stmt *s = store_sql(st, sql_rescore_mark);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cycle_id);
	sqlite3_bind_int(s, 2, TIER__CANDIDATE_STATE__CANDIDATE_STATE_SCORED);
	sqlite3_bind_int(s, 3, TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING);
	sqlite3_bind_int64(s, 4, user_id);
	sqlite3_bind_int64(s, 5, now);
	if ((r = store_run(st, s, "rescore mark")) != 0)
		return r;
	if ((s = store_sql(st, sql_rescore_proposed)) == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cycle_id);
	sqlite3_bind_int(s, 2, TIER__CANDIDATE_STATE__CANDIDATE_STATE_PROPOSED);
	sqlite3_bind_int64(s, 3, user_id);
	sqlite3_bind_int64(s, 4, now);
	if ((r = store_run(st, s, "rescore proposed")) != 0)
		return r;
	/* Many candidates left the ranking: the cycle is read again. */
	store_rank_forget(st, cycle_id);
	return 0;
}
