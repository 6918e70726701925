/*
 * tier's one internal header: the map of the command-line client, one banner
 * per source file. A command travels main.c (global options) -> cmd.c (the
 * subcommand table) -> cmd_*.c (options, request) -> conn.c (connect, Noise
 * handshake, pin check in known.c, encrypted request and response) ->
 * output.c (table or JSON, errors and exit codes).
 *
 * The test binary links this client library together with the server's, so
 * no exported name may repeat one of tierd's: config.c uses the prefix cfg_
 * and the subcommand handlers end in _main, as in wireguard-tools.
 */
#ifndef TIER_CLIENT_H
#define TIER_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "keys.h"
#include "msg.h"

/* Exit statuses: stable, documented by "tier help exit-codes". */
enum exit_code {
	EXIT_OK = 0,           /* success */
	EXIT_OTHER = 1,        /* any other failure, INTERNAL included */
	EXIT_USAGE = 2,        /* bad flags, arguments or local settings */
	EXIT_CONNECT = 3,      /* cannot connect, connection lost, timeout */
	EXIT_HANDSHAKE = 4,    /* handshake failed: not a tier 1 server */
	EXIT_KEY_CHANGED = 5,  /* the server's key differs from its pin */
	EXIT_DENIED = 6,       /* unknown key, enrolment refused, role */
	EXIT_NOT_FOUND = 7,    /* no such record */
	EXIT_CONFLICT = 8,     /* already exists or changed meanwhile */
	EXIT_REJECTED = 9,     /* the server rejected the request as invalid */
	EXIT_UNAVAILABLE = 10, /* the server is busy or stopping: retry */
};

/* config.c ------------------------------------------------------------------*/

/*
 * Where the client's settings come from, in rising precedence: built-in
 * defaults, the INI file CONFIGDIR/config, the environment (TIER_SERVER,
 * TIER_OUTPUT), command-line flags. TIER_CONFIG_DIR or --config-dir replace
 * the whole directory.
 */

#define CFG_DEFAULT_PORT "7433"

enum cfg_output {
	CFG_OUTPUT_TABLE, /* aligned columns and labelled lines, for people */
	CFG_OUTPUT_JSON,  /* one pretty-printed JSON object per command */
	CFG_OUTPUT_CSV,   /* tables and fields as RFC 4180 CSV (CRLF, no BOM) */
};

struct cfg {
	/* Command-line flags, not owned; NULL when not given. */
	const char *flag_server;     /* --server */
	const char *flag_output;     /* --output */
	const char *flag_config_dir; /* --config-dir */
	const char *flag_request_id; /* --request-id: fixed idempotency key */

	/* Resolved by cfg_load; owned, freed by cfg_free. */
	char *dir;        /* configuration directory (may not exist yet) */
	char *file;       /* DIR/config */
	char *known_path; /* DIR/known_servers */
	char *key_path;   /* identity key: [client] key, or DIR/id_x25519 */
	char *server;     /* "host:port", or NULL when none is configured */
	const char *server_from; /* where server came from, for messages */
	int server_in_file;      /* the config file names a server */
	enum cfg_output output;  /* how results are printed */
};

/*
 * Resolves the configuration from defaults, file, environment and the flag_*
 * fields already set in c. Problems are reported on stderr. Returns 0,
 * ERR_CONFIG (a bad value, named in the message), ERR_SYSTEM (the file
 * exists but cannot be read) or ERR_ALLOC. cfg_free releases what it set,
 * whatever it returned.
 */
int cfg_load(struct cfg *c);

/* Frees what cfg_load allocated (keeps the flag_* fields); NULL is allowed. */
void cfg_free(struct cfg *c);

/* Parses "table" or "json". Returns 0 or ERR_INVALID_ARG. */
int cfg_output_parse(const char *text, enum cfg_output *out);

/*
 * Creates the configuration directory (mode 0700) and any missing parent.
 * Returns 0 or ERR_SYSTEM, reporting the failure on stderr.
 */
int cfg_dir_ensure(const struct cfg *c);

/*
 * Records server in the config file's [client] section, replacing an empty
 * "server =" line, keeping everything else. Returns 0, ERR_SYSTEM or
 * ERR_ALLOC.
 */
int cfg_save_server(const struct cfg *c, const char *server);

/*
 * Reads a whole file into a NUL-terminated heap string owned by the caller.
 * Returns 0, ERR_SYSTEM (errno ENOENT when missing) or ERR_ALLOC.
 */
int cfg_file_read(const char *path, char **out, size_t *len);

/*
 * Replaces path atomically (temporary file in the same directory, fsync,
 * rename) with data, mode 0600. Returns 0 or ERR_SYSTEM.
 */
int cfg_file_write(const char *path, const char *data, size_t len);

/* known.c -------------------------------------------------------------------*/

/*
 * Server key pinning, trust on first use: CONFIGDIR/known_servers holds one
 * "host:port BASE64KEY" line per server. Blank lines and lines starting with
 * '#' are ignored.
 */

enum known_result {
	KNOWN_NEW,     /* no line for this server yet */
	KNOWN_MATCH,   /* the pinned key is the one offered */
	KNOWN_CHANGED, /* a different key is pinned: refuse */
};

/*
 * Looks address up in the file at path (missing file: KNOWN_NEW). For
 * KNOWN_MATCH and KNOWN_CHANGED, pinned receives the pinned key and *line its
 * line number. Returns 0, ERR_SYSTEM, ERR_ALLOC, or ERR_KEY_FORMAT when the
 * line for address has an unreadable key (*line names it).
 */
int known_lookup(const char *path, const char *address,
    const uint8_t key[KEYS_LEN], enum known_result *result,
    uint8_t pinned[KEYS_LEN], int *line);

/*
 * Appends a pin for address to the file at path, creating it, atomically and
 * with mode 0600. Returns 0, ERR_SYSTEM or ERR_ALLOC.
 */
int known_add(
    const char *path, const char *address, const uint8_t key[KEYS_LEN]);

/* conn.c --------------------------------------------------------------------*/

/*
 * One connection to tierd: TCP with timeouts, the Noise_XX handshake as
 * initiator, the pin check, then request/response over the channel.
 */

#define CONN_CONNECT_TIMEOUT_MS 10000 /* per address tried */
#define CONN_IO_TIMEOUT_MS      30000 /* per wait for the server */

struct conn;

/* How the server's key was verified on this connection. */
enum conn_pin {
	CONN_PIN_MATCHED, /* equal to the key pinned earlier */
	CONN_PIN_NEW,     /* first contact: pinned now */
};

/*
 * Splits "host:port" or "[v6addr]:port" into host and port (heap strings the
 * caller frees). The port must be a number from 1 to 65535. On success, if
 * canonical is not NULL, it receives the form used in known_servers (host
 * lower-cased, IPv6 in brackets). Returns 0, ERR_INVALID_ARG with a reason
 * in why, or ERR_ALLOC.
 */
int conn_parse_address(const char *text, char **host, char **port,
    char **canonical, const char **why);

/*
 * Loads the identity key at c->key_path; with create, makes it (and the
 * configuration directory) when missing, announcing its fingerprint on
 * stderr, and sets *created (may be NULL). Problems are reported on stderr
 * with a hint (missing key: enrol; loose permissions: chmod 600). Returns 0
 * or an exit code.
 */
int conn_key_load(
    const struct cfg *c, struct keypair **out, int create, int *created);

/*
 * Connects to c->server, performs the handshake with the identity kp and
 * checks or records the server's pin. Problems are reported on stderr.
 * Returns 0 with *out set, or an exit code (EXIT_USAGE, EXIT_CONNECT,
 * EXIT_HANDSHAKE, EXIT_KEY_CHANGED, EXIT_OTHER).
 */
int conn_open(struct conn **out, const struct cfg *c, const struct keypair *kp);

/* conn_key_load without create, then conn_open. Returns 0 or an exit code. */
int conn_connect(struct conn **out, const struct cfg *c);

/*
 * Sends req (its id is set here) and waits for its response. On success
 * *resp is a response whose body matches the request, owned by the caller
 * (tier__response__free_unpacked). A response carrying an error is reported
 * (stderr, and stdout in JSON mode) and freed. Messages pushed to a
 * subscribed connection meanwhile are kept for conn_recv. Returns 0 or an
 * exit code.
 */
int conn_call(struct conn *conn, Tier__Request *req, Tier__Response **resp);

/*
 * The quiet forms, for live views that report failures their own way: they
 * print nothing and return 0 or an ERR_* code (ERR_EOF, ERR_TIMEOUT,
 * ERR_SYSTEM with errno, ERR_PROTOCOL, ...), after which the connection is
 * unusable (except after ERR_TIMEOUT from conn_recv).
 *
 * conn_send numbers and writes req without waiting; its answer arrives
 * through conn_recv. conn_roundtrip sends req and waits for its response,
 * keeping pushed messages and earlier conn_send answers for conn_recv;
 * *resp may carry an Error. conn_recv
 * hands over the next ServerMessage of any kind (a kept one first), waiting
 * at most ms milliseconds (0: only what has arrived) and returning
 * ERR_TIMEOUT when none is complete by then or a signal arrived; the caller
 * frees *out with tier__server_message__free_unpacked.
 */
int conn_send(struct conn *conn, Tier__Request *req);
int conn_roundtrip(
    struct conn *conn, Tier__Request *req, Tier__Response **resp);
int conn_recv(struct conn *conn, int ms, Tier__ServerMessage **out);
/* The socket, for poll(2) beside other inputs; call conn_recv(conn, 0, ...)
 * until ERR_TIMEOUT before polling, as whole messages may be buffered. */
int conn_fd(const struct conn *conn);

/* The server's static key, proved in the handshake. */
const uint8_t *conn_server_key(const struct conn *conn);
/* How that key was checked. */
enum conn_pin conn_pin_state(const struct conn *conn);
/* The canonical "host:port" connected to. */
const char *conn_address(const struct conn *conn);
/* Name and version from the ServerHello. */
const char *conn_server_name(const struct conn *conn);
const char *conn_server_version(const struct conn *conn);

/* Closes and frees a connection; NULL is allowed. */
void conn_free(struct conn *conn);

/* output.c ------------------------------------------------------------------*/

/*
 * Everything the user sees: tables aligned by display width, labelled
 * lines, JSON documents, error messages and the exit code table.
 */

/* One row of the exit code table. */
struct output_exit {
	int code;            /* EXIT_* */
	const char *meaning; /* one line for "tier help exit-codes" */
};
extern const struct output_exit output_exits[];
extern const size_t output_nexits;

/*
 * Selects the user's locale for character classification, falling back to
 * C.UTF-8 when it is not a UTF-8 one, so display widths are computed for
 * UTF-8 text. Call once, early.
 */
void output_locale_init(void);

/*
 * Terminal columns that s occupies: wide (CJK) characters count 2,
 * combining ones 0, undecodable bytes and controls 1 each.
 */
size_t output_width(const char *s);
/*
 * Walks s (len bytes) one character at a time, by utf8proc: *n gets its
 * length in bytes, *cols its display columns (2 for Chinese), and the result
 * says whether it may be written as it is (not a control character, not an
 * undecodable byte, which count one column each).
 */
int output_next_char(const char *s, size_t len, size_t *n, size_t *cols);

/* Writes s with control characters replaced by '?'. */
void output_text(FILE *f, const char *s);

/* Maps a server ErrorCode to an exit code. */
int output_exit_code(Tier__ErrorCode code);

/* Prints "tier: error: MESSAGE" and, if hint is not NULL, "hint: HINT". */
void output_error(const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints "tier: warning: MESSAGE". */
void output_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "tier: MESSAGE", for notices such as a new pin. */
void output_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Reports an error response: message and hint on stderr; in JSON mode also
 * {"error": {...}} on stdout. Returns the exit code for it.
 */
int output_server_error(enum cfg_output mode, const Tier__Error *e);

/* Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (UTC). */
#define OUTPUT_TIME_SIZE 32
void output_time(int64_t t, char out[OUTPUT_TIME_SIZE]);
/* Formats a length of time for people: "2d 3h", "5m 2s", "40s". */
void output_duration(int64_t seconds, char *out, size_t size);

/* Prints "label:" padded to a fixed width, then the value and a newline. */
void output_field(FILE *f, const char *label, const char *value);
void output_fieldf(FILE *f, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints a user as labelled lines: name, role, scope, display name,
 * enrolment date and key fingerprint. */
void output_user_fields(FILE *f, const Tier__User *u);

/*
 * The output mode of this run, set by cmd_configure: tables and labelled
 * fields print as CSV rows in CFG_OUTPUT_CSV mode.
 */
void output_mode_set(enum cfg_output mode);
enum cfg_output output_mode(void);

/*
 * Styles for table cells. They print as colour only in table mode on a
 * terminal, and never when NO_COLOR is set or TERM is "dumb".
 */
enum output_style {
	OUTPUT_STYLE_PLAIN,
	OUTPUT_STYLE_GOOD, /* approved, resolved, done: green */
	OUTPUT_STYLE_WARN, /* pending, incomplete, due soon: yellow */
	OUTPUT_STYLE_BAD,  /* rejected, overdue, open complaint: red */
	OUTPUT_STYLE_DIM,  /* withdrawn, closed, secondary */
};
/* Whether styles print as colour on stream f. */
int output_color(FILE *f);

/*
 * Writes cells as one RFC 4180 record: fields quoted when they hold a comma,
 * quote, CR or LF (quotes doubled), CRLF at the end.
 */
void output_csv_record(FILE *f, const char *const *cells, size_t n);

/*
 * A table of text cells printed in columns padded by display width, or as
 * CSV records in CSV mode (header first).
 */
struct output_table;

/* A table with ncols columns titled by headers. Returns 0 or ERR_ALLOC. */
int output_table_new(
    struct output_table **out, size_t ncols, const char *const *headers);
/* Copies one row of ncols cells (NULL prints as ""). Returns 0 or ERR_ALLOC. */
int output_table_add(struct output_table *t, const char *const *cells);
/* Styles a cell of the row added last (col < ncols). */
void output_table_style(
    struct output_table *t, size_t col, enum output_style s);
/* Prints headers and rows, two spaces between columns, none trailing. */
void output_table_print(const struct output_table *t, FILE *f);
/* Frees a table; NULL is allowed. */
void output_table_free(struct output_table *t);

/*
 * JSON building blocks. The output_json_* constructors return new references
 * or NULL when out of memory.
 */
json_t *output_json_user(const Tier__User *u);
json_t *output_json_time(int64_t t); /* ISO 8601 string, null for 0 */
/* Prints doc to stdout with two-space indentation and frees it. Returns 0
 * or ERR_ALLOC (doc NULL). */
int output_json_print(json_t *doc);
/* With on set, output_json_print writes each document on one line (JSON
 * lines, as --watch streams them). */
void output_json_compact(int on);

/*
 * The workflow records as JSON: fields named as in tier.proto, enums by
 * their lower-case names ("open", "bu_vp"), times as ISO 8601 strings, ids
 * that may be absent (0) as null.
 */
json_t *output_json_unit(const Tier__Unit *u);
json_t *output_json_cycle(const Tier__Cycle *c);
json_t *output_json_criteria_set(const Tier__CriteriaSet *s);
json_t *output_json_customer(const Tier__Customer *c);
json_t *output_json_delegation(const Tier__Delegation *d);
/* An enum value's lower-case name without the type's prefix
 * (CYCLE_STATE_OPEN -> "open"), in buf; "unknown" for a value the
 * descriptor lacks. Returns buf. */
const char *output_enum_name(
    const ProtobufCEnumDescriptor *d, int value, char *buf, size_t len);
json_t *output_json_enum(const ProtobufCEnumDescriptor *d, int value);
/* Reports that the client ran out of memory. Returns EXIT_OTHER. */
int output_oom(void);

/* cmd.c ---------------------------------------------------------------------*/

/*
 * The subcommand table: the single list of commands, from which dispatch,
 * "tier --help", "tier help COMMAND" and the tests work.
 */

struct cmd_entry;

/* A handler gets its own row, its arguments (argv[0] is its name) and the
 * configuration with the global flags seen so far. Returns an exit code. */
typedef int (*cmd_main_fn)(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c);

struct cmd_entry {
	const char *name;    /* word typed after "tier" (or its parent) */
	cmd_main_fn main;    /* handler */
	const char *summary; /* one line for the command list */
	const char *usage;   /* synopsis after "tier ", for usage errors */
	const char *help;    /* options and details for "tier help", or NULL */
	const struct cmd_entry *children; /* subcommands, NULL-name ended */
};

/* The commands, ended by a row with a NULL name. */
extern const struct cmd_entry cmd_table[];

/* Long options every subcommand accepts besides its own. */
enum {
	CMD_OPT_SERVER = 0x100,
	CMD_OPT_OUTPUT,
	CMD_OPT_CONFIG_DIR,
	CMD_OPT_REQUEST_ID,
};
/* clang-format off */
#define CMD_GLOBAL_OPTIONS \
	{ "server", required_argument, NULL, CMD_OPT_SERVER }, \
	{ "output", required_argument, NULL, CMD_OPT_OUTPUT }, \
	{ "config-dir", required_argument, NULL, CMD_OPT_CONFIG_DIR }, \
	{ "request-id", required_argument, NULL, CMD_OPT_REQUEST_ID }, \
	{ "help", no_argument, NULL, 'h' }
/* clang-format on */

/* The row named name in table, or NULL. */
const struct cmd_entry *cmd_lookup(
    const struct cmd_entry *table, const char *name);

/* Prints the program usage and the command list. */
void cmd_print_overview(FILE *f);

/*
 * Prints the help of the command named by words[0..n) ("user", "add"), or
 * of "exit-codes". Returns EXIT_OK, or EXIT_USAGE after an error message.
 */
int cmd_help_topic(FILE *f, int n, char **words);

/* Prints the help of one row; full names the row ("user add"). Returns
 * EXIT_OK. */
int cmd_print_help(FILE *f, const struct cmd_entry *e);

/*
 * Handles what a subcommand's getopt_long loop does not: the global options
 * (stored in c), unknown options and missing values (reported with the
 * usage line). Returns 0 to continue or EXIT_USAGE.
 */
int cmd_option(
    const struct cmd_entry *self, int ch, char **argv, struct cfg *c);

/* Reports a usage error with self's usage line. Returns EXIT_USAGE. */
int cmd_usage_error(const struct cmd_entry *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs the child of self named by argv[1]. Returns an exit code. */
int cmd_dispatch_child(
    const struct cmd_entry *self, int argc, char **argv, struct cfg *c);

/* cfg_load with its failure mapped to an exit code: 0 or EXIT_USAGE. */
int cmd_configure(struct cfg *c);

/* Returned by cmd_parse_plain when the command should go on. */
#define CMD_CONTINUE (-1)

/*
 * The whole argument handling of a command without options of its own:
 * global options, -h, between min and max operands (left at
 * argv[optind..argc)), then cmd_configure. Returns CMD_CONTINUE, or the exit
 * code to return at once (help printed, usage or configuration error).
 */
int cmd_parse_plain(const struct cmd_entry *self, int argc, char **argv,
    struct cfg *c, int min, int max);

/*
 * Sends req on *conn, connecting first when *conn is NULL (the caller frees
 * it with conn_free). Returns 0 with *resp set, or an exit code.
 */
int cmd_call(const struct cfg *c, struct conn **conn, Tier__Request *req,
    Tier__Response **resp);

/* "tier help [COMMAND | exit-codes]". */
int cmd_help_main(const struct cmd_entry *, int, char **, struct cfg *);

/* The handlers, one file each
 * ------------------------------------------------*/

int cmd_status_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_whoami_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_enroll_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_key_main(const struct cmd_entry *, int, char **, struct cfg *);

/* cmd_audit.c ---------------------------------------------------------------*/

int cmd_audit_show_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_audit_verify_main(const struct cmd_entry *, int, char **, struct cfg *);

/* cmd_user.c ----------------------------------------------------------------*/

int cmd_user_add_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_user_code_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_user_list_main(const struct cmd_entry *, int, char **, struct cfg *);

/*
 * Parses a code lifetime: seconds, or a number with suffix s, m, h or d.
 * Returns 0 or ERR_INVALID_ARG (empty, not a number, zero, above
 * 2^32-1 s, trailing characters).
 */
int cmd_user_parse_ttl(const char *text, uint32_t *out);

/* output.c: candidates ------------------------------------------------------*/

/* Lower-case names as the CLI and JSON use them ("pending", "strategic",
 * "approve"); "" for no tier. */
const char *output_candidate_state(Tier__CandidateState s);
/* The table style of a state cell: approved good, pending warn, rejected
 * bad, withdrawn dim. */
enum output_style output_candidate_style(Tier__CandidateState s);
const char *output_candidate_tier(Tier__TierLevel t);
const char *output_candidate_action(Tier__CandidateAction a);
/* A candidate as JSON, fields named as in the .proto. New reference or
 * NULL. */
json_t *output_json_candidate(const Tier__Candidate *c);
/* A candidate as labelled lines: state, score, ranks, tier, chain,
 * missing information, what the user may do. */
void output_candidate_fields(FILE *f, const Tier__Candidate *c);

/* cmd_candidate.c -----------------------------------------------------------*/

int cmd_candidate_propose_main(
    const struct cmd_entry *, int, char **, struct cfg *);
/* score, submit, approve, reject, return, withdraw, reopen: the row's name
 * is the action. */
int cmd_candidate_act_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_candidate_show_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_candidate_explain_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_candidate_list_main(
    const struct cmd_entry *, int, char **, struct cfg *);

/*
 * Parses a record id: a decimal number from 1 to 2^63-1. Returns 0 or
 * ERR_INVALID_ARG.
 */
int cmd_candidate_parse_id(const char *text, uint64_t *out);

/* cmd_queue.c ---------------------------------------------------------------*/

int cmd_queue_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_targets_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_funnel_main(const struct cmd_entry *, int, char **, struct cfg *);

/* cmd_org.c -----------------------------------------------------------------*/

int cmd_org_add_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_org_list_main(const struct cmd_entry *, int, char **, struct cfg *);

/* cmd_cycle.c ---------------------------------------------------------------*/

int cmd_cycle_create_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_cycle_list_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_cycle_show_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_cycle_set_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_cycle_open_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_cycle_close_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_cycle_review_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_cycle_derive_main(const struct cmd_entry *, int, char **, struct cfg *);

/* Parses a decimal number from min to max, nothing else around it. Returns
 * 0 or ERR_INVALID_ARG. */
int cmd_cycle_parse_uint(
    const char *text, uint64_t min, uint64_t max, uint64_t *out);
/* Parses the id of a record named what ("cycle") for self's command.
 * Returns 0 or EXIT_USAGE after saying what is wrong. */
int cmd_cycle_parse_id(const struct cmd_entry *self, const char *text,
    const char *what, uint64_t *out);
/* Reads the current version of cycle id, connecting when *conn is NULL.
 * Returns 0 or an exit code (the error is reported). */
int cmd_cycle_version(
    const struct cfg *c, struct conn **conn, uint64_t id, uint64_t *version);

/* cmd_criteria.c ------------------------------------------------------------*/

int cmd_criteria_set_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_criteria_show_main(
    const struct cmd_entry *, int, char **, struct cfg *);

/*
 * Parses "NAME:WEIGHT:MIN-MAX[:DESCRIPTION]" in place (text is cut at the
 * separators; out's strings point into it). The description may contain
 * ':'. Returns 0 or ERR_INVALID_ARG.
 */
int cmd_criteria_parse(char *text, Tier__Criterion *out);

/* cmd_customer.c ------------------------------------------------------------*/

int cmd_customer_add_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_customer_update_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_customer_show_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_customer_list_main(
    const struct cmd_entry *, int, char **, struct cfg *);
/* Prints a customer as labelled lines or, in JSON mode, {"customer": ...}.
 * Returns an exit code. */
int cmd_customer_print(const struct cfg *c, const Tier__Customer *cu);
/* Reads customer id into *resp, from the local copy when conn is NULL
 * (--offline). Returns 0 or an exit code. */
int cmd_customer_fetch(const struct cfg *c, struct conn **conn, uint64_t id,
    Tier__Response **resp);

/* cmd_grade.c ---------------------------------------------------------------*/

int cmd_customer_grade_main(
    const struct cmd_entry *, int, char **, struct cfg *);

/* cmd_abc.c -----------------------------------------------------------------*/

int cmd_customer_abc_main(const struct cmd_entry *, int, char **, struct cfg *);

/* cmd_csv.c -----------------------------------------------------------------*/

int cmd_customer_import_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_customer_export_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_candidate_import_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_candidate_export_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_score_import_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_score_export_main(const struct cmd_entry *, int, char **, struct cfg *);

/* csv.c ---------------------------------------------------------------------*/

/*
 * CSV files for import and export: encoding detection and conversion,
 * records with their line numbers (libcsv), Excel-compatible output. The
 * names avoid libcsv's own csv_* functions.
 */

enum csv_encoding {
	CSV_ENCODING_UTF8,    /* valid UTF-8 (a BOM is allowed) */
	CSV_ENCODING_GB18030, /* not UTF-8, but reads as GB18030 */
	CSV_ENCODING_UNKNOWN, /* neither */
};

struct csv_detection {
	enum csv_encoding encoding;
	int bom;           /* starts with the UTF-8 BOM EF BB BF */
	size_t bad_offset; /* first byte that is not UTF-8; SIZE_MAX if none */
	size_t bad_line;   /* its 1-based line; 0 if none */
};

/* Decides how len bytes of data are encoded. A file with a UTF-8 BOM and
 * invalid bytes is UNKNOWN: a BOM means UTF-8 was intended. */
void csv_detect(const char *data, size_t len, struct csv_detection *out);
/* The offset of the first byte of data that is not part of valid UTF-8
 * (NUL counts as invalid), or SIZE_MAX. */
size_t csv_utf8_invalid(const char *data, size_t len);
/*
 * Converts len bytes of data from encoding from (an iconv name) to UTF-8 in
 * *out (malloc'd, NUL-terminated, *outlen bytes). Returns 0,
 * ERR_INVALID_ARG with *bad the offset of the first byte that does not
 * convert (or of a NUL), ERR_SYSTEM (iconv knows no such encoding) or
 * ERR_ALLOC.
 */
int csv_to_utf8(const char *data, size_t len, const char *from, char **out,
    size_t *outlen, size_t *bad);

/* One record of a file. */
struct csv_record {
	size_t line;  /* 1-based line it starts on */
	size_t n;     /* cells */
	char **cells; /* NUL-terminated, malloc'd */
};

struct csv_rows {
	struct csv_record *rec; /* in file order; blank lines are skipped */
	size_t n, cap;
};

/*
 * Reads RFC 4180 CSV (comma, double quotes, CRLF or LF; a leading UTF-8 BOM
 * skipped; spaces around unquoted cells trimmed) from len bytes of UTF-8.
 * Returns 0, ERR_INVALID_ARG with the line and what is wrong in why
 * (malformed quoting), or ERR_ALLOC. csv_rows_free frees *out.
 */
int csv_read(const char *data, size_t len, struct csv_rows *out, char *why,
    size_t why_len);
void csv_rows_free(struct csv_rows *rows);
/* Starts a file Excel opens as UTF-8: writes the BOM. Records follow with
 * output_csv_record (RFC 4180 quoting, CRLF). */
void csv_begin_excel(FILE *f);

/* cmd_inquiry.c -------------------------------------------------------------*/

int cmd_inquiry_add_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_inquiry_list_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_inquiry_show_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_inquiry_summary_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_inquiry_promote_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_inquiry_serve_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_inquiry_decline_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_review_main(const struct cmd_entry *, int, char **, struct cfg *);

/* cmd_delegate.c ------------------------------------------------------------*/

int cmd_delegate_add_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_delegate_list_main(
    const struct cmd_entry *, int, char **, struct cfg *);

/* Parses a UTC day "YYYY-MM-DD" into the Unix seconds of its midnight.
 * Returns 0 or ERR_INVALID_ARG (other forms, days that do not exist). */
int cmd_delegate_parse_day(const char *text, int64_t *out);

/* watch.c -------------------------------------------------------------------*/

/*
 * --watch on list commands: print the list, then follow the change feed
 * (subscribe, ping, reconnect with backoff and resume) and print each change
 * as a line, or as a JSON line when stdout is not a terminal or the output
 * is JSON. The last change printed is saved per server, filter and identity
 * so a restarted watch resumes without loss or repetition. Also the pieces
 * of the feed that tier top shares.
 */

/* The options --watch, --since SEQ, --fresh; ids clear of the global
 * (0x100...) and the commands' own (0x200...). */
enum {
	WATCH_OPT_WATCH = 0x180,
	WATCH_OPT_SINCE,
	WATCH_OPT_FRESH,
};
/* clang-format off */
#define WATCH_OPTIONS \
	{ "watch", no_argument, NULL, WATCH_OPT_WATCH }, \
	{ "since", required_argument, NULL, WATCH_OPT_SINCE }, \
	{ "fresh", no_argument, NULL, WATCH_OPT_FRESH }
/* clang-format on */

#define WATCH_HEARTBEAT_SECONDS 15 /* asked of the server; pings as often */

struct watch_opts {
	int watch;      /* --watch */
	int fresh;      /* --fresh: from now, not from the saved position */
	int have_since; /* --since given */
	uint64_t since; /* --since SEQ */
};

/*
 * Records ch in w if it is one of WATCH_OPTIONS (optarg read for --since).
 * Returns 1 when it was, 0 when it is some other option, -1 after a usage
 * error on stderr (bad SEQ).
 */
int watch_option(const struct cmd_entry *self, int ch, struct watch_opts *w);

/* Checks the combination after parsing: --since and --fresh need --watch and
 * exclude each other, and a watch cannot read the local copy (offline).
 * Returns 0 or EXIT_USAGE after saying why. */
int watch_check(
    const struct cmd_entry *self, const struct watch_opts *w, int offline);

/* Prints the list a watch follows, connecting when *conn is NULL; called
 * first and again after the server asks for a resync. Returns 0 or an exit
 * code. */
typedef int (*watch_list_fn)(
    const struct cfg *c, struct conn **conn, void *arg);

/* What a watch lists and follows. Strings are not owned. */
struct watch_spec {
	const char *key;       /* the command, e.g. "candidate list" */
	int my_queue;          /* FeedFilter.my_queue */
	uint64_t cycle_id;     /* FeedFilter.cycle_id, or 0 */
	const char *segment;   /* FeedFilter.segment, or NULL or "" */
	uint64_t candidate_id; /* FeedFilter.candidate_id, or 0 */
	const char *entity;    /* only events about this entity, or NULL */
	const char *bu;        /* only records of this BU, or NULL */
	watch_list_fn list;    /* prints the list */
	void *arg;             /* for list */
};

/*
 * Prints the list, then follows the feed until interrupted or a failure
 * that retrying cannot mend. May switch c to JSON output. Returns an exit
 * code (it returns only on failure: EXIT_REJECTED when the server has no
 * feed, EXIT_KEY_CHANGED, EXIT_DENIED, ...).
 */
int watch_run(
    struct cfg *c, const struct watch_opts *w, const struct watch_spec *s);

/*
 * What a list command does once parsed: watch_run with --watch, else print
 * the list once, from the local copy when offline. Returns an exit code.
 */
int watch_or_list(struct cfg *c, const struct watch_opts *w,
    const struct watch_spec *s, int offline);

/*
 * The directory of saved watch positions: TIER_STATE_DIR/watch, else
 * $XDG_STATE_HOME/tier/watch, else ~/.local/state/tier/watch. Returns a heap
 * string, or NULL (no HOME, or out of memory).
 */
char *watch_state_dir(void);

/*
 * One line describing ev for people, without time and sequence number:
 * "approve candidate 7: ACME (华东, Drives 2027) now pending 2/2 bg_vp"
 * (the record as it is now, which may be after later changes). Writes at
 * most size bytes to buf and returns buf.
 */
const char *watch_event_text(const Tier__Event *ev, char *buf, size_t size);

/* ev as JSON: fields named as in tier.proto, the record it carries under
 * its entity's name (null when the user no longer sees it). New reference
 * or NULL. */
json_t *watch_json_event(const Tier__Event *ev);

/*
 * Feed requests, quiet (conn_roundtrip): ping, and subscribe with s's
 * filter after after_seq, asking for a heartbeat every
 * WATCH_HEARTBEAT_SECONDS. Return 0 with *resp set (it may carry an Error;
 * the caller frees it), or an ERR_* code.
 */
int watch_ping(struct conn *conn, Tier__Response **resp);
int watch_subscribe(struct conn *conn, const struct watch_spec *s,
    uint64_t after_seq, Tier__Response **resp);

/* top.c ---------------------------------------------------------------------*/

/* "tier top": the live terminal view of approval queues. */
int cmd_top_main(const struct cmd_entry *, int, char **, struct cfg *);

/*
 * Writes s into out (size bytes, always terminated) so that it fills
 * exactly width columns: control characters and undecodable bytes become
 * '?', text too wide is cut and ends in "…", the rest is padded with
 * spaces. Widths are output_width's, so Chinese and Latin text line up.
 * When size is too small, out holds as much as fits.
 */
void top_fit(char *out, size_t size, const char *s, size_t width);

/* sync.c --------------------------------------------------------------------*/

/*
 * "tier sync" and --offline: a local read-only copy of the cycles, customers
 * and candidates the user may see, one SQLite file per server,
 * DATADIR/HOST_PORT.db (mode 0600; DATADIR, mode 0700, is $TIER_DATA_DIR,
 * else $XDG_DATA_HOME/tier, else ~/.local/share/tier), kept current through
 * feed_read, and read by the --offline forms of the list and show commands.
 */

/* The option --offline; its id is clear of the global, watch and command
 * options. */
enum {
	SYNC_OPT_OFFLINE = 0x1c0,
};
/* clang-format off */
#define SYNC_OFFLINE_OPTION \
	{ "offline", no_argument, NULL, SYNC_OPT_OFFLINE }
/* clang-format on */

int cmd_sync_main(const struct cmd_entry *, int, char **, struct cfg *);

/*
 * cmd_call, but with conn NULL (--offline) answers req from the local copy
 * of c->server as the server would: cycle_get, cycle_list, customer_get,
 * customer_list, candidate_get and candidate_list. The first page of an
 * answer notes on stderr how old the copy is. A missing copy ("no local copy
 * for SERVER; run tier sync") or record is reported as cmd_call reports a
 * server's error. Returns 0 with *resp set (tier__response__free_unpacked),
 * or an exit code.
 */
int sync_call(const struct cfg *c, struct conn **conn, Tier__Request *req,
    Tier__Response **resp);

/* cmd_parse_plain for a command that also takes --offline, which sets
 * *offline. */
int sync_parse_plain(const struct cmd_entry *self, int argc, char **argv,
    struct cfg *c, int min, int max, int *offline);

/*
 * The local store underneath, for the command and the tests. The functions
 * return 0 or ERR_STORE (sync_store_errmsg says why), ERR_ALLOC, ERR_SYSTEM
 * (errno set) as noted.
 */
struct sync_store;

/* The copy's one meta row: whose view of which server, and how current. */
struct sync_meta {
	char server[320];             /* canonical "host:port" */
	uint8_t server_key[KEYS_LEN]; /* the server's static key */
	int has_server_key;           /* server_key is set */
	uint8_t client_key[KEYS_LEN]; /* the key the copy was made with */
	int has_client_key;           /* client_key is set */
	char user[72];                /* whose view it is */
	Tier__Role role;              /* that user's role */
	char scope[264];              /* and scope, as whoami gave them */
	uint64_t last_seq;            /* feed seq the copy is complete up to */
	uint64_t head_seq;            /* the server's head at the last sync */
	int64_t synced_at;            /* end of the last sync; 0: never */
	int64_t full_at;              /* end of the last full copy */
};

/* The directory of local copies (heap string). Returns 0, ERR_CONFIG (no
 * home directory) or ERR_ALLOC. */
int sync_dir(char **out);
/* DIR/NAME.db, NAME being address with every character but letters,
 * digits, '.' and '-' made '_'. Returns 0 or ERR_ALLOC. */
int sync_path(const char *dir, const char *address, char **out);

/*
 * Opens the copy at path. With create, makes the directory (0700, and
 * tightens it to 0700), the file (0600) and its tables, replacing tables of
 * an unknown layout; without, a missing file or unknown layout is
 * ERR_NOT_FOUND. Returns 0, ERR_NOT_FOUND, ERR_SYSTEM, ERR_STORE or
 * ERR_ALLOC.
 */
int sync_store_open(const char *path, int create, struct sync_store **out);
/* Closes a store; NULL is allowed. */
void sync_store_close(struct sync_store *st);
/* SQLite's message for the last failure. */
const char *sync_store_errmsg(const struct sync_store *st);

/* Write transactions (BEGIN IMMEDIATE ... COMMIT); rollback does nothing
 * outside one. */
int sync_store_begin(struct sync_store *st);
int sync_store_commit(struct sync_store *st);
void sync_store_rollback(struct sync_store *st);

int sync_store_meta_get(struct sync_store *st, struct sync_meta *m);
int sync_store_meta_put(struct sync_store *st, const struct sync_meta *m);
/* Removes every record, keeping the meta row. */
int sync_store_clear(struct sync_store *st);
/* Record counts. */
int sync_store_counts(struct sync_store *st, uint64_t *cycles,
    uint64_t *customers, uint64_t *candidates);

/*
 * Stores a record as the server sent it, seq being the event that carried
 * it (0 from a list), unless the copy holds a newer version; *written
 * (may be NULL) says whether it did.
 */
int sync_store_put_cycle(
    struct sync_store *st, const Tier__Cycle *cy, uint64_t seq, int *written);
int sync_store_put_customer(struct sync_store *st, const Tier__Customer *cu,
    uint64_t seq, int *written);
int sync_store_put_candidate(struct sync_store *st, const Tier__Candidate *k,
    uint64_t seq, int *written);

/*
 * The Response the server would give req, from the copy (see sync_call for
 * the kinds; others are ERR_INVALID_ARG). A record the copy lacks is a
 * Response carrying a NOT_FOUND Error, as from the server. Ranks, quota
 * progress and a candidate's customer name are recomputed from the copy;
 * a candidate's allowed actions are left out. Returns 0 with *resp set
 * (tier__response__free_unpacked), ERR_STORE, ERR_ALLOC or
 * ERR_INVALID_ARG.
 */
int sync_store_answer(
    struct sync_store *st, const Tier__Request *req, Tier__Response **resp);

/* cmd_visit.c ---------------------------------------------------------------*/

int cmd_visit_add_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_visit_list_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_visit_plan_main(const struct cmd_entry *, int, char **, struct cfg *);
int cmd_visit_overdue_main(
    const struct cmd_entry *, int, char **, struct cfg *);
/* A visit and a complaint as JSON, fields named as in the .proto. New
 * reference or NULL. */
json_t *cmd_visit_json(const Tier__Visit *v);
json_t *cmd_visit_json_complaint(const Tier__Complaint *k);
/* customer show's part for the visit and complaint cards: labelled lines
 * after the card, or (JSON) the whole document with the customer. The
 * latter returns an exit code. */
void cmd_visit_customer_fields(const Tier__CustomerResponse *r);
int cmd_visit_customer_json(const Tier__CustomerResponse *r);
/* Checks a "YYYY-MM-DD" option of self's command. Returns 0 or EXIT_USAGE
 * after saying what is wrong. */
int cmd_visit_date_option(
    const struct cmd_entry *self, const char *flag, const char *text);

/* cmd_complaint.c -----------------------------------------------------------*/

int cmd_complaint_add_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_complaint_resolve_main(
    const struct cmd_entry *, int, char **, struct cfg *);
int cmd_complaint_list_main(
    const struct cmd_entry *, int, char **, struct cfg *);
/* Parses a category name ("quality", "service", "price", "delivery",
 * "other"). Returns 0 or ERR_INVALID_ARG. */
int cmd_complaint_parse_category(
    const char *text, Tier__ComplaintCategory *out);

#endif
