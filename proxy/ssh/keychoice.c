/* Which key to push through EC2 Instance Connect; see keychoice.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "keychoice.h"
#include "sshagent.h"

static void note(const struct keychoice *, enum keychoice_level,
	    const char *, ...) __attribute__((format(printf, 3, 4)));

static void
note(const struct keychoice *kc, enum keychoice_level level,
    const char *fmt, ...)
{
	char line[ERRMSG_MAX];
	va_list ap;

	if (kc->note == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	kc->note(kc->arg, level, line);
}

/* Read a small file whole; *lenp bytes into buf (bufsz), NUL added. */
static int
read_small(const char *path, char *buf, size_t bufsz, size_t *lenp)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len < bufsz - 1) {
		n = read(fd, buf + len, bufsz - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return 0;
}

/* The public key in path, or in path.pub when path is a private key. */
static int
key_from_file(const char *path, struct sshkey_pub **out, struct errmsg *err)
{
	static char text[SSHKEY_MAX_TEXT + 1];
	char pub[PATH_MAX];
	const char *p;
	size_t len;
	int r;

	if (read_small(path, text, sizeof(text), &len) != 0)
		return errmsg_set(err, CFG_ERR_IO, "cannot read the key %s: %s",
		    path, strerror(errno));
	for (p = text; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
	    p++)
		;
	if (strncmp(p, "-----BEGIN", 10) == 0 ||
	    strncmp(p, "PuTTY-User-Key-File", 19) == 0) {
		/* A private key: never keep it; use the .pub beside it. */
		OPENSSL_cleanse(text, sizeof(text));
		if ((size_t)snprintf(pub, sizeof(pub), "%s.pub", path) >=
		    sizeof(pub))
			return errmsg_set(err, CFG_ERR_VALUE,
			    "key path too long");
		if (read_small(pub, text, sizeof(text), &len) != 0) {
			r = errmsg_set(err, CFG_ERR_IO, "%s is a private key "
			    "and its public key %s cannot be read: %s", path,
			    pub, strerror(errno));
			goto out;
		}
		path = pub;
	}
	if ((r = sshkey_parse_text(text, len, out, err)) != 0)
		errmsg_prefix(err, "unsuitable key %s: ", path);
 out:
	OPENSSL_cleanse(text, sizeof(text));
	return r;
}

/* The first Ed25519 or RSA key the agent holds; 1 if none (or no agent). */
static int
key_from_agent(const struct keychoice *kc, struct sshkey_pub **out)
{
	struct sshagent_ids *ids = NULL;
	struct errmsg err;
	size_t i;

	*out = NULL;
	if (kc->agent_sock == NULL || *kc->agent_sock == '\0')
		return 1;
	if (sshagent_list(kc->agent_sock, &ids, &err) != 0) {
		note(kc, KEYCHOICE_VERBOSE, "%s", err.msg);
		return 1;
	}
	for (i = 0; i < ids->n && *out == NULL; i++) {
		if (sshkey_from_blob(ids->ids[i].blob, ids->ids[i].blob_len,
		    ids->ids[i].comment, out, &err) != 0)
			note(kc, KEYCHOICE_DEBUG, "agent key %zu skipped: %s",
			    i + 1, err.msg);
	}
	sshagent_ids_free(ids);
	if (*out == NULL) {
		note(kc, KEYCHOICE_DEBUG,
		    "the ssh-agent holds no Ed25519 or RSA key");
		return 1;
	}
	note(kc, KEYCHOICE_DEBUG, "pushing the ssh-agent's key %zu", i);
	return 0;
}

/* ~/.ssh/id_ed25519.pub, else ~/.ssh/id_rsa.pub. */
static int
key_from_home(const struct keychoice *kc, struct sshkey_pub **out,
    struct errmsg *err)
{
	const char *home = kc->home;
	char path[PATH_MAX];

	if (home == NULL)
		return errmsg_set(err, CFG_ERR_VALUE, "no key to push: the "
		    "ssh-agent holds no Ed25519 or RSA key and %s",
		    kc->home_why != NULL ? kc->home_why :
		    "the home directory is unknown");
	if ((size_t)snprintf(path, sizeof(path), "%s/.ssh/id_ed25519.pub",
	    home) >= sizeof(path))
		return errmsg_set(err, CFG_ERR_VALUE, "no key to push: the "
		    "home directory's path is too long");
	if (access(path, F_OK) != 0) {
		snprintf(path, sizeof(path), "%s/.ssh/id_rsa.pub", home);
		if (access(path, F_OK) != 0)
			return errmsg_set(err, CFG_ERR_VALUE, "no key to push: "
			    "the ssh-agent holds no Ed25519 or RSA key, and "
			    "neither ~/.ssh/id_ed25519.pub nor "
			    "~/.ssh/id_rsa.pub exists (use --push-key=FILE or "
			    "--ephemeral-key)");
	}
	return key_from_file(path, out, err);
}

/*
 * A key pair made here, given to the agent with a lifetime; the private
 * half never leaves memory but for the agent's socket.
 */
static int
key_ephemeral(const struct keychoice *kc, struct sshkey_pub **out,
    struct errmsg *err)
{
	uint8_t pub[SSHKEY_ED25519_LEN], seed[SSHKEY_ED25519_LEN];
	struct buf blob;
	char comment[128];
	int r;

	if (kc->agent_sock == NULL || *kc->agent_sock == '\0')
		return errmsg_set(err, CFG_ERR_VALUE, "--ephemeral-key needs a "
		    "running ssh-agent: SSH_AUTH_SOCK is not set");
	buf_init(&blob, 128);
	if ((r = sshkey_ed25519_generate(pub, seed)) != 0) {
		errmsg_set(err, r, "cannot make an Ed25519 key with OpenSSL");
		goto out;
	}
	snprintf(comment, sizeof(comment), "ssm-proxy-ephemeral-%ld@%.40s",
	    (long)getpid(), kc->target);
	if ((r = sshkey_ed25519_blob(pub, &blob)) != 0 ||
	    (r = sshkey_from_blob(buf_ptr(&blob), buf_len(&blob), comment,
	    out, err)) != 0) {
		errmsg_set(err, r, "cannot encode the Ed25519 key");
		sshkey_free(*out);
		*out = NULL;
		goto out;
	}
	if ((r = sshagent_add_ed25519(kc->agent_sock, pub, seed, comment,
	    kc->lifetime, err)) != 0) {
		errmsg_prefix(err, "--ephemeral-key: ");
		sshkey_free(*out);
		*out = NULL;
		goto out;
	}
	note(kc, KEYCHOICE_VERBOSE,
	    "added an Ed25519 key to the ssh-agent for %u s", kc->lifetime);
 out:
	OPENSSL_cleanse(seed, sizeof(seed));
	buf_release(&blob);
	return r;
}

int
keychoice_get(const struct keychoice *kc, struct sshkey_pub **out,
    struct errmsg *err)
{
	*out = NULL;
	errmsg_clear(err);
	if (kc->ephemeral)
		return key_ephemeral(kc, out, err);
	if (kc->file != NULL)
		return key_from_file(kc->file, out, err);
	if (key_from_agent(kc, out) == 0)
		return 0;
	return key_from_home(kc, out, err);
}
