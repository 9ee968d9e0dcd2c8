/*
 * The presigned openTunnel URL of an EC2 Instance Connect Endpoint; see
 * eiceurl.h.
 */
#include <string.h>

#include "buf.h"
#include "eiceurl.h"
#include "urlenc.h"

#define MAX_URL	4096	/* the unsigned URL: a DNS name and four values */

/* A DNS name as the endpoint has one: letters, digits, '-' and '.'. */
static int
host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 253)
		return 0;
	return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-.") == n;
}

static int
valid(const struct eiceurl_params *p)
{
	return p->host != NULL && host_ok(p->host) &&
	    p->endpoint_id != NULL && *p->endpoint_id != '\0' &&
	    p->address != NULL && *p->address != '\0' &&
	    p->region != NULL && *p->region != '\0' &&
	    p->port >= 1 && p->port <= 65535 &&
	    p->max_duration <= EICE_MAX_DURATION;
}

int
eiceurl_build(const struct sigv4_creds *creds, const struct eiceurl_params *p,
    struct sigv4_result **out)
{
	struct sigv4_params sp;
	struct buf u;
	int r;

	*out = NULL;
	if (!valid(p))
		return SP_ERR_INVALID_ARG;
	buf_init(&u, MAX_URL);
	if ((r = buf_putf(&u, "wss://%s" EICE_PATH
	    "?instanceConnectEndpointId=", p->host)) != 0 ||
	    (r = urlenc_put(&u, p->endpoint_id, strlen(p->endpoint_id),
	    0)) != 0 ||
	    (r = buf_putf(&u, "&remotePort=%u&privateIpAddress=",
	    p->port)) != 0 ||
	    (r = urlenc_put(&u, p->address, strlen(p->address), 0)) != 0 ||
	    (p->max_duration > 0 && (r = buf_putf(&u,
	    "&maxTunnelDuration=%u", p->max_duration)) != 0) ||
	    (r = buf_put_u8(&u, '\0')) != 0)
		goto out;
	memset(&sp, 0, sizeof(sp));
	sp.region = p->region;
	sp.service = EICE_SERVICE;
	sp.time = p->time;
	sp.expires = EICE_EXPIRES;
	/* A GET of an empty body: the payload hash is SHA-256(""). */
	r = sigv4_presign_url(creds, (const char *)buf_ptr(&u), &sp, out);
 out:
	buf_release(&u);
	return r;
}
