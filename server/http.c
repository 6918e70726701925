/*
 * The health check and the metrics, over HTTP (libevent's evhttp) on
 * [server] http_listen, off unless it is set:
 *
 *   GET /health   200 "ok" when the database answers a read; 503
 *                 "stopping" during a graceful stop, 503 "database
 *                 unavailable" when it does not
 *   GET /metrics  counters and gauges in the Prometheus text format 0.0.4
 *
 * Neither asks for a key. They carry counts and sizes, never business data,
 * but anyone who reaches the port sees them: bind it to loopback or to a
 * management network. Requests are small and short-lived: GET and HEAD
 * only (405 otherwise), 4 KiB of headers, no body, 10 s to finish.
 */
#include "tierd.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define HTTP_TIMEOUT_SECONDS 10
#define HTTP_MAX_HEADERS     4096

/*
 * The body of the answer to req, or NULL when req has been answered already:
 * 405 to a method other than GET and HEAD, 500 when out of memory.
 */
static struct evbuffer *
http_body(struct evhttp_request *req)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct evbuffer *body;

	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		evhttp_send_error(req, HTTP_BADMETHOD, NULL);
		return NULL;
	}
	if ((body = evbuffer_new()) == NULL)
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
	return body;
}

/* Sends body, of the given content type, with status code; frees body. */
static void
http_reply(struct evhttp_request *req, int code, const char *reason,
    const char *type, struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, code, reason, body);
	evbuffer_free(body);
}

static void
http_health_cb(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	struct commit_stats cs;
	struct evbuffer *body;
	int healthy = 0;

	if ((body = http_body(req)) == NULL)
		return;
	commit_stats(srv->commit, &cs);
	if (srv->stopping)
		evbuffer_add_printf(body, "stopping\n");
	else if (store_ping(srv->store) != 0)
		evbuffer_add_printf(body, "database unavailable\n");
	else if (cs.failing != NULL)
		evbuffer_add_printf(body, "writes failing: %s\n", cs.failing);
	else
		healthy = evbuffer_add_printf(body, "ok\n") > 0;
	if (healthy)
		http_reply(
		    req, HTTP_OK, "OK", "text/plain; charset=utf-8", body);
	else
		http_reply(req, HTTP_SERVUNAVAIL, "Service Unavailable",
		    "text/plain; charset=utf-8", body);
}

/* One metric's HELP and TYPE lines. */
static void
http_family(
    struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(
	    b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The size of a file in the data directory, 0 when it is not there. */
static long long
http_file_size(struct server *srv, const char *name)
{
	char path[PATH_MAX + 16];
	struct stat sb;

	server_path(srv, name, path, sizeof(path));
	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

static void
http_metrics_write(struct server *srv, struct evbuffer *b)
{
	struct commit_stats cs;
	uint64_t background, inline_;
	size_t i;

	http_family(b, "tierd_info", "gauge",
	    "Version, wire protocol, storage engine and schema of this tierd.");
	evbuffer_add_printf(b,
	    "tierd_info{version=\"%s\",protocol=\"%d\",engine=\"%s\","
	    "schema=\"%d\"} 1\n",
	    TIER_VERSION, MSG_PROTOCOL_VERSION, store_engine(),
	    store_schema_version(srv->store));
	http_family(b, "tierd_start_time_seconds", "gauge",
	    "When tierd started, Unix time.");
	evbuffer_add_printf(
	    b, "tierd_start_time_seconds %lld\n", (long long)srv->started_at);
	http_family(b, "tierd_connections", "gauge",
	    "Open client connections, in any state.");
	evbuffer_add_printf(b, "tierd_connections %u\n", srv->nsessions);
	http_family(b, "tierd_connections_max", "gauge",
	    "Connections beyond this are refused (server.max_connections).");
	evbuffer_add_printf(
	    b, "tierd_connections_max %ld\n", srv->cfg.max_connections);

	http_family(b, "tierd_requests_total", "counter",
	    "Requests received, by kind.");
	for (i = 0; dispatch_table[i] != NULL; i++)
		evbuffer_add_printf(b,
		    "tierd_requests_total{kind=\"%s\"} %llu\n",
		    dispatch_table[i]->name,
		    (unsigned long long)srv->counts.requests[i]);
	http_family(b, "tierd_request_errors_total", "counter",
	    "Requests answered with an error, by error code.");
	for (i = 1; i < SERVER_CODES_MAX; i++) {
		const char *name = msg_error_code_name((Tier__ErrorCode)i);

		if (strcmp(name, "unknown") != 0)
			evbuffer_add_printf(b,
			    "tierd_request_errors_total{code=\"%s\"} %llu\n",
			    name, (unsigned long long)srv->counts.errors[i]);
	}

	http_family(b, "tierd_request_seconds", "histogram",
	    "Time from a decoded request to its answer (a write's: "
	    "after the sync of its commit), by class.");
	for (i = 0; i < SERVER_CLASSES; i++) {
		const char *cl = i == SERVER_WRITE ? "write" : "read";
		uint64_t n = 0;
		size_t k;

		for (k = 0; k <= SERVER_BUCKETS; k++) {
			n += srv->counts.latency[i][k];
			if (k < SERVER_BUCKETS)
				evbuffer_add_printf(b,
				    "tierd_request_seconds_bucket{class=\"%s\","
				    "le=\"%g\"} %llu\n",
				    cl, server_buckets[k],
				    (unsigned long long)n);
		}
		evbuffer_add_printf(b,
		    "tierd_request_seconds_bucket{class=\"%s\",le=\"+Inf\"} "
		    "%llu\n"
		    "tierd_request_seconds_sum{class=\"%s\"} %.6f\n"
		    "tierd_request_seconds_count{class=\"%s\"} %llu\n",
		    cl, (unsigned long long)n, cl, srv->counts.latency_sum[i],
		    cl, (unsigned long long)n);
	}

	commit_stats(srv->commit, &cs);
	http_family(b, "tierd_commit_batches_total", "counter",
	    "Group commits: transactions that ran queued write requests.");
	evbuffer_add_printf(b, "tierd_commit_batches_total %llu\n",
	    (unsigned long long)cs.batches);
	http_family(b, "tierd_commit_requests_total", "counter",
	    "Write requests run in group commits.");
	evbuffer_add_printf(b, "tierd_commit_requests_total %llu\n",
	    (unsigned long long)cs.requests);
	http_family(b, "tierd_commit_failures_total", "counter",
	    "Group commits that failed (a full disk, an I/O error): their "
	    "requests were answered UNAVAILABLE and had no effect.");
	evbuffer_add_printf(b, "tierd_commit_failures_total %llu\n",
	    (unsigned long long)cs.failures);
	http_family(b, "tierd_fsyncs_total", "counter",
	    "Syncs of the write-ahead log by the sync threads.");
	evbuffer_add_printf(
	    b, "tierd_fsyncs_total %llu\n", (unsigned long long)cs.syncs);
	http_family(b, "tierd_fsync_seconds_total", "counter",
	    "Time those syncs took.");
	evbuffer_add_printf(
	    b, "tierd_fsync_seconds_total %.6f\n", cs.sync_seconds);
	store_checkpoint_counts(srv->store, &background, &inline_);
	http_family(b, "tierd_checkpoints_total", "counter",
	    "Checkpoints of the write-ahead log, by where they ran.");
	evbuffer_add_printf(b,
	    "tierd_checkpoints_total{where=\"background\"} %llu\n"
	    "tierd_checkpoints_total{where=\"commit\"} %llu\n",
	    (unsigned long long)background, (unsigned long long)inline_);
	http_family(b, "tierd_database_bytes", "gauge",
	    "Size of the database and of its write-ahead log.");
	evbuffer_add_printf(b,
	    "tierd_database_bytes{file=\"tier.db\"} %lld\n"
	    "tierd_database_bytes{file=\"tier.db-wal\"} %lld\n",
	    http_file_size(srv, "tier.db"), http_file_size(srv, "tier.db-wal"));

	http_family(b, "tierd_feed_subscribers", "gauge",
	    "Connections subscribed to the change feed.");
	evbuffer_add_printf(
	    b, "tierd_feed_subscribers %zu\n", feed_subscribers(srv->feed));
	http_family(b, "tierd_feed_head", "gauge",
	    "The audit seq of the newest change pushed to subscribers.");
	evbuffer_add_printf(
	    b, "tierd_feed_head %lld\n", (long long)feed_head(srv->feed));
	http_family(b, "tierd_import_staged_bytes", "gauge",
	    "Bytes of imports staged in memory, on all connections.");
	evbuffer_add_printf(
	    b, "tierd_import_staged_bytes %zu\n", srv->import_staged);
	http_family(b, "tierd_import_memory_bytes", "gauge",
	    "Their limit (server.import_memory).");
	evbuffer_add_printf(
	    b, "tierd_import_memory_bytes %ld\n", srv->cfg.import_memory);
}

static void
http_metrics_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *body;

	if ((body = http_body(req)) == NULL)
		return;
	http_metrics_write(arg, body);
	http_reply(req, HTTP_OK, "OK",
	    "text/plain; version=0.0.4; charset=utf-8", body);
}

/* Any other path. */
static void
http_other_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_error(req, HTTP_NOTFOUND, "try /health or /metrics");
}

int
http_start(struct server *srv)
{
	struct evconnlistener *l = NULL;
	char bound[128];
	int r;

	if (srv->cfg.http_listen[0] == '\0')
		return 0;
	if ((srv->http = evhttp_new(srv->base)) == NULL) {
		log_error("http: out of memory");
		return ERR_ALLOC;
	}
	/* The methods evhttp knows reach the callbacks, which answer 405 to
	 * all but GET and HEAD; others are 501. */
	evhttp_set_allowed_methods(
	    srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
			   EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
			   EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_timeout(srv->http, HTTP_TIMEOUT_SECONDS);
	evhttp_set_max_headers_size(srv->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(srv->http, 0);
	if (evhttp_set_cb(srv->http, "/health", http_health_cb, srv) != 0 ||
	    evhttp_set_cb(srv->http, "/metrics", http_metrics_cb, srv) != 0) {
		log_error("http: cannot register the paths");
		return ERR_ALLOC;
	}
	evhttp_set_gencb(srv->http, http_other_cb, srv);
	if ((r = listener_open(srv, "http_listen", srv->cfg.http_listen, NULL,
		 &l, bound, sizeof(bound))) != 0)
		return r;
	if (evhttp_bind_listener(srv->http, l) == NULL) {
		evconnlistener_free(l);
		log_error("http: cannot serve on %s", bound);
		return ERR_SYSTEM;
	}
	log_info("http: /health and /metrics on %s", bound);
	return 0;
}

void
http_stop(struct server *srv)
{
	if (srv->http == NULL)
		return;
	evhttp_free(srv->http);
	srv->http = NULL;
}
