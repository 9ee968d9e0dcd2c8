/*
 * libFuzzer target: STS answers (sts_parse through libexpat, as a 200 and
 * as an error status) and the AWS CLI cache file parser.  Checks the
 * result contract and that messages stay on one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "credcache.h"
#include "creds.h"
#include "sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	((time_t)1704067200)

static void
check_msg(const char *m)
{
	for (; *m != '\0'; m++)
		if ((unsigned char)*m < 0x20 || *m == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct creds *c = NULL;
	struct errmsg err;
	char code[64];
	long st;

	for (st = 200; st <= 403; st += 203) {
		errmsg_clear(&err);
		if (sts_parse("AssumeRole", st, data, size,
		    CREDS_SRC_ASSUME_ROLE, &c, code, &err) == 0) {
			if (c == NULL || st != 200 || c->access_key_id[0] ==
			    '\0' || c->session_token == NULL)
				abort();
			creds_free(c);
			c = NULL;
		} else {
			if (c != NULL || err.msg[0] == '\0')
				abort();
			check_msg(err.msg);
		}
	}
	if (credcache_parse(data, size, NOW, CREDS_SRC_ASSUME_ROLE, &c) == 0) {
		if (c == NULL || c->expiry - NOW < CREDCACHE_WINDOW)
			abort();
		creds_free(c);
	} else if (c != NULL)
		abort();
	return 0;
}
