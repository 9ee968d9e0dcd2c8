/* NO_PROXY matching; see noproxy.h. */
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "noproxy.h"

#define NAME_MAX_LEN	256

struct addr {
	int		 family;	/* 0 when not an IP literal */
	unsigned char	 b[16];
};

/* Copy [a, b) lower-cased into out, dropping brackets and one final dot. */
static int
norm(const char *a, const char *b, char *out, size_t outsz)
{
	size_t n, i;

	if (b - a >= 2 && *a == '[' && b[-1] == ']') {
		a++;
		b--;
	}
	if (b > a && b[-1] == '.')
		b--;
	if ((n = b - a) == 0 || n >= outsz)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = a[i] >= 'A' && a[i] <= 'Z' ? a[i] + ('a' - 'A') : a[i];
	out[n] = '\0';
	return 0;
}

static void
parse_addr(const char *s, struct addr *ad)
{
	memset(ad, 0, sizeof(*ad));
	if (inet_pton(AF_INET, s, ad->b) == 1)
		ad->family = AF_INET;
	else if (inet_pton(AF_INET6, s, ad->b) == 1)
		ad->family = AF_INET6;
}

static int
prefix_match(const struct addr *net, const struct addr *h, long bits)
{
	long full = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (net->family != h->family)
		return 0;
	if (memcmp(net->b, h->b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (net->b[full] & mask) == (h->b[full] & mask);
}

/*
 * Split an entry [a, b) into its host part and port (-1 if none).  A
 * port follows "]" of a bracketed IPv6 address, or the only ':' of the
 * entry; several ':' without brackets are an IPv6 address.
 */
static void
split_port(const char *a, const char **b, long *port)
{
	const char *c, *p;
	char *end;
	char tmp[8];

	*port = -1;
	if (*a == '[') {
		if ((c = memchr(a, ']', *b - a)) == NULL || c + 1 == *b ||
		    c[1] != ':')
			return;
		c++;
	} else {
		if ((c = memchr(a, ':', *b - a)) == NULL ||
		    memchr(c + 1, ':', *b - c - 1) != NULL)
			return;
	}
	p = c + 1;
	if (*b - p < 1 || *b - p > 5)
		return;
	memcpy(tmp, p, *b - p);
	tmp[*b - p] = '\0';
	*port = strtol(tmp, &end, 10);
	if (*end != '\0' || tmp[0] < '0' || tmp[0] > '9') {
		*port = -1;
		return;
	}
	*b = c;
}

static int
match_entry(const char *a, const char *b, const char *host,
    const struct addr *hostaddr, int port)
{
	char name[NAME_MAX_LEN], *slash;
	struct addr net;
	size_t hn, nn;
	long eport, bits;
	char *end;

	if (b - a == 1 && *a == '*')
		return 1;
	split_port(a, &b, &eport);
	if (eport >= 0 && eport != port)
		return 0;
	if (hostaddr->family != 0) {
		if (norm(a, b, name, sizeof(name)) != 0)
			return 0;
		bits = hostaddr->family == AF_INET ? 32 : 128;
		if ((slash = strchr(name, '/')) != NULL) {
			*slash = '\0';
			bits = strtol(slash + 1, &end, 10);
			if (*end != '\0' || slash[1] < '0' || slash[1] > '9' ||
			    bits > (hostaddr->family == AF_INET ? 32 : 128))
				return 0;
		}
		parse_addr(name, &net);
		return prefix_match(&net, hostaddr, bits);
	}
	while (a < b && *a == '.')
		a++;
	if (norm(a, b, name, sizeof(name)) != 0)
		return 0;
	hn = strlen(host);
	nn = strlen(name);
	if (hn == nn)
		return strcmp(host, name) == 0;
	return hn > nn && host[hn - nn - 1] == '.' &&
	    strcmp(host + hn - nn, name) == 0;
}

int
noproxy_match(const char *no_proxy, const char *host, int port)
{
	char h[NAME_MAX_LEN];
	struct addr ha;
	const char *a, *b, *p;

	if (no_proxy == NULL || host == NULL ||
	    norm(host, host + strlen(host), h, sizeof(h)) != 0)
		return 0;
	parse_addr(h, &ha);
	for (p = no_proxy; *p != '\0'; p = *b == ',' ? b + 1 : b) {
		for (b = p; *b != '\0' && *b != ','; b++)
			;
		a = p;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (a < b && match_entry(a, b, h, &ha, port))
			return 1;
		/* b was trimmed: find the separator again. */
		while (*b != '\0' && *b != ',')
			b++;
	}
	return 0;
}
