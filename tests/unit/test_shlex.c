/*
 * Unit tests for proxy/shlex.c.  Every expectation below is what
 * CPython 3.11's shlex.split() returns for the same input.
 */
#include "test.h"
#include "shlex.h"

#define MAXW	8

static const struct {
	const char	*in;
	int		 n;		/* -1: error */
	const char	*w[MAXW];
	const char	*err;
} cases[] = {
	{ "", 0, { NULL }, NULL },
	{ "   ", 0, { NULL }, NULL },
	{ "a", 1, { "a" }, NULL },
	{ " a  b\tc\nd\r", 4, { "a", "b", "c", "d" }, NULL },
	{ "a \"b c\" d", 3, { "a", "b c", "d" }, NULL },
	{ "a 'b\\c' d", 3, { "a", "b\\c", "d" }, NULL },
	{ "a \"b\\c\\\"d\\\\\" e", 3, { "a", "b\\c\"d\\", "e" }, NULL },
	{ "a\\ b", 1, { "a b" }, NULL },
	{ "''", 1, { "" }, NULL },
	{ "\"\"", 1, { "" }, NULL },
	{ "a '' b", 3, { "a", "", "b" }, NULL },
	{ "a\"\"b", 1, { "ab" }, NULL },
	{ "x #y", 2, { "x", "#y" }, NULL },
	{ "a\\\nb", 1, { "a\nb" }, NULL },
	{ "\"a\\\nb\"", 1, { "a\\\nb" }, NULL },
	{ "\"$HOME\" `x` $(y)", 3, { "$HOME", "`x`", "$(y)" }, NULL },
	{ "a\"b c\"d'e f'g", 1, { "ab cde fg" }, NULL },
	{ "\\\"", 1, { "\"" }, NULL },
	{ "\"\\'\"", 1, { "\\'" }, NULL },
	{ "/usr/bin/aws-vault exec dev --json", 4,
	    { "/usr/bin/aws-vault", "exec", "dev", "--json" }, NULL },
	{ "a \"b", -1, { NULL }, "no closing quotation" },
	{ "a\\", -1, { NULL }, "no escaped character" },
	{ "'a", -1, { NULL }, "no closing quotation" },
	{ "\"a\\", -1, { NULL }, "no escaped character" },
	{ "\"", -1, { NULL }, "no closing quotation" },
	{ "'\\''", -1, { NULL }, "no closing quotation" },
};

int
main(void)
{
	struct errmsg err;
	char **argv, what[128];
	size_t argc, i;
	int j, r;

	(void)test_unhex;	/* test.h's unused attribute misses it */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(what, sizeof(what), "shlex case %zu", i);
		errmsg_clear(&err);
		r = shlex_split(cases[i].in, &argv, &argc, &err);
		if (cases[i].n < 0) {
			CHECK_EQ(r, CFG_ERR_SYNTAX, what);
			CHECK(argv == NULL && argc == 0, what);
			CHECK_STR(err.msg, cases[i].err, what);
			continue;
		}
		CHECK_EQ(r, 0, what);
		CHECK_EQ(argc, cases[i].n, what);
		if (r != 0 || argc != (size_t)cases[i].n)
			continue;
		for (j = 0; j < cases[i].n; j++)
			CHECK_STR(argv[j], cases[i].w[j], what);
		CHECK(argv[argc] == NULL, "argv is NULL-terminated");
		shlex_free(argv);
	}
	shlex_free(NULL);
	return test_done();
}
