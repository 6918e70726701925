/*
 * Enrolment codes: generation, normalisation of what people type, and the
 * hash under which a code is stored. Codes are 16 symbols of Crockford's
 * base32 (80 random bits), shown in groups of four; only their hashes reach
 * the database, so a copy of it cannot be used to enrol.
 */
#include "tierd.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>

#define ENROL_SYMBOLS 16
static const char enrol_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Hashes a normalised code; the prefix keeps these hashes apart from any
 * other BLAKE2b use. */
static void
enrol_hash_normalised(const char norm[ENROL_SYMBOLS], uint8_t hash[32])
{
	static const char prefix[] = "tier enrolment code v1:";
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(
	    &h, (const uint8_t *)prefix, sizeof(prefix) - 1);
	crypto_generichash_update(&h, (const uint8_t *)norm, ENROL_SYMBOLS);
	crypto_generichash_final(&h, hash, 32);
}

int
enrol_issue(struct store *st, int64_t user_id, long ttl, int64_t now,
    char code[ENROL_CODE_SIZE], int64_t *expires_at)
{
	uint8_t rnd[10], hash[32];
	char norm[ENROL_SYMBOLS];
	unsigned acc = 0, bits = 0;
	size_t i, j = 0, k = 0;
	int r;

	randombytes_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++) {
		acc = acc << 8 | rnd[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			norm[j++] = enrol_alphabet[(acc >> bits) & 31];
		}
	}
	for (i = 0; i < ENROL_SYMBOLS; i++) {
		if (i > 0 && i % 4 == 0)
			code[k++] = '-';
		code[k++] = norm[i];
	}
	code[k] = '\0';
	enrol_hash_normalised(norm, hash);
	*expires_at = now + ttl;
	r = store_code_insert(st, user_id, hash, *expires_at, now);
	sodium_memzero(rnd, sizeof(rnd));
	sodium_memzero(norm, sizeof(norm));
	return r;
}

int
enrol_hash(const char *typed, uint8_t hash[32])
{
	char norm[ENROL_SYMBOLS];
	size_t n = 0;
	int c;

	for (; *typed != '\0'; typed++) {
		c = toupper((unsigned char)*typed);
		if (c == '-' || c == ' ')
			continue;
		/* Crockford: read the letters people confuse with digits. */
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (c == 'U' || strchr(enrol_alphabet, c) == NULL || c == 0)
			return ERR_INVALID_ARG;
		if (n == ENROL_SYMBOLS)
			return ERR_INVALID_ARG;
		norm[n++] = (char)c;
	}
	if (n != ENROL_SYMBOLS)
		return ERR_INVALID_ARG;
	enrol_hash_normalised(norm, hash);
	sodium_memzero(norm, sizeof(norm));
	return 0;
}
