/*
 * Hexadecimal digits: the one place that turns bytes into hex text and
 * hex digits back into values.
 */
#ifndef SP_HEX_H
#define SP_HEX_H

#include <stddef.h>

/* Value of the hex digit c (either case): 0 to 15, or -1 if not one. */
int	hex_value(int c);

/*
 * Write the n bytes at p as 2 * n hex digits to out, then a NUL (out
 * holds 2 * n + 1 bytes).  hex_encode writes lower case, as digests are
 * shown; hex_encode_upper upper case, as percent escapes are written.
 */
void	hex_encode(const void *p, size_t n, char *out);
void	hex_encode_upper(const void *p, size_t n, char *out);

#endif /* SP_HEX_H */
