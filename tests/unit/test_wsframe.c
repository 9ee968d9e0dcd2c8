/* Unit tests for protocol/wsframe.c against RFC 6455's examples. */
#include "test.h"
#include "wsframe.h"

static void
test_rfc_hello(void)
{
	/* RFC 6455 5.7: a single-frame masked text message "Hello". */
	static const uint8_t want[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
	    0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	uint8_t out[64];
	size_t n;

	n = wsf_client_frame(out, sizeof(out), WSF_OP_TEXT,
	    (const uint8_t *)"Hello", 5, key);
	CHECK_MEM(out, n, want, sizeof(want), "RFC 6455 5.7 masked Hello");
	CHECK_EQ(wsf_client_frame(out, 10, WSF_OP_TEXT,
	    (const uint8_t *)"Hello", 5, key), 0, "one byte short: refused");
}

/* Headers at each length boundary; payload unmasks to the input. */
static void
test_lengths(void)
{
	static const struct { size_t len; size_t hdr; uint8_t b1; } c[] = {
		{ 0, 6, 0x80 }, { 1, 6, 0x81 }, { 125, 6, 0xfd },
		{ 126, 8, 0xfe }, { 1024, 8, 0xfe }, { 1140, 8, 0xfe },
		{ 65535, 8, 0xfe }, { 65536, 14, 0xff }, { 70001, 14, 0xff },
	};
	static const uint8_t key[4] = { 0xa1, 0x02, 0xf3, 0x5c };
	uint8_t *in, *out;
	size_t i, j, n, len;
	int ok;

	in = malloc(70001);
	out = malloc(70001 + WSF_CLIENT_HDR_MAX);
	for (j = 0; j < 70001; j++)
		in[j] = (uint8_t)(j * 7 + (j >> 8));
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		len = c[i].len;
		n = wsf_client_frame(out, len + WSF_CLIENT_HDR_MAX,
		    WSF_OP_BINARY, in, len, key);
		CHECK_EQ(n, c[i].hdr + len, "frame length");
		CHECK_EQ(wsf_client_frame_len(len), n, "frame_len agrees");
		CHECK_EQ(out[0], 0x82, "FIN and BINARY");
		CHECK_EQ(out[1], c[i].b1, "mask bit and length code");
		if (c[i].hdr == 8)
			CHECK_EQ((out[2] << 8) | out[3], len, "16-bit length");
		if (c[i].hdr == 14) {
			uint64_t v = 0;
			for (j = 2; j < 10; j++)
				v = v << 8 | out[j];
			CHECK_EQ(v, len, "64-bit length");
		}
		CHECK_MEM(out + c[i].hdr - 4, 4, key, 4, "key after length");
		ok = 1;
		for (j = 0; j < len; j++)
			if ((out[c[i].hdr + j] ^ key[j & 3]) != in[j])
				ok = 0;
		CHECK(ok, "payload masked byte by byte as RFC 6455 5.3");
		CHECK_EQ(wsf_client_frame(out, n - 1, WSF_OP_BINARY, in, len,
		    key), 0, "short buffer refused");
	}
	/* In place, odd offsets and lengths: against the byte rule. */
	for (len = 0; len < 40; len++) {
		memcpy(out, in + 3, len);
		wsf_mask(out, out, len, key);
		ok = 1;
		for (j = 0; j < len; j++)
			if (out[j] != (in[3 + j] ^ key[j & 3]))
				ok = 0;
		if (!ok)
			break;
	}
	CHECK(len == 40, "in-place masking, lengths 0 to 39");
	free(in);
	free(out);
}

/* Everything the reader reports for input fed in pieces of step bytes
 * (0: all at once), as text: "D<op>:<bytes>|" per data piece with "E"
 * for the message's end, "C<op>:<bytes>|" per control frame, "X" for an
 * error. */
static char *
read_all(const uint8_t *in, size_t len, size_t step, size_t *consumed)
{
	struct wsf_reader r;
	struct wsf_event ev;
	char *out = calloc(1, 8 * len + 64), *o = out;
	size_t off = 0, piece, used, j;
	int rc;

	wsf_reader_init(&r);
	while (off < len) {
		piece = step == 0 || len - off < step ? len - off : step;
		rc = wsf_read(&r, in + off, piece, &used, &ev);
		off += used;
		if (rc < 0) {
			*o++ = 'X';
			break;
		}
		if (rc == WSF_NEED_MORE)
			continue;
		*o++ = rc == WSF_DATA ? 'D' : 'C';
		o += sprintf(o, "%x:", ev.opcode);
		for (j = 0; j < ev.len; j++)
			*o++ = ev.data[j] >= 0x20 && ev.data[j] < 0x7f ?
			    (char)ev.data[j] : '.';
		if (rc == WSF_DATA && ev.end)
			*o++ = 'E';
		*o++ = '|';
	}
	*consumed = off;
	return out;
}

/* Pieces of one message seen with different steps differ in where they
 * split; compare what they add up to instead. */
static void
squash(char *s)
{
	char *in = strdup(s), *r = in, *w = s;

	for (; *r; r++) {
		/* "|D<op>:" after a piece that did not end the message. */
		if (r[0] == '|' && r[1] == 'D' && r[2] != '\0' &&
		    r[3] == ':' && r > in && r[-1] != 'E')
			r += 3;
		else
			*w++ = *r;
	}
	*w = '\0';
	free(in);
}

static void
check_read(const char *hex, const char *want, const char *what)
{
	static const size_t steps[] = { 0, 1, 2, 3, 7 };
	uint8_t *in;
	size_t n, i, used;
	char *got, *w, label[160];

	in = test_unhex(hex, &n);
	w = strdup(want);
	squash(w);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		got = read_all(in, n, steps[i], &used);
		if (steps[i] == 0)
			CHECK_STR(got, want, what);
		squash(got);
		snprintf(label, sizeof(label), "%s (pieces of %zu)", what,
		    steps[i]);
		CHECK_STR(got, w, label);
		free(got);
	}
	free(w);
	free(in);
}

static void
test_reader(void)
{
	uint8_t *big;
	size_t used, i;
	struct wsf_reader r;
	struct wsf_event ev;
	int rc;

	/* RFC 6455 5.7 examples (the unmasked ones: a server's). */
	check_read("810548656c6c6f", "D1:HelloE|", "RFC 5.7 unmasked Hello");
	check_read("010348656c80026c6f", "D1:Hel|D1:loE|",
	    "RFC 5.7 fragmented Hello");
	check_read("890548656c6c6f", "C9:Hello|", "RFC 5.7 ping");
	check_read("8a0548656c6c6f", "Ca:Hello|", "RFC 5.7 pong");
	check_read("01016189017a80026263", "D1:a|C9:z|D1:bcE|",
	    "ping between fragments");
	check_read("82008800", "D2:E|C8:|", "empty binary message, close");
	check_read("0200000080016a", "D2:jE|",
	    "empty fragments report nothing");
	check_read("880203e8", "C8:..|", "close with status 1000");
	/* Errors, each after what came before it. */
	check_read("818537fa213d7f9f4d5158", "X", "masked server frame");
	check_read("c10161", "X", "RSV1 without an extension");
	check_read("830161", "X", "reserved opcode 3");
	check_read("8b00", "X", "reserved control opcode 0xb");
	check_read("800161", "X", "continuation without a message");
	check_read("010161810162", "D1:a|X", "message inside a message");
	check_read("0900", "X", "fragmented ping");
	check_read("897e007e", "X", "ping of 126 bytes");
	check_read("827f8000000000000000", "X", "64-bit length, top bit");

	/* 256 bytes and 64 KiB, as in RFC 5.7, in one piece each. */
	big = calloc(1, 65536 + 10);
	memcpy(big, "\x82\x7e\x01\x00", 4);
	wsf_reader_init(&r);
	rc = wsf_read(&r, big, 4 + 256, &used, &ev);
	CHECK(rc == WSF_DATA && ev.len == 256 && ev.end && used == 260 &&
	    ev.data == big + 4, "256-byte frame: in place, whole");
	memcpy(big, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
	rc = wsf_read(&r, big, 10 + 65536, &used, &ev);
	CHECK(rc == WSF_DATA && ev.len == 65536 && ev.end && used == 65546,
	    "64 KiB frame with the 64-bit length");
	/* Once failed, always failed. */
	rc = wsf_read(&r, (const uint8_t *)"\xc1\x00", 2, &used, &ev);
	CHECK_EQ(rc, SP_ERR_PROTOCOL, "bad frame");
	for (i = 0; i < 2; i++)
		CHECK_EQ(wsf_read(&r, (const uint8_t *)"\x81\x00", 2, &used,
		    &ev), SP_ERR_PROTOCOL, "the reader stays failed");
	free(big);
}

int
main(void)
{
	test_rfc_hello();
	test_lengths();
	test_reader();
	return test_done();
}
