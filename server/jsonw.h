/*
 * A JSON writer that appends straight to a buffer, for documents written on
 * every request of a hot path (a candidate's audit forms): no tree of
 * values is built and freed. Its output is the text jansson's json_dumps
 * prints with JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII for the
 * same value, provided the caller writes each object's keys in strcmp()
 * order, so documents written either way look and hash alike.
 *
 * Errors are sticky: once a call fails (no memory, text that is not UTF-8,
 * a number that is not finite) the later calls do nothing and jsonw_finish
 * returns the first error. Nesting is the caller's to balance.
 */
#ifndef TIER_JSONW_H
#define TIER_JSONW_H

#include <stdint.h>

#include "buf.h"

struct jsonw {
	struct buf *out; /* the document is appended here */
	size_t start;    /* out->len when the document began */
	int err;         /* 0, or the first error */
};

/* Starts a document at the end of out. */
void jsonw_init(struct jsonw *w, struct buf *out);

/*
 * Each value is a member named key of the enclosing object, or, with key
 * NULL, an element of the enclosing array or the whole document.
 */
void jsonw_object(struct jsonw *w, const char *key); /* opens '{' */
void jsonw_array(struct jsonw *w, const char *key);  /* opens '[' */
void jsonw_end_object(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);
void jsonw_int(struct jsonw *w, const char *key, int64_t v);
void jsonw_real(struct jsonw *w, const char *key, double v);
void jsonw_bool(struct jsonw *w, const char *key, int v);
/* s must be UTF-8; NULL is written as "". */
void jsonw_str(struct jsonw *w, const char *key, const char *s);

/*
 * Ends the document with a NUL byte (not counted in out->len), so that
 * out->data + start is a C string. Returns 0, ERR_ALLOC, or ERR_INVALID_ARG
 * for text that is not UTF-8 or a real that is not finite.
 */
int jsonw_finish(struct jsonw *w);

#endif
