/*
 * The name cache; see namecache.h.  Entries are kept sorted by key so
 * that a lookup is a binary search, even with NAMECACHE_MAX_ENTRIES.
 *
 * Choices:
 *   - keys are lowercased here (ASCII letters only), for names and for
 *     everything else: ids, addresses and private DNS names are lower
 *     case anyway, and ssh's %h is lowercased before it reaches us;
 *   - a key must parse as a target (target.h), an id as an instance or
 *     node id; the reader skips any other line, a '#' line, a line of
 *     fewer or more than three fields, or an EXPIRES that is not 1 to 18
 *     decimal digits.  A header of another version ("# ssm-proxy name
 *     cache 2 ...") ends the reading: a later format is not guessed at;
 *   - of two lines with one key, the later wins (as a later put would);
 *   - an entry that expires more than NAMECACHE_MAX_TTL seconds after
 *     now (a clock set back, a file edited by hand) counts as expired;
 *   - beyond NAMECACHE_MAX_ENTRIES, a put drops the entry that expires
 *     first; the reader keeps the first NAMECACHE_MAX_ENTRIES lines;
 *   - two runs that save at once: the last rename wins and the other's
 *     new entries cost one lookup next time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "file.h"
#include "hex.h"
#include "namecache.h"
#include "strutil.h"
#include "target.h"

#define NAMECACHE_MAGIC		"# ssm-proxy name cache "
#define NAMECACHE_VERSION	"1"
#define HASH_HEX		16

struct nc_entry {
	char	*key;
	char	*id;
	time_t	 expires;
	size_t	 seq;		/* line number while parsing */
};

struct namecache {
	struct nc_entry	*e;
	size_t		 n, cap;
	char		*path;		/* "" without a directory */
	char		*header;	/* first line, with its newline */
	int		 dirty;
};

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int
is_id(const char *s)
{
	struct target t;

	return target_parse(s, &t) == 0 && t.kind == TARGET_ID &&
	    t.region[0] == '\0';
}

static int
key_ok(const char *key)
{
	struct target t;

	if (strncmp(key, NAMECACHE_ROUTE, strlen(NAMECACHE_ROUTE)) == 0)
		return is_id(key + strlen(NAMECACHE_ROUTE));
	return target_parse(key, &t) == 0;
}

/* An EICE route: "eice-HEX,DNSNAME,ADDRESS" of [A-Za-z0-9.:-]. */
static int
route_ok(const char *v)
{
	size_t commas = 0, n = strlen(v);
	const char *p;

	if (strncmp(v, "eice-", 5) != 0 || n > NAMECACHE_MAX_ROUTE)
		return 0;
	for (p = v; *p != '\0'; p++) {
		if (*p == ',') {
			if (p[1] == ',' || p[1] == '\0')
				return 0;
			commas++;
		} else if (!((*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '.' || *p == ':' || *p == '-'))
			return 0;
	}
	return commas == 2;
}

/* The value of key: an instance id, or for a route key a route. */
static int
value_ok(const char *key, const char *v)
{
	if (strncmp(key, NAMECACHE_ROUTE, strlen(NAMECACHE_ROUTE)) == 0)
		return route_ok(v);
	return is_id(v);
}

static int
live(const struct nc_entry *e, time_t now)
{
	return e->expires > now && e->expires - now <= NAMECACHE_MAX_TTL;
}

static void
entry_free(struct nc_entry *e)
{
	free(e->key);
	free(e->id);
	e->key = e->id = NULL;
}

static struct namecache *
cache_new(void)
{
	struct namecache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->path = strdup("")) == NULL ||
	    (c->header = strdup(NAMECACHE_MAGIC NAMECACHE_VERSION "\n")) ==
	    NULL) {
		namecache_free(c);
		return NULL;
	}
	return c;
}

/* Room for one more entry. */
static int
grow(struct namecache *c)
{
	struct nc_entry *ne;
	size_t cap;

	if (c->n < c->cap)
		return 0;
	cap = c->cap == 0 ? 16 : c->cap * 2;
	if ((ne = realloc(c->e, cap * sizeof(*ne))) == NULL)
		return SP_ERR_ALLOC;
	c->e = ne;
	c->cap = cap;
	return 0;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct nc_entry *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	if (r != 0)
		return r;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Index of key, or -(insertion point) - 1. */
static long
find(const struct namecache *c, const char *key)
{
	size_t lo = 0, hi = c->n, mid;
	int r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = strcmp(c->e[mid].key, key);
		if (r == 0)
			return (long)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

/* 1 to 18 decimal digits at s (len bytes) into *t. */
static int
parse_expires(const char *s, size_t len, time_t *t)
{
	int64_t v = 0;
	size_t i;

	if (len < 1 || len > 18)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if ((int64_t)(time_t)v != v)
		return -1;
	*t = (time_t)v;
	return 0;
}

/* A "# ssm-proxy name cache N" line of a version other than ours. */
static int
foreign_header(const char *s, size_t len)
{
	static const char magic[] = NAMECACHE_MAGIC NAMECACHE_VERSION;
	size_t ml = sizeof(magic) - 1, pl = sizeof(NAMECACHE_MAGIC) - 1;

	if (len <= pl || memcmp(s, magic, pl) != 0)
		return 0;
	return !(len >= ml && memcmp(s, magic, ml) == 0 &&
	    (len == ml || s[ml] == ' '));
}

/*
 * One line (len bytes at s, no newline): appended when it is an entry.
 * 1 when it is a header of another version (stop), else 0 or
 * SP_ERR_ALLOC.
 */
static int
parse_line(struct namecache *c, const char *s, size_t len, size_t seq)
{
	const char *t1, *t2, *end;
	struct nc_entry e;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	end = s + len;
	if (len > 0 && s[0] == '#')
		return foreign_header(s, len);
	if (c->n >= NAMECACHE_MAX_ENTRIES ||
	    (t1 = memchr(s, '\t', len)) == NULL ||
	    (t2 = memchr(t1 + 1, '\t', (size_t)(end - t1 - 1))) == NULL ||
	    memchr(t2 + 1, '\t', (size_t)(end - t2 - 1)) != NULL ||
	    parse_expires(t2 + 1, (size_t)(end - t2 - 1), &e.expires) != 0)
		return 0;
	if ((e.key = strndup(s, (size_t)(t1 - s))) == NULL ||
	    (e.id = strndup(t1 + 1, (size_t)(t2 - t1 - 1))) == NULL) {
		free(e.key);
		return SP_ERR_ALLOC;
	}
	lower(e.key);
	if (strlen(e.key) != (size_t)(t1 - s) ||
	    strlen(e.id) != (size_t)(t2 - t1 - 1) || !key_ok(e.key) ||
	    !value_ok(e.key, e.id)) {
		entry_free(&e);
		return 0;
	}
	if (grow(c) != 0) {
		entry_free(&e);
		return SP_ERR_ALLOC;
	}
	e.seq = seq;
	c->e[c->n++] = e;
	return 0;
}

/* Sort by key and keep the last line of each key. */
static void
settle(struct namecache *c)
{
	size_t i, out = 0;

	if (c->n == 0)
		return;
	qsort(c->e, c->n, sizeof(*c->e), cmp_entry);
	for (i = 0; i < c->n; i++) {
		if (i + 1 < c->n && strcmp(c->e[i].key, c->e[i + 1].key) == 0) {
			entry_free(&c->e[i]);
			continue;
		}
		c->e[out++] = c->e[i];
	}
	c->n = out;
}

static int
parse_into(struct namecache *c, const char *s, size_t len)
{
	const char *nl;
	size_t seq = 0, ll;
	int r = 0;

	while (len > 0) {
		nl = memchr(s, '\n', len);
		ll = nl != NULL ? (size_t)(nl - s) : len;
		if ((r = parse_line(c, s, ll, seq++)) != 0)
			break;
		s += ll;
		len -= ll;
		if (nl != NULL) {
			s++;
			len--;
		}
	}
	settle(c);
	return r < 0 ? r : 0;
}

int
namecache_parse(const void *data, size_t len, struct namecache **out)
{
	struct namecache *c;
	int r;

	*out = NULL;
	if ((c = cache_new()) == NULL)
		return SP_ERR_ALLOC;
	if ((r = parse_into(c, data, len)) != 0) {
		namecache_free(c);
		return r;
	}
	*out = c;
	return 0;
}

/* s with each control character as '?' appended to b. */
static int
put_clean(struct buf *b, const char *s)
{
	int r = 0;

	for (; *s != '\0' && r == 0; s++)
		r = buf_put_u8(b, (unsigned char)*s < 0x20 || *s == 0x7f ?
		    '?' : (uint8_t)*s);
	return r;
}

/* The header line naming profile, region and tag. */
static int
make_header(struct namecache *c, const char *profile, const char *region,
    const char *tag)
{
	struct buf b;
	size_t len;
	int r;

	buf_init(&b, 4096);
	if ((r = buf_put_str(&b, NAMECACHE_MAGIC NAMECACHE_VERSION
	    " profile=")) != 0 || (r = put_clean(&b, profile)) != 0 ||
	    (r = buf_put_str(&b, " region=")) != 0 ||
	    (r = put_clean(&b, region)) != 0 ||
	    (r = buf_put_str(&b, " tag=")) != 0 ||
	    (r = put_clean(&b, tag)) != 0 ||
	    (r = buf_put_str(&b, "\n")) != 0 || (r = buf_put_u8(&b, 0)) != 0) {
		buf_release(&b);
		return r == SP_ERR_NO_SPACE ? SP_ERR_INVALID_ARG : r;
	}
	free(c->header);
	c->header = (char *)buf_steal(&b, &len);
	return 0;
}

/* The 16 hex digits naming the file of (profile, region, tag, akid). */
static int
file_hash(const char *profile, const char *region, const char *tag,
    const char *akid, char hex[HASH_HEX + 1])
{
	const char *part[4] = { profile, region, tag, akid };
	unsigned char md[EVP_MAX_MD_SIZE];
	char full[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int i, ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return SP_ERR_ALLOC;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	for (i = 0; i < 4 && ok; i++)
		ok = (i == 0 || EVP_DigestUpdate(ctx, "", 1) == 1) &&
		    EVP_DigestUpdate(ctx, part[i], strlen(part[i])) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= 8;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return SP_ERR_CRYPTO;
	hex_encode(md, 8, full);
	memcpy(hex, full, HASH_HEX + 1);
	return 0;
}

/* $XDG_CACHE_HOME/ssm-proxy when absolute, else HOME/.cache/ssm-proxy. */
static int
cache_dir(const struct awscfg_env *env, char **out, struct errmsg *err)
{
	const char *x = env->get(env->arg, "XDG_CACHE_HOME");
	char *home = NULL;
	int r;

	*out = NULL;
	if (x != NULL && x[0] == '/')
		*out = strjoin(x, "/ssm-proxy", "", "");
	else if ((r = awscfg_home(env, &home, err)) != 0)
		return r;
	else
		*out = strjoin(home, "/.cache/ssm-proxy", "", "");
	free(home);
	return *out != NULL ? 0 : SP_ERR_ALLOC;
}

/* Read the file at c->path into c; a missing file is an empty cache. */
static int
load(struct namecache *c, struct errmsg *err)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	if (file_read_small(c->path, NAMECACHE_MAX_BYTES, FILE_NOFOLLOW,
	    &data, &len) != 0) {
		if (errno == ENOMEM)
			return SP_ERR_ALLOC;
		if (errno != ENOENT)
			errmsg_set(err, CFG_ERR_IO, "cannot read the name cache "
			    "%s: %s", c->path, errno == ELOOP ?
			    "a symbolic link" : errno == EFBIG ?
			    "larger than the cap" : strerror(errno));
		return 0;
	}
	r = parse_into(c, data, len);
	free(data);
	return r;
}

int
namecache_open(const struct awscfg_env *env, const char *profile,
    const char *region, const char *tag, const char *akid,
    struct namecache **out, struct errmsg *err)
{
	struct namecache *c;
	char hex[HASH_HEX + 1], *dir = NULL, *path = NULL;
	int r;

	*out = NULL;
	errmsg_clear(err);
	profile = profile != NULL ? profile : "";
	region = region != NULL ? region : "";
	tag = tag != NULL ? tag : "";
	akid = akid != NULL ? akid : "";
	if ((c = cache_new()) == NULL)
		return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
	/* Only memory is fatal: without a hash or a directory the cache is
	 * empty and writes nothing (err says why when it can). */
	if ((r = make_header(c, profile, region, tag)) == SP_ERR_ALLOC ||
	    (r = file_hash(profile, region, tag, akid, hex)) == SP_ERR_ALLOC)
		goto fail;
	if (r != 0) {
		errmsg_set(err, r, "cannot name the name cache's file");
		goto done;
	}
	if ((r = cache_dir(env, &dir, err)) == SP_ERR_ALLOC)
		goto fail;
	if (r != 0)
		goto done;
	if ((path = strjoin(dir, "/names-", hex, ".tsv")) == NULL) {
		r = SP_ERR_ALLOC;
		goto fail;
	}
	free(c->path);
	c->path = path;
	if ((r = load(c, err)) != 0)
		goto fail;
 done:
	free(dir);
	*out = c;
	return 0;
 fail:
	free(dir);
	namecache_free(c);
	return errmsg_set(err, r, "out of memory");
}

/* key lowercased into k (TARGET_MAX + 1 bytes); -1 if too long. */
static int
lower_key(const char *key, char k[TARGET_MAX + 1])
{
	size_t len = strlen(key);

	if (len > TARGET_MAX)
		return -1;
	memcpy(k, key, len + 1);
	lower(k);
	return 0;
}

const char *
namecache_get(const struct namecache *c, const char *key, time_t now)
{
	char k[TARGET_MAX + 1];
	long i;

	if (c == NULL || key == NULL || lower_key(key, k) != 0 ||
	    (i = find(c, k)) < 0 || !live(&c->e[i], now))
		return NULL;
	return c->e[i].id;
}

/* Drop the entry that expires first, to make room. */
static void
evict(struct namecache *c)
{
	size_t i, min = 0;

	for (i = 1; i < c->n; i++)
		if (c->e[i].expires < c->e[min].expires)
			min = i;
	entry_free(&c->e[min]);
	memmove(&c->e[min], &c->e[min + 1], (c->n - min - 1) * sizeof(*c->e));
	c->n--;
}

int
namecache_put(struct namecache *c, const char *key, const char *id,
    time_t now, unsigned int ttl)
{
	char k[TARGET_MAX + 1];
	struct nc_entry e = { NULL, NULL, 0, 0 };
	long i;

	if (ttl == 0)
		return 0;
	if (c == NULL || key == NULL || id == NULL ||
	    lower_key(key, k) != 0 || !key_ok(k) || !value_ok(k, id))
		return SP_ERR_INVALID_ARG;
	if (ttl > NAMECACHE_MAX_TTL)
		ttl = NAMECACHE_MAX_TTL;
	if ((i = find(c, k)) >= 0) {
		if ((e.id = strdup(id)) == NULL)
			return SP_ERR_ALLOC;
		free(c->e[i].id);
		c->e[i].id = e.id;
		c->e[i].expires = now + (time_t)ttl;
		c->dirty = 1;
		return 0;
	}
	if (c->n >= NAMECACHE_MAX_ENTRIES) {
		evict(c);
		i = find(c, k);
	}
	if (grow(c) != 0 || (e.key = strdup(k)) == NULL ||
	    (e.id = strdup(id)) == NULL) {
		entry_free(&e);
		return SP_ERR_ALLOC;
	}
	e.expires = now + (time_t)ttl;
	i = -i - 1;
	memmove(&c->e[i + 1], &c->e[i], (c->n - (size_t)i) * sizeof(*c->e));
	c->e[i] = e;
	c->n++;
	c->dirty = 1;
	return 0;
}

void
namecache_del(struct namecache *c, const char *key)
{
	char k[TARGET_MAX + 1];
	long i;

	if (c == NULL || key == NULL || lower_key(key, k) != 0 ||
	    (i = find(c, k)) < 0)
		return;
	entry_free(&c->e[i]);
	memmove(&c->e[i], &c->e[i + 1], (c->n - (size_t)i - 1) * sizeof(*c->e));
	c->n--;
	c->dirty = 1;
}

int
namecache_text(const struct namecache *c, time_t now, struct buf *b)
{
	size_t i;
	int r;

	if ((r = buf_put_str(b, c->header)) != 0)
		return r;
	for (i = 0; i < c->n; i++) {
		if (!live(&c->e[i], now))
			continue;
		if ((r = buf_putf(b, "%s\t%s\t%lld\n", c->e[i].key,
		    c->e[i].id, (long long)c->e[i].expires)) != 0)
			return r;
	}
	return 0;
}

int
namecache_save(struct namecache *c, time_t now, struct errmsg *err)
{
	struct buf b;
	const char *slash;
	char *dir = NULL;
	int r;

	if (c == NULL || !c->dirty || c->path[0] == '\0')
		return 0;
	buf_init(&b, NAMECACHE_MAX_BYTES);
	if ((r = namecache_text(c, now, &b)) != 0) {
		r = errmsg_set(err, CFG_ERR_IO, "cannot write the name cache "
		    "%s: %s", c->path, r == SP_ERR_ALLOC ? "out of memory" :
		    "larger than the cap");
		goto out;
	}
	slash = strrchr(c->path, '/');
	if ((dir = strndup(c->path, (size_t)(slash - c->path))) == NULL) {
		r = errmsg_set(err, SP_ERR_ALLOC, "out of memory");
		goto out;
	}
	if (file_mkdirs(dir) != 0) {
		r = errmsg_set(err, CFG_ERR_IO, "cannot create %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	if (file_replace(c->path, buf_ptr(&b), buf_len(&b)) != 0) {
		r = errmsg_set(err, CFG_ERR_IO, "cannot write the name cache "
		    "%s: %s", c->path, strerror(errno));
		goto out;
	}
	c->dirty = 0;
	r = 0;
 out:
	free(dir);
	buf_release(&b);
	return r;
}

const char *
namecache_path(const struct namecache *c)
{
	return c != NULL && c->path != NULL ? c->path : "";
}

void
namecache_free(struct namecache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		entry_free(&c->e[i]);
	free(c->e);
	free(c->path);
	free(c->header);
	free(c);
}
