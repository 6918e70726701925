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
#include <unistd.h>

#include <utf8proc.h>

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
	size_t ncols;          /* cells per row */
	size_t nrows;          /* rows in use, the header row included */
	size_t cap;            /* rows allocated */
	char **cells;          /* nrows * ncols owned strings, row by row */
	unsigned char *styles; /* nrows * ncols enum output_style, or NULL */
};

static enum cfg_output output_current = CFG_OUTPUT_TABLE;

void
output_mode_set(enum cfg_output mode)
{
	output_current = mode;
}

enum cfg_output
output_mode(void)
{
	return output_current;
}

int
output_color(FILE *f)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (output_current != CFG_OUTPUT_TABLE || !isatty(fileno(f)))
		return 0;
	if (no != NULL && *no != '\0')
		return 0;
	return term != NULL && *term != '\0' && strcmp(term, "dumb") != 0;
}

/* SGR sequences per enum output_style; the header row is bold. */
static const char *const output_sgr[] = {
	[OUTPUT_STYLE_PLAIN] = NULL,
	[OUTPUT_STYLE_GOOD] = "\033[32m",
	[OUTPUT_STYLE_WARN] = "\033[33m",
	[OUTPUT_STYLE_BAD] = "\033[31m",
	[OUTPUT_STYLE_DIM] = "\033[2m",
};
#define OUTPUT_SGR_BOLD  "\033[1m"
#define OUTPUT_SGR_RESET "\033[0m"

void
output_csv_record(FILE *f, const char *const *cells, size_t n)
{
	const char *s;
	size_t i;

	for (i = 0; i < n; i++) {
		s = cells[i] != NULL ? cells[i] : "";
		if (i > 0)
			fputc(',', f);
		if (strpbrk(s, ",\"\r\n") == NULL) {
			fputs(s, f);
			continue;
		}
		fputc('"', f);
		for (; *s != '\0'; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	}
	fputs("\r\n", f);
}

void
output_locale_init(void)
{
	setlocale(LC_ALL, "");
	/* Server text is UTF-8 whatever the user's locale says. */
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
}

int
output_next_char(const char *s, size_t len, size_t *n, size_t *cols)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t k = utf8proc_iterate(
	    (const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &cp);
	int w;

	if (k <= 0) {
		*n = 1;
		*cols = 1;
		return 0;
	}
	*n = (size_t)k;
	if (utf8proc_category(cp) == UTF8PROC_CATEGORY_CC) {
		*cols = 1;
		return 0;
	}
	w = utf8proc_charwidth(cp);
	*cols = w < 0 ? 1 : (size_t)w;
	return 1;
}

size_t
output_width(const char *s)
{
	size_t len = strlen(s), n, cols, width = 0;

	while (len > 0) {
		output_next_char(s, len, &n, &cols);
		width += cols;
		s += n;
		len -= n;
	}
	return width;
}

void
output_text(FILE *f, const char *s)
{
	size_t len = strlen(s), n, cols;

	while (len > 0) {
		if (output_next_char(s, len, &n, &cols))
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

	if (output_current == CFG_OUTPUT_CSV) {
		const char *cells[2] = { label, value };
		output_csv_record(f, cells, 2);
		return;
	}
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
		if (t->styles != NULL) {
			unsigned char *st = realloc(t->styles, cap * t->ncols);
			if (st == NULL)
				return ERR_ALLOC;
			memset(st + t->cap * t->ncols, 0,
			    (cap - t->cap) * t->ncols);
			t->styles = st;
		}
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
output_table_style(struct output_table *t, size_t col, enum output_style s)
{
	if (t->nrows == 0 || col >= t->ncols)
		return;
	if (t->styles == NULL && (t->styles = calloc(t->cap, t->ncols)) == NULL)
		return; /* out of memory: the cell stays plain */
	t->styles[(t->nrows - 1) * t->ncols + col] = (unsigned char)s;
}

void
output_table_print(const struct output_table *t, FILE *f)
{
	size_t *widths, row, col, w;
	const char *cell, *sgr;
	int color = output_color(f);

	if (output_current == CFG_OUTPUT_CSV) {
		for (row = 0; row < t->nrows; row++)
			output_csv_record(f,
			    (const char *const *)t->cells + row * t->ncols,
			    t->ncols);
		return;
	}
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
			sgr = NULL;
			if (color && row == 0)
				sgr = OUTPUT_SGR_BOLD;
			else if (color && t->styles != NULL)
				sgr =
				    output_sgr[t->styles[row * t->ncols + col]];
			if (sgr != NULL)
				fputs(sgr, f);
			output_text(f, cell);
			if (sgr != NULL)
				fputs(OUTPUT_SGR_RESET, f);
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
	free(t->styles);
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

/* How output_json_print lays documents out: indented, or one per line. */
static size_t output_json_layout = JSON_INDENT(2);

void
output_json_compact(int on)
{
	output_json_layout = on ? JSON_COMPACT : JSON_INDENT(2);
}

int
output_json_print(json_t *doc)
{
	if (doc == NULL) {
		output_error(NULL, "out of memory building JSON output");
		return ERR_ALLOC;
	}
	json_dumpf(doc, stdout, output_json_layout | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(doc);
	return 0;
}

/* Candidates ----------------------------------------------------------------*/

const char *
output_candidate_state(Tier__CandidateState s)
{
	static const char *const names[] = { "unspecified", "proposed",
		"scored", "pending", "approved", "rejected", "withdrawn" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s]
							      : "unknown";
}

const char *
output_candidate_tier(Tier__TierLevel t)
{
	static const char *const names[] = { "", "general", "key",
		"strategic" };

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t]
							      : "unknown";
}

const char *
output_candidate_action(Tier__CandidateAction a)
{
	static const char *const names[] = { "unspecified", "propose", "score",
		"submit", "approve", "reject", "return", "withdraw", "reopen" };

	return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a]
							      : "unknown";
}

/* A tier as JSON: its name, or null when none. */
static json_t *
output_json_tier(Tier__TierLevel t)
{
	return t == TIER__TIER_LEVEL__TIER_LEVEL_UNSPECIFIED
		   ? json_null()
		   : json_string(output_candidate_tier(t));
}

enum output_style
output_candidate_style(Tier__CandidateState s)
{
	switch (s) {
	case TIER__CANDIDATE_STATE__CANDIDATE_STATE_APPROVED:
		return OUTPUT_STYLE_GOOD;
	case TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING:
		return OUTPUT_STYLE_WARN;
	case TIER__CANDIDATE_STATE__CANDIDATE_STATE_REJECTED:
		return OUTPUT_STYLE_BAD;
	case TIER__CANDIDATE_STATE__CANDIDATE_STATE_WITHDRAWN:
		return OUTPUT_STYLE_DIM;
	default:
		return OUTPUT_STYLE_PLAIN;
	}
}

json_t *
output_json_candidate(const Tier__Candidate *c)
{
	json_t *doc, *lines, *chain, *missing, *allowed;
	size_t i;

	lines = json_array();
	chain = json_array();
	missing = json_array();
	allowed = json_array();
	for (i = 0; lines != NULL && i < c->n_lines; i++) {
		const Tier__ScoreLine *l = c->lines[i];

		json_array_append_new(
		    lines, json_pack("{s:o, s:i, s:i, s:i, s:b, s:o, s:f, s:o}",
			       "criterion", output_json_string(l->criterion),
			       "weight", (int)l->weight, "scale_min",
			       (int)l->scale_min, "scale_max",
			       (int)l->scale_max, "scored", l->scored, "value",
			       l->scored ? json_integer(l->value) : json_null(),
			       "points", l->points, "scored_by",
			       output_json_string(l->scored_by)));
	}
	for (i = 0; chain != NULL && i < c->n_chain; i++) {
		const Tier__ApprovalStep *s = c->chain[i];

		json_array_append_new(chain,
		    json_pack("{s:s, s:o, s:o, s:o}", "role",
			msg_role_name(s->role), "decided_by",
			output_json_string(s->decided_by), "on_behalf_of",
			output_json_string(s->on_behalf_of), "decided_at",
			output_json_time(s->decided_at)));
	}
	for (i = 0; missing != NULL && i < c->n_missing; i++)
		json_array_append_new(
		    missing, output_json_string(c->missing[i]));
	for (i = 0; allowed != NULL && i < c->n_allowed; i++)
		json_array_append_new(allowed,
		    json_string(output_candidate_action(c->allowed[i])));
	doc = json_pack("{s:I, s:I, s:i, s:o, s:o, s:I, s:o, s:s, s:f, s:b, "
			"s:b, s:o, s:o, s:o, s:o, s:i, s:i}",
	    "id", (json_int_t)c->id, "cycle_id", (json_int_t)c->cycle_id,
	    "year", (int)c->year, "bu", output_json_string(c->bu), "segment",
	    output_json_string(c->segment), "customer_id",
	    (json_int_t)c->customer_id, "customer",
	    output_json_string(c->customer), "state",
	    output_candidate_state(c->state), "score", c->score,
	    "score_complete", c->score_complete, "needs_rescore",
	    c->needs_rescore, "suggested_tier",
	    output_json_tier(c->suggested_tier), "tier",
	    output_json_tier(c->tier), "owner", output_json_string(c->owner),
	    "justification", output_json_string(c->justification),
	    "rank_segment", (int)c->rank_segment, "rank_bu", (int)c->rank_bu);
	if (doc == NULL) {
		json_decref(missing);
		json_decref(lines);
		json_decref(chain);
		json_decref(allowed);
		return NULL;
	}
	if (json_object_update_new(
		doc, json_pack("{s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:I, s:o, "
			       "s:o, s:o, s:i, s:o, s:b}",
			 "missing", missing, "lines", lines, "chain", chain,
			 "step", (int)c->step, "proposed_by",
			 output_json_string(c->proposed_by), "submitted_by",
			 output_json_string(c->submitted_by), "reason",
			 output_json_string(c->reason), "version",
			 (json_int_t)c->version, "updated_by",
			 output_json_string(c->updated_by), "updated_at",
			 output_json_time(c->updated_at), "pending_since",
			 output_json_time(c->pending_since), "criteria_version",
			 (int)c->criteria_version, "allowed", allowed,
			 "card_incomplete", c->card_incomplete)) != 0) {
		json_decref(doc);
		return NULL;
	}
	if (c->inquiry_id != 0 &&
	    json_object_set_new(doc, "inquiry_id",
		json_integer((json_int_t)c->inquiry_id)) != 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* Prints a continuation line under a labelled field. */
static void
output_more(FILE *f, const char *value)
{
	if (output_current == CFG_OUTPUT_CSV) {
		/* A record of its own, under the label of the line above. */
		const char *cells[2] = { "", value };
		output_csv_record(f, cells, 2);
		return;
	}
	fprintf(f, "%*s", OUTPUT_LABEL_WIDTH, "");
	output_text(f, value);
	fputc('\n', f);
}

void
output_candidate_fields(FILE *f, const Tier__Candidate *c)
{
	char when[OUTPUT_TIME_SIZE], line[512];
	size_t i, len;

	output_fieldf(f, "candidate", "%llu", (unsigned long long)c->id);
	output_fieldf(f, "customer", "%s (%llu)", c->customer,
	    (unsigned long long)c->customer_id);
	output_fieldf(f, "cycle", "%llu (%s %u)",
	    (unsigned long long)c->cycle_id, c->bu, c->year);
	output_field(f, "segment", c->segment);
	if (c->state == TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING &&
	    c->step < c->n_chain) {
		output_time(c->pending_since, when);
		output_fieldf(f, "state",
		    "pending, step %u of %zu (waiting for %s since %s)",
		    c->step + 1, c->n_chain,
		    msg_role_name(c->chain[c->step]->role), when);
	} else
		output_fieldf(f, "state", "%s%s",
		    output_candidate_state(c->state),
		    c->needs_rescore ? " (criteria changed: rescore it)" : "");
	if (c->score_complete)
		output_fieldf(f, "score", "%.2f", c->score);
	else
		output_fieldf(f, "score",
		    "%.2f so far (not every criterion "
		    "is scored)",
		    c->score);
	if (c->rank_segment != 0)
		output_fieldf(f, "rank", "%u in %s, %u in %s", c->rank_segment,
		    c->segment, c->rank_bu, c->bu);
	if (c->suggested_tier != TIER__TIER_LEVEL__TIER_LEVEL_UNSPECIFIED)
		output_field(
		    f, "suggested", output_candidate_tier(c->suggested_tier));
	if (c->tier != TIER__TIER_LEVEL__TIER_LEVEL_UNSPECIFIED)
		output_field(f, "tier", output_candidate_tier(c->tier));
	if (*c->owner != '\0')
		output_field(f, "owner", c->owner);
	if (*c->justification != '\0')
		output_field(f, "justification", c->justification);
	for (i = 0; i < c->n_chain; i++) {
		const Tier__ApprovalStep *s = c->chain[i];

		len = (size_t)snprintf(line, sizeof(line), "%zu. %s", i + 1,
		    msg_role_name(s->role));
		if (*s->decided_by != '\0') {
			output_time(s->decided_at, when);
			len += (size_t)snprintf(line + len,
			    len < sizeof(line) ? sizeof(line) - len : 0,
			    ": approved by %s%s%s at %s", s->decided_by,
			    *s->on_behalf_of ? " for " : "", s->on_behalf_of,
			    when);
		}
		if (i == 0)
			output_field(f, "chain", line);
		else
			output_more(f, line);
	}
	for (i = 0; i < c->n_missing; i++) {
		if (i == 0)
			output_field(f, "missing", c->missing[i]);
		else
			output_more(f, c->missing[i]);
	}
	if (*c->reason != '\0')
		output_field(f, "reason", c->reason);
	output_field(f, "proposed by", c->proposed_by);
	if (c->inquiry_id != 0)
		output_fieldf(f, "origin", "from inquiry %llu",
		    (unsigned long long)c->inquiry_id);
	if (*c->submitted_by != '\0')
		output_field(f, "submitted by", c->submitted_by);
	len = 0;
	line[0] = '\0';
	for (i = 0; i < c->n_allowed && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s",
		    i ? ", " : "", output_candidate_action(c->allowed[i]));
	output_field(f, "you may", c->n_allowed ? line : "nothing now");
	output_time(c->updated_at, when);
	output_fieldf(f, "version", "%llu (by %s at %s)",
	    (unsigned long long)c->version, c->updated_by, when);
}

/* Workflow records
 * -----------------------------------------------------------*/

const char *
output_enum_name(
    const ProtobufCEnumDescriptor *d, int value, char *buf, size_t len)
{
	const ProtobufCEnumValue *v =
	    protobuf_c_enum_descriptor_get_value(d, value);
	size_t prefix = 0, i, k;

	if (v == NULL || len == 0) {
		snprintf(buf, len, "unknown");
		return buf;
	}
	/* The values share a prefix ("CYCLE_STATE_"): cut it at its last
	 * underscore. */
	for (k = 0; k < d->n_values; k++) {
		const char *a = d->values[k].name, *b = v->name;

		for (i = 0; a[i] != '\0' && a[i] == b[i]; i++)
			;
		if (k == 0 || i < prefix)
			prefix = i;
	}
	while (prefix > 0 && v->name[prefix - 1] != '_')
		prefix--;
	for (i = 0; v->name[prefix + i] != '\0' && i + 1 < len; i++) {
		char ch = v->name[prefix + i];

		buf[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	buf[i] = '\0';
	return buf;
}

json_t *
output_json_enum(const ProtobufCEnumDescriptor *d, int value)
{
	char name[64];

	return json_string(output_enum_name(d, value, name, sizeof(name)));
}

json_t *
output_json_unit(const Tier__Unit *u)
{
	return json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)u->id,
	    "kind", output_json_enum(&tier__unit_kind__descriptor, u->kind),
	    "name", output_json_string(u->name), "parent",
	    output_json_string(u->parent));
}

static json_t *
output_json_chain(const Tier__Chain *c)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && c != NULL && i < c->n_steps; i++) {
		if (json_array_append_new(
			arr, json_string(msg_role_name(c->steps[i]))) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* An id that is 0 when absent, as JSON: null then. */
static json_t *
output_json_id(uint64_t id)
{
	return id != 0 ? json_integer((json_int_t)id) : json_null();
}

json_t *
output_json_cycle(const Tier__Cycle *c)
{
	const Tier__Policy *p = c->policy;
	json_t *quotas = json_array(), *policy = json_null();
	size_t i;

	for (i = 0; quotas != NULL && i < c->n_quotas; i++) {
		const Tier__Quota *q = c->quotas[i];

		if (json_array_append_new(
			quotas, json_pack("{s:o, s:i, s:i, s:i}", "segment",
				    output_json_string(q->segment), "quota",
				    (int)q->quota, "proposed", (int)q->proposed,
				    "approved", (int)q->approved)) != 0) {
			json_decref(quotas);
			quotas = NULL;
		}
	}
	if (p != NULL)
		policy = json_pack("{s:f, s:f, s:f, s:o, s:o, s:o, s:i, s:i}",
		    "min_score", p->min_score, "cut_strategic",
		    p->cut_strategic, "cut_key", p->cut_key, "chain_general",
		    output_json_chain(p->chain_general), "chain_key",
		    output_json_chain(p->chain_key), "chain_strategic",
		    output_json_chain(p->chain_strategic), "step_limit_hours",
		    (int)p->step_limit_hours, "visit_limit_days",
		    (int)p->visit_limit_days);
	return json_pack("{s:I, s:o, s:i, s:o, s:o, s:o, s:i, s:I, s:o, s:o, "
			 "s:o, s:o}",
	    "id", (json_int_t)c->id, "bu", output_json_string(c->bu), "year",
	    (int)c->year, "state",
	    output_json_enum(&tier__cycle_state__descriptor, c->state),
	    "policy", policy, "quotas", quotas, "criteria_version",
	    (int)c->criteria_version, "version", (json_int_t)c->version,
	    "derived_from", output_json_id(c->derived_from), "derive_reason",
	    output_json_string(c->derive_reason), "updated_by",
	    output_json_string(c->updated_by), "updated_at",
	    output_json_time(c->updated_at));
}

json_t *
output_json_criteria_set(const Tier__CriteriaSet *s)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr != NULL && i < s->n_criteria; i++) {
		const Tier__Criterion *k = s->criteria[i];

		if (json_array_append_new(arr,
			json_pack("{s:o, s:o, s:i, s:i, s:i}", "name",
			    output_json_string(k->name), "description",
			    output_json_string(k->description), "scale_min",
			    (int)k->scale_min, "scale_max", (int)k->scale_max,
			    "weight", (int)k->weight)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:b, s:b}", "version",
	    (int)s->version, "criteria", arr, "reason",
	    output_json_string(s->reason), "changes",
	    output_json_string(s->changes), "created_by",
	    output_json_string(s->created_by), "created_at",
	    output_json_time(s->created_at), "in_force", s->in_force, "frozen",
	    s->frozen);
}

json_t *
output_json_customer(const Tier__Customer *c)
{
	json_t *rev = json_array(), *missing = json_array();
	size_t i;

	for (i = 0; rev != NULL && i < c->n_revenue; i++) {
		if (json_array_append_new(
			rev, json_pack("{s:i, s:I, s:I}", "year",
				 (int)c->revenue[i]->year, "amount",
				 (json_int_t)c->revenue[i]->amount, "plan",
				 (json_int_t)c->revenue[i]->plan)) != 0) {
			json_decref(rev);
			rev = NULL;
		}
	}
	for (i = 0; missing != NULL && i < c->n_missing; i++) {
		if (json_array_append_new(
			missing, output_json_string(c->missing[i])) != 0) {
			json_decref(missing);
			missing = NULL;
		}
	}
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o, "
			 "s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i}",
	    "id", (json_int_t)c->id, "bu", output_json_string(c->bu), "name",
	    output_json_string(c->name), "industry",
	    output_json_string(c->industry), "region",
	    output_json_string(c->region), "size", output_json_string(c->size),
	    "contacts", output_json_string(c->contacts), "credit_limit",
	    (json_int_t)c->credit_limit, "payment_terms",
	    output_json_string(c->payment_terms), "revenue", rev, "version",
	    (json_int_t)c->version, "updated_by",
	    output_json_string(c->updated_by), "updated_at",
	    output_json_time(c->updated_at), "missing", missing, "profile",
	    output_json_string(c->profile), "key_people",
	    output_json_string(c->key_people), "transaction_status",
	    output_json_string(c->transaction_status), "grade",
	    output_json_string(c->grade), "owner", output_json_string(c->owner),
	    "completeness", (int)c->completeness);
}

json_t *
output_json_delegation(const Tier__Delegation *d)
{
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "id",
	    (json_int_t)d->id, "approver", output_json_string(d->approver),
	    "deputy", output_json_string(d->deputy), "starts_at",
	    output_json_time(d->starts_at), "ends_at",
	    output_json_time(d->ends_at), "created_by",
	    output_json_string(d->created_by));
}

int
output_oom(void)
{
	output_error(NULL, "out of memory");
	return EXIT_OTHER;
}
