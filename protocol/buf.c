/* Bounds-checked byte buffer; see buf.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"

#define BUF_MIN_ALLOC	256

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max > BUF_MAX_CAP ? BUF_MAX_CAP : max;
}

void
buf_view(struct buf *b, const void *p, size_t len)
{
	memset(b, 0, sizeof(*b));
	/* Views never write through d; the cast only drops const. */
	b->d = (uint8_t *)(uintptr_t)p;
	b->size = b->alloc = b->max = len;
	b->readonly = 1;
}

void
buf_release(struct buf *b)
{
	size_t max;

	if (b == NULL)
		return;
	max = b->max;
	if (!b->readonly && b->d != NULL) {
		OPENSSL_cleanse(b->d, b->alloc);
		free(b->d);
	}
	buf_init(b, b->readonly ? 0 : max);
}

struct buf *
buf_new(size_t max)
{
	struct buf *b;

	if ((b = malloc(sizeof(*b))) == NULL)
		return NULL;
	buf_init(b, max);
	return b;
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	buf_release(b);
	free(b);
}

size_t
buf_len(const struct buf *b)
{
	return b->size - b->off;
}

const uint8_t *
buf_ptr(const struct buf *b)
{
	return b->d == NULL ? (const uint8_t *)"" : b->d + b->off;
}

size_t
buf_avail(const struct buf *b)
{
	if (b->readonly)
		return 0;
	return b->max - buf_len(b);
}

void
buf_reset(struct buf *b)
{
	if (b->readonly) {
		b->off = b->size;
		return;
	}
	b->off = b->size = 0;
}

/* Check that n bytes at offset off from the cursor are readable. */
static int
check_offset(const struct buf *b, size_t off, size_t n)
{
	size_t len = buf_len(b);

	if (off > len || n > len - off)
		return SP_ERR_INCOMPLETE;
	return 0;
}

int
buf_peek_u32(const struct buf *b, size_t off, uint32_t *v)
{
	const uint8_t *p;
	int r;

	*v = 0;
	if ((r = check_offset(b, off, 4)) != 0)
		return r;
	p = b->d + b->off + off;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
	return 0;
}

int
buf_peek_u64(const struct buf *b, size_t off, uint64_t *v)
{
	uint32_t hi, lo;
	int r;

	*v = 0;
	if ((r = buf_peek_u32(b, off, &hi)) != 0 ||
	    (r = buf_peek_u32(b, off + 4, &lo)) != 0)
		return r;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
buf_poke_u32(struct buf *b, size_t off, uint32_t v)
{
	uint8_t *p;
	int r;

	if (b->readonly)
		return SP_ERR_READ_ONLY;
	if ((r = check_offset(b, off, 4)) != 0)
		return r;
	p = b->d + b->off + off;
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 0;
}

int
buf_get_u8(struct buf *b, uint8_t *v)
{
	*v = 0;
	if (buf_len(b) < 1)
		return SP_ERR_INCOMPLETE;
	*v = b->d[b->off++];
	return 0;
}

int
buf_get_u32(struct buf *b, uint32_t *v)
{
	int r;

	if ((r = buf_peek_u32(b, 0, v)) != 0)
		return r;
	b->off += 4;
	return 0;
}

int
buf_get_u64(struct buf *b, uint64_t *v)
{
	int r;

	if ((r = buf_peek_u64(b, 0, v)) != 0)
		return r;
	b->off += 8;
	return 0;
}

int
buf_get_bytes(struct buf *b, void *out, size_t n)
{
	int r;

	if ((r = check_offset(b, 0, n)) != 0)
		return r;
	if (n > 0)
		memcpy(out, b->d + b->off, n);
	b->off += n;
	return 0;
}

int
buf_skip(struct buf *b, size_t n)
{
	int r;

	if ((r = check_offset(b, 0, n)) != 0)
		return r;
	b->off += n;
	return 0;
}

static int
is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	    c == '\v' || c == '\f';
}

int
buf_get_fixed_str(struct buf *b, size_t width, char *out, size_t outsz)
{
	const uint8_t *p;
	size_t s, e;
	int r;

	if (outsz > 0)
		out[0] = '\0';
	if (outsz < width + 1)
		return SP_ERR_INVALID_ARG;
	if ((r = check_offset(b, 0, width)) != 0)
		return r;
	p = b->d + b->off;
	s = 0;
	e = width;
	while (s < e && p[s] == 0)
		s++;
	while (e > s && p[e - 1] == 0)
		e--;
	while (s < e && is_space(p[s]))
		s++;
	while (e > s && is_space(p[e - 1]))
		e--;
	memcpy(out, p + s, e - s);
	out[e - s] = '\0';
	b->off += width;
	return 0;
}

int
buf_reserve(struct buf *b, size_t n, uint8_t **pp)
{
	size_t len, need, nalloc;
	uint8_t *d;

	*pp = NULL;
	if (b->readonly)
		return SP_ERR_READ_ONLY;
	len = buf_len(b);
	if (n > b->max || len > b->max - n)
		return SP_ERR_NO_SPACE;
	need = len + n;
	if (b->off > 0 && b->size + n > b->alloc) {
		/* Reclaim consumed space before growing. */
		memmove(b->d, b->d + b->off, len);
		b->off = 0;
		b->size = len;
	}
	if (need > b->alloc) {
		nalloc = b->alloc < BUF_MIN_ALLOC ? BUF_MIN_ALLOC : b->alloc;
		while (nalloc < need)
			nalloc = nalloc > b->max / 2 ? b->max : nalloc * 2;
		if (nalloc > b->max)
			nalloc = b->max;
		if ((d = malloc(nalloc)) == NULL)
			return SP_ERR_ALLOC;
		if (b->d != NULL) {
			memcpy(d, b->d + b->off, len);
			OPENSSL_cleanse(b->d, b->alloc);
			free(b->d);
		}
		b->d = d;
		b->alloc = nalloc;
		b->off = 0;
		b->size = len;
	}
	*pp = b->d + b->size;
	b->size += n;
	return 0;
}

int
buf_preallocate(struct buf *b)
{
	uint8_t *p;
	size_t len;
	int r;

	if (b->readonly)
		return SP_ERR_READ_ONLY;
	len = buf_len(b);
	if ((r = buf_reserve(b, b->max - len, &p)) != 0)
		return r;
	b->size = b->off + len;		/* reserved, not written */
	return 0;
}

uint8_t *
buf_steal(struct buf *b, size_t *len)
{
	uint8_t *d;

	*len = 0;
	if (b->readonly || b->d == NULL)
		return NULL;
	*len = buf_len(b);
	if (b->off > 0)
		memmove(b->d, b->d + b->off, *len);
	d = b->d;
	buf_init(b, b->max);
	return d;
}

int
buf_put(struct buf *b, const void *p, size_t n)
{
	uint8_t *dst;
	int r;

	if ((r = buf_reserve(b, n, &dst)) != 0)
		return r;
	if (n > 0)
		memcpy(dst, p, n);
	return 0;
}

int
buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

int
buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t p[4];

	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return buf_put(b, p, sizeof(p));
}

int
buf_put_u64(struct buf *b, uint64_t v)
{
	int r;

	if ((r = buf_put_u32(b, (uint32_t)(v >> 32))) != 0)
		return r;
	if ((r = buf_put_u32(b, (uint32_t)v)) != 0) {
		b->size -= 4;	/* all or nothing */
		return r;
	}
	return 0;
}

int
buf_put_str(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

int
buf_putf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	uint8_t *p;
	char *tmp = NULL;
	size_t n;
	int len, r;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return SP_ERR_INVALID_ARG;
	n = (size_t)len;
	if ((r = buf_reserve(b, n, &p)) != 0 || n == 0)
		return r;
	/* vsnprintf writes a NUL after the text: room for it, or a copy. */
	if (b->size == b->alloc && (tmp = malloc(n + 1)) == NULL) {
		b->size -= n;
		return SP_ERR_ALLOC;
	}
	va_start(ap, fmt);
	len = vsnprintf(tmp != NULL ? tmp : (char *)p, n + 1, fmt, ap);
	va_end(ap);
	if (tmp != NULL) {
		memcpy(p, tmp, n);
		OPENSSL_cleanse(tmp, n + 1);
		free(tmp);
	}
	if (len < 0 || (size_t)len != n) {
		b->size -= n;
		return SP_ERR_INVALID_ARG;
	}
	return 0;
}

int
buf_put_fixed_str(struct buf *b, const char *s, size_t width, uint8_t pad)
{
	size_t n = strlen(s);
	uint8_t *p;
	int r;

	if (n > width)
		return SP_ERR_STRING_LENGTH;
	if ((r = buf_reserve(b, width, &p)) != 0)
		return r;
	memcpy(p, s, n);
	memset(p + n, pad, width - n);
	return 0;
}

int
buf_consume(struct buf *b, size_t n)
{
	return buf_skip(b, n);
}

int
buf_consume_end(struct buf *b, size_t n)
{
	if (n > buf_len(b))
		return SP_ERR_INCOMPLETE;
	b->size -= n;
	return 0;
}

int
buf_to_cstr(struct buf *b, char **out)
{
	size_t len = buf_len(b);
	char *s;

	*out = NULL;
	if (len > 0 && memchr(buf_ptr(b), '\0', len) != NULL)
		return SP_ERR_INVALID_ARG;
	if ((s = malloc(len + 1)) == NULL)
		return SP_ERR_ALLOC;
	if (len > 0)
		memcpy(s, buf_ptr(b), len);
	s[len] = '\0';
	buf_reset(b);
	*out = s;
	return 0;
}

void *
mem_reallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n * size);
}
