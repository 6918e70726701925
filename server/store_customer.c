/*
 * Queries on customers: the archive card of each customer of a BU, its
 * revenue by year, lookups by normalised name for duplicate detection, and
 * the candidates that lock or pin a customer.
 */
#include "store_db.h"

#include <string.h>

#define CUSTOMER_COLUMNS                                                       \
	"id, bu_id, name, norm_name, industry, region, size, contacts, "       \
	"credit_limit, payment_terms, version, updated_by, updated_at, "       \
	"created_at, profile, key_people, transaction_status, grade, owner_id"

static const char sql_customer_get[] =
    "SELECT " CUSTOMER_COLUMNS " FROM customers WHERE id = ?1";
static const char sql_customer_by_norm[] =
    "SELECT " CUSTOMER_COLUMNS " FROM customers WHERE bu_id = ?1 AND "
    "norm_name = ?2";
static const char sql_customer_each[] =
    "SELECT " CUSTOMER_COLUMNS " FROM customers WHERE id > ?1 AND "
    "(?2 = 0 OR bu_id = ?2) AND (?3 = '' OR instr(norm_name, ?3) > 0) "
    "AND (?4 IS NULL OR grade = ?4) ORDER BY id";
static const char sql_customer_insert[] =
    "INSERT INTO customers (bu_id, name, norm_name, industry, region, size, "
    "contacts, credit_limit, payment_terms, profile, key_people, "
    "transaction_status, version, updated_by, updated_at, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?12, ?13, ?14, 1, ?10, ?11, "
    "?11)";
static const char sql_customer_update[] =
    "UPDATE customers SET bu_id = ?2, name = ?3, norm_name = ?4, "
    "industry = ?5, region = ?6, size = ?7, contacts = ?8, "
    "credit_limit = ?9, payment_terms = ?10, version = ?11, updated_by = ?12, "
    "updated_at = ?13, profile = ?14, key_people = ?15, "
    "transaction_status = ?16 WHERE id = ?1 AND version = ?11 - 1";
static const char sql_customer_grade[] =
    "UPDATE customers SET grade = ?2, owner_id = ?3, version = ?4, "
    "updated_by = ?5, updated_at = ?6 WHERE id = ?1 AND version = ?4 - 1";
/* Every customer's revenue over ?2..?3, of every BU or (the second) of BU
 * ?1 only, which its index then finds without reading the others. */
#define CUSTOMER_ABC                                                           \
	"SELECT c.id, c.bu_id, c.name, "                                       \
	"(SELECT coalesce(sum(r.amount), 0) FROM revenue r WHERE "             \
	"r.customer_id = c.id AND r.year BETWEEN ?2 AND ?3) FROM customers c "
static const char sql_customer_abc[] =
    CUSTOMER_ABC "WHERE ?1 = 0 ORDER BY c.id";
static const char sql_customer_abc_bu[] =
    CUSTOMER_ABC "WHERE c.bu_id = ?1 ORDER BY c.id";
static const char sql_revenue_get[] =
    "SELECT year, amount, plan FROM revenue WHERE customer_id = ?1 ORDER BY "
    "year";
static const char sql_revenue_delete[] =
    "DELETE FROM revenue WHERE customer_id = ?1";
static const char sql_revenue_insert[] =
    "INSERT INTO revenue (customer_id, year, amount, plan) VALUES (?1, ?2, "
    "?3, ?4)";
static const char sql_customer_candidate[] =
    "SELECT id, cycle_id FROM candidates WHERE customer_id = ?1 AND "
    "(?2 = 0 OR state = ?2) ORDER BY id LIMIT 1";

/* Points c's strings at the row's columns: valid until the next step. */
static void
store_row_customer(sqlite3_stmt *s, struct store_customer *c)
{
	static const int text_cols[] = { 2, 3, 4, 5, 6, 7, 9, 14, 15, 16, 17 };
	const char **fields[] = { &c->name, &c->norm_name, &c->industry,
		&c->region, &c->size, &c->contacts, &c->payment_terms,
		&c->profile, &c->key_people, &c->transaction_status,
		&c->grade };
	size_t i;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(s, 0);
	c->bu_id = sqlite3_column_int64(s, 1);
	for (i = 0; i < sizeof(text_cols) / sizeof(text_cols[0]); i++)
		*fields[i] = store_text(s, text_cols[i]);
	c->credit_limit = sqlite3_column_int64(s, 8);
	c->version = sqlite3_column_int64(s, 10);
	c->updated_by = sqlite3_column_int64(s, 11);
	c->updated_at = sqlite3_column_int64(s, 12);
	c->created_at = sqlite3_column_int64(s, 13);
	c->owner_id = sqlite3_column_int64(s, 18);
}

/* Copies c's strings into the arena. Returns 0 or ERR_ALLOC. */
static int
store_customer_keep(struct arena *a, struct store_customer *c)
{
	const char **fields[] = { &c->name, &c->norm_name, &c->industry,
		&c->region, &c->size, &c->contacts, &c->payment_terms,
		&c->profile, &c->key_people, &c->transaction_status,
		&c->grade };
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if ((*fields[i] = arena_strdup(a, *fields[i])) == NULL)
			return ERR_ALLOC;
	}
	return 0;
}

int
store_customer_revenue(struct store *st, struct arena *arena, int64_t id,
    struct store_revenue **out, size_t *n)
{
	sqlite3_stmt *s = store_sql(st, sql_revenue_get);
	struct store_revenue *rows = NULL, *p;
	size_t count = 0, cap = 0;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == cap) {
			/* The arena cannot grow a block: copy to a bigger one.
			 */
			cap = cap ? cap * 2 : 8;
			if ((p = arena_alloc(arena, cap * sizeof(*p))) ==
			    NULL) {
				r = ERR_ALLOC;
				goto out;
			}
			if (count > 0)
				memcpy(p, rows, count * sizeof(*p));
			rows = p;
		}
		rows[count].year = (uint32_t)sqlite3_column_int64(s, 0);
		rows[count].amount = sqlite3_column_int64(s, 1);
		rows[count].plan = sqlite3_column_int64(s, 2);
		count++;
	}
	if (rc != SQLITE_DONE)
		r = store_fail(st, "revenue read");
out:
	sqlite3_reset(s);
	if (r == 0) {
		*out = rows;
		*n = count;
	}
	return r;
}

/* Reads the one row of a lookup into the arena, revenue included. */
static int
store_customer_one(struct store *st, struct arena *arena, sqlite3_stmt *s,
    struct store_customer *out)
{
	int r = store_row(st, s, "customer lookup");

	if (r <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	store_row_customer(s, out);
	r = store_customer_keep(arena, out);
	sqlite3_reset(s);
	if (r != 0)
		return r;
	return store_customer_revenue(
	    st, arena, out->id, &out->revenue, &out->nrevenue);
}

int
store_customer_get(struct store *st, struct arena *arena, int64_t id,
    struct store_customer *out)
{
	sqlite3_stmt *s = store_sql(st, sql_customer_get);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	return store_customer_one(st, arena, s, out);
}

int
store_customer_by_norm(struct store *st, struct arena *arena, int64_t bu_id,
    const char *norm_name, struct store_customer *out)
{
	sqlite3_stmt *s = store_sql(st, sql_customer_by_norm);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, bu_id);
	sqlite3_bind_text(s, 2, norm_name, -1, SQLITE_STATIC);
	return store_customer_one(st, arena, s, out);
}

/* Replaces the revenue rows of customer id with c's. */
static int
store_revenue_put(struct store *st, int64_t id, const struct store_customer *c)
{
	sqlite3_stmt *s = store_sql(st, sql_revenue_delete);
	size_t i;
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	if ((r = store_run(st, s, "revenue delete")) != 0)
		return r;
	for (i = 0; i < c->nrevenue; i++) {
		if ((s = store_sql(st, sql_revenue_insert)) == NULL)
			return ERR_STORE;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, c->revenue[i].year);
		sqlite3_bind_int64(s, 3, c->revenue[i].amount);
		sqlite3_bind_int64(s, 4, c->revenue[i].plan);
		if ((r = store_run(st, s, "revenue insert")) != 0)
			return r;
	}
	return 0;
}

/* Binds the card columns name .. payment_terms from column first on. */
static void
store_bind_card(sqlite3_stmt *s, int first, const struct store_customer *c)
{
	sqlite3_bind_text(s, first, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, first + 1, c->norm_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, first + 2, c->industry, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, first + 3, c->region, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, first + 4, c->size, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, first + 5, c->contacts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, first + 6, c->credit_limit);
	sqlite3_bind_text(s, first + 7, c->payment_terms, -1, SQLITE_STATIC);
}

/* Binds profile, key_people and transaction_status from column first on. */
static void
store_bind_card_more(sqlite3_stmt *s, int first, const struct store_customer *c)
{
	/* Callers that predate these fields may leave them NULL: "". */
	sqlite3_bind_text(
	    s, first, c->profile ? c->profile : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, first + 1, c->key_people ? c->key_people : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(s, first + 2,
	    c->transaction_status ? c->transaction_status : "", -1,
	    SQLITE_STATIC);
}

int
store_customer_insert(struct store *st, struct store_customer *c)
{
	sqlite3_stmt *s = store_sql(st, sql_customer_insert);
	int64_t id;
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, c->bu_id);
	store_bind_card(s, 2, c);
	sqlite3_bind_int64(s, 10, c->updated_by);
	sqlite3_bind_int64(s, 11, c->updated_at);
	store_bind_card_more(s, 12, c);
	if ((r = store_run(st, s, "customer insert")) != 0)
		return r;
	id = store_last_id(st);
	if ((r = store_revenue_put(st, id, c)) != 0)
		return r;
	c->id = id;
	c->version = 1;
	c->created_at = c->updated_at;
	return 0;
}

int
store_customer_update(struct store *st, const struct store_customer *c)
{
	sqlite3_stmt *s = store_sql(st, sql_customer_update);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, c->id);
	sqlite3_bind_int64(s, 2, c->bu_id);
	store_bind_card(s, 3, c);
	sqlite3_bind_int64(s, 11, c->version);
	sqlite3_bind_int64(s, 12, c->updated_by);
	sqlite3_bind_int64(s, 13, c->updated_at);
	store_bind_card_more(s, 14, c);
	if ((r = store_run(st, s, "customer update")) != 0)
		return r;
	if (store_changes(st) != 1)
		return ERR_CONFLICT;
	return store_revenue_put(st, c->id, c);
}

int
store_customer_each(struct store *st, int64_t bu_id, const char *search,
    const char *grade, int64_t after,
    int (*fn)(const struct store_customer *c, void *arg), void *arg)
{
	sqlite3_stmt *s = store_sql(st, sql_customer_each);
	struct store_customer c;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, bu_id);
	sqlite3_bind_text(s, 3, search, -1, SQLITE_STATIC);
	if (grade != NULL)
		sqlite3_bind_text(s, 4, grade, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 4);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_row_customer(s, &c);
		if ((r = fn(&c, arg)) != 0)
			break;
	}
	sqlite3_reset(s);
	if (r == 0 && rc != SQLITE_DONE)
		return store_fail(st, "customer list");
	return r;
}

int
store_customer_candidate(struct store *st, int64_t customer_id,
    Tier__CandidateState state, int64_t *candidate_id, int64_t *cycle_id)
{
	sqlite3_stmt *s = store_sql(st, sql_customer_candidate);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, customer_id);
	sqlite3_bind_int(s, 2, (int)state);
	if ((r = store_row(st, s, "customer candidate")) <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	*candidate_id = sqlite3_column_int64(s, 0);
	*cycle_id = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return 0;
}

int
store_customer_grade(struct store *st, int64_t id, int64_t version,
    const char *grade, int64_t owner_id, int64_t user_id, int64_t now)
{
	sqlite3_stmt *s = store_sql(st, sql_customer_grade);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, grade, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, owner_id);
	sqlite3_bind_int64(s, 4, version);
	sqlite3_bind_int64(s, 5, user_id);
	sqlite3_bind_int64(s, 6, now);
	if ((r = store_run(st, s, "customer grade")) != 0)
		return r;
	return store_changes(st) == 1 ? 0 : ERR_CONFLICT;
}

int
store_customer_abc(struct store *st, int64_t bu_id, uint32_t year,
    uint32_t to_year,
    int (*fn)(int64_t id, int64_t bu_id, const char *name, int64_t revenue,
	void *arg),
    void *arg)
{
	sqlite3_stmt *s =
	    store_sql(st, bu_id != 0 ? sql_customer_abc_bu : sql_customer_abc);
	const unsigned char *name;
	int rc, r = 0;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, bu_id);
	sqlite3_bind_int64(s, 2, year);
	sqlite3_bind_int64(s, 3, to_year);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		name = sqlite3_column_text(s, 2);
		if ((r = fn(sqlite3_column_int64(s, 0),
			 sqlite3_column_int64(s, 1),
			 name != NULL ? (const char *)name : "",
			 sqlite3_column_int64(s, 3), arg)) != 0)
			break;
	}
	sqlite3_reset(s);
	if (r == 0 && rc != SQLITE_DONE)
		return store_fail(st, "customer abc");
	return r;
}
