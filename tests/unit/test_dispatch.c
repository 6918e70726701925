/*
 * The command table against the .proto: every request kind has exactly one
 * row, the row's name is the oneof field's name, and its response body is the
 * response field of the same name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "tierd.h"

static void
test_every_request_has_one_row(void **state)
{
	const ProtobufCMessageDescriptor *rd = &tier__request__descriptor;
	const ProtobufCMessageDescriptor *sd = &tier__response__descriptor;
	const ProtobufCFieldDescriptor *resp_field;
	unsigned i, rows, oneof_fields = 0;
	size_t j;

	(void)state;
	for (i = 0; i < rd->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &rd->fields[i];

		if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			continue;
		oneof_fields++;
		rows = 0;
		for (j = 0; dispatch_table[j] != NULL; j++) {
			if ((unsigned)dispatch_table[j]->request == f->id) {
				rows++;
				assert_string_equal(
				    dispatch_table[j]->name, f->name);
				resp_field =
				    protobuf_c_message_descriptor_get_field_by_name(
					sd, f->name);
				assert_non_null(resp_field);
				assert_int_equal(
				    (unsigned)dispatch_table[j]->response,
				    resp_field->id);
				assert_non_null(dispatch_table[j]->handler);
			}
		}
		if (rows != 1)
			fail_msg("request %s has %u rows in dispatch_table",
			    f->name, rows);
	}
	/* And no row for a request the .proto does not have. */
	for (j = 0; dispatch_table[j] != NULL; j++)
		assert_non_null(protobuf_c_message_descriptor_get_field(
		    rd, (unsigned)dispatch_table[j]->request));
	assert_int_equal(j, oneof_fields);
}

static void
test_lookup(void **state)
{
	(void)state;
	assert_non_null(dispatch_lookup(TIER__REQUEST__BODY_STATUS));
	assert_null(dispatch_lookup(TIER__REQUEST__BODY__NOT_SET));
	assert_null(dispatch_lookup((Tier__Request__BodyCase)9999));
}

static void
test_flags(void **state)
{
	const struct cmd_entry *e;

	(void)state;
	/* Enrolment is the one request an unregistered key may make. */
	e = dispatch_lookup(TIER__REQUEST__BODY_ENROLL);
	assert_true(e->flags & CMD_ANONYMOUS);
	assert_true(e->flags & CMD_WRITE);
	for (size_t j = 0; dispatch_table[j] != NULL; j++) {
		if (dispatch_table[j] != e)
			assert_false(dispatch_table[j]->flags & CMD_ANONYMOUS);
	}
	/* Only admins manage users; auditors may list them. */
	e = dispatch_lookup(TIER__REQUEST__BODY_USER_ADD);
	assert_int_equal(e->roles, CMD_ROLE(TIER__ROLE__ROLE_ADMIN));
	assert_true(e->flags & CMD_WRITE);
	e = dispatch_lookup(TIER__REQUEST__BODY_USER_LIST);
	assert_true(e->roles & CMD_ROLE(TIER__ROLE__ROLE_AUDITOR));
	assert_false(e->roles & CMD_ROLE(TIER__ROLE__ROLE_BU_VP));
	assert_false(e->flags & CMD_WRITE);
}

/* The auditor reads everything and changes nothing. */
static void
test_auditor_never_writes(void **state)
{
	size_t j;

	(void)state;
	for (j = 0; dispatch_table[j] != NULL; j++) {
		if ((dispatch_table[j]->flags & CMD_WRITE) &&
		    (dispatch_table[j]->roles &
			CMD_ROLE(TIER__ROLE__ROLE_AUDITOR)))
			fail_msg("an auditor may %s", dispatch_table[j]->name);
	}
}

/* An error cut at a byte count stays UTF-8: no half characters. */
static void
test_error_utf8(void **state)
{
	Tier__Response resp = TIER__RESPONSE__INIT;
	struct cmd_ctx ctx;
	char name[601];
	size_t i;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	assert_int_equal(arena_new(&ctx.arena), 0);
	/* "%.4s" of 华东 keeps 华 and one byte of 东. */
	assert_int_not_equal(
	    cmd_error(&ctx, &resp, TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND, "",
		"no \xe4\xb8", "no segment \"%.4s\"", "华东"),
	    0);
	assert_string_equal(resp.error->message, "no segment \"华\"");
	assert_string_equal(resp.error->hint, "no ");
	/* 200 characters of three bytes overflow the 512-byte message. */
	for (i = 0; i < 200; i++)
		memcpy(name + 3 * i, "长", 3);
	name[600] = '\0';
	cmd_error(&ctx, &resp, TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "",
	    NULL, "%s", name);
	assert_true(msg_text_valid(resp.error->message, 511));
	assert_int_equal(strlen(resp.error->message), 3 * 170);
	arena_free(ctx.arena);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_request_has_one_row),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_auditor_never_writes),
		cmocka_unit_test(test_error_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
