/*
 * Checkpoints beside the event loop. Every COMMIT appends the pages it changed
 * to the write-ahead log; a checkpoint copies them into the database and
 * syncs it. Run inline by the committing connection, as SQLite's automatic
 * checkpoint is, that stalls every request for the copy and the database's
 * fsync: under a full load of SCOREs some 13 ms five times a second, most of
 * their p99.
 *
 * Here a thread with its own connection checkpoints each time the log has
 * grown by STORE_WAL_STEP pages, while the loop goes on committing. The log
 * can only start again from its beginning when a transaction begins after a
 * checkpoint that copied all of it, which a checkpoint running beside the
 * commits seldom does; so at STORE_WAL_LIMIT pages COMMIT still checkpoints
 * inline, with only the pages since the thread's last copy left to do. If the
 * thread is copying just then, COMMIT does not wait (that stalled the loop
 * for the thread's whole copy and sync, up to tens of milliseconds): it holds
 * the thread from starting another, and the next COMMIT checkpoints. The log
 * grows past the limit by what the loop commits during one copy of the
 * thread's at most.
 *
 * The thread's connection keeps SQLite's default synchronous=FULL: it syncs
 * the log before it copies from it, so no page reaches the database before
 * the log that holds it is durable, whoever syncs the loop's COMMITs.
 */
#include "store_db.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STORE_WAL_STEP 512 /* pages of log between background checkpoints */

struct store_wal {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	sqlite3 *db; /* the thread's connection */
	int asked;   /* a checkpoint is wanted (under lock) */
	int stop;    /* the thread is to end (under lock) */
	int hold;    /* COMMIT wants the next checkpoint (under lock) */
	int error;   /* the last failure's result code, or 0 (under lock) */
	int next;    /* log pages at which to ask again (loop only) */
	uint64_t background; /* checkpoints the thread ran (under lock) */
	uint64_t inline_;    /* checkpoints COMMIT ran (loop only) */
};

static void *
store_wal_main(void *arg)
{
	struct store_wal *w = arg;
	int rc;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while ((!w->asked || w->hold) && !w->stop)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->stop)
			break;
		w->asked = 0;
		pthread_mutex_unlock(&w->lock);
		/* SQLITE_BUSY: the loop's connection is checkpointing. */
		rc = sqlite3_wal_checkpoint_v2(
		    w->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&w->lock);
		if (rc == SQLITE_OK)
			w->background++;
		else if (rc != SQLITE_BUSY)
			w->error = rc;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/*
 * COMMIT's checkpoint at the limit. SQLITE_BUSY means the thread holds the
 * checkpoint lock: it is held from starting another until a COMMIT has
 * checkpointed (another process checkpointing is busy too, and passes).
 */
static void
store_wal_limit(struct store_wal *w, sqlite3 *db, const char *name)
{
	int rc = sqlite3_wal_checkpoint_v2(
	    db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return;
	if (rc == SQLITE_OK)
		w->inline_++;
	pthread_mutex_lock(&w->lock);
	w->hold = rc == SQLITE_BUSY;
	if (!w->hold)
		pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

/* Called by SQLite after each COMMIT of the loop's connection, with the size
 * of the log in pages. */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store_wal *w = arg;
	int error;

	if (pages >= STORE_WAL_LIMIT) {
		store_wal_limit(w, db, name);
		return SQLITE_OK;
	}
	if (pages < w->next - STORE_WAL_STEP) /* the log started again */
		w->next = STORE_WAL_STEP;
	if (pages < w->next)
		return SQLITE_OK;
	w->next = pages + STORE_WAL_STEP;
	pthread_mutex_lock(&w->lock);
	error = w->error;
	w->error = 0;
	w->asked = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	if (error != 0)
		log_warn("store: a background checkpoint failed: %s; the next "
			 "one, or COMMIT at %d pages of log, tries again",
		    sqlite3_errstr(error), STORE_WAL_LIMIT);
	return SQLITE_OK;
}

/* Reads the journal mode through db, which opens its log: 1 for WAL. */
static int
store_wal_open(sqlite3 *db)
{
	sqlite3_stmt *s;
	int wal = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL) !=
	    SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *mode = sqlite3_column_text(s, 0);
		wal = mode != NULL && strcmp((const char *)mode, "wal") == 0;
	}
	sqlite3_finalize(s);
	return wal;
}

int
store_wal_start(sqlite3 *db, struct store_wal **out, char *why, size_t why_len)
{
	const char *path = sqlite3_db_filename(db, "main");
	struct store_wal *w;

	if (path == NULL || *path == '\0') {
		snprintf(why, why_len, "the database has no file");
		return ERR_STORE;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(why, why_len, "out of memory");
		return ERR_ALLOC;
	}
	w->next = STORE_WAL_STEP;
	if (sqlite3_open_v2(path, &w->db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK) {
		snprintf(why, why_len, "cannot open %s again: %s", path,
		    w->db ? sqlite3_errmsg(w->db) : "out of memory");
		goto fail;
	}
	/* A connection opens the log when it first reads: before that a
	 * checkpoint finds nothing to copy. */
	if (!store_wal_open(w->db)) {
		snprintf(why, why_len,
		    "%s is not in WAL mode, or unreadable: %s", path,
		    sqlite3_errmsg(w->db));
		goto fail;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, store_wal_main, w) != 0) {
		snprintf(why, why_len, "cannot start a thread");
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		goto fail;
	}
	sqlite3_wal_hook(db, store_wal_hook, w);
	*out = w;
	return 0;
fail:
	sqlite3_close(w->db);
	free(w);
	return ERR_STORE;
}

void
store_wal_counts(struct store_wal *w, uint64_t *background, uint64_t *inline_)
{
	*background = *inline_ = 0;
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	*background = w->background;
	pthread_mutex_unlock(&w->lock);
	*inline_ = w->inline_;
}

void
store_wal_stop(sqlite3 *db, struct store_wal *w)
{
	uint64_t background, inline_;

	if (w == NULL)
		return;
	store_wal_counts(w, &background, &inline_);
	log_info("store: %llu checkpoints in the background, %llu in COMMIT",
	    (unsigned long long)background, (unsigned long long)inline_);
	/* Back to SQLite's own hook before w goes. */
	sqlite3_wal_autocheckpoint(db, STORE_WAL_LIMIT);
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	sqlite3_close(w->db);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
