/*
 * The command table and the one path every request takes after it is
 * unpacked: lookup, session state, role, then either run now (reads) or queue
 * for the group commit (writes). Checks happen here, once, in this order;
 * handlers never repeat them.
 */
#include "tierd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <utf8proc.h>

extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_whoami_entry;
extern const struct cmd_entry cmd_enroll_entry;
extern const struct cmd_entry cmd_user_add_entry;
extern const struct cmd_entry cmd_user_code_entry;
extern const struct cmd_entry cmd_user_list_entry;
extern const struct cmd_entry cmd_audit_list_entry;
extern const struct cmd_entry cmd_audit_verify_entry;
extern const struct cmd_entry cmd_candidate_propose_entry;
extern const struct cmd_entry cmd_candidate_act_entry;
extern const struct cmd_entry cmd_candidate_get_entry;
extern const struct cmd_entry cmd_candidate_list_entry;
extern const struct cmd_entry cmd_queue_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_org_add_entry;
extern const struct cmd_entry cmd_org_list_entry;
extern const struct cmd_entry cmd_cycle_create_entry;
extern const struct cmd_entry cmd_cycle_get_entry;
extern const struct cmd_entry cmd_cycle_list_entry;
extern const struct cmd_entry cmd_cycle_update_entry;
extern const struct cmd_entry cmd_cycle_transition_entry;
extern const struct cmd_entry cmd_cycle_derive_entry;
extern const struct cmd_entry cmd_criteria_set_entry;
extern const struct cmd_entry cmd_criteria_get_entry;
extern const struct cmd_entry cmd_customer_add_entry;
extern const struct cmd_entry cmd_customer_get_entry;
extern const struct cmd_entry cmd_customer_list_entry;
extern const struct cmd_entry cmd_customer_update_entry;
extern const struct cmd_entry cmd_customer_grade_entry;
extern const struct cmd_entry cmd_abc_entry;
extern const struct cmd_entry cmd_delegation_add_entry;
extern const struct cmd_entry cmd_delegation_list_entry;
extern const struct cmd_entry cmd_subscribe_entry;
extern const struct cmd_entry cmd_ping_entry;
extern const struct cmd_entry cmd_feed_read_entry;
extern const struct cmd_entry cmd_visit_add_entry;
extern const struct cmd_entry cmd_visit_list_entry;
extern const struct cmd_entry cmd_visit_plan_entry;
extern const struct cmd_entry cmd_visit_overdue_entry;
extern const struct cmd_entry cmd_complaint_add_entry;
extern const struct cmd_entry cmd_complaint_resolve_entry;
extern const struct cmd_entry cmd_complaint_list_entry;
extern const struct cmd_entry cmd_inquiry_add_entry;
extern const struct cmd_entry cmd_inquiry_get_entry;
extern const struct cmd_entry cmd_inquiry_list_entry;
extern const struct cmd_entry cmd_inquiry_decide_entry;
extern const struct cmd_entry cmd_inquiry_summary_entry;
extern const struct cmd_entry cmd_review_entry;
extern const struct cmd_entry cmd_import_chunk_entry;
extern const struct cmd_entry cmd_import_commit_entry;

const struct cmd_entry *const dispatch_table[] = {
	&cmd_status_entry,
	&cmd_whoami_entry,
	&cmd_enroll_entry,
	&cmd_user_add_entry,
	&cmd_user_code_entry,
	&cmd_user_list_entry,
	&cmd_audit_list_entry,
	&cmd_audit_verify_entry,
	&cmd_candidate_propose_entry,
	&cmd_candidate_act_entry,
	&cmd_candidate_get_entry,
	&cmd_candidate_list_entry,
	&cmd_queue_entry,
	&cmd_report_entry,
	&cmd_org_add_entry,
	&cmd_org_list_entry,
	&cmd_cycle_create_entry,
	&cmd_cycle_get_entry,
	&cmd_cycle_list_entry,
	&cmd_cycle_update_entry,
	&cmd_cycle_transition_entry,
	&cmd_cycle_derive_entry,
	&cmd_criteria_set_entry,
	&cmd_criteria_get_entry,
	&cmd_customer_add_entry,
	&cmd_customer_get_entry,
	&cmd_customer_list_entry,
	&cmd_customer_update_entry,
	&cmd_customer_grade_entry,
	&cmd_abc_entry,
	&cmd_delegation_add_entry,
	&cmd_delegation_list_entry,
	&cmd_subscribe_entry,
	&cmd_ping_entry,
	&cmd_feed_read_entry,
	&cmd_visit_add_entry,
	&cmd_visit_list_entry,
	&cmd_visit_plan_entry,
	&cmd_visit_overdue_entry,
	&cmd_complaint_add_entry,
	&cmd_complaint_resolve_entry,
	&cmd_complaint_list_entry,
	&cmd_inquiry_add_entry,
	&cmd_inquiry_get_entry,
	&cmd_inquiry_list_entry,
	&cmd_inquiry_decide_entry,
	&cmd_inquiry_summary_entry,
	&cmd_review_entry,
	&cmd_import_chunk_entry,
	&cmd_import_commit_entry,
	NULL,
};

_Static_assert(
    sizeof(dispatch_table) / sizeof(dispatch_table[0]) <= SERVER_KINDS_MAX + 1,
    "struct server_counts counts every row of dispatch_table");

/* The row of dispatch_table for a request kind, or -1. */
static int
dispatch_row(Tier__Request__BodyCase request)
{
	int i;

	for (i = 0; dispatch_table[i] != NULL; i++) {
		if (dispatch_table[i]->request == request)
			return i;
	}
	return -1;
}

const struct cmd_entry *
dispatch_lookup(Tier__Request__BodyCase request)
{
	int i = dispatch_row(request);

	return i < 0 ? NULL : dispatch_table[i];
}

/* Counts an error answer for /metrics. */
static void
dispatch_count_error(struct server *srv, Tier__ErrorCode code)
{
	if ((unsigned)code < SERVER_CODES_MAX)
		srv->counts.errors[code]++;
}

/*
 * Drops, in place, the bytes of s that utf8proc does not decode as part of a
 * UTF-8 sequence. A message is cut at a byte count (its buffer, "%.64s" of a
 * name), which can split a character; a string on the wire must stay UTF-8.
 */
static void
dispatch_utf8_clean(char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	char *w = s;

	while (*p != '\0') {
		if ((n = utf8proc_iterate(p, -1, &cp)) <= 0) {
			p++; /* a cut sequence drops byte by byte */
			continue;
		}
		memmove(w, p, (size_t)n);
		w += n;
		p += n;
	}
	*w = '\0';
}

int
cmd_error(struct cmd_ctx *ctx, Tier__Response *resp, Tier__ErrorCode code,
    const char *field, const char *hint, const char *fmt, ...)
{
	Tier__Error *e;
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	dispatch_utf8_clean(text);
	resp->body_case = TIER__RESPONSE__BODY__NOT_SET;
	if ((e = arena_alloc(ctx->arena, sizeof(*e))) == NULL)
		return ERR_ALLOC;
	tier__error__init(e);
	e->code = code;
	e->message = arena_strdup(ctx->arena, text);
	e->hint = arena_strdup(ctx->arena, hint ? hint : "");
	e->field = arena_strdup(ctx->arena, field ? field : "");
	if (e->message == NULL || e->hint == NULL || e->field == NULL)
		return ERR_ALLOC;
	dispatch_utf8_clean(e->hint);
	resp->error = e;
	return code == TIER__ERROR_CODE__ERROR_CODE_INTERNAL ? ERR_INTERNAL
							     : ERR_INVALID_ARG;
}

void
cmd_log(struct cmd_ctx *ctx, const char *fmt, ...)
{
	struct cmd_note *n;
	char text[1024];
	va_list ap;
	size_t len;

	/* Nothing held while nothing would be written, or written at info:
	 * a bulk import's lines are demoted, and would be many. */
	if (ctx->notes == NULL || !log_info_wanted()) {
		va_start(ap, fmt);
		log_vinfo(fmt, ap);
		va_end(ap);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	len = strlen(text);
	if ((n = arena_alloc(ctx->arena, sizeof(*n) + len + 1)) == NULL) {
		log_info("%s", text); /* better early than never */
		return;
	}
	n->next = NULL;
	memcpy(n->text, text, len + 1);
	*ctx->notes->tail = n;
	ctx->notes->tail = &n->next;
}

void
cmd_notes_flush(struct cmd_notes *notes)
{
	const struct cmd_note *n;

	for (n = notes->head; n != NULL; n = n->next)
		log_info("%s", n->text);
	cmd_notes_clear(notes);
}

void
cmd_notes_clear(struct cmd_notes *notes)
{
	notes->head = NULL;
	notes->tail = &notes->head;
}

Tier__User *
cmd_user_to_wire(struct arena *a, const struct store_user *u)
{
	Tier__User *w;

	if ((w = arena_alloc(a, sizeof(*w))) == NULL)
		return NULL;
	tier__user__init(w);
	w->name = arena_strdup(a, u->name);
	w->role = u->role;
	w->scope = arena_strdup(a, u->scope);
	w->display_name = arena_strdup(a, u->display_name);
	if (u->has_key) {
		if ((w->public_key.data = arena_alloc(a, KEYS_LEN)) == NULL)
			return NULL;
		memcpy(w->public_key.data, u->public_key, KEYS_LEN);
		w->public_key.len = KEYS_LEN;
	}
	w->created_at = u->created_at;
	w->enrolled_at = u->enrolled_at;
	if (w->name == NULL || w->scope == NULL || w->display_name == NULL)
		return NULL;
	return w;
}

int
cmd_conflict(struct cmd_ctx *ctx, Tier__Response *resp, const char *what,
    int64_t id, uint64_t have, uint64_t sent, int64_t updated_by,
    int64_t updated_at)
{
	struct store_user u;
	char when[32];
	struct tm tm;
	time_t t = (time_t)updated_at;

	if (store_user_get(ctx->srv->store, updated_by, &u) != 0)
		snprintf(
		    u.name, sizeof(u.name), "user %lld", (long long)updated_by);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return cmd_error(ctx, resp, TIER__ERROR_CODE__ERROR_CODE_CONFLICT,
	    "version",
	    "look at it again and redo your change if it still applies",
	    "%s %lld was changed by %s at %s (it is at version %llu; you sent "
	    "version %llu)",
	    what, (long long)id, u.name, when, (unsigned long long)have,
	    (unsigned long long)sent);
}

/* protobuf-c allocations from the request's arena, freed with it. */
static void *
dispatch_pb_alloc(void *arena, size_t size)
{
	return arena_alloc(arena, size);
}

static void
dispatch_pb_free(void *arena, void *p)
{
	(void)arena;
	(void)p;
}

/* A request id is 1 to 64 printable ASCII characters. */
static int
dispatch_request_id_valid(const char *id)
{
	size_t n;

	for (n = 0; id[n] != '\0'; n++) {
		if (id[n] < 0x21 || id[n] > 0x7e || n == 64)
			return 0;
	}
	return n > 0;
}

/*
 * Hashes what a request asks, without its correlation id: a retry must ask
 * the same thing under the same request id.
 */
static int
dispatch_request_hash(const Tier__Request *req, uint8_t hash[32])
{
	Tier__Request copy = *req;
	struct buf b = BUF_INIT;
	int r;

	copy.id = 0;
	copy.request_id = "";
	if ((r = msg_pack(&copy.base, &b)) != 0)
		return r;
	crypto_generichash(hash, 32, b.data, b.len, NULL, 0);
	buf_free(&b);
	return 0;
}

/*
 * Before an idempotent handler: checks the request id and looks it up. Returns
 * 1 when resp now holds the first answer to this id (replayed), 0 to run the
 * handler, or a cmd_error result.
 */
static int
dispatch_replay(struct cmd_ctx *ctx, const Tier__Request *req,
    Tier__Response *resp, uint8_t hash[32])
{
	ProtobufCAllocator pa = { dispatch_pb_alloc, dispatch_pb_free,
		ctx->arena };
	Tier__Response *old;
	uint8_t stored[32], *data = NULL;
	size_t len;
	int r;

	if (!dispatch_request_id_valid(req->request_id))
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "request_id",
		    "send a fresh random id with every change, and the same id "
		    "only when retrying it",
		    "a change needs a request id of 1 to 64 printable ASCII "
		    "characters");
	if ((r = dispatch_request_hash(req, hash)) != 0)
		return r;
	r = store_request_get(ctx->srv->store, ctx->user->id, req->request_id,
	    stored, &data, &len);
	if (r == ERR_NOT_FOUND)
		return 0;
	if (r != 0)
		return r;
	if (sodium_memcmp(stored, hash, 32) != 0) {
		free(data);
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST, "request_id",
		    "use a new request id for a new change; a retry must "
		    "repeat the change exactly, including the version "
		    "(tier --if-version)",
		    "request id \"%s\" was already used for a different "
		    "request",
		    req->request_id);
	}
	old = tier__response__unpack(&pa, len, data);
	free(data);
	if (old == NULL)
		return ERR_STORE;
	*resp = *old;
	resp->id = req->id;
	log_debug(
	    "request %s of %s replayed", req->request_id, ctx->user->name);
	return 1;
}

/* After a successful idempotent handler: keeps its answer for retries. */
static int
dispatch_remember(struct cmd_ctx *ctx, const Tier__Request *req,
    Tier__Response *resp, const uint8_t hash[32])
{
	struct buf b = BUF_INIT;
	uint64_t id = resp->id;
	int r;

	resp->id = 0;
	r = msg_pack(&resp->base, &b);
	resp->id = id;
	if (r == 0)
		r = store_request_put(ctx->srv->store, ctx->user->id,
		    req->request_id, hash, b.data, b.len, ctx->now);
	buf_free(&b);
	return r;
}

int
cmd_scope_resolve(struct store *st, const char *text, struct scope *out)
{
	const struct store_unit *units;
	size_t n;
	int r;

	if ((r = store_unit_view(st, &units, &n)) != 0)
		return r;
	return scope_resolve(text, units, n, out);
}

void
cmd_page_start(struct cmd_page *pg, struct cmd_ctx *ctx, size_t asked,
    size_t dflt, size_t max)
{
	memset(pg, 0, sizeof(*pg));
	pg->ctx = ctx;
	pg->limit = asked != 0 ? asked : dflt;
	if (pg->limit > max)
		pg->limit = max;
}

int
cmd_page_admit(struct cmd_page *pg, int64_t bu_id)
{
	if (!scope_sees_bu(pg->ctx->scope, bu_id))
		return 0;
	if (pg->n == pg->limit) {
		pg->more = 1;
		return -1;
	}
	return 1;
}

int
cmd_page_added(struct cmd_page *pg, int r)
{
	if (r != 0) {
		pg->r = r;
		return 1;
	}
	pg->n++;
	return 0;
}

int
cmd_find_bu(struct cmd_ctx *ctx, Tier__Response *resp, const char *name,
    const char *field, const char *empty_hint, struct store_unit *out)
{
	int r = store_unit_by_name(
	    ctx->srv->store, TIER__UNIT_KIND__UNIT_KIND_BU, name, out);

	if (r == 0 && !scope_sees_bu(ctx->scope, out->id))
		r = ERR_NOT_FOUND;
	if (r == ERR_NOT_FOUND)
		return cmd_error(ctx, resp,
		    TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND, field,
		    name[0] == '\0' && empty_hint != NULL
			? empty_hint
			: "tier org list shows the units you can see",
		    "no BU \"%.64s\"", name);
	return r;
}

int
dispatch_run(struct session *s, const struct cmd_entry *cmd,
    const Tier__Request *req, Tier__Response *resp, struct arena *arena,
    struct cmd_notes *notes)
{
	struct scope sc = { 0 };
	struct cmd_ctx ctx;
	uint8_t hash[32];
	int r;

	ctx.srv = session_server(s);
	ctx.session = s;
	ctx.user = session_user(s);
	ctx.arena = arena;
	ctx.now = server_now();
	ctx.scope = NULL;
	ctx.notes = notes;
	resp->id = req->id;
	if (ctx.user != NULL) {
		if ((r = cmd_scope_resolve(
			 ctx.srv->store, ctx.user->scope, &sc)) != 0)
			goto out;
		ctx.scope = &sc;
	}
	if (cmd->flags & CMD_IDEMPOTENT) {
		if ((r = dispatch_replay(&ctx, req, resp, hash)) != 0) {
			/* A replay changes nothing: the caller releases its
			 * empty savepoint. */
			r = r == 1 ? 0 : r;
			goto out;
		}
	}
	r = cmd->handler(&ctx, req, resp);
	if (r == 0)
		resp->body_case = (Tier__Response__BodyCase)cmd->response;
	if (r == 0 && (cmd->flags & CMD_IDEMPOTENT))
		r = dispatch_remember(&ctx, req, resp, hash);
out:
	scope_release(&sc);
	if (r != 0 && resp->error == NULL) {
		/* A handler failed without saying why: never leave it silent.
		 */
		cmd_error(&ctx, resp, TIER__ERROR_CODE__ERROR_CODE_INTERNAL, "",
		    NULL, "server error (%s); the request had no effect",
		    err_str(r));
	}
	if (resp->error != NULL)
		dispatch_count_error(ctx.srv, resp->error->code);
	/* Its savepoint is rolled back: what it changed, it did not. */
	if (r != 0 && notes != NULL)
		cmd_notes_clear(notes);
	return r;
}

/* Answers a request that never reached a handler. */
static void dispatch_refuse(struct session *s, Tier__Request *req,
    Tier__ErrorCode code, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
dispatch_refuse(struct session *s, Tier__Request *req, Tier__ErrorCode code,
    const char *hint, const char *fmt, ...)
{
	Tier__Response resp = TIER__RESPONSE__INIT;
	Tier__Error err = TIER__ERROR__INIT;
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	dispatch_count_error(session_server(s), code);
	err.code = code;
	err.message = text;
	err.hint = (char *)(hint ? hint : "");
	resp.id = req->id;
	resp.error = &err;
	session_send(s, &resp);
}

void
dispatch_request(struct session *s, Tier__Request *req)
{
	Tier__Response resp = TIER__RESPONSE__INIT;
	const struct store_user *user = session_user(s);
	const struct cmd_entry *cmd;
	struct arena *arena = NULL;
	int row = dispatch_row(req->body_case);
	int64_t arrived = server_clock_ns();

	if (row < 0) {
		dispatch_refuse(s, req,
		    TIER__ERROR_CODE__ERROR_CODE_UNSUPPORTED,
		    "upgrade tierd, or use a client of the same version",
		    "this server does not know request kind %d",
		    (int)req->body_case);
		goto done;
	}
	cmd = dispatch_table[row];
	session_server(s)->counts.requests[row]++;
	if (session_state(s) == SESSION_ANONYMOUS &&
	    !(cmd->flags & CMD_ANONYMOUS)) {
		dispatch_refuse(s, req,
		    TIER__ERROR_CODE__ERROR_CODE_UNKNOWN_KEY,
		    "ask an administrator for an enrolment code and run: "
		    "tier enroll CODE",
		    "this client key is not registered with the server");
		session_close(s, "request from an unregistered key");
		goto done;
	}
	if (user != NULL && (cmd->flags & CMD_ANONYMOUS)) {
		dispatch_refuse(s, req,
		    TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
		    "use another key (tier --config-dir DIR enroll CODE) to "
		    "enrol a second user from this machine",
		    "this key is already enrolled as %s", user->name);
		goto done;
	}
	if (user != NULL && !(cmd->roles & CMD_ROLE(user->role))) {
		dispatch_refuse(s, req,
		    TIER__ERROR_CODE__ERROR_CODE_PERMISSION_DENIED,
		    "ask someone whose role allows it", "role %s may not %s",
		    msg_role_name(user->role), cmd->name);
		goto done;
	}
	if (cmd->flags & CMD_WRITE) {
		commit_enqueue(session_server(s)->commit, s, cmd, req);
		return; /* the queue owns req now */
	}
	if (arena_new(&arena) != 0) {
		dispatch_refuse(s, req,
		    TIER__ERROR_CODE__ERROR_CODE_UNAVAILABLE, NULL,
		    "server out of memory");
		goto done;
	}
	commit_snapshot(session_server(s)->commit);
	dispatch_run(s, cmd, req, &resp, arena, NULL);
	session_send(s, &resp);
	server_observe(session_server(s), SERVER_READ, arrived);
done:
	arena_free(arena);
	tier__request__free_unpacked(req, NULL);
}
