/*
 * Enrolment codes: what people may type, and that issued codes verify.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "tierd.h"

static void
test_normalisation(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	assert_int_equal(enrol_hash("ABCD-EFGH-JKMN-PQRS", a), 0);
	assert_int_equal(enrol_hash("abcd efgh jkmn pqrs", b), 0);
	assert_memory_equal(a, b, 32);
	assert_int_equal(enrol_hash("ABCDEFGHJKMNPQRS", b), 0);
	assert_memory_equal(a, b, 32);
	/* Crockford: O reads as 0, I and L as 1. */
	assert_int_equal(enrol_hash("0111-2345-6789-ABCD", a), 0);
	assert_int_equal(enrol_hash("OIlL-2345-6789-abcd", b), 0);
	assert_memory_equal(a, b, 32);
	/* A different code hashes differently. */
	assert_int_equal(enrol_hash("0111-2345-6789-ABCE", b), 0);
	assert_memory_not_equal(a, b, 32);
}

static void
test_rejects(void **state)
{
	uint8_t h[32];

	(void)state;
	assert_int_equal(enrol_hash("", h), ERR_INVALID_ARG);
	assert_int_equal(enrol_hash("ABCD-EFGH-JKMN-PQR", h), ERR_INVALID_ARG);
	assert_int_equal(
	    enrol_hash("ABCD-EFGH-JKMN-PQRST", h), ERR_INVALID_ARG);
	assert_int_equal(enrol_hash("ABCD-EFGH-JKMN-PQRU", h), ERR_INVALID_ARG);
	assert_int_equal(enrol_hash("ABCD-EFGH-JKMN-PQR!", h), ERR_INVALID_ARG);
	assert_int_equal(
	    enrol_hash("ABCD-EFGH-JKMN-PQR\xc3\xa9", h), ERR_INVALID_ARG);
}

static void
test_issue_and_redeem(void **state)
{
	char dir[] = "/tmp/test_enrol.XXXXXX", path[64], why[256];
	char code[ENROL_CODE_SIZE];
	struct store *st;
	struct store_user u = { 0 };
	enum store_code_status status;
	int64_t exp, uid = 0, expired_at;
	uint8_t h[32];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(store_open(&st, path, why, sizeof(why)), 0);
	snprintf(u.name, sizeof(u.name), "ann");
	snprintf(u.scope, sizeof(u.scope), "all");
	u.role = TIER__ROLE__ROLE_ADMIN;
	assert_int_equal(store_user_insert(st, &u), 0);

	assert_int_equal(enrol_issue(st, u.id, 3600, 1000, code, &exp), 0);
	assert_int_equal(exp, 4600);
	assert_int_equal(strlen(code), ENROL_CODE_SIZE - 1);
	assert_int_equal(code[4], '-');
	assert_int_equal(enrol_hash(code, h), 0);
	assert_int_equal(
	    store_code_redeem(st, h, 2000, &uid, &status, &expired_at), 0);
	assert_int_equal(status, STORE_CODE_OK);
	assert_int_equal(uid, u.id);
	store_close(st);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalisation),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_issue_and_redeem),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
