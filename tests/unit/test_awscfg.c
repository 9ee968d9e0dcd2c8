/*
 * Unit tests for proxy/awscfg.c, endpoint.c and noproxy.c: profile,
 * files, region, endpoint rules and overrides, retries, CA bundle and
 * proxies, with real files in a mkdtemp directory and a fake environment.
 */
#include <sys/stat.h>

#include "test.h"
#include "cfgtest.h"
#include "awscfg.h"
#include "endpoint.h"
#include "ini.h"
#include "noproxy.h"

static struct fakeenv fe;
static struct awscfg_env env;
static struct awscfg_opts opts;

/* Fresh environment and options; both files removed. */
static void
reset(void)
{
	fakeenv_init(&fe, &env);
	memset(&opts, 0, sizeof(opts));
	unlink(cfgtest_path("config"));
	unlink(cfgtest_path("credentials"));
}

/* Load; on failure NULL, with the message in err. */
static struct awscfg *
load(struct errmsg *err)
{
	struct awscfg *cfg = NULL;

	if (awscfg_load(&env, &opts, &cfg, err) != 0)
		return NULL;
	return cfg;
}

static void
load_fails(int want_r, const char *want, const char *what)
{
	struct awscfg *cfg = NULL;
	struct errmsg err;

	errmsg_clear(&err);
	CHECK_EQ(awscfg_load(&env, &opts, &cfg, &err), want_r, what);
	CHECK(cfg == NULL, what);
	CHECK_STR(err.msg, want, what);
	awscfg_free(cfg);
}

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

static void
ep_is(const struct awscfg *cfg, const char *svc, const char *region,
    const char *want, const char *what)
{
	struct awscfg_endpoint ep;
	struct errmsg err;
	int r;

	errmsg_clear(&err);
	r = awscfg_endpoint(cfg, svc, region, &ep, &err);
	CHECK_EQ(r, 0, what);
	if (r != 0)
		printf("#   error: %s\n", err.msg);
	CHECK_STR(r == 0 ? ep.url : NULL, want, what);
}

static void
ep_fails(const struct awscfg *cfg, const char *svc, int want_r,
    const char *want, const char *what)
{
	struct awscfg_endpoint ep;
	struct errmsg err;

	errmsg_clear(&err);
	CHECK_EQ(awscfg_endpoint(cfg, svc, NULL, &ep, &err), want_r, what);
	CHECK_STR(err.msg, want, what);
}

static void
test_profile_selection(void)
{
	struct awscfg *cfg;
	struct errmsg err;

	reset();
	fakeenv_set(&fe, "AWS_REGION", "us-east-1");
	cfg = load(&err);
	CHECK(cfg != NULL, "no files and no profile: fine");
	if (cfg != NULL) {
		CHECK_STR(cfg->profile, "default", "implicit default profile");
		CHECK_EQ(cfg->profile_src, AWSCFG_SRC_DEFAULT,
		    "source default");
		CHECK(cfg->config_sec == NULL && cfg->cred_sec == NULL,
		    "no sections");
		CHECK_STR(cfg->config_path, cfgtest_path("config"),
		    "AWS_CONFIG_FILE used");
		CHECK_STR(cfg->credentials_path, cfgtest_path("credentials"),
		    "AWS_SHARED_CREDENTIALS_FILE used");
	}
	awscfg_free(cfg);

	cfgtest_write_str("config", "[default]\nregion = us-west-1\n"
	    "[profile dev]\nregion = eu-west-1\n"
	    "[profile other]\nregion = eu-west-2\n"
	    "[profile x]\nregion = eu-west-3\n");
	fakeenv_set(&fe, "AWS_DEFAULT_PROFILE", "other");
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->profile : NULL, "other",
	    "AWS_DEFAULT_PROFILE alone selects");
	CHECK_STR(cfg ? cfg->profile_var : NULL, "AWS_DEFAULT_PROFILE",
	    "named variable");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_PROFILE", "dev");
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->profile : NULL, "dev",
	    "AWS_PROFILE beats AWS_DEFAULT_PROFILE (CLI v2)");
	CHECK_EQ(cfg ? (int)cfg->profile_src : -1, AWSCFG_SRC_ENV,
	    "source env");
	awscfg_free(cfg);
	opts.profile = "x";
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->profile : NULL, "x", "--profile beats both");
	CHECK_EQ(cfg ? (int)cfg->profile_src : -1, AWSCFG_SRC_OPTION,
	    "source option");
	awscfg_free(cfg);
	opts.profile = NULL;
	fakeenv_set(&fe, "AWS_PROFILE", "");
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->profile : NULL, "other",
	    "empty AWS_PROFILE counts as unset");
	awscfg_free(cfg);

	opts.profile = "nope";
	load_fails(CFG_ERR_PROFILE, msg("profile nope not found in %D/config "
	    "or %D/credentials (named by --profile)"),
	    "missing --profile is an error");
	opts.profile = NULL;
	fakeenv_set(&fe, "AWS_PROFILE", "gone");
	load_fails(CFG_ERR_PROFILE, msg("profile gone not found in %D/config "
	    "or %D/credentials (named by AWS_PROFILE)"),
	    "missing AWS_PROFILE is an error");
	reset();
	fakeenv_set(&fe, "AWS_REGION", "us-east-1");
	fakeenv_set(&fe, "AWS_PROFILE", "default");
	load_fails(CFG_ERR_PROFILE, msg("profile default not found in "
	    "%D/config or %D/credentials (named by AWS_PROFILE)"),
	    "a named default profile must exist too");
}

static void
test_profile_sections(void)
{
	static const char sections[] = "[default]\nk = 1\n"
	    "[profile default]\nk = 2\n"
	    "[profile \"my prof\"]\nk = 3\n[profile a b]\nk = 4\n"
	    "[profilez zed]\nk = 5\n[profile 'open]\nk = 6\n"
	    "[sso-session corp]\nk = 7\n[services dev]\nk = 8\n"
	    "[profile]\nk = 9\n";
	struct awscfg *cfg;
	struct errmsg err;
	struct ini *ini = NULL;

	reset();
	cfgtest_write_str("credentials", "[onlycreds]\n"
	    "aws_access_key_id = AKID\nregion = ap-south-1\n"
	    "[both]\nregion = sa-east-1\n");
	cfgtest_write_str("config", "[profile both]\nregion = ca-central-1\n"
	    "output = json\n");
	opts.profile = "onlycreds";
	cfg = load(&err);
	CHECK(cfg != NULL && cfg->cred_sec != NULL && cfg->config_sec == NULL,
	    "a profile only in the credentials file exists");
	CHECK_STR(cfg ? cfg->region : NULL, "ap-south-1",
	    "region read from the credentials file");
	awscfg_free(cfg);
	opts.profile = "both";
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->region : NULL, "sa-east-1",
	    "credentials-file key wins over config-file key");
	CHECK_STR(cfg ? awscfg_get(cfg, "output") : NULL, "json",
	    "other keys merge in from the config file");
	awscfg_free(cfg);

	CHECK_EQ(ini_parse("c", sections, strlen(sections), &ini, &err), 0,
	    "sections parse");
	if (ini == NULL)
		return;
	CHECK_STR(ini_get(ini, awscfg_find_section(ini, "profile", "default"),
	    "k"), "2", "last of [default]/[profile default] wins");
	CHECK_STR(ini_get(ini, awscfg_find_section(ini, "profile", "my prof"),
	    "k"), "3", "quoted profile name (shlex)");
	CHECK(awscfg_find_section(ini, "profile", "a") == NULL &&
	    awscfg_find_section(ini, "profile", "b") == NULL,
	    "three words name no profile");
	CHECK_STR(ini_get(ini, awscfg_find_section(ini, "profile", "zed"),
	    "k"), "5", "botocore only checks the prefix: [profilez zed]");
	CHECK(awscfg_find_section(ini, "profile", "'open") == NULL &&
	    awscfg_find_section(ini, "profile", "open") == NULL,
	    "unsplittable header is skipped");
	CHECK_STR(ini_get(ini, awscfg_find_section(ini, "sso-session",
	    "corp"), "k"), "7", "sso-session section");
	CHECK_STR(ini_get(ini, awscfg_find_section(ini, "services", "dev"),
	    "k"), "8", "services section");
	CHECK(awscfg_find_section(ini, "profile", "") == NULL,
	    "[profile] names nothing");
	ini_free(ini);
}

static void
test_paths(void)
{
	struct awscfg *cfg;
	struct errmsg err;
	char *p;
	char want[600];

	reset();
	fakeenv_set(&fe, "MYDIR", cfgtest_dir);
	fakeenv_set(&fe, "EMPTY", "");
#define EXPANDS(in, out, what) do {					\
	p = NULL;							\
	CHECK_EQ(awscfg_expand_path(&env, (in), &p, &err), 0, what);	\
	CHECK_STR(p, (out), what);					\
	free(p);							\
} while (0)
	EXPANDS("~", cfgtest_dir, "~ alone");
	snprintf(want, sizeof(want), "%s/.aws/config", cfgtest_dir);
	EXPANDS("~/.aws/config", want, "~/ prefix");
	EXPANDS("$MYDIR/.aws/config", want, "$VAR");
	EXPANDS("${MYDIR}/.aws/config", want, "${VAR}");
	EXPANDS("$NOPE/x", "$NOPE/x", "unknown $VAR kept");
	EXPANDS("${NOPE}x", "${NOPE}x", "unknown ${VAR} kept");
	EXPANDS("a$EMPTY/b", "a/b", "empty variable expands to nothing");
	EXPANDS("$", "$", "lone $");
	EXPANDS("x$/y", "x$/y", "$ before a non-word character");
	EXPANDS("~root/x", "/root/x", "~user");
	EXPANDS("~no-such-user-ssm/x", "~no-such-user-ssm/x",
	    "unknown ~user kept");
	EXPANDS("/abs/~/x", "/abs/~/x", "~ only at the start");
	EXPANDS("rel", "rel", "relative path unchanged");
	fakeenv_set(&fe, "HOME", "/home/u/");
	EXPANDS("~/x", "/home/u/x", "HOME trailing slash dropped");
	fakeenv_set(&fe, "HOME", "/");
	EXPANDS("~", "/", "HOME=/ gives /");

	/* Default locations under HOME. */
	reset();
	fe.n = 0;
	fakeenv_set(&fe, "HOME", cfgtest_dir);
	fakeenv_set(&fe, "AWS_REGION", "us-east-1");
	mkdir(cfgtest_path(".aws"), 0700);
	cfgtest_write_str(".aws/config", "[profile home]\n");
	opts.profile = "home";
	cfg = load(&err);
	CHECK(cfg != NULL && cfg->config_sec != NULL,
	    "~/.aws/config read by default");
	snprintf(want, sizeof(want), "%s/.aws/credentials", cfgtest_dir);
	CHECK_STR(cfg ? cfg->credentials_path : NULL, want,
	    "~/.aws/credentials by default");
	awscfg_free(cfg);
	unlink(cfgtest_path(".aws/config"));
	rmdir(cfgtest_path(".aws"));

	reset();
	fakeenv_set(&fe, "AWS_REGION", "us-east-1");
	fakeenv_set(&fe, "AWS_CONFIG_FILE", "~/cfg-$TAG");
	fakeenv_set(&fe, "TAG", "a");
	cfgtest_write_str("cfg-a", "[profile viaenv]\n");
	opts.profile = "viaenv";
	cfg = load(&err);
	CHECK(cfg != NULL && cfg->config_sec != NULL,
	    "AWS_CONFIG_FILE is expanded like botocore");
	awscfg_free(cfg);
	cfgtest_write_str("cfg-a", "[profile viaenv]\nbad line\n");
	load_fails(CFG_ERR_SYNTAX, msg("%D/cfg-a:2: expected \"key = value\", "
	    "a [section] header or a comment"), "config syntax error");
	unlink(cfgtest_path("cfg-a"));
}

static void
test_region(void)
{
	struct awscfg *cfg;
	struct errmsg err;

	reset();
	cfgtest_write_str("config", "[default]\nregion = eu-central-1\n"
	    "[profile noregion]\noutput = text\n");
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->region : NULL, "eu-central-1", "profile region");
	CHECK_EQ(cfg ? (int)cfg->region_src : -1, AWSCFG_SRC_PROFILE,
	    "region source profile");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_DEFAULT_REGION", "eu-north-1");
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->region : NULL, "eu-north-1",
	    "AWS_DEFAULT_REGION beats profile");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_REGION", "ap-northeast-1");
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->region : NULL, "ap-northeast-1",
	    "AWS_REGION beats AWS_DEFAULT_REGION");
	CHECK_STR(cfg ? cfg->region_var : NULL, "AWS_REGION", "region var");
	awscfg_free(cfg);
	opts.region = "us-gov-west-1";
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->region : NULL, "us-gov-west-1",
	    "--region beats everything");
	CHECK_EQ(cfg ? (int)cfg->region_src : -1, AWSCFG_SRC_OPTION, "option");
	awscfg_free(cfg);
	opts.region = "us east 1";
	load_fails(CFG_ERR_VALUE, "invalid region \"us east 1\" from --region: "
	    "expected a name such as us-east-1", "invalid region");
	opts.region = NULL;
	fakeenv_set(&fe, "AWS_REGION", "-bad");
	load_fails(CFG_ERR_VALUE, "invalid region \"-bad\" from AWS_REGION: "
	    "expected a name such as us-east-1", "leading - refused");
	fakeenv_set(&fe, "AWS_REGION", "12345");
	load_fails(CFG_ERR_VALUE, "invalid region \"12345\" from AWS_REGION: "
	    "expected a name such as us-east-1", "all digits refused");
	reset();
	cfgtest_write_str("config", "[default]\nregion = a.b\n");
	load_fails(CFG_ERR_VALUE, msg("invalid region \"a.b\" from profile "
	    "default (%D/config:2): expected a name such as us-east-1"),
	    "invalid profile region names file and line");
	opts.profile = NULL;
	cfgtest_write_str("config", "[profile noregion]\n");
	opts.profile = "noregion";
	load_fails(CFG_ERR_NO_REGION, msg("no region configured: use --region, "
	    "set AWS_REGION or add \"region = ...\" to profile noregion in "
	    "%D/config"), "no region anywhere");
	/* The source_profile chain: the first profile that names one. */
	cfgtest_write_str("config", "[profile top]\nrole_arn = a\n"
	    "source_profile = mid\n[profile mid]\nrole_arn = b\n"
	    "source_profile = base\n[profile base]\nregion = eu-west-3\n"
	    "[profile c1]\nsource_profile = c2\n[profile c2]\n"
	    "source_profile = c1\n");
	cfgtest_write_str("credentials", "[mid]\nregion = ap-south-1\n");
	opts.profile = "top";
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->region : "(null)", "ap-south-1",
	    "region of the first source_profile that has one (credentials)");
	CHECK_EQ(cfg ? (int)cfg->region_src : -1, AWSCFG_SRC_PROFILE,
	    "source_profile region counts as profile");
	awscfg_free(cfg);
	unlink(cfgtest_path("credentials"));
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->region : "(null)", "eu-west-3",
	    "region two links down the chain");
	awscfg_free(cfg);
	opts.profile = "c1";
	load_fails(CFG_ERR_NO_REGION, msg("no region configured: use --region, "
	    "set AWS_REGION or add \"region = ...\" to profile c1 in "
	    "%D/config"), "a source_profile cycle ends the walk");
	/* Instance metadata: deferred to the caller when asked. */
	opts.region_imds = 1;
	cfg = load(&err);
	CHECK(cfg != NULL && cfg->region == NULL &&
	    cfg->region_src == AWSCFG_SRC_IMDS, "region_imds: NULL region");
	CHECK_STR(awscfg_src_str(AWSCFG_SRC_IMDS), "instance metadata",
	    "IMDS source name");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_EC2_METADATA_DISABLED", "TRUE");
	load_fails(CFG_ERR_NO_REGION, msg("no region configured: use --region, "
	    "set AWS_REGION or add \"region = ...\" to profile c1 in "
	    "%D/config"), "AWS_EC2_METADATA_DISABLED: no IMDS region");
	opts.region_imds = 0;
	opts.profile = NULL;
	CHECK(endpoint_region_valid("us-east-1") &&
	    endpoint_region_valid("aws-global") &&
	    !endpoint_region_valid("") && !endpoint_region_valid("us-") &&
	    !endpoint_region_valid("a/b") &&
	    !endpoint_region_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaa") &&
	    endpoint_region_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaa"), "region syntax (63 chars max)");
}

/* Config for region with FIPS/dual-stack from the environment. */
static struct awscfg *
variant(const char *region, const char *fips, const char *ds)
{
	struct errmsg err;

	reset();
	fakeenv_set(&fe, "AWS_REGION", region);
	if (fips != NULL)
		fakeenv_set(&fe, "AWS_USE_FIPS_ENDPOINT", fips);
	if (ds != NULL)
		fakeenv_set(&fe, "AWS_USE_DUALSTACK_ENDPOINT", ds);
	return load(&err);
}

static void
test_partitions(void)
{
	static const struct { const char *region, *id, *dns, *ds; } t[] = {
		{ "us-east-1", "aws", "amazonaws.com", "api.aws" },
		{ "il-central-1", "aws", "amazonaws.com", "api.aws" },
		{ "mx-central-1", "aws", "amazonaws.com", "api.aws" },
		{ "aws-global", "aws", "amazonaws.com", "api.aws" },
		{ "cn-north-1", "aws-cn", "amazonaws.com.cn",
		    "api.amazonwebservices.com.cn" },
		{ "us-gov-east-1", "aws-us-gov", "amazonaws.com", "api.aws" },
		{ "us-iso-east-1", "aws-iso", "c2s.ic.gov", "api.aws.ic.gov" },
		{ "us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov",
		    "api.aws.scloud" },
		{ "eu-isoe-west-1", "aws-iso-e", "cloud.adc-e.uk",
		    "api.cloud-aws.adc-e.uk" },
		{ "us-isof-south-1", "aws-iso-f", "csp.hci.ic.gov",
		    "api.aws.hci.ic.gov" },
		{ "eusc-de-east-1", "aws-eusc", "amazonaws.eu",
		    "api.amazonwebservices.eu" },
		{ "xx-nowhere-1", "aws", "amazonaws.com", "api.aws" },
		{ "us-gov-west", "aws", "amazonaws.com", "api.aws" },
		{ "cn-north-1a", "aws", "amazonaws.com", "api.aws" },
	};
	const struct partition *p;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p = endpoint_partition(t[i].region);
		CHECK_STR(p->id, t[i].id, t[i].region);
		CHECK_STR(p->dns_suffix, t[i].dns, t[i].region);
		CHECK_STR(p->dualstack_dns_suffix, t[i].ds, t[i].region);
	}
	CHECK_STR(endpoint_partition("us-gov-west-1")->implicit_global_region,
	    "us-gov-west-1", "implicit global region");
	CHECK(endpoint_service("ssm") != NULL &&
	    endpoint_service("ssmmessages") == NULL, "service table");
}

static void
test_default_endpoints(void)
{
	struct awscfg *cfg;

	/* The examples of proxy/aws/AWS-APIS.md "Hostnames". */
	cfg = variant("eu-west-1", NULL, NULL);
	ep_is(cfg, "ssm", NULL, "https://ssm.eu-west-1.amazonaws.com",
	    "ssm eu-west-1");
	ep_is(cfg, "kms", NULL, "https://kms.eu-west-1.amazonaws.com",
	    "kms eu-west-1");
	ep_is(cfg, "sso", NULL, "https://portal.sso.eu-west-1.amazonaws.com",
	    "sso portal");
	ep_is(cfg, "sso", "us-east-1",
	    "https://portal.sso.us-east-1.amazonaws.com",
	    "sso with its own sso_region");
	ep_is(cfg, "sts", NULL, "https://sts.eu-west-1.amazonaws.com",
	    "sts regional by default");
	ep_fails(cfg, "s3", SP_ERR_INVALID_ARG, "unknown service \"s3\"",
	    "unknown service");
	awscfg_free(cfg);
	cfg = variant("cn-north-1", NULL, NULL);
	ep_is(cfg, "ssm", NULL, "https://ssm.cn-north-1.amazonaws.com.cn",
	    "ssm China");
	awscfg_free(cfg);
	cfg = variant("cn-northwest-1", NULL, NULL);
	ep_is(cfg, "ec2-instance-connect", NULL,
	    "https://ec2-instance-connect.cn-northwest-1.amazonaws.com.cn",
	    "EC2 Instance Connect China");
	awscfg_free(cfg);
	cfg = variant("cn-northwest-1", NULL, "true");
	ep_is(cfg, "ssm", NULL,
	    "https://ssm.cn-northwest-1.api.amazonwebservices.com.cn",
	    "ssm China dual-stack");
	awscfg_free(cfg);
	cfg = variant("us-gov-west-1", NULL, NULL);
	ep_is(cfg, "ssm", NULL, "https://ssm.us-gov-west-1.amazonaws.com",
	    "ssm GovCloud");
	awscfg_free(cfg);
	cfg = variant("us-east-1", "true", NULL);
	ep_is(cfg, "ssm", NULL, "https://ssm-fips.us-east-1.amazonaws.com",
	    "ssm FIPS");
	ep_is(cfg, "ec2-instance-connect", NULL,
	    "https://ec2-instance-connect-fips.us-east-1.amazonaws.com",
	    "EC2 Instance Connect FIPS");
	ep_is(cfg, "sso", NULL,
	    "https://portal.sso-fips.us-east-1.amazonaws.com", "sso FIPS");
	ep_is(cfg, "sts", NULL, "https://sts-fips.us-east-1.amazonaws.com",
	    "sts FIPS");
	awscfg_free(cfg);
	cfg = variant("us-east-1", NULL, "true");
	ep_is(cfg, "ssm", NULL, "https://ssm.us-east-1.api.aws",
	    "ssm dual-stack");
	awscfg_free(cfg);
	cfg = variant("us-east-1", "TRUE", "True");
	ep_is(cfg, "ssm", NULL, "https://ssm-fips.us-east-1.api.aws",
	    "ssm FIPS + dual-stack (booleans ignore case)");
	awscfg_free(cfg);
	cfg = variant("us-gov-west-1", "true", NULL);
	ep_is(cfg, "ssm", NULL, "https://ssm.us-gov-west-1.amazonaws.com",
	    "GovCloud FIPS SSM is the standard host");
	ep_is(cfg, "sts", NULL, "https://sts.us-gov-west-1.amazonaws.com",
	    "GovCloud FIPS STS is the standard host");
	ep_is(cfg, "sso", NULL,
	    "https://portal.sso.us-gov-west-1.amazonaws.com",
	    "GovCloud FIPS SSO is the standard host");
	ep_is(cfg, "kms", NULL, "https://kms-fips.us-gov-west-1.amazonaws.com",
	    "GovCloud FIPS KMS has a -fips host");
	ep_is(cfg, "ec2-instance-connect", NULL,
	    "https://ec2-instance-connect-fips.us-gov-west-1.amazonaws.com",
	    "GovCloud FIPS EC2 Instance Connect has a -fips host");
	awscfg_free(cfg);
	cfg = variant("us-gov-east-1", "true", "true");
	ep_is(cfg, "ssm", NULL, "https://ssm-fips.us-gov-east-1.api.aws",
	    "GovCloud FIPS + dual-stack uses ssm-fips");
	awscfg_free(cfg);
	cfg = variant("us-iso-east-1", NULL, NULL);
	ep_is(cfg, "ssm", NULL, "https://ssm.us-iso-east-1.c2s.ic.gov",
	    "ISO partition");
	awscfg_free(cfg);
	cfg = variant("eusc-de-east-1", NULL, NULL);
	ep_is(cfg, "ssm", NULL, "https://ssm.eusc-de-east-1.amazonaws.eu",
	    "European sovereign cloud");
	awscfg_free(cfg);
	cfg = variant("us-east-1", "1", "yes");
	CHECK(cfg != NULL && !cfg->use_fips && !cfg->use_dualstack,
	    "only \"true\" is true (ensure_boolean)");
	awscfg_free(cfg);
}

static void
test_sts(void)
{
	struct awscfg_endpoint ep;
	struct awscfg *cfg;
	struct errmsg err;

	cfg = variant("aws-global", NULL, NULL);
	CHECK_EQ(cfg ? awscfg_endpoint(cfg, "sts", NULL, &ep, &err) : -1, 0,
	    "sts aws-global");
	CHECK_STR(ep.url, "https://sts.amazonaws.com", "aws-global host");
	CHECK_STR(ep.signing_region, "us-east-1", "aws-global signs us-east-1");
	awscfg_free(cfg);
	reset();
	fakeenv_set(&fe, "AWS_REGION", "eu-west-1");
	cfgtest_write_str("config", "[default]\nsts_regional_endpoints = "
	    "legacy\n");
	cfg = load(&err);
	CHECK_EQ(cfg ? awscfg_endpoint(cfg, "sts", NULL, &ep, &err) : -1, 0,
	    "sts legacy");
	CHECK_STR(ep.url, "https://sts.amazonaws.com", "legacy: global host");
	CHECK_STR(ep.signing_region, "us-east-1", "legacy: signs us-east-1");
	ep_is(cfg, "sts", "ap-east-1", "https://sts.ap-east-1.amazonaws.com",
	    "legacy: newer regions stay regional");
	ep_is(cfg, "ssm", NULL, "https://ssm.eu-west-1.amazonaws.com",
	    "legacy does not touch ssm");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_STS_REGIONAL_ENDPOINTS", "regional");
	cfg = load(&err);
	ep_is(cfg, "sts", NULL, "https://sts.eu-west-1.amazonaws.com",
	    "environment beats config for sts_regional_endpoints");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_STS_REGIONAL_ENDPOINTS", "global");
	cfg = load(&err);
	CHECK(cfg != NULL, "a bad sts setting does not stop loading");
	ep_fails(cfg, "sts", CFG_ERR_VALUE, "invalid sts_regional_endpoints "
	    "\"global\" from AWS_STS_REGIONAL_ENDPOINTS: expected legacy or "
	    "regional", "bad sts_regional_endpoints");
	ep_is(cfg, "ssm", NULL, "https://ssm.eu-west-1.amazonaws.com",
	    "bad sts setting only matters for sts");
	awscfg_free(cfg);
}

static void
test_overrides(void)
{
	struct awscfg_endpoint ep;
	struct awscfg *cfg;
	struct errmsg err;

	reset();
	cfgtest_write_str("config", "[profile dev]\n"
	    "region = eu-west-1\n"
	    "services = dev-endpoints\n"
	    "endpoint_url = https://profile.example\n"
	    "[services dev-endpoints]\n"
	    "ssm =\n"
	    "  endpoint_url = https://ssm.example.internal\n"
	    "ec2_instance_connect =\n"
	    "  endpoint_url = https://eic.example.internal:8443/base\n");
	opts.profile = "dev";
	cfg = load(&err);
	CHECK(cfg != NULL, "services example loads");
	ep_is(cfg, "ssm", NULL, "https://ssm.example.internal",
	    "services section (AWS-APIS.md \"Endpoint overrides\")");
	ep_is(cfg, "ec2-instance-connect", NULL,
	    "https://eic.example.internal:8443/base",
	    "services key ec2_instance_connect");
	ep_is(cfg, "kms", NULL, "https://profile.example",
	    "profile endpoint_url when the services section has no kms");
	CHECK_EQ(cfg ? awscfg_endpoint(cfg, "ssm", NULL, &ep, &err) : -1, 0,
	    "ssm endpoint");
	CHECK_EQ(ep.src, AWSCFG_SRC_SERVICES, "source services");
	CHECK_STR(ep.signing_region, "eu-west-1",
	    "overrides sign with the configured region");
	awscfg_free(cfg);

	fakeenv_set(&fe, "AWS_ENDPOINT_URL", "http://global.example");
	cfg = load(&err);
	ep_is(cfg, "ssm", NULL, "http://global.example",
	    "AWS_ENDPOINT_URL beats the services section");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_ENDPOINT_URL_SSM", "http://127.0.0.1:4566");
	fakeenv_set(&fe, "AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT",
	    "http://eic.local");
	cfg = load(&err);
	ep_is(cfg, "ssm", NULL, "http://127.0.0.1:4566",
	    "AWS_ENDPOINT_URL_SSM beats AWS_ENDPOINT_URL");
	ep_is(cfg, "ec2-instance-connect", NULL, "http://eic.local",
	    "AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT");
	ep_is(cfg, "kms", NULL, "http://global.example",
	    "other services fall back to AWS_ENDPOINT_URL");
	awscfg_free(cfg);
	opts.endpoint_url = "https://flag.example:9443";
	cfg = load(&err);
	CHECK_EQ(cfg ? awscfg_endpoint(cfg, "ssm", NULL, &ep, &err) : -1, 0,
	    "flag endpoint");
	CHECK_STR(ep.url, "https://flag.example:9443",
	    "--endpoint-url beats everything for ssm");
	CHECK_EQ(ep.src, AWSCFG_SRC_OPTION, "source option");
	ep_is(cfg, "kms", NULL, "http://global.example",
	    "--endpoint-url is for ssm only");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
	cfg = load(&err);
	ep_is(cfg, "ssm", NULL, "https://flag.example:9443",
	    "ignore_configured_endpoint_urls keeps --endpoint-url");
	ep_is(cfg, "kms", NULL, "https://kms.eu-west-1.amazonaws.com",
	    "ignore_configured_endpoint_urls drops env and config");
	awscfg_free(cfg);
	opts.endpoint_url = NULL;
	cfg = load(&err);
	ep_is(cfg, "ssm", NULL, "https://ssm.eu-west-1.amazonaws.com",
	    "ignore: ssm back to the partition host");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_ENDPOINT_URL_SSM", "");
	fakeenv_set(&fe, "AWS_ENDPOINT_URL", "");
	fakeenv_set(&fe, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "");
	cfg = load(&err);
	ep_is(cfg, "ssm", NULL, "https://ssm.example.internal",
	    "empty variables count as unset");
	awscfg_free(cfg);

	/* ignore_configured_endpoint_urls in the profile; env false wins. */
	reset();
	cfgtest_write_str("config", "[default]\nregion = us-east-2\n"
	    "endpoint_url = https://profile.example\n"
	    "ignore_configured_endpoint_urls = true\n");
	cfg = load(&err);
	ep_is(cfg, "ssm", NULL, "https://ssm.us-east-2.amazonaws.com",
	    "profile ignore_configured_endpoint_urls");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false");
	cfg = load(&err);
	ep_is(cfg, "ssm", NULL, "https://profile.example",
	    "environment false beats profile true");
	CHECK_EQ(cfg ? awscfg_endpoint(cfg, "ssm", NULL, &ep, &err) : -1, 0,
	    "profile endpoint");
	CHECK_STR(ep.src_name, msg("profile default (%D/config:3)"),
	    "source names file and line");
	awscfg_free(cfg);

	/* Custom endpoints exclude FIPS and dual-stack. */
	fakeenv_set(&fe, "AWS_USE_FIPS_ENDPOINT", "true");
	cfg = load(&err);
	ep_fails(cfg, "ssm", CFG_ERR_VALUE, msg("FIPS endpoints cannot be "
	    "used with the custom ssm endpoint from profile default "
	    "(%D/config:3)"), "FIPS with a custom endpoint");
	awscfg_free(cfg);
	reset();
	fakeenv_set(&fe, "AWS_REGION", "us-east-1");
	fakeenv_set(&fe, "AWS_USE_DUALSTACK_ENDPOINT", "true");
	opts.endpoint_url = "https://x.example";
	cfg = load(&err);
	ep_fails(cfg, "ssm", CFG_ERR_VALUE, "dual-stack endpoints cannot be "
	    "used with the custom ssm endpoint from --endpoint-url",
	    "dual-stack with --endpoint-url");
	awscfg_free(cfg);
	opts.endpoint_url = "localhost:8080";
	load_fails(CFG_ERR_VALUE, "invalid endpoint URL \"localhost:8080\" "
	    "from --endpoint-url: expected http:// or https:// and a host",
	    "--endpoint-url needs a scheme");
	opts.endpoint_url = NULL;
	fakeenv_set(&fe, "AWS_USE_DUALSTACK_ENDPOINT", "false");
	fakeenv_set(&fe, "AWS_ENDPOINT_URL_KMS", "ftp://kms.example");
	cfg = load(&err);
	ep_fails(cfg, "kms", CFG_ERR_VALUE, "invalid endpoint URL "
	    "\"ftp://kms.example\" from AWS_ENDPOINT_URL_KMS: expected "
	    "http:// or https:// and a host", "bad URL scheme");
	awscfg_free(cfg);

	/* A services reference to a missing section. */
	reset();
	cfgtest_write_str("config", "[default]\nregion = us-east-1\n"
	    "services = nowhere\n[services empty]\n");
	cfg = load(&err);
	ep_fails(cfg, "ssm", CFG_ERR_VALUE, msg("profile default sets "
	    "services = nowhere but %D/config has no [services nowhere] "
	    "section"), "missing services section");
	awscfg_free(cfg);
	cfgtest_write_str("config", "[default]\nregion = us-east-1\n"
	    "services = empty\n[services empty]\n");
	cfg = load(&err);
	ep_fails(cfg, "ssm", CFG_ERR_VALUE, msg("profile default sets "
	    "services = empty but %D/config has no [services empty] "
	    "section"), "empty services section counts as missing");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_ENDPOINT_URL_SSM", "https://env.example");
	cfg = load(&err);
	ep_is(cfg, "ssm", NULL, "https://env.example",
	    "the services section is not read when env decides");
	awscfg_free(cfg);
}

static void
test_retry_ca(void)
{
	struct awscfg *cfg;
	struct errmsg err;

	reset();
	fakeenv_set(&fe, "AWS_REGION", "us-east-1");
	cfg = load(&err);
	CHECK(cfg != NULL && cfg->retry_mode == AWSCFG_RETRY_STANDARD &&
	    cfg->max_attempts == 3, "defaults: standard, 3 attempts (CLI v2)");
	CHECK(cfg != NULL && cfg->ca_bundle == NULL, "no CA bundle");
	CHECK(cfg != NULL && cfg->https_proxy == NULL && cfg->no_proxy == NULL,
	    "no proxy");
	awscfg_free(cfg);
	cfgtest_write_str("config", "[default]\nretry_mode = adaptive\n"
	    "max_attempts = 7\nca_bundle = /etc/profile-ca.pem\n");
	cfg = load(&err);
	CHECK(cfg != NULL && cfg->retry_mode == AWSCFG_RETRY_ADAPTIVE &&
	    cfg->max_attempts == 7, "retry settings from the profile");
	CHECK_STR(cfg ? cfg->ca_bundle : NULL, "/etc/profile-ca.pem",
	    "ca_bundle from the profile");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_RETRY_MODE", "legacy");
	fakeenv_set(&fe, "AWS_MAX_ATTEMPTS", " +5 ");
	fakeenv_set(&fe, "AWS_CA_BUNDLE", "/etc/env-ca.pem");
	cfg = load(&err);
	CHECK(cfg != NULL && cfg->retry_mode == AWSCFG_RETRY_LEGACY &&
	    cfg->max_attempts == 5, "environment beats profile for retries");
	CHECK_STR(cfg ? cfg->ca_bundle : NULL, "/etc/env-ca.pem",
	    "AWS_CA_BUNDLE beats ca_bundle");
	awscfg_free(cfg);
	opts.ca_bundle = "/etc/flag-ca.pem";
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->ca_bundle : NULL, "/etc/flag-ca.pem",
	    "--ca-bundle beats AWS_CA_BUNDLE");
	awscfg_free(cfg);
	fakeenv_set(&fe, "AWS_RETRY_MODE", "Standard");
	load_fails(CFG_ERR_VALUE, "invalid retry_mode \"Standard\" from "
	    "AWS_RETRY_MODE: expected legacy, standard or adaptive",
	    "retry mode is case-sensitive");
	fakeenv_set(&fe, "AWS_RETRY_MODE", "standard");
	fakeenv_set(&fe, "AWS_MAX_ATTEMPTS", "0");
	load_fails(CFG_ERR_VALUE, "invalid max_attempts \"0\" from "
	    "AWS_MAX_ATTEMPTS: expected an integer of at least 1",
	    "max_attempts 0");
	fakeenv_set(&fe, "AWS_MAX_ATTEMPTS", "3.5");
	load_fails(CFG_ERR_VALUE, "invalid max_attempts \"3.5\" from "
	    "AWS_MAX_ATTEMPTS: expected an integer of at least 1",
	    "max_attempts not an integer");
	fakeenv_set(&fe, "AWS_MAX_ATTEMPTS", "99999999999");
	load_fails(CFG_ERR_VALUE, "invalid max_attempts \"99999999999\" from "
	    "AWS_MAX_ATTEMPTS: expected an integer of at least 1",
	    "max_attempts overflow");
	fakeenv_set(&fe, "AWS_MAX_ATTEMPTS", "");
	cfgtest_write_str("config", "[default]\nmax_attempts = -1\n");
	load_fails(CFG_ERR_VALUE, msg("invalid max_attempts \"-1\" from "
	    "profile default (%D/config:2): expected an integer of at least 1"),
	    "bad max_attempts in the profile names the line");
}

static void
test_proxy_settings(void)
{
	struct awscfg *cfg;
	struct errmsg err;

	reset();
	fakeenv_set(&fe, "AWS_REGION", "us-east-1");
	fakeenv_set(&fe, "HTTPS_PROXY", "http://upper:3128");
	fakeenv_set(&fe, "NO_PROXY", "upper.example");
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->https_proxy : NULL, "http://upper:3128",
	    "HTTPS_PROXY");
	CHECK_STR(cfg ? awscfg_https_proxy_for(cfg,
	    "ssm.us-east-1.amazonaws.com", 443) : NULL, "http://upper:3128",
	    "proxied host");
	CHECK(cfg != NULL && awscfg_https_proxy_for(cfg, "a.upper.example",
	    443) == NULL, "NO_PROXY bypass");
	awscfg_free(cfg);
	fakeenv_set(&fe, "https_proxy", "http://lower:8080");
	fakeenv_set(&fe, "no_proxy", ".amazonaws.com");
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->https_proxy : NULL, "http://lower:8080",
	    "https_proxy beats HTTPS_PROXY");
	CHECK(cfg != NULL && awscfg_https_proxy_for(cfg,
	    "ssm.us-east-1.amazonaws.com", 443) == NULL,
	    "no_proxy beats NO_PROXY");
	CHECK_STR(cfg ? awscfg_https_proxy_for(cfg, "upper.example", 443) :
	    NULL, "http://lower:8080", "NO_PROXY hidden by no_proxy");
	awscfg_free(cfg);
	fakeenv_set(&fe, "https_proxy", "");
	cfg = load(&err);
	CHECK(cfg != NULL && cfg->https_proxy == NULL,
	    "empty https_proxy disables HTTPS_PROXY (urllib)");
	awscfg_free(cfg);
}

static void
test_noproxy(void)
{
	static const struct {
		const char *list, *host;
		int port, want;
	} t[] = {
		{ NULL, "example.com", 443, 0 },
		{ "", "example.com", 443, 0 },
		{ "*", "anything.example", 443, 1 },
		{ "a.example, *", "x.example", 443, 1 },
		{ "example.com", "example.com", 443, 1 },
		{ "example.com", "EXAMPLE.com.", 443, 1 },
		{ "example.com", "sub.example.com", 443, 1 },
		{ "example.com", "badexample.com", 443, 0 },
		{ ".example.com", "example.com", 443, 1 },
		{ ".example.com", "a.b.example.com", 443, 1 },
		{ "..example.com", "a.example.com", 443, 1 },
		{ "other.org,  example.com ,x", "www.example.com", 443, 1 },
		{ "other.org,,", "www.example.com", 443, 0 },
		{ "Example.COM", "www.example.com", 443, 1 },
		{ "example.com:8443", "example.com", 8443, 1 },
		{ "example.com:8443", "example.com", 443, 0 },
		{ "example.com:8443", "a.example.com", 8443, 1 },
		{ "10.0.0.1", "10.0.0.1", 443, 1 },
		{ "10.0.0.1", "10.0.0.10", 443, 0 },
		{ "0.1", "10.0.0.1", 443, 0 },
		{ "10.0.0.0/8", "10.200.3.4", 443, 1 },
		{ "10.0.0.0/8", "11.0.0.1", 443, 0 },
		{ "192.168.1.0/25", "192.168.1.127", 443, 1 },
		{ "192.168.1.0/25", "192.168.1.128", 443, 0 },
		{ "169.254.169.254", "169.254.169.254", 80, 1 },
		{ "::1", "::1", 443, 1 },
		{ "::1", "[::1]", 443, 1 },
		{ "[::1]", "0:0:0:0:0:0:0:1", 443, 1 },
		{ "[::1]:443", "::1", 443, 1 },
		{ "[::1]:443", "::1", 80, 0 },
		{ "fd00::/8", "fd00:ec2::254", 80, 1 },
		{ "fd00::/8", "fe80::1", 80, 0 },
		{ "10.0.0.0/33", "10.0.0.1", 443, 0 },
		{ "10.0.0.1:443", "10.0.0.1", 443, 1 },
		{ "localhost", "127.0.0.1", 443, 0 },
		{ "example.com", "10.0.0.1", 443, 0 },
	};
	char what[160];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(what, sizeof(what), "NO_PROXY \"%s\" vs %s:%d",
		    t[i].list ? t[i].list : "(null)", t[i].host, t[i].port);
		CHECK_EQ(noproxy_match(t[i].list, t[i].host, t[i].port),
		    t[i].want, what);
	}
}

static void
test_merge_defaults(void)
{
	struct awscfg *cfg;
	struct errmsg err;

	reset();
	cfgtest_write_str("config", "[DEFAULT]\nregion = eu-south-1\n"
	    "[profile a]\noutput = json\n");
	cfgtest_write_str("credentials", "[a]\naws_access_key_id = AKIDA\n");
	opts.profile = "a";
	cfg = load(&err);
	CHECK_STR(cfg ? cfg->region : NULL, "eu-south-1",
	    "config [DEFAULT] keys reach every profile (configparser)");
	CHECK(cfg != NULL && awscfg_has(cfg, "aws_access_key_id") &&
	    !awscfg_has(cfg, "role_arn"), "awscfg_has");
	awscfg_free(cfg);
}

int
main(void)
{
	(void)test_unhex;	/* test.h's unused attribute misses it */
	cfgtest_mkdir();
	test_profile_selection();
	test_profile_sections();
	test_paths();
	test_region();
	test_partitions();
	test_default_endpoints();
	test_sts();
	test_overrides();
	test_retry_ca();
	test_proxy_settings();
	test_noproxy();
	test_merge_defaults();
	cfgtest_rmdir();
	return test_done();
}
