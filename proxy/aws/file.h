/*
 * Small files read whole: configuration, credential caches, tokens.  The
 * one reader of proxy/aws/; it never blocks on a FIFO or a device.  Also
 * the caches' directories and whole-file replacement.
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

/* Create dir and each missing parent, mode 0700 (before the umask).
 * 0, or -1 with errno set.  An existing component is left as it is. */
int	file_mkdirs(const char *dir);

/*
 * Replace path with the len bytes at p: written to a mkstemp(3) file in
 * the same directory, mode 0600, synced, then renamed over path (so a
 * reader sees the old file or the new one, and a symbolic link at path
 * is replaced, not written through).  0, or -1 with errno set and the
 * temporary file removed.
 */
int	file_replace(const char *path, const void *p, size_t len);

#endif /* SSM_FILE_H */
