/*
 * Protobuf packing and role names (see msg.h).
 */
#include "msg.h"
#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

int
msg_pack(const ProtobufCMessage *m, struct buf *out)
{
	size_t n;
	int r;

	n = protobuf_c_message_get_packed_size(m);
	if ((r = buf_reserve(out, n)) != 0)
		return r;
	protobuf_c_message_pack(m, out->data + out->len);
	out->len += n;
	return 0;
}

static const struct {
	Tier__Role role;
	const char *name;
} msg_roles[] = {
	{ TIER__ROLE__ROLE_BG_VP, "bg_vp" },
	{ TIER__ROLE__ROLE_BU_VP, "bu_vp" },
	{ TIER__ROLE__ROLE_SEGMENT_MGR, "segment_mgr" },
	{ TIER__ROLE__ROLE_ACCOUNT_MGR, "account_mgr" },
	{ TIER__ROLE__ROLE_RESEARCHER, "researcher" },
	{ TIER__ROLE__ROLE_MARKETING_HEAD, "marketing_head" },
	{ TIER__ROLE__ROLE_ADMIN, "admin" },
	{ TIER__ROLE__ROLE_AUDITOR, "auditor" },
};

const char *
msg_role_name(Tier__Role role)
{
	size_t i;

	for (i = 0; i < sizeof(msg_roles) / sizeof(msg_roles[0]); i++) {
		if (msg_roles[i].role == role)
			return msg_roles[i].name;
	}
	return "unspecified";
}

int
msg_role_parse(const char *name, Tier__Role *out)
{
	size_t i;

	for (i = 0; i < sizeof(msg_roles) / sizeof(msg_roles[0]); i++) {
		if (strcmp(msg_roles[i].name, name) == 0) {
			*out = msg_roles[i].role;
			return 0;
		}
	}
	return ERR_INVALID_ARG;
}

const char *
msg_role_names(void)
{
	return "bg_vp, bu_vp, segment_mgr, account_mgr, researcher, "
	       "marketing_head, admin, auditor";
}

const char *
msg_error_code_name(Tier__ErrorCode code)
{
	const ProtobufCEnumValue *v;
	static const char prefix[] = "ERROR_CODE_";
	static char lower[64];
	size_t i;

	/* Derived from the .proto so the names cannot drift from it. */
	v = protobuf_c_enum_descriptor_get_value(
	    &tier__error_code__descriptor, (int)code);
	if (v == NULL)
		return "unknown";
	/* protobuf-c's name is the full one: "ERROR_CODE_NOT_FOUND". */
	const char *n = strncmp(v->name, prefix, sizeof(prefix) - 1) == 0
			    ? v->name + sizeof(prefix) - 1
			    : v->name;
	for (i = 0; n[i] != '\0' && i < sizeof(lower) - 1; i++)
		lower[i] =
		    (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] + 32 : n[i]);
	lower[i] = '\0';
	return lower;
}

/* The control characters msg_text_scan lets through. */
enum msg_controls {
	MSG_CONTROLS_NONE,  /* no C0 or C1 control character, nor DEL */
	MSG_CONTROLS_LINES, /* tab and newline only */
	MSG_CONTROLS_ANY,
};

/*
 * Whether s is UTF-8 as utf8proc decodes it (it refuses overlong forms,
 * surrogates and code points above U+10FFFF) of at most max_bytes bytes and
 * max_chars characters, with the control characters controls allows.
 */
static int
msg_text_scan(const char *s, size_t max_bytes, size_t max_chars,
    enum msg_controls controls)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	size_t chars = 0;

	if (strlen(s) > max_bytes)
		return 0;
	for (; *p != '\0'; p += n) {
		if ((n = utf8proc_iterate(p, -1, &cp)) <= 0 ||
		    ++chars > max_chars)
			return 0;
		if (controls == MSG_CONTROLS_ANY ||
		    (controls == MSG_CONTROLS_LINES &&
			(cp == '\t' || cp == '\n')))
			continue;
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return 0;
	}
	return 1;
}

int
msg_text_valid(const char *s, size_t max)
{
	return msg_text_scan(s, max, SIZE_MAX, MSG_CONTROLS_NONE);
}

int
msg_lines_valid(const char *s, size_t max)
{
	return msg_text_scan(s, max, SIZE_MAX, MSG_CONTROLS_LINES);
}

int
msg_chars_valid(const char *s, size_t max_chars)
{
	return msg_text_scan(s, SIZE_MAX, max_chars, MSG_CONTROLS_NONE);
}

int
msg_utf8_valid(const char *s)
{
	return msg_text_scan(s, SIZE_MAX, SIZE_MAX, MSG_CONTROLS_ANY);
}

/* 1 for the white space that names may carry in any amount. */
static int
msg_name_space(utf8proc_int32_t cp)
{
	utf8proc_category_t cat;

	if (cp == ' ' || (cp >= '\t' && cp <= '\r'))
		return 1;
	cat = utf8proc_category(cp);
	return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
	       cat == UTF8PROC_CATEGORY_ZP;
}

int
msg_norm_name(const char *name, char **out)
{
	utf8proc_uint8_t *mapped = NULL, *p;
	utf8proc_int32_t cp;
	utf8proc_ssize_t len, n;
	char *norm = NULL, *w;
	int r = 0, gap = 0;

	len = utf8proc_map((const utf8proc_uint8_t *)name, 0, &mapped,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
	if (len < 0)
		return len == UTF8PROC_ERROR_NOMEM ? ERR_ALLOC
						   : ERR_INVALID_ARG;
	if ((norm = malloc((size_t)len + 1)) == NULL) {
		r = ERR_ALLOC;
		goto out;
	}
	/* Spaces: none leading or trailing, one for each inner run. */
	w = norm;
	for (p = mapped; *p != '\0'; p += n) {
		if ((n = utf8proc_iterate(p, -1, &cp)) <= 0) {
			r = ERR_INVALID_ARG;
			goto out;
		}
		if (msg_name_space(cp)) {
			gap = w != norm;
			continue;
		}
		if (gap)
			*w++ = ' ';
		gap = 0;
		memcpy(w, p, (size_t)n);
		w += n;
	}
	*w = '\0';
	*out = norm;
	norm = NULL;
out:
	free(norm);
	free(mapped);
	return r;
}
