/* The AWS CLI's credential cache; see credcache.h. */
#include <sys/file.h>
#include <sys/stat.h>

#include <sys/select.h>

#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "buf.h"
#include "compat.h"
#include "credcache.h"
#include "file.h"
#include "hex.h"
#include "json.h"
#include "strutil.h"
#include "utf8.h"

/*
 * Safety cap of a hashed text.  Its values come from a configuration file
 * (at most INI_MAX_FILE) or one environment variable, and \uXXXX escapes
 * at most sextuple them: valid settings never reach it.
 */
#define TEXT_MAX	(16 * 1024 * 1024)

/* A JSON string as Python's json.dumps (ensure_ascii) writes it. */
static int
py_str(struct buf *b, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t left = strlen(s), n;
	uint32_t cp;
	int r = 0;

	if ((r = buf_put(b, "\"", 1)) != 0)
		return r;
	for (; left > 0 && r == 0; p += n, left -= n) {
		if ((n = utf8_decode(p, left, &cp)) == 0)
			return SP_ERR_INVALID_ARG;
		switch (cp) {
		case '"':	r = buf_put_str(b, "\\\""); continue;
		case '\\':	r = buf_put_str(b, "\\\\"); continue;
		case '\n':	r = buf_put_str(b, "\\n"); continue;
		case '\r':	r = buf_put_str(b, "\\r"); continue;
		case '\t':	r = buf_put_str(b, "\\t"); continue;
		case '\b':	r = buf_put_str(b, "\\b"); continue;
		case '\f':	r = buf_put_str(b, "\\f"); continue;
		}
		if (cp >= 0x20 && cp <= 0x7f)
			r = buf_put_u8(b, (uint8_t)cp);
		else if (cp < 0x10000)
			r = buf_putf(b, "\\u%04lx", (unsigned long)cp);
		else {
			cp -= 0x10000;
			r = buf_putf(b, "\\u%04lx\\u%04lx",
			    (unsigned long)(0xd800 + (cp >> 10)),
			    (unsigned long)(0xdc00 + (cp & 0x3ff)));
		}
	}
	if (r == 0)
		r = buf_put(b, "\"", 1);
	return r;
}

/* ", " or "," (sep) unless first, then "k": "v" with colon. */
static int
py_member(struct buf *b, int *first, const char *k, const char *v,
    const char *sep, const char *colon)
{
	int r;

	if (!*first && (r = buf_put_str(b, sep)) != 0)
		return r;
	*first = 0;
	if ((r = py_str(b, k)) != 0 || (r = buf_put_str(b, colon)) != 0)
		return r;
	return py_str(b, v);
}

/* The text in b as a heap string; b released.  Any error r is
 * SP_ERR_INVALID_ARG (not UTF-8) or the buf error. */
static int
finish(struct buf *b, int r, char **out)
{
	if (r == 0)
		r = buf_to_cstr(b, out);
	buf_release(b);
	return r;
}

int
credcache_role_text(const struct sts_args *a, int session_generated,
    char **out)
{
	struct buf b;
	int first = 1, r;

	*out = NULL;
	buf_init(&b, TEXT_MAX);
	r = buf_put_str(&b, "{");
	/* Keys in sorted order, as sort_keys=True gives. */
	if (r == 0 && a->duration_seconds > 0) {
		if ((r = py_str(&b, "DurationSeconds")) == 0)
			r = buf_putf(&b, ": %ld", a->duration_seconds);
		first = 0;
	}
	if (r == 0 && a->external_id != NULL)
		r = py_member(&b, &first, "ExternalId", a->external_id, ", ",
		    ": ");
	if (r == 0)
		r = py_member(&b, &first, "RoleArn", a->role_arn, ", ", ": ");
	if (r == 0 && !session_generated && a->role_session_name != NULL)
		r = py_member(&b, &first, "RoleSessionName",
		    a->role_session_name, ", ", ": ");
	if (r == 0 && a->serial_number != NULL)
		r = py_member(&b, &first, "SerialNumber", a->serial_number,
		    ", ", ": ");
	if (r == 0)
		r = buf_put_str(&b, "}");
	return finish(&b, r, out);
}

int
credcache_sso_text(const char *start_url, const char *role_name,
    const char *account_id, const char *session_name, char **out)
{
	struct buf b;
	int first = 1, r;

	*out = NULL;
	buf_init(&b, TEXT_MAX);
	if ((r = buf_put_str(&b, "{")) != 0 ||
	    (r = py_member(&b, &first, "accountId", account_id, ",",
	    ":")) != 0 ||
	    (r = py_member(&b, &first, "roleName", role_name, ",", ":")) != 0 ||
	    (session_name != NULL && (r = py_member(&b, &first,
	    "sessionName", session_name, ",", ":")) != 0) ||
	    (r = py_member(&b, &first, "startUrl", start_url, ",", ":")) != 0)
		return finish(&b, r, out);
	r = buf_put_str(&b, "}");
	return finish(&b, r, out);
}

void
credcache_sha1(const char *text, char hex[41])
{
	unsigned char md[SHA_DIGEST_LENGTH];

	SHA1((const unsigned char *)text, strlen(text), md);
	hex_encode(md, sizeof(md), hex);
}

int
credcache_parse(const void *data, size_t len, time_t now,
    enum creds_source src, struct creds **out)
{
	const struct json *c;
	const char *ak, *sk, *tok, *exp;
	struct json *j = NULL;
	time_t t;
	int r;

	*out = NULL;
	if ((r = json_parse(data, len, &j)) != 0)
		return r;
	r = CFG_ERR_VALUE;
	if ((c = json_get(j, "Credentials")) == NULL ||
	    c->type != JSON_OBJECT ||
	    json_get_str(c, "AccessKeyId", &ak) != 0 || *ak == '\0' ||
	    json_get_str(c, "SecretAccessKey", &sk) != 0 || *sk == '\0' ||
	    json_get_str(c, "SessionToken", &tok) != 0 ||
	    json_get_str(c, "Expiration", &exp) != 0 ||
	    creds_parse_time(exp, &t) != 0)
		goto out;
	if (t - now < CREDCACHE_WINDOW) {
		r = CFG_ERR_EXPIRED;
		goto out;
	}
	r = creds_new(ak, sk, *tok != '\0' ? tok : NULL, t, src, out);
 out:
	json_free(j);
	return r;
}

void
credcache_load(const char *dir, const char hex[41], time_t now,
    enum creds_source src, struct creds **out)
{
	char *path, *buf = NULL;
	size_t len = 0;

	*out = NULL;
	if ((path = strjoin(dir, "/", hex, ".json")) == NULL)
		return;
	if (file_read_small(path, CREDCACHE_MAX_FILE, FILE_NOFOLLOW, &buf,
	    &len) == 0) {
		if (credcache_parse(buf, len, now, src, out) != 0)
			*out = NULL;
		OPENSSL_clear_free(buf, len + 1);
	}
	free(path);
}

/* Open the lock file: a regular file of ours, never a link or a FIFO. */
static int
open_lock(const char *path, struct errmsg *note)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK | O_NOCTTY, 0600)) < 0) {
		errmsg_set(note, CFG_ERR_IO, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		errmsg_set(note, CFG_ERR_IO, "%s is not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

int
credcache_acquire(const char *dir, const char hex[41], time_t now,
    enum creds_source src, const struct credcache_wait *w,
    struct creds **out, int *lockfd, struct errmsg *note)
{
	sigset_t block, old;
	struct timespec ts;
	uint64_t deadline;
	char *path = NULL;
	int fd = -1, r = 0, waited = 0;

	*out = NULL;
	*lockfd = -1;
	if (file_mkdirs(dir) != 0) {
		errmsg_set(note, CFG_ERR_IO, "cannot create %s: %s", dir,
		    strerror(errno));
		return 0;
	}
	if ((path = strjoin(dir, "/.ssm-proxy-", hex, ".lock")) == NULL) {
		errmsg_set(note, SP_ERR_ALLOC, "out of memory");
		return 0;
	}
	if ((fd = open_lock(path, note)) < 0)
		goto out;
	/* The three signals arrive only inside pselect(): no lost wakeup. */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	deadline = compat_now_ms() +
	    (uint64_t)(w->wait_ms > 0 ? w->wait_ms : 0);
	for (;;) {
		if (w->stop != NULL && *w->stop) {
			r = errmsg_set(note, CFG_ERR_INTERRUPTED, "interrupted "
			    "while waiting for %s", path);
			break;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			credcache_load(dir, hex, now, src, out);
			if (*out == NULL) {
				*lockfd = fd;
				fd = -1;
			}
			break;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			errmsg_set(note, CFG_ERR_IO, "cannot lock %s: %s",
			    path, strerror(errno));
			break;
		}
		if (waited && (credcache_load(dir, hex, now, src, out),
		    *out != NULL))
			break;
		if (!waited && w->wait_ms > 0 && w->on_wait != NULL)
			w->on_wait(path);
		if (compat_now_ms() >= deadline) {
			errmsg_set(note, CFG_ERR_IO, "%s is busy%s", path,
			    w->wait_ms > 0 ? " (gave up waiting)" : "");
			break;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = CREDCACHE_POLL_MS * 1000000L;
		(void)pselect(0, NULL, NULL, NULL, &ts, &old);
		waited = 1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
 out:
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

int
credcache_store(const char *dir, const char hex[41], const struct creds *c,
    const char *provider_type, struct errmsg *err)
{
	struct json_writer *w = NULL;
	struct buf *b = NULL;
	char *path = NULL, *tmp = NULL, exp[32], pid[32];
	struct tm tm;
	const uint8_t *p;
	size_t len;
	int fd = -1, r = SP_ERR_ALLOC;

	gmtime_r(&c->expiry, &tm);
	strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((w = json_writer_new()) == NULL ||
	    (b = buf_new(CREDCACHE_MAX_FILE)) == NULL)
		goto out;
	if ((r = json_w_obj_open(w)) != 0 ||
	    (provider_type != NULL && ((r = json_w_key(w, "ProviderType")) !=
	    0 || (r = json_w_str(w, provider_type)) != 0)) ||
	    (r = json_w_key(w, "Credentials")) != 0 ||
	    (r = json_w_obj_open(w)) != 0 ||
	    (r = json_w_key(w, "AccessKeyId")) != 0 ||
	    (r = json_w_str(w, c->access_key_id)) != 0 ||
	    (r = json_w_key(w, "SecretAccessKey")) != 0 ||
	    (r = json_w_str(w, c->secret_access_key)) != 0 ||
	    (r = json_w_key(w, "SessionToken")) != 0 ||
	    (r = json_w_str(w, c->session_token ? c->session_token : "")) != 0 ||
	    (r = json_w_key(w, "Expiration")) != 0 ||
	    (r = json_w_str(w, exp)) != 0 ||
	    (r = json_w_obj_close(w)) != 0 ||
	    (r = json_w_obj_close(w)) != 0 ||
	    (r = json_w_finish(w, b)) != 0)
		goto out;
	if (file_mkdirs(dir) != 0) {
		r = errmsg_set(err, CFG_ERR_IO, "cannot create %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	snprintf(pid, sizeof(pid), ".json.%ld.tmp", (long)getpid());
	if ((path = strjoin(dir, "/", hex, ".json")) == NULL ||
	    (tmp = strjoin(dir, "/.", hex, pid)) == NULL) {
		r = SP_ERR_ALLOC;
		goto out;
	}
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) < 0) {
		r = errmsg_set(err, CFG_ERR_IO, "cannot create %s: %s", tmp,
		    strerror(errno));
		goto out;
	}
	p = buf_ptr(b);
	len = buf_len(b);
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = errmsg_set(err, CFG_ERR_IO, "cannot write %s: %s",
			    tmp, strerror(errno));
			(void)unlink(tmp);
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		r = errmsg_set(err, CFG_ERR_IO, "cannot write %s: %s", tmp,
		    strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		r = errmsg_set(err, CFG_ERR_IO, "cannot rename %s to %s: %s",
		    tmp, path, strerror(errno));
		(void)unlink(tmp);
		goto out;
	}
	r = 0;
 out:
	if (r == SP_ERR_ALLOC)
		errmsg_set(err, r, "out of memory");
	else if (r != 0 && err != NULL && err->msg[0] == '\0')
		errmsg_set(err, r, "cannot serialise the cache entry");
	if (fd >= 0)
		close(fd);
	json_writer_free(w);
	buf_free(b);
	free(path);
	free(tmp);
	return r;
}
