/*
 * Unit tests for proxy/creds.c and proxy/credproc.c: the credential
 * chain, credential_process (real scripts run by /bin/sh from a mkdtemp
 * directory) and its JSON output.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <sys/file.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <time.h>

#include "test.h"
#include "cfgtest.h"
#include "awscfg.h"
#include "credproc.h"
#include "creds.h"
#include "credcache.h"
#include "sts.h"

#define SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN	"FQoGZXIvYXdzEXAMPLETOKEN"
#define NOW	((time_t)1704067200)	/* 2024-01-01T00:00:00Z */
/* The start of a valid output, without its closing brace. */
#define J_AKSK	"{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":" \
	"\"" SECRET "\""

static struct fakeenv fe;
static struct awscfg_env env;
static struct awscfg_opts opts;

/* Message with the scratch directory substituted for %D. */
static const char *
msg(const char *fmt)
{
	static char buf[1024];
	size_t o = 0;

	for (; *fmt != '\0' && o < sizeof(buf) - 300; fmt++) {
		if (fmt[0] == '%' && fmt[1] == 'D') {
			o += snprintf(buf + o, sizeof(buf) - o, "%s",
			    cfgtest_dir);
			fmt++;
		} else
			buf[o++] = *fmt;
	}
	buf[o] = '\0';
	return buf;
}

/* An executable /bin/sh script in the scratch directory. */
static void
script(const char *name, const char *body)
{
	char text[4096];

	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	cfgtest_write(name, text, strlen(text), 0700);
}

static void
parse_ok(const char *json, const char *akid, const char *token,
    long long expiry, const char *what)
{
	struct creds *c = NULL;
	struct errmsg err;

	errmsg_clear(&err);
	CHECK_EQ(credproc_parse(json, strlen(json), NOW, &c, &err), 0, what);
	if (c == NULL) {
		printf("#   error: %s\n", err.msg);
		return;
	}
	CHECK_STR(c->access_key_id, akid, what);
	CHECK_STR(c->secret_access_key, SECRET, what);
	if (token == NULL)
		CHECK(c->session_token == NULL, what);
	else
		CHECK_STR(c->session_token, token, what);
	CHECK_EQ(c->expiry, expiry, what);
	CHECK_EQ(c->source, CREDS_SRC_PROCESS, what);
	creds_free(c);
}

static void
parse_fails_len(const char *json, size_t len, int want_r, const char *want,
    const char *what)
{
	struct creds *c = NULL;
	struct errmsg err;

	errmsg_clear(&err);
	CHECK_EQ(credproc_parse(json, len, NOW, &c, &err), want_r, what);
	CHECK(c == NULL, what);
	CHECK_STR(err.msg, want, what);
	CHECK(strstr(err.msg, SECRET) == NULL &&
	    strstr(err.msg, TOKEN) == NULL, "no secret in the message");
	creds_free(c);
}

static void
parse_fails(const char *json, int want_r, const char *want, const char *what)
{
	parse_fails_len(json, strlen(json), want_r, want, what);
}

static void
test_parse(void)
{
	char *big, deep[200];
	size_t i;

	parse_ok("{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
	    "\"SecretAccessKey\": \"" SECRET "\", \"SessionToken\": \"" TOKEN
	    "\", \"Expiration\": \"2024-01-01T06:00:00Z\"}", "AKIDPROC", TOKEN,
	    1704088800, "full output");
	parse_ok(J_AKSK "}", "A", NULL, 0, "minimal output never expires");
	parse_ok(" \n{\"Version\":1.0,\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":\"" SECRET "\",\"SessionToken\":null,"
	    "\"Expiration\":null,\"AccountId\":\"123456789012\","
	    "\"Extra\":{\"AccessKeyId\":5,\"x\":[1,2,{\"y\":null}]}}\n",
	    "A", NULL, 0, "nulls, 1.0, extra and nested members");
	parse_ok("{\"AccessKeyId\":\"OLD\",\"Version\":1,"
	    "\"AccessKeyId\":\"NEW\",\"SecretAccessKey\":\"" SECRET "\"}",
	    "NEW", NULL, 0, "a repeated member: the last wins");
	parse_ok("{\"Version\":1,\"AccessKeyId\":\"A\\u00e9\","
	    "\"SecretAccessKey\":\"" SECRET "\"}", "A\xc3\xa9", NULL, 0,
	    "escapes decoded");

	parse_fails("{\"Version\":2,\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":\"" SECRET "\"}", CFG_ERR_VALUE,
	    "unsupported Version 2 in the output (only 1 is supported)",
	    "Version 2");
	parse_fails("{\"Version\":\"1\",\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":\"" SECRET "\"}", CFG_ERR_VALUE,
	    "Version in the output is not the number 1", "Version as string");
	parse_fails("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" SECRET
	    "\"}", CFG_ERR_VALUE, "output lacks Version (must be 1)",
	    "no Version");
	parse_fails("{\"Version\":1,\"SecretAccessKey\":\"" SECRET "\"}",
	    CFG_ERR_VALUE, "output lacks AccessKeyId", "no AccessKeyId");
	parse_fails("{\"Version\":1,\"AccessKeyId\":\"A\"}", CFG_ERR_VALUE,
	    "output lacks SecretAccessKey", "no SecretAccessKey");
	parse_fails("{\"Version\":1,\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":42}", CFG_ERR_VALUE,
	    "SecretAccessKey in the output is not a string",
	    "SecretAccessKey a number");
	parse_fails("{\"Version\":1,\"AccessKeyId\":null,"
	    "\"SecretAccessKey\":\"" SECRET "\"}", CFG_ERR_VALUE,
	    "AccessKeyId in the output is not a string", "AccessKeyId null");
	parse_fails("{\"Version\":1,\"AccessKeyId\":\"\","
	    "\"SecretAccessKey\":\"" SECRET "\"}", CFG_ERR_VALUE,
	    "AccessKeyId in the output is empty", "empty AccessKeyId");
	parse_fails(J_AKSK ",\"SessionToken\":[\"" TOKEN "\"]}", CFG_ERR_VALUE,
	    "SessionToken in the output is not a string", "token an array");
	parse_fails(J_AKSK ",\"Expiration\":\"tomorrow\"}", CFG_ERR_VALUE,
	    "Expiration \"tomorrow\" in the output is not an RFC 3339 time",
	    "bad Expiration");
	parse_fails(J_AKSK ",\"SessionToken\":\"" TOKEN "\",\"Expiration\":"
	    "\"2020-01-01T00:00:00+01:00\"}", CFG_ERR_EXPIRED,
	    "the credentials it returned expired at 2019-12-31T23:00:00Z",
	    "expired credentials");
	parse_fails(J_AKSK ",\"Expiration\":\"2024-01-01T00:00:00Z\"}",
	    CFG_ERR_EXPIRED, "the credentials it returned expired at "
	    "2024-01-01T00:00:00Z", "expiring right now counts as expired");
	parse_fails(J_AKSK, SP_ERR_JSON_SYNTAX, "output is not valid JSON",
	    "truncated JSON, secret not quoted");
	parse_fails("{\"Version\":1,\"SecretAccessKey\":\"" SECRET "\"} x",
	    SP_ERR_JSON_SYNTAX, "output is not valid JSON", "trailing text");
	parse_fails("{'Version':1}", SP_ERR_JSON_SYNTAX,
	    "output is not valid JSON", "single quotes");
	parse_fails("{\"Version\":1,\"AccessKeyId\":\"\xff\"}",
	    SP_ERR_JSON_SYNTAX, "output is not valid JSON", "invalid UTF-8");
	parse_fails("", SP_ERR_JSON_SYNTAX, "output is not valid JSON",
	    "empty output");
	parse_fails("[{\"Version\":1,\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":\"" SECRET "\"}]", CFG_ERR_VALUE,
	    "output is not a JSON object", "an array");
	parse_fails("\"" SECRET "\"", CFG_ERR_VALUE,
	    "output is not a JSON object", "a string");
	parse_fails_len("{\"Version\":1}\0", 14, SP_ERR_JSON_NUL,
	    "output contains a NUL byte", "NUL byte");
	for (i = 0; i < 40; i++)
		deep[i] = '[';
	deep[i] = '\0';
	parse_fails(deep, SP_ERR_JSON_LIMIT, "output nests JSON deeper than "
	    "32 levels", "deep nesting");
	if ((big = malloc(CREDPROC_MAX_OUTPUT + 2)) == NULL)
		abort();
	memset(big, ' ', CREDPROC_MAX_OUTPUT + 1);
	parse_fails_len(big, CREDPROC_MAX_OUTPUT + 1, SP_ERR_TOO_LARGE,
	    "output is larger than 65536 bytes", "output over 64 KiB");
	free(big);
}

static void
run_fails(const char *cmd, int timeout, size_t max, int want_r,
    const char *want, const char *what)
{
	struct errmsg err;
	char *out = NULL;
	size_t len = 0;

	errmsg_clear(&err);
	CHECK_EQ(credproc_run(cmd, timeout, max, &out, &len, &err), want_r,
	    what);
	CHECK(out == NULL, what);
	CHECK_STR(err.msg, want, what);
	credproc_output_free(out, len);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void
test_run(void)
{
	struct errmsg err;
	char cmd[1024], *out = NULL, body[512], *big;
	long long t0;
	size_t len = 0;
	int fd, saved, r;

	script("ok.sh", "printf '%s' '{\"Version\":1,\"AccessKeyId\":\"AKID\","
	    "\"SecretAccessKey\":\"" SECRET "\"}'");
	snprintf(cmd, sizeof(cmd), "%s", cfgtest_path("ok.sh"));
	CHECK_EQ(credproc_run(cmd, 0, 0, &out, &len, &err), 0, "script runs");
	CHECK_STR(out, "{\"Version\":1,\"AccessKeyId\":\"AKID\","
	    "\"SecretAccessKey\":\"" SECRET "\"}", "stdout captured");
	CHECK_EQ(len, strlen(out ? out : ""), "length");
	credproc_output_free(out, len);
	out = NULL;

	/* No shell: quotes are shlex's, $ and ; reach argv literally. */
	script("args.sh", "n=$(cat | wc -c)\n"
	    "printf '%s|%s|%s|%s|%s' \"$#\" \"$1\" \"$2\" \"$3\" \"$n\"");
	snprintf(cmd, sizeof(cmd), "%s \"two words\" 'x$HOME;y' a\\ b",
	    cfgtest_path("args.sh"));
	CHECK_EQ(credproc_run(cmd, 0, 0, &out, &len, &err), 0, "args run");
	CHECK_STR(out, "3|two words|x$HOME;y|a b|0",
	    "shlex-split argv, no shell, stdin is /dev/null");
	credproc_output_free(out, len);
	out = NULL;

	/* Environment inherited; stray descriptors are not. */
	setenv("SSM_PROXY_TEST_VAR", "inherited", 1);
	fd = open("/dev/null", O_RDONLY);
	snprintf(body, sizeof(body), "if [ -e /proc/self/fd/%d ]; then "
	    "l=leak; else l=closed; fi; printf '%%s %%s' "
	    "\"$SSM_PROXY_TEST_VAR\" \"$l\"", fd);
	script("env.sh", body);
	snprintf(cmd, sizeof(cmd), "%s", cfgtest_path("env.sh"));
	CHECK_EQ(credproc_run(cmd, 0, 0, &out, &len, &err), 0, "env run");
	CHECK_STR(out, "inherited closed",
	    "environment inherited, descriptors closed");
	credproc_output_free(out, len);
	out = NULL;
	close(fd);

	/* stderr goes to ours, not into the output. */
	script("stderr.sh", "echo to-stderr >&2; printf out");
	fflush(stderr);
	saved = dup(2);
	fd = open(cfgtest_path("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC,
	    0600);
	dup2(fd, 2);
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s", cfgtest_path("stderr.sh"));
	r = credproc_run(cmd, 0, 0, &out, &len, &err);
	dup2(saved, 2);
	close(saved);
	CHECK_EQ(r, 0, "stderr run");
	CHECK_STR(out, "out", "stderr not captured");
	credproc_output_free(out, len);
	out = NULL;
	{
		char got[64] = "";
		FILE *f = fopen(cfgtest_path("stderr.txt"), "r");

		if (f != NULL) {
			if (fgets(got, sizeof(got), f) == NULL)
				got[0] = '\0';
			fclose(f);
		}
		CHECK_STR(got, "to-stderr\n", "stderr inherited");
	}

	script("fail.sh", "echo '{\"Version\":1}'; exit 3");
	snprintf(cmd, sizeof(cmd), "%s --flag", cfgtest_path("fail.sh"));
	run_fails(cmd, 0, 0, CFG_ERR_PROCESS, msg("%D/fail.sh exited with "
	    "status 3"), "non-zero exit");
	script("kill.sh", "kill -9 $$");
	snprintf(cmd, sizeof(cmd), "%s", cfgtest_path("kill.sh"));
	run_fails(cmd, 0, 0, CFG_ERR_PROCESS, msg("%D/kill.sh was killed by "
	    "signal 9 (Killed)"), "killed by a signal");
	snprintf(cmd, sizeof(cmd), "%s", cfgtest_path("nope"));
	run_fails(cmd, 0, 0, CFG_ERR_PROCESS, msg("cannot run %D/nope: "
	    "No such file or directory"), "missing program");
	cfgtest_write("noexec.sh", "#!/bin/sh\n", 10, 0600);
	snprintf(cmd, sizeof(cmd), "%s", cfgtest_path("noexec.sh"));
	run_fails(cmd, 0, 0, CFG_ERR_PROCESS, msg("cannot run %D/noexec.sh: "
	    "Permission denied"), "not executable");
	run_fails("ssm-proxy-no-such-command-xyz", 0, 0, CFG_ERR_PROCESS,
	    "cannot run ssm-proxy-no-such-command-xyz: No such file or "
	    "directory", "PATH search");
	run_fails("  ", 0, 0, CFG_ERR_VALUE, "the command line is empty",
	    "blank command line");
	run_fails("\"unclosed", 0, 0, CFG_ERR_VALUE, "cannot split the command "
	    "line: no closing quotation", "unsplittable command line");

	script("slow.sh", "sleep 10");
	snprintf(cmd, sizeof(cmd), "%s", cfgtest_path("slow.sh"));
	t0 = now_ms();
	run_fails(cmd, 300, 0, SP_ERR_TIMEOUT, msg("%D/slow.sh did not finish "
	    "within 300 ms"), "timeout");
	CHECK(now_ms() - t0 < 3000, "timeout kills promptly");
	script("closer.sh", "printf '{}'; exec >&-; sleep 10");
	snprintf(cmd, sizeof(cmd), "%s", cfgtest_path("closer.sh"));
	t0 = now_ms();
	run_fails(cmd, 300, 0, SP_ERR_TIMEOUT, msg("%D/closer.sh did not exit "
	    "within 300 ms"), "timeout after closing stdout");
	CHECK(now_ms() - t0 < 3000, "exit wait is bounded too");

	script("huge.sh", "head -c 70000 /dev/zero | tr '\\000' a");
	snprintf(cmd, sizeof(cmd), "%s", cfgtest_path("huge.sh"));
	run_fails(cmd, 0, 0, SP_ERR_TOO_LARGE, msg("%D/huge.sh wrote more than "
	    "65536 bytes"), "huge output");
	script("exact.sh", "head -c 65536 /dev/zero | tr '\\000' a");
	snprintf(cmd, sizeof(cmd), "%s", cfgtest_path("exact.sh"));
	CHECK_EQ(credproc_run(cmd, 0, 0, &out, &len, &err), 0,
	    "exactly 64 KiB accepted");
	CHECK_EQ(len, 65536, "64 KiB read");
	if ((big = malloc(65537)) == NULL)
		abort();
	memset(big, 'a', 65536);
	big[65536] = '\0';
	CHECK_STR(out, big, "all of it");
	free(big);
	credproc_output_free(out, len);
	out = NULL;
	run_fails(cmd, 0, 1000, SP_ERR_TOO_LARGE, msg("%D/exact.sh wrote more "
	    "than 1000 bytes"), "max_output parameter");
}

static void
reset(void)
{
	fakeenv_init(&fe, &env);
	fakeenv_set(&fe, "AWS_REGION", "us-east-1");
	memset(&opts, 0, sizeof(opts));
	unlink(cfgtest_path("config"));
	unlink(cfgtest_path("credentials"));
}

/* Load the configuration and run the chain. */
static int
resolve(struct creds **c, struct errmsg *err, int timeout_ms)
{
	struct creds_params p;
	struct awscfg *cfg = NULL;
	int r;

	*c = NULL;
	errmsg_clear(err);
	if ((r = awscfg_load(&env, &opts, &cfg, err)) != 0)
		return r;
	memset(&p, 0, sizeof(p));
	p.now = NOW;
	p.process_timeout_ms = timeout_ms;
	r = creds_resolve(cfg, &p, c, err);
	awscfg_free(cfg);
	return r;
}

static void
chain_is(const char *akid, const char *token, enum creds_source src,
    const char *what)
{
	struct creds *c;
	struct errmsg err;
	int r;

	r = resolve(&c, &err, 0);
	CHECK_EQ(r, 0, what);
	if (r != 0) {
		printf("#   error: %s\n", err.msg);
		return;
	}
	CHECK_STR(c->access_key_id, akid, what);
	if (token == NULL)
		CHECK(c->session_token == NULL, what);
	else
		CHECK_STR(c->session_token, token, what);
	CHECK_EQ(c->source, src, what);
	creds_free(c);
}

static void
chain_fails(int want_r, const char *want, const char *what)
{
	struct creds *c;
	struct errmsg err;

	CHECK_EQ(resolve(&c, &err, 300), want_r, what);
	CHECK(c == NULL, what);
	CHECK_STR(err.msg, want, what);
	CHECK(strstr(err.msg, SECRET) == NULL, "no secret in the message");
}

static void
test_chain_env(void)
{
	reset();
	cfgtest_write_str("config", "[profile dev]\nregion = eu-west-1\n");
	cfgtest_write_str("credentials", "[default]\naws_access_key_id = "
	    "AKIDFILE\naws_secret_access_key = " SECRET "\n"
	    "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = "
	    SECRET "\n");
	fakeenv_set(&fe, "AWS_ACCESS_KEY_ID", "AKIDENV");
	fakeenv_set(&fe, "AWS_SECRET_ACCESS_KEY", SECRET);
	chain_is("AKIDENV", NULL, CREDS_SRC_ENV, "environment first");
	fakeenv_set(&fe, "AWS_SESSION_TOKEN", TOKEN);
	chain_is("AKIDENV", TOKEN, CREDS_SRC_ENV, "AWS_SESSION_TOKEN");
	fakeenv_set(&fe, "AWS_SECURITY_TOKEN", "LEGACYTOKEN");
	chain_is("AKIDENV", "LEGACYTOKEN", CREDS_SRC_ENV,
	    "AWS_SECURITY_TOKEN is checked first (botocore)");
	fakeenv_set(&fe, "AWS_PROFILE", "dev");
	chain_is("AKIDENV", "LEGACYTOKEN", CREDS_SRC_ENV,
	    "AWS_PROFILE does not skip environment keys");
	opts.profile = "dev";
	chain_is("AKIDDEV", NULL, CREDS_SRC_CREDENTIALS_FILE,
	    "--profile skips environment keys");
	opts.profile = NULL;
	fakeenv_set(&fe, "AWS_SECRET_ACCESS_KEY", "");
	chain_fails(CFG_ERR_VALUE, "AWS_ACCESS_KEY_ID is set but "
	    "AWS_SECRET_ACCESS_KEY is not", "partial environment keys");
	fakeenv_set(&fe, "AWS_SECRET_ACCESS_KEY", SECRET);
	fakeenv_set(&fe, "AWS_CREDENTIAL_EXPIRATION", "2023-12-31T23:00:00Z");
	chain_fails(CFG_ERR_EXPIRED, "the credentials in AWS_ACCESS_KEY_ID "
	    "expired at 2023-12-31T23:00:00Z (AWS_CREDENTIAL_EXPIRATION)",
	    "expired environment keys");
	fakeenv_set(&fe, "AWS_CREDENTIAL_EXPIRATION", "soon");
	chain_fails(CFG_ERR_VALUE, "AWS_CREDENTIAL_EXPIRATION \"soon\" is not "
	    "an RFC 3339 time", "bad AWS_CREDENTIAL_EXPIRATION");
	fakeenv_set(&fe, "AWS_CREDENTIAL_EXPIRATION", "2024-01-01T01:00:00Z");
	{
		struct creds *c;
		struct errmsg err;

		CHECK_EQ(resolve(&c, &err, 0), 0, "expiring env keys");
		CHECK_EQ(c ? c->expiry : 0, 1704070800, "expiry from env");
		creds_free(c);
	}
	fakeenv_set(&fe, "AWS_ACCESS_KEY_ID", "");
	fakeenv_set(&fe, "AWS_PROFILE", "");
	chain_is("AKIDFILE", NULL, CREDS_SRC_CREDENTIALS_FILE,
	    "empty AWS_ACCESS_KEY_ID is skipped");
}

static void
test_chain_files(void)
{
	reset();
	cfgtest_write_str("credentials", "[dev]\naws_access_key_id = AKIDCRED\n"
	    "aws_secret_access_key = " SECRET "\naws_session_token = " TOKEN
	    "\n[tokens]\naws_access_key_id = T\naws_secret_access_key = "
	    SECRET "\naws_session_token = NEWER\naws_security_token = OLDER\n"
	    "[partial]\naws_access_key_id = P\n"
	    "[emptykey]\naws_access_key_id =\naws_secret_access_key = x\n");
	cfgtest_write_str("config", "[profile dev]\ncredential_process = "
	    "/bin/false\naws_access_key_id = AKIDCFG\naws_secret_access_key = "
	    SECRET "\n[profile cfgonly]\naws_access_key_id = AKIDCFGONLY\n"
	    "aws_secret_access_key = " SECRET "\n"
	    "[profile cfgpartial]\naws_access_key_id = X\n"
	    "[profile tokens]\n[profile partial]\n[profile emptykey]\n");
	opts.profile = "dev";
	chain_is("AKIDCRED", TOKEN, CREDS_SRC_CREDENTIALS_FILE,
	    "credentials file beats credential_process and config keys");
	opts.profile = "cfgonly";
	chain_is("AKIDCFGONLY", NULL, CREDS_SRC_CONFIG_FILE,
	    "static keys in the config file");
	opts.profile = "tokens";
	chain_is("T", "OLDER", CREDS_SRC_CREDENTIALS_FILE,
	    "aws_security_token wins over aws_session_token (botocore)");
	opts.profile = "partial";
	chain_fails(CFG_ERR_VALUE, msg("profile partial sets aws_access_key_id "
	    "but not aws_secret_access_key in %D/credentials"),
	    "partial keys in the credentials file");
	opts.profile = "cfgpartial";
	chain_fails(CFG_ERR_VALUE, msg("profile cfgpartial sets "
	    "aws_access_key_id but not aws_secret_access_key in %D/config"),
	    "partial keys in the config file");
	opts.profile = "emptykey";
	chain_fails(CFG_ERR_VALUE, msg("profile emptykey has an empty "
	    "aws_access_key_id in %D/credentials:13"), "empty key");
}

static void
test_chain_process(void)
{
	char text[1024];

	reset();
	script("cp.sh", "printf '{\"Version\": 1, \"AccessKeyId\": \"%s\", "
	    "\"SecretAccessKey\": \"" SECRET "\", \"SessionToken\": \"" TOKEN
	    "\", \"Expiration\": \"2024-01-01T01:00:00Z\"}' \"$1\"");
	script("cpfail.sh", "exit 2");
	script("cpslow.sh", "sleep 10");
	script("cpv2.sh", "echo '{\"Version\": 2}'");
	snprintf(text, sizeof(text), "[profile proc]\ncredential_process = "
	    "%s AKIDPROC\naws_access_key_id = AKIDLATER\n"
	    "aws_secret_access_key = " SECRET "\n"
	    "[profile fail]\ncredential_process = %s\n"
	    "[profile slow]\ncredential_process = %s\n"
	    "[profile v2]\ncredential_process = %s\n"
	    "[profile empty]\ncredential_process =\n"
	    "[profile increds]\n",
	    cfgtest_path("cp.sh"), cfgtest_path("cpfail.sh"),
	    cfgtest_path("cpslow.sh"), cfgtest_path("cpv2.sh"));
	cfgtest_write_str("config", text);
	snprintf(text, sizeof(text), "[increds]\ncredential_process = %s "
	    "FROMCREDS\n", cfgtest_path("cp.sh"));
	cfgtest_write_str("credentials", text);
	opts.profile = "proc";
	chain_is("AKIDPROC", TOKEN, CREDS_SRC_PROCESS,
	    "credential_process beats config-file keys");
	{
		struct creds *c;
		struct errmsg err;

		CHECK_EQ(resolve(&c, &err, 0), 0, "process credentials");
		CHECK_EQ(c ? c->expiry : 0, 1704070800, "expiry kept");
		creds_free(c);
	}
	opts.profile = "increds";
	chain_is("FROMCREDS", TOKEN, CREDS_SRC_PROCESS,
	    "credential_process in the credentials file counts");
	opts.profile = "fail";
	chain_fails(CFG_ERR_PROCESS, msg("credential_process of profile fail: "
	    "%D/cpfail.sh exited with status 2"), "failing process");
	opts.profile = "slow";
	chain_fails(SP_ERR_TIMEOUT, msg("credential_process of profile slow: "
	    "%D/cpslow.sh did not finish within 300 ms"),
	    "timeout through creds_params");
	opts.profile = "v2";
	chain_fails(CFG_ERR_VALUE, "credential_process of profile v2: "
	    "unsupported Version 2 in the output (only 1 is supported)",
	    "Version 2 through the chain");
	opts.profile = "empty";
	chain_fails(CFG_ERR_VALUE, "credential_process of profile empty: the "
	    "command line is empty", "empty credential_process");
}

static void
test_chain_offline(void)
{
	char url[256];
	struct errmsg err;
	struct awscfg *cfg = NULL;

	reset();
	fakeenv_set(&fe, "HOME", cfgtest_dir);
	fakeenv_set(&fe, "AWS_EC2_METADATA_DISABLED", "true");
	cfgtest_write_str("credentials", "[role]\naws_access_key_id = A\n"
	    "aws_secret_access_key = " SECRET "\n");
	cfgtest_write_str("config", "[profile a]\nrole_arn = "
	    "arn:aws:iam::123456789012:role/a\nsource_profile = b\n"
	    "[profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\n"
	    "source_profile = a\n"
	    "[profile nosrc]\nrole_arn = arn:aws:iam::123456789012:role/x\n"
	    "[profile both]\nrole_arn = arn:aws:iam::123456789012:role/x\n"
	    "source_profile = role\ncredential_source = Environment\n"
	    "[profile badcs]\nrole_arn = arn:aws:iam::123456789012:role/x\n"
	    "credential_source = Moon\n"
	    "[profile missing]\nrole_arn = arn:aws:iam::123456789012:role/x\n"
	    "source_profile = nowhere\n"
	    "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\n"
	    "sso_role_name = Admin\n"
	    "[sso-session corp]\nsso_region = us-east-1\nsso_start_url = "
	    "https://corp.awsapps.com/start\n"
	    "[profile ssotokenonly]\nsso_session = corp\n"
	    "aws_access_key_id = S\naws_secret_access_key = " SECRET "\n"
	    "[profile login]\nlogin_session = x\n"
	    "[profile plain]\n");
	opts.profile = "a";
	chain_fails(CFG_ERR_VALUE, "infinite loop in credential "
	    "configuration: profile a, the source_profile of profile b, was "
	    "already visited (visited profiles: a, b)",
	    "source_profile cycle is an error naming the profiles");
	opts.profile = "nosrc";
	chain_fails(CFG_ERR_VALUE, "profile nosrc sets role_arn but neither "
	    "source_profile nor credential_source", "role_arn alone");
	opts.profile = "both";
	chain_fails(CFG_ERR_VALUE, "profile both sets both source_profile "
	    "and credential_source", "both sources");
	opts.profile = "badcs";
	chain_fails(CFG_ERR_VALUE, "profile badcs: credential_source \"Moon\" "
	    "is not one of Environment, Ec2InstanceMetadata, EcsContainer",
	    "bad credential_source");
	opts.profile = "missing";
	chain_fails(CFG_ERR_PROFILE, msg("profile nowhere (a source_profile) "
	    "not found in %D/config or %D/credentials"), "missing source");
	opts.profile = "sso";
	chain_fails(CFG_ERR_EXPIRED, "the IAM Identity Center token of "
	    "profile sso is missing: run `aws sso login --profile sso`",
	    "SSO without a token");
	opts.profile = "ssotokenonly";
	chain_is("S", NULL, CREDS_SRC_CONFIG_FILE,
	    "sso_session alone is not an SSO credential profile");
	opts.profile = "login";
	chain_fails(SP_ERR_UNSUPPORTED, "profile login uses login_session, "
	    "which ssm-proxy does not support yet", "login_session");
	opts.profile = "plain";
	chain_fails(CFG_ERR_NO_CREDS, msg("no credentials for profile plain in "
	    "the environment, %D/credentials or %D/config"),
	    "IMDS disabled: plain message");
	fakeenv_set(&fe, "AWS_EC2_METADATA_DISABLED", "");
	fakeenv_set(&fe, "AWS_EC2_METADATA_SERVICE_ENDPOINT",
	    "http://127.0.0.1:1");
	{
		struct creds *c;

		CHECK_EQ(resolve(&c, &err, 0), CFG_ERR_NO_CREDS,
		    "IMDS unreachable");
		CHECK(strstr(err.msg, "instance metadata: cannot reach "
		    "http://127.0.0.1:1") != NULL, "IMDS unreachable message");
	}
	/* Container URLs (169.254.170.2 is not reachable from tests). */
	reset();
	fakeenv_set(&fe, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	    "/v2/credentials/abc?x=1");
	fakeenv_set(&fe, "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "http://127.0.0.1:9/ignored");
	CHECK_EQ(awscfg_load(&env, &opts, &cfg, &err), 0, "load");
	CHECK_EQ(creds_container_url(cfg, url, sizeof(url), &err), 0,
	    "relative URI");
	CHECK_STR(url, "http://169.254.170.2/v2/credentials/abc?x=1",
	    "relative URI wins and goes to 169.254.170.2");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "");
	fakeenv_set(&fe, "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "http://192.0.2.1/creds");
	CHECK_EQ(awscfg_load(&env, &opts, &cfg, &err), 0, "load");
	CHECK_EQ(creds_container_url(cfg, url, sizeof(url), &err),
	    CFG_ERR_VALUE, "http to another host refused");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "https://creds.example/x");
	CHECK_EQ(awscfg_load(&env, &opts, &cfg, &err), 0, "load");
	CHECK_EQ(creds_container_url(cfg, url, sizeof(url), &err), 0,
	    "https to any host");
	CHECK_STR(url, "https://creds.example/x", "full URI kept");
	awscfg_free(cfg);
}

/* A role profile's credentials from STS at an unreachable endpoint: the
 * error says how far the chain got. */
#define NO_STS	"http://127.0.0.1:1"

static void
test_loops(void)
{
	struct creds *c;
	struct errmsg err;

	reset();
	fakeenv_set(&fe, "AWS_EC2_METADATA_DISABLED", "true");
	fakeenv_set(&fe, "AWS_ENDPOINT_URL_STS", NO_STS);
	cfgtest_write_str("config",
	    /* The same role on both sides: one cache lock for both. */
	    "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
	    "source_profile = b\n"
	    "[profile b]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
	    "source_profile = a\n"
	    "[profile c]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
	    "source_profile = d\n"
	    "[profile d]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
	    "source_profile = e\n"
	    "[profile e]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
	    "source_profile = c\n"
	    "[profile self]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
	    "source_profile = self\n"
	    "[profile selfkeys]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
	    "source_profile = selfkeys\naws_access_key_id = K\n"
	    "aws_secret_access_key = " SECRET "\n"
	    "[profile top]\nrole_arn = arn:aws:iam::123456789012:role/R\n"
	    "source_profile = selfkeys\n");
	opts.profile = "a";
	chain_fails(CFG_ERR_VALUE, "infinite loop in credential "
	    "configuration: profile a, the source_profile of profile b, was "
	    "already visited (visited profiles: a, b)",
	    "a loop of one role: an error, not a wait on our own lock");
	opts.profile = "c";
	chain_fails(CFG_ERR_VALUE, "infinite loop in credential "
	    "configuration: profile c, the source_profile of profile e, was "
	    "already visited (visited profiles: c, d, e)",
	    "a loop of three profiles");
	opts.profile = "self";
	chain_fails(CFG_ERR_VALUE, "infinite loop in credential "
	    "configuration: profile self, the source_profile of profile "
	    "self, was already visited (visited profiles: self)",
	    "a profile its own source without keys");
	/* Its own source with static keys is no loop (botocore): STS. */
	opts.profile = "selfkeys";
	CHECK_EQ(resolve(&c, &err, 0), SP_ERR_PROTOCOL,
	    "own source_profile with keys: no loop, STS is called");
	CHECK(strstr(err.msg, "profile selfkeys: cannot reach "
	    NO_STS) != NULL, "  the STS call fails");
	opts.profile = "top";
	CHECK_EQ(resolve(&c, &err, 0), SP_ERR_PROTOCOL,
	    "source is a self-sourced profile with keys: no loop");
	CHECK(strstr(err.msg, "cannot reach " NO_STS) != NULL,
	    "  the STS call fails");
}

static void
test_home(void)
{
	struct passwd *pw = getpwuid(getuid());
	struct creds *c;
	struct errmsg err;
	char *h = NULL;

	reset();
	fakeenv_set(&fe, "HOME", "");
	CHECK_EQ(awscfg_home(&env, &h, &err), 0, "HOME empty: passwd entry");
	CHECK(pw != NULL && h != NULL && strcmp(h, pw->pw_dir) == 0,
	    "  the passwd entry's directory");
	free(h);
	fakeenv_set(&fe, "HOME", "/some/where");
	CHECK_EQ(awscfg_home(&env, &h, &err), 0, "HOME set");
	CHECK_STR(h, "/some/where", "  HOME wins");
	free(h);

	/* A home that is a file: no cache, yet the chain goes on. */
	reset();
	cfgtest_write_str("homefile", "x");
	fakeenv_set(&fe, "HOME", cfgtest_path("homefile"));
	fakeenv_set(&fe, "AWS_EC2_METADATA_DISABLED", "true");
	fakeenv_set(&fe, "AWS_ENDPOINT_URL_STS", NO_STS);
	cfgtest_write_str("config", "[profile r]\nrole_arn = "
	    "arn:aws:iam::123456789012:role/R\nsource_profile = k\n"
	    "[profile k]\naws_access_key_id = K\naws_secret_access_key = "
	    SECRET "\n");
	opts.profile = "r";
	CHECK_EQ(resolve(&c, &err, 0), SP_ERR_PROTOCOL,
	    "unusable cache directory: a miss, then STS");
	CHECK(strstr(err.msg, "profile r: cannot reach " NO_STS) != NULL,
	    "  the STS call is what fails");

	/* A long home: no silent truncation anywhere. */
	{
		static char longhome[3000];
		size_t i;

		for (i = 0; i + 2 < sizeof(longhome); i += 2)
			memcpy(longhome + i, "/x", 2);
		longhome[i] = '\0';
		fakeenv_set(&fe, "HOME", longhome);
		CHECK_EQ(resolve(&c, &err, 0), SP_ERR_PROTOCOL,
		    "a home of 3000 bytes: a cache miss, then STS");
		CHECK(strstr(err.msg, "cannot reach " NO_STS) != NULL,
		    "  the STS call is what fails");
	}
}

static void
test_container_hosts(void)
{
	static const char *const ok[] = { "127.0.0.1", "127.1.2.3",
	    "localhost", "LOCALHOST", "::1", "[::1]", "0:0:0:0:0:0:0:1",
	    "::ffff:127.0.0.1", "169.254.170.2", "169.254.170.23",
	    "fd00:ec2::23", "[fd00:ec2::23]", "FD00:EC2:0::23",
	    "::ffff:169.254.170.2" };
	static const char *const bad[] = { "127.attacker.example",
	    "127.0.0.1.attacker.example", "localhost.attacker.example",
	    "169.254.170.2.nip.io", "169.254.170.20", "169.254.170.3",
	    "fd00:ec2::24", "192.0.2.1", "2130706433", "127.1", "0x7f.0.0.1",
	    "::", "0.0.0.0", "", "[127.0.0.1]", "example.com", "::2",
	    "fd00:ec2::254" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK(creds_container_host_ok(ok[i]), ok[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!creds_container_host_ok(bad[i]), bad[i]);
}

static void
container_url_is(const char *full, int want, const char *what)
{
	struct awscfg *cfg = NULL;
	struct errmsg err;
	char url[256];

	reset();
	fakeenv_set(&fe, "AWS_CONTAINER_CREDENTIALS_FULL_URI", full);
	CHECK_EQ(awscfg_load(&env, &opts, &cfg, &err), 0, "load");
	CHECK_EQ(creds_container_url(cfg, url, sizeof(url), &err), want,
	    what);
	awscfg_free(cfg);
}

static void
test_container_urls(void)
{
	container_url_is("http://127.attacker.example/creds", CFG_ERR_VALUE,
	    "http://127.attacker.example refused (no string prefix test)");
	container_url_is("http://127.0.0.1.nip.io/creds", CFG_ERR_VALUE,
	    "http://127.0.0.1.nip.io refused");
	container_url_is("http://[fd00:ec2::23]/creds", 0,
	    "http://[fd00:ec2::23] (EKS Pod Identity, IPv6)");
	container_url_is("http://169.254.170.23/v1/credentials", 0,
	    "http://169.254.170.23 (EKS Pod Identity)");
	container_url_is("http://127.0.0.2:8080/creds", 0, "any 127/8 address");
	container_url_is("http://[::1]:51679/creds", 0, "IPv6 loopback");
	container_url_is("https://127.attacker.example/creds", 0,
	    "https may name any host");
}

/* A process that holds the lock of hex in dir until told to go. */
static pid_t
hold_lock(const char *dir, const char *hex, int *release)
{
	char path[600];
	int p[2], q[2], fd;
	pid_t pid;
	char c;

	snprintf(path, sizeof(path), "%s/.ssm-proxy-%s.lock", dir, hex);
	if (pipe(p) != 0 || pipe(q) != 0)
		abort();
	if ((pid = fork()) == 0) {
		close(p[1]);
		close(q[0]);
		if ((fd = open(path, O_RDWR | O_CREAT, 0600)) < 0 ||
		    flock(fd, LOCK_EX) != 0)
			_exit(1);
		if (write(q[1], "l", 1) != 1 || read(p[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[0]);
	close(q[1]);
	if (read(q[0], &c, 1) != 1)	/* locked */
		abort();
	close(q[0]);
	*release = p[1];
	return pid;
}

static volatile sig_atomic_t test_stop;

static void
on_alarm(int sig)
{
	test_stop = sig;
}

static void
test_cache_lock(void)
{
	static const char hex[] = "0123456789abcdef0123456789abcdef01234567";
	struct credcache_wait w;
	struct creds *c = NULL, *in = NULL;
	struct errmsg note;
	struct sigaction sa;
	struct itimerval it;
	char dir[512];
	long long t0, dt;
	int lock, rel, st;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/lockdir", cfgtest_dir);
	memset(&w, 0, sizeof(w));
	/* Free lock: ours, and a miss. */
	CHECK_EQ(credcache_acquire(dir, hex, NOW, CREDS_SRC_ASSUME_ROLE, &w,
	    &c, &lock, &note), 0, "free lock");
	CHECK(lock >= 0 && c == NULL, "  taken, a miss");
	close(lock);

	pid = hold_lock(dir, hex, &rel);
	/* Busy, no wait (a refresh once the tunnel is up): a miss at once. */
	t0 = now_ms();
	CHECK_EQ(credcache_acquire(dir, hex, NOW, CREDS_SRC_ASSUME_ROLE, &w,
	    &c, &lock, &note), 0, "busy lock, wait 0");
	CHECK(lock == -1 && c == NULL && now_ms() - t0 < 1000,
	    "  no lock, no wait");
	CHECK(strstr(note.msg, "is busy") != NULL, "  the note says busy");
	/* Busy with a deadline: gives up after it. */
	w.wait_ms = 300;
	t0 = now_ms();
	CHECK_EQ(credcache_acquire(dir, hex, NOW, CREDS_SRC_ASSUME_ROLE, &w,
	    &c, &lock, &note), 0, "busy lock, wait 300 ms");
	dt = now_ms() - t0;
	CHECK(lock == -1 && c == NULL && dt >= 300 && dt < 3000,
	    "  gave up after the deadline");
	CHECK(strstr(note.msg, "gave up waiting") != NULL, "  and says so");
	/* A signal ends the wait at once (here SIGALRM stands for them). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 200000;
	setitimer(ITIMER_REAL, &it, NULL);
	w.wait_ms = 60000;
	w.stop = &test_stop;
	t0 = now_ms();
	CHECK_EQ(credcache_acquire(dir, hex, NOW, CREDS_SRC_ASSUME_ROLE, &w,
	    &c, &lock, &note), CFG_ERR_INTERRUPTED, "stop flag ends the wait");
	dt = now_ms() - t0;
	CHECK(dt < 1500, "  within a second of the signal");
	test_stop = 0;
	signal(SIGALRM, SIG_DFL);
	/* An entry written meanwhile is read without the lock. */
	CHECK_EQ(creds_new("ASIAWRITTEN", SECRET, TOKEN, NOW + 3600,
	    CREDS_SRC_ASSUME_ROLE, &in), 0, "creds");
	CHECK_EQ(credcache_store(dir, hex, in, NULL, &note), 0, "store");
	creds_free(in);
	t0 = now_ms();
	CHECK_EQ(credcache_acquire(dir, hex, NOW, CREDS_SRC_ASSUME_ROLE, &w,
	    &c, &lock, &note), 0, "busy lock, entry present");
	CHECK(c != NULL && lock == -1 && now_ms() - t0 < 3000,
	    "  the waiter reads the entry, holds no lock");
	if (c != NULL)
		CHECK_STR(c->access_key_id, "ASIAWRITTEN", "  that entry");
	creds_free(c);
	c = NULL;
	close(rel);
	waitpid(pid, &st, 0);
	w.stop = NULL;

	/* A FIFO where the entry or the lock should be: never opened as one. */
	{
		char p[700];
		static const char hex2[] =
		    "fedcba9876543210fedcba9876543210fedcba98";

		snprintf(p, sizeof(p), "%s/%s.json", dir, hex2);
		CHECK_EQ(mkfifo(p, 0600), 0, "FIFO as a cache entry");
		t0 = now_ms();
		credcache_load(dir, hex2, NOW, CREDS_SRC_ASSUME_ROLE, &c);
		CHECK(c == NULL && now_ms() - t0 < 1000, "  a miss, at once");
		unlink(p);
		snprintf(p, sizeof(p), "%s/.ssm-proxy-%s.lock", dir, hex2);
		CHECK_EQ(mkfifo(p, 0600), 0, "FIFO as the lock file");
		w.wait_ms = 0;
		CHECK_EQ(credcache_acquire(dir, hex2, NOW,
		    CREDS_SRC_ASSUME_ROLE, &w, &c, &lock, &note), 0,
		    "  acquire");
		CHECK(lock == -1 && c == NULL, "  a miss without a lock");
		CHECK(strstr(note.msg, "is not a regular file") != NULL,
		    "  the note says why");
		unlink(p);
	}
	/* A directory that cannot be created: a miss, with a note. */
	w.wait_ms = 1000;
	CHECK_EQ(credcache_acquire("/proc/self/no/such", hex, NOW,
	    CREDS_SRC_ASSUME_ROLE, &w, &c, &lock, &note), 0,
	    "uncreatable directory");
	CHECK(lock == -1 && c == NULL && strstr(note.msg, "cannot create") !=
	    NULL, "  a miss with a note");
}

static void
test_sso_fifo(void)
{
	char dir[600], p[700];
	struct creds *c;
	struct errmsg err;
	long long t0;

	reset();
	fakeenv_set(&fe, "AWS_EC2_METADATA_DISABLED", "true");
	cfgtest_write_str("config", "[profile sso]\nsso_session = corp\n"
	    "sso_account_id = 111122223333\nsso_role_name = Admin\n"
	    "[sso-session corp]\nsso_region = us-east-1\nsso_start_url = "
	    "https://corp.awsapps.com/start\n");
	opts.profile = "sso";
	snprintf(dir, sizeof(dir), "%s/.aws/sso/cache", cfgtest_dir);
	snprintf(p, sizeof(p), "%s/.aws", cfgtest_dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/.aws/sso", cfgtest_dir);
	mkdir(p, 0700);
	mkdir(dir, 0700);
	/* The file of sso_session corp: SHA-1 of "corp". */
	snprintf(p, sizeof(p), "%s/%s.json", dir,
	    "ee0bfd2552fbd840c02cc48b6e823320543c450f");
	CHECK_EQ(mkfifo(p, 0600), 0, "FIFO as the SSO token file");
	t0 = now_ms();
	CHECK_EQ(resolve(&c, &err, 0), CFG_ERR_IO, "  an error, no hang");
	CHECK(now_ms() - t0 < 2000, "  at once");
	CHECK_STR(err.msg, msg("the IAM Identity Center token cache file "
	    "%D/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json "
	    "is not a regular file"), "  naming it");
	unlink(p);
}

/* Received values are not held to any API model's maximum: tokens of
 * 20000 bytes pass everywhere; a cap, where hit, is named with sizes. */
static void
test_long_tokens(void)
{
	static char tok[20001], big[70001];
	char *xml = NULL, *json = NULL, code[64];
	struct creds *c = NULL;
	struct errmsg err;
	size_t n;

	memset(tok, 'T', sizeof(tok) - 1);
	memset(big, 'B', sizeof(big) - 1);
	n = sizeof(big) + 1000;
	xml = malloc(n);
	json = malloc(n);
	snprintf(xml, n, "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
	    "<AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>s"
	    "</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>"
	    "2024-01-01T01:00:00Z</Expiration></Credentials></AssumeRoleResult>"
	    "</AssumeRoleResponse>", tok);
	CHECK_EQ(sts_parse("AssumeRole", 200, xml, strlen(xml),
	    CREDS_SRC_ASSUME_ROLE, &c, code, &err), 0, "STS: 20000-byte token");
	CHECK(c != NULL && strlen(c->session_token) == 20000, "  kept whole");
	creds_free(c);
	snprintf(xml, n, "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
	    "<AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>s"
	    "</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>"
	    "2024-01-01T01:00:00Z</Expiration></Credentials></AssumeRoleResult>"
	    "</AssumeRoleResponse>", big);
	CHECK_EQ(sts_parse("AssumeRole", 200, xml, strlen(xml),
	    CREDS_SRC_ASSUME_ROLE, &c, code, &err), SP_ERR_TOO_LARGE,
	    "STS: 70000-byte token over the safety cap");
	CHECK_STR(err.msg, "AssumeRole: the answer of STS (HTTP 200) has a "
	    "SessionToken of 70000 bytes, over the limit of 65536",
	    "  the message names the field, its length and the limit");
	snprintf(json, n, "{\"AccessKeyId\":\"ASIAX\",\"SecretAccessKey\":\"s\","
	    "\"Token\":\"%s\",\"Expiration\":\"2024-01-01T01:00:00Z\"}", tok);
	CHECK_EQ(creds_parse_container(json, strlen(json), NOW, &c, &err), 0,
	    "container: 20000-byte token");
	CHECK(c != NULL && strlen(c->session_token) == 20000, "  kept whole");
	creds_free(c);
	CHECK_EQ(creds_parse_imds(json, strlen(json), NOW, &c, &err), 0,
	    "IMDS: 20000-byte token");
	creds_free(c);
	snprintf(json, n, "{\"AccessKeyId\":\"ASIAX\",\"SecretAccessKey\":\"s\","
	    "\"Token\":\"%s\"}", big);
	CHECK_EQ(creds_parse_container(json, strlen(json), NOW, &c, &err),
	    SP_ERR_JSON_LIMIT, "container: 70000-byte token over the cap");
	CHECK_STR(err.msg, "container credentials: the answer is over a "
	    "safety cap of the JSON parser (a string over 65536 bytes, more "
	    "than 4096 values or 32 levels)", "  the message names the cap");
	creds_free(c);
	snprintf(json, n, "{\"roleCredentials\":{\"accessKeyId\":\"ASIAX\","
	    "\"secretAccessKey\":\"s\",\"sessionToken\":\"%s\","
	    "\"expiration\":1704070800000}}", tok);
	CHECK_EQ(creds_parse_sso_role(json, strlen(json), NOW, &c, &err), 0,
	    "GetRoleCredentials: 20000-byte token");
	creds_free(c);
	snprintf(json, n, "{\"Version\":1,\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":\"s\",\"SessionToken\":\"%s\"}", tok);
	CHECK_EQ(credproc_parse(json, strlen(json), NOW, &c, &err), 0,
	    "credential_process: 20000-byte token");
	creds_free(c);
	snprintf(json, n, "{\"Credentials\":{\"AccessKeyId\":\"A\","
	    "\"SecretAccessKey\":\"s\",\"SessionToken\":\"%s\","
	    "\"Expiration\":\"2024-01-01T06:00:00Z\"}}", tok);
	CHECK_EQ(credcache_parse(json, strlen(json), NOW,
	    CREDS_SRC_ASSUME_ROLE, &c), 0, "CLI cache file: 20000-byte token");
	creds_free(c);
	snprintf(json, n, "{\"accessToken\":\"%s\","
	    "\"expiresAt\":\"2024-01-01T06:00:00Z\"}", tok);
	{
		char *at = NULL;

		CHECK_EQ(creds_parse_sso_token(json, strlen(json), NOW, &at,
		    &err), 0, "SSO token file: 20000-byte access token");
		CHECK(at != NULL && strlen(at) == 20000, "  kept whole");
		free(at);
	}
	free(xml);
	free(json);
}

static void
test_cache_keys(void)
{
	struct sts_args a;
	char *t = NULL, hex[41];

	memset(&a, 0, sizeof(a));
	a.role_arn = "arn:aws:iam::123456789012:role/x";
	a.duration_seconds = 3600;
	a.external_id = "ext\xc3\xa9\"1";
	a.serial_number = "arn:aws:iam::123456789012:mfa/u";
	a.role_session_name = "botocore-session-1";
	CHECK_EQ(credcache_role_text(&a, 1, &t), 0, "role text");
	CHECK_STR(t, "{\"DurationSeconds\": 3600, \"ExternalId\": "
	    "\"ext\\u00e9\\\"1\", \"RoleArn\": "
	    "\"arn:aws:iam::123456789012:role/x\", \"SerialNumber\": "
	    "\"arn:aws:iam::123456789012:mfa/u\"}", "python json.dumps text");
	credcache_sha1(t, hex);
	CHECK_STR(hex, "00e2c1b70759b34e6115b654c856a34c2625efdb",
	    "AWS CLI cache file name (Python hashlib)");
	free(t);
	CHECK_EQ(credcache_sso_text("https://corp.awsapps.com/start", "Admin",
	    "111122223333", "corp", &t), 0, "sso text");
	credcache_sha1(t, hex);
	CHECK_STR(hex, "9a98432b087e8fd9a40ba3573045bc981d391c6a",
	    "SSO credential cache file name");
	free(t);
}

static void
test_creds_new(void)
{
	struct creds *c = NULL;

	CHECK_EQ(creds_new("A", "S", NULL, 5, CREDS_SRC_ENV, &c), 0,
	    "creds_new");
	CHECK(c != NULL && c->session_token == NULL && c->expiry == 5,
	    "creds_new fields");
	creds_free(c);
	creds_free(NULL);
	CHECK_STR(creds_source_str(CREDS_SRC_PROCESS), "credential_process",
	    "source text");
}

int
main(void)
{
	(void)test_unhex;	/* test.h's unused attribute misses it */
	cfgtest_mkdir();
	test_parse();
	test_run();
	test_chain_env();
	test_chain_files();
	test_chain_process();
	test_chain_offline();
	test_cache_keys();
	test_creds_new();
	/* Each of these hung before its fix: a hang is a failure. */
	alarm(120);
	test_loops();
	test_home();
	test_container_hosts();
	test_container_urls();
	test_cache_lock();
	test_sso_fifo();
	test_long_tokens();
	alarm(0);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cfgtest_dir);
		if (system(cmd) != 0)
			cfgtest_rmdir();
	}
	return test_done();
}
