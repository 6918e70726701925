/*
 * tier top without a terminal: text fitted to columns by display width,
 * which is what keeps Chinese and Latin names in line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tier.h"

/* top_fit into a roomy buffer, checking the width it promises. */
static const char *
fit(const char *s, size_t width)
{
	static char buf[256];

	top_fit(buf, sizeof(buf), s, width);
	assert_int_equal(output_width(buf), width);
	return buf;
}

static void
test_fit(void **state)
{
	char small[8];

	(void)state;
	/* Padded to the width, whatever the script. */
	assert_string_equal(fit("ACME", 8), "ACME    ");
	assert_string_equal(fit("传动", 8), "传动    ");
	assert_string_equal(fit("ACME 传动", 9), "ACME 传动");
	/* Cut with an ellipsis, never through a wide character. */
	assert_string_equal(fit("Borealis Motors", 8), "Boreali…");
	assert_string_equal(fit("南方泵业", 6), "南方… ");
	assert_string_equal(fit("南方泵业", 5), "南方…");
	assert_string_equal(fit("南方泵业", 2), "… ");
	assert_string_equal(fit("南方泵业", 1), "…");
	assert_string_equal(fit("", 3), "   ");
	/* Controls and broken UTF-8 are shown as '?'. */
	assert_string_equal(fit("a\tb\033c", 6), "a?b?c ");
	assert_string_equal(fit("a\xff", 3), "a? ");
	/* No width, nothing at all. */
	top_fit(small, sizeof(small), "abc", 0);
	assert_string_equal(small, "");
	/* A small buffer holds what fits and stays terminated. */
	top_fit(small, sizeof(small), "传动传动", 8);
	assert_true(strlen(small) < sizeof(small));
	assert_string_equal(small, "传动");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit),
	};

	output_locale_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
