/*
 * EC2 Instance Connect SendSSHPublicKey (proxy/aws/AWS-APIS.md
 * "SendSSHPublicKey"), without I/O: the member constraints, the request
 * body, the response, and one line of explanation for each documented
 * error.  Pure; see tests/unit/test_eic.c.
 */
#ifndef SSM_EIC_H
#define SSM_EIC_H

#include <stddef.h>

#include "err.h"

#define EIC_TARGET	"AWSEC2InstanceConnectService.SendSSHPublicKey"
#define EIC_SERVICE	"ec2-instance-connect"
#define EIC_KEY_VALIDITY	60	/* seconds a pushed key is served */

/* InstanceId: 10..32 characters, ^i-[a-f0-9]+$.  1 if valid. */
int	eic_instance_id_valid(const char *id);

/*
 * InstanceOSUser, 1..32 characters matching either alternative of the
 * service's pattern:
 *   ^[A-Za-z_][A-Za-z0-9@._-]{0,30}[A-Za-z0-9$_-]?$
 *   ^(?=.{2,32}$)[0-9]{1,32}[A-Za-z@._-][A-Za-z0-9@._-]*[A-Za-z0-9$_-]?$
 * 1 if valid.
 */
int	eic_os_user_valid(const char *user);

/*
 * {"InstanceId":I,"InstanceOSUser":U,"SSHPublicKey":K}; the arguments
 * must be valid (above; key 80..4096 characters).  *out is a heap string
 * the caller frees.  Returns 0, SP_ERR_INVALID_ARG or SP_ERR_ALLOC.
 */
int	eic_send_key_body(const char *instance_id, const char *os_user,
	    const char *key_line, char **out) SP_WUR;

/*
 * A 2xx response {"RequestId":...,"Success":true}: 0 when Success is
 * true, SP_ERR_PROTOCOL when it is false, SP_ERR_JSON_* for a body that
 * is not such an object.
 */
int	eic_send_key_parse(const void *body, size_t len) SP_WUR;

/*
 * What an error code means for the user, e.g. for AuthException "not
 * authorized to push a key for this instance and OS user"; NULL for a
 * code Instance Connect does not document.  Static text.
 */
const char *eic_error_hint(const char *code);

#endif /* SSM_EIC_H */
