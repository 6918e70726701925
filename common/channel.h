/*
 * The encrypted message channel that follows the handshake. Each frame body is
 * one Noise transport message whose plaintext is a one-byte flags field and a
 * chunk of a protobuf message; a message longer than one chunk spans several
 * frames, all but the last flagged CHANNEL_FLAG_MORE. Owns the two cipher
 * states and the reassembly buffer; knows nothing of sockets.
 */
#ifndef TIER_CHANNEL_H
#define TIER_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "frame.h"
#include "noise.h"

#define CHANNEL_FLAG_MORE 0x01 /* the message continues in the next frame */
#define CHANNEL_CHUNK_MAX (FRAME_MAX_BODY - NOISE_TAG_LEN - 1)

struct channel;

/*
 * Creates a channel from the cipher states of a split handshake, taking
 * ownership of both (they are freed even on failure). Messages received longer
 * than max_message bytes are refused. Returns 0 or ERR_ALLOC.
 */
int channel_new(struct channel **out, struct noise_cipher *send,
    struct noise_cipher *recv, size_t max_message);

/*
 * Encrypts msg[0..len) into one or more frames appended to out. Returns 0,
 * ERR_ALLOC or ERR_NONCE_EXHAUSTED.
 */
int channel_seal(
    struct channel *ch, const uint8_t *msg, size_t len, struct buf *out);

/*
 * Decrypts one frame body. Returns 0 when a whole message is ready: *msg and
 * *msg_len point into the channel and stay valid until the next call.
 * Returns ERR_AGAIN when the message continues in a later frame, or
 * ERR_DECRYPT, ERR_FRAME_TOO_SMALL, ERR_PROTOCOL (unknown flag bits),
 * ERR_MESSAGE_TOO_LARGE, ERR_ALLOC. Any error other than ERR_AGAIN is fatal
 * to the connection.
 */
int channel_open(struct channel *ch, const uint8_t *body, size_t body_len,
    const uint8_t **msg, size_t *msg_len);

/* Wipes and frees the channel and its cipher states; NULL is allowed. */
void channel_free(struct channel *ch);

#endif
