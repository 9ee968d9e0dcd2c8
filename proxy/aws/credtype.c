/* The credential type; see credtype.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "credtype.h"
#include "rfc3339.h"
#include "strutil.h"

void
creds_free(struct creds *c)
{
	if (c == NULL)
		return;
	wipe_str(c->access_key_id);
	wipe_str(c->secret_access_key);
	wipe_str(c->session_token);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

int
creds_new(const char *akid, const char *secret, const char *token,
    time_t expiry, enum creds_source source, struct creds **out)
{
	struct creds *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SP_ERR_ALLOC;
	c->expiry = expiry;
	c->source = source;
	if ((c->access_key_id = strdup(akid)) == NULL ||
	    (c->secret_access_key = strdup(secret)) == NULL ||
	    (token != NULL && (c->session_token = strdup(token)) == NULL)) {
		creds_free(c);
		return SP_ERR_ALLOC;
	}
	*out = c;
	return 0;
}

const char *
creds_source_str(enum creds_source source)
{
	switch (source) {
	case CREDS_SRC_ENV:		return "environment";
	case CREDS_SRC_CREDENTIALS_FILE: return "shared credentials file";
	case CREDS_SRC_PROCESS:		return "credential_process";
	case CREDS_SRC_CONFIG_FILE:	return "shared config file";
	case CREDS_SRC_ASSUME_ROLE:	return "assume role";
	case CREDS_SRC_WEB_IDENTITY:	return "web identity";
	case CREDS_SRC_SSO:		return "IAM Identity Center";
	case CREDS_SRC_CONTAINER:	return "container credentials";
	case CREDS_SRC_IMDS:		return "instance metadata";
	default:			return "unknown";
	}
}

int
creds_parse_time(const char *s, time_t *t)
{
	int64_t v;

	*t = 0;
	if (rfc3339_parse(s, &v) != 0 || (int64_t)(time_t)v != v)
		return SP_ERR_INVALID_ARG;
	*t = (time_t)v;
	return 0;
}
