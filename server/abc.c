/*
 * ABC analysis of customer revenue: the ordering and the class rule, apart
 * from the store and the wire so that the rule can be tested on its own.
 */
#include "tierd.h"

#include <stdlib.h>
#include <string.h>

/* Largest revenue first, then name, then id: a total order. */
static int
abc_cmp(const void *pa, const void *pb)
{
	const struct abc_item *a = pa, *b = pb;
	int c;

	if (a->revenue != b->revenue)
		return a->revenue > b->revenue ? -1 : 1;
	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	return (a->id > b->id) - (a->id < b->id);
}

int
abc_classify(struct abc_item *items, size_t n, uint32_t a, uint32_t b)
{
	long double total = 0, before = 0;
	size_t i;

	if (a == 0 || a > 100 || b > 100 || a + b > 100)
		return ERR_INVALID_ARG;
	for (i = 0; i < n; i++) {
		if (items[i].revenue < 0)
			return ERR_INVALID_ARG;
		total += (long double)items[i].revenue;
	}
	if (n > 1)
		qsort(items, n, sizeof(*items), abc_cmp);
	for (i = 0; i < n; i++) {
		struct abc_item *it = &items[i];

		if (i > 0 && it->revenue == items[i - 1].revenue) {
			/* A tie: the rank and class of the first of it. */
			it->rank = items[i - 1].rank;
			it->abc_class = items[i - 1].abc_class;
		} else {
			it->rank = (uint32_t)(i + 1);
			/* Compared as before * 100 < a * total, exactly. */
			if (it->revenue == 0 || total == 0)
				it->abc_class = 'C';
			else if (before * 100 < (long double)a * total)
				it->abc_class = 'A';
			else if (before * 100 < (long double)(a + b) * total)
				it->abc_class = 'B';
			else
				it->abc_class = 'C';
		}
		before += (long double)it->revenue;
		it->share =
		    total > 0 ? (double)((long double)it->revenue * 100 / total)
			      : 0;
		it->cumulative = total > 0 ? (double)(before * 100 / total) : 0;
	}
	return 0;
}
