/*
 * The SQLite store on real files: migrations, durability settings, users,
 * enrolment codes, savepoint isolation, the cached organisation and read
 * snapshots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store_db.h"
#include "tierd.h"

struct fixture {
	char dir[64];  /* temporary directory */
	char path[96]; /* database file inside it */
	struct store *st;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char why[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/tier.db", f->dir);
	if (store_open(&f->st, f->path, why, sizeof(why)) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[96];

	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
user_make(struct store_user *u, const char *name, Tier__Role role)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	snprintf(u->scope, sizeof(u->scope), "bu:华东");
	u->role = role;
	u->created_at = 100;
}

/* Reads one integer with a separate connection, as an outsider would. */
static long
outside_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	long v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void
test_schema_and_reopen(void **state)
{
	struct fixture *f = *state;
	struct store *again;
	struct store_user u;
	char why[256];

	assert_true(store_schema_version(f->st) >= 1);
	assert_int_equal(outside_int(f->path, "PRAGMA user_version"),
	    store_schema_version(f->st));
	user_make(&u, "ann", TIER__ROLE__ROLE_BU_VP);
	assert_int_equal(store_user_insert(f->st, &u), 0);
	/* Reopening migrates nothing and keeps the data. */
	assert_int_equal(store_open(&again, f->path, why, sizeof(why)), 0);
	assert_int_equal(store_user_by_name(again, "ann", &u), 0);
	assert_string_equal(u.scope, "bu:华东");
	store_close(again);
}

static void
test_refuses_newer_schema(void **state)
{
	struct fixture *f = *state;
	struct store *again = NULL;
	sqlite3 *db;
	char why[256] = "";

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(
	    store_open(&again, f->path, why, sizeof(why)), ERR_STORE);
	assert_non_null(strstr(why, "newer"));
	assert_null(again);
}

static void
test_wal_and_full_sync(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(
	    outside_int(f->path, "SELECT journal_mode = 'wal' FROM "
				 "pragma_journal_mode"),
	    1);
}

static void
test_users(void **state)
{
	struct fixture *f = *state;
	struct store_user u, v, *list = NULL;
	uint8_t key[KEYS_LEN], other[KEYS_LEN];
	size_t n;

	user_make(&u, "bob", TIER__ROLE__ROLE_SEGMENT_MGR);
	assert_int_equal(store_user_insert(f->st, &u), 0);
	assert_true(u.id > 0);
	user_make(&v, "bob", TIER__ROLE__ROLE_ADMIN);
	assert_int_equal(store_user_insert(f->st, &v), ERR_EXISTS);

	memset(key, 7, sizeof(key));
	memset(other, 8, sizeof(other));
	assert_int_equal(store_user_by_key(f->st, key, &v), ERR_NOT_FOUND);
	assert_int_equal(store_user_bind_key(f->st, u.id, key, 200), 0);
	assert_int_equal(store_user_by_key(f->st, key, &v), 0);
	assert_string_equal(v.name, "bob");
	assert_int_equal(v.has_key, 1);
	assert_int_equal(v.enrolled_at, 200);

	/* One key, one user. */
	user_make(&v, "cat", TIER__ROLE__ROLE_RESEARCHER);
	assert_int_equal(store_user_insert(f->st, &v), 0);
	assert_int_equal(
	    store_user_bind_key(f->st, v.id, key, 300), ERR_EXISTS);
	assert_int_equal(store_user_bind_key(f->st, v.id, other, 300), 0);

	/* Paging by name. */
	assert_int_equal(store_user_list(f->st, "", 1, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, "bob");
	free(list);
	assert_int_equal(store_user_list(f->st, "bob", 10, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, "cat");
	free(list);
}

static void
test_codes(void **state)
{
	struct fixture *f = *state;
	struct store_user u;
	enum store_code_status status;
	uint8_t h1[32], h2[32], h3[32];
	int64_t uid = 0, expired_at = 0;

	user_make(&u, "dan", TIER__ROLE__ROLE_ACCOUNT_MGR);
	assert_int_equal(store_user_insert(f->st, &u), 0);
	memset(h1, 1, 32);
	memset(h2, 2, 32);
	memset(h3, 3, 32);

	assert_int_equal(store_code_insert(f->st, u.id, h1, 1000, 0), 0);
	assert_int_equal(
	    store_code_redeem(f->st, h3, 10, &uid, &status, &expired_at), 0);
	assert_int_equal(status, STORE_CODE_UNKNOWN);
	/* Past its expiry. */
	assert_int_equal(
	    store_code_redeem(f->st, h1, 1000, &uid, &status, &expired_at), 0);
	assert_int_equal(status, STORE_CODE_EXPIRED);
	assert_int_equal(expired_at, 1000);
	/* A newer code supersedes it; the newer one works exactly once. */
	assert_int_equal(store_code_insert(f->st, u.id, h2, 5000, 20), 0);
	assert_int_equal(
	    store_code_redeem(f->st, h1, 30, &uid, &status, &expired_at), 0);
	assert_int_equal(status, STORE_CODE_UNKNOWN);
	assert_int_equal(
	    store_code_redeem(f->st, h2, 30, &uid, &status, &expired_at), 0);
	assert_int_equal(status, STORE_CODE_OK);
	assert_int_equal(uid, u.id);
	assert_int_equal(
	    store_code_redeem(f->st, h2, 31, &uid, &status, &expired_at), 0);
	assert_int_equal(status, STORE_CODE_USED);
}

static void
test_savepoint_isolation(void **state)
{
	struct fixture *f = *state;
	struct store_user u;

	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_savepoint(f->st), 0);
	user_make(&u, "kept", TIER__ROLE__ROLE_BU_VP);
	assert_int_equal(store_user_insert(f->st, &u), 0);
	assert_int_equal(store_release(f->st), 0);
	assert_int_equal(store_savepoint(f->st), 0);
	user_make(&u, "undone", TIER__ROLE__ROLE_BU_VP);
	assert_int_equal(store_user_insert(f->st, &u), 0);
	store_rollback_to(f->st);
	assert_int_equal(store_commit(f->st), 0);

	assert_int_equal(store_user_by_name(f->st, "kept", &u), 0);
	assert_int_equal(
	    store_user_by_name(f->st, "undone", &u), ERR_NOT_FOUND);
	/* Visible to another connection: it was committed. */
	assert_int_equal(outside_int(f->path,
			     "SELECT count(*) FROM users WHERE name = 'kept'"),
	    1);
}

/* The units are served from memory: a rollback must not leave an undone
 * unit there, nor hide one that was committed. */
static void
test_units_cache(void **state)
{
	struct fixture *f = *state;
	struct store_unit u, got, *all = NULL;
	size_t n = 0;

	memset(&u, 0, sizeof(u));
	u.kind = TIER__UNIT_KIND__UNIT_KIND_BG;
	snprintf(u.name, sizeof(u.name), "Pumps");
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_unit_insert(f->st, &u, 100), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_unit_get(f->st, u.id, &got), 0);
	assert_string_equal(got.name, "Pumps");

	/* Added, read (and so cached), then undone. */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_savepoint(f->st), 0);
	snprintf(u.name, sizeof(u.name), "Valves");
	assert_int_equal(store_unit_insert(f->st, &u, 101), 0);
	assert_int_equal(store_unit_by_name(f->st,
			     TIER__UNIT_KIND__UNIT_KIND_BG, "Valves", &got),
	    0);
	assert_int_equal(store_rollback_to(f->st), 0);
	assert_int_equal(store_unit_by_name(f->st,
			     TIER__UNIT_KIND__UNIT_KIND_BG, "Valves", &got),
	    ERR_NOT_FOUND);
	assert_int_equal(store_unit_get(f->st, u.id, &got), ERR_NOT_FOUND);
	assert_int_equal(store_commit(f->st), 0);

	assert_int_equal(store_unit_all(f->st, &all, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(all[0].name, "Pumps");
	free(all);
}

/* A read snapshot sees what was committed before it, and store_begin ends
 * it so that the next write transaction can start. */
static void
test_read_snapshot(void **state)
{
	struct fixture *f = *state;
	struct store_user u;

	assert_int_equal(store_snapshot_begin(f->st), 1);
	assert_int_equal(store_snapshot_begin(f->st), 0); /* already open */
	assert_int_equal(store_user_by_name(f->st, "later", &u), ERR_NOT_FOUND);
	assert_int_equal(store_begin(f->st), 0);
	user_make(&u, "later", TIER__ROLE__ROLE_BU_VP);
	assert_int_equal(store_user_insert(f->st, &u), 0);
	/* Inside a write transaction there is no snapshot to open. */
	assert_int_equal(store_snapshot_begin(f->st), 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(store_snapshot_begin(f->st), 1);
	assert_int_equal(store_user_by_name(f->st, "later", &u), 0);
	store_snapshot_end(f->st);
	store_snapshot_end(f->st); /* harmless twice */
	assert_int_equal(outside_int(f->path,
			     "SELECT count(*) FROM users WHERE name = 'later'"),
	    1);
}

/*
 * With checkpoints in the background, a stream of commits keeps the log
 * bounded (COMMIT still checkpoints at STORE_WAL_LIMIT pages, so that the
 * log can start again), the thread does checkpoints of its own, and every
 * commit is there for another connection. When the thread is copying as
 * the limit is reached, the log runs on by what is committed meanwhile: on a
 * loaded machine 1,700 pages and more, so the bound is twice the limit.
 * Without COMMIT's checkpoint the log grew to 157 MB here.
 */
static void
test_background_checkpoints(void **state)
{
	enum { USERS = 12000 };
	struct fixture *f = *state;
	/* A frame is a page and its 24-byte header; 32 bytes of log header. */
	const off_t bound = (off_t)(2 * STORE_WAL_LIMIT) * (4096 + 24) + 32;
	off_t largest = 0;
	uint64_t background, inline_;
	struct store_user u;
	char why[256], wal[128], name[32];
	struct stat sb;
	int fd, i;

	/* Unsynced COMMITs: the test is about the log's size, not its sync. */
	assert_true((fd = store_sync_defer(f->st, why, sizeof(why))) >= 0);
	assert_int_equal(
	    store_checkpoint_background(f->st, why, sizeof(why)), 0);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	for (i = 0; i < USERS; i++) {
		snprintf(name, sizeof(name), "user%05d", i);
		user_make(&u, name, TIER__ROLE__ROLE_RESEARCHER);
		assert_int_equal(store_begin(f->st), 0);
		assert_int_equal(store_user_insert(f->st, &u), 0);
		assert_int_equal(store_commit(f->st), 0);
		assert_int_equal(stat(wal, &sb), 0);
		if (sb.st_size > largest)
			largest = sb.st_size;
	}
	store_checkpoint_counts(f->st, &background, &inline_);
	print_message("log at most %lld bytes; checkpoints: %llu in the "
		      "background, %llu in COMMIT\n",
	    (long long)largest, (unsigned long long)background,
	    (unsigned long long)inline_);
	assert_true(inline_ >= 1); /* the limit was reached */
	assert_true(background >= 1);
	assert_true(largest <= bound);
	assert_int_equal(
	    outside_int(f->path, "SELECT count(*) FROM users"), USERS);
	assert_int_equal(
	    outside_int(f->path, "SELECT count(*) FROM pragma_integrity_check "
				 "WHERE integrity_check = 'ok'"),
	    1);
	close(fd);
}

/* Request ids go oldest first, about a batch at a time, and only those
 * stored before the cut. */
static void
test_request_prune(void **state)
{
	struct fixture *f = *state;
	struct store_user u;
	uint8_t hash[32] = { 0 }, *resp;
	char id[16];
	size_t n, len;
	int i;

	user_make(&u, "ann", TIER__ROLE__ROLE_BU_VP);
	assert_int_equal(store_user_insert(f->st, &u), 0);
	/* 30 ids, three per second from t=100 to t=109. */
	assert_int_equal(store_begin(f->st), 0);
	for (i = 0; i < 30; i++) {
		snprintf(id, sizeof(id), "r%02d", i);
		assert_int_equal(store_request_put(f->st, u.id, id, hash,
				     (const uint8_t *)"x", 1, 100 + i / 3),
		    0);
	}
	assert_int_equal(store_commit(f->st), 0);

	/* Before 105: 15 ids, in batches of about 6 (ties kept together). */
	assert_int_equal(store_begin(f->st), 0);
	assert_int_equal(store_request_prune(f->st, 105, 6, &n), 0);
	assert_int_equal(n, 9); /* t=100..102: the 7th oldest is at 102 */
	assert_int_equal(store_request_prune(f->st, 105, 6, &n), 0);
	assert_int_equal(n, 6); /* the rest before 105 */
	assert_int_equal(store_request_prune(f->st, 105, 6, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_commit(f->st), 0);
	assert_int_equal(
	    store_request_get(f->st, u.id, "r14", hash, &resp, &len),
	    ERR_NOT_FOUND);
	assert_int_equal(
	    store_request_get(f->st, u.id, "r15", hash, &resp, &len), 0);
	free(resp);
	assert_int_equal(
	    outside_int(f->path, "SELECT count(*) FROM requests"), 15);
}

/*
 * The log's writes are gathered (store_vfs.c): far fewer reach the file than
 * SQLite asks for, none is left for the commit's barrier (which would mean
 * SQLite writes the log in a way store_vfs.c does not expect), and every
 * commit is in the file, for another connection, when it returns.
 */
static void
test_log_writes_gathered(void **state)
{
	enum { COMMITS = 10, ROWS = 40 };
	struct fixture *f = *state;
	struct store_vfs_counts c;
	struct store_user u;
	uint8_t hash[32] = { 0 }, resp[3000];
	char id[16], why[256];
	int i, j, fd;

	/* As tierd runs: COMMIT does not sync, so nothing but the gathering
	 * itself writes the log out before the commit shows. */
	assert_true((fd = store_sync_defer(f->st, why, sizeof(why))) >= 0);
	user_make(&u, "ann", TIER__ROLE__ROLE_BU_VP);
	assert_int_equal(store_user_insert(f->st, &u), 0);
	memset(resp, 'r', sizeof(resp));
	for (i = 0; i < COMMITS; i++) {
		assert_int_equal(store_begin(f->st), 0);
		for (j = 0; j < ROWS; j++) {
			snprintf(id, sizeof(id), "g%02d-%02d", i, j);
			assert_int_equal(store_request_put(f->st, u.id, id,
					     hash, resp, sizeof(resp), 100),
			    0);
		}
		assert_int_equal(store_commit(f->st), 0);
		assert_int_equal(
		    outside_int(f->path, "SELECT count(*) FROM requests"),
		    (i + 1) * ROWS);
	}
	store_log_writes(f->st, &c);
	print_message("log writes: %llu asked, %llu made, %llu late\n",
	    (unsigned long long)c.asked, (unsigned long long)c.written,
	    (unsigned long long)c.late);
	/* A frame is two writes asked: a header and a page per row. */
	assert_true(c.asked >= 2 * COMMITS * ROWS);
	assert_true(c.written * 5 < c.asked);
	assert_int_equal(c.late, 0);
	assert_int_equal(
	    outside_int(f->path, "SELECT count(*) FROM pragma_integrity_check "
				 "WHERE integrity_check = 'ok'"),
	    1);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_schema_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_refuses_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_wal_and_full_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_savepoint_isolation, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_units_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_read_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_background_checkpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_request_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_log_writes_gathered, setup, teardown),
	};
	log_init("test_store", LOG_LEVEL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
