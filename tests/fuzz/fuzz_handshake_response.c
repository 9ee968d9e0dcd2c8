/*
 * libFuzzer target for pl_decode_handshake_response (protocol/payload.c).
 *
 * The input is the payload.  It is decoded whole and through the
 * incremental JSON parser in pieces (one byte at a time when short): both
 * must agree, and a failed decode must leave the struct zeroed.
 * A decoded response re-encodes (ActionResult always null) and decodes
 * to the same struct.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		if (*b++ != 0)
			return 0;
	return 1;
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Parse in pieces of step bytes, then decode the tree. */
static int
decode_pieces(const uint8_t *data, size_t size, size_t step,
    struct pl_handshake_response *out)
{
	struct json_parser *p;
	struct json *j = NULL;
	size_t off, n;
	int r = 0;

	memset(out, 0, sizeof(*out));
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
		r = pl_handshake_response_from_json(j, out);
	json_free(j);
	return r;
}

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_handshake_response a, b;
	int ra, rb;

	ra = pl_decode_handshake_response(data, size, &a);
	rb = decode_pieces(data, size, size <= 1024 ? 1 :
	    1 + data[0] % 17, &b);
	if (ra != rb || ra > 0)
		abort();
	if (ra != 0) {
		if (!is_zero(&a, sizeof(a)) || !is_zero(&b, sizeof(b)))
			abort();
		return 0;
	}
	if (!equal(&a, &b))
		abort();
	round_trip(&a);
	pl_handshake_response_free(&a);
	pl_handshake_response_free(&b);
	if (!is_zero(&a, sizeof(a)))
		abort();
	return 0;
}
