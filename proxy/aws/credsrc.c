/*
 * What the credential sources share (credsrc.h): the profile's settings,
 * bounded file reads, JSON answers, and the cache steps around a fetch.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "awscfg.h"
#include "credcache.h"
#include "credsrc.h"
#include "file.h"
#include "ini.h"
#include "json.h"
#include "notice.h"

const char *
src_get(const struct rctx *x, const struct prof *pr, const char *key)
{
	const char *v;

	if (pr->ks != NULL && ini_has(x->cfg->credentials, pr->ks, key))
		return ini_get(x->cfg->credentials, pr->ks, key);
	if (pr->cs != NULL && (v = ini_get(x->cfg->config, pr->cs, key)) !=
	    NULL)
		return v;
	return NULL;
}


int
src_has(const struct rctx *x, const struct prof *pr, const char *key)
{
	return (pr->ks != NULL && ini_has(x->cfg->credentials, pr->ks, key)) ||
	    (pr->cs != NULL && ini_has(x->cfg->config, pr->cs, key));
}


const char *
src_env(const struct rctx *x, const char *name)
{
	return awscfg_getenv(x->cfg, name);
}

int
src_nomem(struct errmsg *err)
{
	return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
}

int
src_stopped(const struct rctx *x)
{
	return x->p->stop != NULL && *x->p->stop != 0;
}


int
src_is_true(const char *v)
{
	return v != NULL && strcasecmp(v, "true") == 0;
}


static void
on_lock_wait(const char *path)
{
	notice(NOTICE_DEBUG, "waiting for %s (another ssm-proxy is fetching "
	    "credentials)", path);
}


/*
 * Before a fetch: the cache entry of hex, read without a lock.  On a miss
 * and if lock_it, the entry's lock (credcache_acquire), which may find
 * the entry written meanwhile.  0 with *out (a hit) or *lock (ours, or -1
 * when the cache cannot help: said at -v); CFG_ERR_INTERRUPTED.
 */
static int
cache_begin(struct rctx *x, const char *hex, enum creds_source src,
    int lock_it, struct creds **out, int *lock)
{
	struct credcache_wait w;
	struct errmsg note;
	int r;

	*lock = -1;
	*out = NULL;
	if (x->cache == NULL) {
		if (lock_it)
			notice(NOTICE_VERBOSE, "credential cache not used: "
			    "%s", x->home_err.msg);
		return 0;
	}
	credcache_load(x->cache, hex, x->p->now, src, out);
	if (*out != NULL) {
		notice(NOTICE_DEBUG, "credentials from the cache %s/%s.json",
		    x->cache, hex);
		return 0;
	}
	if (!lock_it)
		return 0;
	memset(&w, 0, sizeof(w));
	/* Once the tunnel is up (no prompt) a busy lock is a miss. */
	w.wait_ms = x->p->interactive ? CREDCACHE_LOCK_WAIT_MS : 0;
	w.stop = x->p->stop;
	w.on_wait = on_lock_wait;
	errmsg_clear(&note);
	if ((r = credcache_acquire(x->cache, hex, x->p->now, src, &w, out,
	    lock, &note)) != 0)
		return errmsg_set(x->err, r, "%s", note.msg);
	if (*out != NULL)
		notice(NOTICE_DEBUG, "credentials from the cache %s/%s.json, "
		    "written while waiting", x->cache, hex);
	else if (*lock < 0)
		notice(NOTICE_VERBOSE, "credential cache not used: %s",
		    note.msg);
	return 0;
}


/* After the fetch: store c (if any) under the lock, then release it. */
static void
cache_end(struct rctx *x, const char *hex, const struct creds *c,
    const char *provider_type, int lock)
{
	struct errmsg e;

	errmsg_clear(&e);
	if (c != NULL && x->cache != NULL &&
	    credcache_store(x->cache, hex, c, provider_type, &e) != 0)
		notice(NOTICE_VERBOSE, "not cached: %s", e.msg);
	if (lock >= 0)
		close(lock);
}


int
src_cached(struct rctx *x, const struct src_fetch *f, struct creds **out)
{
	int r, lock = -1;

	*out = NULL;
	if (f->prepare != NULL) {
		if ((r = cache_begin(x, f->hex, f->src, 0, out, &lock)) != 0 ||
		    *out != NULL)
			return r;
		if ((r = f->prepare(x, f->arg)) != 0)
			return r;
	}
	if ((r = cache_begin(x, f->hex, f->src, 1, out, &lock)) != 0 ||
	    *out != NULL)
		return r;
	r = f->fetch(x, f->arg, out);
	cache_end(x, f->hex, r == 0 ? *out : NULL, f->provider_type, lock);
	return r;
}

/*
 * A small regular file (never a FIFO or a device: file_read_small),
 * what names it in messages.  0, or err set (CFG_ERR_IO, SP_ERR_TOO_LARGE).
 */
int
src_read_file(struct rctx *x, const char *what, const char *path, int flags,
    size_t max, char **out, size_t *lenp)
{
	if (file_read_small(path, max, flags, out, lenp) == 0)
		return 0;
	if (errno == EFBIG)
		return errmsg_set(x->err, SP_ERR_TOO_LARGE, "%s %s is larger "
		    "than %zu bytes", what, path, max);
	if (errno == EINVAL)
		return errmsg_set(x->err, CFG_ERR_IO, "%s %s is not a regular "
		    "file", what, path);
	return errmsg_set(x->err, CFG_ERR_IO, "cannot read %s %s: %s", what,
	    path, strerror(errno));
}


/* A JSON text refused: over a safety cap of the parser, or not JSON. */
int
src_json_error(struct errmsg *err, int r, const char *what, const char *it)
{
	if (r == SP_ERR_JSON_LIMIT)
		return errmsg_set(err, r, "%s: %s is over a safety cap of the "
		    "JSON parser (a string over %d bytes, more than %d values "
		    "or %d levels)", what, it, JSON_MAX_STRING, JSON_MAX_NODES,
		    JSON_MAX_DEPTH);
	return errmsg_set(err, r, "%s: %s is not JSON", what, it);
}


/* Credentials from a JSON object with the given member names. */
int
src_parse_json(const void *data, size_t len, time_t now, const char *what,
    const char *akn, const char *skn, const char *tokn, const char *expn,
    int exp_ms, enum creds_source src, struct creds **out,
    struct errmsg *err)
{
	const struct json *o = NULL;
	const char *ak, *sk, *tok = NULL, *es;
	struct json *j = NULL;
	int64_t ms;
	time_t t = 0;
	int r;

	*out = NULL;
	if ((r = json_parse(data, len, &j)) != 0)
		return src_json_error(err, r, what, "the answer");
	o = j;
	if (strcmp(what, "GetRoleCredentials") == 0)
		o = json_get(j, "roleCredentials");
	r = CFG_ERR_VALUE;
	if (o == NULL || o->type != JSON_OBJECT ||
	    json_get_str(o, akn, &ak) != 0 || *ak == '\0' ||
	    json_get_str(o, skn, &sk) != 0 || *sk == '\0') {
		r = errmsg_set(err, CFG_ERR_VALUE, "%s: the answer lacks %s "
		    "or %s", what, akn, skn);
		goto out;
	}
	if (json_get(o, tokn) != NULL && json_get_str(o, tokn, &tok) != 0 &&
	    json_get(o, tokn)->type != JSON_NULL) {
		r = errmsg_set(err, CFG_ERR_VALUE, "%s: %s is not a string",
		    what, tokn);
		goto out;
	}
	if (exp_ms) {
		if (json_get_int(o, expn, &ms) != 0 || ms <= 0) {
			r = errmsg_set(err, CFG_ERR_VALUE, "%s: bad %s", what,
			    expn);
			goto out;
		}
		t = (time_t)(ms / 1000);
	} else if (json_get(o, expn) != NULL) {
		if (json_get_str(o, expn, &es) != 0 ||
		    creds_parse_time(es, &t) != 0) {
			r = errmsg_set(err, CFG_ERR_VALUE, "%s: bad %s", what,
			    expn);
			goto out;
		}
	}
	if (t != 0 && t <= now) {
		r = errmsg_set(err, CFG_ERR_EXPIRED, "%s: the credentials "
		    "have already expired", what);
		goto out;
	}
	if (tok != NULL && *tok == '\0')
		tok = NULL;
	if ((r = creds_new(ak, sk, tok, t, src, out)) != 0)
		r = errmsg_set(err, r, "out of memory");
 out:
	json_free(j);
	return r;
}

