/*
 * EC2 Instance Connect SendSSHPublicKey bodies and errors.  See eic.h.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "eic.h"
#include "json.h"
#include "sshkey.h"

#define EIC_MAX_BODY	(16 * 1024)

int
eic_instance_id_valid(const char *id)
{
	size_t n = strlen(id), i;

	if (n < 10 || n > 32 || strncmp(id, "i-", 2) != 0)
		return 0;
	for (i = 2; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return 1;
}

static int
is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* [A-Za-z0-9@._-] */
static int
is_mid(char c)
{
	return is_alpha(c) || is_digit(c) || c == '@' || c == '.' ||
	    c == '_' || c == '-';
}

/* [A-Za-z0-9$_-] */
static int
is_last(char c)
{
	return is_alpha(c) || is_digit(c) || c == '$' || c == '_' || c == '-';
}

/*
 * s[from..n) is [A-Za-z0-9@._-]* followed by an optional
 * [A-Za-z0-9$_-]: every character is a middle one except that the last
 * may be '$'.
 */
static int
tail_ok(const char *s, size_t from, size_t n)
{
	size_t i;

	for (i = from; i < n; i++)
		if (!is_mid(s[i]) && !(i == n - 1 && is_last(s[i])))
			return 0;
	return 1;
}

int
eic_os_user_valid(const char *u)
{
	size_t n = strlen(u), i;

	if (n < 1 || n > 32)
		return 0;
	/* First alternative: a letter or '_' first, at most 32 in all. */
	if (is_alpha(u[0]) || u[0] == '_') {
		/* {0,30} middle characters: a 32nd must be a last one. */
		if (n == 32 && !is_last(u[31]))
			return 0;
		return tail_ok(u, 1, n);
	}
	/* Second: digits, then a non-digit [A-Za-z@._-], 2..32 in all. */
	if (n < 2 || !is_digit(u[0]))
		return 0;
	for (i = 0; i < n && is_digit(u[i]); i++)
		;
	if (i == n || !(is_alpha(u[i]) || u[i] == '@' || u[i] == '.' ||
	    u[i] == '_' || u[i] == '-'))
		return 0;
	return tail_ok(u, i + 1, n);
}

int
eic_send_key_body(const char *instance_id, const char *os_user,
    const char *key_line, char **out)
{
	struct json_writer *w = NULL;
	struct buf b;
	size_t kn;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	buf_init(&b, EIC_MAX_BODY);
	if (instance_id == NULL || os_user == NULL || key_line == NULL ||
	    !eic_instance_id_valid(instance_id) ||
	    !eic_os_user_valid(os_user) ||
	    (kn = strlen(key_line)) < SSHKEY_LINE_MIN || kn > SSHKEY_LINE_MAX)
		return SP_ERR_INVALID_ARG;
	if ((w = json_writer_new()) == NULL)
		return SP_ERR_ALLOC;
	if ((r = json_w_obj_open(w)) != 0 ||
	    (r = json_w_key(w, "InstanceId")) != 0 ||
	    (r = json_w_str(w, instance_id)) != 0 ||
	    (r = json_w_key(w, "InstanceOSUser")) != 0 ||
	    (r = json_w_str(w, os_user)) != 0 ||
	    (r = json_w_key(w, "SSHPublicKey")) != 0 ||
	    (r = json_w_str(w, key_line)) != 0 ||
	    (r = json_w_obj_close(w)) != 0 ||
	    (r = json_w_finish(w, &b)) != 0 ||
	    (r = buf_to_cstr(&b, out)) != 0)
		goto out;
	r = 0;
 out:
	buf_release(&b);
	json_writer_free(w);
	return r;
}

int
eic_send_key_parse(const void *body, size_t len)
{
	struct json *j = NULL;
	int ok = 0, r;

	if ((r = json_parse(body, len, &j)) != 0)
		return r;
	if ((r = json_get_bool(j, "Success", &ok)) == 0 && !ok)
		r = SP_ERR_PROTOCOL;
	json_free(j);
	return r;
}

const char *
eic_error_hint(const char *code)
{
	static const struct {
		const char *code, *hint;
	} hints[] = {
		{ "AuthException", "not authorized to push a key for this "
		    "instance and OS user (IAM "
		    "ec2-instance-connect:SendSSHPublicKey, condition "
		    "ec2:osuser)" },
		{ "InvalidArgsException", "the service refused the key, the "
		    "OS user or the instance id as invalid" },
		{ "EC2InstanceNotFoundException", "no such EC2 instance in "
		    "this account and region" },
		{ "EC2InstanceStateInvalidException", "the instance is not "
		    "running" },
		{ "EC2InstanceUnavailableException", "the instance is "
		    "unavailable at the moment; try again later" },
		{ "ServiceException", "EC2 Instance Connect failed; try again "
		    "later" },
		{ "ThrottlingException", "too many requests (throttled); try "
		    "again later" },
	};
	size_t i;

	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strcmp(code, hints[i].code) == 0)
			return hints[i].hint;
	return NULL;
}
