/*
 * Queries on the visit card: the visits to customers, the targets whose
 * visits the revisit plan follows (customers with an approved candidate in
 * an open or closed cycle), the cycle's visit limit, and the record of the
 * overdue periods already announced.
 */
#include "store_db.h"

#include <string.h>

/* The columns store_visit_row reads; join is JOIN, or CROSS JOIN to make
 * SQLite read the visits first. */
#define VISIT_COLUMNS_JOIN(join)                                               \
	"v.id, v.customer_id, v.visit_date, v.visitor_id, v.received_by, "     \
	"v.content, v.progress, v.next_visit, v.created_by, v.created_at, "    \
	"cu.bu_id, cu.name, bu.name, COALESCE(vu.name, ''), "                  \
	"COALESCE(cb.name, '') FROM visits v " join " customers cu "           \
	"ON cu.id = v.customer_id "                                            \
	"JOIN units bu ON bu.id = cu.bu_id "                                   \
	"LEFT JOIN users vu ON vu.id = v.visitor_id "                          \
	"LEFT JOIN users cb ON cb.id = v.created_by "
#define VISIT_COLUMNS VISIT_COLUMNS_JOIN("JOIN")

static const char sql_visit_insert[] =
    "INSERT INTO visits (customer_id, visit_date, visitor_id, received_by, "
    "content, progress, next_visit, created_by, created_at) VALUES (?1, ?2, "
    "?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char sql_visit_get[] = "SELECT " VISIT_COLUMNS "WHERE v.id = ?1";
/*
 * The filter's other terms, newest first. A "(?1 = 0 OR column = ?1)" term
 * keeps SQLite from any index on the column, so one customer's visits (its
 * card, on every customer_get) are asked for with "=" and read through
 * visits_customer instead of scanning every visit, before the customer
 * and its BU are joined (CROSS JOIN keeps that order): a customer without
 * visits costs one index probe.
 */
#define VISIT_FILTER                                                           \
	"(?2 = 0 OR v.visitor_id = ?2) AND (?3 = '' OR v.visit_date >= ?3) "   \
	"AND (?4 = '' OR v.visit_date <= ?4) "                                 \
	"ORDER BY v.visit_date DESC, v.id DESC"
static const char sql_visit_each[] =
    "SELECT " VISIT_COLUMNS
    "WHERE (?1 = 0 OR v.customer_id = ?1) AND " VISIT_FILTER;
static const char sql_visit_each_customer[] = "SELECT " VISIT_COLUMNS_JOIN(
    "CROSS JOIN") "WHERE v.customer_id = ?1 AND " VISIT_FILTER;
static const char sql_visit_count[] =
    "SELECT count(*) FROM visits WHERE customer_id = ?1";

/*
 * One row per target: the approved candidate of the latest open or closed
 * cycle (by year, then candidate id) of each customer, with the customer's
 * latest visit and the alert already raised.
 */
static const char sql_visit_targets[] =
    "SELECT c.customer_id, cu.name, cu.bu_id, bu.name, "
    "COALESCE(c.owner_id, 0), COALESCE(u.name, ''), c.tier, c.cycle_id, "
    "cy.year, cy.visit_limit_days, c.updated_at, "
    "(SELECT max(v.visit_date) FROM visits v WHERE v.customer_id = "
    "c.customer_id), "
    "(SELECT v.next_visit FROM visits v WHERE v.customer_id = c.customer_id "
    "ORDER BY v.visit_date DESC, v.id DESC LIMIT 1), "
    "(SELECT a.last_visit FROM visit_alerts a WHERE a.customer_id = "
    "c.customer_id) "
    "FROM candidates c JOIN cycles cy ON cy.id = c.cycle_id "
    "JOIN customers cu ON cu.id = c.customer_id "
    "JOIN units bu ON bu.id = cu.bu_id "
    "LEFT JOIN users u ON u.id = c.owner_id "
    "WHERE c.state = ?1 AND cy.state IN (?2, ?3, ?4) AND NOT EXISTS ("
    "SELECT 1 FROM candidates c2 JOIN cycles cy2 ON cy2.id = c2.cycle_id "
    "WHERE c2.customer_id = c.customer_id AND c2.state = ?1 AND "
    "cy2.state IN (?2, ?3, ?4) AND (cy2.year > cy.year OR (cy2.year = cy.year "
    "AND c2.id > c.id))) "
    "ORDER BY c.customer_id";
static const char sql_visit_alerted[] =
    "INSERT INTO visit_alerts (customer_id, last_visit, raised_at) VALUES "
    "(?1, ?2, ?3) ON CONFLICT (customer_id) DO UPDATE SET last_visit = ?2, "
    "raised_at = ?3";
static const char sql_visit_limit_get[] =
    "SELECT visit_limit_days FROM cycles WHERE id = ?1";
static const char sql_visit_limit_set[] =
    "UPDATE cycles SET visit_limit_days = ?2 WHERE id = ?1";

#define VISIT_DEFAULT_LIMIT 90 /* days, when a cycle's policy says 0 */

/* Points v's strings at the row's columns: valid until the next step. */
static void
store_visit_row(sqlite3_stmt *s, struct store_visit *v)
{
	memset(v, 0, sizeof(*v));
	v->id = sqlite3_column_int64(s, 0);
	v->customer_id = sqlite3_column_int64(s, 1);
	v->visit_date = store_text(s, 2);
	v->visitor_id = sqlite3_column_int64(s, 3);
	v->received_by = store_text(s, 4);
	v->content = store_text(s, 5);
	v->progress = store_text(s, 6);
	v->next_visit = store_text(s, 7);
	v->created_by = sqlite3_column_int64(s, 8);
	v->created_at = sqlite3_column_int64(s, 9);
	v->bu_id = sqlite3_column_int64(s, 10);
	v->customer = store_text(s, 11);
	v->bu = store_text(s, 12);
	v->visitor = store_text(s, 13);
	v->creator = store_text(s, 14);
}

int
store_visit_insert(struct store *st, struct store_visit *v)
{
	sqlite3_stmt *s = store_sql(st, sql_visit_insert);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, v->customer_id);
	sqlite3_bind_text(s, 2, v->visit_date, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, v->visitor_id);
	sqlite3_bind_text(s, 4, v->received_by, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, v->content, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, v->progress, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, v->next_visit, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, v->created_by);
	sqlite3_bind_int64(s, 9, v->created_at);
	if ((r = store_run(st, s, "visit insert")) != 0)
		return r;
	v->id = store_last_id(st);
	return 0;
}

int
store_visit_get(
    struct store *st, struct arena *arena, int64_t id, struct store_visit *out)
{
	sqlite3_stmt *s = store_sql(st, sql_visit_get);
	const char **texts[] = { &out->visit_date, &out->received_by,
		&out->content, &out->progress, &out->next_visit, &out->customer,
		&out->bu, &out->visitor, &out->creator };
	size_t i;
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	if ((r = store_row(st, s, "visit lookup")) <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	store_visit_row(s, out);
	r = 0;
	for (i = 0; r == 0 && i < sizeof(texts) / sizeof(texts[0]); i++) {
		if ((*texts[i] = arena_strdup(arena, *texts[i])) == NULL)
			r = ERR_ALLOC;
	}
	sqlite3_reset(s);
	return r;
}

int
store_visit_each(struct store *st, const struct store_visit_filter *f,
    int (*fn)(const struct store_visit *v, void *arg), void *arg)
{
	sqlite3_stmt *s = store_sql(
	    st, f->customer_id != 0 ? sql_visit_each_customer : sql_visit_each);
	struct store_visit v;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, f->customer_id);
	sqlite3_bind_int64(s, 2, f->visitor_id);
	sqlite3_bind_text(
	    s, 3, f->from != NULL ? f->from : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, f->to != NULL ? f->to : "", -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_visit_row(s, &v);
		if ((r = fn(&v, arg)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(st, "visit list");
	sqlite3_reset(s);
	return r;
}

int
store_visit_count(struct store *st, int64_t customer_id, uint32_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_visit_count);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, customer_id);
	if ((r = store_row(st, s, "visit count")) < 0)
		return r;
	*n = r == 1 ? (uint32_t)sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return 0;
}

int
store_visit_targets(
    struct store *st, struct arena *arena, struct store_target **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_visit_targets);
	struct store_target *rows = NULL, *p, *t;
	size_t count = 0, cap = 0;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int(s, 1, TIER__CANDIDATE_STATE__CANDIDATE_STATE_APPROVED);
	sqlite3_bind_int(s, 2, TIER__CYCLE_STATE__CYCLE_STATE_OPEN);
	sqlite3_bind_int(s, 3, TIER__CYCLE_STATE__CYCLE_STATE_CLOSED);
	sqlite3_bind_int(s, 4, TIER__CYCLE_STATE__CYCLE_STATE_REVIEWED);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			/* The arena cannot grow a block: copy to a bigger one.
			 */
			cap = cap ? cap * 2 : 16;
			if ((p = arena_alloc(arena, cap * sizeof(*p))) ==
			    NULL) {
				r = ERR_ALLOC;
				goto out;
			}
			if (count > 0)
				memcpy(p, rows, count * sizeof(*p));
			rows = p;
		}
		t = &rows[count];
		memset(t, 0, sizeof(*t));
		t->customer_id = sqlite3_column_int64(s, 0);
		t->customer = store_arena_text(arena, s, 1);
		t->bu_id = sqlite3_column_int64(s, 2);
		t->bu = store_arena_text(arena, s, 3);
		t->owner_id = sqlite3_column_int64(s, 4);
		t->owner = store_arena_text(arena, s, 5);
		t->tier = (Tier__TierLevel)sqlite3_column_int(s, 6);
		t->cycle_id = sqlite3_column_int64(s, 7);
		t->year = (uint32_t)sqlite3_column_int64(s, 8);
		t->limit_days = (uint32_t)sqlite3_column_int64(s, 9);
		if (t->limit_days == 0)
			t->limit_days = VISIT_DEFAULT_LIMIT;
		t->approved_at = sqlite3_column_int64(s, 10);
		t->last_visit = store_arena_text(arena, s, 11);
		t->next_visit = store_arena_text(arena, s, 12);
		t->alerted = sqlite3_column_type(s, 13) != SQLITE_NULL;
		t->alerted_for = store_arena_text(arena, s, 13);
		if (t->customer == NULL || t->bu == NULL || t->owner == NULL ||
		    t->last_visit == NULL || t->next_visit == NULL ||
		    t->alerted_for == NULL) {
			r = ERR_ALLOC;
			goto out;
		}
		count++;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, "visit targets");
out:
	sqlite3_reset(s);
	if (r == 0) {
		*out = rows;
		*n = count;
	}
	return r;
}

int
store_visit_alerted(
    struct store *st, int64_t customer_id, const char *last_visit, int64_t now)
{
	sqlite3_stmt *s = store_sql(st, sql_visit_alerted);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, customer_id);
	sqlite3_bind_text(s, 2, last_visit, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now);
	return store_run(st, s, "visit alert");
}

int
store_visit_limit_get(struct store *st, int64_t cycle_id, uint32_t *days)
{
	sqlite3_stmt *s = store_sql(st, sql_visit_limit_get);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cycle_id);
	if ((r = store_row(st, s, "visit limit")) <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	*days = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

int
store_visit_limit_set(struct store *st, int64_t cycle_id, uint32_t days)
{
	sqlite3_stmt *s = store_sql(st, sql_visit_limit_set);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, cycle_id);
	sqlite3_bind_int64(s, 2, days);
	return store_run(st, s, "visit limit");
}
