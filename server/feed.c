/*
 * The change feed: which committed changes each subscriber receives (what
 * it may see now, its filter, its approval queue) and how they reach it:
 * fan-out after each commit, catch-up from the audit log in bounded batches,
 * and the cap past which a slow subscriber is told to resync instead of
 * making the server hold more.
 */
#include "tierd.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Frame header, flags byte and tag around each chunk of a pushed message. */
#define FEED_CHUNK_OVERHEAD (FRAME_HEADER_LEN + 1 + NOISE_TAG_LEN)
/* How often a paused catch-up looks again when the bytes that hold it back
 * are in the kernel's queue, where no write callback reports them leaving. */
#define FEED_RETRY_MS 100

/* What feed_deliver did with a subscriber. */
enum feed_result {
	FEED_DONE,  /* every entry of the batch was handled */
	FEED_PAUSE, /* a catch-up stopped for room: continue once drained */
	FEED_GONE,  /* the subscription ended (resync or close); sub is freed */
};

/* One session's subscription. */
struct feed_sub {
	LIST_ENTRY(feed_sub) entry; /* in feed.subs */
	struct feed *feed;          /* owner */
	struct session *session;    /* the subscriber; the sub dies with it */
	struct feed_filter filter;  /* what it asked for */
	int64_t sent_seq;           /* last entry sent or passed over */
	int live;                   /* caught up: fed by feed_committed */
	struct event *more; /* continues a catch-up: in the next loop turn, or
			       after FEED_RETRY_MS while paused */
	uint64_t events;    /* sent, for the log */
};

struct feed {
	struct server *srv;         /* store, configuration, event loop */
	int64_t head;               /* the last entry fanned out */
	LIST_HEAD(, feed_sub) subs; /* every subscription */
};

/*
 * Events built once in a fan-out for every live subscriber of the same user
 * with the same filter (a supervisor's several terminals, a wall board):
 * they see exactly the same, so the events are built for the first of them
 * and only sealed and sent for the others.
 */
#define FEED_SHARED_MAX 32

struct feed_shared {
	int64_t user_id;           /* whose view */
	struct feed_filter filter; /* which filter */
	int64_t from_seq;          /* built for entries after this */
	Tier__Event **ev;          /* per batch entry; NULL: not theirs */
};

/* The shared events of one fan-out round, in the batch's arena. */
struct feed_round {
	struct feed_shared shared[FEED_SHARED_MAX];
	size_t n;
};

static void feed_more_cb(evutil_socket_t fd, short what, void *arg);

/* Who gets what
 * ---------------------------------------------------------------*/

/* 1 if the viewer sees the segment, itself or through a delegation. */
static int
feed_sees_segment(const struct feed_viewer *v, int64_t segment_id)
{
	size_t i;

	if (scope_sees_segment(v->scope, segment_id))
		return 1;
	for (i = 0; i < v->ndeputy; i++) {
		if (scope_sees_segment(&v->deputy[i], segment_id))
			return 1;
	}
	return 0;
}

int
feed_match(const struct feed_filter *f, const struct feed_facts *e,
    const struct feed_viewer *v)
{
	int cand = e->kind == FEED_KIND_CANDIDATE;
	int seen;

	switch (e->kind) {
	case FEED_KIND_CANDIDATE:
		seen = e->exists && feed_sees_segment(v, e->segment_id);
		break;
	case FEED_KIND_CUSTOMER:
	case FEED_KIND_CYCLE:
	case FEED_KIND_INQUIRY:
	case FEED_KIND_VISIT:
	case FEED_KIND_COMPLAINT:
		seen = e->exists && scope_sees_bu(v->scope, e->bu_id);
		break;
	default:
		seen = v->scope->all;
		break;
	}
	if (!seen)
		return 0;
	/* An escalation is news only to the roles it names. */
	if (e->notify_roles != 0 && !(e->notify_roles & v->roles))
		return 0;
	if (f->my_queue &&
	    !(cand && (e->notify_roles != 0 || (e->queue_roles & v->roles))))
		return 0;
	if (f->candidate_id != 0 && !(cand && e->id == f->candidate_id))
		return 0;
	if (f->segment_id != 0 && !(cand && e->segment_id == f->segment_id))
		return 0;
	if (f->cycle_id != 0 && !((cand || e->kind == FEED_KIND_CYCLE) &&
				    e->cycle_id == f->cycle_id))
		return 0;
	return 1;
}

/* CMD_ROLE bit of a role number, 0 for one that is not a role. */
static uint32_t
feed_role_bit(long role)
{
	return role > TIER__ROLE__ROLE_UNSPECIFIED &&
		       role <= TIER__ROLE__ROLE_AUDITOR
		   ? CMD_ROLE(role)
		   : 0;
}

/* The role at index step of a chain as the candidates table keeps it. */
static uint32_t
feed_chain_role(const char *chain, json_int_t step)
{
	const char *p = chain;
	char *end;
	long v;

	for (;;) {
		v = strtol(p, &end, 10);
		if (end == p)
			return 0;
		if (step-- == 0)
			return feed_role_bit(v);
		if (*end != ',')
			return 0;
		p = end + 1;
	}
}

/* The pending step's role in one audit JSON text, as a CMD_ROLE bit. */
static uint32_t
feed_pending_role(const char *text, const char *chain)
{
	json_t *j, *state, *step, *roles, *role;
	Tier__Role r;
	uint32_t bit = 0;

	if (text == NULL || text[0] == '\0' ||
	    (j = json_loads(text, 0, NULL)) == NULL)
		return 0;
	state = json_object_get(j, "state");
	step = json_object_get(j, "step");
	if (!json_is_string(state) ||
	    strcmp(json_string_value(state), "pending") != 0 ||
	    !json_is_integer(step) || json_integer_value(step) < 0)
		goto out;
	roles = json_object_get(j, "chain");
	if (json_is_array(roles)) {
		role = json_array_get(roles, (size_t)json_integer_value(step));
		if (json_is_string(role) &&
		    msg_role_parse(json_string_value(role), &r) == 0)
			bit = feed_role_bit(r);
	} else if (chain != NULL) {
		bit = feed_chain_role(chain, json_integer_value(step));
	}
out:
	json_decref(j);
	return bit;
}

uint32_t
feed_queue_roles(const char *before, const char *after, const char *chain)
{
	return feed_pending_role(before, chain) |
	       feed_pending_role(after, chain);
}

/* Subscriptions
 * --------------------------------------------------------------*/

int
feed_new(struct server *srv, struct feed **out)
{
	struct feed *f;
	uint8_t hash[32];
	int r;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return ERR_ALLOC;
	f->srv = srv;
	LIST_INIT(&f->subs);
	if ((r = store_audit_last(srv->store, &f->head, hash)) != 0) {
		free(f);
		return r;
	}
	*out = f;
	return 0;
}

size_t
feed_subscribers(const struct feed *f)
{
	const struct feed_sub *sub;
	size_t n = 0;

	LIST_FOREACH(sub, &f->subs, entry)
	n++;
	return n;
}

void
feed_free(struct feed *f)
{
	if (f == NULL)
		return;
	if (!LIST_EMPTY(&f->subs))
		log_error("feed: freed with subscriptions left");
	free(f);
}

int64_t
feed_head(const struct feed *f)
{
	return f->head;
}

int64_t
feed_oldest_resumable(const struct feed *f)
{
	long window = f->srv->cfg.feed_resume_window;

	return f->head > window ? f->head - window : 0;
}

static void
feed_sub_free(struct feed_sub *sub)
{
	LIST_REMOVE(sub, entry);
	log_debug("feed: %s unsubscribed after %llu event(s)",
	    session_peer(sub->session), (unsigned long long)sub->events);
	event_free(sub->more);
	free(sub);
}

/* Ends a subscription from the feed's side: the session goes back to its
 * idle timeout. */
static void
feed_end(struct feed_sub *sub)
{
	session_set_feed(sub->session, NULL, 0);
	feed_sub_free(sub);
}

void
feed_unsubscribe(struct feed_sub *sub)
{
	feed_sub_free(sub);
}

void
feed_cancel(struct session *s)
{
	struct feed_sub *sub = session_feed(s);

	if (sub != NULL)
		feed_end(sub);
}

int
feed_subscribe(struct feed *f, struct session *s, const struct feed_filter *flt,
    int64_t after_seq, long heartbeat)
{
	struct feed_sub *sub;

	feed_cancel(s);
	if ((sub = calloc(1, sizeof(*sub))) == NULL)
		return ERR_ALLOC;
	sub->more = event_new(f->srv->base, -1, 0, feed_more_cb, sub);
	if (sub->more == NULL) {
		free(sub);
		return ERR_ALLOC;
	}
	sub->feed = f;
	sub->session = s;
	sub->filter = *flt;
	sub->sent_seq = after_seq != 0 ? after_seq : f->head;
	sub->live = sub->sent_seq >= f->head;
	LIST_INSERT_HEAD(&f->subs, sub, entry);
	session_set_feed(s, sub, heartbeat);
	/* Activated, not run: the response to subscribe leaves first. */
	if (!sub->live)
		event_active(sub->more, EV_TIMEOUT, 0);
	log_debug("feed: %s subscribed after %lld (head %lld)%s",
	    session_peer(s), (long long)sub->sent_seq, (long long)f->head,
	    sub->live ? "" : ", catching up");
	return 0;
}

/* Delivery
 * -------------------------------------------------------------------*/

/* Bytes a message adds to a session's output once sealed and framed. */
static size_t
feed_wire_size(const Tier__ServerMessage *sm)
{
	size_t len = tier__server_message__get_packed_size(sm);
	size_t chunks = len / CHANNEL_CHUNK_MAX + 1;

	return len + chunks * FEED_CHUNK_OVERHEAD;
}

/* "1 MiB", "64 KiB" or "70000 bytes". */
static void
feed_size_text(long bytes, char *out, size_t len)
{
	if (bytes % (1 << 20) == 0)
		snprintf(out, len, "%ld MiB", bytes >> 20);
	else if (bytes % 1024 == 0)
		snprintf(out, len, "%ld KiB", bytes >> 10);
	else
		snprintf(out, len, "%ld bytes", bytes);
}

/*
 * Ends a subscription with a Resync, or, when even that would take the
 * session's output past twice the cap, closes the connection. Either way
 * sub is freed.
 */
static void
feed_resync(struct feed_sub *sub, const char *reason)
{
	Tier__ServerMessage sm = TIER__SERVER_MESSAGE__INIT;
	Tier__Resync rs = TIER__RESYNC__INIT;
	struct session *s = sub->session;
	size_t cap = (size_t)sub->feed->srv->cfg.feed_max_buffer;

	rs.reason = (char *)reason;
	rs.head_seq = (uint64_t)sub->feed->head;
	sm.kind_case = TIER__SERVER_MESSAGE__KIND_RESYNC;
	sm.resync = &rs;
	log_info("feed: %s (%s) must resync at %lld: %s", session_peer(s),
	    session_user(s)->name, (long long)sub->sent_seq, reason);
	if (session_output_len(s) + feed_wire_size(&sm) > 2 * cap) {
		session_close(s, "subscriber too slow");
		return;
	}
	if (session_push(s, &sm) != 0)
		return; /* closed, and the subscription with it */
	feed_end(sub);
}

/* The feed failed to read the log or a record: a subscriber that would
 * miss an entry is told to resync instead. */
static void
feed_fail(struct feed_sub *sub, int r)
{
	log_error("feed: cannot build events for %s: %s",
	    session_peer(sub->session), err_str(r));
	feed_resync(sub, "the server could not read the change feed");
}

/* Queues one Event, within the cap. Returns 0, or FEED_GONE when the
 * subscription ended instead. */
static int
feed_push_event(struct feed_sub *sub, Tier__Event *ev)
{
	Tier__ServerMessage sm = TIER__SERVER_MESSAGE__INIT;
	long cap = sub->feed->srv->cfg.feed_max_buffer;
	char size[32], reason[80];

	sm.kind_case = TIER__SERVER_MESSAGE__KIND_EVENT;
	sm.event = ev;
	if (session_output_len(sub->session) + feed_wire_size(&sm) >
	    (size_t)cap) {
		feed_size_text(cap, size, sizeof(size));
		snprintf(reason, sizeof(reason), "you fell more than %s behind",
		    size);
		feed_resync(sub, reason);
		return FEED_GONE;
	}
	if (session_push(sub->session, &sm) != 0)
		return FEED_GONE;
	sub->events++;
	return 0;
}

/* 1 if the events of sh are the ones sub would get. */
static int
feed_shared_fits(const struct feed_shared *sh, const struct feed_sub *sub)
{
	const struct feed_filter *a = &sh->filter, *f = &sub->filter;

	return sh->user_id == session_user(sub->session)->id &&
	       sh->from_seq == sub->sent_seq && a->my_queue == f->my_queue &&
	       a->cycle_id == f->cycle_id && a->segment_id == f->segment_id &&
	       a->candidate_id == f->candidate_id;
}

/* Sends sub the events another subscriber of its kind had built. */
static enum feed_result
feed_deliver_shared(
    struct feed_sub *sub, struct feed_batch *b, const struct feed_shared *sh)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (b->e[i].row.seq <= sub->sent_seq)
			continue;
		if (sh->ev[i] != NULL && feed_push_event(sub, sh->ev[i]) != 0)
			return FEED_GONE;
		sub->sent_seq = b->e[i].row.seq;
	}
	return FEED_DONE;
}

/*
 * Sends sub the entries of b after its sent_seq that it gets, in order. A
 * catch-up stops while the session's output is above half the cap, so its
 * batches never approach it. In a fan-out (round not NULL), the events are
 * built in the batch's arena and kept for the subscribers of the same kind
 * that follow.
 */
static enum feed_result
feed_deliver(struct feed_sub *sub, struct feed_batch *b, int catchup,
    struct feed_round *round)
{
	struct feed_shared *sh = NULL;
	struct session *s = sub->session;
	size_t half = (size_t)sub->feed->srv->cfg.feed_max_buffer / 2, i;
	enum feed_result res = FEED_DONE;
	struct arena *a = NULL;
	struct feed_view v;
	Tier__Event *ev;
	int r;

	if (round != NULL) {
		for (i = 0; i < round->n; i++) {
			if (feed_shared_fits(&round->shared[i], sub))
				return feed_deliver_shared(
				    sub, b, &round->shared[i]);
		}
		if (round->n < FEED_SHARED_MAX) {
			sh = &round->shared[round->n];
			sh->ev =
			    arena_alloc(b->arena, (b->n + 1) * sizeof(*sh->ev));
			if (sh->ev == NULL)
				sh = NULL;
		}
		if (sh != NULL) {
			memset(sh->ev, 0, (b->n + 1) * sizeof(*sh->ev));
			sh->user_id = session_user(s)->id;
			sh->filter = sub->filter;
			sh->from_seq = sub->sent_seq;
		}
	}
	r = feed_view_load(sub->feed->srv, session_user(s), server_now(), &v);
	if (r != 0) {
		feed_view_release(&v);
		feed_fail(sub, r);
		return FEED_GONE;
	}
	for (i = 0; i < b->n; i++) {
		if (b->e[i].row.seq <= sub->sent_seq)
			continue;
		if (catchup && session_output_len(s) > half) {
			res = FEED_PAUSE;
			break;
		}
		if ((sh == NULL && (r = arena_new(&a)) != 0) ||
		    (r = feed_event_build(&v, &sub->filter, b, i,
			 sh != NULL ? b->arena : a, &ev)) != 0) {
			feed_fail(sub, r);
			res = FEED_GONE;
			break;
		}
		if (sh != NULL)
			sh->ev[i] = ev;
		if (ev != NULL && feed_push_event(sub, ev) != 0) {
			res = FEED_GONE;
			break;
		}
		arena_free(a);
		a = NULL;
		sub->sent_seq = b->e[i].row.seq;
	}
	/* Complete, the events serve the next subscribers of this kind. */
	if (sh != NULL && res == FEED_DONE)
		round->n++;
	arena_free(a);
	feed_view_release(&v);
	return res;
}

/*
 * One step of a catch-up: the next batch of the log up to the head. Goes on
 * in the next loop turn while the session's output stays under half the
 * cap, else when it drains (feed_drained, or a retry timer for bytes in the
 * kernel), until the subscriber is live.
 */
static void
feed_catch_up(struct feed_sub *sub)
{
	struct feed *f = sub->feed;
	size_t half = (size_t)f->srv->cfg.feed_max_buffer / 2;
	struct timeval retry = { 0, FEED_RETRY_MS * 1000 };
	struct arena *a = NULL;
	struct feed_batch b;
	enum feed_result res;
	int r;

	if (sub->live)
		return; /* a retry timer that outlived the catch-up */
	if (sub->sent_seq < f->head &&
	    session_output_len(sub->session) <= half) {
		if ((r = arena_new(&a)) != 0 ||
		    (r = feed_batch_read(f->srv->store, a, sub->sent_seq,
			 f->head, FEED_BATCH, &b)) != 0) {
			arena_free(a);
			feed_fail(sub, r);
			return;
		}
		res = feed_deliver(sub, &b, 1, NULL);
		if (res == FEED_DONE)
			sub->sent_seq = b.n > 0 ? b.last_seq : f->head;
		arena_free(a);
		if (res == FEED_GONE)
			return;
	}
	if (sub->sent_seq >= f->head) {
		sub->live = 1;
		log_debug("feed: %s caught up at %lld",
		    session_peer(sub->session), (long long)f->head);
	} else if (session_output_len(sub->session) <= half) {
		event_active(sub->more, EV_TIMEOUT, 0);
	} else {
		event_add(sub->more, &retry);
	}
}

static void
feed_more_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	feed_catch_up(arg);
}

void
feed_drained(struct feed_sub *sub)
{
	if (!sub->live)
		feed_catch_up(sub);
}

/* 1 if some subscriber is caught up and waits for new entries. */
static int
feed_has_live(const struct feed *f)
{
	const struct feed_sub *sub;

	LIST_FOREACH(sub, &f->subs, entry)
	{
		if (sub->live)
			return 1;
	}
	return 0;
}

void
feed_committed(struct feed *f, int64_t upto)
{
	struct feed_round round;
	struct feed_sub *sub, *next;
	struct arena *a;
	struct feed_batch b;
	uint8_t hash[32];
	int64_t last;
	int r;

	if (f == NULL)
		return;
	if (!feed_has_live(f)) {
		/* Nobody to fan out to: those catching up read the log. */
		if (store_audit_last(f->srv->store, &last, hash) != 0)
			return;
		if (last > upto)
			last = upto;
		if (last > f->head)
			f->head = last;
		return;
	}
	for (;;) {
		a = NULL;
		if ((r = arena_new(&a)) != 0 ||
		    (r = feed_batch_read(f->srv->store, a, f->head, upto,
			 FEED_BATCH, &b)) != 0) {
			arena_free(a);
			log_error("feed: cannot read the log after %lld: %s",
			    (long long)f->head, err_str(r));
			/* Those caught up would miss what follows. */
			for (sub = LIST_FIRST(&f->subs); sub != NULL;
			     sub = next) {
				next = LIST_NEXT(sub, entry);
				if (sub->live)
					feed_fail(sub, r);
			}
			return;
		}
		if (b.n == 0) {
			arena_free(a);
			return;
		}
		/* Already the head: a Resync sent meanwhile points past what
		 * a re-list will show anyway. */
		f->head = b.last_seq;
		round.n = 0;
		for (sub = LIST_FIRST(&f->subs); sub != NULL; sub = next) {
			next = LIST_NEXT(sub, entry);
			if (sub->live)
				feed_deliver(sub, &b, 0, &round);
		}
		arena_free(a);
		if (b.n < FEED_BATCH)
			return;
	}
}
