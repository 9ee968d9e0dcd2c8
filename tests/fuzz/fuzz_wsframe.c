/*
 * libFuzzer target for wsf_read (protocol/wsframe.c).
 *
 * The first byte picks a piece size; the rest is the byte stream.  Beyond
 * "no crash": the reader never takes more than it is given, data pieces
 * point into the input, a control payload is at most 125 bytes, and the
 * stream read in pieces yields the same message bytes, the same control
 * frames and the same verdict as read all at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wsframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct trace {
	uint8_t	*b;
	size_t	 n;
};

static void
put(struct trace *t, const void *p, size_t n)
{
	memcpy(t->b + t->n, p, n);
	t->n += n;
}

/* What the reader reports, with message boundaries but not piece ones. */
static void
run(const uint8_t *in, size_t len, size_t step, struct trace *t)
{
	struct wsf_reader r;
	struct wsf_event ev;
	size_t off = 0, piece, used;
	uint8_t tag;
	int rc;

	wsf_reader_init(&r);
	while (off < len) {
		piece = step == 0 || len - off < step ? len - off : step;
		rc = wsf_read(&r, in + off, piece, &used, &ev);
		if (used > piece)
			abort();
		off += used;
		if (rc < 0) {
			put(t, "X", 1);
			return;
		}
		if (rc == WSF_NEED_MORE) {
			if (used != piece)
				abort();	/* NEED_MORE takes it all */
			continue;
		}
		if (rc == WSF_DATA) {
			if (ev.len > 0 && (ev.data < in ||
			    ev.data + ev.len > in + len))
				abort();
			put(t, ev.data, ev.len);
			if (ev.end) {
				tag = (uint8_t)(0xe0 | ev.opcode);
				put(t, &tag, 1);
			}
		} else {
			if (rc != WSF_CONTROL || ev.len > 125)
				abort();
			tag = (uint8_t)(0xc0 | ev.opcode);
			put(t, &tag, 1);
			put(t, ev.data, ev.len);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace a, b;
	size_t step;

	if (size < 1)
		return 0;
	step = 1 + data[0] % 17;
	data++;
	size--;
	/* Each input byte yields at most itself plus one tag per header. */
	a.b = malloc(2 * size + 1);
	b.b = malloc(2 * size + 1);
	a.n = b.n = 0;
	run(data, size, 0, &a);
	run(data, size, step, &b);
	if (a.n != b.n || memcmp(a.b, b.b, a.n) != 0)
		abort();
	free(a.b);
	free(b.b);
	return 0;
}
