/*
 * libFuzzer target: EC2's XML answers through the streaming reader of
 * proxy/aws/fleetxml.c.  The input is read whole (fleet_parse_ec2) and
 * again in two pieces cut where its first byte says; both must agree,
 * and every entry and message must be printable and NUL-terminated.
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
		if (e->launched < 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_list a, b;
	struct fleet_xml *p;
	struct fleet_xml_res *res;
	char *next = NULL;
	size_t cut;
	int ra, rb;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ra = fleet_parse_ec2(data, size, NULL, &a, &next);
	if (ra != 0 && (a.n != 0 || next != NULL))
		abort();
	if (next != NULL && (next[0] == '\0' ||
	    strlen(next) > FLEET_MAX_TOKEN))
		abort();
	check_list(&a);

	if ((p = fleet_xml_new("Name", &b)) == NULL)
		abort();
	cut = size > 0 ? data[0] % (size + 1) : 0;
	rb = fleet_xml_feed(p, data, cut, 0);
	if (rb == 0)
		rb = fleet_xml_feed(p, data + cut, size - cut, 1);
	res = fleet_xml_res(p);
	check_str(res->code, sizeof(res->code));
	check_str(res->message, sizeof(res->message));
	check_str(res->state, sizeof(res->state));
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
	return 0;
}
