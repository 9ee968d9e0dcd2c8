/*
 * Proxies of the websockets (SSM's data channel, the EC2 Instance Connect
 * Endpoint tunnel) and of the API calls: one rule for all.
 */
#ifndef SSM_PROXYURL_H
#define SSM_PROXYURL_H

#include <stddef.h>

#include "awscfg.h"

/*
 * The proxy for an endpoint URL: awscfg_https_proxy_for() (HTTPS_PROXY,
 * NO_PROXY) of its host and port; NULL: none (or a URL that cannot be
 * split).
 */
const char *proxyurl_for(const struct awscfg *cfg, const char *url);

/*
 * "http://host[:port][/]" into host (hostsz bytes) and *port (default
 * 80), for libwebsockets' CONNECT.  0, or -1: another scheme, user
 * information, or a malformed URL.
 */
int	proxyurl_parse(const char *url, char *host, size_t hostsz,
	    unsigned int *port);

#endif /* SSM_PROXYURL_H */
