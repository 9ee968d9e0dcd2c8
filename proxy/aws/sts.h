/*
 * STS (AWS-APIS.md "STS"): AssumeRole (signed) and AssumeRoleWithWebIdentity
 * (unsigned) over the Query protocol, answers parsed with libexpat.
 */
#ifndef SSM_STS_H
#define SSM_STS_H

#include <stddef.h>
#include <time.h>

#include "credtype.h"
#include "errmsg.h"

#define STS_MAX_TEXT	(64 * 1024)	/* any one element's text */

/* AssumeRole/AssumeRoleWithWebIdentity arguments; NULL when absent. */
struct sts_args {
	const char	*role_arn;
	const char	*role_session_name;
	const char	*external_id;
	const char	*serial_number;
	const char	*token_code;		/* secret */
	const char	*web_identity_token;	/* secret; web identity only */
	long		 duration_seconds;	/* 0: absent */
};

/*
 * The form body ("Action=...&Version=2011-06-15&..."), values encoded as
 * RFC 3986 says.  web: AssumeRoleWithWebIdentity.  Caller frees *out
 * (wipe: it may hold the MFA code or the token).
 */
int	sts_form(const struct sts_args *a, int web, char **out) SP_WUR;

/*
 * Parse an STS answer of HTTP status st.  2xx: *out holds the credentials
 * (source src), CFG_ERR_VALUE if a field is missing or Expiration bad.
 * Otherwise the <Error> Code and Message go into err ("AssumeRole failed:
 * AccessDenied: ...") and CFG_ERR_PROCESS is returned; code (64 bytes)
 * receives the error code ("" if none).  Malformed XML: SP_ERR_PROTOCOL.
 */
int	sts_parse(const char *op, long st, const void *xml, size_t len,
	    enum creds_source src, struct creds **out, char code[64],
	    struct errmsg *err) SP_WUR;

#endif /* SSM_STS_H */
