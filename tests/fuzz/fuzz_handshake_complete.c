/*
 * libFuzzer target for pl_decode_handshake_complete (protocol/payload.c).
 *
 * The input is the payload.  It is decoded whole and through the
 * incremental JSON parser in pieces (one byte at a time when short): both
 * must agree, and a failed decode must leave the struct zeroed.
 */
#include "payload_fuzz.h"

static int
equal(const struct pl_handshake_complete *a,
    const struct pl_handshake_complete *b)
{
	return a->time_to_complete_ns == b->time_to_complete_ns &&
	    a->customer_message != NULL &&
	    str_eq(a->customer_message, b->customer_message);
}


/* Untyped wrappers for the shared driver. */
static int
w_decode(const uint8_t *p, size_t len, void *out)
{
	return pl_decode_handshake_complete(p, len, out);
}

static int
w_from_json(const struct json *j, void *out)
{
	return pl_handshake_complete_from_json(j, out);
}

static int
w_equal(const void *a, const void *b)
{
	return equal(a, b);
}

static void
w_free(void *p)
{
	pl_handshake_complete_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pf_codec codec = {
		sizeof(struct pl_handshake_complete), w_decode, w_from_json, w_equal,
		NULL, w_free
	};

	return pf_run(&codec, data, size);
}
