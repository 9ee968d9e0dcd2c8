/*
 * libFuzzer target for pl_decode_open_data_channel (protocol/payload.c).
 *
 * The input is the payload.  It is decoded whole and through the
 * incremental JSON parser in pieces (one byte at a time when short): both
 * must agree, and a failed decode must leave the struct zeroed.
 * A decoded OpenDataChannel re-encodes and decodes to the same struct.
 */
#include "payload_fuzz.h"

static int
equal(const struct pl_open_data_channel *a,
    const struct pl_open_data_channel *b)
{
	return str_eq(a->message_schema_version, b->message_schema_version) &&
	    str_eq(a->request_id, b->request_id) &&
	    str_eq(a->token_value, b->token_value) &&
	    str_eq(a->client_id, b->client_id) &&
	    str_eq(a->client_version, b->client_version);
}

static void
round_trip(const struct pl_open_data_channel *a)
{
	struct pl_open_data_channel back;
	struct buf out;
	int r;

	buf_init(&out, JSON_MAX_INPUT);
	r = pl_encode_open_data_channel(&out, a);
	if (r == SP_ERR_NO_SPACE) {	/* escapes grew it past 1 MiB */
		buf_release(&out);
		return;
	}
	if (r != 0 || pl_decode_open_data_channel(buf_ptr(&out),
	    buf_len(&out), &back) != 0 || !equal(a, &back))
		abort();
	pl_open_data_channel_free(&back);
	buf_release(&out);
}


PF_CODEC(open_data_channel);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return pf_run(&pf_codec_open_data_channel, data, size);
}
