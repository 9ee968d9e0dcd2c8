/*
 * The operating system's floor: every call that is not plain POSIX lives
 * in compat.c, with a POSIX fallback chosen at build time.  Any layer
 * above protocol/ may include this header (tests/checks/layering.sh).
 */
#ifndef SSM_COMPAT_H
#define SSM_COMPAT_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC: the one clock of timeouts and delays. */
uint64_t	compat_now_ms(void);

#endif /* SSM_COMPAT_H */
