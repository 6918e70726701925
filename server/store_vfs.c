/*
 * The VFS the store opens its database through: the system's own, with the
 * write-ahead log's writes gathered. SQLite writes a frame of the log as two
 * calls, its 24-byte header and its page, so a group commit of a few hundred
 * pages made twice as many pwrite calls. A system call costs far more than
 * copying the page (on this project's VMs 3 us a frame as two writes, 0.35
 * us in writes of 64 KiB), and a COMMIT ran hundreds of them while every
 * request waited.
 *
 * Here consecutive writes to the log collect in a buffer and go to the file
 * as one write. What SQLite later reads, syncs, sizes or truncates is
 * flushed first, and writes are never reordered, so the file is always as if
 * written through, only later. The one point where "later" matters is the
 * COMMIT: SQLite publishes a transaction by writing the log index's header
 * (shared memory, no file write), after which other connections read its
 * frames from the file. So the frame that ends a transaction (its header
 * holds the database size, zero in every other frame) is written through,
 * its header and page each flushing what came before: the transaction is in
 * the file before xWrite returns, and a failed write fails the COMMIT.
 *
 * As a second line, the main file's xShmBarrier, which SQLite calls between
 * writing the two copies of that header, flushes anything left. It cannot
 * return an error, so a write failing there ends the process (before the
 * header is complete, so that no reader trusts it); it has nothing to write
 * unless SQLite changes how it writes the log, which test_store watches.
 */
#include "store_db.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STORE_VFS_NAME "tier"
/* Bytes of log gathered, at most: 16 frames of 4 KiB pages. SQLite's unix
 * VFS writes less than 128 KiB a call (it masks the length). */
#define STORE_VFS_BUFFER (64 * 1024)
#define WAL_FRAME_HEADER 24

struct vfs_file {
	sqlite3_file base;     /* methods: vfs_methods */
	sqlite3_file *real;    /* the system VFS's file, after this struct */
	struct vfs_file *wal;  /* main file: its open log, or NULL */
	struct vfs_file *main; /* log: its database's file, or NULL */
	unsigned char *buf;    /* log: writes gathered, or NULL (not a log) */
	size_t len;            /* bytes in buf */
	sqlite3_int64 at;      /* file offset of buf[0] */
	int through;           /* log: the next write ends a transaction */
	struct store_vfs_counts counts; /* main file: its logs' writes */
};

static sqlite3_vfs vfs_tier;
static sqlite3_io_methods vfs_methods;

/* Where f's writes are counted: its main file's counts, if it has one. */
#define VFS_COUNT(f, what)                                                     \
	do {                                                                   \
		if ((f)->main != NULL)                                         \
			(f)->main->counts.what++;                              \
	} while (0)

/* Writes out what f has gathered. */
static int
vfs_flush(struct vfs_file *f)
{
	int rc;

	if (f->len == 0)
		return SQLITE_OK;
	rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->len, f->at);
	VFS_COUNT(f, written);
	f->len = 0;
	return rc;
}

static int
vfs_close(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = vfs_flush(f), rc2;

	if (f->main != NULL)
		f->main->wal = NULL;
	if (f->wal != NULL)
		f->wal->main = NULL;
	free(f->buf);
	rc2 = f->real->pMethods->xClose(f->real);
	return rc != SQLITE_OK ? rc : rc2;
}

static int
vfs_read(sqlite3_file *file, void *p, int n, sqlite3_int64 off)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = vfs_flush(f);

	return rc != SQLITE_OK ? rc
			       : f->real->pMethods->xRead(f->real, p, n, off);
}

static int
vfs_write(sqlite3_file *file, const void *p, int n, sqlite3_int64 off)
{
	struct vfs_file *f = (struct vfs_file *)file;
	const unsigned char *frame = p;
	int rc;

	if (f->buf == NULL)
		return f->real->pMethods->xWrite(f->real, p, n, off);
	VFS_COUNT(f, asked);
	/* A frame header with a database size: the last frame of a
	 * transaction, which goes through with its page. */
	if (n == WAL_FRAME_HEADER &&
	    (frame[4] | frame[5] | frame[6] | frame[7]) != 0)
		f->through = 2;
	if (f->len > 0 &&
	    (off != f->at + (sqlite3_int64)f->len ||
		(size_t)n > STORE_VFS_BUFFER - f->len || f->through > 0)) {
		if ((rc = vfs_flush(f)) != SQLITE_OK)
			return rc;
	}
	if (f->through > 0 || (size_t)n > STORE_VFS_BUFFER) {
		if (f->through > 0)
			f->through--;
		VFS_COUNT(f, written);
		return f->real->pMethods->xWrite(f->real, p, n, off);
	}
	if (f->len == 0)
		f->at = off;
	memcpy(f->buf + f->len, p, (size_t)n);
	f->len += (size_t)n;
	return SQLITE_OK;
}

static int
vfs_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = vfs_flush(f);

	return rc != SQLITE_OK ? rc
			       : f->real->pMethods->xTruncate(f->real, size);
}

static int
vfs_sync(sqlite3_file *file, int flags)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = vfs_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int
vfs_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = vfs_flush(f);

	return rc != SQLITE_OK ? rc
			       : f->real->pMethods->xFileSize(f->real, size);
}

static int
vfs_lock(sqlite3_file *file, int level)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xLock(f->real, level);
}

static int
vfs_unlock(sqlite3_file *file, int level)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xUnlock(f->real, level);
}

static int
vfs_check_reserved(sqlite3_file *file, int *out)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int
vfs_file_control(sqlite3_file *file, int op, void *arg)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = vfs_flush(f);

	if (rc != SQLITE_OK)
		return rc;
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int
vfs_sector_size(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xSectorSize(f->real);
}

static int
vfs_device_characteristics(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int
vfs_shm_map(
    sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xShmMap(f->real, page, size, extend, out);
}

static int
vfs_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void
vfs_shm_barrier(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;

	if (f->wal != NULL && f->wal->len > 0) {
		f->counts.late++;
		if (vfs_flush(f->wal) != SQLITE_OK) {
			log_error("store: cannot write the write-ahead log "
				  "before a commit shows: stopping at once");
			abort();
		}
	}
	f->real->pMethods->xShmBarrier(f->real);
}

static int
vfs_shm_unmap(sqlite3_file *file, int delete_flag)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

static int
vfs_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **out)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = vfs_flush(f);

	return rc != SQLITE_OK
		   ? rc
		   : f->real->pMethods->xFetch(f->real, off, n, out);
}

static int
vfs_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	struct vfs_file *f = (struct vfs_file *)file;

	return f->real->pMethods->xUnfetch(f->real, off, p);
}

static sqlite3_io_methods vfs_methods = {
	.iVersion = 3,
	.xClose = vfs_close,
	.xRead = vfs_read,
	.xWrite = vfs_write,
	.xTruncate = vfs_truncate,
	.xSync = vfs_sync,
	.xFileSize = vfs_file_size,
	.xLock = vfs_lock,
	.xUnlock = vfs_unlock,
	.xCheckReservedLock = vfs_check_reserved,
	.xFileControl = vfs_file_control,
	.xSectorSize = vfs_sector_size,
	.xDeviceCharacteristics = vfs_device_characteristics,
	.xShmMap = vfs_shm_map,
	.xShmLock = vfs_shm_lock,
	.xShmBarrier = vfs_shm_barrier,
	.xShmUnmap = vfs_shm_unmap,
	.xFetch = vfs_fetch,
	.xUnfetch = vfs_unfetch,
};

static int
vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
    int *out_flags)
{
	sqlite3_vfs *real = vfs->pAppData;
	struct vfs_file *f = (struct vfs_file *)file;
	int rc;

	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	if ((flags & SQLITE_OPEN_WAL) &&
	    (f->buf = malloc(STORE_VFS_BUFFER)) == NULL)
		return SQLITE_NOMEM;
	rc = real->xOpen(real, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK || f->real->pMethods == NULL) {
		free(f->buf);
		f->buf = NULL;
		return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
	}
	/* The real file must offer what ours does. */
	if (f->real->pMethods->iVersion < vfs_methods.iVersion) {
		f->real->pMethods->xClose(f->real);
		free(f->buf);
		f->buf = NULL;
		return SQLITE_CANTOPEN;
	}
	if (f->buf != NULL && name != NULL) {
		sqlite3_file *main = sqlite3_database_file_object(name);

		if (main != NULL && main->pMethods == &vfs_methods) {
			f->main = (struct vfs_file *)main;
			f->main->wal = f;
		}
	}
	file->pMethods = &vfs_methods;
	return SQLITE_OK;
}

static void
vfs_register(void)
{
	sqlite3_vfs *real = sqlite3_vfs_find(NULL);

	if (real == NULL)
		return;
	vfs_tier = *real;
	vfs_tier.zName = STORE_VFS_NAME;
	vfs_tier.pAppData = real;
	vfs_tier.szOsFile = (int)sizeof(struct vfs_file) + real->szOsFile;
	vfs_tier.xOpen = vfs_open;
	vfs_tier.pNext = NULL;
	if (sqlite3_vfs_register(&vfs_tier, 0) != SQLITE_OK)
		vfs_tier.zName = NULL;
}

const char *
store_vfs(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, vfs_register);
	return vfs_tier.zName; /* NULL (the default VFS) if it failed */
}

void
store_vfs_counts(sqlite3 *db, struct store_vfs_counts *out)
{
	sqlite3_file *file = NULL;

	memset(out, 0, sizeof(*out));
	if (sqlite3_file_control(
		db, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK &&
	    file != NULL && file->pMethods == &vfs_methods)
		*out = ((struct vfs_file *)file)->counts;
}
