/*
 * libFuzzer target for pl_decode_ack (protocol/payload.c).
 *
 * The input is the payload.  It is decoded whole and through the
 * incremental JSON parser in pieces (one byte at a time when short): both
 * must agree, and a failed decode must leave the struct zeroed.
 * A decoded ack re-encodes and decodes to the same struct.  The
 * sequence-number-only decoder (with its fast path for the agent's own
 * form) agrees with the full one on success and on the number.
 */
#include "payload_fuzz.h"

static int
equal(const struct pl_ack *a, const struct pl_ack *b)
{
	return str_eq(a->message_type, b->message_type) &&
	    str_eq(a->message_id, b->message_id) &&
	    a->sequence_number == b->sequence_number &&
	    a->is_sequential == b->is_sequential;
}

static void
round_trip(const struct pl_ack *a)
{
	struct pl_ack back;
	struct buf out;

	buf_init(&out, JSON_MAX_INPUT);
	if (pl_encode_ack(&out, a) != 0 ||
	    pl_decode_ack(buf_ptr(&out), buf_len(&out), &back) != 0 ||
	    !equal(a, &back))
		abort();
	pl_ack_free(&back);
	buf_release(&out);
}


PF_CODEC(ack);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_ack a;
	int64_t seq;
	int r1, r2;

	r1 = pl_decode_ack(data, size, &a);
	r2 = pl_decode_ack_seq(data, size, &seq);
	if ((r1 == 0) != (r2 == 0) || (r1 == 0 && seq != a.sequence_number))
		abort();
	if (r1 == 0)
		pl_ack_free(&a);
	return pf_run(&pf_codec_ack, data, size);
}
