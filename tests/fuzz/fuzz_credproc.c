/*
 * libFuzzer target: the credential_process output parser
 * (credproc_parse: JSON through yajl's callback parser) and the RFC 3339
 * time parser, on arbitrary bytes.  Checks the result contract and that
 * error messages stay on one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "credproc.h"
#include "creds.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	((time_t)1704067200)	/* 2024-01-01T00:00:00Z */

static void
check_msg(const char *m)
{
	if (*m == '\0')
		abort();
	for (; *m != '\0'; m++)
		if ((unsigned char)*m < 0x20 || *m == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct creds *c = NULL;
	struct errmsg err;
	char text[128];
	time_t t;

	errmsg_clear(&err);
	if (credproc_parse(data, size, NOW, &c, &err) == 0) {
		if (c == NULL || c->access_key_id == NULL ||
		    c->access_key_id[0] == '\0' ||
		    c->secret_access_key == NULL ||
		    c->secret_access_key[0] == '\0' ||
		    (c->expiry != 0 && c->expiry <= NOW) ||
		    c->source != CREDS_SRC_PROCESS)
			abort();
		creds_free(c);
	} else {
		if (c != NULL)
			abort();
		check_msg(err.msg);
	}
	if (size < sizeof(text)) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (creds_parse_time(text, &t) != 0 && t != 0)
			abort();
	}
	return 0;
}
