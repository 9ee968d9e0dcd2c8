/*
 * What ssh's %h names; see target.h.  Pure: no I/O.
 *
 * The choices, in the order target_parse makes them:
 *
 *   - "ecs:..." is passed through whole: never split, never another kind.
 *   - A last label of a region's shape is a region suffix and is removed
 *     (one label only): "web1.eu-west-1" is the name web1 in eu-west-1,
 *     "i-0123456789abcdef0.eu-west-1" that id in eu-west-1,
 *     "10.0.1.5.eu-west-1" that address there.  The shape is lower case
 *     only ([a-z]{2}(-[a-z]+)+-[0-9]+, at most TARGET_REGION_MAX bytes):
 *     ssh lowercases %h, and "web.Prod-East-1" typed through %n stays a
 *     name.
 *   - "web.prod" stays a name: "prod" has no region's shape.
 *   - "eu-west-1" alone (or ".eu-west-1") stays a name: nothing would be
 *     left once the suffix is removed.
 *   - A private DNS name keeps its own region label:
 *     "ip-10-0-1-5.eu-west-1.compute.internal" is a DNS name with no
 *     suffix (its last label is "internal"); the lookup matches the whole
 *     name against private DNS names in the configured region.  A suffix
 *     after it ("ip-10-0-1-5.ec2.internal.us-east-1") is removed like any
 *     other and is not checked against the name's own label.
 *   - Ids are "i-" or "mi-" then 8 to 17 lower-case hex digits, as
 *     before names existed; "I-0ABC..." (typed through %n) is a name.
 *   - An IPv4 address is a dotted quad of decimal parts 0 to 255 without
 *     leading zeros ("010.0.0.1" is a name, not octal).
 */
#include <string.h>

#include "target.h"
#include "utf8.h"

static int
is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* The len bytes at s: [a-z]{2}(-[a-z]+)+-[0-9]+. */
static int
region_shaped(const char *s, size_t len)
{
	size_t i = 2, groups = 0, run;

	if (len > TARGET_REGION_MAX || len < 2 || !is_lower(s[0]) ||
	    !is_lower(s[1]))
		return 0;
	for (;;) {
		if (i >= len || s[i] != '-')
			return 0;
		i++;
		for (run = 0; i < len && is_lower(s[i]); i++)
			run++;
		if (run == 0)
			break;
		groups++;
	}
	if (groups == 0)
		return 0;
	for (run = 0; i < len && is_digit(s[i]); i++)
		run++;
	return run > 0 && i == len;
}

int
target_region_shaped(const char *s)
{
	return s != NULL && region_shaped(s, strlen(s));
}

/* One decimal part 0..255 at s (len bytes), no leading zero. */
static int
octet(const char *s, size_t len)
{
	unsigned int v = 0;
	size_t i;

	if (len < 1 || len > 3 || (len > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return 0;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	return v <= 255;
}

/* s (len bytes) is four octets joined by sep. */
static int
quad(const char *s, size_t len, char sep)
{
	size_t i, start = 0, parts = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != sep)
			continue;
		if (!octet(s + start, i - start))
			return 0;
		parts++;
		start = i + 1;
	}
	return parts == 4;
}

static int
is_id(const char *s)
{
	size_t n;

	if (strncmp(s, "i-", 2) == 0)
		s += 2;
	else if (strncmp(s, "mi-", 3) == 0)
		s += 3;
	else
		return 0;
	n = strspn(s, "0123456789abcdef");
	return n >= 8 && n <= 17 && s[n] == '\0';
}

/* ip-A-B-C-D.ec2.internal or ip-A-B-C-D.REGION.compute.internal. */
static int
is_private_dns(const char *s)
{
	static const char ec2[] = ".ec2.internal";
	static const char compute[] = ".compute.internal";
	const char *dot, *rest;
	size_t len = strlen(s), rlen;

	if (strncmp(s, "ip-", 3) != 0 || (dot = strchr(s, '.')) == NULL ||
	    !quad(s + 3, (size_t)(dot - s) - 3, '-'))
		return 0;
	if (strcmp(dot, ec2) == 0)
		return 1;
	rest = dot + 1;
	rlen = len - (size_t)(rest - s);
	if (rlen <= sizeof(compute) - 1 ||
	    strcmp(s + len - (sizeof(compute) - 1), compute) != 0)
		return 0;
	return region_shaped(rest, rlen - (sizeof(compute) - 1));
}

/* Empty, too long, '-' first, a control character, space, bad UTF-8. */
static int
acceptable(const char *arg, size_t len)
{
	size_t i;

	if (len == 0 || len > TARGET_MAX || arg[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)arg[i] <= ' ' || arg[i] == 0x7f)
			return 0;
	return utf8_valid((const unsigned char *)arg, len);
}

int
target_parse(const char *arg, struct target *out)
{
	const char *dot;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (arg == NULL || (len = strlen(arg)) == 0 || len > TARGET_MAX ||
	    !acceptable(arg, len))
		return SP_ERR_INVALID_ARG;
	memcpy(out->value, arg, len + 1);
	if (strncmp(arg, "ecs:", 4) == 0) {
		out->kind = TARGET_ECS;
		return 0;
	}
	if ((dot = strrchr(out->value, '.')) != NULL && dot != out->value &&
	    target_region_shaped(dot + 1)) {
		memcpy(out->region, dot + 1, strlen(dot + 1) + 1);
		out->value[dot - out->value] = '\0';
	}
	if (is_id(out->value))
		out->kind = TARGET_ID;
	else if (quad(out->value, strlen(out->value), '.'))
		out->kind = TARGET_IPV4;
	else if (is_private_dns(out->value))
		out->kind = TARGET_DNS;
	else
		out->kind = TARGET_NAME;
	return 0;
}

const char *
target_kind_str(enum target_kind k)
{
	switch (k) {
	case TARGET_ID:
		return "instance id";
	case TARGET_ECS:
		return "ECS target";
	case TARGET_IPV4:
		return "IP address";
	case TARGET_DNS:
		return "DNS name";
	case TARGET_NAME:
		break;
	}
	return "name";
}
