/*
 * What client and server share above the channel: the protocol constants of
 * the handshake, protobuf packing with size limits, and the names of roles.
 */
#ifndef TIER_MSG_H
#define TIER_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "tier.pb-c.h"

#define MSG_PROTOCOL_VERSION 1
/* Mixed into the handshake hash: a peer with another prologue fails it. */
#define MSG_PROLOGUE "tier protocol 1"
#define MSG_VERSION  "0.1.0"

/* Largest request a server accepts, largest response a client accepts. */
#define MSG_MAX_REQUEST  (1u << 20)
#define MSG_MAX_RESPONSE (64u << 20)

/* Packs m and appends it to out. Returns 0 or ERR_ALLOC. */
int msg_pack(const ProtobufCMessage *m, struct buf *out);

/* Role names as users type them ("bu_vp"), and back. */
const char *msg_role_name(Tier__Role role);
/* Returns 0 and sets *out, or ERR_INVALID_ARG for an unknown name. */
int msg_role_parse(const char *name, Tier__Role *out);
/* A comma-separated list of all role names, for error hints. */
const char *msg_role_names(void);

/*
 * 1 if s is at most max bytes of well-formed UTF-8 (no overlong forms,
 * surrogates or code points above U+10FFFF) without control characters:
 * what every free-text field on the wire must be.
 */
int msg_text_valid(const char *s, size_t max);
/* The same, but tab and newline are allowed: notes and reasons that span
 * lines. */
int msg_lines_valid(const char *s, size_t max);
/* The same rules as msg_text_valid, with the limit in characters: names and
 * texts whose length users count. */
int msg_chars_valid(const char *s, size_t max_chars);
/* Well-formed UTF-8 alone, control characters and all: what any string on
 * the wire must be. */
int msg_utf8_valid(const char *s);

/*
 * The form of a customer name that duplicate detection and search compare
 * (server and offline copy alike): Unicode NFKC with case
 * folding, leading and trailing white space removed and inner runs of white
 * space collapsed to one space, so "ＡＢＣ  有限公司" equals "abc 有限公司".
 * *out is malloc'd, owned by the caller. Returns 0, ERR_INVALID_ARG (not
 * UTF-8) or ERR_ALLOC.
 */
int msg_norm_name(const char *name, char **out);

/* The ErrorCode's name ("permission_denied"), for JSON output and logs. */
const char *msg_error_code_name(Tier__ErrorCode code);

#endif
