/*
 * The private side of the SQLite store, shared by store.c (database, schema,
 * transactions, users) and the store_*.c files that hold the queries of one
 * domain each. Only store*.c include it: nothing else knows the engine.
 */
#ifndef TIERD_STORE_DB_H
#define TIERD_STORE_DB_H

#include <sqlite3.h>

#include "tierd.h"

/*
 * Returns the prepared statement for sql, reset and with its bindings
 * cleared, preparing it on first use. sql must be a string with static
 * storage: the cache is keyed by its address. NULL on failure (logged).
 */
sqlite3_stmt *store_sql(struct store *st, const char *sql);

/*
 * Steps a statement that returns no rows and resets it. Returns 0,
 * ERR_EXISTS for a UNIQUE or PRIMARY KEY violation, ERR_STORE otherwise
 * (logged with what).
 */
int store_run(struct store *st, sqlite3_stmt *s, const char *what);

/*
 * Steps a statement expected to return at most one row. Returns 1 with the
 * row available, 0 when there is none (the statement is reset then), or
 * ERR_STORE (logged with what). After a 1, the caller reads the columns and
 * calls sqlite3_reset.
 */
int store_row(struct store *st, sqlite3_stmt *s, const char *what);

/*
 * The virtual-machine steps of every statement since the last call (which
 * it counts from): what queries cost, whatever the machine's speed. Tests
 * use it to show that a lookup does not grow with the tables.
 */
uint64_t store_vm_steps(struct store *st);

/*
 * The write-ahead log (store_wal.c). COMMIT checkpoints it inline once it
 * holds STORE_WAL_LIMIT pages (32 MiB): a page changed by many batches is
 * copied once. store_wal_start moves the checkpoints before that to a thread
 * of its own, with a second connection to db's file; store_wal_stop ends it
 * (NULL is allowed) and gives db SQLite's automatic checkpoints back.
 */
#define STORE_WAL_LIMIT 8192
struct store_wal;
int store_wal_start(
    sqlite3 *db, struct store_wal **out, char *why, size_t why_len);
void store_wal_stop(sqlite3 *db, struct store_wal *w);
/* The checkpoints w's thread, and COMMIT, have completed; 0 for NULL. */
void store_wal_counts(
    struct store_wal *w, uint64_t *background, uint64_t *inline_);

/*
 * The VFS the store opens its database through (store_vfs.c): the system's,
 * with the writes of the write-ahead log gathered into few. NULL, the
 * default VFS, if it could not be registered.
 */
const char *store_vfs(void);
/* The log writes of a connection opened through it. */
struct store_vfs_counts {
	uint64_t asked;   /* writes SQLite asked for */
	uint64_t written; /* writes made to the file */
	uint64_t late;    /* flushes left for the commit's barrier: 0 while
			   * SQLite writes the log as store_vfs.c expects */
};
void store_vfs_counts(sqlite3 *db, struct store_vfs_counts *out);
/* The same for st's connection. */
void store_log_writes(struct store *st, struct store_vfs_counts *out);

/* Logs the engine's last error for what and returns ERR_STORE. */
int store_fail(struct store *st, const char *what);

/* Copies a text column into dst, truncating; NULL reads as "". */
void store_copy_text(char *dst, size_t dst_len, sqlite3_stmt *s, int col);

/* The text of column col ("" for NULL), valid until the statement steps or
 * is reset. */
const char *store_text(sqlite3_stmt *s, int col);

/* The text of column col duplicated into the arena ("" for NULL). */
char *store_arena_text(struct arena *a, sqlite3_stmt *s, int col);

/*
 * Every unit, as store_org.c last read them: the organisation is read by
 * every request (scopes) and changes rarely. valid is cleared by a unit
 * insert and by every rollback, which may undo one.
 */
struct store_units {
	struct store_unit *v; /* malloc'd */
	size_t n;
	int valid;
};

struct store_units *store_units(struct store *st);

/*
 * Candidate ranks kept in memory (store_rank.c): the loaded cycles, most
 * recently asked about first, and the undo log of the open transaction with
 * a mark per open savepoint.
 */
#define STORE_RANK_CYCLES 32 /* cycles kept loaded; the oldest asked go */
struct store_ranks {
	struct rank_cycle *cycles;
	size_t ncycles;
	struct rank_undo *log;
	size_t nlog, caplog;
	size_t *marks;
	size_t nmarks, capmarks;
};

struct store_ranks *store_rank_state(struct store *st);
/* 1 inside a write transaction, which a rollback may undo; 0 outside one
 * (each statement commits at once) or in a read snapshot. */
int store_writing(struct store *st);

/* Sets c's ranks, reading its cycle first if needed; 0 or ERR_*. */
int store_rank_get(struct store *st, struct store_candidate *c);
/* After a candidate changed from old to c in the database. */
int store_rank_moved(struct store *st, const struct store_candidate *old,
    const struct store_candidate *c);
/* After a statement changed many candidates of a cycle. */
void store_rank_forget(struct store *st, int64_t cycle_id);
/* Whether a cycle's ranks are loaded, for tests. */
int store_rank_loaded(struct store *st, int64_t cycle_id);
/* The transaction hooks of store.c. */
int store_rank_savepoint(struct store *st);
void store_rank_release(struct store *st);
void store_rank_rollback_to(struct store *st);
void store_rank_end(struct store *st, int committed);
void store_rank_free(struct store_ranks *rk);

/* The row id of the last INSERT and the rows changed by the last statement. */
int64_t store_last_id(struct store *st);
int store_changes(struct store *st);

#endif
