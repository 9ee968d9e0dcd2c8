/*
 * libFuzzer target for pl_decode_channel_closed (protocol/payload.c).
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
    struct pl_channel_closed *out)
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
		r = pl_channel_closed_from_json(j, out);
	json_free(j);
	return r;
}

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_channel_closed a, b;
	int ra, rb;

	ra = pl_decode_channel_closed(data, size, &a);
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
	pl_channel_closed_free(&a);
	pl_channel_closed_free(&b);
	if (!is_zero(&a, sizeof(a)))
		abort();
	return 0;
}
