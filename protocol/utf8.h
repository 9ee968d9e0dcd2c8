/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no encoded surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF.  NUL is valid here; callers
 * that refuse it check for it themselves.
 */
#ifndef SP_UTF8_H
#define SP_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The sequence at s (at most len bytes): its length, 1 to 4, with its
 * code point in *cp; or 0 (and *cp 0) if it is not valid UTF-8.
 */
size_t	utf8_decode(const uint8_t *s, size_t len, uint32_t *cp);

/* 1 if the len bytes at s are valid UTF-8 (0 bytes are), else 0. */
int	utf8_valid(const uint8_t *s, size_t len);

#endif /* SP_UTF8_H */
