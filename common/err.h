/*
 * Error codes shared by every tier module. Functions that can fail return 0
 * (ERR_OK) or one of these negative codes; err_str() names each one for people.
 * ERR_SYSTEM means "look at errno", which the failing function leaves set.
 */
#ifndef TIER_ERR_H
#define TIER_ERR_H

enum err_code {
	ERR_OK = 0,
	ERR_INTERNAL = -1,           /* broken invariant */
	ERR_ALLOC = -2,              /* out of memory */
	ERR_SYSTEM = -3,             /* a system call failed; errno says why */
	ERR_INVALID_ARG = -4,        /* caller passed something unusable */
	ERR_AGAIN = -5,              /* not an error: more input needed */
	ERR_EOF = -6,                /* peer closed the connection */
	ERR_TIMEOUT = -7,            /* peer too slow */
	ERR_FRAME_TOO_LARGE = -8,    /* frame length above FRAME_MAX_BODY */
	ERR_FRAME_TOO_SMALL = -9,    /* frame shorter than any valid message */
	ERR_MESSAGE_TOO_LARGE = -10, /* reassembled message above the limit */
	ERR_DECRYPT = -11,           /* authentication tag did not verify */
	ERR_HANDSHAKE = -12, /* handshake message malformed or out of order */
	ERR_BAD_KEY = -13,   /* low-order or otherwise unusable public key */
	ERR_PROTOCOL = -14,  /* peer broke the protocol (bad protobuf, ...) */
	ERR_BUFFER_TOO_SMALL = -15, /* output buffer cannot hold the result */
	ERR_NONCE_EXHAUSTED = -16,  /* 2^64-1 messages on one key: reconnect */
	ERR_KEY_FORMAT = -17,       /* key file is not a tier key */
	ERR_KEY_PERMS = -18,        /* key file readable by group or others */
	ERR_NOT_FOUND = -19,        /* no such record */
	ERR_EXISTS = -20,           /* record already exists */
	ERR_STORE = -21,            /* the database failed */
	ERR_CONFIG = -22,           /* configuration invalid */
	ERR_CONNECT = -23,          /* could not reach the peer */
	ERR_DENIED = -24,           /* not allowed (rule, role or state) */
	ERR_CONFLICT = -25,         /* the record changed meanwhile */
};

/* Returns a short, static, human-readable description of an error code. */
const char *err_str(int code);

#endif
