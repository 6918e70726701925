/*
 * The Noise Protocol Framework (revision 34) for the 25519 / ChaChaPoly /
 * BLAKE2b suite, on libsodium primitives. Owns handshake state and the two
 * transport cipher states that a finished handshake splits into; it knows
 * nothing of sockets or framing. Patterns NN, NK, XK, IK and XX are implemented
 * so the published test vectors can be replayed; tier itself uses only XX.
 */
#ifndef TIER_NOISE_H
#define TIER_NOISE_H

#include <stddef.h>
#include <stdint.h>

#define NOISE_KEY_LEN     32    /* X25519 keys, ChaChaPoly keys */
#define NOISE_HASH_LEN    64    /* BLAKE2b output */
#define NOISE_TAG_LEN     16    /* Poly1305 tag */
#define NOISE_MAX_MESSAGE 65535 /* spec: no Noise message is longer */

/* The one protocol tier speaks. */
#define NOISE_TIER_PROTOCOL "Noise_XX_25519_ChaChaPoly_BLAKE2b"

enum noise_role {
	NOISE_INITIATOR,
	NOISE_RESPONDER,
};

/* What the handshake expects next from its owner. */
enum noise_action {
	NOISE_ACTION_WRITE,  /* call noise_hs_write */
	NOISE_ACTION_READ,   /* call noise_hs_read */
	NOISE_ACTION_SPLIT,  /* handshake complete: call noise_hs_split */
	NOISE_ACTION_FAILED, /* an earlier call failed; free the state */
};

struct noise_hs;     /* handshake state; secrets live in sodium_malloc memory */
struct noise_cipher; /* transport CipherState: key + 64-bit nonce */

/*
 * Creates a handshake state for protocol_name (e.g. NOISE_TIER_PROTOCOL) in the
 * given role and mixes in the prologue. s_priv is this side's static private
 * key (copied; required when the pattern sends or pre-shares "s", else NULL).
 * rs_pub is the peer's static public key when the pattern pre-shares it (NK,
 * XK, IK initiator), else NULL. On success *out owns the new state.
 * Returns 0, ERR_INVALID_ARG (unknown protocol name, missing key) or ERR_ALLOC.
 */
int noise_hs_new(struct noise_hs **out, const char *protocol_name,
    enum noise_role role, const uint8_t *prologue, size_t prologue_len,
    const uint8_t *s_priv, const uint8_t *rs_pub);

/*
 * Fixes the ephemeral private key instead of generating one. Only for replaying
 * test vectors; must be called before the first message. Returns 0 or
 * ERR_INVALID_ARG.
 */
int noise_hs_set_ephemeral(struct noise_hs *hs, const uint8_t e_priv[32]);

/* Returns what the state expects next. */
enum noise_action noise_hs_next(const struct noise_hs *hs);

/*
 * Writes the next handshake message, carrying payload (encrypted once a key
 * exists), into out[0..out_cap). *out_len receives its length. Returns 0,
 * ERR_HANDSHAKE (not this side's turn), ERR_BUFFER_TOO_SMALL,
 * ERR_MESSAGE_TOO_LARGE (would exceed NOISE_MAX_MESSAGE) or ERR_BAD_KEY.
 * Any failure leaves the state in NOISE_ACTION_FAILED.
 */
int noise_hs_write(struct noise_hs *hs, const uint8_t *payload,
    size_t payload_len, uint8_t *out, size_t out_cap, size_t *out_len);

/*
 * Reads the peer's next handshake message msg[0..msg_len) and writes its
 * decrypted payload into payload[0..payload_cap), length in *payload_len.
 * Returns 0, ERR_HANDSHAKE (wrong turn, truncated message), ERR_DECRYPT
 * (tag mismatch: wrong keys or a different prologue), ERR_BAD_KEY,
 * ERR_BUFFER_TOO_SMALL. Any failure leaves the state in NOISE_ACTION_FAILED.
 */
int noise_hs_read(struct noise_hs *hs, const uint8_t *msg, size_t msg_len,
    uint8_t *payload, size_t payload_cap, size_t *payload_len);

/*
 * Copies the peer's static public key into out once it is known (received in
 * a handshake message or pre-shared). Returns 0 or ERR_NOT_FOUND.
 */
int noise_hs_remote_static(const struct noise_hs *hs, uint8_t out[32]);

/* Copies the handshake hash h (NOISE_HASH_LEN bytes); valid after split. */
void noise_hs_hash(const struct noise_hs *hs, uint8_t out[NOISE_HASH_LEN]);

/*
 * Splits a completed handshake into this side's sending and receiving cipher
 * states (the initiator sends with the first, the responder with the second,
 * as the spec says). Both are owned by the caller. Returns 0, ERR_HANDSHAKE
 * (not complete) or ERR_ALLOC.
 */
int noise_hs_split(struct noise_hs *hs, struct noise_cipher **send,
    struct noise_cipher **recv);

/* Wipes and frees a handshake state; NULL is allowed. */
void noise_hs_free(struct noise_hs *hs);

/*
 * Transport encryption with empty associated data: writes
 * plain_len + NOISE_TAG_LEN bytes to out and advances the nonce. Returns 0,
 * ERR_BUFFER_TOO_SMALL, ERR_MESSAGE_TOO_LARGE or ERR_NONCE_EXHAUSTED.
 */
int noise_encrypt(struct noise_cipher *c, const uint8_t *plain,
    size_t plain_len, uint8_t *out, size_t out_cap, size_t *out_len);

/*
 * Transport decryption: writes cipher_len - NOISE_TAG_LEN bytes to out and
 * advances the nonce only on success. Returns 0, ERR_DECRYPT,
 * ERR_FRAME_TOO_SMALL (shorter than a tag), ERR_BUFFER_TOO_SMALL or
 * ERR_NONCE_EXHAUSTED.
 */
int noise_decrypt(struct noise_cipher *c, const uint8_t *cipher,
    size_t cipher_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* Wipes and frees a cipher state; NULL is allowed. */
void noise_cipher_free(struct noise_cipher *c);

#endif
