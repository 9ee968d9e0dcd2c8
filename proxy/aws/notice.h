/*
 * How proxy/aws/ speaks to the user without logging: a line handed to the
 * function the program registered (main.c hands it to log.c).  The layer
 * never prints and never exits; without a registered function, notices
 * are dropped.
 */
#ifndef SSM_NOTICE_H
#define SSM_NOTICE_H

enum notice_level {
	NOTICE_WARN,		/* shown at the default verbosity */
	NOTICE_VERBOSE,		/* shown with -v */
	NOTICE_DEBUG		/* shown with -vv */
};

typedef void notice_fn(enum notice_level level, const char *line);

/* Register the receiver of every notice (NULL: drop them). */
void	notice_set(notice_fn *fn);
/* printf-style: one line, no trailing newline. */
void	notice(enum notice_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* SSM_NOTICE_H */
