/*
 * Unit tests for proxy/compat.c: the calls and their POSIX fallbacks.
 * Built twice by make check: as is (Linux: the Linux calls) and with
 * PORTABLE=1 (COMPAT_FORCE_POSIX: every fallback), so that both run.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "test.h"
#include "buf.h"
#include "compat.h"

/*
 * In a child: descriptors 3 to hi open, compat_closefrom(lo); exit 0 if
 * exactly those below lo are still open.
 */
static int
closefrom_in_child(int lo, int hi)
{
	pid_t pid;
	int fd, nul, st, bad;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((nul = open("/dev/null", O_RDONLY)) == -1)
			_exit(2);
		for (fd = 3; fd <= hi; fd++)
			if (fcntl(fd, F_GETFD) == -1 &&
			    dup2(nul, fd) == -1)
				_exit(2);
		compat_closefrom(lo);
		bad = 0;
		for (fd = 3; fd <= hi; fd++)
			if ((fcntl(fd, F_GETFD) != -1) != (fd < lo))
				bad = 1;
		_exit(bad);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int
main(void)
{
	uint32_t r[16];
	void *p;
	int fd, i, differ, sv[2];

	CHECK_EQ(closefrom_in_child(5, 40), 0,
	    "closefrom: 5 and up closed, 3 and 4 left open");

	differ = 0;
	for (i = 0; i < 16; i++) {
		r[i] = compat_random_u32();
		if (i > 0 && r[i] != r[0])
			differ = 1;
	}
	CHECK(differ, "random: 16 draws are not all the same");

	fd = compat_socket(AF_UNIX, SOCK_STREAM);
	CHECK(fd != -1 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	    "socket: close-on-exec");
	if (fd != -1)
		close(fd);

	/* A send to a closed peer fails with EPIPE; SIGPIPE would kill us. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
#ifdef COMPAT_FORCE_POSIX
		signal(SIGPIPE, SIG_IGN);	/* as session.c does */
#endif
		close(sv[1]);
		CHECK(compat_send(sv[0], "x", 1) == -1 && errno == EPIPE,
		    "send: EPIPE, not SIGPIPE, on a closed peer");
		close(sv[0]);
	}

	/* --share's peer check: our own uid, or ENOSYS where unknown. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
		uid_t uid = (uid_t)-1;

#ifdef COMPAT_FORCE_POSIX
		CHECK(compat_getpeeruid(sv[0], &uid) == -1 && errno == ENOSYS,
		    "PORTABLE: the peer's uid is unknown");
#else
		CHECK(compat_getpeeruid(sv[0], &uid) == 0 && uid == geteuid(),
		    "getpeeruid: the peer is our own uid");
#endif
		close(sv[0]);
		close(sv[1]);
	}

	p = mem_reallocarray(NULL, SIZE_MAX / 2 + 1, 2);
	CHECK(p == NULL && errno == ENOMEM,
	    "mem_reallocarray: an overflowing product is ENOMEM");
	p = mem_reallocarray(NULL, 3, 4);
	CHECK(p != NULL, "mem_reallocarray: 3 x 4 bytes");
	free(p);

#ifdef COMPAT_FORCE_POSIX
	CHECK_STR(compat_features(), "POSIX fallbacks only",
	    "PORTABLE: every fallback taken");
	CHECK_EQ(compat_timer_fd(), -1, "PORTABLE: no timer descriptor");
	CHECK_EQ(compat_set_nondumpable(), -1, "PORTABLE: no PR_SET_DUMPABLE");
#elif defined(__linux__)
	CHECK(strstr(compat_features(), "timerfd") != NULL &&
	    strstr(compat_features(), "MSG_NOSIGNAL") != NULL,
	    "Linux: timerfd and MSG_NOSIGNAL taken");
	fd = compat_timer_fd();
	CHECK(fd != -1, "Linux: a timer descriptor");
	if (fd != -1)
		close(fd);
#endif
	return test_done();
}
