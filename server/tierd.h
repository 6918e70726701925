/*
 * tierd's one internal header: the map of the daemon, one banner per source
 * file. A request travels listener.c -> session.c (frame, decrypt, unpack) ->
 * dispatch.c (lookup, auth, role, transaction) -> cmd_*.c (handler) ->
 * commit.c (group commit) -> session.c (pack, encrypt, write).
 */
#ifndef TIERD_H
#define TIERD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "buf.h"
#include "channel.h"
#include "err.h"
#include "keys.h"
#include "log.h"
#include "msg.h"
#include "noise.h"

struct session;
struct store;

/* config.c ------------------------------------------------------------------*/

struct config {
	char listen[256];       /* "host:port" to accept connections on */
	char datadir[PATH_MAX]; /* database and server key live here */
	char name[64];          /* shown to clients in ServerHello and status */
	long handshake_timeout; /* seconds to finish the Noise handshake */
	long idle_timeout;      /* seconds without a request before closing */
	long max_connections;  /* accepted connections beyond this are closed */
	long import_memory;    /* bytes all connections' imports may stage */
	char http_listen[256]; /* "host:port" of /health and /metrics; "" off */
	long request_id_ttl;   /* seconds a request id is kept; 0 forever */
	long code_ttl;         /* default lifetime of an enrolment code, s */
	enum log_level log_level;   /* most verbose level logged */
	long feed_resume_window;    /* entries behind the head a subscriber may
				       resume from; older needs a resync */
	long feed_max_buffer;       /* bytes queued for a subscriber before it
				       is told to resync */
	long feed_escalation_check; /* seconds between overdue-step searches */
	long feed_step_limit_scale; /* seconds in a policy "hour": a test and
				       debug knob, 3600 in production */
	long volume_change_percent; /* a year's revenue changing by more needs
				       a reason */
	long abc_a;                 /* default percent of revenue, class A */
	long abc_b;                 /* default further percent, class B */
};

/* Fills cfg with built-in defaults. */
void config_defaults(struct config *cfg);

/*
 * Applies one setting (section.key = value) as found in the INI file or given
 * as a flag. Returns 0, or ERR_CONFIG with a sentence naming the setting and
 * what it accepts written to why.
 */
int config_set(struct config *cfg, const char *section, const char *key,
    const char *value, char *why, size_t why_len);

/* Applies every setting of the INI file at path. Returns 0 or ERR_CONFIG with
 * the file, line or setting at fault in why. */
int config_load(
    struct config *cfg, const char *path, char *why, size_t why_len);

/* arena.c -------------------------------------------------------------------*/

/*
 * Bump allocator for one request's response: handlers allocate the messages
 * and strings they put in a Tier__Response here, and the dispatcher frees it
 * all at once after the response is packed.
 */
struct arena;

int arena_new(struct arena **out);
/* Zeroed memory, aligned for any type; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t len);
char *arena_strdup(struct arena *a, const char *s);
/* Frees every block; NULL is allowed. */
void arena_free(struct arena *a);

/* store.c -------------------------------------------------------------------*/

/*
 * The only place SQL is written. Another engine would implement these same
 * functions; nothing outside store.c knows the database is SQLite.
 */

struct store_user {
	int64_t id;                   /* row id, stable */
	char name[65];                /* unique login name */
	Tier__Role role;              /* one role per user */
	char scope[256];              /* scope expression, see PROTOCOL.md */
	char display_name[129];       /* free text */
	uint8_t public_key[KEYS_LEN]; /* valid when has_key */
	int has_key;                  /* 1 once enrolled */
	int64_t created_at;           /* Unix seconds */
	int64_t enrolled_at;          /* Unix seconds, 0 before enrolment */
};

/* Why store_code_redeem refused a code. */
enum store_code_status {
	STORE_CODE_OK,
	STORE_CODE_UNKNOWN, /* never issued, or superseded by a newer code */
	STORE_CODE_USED,    /* already redeemed */
	STORE_CODE_EXPIRED, /* past its expiry */
};

/*
 * Opens (creating if needed) the database at path in WAL mode with
 * synchronous=FULL and brings its schema to the latest version. Returns 0,
 * ERR_STORE (why says what) or ERR_ALLOC.
 */
int store_open(struct store **out, const char *path, char *why, size_t why_len);
/* Closes the database; NULL is allowed. */
void store_close(struct store *st);

/*
 * Online backup (store_backup.c): copies the database at path, which a
 * running tierd may be writing, to the new file dest, as of one moment,
 * checked and synced; dest appears only when it is complete. Returns 0 with
 * info filled, or ERR_NOT_FOUND (no database), ERR_EXISTS (dest exists),
 * ERR_INVALID_ARG or ERR_STORE, with why filled in.
 */
struct store_backup_info {
	int schema_version; /* of the copy */
	int64_t pages;      /* pages copied */
	int64_t bytes;      /* their size */
	int64_t audit_head; /* the newest audit entry in the copy */
};
int store_backup(const char *path, const char *dest,
    struct store_backup_info *info, char *why, size_t why_len);

/* Schema version after migration, and the engine's name and version. */
int store_schema_version(const struct store *st);
const char *store_engine(void);
/* The last error message of the engine, for logs. */
const char *store_errmsg(const struct store *st);

/*
 * Transactions. store_begin starts a write transaction; store_savepoint /
 * store_release / store_rollback_to isolate one request inside it;
 * store_commit makes it durable (one fsync). Each returns 0 or ERR_STORE.
 */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);
int store_savepoint(struct store *st);
int store_release(struct store *st);
int store_rollback_to(struct store *st);
/*
 * Hands durability to the caller: COMMIT then returns once the write-ahead
 * log is written, not synced, and the caller must fdatasync the returned
 * descriptor of the log before it tells anyone a commit happened (commit.c
 * does, in a thread, while the next batch runs). Returns the descriptor,
 * or -1 with why filled in; the store stays synchronous on failure.
 */
int store_sync_defer(struct store *st, char *why, size_t why_len);
/*
 * Copies the write-ahead log into the database from a thread of the store's
 * own, with a second connection, while the caller goes on committing: COMMIT
 * then stalls for a checkpoint only when the log has grown to its limit,
 * with little left to copy. Returns 0, or ERR_STORE or ERR_ALLOC with why
 * filled in; COMMIT then checkpoints as before. store_close stops the thread.
 */
int store_checkpoint_background(struct store *st, char *why, size_t why_len);
/* The checkpoints completed so far by that thread and by COMMIT (0 and 0
 * without it), for logs and tests. */
void store_checkpoint_counts(
    struct store *st, uint64_t *background, uint64_t *inline_);
/*
 * A read snapshot: one read transaction shared by the reads of a loop turn.
 * store_snapshot_begin returns 1 when it began one, 0 when one (or a write
 * transaction) is already open, or ERR_STORE; store_begin ends it first.
 */
int store_snapshot_begin(struct store *st);
void store_snapshot_end(struct store *st);
/* Reads the newest audit entry: whether the database answers (health
 * checks). Returns 0 or ERR_STORE. */
int store_ping(struct store *st);

/* Users. Each returns 0, ERR_NOT_FOUND, ERR_EXISTS or ERR_STORE. */
int store_user_by_key(
    struct store *st, const uint8_t pub[KEYS_LEN], struct store_user *out);
int store_user_by_name(
    struct store *st, const char *name, struct store_user *out);
int store_user_get(struct store *st, int64_t id, struct store_user *out);
/* Inserts u (id, has_key and enrolled_at ignored) and sets u->id. */
int store_user_insert(struct store *st, struct store_user *u);
/*
 * Lists up to limit users with name > after, by name. *out is a malloc'd
 * array of *n users, owned by the caller.
 */
int store_user_list(struct store *st, const char *after, unsigned limit,
    struct store_user **out, size_t *n);
/* Binds a key to a user; ERR_EXISTS if another user has that key. */
int store_user_bind_key(struct store *st, int64_t user_id,
    const uint8_t pub[KEYS_LEN], int64_t now);

/*
 * Enrolment codes are stored as BLAKE2b hashes only. store_code_insert
 * supersedes the user's earlier unused codes. store_code_redeem marks a valid
 * code used and returns its user in *user_id; *status says why not otherwise
 * (the function still returns 0 then).
 */
int store_code_insert(struct store *st, int64_t user_id, const uint8_t hash[32],
    int64_t expires_at, int64_t now);
int store_code_redeem(struct store *st, const uint8_t hash[32], int64_t now,
    int64_t *user_id, enum store_code_status *status, int64_t *expired_at);

/* A unit name: 64 characters of UTF-8 (up to 4 bytes each) and a NUL. */
#define STORE_UNIT_NAME_SIZE (64 * 4 + 1)

/*
 * Organisational units (store_org.c). kind is a Tier__UnitKind; parent_id is
 * the BG of a BU, the BU of a segment, 0 for a BG.
 */
struct store_unit {
	int64_t id;                      /* row id */
	Tier__UnitKind kind;             /* BG, BU or segment */
	char name[STORE_UNIT_NAME_SIZE]; /* unique among units of its kind */
	int64_t parent_id;               /* 0 for a BG */
};

/* Every unit, BGs first, then BUs, then segments, each by name. *out is
 * malloc'd, owned by the caller. Returns 0, ERR_ALLOC or ERR_STORE. */
int store_unit_all(struct store *st, struct store_unit **out, size_t *n);
/* The same without a copy, for every request's scope: *out is the store's
 * own, valid until the next store call. */
int store_unit_view(struct store *st, const struct store_unit **out, size_t *n);
/* Returns 0, ERR_NOT_FOUND or ERR_STORE. */
int store_unit_by_name(struct store *st, Tier__UnitKind kind, const char *name,
    struct store_unit *out);
int store_unit_get(struct store *st, int64_t id, struct store_unit *out);
/* Inserts u (id ignored) and sets u->id. Returns 0, ERR_EXISTS or ERR_STORE. */
int store_unit_insert(struct store *st, struct store_unit *u, int64_t now);

/*
 * Idempotency (store_request.c): the first successful response to each
 * (user, request id), packed, with a hash of the request it answered.
 * store_request_get returns 0 with *resp (malloc'd) and *len, ERR_NOT_FOUND,
 * or ERR_STORE; hash receives the stored request hash.
 */
int store_request_get(struct store *st, int64_t user_id, const char *request_id,
    uint8_t hash[32], uint8_t **resp, size_t *len);
int store_request_put(struct store *st, int64_t user_id, const char *request_id,
    const uint8_t hash[32], const uint8_t *resp, size_t len, int64_t now);
/* Forgets the request ids stored before before, oldest first, about limit
 * of them (more when the last of those shares its second with others), in
 * the open transaction. Returns 0 with *forgotten set, or ERR_STORE. */
int store_request_prune(
    struct store *st, int64_t before, int limit, size_t *forgotten);

/*
 * The audit log (store_audit.c); audit.c computes the hashes.
 */
struct store_audit {
	int64_t seq;        /* 1, 2, ... in commit order */
	int64_t at;         /* Unix seconds */
	const char *user;   /* user name */
	const char *action; /* "candidate.approve" */
	const char *entity; /* "candidate" */
	int64_t entity_id;
	const char *before; /* JSON, "" for a creation */
	const char *after;  /* JSON */
	const char *reason; /* "" when none */
	uint8_t hash[32];   /* BLAKE2b-256 chain hash */
};
/* The last entry's seq and hash (seq 0 and zero hash when empty). */
int store_audit_last(struct store *st, int64_t *seq, uint8_t hash[32]);
/*
 * The unit an audited record belongs to: a segment for "candidate", a BU for
 * "customer" and "cycle". Returns 0, ERR_NOT_FOUND (no such record),
 * ERR_INVALID_ARG (not an entity with a history) or ERR_STORE.
 */
int store_audit_entity_unit(struct store *st, const char *entity, int64_t id,
    Tier__UnitKind *kind, int64_t *unit_id);
/* The head recorded beside the chain (seq 0 when none): what the last
 * entry must be. */
int store_audit_head(struct store *st, int64_t *seq, uint8_t hash[32]);
/* Appends e with the seq it carries and moves the head to it. Returns 0,
 * ERR_EXISTS (seq taken) or ERR_STORE. */
int store_audit_insert(struct store *st, struct store_audit *e);
/*
 * Calls fn for each entry in seq order (all, or those of one entity when
 * entity is not NULL); the strings are valid during the call only. Stops
 * when fn returns non-zero and returns that. Returns 0 or ERR_STORE.
 */
int store_audit_each(struct store *st, const char *entity, int64_t entity_id,
    int (*fn)(const struct store_audit *e, void *arg), void *arg);
/*
 * Calls fn for at most limit entries with seq > after_seq, in seq order, as
 * store_audit_each does (the change feed reads the log this way). Returns 0,
 * fn's non-zero value, or ERR_STORE.
 */
int store_audit_after(struct store *st, int64_t after_seq, unsigned limit,
    int (*fn)(const struct store_audit *e, void *arg), void *arg);

/* Where an audited record sits in the organisation now. */
struct store_audit_place {
	int64_t segment_id; /* a candidate's segment; 0 for the others */
	int64_t bu_id;      /* the BU of a candidate's cycle, of a customer or
			       of a cycle */
	int64_t cycle_id;   /* a candidate's cycle, or the cycle itself */
	char chain[32];     /* a candidate's current chain ("2,1"), or "" */
};

/*
 * Finds a candidate, customer or cycle. Returns 0, ERR_NOT_FOUND,
 * ERR_INVALID_ARG (an entity without a place in the organisation: user,
 * unit, delegation) or ERR_STORE.
 */
int store_audit_place(struct store *st, const char *entity, int64_t id,
    struct store_audit_place *out);

/* server.c ------------------------------------------------------------------*/

/* What the server has served, for /metrics (http.c). */
#define SERVER_KINDS_MAX 64 /* rows of dispatch_table */
#define SERVER_CODES_MAX 16 /* Tier__ErrorCode values */
#define SERVER_BUCKETS   12 /* latency histogram bounds (server.c) */
enum server_class { SERVER_READ, SERVER_WRITE, SERVER_CLASSES };
struct server_counts {
	uint64_t requests[SERVER_KINDS_MAX]; /* per row of dispatch_table */
	uint64_t errors[SERVER_CODES_MAX];   /* error answers, per code */
	/* Answers by the time from a request's arrival (a write's: until
	 * after its sync), per bucket of server_buckets, the last for the
	 * slower ones; and the sum of those times, seconds. */
	uint64_t latency[SERVER_CLASSES][SERVER_BUCKETS + 1];
	double latency_sum[SERVER_CLASSES];
};
/* The upper bounds of the latency buckets, seconds, ascending. */
extern const double server_buckets[SERVER_BUCKETS];

/* Process-wide state of one tierd. */
struct server {
	struct event_base *base;    /* the one event loop */
	struct config cfg;          /* settings in force */
	char config_path[PATH_MAX]; /* for SIGHUP reload; "" if none */
	struct keypair *key;        /* static key, sodium_malloc'd */
	char fingerprint[KEYS_FINGERPRINT_SIZE]; /* of key->pub, for logs */
	struct store *store;                     /* the database */
	struct evconnlistener *listener;         /* NULL once stopping */
	int64_t started_at;                      /* Unix seconds */
	unsigned nsessions;                      /* open sessions */
	size_t import_staged; /* bytes the sessions' imports have staged */
	struct evhttp *http;  /* /health and /metrics, or NULL */
	struct server_counts counts;   /* what was served, for /metrics */
	LIST_HEAD(, session) sessions; /* every open session */
	struct commit *commit;         /* group-commit queue */
	struct feed *feed;             /* subscriptions and their fan-out */
	struct escalate *escalate;     /* the overdue-step timer */
	struct prune *prune;           /* forgets old request ids */
	int stopping;                  /* 1 after SIGTERM */
	const char *failure;           /* what stopped tierd failing, or NULL */
	struct event *sig_term, *sig_int, *sig_hup; /* signal events */
	struct event *stop_timer; /* polls a graceful stop's progress */
	int64_t stop_deadline;    /* when a graceful stop gives up */
};

/*
 * Sets up everything a running tierd needs: data directory (mode 0700),
 * static key (created on first start), database, listener, signals. Returns 0,
 * or an error with the reason logged.
 */
int server_init(struct server *srv);
/* Runs the event loop until a graceful stop completes. Returns 0 or an error.
 */
int server_run(struct server *srv);
/* Releases everything server_init acquired; safe after a partial init. */
void server_free(struct server *srv);
/* Begins a graceful stop: no new connections, drain, exit the loop. */
void server_stop(struct server *srv, const char *why);
/* Stops as server_stop does, for a failure that tierd cannot serve through:
 * server_run then returns an error, and tierd exits 1. */
void server_fail(struct server *srv, const char *why);
/* Current time as the server sees it, Unix seconds. */
int64_t server_now(void);
/* A monotonic clock, nanoseconds, for measuring how long things take. */
int64_t server_clock_ns(void);
/* Counts an answer of class cl to a request that arrived at since_ns. */
void server_observe(struct server *srv, enum server_class cl, int64_t since_ns);
/* The paths inside the data directory. */
void server_path(
    const struct server *srv, const char *file, char *out, size_t out_len);

/*
 * Creates the admin user name if missing, or issues a fresh enrolment code
 * for it if present, writing the code and its expiry to code/expires_at. For
 * first set-up from the machine that holds the database. Returns 0 or an
 * error (why says what).
 */
int server_init_admin(struct server *srv, const char *name, char *code,
    size_t code_len, int64_t *expires_at, char *why, size_t why_len);

/* listener.c ----------------------------------------------------------------*/

/* Binds and listens on cfg.listen. Returns 0 or ERR_CONFIG/ERR_SYSTEM. */
int listener_start(struct server *srv);
/*
 * Listens on text ("host:port", port 0 for any), named setting in errors,
 * with connections accepted into cb (NULL: the caller sets it, or hands the
 * listener to evhttp). Writes the bound address to bound. Returns 0, or
 * ERR_CONFIG or ERR_SYSTEM with the reason logged.
 */
int listener_open(struct server *srv, const char *setting, const char *text,
    evconnlistener_cb cb, struct evconnlistener **out, char *bound,
    size_t bound_len);
/* Stops accepting; existing sessions are unaffected. */
void listener_stop(struct server *srv);

/* http.c --------------------------------------------------------------------*/

/*
 * GET /health and GET /metrics on cfg.http_listen, when it is set. Returns 0,
 * or ERR_CONFIG, ERR_SYSTEM or ERR_ALLOC with the reason logged.
 */
int http_start(struct server *srv);
/* Stops serving them; NULL http is allowed. */
void http_stop(struct server *srv);

/* session.c -----------------------------------------------------------------*/

/* A connection's life; every change goes through session_set_state. */
enum session_state {
	SESSION_HANDSHAKE,     /* Noise handshake in progress */
	SESSION_ANONYMOUS,     /* handshake done, key not registered: enrol */
	SESSION_AUTHENTICATED, /* key belongs to a user */
	SESSION_CLOSING,       /* flushing output, then freed */
};

/*
 * Takes ownership of an accepted socket and starts the handshake. Returns 0
 * or an error (the socket is closed then).
 */
int session_new(
    struct server *srv, int fd, const struct sockaddr *sa, int salen);
/* Moves a session to a new state, logging from -> to and why. */
void session_set_state(
    struct session *s, enum session_state to, const char *why);
enum session_state session_state(const struct session *s);
/* The authenticated user, or NULL before authentication. */
const struct store_user *session_user(const struct session *s);
/* Sets the session's user (after enrolment) and authenticates it. */
void session_authenticate(struct session *s, const struct store_user *u);
/* The server a session belongs to. */
struct server *session_server(const struct session *s);
/* The static key the peer proved in the handshake. */
const uint8_t *session_peer_key(const struct session *s);
/* "ip:port" of the peer, for logs. */
const char *session_peer(const struct session *s);
/*
 * Packs, encrypts and queues a response. Returns 0 or an error; on error the
 * session is already closing.
 */
int session_send(struct session *s, const Tier__Response *resp);
/*
 * Closes a session: logs the reason, stops reading, flushes what is queued and
 * frees it. Safe to call more than once; a session with a request in the
 * commit queue is freed when that request is answered.
 */
void session_close(struct session *s, const char *reason);
/* Marks the session as waiting for the commit queue: no further request of
 * it is read until session_request_done. */
void session_set_busy(struct session *s);
/* Called by the commit queue when a queued request has been answered. */
void session_request_done(struct session *s);
/* Frees a session at once, without flushing (process exit only). */
void session_destroy(struct session *s);
/* Closes every session (graceful stop). */
void session_close_all(struct server *srv, const char *reason);

struct feed_sub;

/*
 * Marks s subscribed to the feed (sub not NULL) or no longer (NULL). A
 * subscribed session gets a Heartbeat after heartbeat seconds in which
 * nothing was sent to it, and is closed after 3 * heartbeat seconds in
 * which it sent no complete request; the idle timeout applies otherwise.
 * The session does not own sub: feed.c does, and session_close hands it
 * back with feed_unsubscribe.
 */
void session_set_feed(struct session *s, struct feed_sub *sub, long heartbeat);
/* The session's subscription, or NULL. */
struct feed_sub *session_feed(const struct session *s);

struct import_stage;

/* The import whose rows the session is receiving, or NULL (cmd_import.c). */
struct import_stage *session_import(const struct session *s);
/* Replaces it; the session owns st and frees it when it closes, the caller
 * frees the one it replaces. */
void session_set_import(struct session *s, struct import_stage *st);
/* Bytes queued for the peer and not yet taken by it: in the session's
 * buffer and in the kernel's send queue (unsent or unacknowledged). */
size_t session_output_len(const struct session *s);
/*
 * Packs, encrypts and queues a message the client did not ask for (Event,
 * Heartbeat, Resync). Returns 0 or an error; on error the session is
 * already closing (and its subscription gone).
 */
int session_push(struct session *s, const Tier__ServerMessage *sm);

/* dispatch.c ----------------------------------------------------------------*/

/* Row flags. */
#define CMD_WRITE     0x01 /* changes the database: runs in a group commit */
#define CMD_ANONYMOUS 0x02 /* only before the key is registered (enrol) */
#define CMD_IDEMPOTENT                                                         \
	0x04 /* needs a request_id; a repeated id returns the first result */

#define CMD_ROLE(r)   (1u << (r))
#define CMD_ROLES_ANY 0xffffffffu

/* What a handler may use besides the request. */
/* Log lines about a write's changes, held until it is durable (cmd_log). */
struct cmd_note {
	struct cmd_note *next;
	char text[]; /* in the request's arena */
};
struct cmd_notes {
	struct cmd_note *head, **tail; /* tail: &head while empty */
};

struct cmd_ctx {
	struct server *srv;            /* config, store, key */
	struct session *session;       /* for enrolment and subscribe only */
	const struct store_user *user; /* NULL for anonymous commands */
	struct arena *arena;           /* response allocations */
	int64_t now;                   /* request time, Unix seconds */
	const struct scope *scope;     /* what user sees; NULL if anonymous */
	struct cmd_notes *notes;       /* a write's cmd_log lines, or NULL */
};

/*
 * A handler reads req and fills resp's body (resp->body_case and the member).
 * It returns 0, or the result of cmd_error() which has filled resp->error.
 * It never touches sockets, crypto or transactions.
 */
typedef int (*cmd_handler)(
    struct cmd_ctx *ctx, const Tier__Request *req, Tier__Response *resp);

/* One row of the command table; each cmd_*.c exports its rows. */
struct cmd_entry {
	const char *name;                  /* as in the .proto oneof */
	Tier__Request__BodyCase request;   /* which request */
	Tier__Response__BodyCase response; /* which response body */
	int flags;                         /* CMD_* */
	uint32_t roles;                    /* CMD_ROLE() bits that may call */
	cmd_handler handler;
};

/* The table, terminated by a row with a NULL name. */
extern const struct cmd_entry *const dispatch_table[];

/* The row for a request kind, or NULL. */
const struct cmd_entry *dispatch_lookup(Tier__Request__BodyCase request);

/*
 * Takes one decoded request (ownership passes to the dispatcher) and runs it
 * through lookup, state, role, transaction and handler; the response is sent
 * through session_send, now or after the group commit.
 */
void dispatch_request(struct session *s, Tier__Request *req);

/*
 * Runs a request's handler and fills resp (used by the dispatcher and the
 * commit queue). Returns the handler's result.
 */
int dispatch_run(struct session *s, const struct cmd_entry *cmd,
    const Tier__Request *req, Tier__Response *resp, struct arena *arena,
    struct cmd_notes *notes);

/*
 * Fills resp->error and returns a negative code for the handler to return.
 * field names the request field at fault ("" if none); hint may be NULL.
 */
int cmd_error(struct cmd_ctx *ctx, Tier__Response *resp, Tier__ErrorCode code,
    const char *field, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/*
 * Logs a line (at info) saying what the request changed. Given notes (a
 * write in a group commit), the line waits there until the change is
 * durable, and goes if it is not made: the log tells no change that did
 * not happen. Otherwise it is written at once.
 */
void cmd_log(struct cmd_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes the lines held in notes and empties it. */
void cmd_notes_flush(struct cmd_notes *notes);
/* Empties notes without writing them. */
void cmd_notes_clear(struct cmd_notes *notes);

/* Converts a stored user to its wire form, allocated in the arena. */
Tier__User *cmd_user_to_wire(struct arena *a, const struct store_user *u);
/*
 * One page of the records a store walk offers, of those the user sees (the
 * list requests). In the walk's callback, cmd_page_admit says 0 for a record
 * of a BU the user does not see (skip it: return 0), -1 once the page is full
 * (more is set: return 1 to end the walk) and 1 to take it as row n. The
 * callback builds that row and returns cmd_page_added's answer: the row is
 * counted (0, go on), or the failure r is kept (1, stop).
 */
struct cmd_page {
	struct cmd_ctx *ctx;
	size_t n, limit; /* rows taken, rows wanted */
	int more;        /* another visible record follows the page */
	int r;           /* the first failure, if any */
};

/* Starts an empty page of asked rows (0: dflt), at most max. */
void cmd_page_start(struct cmd_page *pg, struct cmd_ctx *ctx, size_t asked,
    size_t dflt, size_t max);
int cmd_page_admit(struct cmd_page *pg, int64_t bu_id);
int cmd_page_added(struct cmd_page *pg, int r);
/* Resolves a scope text (a user's) against the organisation as it is now.
 * Returns 0, ERR_ALLOC or ERR_STORE; on 0 the caller releases out. */
int cmd_scope_resolve(struct store *st, const char *text, struct scope *out);
/* The BU called name, if the user sees it; else NOT_FOUND naming field,
 * with empty_hint (when not NULL) as the hint for an empty name. */
int cmd_find_bu(struct cmd_ctx *ctx, Tier__Response *resp, const char *name,
    const char *field, const char *empty_hint, struct store_unit *out);

/*
 * Reports a stale version: "candidate 12 was changed by NAME at TIME
 * (version V; you sent W)". Returns cmd_error's result (CONFLICT).
 */
int cmd_conflict(struct cmd_ctx *ctx, Tier__Response *resp, const char *what,
    int64_t id, uint64_t have, uint64_t sent, int64_t updated_by,
    int64_t updated_at);

/* scope.c -------------------------------------------------------------------*/

/*
 * What a user may see, resolved from its scope expression against the
 * organisation: a record belongs to a segment (candidates) or a BU (cycles,
 * customers); out-of-scope records are treated as not existing.
 */
struct scope {
	int all;           /* scope "all": admin and auditor */
	int64_t *segments; /* visible segment ids, sorted */
	size_t nsegments;
	int64_t *bus; /* BUs seen through any visible segment, sorted */
	size_t nbus;
	int64_t *whole_bus; /* BUs wholly in scope (bg: and bu: scopes) */
	size_t nwhole_bus;
	int64_t bg; /* the BG of a bg: scope, else 0 */
};

/*
 * Resolves expr ("all", "bg:NAME", "bu:NAME", "segments:A,B") against the
 * units. Names that match no unit see nothing (a unit made later is seen
 * once it exists). Returns 0 or ERR_ALLOC; scope_release frees.
 */
int scope_resolve(const char *expr, const struct store_unit *units, size_t n,
    struct scope *out);
void scope_release(struct scope *sc);
/* 1 if the segment is visible. */
int scope_sees_segment(const struct scope *sc, int64_t segment_id);
/* 1 if the BU is visible (wholly, or through one of its segments). */
int scope_sees_bu(const struct scope *sc, int64_t bu_id);
/* 1 if the whole BU is in scope (what a bu_vp or bg_vp needs to act on it). */
int scope_covers_bu(const struct scope *sc, int64_t bu_id);

/* workflow.c ----------------------------------------------------------------*/

/*
 * The candidate state machine as one table: (state, action) -> next state,
 * who may, what is required. Handlers gather the facts, workflow_check
 * decides; nothing else in tierd decides whether a transition is legal.
 */
struct wf_facts {
	Tier__CandidateState state; /* UNSPECIFIED before PROPOSE */
	Tier__Role role;            /* the actor's role, or the delegator's
				       when deciding as a deputy */
	int in_scope;               /* the candidate's segment is in scope
				       (for approvers: its BU is covered) */
	int cycle_open;             /* the cycle is OPEN */
	int is_proposer;            /* actor or delegator proposed it */
	int is_submitter;           /* actor or delegator submitted it */
	int decided_earlier_step;   /* actor or delegator approved an earlier
				       step of this submission */
	Tier__Role step_role;       /* the pending step's role (PENDING) */
	int last_step;              /* the pending step is the chain's last */
	int score_complete;         /* every criterion in force scored, after
				       this request's scores (SCORE) */
	int needs_rescore;          /* criteria changed since scoring */
	int below_min;              /* weighted score < the policy minimum */
	/* What the request carries; ignored by workflow_allowed. */
	int has_scores;          /* SCORE: at least one score */
	int has_reason;          /* a non-empty reason */
	int has_tier, has_owner; /* SUBMIT */
	int tier_differs;        /* SUBMIT: tier != suggested tier */
	int has_justification;   /* SUBMIT */
};

struct wf_outcome {
	Tier__CandidateState next; /* the state after the action */
	int advance_step;          /* APPROVE before the last step: step+1 */
	Tier__ErrorCode code;      /* NONE when allowed */
	const char *field;         /* the request field at fault, or "" */
	char message[256];         /* why not, naming state and what is
				      allowed; "" when allowed */
};

/* Decides action given the facts. Returns 0 when allowed, ERR_DENIED when
 * not (out says why). */
int workflow_check(const struct wf_facts *f, Tier__CandidateAction action,
    struct wf_outcome *out);
/* The actions the facts allow, ignoring what a request must carry, as a
 * bit mask of 1 << action. */
uint32_t workflow_allowed(const struct wf_facts *f);
/* The lower-case name of an action ("approve") or state ("pending"). */
const char *workflow_action_name(Tier__CandidateAction a);
const char *workflow_state_name(Tier__CandidateState s);

/* audit.c -------------------------------------------------------------------*/

/*
 * The tamper-evident audit log. Each entry's hash is BLAKE2b-256 over the
 * previous entry's hash and the entry's fields, length-prefixed; the first
 * entry chains from 32 zero bytes. Entries are written in the transaction of
 * the change they record.
 */

/*
 * Appends an entry by ctx->user at ctx->now. before/after are JSON texts (""
 * for none); reason may be "". Returns 0 or ERR_STORE.
 */
int audit_record(struct cmd_ctx *ctx, const char *action, const char *entity,
    int64_t entity_id, const char *before, const char *after,
    const char *reason);
/* The same for a JSON value (not consumed), NULL for none. */
int audit_record_json(struct cmd_ctx *ctx, const char *action,
    const char *entity, int64_t entity_id, const struct json_t *before,
    const struct json_t *after, const char *reason);
/* Computes the chain hash of e after prev. */
void audit_hash(
    const uint8_t prev[32], const struct store_audit *e, uint8_t out[32]);
/*
 * Recomputes the whole chain and checks its end against the recorded head.
 * *ok is 1 when every entry holds; otherwise *first_bad is the first entry
 * that fails and problem says how (edited, deleted or reordered entries all
 * break the chain there). head receives the hash of the last good entry:
 * kept outside the database, it anchors a later verification. Returns 0 or
 * ERR_STORE.
 */
int audit_verify(struct store *st, int *ok, uint64_t *entries,
    uint64_t *first_bad, uint8_t head[32], char *problem, size_t problem_len);

/* jsonw.c -------------------------------------------------------------------*/

/*
 * A JSON writer that appends straight to a buffer, for documents written on
 * every request of a hot path (a candidate's audit forms): no tree of
 * values is built and freed. Its output is the text jansson's json_dumps
 * prints with JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII for the
 * same value, provided the caller writes each object's keys in strcmp()
 * order, so documents written either way look and hash alike.
 *
 * Errors are sticky: once a call fails (no memory, text that is not UTF-8,
 * a number that is not finite) the later calls do nothing and jsonw_finish
 * returns the first error. Nesting is the caller's to balance.
 */

struct jsonw {
	struct buf *out; /* the document is appended here */
	size_t start;    /* out->len when the document began */
	int err;         /* 0, or the first error */
};

/* Starts a document at the end of out. */
void jsonw_init(struct jsonw *w, struct buf *out);

/*
 * Each value is a member named key of the enclosing object, or, with key
 * NULL, an element of the enclosing array or the whole document.
 */
void jsonw_object(struct jsonw *w, const char *key); /* opens '{' */
void jsonw_array(struct jsonw *w, const char *key);  /* opens '[' */
void jsonw_end_object(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);
void jsonw_int(struct jsonw *w, const char *key, int64_t v);
void jsonw_real(struct jsonw *w, const char *key, double v);
void jsonw_bool(struct jsonw *w, const char *key, int v);
/* s must be UTF-8; NULL is written as "". */
void jsonw_str(struct jsonw *w, const char *key, const char *s);

/*
 * Ends the document with a NUL byte (not counted in out->len), so that
 * out->data + start is a C string. Returns 0, ERR_ALLOC, or ERR_INVALID_ARG
 * for text that is not UTF-8 or a real that is not finite.
 */
int jsonw_finish(struct jsonw *w);

/* cmd_user.c ----------------------------------------------------------------*/

/* A user as JSON for the audit log (no secrets); NULL when out of memory. */
json_t *cmd_user_json(const struct store_user *u);
/* 1 if name is a valid login name: 1-64 of [a-z0-9._-], starting with a
 * letter or digit. */
int cmd_user_name_valid(const char *name);

/* commit.c ------------------------------------------------------------------*/

/*
 * Group commit: write requests arriving in one turn of the event loop run in
 * one transaction, each inside its own savepoint, and are answered only after
 * the single COMMIT and its sync (one fsync, shared with the batches
 * committed while it ran) succeed.
 */
struct commit;

int commit_new(struct server *srv, struct commit **out);
void commit_free(struct commit *c);
/* Queues a write request; ownership of req passes to the queue. */
void commit_enqueue(struct commit *c, struct session *s,
    const struct cmd_entry *cmd, Tier__Request *req);
/* Runs the queue now and waits for its sync (graceful stop). */
void commit_flush(struct commit *c);
/* After a COMMIT made outside the queue (escalate.c): the feed tells
 * subscribers once it is durable. */
void commit_written(struct server *srv);
/* Opens the loop turn's read snapshot, if none is open; see commit.c. */
void commit_snapshot(struct commit *c);
/* Totals since start, for /metrics. Syncs are counted only when a thread
 * does them (else each COMMIT syncs itself and counts as a batch). */
struct commit_stats {
	uint64_t batches;    /* COMMITs of the queue */
	uint64_t requests;   /* write requests they ran */
	uint64_t syncs;      /* fdatasyncs of the log by the sync threads */
	double sync_seconds; /* the time those took */
	uint64_t failures;   /* batches that could not commit */
	const char *failing; /* why the last batch failed, NULL once one
				commits; valid until the next batch */
};
void commit_stats(struct commit *c, struct commit_stats *out);

/* enrol.c -------------------------------------------------------------------*/

/* Enrolment codes: 16 base32 characters in groups of four, 80 bits. */
#define ENROL_CODE_SIZE 20 /* "ABCD-EFGH-JKMN-PQRS" + NUL */

/*
 * Issues a fresh code for user_id, valid for ttl seconds, superseding older
 * ones. Returns 0 or ERR_STORE.
 */
int enrol_issue(struct store *st, int64_t user_id, long ttl, int64_t now,
    char code[ENROL_CODE_SIZE], int64_t *expires_at);

/*
 * Normalises what a user typed (case, dashes, spaces, look-alike letters)
 * and hashes it. Returns 0 or ERR_INVALID_ARG when it cannot be a code.
 */
int enrol_hash(const char *typed, uint8_t hash[32]);

/* store_cycle.c -------------------------------------------------------------*/

/*
 * Cycles (one planning year of one BU, with its policy in the row), their
 * segment quotas, their criteria sets (every version kept), and the bulk
 * marking of candidates when the criteria change while a cycle is open.
 */

#define STORE_CHAIN_MAX 4 /* approval steps in a chain */

/* An approval chain: the roles that approve, in order. */
struct store_chain {
	size_t n;                          /* steps, 1..STORE_CHAIN_MAX */
	Tier__Role steps[STORE_CHAIN_MAX]; /* bu_vp or bg_vp */
};

struct store_cycle {
	int64_t id;             /* row id */
	int64_t bu_id;          /* the BU whose year this is */
	uint32_t year;          /* 2000-2999, one cycle per BU and year */
	Tier__CycleState state; /* drafting, open or closed */
	double min_score;       /* policy: submittable at or above */
	double cut_strategic;   /* policy: suggested strategic at or above */
	double cut_key;         /* policy: suggested key at or above */
	struct store_chain chains[4]; /* by Tier__TierLevel; [0] unused */
	uint32_t step_limit_hours;    /* a step pending longer is overdue */
	uint32_t criteria_version;    /* latest criteria set, 0 before any */
	int64_t derived_from;         /* the source cycle, 0 if not derived */
	char derive_reason[1000 * 4 + 1]; /* why it was derived, "" if not:
					     1000 characters of UTF-8 */
	int64_t version;                  /* record version, 1 at creation */
	int64_t updated_by;               /* user id of the last change */
	int64_t updated_at;               /* Unix seconds of the last change */
};

/* A segment of a cycle's BU with its quota and candidate counts. */
struct store_quota {
	int64_t segment_id;                 /* the segment's unit id */
	char segment[STORE_UNIT_NAME_SIZE]; /* its name */
	uint32_t quota;    /* candidates wanted, 0 when none set */
	uint32_t proposed; /* candidates of the cycle in it, any state */
	uint32_t approved; /* of which approved */
};

/* One criterion of a set; strings live in the arena given to the reader. */
struct store_criterion {
	const char *name;        /* unique in the set */
	const char *description; /* free text, may be "" */
	uint32_t scale_min;      /* scores are integers in [min, max] */
	uint32_t scale_max;
	uint32_t weight; /* 1-100; a set's weights sum to 100 */
};

/* One version of a cycle's criteria. */
struct store_criteria {
	int64_t id;          /* row id of the set */
	int64_t cycle_id;    /* the cycle it belongs to */
	uint32_t version;    /* 1, 2, ... within the cycle */
	const char *reason;  /* why this version was made */
	const char *changes; /* what changed against the previous one */
	int frozen;          /* fixed since the cycle opened */
	int64_t created_by;  /* user id */
	int64_t created_at;  /* Unix seconds */
	struct store_criterion *criteria; /* in position order */
	size_t n;                         /* criteria in the set */
};

/* A candidate as the criteria change sees it (before the change). */
struct store_rescore {
	int64_t id;                 /* candidate id */
	Tier__CandidateState state; /* scored, pending, or proposed (returned)
				       with a complete score */
	uint32_t step;              /* pending step, 0-based */
	int64_t pending_since;      /* 0 unless pending */
	int score_complete;         /* 1 if complete for the old version */
	int needs_rescore;          /* already marked */
	int64_t version;            /* record version */
};

/* Each returns 0, ERR_NOT_FOUND or ERR_STORE. */
int store_cycle_get(struct store *st, int64_t id, struct store_cycle *out);
int store_cycle_by_year(
    struct store *st, int64_t bu_id, uint32_t year, struct store_cycle *out);
/* Inserts c (id ignored) and sets c->id. Returns 0, ERR_EXISTS (the BU
 * has a cycle for that year) or ERR_STORE. */
int store_cycle_insert(struct store *st, struct store_cycle *c);
/*
 * Writes every mutable column of c, whose version the caller has already
 * increased by one: the row must still be at c->version - 1. Returns 0,
 * ERR_CONFLICT when it is not, or ERR_STORE.
 */
int store_cycle_update(struct store *st, const struct store_cycle *c);
/* Every cycle (of one BU when bu_id is not 0), newest year first. *out is
 * malloc'd, owned by the caller. Returns 0, ERR_ALLOC or ERR_STORE. */
int store_cycle_list(
    struct store *st, int64_t bu_id, struct store_cycle **out, size_t *n);
/* Every segment of the cycle's BU, by name, with quota and counts. *out is
 * malloc'd, owned by the caller. Returns 0, ERR_ALLOC or ERR_STORE. */
int store_cycle_quotas(struct store *st, const struct store_cycle *c,
    struct store_quota **out, size_t *n);
/* Sets one segment's quota. Returns 0 or ERR_STORE. */
int store_cycle_quota_set(
    struct store *st, int64_t cycle_id, int64_t segment_id, uint32_t quota);
/* How many candidates of the cycle are in state. Returns 0 or ERR_STORE. */
int store_cycle_count_state(struct store *st, int64_t cycle_id,
    Tier__CandidateState state, uint64_t *n);

/*
 * Reads one version of a cycle's criteria, strings and array in arena.
 * Returns 0, ERR_NOT_FOUND, ERR_ALLOC or ERR_STORE.
 */
int store_criteria_get(struct store *st, struct arena *arena, int64_t cycle_id,
    uint32_t version, struct store_criteria *out);
/* Every version of a cycle's criteria, oldest first, all in arena. */
int store_criteria_all(struct store *st, struct arena *arena, int64_t cycle_id,
    struct store_criteria **out, size_t *n);
/*
 * Stores c as version c->version of its cycle: a new set, or, when that
 * version exists and is not frozen, a replacement of it. Sets c->id.
 * Returns 0, ERR_EXISTS (that version is frozen) or ERR_STORE.
 */
int store_criteria_put(struct store *st, struct store_criteria *c);
/* Marks a version frozen. Returns 0 or ERR_STORE. */
int store_criteria_freeze(struct store *st, int64_t cycle_id, uint32_t version);

/*
 * The candidates of a cycle that a criteria change touches: scored,
 * pending, and proposed ones with a complete score, by id. *out is malloc'd,
 * owned by the caller. Returns 0, ERR_ALLOC or ERR_STORE.
 */
int store_cycle_rescore_targets(
    struct store *st, int64_t cycle_id, struct store_rescore **out, size_t *n);
/*
 * Applies a criteria change to the cycle's undecided candidates: scored and
 * pending ones become scored with needs_rescore set and the chain reset
 * (step 0, pending_since 0), proposed ones lose score_complete; each changed
 * row gets version + 1, updated_by and updated_at. Returns 0 or ERR_STORE.
 */
int store_cycle_rescore_mark(
    struct store *st, int64_t cycle_id, int64_t user_id, int64_t now);

/* store_customer.c ----------------------------------------------------------*/

/*
 * Customers of a BU with their archive card and revenue by year. Readers put
 * strings and arrays in the arena they are given; store_customer_each hands
 * out rows whose strings are valid during the call only.
 */

struct store_revenue {
	uint32_t year;  /* calendar year */
	int64_t amount; /* in the organisation's currency unit */
	int64_t plan;   /* planned amount of the year, 0 when none */
};

struct store_customer {
	int64_t id;            /* row id */
	int64_t bu_id;         /* the BU whose list holds it */
	const char *name;      /* as entered */
	const char *norm_name; /* msg_norm_name(name), unique per BU */
	const char *industry;  /* card fields, "" when not recorded */
	const char *region;
	const char *size;
	const char *contacts;
	int64_t credit_limit; /* 0: not recorded */
	const char *payment_terms;
	const char *profile;            /* company profile and operations */
	const char *key_people;         /* decision makers, free text */
	const char *transaction_status; /* "", none, prospect, active, ... */
	const char *grade; /* "", potential, general, key, strategic */
	int64_t owner_id;  /* development owner (user id), 0 for none */
	struct store_revenue *revenue; /* by year; NULL from _each */
	size_t nrevenue;
	int64_t version;    /* record version, 1 at creation */
	int64_t updated_by; /* user id of the last change */
	int64_t updated_at; /* Unix seconds */
	int64_t created_at; /* Unix seconds */
};

/* Each returns 0, ERR_NOT_FOUND, ERR_ALLOC or ERR_STORE. */
int store_customer_get(struct store *st, struct arena *arena, int64_t id,
    struct store_customer *out);
int store_customer_by_norm(struct store *st, struct arena *arena, int64_t bu_id,
    const char *norm_name, struct store_customer *out);
/* The revenue rows of a customer, by year, in arena. */
int store_customer_revenue(struct store *st, struct arena *arena, int64_t id,
    struct store_revenue **out, size_t *n);
/* Inserts c with its revenue (id ignored; version 1) and sets c->id.
 * Returns 0, ERR_EXISTS (same normalised name in the BU) or ERR_STORE. */
int store_customer_insert(struct store *st, struct store_customer *c);
/*
 * Replaces the card and revenue of c, whose version the caller has already
 * increased by one (the row must be at c->version - 1). Returns 0,
 * ERR_CONFLICT, ERR_EXISTS (same normalised name in the BU) or ERR_STORE.
 */
int store_customer_update(struct store *st, const struct store_customer *c);
/*
 * Calls fn for each customer with id > after, by id, of one BU (bu_id not 0)
 * and whose normalised name contains search ("" for all) and whose grade is
 * grade (NULL for any, "" for none), until fn returns non-zero, which is
 * returned (1 conventionally means "enough"). Returns 0, fn's value, or
 * ERR_STORE.
 */
int store_customer_each(struct store *st, int64_t bu_id, const char *search,
    const char *grade, int64_t after,
    int (*fn)(const struct store_customer *c, void *arg), void *arg);
/*
 * Sets grade and owner of customer id, whose row must be at version - 1;
 * the row gets version, updated_by and updated_at. Returns 0, ERR_CONFLICT
 * or ERR_STORE.
 */
int store_customer_grade(struct store *st, int64_t id, int64_t version,
    const char *grade, int64_t owner_id, int64_t user_id, int64_t now);
/*
 * Calls fn for each customer of one BU (every BU when bu_id is 0), by id,
 * with its revenue summed over the years year..to_year (0 without rows),
 * until fn returns non-zero, which is returned. Returns 0, fn's value or
 * ERR_STORE.
 */
int store_customer_abc(struct store *st, int64_t bu_id, uint32_t year,
    uint32_t to_year,
    int (*fn)(int64_t id, int64_t bu_id, const char *name, int64_t revenue,
	void *arg),
    void *arg);
/*
 * The first candidate of the customer in the given state (any state when
 * state is UNSPECIFIED), with its cycle. Returns 0, ERR_NOT_FOUND or
 * ERR_STORE.
 */
int store_customer_candidate(struct store *st, int64_t customer_id,
    Tier__CandidateState state, int64_t *candidate_id, int64_t *cycle_id);

/* store_inquiry.c -----------------------------------------------------------*/

/*
 * Inquiries of a BU with the marketing head's decision, their monthly
 * counts, and the figures of the annual review of a cycle.
 */

struct store_inquiry {
	int64_t id;                   /* row id */
	int64_t bu_id;                /* the BU it came to */
	int64_t segment_id;           /* 0 when not known */
	Tier__InquiryChannel channel; /* phone, mail, ... */
	char received_on[11];         /* "YYYY-MM-DD" */
	const char *caller;           /* who called */
	const char *company;          /* their company */
	const char *request;          /* what they asked for */
	const char *handling;         /* the first handling, may be "" */
	Tier__InquiryOutcome outcome; /* OPEN until decided */
	const char *note;             /* serve note or decline reason */
	int64_t customer_id;          /* promoted or served: 0 otherwise */
	int64_t candidate_id;         /* promoted: 0 otherwise */
	int64_t cycle_id;             /* promoted: the candidate's cycle */
	int64_t logged_by;            /* user id */
	int64_t created_at;           /* Unix seconds */
	int64_t decided_by;           /* user id, 0 while open */
	int64_t decided_at;           /* Unix seconds, 0 while open */
	/* Read only, joined: */
	const char *bu;      /* BU name */
	const char *segment; /* segment name, "" */
	const char *logger;  /* user names, "" for none */
	const char *decider;
};

/* What store_inquiry_each walks. */
struct store_inquiry_filter {
	int64_t bu_id;     /* 0 for any */
	const char *month; /* "YYYY-MM" of received_on, "" for any */
	int open_only;     /* only outcome OPEN */
	int64_t before;    /* ids below this, 0 for all */
};

/* Reads inquiry id, strings in arena. Returns 0, ERR_NOT_FOUND, ERR_ALLOC or
 * ERR_STORE. */
int store_inquiry_get(struct store *st, struct arena *arena, int64_t id,
    struct store_inquiry *out);
/* Copies q's strings into the arena. Returns 0 or ERR_ALLOC. */
int store_inquiry_keep(struct arena *a, struct store_inquiry *q);
/*
 * Calls fn for each inquiry the filter matches, by id descending, until fn
 * returns non-zero, which is returned; the row's strings are valid during
 * the call only. Returns 0, fn's value, or ERR_STORE.
 */
int store_inquiry_each(struct store *st, const struct store_inquiry_filter *f,
    int (*fn)(const struct store_inquiry *q, void *arg), void *arg);
/* Inserts q (bu, segment, channel, received_on, texts, logged_by,
 * created_at used) as open and sets q->id. Returns 0 or ERR_STORE. */
int store_inquiry_insert(struct store *st, struct store_inquiry *q);
/* Writes the decision of q (outcome, note, customer, candidate, cycle,
 * decided_by/at) if the inquiry is still open. Returns 0, ERR_CONFLICT
 * (already decided) or ERR_STORE. */
int store_inquiry_decide(struct store *st, const struct store_inquiry *q);
/*
 * Counts the inquiries of a BU received in month ("YYYY-MM"): fn gets
 * (0, segment id or 0, n), (1, channel, n) and (2, outcome, n) for each
 * value that occurs. Returns 0, fn's non-zero value or ERR_STORE.
 */
int store_inquiry_counts(struct store *st, int64_t bu_id, const char *month,
    int (*fn)(int by, int64_t key, uint32_t count, void *arg), void *arg);
/* The open cycle of a BU (the latest year if several). Returns 0,
 * ERR_NOT_FOUND or ERR_STORE. */
int store_inquiry_open_cycle(
    struct store *st, int64_t bu_id, int64_t *cycle_id);

/* One tier and segment of a cycle's annual review. */
struct store_review_row {
	Tier__TierLevel tier;    /* of the approved candidates */
	const char *segment;     /* segment name */
	uint32_t targets;        /* approved candidates */
	uint32_t visits;         /* visits dated in the cycle's year */
	uint32_t complaints;     /* complaints opened in the cycle's year */
	int64_t revenue, plan;   /* revenue.amount and .plan of the year */
	uint32_t from_inquiries; /* targets promoted from an inquiry */
};

/*
 * The review figures of cycle cy by tier (strategic first) and segment, in
 * arena, and in *promoted the inquiries promoted into the cycle. Returns 0,
 * ERR_ALLOC or ERR_STORE.
 */
int store_review(struct store *st, struct arena *arena,
    const struct store_cycle *cy, struct store_review_row **out, size_t *n,
    uint32_t *promoted);

/* store_delegation.c --------------------------------------------------------*/

/* Approvers' delegations to deputies for a period. */
struct store_delegation {
	int64_t id;          /* row id */
	int64_t approver_id; /* the bu_vp or bg_vp who delegates */
	int64_t deputy_id;   /* who may decide in their place */
	int64_t starts_at;   /* Unix seconds, inclusive */
	int64_t ends_at;     /* Unix seconds, exclusive */
	int64_t created_at;  /* Unix seconds */
};

/* Inserts d (id ignored) and sets d->id. Returns 0 or ERR_STORE. */
int store_delegation_insert(struct store *st, struct store_delegation *d);
/*
 * Delegations given or received by user_id (every one when user_id is 0),
 * by start. *out is malloc'd, owned by the caller. Returns 0, ERR_ALLOC or
 * ERR_STORE.
 */
int store_delegation_list(struct store *st, int64_t user_id,
    struct store_delegation **out, size_t *n);
/* The delegations to deputy_id in force at now (starts_at <= now <
 * ends_at), by approver. As store_delegation_list otherwise. */
int store_delegation_active(struct store *st, int64_t deputy_id, int64_t now,
    struct store_delegation **out, size_t *n);

/* cmd_org.c -----------------------------------------------------------------*/

/* "BG", "BU" or "segment", as messages name a unit kind. */
const char *cmd_org_kind_name(Tier__UnitKind kind);

/* cmd_cycle.c ---------------------------------------------------------------*/

/*
 * Loads cycle id as ctx's user may see it: ERR_INVALID_ARG with NOT_FOUND
 * "no cycle ID" in resp (field names the request field) when it does not
 * exist or its BU is out of scope. Returns 0 or an error for the handler
 * to return.
 */
int cmd_cycle_load(struct cmd_ctx *ctx, Tier__Response *resp, uint64_t id,
    const char *field, struct store_cycle *out);
/*
 * cmd_cycle_load for a change of the cycle itself by a bu_vp: the whole BU
 * must be in scope (else PERMISSION_DENIED), the cycle not closed, and
 * version the cycle's (else BAD_REQUEST for 0, CONFLICT for another). body
 * is the request's field name ("cycle_update") for the error's field.
 * Returns 0 or an error for the handler to return.
 */
int cmd_cycle_load_change(struct cmd_ctx *ctx, Tier__Response *resp,
    uint64_t id, uint64_t version, const char *body, struct store_cycle *out);
/* Refuses any change in a closed cycle: BAD_REQUEST "cycle 3 (2027) is
 * closed; nothing in it can change". Returns 0 when the cycle is not closed. */
int cmd_cycle_writable(
    struct cmd_ctx *ctx, Tier__Response *resp, const struct store_cycle *c);
/* The wire form of a cycle, with the quotas of the segments in scope,
 * allocated in ctx's arena. Returns 0, ERR_ALLOC or ERR_STORE. */
int cmd_cycle_to_wire(
    struct cmd_ctx *ctx, const struct store_cycle *c, Tier__Cycle **out);
/* A user's name for the wire, in ctx's arena: "" for id 0, "user N" for an
 * unknown id; NULL when out of memory. */
char *cmd_cycle_user_name(struct cmd_ctx *ctx, int64_t user_id);

/* cmd_customer.c ------------------------------------------------------------*/

#define CUSTOMER_CARD_FIELDS 10 /* card fields that can be missing */

/* The card fields of c still empty ("industry", "region", "size",
 * "contacts", "credit_limit", "payment_terms", "revenue", "profile",
 * "key_people", "transaction_status"), in that order, into out (static
 * strings). Returns how many. */
size_t cmd_customer_missing(
    const struct store_customer *c, const char *out[CUSTOMER_CARD_FIELDS]);
/* The wire form of a customer, in ctx's arena; NULL when out of memory or
 * the store fails. */
Tier__Customer *cmd_customer_to_wire(
    struct cmd_ctx *ctx, const struct store_customer *c);
/* The audit form of a customer of BU bu (its name): a new reference, or
 * NULL when out of memory. Every "customer" entry's before and after. */
json_t *cmd_customer_json(const struct store_customer *c, const char *bu);

/* cmd_grade.c ---------------------------------------------------------------*/

/* The grade a customer gets from an approved candidate of tier t ("" for
 * TIER_LEVEL_UNSPECIFIED). */
const char *cmd_grade_of_tier(Tier__TierLevel t);
/* The tier level of grade name ("general", "key", "strategic"), 0 for
 * "potential", -1 for anything else ("" included). */
int cmd_grade_of_name(const char *name);
/*
 * Sets customer c's grade ("" for none) and owner and writes the
 * "customer.grade" audit entry with reason, in the caller's transaction; c is
 * the customer as read, its version the one replaced. Returns 0,
 * ERR_CONFLICT (c changed meanwhile), ERR_ALLOC or ERR_STORE.
 */
int cmd_grade_set(struct cmd_ctx *ctx, const struct store_customer *c,
    const char *grade, int64_t owner_id, const char *reason);
/*
 * Gives customer customer_id the grade of tier and owner owner_id, as the
 * final approval of candidate candidate_id does, with its own audit entry
 * "customer.grade" (reason names the candidate). Call inside the approval's
 * transaction. Returns 0, ERR_NOT_FOUND, ERR_CONFLICT, ERR_ALLOC or
 * ERR_STORE.
 */
int cmd_grade_from_candidate(struct cmd_ctx *ctx, int64_t customer_id,
    Tier__TierLevel tier, int64_t owner_id, int64_t candidate_id);

/* abc.c ---------------------------------------------------------------------*/

/*
 * ABC analysis: customers ordered by revenue, classed by the cumulative share
 * of the total before them. Pure: no store, no allocation.
 */

struct abc_item {
	int64_t id;        /* the caller's, ties after name */
	const char *name;  /* ties in revenue are ordered by name (bytes) */
	int64_t revenue;   /* >= 0 */
	int64_t tag;       /* the caller's, carried along (e.g. the BU) */
	uint32_t rank;     /* out: 1-based; tied revenue shares the rank */
	double share;      /* out: percent of the total */
	double cumulative; /* out: percent up to and including this item */
	char abc_class;    /* out: 'A', 'B' or 'C' */
};

/*
 * Sorts items by revenue (largest first, then name, then id) and classes
 * them: A while the cumulative share before an item is below a percent, B
 * while it is below a + b percent, else C. Items tied in revenue get the
 * class of the first of the tie; zero revenue is C, and so is everything
 * when the total is zero. Returns 0, or ERR_INVALID_ARG when a + b > 100,
 * a is 0, or a revenue is negative (items unchanged).
 */
int abc_classify(struct abc_item *items, size_t n, uint32_t a, uint32_t b);

/* store_candidate.c ---------------------------------------------------------*/

/*
 * Candidates with their ranks, scores and approvals, and a cycle's funnel.
 * Readers put strings and arrays in the arena they are given.
 */

struct store_candidate {
	int64_t id;                     /* row id */
	int64_t cycle_id;               /* the cycle it was proposed in */
	int64_t segment_id;             /* the segment it belongs to */
	int64_t customer_id;            /* one candidate per customer, cycle */
	Tier__CandidateState state;     /* see workflow.c */
	double score;                   /* weighted, 0-100, hundredths */
	int score_complete;             /* every criterion in force scored */
	int needs_rescore;              /* criteria changed since scoring */
	uint32_t criteria_version;      /* the version its scores refer to */
	Tier__TierLevel suggested_tier; /* from score and cut-offs */
	Tier__TierLevel tier;           /* as submitted */
	int64_t owner_id;               /* development owner, 0 until submit */
	const char *justification;      /* for a tier off the suggestion */
	const char *chain;              /* the submission's roles, "2,1" */
	uint32_t step;                  /* 0-based index of the pending step */
	uint32_t round;                 /* submissions so far */
	int64_t pending_since; /* start of the step; 0 unless pending */
	int64_t proposed_by;   /* user id */
	int64_t submitted_by;  /* user id, 0 until submitted */
	const char *reason;    /* of the last reject, return, ... */
	int ever_scored;       /* reached scored once (funnel) */
	int ever_submitted;    /* was submitted once (funnel) */
	uint64_t version;      /* record version, 1 at creation */
	int64_t updated_by;    /* user id of the last change */
	int64_t updated_at;    /* Unix seconds */
	int64_t created_at;    /* Unix seconds */
	/* Read only, joined: */
	uint32_t year;        /* the cycle's */
	int64_t bu_id;        /* the cycle's BU */
	const char *bu;       /* its name */
	const char *segment;  /* segment name */
	const char *customer; /* customer name */
	const char *owner;    /* user names, "" when none */
	const char *proposer;
	const char *submitter;
	const char *updater;
	uint32_t rank_segment; /* RANK() among complete ones, 0 if not */
	uint32_t rank_bu;
	int64_t inquiry_id; /* the inquiry it was promoted from, or 0 */
};

/* What store_candidate_list returns: one cycle's, paged by rank. */
struct store_candidate_filter {
	int64_t cycle_id;           /* required */
	int64_t segment_id;         /* 0 for any */
	Tier__CandidateState state; /* UNSPECIFIED for any */
	int all_segments;           /* 1: no scope filter */
	const int64_t *segments;    /* else only these segments */
	size_t nsegments;
	uint32_t offset, limit; /* the page */
};

struct store_candidate_score {
	const char *criterion; /* name in the criteria set */
	uint32_t value;        /* within the criterion's scale */
	int64_t scored_by;     /* user id */
	const char *scorer;    /* user name */
	int64_t scored_at;     /* Unix seconds */
};

/* One approved step of a submission (a round). */
struct store_candidate_approval {
	uint32_t step;        /* 0-based */
	int64_t user_id;      /* who decided */
	int64_t on_behalf_of; /* the delegating approver, or 0 */
	const char *user;     /* names of both, "" for none */
	const char *on_behalf;
	int64_t decided_at; /* Unix seconds */
};

/* One segment of a cycle's BU: quota and candidate counts. */
struct store_candidate_funnel {
	int64_t segment_id;
	const char *segment;
	uint32_t quota;     /* 0 when none set */
	uint32_t proposed;  /* candidates, any state */
	uint32_t scored;    /* that were completely scored once */
	uint32_t submitted; /* that were submitted once */
	uint32_t approved;  /* now approved, rejected, withdrawn */
	uint32_t rejected;
	uint32_t withdrawn;
};

/* Each returns 0, ERR_NOT_FOUND, ERR_ALLOC or ERR_STORE. */
int store_candidate_get(
    struct store *st, struct arena *a, int64_t id, struct store_candidate *out);
/* Sets c's ranks from its cycle, segment, state and score as stored now. */
int store_candidate_ranks(struct store *st, struct store_candidate *c);
/* The candidate of a customer in a cycle. */
int store_candidate_find(
    struct store *st, int64_t cycle_id, int64_t customer_id, int64_t *id);
/* Inserts c (cycle, segment, customer, state, criteria_version, proposed_by,
 * created_at used) at version 1 and sets c->id. Returns 0, ERR_EXISTS (the
 * customer is already a candidate of the cycle) or ERR_STORE. */
int store_candidate_insert(struct store *st, struct store_candidate *c);
/* Writes the mutable columns of c that may differ from old, the row as the
 * caller read it, if the row is still at old's version. Returns 0,
 * ERR_CONFLICT or ERR_STORE. */
int store_candidate_update(struct store *st, const struct store_candidate *old,
    const struct store_candidate *c);
/* One page of a cycle's candidates, best score first (incomplete ones
 * last), and in *total how many match the filter. */
int store_candidate_list(struct store *st, struct arena *a,
    const struct store_candidate_filter *f, struct store_candidate **out,
    size_t *n, uint32_t *total);
/* Every pending candidate, oldest pending step first. */
int store_candidate_pending(
    struct store *st, struct arena *a, struct store_candidate **out, size_t *n);
/* A cycle's approved candidates: strategic, key, general, by score. */
int store_candidate_targets(struct store *st, struct arena *a, int64_t cycle_id,
    struct store_candidate **out, size_t *n);
/* The scores of a candidate against one criteria version, by criterion. */
int store_candidate_scores(struct store *st, struct arena *a, int64_t id,
    uint32_t version, struct store_candidate_score **out, size_t *n);
/* Sets one score (insert or replace). Returns 0 or ERR_STORE. */
int store_candidate_score_put(struct store *st, int64_t id, uint32_t version,
    const char *criterion, uint32_t value, int64_t user_id, int64_t now);
/* The approved steps of one submission, by step. */
int store_candidate_approvals(struct store *st, struct arena *a, int64_t id,
    uint32_t round, struct store_candidate_approval **out, size_t *n);
/* Records an approved step. Returns 0, ERR_EXISTS or ERR_STORE. */
int store_candidate_approval_insert(struct store *st, int64_t id,
    uint32_t round, uint32_t step, int64_t user_id, int64_t on_behalf_of,
    int64_t now);
/* Every segment of the cycle's BU, by name, with quota and counts. */
int store_candidate_funnel(struct store *st, struct arena *a, int64_t cycle_id,
    struct store_candidate_funnel **out, size_t *n);

/* A pending step that has waited longer than its cycle allows. */
struct store_overdue {
	int64_t id;            /* the candidate */
	const char *chain;     /* its submission's roles, "2,1" */
	uint32_t step;         /* 0-based pending step */
	uint32_t round;        /* submission */
	int64_t pending_since; /* start of the step, Unix seconds */
	uint32_t limit_hours;  /* the cycle's step limit */
};

/*
 * The pending steps of open cycles that have waited more than their cycle's
 * step_limit_hours * hour_seconds at now and were not yet escalated for this
 * round and step, oldest first, in the arena. Returns 0, ERR_ALLOC or
 * ERR_STORE.
 */
int store_candidate_overdue(struct store *st, struct arena *a, int64_t now,
    int64_t hour_seconds, struct store_overdue **out, size_t *n);
/* Records that the candidate's step mark (round * 16 + step) was
 * escalated. Returns 0, ERR_NOT_FOUND or ERR_STORE. */
int store_candidate_escalated(struct store *st, int64_t id, int64_t mark);

/* cmd_candidate.c -----------------------------------------------------------*/

/*
 * Who is deciding: the user, and the approvers whose delegation to the user
 * is in force now (the user acts with their role and scope for steps of
 * that role).
 */
struct cmd_candidate_actor {
	struct cmd_ctx *ctx;          /* the user and its scope */
	struct store_user *approvers; /* delegators, in ctx's arena */
	struct scope *scopes;         /* theirs, malloc'd */
	size_t napprovers;
};

/* Loads the delegations in force for ctx's user. Returns 0, ERR_ALLOC or
 * ERR_STORE; cmd_candidate_actor_release frees either way. */
int cmd_candidate_actor_load(
    struct cmd_ctx *ctx, struct cmd_candidate_actor *ac);
void cmd_candidate_actor_release(struct cmd_candidate_actor *ac);
/* 1 if the actor sees a segment (and its candidates): it is in the user's
 * scope, or in the scope of an approver the user stands in for. */
int cmd_candidate_sees(
    const struct cmd_candidate_actor *ac, int64_t segment_id);
/*
 * Gathers the workflow facts of c for the actor (score facts from c's
 * columns). For a pending candidate the user decides as itself when its role
 * and scope fit the step, else as the first delegating approver they fit
 * (preferring one four eyes allows); *on_behalf is then that approver, else
 * NULL. Returns 0, ERR_ALLOC or ERR_STORE.
 */
int cmd_candidate_facts(struct cmd_candidate_actor *ac,
    const struct store_candidate *c, const struct store_cycle *cy,
    struct wf_facts *f, const struct store_user **on_behalf);
/*
 * The wire form of c in ctx's arena. With detail, also the score lines,
 * missing information, the chain with its decisions and the actions the
 * actor may take. Returns NULL when out of memory or the store fails.
 */
Tier__Candidate *cmd_candidate_to_wire(struct cmd_candidate_actor *ac,
    const struct store_candidate *c, const struct store_cycle *cy, int detail);
/* The lower-case name of a tier level ("strategic"). */
const char *cmd_candidate_tier_name(Tier__TierLevel t);
/*
 * Proposes customer cu as a candidate of cycle cy in segment seg, all
 * already loaded and checked to belong together: the workflow decides
 * whether the actor may (cycle open, role, scope), then the candidate is
 * inserted, audited ("candidate.propose") and its wire form put in *out.
 * body names the request for error fields ("candidate_propose"). The one
 * way a candidate comes to exist (candidate_propose, inquiry_decide).
 * Returns 0 or an error for the handler to return.
 */
int cmd_candidate_propose_in(struct cmd_candidate_actor *ac,
    Tier__Response *resp, const char *body, const struct store_cycle *cy,
    const struct store_unit *seg, const struct store_customer *cu,
    Tier__CandidateResponse **out);

/* cmd_inquiry.c -------------------------------------------------------------*/

/* The wire form of an inquiry, in ctx's arena; NULL when out of memory. */
Tier__Inquiry *cmd_inquiry_to_wire(
    struct cmd_ctx *ctx, const struct store_inquiry *q);

/* feed.c --------------------------------------------------------------------*/

/*
 * The change feed is the audit log: an entry's seq is the sequence number of
 * the change it records. feed.c decides which entries a subscriber receives
 * (what it may see now, its filter, its approval queue) and delivers them:
 * fan-out after each commit, catch-up in bounded batches, and a cap on what
 * a slow subscriber may make the server hold.
 */

#define FEED_BATCH 500 /* entries read, or events sent, in one go */

/* What a subscriber asked for (FeedFilter); zero fields match anything. */
struct feed_filter {
	int my_queue;         /* candidates entering or leaving its queue */
	int64_t cycle_id;     /* one cycle and its candidates */
	int64_t segment_id;   /* candidates of one segment */
	int64_t candidate_id; /* one candidate */
};

/* The kinds of audited record, by who may see them. */
enum feed_kind {
	FEED_KIND_OTHER,     /* users, units, delegations: scope all only */
	FEED_KIND_CANDIDATE, /* seen through its segment */
	FEED_KIND_CUSTOMER,  /* seen through its BU */
	FEED_KIND_CYCLE,     /* seen through its BU */
	FEED_KIND_INQUIRY,   /* seen through its BU */
	FEED_KIND_VISIT,     /* seen through its customer's BU */
	FEED_KIND_COMPLAINT, /* seen through its customer's BU */
};

/* What the filters know of one audit entry. */
struct feed_facts {
	enum feed_kind kind;   /* from the entry's entity */
	int exists;            /* the record is still there */
	int64_t id;            /* the entity id */
	int64_t segment_id;    /* a candidate's segment */
	int64_t bu_id;         /* the BU the record belongs to */
	int64_t cycle_id;      /* a candidate's cycle, or the cycle */
	uint32_t queue_roles;  /* CMD_ROLE bits of the pending step's role
				  before and after the change */
	uint32_t notify_roles; /* CMD_ROLE bits to tell (candidate.escalate) */
};

/* Who looks at the feed, as of now. */
struct feed_viewer {
	const struct scope *scope;  /* the user's own */
	const struct scope *deputy; /* of the approvers it stands in for */
	size_t ndeputy;
	uint32_t roles; /* CMD_ROLE bits: its role and theirs */
};

/*
 * 1 if the viewer gets the entry: it may see the record now (a candidate
 * through its segment, in its own or a delegated scope; a customer or cycle
 * through its BU; anything else with scope all), an escalation names one of
 * its roles, and the filter holds (my_queue: a candidate whose pending step
 * before or after the change is one of its roles, or an escalation for it;
 * the ids: equal to the candidate's, or the cycle's). A pure function.
 */
int feed_match(const struct feed_filter *f, const struct feed_facts *e,
    const struct feed_viewer *v);
/*
 * The roles whose queue an audited candidate change touches: for each of
 * the before and after JSON texts (audit form, "" for none) that shows
 * state "pending", the role of its "chain" at its "step" (chain falls back
 * to the record's current chain, "2,1", when the text has none). Returns
 * CMD_ROLE bits.
 */
uint32_t feed_queue_roles(
    const char *before, const char *after, const char *chain);

struct feed;

/* Creates the feed with its head at the audit log's last entry. Returns 0,
 * ERR_ALLOC or ERR_STORE. */
int feed_new(struct server *srv, struct feed **out);
/* Frees the feed; subscriptions must be gone (sessions first). NULL is
 * allowed. */
void feed_free(struct feed *f);
/* The newest seq fanned out: what subscribers are told is the head. */
int64_t feed_head(const struct feed *f);
/* The live subscriptions, for /metrics. */
size_t feed_subscribers(const struct feed *f);
/* The smallest after_seq a subscriber may resume from now. */
int64_t feed_oldest_resumable(const struct feed *f);
/*
 * Subscribes s, replacing its earlier subscription. Entries after after_seq
 * (0: from the head) are caught up from the log, starting once the current
 * request's response is queued; after that the session gets each commit's
 * entries. after_seq must be between feed_oldest_resumable and the head.
 * Returns 0 or ERR_ALLOC.
 */
int feed_subscribe(struct feed *f, struct session *s,
    const struct feed_filter *flt, int64_t after_seq, long heartbeat);
/* Ends s's subscription, if any, without telling the client. */
void feed_cancel(struct session *s);
/* Forgets a closing session's subscription (session.c). */
void feed_unsubscribe(struct feed_sub *sub);
/* After a COMMIT is durable: reads the new entries up to audit seq upto
 * (INT64_MAX: all) once and sends them to every subscriber that is caught
 * up. NULL is allowed. */
void feed_committed(struct feed *f, int64_t upto);
/* The session's output drained: continues a catch-up (session.c). */
void feed_drained(struct feed_sub *sub);

/* feed_event.c --------------------------------------------------------------*/

/*
 * From audit entries to wire Events: the facts the filters need, read once
 * per batch, and the Event each subscriber gets, with the record as it is
 * now in that subscriber's wire form.
 */

/* One audit entry on its way to subscribers. */
struct feed_entry {
	struct store_audit row;  /* strings in the batch's arena */
	struct feed_facts facts; /* for feed_match */
	Tier__Role notify[2];    /* candidate.escalate: who is told */
	size_t nnotify;
	/* The record now, read when a first subscriber gets the entry, in
	 * the batch's arena; NULL before, or when it is gone: */
	int loaded;                        /* 1 once read (or found gone) */
	struct store_candidate *candidate; /* FEED_KIND_CANDIDATE */
	struct store_cycle *cycle;         /* the candidate's, or the cycle */
	struct store_customer *customer;   /* FEED_KIND_CUSTOMER */
	struct store_inquiry *inquiry;     /* FEED_KIND_INQUIRY */
	struct store_visit *visit;         /* FEED_KIND_VISIT */
	struct store_complaint *complaint; /* FEED_KIND_COMPLAINT */
	const char *notify_user; /* customer.visit_overdue: the owner */
};

/* Consecutive audit entries, read together. */
struct feed_batch {
	struct arena *arena;  /* the caller's: entries and records */
	struct feed_entry *e; /* in seq order */
	size_t n, cap;
	int64_t last_seq; /* of the last entry read; 0 if none */
};

/*
 * Reads up to max entries with after < seq <= upto into b, with their facts,
 * allocating in arena (which must outlive b). Returns 0, ERR_ALLOC or
 * ERR_STORE.
 */
int feed_batch_read(struct store *st, struct arena *arena, int64_t after,
    int64_t upto, unsigned max, struct feed_batch *b);

/*
 * One user as the feed sees it at one moment: its scope and the approvers
 * it stands in for, resolved against the database then. Not to be copied:
 * the actor points into it.
 */
struct feed_view {
	struct cmd_ctx ctx;               /* srv, user, now, scope; arena is
					     set per Event */
	struct scope scope;               /* the user's, resolved */
	struct cmd_candidate_actor actor; /* delegations in force */
	struct arena *arena;              /* behind the actor */
	struct feed_viewer viewer;        /* for feed_match */
};

/* Resolves u (not copied: it must outlive v) at now. Returns 0, ERR_ALLOC
 * or ERR_STORE; feed_view_release frees either way. */
int feed_view_load(struct server *srv, const struct store_user *u, int64_t now,
    struct feed_view *v);
void feed_view_release(struct feed_view *v);
/*
 * The Event of entry i of b for v under filter flt, allocated in arena a
 * (strings may point into b's arena); *out is NULL when feed_match says no.
 * The records behind the snapshot are read once per batch. Returns 0,
 * ERR_ALLOC or ERR_STORE.
 */
int feed_event_build(struct feed_view *v, const struct feed_filter *flt,
    struct feed_batch *b, size_t i, struct arena *a, Tier__Event **out);

/* cmd_import.c --------------------------------------------------------------*/

/*
 * Bulk imports: rows staged per connection by import_chunk, checked and
 * applied in one transaction by import_commit through the handlers of the
 * single-record requests.
 */
#define IMPORT_MAX_ROWS   200000             /* rows staged per import */
#define IMPORT_MAX_BYTES  (64 * 1024 * 1024) /* bytes staged per import */
#define IMPORT_MAX_ERRORS 100                /* row errors reported */

/* Frees a staged import; NULL is allowed. */
void import_stage_free(struct import_stage *st);

/* prune.c -------------------------------------------------------------------*/

/*
 * A timer that deletes request ids older than cfg.request_id_ttl seconds,
 * oldest first, in batches.
 */
struct prune;

/* Starts the timer. Returns 0 or ERR_ALLOC. */
int prune_new(struct server *srv, struct prune **out);
/* Stops and frees it; NULL is allowed. */
void prune_free(struct prune *p);
/* One pass at time now, in its own transaction: at most one batch. Returns
 * 0 with *forgotten set, or ERR_STORE. */
int prune_run(struct server *srv, int64_t now, size_t *forgotten);

/* escalate.c ----------------------------------------------------------------*/

/*
 * Escalation of overdue approval steps: a timer finds pending steps that
 * have waited longer than their cycle's limit and records one
 * candidate.escalate entry each, which the feed sends to the step's role
 * and the next role up.
 */
struct escalate;

/* Starts the timer ([feed] escalation_check). Returns 0 or ERR_ALLOC. */
int escalate_new(struct server *srv, struct escalate **out);
/* Stops and frees it; NULL is allowed. */
void escalate_free(struct escalate *e);
/* Re-arms the timer after the interval changed (SIGHUP). */
void escalate_reschedule(struct escalate *e);
/*
 * One pass at now, in its own transaction, then feed_committed. *count
 * receives how many steps were escalated. Returns 0 or an error (nothing is
 * written then).
 */
int escalate_run(struct server *srv, int64_t now, size_t *count);
/* Who is told about an overdue step of role r: r and the role above it
 * (bu_vp -> bg_vp; bg_vp is the top). Returns how many roles (1 or 2). */
size_t escalate_notify_roles(Tier__Role r, Tier__Role out[2]);

/* store_visit.c -------------------------------------------------------------*/

/*
 * The visit card of customers, the targets whose visits the revisit plan
 * follows, and the record of which overdue period was announced. Readers
 * put strings in the arena they are given; _each hands out rows whose
 * strings are valid during the call only.
 */

struct store_visit {
	int64_t id;              /* row id */
	int64_t customer_id;     /* the customer visited */
	const char *visit_date;  /* "YYYY-MM-DD" */
	int64_t visitor_id;      /* user who visited */
	const char *received_by; /* free text */
	const char *content;     /* free text */
	const char *progress;    /* deal progress, "" when none */
	const char *next_visit;  /* "YYYY-MM-DD" or "" */
	int64_t created_by;      /* user who recorded it */
	int64_t created_at;      /* Unix seconds */
	/* Read only, joined: */
	int64_t bu_id;        /* the customer's BU */
	const char *customer; /* customer name */
	const char *bu;       /* BU name */
	const char *visitor;  /* user names */
	const char *creator;
};

/* What store_visit_each walks; zero fields match anything. */
struct store_visit_filter {
	int64_t customer_id;
	int64_t visitor_id;
	const char *from, *to; /* visit_date bounds, inclusive; "" none */
};

/* Inserts v (id and the joined fields ignored) and sets v->id. Returns 0 or
 * ERR_STORE. */
int store_visit_insert(struct store *st, struct store_visit *v);
/* One visit with its joined fields, strings in arena. Returns 0,
 * ERR_NOT_FOUND, ERR_ALLOC or ERR_STORE. */
int store_visit_get(
    struct store *st, struct arena *arena, int64_t id, struct store_visit *out);
/*
 * Calls fn for each visit matching f, newest visit_date first (then newest
 * id), until fn returns non-zero, which is returned. Returns 0, fn's value
 * or ERR_STORE.
 */
int store_visit_each(struct store *st, const struct store_visit_filter *f,
    int (*fn)(const struct store_visit *v, void *arg), void *arg);
/* How many visits a customer has. Returns 0 or ERR_STORE. */
int store_visit_count(struct store *st, int64_t customer_id, uint32_t *n);

/*
 * A target: a customer with an approved candidate in an open or closed
 * cycle, taken from the latest such cycle.
 */
struct store_target {
	int64_t customer_id;
	const char *customer;   /* name */
	int64_t bu_id;          /* the customer's BU */
	const char *bu;         /* its name */
	int64_t owner_id;       /* the candidate's owner, 0 when none */
	const char *owner;      /* user name, "" when none */
	Tier__TierLevel tier;   /* as approved */
	int64_t cycle_id;       /* the cycle of the approval */
	uint32_t year;          /* its year */
	uint32_t limit_days;    /* its visit_limit_days (0 is returned as 90) */
	int64_t approved_at;    /* Unix seconds of the approval */
	const char *last_visit; /* latest visit_date, "" when none */
	const char *next_visit; /* next_visit of the latest visit, or "" */
	int alerted;            /* an overdue alert was raised ... */
	const char *alerted_for; /* ... for this last_visit ("" none) */
};

/* Every target, by customer id, strings in arena. *out is in the arena.
 * Returns 0, ERR_ALLOC or ERR_STORE. */
int store_visit_targets(struct store *st, struct arena *arena,
    struct store_target **out, size_t *n);
/* Records that the target's overdue period after last_visit ("" for never
 * visited) was announced. Returns 0 or ERR_STORE. */
int store_visit_alerted(
    struct store *st, int64_t customer_id, const char *last_visit, int64_t now);
/* A cycle's visit_limit_days as stored (0: the default). Returns 0,
 * ERR_NOT_FOUND or ERR_STORE. */
int store_visit_limit_get(struct store *st, int64_t cycle_id, uint32_t *days);
int store_visit_limit_set(struct store *st, int64_t cycle_id, uint32_t days);

/* store_complaint.c ---------------------------------------------------------*/

/* The complaint card of customers: open -> resolved, once. */

struct store_complaint {
	int64_t id;                       /* row id */
	int64_t customer_id;              /* whose complaint */
	const char *opened_on;            /* "YYYY-MM-DD" */
	Tier__ComplaintCategory category; /* one of the five */
	const char *description;          /* free text */
	const char *handling;             /* "" when none recorded */
	const char *resolution;           /* "" while open */
	Tier__ComplaintState state;       /* open or resolved */
	int64_t opened_by;                /* user id */
	int64_t created_at;               /* Unix seconds */
	int64_t resolved_by;              /* user id, 0 while open */
	int64_t resolved_at;              /* Unix seconds, 0 while open */
	/* Read only, joined: */
	int64_t bu_id;        /* the customer's BU */
	const char *customer; /* customer name */
	const char *bu;       /* BU name */
	const char *opener;   /* user names, "" for none */
	const char *resolver;
};

/* What store_complaint_each walks; zero fields match anything. */
struct store_complaint_filter {
	int64_t customer_id;
	int open_only;
	Tier__ComplaintCategory category; /* one of the five */
	int64_t bu_id;
	int oldest_first; /* else newest opened_on first */
};

/* Inserts c (state open) and sets c->id. Returns 0 or ERR_STORE. */
int store_complaint_insert(struct store *st, struct store_complaint *c);
/* Returns 0, ERR_NOT_FOUND, ERR_ALLOC or ERR_STORE. */
int store_complaint_get(struct store *st, struct arena *arena, int64_t id,
    struct store_complaint *out);
/* Moves an open complaint to resolved with resolution and handling.
 * Returns 0, ERR_CONFLICT (not open any more) or ERR_STORE. */
int store_complaint_resolve(struct store *st, int64_t id,
    const char *resolution, const char *handling, int64_t user_id, int64_t now);
/* As store_visit_each, for complaints. */
int store_complaint_each(struct store *st,
    const struct store_complaint_filter *f,
    int (*fn)(const struct store_complaint *c, void *arg), void *arg);

/* day.c ---------------------------------------------------------------------*/

#define DAY_SECONDS 86400

/* Days since 1970-01-01 of a "YYYY-MM-DD" date from 2000-01-01 to
 * 2999-12-31 that exists in the calendar. Returns 0 or ERR_INVALID_ARG. */
int day_parse(const char *text, int64_t *days);
/* The "YYYY-MM-DD" of a day number, into out (11 bytes). */
void day_format(int64_t days, char out[11]);
/* 1 if text is a month "YYYY-MM" from 2000-01 to 2999-12, else 0. */
int day_month_valid(const char *text);

/* cmd_visit.c ---------------------------------------------------------------*/

/*
 * Loads customer id for a visit or complaint request: NOT_FOUND naming
 * field when it does not exist or its BU is out of scope. Returns 0 or an
 * error for the handler to return.
 */
int cmd_visit_customer(struct cmd_ctx *ctx, Tier__Response *resp, uint64_t id,
    const char *field, struct store_customer *out);
/* Finds a user by login name (NOT_FOUND naming field otherwise). Returns 0
 * or an error for the handler. */
int cmd_visit_find_user(struct cmd_ctx *ctx, Tier__Response *resp,
    const char *name, const char *field, struct store_user *out);
/* The wire form of a visit in ctx's arena; NULL when out of memory. */
Tier__Visit *cmd_visit_to_wire(
    struct cmd_ctx *ctx, const struct store_visit *v);
/*
 * customer_get's part of the visit and complaint cards: the latest visits,
 * the open complaints and the visit count, into out. Returns 0, ERR_ALLOC
 * or ERR_STORE.
 */
int cmd_visit_customer_cards(
    struct cmd_ctx *ctx, int64_t customer_id, Tier__CustomerResponse *out);
/*
 * The escalation pass for visits, inside the caller's transaction (ctx's
 * user is NULL: the server acts): one customer.visit_overdue entry per
 * overdue target and overdue period. *count receives how many. Returns 0
 * or an error.
 */
int cmd_visit_escalate(struct cmd_ctx *ctx, size_t *count);
/* A cycle's visit limit in days for the wire (0 in the store: 90). */
uint32_t cmd_visit_limit_days(struct cmd_ctx *ctx, int64_t cycle_id);

/* cmd_complaint.c -----------------------------------------------------------*/

/* The wire form of a complaint in ctx's arena; NULL when out of memory. */
Tier__Complaint *cmd_complaint_to_wire(
    struct cmd_ctx *ctx, const struct store_complaint *c);
/* The lower-case name of a category ("quality") or state ("open"). */
const char *cmd_complaint_category_name(Tier__ComplaintCategory c);
const char *cmd_complaint_state_name(Tier__ComplaintState s);

#endif
