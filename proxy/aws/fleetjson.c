/*
 * Systems Manager's DescribeInstanceInformation as JSON: the request
 * body, the pages and the error answers; see fleetint.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fleetint.h"
#include "json.h"
#include "rfc3339.h"

static int
put_filter(struct json_writer *w, const char *key,
    const char *const *values, size_t n)
{
	size_t i;
	int r;

	if ((r = json_w_obj_open(w)) != 0 ||
	    (r = json_w_key(w, "Key")) != 0 ||
	    (r = json_w_str(w, key)) != 0 ||
	    (r = json_w_key(w, "Values")) != 0 ||
	    (r = json_w_arr_open(w)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if ((r = json_w_str(w, values[i])) != 0)
			return r;
	if ((r = json_w_arr_close(w)) != 0)
		return r;
	return json_w_obj_close(w);
}

int
fleet_ssm_body(const char *const *ids, size_t nids, const char *name_tag,
    const char *name, unsigned int page, const char *next, struct buf *out)
{
	struct json_writer *w;
	struct buf key;
	int r;

	if (nids > FLEET_MAX_IDS)
		return SP_ERR_INVALID_ARG;
	if ((w = json_writer_new()) == NULL)
		return SP_ERR_ALLOC;
	buf_init(&key, 1024);
	if ((r = json_w_obj_open(w)) != 0)
		goto out;
	if (nids > 0 || name != NULL) {
		if ((r = json_w_key(w, "Filters")) != 0 ||
		    (r = json_w_arr_open(w)) != 0)
			goto out;
		if (nids > 0 && (r = put_filter(w, "InstanceIds", ids,
		    nids)) != 0)
			goto out;
		if (name != NULL && ((r = buf_putf(&key, "tag:%s",
		    name_tag != NULL ? name_tag : "Name")) != 0 ||
		    (r = buf_put_u8(&key, 0)) != 0 ||
		    (r = put_filter(w, (const char *)buf_ptr(&key), &name,
		    1)) != 0))
			goto out;
		if ((r = json_w_arr_close(w)) != 0)
			goto out;
	}
	if ((r = json_w_key(w, "MaxResults")) != 0 ||
	    (r = json_w_int(w, page)) != 0)
		goto out;
	if (next != NULL && ((r = json_w_key(w, "NextToken")) != 0 ||
	    (r = json_w_str(w, next)) != 0))
		goto out;
	if ((r = json_w_obj_close(w)) != 0)
		goto out;
	r = json_w_finish(w, out);
 out:
	buf_release(&key);
	json_writer_free(w);
	return r;
}

static void
get_copy(const struct json *j, const char *key, char *dst, size_t dstsz)
{
	const char *s;

	if (json_get_str(j, key, &s) == 0)
		fleet_copy(dst, dstsz, s, strlen(s));
}

/* LastPingDateTime: epoch seconds as a number, or leniently a string. */
static int64_t
get_time(const struct json *j, const char *key)
{
	const struct json *v = json_get(j, key);
	int64_t t;

	if (v == NULL)
		return 0;
	if (v->type == JSON_NUMBER)
		return isfinite(v->d) && v->d > 0 && v->d < 253402300800.0 ?
		    (int64_t)v->d : 0;
	if (v->type == JSON_STRING && rfc3339_parse(v->s, &t) == 0 && t > 0)
		return t;
	return 0;
}

/* One InstanceInformationList member into out. */
static int
merge_one(const struct json *j, const char *asked, struct fleet_list *out)
{
	struct fleet_instance *e;
	const char *id;
	char plat[64] = "";
	int full = 0;

	if (j->type != JSON_OBJECT || json_get_str(j, "InstanceId", &id) != 0 ||
	    !fleet_id_ok(id, strlen(id)))
		return 0;	/* nothing to know it by: skipped */
	if ((e = fleet_find(out, id)) == NULL) {
		if ((e = fleet_list_add(out, &full)) == NULL)
			return full ? SP_ERR_TOO_LARGE : SP_ERR_ALLOC;
		fleet_copy(e->id, sizeof(e->id), id, strlen(id));
	}
	e->managed = 1;
	get_copy(j, "PingStatus", e->ping, sizeof(e->ping));
	e->last_ping = get_time(j, "LastPingDateTime");
	get_copy(j, "AgentVersion", e->agent_version,
	    sizeof(e->agent_version));
	get_copy(j, "PlatformName", plat, sizeof(plat));
	if (plat[0] == '\0')
		get_copy(j, "PlatformType", plat, sizeof(plat));
	if (plat[0] != '\0')
		memcpy(e->platform, plat, sizeof(e->platform));
	get_copy(j, "ComputerName", e->computer_name,
	    sizeof(e->computer_name));
	if (e->private_ip[0] == '\0')
		get_copy(j, "IPAddress", e->private_ip, sizeof(e->private_ip));
	if (e->name[0] == '\0')
		get_copy(j, "Name", e->name, sizeof(e->name));
	if (e->name[0] == '\0' && asked != NULL)
		fleet_copy(e->name, sizeof(e->name), asked, strlen(asked));
	return 0;
}

int
fleet_ssm_merge(const void *json, size_t len, const char *asked,
    struct fleet_list *out, char **next)
{
	struct json *j = NULL;
	const struct json *list;
	const char *tok;
	size_t i, n0 = out->n;
	int r;

	*next = NULL;
	if (len == 0 || json_parse(json, len, &j) != 0)
		return SP_ERR_PROTOCOL;
	list = json_get(j, "InstanceInformationList");
	if (j->type != JSON_OBJECT || list == NULL ||
	    (list->type != JSON_ARRAY && list->type != JSON_NULL)) {
		r = SP_ERR_PROTOCOL;
		goto out;
	}
	for (i = 0; list->type == JSON_ARRAY && i < list->n; i++)
		if ((r = merge_one(list->v[i], asked, out)) != 0)
			goto out;
	r = 0;
	if (json_get_str(j, "NextToken", &tok) == 0 && *tok != '\0') {
		if (strlen(tok) > FLEET_MAX_TOKEN)
			r = SP_ERR_PROTOCOL;
		else if ((*next = strdup(tok)) == NULL)
			r = SP_ERR_ALLOC;
	}
 out:
	if (r != 0)
		out->n = n0;
	json_free(j);
	return r;
}

int
fleet_parse_ssm(const void *json, size_t len, struct fleet_list *out,
    char **next)
{
	return fleet_ssm_merge(json, len, NULL, out, next);
}

void
fleet_ssm_error(const void *json, size_t len, char code[64],
    char message[256])
{
	struct json *j = NULL;
	const char *s, *h;
	size_t n;

	code[0] = '\0';
	message[0] = '\0';
	if (len == 0 || json_parse(json, len, &j) != 0)
		return;
	if ((json_get_str(j, "__type", &s) == 0 && *s != '\0') ||
	    json_get_str(j, "code", &s) == 0) {
		/* "com.amazonaws.ssm#AccessDeniedException:http://..." */
		n = strcspn(s, ":");
		if ((h = memchr(s, '#', n)) != NULL) {
			n -= (size_t)(h + 1 - s);
			s = h + 1;
		}
		fleet_copy(code, 64, s, n);
	}
	/* json_get falls back to a case-insensitive match: "Message". */
	if (json_get_str(j, "message", &s) == 0)
		fleet_copy(message, 256, s, strlen(s));
	json_free(j);
}
