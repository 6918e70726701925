/*
 * Tests of server/arena.c: memory is zeroed and aligned, also when it comes
 * from a block an earlier arena used and handed back, and allocations larger
 * than a block, or more blocks than are kept, are served and freed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tierd.h"

/* Whether len bytes at p are all zero. */
static int
all_zero(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void
test_zeroed_and_aligned(void **state)
{
	struct arena *a;
	size_t lens[] = { 0, 1, 3, 17, 100, 1000, 4000, 5000, 100000 };
	size_t i;

	(void)state;
	assert_int_equal(arena_new(&a), 0);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		unsigned char *p = arena_alloc(a, lens[i]);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
		assert_true(all_zero(p, lens[i]));
		memset(p, 0xa5, lens[i]);
	}
	assert_string_equal(arena_strdup(a, "abc"), "abc");
	arena_free(a);
	arena_free(NULL);
}

/* Blocks written all over and freed come back zeroed to the next arenas. */
static void
test_reused_blocks_are_zero(void **state)
{
	enum { N = 80, LEN = 1000 };
	struct arena *a[N];
	unsigned char *p;
	int round, i, k;

	(void)state;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < N; i++) {
			assert_int_equal(arena_new(&a[i]), 0);
			/* Several blocks per arena, each filled. */
			for (k = 0; k < 9; k++) {
				assert_non_null(p = arena_alloc(a[i], LEN));
				assert_true(all_zero(p, LEN));
				memset(p, 0xff, LEN);
			}
		}
		for (i = 0; i < N; i++)
			arena_free(a[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zeroed_and_aligned),
		cmocka_unit_test(test_reused_blocks_are_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
