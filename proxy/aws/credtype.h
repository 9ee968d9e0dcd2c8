/*
 * The credential type of proxy/aws/: what every source builds and every
 * consumer signs with.  Below the sources, the cache and the parsers, it
 * uses nothing of the layer.
 */
#ifndef SSM_CREDTYPE_H
#define SSM_CREDTYPE_H

#include <time.h>

#include "errmsg.h"

enum creds_source {
	CREDS_SRC_ENV = 1,
	CREDS_SRC_CREDENTIALS_FILE,
	CREDS_SRC_PROCESS,
	CREDS_SRC_CONFIG_FILE,
	CREDS_SRC_ASSUME_ROLE,
	CREDS_SRC_WEB_IDENTITY,
	CREDS_SRC_SSO,
	CREDS_SRC_CONTAINER,
	CREDS_SRC_IMDS
};

struct creds {
	char		*access_key_id;
	char		*secret_access_key;	/* secret */
	char		*session_token;		/* secret; NULL if none */
	time_t		 expiry;	/* epoch seconds; 0 = never expires */
	enum creds_source source;
};

/* New credentials from copies of the strings (token may be NULL). */
int	creds_new(const char *akid, const char *secret, const char *token,
	    time_t expiry, enum creds_source source, struct creds **out) SP_WUR;
/* Wipe and free; NULL is a no-op. */
void	creds_free(struct creds *c);
/* "environment", "credentials file", "credential_process", ... */
const char *creds_source_str(enum creds_source source);
/*
 * An expiration time (RFC 3339, as protocol/rfc3339.h reads it) in
 * epoch seconds: 0, or SP_ERR_INVALID_ARG if s is not one or does not
 * fit in a time_t.
 */
int	creds_parse_time(const char *s, time_t *t) SP_WUR;

#endif /* SSM_CREDTYPE_H */
