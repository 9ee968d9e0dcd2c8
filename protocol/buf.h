/*
 * Bounds-checked byte buffer, after OpenSSH's sshbuf and s2n's stuffer.
 *
 * A buffer is either a growable owned byte store with a hard cap (buf_init,
 * buf_new) or a read-only view of caller memory (buf_view).  Reads consume
 * from the front and are all-or-nothing: a short read returns
 * SP_ERR_INCOMPLETE and leaves the buffer untouched.  Writes append at the
 * end and fail with SP_ERR_NO_SPACE rather than grow past the cap.  All
 * integers are big-endian (network order).
 *
 * The members are visible so that buffers can live on the stack; touch them
 * only through these functions.  Raw wire bytes are indexed only in buf.c.
 */
#ifndef SP_BUF_H
#define SP_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct buf {
	uint8_t		*d;		/* storage (borrowed for views) */
	size_t		 off;		/* read cursor */
	size_t		 size;		/* end of valid data */
	size_t		 alloc;		/* bytes allocated */
	size_t		 max;		/* hard cap on size - off */
	int		 readonly;	/* a view of caller memory */
};

/* Largest cap a buffer may be given. */
#define BUF_MAX_CAP	((size_t)1 << 30)

/* Empty owned buffer holding at most max bytes; allocates lazily. */
void	buf_init(struct buf *b, size_t max);
/* Read-only view of len bytes at p; p must outlive the view. */
void	buf_view(struct buf *b, const void *p, size_t len);
/* Wipe and free the storage of b (not b itself); b becomes empty. */
void	buf_release(struct buf *b);
/* Heap-allocated empty buffer; NULL if out of memory. Free with buf_free. */
struct buf *buf_new(size_t max);
/* Wipe, release and free b; NULL is a no-op. */
void	buf_free(struct buf *b);

/* Bytes not yet read. */
size_t	buf_len(const struct buf *b);
/* Pointer to the first unread byte (valid until the next write). */
const uint8_t *buf_ptr(const struct buf *b);
/* Bytes that may still be appended before the cap. */
size_t	buf_avail(const struct buf *b);
/* Drop everything; keeps the storage of owned buffers. */
void	buf_reset(struct buf *b);

/* Readers: consume from the front, all or nothing. */
int	buf_get_u8(struct buf *b, uint8_t *v) SP_WUR;
int	buf_get_u32(struct buf *b, uint32_t *v) SP_WUR;
int	buf_get_u64(struct buf *b, uint64_t *v) SP_WUR;
int	buf_get_bytes(struct buf *b, void *out, size_t n) SP_WUR;
int	buf_skip(struct buf *b, size_t n) SP_WUR;
/*
 * Read a fixed-width text field of width bytes into out (outsz >= width+1),
 * stripping leading and trailing NULs, then leading and trailing white
 * space, as the reference parsers do (PROTOCOL.md "MessageType").
 */
int	buf_get_fixed_str(struct buf *b, size_t width, char *out,
	    size_t outsz) SP_WUR;

/* Peek and poke at offset off from the read cursor; no cursor movement. */
int	buf_peek_u32(const struct buf *b, size_t off, uint32_t *v) SP_WUR;
int	buf_peek_u64(const struct buf *b, size_t off, uint64_t *v) SP_WUR;
int	buf_poke_u32(struct buf *b, size_t off, uint32_t v) SP_WUR;

/* Writers: append at the end. */
int	buf_put_u8(struct buf *b, uint8_t v) SP_WUR;
int	buf_put_u32(struct buf *b, uint32_t v) SP_WUR;
int	buf_put_u64(struct buf *b, uint64_t v) SP_WUR;
int	buf_put(struct buf *b, const void *p, size_t n) SP_WUR;
int	buf_put_str(struct buf *b, const char *s) SP_WUR;
/*
 * Append the text printf would write for fmt (without its NUL), all or
 * nothing: SP_ERR_NO_SPACE if it would pass the cap, SP_ERR_ALLOC,
 * SP_ERR_READ_ONLY for a view, SP_ERR_INVALID_ARG if formatting fails.
 */
int	buf_putf(struct buf *b, const char *fmt, ...) SP_WUR
	    __attribute__((__format__(__printf__, 2, 3)));
/* Append s padded with pad to exactly width bytes; longer s is an error. */
int	buf_put_fixed_str(struct buf *b, const char *s, size_t width,
	    uint8_t pad) SP_WUR;
/* Make room for n bytes at the end and return a pointer to them. */
int	buf_reserve(struct buf *b, size_t n, uint8_t **p) SP_WUR;
/* Allocate the whole cap now, so that writes up to it never reallocate. */
int	buf_preallocate(struct buf *b) SP_WUR;
/*
 * Hand the storage over: returns malloc'd memory whose first buf_len(b)
 * bytes (*len) are the contents, for the caller to free; b is left empty.
 * NULL for an empty or read-only buffer.
 */
uint8_t *buf_steal(struct buf *b, size_t *len);
/* Drop n bytes from the front (n > buf_len is an error). */
int	buf_consume(struct buf *b, size_t n) SP_WUR;
/* Drop n bytes from the end (n > buf_len is an error). */
int	buf_consume_end(struct buf *b, size_t n) SP_WUR;
/*
 * Return the unread bytes as a NUL-terminated heap string and reset b;
 * fails with SP_ERR_INVALID_ARG if they contain a NUL.  Caller frees.
 */
int	buf_to_cstr(struct buf *b, char **out) SP_WUR;

/*
 * realloc(p, n * size), or NULL with errno ENOMEM when the product
 * overflows: reallocarray(3), which POSIX.1-2008 and some C libraries
 * lack.  For the arrays that are not byte buffers.
 */
void	*mem_reallocarray(void *p, size_t n, size_t size);

#endif /* SP_BUF_H */
