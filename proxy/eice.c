/*
 * The EC2 Instance Connect Endpoint road; see eice.h and
 * proxy/aws/AWS-APIS.md "DescribeInstanceConnectEndpoints".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exit.h"
#include "eice.h"
#include "errmsg.h"
#include "fleet.h"
#include "log.h"
#include "namecache.h"
#include "proxyurl.h"

int
eice_transport(const char *arg, enum transport *out)
{
	if (strcmp(arg, "ssm") == 0)
		*out = TRANSPORT_SSM;
	else if (strcmp(arg, "eice") == 0)
		*out = TRANSPORT_EICE;
	else if (strcmp(arg, "auto") == 0)
		*out = TRANSPORT_AUTO;
	else
		return -1;
	return 0;
}

/* "ADDRESS:PORT" or "[IPV6]:PORT" into host and *port.  0, or -1. */
static int
connect_to(const char *arg, char *host, size_t hostsz, unsigned int *port)
{
	const char *colon = strrchr(arg, ':'), *h = arg;
	size_t n;

	if (colon == NULL || colon == arg)
		return -1;
	n = (size_t)(colon - arg);
	if (*arg == '[') {
		if (n < 3 || arg[n - 1] != ']')
			return -1;
		h = arg + 1;
		n -= 2;
	} else if (memchr(arg, ':', n) != NULL)
		return -1;	/* an IPv6 address needs brackets */
	if (n >= hostsz || strcspn(h, " \t/@?#") < n)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	return parse_uint(colon + 1, 1, 65535, port, NULL, NULL);
}

/* "eice-" and hex digits, as the service names endpoints. */
static int
eice_id_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 5 && n < sizeof(((struct fleet_endpoint *)0)->id) &&
	    strncmp(id, "eice-", 5) == 0 &&
	    strspn(id + 5, "0123456789abcdef") == n - 5;
}

int
eice_fallback(const struct config *c)
{
	return c->transport == TRANSPORT_AUTO && (c->port == 22 ||
	    c->port == 3389);
}

int
eice_check_options(const struct config *c)
{
	char host[256];
	unsigned int port;
	const char *opt = c->eice_id != NULL ? "--eice-id" :
	    c->eice_connect_to != NULL ? "--eice-connect-to" :
	    c->max_tunnel_s != 0 ? "--max-tunnel-duration" : NULL;

	if (opt != NULL && (c->list || c->transport == TRANSPORT_SSM)) {
		log_error("%s needs --transport eice or auto", opt);
		return EXIT_USAGE;
	}
	if (c->list && c->transport != TRANSPORT_SSM) {
		log_error("--list cannot be combined with --transport");
		return EXIT_USAGE;
	}
	if (c->eice_id != NULL && !eice_id_valid(c->eice_id)) {
		log_error("invalid --eice-id \"%.64s\": expected eice- and hex "
		    "digits", c->eice_id);
		return EXIT_USAGE;
	}
	if (c->eice_connect_to != NULL && connect_to(c->eice_connect_to,
	    host, sizeof(host), &port) != 0) {
		log_error("invalid --eice-connect-to \"%.64s\": expected "
		    "ADDRESS:PORT", c->eice_connect_to);
		return EXIT_USAGE;
	}
	if (c->transport == TRANSPORT_EICE && c->port != 22 &&
	    c->port != 3389) {
		log_error("port %u: an EC2 Instance Connect Endpoint reaches "
		    "ports 22 and 3389 only", c->port);
		return EXIT_USAGE;
	}
	return -1;
}

/* The instance r->id: running, with a private address.  0 or the exit
 * status after logging. */
static int
find_instance(struct resolve *r, struct fleet_ctx *x,
    struct fleet_instance *out)
{
	struct fleet_list l;
	struct fleet_instance *in;
	struct errmsg err;
	int rc = 0;

	memset(&l, 0, sizeof(l));
	errmsg_clear(&err);
	if (fleet_ec2_describe(x, FLEET_BY_ID, r->id, &l, &err) != 0) {
		if (x->stop != NULL && *x->stop != 0)
			rc = RESOLVE_SIGNALLED;
		else {
			log_error("cannot find the EC2 Instance Connect "
			    "Endpoint route to %s: %s", r->id, err.msg);
			rc = EXIT_API;
		}
	} else if ((in = fleet_find(&l, r->id)) == NULL) {
		log_error("%s: no such EC2 instance in %s", r->id, r->region);
		rc = EXIT_API;
	} else if (strcmp(in->state, "running") != 0) {
		log_error("%s is %s: an EC2 Instance Connect Endpoint reaches "
		    "running instances only", r->id, in->state);
		rc = EXIT_API;
	} else if (in->private_ip[0] == '\0' && in->ipv6[0] == '\0') {
		log_error("%s has no private IPv4 or IPv6 address to reach "
		    "through an EC2 Instance Connect Endpoint", r->id);
		rc = EXIT_API;
	} else
		*out = *in;
	fleet_list_free(&l);
	return rc;
}

/* Say why no endpoint was chosen: one line, the exit status. */
static int
no_endpoint(struct resolve *r, enum fleet_eice_pick pk,
    const struct fleet_instance *in, const struct fleet_endpoints *all)
{
	const char *id = r->conf->eice_id;
	const char *state = all->n > 0 ? all->v[0].state : "not ready";

	if (pk == FLEET_EICE_NO_FIPS) {
		log_error("the EC2 Instance Connect Endpoint of %s has no FIPS "
		    "DNS name (FIPS endpoints are configured)", r->id);
		return EXIT_USAGE;
	}
	if (pk == FLEET_EICE_NOT_READY || all->n > 0)
		log_error("the EC2 Instance Connect Endpoint %s is %s, not "
		    "ready for tunnels", id != NULL ? id : all->v[0].id,
		    state);
	else if (id != NULL)
		log_error("no EC2 Instance Connect Endpoint %s in %s", id,
		    r->region);
	else
		log_error("no EC2 Instance Connect Endpoint in %s, the VPC of "
		    "%s (region %s)", in->vpc_id, r->id, r->region);
	return EXIT_API;
}

/* The endpoints that serve in, usable ones first; then the choice. */
static int
find_endpoint(struct resolve *r, struct fleet_ctx *x,
    const struct fleet_instance *in, struct eice_route *rt)
{
	struct fleet_endpoints l, all;
	const struct fleet_endpoint *e;
	const char *host, *id = r->conf->eice_id;
	enum fleet_eice_pick pk = FLEET_EICE_NONE;
	struct errmsg err;
	int rc = 0, fips = r->cfg->use_fips;

	memset(&l, 0, sizeof(l));
	memset(&all, 0, sizeof(all));
	errmsg_clear(&err);
	if (id == NULL && in->vpc_id[0] == '\0') {
		log_error("%s is in no VPC: no EC2 Instance Connect Endpoint "
		    "can reach it", r->id);
		return EXIT_API;
	}
	if (fleet_eice_describe(x, id != NULL ? NULL : in->vpc_id, id, 1, &l,
	    &err) == 0 && (pk = fleet_eice_choose(&l, id, in->vpc_id,
	    in->subnet_id, fips, &e, &host)) == FLEET_EICE_OK) {
		snprintf(rt->endpoint_id, sizeof(rt->endpoint_id), "%s",
		    e->id);
		snprintf(rt->host, sizeof(rt->host), "%s", host);
		log_verbose("%s is reached through %s (%s, subnet %s)", r->id,
		    e->id, e->state, e->subnet_id);
		goto out;
	}
	if (err.msg[0] == '\0' && pk != FLEET_EICE_NO_FIPS)
		/* None usable: is there one that is not ready? */
		(void)!fleet_eice_describe(x, id != NULL ? NULL : in->vpc_id,
		    id, 0, &all, &err);
	if (x->stop != NULL && *x->stop != 0)
		rc = RESOLVE_SIGNALLED;
	else if (err.msg[0] != '\0' && strcmp(x->code,
	    "InvalidInstanceConnectEndpointId.NotFound") != 0) {
		log_error("cannot find the EC2 Instance Connect Endpoint of "
		    "%s: %s", r->id, err.msg);
		rc = EXIT_API;
	} else
		rc = no_endpoint(r, pk, in, &all);
 out:
	fleet_endpoints_free(&l);
	fleet_endpoints_free(&all);
	return rc;
}

/* The cache's key for the route to r->id; NULL when not cached. */
static struct namecache *
route_key(struct resolve *r, char *key, size_t keysz)
{
	if (r->conf->eice_id != NULL || r->cfg->use_fips)
		return NULL;
	snprintf(key, keysz, "%s%s", NAMECACHE_ROUTE, r->id);
	return resolve_cache(r);
}

/* A cached "ENDPOINT,HOST,ADDRESS" into rt: 1, else 0. */
static int
route_get(struct resolve *r, struct eice_route *rt)
{
	struct namecache *c;
	const char *v, *h, *a;
	char key[sizeof(NAMECACHE_ROUTE) + TARGET_MAX];

	if ((c = route_key(r, key, sizeof(key))) == NULL ||
	    (v = namecache_get(c, key, time(NULL))) == NULL ||
	    (h = strchr(v, ',')) == NULL || (a = strchr(h + 1, ',')) == NULL ||
	    (size_t)(h - v) >= sizeof(rt->endpoint_id) ||
	    (size_t)(a - h - 1) >= sizeof(rt->host) ||
	    strlen(a + 1) >= sizeof(rt->address))
		return 0;
	snprintf(rt->endpoint_id, sizeof(rt->endpoint_id), "%.*s",
	    (int)(h - v), v);
	snprintf(rt->host, sizeof(rt->host), "%.*s", (int)(a - h - 1), h + 1);
	snprintf(rt->address, sizeof(rt->address), "%s", a + 1);
	rt->cached = 1;
	log_verbose("%s is reached through %s (cached)", r->id,
	    rt->endpoint_id);
	return 1;
}

static void
route_put(struct resolve *r, const struct eice_route *rt)
{
	struct namecache *c;
	char key[sizeof(NAMECACHE_ROUTE) + TARGET_MAX];
	char v[NAMECACHE_MAX_ROUTE + 1];

	if ((c = route_key(r, key, sizeof(key))) == NULL)
		return;
	snprintf(v, sizeof(v), "%s,%s,%s", rt->endpoint_id, rt->host,
	    rt->address);
	if (namecache_put(c, key, v, time(NULL), r->conf->cache_ttl) == 0)
		resolve_save(r);
}

void
eice_forget(struct resolve *r, const struct eice_route *rt)
{
	struct namecache *c;
	char key[sizeof(NAMECACHE_ROUTE) + TARGET_MAX];

	if (!rt->cached || (c = route_key(r, key, sizeof(key))) == NULL)
		return;
	namecache_del(c, key);
	resolve_save(r);
	log_verbose("forgot the cached route to %s", r->id);
}

int
eice_discover(struct resolve *r, struct eice_route *rt)
{
	struct fleet_instance in;
	struct fleet_ctx x;
	int rc;

	memset(rt, 0, sizeof(*rt));
	if (strncmp(r->id, "i-", 2) != 0) {
		log_error("%s is not an EC2 instance: an EC2 Instance Connect "
		    "Endpoint reaches EC2 instances only", r->id);
		return EXIT_USAGE;
	}
	if (!route_get(r, rt)) {
		resolve_ctx(r, &x);
		if ((rc = find_instance(r, &x, &in)) != 0 ||
		    (rc = find_endpoint(r, &x, &in, rt)) != 0)
			return rc;
		snprintf(rt->address, sizeof(rt->address), "%s",
		    in.private_ip[0] != '\0' ? in.private_ip : in.ipv6);
		route_put(r, rt);
	}
	snprintf(rt->what, sizeof(rt->what), "%s%s%s:%u (%.40s) through %s",
	    strchr(rt->address, ':') ? "[" : "", rt->address,
	    strchr(rt->address, ':') ? "]" : "", r->conf->port, r->id,
	    rt->endpoint_id);
	return 0;
}

/* The proxy for the endpoint, as for the SSM websocket.  0, or -1. */
static int
tunnel_proxy(const struct awscfg *cfg, const char *host,
    struct eicetun_params *tp, char *phost, size_t phostsz)
{
	const char *proxy = awscfg_https_proxy_for(cfg, host, 443);

	if (proxy == NULL)
		return 0;
	if (proxyurl_parse(proxy, phost, phostsz, &tp->proxy_port) != 0) {
		log_error("unsupported proxy URL for the EICE tunnel (only "
		    "http://host:port works)");
		return -1;
	}
	tp->proxy_host = phost;
	return 0;
}

int
eice_exit(enum eicetun_end end, int sig)
{
	return end == EICETUN_END_OK ? EXIT_OK :
	    end == EICETUN_END_REFUSED ? EXIT_CHANNEL :
	    end == EICETUN_END_LOST ? EXIT_LOST : 128 + sig;
}

struct eicetun *
eice_open(struct loop *loop, const struct config *conf,
    const struct awscfg *cfg, const struct sigv4_creds *creds,
    const char *region, int64_t clock_offset, const struct eice_route *rt,
    void (*done)(void *arg, enum eicetun_end end, int sig), void *arg)
{
	struct eiceurl_params up;
	struct eicetun_params tp;
	struct sigv4_result *sig = NULL;
	struct eicetun *t = NULL;
	char chost[256], phost[256];
	int r;

	memset(&up, 0, sizeof(up));
	up.host = rt->host;
	up.endpoint_id = rt->endpoint_id;
	up.address = rt->address;
	up.port = conf->port;
	up.max_duration = conf->max_tunnel_s;
	up.region = region;
	up.time = (int64_t)time(NULL) + clock_offset;
	if ((r = eiceurl_build(creds, &up, &sig)) != 0) {
		log_error("cannot sign the EICE tunnel's URL: %s",
		    sp_err_str(r));
		return NULL;
	}
	memset(&tp, 0, sizeof(tp));
	if (conf->eice_connect_to != NULL && connect_to(conf->eice_connect_to,
	    chost, sizeof(chost), &tp.connect_port) == 0)
		tp.connect_host = chost;
	if (tunnel_proxy(cfg, rt->host, &tp, phost, sizeof(phost)) != 0)
		goto out;
	tp.loop = loop;
	tp.url = sig->url;
	tp.ca_file = cfg->ca_bundle;
	tp.max_duration_s = conf->max_tunnel_s;
	tp.keepalive_s = conf->keepalive_s;
	tp.what = rt->what;
	tp.done = done;
	tp.arg = arg;
	t = eicetun_start(&tp);
 out:
	sigv4_result_free(sig);
	return t;
}
