/*
 * Random messages from descriptors (reqgen.h). A field is set or left at its
 * default by a coin; a value is mostly one of the few that break programs
 * (0, -1, the ends of the range, small ids that exist, NaN, text that is not
 * UTF-8) and otherwise anything at all.
 */
#include "reqgen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REQGEN_LONG_TEXT 5000 /* longest string built, in bytes */
#define REQGEN_MANY      300  /* most elements of a repeated field */

/* Strings that exist, and strings that no server should take as they are. */
static const char *const reqgen_texts[] = {
	"",
	"a",
	" ",
	"root",
	"nobody",
	"all",
	"bu:",
	"bu:nowhere",
	"seg:",
	"2026-01-01",
	"2026-02-29",
	"2024-02-29",
	"2026-13-01",
	"1970-01-01",
	"9999-12-31",
	"2026-1-1",
	"today",
	"A",
	"B",
	"C",
	"华东机械有限公司",
	"Ｆｕｌｌ　ｗｉｄｔｈ",
	"Ärzte ①",
	"tab\there",
	"line\nbreak",
	"\x01\x7f",
	"\xc2\x85",         /* C1 control */
	"\xff\xfe",         /* not UTF-8 */
	"\xc0\xaf",         /* overlong '/' */
	"\xed\xa0\x80",     /* surrogate */
	"\xf4\x90\x80\x80", /* above U+10FFFF */
	"\xe4\xb8",         /* cut sequence */
	"%s%n%x",
	"'; DROP TABLE users; --",
	"../../etc/passwd",
	"-1",
	"0",
	"1e309",
	"NaN",
};

void
reqgen_seed(struct reqgen *g, uint64_t seed)
{
	g->s = seed != 0 ? seed : 0x9e3779b97f4a7c15ULL;
}

uint64_t
reqgen_next(struct reqgen *g)
{
	g->s ^= g->s >> 12;
	g->s ^= g->s << 25;
	g->s ^= g->s >> 27;
	return g->s * 0x2545f4914f6cdd1dULL;
}

uint32_t
reqgen_below(struct reqgen *g, uint32_t n)
{
	return (uint32_t)(reqgen_next(g) % n);
}

static int
reqgen_chance(struct reqgen *g, unsigned percent)
{
	return reqgen_below(g, 100) < percent;
}

static int64_t
reqgen_int(struct reqgen *g)
{
	static const int64_t edges[] = { 0, 1, -1, 2, 3, 5, 10, 100, 255, 256,
		1000, 2025, 2026, 65535, 86400, INT32_MAX, INT32_MIN,
		(int64_t)UINT32_MAX, INT64_MAX, INT64_MIN };

	switch (reqgen_below(g, 4)) {
	case 0:
		return edges[reqgen_below(g, sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return (int64_t)reqgen_next(g);
	default: /* an id or a count that may exist */
		return (int64_t)reqgen_below(g, 40);
	}
}

static double
reqgen_real(struct reqgen *g)
{
	static const double edges[] = { 0.0, -0.0, 1.0, -1.0, 0.5, 50.0, 99.99,
		100.0, 100.01, 1e300, -1e300, 5e-324 };

	switch (reqgen_below(g, 4)) {
	case 0:
		return NAN;
	case 1:
		return reqgen_chance(g, 50) ? INFINITY : -INFINITY;
	case 2:
		return edges[reqgen_below(g, sizeof(edges) / sizeof(edges[0]))];
	default:
		return (double)reqgen_below(g, 10001) / 100.0;
	}
}

/* A malloc'd string. */
static char *
reqgen_text(struct reqgen *g)
{
	static const char *const pieces[] = { "a", "Z", "9", " ", "-", "中",
		"文", "\xf0\x9f\x98\x80", "\xff", "\x00" };
	const char *w;
	size_t len, i, n;
	char *s;

	switch (reqgen_below(g, 10)) {
	case 0: /* long, of mixed pieces (a NUL piece ends it early) */
		len = 1 + reqgen_below(g, REQGEN_LONG_TEXT - 4);
		if ((s = malloc(len + 5)) == NULL)
			return NULL;
		for (i = 0; i < len;) {
			w = pieces[reqgen_below(
			    g, sizeof(pieces) / sizeof(pieces[0]))];
			n = *w != '\0' ? strlen(w) : 1;
			memcpy(s + i, w, n);
			i += n;
		}
		s[i] = '\0';
		return s;
	case 1:
	case 2:
		if (g->n_words > 0)
			return strdup(g->words[reqgen_below(g, g->n_words)]);
		/* fall through */
	default:
		return strdup(reqgen_texts[reqgen_below(
		    g, sizeof(reqgen_texts) / sizeof(reqgen_texts[0]))]);
	}
}

static int
reqgen_enum(struct reqgen *g, const ProtobufCEnumDescriptor *e)
{
	if (e != NULL && e->n_values > 0 && reqgen_chance(g, 80))
		return e->values[reqgen_below(g, e->n_values)].value;
	return (int)reqgen_below(g, 60) - 5;
}

static size_t
reqgen_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

/* One value of f's type at p. 0, or -1 when out of memory. */
static int
reqgen_value(
    struct reqgen *g, const ProtobufCFieldDescriptor *f, void *p, int depth)
{
	int64_t v;

	switch (f->type) {
	case PROTOBUF_C_TYPE_ENUM:
		memcpy(p, &(int32_t){ reqgen_enum(g, f->descriptor) }, 4);
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
		memcpy(p, &(float){ (float)reqgen_real(g) }, sizeof(float));
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		memcpy(p, &(double){ reqgen_real(g) }, sizeof(double));
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		memcpy(p, &(protobuf_c_boolean){ reqgen_chance(g, 50) },
		    sizeof(protobuf_c_boolean));
		return 0;
	case PROTOBUF_C_TYPE_STRING: {
		char *s = reqgen_text(g);

		memcpy(p, &s, sizeof(s));
		return s != NULL ? 0 : -1;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData b;
		size_t i;

		b.len = reqgen_chance(g, 50) ? 32 : reqgen_below(g, 70);
		if ((b.data = malloc(b.len ? b.len : 1)) == NULL)
			return -1;
		for (i = 0; i < b.len; i++)
			b.data[i] = (uint8_t)reqgen_next(g);
		memcpy(p, &b, sizeof(b));
		return 0;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		ProtobufCMessage *m =
		    reqgen_message(g, f->descriptor, depth - 1);

		memcpy(p, &m, sizeof(m));
		return m != NULL ? 0 : -1;
	}
	default: /* the integers, of 4 bytes or 8 */
		v = reqgen_int(g);
		if (reqgen_size(f) == 4)
			memcpy(p, &(uint32_t){ (uint32_t)v }, 4);
		else
			memcpy(p, &v, 8);
		return 0;
	}
}

/* Sets field f of m. 0, or -1 when out of memory (m stays freeable). */
static int
reqgen_field(struct reqgen *g, const ProtobufCFieldDescriptor *f,
    ProtobufCMessage *m, int depth)
{
	char *base = (char *)m;
	size_t n, i, size = reqgen_size(f);
	char *arr;
	int r = 0;

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		n = reqgen_chance(g, 5) ? reqgen_below(g, REQGEN_MANY + 1)
					: reqgen_below(g, 5);
		if ((arr = calloc(n ? n : 1, size)) == NULL)
			return -1;
		/* Counted as they are made, so that a failure frees them. */
		memcpy(base + f->offset, &arr, sizeof(arr));
		for (i = 0; i < n && r == 0; i++) {
			r = reqgen_value(g, f, arr + i * size, depth);
			if (r == 0)
				memcpy(base + f->quantifier_offset,
				    &(size_t){ i + 1 }, sizeof(size_t));
		}
		return r;
	}
	r = reqgen_value(g, f, base + f->offset, depth);
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		memcpy(base + f->quantifier_offset, &(uint32_t){ f->id },
		    sizeof(uint32_t));
	else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
		 f->type != PROTOBUF_C_TYPE_STRING &&
		 f->type != PROTOBUF_C_TYPE_MESSAGE)
		memcpy(base + f->quantifier_offset, &(protobuf_c_boolean){ 1 },
		    sizeof(protobuf_c_boolean));
	return r;
}

ProtobufCMessage *
reqgen_message(struct reqgen *g, const ProtobufCMessageDescriptor *d, int depth)
{
	const ProtobufCFieldDescriptor *f;
	ProtobufCMessage *m;
	uint32_t set;
	unsigned i;

	if ((m = calloc(1, d->sizeof_message)) == NULL)
		return NULL;
	d->message_init(m);
	for (i = 0; i < d->n_fields; i++) {
		f = &d->fields[i];
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			/* One member of a oneof at most. */
			memcpy(&set, (char *)m + f->quantifier_offset,
			    sizeof(set));
			if (set != 0)
				continue;
		}
		if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth <= 0)
			continue;
		if (!reqgen_chance(g, 55))
			continue;
		if (reqgen_field(g, f, m, depth) != 0) {
			protobuf_c_message_free_unpacked(m, NULL);
			return NULL;
		}
	}
	return m;
}

/* Frees field f of m and puts its default back. */
static void
reqgen_clear(const ProtobufCFieldDescriptor *f, ProtobufCMessage *m)
{
	char *base = (char *)m;
	size_t n = 1, i, size = reqgen_size(f);
	char *arr = base + f->offset, *p;
	uint32_t set;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		/* Another member of the oneof may hold the storage. */
		memcpy(&set, base + f->quantifier_offset, sizeof(set));
		if (set != f->id) {
			const ProtobufCFieldDescriptor *other =
			    set != 0 ? protobuf_c_message_descriptor_get_field(
					   m->descriptor, set)
				     : NULL;

			if (other != NULL)
				reqgen_clear(other, m);
			return;
		}
		memset(base + f->quantifier_offset, 0, sizeof(set));
	}
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		memcpy(&arr, base + f->offset, sizeof(arr));
		memcpy(&n, base + f->quantifier_offset, sizeof(n));
	}
	for (i = 0; arr != NULL && i < n; i++) {
		p = arr + i * size;
		if (f->type == PROTOBUF_C_TYPE_STRING) {
			char *str;

			memcpy(&str, p, sizeof(str));
			if (str != NULL && str != protobuf_c_empty_string &&
			    str != f->default_value)
				free(str);
		} else if (f->type == PROTOBUF_C_TYPE_BYTES) {
			ProtobufCBinaryData b;

			memcpy(&b, p, sizeof(b));
			if (f->default_value == NULL ||
			    b.data !=
				((const ProtobufCBinaryData *)f->default_value)
				    ->data)
				free(b.data);
		} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			ProtobufCMessage *sub;

			memcpy(&sub, p, sizeof(sub));
			if (sub != NULL)
				protobuf_c_message_free_unpacked(sub, NULL);
		}
	}
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		free(arr);
		memcpy(base + f->offset, &(char *){ NULL }, sizeof(char *));
		memset(base + f->quantifier_offset, 0, sizeof(size_t));
		return;
	}
	/* Back to the default: "" for a string, zeros otherwise (proto3). */
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		const char *d = f->default_value != NULL
				    ? f->default_value
				    : protobuf_c_empty_string;

		memcpy(base + f->offset, &d, sizeof(d));
	} else {
		memset(base + f->offset, 0, size);
	}
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	    f->type != PROTOBUF_C_TYPE_STRING &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE)
		memset(
		    base + f->quantifier_offset, 0, sizeof(protobuf_c_boolean));
}

int
reqgen_refill(
    struct reqgen *g, ProtobufCMessage *m, const char *path, int depth)
{
	const ProtobufCFieldDescriptor *f;
	const char *dot = strchr(path, '.');
	char name[128];
	size_t len = dot != NULL ? (size_t)(dot - path) : strlen(path);
	ProtobufCMessage *sub = NULL;
	size_t n = 1;
	uint32_t set;

	if (len == 0 || len >= sizeof(name))
		return 1;
	memcpy(name, path, len);
	name[len] = '\0';
	if ((f = protobuf_c_message_descriptor_get_field_by_name(
		 m->descriptor, name)) == NULL)
		return 1;
	if (dot == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE) {
		if (dot != NULL)
			return 1; /* a path through a scalar */
		reqgen_clear(f, m);
		return reqgen_field(g, f, m, depth) == 0 ? 0 : -1;
	}
	/* Down into the message, the first one of a repeated field. */
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		memcpy(&set, (char *)m + f->quantifier_offset, sizeof(set));
		if (set != f->id)
			n = 0;
	}
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		ProtobufCMessage **arr;

		memcpy(&n, (char *)m + f->quantifier_offset, sizeof(n));
		memcpy(&arr, (char *)m + f->offset, sizeof(arr));
		if (n > 0)
			sub = arr[0];
	} else if (n > 0) {
		memcpy(&sub, (char *)m + f->offset, sizeof(sub));
	}
	if (sub == NULL) {
		/* Not there: make one, then go on down. */
		reqgen_clear(f, m);
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			ProtobufCMessage **arr = calloc(1, sizeof(*arr));

			if (arr == NULL ||
			    (arr[0] = reqgen_message(
				 g, f->descriptor, depth - 1)) == NULL) {
				free(arr);
				return -1;
			}
			memcpy((char *)m + f->offset, &arr, sizeof(arr));
			memcpy((char *)m + f->quantifier_offset, &(size_t){ 1 },
			    sizeof(size_t));
			sub = arr[0];
		} else {
			if ((sub = reqgen_message(
				 g, f->descriptor, depth - 1)) == NULL)
				return -1;
			memcpy((char *)m + f->offset, &sub, sizeof(sub));
			if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
				memcpy((char *)m + f->quantifier_offset,
				    &(uint32_t){ f->id }, sizeof(uint32_t));
		}
	}
	return reqgen_refill(g, sub, dot + 1, depth - 1);
}
