/*
 * The readiness of one instance: the diagnosis of TargetNotConnected and
 * --start (see ready.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "errmsg.h"
#include "exit.h"
#include "log.h"
#include "ready.h"

/* What EC2 and SSM know of id, into l (either may be denied: silent). */
static void
describe_one(const struct resolve *r, const char *id, struct fleet_list *l,
    int *ec2_ok, int *ssm_ok)
{
	struct fleet_ctx x;
	struct errmsg err;
	const char *ids[1];

	ids[0] = id;
	*ec2_ok = *ssm_ok = 0;
	if (strncmp(id, "i-", 2) == 0) {
		resolve_ctx(r, &x);
		*ec2_ok = fleet_ec2_describe(&x, FLEET_BY_ID, id, l, &err) == 0;
		if (!*ec2_ok)
			debug("no diagnosis from EC2: %s", err.msg);
	}
	resolve_ctx(r, &x);
	*ssm_ok = fleet_ssm_describe(&x, ids, 1, NULL, l, &err) == 0;
	if (!*ssm_ok)
		debug("no diagnosis from SSM: %s", err.msg);
}

/* Why id is not connected, into why ("" when nobody can tell). */
static void
diagnose(const struct fleet_instance *i, int ec2_ok, int ssm_ok,
    int ec2_skipped, char *why, size_t sz)
{
	char since[32];
	struct tm tm;
	time_t t;

	*why = '\0';
	if (i == NULL) {
		/* Both asked (mi-: SSM alone) and neither knows it. */
		if (ssm_ok && (ec2_ok || ec2_skipped))
			snprintf(why, sz, "there is no such %s in this region",
			    ec2_skipped ? "managed node" : "instance");
		return;
	}
	if (ec2_ok && i->state[0] != '\0' && strcmp(i->state, "running") != 0)
		snprintf(why, sz, "the instance is %s", i->state);
	else if (ssm_ok && i->managed && strcmp(i->ping, "Online") != 0) {
		t = (time_t)i->last_ping;
		if (i->last_ping > 0 && gmtime_r(&t, &tm) != NULL &&
		    strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ",
		    &tm) > 0)
			snprintf(why, sz, "its SSM agent has been offline (%s) "
			    "since %s", i->ping[0] ? i->ping : "?", since);
		else
			snprintf(why, sz, "its SSM agent is offline (%s)",
			    i->ping[0] ? i->ping : "?");
	} else if (ec2_ok && ssm_ok && !i->managed)
		snprintf(why, sz, "it is not a managed node: no SSM agent has "
		    "registered it (the instance needs a running agent and an "
		    "instance profile with AmazonSSMManagedInstanceCore)");
}

int
ready_explain(const struct resolve *r, const char *id, const char *message,
    int may_start)
{
	struct fleet_list l;
	const struct fleet_instance *i;
	char why[320];
	size_t n = strlen(message);
	int ec2_ok, ssm_ok, stopped;

	memset(&l, 0, sizeof(l));
	describe_one(r, id, &l, &ec2_ok, &ssm_ok);
	i = fleet_find(&l, id);
	diagnose(i, ec2_ok, ssm_ok, strncmp(id, "i-", 2) != 0, why,
	    sizeof(why));
	stopped = ec2_ok && i != NULL && strcmp(i->state, "stopped") == 0;
	fleet_list_free(&l);
	if (stopped && may_start)
		return 1;
	if (n > 0 && message[n - 1] == '.')
		n--;
	log_error("%.*s%s%s (profile %s, region %s)%s", (int)n, message,
	    why[0] != '\0' ? ": " : "", why, r->cfg->profile, r->region,
	    stopped && !r->conf->start ? "; --start would start it" : "");
	return 0;
}

int
ready_start(const struct resolve *r, const char *id, const char *name)
{
	struct fleet_ctx x;
	struct errmsg err;
	char state[16];

	log_info("starting %s%s%s%s", id, *name ? " (" : "", name,
	    *name ? ")" : "");
	resolve_ctx(r, &x);
	if (fleet_ec2_start(&x, id, state, &err) != 0) {
		if (resolve_denied(x.code))
			log_error("cannot start %s: not allowed to call "
			    "ec2:StartInstances (%s)", id, x.code);
		else
			log_error("cannot start %s: %s", id, err.msg);
		return EXIT_API;
	}
	debug("StartInstances %s: %s", id, state);
	return 0;
}

void
ready_progress(const struct resolve *r, const char *id, char *seen)
{
	struct fleet_list l;
	const struct fleet_instance *i;
	struct fleet_ctx x;
	struct errmsg err;

	memset(&l, 0, sizeof(l));
	resolve_ctx(r, &x);
	if (fleet_ec2_describe(&x, FLEET_BY_ID, id, &l, &err) == 0 &&
	    (i = fleet_find(&l, id)) != NULL && strcmp(i->state, seen) != 0) {
		if (strcmp(i->state, "running") == 0)
			log_info("%s is running; waiting for its SSM agent", id);
		else
			log_verbose("%s is %s", id, i->state);
		snprintf(seen, 16, "%s", i->state);
	}
	fleet_list_free(&l);
}
