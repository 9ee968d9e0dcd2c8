/* Numbers on the command line; see config.h. */
#include <errno.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"

int
parse_uint(const char *arg, unsigned int min, unsigned int max,
    unsigned int *out, const char *what, const char *unit)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 ||
	    v < min || v > max) {
		if (what != NULL)
			log_error("invalid %s \"%.16s\": expected %u to %u%s%s",
			    what, arg, min, max, unit != NULL ? " " : "",
			    unit != NULL ? unit : "");
		return -1;
	}
	*out = (unsigned int)v;
	return 0;
}
