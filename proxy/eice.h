/*
 * The EC2 Instance Connect Endpoint road (--transport eice|auto;
 * protocol/PROTOCOL.md "EC2 Instance Connect Endpoint"): its options,
 * the endpoint and address an instance is reached through (EC2
 * DescribeInstances and DescribeInstanceConnectEndpoints, blocking,
 * before the loop or from a callback), and the tunnel (eicetun.c) opened
 * with a URL presigned just before.
 */
#ifndef SSM_EICE_H
#define SSM_EICE_H

#include <stdint.h>

#include "config.h"
#include "eicetun.h"
#include "eiceurl.h"
#include "loop.h"
#include "resolve.h"
#include "sigv4.h"

/* Where a tunnel goes, found by eice_discover(). */
struct eice_route {
	char	endpoint_id[32];
	char	host[256];	/* its dnsName (fipsDnsName with FIPS) */
	char	address[48];	/* the instance's private IPv4, else IPv6 */
	char	what[384];	/* "ADDRESS:PORT (ID) through eice-..." */
	int	cached;		/* from the name cache, not looked up */
};

/* "ssm", "eice" or "auto" into *out: 0, or -1. */
int	eice_transport(const char *arg, enum transport *out);

/* 1 if --transport auto may fall back to EICE (port 22 or 3389). */
int	eice_fallback(const struct config *c);

/* The EICE options of c, checked: -1 to go on, or EXIT_USAGE after
 * logging. */
int	eice_check_options(const struct config *c);

/*
 * The route to r->id (resolved) in r->region, from the name cache when
 * it holds one (not with --eice-id or FIPS endpoints), else looked up
 * and then cached for --cache-ttl: 0, RESOLVE_SIGNALLED, or
 * the exit status after one line (EXIT_USAGE: not an EC2 instance, no
 * FIPS name; EXIT_API: a lookup failed, the instance is not running or
 * has no private address, no usable endpoint in its VPC).
 */
int	eice_discover(struct resolve *r, struct eice_route *rt);

/*
 * The endpoint refused the tunnel to a route that came from the cache:
 * forget it, so that the next run looks it up again.
 */
void	eice_forget(struct resolve *r, const struct eice_route *rt);

/*
 * Presign the URL (region: the signing region; now + clock_offset) and
 * start the tunnel to rt (which must outlive it); done as in
 * eicetun_params.  NULL after logging.
 */
struct eicetun *eice_open(struct loop *loop, const struct config *conf,
	    const struct awscfg *cfg, const struct sigv4_creds *creds,
	    const char *region, int64_t clock_offset,
	    const struct eice_route *rt,
	    void (*done)(void *arg, enum eicetun_end end, int sig),
	    void *arg);

/* The exit status of a tunnel's end: EXIT_OK, EXIT_CHANNEL (refused),
 * EXIT_LOST, or 128 + sig. */
int	eice_exit(enum eicetun_end end, int sig);

#endif /* SSM_EICE_H */
