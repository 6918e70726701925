/*
 * "tier sync" and --offline: a local, read-only copy of the cycles,
 * customers and candidates the user may see, one SQLite file per server,
 * brought up to date through the change feed (feed_read). The offline forms
 * of the list and show commands read it, answered here as the server would
 * answer them, so that they print exactly what they print online.
 *
 * The first sync notes the feed's head (ping), then lists everything; later
 * ones read only the events after the last seq they applied, each carrying
 * the record as it is now, and keep the newer version of each record. When
 * the server no longer keeps that far back (resync_required), or the key or
 * server changed, everything is copied again.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "err.h"
#include "tier.h"

#define SYNC_SCHEMA     1     /* PRAGMA user_version of the local file */
#define SYNC_FEED_LIMIT 1000  /* events asked for per feed_read */
#define SYNC_PAGE       1000  /* rows asked for per list request */
#define SYNC_BUSY_MS    10000 /* how long to wait for another sync's write */
#define SYNC_LIST_PAGE  100   /* customer_list page_size 0, as the server */
#define SYNC_LIST_MAX   1000  /* largest page the server hands out */

enum {
	SYNC_OPT_FULL = 0x200,
	SYNC_OPT_STATUS,
};

struct sync_store {
	sqlite3 *db; /* the open local file */
	char *path;  /* its name, for messages */
};

static const char sync_sql_schema[] =
    "DROP TABLE IF EXISTS meta;"
    "DROP TABLE IF EXISTS cycles;"
    "DROP TABLE IF EXISTS customers;"
    "DROP TABLE IF EXISTS candidates;"
    "CREATE TABLE meta ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " server TEXT NOT NULL DEFAULT '',"
    " server_key BLOB,"
    " client_key BLOB,"
    " user TEXT NOT NULL DEFAULT '',"
    " role INTEGER NOT NULL DEFAULT 0,"
    " scope TEXT NOT NULL DEFAULT '',"
    " last_seq INTEGER NOT NULL DEFAULT 0,"
    " head_seq INTEGER NOT NULL DEFAULT 0,"
    " synced_at INTEGER NOT NULL DEFAULT 0,"
    " full_at INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO meta (id) VALUES (1);"
    "CREATE TABLE cycles ("
    " id INTEGER PRIMARY KEY,"
    " bu TEXT NOT NULL,"
    " year INTEGER NOT NULL,"
    " state INTEGER NOT NULL,"
    " version INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " body BLOB NOT NULL);"
    "CREATE TABLE customers ("
    " id INTEGER PRIMARY KEY,"
    " bu TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " norm_name TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " body BLOB NOT NULL);"
    "CREATE TABLE candidates ("
    " id INTEGER PRIMARY KEY,"
    " cycle_id INTEGER NOT NULL,"
    " segment TEXT NOT NULL,"
    " customer_id INTEGER NOT NULL,"
    " state INTEGER NOT NULL,"
    " score_complete INTEGER NOT NULL,"
    " score REAL NOT NULL,"
    " version INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " body BLOB NOT NULL);"
    "CREATE INDEX candidates_cycle ON candidates (cycle_id, segment);";

static const char sync_sql_meta_get[] =
    "SELECT server, server_key, client_key, user, role, scope, last_seq, "
    "head_seq, synced_at, full_at FROM meta WHERE id = 1";
static const char sync_sql_meta_put[] =
    "UPDATE meta SET server = ?1, server_key = ?2, client_key = ?3, "
    "user = ?4, role = ?5, scope = ?6, last_seq = ?7, head_seq = ?8, "
    "synced_at = ?9, full_at = ?10 WHERE id = 1";
static const char sync_sql_clear[] = "DELETE FROM cycles;"
				     "DELETE FROM customers;"
				     "DELETE FROM candidates;";

/* A record is replaced only by the same or a newer version of it. */
static const char sync_sql_put_cycle[] =
    "INSERT INTO cycles (id, bu, year, state, version, seq, body) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET "
    "bu = excluded.bu, year = excluded.year, state = excluded.state, "
    "version = excluded.version, seq = excluded.seq, body = excluded.body "
    "WHERE excluded.version >= cycles.version";
static const char sync_sql_put_customer[] =
    "INSERT INTO customers (id, bu, name, norm_name, version, seq, body) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET "
    "bu = excluded.bu, name = excluded.name, norm_name = "
    "excluded.norm_name, version = excluded.version, seq = excluded.seq, "
    "body = excluded.body WHERE excluded.version >= customers.version";
static const char sync_sql_put_candidate[] =
    "INSERT INTO candidates (id, cycle_id, segment, customer_id, state, "
    "score_complete, score, version, seq, body) VALUES (?1, ?2, ?3, ?4, "
    "?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO UPDATE SET "
    "cycle_id = excluded.cycle_id, segment = excluded.segment, "
    "customer_id = excluded.customer_id, state = excluded.state, "
    "score_complete = excluded.score_complete, score = excluded.score, "
    "version = excluded.version, seq = excluded.seq, body = excluded.body "
    "WHERE excluded.version >= candidates.version";
static const char sync_sql_counts[] =
    "SELECT (SELECT count(*) FROM cycles), (SELECT count(*) FROM "
    "customers), (SELECT count(*) FROM candidates)";

static const char sync_sql_cycle_get[] =
    "SELECT body FROM cycles WHERE id = ?1";
/* The server orders by BU id, which the copy does not know: by name here. */
static const char sync_sql_cycle_list[] =
    "SELECT body FROM cycles WHERE ?1 = '' OR bu = ?1 "
    "ORDER BY year DESC, bu, id";
static const char sync_sql_quota[] =
    "SELECT count(*), coalesce(sum(state = ?3), 0) FROM candidates "
    "WHERE cycle_id = ?1 AND segment = ?2";
static const char sync_sql_customer_get[] =
    "SELECT body FROM customers WHERE id = ?1";
static const char sync_sql_customer_list[] =
    "SELECT body FROM customers WHERE id > ?1 AND (?2 = '' OR bu = ?2) AND "
    "(?3 = '' OR instr(norm_name, ?3) > 0) ORDER BY id LIMIT ?4";

/*
 * Ranks as the server computes them (RANK() among the completely scored
 * candidates of the cycle, per segment and overall), so that a score changed
 * after another candidate's last event still moves it. A segment is copied
 * whole, so rank_segment is exact; rank_bu only when the user's scope covers
 * the BU (sync_answer_candidates decides).
 */
#define SYNC_RANKED(where)                                                     \
	"WITH ranked AS (SELECT id, "                                          \
	"CASE WHEN score_complete THEN RANK() OVER (PARTITION BY segment, "    \
	"score_complete ORDER BY score DESC) ELSE 0 END AS rs, "               \
	"CASE WHEN score_complete THEN RANK() OVER (PARTITION BY "             \
	"score_complete ORDER BY score DESC) ELSE 0 END AS rb "                \
	"FROM candidates WHERE " where ") "                                    \
	"SELECT c.body, r.rs, r.rb, cu.name FROM candidates c "                \
	"JOIN ranked r ON r.id = c.id "                                        \
	"LEFT JOIN customers cu ON cu.id = c.customer_id "

static const char sync_sql_candidate_get[] = SYNC_RANKED(
    "cycle_id = (SELECT cycle_id FROM candidates WHERE id = ?1)") "WHERE c.id "
								  "= ?1";
#define SYNC_CANDIDATE_WHERE                                                   \
	"WHERE c.cycle_id = ?1 AND (?2 = '' OR c.segment = ?2) AND "           \
	"(?3 = 0 OR c.state = ?3) "
static const char sync_sql_candidate_list[] =
    SYNC_RANKED("cycle_id = ?1") SYNC_CANDIDATE_WHERE
    "ORDER BY c.score_complete DESC, CASE WHEN c.score_complete THEN "
    "c.score END DESC, c.id LIMIT ?4 OFFSET ?5";
static const char sync_sql_candidate_count[] =
    "SELECT count(*) FROM candidates c " SYNC_CANDIDATE_WHERE;
static const char sync_sql_cycle_known[] = "SELECT 1 FROM cycles WHERE id = ?1";

/* Local copy: where it lives ------------------------------------------------*/

/* Non-empty environment variable or NULL. */
static const char *
sync_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

int
sync_dir(char **out)
{
	const char *v;
	struct passwd *pw;
	char *p = NULL;
	int n;

	if ((v = sync_env("TIER_DATA_DIR")) != NULL)
		n = asprintf(&p, "%s", v);
	else if ((v = sync_env("XDG_DATA_HOME")) != NULL && v[0] == '/')
		n = asprintf(&p, "%s/tier", v);
	else if ((v = sync_env("HOME")) != NULL)
		n = asprintf(&p, "%s/.local/share/tier", v);
	else if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL)
		n = asprintf(&p, "%s/.local/share/tier", pw->pw_dir);
	else
		return ERR_CONFIG;
	if (n < 0)
		return ERR_ALLOC;
	*out = p;
	return 0;
}

int
sync_path(const char *dir, const char *address, char **out)
{
	char *name, *p;
	int r = 0;

	if ((name = strdup(address)) == NULL)
		return ERR_ALLOC;
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			*p = '_';
	}
	if (asprintf(out, "%s/%s.db", dir, name) < 0)
		r = ERR_ALLOC;
	free(name);
	return r;
}

/*
 * Makes dir and its missing parents (mode 0700), and takes group and other
 * access away from dir itself. Returns 0 or ERR_SYSTEM (errno set).
 */
static int
sync_dir_ensure(const char *dir)
{
	struct stat sb;
	char *copy, *p;
	int r = 0;

	if ((copy = strdup(dir)) == NULL)
		return ERR_ALLOC;
	for (p = copy + 1; r == 0 && *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) != 0 && errno != EEXIST)
			r = ERR_SYSTEM;
		*p = '/';
	}
	free(copy);
	if (r != 0)
		return r;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return ERR_SYSTEM;
	if (stat(dir, &sb) != 0)
		return ERR_SYSTEM;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return ERR_SYSTEM;
	}
	if ((sb.st_mode & 077) != 0 && chmod(dir, 0700) != 0)
		return ERR_SYSTEM;
	return 0;
}

/* Creates path with mode 0600 unless it exists; tightens its mode if not.
 * Returns 0 or ERR_SYSTEM (errno set). */
static int
sync_file_ensure(const char *path)
{
	struct stat sb;
	int fd, r = 0;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		return ERR_SYSTEM;
	if (fstat(fd, &sb) != 0 ||
	    ((sb.st_mode & 077) != 0 && fchmod(fd, 0600) != 0))
		r = ERR_SYSTEM;
	close(fd);
	return r;
}

/* Local copy: the store -----------------------------------------------------*/

const char *
sync_store_errmsg(const struct sync_store *st)
{
	return st != NULL && st->db != NULL ? sqlite3_errmsg(st->db)
					    : "cannot open";
}

/* Runs sql (several statements allowed). Returns 0 or ERR_STORE. */
static int
sync_exec(struct sync_store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK
		   ? 0
		   : ERR_STORE;
}

/* Prepares sql. Returns 0 or ERR_STORE. */
static int
sync_prepare(struct sync_store *st, const char *sql, sqlite3_stmt **s)
{
	return sqlite3_prepare_v2(st->db, sql, -1, s, NULL) == SQLITE_OK
		   ? 0
		   : ERR_STORE;
}

/* PRAGMA user_version. Returns 0 or ERR_STORE. */
static int
sync_schema_version(struct sync_store *st, int *version)
{
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = sync_prepare(st, "PRAGMA user_version", &s)) != 0)
		return r;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*version = sqlite3_column_int(s, 0);
		r = 0;
	} else
		r = ERR_STORE;
	sqlite3_finalize(s);
	return r;
}

int
sync_store_open(const char *path, int create, struct sync_store **out)
{
	struct sync_store *st;
	struct stat sb;
	char *dir = NULL, *slash, set[64];
	int r, version = 0;

	if (!create && stat(path, &sb) != 0)
		return errno == ENOENT ? ERR_NOT_FOUND : ERR_SYSTEM;
	if (create) {
		if ((dir = strdup(path)) == NULL)
			return ERR_ALLOC;
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			r = sync_dir_ensure(dir);
		} else
			r = 0;
		free(dir);
		if (r != 0 || (r = sync_file_ensure(path)) != 0)
			return r;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->path = strdup(path)) == NULL) {
		free(st);
		return ERR_ALLOC;
	}
	/* Read-write even for reading, so that a hot journal left by an
	 * interrupted sync can be rolled back. */
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		r = ERR_STORE;
		goto fail;
	}
	sqlite3_busy_timeout(st->db, SYNC_BUSY_MS);
	if ((r = sync_schema_version(st, &version)) != 0)
		goto fail;
	if (version != SYNC_SCHEMA) {
		if (!create) {
			/* Made by another version of tier: only a sync may
			 * replace it. */
			r = ERR_NOT_FOUND;
			goto fail;
		}
		/* A cache: an unknown layout is simply made anew. */
		if ((r = sync_exec(st, "BEGIN IMMEDIATE")) != 0)
			goto fail;
		snprintf(
		    set, sizeof(set), "PRAGMA user_version = %d", SYNC_SCHEMA);
		if ((r = sync_exec(st, sync_sql_schema)) != 0 ||
		    (r = sync_exec(st, set)) != 0 ||
		    (r = sync_exec(st, "COMMIT")) != 0) {
			sync_exec(st, "ROLLBACK");
			goto fail;
		}
	}
	*out = st;
	return 0;
fail:
	sync_store_close(st);
	return r;
}

void
sync_store_close(struct sync_store *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

int
sync_store_begin(struct sync_store *st)
{
	return sync_exec(st, "BEGIN IMMEDIATE");
}

int
sync_store_commit(struct sync_store *st)
{
	return sync_exec(st, "COMMIT");
}

void
sync_store_rollback(struct sync_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sync_exec(st, "ROLLBACK");
}

int
sync_store_clear(struct sync_store *st)
{
	return sync_exec(st, sync_sql_clear);
}

/* Copies column i's text into buf (size bytes, cut if longer). */
static void
sync_column_text(sqlite3_stmt *s, int i, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(buf, size, "%s", t != NULL ? (const char *)t : "");
}

/* Copies a KEYS_LEN blob column into key; *has says whether there was one. */
static void
sync_column_key(sqlite3_stmt *s, int i, uint8_t key[KEYS_LEN], int *has)
{
	const void *b = sqlite3_column_blob(s, i);

	*has = b != NULL && sqlite3_column_bytes(s, i) == KEYS_LEN;
	if (*has)
		memcpy(key, b, KEYS_LEN);
	else
		memset(key, 0, KEYS_LEN);
}

int
sync_store_meta_get(struct sync_store *st, struct sync_meta *m)
{
	sqlite3_stmt *s = NULL;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = sync_prepare(st, sync_sql_meta_get, &s)) != 0)
		return r;
	if (sqlite3_step(s) != SQLITE_ROW) {
		r = ERR_STORE;
		goto out;
	}
	sync_column_text(s, 0, m->server, sizeof(m->server));
	sync_column_key(s, 1, m->server_key, &m->has_server_key);
	sync_column_key(s, 2, m->client_key, &m->has_client_key);
	sync_column_text(s, 3, m->user, sizeof(m->user));
	m->role = (Tier__Role)sqlite3_column_int(s, 4);
	sync_column_text(s, 5, m->scope, sizeof(m->scope));
	m->last_seq = (uint64_t)sqlite3_column_int64(s, 6);
	m->head_seq = (uint64_t)sqlite3_column_int64(s, 7);
	m->synced_at = sqlite3_column_int64(s, 8);
	m->full_at = sqlite3_column_int64(s, 9);
out:
	sqlite3_finalize(s);
	return r;
}

int
sync_store_meta_put(struct sync_store *st, const struct sync_meta *m)
{
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = sync_prepare(st, sync_sql_meta_put, &s)) != 0)
		return r;
	sqlite3_bind_text(s, 1, m->server, -1, SQLITE_STATIC);
	if (m->has_server_key)
		sqlite3_bind_blob(s, 2, m->server_key, KEYS_LEN, SQLITE_STATIC);
	if (m->has_client_key)
		sqlite3_bind_blob(s, 3, m->client_key, KEYS_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, m->user, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, (int)m->role);
	sqlite3_bind_text(s, 6, m->scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)m->last_seq);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)m->head_seq);
	sqlite3_bind_int64(s, 9, m->synced_at);
	sqlite3_bind_int64(s, 10, m->full_at);
	r = sqlite3_step(s) == SQLITE_DONE ? 0 : ERR_STORE;
	sqlite3_finalize(s);
	return r;
}

int
sync_store_counts(struct sync_store *st, uint64_t *cycles, uint64_t *customers,
    uint64_t *candidates)
{
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = sync_prepare(st, sync_sql_counts, &s)) != 0)
		return r;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*cycles = (uint64_t)sqlite3_column_int64(s, 0);
		*customers = (uint64_t)sqlite3_column_int64(s, 1);
		*candidates = (uint64_t)sqlite3_column_int64(s, 2);
	} else
		r = ERR_STORE;
	sqlite3_finalize(s);
	return r;
}

/* Packs m into a malloc'd buffer. Returns 0 or ERR_ALLOC. */
static int
sync_pack(const ProtobufCMessage *m, uint8_t **out, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);

	if ((*out = malloc(n != 0 ? n : 1)) == NULL)
		return ERR_ALLOC;
	*len = protobuf_c_message_pack(m, *out);
	return 0;
}

/*
 * Runs a prepared upsert whose last parameter is the packed message m;
 * *written says whether it changed the copy. Finalizes s. Returns 0,
 * ERR_ALLOC or ERR_STORE.
 */
static int
sync_put(struct sync_store *st, sqlite3_stmt *s, int blob_param,
    const ProtobufCMessage *m, int *written)
{
	uint8_t *blob = NULL;
	size_t len = 0;
	int r;

	if ((r = sync_pack(m, &blob, &len)) != 0)
		goto out;
	sqlite3_bind_blob(s, blob_param, blob, (int)len, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE) {
		r = ERR_STORE;
		goto out;
	}
	if (written != NULL)
		*written = sqlite3_changes(st->db) > 0;
out:
	sqlite3_finalize(s);
	free(blob);
	return r;
}

int
sync_store_put_cycle(
    struct sync_store *st, const Tier__Cycle *cy, uint64_t seq, int *written)
{
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = sync_prepare(st, sync_sql_put_cycle, &s)) != 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)cy->id);
	sqlite3_bind_text(s, 2, cy->bu, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, cy->year);
	sqlite3_bind_int(s, 4, (int)cy->state);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)cy->version);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)seq);
	return sync_put(st, s, 7, &cy->base, written);
}

int
sync_store_put_customer(
    struct sync_store *st, const Tier__Customer *cu, uint64_t seq, int *written)
{
	sqlite3_stmt *s = NULL;
	char *norm = NULL;
	int r;

	if ((r = msg_norm_name(cu->name, &norm)) != 0)
		return r;
	if ((r = sync_prepare(st, sync_sql_put_customer, &s)) != 0) {
		free(norm);
		return r;
	}
	sqlite3_bind_int64(s, 1, (sqlite3_int64)cu->id);
	sqlite3_bind_text(s, 2, cu->bu, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, cu->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, norm, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)cu->version);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)seq);
	r = sync_put(st, s, 7, &cu->base, written);
	free(norm);
	return r;
}

int
sync_store_put_candidate(
    struct sync_store *st, const Tier__Candidate *k, uint64_t seq, int *written)
{
	sqlite3_stmt *s = NULL;
	int r;

	if ((r = sync_prepare(st, sync_sql_put_candidate, &s)) != 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)k->id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)k->cycle_id);
	sqlite3_bind_text(s, 3, k->segment, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)k->customer_id);
	sqlite3_bind_int(s, 5, (int)k->state);
	sqlite3_bind_int(s, 6, k->score_complete ? 1 : 0);
	sqlite3_bind_double(s, 7, k->score);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)k->version);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)seq);
	return sync_put(st, s, 10, &k->base, written);
}

/* Local copy: answering requests --------------------------------------------*/

/* What an answer is made of until it is copied into one owned Response. */
struct sync_answer {
	Tier__Response resp;            /* on the stack of the caller */
	Tier__Error error;              /* resp.error when set */
	char message[160];              /* error.message */
	char hint[512];                 /* error.hint */
	char field[64];                 /* error.field */
	ProtobufCMessage **owned;       /* unpacked records, freed after */
	size_t nowned;                  /* how many */
	void *arrays[2];                /* malloc'd pointer arrays, freed */
	const struct sync_meta *meta;   /* of the copy */
	Tier__CycleListResponse cycles; /* the list bodies */
	Tier__CustomerListResponse customers;
	Tier__CandidateListResponse candidates;
	Tier__CycleResponse cycle; /* the single-record bodies */
	Tier__CustomerResponse customer;
	Tier__CandidateResponse candidate;
};

/* Answers with an error as the server would: code, field, hint, message. */
static int
sync_refuse(struct sync_answer *a, Tier__ErrorCode code, const char *field,
    const char *hint, const char *message)
{
	tier__error__init(&a->error);
	if (message != a->message)
		snprintf(a->message, sizeof(a->message), "%s", message);
	snprintf(a->hint, sizeof(a->hint), "%s", hint);
	snprintf(a->field, sizeof(a->field), "%s", field);
	a->error.code = code;
	a->error.message = a->message;
	a->error.hint = a->hint;
	a->error.field = a->field;
	a->resp.error = &a->error;
	a->resp.body_case = TIER__RESPONSE__BODY__NOT_SET;
	return 0;
}

/* Records a NOT_FOUND like the server's ("no candidate 7"). */
static int
sync_not_found(
    struct sync_answer *a, const char *what, uint64_t id, const char *field)
{
	char when[OUTPUT_TIME_SIZE];

	char hint[sizeof(a->hint)];

	output_time(a->meta->synced_at, when);
	snprintf(hint, sizeof(hint),
	    "the local copy of %s (synced %s) has none; run tier sync, or "
	    "leave out --offline",
	    a->meta->server, when);
	snprintf(a->message, sizeof(a->message), "no %s %llu", what,
	    (unsigned long long)id);
	return sync_refuse(
	    a, TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND, field, hint, a->message);
}

/* Keeps m for freeing after the answer is copied. Returns 0 or ERR_ALLOC. */
static int
sync_own(struct sync_answer *a, ProtobufCMessage *m)
{
	ProtobufCMessage **p;

	p = reallocarray(a->owned, a->nowned + 1, sizeof(*p));
	if (p == NULL) {
		protobuf_c_message_free_unpacked(m, NULL);
		return ERR_ALLOC;
	}
	a->owned = p;
	a->owned[a->nowned++] = m;
	return 0;
}

/* Unpacks column i of s as a message of type d, kept in a. */
static int
sync_unpack(struct sync_answer *a, sqlite3_stmt *s, int i,
    const ProtobufCMessageDescriptor *d, ProtobufCMessage **out)
{
	static const uint8_t none[1];
	const uint8_t *blob = sqlite3_column_blob(s, i);
	int len = sqlite3_column_bytes(s, i);
	ProtobufCMessage *m;

	m = protobuf_c_message_unpack(
	    d, NULL, (size_t)len, blob != NULL ? blob : none);
	if (m == NULL)
		return ERR_STORE; /* a damaged copy */
	*out = m;
	return sync_own(a, m);
}

/* Sets quota progress from the copy's candidates: every candidate of a
 * visible segment is in the copy, so the counts are exact. */
static int
sync_cycle_quotas(struct sync_store *st, Tier__Cycle *cy)
{
	sqlite3_stmt *s = NULL;
	size_t i;
	int r;

	if ((r = sync_prepare(st, sync_sql_quota, &s)) != 0)
		return r;
	for (i = 0; r == 0 && i < cy->n_quotas; i++) {
		Tier__Quota *q = cy->quotas[i];

		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, (sqlite3_int64)cy->id);
		sqlite3_bind_text(s, 2, q->segment, -1, SQLITE_STATIC);
		sqlite3_bind_int(
		    s, 3, TIER__CANDIDATE_STATE__CANDIDATE_STATE_APPROVED);
		if (sqlite3_step(s) != SQLITE_ROW) {
			r = ERR_STORE;
			break;
		}
		q->proposed = (uint32_t)sqlite3_column_int64(s, 0);
		q->approved = (uint32_t)sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return r;
}

static int
sync_answer_cycle_get(struct sync_store *st, struct sync_answer *a, uint64_t id)
{
	sqlite3_stmt *s = NULL;
	ProtobufCMessage *m;
	int r, rc;

	if ((r = sync_prepare(st, sync_sql_cycle_get, &s)) != 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	if ((rc = sqlite3_step(s)) == SQLITE_DONE) {
		sqlite3_finalize(s);
		return sync_not_found(a, "cycle", id, "cycle_get.cycle_id");
	}
	if (rc != SQLITE_ROW ||
	    (r = sync_unpack(a, s, 0, &tier__cycle__descriptor, &m)) != 0) {
		sqlite3_finalize(s);
		return r != 0 ? r : ERR_STORE;
	}
	sqlite3_finalize(s);
	a->cycle.cycle = (Tier__Cycle *)m;
	a->resp.body_case = TIER__RESPONSE__BODY_CYCLE_GET;
	a->resp.cycle_get = &a->cycle;
	return sync_cycle_quotas(st, a->cycle.cycle);
}

static int
sync_answer_cycle_list(
    struct sync_store *st, struct sync_answer *a, const char *bu)
{
	Tier__Cycle **list = NULL, **grown;
	sqlite3_stmt *s = NULL;
	ProtobufCMessage *m;
	size_t n = 0;
	int r, rc;

	if ((r = sync_prepare(st, sync_sql_cycle_list, &s)) != 0)
		return r;
	sqlite3_bind_text(s, 1, bu != NULL ? bu : "", -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = sync_unpack(a, s, 0, &tier__cycle__descriptor, &m)) !=
		    0)
			goto out;
		if ((grown = reallocarray(list, n + 1, sizeof(*list))) ==
		    NULL) {
			r = ERR_ALLOC;
			goto out;
		}
		list = grown;
		list[n++] = (Tier__Cycle *)m;
		if ((r = sync_cycle_quotas(st, (Tier__Cycle *)m)) != 0)
			goto out;
	}
	if (rc != SQLITE_DONE)
		r = ERR_STORE;
out:
	sqlite3_finalize(s);
	a->arrays[0] = list;
	a->cycles.cycles = list;
	a->cycles.n_cycles = n;
	a->resp.body_case = TIER__RESPONSE__BODY_CYCLE_LIST;
	a->resp.cycle_list = &a->cycles;
	return r;
}

static int
sync_answer_customer_get(
    struct sync_store *st, struct sync_answer *a, uint64_t id)
{
	sqlite3_stmt *s = NULL;
	ProtobufCMessage *m;
	int r, rc;

	if ((r = sync_prepare(st, sync_sql_customer_get, &s)) != 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	if ((rc = sqlite3_step(s)) == SQLITE_DONE) {
		sqlite3_finalize(s);
		return sync_not_found(
		    a, "customer", id, "customer_get.customer_id");
	}
	r = rc == SQLITE_ROW
		? sync_unpack(a, s, 0, &tier__customer__descriptor, &m)
		: ERR_STORE;
	sqlite3_finalize(s);
	if (r != 0)
		return r;
	a->customer.customer = (Tier__Customer *)m;
	a->resp.body_case = TIER__RESPONSE__BODY_CUSTOMER_GET;
	a->resp.customer_get = &a->customer;
	return 0;
}

static int
sync_answer_customer_list(struct sync_store *st, struct sync_answer *a,
    const Tier__CustomerListRequest *q)
{
	Tier__Customer **list = NULL, **grown;
	sqlite3_stmt *s = NULL;
	ProtobufCMessage *m;
	uint32_t size = q->page_size;
	char *norm = NULL;
	size_t n = 0;
	int r, rc;

	if (size == 0)
		size = SYNC_LIST_PAGE;
	if (size > SYNC_LIST_MAX)
		size = SYNC_LIST_MAX;
	/* The server's normal form, so that offline search finds the same. */
	r = msg_norm_name(q->search != NULL ? q->search : "", &norm);
	if (r == ERR_INVALID_ARG)
		return sync_refuse(a, TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "customer_list.search", "send UTF-8 text",
		    "the search text is not UTF-8");
	if (r != 0 || (r = sync_prepare(st, sync_sql_customer_list, &s)) != 0)
		goto out;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)q->page_after);
	sqlite3_bind_text(s, 2, q->bu != NULL ? q->bu : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, norm, -1, SQLITE_STATIC);
	/* One more than the page: whether another page follows. */
	sqlite3_bind_int64(s, 4, (sqlite3_int64)size + 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == size) {
			a->customers.next_page_after = list[n - 1]->id;
			break;
		}
		if ((r = sync_unpack(
			 a, s, 0, &tier__customer__descriptor, &m)) != 0)
			goto out;
		if ((grown = reallocarray(list, n + 1, sizeof(*list))) ==
		    NULL) {
			r = ERR_ALLOC;
			goto out;
		}
		list = grown;
		list[n++] = (Tier__Customer *)m;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = ERR_STORE;
out:
	sqlite3_finalize(s);
	free(norm);
	a->arrays[0] = list;
	a->customers.customers = list;
	a->customers.n_customers = n;
	a->resp.body_case = TIER__RESPONSE__BODY_CUSTOMER_LIST;
	a->resp.customer_list = &a->customers;
	return r;
}

/*
 * Unpacks a candidate row of SYNC_RANKED and brings its derived fields up to
 * the copy: ranks, the customer's current name. What the user may do is
 * left out: the copy is for reading.
 */
static int
sync_candidate_row(
    struct sync_answer *a, sqlite3_stmt *s, Tier__Candidate **out)
{
	const unsigned char *name = sqlite3_column_text(s, 3);
	ProtobufCMessage *m;
	Tier__Candidate *k;
	char *copy;
	int r;

	if ((r = sync_unpack(a, s, 0, &tier__candidate__descriptor, &m)) != 0)
		return r;
	k = (Tier__Candidate *)m;
	k->rank_segment = (uint32_t)sqlite3_column_int64(s, 1);
	/* Past the user's segments, the BU's ranking is not in the copy:
	 * keep the server's last word. */
	if (strncmp(a->meta->scope, "segments:", 9) != 0)
		k->rank_bu = (uint32_t)sqlite3_column_int64(s, 2);
	k->n_allowed = 0;
	if (name != NULL && strcmp((const char *)name, k->customer) != 0) {
		/* Unpacked strings belong to the default (malloc) allocator. */
		if ((copy = strdup((const char *)name)) == NULL)
			return ERR_ALLOC;
		if (k->customer != protobuf_c_empty_string)
			free(k->customer);
		k->customer = copy;
	}
	*out = k;
	return 0;
}

static int
sync_answer_candidate_get(
    struct sync_store *st, struct sync_answer *a, uint64_t id)
{
	sqlite3_stmt *s = NULL;
	Tier__Candidate *k = NULL;
	int r, rc;

	if ((r = sync_prepare(st, sync_sql_candidate_get, &s)) != 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	if ((rc = sqlite3_step(s)) == SQLITE_DONE) {
		sqlite3_finalize(s);
		return sync_not_found(
		    a, "candidate", id, "candidate_get.candidate_id");
	}
	r = rc == SQLITE_ROW ? sync_candidate_row(a, s, &k) : ERR_STORE;
	sqlite3_finalize(s);
	if (r != 0)
		return r;
	a->candidate.candidate = k;
	a->resp.body_case = TIER__RESPONSE__BODY_CANDIDATE_GET;
	a->resp.candidate_get = &a->candidate;
	return 0;
}

/* 1 when cycle id is in the copy, 0 when not, or ERR_STORE. */
static int
sync_cycle_known(struct sync_store *st, uint64_t id)
{
	sqlite3_stmt *s = NULL;
	int r, rc;

	if ((r = sync_prepare(st, sync_sql_cycle_known, &s)) != 0)
		return r;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)id);
	rc = sqlite3_step(s);
	r = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : ERR_STORE;
	sqlite3_finalize(s);
	return r;
}

/* Binds the filter of a candidate_list to ?1..?3. */
static void
sync_bind_candidate_filter(sqlite3_stmt *s, const Tier__CandidateListRequest *q)
{
	sqlite3_bind_int64(s, 1, (sqlite3_int64)q->cycle_id);
	sqlite3_bind_text(
	    s, 2, q->segment != NULL ? q->segment : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, (int)q->state);
}

static int
sync_answer_candidate_list(struct sync_store *st, struct sync_answer *a,
    const Tier__CandidateListRequest *q)
{
	Tier__Candidate **list = NULL, **grown, *k;
	sqlite3_stmt *s = NULL;
	uint32_t size = q->page_size;
	size_t n = 0;
	int r, rc;

	if ((r = sync_cycle_known(st, q->cycle_id)) <= 0)
		return r == 0 ? sync_not_found(a, "cycle", q->cycle_id,
				    "candidate_list.cycle_id")
			      : r;
	if (size == 0)
		size = SYNC_LIST_PAGE;
	if (size > SYNC_LIST_MAX)
		size = SYNC_LIST_MAX;
	if ((r = sync_prepare(st, sync_sql_candidate_count, &s)) != 0)
		return r;
	sync_bind_candidate_filter(s, q);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return ERR_STORE;
	}
	a->candidates.total = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);

	if ((r = sync_prepare(st, sync_sql_candidate_list, &s)) != 0)
		return r;
	sync_bind_candidate_filter(s, q);
	sqlite3_bind_int64(s, 4, size);
	sqlite3_bind_int64(s, 5, q->page_offset);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((r = sync_candidate_row(a, s, &k)) != 0)
			goto out;
		if ((grown = reallocarray(list, n + 1, sizeof(*list))) ==
		    NULL) {
			r = ERR_ALLOC;
			goto out;
		}
		list = grown;
		list[n++] = k;
	}
	if (rc != SQLITE_DONE)
		r = ERR_STORE;
out:
	sqlite3_finalize(s);
	a->arrays[0] = list;
	a->candidates.candidates = list;
	a->candidates.n_candidates = n;
	a->resp.body_case = TIER__RESPONSE__BODY_CANDIDATE_LIST;
	a->resp.candidate_list = &a->candidates;
	return r;
}

/* Copies the answer into one Response owned by the caller. */
static int
sync_answer_copy(const Tier__Response *in, Tier__Response **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	if ((r = sync_pack(&in->base, &buf, &len)) != 0)
		return r;
	*out = tier__response__unpack(NULL, len, buf);
	free(buf);
	return *out != NULL ? 0 : ERR_ALLOC;
}

int
sync_store_answer(
    struct sync_store *st, const Tier__Request *req, Tier__Response **resp)
{
	struct sync_answer a;
	struct sync_meta meta;
	size_t i;
	int r;

	memset(&a, 0, sizeof(a));
	tier__response__init(&a.resp);
	tier__cycle_list_response__init(&a.cycles);
	tier__customer_list_response__init(&a.customers);
	tier__candidate_list_response__init(&a.candidates);
	tier__cycle_response__init(&a.cycle);
	tier__customer_response__init(&a.customer);
	tier__candidate_response__init(&a.candidate);
	if ((r = sync_store_meta_get(st, &meta)) != 0)
		return r;
	a.meta = &meta;
	a.resp.id = req->id;

	/* A read sees one state of the copy, even while a sync writes. */
	if ((r = sync_exec(st, "BEGIN")) != 0)
		return r;
	switch (req->body_case) {
	case TIER__REQUEST__BODY_CYCLE_GET:
		r = sync_answer_cycle_get(st, &a, req->cycle_get->cycle_id);
		break;
	case TIER__REQUEST__BODY_CYCLE_LIST:
		r = sync_answer_cycle_list(st, &a, req->cycle_list->bu);
		break;
	case TIER__REQUEST__BODY_CUSTOMER_GET:
		r = sync_answer_customer_get(
		    st, &a, req->customer_get->customer_id);
		break;
	case TIER__REQUEST__BODY_CUSTOMER_LIST:
		r = sync_answer_customer_list(st, &a, req->customer_list);
		break;
	case TIER__REQUEST__BODY_CANDIDATE_GET:
		r = sync_answer_candidate_get(
		    st, &a, req->candidate_get->candidate_id);
		break;
	case TIER__REQUEST__BODY_CANDIDATE_LIST:
		r = sync_answer_candidate_list(st, &a, req->candidate_list);
		break;
	default:
		r = ERR_INVALID_ARG;
	}
	sync_exec(st, "COMMIT");
	if (r == 0)
		r = sync_answer_copy(&a.resp, resp);
	for (i = 0; i < a.nowned; i++)
		protobuf_c_message_free_unpacked(a.owned[i], NULL);
	free(a.owned);
	for (i = 0; i < sizeof(a.arrays) / sizeof(a.arrays[0]); i++)
		free(a.arrays[i]);
	return r;
}

/* --offline -----------------------------------------------------------------*/

/* Reports a local problem the way a server's error is reported. Returns the
 * exit code. */
static int sync_report(const struct cfg *c, Tier__ErrorCode code,
    const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
sync_report(const struct cfg *c, Tier__ErrorCode code, const char *hint,
    const char *fmt, ...)
{
	Tier__Error e = TIER__ERROR__INIT;
	char message[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	e.code = code;
	e.message = message;
	e.hint = (char *)(hint != NULL ? hint : "");
	return output_server_error(c->output, &e);
}

/* 1 when req is the first (or only) page of its answer. */
static int
sync_first_page(const Tier__Request *req)
{
	switch (req->body_case) {
	case TIER__REQUEST__BODY_CUSTOMER_LIST:
		return req->customer_list->page_after == 0;
	case TIER__REQUEST__BODY_CANDIDATE_LIST:
		return req->candidate_list->page_offset == 0;
	default:
		return 1;
	}
}

/*
 * Where the local copy of c->server lives: its canonical address and path
 * (heap strings the caller frees). Problems are reported. Returns 0 or an
 * exit code.
 */
static int
sync_locate(const struct cfg *c, char **address, char **path)
{
	char *host = NULL, *port = NULL, *dir = NULL;
	const char *why = NULL;
	int r, ex = EXIT_OTHER;

	*address = *path = NULL;
	if (c->server == NULL) {
		output_error("use --server HOST:PORT, set TIER_SERVER, or put "
			     "server = HOST:PORT under [client] in the config "
			     "file",
		    "no server configured: the local copy is per server");
		return EXIT_USAGE;
	}
	r = conn_parse_address(c->server, &host, &port, address, &why);
	free(host);
	free(port);
	if (r == ERR_INVALID_ARG) {
		output_error("write HOST:PORT or [IPV6]:PORT",
		    "bad server address '%s': %s", c->server, why);
		return EXIT_USAGE;
	}
	if (r != 0)
		return output_oom();
	if ((r = sync_dir(&dir)) == ERR_CONFIG) {
		output_error("set TIER_DATA_DIR",
		    "cannot find a home directory for the local copy");
		ex = EXIT_USAGE;
	} else if (r != 0 || sync_path(dir, *address, path) != 0)
		ex = output_oom();
	else
		ex = 0;
	free(dir);
	if (ex != 0) {
		free(*address);
		*address = NULL;
	}
	return ex;
}

/*
 * Opens the local copy at path, making it (and its directory) when create is
 * set. Problems other than a missing copy are reported. Returns 0,
 * EXIT_NOT_FOUND (no copy, or one another version of tier made) or another
 * exit code.
 */
static int
sync_open_path(const char *path, int create, struct sync_store **st)
{
	int r;

	if ((r = sync_store_open(path, create, st)) == 0)
		return 0;
	if (r == ERR_NOT_FOUND)
		return EXIT_NOT_FOUND;
	if (r == ERR_SYSTEM)
		output_error("the local copy must be a file only you can "
			     "read, in a directory only you can enter",
		    "cannot %s the local copy %s: %s", create ? "make" : "open",
		    path, strerror(errno));
	else if (r == ERR_STORE)
		output_error("remove it, then run tier sync to copy "
			     "everything again",
		    "the local copy %s is damaged or not a tier copy", path);
	else
		output_error(NULL, "cannot open the local copy %s: %s", path,
		    err_str(r));
	return EXIT_OTHER;
}

/*
 * Opens the local copy of c->server for reading and checks that it is one:
 * synced at least once, for this server, with this client's key. Problems
 * are reported. Returns 0 with *out and *meta set, or an exit code.
 */
static int
sync_open_copy(
    const struct cfg *c, struct sync_store **out, struct sync_meta *meta)
{
	struct sync_store *st = NULL;
	struct keypair *kp = NULL;
	char *address = NULL, *path = NULL, hint[256];
	int ex;

	if ((ex = sync_locate(c, &address, &path)) != 0)
		return ex;
	ex = sync_open_path(path, 0, &st);
	if (ex == 0 &&
	    (sync_store_meta_get(st, meta) != 0 || meta->synced_at == 0 ||
		strcmp(meta->server, address) != 0))
		ex = EXIT_NOT_FOUND;
	if (ex == EXIT_NOT_FOUND) {
		snprintf(hint, sizeof(hint),
		    "tier sync makes one (it needs %s once), or leave out "
		    "--offline",
		    address);
		ex = sync_report(c, TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND,
		    hint, "no local copy for %s; run tier sync", address);
	}
	if (ex != 0)
		goto out;
	/* Another identity's copy may see other things: not ours to show. */
	if ((ex = conn_key_load(c, &kp, 0, NULL)) != 0)
		goto out;
	if (meta->has_client_key &&
	    memcmp(meta->client_key, kp->pub, KEYS_LEN) != 0) {
		ex = sync_report(c,
		    TIER__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED,
		    "tier sync replaces it with a copy for this key",
		    "the local copy of %s was made for another key (user %s); "
		    "run tier sync",
		    address, meta->user);
		goto out;
	}
	*out = st;
	st = NULL;
out:
	keys_free(kp);
	sync_store_close(st);
	free(address);
	free(path);
	return ex;
}

int
sync_call(const struct cfg *c, struct conn **conn, Tier__Request *req,
    Tier__Response **resp)
{
	struct sync_store *st = NULL;
	struct sync_meta meta;
	char when[OUTPUT_TIME_SIZE], age[32];
	int r, ex;

	if (conn != NULL)
		return cmd_call(c, conn, req, resp);
	if ((ex = sync_open_copy(c, &st, &meta)) != 0)
		return ex;
	if (sync_first_page(req)) {
		output_time(meta.synced_at, when);
		output_duration(time(NULL) - meta.synced_at, age, sizeof(age));
		output_note("offline: local copy of %s as of %s (%s ago, "
			    "seq %llu)",
		    meta.server, when, age, (unsigned long long)meta.last_seq);
	}
	r = sync_store_answer(st, req, resp);
	if (r == ERR_STORE)
		output_error("run tier sync --full to copy everything again",
		    "cannot read the local copy: %s", sync_store_errmsg(st));
	else if (r == ERR_INVALID_ARG)
		output_error(NULL, "this command cannot run --offline");
	else if (r != 0)
		output_error(
		    NULL, "cannot read the local copy: %s", err_str(r));
	sync_store_close(st);
	if (r != 0)
		return EXIT_OTHER;
	if ((*resp)->error != NULL) {
		ex = output_server_error(c->output, (*resp)->error);
		tier__response__free_unpacked(*resp, NULL);
		*resp = NULL;
		return ex != EXIT_OK ? ex : EXIT_OTHER;
	}
	return 0;
}

int
sync_parse_plain(const struct cmd_entry *self, int argc, char **argv,
    struct cfg *c, int min, int max, int *offline)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		SYNC_OFFLINE_OPTION, { NULL, 0, NULL, 0 } };
	int ch, r;

	*offline = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cmd_print_help(stdout, self);
		if (ch == SYNC_OPT_OFFLINE) {
			*offline = 1;
			continue;
		}
		if ((r = cmd_option(self, ch, argv, c)) != 0)
			return r;
	}
	if (argc - optind < min)
		return cmd_usage_error(self, "missing an argument");
	if (argc - optind > max)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind + max]);
	if ((r = cmd_configure(c)) != 0)
		return r;
	return CMD_CONTINUE;
}

/* tier sync -----------------------------------------------------------------*/

/* One run of tier sync. */
struct sync_run {
	const struct cfg *c;   /* settings */
	struct conn *conn;     /* to the server */
	struct sync_store *st; /* the local copy */
	struct sync_meta meta; /* as it will be written */
	const char *address;   /* canonical host:port */
	const char *mode;      /* "changes" or "full" */
	char reason[256];      /* why everything was copied */
	unsigned requests;     /* requests sent */
	uint64_t events;       /* events read */
	uint64_t applied;      /* events that changed the copy */
	uint64_t from_seq;     /* last_seq before this run */
	uint64_t head_seq;     /* the server's newest seq, last heard */
};

/* Returned by sync_changes when everything must be copied again. */
#define SYNC_NEED_FULL (-1000)

/* Reports the error answer resp and frees it. Returns the exit code. */
static int
sync_rpc_error(struct sync_run *run, Tier__Response *resp)
{
	Tier__ErrorCode code = resp->error->code;
	int ex;

	if (code == TIER__ERROR_CODE__ERROR_CODE_UNSUPPORTED)
		ex = sync_report(run->c, code,
		    "tier sync needs a tierd that keeps the change feed",
		    "%s cannot serve tier sync: %s", run->address,
		    resp->error->message);
	else
		ex = output_server_error(run->c->output, resp->error);
	tier__response__free_unpacked(resp, NULL);
	return ex != EXIT_OK ? ex : EXIT_OTHER;
}

/*
 * Sends req and waits for its answer, counting it. A transport failure is
 * reported; so is an error answer, unless quiet (the caller looks at
 * (*resp)->error). Returns 0 with *resp set, or an exit code.
 */
static int
sync_rpc(
    struct sync_run *run, Tier__Request *req, Tier__Response **resp, int quiet)
{
	int r;

	run->requests++;
	if ((r = conn_roundtrip(run->conn, req, resp)) != 0) {
		if (r == ERR_TIMEOUT)
			output_error("the local copy keeps what was applied; "
				     "run tier sync again to go on",
			    "%s did not answer in time", run->address);
		else
			output_error("the local copy keeps what was applied; "
				     "run tier sync again to go on",
			    "lost the connection to %s: %s", run->address,
			    err_str(r));
		return EXIT_CONNECT;
	}
	if ((*resp)->error == NULL || quiet)
		return 0;
	r = sync_rpc_error(run, *resp);
	*resp = NULL;
	return r;
}

/* Reports a failure of the local store. Returns EXIT_OTHER. */
static int
sync_store_failed(struct sync_run *run, int r)
{
	if (r == ERR_STORE && sqlite3_errcode(run->st->db) == SQLITE_BUSY)
		output_error("wait for it to finish, then try again",
		    "another tier sync is updating the local copy");
	else if (r == ERR_STORE)
		output_error("remove the file and run tier sync again",
		    "cannot write the local copy %s: %s", run->st->path,
		    sqlite3_errmsg(run->st->db));
	else if (r == ERR_ALLOC)
		return output_oom();
	else
		output_error(NULL, "cannot write the local copy %s: %s",
		    run->st->path, err_str(r));
	return EXIT_OTHER;
}

/* The feed's head, from ping. Returns 0 or an exit code. */
static int
sync_ping(struct sync_run *run, uint64_t *head)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__PingRequest body = TIER__PING_REQUEST__INIT;
	Tier__Response *resp = NULL;
	int ex;

	req.body_case = TIER__REQUEST__BODY_PING;
	req.ping = &body;
	if ((ex = sync_rpc(run, &req, &resp, 0)) != 0)
		return ex;
	*head = resp->ping->head_seq;
	tier__response__free_unpacked(resp, NULL);
	return 0;
}

/* Who the user is, into run->meta. Returns 0 or an exit code. */
static int
sync_whoami(struct sync_run *run)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__WhoamiRequest body = TIER__WHOAMI_REQUEST__INIT;
	Tier__Response *resp = NULL;
	const Tier__User *u;
	int ex;

	req.body_case = TIER__REQUEST__BODY_WHOAMI;
	req.whoami = &body;
	if ((ex = sync_rpc(run, &req, &resp, 0)) != 0)
		return ex;
	if ((u = resp->whoami->user) != NULL) {
		snprintf(run->meta.user, sizeof(run->meta.user), "%s", u->name);
		run->meta.role = u->role;
		snprintf(
		    run->meta.scope, sizeof(run->meta.scope), "%s", u->scope);
	}
	tier__response__free_unpacked(resp, NULL);
	return 0;
}

/* Copies every visible customer, page by page. Returns 0 or an exit code. */
static int
sync_copy_customers(struct sync_run *run)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CustomerListRequest body = TIER__CUSTOMER_LIST_REQUEST__INIT;
	Tier__Response *resp = NULL;
	size_t i;
	int r, ex;

	req.body_case = TIER__REQUEST__BODY_CUSTOMER_LIST;
	req.customer_list = &body;
	body.page_size = SYNC_PAGE;
	do {
		if ((ex = sync_rpc(run, &req, &resp, 0)) != 0)
			return ex;
		for (i = 0; i < resp->customer_list->n_customers; i++) {
			r = sync_store_put_customer(run->st,
			    resp->customer_list->customers[i], 0, NULL);
			if (r != 0) {
				tier__response__free_unpacked(resp, NULL);
				return sync_store_failed(run, r);
			}
		}
		/* A server repeating a page would loop: ids only grow. */
		if (resp->customer_list->next_page_after <= body.page_after)
			body.page_after = 0;
		else
			body.page_after = resp->customer_list->next_page_after;
		tier__response__free_unpacked(resp, NULL);
	} while (body.page_after != 0);
	return 0;
}

/* Copies every visible candidate of a cycle. Returns 0 or an exit code. */
static int
sync_copy_candidates(struct sync_run *run, uint64_t cycle_id)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CandidateListRequest body = TIER__CANDIDATE_LIST_REQUEST__INIT;
	Tier__Response *resp = NULL;
	uint32_t got = 0, total, n;
	size_t i;
	int r, ex;

	req.body_case = TIER__REQUEST__BODY_CANDIDATE_LIST;
	req.candidate_list = &body;
	body.cycle_id = cycle_id;
	body.page_size = SYNC_PAGE;
	do {
		body.page_offset = got;
		if ((ex = sync_rpc(run, &req, &resp, 0)) != 0)
			return ex;
		for (i = 0; i < resp->candidate_list->n_candidates; i++) {
			r = sync_store_put_candidate(run->st,
			    resp->candidate_list->candidates[i], 0, NULL);
			if (r != 0) {
				tier__response__free_unpacked(resp, NULL);
				return sync_store_failed(run, r);
			}
		}
		total = resp->candidate_list->total;
		n = (uint32_t)resp->candidate_list->n_candidates;
		got += n;
		tier__response__free_unpacked(resp, NULL);
	} while (n > 0 && got < total);
	return 0;
}

/*
 * Copies everything the user sees, replacing the copy in one transaction:
 * the feed's head first, so that what changes while the lists are read is
 * read again from the feed next time. Returns 0 or an exit code.
 */
static int
sync_full(struct sync_run *run)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CycleListRequest body = TIER__CYCLE_LIST_REQUEST__INIT;
	Tier__Response *cycles = NULL;
	uint64_t head = 0;
	size_t i;
	int r, ex;

	run->mode = "full";
	if ((ex = sync_ping(run, &head)) != 0 || (ex = sync_whoami(run)) != 0)
		return ex;
	if ((r = sync_store_begin(run->st)) != 0)
		return sync_store_failed(run, r);
	if ((r = sync_store_clear(run->st)) != 0) {
		ex = sync_store_failed(run, r);
		goto out;
	}
	req.body_case = TIER__REQUEST__BODY_CYCLE_LIST;
	req.cycle_list = &body;
	if ((ex = sync_rpc(run, &req, &cycles, 0)) != 0)
		goto out;
	for (i = 0; i < cycles->cycle_list->n_cycles; i++) {
		r = sync_store_put_cycle(
		    run->st, cycles->cycle_list->cycles[i], 0, NULL);
		if (r != 0) {
			ex = sync_store_failed(run, r);
			goto out;
		}
	}
	if ((ex = sync_copy_customers(run)) != 0)
		goto out;
	for (i = 0; i < cycles->cycle_list->n_cycles; i++) {
		ex = sync_copy_candidates(
		    run, cycles->cycle_list->cycles[i]->id);
		if (ex != 0)
			goto out;
	}
	run->meta.last_seq = head;
	run->meta.head_seq = run->head_seq = head;
	run->meta.synced_at = run->meta.full_at = time(NULL);
	if ((r = sync_store_meta_put(run->st, &run->meta)) != 0 ||
	    (r = sync_store_commit(run->st)) != 0)
		ex = sync_store_failed(run, r);
out:
	if (cycles != NULL)
		tier__response__free_unpacked(cycles, NULL);
	sync_store_rollback(run->st);
	return ex;
}

/* Applies one event's record to the copy. Returns 0 or an ERR_* code. */
static int
sync_apply(struct sync_run *run, const Tier__Event *ev)
{
	int r = 0, written = 0;

	if (ev->candidate != NULL)
		r = sync_store_put_candidate(
		    run->st, ev->candidate, ev->seq, &written);
	else if (ev->customer != NULL)
		r = sync_store_put_customer(
		    run->st, ev->customer, ev->seq, &written);
	else if (ev->cycle != NULL)
		r = sync_store_put_cycle(run->st, ev->cycle, ev->seq, &written);
	/* Users, units, delegations: not part of the copy. */
	run->events++;
	if (written)
		run->applied++;
	return r;
}

/*
 * Reads the feed after the copy's last seq and applies it, one committed
 * transaction per batch, so that a link lost half-way keeps what arrived.
 * Returns 0, SYNC_NEED_FULL (run->reason says why) or an exit code.
 */
static int
sync_changes(struct sync_run *run)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__FeedReadRequest body = TIER__FEED_READ_REQUEST__INIT;
	Tier__FeedFilter filter = TIER__FEED_FILTER__INIT;
	Tier__Response *resp = NULL;
	const Tier__FeedReadResponse *f;
	uint64_t head = 0;
	size_t i;
	int r, ex, more;

	run->mode = "changes";
	req.body_case = TIER__REQUEST__BODY_FEED_READ;
	req.feed_read = &body;
	body.filter = &filter;
	body.limit = SYNC_FEED_LIMIT;
	do {
		body.after_seq = run->meta.last_seq;
		if ((ex = sync_rpc(run, &req, &resp, 1)) != 0)
			return ex;
		if (resp->error != NULL) {
			/* Perhaps the copy is ahead of the server's head: a
			 * server restored from a backup. */
			if (resp->error->code !=
				TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST ||
			    (ex = sync_ping(run, &head)) != 0 ||
			    head >= run->meta.last_seq)
				return ex != 0 ? ex : sync_rpc_error(run, resp);
			tier__response__free_unpacked(resp, NULL);
			snprintf(run->reason, sizeof(run->reason),
			    "the server's feed (seq %llu) is behind the local "
			    "copy (seq %llu): restored from a backup?",
			    (unsigned long long)head,
			    (unsigned long long)run->meta.last_seq);
			return SYNC_NEED_FULL;
		}
		f = resp->feed_read;
		run->head_seq = f->head_seq;
		if (f->resync_required || f->head_seq < run->meta.last_seq) {
			if (f->resync_required)
				snprintf(run->reason, sizeof(run->reason),
				    "the server keeps changes from seq %llu "
				    "on; the local copy is at seq %llu",
				    (unsigned long long)f->oldest_resumable,
				    (unsigned long long)run->meta.last_seq);
			else
				snprintf(run->reason, sizeof(run->reason),
				    "the server's feed (seq %llu) is behind "
				    "the local copy (seq %llu): restored "
				    "from a backup?",
				    (unsigned long long)f->head_seq,
				    (unsigned long long)run->meta.last_seq);
			tier__response__free_unpacked(resp, NULL);
			return SYNC_NEED_FULL;
		}
		if ((r = sync_store_begin(run->st)) != 0) {
			tier__response__free_unpacked(resp, NULL);
			return sync_store_failed(run, r);
		}
		for (i = 0, r = 0; r == 0 && i < f->n_events; i++)
			r = sync_apply(run, f->events[i]);
		if (f->last_seq > run->meta.last_seq)
			run->meta.last_seq = f->last_seq;
		for (i = 0; i < f->n_events; i++) {
			if (f->events[i]->seq > run->meta.last_seq)
				run->meta.last_seq = f->events[i]->seq;
		}
		run->meta.head_seq = f->head_seq;
		run->meta.synced_at = time(NULL);
		if (r == 0 &&
		    (r = sync_store_meta_put(run->st, &run->meta)) == 0)
			r = sync_store_commit(run->st);
		/* A batch of only invisible events still moves last_seq;
		 * no progress at all would loop forever. */
		more = f->more && run->meta.last_seq > body.after_seq;
		tier__response__free_unpacked(resp, NULL);
		resp = NULL;
		if (r != 0) {
			ex = sync_store_failed(run, r);
			sync_store_rollback(run->st);
			return ex;
		}
	} while (more);
	return 0;
}

/* Prints what a run did: one line, or {"sync": {...}}. */
static int
sync_print(struct sync_run *run, int status_only)
{
	const struct sync_meta *m = &run->meta;
	uint64_t ncycles = 0, ncustomers = 0, ncandidates = 0;
	char when[OUTPUT_TIME_SIZE], age[32];
	int r, up_to_date;
	json_t *doc;

	if ((r = sync_store_counts(
		 run->st, &ncycles, &ncustomers, &ncandidates)) != 0)
		return sync_store_failed(run, r);
	up_to_date = !status_only && strcmp(run->mode, "changes") == 0 &&
		     run->events == 0 && m->last_seq >= run->head_seq;
	output_time(m->synced_at, when);
	output_duration(time(NULL) - m->synced_at, age, sizeof(age));
	if (run->c->output == CFG_OUTPUT_JSON) {
		doc = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:I, "
				"s:I, s:I, s:I, s:I, s:I, s:b, s:o, s:o, s:I, "
				"s:I, s:I}}",
		    "sync", "server", m->server, "path", run->st->path, "user",
		    m->user, "role", msg_role_name(m->role), "scope", m->scope,
		    "mode", status_only ? json_null() : json_string(run->mode),
		    "reason",
		    run->reason[0] != '\0' ? json_string(run->reason)
					   : json_null(),
		    "requests", (json_int_t)run->requests, "events",
		    (json_int_t)run->events, "events_applied",
		    (json_int_t)run->applied, "from_seq",
		    (json_int_t)run->from_seq, "last_seq",
		    (json_int_t)m->last_seq, "head_seq",
		    (json_int_t)m->head_seq, "up_to_date", up_to_date,
		    "synced_at", output_json_time(m->synced_at), "full_at",
		    output_json_time(m->full_at), "cycles", (json_int_t)ncycles,
		    "customers", (json_int_t)ncustomers, "candidates",
		    (json_int_t)ncandidates);
		return output_json_print(doc) == 0 ? EXIT_OK : EXIT_OTHER;
	}
	if (status_only) {
		output_field(stdout, "server", m->server);
		output_field(stdout, "local copy", run->st->path);
		if (m->scope[0] != '\0')
			output_fieldf(stdout, "user", "%s (%s, %s)", m->user,
			    msg_role_name(m->role), m->scope);
		else
			output_fieldf(stdout, "user", "%s (%s)", m->user,
			    msg_role_name(m->role));
		output_fieldf(stdout, "synced", "%s (%s ago)", when, age);
		output_fieldf(
		    stdout, "seq", "%llu", (unsigned long long)m->last_seq);
		output_fieldf(stdout, "records",
		    "%llu cycle%s, %llu customer%s, %llu candidate%s",
		    (unsigned long long)ncycles, ncycles == 1 ? "" : "s",
		    (unsigned long long)ncustomers, ncustomers == 1 ? "" : "s",
		    (unsigned long long)ncandidates,
		    ncandidates == 1 ? "" : "s");
		return EXIT_OK;
	}
	if (strcmp(run->mode, "full") == 0) {
		printf("copied %llu cycle%s, %llu customer%s and %llu "
		       "candidate%s from %s at seq %llu (%s; %u request%s)\n",
		    (unsigned long long)ncycles, ncycles == 1 ? "" : "s",
		    (unsigned long long)ncustomers, ncustomers == 1 ? "" : "s",
		    (unsigned long long)ncandidates,
		    ncandidates == 1 ? "" : "s", m->server,
		    (unsigned long long)m->last_seq, run->reason, run->requests,
		    run->requests == 1 ? "" : "s");
	} else if (up_to_date) {
		printf("up to date: %s at seq %llu (%u request%s)\n", m->server,
		    (unsigned long long)m->last_seq, run->requests,
		    run->requests == 1 ? "" : "s");
	} else {
		printf("applied %llu change%s from %s, seq %llu to %llu (%u "
		       "request%s)\n",
		    (unsigned long long)run->applied,
		    run->applied == 1 ? "" : "s", m->server,
		    (unsigned long long)run->from_seq,
		    (unsigned long long)m->last_seq, run->requests,
		    run->requests == 1 ? "" : "s");
	}
	return EXIT_OK;
}

/* tier sync --status: what the copy holds, without the network. */
static int
sync_status(const struct cfg *c)
{
	struct sync_run run;
	char *address = NULL, *path = NULL;
	int ex;

	memset(&run, 0, sizeof(run));
	run.c = c;
	if ((ex = sync_locate(c, &address, &path)) != 0)
		return ex;
	ex = sync_open_path(path, 0, &run.st);
	if (ex == 0 && (sync_store_meta_get(run.st, &run.meta) != 0 ||
			   run.meta.synced_at == 0))
		ex = EXIT_NOT_FOUND;
	if (ex == EXIT_NOT_FOUND)
		ex = sync_report(c, TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND,
		    "tier sync makes one",
		    "no local copy for %s; run tier sync", address);
	if (ex == 0)
		ex = sync_print(&run, 1);
	sync_store_close(run.st);
	free(address);
	free(path);
	return ex;
}

int
cmd_sync_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "full", no_argument, NULL, SYNC_OPT_FULL },
		{ "status", no_argument, NULL, SYNC_OPT_STATUS },
		{ NULL, 0, NULL, 0 } };
	struct sync_run run;
	struct keypair *kp = NULL;
	char *dir = NULL, *path = NULL;
	int ch, r, ex, full = 0, status = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case SYNC_OPT_FULL:
			full = 1;
			break;
		case SYNC_OPT_STATUS:
			status = 1;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (optind != argc)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind]);
	if (full && status)
		return cmd_usage_error(self, "--full and --status exclude "
					     "each other");
	if ((r = cmd_configure(c)) != 0)
		return r;
	if (status)
		return sync_status(c);

	memset(&run, 0, sizeof(run));
	run.c = c;
	if ((ex = conn_key_load(c, &kp, 0, NULL)) != 0 ||
	    (ex = conn_open(&run.conn, c, kp)) != 0)
		goto out;
	run.address = conn_address(run.conn);
	if ((r = sync_dir(&dir)) == ERR_CONFIG) {
		output_error("set TIER_DATA_DIR",
		    "cannot find a home directory for the local copy");
		ex = EXIT_USAGE;
		goto out;
	}
	if (r != 0 || sync_path(dir, run.address, &path) != 0) {
		ex = output_oom();
		goto out;
	}
	if ((ex = sync_open_path(path, 1, &run.st)) != 0)
		goto out;
	if ((r = sync_store_meta_get(run.st, &run.meta)) != 0) {
		ex = sync_store_failed(&run, r);
		goto out;
	}
	run.from_seq = run.meta.last_seq;

	/* A copy made for another server or key starts again. */
	if (full)
		snprintf(run.reason, sizeof(run.reason), "--full");
	else if (run.meta.synced_at == 0 ||
		 strcmp(run.meta.server, run.address) != 0)
		snprintf(run.reason, sizeof(run.reason), "first sync");
	else if (!run.meta.has_client_key ||
		 memcmp(run.meta.client_key, kp->pub, KEYS_LEN) != 0)
		snprintf(run.reason, sizeof(run.reason),
		    "the copy was made for another key (user %s)",
		    run.meta.user);
	else if (!run.meta.has_server_key ||
		 memcmp(run.meta.server_key, conn_server_key(run.conn),
		     KEYS_LEN) != 0)
		snprintf(
		    run.reason, sizeof(run.reason), "the server's key changed");
	if (run.reason[0] != '\0') {
		/* Nothing of the old copy's identity carries over. */
		memset(&run.meta, 0, sizeof(run.meta));
		run.from_seq = 0;
	}
	snprintf(run.meta.server, sizeof(run.meta.server), "%s", run.address);
	memcpy(run.meta.client_key, kp->pub, KEYS_LEN);
	run.meta.has_client_key = 1;
	memcpy(run.meta.server_key, conn_server_key(run.conn), KEYS_LEN);
	run.meta.has_server_key = 1;

	ex = run.reason[0] != '\0' ? SYNC_NEED_FULL : sync_changes(&run);
	if (ex == SYNC_NEED_FULL)
		ex = sync_full(&run);
	if (ex == 0)
		ex = sync_print(&run, 0);
out:
	keys_free(kp);
	sync_store_close(run.st);
	conn_free(run.conn);
	free(dir);
	free(path);
	return ex;
}
