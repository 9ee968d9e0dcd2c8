/*
 * libFuzzer target for pl_decode_handshake_request (protocol/payload.c).
 *
 * The input is the payload.  It is decoded whole and through the
 * incremental JSON parser in pieces (one byte at a time when short): both
 * must agree, and a failed decode must leave the struct zeroed.
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
    struct pl_handshake_request *out)
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
		r = pl_handshake_request_from_json(j, out);
	json_free(j);
	return r;
}

static int
equal(const struct pl_handshake_request *a,
    const struct pl_handshake_request *b)
{
	const struct pl_action_request *x, *y;
	size_t i;

	if (!str_eq(a->agent_version, b->agent_version) ||
	    a->n_actions != b->n_actions || a->n_actions > PL_MAX_ACTIONS)
		return 0;
	for (i = 0; i < a->n_actions; i++) {
		x = &a->actions[i];
		y = &b->actions[i];
		if (x->action_type == NULL ||
		    !str_eq(x->action_type, y->action_type) ||
		    !str_eq(x->session_type, y->session_type) ||
		    !str_eq(x->port_number, y->port_number) ||
		    !str_eq(x->properties_type, y->properties_type) ||
		    !str_eq(x->kms_key_id, y->kms_key_id))
			return 0;
		/* Parameters are read only for the two known actions. */
		if ((strcmp(x->action_type, PL_ACTION_SESSION_TYPE) == 0) !=
		    (x->session_type != NULL))
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_handshake_request a, b;
	int ra, rb;

	ra = pl_decode_handshake_request(data, size, &a);
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
	pl_handshake_request_free(&a);
	pl_handshake_request_free(&b);
	if (!is_zero(&a, sizeof(a)))
		abort();
	return 0;
}
