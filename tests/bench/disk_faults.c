/*
 * disk-faults: an LD_PRELOAD library that makes the disk of the process it
 * is loaded into slower or failing.
 *
 * Slower: every fsync and fdatasync takes FSYNC_DELAY_US microseconds longer
 * (default 3000) than the disk takes. It lets one machine show how a server
 * behaves on slower storage (a SATA SSD without power-loss protection, a
 * network volume) than its own: compare.sh loads it into tierd, redis-server
 * and fsync-rate alike when FSYNC_DELAY_US is set. The real sync still runs
 * first, so nothing is less durable than without it.
 *
 * Failing, for tests: while the file FSYNC_FAIL_FILE names exists, every
 * sync fails with EIO (after the real sync, which then proves nothing); while
 * the file WRITE_FAIL_FILE names exists, every pwrite fails with ENOSPC and
 * writes nothing, as on a full disk. SQLite writes its files with pwrite64.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static long
disk_faults_delay_us(void)
{
	const char *v = getenv("FSYNC_DELAY_US");
	long us = v != NULL ? strtol(v, NULL, 10) : 3000;

	return us > 0 ? us : 0;
}

static void
disk_faults_wait(void)
{
	long us = disk_faults_delay_us();
	struct timespec t = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

/* Whether the file the variable called name names exists. */
static int
disk_faults_failing(const char *name)
{
	const char *path = getenv(name);

	return path != NULL && *path != '\0' && access(path, F_OK) == 0;
}

/* Runs the real function called name, then waits, then maybe fails. */
static int
disk_faults_call(const char *name, int (**real)(int), int fd)
{
	int r, saved;

	if (*real == NULL)
		*real = (int (*)(int))dlsym(RTLD_NEXT, name);
	r = (*real)(fd);
	saved = errno;
	disk_faults_wait();
	if (disk_faults_failing("FSYNC_FAIL_FILE")) {
		r = -1;
		saved = EIO;
	}
	errno = saved;
	return r;
}

int
fsync(int fd)
{
	static int (*real)(int);

	return disk_faults_call("fsync", &real, fd);
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	return disk_faults_call("fdatasync", &real, fd);
}

/* Runs the real function called name, unless writes are to fail now. */
static ssize_t
disk_faults_write(const char *name,
    ssize_t (**real)(int, const void *, size_t, off64_t), int fd, const void *p,
    size_t n, off64_t off)
{
	if (disk_faults_failing("WRITE_FAIL_FILE")) {
		errno = ENOSPC;
		return -1;
	}
	if (*real == NULL)
		*real = (ssize_t(*)(int, const void *, size_t, off64_t))dlsym(
		    RTLD_NEXT, name);
	return (*real)(fd, p, n, off);
}

ssize_t
pwrite64(int fd, const void *p, size_t n, off64_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off64_t);

	return disk_faults_write("pwrite64", &real, fd, p, n, off);
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off64_t);

	return disk_faults_write("pwrite", &real, fd, p, n, off);
}
