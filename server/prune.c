/*
 * Forgetting request ids. Every idempotent change stores its answer under
 * (user, request id) so that a retry is answered without running twice
 * (dispatch.c). Retries come within seconds or minutes; ids are kept
 * server.request_id_ttl seconds (30 days unless configured, 0 for ever) and
 * then deleted by a timer, oldest first and PRUNE_BATCH at a time, so that a
 * backlog never stalls the event loop for long.
 */
#include "tierd.h"

#include <stdlib.h>

#define PRUNE_BATCH 1000 /* ids deleted per transaction, about */

struct prune {
	struct server *srv;  /* store, configuration */
	struct event *timer; /* the next pass */
	uint64_t forgotten;  /* ids deleted since start, for the log */
};

/* Seconds to the next pass: a fraction of the ttl, at most a minute. */
static void
prune_arm(struct prune *p, int backlog)
{
	long ttl = p->srv->cfg.request_id_ttl;
	struct timeval tv = { ttl > 0 && ttl < 120 ? (ttl + 1) / 2 : 60, 0 };

	if (backlog) /* more to do: soon, but after the loop's other work */
		tv = (struct timeval){ 0, 10000 };
	evtimer_add(p->timer, &tv);
}

int
prune_run(struct server *srv, int64_t now, size_t *forgotten)
{
	struct store *st = srv->store;
	int r;

	*forgotten = 0;
	if (srv->cfg.request_id_ttl == 0)
		return 0;
	if ((r = store_begin(st)) != 0)
		return r;
	r = store_request_prune(
	    st, now - srv->cfg.request_id_ttl, PRUNE_BATCH, forgotten);
	if (r == 0 && *forgotten > 0)
		r = store_commit(st);
	if (r != 0 || *forgotten == 0)
		store_rollback(st);
	return r;
}

static void
prune_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct prune *p = arg;
	size_t n = 0;
	int r;

	(void)fd;
	(void)what;
	if (p->srv->stopping)
		return;
	if ((r = prune_run(p->srv, server_now(), &n)) != 0)
		log_error("forgetting old request ids failed, retrying: %s",
		    err_str(r));
	if (n > 0) {
		p->forgotten += n;
		log_debug("forgot %zu request id(s) older than %ld s, %llu "
			  "since start",
		    n, p->srv->cfg.request_id_ttl,
		    (unsigned long long)p->forgotten);
	}
	prune_arm(p, r == 0 && n >= PRUNE_BATCH);
}

int
prune_new(struct server *srv, struct prune **out)
{
	struct prune *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return ERR_ALLOC;
	p->srv = srv;
	if ((p->timer = evtimer_new(srv->base, prune_timer_cb, p)) == NULL) {
		free(p);
		return ERR_ALLOC;
	}
	prune_arm(p, 0);
	*out = p;
	return 0;
}

void
prune_free(struct prune *p)
{
	if (p == NULL)
		return;
	event_free(p->timer);
	free(p);
}
