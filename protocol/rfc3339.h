/*
 * RFC 3339 timestamps as AWS answers and the AWS CLI's caches write them,
 * read leniently the way botocore's dateutil reads them.
 */
#ifndef SP_RFC3339_H
#define SP_RFC3339_H

#include <stdint.h>

#include "err.h"

/*
 * Parse s ("2024-01-01T06:00:00Z", "...T06:00:00.5+02:00"): 'T', 't' or
 * ' ' between date and time; 'Z', 'z', "UTC" (or " UTC"), +HH:MM or +HHMM
 * for the zone, which is required; any fraction of a second (ignored).
 * Years 1 to 9999.  0 and *t in seconds since the epoch, or
 * SP_ERR_INVALID_ARG (and *t 0).
 */
int	rfc3339_parse(const char *s, int64_t *t) SP_WUR;

#endif /* SP_RFC3339_H */
