/*
 * proxy/aws/namecache.c in a scratch HOME: where the file goes, its modes
 * and exact text, expiry, forgetting, reopening, a planted symbolic
 * link, malformed lines, the caps, and the access key id kept out.
 */
#define _XOPEN_SOURCE 700	/* nftw */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cfgtest.h"
#include "namecache.h"
#include "test.h"

#define ID1	"i-0123456789abcdef0"
#define ID2	"i-0fedcba9876543210"
#define AKID	"AKIDEXAMPLE"
/* SHA-256 of "default\0eu-west-1\0Name\0AKIDEXAMPLE", first 16 digits. */
#define HASH	"432f082a73e2ea8b"
#define HEADER	"# ssm-proxy name cache 1 profile=default region=eu-west-1 " \
		"tag=Name\n"

static struct fakeenv fe;
static struct awscfg_env env;

static struct namecache *
open_cache(const char *profile, const char *region)
{
	struct namecache *c = NULL;
	struct errmsg err;

	if (namecache_open(&env, profile, region, "Name", AKID, &c, &err) != 0)
		abort();
	return c;
}

/* The whole file at path, or "" (static buffer). */
static const char *
slurp(const char *path)
{
	static char b[65536];
	FILE *f;
	size_t n;

	b[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		return b;
	n = fread(b, 1, sizeof(b) - 1, f);
	b[n] = '\0';
	fclose(f);
	return b;
}

static int
mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static void
test_round_trip(void)
{
	char want[512];
	struct namecache *c;
	const char *path;

	c = open_cache("default", "eu-west-1");
	path = namecache_path(c);
	CHECK_STR(path, cfgtest_path(".cache/ssm-proxy/names-" HASH ".tsv"),
	    "path: HOME/.cache/ssm-proxy/names-HASH.tsv");
	CHECK(namecache_get(c, "web1", 1000) == NULL, "empty cache: a miss");
	CHECK_EQ(namecache_put(c, "Web1", ID1, 1000, 600), 0, "put Web1");
	CHECK_EQ(namecache_put(c, "10.0.1.5", ID2, 1000, 600), 0, "put ip");
	CHECK_STR(namecache_get(c, "web1", 1000), ID1, "key lowercased");
	CHECK_STR(namecache_get(c, "WEB1", 1599), ID1, "hit before expiry");
	CHECK(namecache_get(c, "web1", 1600) == NULL, "miss at expiry");
	CHECK_EQ(namecache_save(c, 1000, NULL), 0, "save");
	namecache_free(c);
	CHECK_EQ(mode_of(cfgtest_path(".cache")), 0700, ".cache made 0700");
	CHECK_EQ(mode_of(cfgtest_path(".cache/ssm-proxy")), 0700,
	    ".cache/ssm-proxy made 0700");
	CHECK_EQ(mode_of(cfgtest_path(".cache/ssm-proxy/names-" HASH ".tsv")),
	    0600, "file 0600");
	snprintf(want, sizeof(want), HEADER "10.0.1.5\t" ID2 "\t1600\n"
	    "web1\t" ID1 "\t1600\n");
	CHECK_STR(slurp(cfgtest_path(".cache/ssm-proxy/names-" HASH ".tsv")),
	    want, "file text exact");
	CHECK(strstr(slurp(cfgtest_path(".cache/ssm-proxy/names-" HASH
	    ".tsv")), AKID) == NULL, "access key id not in the file");

	c = open_cache("default", "eu-west-1");
	CHECK_STR(namecache_get(c, "web1", 1100), ID1, "reopened: hit");
	namecache_del(c, "WEB1");
	CHECK(namecache_get(c, "web1", 1100) == NULL, "deleted: miss");
	CHECK_STR(namecache_get(c, "10.0.1.5", 1100), ID2, "other kept");
	CHECK_EQ(namecache_put(c, "web2", ID1, 1100, 100), 0, "put web2");
	CHECK_EQ(namecache_save(c, 1300, NULL), 0, "save after del");
	namecache_free(c);
	CHECK_STR(slurp(cfgtest_path(".cache/ssm-proxy/names-" HASH ".tsv")),
	    HEADER "10.0.1.5\t" ID2 "\t1600\n",
	    "deleted and expired entries not written");
}

static void
test_refusals(void)
{
	struct namecache *c = open_cache("default", "eu-west-1");

	CHECK_EQ(namecache_put(c, "web3", ID1, 1000, 0), 0, "ttl 0: ok");
	CHECK(namecache_get(c, "web3", 1000) == NULL, "ttl 0: nothing kept");
	CHECK_EQ(namecache_put(c, "web 3", ID1, 1000, 60), SP_ERR_INVALID_ARG,
	    "key with a space refused");
	CHECK_EQ(namecache_put(c, "we\tb", ID1, 1000, 60), SP_ERR_INVALID_ARG,
	    "key with a tab refused");
	CHECK_EQ(namecache_put(c, "", ID1, 1000, 60), SP_ERR_INVALID_ARG,
	    "empty key refused");
	CHECK_EQ(namecache_put(c, "web3", "web4", 1000, 60),
	    SP_ERR_INVALID_ARG, "id not an id refused");
	CHECK_EQ(namecache_put(c, "web3", ID1 "\n", 1000, 60),
	    SP_ERR_INVALID_ARG, "id with a newline refused");
	CHECK_EQ(namecache_put(c, "web3", ID1, 1000, 10000000), 0,
	    "ttl over the max accepted");
	CHECK_STR(namecache_get(c, "web3", 1000 + NAMECACHE_MAX_TTL - 1), ID1,
	    "ttl clamped: hit before max");
	CHECK(namecache_get(c, "web3", 1000 + NAMECACHE_MAX_TTL) == NULL,
	    "ttl clamped to NAMECACHE_MAX_TTL");
	namecache_free(c);
}

/* EC2 Instance Connect Endpoint routes: "eice:ID" -> "EICE,HOST,ADDR". */
static void
test_routes(void)
{
	struct namecache *c = open_cache("default", "eu-west-2");
	const char *r4 = "eice-0123456789abcdef0,eice-0123456789abcdef0.ec2-"
	    "instance-connect-endpoint.eu-west-2.amazonaws.com,10.0.1.5";
	const char *r6 = "eice-0a,e.example,2600:1f18:aaaa:bb01::10";

	CHECK_EQ(namecache_put(c, "eice:" ID1, r4, 1000, 60), 0,
	    "route with an IPv4 address");
	CHECK_EQ(namecache_put(c, "eice:" ID2, r6, 1000, 60), 0,
	    "route with an IPv6 address");
	CHECK_STR(namecache_get(c, "eice:" ID1, 1000), r4, "route: hit");
	CHECK_EQ(namecache_put(c, "eice:" ID1, ID2, 1000, 60),
	    SP_ERR_INVALID_ARG, "a route key takes no instance id");
	CHECK_EQ(namecache_put(c, "web5", r4, 1000, 60), SP_ERR_INVALID_ARG,
	    "a name takes no route");
	CHECK_EQ(namecache_put(c, "eice:web5", r4, 1000, 60),
	    SP_ERR_INVALID_ARG, "a route key names an instance id");
	CHECK_EQ(namecache_put(c, "eice:" ID1, "eice-0a,,10.0.1.5", 1000, 60),
	    SP_ERR_INVALID_ARG, "an empty part refused");
	CHECK_EQ(namecache_put(c, "eice:" ID1, "eice-0a,h x,10.0.1.5", 1000,
	    60), SP_ERR_INVALID_ARG, "a space refused");
	CHECK_EQ(namecache_put(c, "eice:" ID1, "eni-0a,h,10.0.1.5", 1000, 60),
	    SP_ERR_INVALID_ARG, "an endpoint id other than eice- refused");
	CHECK_EQ(namecache_save(c, 1000, NULL), 0, "save routes");
	namecache_free(c);
	c = open_cache("default", "eu-west-2");
	CHECK_STR(namecache_get(c, "eice:" ID2, 1000), r6, "route read back");
	namecache_free(c);
}

static void
test_places(void)
{
	struct namecache *a, *b, *x;
	char xdg[400];

	a = open_cache("default", "eu-west-1");
	b = open_cache("dev", "eu-west-1");
	x = open_cache("default", "us-east-1");
	CHECK(strcmp(namecache_path(a), namecache_path(b)) != 0,
	    "two profiles: two files");
	CHECK(strcmp(namecache_path(a), namecache_path(x)) != 0,
	    "two regions: two files");
	namecache_free(a);
	namecache_free(b);
	namecache_free(x);

	snprintf(xdg, sizeof(xdg), "%s/xdg", cfgtest_dir);
	fakeenv_set(&fe, "XDG_CACHE_HOME", xdg);
	a = open_cache("default", "eu-west-1");
	CHECK_STR(namecache_path(a), cfgtest_path("xdg/ssm-proxy/names-"
	    HASH ".tsv"), "XDG_CACHE_HOME/ssm-proxy");
	CHECK_EQ(namecache_put(a, "web1", ID1, 1000, 60), 0, "put (xdg)");
	CHECK_EQ(namecache_save(a, 1000, NULL), 0, "save (xdg)");
	CHECK_EQ(mode_of(cfgtest_path("xdg/ssm-proxy")), 0700,
	    "xdg dir made 0700");
	namecache_free(a);
	fakeenv_set(&fe, "XDG_CACHE_HOME", "relative/cache");
	a = open_cache("default", "eu-west-1");
	CHECK_STR(namecache_path(a), cfgtest_path(".cache/ssm-proxy/names-"
	    HASH ".tsv"), "relative XDG_CACHE_HOME ignored");
	namecache_free(a);
	fakeenv_set(&fe, "XDG_CACHE_HOME", "");
}

static void
test_symlink(void)
{
	const char *victim = cfgtest_path("victim");
	const char *path = cfgtest_path(".cache/ssm-proxy/names-" HASH ".tsv");
	struct namecache *c = NULL;
	struct errmsg err;
	struct stat st;

	cfgtest_write_str("victim", HEADER "web9\t" ID2 "\t5000\n");
	unlink(path);
	if (symlink(victim, path) != 0)
		abort();
	CHECK_EQ(namecache_open(&env, "default", "eu-west-1", "Name", AKID, &c,
	    &err), 0, "open with a symlinked file");
	CHECK(namecache_get(c, "web9", 1000) == NULL,
	    "symlinked file not read");
	CHECK(strstr(err.msg, "symbolic link") != NULL,
	    "err says it is a symbolic link");
	CHECK_EQ(namecache_put(c, "web1", ID1, 1000, 60), 0, "put");
	CHECK_EQ(namecache_save(c, 1000, NULL), 0, "save over the link");
	namecache_free(c);
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode),
	    "the link was replaced by a regular file");
	CHECK_STR(slurp(victim), HEADER "web9\t" ID2 "\t5000\n",
	    "the link's target unchanged");
}

static void
test_lenient(void)
{
	static const char text[] =
	    "# a comment\n"
	    "garbage\n"
	    "web1\t" ID1 "\n"				/* two fields */
	    "web2\t" ID1 "\t2000\textra\n"		/* four fields */
	    "web3\tweb4\t2000\n"			/* id not an id */
	    "web 5\t" ID1 "\t2000\n"			/* key with a space */
	    "web6\t" ID1 "\t-2000\n"			/* negative */
	    "web7\t" ID1 "\t2000x\n"			/* not digits */
	    "web8\t" ID1 "\t1234567890123456789\n"	/* 19 digits */
	    "\t" ID1 "\t2000\n"				/* empty key */
	    "Good1\t" ID1 "\t2000\r\n"			/* CRLF, upper case */
	    "good2\t" ID1 "\t2000\n"
	    "good2\t" ID2 "\t2000\n"			/* later line wins */
	    "far\t" ID1 "\t999999999\n"			/* beyond max ttl */
	    "good3\tmi-0123456789abcdef0\t2000"		/* no final newline */
	    "\n# ssm-proxy name cache 2 profile=x\n"
	    "after\t" ID1 "\t2000\n";			/* under version 2 */
	const char *path = cfgtest_path(".cache/ssm-proxy/names-" HASH ".tsv");
	struct namecache *c;
	struct buf b;
	char *again_text;
	struct namecache *again;
	int i;
	static const char *const bad[] = { "web1", "web2", "web3", "web 5",
	    "web6", "web7", "web8", "", "far", "after" };

	unlink(path);
	cfgtest_write_str(".cache/ssm-proxy/names-" HASH ".tsv", text);
	c = open_cache("default", "eu-west-1");
	CHECK_STR(namecache_get(c, "good1", 1000), ID1, "CRLF line, lowered");
	CHECK_STR(namecache_get(c, "good2", 1000), ID2, "later line wins");
	CHECK_STR(namecache_get(c, "good3", 1000), "mi-0123456789abcdef0",
	    "last line without a newline");
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++)
		CHECK(namecache_get(c, bad[i], 1000) == NULL, bad[i]);
	namecache_free(c);

	/* The writer's text reads back to the same text. */
	if (namecache_parse(text, sizeof(text) - 1, &c) != 0)
		abort();
	buf_init(&b, 1 << 20);
	CHECK_EQ(namecache_text(c, 1000, &b), 0, "text");
	CHECK_EQ(buf_to_cstr(&b, &again_text), 0, "text as a string");
	CHECK_STR(again_text, "# ssm-proxy name cache 1\ngood1\t" ID1
	    "\t2000\ngood2\t" ID2 "\t2000\ngood3\tmi-0123456789abcdef0\t"
	    "2000\n", "parsed text written exactly");
	if (namecache_parse(again_text, strlen(again_text), &again) != 0)
		abort();
	buf_reset(&b);
	CHECK_EQ(namecache_text(again, 1000, &b), 0, "text again");
	CHECK_MEM(buf_ptr(&b), buf_len(&b), again_text, strlen(again_text),
	    "round trip");
	free(again_text);
	buf_release(&b);
	namecache_free(again);
	namecache_free(c);
}

static void
test_caps(void)
{
	struct namecache *c = NULL;
	char key[32];
	int i, r = 0;

	if (namecache_parse("", 0, &c) != 0)
		abort();
	CHECK_EQ(namecache_put(c, "first", ID1, 1000, 10), 0, "put first");
	for (i = 1; i < NAMECACHE_MAX_ENTRIES && r == 0; i++) {
		snprintf(key, sizeof(key), "n%05d", i);
		r = namecache_put(c, key, ID2, 1000, 600);
	}
	CHECK_EQ(r, 0, "NAMECACHE_MAX_ENTRIES puts");
	CHECK_STR(namecache_get(c, "first", 1000), ID1, "full: first kept");
	CHECK_EQ(namecache_put(c, "one-more", ID1, 1000, 600), 0, "one more");
	CHECK(namecache_get(c, "first", 1000) == NULL,
	    "over the cap: the entry expiring first dropped");
	CHECK_STR(namecache_get(c, "one-more", 1000), ID1, "new entry kept");
	CHECK_STR(namecache_get(c, "n00001", 1000), ID2, "others kept");
	namecache_free(c);
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

int
main(void)
{
	cfgtest_mkdir();
	fakeenv_init(&fe, &env);
	test_round_trip();
	test_refusals();
	test_routes();
	test_places();
	test_symlink();
	test_lenient();
	test_caps();
	nftw(cfgtest_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return test_done();
}
