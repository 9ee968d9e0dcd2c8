/*
 * What ssh's %h (or %n) names: an instance or managed node id, an IPv4
 * address, a private DNS name or the value of a name tag, optionally
 * followed by ".REGION" (proxy/aws/AWS-APIS.md "Targets").  Pure: no I/O.
 */
#ifndef SSM_TARGET_H
#define SSM_TARGET_H

#include <stddef.h>

#include "err.h"

#define TARGET_MAX		400	/* bytes of the whole argument */
#define TARGET_REGION_MAX	32

enum target_kind {
	TARGET_ID,		/* i- or mi- then 8 to 17 lower-case hex */
	TARGET_ECS,		/* ecs:..., passed through as it is */
	TARGET_IPV4,		/* dotted quad, matched to private IPs */
	TARGET_DNS,		/* ip-A-B-C-D.ec2.internal,
				   ip-A-B-C-D.REGION.compute.internal */
	TARGET_NAME		/* anything else: a name tag's value */
};

struct target {
	enum target_kind kind;
	char	value[TARGET_MAX + 1];	/* the target, suffix removed */
	char	region[TARGET_REGION_MAX + 1];	/* ".REGION" suffix, or "" */
};

/*
 * Split arg into *out.  A last label of a region's shape
 * ([a-z]{2}(-[a-z]+)+-[0-9]+, e.g. eu-west-1, us-gov-west-1) is a region
 * suffix and is removed, unless nothing would be left or arg is a private
 * DNS name (whose region label is part of the name).  An ecs: target is
 * never split.  Then the kind is decided in enum order.  Returns 0, or
 * SP_ERR_INVALID_ARG when arg is empty, longer than TARGET_MAX, holds a
 * control character, a space or invalid UTF-8, or starts with '-'.
 */
int	target_parse(const char *arg, struct target *out) SP_WUR;

/* 1 if s has a region's shape as above, else 0. */
int	target_region_shaped(const char *s);

/* "instance id", "IP address", "DNS name", "name" (for messages). */
const char *target_kind_str(enum target_kind k);

#endif /* SSM_TARGET_H */
