/*
 * The calendar dates of visits, complaints and inquiries (server/day.c): what
 * day_parse accepts (real days from 2000-01-01 to 2999-12-31,
 * exactly "YYYY-MM-DD") and that day_format is its inverse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "tierd.h"

static void
test_known_days(void **state)
{
	int64_t d;

	(void)state;
	assert_int_equal(day_parse("2000-01-01", &d), 0);
	assert_int_equal(d, 10957);
	assert_int_equal(day_parse("2026-11-23", &d), 0);
	assert_int_equal(d, 20780);
	assert_int_equal(day_parse("2999-12-31", &d), 0);
}

static void
test_refused(void **state)
{
	static const char *const bad[] = { "", "1999-12-31", "3000-01-01",
		"2026-02-29", "2100-02-29", "2026-04-31", "2026-13-01",
		"2026-00-10", "2026-01-00", "2026-1-05", "2026/01/05",
		"2026-01-05 ", " 2026-01-05", "20260105", "2026-01-0x",
		"2026-01-32" };
	size_t i;
	int64_t d;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(day_parse(bad[i], &d), ERR_INVALID_ARG);
	assert_int_equal(day_parse(NULL, &d), ERR_INVALID_ARG);
}

static void
test_leap_days(void **state)
{
	int64_t a, b;

	(void)state;
	assert_int_equal(day_parse("2000-02-29", &a), 0);
	assert_int_equal(day_parse("2000-03-01", &b), 0);
	assert_int_equal(b - a, 1);
	assert_int_equal(day_parse("2024-02-29", &a), 0);
	assert_int_equal(day_parse("2400-02-29", &a), 0);
}

static void
test_round_trip(void **state)
{
	int64_t first, last, d, back;
	char text[11];

	(void)state;
	assert_int_equal(day_parse("2000-01-01", &first), 0);
	assert_int_equal(day_parse("2999-12-31", &last), 0);
	for (d = first; d <= last; d++) {
		day_format(d, text);
		assert_int_equal(day_parse(text, &back), 0);
		assert_int_equal(back, d);
	}
	day_format(first, text);
	assert_string_equal(text, "2000-01-01");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_days),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_leap_days),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
