/*
 * Framing on the TCP stream: every frame is a 4-byte big-endian body length
 * followed by that many bytes. The length is checked against FRAME_MAX_BODY
 * before anything is allocated for the body.
 */
#ifndef TIER_FRAME_H
#define TIER_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define FRAME_HEADER_LEN 4
#define FRAME_MAX_BODY   65535 /* a Noise message never exceeds this */

/*
 * Parses the frame header at p[0..avail). On success *body_len is the body
 * length (1..FRAME_MAX_BODY). Returns 0, ERR_AGAIN (fewer than 4 bytes),
 * ERR_FRAME_TOO_LARGE or ERR_FRAME_TOO_SMALL (zero length).
 */
int frame_parse_header(const uint8_t *p, size_t avail, size_t *body_len);

/* Appends a header and body to out. Returns 0, ERR_ALLOC or
 * ERR_FRAME_TOO_LARGE. */
int frame_append(struct buf *out, const uint8_t *body, size_t body_len);

#endif
