/*
 * Tests of common/msg.c: role names both ways for every role in the .proto,
 * error code names, and packing a Request that unpacks to the same thing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "msg.h"

static void
test_role_round_trip(void **state)
{
	static const struct {
		Tier__Role role;
		const char *name;
	} want[] = {
		{ TIER__ROLE__ROLE_BG_VP, "bg_vp" },
		{ TIER__ROLE__ROLE_BU_VP, "bu_vp" },
		{ TIER__ROLE__ROLE_SEGMENT_MGR, "segment_mgr" },
		{ TIER__ROLE__ROLE_ACCOUNT_MGR, "account_mgr" },
		{ TIER__ROLE__ROLE_RESEARCHER, "researcher" },
		{ TIER__ROLE__ROLE_MARKETING_HEAD, "marketing_head" },
		{ TIER__ROLE__ROLE_ADMIN, "admin" },
		{ TIER__ROLE__ROLE_AUDITOR, "auditor" },
	};
	Tier__Role r;
	size_t i;

	(void)state;
	/* Every role in the .proto but UNSPECIFIED is listed above. */
	assert_int_equal(tier__role__descriptor.n_values,
	    sizeof(want) / sizeof(want[0]) + 1);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(msg_role_name(want[i].role), want[i].name);
		r = TIER__ROLE__ROLE_UNSPECIFIED;
		assert_int_equal(msg_role_parse(want[i].name, &r), 0);
		assert_int_equal(r, want[i].role);
		assert_non_null(strstr(msg_role_names(), want[i].name));
	}
}

static void
test_role_parse_rejects_unknown(void **state)
{
	static const char *bad[] = { "", "ADMIN", "admin ", "boss",
		"unspecified", "role_admin", "segment-mgr" };
	Tier__Role r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = TIER__ROLE__ROLE_AUDITOR;
		assert_int_equal(msg_role_parse(bad[i], &r), ERR_INVALID_ARG);
		assert_int_equal(r, TIER__ROLE__ROLE_AUDITOR);
	}
	assert_string_equal(
	    msg_role_name(TIER__ROLE__ROLE_UNSPECIFIED), "unspecified");
	assert_string_equal(msg_role_name((Tier__Role)99), "unspecified");
}

static void
test_error_code_names(void **state)
{
	static const struct {
		Tier__ErrorCode code;
		const char *name;
	} want[] = {
		{ TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "bad_request" },
		{ TIER__ERROR_CODE__ERROR_CODE_UNKNOWN_KEY, "unknown_key" },
		{ TIER__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED,
		    "permission_denied" },
		{ TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND, "not_found" },
		{ TIER__ERROR_CODE__ERROR_CODE_ALREADY_EXISTS,
		    "already_exists" },
		{ TIER__ERROR_CODE__ERROR_CODE_CONFLICT, "conflict" },
		{ TIER__ERROR_CODE__ERROR_CODE_ENROLMENT_REFUSED,
		    "enrolment_refused" },
		{ TIER__ERROR_CODE__ERROR_CODE_UNSUPPORTED, "unsupported" },
		{ TIER__ERROR_CODE__ERROR_CODE_TOO_LARGE, "too_large" },
		{ TIER__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "unavailable" },
		{ TIER__ERROR_CODE__ERROR_CODE_INTERNAL, "internal" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(
		    msg_error_code_name(want[i].code), want[i].name);
	assert_string_equal(
	    msg_error_code_name(TIER__ERROR_CODE__ERROR_CODE_NONE), "none");
	assert_string_equal(
	    msg_error_code_name((Tier__ErrorCode)1000), "unknown");
}

static void
test_pack_request_round_trip(void **state)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__UserAddRequest add = TIER__USER_ADD_REQUEST__INIT;
	Tier__Request *back;
	struct buf b = BUF_INIT;
	size_t first;

	(void)state;
	add.name = "alice";
	add.role = TIER__ROLE__ROLE_SEGMENT_MGR;
	add.scope = "segments:华东";
	add.code_ttl_seconds = 3600;
	req.id = 42;
	req.body_case = TIER__REQUEST__BODY_USER_ADD;
	req.user_add = &add;

	/* Packing appends: a prefix already in the buffer is kept. */
	assert_int_equal(buf_append(&b, "pre", 3), 0);
	assert_int_equal(msg_pack(&req.base, &b), 0);
	first = b.len - 3;
	assert_int_equal(first, tier__request__get_packed_size(&req));
	assert_memory_equal(b.data, "pre", 3);

	back = tier__request__unpack(NULL, first, b.data + 3);
	assert_non_null(back);
	assert_int_equal(back->id, 42);
	assert_int_equal(back->body_case, TIER__REQUEST__BODY_USER_ADD);
	assert_string_equal(back->user_add->name, "alice");
	assert_int_equal(back->user_add->role, TIER__ROLE__ROLE_SEGMENT_MGR);
	assert_string_equal(back->user_add->scope, "segments:华东");
	assert_int_equal(back->user_add->code_ttl_seconds, 3600);
	tier__request__free_unpacked(back, NULL);
	buf_free(&b);
}

static void
test_pack_empty_status(void **state)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__StatusRequest st = TIER__STATUS_REQUEST__INIT;
	Tier__Request *back;
	struct buf b = BUF_INIT;

	(void)state;
	req.id = 1;
	req.body_case = TIER__REQUEST__BODY_STATUS;
	req.status = &st;
	assert_int_equal(msg_pack(&req.base, &b), 0);
	/* id=1 (08 01), field 10 length-delimited empty (52 00). */
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "\x08\x01\x52\x00", 4);
	back = tier__request__unpack(NULL, b.len, b.data);
	assert_non_null(back);
	assert_int_equal(back->id, 1);
	assert_int_equal(back->body_case, TIER__REQUEST__BODY_STATUS);
	tier__request__free_unpacked(back, NULL);
	buf_free(&b);
}

/* Free text: UTF-8 that decodes, without control characters. */
static void
test_text_valid(void **state)
{
	static const char *const good[] = {
		"",
		"plain ASCII ~",
		"华东 智能制造 客户",
		"\xf0\x9f\x98\x80 U+1F600",
		"\xf4\x8f\xbf\xbf U+10FFFF",
		"\xc2\xa0 U+00A0, the first after the C1 controls",
	};
	static const char *const bad[] = {
		"\x01",
		"a\x1f b",
		"DEL \x7f",
		"CR \r",
		"\xc2\x85 U+0085 (C1)",
		"\xc2\x9f U+009F (C1)",
		"\xc0\xaf overlong /",
		"\xe0\x80\xaf overlong /",
		"\xf0\x80\x80\xaf overlong /",
		"\xed\xa0\x80 surrogate",
		"\xf4\x90\x80\x80 past U+10FFFF",
		"\xf8\x88\x80\x80\x80",
		"\xe4\xb8 cut",
		"\xe4\xb8",
		"\x80 lone continuation",
		"\xff",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(msg_text_valid(good[i], 100));
		assert_true(msg_lines_valid(good[i], 100));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(msg_text_valid(bad[i], 100));
		assert_false(msg_lines_valid(bad[i], 100));
	}
	/* Tab and newline: lines only. */
	assert_false(msg_text_valid("one\ttwo", 100));
	assert_true(msg_lines_valid("one\ttwo\nthree", 100));
	/* The limit is in bytes: 华东 is six. */
	assert_true(msg_text_valid("华东", 6));
	assert_false(msg_text_valid("华东", 5));
	assert_false(msg_lines_valid("华东", 5));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_round_trip),
		cmocka_unit_test(test_role_parse_rejects_unknown),
		cmocka_unit_test(test_error_code_names),
		cmocka_unit_test(test_pack_request_round_trip),
		cmocka_unit_test(test_pack_empty_status),
		cmocka_unit_test(test_text_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
