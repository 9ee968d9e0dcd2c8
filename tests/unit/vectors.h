/*
 * The data-channel test vectors, read from tests/vectors/channel (its
 * README.md says what each file is).  Paths are relative to the
 * repository root, where tests/run starts every unit test.  A file that
 * cannot be read, or a .hex file with anything but hex digits and white
 * space in it, ends the test binary with a TAP "Bail out!" line and exit
 * status 1, which tests/run counts as a failure.
 */
#ifndef SP_VECTORS_H
#define SP_VECTORS_H

#include <ctype.h>
#include <errno.h>

#include "test.h"

#ifndef VEC_DIR		/* a test of other vectors defines its own first */
#define VEC_DIR		"tests/vectors/channel/"
#endif

static __attribute__((noreturn)) void
vec_bail(const char *name, const char *why)
{
	printf("Bail out! %s%s: %s (run from the repository root)\n",
	    VEC_DIR, name, why);
	exit(1);
}

/* The whole file, NUL-terminated (not counted in *lenp). */
static __attribute__((unused)) char *
vec_read(const char *name, size_t *lenp)
{
	char path[256], *p = NULL;
	size_t len = 0, n;
	FILE *f;

	snprintf(path, sizeof(path), VEC_DIR "%s", name);
	if ((f = fopen(path, "rb")) == NULL)
		vec_bail(name, strerror(errno));
	do {
		if ((p = realloc(p, len + 4096 + 1)) == NULL)
			abort();
		n = fread(p + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	if (ferror(f))
		vec_bail(name, "read error");
	fclose(f);
	p[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return p;
}

/* A .hex file: hex digits, white space between them ignored. */
static __attribute__((unused)) uint8_t *
vec_hex(const char *name, size_t *lenp)
{
	char *text, *q;
	const char *s;
	uint8_t *bytes;

	text = vec_read(name, NULL);
	for (s = q = text; *s != '\0'; s++) {
		if (isxdigit((unsigned char)*s))
			*q++ = *s;
		else if (!isspace((unsigned char)*s))
			vec_bail(name, "not hex");
	}
	*q = '\0';
	if ((q - text) % 2 != 0)
		vec_bail(name, "odd number of hex digits");
	bytes = test_unhex(text, lenp);
	free(text);
	return bytes;
}

/* A .json file: one line, the payload without its final newline. */
static __attribute__((unused)) char *
vec_json(const char *name, size_t *lenp)
{
	char *text;
	size_t len;

	text = vec_read(name, &len);
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return text;
}

/*
 * A .json (or text) vector as a C string, read once and kept for the
 * life of the test, so that tests can name it like a literal.
 */
static __attribute__((unused)) const char *
vec_str(const char *name)
{
	static struct { const char *name; char *text; } cache[32];
	size_t i;

	for (i = 0; i < 32 && cache[i].name != NULL; i++)
		if (strcmp(cache[i].name, name) == 0)
			return cache[i].text;
	if (i == 32)
		abort();
	cache[i].name = name;
	return cache[i].text = vec_json(name, NULL);
}

/*
 * In a text vector of lines "KEY VALUE...", with "#" comment lines: the
 * words after KEY on its first line, up to the end of that line.  A
 * missing key ends the test (Bail out!).
 */
static __attribute__((unused)) const char *
vec_line(const char *name, const char *key)
{
	const char *s = vec_str(name);
	size_t n = strlen(key);

	for (; *s != '\0'; s = strchr(s, '\n') + 1) {
		if (strncmp(s, key, n) == 0 && s[n] == ' ')
			return s + n + 1;
		if (strchr(s, '\n') == NULL)
			break;
	}
	vec_bail(name, "a line is missing");
}

#endif /* SP_VECTORS_H */
