/*
 * Fuzzes the server's side of the channel: a stream of frames arriving after
 * a completed handshake, each opened by channel_open, each whole message
 * unpacked as a tier.Request. The handshake uses fixed keys and ephemerals, so
 * frames in the seed corpus (encrypted by the initiator from nonce 0) decrypt.
 * Its messages 1 and 3 are computed once; each input replays only the
 * responder, because a channel's nonces must start from zero every time.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "channel.h"
#include "err.h"
#include "frame.h"
#include "msg.h"
#include "noise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fixed test keys: byte i of key "tag" is tag + i. */
#define KEY_INIT_STATIC    0x10
#define KEY_INIT_EPHEMERAL 0x40
#define KEY_RESP_STATIC    0x70
#define KEY_RESP_EPHEMERAL 0xa0

static uint8_t msg1[128], msg3[128]; /* the initiator's handshake messages */
static size_t msg1_len, msg3_len;    /* their lengths, once computed */

static void
fixed_key(uint8_t k[32], uint8_t tag)
{
	size_t i;

	for (i = 0; i < 32; i++)
		k[i] = (uint8_t)(tag + i);
}

static struct noise_hs *
responder_new(void)
{
	struct noise_hs *hs;
	uint8_t s[32], e[32];

	fixed_key(s, KEY_RESP_STATIC);
	fixed_key(e, KEY_RESP_EPHEMERAL);
	if (noise_hs_new(&hs, NOISE_TIER_PROTOCOL, NOISE_RESPONDER,
		(const uint8_t *)MSG_PROLOGUE, strlen(MSG_PROLOGUE), s,
		NULL) != 0)
		abort();
	if (noise_hs_set_ephemeral(hs, e) != 0)
		abort();
	return hs;
}

/* Runs the whole handshake once and keeps the initiator's messages. */
static void
record_handshake(void)
{
	struct noise_hs *init, *resp;
	uint8_t s[32], e[32], msg2[256], pt[256];
	size_t msg2_len, n;

	fixed_key(s, KEY_INIT_STATIC);
	fixed_key(e, KEY_INIT_EPHEMERAL);
	if (noise_hs_new(&init, NOISE_TIER_PROTOCOL, NOISE_INITIATOR,
		(const uint8_t *)MSG_PROLOGUE, strlen(MSG_PROLOGUE), s,
		NULL) != 0 ||
	    noise_hs_set_ephemeral(init, e) != 0)
		abort();
	resp = responder_new();
	if (noise_hs_write(init, NULL, 0, msg1, sizeof(msg1), &msg1_len) != 0 ||
	    noise_hs_read(resp, msg1, msg1_len, pt, sizeof(pt), &n) != 0 ||
	    noise_hs_write(resp, NULL, 0, msg2, sizeof(msg2), &msg2_len) != 0 ||
	    noise_hs_read(init, msg2, msg2_len, pt, sizeof(pt), &n) != 0 ||
	    noise_hs_write(init, NULL, 0, msg3, sizeof(msg3), &msg3_len) != 0)
		abort();
	noise_hs_free(init);
	noise_hs_free(resp);
}

/* The server's channel at nonce zero, as after a real handshake. */
static struct channel *
server_channel(void)
{
	struct noise_hs *hs = responder_new();
	struct noise_cipher *send, *recv;
	struct channel *ch;
	uint8_t out[256], pt[256];
	size_t n;

	if (noise_hs_read(hs, msg1, msg1_len, pt, sizeof(pt), &n) != 0 ||
	    noise_hs_write(hs, NULL, 0, out, sizeof(out), &n) != 0 ||
	    noise_hs_read(hs, msg3, msg3_len, pt, sizeof(pt), &n) != 0 ||
	    noise_hs_split(hs, &send, &recv) != 0)
		abort();
	noise_hs_free(hs);
	if (channel_new(&ch, send, recv, MSG_MAX_REQUEST) != 0)
		abort();
	return ch;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct channel *ch;
	const uint8_t *msg;
	size_t off = 0, body_len, msg_len;
	Tier__Request *req;
	int r;

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		record_handshake();
		ready = 1;
	}
	ch = server_channel();
	while (off < size) {
		r = frame_parse_header(data + off, size - off, &body_len);
		if (r != 0)
			break;
		off += FRAME_HEADER_LEN;
		if (body_len > size - off)
			break;
		r = channel_open(ch, data + off, body_len, &msg, &msg_len);
		off += body_len;
		if (r == ERR_AGAIN)
			continue;
		if (r != 0)
			break;
		req = tier__request__unpack(NULL, msg_len, msg);
		if (req != NULL)
			tier__request__free_unpacked(req, NULL);
	}
	channel_free(ch);
	return 0;
}
