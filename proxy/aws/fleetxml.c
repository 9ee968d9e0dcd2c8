/*
 * EC2's XML answers (DescribeInstances, StartInstances, errors) read as a
 * stream with libexpat; see fleetint.h.  Elements are known by their
 * local name and their path from the root, so the many nested <item>
 * sets of an instance (networkInterfaceSet, groupSet, blockDeviceMapping,
 * ...) are never taken for instances or tags.
 */
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "fleetint.h"
#include "rfc3339.h"

#define MAX_PATH	16	/* elements deeper are only counted */

/* The element names the reader knows; everything else is N_OTHER. */
enum name {
	N_OTHER, N_DESCRIBE, N_START, N_RESPONSE, N_ERRRESP, N_ERRORS,
	N_ERROR, N_CODE, N_MESSAGE, N_RESSET, N_ITEM, N_INSTSET,
	N_INSTANCEID, N_INSTSTATE, N_NAME, N_PLACEMENT, N_AZ, N_PRIVIP,
	N_PRIVDNS, N_LAUNCH, N_TAGSET, N_KEY, N_VALUE, N_PROFILE,
	N_PLATFORM, N_NEXTTOKEN, N_CURSTATE
};

static const char *const names[] = {
	"", "DescribeInstancesResponse", "StartInstancesResponse", "Response",
	"ErrorResponse", "Errors", "Error", "Code", "Message",
	"reservationSet", "item", "instancesSet", "instanceId",
	"instanceState", "name", "placement", "availabilityZone",
	"privateIpAddress", "privateDnsName", "launchTime", "tagSet", "key",
	"value", "iamInstanceProfile", "platformDetails", "nextToken",
	"currentState"
};

/* Where the text of the current element goes. */
enum field {
	F_NONE, F_ID, F_STATE, F_AZ, F_IP, F_DNS, F_LAUNCH, F_PLATFORM,
	F_TAGKEY, F_TAGVAL, F_NEXT, F_CODE, F_MESSAGE, F_START_STATE
};

struct fleet_xml {
	XML_Parser		 x;
	struct fleet_list	*out;
	const char		*name_tag;
	struct fleet_xml_res	 res;
	int			 err;	/* sticky */
	int			 depth;
	enum name		 path[MAX_PATH];
	struct fleet_instance	*cur;	/* instance being read */
	size_t			 cur_at;	/* its index in out */
	int			 start_items;	/* StartInstances items seen */
	enum field		 field;
	struct buf		 text;
	int			 text_over;
	char			 tag_key[520];
	char			 tag_val[1040];
};

static enum name
lookup(const char *qname)
{
	const char *p = strrchr(qname, '|');
	size_t i;

	p = p != NULL ? p + 1 : qname;
	for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(p, names[i]) == 0)
			return (enum name)i;
	return N_OTHER;
}

/* The path from the root is exactly the n names given. */
static int
at(const struct fleet_xml *p, int n, const enum name *want)
{
	int i;

	if (p->depth != n)
		return 0;
	for (i = 0; i < n; i++)
		if (p->path[i] != want[i])
			return 0;
	return 1;
}

static void
fail(struct fleet_xml *p, int r)
{
	if (p->err == 0)
		p->err = r;
	XML_StopParser(p->x, XML_FALSE);
}

/* Depth 5 is an instance: DescribeInstancesResponse/reservationSet/item/
 * instancesSet/item; its fields are relative to it. */
static const enum name inst_path[] = { N_DESCRIBE, N_RESSET, N_ITEM,
    N_INSTSET, N_ITEM };

static int
in_instance(const struct fleet_xml *p, int rel, enum name a, enum name b,
    enum name c)
{
	const enum name want[3] = { a, b, c };
	int i;

	if (p->cur == NULL || p->depth != 5 + rel)
		return 0;
	for (i = 0; i < rel; i++)
		if (p->path[5 + i] != want[i])
			return 0;
	return 1;
}

static enum field
instance_field(struct fleet_xml *p)
{
	switch (p->depth - 5) {
	case 1:
		switch (p->path[5]) {
		case N_INSTANCEID:	return F_ID;
		case N_PRIVIP:		return F_IP;
		case N_PRIVDNS:		return F_DNS;
		case N_LAUNCH:		return F_LAUNCH;
		case N_PLATFORM:	return F_PLATFORM;
		case N_PROFILE:
			p->cur->has_profile = 1;
			return F_NONE;
		default:		return F_NONE;
		}
	case 2:
		if (in_instance(p, 2, N_INSTSTATE, N_NAME, N_OTHER))
			return F_STATE;
		if (in_instance(p, 2, N_PLACEMENT, N_AZ, N_OTHER))
			return F_AZ;
		if (in_instance(p, 2, N_TAGSET, N_ITEM, N_OTHER)) {
			p->tag_key[0] = '\0';
			p->tag_val[0] = '\0';
		}
		return F_NONE;
	case 3:
		if (in_instance(p, 3, N_TAGSET, N_ITEM, N_KEY))
			return F_TAGKEY;
		if (in_instance(p, 3, N_TAGSET, N_ITEM, N_VALUE))
			return F_TAGVAL;
		return F_NONE;
	default:
		return F_NONE;
	}
}

static enum field
other_field(struct fleet_xml *p)
{
	static const enum name next[] = { N_DESCRIBE, N_NEXTTOKEN };
	static const enum name st[] = { N_START, N_INSTSET, N_ITEM,
	    N_CURSTATE, N_NAME };
	enum name last = p->path[p->depth - 1];

	if (at(p, 2, next))
		return F_NEXT;
	if (at(p, 5, st))
		return p->start_items == 1 ? F_START_STATE : F_NONE;
	if (p->res.doc == FLEET_DOC_ERROR && p->depth >= 3 &&
	    p->path[p->depth - 2] == N_ERROR && (last == N_CODE ||
	    last == N_MESSAGE))
		return last == N_CODE ? F_CODE : F_MESSAGE;
	return F_NONE;
}

static void
begin_instance(struct fleet_xml *p)
{
	int full = 0;

	if ((p->cur = fleet_list_add(p->out, &full)) == NULL) {
		fail(p, full ? SP_ERR_TOO_LARGE : SP_ERR_ALLOC);
		return;
	}
	p->cur_at = p->out->n - 1;
}

static void
root(struct fleet_xml *p, enum name n)
{
	switch (n) {
	case N_DESCRIBE:	p->res.doc = FLEET_DOC_DESCRIBE; break;
	case N_START:		p->res.doc = FLEET_DOC_START; break;
	case N_RESPONSE:
	case N_ERRRESP:		p->res.doc = FLEET_DOC_ERROR; break;
	default:		p->res.doc = FLEET_DOC_OTHER; break;
	}
}

static void
on_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	static const enum name st_item[] = { N_START, N_INSTSET, N_ITEM };
	struct fleet_xml *p = arg;
	enum name n = lookup(name);

	p->field = F_NONE;
	buf_reset(&p->text);
	p->text_over = 0;
	if (p->depth++ >= MAX_PATH)
		return;
	p->path[p->depth - 1] = n;
	if (p->depth == 1) {
		root(p, n);
		return;
	}
	if (at(p, 5, inst_path)) {
		begin_instance(p);
		return;
	}
	if (at(p, 3, st_item))
		p->start_items++;
	p->field = p->cur != NULL ? instance_field(p) : other_field(p);
}

/* Keep text as in fleet_copy; leading and trailing blanks trimmed
 * unless keep (tag keys and values are exact). */
static void
put(char *dst, size_t dstsz, const char *s, size_t n, int keep)
{
	while (!keep && n > 0 && strchr(" \t\r\n", *s) != NULL) {
		s++;
		n--;
	}
	while (!keep && n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		n--;
	fleet_copy(dst, dstsz, s, n);
}

static void
end_tag(struct fleet_xml *p)
{
	const char *want = p->name_tag != NULL ? p->name_tag : "Name";

	if (strcmp(p->tag_key, want) == 0)
		fleet_copy(p->cur->name, sizeof(p->cur->name), p->tag_val,
		    strlen(p->tag_val));
}

static void
end_instance(struct fleet_xml *p)
{
	struct fleet_instance *c = p->cur;

	p->cur = NULL;
	if (!fleet_id_ok(c->id, strlen(c->id))) {
		/* No id (or not one): nothing to address it by. */
		p->out->n = p->cur_at;
		return;
	}
	if (c->launch_time[0] != '\0' &&
	    (rfc3339_parse(c->launch_time, &c->launched) != 0 ||
	    c->launched < 0))
		c->launched = 0;
}

static void
take_next(struct fleet_xml *p, const char *s, size_t n)
{
	if (p->text_over || n > FLEET_MAX_TOKEN) {
		fail(p, SP_ERR_PROTOCOL);
		return;
	}
	free(p->res.next);
	p->res.next = NULL;
	if (n == 0)
		return;
	if ((p->res.next = malloc(n + 1)) == NULL) {
		fail(p, SP_ERR_ALLOC);
		return;
	}
	memcpy(p->res.next, s, n);
	p->res.next[n] = '\0';
}

static void
store(struct fleet_xml *p)
{
	struct fleet_instance *c = p->cur;
	const char *s = (const char *)buf_ptr(&p->text);
	size_t n = buf_len(&p->text);

	switch (p->field) {
	case F_ID:	put(c->id, sizeof(c->id), s, n, 0); break;
	case F_STATE:	put(c->state, sizeof(c->state), s, n, 0); break;
	case F_AZ:	put(c->az, sizeof(c->az), s, n, 0); break;
	case F_IP:
		put(c->private_ip, sizeof(c->private_ip), s, n, 0);
		break;
	case F_DNS:
		put(c->private_dns, sizeof(c->private_dns), s, n, 0);
		break;
	case F_LAUNCH:
		put(c->launch_time, sizeof(c->launch_time), s, n, 0);
		break;
	case F_PLATFORM:
		put(c->platform, sizeof(c->platform), s, n, 0);
		break;
	case F_TAGKEY:	put(p->tag_key, sizeof(p->tag_key), s, n, 1); break;
	case F_TAGVAL:	put(p->tag_val, sizeof(p->tag_val), s, n, 1); break;
	case F_NEXT:
		while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
			n--;
		take_next(p, s, n);
		break;
	case F_CODE:
		put(p->res.code, sizeof(p->res.code), s, n, 0);
		break;
	case F_MESSAGE:
		put(p->res.message, sizeof(p->res.message), s, n, 0);
		break;
	case F_START_STATE:
		put(p->res.state, sizeof(p->res.state), s, n, 0);
		break;
	case F_NONE:
		break;
	}
}

static void
on_end(void *arg, const XML_Char *name)
{
	static const enum name tag_item_rel[] = { N_TAGSET, N_ITEM };
	struct fleet_xml *p = arg;

	if (p->field != F_NONE)
		store(p);
	p->field = F_NONE;
	buf_reset(&p->text);
	p->text_over = 0;
	if (p->cur != NULL && p->depth == 7 &&
	    p->path[5] == tag_item_rel[0] && p->path[6] == tag_item_rel[1])
		end_tag(p);
	if (p->cur != NULL && at(p, 5, inst_path))
		end_instance(p);
	p->depth--;
}

static void
on_text(void *arg, const XML_Char *s, int len)
{
	struct fleet_xml *p = arg;
	size_t room;

	if (p->field == F_NONE || len <= 0)
		return;
	room = FLEET_MAX_TEXT - buf_len(&p->text);
	if ((size_t)len > room) {
		p->text_over = 1;
		len = (int)room;
	}
	if (buf_put(&p->text, s, (size_t)len) != 0)
		fail(p, SP_ERR_ALLOC);
}

/* Refuse DTDs: no entity declarations, nothing external. */
static void
on_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	fail(arg, SP_ERR_PROTOCOL);
}

struct fleet_xml *
fleet_xml_new(const char *name_tag, struct fleet_list *out)
{
	struct fleet_xml *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->x = XML_ParserCreateNS(NULL, '|')) == NULL) {
		free(p);
		return NULL;
	}
	p->out = out;
	p->name_tag = name_tag;
	buf_init(&p->text, FLEET_MAX_TEXT);
	XML_SetUserData(p->x, p);
	XML_SetElementHandler(p->x, on_start, on_end);
	XML_SetCharacterDataHandler(p->x, on_text);
	XML_SetStartDoctypeDeclHandler(p->x, on_doctype);
	return p;
}

int
fleet_xml_feed(struct fleet_xml *p, const void *data, size_t len, int final)
{
	const char *d = data;
	size_t n;

	do {
		if (p->err != 0)
			return p->err;
		n = len > 65536 ? 65536 : len;
		if (XML_Parse(p->x, d, (int)n, final && n == len) !=
		    XML_STATUS_OK && p->err == 0)
			p->err = SP_ERR_PROTOCOL;
		d += n;
		len -= n;
	} while (len > 0);
	if (p->err == 0 && final && p->cur != NULL)
		p->err = SP_ERR_PROTOCOL;
	return p->err;
}

struct fleet_xml_res *
fleet_xml_res(struct fleet_xml *p)
{
	return &p->res;
}

void
fleet_xml_free(struct fleet_xml *p)
{
	if (p == NULL)
		return;
	XML_ParserFree(p->x);
	buf_release(&p->text);
	free(p->res.next);
	free(p);
}

int
fleet_parse_ec2(const void *xml, size_t len, const char *name_tag,
    struct fleet_list *out, char **next)
{
	struct fleet_xml *p;
	size_t n0 = out->n;
	int r;

	*next = NULL;
	if ((p = fleet_xml_new(name_tag, out)) == NULL)
		return SP_ERR_ALLOC;
	if ((r = fleet_xml_feed(p, xml, len, 1)) == 0 &&
	    p->res.doc != FLEET_DOC_DESCRIBE)
		r = SP_ERR_PROTOCOL;
	if (r == 0) {
		*next = p->res.next;
		p->res.next = NULL;
	} else
		out->n = n0;
	fleet_xml_free(p);
	return r;
}
