/*
 * Bump allocation for one response (see tierd.h). Blocks are chained and freed
 * together; nothing is freed individually.
 */
#include "tierd.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 4096

struct arena_block {
	struct arena_block *next; /* older block */
	size_t used;              /* bytes handed out from data */
	size_t size;              /* bytes in data */
	max_align_t data[];       /* the memory, maximally aligned */
};

struct arena {
	struct arena_block *head; /* newest block, allocations come from it */
};

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
		if ((b = calloc(1, sizeof(*b) + size)) == NULL)
			return NULL;
		b->size = size;
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
		free(b);
	}
	free(a);
}
