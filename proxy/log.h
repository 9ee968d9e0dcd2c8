/*
 * Logging to stderr.  stdout carries the SSH stream, so nothing here ever
 * writes to it.  Levels follow ssh: -q quiet, default error and info,
 * -v verbose, -vv debug1, -vvv debug2, -vvvv debug3.
 * Never pass a secret (keys, tokens, signed headers) to these functions.
 */
#ifndef SSM_LOG_H
#define SSM_LOG_H

enum log_level {
	LOG_QUIET = 0,
	LOG_ERROR,
	LOG_INFO,
	LOG_VERBOSE,
	LOG_DEBUG1,
	LOG_DEBUG2,
	LOG_DEBUG3
};

/* Set the level; messages above it are dropped. */
void	log_init(enum log_level level);
enum log_level log_get_level(void);
/* printf-style; one line each, prefixed "ssm-proxy: ", newline added. */
void	log_msg(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_error(...)		log_msg(LOG_ERROR, __VA_ARGS__)
#define log_info(...)		log_msg(LOG_INFO, __VA_ARGS__)
#define log_verbose(...)	log_msg(LOG_VERBOSE, __VA_ARGS__)
#define debug(...)		log_msg(LOG_DEBUG1, __VA_ARGS__)
#define debug2(...)		log_msg(LOG_DEBUG2, __VA_ARGS__)
#define debug3(...)		log_msg(LOG_DEBUG3, __VA_ARGS__)

#endif /* SSM_LOG_H */
