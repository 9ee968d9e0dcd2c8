/*
 * ssh-agent client: identities and constrained Ed25519 keys.  See
 * sshagent.h.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "compat.h"
#include "sshagent.h"
#include "sshbuf.h"

void
sshagent_ids_free(struct sshagent_ids *ids)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; i < ids->n; i++) {
		free(ids->ids[i].blob);
		free(ids->ids[i].comment);
	}
	free(ids->ids);
	free(ids);
}

int
sshagent_parse_identities(const void *msg, size_t len,
    struct sshagent_ids **out)
{
	struct sshagent_ids *ids = NULL;
	struct buf b;
	const uint8_t *kp, *cp;
	size_t kn, cn, i;
	uint32_t n;
	uint8_t type;
	int r = SP_ERR_PROTOCOL;

	*out = NULL;
	buf_view(&b, msg, len);
	if (buf_get_u8(&b, &type) != 0)
		return SP_ERR_PROTOCOL;
	if (type == SSH_AGENT_FAILURE && buf_len(&b) == 0)
		return SP_ERR_REFUSED;
	if (type != SSH2_AGENT_IDENTITIES_ANSWER || buf_get_u32(&b, &n) != 0 ||
	    n > SSHAGENT_MAX_IDS || (size_t)n > buf_len(&b) / 8)
		return SP_ERR_PROTOCOL;
	if ((ids = calloc(1, sizeof(*ids))) == NULL ||
	    (n > 0 && (ids->ids = calloc(n, sizeof(*ids->ids))) == NULL)) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct sshagent_id *id = &ids->ids[i];

		if (sshbuf_get_string(&b, &kp, &kn) != 0 ||
		    sshbuf_get_string(&b, &cp, &cn) != 0 || kn == 0) {
			r = SP_ERR_PROTOCOL;
			goto out;
		}
		ids->n = i + 1;
		if ((id->blob = malloc(kn)) == NULL ||
		    (id->comment = malloc(cn + 1)) == NULL) {
			r = SP_ERR_ALLOC;
			goto out;
		}
		memcpy(id->blob, kp, kn);
		id->blob_len = kn;
		memcpy(id->comment, cp, cn);
		id->comment[cn] = '\0';
	}
	if (buf_len(&b) != 0) {
		r = SP_ERR_PROTOCOL;
		goto out;
	}
	*out = ids;
	ids = NULL;
	r = 0;
 out:
	sshagent_ids_free(ids);
	return r;
}

int
sshagent_parse_status(const void *msg, size_t len)
{
	const uint8_t *p = msg;

	if (len != 1)
		return SP_ERR_PROTOCOL;
	if (p[0] == SSH_AGENT_SUCCESS)
		return 0;
	/* 30 and 102: SSH_COM_AGENT2_FAILURE, SSH2_AGENT_FAILURE. */
	if (p[0] == SSH_AGENT_FAILURE || p[0] == 30 || p[0] == 102)
		return SP_ERR_REFUSED;
	return SP_ERR_PROTOCOL;
}

int
sshagent_add_ed25519_msg(const uint8_t pub[SSHKEY_ED25519_LEN],
    const uint8_t seed[SSHKEY_ED25519_LEN], const char *comment,
    uint32_t lifetime, struct buf *b)
{
	uint8_t sk[2 * SSHKEY_ED25519_LEN];
	size_t start;
	int r;

	/* OpenSSH's Ed25519 private key is seed || public key. */
	memcpy(sk, seed, SSHKEY_ED25519_LEN);
	memcpy(sk + SSHKEY_ED25519_LEN, pub, SSHKEY_ED25519_LEN);
	if ((r = sshbuf_frame_start(b, &start)) != 0 ||
	    (r = buf_put_u8(b, SSH2_AGENTC_ADD_ID_CONSTRAINED)) != 0 ||
	    (r = sshbuf_put_cstring(b, "ssh-ed25519")) != 0 ||
	    (r = sshbuf_put_string(b, pub, SSHKEY_ED25519_LEN)) != 0 ||
	    (r = sshbuf_put_string(b, sk, sizeof(sk))) != 0 ||
	    (r = sshbuf_put_cstring(b, comment)) != 0 ||
	    (r = buf_put_u8(b, SSH_AGENT_CONSTRAIN_LIFETIME)) != 0 ||
	    (r = buf_put_u32(b, lifetime)) != 0 ||
	    (r = sshbuf_frame_end(b, start)) != 0)
		goto out;
	r = 0;
 out:
	OPENSSL_cleanse(sk, sizeof(sk));
	return r;
}

static int
wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int n;

	for (;;) {
		if ((left = deadline - (long long)compat_now_ms()) <= 0)
			return SP_ERR_TIMEOUT;
		pfd.fd = fd;
		pfd.events = ev;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return CFG_ERR_IO;
	}
}

static int
agent_connect(const char *path, int *fdp, struct errmsg *err)
{
	struct sockaddr_un sa;
	int fd;

	*fdp = -1;
	if (path == NULL || *path == '\0')
		return errmsg_set(err, CFG_ERR_IO, "no ssh-agent: "
		    "SSH_AUTH_SOCK is not set");
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return errmsg_set(err, CFG_ERR_IO, "SSH_AUTH_SOCK is too long");
	memcpy(sa.sun_path, path, strlen(path));
	if ((fd = compat_socket(AF_UNIX, SOCK_STREAM)) == -1)
		return errmsg_set(err, CFG_ERR_IO, "socket: %s",
		    strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		int e = errno;

		close(fd);
		return errmsg_set(err, CFG_ERR_IO, "cannot reach the ssh-agent "
		    "at SSH_AUTH_SOCK=%.200s: %s", path, strerror(e));
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		close(fd);
		return errmsg_set(err, CFG_ERR_IO, "fcntl: %s",
		    strerror(errno));
	}
	*fdp = fd;
	return 0;
}

/* Send the framed request and read one reply body into reply. */
static int
agent_request(const char *path, const struct buf *req, struct buf *reply,
    struct errmsg *err)
{
	long long deadline = (long long)compat_now_ms() + SSHAGENT_TIMEOUT_MS;
	const uint8_t *p = buf_ptr(req);
	size_t left = buf_len(req), got = 0, want = 4;
	uint8_t hdr[4], *dst;
	struct buf h;
	uint32_t len;
	ssize_t n;
	int fd = -1, r;

	if ((r = agent_connect(path, &fd, err)) != 0)
		return r;
	while (left > 0) {
		if ((r = wait_fd(fd, POLLOUT, deadline)) != 0)
			goto io;
		n = compat_send(fd, p, left);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			r = CFG_ERR_IO;
			goto io;
		}
		p += n;
		left -= (size_t)n;
	}
	/* The length, then the body. */
	dst = hdr;
	for (;;) {
		if (got == want) {
			if (dst != hdr)
				break;
			buf_view(&h, hdr, sizeof(hdr));
			if ((r = buf_get_u32(&h, &len)) != 0)
				goto out;
			want = len;
			if (want == 0 || want > SSHAGENT_MAX_MSG) {
				r = errmsg_set(err, SP_ERR_PROTOCOL, "the "
				    "ssh-agent sent a reply of %zu bytes",
				    want);
				goto out;
			}
			if ((r = buf_reserve(reply, want, &dst)) != 0)
				goto out;
			got = 0;
			continue;
		}
		if ((r = wait_fd(fd, POLLIN, deadline)) != 0)
			goto io;
		n = read(fd, dst + got, want - got);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			r = CFG_ERR_IO;
			goto io;
		}
		got += (size_t)n;
	}
	r = 0;
	goto out;
 io:
	r = errmsg_set(err, CFG_ERR_IO, "the ssh-agent at %.200s %s", path,
	    r == SP_ERR_TIMEOUT ? "did not answer within 5 seconds" :
	    "closed the connection");
 out:
	close(fd);
	return r;
}

int
sshagent_list(const char *path, struct sshagent_ids **out,
    struct errmsg *err)
{
	struct buf req, reply;
	size_t start;
	int r;

	*out = NULL;
	errmsg_clear(err);
	buf_init(&req, 16);
	buf_init(&reply, SSHAGENT_MAX_MSG);
	if ((r = sshbuf_frame_start(&req, &start)) != 0 ||
	    (r = buf_put_u8(&req, SSH2_AGENTC_REQUEST_IDENTITIES)) != 0 ||
	    (r = sshbuf_frame_end(&req, start)) != 0)
		goto out;
	if ((r = agent_request(path, &req, &reply, err)) != 0)
		goto out;
	if ((r = sshagent_parse_identities(buf_ptr(&reply), buf_len(&reply),
	    out)) != 0)
		errmsg_set(err, r, "the ssh-agent %s the list of keys",
		    r == SP_ERR_REFUSED ? "refused" : "sent a malformed");
 out:
	buf_release(&req);
	buf_release(&reply);
	return r;
}

int
sshagent_add_ed25519(const char *path, const uint8_t pub[SSHKEY_ED25519_LEN],
    const uint8_t seed[SSHKEY_ED25519_LEN], const char *comment,
    uint32_t lifetime, struct errmsg *err)
{
	struct buf req, reply;
	int r;

	errmsg_clear(err);
	buf_init(&req, 1024);
	buf_init(&reply, SSHAGENT_MAX_MSG);
	if ((r = sshagent_add_ed25519_msg(pub, seed, comment, lifetime,
	    &req)) != 0) {
		errmsg_set(err, r, "cannot build the ssh-agent request");
		goto out;
	}
	if ((r = agent_request(path, &req, &reply, err)) != 0)
		goto out;
	if ((r = sshagent_parse_status(buf_ptr(&reply),
	    buf_len(&reply))) != 0)
		errmsg_set(err, r, "the ssh-agent %s the key with a %u-second "
		    "lifetime", r == SP_ERR_REFUSED ? "refused" :
		    "gave a malformed answer to", lifetime);
 out:
	buf_release(&req);	/* wipes the private key */
	buf_release(&reply);
	return r;
}
