/* Small files read whole; see file.h. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"

/* Read fd to its end into b; more than max bytes is EFBIG. */
static int
read_all(int fd, size_t max, struct buf *b)
{
	uint8_t *p;
	ssize_t n;
	size_t want;

	for (;;) {
		want = buf_avail(b) < 8192 ? buf_avail(b) : 8192;
		if (want == 0 || buf_reserve(b, want, &p) != 0) {
			errno = want == 0 ? EFBIG : ENOMEM;
			return -1;
		}
		n = read(fd, p, want);
		/* Give back what was reserved but not read. */
		if (buf_consume_end(b, n > 0 ? want - (size_t)n : want) != 0) {
			errno = EIO;
			return -1;
		}
		if (n == 0)
			break;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -1;
	}
	if (buf_len(b) > max) {
		errno = EFBIG;
		return -1;
	}
	return 0;
}

int
file_read_small(const char *path, size_t max, int flags, char **out,
    size_t *lenp)
{
	struct stat st;
	struct buf b;
	size_t len;
	int fd, e;

	*out = NULL;
	*lenp = 0;
	/* Room for one byte past max, to tell "too large", and the NUL. */
	if (max > BUF_MAX_CAP - 2) {
		errno = EINVAL;
		return -1;
	}
	buf_init(&b, max + 2);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
	    ((flags & FILE_NOFOLLOW) ? O_NOFOLLOW : 0))) < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((uintmax_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	if (read_all(fd, max, &b) != 0)
		goto fail;
	if (buf_put_u8(&b, 0) != 0) {
		errno = ENOMEM;
		goto fail;
	}
	close(fd);
	*out = (char *)buf_steal(&b, &len);
	*lenp = len - 1;
	return 0;
 fail:
	e = errno;
	buf_release(&b);
	close(fd);
	errno = e;
	return -1;
}

int
file_mkdirs(const char *dir)
{
	char *path, *p;
	int r = -1, e;

	if ((path = strdup(dir)) == NULL)
		return -1;
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			goto out;
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		goto out;
	r = 0;
 out:
	e = errno;
	free(path);
	errno = e;
	return r;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
file_replace(const char *path, const void *p, size_t len)
{
	static const char suffix[] = ".XXXXXX";
	char *tmp;
	size_t n = strlen(path);
	int fd, e;

	if ((tmp = malloc(n + sizeof(suffix))) == NULL)
		return -1;
	memcpy(tmp, path, n);
	memcpy(tmp + n, suffix, sizeof(suffix));
	if ((fd = mkstemp(tmp)) < 0)
		goto fail;
	if (fchmod(fd, 0600) != 0 || write_all(fd, p, len) != 0 ||
	    fsync(fd) != 0) {
		e = errno;
		close(fd);
		errno = e;
		goto unlink;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0)
		goto unlink;
	free(tmp);
	return 0;
 unlink:
	e = errno;
	(void)unlink(tmp);
	errno = e;
 fail:
	e = errno;
	free(tmp);
	errno = e;
	return -1;
}
