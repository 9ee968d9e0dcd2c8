/*
 * proxy/: the program: options, the session, the data channel's I/O and
 * the event loop.  It may use protocol/, proxy/aws/ and proxy/ssh/.
 *
 * main.c turns argv (and SSM_PROXY_TRACE, SSH_AUTH_SOCK) into a checked
 * struct config and hands it to session_run() (session.c), which runs
 * StartSession, the data channel and TerminateSession on one event loop.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "config.h"
#include "eic.h"
#include "log.h"
#include "session.h"
#include "tunnel.h"
#include "version.h"

/* What getopt saw, before the checks that need every option. */
struct args {
	struct config	 c;
	const char	*lifetime;	/* --key-lifetime, checked later */
	int		 verbose;
	int		 quiet;
};

/*
 * Credentials, tokens and keys live in this process's memory: no core
 * file may hold them.  Not dumpable also keeps other processes of the
 * same user (but root) from reading /proc/PID/mem, environ and smaps.
 */
static void
no_core_dumps(void)
{
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = 0;
	(void)setrlimit(RLIMIT_CORE, &rl);
	compat_set_nondumpable();
}

/*
 * stdin's and stdout's file status flags as they came: their open file
 * descriptions may be a terminal or pipe that ssh or the shell shares,
 * and tunnel.c makes stdout non-blocking.  Put back at exit, whatever the
 * path (the signals that end a session come back through main).
 */
static int saved_flags[2] = { -1, -1 };

static void
restore_fd_flags(void)
{
	int fd;

	for (fd = STDIN_FILENO; fd <= STDOUT_FILENO; fd++)
		if (saved_flags[fd] != -1)
			(void)fcntl(fd, F_SETFL, saved_flags[fd]);
}

static void
save_fd_flags(void)
{
	saved_flags[STDIN_FILENO] = fcntl(STDIN_FILENO, F_GETFL);
	saved_flags[STDOUT_FILENO] = fcntl(STDOUT_FILENO, F_GETFL);
	if (atexit(restore_fd_flags) != 0)
		saved_flags[STDIN_FILENO] = saved_flags[STDOUT_FILENO] = -1;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ssm-proxy [-hqVv] [--ca-bundle FILE] [--document NAME]\n"
	    "                 [--endpoint-url URL] [--ephemeral-key]\n"
	    "                 [--keepalive SECONDS] [--key-lifetime SECONDS]\n"
	    "                 [--os-user USER] [--payload-size BYTES]\n"
	    "                 [--profile NAME] [--progress-timeout SECONDS]\n"
	    "                 [--push-key[=FILE]] [--region REGION]\n"
	    "                 [--trace FILE] [--wait-connected SECONDS]\n"
	    "                 TARGET [PORT]\n");
}

/* Instance ids (i-...), managed node ids (mi-...) and ECS targets. */
static int
target_valid(const char *t)
{
	const char *p;
	size_t n = strlen(t);

	if (n < 1 || n > 400)
		return 0;
	if (strncmp(t, "ecs:", 4) == 0) {
		for (p = t; *p != '\0'; p++)
			if (*p <= ' ' || *p == 0x7f)
				return 0;
		return 1;
	}
	if (strncmp(t, "i-", 2) == 0)
		p = t + 2;
	else if (strncmp(t, "mi-", 3) == 0)
		p = t + 3;
	else
		return 0;
	if (strlen(p) < 8 || strlen(p) > 17)
		return 0;
	for (; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

/* The options whose argument is a number, and their ranges. */
static const struct number_option {
	int		 ch;
	const char	*what;
	unsigned int	 min;
	unsigned int	 max;
	const char	*unit;
	size_t		 off;		/* in struct config */
} number_options[] = {
	{ 'K', "--keepalive", 1, 3600, "seconds",
	    offsetof(struct config, keepalive_s) },
	{ 'T', "--progress-timeout", 0, 86400, "seconds",
	    offsetof(struct config, progress_timeout_s) },
	{ 'W', "--wait-connected", 0, 86400, "seconds",
	    offsetof(struct config, wait_connected_s) },
	{ 'Z', "--payload-size", 1, TUNNEL_MAX_PAYLOAD, "bytes",
	    offsetof(struct config, payload_size) },
};

/* Where an option's argument is kept as it is; NULL if elsewhere. */
static const char **
string_option(struct args *a, int ch)
{
	switch (ch) {
	case 'A':	return &a->c.trace;
	case 'C':	return &a->c.aws.ca_bundle;
	case 'D':	return &a->c.document;
	case 'E':	return &a->c.aws.endpoint_url;
	case 'L':	return &a->lifetime;	/* checked later */
	case 'P':	return &a->c.aws.profile;
	case 'R':	return &a->c.aws.region;
	case 'U':	return &a->c.os_user;
	default:	return NULL;
	}
}

/* One option with its argument: -1 to go on, or the exit status. */
static int
take_option(struct args *a, int ch, const char *arg)
{
	const struct number_option *n;
	const char **str;
	size_t i;

	if ((str = string_option(a, ch)) != NULL) {
		*str = arg;
		return -1;
	}
	for (i = 0; i < sizeof(number_options) / sizeof(number_options[0]);
	    i++) {
		n = &number_options[i];
		if (n->ch == ch)
			return parse_uint(arg, n->min, n->max, (unsigned int *)
			    (void *)((char *)&a->c + n->off), n->what,
			    n->unit) == 0 ? -1 : EXIT_USAGE;
	}
	switch (ch) {
	case 'S':
		a->c.push_key = 1;
		a->c.key_file = arg;
		return -1;
	case 'X':
		a->c.ephemeral_key = 1;
		return -1;
	case 'h':
		usage(stdout);
		return EXIT_OK;
	case 'q':
		a->quiet = 1;
		return -1;
	case 'V':
		printf("ssm-proxy %s (data channel client %s)\n",
		    SSM_PROXY_VERSION, SSM_PROXY_CLIENT_VERSION);
		return EXIT_OK;
	case 'v':
		a->verbose++;
		return -1;
	default:
		usage(stderr);
		return EXIT_USAGE;
	}
}

/* The options: -1 to go on, or the exit status. */
static int
parse_options(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "ca-bundle",	  required_argument, NULL, 'C' },
		{ "document",	  required_argument, NULL, 'D' },
		{ "endpoint-url", required_argument, NULL, 'E' },
		{ "ephemeral-key", no_argument,	     NULL, 'X' },
		{ "help",	  no_argument,	     NULL, 'h' },
		{ "keepalive",	  required_argument, NULL, 'K' },
		{ "key-lifetime", required_argument, NULL, 'L' },
		{ "os-user",	  required_argument, NULL, 'U' },
		{ "payload-size", required_argument, NULL, 'Z' },
		{ "profile",	  required_argument, NULL, 'P' },
		{ "progress-timeout", required_argument, NULL, 'T' },
		{ "push-key",	  optional_argument, NULL, 'S' },
		{ "quiet",	  no_argument,	     NULL, 'q' },
		{ "region",	  required_argument, NULL, 'R' },
		{ "trace",	  required_argument, NULL, 'A' },
		{ "verbose",	  no_argument,	     NULL, 'v' },
		{ "version",	  no_argument,	     NULL, 'V' },
		{ "wait-connected", required_argument, NULL, 'W' },
		{ NULL,		  0,		     NULL, 0 }
	};
	int ch, r;

	while ((ch = getopt_long(argc, argv, "hqVv", opts, NULL)) != -1)
		if ((r = take_option(a, ch, optarg)) != -1)
			return r;
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	a->c.target = argv[0];
	if (!target_valid(a->c.target)) {
		log_error("invalid target \"%.64s\": expected an instance id "
		    "(i-...) or a managed node id (mi-...)", a->c.target);
		return EXIT_USAGE;
	}
	if (argc == 2 &&
	    parse_uint(argv[1], 1, 65535, &a->c.port, "port", NULL) != 0)
		return EXIT_USAGE;
	return -1;
}

/* The options that depend on each other: -1 to go on, or EXIT_USAGE. */
static int
check_key_options(struct args *a)
{
	struct config *c = &a->c;
	const char *opt = c->push_key ? "--push-key" : "--ephemeral-key";

	if (c->push_key && c->ephemeral_key) {
		log_error("--push-key and --ephemeral-key cannot be combined");
		return EXIT_USAGE;
	}
	if (a->lifetime != NULL && !c->ephemeral_key) {
		log_error("--key-lifetime needs --ephemeral-key");
		return EXIT_USAGE;
	}
	if (a->lifetime != NULL && parse_uint(a->lifetime, 1,
	    CONFIG_MAX_LIFETIME, &c->key_lifetime, "--key-lifetime",
	    "seconds") != 0)
		return EXIT_USAGE;
	if ((c->push_key || c->ephemeral_key) && c->os_user == NULL) {
		log_error("%s needs --os-user USER (in ssh_config: "
		    "ProxyCommand ssm-proxy %s --os-user %%r %%h %%p)", opt,
		    opt);
		return EXIT_USAGE;
	}
	if (c->os_user != NULL && !c->push_key && !c->ephemeral_key) {
		log_error("--os-user needs --push-key or --ephemeral-key");
		return EXIT_USAGE;
	}
	if (c->os_user != NULL && !eic_os_user_valid(c->os_user)) {
		log_error("invalid OS user \"%.64s\" for EC2 Instance Connect",
		    c->os_user);
		return EXIT_USAGE;
	}
	if (c->os_user != NULL && !eic_instance_id_valid(c->target)) {
		log_error("%s: %.64s is not an EC2 instance id (i-...): EC2 "
		    "Instance Connect works only for EC2 instances, not for "
		    "managed nodes (mi-...) or ECS targets", opt, c->target);
		return EXIT_USAGE;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct args a;
	int r;

	no_core_dumps();
	save_fd_flags();
	memset(&a, 0, sizeof(a));
	a.c.document = CONFIG_DEFAULT_DOCUMENT;
	a.c.port = CONFIG_DEFAULT_PORT;
	a.c.key_lifetime = CONFIG_DEFAULT_LIFETIME;
	if ((r = parse_options(argc, argv, &a)) != -1)
		return r;
	log_init(a.quiet ? LOG_ERROR : (enum log_level)(LOG_INFO +
	    (a.verbose > 4 ? 4 : a.verbose)));
	if ((r = check_key_options(&a)) != -1)
		return r;
	/* --trace wins over SSM_PROXY_TRACE; "" is no trace. */
	if (a.c.trace == NULL)
		a.c.trace = getenv("SSM_PROXY_TRACE");
	a.c.agent_sock = getenv("SSH_AUTH_SOCK");
	return session_run(&a.c);
}
