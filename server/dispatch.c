/*
 * The command table and the one path every request takes after it is
 * unpacked: lookup, session state, role, then either run now (reads) or queue
 * for the group commit (writes). Checks happen here, once, in this order;
 * handlers never repeat them.
 */
#include "tierd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_whoami_entry;
extern const struct cmd_entry cmd_enroll_entry;
extern const struct cmd_entry cmd_user_add_entry;
extern const struct cmd_entry cmd_user_code_entry;
extern const struct cmd_entry cmd_user_list_entry;

const struct cmd_entry *const dispatch_table[] = {
	&cmd_status_entry,
	&cmd_whoami_entry,
	&cmd_enroll_entry,
	&cmd_user_add_entry,
	&cmd_user_code_entry,
	&cmd_user_list_entry,
	NULL,
};

const struct cmd_entry *
dispatch_lookup(Tier__Request__BodyCase request)
{
	size_t i;

	for (i = 0; dispatch_table[i] != NULL; i++) {
		if (dispatch_table[i]->request == request)
			return dispatch_table[i];
	}
	return NULL;
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
	resp->error = e;
	return code == TIER__ERROR_CODE__ERROR_CODE_INTERNAL ? ERR_INTERNAL
							     : ERR_INVALID_ARG;
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
dispatch_run(struct session *s, const struct cmd_entry *cmd,
    const Tier__Request *req, Tier__Response *resp, struct arena *arena)
{
	struct cmd_ctx ctx;
	int r;

	ctx.srv = session_server(s);
	ctx.session = s;
	ctx.user = session_user(s);
	ctx.arena = arena;
	ctx.now = server_now();
	resp->id = req->id;
	r = cmd->handler(&ctx, req, resp);
	if (r != 0 && resp->error == NULL) {
		/* A handler failed without saying why: never leave it silent.
		 */
		cmd_error(&ctx, resp, TIER__ERROR_CODE__ERROR_CODE_INTERNAL, "",
		    NULL, "server error (%s); the request had no effect",
		    err_str(r));
	}
	if (r == 0)
		resp->body_case = (Tier__Response__BodyCase)cmd->response;
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

	cmd = dispatch_lookup(req->body_case);
	if (cmd == NULL) {
		dispatch_refuse(s, req,
		    TIER__ERROR_CODE__ERROR_CODE_UNSUPPORTED,
		    "upgrade tierd, or use a client of the same version",
		    "this server does not know request kind %d",
		    (int)req->body_case);
		goto done;
	}
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
	dispatch_run(s, cmd, req, &resp, arena);
	session_send(s, &resp);
done:
	arena_free(arena);
	tier__request__free_unpacked(req, NULL);
}
