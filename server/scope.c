/*
 * Scopes: which part of the organisation a user sees. A scope expression
 * ("all", "bg:NAME", "bu:NAME", "segments:A,B") is resolved against the
 * units into sorted id sets that the handlers test records against.
 */
#include "tierd.h"

#include <stdlib.h>
#include <string.h>

/* A growable sorted set of ids. */
struct scope_ids {
	int64_t *ids;
	size_t n, cap;
};

static int
scope_ids_add(struct scope_ids *set, int64_t id)
{
	int64_t *p;
	size_t i;

	for (i = 0; i < set->n; i++) {
		if (set->ids[i] == id)
			return 0;
	}
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 8;
		if ((p = reallocarray(set->ids, set->cap, sizeof(*p))) == NULL)
			return ERR_ALLOC;
		set->ids = p;
	}
	set->ids[set->n++] = id;
	return 0;
}

static int
scope_id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
scope_ids_sort(struct scope_ids *set)
{
	/* qsort may not be given NULL, even for no elements. */
	if (set->n > 1)
		qsort(set->ids, set->n, sizeof(*set->ids), scope_id_cmp);
}

static int
scope_has(const int64_t *ids, size_t n, int64_t id)
{
	return ids != NULL &&
	       bsearch(&id, ids, n, sizeof(*ids), scope_id_cmp) != NULL;
}

/* The unit named name of kind, or NULL. */
static const struct store_unit *
scope_find(const struct store_unit *units, size_t n, Tier__UnitKind kind,
    const char *name, size_t name_len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (units[i].kind == kind &&
		    strlen(units[i].name) == name_len &&
		    memcmp(units[i].name, name, name_len) == 0)
			return &units[i];
	}
	return NULL;
}

/* Adds a whole BU: itself and all its segments. */
static int
scope_add_bu(struct scope_ids *segs, struct scope_ids *bus,
    struct scope_ids *whole, const struct store_unit *units, size_t n,
    int64_t bu)
{
	size_t i;
	int r;

	if ((r = scope_ids_add(bus, bu)) != 0 ||
	    (r = scope_ids_add(whole, bu)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if (units[i].kind == TIER__UNIT_KIND__UNIT_KIND_SEGMENT &&
		    units[i].parent_id == bu &&
		    (r = scope_ids_add(segs, units[i].id)) != 0)
			return r;
	}
	return 0;
}

int
scope_resolve(const char *expr, const struct store_unit *units, size_t n,
    struct scope *out)
{
	struct scope_ids segs = { 0 }, bus = { 0 }, whole = { 0 };
	const struct store_unit *u;
	const char *p, *end;
	size_t i;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (strcmp(expr, "all") == 0) {
		out->all = 1;
		return 0;
	}
	if (strncmp(expr, "bg:", 3) == 0) {
		u = scope_find(units, n, TIER__UNIT_KIND__UNIT_KIND_BG,
		    expr + 3, strlen(expr + 3));
		if (u != NULL) {
			out->bg = u->id;
			for (i = 0; i < n && r == 0; i++) {
				if (units[i].kind ==
					TIER__UNIT_KIND__UNIT_KIND_BU &&
				    units[i].parent_id == u->id)
					r = scope_add_bu(&segs, &bus, &whole,
					    units, n, units[i].id);
			}
		}
	} else if (strncmp(expr, "bu:", 3) == 0) {
		u = scope_find(units, n, TIER__UNIT_KIND__UNIT_KIND_BU,
		    expr + 3, strlen(expr + 3));
		if (u != NULL)
			r = scope_add_bu(&segs, &bus, &whole, units, n, u->id);
	} else if (strncmp(expr, "segments:", 9) == 0) {
		for (p = expr + 9; *p != '\0' && r == 0;
		     p = *end ? end + 1 : end) {
			if ((end = strchr(p, ',')) == NULL)
				end = p + strlen(p);
			u = scope_find(units, n,
			    TIER__UNIT_KIND__UNIT_KIND_SEGMENT, p,
			    (size_t)(end - p));
			if (u == NULL)
				continue;
			if ((r = scope_ids_add(&segs, u->id)) == 0)
				r = scope_ids_add(&bus, u->parent_id);
		}
	}
	/* Anything else sees nothing: the server never stores such a scope. */
	if (r != 0) {
		free(segs.ids);
		free(bus.ids);
		free(whole.ids);
		return r;
	}
	scope_ids_sort(&segs);
	scope_ids_sort(&bus);
	scope_ids_sort(&whole);
	out->segments = segs.ids;
	out->nsegments = segs.n;
	out->bus = bus.ids;
	out->nbus = bus.n;
	out->whole_bus = whole.ids;
	out->nwhole_bus = whole.n;
	return 0;
}

void
scope_release(struct scope *sc)
{
	if (sc == NULL)
		return;
	free(sc->segments);
	free(sc->bus);
	free(sc->whole_bus);
	memset(sc, 0, sizeof(*sc));
}

int
scope_sees_segment(const struct scope *sc, int64_t segment_id)
{
	return sc->all || scope_has(sc->segments, sc->nsegments, segment_id);
}

int
scope_sees_bu(const struct scope *sc, int64_t bu_id)
{
	return sc->all || scope_has(sc->bus, sc->nbus, bu_id);
}

int
scope_covers_bu(const struct scope *sc, int64_t bu_id)
{
	return sc->all || scope_has(sc->whole_bus, sc->nwhole_bus, bu_id);
}
