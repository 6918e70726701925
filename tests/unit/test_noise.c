/*
 * Tests of common/noise.c: replays every published 25519/ChaChaPoly/BLAKE2b
 * vector byte for byte, then checks the failure paths (tampering, prologue
 * mismatch, low-order keys, turn order, sizes) and a random-key XX session.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "err.h"
#include "noise.h"

#define VECTOR_FILE TEST_DATA_DIR "/noise-25519-chachapoly-blake2b.json"
#define MSG_BUF     (NOISE_MAX_MESSAGE + 1024)

static const char *prologue_a = "tier protocol 1";
static const char *prologue_b = "tier protocol 2";

/* Decodes a hex string into a fresh malloc'd buffer; *len gets its size. */
static uint8_t *
hex_decode(const char *hex, size_t *len)
{
	size_t hlen = strlen(hex);
	uint8_t *out;

	out = malloc(hlen / 2 + 1);
	assert_non_null(out);
	assert_int_equal(
	    sodium_hex2bin(out, hlen / 2 + 1, hex, hlen, NULL, len, NULL), 0);
	assert_int_equal(*len, hlen / 2);
	return out;
}

/* Decodes a field that must be exactly 32 bytes, or returns NULL if absent. */
static uint8_t *
vector_key(json_t *v, const char *field)
{
	json_t *j = json_object_get(v, field);
	uint8_t *k;
	size_t len;

	if (j == NULL)
		return NULL;
	assert_true(json_is_string(j));
	k = hex_decode(json_string_value(j), &len);
	assert_int_equal(len, NOISE_KEY_LEN);
	return k;
}

/* Runs one vector: both sides, every message, byte-exact comparison. */
static void
run_vector(json_t *v)
{
	const char *name = json_string_value(json_object_get(v, "name"));
	json_t *msgs = json_object_get(v, "messages");
	uint8_t *ipro, *rpro, *is, *ie, *irs, *rs, *re, *rrs;
	size_t ipro_len, rpro_len, i;
	struct noise_hs *init = NULL, *resp = NULL;
	struct noise_cipher *isend = NULL, *irecv = NULL, *rsend = NULL,
			    *rrecv = NULL;
	uint8_t hi[NOISE_HASH_LEN], hr[NOISE_HASH_LEN], key[NOISE_KEY_LEN];
	uint8_t *out, *plain;
	size_t hs_msgs = 0;

	assert_non_null(name);
	assert_true(json_is_array(msgs));
	assert_true(json_array_size(msgs) > 0);
	ipro = hex_decode(
	    json_string_value(json_object_get(v, "init_prologue")), &ipro_len);
	rpro = hex_decode(
	    json_string_value(json_object_get(v, "resp_prologue")), &rpro_len);
	is = vector_key(v, "init_static");
	ie = vector_key(v, "init_ephemeral");
	irs = vector_key(v, "init_remote_static");
	rs = vector_key(v, "resp_static");
	re = vector_key(v, "resp_ephemeral");
	rrs = vector_key(v, "resp_remote_static");
	assert_non_null(ie);
	assert_non_null(re);

	assert_int_equal(
	    noise_hs_new(&init, name, NOISE_INITIATOR, ipro, ipro_len, is, irs),
	    0);
	assert_int_equal(
	    noise_hs_new(&resp, name, NOISE_RESPONDER, rpro, rpro_len, rs, rrs),
	    0);
	assert_int_equal(noise_hs_set_ephemeral(init, ie), 0);
	assert_int_equal(noise_hs_set_ephemeral(resp, re), 0);

	out = malloc(MSG_BUF);
	plain = malloc(MSG_BUF);
	assert_non_null(out);
	assert_non_null(plain);

	for (i = 0; i < json_array_size(msgs); i++) {
		json_t *m = json_array_get(msgs, i);
		uint8_t *payload, *ct;
		size_t payload_len, ct_len, out_len, plain_len;
		int init_sends = i % 2 == 0;
		struct noise_hs *tx = init_sends ? init : resp;
		struct noise_hs *rx = init_sends ? resp : init;

		payload =
		    hex_decode(json_string_value(json_object_get(m, "payload")),
			&payload_len);
		ct = hex_decode(
		    json_string_value(json_object_get(m, "ciphertext")),
		    &ct_len);

		if (noise_hs_next(init) != NOISE_ACTION_SPLIT) {
			assert_int_equal(noise_hs_next(tx), NOISE_ACTION_WRITE);
			assert_int_equal(noise_hs_next(rx), NOISE_ACTION_READ);
			assert_int_equal(
			    noise_hs_write(tx, payload, payload_len, out,
				MSG_BUF, &out_len),
			    0);
			assert_int_equal(out_len, ct_len);
			assert_memory_equal(out, ct, ct_len);
			assert_int_equal(noise_hs_read(rx, out, out_len, plain,
					     MSG_BUF, &plain_len),
			    0);
			hs_msgs++;
			if (noise_hs_next(init) == NOISE_ACTION_SPLIT) {
				assert_int_equal(
				    noise_hs_next(resp), NOISE_ACTION_SPLIT);
				assert_int_equal(
				    noise_hs_split(init, &isend, &irecv), 0);
				assert_int_equal(
				    noise_hs_split(resp, &rsend, &rrecv), 0);
				noise_hs_hash(init, hi);
				noise_hs_hash(resp, hr);
				assert_memory_equal(hi, hr, sizeof(hi));
			}
		} else {
			struct noise_cipher *ctx = init_sends ? isend : rsend;
			struct noise_cipher *crx = init_sends ? rrecv : irecv;

			assert_int_equal(
			    noise_encrypt(ctx, payload, payload_len, out,
				MSG_BUF, &out_len),
			    0);
			assert_int_equal(out_len, ct_len);
			assert_memory_equal(out, ct, ct_len);
			assert_int_equal(noise_decrypt(crx, out, out_len, plain,
					     MSG_BUF, &plain_len),
			    0);
		}
		assert_int_equal(plain_len, payload_len);
		if (payload_len > 0)
			assert_memory_equal(plain, payload, payload_len);
		free(payload);
		free(ct);
	}
	/* Every vector goes past its handshake into transport messages. */
	assert_non_null(isend);
	assert_true(hs_msgs < json_array_size(msgs));

	/* Whichever side learned the other's static key reports the right one.
	 */
	if (is != NULL) {
		uint8_t pub[NOISE_KEY_LEN];

		crypto_scalarmult_base(pub, is);
		assert_int_equal(noise_hs_remote_static(resp, key), 0);
		assert_memory_equal(key, pub, sizeof(pub));
	} else {
		assert_int_equal(
		    noise_hs_remote_static(resp, key), ERR_NOT_FOUND);
	}
	if (rs != NULL) {
		uint8_t pub[NOISE_KEY_LEN];

		crypto_scalarmult_base(pub, rs);
		assert_int_equal(noise_hs_remote_static(init, key), 0);
		assert_memory_equal(key, pub, sizeof(pub));
	}

	noise_cipher_free(isend);
	noise_cipher_free(irecv);
	noise_cipher_free(rsend);
	noise_cipher_free(rrecv);
	noise_hs_free(init);
	noise_hs_free(resp);
	free(out);
	free(plain);
	free(ipro);
	free(rpro);
	free(is);
	free(ie);
	free(irs);
	free(rs);
	free(re);
	free(rrs);
}

static void
test_vectors(void **state)
{
	const char *want[] = { "NN", "NK", "XK", "IK", "XX" };
	int seen[sizeof(want) / sizeof(want[0])] = { 0 };
	json_error_t jerr;
	json_t *root, *vecs, *v;
	size_t i, j;

	(void)state;
	root = json_load_file(VECTOR_FILE, 0, &jerr);
	if (root == NULL)
		fail_msg("%s:%d: %s", VECTOR_FILE, jerr.line, jerr.text);
	vecs = json_object_get(root, "vectors");
	assert_true(json_is_array(vecs));
	json_array_foreach(vecs, i, v)
	{
		const char *pat =
		    json_string_value(json_object_get(v, "pattern"));

		assert_non_null(pat);
		for (j = 0; j < sizeof(want) / sizeof(want[0]); j++)
			if (strcmp(pat, want[j]) == 0)
				seen[j]++;
		run_vector(v);
	}
	for (j = 0; j < sizeof(want) / sizeof(want[0]); j++)
		if (seen[j] == 0)
			fail_msg("no vector for pattern %s", want[j]);
	json_decref(root);
}

/* A fresh XX pair with random statics; keys are returned when asked for. */
static void
xx_pair(struct noise_hs **init, struct noise_hs **resp, const char *ipro,
    const char *rpro, uint8_t is_pub[32], uint8_t rs_pub[32])
{
	uint8_t is[NOISE_KEY_LEN], rs[NOISE_KEY_LEN];

	randombytes_buf(is, sizeof(is));
	randombytes_buf(rs, sizeof(rs));
	if (is_pub != NULL)
		crypto_scalarmult_base(is_pub, is);
	if (rs_pub != NULL)
		crypto_scalarmult_base(rs_pub, rs);
	assert_int_equal(
	    noise_hs_new(init, NOISE_TIER_PROTOCOL, NOISE_INITIATOR,
		(const uint8_t *)ipro, strlen(ipro), is, NULL),
	    0);
	assert_int_equal(
	    noise_hs_new(resp, NOISE_TIER_PROTOCOL, NOISE_RESPONDER,
		(const uint8_t *)rpro, strlen(rpro), rs, NULL),
	    0);
	sodium_memzero(is, sizeof(is));
	sodium_memzero(rs, sizeof(rs));
}

/* Passes one handshake message from tx to rx, carrying payload. */
static void
pass(struct noise_hs *tx, struct noise_hs *rx, const char *payload)
{
	uint8_t msg[1024], plain[1024];
	size_t mlen, plen;

	assert_int_equal(noise_hs_write(tx, (const uint8_t *)payload,
			     strlen(payload), msg, sizeof(msg), &mlen),
	    0);
	assert_int_equal(
	    noise_hs_read(rx, msg, mlen, plain, sizeof(plain), &plen), 0);
	assert_int_equal(plen, strlen(payload));
	assert_memory_equal(plain, payload, plen);
}

static void
test_xx_random_roundtrip(void **state)
{
	struct noise_hs *init, *resp;
	struct noise_cipher *is, *ir, *rsend, *rr;
	uint8_t is_pub[32], rs_pub[32], key[32];
	uint8_t hi[NOISE_HASH_LEN], hr[NOISE_HASH_LEN];
	uint8_t ct[256], pt[256];
	size_t clen, plen;
	int k;

	(void)state;
	xx_pair(&init, &resp, prologue_a, prologue_a, is_pub, rs_pub);
	assert_int_equal(noise_hs_remote_static(init, key), ERR_NOT_FOUND);
	assert_int_equal(noise_hs_remote_static(resp, key), ERR_NOT_FOUND);
	assert_int_equal(noise_hs_split(init, &is, &ir), ERR_HANDSHAKE);
	pass(init, resp, "");
	pass(resp, init, "server hello");
	assert_int_equal(noise_hs_remote_static(init, key), 0);
	assert_memory_equal(key, rs_pub, 32);
	assert_int_equal(noise_hs_remote_static(resp, key), ERR_NOT_FOUND);
	pass(init, resp, "client hello");
	assert_int_equal(noise_hs_remote_static(resp, key), 0);
	assert_memory_equal(key, is_pub, 32);
	assert_int_equal(noise_hs_next(init), NOISE_ACTION_SPLIT);
	assert_int_equal(noise_hs_next(resp), NOISE_ACTION_SPLIT);

	assert_int_equal(noise_hs_split(init, &is, &ir), 0);
	assert_int_equal(noise_hs_split(resp, &rsend, &rr), 0);
	noise_hs_hash(init, hi);
	noise_hs_hash(resp, hr);
	assert_memory_equal(hi, hr, sizeof(hi));
	{
		/* A second split would reuse consumed keys: refused. */
		struct noise_cipher *a, *b;

		assert_int_equal(noise_hs_split(init, &a, &b), ERR_HANDSHAKE);
		assert_null(a);
		assert_null(b);
	}

	for (k = 0; k < 5; k++) {
		char text[64];
		int n = snprintf(text, sizeof(text), "message %d", k);

		assert_int_equal(noise_encrypt(is, (const uint8_t *)text,
				     (size_t)n, ct, sizeof(ct), &clen),
		    0);
		assert_int_equal(clen, (size_t)n + NOISE_TAG_LEN);
		assert_int_equal(
		    noise_decrypt(rr, ct, clen, pt, sizeof(pt), &plen), 0);
		assert_int_equal(plen, (size_t)n);
		assert_memory_equal(pt, text, plen);

		assert_int_equal(noise_encrypt(rsend, (const uint8_t *)text,
				     (size_t)n, ct, sizeof(ct), &clen),
		    0);
		assert_int_equal(
		    noise_decrypt(ir, ct, clen, pt, sizeof(pt), &plen), 0);
		assert_int_equal(plen, (size_t)n);
		assert_memory_equal(pt, text, plen);
	}
	/* Directions use different keys: a message cannot be reflected. */
	assert_int_equal(
	    noise_encrypt(is, (const uint8_t *)"x", 1, ct, sizeof(ct), &clen),
	    0);
	assert_int_equal(
	    noise_decrypt(ir, ct, clen, pt, sizeof(pt), &plen), ERR_DECRYPT);
	/* Empty plaintext is a bare tag and still authenticates. */
	assert_int_equal(noise_decrypt(rr, ct, clen, pt, sizeof(pt), &plen), 0);
	assert_int_equal(noise_encrypt(is, NULL, 0, ct, sizeof(ct), &clen), 0);
	assert_int_equal(clen, NOISE_TAG_LEN);
	assert_int_equal(noise_decrypt(rr, ct, clen, NULL, 0, &plen), 0);
	assert_int_equal(plen, 0);

	noise_cipher_free(is);
	noise_cipher_free(ir);
	noise_cipher_free(rsend);
	noise_cipher_free(rr);
	noise_hs_free(init);
	noise_hs_free(resp);
}

/* Completes an XX handshake and returns both sides' cipher states. */
static void
xx_session(struct noise_cipher **is, struct noise_cipher **ir,
    struct noise_cipher **rsend, struct noise_cipher **rr)
{
	struct noise_hs *init, *resp;

	xx_pair(&init, &resp, prologue_a, prologue_a, NULL, NULL);
	pass(init, resp, "");
	pass(resp, init, "");
	pass(init, resp, "");
	assert_int_equal(noise_hs_split(init, is, ir), 0);
	assert_int_equal(noise_hs_split(resp, rsend, rr), 0);
	noise_hs_free(init);
	noise_hs_free(resp);
}

static void
test_transport_tampered(void **state)
{
	struct noise_cipher *is, *ir, *rsend, *rr;
	uint8_t ct[128], bad[128], pt[128];
	size_t clen, plen, i;

	(void)state;
	xx_session(&is, &ir, &rsend, &rr);
	assert_int_equal(noise_encrypt(is, (const uint8_t *)"attack at dawn",
			     14, ct, sizeof(ct), &clen),
	    0);
	/* Every byte, body and tag, is covered; failures leave the nonce. */
	for (i = 0; i < clen; i++) {
		memcpy(bad, ct, clen);
		bad[i] ^= 0x01;
		assert_int_equal(
		    noise_decrypt(rr, bad, clen, pt, sizeof(pt), &plen),
		    ERR_DECRYPT);
	}
	assert_int_equal(noise_decrypt(rr, ct, clen - 1, pt, sizeof(pt), &plen),
	    ERR_DECRYPT);
	assert_int_equal(noise_decrypt(rr, ct, 15, pt, sizeof(pt), &plen),
	    ERR_FRAME_TOO_SMALL);
	assert_int_equal(
	    noise_decrypt(rr, ct, clen, pt, 13, &plen), ERR_BUFFER_TOO_SMALL);
	assert_int_equal(noise_decrypt(rr, ct, clen, pt, sizeof(pt), &plen), 0);
	assert_int_equal(plen, 14);
	assert_memory_equal(pt, "attack at dawn", 14);
	/* Replaying it fails: the nonce moved on. */
	assert_int_equal(
	    noise_decrypt(rr, ct, clen, pt, sizeof(pt), &plen), ERR_DECRYPT);
	noise_cipher_free(is);
	noise_cipher_free(ir);
	noise_cipher_free(rsend);
	noise_cipher_free(rr);
}

static void
test_transport_sizes(void **state)
{
	struct noise_cipher *is, *ir, *rsend, *rr;
	uint8_t *big, *ct, *pt;
	size_t clen, plen;

	(void)state;
	xx_session(&is, &ir, &rsend, &rr);
	big = calloc(1, NOISE_MAX_MESSAGE + 1);
	ct = malloc(MSG_BUF);
	pt = malloc(MSG_BUF);
	assert_non_null(big);
	assert_non_null(ct);
	assert_non_null(pt);
	randombytes_buf(big, NOISE_MAX_MESSAGE);

	assert_int_equal(
	    noise_encrypt(is, big, NOISE_MAX_MESSAGE - NOISE_TAG_LEN + 1, ct,
		MSG_BUF, &clen),
	    ERR_MESSAGE_TOO_LARGE);
	assert_int_equal(
	    noise_encrypt(is, big, 10, ct, 10 + NOISE_TAG_LEN - 1, &clen),
	    ERR_BUFFER_TOO_SMALL);
	assert_int_equal(
	    noise_encrypt(
		is, big, NOISE_MAX_MESSAGE - NOISE_TAG_LEN, ct, MSG_BUF, &clen),
	    0);
	assert_int_equal(clen, NOISE_MAX_MESSAGE);
	assert_int_equal(noise_decrypt(rr, ct, clen + 1, pt, MSG_BUF, &plen),
	    ERR_MESSAGE_TOO_LARGE);
	assert_int_equal(noise_decrypt(rr, ct, clen, pt, MSG_BUF, &plen), 0);
	assert_int_equal(plen, NOISE_MAX_MESSAGE - NOISE_TAG_LEN);
	assert_memory_equal(pt, big, plen);

	free(big);
	free(ct);
	free(pt);
	noise_cipher_free(is);
	noise_cipher_free(ir);
	noise_cipher_free(rsend);
	noise_cipher_free(rr);
}

static void
test_handshake_tampered(void **state)
{
	struct noise_hs *init, *resp;
	uint8_t msg[512], pt[512];
	size_t mlen, plen, i;

	(void)state;
	/* Flip each byte of message 2 in a fresh handshake: never accepted. */
	for (i = 0; i < 32 + 48 + 16 + 5; i++) {
		xx_pair(&init, &resp, prologue_a, prologue_a, NULL, NULL);
		pass(init, resp, "");
		assert_int_equal(noise_hs_write(resp, (const uint8_t *)"hello",
				     5, msg, sizeof(msg), &mlen),
		    0);
		assert_int_equal(mlen, 32 + 48 + 16 + 5);
		msg[i] ^= 0x80;
		assert_int_not_equal(
		    noise_hs_read(init, msg, mlen, pt, sizeof(pt), &plen), 0);
		assert_int_equal(noise_hs_next(init), NOISE_ACTION_FAILED);
		noise_hs_free(init);
		noise_hs_free(resp);
	}

	/* A change in the encrypted part is a tag failure specifically. */
	xx_pair(&init, &resp, prologue_a, prologue_a, NULL, NULL);
	pass(init, resp, "");
	assert_int_equal(noise_hs_write(resp, (const uint8_t *)"hello", 5, msg,
			     sizeof(msg), &mlen),
	    0);
	msg[mlen - 1] ^= 0x01;
	assert_int_equal(
	    noise_hs_read(init, msg, mlen, pt, sizeof(pt), &plen), ERR_DECRYPT);
	assert_int_equal(noise_hs_next(init), NOISE_ACTION_FAILED);
	/* A failed state stays failed. */
	msg[mlen - 1] ^= 0x01;
	assert_int_equal(noise_hs_read(init, msg, mlen, pt, sizeof(pt), &plen),
	    ERR_HANDSHAKE);
	noise_hs_free(init);
	noise_hs_free(resp);

	/* Truncated messages are malformed. */
	xx_pair(&init, &resp, prologue_a, prologue_a, NULL, NULL);
	assert_int_equal(
	    noise_hs_read(resp, msg, 31, pt, sizeof(pt), &plen), ERR_HANDSHAKE);
	assert_int_equal(noise_hs_next(resp), NOISE_ACTION_FAILED);
	noise_hs_free(init);
	noise_hs_free(resp);

	xx_pair(&init, &resp, prologue_a, prologue_a, NULL, NULL);
	pass(init, resp, "");
	assert_int_equal(
	    noise_hs_write(resp, NULL, 0, msg, sizeof(msg), &mlen), 0);
	assert_int_equal(mlen, 32 + 48 + 16);
	assert_int_equal(
	    noise_hs_read(init, msg, mlen - 1, pt, sizeof(pt), &plen),
	    ERR_HANDSHAKE);
	noise_hs_free(init);
	noise_hs_free(resp);
}

static void
test_prologue_mismatch(void **state)
{
	struct noise_hs *init, *resp;
	uint8_t msg[512], pt[512];
	size_t mlen, plen;

	(void)state;
	xx_pair(&init, &resp, prologue_a, prologue_b, NULL, NULL);
	/* Message 1 carries no key yet, so the responder cannot notice. */
	pass(init, resp, "");
	assert_int_equal(
	    noise_hs_write(resp, NULL, 0, msg, sizeof(msg), &mlen), 0);
	assert_int_equal(
	    noise_hs_read(init, msg, mlen, pt, sizeof(pt), &plen), ERR_DECRYPT);
	assert_int_equal(noise_hs_next(init), NOISE_ACTION_FAILED);
	noise_hs_free(init);
	noise_hs_free(resp);
}

static void
test_bad_keys(void **state)
{
	/* Curve25519 points of small order, little-endian u coordinates. */
	static const uint8_t low_order[][32] = {
		{ 0 },
		{ 1 },
		{ 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56,
		    0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb,
		    0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
		    0xb8, 0x00 },
	};
	struct noise_hs *init, *resp;
	uint8_t msg[512], pt[512];
	size_t mlen, plen, i;

	(void)state;
	for (i = 0; i < sizeof(low_order) / sizeof(low_order[0]); i++) {
		/* Pre-shared responder key (NK): the initiator's es fails. */
		assert_int_equal(
		    noise_hs_new(&init, "Noise_NK_25519_ChaChaPoly_BLAKE2b",
			NOISE_INITIATOR, NULL, 0, NULL, low_order[i]),
		    0);
		assert_int_equal(
		    noise_hs_write(init, NULL, 0, msg, sizeof(msg), &mlen),
		    ERR_BAD_KEY);
		assert_int_equal(noise_hs_next(init), NOISE_ACTION_FAILED);
		noise_hs_free(init);

		/* XX responder given a low-order ephemeral fails on ee. */
		xx_pair(&init, &resp, prologue_a, prologue_a, NULL, NULL);
		memcpy(msg, low_order[i], 32);
		assert_int_equal(
		    noise_hs_read(resp, msg, 32, pt, sizeof(pt), &plen), 0);
		assert_int_equal(
		    noise_hs_write(resp, NULL, 0, msg, sizeof(msg), &mlen),
		    ERR_BAD_KEY);
		assert_int_equal(noise_hs_next(resp), NOISE_ACTION_FAILED);
		noise_hs_free(init);
		noise_hs_free(resp);

		/* XX initiator reading a low-order ephemeral fails on ee. */
		xx_pair(&init, &resp, prologue_a, prologue_a, NULL, NULL);
		pass(init, resp, "");
		assert_int_equal(
		    noise_hs_write(resp, NULL, 0, msg, sizeof(msg), &mlen), 0);
		memcpy(msg, low_order[i], 32);
		assert_int_equal(
		    noise_hs_read(init, msg, mlen, pt, sizeof(pt), &plen),
		    ERR_BAD_KEY);
		assert_int_equal(noise_hs_next(init), NOISE_ACTION_FAILED);
		noise_hs_free(init);
		noise_hs_free(resp);
	}
}

static void
test_out_of_turn(void **state)
{
	struct noise_hs *init, *resp;
	uint8_t msg[512], pt[512];
	size_t mlen, plen;

	(void)state;
	xx_pair(&init, &resp, prologue_a, prologue_a, NULL, NULL);
	assert_int_equal(noise_hs_next(init), NOISE_ACTION_WRITE);
	assert_int_equal(noise_hs_next(resp), NOISE_ACTION_READ);
	assert_int_equal(noise_hs_write(resp, NULL, 0, msg, sizeof(msg), &mlen),
	    ERR_HANDSHAKE);
	assert_int_equal(noise_hs_next(resp), NOISE_ACTION_FAILED);
	noise_hs_free(resp);
	resp = NULL;

	assert_int_equal(
	    noise_hs_write(init, NULL, 0, msg, sizeof(msg), &mlen), 0);
	assert_int_equal(noise_hs_next(init), NOISE_ACTION_READ);
	/* Writing twice in a row is out of turn too. */
	assert_int_equal(noise_hs_write(init, NULL, 0, msg, sizeof(msg), &mlen),
	    ERR_HANDSHAKE);
	assert_int_equal(noise_hs_next(init), NOISE_ACTION_FAILED);
	noise_hs_free(init);

	/* Reading before anything was sent. */
	xx_pair(&init, &resp, prologue_a, prologue_a, NULL, NULL);
	memset(msg, 0x42, 32);
	assert_int_equal(
	    noise_hs_read(init, msg, 32, pt, sizeof(pt), &plen), ERR_HANDSHAKE);
	assert_int_equal(noise_hs_next(init), NOISE_ACTION_FAILED);
	noise_hs_free(init);
	noise_hs_free(resp);
}

static void
test_new_arguments(void **state)
{
	struct noise_hs *hs = (struct noise_hs *)&hs;
	uint8_t s[32], pub[32], e[32];
	const char *bad_names[] = {
		"",
		"Noise_XX_25519_ChaChaPoly_BLAKE2",
		"Noise_XX_25519_ChaChaPoly_BLAKE2bb",
		"Noise_XX_448_ChaChaPoly_BLAKE2b",
		"Noise_XX_25519_AESGCM_BLAKE2b",
		"Noise_XX_25519_ChaChaPoly_SHA256",
		"Noise_KK_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b",
		"noise_XX_25519_ChaChaPoly_BLAKE2b",
		"Noise_X_25519_ChaChaPoly_BLAKE2b",
	};
	size_t i;

	(void)state;
	randombytes_buf(s, sizeof(s));
	crypto_scalarmult_base(pub, s);
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		assert_int_equal(noise_hs_new(&hs, bad_names[i],
				     NOISE_INITIATOR, NULL, 0, s, NULL),
		    ERR_INVALID_ARG);
		assert_null(hs);
	}
	/* XX needs our static; NK's initiator needs the responder's. */
	assert_int_equal(noise_hs_new(&hs, NOISE_TIER_PROTOCOL, NOISE_INITIATOR,
			     NULL, 0, NULL, NULL),
	    ERR_INVALID_ARG);
	assert_int_equal(noise_hs_new(&hs, NOISE_TIER_PROTOCOL, NOISE_RESPONDER,
			     NULL, 0, NULL, NULL),
	    ERR_INVALID_ARG);
	assert_int_equal(noise_hs_new(&hs, "Noise_NK_25519_ChaChaPoly_BLAKE2b",
			     NOISE_INITIATOR, NULL, 0, NULL, NULL),
	    ERR_INVALID_ARG);
	assert_int_equal(noise_hs_new(&hs, "Noise_NK_25519_ChaChaPoly_BLAKE2b",
			     NOISE_RESPONDER, NULL, 0, NULL, NULL),
	    ERR_INVALID_ARG);
	/* A peer key XX would never check is refused, not ignored. */
	assert_int_equal(noise_hs_new(&hs, NOISE_TIER_PROTOCOL, NOISE_INITIATOR,
			     NULL, 0, s, pub),
	    ERR_INVALID_ARG);
	assert_int_equal(noise_hs_new(&hs, "Noise_NN_25519_ChaChaPoly_BLAKE2b",
			     NOISE_INITIATOR, NULL, 0, NULL, NULL),
	    0);
	noise_hs_free(hs);
	noise_hs_free(NULL);
	noise_cipher_free(NULL);

	/* The ephemeral can be fixed once, before the first message. */
	assert_int_equal(noise_hs_new(&hs, NOISE_TIER_PROTOCOL, NOISE_INITIATOR,
			     NULL, 0, s, NULL),
	    0);
	randombytes_buf(e, sizeof(e));
	assert_int_equal(noise_hs_set_ephemeral(hs, e), 0);
	assert_int_equal(noise_hs_set_ephemeral(hs, e), ERR_INVALID_ARG);
	noise_hs_free(hs);
}

static void
test_handshake_sizes(void **state)
{
	struct noise_hs *init, *resp;
	uint8_t *payload, *msg, *pt;
	size_t mlen, plen;

	(void)state;
	payload = calloc(1, NOISE_MAX_MESSAGE + 1);
	msg = malloc(MSG_BUF);
	pt = malloc(MSG_BUF);
	assert_non_null(payload);
	assert_non_null(msg);
	assert_non_null(pt);

	/* Message 1 of XX: 32 bytes of e, then the plaintext payload. */
	xx_pair(&init, &resp, prologue_a, prologue_a, NULL, NULL);
	assert_int_equal(noise_hs_write(init, payload, NOISE_MAX_MESSAGE - 31,
			     msg, MSG_BUF, &mlen),
	    ERR_MESSAGE_TOO_LARGE);
	assert_int_equal(noise_hs_next(init), NOISE_ACTION_FAILED);
	noise_hs_free(init);
	noise_hs_free(resp);

	xx_pair(&init, &resp, prologue_a, prologue_a, NULL, NULL);
	assert_int_equal(noise_hs_write(init, payload, 10, msg, 41, &mlen),
	    ERR_BUFFER_TOO_SMALL);
	noise_hs_free(init);
	noise_hs_free(resp);

	xx_pair(&init, &resp, prologue_a, prologue_a, NULL, NULL);
	assert_int_equal(noise_hs_write(init, payload, NOISE_MAX_MESSAGE - 32,
			     msg, MSG_BUF, &mlen),
	    0);
	assert_int_equal(mlen, NOISE_MAX_MESSAGE);
	assert_int_equal(noise_hs_read(resp, msg, mlen, pt, 100, &plen),
	    ERR_BUFFER_TOO_SMALL);
	noise_hs_free(resp);
	resp = NULL;

	/* Message 2 of XX: e, encrypted s, encrypted payload. */
	{
		struct noise_hs *r2, *i2;

		xx_pair(&i2, &r2, prologue_a, prologue_a, NULL, NULL);
		pass(i2, r2, "");
		assert_int_equal(noise_hs_write(r2, payload,
				     NOISE_MAX_MESSAGE - 32 - 48 - 16 + 1, msg,
				     MSG_BUF, &mlen),
		    ERR_MESSAGE_TOO_LARGE);
		noise_hs_free(r2);
		noise_hs_free(i2);

		xx_pair(&i2, &r2, prologue_a, prologue_a, NULL, NULL);
		pass(i2, r2, "");
		assert_int_equal(
		    noise_hs_write(r2, payload,
			NOISE_MAX_MESSAGE - 32 - 48 - 16, msg, MSG_BUF, &mlen),
		    0);
		assert_int_equal(mlen, NOISE_MAX_MESSAGE);
		assert_int_equal(
		    noise_hs_read(i2, msg, mlen + 1, pt, MSG_BUF, &plen),
		    ERR_MESSAGE_TOO_LARGE);
		noise_hs_free(r2);
		noise_hs_free(i2);
	}
	noise_hs_free(init);
	free(payload);
	free(msg);
	free(pt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_xx_random_roundtrip),
		cmocka_unit_test(test_transport_tampered),
		cmocka_unit_test(test_transport_sizes),
		cmocka_unit_test(test_handshake_tampered),
		cmocka_unit_test(test_prologue_mismatch),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_out_of_turn),
		cmocka_unit_test(test_new_arguments),
		cmocka_unit_test(test_handshake_sizes),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
