/*
 * Bump allocation for one response (see tierd.h). Blocks are chained and freed
 * together; nothing is freed individually.
 *
 * Every request has an arena, and most need one block. Handing a 4 KiB block
 * back to malloc at the top of the heap makes it consolidate its fast bins, a
 * few percent of a point lookup; so freed blocks of the standard size are
 * kept, zeroed again, on a short per-thread list and reused first.
 */
#include "tierd.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 4096
#define ARENA_KEEP  32 /* freed standard blocks kept per thread */

struct arena_block {
	struct arena_block *next; /* older block */
	size_t used;              /* bytes handed out from data */
	size_t size;              /* bytes in data */
	max_align_t data[];       /* the memory, maximally aligned */
};

struct arena {
	struct arena_block *head; /* newest block, allocations come from it */
};

/* Freed standard blocks of this thread, all zero, chained through next. */
static _Thread_local struct arena_block *arena_kept;
static _Thread_local int arena_nkept;

/* A zeroed block of size bytes: a kept one when size is the standard. */
static struct arena_block *
arena_block_new(size_t size)
{
	struct arena_block *b;

	if (size == ARENA_BLOCK && (b = arena_kept) != NULL) {
		arena_kept = b->next;
		arena_nkept--;
		return b;
	}
	if ((b = calloc(1, sizeof(*b) + size)) != NULL)
		b->size = size;
	return b;
}

/* Keeps b for reuse, zeroed, or frees it. */
static void
arena_block_free(struct arena_block *b)
{
	if (b->size != ARENA_BLOCK || arena_nkept >= ARENA_KEEP) {
		free(b);
		return;
	}
	memset(b->data, 0, b->used);
	b->used = 0;
	b->next = arena_kept;
	arena_kept = b;
	arena_nkept++;
}

int
arena_new(struct arena **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return ERR_ALLOC;
	return 0;
}

void *
arena_alloc(struct arena *a, size_t len)
{
	const size_t align = sizeof(max_align_t);
	struct arena_block *b = a->head;
	size_t size;
	void *p;

	len = (len + align - 1) / align * align;
	if (len == 0)
		len = align;
	if (b == NULL || b->size - b->used < len) {
		size = len > ARENA_BLOCK ? len : ARENA_BLOCK;
		if ((b = arena_block_new(size)) == NULL)
			return NULL;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += len;
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if ((p = arena_alloc(a, n)) != NULL)
		memcpy(p, s, n);
	return p;
}

void
arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		arena_block_free(b);
	}
	free(a);
}
