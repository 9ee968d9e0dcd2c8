/*
 * Bounded JSON trees on top of yajl's incremental parser, and a writer.
 *
 * The parser accepts its input in pieces of any size (one byte at a time
 * gives the same tree as the whole text), refuses NUL bytes, duplicate
 * nesting beyond JSON_MAX_DEPTH, more than JSON_MAX_NODES values, strings
 * longer than JSON_MAX_STRING and total input beyond JSON_MAX_INPUT, so a
 * hostile peer cannot make it allocate without bound.
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
/* Feed len more bytes.  Errors are sticky. */
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
void	json_free(struct json *j);

/*
 * Member of an object by name: an exact match first, else the first
 * case-insensitive match (Go's decoder matches names that way).  NULL if
 * j is not an object or has no such member.
 */
const struct json *json_get(const struct json *j, const char *key);

/* Typed member access: 0, SP_ERR_JSON_MISSING or SP_ERR_JSON_TYPE. */
int	json_get_str(const struct json *j, const char *key,
	    const char **out) SP_WUR;
int	json_get_int(const struct json *j, const char *key,
	    int64_t *out) SP_WUR;
int	json_get_bool(const struct json *j, const char *key,
	    int *out) SP_WUR;

/*
 * Writer: compact output with no white space, members in call order, as
 * Go's encoding/json produces it for the reference client's structs.
 * Strings are escaped (", \, control characters; invalid UTF-8 refused).
 */
struct json_writer;

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
/* Append the finished text to out (must be complete). */
int	json_w_finish(struct json_writer *w, struct buf *out) SP_WUR;

#endif /* SP_JSON_H */
