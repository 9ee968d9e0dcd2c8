/*
 * libFuzzer target for pl_decode_channel_closed (protocol/payload.c).
 *
 * The input is the payload.  It is decoded whole and through the
 * incremental JSON parser in pieces (one byte at a time when short): both
 * must agree, and a failed decode must leave the struct zeroed.
 */
#include "payload_fuzz.h"

static int
equal(const struct pl_channel_closed *a, const struct pl_channel_closed *b)
{
	/* Every string is set, "" when absent. */
	return a->message_id != NULL && a->created_date != NULL &&
	    a->destination_id != NULL && a->session_id != NULL &&
	    a->message_type != NULL && a->output != NULL &&
	    str_eq(a->message_id, b->message_id) &&
	    str_eq(a->created_date, b->created_date) &&
	    str_eq(a->destination_id, b->destination_id) &&
	    str_eq(a->session_id, b->session_id) &&
	    str_eq(a->message_type, b->message_type) &&
	    a->schema_version == b->schema_version &&
	    str_eq(a->output, b->output);
}


/* Untyped wrappers for the shared driver. */
static int
w_decode(const uint8_t *p, size_t len, void *out)
{
	return pl_decode_channel_closed(p, len, out);
}

static int
w_from_json(const struct json *j, void *out)
{
	return pl_channel_closed_from_json(j, out);
}

static int
w_equal(const void *a, const void *b)
{
	return equal(a, b);
}

static void
w_free(void *p)
{
	pl_channel_closed_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pf_codec codec = {
		sizeof(struct pl_channel_closed), w_decode, w_from_json, w_equal,
		NULL, w_free
	};

	return pf_run(&codec, data, size);
}
