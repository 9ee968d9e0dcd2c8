/*
 * Unit tests for proxy/ini.c: the AWS shared config/credentials file
 * parser.  Expected values were checked against CPython 3.11's
 * configparser.RawConfigParser plus botocore's _parse_nested.
 */
#include <sys/stat.h>

#include <errno.h>
#include <unistd.h>

#include "test.h"
#include "cfgtest.h"
#include "ini.h"

/* Parse s; the caller frees.  NULL on error, with err filled. */
static struct ini *
parse(const char *s, struct errmsg *err)
{
	struct ini *ini = NULL;

	if (ini_parse("cfg", s, strlen(s), &ini, err) != 0)
		return NULL;
	return ini;
}

/* Expect s to fail with code r and message want. */
static void
parse_fails(const char *s, int r, const char *want, const char *what)
{
	struct errmsg err;
	struct ini *ini = NULL;

	errmsg_clear(&err);
	CHECK_EQ(ini_parse("cfg", s, strlen(s), &ini, &err), r, what);
	CHECK(ini == NULL, what);
	CHECK_STR(err.msg, want, what);
	ini_free(ini);
}

static const char *
get(const struct ini *ini, const char *sec, const char *key)
{
	return ini_get(ini, ini_find_section(ini, sec), key);
}

static void
test_basic(void)
{
	struct errmsg err;
	struct ini *ini;

	ini = parse("[default]\n"
	    "region = us-east-1\n"
	    "output=json\n"
	    "Mixed_Case_Key : value with spaces  \n"
	    "empty =\n"
	    "url = https://a.example/x=y:z\n"
	    "\n"
	    "[profile dev]\n"
	    "region=eu-west-1\n", &err);
	CHECK(ini != NULL, "basic file parses");
	if (ini == NULL)
		return;
	CHECK_EQ(ini_section_count(ini), 2, "two sections");
	CHECK_STR(ini_section_name(ini_section_at(ini, 0)), "default",
	    "first section name");
	CHECK_STR(ini_section_name(ini_section_at(ini, 1)), "profile dev",
	    "second section name kept whole");
	CHECK_EQ(ini_section_line(ini_section_at(ini, 1)), 8, "section line");
	CHECK_STR(get(ini, "default", "region"), "us-east-1", "key = value");
	CHECK_STR(get(ini, "default", "output"), "json", "key=value");
	CHECK_STR(get(ini, "default", "mixed_case_key"), "value with spaces",
	    "key: value, stripped");
	CHECK_STR(get(ini, "default", "MIXED_CASE_KEY"), "value with spaces",
	    "lookups fold case like configparser");
	CHECK_STR(ini_key_at(ini_find_section(ini, "default"), 2),
	    "mixed_case_key", "keys are stored lower-cased");
	CHECK_STR(get(ini, "default", "empty"), "", "empty value");
	CHECK_STR(get(ini, "default", "url"), "https://a.example/x=y:z",
	    "value keeps later = and :");
	CHECK_STR(get(ini, "profile dev", "region"), "eu-west-1",
	    "second section");
	CHECK(get(ini, "default", "nope") == NULL, "absent key");
	CHECK(ini_find_section(ini, "Default") == NULL,
	    "section names are case-sensitive");
	CHECK(ini_find_section(ini, "profile  dev") == NULL,
	    "section names are exact");
	CHECK_EQ(ini_get_line(ini, ini_find_section(ini, "default"), "output"),
	    3, "key line");
	CHECK(ini_exists(ini), "parsed text exists");
	ini_free(ini);
}

static void
test_comments(void)
{
	struct errmsg err;
	struct ini *ini;

	ini = parse("# leading comment\n"
	    "; another\n"
	    "[default]\n"
	    "   # indented comment\n"
	    "region = us-east-1 # not a comment\n"
	    "a = x ; nor this\n"
	    "b = #start\n"
	    "\t; tab comment\n", &err);
	CHECK(ini != NULL, "comments parse");
	if (ini == NULL)
		return;
	CHECK_STR(get(ini, "default", "region"), "us-east-1 # not a comment",
	    "no inline # comments (configparser default)");
	CHECK_STR(get(ini, "default", "a"), "x ; nor this",
	    "no inline ; comments");
	CHECK_STR(get(ini, "default", "b"), "#start", "# after = is a value");
	CHECK_EQ(ini_key_count(ini_find_section(ini, "default")), 3,
	    "comment lines add no keys");
	ini_free(ini);
}

static void
test_continuation(void)
{
	struct errmsg err;
	const struct ini_section *s;
	struct ini *ini;

	ini = parse("[default]\n"
	    "multi = first\n"
	    "  second\n"
	    "\n"
	    "\tthird\n"
	    "next = 1\n"
	    "s3 =\n"
	    "    addressing_style = path\n"
	    "    # a comment inside\n"
	    "\n"
	    "    Signature_Version=s3v4\n"
	    "    addressing_style = virtual\n"
	    "blank =\n"
	    "\n"
	    "\n"
	    "  [indented] = header-looking\n"
	    "after = 2\n"
	    "[x]\n"
	    "  [profile x]\n"
	    "  k = v\n"
	    "    k2 = cont\n", &err);
	CHECK(ini != NULL, "continuations parse");
	if (ini == NULL) {
		printf("# %s\n", err.msg);
		return;
	}
	s = ini_find_section(ini, "default");
	CHECK_STR(ini_get(ini, s, "multi"), "first\nsecond\n\nthird",
	    "continued value joined with newlines, blank kept inside");
	CHECK_STR(ini_get(ini, s, "next"), "1", "dedent ends the value");
	CHECK(ini_get(ini, s, "s3") == NULL, "sub-properties are not plain");
	CHECK(ini_has(ini, s, "s3"), "but the key is present");
	CHECK_STR(ini_get_sub(ini, s, "s3", "addressing_style"), "virtual",
	    "a repeated sub-key wins (dict semantics)");
	CHECK_STR(ini_get_sub(ini, s, "s3", "Signature_Version"), "s3v4",
	    "sub-keys keep their case");
	CHECK(ini_get_sub(ini, s, "s3", "signature_version") == NULL,
	    "sub-keys are not case-folded");
	CHECK(ini_get_sub(ini, s, "multi", "first") == NULL,
	    "a plain value has no sub-keys");
	CHECK_STR(ini_get_sub(ini, s, "blank", "[indented]"),
	    "header-looking", "after blank lines, indented lines continue");
	CHECK_STR(ini_get(ini, s, "after"), "2", "key after block");
	s = ini_find_section(ini, "profile x");
	CHECK(s != NULL, "an indented header after a header is a header");
	CHECK_STR(ini_get(ini, s, "k"), "v\nk2 = cont",
	    "continuation is relative to the key's indent");
	ini_free(ini);

	ini = parse("[a]\nk =\n\n\n", &err);
	CHECK(ini != NULL && ini_get(ini, ini_find_section(ini, "a"), "k") !=
	    NULL && strcmp(get(ini, "a", "k"), "") == 0,
	    "trailing blank lines are dropped, value stays plain");
	ini_free(ini);
	parse_fails("[a]\nssm =\n  endpoint_url = x\n  junk\n",
	    CFG_ERR_SYNTAX, "cfg:4: sub-property line lacks \"=\"",
	    "sub-property without = fails with its line");
	ini = parse("[a]\nssm =\n  a = 1\x0b" "b = 2\n", &err);
	CHECK(ini != NULL && strcmp(ini_get_sub(ini, ini_find_section(ini, "a"),
	    "ssm", "b"), "2") == 0, "vertical tab splits sub-lines "
	    "(str.splitlines)");
	ini_free(ini);
}

static void
test_services_example(void)
{
	struct errmsg err;
	struct ini *ini;
	const struct ini_section *s;

	/* proxy/aws/AWS-APIS.md "Endpoint overrides". */
	ini = parse("[profile dev]\n"
	    "services = dev-endpoints\n"
	    "[services dev-endpoints]\n"
	    "ssm =\n"
	    "  endpoint_url = https://ssm.example.internal\n", &err);
	CHECK(ini != NULL, "services example parses");
	if (ini == NULL)
		return;
	CHECK_STR(get(ini, "profile dev", "services"), "dev-endpoints",
	    "profile names its services section");
	s = ini_find_section(ini, "services dev-endpoints");
	CHECK_STR(ini_get_sub(ini, s, "ssm", "endpoint_url"),
	    "https://ssm.example.internal", "nested endpoint_url");
	CHECK_STR(ini_get_sub(ini, s, "SSM", "endpoint_url"),
	    "https://ssm.example.internal", "service key folds case");
	ini_free(ini);
}

static void
test_headers(void)
{
	struct errmsg err;
	struct ini *ini;

	ini = parse("[a] trailing text\nk = 1\n[b]c]\nk = 2\n"
	    "[ profile spaced ]\nk = 3\n[]]\nk = 4\n", &err);
	CHECK(ini != NULL, "odd headers parse");
	if (ini == NULL)
		return;
	CHECK_STR(get(ini, "a", "k"), "1", "text after ] is ignored");
	CHECK_STR(get(ini, "b]c", "k"), "2", "name runs to the last ]");
	CHECK_STR(get(ini, " profile spaced ", "k"), "3",
	    "inner spaces are kept");
	CHECK_STR(get(ini, "]", "k"), "4", "[]] names \"]\"");
	ini_free(ini);
	parse_fails("[default]\n[]\n", CFG_ERR_SYNTAX,
	    "cfg:2: expected \"key = value\", a [section] header or a comment",
	    "[] is not a header");
}

static void
test_default_section(void)
{
	struct errmsg err;
	struct ini *ini;

	ini = parse("[a]\nk = own\n"
	    "[DEFAULT]\nk = dflt\nregion = us-west-2\n"
	    "[b]\nx = 1\n"
	    "[DEFAULT]\nsub =\n  e = f\n", &err);
	CHECK(ini != NULL, "[DEFAULT] twice is allowed");
	if (ini == NULL)
		return;
	CHECK_EQ(ini_section_count(ini), 2, "[DEFAULT] is not a section");
	CHECK(ini_find_section(ini, "DEFAULT") == NULL,
	    "[DEFAULT] cannot be looked up");
	CHECK_EQ(ini_default_count(ini), 3, "three default keys");
	CHECK_STR(get(ini, "a", "k"), "own", "own key shadows the default");
	CHECK_STR(get(ini, "b", "k"), "dflt", "default is inherited");
	CHECK_STR(get(ini, "a", "region"), "us-west-2", "default region");
	CHECK_STR(ini_get_sub(ini, ini_find_section(ini, "b"), "sub", "e"),
	    "f", "default sub-properties are inherited");
	CHECK(ini_get(ini, NULL, "k") == NULL, "NULL section finds nothing");
	ini_free(ini);
	ini = parse("[DEFAULT]\nsub =\n  junk\n", &err);
	CHECK(ini != NULL, "bad [DEFAULT] block without sections is unread");
	ini_free(ini);
	ini = parse("[DEFAULT]\nsub =\n  junk\n[a]\nsub = own\n", &err);
	CHECK(ini != NULL, "bad [DEFAULT] block shadowed everywhere is unread");
	ini_free(ini);
	parse_fails("[DEFAULT]\nsub =\n  junk\n[a]\n", CFG_ERR_SYNTAX,
	    "cfg:3: sub-property line lacks \"=\"",
	    "bad [DEFAULT] block inherited by a section fails");
	parse_fails("[DEFAULT]\nx=1\n[DEFAULT]\nX=2\n", CFG_ERR_SYNTAX,
	    "cfg:4: key x repeated in section [DEFAULT] (first at line 2)",
	    "repeated default key fails");
}

static void
test_duplicates(void)
{
	parse_fails("[default]\na=1\n[profile x]\n[default]\nb=2\n",
	    CFG_ERR_SYNTAX,
	    "cfg:4: section [default] already defined at line 1",
	    "repeated section fails as in configparser strict mode");
	parse_fails("[default]\nregion=a\nRegion : b\n", CFG_ERR_SYNTAX,
	    "cfg:3: key region repeated in section [default] (first at line 2)",
	    "repeated key fails, case-folded");
}

static void
test_errors(void)
{
	parse_fails("region = us-east-1\n[default]\n", CFG_ERR_SYNTAX,
	    "cfg:1: text before the first [section] header",
	    "key before any section");
	parse_fails("\n\n  [default\n", CFG_ERR_SYNTAX,
	    "cfg:3: text before the first [section] header",
	    "unclosed header before any section");
	parse_fails("[default]\njust words\n", CFG_ERR_SYNTAX,
	    "cfg:2: expected \"key = value\", a [section] header or a comment",
	    "line without delimiter");
	parse_fails("[default]\n = value\n", CFG_ERR_SYNTAX,
	    "cfg:2: no key name before '='", "empty key name");
	parse_fails("[default]\n: value\n", CFG_ERR_SYNTAX,
	    "cfg:2: no key name before ':'", "empty key name before :");
	parse_fails("[default]\nk = \xff\n", CFG_ERR_SYNTAX,
	    "cfg:2: invalid UTF-8", "invalid UTF-8 byte");
	parse_fails("[default]\r\n\r\nk = \xed\xa0\x80\n", CFG_ERR_SYNTAX,
	    "cfg:3: invalid UTF-8", "UTF-16 surrogate is invalid UTF-8");
	parse_fails("[default]\nk = \xc0\xaf\n", CFG_ERR_SYNTAX,
	    "cfg:2: invalid UTF-8", "overlong encoding");
}

static void
test_nul(void)
{
	static const char text[] = "[default]\nk = a\0b\n";
	struct errmsg err;
	struct ini *ini = NULL;

	CHECK_EQ(ini_parse("cfg", text, sizeof(text) - 1, &ini, &err),
	    CFG_ERR_SYNTAX, "NUL byte refused");
	CHECK_STR(err.msg, "cfg:2: NUL byte in file", "NUL message");
	ini_free(ini);
}

static void
test_line_ends(void)
{
	static const char bom[] = "\xef\xbb\xbf[default]\r\nregion = "
	    "us-east-1\r\nssm =\r\n  endpoint_url = http://x\r\n";
	struct errmsg err;
	struct ini *ini = NULL;

	CHECK_EQ(ini_parse("cfg", bom, sizeof(bom) - 1, &ini, &err), 0,
	    "BOM and CRLF parse");
	if (ini != NULL) {
		CHECK_STR(get(ini, "default", "region"), "us-east-1",
		    "CRLF value has no CR");
		CHECK_STR(ini_get_sub(ini, ini_find_section(ini, "default"),
		    "ssm", "endpoint_url"), "http://x", "CRLF sub-property");
	}
	ini_free(ini);
	ini = parse("[default]\rregion = a\rb = c\r", &err);
	CHECK(ini != NULL && strcmp(get(ini, "default", "b"), "c") == 0,
	    "lone CR ends lines (universal newlines)");
	ini_free(ini);
	ini = parse("[default]\nk = v", &err);
	CHECK(ini != NULL && strcmp(get(ini, "default", "k"), "v") == 0,
	    "last line without newline");
	ini_free(ini);
	ini = parse("", &err);
	CHECK(ini != NULL && ini_section_count(ini) == 0, "empty text");
	ini_free(ini);
	ini = parse("\xef\xbb\xbf", &err);
	CHECK(ini != NULL && ini_section_count(ini) == 0, "only a BOM");
	ini_free(ini);
	parse_fails("[a]\r\nx=1\r\n\r\n\xef\xbb\xbf[b]\r\n", CFG_ERR_SYNTAX,
	    "cfg:4: expected \"key = value\", a [section] header or a comment",
	    "a BOM inside the file is text; line counted over CRLF");
}

static void
test_limits(void)
{
	struct errmsg err;
	struct ini *ini = NULL;
	size_t n = INI_MAX_LINE + 20, i;
	char *big;

	if ((big = malloc(INI_MAX_FILE + 2)) == NULL)
		abort();
	memcpy(big, "[a]\nk = ", 8);
	for (i = 8; i < n; i++)
		big[i] = 'x';
	big[n] = '\n';
	CHECK_EQ(ini_parse("cfg", big, n + 1, &ini, &err), CFG_ERR_SYNTAX,
	    "long line refused");
	CHECK_STR(err.msg, "cfg:2: line is longer than 65536 bytes",
	    "long line message");
	/* Exactly INI_MAX_LINE bytes is fine. */
	n = 4 + INI_MAX_LINE;
	big[n] = '\n';
	CHECK_EQ(ini_parse("cfg", big, n + 1, &ini, &err), 0,
	    "line of exactly 64 KiB accepted");
	ini_free(ini);
	ini = NULL;
	memset(big, '\n', INI_MAX_FILE + 1);
	memcpy(big, "[a]", 3);
	CHECK_EQ(ini_parse("cfg", big, INI_MAX_FILE, &ini, &err), 0,
	    "1 MiB accepted");
	ini_free(ini);
	ini = NULL;
	CHECK_EQ(ini_parse("cfg", big, INI_MAX_FILE + 1, &ini, &err),
	    SP_ERR_TOO_LARGE, "1 MiB + 1 refused");
	CHECK_STR(err.msg, "cfg: file is larger than 1048576 bytes",
	    "size message");
	cfgtest_write("big", big, INI_MAX_FILE + 1, 0600);
	CHECK_EQ(ini_load(cfgtest_path("big"), &ini, &err), SP_ERR_TOO_LARGE,
	    "big file refused by the loader");
	free(big);
}

/* Keys of any length are found, case-insensitively. */
static void
test_long_key(void)
{
	struct errmsg err;
	struct ini *ini = NULL;
	char text[1200], key[1000];

	memset(key, 'K', 999);
	key[999] = '\0';
	snprintf(text, sizeof(text), "[a]\n%s = long\n", key);
	CHECK_EQ(ini_parse("cfg", text, strlen(text), &ini, &err), 0,
	    "long key parses");
	CHECK_STR(ini ? get(ini, "a", key) : NULL, "long", "long key found");
	key[0] = 'k';
	CHECK_STR(ini ? get(ini, "a", key) : NULL, "long",
	    "long key found in another case");
	ini_free(ini);
}

/* Many sections and keys: the hash tables keep this linear. */
static void
test_many(void)
{
	struct errmsg err;
	struct ini *ini = NULL;
	size_t len = 0, i;
	char *text;

	if ((text = malloc(INI_MAX_FILE)) == NULL)
		abort();
	for (i = 0; len < INI_MAX_FILE - 64; i++)
		len += snprintf(text + len, 64,
		    i % 2 ? "k%zu = v\n" : "[s%zu]\n", i);
	CHECK_EQ(ini_parse("cfg", text, len, &ini, &err), 0,
	    "~100k sections and keys parse");
	CHECK(ini != NULL && ini_find_section(ini, "s40000") != NULL &&
	    strcmp(get(ini, "s40000", "k40001"), "v") == 0, "lookup in a "
	    "large file");
	ini_free(ini);
	free(text);
}

static void
test_load(void)
{
	struct errmsg err;
	struct ini *ini = NULL;

	CHECK_EQ(ini_load(cfgtest_path("missing"), &ini, &err), 0,
	    "missing file is not an error");
	CHECK(ini != NULL && ini_section_count(ini) == 0 && !ini_exists(ini),
	    "missing file is empty");
	ini_free(ini);
	ini = NULL;
	CHECK_EQ(ini_load(cfgtest_path("missing/config"), &ini, &err), 0,
	    "missing directory is not an error");
	ini_free(ini);
	ini = NULL;
	cfgtest_write_str("good", "[default]\nregion = us-east-2\n");
	CHECK_EQ(ini_load(cfgtest_path("good"), &ini, &err), 0, "load file");
	CHECK(ini != NULL && ini_exists(ini) &&
	    strcmp(get(ini, "default", "region"), "us-east-2") == 0,
	    "loaded value");
	CHECK_STR(ini != NULL ? ini_name(ini) : NULL, cfgtest_path("good"),
	    "name is the path");
	ini_free(ini);
	ini = NULL;
	cfgtest_write_str("bad", "[default]\nregion\n");
	CHECK_EQ(ini_load(cfgtest_path("bad"), &ini, &err), CFG_ERR_SYNTAX,
	    "malformed file is an error");
	{
		char want[600];

		snprintf(want, sizeof(want), "%s:2: expected \"key = value\", "
		    "a [section] header or a comment", cfgtest_path("bad"));
		CHECK_STR(err.msg, want, "message names path and line");
	}
	mkdir(cfgtest_path("adir"), 0700);
	CHECK_EQ(ini_load(cfgtest_path("adir"), &ini, &err), CFG_ERR_IO,
	    "a directory is an error");
	{
		char want[600];

		snprintf(want, sizeof(want), "%s: not a regular file",
		    cfgtest_path("adir"));
		CHECK_STR(err.msg, want, "directory message");
	}
	if (geteuid() != 0) {
		cfgtest_write("noread", "[a]\n", 4, 0);
		CHECK_EQ(ini_load(cfgtest_path("noread"), &ini, &err),
		    CFG_ERR_IO, "unreadable file is an error");
		CHECK(strstr(err.msg, "Permission denied") != NULL,
		    "unreadable message");
	} else
		printf("# skip unreadable-file test: running as root\n");
	CHECK(ini == NULL, "no result on errors");
}

/* Every prefix of a realistic file parses or fails cleanly. */
static void
test_truncation(void)
{
	static const char text[] = "\xef\xbb\xbf# c\r\n[default]\r\n"
	    "region = eu-west-1\r\n[profile dev]\nservices = d\n"
	    "[services d]\nssm =\n  endpoint_url = https://x\n\n"
	    "  kms_x = 1\n[DEFAULT]\nk: v\n";
	struct errmsg err;
	struct ini *ini;
	size_t i;
	int bad = 0, r;

	for (i = 0; i <= sizeof(text) - 1; i++) {
		ini = NULL;
		r = ini_parse("cfg", text, i, &ini, &err);
		if ((r == 0) != (ini != NULL))
			bad++;
		ini_free(ini);
	}
	CHECK_EQ(bad, 0, "every prefix parses or fails cleanly");
}

int
main(void)
{
	(void)test_unhex;	/* test.h's unused attribute misses it */
	cfgtest_mkdir();
	test_basic();
	test_comments();
	test_continuation();
	test_services_example();
	test_headers();
	test_default_section();
	test_duplicates();
	test_errors();
	test_nul();
	test_line_ends();
	test_limits();
	test_many();
	test_long_key();
	test_load();
	test_truncation();
	cfgtest_rmdir();
	return test_done();
}
