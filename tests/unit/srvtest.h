/*
 * A local HTTP/1.1 server for unit tests of code that makes requests:
 * a child process answers one canned response per connection (with
 * Connection: close, the body written in 4 KiB pieces) and appends each
 * request, head and body, to a log file followed by a "\n----\n" line.
 * The parent ends it with shutdown() on the listening socket.
 */
#ifndef SSM_SRVTEST_H
#define SSM_SRVTEST_H

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A local HTTP server in a child process: one canned answer per
 * connection, each request (head and body) appended to a log file. */
struct canned {
	int		 status;
	const char	*type;
	const void	*body;
	size_t		 len;
};

static int __attribute__((unused))
srv_listen(int *port)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		abort();
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		abort();
	*port = ntohs(a.sin_port);
	return fd;
}

/* Read one request: the head, then Content-Length bytes of body. */
static size_t
srv_read(int c, char *req, size_t max)
{
	size_t n = 0, need = 0;
	ssize_t k;
	char *e, *cl;

	while (n < max - 1) {
		if ((k = read(c, req + n, max - 1 - n)) <= 0)
			break;
		n += (size_t)k;
		req[n] = '\0';
		if ((e = strstr(req, "\r\n\r\n")) == NULL)
			continue;
		if (need == 0) {
			cl = strstr(req, "\r\nContent-Length:");
			need = (size_t)(e + 4 - req) + (cl != NULL ?
			    strtoul(cl + 17, NULL, 10) : 0);
		}
		if (n >= need)
			break;
	}
	return n;
}

static void __attribute__((unused))
srv_child(int fd, const struct canned *c, size_t n, const char *log)
{
	static char req[65536];
	char head[256];
	size_t i, off, len;
	ssize_t k;
	FILE *f;
	int s;

	alarm(60);	/* a safety net only: the parent ends us */
	for (i = 0; i < n; i++) {
		if ((s = accept(fd, NULL, NULL)) < 0)
			_exit(1);
		len = srv_read(s, req, sizeof(req));
		if ((f = fopen(log, "ab")) == NULL)
			_exit(1);
		fwrite(req, 1, len, f);
		fputs("\n----\n", f);
		fclose(f);
		snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: "
		    "%s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
		    c[i].status, c[i].type, c[i].len);
		if (write(s, head, strlen(head)) < 0)
			_exit(1);
		for (off = 0; off < c[i].len; off += (size_t)k)
			if ((k = write(s, (const char *)c[i].body + off,
			    c[i].len - off > 4096 ? 4096 :
			    c[i].len - off)) <= 0)
				_exit(1);
		close(s);
	}
	_exit(0);
}

/* The n-th request of the log (from 0), in a static buffer. */
static const char * __attribute__((unused))
logged(const char *log, int nth)
{
	static char all[1 << 20];
	const char *p = all, *e;
	FILE *f;
	size_t n;

	all[0] = '\0';
	if ((f = fopen(log, "rb")) != NULL) {
		n = fread(all, 1, sizeof(all) - 1, f);
		all[n] = '\0';
		fclose(f);
	}
	while (nth-- > 0 && p != NULL)
		if ((p = strstr(p, "\n----\n")) != NULL)
			p += 6;
	if (p == NULL)
		return "";
	if ((e = strstr(p, "\n----\n")) != NULL) {
		memmove(all, p, (size_t)(e - p));
		all[e - p] = '\0';
		return all;
	}
	return "";
}

#endif /* SSM_SRVTEST_H */
