/*
 * Tests of common/buf.c: appending, consuming from the front, reset and free,
 * and growth across many reallocations keeping the contents intact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"

static void
test_empty(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	/* Appending nothing allocates nothing. */
	assert_int_equal(buf_append(&b, "x", 0), 0);
	assert_null(b.data);
	buf_reset(&b);
	buf_free(&b);
	buf_free(&b);
	assert_null(b.data);
}

static void
test_append_consume(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(buf_append(&b, "hello", 5), 0);
	assert_int_equal(buf_append(&b, " world", 6), 0);
	assert_int_equal(b.len, 11);
	assert_true(b.cap >= 11);
	assert_memory_equal(b.data, "hello world", 11);

	buf_consume(&b, 6);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "world", 5);
	buf_consume(&b, 0);
	assert_int_equal(b.len, 5);
	buf_consume(&b, 5);
	assert_int_equal(b.len, 0);

	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_memory_equal(b.data, "abc", 3);
	/* Consuming more than is there empties the buffer. */
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_reset_keeps_allocation(void **state)
{
	struct buf b = BUF_INIT;
	uint8_t *data;
	size_t cap;

	(void)state;
	assert_int_equal(buf_append(&b, "secret", 6), 0);
	data = b.data;
	cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.cap, cap);
	/* The old contents are wiped, not just forgotten. */
	assert_int_equal(b.data[0], 0);
	assert_int_equal(b.data[5], 0);
	assert_int_equal(buf_append(&b, "x", 1), 0);
	assert_int_equal(b.len, 1);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	/* A freed buffer is reusable. */
	assert_int_equal(buf_append(&b, "again", 5), 0);
	assert_memory_equal(b.data, "again", 5);
	buf_free(&b);
}

static void
test_growth(void **state)
{
	struct buf b = BUF_INIT;
	uint8_t chunk[1000];
	size_t i, j, grew = 0, last_cap = 0;

	(void)state;
	for (i = 0; i < 1000; i++) {
		memset(chunk, (int)(i & 0xff), sizeof(chunk));
		assert_int_equal(buf_append(&b, chunk, sizeof(chunk)), 0);
		assert_true(b.cap >= b.len);
		if (b.cap != last_cap) {
			grew++;
			last_cap = b.cap;
		}
	}
	assert_int_equal(b.len, 1000 * sizeof(chunk));
	/* Growth is geometric: a million bytes in a handful of steps. */
	assert_true(grew < 20);
	for (i = 0; i < 1000; i++) {
		for (j = 0; j < sizeof(chunk); j++) {
			if (b.data[i * sizeof(chunk) + j] != (uint8_t)i)
				fail_msg("byte %zu corrupted",
				    i * sizeof(chunk) + j);
		}
	}
	buf_consume(&b, 999 * sizeof(chunk));
	assert_int_equal(b.len, sizeof(chunk));
	assert_int_equal(b.data[0], (uint8_t)999);
	buf_free(&b);
}

static void
test_reserve(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(buf_reserve(&b, 5000), 0);
	assert_true(b.cap >= 5000);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_append(&b, "ab", 2), 0);
	assert_int_equal(buf_reserve(&b, SIZE_MAX), ERR_ALLOC);
	assert_int_equal(buf_reserve(&b, SIZE_MAX - 1), ERR_ALLOC);
	/* A failed reservation leaves the contents alone. */
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "ab", 2);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_append_consume),
		cmocka_unit_test(test_reset_keeps_allocation),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_reserve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
