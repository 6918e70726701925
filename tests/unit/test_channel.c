/*
 * Tests of common/channel.c over real XX handshakes: messages of every
 * interesting size go through channel_seal, frame_parse_header and
 * channel_open; oversized messages, unknown flags, short and tampered frames
 * are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "buf.h"
#include "channel.h"
#include "err.h"
#include "frame.h"
#include "noise.h"

#define PROLOGUE "tier protocol 1"

/* Both sides' cipher states after a completed random-key XX handshake. */
struct session {
	struct noise_cipher *is; /* initiator send */
	struct noise_cipher *ir; /* initiator receive */
	struct noise_cipher *rs; /* responder send */
	struct noise_cipher *rr; /* responder receive */
};

static void
hs_pass(struct noise_hs *tx, struct noise_hs *rx)
{
	uint8_t msg[256], pt[256];
	size_t mlen, plen;

	assert_int_equal(
	    noise_hs_write(tx, NULL, 0, msg, sizeof(msg), &mlen), 0);
	assert_int_equal(
	    noise_hs_read(rx, msg, mlen, pt, sizeof(pt), &plen), 0);
	assert_int_equal(plen, 0);
}

static void
session_new(struct session *s)
{
	struct noise_hs *init, *resp;
	uint8_t is[32], rs[32];

	randombytes_buf(is, sizeof(is));
	randombytes_buf(rs, sizeof(rs));
	assert_int_equal(
	    noise_hs_new(&init, NOISE_TIER_PROTOCOL, NOISE_INITIATOR,
		(const uint8_t *)PROLOGUE, strlen(PROLOGUE), is, NULL),
	    0);
	assert_int_equal(
	    noise_hs_new(&resp, NOISE_TIER_PROTOCOL, NOISE_RESPONDER,
		(const uint8_t *)PROLOGUE, strlen(PROLOGUE), rs, NULL),
	    0);
	hs_pass(init, resp);
	hs_pass(resp, init);
	hs_pass(init, resp);
	assert_int_equal(noise_hs_split(init, &s->is, &s->ir), 0);
	assert_int_equal(noise_hs_split(resp, &s->rs, &s->rr), 0);
	noise_hs_free(init);
	noise_hs_free(resp);
	sodium_memzero(is, sizeof(is));
	sodium_memzero(rs, sizeof(rs));
}

/* A client and a server channel joined by one handshake. */
static void
channel_pair(struct channel **client, struct channel **server,
    size_t client_max, size_t server_max)
{
	struct session s;

	session_new(&s);
	assert_int_equal(channel_new(client, s.is, s.ir, client_max), 0);
	assert_int_equal(channel_new(server, s.rs, s.rr, server_max), 0);
}

/*
 * Feeds every frame in wire[0..len) to ch in order. Returns the result of the
 * last channel_open, with *frames counting the frames consumed; stops early
 * on an error other than ERR_AGAIN.
 */
static int
feed(struct channel *ch, const struct buf *wire, size_t *frames,
    const uint8_t **msg, size_t *msg_len)
{
	size_t off = 0, blen;
	int r = ERR_AGAIN;

	*frames = 0;
	while (off < wire->len) {
		assert_int_equal(frame_parse_header(
				     wire->data + off, wire->len - off, &blen),
		    0);
		assert_true(blen <= wire->len - off - FRAME_HEADER_LEN);
		r = channel_open(ch, wire->data + off + FRAME_HEADER_LEN, blen,
		    msg, msg_len);
		off += FRAME_HEADER_LEN + blen;
		(*frames)++;
		if (r == ERR_AGAIN)
			continue;
		/* Only the last frame may finish a message. */
		if (r == 0)
			assert_int_equal(off, wire->len);
		return r;
	}
	return r;
}

/* Sends len random bytes from tx to rx and checks what arrives. */
static void
roundtrip(struct channel *tx, struct channel *rx, size_t len)
{
	struct buf wire = BUF_INIT;
	const uint8_t *got = NULL;
	uint8_t *msg;
	size_t got_len = (size_t)-1, frames, want_frames;

	msg = malloc(len > 0 ? len : 1);
	assert_non_null(msg);
	randombytes_buf(msg, len);
	assert_int_equal(channel_seal(tx, msg, len, &wire), 0);
	want_frames =
	    len == 0 ? 1 : (len + CHANNEL_CHUNK_MAX - 1) / CHANNEL_CHUNK_MAX;
	assert_int_equal(feed(rx, &wire, &frames, &got, &got_len), 0);
	assert_int_equal(frames, want_frames);
	assert_int_equal(got_len, len);
	if (len > 0)
		assert_memory_equal(got, msg, len);
	buf_free(&wire);
	free(msg);
}

static void
test_sizes(void **state)
{
	const size_t sizes[] = { 0, 1, CHANNEL_CHUNK_MAX - 1, CHANNEL_CHUNK_MAX,
		CHANNEL_CHUNK_MAX + 1, 2 * CHANNEL_CHUNK_MAX, 200 * 1024, 0,
		1 };
	struct channel *client, *server;
	size_t i;

	(void)state;
	channel_pair(&client, &server, 1u << 20, 1u << 20);
	/* Several messages on one channel: reassembly restarts each time. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		roundtrip(client, server, sizes[i]);
		roundtrip(server, client, sizes[i]);
	}
	channel_free(client);
	channel_free(server);
}

static void
test_frame_layout(void **state)
{
	struct channel *client, *server;
	struct buf wire = BUF_INIT;
	uint8_t *msg;
	size_t len = CHANNEL_CHUNK_MAX + 1, blen;

	(void)state;
	channel_pair(&client, &server, 1u << 20, 1u << 20);
	msg = calloc(1, len);
	assert_non_null(msg);
	assert_int_equal(channel_seal(client, msg, len, &wire), 0);
	/* A full frame is exactly FRAME_MAX_BODY, the rest is 1 + 1 + tag. */
	assert_int_equal(wire.len,
	    2 * FRAME_HEADER_LEN + FRAME_MAX_BODY + 1 + 1 + NOISE_TAG_LEN);
	assert_int_equal(frame_parse_header(wire.data, wire.len, &blen), 0);
	assert_int_equal(blen, FRAME_MAX_BODY);
	assert_int_equal(frame_parse_header(wire.data + FRAME_HEADER_LEN + blen,
			     wire.len - FRAME_HEADER_LEN - blen, &blen),
	    0);
	assert_int_equal(blen, 1 + 1 + NOISE_TAG_LEN);
	buf_free(&wire);
	free(msg);
	channel_free(client);
	channel_free(server);
}

static void
test_too_large(void **state)
{
	struct channel *client, *server;
	struct buf wire = BUF_INIT;
	const uint8_t *got;
	uint8_t *msg;
	size_t got_len, frames;

	(void)state;
	msg = calloc(1, 200 * 1024);
	assert_non_null(msg);

	/* One frame over the limit. */
	channel_pair(&client, &server, 1000, 1000);
	roundtrip(client, server, 1000);
	assert_int_equal(channel_seal(client, msg, 1001, &wire), 0);
	assert_int_equal(feed(server, &wire, &frames, &got, &got_len),
	    ERR_MESSAGE_TOO_LARGE);
	buf_free(&wire);
	channel_free(client);
	channel_free(server);

	/* Several frames: refused on the frame that crosses the limit. */
	channel_pair(&client, &server, 100000, 100000);
	roundtrip(client, server, 100000);
	assert_int_equal(channel_seal(client, msg, 200 * 1024, &wire), 0);
	assert_int_equal(feed(server, &wire, &frames, &got, &got_len),
	    ERR_MESSAGE_TOO_LARGE);
	assert_int_equal(frames, 2);
	buf_free(&wire);
	channel_free(client);
	channel_free(server);

	/* An empty message always fits, even with no room at all. */
	channel_pair(&client, &server, 0, 0);
	roundtrip(client, server, 0);
	assert_int_equal(channel_seal(client, msg, 1, &wire), 0);
	assert_int_equal(feed(server, &wire, &frames, &got, &got_len),
	    ERR_MESSAGE_TOO_LARGE);
	buf_free(&wire);
	channel_free(client);
	channel_free(server);
	free(msg);
}

/* A server channel plus the raw initiator cipher that feeds it. */
static void
raw_pair(
    struct channel **server, struct noise_cipher **tx, struct noise_cipher **rx)
{
	struct session s;

	session_new(&s);
	assert_int_equal(channel_new(server, s.rs, s.rr, 1u << 20), 0);
	*tx = s.is;
	*rx = s.ir;
}

static void
test_unknown_flags(void **state)
{
	const uint8_t bad_flags[] = { 0x02, 0x03, 0x80, 0xff, 0x40 };
	struct channel *server;
	struct noise_cipher *tx, *rx;
	uint8_t plain[2], ct[64];
	const uint8_t *got;
	size_t clen, got_len, i;

	(void)state;
	for (i = 0; i < sizeof(bad_flags); i++) {
		raw_pair(&server, &tx, &rx);
		/* A well-formed frame first, so the failure is the flags. */
		plain[0] = 0;
		plain[1] = 'a';
		assert_int_equal(
		    noise_encrypt(tx, plain, 2, ct, sizeof(ct), &clen), 0);
		assert_int_equal(
		    channel_open(server, ct, clen, &got, &got_len), 0);
		assert_int_equal(got_len, 1);
		assert_int_equal(got[0], 'a');

		plain[0] = bad_flags[i];
		plain[1] = 'b';
		assert_int_equal(
		    noise_encrypt(tx, plain, 2, ct, sizeof(ct), &clen), 0);
		assert_int_equal(channel_open(server, ct, clen, &got, &got_len),
		    ERR_PROTOCOL);
		channel_free(server);
		noise_cipher_free(tx);
		noise_cipher_free(rx);
	}
}

static void
test_short_frames(void **state)
{
	struct channel *server;
	struct noise_cipher *tx, *rx;
	uint8_t ct[64];
	const uint8_t *got;
	size_t clen, got_len;

	(void)state;
	raw_pair(&server, &tx, &rx);
	/* A bare tag authenticates but carries no flags byte. */
	assert_int_equal(noise_encrypt(tx, NULL, 0, ct, sizeof(ct), &clen), 0);
	assert_int_equal(clen, NOISE_TAG_LEN);
	assert_int_equal(channel_open(server, ct, clen, &got, &got_len),
	    ERR_FRAME_TOO_SMALL);
	assert_int_equal(
	    channel_open(server, ct, 1, &got, &got_len), ERR_FRAME_TOO_SMALL);
	channel_free(server);
	noise_cipher_free(tx);
	noise_cipher_free(rx);
}

static void
test_tampered(void **state)
{
	struct channel *client, *server;
	struct buf wire = BUF_INIT;
	const uint8_t *got;
	size_t got_len, frames, i;
	uint8_t msg[100];

	(void)state;
	memset(msg, 0x5a, sizeof(msg));
	for (i = FRAME_HEADER_LEN; i < FRAME_HEADER_LEN + 1 + 100 + 16; i++) {
		channel_pair(&client, &server, 1u << 20, 1u << 20);
		assert_int_equal(
		    channel_seal(client, msg, sizeof(msg), &wire), 0);
		assert_int_equal(wire.len, FRAME_HEADER_LEN + 1 + 100 + 16);
		wire.data[i] ^= 0x04;
		assert_int_equal(
		    feed(server, &wire, &frames, &got, &got_len), ERR_DECRYPT);
		buf_free(&wire);
		channel_free(client);
		channel_free(server);
	}

	/* Frames out of order break the nonce sequence. */
	channel_pair(&client, &server, 1u << 20, 1u << 20);
	{
		struct buf a = BUF_INIT, b = BUF_INIT;

		assert_int_equal(channel_seal(client, msg, 10, &a), 0);
		assert_int_equal(channel_seal(client, msg, 20, &b), 0);
		assert_int_equal(
		    feed(server, &b, &frames, &got, &got_len), ERR_DECRYPT);
		buf_free(&a);
		buf_free(&b);
	}
	channel_free(client);
	channel_free(server);
}

static void
test_frame_header(void **state)
{
	const uint8_t zero[4] = { 0, 0, 0, 0 };
	const uint8_t max[4] = { 0, 0, 0xff, 0xff };
	const uint8_t over[4] = { 0, 1, 0, 0 };
	const uint8_t huge[4] = { 0xff, 0xff, 0xff, 0xff };
	const uint8_t one[4] = { 0, 0, 0, 1 };
	struct buf out = BUF_INIT;
	uint8_t body[1] = { 7 };
	size_t n = 0;

	(void)state;
	assert_int_equal(frame_parse_header(one, 3, &n), ERR_AGAIN);
	assert_int_equal(frame_parse_header(zero, 4, &n), ERR_FRAME_TOO_SMALL);
	assert_int_equal(frame_parse_header(over, 4, &n), ERR_FRAME_TOO_LARGE);
	assert_int_equal(frame_parse_header(huge, 4, &n), ERR_FRAME_TOO_LARGE);
	assert_int_equal(frame_parse_header(max, 4, &n), 0);
	assert_int_equal(n, FRAME_MAX_BODY);
	assert_int_equal(frame_parse_header(one, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(frame_append(&out, body, 0), ERR_FRAME_TOO_LARGE);
	assert_int_equal(frame_append(&out, body, 1), 0);
	assert_int_equal(out.len, 5);
	assert_memory_equal(out.data, "\0\0\0\1\7", 5);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_frame_layout),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_unknown_flags),
		cmocka_unit_test(test_short_frames),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_frame_header),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
