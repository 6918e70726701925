/*
 * Fuzzes the XX handshake with peer bytes, on both sides. Every key and
 * ephemeral is fixed, so a valid message in the seed corpus stays valid and
 * the fuzzer can reach the encrypted tokens. Input layout: byte 0 picks the
 * side (even: responder, odd: initiator). Responder: a 2-byte big-endian
 * length, message 1 of that length, then message 3. Initiator: message 2.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "msg.h"
#include "noise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fixed test keys: byte i of key "tag" is tag + i. */
#define KEY_INIT_STATIC    0x10
#define KEY_INIT_EPHEMERAL 0x40
#define KEY_RESP_STATIC    0x70
#define KEY_RESP_EPHEMERAL 0xa0

static uint8_t payload[NOISE_MAX_MESSAGE];
static uint8_t out[NOISE_MAX_MESSAGE];

static void
fixed_key(uint8_t k[32], uint8_t tag)
{
	size_t i;

	for (i = 0; i < 32; i++)
		k[i] = (uint8_t)(tag + i);
}

/* Moves the split cipher states through one message each way. */
static void
use_split(struct noise_hs *hs)
{
	struct noise_cipher *send = NULL, *recv = NULL;
	uint8_t ct[64], pt[64], rs[32], h[NOISE_HASH_LEN];
	size_t n;

	if (noise_hs_remote_static(hs, rs) != 0)
		return;
	noise_hs_hash(hs, h);
	if (noise_hs_split(hs, &send, &recv) != 0)
		return;
	if (noise_encrypt(send, h, 16, ct, sizeof(ct), &n) == 0)
		(void)noise_decrypt(recv, ct, n, pt, sizeof(pt), &n);
	noise_cipher_free(send);
	noise_cipher_free(recv);
}

static void
run_responder(const uint8_t *data, size_t size)
{
	struct noise_hs *hs = NULL;
	uint8_t s[32], e[32];
	size_t len1, n;

	if (size < 2)
		return;
	len1 = (size_t)data[0] << 8 | data[1];
	data += 2;
	size -= 2;
	if (len1 > size)
		len1 = size;
	fixed_key(s, KEY_RESP_STATIC);
	fixed_key(e, KEY_RESP_EPHEMERAL);
	if (noise_hs_new(&hs, NOISE_TIER_PROTOCOL, NOISE_RESPONDER,
		(const uint8_t *)MSG_PROLOGUE, strlen(MSG_PROLOGUE), s,
		NULL) != 0)
		return;
	if (noise_hs_set_ephemeral(hs, e) != 0)
		goto out;
	if (noise_hs_read(hs, data, len1, payload, sizeof(payload), &n) != 0)
		goto out;
	if (noise_hs_write(
		hs, (const uint8_t *)"hello", 5, out, sizeof(out), &n) != 0)
		goto out;
	if (noise_hs_read(hs, data + len1, size - len1, payload,
		sizeof(payload), &n) != 0)
		goto out;
	use_split(hs);
out:
	noise_hs_free(hs);
}

static void
run_initiator(const uint8_t *data, size_t size)
{
	struct noise_hs *hs = NULL;
	uint8_t s[32], e[32];
	size_t n;

	fixed_key(s, KEY_INIT_STATIC);
	fixed_key(e, KEY_INIT_EPHEMERAL);
	if (noise_hs_new(&hs, NOISE_TIER_PROTOCOL, NOISE_INITIATOR,
		(const uint8_t *)MSG_PROLOGUE, strlen(MSG_PROLOGUE), s,
		NULL) != 0)
		return;
	if (noise_hs_set_ephemeral(hs, e) != 0)
		goto out;
	if (noise_hs_write(hs, NULL, 0, out, sizeof(out), &n) != 0)
		goto out;
	if (noise_hs_read(hs, data, size, payload, sizeof(payload), &n) != 0)
		goto out;
	if (noise_hs_write(
		hs, (const uint8_t *)"hi", 2, out, sizeof(out), &n) != 0)
		goto out;
	use_split(hs);
out:
	noise_hs_free(hs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (sodium_init() < 0)
		return 0;
	if (data[0] & 1)
		run_initiator(data + 1, size - 1);
	else
		run_responder(data + 1, size - 1);
	return 0;
}
