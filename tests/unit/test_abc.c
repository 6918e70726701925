/*
 * abc_classify: the order (revenue, then name), the class rule on the
 * cumulative share before each customer, ties, zero revenue, a single
 * customer, an all-zero total and custom thresholds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tierd.h"

#define ITEM(n, r)                                                             \
	{                                                                      \
		.id = 0, .name = (n), .revenue = (r)                           \
	}

/* The classes of items, in order, as a string ("AABC"). */
static void
classes(const struct abc_item *items, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = items[i].abc_class;
	out[n] = '\0';
}

static void
test_order_and_classes(void **state)
{
	/* 50 + 25 + 10 + 10 + 5 = 100: before-shares 0, 50, 75, 85, 95. */
	struct abc_item it[] = { ITEM("e", 5), ITEM("a", 50), ITEM("c", 10),
		ITEM("b", 25), ITEM("d", 10) };
	char got[8];

	(void)state;
	assert_int_equal(abc_classify(it, 5, 75, 20), 0);
	assert_string_equal(it[0].name, "a");
	assert_string_equal(it[1].name, "b");
	assert_string_equal(it[2].name, "c"); /* tie: by name */
	assert_string_equal(it[3].name, "d");
	assert_string_equal(it[4].name, "e");
	classes(it, 5, got);
	/* a: 0 < 75 A; b: 50 < 75 A; c: 75 not < 75, < 95 B; d ties c: B;
	 * e: 95 not < 95: C. */
	assert_string_equal(got, "AABBC");
	assert_int_equal(it[0].rank, 1);
	assert_int_equal(it[2].rank, 3);
	assert_int_equal(it[3].rank, 3); /* tied revenue shares the rank */
	assert_int_equal(it[4].rank, 5);
	assert_true(it[1].share > 24.99 && it[1].share < 25.01);
	assert_true(it[1].cumulative > 74.99 && it[1].cumulative < 75.01);
	assert_true(it[4].cumulative > 99.99 && it[4].cumulative < 100.01);
}

static void
test_tie_takes_first_class(void **state)
{
	/* 70 + 10 + 10 + 10: the tie starts at 70 (A), so all three are A
	 * although the last two begin at 80 and 90. */
	struct abc_item it[] = { ITEM("z", 10), ITEM("big", 70), ITEM("y", 10),
		ITEM("x", 10) };
	char got[8];

	(void)state;
	assert_int_equal(abc_classify(it, 4, 75, 20), 0);
	classes(it, 4, got);
	assert_string_equal(got, "AAAA");
	assert_string_equal(it[1].name, "x");
	assert_string_equal(it[3].name, "z");
}

static void
test_zero_revenue_is_c(void **state)
{
	/* Without the zero rule, "none" would be B (before-share 50 < 95). */
	struct abc_item it[] = { ITEM("none", 0), ITEM("one", 100) };
	char got[8];

	(void)state;
	assert_int_equal(abc_classify(it, 2, 40, 60), 0);
	classes(it, 2, got);
	assert_string_equal(got, "AC");
	assert_int_equal(it[1].rank, 2);
	assert_true(it[1].share == 0);
}

static void
test_single_customer(void **state)
{
	struct abc_item it[] = { ITEM("only", 12345) };

	(void)state;
	assert_int_equal(abc_classify(it, 1, 75, 20), 0);
	assert_int_equal(it[0].abc_class, 'A');
	assert_int_equal(it[0].rank, 1);
	assert_true(it[0].share > 99.99 && it[0].cumulative > 99.99);
}

static void
test_all_zero(void **state)
{
	struct abc_item it[] = { ITEM("b", 0), ITEM("a", 0), ITEM("c", 0) };
	char got[8];

	(void)state;
	assert_int_equal(abc_classify(it, 3, 75, 20), 0);
	classes(it, 3, got);
	assert_string_equal(got, "CCC");
	assert_string_equal(it[0].name, "a");
	assert_int_equal(it[2].rank, 1);
	assert_true(it[0].share == 0 && it[2].cumulative == 0);
	assert_int_equal(abc_classify(it, 0, 75, 20), 0); /* empty is fine */
}

static void
test_custom_thresholds(void **state)
{
	/* 40 + 30 + 20 + 10, before-shares 0, 40, 70, 90. */
	struct abc_item it[] = { ITEM("d", 10), ITEM("c", 20), ITEM("b", 30),
		ITEM("a", 40) };
	char got[8];

	(void)state;
	assert_int_equal(abc_classify(it, 4, 50, 30), 0);
	classes(it, 4, got);
	assert_string_equal(got, "AABC"); /* 70 < 80 B; 90 >= 80 C */
	assert_int_equal(abc_classify(it, 4, 40, 60), 0);
	classes(it, 4, got);
	assert_string_equal(got, "ABBB"); /* 40 not < 40: B */
	assert_int_equal(abc_classify(it, 4, 100, 0), 0);
	classes(it, 4, got);
	assert_string_equal(got, "AAAA");
}

static void
test_bad_arguments(void **state)
{
	struct abc_item it[] = { ITEM("a", 1), ITEM("b", -1) };

	(void)state;
	assert_int_equal(abc_classify(it, 1, 0, 20), ERR_INVALID_ARG);
	assert_int_equal(abc_classify(it, 1, 80, 21), ERR_INVALID_ARG);
	assert_int_equal(abc_classify(it, 2, 75, 20), ERR_INVALID_ARG);
	assert_string_equal(it[0].name, "a"); /* left unsorted */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_classes),
		cmocka_unit_test(test_tie_takes_first_class),
		cmocka_unit_test(test_zero_revenue_is_c),
		cmocka_unit_test(test_single_customer),
		cmocka_unit_test(test_all_zero),
		cmocka_unit_test(test_custom_thresholds),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
