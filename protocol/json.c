/*
 * Bounded JSON trees on top of yajl's callback parser; see json.h.  The
 * writer is in jsonw.c.
 *
 * yajl does the lexing and the grammar.  Around it this file adds what
 * yajl 2.1 lacks: limits on depth, node count, string and input size; a
 * refusal of NUL bytes (raw or as \u0000); strict UTF-8 (yajl's own check
 * lets overlong forms, surrogates and code points above U+10FFFF through);
 * and a check that \u escapes pair their surrogates (yajl would otherwise
 * glue a high surrogate to any following \u escape, or encode a lone low
 * one as invalid UTF-8).
 *
 * Every error is reported at the first offending byte in stream order, so
 * that the result does not depend on how the input was split into pieces.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <yajl/yajl_parse.h>

#include "buf.h"
#include "hex.h"
#include "json.h"
#include "utf8.h"

/* Longest number text converted; a longer one is refused as too big. */
#define JSON_MAX_NUMBER		JSON_MAX_STRING

/* Where scan_bytes is in the text, for escapes and NUL bytes. */
enum json_scan {
	SCAN_OUT,		/* between strings */
	SCAN_STR,		/* inside a string */
	SCAN_ESC,		/* after a backslash */
	SCAN_HEX		/* inside the four digits of \u */
};

/* An open array or object and the members allocated for it. */
struct json_frame {
	struct json	*j;
	size_t		 cap;
};

struct json_parser {
	yajl_handle	 h;
	struct json	*root;		/* the tree so far */
	struct json_frame stack[JSON_MAX_DEPTH];
	size_t		 depth;		/* open containers */
	size_t		 nodes;		/* values created */
	size_t		 total;		/* bytes handed to yajl */
	int		 r;		/* sticky error, 0 while good */
	int		 spent;		/* json_parser_finish was called */
	enum json_scan	 scan;
	int		 hex_left;	/* digits of \u still to come */
	uint32_t	 unit;		/* UTF-16 code unit of a \u escape */
	int		 want_low;	/* a high surrogate awaits its pair */
};

/*
 * Run the escape and NUL checks over up to *np bytes.  On a bad byte, set
 * *np to its index and return the error; the caller hands yajl only the
 * bytes before it, so an earlier syntax error still wins.
 */
static int
scan_bytes(struct json_parser *p, const uint8_t *d, size_t *np)
{
	size_t i;
	int v;

	for (i = 0; i < *np; i++) {
		if (d[i] == '\0') {
			*np = i;
			return SP_ERR_JSON_NUL;
		}
		switch (p->scan) {
		case SCAN_OUT:
			if (d[i] == '"')
				p->scan = SCAN_STR;
			break;
		case SCAN_STR:
			if (d[i] == '\\')
				p->scan = SCAN_ESC;
			else if (p->want_low)
				goto bad;
			else if (d[i] == '"')
				p->scan = SCAN_OUT;
			break;
		case SCAN_ESC:
			if (d[i] == 'u') {
				p->scan = SCAN_HEX;
				p->hex_left = 4;
				p->unit = 0;
			} else if (p->want_low)
				goto bad;
			else
				p->scan = SCAN_STR;
			break;
		case SCAN_HEX:
			if ((v = hex_value(d[i])) < 0)
				goto bad;
			p->unit = p->unit << 4 | (uint32_t)v;
			if (--p->hex_left > 0)
				break;
			p->scan = SCAN_STR;
			if (p->want_low) {
				if (p->unit < 0xdc00 || p->unit > 0xdfff)
					goto bad;
				p->want_low = 0;
			} else if (p->unit >= 0xd800 && p->unit <= 0xdbff)
				p->want_low = 1;
			else if (p->unit >= 0xdc00 && p->unit <= 0xdfff)
				goto bad;
			else if (p->unit == 0) {
				*np = i;
				return SP_ERR_JSON_NUL;
			}
			break;
		}
	}
	return 0;
 bad:
	*np = i;
	return SP_ERR_JSON_SYNTAX;
}

/* Record the first error and tell yajl to stop. */
static int
cb_fail(struct json_parser *p, int r)
{
	if (p->r == 0)
		p->r = r;
	return 0;
}

/* Make room for one more member in the open container f. */
static int
frame_grow(struct json_frame *f)
{
	struct json *j = f->j;
	size_t ncap;
	void *nv, *nk;

	if (j->n < f->cap)
		return 0;
	ncap = f->cap == 0 ? 4 : f->cap * 2;
	if ((nv = mem_reallocarray(j->v, ncap, sizeof(*j->v))) == NULL)
		return SP_ERR_ALLOC;
	j->v = nv;
	if (j->type == JSON_OBJECT) {
		if ((nk = mem_reallocarray(j->keys, ncap,
		    sizeof(*j->keys))) == NULL)
			return SP_ERR_ALLOC;
		j->keys = nk;
	}
	f->cap = ncap;
	return 0;
}

/* Copy a string or member name out of yajl's buffer, checking it. */
static int
copy_text(const unsigned char *s, size_t len, char **out)
{
	char *c;

	*out = NULL;
	if (len > JSON_MAX_STRING)
		return SP_ERR_JSON_LIMIT;
	if (len > 0 && memchr(s, '\0', len) != NULL)
		return SP_ERR_JSON_NUL;		/* unreachable: scan_bytes */
	if (!utf8_valid(s, len))
		return SP_ERR_JSON_SYNTAX;
	if ((c = malloc(len + 1)) == NULL)
		return SP_ERR_ALLOC;
	if (len > 0)
		memcpy(c, s, len);
	c[len] = '\0';
	*out = c;
	return 0;
}

/*
 * Create a value and hang it in the tree at once, so that json_free of
 * the root reclaims everything whatever happens next.
 */
static int
add_value(struct json_parser *p, enum json_type type, struct json **out)
{
	struct json_frame *f;
	struct json *j, *parent;
	int r;

	*out = NULL;
	if (p->nodes >= JSON_MAX_NODES)
		return SP_ERR_JSON_LIMIT;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return SP_ERR_ALLOC;
	j->type = type;
	if (p->depth == 0) {
		if (p->root != NULL) {
			free(j);
			return SP_ERR_INTERNAL;	/* yajl allows one value */
		}
		p->root = j;
	} else {
		f = &p->stack[p->depth - 1];
		parent = f->j;
		if (parent->type == JSON_OBJECT) {
			/* cb_map_key added the name with an empty slot. */
			if (parent->n == 0 ||
			    parent->v[parent->n - 1] != NULL) {
				free(j);
				return SP_ERR_INTERNAL;
			}
			parent->v[parent->n - 1] = j;
		} else {
			if ((r = frame_grow(f)) != 0) {
				free(j);
				return r;
			}
			parent->v[parent->n++] = j;
		}
	}
	p->nodes++;
	*out = j;
	return 0;
}

static int
cb_null(void *ctx)
{
	struct json_parser *p = ctx;
	struct json *j;
	int r;

	if ((r = add_value(p, JSON_NULL, &j)) != 0)
		return cb_fail(p, r);
	return 1;
}

static int
cb_boolean(void *ctx, int v)
{
	struct json_parser *p = ctx;
	struct json *j;
	int r;

	if ((r = add_value(p, JSON_BOOL, &j)) != 0)
		return cb_fail(p, r);
	j->boolean = v != 0;
	return 1;
}

/*
 * Integer syntax only (an optional minus and digits, as Go's ParseInt
 * takes them): "1.0" and "1e2" are not integers here, as Go refuses them
 * for an int64 field.  Returns 1 and sets *v when s fits an int64.
 */
static int
parse_int64(const char *s, size_t len, int64_t *v)
{
	uint64_t acc = 0, lim = INT64_MAX;
	unsigned int dig;
	size_t i = 0;
	int neg = 0;

	*v = 0;
	if (i < len && s[i] == '-') {
		neg = 1;
		lim = (uint64_t)INT64_MAX + 1;
		i++;
	}
	if (i == len)
		return 0;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		dig = (unsigned int)(s[i] - '0');
		if (acc > (lim - dig) / 10)
			return 0;
		acc = acc * 10 + dig;
	}
	if (!neg)
		*v = (int64_t)acc;
	else if (acc == (uint64_t)INT64_MAX + 1)
		*v = INT64_MIN;
	else
		*v = -(int64_t)acc;
	return 1;
}

static int
cb_number(void *ctx, const char *s, size_t len)
{
	struct json_parser *p = ctx;
	struct json *j;
	char *c;
	int r;

	if (len > JSON_MAX_NUMBER)
		return cb_fail(p, SP_ERR_JSON_LIMIT);
	if ((r = add_value(p, JSON_NUMBER, &j)) != 0)
		return cb_fail(p, r);
	j->is_int = parse_int64(s, len, &j->i);
	/*
	 * strtod needs a terminated copy.  Out of range gives +-HUGE_VAL
	 * (1e400 is infinity, not an error: only json_get_int cares).
	 * protocol/ never calls setlocale, so the decimal point is ".".
	 */
	if ((c = malloc(len + 1)) == NULL)
		return cb_fail(p, SP_ERR_ALLOC);
	memcpy(c, s, len);
	c[len] = '\0';
	j->d = strtod(c, NULL);
	free(c);
	return 1;
}

static int
cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct json_parser *p = ctx;
	struct json *j;
	char *c;
	int r;

	if ((r = copy_text(s, len, &c)) != 0)
		return cb_fail(p, r);
	if ((r = add_value(p, JSON_STRING, &j)) != 0) {
		free(c);
		return cb_fail(p, r);
	}
	j->s = c;
	j->slen = len;
	return 1;
}

static int
open_container(struct json_parser *p, enum json_type type)
{
	struct json *j;
	int r;

	if (p->depth >= JSON_MAX_DEPTH)
		return cb_fail(p, SP_ERR_JSON_LIMIT);
	if ((r = add_value(p, type, &j)) != 0)
		return cb_fail(p, r);
	p->stack[p->depth].j = j;
	p->stack[p->depth].cap = 0;
	p->depth++;
	return 1;
}

static int
close_container(struct json_parser *p)
{
	if (p->depth == 0)
		return cb_fail(p, SP_ERR_INTERNAL);
	p->depth--;
	return 1;
}

static int
cb_start_map(void *ctx)
{
	return open_container(ctx, JSON_OBJECT);
}

static int
cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct json_parser *p = ctx;
	struct json_frame *f;
	struct json *j;
	char *c;
	int r;

	if (p->depth == 0 || p->stack[p->depth - 1].j->type != JSON_OBJECT)
		return cb_fail(p, SP_ERR_INTERNAL);
	f = &p->stack[p->depth - 1];
	j = f->j;
	if ((r = copy_text(s, len, &c)) != 0)
		return cb_fail(p, r);
	if ((r = frame_grow(f)) != 0) {
		free(c);
		return cb_fail(p, r);
	}
	j->keys[j->n] = c;
	j->v[j->n] = NULL;
	j->n++;
	return 1;
}

static int
cb_end_container(void *ctx)
{
	return close_container(ctx);
}

static int
cb_start_array(void *ctx)
{
	return open_container(ctx, JSON_ARRAY);
}

static const yajl_callbacks json_callbacks = {
	cb_null,
	cb_boolean,
	NULL,			/* yajl_integer: cb_number gets the text */
	NULL,			/* yajl_double */
	cb_number,
	cb_string,
	cb_start_map,
	cb_map_key,
	cb_end_container,
	cb_start_array,
	cb_end_container
};

struct json_parser *
json_parser_new(void)
{
	struct json_parser *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	/* Default options: strings validated, no comments, one value. */
	if ((p->h = yajl_alloc(&json_callbacks, NULL, p)) == NULL) {
		free(p);
		return NULL;
	}
	return p;
}

static int
parser_fail(struct json_parser *p, int r)
{
	if (p->r == 0)
		p->r = r;
	return p->r;
}

int
json_parser_feed(struct json_parser *p, const void *data, size_t len)
{
	const uint8_t *d = data;
	size_t n;
	int bad;

	if (p->r != 0)
		return p->r;
	if (p->spent)
		return SP_ERR_STATE;
	if (len == 0)
		return 0;
	if (d == NULL)
		return parser_fail(p, SP_ERR_INVALID_ARG);
	n = JSON_MAX_INPUT - p->total;
	if (n > len)
		n = len;
	bad = scan_bytes(p, d, &n);
	if (n > 0) {
		p->total += n;
		if (yajl_parse(p->h, d, n) != yajl_status_ok)
			return parser_fail(p, p->r != 0 ? p->r :
			    SP_ERR_JSON_SYNTAX);
	}
	if (bad != 0)
		return parser_fail(p, bad);
	if (n < len)
		return parser_fail(p, SP_ERR_JSON_LIMIT);
	return 0;
}

int
json_parser_finish(struct json_parser *p, struct json **out)
{
	*out = NULL;
	if (p->spent)
		return SP_ERR_STATE;
	p->spent = 1;
	if (p->r != 0)
		return p->r;
	if (yajl_complete_parse(p->h) != yajl_status_ok)
		return parser_fail(p, p->r != 0 ? p->r : SP_ERR_JSON_SYNTAX);
	if (p->root == NULL || p->depth != 0)
		return parser_fail(p, SP_ERR_INTERNAL);
	*out = p->root;
	p->root = NULL;
	return 0;
}

void
json_parser_free(struct json_parser *p)
{
	if (p == NULL)
		return;
	if (p->h != NULL)
		yajl_free(p->h);
	json_free(p->root);
	free(p);
}

int
json_parse(const void *data, size_t len, struct json **out)
{
	struct json_parser *p;
	int r;

	*out = NULL;
	if ((p = json_parser_new()) == NULL)
		return SP_ERR_ALLOC;
	if ((r = json_parser_feed(p, data, len)) == 0)
		r = json_parser_finish(p, out);
	json_parser_free(p);
	return r;
}

/* Strings are wiped: they may hold a session token. */
static void
free_text(char *s, size_t len)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, len);
	free(s);
}

void
json_free(struct json *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		if (j->keys != NULL)
			free_text(j->keys[i], strlen(j->keys[i]));
		if (j->v != NULL)
			json_free(j->v[i]);
	}
	free(j->keys);
	free(j->v);
	free_text(j->s, j->slen);
	free(j);
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
ascii_caseeq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (ascii_lower((unsigned char)*a) !=
		    ascii_lower((unsigned char)*b))
			return 0;
	return *a == *b;
}

const struct json *
json_get(const struct json *j, const char *key)
{
	size_t i;

	if (j == NULL || j->type != JSON_OBJECT || key == NULL)
		return NULL;
	for (i = 0; i < j->n; i++)
		if (j->v[i] != NULL && strcmp(j->keys[i], key) == 0)
			return j->v[i];
	for (i = 0; i < j->n; i++)
		if (j->v[i] != NULL && ascii_caseeq(j->keys[i], key))
			return j->v[i];
	return NULL;
}

/* A member as Go sees it: absent and null are alike. */
static const struct json *
get_present(const struct json *j, const char *key)
{
	const struct json *m;

	if ((m = json_get(j, key)) == NULL || m->type == JSON_NULL)
		return NULL;
	return m;
}

int
json_get_str(const struct json *j, const char *key, const char **out)
{
	const struct json *m;

	*out = NULL;
	if ((m = get_present(j, key)) == NULL)
		return SP_ERR_JSON_MISSING;
	if (m->type != JSON_STRING)
		return SP_ERR_JSON_TYPE;
	*out = m->s;
	return 0;
}

int
json_get_int(const struct json *j, const char *key, int64_t *out)
{
	const struct json *m;

	*out = 0;
	if ((m = get_present(j, key)) == NULL)
		return SP_ERR_JSON_MISSING;
	if (m->type != JSON_NUMBER)
		return SP_ERR_JSON_TYPE;
	if (!m->is_int)
		return SP_ERR_JSON_RANGE;
	*out = m->i;
	return 0;
}

int
json_get_bool(const struct json *j, const char *key, int *out)
{
	const struct json *m;

	*out = 0;
	if ((m = get_present(j, key)) == NULL)
		return SP_ERR_JSON_MISSING;
	if (m->type != JSON_BOOL)
		return SP_ERR_JSON_TYPE;
	*out = m->boolean;
	return 0;
}
