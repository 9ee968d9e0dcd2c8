/*
 * EC2 Instance Connect Endpoint, the pure parts and the discovery call:
 * the presigned openTunnel URL against tests/vectors/eice/ byte for byte
 * (and the UNSIGNED-PAYLOAD signature it must not be), an instance's
 * VPC, subnet and IPv6 from DescribeInstances, DescribeInstanceConnect-
 * Endpoints answers and request bodies, the choice of an endpoint, and
 * fleet_eice_describe against a local HTTP server.
 */
#include <sys/wait.h>

#include <signal.h>
#include <time.h>

#define VEC_DIR		"tests/vectors/eice/"

#include "test.h"
#include "vectors.h"
#include "cfgtest.h"
#include "srvtest.h"

#include "buf.h"
#include "credtype.h"
#include "eiceurl.h"
#include "fleet.h"
#include "fleetint.h"
#include "json.h"
#include "rfc3339.h"

#define NS	"http://ec2.amazonaws.com/doc/2016-11-15/"

static const char *
jstr(const struct json *j, const char *key)
{
	const char *s = NULL;

	if (json_get_str(j, key, &s) != 0)
		return NULL;
	return s;
}

/* "YYYYMMDDTHHMMSSZ" as epoch seconds. */
static int64_t
amz_time(const char *d)
{
	char iso[32];
	int64_t t;

	if (d == NULL || strlen(d) != 16 || d[8] != 'T' || d[15] != 'Z')
		abort();
	snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", d,
	    d + 4, d + 6, d + 9, d + 11, d + 13);
	if (rfc3339_parse(iso, &t) != 0)
		abort();
	return t;
}

/* The vector's params (pairs, in URL order) into p. */
static void
vec_params(const struct json *v, struct eiceurl_params *p)
{
	const struct json *a = json_get(v, "params"), *kv;
	const char *k, *val;
	size_t i;

	if (a == NULL || a->type != JSON_ARRAY)
		abort();
	for (i = 0; i < a->n; i++) {
		kv = a->v[i];
		if (kv->type != JSON_ARRAY || kv->n != 2)
			abort();
		k = kv->v[0]->s;
		val = kv->v[1]->s;
		if (strcmp(k, "instanceConnectEndpointId") == 0)
			p->endpoint_id = val;
		else if (strcmp(k, "remotePort") == 0)
			p->port = (unsigned int)strtoul(val, NULL, 10);
		else if (strcmp(k, "privateIpAddress") == 0)
			p->address = val;
		else if (strcmp(k, "maxTunnelDuration") == 0)
			p->max_duration = (unsigned int)strtoul(val, NULL, 10);
		else
			abort();
	}
}

/* Line n (0-based) of s, in a static buffer. */
static const char *
line(const char *s, int n)
{
	static char out[2048];
	const char *e;

	while (n-- > 0 && s != NULL && (s = strchr(s, '\n')) != NULL)
		s++;
	if (s == NULL)
		return "";
	e = strchr(s, '\n');
	snprintf(out, sizeof(out), "%.*s", (int)(e != NULL ? (size_t)(e - s) :
	    strlen(s)), s);
	return out;
}

static void
one_vector(const char *file)
{
	struct json *v = NULL;
	struct eiceurl_params p;
	struct sigv4_creds c;
	struct sigv4_result *res = NULL;
	char *text;
	size_t len;
	const char *tok;

	text = vec_read(file, &len);
	if (json_parse(text, len, &v) != 0)
		vec_bail(file, "not JSON");
	memset(&p, 0, sizeof(p));
	vec_params(v, &p);
	p.host = jstr(v, "host");
	p.region = jstr(v, "region");
	p.time = amz_time(jstr(v, "amz_date"));
	c.access_key_id = jstr(v, "access_key");
	c.secret_key = jstr(v, "secret_key");
	tok = jstr(v, "session_token");
	c.session_token = tok;
	CHECK_STR(jstr(v, "service"), EICE_SERVICE, "signing name");
	CHECK_EQ(eiceurl_build(&c, &p, &res), 0, file);
	if (res == NULL)
		goto out;
	CHECK_STR(line(res->canonical_request, 2), jstr(v, "canonical_query"),
	    "canonical query");
	CHECK_STR(line(res->canonical_request, 6), "e3b0c44298fc1c149afbf4c8"
	    "996fb92427ae41e4649b934ca495991b7852b855",
	    "payload hash: SHA-256 of the empty string");
	CHECK_STR(line(res->string_to_sign, 3),
	    jstr(v, "canonical_request_sha256"), "canonical request hash");
	CHECK_STR(res->signature, jstr(v, "signature"), "signature");
	CHECK_STR(res->url, jstr(v, "url"), "the URL, in the CLI's order");
	CHECK_STR(res->host, p.host, "Host header: the DNS name, no port");
 out:
	sigv4_result_free(res);
	json_free(v);
	free(text);
}

/* Vector A signed with UNSIGNED-PAYLOAD gives the vector's negative
 * value, which is not the signature eiceurl_build makes. */
static void
unsigned_negative(void)
{
	struct json *v = NULL;
	struct sigv4_creds c;
	struct sigv4_request rq;
	struct sigv4_params sp;
	struct sigv4_result *res = NULL;
	char *text, *q;
	size_t len;

	text = vec_read("a-cli-functional.json", &len);
	if (json_parse(text, len, &v) != 0)
		vec_bail("a-cli-functional.json", "not JSON");
	q = strchr(jstr(v, "url"), '?');
	memset(&rq, 0, sizeof(rq));
	memset(&sp, 0, sizeof(sp));
	rq.method = "GET";
	rq.host = jstr(v, "host");
	rq.path = EICE_PATH;
	/* The operation parameters only: the URL up to X-Amz-Algorithm. */
	rq.query = strndup(q + 1, (size_t)(strstr(q, "&X-Amz-") - q - 1));
	rq.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
	sp.region = jstr(v, "region");
	sp.service = EICE_SERVICE;
	sp.time = amz_time(jstr(v, "amz_date"));
	sp.expires = EICE_EXPIRES;
	c.access_key_id = jstr(v, "access_key");
	c.secret_key = jstr(v, "secret_key");
	c.session_token = NULL;
	CHECK_EQ(sigv4_presign(&c, &rq, &sp, &res), 0, "UNSIGNED-PAYLOAD");
	CHECK_STR(res != NULL ? res->signature : NULL,
	    jstr(v, "signature_if_unsigned_payload"),
	    "UNSIGNED-PAYLOAD gives the negative vector");
	CHECK(strcmp(jstr(v, "signature"),
	    jstr(v, "signature_if_unsigned_payload")) != 0,
	    "which is not the signature");
	sigv4_result_free(res);
	free((char *)rq.query);
	json_free(v);
	free(text);
}

static void
test_vectors(void)
{
	one_vector("a-cli-functional.json");
	one_vector("b-derived-token-ipv6.json");
	unsigned_negative();
}

static void
test_url_args(void)
{
	struct sigv4_creds c = { "AKID", "secret", NULL };
	struct eiceurl_params p, q;
	struct sigv4_result *res = NULL;

	memset(&p, 0, sizeof(p));
	p.host = "eice-1.ec2-instance-connect-endpoint.us-east-1.amazonaws.com";
	p.endpoint_id = "eice-1";
	p.address = "10.0.0.1";
	p.port = 22;
	p.region = "us-east-1";
	p.time = 1700000000;
	CHECK_EQ(eiceurl_build(&c, &p, &res), 0, "good");
	CHECK(res != NULL && strstr(res->url, "&maxTunnelDuration") == NULL,
	    "no duration: none sent");
	sigv4_result_free(res);
	q = p;
	q.max_duration = 3600;
	CHECK_EQ(eiceurl_build(&c, &q, &res), 0, "3600 s");
	CHECK(res != NULL && strstr(res->url, "&privateIpAddress=10.0.0.1&"
	    "maxTunnelDuration=3600&X-Amz-Algorithm=") != NULL,
	    "duration after the address");
	sigv4_result_free(res);
	q.max_duration = 3601;
	CHECK_EQ(eiceurl_build(&c, &q, &res), SP_ERR_INVALID_ARG, "3601 s");
	CHECK(res == NULL, "nothing on error");
	q = p;
	q.port = 0;
	CHECK_EQ(eiceurl_build(&c, &q, &res), SP_ERR_INVALID_ARG, "port 0");
	q = p;
	q.host = "evil.example/x?y=";
	CHECK_EQ(eiceurl_build(&c, &q, &res), SP_ERR_INVALID_ARG,
	    "a host that is not a DNS name");
	q = p;
	q.address = "";
	CHECK_EQ(eiceurl_build(&c, &q, &res), SP_ERR_INVALID_ARG,
	    "no address");
	q = p;
	q.endpoint_id = NULL;
	CHECK_EQ(eiceurl_build(&c, &q, &res), SP_ERR_INVALID_ARG, "no id");
}

/* An instance of DescribeInstances with an interface (whose VPC, subnet
 * and addresses are a decoy) before or after its own fields. */
static void
instance(struct buf *b, const char *id, const char *own6, const char *ni6,
    int ni_first)
{
	char ni[1024], own[512];

	snprintf(ni, sizeof(ni), "<networkInterfaceSet><item>"
	    "<networkInterfaceId>eni-0123456789abcdef0</networkInterfaceId>"
	    "<subnetId>subnet-decoy</subnetId><vpcId>vpc-decoy</vpcId>"
	    "<privateIpAddress>10.9.9.9</privateIpAddress>"
	    "<ipv6AddressesSet>%s%s%s</ipv6AddressesSet>"
	    "</item></networkInterfaceSet>",
	    ni6 != NULL ? "<item><ipv6Address>" : "",
	    ni6 != NULL ? ni6 : "", ni6 != NULL ?
	    "</ipv6Address><isPrimaryIpv6>false</isPrimaryIpv6></item>"
	    "<item><ipv6Address>2600::dead</ipv6Address></item>" : "");
	snprintf(own, sizeof(own), "<subnetId>subnet-0a0a0a0a0a0a0a0a1"
	    "</subnetId><vpcId>vpc-0a0a0a0a0a0a0a0a0</vpcId>%s%s%s",
	    own6 != NULL ? "<ipv6Address>" : "", own6 != NULL ? own6 : "",
	    own6 != NULL ? "</ipv6Address>" : "");
	if (buf_putf(b, "<item><instanceId>%s</instanceId>"
	    "<instanceState><code>16</code><name>running</name>"
	    "</instanceState>%s%s</item>", id, ni_first ? ni : own,
	    ni_first ? own : ni) != 0)
		abort();
}

static void
test_instance_fields(void)
{
	struct fleet_list l;
	struct buf b;
	char *next = NULL;

	memset(&l, 0, sizeof(l));
	buf_init(&b, 1 << 16);
	if (buf_put_str(&b, "<DescribeInstancesResponse xmlns=\"" NS "\">"
	    "<reservationSet><item><instancesSet>") != 0)
		abort();
	instance(&b, "i-1", "2600:1f18:aaaa:bb01::10", "2600::1", 1);
	instance(&b, "i-2", "2600:1f18:aaaa:bb01::20", "2600::2", 0);
	instance(&b, "i-3", NULL, "2600:1f18:aaaa:bb01::30", 0);
	instance(&b, "i-4", NULL, NULL, 1);
	if (buf_put_str(&b, "</instancesSet></item></reservationSet>"
	    "</DescribeInstancesResponse>") != 0)
		abort();
	CHECK_EQ(fleet_parse_ec2(buf_ptr(&b), buf_len(&b), NULL, &l, &next),
	    0, "page");
	CHECK_EQ(l.n, 4, "four instances");
	if (l.n != 4)
		goto out;
	CHECK_STR(l.v[0].vpc_id, "vpc-0a0a0a0a0a0a0a0a0",
	    "the instance's vpcId, not its interface's");
	CHECK_STR(l.v[0].subnet_id, "subnet-0a0a0a0a0a0a0a0a1",
	    "the instance's subnetId");
	CHECK_STR(l.v[1].vpc_id, "vpc-0a0a0a0a0a0a0a0a0",
	    "interface after the instance's own: still its own");
	CHECK_STR(l.v[0].ipv6, "2600:1f18:aaaa:bb01::10",
	    "own ipv6Address after the interface's wins");
	CHECK_STR(l.v[1].ipv6, "2600:1f18:aaaa:bb01::20",
	    "own ipv6Address before the interface's wins");
	CHECK_STR(l.v[2].ipv6, "2600:1f18:aaaa:bb01::30",
	    "no own: the interface's first");
	CHECK_STR(l.v[3].ipv6, "", "none");
	CHECK_STR(l.v[3].private_ip, "", "the interface's IPv4 is not taken");
 out:
	fleet_list_free(&l);
	buf_release(&b);
}

/* An endpoint item as the service sends it. */
static void
endpoint(struct buf *b, const char *id, const char *subnet,
    const char *state, int fips)
{
	if (buf_putf(b, "<item><ownerId>123456789012</ownerId>"
	    "<instanceConnectEndpointId>%s</instanceConnectEndpointId>"
	    "<instanceConnectEndpointArn>arn:aws:ec2:us-east-1:123456789012:"
	    "instance-connect-endpoint/%s</instanceConnectEndpointArn>"
	    "<state>%s</state><stateMessage/>"
	    "<dnsName>%s.ec2-instance-connect-endpoint.us-east-1.amazonaws.com"
	    "</dnsName>%s%s%s"
	    "<networkInterfaceIdSet><item>eni-0f0f0f0f0f0f0f0f0</item>"
	    "</networkInterfaceIdSet><vpcId>vpc-0a0a0a0a0a0a0a0a0</vpcId>"
	    "<availabilityZone>us-east-1a</availabilityZone>"
	    "<createdAt>2024-01-01T00:00:00.000Z</createdAt>"
	    "<subnetId>%s</subnetId><preserveClientIp>false</preserveClientIp>"
	    "<securityGroupIdSet><item>sg-1</item></securityGroupIdSet>"
	    "<ipAddressType>ipv4</ipAddressType><tagSet><item><key>Name</key>"
	    "<value>decoy</value></item><item><key>state</key><value>x</value>"
	    "</item></tagSet></item>", id, id, state, id,
	    fips ? "<fipsDnsName>" : "", fips ? id : "",
	    fips ? ".fips.ec2-instance-connect-endpoint.us-east-1.amazonaws.com"
	    "</fipsDnsName>" : "", subnet) != 0)
		abort();
}

static void
eice_page(struct buf *b, int from, int n, const char *next)
{
	char id[32];
	int i;

	if (buf_putf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<DescribeInstanceConnectEndpointsResponse xmlns=\"" NS "\">"
	    "<requestId>r</requestId><instanceConnectEndpointSet>") != 0)
		abort();
	for (i = from; i < from + n; i++) {
		snprintf(id, sizeof(id), "eice-%017x", i);
		endpoint(b, id, i % 2 ? "subnet-2" : "subnet-1",
		    i % 3 ? "create-complete" : "update-failed", i % 2);
	}
	if (buf_putf(b, "</instanceConnectEndpointSet>%s%s%s"
	    "</DescribeInstanceConnectEndpointsResponse>", next ?
	    "<nextToken>" : "", next ? next : "", next ? "</nextToken>" :
	    "") != 0)
		abort();
}

static void
test_eice_parse(void)
{
	static const char err[] = "<Response><Errors><Error><Code>"
	    "InvalidInstanceConnectEndpointId.NotFound</Code><Message>no"
	    "</Message></Error></Errors><RequestID>r</RequestID></Response>";
	struct fleet_endpoints l;
	struct buf b;
	char *next = NULL;

	memset(&l, 0, sizeof(l));
	buf_init(&b, 1 << 16);
	eice_page(&b, 0, 2, "tok+/=");
	CHECK_EQ(fleet_parse_eice(buf_ptr(&b), buf_len(&b), &l, &next), 0,
	    "endpoints page");
	CHECK_STR(next, "tok+/=", "nextToken");
	CHECK_EQ(l.n, 2, "two endpoints");
	if (l.n == 2) {
		CHECK_STR(l.v[0].id, "eice-00000000000000000", "id");
		CHECK_STR(l.v[0].state, "update-failed", "state");
		CHECK_STR(l.v[0].vpc_id, "vpc-0a0a0a0a0a0a0a0a0", "vpcId");
		CHECK_STR(l.v[0].subnet_id, "subnet-1", "subnetId");
		CHECK_STR(l.v[0].az, "us-east-1a", "availabilityZone");
		CHECK_STR(l.v[0].dns_name, "eice-00000000000000000.ec2-instance-"
		    "connect-endpoint.us-east-1.amazonaws.com", "dnsName");
		CHECK_STR(l.v[0].fips_dns_name, "", "no fipsDnsName");
		CHECK_STR(l.v[1].fips_dns_name, "eice-00000000000000001.fips."
		    "ec2-instance-connect-endpoint.us-east-1.amazonaws.com",
		    "fipsDnsName");
	}
	free(next);
	next = NULL;
	CHECK_EQ(fleet_parse_eice(err, sizeof(err) - 1, &l, &next),
	    SP_ERR_PROTOCOL, "an error document is not a page");
	CHECK_EQ(fleet_parse_eice(buf_ptr(&b), buf_len(&b) - 60, &l, &next),
	    SP_ERR_PROTOCOL, "cut short");
	CHECK_EQ(l.n, 2, "nothing added on error");
	buf_reset(&b);
	if (buf_put_str(&b, "<DescribeInstanceConnectEndpointsResponse>"
	    "<instanceConnectEndpointSet><item><state>create-complete</state>"
	    "</item><item><instanceConnectEndpointId>eice-x y"
	    "</instanceConnectEndpointId></item></instanceConnectEndpointSet>"
	    "</DescribeInstanceConnectEndpointsResponse>") != 0)
		abort();
	CHECK_EQ(fleet_parse_eice(buf_ptr(&b), buf_len(&b), &l, &next), 0,
	    "items without a usable id");
	CHECK_EQ(l.n, 2, "are skipped");
	CHECK(next == NULL, "last page");
	fleet_endpoints_free(&l);
	buf_release(&b);
}

#define USABLE(i) "&Filter." #i ".Name=state&Filter." #i ".Value.1=" \
	"create-complete&Filter." #i ".Value.2=update-in-progress&Filter." \
	#i ".Value.3=update-failed&Filter." #i ".Value.4=update-complete"
#define E0	"Action=DescribeInstanceConnectEndpoints&Version=2016-11-15"
/* The body after E0 is exactly want. */
#define FORM_IS(b, want, what)	CHECK_MEM(buf_ptr(b) + strlen(E0),	\
	buf_len(b) - strlen(E0), want, strlen(want), what)

static void
test_eice_form(void)
{
	struct buf b;

	buf_init(&b, 4096);
	CHECK_EQ(fleet_eice_form("vpc-0a0a0a0a0a0a0a0a0", NULL, 1, 50, NULL,
	    &b), 0, "by VPC");
	CHECK(buf_len(&b) > strlen(E0) && memcmp(buf_ptr(&b), E0,
	    strlen(E0)) == 0, "action and version");
	FORM_IS(&b, "&Filter.1.Name=vpc-id&Filter.1.Value.1="
	    "vpc-0a0a0a0a0a0a0a0a0" USABLE(2) "&MaxResults=50",
	    "by VPC, usable states, 50");
	buf_reset(&b);
	CHECK_EQ(fleet_eice_form("vpc-*", NULL, 0, 50, "a/b=", &b), 0,
	    "any state, a NextToken");
	FORM_IS(&b, "&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-%5C%2A"
	    "&MaxResults=50&NextToken=a%2Fb%3D",
	    "wildcards escaped; no state filter; token encoded");
	buf_reset(&b);
	CHECK_EQ(fleet_eice_form(NULL, "eice-0123456789abcdef0", 1, 50, NULL,
	    &b), 0, "by id");
	FORM_IS(&b, "&InstanceConnectEndpointId.1=eice-0123456789abcdef0"
	    USABLE(1), "by id: no MaxResults");
	CHECK_EQ(fleet_eice_form(NULL, NULL, 1, 50, NULL, &b),
	    SP_ERR_INVALID_ARG, "neither");
	buf_release(&b);
}

static struct fleet_endpoint
ep(const char *id, const char *vpc, const char *subnet, const char *state,
    int fips)
{
	struct fleet_endpoint e;

	memset(&e, 0, sizeof(e));
	snprintf(e.id, sizeof(e.id), "%s", id);
	snprintf(e.vpc_id, sizeof(e.vpc_id), "%s", vpc);
	snprintf(e.subnet_id, sizeof(e.subnet_id), "%s", subnet);
	snprintf(e.state, sizeof(e.state), "%s", state);
	snprintf(e.dns_name, sizeof(e.dns_name), "%s.dns", id);
	if (fips)
		snprintf(e.fips_dns_name, sizeof(e.fips_dns_name), "%s.fips",
		    id);
	return e;
}

static void
test_choose(void)
{
	struct fleet_endpoint v[5];
	struct fleet_endpoints l = { v, 5, 5 };
	const struct fleet_endpoint *pk;
	const char *host;

	v[0] = ep("eice-a", "vpc-2", "subnet-9", "create-complete", 1);
	v[1] = ep("eice-b", "vpc-1", "subnet-1", "create-in-progress", 1);
	v[2] = ep("eice-c", "vpc-1", "subnet-2", "update-complete", 0);
	v[3] = ep("eice-d", "vpc-1", "subnet-3", "create-complete", 1);
	v[4] = ep("eice-e", "vpc-3", "subnet-7", "delete-complete", 1);
	CHECK_EQ(fleet_eice_choose(&l, NULL, "vpc-1", "subnet-3", 0, &pk,
	    &host), FLEET_EICE_OK, "same subnet");
	CHECK_STR(pk != NULL ? pk->id : NULL, "eice-d", "the subnet's first");
	CHECK_STR(host, "eice-d.dns", "dnsName");
	CHECK_EQ(fleet_eice_choose(&l, NULL, "vpc-1", "subnet-1", 0, &pk,
	    &host), FLEET_EICE_OK, "the subnet's is not ready");
	CHECK_STR(pk != NULL ? pk->id : NULL, "eice-c",
	    "then the VPC's first usable");
	CHECK_EQ(fleet_eice_choose(&l, NULL, "vpc-1", "subnet-1", 1, &pk,
	    &host), FLEET_EICE_NO_FIPS, "FIPS: that one has no FIPS name");
	CHECK(pk != NULL && host == NULL, "chosen, no host");
	CHECK_EQ(fleet_eice_choose(&l, NULL, "vpc-1", "subnet-3", 1, &pk,
	    &host), FLEET_EICE_OK, "FIPS");
	CHECK_STR(host, "eice-d.fips", "fipsDnsName");
	CHECK_EQ(fleet_eice_choose(&l, NULL, "vpc-3", "subnet-7", 0, &pk,
	    &host), FLEET_EICE_NOT_READY, "only one not ready");
	CHECK(pk == NULL && host == NULL, "nothing chosen");
	CHECK_EQ(fleet_eice_choose(&l, NULL, "vpc-0d", "s", 0, &pk, &host),
	    FLEET_EICE_NONE, "none in the VPC");
	CHECK_EQ(fleet_eice_choose(&l, "eice-a", "vpc-1", "subnet-1", 0, &pk,
	    &host), FLEET_EICE_OK, "by id, whatever the VPC");
	CHECK_STR(host, "eice-a.dns", "that one");
	CHECK_EQ(fleet_eice_choose(&l, "eice-b", NULL, NULL, 0, &pk, &host),
	    FLEET_EICE_NOT_READY, "by id, not ready");
	CHECK_EQ(fleet_eice_choose(&l, "eice-z", NULL, NULL, 0, &pk, &host),
	    FLEET_EICE_NONE, "by id, unknown");
	CHECK_EQ(fleet_eice_usable("create-complete") +
	    fleet_eice_usable("update-in-progress") +
	    fleet_eice_usable("update-failed") +
	    fleet_eice_usable("update-complete"), 4, "usable states");
	CHECK_EQ(fleet_eice_usable("create-in-progress") +
	    fleet_eice_usable("create-failed") +
	    fleet_eice_usable("delete-in-progress") + fleet_eice_usable(""),
	    0, "the others");
}

static void
test_calls(void)
{
	static const char e400[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "\n<Response><Errors><Error><Code>InvalidInstanceConnectEndpointId"
	    ".NotFound</Code><Message>The instanceConnectEndpoint ID 'eice-9' "
	    "does not exist</Message></Error></Errors><RequestID>r1"
	    "</RequestID></Response>";
	const char *xml = "text/xml;charset=UTF-8";
	struct canned c[3];
	struct buf p1, p2;
	struct fakeenv fe;
	struct awscfg_env env;
	struct awscfg_opts opts;
	struct awscfg *cfg = NULL;
	struct creds *cr = NULL;
	struct fleet_ctx x;
	struct fleet_endpoints l;
	struct errmsg err;
	const char *log, *q;
	char url[64];
	int fd, port, st;
	pid_t pid;

	buf_init(&p1, 1 << 20);
	buf_init(&p2, 1 << 20);
	eice_page(&p1, 0, 50, "t/1");
	eice_page(&p2, 50, 3, NULL);
	c[0] = (struct canned){ 200, xml, buf_ptr(&p1), buf_len(&p1) };
	c[1] = (struct canned){ 200, xml, buf_ptr(&p2), buf_len(&p2) };
	c[2] = (struct canned){ 400, xml, e400, sizeof(e400) - 1 };
	cfgtest_mkdir();
	log = strdup(cfgtest_path("requests.log"));
	fd = srv_listen(&port);
	if ((pid = fork()) == 0)
		srv_child(fd, c, 3, log);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	fakeenv_init(&fe, &env);
	fakeenv_set(&fe, "AWS_ENDPOINT_URL_EC2", url);
	memset(&opts, 0, sizeof(opts));
	opts.region = "us-east-1";
	CHECK_EQ(awscfg_load(&env, &opts, &cfg, &err), 0, "config");
	CHECK_EQ(creds_new("AKIDEXAMPLE", "secret", NULL, 0, CREDS_SRC_ENV,
	    &cr), 0, "creds");
	if (cfg == NULL || cr == NULL)
		abort();
	memset(&x, 0, sizeof(x));
	memset(&l, 0, sizeof(l));
	x.cfg = cfg;
	x.creds = cr;

	CHECK_EQ(fleet_eice_describe(&x, "vpc-0a0a0a0a0a0a0a0a0", NULL, 1, &l,
	    &err), 0, "two pages");
	CHECK_EQ(l.n, 53, "50 + 3 endpoints");
	CHECK_EQ(x.calls, 2, "two requests");
	q = logged(log, 0);
	CHECK(strstr(q, "/us-east-1/ec2/aws4_request, SignedHeaders=content-"
	    "type;host;x-amz-date, Signature=") != NULL, "signed for ec2");
	CHECK(strstr(q, "\r\n\r\n" E0 "&Filter.1.Name=vpc-id&Filter.1.Value.1="
	    "vpc-0a0a0a0a0a0a0a0a0" USABLE(2) "&MaxResults=50") != NULL &&
	    strstr(q, "NextToken") == NULL, "first body");
	CHECK(strstr(logged(log, 1), "&MaxResults=50&NextToken=t%2F1") !=
	    NULL, "second body: the token");
	CHECK_EQ(fleet_eice_describe(&x, NULL, "eice-9", 1, &l, &err),
	    CFG_ERR_PROCESS, "unknown id");
	CHECK_STR(x.code, "InvalidInstanceConnectEndpointId.NotFound",
	    "EC2's code");
	CHECK_STR(err.msg, "DescribeInstanceConnectEndpoints failed: "
	    "InvalidInstanceConnectEndpointId.NotFound: The "
	    "instanceConnectEndpoint ID 'eice-9' does not exist", "message");
	CHECK_EQ(l.n, 53, "nothing added");

	shutdown(fd, SHUT_RDWR);
	close(fd);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "the server answered 3 requests");
	fleet_endpoints_free(&l);
	creds_free(cr);
	awscfg_free(cfg);
	buf_release(&p1);
	buf_release(&p2);
	free((char *)log);
	cfgtest_rmdir();
}

int
main(void)
{
	test_vectors();
	test_url_args();
	test_instance_fields();
	test_eice_parse();
	test_eice_form();
	test_choose();
	test_calls();
	return test_done();
}
