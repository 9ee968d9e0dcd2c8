/*
 * libFuzzer target: proxy/aws/target.c on arbitrary bytes (cut at the
 * first NUL, as argv would be).  Checks that a refusal leaves nothing
 * behind, that a success has a non-empty value and a region of a region's
 * shape (or none), and that value and region joined again parse the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const struct target *t)
{
	struct target again;
	char joined[TARGET_MAX + TARGET_REGION_MAX + 2];

	if (t->value[0] == '\0' || strlen(t->value) > TARGET_MAX ||
	    strlen(t->region) > TARGET_REGION_MAX)
		abort();
	if (t->region[0] != '\0' && (!target_region_shaped(t->region) ||
	    t->kind == TARGET_ECS))
		abort();
	if (target_kind_str(t->kind) == NULL)
		abort();
	snprintf(joined, sizeof(joined), "%s%s%s", t->value,
	    t->region[0] != '\0' ? "." : "", t->region);
	if (target_parse(joined, &again) != 0 || again.kind != t->kind ||
	    strcmp(again.value, t->value) != 0 ||
	    strcmp(again.region, t->region) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target t;
	char *s;

	if (size > 2 * TARGET_MAX)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (target_parse(s, &t) == 0)
		check(&t);
	else if (t.value[0] != '\0' || t.region[0] != '\0')
		abort();
	free(s);
	return 0;
}
