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
	long max_connections; /* accepted connections beyond this are closed */
	long code_ttl;        /* default lifetime of an enrolment code, s */
	enum log_level log_level; /* most verbose level logged */
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
void store_rollback_to(struct store *st);

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

/* server.c ------------------------------------------------------------------*/

/* Process-wide state of one tierd. */
struct server {
	struct event_base *base;    /* the one event loop */
	struct config cfg;          /* settings in force */
	char config_path[PATH_MAX]; /* for SIGHUP reload; "" if none */
	struct keypair *key;        /* static key, sodium_malloc'd */
	char fingerprint[KEYS_FINGERPRINT_SIZE];    /* of key->pub, for logs */
	struct store *store;                        /* the database */
	struct evconnlistener *listener;            /* NULL once stopping */
	int64_t started_at;                         /* Unix seconds */
	unsigned nsessions;                         /* open sessions */
	LIST_HEAD(, session) sessions;              /* every open session */
	struct commit *commit;                      /* group-commit queue */
	int stopping;                               /* 1 after SIGTERM */
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
/* Current time as the server sees it, Unix seconds. */
int64_t server_now(void);
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
/* Stops accepting; existing sessions are unaffected. */
void listener_stop(struct server *srv);

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

/* dispatch.c ----------------------------------------------------------------*/

/* Row flags. */
#define CMD_WRITE     0x01 /* changes the database: runs in a group commit */
#define CMD_ANONYMOUS 0x02 /* only before the key is registered (enrol) */

#define CMD_ROLE(r)   (1u << (r))
#define CMD_ROLES_ANY 0xffffffffu

/* What a handler may use besides the request. */
struct cmd_ctx {
	struct server *srv;            /* config, store, key */
	struct session *session;       /* for enrolment only */
	const struct store_user *user; /* NULL for anonymous commands */
	struct arena *arena;           /* response allocations */
	int64_t now;                   /* request time, Unix seconds */
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
    const Tier__Request *req, Tier__Response *resp, struct arena *arena);

/*
 * Fills resp->error and returns a negative code for the handler to return.
 * field names the request field at fault ("" if none); hint may be NULL.
 */
int cmd_error(struct cmd_ctx *ctx, Tier__Response *resp, Tier__ErrorCode code,
    const char *field, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Converts a stored user to its wire form, allocated in the arena. */
Tier__User *cmd_user_to_wire(struct arena *a, const struct store_user *u);

/* cmd_user.c ----------------------------------------------------------------*/

/* 1 if name is a valid login name: 1-64 of [a-z0-9._-], starting with a
 * letter or digit. */
int cmd_user_name_valid(const char *name);

/* commit.c ------------------------------------------------------------------*/

/*
 * Group commit: write requests arriving in one turn of the event loop run in
 * one transaction, each inside its own savepoint, and are answered only after
 * the single COMMIT (one fsync) succeeds.
 */
struct commit;

int commit_new(struct server *srv, struct commit **out);
void commit_free(struct commit *c);
/* Queues a write request; ownership of req passes to the queue. */
void commit_enqueue(struct commit *c, struct session *s,
    const struct cmd_entry *cmd, Tier__Request *req);
/* Runs the queue now (graceful stop). */
void commit_flush(struct commit *c);

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

#endif
