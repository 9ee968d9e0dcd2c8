/*
 * Bounded JSON trees on top of yajl's incremental parser, and a writer.
 *
 * The parser accepts its input in pieces of any size (one byte at a time
 * gives the same tree, or the same error, as the whole text), refuses
 * nesting deeper than JSON_MAX_DEPTH containers, more than JSON_MAX_NODES
 * values, strings or member names longer than JSON_MAX_STRING bytes and
 * total input beyond JSON_MAX_INPUT (all SP_ERR_JSON_LIMIT), so a hostile
 * peer cannot make it allocate without bound.  It also refuses, with
 * SP_ERR_JSON_NUL, a NUL byte anywhere in the text and the escape \u0000
 * (decoded strings are C strings), and, with SP_ERR_JSON_SYNTAX, invalid
 * UTF-8 (overlong forms and encoded surrogates included) and \u escapes
 * that do not pair their surrogates.  Errors are reported at the first
 * offending byte in stream order.
 *
 * Numbers: d is always the value as strtod reads it (1e400 is infinity,
 * -0 is -0.0); is_int and i are set only for integer syntax (no fraction,
 * no exponent, as Go's ParseInt takes it) that fits an int64, so
 * 9223372036854775808, 1.0 and 1e2 are not is_int.
 *
 * Duplicate member names are all kept, in text order; json_get returns
 * the first, where Go's decoder would let the last win.  Neither peer
 * sends duplicates.
 */
#ifndef SP_JSON_H
#define SP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define JSON_MAX_DEPTH		32
#define JSON_MAX_NODES		4096
#define JSON_MAX_STRING		(64 * 1024)
#define JSON_MAX_INPUT		(1024 * 1024)

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

struct json {
	enum json_type	 type;
	int		 boolean;	/* JSON_BOOL */
	int		 is_int;	/* JSON_NUMBER fits int64 exactly */
	int64_t		 i;		/* JSON_NUMBER when is_int */
	double		 d;		/* JSON_NUMBER */
	char		*s;		/* JSON_STRING, NUL-terminated */
	size_t		 slen;		/* JSON_STRING length */
	size_t		 n;		/* JSON_ARRAY/JSON_OBJECT members */
	char		**keys;		/* JSON_OBJECT member names */
	struct json	**v;		/* JSON_ARRAY/JSON_OBJECT members */
};

struct json_parser;

/* New incremental parser; NULL if out of memory. */
struct json_parser *json_parser_new(void);
/* Feed len more bytes.  Errors are sticky; after json_parser_finish
 * further calls give SP_ERR_STATE. */
int	json_parser_feed(struct json_parser *p, const void *data,
	    size_t len) SP_WUR;
/*
 * End of input: on success *out is the tree (caller frees with
 * json_free).  The parser is spent either way; free it.
 */
int	json_parser_finish(struct json_parser *p, struct json **out) SP_WUR;
void	json_parser_free(struct json_parser *p);

/* Parse a complete text; *out as for json_parser_finish. */
int	json_parse(const void *data, size_t len, struct json **out) SP_WUR;
/* Free a tree, wiping its strings; NULL is a no-op. */
void	json_free(struct json *j);

/*
 * Member of an object by name: an exact match first, else the first
 * case-insensitive match (Go's decoder matches names that way; we fold
 * ASCII only).  NULL if j is not an object or has no such member.  The
 * result is borrowed from j.
 */
const struct json *json_get(const struct json *j, const char *key);

/*
 * Typed member access: 0, SP_ERR_JSON_MISSING (absent, or null: Go leaves
 * a field alone on null), SP_ERR_JSON_TYPE, or for json_get_int
 * SP_ERR_JSON_RANGE (a number that is not is_int).  Strings are borrowed
 * from j.
 */
int	json_get_str(const struct json *j, const char *key,
	    const char **out) SP_WUR;
int	json_get_int(const struct json *j, const char *key,
	    int64_t *out) SP_WUR;
int	json_get_bool(const struct json *j, const char *key,
	    int *out) SP_WUR;

/*
 * Writer: compact output with no white space, members in call order, as
 * Go's encoding/json produces it for the reference client's structs.
 * Strings are escaped as json.Marshal does (", \, \n, \r, \t by name,
 * other control characters and <, >, & as \u00xx, U+2028 and U+2029 as
 * \u2028 and \u2029, '/' not at all); invalid UTF-8 is refused with
 * SP_ERR_INVALID_ARG.  Calls out of JSON's order (a value where a member
 * name is due, a close that does not match, a second top-level value)
 * fail with SP_ERR_STATE, nesting beyond JSON_MAX_DEPTH with
 * SP_ERR_JSON_LIMIT, text beyond JSON_MAX_INPUT with SP_ERR_NO_SPACE.
 * Errors are sticky.
 */
struct json_writer;

/* New writer; NULL if out of memory.  Free with json_writer_free. */
struct json_writer *json_writer_new(void);
void	json_writer_free(struct json_writer *w);
int	json_w_obj_open(struct json_writer *w) SP_WUR;
int	json_w_obj_close(struct json_writer *w) SP_WUR;
int	json_w_arr_open(struct json_writer *w) SP_WUR;
int	json_w_arr_close(struct json_writer *w) SP_WUR;
int	json_w_key(struct json_writer *w, const char *key) SP_WUR;
int	json_w_str(struct json_writer *w, const char *s) SP_WUR;
int	json_w_int(struct json_writer *w, int64_t v) SP_WUR;
int	json_w_bool(struct json_writer *w, int v) SP_WUR;
int	json_w_null(struct json_writer *w) SP_WUR;
/* Append the finished text to out (must be complete, else SP_ERR_STATE);
 * nothing is appended on error. */
int	json_w_finish(struct json_writer *w, struct buf *out) SP_WUR;

#endif /* SP_JSON_H */
