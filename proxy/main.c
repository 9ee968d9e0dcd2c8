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

#include "apimsg.h"
#include "compat.h"
#include "config.h"
#include "eic.h"
#include "eice.h"
#include "list.h"
#include "log.h"
#include "resolve.h"
#include "session.h"
#include "share.h"
#include "tunnel.h"
#include "version.h"

/* What getopt saw, before the checks that need every option. */
struct args {
	struct config	 c;
	const char	*lifetime;	/* --key-lifetime, checked later */
	int		 format_given;	/* --format */
	int		 verbose;
	int		 quiet;
	struct resolve	 rs;		/* the target, checked */
	const char	*via;		/* --via BASTION */
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
	    "usage: ssm-proxy [-hqVv] [--ca-bundle FILE] [--cache-ttl SECONDS]\n"
	    "                 [--document NAME] [--eice-connect-to ADDRESS:PORT]\n"
	    "                 [--eice-id ID] [--endpoint-url URL]\n"
	    "                 [--ephemeral-key] [--keepalive SECONDS]\n"
	    "                 [--key-lifetime SECONDS]\n"
	    "                 [--max-tunnel-duration SECONDS] [--name-tag KEY]\n"
	    "                 [--os-user USER] [--payload-size BYTES]\n"
	    "                 [--pick newest|oldest] [--profile NAME]\n"
	    "                 [--progress-timeout SECONDS] [--push-key[=FILE]]\n"
	    "                 [--region REGION] [--start] [--trace FILE]\n"
	    "                 [--transport ssm|eice|auto]\n"
	    "                 [--wait-connected SECONDS] TARGET [PORT]\n"
	    "       ssm-proxy --via BASTION [--share] [--share-idle SECONDS]\n"
	    "                 [options] HOST [PORT]\n"
	    "       ssm-proxy --list [--format table|ssh-config]\n"
	    "                 [--name-tag KEY] [--profile NAME] [--region REGION]\n");
}

/* --help: the usage, every option with its range and default, exits. */
static void
help(void)
{
	usage(stdout);
	fputs("\n"
"TARGET: i-... or mi-... id, an IPv4 address or private DNS name, or a\n"
"name tag's value; any of them may end in .REGION (web1.eu-west-1).\n"
"PORT: 1 to 65535, default 22.\n"
"--via BASTION: reach HOST:PORT through the managed instance BASTION (an\n"
"id or a name, as TARGET), which needs no sshd or key; the document is\n"
"AWS-StartPortForwardingSessionToRemoteHost unless --document says.\n"
"\n"
"  --ca-bundle FILE          CA certificates (PEM) for every TLS connection\n"
"  --cache-ttl SECONDS       keep a name's id 0 to 604800 s (default 600;\n"
"                            0: no name cache)\n"
"  --document NAME           session document (default AWS-StartSSHSession)\n"
"  --eice-connect-to ADDRESS:PORT  connect the EICE tunnel there, keeping\n"
"                            TLS, Host and signature on the endpoint's name\n"
"  --eice-id ID              the EC2 Instance Connect Endpoint (default: one\n"
"                            in the instance's VPC)\n"
"  --endpoint-url URL        Systems Manager endpoint\n"
"  --ephemeral-key           push a new key, lent to ssh-agent (needs\n"
"                            --os-user)\n"
"  --format table|ssh-config what --list prints (default table)\n"
"  -h, --help                this help\n"
"  --keepalive SECONDS       websocket ping every 1 to 3600 s (default 30)\n"
"  --key-lifetime SECONDS    agent lifetime of --ephemeral-key, 1 to 86400\n"
"                            (default 60)\n"
"  --list                    print the region's managed instances, exit\n"
"  --max-tunnel-duration SECONDS  EICE tunnel lifetime, 1 to 3600 (default\n"
"                            3600)\n"
"  --name-tag KEY            the tag names are looked up in (default Name)\n"
"  --os-user USER            user for EC2 Instance Connect (ssh's %r)\n"
"  --payload-size BYTES      data message payload, 1 to 65536 (default 1024)\n"
"  --pick newest|oldest      several instances match: take this one by\n"
"                            launch time (default: none, exit 1)\n"
"  --profile NAME            AWS profile (default AWS_PROFILE, else default)\n"
"  --progress-timeout SECONDS  end a session unacknowledged 0 to 86400 s\n"
"                            (default 300; 0: the default)\n"
"  --push-key[=FILE]         push the public key with SendSSHPublicKey\n"
"  -q, --quiet               errors only\n"
"  --region REGION           AWS region (default AWS_REGION, the profile)\n"
"  --share                   with --via: share one session between the\n"
"                            connections to HOST:PORT (a background master)\n"
"  --share-idle SECONDS      end the shared session 1 to 86400 s after its\n"
"                            last connection (default 300)\n"
"  --start                   start a stopped instance and wait for it (up\n"
"                            to --wait-connected, default 300 s)\n"
"  --trace FILE              record the data channel (SSM_PROXY_TRACE)\n"
"  --transport ssm|eice|auto  Session Manager, EC2 Instance Connect Endpoint\n"
"                            (ports 22 and 3389), or SSM then EICE\n"
"                            (default ssm)\n"
"  -V, --version             print the version\n"
"  -v, --verbose             more messages (up to -vvvvv)\n"
"  --via BASTION             reach HOST behind the managed instance BASTION\n"
"  --wait-connected SECONDS  retry TargetNotConnected for 0 to 86400 s\n"
"                            (default 0)\n"
"\n"
"Exit status: 0 ok; 1 usage, configuration, a name matching no instance\n"
"or several; 2 AWS API or credentials; 3 data channel or EICE tunnel\n"
"not opened; 4 session or tunnel lost; 5 SendSSHPublicKey failed; 6 no usable SSH key; 128+N\n"
"signal N.\n", stdout);
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
	{ 'c', "--cache-ttl", 0, NAMECACHE_MAX_TTL, "seconds",
	    offsetof(struct config, cache_ttl) },
	{ 'Z', "--payload-size", 1, TUNNEL_MAX_PAYLOAD, "bytes",
	    offsetof(struct config, payload_size) },
	{ 'M', "--max-tunnel-duration", 1, EICE_MAX_DURATION, "seconds",
	    offsetof(struct config, max_tunnel_s) },
	{ 'J', "--share-idle", 1, SHARE_IDLE_MAX, "seconds",
	    offsetof(struct config, share_idle_s) },
};

/* Where an option's argument is kept as it is; NULL if elsewhere. */
static const char **
string_option(struct args *a, int ch)
{
	switch (ch) {
	case 'A':	return &a->c.trace;
	case 'C':	return &a->c.aws.ca_bundle;
	case 'B':	return &a->via;
	case 'D':	return &a->c.document;
	case 'E':	return &a->c.aws.endpoint_url;
	case 'G':	return &a->c.eice_connect_to;	/* checked later */
	case 'e':	return &a->c.eice_id;
	case 'L':	return &a->lifetime;	/* checked later */
	case 'N':	return &a->c.name_tag;
	case 'P':	return &a->c.aws.profile;
	case 'R':	return &a->c.aws.region;
	case 'U':	return &a->c.os_user;
	default:	return NULL;
	}
}

/* --pick and --format: -1 to go on, or EXIT_USAGE. */
static int
choice_option(struct args *a, int ch, const char *arg)
{
	if (ch == 'I' && strcmp(arg, "newest") == 0)
		a->c.pick = PICK_NEWEST;
	else if (ch == 'I' && strcmp(arg, "oldest") == 0)
		a->c.pick = PICK_OLDEST;
	else if (ch == 'F' && strcmp(arg, "table") == 0)
		a->c.format = FORMAT_TABLE;
	else if (ch == 'F' && strcmp(arg, "ssh-config") == 0)
		a->c.format = FORMAT_SSH_CONFIG;
	else if (ch == 'Y' && eice_transport(arg, &a->c.transport) == 0)
		;
	else if (ch == 'Y') {
		log_error("invalid --transport \"%.16s\": expected ssm, eice "
		    "or auto", arg);
		return EXIT_USAGE;
	} else {
		log_error("invalid %s \"%.16s\": expected %s",
		    ch == 'I' ? "--pick" : "--format", arg, ch == 'I' ?
		    "newest or oldest" : "table or ssh-config");
		return EXIT_USAGE;
	}
	if (ch == 'F')
		a->format_given = 1;
	return -1;
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
	if (ch == 'W')
		a->c.wait_given = 1;
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
	case 'F':
	case 'I':
	case 'Y':
		return choice_option(a, ch, arg);
	case 'l':
		a->c.list = 1;
		return -1;
	case 's':
		a->c.start = 1;
		return -1;
	case 'j':
		a->c.share = 1;
		return -1;
	case 'h':
		help();
		return EXIT_OK;
	case 'q':
		a->quiet = 1;
		return -1;
	case 'V':
		version_print(stdout);
		return EXIT_OK;
	case 'v':
		a->verbose++;
		return -1;
	default:
		usage(stderr);
		return EXIT_USAGE;
	}
}

/*
 * --via BASTION HOST [PORT]: HOST is the host behind the bastion, and the
 * options that act on the bastion's own sshd do not apply.  -1 to go on.
 */
static int
check_via(struct args *a, const char *host)
{
	struct config *c = &a->c;

	if (!apimsg_host_valid(host)) {
		log_error("invalid host for --via: expected 1 to %d bytes of "
		    "UTF-8 without control characters", APIMSG_MAX_HOST);
		return EXIT_USAGE;
	}
	if (c->push_key || c->ephemeral_key || c->os_user != NULL ||
	    c->transport != TRANSPORT_SSM || c->eice_id != NULL ||
	    c->eice_connect_to != NULL) {
		log_error("--via cannot be combined with EC2 Instance Connect "
		    "options or --transport");
		return EXIT_USAGE;
	}
	c->via_host = host;
	if (c->document == NULL)
		c->document = CONFIG_VIA_DOCUMENT;
	return -1;
}

/* The options: -1 to go on, or the exit status. */
static int
parse_options(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "ca-bundle",	  required_argument, NULL, 'C' },
		{ "cache-ttl",	  required_argument, NULL, 'c' },
		{ "format",	  required_argument, NULL, 'F' },
		{ "list",	  no_argument,	     NULL, 'l' },
		{ "name-tag",	  required_argument, NULL, 'N' },
		{ "pick",	  required_argument, NULL, 'I' },
		{ "start",	  no_argument,	     NULL, 's' },
		{ "document",	  required_argument, NULL, 'D' },
		{ "eice-connect-to", required_argument, NULL, 'G' },
		{ "eice-id",	  required_argument, NULL, 'e' },
		{ "max-tunnel-duration", required_argument, NULL, 'M' },
		{ "transport",	  required_argument, NULL, 'Y' },
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
		{ "via",	  required_argument, NULL, 'B' },
		{ "share",	  no_argument,	     NULL, 'j' },
		{ "share-idle",	  required_argument, NULL, 'J' },
		{ NULL,		  0,		     NULL, 0 }
	};
	int ch, r;

	while ((ch = getopt_long(argc, argv, "hqVv", opts, NULL)) != -1)
		if ((r = take_option(a, ch, optarg)) != -1)
			return r;
	argc -= optind;
	argv += optind;
	if (a->c.list && a->via != NULL) {
		log_error("--list cannot be combined with --via");
		return EXIT_USAGE;
	}
	if (a->c.share && a->via == NULL) {
		log_error("--share needs --via");
		return EXIT_USAGE;
	}
	if (a->c.share_idle_s != 0 && !a->c.share) {
		log_error("--share-idle needs --share");
		return EXIT_USAGE;
	}
	if (a->c.list && argc == 0)
		return -1;
	if (a->c.list) {
		log_error("--list takes no TARGET");
		return EXIT_USAGE;
	}
	if (argc < 1 || argc > 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	a->c.target = a->via != NULL ? a->via : argv[0];
	if (resolve_parse(&a->rs, a->c.target) != 0)
		return EXIT_USAGE;
	if (a->via != NULL && check_via(a, argv[0]) != -1)
		return EXIT_USAGE;
	if (argc == 2 &&
	    parse_uint(argv[1], 1, 65535, &a->c.port, "port", NULL) != 0)
		return EXIT_USAGE;
	return -1;
}

/* Valid tag keys: 1 to 128 characters, no control characters. */
static int
tag_key_valid(const char *k)
{
	size_t n = strlen(k);

	if (n < 1 || n > 128)
		return 0;
	for (; *k != '\0'; k++)
		if ((unsigned char)*k < ' ' || *k == 0x7f)
			return 0;
	return 1;
}

/* Options of names and of --list: -1 to go on, or EXIT_USAGE. */
static int
check_name_options(struct args *a)
{
	const struct config *c = &a->c;

	if (c->name_tag != NULL && !tag_key_valid(c->name_tag)) {
		log_error("invalid --name-tag \"%.64s\": expected a tag key of "
		    "1 to 128 characters", c->name_tag);
		return EXIT_USAGE;
	}
	if (a->format_given && !c->list) {
		log_error("--format needs --list");
		return EXIT_USAGE;
	}
	if (c->list && (c->start || c->pick != PICK_NONE || c->push_key ||
	    c->ephemeral_key || c->os_user != NULL)) {
		log_error("--list cannot be combined with --start, --pick or "
		    "EC2 Instance Connect options");
		return EXIT_USAGE;
	}
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
	/* A name is checked once it is resolved (session.c). */
	if (c->os_user != NULL && (a->rs.t.kind == TARGET_ECS ||
	    (a->rs.t.kind == TARGET_ID && !eic_instance_id_valid(
	    a->rs.t.value)))) {
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
	a.c.port = CONFIG_DEFAULT_PORT;
	a.c.key_lifetime = CONFIG_DEFAULT_LIFETIME;
	a.c.cache_ttl = NAMECACHE_DEFAULT_TTL;
	if ((r = parse_options(argc, argv, &a)) != -1)
		return r;
	if (a.c.document == NULL)
		a.c.document = CONFIG_DEFAULT_DOCUMENT;
	log_init(a.quiet ? LOG_ERROR : (enum log_level)(LOG_INFO +
	    (a.verbose > 4 ? 4 : a.verbose)));
	if ((r = check_name_options(&a)) != -1 ||
	    (!a.c.list && (r = check_key_options(&a)) != -1) ||
	    (r = eice_check_options(&a.c)) != -1)
		return r;
	/* --trace wins over SSM_PROXY_TRACE; "" is no trace. */
	if (a.c.trace == NULL)
		a.c.trace = getenv("SSM_PROXY_TRACE");
	a.c.agent_sock = getenv("SSH_AUTH_SOCK");
	if (a.c.list)
		return list_run(&a.c);
	if (a.c.share)
		return share_run(&a.c);
	return session_run(&a.c);
}
