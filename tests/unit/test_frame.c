/*
 * Tests of common/frame.c: header parsing at and around every length limit,
 * and the exact bytes frame_append writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "err.h"
#include "frame.h"

static int
parse(uint8_t a, uint8_t b, uint8_t c, uint8_t d, size_t *len)
{
	const uint8_t hdr[4] = { a, b, c, d };

	return frame_parse_header(hdr, sizeof(hdr), len);
}

static void
test_header_needs_four_bytes(void **state)
{
	const uint8_t hdr[4] = { 0, 0, 0, 5 };
	size_t len = 12345, i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(frame_parse_header(hdr, i, &len), ERR_AGAIN);
	assert_int_equal(len, 12345);
	assert_int_equal(frame_parse_header(hdr, 4, &len), 0);
	assert_int_equal(len, 5);
	/* Bytes beyond the header are not the header's business. */
	assert_int_equal(frame_parse_header(hdr, 4, &len), 0);
}

static void
test_header_limits(void **state)
{
	size_t len = 0;

	(void)state;
	assert_int_equal(parse(0, 0, 0, 0, &len), ERR_FRAME_TOO_SMALL);
	assert_int_equal(parse(0, 0, 0, 1, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(parse(0, 0, 0xff, 0xff, &len), 0);
	assert_int_equal(len, 65535);
	assert_int_equal(parse(0, 1, 0, 0, &len), ERR_FRAME_TOO_LARGE);
	assert_int_equal(parse(0, 0x10, 0, 0, &len), ERR_FRAME_TOO_LARGE);
	assert_int_equal(
	    parse(0xff, 0xff, 0xff, 0xff, &len), ERR_FRAME_TOO_LARGE);
	assert_int_equal(parse(0x80, 0, 0, 0, &len), ERR_FRAME_TOO_LARGE);
	assert_int_equal(parse(1, 0, 0, 1, &len), ERR_FRAME_TOO_LARGE);
}

static void
test_header_is_big_endian(void **state)
{
	size_t len = 0;

	(void)state;
	assert_int_equal(parse(0, 0, 0x01, 0x02, &len), 0);
	assert_int_equal(len, 0x0102);
	assert_int_equal(parse(0, 0, 0x12, 0x00, &len), 0);
	assert_int_equal(len, 0x1200);
}

static void
test_append_bytes(void **state)
{
	struct buf b = BUF_INIT;
	const uint8_t body[3] = { 'a', 'b', 'c' };
	const uint8_t want[] = { 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'z' };
	size_t len = 0;

	(void)state;
	assert_int_equal(frame_append(&b, body, sizeof(body)), 0);
	assert_int_equal(frame_append(&b, (const uint8_t *)"z", 1), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	assert_int_equal(frame_parse_header(b.data, b.len, &len), 0);
	assert_int_equal(len, 3);
	buf_free(&b);
}

static void
test_append_max_and_limits(void **state)
{
	static uint8_t body[FRAME_MAX_BODY + 1];
	struct buf b = BUF_INIT;
	size_t len = 0;

	(void)state;
	memset(body, 0x42, sizeof(body));
	assert_int_equal(frame_append(&b, body, FRAME_MAX_BODY), 0);
	assert_int_equal(b.len, FRAME_HEADER_LEN + FRAME_MAX_BODY);
	assert_int_equal(b.data[0], 0);
	assert_int_equal(b.data[1], 0);
	assert_int_equal(b.data[2], 0xff);
	assert_int_equal(b.data[3], 0xff);
	assert_int_equal(b.data[4], 0x42);
	assert_int_equal(b.data[b.len - 1], 0x42);
	assert_int_equal(frame_parse_header(b.data, b.len, &len), 0);
	assert_int_equal(len, FRAME_MAX_BODY);

	/* Refused lengths leave the buffer as it was. */
	assert_int_equal(
	    frame_append(&b, body, FRAME_MAX_BODY + 1), ERR_FRAME_TOO_LARGE);
	assert_int_equal(frame_append(&b, body, 0), ERR_FRAME_TOO_LARGE);
	assert_int_equal(b.len, FRAME_HEADER_LEN + FRAME_MAX_BODY);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_needs_four_bytes),
		cmocka_unit_test(test_header_limits),
		cmocka_unit_test(test_header_is_big_endian),
		cmocka_unit_test(test_append_bytes),
		cmocka_unit_test(test_append_max_and_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
