/*
 * Queries on the organisation: business groups, business units and market
 * segments, the units every scope and every workflow record refers to.
 * They are read once and served from memory (struct store_units) until a
 * unit is added or a transaction rolled back.
 */
#include "store_db.h"

#include <stdlib.h>
#include <string.h>

#define UNIT_COLUMNS "id, kind, name, coalesce(parent_id, 0)"

static const char sql_unit_all[] =
    "SELECT " UNIT_COLUMNS " FROM units ORDER BY kind, name";
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

/* Reads every unit into the cache, unless it is valid. */
static int
store_units_load(struct store *st, struct store_units **out)
{
	struct store_units *c = store_units(st);
	sqlite3_stmt *s;
	struct store_unit *p;
	size_t cap = 0;
	int rc;

	*out = c;
	if (c->valid)
		return 0;
	if ((s = store_sql(st, sql_unit_all)) == NULL)
		return ERR_STORE;
	c->n = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (c->n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = reallocarray(c->v, cap, sizeof(*p))) == NULL) {
				sqlite3_reset(s);
				return ERR_ALLOC;
			}
			c->v = p;
		}
		store_row_unit(s, &c->v[c->n++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, "unit list");
	c->valid = 1;
	return 0;
}

int
store_unit_view(struct store *st, const struct store_unit **out, size_t *n)
{
	struct store_units *c;
	int r;

	if ((r = store_units_load(st, &c)) != 0)
		return r;
	*out = c->v;
	*n = c->n;
	return 0;
}

int
store_unit_all(struct store *st, struct store_unit **out, size_t *n)
{
	const struct store_unit *v;
	int r;

	if ((r = store_unit_view(st, &v, n)) != 0)
		return r;
	if ((*out = calloc(*n + 1, sizeof(**out))) == NULL)
		return ERR_ALLOC;
	if (*n > 0)
		memcpy(*out, v, *n * sizeof(**out));
	return 0;
}

/* The cached unit with id, or (name not NULL) of kind with name. */
static int
store_unit_find(struct store *st, int64_t id, Tier__UnitKind kind,
    const char *name, struct store_unit *out)
{
	struct store_units *c;
	size_t i;
	int r;

	if ((r = store_units_load(st, &c)) != 0)
		return r;
	for (i = 0; i < c->n; i++) {
		if (name != NULL ? c->v[i].kind == kind &&
				       strcmp(c->v[i].name, name) == 0
				 : c->v[i].id == id) {
			*out = c->v[i];
			return 0;
		}
	}
	return ERR_NOT_FOUND;
}

int
store_unit_by_name(struct store *st, Tier__UnitKind kind, const char *name,
    struct store_unit *out)
{
	return store_unit_find(st, 0, kind, name, out);
}

int
store_unit_get(struct store *st, int64_t id, struct store_unit *out)
{
	return store_unit_find(st, id, 0, NULL, out);
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
	store_units(st)->valid = 0;
	if ((r = store_run(st, s, "unit insert")) != 0)
		return r;
	u->id = store_last_id(st);
	return 0;
}
