/*
 * proxy/aws/target.c: each form of ssh's %h, the region suffix rule and
 * the arguments refused.
 */
#include <string.h>

#include "target.h"
#include "test.h"

/* arg parses as kind with value and region. */
static void
form(const char *arg, enum target_kind kind, const char *value,
    const char *region)
{
	struct target t;
	char what[600];
	int r;

	memset(&t, 0x55, sizeof(t));
	r = target_parse(arg, &t);
	snprintf(what, sizeof(what), "\"%s\" is a %s", arg,
	    target_kind_str(kind));
	CHECK_EQ(r, 0, what);
	if (r != 0)
		return;
	CHECK_EQ(t.kind, kind, what);
	CHECK_STR(t.value, value, what);
	CHECK_STR(t.region, region, what);
}

static void
refused(const char *arg, const char *why)
{
	struct target t;
	char what[200];

	snprintf(what, sizeof(what), "refused: %s", why);
	CHECK_EQ(target_parse(arg, &t), SP_ERR_INVALID_ARG, what);
}

static void
test_ids(void)
{
	form("i-0123456789abcdef0", TARGET_ID, "i-0123456789abcdef0", "");
	form("i-01234567", TARGET_ID, "i-01234567", "");
	form("mi-0123456789abcdef0", TARGET_ID, "mi-0123456789abcdef0", "");
	/* Outside the id shape: a name, looked up as one. */
	form("i-0123456", TARGET_NAME, "i-0123456", "");
	form("i-0123456789abcdef01", TARGET_NAME, "i-0123456789abcdef01", "");
	form("i-0123456789ABCDEF0", TARGET_NAME, "i-0123456789ABCDEF0", "");
	form("i-0123456g", TARGET_NAME, "i-0123456g", "");
	form("ecs:cluster_task_container", TARGET_ECS,
	    "ecs:cluster_task_container", "");
	/* ecs: is never split. */
	form("ecs:c_t_r.eu-west-1", TARGET_ECS, "ecs:c_t_r.eu-west-1", "");
}

static void
test_suffix(void)
{
	form("i-0123456789abcdef0.eu-west-1", TARGET_ID,
	    "i-0123456789abcdef0", "eu-west-1");
	form("mi-0123456789abcdef0.us-gov-west-1", TARGET_ID,
	    "mi-0123456789abcdef0", "us-gov-west-1");
	form("web1.eu-west-1", TARGET_NAME, "web1", "eu-west-1");
	form("10.0.1.5.ap-southeast-2", TARGET_IPV4, "10.0.1.5",
	    "ap-southeast-2");
	form("web.prod", TARGET_NAME, "web.prod", "");
	form("eu-west-1", TARGET_NAME, "eu-west-1", "");
	form(".eu-west-1", TARGET_NAME, ".eu-west-1", "");
	form("a.b.eu-west-1", TARGET_NAME, "a.b", "eu-west-1");
	/* One suffix only. */
	form("web1.eu-west-1.us-east-1", TARGET_NAME, "web1.eu-west-1",
	    "us-east-1");
	/* Not a region's shape. */
	form("web1.EU-WEST-1", TARGET_NAME, "web1.EU-WEST-1", "");
	form("web1.eu-west", TARGET_NAME, "web1.eu-west", "");
	form("web1.eu-1", TARGET_NAME, "web1.eu-1", "");
	form("web1.eu-west-1a", TARGET_NAME, "web1.eu-west-1a", "");
	form("web1.e-west-1", TARGET_NAME, "web1.e-west-1", "");
	form("web1.eu--west-1", TARGET_NAME, "web1.eu--west-1", "");
	form("web1.eu-west-", TARGET_NAME, "web1.eu-west-", "");
	form("web1.", TARGET_NAME, "web1.", "");
	/* 33 bytes: longer than TARGET_REGION_MAX. */
	form("w.ab-cdefghijklmnopqrstuvwxyzabcd-1", TARGET_NAME,
	    "w.ab-cdefghijklmnopqrstuvwxyzabcd-1", "");
	form("w.ab-cdefghijklmnopqrstuvwxyzabc-1", TARGET_NAME, "w",
	    "ab-cdefghijklmnopqrstuvwxyzabc-1");
	CHECK(target_region_shaped("us-gov-west-1"), "us-gov-west-1 shaped");
	CHECK(target_region_shaped("cn-north-1"), "cn-north-1 shaped");
	CHECK(!target_region_shaped("prod"), "prod not shaped");
	CHECK(!target_region_shaped(""), "empty not shaped");
	CHECK(!target_region_shaped(NULL), "NULL not shaped");
}

static void
test_addresses(void)
{
	form("10.0.1.5", TARGET_IPV4, "10.0.1.5", "");
	form("0.0.0.0", TARGET_IPV4, "0.0.0.0", "");
	form("255.255.255.255", TARGET_IPV4, "255.255.255.255", "");
	form("256.0.0.1", TARGET_NAME, "256.0.0.1", "");
	form("010.0.0.1", TARGET_NAME, "010.0.0.1", "");
	form("10.0.1", TARGET_NAME, "10.0.1", "");
	form("10.0.1.5.6", TARGET_NAME, "10.0.1.5.6", "");
	form("10..1.5", TARGET_NAME, "10..1.5", "");
	form("10.0.1.5.", TARGET_NAME, "10.0.1.5.", "");
	form("1000.0.0.1", TARGET_NAME, "1000.0.0.1", "");
	form("ip-10-0-1-5.ec2.internal", TARGET_DNS,
	    "ip-10-0-1-5.ec2.internal", "");
	form("ip-10-0-1-5.eu-west-1.compute.internal", TARGET_DNS,
	    "ip-10-0-1-5.eu-west-1.compute.internal", "");
	form("ip-10-0-1-5.ec2.internal.us-east-1", TARGET_DNS,
	    "ip-10-0-1-5.ec2.internal", "us-east-1");
	form("ip-10-0-1-256.ec2.internal", TARGET_NAME,
	    "ip-10-0-1-256.ec2.internal", "");
	form("ip-10-0-1.ec2.internal", TARGET_NAME,
	    "ip-10-0-1.ec2.internal", "");
	form("ip-10-0-1-5.prod.compute.internal", TARGET_NAME,
	    "ip-10-0-1-5.prod.compute.internal", "");
	form("ip-10-0-1-5.compute.internal", TARGET_NAME,
	    "ip-10-0-1-5.compute.internal", "");
	form("ip-10-0-1-5.ec2.internal.x", TARGET_NAME,
	    "ip-10-0-1-5.ec2.internal.x", "");
	form("ip-10-0-1-5", TARGET_NAME, "ip-10-0-1-5", "");
}

static void
test_names(void)
{
	char big[TARGET_MAX + 2];

	form("web1", TARGET_NAME, "web1", "");
	form("Web1", TARGET_NAME, "Web1", "");	/* case kept */
	form("caf\xc3\xa9", TARGET_NAME, "caf\xc3\xa9", "");
	form("a/b:c@d", TARGET_NAME, "a/b:c@d", "");
	memset(big, 'a', TARGET_MAX);
	big[TARGET_MAX] = '\0';
	form(big, TARGET_NAME, big, "");
	big[TARGET_MAX] = 'a';
	big[TARGET_MAX + 1] = '\0';
	refused(big, "longer than TARGET_MAX");
	refused("", "empty");
	refused("-oProxyCommand=x", "starts with '-'");
	refused("web 1", "space");
	refused("web\t1", "tab");
	refused("web\n1", "newline");
	refused("web\x7f", "DEL");
	refused("caf\xc3", "truncated UTF-8");
	refused("\xc0\xaf", "overlong UTF-8");
	refused("ecs:a b", "space in an ecs: target");
	CHECK_EQ(target_parse(NULL, &(struct target){0}), SP_ERR_INVALID_ARG,
	    "refused: NULL");
}

static void
test_strings(void)
{
	CHECK_STR(target_kind_str(TARGET_ID), "instance id", "kind str id");
	CHECK_STR(target_kind_str(TARGET_IPV4), "IP address", "kind str ip");
	CHECK_STR(target_kind_str(TARGET_DNS), "DNS name", "kind str dns");
	CHECK_STR(target_kind_str(TARGET_NAME), "name", "kind str name");
	CHECK_STR(target_kind_str(TARGET_ECS), "ECS target", "kind str ecs");
}

int
main(void)
{
	test_ids();
	test_suffix();
	test_addresses();
	test_names();
	test_strings();
	return test_done();
}
