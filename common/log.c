/*
 * Line-oriented logging to stderr, journal-aware (see log.h).
 */
#include "log.h"
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *log_prog = "tier";           /* prefix of every line */
static enum log_level log_max = LOG_LEVEL_INFO; /* most verbose level written */
static int log_journal = -1; /* 1 under journald, -1 unknown */
static int log_demote;       /* info lines are written as debug */

static const struct {
	const char *name;
	int syslog_prio;
} log_levels[] = {
	[LOG_LEVEL_ERROR] = { "error", 3 },
	[LOG_LEVEL_WARN] = { "warn", 4 },
	[LOG_LEVEL_INFO] = { "info", 6 },
	[LOG_LEVEL_DEBUG] = { "debug", 7 },
};

void
log_init(const char *progname, enum log_level level)
{
	log_prog = progname;
	log_max = level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

int
log_info_as_debug(int on)
{
	int was = log_demote;

	log_demote = on;
	return was;
}

int
log_info_wanted(void)
{
	return !log_demote && log_max >= LOG_LEVEL_INFO;
}

int
log_level_parse(const char *text, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(log_levels) / sizeof(log_levels[0]); i++) {
		if (strcmp(text, log_levels[i].name) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return ERR_INVALID_ARG;
}

static void __attribute__((format(printf, 2, 0)))
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	char stamp[32];
	struct timespec ts;
	struct tm tm;

	if (level == LOG_LEVEL_INFO && log_demote)
		level = LOG_LEVEL_DEBUG;
	if (level > log_max)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_journal == 1) {
		fprintf(
		    stderr, "<%d>%s\n", log_levels[level].syslog_prio, line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s %s: %s\n", stamp, ts.tv_nsec / 1000000,
	    log_prog, log_levels[level].name, line);
}

#define LOG_FN(fn, level)                                                      \
	void fn(const char *fmt, ...)                                          \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vwrite(level, fmt, ap);                                    \
		va_end(ap);                                                    \
	}

LOG_FN(log_error, LOG_LEVEL_ERROR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

void
log_vinfo(const char *fmt, va_list ap)
{
	log_vwrite(LOG_LEVEL_INFO, fmt, ap);
}
