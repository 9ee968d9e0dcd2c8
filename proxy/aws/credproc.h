/*
 * credential_process (AWS-APIS.md "credential_process"), as botocore runs it:
 * the command line is split with shlex rules (shlex.h) and executed
 * without a shell, PATH searched, with the environment inherited, stdin
 * from /dev/null, stderr inherited (the user sees it) and stdout captured.
 * Output is bounded and the run has a deadline; on timeout or excess
 * output the child is killed with SIGKILL.
 *
 * The output must be one JSON object: "Version" 1, "AccessKeyId" and
 * "SecretAccessKey" non-empty strings, optional "SessionToken" and
 * "Expiration" (RFC 3339) strings; null counts as absent for optional
 * members; other members are ignored.  Parsing is done with yajl's
 * callback parser and a wiping allocator, at most CREDPROC_MAX_DEPTH
 * levels deep; error messages never quote the output.
 */
#ifndef SSM_CREDPROC_H
#define SSM_CREDPROC_H

#include <stddef.h>
#include <time.h>

#include "credtype.h"
#include "errmsg.h"

#define CREDPROC_TIMEOUT_MS	60000
#define CREDPROC_MAX_OUTPUT	(64 * 1024)
#define CREDPROC_MAX_DEPTH	32

/*
 * Run cmdline and capture its stdout into *outp (NUL-terminated, *lenp
 * bytes; free with credproc_output_free, which wipes it).  timeout_ms and
 * max_output of 0 mean the defaults above.  Errors: CFG_ERR_VALUE (empty
 * or unsplittable command line), CFG_ERR_PROCESS (cannot start, non-zero
 * exit status, killed by a signal), SP_ERR_TIMEOUT, SP_ERR_TOO_LARGE,
 * SP_ERR_ALLOC.  Messages name the program (first word) only.
 */
int	credproc_run(const char *cmdline, int timeout_ms, size_t max_output,
	    char **outp, size_t *lenp, struct errmsg *err) SP_WUR;
/* Wipe and free output of credproc_run; NULL is a no-op. */
void	credproc_output_free(char *out, size_t len);

/*
 * Parse len bytes of process output.  On success *out holds credentials
 * with source CREDS_SRC_PROCESS (caller frees with creds_free).  Errors:
 * SP_ERR_JSON_NUL, SP_ERR_JSON_SYNTAX, SP_ERR_JSON_LIMIT, SP_ERR_TOO_LARGE
 * (over CREDPROC_MAX_OUTPUT), CFG_ERR_VALUE (not an object, Version not
 * 1, a member missing or of the wrong type, bad Expiration),
 * CFG_ERR_EXPIRED (Expiration <= now), SP_ERR_ALLOC.
 */
int	credproc_parse(const void *data, size_t len, time_t now,
	    struct creds **out, struct errmsg *err) SP_WUR;

#endif /* SSM_CREDPROC_H */
