/*
 * SSH wire data (RFC 4251 5) on top of struct buf: the one reader and
 * writer of SSH strings and length-framed messages, for the public key
 * blobs of sshkey.c and the ssh-agent messages of sshagent.c.
 *
 * uint32 and byte fields are buf_get_u32/buf_put_u32 and buf_get_u8/
 * buf_put_u8 of buf.h, already big-endian.  Like those, the functions
 * here are all or nothing: a failed read consumes nothing and a failed
 * write appends nothing.
 */
#ifndef SSM_SSHBUF_H
#define SSM_SSHBUF_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * Read a string: a uint32 length, then that many bytes, which *p then
 * points to inside b (valid while b's storage is) and *n counts.
 * SP_ERR_INCOMPLETE, with *p NULL and *n 0, when b holds less.
 */
int	sshbuf_get_string(struct buf *b, const uint8_t **p, size_t *n) SP_WUR;

/* Append n bytes at p as a string; n above UINT32_MAX: SP_ERR_INVALID_ARG. */
int	sshbuf_put_string(struct buf *b, const void *p, size_t n) SP_WUR;
/* Append the C string s as a string (without its NUL). */
int	sshbuf_put_cstring(struct buf *b, const char *s) SP_WUR;

/*
 * Length-framed messages, as ssh-agent exchanges them: a uint32 length,
 * then the body.  sshbuf_frame_start() appends a length
 * placeholder and sets *start; after the body, sshbuf_frame_end() writes
 * the body's length there.
 */
int	sshbuf_frame_start(struct buf *b, size_t *start) SP_WUR;
int	sshbuf_frame_end(struct buf *b, size_t start) SP_WUR;

#endif /* SSM_SSHBUF_H */
