/*
 * What fleet.c, fleetxml.c and fleetjson.c share (and the unit tests
 * look at): the streaming reader of EC2's XML answers, the SSM JSON
 * bodies and answers, the request bodies and the list helpers.  Pure: no
 * I/O.
 */
#ifndef SSM_FLEETINT_H
#define SSM_FLEETINT_H

#include <stddef.h>

#include "buf.h"
#include "fleet.h"

#define FLEET_MAX_TEXT		16384	/* one element's text kept */
#define FLEET_MAX_TOKEN		8192	/* NextToken, bytes */

/* Which document an EC2 answer is, from its root element. */
enum fleet_doc {
	FLEET_DOC_NONE,		/* no root element yet */
	FLEET_DOC_DESCRIBE,	/* DescribeInstancesResponse */
	FLEET_DOC_START,	/* StartInstancesResponse */
	FLEET_DOC_ERROR,	/* Response (Errors/Error) or ErrorResponse */
	FLEET_DOC_OTHER
};

/* What the reader found besides the instances. */
struct fleet_xml_res {
	enum fleet_doc	 doc;
	char		 code[64];	/* Error/Code, printable */
	char		 message[256];	/* Error/Message, printable */
	char		*next;		/* nextToken (heap), NULL: none */
	char		 state[16];	/* StartInstances: first item's
					   currentState/name */
};

struct fleet_xml;

/*
 * A reader of one EC2 answer (libexpat, namespaces ignored, DTDs
 * refused) that appends each instance of a DescribeInstancesResponse to
 * out as its element ends.  name_tag NULL: "Name".  NULL if out of
 * memory.
 */
struct fleet_xml *fleet_xml_new(const char *name_tag, struct fleet_list *out);
/*
 * Feed len more bytes; final on the last call (len may be 0).  0,
 * SP_ERR_PROTOCOL (not well-formed, a DTD, a NextToken over
 * FLEET_MAX_TOKEN), SP_ERR_TOO_LARGE (over FLEET_MAX_INSTANCES),
 * SP_ERR_ALLOC.  Errors are sticky.
 */
int	fleet_xml_feed(struct fleet_xml *p, const void *data, size_t len,
	    int final) SP_WUR;
/* The results so far; res->next may be taken (set it to NULL). */
struct fleet_xml_res *fleet_xml_res(struct fleet_xml *p);
void	fleet_xml_free(struct fleet_xml *p);

/*
 * The form body of DescribeInstances (fleet.h): the filter by asks for
 * as Filter.1 (values with EC2's wildcards *, ? and \ escaped by a
 * backslash, so that they match literally), instance-state-name without
 * terminated as the last filter, MaxResults page, NextToken next when not
 * NULL.  0, SP_ERR_INVALID_ARG (a value missing or given when by takes
 * none), or the buf error.
 */
int	fleet_ec2_form(enum fleet_by by, const char *value,
	    const char *name_tag, unsigned int page, const char *next,
	    struct buf *out) SP_WUR;

/*
 * The JSON body of DescribeInstanceInformation (fleet_ssm_describe's
 * arguments, tag key name_tag), MaxResults page, NextToken next.
 */
int	fleet_ssm_body(const char *const *ids, size_t nids,
	    const char *name_tag, const char *name, unsigned int page,
	    const char *next, struct buf *out) SP_WUR;
/*
 * Merge one DescribeInstanceInformation page into out as
 * fleet_ssm_describe says (asked: the name asked for, or NULL); *next as
 * fleet_parse_ssm.  Returns as fleet_parse_ssm.
 */
int	fleet_ssm_merge(const void *json, size_t len, const char *asked,
	    struct fleet_list *out, char **next) SP_WUR;
/*
 * The code (__type after any '#', cut at ':', else code) and message of
 * a JSON error answer, printable; "" when absent.
 */
void	fleet_ssm_error(const void *json, size_t len, char code[64],
	    char message[256]);

/* 1 if id looks like an instance or node id: 1 to 31 of [A-Za-z0-9-]. */
int	fleet_id_ok(const char *id, size_t n);
/* A new zeroed entry at the end of l; NULL: out of memory or full
 * (FLEET_MAX_INSTANCES; *full is then 1). */
struct fleet_instance *fleet_list_add(struct fleet_list *l, int *full);
/*
 * Copy the n bytes of UTF-8 at src into dst (dstsz > 0) for display and
 * matching: control characters (C0, DEL, C1) become spaces, invalid bytes
 * '?', and the copy stops before a character that would not fit whole.
 */
void	fleet_copy(char *dst, size_t dstsz, const char *src, size_t n);

#endif /* SSM_FLEETINT_H */
