/*
 * CSV files as people exchange them with spreadsheets: which encoding a file
 * is in (UTF-8 with or without BOM, or GB18030 as Chinese Excel saves it),
 * conversion to UTF-8, reading records with their file line numbers
 * (libcsv), and writing what Excel opens as UTF-8 (BOM, CRLF, RFC 4180).
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <utf8proc.h>

#include "err.h"
#include "tier.h"

static const char csv_bom[] = "\xef\xbb\xbf";

/*
 * The length of the UTF-8 sequence at p (at most len bytes), or 0 when it
 * is not one: utf8proc refuses overlong forms, surrogates and values above
 * U+10FFFF; NUL is refused too, as no text file holds it.
 */
static size_t
csv_utf8_seq(const unsigned char *p, size_t len)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n = utf8proc_iterate(p, (utf8proc_ssize_t)len, &cp);

	return n > 0 && cp != 0 ? (size_t)n : 0;
}

size_t
csv_utf8_invalid(const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t off = 0, n;

	while (off < len) {
		if ((n = csv_utf8_seq(p + off, len - off)) == 0)
			return off;
		off += n;
	}
	return SIZE_MAX;
}

int
csv_to_utf8(const char *data, size_t len, const char *from, char **out,
    size_t *outlen, size_t *bad)
{
	iconv_t cd;
	char *in = (char *)data, *buf, *w;
	size_t left = len, cap = len * 2 + 16, room;
	int r = 0;

	*bad = SIZE_MAX;
	if ((cd = iconv_open("UTF-8", from)) == (iconv_t)-1)
		return ERR_SYSTEM;
	if ((buf = malloc(cap + 1)) == NULL) {
		iconv_close(cd);
		return ERR_ALLOC;
	}
	w = buf;
	room = cap;
	while (left > 0) {
		if (iconv(cd, &in, &left, &w, &room) != (size_t)-1)
			continue;
		if (errno == E2BIG) {
			size_t used = (size_t)(w - buf);
			char *nb;

			cap *= 2;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				r = ERR_ALLOC;
				break;
			}
			buf = nb;
			w = buf + used;
			room = cap - used;
			continue;
		}
		/* EILSEQ, or EINVAL for a sequence cut at the end. */
		*bad = (size_t)(in - data);
		r = ERR_INVALID_ARG;
		break;
	}
	/* Text in from's encoding may still hold NUL, which UTF-8 text may
	 * not. */
	if (r == 0 && memchr(buf, '\0', (size_t)(w - buf)) != NULL) {
		*bad = (size_t)((char *)memchr(data, '\0', len) - data);
		r = ERR_INVALID_ARG;
	}
	iconv_close(cd);
	if (r != 0) {
		free(buf);
		return r;
	}
	*w = '\0';
	*outlen = (size_t)(w - buf);
	*out = buf;
	return 0;
}

/* The 1-based line of the byte at off. */
static size_t
csv_line_at(const char *data, size_t off)
{
	size_t line = 1, i;

	for (i = 0; i < off; i++)
		line += data[i] == '\n';
	return line;
}

void
csv_detect(const char *data, size_t len, struct csv_detection *out)
{
	char *conv = NULL;
	size_t n, bad;

	memset(out, 0, sizeof(*out));
	out->bom = len >= 3 && memcmp(data, csv_bom, 3) == 0;
	out->bad_offset = csv_utf8_invalid(data, len);
	if (out->bad_offset == SIZE_MAX) {
		out->encoding = CSV_ENCODING_UTF8;
		return;
	}
	out->bad_line = csv_line_at(data, out->bad_offset);
	out->encoding = CSV_ENCODING_UNKNOWN;
	if (!out->bom &&
	    csv_to_utf8(data, len, "GB18030", &conv, &n, &bad) == 0)
		out->encoding = CSV_ENCODING_GB18030;
	free(conv);
}

/* The reader ---------------------------------------------------------------*/

/* What the libcsv callbacks build. */
struct csv_reader {
	struct csv_rows *rows;
	struct csv_record cur; /* the record being read */
	size_t cap;            /* cells allocated in cur */
	size_t line;           /* the line being fed */
	size_t ended;          /* the line the last record ended on */
	int failed;            /* out of memory */
};

static void
csv_cell_cb(void *s, size_t len, void *arg)
{
	struct csv_reader *rd = arg;
	const char *text = s != NULL ? s : "";
	char **cells, *cell;
	size_t i, nl = 0;

	if (rd->failed)
		return;
	if (rd->cur.n == 0) {
		/* The record starts as many lines up as its first cell
		 * spans. */
		for (i = 0; i < len; i++)
			nl += text[i] == '\n';
		rd->cur.line = rd->line - nl;
	}
	if (rd->cur.n == rd->cap) {
		size_t cap = rd->cap ? rd->cap * 2 : 8;

		if ((cells = reallocarray(
			 rd->cur.cells, cap, sizeof(*cells))) == NULL) {
			rd->failed = 1;
			return;
		}
		rd->cur.cells = cells;
		rd->cap = cap;
	}
	if ((cell = malloc(len + 1)) == NULL) {
		rd->failed = 1;
		return;
	}
	memcpy(cell, text, len);
	cell[len] = '\0';
	rd->cur.cells[rd->cur.n++] = cell;
}

static void
csv_record_cb(int c, void *arg)
{
	struct csv_reader *rd = arg;
	struct csv_rows *rows = rd->rows;
	struct csv_record *r;

	(void)c;
	if (rd->failed)
		return;
	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? rows->cap * 2 : 64;

		if ((r = reallocarray(rows->rec, cap, sizeof(*r))) == NULL) {
			rd->failed = 1;
			return;
		}
		rows->rec = r;
		rows->cap = cap;
	}
	rows->rec[rows->n++] = rd->cur;
	rd->ended = rd->line;
	memset(&rd->cur, 0, sizeof(rd->cur));
	rd->cap = 0;
}

int
csv_read(const char *data, size_t len, struct csv_rows *out, char *why,
    size_t why_len)
{
	struct csv_parser p;
	struct csv_reader rd;
	const char *nl, *end = data + len;
	size_t piece, i;
	int r = 0;

	memset(out, 0, sizeof(*out));
	memset(&rd, 0, sizeof(rd));
	rd.rows = out;
	if (len >= 3 && memcmp(data, csv_bom, 3) == 0)
		data += 3;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return ERR_ALLOC;
	/* Fed a line at a time, so the callbacks know the line they are on. */
	while (data < end && r == 0) {
		nl = memchr(data, '\n', (size_t)(end - data));
		piece =
		    nl != NULL ? (size_t)(nl - data) + 1 : (size_t)(end - data);
		rd.line++;
		if (csv_parse(&p, data, piece, csv_cell_cb, csv_record_cb,
			&rd) != piece) {
			r = csv_error(&p) == CSV_EPARSE ? ERR_INVALID_ARG
							: ERR_ALLOC;
			if (r == ERR_INVALID_ARG)
				snprintf(why, why_len,
				    "line %zu: a quote inside a field that "
				    "is not quoted, or text after a closing "
				    "quote; quote the field and double the "
				    "quotes in it",
				    rd.line);
		}
		data += piece;
	}
	if (r == 0 && csv_fini(&p, csv_cell_cb, csv_record_cb, &rd) != 0) {
		r = ERR_INVALID_ARG;
		/* The open field starts after the last whole record. */
		snprintf(why, why_len,
		    "line %zu: a quoted field is never closed (the file ends "
		    "inside it); close its quote",
		    rd.ended + 1);
	}
	if (r == 0 && rd.failed)
		r = ERR_ALLOC;
	csv_free(&p);
	for (i = 0; i < rd.cur.n; i++)
		free(rd.cur.cells[i]);
	free(rd.cur.cells);
	if (r != 0)
		csv_rows_free(out);
	return r;
}

void
csv_rows_free(struct csv_rows *rows)
{
	size_t i, j;

	if (rows == NULL)
		return;
	for (i = 0; i < rows->n; i++) {
		for (j = 0; j < rows->rec[i].n; j++)
			free(rows->rec[i].cells[j]);
		free(rows->rec[i].cells);
	}
	free(rows->rec);
	memset(rows, 0, sizeof(*rows));
}

void
csv_begin_excel(FILE *f)
{
	fputs(csv_bom, f);
}
