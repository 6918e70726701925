/*
 * A growable byte buffer. Memory is wiped before it is released, because the
 * bytes passing through tier's buffers include plaintext of encrypted traffic.
 */
#ifndef TIER_BUF_H
#define TIER_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data; /* heap memory, cap bytes; NULL when cap == 0 */
	size_t len;    /* bytes in use */
	size_t cap;    /* bytes allocated */
};

#define BUF_INIT                                                               \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

/* Makes room for extra more bytes. Returns 0 or ERR_ALLOC. */
int buf_reserve(struct buf *b, size_t extra);

/* Appends len bytes. Returns 0 or ERR_ALLOC. */
int buf_append(struct buf *b, const void *data, size_t len);

/* Drops the first n bytes (n <= len), keeping the rest. */
void buf_consume(struct buf *b, size_t n);

/* Wipes the contents and sets len to 0, keeping the allocation. */
void buf_reset(struct buf *b);

/* Wipes and releases the memory; the buffer is then empty and reusable. */
void buf_free(struct buf *b);

#endif
