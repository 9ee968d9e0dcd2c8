/*
 * --list: DescribeInstances (every instance) joined with
 * DescribeInstanceInformation (every managed node), sorted by name then
 * id, printed as a table or as ssh_config Host blocks (see list.h).
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "awscfg.h"
#include "creds.h"
#include "errmsg.h"
#include "exit.h"
#include "fleet.h"
#include "list.h"
#include "log.h"
#include "resolve.h"

#define NCOLS		7

static volatile sig_atomic_t list_signal;

static void
on_signal(int sig)
{
	list_signal = sig;
}

static const char *
env_get(void *arg, const char *name)
{
	return getenv(name);
}

static int
by_name_id(const void *a, const void *b)
{
	const struct fleet_instance *x = a, *y = b;
	int c;

	/* Unnamed ones last. */
	if ((x->name[0] == '\0') != (y->name[0] == '\0'))
		return x->name[0] == '\0' ? 1 : -1;
	if ((c = strcasecmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->id, y->id);
}

/* The cells of one row ("-" for what is unknown). */
static void
cells(const struct fleet_instance *i, const char *c[NCOLS])
{
	c[0] = i->id;
	c[1] = i->name;
	c[2] = i->state[0] != '\0' ? i->state : i->managed ? "managed" : "";
	c[3] = i->ping;
	c[4] = i->platform;
	c[5] = i->private_ip;
	c[6] = i->agent_version;
}

static void
print_table(const struct fleet_list *l)
{
	static const char *const head[NCOLS] = { "ID", "NAME", "STATE",
	    "PING", "PLATFORM", "PRIVATE-IP", "AGENT" };
	const char *c[NCOLS];
	int w[NCOLS], k, n;
	size_t i;

	for (k = 0; k < NCOLS; k++)
		w[k] = (int)strlen(head[k]);
	for (i = 0; i < l->n; i++) {
		cells(&l->v[i], c);
		for (k = 0; k < NCOLS; k++)
			if ((n = (int)strlen(c[k])) > w[k])
				w[k] = n;
	}
	for (k = 0; k < NCOLS; k++)
		printf("%-*s%s", k < NCOLS - 1 ? w[k] : 0, head[k],
		    k < NCOLS - 1 ? "  " : "\n");
	for (i = 0; i < l->n; i++) {
		cells(&l->v[i], c);
		for (k = 0; k < NCOLS; k++)
			printf("%-*s%s", k < NCOLS - 1 ? w[k] : 0,
			    c[k][0] != '\0' ? c[k] : "-",
			    k < NCOLS - 1 ? "  " : "\n");
	}
}

static void
lower(char *out, size_t sz, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < sz; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

/* Safe in an ssh_config Host line and in a shell command unquoted. */
static int
plain_word(const char *s)
{
	if (*s == '\0' || *s == '-')
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == strlen(s);
}

/*
 * Host blocks for the names that name one instance; names that ssh_config
 * cannot hold as they are, and names of several instances, are left out
 * with a comment.
 */
static void
print_ssh_config(const struct fleet_list *l, const struct config *conf,
    const char *region)
{
	char low[sizeof(l->v->name)];
	size_t i, j;

	printf("# ssm-proxy --list --format ssh-config: region %s\n", region);
	for (i = 0; i < l->n; i = j) {
		if (l->v[i].name[0] == '\0')
			break;
		for (j = i + 1; j < l->n &&
		    strcasecmp(l->v[i].name, l->v[j].name) == 0; j++)
			;
		if (!plain_word(l->v[i].name)) {
			printf("# %s: a name ssh_config cannot hold, "
			    "skipped\n", l->v[i].id);
			continue;
		}
		if (j > i + 1) {
			printf("# %s: %zu instances, skipped (connect by "
			    "id)\n", l->v[i].name, j - i);
			continue;
		}
		lower(low, sizeof(low), l->v[i].name);
		/* ssh matches Host case-sensitively: both spellings. */
		printf("\nHost %s%s%s\n\tHostName %s\n\tProxyCommand "
		    "ssm-proxy %s%s%s--region %s %%h %%p\n", l->v[i].name,
		    strcmp(low, l->v[i].name) != 0 ? " " : "",
		    strcmp(low, l->v[i].name) != 0 ? low : "", l->v[i].id,
		    conf->aws.profile ? "--profile " : "",
		    conf->aws.profile ? conf->aws.profile : "",
		    conf->aws.profile ? " " : "", region);
	}
}

/* The listing: 0, or the exit status after logging. */
static int
fetch(struct resolve *r, struct fleet_list *l)
{
	struct fleet_ctx xe, xs;
	struct errmsg ee, es;
	int re, rs;

	resolve_ctx(r, &xe);
	resolve_ctx(r, &xs);
	re = fleet_ec2_describe(&xe, FLEET_BY_ALL, NULL, l, &ee);
	rs = re == CFG_ERR_INTERRUPTED ? re :
	    fleet_ssm_describe(&xs, NULL, 0, NULL, l, &es);
	if (re == CFG_ERR_INTERRUPTED || rs == CFG_ERR_INTERRUPTED)
		return 128 + list_signal;
	if ((re != 0 && !resolve_denied(xe.code)) || (re != 0 && rs != 0)) {
		if (resolve_denied(xe.code))
			log_error("cannot list %s: not allowed to call "
			    "ec2:DescribeInstances (%s)", r->region, xe.code);
		else
			log_error("cannot list %s: %s", r->region, ee.msg);
		return EXIT_API;
	}
	if (rs != 0 && !resolve_denied(xs.code)) {
		log_error("cannot list %s: %s", r->region, es.msg);
		return EXIT_API;
	}
	if (re != 0)
		log_verbose("%s: managed nodes only", ee.msg);
	if (rs != 0)
		log_verbose("%s: EC2 instances only", es.msg);
	debug("listed %zu in %s with %d calls", l->n, r->region,
	    xe.calls + xs.calls);
	return 0;
}

int
list_run(const struct config *conf)
{
	struct awscfg_opts co = conf->aws;
	struct awscfg_env env = { env_get, NULL };
	struct awscfg *cfg = NULL;
	struct creds *creds = NULL;
	struct creds_params cp;
	struct fleet_list l;
	struct resolve r;
	struct errmsg err;
	int rc;

	memset(&l, 0, sizeof(l));
	memset(&r, 0, sizeof(r));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	co.region_imds = 1;
	errmsg_clear(&err);
	if (awscfg_load(&env, &co, &cfg, &err) != 0 || (cfg->region == NULL &&
	    creds_imds_region(cfg, &err) != 0)) {
		log_error("%s", err.msg);
		rc = EXIT_USAGE;
		goto out;
	}
	memset(&cp, 0, sizeof(cp));
	cp.now = time(NULL);
	cp.interactive = 1;
	cp.stop = &list_signal;
	if ((rc = creds_resolve(cfg, &cp, &creds, &err)) != 0) {
		log_error("%s", err.msg);
		rc = rc == CFG_ERR_INTERRUPTED ? 128 + list_signal :
		    rc == CFG_ERR_SYNTAX || rc == CFG_ERR_PROFILE ||
		    rc == CFG_ERR_VALUE ? EXIT_USAGE : EXIT_API;
		goto out;
	}
	if (conf->format == FORMAT_SSH_CONFIG && conf->aws.profile != NULL &&
	    !plain_word(conf->aws.profile)) {
		log_error("--format ssh-config: profile name \"%.64s\" cannot "
		    "be written into a ProxyCommand", conf->aws.profile);
		rc = EXIT_USAGE;
		goto out;
	}
	r.conf = conf;
	r.cfg = cfg;
	r.creds = creds;
	r.region = cfg->region;
	r.stop = &list_signal;
	if ((rc = fetch(&r, &l)) != 0)
		goto out;
	resolve_remember(&r, &l);
	qsort(l.v, l.n, sizeof(*l.v), by_name_id);
	if (conf->format == FORMAT_SSH_CONFIG)
		print_ssh_config(&l, conf, cfg->region);
	else
		print_table(&l);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("cannot write the listing to standard output");
		rc = EXIT_USAGE;
	}
 out:
	resolve_free(&r);
	fleet_list_free(&l);
	creds_free(creds);
	awscfg_free(cfg);
	return rc;
}
