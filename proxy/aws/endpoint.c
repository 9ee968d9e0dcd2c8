/*
 * Partition table and endpoint host rules; see endpoint.h.  The table is
 * botocore's data/partitions.json; the rules are those of the services'
 * endpoint-rule-set-1.json (all six have the same shape, with a plain
 * host for FIPS in aws-us-gov for ssm, sts, sso and ec2).
 */
#include <stdio.h>
#include <string.h>

#include "endpoint.h"

/* Order matters: patterns are tried in this (partitions.json) order. */
static const struct partition partitions[] = {
	{ "aws", "amazonaws.com", "api.aws", "us-east-1", 1, 1 },
	{ "aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn",
	    "cn-northwest-1", 1, 1 },
	{ "aws-eusc", "amazonaws.eu", "api.amazonwebservices.eu",
	    "eusc-de-east-1", 1, 1 },
	{ "aws-iso", "c2s.ic.gov", "api.aws.ic.gov", "us-iso-east-1", 1, 1 },
	{ "aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud", "us-isob-east-1",
	    1, 1 },
	{ "aws-iso-e", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk",
	    "eu-isoe-west-1", 1, 1 },
	{ "aws-iso-f", "csp.hci.ic.gov", "api.aws.hci.ic.gov",
	    "us-isof-south-1", 1, 1 },
	{ "aws-us-gov", "amazonaws.com", "api.aws", "us-gov-west-1", 1, 1 },
};
#define NPART	(sizeof(partitions) / sizeof(partitions[0]))

/*
 * Region patterns "^PREFIX-\w+-\d+$", one partition index per prefix
 * (aws: ^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$, aws-eusc: ^eusc-(de)-...).
 */
static const struct {
	const char	*prefix;
	size_t		 part;
} patterns[] = {
	{ "us", 0 }, { "eu", 0 }, { "ap", 0 }, { "sa", 0 }, { "ca", 0 },
	{ "me", 0 }, { "af", 0 }, { "il", 0 }, { "mx", 0 },
	{ "cn", 1 },
	{ "eusc-de", 2 },
	{ "us-iso", 3 },
	{ "us-isob", 4 },
	{ "eu-isoe", 5 },
	{ "us-isof", 6 },
	{ "us-gov", 7 },
};

/* Regions listed by name that no pattern matches. */
static const struct {
	const char	*region;
	size_t		 part;
} exact[] = {
	{ "aws-global", 0 }, { "aws-cn-global", 1 }, { "aws-iso-global", 3 },
	{ "aws-iso-b-global", 4 }, { "aws-iso-e-global", 5 },
	{ "aws-iso-f-global", 6 }, { "aws-us-gov-global", 7 },
};

static const struct endpoint_service services[] = {
	{ "ssm", "SSM", "ssm", "ssm", "ssm-fips", 1 },
	{ "ec2-instance-connect", "EC2_INSTANCE_CONNECT",
	    "ec2_instance_connect", "ec2-instance-connect",
	    "ec2-instance-connect-fips", 0 },
	{ "kms", "KMS", "kms", "kms", "kms-fips", 0 },
	{ "ec2", "EC2", "ec2", "ec2", "ec2-fips", 1 },
	{ "sts", "STS", "sts", "sts", "sts-fips", 1 },
	{ "sso", "SSO", "sso", "portal.sso", "portal.sso-fips", 1 },
};

/* Regions the STS rule set sends to sts.amazonaws.com when legacy. */
static const char *const sts_legacy_regions[] = {
	"ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
	"aws-global", "ca-central-1", "eu-central-1", "eu-north-1",
	"eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1", "us-east-1",
	"us-east-2", "us-west-1", "us-west-2",
};

static int
is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* region =~ ^prefix-\w+-\d+$ */
static int
match_pattern(const char *region, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p;

	if (strncmp(region, prefix, n) != 0 || region[n] != '-')
		return 0;
	p = region + n + 1;
	if (!is_word(*p))
		return 0;
	while (is_word(*p))
		p++;
	if (*p++ != '-' || !(*p >= '0' && *p <= '9'))
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == '\0';
}

const struct partition *
endpoint_partition(const char *region)
{
	size_t i;

	for (i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(region, exact[i].region) == 0)
			return &partitions[exact[i].part];
	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (match_pattern(region, patterns[i].prefix))
			return &partitions[patterns[i].part];
	return &partitions[0];
}

const struct endpoint_service *
endpoint_service(const char *id)
{
	size_t i;

	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (strcmp(id, services[i].id) == 0)
			return &services[i];
	return NULL;
}

int
endpoint_region_valid(const char *region)
{
	size_t i, n = strlen(region);
	int digits = 1;

	if (n == 0 || n > 63 || region[0] == '-' || region[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		if (!((region[i] >= 'a' && region[i] <= 'z') ||
		    (region[i] >= 'A' && region[i] <= 'Z') ||
		    (region[i] >= '0' && region[i] <= '9') || region[i] == '-'))
			return 0;
		if (!(region[i] >= '0' && region[i] <= '9'))
			digits = 0;
	}
	return !digits;
}

static int
sts_global(const struct endpoint_params *p)
{
	size_t i;

	if (p->use_fips || p->use_dualstack)
		return 0;
	if (strcmp(p->region, "aws-global") == 0)
		return 1;
	if (!p->sts_legacy)
		return 0;
	for (i = 0; i < sizeof(sts_legacy_regions) /
	    sizeof(sts_legacy_regions[0]); i++)
		if (strcmp(p->region, sts_legacy_regions[i]) == 0)
			return 1;
	return 0;
}

int
endpoint_default_url(const struct endpoint_service *svc,
    const struct endpoint_params *p, char *url, size_t urlsz,
    char *sigregion, struct errmsg *err)
{
	const struct partition *part;
	const char *host, *suffix;
	int n;

	if (!endpoint_region_valid(p->region))
		return errmsg_set(err, SP_ERR_INVALID_ARG,
		    "invalid region \"%.100s\"", p->region);
	snprintf(sigregion, ENDPOINT_REGION_MAX, "%s", p->region);
	if (strcmp(svc->id, "sts") == 0 && sts_global(p)) {
		snprintf(sigregion, ENDPOINT_REGION_MAX, "us-east-1");
		n = snprintf(url, urlsz, "https://sts.amazonaws.com");
		goto done;
	}
	part = endpoint_partition(p->region);
	if ((p->use_fips && !part->supports_fips) ||
	    (p->use_dualstack && !part->supports_dualstack))
		return errmsg_set(err, SP_ERR_UNSUPPORTED, "partition %s does "
		    "not support %s endpoints", part->id, p->use_fips &&
		    !part->supports_fips ? "FIPS" : "dual-stack");
	host = p->use_fips ? svc->fips_host : svc->host;
	suffix = p->use_dualstack ? part->dualstack_dns_suffix :
	    part->dns_suffix;
	if (p->use_fips && !p->use_dualstack && svc->gov_fips_plain &&
	    strcmp(part->id, "aws-us-gov") == 0) {
		/* The standard host of these services is already FIPS. */
		host = svc->host;
		suffix = "amazonaws.com";
	}
	n = snprintf(url, urlsz, "https://%s.%s.%s", host, p->region, suffix);
 done:
	if (n < 0 || (size_t)n >= urlsz)
		return errmsg_set(err, SP_ERR_INVALID_ARG, "URL too long");
	return 0;
}
