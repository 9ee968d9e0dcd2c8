/* One-line error messages; see errmsg.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errmsg.h"

static void
sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void
errmsg_clear(struct errmsg *e)
{
	if (e != NULL)
		e->msg[0] = '\0';
}

int
errmsg_set(struct errmsg *e, int r, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return r;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	sanitize(e->msg);
	return r;
}

void
errmsg_prefix(struct errmsg *e, const char *fmt, ...)
{
	char old[ERRMSG_MAX];
	va_list ap;
	size_t n;

	if (e == NULL)
		return;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	if (n + 1 < sizeof(e->msg)) {
		memcpy(e->msg + n, old, sizeof(e->msg) - n - 1);
		e->msg[sizeof(e->msg) - 1] = '\0';
	}
	sanitize(e->msg);
}

const char *
cfg_err_str(int r)
{
	switch (r) {
	case CFG_ERR_SYNTAX:	return "malformed configuration file";
	case CFG_ERR_IO:	return "cannot read configuration file";
	case CFG_ERR_PROFILE:	return "profile not found";
	case CFG_ERR_VALUE:	return "invalid configuration value";
	case CFG_ERR_NO_REGION:	return "no region configured";
	case CFG_ERR_NO_CREDS:	return "no credentials found";
	case CFG_ERR_PROCESS:	return "credential_process failed";
	case CFG_ERR_EXPIRED:	return "credentials expired";
	case CFG_ERR_INTERRUPTED: return "interrupted by a signal";
	default:		return sp_err_str(r);
	}
}
