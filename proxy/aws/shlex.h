/*
 * Shell-like word splitting with the rules of Python's shlex.split() in
 * POSIX mode without comments, which botocore applies to
 * credential_process command lines and to "[profile NAME]" headers:
 *
 *   - words are separated by runs of space, tab, CR and LF;
 *   - outside quotes a backslash takes the next character literally
 *     (a backslash-newline is a newline, not a line continuation);
 *   - '...' keeps everything literally, backslashes included;
 *   - "..." keeps everything literally except \" and \\, which become
 *     " and \ (any other backslash is kept with the character after it);
 *   - quotes may be glued to other text ("a"'b'c is one word abc), and
 *     '' or "" alone is an empty word;
 *   - '#' has no special meaning.
 *
 * Pure function: no I/O.
 */
#ifndef SSM_SHLEX_H
#define SSM_SHLEX_H

#include <stddef.h>

#include "errmsg.h"

/*
 * Split s.  On success *argvp is a NULL-terminated array of *argcp
 * heap strings (possibly zero of them); free it with shlex_free.
 * Returns 0, SP_ERR_ALLOC, or CFG_ERR_SYNTAX with err set to
 * "no closing quotation" or "no escaped character" (Python's messages).
 */
int	shlex_split(const char *s, char ***argvp, size_t *argcp,
	    struct errmsg *err) SP_WUR;
/* Wipe and free an array from shlex_split; NULL is a no-op. */
void	shlex_free(char **argv);

#endif /* SSM_SHLEX_H */
