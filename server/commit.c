/*
 * Group commit. Write requests are queued as they are read; the queue runs
 * once the event loop has handled every socket that was ready together, so
 * all of them share one transaction and one fsync. Each request runs inside
 * its own savepoint, so a failing request rolls back alone, and no reply
 * leaves before the COMMIT is durable. Only then does the feed push the
 * batch's changes to subscribers.
 *
 * Reads run at once, but share one read snapshot per loop turn: it begins
 * with the turn's first read and ends when the turn's other ready sockets
 * have been served (or when a batch begins).
 */
#include "tierd.h"

#include <stdlib.h>

struct commit_item {
	TAILQ_ENTRY(commit_item) entry; /* in commit.queue or a running batch */
	struct session *session;        /* who asked; kept alive by busy */
	const struct cmd_entry *cmd;    /* the row to run */
	Tier__Request *req;             /* owned */
	Tier__Response resp;            /* filled by the handler */
	struct arena *arena;            /* memory behind resp */
};

TAILQ_HEAD(commit_list, commit_item);

struct commit {
	struct server *srv;         /* store and sessions */
	struct event *ev;           /* runs commit_run_cb */
	struct event *snapshot_ev;  /* ends the turn's read snapshot */
	struct commit_list queue;   /* waiting for the next batch */
	uint64_t batches, requests; /* totals, for logs and metrics */
};

static void commit_run_cb(evutil_socket_t fd, short what, void *arg);
static void commit_snapshot_cb(evutil_socket_t fd, short what, void *arg);

int
commit_new(struct server *srv, struct commit **out)
{
	struct commit *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ERR_ALLOC;
	c->srv = srv;
	TAILQ_INIT(&c->queue);
	if ((c->ev = event_new(srv->base, -1, 0, commit_run_cb, c)) == NULL ||
	    (c->snapshot_ev = event_new(
		 srv->base, -1, 0, commit_snapshot_cb, c)) == NULL) {
		if (c->ev != NULL)
			event_free(c->ev);
		free(c);
		return ERR_ALLOC;
	}
	*out = c;
	return 0;
}

static void
commit_item_free(struct commit_item *it)
{
	arena_free(it->arena);
	tier__request__free_unpacked(it->req, NULL);
	free(it);
}

void
commit_free(struct commit *c)
{
	struct commit_item *it;

	if (c == NULL)
		return;
	while ((it = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, it, entry);
		session_request_done(it->session);
		commit_item_free(it);
	}
	event_free(c->ev);
	event_free(c->snapshot_ev);
	store_snapshot_end(c->srv->store);
	free(c);
}

void
commit_enqueue(struct commit *c, struct session *s, const struct cmd_entry *cmd,
    Tier__Request *req)
{
	struct commit_item *it;
	Tier__Response resp = TIER__RESPONSE__INIT;

	if ((it = calloc(1, sizeof(*it))) == NULL ||
	    arena_new(&it->arena) != 0) {
		free(it);
		log_error("commit: out of memory; closing %s", session_peer(s));
		tier__request__free_unpacked(req, NULL);
		session_close(s, "server out of memory");
		return;
	}
	it->session = s;
	it->cmd = cmd;
	it->req = req;
	it->resp = resp;
	session_set_busy(s);
	TAILQ_INSERT_TAIL(&c->queue, it, entry);
	/*
	 * Activated, not run: the loop first finishes the other sockets that
	 * were ready in this turn, and their writes join this batch.
	 */
	event_active(c->ev, EV_TIMEOUT, 0);
}

/* Replaces every response of a failed batch with the same error. */
static void
commit_fail_batch(struct commit_list *batch, const char *why)
{
	struct commit_item *it;
	Tier__Error *e;

	TAILQ_FOREACH(it, batch, entry)
	{
		e = arena_alloc(it->arena, sizeof(*e));
		if (e == NULL)
			continue;
		tier__error__init(e);
		e->code = TIER__ERROR_CODE__ERROR_CODE_UNAVAILABLE;
		e->message = (char *)why;
		e->hint = "retry in a moment; if it persists, tell the "
			  "administrator to check the tierd log";
		it->resp.body_case = TIER__RESPONSE__BODY__NOT_SET;
		it->resp.error = e;
		it->resp.id = it->req->id;
	}
}

/* Runs one batch: begin, a savepoint per request, commit, replies. */
static void
commit_run(struct commit *c)
{
	struct commit_list batch = TAILQ_HEAD_INITIALIZER(batch);
	struct store *st = c->srv->store;
	struct commit_item *it;
	int committed = 0;
	size_t n = 0;

	TAILQ_CONCAT(&batch, &c->queue, entry);
	if (TAILQ_EMPTY(&batch))
		return;

	if (store_begin(st) != 0) {
		commit_fail_batch(&batch, "the database is unavailable");
		goto reply;
	}
	TAILQ_FOREACH(it, &batch, entry)
	{
		n++;
		if (store_savepoint(st) != 0)
			goto abort;
		/*
		 * A request that failed must leave nothing behind: if its
		 * changes cannot be undone alone, the whole batch is.
		 */
		if (dispatch_run(it->session, it->cmd, it->req, &it->resp,
			it->arena) == 0) {
			if (store_release(st) != 0)
				goto abort;
		} else if (store_rollback_to(st) != 0)
			goto abort;
	}
	if (store_commit(st) != 0)
		goto abort;
	committed = 1;
	c->batches++;
	c->requests += n;
	log_debug("commit: %zu request(s) in one transaction", n);
	goto reply;

abort:
	log_error("commit: batch of %zu failed: %s", n, store_errmsg(st));
	store_rollback(st);
	commit_fail_batch(
	    &batch, "the database could not commit; the request had no effect");
reply:
	while ((it = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, it, entry);
		session_send(it->session, &it->resp);
		/*
		 * A handler may have changed session state (enrolment) on the
		 * assumption of a commit: a failed batch cannot leave it so.
		 */
		if (!committed)
			session_close(it->session, "commit failed");
		session_request_done(it->session);
		commit_item_free(it);
	}
	/* Subscribers hear of a change after its author has the reply. */
	if (committed) {
		commit_snapshot(c);
		feed_committed(c->srv->feed);
	}
}

static void
commit_run_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	commit_run(arg);
}

static void
commit_snapshot_cb(evutil_socket_t fd, short what, void *arg)
{
	struct commit *c = arg;

	(void)fd;
	(void)what;
	store_snapshot_end(c->srv->store);
}

void
commit_snapshot(struct commit *c)
{
	/* Without a snapshot, each read simply runs on its own. */
	if (store_snapshot_begin(c->srv->store) == 1)
		event_active(c->snapshot_ev, EV_TIMEOUT, 0);
}

void
commit_flush(struct commit *c)
{
	commit_run(c);
}
