/*
 * "tier customer|candidate|score import|export": CSV files in and out. An
 * import is checked here first (encoding, header, ragged rows, numbers),
 * then sent in chunks and committed by the server in one transaction, which
 * applies the rules of the single-record requests to every row; an export
 * writes what Excel opens as UTF-8. The column tables below are the one
 * place that names the CSV columns.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "err.h"
#include "tier.h"

#define IMPORT_CHUNK_ROWS   2000        /* rows per import_chunk */
#define IMPORT_CHUNK_BYTES  (900 << 10) /* packed bytes per import_chunk */
#define IMPORT_MAX_PROBLEMS 100         /* problems printed */
#define IMPORT_PROGRESS_MIN 1000        /* rows that make an import "long" */
#define EXPORT_PAGE         1000        /* rows per list request */

enum {
	IMPORT_OPT_BU = 0x300,
	IMPORT_OPT_CYCLE,
	IMPORT_OPT_DRY_RUN,
	IMPORT_OPT_ENCODING,
	IMPORT_OPT_FILE,
};

/* Columns -------------------------------------------------------------------*/

/* How a column's cells are read. */
enum col_kind {
	COL_INFO,    /* written by export, accepted and ignored by import */
	COL_TEXT,    /* a string member of the row's message */
	COL_AMOUNT,  /* an int64 member: a whole number >= 0, "" for 0 */
	COL_ID,      /* a uint64 member: a record id, "" for none */
	COL_REVENUE, /* revenue_YYYY: the amount of a year */
	COL_PLAN,    /* plan_YYYY: the planned revenue of a year */
	COL_SCORE,   /* any other header of a score file: a criterion */
	COL_REASON,  /* the reason customer_add needs for a marked change in
			volume; export leaves it empty */
};

struct col_def {
	const char *name;   /* the header */
	enum col_kind kind; /* how its cells are read */
	size_t offset;      /* of the member in the row's message */
};

/*
 * Customer columns, in export order. A card field added to Customer needs
 * one line here (and in customer_export_cells).
 */
static const struct col_def customer_cols[] = {
	{ "id", COL_INFO, 0 },
	{ "bu", COL_TEXT, offsetof(Tier__Customer, bu) },
	{ "name", COL_TEXT, offsetof(Tier__Customer, name) },
	{ "industry", COL_TEXT, offsetof(Tier__Customer, industry) },
	{ "region", COL_TEXT, offsetof(Tier__Customer, region) },
	{ "size", COL_TEXT, offsetof(Tier__Customer, size) },
	{ "contacts", COL_TEXT, offsetof(Tier__Customer, contacts) },
	{ "credit_limit", COL_AMOUNT, offsetof(Tier__Customer, credit_limit) },
	{ "payment_terms", COL_TEXT, offsetof(Tier__Customer, payment_terms) },
	{ "profile", COL_TEXT, offsetof(Tier__Customer, profile) },
	{ "key_people", COL_TEXT, offsetof(Tier__Customer, key_people) },
	{ "transaction_status", COL_TEXT,
	    offsetof(Tier__Customer, transaction_status) },
	{ "reason", COL_REASON, 0 },
	{ "grade", COL_INFO, 0 },
	{ "owner", COL_INFO, 0 },
	{ NULL, COL_INFO, 0 },
};

static const struct col_def candidate_cols[] = {
	{ "candidate_id", COL_INFO, 0 },
	{ "customer_id", COL_ID,
	    offsetof(Tier__ImportCandidateRow, customer_id) },
	{ "customer", COL_TEXT, offsetof(Tier__ImportCandidateRow, customer) },
	{ "segment", COL_TEXT, offsetof(Tier__ImportCandidateRow, segment) },
	{ "state", COL_INFO, 0 },
	{ "score", COL_INFO, 0 },
	{ "suggested_tier", COL_INFO, 0 },
	{ "tier", COL_INFO, 0 },
	{ "owner", COL_INFO, 0 },
	{ NULL, COL_INFO, 0 },
};

static const struct col_def score_cols[] = {
	{ "candidate_id", COL_ID,
	    offsetof(Tier__ImportScoreRow, candidate_id) },
	{ "customer", COL_INFO, 0 },
	{ "segment", COL_INFO, 0 },
	{ NULL, COL_INFO, 0 },
};

/* One header cell, resolved. */
struct col {
	const char *name;   /* as in the file */
	enum col_kind kind; /* how its cells are read */
	size_t offset;      /* COL_TEXT, COL_AMOUNT, COL_ID */
	uint32_t year;      /* COL_REVENUE, COL_PLAN */
	size_t year_index;  /* into the row's years */
};

/* What an import is about. */
struct import_kind {
	Tier__ImportKind kind;
	const char *what;           /* "customer" */
	const struct col_def *cols; /* known columns */
	int criteria;               /* unknown headers are criteria */
};

/* Problems found in the file, before anything is sent. */
struct import_problems {
	size_t total;
	size_t n;
	struct {
		size_t line;
		char column[64];
		char message[256];
	} list[IMPORT_MAX_PROBLEMS];
};

static void import_problem(struct import_problems *p, size_t line,
    const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
import_problem(struct import_problems *p, size_t line, const char *column,
    const char *fmt, ...)
{
	va_list ap;

	p->total++;
	if (p->n == IMPORT_MAX_PROBLEMS)
		return;
	p->list[p->n].line = line;
	snprintf(
	    p->list[p->n].column, sizeof(p->list[p->n].column), "%s", column);
	va_start(ap, fmt);
	vsnprintf(
	    p->list[p->n].message, sizeof(p->list[p->n].message), fmt, ap);
	va_end(ap);
	p->n++;
}

/* Parses a whole number from 0 to max; "" is not one. */
static int
import_number(const char *text, uint64_t max, uint64_t *out)
{
	return cmd_cycle_parse_uint(text, 0, max, out);
}

/* "revenue_2025" -> 2025 when name starts with prefix; 0 otherwise. */
static uint32_t
import_year_column(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	uint64_t y;

	if (strncmp(name, prefix, n) != 0 ||
	    cmd_cycle_parse_uint(name + n, 1900, 2999, &y) != 0)
		return 0;
	return (uint32_t)y;
}

/*
 * Resolves the header against the kind's columns into cols (n of them);
 * *years receives the distinct years of revenue/plan columns, *nyears
 * their count. Problems are recorded against line 1's record.
 */
static int
import_header(const struct import_kind *k, const struct csv_record *h,
    struct col *cols, uint32_t *years, size_t *nyears,
    struct import_problems *pr)
{
	size_t i, j;

	*nyears = 0;
	for (i = 0; i < h->n; i++) {
		struct col *c = &cols[i];
		const struct col_def *d;

		memset(c, 0, sizeof(*c));
		c->name = h->cells[i];
		for (j = 0; j < i; j++) {
			if (strcmp(cols[j].name, c->name) == 0)
				import_problem(pr, h->line, c->name,
				    "column \"%s\" appears twice", c->name);
		}
		for (d = k->cols; d->name != NULL; d++) {
			if (strcmp(d->name, c->name) == 0)
				break;
		}
		if (d->name != NULL) {
			c->kind = d->kind;
			c->offset = d->offset;
			continue;
		}
		if (k->kind == TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER &&
		    ((c->year = import_year_column(c->name, "revenue_")) != 0 ||
			(c->year = import_year_column(c->name, "plan_")) !=
			    0)) {
			c->kind = c->name[0] == 'r' ? COL_REVENUE : COL_PLAN;
			for (j = 0; j < *nyears && years[j] != c->year; j++)
				;
			if (j == *nyears && *nyears == 64) {
				import_problem(pr, h->line, c->name,
				    "more than 64 years of revenue");
				c->kind = COL_INFO;
				continue;
			}
			if (j == *nyears)
				years[(*nyears)++] = c->year;
			c->year_index = j;
			continue;
		}
		if (k->criteria && c->name[0] != '\0') {
			c->kind = COL_SCORE;
			continue;
		}
		import_problem(pr, h->line, c->name,
		    "unknown column \"%s\"; see tier help %s import for the "
		    "columns",
		    c->name, k->what);
	}
	return 0;
}

/* The column named name, or NULL. */
static const struct col *
import_col(const struct col *cols, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(cols[i].name, name) == 0)
			return &cols[i];
	}
	return NULL;
}

/* Reading the file ----------------------------------------------------------*/

struct import_opts {
	const char *file;     /* FILE */
	const char *bu;       /* --bu */
	uint64_t cycle;       /* --cycle */
	int dry_run;          /* --dry-run */
	const char *encoding; /* --encoding, NULL for UTF-8 */
};

/* The 1-based line of byte off of data. */
static size_t
import_line_at(const char *data, size_t off)
{
	size_t line = 1, i;

	for (i = 0; i < off; i++)
		line += data[i] == '\n';
	return line;
}

/*
 * Reads FILE into records, in UTF-8: refuses what is not UTF-8 unless
 * --encoding gb18030 converts it. Returns 0 or an exit code after saying
 * what is wrong.
 */
static int
import_read(const struct import_opts *o, struct csv_rows *rows)
{
	struct csv_detection det;
	char *data = NULL, *conv = NULL, why[256];
	size_t len, clen, bad;
	int r, ex = EXIT_REJECTED, gb;

	gb = o->encoding != NULL && strcasecmp(o->encoding, "gb18030") == 0;
	if (o->encoding != NULL && !gb &&
	    strcasecmp(o->encoding, "utf-8") != 0 &&
	    strcasecmp(o->encoding, "utf8") != 0) {
		output_error("give --encoding utf-8 or --encoding gb18030",
		    "unknown encoding \"%s\"", o->encoding);
		return EXIT_USAGE;
	}
	if ((r = cfg_file_read(o->file, &data, &len)) != 0) {
		if (r == ERR_ALLOC)
			return output_oom();
		output_error(
		    NULL, "cannot read %s: %s", o->file, strerror(errno));
		return EXIT_USAGE;
	}
	csv_detect(data, len, &det);
	if (gb) {
		if (det.bom) {
			output_error("leave out --encoding: the file is UTF-8",
			    "%s starts with a UTF-8 byte order mark, so it "
			    "is not GB18030",
			    o->file);
			goto out;
		}
		r = csv_to_utf8(data, len, "GB18030", &conv, &clen, &bad);
		if (r == ERR_INVALID_ARG) {
			output_error("check the file's encoding",
			    "%s is not GB18030: byte %zu (line %zu) does not "
			    "convert",
			    o->file, bad, import_line_at(data, bad));
			goto out;
		}
		if (r != 0) {
			output_error(
			    NULL, "cannot convert %s from GB18030", o->file);
			ex = EXIT_OTHER;
			goto out;
		}
		free(data);
		data = conv;
		len = clen;
	} else if (det.encoding == CSV_ENCODING_GB18030) {
		output_error("run again with --encoding gb18030 to convert it, "
			     "or save it from the spreadsheet as \"CSV UTF-8\"",
		    "%s is not UTF-8 (byte %zu, line %zu, is not valid UTF-8); "
		    "it reads as GB18030, as Excel saves Chinese text",
		    o->file, det.bad_offset, det.bad_line);
		goto out;
	} else if (det.encoding != CSV_ENCODING_UTF8) {
		output_error("save the file from the spreadsheet as \"CSV "
			     "UTF-8\"",
		    "%s is neither UTF-8 nor GB18030: byte %zu (line %zu) is "
		    "0x%02x",
		    o->file, det.bad_offset, det.bad_line,
		    (unsigned char)data[det.bad_offset]);
		goto out;
	}
	if ((r = csv_read(data, len, rows, why, sizeof(why))) != 0) {
		if (r == ERR_ALLOC)
			ex = output_oom();
		else
			output_error(NULL, "%s: %s", o->file, why);
		goto out;
	}
	if (rows->n == 0) {
		output_error("the first line names the columns; see tier help "
			     "customer import",
		    "%s holds no header line", o->file);
		csv_rows_free(rows);
		goto out;
	}
	ex = 0;
out:
	free(data);
	return ex;
}

/* The rows of an import, as messages. */
struct import_set {
	const struct import_kind *k;
	size_t n;                    /* rows to send */
	uint32_t *lines;             /* file line of each */
	Tier__Customer *customers;   /* CUSTOMER */
	Tier__Customer **customer_p; /* pointers into customers */
	char **reasons;              /* CUSTOMER, with a reason column */
	Tier__RevenueYear *years;    /* CUSTOMER: nyears per row */
	Tier__RevenueYear **year_p;  /* nyears pointers per row */
	Tier__ImportCandidateRow *candidates; /* CANDIDATE */
	Tier__ImportCandidateRow **candidate_p;
	Tier__ImportScoreRow *scores; /* SCORE */
	Tier__ImportScoreRow **score_p;
	Tier__Score *score_cells; /* ncols per row */
	Tier__Score **score_cell_p;
	size_t skipped; /* score rows without any score */
};

static void
import_set_free(struct import_set *s)
{
	free(s->lines);
	free(s->customers);
	free(s->customer_p);
	free(s->reasons);
	free(s->years);
	free(s->year_p);
	free(s->candidates);
	free(s->candidate_p);
	free(s->scores);
	free(s->score_p);
	free(s->score_cells);
	free(s->score_cell_p);
}

/* Reads one cell of a typed column into msg; problems are recorded. */
static void
import_cell(const struct col *c, const char *text, void *msg, size_t line,
    struct import_problems *pr)
{
	uint64_t v;

	switch (c->kind) {
	case COL_TEXT:
		*(char **)((char *)msg + c->offset) = (char *)text;
		break;
	case COL_AMOUNT:
		if (text[0] == '\0')
			break;
		if (import_number(text, INT64_MAX, &v) != 0) {
			import_problem(pr, line, c->name,
			    "\"%.40s\" is not a whole number of 0 or more",
			    text);
			break;
		}
		*(int64_t *)((char *)msg + c->offset) = (int64_t)v;
		break;
	case COL_ID:
		if (text[0] == '\0')
			break;
		if (cmd_cycle_parse_uint(text, 1, INT64_MAX, &v) != 0) {
			import_problem(pr, line, c->name,
			    "\"%.40s\" is not a record id", text);
			break;
		}
		*(uint64_t *)((char *)msg + c->offset) = v;
		break;
	default:
		break;
	}
}

static int
import_build_customers(struct import_set *s, const struct csv_rows *rows,
    const struct col *cols, size_t ncols, const uint32_t *years, size_t nyears,
    const char *bu, struct import_problems *pr)
{
	size_t i, j, n = rows->n - 1, ny;
	uint64_t v;

	s->customers = calloc(n ? n : 1, sizeof(*s->customers));
	s->customer_p = calloc(n ? n : 1, sizeof(*s->customer_p));
	s->years = calloc(n * nyears + 1, sizeof(*s->years));
	s->year_p = calloc(n * nyears + 1, sizeof(*s->year_p));
	if (import_col(cols, ncols, "reason") != NULL &&
	    (s->reasons = calloc(n ? n : 1, sizeof(*s->reasons))) == NULL)
		return ERR_ALLOC;
	if (s->customers == NULL || s->customer_p == NULL || s->years == NULL ||
	    s->year_p == NULL)
		return ERR_ALLOC;
	for (i = 0; i < n; i++) {
		const struct csv_record *rec = &rows->rec[i + 1];
		Tier__Customer *cu = &s->customers[i];
		Tier__RevenueYear *y = &s->years[i * nyears];
		int given[64] = { 0 };

		tier__customer__init(cu);
		if (s->reasons != NULL)
			s->reasons[s->n] = (char *)"";
		for (j = 0; j < nyears; j++) {
			tier__revenue_year__init(&y[j]);
			y[j].year = years[j];
		}
		for (j = 0; j < ncols && j < rec->n; j++) {
			const char *t = rec->cells[j];

			if (cols[j].kind == COL_REASON) {
				s->reasons[s->n] = (char *)t;
				continue;
			}
			if (cols[j].kind != COL_REVENUE &&
			    cols[j].kind != COL_PLAN) {
				import_cell(&cols[j], t, cu, rec->line, pr);
				continue;
			}
			if (t[0] == '\0')
				continue;
			if (import_number(t, INT64_MAX, &v) != 0) {
				import_problem(pr, rec->line, cols[j].name,
				    "\"%.40s\" is not a whole number of 0 or "
				    "more",
				    t);
				continue;
			}
			if (cols[j].kind == COL_REVENUE)
				y[cols[j].year_index].amount = (int64_t)v;
			else
				y[cols[j].year_index].plan = (int64_t)v;
			given[cols[j].year_index] = 1;
		}
		if (bu != NULL)
			cu->bu = (char *)bu;
		else if (cu->bu[0] == '\0')
			import_problem(pr, rec->line, "bu",
			    "no BU: fill in the bu column or give --bu");
		/* Years with neither amount nor plan are not on the card. */
		cu->revenue = &s->year_p[i * nyears];
		for (j = 0, ny = 0; j < nyears; j++) {
			if (given[j])
				cu->revenue[ny++] = &y[j];
		}
		cu->n_revenue = ny;
		s->customer_p[s->n] = cu;
		s->lines[s->n++] = (uint32_t)rec->line;
	}
	return 0;
}

static int
import_build_candidates(struct import_set *s, const struct csv_rows *rows,
    const struct col *cols, size_t ncols, struct import_problems *pr)
{
	size_t i, j, n = rows->n - 1;

	s->candidates = calloc(n ? n : 1, sizeof(*s->candidates));
	s->candidate_p = calloc(n ? n : 1, sizeof(*s->candidate_p));
	if (s->candidates == NULL || s->candidate_p == NULL)
		return ERR_ALLOC;
	for (i = 0; i < n; i++) {
		const struct csv_record *rec = &rows->rec[i + 1];
		Tier__ImportCandidateRow *c = &s->candidates[i];

		tier__import_candidate_row__init(c);
		for (j = 0; j < ncols && j < rec->n; j++)
			import_cell(&cols[j], rec->cells[j], c, rec->line, pr);
		if (c->customer_id == 0 && c->customer[0] == '\0')
			import_problem(pr, rec->line, "customer",
			    "no customer: give customer_id or the customer's "
			    "name");
		s->candidate_p[s->n] = c;
		s->lines[s->n++] = (uint32_t)rec->line;
	}
	return 0;
}

static int
import_build_scores(struct import_set *s, const struct csv_rows *rows,
    const struct col *cols, size_t ncols, struct import_problems *pr)
{
	size_t i, j, n = rows->n - 1;
	uint64_t v;

	s->scores = calloc(n ? n : 1, sizeof(*s->scores));
	s->score_p = calloc(n ? n : 1, sizeof(*s->score_p));
	s->score_cells = calloc(n * ncols + 1, sizeof(*s->score_cells));
	s->score_cell_p = calloc(n * ncols + 1, sizeof(*s->score_cell_p));
	if (s->scores == NULL || s->score_p == NULL || s->score_cells == NULL ||
	    s->score_cell_p == NULL)
		return ERR_ALLOC;
	for (i = 0; i < n; i++) {
		const struct csv_record *rec = &rows->rec[i + 1];
		Tier__ImportScoreRow *sr = &s->scores[i];

		tier__import_score_row__init(sr);
		sr->scores = &s->score_cell_p[i * ncols];
		for (j = 0; j < ncols && j < rec->n; j++) {
			const char *t = rec->cells[j];
			Tier__Score *sc;

			if (cols[j].kind != COL_SCORE) {
				import_cell(&cols[j], t, sr, rec->line, pr);
				continue;
			}
			if (t[0] == '\0')
				continue;
			if (import_number(t, UINT32_MAX, &v) != 0) {
				import_problem(pr, rec->line, cols[j].name,
				    "\"%.40s\" is not a whole number of 0 or "
				    "more",
				    t);
				continue;
			}
			sc = &s->score_cells[i * ncols + j];
			tier__score__init(sc);
			sc->criterion = (char *)cols[j].name;
			sc->value = (uint32_t)v;
			sr->scores[sr->n_scores++] = sc;
		}
		if (sr->candidate_id == 0)
			import_problem(
			    pr, rec->line, "candidate_id", "no candidate id");
		if (sr->n_scores == 0) {
			s->skipped++; /* nothing to score: not sent */
			continue;
		}
		s->score_p[s->n] = sr;
		s->lines[s->n++] = (uint32_t)rec->line;
	}
	return 0;
}

/*
 * Checks the header and every row, and builds the messages. Returns 0 (the
 * problems, if any, are in pr) or ERR_ALLOC.
 */
static int
import_build(const struct import_kind *k, const struct import_opts *o,
    const struct csv_rows *rows, struct import_set *s,
    struct import_problems *pr)
{
	const struct csv_record *h = &rows->rec[0];
	struct col *cols = NULL;
	uint32_t years[64];
	size_t nyears = 0, i;
	int r = ERR_ALLOC;

	memset(s, 0, sizeof(*s));
	s->k = k;
	if ((cols = calloc(h->n ? h->n : 1, sizeof(*cols))) == NULL ||
	    (s->lines = calloc(rows->n, sizeof(*s->lines))) == NULL)
		goto out;
	if (h->n > 200) {
		import_problem(
		    pr, h->line, "", "%zu columns are too many", h->n);
		r = 0;
		goto out;
	}
	import_header(k, h, cols, years, &nyears, pr);
	switch (k->kind) {
	case TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER:
		if (import_col(cols, h->n, "name") == NULL)
			import_problem(pr, h->line, "name",
			    "the header has no \"name\" column");
		if (o->bu == NULL && import_col(cols, h->n, "bu") == NULL)
			import_problem(pr, h->line, "bu",
			    "the header has no \"bu\" column; add it or give "
			    "--bu");
		break;
	case TIER__IMPORT_KIND__IMPORT_KIND_CANDIDATE:
		if (import_col(cols, h->n, "segment") == NULL)
			import_problem(pr, h->line, "segment",
			    "the header has no \"segment\" column");
		if (import_col(cols, h->n, "customer") == NULL &&
		    import_col(cols, h->n, "customer_id") == NULL)
			import_problem(pr, h->line, "customer",
			    "the header has neither a \"customer\" nor a "
			    "\"customer_id\" column");
		break;
	default:
		if (import_col(cols, h->n, "candidate_id") == NULL)
			import_problem(pr, h->line, "candidate_id",
			    "the header has no \"candidate_id\" column");
		break;
	}
	if (pr->total != 0) {
		r = 0; /* rows against a bad header say nothing useful */
		goto out;
	}
	for (i = 1; i < rows->n; i++) {
		if (rows->rec[i].n != h->n)
			import_problem(pr, rows->rec[i].line, "",
			    "%zu cells, but the header has %zu columns",
			    rows->rec[i].n, h->n);
	}
	switch (k->kind) {
	case TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER:
		r = import_build_customers(
		    s, rows, cols, h->n, years, nyears, o->bu, pr);
		break;
	case TIER__IMPORT_KIND__IMPORT_KIND_CANDIDATE:
		r = import_build_candidates(s, rows, cols, h->n, pr);
		break;
	default:
		r = import_build_scores(s, rows, cols, h->n, pr);
		break;
	}
out:
	free(cols);
	return r;
}

/* Sending -------------------------------------------------------------------*/

/* A progress bar on stderr, on a terminal only. */
static void
import_progress(int on, size_t done, size_t total, const char *doing)
{
	char bar[31];
	size_t fill, i;

	if (!on)
		return;
	if (doing == NULL) {
		fprintf(stderr, "\r%*s\r", 72, "");
		fflush(stderr);
		return;
	}
	fill = total ? done * 30 / total : 30;
	for (i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %zu/%zu rows %s", bar, done, total, doing);
	fflush(stderr);
}

/* The packed size of row i of s, for sizing chunks. */
static size_t
import_row_size(const struct import_set *s, size_t i)
{
	switch (s->k->kind) {
	case TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER:
		return tier__customer__get_packed_size(s->customer_p[i]) + 8;
	case TIER__IMPORT_KIND__IMPORT_KIND_CANDIDATE:
		return tier__import_candidate_row__get_packed_size(
			   s->candidate_p[i]) +
		       8;
	default:
		return tier__import_score_row__get_packed_size(s->score_p[i]) +
		       8;
	}
}

/* The column a server error's field names: its last component. */
static const char *
import_field_column(const char *field)
{
	const char *dot = strrchr(field, '.');

	return dot != NULL ? dot + 1 : field;
}

static int
import_print_problems(
    const struct cfg *c, const char *file, const struct import_problems *pr)
{
	static const char *const heads[] = { "LINE", "COLUMN", "PROBLEM" };
	struct output_table *t = NULL;
	json_t *doc, *list;
	char line[32];
	size_t i;

	if (c->output == CFG_OUTPUT_JSON) {
		list = json_array();
		for (i = 0; list != NULL && i < pr->n; i++)
			json_array_append_new(
			    list, json_pack("{s:I, s:s, s:s}", "line",
				      (json_int_t)pr->list[i].line, "column",
				      pr->list[i].column, "message",
				      pr->list[i].message));
		doc = json_pack("{s:{s:s, s:b, s:I, s:o}}", "import", "file",
		    file, "committed", 0, "error_count", (json_int_t)pr->total,
		    "errors", list);
		output_json_print(doc);
	} else {
		if (output_table_new(&t, 3, heads) != 0)
			return output_oom();
		for (i = 0; i < pr->n; i++) {
			const char *cells[3];

			snprintf(line, sizeof(line), "%zu", pr->list[i].line);
			cells[0] = line;
			cells[1] = pr->list[i].column;
			cells[2] = pr->list[i].message;
			if (output_table_add(t, cells) != 0) {
				output_table_free(t);
				return output_oom();
			}
			output_table_style(t, 2, OUTPUT_STYLE_BAD);
		}
		output_table_print(t, stdout);
		output_table_free(t);
	}
	output_error(pr->total > pr->n ? "the first 100 are listed" : NULL,
	    "%s: %zu problem%s found; nothing was sent", file, pr->total,
	    pr->total == 1 ? "" : "s");
	return EXIT_REJECTED;
}

/* Prints the server's verdict. Returns the exit code. */
static int
import_print_result(const struct cfg *c, const struct import_set *s,
    const char *file, const Tier__ImportCommitResponse *res)
{
	static const char *const heads[] = { "LINE", "ROW", "COLUMN", "ERROR",
		"HINT" };
	struct output_table *t = NULL;
	json_t *doc, *list;
	char line[32], row[32];
	size_t i;

	if (c->output == CFG_OUTPUT_JSON) {
		list = json_array();
		for (i = 0; list != NULL && i < res->n_errors; i++) {
			const Tier__ImportError *e = res->errors[i];

			json_array_append_new(list,
			    json_pack("{s:I, s:I, s:s, s:s, s:s, s:s}", "line",
				(json_int_t)e->line, "row", (json_int_t)e->row,
				"column", import_field_column(e->field),
				"message", e->message, "hint", e->hint, "code",
				output_enum_name(&tier__error_code__descriptor,
				    e->code, line, sizeof(line))));
		}
		doc = json_pack("{s:{s:s, s:s, s:I, s:I, s:b, s:b, s:I, s:I, "
				"s:I, s:I, s:o}}",
		    "import", "file", file, "kind", s->k->what, "rows",
		    (json_int_t)res->rows, "skipped", (json_int_t)s->skipped,
		    "committed", res->committed, "dry_run", res->dry_run,
		    "customers_created", (json_int_t)res->customers_created,
		    "candidates_created", (json_int_t)res->candidates_created,
		    "candidates_scored", (json_int_t)res->candidates_scored,
		    "error_count", (json_int_t)res->error_count, "errors",
		    list);
		if (output_json_print(doc) != 0)
			return EXIT_OTHER;
	} else if (res->n_errors > 0) {
		if (output_table_new(&t, 5, heads) != 0)
			return output_oom();
		for (i = 0; i < res->n_errors; i++) {
			const Tier__ImportError *e = res->errors[i];
			const char *cells[5];

			snprintf(line, sizeof(line), "%u", e->line);
			snprintf(row, sizeof(row), "%u", e->row);
			cells[0] = line;
			cells[1] = row;
			cells[2] = import_field_column(e->field);
			cells[3] = e->message;
			cells[4] = e->hint;
			if (output_table_add(t, cells) != 0) {
				output_table_free(t);
				return output_oom();
			}
			output_table_style(t, 3, OUTPUT_STYLE_BAD);
		}
		output_table_print(t, stdout);
		output_table_free(t);
	} else {
		printf("%s%zu rows of %s: %u customers created, %u candidates "
		       "proposed, %u candidates scored%s\n",
		    res->dry_run ? "dry run, nothing changed: " : "imported ",
		    (size_t)res->rows, file, res->customers_created,
		    res->candidates_created, res->candidates_scored,
		    res->dry_run ? " (would be)" : "");
		if (s->skipped > 0)
			printf("%zu rows without any score were skipped\n",
			    s->skipped);
	}
	if (res->error_count > 0) {
		output_error(res->error_count > res->n_errors
				 ? "the first 100 are listed"
				 : NULL,
		    "%s: %u of %u rows refused; nothing was changed", file,
		    res->error_count, res->rows);
		return EXIT_REJECTED;
	}
	return EXIT_OK;
}

/* Sends the rows in chunks and commits them. Returns an exit code. */
static int
import_send(const struct cfg *c, const struct import_opts *o,
    const struct import_set *s)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__ImportChunkRequest chunk = TIER__IMPORT_CHUNK_REQUEST__INIT;
	Tier__ImportCommitRequest commit = TIER__IMPORT_COMMIT_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct conn *conn = NULL;
	uint8_t rnd[16];
	char id[sizeof(rnd) * 2 + 1];
	size_t start = 0, end, bytes;
	int ex, bar;

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(id, sizeof(id), rnd, sizeof(rnd));
	bar = isatty(STDERR_FILENO) && s->n >= IMPORT_PROGRESS_MIN;
	chunk.import_id = id;
	chunk.kind = s->k->kind;
	chunk.cycle_id = o->cycle;
	/* An empty import still stages (and commits) zero rows. */
	do {
		for (end = start, bytes = 0;
		     end < s->n && end - start < IMPORT_CHUNK_ROWS; end++) {
			bytes += import_row_size(s, end);
			if (bytes >= IMPORT_CHUNK_BYTES && end > start)
				break;
		}
		chunk.first_row = (uint32_t)start;
		chunk.lines = (uint32_t *)s->lines + start;
		chunk.n_lines = end - start;
		switch (s->k->kind) {
		case TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER:
			chunk.customers = s->customer_p + start;
			chunk.n_customers = end - start;
			if (s->reasons != NULL) {
				chunk.reasons = s->reasons + start;
				chunk.n_reasons = end - start;
			}
			break;
		case TIER__IMPORT_KIND__IMPORT_KIND_CANDIDATE:
			chunk.candidates = s->candidate_p + start;
			chunk.n_candidates = end - start;
			break;
		default:
			chunk.scores = s->score_p + start;
			chunk.n_scores = end - start;
			break;
		}
		req.body_case = TIER__REQUEST__BODY_IMPORT_CHUNK;
		req.import_chunk = &chunk;
		if ((ex = cmd_call(c, &conn, &req, &resp)) != 0)
			goto out;
		tier__response__free_unpacked(resp, NULL);
		resp = NULL;
		start = end;
		import_progress(bar, start, s->n, "sent");
	} while (start < s->n);

	import_progress(bar, s->n, s->n, "sent, committing");
	commit.import_id = id;
	commit.kind = s->k->kind;
	commit.cycle_id = o->cycle;
	commit.rows = (uint32_t)s->n;
	commit.dry_run = o->dry_run;
	req = (Tier__Request)TIER__REQUEST__INIT;
	req.body_case = TIER__REQUEST__BODY_IMPORT_COMMIT;
	req.import_commit = &commit;
	ex = cmd_call(c, &conn, &req, &resp);
	import_progress(bar, 0, 0, NULL);
	if (ex != 0)
		goto out;
	ex = import_print_result(c, s, o->file, resp->import_commit);
out:
	if (ex != 0)
		import_progress(bar, 0, 0, NULL);
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	conn_free(conn);
	return ex;
}

/* The whole import: options, file, checks, chunks, commit. */
static int
import_main(const struct import_kind *k, const struct cmd_entry *self, int argc,
    char **argv, struct cfg *c)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "bu", required_argument, NULL, IMPORT_OPT_BU },
		{ "cycle", required_argument, NULL, IMPORT_OPT_CYCLE },
		{ "dry-run", no_argument, NULL, IMPORT_OPT_DRY_RUN },
		{ "encoding", required_argument, NULL, IMPORT_OPT_ENCODING },
		{ NULL, 0, NULL, 0 } };
	struct import_problems *pr = NULL;
	struct import_opts o;
	struct import_set set;
	struct csv_rows rows = { 0 };
	int ch, r;

	memset(&o, 0, sizeof(o));
	memset(&set, 0, sizeof(set));
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return cmd_print_help(stdout, self);
		case IMPORT_OPT_BU:
			if (k->kind != TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER)
				return cmd_usage_error(
				    self, "--bu is for customer import");
			o.bu = optarg;
			break;
		case IMPORT_OPT_CYCLE:
			if (k->kind == TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER)
				return cmd_usage_error(self,
				    "--cycle is for candidate and score "
				    "import");
			if ((r = cmd_cycle_parse_id(
				 self, optarg, "cycle", &o.cycle)) != 0)
				return r;
			break;
		case IMPORT_OPT_DRY_RUN:
			o.dry_run = 1;
			break;
		case IMPORT_OPT_ENCODING:
			o.encoding = optarg;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error(self, "give one FILE");
	o.file = argv[optind];
	if (k->kind != TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER && o.cycle == 0)
		return cmd_usage_error(self, "--cycle ID is required");
	if ((r = cmd_configure(c)) != 0)
		return r;
	if ((r = import_read(&o, &rows)) != 0)
		return r;
	if ((pr = calloc(1, sizeof(*pr))) == NULL) {
		r = output_oom();
		goto out;
	}
	if (import_build(k, &o, &rows, &set, pr) != 0) {
		r = output_oom();
		goto out;
	}
	if (pr->total != 0) {
		r = import_print_problems(c, o.file, pr);
		goto out;
	}
	r = import_send(c, &o, &set);
out:
	import_set_free(&set);
	free(pr);
	csv_rows_free(&rows);
	return r;
}

static const struct import_kind import_customers = {
	TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER, "customer", customer_cols, 0
};
static const struct import_kind import_candidates = {
	TIER__IMPORT_KIND__IMPORT_KIND_CANDIDATE, "candidate", candidate_cols, 0
};
static const struct import_kind import_scores = {
	TIER__IMPORT_KIND__IMPORT_KIND_SCORE, "score", score_cols, 1
};

int
cmd_customer_import_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	return import_main(&import_customers, self, argc, argv, c);
}

int
cmd_candidate_import_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	return import_main(&import_candidates, self, argc, argv, c);
}

int
cmd_score_import_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	return import_main(&import_scores, self, argc, argv, c);
}

/* Exports -------------------------------------------------------------------*/

struct export_opts {
	const char *bu;   /* --bu */
	uint64_t cycle;   /* --cycle */
	const char *file; /* --file, NULL for stdout */
};

static int
export_parse(const struct cmd_entry *self, int argc, char **argv, struct cfg *c,
    int need_cycle, struct export_opts *o)
{
	static const struct option opts[] = { CMD_GLOBAL_OPTIONS,
		{ "bu", required_argument, NULL, IMPORT_OPT_BU },
		{ "cycle", required_argument, NULL, IMPORT_OPT_CYCLE },
		{ "file", required_argument, NULL, IMPORT_OPT_FILE },
		{ NULL, 0, NULL, 0 } };
	int ch, r;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cmd_print_help(stdout, self);
			return EXIT_OK + 256;
		case IMPORT_OPT_BU:
			if (need_cycle)
				return cmd_usage_error(
				    self, "--bu is for customer export");
			o->bu = optarg;
			break;
		case IMPORT_OPT_CYCLE:
			if (!need_cycle)
				return cmd_usage_error(self,
				    "--cycle is for candidate and score "
				    "export");
			if ((r = cmd_cycle_parse_id(
				 self, optarg, "cycle", &o->cycle)) != 0)
				return r;
			break;
		case IMPORT_OPT_FILE:
			o->file = optarg;
			break;
		default:
			if ((r = cmd_option(self, ch, argv, c)) != 0)
				return r;
		}
	}
	if (argc != optind)
		return cmd_usage_error(
		    self, "unexpected argument '%s'", argv[optind]);
	if (need_cycle && o->cycle == 0)
		return cmd_usage_error(self, "--cycle ID is required");
	return cmd_configure(c);
}

/* The file to write: --file (created or replaced) or stdout. */
static FILE *
export_open(const struct export_opts *o)
{
	FILE *f;

	if (o->file == NULL)
		return stdout;
	if ((f = fopen(o->file, "w")) == NULL)
		output_error(
		    NULL, "cannot write %s: %s", o->file, strerror(errno));
	return f;
}

static int
export_close(const struct export_opts *o, FILE *f, size_t rows)
{
	int bad = ferror(f);

	if (f != stdout)
		bad |= fclose(f) != 0;
	else
		bad |= fflush(f) != 0;
	if (bad) {
		output_error(NULL, "cannot write %s: %s",
		    o->file ? o->file : "standard output", strerror(errno));
		return EXIT_OTHER;
	}
	if (o->file != NULL)
		output_note("%zu rows written to %s", rows, o->file);
	return EXIT_OK;
}

/* Keeps responses alive until the export is written. */
struct export_pages {
	Tier__Response **resp;
	size_t n, cap;
};

static int
export_keep(struct export_pages *p, Tier__Response *resp)
{
	Tier__Response **np;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;

		if ((np = reallocarray(p->resp, cap, sizeof(*np))) == NULL)
			return ERR_ALLOC;
		p->resp = np;
		p->cap = cap;
	}
	p->resp[p->n++] = resp;
	return 0;
}

static void
export_pages_free(struct export_pages *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		tier__response__free_unpacked(p->resp[i], NULL);
	free(p->resp);
}

static int
export_cmp_year(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Adds year to the sorted set years (at most 64). */
static void
export_year(uint32_t *years, size_t *n, uint32_t year)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (years[i] == year)
			return;
	}
	if (*n < 64) {
		years[(*n)++] = year;
		qsort(years, *n, sizeof(*years), export_cmp_year);
	}
}

int
cmd_customer_export_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CustomerListRequest body = TIER__CUSTOMER_LIST_REQUEST__INIT;
	struct export_pages pages = { 0 };
	struct export_opts o;
	struct conn *conn = NULL;
	Tier__Response *resp = NULL;
	uint32_t revenue[64], plan[64];
	size_t nrevenue = 0, nplan = 0, ncols, i, j, k, rows = 0;
	const char **cells = NULL;
	char(*num)[24] = NULL;
	FILE *f = NULL;
	int r;

	if ((r = export_parse(self, argc, argv, c, 0, &o)) != 0)
		return r == EXIT_OK + 256 ? EXIT_OK : r;
	body.bu = (char *)(o.bu ? o.bu : "");
	body.page_size = EXPORT_PAGE;
	req.body_case = TIER__REQUEST__BODY_CUSTOMER_LIST;
	req.customer_list = &body;
	do {
		if ((r = cmd_call(c, &conn, &req, &resp)) != 0)
			goto out;
		if (export_keep(&pages, resp) != 0) {
			tier__response__free_unpacked(resp, NULL);
			r = output_oom();
			goto out;
		}
		for (i = 0; i < resp->customer_list->n_customers; i++) {
			const Tier__Customer *cu =
			    resp->customer_list->customers[i];

			for (j = 0; j < cu->n_revenue; j++) {
				export_year(
				    revenue, &nrevenue, cu->revenue[j]->year);
				if (cu->revenue[j]->plan != 0)
					export_year(
					    plan, &nplan, cu->revenue[j]->year);
			}
		}
		body.page_after = resp->customer_list->next_page_after;
	} while (body.page_after != 0);

	for (ncols = 0; customer_cols[ncols].name != NULL; ncols++)
		;
	k = ncols + nrevenue + nplan;
	cells = calloc(k, sizeof(*cells));
	num = calloc(k, sizeof(*num));
	if (cells == NULL || num == NULL) {
		r = output_oom();
		goto out;
	}
	if ((f = export_open(&o)) == NULL) {
		r = EXIT_USAGE;
		goto out;
	}
	csv_begin_excel(f);
	for (i = 0; i < ncols; i++)
		cells[i] = customer_cols[i].name;
	for (i = 0; i < nrevenue; i++) {
		snprintf(
		    num[ncols + i], sizeof(num[0]), "revenue_%u", revenue[i]);
		cells[ncols + i] = num[ncols + i];
	}
	for (i = 0; i < nplan; i++) {
		snprintf(num[ncols + nrevenue + i], sizeof(num[0]), "plan_%u",
		    plan[i]);
		cells[ncols + nrevenue + i] = num[ncols + nrevenue + i];
	}
	output_csv_record(f, cells, k);
	for (i = 0; i < pages.n; i++) {
		const Tier__CustomerListResponse *l =
		    pages.resp[i]->customer_list;

		for (j = 0; j < l->n_customers; j++) {
			const Tier__Customer *cu = l->customers[j];
			size_t col, y;

			for (col = 0; col < ncols; col++) {
				const struct col_def *d = &customer_cols[col];

				cells[col] = "";
				if (d->kind == COL_TEXT)
					cells[col] =
					    *(char *const *)((const char *)cu +
							     d->offset);
				else if (d->kind == COL_AMOUNT) {
					int64_t v = *(
					    const int64_t *)((const char *)cu +
							     d->offset);

					snprintf(num[col], sizeof(num[0]),
					    "%lld", (long long)v);
					cells[col] = v != 0 ? num[col] : "";
				} else if (strcmp(d->name, "id") == 0) {
					snprintf(num[col], sizeof(num[0]),
					    "%llu", (unsigned long long)cu->id);
					cells[col] = num[col];
				} else if (strcmp(d->name, "grade") == 0)
					cells[col] = cu->grade;
				else if (strcmp(d->name, "owner") == 0)
					cells[col] = cu->owner;
			}
			for (col = ncols; col < k; col++)
				cells[col] = "";
			for (y = 0; y < cu->n_revenue; y++) {
				const Tier__RevenueYear *ry = cu->revenue[y];

				for (col = 0; col < nrevenue; col++) {
					if (revenue[col] != ry->year)
						continue;
					snprintf(num[ncols + col],
					    sizeof(num[0]), "%lld",
					    (long long)ry->amount);
					cells[ncols + col] = num[ncols + col];
				}
				for (col = 0; col < nplan; col++) {
					size_t at = ncols + nrevenue + col;

					if (plan[col] != ry->year ||
					    ry->plan == 0)
						continue;
					snprintf(num[at], sizeof(num[0]),
					    "%lld", (long long)ry->plan);
					cells[at] = num[at];
				}
			}
			output_csv_record(f, cells, k);
			rows++;
		}
	}
	r = export_close(&o, f, rows);
out:
	free(cells);
	free(num);
	export_pages_free(&pages);
	conn_free(conn);
	return r;
}

/* Reads every candidate of the cycle, page by page, into pages; with_lines
 * asks for their score lines too. */
static int
export_candidates(const struct cfg *c, struct conn **conn, uint64_t cycle,
    int with_lines, struct export_pages *pages)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CandidateListRequest body = TIER__CANDIDATE_LIST_REQUEST__INIT;
	Tier__Response *resp = NULL;
	int r;

	body.cycle_id = cycle;
	body.page_size = EXPORT_PAGE;
	body.with_lines = with_lines != 0;
	req.body_case = TIER__REQUEST__BODY_CANDIDATE_LIST;
	req.candidate_list = &body;
	for (;;) {
		if ((r = cmd_call(c, conn, &req, &resp)) != 0)
			return r;
		if (export_keep(pages, resp) != 0) {
			tier__response__free_unpacked(resp, NULL);
			return output_oom();
		}
		body.page_offset +=
		    (uint32_t)resp->candidate_list->n_candidates;
		if (resp->candidate_list->n_candidates == 0 ||
		    body.page_offset >= resp->candidate_list->total)
			return 0;
	}
}

int
cmd_candidate_export_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	struct export_pages pages = { 0 };
	struct export_opts o;
	struct conn *conn = NULL;
	size_t i, j, rows = 0;
	FILE *f;
	int r;

	if ((r = export_parse(self, argc, argv, c, 1, &o)) != 0)
		return r == EXIT_OK + 256 ? EXIT_OK : r;
	if ((r = export_candidates(c, &conn, o.cycle, 0, &pages)) != 0)
		goto out;
	if ((f = export_open(&o)) == NULL) {
		r = EXIT_USAGE;
		goto out;
	}
	csv_begin_excel(f);
	{
		const char *head[9];

		for (i = 0; candidate_cols[i].name != NULL; i++)
			head[i] = candidate_cols[i].name;
		output_csv_record(f, head, i);
	}
	for (i = 0; i < pages.n; i++) {
		const Tier__CandidateListResponse *l =
		    pages.resp[i]->candidate_list;

		for (j = 0; j < l->n_candidates; j++) {
			const Tier__Candidate *cd = l->candidates[j];
			char id[24], cid[24], score[32];
			const char *cells[9];

			snprintf(
			    id, sizeof(id), "%llu", (unsigned long long)cd->id);
			snprintf(cid, sizeof(cid), "%llu",
			    (unsigned long long)cd->customer_id);
			snprintf(score, sizeof(score), "%.2f", cd->score);
			cells[0] = id;
			cells[1] = cid;
			cells[2] = cd->customer;
			cells[3] = cd->segment;
			cells[4] = output_candidate_state(cd->state);
			cells[5] = cd->score_complete ? score : "";
			cells[6] = output_candidate_tier(cd->suggested_tier);
			cells[7] = output_candidate_tier(cd->tier);
			cells[8] = cd->owner;
			output_csv_record(f, cells, 9);
			rows++;
		}
	}
	r = export_close(&o, f, rows);
out:
	export_pages_free(&pages);
	conn_free(conn);
	return r;
}

int
cmd_score_export_main(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CriteriaGetRequest cg = TIER__CRITERIA_GET_REQUEST__INIT;
	Tier__CandidateGetRequest get = TIER__CANDIDATE_GET_REQUEST__INIT;
	struct export_pages pages = { 0 };
	const Tier__CriteriaSet *set = NULL;
	Tier__Response *crit = NULL, *one = NULL;
	struct export_opts o;
	struct conn *conn = NULL;
	const char **cells = NULL;
	char(*num)[24] = NULL;
	size_t i, j, k, l, n, rows = 0;
	FILE *f = NULL;
	int r;

	if ((r = export_parse(self, argc, argv, c, 1, &o)) != 0)
		return r == EXIT_OK + 256 ? EXIT_OK : r;
	cg.cycle_id = o.cycle;
	req.body_case = TIER__REQUEST__BODY_CRITERIA_GET;
	req.criteria_get = &cg;
	if ((r = cmd_call(c, &conn, &req, &crit)) != 0)
		goto out;
	for (i = 0; i < crit->criteria_get->n_sets; i++) {
		if (set == NULL || crit->criteria_get->sets[i]->in_force)
			set = crit->criteria_get->sets[i];
	}
	n = 3 + (set != NULL ? set->n_criteria : 0);
	if ((r = export_candidates(c, &conn, o.cycle, 1, &pages)) != 0)
		goto out;
	cells = calloc(n, sizeof(*cells));
	num = calloc(n, sizeof(*num));
	if (cells == NULL || num == NULL) {
		r = output_oom();
		goto out;
	}
	if ((f = export_open(&o)) == NULL) {
		r = EXIT_USAGE;
		goto out;
	}
	csv_begin_excel(f);
	for (i = 0; i < 3; i++)
		cells[i] = score_cols[i].name;
	for (i = 3; i < n; i++)
		cells[i] = set->criteria[i - 3]->name;
	output_csv_record(f, cells, n);
	for (i = 0; i < pages.n; i++) {
		const Tier__CandidateListResponse *lr =
		    pages.resp[i]->candidate_list;

		for (j = 0; j < lr->n_candidates; j++) {
			const Tier__Candidate *cd = lr->candidates[j];

			/* A server that ignores with_lines sends none: ask
			 * for the candidate itself. */
			if (cd->n_lines == 0 && n > 3) {
				get.candidate_id = cd->id;
				req = (Tier__Request)TIER__REQUEST__INIT;
				req.body_case =
				    TIER__REQUEST__BODY_CANDIDATE_GET;
				req.candidate_get = &get;
				if ((r = cmd_call(c, &conn, &req, &one)) != 0)
					goto out;
				cd = one->candidate_get->candidate;
			}
			snprintf(num[0], sizeof(num[0]), "%llu",
			    (unsigned long long)cd->id);
			cells[0] = num[0];
			cells[1] = cd->customer;
			cells[2] = cd->segment;
			for (k = 3; k < n; k++) {
				cells[k] = "";
				for (l = 0; l < cd->n_lines; l++) {
					const Tier__ScoreLine *sl =
					    cd->lines[l];

					if (!sl->scored ||
					    strcmp(sl->criterion,
						set->criteria[k - 3]->name) !=
						0)
						continue;
					snprintf(num[k], sizeof(num[0]), "%u",
					    sl->value);
					cells[k] = num[k];
				}
			}
			output_csv_record(f, cells, n);
			rows++;
			if (one != NULL)
				tier__response__free_unpacked(one, NULL);
			one = NULL;
		}
	}
	r = export_close(&o, f, rows);
	f = NULL;
out:
	if (f != NULL && f != stdout)
		fclose(f);
	if (one != NULL)
		tier__response__free_unpacked(one, NULL);
	if (crit != NULL)
		tier__response__free_unpacked(crit, NULL);
	free(cells);
	free(num);
	export_pages_free(&pages);
	conn_free(conn);
	return r;
}
