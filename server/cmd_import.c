/*
 * import_chunk, import_commit: bulk imports of customers, candidates and
 * scores. Owns the rows an import stages in its connection and the one
 * transaction that applies them; every row goes through the handler of its
 * single-record request (customer_add, candidate_propose, candidate_act), so
 * an import obeys exactly the rules, scope checks and audit entries of those.
 */
#include "tierd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct cmd_entry cmd_customer_add_entry;
extern const struct cmd_entry cmd_candidate_propose_entry;
extern const struct cmd_entry cmd_candidate_act_entry;

#define BAD_REQUEST TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST

/* One import_chunk request as received, packed. */
struct import_blob {
	uint8_t *data; /* malloc'd */
	size_t len;
};

/* The rows of one import, as its chunks arrive. */
struct import_stage {
	char id[65];               /* the client's import_id */
	Tier__ImportKind kind;     /* what the rows are */
	uint64_t cycle_id;         /* CANDIDATE and SCORE imports */
	uint32_t rows;             /* rows staged */
	size_t bytes;              /* bytes staged */
	size_t *staged;            /* the server's total of those, or NULL */
	struct import_blob *blobs; /* the chunks, in order */
	size_t nblobs, cap;
};

void
import_stage_free(struct import_stage *st)
{
	size_t i;

	if (st == NULL)
		return;
	if (st->staged != NULL)
		*st->staged -= st->bytes;
	for (i = 0; i < st->nblobs; i++)
		free(st->blobs[i].data);
	free(st->blobs);
	free(st);
}

/* An import id is 1 to 64 printable ASCII characters. */
static int
import_id_valid(const char *id)
{
	size_t n;

	for (n = 0; id[n] != '\0'; n++) {
		if (id[n] < 0x21 || id[n] > 0x7e || n == 64)
			return 0;
	}
	return n > 0;
}

/* The number of rows a chunk carries, or SIZE_MAX when it mixes kinds. */
static size_t
import_chunk_rows(const Tier__ImportChunkRequest *a)
{
	switch (a->kind) {
	case TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER:
		return a->n_candidates || a->n_scores ? SIZE_MAX
						      : a->n_customers;
	case TIER__IMPORT_KIND__IMPORT_KIND_CANDIDATE:
		return a->n_customers || a->n_scores ? SIZE_MAX
						     : a->n_candidates;
	case TIER__IMPORT_KIND__IMPORT_KIND_SCORE:
		return a->n_customers || a->n_candidates ? SIZE_MAX
							 : a->n_scores;
	default:
		return SIZE_MAX;
	}
}

static int
import_chunk_respond(
    struct cmd_ctx *ctx, Tier__Response *resp, const char *id, uint32_t staged)
{
	Tier__ImportChunkResponse *out;

	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__import_chunk_response__init(out);
	if ((out->import_id = arena_strdup(ctx->arena, id)) == NULL)
		return ERR_ALLOC;
	out->staged = staged;
	resp->import_chunk = out;
	return 0;
}

static int
cmd_import_chunk(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__ImportChunkRequest *a = req->import_chunk;
	struct import_stage *st = session_import(ctx->session);
	struct import_blob *b;
	struct buf packed = BUF_INIT;
	size_t n;
	int r;

	if (!import_id_valid(a->import_id))
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "import_chunk.import_id",
		    "choose a fresh id of 1 to 64 printable ASCII characters "
		    "for each import",
		    "an import needs an id");
	if ((n = import_chunk_rows(a)) == SIZE_MAX)
		return cmd_error(ctx, resp, BAD_REQUEST, "import_chunk.kind",
		    "send customers, candidates or scores, as kind says",
		    "the chunk's rows do not match its kind");
	if (a->n_reasons != 0 && a->n_reasons != n)
		return cmd_error(ctx, resp, BAD_REQUEST, "import_chunk.reasons",
		    "send a reason for every row, or none",
		    "%zu reasons for %zu rows", a->n_reasons, n);
	if (a->n_lines != n)
		return cmd_error(ctx, resp, BAD_REQUEST, "import_chunk.lines",
		    "send one file line number per row",
		    "%zu line numbers for %zu rows", a->n_lines, n);
	if (st == NULL || strcmp(st->id, a->import_id) != 0) {
		if (a->first_row != 0)
			return cmd_error(ctx, resp, BAD_REQUEST,
			    "import_chunk.first_row",
			    "start the import again from its first row",
			    "import \"%s\" is not staged on this connection",
			    a->import_id);
		/* A new import replaces an uncommitted one. */
		import_stage_free(st);
		session_set_import(ctx->session, NULL);
		if ((st = calloc(1, sizeof(*st))) == NULL)
			return ERR_ALLOC;
		snprintf(st->id, sizeof(st->id), "%s", a->import_id);
		st->kind = a->kind;
		st->cycle_id = a->cycle_id;
		st->staged = &ctx->srv->import_staged;
		session_set_import(ctx->session, st);
	}
	if (st->kind != a->kind || st->cycle_id != a->cycle_id)
		return cmd_error(ctx, resp, BAD_REQUEST, "import_chunk.kind",
		    "send every chunk of an import with the same kind and "
		    "cycle",
		    "import \"%s\" changed its kind or cycle", st->id);
	if (a->first_row < st->rows && a->first_row + n <= st->rows)
		return import_chunk_respond(ctx, resp, st->id, st->rows);
	if (a->first_row != st->rows)
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "import_chunk.first_row",
		    "send the chunks in order, without gaps",
		    "import \"%s\" has %u rows; a chunk from row %u does not "
		    "follow",
		    st->id, st->rows, a->first_row);
	if ((r = msg_pack(&a->base, &packed)) != 0)
		return r;
	if (st->rows + n > IMPORT_MAX_ROWS ||
	    st->bytes + packed.len > IMPORT_MAX_BYTES) {
		buf_free(&packed);
		import_stage_free(st);
		session_set_import(ctx->session, NULL);
		return cmd_error(ctx, resp, BAD_REQUEST, "import_chunk",
		    "split the file: one import holds at most 200000 rows "
		    "and 64 MiB",
		    "the import is too large");
	}
	/* All connections together: their stages are in memory until they
	 * commit. The stage stays, so that the chunk can come again. */
	if (ctx->srv->import_staged + packed.len >
	    (size_t)ctx->srv->cfg.import_memory) {
		buf_free(&packed);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_UNAVAILABLE, "import_chunk",
		    "send the chunk again once other imports have committed "
		    "(an administrator can raise server.import_memory)",
		    "staging this chunk would pass the server's limit of %zu "
		    "MiB for imports in memory",
		    (size_t)(ctx->srv->cfg.import_memory >> 20));
	}
	if (st->nblobs == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;

		if ((b = reallocarray(st->blobs, cap, sizeof(*b))) == NULL) {
			buf_free(&packed);
			return ERR_ALLOC;
		}
		st->blobs = b;
		st->cap = cap;
	}
	b = &st->blobs[st->nblobs++];
	b->data = packed.data;
	b->len = packed.len;
	st->rows += (uint32_t)n;
	st->bytes += packed.len;
	*st->staged += packed.len;
	return import_chunk_respond(ctx, resp, st->id, st->rows);
}

/* The commit ---------------------------------------------------------------*/

/* One row's place in the import. */
struct import_row {
	const Tier__ImportChunkRequest *chunk; /* holding it */
	size_t i;                              /* its index there */
	uint32_t line;                         /* file line */
	uint32_t dup_of;                       /* 1-based row it repeats */
	char *norm;                            /* customer name, normalised */
};

/* The state of one import_commit. */
struct import_run {
	struct cmd_ctx *ctx;
	const struct import_stage *st;
	Tier__ImportChunkRequest **chunks; /* unpacked, one per blob */
	struct import_row *rows;           /* st->rows of them */
	struct store_cycle cycle;          /* CANDIDATE, SCORE */
	struct store_unit bu;              /* the cycle's BU */
	Tier__ImportCommitResponse *out;
	Tier__ImportError **errors; /* IMPORT_MAX_ERRORS, in ctx's arena */
	struct arena *rows_arena;   /* the handlers' responses, freed every
				       IMPORT_ARENA_ROWS rows */
	uint32_t arena_rows;        /* rows since it was made */
};

#define IMPORT_ARENA_ROWS 64

/* Records the error of row (1-based) from a handler's response. */
static int
import_row_error(
    struct import_run *run, uint32_t row, uint32_t line, const Tier__Error *e)
{
	struct arena *a = run->ctx->arena;
	Tier__ImportError *w;

	run->out->error_count++;
	if (run->out->n_errors == IMPORT_MAX_ERRORS)
		return 0;
	if ((w = arena_alloc(a, sizeof(*w))) == NULL)
		return ERR_ALLOC;
	tier__import_error__init(w);
	w->row = row;
	w->line = line;
	w->code = e->code;
	w->field = arena_strdup(a, e->field ? e->field : "");
	w->message = arena_strdup(a, e->message ? e->message : "");
	w->hint = arena_strdup(a, e->hint ? e->hint : "");
	if (w->field == NULL || w->message == NULL || w->hint == NULL)
		return ERR_ALLOC;
	run->errors[run->out->n_errors++] = w;
	return 0;
}

/* An error of row made here rather than by a handler. */
static int import_row_fail(struct import_run *run, uint32_t row,
    Tier__ErrorCode code, const char *field, const char *hint, const char *fmt,
    ...) __attribute__((format(printf, 6, 7)));

static int
import_row_fail(struct import_run *run, uint32_t row, Tier__ErrorCode code,
    const char *field, const char *hint, const char *fmt, ...)
{
	Tier__Error e = TIER__ERROR__INIT;
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	e.code = code;
	e.field = (char *)field;
	e.hint = (char *)hint;
	e.message = text;
	return import_row_error(run, row, run->rows[row - 1].line, &e);
}

/*
 * Runs one single-record request for row through its handler, in an arena
 * of its own. A refusal becomes the row's error (*ok = 0); a failure of the
 * server (store, memory) is returned and ends the import.
 */
static int
import_call(struct import_run *run, uint32_t row, const struct cmd_entry *cmd,
    Tier__Request *req, int *ok, uint64_t *id)
{
	Tier__Response resp = TIER__RESPONSE__INIT;
	struct cmd_ctx rc = *run->ctx;
	int r;

	rc.notes = NULL; /* a row's line is written at once, as debug */
	*ok = 0;
	if (!(cmd->roles & CMD_ROLE(rc.user->role))) {
		Tier__Error e = TIER__ERROR__INIT;
		char text[128];

		snprintf(text, sizeof(text), "role %s may not %s",
		    msg_role_name(rc.user->role), cmd->name);
		e.code = TIER__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED;
		e.field = "";
		e.hint = "ask someone whose role allows it";
		e.message = text;
		return import_row_error(run, row, run->rows[row - 1].line, &e);
	}
	/* The responses are dropped; an arena per few rows keeps the memory
	 * small without a malloc per row. */
	if (run->rows_arena != NULL && ++run->arena_rows >= IMPORT_ARENA_ROWS) {
		arena_free(run->rows_arena);
		run->rows_arena = NULL;
	}
	if (run->rows_arena == NULL) {
		if ((r = arena_new(&run->rows_arena)) != 0)
			return r;
		run->arena_rows = 0;
	}
	rc.arena = run->rows_arena;
	req->body_case = cmd->request;
	r = cmd->handler(&rc, req, &resp);
	if (r == 0) {
		*ok = 1;
		if (id == NULL)
			;
		else if (cmd == &cmd_customer_add_entry)
			*id = resp.customer_add->customer->id;
		else if (cmd == &cmd_candidate_propose_entry)
			*id = resp.candidate_propose->candidate->id;
	} else if (r == ERR_INVALID_ARG && resp.error != NULL)
		r = import_row_error(
		    run, row, run->rows[row - 1].line, resp.error);
	return r;
}

/* Orders customer rows by BU, normalised name, then row. */
static int
import_cmp_norm(const void *pa, const void *pb)
{
	const struct import_row *a = *(const struct import_row *const *)pa;
	const struct import_row *b = *(const struct import_row *const *)pb;
	int c;

	c = strcmp(
	    a->chunk->customers[a->i]->bu, b->chunk->customers[b->i]->bu);
	if (c == 0)
		c = strcmp(a->norm, b->norm);
	if (c == 0)
		c = a < b ? -1 : a > b;
	return c;
}

/*
 * Marks customer rows that repeat an earlier row of the file (same BU and
 * normalised name): they are reported as such, not as clashes with a record
 * the import itself made.
 */
static int
import_mark_duplicates(struct import_run *run)
{
	struct import_row **by = NULL;
	uint32_t n = run->st->rows, i, first = 0;
	int r = ERR_ALLOC;

	if ((by = calloc(n ? n : 1, sizeof(*by))) == NULL)
		return ERR_ALLOC;
	for (i = 0; i < n; i++) {
		struct import_row *w = &run->rows[i];

		r = msg_norm_name(w->chunk->customers[w->i]->name, &w->norm);
		if (r == ERR_INVALID_ARG)
			w->norm = strdup(w->chunk->customers[w->i]->name);
		else if (r != 0)
			goto out;
		if (w->norm == NULL) {
			r = ERR_ALLOC;
			goto out;
		}
		by[i] = w;
	}
	qsort(by, n, sizeof(*by), import_cmp_norm);
	for (i = 1; i < n; i++) {
		if (strcmp(by[i]->chunk->customers[by[i]->i]->bu,
			by[first]->chunk->customers[by[first]->i]->bu) == 0 &&
		    strcmp(by[i]->norm, by[first]->norm) == 0 &&
		    by[i]->norm[0] != '\0')
			by[i]->dup_of = (uint32_t)(by[first] - run->rows) + 1;
		else
			first = i;
	}
	r = 0;
out:
	free(by);
	return r;
}

static int
import_customer(struct import_run *run, uint32_t row)
{
	const struct import_row *w = &run->rows[row - 1];
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CustomerAddRequest body = TIER__CUSTOMER_ADD_REQUEST__INIT;
	int ok, r;

	if (w->dup_of != 0)
		return import_row_fail(run, row,
		    TIER__ERROR_CODE__ERROR_CODE_ALREADY_EXISTS,
		    "customer_add.customer.name", "keep one row per customer",
		    "\"%.64s\" repeats the customer of row %u (line %u)",
		    w->chunk->customers[w->i]->name, w->dup_of,
		    run->rows[w->dup_of - 1].line);
	body.customer = w->chunk->customers[w->i];
	if (w->i < w->chunk->n_reasons)
		body.reason = w->chunk->reasons[w->i];
	req.customer_add = &body;
	if ((r = import_call(
		 run, row, &cmd_customer_add_entry, &req, &ok, NULL)) != 0)
		return r;
	run->out->customers_created += (uint32_t)ok;
	return 0;
}

/* The id of the customer of the cycle's BU named name, or 0. */
static int
import_customer_by_name(struct import_run *run, const char *name, uint64_t *id)
{
	struct store_customer cu;
	struct arena *a = NULL;
	char *norm = NULL;
	int r;

	*id = 0;
	if ((r = msg_norm_name(name, &norm)) != 0)
		return r == ERR_INVALID_ARG ? 0 : r;
	if ((r = arena_new(&a)) != 0)
		goto out;
	r = store_customer_by_norm(
	    run->ctx->srv->store, a, run->cycle.bu_id, norm, &cu);
	if (r == 0)
		*id = (uint64_t)cu.id;
	else if (r == ERR_NOT_FOUND)
		r = 0;
out:
	arena_free(a);
	free(norm);
	return r;
}

static int
import_candidate(struct import_run *run, uint32_t row)
{
	const struct import_row *w = &run->rows[row - 1];
	const Tier__ImportCandidateRow *c = w->chunk->candidates[w->i];
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CustomerAddRequest add = TIER__CUSTOMER_ADD_REQUEST__INIT;
	Tier__CandidateProposeRequest body =
	    TIER__CANDIDATE_PROPOSE_REQUEST__INIT;
	Tier__Customer card = TIER__CUSTOMER__INIT;
	uint64_t customer = c->customer_id;
	int ok, r;

	if (customer == 0) {
		if ((r = import_customer_by_name(
			 run, c->customer, &customer)) != 0)
			return r;
	}
	if (customer == 0 && c->customer_id == 0) {
		/* A new company: added to the cycle's BU first. */
		card.bu = run->bu.name;
		card.name = c->customer;
		add.customer = &card;
		req.customer_add = &add;
		if ((r = import_call(run, row, &cmd_customer_add_entry, &req,
			 &ok, &customer)) != 0 ||
		    !ok)
			return r;
		run->out->customers_created++;
	}
	body.cycle_id = run->st->cycle_id;
	body.segment = c->segment;
	body.customer_id = customer;
	req.candidate_propose = &body;
	if ((r = import_call(
		 run, row, &cmd_candidate_propose_entry, &req, &ok, NULL)) != 0)
		return r;
	run->out->candidates_created += (uint32_t)ok;
	return 0;
}

static int
import_score(struct import_run *run, uint32_t row)
{
	const struct import_row *w = &run->rows[row - 1];
	const Tier__ImportScoreRow *s = w->chunk->scores[w->i];
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CandidateActRequest body = TIER__CANDIDATE_ACT_REQUEST__INIT;
	struct store_candidate c;
	struct arena *a = NULL;
	int ok, r;

	if ((r = arena_new(&a)) != 0)
		return r;
	r = s->candidate_id > INT64_MAX
		? ERR_NOT_FOUND
		: store_candidate_get(
		      run->ctx->srv->store, a, (int64_t)s->candidate_id, &c);
	if (r == 0 && (uint64_t)c.cycle_id != run->st->cycle_id)
		r = ERR_NOT_FOUND;
	if (r == ERR_NOT_FOUND) {
		/* The same answer whether it exists elsewhere or not. */
		r = import_row_fail(run, row,
		    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND,
		    "candidate_act.candidate_id",
		    "tier candidate list --cycle ID shows the candidates you "
		    "can see",
		    "no candidate %llu in cycle %llu",
		    (unsigned long long)s->candidate_id,
		    (unsigned long long)run->st->cycle_id);
		goto out;
	}
	if (r != 0)
		goto out;
	body.candidate_id = s->candidate_id;
	body.version = c.version; /* the scores apply to it as it is now */
	body.action = TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_SCORE;
	body.scores = s->scores;
	body.n_scores = s->n_scores;
	req.candidate_act = &body;
	if ((r = import_call(
		 run, row, &cmd_candidate_act_entry, &req, &ok, NULL)) != 0)
		goto out;
	run->out->candidates_scored += (uint32_t)ok;
out:
	arena_free(a);
	return r;
}

/* Unpacks the staged chunks and indexes their rows. */
static int
import_unpack(struct import_run *run)
{
	const struct import_stage *st = run->st;
	uint32_t row = 0;
	size_t i, j, n;

	run->chunks = calloc(st->nblobs ? st->nblobs : 1, sizeof(*run->chunks));
	run->rows = calloc(st->rows ? st->rows : 1, sizeof(*run->rows));
	if (run->chunks == NULL || run->rows == NULL)
		return ERR_ALLOC;
	for (i = 0; i < st->nblobs; i++) {
		run->chunks[i] = tier__import_chunk_request__unpack(
		    NULL, st->blobs[i].len, st->blobs[i].data);
		if (run->chunks[i] == NULL)
			return ERR_ALLOC;
		n = import_chunk_rows(run->chunks[i]);
		for (j = 0; j < n && row < st->rows; j++, row++) {
			run->rows[row].chunk = run->chunks[i];
			run->rows[row].i = j;
			run->rows[row].line = run->chunks[i]->lines[j];
		}
	}
	return row == st->rows ? 0 : ERR_INTERNAL;
}

static void
import_run_release(struct import_run *run)
{
	uint32_t i;

	arena_free(run->rows_arena);
	for (i = 0; run->rows != NULL && i < run->st->rows; i++)
		free(run->rows[i].norm);
	free(run->rows);
	for (i = 0; run->chunks != NULL && i < run->st->nblobs; i++)
		tier__import_chunk_request__free_unpacked(run->chunks[i], NULL);
	free(run->chunks);
}

/* Applies every row inside a savepoint of the request's transaction. */
static int
import_apply(struct import_run *run)
{
	struct store *store = run->ctx->srv->store;
	uint32_t row;
	int r = 0, quiet;

	if (run->st->kind == TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER &&
	    (r = import_mark_duplicates(run)) != 0)
		return r;
	if ((r = store_savepoint(store)) != 0)
		return r;
	/* Each row's handler logs it; the import logs one summary line. */
	quiet = log_info_as_debug(1);
	for (row = 1; r == 0 && row <= run->st->rows; row++) {
		switch (run->st->kind) {
		case TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER:
			r = import_customer(run, row);
			break;
		case TIER__IMPORT_KIND__IMPORT_KIND_CANDIDATE:
			r = import_candidate(run, row);
			break;
		default:
			r = import_score(run, row);
			break;
		}
	}
	log_info_as_debug(quiet);
	if (r != 0 || run->out->error_count != 0 || run->out->dry_run) {
		/* Nothing of it stays: a failed import is no import. */
		if (store_rollback_to(store) != 0 && r == 0)
			r = ERR_STORE;
		return r;
	}
	run->out->committed = 1;
	return store_release(store);
}

static const char *
import_kind_name(Tier__ImportKind k)
{
	switch (k) {
	case TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER:
		return "customer";
	case TIER__IMPORT_KIND__IMPORT_KIND_CANDIDATE:
		return "candidate";
	default:
		return "score";
	}
}

static int
cmd_import_commit(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__ImportCommitRequest *a = req->import_commit;
	struct import_stage *st = session_import(ctx->session);
	struct import_run run;
	int r;

	memset(&run, 0, sizeof(run));
	if (st == NULL || strcmp(st->id, a->import_id) != 0)
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "import_commit.import_id",
		    "send the rows with import_chunk on the same connection "
		    "first",
		    "no import \"%.64s\" is staged on this connection",
		    a->import_id);
	if (st->kind != a->kind || st->cycle_id != a->cycle_id ||
	    st->rows != a->rows) {
		r = cmd_error(ctx, resp, BAD_REQUEST, "import_commit.rows",
		    "send the whole file again under a new import id",
		    "import \"%s\" holds %u %s rows; the commit is for %u",
		    st->id, st->rows, import_kind_name(st->kind), a->rows);
		goto out;
	}
	run.ctx = ctx;
	run.st = st;
	r = ERR_ALLOC;
	if ((run.out = arena_alloc(ctx->arena, sizeof(*run.out))) == NULL ||
	    (run.errors = arena_alloc(
		 ctx->arena, IMPORT_MAX_ERRORS * sizeof(*run.errors))) == NULL)
		goto out;
	tier__import_commit_response__init(run.out);
	run.out->errors = run.errors;
	run.out->rows = st->rows;
	run.out->dry_run = a->dry_run;
	if ((run.out->import_id = arena_strdup(ctx->arena, st->id)) == NULL)
		goto out;
	if (st->kind != TIER__IMPORT_KIND__IMPORT_KIND_CUSTOMER) {
		if ((r = cmd_cycle_load(ctx, resp, a->cycle_id,
			 "import_commit.cycle_id", &run.cycle)) != 0 ||
		    (r = store_unit_get(
			 ctx->srv->store, run.cycle.bu_id, &run.bu)) != 0)
			goto out;
	}
	if ((r = import_unpack(&run)) != 0 || (r = import_apply(&run)) != 0)
		goto out;
	resp->import_commit = run.out;
	cmd_log(ctx, "%s import %s by %s: %u rows, %s (%u failing)",
	    import_kind_name(st->kind), st->id, ctx->user->name, st->rows,
	    run.out->committed ? "committed"
	    : a->dry_run       ? "dry run"
			       : "refused",
	    run.out->error_count);
out:
	import_run_release(&run);
	/* Staged rows serve one commit, whatever its outcome. */
	session_set_import(ctx->session, NULL);
	import_stage_free(st);
	return r;
}

#define IMPORT_ROLES                                                           \
	(CMD_ROLE(TIER__ROLE__ROLE_BG_VP) | CMD_ROLE(TIER__ROLE__ROLE_BU_VP) | \
	    CMD_ROLE(TIER__ROLE__ROLE_SEGMENT_MGR) |                           \
	    CMD_ROLE(TIER__ROLE__ROLE_ACCOUNT_MGR) |                           \
	    CMD_ROLE(TIER__ROLE__ROLE_RESEARCHER) |                            \
	    CMD_ROLE(TIER__ROLE__ROLE_MARKETING_HEAD))

/* Staging writes nothing to the database: it runs outside the commit
 * queue. The rows' own requests decide who may import what. */
const struct cmd_entry cmd_import_chunk_entry = {
	.name = "import_chunk",
	.request = TIER__REQUEST__BODY_IMPORT_CHUNK,
	.response = TIER__RESPONSE__BODY_IMPORT_CHUNK,
	.flags = 0,
	.roles = IMPORT_ROLES,
	.handler = cmd_import_chunk,
};

const struct cmd_entry cmd_import_commit_entry = {
	.name = "import_commit",
	.request = TIER__REQUEST__BODY_IMPORT_COMMIT,
	.response = TIER__RESPONSE__BODY_IMPORT_COMMIT,
	.flags = CMD_WRITE | CMD_IDEMPOTENT,
	.roles = IMPORT_ROLES,
	.handler = cmd_import_commit,
};
