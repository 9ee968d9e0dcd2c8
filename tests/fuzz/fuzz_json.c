/*
 * libFuzzer target for the JSON parser and writer (protocol/json.c).
 *
 * Input: one control byte, then the JSON text.  The text is parsed whole,
 * split in two at a point the control byte chooses, and (when short) one
 * byte at a time: the three must agree on the error or the tree.  A tree
 * whose numbers are all integers is then written back with the writer and
 * must parse to the same tree (-0 excepted: it comes back as 0).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
json_equal(const struct json *a, const struct json *b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->type != b->type || a->boolean != b->boolean ||
	    a->is_int != b->is_int || a->i != b->i || a->n != b->n)
		return 0;
	if (a->type == JSON_NUMBER &&
	    memcmp(&a->d, &b->d, sizeof(a->d)) != 0)
		return 0;
	if (a->type == JSON_STRING && (a->slen != b->slen ||
	    memcmp(a->s, b->s, a->slen + 1) != 0))
		return 0;
	for (i = 0; i < a->n; i++) {
		if (a->type == JSON_OBJECT &&
		    strcmp(a->keys[i], b->keys[i]) != 0)
			return 0;
		if (!json_equal(a->v[i], b->v[i]))
			return 0;
	}
	return 1;
}

/* Feed in pieces: first k bytes, then the rest in steps of step. */
static int
parse_pieces(const uint8_t *t, size_t n, size_t k, size_t step,
    struct json **out)
{
	struct json_parser *p;
	size_t off, len;
	int r;

	*out = NULL;
	if ((p = json_parser_new()) == NULL)
		abort();
	r = json_parser_feed(p, t, k);
	for (off = k; off < n && r == 0; off += len) {
		len = n - off < step ? n - off : step;
		r = json_parser_feed(p, t + off, len);
	}
	if (r == 0)
		r = json_parser_finish(p, out);
	else if (json_parser_finish(p, out) != r)	/* sticky */
		abort();
	json_parser_free(p);
	if ((r == 0) != (*out != NULL))
		abort();
	return r;
}

static int
all_int(const struct json *j)
{
	size_t i;

	/* -0 is written back as 0: its d would differ. */
	if (j->type == JSON_NUMBER)
		return j->is_int && !signbit(j->d);
	for (i = 0; i < j->n; i++)
		if (!all_int(j->v[i]))
			return 0;
	return 1;
}

static int
write_tree(struct json_writer *w, const struct json *j)
{
	size_t i;
	int r;

	switch (j->type) {
	case JSON_NULL:
		return json_w_null(w);
	case JSON_BOOL:
		return json_w_bool(w, j->boolean);
	case JSON_NUMBER:
		return json_w_int(w, j->i);
	case JSON_STRING:
		return json_w_str(w, j->s);
	case JSON_ARRAY:
		if ((r = json_w_arr_open(w)) != 0)
			return r;
		for (i = 0; i < j->n; i++)
			if ((r = write_tree(w, j->v[i])) != 0)
				return r;
		return json_w_arr_close(w);
	case JSON_OBJECT:
		if ((r = json_w_obj_open(w)) != 0)
			return r;
		for (i = 0; i < j->n; i++)
			if ((r = json_w_key(w, j->keys[i])) != 0 ||
			    (r = write_tree(w, j->v[i])) != 0)
				return r;
		return json_w_obj_close(w);
	}
	return SP_ERR_INTERNAL;
}

static void
check_write(const struct json *j)
{
	struct json_writer *w;
	struct json *back;
	struct buf b;
	int r;

	if ((w = json_writer_new()) == NULL)
		abort();
	buf_init(&b, JSON_MAX_INPUT);
	r = write_tree(w, j);
	if (r == 0)
		r = json_w_finish(w, &b);
	json_writer_free(w);
	if (r == SP_ERR_NO_SPACE) {		/* escapes grew it past 1 MiB */
		buf_release(&b);
		return;
	}
	if (r != 0)
		abort();
	if (json_parse(buf_ptr(&b), buf_len(&b), &back) != 0 ||
	    !json_equal(j, back))
		abort();
	json_free(back);
	buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json *whole, *split, *bytes;
	const uint8_t *t;
	size_t n, k;
	int r1, r2, r3;

	if (size < 1)
		return 0;
	t = data + 1;
	n = size - 1;
	k = n * data[0] / 255;

	r1 = json_parse(t, n, &whole);
	r2 = parse_pieces(t, n, k, n, &split);
	if (r1 != r2 || !json_equal(whole, split))
		abort();
	json_free(split);
	if (n <= 1024) {
		r3 = parse_pieces(t, n, 0, 1, &bytes);
		if (r1 != r3 || !json_equal(whole, bytes))
			abort();
		json_free(bytes);
	} else {
		r3 = parse_pieces(t, n, k, 1 + data[0] % 13, &bytes);
		if (r1 != r3 || !json_equal(whole, bytes))
			abort();
		json_free(bytes);
	}
	if (r1 == 0) {
		if (whole->type == JSON_OBJECT && whole->n > 0 &&
		    json_get(whole, whole->keys[0]) != whole->v[0])
			abort();
		if (all_int(whole))
			check_write(whole);
	} else if (r1 >= 0 || whole != NULL)
		abort();
	json_free(whole);
	return 0;
}
