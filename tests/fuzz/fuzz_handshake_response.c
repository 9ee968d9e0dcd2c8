/*
 * libFuzzer target for pl_decode_handshake_response (protocol/payload.c).
 *
 * The input is the payload.  It is decoded whole and through the
 * incremental JSON parser in pieces (one byte at a time when short): both
 * must agree, and a failed decode must leave the struct zeroed.
 * A decoded response re-encodes (ActionResult always null) and decodes
 * to the same struct.
 */
#include "payload_fuzz.h"

static int
equal_but_result(const struct pl_handshake_response *a,
    const struct pl_handshake_response *b, int results)
{
	const struct pl_action_result *x, *y;
	size_t i;

	if (!str_eq(a->client_version, b->client_version) ||
	    a->n_actions != b->n_actions || a->n_errors != b->n_errors)
		return 0;
	for (i = 0; i < a->n_actions; i++) {
		x = &a->actions[i];
		y = &b->actions[i];
		if (!str_eq(x->action_type, y->action_type) ||
		    x->action_status != y->action_status ||
		    (results && x->result_is_null != y->result_is_null) ||
		    !str_eq(x->error, y->error))
			return 0;
	}
	for (i = 0; i < a->n_errors; i++)
		if (!str_eq(a->errors[i], b->errors[i]))
			return 0;
	return 1;
}

static int
equal(const struct pl_handshake_response *a,
    const struct pl_handshake_response *b)
{
	return equal_but_result(a, b, 1);
}

static void
round_trip(const struct pl_handshake_response *a)
{
	struct pl_handshake_response back;
	struct buf out;
	size_t i;
	int r;

	buf_init(&out, JSON_MAX_INPUT);
	r = pl_encode_handshake_response(&out, a);
	if (r == SP_ERR_NO_SPACE) {	/* escapes grew it past 1 MiB */
		buf_release(&out);
		return;
	}
	if (r != 0 || pl_decode_handshake_response(buf_ptr(&out),
	    buf_len(&out), &back) != 0 || !equal_but_result(a, &back, 0))
		abort();
	for (i = 0; i < back.n_actions; i++)
		if (!back.actions[i].result_is_null)
			abort();
	pl_handshake_response_free(&back);
	buf_release(&out);
}


PF_CODEC(handshake_response);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return pf_run(&pf_codec_handshake_response, data, size);
}
