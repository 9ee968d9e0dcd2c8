/*
 * One-line error messages for the configuration layer (ini, awscfg,
 * creds, credproc).
 *
 * Every fallible function there returns 0 or a negative code and, on
 * failure, fills a caller-owned struct errmsg with one human-readable
 * line.  The logic never prints: the caller logs the line once.
 * Messages never contain secrets (keys, tokens, credential values) nor
 * raw file lines; control characters are replaced so the text stays on
 * one line.
 */
#ifndef SSM_ERRMSG_H
#define SSM_ERRMSG_H

#include "err.h"

/*
 * Codes of the configuration layer.  They sit below the SP_ERR_* range of
 * protocol/err.h; the layer also returns SP_ERR_ALLOC, SP_ERR_INVALID_ARG,
 * SP_ERR_UNSUPPORTED, SP_ERR_TIMEOUT, SP_ERR_TOO_LARGE and SP_ERR_JSON_*.
 */
#define CFG_ERR_SYNTAX		-100	/* malformed config/credentials file */
#define CFG_ERR_IO		-101	/* a file could not be read */
#define CFG_ERR_PROFILE		-102	/* named profile does not exist */
#define CFG_ERR_VALUE		-103	/* a setting has an invalid value */
#define CFG_ERR_NO_REGION	-104	/* no region configured anywhere */
#define CFG_ERR_NO_CREDS	-105	/* no credential source yielded keys */
#define CFG_ERR_PROCESS		-106	/* credential_process failed */
#define CFG_ERR_EXPIRED		-107	/* credentials already expired */
#define CFG_ERR_INTERRUPTED	-108	/* a signal ended a wait */

#define ERRMSG_MAX	512

struct errmsg {
	char	msg[ERRMSG_MAX];	/* NUL-terminated, one line */
};

/* Empty the message; e may be NULL. */
void	errmsg_clear(struct errmsg *e);
/*
 * printf-style: replace the message (truncated to ERRMSG_MAX - 1 bytes,
 * control characters turned into '?') and return r, so that callers can
 * write "return errmsg_set(err, CFG_ERR_VALUE, ...)".  e may be NULL.
 */
int	errmsg_set(struct errmsg *e, int r, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Put printf-style context in front of the current message. */
void	errmsg_prefix(struct errmsg *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Fixed text for a CFG_ERR_* or SP_ERR_* code; never NULL. */
const char *cfg_err_str(int r);

#endif /* SSM_ERRMSG_H */
