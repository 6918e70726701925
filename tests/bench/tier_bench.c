/*
 * tier-bench: a load generator that speaks the real protocol. It opens many
 * connections from one process (epoll, non-blocking, Noise handshake
 * included), drives one operation or a weighted mix of them at full speed
 * (closed loop) or at a fixed rate (open loop), and reports throughput and
 * latency percentiles, in all and per operation of a mix, measured
 * from each request's intended send time, so that a stalled server cannot
 * hide its latency behind a stalled generator. It also builds the data set
 * it measures (--setup), through the server's own request path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "channel.h"
#include "err.h"
#include "frame.h"
#include "keys.h"
#include "msg.h"
#include "noise.h"

#define BENCH_BU         "bench-bu"
#define BENCH_BG         "bench-bg"
#define BENCH_CHANNEL    "tier-bench"
#define BENCH_PER_CLIENT 16 /* candidates each writing connection owns */

/* Latency histogram ----------------------------------------------------------
 * Log-linear buckets in microseconds, HdrHistogram style: exact below 64 us,
 * then 32 buckets per power of two (about 3% resolution) up to 2^40 us. */

#define HIST_BUCKETS (64 + 35 * 32)

struct hist {
	uint64_t n[HIST_BUCKETS]; /* counts per bucket */
	uint64_t count;           /* values recorded */
	uint64_t max;             /* largest value, us */
	double sum;               /* for the mean */
};

static unsigned
hist_index(uint64_t us)
{
	unsigned msb, shift;

	if (us < 64)
		return (unsigned)us;
	msb = 63u - (unsigned)__builtin_clzll(us);
	shift = msb - 5;
	if (shift > 35)
		return HIST_BUCKETS - 1;
	return 64 + (shift - 1) * 32 + (unsigned)((us >> shift) - 32);
}

/* The upper edge of a bucket, us. */
static uint64_t
hist_value(unsigned i)
{
	unsigned shift;

	if (i < 64)
		return i;
	shift = (i - 64) / 32 + 1;
	return ((uint64_t)((i - 64) % 32 + 32 + 1) << shift) - 1;
}

static void
hist_add(struct hist *h, int64_t ns)
{
	uint64_t us = ns > 0 ? (uint64_t)ns / 1000 : 0;

	h->n[hist_index(us)]++;
	h->count++;
	h->sum += (double)us;
	if (us > h->max)
		h->max = us;
}

/* The value at quantile q, in milliseconds. */
static double
hist_ms(const struct hist *h, double q)
{
	uint64_t want, seen = 0;
	unsigned i;

	if (h->count == 0)
		return 0;
	want = (uint64_t)(q * (double)h->count + 0.5);
	if (want < 1)
		want = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->n[i];
		if (seen >= want) {
			uint64_t v = hist_value(i);
			return (double)(v < h->max ? v : h->max) / 1000.0;
		}
	}
	return (double)h->max / 1000.0;
}

/* Options and shared state
 * ---------------------------------------------------*/

enum bench_op {
	OP_SCORE,     /* candidate_act SCORE: durable, audited, fanned out */
	OP_LOOKUP,    /* customer_get of a random customer */
	OP_CANDIDATE, /* candidate_get of a random candidate (with ranks) */
	OP_TOP20,     /* candidate_list: the 20 best of the cycle */
	OP_FANOUT,    /* SCORE by the clients, delivery to the watchers */
	OP_IDLE,      /* hold authenticated connections */
	OP_SETUP,     /* build the data set */
	OP_MIX,       /* the request operations above fanout, by weight */
};

static const char *const op_names[] = { "score", "lookup", "candidate", "top20",
	"fanout", "idle", "setup", "mix" };

#define MIX_OPS OP_FANOUT /* score, lookup, candidate, top20 may be mixed */

struct opts {
	char host[256]; /* of the server */
	char port[16];
	const char *dir;  /* keys and bench.state */
	const char *code; /* --setup: the admin's enrolment code */
	const char *log;  /* acknowledged writes, one line each */
	const char *pin;  /* expected server fingerprint, or NULL */
	enum bench_op op;
	unsigned mix[MIX_OPS]; /* OP_MIX: the weight of each operation */
	unsigned mix_total;    /* their sum */
	int clients;           /* request connections */
	int watchers;          /* fanout: subscribed connections */
	int pipeline;          /* closed loop: outstanding per connection */
	double rate;           /* open loop: requests/s over all; 0 closed */
	double duration;       /* seconds of measurement */
	long candidates;       /* --setup: how many */
	int segments;          /* --setup: segments of the BU */
	int redis;             /* fanout against redis-server instead */
	int server_pid; /* --server-pid: its CPU is reported too; 0 none */
	int quiet;      /* only the RESULT line */
};

/* What --setup recorded about the data set. */
struct state {
	int64_t cycle_id;
	int64_t cust_lo, cust_hi; /* customer ids, contiguous */
	int64_t cand_lo, cand_hi; /* candidate ids, contiguous */
};

struct slot {
	uint64_t id;      /* Request.id, or a Redis message number */
	int64_t intended; /* ns: when it should have been sent */
	int64_t cand;     /* candidate index (score) or -1 */
	int op;           /* the bench_op it measures, -1 preparation */
	char rid[40];     /* request id of a change */
};

enum conn_state {
	CONN_CONNECTING,
	CONN_HANDSHAKE,
	CONN_READY,
	CONN_DEAD,
};

enum conn_kind {
	CONN_WRITER,  /* sends the operation */
	CONN_WATCHER, /* subscribed, receives events */
};

struct conn {
	int fd;
	int index; /* among conns */
	enum conn_state state;
	enum conn_kind kind;
	const struct keypair *key; /* the user it authenticates as */
	struct noise_hs *hs;       /* during the handshake */
	struct channel *ch;        /* after it */
	struct buf in, out;        /* socket buffers */
	int want_out;              /* EPOLLOUT registered */
	struct slot *q;            /* outstanding requests, a ring */
	unsigned qhead, qlen, qcap;
	uint64_t next_id;
	int64_t next_due; /* open loop: the next intended send */
	int subscribed;   /* watcher: subscribe answered */
	int64_t *cands;   /* score: owned candidate ids */
	uint64_t *vers;   /* their versions, 0 unknown */
	uint8_t *busy;    /* a score of it is outstanding */
	int ncands, cursor;
	/* setup: the item this connection builds, and its step */
	long item;
	int step;
	int64_t cust, cand;
};

struct bench {
	struct opts o;
	struct state st;
	struct keypair *admin, *vp, *sm;
	uint8_t server_pub[KEYS_LEN];
	int have_server_pub;
	int ep; /* epoll */
	struct conn *conns;
	int nconns;  /* allocated */
	int nopened; /* of which connecting or connected */
	int nready, ndead;
	int measuring;             /* counting into the histograms */
	int64_t t0, t_end;         /* measurement window, ns */
	int64_t cpu0, server_cpu0; /* CPU us at t0: ours, --server-pid's */
	int64_t cpu, server_cpu;   /* CPU us spent in the window; -1 unknown */
	struct hist lat;           /* request latency from intended send */
	struct hist fan;           /* commit -> delivery to each watcher */
	uint64_t ok, errors, sent, deliveries, conflicts;
	struct hist lat_op[MIX_OPS]; /* OP_MIX: latency per operation */
	uint64_t ok_op[MIX_OPS];     /* and answers */
	char first_error[512];
	int64_t *intended_by_cand; /* fanout: intended send of the last write */
	int64_t *intended_by_msg;  /* redis fanout: by message number */
	uint64_t msg_seq;
	char rid_prefix[17]; /* random, per run */
	uint64_t rid_seq;
	int logfd;                   /* --log, or -1 */
	long setup_next, setup_done; /* --setup items handed out, finished */
	int setup_failed;
};

static volatile sig_atomic_t bench_interrupted;

static void
bench_sigint(int sig)
{
	(void)sig;
	bench_interrupted = 1;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("tier-bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void __attribute__((format(printf, 2, 3)))
bench_error(struct bench *b, const char *fmt, ...)
{
	va_list ap;

	b->errors++;
	if (b->first_error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(b->first_error, sizeof(b->first_error), fmt, ap);
	va_end(ap);
}

/* Raises the soft descriptor limit to the hard one: 10,000 connections. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Connections ---------------------------------------------------------------*/

static void
conn_watch(struct bench *b, struct conn *c, int out)
{
	struct epoll_event ev = { 0 };

	ev.events = EPOLLIN | (out ? EPOLLOUT : 0);
	ev.data.u32 = (uint32_t)c->index;
	epoll_ctl(b->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = out;
}

static void
conn_kill(struct bench *b, struct conn *c, const char *why)
{
	if (c->state == CONN_DEAD)
		return;
	if (c->state != CONN_READY && why != NULL)
		bench_error(b, "connection %d: %s", c->index, why);
	else if (why != NULL && b->first_error[0] == '\0')
		snprintf(b->first_error, sizeof(b->first_error),
		    "connection %d: %s", c->index, why);
	if (c->state == CONN_READY)
		b->nready--;
	c->state = CONN_DEAD;
	b->ndead++;
	epoll_ctl(b->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	noise_hs_free(c->hs);
	c->hs = NULL;
	channel_free(c->ch);
	c->ch = NULL;
}

/* Writes what is buffered; registers for EPOLLOUT if the socket is full. */
static void
conn_flush(struct bench *b, struct conn *c)
{
	ssize_t n;

	while (c->out.len > 0) {
		n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			conn_kill(b, c, strerror(errno));
			return;
		}
		buf_consume(&c->out, (size_t)n);
	}
	if ((c->out.len > 0) != c->want_out)
		conn_watch(b, c, c->out.len > 0);
}

static void
conn_open(struct bench *b, struct conn *c, const struct addrinfo *ai)
{
	struct epoll_event ev = { 0 };
	int one = 1;

	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		die("socket: %s (raise ulimit -n?)", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
	    errno != EINPROGRESS)
		die("connect %s:%s: %s", b->o.host, b->o.port, strerror(errno));
	c->state = CONN_CONNECTING;
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.u32 = (uint32_t)c->index;
	c->want_out = 1;
	if (epoll_ctl(b->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("epoll_ctl: %s", strerror(errno));
}

/* Queues one frame body. */
static void
conn_frame(struct bench *b, struct conn *c, const uint8_t *body, size_t len)
{
	if (frame_append(&c->out, body, len) != 0)
		die("out of memory");
	(void)b;
}

/* Connected: sends handshake message 1 (Redis needs nothing). */
static void
conn_connected(struct bench *b, struct conn *c)
{
	uint8_t msg[NOISE_MAX_MESSAGE];
	size_t len;
	int err = 0;
	socklen_t elen = sizeof(err);

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	if (err != 0) {
		conn_kill(b, c, strerror(err));
		return;
	}
	if (b->o.redis) {
		c->state = CONN_READY;
		b->nready++;
		return;
	}
	if (noise_hs_new(&c->hs, NOISE_TIER_PROTOCOL, NOISE_INITIATOR,
		(const uint8_t *)MSG_PROLOGUE, strlen(MSG_PROLOGUE),
		c->key->priv, NULL) != 0 ||
	    noise_hs_write(c->hs, NULL, 0, msg, sizeof(msg), &len) != 0)
		die("cannot start a handshake");
	conn_frame(b, c, msg, len);
	c->state = CONN_HANDSHAKE;
}

/* Handshake message 2 arrived: check the server, answer with message 3. */
static void
conn_handshake(struct bench *b, struct conn *c, const uint8_t *body, size_t len)
{
	Tier__ClientHello hello = TIER__CLIENT_HELLO__INIT;
	Tier__ServerHello *sh;
	struct noise_cipher *send = NULL, *recv = NULL;
	uint8_t payload[NOISE_MAX_MESSAGE], msg[NOISE_MAX_MESSAGE], rs[32];
	char fp[KEYS_FINGERPRINT_SIZE];
	size_t plen, mlen;

	if (noise_hs_read(c->hs, body, len, payload, sizeof(payload), &plen) !=
	    0) {
		conn_kill(b, c, "not a tier protocol 1 server");
		return;
	}
	sh = tier__server_hello__unpack(NULL, plen, payload);
	if (sh == NULL || sh->protocol_version != MSG_PROTOCOL_VERSION) {
		if (sh != NULL)
			tier__server_hello__free_unpacked(sh, NULL);
		conn_kill(b, c, "server speaks another protocol");
		return;
	}
	tier__server_hello__free_unpacked(sh, NULL);
	noise_hs_remote_static(c->hs, rs);
	if (!b->have_server_pub) {
		keys_fingerprint(rs, fp);
		if (b->o.pin != NULL && strcmp(b->o.pin, fp) != 0)
			die("server key %s is not the pinned %s", fp, b->o.pin);
		memcpy(b->server_pub, rs, sizeof(rs));
		b->have_server_pub = 1;
	} else if (memcmp(rs, b->server_pub, sizeof(rs)) != 0) {
		die("the server key changed between connections");
	}
	hello.protocol_version = MSG_PROTOCOL_VERSION;
	hello.client_version = "tier-bench/" MSG_VERSION;
	plen = tier__client_hello__pack(&hello, payload);
	if (noise_hs_write(c->hs, payload, plen, msg, sizeof(msg), &mlen) !=
		0 ||
	    noise_hs_split(c->hs, &send, &recv) != 0 ||
	    channel_new(&c->ch, send, recv, MSG_MAX_RESPONSE) != 0)
		die("handshake failed");
	noise_hs_free(c->hs);
	c->hs = NULL;
	conn_frame(b, c, msg, mlen);
	c->state = CONN_READY;
	b->nready++;
}

/* Requests ------------------------------------------------------------------*/

static struct slot *
conn_push_slot(struct conn *c)
{
	if (c->qlen == c->qcap) {
		unsigned ncap = c->qcap ? c->qcap * 2 : 8, i;
		struct slot *nq = calloc(ncap, sizeof(*nq));
		if (nq == NULL)
			die("out of memory");
		for (i = 0; i < c->qlen; i++)
			nq[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = nq;
		c->qhead = 0;
		c->qcap = ncap;
	}
	return &c->q[(c->qhead + c->qlen++) % c->qcap];
}

static struct slot *
conn_pop_slot(struct conn *c)
{
	struct slot *s;

	if (c->qlen == 0)
		return NULL;
	s = &c->q[c->qhead];
	c->qhead = (c->qhead + 1) % c->qcap;
	c->qlen--;
	return s;
}

/* Numbers, packs, seals and queues req; returns its slot. */
static struct slot *
conn_send(struct bench *b, struct conn *c, Tier__Request *req, int64_t intended)
{
	struct buf plain = BUF_INIT;
	struct slot *s = conn_push_slot(c);

	memset(s, 0, sizeof(*s));
	s->id = req->id = ++c->next_id;
	s->intended = intended;
	s->cand = -1;
	s->op = -1;
	if (req->request_id != NULL && req->request_id[0] != '\0')
		snprintf(s->rid, sizeof(s->rid), "%s", req->request_id);
	if (msg_pack(&req->base, &plain) != 0 ||
	    channel_seal(c->ch, plain.data, plain.len, &c->out) != 0)
		die("cannot seal a request");
	buf_free(&plain);
	b->sent++;
	return s;
}

/* A fresh request id: a random per-run prefix and a counter. */
static void
bench_rid(struct bench *b, char out[40])
{
	snprintf(out, 40, "%s-%llu", b->rid_prefix,
	    (unsigned long long)++b->rid_seq);
}

static void
send_redis(struct bench *b, struct conn *c, int64_t intended, int n, ...)
{
	char line[512];
	va_list ap;
	int i, len;
	struct slot *s;

	len = snprintf(line, sizeof(line), "*%d\r\n", n);
	if (buf_append(&c->out, line, (size_t)len) != 0)
		die("out of memory");
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		const char *a = va_arg(ap, const char *);
		len = snprintf(
		    line, sizeof(line), "$%zu\r\n%s\r\n", strlen(a), a);
		if (buf_append(&c->out, line, (size_t)len) != 0)
			die("out of memory");
	}
	va_end(ap);
	s = conn_push_slot(c);
	memset(s, 0, sizeof(*s));
	s->intended = intended;
	s->cand = -1;
	b->sent++;
}

/* A score for criterion i of candidate id, varying with the version so that
 * every SCORE changes something. */
static uint32_t
score_value(int64_t id, uint64_t ver, int i)
{
	uint64_t x = (uint64_t)id * 2654435761u + ver * 40503u + (uint64_t)i;

	return (uint32_t)((x ^ (x >> 13)) % 11);
}

/* Sends a SCORE of candidate index of c; returns its slot. */
static struct slot *
send_score(struct bench *b, struct conn *c, int64_t cand_id, uint64_t version,
    int64_t intended, int64_t index)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CandidateActRequest act = TIER__CANDIDATE_ACT_REQUEST__INIT;
	Tier__Score sc[3] = { TIER__SCORE__INIT, TIER__SCORE__INIT,
		TIER__SCORE__INIT };
	Tier__Score *psc[3] = { &sc[0], &sc[1], &sc[2] };
	static char *names[3] = { "quality", "volume", "fit" };
	char rid[40];
	struct slot *s;
	int i;

	for (i = 0; i < 3; i++) {
		sc[i].criterion = names[i];
		sc[i].value = score_value(cand_id, version, i);
	}
	act.candidate_id = (uint64_t)cand_id;
	act.version = version;
	act.action = TIER__CANDIDATE_ACTION__CANDIDATE_ACTION_SCORE;
	act.n_scores = 3;
	act.scores = psc;
	bench_rid(b, rid);
	req.request_id = rid;
	req.body_case = TIER__REQUEST__BODY_CANDIDATE_ACT;
	req.candidate_act = &act;
	s = conn_send(b, c, &req, intended);
	s->cand = index;
	if (b->logfd >= 0) {
		char line[128];
		int n = snprintf(line, sizeof(line), "S %s %lld %llu\n", rid,
		    (long long)cand_id, (unsigned long long)version);
		if (write(b->logfd, line, (size_t)n) != n)
			die("--log: %s", strerror(errno));
	}
	return s;
}

static int64_t
pick(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(randombytes_uniform((uint32_t)(hi - lo + 1)));
}

/* Whether the run sends op: as the operation, or in the mix. */
static int
op_uses(const struct bench *b, enum bench_op op)
{
	if (b->o.op == OP_MIX)
		return op < MIX_OPS && b->o.mix[op] > 0;
	return b->o.op == op;
}

/* The next operation of a mix, drawn by weight. */
static enum bench_op
mix_pick(const struct bench *b)
{
	uint32_t r = randombytes_uniform(b->o.mix_total);
	int op;

	for (op = 0; op < MIX_OPS - 1; op++) {
		if (r < b->o.mix[op])
			break;
		r -= b->o.mix[op];
	}
	return (enum bench_op)op;
}

/* Sends the operation once, if it can now. Returns 0 if it could not. */
static int
issue(struct bench *b, struct conn *c, int64_t intended)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CustomerGetRequest cg = TIER__CUSTOMER_GET_REQUEST__INIT;
	Tier__CandidateGetRequest kg = TIER__CANDIDATE_GET_REQUEST__INIT;
	Tier__CandidateListRequest cl = TIER__CANDIDATE_LIST_REQUEST__INIT;
	enum bench_op op = b->o.op == OP_MIX ? mix_pick(b) : b->o.op;
	struct slot *s;
	char num[32];
	int i, k = 0;

	if (b->o.redis) {
		/* fanout against redis: PUBLISH a message number */
		uint64_t n = ++b->msg_seq;
		b->intended_by_msg[n % (1u << 22)] = intended;
		snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
		send_redis(b, c, intended, 3, "PUBLISH", BENCH_CHANNEL, num);
		return 1;
	}
	switch (op) {
	case OP_SCORE:
	case OP_FANOUT:
		for (i = 0; i < c->ncands; i++) {
			k = (c->cursor + i) % c->ncands;
			if (!c->busy[k] && c->vers[k] != 0)
				break;
		}
		if (i == c->ncands)
			return 0; /* every candidate has a score in flight */
		c->cursor = (k + 1) % c->ncands;
		c->busy[k] = 1;
		if (b->intended_by_cand != NULL)
			b->intended_by_cand[c->cands[k] - b->st.cand_lo] =
			    intended;
		s = send_score(b, c, c->cands[k], c->vers[k], intended, k);
		s->op = op;
		return 1;
	case OP_LOOKUP:
		cg.customer_id = (uint64_t)pick(b->st.cust_lo, b->st.cust_hi);
		req.body_case = TIER__REQUEST__BODY_CUSTOMER_GET;
		req.customer_get = &cg;
		break;
	case OP_CANDIDATE:
		kg.candidate_id = (uint64_t)pick(b->st.cand_lo, b->st.cand_hi);
		req.body_case = TIER__REQUEST__BODY_CANDIDATE_GET;
		req.candidate_get = &kg;
		break;
	case OP_TOP20:
		cl.cycle_id = (uint64_t)b->st.cycle_id;
		cl.page_size = 20;
		req.body_case = TIER__REQUEST__BODY_CANDIDATE_LIST;
		req.candidate_list = &cl;
		break;
	default:
		return 0;
	}
	s = conn_send(b, c, &req, intended);
	s->op = op;
	return 1;
}

/* Responses -----------------------------------------------------------------*/

static void
log_ack(struct bench *b, const struct slot *s, const Tier__Candidate *cand)
{
	char line[128];
	int n;

	if (b->logfd < 0)
		return;
	n = snprintf(line, sizeof(line), "A %s %llu %llu\n", s->rid,
	    (unsigned long long)cand->id, (unsigned long long)cand->version);
	if (write(b->logfd, line, (size_t)n) != n)
		die("--log: %s", strerror(errno));
}

static void setup_response(
    struct bench *b, struct conn *c, const Tier__Response *r);

static void
on_response(struct bench *b, struct conn *c, const Tier__Response *r)
{
	struct slot *s;
	int64_t now = now_ns();
	const Tier__Candidate *cand = NULL;

	if (b->o.op == OP_SETUP) {
		setup_response(b, c, r);
		return;
	}
	if (c->kind == CONN_WATCHER) {
		if (r->error != NULL)
			die("subscribe: %s", r->error->message);
		c->subscribed = 1;
		return;
	}
	if ((s = conn_pop_slot(c)) == NULL || s->id != r->id) {
		conn_kill(b, c, "response out of order");
		return;
	}
	if (r->body_case == TIER__RESPONSE__BODY_CANDIDATE_ACT)
		cand = r->candidate_act->candidate;
	else if (r->body_case == TIER__RESPONSE__BODY_CANDIDATE_GET)
		cand = r->candidate_get->candidate;
	if (s->cand >= 0) {
		c->busy[s->cand] = 0;
		if (cand != NULL)
			c->vers[s->cand] = cand->version;
	}
	if (r->error != NULL) {
		if (r->error->code == TIER__ERROR_CODE__ERROR_CODE_CONFLICT) {
			b->conflicts++;
			if (s->cand >= 0)
				c->vers[s->cand] = 0; /* read it again */
		}
		if (b->measuring)
			bench_error(b, "%s", r->error->message);
		return;
	}
	if (s->rid[0] != '\0' && cand != NULL)
		log_ack(b, s, cand);
	if (b->measuring && s->intended >= b->t0) {
		hist_add(&b->lat, now - s->intended);
		b->ok++;
		if (s->op >= 0 && s->op < MIX_OPS) {
			hist_add(&b->lat_op[s->op], now - s->intended);
			b->ok_op[s->op]++;
		}
	}
}

static void
on_event(struct bench *b, const Tier__Event *e)
{
	int64_t i = (int64_t)e->entity_id - b->st.cand_lo;

	if (!b->measuring || b->intended_by_cand == NULL ||
	    strcmp(e->entity, "candidate") != 0 || i < 0 ||
	    i > b->st.cand_hi - b->st.cand_lo || b->intended_by_cand[i] == 0)
		return;
	if (b->intended_by_cand[i] < b->t0)
		return;
	hist_add(&b->fan, now_ns() - b->intended_by_cand[i]);
	b->deliveries++;
}

/* Reads one RESP value at p; returns its length, 0 if incomplete. Arrays of
 * bulk strings leave their last element in *last. */
static size_t
resp_parse(const char *p, size_t len, const char **last, size_t *last_len)
{
	const char *nl = memchr(p, '\n', len);
	long n, i;
	size_t used, sub;

	if (len == 0 || nl == NULL)
		return 0;
	used = (size_t)(nl - p) + 1;
	n = strtol(p + 1, NULL, 10);
	switch (p[0]) {
	case '$':
		if (n < 0)
			return used;
		if (len < used + (size_t)n + 2)
			return 0;
		*last = p + used;
		*last_len = (size_t)n;
		return used + (size_t)n + 2;
	case '*':
		for (i = 0; i < n; i++) {
			sub = resp_parse(p + used, len - used, last, last_len);
			if (sub == 0)
				return 0;
			used += sub;
		}
		return used;
	default:
		return used;
	}
}

static void
on_redis(struct bench *b, struct conn *c)
{
	const char *last = NULL;
	size_t used, last_len = 0;
	char num[32];

	while ((used = resp_parse((const char *)c->in.data, c->in.len, &last,
		    &last_len)) > 0) {
		if (c->kind == CONN_WATCHER) {
			if (c->in.data[0] == '*' && last != NULL &&
			    last_len < sizeof(num) && c->subscribed) {
				uint64_t m;
				memcpy(num, last, last_len);
				num[last_len] = '\0';
				m = strtoull(num, NULL, 10);
				if (b->measuring &&
				    b->intended_by_msg[m % (1u << 22)] >=
					b->t0) {
					hist_add(&b->fan,
					    now_ns() -
						b->intended_by_msg[m %
								   (1u << 22)]);
					b->deliveries++;
				}
			}
			c->subscribed = 1; /* the first reply confirms */
		} else {
			struct slot *s = conn_pop_slot(c);
			if (c->in.data[0] == '-')
				bench_error(b, "redis: %.*s", (int)used - 2,
				    (const char *)c->in.data);
			else if (s != NULL && b->measuring &&
				 s->intended >= b->t0) {
				hist_add(&b->lat, now_ns() - s->intended);
				b->ok++;
			}
		}
		buf_consume(&c->in, used);
	}
}

/* Handles every complete frame in c->in. */
static void
conn_input(struct bench *b, struct conn *c)
{
	Tier__ServerMessage *sm;
	const uint8_t *msg;
	size_t len, mlen, used = 0;
	int r;

	if (b->o.redis) {
		on_redis(b, c);
		return;
	}
	while (c->state != CONN_DEAD) {
		r = frame_parse_header(
		    c->in.data + used, c->in.len - used, &len);
		if (r == ERR_AGAIN)
			break;
		if (r != 0) {
			conn_kill(b, c, "bad frame from the server");
			return;
		}
		if (c->in.len - used < FRAME_HEADER_LEN + len)
			break;
		if (c->state == CONN_HANDSHAKE) {
			conn_handshake(
			    b, c, c->in.data + used + FRAME_HEADER_LEN, len);
			used += FRAME_HEADER_LEN + len;
			continue;
		}
		r = channel_open(c->ch, c->in.data + used + FRAME_HEADER_LEN,
		    len, &msg, &mlen);
		used += FRAME_HEADER_LEN + len;
		if (r == ERR_AGAIN)
			continue;
		if (r != 0) {
			conn_kill(b, c, "cannot decrypt a frame");
			return;
		}
		if ((sm = tier__server_message__unpack(NULL, mlen, msg)) ==
		    NULL) {
			conn_kill(b, c, "undecodable server message");
			return;
		}
		if (sm->kind_case == TIER__SERVER_MESSAGE__KIND_RESPONSE)
			on_response(b, c, sm->response);
		else if (sm->kind_case == TIER__SERVER_MESSAGE__KIND_EVENT)
			on_event(b, sm->event);
		else if (sm->kind_case == TIER__SERVER_MESSAGE__KIND_RESYNC)
			bench_error(b, "watcher told to resync: %s",
			    sm->resync->reason);
		tier__server_message__free_unpacked(sm, NULL);
	}
	if (c->state != CONN_DEAD)
		buf_consume(&c->in, used);
}

static void
conn_readable(struct bench *b, struct conn *c)
{
	ssize_t n;

	for (;;) {
		if (buf_reserve(&c->in, 65536) != 0)
			die("out of memory");
		n = recv(
		    c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
		if (n > 0) {
			c->in.len += (size_t)n;
			if ((size_t)n < 65536)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		conn_kill(b, c,
		    n == 0 ? "server closed the connection" : strerror(errno));
		return;
	}
	conn_input(b, c);
}

/* The loop ------------------------------------------------------------------*/

/*
 * Runs the loop until done(b) says so or deadline (ns) passes; each turn
 * tick(b, c, now) may queue requests on a ready connection.
 */
static void
bench_loop(struct bench *b, int64_t deadline, int (*done)(struct bench *),
    void (*tick)(struct bench *, struct conn *, int64_t))
{
	struct epoll_event evs[256];
	int i, n, timeout;
	int64_t now;

	while (!bench_interrupted && !done(b)) {
		now = now_ns();
		if (deadline != 0 && now >= deadline)
			break;
		for (i = 0; i < b->nconns; i++) {
			struct conn *c = &b->conns[i];
			if (c->state == CONN_READY && tick != NULL)
				tick(b, c, now);
			if (c->state > CONN_CONNECTING &&
			    c->state != CONN_DEAD &&
			    (c->out.len > 0 || c->want_out))
				conn_flush(b, c);
		}
		timeout = 10;
		if (b->o.rate > 0 && b->measuring)
			timeout = 1;
		n = epoll_wait(b->ep, evs, 256, timeout);
		for (i = 0; i < n; i++) {
			struct conn *c = &b->conns[evs[i].data.u32];
			if (c->state == CONN_DEAD)
				continue;
			if (c->state == CONN_CONNECTING) {
				if (evs[i].events &
				    (EPOLLOUT | EPOLLERR | EPOLLHUP))
					conn_connected(b, c);
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				conn_readable(b, c);
			if (c->state != CONN_DEAD && (evs[i].events & EPOLLOUT))
				conn_flush(b, c);
		}
	}
}

static int
done_connected(struct bench *b)
{
	return b->nready + b->ndead == b->nopened;
}

/* Opens n connections as key (watchers after the writers). */
static void
bench_connect(struct bench *b, int nwriters, int nwatchers,
    const struct keypair *wkey, const struct keypair *akey)
{
	struct addrinfo hints = { 0 }, *ai;
	int i, r;

	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(b->o.host, b->o.port, &hints, &ai)) != 0)
		die("%s: %s", b->o.host, gai_strerror(r));
	b->nconns = nwriters + nwatchers;
	b->conns = calloc((size_t)b->nconns, sizeof(*b->conns));
	if (b->conns == NULL)
		die("out of memory");
	for (i = 0; i < b->nconns; i++) {
		struct conn *c = &b->conns[i];
		c->index = i;
		c->kind = i < nwriters ? CONN_WRITER : CONN_WATCHER;
		c->key = i < nwriters ? wkey : akey;
		conn_open(b, c, ai);
		b->nopened = i + 1;
		/* Keep the accept queue short: let handshakes finish. */
		if ((i + 1) % 256 == 0)
			bench_loop(
			    b, now_ns() + 30000000000LL, done_connected, NULL);
	}
	freeaddrinfo(ai);
	bench_loop(b, now_ns() + 60000000000LL, done_connected, NULL);
	if (b->ndead > 0)
		die("%d of %d connections failed: %s", b->ndead, b->nconns,
		    b->first_error);
}

/* Blocking request-response on one connection, for set-up steps. Returns
 * the server message carrying the response, owned by the caller. */
static Tier__ServerMessage *
sync_call(struct bench *b, struct conn *c, Tier__Request *req)
{
	Tier__ServerMessage *sm;
	const uint8_t *msg;
	size_t len, mlen;
	int64_t deadline = now_ns() + 120000000000LL;

	conn_send(b, c, req, now_ns());
	conn_pop_slot(c);
	conn_flush(b, c);
	for (;;) {
		if (c->state == CONN_DEAD)
			die("lost the connection: %s", b->first_error);
		if (frame_parse_header(c->in.data, c->in.len, &len) == 0 &&
		    c->in.len >= FRAME_HEADER_LEN + len) {
			int r = channel_open(c->ch,
			    c->in.data + FRAME_HEADER_LEN, len, &msg, &mlen);
			buf_consume(&c->in, FRAME_HEADER_LEN + len);
			if (r == ERR_AGAIN)
				continue;
			if (r != 0)
				die("cannot decrypt a response");
			sm = tier__server_message__unpack(NULL, mlen, msg);
			if (sm == NULL)
				die("undecodable response");
			if (sm->kind_case ==
			    TIER__SERVER_MESSAGE__KIND_RESPONSE)
				return sm;
			tier__server_message__free_unpacked(sm, NULL);
			continue;
		}
		if (now_ns() > deadline)
			die("no response within 120 s");
		{
			struct epoll_event ev;
			if (epoll_wait(b->ep, &ev, 1, 100) == 1) {
				if (ev.events & EPOLLOUT)
					conn_flush(b, c);
				if (ev.events &
				    (EPOLLIN | EPOLLERR | EPOLLHUP)) {
					ssize_t n;
					buf_reserve(&c->in, 65536);
					n = recv(c->fd, c->in.data + c->in.len,
					    c->in.cap - c->in.len, 0);
					if (n > 0)
						c->in.len += (size_t)n;
					else if (n == 0 || (errno != EAGAIN &&
							       errno != EINTR))
						conn_kill(b, c,
						    "server closed the "
						    "connection");
				}
			}
		}
	}
}

/* Sends req and dies unless it succeeds; returns the response message. */
static Tier__ServerMessage *
must(struct bench *b, struct conn *c, Tier__Request *req, const char *what)
{
	Tier__ServerMessage *sm = sync_call(b, c, req);

	if (sm->response->error != NULL)
		die("%s: %s", what, sm->response->error->message);
	return sm;
}

/* Set-up ----------------------------------------------------------------------
 * Builds: BG, BU, segments, a BU VP and a segment manager (each enrolled with
 * a key of its own in --dir), a cycle with three criteria, opened, and then
 * --candidates customers, each proposed and scored as a candidate, by
 * --clients connections in parallel so that the group commit batches them. */

static void
state_save(const struct bench *b)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bench.state", b->o.dir);
	if ((f = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "cycle_id %lld\ncustomers %lld %lld\ncandidates %lld %lld\n",
	    (long long)b->st.cycle_id, (long long)b->st.cust_lo,
	    (long long)b->st.cust_hi, (long long)b->st.cand_lo,
	    (long long)b->st.cand_hi);
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

static void
state_load(struct bench *b)
{
	char path[4096];
	long long a, c1, c2, k1, k2;
	FILE *f;

	snprintf(path, sizeof(path), "%s/bench.state", b->o.dir);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s (run tier-bench --setup first)", path,
		    strerror(errno));
	if (fscanf(f, "cycle_id %lld customers %lld %lld candidates %lld %lld",
		&a, &c1, &c2, &k1, &k2) != 5)
		die("%s: not a bench state file", path);
	fclose(f);
	b->st.cycle_id = a;
	b->st.cust_lo = c1;
	b->st.cust_hi = c2;
	b->st.cand_lo = k1;
	b->st.cand_hi = k2;
}

static struct keypair *
key_in_dir(const struct bench *b, const char *name)
{
	char path[4096];
	struct keypair *kp;
	int created;

	snprintf(path, sizeof(path), "%s/%s.key", b->o.dir, name);
	if (keys_load_or_create(path, &kp, &created) != 0)
		die("%s: cannot load or create the key", path);
	return kp;
}

/* One connection as kp, on its own bench (for the set-up's steps). */
static void
one_conn(struct bench *b, const struct keypair *kp)
{
	free(b->conns);
	b->nready = b->ndead = b->nopened = 0;
	bench_connect(b, 1, 0, kp, NULL);
}

static void
close_all(struct bench *b)
{
	int i;

	for (i = 0; i < b->nconns; i++)
		if (b->conns[i].state != CONN_DEAD) {
			conn_flush(b, &b->conns[i]);
			conn_kill(b, &b->conns[i], NULL);
		}
	for (i = 0; i < b->nconns; i++) {
		buf_free(&b->conns[i].in);
		buf_free(&b->conns[i].out);
		free(b->conns[i].q);
		b->conns[i].q = NULL;
	}
}

/* Closes what is left and frees b, so that nothing is held at exit. */
static void
bench_free(struct bench *b)
{
	int i;

	if (b->conns != NULL) {
		close_all(b);
		for (i = 0; i < b->nconns; i++) {
			free(b->conns[i].cands);
			free(b->conns[i].vers);
			free(b->conns[i].busy);
		}
		free(b->conns);
	}
	free(b->intended_by_cand);
	free(b->intended_by_msg);
	keys_free(b->admin);
	keys_free(b->vp);
	keys_free(b->sm);
	if (b->logfd >= 0)
		close(b->logfd);
	if (b->ep >= 0)
		close(b->ep);
	free(b);
}

static void
org_add(struct bench *b, struct conn *c, Tier__UnitKind kind, const char *name,
    const char *parent)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__OrgAddRequest oa = TIER__ORG_ADD_REQUEST__INIT;
	char rid[40];

	oa.kind = kind;
	oa.name = (char *)name;
	oa.parent = (char *)parent;
	bench_rid(b, rid);
	req.request_id = rid;
	req.body_case = TIER__REQUEST__BODY_ORG_ADD;
	req.org_add = &oa;
	tier__server_message__free_unpacked(must(b, c, &req, "org add"), NULL);
}

/* admin adds a user; a second connection with kp enrols it. */
static void
user_add_enrol(struct bench *b, const char *name, Tier__Role role,
    const char *scope, const struct keypair *kp)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__UserAddRequest ua = TIER__USER_ADD_REQUEST__INIT;
	Tier__EnrollRequest en = TIER__ENROLL_REQUEST__INIT;
	Tier__ServerMessage *sm;
	char code[64];

	one_conn(b, b->admin);
	ua.name = (char *)name;
	ua.role = role;
	ua.scope = (char *)scope;
	req.body_case = TIER__REQUEST__BODY_USER_ADD;
	req.user_add = &ua;
	sm = must(b, &b->conns[0], &req, "user add");
	snprintf(code, sizeof(code), "%s", sm->response->user_add->code);
	tier__server_message__free_unpacked(sm, NULL);
	close_all(b);
	one_conn(b, kp);
	req = (Tier__Request)TIER__REQUEST__INIT;
	en.code = code;
	req.body_case = TIER__REQUEST__BODY_ENROLL;
	req.enroll = &en;
	tier__server_message__free_unpacked(
	    must(b, &b->conns[0], &req, "enrol"), NULL);
	close_all(b);
}

static int64_t *setup_cust, *setup_cand; /* ids by item */

/* Queues the next step of the connection's current item, or a new item. */
static void
setup_tick(struct bench *b, struct conn *c, int64_t now)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CustomerAddRequest ca = TIER__CUSTOMER_ADD_REQUEST__INIT;
	Tier__Customer cu = TIER__CUSTOMER__INIT;
	Tier__CandidateProposeRequest cp =
	    TIER__CANDIDATE_PROPOSE_REQUEST__INIT;
	char name[64], seg[64], rid[40];

	if (c->qlen > 0 || b->setup_failed)
		return;
	if (c->step == 0) {
		if (b->setup_next >= b->o.candidates)
			return;
		c->item = b->setup_next++;
		c->step = 1;
	}
	bench_rid(b, rid);
	req.request_id = rid;
	switch (c->step) {
	case 1:
		snprintf(name, sizeof(name), "Bench Customer %06ld", c->item);
		cu.bu = BENCH_BU;
		cu.name = name;
		cu.industry = "machinery";
		cu.region = "east";
		ca.customer = &cu;
		req.body_case = TIER__REQUEST__BODY_CUSTOMER_ADD;
		req.customer_add = &ca;
		break;
	case 2:
		snprintf(seg, sizeof(seg), "bench-seg-%ld",
		    c->item % b->o.segments + 1);
		cp.cycle_id = (uint64_t)b->st.cycle_id;
		cp.segment = seg;
		cp.customer_id = (uint64_t)setup_cust[c->item];
		req.body_case = TIER__REQUEST__BODY_CANDIDATE_PROPOSE;
		req.candidate_propose = &cp;
		break;
	case 3:
		send_score(b, c, setup_cand[c->item], 1, now, -1);
		return;
	}
	conn_send(b, c, &req, now);
}

static void
setup_response(struct bench *b, struct conn *c, const Tier__Response *r)
{
	conn_pop_slot(c);
	if (r->error != NULL) {
		bench_error(b, "item %ld step %d: %s", c->item, c->step,
		    r->error->message);
		b->setup_failed = 1;
		return;
	}
	switch (c->step) {
	case 1:
		setup_cust[c->item] = (int64_t)r->customer_add->customer->id;
		c->step = 2;
		break;
	case 2:
		setup_cand[c->item] =
		    (int64_t)r->candidate_propose->candidate->id;
		c->step = 3;
		break;
	case 3:
		c->step = 0;
		if (++b->setup_done % 10000 == 0 && !b->o.quiet)
			fprintf(stderr, "tier-bench: %ld of %ld candidates\n",
			    b->setup_done, b->o.candidates);
		break;
	}
}

static int
done_setup(struct bench *b)
{
	return b->setup_failed || b->setup_done == b->o.candidates ||
	       b->ndead > 0;
}

static void
bench_setup(struct bench *b)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__EnrollRequest en = TIER__ENROLL_REQUEST__INIT;
	Tier__CycleCreateRequest cc = TIER__CYCLE_CREATE_REQUEST__INIT;
	Tier__CriteriaSetRequest cs = TIER__CRITERIA_SET_REQUEST__INIT;
	Tier__Criterion cr[3] = { TIER__CRITERION__INIT, TIER__CRITERION__INIT,
		TIER__CRITERION__INIT };
	Tier__Criterion *pcr[3] = { &cr[0], &cr[1], &cr[2] };
	Tier__CycleTransitionRequest ct = TIER__CYCLE_TRANSITION_REQUEST__INIT;
	Tier__ServerMessage *sm;
	char rid[40], seg[64], path[4096];
	int64_t t = now_ns();
	uint64_t version;
	long i;

	snprintf(path, sizeof(path), "%s/bench.state", b->o.dir);
	if (access(path, F_OK) == 0)
		die("%s exists: this directory is already set up", path);
	if (b->o.code == NULL)
		die("--setup needs --code, the admin's enrolment code");

	/* The admin enrols a fresh key with the code. */
	one_conn(b, b->admin);
	en.code = (char *)b->o.code;
	req.body_case = TIER__REQUEST__BODY_ENROLL;
	req.enroll = &en;
	tier__server_message__free_unpacked(
	    must(b, &b->conns[0], &req, "admin enrol"), NULL);
	org_add(b, &b->conns[0], TIER__UNIT_KIND__UNIT_KIND_BG, BENCH_BG, "");
	org_add(
	    b, &b->conns[0], TIER__UNIT_KIND__UNIT_KIND_BU, BENCH_BU, BENCH_BG);
	for (i = 1; i <= b->o.segments; i++) {
		snprintf(seg, sizeof(seg), "bench-seg-%ld", i);
		org_add(b, &b->conns[0], TIER__UNIT_KIND__UNIT_KIND_SEGMENT,
		    seg, BENCH_BU);
	}
	close_all(b);
	user_add_enrol(
	    b, "bench-vp", TIER__ROLE__ROLE_BU_VP, "bu:" BENCH_BU, b->vp);
	user_add_enrol(
	    b, "bench-sm", TIER__ROLE__ROLE_SEGMENT_MGR, "bu:" BENCH_BU, b->sm);

	/* The VP makes the cycle, its criteria, and opens it. */
	one_conn(b, b->vp);
	req = (Tier__Request)TIER__REQUEST__INIT;
	cc.bu = BENCH_BU;
	cc.year = 2030;
	bench_rid(b, rid);
	req.request_id = rid;
	req.body_case = TIER__REQUEST__BODY_CYCLE_CREATE;
	req.cycle_create = &cc;
	sm = must(b, &b->conns[0], &req, "cycle create");
	b->st.cycle_id = (int64_t)sm->response->cycle_create->cycle->id;
	version = sm->response->cycle_create->cycle->version;
	tier__server_message__free_unpacked(sm, NULL);

	cr[0].name = "quality";
	cr[0].weight = 40;
	cr[1].name = "volume";
	cr[1].weight = 35;
	cr[2].name = "fit";
	cr[2].weight = 25;
	for (i = 0; i < 3; i++) {
		cr[i].scale_min = 0;
		cr[i].scale_max = 10;
	}
	cs.cycle_id = (uint64_t)b->st.cycle_id;
	cs.version = version;
	cs.n_criteria = 3;
	cs.criteria = pcr;
	req = (Tier__Request)TIER__REQUEST__INIT;
	bench_rid(b, rid);
	req.request_id = rid;
	req.body_case = TIER__REQUEST__BODY_CRITERIA_SET;
	req.criteria_set = &cs;
	sm = must(b, &b->conns[0], &req, "criteria set");
	version = sm->response->criteria_set->cycle->version;
	tier__server_message__free_unpacked(sm, NULL);

	ct.cycle_id = (uint64_t)b->st.cycle_id;
	ct.version = version;
	ct.action = TIER__CYCLE_ACTION__CYCLE_ACTION_OPEN;
	req = (Tier__Request)TIER__REQUEST__INIT;
	bench_rid(b, rid);
	req.request_id = rid;
	req.body_case = TIER__REQUEST__BODY_CYCLE_TRANSITION;
	req.cycle_transition = &ct;
	tier__server_message__free_unpacked(
	    must(b, &b->conns[0], &req, "cycle open"), NULL);
	close_all(b);
	free(b->conns);
	b->conns = NULL;

	/* The segment manager adds, proposes and scores every candidate. */
	setup_cust = calloc((size_t)b->o.candidates, sizeof(*setup_cust));
	setup_cand = calloc((size_t)b->o.candidates, sizeof(*setup_cand));
	if (setup_cust == NULL || setup_cand == NULL)
		die("out of memory");
	b->nready = b->ndead = b->nopened = 0;
	bench_connect(b, b->o.clients, 0, b->sm, NULL);
	bench_loop(b, 0, done_setup, setup_tick);
	if (b->setup_failed || b->setup_done != b->o.candidates)
		die("set-up stopped after %ld candidates: %s", b->setup_done,
		    b->first_error[0] ? b->first_error : "interrupted");
	close_all(b);

	b->st.cust_lo = b->st.cust_hi = setup_cust[0];
	b->st.cand_lo = b->st.cand_hi = setup_cand[0];
	for (i = 0; i < b->o.candidates; i++) {
		if (setup_cust[i] < b->st.cust_lo)
			b->st.cust_lo = setup_cust[i];
		if (setup_cust[i] > b->st.cust_hi)
			b->st.cust_hi = setup_cust[i];
		if (setup_cand[i] < b->st.cand_lo)
			b->st.cand_lo = setup_cand[i];
		if (setup_cand[i] > b->st.cand_hi)
			b->st.cand_hi = setup_cand[i];
	}
	if (b->st.cand_hi - b->st.cand_lo + 1 != b->o.candidates ||
	    b->st.cust_hi - b->st.cust_lo + 1 != b->o.candidates)
		die("the ids are not contiguous: set up on a fresh server");
	state_save(b);
	printf("tier-bench: set up cycle %lld with %ld scored candidates "
	       "(ids %lld-%lld) in %.1f s\n",
	    (long long)b->st.cycle_id, b->o.candidates,
	    (long long)b->st.cand_lo, (long long)b->st.cand_hi,
	    (double)(now_ns() - t) / 1e9);
}

/* Measurement ---------------------------------------------------------------*/

/* Reads the versions of each writer's candidates (candidate_get). */
static void
prep_tick(struct bench *b, struct conn *c, int64_t now)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__CandidateGetRequest kg = TIER__CANDIDATE_GET_REQUEST__INIT;
	struct slot *s;
	int k;

	if (c->kind != CONN_WRITER || c->qlen > 0)
		return;
	for (k = 0; k < c->ncands; k++)
		if (c->vers[k] == 0)
			break;
	if (k == c->ncands)
		return;
	kg.candidate_id = (uint64_t)c->cands[k];
	req.body_case = TIER__REQUEST__BODY_CANDIDATE_GET;
	req.candidate_get = &kg;
	s = conn_send(b, c, &req, now);
	s->cand = k;
}

static int
done_prep(struct bench *b)
{
	int i, k;

	if (b->nready == 0)
		return 1;
	for (i = 0; i < b->nconns; i++) {
		struct conn *c = &b->conns[i];
		if (c->state != CONN_READY)
			continue;
		if (c->kind == CONN_WATCHER && !c->subscribed)
			return 0;
		for (k = 0; k < c->ncands; k++)
			if (c->vers[k] == 0)
				return 0;
	}
	return 1;
}

static void
run_tick(struct bench *b, struct conn *c, int64_t now)
{
	if (c->kind != CONN_WRITER)
		return;
	if (op_uses(b, OP_SCORE) || b->o.op == OP_FANOUT)
		prep_tick(b, c, now); /* after a conflict */
	if (b->o.rate > 0) {
		while (c->next_due <= now && c->qlen < 10000) {
			if (!issue(b, c, c->next_due))
				break;
			c->next_due +=
			    (int64_t)(1e9 * b->o.clients / b->o.rate);
		}
		return;
	}
	while ((int)c->qlen < b->o.pipeline)
		if (!issue(b, c, now))
			break;
}

static int
done_never(struct bench *b)
{
	return b->o.op != OP_IDLE && b->nready == 0;
}

static void
send_subscribe(struct bench *b, struct conn *c)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__SubscribeRequest su = TIER__SUBSCRIBE_REQUEST__INIT;
	Tier__FeedFilter ff = TIER__FEED_FILTER__INIT;

	if (b->o.redis) {
		send_redis(b, c, now_ns(), 2, "SUBSCRIBE", BENCH_CHANNEL);
		conn_pop_slot(c);
		return;
	}
	ff.cycle_id = (uint64_t)b->st.cycle_id;
	su.filter = &ff;
	su.heartbeat_seconds = 300;
	req.body_case = TIER__REQUEST__BODY_SUBSCRIBE;
	req.subscribe = &su;
	conn_send(b, c, &req, now_ns());
	conn_pop_slot(c);
}

static void
send_ping(struct bench *b, struct conn *c)
{
	Tier__Request req = TIER__REQUEST__INIT;
	Tier__PingRequest p = TIER__PING_REQUEST__INIT;

	req.body_case = TIER__REQUEST__BODY_PING;
	req.ping = &p;
	conn_send(b, c, &req, now_ns());
}

static int
done_pinged(struct bench *b)
{
	int i;

	for (i = 0; i < b->nconns; i++)
		if (b->conns[i].state == CONN_READY && b->conns[i].qlen > 0)
			return 0;
	return 1;
}

/* The CPU time (user and system) this process has used, in us. */
static int64_t
cpu_self_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* The CPU time process pid has used, in us, from /proc/PID/stat (fields 14
 * and 15, utime and stime, in clock ticks); -1 when it cannot be read. */
static int64_t
cpu_pid_us(int pid)
{
	char path[64], line[1024], *p;
	unsigned long long ut, st;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (pid <= 0 || hz <= 0 || (f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	/* The command name in parentheses may hold spaces: skip past it to
	 * field 3, the state. */
	if ((p = strrchr(line, ')')) == NULL ||
	    sscanf(p + 1,
		" %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
		&st) != 2)
		return -1;
	return (int64_t)((ut + st) * 1000000ULL / (unsigned long long)hz);
}

/* The CPU time between two readings, -1 when either is unknown. */
static int64_t
cpu_usage(int64_t before, int64_t after)
{
	return before < 0 || after < before ? -1 : after - before;
}

/* "cpu_us=X" style text: CPU us per completed operation, "-" unknown. */
static const char *
per_op(char *out, size_t len, int64_t us, uint64_t ops)
{
	if (us < 0 || ops == 0)
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%.1f", (double)us / (double)ops);
	return out;
}

static void
report(struct bench *b, double secs)
{
	const char *op = b->o.redis ? "redis-fanout" : op_names[b->o.op];
	double rate = secs > 0 ? (double)b->ok / secs : 0;
	char cpu[32], server_cpu[32];
	int i;

	per_op(cpu, sizeof(cpu), b->cpu, b->ok);
	per_op(server_cpu, sizeof(server_cpu), b->server_cpu, b->ok);
	if (!b->o.quiet) {
		printf("tier-bench: %s, %d connection(s)%s, %s, %.1f s\n", op,
		    b->o.clients, b->o.op == OP_FANOUT ? " writing" : "",
		    b->o.rate > 0 ? "open loop" : "closed loop", secs);
		if (b->o.rate > 0)
			printf("  target rate %.0f/s\n", b->o.rate);
		printf("  %llu ok, %llu errors, %.0f requests/s\n",
		    (unsigned long long)b->ok, (unsigned long long)b->errors,
		    rate);
		printf("  latency from intended send: p50 %.3f ms, p99 %.3f "
		       "ms, p99.9 %.3f ms, max %.3f ms\n",
		    hist_ms(&b->lat, 0.5), hist_ms(&b->lat, 0.99),
		    hist_ms(&b->lat, 0.999), (double)b->lat.max / 1000.0);
		for (i = 0; b->o.op == OP_MIX && i < MIX_OPS; i++) {
			if (b->o.mix[i] == 0)
				continue;
			printf("  %s (weight %u of %u): %llu ok, %.0f/s, p50 "
			       "%.3f ms, p99 %.3f ms, p99.9 %.3f ms\n",
			    op_names[i], b->o.mix[i], b->o.mix_total,
			    (unsigned long long)b->ok_op[i],
			    secs > 0 ? (double)b->ok_op[i] / secs : 0,
			    hist_ms(&b->lat_op[i], 0.5),
			    hist_ms(&b->lat_op[i], 0.99),
			    hist_ms(&b->lat_op[i], 0.999));
		}
		if (b->o.op == OP_FANOUT)
			printf("  %d watcher(s): %llu deliveries (%.0f/s), "
			       "send -> delivery p50 %.3f ms, p99 %.3f ms, "
			       "p99.9 %.3f ms\n",
			    b->o.watchers, (unsigned long long)b->deliveries,
			    secs > 0 ? (double)b->deliveries / secs : 0,
			    hist_ms(&b->fan, 0.5), hist_ms(&b->fan, 0.99),
			    hist_ms(&b->fan, 0.999));
		printf(
		    "  CPU per operation: tier-bench %s us, server %s us%s\n",
		    cpu, server_cpu,
		    b->o.server_pid > 0 ? "" : " (no --server-pid)");
		if (b->first_error[0] != '\0')
			printf("  first error: %s\n", b->first_error);
	}
	printf("RESULT op=%s clients=%d watchers=%d ok=%llu errors=%llu "
	       "rate=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f "
	       "deliveries=%llu delivery_rate=%.1f d_p50_ms=%.3f "
	       "d_p99_ms=%.3f d_p999_ms=%.3f cpu_us=%s server_cpu_us=%s",
	    op, b->o.clients, b->o.op == OP_FANOUT ? b->o.watchers : 0,
	    (unsigned long long)b->ok, (unsigned long long)b->errors, rate,
	    hist_ms(&b->lat, 0.5), hist_ms(&b->lat, 0.99),
	    hist_ms(&b->lat, 0.999), (unsigned long long)b->deliveries,
	    secs > 0 ? (double)b->deliveries / secs : 0, hist_ms(&b->fan, 0.5),
	    hist_ms(&b->fan, 0.99), hist_ms(&b->fan, 0.999), cpu, server_cpu);
	/* A mix: each operation's figures, prefixed by its name. */
	for (i = 0; b->o.op == OP_MIX && i < MIX_OPS; i++) {
		if (b->o.mix[i] == 0)
			continue;
		printf(" %s_ok=%llu %s_rate=%.1f %s_p50_ms=%.3f "
		       "%s_p99_ms=%.3f %s_p999_ms=%.3f",
		    op_names[i], (unsigned long long)b->ok_op[i], op_names[i],
		    secs > 0 ? (double)b->ok_op[i] / secs : 0, op_names[i],
		    hist_ms(&b->lat_op[i], 0.5), op_names[i],
		    hist_ms(&b->lat_op[i], 0.99), op_names[i],
		    hist_ms(&b->lat_op[i], 0.999));
	}
	printf("\n");
}

static void
bench_run(struct bench *b)
{
	int nw = b->o.op == OP_FANOUT ? b->o.watchers : 0;
	int i, k, per = BENCH_PER_CLIENT;
	int64_t ncand, t1;

	if (!b->o.redis)
		state_load(b);
	ncand = b->st.cand_hi - b->st.cand_lo + 1;
	if (op_uses(b, OP_SCORE) || b->o.op == OP_FANOUT) {
		if (!b->o.redis && (int64_t)b->o.clients * per > ncand)
			per = (int)(ncand / b->o.clients);
		if (!b->o.redis && per < 1)
			die("%d writers need at least %d candidates",
			    b->o.clients, b->o.clients);
		b->intended_by_cand = calloc((size_t)ncand, sizeof(int64_t));
	}
	if (b->o.redis)
		b->intended_by_msg = calloc(1u << 22, sizeof(int64_t));
	bench_connect(b, b->o.clients, nw, b->sm, b->vp);
	if (!b->o.quiet)
		fprintf(
		    stderr, "tier-bench: %d connection(s) ready\n", b->nconns);

	if (b->o.op == OP_IDLE) {
		for (i = 0; i < b->nconns; i++)
			send_ping(b, &b->conns[i]);
		bench_loop(b, now_ns() + 60000000000LL, done_pinged, NULL);
		for (i = 0; i < b->nconns; i++)
			b->conns[i].qlen = 0;
		printf("tier-bench: %d authenticated connection(s) open, "
		       "holding for %.0f s\n",
		    b->nready, b->o.duration);
		fflush(stdout);
		bench_loop(b, now_ns() + (int64_t)(b->o.duration * 1e9),
		    done_never, NULL);
		for (i = 0; i < b->nconns; i++)
			if (b->conns[i].state == CONN_READY)
				send_ping(b, &b->conns[i]);
		bench_loop(b, now_ns() + 60000000000LL, done_pinged, NULL);
		printf("RESULT op=idle connections=%d alive=%d\n", b->nconns,
		    b->nready);
		if (b->nready != b->nconns)
			exit(1);
		return;
	}
	for (i = 0; i < b->nconns; i++) {
		struct conn *c = &b->conns[i];
		if (c->kind == CONN_WATCHER) {
			send_subscribe(b, c);
			continue;
		}
		if ((!op_uses(b, OP_SCORE) && b->o.op != OP_FANOUT) ||
		    b->o.redis)
			continue;
		c->ncands = per;
		c->cands = calloc((size_t)per, sizeof(int64_t));
		c->vers = calloc((size_t)per, sizeof(uint64_t));
		c->busy = calloc((size_t)per, 1);
		if (c->cands == NULL || c->vers == NULL || c->busy == NULL)
			die("out of memory");
		for (k = 0; k < per; k++)
			c->cands[k] = b->st.cand_lo + (int64_t)i * per + k;
	}
	bench_loop(b, now_ns() + 120000000000LL, done_prep,
	    b->o.redis ? NULL : prep_tick);
	if (b->ndead > 0)
		die("lost a connection while preparing: %s", b->first_error);

	b->cpu0 = cpu_self_us();
	b->server_cpu0 = cpu_pid_us(b->o.server_pid);
	b->t0 = now_ns();
	b->t_end = b->t0 + (int64_t)(b->o.duration * 1e9);
	for (i = 0; i < b->nconns; i++)
		b->conns[i].next_due =
		    b->t0 +
		    (int64_t)(1e9 * i / (b->o.rate > 0 ? b->o.rate : 1));
	b->measuring = 1;
	bench_loop(b, b->t_end, done_never, run_tick);
	t1 = now_ns();
	b->cpu = cpu_usage(b->cpu0, cpu_self_us());
	b->server_cpu = cpu_usage(b->server_cpu0, cpu_pid_us(b->o.server_pid));
	if (t1 > b->t_end)
		t1 = b->t_end;
	/* Requests whose intended time fell in the window but that are still
	 * outstanding count as late as the window end at least. */
	for (i = 0; i < b->nconns; i++) {
		struct conn *c = &b->conns[i];
		unsigned j;
		for (j = 0; j < c->qlen; j++) {
			struct slot *s = &c->q[(c->qhead + j) % c->qcap];
			if (c->state != CONN_READY || s->intended < b->t0 ||
			    s->intended >= b->t_end)
				continue;
			hist_add(&b->lat, now_ns() - s->intended);
			if (s->op >= 0 && s->op < MIX_OPS)
				hist_add(
				    &b->lat_op[s->op], now_ns() - s->intended);
		}
	}
	/* Let the last events arrive. */
	if (b->o.op == OP_FANOUT)
		bench_loop(b, now_ns() + 500000000LL, done_never, NULL);
	b->measuring = 0;
	report(b, (double)(t1 - b->t0) / 1e9);
	if (b->ndead > 0 && !b->o.quiet)
		printf(
		    "  %d connection(s) lost: %s\n", b->ndead, b->first_error);
}

/* Command line --------------------------------------------------------------*/

/* "lookup=80,score=20": the weight of each operation of a mix. */
static void
mix_parse(struct opts *o, const char *text)
{
	char copy[256], *item, *save = NULL, *eq, *end;
	unsigned long w;
	int i, found;

	if (strlen(text) >= sizeof(copy))
		die("--op %s: too long", text);
	snprintf(copy, sizeof(copy), "%s", text);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	     item = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(item, '=')) == NULL)
			die("--op %s: give each operation as NAME=WEIGHT",
			    text);
		*eq = '\0';
		errno = 0;
		w = strtoul(eq + 1, &end, 10);
		if (errno != 0 || end == eq + 1 || *end != '\0' || w == 0 ||
		    w > 1000000)
			die("--op %s: the weight of %s must be a whole number "
			    "from 1 to 1000000",
			    text, item);
		for (i = 0, found = 0; i < MIX_OPS; i++) {
			if (strcmp(item, op_names[i]) == 0) {
				o->mix[i] += (unsigned)w;
				found = 1;
			}
		}
		if (!found)
			die("--op %s: %s cannot be mixed; a mix takes score, "
			    "lookup, candidate and top20",
			    text, item);
	}
	for (i = 0; i < MIX_OPS; i++)
		o->mix_total += o->mix[i];
	if (o->mix_total == 0 || o->mix_total > 100000000)
		die("--op %s: no operation to mix", text);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: tier-bench --server HOST:PORT --dir DIR --setup --code "
	    "CODE\n"
	    "                  [--candidates N] [--segments N] [--clients N]\n"
	    "       tier-bench --server HOST:PORT --dir DIR --op OP [options]\n"
	    "\n"
	    "Drives a running tierd through real connections (Noise handshake\n"
	    "included) and prints throughput and latency percentiles measured\n"
	    "from each request's intended send time.\n"
	    "\n"
	    "  --setup            enrol an admin with --code (from tierd\n"
	    "                     --init-admin), create a BG, a BU, segments, "
	    "a\n"
	    "                     BU VP and a segment manager (keys in DIR), "
	    "an\n"
	    "                     open cycle with three criteria and "
	    "--candidates\n"
	    "                     customers proposed and scored; records the\n"
	    "                     ids in DIR/bench.state. Needs a fresh "
	    "server.\n"
	    "  --op OP            what to measure:\n"
	    "       score         candidate_act SCORE: a durable, audited\n"
	    "                     workflow transition (each connection owns "
	    "%d\n"
	    "                     candidates and keeps their versions)\n"
	    "       lookup        customer_get of a random customer\n"
	    "       candidate     candidate_get of a random candidate\n"
	    "       top20         candidate_list: the 20 best of the cycle\n"
	    "       fanout        --clients write SCOREs, --watchers "
	    "subscribed\n"
	    "                     connections receive them; reports delivery\n"
	    "                     latency from the write's intended send time\n"
	    "       NAME=W,...    a mix of score, lookup, candidate and "
	    "top20:\n"
	    "                     each request draws its operation by weight\n"
	    "                     (lookup=80,score=20); figures are given in\n"
	    "                     all and per operation\n"
	    "       idle          open --clients authenticated connections,\n"
	    "                     hold them --duration seconds, check them\n"
	    "  --clients N        request connections (default 64)\n"
	    "  --watchers M       fanout: subscribed connections (default 16)\n"
	    "  --rate R           open loop: R requests/s over all "
	    "connections\n"
	    "                     (default: closed loop, full speed)\n"
	    "  --pipeline P       closed loop: requests in flight per\n"
	    "                     connection (default 1)\n"
	    "  --duration S       seconds measured (default 10)\n"
	    "  --log FILE         score: append 'S RID CANDIDATE VERSION' per\n"
	    "                     request sent and 'A RID CANDIDATE VERSION'\n"
	    "                     per acknowledgement\n"
	    "  --pin FINGERPRINT  refuse a server with another key\n"
	    "  --redis            fanout only: measure redis-server at\n"
	    "                     --server with PUBLISH/SUBSCRIBE instead\n"
	    "  --server-pid PID   the server runs here as PID: report the CPU\n"
	    "                     time it spends per operation too\n"
	    "  --quiet            print only the RESULT line\n"
	    "\n"
	    "The last line is 'RESULT op=... ok=... rate=... p50_ms=...' for\n"
	    "scripts; its cpu_us and server_cpu_us are the CPU time (user and\n"
	    "system) tier-bench and the server spent per completed operation\n"
	    "in the measurement, '-' when unknown. Exit status 0, or 1 when\n"
	    "a request failed or a connection was lost.\n",
	    BENCH_PER_CLIENT);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'd' },
		{ "setup", no_argument, NULL, 'S' },
		{ "code", required_argument, NULL, 'C' },
		{ "candidates", required_argument, NULL, 'n' },
		{ "segments", required_argument, NULL, 'g' },
		{ "op", required_argument, NULL, 'o' },
		{ "clients", required_argument, NULL, 'c' },
		{ "watchers", required_argument, NULL, 'w' },
		{ "rate", required_argument, NULL, 'r' },
		{ "pipeline", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 't' },
		{ "log", required_argument, NULL, 'l' },
		{ "pin", required_argument, NULL, 'P' },
		{ "redis", no_argument, NULL, 'R' },
		{ "server-pid", required_argument, NULL, 'X' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench *b;
	const char *server = NULL, *colon;
	int ch, setup = 0, op = -1, r;
	unsigned i;
	uint8_t rnd[8];

	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	if ((b = calloc(1, sizeof(*b))) == NULL)
		die("out of memory");
	b->o.clients = 64;
	b->o.watchers = 16;
	b->o.pipeline = 1;
	b->o.duration = 10;
	b->o.candidates = 100000;
	b->o.segments = 8;
	b->logfd = -1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			server = optarg;
			break;
		case 'd':
			b->o.dir = optarg;
			break;
		case 'S':
			setup = 1;
			break;
		case 'C':
			b->o.code = optarg;
			break;
		case 'n':
			b->o.candidates = atol(optarg);
			break;
		case 'g':
			b->o.segments = atoi(optarg);
			break;
		case 'o':
			if (strchr(optarg, '=') != NULL) {
				mix_parse(&b->o, optarg);
				op = OP_MIX;
				break;
			}
			for (i = 0; i < OP_SETUP; i++)
				if (strcmp(optarg, op_names[i]) == 0)
					op = (int)i;
			if (op < 0)
				die("unknown --op %s: score, lookup, "
				    "candidate, top20, fanout, idle, or a "
				    "mix such as lookup=80,score=20",
				    optarg);
			break;
		case 'c':
			b->o.clients = atoi(optarg);
			break;
		case 'w':
			b->o.watchers = atoi(optarg);
			break;
		case 'r':
			b->o.rate = atof(optarg);
			break;
		case 'p':
			b->o.pipeline = atoi(optarg);
			break;
		case 't':
			b->o.duration = atof(optarg);
			break;
		case 'l':
			b->o.log = optarg;
			break;
		case 'P':
			b->o.pin = optarg;
			break;
		case 'R':
			b->o.redis = 1;
			break;
		case 'X':
			if ((b->o.server_pid = atoi(optarg)) <= 0 ||
			    cpu_pid_us(b->o.server_pid) < 0)
				die("--server-pid %s: no such process whose "
				    "/proc/PID/stat can be read; give the "
				    "pid of the server on this machine",
				    optarg);
			break;
		case 'q':
			b->o.quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || server == NULL ||
	    (b->o.dir == NULL && !b->o.redis) || (setup == (op >= 0)))
		die("need --server, --dir and one of --setup or --op (see "
		    "--help)");
	if (b->o.redis && op != OP_FANOUT)
		die("--redis measures fanout only (use redis-benchmark for "
		    "the rest)");
	if (b->o.clients < 1 || b->o.pipeline < 1 || b->o.candidates < 1 ||
	    b->o.segments < 1 || b->o.watchers < 0 || b->o.duration <= 0)
		die("counts and durations must be positive");
	b->o.op = setup ? OP_SETUP : (enum bench_op)op;
	if ((colon = strrchr(server, ':')) == NULL ||
	    (size_t)(colon - server) >= sizeof(b->o.host))
		die("--server must be HOST:PORT");
	memcpy(b->o.host, server, (size_t)(colon - server));
	snprintf(b->o.port, sizeof(b->o.port), "%s", colon + 1);
	if (b->o.host[0] == '[') {
		memmove(b->o.host, b->o.host + 1, strlen(b->o.host));
		b->o.host[strcspn(b->o.host, "]")] = '\0';
	}
	if (b->o.log != NULL && (b->logfd = open(b->o.log,
				     O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0)
		die("%s: %s", b->o.log, strerror(errno));

	randombytes_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(b->rid_prefix + 2 * i, 3, "%02x", rnd[i]);
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, bench_sigint);
	if ((b->ep = epoll_create1(0)) < 0)
		die("epoll_create1: %s", strerror(errno));
	if (!b->o.redis) {
		b->admin = key_in_dir(b, "admin");
		b->vp = key_in_dir(b, "vp");
		b->sm = key_in_dir(b, "sm");
	}
	if (setup) {
		bench_setup(b);
		bench_free(b);
		return 0;
	}
	bench_run(b);
	r = b->errors > 0 || b->ndead > 0 ? 1 : 0;
	bench_free(b);
	return r;
}
