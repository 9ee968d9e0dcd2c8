/* The AWS CLI's credential cache; see credcache.h. */
#include <sys/file.h>
#include <sys/stat.h>

#include <sys/select.h>

#include <errno.h>
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
#include "credcache.h"
#include "credproc.h"
#include "json.h"

struct sbuf {
	char	*p;
	size_t	 len, cap;
	int	 fail;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *np;

	if (b->fail)
		return;
	if (b->len + n + 1 > b->cap) {
		if ((np = realloc(b->p, (b->len + n + 1) * 2 + 32)) == NULL) {
			b->fail = 1;
			return;
		}
		b->p = np;
		b->cap = (b->len + n + 1) * 2 + 32;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Decode one UTF-8 sequence; -1 if invalid. */
static long
utf8_next(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	long cp;
	int n, i;

	if (p[0] < 0x80) {
		*pp = p + 1;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 1;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 2;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 3;
		cp = p[0] & 0x07;
	} else
		return -1;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
	    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*pp = p + n + 1;
	return cp;
}

/* A JSON string as Python's json.dumps (ensure_ascii) writes it. */
static void
py_str(struct sbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char e[16];
	long cp;

	sb_add(b, "\"", 1);
	while (*p != '\0') {
		if ((cp = utf8_next(&p)) < 0) {
			b->fail = 1;
			return;
		}
		switch (cp) {
		case '"':	sb_add(b, "\\\"", 2); continue;
		case '\\':	sb_add(b, "\\\\", 2); continue;
		case '\n':	sb_add(b, "\\n", 2); continue;
		case '\r':	sb_add(b, "\\r", 2); continue;
		case '\t':	sb_add(b, "\\t", 2); continue;
		case '\b':	sb_add(b, "\\b", 2); continue;
		case '\f':	sb_add(b, "\\f", 2); continue;
		}
		if (cp >= 0x20 && cp < 0x7f) {
			e[0] = (char)cp;
			sb_add(b, e, 1);
		} else if (cp == 0x7f) {
			sb_add(b, "\x7f", 1);
		} else if (cp < 0x10000) {
			snprintf(e, sizeof(e), "\\u%04lx", cp);
			sb_str(b, e);
		} else {
			cp -= 0x10000;
			snprintf(e, sizeof(e), "\\u%04lx\\u%04lx",
			    0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
			sb_str(b, e);
		}
	}
	sb_add(b, "\"", 1);
}

static void
py_member(struct sbuf *b, int *first, const char *k, const char *v,
    const char *sep, const char *colon)
{
	if (!*first)
		sb_str(b, sep);
	*first = 0;
	py_str(b, k);
	sb_str(b, colon);
	py_str(b, v);
}

static int
finish(struct sbuf *b, char **out)
{
	if (b->fail) {
		free(b->p);
		return SP_ERR_INVALID_ARG;
	}
	*out = b->p;
	return 0;
}

int
credcache_role_text(const struct sts_args *a, int session_generated,
    char **out)
{
	struct sbuf b;
	char num[32];
	int first = 1;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	sb_add(&b, "{", 1);
	/* Keys in sorted order, as sort_keys=True gives. */
	if (a->duration_seconds > 0) {
		py_str(&b, "DurationSeconds");
		snprintf(num, sizeof(num), ": %ld", a->duration_seconds);
		sb_str(&b, num);
		first = 0;
	}
	if (a->external_id != NULL)
		py_member(&b, &first, "ExternalId", a->external_id, ", ", ": ");
	py_member(&b, &first, "RoleArn", a->role_arn, ", ", ": ");
	if (!session_generated && a->role_session_name != NULL)
		py_member(&b, &first, "RoleSessionName", a->role_session_name,
		    ", ", ": ");
	if (a->serial_number != NULL)
		py_member(&b, &first, "SerialNumber", a->serial_number, ", ",
		    ": ");
	sb_add(&b, "}", 1);
	return finish(&b, out);
}

int
credcache_sso_text(const char *start_url, const char *role_name,
    const char *account_id, const char *session_name, char **out)
{
	struct sbuf b;
	int first = 1;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	sb_add(&b, "{", 1);
	py_member(&b, &first, "accountId", account_id, ",", ":");
	py_member(&b, &first, "roleName", role_name, ",", ":");
	if (session_name != NULL)
		py_member(&b, &first, "sessionName", session_name, ",", ":");
	py_member(&b, &first, "startUrl", start_url, ",", ":");
	sb_add(&b, "}", 1);
	return finish(&b, out);
}

void
credcache_sha1(const char *text, char hex[41])
{
	unsigned char md[SHA_DIGEST_LENGTH];
	int i;

	SHA1((const unsigned char *)text, strlen(text), md);
	for (i = 0; i < SHA_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
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
	    credproc_parse_time(exp, &t) != 0)
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

/* dir + "/" + a + b + c on the heap; NULL if out of memory. */
static char *
path_of(const char *dir, const char *a, const char *b, const char *c)
{
	size_t n = strlen(dir) + strlen(a) + strlen(b) + strlen(c) + 2;
	char *p;

	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s/%s%s%s", dir, a, b, c);
	return p;
}

static int
mkdirs(const char *dir)
{
	char *path, *p;
	int r = -1, e;

	if ((path = strdup(dir)) == NULL)
		return -1;
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			goto out;
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		goto out;
	r = 0;
 out:
	e = errno;
	free(path);
	errno = e;
	return r;
}

int
credcache_read_file(const char *path, int nofollow, size_t max, char **out,
    size_t *lenp)
{
	struct stat st;
	char *b = NULL;
	ssize_t n;
	size_t len = 0;
	int fd, e;

	*out = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
	    (nofollow ? O_NOFOLLOW : 0))) < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((b = malloc(max + 1)) == NULL)
		goto fail;
	while (len <= max && (n = read(fd, b + len, max + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		len += (size_t)n;
	}
	if (len > max) {
		errno = EFBIG;
		goto fail;
	}
	close(fd);
	b[len] = '\0';
	*out = b;
	*lenp = len;
	return 0;
 fail:
	e = errno;
	if (b != NULL)
		OPENSSL_clear_free(b, max + 1);
	close(fd);
	errno = e;
	return -1;
}

void
credcache_load(const char *dir, const char hex[41], time_t now,
    enum creds_source src, struct creds **out)
{
	char *path, *buf = NULL;
	size_t len = 0;

	*out = NULL;
	if ((path = path_of(dir, hex, ".json", "")) == NULL)
		return;
	if (credcache_read_file(path, 1, CREDCACHE_MAX_FILE, &buf,
	    &len) == 0) {
		if (credcache_parse(buf, len, now, src, out) != 0)
			*out = NULL;
		OPENSSL_clear_free(buf, len + 1);
	}
	free(path);
}

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	long long deadline;
	char *path = NULL;
	int fd = -1, r = 0, waited = 0;

	*out = NULL;
	*lockfd = -1;
	if (mkdirs(dir) != 0) {
		errmsg_set(note, CFG_ERR_IO, "cannot create %s: %s", dir,
		    strerror(errno));
		return 0;
	}
	if ((path = path_of(dir, ".ssm-proxy-", hex, ".lock")) == NULL) {
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
	deadline = mono_ms() + (w->wait_ms > 0 ? w->wait_ms : 0);
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
		if (mono_ms() >= deadline) {
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
	if (mkdirs(dir) != 0) {
		r = errmsg_set(err, CFG_ERR_IO, "cannot create %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	snprintf(pid, sizeof(pid), ".json.%ld.tmp", (long)getpid());
	if ((path = path_of(dir, hex, ".json", "")) == NULL ||
	    (tmp = path_of(dir, ".", hex, pid)) == NULL) {
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
