/*
 * --watch: a list command prints its list, then follows the server's change
 * feed and prints each committed change that concerns the list, until it is
 * interrupted. Owns the subscription's life (ping, silence detection,
 * reconnection with backoff, resume from the last change printed, relisting
 * when the server asks for a resync), the saved position that lets a
 * restarted watch resume, and the rendering of events as lines or JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "err.h"
#include "tier.h"

#define WATCH_BACKOFF_MIN_MS 1000  /* first wait before reconnecting */
#define WATCH_BACKOFF_MAX_MS 30000 /* waits double up to this */
#define WATCH_DESC_SIZE      512   /* the watch in words, at most */

/* What the internal steps return besides 0 and exit codes: the connection
 * failed in a way that reconnecting may mend. */
#define WATCH_RETRY (-1)

/* A running watch. */
struct watch {
	struct cfg *cfg;               /* settings; output may be switched */
	const struct watch_opts *opts; /* --since, --fresh */
	const struct watch_spec *spec; /* what is listed and followed */
	struct conn *conn;             /* the subscribed connection, or NULL */
	int json;                      /* print JSON lines, not text */
	char *state_path; /* where pos is saved; NULL when it cannot be */
	char *desc;       /* the watch in words, for the state file */
	uint64_t pos;     /* every change up to this seq has been handled */
	int64_t heard;    /* monotonic ms of the last message received */
	int64_t ping_due; /* monotonic ms when the next ping is due */
	char why[160];    /* why the connection was lost, for notes */
};

/* Milliseconds on the monotonic clock. */
static int64_t
watch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
watch_option(const struct cmd_entry *self, int ch, struct watch_opts *w)
{
	switch (ch) {
	case WATCH_OPT_WATCH:
		w->watch = 1;
		return 1;
	case WATCH_OPT_FRESH:
		w->fresh = 1;
		return 1;
	case WATCH_OPT_SINCE:
		/* 0 would be the protocol's "from now": that is --fresh. */
		if (cmd_cycle_parse_uint(optarg, 1, INT64_MAX, &w->since) !=
		    0) {
			cmd_usage_error(self,
			    "--since '%s' is not a change number (the seq "
			    "of an event, 1 or more)",
			    optarg);
			return -1;
		}
		w->have_since = 1;
		return 1;
	default:
		return 0;
	}
}

int
watch_check(
    const struct cmd_entry *self, const struct watch_opts *w, int offline)
{
	if (offline && w->watch)
		return cmd_usage_error(self, "--offline cannot --watch");
	if (!w->watch && (w->have_since || w->fresh))
		return cmd_usage_error(self, "--%s needs --watch",
		    w->have_since ? "since" : "fresh");
	if (w->have_since && w->fresh)
		return cmd_usage_error(
		    self, "--since and --fresh exclude each other");
	return 0;
}

/* Appends to buf[0..size) at *used, truncating; keeps buf terminated. */
static void __attribute__((format(printf, 4, 5)))
watch_append(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used + 1 >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, size - *used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*used += (size_t)n;
	if (*used >= size)
		*used = size - 1;
}

/* Saved positions --------------------------------------------------------*/

char *
watch_state_dir(void)
{
	const char *v;
	char *out = NULL;

	if ((v = getenv("TIER_STATE_DIR")) != NULL && *v != '\0')
		return asprintf(&out, "%s/watch", v) < 0 ? NULL : out;
	/* The XDG specification ignores relative paths. */
	if ((v = getenv("XDG_STATE_HOME")) != NULL && *v == '/')
		return asprintf(&out, "%s/tier/watch", v) < 0 ? NULL : out;
	if ((v = getenv("HOME")) != NULL && *v != '\0')
		return asprintf(&out, "%s/.local/state/tier/watch", v) < 0
			   ? NULL
			   : out;
	return NULL;
}

/* Creates path and its missing parents, mode 0700. Returns 0 or ERR_SYSTEM. */
static int
watch_mkdirs(const char *path)
{
	char *p, *s;
	int r = 0;

	if ((p = strdup(path)) == NULL)
		return ERR_ALLOC;
	for (s = p + 1; r == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			r = ERR_SYSTEM;
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return r;
}

/*
 * Describes the watch in words and derives its state file: one per server,
 * filter and identity key, named SERVER-HASH. Leaves state_path NULL (with a
 * warning) when there is nowhere to keep it.
 */
static int
watch_state_init(struct watch *st)
{
	const struct watch_spec *s = st->spec;
	uint8_t h[8];
	char hex[sizeof(h) * 2 + 1], *dir = NULL, *host = NULL, *port = NULL;
	char *canon = NULL, *input = NULL, *p;
	const char *why;
	size_t used = 0;
	int r;

	if ((st->desc = malloc(WATCH_DESC_SIZE)) == NULL)
		return ERR_ALLOC;
	st->desc[0] = '\0';
	watch_append(st->desc, WATCH_DESC_SIZE, &used, "%s", s->key);
	if (s->my_queue)
		watch_append(st->desc, WATCH_DESC_SIZE, &used, " (my queue)");
	if (s->cycle_id != 0)
		watch_append(st->desc, WATCH_DESC_SIZE, &used, " --cycle %llu",
		    (unsigned long long)s->cycle_id);
	if (s->segment != NULL && *s->segment != '\0')
		watch_append(st->desc, WATCH_DESC_SIZE, &used, " --segment %s",
		    s->segment);
	if (s->candidate_id != 0)
		watch_append(st->desc, WATCH_DESC_SIZE, &used,
		    " (candidate %llu)", (unsigned long long)s->candidate_id);
	if (s->bu != NULL)
		watch_append(
		    st->desc, WATCH_DESC_SIZE, &used, " --bu %s", s->bu);
	if (s->entity != NULL)
		watch_append(st->desc, WATCH_DESC_SIZE, &used, " (%s events)",
		    s->entity);
	r = conn_parse_address(st->cfg->server, &host, &port, &canon, &why);
	if (r != 0)
		goto out;
	if (asprintf(&input, "%s\n%s\n%s", st->desc, canon,
		st->cfg->key_path != NULL ? st->cfg->key_path : "") < 0) {
		input = NULL;
		r = ERR_ALLOC;
		goto out;
	}
	crypto_generichash(
	    h, sizeof(h), (const uint8_t *)input, strlen(input), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	/* A file name: the address's ':', '[' and ']' become '_'. */
	for (p = canon; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			*p == '.' || *p == '-'))
			*p = '_';
	}
	if ((dir = watch_state_dir()) == NULL) {
		output_warn("no place to save the watch position (set HOME "
			    "or TIER_STATE_DIR); a restarted watch will not "
			    "resume");
		goto out;
	}
	if (asprintf(&st->state_path, "%s/%s-%s", dir, canon, hex) < 0) {
		st->state_path = NULL;
		r = ERR_ALLOC;
	}
out:
	free(dir);
	free(host);
	free(port);
	free(canon);
	free(input);
	return r;
}

/* The saved position, or 0 when there is none. */
static uint64_t
watch_state_load(const struct watch *st)
{
	char *text = NULL, *line, *save = NULL;
	uint64_t seq = 0, v;
	size_t len;

	if (st->state_path == NULL ||
	    cfg_file_read(st->state_path, &text, &len) != 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (cmd_cycle_parse_uint(line, 1, INT64_MAX, &v) == 0)
			seq = v;
	}
	free(text);
	return seq;
}

/*
 * Saves pos. No fsync: the file only has to survive the process being
 * killed, which a rename does; after a power cut the watch at worst shows
 * a few changes again. Disables saving after the first failure.
 */
static void
watch_state_save(struct watch *st)
{
	char *tmp = NULL, *dir, *slash;
	FILE *f = NULL;
	int ok = 0;

	if (st->state_path == NULL)
		return;
	if (asprintf(&tmp, "%s.%ld.tmp", st->state_path, (long)getpid()) < 0)
		tmp = NULL;
	if (tmp == NULL)
		goto out;
	if ((f = fopen(tmp, "w")) == NULL && errno == ENOENT &&
	    (dir = strdup(st->state_path)) != NULL) {
		if ((slash = strrchr(dir, '/')) != NULL) {
			*slash = '\0';
			watch_mkdirs(dir);
		}
		free(dir);
		f = fopen(tmp, "w");
	}
	if (f == NULL)
		goto out;
	fchmod(fileno(f), 0600);
	fprintf(f, "# tier %s --watch, last change shown\n%llu\n", st->desc,
	    (unsigned long long)st->pos);
	ok = fclose(f) == 0;
	f = NULL;
	if (ok && rename(tmp, st->state_path) != 0)
		ok = 0;
out:
	if (!ok) {
		output_warn("cannot save the watch position in %s: %s; a "
			    "restarted watch will not resume",
		    st->state_path, strerror(errno));
		if (tmp != NULL)
			unlink(tmp);
		free(st->state_path);
		st->state_path = NULL;
	}
	free(tmp);
}

/* Events as text and JSON ------------------------------------------------*/

const char *
watch_event_text(const Tier__Event *ev, char *buf, size_t size)
{
	const Tier__Candidate *k = ev->candidate;
	const char *verb = strchr(ev->action, '.');
	char state[32];
	size_t used = 0, i;

	buf[0] = '\0';
	verb = verb != NULL ? verb + 1 : ev->action;
	watch_append(buf, size, &used, "%s %s %llu", verb, ev->entity,
	    (unsigned long long)ev->entity_id);
	if (k != NULL) {
		watch_append(buf, size, &used, ": %s (%s, %s %u) now %s",
		    k->customer, k->segment, k->bu, k->year,
		    output_candidate_state(k->state));
		if (k->state ==
			TIER__CANDIDATE_STATE__CANDIDATE_STATE_PENDING &&
		    k->step < k->n_chain)
			watch_append(buf, size, &used, " %u/%zu %s",
			    k->step + 1, k->n_chain,
			    msg_role_name(k->chain[k->step]->role));
		if (k->tier != TIER__TIER_LEVEL__TIER_LEVEL_UNSPECIFIED)
			watch_append(buf, size, &used, ", %s",
			    output_candidate_tier(k->tier));
		if (k->score_complete)
			watch_append(
			    buf, size, &used, ", score %.2f", k->score);
	} else if (ev->customer != NULL) {
		watch_append(buf, size, &used, ": %s (%s)", ev->customer->name,
		    ev->customer->bu);
	} else if (ev->cycle != NULL) {
		watch_append(buf, size, &used, ": %s %u now %s", ev->cycle->bu,
		    ev->cycle->year,
		    output_enum_name(&tier__cycle_state__descriptor,
			ev->cycle->state, state, sizeof(state)));
	} else if (ev->visit != NULL) {
		watch_append(buf, size, &used, ": %s (%s) on %s by %s",
		    ev->visit->customer, ev->visit->bu, ev->visit->visit_date,
		    ev->visit->visitor);
	} else if (ev->complaint != NULL) {
		watch_append(buf, size, &used, ": %s (%s) now %s",
		    ev->complaint->customer, ev->complaint->bu,
		    output_enum_name(&tier__complaint_state__descriptor,
			ev->complaint->state, state, sizeof(state)));
	} else if (strcmp(ev->entity, "candidate") == 0 ||
		   strcmp(ev->entity, "customer") == 0 ||
		   strcmp(ev->entity, "cycle") == 0) {
		watch_append(buf, size, &used, ": no longer visible to you");
	}
	if (ev->notify_user != NULL && *ev->notify_user != '\0')
		watch_append(buf, size, &used, "; notify %s", ev->notify_user);
	for (i = 0; i < ev->n_notify_roles; i++)
		watch_append(buf, size, &used, "%s%s",
		    i == 0 ? "; notify " : ", ",
		    msg_role_name(ev->notify_roles[i]));
	if (ev->reason != NULL && *ev->reason != '\0')
		watch_append(buf, size, &used, "; reason: %s", ev->reason);
	return buf;
}

json_t *
watch_json_event(const Tier__Event *ev)
{
	json_t *o, *roles, *rec = NULL;
	const char *key = NULL;
	size_t i;

	if ((o = json_object()) == NULL || (roles = json_array()) == NULL) {
		json_decref(o);
		return NULL;
	}
	for (i = 0; i < ev->n_notify_roles; i++)
		json_array_append_new(
		    roles, json_string(msg_role_name(ev->notify_roles[i])));
	if (strcmp(ev->entity, "candidate") == 0 || ev->candidate != NULL) {
		key = "candidate";
		rec = ev->candidate != NULL
			  ? output_json_candidate(ev->candidate)
			  : json_null();
	} else if (strcmp(ev->entity, "customer") == 0 ||
		   ev->customer != NULL) {
		key = "customer";
		rec = ev->customer != NULL ? output_json_customer(ev->customer)
					   : json_null();
	} else if (strcmp(ev->entity, "cycle") == 0 || ev->cycle != NULL) {
		key = "cycle";
		rec = ev->cycle != NULL ? output_json_cycle(ev->cycle)
					: json_null();
	} else if (strcmp(ev->entity, "visit") == 0 || ev->visit != NULL) {
		key = "visit";
		rec =
		    ev->visit != NULL ? cmd_visit_json(ev->visit) : json_null();
	} else if (strcmp(ev->entity, "complaint") == 0 ||
		   ev->complaint != NULL) {
		key = "complaint";
		rec = ev->complaint != NULL
			  ? cmd_visit_json_complaint(ev->complaint)
			  : json_null();
	}
	/* Text from the server is valid UTF-8 (the server checks it). */
	if (json_object_set_new(o, "seq", json_integer((json_int_t)ev->seq)) ||
	    json_object_set_new(o, "at", output_json_time(ev->at)) ||
	    json_object_set_new(o, "user", json_string(ev->user)) ||
	    json_object_set_new(o, "action", json_string(ev->action)) ||
	    json_object_set_new(o, "entity", json_string(ev->entity)) ||
	    json_object_set_new(
		o, "entity_id", json_integer((json_int_t)ev->entity_id)) ||
	    json_object_set_new(o, "reason", json_string(ev->reason)) ||
	    (key != NULL && json_object_set_new(o, key, rec)) ||
	    json_object_set_new(o, "notify_roles", roles) ||
	    (ev->notify_user != NULL && *ev->notify_user != '\0' &&
		json_object_set_new(
		    o, "notify_user", json_string(ev->notify_user)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Whether ev concerns the list: the filters the feed has no field for. */
static int
watch_match(const struct watch_spec *s, const Tier__Event *ev)
{
	const char *bu = NULL;

	if (s->entity != NULL && strcmp(ev->entity, s->entity) != 0)
		return 0;
	if (ev->candidate != NULL)
		bu = ev->candidate->bu;
	else if (ev->customer != NULL)
		bu = ev->customer->bu;
	else if (ev->cycle != NULL)
		bu = ev->cycle->bu;
	else if (ev->visit != NULL)
		bu = ev->visit->bu;
	else if (ev->complaint != NULL)
		bu = ev->complaint->bu;
	/* A record that left the user's sight is shown: better one line too
	 * many than a change missed. */
	return s->bu == NULL || bu == NULL || strcmp(bu, s->bu) == 0;
}

/* Prints one event: a JSON line, or "TIME  #SEQ  USER  TEXT". */
static int
watch_print_event(struct watch *st, const Tier__Event *ev)
{
	char when[OUTPUT_TIME_SIZE], seq[24], text[1024];
	const char *user = *ev->user != '\0' ? ev->user : "tierd";
	size_t w;

	if (st->json) {
		if (output_json_print(
			json_pack("{s:o}", "event", watch_json_event(ev))) != 0)
			return EXIT_OTHER;
	} else {
		output_time(ev->at, when);
		snprintf(
		    seq, sizeof(seq), "#%llu", (unsigned long long)ev->seq);
		printf("%s  %-7s ", when, seq);
		/* Names align by display width, whatever their script. */
		output_text(stdout, user);
		for (w = output_width(user); w < 12; w++)
			putchar(' ');
		putchar(' ');
		output_text(stdout, watch_event_text(ev, text, sizeof(text)));
		putchar('\n');
	}
	fflush(stdout);
	return 0;
}

/* Requests on the subscribed connection ------------------------------------*/

int
watch_ping(struct conn *conn, Tier__Response **resp)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__PingRequest body = TIER__PING_REQUEST__INIT;

	req.body_case = TIER__REQUEST__BODY_PING;
	req.ping = &body;
	return conn_roundtrip(conn, &req, resp);
}

int
watch_subscribe(struct conn *conn, const struct watch_spec *s,
    uint64_t after_seq, Tier__Response **resp)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__SubscribeRequest body = TIER__SUBSCRIBE_REQUEST__INIT;
	Tier__FeedFilter filter = TIER__FEED_FILTER__INIT;

	filter.my_queue = s->my_queue;
	filter.cycle_id = s->cycle_id;
	if (s->segment != NULL)
		filter.segment = (char *)s->segment;
	filter.candidate_id = s->candidate_id;
	body.filter = &filter;
	body.after_seq = after_seq;
	body.heartbeat_seconds = WATCH_HEARTBEAT_SECONDS;
	req.body_case = TIER__REQUEST__BODY_SUBSCRIBE;
	req.subscribe = &body;
	return conn_roundtrip(conn, &req, resp);
}

/* Notes a lost connection's cause in st->why; returns WATCH_RETRY. */
static int
watch_lost(struct watch *st, int r)
{
	switch (r) {
	case ERR_EOF:
		snprintf(st->why, sizeof(st->why), "closed by the server");
		break;
	case ERR_SYSTEM:
		snprintf(st->why, sizeof(st->why), "%s", strerror(errno));
		break;
	default:
		snprintf(st->why, sizeof(st->why), "%s", err_str(r));
	}
	return WATCH_RETRY;
}

/* An exit code that reconnecting may mend. */
static int
watch_retryable(int ex)
{
	return ex == EXIT_CONNECT || ex == EXIT_UNAVAILABLE;
}

/* Reports an error answer to a feed request. Returns WATCH_RETRY for
 * UNAVAILABLE, else the exit code. */
static int
watch_refused(struct watch *st, const Tier__Error *e)
{
	if (e->code == TIER__ERROR_CODE__ERROR_CODE_UNSUPPORTED) {
		output_error("upgrade tierd, or run the command without "
			     "--watch",
		    "the server at %s offers no change feed", st->cfg->server);
		return EXIT_REJECTED;
	}
	if (e->code == TIER__ERROR_CODE__ERROR_CODE_UNAVAILABLE) {
		snprintf(st->why, sizeof(st->why), "%s", e->message);
		return WATCH_RETRY;
	}
	return output_server_error(st->cfg->output, e);
}

/* Asks for the newest change number. Returns 0, WATCH_RETRY or an exit
 * code. */
static int
watch_head(struct watch *st, uint64_t *head)
{
	Tier__Response *resp = NULL;
	int r;

	if ((r = watch_ping(st->conn, &resp)) != 0)
		return watch_lost(st, r);
	if (resp->error != NULL)
		r = watch_refused(st, resp->error);
	else
		*head = resp->ping->head_seq;
	tier__response__free_unpacked(resp, NULL);
	return r;
}

/* Prints the list (again). Returns 0, WATCH_RETRY or an exit code. */
static int
watch_list(struct watch *st)
{
	int r;

	if (st->spec->list == NULL)
		return 0;
	r = st->spec->list(st->cfg, &st->conn, st->spec->arg);
	fflush(stdout);
	if (r != 0 && watch_retryable(r)) {
		snprintf(st->why, sizeof(st->why), "listing failed");
		return WATCH_RETRY;
	}
	return r;
}

/* How watch_begin starts following. */
enum watch_begin {
	WATCH_BEGIN_FIRST,  /* list, then from --since, the saved position
			       or now */
	WATCH_BEGIN_RELIST, /* list again, then from now */
	WATCH_BEGIN_RESUME, /* after st->pos, without listing */
};

/*
 * Subscribes on st->conn (listing first unless resuming) and sets st->pos to
 * where the feed starts. Returns 0, WATCH_RETRY or an exit code.
 */
static int
watch_begin(struct watch *st, enum watch_begin how)
{
	Tier__Response *resp = NULL;
	uint64_t head = 0, after = st->pos, saved;
	int r, tries;

	if (how != WATCH_BEGIN_RESUME && (r = watch_head(st, &head)) != 0)
		return r;
	if (how == WATCH_BEGIN_FIRST) {
		saved = watch_state_load(st);
		if (st->opts->have_since)
			after = st->opts->since;
		else if (!st->opts->fresh && saved != 0)
			after = saved;
		else
			after = head;
		if (after > head && st->opts->have_since) {
			output_error("see the seq of the events printed",
			    "--since %llu is after the server's newest "
			    "change, #%llu",
			    (unsigned long long)after,
			    (unsigned long long)head);
			return EXIT_USAGE;
		}
		if (after > head) {
			/* A position saved against another database. */
			output_warn("the saved position #%llu is after the "
				    "server's newest change #%llu; following "
				    "from now",
			    (unsigned long long)after,
			    (unsigned long long)head);
			after = head;
		}
	} else if (how == WATCH_BEGIN_RELIST)
		after = head;
	if (how != WATCH_BEGIN_RESUME && (r = watch_list(st)) != 0)
		return r;

	for (tries = 0;; tries++) {
		if ((r = watch_subscribe(st->conn, st->spec, after, &resp)) !=
		    0)
			return watch_lost(st, r);
		if (resp->error != NULL) {
			r = watch_refused(st, resp->error);
			tier__response__free_unpacked(resp, NULL);
			return r;
		}
		if (!resp->subscribe->resync_required)
			break;
		output_note("changes after #%llu are no longer kept by the "
			    "server (the oldest it can resume after is #%llu)",
		    (unsigned long long)after,
		    (unsigned long long)resp->subscribe->oldest_resumable);
		tier__response__free_unpacked(resp, NULL);
		resp = NULL;
		if (tries > 0) {
			output_error(NULL, "the server cannot resume even "
					   "from its newest change");
			return EXIT_OTHER;
		}
		/* The list printed after head is current as of head. */
		if (how == WATCH_BEGIN_RESUME) {
			output_note("listing afresh");
			if ((r = watch_head(st, &head)) != 0)
				return r;
			if (st->json &&
			    output_json_print(
				json_pack("{s:{s:s, s:I}}", "resync", "reason",
				    "changes since the last one shown are no "
				    "longer kept",
				    "head_seq", (json_int_t)head)) != 0)
				return EXIT_OTHER;
			if ((r = watch_list(st)) != 0)
				return r;
		} else
			output_note("the list is current; following changes "
				    "after #%llu",
			    (unsigned long long)head);
		after = head;
	}
	tier__response__free_unpacked(resp, NULL);
	if (after > st->pos || how != WATCH_BEGIN_RESUME) {
		st->pos = after;
		watch_state_save(st);
	}
	st->heard = watch_now_ms();
	st->ping_due = st->heard + WATCH_HEARTBEAT_SECONDS * 1000;
	return 0;
}

/* Sleeps ms milliseconds (a signal ends the process anyway). */
static void
watch_sleep(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * Reconnects with growing waits until the feed is followed again, resuming
 * after st->pos (or listing afresh with relist). Returns 0 or the exit code
 * of a failure retrying cannot mend.
 */
static int
watch_reconnect(struct watch *st, int relist)
{
	int64_t wait = WATCH_BACKOFF_MIN_MS, jittered;
	int r, attempt;

	for (attempt = 0;; attempt++) {
		conn_free(st->conn);
		st->conn = NULL;
		/* 75-125 %: watchers cut off together do not return in
		 * step. */
		jittered = wait * (75 + (int64_t)randombytes_uniform(51)) / 100;
		if (attempt == 0)
			output_note("connection to %s lost (%s); reconnecting "
				    "in %.1f s",
			    st->cfg->server, st->why, (double)jittered / 1000);
		else
			output_note("still no connection to %s (%s); trying "
				    "again in %.1f s",
			    st->cfg->server, st->why, (double)jittered / 1000);
		watch_sleep(jittered);
		if (wait < WATCH_BACKOFF_MAX_MS)
			wait = wait * 2 < WATCH_BACKOFF_MAX_MS
				   ? wait * 2
				   : WATCH_BACKOFF_MAX_MS;
		if ((r = conn_connect(&st->conn, st->cfg)) != 0) {
			if (!watch_retryable(r))
				return r;
			snprintf(st->why, sizeof(st->why), "cannot connect");
			continue;
		}
		r = watch_begin(
		    st, relist ? WATCH_BEGIN_RELIST : WATCH_BEGIN_RESUME);
		if (r == WATCH_RETRY)
			continue;
		if (r != 0)
			return r;
		output_note("reconnected to %s; following changes after #%llu",
		    st->cfg->server, (unsigned long long)st->pos);
		return 0;
	}
}

/*
 * Handles one message of the subscribed connection. Returns 0, WATCH_RETRY
 * with *relist set when the list must be printed again, or an exit code.
 */
static int
watch_handle(struct watch *st, Tier__ServerMessage *sm, int *relist)
{
	const Tier__Event *ev;
	int r;

	switch (sm->kind_case) {
	case TIER__SERVER_MESSAGE__KIND_EVENT:
		ev = sm->event;
		/* Catch-up and live events can meet after a resume. */
		if (ev == NULL || ev->seq <= st->pos)
			return 0;
		if (watch_match(st->spec, ev) && watch_print_event(st, ev) != 0)
			return EXIT_OTHER;
		st->pos = ev->seq;
		watch_state_save(st);
		return 0;
	case TIER__SERVER_MESSAGE__KIND_RESYNC:
		output_note("the server ended this watch (%s); listing "
			    "afresh",
		    sm->resync != NULL && *sm->resync->reason != '\0'
			? sm->resync->reason
			: "no reason given");
		if (st->json &&
		    output_json_print(json_pack("{s:{s:s, s:I}}", "resync",
			"reason", sm->resync != NULL ? sm->resync->reason : "",
			"head_seq",
			(json_int_t)(sm->resync != NULL ? sm->resync->head_seq
							: 0))) != 0)
			return EXIT_OTHER;
		fflush(stdout);
		/* The connection stays up: list and subscribe on it. */
		if ((r = watch_begin(st, WATCH_BEGIN_RELIST)) == WATCH_RETRY)
			*relist = 1;
		return r;
	default:
		/* Heartbeats, answers to pings, and kinds from newer
		 * servers: hearing them is all that counts. */
		return 0;
	}
}

int
watch_run(struct cfg *c, const struct watch_opts *w, const struct watch_spec *s)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__PingRequest ping = TIER__PING_REQUEST__INIT;
	Tier__ServerMessage *sm;
	struct watch st;
	int64_t now, until;
	int r, relist;

	memset(&st, 0, sizeof(st));
	st.cfg = c;
	st.opts = w;
	st.spec = s;
	st.json = c->output == CFG_OUTPUT_JSON || !isatty(STDOUT_FILENO);
	if (st.json) {
		/* One JSON document per line: the list first, then one
		 * {"event": ...} per change. */
		c->output = CFG_OUTPUT_JSON;
		output_json_compact(1);
	}
	if ((r = conn_connect(&st.conn, c)) != 0)
		goto out;
	if (watch_state_init(&st) != 0) {
		r = output_oom();
		goto out;
	}
	if ((r = watch_begin(&st, WATCH_BEGIN_FIRST)) != 0) {
		if (r == WATCH_RETRY) {
			output_error(NULL, "connection to %s lost: %s",
			    c->server, st.why);
			r = EXIT_CONNECT;
		}
		goto out;
	}
	if (isatty(STDERR_FILENO))
		output_note("following changes after #%llu; Ctrl-C stops",
		    (unsigned long long)st.pos);
	req.body_case = TIER__REQUEST__BODY_PING;
	req.ping = &ping;
	for (;;) {
		relist = 0;
		now = watch_now_ms();
		if (now >= st.ping_due) {
			/* The answer comes back through conn_recv. */
			if ((r = conn_send(st.conn, &req)) != 0) {
				r = watch_lost(&st, r);
				goto lost;
			}
			st.ping_due = now + WATCH_HEARTBEAT_SECONDS * 1000;
		}
		until = st.heard + 3 * WATCH_HEARTBEAT_SECONDS * 1000;
		if (now >= until) {
			snprintf(st.why, sizeof(st.why),
			    "no word from the server for %d s",
			    3 * WATCH_HEARTBEAT_SECONDS);
			goto lost;
		}
		if (st.ping_due < until)
			until = st.ping_due;
		r = conn_recv(st.conn, (int)(until - now), &sm);
		if (r == ERR_TIMEOUT)
			continue;
		if (r != 0) {
			watch_lost(&st, r);
			goto lost;
		}
		st.heard = watch_now_ms();
		r = watch_handle(&st, sm, &relist);
		tier__server_message__free_unpacked(sm, NULL);
		if (r == 0)
			continue;
		if (r != WATCH_RETRY)
			goto out;
	lost:
		if ((r = watch_reconnect(&st, relist)) != 0)
			goto out;
	}
out:
	conn_free(st.conn);
	free(st.state_path);
	free(st.desc);
	return r;
}

int
watch_or_list(struct cfg *c, const struct watch_opts *w,
    const struct watch_spec *s, int offline)
{
	struct conn *conn = NULL;
	int r;

	if (w->watch)
		return watch_run(c, w, s);
	r = s->list(c, offline ? NULL : &conn, s->arg);
	conn_free(conn);
	return r;
}
