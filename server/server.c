/*
 * The life of one tierd process: set-up (data directory, static key,
 * database, feed, listener, signals), the event loop, SIGHUP reload, the
 * graceful stop on SIGTERM, and the first administrator's enrolment.
 */
#include "tierd.h"

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>

/* How long a graceful stop waits for clients to take their last replies. */
#define SERVER_STOP_SECONDS 5

const double server_buckets[SERVER_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5 };

int64_t
server_now(void)
{
	return (int64_t)time(NULL);
}

int64_t
server_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
server_observe(struct server *srv, enum server_class cl, int64_t since_ns)
{
	double s = (double)(server_clock_ns() - since_ns) / 1e9;
	size_t i = 0;

	while (i < SERVER_BUCKETS && s > server_buckets[i])
		i++;
	srv->counts.latency[cl][i]++;
	srv->counts.latency_sum[cl] += s;
}

void
server_path(
    const struct server *srv, const char *file, char *out, size_t out_len)
{
	snprintf(out, out_len, "%s/%s", srv->cfg.datadir, file);
}

/* Creates the data directory (0700) or checks that others cannot enter it. */
static int
server_datadir(struct server *srv)
{
	struct stat st;

	if (mkdir(srv->cfg.datadir, 0700) != 0 && errno != EEXIST) {
		log_error("cannot create data directory %s: %s",
		    srv->cfg.datadir, strerror(errno));
		return ERR_SYSTEM;
	}
	if (stat(srv->cfg.datadir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_error(
		    "data directory %s is not a directory", srv->cfg.datadir);
		return ERR_CONFIG;
	}
	if (st.st_mode & 077)
		log_warn("data directory %s is accessible to other users; "
			 "fix with: chmod 700 %s",
		    srv->cfg.datadir, srv->cfg.datadir);
	return 0;
}

/* Opens the parts every mode needs: data directory, key, database. */
static int
server_open(struct server *srv)
{
	char path[PATH_MAX + 16], why[512];
	int r, created = 0;

	if (sodium_init() < 0) {
		log_error("libsodium failed to initialise");
		return ERR_INTERNAL;
	}
	if ((r = server_datadir(srv)) != 0)
		return r;
	server_path(srv, "server.key", path, sizeof(path));
	if ((r = keys_load_or_create(path, &srv->key, &created)) != 0) {
		log_error("server key %s: %s%s", path, err_str(r),
		    r == ERR_KEY_PERMS ? "; fix with: chmod 600 <file>" : "");
		return r;
	}
	keys_fingerprint(srv->key->pub, srv->fingerprint);
	if (created)
		log_info("created server key %s", path);
	log_info("server key fingerprint %s", srv->fingerprint);
	server_path(srv, "tier.db", path, sizeof(path));
	if ((r = store_open(&srv->store, path, why, sizeof(why))) != 0) {
		log_error("database: %s", why);
		return r;
	}
	return 0;
}

static void
server_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	char why[512];
	struct config cfg;

	(void)what;
	if (sig != SIGHUP) {
		server_stop(srv, sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return;
	}
	if (srv->config_path[0] == '\0') {
		log_info("SIGHUP: no configuration file to reload");
		return;
	}
	sd_notify(0, "RELOADING=1");
	cfg = srv->cfg;
	if (config_load(&cfg, srv->config_path, why, sizeof(why)) != 0) {
		log_error("SIGHUP: keeping the running configuration: %s", why);
	} else {
		if (strcmp(cfg.listen, srv->cfg.listen) != 0 ||
		    strcmp(cfg.http_listen, srv->cfg.http_listen) != 0 ||
		    strcmp(cfg.datadir, srv->cfg.datadir) != 0)
			log_warn("SIGHUP: listen, http_listen and datadir "
				 "changes take effect at the next start");
		/* Settings that are safe to change in a running server. */
		srv->cfg.handshake_timeout = cfg.handshake_timeout;
		srv->cfg.idle_timeout = cfg.idle_timeout;
		srv->cfg.max_connections = cfg.max_connections;
		srv->cfg.import_memory = cfg.import_memory;
		srv->cfg.request_id_ttl = cfg.request_id_ttl;
		srv->cfg.code_ttl = cfg.code_ttl;
		srv->cfg.log_level = cfg.log_level;
		srv->cfg.feed_resume_window = cfg.feed_resume_window;
		srv->cfg.feed_max_buffer = cfg.feed_max_buffer;
		srv->cfg.feed_step_limit_scale = cfg.feed_step_limit_scale;
		if (srv->cfg.feed_escalation_check !=
		    cfg.feed_escalation_check) {
			srv->cfg.feed_escalation_check =
			    cfg.feed_escalation_check;
			escalate_reschedule(srv->escalate);
		}
		memcpy(srv->cfg.name, cfg.name, sizeof(cfg.name));
		log_init("tierd", cfg.log_level);
		log_info(
		    "SIGHUP: configuration reloaded from %s", srv->config_path);
	}
	sd_notify(0, "READY=1");
}

int
server_init(struct server *srv)
{
	struct rlimit rl;
	int r;

	LIST_INIT(&srv->sessions);
	/*
	 * Each connection is a descriptor: the soft limit (often 1024) would
	 * refuse connections long before max_connections, so take the hard
	 * limit, and say when even that is too low.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < (rlim_t)srv->cfg.max_connections + 64)
			log_warn(
			    "open file limit %llu is below max_connections "
			    "%ld: raise LimitNOFILE",
			    (unsigned long long)rl.rlim_cur,
			    srv->cfg.max_connections);
	}
	if ((r = server_open(srv)) != 0)
		return r;
	if ((srv->base = event_base_new()) == NULL) {
		log_error("cannot create the event loop");
		return ERR_ALLOC;
	}
	if ((r = commit_new(srv, &srv->commit)) != 0 ||
	    (r = feed_new(srv, &srv->feed)) != 0 ||
	    (r = escalate_new(srv, &srv->escalate)) != 0 ||
	    (r = prune_new(srv, &srv->prune)) != 0) {
		log_error("cannot start: %s", err_str(r));
		return r;
	}
	srv->sig_term = evsignal_new(srv->base, SIGTERM, server_signal_cb, srv);
	srv->sig_int = evsignal_new(srv->base, SIGINT, server_signal_cb, srv);
	srv->sig_hup = evsignal_new(srv->base, SIGHUP, server_signal_cb, srv);
	if (srv->sig_term == NULL || srv->sig_int == NULL ||
	    srv->sig_hup == NULL || evsignal_add(srv->sig_term, NULL) != 0 ||
	    evsignal_add(srv->sig_int, NULL) != 0 ||
	    evsignal_add(srv->sig_hup, NULL) != 0) {
		log_error("cannot install signal handlers");
		return ERR_SYSTEM;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((r = listener_start(srv)) != 0 || (r = http_start(srv)) != 0)
		return r;
	srv->started_at = server_now();
	return 0;
}

int
server_run(struct server *srv)
{
	log_info("tierd %s ready (protocol %d, %s, schema %d)", TIER_VERSION,
	    MSG_PROTOCOL_VERSION, store_engine(),
	    store_schema_version(srv->store));
	sd_notify(0, "READY=1");
	if (event_base_dispatch(srv->base) < 0) {
		log_error("event loop failed");
		return ERR_INTERNAL;
	}
	if (srv->failure != NULL) {
		log_error("stopped: %s", srv->failure);
		return ERR_STORE;
	}
	log_info("stopped");
	return 0;
}

static void
server_stop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	if (srv->nsessions > 0 && server_now() < srv->stop_deadline)
		return;
	if (srv->nsessions > 0)
		log_warn("stop: %u connection(s) did not finish in time",
		    srv->nsessions);
	event_base_loopbreak(srv->base);
}

void
server_stop(struct server *srv, const char *why)
{
	struct timeval tv = { 0, 100000 };

	if (srv->stopping) {
		log_info("%s: already stopping", why);
		return;
	}
	srv->stopping = 1;
	log_info("%s: stopping gracefully", why);
	sd_notify(0, "STOPPING=1");
	listener_stop(srv);
	/* Queued writes are committed and answered before anyone is closed. */
	commit_flush(srv->commit);
	session_close_all(srv, "server stopping");
	/* Poll until the sessions are gone, up to SERVER_STOP_SECONDS. */
	srv->stop_timer =
	    event_new(srv->base, -1, EV_PERSIST, server_stop_timer_cb, srv);
	if (srv->stop_timer == NULL) {
		event_base_loopbreak(srv->base);
		return;
	}
	srv->stop_deadline = server_now() + SERVER_STOP_SECONDS;
	event_add(srv->stop_timer, &tv);
}

void
server_fail(struct server *srv, const char *why)
{
	if (srv->failure == NULL)
		srv->failure = why;
	server_stop(srv, why);
}

void
server_free(struct server *srv)
{
	struct session *s;

	while ((s = LIST_FIRST(&srv->sessions)) != NULL)
		session_destroy(s);
	listener_stop(srv);
	http_stop(srv);
	commit_free(srv->commit);
	escalate_free(srv->escalate);
	prune_free(srv->prune);
	feed_free(srv->feed);
	if (srv->stop_timer)
		event_free(srv->stop_timer);
	if (srv->sig_term)
		event_free(srv->sig_term);
	if (srv->sig_int)
		event_free(srv->sig_int);
	if (srv->sig_hup)
		event_free(srv->sig_hup);
	if (srv->base)
		event_base_free(srv->base);
	store_close(srv->store);
	keys_free(srv->key);
	memset(srv, 0, sizeof(*srv));
}

/* Audits --init-admin as an act of the machine's operator. */
static int
server_init_admin_audit(struct server *srv, const struct store_user *u)
{
	struct store_user operator= { .role = TIER__ROLE__ROLE_ADMIN };
	struct cmd_ctx ctx = { .srv = srv, .user = &operator};
	json_t *after = cmd_user_json(u);
	int r;

	snprintf(operator.name, sizeof(operator.name), "tierd --init-admin");
	ctx.now = server_now();
	r = after ? audit_record_json(
			&ctx, "user.init_admin", "user", u->id, NULL, after, "")
		  : ERR_ALLOC;
	json_decref(after);
	return r;
}

int
server_init_admin(struct server *srv, const char *name, char *code,
    size_t code_len, int64_t *expires_at, char *why, size_t why_len)
{
	struct store_user u;
	char fresh[ENROL_CODE_SIZE];
	int r;

	if (!cmd_user_name_valid(name)) {
		snprintf(why, why_len,
		    "\"%s\" is not a valid user name: use 1-64 of a-z, 0-9, "
		    "'.', '_' and '-', starting with a letter or digit",
		    name);
		return ERR_INVALID_ARG;
	}
	if ((r = server_open(srv)) != 0) {
		snprintf(why, why_len, "cannot open the data directory %s",
		    srv->cfg.datadir);
		return r;
	}
	if ((r = store_begin(srv->store)) != 0)
		goto fail;
	r = store_user_by_name(srv->store, name, &u);
	if (r == 0 && u.role != TIER__ROLE__ROLE_ADMIN) {
		store_rollback(srv->store);
		snprintf(
		    why, why_len, "user %s exists and is not an admin", name);
		return ERR_EXISTS;
	}
	if (r == ERR_NOT_FOUND) {
		memset(&u, 0, sizeof(u));
		snprintf(u.name, sizeof(u.name), "%s", name);
		snprintf(u.scope, sizeof(u.scope), "all");
		u.role = TIER__ROLE__ROLE_ADMIN;
		u.created_at = server_now();
		r = store_user_insert(srv->store, &u);
	}
	if (r != 0 ||
	    (r = enrol_issue(srv->store, u.id, srv->cfg.code_ttl, server_now(),
		 fresh, expires_at)) != 0 ||
	    (r = server_init_admin_audit(srv, &u)) != 0 ||
	    (r = store_commit(srv->store)) != 0)
		goto fail;
	snprintf(code, code_len, "%s", fresh);
	sodium_memzero(fresh, sizeof(fresh));
	return 0;
fail:
	store_rollback(srv->store);
	snprintf(why, why_len, "database: %s", store_errmsg(srv->store));
	return r;
}
