/*
 * abc: the ABC analysis of the revenue of the customers a user sees, over a
 * year or a run of years, with the thresholds of the request or the server's
 * [policy] defaults. The rule itself is abc.c's.
 */
#include "tierd.h"

#include <stdlib.h>
#include <string.h>

#define ABC_YEAR_MIN 2000
#define ABC_YEAR_MAX 2999

/* The customers gathered for the analysis. */
struct abc_walk {
	struct cmd_ctx *ctx;
	struct abc_item *items; /* malloc'd; tag is the BU id */
	size_t n, cap;
	int r; /* the first failure, if any */
};

static int
abc_walk_add(
    int64_t id, int64_t bu_id, const char *name, int64_t revenue, void *arg)
{
	struct abc_walk *w = arg;
	struct abc_item *items;
	size_t cap;

	if (!scope_sees_bu(w->ctx->scope, bu_id))
		return 0;
	if (w->n == w->cap) {
		cap = w->cap ? w->cap * 2 : 64;
		if ((items = reallocarray(w->items, cap, sizeof(*items))) ==
		    NULL) {
			w->r = ERR_ALLOC;
			return 1;
		}
		w->items = items;
		w->cap = cap;
	}
	memset(&w->items[w->n], 0, sizeof(w->items[w->n]));
	w->items[w->n].id = id;
	w->items[w->n].tag = bu_id;
	w->items[w->n].revenue = revenue < 0 ? 0 : revenue;
	if ((w->items[w->n].name = arena_strdup(w->ctx->arena, name)) == NULL) {
		w->r = ERR_ALLOC;
		return 1;
	}
	w->n++;
	return 0;
}

/* The name of BU id in the arena; *last caches the previous lookup. */
static char *
abc_bu_name(struct cmd_ctx *ctx, int64_t id, struct store_unit *last)
{
	if (last->id != id && store_unit_get(ctx->srv->store, id, last) != 0) {
		last->id = 0;
		return NULL;
	}
	return arena_strdup(ctx->arena, last->name);
}

static int
cmd_abc(struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__AbcRequest *a = req->abc;
	uint32_t to_year = a->to_year ? a->to_year : a->year;
	uint32_t pa = a->a ? a->a : (uint32_t)ctx->srv->cfg.abc_a;
	uint32_t pb = a->b ? a->b : (uint32_t)ctx->srv->cfg.abc_b;
	struct abc_walk w;
	struct store_unit bu;
	Tier__AbcResponse *out;
	size_t i;
	int r;

	memset(&w, 0, sizeof(w));
	memset(&bu, 0, sizeof(bu));
	w.ctx = ctx;
	if (a->year < ABC_YEAR_MIN || a->year > ABC_YEAR_MAX)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "abc.year",
		    "give the year with --year YYYY (2000-2999)",
		    "%u is not a year to analyse", a->year);
	if (to_year < a->year || to_year > ABC_YEAR_MAX)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "abc.to_year",
		    "--to-year is the last year summed, from --year to 2999",
		    "years %u to %u are not a range", a->year, to_year);
	if (pa == 0 || pa > 100 || pb > 100 || pa + pb > 100)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    a->a || a->b ? "abc.a" : "",
		    "--a and --b are percentages with a from 1 and a + b at "
		    "most 100 (defaults in tierd.conf [policy])",
		    "thresholds A %u%% and B %u%% do not fit", pa, pb);
	if (a->bu[0] != '\0') {
		r = store_unit_by_name(
		    ctx->srv->store, TIER__UNIT_KIND__UNIT_KIND_BU, a->bu, &bu);
		if (r == 0 && !scope_sees_bu(ctx->scope, bu.id))
			r = ERR_NOT_FOUND;
		if (r == ERR_NOT_FOUND)
			return cmd_error(ctx, resp,
			    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND, "abc.bu",
			    "tier org list shows the units you can see",
			    "no BU \"%.64s\"", a->bu);
		if (r != 0)
			return r;
	}
	r = store_customer_abc(
	    ctx->srv->store, bu.id, a->year, to_year, abc_walk_add, &w);
	if (r < 0 || (r = w.r) != 0)
		goto out;
	if ((r = abc_classify(w.items, w.n, pa, pb)) != 0)
		goto out;
	r = ERR_ALLOC;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		goto out;
	tier__abc_response__init(out);
	out->a = pa;
	out->b = pb;
	out->year = a->year;
	out->to_year = to_year;
	if ((out->rows = arena_alloc(
		 ctx->arena, (w.n ? w.n : 1) * sizeof(*out->rows))) == NULL)
		goto out;
	for (i = 0; i < w.n; i++) {
		const struct abc_item *it = &w.items[i];
		Tier__AbcRow *row;
		char cls[2] = { it->abc_class, '\0' };

		if ((row = arena_alloc(ctx->arena, sizeof(*row))) == NULL)
			goto out;
		tier__abc_row__init(row);
		row->rank = it->rank;
		row->customer_id = (uint64_t)it->id;
		row->customer = (char *)it->name;
		row->revenue = it->revenue;
		row->share = (double)(int64_t)(it->share * 100 + 0.5) / 100;
		row->cumulative =
		    (double)(int64_t)(it->cumulative * 100 + 0.5) / 100;
		row->abc_class = arena_strdup(ctx->arena, cls);
		row->bu = abc_bu_name(ctx, it->tag, &bu);
		if (row->abc_class == NULL || row->bu == NULL)
			goto out;
		out->rows[i] = row;
		out->total += it->revenue;
	}
	out->n_rows = w.n;
	resp->abc = out;
	r = 0;
out:
	free(w.items);
	return r;
}

const struct cmd_entry cmd_abc_entry = {
	.name = "abc",
	.request = TIER__REQUEST__BODY_ABC,
	.response = TIER__RESPONSE__BODY_ABC,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_abc,
};
