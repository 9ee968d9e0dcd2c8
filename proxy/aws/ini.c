/*
 * AWS shared config/credentials INI parser; see ini.h for the rules.
 * They follow CPython's configparser.RawConfigParser._read() (strict
 * mode, empty_lines_in_values, no inline comments, '=' and ':' as
 * delimiters) and botocore's configloader._parse_nested().
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "file.h"
#include "ini.h"
#include "strutil.h"
#include "utf8.h"

struct ini_sub {
	char		*key;
	char		*value;
};

struct ini_kv {
	char		*key;		/* lower case */
	char		*value;		/* lines joined with '\n' */
	size_t		 vlen;
	size_t		 vcap;
	size_t		 line;
	uint32_t	 serial;	/* unique in the file; scopes subs */
	int		 first_empty;	/* the key line had no value */
	int		 nested;	/* holds sub-properties */
	size_t		 bad_line;	/* [DEFAULT]: 1st sub-line without = */
	struct ini_sub	*subs;
	size_t		 nsubs;
};

struct ini_section {
	char		*name;
	size_t		 line;
	uint32_t	 scope;		/* hash scope of its keys */
	struct ini_kv	*kv;
	size_t		 nkv;
};

/* Hash entry: (scope, string) -> index.  s == NULL marks a free slot. */
struct hent {
	const char	*s;
	uint32_t	 scope;
	uint32_t	 h;
	uint32_t	 idx;
};

struct ini {
	char		*name;
	int		 exists;
	struct ini_section *sec;
	size_t		 nsec;
	size_t		 seccap;	/* sec's allocated length */
	struct ini_section defaults;
	uint32_t	 nserial;
	struct hent	*ht;
	size_t		 htcap;		/* power of two */
	size_t		 htused;
};

#define SCOPE_SECTIONS	0u
#define SCOPE_DEFAULTS	0x7fffffffu
#define SCOPE_SUB	0x80000000u

/* Parser state for one file. */
struct pstate {
	struct ini	*ini;
	struct errmsg	*err;
	size_t		 lineno;
	struct ini_section *cur;	/* NULL before the first header */
	struct ini_kv	*opt;		/* key being continued, or NULL */
	size_t		 indent;	/* indent of the last key/header */
};

/* Python's str.isspace() for ASCII. */
static int
is_ws(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* Python's str.splitlines() boundaries that can sit inside one line. */
static int
is_subline_break(unsigned char c)
{
	return c == '\n' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e);
}

static void
strip(const char **a, const char **b)
{
	while (*a < *b && is_ws((unsigned char)**a))
		(*a)++;
	while (*b > *a && is_ws((unsigned char)(*b)[-1]))
		(*b)--;
}

static char *
dupn(const char *p, size_t n)
{
	char *s;

	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* FNV-1a of scope and s[0..n), ASCII case folded if fold. */
static uint32_t
hash(uint32_t scope, const char *s, size_t n, int fold)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < 4; i++)
		h = (h ^ ((scope >> (8 * i)) & 0xff)) * 16777619u;
	for (i = 0; i < n; i++)
		h = (h ^ (fold ? lower(s[i]) : (unsigned char)s[i])) *
		    16777619u;
	return h;
}

/* Whether the stored string t equals s[0..n) (folded if fold). */
static int
same(const char *t, const char *s, size_t n, int fold)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i] == '\0' || (unsigned char)t[i] !=
		    (fold ? lower(s[i]) : (unsigned char)s[i]))
			return 0;
	return t[n] == '\0';
}

/*
 * Find (scope, s[0..n)); 1 and *idx if present, else 0.  With fold, s is
 * matched ASCII case-insensitively against stored (lower-case) keys.
 */
static int
ht_find_fold(const struct ini *ini, uint32_t scope, const char *s, size_t n,
    int fold, uint32_t *idx)
{
	uint32_t h;
	size_t i, mask;

	if (ini->htcap == 0)
		return 0;
	h = hash(scope, s, n, fold);
	mask = ini->htcap - 1;
	for (i = h & mask; ini->ht[i].s != NULL; i = (i + 1) & mask) {
		if (ini->ht[i].h == h && ini->ht[i].scope == scope &&
		    same(ini->ht[i].s, s, n, fold)) {
			*idx = ini->ht[i].idx;
			return 1;
		}
	}
	return 0;
}

static int
ht_find(const struct ini *ini, uint32_t scope, const char *s, size_t n,
    uint32_t *idx)
{
	return ht_find_fold(ini, scope, s, n, 0, idx);
}

static void
ht_insert(struct hent *t, size_t cap, const struct hent *e)
{
	size_t i, mask = cap - 1;

	for (i = e->h & mask; t[i].s != NULL; i = (i + 1) & mask)
		;
	t[i] = *e;
}

/* Add (scope, s) -> idx; s must stay allocated while the table lives. */
static int
ht_add(struct ini *ini, uint32_t scope, const char *s, uint32_t idx)
{
	struct hent e, *nt;
	size_t i, ncap;

	if ((ini->htused + 1) * 2 > ini->htcap) {
		ncap = ini->htcap ? ini->htcap * 2 : 64;
		if ((nt = calloc(ncap, sizeof(*nt))) == NULL)
			return SP_ERR_ALLOC;
		for (i = 0; i < ini->htcap; i++)
			if (ini->ht[i].s != NULL)
				ht_insert(nt, ncap, &ini->ht[i]);
		free(ini->ht);
		ini->ht = nt;
		ini->htcap = ncap;
	}
	e.s = s;
	e.scope = scope;
	e.h = hash(scope, s, strlen(s), 0);
	e.idx = idx;
	ht_insert(ini->ht, ini->htcap, &e);
	ini->htused++;
	return 0;
}

static void
section_release(struct ini_section *s)
{
	size_t i, j;

	for (i = 0; i < s->nkv; i++) {
		wipe_str(s->kv[i].key);
		if (s->kv[i].value != NULL)
			OPENSSL_clear_free(s->kv[i].value, s->kv[i].vcap);
		for (j = 0; j < s->kv[i].nsubs; j++) {
			wipe_str(s->kv[i].subs[j].key);
			wipe_str(s->kv[i].subs[j].value);
		}
		free(s->kv[i].subs);
	}
	free(s->kv);
	wipe_str(s->name);
}

void
ini_free(struct ini *ini)
{
	size_t i;

	if (ini == NULL)
		return;
	for (i = 0; i < ini->nsec; i++)
		section_release(&ini->sec[i]);
	free(ini->sec);
	section_release(&ini->defaults);
	free(ini->ht);
	free(ini->name);
	free(ini);
}

static struct ini *
ini_new(const char *name)
{
	struct ini *ini;

	if ((ini = calloc(1, sizeof(*ini))) == NULL)
		return NULL;
	if ((ini->name = strdup(name)) == NULL) {
		free(ini);
		return NULL;
	}
	ini->defaults.scope = SCOPE_DEFAULTS;
	return ini;
}

static int
perr(struct pstate *ps, int r, const char *what)
{
	return errmsg_set(ps->err, r, "%s:%zu: %s", ps->ini->name, ps->lineno,
	    what);
}

/* Append n bytes at p to kv's value, growing it. */
static int
value_append(struct ini_kv *kv, const char *p, size_t n)
{
	char *nv;
	size_t ncap;

	if (kv->vlen + n + 1 > kv->vcap) {
		ncap = kv->vcap ? kv->vcap : 32;
		while (ncap < kv->vlen + n + 1)
			ncap *= 2;
		if ((nv = malloc(ncap)) == NULL)
			return SP_ERR_ALLOC;
		if (kv->value != NULL) {
			memcpy(nv, kv->value, kv->vlen + 1);
			OPENSSL_clear_free(kv->value, kv->vcap);
		}
		kv->value = nv;
		kv->vcap = ncap;
	}
	memcpy(kv->value + kv->vlen, p, n);
	kv->vlen += n;
	kv->value[kv->vlen] = '\0';
	return 0;
}

/* One "subkey = value" piece of a sub-property block. */
static int
sub_add(struct pstate *ps, struct ini_kv *kv, const char *a, const char *b)
{
	const char *eq, *ka, *kb, *va, *vb;
	struct ini_sub *ns;
	char *key = NULL, *val = NULL;
	uint32_t idx;
	int r = SP_ERR_ALLOC;

	strip(&a, &b);
	if (a == b)
		return 0;
	if ((eq = memchr(a, '=', b - a)) == NULL) {
		/*
		 * botocore parses sub-properties per section, with [DEFAULT]
		 * merged in: a bad block in [DEFAULT] only counts if the
		 * file has a section.
		 */
		if (ps->cur == &ps->ini->defaults) {
			if (kv->bad_line == 0)
				kv->bad_line = ps->lineno;
			return 0;
		}
		return perr(ps, CFG_ERR_SYNTAX,
		    "sub-property line lacks \"=\"");
	}
	ka = a;
	kb = eq;
	va = eq + 1;
	vb = b;
	strip(&ka, &kb);
	strip(&va, &vb);
	if ((val = dupn(va, vb - va)) == NULL)
		goto out;
	if (ht_find(ps->ini, SCOPE_SUB | kv->serial, ka, kb - ka, &idx)) {
		/* botocore builds a dict: a later sub-key wins. */
		wipe_str(kv->subs[idx].value);
		kv->subs[idx].value = val;
		return 0;
	}
	if ((key = dupn(ka, kb - ka)) == NULL)
		goto out;
	if ((ns = mem_reallocarray(kv->subs, kv->nsubs + 1,
	    sizeof(*ns))) == NULL)
		goto out;
	kv->subs = ns;
	if ((r = ht_add(ps->ini, SCOPE_SUB | kv->serial, key,
	    (uint32_t)kv->nsubs)) != 0)
		goto out;
	ns[kv->nsubs].key = key;
	ns[kv->nsubs].value = val;
	kv->nsubs++;
	return 0;
 out:
	wipe_str(key);
	wipe_str(val);
	return perr(ps, r, "out of memory");
}

/* An indented line continuing the value of ps->opt. */
static int
continuation(struct pstate *ps, const char *a, const char *b)
{
	struct ini_kv *kv = ps->opt;
	const char *p;
	int r;

	if ((r = value_append(kv, "\n", 1)) != 0 ||
	    (r = value_append(kv, a, b - a)) != 0)
		return perr(ps, r, "out of memory");
	if (!kv->first_empty)
		return 0;
	for (p = a; p < b; p++) {
		if (!is_subline_break((unsigned char)*p))
			continue;
		if ((r = sub_add(ps, kv, a, p)) != 0)
			return r;
		a = p + 1;
	}
	return sub_add(ps, kv, a, b);
}

/* "[name]": a and b bound the stripped line; b[-1] is the last ']'. */
static int
header(struct pstate *ps, const char *a, const char *b)
{
	struct ini *ini = ps->ini;
	struct ini_section *ns, *s;
	uint32_t idx;
	size_t n;
	char *name;
	int r;

	ps->opt = NULL;
	a++;
	b--;
	if ((size_t)(b - a) == 7 && memcmp(a, "DEFAULT", 7) == 0) {
		/* configparser allows [DEFAULT] more than once. */
		ps->cur = &ini->defaults;
		return 0;
	}
	if (ht_find(ini, SCOPE_SECTIONS, a, b - a, &idx))
		return errmsg_set(ps->err, CFG_ERR_SYNTAX,
		    "%s:%zu: section [%.*s] already defined at line %zu",
		    ini->name, ps->lineno, (int)(b - a < 200 ? b - a : 200), a,
		    ini->sec[idx].line);
	if ((name = dupn(a, b - a)) == NULL)
		return perr(ps, SP_ERR_ALLOC, "out of memory");
	/* Doubled, not grown by one: a realloc per section is quadratic. */
	if (ini->nsec == ini->seccap) {
		n = ini->seccap ? ini->seccap * 2 : 16;
		if ((ns = mem_reallocarray(ini->sec, n, sizeof(*ns))) == NULL) {
			free(name);
			return perr(ps, SP_ERR_ALLOC, "out of memory");
		}
		ini->sec = ns;
		ini->seccap = n;
	}
	ns = ini->sec;
	s = &ns[ini->nsec];
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->line = ps->lineno;
	s->scope = (uint32_t)ini->nsec + 1;
	ini->nsec++;
	if ((r = ht_add(ini, SCOPE_SECTIONS, name,
	    (uint32_t)ini->nsec - 1)) != 0)
		return perr(ps, r, "out of memory");
	/* ini->sec may have moved: ps->cur points into the new array. */
	ps->cur = s;
	return 0;
}

/* "key = value" or "key: value" in the current section. */
static int
option(struct pstate *ps, const char *a, const char *b)
{
	struct ini_section *s = ps->cur;
	struct ini_kv *nkv, *kv;
	const char *d, *kb, *va;
	uint32_t idx;
	char *key;
	size_t i;
	int r;

	for (d = a; d < b && *d != '=' && *d != ':'; d++)
		;
	if (d == b)
		return perr(ps, CFG_ERR_SYNTAX, "expected \"key = value\", "
		    "a [section] header or a comment");
	kb = d;
	va = d + 1;
	strip(&a, &kb);
	strip(&va, &b);
	if (a == kb)
		return errmsg_set(ps->err, CFG_ERR_SYNTAX,
		    "%s:%zu: no key name before '%c'", ps->ini->name,
		    ps->lineno, *d);
	if ((key = dupn(a, kb - a)) == NULL)
		return perr(ps, SP_ERR_ALLOC, "out of memory");
	for (i = 0; key[i] != '\0'; i++)
		key[i] = lower(key[i]);
	if (ht_find(ps->ini, s->scope, key, strlen(key), &idx)) {
		r = errmsg_set(ps->err, CFG_ERR_SYNTAX,
		    "%s:%zu: key %.200s repeated in section [%.200s] "
		    "(first at line %zu)", ps->ini->name, ps->lineno, key,
		    s->name ? s->name : "DEFAULT", s->kv[idx].line);
		free(key);
		return r;
	}
	if ((nkv = mem_reallocarray(s->kv, s->nkv + 1, sizeof(*nkv))) == NULL) {
		free(key);
		return perr(ps, SP_ERR_ALLOC, "out of memory");
	}
	s->kv = nkv;
	kv = &nkv[s->nkv];
	memset(kv, 0, sizeof(*kv));
	kv->key = key;
	kv->line = ps->lineno;
	kv->serial = ps->ini->nserial++;
	kv->first_empty = va == b;
	s->nkv++;
	if ((r = ht_add(ps->ini, s->scope, key, (uint32_t)s->nkv - 1)) != 0 ||
	    (r = value_append(kv, va, b - va)) != 0)
		return perr(ps, r, "out of memory");
	ps->opt = kv;
	return 0;
}

/* One line without its terminator. */
static int
line(struct pstate *ps, const char *p, size_t n)
{
	const char *a = p, *b = p + n, *rb;
	size_t indent;

	strip(&a, &b);
	if (a == b) {
		/* Blank lines belong to the value being continued. */
		if (ps->opt != NULL && value_append(ps->opt, "\n", 1) != 0)
			return perr(ps, SP_ERR_ALLOC, "out of memory");
		return 0;
	}
	if (*a == '#' || *a == ';')
		return 0;
	indent = a - p;
	if (ps->cur != NULL && ps->opt != NULL && indent > ps->indent)
		return continuation(ps, a, b);
	ps->indent = indent;
	if (*a == '[') {
		/* configparser's "\[(?P<header>.+)\]": up to the last ']'. */
		for (rb = b; rb > a + 2 && rb[-1] != ']'; rb--)
			;
		if (rb > a + 2)
			return header(ps, a, rb);
	}
	if (ps->cur == NULL)
		return perr(ps, CFG_ERR_SYNTAX,
		    "text before the first [section] header");
	return option(ps, a, b);
}

/* Refuse NUL bytes and invalid UTF-8, naming the line. */
static int
check_text(struct pstate *ps, const unsigned char *p, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;

	ps->lineno = 1;
	while (i < n) {
		if (p[i] == '\n' || (p[i] == '\r' && (i + 1 == n ||
		    p[i + 1] != '\n')))
			ps->lineno++;
		if (p[i] == 0 || (k = utf8_decode(p + i, n - i, &cp)) == 0)
			return perr(ps, CFG_ERR_SYNTAX, p[i] == 0 ?
			    "NUL byte in file" : "invalid UTF-8");
		i += k;
	}
	return 0;
}

/* configparser's rstrip() of the joined value; botocore's nesting test. */
static void
finish(struct ini_section *s)
{
	struct ini_kv *kv;
	size_t i;

	for (i = 0; i < s->nkv; i++) {
		kv = &s->kv[i];
		while (kv->vlen > 0 &&
		    is_ws((unsigned char)kv->value[kv->vlen - 1]))
			kv->value[--kv->vlen] = '\0';
		kv->nested = kv->first_empty && kv->vlen > 0;
	}
}

/*
 * A malformed sub-property block in [DEFAULT] is an error only where
 * botocore reads it: in a section that does not set the key itself.
 */
static int
check_defaults(struct pstate *ps)
{
	struct ini *ini = ps->ini;
	struct ini_kv *kv;
	uint32_t idx;
	size_t i, j;

	for (i = 0; i < ini->defaults.nkv; i++) {
		kv = &ini->defaults.kv[i];
		if (kv->bad_line == 0)
			continue;
		for (j = 0; j < ini->nsec; j++) {
			if (ht_find(ini, ini->sec[j].scope, kv->key,
			    strlen(kv->key), &idx))
				continue;
			ps->lineno = kv->bad_line;
			return perr(ps, CFG_ERR_SYNTAX,
			    "sub-property line lacks \"=\"");
		}
	}
	return 0;
}

int
ini_parse(const char *name, const void *data, size_t len, struct ini **out,
    struct errmsg *err)
{
	struct pstate ps;
	const char *p = data, *end, *q;
	struct ini *ini = NULL;
	size_t i;
	int r = SP_ERR_INTERNAL;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.err = err;
	if (len > INI_MAX_FILE)
		return errmsg_set(err, SP_ERR_TOO_LARGE,
		    "%s: file is larger than %d bytes", name, INI_MAX_FILE);
	if ((ini = ini_new(name)) == NULL)
		return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
	ini->exists = 1;
	ps.ini = ini;
	end = p + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	if ((r = check_text(&ps, (const unsigned char *)p, end - p)) != 0)
		goto out;
	for (ps.lineno = 1; p < end; ps.lineno++) {
		for (q = p; q < end && *q != '\n' && *q != '\r'; q++)
			;
		if (q - p > INI_MAX_LINE) {
			r = errmsg_set(err, CFG_ERR_SYNTAX,
			    "%s:%zu: line is longer than %d bytes", name,
			    ps.lineno, INI_MAX_LINE);
			goto out;
		}
		if ((r = line(&ps, p, q - p)) != 0)
			goto out;
		if (q < end && *q == '\r' && q + 1 < end && q[1] == '\n')
			q++;
		p = q < end ? q + 1 : q;
	}
	if ((r = check_defaults(&ps)) != 0)
		goto out;
	for (i = 0; i < ini->nsec; i++)
		finish(&ini->sec[i]);
	finish(&ini->defaults);
	*out = ini;
	ini = NULL;
	r = 0;
 out:
	ini_free(ini);
	return r;
}

int
ini_load(const char *path, struct ini **out, struct errmsg *err)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if (file_read_small(path, INI_MAX_FILE, 0, &buf, &len) != 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			if ((*out = ini_new(path)) == NULL)
				return errmsg_set(err, SP_ERR_ALLOC, "out of "
				    "memory");
			return 0;
		}
		if (errno == EINVAL)
			return errmsg_set(err, CFG_ERR_IO, "%s: not a regular "
			    "file", path);
		if (errno == EFBIG)
			return errmsg_set(err, SP_ERR_TOO_LARGE, "%s: file is "
			    "larger than %d bytes", path, INI_MAX_FILE);
		if (errno == ENOMEM)
			return errmsg_set(err, SP_ERR_ALLOC, "out of memory");
		return errmsg_set(err, CFG_ERR_IO, "%s: %s", path,
		    strerror(errno));
	}
	r = ini_parse(path, buf, len, out, err);
	OPENSSL_clear_free(buf, len + 1);
	return r;
}

const char *
ini_name(const struct ini *ini)
{
	return ini->name;
}

int
ini_exists(const struct ini *ini)
{
	return ini->exists;
}

size_t
ini_section_count(const struct ini *ini)
{
	return ini->nsec;
}

const struct ini_section *
ini_section_at(const struct ini *ini, size_t i)
{
	return i < ini->nsec ? &ini->sec[i] : NULL;
}

const struct ini_section *
ini_find_section(const struct ini *ini, const char *name)
{
	uint32_t idx;

	if (!ht_find(ini, SCOPE_SECTIONS, name, strlen(name), &idx))
		return NULL;
	return &ini->sec[idx];
}

const char *
ini_section_name(const struct ini_section *s)
{
	return s->name;
}

size_t
ini_section_line(const struct ini_section *s)
{
	return s->line;
}

size_t
ini_key_count(const struct ini_section *s)
{
	return s->nkv;
}

const char *
ini_key_at(const struct ini_section *s, size_t i)
{
	return i < s->nkv ? s->kv[i].key : NULL;
}

size_t
ini_default_count(const struct ini *ini)
{
	return ini->defaults.nkv;
}

/* key in s, else in [DEFAULT]; NULL if absent. */
static const struct ini_kv *
find_kv(const struct ini *ini, const struct ini_section *s, const char *key)
{
	uint32_t idx;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(key);
	if (ht_find_fold(ini, s->scope, key, n, 1, &idx))
		return &s->kv[idx];
	if (ht_find_fold(ini, SCOPE_DEFAULTS, key, n, 1, &idx))
		return &ini->defaults.kv[idx];
	return NULL;
}

int
ini_has(const struct ini *ini, const struct ini_section *s, const char *key)
{
	return find_kv(ini, s, key) != NULL;
}

const char *
ini_get(const struct ini *ini, const struct ini_section *s, const char *key)
{
	const struct ini_kv *kv;

	if ((kv = find_kv(ini, s, key)) == NULL || kv->nested)
		return NULL;
	return kv->value != NULL ? kv->value : "";
}

size_t
ini_get_line(const struct ini *ini, const struct ini_section *s,
    const char *key)
{
	const struct ini_kv *kv;

	return (kv = find_kv(ini, s, key)) == NULL ? 0 : kv->line;
}

const char *
ini_get_sub(const struct ini *ini, const struct ini_section *s,
    const char *key, const char *subkey)
{
	const struct ini_kv *kv;
	uint32_t idx;

	if ((kv = find_kv(ini, s, key)) == NULL || !kv->nested)
		return NULL;
	if (!ht_find(ini, SCOPE_SUB | kv->serial, subkey, strlen(subkey),
	    &idx))
		return NULL;
	return kv->subs[idx].value;
}
