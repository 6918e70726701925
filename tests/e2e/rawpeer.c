/*
 * A raw tier protocol peer for end-to-end tests: it speaks (or deliberately
 * misspeaks) the wire protocol over a plain blocking socket and checks how
 * tierd reacts. Each mode is one scenario; the exit status is 0 when the
 * server behaved as the spec requires and 1 otherwise, with the story on
 * stderr. Every read is bounded by poll(), so a silent server cannot hang a
 * test.
 *
 * usage: rawpeer MODE HOST PORT [KEYFILE]
 *
 * watch and stall are subscribers of the change feed: watch prints what it
 * receives as JSON lines, stall subscribes and then does not read;
 * feed-read prints one page of the feed as a JSON line. random sends random
 * requests of every kind (reqgen.c) and checks each answer. flood
 * pipelines behind a write that waits for its sync.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "channel.h"
#include "err.h"
#include "frame.h"
#include "keys.h"
#include "msg.h"
#include "noise.h"
#include "reqgen.h"

#define RAWPEER_IO_TIMEOUT_MS 5000 /* longest wait for any expected event */
#define RAWPEER_PIPELINE_MAX  10000
#define RAWPEER_RANDOM_MAX    1000000
#define RANDOM_ROUNDS         12 /* sends of one random request, at most */

/* One test run: the connection and what the chosen mode needs. */
struct rawpeer {
	const char *mode;       /* scenario name, for messages */
	int fd;                 /* connected socket, -1 before connect */
	struct keypair *kp;     /* our static key */
	struct channel *ch;     /* transport channel after the handshake */
	uint8_t server_pub[32]; /* server static key from message 2 */
	int64_t deadline_ms;    /* monotonic deadline of the current wait */
	uint8_t frame[FRAME_MAX_BODY]; /* one received frame body */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(const struct rawpeer *rp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(const struct rawpeer *rp, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rawpeer %s: ", rp->mode);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Connects; small_rcvbuf shrinks our receive window first, so that a
 * server's output to us backs up after a few kilobytes. */
static int
rawpeer_connect(
    struct rawpeer *rp, const char *host, const char *port, int small_rcvbuf)
{
	int rcvbuf = 4096;
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, one = 1, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		say(rp, "cannot resolve %s:%s: %s", host, port,
		    gai_strerror(e));
		return ERR_CONNECT;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		if (small_rcvbuf)
			setsockopt(
			    fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		say(rp, "cannot connect to %s:%s: %s", host, port,
		    strerror(errno));
		return ERR_CONNECT;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rp->fd = fd;
	return 0;
}

/* Writes all bytes; a peer that closed meanwhile is reported, not fatal. */
static int
send_all(struct rawpeer *rp, const void *p, size_t len)
{
	const uint8_t *c = p;
	ssize_t n;

	while (len > 0) {
		n = send(rp->fd, c, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EPIPE || errno == ECONNRESET
				   ? ERR_EOF
				   : ERR_SYSTEM;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Waits until the socket is readable or rp->deadline_ms passes. */
static int
wait_readable(struct rawpeer *rp)
{
	struct pollfd pfd;
	int64_t left;
	int n;

	for (;;) {
		left = rp->deadline_ms - now_ms();
		if (left <= 0)
			return ERR_TIMEOUT;
		pfd.fd = rp->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ERR_SYSTEM;
		if (n > 0)
			return 0;
	}
}

/* Reads exactly len bytes before the deadline: 0, ERR_EOF (closed or
 * reset), ERR_TIMEOUT or ERR_SYSTEM. */
static int
read_exact(struct rawpeer *rp, uint8_t *p, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int r;

	while (off < len) {
		if ((r = wait_readable(rp)) != 0)
			return r;
		n = recv(rp->fd, p + off, len - off, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET)
			return ERR_EOF;
		if (n < 0)
			return ERR_SYSTEM;
		if (n == 0)
			return ERR_EOF;
		off += (size_t)n;
	}
	return 0;
}

/* Reads one frame into rp->frame. */
static int
read_frame(struct rawpeer *rp, size_t *len)
{
	uint8_t hdr[FRAME_HEADER_LEN];
	int r;

	if ((r = read_exact(rp, hdr, sizeof(hdr))) != 0)
		return r;
	if ((r = frame_parse_header(hdr, sizeof(hdr), len)) != 0)
		return r;
	return read_exact(rp, rp->frame, *len);
}

static int
send_frame(struct rawpeer *rp, const uint8_t *body, size_t len)
{
	struct buf out = BUF_INIT;
	int r;

	if ((r = frame_append(&out, body, len)) == 0)
		r = send_all(rp, out.data, out.len);
	buf_free(&out);
	return r;
}

/*
 * The pass condition of the misbehaviour modes: within wait_ms the server
 * closes the connection having sent nothing. Returns 0 on pass.
 */
static int
expect_close(struct rawpeer *rp, int64_t wait_ms, int64_t *elapsed)
{
	uint8_t byte;
	int64_t start = now_ms();
	ssize_t n;
	int r;

	rp->deadline_ms = start + wait_ms;
	for (;;) {
		if ((r = wait_readable(rp)) != 0) {
			say(rp,
			    "server did not close the connection within "
			    "%lld ms",
			    (long long)wait_ms);
			return 1;
		}
		n = recv(rp->fd, &byte, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (elapsed != NULL)
		*elapsed = now_ms() - start;
	if (n == 0 || (n < 0 && errno == ECONNRESET)) {
		say(rp, "server closed the connection after %lld ms (%s)",
		    (long long)(now_ms() - start),
		    n == 0 ? "end of stream" : "reset");
		return 0;
	}
	if (n < 0) {
		say(rp, "read failed: %s", strerror(errno));
		return 1;
	}
	say(rp, "server sent data (first byte 0x%02x) instead of closing",
	    byte);
	return 1;
}

/*
 * Runs the client side of Noise_XX with the given prologue. *stage says how
 * far it got (1: sending msg 1, 2: reading msg 2, 3: sending msg 3) so the
 * caller can tell where a failure happened.
 */
static int
handshake(struct rawpeer *rp, const char *prologue, int *stage)
{
	Tier__ClientHello hello = TIER__CLIENT_HELLO__INIT;
	Tier__ServerHello *sh = NULL;
	struct noise_hs *hs = NULL;
	struct noise_cipher *send = NULL, *recv = NULL;
	struct buf payload = BUF_INIT;
	uint8_t msg[NOISE_MAX_MESSAGE], plain[NOISE_MAX_MESSAGE];
	char fp[KEYS_FINGERPRINT_SIZE];
	size_t len, plain_len;
	int r;

	*stage = 1;
	r = noise_hs_new(&hs, NOISE_TIER_PROTOCOL, NOISE_INITIATOR,
	    (const uint8_t *)prologue, strlen(prologue), rp->kp->priv, NULL);
	if (r != 0)
		goto out;
	if ((r = noise_hs_write(hs, NULL, 0, msg, sizeof(msg), &len)) != 0)
		goto out;
	if ((r = send_frame(rp, msg, len)) != 0)
		goto out;

	*stage = 2;
	rp->deadline_ms = now_ms() + RAWPEER_IO_TIMEOUT_MS;
	if ((r = read_frame(rp, &len)) != 0)
		goto out;
	r = noise_hs_read(hs, rp->frame, len, plain, sizeof(plain), &plain_len);
	if (r != 0)
		goto out;
	sh = tier__server_hello__unpack(NULL, plain_len, plain);
	if (sh == NULL || sh->protocol_version != MSG_PROTOCOL_VERSION) {
		say(rp, "ServerHello missing or wrong protocol version");
		r = ERR_PROTOCOL;
		goto out;
	}
	if ((r = noise_hs_remote_static(hs, rp->server_pub)) != 0)
		goto out;
	keys_fingerprint(rp->server_pub, fp);
	say(rp, "server \"%s\" version %s key %s", sh->server_name,
	    sh->server_version, fp);

	*stage = 3;
	hello.protocol_version = MSG_PROTOCOL_VERSION;
	hello.client_version = "rawpeer";
	if ((r = msg_pack(&hello.base, &payload)) != 0)
		goto out;
	r = noise_hs_write(
	    hs, payload.data, payload.len, msg, sizeof(msg), &len);
	if (r != 0)
		goto out;
	if ((r = send_frame(rp, msg, len)) != 0)
		goto out;
	if ((r = noise_hs_split(hs, &send, &recv)) != 0)
		goto out;
	r = channel_new(&rp->ch, send, recv, MSG_MAX_RESPONSE);
	send = recv = NULL;
out:
	if (sh != NULL)
		tier__server_hello__free_unpacked(sh, NULL);
	noise_cipher_free(send);
	noise_cipher_free(recv);
	noise_hs_free(hs);
	buf_free(&payload);
	sodium_memzero(plain, sizeof(plain));
	return r;
}

/* Handshakes with the real prologue, reporting failure. */
static int
handshake_ok(struct rawpeer *rp)
{
	int r, stage;

	if ((r = handshake(rp, MSG_PROLOGUE, &stage)) != 0)
		say(rp, "handshake failed at message %d: %s", stage,
		    err_str(r));
	return r;
}

/* Encrypts one Request and appends its frames to out. */
static int
seal_request(struct rawpeer *rp, const Tier__Request *req, struct buf *out)
{
	struct buf plain = BUF_INIT;
	int r;

	if ((r = msg_pack(&req->base, &plain)) == 0)
		r = channel_seal(rp->ch, plain.data, plain.len, out);
	buf_free(&plain);
	return r;
}

static int
send_status_requests(struct rawpeer *rp, uint64_t first, uint64_t count)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__StatusRequest st = TIER__STATUS_REQUEST__INIT;
	struct buf out = BUF_INIT;
	uint64_t i;
	int r = 0;

	req.body_case = TIER__REQUEST__BODY_STATUS;
	req.status = &st;
	for (i = 0; i < count && r == 0; i++) {
		req.id = first + i;
		r = seal_request(rp, &req, &out);
	}
	/* One write: the server sees the requests back to back. */
	if (r == 0)
		r = send_all(rp, out.data, out.len);
	buf_free(&out);
	return r;
}

/* Reads one ServerMessage, caller frees it. */
static int
read_server_message(struct rawpeer *rp, Tier__ServerMessage **out)
{
	const uint8_t *msg;
	size_t len, msg_len;
	int r;

	rp->deadline_ms = now_ms() + RAWPEER_IO_TIMEOUT_MS;
	do {
		if ((r = read_frame(rp, &len)) != 0)
			return r;
		r = channel_open(rp->ch, rp->frame, len, &msg, &msg_len);
	} while (r == ERR_AGAIN);
	if (r != 0)
		return r;
	*out = tier__server_message__unpack(NULL, msg_len, msg);
	if (*out == NULL)
		return ERR_PROTOCOL;
	if ((*out)->kind_case != TIER__SERVER_MESSAGE__KIND_RESPONSE ||
	    (*out)->response == NULL) {
		tier__server_message__free_unpacked(*out, NULL);
		*out = NULL;
		return ERR_PROTOCOL;
	}
	return 0;
}

static int
mode_oversize(struct rawpeer *rp)
{
	static const uint8_t hdr[4] = { 0x00, 0x10, 0x00, 0x00 };
	uint8_t junk[1024];

	randombytes_buf(junk, sizeof(junk));
	if (send_all(rp, hdr, sizeof(hdr)) != 0 ||
	    send_all(rp, junk, sizeof(junk)) != 0)
		say(rp, "server closed while we were still sending");
	return expect_close(rp, 5000, NULL);
}

static int
mode_zero(struct rawpeer *rp)
{
	static const uint8_t hdr[4] = { 0, 0, 0, 0 };

	if (send_all(rp, hdr, sizeof(hdr)) != 0)
		say(rp, "server closed while we were still sending");
	return expect_close(rp, 5000, NULL);
}

static int
mode_garbage_handshake(struct rawpeer *rp)
{
	uint8_t junk[20];

	/* Too short to hold the 32-byte ephemeral key of message 1. */
	randombytes_buf(junk, sizeof(junk));
	if (send_frame(rp, junk, sizeof(junk)) != 0)
		say(rp, "server closed while we were still sending");
	return expect_close(rp, 5000, NULL);
}

static int
mode_garbage_transport(struct rawpeer *rp)
{
	uint8_t junk[100];

	if (handshake_ok(rp) != 0)
		return 1;
	randombytes_buf(junk, sizeof(junk));
	if (send_frame(rp, junk, sizeof(junk)) != 0)
		say(rp, "server closed while we were still sending");
	return expect_close(rp, 5000, NULL);
}

static int
mode_bad_prologue(struct rawpeer *rp)
{
	int r, stage;

	r = handshake(rp, "tier protocol 999", &stage);
	if (r == ERR_DECRYPT && stage == 2) {
		say(rp, "message 2 failed to decrypt, as it must");
		return 0;
	}
	if (r == 0)
		say(rp, "handshake with the wrong prologue succeeded");
	else
		say(rp,
		    "handshake failed at message %d with %s, not at "
		    "message 2 with a decryption failure",
		    stage, err_str(r));
	return 1;
}

static int
mode_slowloris(struct rawpeer *rp)
{
	const char *env = getenv("RAWPEER_HANDSHAKE_TIMEOUT");
	long timeout = env != NULL ? strtol(env, NULL, 10) : 2;
	int64_t elapsed = 0;

	if (timeout < 1)
		timeout = 2;
	if (expect_close(rp, (timeout + 5) * 1000, &elapsed) != 0)
		return 1;
	/* Closing long before the timeout would be a different bug. */
	if (elapsed < timeout * 1000 / 2) {
		say(rp,
		    "closed after %lld ms, well before the %ld s "
		    "handshake timeout",
		    (long long)elapsed, timeout);
		return 1;
	}
	return 0;
}

static int
mode_anonymous_status(struct rawpeer *rp)
{
	Tier__ServerMessage *sm = NULL;
	Tier__Response *resp;
	int r, ret = 1;

	if (handshake_ok(rp) != 0)
		return 1;
	if ((r = send_status_requests(rp, 1, 1)) != 0) {
		say(rp, "cannot send request: %s", err_str(r));
		return 1;
	}
	if ((r = read_server_message(rp, &sm)) != 0) {
		say(rp, "no response: %s", err_str(r));
		return 1;
	}
	resp = sm->response;
	if (resp->id != 1) {
		say(rp, "response id %llu, want 1",
		    (unsigned long long)resp->id);
		goto out;
	}
	if (resp->error == NULL ||
	    resp->error->code != TIER__ERROR_CODE__ERROR_CODE_UNKNOWN_KEY) {
		say(rp, "want error unknown_key, got %s",
		    resp->error == NULL
			? "success"
			: msg_error_code_name(resp->error->code));
		goto out;
	}
	say(rp, "refused: %s (hint: %s)", resp->error->message,
	    resp->error->hint);
	ret = expect_close(rp, 5000, NULL);
out:
	tier__server_message__free_unpacked(sm, NULL);
	return ret;
}

static int
mode_pipeline(struct rawpeer *rp, long n)
{
	Tier__ServerMessage *sm = NULL;
	Tier__Response *resp;
	long i;
	int r;

	if (handshake_ok(rp) != 0)
		return 1;
	if ((r = send_status_requests(rp, 1, (uint64_t)n)) != 0) {
		say(rp, "cannot send requests: %s", err_str(r));
		return 1;
	}
	for (i = 1; i <= n; i++) {
		if ((r = read_server_message(rp, &sm)) != 0) {
			say(rp, "response %ld of %ld missing: %s", i, n,
			    err_str(r));
			return 1;
		}
		resp = sm->response;
		if (resp->id != (uint64_t)i) {
			say(rp, "response %ld has id %llu", i,
			    (unsigned long long)resp->id);
			goto fail;
		}
		if (resp->error != NULL) {
			say(rp, "response %ld is an error: %s: %s", i,
			    msg_error_code_name(resp->error->code),
			    resp->error->message);
			goto fail;
		}
		if (resp->body_case != TIER__RESPONSE__BODY_STATUS ||
		    resp->status == NULL ||
		    resp->status->protocol_version != MSG_PROTOCOL_VERSION ||
		    resp->status->server_public_key.len != KEYS_LEN ||
		    memcmp(resp->status->server_public_key.data, rp->server_pub,
			KEYS_LEN) != 0) {
			say(rp, "response %ld is not a proper status", i);
			goto fail;
		}
		tier__server_message__free_unpacked(sm, NULL);
		sm = NULL;
	}
	say(rp, "%ld pipelined responses arrived in order", n);
	return 0;
fail:
	tier__server_message__free_unpacked(sm, NULL);
	return 1;
}

/* The change feed
 * ------------------------------------------------------------*/

/* Reads one ServerMessage of any kind before the deadline. */
static int
read_any_message(struct rawpeer *rp, Tier__ServerMessage **out)
{
	const uint8_t *msg;
	size_t len, msg_len;
	int r;

	do {
		if ((r = read_frame(rp, &len)) != 0)
			return r;
		r = channel_open(rp->ch, rp->frame, len, &msg, &msg_len);
	} while (r == ERR_AGAIN);
	if (r != 0)
		return r;
	if ((*out = tier__server_message__unpack(NULL, msg_len, msg)) == NULL)
		return ERR_PROTOCOL;
	return 0;
}

/* Sends one request. */
static int
send_request(struct rawpeer *rp, const Tier__Request *req)
{
	struct buf out = BUF_INIT;
	int r;

	if ((r = seal_request(rp, req, &out)) == 0)
		r = send_all(rp, out.data, out.len);
	buf_free(&out);
	return r;
}

static int
send_ping(struct rawpeer *rp, uint64_t id)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__PingRequest ping = TIER__PING_REQUEST__INIT;

	req.id = id;
	req.body_case = TIER__REQUEST__BODY_PING;
	req.ping = &ping;
	return send_request(rp, &req);
}

static long
env_long(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? strtol(v, NULL, 10) : dflt;
}

/* The FeedFilter of RAWPEER_FILTER (comma-separated: my_queue, cycle=ID,
 * segment=NAME, candidate=ID); static storage. */
static Tier__FeedFilter *
feed_filter_from_env(void)
{
	static Tier__FeedFilter flt = TIER__FEED_FILTER__INIT;
	static char spec[256];
	const char *env = getenv("RAWPEER_FILTER");
	char *tok, *save = NULL;

	snprintf(spec, sizeof(spec), "%s", env != NULL ? env : "");
	for (tok = strtok_r(spec, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "my_queue") == 0)
			flt.my_queue = 1;
		else if (strncmp(tok, "cycle=", 6) == 0)
			flt.cycle_id = strtoull(tok + 6, NULL, 10);
		else if (strncmp(tok, "segment=", 8) == 0)
			flt.segment = tok + 8;
		else if (strncmp(tok, "candidate=", 10) == 0)
			flt.candidate_id = strtoull(tok + 10, NULL, 10);
	}
	return &flt;
}

/* Sends subscribe with RAWPEER_FILTER, RAWPEER_AFTER, RAWPEER_HEARTBEAT. */
static int
send_subscribe(struct rawpeer *rp)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__SubscribeRequest sub = TIER__SUBSCRIBE_REQUEST__INIT;

	sub.filter = feed_filter_from_env();
	sub.after_seq = (uint64_t)env_long("RAWPEER_AFTER", 0);
	sub.heartbeat_seconds = (uint32_t)env_long("RAWPEER_HEARTBEAT", 0);
	req.id = 1;
	req.body_case = TIER__REQUEST__BODY_SUBSCRIBE;
	req.subscribe = &sub;
	return send_request(rp, &req);
}

/* Writes s as a JSON string. */
static void
json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	fputc('"', f);
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* The lower-case short name of an enum value ("pending"). */
static const char *
enum_name(const ProtobufCEnumDescriptor *d, int v, const char *prefix)
{
	static char buf[64];
	const ProtobufCEnumValue *ev =
	    protobuf_c_enum_descriptor_get_value(d, v);
	size_t i, n = strlen(prefix);

	if (ev == NULL)
		return "unknown";
	snprintf(buf, sizeof(buf), "%s",
	    strncmp(ev->name, prefix, n) == 0 ? ev->name + n : ev->name);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] >= 'A' && buf[i] <= 'Z')
			buf[i] = (char)(buf[i] - 'A' + 'a');
	return buf;
}

/* The wall clock in Unix milliseconds, to compare with the tests'. */
static long long
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
print_event(const Tier__Event *e)
{
	size_t i;

	printf("\"event\":{\"seq\":%llu,\"at\":%lld,\"user\":",
	    (unsigned long long)e->seq, (long long)e->at);
	json_str(stdout, e->user);
	printf(",\"action\":");
	json_str(stdout, e->action);
	printf(",\"entity\":");
	json_str(stdout, e->entity);
	printf(",\"entity_id\":%llu,\"reason\":",
	    (unsigned long long)e->entity_id);
	json_str(stdout, e->reason);
	printf(",\"notify_roles\":[");
	for (i = 0; i < e->n_notify_roles; i++) {
		printf("%s", i ? "," : "");
		json_str(stdout, msg_role_name(e->notify_roles[i]));
	}
	printf("]");
	if (e->candidate != NULL) {
		printf(",\"candidate\":{\"id\":%llu,\"cycle_id\":%llu,"
		       "\"customer\":",
		    (unsigned long long)e->candidate->id,
		    (unsigned long long)e->candidate->cycle_id);
		json_str(stdout, e->candidate->customer);
		printf(",\"segment\":");
		json_str(stdout, e->candidate->segment);
		printf(",\"state\":\"%s\",\"step\":%u,\"version\":%llu,"
		       "\"allowed\":%zu}",
		    enum_name(&tier__candidate_state__descriptor,
			e->candidate->state, "CANDIDATE_STATE_"),
		    e->candidate->step,
		    (unsigned long long)e->candidate->version,
		    e->candidate->n_allowed);
	}
	if (e->customer != NULL) {
		printf(",\"customer\":{\"id\":%llu,\"name\":",
		    (unsigned long long)e->customer->id);
		json_str(stdout, e->customer->name);
		printf(",\"bu\":");
		json_str(stdout, e->customer->bu);
		printf(",\"version\":%llu}",
		    (unsigned long long)e->customer->version);
	}
	if (e->cycle != NULL) {
		printf(",\"cycle\":{\"id\":%llu,\"year\":%u,\"bu\":",
		    (unsigned long long)e->cycle->id, e->cycle->year);
		json_str(stdout, e->cycle->bu);
		printf(",\"quotas\":%zu}", e->cycle->n_quotas);
	}
	printf("}");
}

/*
 * Prints one ServerMessage as a JSON line with the local receive time
 * (Unix milliseconds). Returns 1 for the response to request 1 (the
 * subscribe) when it says resync_required, else 0.
 */
static int
print_message(const Tier__ServerMessage *sm)
{
	const Tier__Response *r = sm->response;
	int resync = 0;

	printf("{\"received_ms\":%lld,", wall_ms());
	switch (sm->kind_case) {
	case TIER__SERVER_MESSAGE__KIND_EVENT:
		print_event(sm->event);
		break;
	case TIER__SERVER_MESSAGE__KIND_HEARTBEAT:
		printf("\"heartbeat\":{\"head_seq\":%llu,\"now\":%lld}",
		    (unsigned long long)sm->heartbeat->head_seq,
		    (long long)sm->heartbeat->now);
		break;
	case TIER__SERVER_MESSAGE__KIND_RESYNC:
		printf("\"resync\":{\"head_seq\":%llu,\"reason\":",
		    (unsigned long long)sm->resync->head_seq);
		json_str(stdout, sm->resync->reason);
		printf("}");
		break;
	case TIER__SERVER_MESSAGE__KIND_RESPONSE:
		if (r->error != NULL) {
			printf("\"error\":{\"id\":%llu,\"code\":\"%s\","
			       "\"field\":",
			    (unsigned long long)r->id,
			    msg_error_code_name(r->error->code));
			json_str(stdout, r->error->field);
			printf(",\"message\":");
			json_str(stdout, r->error->message);
			printf("}");
		} else if (r->body_case == TIER__RESPONSE__BODY_SUBSCRIBE) {
			resync = r->subscribe->resync_required;
			printf("\"subscribed\":{\"head_seq\":%llu,"
			       "\"resync_required\":%s,"
			       "\"oldest_resumable\":%llu}",
			    (unsigned long long)r->subscribe->head_seq,
			    resync ? "true" : "false",
			    (unsigned long long)r->subscribe->oldest_resumable);
		} else if (r->body_case == TIER__RESPONSE__BODY_PING) {
			printf("\"pong\":{\"id\":%llu,\"head_seq\":%llu}",
			    (unsigned long long)r->id,
			    (unsigned long long)r->ping->head_seq);
		} else {
			printf("\"response\":{\"id\":%llu}",
			    (unsigned long long)r->id);
		}
		break;
	default:
		printf("\"unknown\":%d", (int)sm->kind_case);
		break;
	}
	printf("}\n");
	fflush(stdout);
	return resync;
}

/*
 * watch: subscribes (RAWPEER_FILTER, RAWPEER_AFTER, RAWPEER_HEARTBEAT) and
 * prints every message as a JSON line on stdout for RAWPEER_SECONDS
 * (default 10) or until RAWPEER_COUNT events, pinging every RAWPEER_PING
 * seconds (default 1; 0: never). Passes unless the protocol breaks; a
 * close by the server is reported as {"closed": ...}.
 */
static int
mode_watch(struct rawpeer *rp)
{
	Tier__ServerMessage *sm = NULL;
	int64_t end = now_ms() + env_long("RAWPEER_SECONDS", 10) * 1000;
	long ping = env_long("RAWPEER_PING", 1),
	     count = env_long("RAWPEER_COUNT", 0);
	int64_t next_ping = ping > 0 ? now_ms() + ping * 1000 : INT64_MAX;
	long events = 0;
	uint64_t id = 2;
	int r;

	if (handshake_ok(rp) != 0 || send_subscribe(rp) != 0)
		return 1;
	while (now_ms() < end && (count == 0 || events < count)) {
		rp->deadline_ms = end < next_ping ? end : next_ping;
		r = wait_readable(rp);
		if (r == ERR_TIMEOUT) {
			if (now_ms() >= next_ping) {
				if (send_ping(rp, id++) != 0)
					break;
				next_ping = now_ms() + ping * 1000;
			}
			continue;
		}
		rp->deadline_ms = now_ms() + RAWPEER_IO_TIMEOUT_MS;
		if (r != 0 || (r = read_any_message(rp, &sm)) != 0) {
			printf("{\"received_ms\":%lld,\"closed\":\"%s\"}\n",
			    (long long)wall_ms(), err_str(r));
			fflush(stdout);
			return r == ERR_EOF ? 0 : 1;
		}
		events += sm->kind_case == TIER__SERVER_MESSAGE__KIND_EVENT;
		print_message(sm);
		tier__server_message__free_unpacked(sm, NULL);
		sm = NULL;
	}
	say(rp, "%ld event(s)", events);
	return 0;
}

static volatile sig_atomic_t stall_over; /* SIGUSR1 ends a stall */

#define STALL_LAST_PING 1000000000 /* id of the ping after a stall */

static void
stall_over_cb(int sig)
{
	(void)sig;
	stall_over = 1;
}

/*
 * stall: subscribes like watch with a tiny receive buffer and prints the
 * subscribe response; RAWPEER_FLOOD=N then sends N pings at once, whose
 * answers pile up. It reads nothing for RAWPEER_SECONDS (default 10) or
 * until SIGUSR1, while pinging every RAWPEER_PING seconds (default 1).
 * Then it reads what the server queued and prints a summary line: events
 * read, the Resync (null if none), whether the server closed the
 * connection, and whether a last ping was answered.
 */
static int
mode_stall(struct rawpeer *rp)
{
	Tier__ServerMessage *sm = NULL;
	int64_t end = now_ms() + env_long("RAWPEER_SECONDS", 10) * 1000;
	long ping = env_long("RAWPEER_PING", 1), events = 0;
	uint64_t id = 2, last_seq = 0, resync_head = 0;
	int closed = 0, pong = 0, resync = 0, resync_later = 0, r;
	char reason[256] = "";

	if (handshake_ok(rp) != 0 || send_subscribe(rp) != 0)
		return 1;
	rp->deadline_ms = now_ms() + RAWPEER_IO_TIMEOUT_MS;
	if (read_any_message(rp, &sm) != 0)
		return 1;
	print_message(sm);
	tier__server_message__free_unpacked(sm, NULL);
	sm = NULL;
	signal(SIGUSR1, stall_over_cb);
	for (long i = env_long("RAWPEER_FLOOD", 0); i > 0 && !closed; i--)
		closed = send_ping(rp, id++) != 0;
	while (now_ms() < end && !stall_over) {
		/* Interrupted by SIGUSR1. */
		usleep((useconds_t)(ping > 0 ? ping : 1) * 1000000);
		if (ping > 0 && !stall_over && send_ping(rp, id++) != 0) {
			closed = 1;
			break;
		}
	}
	/* Drain: everything queued, then the answer to one more ping. */
	if (send_ping(rp, STALL_LAST_PING) != 0)
		closed = 1;
	while (!closed) {
		rp->deadline_ms = now_ms() + RAWPEER_IO_TIMEOUT_MS;
		if ((r = read_any_message(rp, &sm)) != 0) {
			closed = r == ERR_EOF;
			break;
		}
		switch (sm->kind_case) {
		case TIER__SERVER_MESSAGE__KIND_EVENT:
			if (resync)
				resync_later = 1;
			events++;
			last_seq = sm->event->seq;
			break;
		case TIER__SERVER_MESSAGE__KIND_RESYNC:
			resync = 1;
			resync_head = sm->resync->head_seq;
			snprintf(
			    reason, sizeof(reason), "%s", sm->resync->reason);
			break;
		case TIER__SERVER_MESSAGE__KIND_RESPONSE:
			if (sm->response->id == STALL_LAST_PING &&
			    sm->response->body_case ==
				TIER__RESPONSE__BODY_PING)
				pong = 1;
			break;
		default:
			break;
		}
		tier__server_message__free_unpacked(sm, NULL);
		sm = NULL;
		if (pong)
			break;
	}
	printf("{\"stalled\":{\"events\":%ld,\"last_seq\":%llu,"
	       "\"resync\":%s,\"resync_head\":%llu,\"reason\":",
	    events, (unsigned long long)last_seq, resync ? "true" : "false",
	    (unsigned long long)resync_head);
	json_str(stdout, reason);
	printf(",\"events_after_resync\":%s,\"closed\":%s,\"pong\":%s}}\n",
	    resync_later ? "true" : "false", closed ? "true" : "false",
	    pong ? "true" : "false");
	fflush(stdout);
	return 0;
}

/*
 * feed-read: one feed_read (RAWPEER_FILTER, RAWPEER_AFTER, RAWPEER_LIMIT)
 * printed as one JSON line: the response's fields and its events.
 */
static int
mode_feed_read(struct rawpeer *rp)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__FeedReadRequest fr = TIER__FEED_READ_REQUEST__INIT;
	Tier__ServerMessage *sm = NULL;
	const Tier__FeedReadResponse *out;
	size_t i;

	if (handshake_ok(rp) != 0)
		return 1;
	fr.filter = feed_filter_from_env();
	fr.after_seq = (uint64_t)env_long("RAWPEER_AFTER", 0);
	fr.limit = (uint32_t)env_long("RAWPEER_LIMIT", 0);
	req.id = 1;
	req.body_case = TIER__REQUEST__BODY_FEED_READ;
	req.feed_read = &fr;
	rp->deadline_ms = now_ms() + RAWPEER_IO_TIMEOUT_MS;
	if (send_request(rp, &req) != 0 || read_any_message(rp, &sm) != 0)
		return 1;
	if (sm->kind_case != TIER__SERVER_MESSAGE__KIND_RESPONSE ||
	    sm->response->body_case != TIER__RESPONSE__BODY_FEED_READ) {
		print_message(sm);
		tier__server_message__free_unpacked(sm, NULL);
		return 0;
	}
	out = sm->response->feed_read;
	printf("{\"feed_read\":{\"head_seq\":%llu,\"last_seq\":%llu,"
	       "\"more\":%s,\"resync_required\":%s,"
	       "\"oldest_resumable\":%llu,\"events\":[",
	    (unsigned long long)out->head_seq,
	    (unsigned long long)out->last_seq, out->more ? "true" : "false",
	    out->resync_required ? "true" : "false",
	    (unsigned long long)out->oldest_resumable);
	for (i = 0; i < out->n_events; i++) {
		printf("%s{", i ? "," : "");
		print_event(out->events[i]);
		printf("}");
	}
	printf("]}}\n");
	tier__server_message__free_unpacked(sm, NULL);
	return 0;
}

/* Random requests
 * ------------------------------------------------------------*/

/* Says what: s, with bytes outside printable ASCII as \xNN. */
static void
say_escaped(const struct rawpeer *rp, const char *what, const char *s)
{
	fprintf(stderr, "rawpeer %s: %s \"", rp->mode, what);
	for (; *s != '\0'; s++) {
		if (*s >= 0x20 && *s < 0x7f)
			fputc(*s, stderr);
		else
			fprintf(stderr, "\\x%02x", (unsigned char)*s);
	}
	fputs("\"\n", stderr);
}

/* What came back for the random requests, for the summary. */
struct random_tally {
	long answered;           /* a body of the request's kind */
	long refused[32];        /* an Error, by code */
	long kinds_answered[80]; /* by the request's oneof field number */
};

/* The valid request id of request i of the run with seed. */
static char *
random_valid_id(uint64_t seed, long i)
{
	char id[64];

	snprintf(id, sizeof(id), "rnd-%llx-%ld", (unsigned long long)seed, i);
	return strdup(id);
}

/* A valid request id most of the time; otherwise none, junk, or one used
 * before (for another request, most likely). */
static char *
random_request_id(struct reqgen *g, uint64_t seed, long i)
{
	static const char *const bad[] = { "", " ", "\xff", "id with space",
		"\x01" };
	char id[80];
	uint32_t pick = reqgen_below(g, 100);

	if (pick < 5)
		return strdup(bad[pick]);
	if (pick == 5) { /* one character too long */
		memset(id, 'x', 65);
		id[65] = '\0';
		return strdup(id);
	}
	if (pick < 10 && i > 1) /* an earlier one */
		i = 1 + (long)reqgen_below(g, (uint32_t)(i - 1));
	return random_valid_id(seed, i);
}

/* Request i: a random kind with random fields. NULL when out of memory. */
static Tier__Request *
random_request(struct reqgen *g, uint64_t seed, long i,
    const ProtobufCFieldDescriptor **kind)
{
	const ProtobufCMessageDescriptor *d = &tier__request__descriptor;
	const ProtobufCFieldDescriptor *f;
	ProtobufCMessage *body;
	Tier__Request *req;
	unsigned n = 0, k;

	for (k = 0; k < d->n_fields; k++)
		n += (d->fields[k].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
	k = reqgen_below(g, n);
	for (f = d->fields; !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) || k--;)
		f++;
	if ((req = malloc(sizeof(*req))) == NULL)
		return NULL;
	tier__request__init(req);
	req->id = (uint64_t)i;
	if ((req->request_id = random_request_id(g, seed, i)) == NULL ||
	    (body = reqgen_message(g, f->descriptor, 4)) == NULL) {
		tier__request__free_unpacked(req, NULL);
		return NULL;
	}
	memcpy((char *)req + f->offset, &body, sizeof(body));
	memcpy((char *)req + f->quantifier_offset, &(uint32_t){ f->id },
	    sizeof(uint32_t));
	*kind = f;
	return req;
}

/* Checks the answer to request i of kind: 0 if it is one a client can
 * act on, 1 (with the story said) if not. */
static int
random_check(struct rawpeer *rp, long i, const ProtobufCFieldDescriptor *kind,
    const Tier__Response *resp, struct random_tally *t)
{
	const ProtobufCFieldDescriptor *want =
	    protobuf_c_message_descriptor_get_field_by_name(
		&tier__response__descriptor, kind->name);
	const Tier__Error *e = resp->error;

	if (resp->id != (uint64_t)i) {
		say(rp, "request %ld (%s) answered with id %llu", i, kind->name,
		    (unsigned long long)resp->id);
		return 1;
	}
	if (e == NULL) {
		if (want == NULL || (unsigned)resp->body_case != want->id) {
			say(rp,
			    "request %ld (%s) answered without an error "
			    "and with body %u",
			    i, kind->name, (unsigned)resp->body_case);
			return 1;
		}
		t->answered++;
		if (kind->id <
		    sizeof(t->kinds_answered) / sizeof(t->kinds_answered[0]))
			t->kinds_answered[kind->id]++;
		return 0;
	}
	if (protobuf_c_enum_descriptor_get_value(
		&tier__error_code__descriptor, (int)e->code) == NULL ||
	    e->code == TIER__ERROR_CODE__ERROR_CODE_NONE ||
	    (unsigned)e->code >= sizeof(t->refused) / sizeof(t->refused[0])) {
		say(rp,
		    "request %ld (%s): error code %d is not in the "
		    "protocol",
		    i, kind->name, (int)e->code);
		return 1;
	}
	/* Random input is the client's fault: the server must say what is
	 * wrong with it, never fail on it. */
	if (e->code == TIER__ERROR_CODE__ERROR_CODE_INTERNAL) {
		say(rp, "request %ld (%s): INTERNAL: %s", i, kind->name,
		    e->message);
		return 1;
	}
	/* Control characters may be echoed (clients replace them, PROTOCOL
	 * 8.1), but a string on the wire is UTF-8 and field a field name. */
	if (e->message[0] == '\0' || !msg_utf8_valid(e->message) ||
	    !msg_utf8_valid(e->hint) || !msg_text_valid(e->field, 1024)) {
		say(rp,
		    "request %ld (%s): %s without a message, or not UTF-8:", i,
		    kind->name, msg_error_code_name(e->code));
		say_escaped(rp, "message", e->message);
		say_escaped(rp, "field", e->field);
		say_escaped(rp, "hint", e->hint);
		return 1;
	}
	t->refused[e->code]++;
	return 0;
}

/* Sends req and reads up to its answer, passing over pushed messages (the
 * random requests subscribe now and then). 0 with *out, or 1. */
static int
random_send(struct rawpeer *rp, const Tier__Request *req, const char *kind,
    Tier__ServerMessage **out)
{
	Tier__ServerMessage *sm = NULL;
	int r;

	if ((r = send_request(rp, req)) != 0) {
		say(rp, "request %llu (%s) not sent: %s",
		    (unsigned long long)req->id, kind, err_str(r));
		return 1;
	}
	rp->deadline_ms = now_ms() + RAWPEER_IO_TIMEOUT_MS;
	for (;;) {
		if ((r = read_any_message(rp, &sm)) != 0) {
			say(rp, "request %llu (%s): no answer: %s",
			    (unsigned long long)req->id, kind, err_str(r));
			return 1;
		}
		if (sm->kind_case == TIER__SERVER_MESSAGE__KIND_RESPONSE)
			break;
		tier__server_message__free_unpacked(sm, NULL);
	}
	*out = sm;
	return 0;
}

/*
 * One random request, sent again with a new value in the field each error
 * names (up to RANDOM_ROUNDS times): the server's own answers steer it past
 * the checks it fails, deeper into the handler. *sent counts what was sent,
 * and numbers the requests. 0, or 1 when an answer is wrong.
 */
static int
random_one(struct rawpeer *rp, struct reqgen *g, uint64_t seed, long *sent,
    struct random_tally *t)
{
	const ProtobufCFieldDescriptor *kind = NULL;
	Tier__ServerMessage *sm = NULL;
	const Tier__Error *e;
	Tier__Request *req;
	int round, r = 0, again;

	if ((req = random_request(g, seed, *sent + 1, &kind)) == NULL) {
		say(rp, "out of memory");
		return 1;
	}
	for (round = 0; r == 0; round++) {
		req->id = (uint64_t)++ * sent;
		if ((r = random_send(rp, req, kind->name, &sm)) != 0 ||
		    (r = random_check(
			 rp, (long)req->id, kind, sm->response, t)) != 0)
			break;
		e = sm->response->error;
		again =
		    round < RANDOM_ROUNDS && e != NULL && e->field[0] != '\0' &&
		    strcmp(e->field, "version") != 0 &&
		    (e->code == TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST ||
			e->code == TIER__ERROR_CODE__ERROR_CODE_NOT_FOUND ||
			e->code == TIER__ERROR_CODE__ERROR_CODE_ALREADY_EXISTS);
		if (again && strcmp(e->field, "request_id") == 0) {
			if (req->request_id != protobuf_c_empty_string)
				free(req->request_id);
			if ((req->request_id = random_valid_id(seed, *sent)) ==
			    NULL)
				r = 1;
		} else if (again) {
			switch (reqgen_refill(g, &req->base, e->field, 5)) {
			case 0:
				break;
			case 1:
				say(rp,
				    "request %llu (%s): error field \"%s\" is "
				    "not a field of the request",
				    (unsigned long long)req->id, kind->name,
				    e->field);
				r = 1;
				break;
			default:
				say(rp, "out of memory");
				r = 1;
			}
		}
		tier__server_message__free_unpacked(sm, NULL);
		sm = NULL;
		if (!again)
			break;
	}
	if (sm != NULL)
		tier__server_message__free_unpacked(sm, NULL);
	tier__request__free_unpacked(req, NULL);
	return r;
}

/*
 * random N: N requests of random kinds with random fields, one at a time,
 * as the user of KEYFILE (RAWPEER_SEED replays a run; RAWPEER_WORDS, a
 * file of one name per line, adds names that exist to pick from). Each
 * must be answered in turn, on the same connection, with its kind's body
 * or an Error of a known code with a clean message; INTERNAL fails.
 */
static int
mode_random(struct rawpeer *rp, long n)
{
	struct random_tally t;
	struct reqgen g;
	const char *env = getenv("RAWPEER_SEED");
	char **words = NULL, line[256];
	unsigned n_words = 0, k;
	uint64_t seed;
	FILE *f;
	long i, sent = 0;
	int ret = 1;

	memset(&t, 0, sizeof(t));
	if (env != NULL && *env != '\0')
		seed = strtoull(env, NULL, 0);
	else
		randombytes_buf(&seed, sizeof(seed));
	say(rp, "seed %#llx (RAWPEER_SEED replays it)",
	    (unsigned long long)seed);
	reqgen_seed(&g, seed);
	if ((env = getenv("RAWPEER_WORDS")) != NULL && *env != '\0') {
		if ((f = fopen(env, "r")) == NULL) {
			say(rp, "cannot read %s", env);
			return 1;
		}
		while (fgets(line, sizeof(line), f) != NULL) {
			char **grown =
			    realloc(words, (n_words + 1) * sizeof(*words));

			line[strcspn(line, "\n")] = '\0';
			if (grown == NULL ||
			    (grown[n_words] = strdup(line)) == NULL) {
				words = grown != NULL ? grown : words;
				fclose(f);
				say(rp, "out of memory");
				goto out;
			}
			words = grown;
			n_words++;
		}
		fclose(f);
		g.words = (const char *const *)words;
		g.n_words = n_words;
	}
	if (handshake_ok(rp) != 0)
		goto out;
	for (i = 1; i <= n; i++) {
		if (random_one(rp, &g, seed, &sent, &t) != 0)
			goto out;
	}
	printf("%ld random requests, %ld sent with the fields errors named "
	       "changed: %ld answered, refused:",
	    n, sent, t.answered);
	for (k = 0; k < sizeof(t.refused) / sizeof(t.refused[0]); k++) {
		if (t.refused[k] > 0)
			printf(" %s %ld",
			    msg_error_code_name((Tier__ErrorCode)k),
			    t.refused[k]);
	}
	printf("\nanswered by kind:");
	for (k = 0; k < tier__request__descriptor.n_fields; k++) {
		const ProtobufCFieldDescriptor *fd =
		    &tier__request__descriptor.fields[k];

		if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    fd->id < sizeof(t.kinds_answered) /
				 sizeof(t.kinds_answered[0]) &&
		    t.kinds_answered[fd->id] > 0)
			printf(" %s %ld", fd->name, t.kinds_answered[fd->id]);
	}
	printf("\n");
	ret = 0;
out:
	for (k = 0; k < n_words; k++)
		free(words[k]);
	free(words);
	return ret;
}

/* Pipelining behind a write
 * ----------------------------------------------------*/

#define FLOOD_PAD_FIELD 1999  /* a Request field number nobody uses */
#define FLOOD_PAD_LEN   60000 /* pad bytes per ping: one frame each */

/* Appends a protobuf varint. */
static int
put_varint(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return buf_append(b, tmp, n);
}

/* Seals a ping carrying FLOOD_PAD_LEN bytes in an unknown field, which the
 * server skips (PROTOCOL.md section 10). */
static int
seal_padded_ping(struct rawpeer *rp, uint64_t id, struct buf *out)
{
	static uint8_t pad[FLOOD_PAD_LEN];
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__PingRequest ping = TIER__PING_REQUEST__INIT;
	struct buf plain = BUF_INIT;
	int r;

	req.id = id;
	req.body_case = TIER__REQUEST__BODY_PING;
	req.ping = &ping;
	if ((r = msg_pack(&req.base, &plain)) == 0 &&
	    (r = put_varint(&plain, (uint64_t)FLOOD_PAD_FIELD << 3 | 2)) == 0 &&
	    (r = put_varint(&plain, sizeof(pad))) == 0 &&
	    (r = buf_append(&plain, pad, sizeof(pad))) == 0)
		r = channel_seal(rp->ch, plain.data, plain.len, out);
	buf_free(&plain);
	return r;
}

/*
 * flood: sends one write (user_add of a researcher named "flood"), then
 * padded pings without reading, as fast as the socket takes them, until the
 * write's answer is readable or RAWPEER_FLOOD_MB MiB (default 64) are sent.
 * A server that stops reading a connection whose write waits takes no more
 * than its input limit plus what the kernel's buffers hold. Then it reads
 * the write's answer and a pong for every ping, in order, and prints one
 * JSON line:
 * {"flood":{"sent":BYTES,"blocked":B,"pings":N,"written":B,"pongs":N}}
 * where sent counts the bytes the socket took before the answer came and
 * blocked says whether the socket refused more meanwhile.
 */
static int
mode_flood(struct rawpeer *rp)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__UserAddRequest add = TIER__USER_ADD_REQUEST__INIT;
	Tier__ServerMessage *sm = NULL;
	uint64_t cap = (uint64_t)env_long("RAWPEER_FLOOD_MB", 64) << 20;
	uint64_t sent = 0, sent_before_answer = 0;
	long pings = 0, pongs = 0;
	struct buf frame = BUF_INIT;
	size_t off = 0;
	struct pollfd pfd;
	int blocked = 0, written = 0, answered = 0, r = 0;
	ssize_t n;

	if (handshake_ok(rp) != 0)
		return 1;
	add.name = "flood";
	add.role = TIER__ROLE__ROLE_RESEARCHER;
	add.scope = "bu:flood";
	req.id = 1;
	req.body_case = TIER__REQUEST__BODY_USER_ADD;
	req.user_add = &add;
	if (send_request(rp, &req) != 0) {
		say(rp, "cannot send the write");
		return 1;
	}
	while (!answered && sent < cap) {
		if (off == frame.len) {
			frame.len = 0;
			off = 0;
			if ((r = seal_padded_ping(
				 rp, (uint64_t)pings + 2, &frame)) != 0) {
				say(rp, "cannot seal a ping: %s", err_str(r));
				goto fail;
			}
			pings++;
		}
		n = send(rp->fd, frame.data + off, frame.len - off,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			sent += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			say(rp, "send: %s", strerror(errno));
			goto fail;
		}
		if (n < 0 && errno == EAGAIN)
			blocked = 1;
		pfd.fd = rp->fd;
		pfd.events = POLLIN | POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, 30000) == 0) {
			say(rp, "neither answered nor writable for 30 s");
			goto fail;
		}
		answered = (pfd.revents & POLLIN) != 0;
	}
	sent_before_answer = sent;
	/* The rest of a ping begun, then everything in order. */
	if ((r = send_all(rp, frame.data + off, frame.len - off)) != 0) {
		say(rp, "cannot finish the last ping: %s", err_str(r));
		goto fail;
	}
	if ((r = read_server_message(rp, &sm)) != 0) {
		say(rp, "no answer to the write: %s", err_str(r));
		goto fail;
	}
	written = sm->response->id == 1 && sm->response->error == NULL &&
		  sm->response->body_case == TIER__RESPONSE__BODY_USER_ADD;
	if (!written)
		say(rp, "the write was answered with %s",
		    sm->response->error != NULL ? sm->response->error->message
						: "another kind");
	tier__server_message__free_unpacked(sm, NULL);
	for (sm = NULL; pongs < pings; pongs++) {
		if ((r = read_server_message(rp, &sm)) != 0) {
			say(rp, "pong %ld of %ld missing: %s", pongs + 1, pings,
			    err_str(r));
			break;
		}
		r = sm->response->id == (uint64_t)pongs + 2 &&
		    sm->response->body_case == TIER__RESPONSE__BODY_PING;
		tier__server_message__free_unpacked(sm, NULL);
		sm = NULL;
		if (!r) {
			say(rp, "answer %ld is not the pong for ping %ld",
			    pongs + 1, pongs + 1);
			break;
		}
	}
	printf("{\"flood\":{\"sent\":%llu,\"blocked\":%s,\"pings\":%ld,"
	       "\"written\":%s,\"pongs\":%ld}}\n",
	    (unsigned long long)sent_before_answer, blocked ? "true" : "false",
	    pings, written ? "true" : "false", pongs);
	fflush(stdout);
	buf_free(&frame);
	return 0;
fail:
	buf_free(&frame);
	return 1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: rawpeer MODE HOST PORT [KEYFILE]\n"
	    "modes: oversize, zero, garbage-handshake, garbage-transport,\n"
	    "       bad-prologue, slowloris, anonymous-status, pipeline N,\n"
	    "       watch, stall, feed-read, random N, flood\n"
	    "(pipeline and random take N before HOST; they and the feed modes\n"
	    "need the KEYFILE of an enrolled user; RAWPEER_* variables tune\n"
	    "watch, stall, random and flood, see their comments)\n");
}

int
main(int argc, char **argv)
{
	struct rawpeer rp;
	const char *host, *port, *keyfile;
	long n = 0;
	char *end;
	int r, ret = 1, argi = 2;

	memset(&rp, 0, sizeof(rp));
	rp.fd = -1;
	if (argc < 4) {
		usage();
		return 1;
	}
	rp.mode = argv[1];
	if (strcmp(rp.mode, "pipeline") == 0 ||
	    strcmp(rp.mode, "random") == 0) {
		errno = 0;
		n = strtol(argv[2], &end, 10);
		if (errno != 0 || *end != '\0' || n < 1 ||
		    n > (strcmp(rp.mode, "random") == 0
				? RAWPEER_RANDOM_MAX
				: RAWPEER_PIPELINE_MAX)) {
			usage();
			return 1;
		}
		argi = 3;
	}
	if (argc < argi + 2 || argc > argi + 3) {
		usage();
		return 1;
	}
	host = argv[argi];
	port = argv[argi + 1];
	keyfile = argc == argi + 3 ? argv[argi + 2] : NULL;
	if (sodium_init() < 0) {
		say(&rp, "libsodium failed to initialise");
		return 1;
	}
	if (keyfile != NULL)
		r = keys_load(keyfile, &rp.kp);
	else if (strcmp(rp.mode, "pipeline") == 0 ||
		 strcmp(rp.mode, "random") == 0 ||
		 strcmp(rp.mode, "watch") == 0 ||
		 strcmp(rp.mode, "stall") == 0 ||
		 strcmp(rp.mode, "feed-read") == 0 ||
		 strcmp(rp.mode, "flood") == 0) {
		say(&rp, "needs the KEYFILE of an enrolled user");
		return 1;
	} else
		r = keys_generate(&rp.kp);
	if (r != 0) {
		say(&rp, "key %s: %s", keyfile ? keyfile : "(new)", err_str(r));
		return 1;
	}
	if (rawpeer_connect(&rp, host, port, strcmp(rp.mode, "stall") == 0) !=
	    0)
		goto out;

	if (strcmp(rp.mode, "oversize") == 0)
		ret = mode_oversize(&rp);
	else if (strcmp(rp.mode, "zero") == 0)
		ret = mode_zero(&rp);
	else if (strcmp(rp.mode, "garbage-handshake") == 0)
		ret = mode_garbage_handshake(&rp);
	else if (strcmp(rp.mode, "garbage-transport") == 0)
		ret = mode_garbage_transport(&rp);
	else if (strcmp(rp.mode, "bad-prologue") == 0)
		ret = mode_bad_prologue(&rp);
	else if (strcmp(rp.mode, "slowloris") == 0)
		ret = mode_slowloris(&rp);
	else if (strcmp(rp.mode, "anonymous-status") == 0)
		ret = mode_anonymous_status(&rp);
	else if (strcmp(rp.mode, "pipeline") == 0)
		ret = mode_pipeline(&rp, n);
	else if (strcmp(rp.mode, "watch") == 0)
		ret = mode_watch(&rp);
	else if (strcmp(rp.mode, "stall") == 0)
		ret = mode_stall(&rp);
	else if (strcmp(rp.mode, "feed-read") == 0)
		ret = mode_feed_read(&rp);
	else if (strcmp(rp.mode, "random") == 0)
		ret = mode_random(&rp, n);
	else if (strcmp(rp.mode, "flood") == 0)
		ret = mode_flood(&rp);
	else
		usage();
out:
	say(&rp, "%s", ret == 0 ? "PASS" : "FAIL");
	if (rp.fd != -1)
		close(rp.fd);
	channel_free(rp.ch);
	keys_free(rp.kp);
	return ret;
}
