/*
 * Random protobuf-c messages built from their descriptors, for tests that
 * throw arbitrary but well-formed requests at tierd: every field of every
 * kind may be set, to values a fuzzer would pick (edges of the integer
 * ranges, enum values out of range, NaN, overlong and malformed UTF-8, names
 * that exist and names that do not). The same seed builds the same messages.
 */
#ifndef TIER_REQGEN_H
#define TIER_REQGEN_H

#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

struct reqgen {
	uint64_t s;               /* xorshift64* state, never 0 */
	const char *const *words; /* extra strings to pick from, or NULL */
	unsigned n_words;
};

void reqgen_seed(struct reqgen *g, uint64_t seed);
uint64_t reqgen_next(struct reqgen *g);
/* A number below n (n > 0). */
uint32_t reqgen_below(struct reqgen *g, uint32_t n);

/*
 * A message of type d with about half its fields set, nested messages down
 * to depth levels. Free it with protobuf_c_message_free_unpacked(m, NULL).
 * NULL when out of memory.
 */
ProtobufCMessage *reqgen_message(
    struct reqgen *g, const ProtobufCMessageDescriptor *d, int depth);

/*
 * Gives the field at path in m ("customer.name": field name of m, then of
 * the message in it; the first element of a repeated message) a new random
 * value, making the messages on the way if they are not set. 0, 1 when m
 * has no such field, -1 when out of memory.
 */
int reqgen_refill(
    struct reqgen *g, ProtobufCMessage *m, const char *path, int depth);

#endif
