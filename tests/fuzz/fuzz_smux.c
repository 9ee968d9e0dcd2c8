/*
 * libFuzzer target for smux_feed (protocol/smux.c).
 *
 * The first byte picks a piece size; the rest is the byte stream the
 * agent would send, into a session with streams 3 and 5 open and room
 * for 8.  Beyond "no crash": the decoder never takes more than it is
 * given, data pieces point into the input and are never empty, the
 * stream table stays within its bound, a spent session takes nothing
 * more, and the stream read in pieces yields the same events and the
 * same verdict as read all at once.  Then the input, sent as PSH data
 * and read back, must come out unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smux.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct trace {
	uint8_t		*b;
	size_t		 n;
	const uint8_t	*lo, *hi;	/* the input, for pointer checks */
};

static void
put(struct trace *t, const void *p, size_t n)
{
	memcpy(t->b + t->n, p, n);
	t->n += n;
}

static void
tag(struct trace *t, uint8_t c, uint32_t sid)
{
	put(t, &c, 1);
	put(t, &sid, sizeof(sid));
}

static int
on_data(void *arg, uint32_t sid, const uint8_t *p, size_t n)
{
	struct trace *t = arg;

	if (n == 0 || p < t->lo || p + n > t->hi)
		abort();
	put(t, p, n);	/* pieces carry no boundaries: no tag */
	return 0;
}

static int
on_fin(void *arg, uint32_t sid)
{
	tag(arg, 'F', sid);
	return 0;
}

static int
on_syn(void *arg, uint32_t sid)
{
	tag(arg, 'S', sid);
	return 0;
}

static int
on_nop(void *arg)
{
	tag(arg, 'N', 0);
	return 0;
}

static void
run(const uint8_t *in, size_t len, size_t step, struct trace *t)
{
	struct smux_cb cb = { on_data, on_fin, on_syn, on_nop, t };
	struct smux s;
	struct buf out;
	size_t off = 0, piece, used;
	uint32_t sid;
	int rc;

	t->lo = in;
	t->hi = in + len;
	smux_init(&s, 8);
	buf_init(&out, 64);
	if (smux_open(&s, &out, &sid) != 0 || smux_open(&s, &out, &sid) != 0)
		abort();
	while (off < len) {
		piece = step == 0 || len - off < step ? len - off : step;
		rc = smux_feed(&s, in + off, piece, &cb, &used);
		if (used > piece || smux_count(&s) > 8)
			abort();
		off += used;
		if (rc != 0) {
			if (rc > 0 || smux_why(&s)[0] == '\0')
				abort();
			if (smux_feed(&s, in, len, &cb, &used) == 0 ||
			    used != 0)
				abort();	/* spent */
			put(t, "X", 1);
			break;
		}
		if (used != piece)
			abort();
	}
	smux_free(&s);
	buf_release(&out);
}

/* The input as PSH data on stream 3, read back. */
static void
roundtrip(const uint8_t *in, size_t len, uint8_t *got)
{
	struct trace t = { got, 0, NULL, NULL };
	struct smux_cb cb = { on_data, on_fin, on_syn, on_nop, &t };
	struct smux s;
	struct buf out;
	size_t used;
	uint32_t sid;

	smux_init(&s, 0);
	buf_init(&out, 2 * len + 64);
	if (smux_open(&s, &out, &sid) != 0 ||
	    smux_send(&s, &out, sid, in, len) != 0 ||
	    smux_shut(&s, &out, sid) != 0 || buf_consume(&out, 8) != 0)
		abort();
	/* Our own frames, fed to ourselves: the peer's side of stream 3. */
	t.lo = buf_ptr(&out);
	t.hi = t.lo + buf_len(&out);
	if (smux_feed(&s, buf_ptr(&out), buf_len(&out), &cb, &used) != 0 ||
	    used != buf_len(&out) || !smux_idle(&s))
		abort();
	if (t.n != len + 5 || memcmp(got, in, len) != 0 || got[len] != 'F')
		abort();
	smux_free(&s);
	buf_release(&out);
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
	/* Each input byte yields at most itself, or 5 bytes per header. */
	a.b = malloc(size + 1);
	b.b = malloc(size + 1);
	a.n = b.n = 0;
	run(data, size, 0, &a);
	run(data, size, step, &b);
	if (a.n != b.n || memcmp(a.b, b.b, a.n) != 0)
		abort();
	free(a.b);
	free(b.b);
	a.b = malloc(size + 6);
	roundtrip(data, size, a.b);
	free(a.b);
	return 0;
}
