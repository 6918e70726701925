/*
 * The tamper-evident audit log. Every change appends an entry in the
 * transaction of the change itself; each entry's hash covers its fields and
 * the previous entry's hash, so editing, deleting or reordering entries
 * breaks the chain at that point, which audit_verify finds.
 */
#include "tierd.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

/* Domain separation: a chain hash is never mistaken for another BLAKE2b. */
#define AUDIT_HASH_TAG "tier audit v1"

static void
audit_hash_u64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (uint8_t)v;
	crypto_generichash_update(h, b, sizeof(b));
}

/* A string as its 8-byte length, then its bytes: no two field lists of
 * different texts hash alike. */
static void
audit_hash_str(crypto_generichash_state *h, const char *s)
{
	size_t len = strlen(s);

	audit_hash_u64(h, len);
	crypto_generichash_update(h, (const uint8_t *)s, len);
}

void
audit_hash(const uint8_t prev[32], const struct store_audit *e, uint8_t out[32])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, 32);
	audit_hash_str(&h, AUDIT_HASH_TAG);
	crypto_generichash_update(&h, prev, 32);
	audit_hash_u64(&h, (uint64_t)e->seq);
	audit_hash_u64(&h, (uint64_t)e->at);
	audit_hash_str(&h, e->user);
	audit_hash_str(&h, e->action);
	audit_hash_str(&h, e->entity);
	audit_hash_u64(&h, (uint64_t)e->entity_id);
	audit_hash_str(&h, e->before);
	audit_hash_str(&h, e->after);
	audit_hash_str(&h, e->reason);
	crypto_generichash_final(&h, out, 32);
}

int
audit_record(struct cmd_ctx *ctx, const char *action, const char *entity,
    int64_t entity_id, const char *before, const char *after,
    const char *reason)
{
	struct store *st = ctx->srv->store;
	struct store_audit e;
	uint8_t prev[32];
	int64_t last;
	int r;

	/*
	 * The chain continues from the recorded head, not from whatever row is
	 * last: after a deleted tail, the next entry leaves a gap and chains
	 * from a hash no remaining entry has, and verification shows both.
	 */
	if ((r = store_audit_head(st, &last, prev)) != 0)
		return r;
	memset(&e, 0, sizeof(e));
	e.seq = last + 1;
	e.at = ctx->now;
	e.user = ctx->user != NULL ? ctx->user->name : "";
	e.action = action;
	e.entity = entity;
	e.entity_id = entity_id;
	e.before = before != NULL ? before : "";
	e.after = after != NULL ? after : "";
	e.reason = reason != NULL ? reason : "";
	audit_hash(prev, &e, e.hash);
	return store_audit_insert(st, &e);
}

/* Compact, key-sorted JSON: the same record always prints the same. */
static char *
audit_json_text(const struct json_t *v)
{
	if (v == NULL)
		return strdup("");
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
}

int
audit_record_json(struct cmd_ctx *ctx, const char *action, const char *entity,
    int64_t entity_id, const struct json_t *before, const struct json_t *after,
    const char *reason)
{
	char *b = audit_json_text(before), *a = audit_json_text(after);
	int r = ERR_ALLOC;

	if (b != NULL && a != NULL)
		r = audit_record(ctx, action, entity, entity_id, b, a, reason);
	free(b);
	free(a);
	return r;
}

/* State of a verification walk. */
struct audit_walk {
	uint8_t prev[32];   /* hash of the previous entry */
	int64_t expect_seq; /* the seq the next entry must have */
	uint64_t entries;   /* entries checked */
	uint64_t first_bad; /* 0 while all hold */
	char *problem;      /* where to describe the first break */
	size_t problem_len;
};

static int
audit_verify_cb(const struct store_audit *e, void *arg)
{
	struct audit_walk *w = arg;
	uint8_t want[32];

	w->entries++;
	if (e->seq != w->expect_seq) {
		w->first_bad = (uint64_t)e->seq;
		snprintf(w->problem, w->problem_len,
		    "entry %" PRId64 " follows entry %" PRId64
		    ": entries are missing or reordered",
		    e->seq, w->expect_seq - 1);
		return 1;
	}
	audit_hash(w->prev, e, want);
	if (sodium_memcmp(want, e->hash, 32) != 0) {
		w->first_bad = (uint64_t)e->seq;
		snprintf(w->problem, w->problem_len,
		    "entry %" PRId64 " (%s on %s %" PRId64
		    ") does not match its hash: it, or an entry before it, "
		    "was edited, deleted or reordered",
		    e->seq, e->action, e->entity, e->entity_id);
		return 1;
	}
	memcpy(w->prev, e->hash, 32);
	w->expect_seq = e->seq + 1;
	return 0;
}

/* After an intact chain: its end must be the head recorded beside it. */
static int
audit_verify_head(struct store *st, struct audit_walk *w)
{
	uint8_t hash[32];
	int64_t seq;
	int r;

	if ((r = store_audit_head(st, &seq, hash)) != 0)
		return r;
	if (seq == w->expect_seq - 1 &&
	    (seq == 0 || sodium_memcmp(hash, w->prev, 32) == 0))
		return 0;
	w->first_bad = seq > 0 ? (uint64_t)seq : (uint64_t)w->expect_seq;
	snprintf(w->problem, w->problem_len,
	    "the log ends at entry %" PRId64 " but its recorded head is entry "
	    "%" PRId64 ": entries at the end were deleted, or the head was "
	    "edited",
	    w->expect_seq - 1, seq);
	return 0;
}

int
audit_verify(struct store *st, int *ok, uint64_t *entries, uint64_t *first_bad,
    uint8_t head[32], char *problem, size_t problem_len)
{
	struct audit_walk w;
	int r;

	memset(&w, 0, sizeof(w));
	w.expect_seq = 1;
	w.problem = problem;
	w.problem_len = problem_len;
	if (problem_len > 0)
		problem[0] = '\0';
	r = store_audit_each(st, NULL, 0, audit_verify_cb, &w);
	if (r < 0)
		return r;
	if (w.first_bad == 0 && (r = audit_verify_head(st, &w)) != 0)
		return r;
	*ok = w.first_bad == 0;
	memcpy(head, w.prev, 32);
	*entries = w.entries;
	*first_bad = w.first_bad;
	return 0;
}
