/*
 * The fleet lookups: DescribeInstances and StartInstances (EC2 Query
 * protocol, XML read as it arrives) and DescribeInstanceInformation (SSM
 * JSON 1.1), each a signed POST through http.c; see fleet.h and
 * proxy/aws/AWS-APIS.md "DescribeInstances".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleetint.h"
#include "http.h"
#include "sigv4.h"
#include "strutil.h"
#include "urlenc.h"
#include "utf8.h"

#define EC2_VERSION	"2016-11-15"
#define FORM_TYPE	"application/x-www-form-urlencoded; charset=utf-8"
#define JSON_TYPE	"application/x-amz-json-1.1"
#define TIMEOUT_MS	30000
#define MAX_PAGES	20000	/* FLEET_MAX_INSTANCES at the smallest page */
#define MAX_FORM	(32 * 1024)
#define SSM_IDS_PER_CALL 50	/* values of one InstanceIds filter */

void
fleet_copy(char *dst, size_t dstsz, const char *src, size_t n)
{
	const uint8_t *s = (const uint8_t *)src;
	size_t i = 0, o = 0, k;
	uint32_t cp;

	while (i < n && o + 1 < dstsz) {
		if ((k = utf8_decode(s + i, n - i, &cp)) == 0) {
			dst[o++] = '?';
			i++;
			continue;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			dst[o++] = ' ';
			i += k;
			continue;
		}
		if (o + k >= dstsz)
			break;
		memcpy(dst + o, s + i, k);
		o += k;
		i += k;
	}
	dst[o] = '\0';
}

int
fleet_id_ok(const char *id, size_t n)
{
	size_t i;

	if (n == 0 || n >= sizeof(((struct fleet_instance *)0)->id))
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
			return 0;
	return 1;
}

/*
 * One more zeroed element of size bytes at the end of the array *v of *n
 * (room for *cap), growing it up to max elements.  NULL with *full set
 * at max, NULL alone when memory ran out.
 */
static void *
grow_slot(void **v, size_t *n, size_t *cap, size_t size, size_t max,
    size_t first, int *full)
{
	void *nv;
	size_t nc;

	*full = 0;
	if (*n >= max) {
		*full = 1;
		return NULL;
	}
	if (*n == *cap) {
		nc = *cap == 0 ? first : *cap * 2;
		if (nc > max)
			nc = max;
		if ((nv = realloc(*v, nc * size)) == NULL)
			return NULL;
		*v = nv;
		*cap = nc;
	}
	nv = (char *)*v + (*n)++ * size;
	memset(nv, 0, size);
	return nv;
}

struct fleet_instance *
fleet_list_add(struct fleet_list *l, int *full)
{
	return grow_slot((void **)&l->v, &l->n, &l->cap, sizeof(*l->v),
	    FLEET_MAX_INSTANCES, 16, full);
}

struct fleet_endpoint *
fleet_endpoint_add(struct fleet_endpoints *l, int *full)
{
	return grow_slot((void **)&l->v, &l->n, &l->cap, sizeof(*l->v),
	    FLEET_MAX_ENDPOINTS, 4, full);
}

void
fleet_endpoints_free(struct fleet_endpoints *l)
{
	if (l == NULL)
		return;
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct fleet_instance *
fleet_find(struct fleet_list *l, const char *id)
{
	size_t i;

	for (i = 0; l != NULL && i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	return NULL;
}

void
fleet_list_free(struct fleet_list *l)
{
	if (l == NULL)
		return;
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* A filter value for EC2: *, ? and \ are wildcards and their escape. */
static int
put_literal(struct buf *b, const char *v)
{
	struct buf e;
	int r;

	buf_init(&e, 2 * strlen(v) + 1);
	for (r = 0; *v != '\0' && r == 0; v++)
		if ((*v == '*' || *v == '?' || *v == '\\') &&
		    (r = buf_put_u8(&e, '\\')) == 0)
			r = buf_put_u8(&e, (uint8_t)*v);
		else if (r == 0)
			r = buf_put_u8(&e, (uint8_t)*v);
	if (r == 0)
		r = urlenc_put(b, buf_ptr(&e), buf_len(&e), 0);
	buf_release(&e);
	return r;
}

static int
put_filter(struct buf *b, int i, const char *name, const char *tag,
    const char *value)
{
	int r;

	if ((r = buf_putf(b, "&Filter.%d.Name=", i)) != 0 ||
	    (r = urlenc_put(b, name, strlen(name), 0)) != 0 ||
	    (tag != NULL && (r = urlenc_put(b, tag, strlen(tag), 0)) != 0) ||
	    (r = buf_putf(b, "&Filter.%d.Value.1=", i)) != 0)
		return r;
	return put_literal(b, value);
}

int
fleet_ec2_form(enum fleet_by by, const char *value, const char *name_tag,
    unsigned int page, const char *next, struct buf *out)
{
	static const char *const live[] = { "pending", "running",
	    "stopping", "stopped", "shutting-down" };
	const char *tag = name_tag != NULL ? name_tag : "Name";
	size_t k;
	int r, i = 1;

	if ((value == NULL) != (by == FLEET_BY_NAMED || by == FLEET_BY_ALL))
		return SP_ERR_INVALID_ARG;
	if ((r = buf_put_str(out, "Action=DescribeInstances&Version="
	    EC2_VERSION)) != 0)
		return r;
	switch (by) {
	case FLEET_BY_ID:
		r = put_filter(out, i++, "instance-id", NULL, value);
		break;
	case FLEET_BY_NAME:
		r = put_filter(out, i++, "tag:", tag, value);
		break;
	case FLEET_BY_IP:
		r = put_filter(out, i++, "private-ip-address", NULL, value);
		break;
	case FLEET_BY_DNS:
		r = put_filter(out, i++, "private-dns-name", NULL, value);
		break;
	case FLEET_BY_NAMED:
		r = put_filter(out, i++, "tag-key", NULL, tag);
		break;
	case FLEET_BY_ALL:
		break;
	}
	if (r != 0 || (r = buf_putf(out, "&Filter.%d.Name=instance-state-name",
	    i)) != 0)
		return r;
	for (k = 0; k < sizeof(live) / sizeof(live[0]); k++)
		if ((r = buf_putf(out, "&Filter.%d.Value.%zu=%s", i, k + 1,
		    live[k])) != 0)
			return r;
	/* One id needs no page size, and EC2 refuses MaxResults beside
	 * instance ids (proxy/aws/AWS-APIS.md "DescribeInstances"). */
	if (by != FLEET_BY_ID &&
	    (r = buf_putf(out, "&MaxResults=%u", page)) != 0)
		return r;
	if (next != NULL && ((r = buf_put_str(out, "&NextToken=")) != 0 ||
	    (r = urlenc_put(out, next, strlen(next), 0)) != 0))
		return r;
	return 0;
}

static const char *const eice_usable[] = { "create-complete",
    "update-in-progress", "update-failed", "update-complete" };

int
fleet_eice_usable(const char *state)
{
	size_t i;

	for (i = 0; i < sizeof(eice_usable) / sizeof(eice_usable[0]); i++)
		if (strcmp(state, eice_usable[i]) == 0)
			return 1;
	return 0;
}

int
fleet_eice_form(const char *vpc_id, const char *eice_id, int usable,
    unsigned int page, const char *next, struct buf *out)
{
	size_t k;
	int r, i = 1;

	if (vpc_id == NULL && eice_id == NULL)
		return SP_ERR_INVALID_ARG;
	if ((r = buf_put_str(out, "Action=DescribeInstanceConnectEndpoints"
	    "&Version=" EC2_VERSION)) != 0)
		return r;
	if (eice_id != NULL) {
		if ((r = buf_put_str(out, "&InstanceConnectEndpointId.1=")) ==
		    0)
			r = urlenc_put(out, eice_id, strlen(eice_id), 0);
	} else
		r = put_filter(out, i++, "vpc-id", NULL, vpc_id);
	if (r == 0 && usable)
		r = buf_putf(out, "&Filter.%d.Name=state", i);
	for (k = 0; usable && r == 0 && k < sizeof(eice_usable) /
	    sizeof(eice_usable[0]); k++)
		r = buf_putf(out, "&Filter.%d.Value.%zu=%s", i, k + 1,
		    eice_usable[k]);
	if (r == 0 && eice_id == NULL)
		r = buf_putf(out, "&MaxResults=%u", page);
	if (r == 0 && next != NULL && (r = buf_put_str(out,
	    "&NextToken=")) == 0)
		r = urlenc_put(out, next, strlen(next), 0);
	return r;
}

enum fleet_eice_pick
fleet_eice_choose(const struct fleet_endpoints *l, const char *eice_id,
    const char *vpc_id, const char *subnet_id, int fips,
    const struct fleet_endpoint **pick, const char **host)
{
	const struct fleet_endpoint *e, *first = NULL, *same = NULL;
	int seen = 0;
	size_t i;

	*pick = NULL;
	*host = NULL;
	for (i = 0; i < l->n; i++) {
		e = &l->v[i];
		if (eice_id != NULL ? strcmp(e->id, eice_id) != 0 :
		    vpc_id == NULL || strcmp(e->vpc_id, vpc_id) != 0)
			continue;
		seen = 1;
		if (!fleet_eice_usable(e->state) || e->dns_name[0] == '\0')
			continue;
		if (first == NULL)
			first = e;
		if (same == NULL && subnet_id != NULL && *subnet_id != '\0' &&
		    strcmp(e->subnet_id, subnet_id) == 0)
			same = e;
	}
	if ((*pick = same != NULL ? same : first) == NULL)
		return seen ? FLEET_EICE_NOT_READY : FLEET_EICE_NONE;
	if (fips && (*pick)->fips_dns_name[0] == '\0')
		return FLEET_EICE_NO_FIPS;
	*host = fips ? (*pick)->fips_dns_name : (*pick)->dns_name;
	return FLEET_EICE_OK;
}

/* One signed POST. */
struct post {
	const char	*op;		/* "DescribeInstances", for messages */
	const char	*service;	/* endpoint and signing name */
	const char	*target;	/* X-Amz-Target, NULL: Query form */
	const struct buf *body;
	int		(*sink)(void *, const void *, size_t);
	void		*sink_arg;
	size_t		 max_body;
};

static int
sign(struct fleet_ctx *x, const struct post *po, const struct sigv4_url *u,
    const char *region, struct sigv4_result **sr)
{
	struct sigv4_header hd[2];
	struct sigv4_request rq;
	struct sigv4_params pa;
	struct sigv4_creds sc;

	memset(&rq, 0, sizeof(rq));
	memset(&pa, 0, sizeof(pa));
	hd[0].name = "content-type";
	hd[0].value = po->target != NULL ? JSON_TYPE : FORM_TYPE;
	hd[1].name = "x-amz-target";
	hd[1].value = po->target;
	rq.method = "POST";
	rq.host = u->host_header;
	rq.path = u->path;
	rq.headers = hd;
	rq.nheaders = po->target != NULL ? 2 : 1;
	rq.body = buf_ptr(po->body);
	rq.body_len = buf_len(po->body);
	pa.region = region;
	pa.service = po->service;
	pa.time = (int64_t)time(NULL);
	sc.access_key_id = x->creds->access_key_id;
	sc.secret_key = x->creds->secret_access_key;
	sc.session_token = x->creds->session_token;
	return sigv4_sign_header(&sc, &rq, &pa, sr);
}

static int
post(struct fleet_ctx *x, const struct post *po, struct http_resp *resp,
    struct errmsg *err)
{
	const char *region = x->region != NULL ? x->region : x->cfg->region;
	struct awscfg_endpoint ep;
	struct sigv4_url *u = NULL;
	struct sigv4_result *sr = NULL;
	struct http_req hr;
	struct http_signed hs;
	char url[ENDPOINT_URL_MAX + 2], target[128];
	int r;

	memset(resp, 0, sizeof(*resp));
	memset(&hs, 0, sizeof(hs));
	if (region == NULL)
		return errmsg_set(err, CFG_ERR_NO_REGION, "%s: no region",
		    po->op);
	if (x->stop != NULL && *x->stop != 0)
		return errmsg_set(err, CFG_ERR_INTERRUPTED, "%s: interrupted",
		    po->op);
	if ((r = awscfg_endpoint(x->cfg, po->service, region, &ep, err)) != 0)
		return r;
	snprintf(url, sizeof(url), "%s/", ep.url);
	if (sigv4_url_split(url, &u) != 0)
		return errmsg_set(err, CFG_ERR_VALUE, "bad %s endpoint %.200s",
		    po->service, ep.url);
	if ((r = sign(x, po, u, ep.signing_region, &sr)) != 0) {
		r = errmsg_set(err, r, "cannot sign %s", po->op);
		goto out;
	}
	memset(&hr, 0, sizeof(hr));
	hr.method = "POST";
	hr.url = url;
	hr.headers[hr.nheaders++] = po->target != NULL ?
	    "Content-Type: " JSON_TYPE : "Content-Type: " FORM_TYPE;
	if (po->target != NULL) {
		snprintf(target, sizeof(target), "X-Amz-Target: %s",
		    po->target);
		hr.headers[hr.nheaders++] = target;
	}
	if ((r = http_add_signed(&hr, sr->authorization, sr->amz_date,
	    x->creds->session_token, &hs)) != 0) {
		r = errmsg_set(err, r, "%s: %s", po->op, cfg_err_str(r));
		goto out;
	}
	hr.body = (const char *)buf_ptr(po->body);
	hr.body_len = buf_len(po->body);
	hr.ca_file = x->cfg->ca_bundle;
	hr.proxy = awscfg_https_proxy_for(x->cfg, u->host, u->port);
	hr.timeout_ms = TIMEOUT_MS;
	hr.cancel = x->stop;
	hr.sink = po->sink;
	hr.sink_arg = po->sink_arg;
	hr.max_body = po->max_body;
	http_warn_cleartext(url);
	x->calls++;
	if ((r = http_do(&hr, resp, err)) != 0)
		errmsg_prefix(err, "%s: ", po->op);
 out:
	http_signed_clear(&hs);
	sigv4_result_free(sr);
	sigv4_url_free(u);
	return r;
}

/* The service said no: its code into x->code, one line into err. */
static int
refused(struct fleet_ctx *x, const char *op, long status, const char *code,
    const char *message, struct errmsg *err)
{
	snprintf(x->code, sizeof(x->code), "%s", code);
	if (*code == '\0')
		return errmsg_set(err, CFG_ERR_PROCESS, "%s failed: HTTP %ld",
		    op, status);
	return errmsg_set(err, CFG_ERR_PROCESS, "%s failed: %s: %s", op, code,
	    *message != '\0' ? message : "(no message)");
}

struct xsink {
	struct fleet_xml *p;
	int		 r;	/* the reader's error */
};

static int
xml_sink(void *arg, const void *data, size_t len)
{
	struct xsink *s = arg;

	return s->r = fleet_xml_feed(s->p, data, len, 0);
}

/*
 * One EC2 Query call whose answer is read by a fleet_xml into out; the
 * answer must be the document want.  The reader is returned in *pp.
 */
static int
ec2_call(struct fleet_ctx *x, const char *op, const struct buf *form,
    enum fleet_doc want, struct fleet_list *out,
    struct fleet_endpoints *eout, struct fleet_xml **pp, struct errmsg *err)
{
	struct post po;
	struct http_resp resp;
	struct xsink s;
	struct fleet_xml_res *res;
	int r;

	memset(&s, 0, sizeof(s));
	if ((*pp = s.p = fleet_xml_new(x->name_tag, out)) == NULL)
		return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
	if (eout != NULL)
		fleet_xml_endpoints(s.p, eout);
	memset(&po, 0, sizeof(po));
	po.op = op;
	po.service = "ec2";
	po.body = form;
	po.sink = xml_sink;
	po.sink_arg = &s;
	po.max_body = FLEET_MAX_PAGE_BYTES;
	r = post(x, &po, &resp, err);
	if (r != 0 && s.r == 0)
		return r;
	if (r == 0)
		s.r = fleet_xml_feed(s.p, NULL, 0, 1);
	res = fleet_xml_res(s.p);
	if (resp.status >= 200 && resp.status <= 299) {
		if (s.r == SP_ERR_TOO_LARGE || s.r == SP_ERR_ALLOC)
			return s.r == SP_ERR_ALLOC ? errmsg_set(err, s.r,
			    "%s: out of memory", op) : errmsg_set(err, s.r,
			    "%s: more than %d %s", op, eout != NULL ?
			    FLEET_MAX_ENDPOINTS : FLEET_MAX_INSTANCES,
			    eout != NULL ? "endpoints" : "instances");
		if (s.r != 0 || res->doc != want)
			return errmsg_set(err, CFG_ERR_VALUE, "%s: the answer "
			    "of EC2 (HTTP %ld) is not the expected XML", op,
			    resp.status);
		return 0;
	}
	return refused(x, op, resp.status, s.r == 0 && res->doc ==
	    FLEET_DOC_ERROR ? res->code : "", res->message, err);
}

/* Leave out what the state filter should have: terminated instances. */
static void
drop_terminated(struct fleet_list *out, size_t from)
{
	size_t i, o = from;

	for (i = from; i < out->n; i++)
		if (strcmp(out->v[i].state, "terminated") != 0)
			out->v[o++] = out->v[i];
	out->n = o;
}

static unsigned int
page_size(unsigned int asked, unsigned int dflt, unsigned int max)
{
	if (asked == 0)
		return dflt;
	return asked < 5 ? 5 : asked > max ? max : asked;
}

/* Take the NextToken of the page just read into *next (freeing the
 * previous one); the same token twice or too many pages is an error. */
static int
next_page(const char *op, struct fleet_xml_res *res, char **next,
    size_t *pages, struct errmsg *err)
{
	if (res->next != NULL && *next != NULL &&
	    strcmp(res->next, *next) == 0)
		return errmsg_set(err, SP_ERR_PROTOCOL, "%s: EC2 sent the "
		    "same NextToken twice", op);
	free(*next);
	*next = res->next;
	res->next = NULL;
	if (*next != NULL && ++*pages >= MAX_PAGES)
		return errmsg_set(err, SP_ERR_TOO_LARGE, "%s: more than %d "
		    "pages", op, MAX_PAGES);
	return 0;
}

int
fleet_ec2_describe(struct fleet_ctx *x, enum fleet_by by, const char *value,
    struct fleet_list *out, struct errmsg *err)
{
	const char *op = "DescribeInstances";
	struct fleet_xml *p = NULL;
	struct buf form;
	char *next = NULL;
	size_t n0 = out->n, pages = 0, before;
	int r;

	x->code[0] = '\0';
	buf_init(&form, MAX_FORM);
	do {
		buf_reset(&form);
		if ((r = fleet_ec2_form(by, value, x->name_tag,
		    page_size(x->page_size, FLEET_EC2_PAGE, 1000), next,
		    &form)) != 0) {
			r = errmsg_set(err, r == SP_ERR_ALLOC ? SP_ERR_ALLOC :
			    SP_ERR_INVALID_ARG, "%s: cannot build the request",
			    op);
			break;
		}
		fleet_xml_free(p);
		before = out->n;
		if ((r = ec2_call(x, op, &form, FLEET_DOC_DESCRIBE, out, NULL,
		    &p, err)) != 0)
			break;
		drop_terminated(out, before);
		r = next_page(op, fleet_xml_res(p), &next, &pages, err);
	} while (r == 0 && next != NULL);
	if (r != 0)
		out->n = n0;
	free(next);
	fleet_xml_free(p);
	buf_release(&form);
	return r;
}

/* One DescribeInstanceInformation page; *next as fleet_parse_ssm. */
static int
ssm_page(struct fleet_ctx *x, const struct buf *body, const char *asked,
    struct fleet_list *out, char **next, struct errmsg *err)
{
	const char *op = "DescribeInstanceInformation";
	struct post po;
	struct http_resp resp;
	char code[64], message[256];
	int r;

	memset(&po, 0, sizeof(po));
	po.op = op;
	po.service = "ssm";
	po.target = "AmazonSSM.DescribeInstanceInformation";
	po.body = body;
	if ((r = post(x, &po, &resp, err)) != 0)
		return r;
	if (resp.status >= 200 && resp.status <= 299) {
		r = fleet_ssm_merge(resp.body, resp.len, asked, out, next);
		if (r == SP_ERR_PROTOCOL)
			r = errmsg_set(err, CFG_ERR_VALUE, "%s: the answer of "
			    "Systems Manager (HTTP %ld) is not the expected "
			    "JSON", op, resp.status);
		else if (r == SP_ERR_ALLOC)
			r = errmsg_set(err, r, "%s: out of memory", op);
		else if (r != 0)
			r = errmsg_set(err, r, "%s: more than %d nodes", op,
			    FLEET_MAX_INSTANCES);
	} else {
		fleet_ssm_error(resp.body, resp.len, code, message);
		r = refused(x, op, resp.status, code, message, err);
	}
	http_resp_free(&resp);
	return r;
}

/* One id filter's worth of DescribeInstanceInformation, all pages. */
static int
ssm_batch(struct fleet_ctx *x, const char *const *ids, size_t nids,
    const char *name, struct fleet_list *out, struct errmsg *err)
{
	const char *op = "DescribeInstanceInformation";
	struct buf body;
	char *next = NULL, *prev = NULL;
	size_t pages = 0;
	int r;

	buf_init(&body, MAX_FORM * 4);
	do {
		buf_reset(&body);
		if ((r = fleet_ssm_body(ids, nids, x->name_tag, name,
		    page_size(x->page_size, FLEET_SSM_PAGE, 50), next,
		    &body)) != 0) {
			r = errmsg_set(err, r, "%s: cannot build the request",
			    op);
			break;
		}
		free(prev);
		prev = next;
		next = NULL;
		if ((r = ssm_page(x, &body, name, out, &next, err)) != 0)
			break;
		if (next != NULL && prev != NULL && strcmp(next, prev) == 0) {
			r = errmsg_set(err, SP_ERR_PROTOCOL, "%s: the same "
			    "NextToken twice", op);
			break;
		}
		if (next != NULL && ++pages >= MAX_PAGES) {
			r = errmsg_set(err, SP_ERR_TOO_LARGE, "%s: more than "
			    "%d pages", op, MAX_PAGES);
			break;
		}
	} while (next != NULL);
	free(prev);
	free(next);
	buf_release(&body);
	return r;
}

int
fleet_ssm_describe(struct fleet_ctx *x, const char *const *ids,
    size_t nids, const char *name, struct fleet_list *out,
    struct errmsg *err)
{
	size_t off = 0, n;
	int r;

	x->code[0] = '\0';
	if (nids > FLEET_MAX_IDS || (nids > 0 && name != NULL))
		return errmsg_set(err, SP_ERR_INVALID_ARG, "DescribeInstance"
		    "Information: %s", nids > FLEET_MAX_IDS ? "too many ids" :
		    "a tag filter cannot be combined with ids");
	do {
		n = nids - off > SSM_IDS_PER_CALL ? SSM_IDS_PER_CALL :
		    nids - off;
		r = ssm_batch(x, n > 0 ? ids + off : NULL, n, name, out, err);
		/* Ids the service does not know as nodes are simply not
		 * managed nodes: the answer for them is "none". */
		if (r == CFG_ERR_PROCESS && n > 0 &&
		    strcmp(x->code, "InvalidInstanceId") == 0) {
			errmsg_clear(err);
			r = 0;
		}
		off += n;
	} while (r == 0 && off < nids);
	return r;
}

int
fleet_ec2_start(struct fleet_ctx *x, const char *id, char state[16],
    struct errmsg *err)
{
	struct fleet_list none;
	struct fleet_xml *p = NULL;
	struct buf form;
	int r;

	x->code[0] = '\0';
	state[0] = '\0';
	memset(&none, 0, sizeof(none));
	buf_init(&form, MAX_FORM);
	if ((r = buf_put_str(&form, "Action=StartInstances&Version="
	    EC2_VERSION "&InstanceId.1=")) != 0 ||
	    (r = urlenc_put(&form, id, strlen(id), 0)) != 0) {
		r = errmsg_set(err, r, "StartInstances: cannot build the "
		    "request");
		goto out;
	}
	if ((r = ec2_call(x, "StartInstances", &form, FLEET_DOC_START, &none,
	    NULL, &p, err)) != 0)
		goto out;
	snprintf(state, 16, "%s", fleet_xml_res(p)->state);
 out:
	fleet_xml_free(p);
	fleet_list_free(&none);
	buf_release(&form);
	return r;
}

int
fleet_eice_describe(struct fleet_ctx *x, const char *vpc_id,
    const char *eice_id, int usable, struct fleet_endpoints *out,
    struct errmsg *err)
{
	const char *op = "DescribeInstanceConnectEndpoints";
	struct fleet_list none;
	struct fleet_xml *p = NULL;
	struct buf form;
	char *next = NULL;
	size_t n0 = out->n, pages = 0;
	int r;

	x->code[0] = '\0';
	memset(&none, 0, sizeof(none));
	buf_init(&form, MAX_FORM);
	do {
		buf_reset(&form);
		if ((r = fleet_eice_form(vpc_id, eice_id, usable,
		    FLEET_EICE_PAGE, next, &form)) != 0) {
			r = errmsg_set(err, r == SP_ERR_ALLOC ? SP_ERR_ALLOC :
			    SP_ERR_INVALID_ARG, "%s: cannot build the request",
			    op);
			break;
		}
		fleet_xml_free(p);
		if ((r = ec2_call(x, op, &form, FLEET_DOC_EICE, &none, out,
		    &p, err)) != 0)
			break;
		r = next_page(op, fleet_xml_res(p), &next, &pages, err);
	} while (r == 0 && next != NULL);
	if (r != 0)
		out->n = n0;
	free(next);
	fleet_xml_free(p);
	fleet_list_free(&none);
	buf_release(&form);
	return r;
}
