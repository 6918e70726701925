/*
 * Tests of server/jsonw.c against jansson: the same documents written both
 * ways must print byte for byte alike (escapes, non-ASCII, surrogate pairs,
 * reals, nesting), random strings must be refused exactly when jansson
 * refuses them as not UTF-8, and errors must stick.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>

#include "tierd.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)

/* Compares the writer's document in b with jansson's dump of j. */
static void
assert_same(struct buf *b, size_t start, json_t *j)
{
	char *want = json_dumps(j, DUMP_FLAGS | JSON_ENCODE_ANY);

	assert_non_null(want);
	assert_string_equal((const char *)b->data + start, want);
	assert_int_equal(b->len - start, strlen(want));
	free(want);
	json_decref(j);
}

static const char *const texts[] = {
	"",
	"plain",
	"quote \" backslash \\ slash / del \x7f",
	"\b\f\n\r\t\x01\x1f",
	"客户 5678 有限公司",
	"emoji \xf0\x9f\x98\x80 and U+10FFFF \xf4\x8f\xbf\xbf",
	"two-byte \xc2\x80 \xdf\xbf three-byte \xe0\xa0\x80 \xef\xbf\xbf",
};

static void
test_strings(void **state)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	json_t *j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		buf_reset(&b);
		jsonw_init(&w, &b);
		jsonw_str(&w, NULL, texts[i]);
		assert_int_equal(jsonw_finish(&w), 0);
		j = json_string(texts[i]);
		assert_non_null(j);
		assert_same(&b, 0, j);
	}
	buf_free(&b);
}

static void
test_reals(void **state)
{
	static const double v[] = { 0.0, -0.0, 87.25, 0.1, -2.5, 1e300, 1e-7,
		1.5e-300, 123456789012345678.0, 100000.0, 1.0 / 3.0, 2e22,
		-4.9e-324 };
	struct buf b = BUF_INIT;
	struct jsonw w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		jsonw_init(&w, &b);
		jsonw_real(&w, NULL, v[i]);
		assert_int_equal(jsonw_finish(&w), 0);
		assert_same(&b, 0, json_real(v[i]));
	}
	buf_free(&b);
}

/* A document of every kind of value, nested, after text already in b. */
static void
test_document(void **state)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	json_t *j;

	(void)state;
	assert_int_equal(buf_append(&b, "prefix", 6), 0);
	jsonw_init(&w, &b);
	jsonw_object(&w, NULL);
	jsonw_array(&w, "approvals");
	jsonw_object(&w, NULL);
	jsonw_str(&w, "by", "分部经理");
	jsonw_str(&w, "on_behalf_of", "");
	jsonw_int(&w, "step", 0);
	jsonw_end_object(&w);
	jsonw_object(&w, NULL);
	jsonw_end_object(&w);
	jsonw_end_array(&w);
	jsonw_array(&w, "empty");
	jsonw_end_array(&w);
	jsonw_bool(&w, "f", 0);
	jsonw_int(&w, "max", INT64_MAX);
	jsonw_int(&w, "min", INT64_MIN);
	jsonw_real(&w, "score", 87.25);
	jsonw_object(&w, "scores");
	jsonw_int(&w, "fit", 5);
	jsonw_int(&w, "revenue", -4);
	jsonw_end_object(&w);
	jsonw_str(&w, "state", "scored");
	jsonw_bool(&w, "t", 1);
	jsonw_end_object(&w);
	assert_int_equal(jsonw_finish(&w), 0);
	assert_memory_equal(b.data, "prefix", 6);

	j = json_pack("{s:[{s:s, s:s, s:i}, {}], s:[], s:b, s:I, s:I, s:f, "
		      "s:{s:i, s:i}, s:s, s:b}",
	    "approvals", "by", "分部经理", "on_behalf_of", "", "step", 0,
	    "empty", "f", 0, "max", (json_int_t)INT64_MAX, "min",
	    (json_int_t)INT64_MIN, "score", 87.25, "scores", "fit", 5,
	    "revenue", -4, "state", "scored", "t", 1);
	assert_non_null(j);
	assert_same(&b, 6, j);
	buf_free(&b);
}

/* Random code points and random bytes: the writer refuses exactly what
 * jansson refuses, and prints the same for the rest. */
static void
test_random_text(void **state)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	unsigned char s[64];
	json_t *j;
	size_t i, k, n;
	uint32_t cp;
	int r, refused = 0;

	(void)state;
	srand(7);
	for (i = 0; i < 20000; i++) {
		n = 0;
		while (n < sizeof(s) - 5 && rand() % 12 != 0) {
			if (i % 2 == 0) {
				/* Any byte but NUL: mostly not UTF-8. */
				s[n++] = (unsigned char)(1 + rand() % 255);
				continue;
			}
			do
				cp = (uint32_t)rand() % 0x110000;
			while (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff));
			if (cp < 0x80)
				s[n++] = (unsigned char)cp;
			else if (cp < 0x800) {
				s[n++] = (unsigned char)(0xc0 | cp >> 6);
				s[n++] = (unsigned char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				s[n++] = (unsigned char)(0xe0 | cp >> 12);
				s[n++] =
				    (unsigned char)(0x80 | (cp >> 6 & 0x3f));
				s[n++] = (unsigned char)(0x80 | (cp & 0x3f));
			} else {
				s[n++] = (unsigned char)(0xf0 | cp >> 18);
				for (k = 3; k-- > 0;)
					s[n++] =
					    (unsigned char)(0x80 |
							    (cp >> (6 * k) &
								0x3f));
			}
		}
		s[n] = '\0';
		buf_reset(&b);
		jsonw_init(&w, &b);
		jsonw_str(&w, NULL, (const char *)s);
		r = jsonw_finish(&w);
		j = json_string((const char *)s);
		if (j == NULL) {
			assert_int_equal(r, ERR_INVALID_ARG);
			refused++;
			continue;
		}
		assert_int_equal(r, 0);
		assert_same(&b, 0, j);
	}
	/* Both kinds of input were exercised. */
	assert_true(refused > 1000 && refused < 10000);
	buf_free(&b);
}

static void
test_errors_stick(void **state)
{
	static const char *const bad[] = {
		"\xc0\x80",     /* overlong NUL */
		"\xe0\x80\xaf", /* overlong '/' */
		"\xed\xa0\x80", /* a surrogate */
		"\xf5\x80\x80\x80",
		"\xe4\xb8",
		"ok \x80",
		"\xf4\x90\x80\x80",
	};
	struct buf b = BUF_INIT;
	struct jsonw w;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		jsonw_init(&w, &b);
		jsonw_object(&w, NULL);
		jsonw_str(&w, "text", bad[i]);
		len = b.len;
		jsonw_int(&w, "after", 1);
		jsonw_end_object(&w);
		assert_int_equal(b.len, len);
		assert_int_equal(jsonw_finish(&w), ERR_INVALID_ARG);
	}
	buf_reset(&b);
	jsonw_init(&w, &b);
	jsonw_real(&w, NULL, NAN);
	assert_int_equal(jsonw_finish(&w), ERR_INVALID_ARG);
	jsonw_init(&w, &b);
	jsonw_real(&w, NULL, -INFINITY);
	assert_int_equal(jsonw_finish(&w), ERR_INVALID_ARG);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_reals),
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_random_text),
		cmocka_unit_test(test_errors_stick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
