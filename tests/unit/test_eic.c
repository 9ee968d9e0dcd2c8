/*
 * proxy/ssh/eic.c: SendSSHPublicKey member constraints
 * (proxy/aws/AWS-APIS.md "SendSSHPublicKey"), the body, the response and
 * the error hints.
 */
#include <stdlib.h>
#include <string.h>

#include "eic.h"
#include "test.h"

#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"

static void
test_ids(void)
{
	CHECK(eic_instance_id_valid("i-0123456789abcdef0"), "17-hex id");
	CHECK(eic_instance_id_valid("i-01234567"), "8-hex id (10 chars)");
	CHECK(!eic_instance_id_valid("i-0123456"), "9 chars");
	CHECK(!eic_instance_id_valid("mi-0123456789abcdef0"), "mi- refused");
	CHECK(!eic_instance_id_valid("i-0123456789ABCDEF0"), "upper case");
	CHECK(!eic_instance_id_valid("i-0123456789abcdef0123456789abcdef"),
	    "33 chars");
	CHECK(!eic_instance_id_valid("ecs:c_t_r"), "ECS target");
}

static void
test_users(void)
{
	static const char *good[] = {
		"ec2-user", "ubuntu", "root", "_apt", "a", "user.name",
		"user@corp", "pg$", "x-", "1a", "123abc", "9.x",
		"A234567890123456789012345678901$",	/* 32 */
		"a234567890123456789012345678901b",	/* 32 */
		"1234567890123456789012345678901a",	/* 32, second form */
	};
	static const char *bad[] = {
		"", "1", "12", "123", "-user", ".user", "@u", "$", "us$er",
		"user name", "user/x", "a2345678901234567890123456789012b",
		"a234567890123456789012345678901.",	/* 32, '.' last */
		"12345678901234567890123456789012a",	/* 33 */
		"1$", "ü",
	};
	size_t i;
	char d[80];

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(d, sizeof(d), "OS user \"%s\" valid", good[i]);
		CHECK(eic_os_user_valid(good[i]), d);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(d, sizeof(d), "OS user \"%s\" refused", bad[i]);
		CHECK(!eic_os_user_valid(bad[i]), d);
	}
}

static int
parse(const char *s)
{
	return eic_send_key_parse(s, strlen(s));
}

static void
test_body(void)
{
	char *b = NULL;

	CHECK_EQ(eic_send_key_body("i-0123456789abcdef0", "ec2-user", KEY, &b),
	    0, "body");
	CHECK_STR(b, "{\"InstanceId\":\"i-0123456789abcdef0\","
	    "\"InstanceOSUser\":\"ec2-user\",\"SSHPublicKey\":\"" KEY "\"}",
	    "  SendSSHPublicKey example, byte for byte");
	free(b);
	CHECK_EQ(eic_send_key_body("mi-0123456789abcdef0", "u", KEY, &b),
	    SP_ERR_INVALID_ARG, "mi- refused");
	CHECK_EQ(eic_send_key_body("i-0123456789abcdef0", "u", "ssh-ed25519 "
	    "AAAA", &b), SP_ERR_INVALID_ARG, "short key refused");
	CHECK_EQ(eic_send_key_body("i-0123456789abcdef0", "-u", KEY, &b),
	    SP_ERR_INVALID_ARG, "bad user refused");
	CHECK(b == NULL, "  no output on failure");
	CHECK_EQ(parse("{\"RequestId\":\"x\",\"Success\":true}"), 0,
	    "Success true");
	CHECK_EQ(parse("{\"RequestId\":\"x\",\"Success\":false}"),
	    SP_ERR_PROTOCOL, "Success false");
	CHECK(parse("{\"RequestId\":\"x\"}") != 0, "Success missing");
	CHECK(eic_send_key_parse("[]", 2) != 0, "not an object");
	CHECK(eic_send_key_parse("{", 1) != 0, "not JSON");
}

static void
test_hints(void)
{
	static const char *codes[] = {
		"AuthException", "InvalidArgsException",
		"EC2InstanceNotFoundException",
		"EC2InstanceStateInvalidException",
		"EC2InstanceUnavailableException", "ServiceException",
		"ThrottlingException",
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		CHECK(eic_error_hint(codes[i]) != NULL, codes[i]);
	CHECK(eic_error_hint("AccessDeniedException") == NULL,
	    "undocumented code: no hint");
	CHECK(eic_error_hint("") == NULL, "empty code: no hint");
}

int
main(void)
{
	test_ids();
	test_users();
	test_body();
	test_hints();
	return test_done();
}
