/*
 * ssm-proxy: an ssh ProxyCommand that tunnels through AWS Systems Manager
 * Session Manager.  This file turns argv into a configuration; the tunnel
 * itself lives in tunnel.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "version.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ssm-proxy [-hqVv] [--document NAME] [--profile NAME]\n"
	    "                 [--region REGION] TARGET [PORT]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "document",	required_argument, NULL, 'D' },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "profile",	required_argument, NULL, 'P' },
		{ "quiet",	no_argument,	   NULL, 'q' },
		{ "region",	required_argument, NULL, 'R' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "version",	no_argument,	   NULL, 'V' },
		{ NULL,		0,		   NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "hqVv", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ssm-proxy %s (data channel client %s)\n",
			    SSM_PROXY_VERSION, SSM_PROXY_CLIENT_VERSION);
			return 0;
		case 'D': case 'P': case 'R': case 'q': case 'v':
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		usage(stderr);
		return 1;
	}
	fprintf(stderr, "ssm-proxy: the tunnel is not implemented yet\n");
	return 1;
}
