/* Logging to stderr; see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static enum log_level cur_level = LOG_INFO;

void
log_init(enum log_level level)
{
	cur_level = level;
}

enum log_level
log_get_level(void)
{
	return cur_level;
}

/*
 * One line per message, and nothing that a terminal takes for a command:
 * C0 controls and DEL become a blank, and so do the C1 controls U+0080 to
 * U+009F in their UTF-8 form (C2 80 to C2 9F; CSI is C2 9B), in place.
 */
static void
sanitize(char *s)
{
	unsigned char *r = (unsigned char *)s, *w = r;

	for (; *r != '\0'; r++, w++) {
		if (r[0] == 0xc2 && r[1] >= 0x80 && r[1] <= 0x9f) {
			*w = ' ';
			r++;
		} else if (*r < 0x20 || *r == 0x7f)
			*w = ' ';
		else
			*w = *r;
	}
	*w = '\0';
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	if (level > cur_level || level == LOG_QUIET)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		memcpy(line + sizeof(line) - 4, "...", 4);	/* cut: say so */
	sanitize(line);
	fprintf(stderr, "ssm-proxy: %s\n", line);
}
