/* Unit tests for proxy/sshbuf.c: SSH strings and frames on struct buf. */
#include "test.h"
#include "sshbuf.h"

static void
test_get_string(void)
{
	static const uint8_t two[] = {
		0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 0, 0xff,
	};
	static const uint8_t longer[] = { 0, 0, 0, 5, 'a', 'b' };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 'a' };
	const uint8_t *p;
	struct buf b;
	size_t n;

	buf_view(&b, two, sizeof(two));
	CHECK_EQ(sshbuf_get_string(&b, &p, &n), 0, "first string");
	CHECK_MEM(p, n, "abc", 3, "first string bytes");
	CHECK(p == two + 4, "borrowed from the buffer");
	CHECK_EQ(sshbuf_get_string(&b, &p, &n), 0, "empty string");
	CHECK_EQ(n, 0, "empty string length");
	CHECK_EQ(buf_len(&b), 1, "one byte left");
	CHECK_EQ(sshbuf_get_string(&b, &p, &n), SP_ERR_INCOMPLETE,
	    "short length");
	CHECK(p == NULL && n == 0, "nothing returned");
	CHECK_EQ(buf_len(&b), 1, "nothing consumed");

	buf_view(&b, longer, sizeof(longer));
	CHECK_EQ(sshbuf_get_string(&b, &p, &n), SP_ERR_INCOMPLETE,
	    "length past the end");
	CHECK_EQ(buf_len(&b), sizeof(longer), "all or nothing");
	buf_view(&b, huge, sizeof(huge));
	CHECK_EQ(sshbuf_get_string(&b, &p, &n), SP_ERR_INCOMPLETE,
	    "length 0xffffffff");
	CHECK_EQ(buf_len(&b), sizeof(huge), "all or nothing, huge");
	buf_view(&b, "", 0);
	CHECK_EQ(sshbuf_get_string(&b, &p, &n), SP_ERR_INCOMPLETE, "empty");
}

static void
test_put_string(void)
{
	static const uint8_t want[] = {
		0, 0, 0, 2, 'h', 'i', 0, 0, 0, 0, 0, 0, 0, 3, 1, 0, 2,
	};
	struct buf b;

	buf_init(&b, sizeof(want));
	CHECK_EQ(sshbuf_put_cstring(&b, "hi"), 0, "put cstring");
	CHECK_EQ(sshbuf_put_string(&b, NULL, 0), 0, "put empty");
	CHECK_EQ(sshbuf_put_string(&b, "\1\0\2", 3), 0, "put bytes");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), want, sizeof(want), "wire bytes");
	CHECK_EQ(sshbuf_put_string(&b, NULL, 0), SP_ERR_NO_SPACE, "cap");
	buf_release(&b);

	/* The length fits the cap, the bytes do not: nothing appended. */
	buf_init(&b, 8);
	CHECK_EQ(sshbuf_put_string(&b, "abcde", 5), SP_ERR_NO_SPACE,
	    "string past the cap");
	CHECK_EQ(buf_len(&b), 0, "no length left behind");
	buf_release(&b);

	buf_view(&b, "xyzw", 4);
	CHECK_EQ(sshbuf_put_cstring(&b, ""), SP_ERR_READ_ONLY, "view");
}

static void
test_frame(void)
{
	static const uint8_t want[] = {
		0xaa, 0, 0, 0, 10, 25, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o',
	};
	struct buf b;
	size_t start;

	buf_init(&b, 64);
	CHECK_EQ(buf_put_u8(&b, 0xaa), 0, "a byte before the frame");
	CHECK_EQ(sshbuf_frame_start(&b, &start), 0, "frame start");
	CHECK_EQ(start, 1, "frame starts after what b held");
	CHECK(buf_put_u8(&b, 25) == 0 && sshbuf_put_cstring(&b, "hello") == 0,
	    "frame body");
	CHECK_EQ(sshbuf_frame_end(&b, start), 0, "frame end");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), want, sizeof(want), "frame bytes");
	CHECK_EQ(sshbuf_frame_end(&b, sizeof(want) - 3), SP_ERR_INVALID_ARG,
	    "no room for a length at start");
	CHECK_EQ(sshbuf_frame_end(&b, 100), SP_ERR_INVALID_ARG,
	    "start past the end");
	buf_release(&b);

	buf_init(&b, 3);
	CHECK_EQ(sshbuf_frame_start(&b, &start), SP_ERR_NO_SPACE,
	    "no room for the length");
	buf_release(&b);
}

int
main(void)
{
	test_get_string();
	test_put_string();
	test_frame();
	return test_done();
}
