/*
 * tierd configuration: defaults, validation of each setting, INI files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tierd.h"

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_defaults(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_string_equal(c.listen, "127.0.0.1:7433");
	assert_int_equal(c.handshake_timeout, 10);
	assert_int_equal(c.idle_timeout, 300);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
}

static void
test_set(void **state)
{
	struct config c;
	char why[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(
	    config_set(&c, "server", "idle_timeout", "60", why, sizeof(why)),
	    0);
	assert_int_equal(c.idle_timeout, 60);
	assert_int_equal(
	    config_set(&c, "server", "idle_timeout", "6O", why, sizeof(why)),
	    ERR_CONFIG);
	assert_non_null(strstr(why, "server.idle_timeout"));
	assert_non_null(strstr(why, "6O"));
	assert_int_equal(
	    config_set(&c, "server", "idle_timeout", "0", why, sizeof(why)),
	    ERR_CONFIG);
	assert_int_equal(c.idle_timeout, 60);
	assert_int_equal(
	    config_set(&c, "log", "level", "loud", why, sizeof(why)),
	    ERR_CONFIG);
	assert_int_equal(
	    config_set(&c, "server", "colour", "blue", why, sizeof(why)),
	    ERR_CONFIG);
	assert_non_null(strstr(why, "unknown setting server.colour"));
}

static void
test_load(void **state)
{
	char path[] = "/tmp/test_config.XXXXXX", why[512];
	struct config c;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	write_file(path, "[server]\nlisten = [::1]:9000\nname = hq\n"
			 "[log]\nlevel = debug\n");
	config_defaults(&c);
	assert_int_equal(config_load(&c, path, why, sizeof(why)), 0);
	assert_string_equal(c.listen, "[::1]:9000");
	assert_string_equal(c.name, "hq");
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);

	write_file(path, "[server]\nmax_connections = lots\n");
	assert_int_equal(config_load(&c, path, why, sizeof(why)), ERR_CONFIG);
	assert_non_null(strstr(why, path));
	assert_non_null(strstr(why, "server.max_connections"));

	write_file(path, "[server]\nthis line is not ini\n");
	assert_int_equal(config_load(&c, path, why, sizeof(why)), ERR_CONFIG);
	assert_non_null(strstr(why, ":2:"));

	unlink(path);
	assert_int_equal(config_load(&c, path, why, sizeof(why)), ERR_CONFIG);
	assert_non_null(strstr(why, "cannot open"));
}

/* The memory all imports may stage: 1 MiB up, 256 MiB by default. */
static void
test_import_memory(void **state)
{
	struct config c;
	char why[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.import_memory, 256L << 20);
	assert_int_equal(config_set(&c, "server", "import_memory", "1048576",
			     why, sizeof(why)),
	    0);
	assert_int_equal(c.import_memory, 1048576);
	assert_int_equal(config_set(&c, "server", "import_memory", "1048575",
			     why, sizeof(why)),
	    ERR_CONFIG);
	assert_non_null(strstr(why, "server.import_memory"));
	assert_int_equal(c.import_memory, 1048576);
}

static void
test_feed(void **state)
{
	struct config c;
	char why[256];

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.feed_resume_window, 100000);
	assert_int_equal(c.feed_max_buffer, 1 << 20);
	assert_int_equal(c.feed_escalation_check, 60);
	assert_int_equal(c.feed_step_limit_scale, 3600);
	assert_int_equal(
	    config_set(&c, "feed", "max_buffer", "65536", why, sizeof(why)), 0);
	assert_int_equal(c.feed_max_buffer, 65536);
	/* Below 64 KiB an event may not fit; above 4 MiB reading stops. */
	assert_int_equal(
	    config_set(&c, "feed", "max_buffer", "65535", why, sizeof(why)),
	    ERR_CONFIG);
	assert_non_null(strstr(why, "feed.max_buffer"));
	assert_int_equal(
	    config_set(&c, "feed", "max_buffer", "4194305", why, sizeof(why)),
	    ERR_CONFIG);
	assert_int_equal(
	    config_set(&c, "feed", "step_limit_scale", "1", why, sizeof(why)),
	    0);
	assert_int_equal(c.feed_step_limit_scale, 1);
	assert_int_equal(
	    config_set(&c, "feed", "escalation_check", "0", why, sizeof(why)),
	    ERR_CONFIG);
	assert_int_equal(
	    config_set(&c, "feed", "resume_window", "20", why, sizeof(why)), 0);
	assert_int_equal(c.feed_resume_window, 20);
	assert_int_equal(
	    config_set(&c, "feed", "heartbeat", "5", why, sizeof(why)),
	    ERR_CONFIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_import_memory),
		cmocka_unit_test(test_feed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
