/*
 * libFuzzer target: Systems Manager's DescribeInstanceInformation pages
 * and JSON error answers (proxy/aws/fleetjson.c), merged into a list that
 * already holds an EC2 entry.  Failures must leave the list as it was;
 * every field and message must be printable and NUL-terminated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "fleetint.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_str(const char *s, size_t sz)
{
	if (strnlen(s, sz) == sz)
		abort();
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_list l;
	struct fleet_instance *e;
	char *next = NULL, code[64], msg[256];
	size_t i;
	int full, r;

	memset(&l, 0, sizeof(l));
	if ((e = fleet_list_add(&l, &full)) == NULL)
		abort();
	snprintf(e->id, sizeof(e->id), "i-0123456789abcdef0");
	snprintf(e->name, sizeof(e->name), "web1");
	r = fleet_ssm_merge(data, size, size % 2 ? "asked" : NULL, &l, &next);
	if (r != 0 && (l.n != 1 || next != NULL))
		abort();
	if (next != NULL && next[0] == '\0')
		abort();
	if (strcmp(l.v[0].name, "web1") != 0)
		abort();
	for (i = 0; i < l.n; i++) {
		e = &l.v[i];
		if (e->id[0] == '\0' || fleet_find(&l, e->id) != e)
			abort();
		check_str(e->id, sizeof(e->id));
		check_str(e->ping, sizeof(e->ping));
		check_str(e->agent_version, sizeof(e->agent_version));
		check_str(e->platform, sizeof(e->platform));
		check_str(e->computer_name, sizeof(e->computer_name));
		check_str(e->private_ip, sizeof(e->private_ip));
		check_str(e->name, sizeof(e->name));
		if (e->last_ping < 0)
			abort();
	}
	fleet_ssm_error(data, size, code, msg);
	check_str(code, sizeof(code));
	check_str(msg, sizeof(msg));
	free(next);
	fleet_list_free(&l);
	return 0;
}
