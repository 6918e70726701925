/*
 * Noise Protocol Framework, revision 34, for 25519 / ChaChaPoly / BLAKE2b (see
 * noise.h). Owns the CipherState, SymmetricState and HandshakeState objects of
 * the specification and the table of handshake patterns. Handshake secrets
 * live in sodium_malloc memory; a transport CipherState (a key and a nonce,
 * kept as long as its connection) is in ordinary memory, because a guarded
 * sodium_malloc allocation costs pages and memory mappings per connection.
 * Every secret is wiped before it is released.
 */
#include "noise.h"
#include "err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define NOISE_BLOCK_LEN   128        /* BLAKE2b block, for HMAC */
#define NOISE_NONCE_LEN   12         /* ChaChaPoly IETF nonce */
#define NOISE_NONCE_MAX   UINT64_MAX /* reserved by the spec: never used */
#define NOISE_MAX_MSGS    3          /* longest pattern here: XX, XK */
#define NOISE_MAX_TOKENS  4          /* longest message here: IK's first */
#define NOISE_NAME_PREFIX "Noise_"
#define NOISE_NAME_SUFFIX "_25519_ChaChaPoly_BLAKE2b"

/* Tokens of a message pattern (spec section 7.1). */
enum noise_token {
	NOISE_TOK_END = 0, /* terminates a message's token list */
	NOISE_TOK_E,       /* ephemeral public key, in clear */
	NOISE_TOK_S,       /* static public key, encrypted once keyed */
	NOISE_TOK_EE,      /* DH(e, re) */
	NOISE_TOK_ES,      /* DH of initiator's e and responder's s */
	NOISE_TOK_SE,      /* DH of initiator's s and responder's e */
	NOISE_TOK_SS,      /* DH(s, rs) */
};

/* One handshake pattern: pre-messages and the message token lists. */
struct noise_pattern {
	const char *name; /* "XX", as it appears in the protocol name */
	int pre_resp_s;   /* the pre-message "<- s" is present */
	int init_sends_s; /* the initiator transmits its static key */
	int resp_needs_s; /* the responder sends or pre-shares its static */
	size_t nmsgs;     /* number of handshake messages */
	/* each message's tokens, in order, ended by NOISE_TOK_END */
	enum noise_token msgs[NOISE_MAX_MSGS][NOISE_MAX_TOKENS + 1];
};

static const struct noise_pattern noise_patterns[] = {
	{ "NN", 0, 0, 0, 2,
	    { { NOISE_TOK_E }, { NOISE_TOK_E, NOISE_TOK_EE } } },
	{ "NK", 1, 0, 1, 2,
	    { { NOISE_TOK_E, NOISE_TOK_ES }, { NOISE_TOK_E, NOISE_TOK_EE } } },
	{ "XK", 1, 1, 1, 3,
	    { { NOISE_TOK_E, NOISE_TOK_ES }, { NOISE_TOK_E, NOISE_TOK_EE },
		{ NOISE_TOK_S, NOISE_TOK_SE } } },
	{ "IK", 1, 1, 1, 2,
	    { { NOISE_TOK_E, NOISE_TOK_ES, NOISE_TOK_S, NOISE_TOK_SS },
		{ NOISE_TOK_E, NOISE_TOK_EE, NOISE_TOK_SE } } },
	{ "XX", 0, 1, 1, 3,
	    { { NOISE_TOK_E },
		{ NOISE_TOK_E, NOISE_TOK_EE, NOISE_TOK_S, NOISE_TOK_ES },
		{ NOISE_TOK_S, NOISE_TOK_SE } } },
};

/* CipherState (spec section 5.1). */
struct noise_cipher {
	uint8_t k[NOISE_KEY_LEN]; /* ChaChaPoly key, valid when has_key */
	uint64_t n;               /* next nonce */
	int has_key; /* without a key, encryption is the identity */
};

/* HandshakeState with its embedded SymmetricState (spec sections 5.2, 5.3). */
struct noise_hs {
	const struct noise_pattern *pattern; /* row of noise_patterns */
	enum noise_role role;                /* which side we play */
	enum noise_action action;            /* what the owner must do next */
	size_t msg_index;                    /* next message in the pattern */
	int split_done;                      /* ck was consumed by a split */
	uint8_t ck[NOISE_HASH_LEN];          /* chaining key */
	uint8_t h[NOISE_HASH_LEN];           /* handshake hash */
	struct noise_cipher cs;              /* handshake CipherState */
	uint8_t s_priv[NOISE_KEY_LEN];       /* our static private key */
	uint8_t s_pub[NOISE_KEY_LEN];        /* our static public key */
	int has_s;                           /* s_priv/s_pub are set */
	uint8_t e_priv[NOISE_KEY_LEN];       /* our ephemeral private key */
	uint8_t e_pub[NOISE_KEY_LEN];        /* our ephemeral public key */
	int has_e;                           /* e_priv/e_pub are set */
	uint8_t rs[NOISE_KEY_LEN];           /* peer's static public key */
	int has_rs;                          /* rs is set */
	uint8_t re[NOISE_KEY_LEN];           /* peer's ephemeral public key */
	int has_re;                          /* re is set */
};

/* BLAKE2b over up to three concatenated parts; NULL parts are skipped. */
static void
noise_hash3(uint8_t out[NOISE_HASH_LEN], const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, const uint8_t *c, size_t clen)
{
	crypto_generichash_blake2b_state st;

	crypto_generichash_blake2b_init(&st, NULL, 0, NOISE_HASH_LEN);
	if (a != NULL && alen > 0)
		crypto_generichash_blake2b_update(&st, a, alen);
	if (b != NULL && blen > 0)
		crypto_generichash_blake2b_update(&st, b, blen);
	if (c != NULL && clen > 0)
		crypto_generichash_blake2b_update(&st, c, clen);
	crypto_generichash_blake2b_final(&st, out, NOISE_HASH_LEN);
	sodium_memzero(&st, sizeof(st));
}

/*
 * HMAC (RFC 2104) over BLAKE2b with its 128-byte block, of the data d1 || d2.
 * Noise requires this construction rather than BLAKE2b's keyed mode.
 */
static void
noise_hmac(uint8_t out[NOISE_HASH_LEN], const uint8_t *key, size_t key_len,
    const uint8_t *d1, size_t d1_len, const uint8_t *d2, size_t d2_len)
{
	uint8_t k[NOISE_BLOCK_LEN], pad[NOISE_BLOCK_LEN];
	uint8_t inner[NOISE_HASH_LEN];
	size_t i;

	memset(k, 0, sizeof(k));
	if (key_len > NOISE_BLOCK_LEN)
		noise_hash3(k, key, key_len, NULL, 0, NULL, 0);
	else if (key_len > 0)
		memcpy(k, key, key_len);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	noise_hash3(inner, pad, sizeof(pad), d1, d1_len, d2, d2_len);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	noise_hash3(out, pad, sizeof(pad), inner, sizeof(inner), NULL, 0);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}

/* HKDF with two outputs (spec section 4.3); without PSKs three are never
 * needed. */
static void
noise_hkdf2(const uint8_t ck[NOISE_HASH_LEN], const uint8_t *ikm,
    size_t ikm_len, uint8_t out1[NOISE_HASH_LEN], uint8_t out2[NOISE_HASH_LEN])
{
	uint8_t temp_key[NOISE_HASH_LEN];
	uint8_t one = 0x01, two = 0x02;

	noise_hmac(temp_key, ck, NOISE_HASH_LEN, ikm, ikm_len, NULL, 0);
	noise_hmac(out1, temp_key, sizeof(temp_key), &one, 1, NULL, 0);
	noise_hmac(
	    out2, temp_key, sizeof(temp_key), out1, NOISE_HASH_LEN, &two, 1);
	sodium_memzero(temp_key, sizeof(temp_key));
}

/* X25519; an all-zero result means a low-order peer key. */
static int
noise_dh(uint8_t out[NOISE_KEY_LEN], const uint8_t priv[NOISE_KEY_LEN],
    const uint8_t pub[NOISE_KEY_LEN])
{
	if (crypto_scalarmult(out, priv, pub) != 0 ||
	    sodium_is_zero(out, NOISE_KEY_LEN)) {
		sodium_memzero(out, NOISE_KEY_LEN);
		return ERR_BAD_KEY;
	}
	return 0;
}

static void
noise_cipher_init(struct noise_cipher *c, const uint8_t k[NOISE_KEY_LEN])
{
	memcpy(c->k, k, NOISE_KEY_LEN);
	c->n = 0;
	c->has_key = 1;
}

static void
noise_nonce(uint8_t nonce[NOISE_NONCE_LEN], uint64_t n)
{
	size_t i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

/*
 * EncryptWithAd: out receives plain_len + NOISE_TAG_LEN bytes (plain_len when
 * no key is set, copied through). The caller has checked the capacity.
 */
static int
noise_cipher_encrypt_ad(struct noise_cipher *c, const uint8_t *ad,
    size_t ad_len, const uint8_t *plain, size_t plain_len, uint8_t *out,
    size_t *out_len)
{
	uint8_t nonce[NOISE_NONCE_LEN];
	unsigned long long clen;

	if (!c->has_key) {
		if (plain_len > 0)
			memmove(out, plain, plain_len);
		*out_len = plain_len;
		return 0;
	}
	if (c->n == NOISE_NONCE_MAX)
		return ERR_NONCE_EXHAUSTED;
	noise_nonce(nonce, c->n);
	crypto_aead_chacha20poly1305_ietf_encrypt(
	    out, &clen, plain, plain_len, ad, ad_len, NULL, nonce, c->k);
	c->n++;
	*out_len = (size_t)clen;
	return 0;
}

/*
 * DecryptWithAd: out receives cipher_len - NOISE_TAG_LEN bytes (cipher_len
 * without a key). The caller has checked the length and the capacity. The
 * nonce advances only on success.
 */
static int
noise_cipher_decrypt_ad(struct noise_cipher *c, const uint8_t *ad,
    size_t ad_len, const uint8_t *cipher, size_t cipher_len, uint8_t *out,
    size_t *out_len)
{
	uint8_t nonce[NOISE_NONCE_LEN];
	unsigned long long mlen;

	if (!c->has_key) {
		if (cipher_len > 0)
			memmove(out, cipher, cipher_len);
		*out_len = cipher_len;
		return 0;
	}
	if (c->n == NOISE_NONCE_MAX)
		return ERR_NONCE_EXHAUSTED;
	if (cipher_len < NOISE_TAG_LEN)
		return ERR_DECRYPT;
	noise_nonce(nonce, c->n);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, NULL, cipher,
		cipher_len, ad, ad_len, nonce, c->k) != 0)
		return ERR_DECRYPT;
	c->n++;
	*out_len = (size_t)mlen;
	return 0;
}

static void
noise_mix_hash(struct noise_hs *hs, const uint8_t *data, size_t len)
{
	noise_hash3(hs->h, hs->h, sizeof(hs->h), data, len, NULL, 0);
}

static void
noise_mix_key(struct noise_hs *hs, const uint8_t *ikm, size_t ikm_len)
{
	uint8_t temp_k[NOISE_HASH_LEN];

	noise_hkdf2(hs->ck, ikm, ikm_len, hs->ck, temp_k);
	/* HASHLEN is 64: the cipher key is the first 32 bytes. */
	noise_cipher_init(&hs->cs, temp_k);
	sodium_memzero(temp_k, sizeof(temp_k));
}

/* EncryptAndHash; out must hold plain_len + NOISE_TAG_LEN bytes. */
static int
noise_encrypt_and_hash(struct noise_hs *hs, const uint8_t *plain,
    size_t plain_len, uint8_t *out, size_t *out_len)
{
	int r;

	r = noise_cipher_encrypt_ad(
	    &hs->cs, hs->h, sizeof(hs->h), plain, plain_len, out, out_len);
	if (r != 0)
		return r;
	noise_mix_hash(hs, out, *out_len);
	return 0;
}

/* DecryptAndHash; the hash covers the ciphertext, so it is taken first. */
static int
noise_decrypt_and_hash(struct noise_hs *hs, const uint8_t *cipher,
    size_t cipher_len, uint8_t *out, size_t *out_len)
{
	uint8_t h_next[NOISE_HASH_LEN];
	int r;

	noise_hash3(h_next, hs->h, sizeof(hs->h), cipher, cipher_len, NULL, 0);
	r = noise_cipher_decrypt_ad(
	    &hs->cs, hs->h, sizeof(hs->h), cipher, cipher_len, out, out_len);
	if (r == 0)
		memcpy(hs->h, h_next, sizeof(hs->h));
	sodium_memzero(h_next, sizeof(h_next));
	return r;
}

/* Performs one of ee, es, se, ss for our role and mixes the result in. */
static int
noise_dh_token(struct noise_hs *hs, enum noise_token tok)
{
	uint8_t shared[NOISE_KEY_LEN];
	const uint8_t *priv = NULL, *pub = NULL;
	int init = hs->role == NOISE_INITIATOR;
	int r;

	switch (tok) {
	case NOISE_TOK_EE:
		if (hs->has_e && hs->has_re) {
			priv = hs->e_priv;
			pub = hs->re;
		}
		break;
	case NOISE_TOK_ES:
		if (init && hs->has_e && hs->has_rs) {
			priv = hs->e_priv;
			pub = hs->rs;
		} else if (!init && hs->has_s && hs->has_re) {
			priv = hs->s_priv;
			pub = hs->re;
		}
		break;
	case NOISE_TOK_SE:
		if (init && hs->has_s && hs->has_re) {
			priv = hs->s_priv;
			pub = hs->re;
		} else if (!init && hs->has_e && hs->has_rs) {
			priv = hs->e_priv;
			pub = hs->rs;
		}
		break;
	case NOISE_TOK_SS:
		if (hs->has_s && hs->has_rs) {
			priv = hs->s_priv;
			pub = hs->rs;
		}
		break;
	default:
		break;
	}
	if (priv == NULL)
		return ERR_INTERNAL;
	if ((r = noise_dh(shared, priv, pub)) != 0)
		goto out;
	noise_mix_key(hs, shared, sizeof(shared));
out:
	sodium_memzero(shared, sizeof(shared));
	return r;
}

static int
noise_is_my_turn(const struct noise_hs *hs)
{
	int init_turn = hs->msg_index % 2 == 0;

	return init_turn == (hs->role == NOISE_INITIATOR);
}

/* Recomputes the next action after a message was processed. */
static void
noise_advance(struct noise_hs *hs)
{
	hs->msg_index++;
	if (hs->msg_index >= hs->pattern->nmsgs)
		hs->action = NOISE_ACTION_SPLIT;
	else
		hs->action = noise_is_my_turn(hs) ? NOISE_ACTION_WRITE
						  : NOISE_ACTION_READ;
}

static const struct noise_pattern *
noise_pattern_lookup(const char *protocol_name)
{
	size_t plen = strlen(NOISE_NAME_PREFIX),
	       slen = strlen(NOISE_NAME_SUFFIX);
	size_t len, i;

	len = strlen(protocol_name);
	if (len != plen + 2 + slen ||
	    strncmp(protocol_name, NOISE_NAME_PREFIX, plen) != 0 ||
	    strcmp(protocol_name + plen + 2, NOISE_NAME_SUFFIX) != 0)
		return NULL;
	for (i = 0; i < sizeof(noise_patterns) / sizeof(noise_patterns[0]);
	     i++) {
		if (strncmp(protocol_name + plen, noise_patterns[i].name, 2) ==
		    0)
			return &noise_patterns[i];
	}
	return NULL;
}

int
noise_hs_new(struct noise_hs **out, const char *protocol_name,
    enum noise_role role, const uint8_t *prologue, size_t prologue_len,
    const uint8_t *s_priv, const uint8_t *rs_pub)
{
	const struct noise_pattern *pat;
	struct noise_hs *hs = NULL;
	size_t name_len;
	int need_s, need_rs, r;

	*out = NULL;
	if (sodium_init() < 0)
		return ERR_INTERNAL;
	if (protocol_name == NULL ||
	    (role != NOISE_INITIATOR && role != NOISE_RESPONDER) ||
	    (prologue == NULL && prologue_len > 0))
		return ERR_INVALID_ARG;
	if ((pat = noise_pattern_lookup(protocol_name)) == NULL)
		return ERR_INVALID_ARG;
	need_s =
	    role == NOISE_INITIATOR ? pat->init_sends_s : pat->resp_needs_s;
	need_rs = role == NOISE_INITIATOR && pat->pre_resp_s;
	/*
	 * A peer key the pattern does not pre-share is refused rather than
	 * ignored: a caller passing one expects it checked, and nothing would.
	 */
	if ((need_s && s_priv == NULL) || (need_rs != (rs_pub != NULL)))
		return ERR_INVALID_ARG;

	if ((hs = sodium_malloc(sizeof(*hs))) == NULL)
		return ERR_ALLOC;
	memset(hs, 0, sizeof(*hs));
	hs->pattern = pat;
	hs->role = role;
	if (s_priv != NULL) {
		memcpy(hs->s_priv, s_priv, NOISE_KEY_LEN);
		if (crypto_scalarmult_base(hs->s_pub, hs->s_priv) != 0) {
			r = ERR_BAD_KEY;
			goto out;
		}
		hs->has_s = 1;
	}
	if (rs_pub != NULL) {
		memcpy(hs->rs, rs_pub, NOISE_KEY_LEN);
		hs->has_rs = 1;
	}

	/* InitializeSymmetric: short names are padded, long ones hashed. */
	name_len = strlen(protocol_name);
	if (name_len <= NOISE_HASH_LEN)
		memcpy(hs->h, protocol_name, name_len);
	else
		noise_hash3(hs->h, (const uint8_t *)protocol_name, name_len,
		    NULL, 0, NULL, 0);
	memcpy(hs->ck, hs->h, sizeof(hs->ck));
	noise_mix_hash(hs, prologue, prologue_len);

	/* The only pre-message of the supported patterns is "<- s". */
	if (pat->pre_resp_s)
		noise_mix_hash(hs, role == NOISE_INITIATOR ? hs->rs : hs->s_pub,
		    NOISE_KEY_LEN);

	hs->action =
	    role == NOISE_INITIATOR ? NOISE_ACTION_WRITE : NOISE_ACTION_READ;
	*out = hs;
	hs = NULL;
	r = 0;
out:
	noise_hs_free(hs);
	return r;
}

int
noise_hs_set_ephemeral(struct noise_hs *hs, const uint8_t e_priv[32])
{
	if (hs == NULL || e_priv == NULL || hs->has_e || hs->msg_index > 0 ||
	    hs->action == NOISE_ACTION_FAILED)
		return ERR_INVALID_ARG;
	memcpy(hs->e_priv, e_priv, NOISE_KEY_LEN);
	if (crypto_scalarmult_base(hs->e_pub, hs->e_priv) != 0) {
		sodium_memzero(hs->e_priv, sizeof(hs->e_priv));
		return ERR_INVALID_ARG;
	}
	hs->has_e = 1;
	return 0;
}

enum noise_action
noise_hs_next(const struct noise_hs *hs)
{
	return hs->action;
}

/* Length of the message about to be written, tracking when a key appears. */
static size_t
noise_write_len(const struct noise_hs *hs, size_t payload_len)
{
	const enum noise_token *tok = hs->pattern->msgs[hs->msg_index];
	int has_key = hs->cs.has_key;
	size_t len = 0;

	for (; *tok != NOISE_TOK_END; tok++) {
		switch (*tok) {
		case NOISE_TOK_E:
			len += NOISE_KEY_LEN;
			break;
		case NOISE_TOK_S:
			len += NOISE_KEY_LEN + (has_key ? NOISE_TAG_LEN : 0);
			break;
		default:
			has_key = 1;
			break;
		}
	}
	return len + payload_len + (has_key ? NOISE_TAG_LEN : 0);
}

int
noise_hs_write(struct noise_hs *hs, const uint8_t *payload, size_t payload_len,
    uint8_t *out, size_t out_cap, size_t *out_len)
{
	const enum noise_token *tok;
	size_t need, off = 0, n;
	int r;

	if (hs->action != NOISE_ACTION_WRITE) {
		r = ERR_HANDSHAKE;
		goto out;
	}
	if (payload == NULL && payload_len > 0) {
		r = ERR_INVALID_ARG;
		goto out;
	}
	if (payload_len > NOISE_MAX_MESSAGE) {
		r = ERR_MESSAGE_TOO_LARGE;
		goto out;
	}
	need = noise_write_len(hs, payload_len);
	if (need > NOISE_MAX_MESSAGE) {
		r = ERR_MESSAGE_TOO_LARGE;
		goto out;
	}
	if (out == NULL || need > out_cap) {
		r = ERR_BUFFER_TOO_SMALL;
		goto out;
	}

	for (tok = hs->pattern->msgs[hs->msg_index]; *tok != NOISE_TOK_END;
	     tok++) {
		switch (*tok) {
		case NOISE_TOK_E:
			if (!hs->has_e) {
				randombytes_buf(hs->e_priv, sizeof(hs->e_priv));
				if (crypto_scalarmult_base(
					hs->e_pub, hs->e_priv) != 0) {
					r = ERR_INTERNAL;
					goto out;
				}
				hs->has_e = 1;
			}
			memcpy(out + off, hs->e_pub, NOISE_KEY_LEN);
			noise_mix_hash(hs, hs->e_pub, NOISE_KEY_LEN);
			off += NOISE_KEY_LEN;
			break;
		case NOISE_TOK_S:
			if (!hs->has_s) {
				r = ERR_INTERNAL;
				goto out;
			}
			r = noise_encrypt_and_hash(
			    hs, hs->s_pub, NOISE_KEY_LEN, out + off, &n);
			if (r != 0)
				goto out;
			off += n;
			break;
		default:
			if ((r = noise_dh_token(hs, *tok)) != 0)
				goto out;
			break;
		}
	}
	r = noise_encrypt_and_hash(hs, payload, payload_len, out + off, &n);
	if (r != 0)
		goto out;
	off += n;
	*out_len = off;
	noise_advance(hs);
out:
	if (r != 0)
		hs->action = NOISE_ACTION_FAILED;
	return r;
}

int
noise_hs_read(struct noise_hs *hs, const uint8_t *msg, size_t msg_len,
    uint8_t *payload, size_t payload_cap, size_t *payload_len)
{
	const enum noise_token *tok;
	size_t off = 0, n, want;
	int r;

	if (hs->action != NOISE_ACTION_READ) {
		r = ERR_HANDSHAKE;
		goto out;
	}
	if (msg_len > NOISE_MAX_MESSAGE) {
		r = ERR_MESSAGE_TOO_LARGE;
		goto out;
	}
	if (msg == NULL && msg_len > 0) {
		r = ERR_INVALID_ARG;
		goto out;
	}

	for (tok = hs->pattern->msgs[hs->msg_index]; *tok != NOISE_TOK_END;
	     tok++) {
		switch (*tok) {
		case NOISE_TOK_E:
			if (msg_len - off < NOISE_KEY_LEN) {
				r = ERR_HANDSHAKE;
				goto out;
			}
			memcpy(hs->re, msg + off, NOISE_KEY_LEN);
			hs->has_re = 1;
			noise_mix_hash(hs, hs->re, NOISE_KEY_LEN);
			off += NOISE_KEY_LEN;
			break;
		case NOISE_TOK_S:
			want = NOISE_KEY_LEN +
			       (hs->cs.has_key ? NOISE_TAG_LEN : 0);
			if (msg_len - off < want) {
				r = ERR_HANDSHAKE;
				goto out;
			}
			r = noise_decrypt_and_hash(
			    hs, msg + off, want, hs->rs, &n);
			if (r != 0)
				goto out;
			hs->has_rs = 1;
			off += want;
			break;
		default:
			if ((r = noise_dh_token(hs, *tok)) != 0)
				goto out;
			break;
		}
	}

	want = msg_len - off;
	if (hs->cs.has_key) {
		if (want < NOISE_TAG_LEN) {
			r = ERR_HANDSHAKE;
			goto out;
		}
		want -= NOISE_TAG_LEN;
	}
	if (want > payload_cap || (payload == NULL && want > 0)) {
		r = ERR_BUFFER_TOO_SMALL;
		goto out;
	}
	r = noise_decrypt_and_hash(hs, msg + off, msg_len - off, payload, &n);
	if (r != 0)
		goto out;
	*payload_len = n;
	noise_advance(hs);
out:
	if (r != 0)
		hs->action = NOISE_ACTION_FAILED;
	return r;
}

int
noise_hs_remote_static(const struct noise_hs *hs, uint8_t out[32])
{
	if (!hs->has_rs)
		return ERR_NOT_FOUND;
	memcpy(out, hs->rs, NOISE_KEY_LEN);
	return 0;
}

void
noise_hs_hash(const struct noise_hs *hs, uint8_t out[NOISE_HASH_LEN])
{
	memcpy(out, hs->h, NOISE_HASH_LEN);
}

static struct noise_cipher *
noise_cipher_new(const uint8_t k[NOISE_KEY_LEN])
{
	struct noise_cipher *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	noise_cipher_init(c, k);
	return c;
}

int
noise_hs_split(
    struct noise_hs *hs, struct noise_cipher **send, struct noise_cipher **recv)
{
	uint8_t k1[NOISE_HASH_LEN], k2[NOISE_HASH_LEN];
	struct noise_cipher *c1 = NULL, *c2 = NULL;
	int r;

	*send = NULL;
	*recv = NULL;
	if (hs->action != NOISE_ACTION_SPLIT || hs->split_done)
		return ERR_HANDSHAKE;
	noise_hkdf2(hs->ck, NULL, 0, k1, k2);
	if ((c1 = noise_cipher_new(k1)) == NULL ||
	    (c2 = noise_cipher_new(k2)) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	/* Only h stays meaningful: drop the secrets the split consumed. */
	sodium_memzero(hs->ck, sizeof(hs->ck));
	sodium_memzero(&hs->cs, sizeof(hs->cs));
	sodium_memzero(hs->e_priv, sizeof(hs->e_priv));
	hs->split_done = 1;
	if (hs->role == NOISE_INITIATOR) {
		*send = c1;
		*recv = c2;
	} else {
		*send = c2;
		*recv = c1;
	}
	c1 = c2 = NULL;
	r = 0;
out:
	noise_cipher_free(c1);
	noise_cipher_free(c2);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	return r;
}

void
noise_hs_free(struct noise_hs *hs)
{
	if (hs == NULL)
		return;
	sodium_memzero(hs, sizeof(*hs));
	sodium_free(hs);
}

int
noise_encrypt(struct noise_cipher *c, const uint8_t *plain, size_t plain_len,
    uint8_t *out, size_t out_cap, size_t *out_len)
{
	if (plain == NULL && plain_len > 0)
		return ERR_INVALID_ARG;
	if (plain_len > NOISE_MAX_MESSAGE - NOISE_TAG_LEN)
		return ERR_MESSAGE_TOO_LARGE;
	if (out == NULL || out_cap < plain_len + NOISE_TAG_LEN)
		return ERR_BUFFER_TOO_SMALL;
	if (!c->has_key)
		return ERR_INTERNAL;
	return noise_cipher_encrypt_ad(
	    c, NULL, 0, plain, plain_len, out, out_len);
}

int
noise_decrypt(struct noise_cipher *c, const uint8_t *cipher, size_t cipher_len,
    uint8_t *out, size_t out_cap, size_t *out_len)
{
	if (cipher == NULL)
		return ERR_INVALID_ARG;
	if (cipher_len < NOISE_TAG_LEN)
		return ERR_FRAME_TOO_SMALL;
	if (cipher_len > NOISE_MAX_MESSAGE)
		return ERR_MESSAGE_TOO_LARGE;
	if ((out == NULL && cipher_len > NOISE_TAG_LEN) ||
	    out_cap < cipher_len - NOISE_TAG_LEN)
		return ERR_BUFFER_TOO_SMALL;
	if (!c->has_key)
		return ERR_INTERNAL;
	return noise_cipher_decrypt_ad(
	    c, NULL, 0, cipher, cipher_len, out, out_len);
}

void
noise_cipher_free(struct noise_cipher *c)
{
	if (c == NULL)
		return;
	sodium_memzero(c, sizeof(*c));
	free(c);
}
