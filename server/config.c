/*
 * tierd's configuration: built-in defaults, then the INI file, then
 * command-line flags, each overriding the one before. Owns parsing and
 * validation of every setting; the rest of the server reads a finished struct
 * config.
 */
#include "tierd.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->listen, sizeof(cfg->listen), "127.0.0.1:7433");
	snprintf(cfg->datadir, sizeof(cfg->datadir), "/var/lib/tierd");
	snprintf(cfg->name, sizeof(cfg->name), "tierd");
	cfg->handshake_timeout = 10;
	cfg->idle_timeout = 300;
	cfg->max_connections = 10000;
	cfg->import_memory = 256L << 20;
	cfg->request_id_ttl = 30L * 86400;
	cfg->code_ttl = 24 * 3600;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->feed_resume_window = 100000;
	cfg->feed_max_buffer = 1 << 20;
	cfg->feed_escalation_check = 60;
	cfg->feed_step_limit_scale = 3600;
	cfg->volume_change_percent = 30;
	cfg->abc_a = 75;
	cfg->abc_b = 20;
}

/* Parses a whole decimal number in [min, max]. */
static int
config_number(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
		return ERR_INVALID_ARG;
	*out = v;
	return 0;
}

int
config_set(struct config *cfg, const char *section, const char *key,
    const char *value, char *why, size_t why_len)
{
	long n;

#define CFG_IS(s, k) (strcmp(section, s) == 0 && strcmp(key, k) == 0)
#define CFG_STRING(field)                                                      \
	do {                                                                   \
		if (strlen(value) >= sizeof(cfg->field)) {                     \
			snprintf(                                              \
			    why, why_len, "%s.%s is too long", section, key);  \
			return ERR_CONFIG;                                     \
		}                                                              \
		snprintf(cfg->field, sizeof(cfg->field), "%s", value);         \
	} while (0)
#define CFG_NUMBER(field, min, max)                                            \
	do {                                                                   \
		if (config_number(value, min, max, &n) != 0) {                 \
			snprintf(why, why_len,                                 \
			    "%s.%s must be a whole number from %ld to %ld, "   \
			    "not \"%s\"",                                      \
			    section, key, (long)(min), (long)(max), value);    \
			return ERR_CONFIG;                                     \
		}                                                              \
		cfg->field = n;                                                \
	} while (0)

	if (CFG_IS("server", "listen"))
		CFG_STRING(listen);
	else if (CFG_IS("server", "datadir"))
		CFG_STRING(datadir);
	else if (CFG_IS("server", "name"))
		CFG_STRING(name);
	else if (CFG_IS("server", "handshake_timeout"))
		CFG_NUMBER(handshake_timeout, 1, 3600);
	else if (CFG_IS("server", "idle_timeout"))
		CFG_NUMBER(idle_timeout, 1, 7 * 86400);
	else if (CFG_IS("server", "max_connections"))
		CFG_NUMBER(max_connections, 1, 1000000);
	else if (CFG_IS("server", "request_id_ttl"))
		CFG_NUMBER(request_id_ttl, 0, 3650L * 86400);
	else if (CFG_IS("server", "http_listen"))
		CFG_STRING(http_listen);
	else if (CFG_IS("server", "import_memory"))
		CFG_NUMBER(import_memory, 1L << 20, 64L << 30);
	else if (CFG_IS("enrolment", "code_ttl"))
		CFG_NUMBER(code_ttl, 60, 30 * 86400);
	else if (CFG_IS("feed", "resume_window"))
		CFG_NUMBER(feed_resume_window, 1, 1000000000);
	else if (CFG_IS("feed", "max_buffer"))
		/* At most the 4 MiB past which session.c stops reading. */
		CFG_NUMBER(feed_max_buffer, 65536, 4 << 20);
	else if (CFG_IS("feed", "escalation_check"))
		CFG_NUMBER(feed_escalation_check, 1, 86400);
	else if (CFG_IS("feed", "step_limit_scale"))
		CFG_NUMBER(feed_step_limit_scale, 1, 3600);
	else if (CFG_IS("policy", "volume_change_percent"))
		CFG_NUMBER(volume_change_percent, 1, 1000);
	else if (CFG_IS("policy", "abc_a"))
		CFG_NUMBER(abc_a, 1, 100);
	else if (CFG_IS("policy", "abc_b"))
		CFG_NUMBER(abc_b, 0, 99);
	else if (CFG_IS("log", "level")) {
		if (log_level_parse(value, &cfg->log_level) != 0) {
			snprintf(why, why_len,
			    "log.level must be error, warn, info or debug, "
			    "not \"%s\"",
			    value);
			return ERR_CONFIG;
		}
	} else {
		snprintf(why, why_len, "unknown setting %s.%s", section, key);
		return ERR_CONFIG;
	}
	return 0;
#undef CFG_IS
#undef CFG_STRING
#undef CFG_NUMBER
}

/* Where ini_parse reports back to config_load. */
struct config_parse {
	struct config *cfg; /* being filled */
	char *why;          /* first error, for the caller */
	size_t why_len;
	int failed; /* 1 after the first error */
};

static int
config_ini_cb(
    void *arg, const char *section, const char *key, const char *value)
{
	struct config_parse *p = arg;

	if (p->failed)
		return 1;
	if (config_set(p->cfg, section, key, value, p->why, p->why_len) != 0)
		p->failed = 1;
	return 1;
}

int
config_load(struct config *cfg, const char *path, char *why, size_t why_len)
{
	struct config_parse p = { cfg, why, why_len, 0 };
	char detail[512];
	int line;

	line = ini_parse(path, config_ini_cb, &p);
	if (line == -1) {
		snprintf(
		    why, why_len, "cannot open %s: %s", path, strerror(errno));
		return ERR_CONFIG;
	}
	if (p.failed) {
		snprintf(detail, sizeof(detail), "%s", why);
		snprintf(why, why_len, "%s: %s", path, detail);
		return ERR_CONFIG;
	}
	if (line != 0) {
		snprintf(why, why_len, "%s:%d: not an INI line", path, line);
		return ERR_CONFIG;
	}
	return 0;
}
