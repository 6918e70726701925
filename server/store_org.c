/*
 * Queries on the organisation: business groups, business units and market
 * segments, the units every scope and every workflow record refers to.
 */
#include "store_db.h"

#include <stdlib.h>
#include <string.h>

#define UNIT_COLUMNS "id, kind, name, coalesce(parent_id, 0)"

static const char sql_unit_all[] =
    "SELECT " UNIT_COLUMNS " FROM units ORDER BY kind, name";
static const char sql_unit_by_name[] =
    "SELECT " UNIT_COLUMNS " FROM units WHERE kind = ?1 AND name = ?2";
static const char sql_unit_by_id[] =
    "SELECT " UNIT_COLUMNS " FROM units WHERE id = ?1";
static const char sql_unit_insert[] =
    "INSERT INTO units (kind, name, parent_id, created_at) "
    "VALUES (?1, ?2, nullif(?3, 0), ?4)";

static void
store_row_unit(sqlite3_stmt *s, struct store_unit *u)
{
	memset(u, 0, sizeof(*u));
	u->id = sqlite3_column_int64(s, 0);
	u->kind = (Tier__UnitKind)sqlite3_column_int(s, 1);
	store_copy_text(u->name, sizeof(u->name), s, 2);
	u->parent_id = sqlite3_column_int64(s, 3);
}

int
store_unit_all(struct store *st, struct store_unit **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_unit_all);
	struct store_unit *units = NULL, *p;
	size_t count = 0, cap = 0;
	int rc;

	if (s == NULL)
		return ERR_STORE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			p = reallocarray(units, cap, sizeof(*units));
			if (p == NULL) {
				sqlite3_reset(s);
				free(units);
				return ERR_ALLOC;
			}
			units = p;
		}
		store_row_unit(s, &units[count++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(units);
		return store_fail(st, "unit list");
	}
	*out = units;
	*n = count;
	return 0;
}

/* Reads the one row of a unit lookup. */
static int
store_unit_one(struct store *st, sqlite3_stmt *s, struct store_unit *out)
{
	int r = store_row(st, s, "unit lookup");

	if (r <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	store_row_unit(s, out);
	sqlite3_reset(s);
	return 0;
}

int
store_unit_by_name(struct store *st, Tier__UnitKind kind, const char *name,
    struct store_unit *out)
{
	sqlite3_stmt *s = store_sql(st, sql_unit_by_name);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int(s, 1, (int)kind);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	return store_unit_one(st, s, out);
}

int
store_unit_get(struct store *st, int64_t id, struct store_unit *out)
{
	sqlite3_stmt *s = store_sql(st, sql_unit_by_id);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	return store_unit_one(st, s, out);
}

int
store_unit_insert(struct store *st, struct store_unit *u, int64_t now)
{
	sqlite3_stmt *s = store_sql(st, sql_unit_insert);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int(s, 1, (int)u->kind);
	sqlite3_bind_text(s, 2, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, u->parent_id);
	sqlite3_bind_int64(s, 4, now);
	if ((r = store_run(st, s, "unit insert")) != 0)
		return r;
	u->id = store_last_id(st);
	return 0;
}
