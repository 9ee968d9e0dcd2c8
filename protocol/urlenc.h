/*
 * Percent-encoding (RFC 3986 2.1): the project's one URL encoder.
 *
 * Every byte but the unreserved ones (A-Z a-z 0-9 - _ . ~) is written as
 * %XX with upper-case hex digits.  That is the form AWS Signature Version
 * 4 signs, so a query or form body encoded here is byte for byte what the
 * signer puts into the canonical request.  '+' is never a space.
 */
#ifndef SP_URLENC_H
#define SP_URLENC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* urlenc_put flag: leave '/' as it is (for a path). */
#define URLENC_KEEP_SLASH	0x01

/* 1 if c is an RFC 3986 unreserved character, else 0. */
int	urlenc_unreserved(uint8_t c);

/*
 * Append the n bytes at s to b percent-encoded.  Returns 0 or the buf
 * error (SP_ERR_NO_SPACE past b's cap, SP_ERR_ALLOC); on error b may hold
 * part of the output.
 */
int	urlenc_put(struct buf *b, const void *s, size_t n, int flags) SP_WUR;

/*
 * Append the n bytes at s in canonical form: %XX escapes decoded (either
 * case), then everything encoded again as urlenc_put does, so that "a b",
 * "a%20b" and "a%2fb" become "a%20b", "a%20b" and "a%2Fb".  A '%' not
 * followed by two hex digits gives SP_ERR_INVALID_ARG.
 */
int	urlenc_put_requoted(struct buf *b, const char *s, size_t n) SP_WUR;

/* 1 if every '%' among the n bytes at s starts a %XX escape, else 0. */
int	urlenc_escapes_valid(const char *s, size_t n);

/*
 * s percent-encoded as a new heap string the caller frees.  Returns 0,
 * SP_ERR_ALLOC, or SP_ERR_NO_SPACE for input beyond BUF_MAX_CAP / 3.
 */
int	urlenc_dup(const char *s, char **out) SP_WUR;

#endif /* SP_URLENC_H */
