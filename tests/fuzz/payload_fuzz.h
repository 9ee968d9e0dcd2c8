/*
 * Shared driver of the payload fuzz targets (fuzz_ack.c and the others):
 * the input is decoded whole and through the incremental JSON parser in
 * pieces (one byte at a time when short); both must agree, a failed
 * decode must leave the struct zeroed, and a target's round trip (encode,
 * decode, compare) must hold for whatever decoded.
 */
#ifndef PAYLOAD_FUZZ_H
#define PAYLOAD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* One payload type, through untyped wrappers around its functions. */
struct pf_codec {
	size_t	  size;				/* sizeof the struct */
	int	(*decode)(const uint8_t *, size_t, void *);
	int	(*from_json)(const struct json *, void *);
	int	(*equal)(const void *, const void *);
	void	(*round_trip)(const void *);	/* NULL: decode only */
	void	(*free)(void *);
};

/*
 * The untyped wrappers and the codec of struct pl_NAME, for a target that
 * defines equal() and round_trip() on it: pf_run(&pf_codec_NAME, ...).
 */
#define PF_CODEC(name)							\
static int								\
pf_w_decode(const uint8_t *p, size_t len, void *out)			\
{									\
	return pl_decode_##name(p, len, out);				\
}									\
static int								\
pf_w_from_json(const struct json *j, void *out)				\
{									\
	return pl_##name##_from_json(j, out);				\
}									\
static int								\
pf_w_equal(const void *a, const void *b)				\
{									\
	return equal(a, b);						\
}									\
static void								\
pf_w_round_trip(const void *a)						\
{									\
	round_trip(a);							\
}									\
static void								\
pf_w_free(void *p)							\
{									\
	pl_##name##_free(p);						\
}									\
static const struct pf_codec pf_codec_##name = {			\
	sizeof(struct pl_##name), pf_w_decode, pf_w_from_json,		\
	pf_w_equal, pf_w_round_trip, pf_w_free				\
}

static int
is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

static __attribute__((unused)) int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Parse in pieces of step bytes, then decode the tree. */
static int
pf_decode_pieces(const struct pf_codec *c, const uint8_t *data, size_t size,
    size_t step, void *out)
{
	struct json_parser *p;
	struct json *j = NULL;
	size_t off, n;
	int r = 0;

	memset(out, 0, c->size);
	if ((p = json_parser_new()) == NULL)
		abort();
	for (off = 0; off < size && r == 0; off += n) {
		n = size - off < step ? size - off : step;
		r = json_parser_feed(p, data + off, n);
	}
	if (r == 0)
		r = json_parser_finish(p, &j);
	json_parser_free(p);
	if (r == 0)
		r = c->from_json(j, out);
	json_free(j);
	return r;
}

static int
pf_run(const struct pf_codec *c, const uint8_t *data, size_t size)
{
	union {
		max_align_t	 align;
		uint8_t		 b[512];
	} a, b;
	int ra, rb;

	if (c->size > sizeof(a.b))
		abort();
	ra = c->decode(data, size, &a);
	rb = pf_decode_pieces(c, data, size, size <= 1024 ? 1 :
	    1 + data[0] % 17, &b);
	if (ra != rb || ra > 0)
		abort();
	if (ra != 0) {
		if (!is_zero(&a, c->size) || !is_zero(&b, c->size))
			abort();
		return 0;
	}
	if (!c->equal(&a, &b))
		abort();
	if (c->round_trip != NULL)
		c->round_trip(&a);
	c->free(&a);
	c->free(&b);
	if (!is_zero(&a, c->size))
		abort();
	return 0;
}

#endif /* PAYLOAD_FUZZ_H */
