/*
 * Unit tests for protocol/smux.c.  The frames are written out by hand
 * from the format in PROTOCOL.md "Multiplexed port sessions (smux)":
 * version 1, command (SYN 0, FIN 1, PSH 2, NOP 3), length as 16 bits
 * little-endian, stream id as 32 bits little-endian, then the data.
 */
#include "test.h"
#include "smux.h"

static const uint8_t SYN3[] = { 1, 0, 0, 0, 3, 0, 0, 0 };
static const uint8_t FIN3[] = { 1, 1, 0, 0, 3, 0, 0, 0 };
static const uint8_t NOP[] = { 1, 3, 0, 0, 0, 0, 0, 0 };
static const uint8_t PSH3_HELLO[] = { 1, 2, 5, 0, 3, 0, 0, 0,
    'h', 'e', 'l', 'l', 'o' };

/* What the callbacks saw, as text: "S5;" "F3;" "N;" and "D3:bytes". */
struct trace {
	char	 t[4096];
	size_t	 n;
	int	 in_data;	/* last event was data ... */
	uint32_t data_sid;	/* ... for this stream */
	int	 stop_after;	/* > 0: return 1 from the n-th callback */
	int	 calls;
};

static void
tput(struct trace *t, const void *p, size_t n)
{
	if (t->n + n >= sizeof(t->t))
		abort();
	memcpy(t->t + t->n, p, n);
	t->n += n;
	t->t[t->n] = '\0';
}

static int
tevent(struct trace *t, char c, uint32_t sid)
{
	char b[32];
	int k;

	k = snprintf(b, sizeof(b), c == 'N' ? "N;" : "%c%lu;", c,
	    (unsigned long)sid);
	tput(t, b, (size_t)k);
	t->in_data = 0;
	return ++t->calls == t->stop_after;
}

static int
cb_data(void *arg, uint32_t sid, const uint8_t *p, size_t n)
{
	struct trace *t = arg;
	char b[32];
	int k;

	if (n == 0)
		abort();	/* never an empty piece */
	if (!t->in_data || t->data_sid != sid) {
		k = snprintf(b, sizeof(b), "D%lu:", (unsigned long)sid);
		tput(t, b, (size_t)k);
	}
	tput(t, p, n);
	t->in_data = 1;
	t->data_sid = sid;
	return ++t->calls == t->stop_after;
}

static int
cb_fin(void *arg, uint32_t sid)
{
	return tevent(arg, 'F', sid);
}

static int
cb_syn(void *arg, uint32_t sid)
{
	return tevent(arg, 'S', sid);
}

static int
cb_nop(void *arg)
{
	return tevent(arg, 'N', 0);
}

static void
cb_setup(struct smux_cb *cb, struct trace *t, int with_syn)
{
	memset(t, 0, sizeof(*t));
	cb->data = cb_data;
	cb->fin = cb_fin;
	cb->syn = with_syn ? cb_syn : NULL;
	cb->nop = cb_nop;
	cb->arg = t;
}

/* A session with streams 3 and 5 open, as smux_open makes them. */
static void
two_streams(struct smux *s)
{
	struct buf b;
	uint32_t sid;

	smux_init(s, 0);
	buf_init(&b, 64);
	if (smux_open(s, &b, &sid) != 0 || sid != 3 ||
	    smux_open(s, &b, &sid) != 0 || sid != 5)
		abort();
	buf_release(&b);
}

/* Feed in pieces cut at the given offsets (ascending, < n). */
static int
feed_cut(struct smux *s, const uint8_t *p, size_t n, const size_t *cut,
    size_t ncut, const struct smux_cb *cb)
{
	size_t a = 0, b, i, used;
	int r;

	for (i = 0; i <= ncut; i++) {
		b = i < ncut ? cut[i] : n;
		if ((r = smux_feed(s, p + a, b - a, cb, &used)) != 0)
			return r;
		if (used != b - a)
			return -1000;
		a = b;
	}
	return 0;
}

static void
test_encode(void)
{
	static const uint8_t psh_le[] = { 1, 2, 2, 1, 0x0d, 0x0c, 0x0b, 0x0a };
	uint8_t data[258];
	struct buf b;

	buf_init(&b, 1024);
	CHECK_EQ(smux_put_syn(&b, 3), 0, "put SYN 3");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), SYN3, sizeof(SYN3), "SYN 3 bytes");
	buf_reset(&b);
	CHECK_EQ(smux_put_fin(&b, 3), 0, "put FIN 3");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), FIN3, sizeof(FIN3), "FIN 3 bytes");
	buf_reset(&b);
	CHECK_EQ(smux_put_nop(&b), 0, "put NOP");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), NOP, sizeof(NOP), "NOP bytes");
	buf_reset(&b);
	CHECK_EQ(smux_put_psh(&b, 3, "hello", 5), 0, "put PSH 3 hello");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), PSH3_HELLO, sizeof(PSH3_HELLO),
	    "PSH 3 hello bytes");
	buf_reset(&b);
	memset(data, 'x', sizeof(data));
	CHECK_EQ(smux_put_psh(&b, 0x0a0b0c0d, data, 258), 0, "put PSH 258");
	CHECK_MEM(buf_ptr(&b), 8, psh_le, 8,
	    "length 258 and id 0x0a0b0c0d little-endian");
	CHECK_EQ(buf_len(&b), 8 + 258, "header and data");
	buf_reset(&b);
	CHECK_EQ(smux_put_psh(&b, 3, data, 0), 0, "empty PSH: no error");
	CHECK_EQ(buf_len(&b), 0, "empty PSH: no frame");
	CHECK_EQ(smux_put_frame(&b, SMUX_CMD_SYN, 3, "x", 1),
	    SP_ERR_INVALID_ARG, "SYN with a body refused");
	CHECK_EQ(smux_put_frame(&b, 4, 3, NULL, 0), SP_ERR_INVALID_ARG,
	    "command 4 refused (version 2 only)");
	CHECK_EQ(buf_len(&b), 0, "nothing written on refusal");
	buf_release(&b);

	/* All or nothing at the cap. */
	buf_init(&b, 12);
	CHECK_EQ(smux_put_psh(&b, 3, data, 5), SP_ERR_NO_SPACE,
	    "13 bytes into a 12-byte cap");
	CHECK_EQ(buf_len(&b), 0, "nothing written past the cap");
	CHECK_EQ(smux_put_psh(&b, 3, data, 4), 0, "12 bytes fit exactly");
	buf_release(&b);
}

/* PSH data longer than the length field splits at 65535 bytes. */
static void
test_split_psh(void)
{
	static const size_t lens[] = { 65535, 65536, 140000 };
	const uint8_t *q;
	uint8_t *data;
	struct buf b;
	size_t i, n, left, off, frames, piece;
	int ok;

	data = malloc(140000);
	for (i = 0; i < 140000; i++)
		data[i] = (uint8_t)(i * 13 + (i >> 9));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		n = lens[i];
		buf_init(&b, 1 << 20);
		CHECK_EQ(smux_put_psh(&b, 7, data, n), 0, "put long PSH");
		q = buf_ptr(&b);
		ok = 1;
		frames = 0;
		for (off = 0, left = n; left > 0; left -= piece) {
			piece = left < 65535 ? left : 65535;
			ok &= q[0] == 1 && q[1] == 2 &&
			    q[2] == (piece & 0xff) && q[3] == piece >> 8 &&
			    q[4] == 7 && q[5] == 0 && q[6] == 0 && q[7] == 0 &&
			    memcmp(q + 8, data + off, piece) == 0;
			q += 8 + piece;
			off += piece;
			frames++;
		}
		ok &= (size_t)(q - buf_ptr(&b)) == buf_len(&b);
		CHECK(ok, "frames of 65535 bytes, then the rest, in order");
		CHECK_EQ(frames, n == 65535 ? 1 : n == 65536 ? 2 : 3,
		    "frame count");
		buf_release(&b);
	}
	free(data);
}

static void
test_open(void)
{
	static const uint8_t want[] = { 1, 0, 0, 0, 3, 0, 0, 0,
	    1, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0 };
	struct smux s;
	struct buf b;
	uint32_t a, c, d;

	smux_init(&s, 0);
	buf_init(&b, 64);
	CHECK_EQ(smux_open(&s, &b, &a), 0, "open first");
	CHECK_EQ(smux_open(&s, &b, &c), 0, "open second");
	CHECK_EQ(smux_open(&s, &b, &d), 0, "open third");
	CHECK(a == 3 && c == 5 && d == 7, "ids 3, 5, 7 as xtaci's client");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), want, sizeof(want),
	    "three SYN frames");
	CHECK_EQ(smux_state(&s, 5), SMUX_ST_OPEN, "5 is open");
	CHECK_EQ(smux_state(&s, 9), SMUX_ST_CLOSED, "9 is unknown");
	CHECK_EQ(smux_count(&s), 3, "three streams");
	smux_free(&s);
	buf_release(&b);

	/* The table's bound. */
	smux_init(&s, 2);
	buf_init(&b, 64);
	CHECK(smux_open(&s, &b, &a) == 0 && smux_open(&s, &b, &a) == 0,
	    "two streams under a limit of 2");
	CHECK_EQ(smux_open(&s, &b, &a), SP_ERR_NO_SPACE, "a third refused");
	CHECK_STR(smux_why(&s), "smux: 2 streams open, the most allowed",
	    "why: the limit");
	CHECK_EQ(buf_len(&b), 16, "no SYN for the refused stream");
	smux_free(&s);
	buf_release(&b);

	/* The ids run out at 2^32 - 1, as xtaci's client does. */
	smux_init(&s, 0);
	buf_init(&b, 64);
	s.next_sid = 0xfffffffdu;
	CHECK(smux_open(&s, &b, &a) == 0 && a == 0xfffffffdu, "id 2^32-3");
	CHECK(smux_open(&s, &b, &a) == 0 && a == 0xffffffffu, "id 2^32-1");
	CHECK_EQ(smux_open(&s, &b, &a), SP_ERR_NO_SPACE, "then none");
	CHECK_STR(smux_why(&s),
	    "smux: stream ids used up; a new session is needed",
	    "why: ids used up");
	smux_free(&s);
	buf_release(&b);

	/* A cap too small for the SYN leaves no stream behind. */
	smux_init(&s, 0);
	buf_init(&b, 7);
	CHECK_EQ(smux_open(&s, &b, &a), SP_ERR_NO_SPACE, "no room for SYN");
	CHECK_EQ(smux_count(&s), 0, "and no stream");
	smux_free(&s);
	buf_release(&b);
}

/* The same events at every split point, for two and three pieces. */
static void
test_chunking(void)
{
	/* PSH 3 "hello", NOP, PSH 5 of 258 bytes, FIN 3, PSH 3 "!" */
	uint8_t in[13 + 8 + 8 + 258 + 8 + 9];
	struct trace whole, t;
	struct smux_cb cb;
	struct smux s;
	size_t n = 0, i, j, cut[2], used;
	int ok2 = 1, ok3 = 1, ok1 = 1;
	char want[400];

	memcpy(in + n, PSH3_HELLO, 13), n += 13;
	memcpy(in + n, NOP, 8), n += 8;
	memcpy(in + n, (uint8_t[]){ 1, 2, 2, 1, 5, 0, 0, 0 }, 8), n += 8;
	for (i = 0; i < 258; i++)
		in[n++] = (uint8_t)('a' + i % 26);
	memcpy(in + n, FIN3, 8), n += 8;
	memcpy(in + n, (uint8_t[]){ 1, 2, 1, 0, 3, 0, 0, 0, '!' }, 9), n += 9;

	two_streams(&s);
	cb_setup(&cb, &whole, 0);
	CHECK_EQ(smux_feed(&s, in, n, &cb, &used), 0, "all at once");
	CHECK_EQ(used, n, "all taken");
	CHECK(smux_idle(&s), "idle after the last frame");
	strcpy(want, "D3:helloN;D5:");
	for (i = 0; i < 258; i++)
		want[13 + i] = (char)('a' + i % 26);
	strcpy(want + 13 + 258, "F3;");
	CHECK_STR(whole.t, want, "events: data, NOP, data, FIN; after FIN dropped");
	CHECK_EQ(s.dropped, 1, "the byte after FIN counted as dropped");
	CHECK_EQ(s.nops, 1, "one NOP");
	smux_free(&s);

	two_streams(&s);
	cb_setup(&cb, &t, 0);
	for (i = 0; i < n; i++)
		ok1 &= smux_feed(&s, in + i, 1, &cb, &used) == 0 && used == 1;
	CHECK(ok1 && strcmp(t.t, whole.t) == 0, "byte by byte: same events");
	smux_free(&s);

	for (i = 1; i < n; i++) {
		two_streams(&s);
		cb_setup(&cb, &t, 0);
		cut[0] = i;
		ok2 &= feed_cut(&s, in, n, cut, 1, &cb) == 0 &&
		    strcmp(t.t, whole.t) == 0 && smux_idle(&s);
		smux_free(&s);
	}
	CHECK(ok2, "two pieces, every split point: same events");
	for (i = 1; i < n; i++)
		for (j = i + 1; j < n; j++) {
			two_streams(&s);
			cb_setup(&cb, &t, 0);
			cut[0] = i;
			cut[1] = j;
			ok3 &= feed_cut(&s, in, n, cut, 2, &cb) == 0 &&
			    strcmp(t.t, whole.t) == 0;
			smux_free(&s);
		}
	CHECK(ok3, "three pieces, every pair of split points: same events");
}

/* A callback's non-zero value stops the feed; the rest resumes. */
static void
test_stop(void)
{
	uint8_t in[13 + 13 + 8];
	struct trace t;
	struct smux_cb cb;
	struct smux s;
	size_t used, off = 0;
	int r, rounds = 0;

	memcpy(in, PSH3_HELLO, 13);
	memcpy(in + 13, PSH3_HELLO, 13);
	memcpy(in + 26, FIN3, 8);
	two_streams(&s);
	cb_setup(&cb, &t, 0);
	t.stop_after = 1;
	r = smux_feed(&s, in, sizeof(in), &cb, &used);
	CHECK_EQ(r, 1, "stopped by the data callback");
	CHECK_EQ(used, 13, "right after the first frame's data");
	off = used;
	while (off < sizeof(in) && rounds++ < 10) {
		t.stop_after = t.calls + 1;
		r = smux_feed(&s, in + off, sizeof(in) - off, &cb, &used);
		off += used;
	}
	CHECK_EQ(off, sizeof(in), "the rest taken over more calls");
	CHECK_STR(t.t, "D3:hellohelloF3;", "same events as in one go");
	smux_free(&s);
}

static void
test_errors(void)
{
	static const struct {
		uint8_t	 f[8];
		int	 r;
		const char *why;
	} c[] = {
		{ { 2, 2, 0, 0, 3, 0, 0, 0 }, SP_ERR_PROTOCOL,
		    "smux: frame of protocol version 2, expected 1" },
		{ { 0, 3, 0, 0, 0, 0, 0, 0 }, SP_ERR_PROTOCOL,
		    "smux: frame of protocol version 0, expected 1" },
		{ { 1, 4, 8, 0, 3, 0, 0, 0 }, SP_ERR_PROTOCOL,
		    "smux: frame with unknown command 4 on stream 3" },
		{ { 1, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff }, SP_ERR_PROTOCOL,
		    "smux: frame with unknown command 255 on stream 4294967295" },
		{ { 1, 1, 1, 0, 3, 0, 0, 0 }, SP_ERR_PROTOCOL,
		    "smux: FIN frame on stream 3 with a 1-byte body" },
		{ { 1, 0, 0, 1, 9, 0, 0, 0 }, SP_ERR_PROTOCOL,
		    "smux: SYN frame on stream 9 with a 256-byte body" },
		{ { 1, 3, 0xff, 0xff, 0, 0, 0, 0 }, SP_ERR_PROTOCOL,
		    "smux: NOP frame on stream 0 with a 65535-byte body" },
	};
	struct trace t;
	struct smux_cb cb;
	struct smux s;
	size_t i, used;
	int r;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		two_streams(&s);
		cb_setup(&cb, &t, 1);
		/* A good frame first, then the bad one, then a good one. */
		r = smux_feed(&s, PSH3_HELLO, 13, &cb, &used);
		r = r == 0 ? smux_feed(&s, c[i].f, 8, &cb, &used) : -1000;
		CHECK_EQ(r, c[i].r, "bad frame refused");
		CHECK_STR(smux_why(&s), c[i].why, "why");
		CHECK_EQ(smux_feed(&s, NOP, 8, &cb, &used), SP_ERR_PROTOCOL,
		    "the session stays spent");
		CHECK_EQ(used, 0, "and takes nothing more");
		CHECK_STR(t.t, "D3:hello", "no event from or after the bad frame");
		smux_free(&s);
	}
}

/* Where xtaci/smux is lenient, so are we. */
static void
test_lenient(void)
{
	static const uint8_t in[] = {
	    1, 2, 3, 0, 9, 0, 0, 0, 'a', 'b', 'c',	/* PSH 9: unknown */
	    1, 1, 0, 0, 9, 0, 0, 0,			/* FIN 9: unknown */
	    1, 2, 0, 0, 3, 0, 0, 0,			/* PSH 3, empty */
	    1, 0, 0, 0, 3, 0, 0, 0,			/* SYN 3: known */
	    1, 2, 1, 0, 3, 0, 0, 0, 'x',		/* PSH 3 "x" */
	    1, 1, 0, 0, 3, 0, 0, 0,			/* FIN 3 */
	    1, 1, 0, 0, 3, 0, 0, 0,			/* FIN 3 again */
	    1, 0, 0, 0, 4, 0, 0, 0,			/* SYN 4: peer's */
	    1, 2, 2, 0, 4, 0, 0, 0, 'y', 'z',		/* PSH 4 */
	};
	struct trace t;
	struct smux_cb cb;
	struct smux s;
	size_t used;

	two_streams(&s);
	cb_setup(&cb, &t, 0);
	CHECK_EQ(smux_feed(&s, in, sizeof(in), &cb, &used), 0,
	    "no error without a SYN callback");
	CHECK_STR(t.t, "D3:xF3;", "only stream 3's data and FIN");
	CHECK_EQ(s.dropped, 5, "unknown stream 9 and peer's 4 dropped");
	CHECK_EQ(smux_state(&s, 4), SMUX_ST_CLOSED, "4 not taken on");
	CHECK_EQ(smux_state(&s, 3), SMUX_ST_FIN_RCVD, "3 half closed");
	smux_free(&s);

	two_streams(&s);
	cb_setup(&cb, &t, 1);
	CHECK_EQ(smux_feed(&s, in, sizeof(in), &cb, &used), 0,
	    "no error with a SYN callback");
	CHECK_STR(t.t, "D3:xF3;S4;D4:yz", "the peer's stream 4 reported");
	CHECK_EQ(smux_state(&s, 4), SMUX_ST_OPEN, "4 open");
	smux_free(&s);
}

/* A peer cannot grow the table past its bound. */
static void
test_peer_bound(void)
{
	uint8_t f[8] = { 1, 0, 0, 0, 0, 0, 0, 0 };
	struct trace t;
	struct smux_cb cb;
	struct smux s;
	struct buf b;
	uint32_t sid;
	size_t used;
	int r = 0, i;

	smux_init(&s, 4);
	cb_setup(&cb, &t, 1);
	for (i = 0; i < 4 && r == 0; i++) {
		f[4] = (uint8_t)(2 * i + 3);	/* 3, 5, 7, 9: our kind of ids */
		r = smux_feed(&s, f, 8, &cb, &used);
	}
	CHECK_EQ(r, 0, "four peer streams under a limit of 4");
	f[4] = 42;
	CHECK_EQ(smux_feed(&s, f, 8, &cb, &used), SP_ERR_NO_SPACE,
	    "a fifth refused");
	CHECK_STR(smux_why(&s), "smux: the peer opened stream 42 past the limit",
	    "why: the peer's limit");
	smux_free(&s);

	/* Our ids skip those the peer took. */
	smux_init(&s, 0);
	cb_setup(&cb, &t, 1);
	buf_init(&b, 64);
	f[4] = 3;
	CHECK_EQ(smux_feed(&s, f, 8, &cb, &used), 0, "peer opens 3");
	CHECK(smux_open(&s, &b, &sid) == 0 && sid == 5, "we open 5");
	smux_free(&s);
	buf_release(&b);
}

/* open -> FIN sent -> closed, and open -> FIN received -> closed. */
static void
test_states(void)
{
	static const uint8_t psh5[] = { 1, 2, 1, 0, 5, 0, 0, 0, 'q' };
	static const uint8_t fin5[] = { 1, 1, 0, 0, 5, 0, 0, 0 };
	uint8_t in[13 + 8];
	struct trace t;
	struct smux_cb cb;
	struct smux s;
	struct buf b;
	size_t used;

	two_streams(&s);
	buf_init(&b, 256);
	cb_setup(&cb, &t, 0);
	CHECK_EQ(smux_shut(&s, &b, 3), 0, "FIN on 3");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), FIN3, 8, "FIN 3 bytes");
	CHECK_EQ(smux_state(&s, 3), SMUX_ST_FIN_SENT, "3: FIN sent");
	CHECK_EQ(smux_send(&s, &b, 3, "x", 1), SP_ERR_STATE,
	    "no data after our FIN");
	CHECK_EQ(smux_shut(&s, &b, 3), SP_ERR_STATE, "no second FIN");
	memcpy(in, PSH3_HELLO, 13);
	memcpy(in + 13, FIN3, 8);
	CHECK_EQ(smux_feed(&s, in, sizeof(in), &cb, &used), 0, "feed");
	CHECK_STR(t.t, "D3:helloF3;", "data still comes in after our FIN");
	CHECK_EQ(smux_state(&s, 3), SMUX_ST_CLOSED, "3: closed both ways");
	CHECK_EQ(smux_count(&s), 1, "3 forgotten, 5 left");

	buf_reset(&b);
	cb_setup(&cb, &t, 0);
	CHECK_EQ(smux_feed(&s, fin5, 8, &cb, &used), 0, "FIN on 5 comes in");
	CHECK_EQ(smux_state(&s, 5), SMUX_ST_FIN_RCVD, "5: FIN received");
	CHECK_EQ(smux_feed(&s, psh5, 9, &cb, &used), 0, "data after FIN");
	CHECK_STR(t.t, "F5;", "dropped");
	CHECK_EQ(smux_send(&s, &b, 5, "ok", 2), 0, "we may still send");
	CHECK_EQ(smux_shut(&s, &b, 5), 0, "and then FIN");
	CHECK_EQ(smux_state(&s, 5), SMUX_ST_CLOSED, "5: closed");
	CHECK_EQ(smux_count(&s), 0, "no streams left");
	CHECK_EQ(smux_send(&s, &b, 5, "x", 1), SP_ERR_STATE,
	    "closed stream refused");
	CHECK_EQ(smux_send(&s, &b, 11, "x", 1), SP_ERR_STATE,
	    "unknown stream refused");
	smux_free(&s);
	buf_release(&b);

	/* Forgetting a stream in the middle of its data stops delivery. */
	two_streams(&s);
	cb_setup(&cb, &t, 0);
	CHECK_EQ(smux_feed(&s, PSH3_HELLO, 10, &cb, &used), 0, "part of PSH");
	smux_forget(&s, 3);
	CHECK_EQ(smux_feed(&s, PSH3_HELLO + 10, 3, &cb, &used), 0, "the rest");
	CHECK_STR(t.t, "D3:he", "nothing after forgetting");
	smux_free(&s);
}

/* A FIN callback may answer with FIN at once: the table changes under
 * the feed, which must hold no stale stream. */
struct reply {
	struct smux	*s;
	struct buf	*out;
	int		 r;
};

static int
cb_data_ok(void *arg, uint32_t sid, const uint8_t *p, size_t n)
{
	return 0;
}

static int
cb_fin_reply(void *arg, uint32_t sid)
{
	struct reply *rp = arg;

	rp->r |= smux_shut(rp->s, rp->out, sid);
	return 0;
}

static void
test_reentry(void)
{
	static const uint8_t in[] = {
	    1, 1, 0, 0, 3, 0, 0, 0,			/* FIN 3 */
	    1, 2, 2, 0, 5, 0, 0, 0, 'o', 'k',		/* PSH 5 */
	    1, 1, 0, 0, 5, 0, 0, 0,			/* FIN 5 */
	};
	static const uint8_t want[] = { 1, 1, 0, 0, 3, 0, 0, 0,
	    1, 1, 0, 0, 5, 0, 0, 0 };
	struct smux_cb cb = { cb_data_ok, cb_fin_reply, NULL, NULL, NULL };
	struct reply rp;
	struct smux s;
	struct buf b;
	size_t used;

	two_streams(&s);
	buf_init(&b, 64);
	rp.s = &s;
	rp.out = &b;
	rp.r = 0;
	cb.arg = &rp;
	CHECK_EQ(smux_feed(&s, in, sizeof(in), &cb, &used), 0, "feed");
	CHECK_EQ(rp.r, 0, "both FINs answered");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), want, sizeof(want),
	    "FIN 3 then FIN 5 sent");
	CHECK_EQ(smux_count(&s), 0, "both streams gone");
	smux_free(&s);
	buf_release(&b);
}

int
main(void)
{
	test_encode();
	test_split_psh();
	test_open();
	test_chunking();
	test_stop();
	test_errors();
	test_lenient();
	test_peer_bound();
	test_states();
	test_reentry();
	return test_done();
}
