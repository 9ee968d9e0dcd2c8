/*
 * Unit tests for proxy/log.c: the level filter, the "ssm-proxy: " prefix,
 * and that text from the service cannot drive the terminal: C0 controls,
 * DEL and the UTF-8 C1 controls (U+0080..U+009F) become blanks, other
 * UTF-8 stays.  stderr is captured in a temporary file.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "test.h"
#include "log.h"

static char got[4096];

/* Log one message at level with the log at cur, and read back stderr. */
static const char *
logged(enum log_level cur, enum log_level level, const char *text)
{
	char path[] = "/tmp/test_log-XXXXXX";
	int fd, saved;
	ssize_t n;

	fflush(stderr);
	if ((fd = mkstemp(path)) == -1 || (saved = dup(STDERR_FILENO)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		abort();
	log_init(cur);
	log_msg(level, "%s", text);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, got, sizeof(got) - 1, 0);
	got[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return got;
}

int
main(void)
{
	char big[3000];

	CHECK_STR(logged(LOG_INFO, LOG_INFO, "plain"), "ssm-proxy: plain\n",
	    "a message: prefix and newline");
	CHECK_STR(logged(LOG_INFO, LOG_VERBOSE, "hidden"), "",
	    "above the level: nothing");
	CHECK_STR(logged(LOG_QUIET, LOG_ERROR, "quiet"), "",
	    "LOG_QUIET: nothing");
	CHECK_STR(logged(LOG_INFO, LOG_ERROR, "a\nb\rc\td\x1b[2Je\x7f"),
	    "ssm-proxy: a b c d [2Je \n", "C0 controls and DEL: blanks");
	CHECK_STR(logged(LOG_INFO, LOG_ERROR,
	    "x\xc2\x9b" "31mred\xc2\x80y\xc2\x9fz\xc2\x85"),
	    "ssm-proxy: x 31mred y z \n",
	    "C1 controls (C2 80..C2 9F, CSI C2 9B): one blank each");
	CHECK_STR(logged(LOG_INFO, LOG_ERROR,
	    "caf\xc3\xa9 \xc2\xa0nbsp \xc2\xbf \xe2\x80\x9cq\xe2\x80\x9d"),
	    "ssm-proxy: caf\xc3\xa9 \xc2\xa0nbsp \xc2\xbf "
	    "\xe2\x80\x9cq\xe2\x80\x9d\n",
	    "other UTF-8 (U+00A0, U+00BF, U+201C) kept");
	CHECK_STR(logged(LOG_INFO, LOG_ERROR, "end\xc2"), "ssm-proxy: end\xc2\n",
	    "a lone C2 at the end: kept, nothing read past it");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	logged(LOG_INFO, LOG_ERROR, big);
	CHECK_EQ(strlen(got), strlen("ssm-proxy: ") + 2047 + 1,
	    "a long message is cut to the line");
	CHECK(strcmp(got + strlen(got) - 5, "a...\n") == 0,
	    "  and ends in \"...\"");
	return test_done();
}
