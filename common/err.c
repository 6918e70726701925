/*
 * The string table behind err.h: one line of English per error code.
 */
#include "err.h"

#include <errno.h>
#include <string.h>

static const struct {
	int code;
	const char *text;
} err_table[] = {
	{ ERR_OK, "success" },
	{ ERR_INTERNAL, "internal error" },
	{ ERR_ALLOC, "out of memory" },
	{ ERR_SYSTEM, "system error" },
	{ ERR_INVALID_ARG, "invalid argument" },
	{ ERR_AGAIN, "more input needed" },
	{ ERR_EOF, "connection closed by peer" },
	{ ERR_TIMEOUT, "timed out" },
	{ ERR_FRAME_TOO_LARGE, "frame too large" },
	{ ERR_FRAME_TOO_SMALL, "frame too small" },
	{ ERR_MESSAGE_TOO_LARGE, "message too large" },
	{ ERR_DECRYPT, "message authentication failed" },
	{ ERR_HANDSHAKE, "handshake failed" },
	{ ERR_BAD_KEY, "unusable public key" },
	{ ERR_PROTOCOL, "protocol violation" },
	{ ERR_BUFFER_TOO_SMALL, "buffer too small" },
	{ ERR_NONCE_EXHAUSTED, "nonce space exhausted" },
	{ ERR_KEY_FORMAT, "not a tier key file" },
	{ ERR_KEY_PERMS, "key file is readable by others" },
	{ ERR_NOT_FOUND, "not found" },
	{ ERR_EXISTS, "already exists" },
	{ ERR_STORE, "database error" },
	{ ERR_CONFIG, "invalid configuration" },
	{ ERR_CONNECT, "cannot connect" },
	{ ERR_DENIED, "not allowed" },
	{ ERR_CONFLICT, "changed meanwhile" },
};

const char *
err_str(int code)
{
	size_t i;

	if (code == ERR_SYSTEM && errno != 0)
		return strerror(errno);
	for (i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++) {
		if (err_table[i].code == code)
			return err_table[i].text;
	}
	return "unknown error";
}
