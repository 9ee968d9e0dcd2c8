/* Heap strings; see strutil.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "strutil.h"

char *
strjoin(const char *a, const char *b, const char *c, const char *d)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + strlen(d) + 1;
	char *p;

	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s%s%s%s", a, b, c, d);
	return p;
}

void
wipe_str(char *s)
{
	if (s != NULL)
		OPENSSL_clear_free(s, strlen(s) + 1);
}
