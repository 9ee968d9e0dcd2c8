/*
 * The JSON writer: compact text as Go's encoding/json produces it; see
 * json.h.
 */
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "json.h"
#include "utf8.h"

/*
 * It keeps a stack of open containers and refuses calls out
 * of JSON's order with SP_ERR_STATE; every error is sticky.
 */
struct json_writer {
	struct buf	 b;
	char		 kind[JSON_MAX_DEPTH];	/* '{' or '[' */
	size_t		 members[JSON_MAX_DEPTH];
	size_t		 depth;
	int		 have_key;	/* a member name awaits its value */
	int		 done;		/* the top-level value is complete */
	int		 r;
};

struct json_writer *
json_writer_new(void)
{
	struct json_writer *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	/* Never write what json_parse would refuse to read back. */
	buf_init(&w->b, JSON_MAX_INPUT);
	return w;
}

void
json_writer_free(struct json_writer *w)
{
	if (w == NULL)
		return;
	buf_release(&w->b);
	free(w);
}

static int
w_fail(struct json_writer *w, int r)
{
	if (w->r == 0)
		w->r = r;
	return w->r;
}

/* Before any value: is one allowed here, and does it need a comma? */
static int
w_before_value(struct json_writer *w)
{
	size_t top;
	int r;

	if (w->r != 0)
		return w->r;
	if (w->depth == 0)
		return w->done ? w_fail(w, SP_ERR_STATE) : 0;
	top = w->depth - 1;
	if (w->kind[top] == '{') {
		if (!w->have_key)
			return w_fail(w, SP_ERR_STATE);
		w->have_key = 0;
		return 0;
	}
	if (w->members[top]++ > 0 && (r = buf_put_u8(&w->b, ',')) != 0)
		return w_fail(w, r);
	return 0;
}

static void
w_after_value(struct json_writer *w)
{
	if (w->depth == 0)
		w->done = 1;
}

/*
 * Go's encodeState.string with HTML escaping on (what json.Marshal does),
 * as built by the reference client's Go 1.17: ", \, \n, \r, \t by name;
 * other controls and <, >, & as \u00xx; U+2028, U+2029 as \u2028,
 * \u2029; everything else, DEL and '/' included, as is.  Go 1.22 and
 * later also write \b and \f by name; the agent reads either.  Go would
 * write invalid UTF-8 as \ufffd; we refuse it.
 */
static int
w_string(struct json_writer *w, const char *str)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t len, i, n;
	uint32_t cp;
	uint8_t unit[2];
	char esc[7];
	int r;

	if (str == NULL)
		return SP_ERR_INVALID_ARG;
	len = strlen(str);
	if ((r = buf_put_u8(&w->b, '"')) != 0)
		return r;
	for (i = 0; i < len; i += n) {
		if ((n = utf8_decode(s + i, len - i, &cp)) == 0)
			return SP_ERR_INVALID_ARG;
		if (cp >= 0x20 && cp != '"' && cp != '\\' && cp != '<' &&
		    cp != '>' && cp != '&' && cp != 0x2028 && cp != 0x2029) {
			if ((r = buf_put(&w->b, s + i, n)) != 0)
				return r;
			continue;
		}
		esc[0] = '\\';
		switch (cp) {
		case '"':
		case '\\':
			esc[1] = (char)cp;
			r = buf_put(&w->b, esc, 2);
			break;
		case '\n':
			esc[1] = 'n';
			r = buf_put(&w->b, esc, 2);
			break;
		case '\r':
			esc[1] = 'r';
			r = buf_put(&w->b, esc, 2);
			break;
		case '\t':
			esc[1] = 't';
			r = buf_put(&w->b, esc, 2);
			break;
		default:
			/* Only code points below U+10000 get here. */
			esc[1] = 'u';
			unit[0] = (uint8_t)(cp >> 8);
			unit[1] = (uint8_t)cp;
			hex_encode(unit, sizeof(unit), esc + 2);
			r = buf_put(&w->b, esc, 6);
			break;
		}
		if (r != 0)
			return r;
	}
	return buf_put_u8(&w->b, '"');
}

static int
w_open(struct json_writer *w, char kind)
{
	int r;

	if ((r = w_before_value(w)) != 0)
		return r;
	if (w->depth >= JSON_MAX_DEPTH)
		return w_fail(w, SP_ERR_JSON_LIMIT);
	if ((r = buf_put_u8(&w->b, (uint8_t)kind)) != 0)
		return w_fail(w, r);
	w->kind[w->depth] = kind;
	w->members[w->depth] = 0;
	w->depth++;
	return 0;
}

static int
w_close(struct json_writer *w, char kind)
{
	int r;

	if (w->r != 0)
		return w->r;
	if (w->depth == 0 || w->kind[w->depth - 1] != kind || w->have_key)
		return w_fail(w, SP_ERR_STATE);
	if ((r = buf_put_u8(&w->b, kind == '{' ? '}' : ']')) != 0)
		return w_fail(w, r);
	w->depth--;
	w_after_value(w);
	return 0;
}

int
json_w_obj_open(struct json_writer *w)
{
	return w_open(w, '{');
}

int
json_w_obj_close(struct json_writer *w)
{
	return w_close(w, '{');
}

int
json_w_arr_open(struct json_writer *w)
{
	return w_open(w, '[');
}

int
json_w_arr_close(struct json_writer *w)
{
	return w_close(w, '[');
}

int
json_w_key(struct json_writer *w, const char *key)
{
	size_t top;
	int r;

	if (w->r != 0)
		return w->r;
	if (w->depth == 0 || w->kind[w->depth - 1] != '{' || w->have_key)
		return w_fail(w, SP_ERR_STATE);
	top = w->depth - 1;
	if ((w->members[top]++ > 0 && (r = buf_put_u8(&w->b, ',')) != 0) ||
	    (r = w_string(w, key)) != 0 ||
	    (r = buf_put_u8(&w->b, ':')) != 0)
		return w_fail(w, r);
	w->have_key = 1;
	return 0;
}

int
json_w_str(struct json_writer *w, const char *s)
{
	int r;

	if ((r = w_before_value(w)) != 0)
		return r;
	if ((r = w_string(w, s)) != 0)
		return w_fail(w, r);
	w_after_value(w);
	return 0;
}

int
json_w_int(struct json_writer *w, int64_t v)
{
	char tmp[24];
	size_t n = sizeof(tmp);
	uint64_t u;
	int r;

	if ((r = w_before_value(w)) != 0)
		return r;
	/* Magnitude in unsigned arithmetic, so INT64_MIN is no overflow. */
	u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		tmp[--n] = '-';
	if ((r = buf_put(&w->b, tmp + n, sizeof(tmp) - n)) != 0)
		return w_fail(w, r);
	w_after_value(w);
	return 0;
}

static int
w_literal(struct json_writer *w, const char *lit)
{
	int r;

	if ((r = w_before_value(w)) != 0)
		return r;
	if ((r = buf_put_str(&w->b, lit)) != 0)
		return w_fail(w, r);
	w_after_value(w);
	return 0;
}

int
json_w_bool(struct json_writer *w, int v)
{
	return w_literal(w, v ? "true" : "false");
}

int
json_w_null(struct json_writer *w)
{
	return w_literal(w, "null");
}

int
json_w_finish(struct json_writer *w, struct buf *out)
{
	if (w->r != 0)
		return w->r;
	if (w->depth != 0 || !w->done)
		return SP_ERR_STATE;
	return buf_put(out, buf_ptr(&w->b), buf_len(&w->b));
}
