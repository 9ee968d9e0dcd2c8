/* Notices of proxy/aws/ to the program (notice.h). */
#include <stdarg.h>
#include <stdio.h>

#include "notice.h"

static notice_fn *receiver;

void
notice_set(notice_fn *fn)
{
	receiver = fn;
}

void
notice(enum notice_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (receiver == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	receiver(level, line);
}
