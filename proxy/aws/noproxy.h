/*
 * NO_PROXY matching, the union of what botocore (Python's
 * proxy_bypass_environment) and libcurl accept, so that a host the AWS
 * CLI or curl would reach directly is reached directly here too:
 *
 *   - a comma-separated list; blanks around entries are ignored;
 *   - "*" bypasses the proxy for every host;
 *   - a name matches itself and every subdomain: "example.com" and
 *     ".example.com" both match example.com and a.b.example.com, not
 *     badexample.com; matching ignores ASCII case and a trailing dot;
 *   - "name:port" matches that name (and subdomains) on that port only;
 *   - an IP address matches the same address ("::1" equals
 *     "0:0:0:0:0:0:0:1"; IPv6 may be bracketed, "[::1]:443" with a
 *     port); "10.0.0.0/8" or "fd00::/8" matches addresses in the block;
 *     addresses are never matched as domain suffixes.
 *
 * Pure function: no I/O.
 */
#ifndef SSM_NOPROXY_H
#define SSM_NOPROXY_H

/*
 * 1 if a connection to host (a name or an IP literal, IPv6 bracketed or
 * not) on port must bypass the proxy under the list no_proxy, else 0.
 * NULL or empty no_proxy matches nothing.
 */
int	noproxy_match(const char *no_proxy, const char *host, int port);

#endif /* SSM_NOPROXY_H */
