/*
 * Chunked, encrypted messages over frames (see channel.h).
 */
#include "channel.h"
#include "err.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct channel {
	struct noise_cipher *send; /* our transport cipher; owned */
	struct noise_cipher *recv; /* peer's transport cipher; owned */
	size_t max_message;        /* largest reassembled message accepted */
	struct buf in;             /* message being reassembled */
	int in_complete; /* in holds a whole message already handed out */
};

/*
 * One plaintext or ciphertext frame, shared by every channel of the thread:
 * it is used only within one call, and 64 KiB per connection would be most
 * of an idle connection's memory. Plaintext is wiped before a call returns.
 */
static _Thread_local uint8_t channel_scratch[FRAME_MAX_BODY];

int
channel_new(struct channel **out, struct noise_cipher *send,
    struct noise_cipher *recv, size_t max_message)
{
	struct channel *ch;

	if ((ch = calloc(1, sizeof(*ch))) == NULL) {
		noise_cipher_free(send);
		noise_cipher_free(recv);
		return ERR_ALLOC;
	}
	ch->send = send;
	ch->recv = recv;
	ch->max_message = max_message;
	*out = ch;
	return 0;
}

int
channel_seal(
    struct channel *ch, const uint8_t *msg, size_t len, struct buf *out)
{
	uint8_t plain[1 + CHANNEL_CHUNK_MAX];
	size_t off = 0, n, clen;
	int r = 0;

	do {
		n = len - off;
		if (n > CHANNEL_CHUNK_MAX)
			n = CHANNEL_CHUNK_MAX;
		plain[0] = off + n < len ? CHANNEL_FLAG_MORE : 0;
		if (n > 0)
			memcpy(plain + 1, msg + off, n);
		r = noise_encrypt(ch->send, plain, 1 + n, channel_scratch,
		    sizeof(channel_scratch), &clen);
		if (r != 0)
			break;
		if ((r = frame_append(out, channel_scratch, clen)) != 0)
			break;
		off += n;
	} while (off < len);
	/* Only what held plaintext, the first chunk being the longest: most
	 * messages are far below a chunk, and wiping all 64 KiB cost a lookup
	 * an eighth of its time. */
	sodium_memzero(
	    plain, 1 + (len < CHANNEL_CHUNK_MAX ? len : CHANNEL_CHUNK_MAX));
	return r;
}

int
channel_open(struct channel *ch, const uint8_t *body, size_t body_len,
    const uint8_t **msg, size_t *msg_len)
{
	size_t plen;
	int r;

	if (ch->in_complete) {
		buf_reset(&ch->in);
		ch->in_complete = 0;
	}
	if (body_len < NOISE_TAG_LEN + 1)
		return ERR_FRAME_TOO_SMALL;
	r = noise_decrypt(ch->recv, body, body_len, channel_scratch,
	    sizeof(channel_scratch), &plen);
	if (r != 0)
		return r;
	if ((channel_scratch[0] & ~CHANNEL_FLAG_MORE) != 0) {
		r = ERR_PROTOCOL;
		goto out;
	}
	if (plen - 1 > ch->max_message - ch->in.len) {
		r = ERR_MESSAGE_TOO_LARGE;
		goto out;
	}
	if ((r = buf_append(&ch->in, channel_scratch + 1, plen - 1)) != 0)
		goto out;
	if (channel_scratch[0] & CHANNEL_FLAG_MORE) {
		r = ERR_AGAIN;
		goto out;
	}
	ch->in_complete = 1;
	*msg = ch->in.data;
	*msg_len = ch->in.len;
out:
	sodium_memzero(channel_scratch, plen);
	return r;
}

void
channel_free(struct channel *ch)
{
	if (ch == NULL)
		return;
	noise_cipher_free(ch->send);
	noise_cipher_free(ch->recv);
	buf_free(&ch->in);
	sodium_memzero(ch, sizeof(*ch));
	free(ch);
}
