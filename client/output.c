/*
 * What the user sees. Owns the two output formats (tables aligned by display
 * width, and JSON through jansson), the wording of errors on stderr, and the
 * exit code table with the mapping from the server's ErrorCode to it.
 */
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>
#include <wctype.h>

#include "err.h"
#include "tier.h"

#define OUTPUT_LABEL_WIDTH 15 /* "display name:" and a space or two */

const struct output_exit output_exits[] = {
	{ EXIT_OK, "success" },
	{ EXIT_OTHER, "other failure, including an internal server error" },
	{ EXIT_USAGE, "usage error: bad options, arguments or settings" },
	{ EXIT_CONNECT, "cannot connect, connection lost, or timed out" },
	{ EXIT_HANDSHAKE,
	    "handshake failed: protocol mismatch or not a tier server" },
	{ EXIT_KEY_CHANGED,
	    "the server's key differs from the pinned one (security)" },
	{ EXIT_DENIED, "not authorised: unknown key, enrolment refused, or "
		       "the role may not do this" },
	{ EXIT_NOT_FOUND, "not found" },
	{ EXIT_CONFLICT, "already exists, or changed meanwhile" },
	{ EXIT_REJECTED, "the server rejected the request as invalid" },
	{ EXIT_UNAVAILABLE, "the server is unavailable: retry later" },
};
const size_t output_nexits = sizeof(output_exits) / sizeof(output_exits[0]);

struct output_table {
	size_t ncols; /* cells per row */
	size_t nrows; /* rows in use, the header row included */
	size_t cap;   /* rows allocated */
	char **cells; /* nrows * ncols owned strings, row by row */
};

void
output_locale_init(void)
{
	setlocale(LC_ALL, "");
	/* Server text is UTF-8 whatever the user's locale says. */
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
}

/*
 * Walks s one character at a time: *n gets its length in bytes, *cols its
 * columns, and the result says whether it may be written as it is (not a
 * control character, not an undecodable byte).
 */
static int
output_next_char(
    const char *s, size_t len, mbstate_t *st, size_t *n, size_t *cols)
{
	wchar_t wc;
	int w;

	*n = mbrtowc(&wc, s, len, st);
	if (*n == (size_t)-1 || *n == (size_t)-2 || *n == 0) {
		memset(st, 0, sizeof(*st));
		*n = 1;
		*cols = 1;
		return 0;
	}
	if (iswcntrl((wint_t)wc)) {
		*cols = 1;
		return 0;
	}
	w = wcwidth(wc);
	*cols = w < 0 ? 1 : (size_t)w;
	return 1;
}

size_t
output_width(const char *s)
{
	mbstate_t st;
	size_t len = strlen(s), n, cols, width = 0;

	memset(&st, 0, sizeof(st));
	while (len > 0) {
		output_next_char(s, len, &st, &n, &cols);
		width += cols;
		s += n;
		len -= n;
	}
	return width;
}

void
output_text(FILE *f, const char *s)
{
	mbstate_t st;
	size_t len = strlen(s), n, cols;

	memset(&st, 0, sizeof(st));
	while (len > 0) {
		if (output_next_char(s, len, &st, &n, &cols))
			fwrite(s, 1, n, f);
		else
			fputc('?', f);
		s += n;
		len -= n;
	}
}

int
output_exit_code(Tier__ErrorCode code)
{
	switch (code) {
	case TIER__ERROR_CODE__ERROR_CODE_UNKNOWN_KEY:
	case TIER__ERROR_CODE__ERROR_CODE_ENROLMENT_REFUSED:
	case TIER__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED:
		return EXIT_DENIED;
	case TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND:
		return EXIT_NOT_FOUND;
	case TIER__ERROR_CODE__ERROR_CODE_ALREADY_EXISTS:
	case TIER__ERROR_CODE__ERROR_CODE_CONFLICT:
		return EXIT_CONFLICT;
	case TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST:
	case TIER__ERROR_CODE__ERROR_CODE_UNSUPPORTED:
	case TIER__ERROR_CODE__ERROR_CODE_TOO_LARGE:
		return EXIT_REJECTED;
	case TIER__ERROR_CODE__ERROR_CODE_UNAVAILABLE:
		return EXIT_UNAVAILABLE;
	default:
		return EXIT_OTHER;
	}
}

static void __attribute__((format(printf, 2, 0)))
output_vline(const char *prefix, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "tier: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
output_error(const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	output_vline("error: ", fmt, ap);
	va_end(ap);
	if (hint != NULL && *hint != '\0')
		fprintf(stderr, "hint: %s\n", hint);
}

void
output_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	output_vline("warning: ", fmt, ap);
	va_end(ap);
}

void
output_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	output_vline("", fmt, ap);
	va_end(ap);
}

/* A JSON string of s; text that is not UTF-8 has its odd bytes replaced. */
static json_t *
output_json_string(const char *s)
{
	json_t *j;
	char *copy, *p;

	if ((j = json_string(s)) != NULL)
		return j;
	if ((copy = strdup(s)) == NULL)
		return NULL;
	for (p = copy; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	}
	j = json_string(copy);
	free(copy);
	return j;
}

int
output_server_error(enum cfg_output mode, const Tier__Error *e)
{
	const char *message = e->message != NULL && *e->message != '\0'
				  ? e->message
				  : msg_error_code_name(e->code);
	json_t *doc;

	fflush(stdout);
	fputs("tier: error: ", stderr);
	output_text(stderr, message);
	fputc('\n', stderr);
	if (e->hint != NULL && *e->hint != '\0') {
		fputs("hint: ", stderr);
		output_text(stderr, e->hint);
		fputc('\n', stderr);
	}
	if (mode == CFG_OUTPUT_JSON) {
		doc = json_pack("{s:{s:s, s:o, s:o, s:o}}", "error", "code",
		    msg_error_code_name(e->code), "message",
		    output_json_string(message), "hint",
		    output_json_string(e->hint != NULL ? e->hint : ""), "field",
		    output_json_string(e->field != NULL ? e->field : ""));
		output_json_print(doc);
	}
	return output_exit_code(e->code);
}

void
output_time(int64_t t, char out[OUTPUT_TIME_SIZE])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, OUTPUT_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, OUTPUT_TIME_SIZE, "@%lld", (long long)t);
}

void
output_duration(int64_t seconds, char *out, size_t size)
{
	static const struct {
		int64_t len;
		const char *unit;
	} units[] = { { 86400, "d" }, { 3600, "h" }, { 60, "m" }, { 1, "s" } };
	size_t i;
	int64_t big, small;

	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < 3 && seconds < units[i].len; i++)
		;
	big = seconds / units[i].len;
	if (i == 3) {
		snprintf(out, size, "%llds", (long long)big);
		return;
	}
	small = seconds % units[i].len / units[i + 1].len;
	if (small == 0)
		snprintf(out, size, "%lld%s", (long long)big, units[i].unit);
	else
		snprintf(out, size, "%lld%s %lld%s", (long long)big,
		    units[i].unit, (long long)small, units[i + 1].unit);
}

void
output_field(FILE *f, const char *label, const char *value)
{
	size_t n = strlen(label) + 1;

	fprintf(f, "%s:", label);
	for (; n < OUTPUT_LABEL_WIDTH; n++)
		fputc(' ', f);
	if (n == strlen(label) + 1)
		fputc(' ', f);
	output_text(f, value != NULL ? value : "");
	fputc('\n', f);
}

void
output_fieldf(FILE *f, const char *label, const char *fmt, ...)
{
	va_list ap;
	char *value;

	va_start(ap, fmt);
	if (vasprintf(&value, fmt, ap) < 0)
		value = NULL;
	va_end(ap);
	output_field(f, label, value != NULL ? value : "?");
	free(value);
}

void
output_user_fields(FILE *f, const Tier__User *u)
{
	char when[OUTPUT_TIME_SIZE], fp[KEYS_FINGERPRINT_SIZE];

	output_field(f, "name", u->name);
	output_field(f, "role", msg_role_name(u->role));
	output_field(f, "scope", u->scope);
	if (u->display_name != NULL && *u->display_name != '\0')
		output_field(f, "display name", u->display_name);
	if (u->enrolled_at != 0) {
		output_time(u->enrolled_at, when);
		output_field(f, "enrolled", when);
	} else
		output_field(f, "enrolled", "no");
	if (u->public_key.len == KEYS_LEN) {
		keys_fingerprint(u->public_key.data, fp);
		output_field(f, "key", fp);
	}
}

int
output_table_new(
    struct output_table **out, size_t ncols, const char *const *headers)
{
	struct output_table *t;
	int r;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ERR_ALLOC;
	t->ncols = ncols;
	if ((r = output_table_add(t, headers)) != 0) {
		output_table_free(t);
		return r;
	}
	*out = t;
	return 0;
}

int
output_table_add(struct output_table *t, const char *const *cells)
{
	char **p;
	size_t i, cap;

	if (t->nrows == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		p = reallocarray(t->cells, cap * t->ncols, sizeof(*p));
		if (p == NULL)
			return ERR_ALLOC;
		t->cells = p;
		t->cap = cap;
	}
	p = t->cells + t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		if ((p[i] = strdup(cells[i] != NULL ? cells[i] : "")) == NULL) {
			while (i-- > 0)
				free(p[i]);
			return ERR_ALLOC;
		}
	}
	t->nrows++;
	return 0;
}

void
output_table_print(const struct output_table *t, FILE *f)
{
	size_t *widths, row, col, w;
	const char *cell;

	if ((widths = calloc(t->ncols, sizeof(*widths))) == NULL)
		return;
	for (row = 0; row < t->nrows; row++) {
		for (col = 0; col < t->ncols; col++) {
			w = output_width(t->cells[row * t->ncols + col]);
			if (w > widths[col])
				widths[col] = w;
		}
	}
	for (row = 0; row < t->nrows; row++) {
		/* The last non-empty cell ends the line: no trailing blanks. */
		size_t last = t->ncols;
		while (last > 0 && *t->cells[row * t->ncols + last - 1] == '\0')
			last--;
		for (col = 0; col < last; col++) {
			cell = t->cells[row * t->ncols + col];
			output_text(f, cell);
			if (col + 1 == last)
				break;
			for (w = output_width(cell); w < widths[col] + 2; w++)
				fputc(' ', f);
		}
		fputc('\n', f);
	}
	free(widths);
}

void
output_table_free(struct output_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

json_t *
output_json_time(int64_t t)
{
	char buf[OUTPUT_TIME_SIZE];

	if (t == 0)
		return json_null();
	output_time(t, buf);
	return json_string(buf);
}

json_t *
output_json_user(const Tier__User *u)
{
	char b64[KEYS_B64_SIZE], fp[KEYS_FINGERPRINT_SIZE];
	int has_key = u->public_key.len == KEYS_LEN;

	if (has_key) {
		keys_pub_to_b64(u->public_key.data, b64);
		keys_fingerprint(u->public_key.data, fp);
	}
	return json_pack("{s:o, s:s, s:o, s:o, s:b, s:o, s:o, s:o, s:o}",
	    "name", output_json_string(u->name), "role", msg_role_name(u->role),
	    "scope", output_json_string(u->scope), "display_name",
	    output_json_string(u->display_name), "enrolled",
	    u->enrolled_at != 0, "enrolled_at",
	    output_json_time(u->enrolled_at), "created_at",
	    output_json_time(u->created_at), "public_key",
	    has_key ? json_string(b64) : json_null(), "fingerprint",
	    has_key ? json_string(fp) : json_null());
}

int
output_json_print(json_t *doc)
{
	if (doc == NULL) {
		output_error(NULL, "out of memory building JSON output");
		return ERR_ALLOC;
	}
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(doc);
	return 0;
}
