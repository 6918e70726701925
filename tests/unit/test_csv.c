/*
 * client/csv.c: the encoding detector (UTF-8 with and without BOM, GB18030,
 * neither; overlong forms, surrogates, cut sequences, NUL), the GB18030
 * conversion, the reader's edge cases (quotes, line breaks in cells and the
 * line numbers after them, blank lines, BOM, CRLF, empty and trimmed cells,
 * malformed quoting) and the Excel-compatible writer read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "tier.h"

static void
detect(const char *data, size_t len, struct csv_detection *d)
{
	csv_detect(data, len, d);
}

static void
test_detect_utf8(void **state)
{
	static const char plain[] = "name,region\n华东,上海\n";
	static const char bom[] = "\xef\xbb\xbfname\r\n中文\r\n";
	struct csv_detection d;

	(void)state;
	detect(plain, sizeof(plain) - 1, &d);
	assert_int_equal(d.encoding, CSV_ENCODING_UTF8);
	assert_int_equal(d.bom, 0);
	assert_true(d.bad_offset == SIZE_MAX);
	detect(bom, sizeof(bom) - 1, &d);
	assert_int_equal(d.encoding, CSV_ENCODING_UTF8);
	assert_int_equal(d.bom, 1);
	detect("", 0, &d);
	assert_int_equal(d.encoding, CSV_ENCODING_UTF8);
}

static void
test_detect_gb18030(void **state)
{
	/* "name\n" then 中文 in GB18030 on line 2, then ASCII. */
	static const char gb[] = "name\n\xd6\xd0\xce\xc4\nabc\n";
	struct csv_detection d;

	(void)state;
	detect(gb, sizeof(gb) - 1, &d);
	assert_int_equal(d.encoding, CSV_ENCODING_GB18030);
	assert_int_equal(d.bad_offset, 5);
	assert_int_equal(d.bad_line, 2);
}

static void
test_detect_unknown(void **state)
{
	static const char ff[] = "a\nb\nc \xff\xfe\n";
	/* A BOM promises UTF-8: bytes that are not are not guessed at. */
	static const char bom_gb[] = "\xef\xbb\xbf\xd6\xd0\xce\xc4\n";
	struct csv_detection d;

	(void)state;
	detect(ff, sizeof(ff) - 1, &d);
	assert_int_equal(d.encoding, CSV_ENCODING_UNKNOWN);
	assert_int_equal(d.bad_offset, 6);
	assert_int_equal(d.bad_line, 3);
	detect(bom_gb, sizeof(bom_gb) - 1, &d);
	assert_int_equal(d.encoding, CSV_ENCODING_UNKNOWN);
	assert_int_equal(d.bad_offset, 3);
}

static void
test_utf8_invalid_forms(void **state)
{
	(void)state;
	assert_true(csv_utf8_invalid("abc", 3) == SIZE_MAX);
	assert_true(csv_utf8_invalid("\xe4\xb8\xad", 3) == SIZE_MAX);
	assert_true(csv_utf8_invalid("\xf0\x9f\x98\x80", 4) == SIZE_MAX);
	/* overlong '/' */
	assert_int_equal(csv_utf8_invalid("a\xc0\xaf", 3), 1);
	/* overlong three-byte form */
	assert_int_equal(csv_utf8_invalid("\xe0\x80\xaf", 3), 0);
	/* a UTF-16 surrogate */
	assert_int_equal(csv_utf8_invalid("ab\xed\xa0\x80", 5), 2);
	/* above U+10FFFF */
	assert_int_equal(csv_utf8_invalid("\xf4\x90\x80\x80", 4), 0);
	/* a sequence cut at the end */
	assert_int_equal(csv_utf8_invalid("xy\xe4\xb8", 4), 2);
	/* a stray continuation byte */
	assert_int_equal(csv_utf8_invalid("\x80", 1), 0);
	/* NUL is no text */
	assert_int_equal(csv_utf8_invalid("a\0b", 3), 1);
}

static void
test_gb18030_convert(void **state)
{
	char *out = NULL;
	size_t len = 0, bad = 0;

	(void)state;
	assert_int_equal(
	    csv_to_utf8("\xd6\xd0\xce\xc4,x", 6, "GB18030", &out, &len, &bad),
	    0);
	assert_string_equal(out, "中文,x");
	assert_int_equal(len, strlen("中文,x"));
	free(out);
	out = NULL;
	assert_int_equal(
	    csv_to_utf8("ab\xd6\xd0\xff", 5, "GB18030", &out, &len, &bad),
	    ERR_INVALID_ARG);
	assert_null(out);
	assert_int_equal(bad, 4);
	/* A double-byte character cut at the end does not convert. */
	assert_int_equal(csv_to_utf8("ab\xd6", 3, "GB18030", &out, &len, &bad),
	    ERR_INVALID_ARG);
	assert_int_equal(bad, 2);
}

/* Reads text, expecting success. */
static void
read_ok(const char *text, struct csv_rows *rows)
{
	char why[256] = "";

	if (csv_read(text, strlen(text), rows, why, sizeof(why)) != 0)
		fail_msg("csv_read failed: %s", why);
}

static void
test_read_quoting(void **state)
{
	struct csv_rows rows;

	(void)state;
	read_ok("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
		"last,,\r\n",
	    &rows);
	assert_int_equal(rows.n, 3);
	assert_int_equal(rows.rec[1].n, 3);
	assert_string_equal(rows.rec[1].cells[0], "x, y");
	assert_string_equal(rows.rec[1].cells[1], "say \"hi\"");
	assert_string_equal(rows.rec[1].cells[2], "two\nlines");
	assert_int_equal(rows.rec[2].n, 3);
	assert_string_equal(rows.rec[2].cells[1], "");
	assert_string_equal(rows.rec[2].cells[2], "");
	csv_rows_free(&rows);
}

static void
test_read_lines(void **state)
{
	struct csv_rows rows;

	(void)state;
	/* Lines: 1 header, 2-4 a three-line cell, 5 blank, 6 a row, 7 a
	 * row whose first cell spans 7-8, 9 without a final newline. */
	read_ok("h1,h2\n"
		"a,\"one\ntwo\nthree\"\n"
		"\n"
		"b,c\n"
		"\"d\ne\",f\n"
		"g,h",
	    &rows);
	assert_int_equal(rows.n, 5);
	assert_int_equal(rows.rec[0].line, 1);
	assert_int_equal(rows.rec[1].line, 2);
	assert_int_equal(rows.rec[2].line, 6);
	assert_int_equal(rows.rec[3].line, 7);
	assert_string_equal(rows.rec[3].cells[0], "d\ne");
	assert_int_equal(rows.rec[4].line, 9);
	assert_string_equal(rows.rec[4].cells[1], "h");
	csv_rows_free(&rows);
}

static void
test_read_bom_trim_ragged(void **state)
{
	struct csv_rows rows;

	(void)state;
	read_ok("\xef\xbb\xbfname, region \r\n  a  ,\" b \"\r\nonly\r\n"
		"x,y,z\r\n",
	    &rows);
	assert_int_equal(rows.n, 4);
	assert_string_equal(rows.rec[0].cells[0], "name");
	assert_string_equal(rows.rec[0].cells[1], "region");
	assert_string_equal(rows.rec[1].cells[0], "a");
	assert_string_equal(rows.rec[1].cells[1], " b ");
	/* Ragged rows are read as they are; the caller judges them. */
	assert_int_equal(rows.rec[2].n, 1);
	assert_int_equal(rows.rec[3].n, 3);
	csv_rows_free(&rows);
	read_ok("", &rows);
	assert_int_equal(rows.n, 0);
	csv_rows_free(&rows);
}

static void
test_read_bad_quotes(void **state)
{
	struct csv_rows rows;
	char why[256] = "";
	static const char open_quote[] = "a,b\nc,\"never closed\nd,e\n";
	static const char after_quote[] = "a,b\nc,d\n\"x\"y,z\n";

	(void)state;
	assert_int_equal(
	    csv_read(open_quote, strlen(open_quote), &rows, why, sizeof(why)),
	    ERR_INVALID_ARG);
	assert_non_null(strstr(why, "line 2"));
	assert_int_equal(rows.n, 0);
	assert_int_equal(
	    csv_read(after_quote, strlen(after_quote), &rows, why, sizeof(why)),
	    ERR_INVALID_ARG);
	assert_non_null(strstr(why, "line 3"));
}

static void
test_write_excel_reads_back(void **state)
{
	static const char *const cells[] = { "plain", "a,b", "say \"hi\"",
		"two\nlines", "", "中文" };
	struct csv_rows rows;
	char *buf = NULL, why[256];
	size_t len = 0, i;
	FILE *f;

	(void)state;
	assert_non_null(f = open_memstream(&buf, &len));
	csv_begin_excel(f);
	output_csv_record(f, cells, 6);
	output_csv_record(f, cells, 2);
	assert_int_equal(fclose(f), 0);
	assert_memory_equal(buf, "\xef\xbb\xbf", 3);
	assert_string_equal(buf + 3,
	    "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,中文\r\n"
	    "plain,\"a,b\"\r\n");
	assert_int_equal(csv_read(buf, len, &rows, why, sizeof(why)), 0);
	assert_int_equal(rows.n, 2);
	assert_int_equal(rows.rec[0].n, 6);
	for (i = 0; i < 6; i++)
		assert_string_equal(rows.rec[0].cells[i], cells[i]);
	assert_int_equal(rows.rec[1].line, 3);
	csv_rows_free(&rows);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_utf8),
		cmocka_unit_test(test_detect_gb18030),
		cmocka_unit_test(test_detect_unknown),
		cmocka_unit_test(test_utf8_invalid_forms),
		cmocka_unit_test(test_gb18030_convert),
		cmocka_unit_test(test_read_quoting),
		cmocka_unit_test(test_read_lines),
		cmocka_unit_test(test_read_bom_trim_ragged),
		cmocka_unit_test(test_read_bad_quotes),
		cmocka_unit_test(test_write_excel_reads_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
