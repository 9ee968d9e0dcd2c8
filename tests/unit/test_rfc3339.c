/*
 * Unit tests for protocol/rfc3339.c, the timestamp reader of credential
 * expirations, and of creds_parse_time, its time_t face in proxy/aws/.
 */
#include <stdint.h>
#include <time.h>

#include "test.h"
#include "credtype.h"
#include "rfc3339.h"

static void
test_parse(void)
{
	static const struct { const char *s; long long t; } ok[] = {
		{ "2024-01-01T06:00:00Z", 1704088800 },
		{ "2024-01-01T06:00:00.123456Z", 1704088800 },
		{ "2024-01-01t06:00:00z", 1704088800 },
		{ "2024-01-01 06:00:00+00:00", 1704088800 },
		{ "2024-01-01T08:00:00+02:00", 1704088800 },
		{ "2024-01-01T01:00:00-0500", 1704088800 },
		{ "2024-01-01T06:00:00UTC", 1704088800 },
		{ "2024-01-01T06:00:00 UTC", 1704088800 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2024-02-29T12:00:00Z", 1709208000 },
		{ "2000-02-29T00:00:00Z", 951782400 },
		{ "9999-12-31T23:59:59Z", 253402300799LL },
		{ "1969-12-31T23:59:59Z", -1 },
	};
	static const char *const bad[] = {
		"", "2024-01-01", "2024-01-01T06:00:00", "2024-01-01T06:00Z",
		"2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
		"2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z",
		"2024-01-32T00:00:00Z", "2024-01-01T24:00:00Z",
		"2024-01-01T00:60:00Z", "2024-01-01T00:00:61Z",
		"2024-01-01T00:00:00+24:00", "2024-01-01T00:00:00Zjunk",
		"2024-01-01T00:00:00.Z", "2024-01-01X00:00:00Z",
		"24-01-01T00:00:00Z", "2024-1-01T00:00:00Z", "1704067200",
		"0000-01-01T00:00:00Z",
	};
	size_t i;
	int64_t t;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CHECK_EQ(rfc3339_parse(ok[i].s, &t), 0, ok[i].s);
		CHECK_EQ(t, ok[i].t, ok[i].s);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(rfc3339_parse(bad[i], &t), SP_ERR_INVALID_ARG,
		    bad[i]);
}

/* The proxy/aws/ wrapper gives the same seconds and the same refusals. */
static void
test_creds_time(void)
{
	time_t t = 1;

	CHECK_EQ(creds_parse_time("2024-01-01T06:00:00Z", &t), 0,
	    "creds_parse_time parses");
	CHECK_EQ((long long)t, 1704088800LL, "creds_parse_time seconds");
	CHECK_EQ(creds_parse_time("2024-01-01T06:00:00", &t),
	    SP_ERR_INVALID_ARG, "creds_parse_time refuses a missing zone");
	CHECK_EQ((long long)t, 0LL, "refused time is 0");
}

int
main(void)
{
	test_parse();
	test_creds_time();
	return test_done();
}
