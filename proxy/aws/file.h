/*
 * Small files read whole: configuration, credential caches, tokens.  The
 * one reader of proxy/aws/; it never blocks on a FIFO or a device.
 */
#ifndef SSM_FILE_H
#define SSM_FILE_H

#include <stddef.h>

/* file_read_small flag: refuse a symbolic link as the last component. */
#define FILE_NOFOLLOW	0x01

/*
 * Read the regular file at path, at most max bytes, into *out
 * (NUL-terminated, *lenp bytes without the NUL; the caller wipes and
 * frees len + 1 bytes).  Opened O_NONBLOCK (and O_NOFOLLOW with
 * FILE_NOFOLLOW), then checked with fstat.  0, or -1 with errno set:
 * that of open, fstat or read, EINVAL if not a regular file, EFBIG if
 * larger than max.
 */
int	file_read_small(const char *path, size_t max, int flags, char **out,
	    size_t *lenp);

#endif /* SSM_FILE_H */
