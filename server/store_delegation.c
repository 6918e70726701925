/*
 * Queries on delegations: an approver's permission for a deputy to decide
 * approval steps in the approver's place during a period.
 */
#include "store_db.h"

#include <stdlib.h>
#include <string.h>

#define DELEGATION_COLUMNS                                                     \
	"id, approver_id, deputy_id, starts_at, ends_at, created_at"

static const char sql_delegation_insert[] =
    "INSERT INTO delegations (approver_id, deputy_id, starts_at, ends_at, "
    "created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_delegation_list[] =
    "SELECT " DELEGATION_COLUMNS " FROM delegations WHERE ?1 = 0 OR "
    "approver_id = ?1 OR deputy_id = ?1 ORDER BY starts_at, id";
static const char sql_delegation_active[] =
    "SELECT " DELEGATION_COLUMNS " FROM delegations WHERE deputy_id = ?1 "
    "AND starts_at <= ?2 AND ends_at > ?2 ORDER BY approver_id, id";

int
store_delegation_insert(struct store *st, struct store_delegation *d)
{
	sqlite3_stmt *s = store_sql(st, sql_delegation_insert);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, d->approver_id);
	sqlite3_bind_int64(s, 2, d->deputy_id);
	sqlite3_bind_int64(s, 3, d->starts_at);
	sqlite3_bind_int64(s, 4, d->ends_at);
	sqlite3_bind_int64(s, 5, d->created_at);
	if ((r = store_run(st, s, "delegation insert")) != 0)
		return r;
	d->id = store_last_id(st);
	return 0;
}

/* Collects the rows of a bound statement into a malloc'd array. */
static int
store_delegation_rows(
    struct store *st, sqlite3_stmt *s, struct store_delegation **out, size_t *n)
{
	struct store_delegation *rows = NULL, *p, *d;
	size_t count = 0, cap = 0;
	int rc, r = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			if ((p = reallocarray(rows, cap, sizeof(*p))) == NULL) {
				r = ERR_ALLOC;
				goto out;
			}
			rows = p;
		}
		d = &rows[count++];
		d->id = sqlite3_column_int64(s, 0);
		d->approver_id = sqlite3_column_int64(s, 1);
		d->deputy_id = sqlite3_column_int64(s, 2);
		d->starts_at = sqlite3_column_int64(s, 3);
		d->ends_at = sqlite3_column_int64(s, 4);
		d->created_at = sqlite3_column_int64(s, 5);
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, "delegation list");
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
store_delegation_list(
    struct store *st, int64_t user_id, struct store_delegation **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_delegation_list);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, user_id);
	return store_delegation_rows(st, s, out, n);
}

int
store_delegation_active(struct store *st, int64_t deputy_id, int64_t now,
    struct store_delegation **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_delegation_active);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, deputy_id);
	sqlite3_bind_int64(s, 2, now);
	return store_delegation_rows(st, s, out, n);
}
