/*
 * The machine's serial durable-write rate: appends small records to a file
 * and makes each durable with fdatasync before writing the next, the way a
 * server without group commit would acknowledge one write at a time. The
 * figure is the physical reference for durable commits per second.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
fsync_rate_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	char path[4096], rec[128];
	const char *dir = argc > 1 ? argv[1] : ".";
	double seconds = argc > 2 ? atof(argv[2]) : 2.0, start, now;
	long n = 0;
	int fd;

	if (argc > 3 || (argc > 1 && strcmp(argv[1], "--help") == 0)) {
		fprintf(stderr,
		    "usage: fsync-rate [DIR [SECONDS]]\n"
		    "Appends 100-byte records to a file in DIR (default .), "
		    "each followed by\nfdatasync, for SECONDS (default 2), "
		    "and prints the synced writes per second.\n");
		return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	snprintf(path, sizeof(path), "%s/fsync-rate.%ld", dir, (long)getpid());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) {
		fprintf(stderr, "fsync-rate: %s: %s\n", path, strerror(errno));
		return 1;
	}
	memset(rec, 'x', sizeof(rec));
	rec[99] = '\n';
	start = now = fsync_rate_now();
	while (now - start < seconds) {
		if (write(fd, rec, 100) != 100 || fdatasync(fd) != 0) {
			fprintf(stderr, "fsync-rate: %s: %s\n", path,
			    strerror(errno));
			close(fd);
			unlink(path);
			return 1;
		}
		n++;
		now = fsync_rate_now();
	}
	close(fd);
	unlink(path);
	printf("fsync-rate: %ld synced 100-byte appends in %.2f s: %.0f/s "
	       "(%.3f ms each)\n",
	    n, now - start, (double)n / (now - start),
	    (now - start) * 1000.0 / (double)n);
	return 0;
}
