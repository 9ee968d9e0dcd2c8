/*
 * libFuzzer target: the AWS shared config/credentials INI parser
 * (proxy/ini.c) and the section lookups built on it, on arbitrary bytes.
 * Checks that a failure leaves no result and a one-line message, and that
 * every lookup on a parsed file is safe.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "awscfg.h"
#include "ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_msg(const char *m)
{
	if (*m == '\0')
		abort();
	for (; *m != '\0'; m++)
		if ((unsigned char)*m < 0x20 || *m == 0x7f)
			abort();
}

static void
walk(const struct ini *ini)
{
	const struct ini_section *s;
	const char *k, *v;
	size_t i, j;

	for (i = 0; i < ini_section_count(ini); i++) {
		s = ini_section_at(ini, i);
		if (ini_find_section(ini, ini_section_name(s)) != s)
			abort();
		for (j = 0; j < ini_key_count(s); j++) {
			k = ini_key_at(s, j);
			if (!ini_has(ini, s, k) || ini_get_line(ini, s, k) == 0)
				abort();
			v = ini_get(ini, s, k);
			if (v == NULL)
				(void)ini_get_sub(ini, s, k, "endpoint_url");
		}
		(void)ini_get(ini, s, "region");
		(void)ini_get_sub(ini, s, "ssm", "endpoint_url");
	}
	(void)awscfg_find_section(ini, "profile", "default");
	(void)awscfg_find_section(ini, "profile", "dev");
	(void)awscfg_find_section(ini, "services", "dev-endpoints");
	(void)awscfg_find_section(ini, "sso-session", "corp");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ini *ini = NULL;
	struct errmsg err;

	errmsg_clear(&err);
	if (ini_parse("fuzz", data, size, &ini, &err) != 0) {
		if (ini != NULL)
			abort();
		check_msg(err.msg);
		return 0;
	}
	walk(ini);
	ini_free(ini);
	return 0;
}
