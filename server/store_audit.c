/*
 * Queries on the audit log: appending entries and reading them back in
 * order, for audit.c's hash chain, for the history of one record and for
 * the change feed, which reads the entries after a sequence number.
 */
#include "store_db.h"

#include <string.h>

static const char sql_audit_last[] =
    "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
static const char sql_audit_insert[] =
    "INSERT INTO audit (at, user_name, action, entity, entity_id, before, "
    "after, reason, hash, seq) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char sql_audit_head_set[] =
    "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2) "
    "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash";
static const char sql_audit_head[] = "SELECT seq, hash FROM audit_head";
#define AUDIT_COLUMNS                                                          \
	"seq, at, user_name, action, entity, entity_id, before, after, "       \
	"reason, hash"
static const char sql_audit_all[] =
    "SELECT " AUDIT_COLUMNS " FROM audit ORDER BY seq";
static const char sql_audit_entity[] =
    "SELECT " AUDIT_COLUMNS " FROM audit WHERE entity = ?1 AND "
    "entity_id = ?2 ORDER BY seq";
static const char sql_audit_after[] =
    "SELECT " AUDIT_COLUMNS " FROM audit WHERE seq > ?1 ORDER BY seq "
    "LIMIT ?2";

/* Reads seq and hash from the one row of s, if any. */
static int
store_audit_seq_hash(
    struct store *st, sqlite3_stmt *s, int64_t *seq, uint8_t hash[32])
{
	const void *h;
	int r;

	*seq = 0;
	memset(hash, 0, 32);
	if ((r = store_row(st, s, "audit head")) <= 0)
		return r;
	*seq = sqlite3_column_int64(s, 0);
	h = sqlite3_column_blob(s, 1);
	if (h != NULL && sqlite3_column_bytes(s, 1) == 32)
		memcpy(hash, h, 32);
	sqlite3_reset(s);
	return 0;
}

int
store_audit_head(struct store *st, int64_t *seq, uint8_t hash[32])
{
	return store_audit_seq_hash(
	    st, store_sql(st, sql_audit_head), seq, hash);
}

int
store_audit_last(struct store *st, int64_t *seq, uint8_t hash[32])
{
	return store_audit_seq_hash(
	    st, store_sql(st, sql_audit_last), seq, hash);
}

int
store_audit_insert(struct store *st, struct store_audit *e)
{
	sqlite3_stmt *s = store_sql(st, sql_audit_insert);
	int r;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, e->at);
	sqlite3_bind_text(s, 2, e->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, e->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, e->entity, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, e->entity_id);
	sqlite3_bind_text(s, 6, e->before, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, e->after, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, e->reason, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 9, e->hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 10, e->seq);
	if ((r = store_run(st, s, "audit insert")) != 0)
		return r;
	if ((s = store_sql(st, sql_audit_head_set)) == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, e->seq);
	sqlite3_bind_blob(s, 2, e->hash, 32, SQLITE_STATIC);
	return store_run(st, s, "audit head");
}

/* Steps s, a query of AUDIT_COLUMNS, calling fn for each row. */
static int
store_audit_rows(struct store *st, sqlite3_stmt *s,
    int (*fn)(const struct store_audit *e, void *arg), void *arg)
{
	struct store_audit e;
	const void *h;
	int rc, r = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.seq = sqlite3_column_int64(s, 0);
		e.at = sqlite3_column_int64(s, 1);
		e.user = store_text(s, 2);
		e.action = store_text(s, 3);
		e.entity = store_text(s, 4);
		e.entity_id = sqlite3_column_int64(s, 5);
		e.before = store_text(s, 6);
		e.after = store_text(s, 7);
		e.reason = store_text(s, 8);
		h = sqlite3_column_blob(s, 9);
		/* A hash of the wrong size stays zero: verify reports it. */
		if (h != NULL && sqlite3_column_bytes(s, 9) == 32)
			memcpy(e.hash, h, 32);
		if ((r = fn(&e, arg)) != 0)
			break;
	}
	sqlite3_reset(s);
	if (r == 0 && rc != SQLITE_DONE)
		return store_fail(st, "audit read");
	return r;
}

int
store_audit_each(struct store *st, const char *entity, int64_t entity_id,
    int (*fn)(const struct store_audit *e, void *arg), void *arg)
{
	sqlite3_stmt *s;

	s = store_sql(st, entity ? sql_audit_entity : sql_audit_all);
	if (s == NULL)
		return ERR_STORE;
	if (entity != NULL) {
		sqlite3_bind_text(s, 1, entity, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, entity_id);
	}
	return store_audit_rows(st, s, fn, arg);
}

int
store_audit_after(struct store *st, int64_t after_seq, unsigned limit,
    int (*fn)(const struct store_audit *e, void *arg), void *arg)
{
	sqlite3_stmt *s = store_sql(st, sql_audit_after);

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, after_seq);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
	return store_audit_rows(st, s, fn, arg);
}

/* Where each kind of audited record sits in the organisation. */
static const struct {
	const char *entity;
	Tier__UnitKind kind;
	const char *sql;
} store_audit_entities[] = {
	{ "candidate", TIER__UNIT_KIND__UNIT_KIND_SEGMENT,
	    "SELECT segment_id FROM candidates WHERE id = ?1" },
	{ "customer", TIER__UNIT_KIND__UNIT_KIND_BU,
	    "SELECT bu_id FROM customers WHERE id = ?1" },
	{ "cycle", TIER__UNIT_KIND__UNIT_KIND_BU,
	    "SELECT bu_id FROM cycles WHERE id = ?1" },
	{ "inquiry", TIER__UNIT_KIND__UNIT_KIND_BU,
	    "SELECT bu_id FROM inquiries WHERE id = ?1" },
	{ "visit", TIER__UNIT_KIND__UNIT_KIND_BU,
	    "SELECT cu.bu_id FROM visits v JOIN customers cu ON cu.id = "
	    "v.customer_id WHERE v.id = ?1" },
	{ "complaint", TIER__UNIT_KIND__UNIT_KIND_BU,
	    "SELECT cu.bu_id FROM complaints k JOIN customers cu ON cu.id = "
	    "k.customer_id WHERE k.id = ?1" },
};

int
store_audit_entity_unit(struct store *st, const char *entity, int64_t id,
    Tier__UnitKind *kind, int64_t *unit_id)
{
	sqlite3_stmt *s;
	size_t i;
	int r;

	for (i = 0;
	     i < sizeof(store_audit_entities) / sizeof(store_audit_entities[0]);
	     i++) {
		if (strcmp(store_audit_entities[i].entity, entity) != 0)
			continue;
		if ((s = store_sql(st, store_audit_entities[i].sql)) == NULL)
			return ERR_STORE;
		sqlite3_bind_int64(s, 1, id);
		if ((r = store_row(st, s, "audit entity")) <= 0)
			return r == 0 ? ERR_NOT_FOUND : r;
		*kind = store_audit_entities[i].kind;
		*unit_id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return 0;
	}
	return ERR_INVALID_ARG;
}

static const char sql_place_candidate[] =
    "SELECT c.segment_id, cy.bu_id, c.cycle_id, c.chain FROM candidates c "
    "JOIN cycles cy ON cy.id = c.cycle_id WHERE c.id = ?1";
static const char sql_place_customer[] =
    "SELECT 0, bu_id, 0, '' FROM customers WHERE id = ?1";
static const char sql_place_cycle[] =
    "SELECT 0, bu_id, id, '' FROM cycles WHERE id = ?1";
static const char sql_place_inquiry[] =
    "SELECT 0, bu_id, 0, '' FROM inquiries WHERE id = ?1";
static const char sql_place_visit[] =
    "SELECT 0, cu.bu_id, 0, '' FROM visits v JOIN customers cu ON cu.id = "
    "v.customer_id WHERE v.id = ?1";
static const char sql_place_complaint[] =
    "SELECT 0, cu.bu_id, 0, '' FROM complaints k JOIN customers cu ON "
    "cu.id = k.customer_id WHERE k.id = ?1";

int
store_audit_place(struct store *st, const char *entity, int64_t id,
    struct store_audit_place *out)
{
	const char *sql;
	sqlite3_stmt *s;
	int r;

	memset(out, 0, sizeof(*out));
	if (strcmp(entity, "candidate") == 0)
		sql = sql_place_candidate;
	else if (strcmp(entity, "customer") == 0)
		sql = sql_place_customer;
	else if (strcmp(entity, "cycle") == 0)
		sql = sql_place_cycle;
	else if (strcmp(entity, "inquiry") == 0)
		sql = sql_place_inquiry;
	else if (strcmp(entity, "visit") == 0)
		sql = sql_place_visit;
	else if (strcmp(entity, "complaint") == 0)
		sql = sql_place_complaint;
	else
		return ERR_INVALID_ARG;
	if ((s = store_sql(st, sql)) == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, id);
	if ((r = store_row(st, s, "audit place")) <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	out->segment_id = sqlite3_column_int64(s, 0);
	out->bu_id = sqlite3_column_int64(s, 1);
	out->cycle_id = sqlite3_column_int64(s, 2);
	store_copy_text(out->chain, sizeof(out->chain), s, 3);
	sqlite3_reset(s);
	return 0;
}
