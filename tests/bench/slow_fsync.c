/*
 * slow-fsync: an LD_PRELOAD library that makes every fsync and fdatasync of
 * the process it is loaded into take FSYNC_DELAY_US microseconds longer
 * (default 3000) than the disk takes. It lets one machine show how a server
 * behaves on slower storage (a SATA SSD without power-loss protection, a
 * network volume) than its own: compare.sh loads it into tierd, redis-server
 * and fsync-rate alike when FSYNC_DELAY_US is set. The real sync still runs
 * first, so nothing is less durable than without it.
 *
 * For tests of what a failing disk does, every sync also fails with EIO
 * while the file FSYNC_FAIL_FILE names exists (after the real sync, which
 * then proves nothing).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long
slow_fsync_delay_us(void)
{
	const char *v = getenv("FSYNC_DELAY_US");
	long us = v != NULL ? strtol(v, NULL, 10) : 3000;

	return us > 0 ? us : 0;
}

static void
slow_fsync_wait(void)
{
	long us = slow_fsync_delay_us();
	struct timespec t = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

/* Whether syncs are to fail now. */
static int
slow_fsync_failing(void)
{
	const char *path = getenv("FSYNC_FAIL_FILE");

	return path != NULL && *path != '\0' && access(path, F_OK) == 0;
}

/* Runs the real function called name, then waits, then maybe fails. */
static int
slow_fsync_call(const char *name, int (**real)(int), int fd)
{
	int r, saved;

	if (*real == NULL)
		*real = (int (*)(int))dlsym(RTLD_NEXT, name);
	r = (*real)(fd);
	saved = errno;
	slow_fsync_wait();
	if (slow_fsync_failing()) {
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

	return slow_fsync_call("fsync", &real, fd);
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	return slow_fsync_call("fdatasync", &real, fd);
}
