/*
 * libFuzzer target: EC2's XML answers through the streaming reader of
 * proxy/aws/fleetxml.c.  The input is read whole (fleet_parse_ec2 and
 * fleet_parse_eice) and again in two pieces cut where its first byte
 * says; both must agree, and every entry and message must be printable
 * and NUL-terminated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "fleetint.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_str(const char *s, size_t sz)
{
	size_t n = strnlen(s, sz);

	if (n == sz)
		abort();
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

static void
check_list(const struct fleet_list *l)
{
	const struct fleet_instance *e;
	size_t i;

	if (l->n > l->cap || l->n > FLEET_MAX_INSTANCES)
		abort();
	for (i = 0; i < l->n; i++) {
		e = &l->v[i];
		if (e->id[0] == '\0')
			abort();
		check_str(e->id, sizeof(e->id));
		check_str(e->state, sizeof(e->state));
		check_str(e->az, sizeof(e->az));
		check_str(e->private_ip, sizeof(e->private_ip));
		check_str(e->private_dns, sizeof(e->private_dns));
		check_str(e->launch_time, sizeof(e->launch_time));
		check_str(e->name, sizeof(e->name));
		check_str(e->platform, sizeof(e->platform));
		check_str(e->vpc_id, sizeof(e->vpc_id));
		check_str(e->subnet_id, sizeof(e->subnet_id));
		check_str(e->ipv6, sizeof(e->ipv6));
		if (e->launched < 0)
			abort();
	}
}

static void
check_endpoints(const struct fleet_endpoints *l)
{
	const struct fleet_endpoint *e;
	size_t i;

	if (l->n > l->cap || l->n > FLEET_MAX_ENDPOINTS)
		abort();
	for (i = 0; i < l->n; i++) {
		e = &l->v[i];
		if (e->id[0] == '\0')
			abort();
		check_str(e->id, sizeof(e->id));
		check_str(e->vpc_id, sizeof(e->vpc_id));
		check_str(e->subnet_id, sizeof(e->subnet_id));
		check_str(e->state, sizeof(e->state));
		check_str(e->dns_name, sizeof(e->dns_name));
		check_str(e->fips_dns_name, sizeof(e->fips_dns_name));
		check_str(e->az, sizeof(e->az));
	}
}

/* The whole input as DescribeInstanceConnectEndpoints; the pieces (eb,
 * doc and rb of the reader) must agree. */
static void
eice_whole(const uint8_t *data, size_t size,
    const struct fleet_endpoints *eb, enum fleet_doc doc, int rb)
{
	struct fleet_endpoints ea;
	char *next = NULL;
	int r;

	memset(&ea, 0, sizeof(ea));
	r = fleet_parse_eice(data, size, &ea, &next);
	if (r != 0 && (ea.n != 0 || next != NULL))
		abort();
	check_endpoints(&ea);
	if (rb == 0)	/* after an error the entry being read stays */
		check_endpoints(eb);
	if (r == 0 && (rb != 0 || doc != FLEET_DOC_EICE || ea.n != eb->n ||
	    (ea.n > 0 && memcmp(ea.v, eb->v, ea.n * sizeof(*ea.v)) != 0)))
		abort();
	free(next);
	fleet_endpoints_free(&ea);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_endpoints eb;
	struct fleet_list a, b;
	struct fleet_xml *p;
	struct fleet_xml_res *res;
	char *next = NULL;
	size_t cut;
	int ra, rb;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&eb, 0, sizeof(eb));
	ra = fleet_parse_ec2(data, size, NULL, &a, &next);
	if (ra != 0 && (a.n != 0 || next != NULL))
		abort();
	if (next != NULL && (next[0] == '\0' ||
	    strlen(next) > FLEET_MAX_TOKEN))
		abort();
	check_list(&a);

	if ((p = fleet_xml_new("Name", &b)) == NULL)
		abort();
	fleet_xml_endpoints(p, &eb);
	cut = size > 0 ? data[0] % (size + 1) : 0;
	rb = fleet_xml_feed(p, data, cut, 0);
	if (rb == 0)
		rb = fleet_xml_feed(p, data + cut, size - cut, 1);
	res = fleet_xml_res(p);
	check_str(res->code, sizeof(res->code));
	check_str(res->message, sizeof(res->message));
	check_str(res->state, sizeof(res->state));
	eice_whole(data, size, &eb, res->doc, rb);
	if (rb == 0 && res->doc != FLEET_DOC_DESCRIBE)
		rb = SP_ERR_PROTOCOL;
	if (rb != ra && !(ra == SP_ERR_PROTOCOL && rb == SP_ERR_PROTOCOL))
		abort();
	if (ra == 0 && (b.n != a.n || memcmp(a.v, b.v, a.n *
	    sizeof(*a.v)) != 0 || (next == NULL) != (res->next == NULL) ||
	    (next != NULL && strcmp(next, res->next) != 0)))
		abort();
	fleet_xml_free(p);
	free(next);
	fleet_list_free(&a);
	fleet_list_free(&b);
	fleet_endpoints_free(&eb);
	return 0;
}
