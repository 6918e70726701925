/*
 * One connection from the client to tierd: TCP with connect and I/O
 * timeouts, the Noise_XX handshake as initiator with the server's key checked
 * against its pin before our identity is revealed, then requests and
 * responses over the encrypted channel, and on a subscribed connection the
 * events the server pushes between them. This is where transport failures
 * become messages and exit codes.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "channel.h"
#include "err.h"
#include "frame.h"
#include "noise.h"
#include "tier.h"

struct conn {
	int fd;                /* connected socket, non-blocking */
	const struct cfg *cfg; /* settings: output mode, paths; not owned */
	char *address;         /* canonical "host:port" */
	struct channel *ch;    /* after the handshake */
	struct buf in;         /* bytes read, not yet consumed */
	size_t in_used;        /* bytes of in handed out as a frame */
	struct buf out;        /* frames being written */
	uint64_t next_id;      /* last Request.id sent */
	uint8_t server_key[KEYS_LEN]; /* proved in handshake message 2 */
	enum conn_pin pin;            /* how server_key was verified */
	char *server_name;            /* from the ServerHello */
	char *server_version;         /* from the ServerHello */
	/* Pushed messages (events, heartbeats, resyncs) that arrived while a
	 * response was awaited, oldest first, for conn_recv. */
	struct conn_pushed *pushed_head;
	struct conn_pushed **pushed_tail; /* &last->next, or &pushed_head */
};

/* One message waiting in the pushed queue. */
struct conn_pushed {
	Tier__ServerMessage *sm;  /* owned */
	struct conn_pushed *next; /* younger message, or NULL */
};

/* How conn_read_frame waits for the server. */
enum conn_wait_mode {
	CONN_WAIT_EACH,  /* ms per wait; interrupted waits are resumed */
	CONN_WAIT_TOTAL, /* ms for the whole frame; a signal ends the wait */
};

int
conn_parse_address(const char *text, char **host, char **port, char **canonical,
    const char **why)
{
	const char *colon, *h, *p;
	size_t hlen, i;
	char *end, *hc, *pc, *cc;
	unsigned long n;
	int v6 = 0;

	if (text[0] == '[') {
		if ((colon = strchr(text, ']')) == NULL) {
			*why = "missing ']' after the IPv6 address";
			return ERR_INVALID_ARG;
		}
		h = text + 1;
		hlen = (size_t)(colon - h);
		if (colon[1] != ':') {
			*why = "missing port: write [ADDRESS]:PORT, e.g. "
			       "[::1]:" CFG_DEFAULT_PORT;
			return ERR_INVALID_ARG;
		}
		p = colon + 2;
		v6 = 1;
	} else {
		if ((colon = strrchr(text, ':')) == NULL) {
			*why = "missing port: write HOST:PORT, e.g. "
			       "localhost:" CFG_DEFAULT_PORT;
			return ERR_INVALID_ARG;
		}
		if (memchr(text, ':', (size_t)(colon - text)) != NULL) {
			*why = "an IPv6 address needs brackets, e.g. "
			       "[::1]:" CFG_DEFAULT_PORT;
			return ERR_INVALID_ARG;
		}
		h = text;
		hlen = (size_t)(colon - text);
		p = colon + 1;
	}
	if (hlen == 0) {
		*why = "missing host";
		return ERR_INVALID_ARG;
	}
	for (i = 0; i < hlen; i++) {
		if ((unsigned char)h[i] <= ' ' || h[i] == '/' || h[i] == '[' ||
		    h[i] == ']' || (!v6 && h[i] == ':')) {
			*why =
			    "the host contains a character hosts cannot have";
			return ERR_INVALID_ARG;
		}
	}
	errno = 0;
	n = strtoul(p, &end, 10);
	if (*p < '0' || *p > '9' || *end != '\0' || errno != 0 || n == 0 ||
	    n > 65535) {
		*why = "the port must be a number from 1 to 65535";
		return ERR_INVALID_ARG;
	}
	if ((hc = strndup(h, hlen)) == NULL)
		return ERR_ALLOC;
	if (asprintf(&pc, "%lu", n) < 0) {
		free(hc);
		return ERR_ALLOC;
	}
	if (asprintf(&cc, v6 ? "[%s]:%s" : "%s:%s", hc, pc) < 0) {
		free(hc);
		free(pc);
		return ERR_ALLOC;
	}
	for (end = cc; *end != '\0'; end++) {
		if (*end >= 'A' && *end <= 'Z')
			*end = (char)(*end - 'A' + 'a');
	}
	*host = hc;
	*port = pc;
	if (canonical != NULL)
		*canonical = cc;
	else
		free(cc);
	return 0;
}

/* Waits until fd is ready for events; ERR_TIMEOUT after ms. */
static int
conn_wait(int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&pfd, 1, ms);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return ERR_SYSTEM;
	if (n == 0)
		return ERR_TIMEOUT;
	return 0;
}

/* Connects to one address within the connect timeout. */
static int
conn_try(const struct addrinfo *ai, int *out)
{
	socklen_t len = sizeof(int);
	int fd, err = 0, one = 1, r;

	fd = socket(ai->ai_family,
	    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return ERR_SYSTEM;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			r = ERR_SYSTEM;
			goto fail;
		}
		if ((r = conn_wait(fd, POLLOUT, CONN_CONNECT_TIMEOUT_MS)) != 0)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
			r = ERR_SYSTEM;
			goto fail;
		}
		if (err != 0) {
			errno = err;
			r = ERR_SYSTEM;
			goto fail;
		}
	}
	/* Requests are small and answered at once: no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*out = fd;
	return 0;
fail:
	err = errno;
	close(fd);
	errno = err;
	return r;
}

/* Writes c->out entirely. */
static int
conn_flush(struct conn *c)
{
	ssize_t n;
	int r;

	while (c->out.len > 0) {
		n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			r = conn_wait(c->fd, POLLOUT, CONN_IO_TIMEOUT_MS);
			if (r != 0)
				return r;
			continue;
		}
		if (n == -1)
			return errno == EPIPE || errno == ECONNRESET
				   ? ERR_EOF
				   : ERR_SYSTEM;
		buf_consume(&c->out, (size_t)n);
	}
	return 0;
}

/* Milliseconds on the monotonic clock. */
static int64_t
conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits for fd to become readable until deadline (conn_now_ms() time).
 * Returns 0, ERR_TIMEOUT (also when a signal arrived: the caller looks at
 * its flags and calls again) or ERR_SYSTEM.
 */
static int
conn_wait_until(int fd, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t left = deadline - conn_now_ms();
	int n;

	if (left < 0)
		left = 0;
	n = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
	if (n == -1 && errno == EINTR)
		return ERR_TIMEOUT;
	if (n == -1)
		return ERR_SYSTEM;
	return n == 0 ? ERR_TIMEOUT : 0;
}

/*
 * Reads one frame; *body points into c->in and stays valid until the next
 * call. mode says what ms bounds. Returns 0, ERR_EOF, ERR_TIMEOUT,
 * ERR_SYSTEM, ERR_FRAME_TOO_LARGE, ERR_FRAME_TOO_SMALL or ERR_ALLOC. Bytes
 * of a frame that has not fully arrived stay buffered for the next call.
 */
static int
conn_read_frame_wait(struct conn *c, const uint8_t **body, size_t *body_len,
    int ms, enum conn_wait_mode mode)
{
	int64_t deadline = conn_now_ms() + ms;
	size_t len = 0;
	ssize_t n;
	int r;

	buf_consume(&c->in, c->in_used);
	c->in_used = 0;
	for (;;) {
		r = frame_parse_header(c->in.data, c->in.len, &len);
		if (r == 0 && c->in.len >= FRAME_HEADER_LEN + len)
			break;
		if (r != 0 && r != ERR_AGAIN)
			return r;
		if ((r = buf_reserve(&c->in, 16384)) != 0)
			return r;
		n = recv(
		    c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (mode == CONN_WAIT_TOTAL)
				r = conn_wait_until(c->fd, deadline);
			else
				r = conn_wait(c->fd, POLLIN, ms);
			if (r != 0)
				return r;
			continue;
		}
		if (n == -1)
			return errno == ECONNRESET ? ERR_EOF : ERR_SYSTEM;
		if (n == 0)
			return ERR_EOF;
		c->in.len += (size_t)n;
	}
	*body = c->in.data + FRAME_HEADER_LEN;
	*body_len = len;
	c->in_used = FRAME_HEADER_LEN + len;
	return 0;
}

/* Reads one frame, waiting at most CONN_IO_TIMEOUT_MS each time. */
static int
conn_read_frame(struct conn *c, const uint8_t **body, size_t *body_len)
{
	return conn_read_frame_wait(
	    c, body, body_len, CONN_IO_TIMEOUT_MS, CONN_WAIT_EACH);
}

/* Reports a transport failure and returns the exit code for it. */
static int
conn_fail(const struct conn *c, int r, const char *doing)
{
	int saved = errno;

	switch (r) {
	case ERR_EOF:
		output_error("the server may be stopping or overloaded; try "
			     "again, and check its log",
		    "connection to %s closed by the server while %s",
		    c->address, doing);
		return EXIT_CONNECT;
	case ERR_TIMEOUT:
		output_error(NULL, "no answer from %s within %d s while %s",
		    c->address, CONN_IO_TIMEOUT_MS / 1000, doing);
		return EXIT_CONNECT;
	case ERR_SYSTEM:
		errno = saved;
		output_error(NULL, "connection to %s failed while %s: %s",
		    c->address, doing, strerror(saved));
		return EXIT_CONNECT;
	case ERR_ALLOC:
		output_error(NULL, "out of memory");
		return EXIT_OTHER;
	default:
		output_error(NULL, "connection to %s broken while %s: %s",
		    c->address, doing, err_str(r));
		return EXIT_OTHER;
	}
}

/* Reports a failed handshake step: the peer is not the server we expect. */
static int
conn_fail_handshake(const struct conn *c, int r)
{
	if (r == ERR_EOF || r == ERR_TIMEOUT || r == ERR_SYSTEM ||
	    r == ERR_ALLOC)
		return conn_fail(c, r, "performing the handshake");
	output_error("check the address: is it a tierd speaking tier protocol "
		     "1 (Noise_XX_25519_ChaChaPoly_BLAKE2b)?",
	    "handshake with %s failed: %s", c->address, err_str(r));
	return EXIT_HANDSHAKE;
}

static int
conn_resolve(struct conn *c, const char *host, const char *port)
{
	struct addrinfo hints, *res = NULL, *ai;
	int r, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		output_error("check the host name in the server address",
		    "cannot resolve %s: %s", host,
		    r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return EXIT_CONNECT;
	}
	r = ERR_CONNECT;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((r = conn_try(ai, &c->fd)) == 0)
			break;
		saved = errno;
	}
	freeaddrinfo(res);
	if (r == 0)
		return 0;
	output_error("check that tierd runs and listens there, and the "
		     "address (--server, TIER_SERVER, or server in the "
		     "config file)",
	    "cannot connect to %s: %s", c->address,
	    r == ERR_TIMEOUT ? "timed out" : strerror(saved));
	return EXIT_CONNECT;
}

/*
 * Checks the server key against known_servers, pinning it on first contact.
 * Returns 0 or an exit code; runs before our identity is sent.
 */
static int
conn_check_pin(struct conn *c)
{
	char fp_new[KEYS_FINGERPRINT_SIZE], fp_old[KEYS_FINGERPRINT_SIZE];
	uint8_t pinned[KEYS_LEN];
	enum known_result result;
	int line = 0, r;

	keys_fingerprint(c->server_key, fp_new);
	r = known_lookup(c->cfg->known_path, c->address, c->server_key, &result,
	    pinned, &line);
	if (r == ERR_KEY_FORMAT) {
		output_error("delete or correct that line",
		    "%s line %d: the key pinned for %s is unreadable",
		    c->cfg->known_path, line, c->address);
		return EXIT_KEY_CHANGED;
	}
	if (r != 0) {
		output_error(
		    NULL, "cannot read %s: %s", c->cfg->known_path, err_str(r));
		return EXIT_OTHER;
	}
	switch (result) {
	case KNOWN_MATCH:
		c->pin = CONN_PIN_MATCHED;
		return 0;
	case KNOWN_CHANGED:
		keys_fingerprint(pinned, fp_old);
		output_error(NULL,
		    "the key of server %s has CHANGED; refusing to connect",
		    c->address);
		output_note("pinned:  %s (%s line %d)", fp_old,
		    c->cfg->known_path, line);
		output_note("offered: %s", fp_new);
		output_note("someone may be intercepting the connection, or "
			    "the server's key was replaced");
		fprintf(stderr,
		    "hint: confirm the new fingerprint with the server's "
		    "operator (tierd logs it at start); if the change is "
		    "legitimate, delete line %d of %s and connect again\n",
		    line, c->cfg->known_path);
		return EXIT_KEY_CHANGED;
	case KNOWN_NEW:
		break;
	}
	if ((r = cfg_dir_ensure(c->cfg)) != 0)
		return EXIT_OTHER;
	if ((r = known_add(c->cfg->known_path, c->address, c->server_key)) !=
	    0) {
		output_error(NULL, "cannot write %s: %s", c->cfg->known_path,
		    err_str(r));
		return EXIT_OTHER;
	}
	c->pin = CONN_PIN_NEW;
	output_note("new server %s, key fingerprint %s", c->address, fp_new);
	output_note(
	    "pinned in %s; the connection continues", c->cfg->known_path);
	return 0;
}

/* The three handshake messages, then the channel. */
static int
conn_handshake(struct conn *c, const struct keypair *kp)
{
	uint8_t msg[NOISE_MAX_MESSAGE], payload[NOISE_MAX_MESSAGE];
	struct noise_hs *hs = NULL;
	struct noise_cipher *send = NULL, *recv = NULL;
	Tier__ServerHello *sh = NULL;
	Tier__ClientHello ch = TIER__CLIENT_HELLO__INIT;
	const uint8_t *body;
	size_t len, plen, body_len;
	int r, ex = EXIT_OTHER;

	r = noise_hs_new(&hs, NOISE_TIER_PROTOCOL, NOISE_INITIATOR,
	    (const uint8_t *)MSG_PROLOGUE, strlen(MSG_PROLOGUE), kp->priv,
	    NULL);
	if (r != 0) {
		ex = conn_fail_handshake(c, r);
		goto out;
	}

	/* 1: -> e, empty payload. */
	if ((r = noise_hs_write(hs, NULL, 0, msg, sizeof(msg), &len)) != 0 ||
	    (r = frame_append(&c->out, msg, len)) != 0 ||
	    (r = conn_flush(c)) != 0) {
		ex = conn_fail_handshake(c, r);
		goto out;
	}

	/* 2: <- e, ee, s, es, with the ServerHello. */
	if ((r = conn_read_frame(c, &body, &body_len)) != 0 ||
	    (r = noise_hs_read(
		 hs, body, body_len, payload, sizeof(payload), &plen)) != 0) {
		ex = conn_fail_handshake(c, r);
		goto out;
	}
	if ((sh = tier__server_hello__unpack(NULL, plen, payload)) == NULL) {
		ex = conn_fail_handshake(c, ERR_PROTOCOL);
		goto out;
	}
	if (sh->protocol_version != MSG_PROTOCOL_VERSION) {
		output_error("use a tier client that matches the server",
		    "%s speaks tier protocol %u; this client speaks %d",
		    c->address, sh->protocol_version, MSG_PROTOCOL_VERSION);
		ex = EXIT_HANDSHAKE;
		goto out;
	}
	if ((c->server_name = strdup(sh->server_name)) == NULL ||
	    (c->server_version = strdup(sh->server_version)) == NULL) {
		ex = conn_fail(c, ERR_ALLOC, "performing the handshake");
		goto out;
	}
	if ((r = noise_hs_remote_static(hs, c->server_key)) != 0) {
		ex = conn_fail_handshake(c, r);
		goto out;
	}

	/* The pin decides before message 3 reveals who we are. */
	if ((ex = conn_check_pin(c)) != 0)
		goto out;
	ex = EXIT_OTHER;

	/* 3: -> s, se, with the ClientHello. */
	ch.protocol_version = MSG_PROTOCOL_VERSION;
	ch.client_version = (char *)MSG_VERSION;
	plen = tier__client_hello__pack(&ch, payload);
	if ((r = noise_hs_write(hs, payload, plen, msg, sizeof(msg), &len)) !=
		0 ||
	    (r = frame_append(&c->out, msg, len)) != 0 ||
	    (r = conn_flush(c)) != 0) {
		ex = conn_fail_handshake(c, r);
		goto out;
	}
	if ((r = noise_hs_split(hs, &send, &recv)) != 0) {
		ex = conn_fail_handshake(c, r);
		goto out;
	}
	r = channel_new(&c->ch, send, recv, MSG_MAX_RESPONSE);
	send = recv = NULL;
	if (r != 0) {
		ex = conn_fail(c, r, "performing the handshake");
		goto out;
	}
	ex = 0;
out:
	sodium_memzero(payload, sizeof(payload));
	if (sh != NULL)
		tier__server_hello__free_unpacked(sh, NULL);
	noise_hs_free(hs);
	return ex;
}

int
conn_key_load(
    const struct cfg *c, struct keypair **out, int create, int *created)
{
	char fp[KEYS_FINGERPRINT_SIZE], *hint = NULL;
	int r, made = 0;

	if (create) {
		if (cfg_dir_ensure(c) != 0)
			return EXIT_OTHER;
		r = keys_load_or_create(c->key_path, out, &made);
	} else
		r = keys_load(c->key_path, out);
	if (created != NULL)
		*created = made;
	if (r == 0 && made) {
		keys_fingerprint((*out)->pub, fp);
		output_note("created client key %s", c->key_path);
		output_note("key fingerprint %s", fp);
	}
	if (r == 0)
		return 0;
	if (r == ERR_SYSTEM && errno == ENOENT) {
		output_error("ask an administrator for an enrolment code and "
			     "run: tier enroll CODE",
		    "no client key at %s", c->key_path);
		return EXIT_DENIED;
	}
	if (r == ERR_KEY_PERMS) {
		if (asprintf(&hint, "chmod 600 %s", c->key_path) < 0)
			hint = NULL;
		output_error(hint,
		    "key file %s is readable by other users; refusing to use "
		    "it",
		    c->key_path);
		free(hint);
		return EXIT_OTHER;
	}
	output_error(NULL, "cannot %s key %s: %s",
	    create ? "load or create" : "load", c->key_path, err_str(r));
	return EXIT_OTHER;
}

int
conn_open(struct conn **out, const struct cfg *cfg, const struct keypair *kp)
{
	struct conn *c;
	char *host = NULL, *port = NULL;
	const char *why = NULL;
	int r, ex = EXIT_OTHER;

	if (cfg->server == NULL) {
		output_error("use --server HOST:PORT, set TIER_SERVER, or put "
			     "server = HOST:PORT under [client] in the config "
			     "file",
		    "no server configured");
		return EXIT_USAGE;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		output_error(NULL, "out of memory");
		return EXIT_OTHER;
	}
	c->fd = -1;
	c->cfg = cfg;
	c->pushed_tail = &c->pushed_head;
	r = conn_parse_address(cfg->server, &host, &port, &c->address, &why);
	if (r == ERR_INVALID_ARG) {
		output_error("write HOST:PORT or [IPV6]:PORT",
		    "bad server address '%s' (from %s): %s", cfg->server,
		    cfg->server_from != NULL ? cfg->server_from : "settings",
		    why);
		ex = EXIT_USAGE;
		goto out;
	}
	if (r != 0) {
		output_error(NULL, "out of memory");
		goto out;
	}
	if ((ex = conn_resolve(c, host, port)) != 0)
		goto out;
	if ((ex = conn_handshake(c, kp)) != 0)
		goto out;
	*out = c;
	c = NULL;
out:
	free(host);
	free(port);
	conn_free(c);
	return ex;
}

int
conn_connect(struct conn **out, const struct cfg *c)
{
	struct keypair *kp = NULL;
	int ex;

	if ((ex = conn_key_load(c, &kp, 0, NULL)) != 0)
		return ex;
	ex = conn_open(out, c, kp);
	keys_free(kp);
	return ex;
}

/*
 * Reads one whole ServerMessage, waiting as mode and ms say. Returns 0 with
 * *out set (the caller frees it), or an ERR_* code; *doing names the step
 * that failed, for messages.
 */
static int
conn_read_message(struct conn *c, int ms, enum conn_wait_mode mode,
    Tier__ServerMessage **out, const char **doing)
{
	Tier__ServerMessage *sm;
	const uint8_t *body, *msg;
	size_t body_len, msg_len;
	int r;

	for (;;) {
		*doing = "waiting for the answer";
		if ((r = conn_read_frame_wait(c, &body, &body_len, ms, mode)) !=
		    0)
			return r;
		*doing = "reading the answer";
		r = channel_open(c->ch, body, body_len, &msg, &msg_len);
		if (r == ERR_AGAIN)
			continue;
		if (r != 0)
			return r;
		if ((sm = tier__server_message__unpack(NULL, msg_len, msg)) ==
		    NULL)
			return ERR_PROTOCOL;
		*out = sm;
		return 0;
	}
}

/* Keeps a pushed message for conn_recv. Returns 0 or ERR_ALLOC. */
static int
conn_push(struct conn *c, Tier__ServerMessage *sm)
{
	struct conn_pushed *p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		tier__server_message__free_unpacked(sm, NULL);
		return ERR_ALLOC;
	}
	p->sm = sm;
	*c->pushed_tail = p;
	c->pushed_tail = &p->next;
	return 0;
}

/*
 * Reads until a ServerMessage carrying the response to request id (or one
 * with id 0: a request the server could not read) has arrived, keeping
 * pushed messages and answers to requests sent with conn_send for
 * conn_recv. Returns 0 with *out set, or an ERR_* code with *doing set.
 */
static int
conn_receive_raw(
    struct conn *c, uint64_t id, Tier__Response **out, const char **doing)
{
	Tier__ServerMessage *sm;
	int r;

	for (;;) {
		r = conn_read_message(
		    c, CONN_IO_TIMEOUT_MS, CONN_WAIT_EACH, &sm, doing);
		if (r != 0)
			return r;
		switch (sm->kind_case) {
		case TIER__SERVER_MESSAGE__KIND_RESPONSE:
			if (sm->response == NULL)
				break;
			if (sm->response->id != 0 && sm->response->id < id) {
				/* An earlier conn_send's answer. */
				if ((r = conn_push(c, sm)) != 0) {
					*doing = "reading the answer";
					return r;
				}
				continue;
			}
			*out = sm->response;
			sm->response = NULL;
			sm->kind_case = TIER__SERVER_MESSAGE__KIND__NOT_SET;
			tier__server_message__free_unpacked(sm, NULL);
			return 0;
		case TIER__SERVER_MESSAGE__KIND_EVENT:
		case TIER__SERVER_MESSAGE__KIND_HEARTBEAT:
		case TIER__SERVER_MESSAGE__KIND_RESYNC:
			/* A subscribed connection: the caller of conn_recv
			 * wants these, in order. */
			if ((r = conn_push(c, sm)) != 0) {
				*doing = "reading the answer";
				return r;
			}
			continue;
		default:
			/* Kinds this client does not know are skipped. */
			break;
		}
		tier__server_message__free_unpacked(sm, NULL);
	}
}

/* Reads until the response to request id has arrived, reporting
 * failures. */
static int
conn_receive(struct conn *c, uint64_t id, Tier__Response **out)
{
	const char *doing = "waiting for the answer";
	int r;

	if ((r = conn_receive_raw(c, id, out, &doing)) != 0)
		return conn_fail(c, r, doing);
	return 0;
}

/*
 * Numbers req, gives it an idempotency key unless --request-id fixed one,
 * and writes it out. Returns 0 or an ERR_* code.
 */
static int
conn_send_request(struct conn *c, Tier__Request *req)
{
	struct buf plain = BUF_INIT;
	uint8_t rnd[16];
	char rid[sizeof(rnd) * 2 + 1];
	int r;

	req->id = ++c->next_id;
	/*
	 * Every request carries an idempotency key; the server uses it for
	 * changes, so a change retried under the same key happens once. The
	 * key starts with the time in milliseconds (then 80 random bits), so
	 * that one user's keys arrive in order and the server's index of them
	 * grows at its end instead of at random places.
	 */
	if (c->cfg->flag_request_id != NULL)
		req->request_id = (char *)c->cfg->flag_request_id;
	else {
		uint64_t ms = (uint64_t)time(NULL) * 1000;
		struct timespec ts;
		int i;

		if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
			ms = (uint64_t)ts.tv_sec * 1000 +
			     (uint64_t)ts.tv_nsec / 1000000;
		for (i = 0; i < 6; i++)
			rnd[i] = (uint8_t)(ms >> (8 * (5 - i)));
		randombytes_buf(rnd + 6, sizeof(rnd) - 6);
		sodium_bin2hex(rid, sizeof(rid), rnd, sizeof(rnd));
		req->request_id = rid;
	}
	r = msg_pack(&req->base, &plain);
	req->request_id = (char *)protobuf_c_empty_string;
	if (r == 0)
		r = channel_seal(c->ch, plain.data, plain.len, &c->out);
	if (r == 0)
		r = conn_flush(c);
	buf_free(&plain);
	return r;
}

int
conn_call(struct conn *c, Tier__Request *req, Tier__Response **out)
{
	Tier__Response *resp = NULL;
	int r, ex;

	if ((r = conn_send_request(c, req)) != 0) {
		ex = conn_fail(c, r, "sending the request");
		goto out;
	}
	if ((ex = conn_receive(c, req->id, &resp)) != 0)
		goto out;
	/* An error with id 0 answers a request the server could not read. */
	if (resp->error != NULL && (resp->id == req->id || resp->id == 0)) {
		ex = output_server_error(c->cfg->output, resp->error);
		if (ex == EXIT_OK)
			ex = EXIT_OTHER;
		goto out;
	}
	if (resp->id != req->id ||
	    (int)resp->body_case != (int)req->body_case) {
		ex = conn_fail(c, ERR_PROTOCOL, "reading the answer");
		goto out;
	}
	*out = resp;
	resp = NULL;
	ex = 0;
out:
	if (resp != NULL)
		tier__response__free_unpacked(resp, NULL);
	return ex;
}

int
conn_send(struct conn *c, Tier__Request *req)
{
	return conn_send_request(c, req);
}

int
conn_recv(struct conn *c, int ms, Tier__ServerMessage **out)
{
	struct conn_pushed *p;
	const char *doing;

	if ((p = c->pushed_head) != NULL) {
		if ((c->pushed_head = p->next) == NULL)
			c->pushed_tail = &c->pushed_head;
		*out = p->sm;
		free(p);
		return 0;
	}
	return conn_read_message(c, ms, CONN_WAIT_TOTAL, out, &doing);
}

int
conn_roundtrip(struct conn *c, Tier__Request *req, Tier__Response **out)
{
	Tier__Response *resp = NULL;
	const char *doing;
	int r;

	if ((r = conn_send_request(c, req)) != 0)
		return r;
	if ((r = conn_receive_raw(c, req->id, &resp, &doing)) != 0)
		return r;
	if (resp->id != req->id && resp->id != 0) {
		tier__response__free_unpacked(resp, NULL);
		return ERR_PROTOCOL;
	}
	if (resp->error == NULL &&
	    (int)resp->body_case != (int)req->body_case) {
		tier__response__free_unpacked(resp, NULL);
		return ERR_PROTOCOL;
	}
	*out = resp;
	return 0;
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

const uint8_t *
conn_server_key(const struct conn *c)
{
	return c->server_key;
}

enum conn_pin
conn_pin_state(const struct conn *c)
{
	return c->pin;
}

const char *
conn_address(const struct conn *c)
{
	return c->address;
}

const char *
conn_server_name(const struct conn *c)
{
	return c->server_name;
}

const char *
conn_server_version(const struct conn *c)
{
	return c->server_version;
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	while (c->pushed_head != NULL) {
		struct conn_pushed *p = c->pushed_head;

		c->pushed_head = p->next;
		tier__server_message__free_unpacked(p->sm, NULL);
		free(p);
	}
	channel_free(c->ch);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c->address);
	free(c->server_name);
	free(c->server_version);
	free(c);
}
