/* RFC 3339 timestamps; see rfc3339.h. */
#include <stdint.h>
#include <string.h>

#include "rfc3339.h"

/* n decimal digits at *p into *v; advances *p. */
static int
digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (int64_t)(m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
month_days(int y, int m)
{
	static const int md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return md[m - 1];
}

/* The zone designator at p: its offset east of UTC in seconds. */
static int
zone(const char *p, long *off)
{
	int hh, mm, sign;

	if (*p == ' ' && strcmp(p + 1, "UTC") == 0)
		p++;
	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0 ||
	    strcmp(p, "UTC") == 0) {
		*off = 0;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (digits(&p, 2, &hh) != 0)
		return -1;
	if (*p == ':')
		p++;
	if (digits(&p, 2, &mm) != 0 || *p != '\0' || hh > 23 || mm > 59)
		return -1;
	*off = sign * (hh * 3600L + mm * 60L);
	return 0;
}

int
rfc3339_parse(const char *s, int64_t *t)
{
	int y, mo, d, h, mi, sec;
	long off;
	const char *p = s;

	*t = 0;
	if (digits(&p, 4, &y) != 0 || *p++ != '-' ||
	    digits(&p, 2, &mo) != 0 || *p++ != '-' ||
	    digits(&p, 2, &d) != 0)
		return SP_ERR_INVALID_ARG;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return SP_ERR_INVALID_ARG;
	p++;
	if (digits(&p, 2, &h) != 0 || *p++ != ':' ||
	    digits(&p, 2, &mi) != 0 || *p++ != ':' ||
	    digits(&p, 2, &sec) != 0)
		return SP_ERR_INVALID_ARG;
	if (*p == '.' || *p == ',') {
		if (p[1] < '0' || p[1] > '9')
			return SP_ERR_INVALID_ARG;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) ||
	    h > 23 || mi > 59 || sec > 60 || zone(p, &off) != 0)
		return SP_ERR_INVALID_ARG;
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600LL + mi * 60LL +
	    sec - off;
	return 0;
}
