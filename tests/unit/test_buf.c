/* Unit tests for protocol/buf.c, including spec vector T4. */
#include "test.h"
#include "buf.h"

static void
test_t4(void)
{
	struct buf b;
	uint8_t six[6] = { 0 };
	uint32_t v32;
	const uint8_t *p;
	char s[4];

	/* T4: helper encodings from the plugin's unit tests. */
	static const struct { uint64_t v; const char *hex; } i64[] = {
		{ 5747283, "000000000057b253" },
		{ 92837273, "0000000005889599" },
		{ 4294967296ULL, "0000000100000000" },
	};
	static const struct { uint32_t v; const char *hex; } u32[] = {
		{ 324, "00000144" }, { 520392, "0007f0c8" }, { 256, "00000100" },
	};
	size_t i, n;
	uint8_t *want;

	for (i = 0; i < sizeof(i64) / sizeof(i64[0]); i++) {
		buf_init(&b, 64);
		CHECK(buf_put_u64(&b, i64[i].v) == 0, "T4 put i64");
		want = test_unhex(i64[i].hex, &n);
		CHECK_MEM(buf_ptr(&b), buf_len(&b), want, n, "T4 i64 bytes");
		free(want);
		buf_release(&b);
	}
	for (i = 0; i < sizeof(u32) / sizeof(u32[0]); i++) {
		buf_init(&b, 64);
		CHECK(buf_put_u32(&b, u32[i].v) == 0, "T4 put u32");
		want = test_unhex(u32[i].hex, &n);
		CHECK_MEM(buf_ptr(&b), buf_len(&b), want, n, "T4 u32 bytes");
		free(want);
		buf_release(&b);
	}

	/* u32 256 at offset 1 of six zero bytes; read back at 2 and 3. */
	buf_init(&b, 6);
	CHECK(buf_put(&b, six, sizeof(six)) == 0, "T4 six zeros");
	CHECK(buf_poke_u32(&b, 1, 256) == 0, "T4 poke at 1");
	p = buf_ptr(&b);
	CHECK(p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 1 &&
	    p[4] == 0 && p[5] == 0, "T4 00 00 00 01 00 00");
	CHECK(buf_peek_u32(&b, 2, &v32) == 0 && v32 == 65536,
	    "T4 read at 2 is 65536");
	CHECK(buf_peek_u32(&b, 3, &v32) == SP_ERR_INCOMPLETE,
	    "T4 read at 3 is out of bounds");
	CHECK(buf_poke_u32(&b, 3, 1) == SP_ERR_INCOMPLETE,
	    "poke at 3 is out of bounds");
	CHECK(buf_put_u8(&b, 1) == SP_ERR_NO_SPACE, "cap is enforced");
	buf_release(&b);

	/* getString of 72 77 00 is "rw". */
	buf_view(&b, "rw\0", 3);
	CHECK(buf_get_fixed_str(&b, 3, s, sizeof(s)) == 0, "T4 getString");
	CHECK_STR(s, "rw", "T4 getString strips NULs");
}

static void
test_bounds(void)
{
	struct buf b;
	uint32_t v;
	uint64_t v64;
	uint8_t out[8];
	char s[40];
	size_t i;

	buf_view(&b, "\x00\x00\x01", 3);
	CHECK(buf_get_u32(&b, &v) == SP_ERR_INCOMPLETE, "short u32 fails");
	CHECK_EQ(buf_len(&b), 3, "short read leaves buffer untouched");
	CHECK(buf_get_u64(&b, &v64) == SP_ERR_INCOMPLETE, "short u64 fails");
	CHECK(buf_get_bytes(&b, out, 4) == SP_ERR_INCOMPLETE,
	    "short bytes fails");
	CHECK(buf_skip(&b, (size_t)-1) == SP_ERR_INCOMPLETE,
	    "huge skip fails");
	CHECK(buf_peek_u32(&b, (size_t)-2, &v) == SP_ERR_INCOMPLETE,
	    "offset overflow is caught");
	CHECK(buf_put_u8(&b, 1) == SP_ERR_READ_ONLY, "views are read-only");
	CHECK(buf_get_bytes(&b, out, 3) == 0 && buf_len(&b) == 0,
	    "exact read empties view");

	/* Padding and stripping of fixed-width strings. */
	buf_init(&b, 64);
	CHECK(buf_put_fixed_str(&b, "acknowledge", 32, ' ') == 0,
	    "space padding");
	CHECK_EQ(buf_len(&b), 32, "padded to width");
	CHECK(buf_get_fixed_str(&b, 32, s, sizeof(s)) == 0, "read padded");
	CHECK_STR(s, "acknowledge", "padding stripped");
	CHECK(buf_put_fixed_str(&b, "0123456789012345678901234567890123",
	    32, ' ') == SP_ERR_STRING_LENGTH, "overlong string refused");
	CHECK_EQ(buf_len(&b), 0, "refused write leaves nothing");
	CHECK(buf_put(&b, "\0 \tx y\t \0\0", 10) == 0, "mixed padding");
	CHECK(buf_get_fixed_str(&b, 10, s, sizeof(s)) == 0 &&
	    strcmp(s, "x y") == 0, "NULs then white space stripped");
	CHECK(buf_get_fixed_str(&b, 10, s, 5) == SP_ERR_INVALID_ARG,
	    "small output refused");
	buf_release(&b);

	/* Growth, consumption and compaction under the cap. */
	buf_init(&b, 1000);
	for (i = 0; i < 250; i++)
		if (buf_put_u32(&b, (uint32_t)i) != 0)
			break;
	CHECK_EQ(i, 250, "fill to the cap");
	CHECK(buf_put_u8(&b, 0) == SP_ERR_NO_SPACE, "full buffer refuses");
	CHECK(buf_consume(&b, 996) == 0, "consume most");
	CHECK(buf_get_u32(&b, &v) == 0 && v == 249, "last value intact");
	CHECK(buf_put_u32(&b, 7) == 0 && buf_get_u32(&b, &v) == 0 && v == 7,
	    "space reclaimed after consume");
	buf_release(&b);

	{
		struct buf *h = buf_new(16);
		char *cs;

		CHECK(h != NULL, "buf_new");
		CHECK(buf_put(h, "ab\0c", 4) == 0 &&
		    buf_to_cstr(h, &cs) == SP_ERR_INVALID_ARG,
		    "embedded NUL refused");
		buf_reset(h);
		CHECK(buf_put_str(h, "json") == 0 && buf_to_cstr(h, &cs) == 0,
		    "to_cstr");
		CHECK_STR(cs, "json", "to_cstr text");
		free(cs);
		buf_free(h);
		buf_free(NULL);
	}
}

/* Preallocated to the cap, written without moving, handed over. */
static void
test_steal(void)
{
	struct buf b;
	uint8_t *p, *d;
	size_t n;

	buf_init(&b, 1140);
	CHECK(buf_preallocate(&b) == 0, "preallocate 1140");
	CHECK_EQ(buf_len(&b), 0, "preallocated buffer is empty");
	CHECK_EQ(buf_avail(&b), 1140, "and has the whole cap free");
	d = b.d;
	CHECK(buf_put(&b, "abcd", 4) == 0 && buf_put_u64(&b, 7) == 0,
	    "write 12 bytes");
	CHECK(buf_reserve(&b, 1128, &p) == 0, "reserve the rest");
	CHECK(b.d == d, "no reallocation up to the cap");
	CHECK(buf_put_u8(&b, 1) == SP_ERR_NO_SPACE, "cap still holds");
	CHECK(buf_consume(&b, 2) == 0, "consume 2");
	p = buf_steal(&b, &n);
	CHECK(p == d && n == 1138, "steal: the storage, contents first");
	CHECK_MEM(p, 2, "cd", 2, "stolen contents moved to the front");
	CHECK(buf_len(&b) == 0 && b.d == NULL && buf_avail(&b) == 1140,
	    "the buffer is empty again, cap kept");
	free(p);
	CHECK(buf_steal(&b, &n) == NULL && n == 0, "nothing to steal");
	buf_view(&b, "xy", 2);
	CHECK(buf_steal(&b, &n) == NULL && n == 0, "a view has no storage");
	CHECK(buf_preallocate(&b) == SP_ERR_READ_ONLY, "nor preallocates");
}

int
main(void)
{
	test_t4();
	test_bounds();
	test_steal();
	return test_done();
}
