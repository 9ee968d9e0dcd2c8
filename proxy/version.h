/* ssm-proxy's own version, kept apart from the protocol's ClientVersion. */
#ifndef SSM_PROXY_VERSION_H
#define SSM_PROXY_VERSION_H

#include <stdio.h>

#include "chan.h"

/* The one place is the Makefile's VERSION. */
#ifndef SSM_PROXY_VERSION
#error "SSM_PROXY_VERSION comes from the Makefile (VERSION)"
#endif
#define SSM_PROXY_CLIENT_VERSION CHAN_CLIENT_VERSION

/*
 * --version: ssm-proxy's and the data-channel client's versions, the
 * libraries' versions as loaded at run time, and which system calls
 * proxy/compat.c uses in place of its POSIX fallbacks.
 */
void	version_print(FILE *fp);

#endif
