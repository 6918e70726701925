/*
 * Idempotency records: the first successful response to each (user, request
 * id), so a retried request is answered again without running twice.
 */
#include "store_db.h"

#include <stdlib.h>
#include <string.h>

/* The request hash is prepended to the stored response: 32 bytes, then the
 * packed Response. */
static const char sql_request_get[] =
    "SELECT response FROM requests WHERE user_id = ?1 AND request_id = ?2";
static const char sql_request_put[] =
    "INSERT INTO requests (user_id, request_id, response, created_at) "
    "VALUES (?1, ?2, ?3, ?4)";

/* The ids before ?1, but no later than the (?2+1)th oldest: about ?2 of
 * them (more when that one shares its second), through the index. */
static const char sql_request_prune[] =
    "DELETE FROM requests WHERE created_at < ?1 AND created_at <= COALESCE("
    "  (SELECT created_at FROM requests ORDER BY created_at LIMIT 1"
    "   OFFSET ?2), ?1)";

int
store_request_get(struct store *st, int64_t user_id, const char *request_id,
    uint8_t hash[32], uint8_t **resp, size_t *len)
{
	sqlite3_stmt *s = store_sql(st, sql_request_get);
	const uint8_t *blob;
	int r, n;

	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_text(s, 2, request_id, -1, SQLITE_STATIC);
	if ((r = store_row(st, s, "request lookup")) <= 0)
		return r == 0 ? ERR_NOT_FOUND : r;
	blob = sqlite3_column_blob(s, 0);
	n = sqlite3_column_bytes(s, 0);
	if (blob == NULL || n < 32) {
		sqlite3_reset(s);
		log_error("store: request %s of user %lld is corrupt",
		    request_id, (long long)user_id);
		return ERR_STORE;
	}
	memcpy(hash, blob, 32);
	if ((*resp = malloc(n - 32 > 0 ? (size_t)n - 32 : 1)) == NULL) {
		sqlite3_reset(s);
		return ERR_ALLOC;
	}
	memcpy(*resp, blob + 32, (size_t)n - 32);
	*len = (size_t)n - 32;
	sqlite3_reset(s);
	return 0;
}

int
store_request_put(struct store *st, int64_t user_id, const char *request_id,
    const uint8_t hash[32], const uint8_t *resp, size_t len, int64_t now)
{
	sqlite3_stmt *s = store_sql(st, sql_request_put);
	uint8_t *blob;
	int r;

	if (s == NULL)
		return ERR_STORE;
	if ((blob = malloc(32 + len)) == NULL)
		return ERR_ALLOC;
	memcpy(blob, hash, 32);
	if (len > 0)
		memcpy(blob + 32, resp, len);
	sqlite3_bind_int64(s, 1, user_id);
	sqlite3_bind_text(s, 2, request_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, blob, (int)(32 + len), SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	r = store_run(st, s, "request insert");
	free(blob);
	return r;
}

int
store_request_prune(
    struct store *st, int64_t before, int limit, size_t *forgotten)
{
	sqlite3_stmt *s = store_sql(st, sql_request_prune);
	int r;

	*forgotten = 0;
	if (s == NULL)
		return ERR_STORE;
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int(s, 2, limit);
	if ((r = store_run(st, s, "request prune")) != 0)
		return r;
	*forgotten = (size_t)store_changes(st);
	return 0;
}
