/*
 * The client library: server addresses, code lifetimes, pinned server keys,
 * display widths, the exit code table, the subcommand table and its help,
 * and where settings come from.
 */
#include <dirent.h>
#include <ftw.h>
#include <langinfo.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "err.h"
#include "tier.h"

/* Helpers
 * --------------------------------------------------------------------*/

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_tree(const char *dir)
{
	assert_int_equal(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* Entries in dir besides . and .. */
static int
count_entries(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	assert_non_null(dp);
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			n++;
	}
	closedir(dp);
	return n;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *
join(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

/* Everything written to f, as a heap string; f is closed. */
static char *
slurp(FILE *f)
{
	char *data;
	long len;

	assert_int_equal(fflush(f), 0);
	len = ftell(f);
	assert_true(len >= 0);
	data = malloc((size_t)len + 1);
	assert_non_null(data);
	rewind(f);
	assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
	data[len] = '\0';
	fclose(f);
	return data;
}

/* conn_parse_address
 * ----------------------------------------------------------*/

static void
check_address(const char *text, const char *want_host, const char *want_port,
    const char *want_canonical)
{
	char *host = NULL, *port = NULL, *canonical = NULL;
	const char *why = NULL;

	assert_int_equal(
	    conn_parse_address(text, &host, &port, &canonical, &why), 0);
	assert_string_equal(host, want_host);
	assert_string_equal(port, want_port);
	assert_string_equal(canonical, want_canonical);
	free(host);
	free(port);
	free(canonical);

	/* canonical may be NULL. */
	host = port = NULL;
	assert_int_equal(conn_parse_address(text, &host, &port, NULL, &why), 0);
	assert_string_equal(host, want_host);
	assert_string_equal(port, want_port);
	free(host);
	free(port);
}

static void
check_bad_address(const char *text, const char *why_part)
{
	char *host = NULL, *port = NULL, *canonical = NULL;
	const char *why = NULL;

	assert_int_equal(
	    conn_parse_address(text, &host, &port, &canonical, &why),
	    ERR_INVALID_ARG);
	assert_null(host);
	assert_null(port);
	assert_null(canonical);
	assert_non_null(why);
	if (strstr(why, why_part) == NULL)
		fail_msg("'%s': reason '%s' lacks '%s'", text, why, why_part);
}

static void
test_address_ok(void **state)
{
	(void)state;
	check_address("localhost:7433", "localhost", "7433", "localhost:7433");
	check_address("127.0.0.1:1", "127.0.0.1", "1", "127.0.0.1:1");
	check_address("h:65535", "h", "65535", "h:65535");
	/* The host keeps its case; the canonical form is lower-cased. */
	check_address("Tier.Example.COM:80", "Tier.Example.COM", "80",
	    "tier.example.com:80");
	/* IPv6 in brackets: host without, canonical with them. */
	check_address("[::1]:7433", "::1", "7433", "[::1]:7433");
	check_address("[FE80::AbC]:9", "FE80::AbC", "9", "[fe80::abc]:9");
	/* Leading zeros are dropped from the port. */
	check_address("h:007", "h", "7", "h:7");
}

static void
test_address_bad(void **state)
{
	static const char port_why[] = "port must be a number from 1 to 65535";

	(void)state;
	check_bad_address("h:0", port_why);
	check_bad_address("h:00", port_why);
	check_bad_address("h:65536", port_why);
	check_bad_address("h:99999999999999999999999", port_why);
	check_bad_address("h:abc", port_why);
	check_bad_address("h:80x", port_why);
	check_bad_address("h:", port_why);
	check_bad_address("h:-1", port_why);
	check_bad_address("h:+80", port_why);
	check_bad_address("h: 80", port_why);
	check_bad_address("h:80 ", port_why);
	check_bad_address("[::1]:", port_why);
	check_bad_address("[::1]:0", port_why);
	check_bad_address("[::1]:65536", port_why);
	check_bad_address("[::1]:80]", port_why);

	check_bad_address("", "missing port");
	check_bad_address("localhost", "missing port");
	check_bad_address("[::1]", "missing port");
	check_bad_address("[::1]80", "missing port");
	check_bad_address("[::1]x:80", "missing port");

	check_bad_address("[::1:80", "missing ']'");
	check_bad_address("[", "missing ']'");
	check_bad_address("::1:80", "needs brackets");
	check_bad_address("fe80::1:7433", "needs brackets");

	check_bad_address(":80", "missing host");
	check_bad_address("[]:80", "missing host");

	check_bad_address("a]:80", "cannot have");
	check_bad_address("[a[b]:80", "cannot have");
	check_bad_address("ho st:80", "cannot have");
	check_bad_address("a/b:80", "cannot have");
	check_bad_address("a\tb:80", "cannot have");
	check_bad_address("[::1 ]:80", "cannot have");
}

/* cmd_user_parse_ttl
 * ---------------------------------------------------------*/

static void
check_ttl(const char *text, uint32_t want)
{
	uint32_t got = 12345;

	assert_int_equal(cmd_user_parse_ttl(text, &got), 0);
	assert_int_equal(got, want);
}

static void
check_bad_ttl(const char *text)
{
	uint32_t got = 12345;

	if (cmd_user_parse_ttl(text, &got) != ERR_INVALID_ARG)
		fail_msg("ttl '%s' accepted", text);
	assert_int_equal(got, 12345);
}

static void
test_ttl(void **state)
{
	(void)state;
	check_ttl("1", 1);
	check_ttl("90", 90);
	check_ttl("90s", 90);
	check_ttl("5m", 300);
	check_ttl("2h", 7200);
	check_ttl("3d", 259200);
	check_ttl("007m", 420);

	/* The largest of each unit that fits in 32 bits, and one more. */
	check_ttl("4294967295", UINT32_MAX);
	check_ttl("4294967295s", UINT32_MAX);
	check_bad_ttl("4294967296");
	check_bad_ttl("4294967296s");
	check_ttl("71582788m", 71582788u * 60u);
	check_bad_ttl("71582789m");
	check_ttl("1193046h", 1193046u * 3600u);
	check_bad_ttl("1193047h");
	check_ttl("49710d", 49710u * 86400u);
	check_bad_ttl("49711d");
	check_bad_ttl("18446744073709551615");
	check_bad_ttl("18446744073709551616");
	check_bad_ttl("99999999999999999999999d");

	/* A zero lifetime is refused. */
	check_bad_ttl("0");
	check_bad_ttl("0s");
	check_bad_ttl("0d");

	/* Garbage and trailing junk. */
	check_bad_ttl("");
	check_bad_ttl("abc");
	check_bad_ttl("h");
	check_bad_ttl("-1");
	check_bad_ttl("+1");
	check_bad_ttl(" 1");
	check_bad_ttl("1 ");
	check_bad_ttl("1x");
	check_bad_ttl("1H");
	check_bad_ttl("1ms");
	check_bad_ttl("1s2");
	check_bad_ttl("1.5h");
	check_bad_ttl("1e3");
	check_bad_ttl("0x10");
}

/* known_lookup / known_add
 * ---------------------------------------------------*/

struct known_fixture {
	char dir[64];
	char *path;
	uint8_t a[KEYS_LEN], b[KEYS_LEN];
	char a64[KEYS_B64_SIZE], b64[KEYS_B64_SIZE];
};

static int
known_setup(void **state)
{
	struct known_fixture *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return -1;
	strcpy(k->dir, "/tmp/test_client.XXXXXX");
	if (mkdtemp(k->dir) == NULL)
		return -1;
	if (asprintf(&k->path, "%s/known_servers", k->dir) < 0)
		return -1;
	memset(k->a, 0xa1, sizeof(k->a));
	memset(k->b, 0xfb, sizeof(k->b));
	keys_pub_to_b64(k->a, k->a64);
	keys_pub_to_b64(k->b, k->b64);
	*state = k;
	return 0;
}

static int
known_teardown(void **state)
{
	struct known_fixture *k = *state;

	rm_tree(k->dir);
	free(k->path);
	free(k);
	return 0;
}

static void
test_known_missing_file(void **state)
{
	struct known_fixture *k = *state;
	enum known_result res = KNOWN_MATCH;
	uint8_t pinned[KEYS_LEN];
	int line = -7;

	assert_int_equal(
	    known_lookup(k->path, "h:1", k->a, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_NEW);
	assert_int_equal(line, -7);
	assert_int_equal(access(k->path, F_OK), -1);
}

static void
test_known_add_lookup(void **state)
{
	struct known_fixture *k = *state;
	enum known_result res;
	uint8_t pinned[KEYS_LEN];
	struct stat st;
	char *data, *want;
	int line;

	assert_int_equal(known_add(k->path, "h:1", k->a), 0);
	assert_int_equal(stat(k->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	res = KNOWN_NEW;
	line = 0;
	memset(pinned, 0, sizeof(pinned));
	assert_int_equal(
	    known_lookup(k->path, "h:1", k->a, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_MATCH);
	assert_int_equal(line, 1);
	assert_memory_equal(pinned, k->a, KEYS_LEN);

	/* A different key for the same address is a change. */
	memset(pinned, 0, sizeof(pinned));
	assert_int_equal(
	    known_lookup(k->path, "h:1", k->b, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_CHANGED);
	assert_int_equal(line, 1);
	assert_memory_equal(pinned, k->a, KEYS_LEN);

	/* Another address, or one that only shares a prefix, is new. */
	assert_int_equal(
	    known_lookup(k->path, "h:10", k->a, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_NEW);
	assert_int_equal(
	    known_lookup(k->path, "h:", k->a, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_NEW);

	/* A second pin is appended on line 2; the first is kept. */
	assert_int_equal(known_add(k->path, "[::1]:7433", k->b), 0);
	assert_int_equal(
	    known_lookup(k->path, "[::1]:7433", k->b, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_MATCH);
	assert_int_equal(line, 2);
	assert_int_equal(
	    known_lookup(k->path, "h:1", k->a, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_MATCH);
	assert_int_equal(line, 1);

	assert_int_equal(cfg_file_read(k->path, &data, NULL), 0);
	assert_true(
	    asprintf(&want, "h:1 %s\n[::1]:7433 %s\n", k->a64, k->b64) > 0);
	assert_string_equal(data, want);
	free(data);
	free(want);
}

static void
test_known_file_format(void **state)
{
	struct known_fixture *k = *state;
	enum known_result res;
	uint8_t pinned[KEYS_LEN];
	char *text;
	int line;

	/* Comments, blank lines, indentation, tabs and CRLF. */
	assert_true(asprintf(&text,
			"# pinned servers\n"
			"\n"
			"   \t\n"
			"# h:1 %s\n"
			"  # other:1 %s\n"
			"other:1\t%s\r\n"
			"\th:1   %s  \r\n",
			k->b64, k->b64, k->b64, k->a64) > 0);
	write_file(k->path, text);
	free(text);

	assert_int_equal(
	    known_lookup(k->path, "h:1", k->a, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_MATCH);
	assert_int_equal(line, 7);
	assert_memory_equal(pinned, k->a, KEYS_LEN);
	assert_int_equal(
	    known_lookup(k->path, "h:1", k->b, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_CHANGED);
	assert_int_equal(line, 7);
	assert_int_equal(
	    known_lookup(k->path, "other:1", k->b, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_MATCH);
	assert_int_equal(line, 6);
	/* Commented-out pins do not count. */
	assert_int_equal(
	    known_lookup(k->path, "#", k->b, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_NEW);

	/* The first line for an address wins. */
	assert_true(asprintf(&text, "h:1 %s\nh:1 %s\n", k->b64, k->a64) > 0);
	write_file(k->path, text);
	free(text);
	assert_int_equal(
	    known_lookup(k->path, "h:1", k->a, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_CHANGED);
	assert_int_equal(line, 1);
	assert_memory_equal(pinned, k->b, KEYS_LEN);
}

static void
test_known_bad_key(void **state)
{
	struct known_fixture *k = *state;
	enum known_result res;
	uint8_t pinned[KEYS_LEN];
	char *text;
	int line;

	/* A bad line for another address does not matter. */
	assert_true(asprintf(&text,
			"# comment\n"
			"other:1 not-a-key\n"
			"h:1 %s\n"
			"bad:1 %.20s\n"
			"nokey:1\n"
			"long:1 %sA\n"
			"std:1 %s\n",
			k->a64, k->a64, k->a64, k->b64) > 0);
	/* Standard (not URL-safe) base64 alphabet on the last line. */
	for (char *p = strstr(text, "std:1 "); *p != '\n'; p++) {
		if (*p == '-')
			*p = '+';
		else if (*p == '_')
			*p = '/';
	}
	write_file(k->path, text);
	free(text);

	assert_int_equal(
	    known_lookup(k->path, "h:1", k->a, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_MATCH);
	assert_int_equal(line, 3);

	line = 0;
	assert_int_equal(
	    known_lookup(k->path, "other:1", k->a, &res, pinned, &line),
	    ERR_KEY_FORMAT);
	assert_int_equal(line, 2);
	line = 0;
	assert_int_equal(
	    known_lookup(k->path, "bad:1", k->a, &res, pinned, &line),
	    ERR_KEY_FORMAT);
	assert_int_equal(line, 4);
	line = 0;
	assert_int_equal(
	    known_lookup(k->path, "nokey:1", k->a, &res, pinned, &line),
	    ERR_KEY_FORMAT);
	assert_int_equal(line, 5);
	line = 0;
	assert_int_equal(
	    known_lookup(k->path, "long:1", k->a, &res, pinned, &line),
	    ERR_KEY_FORMAT);
	assert_int_equal(line, 6);
	/* Key b encodes with '-' and '_', or this line would prove nothing. */
	assert_true(strpbrk(k->b64, "-_") != NULL);
	line = 0;
	assert_int_equal(
	    known_lookup(k->path, "std:1", k->b, &res, pinned, &line),
	    ERR_KEY_FORMAT);
	assert_int_equal(line, 7);
}

static void
test_known_add_existing(void **state)
{
	struct known_fixture *k = *state;
	enum known_result res;
	uint8_t pinned[KEYS_LEN];
	struct stat st;
	char *data, *want;
	int line;

	/* No final newline, loose mode: both fixed by the rewrite. */
	write_file(k->path, "# mine\nother:1 x");
	assert_int_equal(chmod(k->path, 0644), 0);
	assert_int_equal(known_add(k->path, "h:1", k->a), 0);
	assert_int_equal(stat(k->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	assert_int_equal(cfg_file_read(k->path, &data, NULL), 0);
	assert_true(asprintf(&want, "# mine\nother:1 x\nh:1 %s\n", k->a64) > 0);
	assert_string_equal(data, want);
	free(data);
	free(want);

	assert_int_equal(
	    known_lookup(k->path, "h:1", k->a, &res, pinned, &line), 0);
	assert_int_equal(res, KNOWN_MATCH);
	assert_int_equal(line, 3);

	/* The rewrite leaves no temporary file behind. */
	assert_int_equal(count_entries(k->dir), 1);
}

/* output_width and friends
 * ---------------------------------------------------*/

static void
test_width(void **state)
{
	(void)state;
	output_locale_init();
	assert_string_equal(nl_langinfo(CODESET), "UTF-8");

	assert_int_equal(output_width(""), 0);
	assert_int_equal(output_width("a"), 1);
	assert_int_equal(output_width("admin"), 5);
	assert_int_equal(output_width("display name"), 12);
	/* Chinese: two columns each. */
	assert_int_equal(output_width("\xe4\xb8\xad"), 2); /* 中 */
	assert_int_equal(
	    output_width("\xe4\xb8\xad\xe6\x96\x87"), 4); /* 中文 */
	assert_int_equal(output_width("ab\xe4\xb8\xad"), 4);
	assert_int_equal(output_width("\xe5\x90\x8d\xe5\xad\x97 bob"), 8);
	/* Combining marks: none. e + U+0301, and U+0308 alone after o. */
	assert_int_equal(output_width("e\xcc\x81"), 1);
	assert_int_equal(output_width("Jo\xcc\x88rg"), 4);
	/* Precomposed é is one column in two bytes. */
	assert_int_equal(output_width("\xc3\xa9"), 1);
	/* Undecodable bytes and control characters: one each. */
	assert_int_equal(output_width("\xff"), 1);
	assert_int_equal(output_width("a\xff\xfe"), 3);
	assert_int_equal(output_width("\xe4\xb8"), 2);
	assert_int_equal(output_width("\t"), 1);
	assert_int_equal(output_width("a\x1b[0m"), 5);
	/* Full-width letters are wide too. */
	assert_int_equal(output_width("\xef\xbc\xa1"), 2); /* U+FF21 */
	/* Widths come from utf8proc, not from the locale: the same under C. */
	setlocale(LC_ALL, "C");
	assert_int_equal(
	    output_width("\xe4\xb8\xad\xe6\x96\x87"), 4); /* 中文 */
	output_locale_init();
}

static void
test_output_text(void **state)
{
	FILE *f;
	char *s;

	(void)state;
	output_locale_init();
	assert_non_null(f = tmpfile());
	output_text(f, "a\tb\x1b[31m\xe4\xb8\xad\xff\n");
	s = slurp(f);
	assert_string_equal(s, "a?b?[31m\xe4\xb8\xad??");
	free(s);
}

/* cfg_output_parse
 * -------------------------------------------------------------*/

static void
test_output_parse(void **state)
{
	enum cfg_output o;

	(void)state;
	o = CFG_OUTPUT_TABLE;
	assert_int_equal(cfg_output_parse("json", &o), 0);
	assert_int_equal(o, CFG_OUTPUT_JSON);
	assert_int_equal(cfg_output_parse("table", &o), 0);
	assert_int_equal(o, CFG_OUTPUT_TABLE);

	o = CFG_OUTPUT_JSON;
	assert_int_equal(cfg_output_parse("", &o), ERR_INVALID_ARG);
	assert_int_equal(cfg_output_parse("JSON", &o), ERR_INVALID_ARG);
	assert_int_equal(cfg_output_parse("Table", &o), ERR_INVALID_ARG);
	assert_int_equal(cfg_output_parse("json ", &o), ERR_INVALID_ARG);
	assert_int_equal(cfg_output_parse("tab", &o), ERR_INVALID_ARG);
	assert_int_equal(cfg_output_parse("yaml", &o), ERR_INVALID_ARG);
	/* Failures leave the value alone. */
	assert_int_equal(o, CFG_OUTPUT_JSON);
}

/* Exit codes ---------------------------------------------------------------*/

static void
test_exit_table(void **state)
{
	size_t i, j;

	(void)state;
	/* Every enum exit_code, in order, once, with a meaning. */
	assert_int_equal(output_nexits, EXIT_UNAVAILABLE + 1);
	for (i = 0; i < output_nexits; i++) {
		assert_int_equal(output_exits[i].code, (int)i);
		assert_non_null(output_exits[i].meaning);
		assert_true(strlen(output_exits[i].meaning) > 0);
		assert_null(strchr(output_exits[i].meaning, '\n'));
		for (j = 0; j < i; j++)
			assert_string_not_equal(
			    output_exits[i].meaning, output_exits[j].meaning);
	}
}

static void
test_exit_code_mapping(void **state)
{
	/* As documented beside enum exit_code in tier.h. */
	static const struct {
		const char *name;
		int exit;
	} want[] = {
		{ "ERROR_CODE_NONE", EXIT_OTHER },
		{ "ERROR_CODE_BAD_REQUEST", 9 },
		{ "ERROR_CODE_UNKNOWN_KEY", 6 },
		{ "ERROR_CODE_PERMISSION_DENIED", 6 },
		{ "ERROR_CODE_NOT_FOUND", 7 },
		{ "ERROR_CODE_ALREADY_EXISTS", 8 },
		{ "ERROR_CODE_CONFLICT", 8 },
		{ "ERROR_CODE_ENROLMENT_REFUSED", 6 },
		{ "ERROR_CODE_UNSUPPORTED", 9 },
		{ "ERROR_CODE_TOO_LARGE", 9 },
		{ "ERROR_CODE_UNAVAILABLE", 10 },
		{ "ERROR_CODE_INTERNAL", 1 },
	};
	const ProtobufCEnumDescriptor *d = &tier__error_code__descriptor;
	size_t i, j, seen = 0;

	(void)state;
	/* Each value the .proto defines has an expectation here. */
	for (i = 0; i < d->n_values; i++) {
		for (j = 0; j < sizeof(want) / sizeof(want[0]); j++) {
			if (strcmp(d->values[i].name, want[j].name) == 0)
				break;
		}
		if (j == sizeof(want) / sizeof(want[0]))
			fail_msg(
			    "no expected exit code for %s", d->values[i].name);
		if (output_exit_code((Tier__ErrorCode)d->values[i].value) !=
		    want[j].exit)
			fail_msg("%s maps to %d, not %d", d->values[i].name,
			    output_exit_code(
				(Tier__ErrorCode)d->values[i].value),
			    want[j].exit);
		seen++;
	}
	assert_int_equal(seen, sizeof(want) / sizeof(want[0]));

	/* The named constants agree with the table above. */
	assert_int_equal(
	    output_exit_code(TIER__ERROR_CODE__ERROR_CODE_UNKNOWN_KEY),
	    EXIT_DENIED);
	assert_int_equal(
	    output_exit_code(TIER__ERROR_CODE__ERROR_CODE_ENROLMENT_REFUSED),
	    EXIT_DENIED);
	assert_int_equal(
	    output_exit_code(TIER__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED),
	    EXIT_DENIED);
	assert_int_equal(
	    output_exit_code(TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND),
	    EXIT_NOT_FOUND);
	assert_int_equal(
	    output_exit_code(TIER__ERROR_CODE__ERROR_CODE_CONFLICT),
	    EXIT_CONFLICT);
	assert_int_equal(
	    output_exit_code(TIER__ERROR_CODE__ERROR_CODE_ALREADY_EXISTS),
	    EXIT_CONFLICT);
	assert_int_equal(
	    output_exit_code(TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST),
	    EXIT_REJECTED);
	assert_int_equal(
	    output_exit_code(TIER__ERROR_CODE__ERROR_CODE_UNSUPPORTED),
	    EXIT_REJECTED);
	assert_int_equal(
	    output_exit_code(TIER__ERROR_CODE__ERROR_CODE_TOO_LARGE),
	    EXIT_REJECTED);
	assert_int_equal(
	    output_exit_code(TIER__ERROR_CODE__ERROR_CODE_UNAVAILABLE),
	    EXIT_UNAVAILABLE);
	assert_int_equal(
	    output_exit_code(TIER__ERROR_CODE__ERROR_CODE_INTERNAL),
	    EXIT_OTHER);
	/* A code from a newer server is some other failure. */
	assert_int_equal(output_exit_code((Tier__ErrorCode)999), EXIT_OTHER);
}

/* The subcommand table
 * -------------------------------------------------------*/

/* Checks one table; prefix is the parent's name and a space, or "". */
static void
check_table(const struct cmd_entry *table, const char *prefix)
{
	const struct cmd_entry *e, *o;
	const char *line, *nl;
	size_t n = 0, len;
	char *full;

	for (e = table; e->name != NULL; e++) {
		n++;
		assert_true(*e->name != '\0');
		assert_null(strpbrk(e->name, " \t\n"));
		assert_non_null(e->main);
		assert_non_null(e->summary);
		assert_true(*e->summary != '\0');
		/* cmd_print_help adds the full stop. */
		assert_true(e->summary[strlen(e->summary) - 1] != '.');
		assert_null(strchr(e->summary, '\n'));
		assert_non_null(e->usage);

		/* The usage line starts with the full command name. */
		assert_true(asprintf(&full, "%s%s", prefix, e->name) > 0);
		len = strlen(full);
		if (strncmp(e->usage, full, len) != 0 ||
		    (e->usage[len] != '\0' && e->usage[len] != ' '))
			fail_msg("usage '%s' does not start with '%s'",
			    e->usage, full);
		free(full);

		/* Help text ends its last line, which fits a terminal. */
		if (e->help != NULL) {
			assert_true(*e->help != '\0');
			assert_int_equal(e->help[strlen(e->help) - 1], '\n');
			for (line = e->help; *line != '\0'; line = nl + 1) {
				nl = strchr(line, '\n');
				assert_non_null(nl);
				assert_true(nl - line <= 79);
			}
		}

		/* Names are unique, and cmd_lookup finds this very row. */
		for (o = table; o < e; o++)
			assert_string_not_equal(o->name, e->name);
		assert_ptr_equal(cmd_lookup(table, e->name), e);

		if (e->children != NULL) {
			assert_ptr_equal(e->main, cmd_dispatch_child);
			assert_true(
			    asprintf(&full, "%s%s ", prefix, e->name) > 0);
			check_table(e->children, full);
			free(full);
		} else
			assert_true(e->main != cmd_dispatch_child);
	}
	assert_true(n > 0);
	/* The end row is all NULL. */
	assert_null(e->main);
	assert_null(e->summary);
	assert_null(e->usage);
	assert_null(e->children);
}

static void
test_cmd_table(void **state)
{
	static const char *const top[] = { "status", "whoami", "enroll", "user",
		"key", "help" };
	static const char *const user[] = { "add", "code", "list" };
	const struct cmd_entry *u;
	size_t i;

	(void)state;
	check_table(cmd_table, "");

	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		assert_non_null(cmd_lookup(cmd_table, top[i]));
	assert_non_null(u = cmd_lookup(cmd_table, "user"));
	assert_non_null(u->children);
	for (i = 0; i < sizeof(user) / sizeof(user[0]); i++)
		assert_non_null(cmd_lookup(u->children, user[i]));

	assert_ptr_equal(
	    cmd_lookup(cmd_table, "status")->main, cmd_status_main);
	assert_ptr_equal(cmd_lookup(cmd_table, "help")->main, cmd_help_main);
	assert_ptr_equal(
	    cmd_lookup(u->children, "add")->main, cmd_user_add_main);

	assert_null(cmd_lookup(cmd_table, "nope"));
	assert_null(cmd_lookup(cmd_table, ""));
	assert_null(cmd_lookup(cmd_table, "stat"));
	assert_null(cmd_lookup(cmd_table, "Status"));
	assert_null(cmd_lookup(cmd_table, "add"));
	assert_null(cmd_lookup(NULL, "status"));
	assert_null(cmd_lookup(cmd_lookup(cmd_table, "key")->children, "add"));
}

/* Runs cmd_help_topic into a temporary file; returns what it wrote. A third
 * word, "extra", follows w0 and w1. */
static char *
help_to_string(int n, const char *w0, const char *w1, int *ret)
{
	char *words[3] = { (char *)w0, (char *)w1, (char *)"extra" };
	FILE *f = tmpfile();

	assert_non_null(f);
	*ret = cmd_help_topic(f, n, words);
	return slurp(f);
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle) == NULL)
		fail_msg("'%s' not found in:\n%s", needle, haystack);
}

static void
test_help_topics(void **state)
{
	const struct cmd_entry *e, *k;
	char *out, *want;
	size_t i;
	int r;

	(void)state;
	out = help_to_string(1, "exit-codes", NULL, &r);
	assert_int_equal(r, EXIT_OK);
	for (i = 0; i < output_nexits; i++) {
		assert_true(asprintf(&want, "  %2d  %s\n", output_exits[i].code,
				output_exits[i].meaning) > 0);
		assert_contains(out, want);
		free(want);
	}
	free(out);

	/* No words: the overview, naming every command. */
	out = help_to_string(0, NULL, NULL, &r);
	assert_int_equal(r, EXIT_OK);
	assert_contains(out, "usage: tier ");
	assert_contains(out, "--config-dir");
	for (e = cmd_table; e->name != NULL; e++)
		assert_contains(out, e->name);
	free(out);

	for (e = cmd_table; e->name != NULL; e++) {
		out = help_to_string(1, e->name, NULL, &r);
		assert_int_equal(r, EXIT_OK);
		if (e->children == NULL) {
			assert_true(asprintf(&want, "usage: tier %s\n\n%s.\n",
					e->usage, e->summary) > 0);
			assert_ptr_equal(strstr(out, want), out);
			free(want);
			if (e->help != NULL)
				assert_contains(out, e->help);
		} else {
			for (k = e->children; k->name != NULL; k++) {
				assert_contains(out, k->usage);
				assert_contains(out, k->summary);
			}
		}
		free(out);

		for (k = e->children; k != NULL && k->name != NULL; k++) {
			out = help_to_string(2, e->name, k->name, &r);
			assert_int_equal(r, EXIT_OK);
			assert_true(asprintf(&want, "usage: tier %s\n\n%s.\n",
					k->usage, k->summary) > 0);
			assert_ptr_equal(strstr(out, want), out);
			free(want);
			if (k->help != NULL)
				assert_contains(out, k->help);
			free(out);
		}
	}

	/* Unknown topics: a usage error, nothing on the help stream. */
	out = help_to_string(1, "nope", NULL, &r);
	assert_int_equal(r, EXIT_USAGE);
	assert_string_equal(out, "");
	free(out);
	out = help_to_string(2, "user", "nope", &r);
	assert_int_equal(r, EXIT_USAGE);
	assert_string_equal(out, "");
	free(out);
	out = help_to_string(2, "status", "add", &r);
	assert_int_equal(r, EXIT_USAGE);
	assert_string_equal(out, "");
	free(out);
	out = help_to_string(3, "user", "add", &r);
	assert_int_equal(r, EXIT_USAGE);
	assert_string_equal(out, "");
	free(out);
	out = help_to_string(2, "exit-codes", "x", &r);
	assert_int_equal(r, EXIT_USAGE);
	assert_string_equal(out, "");
	free(out);
}

/* cfg_load
 * ---------------------------------------------------------------------*/

struct cfg_fixture {
	char dir[64];
	char *file;
};

static int
cfg_setup(void **state)
{
	struct cfg_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/test_client.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (asprintf(&f->file, "%s/config", f->dir) < 0)
		return -1;
	unsetenv("TIER_SERVER");
	unsetenv("TIER_OUTPUT");
	unsetenv("XDG_CONFIG_HOME");
	setenv("TIER_CONFIG_DIR", f->dir, 1);
	*state = f;
	return 0;
}

static int
cfg_teardown(void **state)
{
	struct cfg_fixture *f = *state;

	unsetenv("TIER_SERVER");
	unsetenv("TIER_OUTPUT");
	unsetenv("TIER_CONFIG_DIR");
	rm_tree(f->dir);
	free(f->file);
	free(f);
	return 0;
}

static void
assert_path(const char *got, const char *dir, const char *name)
{
	char *want = join(dir, name);

	assert_string_equal(got, want);
	free(want);
}

static void
test_cfg_defaults(void **state)
{
	struct cfg_fixture *f = *state;
	struct cfg c;

	memset(&c, 0, sizeof(c));
	c.output = CFG_OUTPUT_JSON;
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.dir, f->dir);
	assert_path(c.file, f->dir, "config");
	assert_path(c.known_path, f->dir, "known_servers");
	assert_path(c.key_path, f->dir, "id_x25519");
	assert_null(c.server);
	assert_null(c.server_from);
	assert_int_equal(c.server_in_file, 0);
	assert_int_equal(c.output, CFG_OUTPUT_TABLE);
	cfg_free(&c);
	assert_null(c.dir);
	assert_null(c.server);
	cfg_free(&c);
	cfg_free(NULL);

	/* Empty variables count as unset. */
	setenv("TIER_SERVER", "", 1);
	setenv("TIER_OUTPUT", "", 1);
	assert_int_equal(cfg_load(&c), 0);
	assert_null(c.server);
	assert_int_equal(c.output, CFG_OUTPUT_TABLE);
	cfg_free(&c);
}

static void
test_cfg_precedence(void **state)
{
	struct cfg_fixture *f = *state;
	struct cfg c;

	memset(&c, 0, sizeof(c));
	write_file(f->file, "; a comment\n"
			    "[server]\n"
			    "server = not-ours:1\n"
			    "output = yaml\n"
			    "[client]\n"
			    "server = file.example:1\n"
			    "output = json\n"
			    "key = keys/mine\n");

	/* The file over the defaults. */
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.server, "file.example:1");
	assert_string_equal(c.server_from, "the config file");
	assert_int_equal(c.server_in_file, 1);
	assert_int_equal(c.output, CFG_OUTPUT_JSON);
	assert_path(c.key_path, f->dir, "keys/mine");

	/* The environment over the file. */
	setenv("TIER_SERVER", "env.example:2", 1);
	setenv("TIER_OUTPUT", "table", 1);
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.server, "env.example:2");
	assert_string_equal(c.server_from, "TIER_SERVER");
	assert_int_equal(c.server_in_file, 1);
	assert_int_equal(c.output, CFG_OUTPUT_TABLE);

	/* Flags over the environment. */
	c.flag_server = "flag.example:3";
	c.flag_output = "json";
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.server, "flag.example:3");
	assert_string_equal(c.server_from, "--server");
	assert_int_equal(c.output, CFG_OUTPUT_JSON);
	/* cfg_free keeps the flags. */
	cfg_free(&c);
	assert_string_equal(c.flag_server, "flag.example:3");
	assert_string_equal(c.flag_output, "json");

	/* Flags over the file alone too. */
	unsetenv("TIER_SERVER");
	unsetenv("TIER_OUTPUT");
	c.flag_output = "table";
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.server, "flag.example:3");
	assert_int_equal(c.output, CFG_OUTPUT_TABLE);
	cfg_free(&c);

	/* The environment over the defaults, without a file. */
	assert_int_equal(unlink(f->file), 0);
	memset(&c, 0, sizeof(c));
	setenv("TIER_SERVER", "env.example:2", 1);
	setenv("TIER_OUTPUT", "json", 1);
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.server, "env.example:2");
	assert_int_equal(c.server_in_file, 0);
	assert_int_equal(c.output, CFG_OUTPUT_JSON);
	cfg_free(&c);
}

static void
test_cfg_key_paths(void **state)
{
	struct cfg_fixture *f = *state;
	struct cfg c;
	char *home = getenv("HOME") != NULL ? strdup(getenv("HOME")) : NULL;

	memset(&c, 0, sizeof(c));
	write_file(f->file, "[client]\nkey = /abs/key\n");
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.key_path, "/abs/key");
	assert_null(c.server);

	setenv("HOME", "/home/someone", 1);
	write_file(f->file, "[client]\nkey = ~/k\n");
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.key_path, "/home/someone/k");

	/* Empty values are as if unset. */
	write_file(f->file, "[client]\nkey =\nserver =\n");
	assert_int_equal(cfg_load(&c), 0);
	assert_path(c.key_path, f->dir, "id_x25519");
	assert_null(c.server);
	assert_int_equal(c.server_in_file, 0);
	cfg_free(&c);

	if (home != NULL)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	free(home);
}

static void
test_cfg_dir(void **state)
{
	struct cfg_fixture *f = *state;
	struct cfg c;
	char *home = getenv("HOME") != NULL ? strdup(getenv("HOME")) : NULL;
	char *other = join(f->dir, "other");

	memset(&c, 0, sizeof(c));
	/* --config-dir over TIER_CONFIG_DIR. */
	c.flag_config_dir = other;
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.dir, other);
	assert_path(c.file, other, "config");
	assert_path(c.key_path, other, "id_x25519");
	c.flag_config_dir = "";
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.dir, f->dir);
	c.flag_config_dir = NULL;

	/* Then XDG_CONFIG_HOME/tier, when absolute, then ~/.config/tier. */
	unsetenv("TIER_CONFIG_DIR");
	setenv("HOME", "/home/someone", 1);
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.dir, "/xdg/tier");
	setenv("XDG_CONFIG_HOME", "relative", 1);
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.dir, "/home/someone/.config/tier");
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.dir, "/home/someone/.config/tier");
	assert_string_equal(
	    c.known_path, "/home/someone/.config/tier/known_servers");
	cfg_free(&c);

	setenv("TIER_CONFIG_DIR", f->dir, 1);
	if (home != NULL)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	free(home);
	free(other);
}

static void
test_cfg_errors(void **state)
{
	struct cfg_fixture *f = *state;
	struct cfg c;

	memset(&c, 0, sizeof(c));
	write_file(f->file, "[client]\noutput = yaml\n");
	assert_int_equal(cfg_load(&c), ERR_CONFIG);
	cfg_free(&c);
	/* The environment does not excuse a bad file. */
	setenv("TIER_OUTPUT", "json", 1);
	assert_int_equal(cfg_load(&c), ERR_CONFIG);
	cfg_free(&c);
	unsetenv("TIER_OUTPUT");

	write_file(f->file, "[client]\nthis is not a setting\n");
	assert_int_equal(cfg_load(&c), ERR_CONFIG);
	cfg_free(&c);

	/* An unknown setting is only a warning. */
	write_file(f->file, "[client]\ncolour = blue\nserver = h:1\n");
	assert_int_equal(cfg_load(&c), 0);
	assert_string_equal(c.server, "h:1");
	cfg_free(&c);

	setenv("TIER_OUTPUT", "xml", 1);
	assert_int_equal(cfg_load(&c), ERR_CONFIG);
	cfg_free(&c);
	unsetenv("TIER_OUTPUT");

	c.flag_output = "Json";
	assert_int_equal(cfg_load(&c), ERR_CONFIG);
	cfg_free(&c);
	c.flag_output = NULL;

	/* A config file that exists but cannot be read. */
	assert_int_equal(unlink(f->file), 0);
	assert_int_equal(symlink("config", f->file), 0);
	assert_int_equal(cfg_load(&c), ERR_SYSTEM);
	cfg_free(&c);
	assert_int_equal(unlink(f->file), 0);
	assert_int_equal(cfg_load(&c), 0);
	cfg_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_ok),
		cmocka_unit_test(test_address_bad),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test_setup_teardown(
		    test_known_missing_file, known_setup, known_teardown),
		cmocka_unit_test_setup_teardown(
		    test_known_add_lookup, known_setup, known_teardown),
		cmocka_unit_test_setup_teardown(
		    test_known_file_format, known_setup, known_teardown),
		cmocka_unit_test_setup_teardown(
		    test_known_bad_key, known_setup, known_teardown),
		cmocka_unit_test_setup_teardown(
		    test_known_add_existing, known_setup, known_teardown),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_output_text),
		cmocka_unit_test(test_output_parse),
		cmocka_unit_test(test_exit_table),
		cmocka_unit_test(test_exit_code_mapping),
		cmocka_unit_test(test_cmd_table),
		cmocka_unit_test(test_help_topics),
		cmocka_unit_test_setup_teardown(
		    test_cfg_defaults, cfg_setup, cfg_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cfg_precedence, cfg_setup, cfg_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cfg_key_paths, cfg_setup, cfg_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cfg_dir, cfg_setup, cfg_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cfg_errors, cfg_setup, cfg_teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
