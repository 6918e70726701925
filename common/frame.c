/*
 * Length-prefixed frames (see frame.h).
 */
#include "frame.h"
#include "err.h"

int
frame_parse_header(const uint8_t *p, size_t avail, size_t *body_len)
{
	uint32_t n;

	if (avail < FRAME_HEADER_LEN)
		return ERR_AGAIN;
	n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	    (uint32_t)p[3];
	if (n == 0)
		return ERR_FRAME_TOO_SMALL;
	if (n > FRAME_MAX_BODY)
		return ERR_FRAME_TOO_LARGE;
	*body_len = n;
	return 0;
}

int
frame_append(struct buf *out, const uint8_t *body, size_t body_len)
{
	uint8_t hdr[FRAME_HEADER_LEN];
	int r;

	if (body_len == 0 || body_len > FRAME_MAX_BODY)
		return ERR_FRAME_TOO_LARGE;
	hdr[0] = (uint8_t)(body_len >> 24);
	hdr[1] = (uint8_t)(body_len >> 16);
	hdr[2] = (uint8_t)(body_len >> 8);
	hdr[3] = (uint8_t)body_len;
	if ((r = buf_reserve(out, sizeof(hdr) + body_len)) != 0)
		return r;
	buf_append(out, hdr, sizeof(hdr));
	buf_append(out, body, body_len);
	return 0;
}
