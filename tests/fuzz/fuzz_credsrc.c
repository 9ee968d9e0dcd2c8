/*
 * libFuzzer target: the answers of the other credential sources: the SSO
 * token cache file, GetRoleCredentials, IMDS security-credentials and the
 * container endpoint.  Checks the result contract.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "creds.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	((time_t)1704067200)

typedef int (*parse_fn)(const void *, size_t, time_t, struct creds **,
    struct errmsg *);

static void
one(parse_fn f, enum creds_source src, const uint8_t *data, size_t size)
{
	struct creds *c = NULL;
	struct errmsg err;
	const char *m;

	errmsg_clear(&err);
	if (f(data, size, NOW, &c, &err) == 0) {
		if (c == NULL || c->source != src ||
		    c->access_key_id[0] == '\0' ||
		    c->secret_access_key[0] == '\0' ||
		    (c->expiry != 0 && c->expiry <= NOW))
			abort();
		creds_free(c);
		return;
	}
	if (c != NULL)
		abort();
	for (m = err.msg; *m != '\0'; m++)
		if ((unsigned char)*m < 0x20)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errmsg err;
	char *tok = NULL;

	one(creds_parse_container, CREDS_SRC_CONTAINER, data, size);
	one(creds_parse_imds, CREDS_SRC_IMDS, data, size);
	one(creds_parse_sso_role, CREDS_SRC_SSO, data, size);
	errmsg_clear(&err);
	if (creds_parse_sso_token(data, size, NOW, &tok, &err) == 0) {
		if (tok == NULL || *tok == '\0')
			abort();
		OPENSSL_clear_free(tok, strlen(tok));
	} else if (tok != NULL)
		abort();
	return 0;
}
