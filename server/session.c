/*
 * One client connection: its state machine (handshake -> anonymous or
 * authenticated -> closing), its timers, and the byte side of the request
 * path: read a frame, decrypt, unpack, hand to the dispatcher; pack, encrypt
 * and queue responses and pushed messages. Every state change goes through
 * session_set_state and every close through session_close, each with a
 * reason. A session subscribed to the feed trades the idle timeout for
 * heartbeats and a silence limit.
 */
#include "tierd.h"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Stop reading while this much output waits for a peer that does not read. */
#define SESSION_MAX_OUTPUT (4u << 20)
/*
 * Stop reading while this much input waits unprocessed: two whole frames, so
 * a frame never waits for room. Input waits while a request of the session
 * is in the commit queue (a client may pipeline behind a write), and the
 * kernel's buffers hold the rest.
 */
#define SESSION_MAX_INPUT (2 * (FRAME_HEADER_LEN + FRAME_MAX_BODY))
/* How long a closing session may take to flush its last response. */
#define SESSION_LINGER_SECONDS 5

struct session {
	LIST_ENTRY(session) entry;   /* in server.sessions */
	struct server *srv;          /* owner */
	struct bufferevent *bev;     /* the socket and its buffers */
	enum session_state state;    /* see session_set_state */
	uint64_t serial;             /* per-process number, for logs */
	char peer[64];               /* "ip:port" */
	struct noise_hs *hs;         /* during SESSION_HANDSHAKE only */
	struct channel *ch;          /* after the handshake */
	uint8_t peer_key[KEYS_LEN];  /* static key proven in the handshake */
	struct store_user user;      /* valid in SESSION_AUTHENTICATED */
	struct event *timer;         /* handshake, idle (or, subscribed,
					silence) or linger deadline */
	struct event *heartbeat;     /* subscribed: next Heartbeat is due */
	struct event *deferred;      /* runs session_deferred_cb */
	int busy;                    /* a request waits in the commit queue */
	int want_free;               /* free at the next deferred run */
	const char *close_reason;    /* first reason given to session_close */
	struct feed_sub *sub;        /* the subscription, owned by feed.c */
	long heartbeat_seconds;      /* while subscribed */
	struct import_stage *import; /* rows of an import being sent, owned
					(cmd_import.c) */
};

static const char *const session_state_names[] = {
	[SESSION_HANDSHAKE] = "handshake",
	[SESSION_ANONYMOUS] = "anonymous",
	[SESSION_AUTHENTICATED] = "authenticated",
	[SESSION_CLOSING] = "closing",
};

static void session_read_cb(struct bufferevent *bev, void *arg);
static void session_write_cb(struct bufferevent *bev, void *arg);
static void session_event_cb(struct bufferevent *bev, short what, void *arg);
static void session_timer_cb(evutil_socket_t fd, short what, void *arg);
static void session_deferred_cb(evutil_socket_t fd, short what, void *arg);
static void session_heartbeat_cb(evutil_socket_t fd, short what, void *arg);

static void
session_arm_timer(struct session *s, long seconds)
{
	struct timeval tv = { seconds, 0 };

	evtimer_add(s->timer, &tv);
}

/* How long an authenticated or anonymous session may stay silent. */
static long
session_quiet_limit(const struct session *s)
{
	return s->sub != NULL ? 3 * s->heartbeat_seconds
			      : s->srv->cfg.idle_timeout;
}

void
session_set_state(struct session *s, enum session_state to, const char *why)
{
	if (s->state == to)
		return;
	log_debug("session %llu %s: %s -> %s (%s)",
	    (unsigned long long)s->serial, s->peer,
	    session_state_names[s->state], session_state_names[to], why);
	s->state = to;
}

enum session_state
session_state(const struct session *s)
{
	return s->state;
}

const struct store_user *
session_user(const struct session *s)
{
	return s->state == SESSION_AUTHENTICATED ||
		       (s->state == SESSION_CLOSING && s->user.id != 0)
		   ? &s->user
		   : NULL;
}

struct server *
session_server(const struct session *s)
{
	return s->srv;
}

const uint8_t *
session_peer_key(const struct session *s)
{
	return s->peer_key;
}

const char *
session_peer(const struct session *s)
{
	return s->peer;
}

void
session_authenticate(struct session *s, const struct store_user *u)
{
	s->user = *u;
	session_set_state(s, SESSION_AUTHENTICATED, "key registered");
	log_info("session %llu %s: authenticated as %s (%s)",
	    (unsigned long long)s->serial, s->peer, u->name,
	    msg_role_name(u->role));
}

int
session_new(struct server *srv, int fd, const struct sockaddr *sa, int salen)
{
	static uint64_t serial;
	char host[INET6_ADDRSTRLEN] = "?";
	struct session *s;
	int one = 1;
	uint16_t port = 0;

	(void)salen;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		close(fd);
		return ERR_ALLOC;
	}
	s->srv = srv;
	s->serial = ++serial;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(s->peer, sizeof(s->peer), "%s:%u", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(s->peer, sizeof(s->peer), "[%s]:%u", host, port);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	s->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	s->timer = evtimer_new(srv->base, session_timer_cb, s);
	s->heartbeat = evtimer_new(srv->base, session_heartbeat_cb, s);
	s->deferred = event_new(srv->base, -1, 0, session_deferred_cb, s);
	if (s->bev == NULL || s->timer == NULL || s->heartbeat == NULL ||
	    s->deferred == NULL ||
	    noise_hs_new(&s->hs, NOISE_TIER_PROTOCOL, NOISE_RESPONDER,
		(const uint8_t *)MSG_PROLOGUE, strlen(MSG_PROLOGUE),
		srv->key->priv, NULL) != 0) {
		if (s->bev == NULL)
			close(fd);
		if (s->bev != NULL)
			bufferevent_free(s->bev);
		if (s->timer != NULL)
			event_free(s->timer);
		if (s->heartbeat != NULL)
			event_free(s->heartbeat);
		if (s->deferred != NULL)
			event_free(s->deferred);
		free(s);
		return ERR_ALLOC;
	}
	s->state = SESSION_HANDSHAKE;
	LIST_INSERT_HEAD(&srv->sessions, s, entry);
	srv->nsessions++;
	bufferevent_setcb(
	    s->bev, session_read_cb, session_write_cb, session_event_cb, s);
	/* Reading resumes by itself when session_process drains the input. */
	bufferevent_setwatermark(s->bev, EV_READ, 0, SESSION_MAX_INPUT);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	session_arm_timer(s, srv->cfg.handshake_timeout);
	log_debug("session %llu %s: accepted", (unsigned long long)s->serial,
	    s->peer);
	return 0;
}

static void
session_free(struct session *s)
{
	if (s->sub != NULL)
		feed_unsubscribe(s->sub);
	import_stage_free(s->import);
	LIST_REMOVE(s, entry);
	s->srv->nsessions--;
	log_debug(
	    "session %llu %s: freed", (unsigned long long)s->serial, s->peer);
	bufferevent_free(s->bev);
	event_free(s->timer);
	event_free(s->heartbeat);
	event_free(s->deferred);
	noise_hs_free(s->hs);
	channel_free(s->ch);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

void
session_destroy(struct session *s)
{
	session_free(s);
}

/* Frees the session from its own event once nothing refers to it. */
static void
session_schedule_free(struct session *s)
{
	s->want_free = 1;
	event_active(s->deferred, EV_TIMEOUT, 0);
}

void
session_close(struct session *s, const char *reason)
{
	if (s->state == SESSION_CLOSING)
		return;
	s->close_reason = reason;
	if (s->user.id != 0)
		log_info("session %llu %s (%s): closing: %s",
		    (unsigned long long)s->serial, s->peer, s->user.name,
		    reason);
	else
		log_info("session %llu %s: closing: %s",
		    (unsigned long long)s->serial, s->peer, reason);
	session_set_state(s, SESSION_CLOSING, reason);
	bufferevent_disable(s->bev, EV_READ);
	if (s->sub != NULL) {
		/* Nothing more is pushed to a closing session. */
		feed_unsubscribe(s->sub);
		s->sub = NULL;
		evtimer_del(s->heartbeat);
	}
	if (s->busy)
		return; /* session_request_done finishes the close */
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
		session_schedule_free(s);
	else
		session_arm_timer(s, SESSION_LINGER_SECONDS);
}

void
session_close_all(struct server *srv, const char *reason)
{
	struct session *s;

	LIST_FOREACH(s, &srv->sessions, entry)
	session_close(s, reason);
}

/*
 * Sends bytes already framed; pauses reading if the peer is not reading.
 * While nothing waits in the output buffer they go straight to the socket:
 * bytes queued there make the bufferevent watch for writability and stop
 * once drained, two epoll_ctl calls for every reply and every pushed event.
 * What the socket does not take (or an error, which the bufferevent then
 * meets and reports) is queued.
 */
static int
session_write(struct session *s, const struct buf *frames)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	size_t sent = 0;
	ssize_t n;

	if (evbuffer_get_length(out) == 0) {
		n = send(bufferevent_getfd(s->bev), frames->data, frames->len,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			sent = (size_t)n;
	}
	if (sent < frames->len &&
	    evbuffer_add(out, frames->data + sent, frames->len - sent) != 0)
		return ERR_ALLOC;
	if (evbuffer_get_length(out) > SESSION_MAX_OUTPUT)
		bufferevent_disable(s->bev, EV_READ);
	return 0;
}

/* Packs, seals and queues one ServerMessage; what is one restarts the
 * heartbeat clock. */
static int
session_send_message(struct session *s, const Tier__ServerMessage *sm)
{
	struct buf plain = BUF_INIT, frames = BUF_INIT;
	struct timeval tv = { s->heartbeat_seconds, 0 };
	int r;

	if (s->ch == NULL)
		return ERR_EOF;
	if ((r = msg_pack(&sm->base, &plain)) != 0)
		goto out;
	if ((r = channel_seal(s->ch, plain.data, plain.len, &frames)) != 0)
		goto out;
	if ((r = session_write(s, &frames)) == 0 && s->sub != NULL)
		evtimer_add(s->heartbeat, &tv);
out:
	buf_free(&plain);
	buf_free(&frames);
	return r;
}

int
session_send(struct session *s, const Tier__Response *resp)
{
	Tier__ServerMessage sm = TIER__SERVER_MESSAGE__INIT;
	int r;

	sm.kind_case = TIER__SERVER_MESSAGE__KIND_RESPONSE;
	sm.response = (Tier__Response *)resp;
	if ((r = session_send_message(s, &sm)) != 0)
		session_close(s, "cannot queue response");
	return r;
}

int
session_push(struct session *s, const Tier__ServerMessage *sm)
{
	int r;

	if (s->state == SESSION_CLOSING)
		return ERR_EOF;
	if ((r = session_send_message(s, sm)) != 0)
		session_close(s, "cannot queue a pushed message");
	return r;
}

size_t
session_output_len(const struct session *s)
{
	size_t len = evbuffer_get_length(bufferevent_get_output(s->bev));
	int queued = 0;

	/* The kernel's send buffer grows to megabytes for a peer that does
	 * not read: it counts against the peer as much as ours does. */
	if (ioctl(bufferevent_getfd(s->bev), SIOCOUTQ, &queued) == 0 &&
	    queued > 0)
		len += (size_t)queued;
	return len;
}

void
session_set_feed(struct session *s, struct feed_sub *sub, long heartbeat)
{
	struct timeval tv = { heartbeat, 0 };

	s->sub = sub;
	s->heartbeat_seconds = sub != NULL ? heartbeat : 0;
	if (s->state == SESSION_CLOSING)
		return;
	if (sub != NULL)
		evtimer_add(s->heartbeat, &tv);
	else
		evtimer_del(s->heartbeat);
	session_arm_timer(s, session_quiet_limit(s));
}

struct feed_sub *
session_feed(const struct session *s)
{
	return s->sub;
}

struct import_stage *
session_import(const struct session *s)
{
	return s->import;
}

void
session_set_import(struct session *s, struct import_stage *st)
{
	s->import = st;
}

void
session_request_done(struct session *s)
{
	s->busy = 0;
	if (s->state == SESSION_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
			session_schedule_free(s);
		else
			session_arm_timer(s, SESSION_LINGER_SECONDS);
		return;
	}
	/* Requests that arrived meanwhile wait in the input buffer. */
	event_active(s->deferred, EV_TIMEOUT, 0);
}

/* Handshake
 * ------------------------------------------------------------------*/

/* Handles one handshake frame. Returns 0 or a reason to close. */
static const char *
session_handshake(struct session *s, const uint8_t *body, size_t len)
{
	Tier__ServerHello hello = TIER__SERVER_HELLO__INIT;
	Tier__ClientHello *ch;
	struct noise_cipher *send = NULL, *recv = NULL;
	struct buf frames = BUF_INIT;
	uint8_t payload[NOISE_MAX_MESSAGE], msg[NOISE_MAX_MESSAGE];
	uint8_t hello_buf[512];
	size_t plen, mlen, hlen;
	int r;

	r = noise_hs_read(s->hs, body, len, payload, sizeof(payload), &plen);
	if (r != 0)
		return "handshake failed: bad message from client";

	if (noise_hs_next(s->hs) == NOISE_ACTION_WRITE) {
		/* Message 1 read: answer with message 2 and our hello. */
		if (plen != 0)
			return "handshake failed: message 1 carries a payload";
		hello.protocol_version = MSG_PROTOCOL_VERSION;
		hello.server_version = TIER_VERSION;
		hello.server_name = s->srv->cfg.name;
		hlen = tier__server_hello__get_packed_size(&hello);
		if (hlen > sizeof(hello_buf))
			return "server name too long";
		tier__server_hello__pack(&hello, hello_buf);
		if (noise_hs_write(
			s->hs, hello_buf, hlen, msg, sizeof(msg), &mlen) != 0)
			return "handshake failed: cannot write message 2";
		if (frame_append(&frames, msg, mlen) != 0 ||
		    session_write(s, &frames) != 0) {
			buf_free(&frames);
			return "out of memory";
		}
		buf_free(&frames);
		return NULL;
	}

	/* Message 3 read: the client has proven its static key. */
	if (noise_hs_next(s->hs) != NOISE_ACTION_SPLIT)
		return "handshake failed: unexpected state";
	ch = tier__client_hello__unpack(NULL, plen, payload);
	if (ch == NULL)
		return "handshake failed: client hello is not valid protobuf";
	r = ch->protocol_version == MSG_PROTOCOL_VERSION;
	log_debug("session %llu %s: client %s, protocol %u",
	    (unsigned long long)s->serial, s->peer,
	    ch->client_version[0] ? ch->client_version : "(unnamed)",
	    ch->protocol_version);
	tier__client_hello__free_unpacked(ch, NULL);
	if (!r)
		return "handshake failed: client speaks another protocol "
		       "version";
	if (noise_hs_remote_static(s->hs, s->peer_key) != 0 ||
	    noise_hs_split(s->hs, &send, &recv) != 0)
		return "handshake failed: cannot split";
	noise_hs_free(s->hs);
	s->hs = NULL;
	if (channel_new(&s->ch, send, recv, MSG_MAX_REQUEST) != 0)
		return "out of memory";

	r = store_user_by_key(s->srv->store, s->peer_key, &s->user);
	if (r == 0) {
		session_authenticate(s, &s->user);
	} else if (r == ERR_NOT_FOUND) {
		memset(&s->user, 0, sizeof(s->user));
		session_set_state(s, SESSION_ANONYMOUS, "key not registered");
	} else {
		return "database error looking up the client key";
	}
	session_arm_timer(s, s->srv->cfg.idle_timeout);
	return NULL;
}

/* Requests
 * -------------------------------------------------------------------*/

/* Handles one transport frame. Returns 0 or a reason to close. */
static const char *
session_transport(struct session *s, const uint8_t *body, size_t len)
{
	Tier__Response resp = TIER__RESPONSE__INIT;
	Tier__Error err = TIER__ERROR__INIT;
	Tier__Request *req;
	const uint8_t *msg;
	size_t mlen;
	int r;

	r = channel_open(s->ch, body, len, &msg, &mlen);
	if (r == ERR_AGAIN)
		return NULL;
	if (r == ERR_MESSAGE_TOO_LARGE)
		return "request larger than the server accepts";
	if (r != 0)
		return "cannot decrypt frame";

	session_arm_timer(s, session_quiet_limit(s));
	req = tier__request__unpack(NULL, mlen, msg);
	if (req == NULL) {
		err.code = TIER__ERROR_CODE__ERROR_CODE_BAD_REQUEST;
		err.message = "request is not a valid tier.Request message";
		err.hint = "see proto/PROTOCOL.md";
		resp.error = &err;
		session_send(s, &resp);
		return "malformed request";
	}
	dispatch_request(s, req);
	return NULL;
}

/*
 * Processes every complete frame in the input buffer, unless a request is
 * waiting for the group commit: replies must leave in request order.
 */
static void
session_process(struct session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	uint8_t hdr[FRAME_HEADER_LEN];
	const char *why;
	uint8_t *body;
	size_t avail, len;
	int r;

	while (!s->busy && s->state != SESSION_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(s->bev)) >
		    SESSION_MAX_OUTPUT)
			return; /* session_write_cb resumes */
		avail = evbuffer_get_length(in);
		if (evbuffer_copyout(in, hdr, sizeof(hdr)) < 0)
			return;
		r = frame_parse_header(
		    hdr, avail < sizeof(hdr) ? avail : sizeof(hdr), &len);
		if (r == ERR_AGAIN)
			return;
		if (r == ERR_FRAME_TOO_LARGE) {
			session_close(s, "frame too large");
			return;
		}
		if (r != 0) {
			session_close(s, "empty frame");
			return;
		}
		if (avail < FRAME_HEADER_LEN + len)
			return;
		body =
		    evbuffer_pullup(in, (ev_ssize_t)(FRAME_HEADER_LEN + len));
		if (body == NULL) {
			session_close(s, "out of memory");
			return;
		}
		body += FRAME_HEADER_LEN;
		if (s->state == SESSION_HANDSHAKE)
			why = session_handshake(s, body, len);
		else
			why = session_transport(s, body, len);
		evbuffer_drain(in, FRAME_HEADER_LEN + len);
		if (why != NULL) {
			session_close(s, why);
			return;
		}
	}
}

static void
session_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	session_process(arg);
}

static void
session_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (s->state == SESSION_CLOSING) {
		if (!s->busy)
			session_schedule_free(s);
		return;
	}
	/* Output drained: resume a session paused by session_write. */
	if (!(bufferevent_get_enabled(s->bev) & EV_READ)) {
		bufferevent_enable(s->bev, EV_READ);
		session_process(s);
	}
	/* ... and a catch-up waiting for room (it may have closed). */
	if (s->sub != NULL)
		feed_drained(s->sub);
}

static void
session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (s->state != SESSION_CLOSING)
		session_close(s, what & BEV_EVENT_EOF ? "peer closed the "
							"connection"
						      : "connection error");
	/* Nothing more can be written: do not wait for a flush. */
	evbuffer_drain(bufferevent_get_output(s->bev),
	    evbuffer_get_length(bufferevent_get_output(s->bev)));
	if (!s->busy)
		session_schedule_free(s);
}

static void
session_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	switch (s->state) {
	case SESSION_HANDSHAKE:
		session_close(s, "handshake timeout");
		break;
	case SESSION_ANONYMOUS:
	case SESSION_AUTHENTICATED:
		session_close(s, s->sub != NULL
				     ? "subscriber silent for three heartbeat "
				       "intervals"
				     : "idle timeout");
		break;
	case SESSION_CLOSING:
		/* The peer did not read its last response in time. */
		if (!s->busy)
			session_free(s);
		break;
	}
}

static void
session_deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;

	(void)fd;
	(void)what;
	if (s->want_free) {
		if (!s->busy)
			session_free(s);
		return;
	}
	session_process(s);
}

void
session_set_busy(struct session *s)
{
	s->busy = 1;
}

/* Nothing was sent to a subscriber for a heartbeat interval. */
static void
session_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	Tier__ServerMessage sm = TIER__SERVER_MESSAGE__INIT;
	Tier__Heartbeat hb = TIER__HEARTBEAT__INIT;
	struct session *s = arg;

	(void)fd;
	(void)what;
	if (s->sub == NULL || s->state == SESSION_CLOSING)
		return;
	hb.head_seq = (uint64_t)feed_head(s->srv->feed);
	hb.now = server_now();
	sm.kind_case = TIER__SERVER_MESSAGE__KIND_HEARTBEAT;
	sm.heartbeat = &hb;
	session_push(s, &sm);
}
