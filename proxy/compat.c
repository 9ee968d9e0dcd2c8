/* The operating system's floor (compat.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Feature tests: each HAVE_ is set here only. */
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
