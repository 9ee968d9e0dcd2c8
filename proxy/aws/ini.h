/*
 * Parser for the AWS shared config and credentials files, reading them
 * the way the AWS CLI does (botocore's raw_config_parse: Python's
 * configparser.RawConfigParser with its defaults, then one level of
 * indented sub-properties):
 *
 *   - "[name]" starts a section; the name is everything between the
 *     first '[' and the last ']' of the line, spaces included, case
 *     kept; text after the last ']' is ignored.  "[DEFAULT]" (upper
 *     case) is special: its keys are defaults for every section.
 *   - "key = value" or "key: value": the key ends at the first '=' or
 *     ':'; keys are folded to ASCII lower case; key and value are
 *     stripped of white space.
 *   - Lines whose first non-blank character is '#' or ';' are comments,
 *     wherever they are.  There are no inline comments: in
 *     "region = us-east-1 # note" the value is "us-east-1 # note"
 *     (Python 3 configparser's default, which botocore keeps).
 *   - A line indented deeper than its key line continues the value; the
 *     value is the lines joined with '\n', trailing blank lines dropped.
 *     A key whose first line is empty and that has continuation lines
 *     holds sub-properties ("ssm =\n  endpoint_url = https://..."):
 *     each non-blank continuation line must be "subkey = value"; sub-keys
 *     are NOT case-folded (botocore does not fold them) and a repeated
 *     sub-key replaces the earlier one.
 *   - A repeated section or a repeated key within one section of one file
 *     is an error, as configparser's strict mode makes it for the CLI.
 *   - Text before the first section header is an error.
 *   - Lines end with LF, CRLF or a lone CR (Python's universal newlines).
 *   - The text must be UTF-8 (the CLI fails on anything else); NUL bytes
 *     are refused.  A leading UTF-8 BOM is skipped (the CLI rejects it).
 *   - White space means the ASCII characters Python strips (space, \t,
 *     \n, \v, \f, \r, 0x1c-0x1f); other Unicode spaces are kept.
 *
 * Files are at most INI_MAX_FILE bytes and lines at most INI_MAX_LINE.
 * Parse errors name the file and line: "PATH:LINE: message".  They never
 * quote the offending line, which could hold part of a secret.
 *
 * A struct ini owns all its strings and wipes them when freed (the
 * credentials file holds secret keys).  Pointers returned by the lookup
 * functions are borrowed and valid until ini_free.
 */
#ifndef SSM_INI_H
#define SSM_INI_H

#include <stddef.h>

#include "errmsg.h"

#define INI_MAX_FILE	(1024 * 1024)
#define INI_MAX_LINE	(64 * 1024)

struct ini;
struct ini_section;

/*
 * Parse len bytes at data.  name (a path) is copied and used in error
 * messages.  On success *out is the parsed file; free it with ini_free.
 * Returns 0, CFG_ERR_SYNTAX (err: "NAME:LINE: ..."), SP_ERR_TOO_LARGE
 * or SP_ERR_ALLOC.
 */
int	ini_parse(const char *name, const void *data, size_t len,
	    struct ini **out, struct errmsg *err) SP_WUR;
/*
 * Read and parse the file at path.  A file that does not exist (or whose
 * directory does not exist) gives an empty struct ini, as for the CLI.
 * Returns 0, CFG_ERR_IO (unreadable, or not a regular file),
 * SP_ERR_TOO_LARGE, or any error of ini_parse.  Caller frees *out.
 */
int	ini_load(const char *path, struct ini **out, struct errmsg *err) SP_WUR;
/* Wipe and free; NULL is a no-op. */
void	ini_free(struct ini *ini);

/* The name given to ini_parse or ini_load. */
const char *ini_name(const struct ini *ini);
/* Whether the file existed (ini_load) or was given (ini_parse). */
int	ini_exists(const struct ini *ini);

/* Sections in file order, without [DEFAULT]. */
size_t	ini_section_count(const struct ini *ini);
const struct ini_section *ini_section_at(const struct ini *ini, size_t i);
/* Exact, case-sensitive name lookup; NULL if absent or "DEFAULT". */
const struct ini_section *ini_find_section(const struct ini *ini,
	    const char *name);
const char *ini_section_name(const struct ini_section *s);
size_t	ini_section_line(const struct ini_section *s);
/* Keys of s itself in file order (not those inherited from [DEFAULT]). */
size_t	ini_key_count(const struct ini_section *s);
const char *ini_key_at(const struct ini_section *s, size_t i);
/* Number of keys in [DEFAULT] (0 if the file has none). */
size_t	ini_default_count(const struct ini *ini);

/*
 * Lookups fold key to ASCII lower case (as configparser does).
 *
 * Whether key is set in s or in [DEFAULT], as a
 * plain value or as sub-properties.  s may be NULL (then 0).
 */
int	ini_has(const struct ini *ini, const struct ini_section *s,
	    const char *key);
/*
 * Plain value of key in s, else in [DEFAULT]; NULL if absent, if s is
 * NULL, or if the key holds sub-properties.
 */
const char *ini_get(const struct ini *ini, const struct ini_section *s,
	    const char *key);
/* Line of key in s or [DEFAULT]; 0 if absent. */
size_t	ini_get_line(const struct ini *ini, const struct ini_section *s,
	    const char *key);
/*
 * Sub-property subkey (exact case) of key, where key is looked up in s,
 * else in [DEFAULT]; NULL if absent or if key holds a plain value.
 */
const char *ini_get_sub(const struct ini *ini, const struct ini_section *s,
	    const char *key, const char *subkey);

#endif /* SSM_INI_H */
