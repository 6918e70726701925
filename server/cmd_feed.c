/*
 * subscribe, ping and feed_read: the requests of the change feed. They check
 * what the client asks for (a filter naming records it can see, a sequence
 * number the server can resume from) and hand the subscription to feed.c;
 * feed_read pulls the same events a subscriber would get.
 */
#include "tierd.h"

#include <string.h>

#define FEED_HEARTBEAT_DEFAULT 15
#define FEED_HEARTBEAT_MIN     5
#define FEED_HEARTBEAT_MAX     300
#define FEED_READ_DEFAULT      500
#define FEED_READ_MAX          5000
/* Entries one feed_read looks at, visible or not: a user who sees little
 * of a long log pages through it instead of holding the server. */
#define FEED_READ_SCAN 5000

#define BAD_REQUEST TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST
#define NOT_FOUND   TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND

/*
 * Converts a FeedFilter (NULL: none) for the user: every record it names
 * must exist and be visible, else NOT_FOUND on that field ("subscribe.
 * filter.segment"). Returns 0 or cmd_error's.
 */
static int
cmd_feed_filter(struct cmd_ctx *ctx, Tier__Response *resp,
    const Tier__FeedFilter *w, const char *body, struct feed_filter *out)
{
	struct cmd_candidate_actor ac;
	struct store_audit_place pl;
	struct store_unit seg;
	struct store_cycle cy;
	char field[64];
	int r;

	memset(out, 0, sizeof(*out));
	if (w == NULL)
		return 0;
	out->my_queue = w->my_queue;
	if (w->cycle_id != 0) {
		snprintf(field, sizeof(field), "%s.filter.cycle_id", body);
		if ((r = cmd_cycle_load(ctx, resp, w->cycle_id, field, &cy)) !=
		    0)
			return r;
		out->cycle_id = cy.id;
	}
	if ((r = cmd_candidate_actor_load(ctx, &ac)) != 0)
		goto out;
	if (w->segment[0] != '\0') {
		r = store_unit_by_name(ctx->srv->store,
		    TIER__UNIT_KIND__UNIT_KIND_SEGMENT, w->segment, &seg);
		if (r == 0 && !cmd_candidate_sees(&ac, seg.id))
			r = ERR_NOT_FOUND;
		if (r == ERR_NOT_FOUND) {
			snprintf(
			    field, sizeof(field), "%s.filter.segment", body);
			r = cmd_error(ctx, resp, NOT_FOUND, field,
			    "tier org list shows the segments you can see",
			    "no segment \"%.64s\"", w->segment);
		}
		if (r != 0)
			goto out;
		out->segment_id = seg.id;
	}
	if (w->candidate_id != 0) {
		r = w->candidate_id > INT64_MAX
			? ERR_NOT_FOUND
			: store_audit_place(ctx->srv->store, "candidate",
			      (int64_t)w->candidate_id, &pl);
		if (r == 0 && !cmd_candidate_sees(&ac, pl.segment_id))
			r = ERR_NOT_FOUND;
		if (r == ERR_NOT_FOUND) {
			snprintf(field, sizeof(field), "%s.filter.candidate_id",
			    body);
			r = cmd_error(ctx, resp, NOT_FOUND, field,
			    "tier candidate list --cycle ID shows the "
			    "candidates you can see",
			    "no candidate %llu",
			    (unsigned long long)w->candidate_id);
		}
		if (r != 0)
			goto out;
		out->candidate_id = (int64_t)w->candidate_id;
	}
out:
	cmd_candidate_actor_release(&ac);
	return r;
}

/* Refuses an after_seq beyond the head. Returns 0 or cmd_error's. */
static int
cmd_feed_after(struct cmd_ctx *ctx, Tier__Response *resp, uint64_t after,
    int64_t head, const char *field)
{
	if (after <= (uint64_t)head)
		return 0;
	return cmd_error(ctx, resp, BAD_REQUEST, field,
	    "resume from the last seq you received from this server; a "
	    "database restored from an older backup starts a new history, "
	    "so list again and subscribe from the head",
	    "seq %llu is ahead of the server's head %lld",
	    (unsigned long long)after, (long long)head);
}

static int
cmd_subscribe(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__SubscribeRequest *a = req->subscribe;
	struct feed *f = ctx->srv->feed;
	Tier__SubscribeResponse *out;
	struct feed_filter flt;
	int64_t head = feed_head(f), oldest = feed_oldest_resumable(f);
	long heartbeat = a->heartbeat_seconds ? (long)a->heartbeat_seconds
					      : FEED_HEARTBEAT_DEFAULT;
	int r;

	if (heartbeat < FEED_HEARTBEAT_MIN || heartbeat > FEED_HEARTBEAT_MAX)
		return cmd_error(ctx, resp, BAD_REQUEST,
		    "subscribe.heartbeat_seconds",
		    "give 0 for the default of 15 seconds",
		    "a heartbeat interval must be from %d to %d seconds, not "
		    "%u",
		    FEED_HEARTBEAT_MIN, FEED_HEARTBEAT_MAX,
		    a->heartbeat_seconds);
	if ((r = cmd_feed_filter(ctx, resp, a->filter, "subscribe", &flt)) !=
		0 ||
	    (r = cmd_feed_after(
		 ctx, resp, a->after_seq, head, "subscribe.after_seq")) != 0)
		return r;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__subscribe_response__init(out);
	out->head_seq = (uint64_t)head;
	out->oldest_resumable = (uint64_t)oldest;
	if (a->after_seq != 0 && (int64_t)a->after_seq < oldest) {
		/* Too far behind to resume: re-list, then subscribe anew. */
		feed_cancel(ctx->session);
		out->resync_required = 1;
	} else if ((r = feed_subscribe(f, ctx->session, &flt,
			(int64_t)a->after_seq, heartbeat)) != 0) {
		return r;
	}
	resp->subscribe = out;
	return 0;
}

static int
cmd_ping(struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	Tier__PingResponse *out;

	(void)req;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__ping_response__init(out);
	out->head_seq = (uint64_t)feed_head(ctx->srv->feed);
	out->now = ctx->now;
	resp->ping = out;
	return 0;
}

/*
 * Collects the user's events after out->last_seq until limit events, the
 * head, or FEED_READ_SCAN entries. Events and the records behind them live
 * in ctx's arena, with the response.
 */
static int
cmd_feed_collect(struct cmd_ctx *ctx, const struct feed_filter *flt,
    int64_t head, uint32_t limit, Tier__FeedReadResponse *out)
{
	struct feed_view v;
	struct feed_batch b;
	Tier__Event *ev;
	int64_t pos = (int64_t)out->last_seq;
	size_t i, scanned = 0;
	int r;

	if ((out->events = arena_alloc(
		 ctx->arena, limit * sizeof(*out->events))) == NULL)
		return ERR_ALLOC;
	if ((r = feed_view_load(ctx->srv, ctx->user, ctx->now, &v)) != 0)
		goto out;
	while (
	    out->n_events < limit && pos < head && scanned < FEED_READ_SCAN) {
		r = feed_batch_read(
		    ctx->srv->store, ctx->arena, pos, head, FEED_BATCH, &b);
		if (r != 0)
			goto out;
		if (b.n == 0) {
			pos = head;
			break;
		}
		for (i = 0; i < b.n && out->n_events < limit &&
			    scanned < FEED_READ_SCAN;
		     i++, scanned++) {
			if ((r = feed_event_build(
				 &v, flt, &b, i, ctx->arena, &ev)) != 0)
				goto out;
			if (ev != NULL)
				out->events[out->n_events++] = ev;
			pos = b.e[i].row.seq;
		}
	}
	out->last_seq = (uint64_t)pos;
	out->more = pos < head;
out:
	feed_view_release(&v);
	return r;
}

static int
cmd_feed_read(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp)
{
	const Tier__FeedReadRequest *a = req->feed_read;
	struct feed *f = ctx->srv->feed;
	Tier__FeedReadResponse *out;
	struct feed_filter flt;
	int64_t head = feed_head(f), oldest = feed_oldest_resumable(f);
	uint32_t limit = a->limit == 0              ? FEED_READ_DEFAULT
			 : a->limit > FEED_READ_MAX ? FEED_READ_MAX
						    : a->limit;
	int r;

	if ((r = cmd_feed_filter(ctx, resp, a->filter, "feed_read", &flt)) !=
		0 ||
	    (r = cmd_feed_after(
		 ctx, resp, a->after_seq, head, "feed_read.after_seq")) != 0)
		return r;
	if ((out = arena_alloc(ctx->arena, sizeof(*out))) == NULL)
		return ERR_ALLOC;
	tier__feed_read_response__init(out);
	out->head_seq = (uint64_t)head;
	out->oldest_resumable = (uint64_t)oldest;
	out->last_seq = a->after_seq;
	if ((int64_t)a->after_seq < oldest)
		out->resync_required = 1;
	else if ((r = cmd_feed_collect(ctx, &flt, head, limit, out)) != 0)
		return r;
	resp->feed_read = out;
	return 0;
}

const struct cmd_entry cmd_subscribe_entry = {
	.name = "subscribe",
	.request = TIER__REQUEST__BODY_SUBSCRIBE,
	.response = TIER__RESPONSE__BODY_SUBSCRIBE,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_subscribe,
};

const struct cmd_entry cmd_ping_entry = {
	.name = "ping",
	.request = TIER__REQUEST__BODY_PING,
	.response = TIER__RESPONSE__BODY_PING,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_ping,
};

const struct cmd_entry cmd_feed_read_entry = {
	.name = "feed_read",
	.request = TIER__REQUEST__BODY_FEED_READ,
	.response = TIER__RESPONSE__BODY_FEED_READ,
	.flags = 0,
	.roles = CMD_ROLES_ANY,
	.handler = cmd_feed_read,
};
