/* Python shlex.split() word splitting; see shlex.h. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "shlex.h"

static int
is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Append a copy of the len bytes at w to the word array. */
static int
add_word(char ***argvp, size_t *argcp, const char *w, size_t len)
{
	char **nv, *copy;

	if ((copy = malloc(len + 1)) == NULL)
		return SP_ERR_ALLOC;
	memcpy(copy, w, len);
	copy[len] = '\0';
	if ((nv = mem_reallocarray(*argvp, *argcp + 2, sizeof(*nv))) == NULL) {
		free(copy);
		return SP_ERR_ALLOC;
	}
	nv[(*argcp)++] = copy;
	nv[*argcp] = NULL;
	*argvp = nv;
	return 0;
}

void
shlex_free(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		OPENSSL_clear_free(argv[i], strlen(argv[i]));
	free(argv);
}

int
shlex_split(const char *s, char ***argvp, size_t *argcp, struct errmsg *err)
{
	char **argv = NULL, *word = NULL, quote = 0;
	size_t argc = 0, len = 0, n;
	int r = SP_ERR_INTERNAL, in_word = 0;

	*argvp = NULL;
	*argcp = 0;
	n = strlen(s);
	/* A word is never longer than the input. */
	if ((word = malloc(n + 1)) == NULL) {
		r = errmsg_set(err, SP_ERR_ALLOC, "out of memory");
		goto out;
	}
	for (; *s != '\0'; s++) {
		if (quote == '\'') {
			if (*s == '\'')
				quote = 0;
			else
				word[len++] = *s;
		} else if (quote == '"') {
			if (*s == '"')
				quote = 0;
			else if (*s == '\\') {
				if (s[1] == '\0')
					break;
				if (s[1] != '"' && s[1] != '\\')
					word[len++] = '\\';
				word[len++] = *++s;
			} else
				word[len++] = *s;
		} else if (is_sep(*s)) {
			if (!in_word)
				continue;
			if ((r = add_word(&argv, &argc, word, len)) != 0)
				goto out;
			len = 0;
			in_word = 0;
		} else if (*s == '\\') {
			if (s[1] == '\0')
				break;
			word[len++] = *++s;
			in_word = 1;
		} else if (*s == '\'' || *s == '"') {
			quote = *s;
			in_word = 1;
		} else {
			word[len++] = *s;
			in_word = 1;
		}
	}
	if (*s == '\\') {
		r = errmsg_set(err, CFG_ERR_SYNTAX, "no escaped character");
		goto out;
	}
	if (quote != 0) {
		r = errmsg_set(err, CFG_ERR_SYNTAX, "no closing quotation");
		goto out;
	}
	if (in_word && (r = add_word(&argv, &argc, word, len)) != 0)
		goto out;
	if (argv == NULL && (argv = calloc(1, sizeof(*argv))) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	*argvp = argv;
	*argcp = argc;
	argv = NULL;
	r = 0;
 out:
	if (r == SP_ERR_ALLOC)
		errmsg_set(err, r, "out of memory");
	if (word != NULL)
		OPENSSL_clear_free(word, n + 1);
	shlex_free(argv);
	return r;
}
