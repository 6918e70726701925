/*
 * Group commit. Write requests are queued as they are read; the queue runs
 * once the event loop has handled every socket that was ready together, so
 * all of them share one transaction and one fsync. Each request runs inside
 * its own savepoint, so a failing request rolls back alone, and no reply
 * leaves before the COMMIT is durable. Only then does the feed push the
 * batch's changes to subscribers.
 *
 * Durable, but not in the loop: COMMIT only writes the write-ahead log
 * (synchronous=NORMAL, store_sync_defer), and sync threads sync it while the
 * loop runs the next batch. A committed batch waits, unanswered, until a
 * sync that began after its COMMIT has finished. Each COMMIT starts a sync
 * of its own as long as fewer than COMMIT_SYNCS are running, so on a disk
 * whose syncs are slow a batch waits for one sync, not for the end of one
 * that was running and then another; when all are running, the batches
 * committed meanwhile share the next. A kill -9 loses nothing that was
 * written, and a power cut nothing that was answered. Reads may see a
 * change whose sync is still running, as they would in Redis with
 * appendfsync always.
 *
 * Reads run at once, but share one read snapshot per loop turn: it begins
 * with the turn's first read and ends when the turn's other ready sockets
 * have been served (or when a batch begins).
 */
#include "tierd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct commit_item {
	TAILQ_ENTRY(commit_item) entry; /* in commit.queue or a running batch */
	struct session *session;        /* who asked; kept alive by busy */
	const struct cmd_entry *cmd;    /* the row to run */
	Tier__Request *req;             /* owned */
	Tier__Response resp;            /* filled by the handler */
	struct arena *arena;            /* memory behind resp */
	struct cmd_notes notes;         /* log lines for when it is durable */
	int64_t arrived;                /* server_clock_ns() when queued */
};

TAILQ_HEAD(commit_list, commit_item);

/*
 * Syncs of the log in flight at most. More overlap more of the time a slow
 * disk takes per sync; each costs the disk a flush.
 */
#define COMMIT_SYNCS 4

/*
 * A sync thread. It waits for a request, syncs the log, and reports by
 * writing its slot's number to the syncer's pipe, which the loop watches;
 * the loop asks it again only once that report is in.
 */
struct commit_sync {
	struct commit_syncer *owner;
	pthread_t thread;
	int started;                /* the thread is running */
	pthread_cond_t wake;        /* signalled when asked */
	int asked;                  /* a sync is wanted (under lock) */
	int error;                  /* errno of its last sync, or 0 (lock) */
	int running;                /* asked, report not yet read (loop) */
	uint64_t ticket;            /* when it began, in order (loop) */
	int64_t upto;               /* the audit head then (loop) */
	struct commit_list batches; /* committed before it began (loop) */
};

struct commit_syncer {
	pthread_mutex_t lock;
	int stop;              /* the threads are to end (under lock) */
	int wal_fd;            /* the write-ahead log, synced */
	uint64_t syncs;        /* syncs done (under lock) */
	int64_t sync_ns;       /* time they took (under lock) */
	int pipe[2];           /* slot numbers of finished syncs */
	struct event *done_ev; /* the loop reads it: commit_synced_cb */
	struct commit_sync slot[COMMIT_SYNCS];
};

struct commit {
	struct server *srv;           /* store and sessions */
	struct event *ev;             /* runs commit_run_cb */
	struct event *snapshot_ev;    /* ends the turn's read snapshot */
	struct commit_list queue;     /* waiting for the next batch */
	struct commit_list written;   /* committed, waiting for a sync */
	int64_t written_seq;          /* the audit head of the latest COMMIT */
	int written_any;              /* a COMMIT since the last sync began */
	uint64_t tickets;             /* syncs begun */
	uint64_t durable;             /* the last ticket known finished */
	int sync_failed;              /* a sync failed: tierd is stopping */
	struct commit_syncer *syncer; /* NULL: COMMIT syncs itself (FULL) */
	uint64_t batches, requests;   /* totals, for logs and metrics */
	uint64_t failures;            /* batches that could not commit */
	char failing[160]; /* why the last batch failed; "" once one commits */
};

static void commit_run_cb(evutil_socket_t fd, short what, void *arg);
static void commit_snapshot_cb(evutil_socket_t fd, short what, void *arg);
static void commit_synced_cb(evutil_socket_t fd, short what, void *arg);

static void *
commit_sync_main(void *arg)
{
	struct commit_sync *s = arg;
	struct commit_syncer *y = s->owner;
	unsigned char id = (unsigned char)(s - y->slot);
	int64_t t0;
	int err;

	pthread_mutex_lock(&y->lock);
	for (;;) {
		while (!s->asked && !y->stop)
			pthread_cond_wait(&s->wake, &y->lock);
		if (y->stop)
			break;
		s->asked = 0;
		pthread_mutex_unlock(&y->lock);
		t0 = server_clock_ns();
		err = fdatasync(y->wal_fd) == 0 ? 0 : errno;
		pthread_mutex_lock(&y->lock);
		s->error = err;
		y->syncs++;
		y->sync_ns += server_clock_ns() - t0;
		/* At most COMMIT_SYNCS bytes are ever unread: never full. */
		while (write(y->pipe[1], &id, 1) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&y->lock);
	return NULL;
}

static void
commit_syncer_free(struct commit_syncer *y)
{
	size_t i;

	if (y == NULL)
		return;
	pthread_mutex_lock(&y->lock);
	y->stop = 1;
	for (i = 0; i < COMMIT_SYNCS; i++)
		pthread_cond_signal(&y->slot[i].wake);
	pthread_mutex_unlock(&y->lock);
	for (i = 0; i < COMMIT_SYNCS; i++) {
		if (y->slot[i].started)
			pthread_join(y->slot[i].thread, NULL);
		pthread_cond_destroy(&y->slot[i].wake);
	}
	if (y->done_ev != NULL)
		event_free(y->done_ev);
	if (y->pipe[0] >= 0)
		close(y->pipe[0]);
	if (y->pipe[1] >= 0)
		close(y->pipe[1]);
	if (y->wal_fd >= 0)
		close(y->wal_fd);
	pthread_mutex_destroy(&y->lock);
	free(y);
}

/*
 * Starts the sync threads and hands durability to them. On any failure the
 * store stays synchronous and every COMMIT syncs in the loop: slower, as
 * safe. Returns NULL then, after logging why.
 */
static struct commit_syncer *
commit_syncer_new(struct commit *c)
{
	struct commit_syncer *y;
	char why[256];
	size_t i;

	if ((y = calloc(1, sizeof(*y))) == NULL) {
		log_warn("commit: out of memory: every COMMIT syncs in the "
			 "event loop");
		return NULL;
	}
	y->wal_fd = y->pipe[0] = y->pipe[1] = -1;
	pthread_mutex_init(&y->lock, NULL);
	for (i = 0; i < COMMIT_SYNCS; i++) {
		y->slot[i].owner = y;
		pthread_cond_init(&y->slot[i].wake, NULL);
		TAILQ_INIT(&y->slot[i].batches);
	}
	if (pipe2(y->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_warn("commit: no pipe for the sync threads (%s): every "
			 "COMMIT syncs in the event loop",
		    strerror(errno));
		goto fail;
	}
	y->done_ev = event_new(c->srv->base, y->pipe[0], EV_READ | EV_PERSIST,
	    commit_synced_cb, c);
	if (y->done_ev == NULL || event_add(y->done_ev, NULL) != 0) {
		log_warn("commit: cannot watch the sync threads: every COMMIT "
			 "syncs in the event loop");
		goto fail;
	}
	for (i = 0; i < COMMIT_SYNCS; i++) {
		if (pthread_create(&y->slot[i].thread, NULL, commit_sync_main,
			&y->slot[i]) != 0) {
			log_warn("commit: cannot start the sync threads: every "
				 "COMMIT syncs in the event loop");
			goto fail;
		}
		y->slot[i].started = 1;
	}
	if ((y->wal_fd = store_sync_defer(c->srv->store, why, sizeof(why))) <
	    0) {
		log_warn(
		    "commit: %s: every COMMIT syncs in the event loop", why);
		goto fail;
	}
	return y;
fail:
	commit_syncer_free(y);
	return NULL;
}

int
commit_new(struct server *srv, struct commit **out)
{
	struct commit *c;
	char why[256];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return ERR_ALLOC;
	c->srv = srv;
	TAILQ_INIT(&c->queue);
	TAILQ_INIT(&c->written);
	if ((c->ev = event_new(srv->base, -1, 0, commit_run_cb, c)) == NULL ||
	    (c->snapshot_ev = event_new(
		 srv->base, -1, 0, commit_snapshot_cb, c)) == NULL) {
		if (c->ev != NULL)
			event_free(c->ev);
		free(c);
		return ERR_ALLOC;
	}
	c->syncer = commit_syncer_new(c);
	if (store_checkpoint_background(srv->store, why, sizeof(why)) != 0)
		log_warn("commit: %s: checkpoints stall the event loop", why);
	*out = c;
	return 0;
}

void
commit_stats(struct commit *c, struct commit_stats *out)
{
	struct commit_syncer *y = c->syncer;

	memset(out, 0, sizeof(*out));
	out->batches = c->batches;
	out->requests = c->requests;
	out->failures = c->failures;
	out->failing = c->failing[0] != '\0' ? c->failing : NULL;
	if (y == NULL)
		return;
	pthread_mutex_lock(&y->lock);
	out->syncs = y->syncs;
	out->sync_seconds = (double)y->sync_ns / 1e9;
	pthread_mutex_unlock(&y->lock);
}

static void
commit_item_free(struct commit_item *it)
{
	arena_free(it->arena);
	tier__request__free_unpacked(it->req, NULL);
	free(it);
}

/* The sync holding batches that began first, if it began at ticket most
 * or before; NULL if there is none. */
static struct commit_sync *
commit_oldest(struct commit *c, uint64_t most)
{
	struct commit_sync *s, *o = NULL;
	size_t i;

	for (i = 0; i < COMMIT_SYNCS; i++) {
		s = &c->syncer->slot[i];
		if (!TAILQ_EMPTY(&s->batches) && s->ticket <= most &&
		    (o == NULL || s->ticket < o->ticket))
			o = s;
	}
	return o;
}

/* Moves every committed batch not yet answered to list, oldest first. */
static void
commit_unanswered(struct commit *c, struct commit_list *list)
{
	struct commit_sync *s;

	if (c->syncer != NULL)
		while ((s = commit_oldest(c, UINT64_MAX)) != NULL)
			TAILQ_CONCAT(list, &s->batches, entry);
	TAILQ_CONCAT(list, &c->written, entry);
	c->written_any = 0;
}

void
commit_free(struct commit *c)
{
	struct commit_item *it;

	if (c == NULL)
		return;
	commit_unanswered(c, &c->queue);
	while ((it = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, it, entry);
		session_request_done(it->session);
		commit_item_free(it);
	}
	commit_syncer_free(c->syncer);
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
	cmd_notes_clear(&it->notes);
	it->arrived = server_clock_ns();
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

/* Sends each reply of a batch and frees it; after a failed batch, closes
 * the sessions too. */
static void
commit_reply(struct commit_list *batch, int committed)
{
	struct commit_item *it;

	while ((it = TAILQ_FIRST(batch)) != NULL) {
		TAILQ_REMOVE(batch, it, entry);
		/* What it changed is durable now, or was never made. */
		if (committed)
			cmd_notes_flush(&it->notes);
		session_send(it->session, &it->resp);
		server_observe(
		    session_server(it->session), SERVER_WRITE, it->arrived);
		/*
		 * A handler may have changed session state (enrolment) on the
		 * assumption of a commit: a failed batch cannot leave it so.
		 */
		if (!committed)
			session_close(it->session, "commit failed");
		session_request_done(it->session);
		commit_item_free(it);
	}
}

/* Asks a free sync thread to sync what has been written since the last
 * sync began; with none free, the next report does. */
static void
commit_sync_start(struct commit *c)
{
	struct commit_syncer *y = c->syncer;
	struct commit_sync *s = NULL;
	size_t i;

	if (!c->written_any || c->sync_failed)
		return;
	for (i = 0; i < COMMIT_SYNCS && s == NULL; i++)
		if (!y->slot[i].running)
			s = &y->slot[i];
	if (s == NULL)
		return;
	TAILQ_CONCAT(&s->batches, &c->written, entry);
	s->upto = c->written_seq;
	s->ticket = ++c->tickets;
	s->running = 1;
	c->written_any = 0;
	pthread_mutex_lock(&y->lock);
	s->asked = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&y->lock);
}

/* A sync failed: what was written may or may not survive a crash, so
 * nobody is told it did, and tierd stops, exiting 1. */
static void
commit_sync_failed(struct commit *c, int err)
{
	struct commit_list all = TAILQ_HEAD_INITIALIZER(all);

	log_error("commit: cannot sync the write-ahead log: %s", strerror(err));
	c->sync_failed = 1;
	commit_unanswered(c, &all);
	commit_fail_batch(&all,
	    "the server could not make the change durable and is stopping; "
	    "after it restarts, send the same request again");
	commit_reply(&all, 0);
	server_fail(c->srv, "the write-ahead log cannot be synced");
}

/*
 * Sync s has ended. If it succeeded, everything committed before it began
 * is durable, the batches of syncs that began earlier and still run too:
 * they are answered, oldest first, and the feed goes up to the audit head
 * of its beginning. If it failed, tierd stops.
 */
static void
commit_sync_done(struct commit *c, struct commit_sync *s)
{
	struct commit_sync *o;
	int err;

	if (!s->running)
		return;
	s->running = 0;
	pthread_mutex_lock(&c->syncer->lock);
	err = s->error;
	pthread_mutex_unlock(&c->syncer->lock);
	if (c->sync_failed)
		return;
	if (err != 0) {
		commit_sync_failed(c, err);
		return;
	}
	if (s->ticket <= c->durable)
		return; /* one that began later has answered its batches */
	c->durable = s->ticket;
	while ((o = commit_oldest(c, s->ticket)) != NULL)
		commit_reply(&o->batches, 1);
	/* Subscribers hear of a change after its author has the reply. */
	feed_committed(c->srv->feed, s->upto);
}

static void
commit_synced_cb(evutil_socket_t fd, short what, void *arg)
{
	struct commit *c = arg;
	unsigned char id[2 * COMMIT_SYNCS];
	ssize_t i, n;

	(void)what;
	while ((n = read(fd, id, sizeof(id))) > 0)
		for (i = 0; i < n; i++)
			if (id[i] < COMMIT_SYNCS)
				commit_sync_done(c, &c->syncer->slot[id[i]]);
	commit_sync_start(c);
}

void
commit_written(struct server *srv)
{
	struct commit *c = srv->commit;
	uint8_t hash[32];
	int64_t seq;

	if (c == NULL || c->syncer == NULL) {
		/* COMMIT synced itself. */
		if (c != NULL)
			commit_reply(&c->written, 1);
		feed_committed(srv->feed, INT64_MAX);
		return;
	}
	/* The feed goes no further than the audit head of this COMMIT until
	 * a sync that began after it is done. */
	if (store_audit_last(c->srv->store, &seq, hash) == 0)
		c->written_seq = seq;
	c->written_any = 1;
	commit_sync_start(c);
}

/* Notes a batch that failed, for /health and /metrics. */
static void
commit_failed(struct commit *c, const char *what, const char *why)
{
	c->failures++;
	snprintf(c->failing, sizeof(c->failing), "%s: %s", what, why);
}

/* Runs one batch: begin, a savepoint per request, commit; the replies
 * follow the sync. */
static void
commit_run(struct commit *c)
{
	struct commit_list batch = TAILQ_HEAD_INITIALIZER(batch);
	struct store *st = c->srv->store;
	struct commit_item *it;
	size_t n = 0;

	TAILQ_CONCAT(&batch, &c->queue, entry);
	if (TAILQ_EMPTY(&batch))
		return;

	if (store_begin(st) != 0) {
		commit_failed(c, "cannot begin", store_errmsg(st));
		commit_fail_batch(&batch, "the database is unavailable");
		commit_reply(&batch, 0);
		return;
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
			it->arena, &it->notes) == 0) {
			if (store_release(st) != 0)
				goto abort;
		} else if (store_rollback_to(st) != 0)
			goto abort;
	}
	if (store_commit(st) != 0)
		goto abort;
	c->batches++;
	c->requests += n;
	c->failing[0] = '\0';
	log_debug("commit: %zu request(s) in one transaction", n);
	TAILQ_CONCAT(&c->written, &batch, entry);
	commit_written(c->srv);
	commit_snapshot(c);
	return;

abort:
	log_error("commit: batch of %zu failed: %s", n, store_errmsg(st));
	commit_failed(c, "cannot commit", store_errmsg(st));
	store_rollback(st);
	commit_fail_batch(
	    &batch, "the database could not commit; the request had no effect");
	commit_reply(&batch, 0);
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
	struct commit_list all = TAILQ_HEAD_INITIALIZER(all);
	int err;

	commit_run(c);
	if (c->syncer == NULL || c->sync_failed)
		return;
	commit_unanswered(c, &all);
	if (TAILQ_EMPTY(&all))
		return;
	/* Stopping: sync here rather than wait for the threads' reports,
	 * which then find nothing left to answer. */
	c->durable = c->tickets;
	err = fdatasync(c->syncer->wal_fd) == 0 ? 0 : errno;
	if (err != 0) {
		TAILQ_CONCAT(&c->written, &all, entry);
		commit_sync_failed(c, err);
		return;
	}
	commit_reply(&all, 1);
	feed_committed(c->srv->feed, INT64_MAX);
}
