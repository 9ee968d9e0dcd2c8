/*
 * The fleet as EC2 and Systems Manager describe it: which instances and
 * managed nodes exist in a region, their state, addresses and tags, and
 * whether their agent is online (proxy/aws/AWS-APIS.md "DescribeInstances",
 * "DescribeInstanceInformation", "StartInstances").
 *
 * Every call here is blocking (libcurl easy through http.c), signed with
 * SigV4, ends early when *stop becomes non-zero (CFG_ERR_INTERRUPTED), and
 * never logs: a failure is one line in err, and the AWS error code, when
 * the service sent one, is copied into x->code so that the caller can
 * tell AccessDenied (no permission: explain or stay silent) from the rest.
 * Pages are followed with NextToken until the last one or until
 * FLEET_MAX_INSTANCES entries; DescribeInstances answers are parsed as a
 * stream (libexpat), so a page's size is bounded by nothing but
 * FLEET_MAX_PAGE_BYTES.  What the service returns is taken leniently:
 * unknown elements and members are skipped, a value longer than its field
 * is cut at a UTF-8 boundary (these are for display and matching, never
 * sent back), control characters become spaces.
 */
#ifndef SSM_FLEET_H
#define SSM_FLEET_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "awscfg.h"
#include "credtype.h"
#include "errmsg.h"

#define FLEET_MAX_INSTANCES	100000	/* entries kept over all pages */
#define FLEET_MAX_PAGE_BYTES	(64 * 1024 * 1024)
#define FLEET_EC2_PAGE		100	/* MaxResults sent to EC2 (5..1000) */
#define FLEET_SSM_PAGE		50	/* MaxResults sent to SSM (5..50) */
#define FLEET_MAX_IDS		200	/* instance ids in one filter */

/* One EC2 instance or managed node. */
struct fleet_instance {
	char	id[32];		/* "i-..." or "mi-..." */
	/* EC2 (DescribeInstances); "" / 0 when unknown: */
	char	state[16];	/* pending running stopping stopped
				   shutting-down terminated */
	char	az[32];		/* Placement/AvailabilityZone */
	char	private_ip[48];	/* privateIpAddress (SSM: IPAddress) */
	char	private_dns[256];	/* privateDnsName */
	char	launch_time[40];	/* launchTime as sent */
	int64_t	launched;	/* launchTime, epoch seconds; 0 unknown */
	char	name[256];	/* the value of the name tag ("" none) */
	int	has_profile;	/* 1: iamInstanceProfile present */
	/* Systems Manager (DescribeInstanceInformation); "" / 0 unknown: */
	int	managed;	/* 1: listed by DescribeInstanceInformation */
	char	ping[24];	/* Online ConnectionLost Inactive */
	int64_t	last_ping;	/* LastPingDateTime, epoch seconds */
	char	agent_version[32];
	char	platform[64];	/* PlatformName, else PlatformType / EC2
				   platformDetails */
	char	computer_name[256];	/* ComputerName */
};

struct fleet_list {
	struct fleet_instance	*v;
	size_t			 n;
	size_t			 cap;
};

/* What every call needs.  Strings and creds are borrowed. */
struct fleet_ctx {
	const struct awscfg	*cfg;
	const struct creds	*creds;
	const char		*region;	/* the region asked; NULL:
						   cfg->region */
	const char		*name_tag;	/* tag key; NULL: "Name" */
	const volatile sig_atomic_t *stop;	/* may be NULL */
	unsigned int		 page_size;	/* MaxResults; 0: default */
	int			 calls;		/* requests made, for tests */
	char			 code[64];	/* last AWS error code, "" */
};

/* What DescribeInstances is asked for. */
enum fleet_by {
	FLEET_BY_ID,		/* value: one instance id (i-...) */
	FLEET_BY_NAME,		/* value: exact value of the name tag */
	FLEET_BY_IP,		/* value: IPv4, private-ip-address */
	FLEET_BY_DNS,		/* value: private-dns-name */
	FLEET_BY_NAMED,		/* value NULL: every instance with the tag */
	FLEET_BY_ALL		/* value NULL: every instance */
};

/*
 * DescribeInstances (EC2 Query protocol, API 2016-11-15) in x's region,
 * filtered as by says, terminated instances left out.  The instances
 * found are appended to out.  0, or: CFG_ERR_PROCESS (the service said
 * no: x->code holds its code, err "DescribeInstances failed: CODE:
 * MESSAGE"), SP_ERR_PROTOCOL / SP_ERR_TIMEOUT (no answer), SP_ERR_TOO_LARGE,
 * CFG_ERR_VALUE (a bad endpoint, an answer that is not XML),
 * CFG_ERR_INTERRUPTED, SP_ERR_ALLOC.
 */
int	fleet_ec2_describe(struct fleet_ctx *x, enum fleet_by by,
	    const char *value, struct fleet_list *out, struct errmsg *err)
	    SP_WUR;

/*
 * DescribeInstanceInformation (SSM, JSON 1.1) in x's region.  ids
 * (nids <= FLEET_MAX_IDS) asks for those nodes (InstanceIds filter);
 * name, when not NULL, asks for nodes whose name tag is that value
 * (Filters tag:KEY); neither: every node; not both (the service refuses
 * a tag filter with another: SP_ERR_INVALID_ARG).  Each node found
 * updates the entry of out with the same id (managed, ping, last_ping, agent,
 * platform, computer_name; private_ip and name only when empty: a node's
 * name is its "Name" member, or the value asked for) or is appended.  Returns as
 * fleet_ec2_describe.
 */
int	fleet_ssm_describe(struct fleet_ctx *x, const char *const *ids,
	    size_t nids, const char *name, struct fleet_list *out,
	    struct errmsg *err) SP_WUR;

/*
 * StartInstances for one instance id; *state (16 bytes) receives its
 * currentState name ("pending", ...).  Returns as fleet_ec2_describe.
 */
int	fleet_ec2_start(struct fleet_ctx *x, const char *id, char state[16],
	    struct errmsg *err) SP_WUR;

/* The entry for id in l, or NULL. */
struct fleet_instance *fleet_find(struct fleet_list *l, const char *id);
/* Free the entries and zero l.  NULL is a no-op. */
void	fleet_list_free(struct fleet_list *l);

/*
 * Pure parsers, exposed for the unit tests and the fuzz targets
 * (tests/fuzz/fuzz_fleet_xml.c, fuzz_fleet_json.c).  A parser takes one
 * whole page; *next receives a heap copy of NextToken (NULL: last page).
 * 0, SP_ERR_PROTOCOL (not the expected document), SP_ERR_TOO_LARGE
 * (more than FLEET_MAX_INSTANCES entries), SP_ERR_ALLOC.
 */
int	fleet_parse_ec2(const void *xml, size_t len, const char *name_tag,
	    struct fleet_list *out, char **next) SP_WUR;
int	fleet_parse_ssm(const void *json, size_t len, struct fleet_list *out,
	    char **next) SP_WUR;

#endif /* SSM_FLEET_H */
