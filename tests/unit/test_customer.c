/*
 * The customer name normalisation behind duplicate detection (full-width
 * letters, case, white space, invalid UTF-8) and the card's missing fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tierd.h"

/* Asserts that name normalises to want. */
static void
assert_norm(const char *name, const char *want)
{
	char *got = NULL;

	assert_int_equal(msg_norm_name(name, &got), 0);
	assert_non_null(got);
	if (strcmp(got, want) != 0)
		fail_msg("\"%s\" normalised to \"%s\", want \"%s\"", name, got,
		    want);
	free(got);
}

/* Asserts that a and b normalise to the same text. */
static void
assert_same(const char *a, const char *b)
{
	char *na = NULL, *nb = NULL;

	assert_int_equal(msg_norm_name(a, &na), 0);
	assert_int_equal(msg_norm_name(b, &nb), 0);
	if (strcmp(na, nb) != 0)
		fail_msg("\"%s\" -> \"%s\" but \"%s\" -> \"%s\"", a, na, b, nb);
	free(na);
	free(nb);
}

static void
test_full_width(void **state)
{
	(void)state;
	/* The example of the spec: full-width Latin letters are NFKC'd. */
	assert_same("ＡＢＣ有限公司", "abc有限公司");
	assert_norm("ＡＢＣ有限公司", "abc有限公司");
	/* Full-width digits and punctuation too. */
	assert_norm("１２３（北京）", "123(北京)");
	/* Half-width katakana become full-width ones. */
	assert_same("ｶﾀｶﾅ", "カタカナ");
	/* Chinese characters are left alone. */
	assert_norm("华东机械", "华东机械");
}

static void
test_case(void **state)
{
	(void)state;
	assert_norm("ACME Gears Ltd", "acme gears ltd");
	assert_same("ÄRGER GmbH", "ärger gmbh");
	/* Case folding, not lower-casing: ß folds to ss. */
	assert_same("Straße AG", "STRASSE AG");
	/* Composed and decomposed forms are one name. */
	assert_same("Caf\xc3\xa9", "Cafe\xcc\x81");
}

static void
test_white_space(void **state)
{
	(void)state;
	assert_norm("  abc  ", "abc");
	assert_norm("abc   有限  公司", "abc 有限 公司");
	assert_norm("\tabc\n\r有限公司 ", "abc 有限公司");
	/* The ideographic space and the no-break space count as spaces. */
	assert_norm("ABC\xe3\x80\x80有限公司", "abc 有限公司");
	assert_norm("ABC\xc2\xa0\xc2\xa0Ltd", "abc ltd");
	/* A space inside a name is part of it: these two differ. */
	char *a = NULL, *b = NULL;
	assert_int_equal(msg_norm_name("abc 有限公司", &a), 0);
	assert_int_equal(msg_norm_name("abc有限公司", &b), 0);
	assert_string_not_equal(a, b);
	free(a);
	free(b);
	/* Nothing but space is nothing. */
	assert_norm("", "");
	assert_norm(" \xe3\x80\x80\t", "");
}

static void
test_invalid(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(msg_norm_name("abc\xff", &out), ERR_INVALID_ARG);
	assert_null(out);
	assert_int_equal(msg_norm_name("\xe5\x8d", &out), ERR_INVALID_ARG);
	assert_null(out);
	/* An overlong encoding of '/' is not UTF-8. */
	assert_int_equal(msg_norm_name("\xc0\xaf", &out), ERR_INVALID_ARG);
	assert_null(out);
}

static void
test_missing(void **state)
{
	const char *missing[CUSTOMER_CARD_FIELDS];
	struct store_revenue rev = { 2026, 1000, 1200 };
	struct store_customer c;
	size_t n;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.name = "abc";
	c.industry = c.region = c.size = c.contacts = c.payment_terms = "";
	n = cmd_customer_missing(&c, missing);
	assert_int_equal(n, CUSTOMER_CARD_FIELDS);
	assert_string_equal(missing[0], "industry");
	assert_string_equal(missing[4], "credit_limit");
	assert_string_equal(missing[6], "revenue");
	assert_string_equal(missing[7], "profile");
	assert_string_equal(missing[9], "transaction_status");

	c.industry = "制造";
	c.region = "上海";
	c.size = "500";
	c.contacts = "王 138";
	c.credit_limit = 100000;
	c.revenue = &rev;
	c.nrevenue = 1;
	c.profile = "";
	c.key_people = "张总";
	c.transaction_status = "active";
	n = cmd_customer_missing(&c, missing);
	assert_int_equal(n, 2);
	assert_string_equal(missing[0], "payment_terms");
	assert_string_equal(missing[1], "profile");
	c.payment_terms = "net 30";
	c.profile = "汽车零部件, 3 plants";
	assert_int_equal(cmd_customer_missing(&c, missing), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_width),
		cmocka_unit_test(test_case),
		cmocka_unit_test(test_white_space),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
