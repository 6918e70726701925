/*
 * Direct JSON writing (see tierd.h). Strings are escaped and reals printed
 * the way jansson 2.14 dumps them with JSON_ENSURE_ASCII.
 */
#include "tierd.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <utf8proc.h>

void
jsonw_init(struct jsonw *w, struct buf *out)
{
	w->out = out;
	w->start = out->len;
	w->err = 0;
}

static void
jsonw_put(struct jsonw *w, const void *p, size_t n)
{
	if (w->err == 0)
		w->err = buf_append(w->out, p, n);
}

/* The two-character escapes JSON has; other controls are \u escapes. */
static const char *const jsonw_short[0x80] = { ['"'] = "\\\"",
	['\\'] = "\\\\",
	['\b'] = "\\b",
	['\f'] = "\\f",
	['\n'] = "\\n",
	['\r'] = "\\r",
	['\t'] = "\\t" };

/* s as a JSON string: ASCII only, code points past it as \u escapes. */
static void
jsonw_quote(struct jsonw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run;
	char esc[16];
	utf8proc_int32_t cp;
	utf8proc_ssize_t len;
	size_t n;

	jsonw_put(w, "\"", 1);
	while (*p != '\0' && w->err == 0) {
		for (run = p;
		     *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\'; p++)
			;
		jsonw_put(w, run, (size_t)(p - run));
		if (*p == '\0')
			break;
		/* Refuses overlong forms, surrogates and what is past
		 * U+10FFFF, as jansson does. */
		if ((len = utf8proc_iterate(p, -1, &cp)) < 0) {
			w->err = ERR_INVALID_ARG;
			return;
		}
		p += len;
		if (cp < 0x80 && jsonw_short[cp] != NULL) {
			jsonw_put(w, jsonw_short[cp], 2);
			continue;
		}
		if (cp < 0x10000)
			n = (size_t)snprintf(
			    esc, sizeof(esc), "\\u%04X", (unsigned)cp);
		else {
			cp -= 0x10000;
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04X\\u%04X",
			    (unsigned)(0xd800 | (cp >> 10)),
			    (unsigned)(0xdc00 | (cp & 0x3ff)));
		}
		jsonw_put(w, esc, n);
	}
	jsonw_put(w, "\"", 1);
}

/* The separator before a value, then its key when it has one. */
static void
jsonw_key(struct jsonw *w, const char *key)
{
	char last;

	if (w->err != 0)
		return;
	if (w->out->len > w->start) {
		last = (char)w->out->data[w->out->len - 1];
		if (last != '{' && last != '[')
			jsonw_put(w, ",", 1);
	}
	if (key != NULL) {
		jsonw_quote(w, key);
		jsonw_put(w, ":", 1);
	}
}

void
jsonw_object(struct jsonw *w, const char *key)
{
	jsonw_key(w, key);
	jsonw_put(w, "{", 1);
}

void
jsonw_array(struct jsonw *w, const char *key)
{
	jsonw_key(w, key);
	jsonw_put(w, "[", 1);
}

void
jsonw_end_object(struct jsonw *w)
{
	jsonw_put(w, "}", 1);
}

void
jsonw_end_array(struct jsonw *w)
{
	jsonw_put(w, "]", 1);
}

void
jsonw_int(struct jsonw *w, const char *key, int64_t v)
{
	/* Digits from the end, not snprintf: a form has a dozen integers. */
	char s[24], *p = s + sizeof(s);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	jsonw_key(w, key);
	jsonw_put(w, p, (size_t)(s + sizeof(s) - p));
}

/*
 * As jansson prints a real: 17 significant digits, ".0" when that reads as
 * an integer, and an exponent without '+' or leading zeros.
 */
void
jsonw_real(struct jsonw *w, const char *key, double v)
{
	char s[40], *e, *from;
	size_t n;

	jsonw_key(w, key);
	if (!isfinite(v)) {
		if (w->err == 0)
			w->err = ERR_INVALID_ARG;
		return;
	}
	n = (size_t)snprintf(s, sizeof(s), "%.17g", v);
	if (strchr(s, '.') == NULL && strchr(s, 'e') == NULL) {
		memcpy(s + n, ".0", 3);
		n += 2;
	}
	if ((e = strchr(s, 'e')) != NULL) {
		e++;
		from = e + 1;
		if (*e == '-')
			e++;
		while (*from == '0')
			from++;
		memmove(e, from, (size_t)(s + n + 1 - from));
		n -= (size_t)(from - e);
	}
	jsonw_put(w, s, n);
}

void
jsonw_bool(struct jsonw *w, const char *key, int v)
{
	jsonw_key(w, key);
	if (v)
		jsonw_put(w, "true", 4);
	else
		jsonw_put(w, "false", 5);
}

void
jsonw_str(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_quote(w, s != NULL ? s : "");
}

int
jsonw_finish(struct jsonw *w)
{
	if (w->err == 0 && (w->err = buf_reserve(w->out, 1)) == 0)
		w->out->data[w->out->len] = '\0';
	return w->err;
}
