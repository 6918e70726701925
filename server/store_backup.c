/*
 * Online backup (tierd --backup FILE): a consistent copy of the database
 * while tierd runs, through SQLite's backup API. The copy is one read
 * transaction of the source, so a running tierd goes on committing, and the
 * copy holds exactly the commits before it began. The result is checked
 * (PRAGMA integrity_check), turned into a single self-contained file
 * (rollback journal, no WAL beside it), synced, and only then given its
 * name: a FILE that exists is a whole, checked backup.
 */
#include "store_db.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BACKUP_BUSY_TRIES 500 /* 10 ms apart: 5 s of a busy source */

/* One integer from sql on db, or -1. */
static int64_t
backup_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Whether PRAGMA integrity_check says "ok"; why gets its first complaint. */
static int
backup_check(sqlite3 *db, char *why, size_t why_len)
{
	sqlite3_stmt *s;
	const unsigned char *text;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) !=
	    SQLITE_OK) {
		snprintf(why, why_len, "cannot check the copy: %s",
		    sqlite3_errmsg(db));
		return 0;
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		text = sqlite3_column_text(s, 0);
		ok = text != NULL && strcmp((const char *)text, "ok") == 0;
		if (!ok)
			snprintf(why, why_len, "the copy fails its check: %s",
			    text ? (const char *)text : "no answer");
	} else
		snprintf(why, why_len, "cannot check the copy: %s",
		    sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return ok;
}

/*
 * Gives tmp the name dest without replacing a dest that appeared meanwhile:
 * a hard link fails when dest exists. A file system without hard links gets
 * a rename. Returns 0 or -1 with errno set.
 */
static int
backup_name(const char *tmp, const char *dest)
{
	if (link(tmp, dest) == 0)
		return unlink(tmp);
	if (errno == EEXIST)
		return -1;
	return rename(tmp, dest);
}

/* fsyncs path (a file or a directory). */
static int
backup_sync(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* Copies src into dst, waiting while the source is locked. */
static int
backup_copy(sqlite3 *src, sqlite3 *dst, char *why, size_t why_len)
{
	const struct timespec pause = { 0, 10000000 };
	sqlite3_backup *b;
	int rc, tries = 0;

	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		snprintf(why, why_len, "cannot start the copy: %s",
		    sqlite3_errmsg(dst));
		return ERR_STORE;
	}
	/* All pages in one step: one read transaction, one snapshot. */
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	       rc == SQLITE_LOCKED) {
		if (++tries == BACKUP_BUSY_TRIES)
			break;
		nanosleep(&pause, NULL);
	}
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(why, why_len, "the copy failed: %s",
		    rc == SQLITE_BUSY || rc == SQLITE_LOCKED
			? "the database stayed locked for 5 s"
			: sqlite3_errstr(rc));
		return ERR_STORE;
	}
	return 0;
}

int
store_backup(const char *path, const char *dest, struct store_backup_info *info,
    char *why, size_t why_len)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	sqlite3 *src = NULL, *dst = NULL;
	struct stat sb;
	int r = ERR_STORE;

	memset(info, 0, sizeof(*info));
	if (stat(path, &sb) != 0) {
		snprintf(why, why_len,
		    "no database at %s: give tierd's data directory (-d or "
		    "-c)",
		    path);
		return ERR_NOT_FOUND;
	}
	if (lstat(dest, &sb) == 0) {
		snprintf(why, why_len,
		    "%s exists: remove it or choose another name", dest);
		return ERR_EXISTS;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.partial-%ld", dest,
		(long)getpid()) >= sizeof(tmp)) {
		snprintf(why, why_len, "%s: the name is too long", dest);
		return ERR_INVALID_ARG;
	}
	/* Read-write without create: a WAL database needs its -shm. */
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		snprintf(why, why_len, "cannot open %s: %s", path,
		    src ? sqlite3_errmsg(src) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(src, 5000);
	if (sqlite3_open_v2(tmp, &dst,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_EXCLUSIVE,
		NULL) != SQLITE_OK) {
		snprintf(why, why_len, "cannot create %s: %s", tmp,
		    dst ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	if ((r = backup_copy(src, dst, why, why_len)) != 0)
		goto out;
	r = ERR_STORE;
	/* One self-contained file: no log to carry beside it. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL,
		NULL) != SQLITE_OK) {
		snprintf(why, why_len, "cannot finish the copy: %s",
		    sqlite3_errmsg(dst));
		goto out;
	}
	if (!backup_check(dst, why, why_len))
		goto out;
	info->schema_version = (int)backup_int(dst, "PRAGMA user_version");
	info->pages = backup_int(dst, "PRAGMA page_count");
	info->bytes = info->pages * backup_int(dst, "PRAGMA page_size");
	info->audit_head =
	    backup_int(dst, "SELECT coalesce(max(seq), 0) FROM audit");
	if (sqlite3_close(dst) != SQLITE_OK) {
		snprintf(why, why_len, "cannot close %s", tmp);
		goto out;
	}
	dst = NULL;
	snprintf(dir, sizeof(dir), "%s", dest);
	if (backup_sync(tmp) != 0 || backup_name(tmp, dest) != 0 ||
	    backup_sync(dirname(dir)) != 0) {
		snprintf(
		    why, why_len, "cannot write %s: %s", dest, strerror(errno));
		goto out;
	}
	r = 0;
out:
	sqlite3_close(dst);
	sqlite3_close(src);
	if (r != 0)
		unlink(tmp);
	return r;
}
