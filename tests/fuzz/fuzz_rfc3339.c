/*
 * libFuzzer target for the RFC 3339 reader (protocol/rfc3339.c), which
 * reads the Expiration of credentials that STS, IMDS, a container
 * endpoint, a credential_process or a cache file hands us.  Must neither
 * crash nor overflow.  Oracles: a refusal leaves 0; an accepted time
 * written back in the canonical "YYYY-MM-DDTHH:MM:SSZ" form parses to the
 * same second.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rfc3339.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[128], canon[64];
	struct tm tm;
	int64_t t, u;
	time_t tt;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (rfc3339_parse(text, &t) != 0) {
		if (t != 0)
			abort();
		return 0;
	}
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 < 1 ||
	    tm.tm_year + 1900 > 9999)
		return 0;
	snprintf(canon, sizeof(canon), "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	if (rfc3339_parse(canon, &u) != 0 || u != t)
		abort();
	return 0;
}
