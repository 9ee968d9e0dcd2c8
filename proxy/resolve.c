/*
 * From a target to an instance id: the name cache, then the fleet's
 * lookups (see resolve.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "errmsg.h"
#include "exit.h"
#include "log.h"
#include "resolve.h"

/* Candidates listed when a name is ambiguous. */
#define AMBIGUOUS_SHOWN		10

void
resolve_ctx(const struct resolve *r, struct fleet_ctx *x)
{
	memset(x, 0, sizeof(*x));
	x->cfg = r->cfg;
	x->creds = r->creds;
	x->region = r->region;
	x->name_tag = resolve_tag(r);
	x->stop = r->stop;
}

const char *
resolve_tag(const struct resolve *r)
{
	return r->conf->name_tag != NULL ? r->conf->name_tag : "Name";
}

int
resolve_denied(const char *code)
{
	return strcmp(code, "UnauthorizedOperation") == 0 ||
	    strcmp(code, "AccessDeniedException") == 0 ||
	    strcmp(code, "AccessDenied") == 0;
}

int
resolve_parse(struct resolve *r, const char *target)
{
	size_t i;

	if (target_parse(target, &r->t) != 0) {
		log_error("invalid target \"%.64s\": expected an instance id "
		    "(i-...), a managed node id (mi-...), an IP address, a "
		    "private DNS name or a name, optionally with .REGION",
		    target);
		return EXIT_USAGE;
	}
	snprintf(r->id, sizeof(r->id), "%s", r->t.value);
	snprintf(r->key, sizeof(r->key), "%s", r->t.value);
	for (i = 0; r->key[i] != '\0'; i++)
		r->key[i] = (char)tolower((unsigned char)r->key[i]);
	return 0;
}

/* 'named "web1"' or 'with private IP address 10.0.1.5', etc. */
static void
target_words(const struct resolve *r, int plural, char *buf, size_t sz)
{
	switch (r->t.kind) {
	case TARGET_IPV4:
		snprintf(buf, sz, "%s private IP address %.64s",
		    plural ? "have" : "with", r->t.value);
		break;
	case TARGET_DNS:
		snprintf(buf, sz, "%s private DNS name %.256s",
		    plural ? "have" : "with", r->t.value);
		break;
	default:
		snprintf(buf, sz, "%snamed \"%.256s\"", plural ? "are " : "",
		    r->t.value);
	}
}

/* A lookup failed.  The exit status, after logging why. */
static int
lookup_failed(const struct resolve *r, const char *perm,
    const char *code, const struct errmsg *err)
{
	if (resolve_denied(code))
		log_error("cannot look up \"%.256s\": not allowed to call %s "
		    "(%s)", r->t.value, perm, code);
	else
		log_error("cannot look up \"%.256s\": %s", r->t.value,
		    err->msg);
	return EXIT_API;
}

/*
 * DescribeInstances as by says and, with ssm, DescribeInstanceInformation
 * (names: by the tag; FLEET_BY_NAMED: every node), into out.  When one of
 * the two is denied, what the other found is used.  0, RESOLVE_SIGNALLED
 * or the exit status after logging.
 */
static int
lookup(const struct resolve *r, enum fleet_by by, int ssm,
    struct fleet_list *out)
{
	struct fleet_ctx xe, xs;
	struct errmsg ee, es;
	const char *value = by == FLEET_BY_NAMED ? NULL : r->t.value;
	int re, rs = 0;

	resolve_ctx(r, &xe);
	resolve_ctx(r, &xs);
	errmsg_clear(&ee);
	errmsg_clear(&es);
	re = fleet_ec2_describe(&xe, by, value, out, &ee);
	if (re == CFG_ERR_INTERRUPTED)
		return RESOLVE_SIGNALLED;
	if (re != 0 && !resolve_denied(xe.code))
		return lookup_failed(r, "ec2:DescribeInstances", xe.code, &ee);
	if (ssm) {
		rs = fleet_ssm_describe(&xs, NULL, 0, value, out, &es);
		if (rs == CFG_ERR_INTERRUPTED)
			return RESOLVE_SIGNALLED;
		if (rs != 0 && !resolve_denied(xs.code))
			return lookup_failed(r, "ssm:DescribeInstanceInformation",
			    xs.code, &es);
	}
	/* Denied, both (or the only one asked): name EC2's permission. */
	if (re != 0 && (!ssm || rs != 0))
		return lookup_failed(r, "ec2:DescribeInstances", xe.code, &ee);
	if (re != 0)
		log_verbose("%s: looking at managed nodes only", ee.msg);
	if (rs != 0)
		log_verbose("%s: looking at EC2 instances only", es.msg);
	debug("looked up %s in %s: %d call%s, %zu found", r->t.value,
	    r->region, xe.calls + xs.calls, xe.calls + xs.calls == 1 ? "" :
	    "s", out->n);
	return 0;
}

/* Does i answer r's target (ci: a name in any case)? */
static int
matches(const struct resolve *r, const struct fleet_instance *i, int ci)
{
	switch (r->t.kind) {
	case TARGET_IPV4:
		return strcmp(i->private_ip, r->t.value) == 0;
	case TARGET_DNS:
		return strcasecmp(i->private_dns, r->t.value) == 0;
	default:
		return ci ? strcasecmp(i->name, r->t.value) == 0 :
		    strcmp(i->name, r->t.value) == 0;
	}
}

/* Newest launch first, then by id (nodes without a launch time last). */
static int
newer_first(const void *a, const void *b)
{
	const struct fleet_instance *x = *(const struct fleet_instance *
	    const *)a, *y = *(const struct fleet_instance *const *)b;

	if (x->launched != y->launched)
		return x->launched > y->launched ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int
by_name_ci(const void *a, const void *b)
{
	const struct fleet_instance *x = *(const struct fleet_instance *
	    const *)a, *y = *(const struct fleet_instance *const *)b;

	return strcasecmp(x->name, y->name);
}

static void
remember(struct resolve *r, const char *name, const char *id)
{
	char key[sizeof(r->key)];
	size_t i;

	if (r->cache == NULL)
		return;
	snprintf(key, sizeof(key), "%s", name);
	for (i = 0; key[i] != '\0'; i++)
		key[i] = (char)tolower((unsigned char)key[i]);
	if (namecache_put(r->cache, key, id, time(NULL),
	    r->conf->cache_ttl) != 0)
		debug2("name cache: out of memory");
}

/* Every name of a listing that names one instance only, into the cache. */
static void
remember_all(struct resolve *r, struct fleet_list *l)
{
	struct fleet_instance **v;
	size_t i, j, n = 0;

	if (r->cache == NULL || l->n == 0 ||
	    (v = calloc(l->n, sizeof(*v))) == NULL)
		return;
	for (i = 0; i < l->n; i++)
		if (l->v[i].name[0] != '\0')
			v[n++] = &l->v[i];
	qsort(v, n, sizeof(*v), by_name_ci);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && by_name_ci(&v[i], &v[j]) == 0; j++)
			;
		if (j == i + 1)
			remember(r, v[i]->name, v[i]->id);
	}
	free(v);
}

static void
take(struct resolve *r, const struct fleet_instance *i)
{
	snprintf(r->id, sizeof(r->id), "%s", i->id);
	snprintf(r->state, sizeof(r->state), "%s", i->state);
	snprintf(r->name, sizeof(r->name), "%s", i->name);
}

static const char *
or_dash(const char *s)
{
	return *s != '\0' ? s : "-";
}

/* One of n candidates (newest first), or several: EXIT_USAGE. */
static int
choose(struct resolve *r, struct fleet_instance **m, size_t n)
{
	char what[320];
	size_t i;
	int oldest = r->conf->pick == PICK_OLDEST;

	qsort(m, n, sizeof(*m), newer_first);
	target_words(r, 1, what, sizeof(what));
	if (n > 1 && r->conf->pick == PICK_NONE) {
		log_error("%zu instances %s in %s (profile %s): add --pick "
		    "newest|oldest or connect by id", n, what, r->region,
		    r->cfg->profile);
		for (i = 0; i < n && i < AMBIGUOUS_SHOWN; i++)
			log_error("  %s  %s  %s  %s  launched %s", m[i]->id,
			    or_dash(m[i]->state), or_dash(m[i]->az),
			    or_dash(m[i]->private_ip),
			    or_dash(m[i]->launch_time));
		if (n > AMBIGUOUS_SHOWN)
			log_error("  ... and %zu more", n - AMBIGUOUS_SHOWN);
		return EXIT_USAGE;
	}
	take(r, m[oldest ? n - 1 : 0]);
	if (n > 1)
		log_verbose("%zu instances %s: picked the %s, %s (launched %s)",
		    n, what, oldest ? "oldest" : "newest", r->id,
		    or_dash(m[oldest ? n - 1 : 0]->launch_time));
	return 0;
}

/* The candidates of l, into *mp (newly allocated); their number. */
static size_t
candidates(const struct resolve *r, struct fleet_list *l, int ci,
    struct fleet_instance ***mp)
{
	size_t i, n = 0;

	free(*mp);
	if ((*mp = calloc(l->n + 1, sizeof(**mp))) == NULL)
		return 0;
	for (i = 0; i < l->n; i++)
		if (matches(r, &l->v[i], ci))
			(*mp)[n++] = &l->v[i];
	return n;
}

static enum fleet_by
fleet_by(enum target_kind k)
{
	return k == TARGET_IPV4 ? FLEET_BY_IP : k == TARGET_DNS ?
	    FLEET_BY_DNS : FLEET_BY_NAME;
}

static void
save_cache(struct resolve *r)
{
	struct errmsg err;

	errmsg_clear(&err);
	if (r->cache != NULL && namecache_save(r->cache, time(NULL),
	    &err) != 0)
		debug2("name cache: %s", err.msg);
}

/* The lookups: exactly, then (names) in any case. */
static int
look_up(struct resolve *r)
{
	struct fleet_list l;
	struct fleet_instance **m = NULL;
	char what[320];
	size_t n;
	int rc, name = r->t.kind == TARGET_NAME;

	memset(&l, 0, sizeof(l));
	r->looked_up = 1;
	if ((rc = lookup(r, fleet_by(r->t.kind), name, &l)) != 0)
		goto out;
	n = candidates(r, &l, 0, &m);
	if (n == 0 && name) {
		debug("no instance named \"%s\" exactly; listing every name "
		    "in %s", r->t.value, r->region);
		fleet_list_free(&l);
		if ((rc = lookup(r, FLEET_BY_NAMED, 1, &l)) != 0)
			goto out;
		remember_all(r, &l);
		n = candidates(r, &l, 1, &m);
	}
	if (m == NULL) {
		log_error("cannot look up \"%.256s\": out of memory",
		    r->t.value);
		rc = EXIT_API;
		goto out;
	}
	if (n == 0) {
		target_words(r, 0, what, sizeof(what));
		log_error("no instance %s in %s (profile %s%s%s)", what,
		    r->region, r->cfg->profile, name ? ", tag " : "",
		    name ? resolve_tag(r) : "");
		rc = EXIT_USAGE;
		goto out;
	}
	if ((rc = choose(r, m, n)) == 0 && n == 1)
		remember(r, r->key, r->id);
	log_verbose("%s is %s%s%s%s", r->t.value, r->id,
	    r->state[0] != '\0' ? " (" : "", r->state,
	    r->state[0] != '\0' ? ")" : "");
 out:
	save_cache(r);
	free(m);
	fleet_list_free(&l);
	return rc;
}

/* The name cache, when --cache-ttl is not 0.  0, or SP_ERR_ALLOC. */
static int
open_cache(struct resolve *r)
{
	struct errmsg err;

	if (r->conf->cache_ttl == 0 || r->cache != NULL)
		return 0;
	errmsg_clear(&err);
	if (namecache_open(&r->cfg->env, r->cfg->profile, r->region,
	    resolve_tag(r), r->creds->access_key_id, &r->cache, &err) != 0)
		return SP_ERR_ALLOC;
	if (err.msg[0] != '\0')
		debug2("name cache: %s", err.msg);
	return 0;
}

struct namecache *
resolve_cache(struct resolve *r)
{
	return open_cache(r) == 0 ? r->cache : NULL;
}

void
resolve_save(struct resolve *r)
{
	save_cache(r);
}

void
resolve_remember(struct resolve *r, struct fleet_list *l)
{
	if (open_cache(r) != 0)
		return;
	remember_all(r, l);
	save_cache(r);
}

int
resolve_target(struct resolve *r)
{
	const char *id;

	if (r->t.kind == TARGET_ID || r->t.kind == TARGET_ECS)
		return 0;
	if (open_cache(r) != 0) {
		log_error("cannot look up \"%.256s\": out of memory",
		    r->t.value);
		return EXIT_API;
	}
	if (r->cache != NULL) {
		if ((id = namecache_get(r->cache, r->key, time(NULL))) !=
		    NULL) {
			snprintf(r->id, sizeof(r->id), "%s", id);
			r->cached = 1;
			log_verbose("%s is %s (cached)", r->t.value, r->id);
			return 0;
		}
	}
	return look_up(r);
}

int
resolve_again(struct resolve *r)
{
	char old[sizeof(r->id)];
	int rc;

	r->retried = 1;
	r->cached = 0;
	snprintf(old, sizeof(old), "%s", r->id);
	if (r->cache != NULL)
		namecache_del(r->cache, r->key);
	log_verbose("%s: the cached %s did not answer; looking it up again",
	    r->t.value, old);
	if ((rc = look_up(r)) == 0 && strcmp(old, r->id) != 0)
		log_verbose("%s is now %s", r->t.value, r->id);
	return rc;
}

void
resolve_free(struct resolve *r)
{
	namecache_free(r->cache);
	r->cache = NULL;
}
