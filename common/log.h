/*
 * Logging to stderr. Under systemd (JOURNAL_STREAM set) each line carries a
 * "<N>" syslog priority prefix so the journal records levels; elsewhere lines
 * carry a UTC timestamp and the level name. Logging never exits the process.
 */
#ifndef TIER_LOG_H
#define TIER_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

/* Sets the program name shown in lines and the most verbose level written. */
void log_init(const char *progname, enum log_level level);

/* Parses "error", "warn", "info" or "debug"; returns 0 or ERR_INVALID_ARG. */
int log_level_parse(const char *text, enum log_level *out);

/*
 * While on, info lines are written as debug ones: a bulk operation (an
 * import of 100,000 rows) logs its summary, not a line per record. Returns
 * the previous setting, to restore.
 */
int log_info_as_debug(int on);

/* Whether log_info writes a line now at the info level: not while it is
 * demoted, nor below info. */
int log_info_wanted(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_info with a va_list. */
void log_vinfo(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

#endif
