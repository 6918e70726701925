/*
 * Ranks in memory. A candidate's rank in its segment (or in its cycle, the
 * BU's year) is one more than the number of ranked candidates there with a
 * higher score; ties share a rank, as SQL RANK() does. Scores run from 0 to
 * 100 in hundredths (cmd_candidate.c rounds them), so each segment of a
 * loaded cycle, and the cycle itself as segment 0, keeps a Fenwick tree of
 * its ranked candidates counted by score: a rank or a move costs about 14
 * steps, whatever the number of candidates.
 *
 * A cycle is read from the database the first time one of its ranks is
 * asked for, then kept in step by every change of a candidate's score,
 * state or segment (store_candidate_update) or forgotten after a change of
 * many (store_cycle.c). Inside a transaction each change is logged, and a
 * rollback to a savepoint, or of the whole transaction, undoes the changes
 * made since; undoing the load of a cycle forgets it, to be read again.
 * At most STORE_RANK_CYCLES cycles stay loaded (a segment's tree is 40
 * KiB): reading one more forgets the one asked about least recently, whose
 * logged changes, if any, the undo then skips.
 */
#include "store_db.h"

#include <stdlib.h>
#include <string.h>

#define RANK_SLOTS 10001 /* 0.00 to 100.00 */

/* One segment of a cycle, or the cycle itself (segment 0). */
struct rank_tree {
	int64_t segment_id;
	int32_t total;               /* ranked candidates */
	int32_t bit[RANK_SLOTS + 1]; /* Fenwick tree over slots, 1-based */
};

struct rank_cycle {
	int64_t cycle_id;
	struct rank_tree **trees; /* trees[0] is the cycle, segment 0 */
	size_t n, cap;
	struct rank_cycle *next;
};

/* A change to undo: a candidate counted (+1) or uncounted (-1) at a slot of
 * a segment and of its cycle, or (delta 0) a cycle read from the database. */
struct rank_undo {
	int64_t cycle_id;
	int64_t segment_id;
	int32_t slot;
	int32_t delta;
};

/* Room for one more element in a malloc'd array of n of cap. */
static int
rank_room(void **v, size_t n, size_t *cap, size_t size)
{
	size_t want = *cap ? *cap * 2 : 16;
	void *grown;

	if (n < *cap)
		return 0;
	if ((grown = realloc(*v, want * size)) == NULL)
		return ERR_ALLOC;
	*v = grown;
	*cap = want;
	return 0;
}

static int
rank_slot(double score)
{
	/* Hundredths, exactly: a stored score is k / 100.0. */
	double v = score * 100.0 + 0.5;

	return v < 1 ? 0 : v >= RANK_SLOTS ? RANK_SLOTS - 1 : (int)v;
}

static int
rank_counted(const struct store_candidate *c)
{
	return c->score_complete &&
	       c->state != TIER__CANDIDATE_STATE__CANDIDATE_STATE_REJECTED &&
	       c->state != TIER__CANDIDATE_STATE__CANDIDATE_STATE_WITHDRAWN;
}

static void
rank_tree_add(struct rank_tree *t, int slot, int32_t delta)
{
	int i;

	t->total += delta;
	for (i = slot + 1; i <= RANK_SLOTS; i += i & -i)
		t->bit[i] += delta;
}

/* Candidates of the tree with a score above slot's. */
static int32_t
rank_tree_above(const struct rank_tree *t, int slot)
{
	int32_t upto = 0;
	int i;

	for (i = slot + 1; i > 0; i -= i & -i)
		upto += t->bit[i];
	return t->total - upto;
}

/* A loaded cycle, moved to the front as the most recently asked about; or
 * NULL. */
static struct rank_cycle *
rank_cycle_find(struct store_ranks *rk, int64_t cycle_id)
{
	struct rank_cycle **p, *cy;

	for (p = &rk->cycles; (cy = *p) != NULL; p = &cy->next) {
		if (cy->cycle_id == cycle_id) {
			*p = cy->next;
			cy->next = rk->cycles;
			rk->cycles = cy;
			return cy;
		}
	}
	return NULL;
}

/* The tree of a segment, made empty when create is set and it has none. */
static struct rank_tree *
rank_tree_find(struct rank_cycle *cy, int64_t segment_id, int create)
{
	struct rank_tree *t;
	size_t i;

	for (i = 0; i < cy->n; i++)
		if (cy->trees[i]->segment_id == segment_id)
			return cy->trees[i];
	if (!create)
		return NULL;
	if (rank_room(
		(void **)&cy->trees, cy->n, &cy->cap, sizeof(*cy->trees)) != 0)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->segment_id = segment_id;
	cy->trees[cy->n++] = t;
	return t;
}

static void
rank_cycle_free(struct rank_cycle *cy)
{
	size_t i;

	for (i = 0; i < cy->n; i++)
		free(cy->trees[i]);
	free(cy->trees);
	free(cy);
}

/* Forgets a cycle; it is read again when next asked for. */
static void
rank_cycle_drop(struct store_ranks *rk, int64_t cycle_id)
{
	struct rank_cycle **p, *cy;

	for (p = &rk->cycles; (cy = *p) != NULL; p = &cy->next) {
		if (cy->cycle_id == cycle_id) {
			*p = cy->next;
			rank_cycle_free(cy);
			rk->ncycles--;
			return;
		}
	}
}

/* Counts (+1) or uncounts (-1) a score in its segment and its cycle. */
static int
rank_cycle_add(
    struct rank_cycle *cy, int64_t segment_id, int slot, int32_t delta)
{
	struct rank_tree *seg = rank_tree_find(cy, segment_id, 1);

	if (seg == NULL)
		return ERR_ALLOC;
	rank_tree_add(cy->trees[0], slot, delta);
	rank_tree_add(seg, slot, delta);
	return 0;
}

/* Appends to the undo log, inside a transaction only: outside, each
 * statement commits at once and there is nothing to undo. */
static int
rank_log(struct store *st, int64_t cycle_id, int64_t segment_id, int slot,
    int32_t delta)
{
	struct store_ranks *rk = store_rank_state(st);

	if (!store_writing(st))
		return 0;
	if (rank_room((void **)&rk->log, rk->nlog, &rk->caplog,
		sizeof(*rk->log)) != 0)
		return ERR_ALLOC;
	rk->log[rk->nlog].cycle_id = cycle_id;
	rk->log[rk->nlog].segment_id = segment_id;
	rk->log[rk->nlog].slot = slot;
	rk->log[rk->nlog].delta = delta;
	rk->nlog++;
	return 0;
}

static const char sql_rank_load[] =
    "SELECT segment_id, score FROM candidates WHERE cycle_id = ?1 AND "
    "score_complete AND state NOT IN (5, 6)";

/* The cycle's trees, read from the database on first use. */
static int
rank_cycle_get(struct store *st, int64_t cycle_id, struct rank_cycle **out)
{
	struct store_ranks *rk = store_rank_state(st);
	struct rank_cycle *cy, *last;
	sqlite3_stmt *s;
	int rc, r = 0;

	if ((*out = rank_cycle_find(rk, cycle_id)) != NULL)
		return 0;
	if ((cy = calloc(1, sizeof(*cy))) == NULL)
		return ERR_ALLOC;
	cy->cycle_id = cycle_id;
	if (rank_tree_find(cy, 0, 1) == NULL) {
		rank_cycle_free(cy);
		return ERR_ALLOC;
	}
	if ((s = store_sql(st, sql_rank_load)) == NULL) {
		rank_cycle_free(cy);
		return ERR_STORE;
	}
	sqlite3_bind_int64(s, 1, cycle_id);
	while (r == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		r = rank_cycle_add(cy, sqlite3_column_int64(s, 0),
		    rank_slot(sqlite3_column_double(s, 1)), 1);
	sqlite3_reset(s);
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(st, "candidate ranks");
	if (r == 0)
		r = rank_log(st, cycle_id, 0, 0, 0);
	if (r != 0) {
		rank_cycle_free(cy);
		return r;
	}
	cy->next = rk->cycles;
	rk->cycles = cy;
	rk->ncycles++;
	*out = cy;
	/* Too many: forget the one asked about least recently. */
	if (rk->ncycles > STORE_RANK_CYCLES) {
		for (last = rk->cycles; last->next != NULL; last = last->next)
			;
		rank_cycle_drop(rk, last->cycle_id);
	}
	return 0;
}

int
store_rank_get(struct store *st, struct store_candidate *c)
{
	struct rank_cycle *cy;
	struct rank_tree *seg;
	int slot, r;

	c->rank_segment = c->rank_bu = 0;
	if (!rank_counted(c))
		return 0;
	if ((r = rank_cycle_get(st, c->cycle_id, &cy)) != 0)
		return r;
	slot = rank_slot(c->score);
	/* The candidate counts itself: its tree exists. */
	if ((seg = rank_tree_find(cy, c->segment_id, 0)) != NULL)
		c->rank_segment = (uint32_t)(1 + rank_tree_above(seg, slot));
	c->rank_bu = (uint32_t)(1 + rank_tree_above(cy->trees[0], slot));
	return 0;
}

/* Uncounts or counts one candidate, logged. */
static int
rank_move(struct store *st, struct rank_cycle *cy,
    const struct store_candidate *c, int32_t delta)
{
	int slot = rank_slot(c->score), r;

	if ((r = rank_cycle_add(cy, c->segment_id, slot, delta)) != 0)
		return r;
	return rank_log(st, c->cycle_id, c->segment_id, slot, delta);
}

int
store_rank_moved(struct store *st, const struct store_candidate *old,
    const struct store_candidate *c)
{
	struct store_ranks *rk = store_rank_state(st);
	int was = rank_counted(old), is = rank_counted(c), r = 0;
	struct rank_cycle *cy;

	/* A candidate that keeps its place changes no rank. */
	if (was && is && old->cycle_id == c->cycle_id &&
	    old->segment_id == c->segment_id &&
	    rank_slot(old->score) == rank_slot(c->score))
		return 0;
	/* A cycle nobody has asked about is read as it is when someone does. */
	if (was && (cy = rank_cycle_find(rk, old->cycle_id)) != NULL)
		r = rank_move(st, cy, old, -1);
	if (r == 0 && is && (cy = rank_cycle_find(rk, c->cycle_id)) != NULL)
		r = rank_move(st, cy, c, 1);
	/* Half a move must not stay: read the cycle again when asked. */
	if (r != 0) {
		rank_cycle_drop(rk, old->cycle_id);
		rank_cycle_drop(rk, c->cycle_id);
	}
	return r;
}

void
store_rank_forget(struct store *st, int64_t cycle_id)
{
	rank_cycle_drop(store_rank_state(st), cycle_id);
}

int
store_rank_loaded(struct store *st, int64_t cycle_id)
{
	const struct rank_cycle *cy;

	/* A look that leaves the order alone. */
	for (cy = store_rank_state(st)->cycles; cy != NULL; cy = cy->next)
		if (cy->cycle_id == cycle_id)
			return 1;
	return 0;
}

/* Undoes the log back to entry mark. */
static void
rank_undo_to(struct store_ranks *rk, size_t mark)
{
	struct rank_undo *u;
	struct rank_cycle *cy;

	while (rk->nlog > mark) {
		u = &rk->log[--rk->nlog];
		if ((cy = rank_cycle_find(rk, u->cycle_id)) == NULL)
			continue; /* forgotten since: read again when asked */
		if (u->delta == 0)
			rank_cycle_drop(rk, u->cycle_id);
		else if (rank_cycle_add(
			     cy, u->segment_id, u->slot, -u->delta) != 0)
			rank_cycle_drop(rk, u->cycle_id);
	}
}

int
store_rank_savepoint(struct store *st)
{
	struct store_ranks *rk = store_rank_state(st);

	if (rank_room((void **)&rk->marks, rk->nmarks, &rk->capmarks,
		sizeof(*rk->marks)) != 0)
		return ERR_ALLOC;
	rk->marks[rk->nmarks++] = rk->nlog;
	return 0;
}

void
store_rank_release(struct store *st)
{
	struct store_ranks *rk = store_rank_state(st);

	if (rk->nmarks > 0)
		rk->nmarks--;
}

void
store_rank_rollback_to(struct store *st)
{
	struct store_ranks *rk = store_rank_state(st);

	if (rk->nmarks > 0)
		rank_undo_to(rk, rk->marks[--rk->nmarks]);
}

void
store_rank_end(struct store *st, int committed)
{
	struct store_ranks *rk = store_rank_state(st);

	if (!committed)
		rank_undo_to(rk, 0);
	rk->nlog = 0;
	rk->nmarks = 0;
}

void
store_rank_free(struct store_ranks *rk)
{
	struct rank_cycle *cy;

	while ((cy = rk->cycles) != NULL) {
		rk->cycles = cy->next;
		rank_cycle_free(cy);
	}
	free(rk->log);
	free(rk->marks);
	memset(rk, 0, sizeof(*rk));
}
