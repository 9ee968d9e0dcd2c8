/*
 * proxy/aws/fleet: EC2 DescribeInstances pages (realistic ~4 KB items
 * with the nested sets a real one has), StartInstances and error
 * documents, SSM DescribeInstanceInformation pages, the request bodies
 * byte for byte, the ec2 endpoint, and the calls themselves against a
 * local HTTP server (paging, streaming past HTTP_MAX_BODY, errors).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>

#include "test.h"
#include "cfgtest.h"
#include "srvtest.h"

#include "buf.h"
#include "credtype.h"
#include "endpoint.h"
#include "fleet.h"
#include "fleetint.h"
#include "http.h"

#define NS	"http://ec2.amazonaws.com/doc/2016-11-15/"

/*
 * One instance item as DescribeInstances sends it: the fields we read,
 * and around them the nested sets whose own <item>, <instanceId>,
 * <privateIpAddress>, <name> and tagSet must not be taken for the
 * instance's.
 */
static void
item(struct buf *b, int i, const char *name, const char *state,
    int profile)
{
	int k, r = 0;

	r |= buf_putf(b, "<item><instanceId>i-%017x</instanceId>"
	    "<imageId>ami-0abcdef1234567890</imageId>"
	    "<instanceState><code>16</code><name>%s</name></instanceState>"
	    "<privateDnsName>ip-10-2-%d-%d.ec2.internal</privateDnsName>"
	    "<dnsName/><reason/><keyName>deploy</keyName>"
	    "<amiLaunchIndex>0</amiLaunchIndex><productCodes/>"
	    "<instanceType>t3.micro</instanceType>"
	    "<launchTime>2024-03-01T12:%02d:00.000Z</launchTime>"
	    "<placement><availabilityZone>us-east-1%c</availabilityZone>"
	    "<groupName/><tenancy>default</tenancy></placement>"
	    "<monitoring><state>disabled</state></monitoring>"
	    "<subnetId>subnet-0123456789abcdef0</subnetId>"
	    "<vpcId>vpc-0123456789abcdef0</vpcId>"
	    "<privateIpAddress>10.2.%d.%d</privateIpAddress>"
	    "<sourceDestCheck>true</sourceDestCheck>"
	    "<groupSet><item><groupId>sg-0123456789abcdef0</groupId>"
	    "<groupName>default</groupName></item></groupSet>"
	    "<architecture>x86_64</architecture>"
	    "<rootDeviceType>ebs</rootDeviceType>"
	    "<rootDeviceName>/dev/xvda</rootDeviceName><blockDeviceMapping>",
	    i, state, i / 250, i % 250, i % 60, "abc"[i % 3], i / 250,
	    i % 250);
	for (k = 0; k < 6; k++)
		r |= buf_putf(b, "<item><deviceName>/dev/xvd%c</deviceName>"
		    "<ebs><volumeId>vol-%017x</volumeId>"
		    "<status>attached</status>"
		    "<attachTime>2024-03-01T12:00:01.000Z</attachTime>"
		    "<deleteOnTermination>true</deleteOnTermination></ebs>"
		    "</item>", 'a' + k, i * 8 + k);
	r |= buf_putf(b, "</blockDeviceMapping>"
	    "<virtualizationType>hvm</virtualizationType><clientToken/>"
	    "<tagSet><item><key>Env</key><value>prod</value></item>"
	    "%s%s%s</tagSet><hypervisor>xen</hypervisor>"
	    "<networkInterfaceSet><item>"
	    "<networkInterfaceId>eni-0123456789abcdef0</networkInterfaceId>"
	    "<subnetId>subnet-0123456789abcdef0</subnetId>"
	    "<vpcId>vpc-0123456789abcdef0</vpcId><description/>"
	    "<ownerId>123456789012</ownerId><status>in-use</status>"
	    "<macAddress>0a:1b:2c:3d:4e:5f</macAddress>"
	    "<privateIpAddress>10.9.9.9</privateIpAddress>"
	    "<privateDnsName>ip-10-9-9-9.decoy.internal</privateDnsName>"
	    "<sourceDestCheck>true</sourceDestCheck>"
	    "<groupSet><item><groupId>sg-0123456789abcdef0</groupId>"
	    "<groupName>decoy-group</groupName></item></groupSet>"
	    "<attachment><attachmentId>eni-attach-0123</attachmentId>"
	    "<deviceIndex>0</deviceIndex><status>attached</status>"
	    "<attachTime>2024-03-01T12:00:00.000Z</attachTime>"
	    "<deleteOnTermination>true</deleteOnTermination>"
	    "<networkCardIndex>0</networkCardIndex></attachment>"
	    "<privateIpAddressesSet><item>"
	    "<privateIpAddress>10.9.9.9</privateIpAddress>"
	    "<privateDnsName>decoy</privateDnsName><primary>true</primary>"
	    "</item></privateIpAddressesSet><ipv6AddressesSet/>"
	    "<interfaceType>interface</interfaceType>"
	    "<tagSet><item><key>Name</key><value>decoy-eni</value></item>"
	    "</tagSet><instanceId>i-decoy</instanceId>"
	    "</item></networkInterfaceSet>%s"
	    "<ebsOptimized>false</ebsOptimized><enaSupport>true</enaSupport>"
	    "<cpuOptions><coreCount>1</coreCount>"
	    "<threadsPerCore>2</threadsPerCore></cpuOptions>"
	    "<capacityReservationSpecification>"
	    "<capacityReservationPreference>open"
	    "</capacityReservationPreference>"
	    "</capacityReservationSpecification>"
	    "<hibernationOptions><configured>false</configured>"
	    "</hibernationOptions>"
	    "<metadataOptions><state>applied</state>"
	    "<httpTokens>required</httpTokens>"
	    "<httpPutResponseHopLimit>2</httpPutResponseHopLimit>"
	    "<httpEndpoint>enabled</httpEndpoint>"
	    "<httpProtocolIpv6>disabled</httpProtocolIpv6>"
	    "<instanceMetadataTags>disabled</instanceMetadataTags>"
	    "</metadataOptions>"
	    "<enclaveOptions><enabled>false</enabled></enclaveOptions>"
	    "<platformDetails>Linux/UNIX</platformDetails>"
	    "<usageOperation>RunInstances</usageOperation>"
	    "<usageOperationUpdateTime>2024-03-01T12:00:00.000Z"
	    "</usageOperationUpdateTime>"
	    "<privateDnsNameOptions><hostnameType>ip-name</hostnameType>"
	    "<enableResourceNameDnsARecord>false"
	    "</enableResourceNameDnsARecord>"
	    "<enableResourceNameDnsAAAARecord>false"
	    "</enableResourceNameDnsAAAARecord></privateDnsNameOptions>"
	    "<maintenanceOptions><autoRecovery>default</autoRecovery>"
	    "</maintenanceOptions>"
	    "<currentInstanceBootMode>legacy-bios</currentInstanceBootMode>"
	    "</item>", name != NULL ? "<item><key>Name</key><value>" : "",
	    name != NULL ? name : "", name != NULL ? "</value></item>" : "",
	    profile ? "<iamInstanceProfile><arn>arn:aws:iam::123456789012:"
	    "instance-profile/ssm</arn><id>AIPAEXAMPLE</id>"
	    "</iamInstanceProfile>" : "");
	if (r != 0)
		abort();
}

/* A page of nres reservations of per instances from index first. */
static void
page(struct buf *b, int first, int nres, int per, const char *next)
{
	int i, k, r = 0;
	char name[32];

	r |= buf_putf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<DescribeInstancesResponse xmlns=\"" NS "\">\n"
	    "    <requestId>8f7724cf-496f-496e-8fe3-example</requestId>\n"
	    "    <reservationSet>\n");
	for (i = 0; i < nres; i++) {
		r |= buf_putf(b, "<item><reservationId>r-%017x</reservationId>"
		    "<ownerId>123456789012</ownerId><groupSet/>"
		    "<instancesSet>\n", first + i);
		for (k = 0; k < per; k++) {
			snprintf(name, sizeof(name), "node-%04d",
			    first + i * per + k);
			item(b, first + i * per + k, name, "running", 1);
		}
		r |= buf_putf(b, "</instancesSet>"
		    "<requesterId>940372691376</requesterId></item>\n");
	}
	r |= buf_putf(b, "    </reservationSet>\n");
	if (next != NULL)
		r |= buf_putf(b, "<nextToken>%s</nextToken>\n", next);
	r |= buf_putf(b, "</DescribeInstancesResponse>\n");
	if (r != 0)
		abort();
}

static void
test_item_size(void)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	item(&b, 1, "web1", "running", 1);
	CHECK(buf_len(&b) > 3000 && buf_len(&b) < 8000,
	    "a test item is the size of a real one (3 to 8 KB)");
	buf_release(&b);
}

static void
test_ec2_page(void)
{
	struct fleet_list l;
	struct buf b;
	char *next = NULL;
	struct fleet_instance *e;

	memset(&l, 0, sizeof(l));
	buf_init(&b, 1 << 22);
	page(&b, 0, 3, 4, "eyJ2IjoiMiIsImMiOiJ0b2tlbiJ9/+==");
	CHECK_EQ(fleet_parse_ec2(buf_ptr(&b), buf_len(&b), NULL, &l, &next),
	    0, "a page of 3 reservations of 4 instances");
	CHECK_EQ(l.n, 12, "12 instances, nested items not counted");
	CHECK_STR(next, "eyJ2IjoiMiIsImMiOiJ0b2tlbiJ9/+==", "nextToken");
	e = l.n >= 6 ? &l.v[5] : NULL;
	CHECK_STR(e ? e->id : NULL, "i-00000000000000005", "instanceId");
	CHECK_STR(e ? e->name : NULL, "node-0005",
	    "Name tag of the instance, not of its network interface");
	CHECK_STR(e ? e->state : NULL, "running", "instanceState/name");
	CHECK_STR(e ? e->az : NULL, "us-east-1c", "placement/availabilityZone");
	CHECK_STR(e ? e->private_ip : NULL, "10.2.0.5",
	    "privateIpAddress of the instance, not of its interface");
	CHECK_STR(e ? e->private_dns : NULL, "ip-10-2-0-5.ec2.internal",
	    "privateDnsName");
	CHECK_STR(e ? e->launch_time : NULL, "2024-03-01T12:05:00.000Z",
	    "launchTime as sent");
	CHECK_EQ(e ? e->launched : 0, 1709294700, "launchTime in seconds");
	CHECK_EQ(e ? e->has_profile : -1, 1, "iamInstanceProfile");
	CHECK_STR(e ? e->platform : NULL, "Linux/UNIX", "platformDetails");
	CHECK(fleet_find(&l, "i-decoy") == NULL,
	    "the interface's instanceId is not an instance");
	free(next);
	fleet_list_free(&l);
	CHECK(l.v == NULL && l.n == 0, "fleet_list_free zeroes");

	/* The same page one byte at a time, and with another tag key. */
	{
		struct fleet_xml *p;
		size_t i;
		int r = 0;

		p = fleet_xml_new("Env", &l);
		for (i = 0; i < buf_len(&b) && r == 0; i++)
			r = fleet_xml_feed(p, buf_ptr(&b) + i, 1, 0);
		if (r == 0)
			r = fleet_xml_feed(p, NULL, 0, 1);
		CHECK_EQ(r, 0, "fed one byte at a time");
		CHECK_EQ(l.n, 12, "the same 12 instances");
		CHECK_STR(l.n ? l.v[11].id : NULL, "i-0000000000000000b",
		    "the last one");
		CHECK_STR(l.n ? l.v[11].name : NULL, "prod",
		    "name from the tag key asked for (Env)");
		CHECK_STR(fleet_xml_res(p)->next,
		    "eyJ2IjoiMiIsImMiOiJ0b2tlbiJ9/+==", "nextToken streamed");
		CHECK_EQ(fleet_xml_res(p)->doc, FLEET_DOC_DESCRIBE, "doc");
		fleet_xml_free(p);
		fleet_list_free(&l);
	}

	/* The last page: no nextToken; an empty one is the same. */
	buf_reset(&b);
	page(&b, 100, 1, 1, NULL);
	CHECK_EQ(fleet_parse_ec2(buf_ptr(&b), buf_len(&b), NULL, &l, &next),
	    0, "last page");
	CHECK(next == NULL, "no nextToken: NULL");
	CHECK_EQ(l.n, 1, "appended to the list");
	buf_reset(&b);
	page(&b, 200, 1, 2, "");
	CHECK_EQ(fleet_parse_ec2(buf_ptr(&b), buf_len(&b), NULL, &l, &next),
	    0, "page with an empty nextToken");
	CHECK(next == NULL, "empty nextToken: NULL");
	CHECK_EQ(l.n, 3, "appended after the first");
	CHECK_STR(l.n == 3 ? l.v[2].id : NULL, "i-000000000000000c9",
	    "in order");
	fleet_list_free(&l);
	buf_release(&b);
}

static void
parse_str(const char *xml, const char *tag, int want, size_t want_n,
    const char *what)
{
	struct fleet_list l;
	char *next = NULL;

	memset(&l, 0, sizeof(l));
	CHECK_EQ(fleet_parse_ec2(xml, strlen(xml), tag, &l, &next), want,
	    what);
	CHECK_EQ(l.n, want_n, what);
	free(next);
	fleet_list_free(&l);
}

static void
test_ec2_odd(void)
{
	static const char head[] = "<DescribeInstancesResponse xmlns=\"" NS
	    "\"><reservationSet><item><instancesSet>";
	static const char tail[] = "</instancesSet></item></reservationSet>"
	    "</DescribeInstancesResponse>";
	struct fleet_list l;
	struct buf b;
	char *next = NULL;
	size_t i;
	int r = 0;

	parse_str("<DescribeInstancesResponse xmlns=\"" NS "\"/>", NULL, 0, 0,
	    "an empty answer");
	parse_str("<DescribeInstancesResponse><reservationSet/>"
	    "</DescribeInstancesResponse>", NULL, 0, 0, "no namespace");
	parse_str("<DescribeInstancesResponse xmlns=\"" NS "\">"
	    "<reservationSet><item><instancesSet><item><instanceId>i-1"
	    "</instanceId>", NULL, SP_ERR_PROTOCOL, 0, "cut short");
	parse_str("<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaa\">]>"
	    "<DescribeInstancesResponse>&a;</DescribeInstancesResponse>",
	    NULL, SP_ERR_PROTOCOL, 0, "a DTD is refused");
	parse_str("<Response><Errors><Error><Code>UnauthorizedOperation"
	    "</Code><Message>no</Message></Error></Errors>"
	    "<RequestID>x</RequestID></Response>", NULL, SP_ERR_PROTOCOL, 0,
	    "an error document is not a page");
	parse_str("{\"InstanceInformationList\":[]}", NULL, SP_ERR_PROTOCOL,
	    0, "JSON is not XML");
	parse_str("", NULL, SP_ERR_PROTOCOL, 0, "empty input");

	/* An item without an id is dropped; control characters become
	 * spaces; a long name is cut at a character boundary. */
	memset(&l, 0, sizeof(l));
	buf_init(&b, 1 << 20);
	r |= buf_put_str(&b, head);
	r |= buf_put_str(&b, "<item><privateIpAddress>10.0.0.1"
	    "</privateIpAddress></item><item><instanceId> i-2 </instanceId>"
	    "<tagSet><item><value>a&#9;b&#x7f;c</value><key>Name</key></item>"
	    "</tagSet><unknown><item><instanceId>i-3</instanceId></item>"
	    "</unknown></item><item><instanceId>i-4</instanceId><tagSet>"
	    "<item><key>Name</key><value>");
	for (i = 0; i < 254; i++)
		r |= buf_put_u8(&b, 'x');
	r |= buf_put_str(&b, "\xc3\xa9\xc3\xa9</value></item></tagSet>"
	    "<launchTime>yesterday</launchTime></item>"
	    "<item><instanceId>i-5/../x</instanceId></item>");
	r |= buf_put_str(&b, tail);
	if (r != 0)
		abort();
	CHECK_EQ(fleet_parse_ec2(buf_ptr(&b), buf_len(&b), NULL, &l, &next),
	    0, "odd items");
	CHECK_EQ(l.n, 2, "items without an id, or with a bad one, dropped");
	CHECK_STR(l.n == 2 ? l.v[0].id : NULL, "i-2", "id trimmed");
	CHECK_STR(l.n == 2 ? l.v[0].name : NULL, "a b c",
	    "value before key; tab and DEL become spaces");
	CHECK_EQ(l.n == 2 ? strlen(l.v[1].name) : 0, 254,
	    "a long name is cut before a character that does not fit");
	CHECK_EQ(l.n == 2 ? l.v[1].launched : -1, 0,
	    "a launchTime that is not a time is 0");
	fleet_list_free(&l);
	buf_release(&b);
}

static void
test_ec2_docs(void)
{
	static const char *err403 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "\n<Response><Errors><Error><Code>UnauthorizedOperation</Code>"
	    "<Message>You are not authorized to perform this operation. "
	    "User: arn:aws:iam::123456789012:user/emu is not authorized to "
	    "perform: ec2:DescribeInstances because no identity-based policy "
	    "allows the ec2:DescribeInstances action</Message></Error>"
	    "</Errors><RequestID>ab0d-1</RequestID></Response>";
	static const char *start = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<StartInstancesResponse xmlns=\"" NS "\"><requestId>1</requestId>"
	    "<instancesSet><item><instanceId>i-0c1c1c1c1c1c1c1c1</instanceId>"
	    "<currentState><code>0</code><name>pending</name></currentState>"
	    "<previousState><code>80</code><name>stopped</name>"
	    "</previousState></item></instancesSet></StartInstancesResponse>";
	struct fleet_list l;
	struct fleet_xml *p;

	memset(&l, 0, sizeof(l));
	p = fleet_xml_new(NULL, &l);
	CHECK_EQ(fleet_xml_feed(p, err403, strlen(err403), 1), 0,
	    "error document read");
	CHECK_EQ(fleet_xml_res(p)->doc, FLEET_DOC_ERROR, "error doc");
	CHECK_STR(fleet_xml_res(p)->code, "UnauthorizedOperation", "Code");
	CHECK(strncmp(fleet_xml_res(p)->message, "You are not authorized to "
	    "perform this operation. User: arn:aws:iam::123456789012:user/emu",
	    60) == 0, "Message, cut to its field");
	fleet_xml_free(p);
	p = fleet_xml_new(NULL, &l);
	CHECK_EQ(fleet_xml_feed(p, start, strlen(start), 1), 0,
	    "StartInstances answer read");
	CHECK_EQ(fleet_xml_res(p)->doc, FLEET_DOC_START, "start doc");
	CHECK_STR(fleet_xml_res(p)->state, "pending",
	    "currentState, not previousState");
	CHECK_EQ(l.n, 0, "no instances from StartInstances");
	fleet_xml_free(p);
}

static void
form_is(enum fleet_by by, const char *value, const char *tag,
    unsigned int pg, const char *next, const char *want, const char *what)
{
	struct buf b;
	int r;

	buf_init(&b, 65536);
	r = fleet_ec2_form(by, value, tag, pg, next, &b);
	CHECK_EQ(r, want == NULL ? SP_ERR_INVALID_ARG : 0, what);
	if (want != NULL && r == 0 && buf_put_u8(&b, 0) == 0)
		CHECK_STR((const char *)buf_ptr(&b), want, what);
	buf_release(&b);
}

#define F0	"Action=DescribeInstances&Version=2016-11-15"
#define LIVE(n)	"&Filter." #n ".Name=instance-state-name&Filter." #n \
	".Value.1=pending&Filter." #n ".Value.2=running&Filter." #n \
	".Value.3=stopping&Filter." #n ".Value.4=stopped&Filter." #n \
	".Value.5=shutting-down"

static void
body_is(const struct buf *b, const char *want, const char *what)
{
	CHECK_MEM(buf_ptr(b), buf_len(b), want, strlen(want), what);
	if (buf_len(b) != strlen(want) || memcmp(buf_ptr(b), want,
	    buf_len(b)) != 0)
		printf("#   got %.*s\n", (int)buf_len(b),
		    (const char *)buf_ptr(b));
}

static void
test_forms(void)
{
	struct buf b;
	const char *ids[2] = { "i-0123456789abcdef0", "mi-0123456789abcdef0" };
	int r;

	form_is(FLEET_BY_NAME, "web1", NULL, 100, NULL,
	    F0 "&Filter.1.Name=tag%3AName&Filter.1.Value.1=web1" LIVE(2)
	    "&MaxResults=100", "by name");
	form_is(FLEET_BY_NAME, "a*b?c\\d e/f", "Team Role", 5, NULL,
	    F0 "&Filter.1.Name=tag%3ATeam%20Role&Filter.1.Value.1="
	    "a%5C%2Ab%5C%3Fc%5C%5Cd%20e%2Ff" LIVE(2) "&MaxResults=5",
	    "wildcards * ? \\ escaped with a backslash, then encoded");
	form_is(FLEET_BY_ID, "i-0123456789abcdef0", NULL, 100, "a/b+c=",
	    F0 "&Filter.1.Name=instance-id&Filter.1.Value.1="
	    "i-0123456789abcdef0" LIVE(2) "&NextToken="
	    "a%2Fb%2Bc%3D", "by id: no MaxResults, NextToken encoded");
	form_is(FLEET_BY_IP, "10.0.1.5", NULL, 1000, NULL,
	    F0 "&Filter.1.Name=private-ip-address&Filter.1.Value.1=10.0.1.5"
	    LIVE(2) "&MaxResults=1000", "by IP");
	form_is(FLEET_BY_DNS, "ip-10-0-1-5.ec2.internal", NULL, 100, NULL,
	    F0 "&Filter.1.Name=private-dns-name&Filter.1.Value.1="
	    "ip-10-0-1-5.ec2.internal" LIVE(2) "&MaxResults=100", "by DNS");
	form_is(FLEET_BY_NAMED, NULL, "Name", 100, NULL,
	    F0 "&Filter.1.Name=tag-key&Filter.1.Value.1=Name" LIVE(2)
	    "&MaxResults=100", "every instance with the tag");
	form_is(FLEET_BY_ALL, NULL, NULL, 100, NULL, F0 LIVE(1)
	    "&MaxResults=100", "every instance");
	form_is(FLEET_BY_NAME, NULL, NULL, 100, NULL, NULL,
	    "by name needs a value");
	form_is(FLEET_BY_ALL, "x", NULL, 100, NULL, NULL,
	    "every instance takes none");

	buf_init(&b, 65536);
	r = fleet_ssm_body(ids, 2, NULL, NULL, 50, NULL, &b);
	CHECK_EQ(r, 0, "SSM body by ids");
	body_is(&b, "{\"Filters\":[{\"Key\":"
	    "\"InstanceIds\",\"Values\":[\"i-0123456789abcdef0\","
	    "\"mi-0123456789abcdef0\"]}],\"MaxResults\":50}",
	    "SSM body by ids, exact");
	buf_reset(&b);
	r = fleet_ssm_body(NULL, 0, NULL, "web1", 50, "tok", &b);
	CHECK_EQ(r, 0, "SSM body by name");
	body_is(&b, "{\"Filters\":[{\"Key\":"
	    "\"tag:Name\",\"Values\":[\"web1\"]}],\"MaxResults\":50,"
	    "\"NextToken\":\"tok\"}", "SSM body by name, exact");
	buf_reset(&b);
	r = fleet_ssm_body(NULL, 0, NULL, NULL, 50, NULL, &b);
	body_is(&b, "{\"MaxResults\":50}", "SSM body for every node");
	buf_release(&b);
}

static void
test_ssm(void)
{
	static const char *pg = "{\"InstanceInformationList\":["
	    "{\"InstanceId\":\"i-0123456789abcdef0\",\"PingStatus\":\"Online\","
	    "\"LastPingDateTime\":1.70934E9,\"AgentVersion\":\"3.3.40.0\","
	    "\"IsLatestVersion\":false,\"PlatformType\":\"Linux\","
	    "\"PlatformName\":\"Amazon Linux\",\"PlatformVersion\":\"2023\","
	    "\"ResourceType\":\"EC2Instance\",\"IPAddress\":\"10.9.9.9\","
	    "\"ComputerName\":\"ip-10-0-1-5.ec2.internal\","
	    "\"AssociationStatus\":\"Success\",\"SourceId\":\"i-0123\","
	    "\"SourceType\":\"AWS::EC2::Instance\"},"
	    "{\"InstanceId\":\"mi-0123456789abcdef0\",\"PingStatus\":"
	    "\"ConnectionLost\",\"LastPingDateTime\":1714550400.625,"
	    "\"PlatformType\":\"Linux\",\"ResourceType\":\"ManagedInstance\","
	    "\"IPAddress\":\"192.168.50.10\",\"Name\":\"onprem1\"},"
	    "{\"PingStatus\":\"Online\"},"
	    "{\"InstanceId\":\"mi-0aaaaaaaaaaaaaaaa\",\"LastPingDateTime\":"
	    "\"2024-05-01T08:00:00Z\",\"ComputerName\":\"a\\u0007b\"},"
	    "{\"InstanceId\":\"mi-bad\\u0001id\"},{\"InstanceId\":\"../x\"}"
	    "],\"NextToken\":\"AAEAA+/=\"}";
	struct fleet_list l;
	struct fleet_instance *e;
	char *next = NULL, code[64], msg[256];
	const char *s;
	int full;

	memset(&l, 0, sizeof(l));
	e = fleet_list_add(&l, &full);
	snprintf(e->id, sizeof(e->id), "i-0123456789abcdef0");
	snprintf(e->private_ip, sizeof(e->private_ip), "10.0.1.5");
	snprintf(e->name, sizeof(e->name), "web1");
	snprintf(e->platform, sizeof(e->platform), "Linux/UNIX");
	CHECK_EQ(fleet_ssm_merge(pg, strlen(pg), "asked", &l, &next), 0,
	    "SSM page");
	CHECK_EQ(l.n, 3, "one updated, two added, three bad ids skipped");
	CHECK_STR(next, "AAEAA+/=", "NextToken");
	e = &l.v[0];
	CHECK_EQ(e->managed, 1, "managed");
	CHECK_STR(e->ping, "Online", "PingStatus");
	CHECK_EQ(e->last_ping, 1709340000, "LastPingDateTime 1.70934E9");
	CHECK_STR(e->agent_version, "3.3.40.0", "AgentVersion");
	CHECK_STR(e->platform, "Amazon Linux", "PlatformName first");
	CHECK_STR(e->private_ip, "10.0.1.5", "EC2's address is kept");
	CHECK_STR(e->name, "web1", "EC2's name is kept");
	CHECK_STR(e->computer_name, "ip-10-0-1-5.ec2.internal", "ComputerName");
	e = fleet_find(&l, "mi-0123456789abcdef0");
	CHECK(e != NULL, "managed node appended");
	CHECK_EQ(e ? e->last_ping : 0, 1714550400, "fraction dropped");
	CHECK_STR(e ? e->ping : NULL, "ConnectionLost", "ping");
	CHECK_STR(e ? e->platform : NULL, "Linux", "else PlatformType");
	CHECK_STR(e ? e->private_ip : NULL, "192.168.50.10", "IPAddress");
	CHECK_STR(e ? e->name : NULL, "onprem1", "the Name member");
	CHECK_STR(e ? e->state : NULL, "", "no EC2 state");
	e = fleet_find(&l, "mi-0aaaaaaaaaaaaaaaa");
	CHECK_STR(e ? e->name : NULL, "asked", "else the name asked for");
	CHECK_EQ(e ? e->last_ping : 0, 1714550400, "a time as a string");
	CHECK_STR(e ? e->computer_name : NULL, "a b", "control -> space");
	free(next);
	next = NULL;
	CHECK_EQ(fleet_parse_ssm("{\"InstanceInformationList\":[]}", 30, &l,
	    &next), 0, "empty page");
	CHECK(next == NULL, "last page");
	CHECK_EQ(fleet_parse_ssm("{\"__type\":\"AccessDeniedException\"}", 34,
	    &l, &next), SP_ERR_PROTOCOL, "an error is not a page");
	CHECK_EQ(fleet_parse_ssm("<x/>", 4, &l, &next), SP_ERR_PROTOCOL,
	    "XML is not JSON");
	CHECK_EQ(fleet_parse_ssm("{\"InstanceInformationList\":{}}", 30, &l,
	    &next), SP_ERR_PROTOCOL, "the list must be an array");
	CHECK_EQ(l.n, 3, "failures add nothing");
	fleet_list_free(&l);

	s = "{\"__type\":\"com.amazonaws.ssm#AccessDeniedException"
	    ":http://internal.amazon.com/coral/\",\"message\":\"User: arn:aws:"
	    "iam::123456789012:user/emu is not authorized to perform: "
	    "ssm:DescribeInstanceInformation\"}";
	fleet_ssm_error(s, strlen(s), code, msg);
	CHECK_STR(code, "AccessDeniedException", "code after # before :");
	CHECK(strncmp(msg, "User: arn:aws:iam::123456789012:user/emu", 40) ==
	    0, "message");
	s = "{\"__type\":\"ThrottlingException\",\"Message\":"
	    "\"Rate\\nexceeded\"}";
	fleet_ssm_error(s, strlen(s), code, msg);
	CHECK_STR(code, "ThrottlingException", "plain __type");
	CHECK_STR(msg, "Rate exceeded", "Message; newline made a space");
	fleet_ssm_error("<html>", 6, code, msg);
	CHECK(code[0] == '\0' && msg[0] == '\0', "not JSON: nothing");
}

static void
test_endpoint(void)
{
	const struct endpoint_service *s = endpoint_service("ec2");
	struct endpoint_params p;
	struct errmsg err;
	char url[ENDPOINT_URL_MAX], reg[ENDPOINT_REGION_MAX];

	CHECK(s != NULL, "ec2 is a service");
	CHECK_STR(s ? s->env_suffix : NULL, "EC2", "AWS_ENDPOINT_URL_EC2");
	CHECK_STR(s ? s->config_key : NULL, "ec2", "[services] key ec2");
	if (s == NULL)
		return;
	memset(&p, 0, sizeof(p));
	p.region = "eu-west-1";
	CHECK_EQ(endpoint_default_url(s, &p, url, sizeof(url), reg, &err), 0,
	    "ec2 default");
	CHECK_STR(url, "https://ec2.eu-west-1.amazonaws.com", "ec2 host");
	p.use_fips = 1;
	p.region = "us-east-1";
	CHECK_EQ(endpoint_default_url(s, &p, url, sizeof(url), reg, &err), 0,
	    "ec2 FIPS");
	CHECK_STR(url, "https://ec2-fips.us-east-1.amazonaws.com", "ec2-fips");
	p.region = "us-gov-west-1";
	CHECK_EQ(endpoint_default_url(s, &p, url, sizeof(url), reg, &err), 0,
	    "ec2 FIPS in aws-us-gov");
	CHECK_STR(url, "https://ec2.us-gov-west-1.amazonaws.com",
	    "aws-us-gov FIPS is the plain host");
}


/* Requests 0 to 4 of test_calls: DescribeInstances. */
static void
calls_ec2(struct fleet_ctx *x, struct fleet_list *l, const char *log)
{
	struct errmsg err;
	const char *q;

	CHECK_EQ(fleet_ec2_describe(x, FLEET_BY_NAME, "web1", l, &err), 0,
	    "DescribeInstances over two pages");
	CHECK_EQ(l->n, 103, "100 + 3 instances, the first page streamed");
	CHECK_EQ(x->calls, 2, "two requests");
	CHECK_STR(l->n == 103 ? l->v[102].id : NULL, "i-00000000000000066",
	    "the second page follows the first");
	q = logged(log, 0);
	CHECK(strncmp(q, "POST / HTTP/1.1\r\n", 17) == 0, "POST /");
	CHECK(strstr(q, "\r\nContent-Type: application/x-www-form-urlencoded;"
	    " charset=utf-8\r\n") != NULL, "form content type");
	CHECK(strstr(q, "/eu-west-1/ec2/aws4_request, SignedHeaders=content-"
	    "type;host;x-amz-date;x-amz-security-token, Signature=") != NULL,
	    "signed for ec2 in the region asked");
	CHECK(strstr(q, "\r\nX-Amz-Security-Token: TOKEN\r\n") != NULL,
	    "session token header");
	CHECK(strstr(q, "\r\n\r\n" F0 "&Filter.1.Name=tag%3AName"
	    "&Filter.1.Value.1=web1" LIVE(2) "&MaxResults=100") != NULL &&
	    strstr(q, "NextToken") == NULL, "first body");
	q = logged(log, 1);
	CHECK(strstr(q, "&MaxResults=100&NextToken=tok%2F%2B%3D") != NULL,
	    "second body carries the NextToken");

	x->region = NULL;
	CHECK_EQ(fleet_ec2_describe(x, FLEET_BY_ALL, NULL, l, &err),
	    CFG_ERR_PROCESS, "403");
	CHECK_STR(x->code, "UnauthorizedOperation", "EC2's code");
	CHECK_STR(err.msg, "DescribeInstances failed: UnauthorizedOperation: "
	    "You are not authorized to perform this operation.", "message");
	CHECK_EQ(l->n, 103, "nothing added");
	CHECK(strstr(logged(log, 2), "/us-east-1/ec2/aws4_request") != NULL,
	    "the configured region by default");
	CHECK_EQ(fleet_ec2_describe(x, FLEET_BY_ALL, NULL, l, &err),
	    CFG_ERR_PROCESS, "503 without XML");
	CHECK_STR(x->code, "", "no code");
	CHECK_STR(err.msg, "DescribeInstances failed: HTTP 503", "HTTP 503");
	CHECK_EQ(fleet_ec2_describe(x, FLEET_BY_ALL, NULL, l, &err),
	    CFG_ERR_VALUE, "200 that is not XML");
	CHECK_STR(err.msg, "DescribeInstances: the answer of EC2 (HTTP 200) "
	    "is not the expected XML", "not XML");
}

/* Requests 5 to 10 of test_calls: DescribeInstanceInformation and
 * StartInstances. */
static void
calls_ssm(struct fleet_ctx *x, struct fleet_list *l, const char *log)
{
	const char *ids[1] = { "i-00000000000000000" };
	const char *many[60];
	char manyb[60][24], state[16];
	struct errmsg err;
	const char *q;
	int i;

	for (i = 0; i < 60; i++) {
		snprintf(manyb[i], sizeof(manyb[i]), "i-%017x", i);
		many[i] = manyb[i];
	}
	CHECK_EQ(fleet_ssm_describe(x, ids, 1, NULL, l, &err),
	    CFG_ERR_PROCESS, "SSM 400");
	CHECK_STR(x->code, "AccessDeniedException", "SSM's code");
	CHECK_STR(err.msg, "DescribeInstanceInformation failed: "
	    "AccessDeniedException: User: arn:aws:iam::123456789012:user/emu "
	    "is not authorized to perform: ssm:DescribeInstanceInformation",
	    "SSM message");
	q = logged(log, 5);
	CHECK(strstr(q, "\r\nX-Amz-Target: AmazonSSM.DescribeInstance"
	    "Information\r\n") != NULL && strstr(q, "\r\nContent-Type: "
	    "application/x-amz-json-1.1\r\n") != NULL, "SSM headers");
	CHECK(strstr(q, "/us-east-1/ssm/aws4_request, SignedHeaders=content-"
	    "type;host;x-amz-date;x-amz-security-token;x-amz-target") != NULL,
	    "signed for ssm");
	CHECK(strstr(q, "\r\n\r\n{\"Filters\":[{\"Key\":\"InstanceIds\","
	    "\"Values\":[\"i-00000000000000000\"]}],\"MaxResults\":50}") !=
	    NULL, "SSM body");
	CHECK_EQ(fleet_ssm_describe(x, ids, 1, NULL, l, &err), 0, "SSM 200");
	CHECK_EQ(l->n, 103, "merged, not appended");
	CHECK_EQ(l->v[0].managed, 1, "managed");
	CHECK_EQ(l->v[0].last_ping, 1709340000, "ping time");

	CHECK_EQ(fleet_ec2_start(x, "i-0c1c1c1c1c1c1c1c1", state, &err), 0,
	    "StartInstances");
	CHECK_STR(state, "pending", "currentState");
	CHECK(strstr(logged(log, 7), "\r\n\r\nAction=StartInstances&Version="
	    "2016-11-15&InstanceId.1=i-0c1c1c1c1c1c1c1c1") != NULL,
	    "StartInstances body");
	CHECK_EQ(x->calls, 8, "one call counted per request");

	CHECK_EQ(fleet_ssm_describe(x, ids, 1, "web1", l, &err),
	    SP_ERR_INVALID_ARG, "SSM refuses a tag filter with ids");
	CHECK_EQ(fleet_ssm_describe(x, ids, 1, NULL, l, &err), 0,
	    "InvalidInstanceId for ids asked for: not managed, no error");
	CHECK_STR(x->code, "InvalidInstanceId", "the code is kept");
	CHECK_EQ(fleet_ssm_describe(x, many, 60, NULL, l, &err), 0,
	    "60 ids");
	CHECK_EQ(x->calls, 11, "in two calls of 50 and 10");
	q = logged(log, 9);
	CHECK(strstr(q, "\"i-00000000000000031\"]}]") != NULL &&
	    strstr(q, "\"i-00000000000000032\"") == NULL, "the first 50");
	q = logged(log, 10);
	CHECK(strstr(q, "{\"Filters\":[{\"Key\":\"InstanceIds\",\"Values\":"
	    "[\"i-00000000000000032\",") != NULL, "then the other 10");
}

static void
test_calls(void)
{
	static const char e403[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "\n<Response><Errors><Error><Code>UnauthorizedOperation</Code>"
	    "<Message>You are not authorized to perform this operation."
	    "</Message></Error></Errors><RequestID>r1</RequestID></Response>";
	static const char ssm400[] = "{\"__type\":\"AccessDeniedException\","
	    "\"Message\":\"User: arn:aws:iam::123456789012:user/emu is not "
	    "authorized to perform: ssm:DescribeInstanceInformation\"}";
	static const char ssm200[] = "{\"InstanceInformationList\":[{"
	    "\"InstanceId\":\"i-00000000000000000\",\"PingStatus\":\"Online\","
	    "\"LastPingDateTime\":1.70934E9}]}";
	static const char start[] = "<StartInstancesResponse xmlns=\"" NS
	    "\"><instancesSet><item><instanceId>i-0c1c1c1c1c1c1c1c1"
	    "</instanceId><currentState><code>0</code><name>pending</name>"
	    "</currentState><previousState><code>80</code><name>stopped"
	    "</name></previousState></item></instancesSet>"
	    "</StartInstancesResponse>";
	const char *xml = "text/xml;charset=UTF-8";
	const char *json = "application/x-amz-json-1.1";
	static const char ssmbad[] = "{\"__type\":\"InvalidInstanceId\","
	    "\"Message\":\"Instances [[i-00000000000000000]] not in a valid "
	    "state for account 123456789012\"}";
	static const char ssmnone[] = "{\"InstanceInformationList\":[]}";
	struct canned c[11];
	struct buf p1, p2;
	struct fakeenv fe;
	struct awscfg_env env;
	struct awscfg_opts opts;
	struct awscfg *cfg = NULL;
	struct creds *cr = NULL;
	struct fleet_ctx x;
	struct fleet_list l;
	struct errmsg err;
	volatile sig_atomic_t stop = 0;
	const char *log;
	char url[64];
	int fd, port, st;
	pid_t pid;

	buf_init(&p1, 1 << 22);
	buf_init(&p2, 1 << 20);
	page(&p1, 0, 20, 5, "tok/+=");
	page(&p2, 100, 1, 3, NULL);
	CHECK(buf_len(&p1) > HTTP_MAX_BODY, "the first page is larger than "
	    "HTTP_MAX_BODY (100 items)");
	c[0] = (struct canned){ 200, xml, buf_ptr(&p1), buf_len(&p1) };
	c[1] = (struct canned){ 200, xml, buf_ptr(&p2), buf_len(&p2) };
	c[2] = (struct canned){ 403, xml, e403, sizeof(e403) - 1 };
	c[3] = (struct canned){ 503, "text/html", "<html>busy", 10 };
	c[4] = (struct canned){ 200, xml, "{\"not\":\"xml\"}", 13 };
	c[5] = (struct canned){ 400, json, ssm400, sizeof(ssm400) - 1 };
	c[6] = (struct canned){ 200, json, ssm200, sizeof(ssm200) - 1 };
	c[7] = (struct canned){ 200, xml, start, sizeof(start) - 1 };
	c[8] = (struct canned){ 400, json, ssmbad, sizeof(ssmbad) - 1 };
	c[9] = (struct canned){ 200, json, ssmnone, sizeof(ssmnone) - 1 };
	c[10] = c[9];
	cfgtest_mkdir();
	log = strdup(cfgtest_path("requests.log"));
	fd = srv_listen(&port);
	if ((pid = fork()) == 0)
		srv_child(fd, c, 11, log);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	fakeenv_init(&fe, &env);
	fakeenv_set(&fe, "AWS_ENDPOINT_URL_EC2", url);
	fakeenv_set(&fe, "AWS_ENDPOINT_URL_SSM", url);
	memset(&opts, 0, sizeof(opts));
	opts.region = "us-east-1";
	CHECK_EQ(awscfg_load(&env, &opts, &cfg, &err), 0, "config");
	CHECK_EQ(creds_new("AKIDEXAMPLE", "secret", "TOKEN", 0, CREDS_SRC_ENV,
	    &cr), 0, "creds");
	if (cfg == NULL || cr == NULL)
		abort();
	memset(&x, 0, sizeof(x));
	memset(&l, 0, sizeof(l));
	x.cfg = cfg;
	x.creds = cr;
	x.stop = &stop;
	x.region = "eu-west-1";

	calls_ec2(&x, &l, log);
	calls_ssm(&x, &l, log);
	stop = 1;
	CHECK_EQ(fleet_ec2_describe(&x, FLEET_BY_ALL, NULL, &l, &err),
	    CFG_ERR_INTERRUPTED, "stop set: nothing sent");
	CHECK_EQ(x.calls, 11, "no request");

	shutdown(fd, SHUT_RDWR);
	close(fd);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "the server answered 11 requests");
	fleet_list_free(&l);
	creds_free(cr);
	awscfg_free(cfg);
	buf_release(&p1);
	buf_release(&p2);
	free((char *)log);
	cfgtest_rmdir();
}

int
main(void)
{
	test_item_size();
	test_ec2_page();
	test_ec2_odd();
	test_ec2_docs();
	test_forms();
	test_ssm();
	test_endpoint();
	test_calls();
	return test_done();
}
