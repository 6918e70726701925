/*
 * Queries on the complaint card: the complaints of customers, opened and
 * resolved once, with the names a listing shows joined in.
 */
#include "store_db.h"

#include <string.h>

/* The columns store_complaint_row reads; join as in store_visit.c. */
#define COMPLAINT_COLUMNS_JOIN(join)                                           \
	"k.id, k.customer_id, k.opened_on, k.category, k.description, "        \
	"k.handling, k.resolution, k.state, k.opened_by, k.created_at, "       \
	"COALESCE(k.resolved_by, 0), k.resolved_at, cu.bu_id, cu.name, "       \
	"bu.name, COALESCE(ou.name, ''), COALESCE(ru.name, '') "               \
	"FROM complaints k " join " customers cu ON cu.id = k.customer_id "    \
	"JOIN units bu ON bu.id = cu.bu_id "                                   \
	"LEFT JOIN users ou ON ou.id = k.opened_by "                           \
	"LEFT JOIN users ru ON ru.id = k.resolved_by "
#define COMPLAINT_COLUMNS COMPLAINT_COLUMNS_JOIN("JOIN")

static const char sql_complaint_insert[] =
    "INSERT INTO complaints (customer_id, opened_on, category, description, "
    "handling, state, opened_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
    "?7, ?8)";
static const char sql_complaint_get[] =
    "SELECT " COMPLAINT_COLUMNS "WHERE k.id = ?1";
/*
 * A walk's statement: any customer or one (read through complaints_customer,
 * as store_visit.c's VISIT_FILTER explains), newest or oldest first.
 */
#define COMPLAINT_ANY_CUSTOMER "WHERE (?1 = 0 OR k.customer_id = ?1) AND "
#define COMPLAINT_CUSTOMER     "WHERE k.customer_id = ?1 AND "
#define COMPLAINT_FILTER                                                       \
	"(?2 = 0 OR k.state = ?2) AND (?3 = 0 OR k.category = ?3) AND "        \
	"(?4 = 0 OR cu.bu_id = ?4) "
#define COMPLAINT_NEWEST "ORDER BY k.opened_on DESC, k.id DESC"
#define COMPLAINT_OLDEST "ORDER BY k.opened_on, k.id"
static const char *const sql_complaint_each[2][2] = {
	{ "SELECT " COMPLAINT_COLUMNS COMPLAINT_ANY_CUSTOMER COMPLAINT_FILTER
		COMPLAINT_NEWEST,
	    "SELECT " COMPLAINT_COLUMNS COMPLAINT_ANY_CUSTOMER COMPLAINT_FILTER
		COMPLAINT_OLDEST },
	{ "SELECT " COMPLAINT_COLUMNS_JOIN("CROSS JOIN")
		COMPLAINT_CUSTOMER COMPLAINT_FILTER COMPLAINT_NEWEST,
	    "SELECT " COMPLAINT_COLUMNS_JOIN("CROSS JOIN")
		COMPLAINT_CUSTOMER COMPLAINT_FILTER COMPLAINT_OLDEST },
};
static const char sql_complaint_resolve[] =
    "UPDATE complaints SET state = ?2, resolution = ?3, handling = ?4, "
    "resolved_by = ?5, resolved_at = ?6 WHERE id = ?1 AND state = ?7";

/* Points c's strings at the row's columns: valid until the next step. */
static void
store_complaint_row(sqlite3_stmt *s, struct store_complaint *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(s, 0);
	c->customer_id = sqlite3_column_int64(s, 1);
	c->opened_on = store_text(s, 2);
	c->category = (Tier__ComplaintCategory)sqlite3_column_int(s, 3);
	c->description = store_text(s, 4);
	c->handling = store_text(s, 5);
	c->resolution = store_text(s, 6);
	c->state = (Tier__ComplaintState)sqlite3_column_int(s, 7);
	c->opened_by = sqlite3_column_int64(s, 8);
	c->created_at = sqlite3_column_int64(s, 9);
	c->resolved_by = sqlite3_column_int64(s, 10);
	c->resolved_at = sqlite3_column_int64(s, 11);
	c->bu_id = sqlite3_column_int64(s, 12);
	c->customer = store_text(s, 13);
	c->bu = store_text(s, 14);
	c->opener = store_text(s, 15);
	c->resolver = store_text(s, 16);
}

int
store_complaint_insert(struct store *st, struct store_complaint *c)
{
	sqlite3_stmt *s = store_sql(st, sql_complaint_insert);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, c->customer_id);
	sqlite3_bind_text(s, 2, c->opened_on, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, c->category);
	sqlite3_bind_text(s, 4, c->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, c->handling, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, TIER__COMPLAINT_STATE__COMPLAINT_STATE_OPEN);
	sqlite3_bind_int64(s, 7, c->opened_by);
	sqlite3_bind_int64(s, 8, c->created_at);
	if ((r = store_run(st, s, "complaint insert")) != 0)
		return r;
	c->id = store_last_id(st);
	c->state = TIER__COMPLAINT_STATE__COMPLAINT_STATE_OPEN;
	return 0;
}

int
store_complaint_get(struct store *st, struct arena *arena, int64_t id,
    struct store_complaint *out)
{
	sqlite3_stmt *s = store_sql(st, sql_complaint_get);
	const char **texts[] = { &out->opened_on, &out->description,
		&out->handling, &out->resolution, &out->customer, &out->bu,
		&out->opener, &out->resolver };
	size_t i;
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	if ((r = store_row(st, s, "complaint lookup")) <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	store_complaint_row(s, out);
	r = 0;
	for (i = 0; r == 0 && i < sizeof(texts) / sizeof(texts[0]); i++) {
		if ((*texts[i] = arena_strdup(arena, *texts[i])) == NULL)
			r = ERR_ALLOC;
	}
	sqlite3_reset(s);
	return r;
}

int
store_complaint_resolve(struct store *st, int64_t id, const char *resolution,
    const char *handling, int64_t user_id, int64_t now)
{
	sqlite3_stmt *s = store_sql(st, sql_complaint_resolve);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, TIER__COMPLAINT_STATE__COMPLAINT_STATE_RESOLVED);
	sqlite3_bind_text(s, 3, resolution, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, handling, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, user_id);
	sqlite3_bind_int64(s, 6, now);
	sqlite3_bind_int(s, 7, TIER__COMPLAINT_STATE__COMPLAINT_STATE_OPEN);
	if ((r = store_run(st, s, "complaint resolve")) != 0)
		return r;
	return store_changes(st) == 1 ? 0 : ERR_CONFLICT;
}

int
store_complaint_each(struct store *st, const struct store_complaint_filter *f,
    int (*fn)(const struct store_complaint *c, void *arg), void *arg)
{
	sqlite3_stmt *s = store_sql(
	    st, sql_complaint_each[f->customer_id != 0][f->oldest_first != 0]);
	struct store_complaint c;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, f->customer_id);
	sqlite3_bind_int(s, 2,
	    f->open_only ? TIER__COMPLAINT_STATE__COMPLAINT_STATE_OPEN : 0);
	sqlite3_bind_int(s, 3, f->category);
	sqlite3_bind_int64(s, 4, f->bu_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_complaint_row(s, &c);
		if ((r = fn(&c, arg)) != 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = store_fail(st, "complaint list");
	sqlite3_reset(s);
	return r;
}
