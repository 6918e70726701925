/*
 * Static X25519 key pairs on disk and their fingerprints. A key file holds one
 * private key; it is created with mode 0600 and refused when group or others
 * can read it. Private keys live in sodium_malloc memory.
 */
#ifndef TIER_KEYS_H
#define TIER_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_LEN 32
/* "BLAKE2b:" + unpadded base64 of a 32-byte BLAKE2b hash + NUL */
#define KEYS_FINGERPRINT_SIZE 52

struct keypair {
	uint8_t priv[KEYS_LEN]; /* X25519 private scalar */
	uint8_t pub[KEYS_LEN];  /* derived public key */
};

/* Generates a fresh key pair into *out (freed with keys_free). Returns 0 or
 * ERR_ALLOC. */
int keys_generate(struct keypair **out);

/*
 * Loads the key file at path into *out. Returns 0, ERR_SYSTEM (errno set;
 * ENOENT when missing), ERR_KEY_PERMS (readable by group or others: fix with
 * chmod 600), ERR_KEY_FORMAT or ERR_ALLOC.
 */
int keys_load(const char *path, struct keypair **out);

/*
 * Writes kp to path with mode 0600, atomically (temporary file, fsync,
 * rename), never replacing an existing file. Returns 0, ERR_EXISTS or
 * ERR_SYSTEM.
 */
int keys_save(const char *path, const struct keypair *kp);

/*
 * Loads path, or creates and saves a new key pair if it does not exist.
 * *created is set to 1 when a new key was made. Returns as keys_load/save.
 */
int keys_load_or_create(const char *path, struct keypair **out, int *created);

/* Wipes and frees a key pair; NULL is allowed. */
void keys_free(struct keypair *kp);

/* Writes the fingerprint of a public key ("BLAKE2b:..." form) into out. */
void keys_fingerprint(
    const uint8_t pub[KEYS_LEN], char out[KEYS_FINGERPRINT_SIZE]);

/* Encodes a public key as unpadded URL-safe base64 (44 bytes incl. NUL). */
#define KEYS_B64_SIZE 44
void keys_pub_to_b64(const uint8_t pub[KEYS_LEN], char out[KEYS_B64_SIZE]);

/* Decodes keys_pub_to_b64 output. Returns 0 or ERR_KEY_FORMAT. */
int keys_pub_from_b64(const char *text, uint8_t pub[KEYS_LEN]);

#endif
