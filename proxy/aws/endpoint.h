/*
 * Default AWS endpoints: the partition table of botocore's
 * partitions.json and the host patterns of the endpoint rule sets of the
 * services ssm-proxy calls (AWS-APIS.md "Endpoint resolution").  Pure
 * functions: no I/O, no environment; configured overrides live in awscfg.c.
 */
#ifndef SSM_ENDPOINT_H
#define SSM_ENDPOINT_H

#include <stddef.h>

#include "errmsg.h"

#define ENDPOINT_URL_MAX	2048
#define ENDPOINT_REGION_MAX	64

struct partition {
	const char	*id;			/* "aws", "aws-cn", ... */
	const char	*dns_suffix;		/* "amazonaws.com" */
	const char	*dualstack_dns_suffix;	/* "api.aws" */
	const char	*implicit_global_region; /* "us-east-1" */
	int		 supports_fips;
	int		 supports_dualstack;
};

struct endpoint_service {
	const char	*id;		/* "ssm", "ec2-instance-connect", ... */
	const char	*env_suffix;	/* AWS_ENDPOINT_URL_<env_suffix> */
	const char	*config_key;	/* key in a [services NAME] section */
	const char	*host;		/* first host label(s): "portal.sso" */
	const char	*fips_host;	/* "portal.sso-fips" */
	int		 gov_fips_plain; /* aws-us-gov FIPS uses host, not
					    fips_host */
};

struct endpoint_params {
	const char	*region;
	int		 use_fips;
	int		 use_dualstack;
	int		 sts_legacy;	/* sts_regional_endpoints = legacy */
};

/*
 * The partition of region: an exact region of the table first, then the
 * partitions' region patterns in partitions.json order, else "aws" (as
 * the SDKs fall back).  Never NULL; the result is static.
 */
const struct partition *endpoint_partition(const char *region);
/*
 * Service by id: "ssm", "ec2-instance-connect", "kms", "sts", "sso" (the
 * IAM Identity Center portal), "ec2".  NULL if unknown.  The result is static.
 */
const struct endpoint_service *endpoint_service(const char *id);
/*
 * Whether region is acceptable in a host name (botocore's
 * validate_region_name: 1 to 63 of [A-Za-z0-9-], no leading or trailing
 * '-', not all digits).
 */
int	endpoint_region_valid(const char *region);
/*
 * The URL ("https://host", no trailing slash) and signing region the
 * rule set of svc gives for p, written to url (urlsz bytes) and sigregion
 * (ENDPOINT_REGION_MAX bytes).  Returns 0, SP_ERR_INVALID_ARG (invalid
 * region) or SP_ERR_UNSUPPORTED (variant not offered in the partition)
 * with err set.
 */
int	endpoint_default_url(const struct endpoint_service *svc,
	    const struct endpoint_params *p, char *url, size_t urlsz,
	    char *sigregion, struct errmsg *err) SP_WUR;

#endif /* SSM_ENDPOINT_H */
