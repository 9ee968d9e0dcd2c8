/*
 * The presigned URL that opens an EC2 Instance Connect Endpoint tunnel
 * (PROTOCOL.md "EC2 Instance Connect Endpoint"): a GET of
 *
 *   wss://DNS/openTunnel?instanceConnectEndpointId=ID&remotePort=PORT
 *	&privateIpAddress=ADDRESS[&maxTunnelDuration=SECONDS]
 *	&X-Amz-Algorithm=..&X-Amz-Credential=..&X-Amz-Date=..
 *	&X-Amz-Expires=60&X-Amz-SignedHeaders=host
 *	[&X-Amz-Security-Token=..]&X-Amz-Signature=..
 *
 * presigned with SigV4 for the signing name "ec2-instance-connect", only
 * the host header signed and the payload hash that of an empty body (not
 * UNSIGNED-PAYLOAD: the service would refuse it).  The parameters are in
 * the order the AWS CLI sends them.  Pure: the caller gives the time.
 */
#ifndef SP_EICEURL_H
#define SP_EICEURL_H

#include <stdint.h>

#include "sigv4.h"

#define EICE_SERVICE		"ec2-instance-connect"
#define EICE_PATH		"/openTunnel"
#define EICE_EXPIRES		60	/* seconds; signed just before use */
#define EICE_MAX_DURATION	3600	/* maxTunnelDuration, seconds */

struct eiceurl_params {
	const char	*host;		/* the endpoint's DNS name (SNI, Host) */
	const char	*endpoint_id;	/* "eice-..." */
	const char	*address;	/* the target's private IPv4 or IPv6 */
	unsigned int	 port;		/* remotePort: 22 or 3389 */
	unsigned int	 max_duration;	/* 1..EICE_MAX_DURATION; 0: omitted
					   (the service's default) */
	const char	*region;	/* signing region */
	int64_t		 time;		/* signing time, epoch seconds UTC */
};

/*
 * Presign the openTunnel URL.  On success (*out)->url is the URL to open,
 * (*out)->host the Host header and SNI name; free with
 * sigv4_result_free().  0, SP_ERR_INVALID_ARG (a missing or empty field,
 * a port outside 1..65535, a duration over EICE_MAX_DURATION, a host
 * that is not a plain DNS name), or a sigv4_presign_url() error.
 */
int	eiceurl_build(const struct sigv4_creds *creds,
	    const struct eiceurl_params *p, struct sigv4_result **out) SP_WUR;

#endif /* SP_EICEURL_H */
