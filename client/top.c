/*
 * "tier top": a live terminal view of the approval queues in the user's
 * scope, drawn with ncursesw. Owns the view's model (the pending candidates
 * by approver role and segment, the cycles' step limits), keeps it current
 * from the change feed, reconnects and reloads when the connection drops,
 * and maps keys to filtering, sorting, details and decisions. The terminal
 * is restored however it ends, signals included.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include <curses.h>

#include <sodium.h>

#include "err.h"
#include "tier.h"

#define TOP_PAGE          1000  /* candidates fetched per list request */
#define TOP_CHANGED_MS    15000 /* how long a changed row stays marked */
#define TOP_STATUS_MS     10000 /* how long a status message shows */
#define TOP_QUEUE_DELAY   300   /* ms from a change to re-reading the queue */
#define TOP_BACKOFF_MIN   1000  /* ms before the first reconnection */
#define TOP_BACKOFF_MAX   30000 /* ms between reconnections, at most */
#define TOP_PROMPT_MAX    256   /* characters typed at a prompt */
#define TOP_DEFAULT_LIMIT 72    /* hours a step may wait (Policy default) */
#define TOP_CUSTOMER_MAX  40    /* columns of the customer name, at most */

/* One pending candidate on screen. */
struct top_row {
	Tier__Candidate *cand; /* owned copy of the newest snapshot */
	int mine;              /* in the user's own queue */
	int overdue;           /* the server says the step is overdue */
	int escalated;         /* an escalation event came for this step */
	char *on_behalf_of;    /* the delegator the user stands in for, or
				  NULL; owned */
	int64_t changed;       /* monotonic ms of the last change seen, 0 */
};

/* What the view knows of a cycle. */
struct top_cycle {
	uint64_t id;
	uint32_t limit_hours; /* the policy's step limit, 0 for the default */
};

enum top_sort {
	TOP_SORT_AGE,      /* longest waiting first */
	TOP_SORT_SCORE,    /* best score first */
	TOP_SORT_CUSTOMER, /* by customer name */
	TOP_SORT_ID,       /* by candidate id */
	TOP_SORT_COUNT,
};

static const char *const top_sort_names[TOP_SORT_COUNT] = { "age", "score",
	"customer", "id" };

enum top_mode {
	TOP_MODE_LIST,   /* the queues */
	TOP_MODE_DETAIL, /* one candidate, full screen */
	TOP_MODE_PROMPT, /* a line of input at the bottom */
};

enum top_prompt {
	TOP_PROMPT_FILTER,  /* the filter text */
	TOP_PROMPT_APPROVE, /* y to approve (a reason may be typed) */
	TOP_PROMPT_REJECT,  /* the reason for a rejection */
	TOP_PROMPT_RETURN,  /* the reason for a return */
};

/* One line of the list: a group heading or a row. */
struct top_line {
	const struct top_row *row; /* NULL for a heading */
	Tier__Role role;           /* the group's approver role */
	const char *segment;       /* the group's segment */
	size_t count;              /* rows in the group, for a heading */
};

struct top {
	struct cfg *cfg;
	struct conn *conn; /* NULL while disconnected */
	char *user;        /* who we are, from whoami; owned */
	Tier__Role role;   /* our role */

	struct top_row *rows; /* the pending candidates, unordered */
	size_t nrows, caprows;
	struct top_cycle *cycles; /* every visible cycle */
	size_t ncycles;
	int64_t skew; /* server clock minus ours, seconds */

	/* The feed. */
	uint64_t pos;      /* the last change applied */
	int64_t heard;     /* monotonic ms of the last server message */
	int64_t ping_due;  /* monotonic ms of the next ping */
	int64_t queue_due; /* monotonic ms to re-read the queue, or 0 */

	/* Reconnection. */
	int64_t retry_at; /* monotonic ms of the next attempt */
	int64_t backoff;  /* ms to wait after the next failure */
	int attempts;     /* failed attempts since the connection dropped */
	char why[256];    /* why we are disconnected */

	/* The view. */
	enum top_mode mode;
	enum top_prompt prompt;
	wchar_t input[TOP_PROMPT_MAX + 1]; /* the prompt's text */
	size_t ninput;
	uint64_t target;      /* the candidate a prompt or detail is about */
	char filter[512];     /* rows must contain this; "" for all */
	enum top_sort sort;   /* row order inside a group */
	uint64_t sel_id;      /* the selected candidate, or 0 */
	size_t sel;           /* its index among the visible rows */
	size_t scroll;        /* first list line shown */
	char status[512];     /* the last message for the user */
	int64_t status_until; /* monotonic ms when it goes */
	int color;            /* colours in use */
	int quit;             /* q pressed */
	int exit_code;        /* what tier top returns */
};

/* Signals and the terminal -------------------------------------------------*/

static volatile sig_atomic_t top_signal; /* the signal that asks us to end */
/* Set while a network call may block: a signal then ends at once. */
static volatile sig_atomic_t top_blocking;
static struct termios top_saved_tty; /* the terminal before curses */
static int top_have_tty;             /* top_saved_tty is valid */
static char top_reset[256];          /* escape codes leaving curses */
static size_t top_reset_len;
static int top_saved_stderr = -1; /* the real stderr, while captured */
static FILE *top_captured;        /* stderr while curses draws */

/* Async-signal-safe: the terminal as it was, then exit. */
static void
top_emergency_exit(int sig)
{
	ssize_t n = 0;

	if (top_reset_len > 0)
		n = write(STDOUT_FILENO, top_reset, top_reset_len);
	(void)n;
	if (top_have_tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &top_saved_tty);
	_exit(128 + sig);
}

static void
top_signal_cb(int sig)
{
	if (top_blocking)
		top_emergency_exit(sig);
	top_signal = sig;
}

/* Appends terminfo capability name to top_reset, if the terminal has it. */
static void
top_reset_add(const char *name)
{
	char *s = tigetstr(name);
	size_t n;

	if (s == NULL || s == (char *)-1)
		return;
	n = strlen(s);
	if (top_reset_len + n < sizeof(top_reset)) {
		memcpy(top_reset + top_reset_len, s, n);
		top_reset_len += n;
	}
}

/* Milliseconds on the monotonic clock. */
static int64_t
top_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sets the status line for a while. */
static void __attribute__((format(printf, 2, 3)))
top_status(struct top *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->status, sizeof(t->status), fmt, ap);
	va_end(ap);
	t->status_until = top_now_ms() + TOP_STATUS_MS;
}

/* The last line written to the captured stderr (a connection error), in
 * buf, without its "tier: error: " prefix. */
static void
top_last_error(char *buf, size_t size)
{
	char tail[1024], *line, *p;
	long end;
	size_t n;

	buf[0] = '\0';
	if (top_captured == NULL)
		return;
	fflush(stderr);
	if (fseek(top_captured, 0, SEEK_END) != 0 ||
	    (end = ftell(top_captured)) <= 0)
		return;
	fseek(top_captured,
	    end > (long)sizeof(tail) - 1 ? end - (long)sizeof(tail) + 1 : 0,
	    SEEK_SET);
	n = fread(tail, 1, sizeof(tail) - 1, top_captured);
	fseek(top_captured, 0, SEEK_END);
	tail[n] = '\0';
	/* The last "tier: ..." line; hints follow it on lines of their own. */
	line = NULL;
	for (p = tail; (p = strstr(p, "tier: ")) != NULL; p++)
		line = p;
	if (line == NULL)
		return;
	line += strlen("tier: ");
	if (strncmp(line, "error: ", 7) == 0)
		line += 7;
	if ((p = strchr(line, '\n')) != NULL)
		*p = '\0';
	snprintf(buf, size, "%s", line);
}

/* Text fitted to columns ----------------------------------------------------*/

void
top_fit(char *out, size_t size, const char *s, size_t width)
{
	size_t len = strlen(s), n, used = 0, cols = 0, w, need;
	int ok, cut;

	if (size == 0)
		return;
	if (width == 0) {
		out[0] = '\0';
		return;
	}
	cut = output_width(s) > width;
	need = cut ? 1 : 0; /* room kept for the ellipsis */
	while (len > 0) {
		ok = output_next_char(s, len, &n, &w);
		if (cols + w + need > width)
			break;
		if (ok && used + n < size) {
			memcpy(out + used, s, n);
			used += n;
		} else if (!ok && used + 1 < size)
			out[used++] = '?';
		cols += w;
		s += n;
		len -= n;
	}
	if (cut && used + 3 < size) {
		memcpy(out + used, "\xe2\x80\xa6", 3); /* U+2026 */
		used += 3;
		cols++;
	}
	while (cols < width && used + 1 < size) {
		out[used++] = ' ';
		cols++;
	}
	out[used] = '\0';
}

/* Draws text at (y, x), fitted to width columns and clipped at the right
 * edge (text reaching past it would wrap onto the next line). */
static void
top_put(int y, int x, const char *s, size_t width)
{
	char buf[2048];

	if (x >= COLS || y >= LINES || width == 0)
		return;
	if (width > (size_t)(COLS - x))
		width = (size_t)(COLS - x);
	/* Not the bottom right corner: some terminals scroll on it. */
	if (y == LINES - 1 && x + (int)width == COLS && width > 0)
		width--;
	top_fit(buf, sizeof(buf), s, width);
	mvaddstr(y, x, buf);
}

/* The model
 * ------------------------------------------------------------------*/

/* A copy of c that the view owns, or NULL when out of memory. */
static Tier__Candidate *
top_cand_dup(const Tier__Candidate *c)
{
	size_t len = tier__candidate__get_packed_size(c);
	uint8_t *buf = malloc(len ? len : 1);
	Tier__Candidate *copy;

	if (buf == NULL)
		return NULL;
	tier__candidate__pack(c, buf);
	copy = tier__candidate__unpack(NULL, len, buf);
	free(buf);
	return copy;
}

static void
top_row_clear(struct top_row *r)
{
	if (r->cand != NULL)
		tier__candidate__free_unpacked(r->cand, NULL);
	free(r->on_behalf_of);
	memset(r, 0, sizeof(*r));
}

static void
top_rows_clear(struct top *t)
{
	size_t i;

	for (i = 0; i < t->nrows; i++)
		top_row_clear(&t->rows[i]);
	t->nrows = 0;
}

static struct top_row *
top_row_find(struct top *t, uint64_t id)
{
	size_t i;

	for (i = 0; i < t->nrows; i++) {
		if (t->rows[i].cand->id == id)
			return &t->rows[i];
	}
	return NULL;
}

static void
top_row_remove(struct top *t, uint64_t id)
{
	struct top_row *r = top_row_find(t, id);

	if (r == NULL)
		return;
	top_row_clear(r);
	*r = t->rows[--t->nrows];
	memset(&t->rows[t->nrows], 0, sizeof(t->rows[t->nrows]));
}

/*
 * Puts the snapshot c in the model: a pending candidate gets or updates its
 * row, any other leaves. changed marks the row as just changed. Returns 0 or
 * ERR_ALLOC.
 */
static int
top_apply(struct top *t, const Tier__Candidate *c, int changed)
{
	struct top_row *r;
	Tier__Candidate *copy;
	struct top_row *rows;
	size_t cap;

	if (c->state != TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING) {
		top_row_remove(t, c->id);
		return 0;
	}
	if ((copy = top_cand_dup(c)) == NULL)
		return ERR_ALLOC;
	if ((r = top_row_find(t, c->id)) == NULL) {
		if (t->nrows == t->caprows) {
			cap = t->caprows ? t->caprows * 2 : 64;
			rows = reallocarray(t->rows, cap, sizeof(*rows));
			if (rows == NULL) {
				tier__candidate__free_unpacked(copy, NULL);
				return ERR_ALLOC;
			}
			t->rows = rows;
			t->caprows = cap;
		}
		r = &t->rows[t->nrows++];
		memset(r, 0, sizeof(*r));
	} else {
		/* A new step (or round) is not escalated yet. */
		if (r->cand->pending_since != c->pending_since ||
		    r->cand->step != c->step)
			r->escalated = 0;
		tier__candidate__free_unpacked(r->cand, NULL);
	}
	r->cand = copy;
	if (changed)
		r->changed = top_now_ms();
	return 0;
}

static struct top_cycle *
top_cycle_find(struct top *t, uint64_t id)
{
	size_t i;

	for (i = 0; i < t->ncycles; i++) {
		if (t->cycles[i].id == id)
			return &t->cycles[i];
	}
	return NULL;
}

/* Records cycle cy's step limit. Returns 0 or ERR_ALLOC. */
static int
top_cycle_note(struct top *t, const Tier__Cycle *cy)
{
	struct top_cycle *c = top_cycle_find(t, cy->id), *cs;

	if (c == NULL) {
		cs = reallocarray(t->cycles, t->ncycles + 1, sizeof(*cs));
		if (cs == NULL)
			return ERR_ALLOC;
		t->cycles = cs;
		c = &cs[t->ncycles++];
		c->id = cy->id;
	}
	c->limit_hours = cy->policy != NULL ? cy->policy->step_limit_hours : 0;
	return 0;
}

/* Seconds the row's current step has waited, by the server's clock. */
static int64_t
top_age(const struct top *t, const struct top_row *r)
{
	int64_t now = (int64_t)time(NULL) + t->skew;

	return r->cand->pending_since != 0 && now > r->cand->pending_since
		   ? now - r->cand->pending_since
		   : 0;
}

/* Whether the row's step is past its cycle's limit (or escalated). */
static int
top_overdue(struct top *t, const struct top_row *r)
{
	struct top_cycle *c = top_cycle_find(t, r->cand->cycle_id);
	int64_t hours = c != NULL && c->limit_hours != 0 ? c->limit_hours
							 : TOP_DEFAULT_LIMIT;

	return r->overdue || r->escalated || top_age(t, r) > hours * 3600;
}

/* The approver role the row waits for. */
static Tier__Role
top_row_role(const struct top_row *r)
{
	const Tier__Candidate *c = r->cand;

	return c->step < c->n_chain ? c->chain[c->step]->role
				    : TIER__ROLE__ROLE_UNSPECIFIED;
}

/* Requests ---------------------------------------------------------------*/

/*
 * Sends req and waits for its answer, marking the wait as one a signal may
 * cut short. Returns 0 with *resp (it may carry an Error) or an ERR_* code.
 */
static int
top_call(struct top *t, Tier__Request *req, Tier__Response **resp)
{
	int r;

	top_blocking = 1;
	r = conn_roundtrip(t->conn, req, resp);
	top_blocking = 0;
	return r;
}

/* Describes a transport failure in t->why. */
static void
top_why(struct top *t, int r)
{
	if (r == ERR_EOF)
		snprintf(t->why, sizeof(t->why),
		    "connection closed by the "
		    "server");
	else if (r == ERR_SYSTEM)
		snprintf(t->why, sizeof(t->why), "%s", strerror(errno));
	else
		snprintf(t->why, sizeof(t->why), "%s", err_str(r));
}

/*
 * Describes an error answer in t->why. Returns -1 when a later attempt may
 * succeed (UNAVAILABLE), else the exit code.
 */
static int
top_refused(struct top *t, const Tier__Error *e)
{
	int r;

	if (e->code == TIER__ERROR_CODE__ERROR_CODE_UNSUPPORTED) {
		snprintf(t->why, sizeof(t->why),
		    "the server at %s offers no change feed; upgrade tierd",
		    t->cfg->server);
		return EXIT_REJECTED;
	}
	snprintf(t->why, sizeof(t->why), "%s", e->message);
	if (e->code == TIER__ERROR_CODE__ERROR_CODE_UNAVAILABLE)
		return -1;
	r = output_exit_code(e->code);
	return r == 0 ? EXIT_OTHER : r;
}

/*
 * A request of the loading sequence: 0 with *resp holding a successful
 * answer; otherwise t->why says what failed and the result is -1 (try
 * again later) or an exit code.
 */
static int
top_load_call(struct top *t, Tier__Request *req, Tier__Response **resp)
{
	int r;

	if ((r = top_call(t, req, resp)) != 0) {
		top_why(t, r);
		return -1;
	}
	if ((*resp)->error == NULL)
		return 0;
	r = top_refused(t, (*resp)->error);
	tier__response__free_unpacked(*resp, NULL);
	*resp = NULL;
	return r;
}

/* Re-reads the user's queue: which rows are the user's to decide, and which
 * the server calls overdue. Returns as top_load_call. */
static int
top_load_queue(struct top *t)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__QueueRequest body = TIER__QUEUE_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct top_row *row;
	size_t i;
	int r;

	req.body_case = TIER__REQUEST__BODY_QUEUE;
	req.queue = &body;
	if ((r = top_load_call(t, &req, &resp)) != 0)
		return r;
	for (i = 0; i < t->nrows; i++) {
		t->rows[i].mine = 0;
		t->rows[i].overdue = 0;
		free(t->rows[i].on_behalf_of);
		t->rows[i].on_behalf_of = NULL;
	}
	for (i = 0; i < resp->queue->n_items; i++) {
		const Tier__QueueItem *it = resp->queue->items[i];

		if (it->candidate == NULL)
			continue;
		/* The queue may know a newer version than the list did. */
		if (top_apply(t, it->candidate, 0) != 0 ||
		    (row = top_row_find(t, it->candidate->id)) == NULL)
			continue;
		row->mine = 1;
		row->overdue = it->overdue;
		if (*it->on_behalf_of != '\0')
			row->on_behalf_of = strdup(it->on_behalf_of);
	}
	tier__response__free_unpacked(resp, NULL);
	t->queue_due = 0;
	return 0;
}

/*
 * Loads everything afresh on t->conn and subscribes to the feed from the
 * moment before: who we are, the cycles, the pending candidates of each
 * open cycle, our queue. Rows that are new or changed since the last load
 * are marked. Returns 0, -1 (retry later, t->why says why) or an exit code.
 */
static int
top_load(struct top *t)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__WhoamiRequest who = TIER__WHOAMI_REQUEST__INIT;
	Tier__CycleListRequest cl = TIER__CYCLE_LIST_REQUEST__INIT;
	Tier__CandidateListRequest kl = TIER__CANDIDATE_LIST_REQUEST__INIT;
	Tier__Response *resp = NULL, *cycles = NULL;
	struct watch_spec all = { 0 };
	struct top_row *old = NULL;
	size_t nold = 0, oldcap = 0, i, j, got;
	uint64_t head;
	int r, first = t->user == NULL;

	if (first) {
		req.body_case = TIER__REQUEST__BODY_WHOAMI;
		req.whoami = &who;
		if ((r = top_load_call(t, &req, &resp)) != 0)
			return r;
		if (resp->whoami->user != NULL) {
			t->user = strdup(resp->whoami->user->name);
			t->role = resp->whoami->user->role;
		}
		tier__response__free_unpacked(resp, NULL);
		resp = NULL;
		if (t->user == NULL)
			return output_oom();
	}

	/* The feed position first, so no change slips between. */
	top_blocking = 1;
	r = watch_ping(t->conn, &resp);
	top_blocking = 0;
	if (r != 0) {
		top_why(t, r);
		return -1;
	}
	if (resp->error != NULL) {
		r = top_refused(t, resp->error);
		tier__response__free_unpacked(resp, NULL);
		return r;
	}
	head = resp->ping->head_seq;
	t->skew = resp->ping->now - (int64_t)time(NULL);
	tier__response__free_unpacked(resp, NULL);
	resp = NULL;

	/* Keep the old rows to see what changed meanwhile. */
	old = t->rows;
	nold = t->nrows;
	oldcap = t->caprows;
	t->rows = NULL;
	t->nrows = t->caprows = 0;

	req.body_case = TIER__REQUEST__BODY_CYCLE_LIST;
	req.cycle_list = &cl;
	if ((r = top_load_call(t, &req, &cycles)) != 0)
		goto out;
	t->ncycles = 0;
	for (i = 0; i < cycles->cycle_list->n_cycles; i++) {
		const Tier__Cycle *cy = cycles->cycle_list->cycles[i];

		if ((r = top_cycle_note(t, cy)) != 0) {
			r = output_oom();
			goto out;
		}
		if (cy->state != TIER__CYCLE_STATE__CYCLE_STATE_OPEN)
			continue;
		kl.cycle_id = cy->id;
		kl.state = TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING;
		kl.page_size = TOP_PAGE;
		got = 0;
		do {
			kl.page_offset = (uint32_t)got;
			req.body_case = TIER__REQUEST__BODY_CANDIDATE_LIST;
			req.candidate_list = &kl;
			if ((r = top_load_call(t, &req, &resp)) != 0)
				goto out;
			for (j = 0; j < resp->candidate_list->n_candidates;
			     j++) {
				const Tier__Candidate *k =
				    resp->candidate_list->candidates[j];
				size_t o;
				int changed = !first;

				for (o = 0; o < nold; o++) {
					if (old[o].cand->id == k->id &&
					    old[o].cand->version == k->version)
						changed = 0;
				}
				if (top_apply(t, k, changed) != 0) {
					r = output_oom();
					goto out;
				}
			}
			got += resp->candidate_list->n_candidates;
			j = resp->candidate_list->n_candidates;
			r = got < resp->candidate_list->total && j > 0;
			tier__response__free_unpacked(resp, NULL);
			resp = NULL;
		} while (r);
	}
	/* Marks of changes seen before survive the reload. */
	for (i = 0; i < nold; i++) {
		struct top_row *n = top_row_find(t, old[i].cand->id);

		if (n != NULL && n->changed == 0) {
			n->changed = old[i].changed;
			if (n->cand->pending_since ==
				old[i].cand->pending_since &&
			    n->cand->step == old[i].cand->step)
				n->escalated = old[i].escalated;
		}
	}
	if ((r = top_load_queue(t)) != 0)
		goto out;

	top_blocking = 1;
	r = watch_subscribe(t->conn, &all, head, &resp);
	top_blocking = 0;
	if (r != 0) {
		top_why(t, r);
		r = -1;
	} else if (resp->error != NULL)
		r = top_refused(t, resp->error);
	else if (resp->subscribe->resync_required) {
		/* Only if the head moved past the resume window at once. */
		snprintf(t->why, sizeof(t->why),
		    "the server cannot resume from its own head");
		r = -1;
	}
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	if (cycles != NULL)
		tier__response__free_unpacked(cycles, NULL);
	if (r != 0) {
		/* Half a load helps nobody: keep showing what we had. */
		top_rows_clear(t);
		free(t->rows);
		t->rows = old;
		t->nrows = nold;
		t->caprows = oldcap;
		old = NULL;
		nold = 0;
	}
	for (i = 0; i < nold; i++)
		top_row_clear(&old[i]);
	free(old);
	if (r == 0) {
		t->pos = head;
		t->heard = top_now_ms();
		t->ping_due = t->heard + WATCH_HEARTBEAT_SECONDS * 1000;
	}
	return r;
}

/* The connection ----------------------------------------------------------*/

/* Drops the connection; reconnection starts after the backoff. */
static void
top_disconnect(struct top *t)
{
	conn_free(t->conn);
	t->conn = NULL;
	t->retry_at = top_now_ms() + t->backoff;
	t->backoff =
	    t->backoff * 2 < TOP_BACKOFF_MAX ? t->backoff * 2 : TOP_BACKOFF_MAX;
}

/* Connects and reloads. Returns 0, -1 (try again later) or an exit code. */
static int
top_connect(struct top *t)
{
	int r;

	top_blocking = 1;
	r = conn_connect(&t->conn, t->cfg);
	top_blocking = 0;
	if (r != 0) {
		if (r != EXIT_CONNECT && r != EXIT_UNAVAILABLE)
			return r;
		top_last_error(t->why, sizeof(t->why));
		return -1;
	}
	return top_load(t);
}

/* Applies one message from the feed. Returns 0, -1 (reconnect) or an exit
 * code. */
static int
top_handle(struct top *t, const Tier__ServerMessage *sm)
{
	const Tier__Event *ev = sm->event;
	struct top_row *row;
	char text[512];
	int r;

	if (sm->kind_case == TIER__SERVER_MESSAGE__KIND_RESYNC) {
		/* Our subscription ended: load afresh on this connection. */
		top_status(t, "the server asked for a reload (%s)",
		    sm->resync != NULL ? sm->resync->reason : "");
		return top_load(t);
	}
	if (sm->kind_case != TIER__SERVER_MESSAGE__KIND_EVENT || ev == NULL ||
	    ev->seq <= t->pos)
		return 0;
	t->pos = ev->seq;
	if (ev->cycle != NULL && top_cycle_note(t, ev->cycle) != 0)
		return output_oom();
	if (strcmp(ev->entity, "candidate") != 0)
		return 0;
	if (ev->candidate == NULL) {
		/* Out of sight now. */
		top_row_remove(t, ev->entity_id);
		return 0;
	}
	if (ev->candidate->state !=
		TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING &&
	    top_row_find(t, ev->entity_id) != NULL)
		top_status(t, "%s by %s",
		    watch_event_text(ev, text, sizeof(text)),
		    *ev->user != '\0' ? ev->user : "tierd");
	if ((r = top_apply(t, ev->candidate, 1)) != 0)
		return output_oom();
	if (strcmp(ev->action, "candidate.escalate") == 0 &&
	    (row = top_row_find(t, ev->entity_id)) != NULL) {
		row->escalated = 1;
		top_status(t, "%s", watch_event_text(ev, text, sizeof(text)));
	}
	/* Who may decide what follows from the queue. */
	if (t->queue_due == 0)
		t->queue_due = top_now_ms() + TOP_QUEUE_DELAY;
	return 0;
}

/* Reads whatever the server has sent, pings when due, notices silence.
 * Returns 0, -1 (reconnect) or an exit code. */
static int
top_pump(struct top *t)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__PingRequest ping = TIER__PING_REQUEST__INIT;
	Tier__ServerMessage *sm;
	int64_t now = top_now_ms();
	int r;

	for (;;) {
		r = conn_recv(t->conn, 0, &sm);
		if (r == ERR_TIMEOUT)
			break;
		if (r != 0) {
			top_why(t, r);
			return -1;
		}
		t->heard = now = top_now_ms();
		r = top_handle(t, sm);
		tier__server_message__free_unpacked(sm, NULL);
		if (r != 0)
			return r;
	}
	if (now >= t->ping_due) {
		req.body_case = TIER__REQUEST__BODY_PING;
		req.ping = &ping;
		if ((r = conn_send(t->conn, &req)) != 0) {
			top_why(t, r);
			return -1;
		}
		t->ping_due = now + WATCH_HEARTBEAT_SECONDS * 1000;
	}
	if (now - t->heard > 3 * WATCH_HEARTBEAT_SECONDS * 1000) {
		snprintf(t->why, sizeof(t->why),
		    "no word from the server for %d s",
		    3 * WATCH_HEARTBEAT_SECONDS);
		return -1;
	}
	if (t->queue_due != 0 && now >= t->queue_due)
		return top_load_queue(t);
	return 0;
}

/* Decisions ----------------------------------------------------------------*/

/* Sends action on candidate id with reason; reports the outcome. */
static void
top_act(struct top *t, uint64_t id, Tier__CandidateAction action,
    const char *reason)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CandidateActRequest body = TIER__CANDIDATE_ACT_REQUEST__INIT;
	Tier__Response *resp = NULL;
	struct top_row *row = top_row_find(t, id);
	const char *verb = output_candidate_action(action);
	int r;

	if (row == NULL) {
		top_status(t, "candidate %llu is no longer pending",
		    (unsigned long long)id);
		return;
	}
	if (t->conn == NULL) {
		top_status(t, "not connected: %s %llu when reconnected", verb,
		    (unsigned long long)id);
		return;
	}
	body.candidate_id = id;
	body.version = row->cand->version;
	body.action = action;
	body.reason = (char *)reason;
	req.body_case = TIER__REQUEST__BODY_CANDIDATE_ACT;
	req.candidate_act = &body;
	if ((r = top_call(t, &req, &resp)) != 0) {
		top_why(t, r);
		top_status(t,
		    "%s %llu: connection lost; it may or may not have "
		    "happened",
		    verb, (unsigned long long)id);
		top_disconnect(t);
		return;
	}
	if (resp->error != NULL) {
		top_status(t, "%s %llu refused: %s", verb,
		    (unsigned long long)id, resp->error->message);
	} else if (resp->candidate_act->candidate != NULL) {
		const Tier__Candidate *k = resp->candidate_act->candidate;

		top_status(t, "%s %llu done: %s is %s", verb,
		    (unsigned long long)id, k->customer,
		    output_candidate_state(k->state));
		top_apply(t, k, 1);
		t->queue_due = top_now_ms() + TOP_QUEUE_DELAY;
	}
	tier__response__free_unpacked(resp, NULL);
}

/* Drawing ------------------------------------------------------------------*/

static int
top_role_rank(Tier__Role role)
{
	switch (role) {
	case TIER__ROLE__ROLE_BU_VP:
		return 0;
	case TIER__ROLE__ROLE_BG_VP:
		return 1;
	default:
		return 2 + (int)role;
	}
}

/* qsort has no argument: the sort key of the running comparison. */
static const struct top *top_sorting;

static int
top_row_cmp(const void *a, const void *b)
{
	const struct top_row *x = *(const struct top_row *const *)a;
	const struct top_row *y = *(const struct top_row *const *)b;
	int d;

	d = top_role_rank(top_row_role(x)) - top_role_rank(top_row_role(y));
	if (d != 0)
		return d;
	if ((d = strcmp(x->cand->segment, y->cand->segment)) != 0)
		return d;
	switch (top_sorting->sort) {
	case TOP_SORT_AGE:
		if (x->cand->pending_since != y->cand->pending_since)
			return x->cand->pending_since < y->cand->pending_since
				   ? -1
				   : 1;
		break;
	case TOP_SORT_SCORE:
		if (x->cand->score != y->cand->score)
			return x->cand->score > y->cand->score ? -1 : 1;
		break;
	case TOP_SORT_CUSTOMER:
		if ((d = strcmp(x->cand->customer, y->cand->customer)) != 0)
			return d;
		break;
	default:
		break;
	}
	return x->cand->id < y->cand->id ? -1 : x->cand->id > y->cand->id;
}

/* Whether the row matches the filter text. */
static int
top_row_matches(const struct top *t, const struct top_row *r)
{
	const Tier__Candidate *c = r->cand;
	char id[24];

	if (t->filter[0] == '\0')
		return 1;
	snprintf(id, sizeof(id), "%llu", (unsigned long long)c->id);
	return strcasestr(id, t->filter) != NULL ||
	       strcasestr(c->customer, t->filter) != NULL ||
	       strcasestr(c->segment, t->filter) != NULL ||
	       strcasestr(c->bu, t->filter) != NULL ||
	       strcasestr(c->owner, t->filter) != NULL ||
	       strcasestr(output_candidate_tier(c->tier), t->filter) != NULL ||
	       strcasestr(msg_role_name(top_row_role(r)), t->filter) != NULL;
}

/*
 * The list as lines, group headings included: the rows that match the
 * filter, grouped by approver role and segment. *lines is a heap array of
 * *n entries (NULL when empty). Returns 0 or ERR_ALLOC.
 */
static int
top_lines(struct top *t, struct top_line **lines, size_t *n)
{
	const struct top_row **sorted;
	struct top_line *out;
	size_t i, m = 0, k = 0, head = 0;

	*lines = NULL;
	*n = 0;
	if (t->nrows == 0)
		return 0;
	if ((sorted = calloc(t->nrows, sizeof(*sorted))) == NULL)
		return ERR_ALLOC;
	for (i = 0; i < t->nrows; i++) {
		if (top_row_matches(t, &t->rows[i]))
			sorted[m++] = &t->rows[i];
	}
	top_sorting = t;
	if (m > 0)
		qsort(sorted, m, sizeof(*sorted), top_row_cmp);
	if ((out = calloc(2 * m + 1, sizeof(*out))) == NULL) {
		free(sorted);
		return ERR_ALLOC;
	}
	for (i = 0; i < m; i++) {
		Tier__Role role = top_row_role(sorted[i]);

		if (i == 0 || role != out[head].role ||
		    strcmp(sorted[i]->cand->segment, out[head].segment) != 0) {
			head = k++;
			out[head].role = role;
			out[head].segment = sorted[i]->cand->segment;
		}
		out[head].count++;
		out[k].row = sorted[i];
		out[k].role = role;
		out[k++].segment = sorted[i]->cand->segment;
	}
	free(sorted);
	*lines = out;
	*n = k;
	return 0;
}

/* Column widths of the list for the terminal's width. */
struct top_cols {
	size_t flags, id, customer, tier, score, step, age, cycle, owner;
};

static void
top_columns(struct top_cols *c)
{
	size_t cols = COLS > 0 ? (size_t)COLS : 80, fixed;

	c->flags = 3;
	c->id = 6;
	c->tier = 10;
	c->score = 7;
	c->step = 11;
	c->age = 9;
	c->cycle = 14;
	c->owner = 10;
	fixed = c->flags + c->id + c->tier + c->score + c->step + c->age +
		c->cycle + c->owner;
	/* Narrow terminals lose the least useful columns first. */
	if (cols < fixed + 16) {
		fixed -= c->owner;
		c->owner = 0;
	}
	if (cols < fixed + 16) {
		fixed -= c->cycle;
		c->cycle = 0;
	}
	if (cols < fixed + 12) {
		fixed -= c->step;
		c->step = 0;
	}
	c->customer = cols > fixed + 1 ? cols - fixed - 1 : 1;
	/* Wider makes the rows hard to follow. */
	if (c->customer > TOP_CUSTOMER_MAX)
		c->customer = TOP_CUSTOMER_MAX;
}

/* Draws one row at line y. */
static void
top_draw_row(struct top *t, int y, const struct top_row *r,
    const struct top_cols *c, int selected)
{
	const Tier__Candidate *k = r->cand;
	char buf[256], age[32];
	int64_t now = top_now_ms();
	int overdue = top_overdue(t, r), changed, x = 0;
	attr_t attr = A_NORMAL;

	changed = r->changed != 0 && now - r->changed < TOP_CHANGED_MS;
	if (overdue)
		attr |= A_BOLD | (t->color ? COLOR_PAIR(1) : 0);
	else if (changed && t->color)
		attr |= COLOR_PAIR(2);
	if (selected)
		attr |= A_REVERSE;
	attrset(attr);
	/* Flags: '*' just changed, '!' overdue, '>' yours to decide. */
	snprintf(buf, sizeof(buf), "%c%c%c", changed ? '*' : ' ',
	    overdue ? '!' : ' ', r->mine ? '>' : ' ');
	top_put(y, x, buf, c->flags);
	x += (int)c->flags;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)k->id);
	top_put(y, x, buf, c->id);
	x += (int)c->id;
	top_put(y, x, k->customer, c->customer);
	x += (int)c->customer;
	mvaddch(y, x++, ' ');
	top_put(y, x, output_candidate_tier(k->tier), c->tier);
	x += (int)c->tier;
	if (k->score_complete)
		snprintf(buf, sizeof(buf), "%6.2f", k->score);
	else
		snprintf(buf, sizeof(buf), "%6s", "-");
	top_put(y, x, buf, c->score);
	x += (int)c->score;
	if (c->step > 0) {
		snprintf(buf, sizeof(buf), "%u/%zu%s%s", k->step + 1,
		    k->n_chain, r->on_behalf_of != NULL ? " for " : "",
		    r->on_behalf_of != NULL ? r->on_behalf_of : "");
		top_put(y, x, buf, c->step);
		x += (int)c->step;
	}
	output_duration(top_age(t, r), age, sizeof(age));
	snprintf(buf, sizeof(buf), "%s%s", age, overdue ? "!" : "");
	top_put(y, x, buf, c->age);
	x += (int)c->age;
	if (c->cycle > 0) {
		snprintf(buf, sizeof(buf), "%s %u", k->bu, k->year);
		top_put(y, x, buf, c->cycle);
		x += (int)c->cycle;
	}
	if (c->owner > 0) {
		top_put(y, x, k->owner, c->owner);
		x += (int)c->owner;
	}
	if (x < COLS)
		top_put(y, x, "", (size_t)(COLS - x));
	attrset(A_NORMAL);
}

/* The headline and, with titles, the column titles. */
static void
top_draw_head(struct top *t, const struct top_cols *c, int titles)
{
	char buf[1024];
	size_t i, mine = 0, overdue = 0;
	int x = 0;

	for (i = 0; i < t->nrows; i++) {
		mine += t->rows[i].mine;
		overdue += top_overdue(t, &t->rows[i]);
	}
	snprintf(buf, sizeof(buf),
	    "tier top  %s (%s) at %s   %zu pending, %zu yours, %zu overdue   "
	    "sort: %s%s%s",
	    t->user != NULL ? t->user : "?",
	    t->user != NULL ? msg_role_name(t->role) : "?", t->cfg->server,
	    t->nrows, mine, overdue, top_sort_names[t->sort],
	    t->filter[0] != '\0' ? "   filter: " : "", t->filter);
	attrset(A_REVERSE);
	top_put(0, 0, buf, (size_t)COLS);
	attrset(A_NORMAL);
	if (!titles)
		return;
	attrset(A_BOLD);
	top_put(1, x, "", c->flags);
	x += (int)c->flags;
	top_put(1, x, "ID", c->id);
	x += (int)c->id;
	top_put(1, x, "CUSTOMER", c->customer + 1);
	x += (int)c->customer + 1;
	top_put(1, x, "TIER", c->tier);
	x += (int)c->tier;
	top_put(1, x, " SCORE", c->score);
	x += (int)c->score;
	if (c->step > 0) {
		top_put(1, x, "STEP", c->step);
		x += (int)c->step;
	}
	top_put(1, x, "WAITING", c->age);
	x += (int)c->age;
	if (c->cycle > 0) {
		top_put(1, x, "CYCLE", c->cycle);
		x += (int)c->cycle;
	}
	if (c->owner > 0) {
		top_put(1, x, "OWNER", c->owner);
		x += (int)c->owner;
	}
	if (x < COLS)
		top_put(1, x, "", (size_t)(COLS - x));
	attrset(A_NORMAL);
}

/* The two bottom lines: the status, and the connection or the keys. */
static void
top_draw_foot(struct top *t)
{
	char in[TOP_PROMPT_MAX * MB_LEN_MAX + 1], buf[sizeof(in) + 128];
	int64_t now = top_now_ms(), wait;
	size_t n;

	if (LINES < 3)
		return;
	if (t->mode == TOP_MODE_PROMPT) {
		n = wcstombs(in, t->input, sizeof(in));
		if (n == (size_t)-1)
			in[0] = '\0';
		switch (t->prompt) {
		case TOP_PROMPT_FILTER:
			snprintf(buf, sizeof(buf), "filter: %s", in);
			break;
		case TOP_PROMPT_APPROVE:
			snprintf(buf, sizeof(buf),
			    "approve %llu? y or Enter approves, Esc cancels: "
			    "%s",
			    (unsigned long long)t->target, in);
			break;
		case TOP_PROMPT_REJECT:
		case TOP_PROMPT_RETURN:
			snprintf(buf, sizeof(buf),
			    "reason to %s %llu (Enter sends, Esc cancels): %s",
			    t->prompt == TOP_PROMPT_REJECT ? "reject"
							   : "return",
			    (unsigned long long)t->target, in);
			break;
		}
	} else if (now < t->status_until)
		snprintf(buf, sizeof(buf), "%s", t->status);
	else
		buf[0] = '\0';
	top_put(LINES - 2, 0, buf, (size_t)COLS);

	if (t->conn == NULL) {
		wait = t->retry_at > now ? (t->retry_at - now + 999) / 1000 : 0;
		snprintf(buf, sizeof(buf),
		    "reconnecting\xe2\x80\xa6 (%s; attempt %d in %llds)",
		    t->why, t->attempts + 1, (long long)wait);
		attrset(A_REVERSE | A_BOLD | (t->color ? COLOR_PAIR(1) : 0));
	} else {
		snprintf(buf, sizeof(buf),
		    "q quit  / filter  s sort  Enter detail  a approve  "
		    "r reject  t return   live, change #%llu",
		    (unsigned long long)t->pos);
		attrset(A_REVERSE);
	}
	top_put(LINES - 1, 0, buf, (size_t)COLS);
	attrset(A_NORMAL);
	if (t->mode == TOP_MODE_PROMPT) {
		move(LINES - 2, (int)output_width(buf) < COLS
				    ? (int)output_width(buf)
				    : COLS - 1);
	}
}

/* The full-screen view of the candidate t->target. */
static void
top_draw_detail(struct top *t)
{
	struct top_row *r = top_row_find(t, t->target);
	const Tier__Candidate *k;
	char buf[1024], age[32], when[OUTPUT_TIME_SIZE];
	int y = 2;
	size_t i;

	if (r == NULL) {
		top_put(2, 0, "this candidate is no longer pending", COLS);
		return;
	}
	k = r->cand;
#define TOP_FIELD(label, ...)                                                  \
	do {                                                                   \
		if (y < LINES - 2) {                                           \
			snprintf(buf, sizeof(buf), "%-15s", label);            \
			size_t used_ = strlen(buf);                            \
			snprintf(                                              \
			    buf + used_, sizeof(buf) - used_, __VA_ARGS__);    \
			top_put(y++, 0, buf, (size_t)COLS);                    \
		}                                                              \
	} while (0)
	TOP_FIELD("candidate", "%llu (version %llu)", (unsigned long long)k->id,
	    (unsigned long long)k->version);
	TOP_FIELD("customer", "%s (customer %llu)", k->customer,
	    (unsigned long long)k->customer_id);
	TOP_FIELD("cycle", "%s %u (cycle %llu), segment %s", k->bu, k->year,
	    (unsigned long long)k->cycle_id, k->segment);
	output_duration(top_age(t, r), age, sizeof(age));
	TOP_FIELD("state", "pending at step %u of %zu (%s) for %s%s",
	    k->step + 1, k->n_chain, msg_role_name(top_row_role(r)), age,
	    top_overdue(t, r) ? ", OVERDUE" : "");
	if (k->score_complete)
		TOP_FIELD("score", "%.2f, rank %u in the segment, %u in the BU",
		    k->score, k->rank_segment, k->rank_bu);
	TOP_FIELD("tier", "%s (suggested %s)", output_candidate_tier(k->tier),
	    output_candidate_tier(k->suggested_tier));
	if (*k->justification != '\0')
		TOP_FIELD("justification", "%s", k->justification);
	TOP_FIELD("owner", "%s", k->owner);
	TOP_FIELD("proposed by", "%s", k->proposed_by);
	TOP_FIELD("submitted by", "%s", k->submitted_by);
	for (i = 0; i < k->n_chain; i++) {
		const Tier__ApprovalStep *s = k->chain[i];

		if (*s->decided_by != '\0') {
			output_time(s->decided_at, when);
			TOP_FIELD(i == 0 ? "chain" : "",
			    "%zu. %s: approved by %s%s%s %s", i + 1,
			    msg_role_name(s->role), s->decided_by,
			    *s->on_behalf_of != '\0' ? " for " : "",
			    s->on_behalf_of, when);
		} else
			TOP_FIELD(i == 0 ? "chain" : "", "%zu. %s%s", i + 1,
			    msg_role_name(s->role),
			    i == k->step ? ": waiting" : "");
	}
	for (i = 0; i < k->n_missing; i++)
		TOP_FIELD(i == 0 ? "missing" : "", "%s", k->missing[i]);
	if (*k->reason != '\0')
		TOP_FIELD("last reason", "%s", k->reason);
	if (r->mine)
		TOP_FIELD("yours", "you may decide this step%s%s",
		    r->on_behalf_of != NULL ? ", for " : "",
		    r->on_behalf_of != NULL ? r->on_behalf_of : "");
	y++;
	TOP_FIELD("", "a approve, r reject, t return; any other key goes back");
#undef TOP_FIELD
}

/* Redraws the whole screen. */
static void
top_draw(struct top *t)
{
	struct top_line *lines = NULL;
	struct top_cols c;
	size_t n = 0, i, rows_seen = 0, sel_line = 0, height;
	int y;

	erase();
	top_columns(&c);
	top_draw_head(t, &c, t->mode != TOP_MODE_DETAIL);
	if (t->mode == TOP_MODE_DETAIL) {
		top_draw_detail(t);
		top_draw_foot(t);
		refresh();
		return;
	}
	if (top_lines(t, &lines, &n) != 0) {
		top_put(2, 0, "out of memory", (size_t)COLS);
		refresh();
		return;
	}
	/* Keep the selected candidate selected while rows come and go. */
	for (i = 0; i < n; i++) {
		if (lines[i].row == NULL)
			continue;
		if (lines[i].row->cand->id == t->sel_id) {
			t->sel = rows_seen;
			break;
		}
		rows_seen++;
	}
	rows_seen = 0;
	for (i = 0; i < n; i++) {
		if (lines[i].row == NULL)
			continue;
		if (rows_seen == t->sel || i + 1 == n)
			sel_line = i;
		if (rows_seen++ == t->sel)
			break;
	}
	if (rows_seen > 0 && t->sel >= rows_seen)
		t->sel = rows_seen - 1;
	for (i = 0, rows_seen = 0; i < n; i++) {
		if (lines[i].row != NULL && rows_seen++ == t->sel) {
			t->sel_id = lines[i].row->cand->id;
			sel_line = i;
		}
	}
	height = LINES > 4 ? (size_t)LINES - 4 : 1;
	if (sel_line < t->scroll)
		t->scroll = sel_line > 0 && lines[sel_line - 1].row == NULL
				? sel_line - 1
				: sel_line;
	if (sel_line >= t->scroll + height)
		t->scroll = sel_line - height + 1;
	if (t->scroll > n)
		t->scroll = 0;
	if (n == 0)
		top_put(3, 2,
		    t->nrows == 0 ? "nothing is waiting for approval in your "
				    "scope"
				  : "no pending candidate matches the filter",
		    (size_t)COLS > 2 ? (size_t)COLS - 2 : 1);
	for (i = t->scroll, y = 2; i < n && y < LINES - 2; i++, y++) {
		const struct top_line *l = &lines[i];
		char buf[512];

		if (l->row == NULL) {
			snprintf(buf, sizeof(buf), "%s \xc2\xb7 %s (%zu)",
			    l->role != TIER__ROLE__ROLE_UNSPECIFIED
				? msg_role_name(l->role)
				: "?",
			    l->segment, l->count);
			attrset(A_BOLD | A_UNDERLINE);
			top_put(y, 0, buf, (size_t)COLS);
			attrset(A_NORMAL);
		} else
			top_draw_row(t, y, l->row, &c, i == sel_line);
	}
	free(lines);
	top_draw_foot(t);
	refresh();
}

/* Keys
 * -----------------------------------------------------------------------*/

/* Opens a prompt of kind p about candidate id. */
static void
top_prompt_open(struct top *t, enum top_prompt p, uint64_t id)
{
	t->mode = TOP_MODE_PROMPT;
	t->prompt = p;
	t->target = id;
	t->ninput = 0;
	t->input[0] = L'\0';
	if (p == TOP_PROMPT_FILTER) {
		size_t n = mbstowcs(t->input, t->filter, TOP_PROMPT_MAX);

		t->ninput = n == (size_t)-1 ? 0 : n;
		t->input[t->ninput] = L'\0';
	}
	curs_set(1);
}

static void
top_prompt_close(struct top *t)
{
	t->mode = TOP_MODE_LIST;
	curs_set(0);
}

/* Enter at a prompt. */
static void
top_prompt_done(struct top *t)
{
	char text[TOP_PROMPT_MAX * MB_LEN_MAX + 1];
	size_t n = wcstombs(text, t->input, sizeof(text));

	if (n == (size_t)-1)
		text[0] = '\0';
	top_prompt_close(t);
	switch (t->prompt) {
	case TOP_PROMPT_FILTER:
		snprintf(t->filter, sizeof(t->filter), "%.*s",
		    (int)(sizeof(t->filter) - 1), text);
		t->sel = 0;
		t->sel_id = 0;
		t->scroll = 0;
		break;
	case TOP_PROMPT_APPROVE:
		top_act(t, t->target,
		    TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_APPROVE, text);
		break;
	case TOP_PROMPT_REJECT:
	case TOP_PROMPT_RETURN:
		if (text[0] == '\0') {
			top_status(t, "a reason is required; nothing sent");
			break;
		}
		top_act(t, t->target,
		    t->prompt == TOP_PROMPT_REJECT
			? TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_REJECT
			: TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_RETURN,
		    text);
		break;
	}
}

/* A key at a prompt. */
static void
top_prompt_key(struct top *t, int kind, wint_t wc)
{
	if (kind == KEY_CODE_YES) {
		if (wc == KEY_ENTER)
			top_prompt_done(t);
		else if (wc == KEY_BACKSPACE && t->ninput > 0)
			t->input[--t->ninput] = L'\0';
		return;
	}
	if (wc == 27) { /* Esc */
		top_prompt_close(t);
		return;
	}
	if (wc == L'\n' || wc == L'\r') {
		top_prompt_done(t);
		return;
	}
	if (wc == 127 || wc == 8) {
		if (t->ninput > 0)
			t->input[--t->ninput] = L'\0';
		return;
	}
	if (wc == 21) { /* ^U */
		t->ninput = 0;
		t->input[0] = L'\0';
		return;
	}
	if (t->prompt == TOP_PROMPT_APPROVE && t->ninput == 0 &&
	    (wc == L'y' || wc == L'Y')) {
		top_prompt_done(t);
		return;
	}
	if (t->prompt == TOP_PROMPT_APPROVE && t->ninput == 0 &&
	    (wc == L'n' || wc == L'N')) {
		top_prompt_close(t);
		return;
	}
	if (iswprint(wc) && t->ninput < TOP_PROMPT_MAX) {
		t->input[t->ninput++] = (wchar_t)wc;
		t->input[t->ninput] = L'\0';
	}
}

/* A key in the list or the detail view. */
static void
top_key(struct top *t, int kind, wint_t wc)
{
	uint64_t id = t->mode == TOP_MODE_DETAIL ? t->target : t->sel_id;

	if (t->mode == TOP_MODE_PROMPT) {
		top_prompt_key(t, kind, wc);
		return;
	}
	if (kind == KEY_CODE_YES) {
		if (wc == KEY_RESIZE)
			return;
		if (t->mode == TOP_MODE_DETAIL) {
			t->mode = TOP_MODE_LIST;
			return;
		}
		switch (wc) {
		case KEY_UP:
			if (t->sel > 0)
				t->sel--;
			t->sel_id = 0;
			break;
		case KEY_DOWN:
			t->sel++;
			t->sel_id = 0;
			break;
		case KEY_PPAGE:
			t->sel = t->sel > (size_t)LINES / 2
				     ? t->sel - (size_t)LINES / 2
				     : 0;
			t->sel_id = 0;
			break;
		case KEY_NPAGE:
			t->sel += (size_t)LINES / 2;
			t->sel_id = 0;
			break;
		case KEY_HOME:
			t->sel = 0;
			t->sel_id = 0;
			break;
		case KEY_END:
			t->sel = (size_t)-1 / 2;
			t->sel_id = 0;
			break;
		case KEY_ENTER:
			if (id != 0) {
				t->target = id;
				t->mode = TOP_MODE_DETAIL;
			}
			break;
		}
		return;
	}
	switch (wc) {
	case L'q':
	case L'Q':
		if (t->mode == TOP_MODE_DETAIL)
			t->mode = TOP_MODE_LIST;
		else
			t->quit = 1;
		return;
	case L'a':
	case L'r':
	case L't':
		if (id == 0) {
			top_status(t, "select a candidate first");
			return;
		}
		top_prompt_open(t,
		    wc == L'a'   ? TOP_PROMPT_APPROVE
		    : wc == L'r' ? TOP_PROMPT_REJECT
				 : TOP_PROMPT_RETURN,
		    id);
		return;
	case 12: /* ^L */
		clearok(curscr, TRUE);
		return;
	}
	if (t->mode == TOP_MODE_DETAIL) {
		t->mode = TOP_MODE_LIST;
		return;
	}
	switch (wc) {
	case L'/':
		top_prompt_open(t, TOP_PROMPT_FILTER, 0);
		break;
	case L's':
		t->sort = (t->sort + 1) % TOP_SORT_COUNT;
		top_status(t, "sorted by %s", top_sort_names[t->sort]);
		break;
	case L'k':
		if (t->sel > 0)
			t->sel--;
		t->sel_id = 0;
		break;
	case L'j':
		t->sel++;
		t->sel_id = 0;
		break;
	case L'g':
		t->sel = 0;
		t->sel_id = 0;
		break;
	case L'G':
		t->sel = (size_t)-1 / 2;
		t->sel_id = 0;
		break;
	case L'\n':
	case L'\r':
		if (id != 0) {
			t->target = id;
			t->mode = TOP_MODE_DETAIL;
		}
		break;
	}
}

/* Set-up and the loop
 * --------------------------------------------------------*/

/* Starts curses with stderr captured. Returns 0 or EXIT_OTHER. */
static int
top_screen_open(struct top *t)
{
	struct sigaction sa;

	if (tcgetattr(STDIN_FILENO, &top_saved_tty) == 0)
		top_have_tty = 1;
	/* Messages on stderr would scribble over the screen: keep them
	 * until the screen is gone. */
	fflush(stderr);
	if ((top_captured = tmpfile()) != NULL &&
	    (top_saved_stderr = dup(STDERR_FILENO)) != -1)
		dup2(fileno(top_captured), STDERR_FILENO);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = top_signal_cb;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll returns so the loop sees the signal. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (initscr() == NULL)
		return EXIT_OTHER;
	top_reset_len = 0;
	top_reset_add("sgr0");
	top_reset_add("cnorm");
	top_reset_add("rmkx");
	top_reset_add("rmcup");
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(50);
	curs_set(0);
	if (has_colors() && getenv("NO_COLOR") == NULL) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_RED, -1);
		init_pair(2, COLOR_YELLOW, -1);
		t->color = 1;
	}
	return 0;
}

/* Ends curses and gives stderr back, replaying what it caught when the
 * view ends in failure. */
static void
top_screen_close(int failed)
{
	struct sigaction sa;
	char buf[4096];
	size_t n;

	if (!isendwin())
		endwin();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	top_reset_len = 0;
	fflush(stderr);
	if (top_saved_stderr != -1) {
		dup2(top_saved_stderr, STDERR_FILENO);
		close(top_saved_stderr);
		top_saved_stderr = -1;
	}
	if (top_captured != NULL) {
		if (failed && fseek(top_captured, 0, SEEK_SET) == 0) {
			while (
			    (n = fread(buf, 1, sizeof(buf), top_captured)) > 0)
				fwrite(buf, 1, n, stderr);
		}
		fclose(top_captured);
		top_captured = NULL;
	}
}

/* How long the loop may sleep: until the next ping, retry or tick. */
static int
top_timeout(const struct top *t)
{
	int64_t now = top_now_ms(), next = now + 1000 - now % 1000;

	if (t->conn != NULL && t->ping_due < next)
		next = t->ping_due;
	if (t->conn == NULL && t->retry_at < next)
		next = t->retry_at;
	if (t->conn != NULL && t->queue_due != 0 && t->queue_due < next)
		next = t->queue_due;
	return next > now ? (int)(next - now) : 0;
}

/* The view's loop; returns the exit code. */
static int
top_loop(struct top *t)
{
	struct pollfd pfd[2];
	wint_t wc;
	int kind, r, n;

	while (!t->quit && top_signal == 0) {
		if (t->conn != NULL && (r = top_pump(t)) != 0) {
			if (r > 0)
				return r;
			top_disconnect(t);
			t->attempts = 0;
		}
		if (t->conn == NULL && top_now_ms() >= t->retry_at) {
			top_draw(t);
			r = top_connect(t);
			if (r > 0)
				return r;
			if (r == 0) {
				top_status(
				    t, "reconnected to %s", t->cfg->server);
				t->attempts = 0;
				t->backoff = TOP_BACKOFF_MIN;
			} else {
				t->attempts++;
				top_disconnect(t);
			}
		}
		top_draw(t);
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = t->conn != NULL ? conn_fd(t->conn) : -1;
		pfd[1].events = POLLIN;
		n = poll(pfd, 2, top_timeout(t));
		if (n == -1 && errno != EINTR)
			return EXIT_OTHER;
		/* Keys, including KEY_RESIZE after SIGWINCH. */
		while ((kind = wget_wch(stdscr, &wc)) != ERR) {
			top_key(t, kind, wc);
			if (t->quit)
				break;
		}
	}
	return top_signal != 0 ? 128 + top_signal : EXIT_OK;
}

int
cmd_top_main(const struct cmd_entry *self, int argc, char **argv, struct cfg *c)
{
	struct top t;
	int r;

	if ((r = cmd_parse_plain(self, argc, argv, c, 0, 0)) != CMD_CONTINUE)
		return r;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		output_error("run it in a terminal; for a stream of changes "
			     "use tier queue --watch",
		    "tier top needs a terminal");
		return EXIT_USAGE;
	}
	memset(&t, 0, sizeof(t));
	t.cfg = c;
	t.backoff = TOP_BACKOFF_MIN;
	/* The first connection fails loudly, before the screen is taken. */
	if ((r = conn_connect(&t.conn, c)) != 0)
		return r;
	if ((r = top_load(&t)) != 0) {
		output_error(NULL, "%s", t.why);
		r = r < 0 ? EXIT_CONNECT : r;
		goto out;
	}
	if ((r = top_screen_open(&t)) != 0) {
		top_screen_close(1);
		output_error(NULL, "cannot start the terminal view (TERM=%s)",
		    getenv("TERM") != NULL ? getenv("TERM") : "");
		goto out;
	}
	r = top_loop(&t);
	top_screen_close(r != EXIT_OK && r < 128);
	if (r != EXIT_OK && r < 128 && t.why[0] != '\0')
		output_error(NULL, "%s", t.why);
out:
	conn_free(t.conn);
	top_rows_clear(&t);
	free(t.rows);
	free(t.cycles);
	free(t.user);
	return r;
}
