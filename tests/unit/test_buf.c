/* Unit tests for protocol/buf.c, including tests/vectors/channel T4. */
#include "test.h"
#include "buf.h"
#include "vectors.h"

/*
 * T4: helper encodings from the plugin's unit tests, one per line of
 * tests/vectors/channel/T4.txt.
 */
static void
test_t4(void)
{
	struct buf b, pb;
	char *text, *line, *save, kind[8], hex[64], val[24], s[16];
	char what[100];
	unsigned long long v;
	size_t n, size = 0, off;
	uint32_t v32;
	uint8_t *want, *zeros;
	int seen = 0;

	buf_init(&pb, 0);
	text = strdup(vec_str("T4.txt"));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || sscanf(line, "%7s", kind) != 1)
			continue;
		if ((strcmp(kind, "i64") == 0 || strcmp(kind, "u32") == 0) &&
		    sscanf(line, "%*s %llu %63s", &v, hex) == 2) {
			buf_init(&b, 64);
			snprintf(what, sizeof(what), "T4 put %s", kind);
			CHECK((kind[0] == 'i' ? buf_put_u64(&b, v) :
			    buf_put_u32(&b, (uint32_t)v)) == 0, what);
			want = test_unhex(hex, &n);
			snprintf(what, sizeof(what), "T4 %s bytes", kind);
			CHECK_MEM(buf_ptr(&b), buf_len(&b), want, n, what);
			free(want);
			buf_release(&b);
		} else if (strcmp(kind, "poke") == 0 && sscanf(line,
		    "%*s %zu %llu %63s", &off, &v, hex) == 3) {
			/* A u32 written into zero bytes; read back below. */
			want = test_unhex(hex, &size);
			if ((zeros = calloc(1, size)) == NULL)
				abort();
			buf_release(&pb);
			buf_init(&pb, size);
			snprintf(what, sizeof(what), "T4 %zu zero bytes",
			    size);
			CHECK(buf_put(&pb, zeros, size) == 0, what);
			free(zeros);
			snprintf(what, sizeof(what), "T4 poke at %zu", off);
			CHECK(buf_poke_u32(&pb, off, (uint32_t)v) == 0, what);
			snprintf(what, sizeof(what), "T4 poke gives %s", hex);
			CHECK_MEM(buf_ptr(&pb), buf_len(&pb), want, size,
			    what);
			free(want);
		} else if (strcmp(kind, "peek") == 0 &&
		    sscanf(line, "%*s %zu %23s", &off, val) == 2) {
			snprintf(what, sizeof(what), "T4 read at %zu is %s",
			    off, strcmp(val, "-") == 0 ? "out of bounds" :
			    val);
			if (strcmp(val, "-") == 0)
				CHECK(buf_peek_u32(&pb, off, &v32) ==
				    SP_ERR_INCOMPLETE, what);
			else
				CHECK(buf_peek_u32(&pb, off, &v32) == 0 &&
				    v32 == strtoul(val, NULL, 10), what);
		} else if (strcmp(kind, "string") == 0 &&
		    sscanf(line, "%*s %63s %23s", hex, val) == 2) {
			want = test_unhex(hex, &n);
			buf_view(&b, want, n);
			CHECK(buf_get_fixed_str(&b, n, s, sizeof(s)) == 0,
			    "T4 getString");
			CHECK_STR(s, val, "T4 getString strips NULs");
			free(want);
		} else
			vec_bail("T4.txt", "a line is malformed");
		seen++;
	}
	free(text);
	if (seen != 10)
		vec_bail("T4.txt", "want 10 vectors");

	/* Not T4: the same six bytes, past their end. */
	CHECK(buf_poke_u32(&pb, size - 3, 1) == SP_ERR_INCOMPLETE,
	    "poke at 3 is out of bounds");
	CHECK(buf_put_u8(&pb, 1) == SP_ERR_NO_SPACE, "cap is enforced");
	buf_release(&pb);
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

/* buf_putf: printf-style appends within the cap, all or nothing. */
static void
test_putf(void)
{
	struct buf b;
	char big[100001];

	buf_init(&b, 16);
	CHECK_EQ(buf_putf(&b, "%s=%d", "ab", 42), 0, "putf");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), "ab=42", 5, "putf text, no NUL");
	CHECK_EQ(buf_putf(&b, "&%c%02x", 'x', 10), 0, "putf appends");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), "ab=42&x0a", 9, "appended text");
	CHECK_EQ(buf_putf(&b, "%s", "12345678"), SP_ERR_NO_SPACE,
	    "past the cap");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), "ab=42&x0a", 9,
	    "nothing appended past the cap");
	CHECK_EQ(buf_putf(&b, "%s", ""), 0, "empty text");
	CHECK_EQ(buf_len(&b), 9, "empty text appends nothing");
	CHECK_EQ(buf_putf(&b, "a%cb", 0), 0, "a NUL byte");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), "ab=42&x0aa\0b", 12,
	    "a NUL byte is appended as it is");
	buf_release(&b);

	/* Up to the cap exactly, where the NUL vsnprintf adds has no room. */
	buf_init(&b, 8);
	CHECK_EQ(buf_preallocate(&b), 0, "preallocate 8");
	CHECK_EQ(buf_putf(&b, "%08d", 1234), 0, "fill the cap exactly");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), "00001234", 8, "the full cap");
	CHECK_EQ(buf_putf(&b, "%d", 5), SP_ERR_NO_SPACE, "one past the cap");
	CHECK_EQ(buf_consume(&b, 6), 0, "consume 6");
	CHECK_EQ(buf_putf(&b, "%s", "abcdef"), 0, "room reclaimed");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), "34abcdef", 8, "after reclaim");
	buf_release(&b);

	/* Growth well past the first allocation. */
	buf_init(&b, 1 << 20);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ(buf_putf(&b, "<%s>", big), 0, "100002 bytes");
	CHECK(buf_len(&b) == 100002 && buf_ptr(&b)[0] == '<' &&
	    buf_ptr(&b)[100001] == '>' && buf_ptr(&b)[50000] == 'z',
	    "100002 bytes: text");
	buf_release(&b);

	buf_view(&b, "xy", 2);
	CHECK_EQ(buf_putf(&b, "%d", 1), SP_ERR_READ_ONLY,
	    "a view is read-only");
}

int
main(void)
{
	test_t4();
	test_bounds();
	test_steal();
	test_putf();
	return test_done();
}
