/*
 * The operating system's floor: every call that is not plain POSIX lives
 * in compat.c, with a POSIX fallback chosen at build time.  Any layer
 * above protocol/ may include this header (tests/checks/layering.sh).
 *
 * compat.c tests for each feature where it is used (a header that exists,
 * a macro that is defined); a function the preprocessor cannot see
 * (closefrom, arc4random) comes as HAVE_ from the Makefile's link probes.
 * COMPAT_FORCE_POSIX (make PORTABLE=1) takes every fallback, so that they
 * are built and tested on Linux too.  Nothing outside compat.c tests for
 * an operating system.
 */
#ifndef SSM_COMPAT_H
#define SSM_COMPAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Milliseconds of CLOCK_MONOTONIC: the one clock of timeouts and delays. */
uint64_t	compat_now_ms(void);

/*
 * A one-shot timer of microsecond precision as a descriptor that turns
 * readable when it expires (Linux's timerfd).  compat_timer_fd() returns
 * -1 where there is none: the caller uses a loop timer instead, which
 * rounds to milliseconds.  Arm: 0 or -1.  Clear, once it is readable:
 * -1 when it has not expired after all (a spurious wake-up).
 */
int		compat_timer_fd(void);
int		compat_timer_fd_arm(int fd, unsigned int us);
int		compat_timer_fd_clear(int fd);

/*
 * A stream socket that is closed on exec and never raises SIGPIPE where
 * the system can say so (SO_NOSIGPIPE); -1 with errno.
 */
int		compat_socket(int domain, int type);
/*
 * send() that raises no SIGPIPE on a closed peer (MSG_NOSIGNAL); without
 * it, the socket's SO_NOSIGPIPE or the program's SIG_IGN of SIGPIPE
 * (session.c) does the same.
 */
ssize_t		compat_send(int fd, const void *p, size_t len);

/*
 * Keep secrets out of core files and away from other processes of the
 * same user that ptrace or read /proc/PID/mem (PR_SET_DUMPABLE); 0, or
 * -1 where the system has no such switch (RLIMIT_CORE still applies).
 */
int		compat_set_nondumpable(void);

/*
 * Close every descriptor from lowfd up, in a child between fork and exec
 * (closefrom(2); else close() up to the descriptor limit).
 */
void		compat_closefrom(int lowfd);

/*
 * The user id of the process at the other end of a connected Unix
 * socket (SO_PEERCRED; else getpeereid(3)); 0, or -1 with errno (ENOSYS
 * where the system cannot tell: the caller refuses the peer).
 */
int		compat_getpeeruid(int fd, uid_t *uid);

/*
 * 32 random bits for jitter, not for keys (arc4random(3); else OpenSSL's
 * RAND_bytes, and the clock should that fail).
 */
uint32_t	compat_random_u32(void);

/*
 * The calls taken in place of a POSIX fallback, by name, space-separated
 * ("timerfd MSG_NOSIGNAL ..."), or "POSIX fallbacks only" (--version).
 */
const char	*compat_features(void);

#endif /* SSM_COMPAT_H */
