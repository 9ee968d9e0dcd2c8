/* The operating system's floor (compat.h). */
#if !defined(COMPAT_FORCE_POSIX) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE	1	/* struct ucred of SO_PEERCRED (glibc) */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

/*
 * Feature tests: each HAVE_ is set here only, but for HAVE_CLOSEFROM and
 * HAVE_ARC4RANDOM, which the Makefile sets when a program calling the
 * function links (and never with COMPAT_FORCE_POSIX).
 */
#if !defined(COMPAT_FORCE_POSIX) && defined(__has_include)
#if __has_include(<sys/timerfd.h>)
#include <sys/timerfd.h>
#define HAVE_TIMERFD	1
#endif
#if __has_include(<sys/prctl.h>)
#include <sys/prctl.h>
#ifdef PR_SET_DUMPABLE
#define HAVE_PR_SET_DUMPABLE	1
#endif
#endif
#endif
#if !defined(COMPAT_FORCE_POSIX) && defined(MSG_NOSIGNAL)
#define HAVE_MSG_NOSIGNAL	1
#endif
#if !defined(COMPAT_FORCE_POSIX) && defined(SOCK_CLOEXEC)
#define HAVE_SOCK_CLOEXEC	1
#endif
#if !defined(COMPAT_FORCE_POSIX) && defined(SO_PEERCRED)
#define HAVE_SO_PEERCRED	1
#endif
#if !defined(COMPAT_FORCE_POSIX) && defined(SO_NOSIGPIPE)
#define HAVE_SO_NOSIGPIPE	1
#endif

#include "compat.h"

uint64_t
compat_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
compat_timer_fd(void)
{
#ifdef HAVE_TIMERFD
	return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
#else
	return -1;
#endif
}

int
compat_timer_fd_arm(int fd, unsigned int us)
{
#ifdef HAVE_TIMERFD
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = us / 1000000;
	its.it_value.tv_nsec = (long)(us % 1000000) * 1000L;
	return timerfd_settime(fd, 0, &its, NULL) == 0 ? 0 : -1;
#else
	(void)fd;
	(void)us;
	errno = ENOSYS;
	return -1;
#endif
}

int
compat_timer_fd_clear(int fd)
{
	uint64_t n;

	return read(fd, &n, sizeof(n)) < 0 && errno == EAGAIN ? -1 : 0;
}

int
compat_socket(int domain, int type)
{
	int fd;
#ifdef HAVE_SO_NOSIGPIPE
	int on = 1;
#endif

#ifdef HAVE_SOCK_CLOEXEC
	fd = socket(domain, type | SOCK_CLOEXEC, 0);
#else
	if ((fd = socket(domain, type, 0)) != -1 &&
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		close(fd);
		fd = -1;
	}
#endif
#ifdef HAVE_SO_NOSIGPIPE
	if (fd != -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on,
		    sizeof(on));
#endif
	return fd;
}

ssize_t
compat_send(int fd, const void *p, size_t len)
{
#ifdef HAVE_MSG_NOSIGNAL
	return send(fd, p, len, MSG_NOSIGNAL);
#else
	return send(fd, p, len, 0);
#endif
}

int
compat_set_nondumpable(void)
{
#ifdef HAVE_PR_SET_DUMPABLE
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -1;
#else
	return -1;
#endif
}

void
compat_closefrom(int lowfd)
{
#ifdef HAVE_CLOSEFROM
	closefrom(lowfd);
#else
	long fd, max;

	if ((max = sysconf(_SC_OPEN_MAX)) < 0)
		max = 1024;
	for (fd = lowfd; fd < max; fd++)
		(void)close((int)fd);
#endif
}

int
compat_getpeeruid(int fd, uid_t *uid)
{
#if defined(HAVE_SO_PEERCRED)
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0)
		return -1;
	*uid = uc.uid;
	return 0;
#elif defined(HAVE_GETPEEREID)
	gid_t gid;

	return getpeereid(fd, uid, &gid);
#else
	(void)fd;
	(void)uid;
	errno = ENOSYS;
	return -1;
#endif
}

uint32_t
compat_random_u32(void)
{
#ifdef HAVE_ARC4RANDOM
	return arc4random();
#else
	unsigned char b[4];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return (uint32_t)compat_now_ms();
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
#endif
}

const char *
compat_features(void)
{
	static const char *const have[] = {
#ifdef HAVE_TIMERFD
		"timerfd",
#endif
#ifdef HAVE_MSG_NOSIGNAL
		"MSG_NOSIGNAL",
#endif
#ifdef HAVE_SO_NOSIGPIPE
		"SO_NOSIGPIPE",
#endif
#ifdef HAVE_SOCK_CLOEXEC
		"SOCK_CLOEXEC",
#endif
#ifdef HAVE_PR_SET_DUMPABLE
		"PR_SET_DUMPABLE",
#endif
#ifdef HAVE_SO_PEERCRED
		"SO_PEERCRED",
#endif
#ifdef HAVE_GETPEEREID
		"getpeereid",
#endif
#ifdef HAVE_CLOSEFROM
		"closefrom",
#endif
#ifdef HAVE_ARC4RANDOM
		"arc4random",
#endif
		NULL
	};
	static char s[128];
	size_t i;

	if (have[0] == NULL)
		return "POSIX fallbacks only";
	if (s[0] == '\0') {
		for (i = 0; have[i] != NULL; i++) {
			if (i > 0)
				strncat(s, " ", sizeof(s) - strlen(s) - 1);
			strncat(s, have[i], sizeof(s) - strlen(s) - 1);
		}
	}
	return s;
}
