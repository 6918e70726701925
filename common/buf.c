/*
 * Growable byte buffers with wipe-on-release (see buf.h).
 */
#include "buf.h"
#include "err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int
buf_reserve(struct buf *b, size_t extra)
{
	size_t want, cap;
	uint8_t *p;

	if (extra > SIZE_MAX - b->len)
		return ERR_ALLOC;
	want = b->len + extra;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	/* Not realloc: the old block must be wiped before it is released. */
	if ((p = malloc(cap)) == NULL)
		return ERR_ALLOC;
	if (b->len > 0)
		memcpy(p, b->data, b->len);
	if (b->data != NULL) {
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *data, size_t len)
{
	int r;

	if (len == 0)
		return 0;
	if ((r = buf_reserve(b, len)) != 0)
		return r;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	sodium_memzero(b->data + b->len, n);
}

void
buf_reset(struct buf *b)
{
	if (b->data != NULL)
		sodium_memzero(b->data, b->len);
	b->len = 0;
}

void
buf_free(struct buf *b)
{
	if (b->data != NULL) {
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = b->cap = 0;
}
