/*
 * libFuzzer target: the name cache's file reader (proxy/aws/namecache.c)
 * on arbitrary bytes.  Whatever it keeps, the writer's text must read
 * back to the same text (a lenient reader, an exact writer), and puts,
 * gets and deletes on the result must be safe.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "namecache.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	((time_t)1700000000)

static void
text_of(const struct namecache *c, struct buf *b)
{
	buf_reset(b);
	if (namecache_text(c, NOW, b) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct namecache *c = NULL, *again = NULL;
	struct buf b1, b2;

	if (size > NAMECACHE_MAX_BYTES)
		return 0;
	if (namecache_parse(data, size, &c) != 0)
		abort();
	buf_init(&b1, 2 * NAMECACHE_MAX_BYTES);
	buf_init(&b2, 2 * NAMECACHE_MAX_BYTES);
	text_of(c, &b1);
	if (namecache_parse(buf_ptr(&b1), buf_len(&b1), &again) != 0)
		abort();
	text_of(again, &b2);
	if (buf_len(&b1) != buf_len(&b2) ||
	    memcmp(buf_ptr(&b1), buf_ptr(&b2), buf_len(&b1)) != 0)
		abort();
	(void)namecache_get(c, "web1", NOW);
	namecache_del(c, "web1");
	if (namecache_put(c, "web1", "i-0123456789abcdef0", NOW, 60) != 0 ||
	    strcmp(namecache_get(c, "WEB1", NOW), "i-0123456789abcdef0") != 0)
		abort();
	if (namecache_save(c, NOW, NULL) != 0)	/* no path: writes nothing */
		abort();
	buf_release(&b1);
	buf_release(&b2);
	namecache_free(again);
	namecache_free(c);
	return 0;
}
