"""The emulator's fleet: EC2 instances, Systems Manager managed nodes and
EC2 Instance Connect Endpoints in two regions, and the calls that
describe or change them.

  * EC2 DescribeInstances, StartInstances and
    DescribeInstanceConnectEndpoints (Query protocol: a form-encoded POST
    answered with XML in the 2016-11-15 namespace),
  * SSM DescribeInstanceInformation (JSON 1.1).

Written from proxy/aws/AWS-APIS.md "DescribeInstances",
"DescribeInstanceInformation" and "StartInstances" and the service's
public API reference, independently of the C code.  No I/O here: the
emulator verifies the signature, then hands the decoded request over.
The fleet itself is fixed (tests/emulator/README.md "The fleet"); knobs
add generated instances (fleet_extra) and pace StartInstances.
"""

import base64
import hashlib
import json
import os
import re
import time
import datetime

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
EC2_VERSION = "2016-11-15"
SECOND_REGION = "eu-west-1"
ACCOUNT = "123456789012"
STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32,
               "terminated": 48, "stopping": 64, "stopped": 80}
EC2_ERROR_STATUS = {"UnauthorizedOperation": 403, "AuthFailure": 401,
                    "SignatureDoesNotMatch": 403,
                    "MissingAuthenticationToken": 401,
                    "InternalError": 500, "Unavailable": 503,
                    "RequestLimitExceeded": 503, "DryRunOperation": 412}
EC2_FILTERS = ("tag-key", "tag-value", "private-ip-address",
               "private-dns-name", "instance-id", "instance-state-name",
               "availability-zone", "vpc-id", "subnet-id")
EICE_FILTERS = ("vpc-id", "state", "instance-connect-endpoint-id",
                "subnet-id")
EICE_USABLE = ("create-complete", "update-in-progress", "update-failed",
               "update-complete")
EICE_ID_RE = re.compile(r"^eice-[0-9a-f]{17}$")
EICE_DEFAULT_PAGE = 50
DII_FILTERS = ("InstanceIds", "PingStatus", "ResourceType", "PlatformTypes",
               "AgentVersion", "tag-key")
INSTANCE_ID_RE = re.compile(r"^i-[0-9a-f]{8}([0-9a-f]{9})?$")
EC2_PARAM_RE = re.compile(r"^(Action|Version|MaxResults|NextToken|DryRun|"
                          r"Filter\.\d+\.Name|Filter\.\d+\.Value\.\d+|"
                          r"InstanceId\.\d+|InstanceConnectEndpointId\.\d+)$")
EC2_DEFAULT_PAGE = 1000
DII_DEFAULT_PAGE = 50


def xe(t):
    return (str(t).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def wildcard(pattern):
    """An EC2 filter value as a regular expression: exact and
    case-sensitive, '*' any run of characters, '?' zero or one
    character, a backslash makes the next character literal."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else ".?" if c == "?" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.S)


def dns_suffix(region):
    return "ec2.internal" if region == "us-east-1" else \
        region + ".compute.internal"


def network(region, az):
    """(vpc, subnet) of an instance: one VPC per region, one subnet per
    AZ in the emulator's own region (README "The fleet")."""
    if region == SECOND_REGION:
        return "vpc-0e0e0e0e0e0e0e0e0", "subnet-0e0e0e0e0e0e0e0e1"
    return "vpc-0a0a0a0a0a0a0a0a0", "subnet-0a0a0a0a0a0a0a0a%d" % (
        "abc".index(az[-1]) + 1)


def iso(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def make(region, iid, name, state, agent, ip, az, launch, profile=True,
         reservation=None, ping=None, platform="Amazon Linux", ipv6=None,
         net=None):
    """One instance.  agent: "online", "lost" (ConnectionLost since ping)
    or None (never registered with Systems Manager).  ip None: IPv6 only
    (ipv6, resource-name hostname).  net: (vpc, subnet), else network()."""
    vpc, subnet = net or network(region, az)
    return {"id": iid, "region": region, "name": name, "state": state,
            "agent": agent, "ip": ip, "ipv6": ipv6, "vpc": vpc,
            "subnet": subnet,
            "dns": "%s.%s" % ("ip-" + ip.replace(".", "-") if ip else iid,
                              dns_suffix(region)),
            "az": region + az, "launch": launch, "profile": profile,
            "reservation": reservation or "r-0" + hashlib.sha256(
                iid.encode()).hexdigest()[:16],
            "ping": ping, "platform": platform,
            "tags": [("aws:ec2launchtemplate:version", "3"),
                     ("Environment", "test"), ("Name", name),
                     ("aws:ec2launchtemplate:id", "lt-0123456789abcdef0")]}


def base_fleet(region):
    r = region
    return [
        make(r, "i-0123456789abcdef0", "web1", "running", "online",
             "10.0.1.5", "a", "2024-03-01T12:00:00.000Z"),
        make(r, "i-0a1a1a1a1a1a1a1a1", "Db-Primary", "running", "online",
             "10.0.1.6", "b", "2024-03-02T12:00:00.000Z"),
        make(r, "i-0b1b1b1b1b1b1b1b1", "app", "running", "online",
             "10.0.2.1", "a", "2024-01-01T00:00:00.000Z",
             reservation="r-0ab0ab0ab0ab0ab0a"),
        make(r, "i-0b2b2b2b2b2b2b2b2", "app", "running", "online",
             "10.0.2.2", "b", "2024-06-01T00:00:00.000Z",
             reservation="r-0ab0ab0ab0ab0ab0a"),
        make(r, "i-0c1c1c1c1c1c1c1c1", "stopped1", "stopped", "lost",
             "10.0.3.1", "a", "2024-02-01T00:00:00.000Z",
             ping="2024-02-10T00:00:00.000Z"),
        make(r, "i-0d1d1d1d1d1d1d1d1", "noagent", "running", None,
             "10.0.4.1", "a", "2024-02-02T00:00:00.000Z", profile=False),
        make(r, "i-0e1e1e1e1e1e1e1e1", "offline", "running", "lost",
             "10.0.5.1", "c", "2024-02-03T00:00:00.000Z",
             ping="2024-05-01T08:00:00.000Z"),
        make(r, "i-0f0f0f0f0f0f0f0f0", "gone", "terminated", None,
             "10.0.6.1", "a", "2024-02-04T00:00:00.000Z"),
        make(r, "i-0a6a6a6a6a6a6a6a6", "v6only", "running", None, None,
             "a", "2024-02-05T00:00:00.000Z", profile=False,
             ipv6="2600:1f18:aaaa:bb01::10"),
        make(r, "i-0a2a2a2a2a2a2a2a2", "isolated", "running", None,
             "10.9.0.5", "a", "2024-02-06T00:00:00.000Z", profile=False,
             net=("vpc-0d0d0d0d0d0d0d0d0", "subnet-0d0d0d0d0d0d0d0d1")),
    ]


def second_fleet(region):
    return [make(region, "i-0f1f1f1f1f1f1f1f1", "web1", "running", "online",
                 "10.1.1.5", "a", "2024-04-01T00:00:00.000Z")]


def managed_nodes(region):
    """Managed nodes outside EC2 (DescribeInstanceInformation only)."""
    return [{"id": "mi-0123456789abcdef0", "region": region,
             "name": "onprem1", "agent": "online", "ip": "192.168.50.10",
             "computer": "onprem1.corp.example", "ping": None,
             "tags": [("Name", "onprem1")], "platform": "Ubuntu",
             "version": "22.04"}]


def extra(region, n):
    out = []
    for k in range(1, n + 1):
        ip = "10.2.%d.%d" % (k // 250, k % 250 + 1)
        t = datetime.datetime(2024, 7, 1, tzinfo=datetime.timezone.utc) + \
            datetime.timedelta(minutes=k)
        out.append(make(region, "i-05%015x" % k, "node-%04d" % k, "running",
                        "online", ip, "abc"[k % 3],
                        t.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                        reservation="r-05%015x" % ((k - 1) // 10)))
    return out


def endpoint(region, eid, vpc, subnet, az, ip_type="ipv4"):
    h = hashlib.sha256(eid.encode()).hexdigest()
    return {"id": eid, "region": region, "vpc": vpc, "subnet": subnet,
            "az": region + az, "state": "create-complete",
            "dns": "%s.ec2-instance-connect-endpoint.%s.amazonaws.com" %
            (eid, region),
            "fips_dns": "%s.fips.ec2-instance-connect-endpoint.%s."
            "amazonaws.com" % (eid, region),
            "eni": "eni-0" + h[:16], "sg": "sg-0" + h[16:32],
            "ip_type": ip_type, "created": "2024-01-15T10:00:00.000Z",
            "tags": [("Name", "emu-" + eid)]}


def base_endpoints(region, primary):
    """EC2 Instance Connect Endpoints (README "The fleet")."""
    if region == SECOND_REGION:     # as network(), even when primary
        return [endpoint(region, "eice-0eeeeeeeeeeeeeee0",
                         "vpc-0e0e0e0e0e0e0e0e0", "subnet-0e0e0e0e0e0e0e0e1",
                         "a")]
    if region == primary:
        vpc = "vpc-0a0a0a0a0a0a0a0a0"
        return [endpoint(region, "eice-0123456789abcdef0", vpc,
                         "subnet-0a0a0a0a0a0a0a0a1", "a", "dualstack"),
                endpoint(region, "eice-0fedcba9876543210", vpc,
                         "subnet-0a0a0a0a0a0a0a0a2", "b")]
    return []


def endpoint_xml(e):
    return "".join([
        "        <item>",
        "<ownerId>%s</ownerId>" % ACCOUNT,
        "<instanceConnectEndpointId>%s</instanceConnectEndpointId>" % e["id"],
        "<instanceConnectEndpointArn>arn:aws:ec2:%s:%s:instance-connect-"
        "endpoint/%s</instanceConnectEndpointArn>" % (e["region"], ACCOUNT,
                                                      e["id"]),
        "<state>%s</state>" % xe(e["state"]),
        "<stateMessage/>",
        "<dnsName>%s</dnsName>" % e["dns"],
        "<fipsDnsName>%s</fipsDnsName>" % e["fips_dns"],
        "<networkInterfaceIdSet><item>%s</item></networkInterfaceIdSet>"
        % e["eni"],
        "<vpcId>%s</vpcId>" % e["vpc"],
        "<availabilityZone>%s</availabilityZone>" % e["az"],
        "<createdAt>%s</createdAt>" % e["created"],
        "<subnetId>%s</subnetId>" % e["subnet"],
        "<preserveClientIp>false</preserveClientIp>",
        "<securityGroupIdSet><item>%s</item></securityGroupIdSet>" % e["sg"],
        "<ipAddressType>%s</ipAddressType>" % e["ip_type"],
        "<tagSet>%s</tagSet>" % "".join(
            "<item><key>%s</key><value>%s</value></item>" % (xe(k), xe(v))
            for k, v in e["tags"]),
        "</item>"])


def ec2_error(rid, code, message, status=None):
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors>'
            '<Error><Code>%s</Code><Message>%s</Message></Error></Errors>'
            '<RequestID>%s</RequestID></Response>' % (xe(code), xe(message),
                                                      rid))
    return status or EC2_ERROR_STATUS.get(code, 400), body.encode()


class Refusal(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, "%s: %s" % (code, message))
        self.code = code
        self.message = message


class Fleet:

    def __init__(self, region):
        self.region = region
        self.regions = [region] + ([SECOND_REGION]
                                   if region != SECOND_REGION else [])
        self.reset()

    def reset(self):
        self.started = {}      # id -> (monotonic start, launchTime)
        self.tokens = {}       # NextToken -> (query key, offset)
        self._extra = (0, [])

    # -- the fleet now ---------------------------------------------------
    def listing(self, region, knobs):
        """The region's EC2 instances as they are now (not to be
        modified: generated ones are shared between calls)."""
        if region == self.region:
            n = int(knobs.get("fleet_extra") or 0)
            if self._extra[0] != n:
                self._extra = (n, extra(region, n))
            base = base_fleet(region) + self._extra[1]
        elif region in self.regions:
            base = second_fleet(region)
        else:
            base = []
        return [self.now(i, knobs) for i in base]

    def now(self, inst, knobs):
        st = self.started.get(inst["id"])
        if st is None:
            return inst
        inst = dict(inst)
        t0, launch = st
        el = time.monotonic() - t0
        run = float(knobs.get("start_delay", 1))
        inst["launch"] = launch
        if el < run:
            inst["state"] = "pending"
        else:
            inst["state"] = "running"
            if el >= run + float(knobs.get("agent_delay", 1)):
                inst["agent"] = "online"
                inst["ping"] = None
        return inst

    def locate(self, iid, knobs):
        """(region, instance) of an EC2 id in any region, else None."""
        for r in self.regions:
            for i in self.listing(r, knobs):
                if i["id"] == iid:
                    return r, i
        return None

    def session_verdict(self, region, target, knobs):
        """StartSession on target in region: None = not a fleet id (the
        caller decides as before), "ok", or (code, message)."""
        if target.startswith("mi-"):
            for n in managed_nodes(self.region):
                if n["id"] == target:
                    if region == self.region and n["agent"] == "online":
                        return "ok"
                    return ("TargetNotConnected",
                            "%s is not connected." % target)
            return None
        where = self.locate(target, knobs)
        if where is None:
            return None
        r, inst = where
        if r == region and inst["state"] == "terminated":
            return ("InvalidInstanceId", "Instance %s is not in a valid "
                    "state for this operation." % target)
        if r != region or inst["state"] != "running" or \
                inst["agent"] != "online":
            return ("TargetNotConnected", "%s is not connected." % target)
        return "ok"

    def all_names(self, knobs):
        """Every id, name, address and DNS name, bare and with a .REGION
        suffix, as typed and lowercased (for known_hosts)."""
        out = []
        for r in self.regions:
            nodes = managed_nodes(r) if r == self.region else []
            for i in self.listing(r, knobs) + nodes:
                for n in (i["id"], i["name"], i["ip"], i.get("dns"),
                          i.get("ipv6")):
                    for m in (n, n and n.lower()):
                        if m and m not in out[-8:]:
                            out += [m, m + "." + r]
        return out

    # -- pagination ------------------------------------------------------
    def page(self, what, key, items, size, token):
        """items[offset:offset+size] and the next token or None."""
        off = 0
        if token is not None:
            got = self.tokens.get(token)
            if got is None or got[0] != key:
                raise Refusal("InvalidNextToken" if what == "ssm" else
                              "InvalidParameterValue",
                              "The token '%s' is not valid for this "
                              "request" % token[:20])
            off = got[1]
        page = items[off:off + size]
        nxt = None
        if off + size < len(items):
            raw = base64.b64encode(os.urandom(61)).decode()
            # opaque, and holding what a URL must percent-encode
            nxt = "eyJ2IjoiMiJ9" + raw[:10] + "+" + raw[11:30] + "/" + \
                raw[31:]
            self.tokens[nxt] = (key, off + size)
        return page, nxt

    # -- EC2 -------------------------------------------------------------
    def ec2(self, action, pairs, region, knobs, entry, rid):
        """The answer to an EC2 Query call whose signature was verified:
        (status, body).  pairs: the decoded form, in order."""
        try:
            form = self.ec2_form(pairs, action)
            if form.get("Version") is None:
                raise Refusal("MissingParameter", "The request must "
                              "contain the parameter Version")
            if form["Version"] != EC2_VERSION:
                raise Refusal("InvalidParameterValue", "The emulator "
                              "speaks EC2 API version %s only, not %r" %
                              (EC2_VERSION, form["Version"]))
            if form.get("DryRun", "false").lower() == "true":
                raise Refusal("DryRunOperation", "Request would have "
                              "succeeded, but DryRun flag is set.")
            if action == "DescribeInstances":
                body = self.describe_instances(form, region, knobs, entry,
                                               rid)
            elif action == "DescribeInstanceConnectEndpoints":
                body = self.describe_endpoints(form, region, knobs, entry,
                                               rid)
            else:
                body = self.start_instances(form, region, knobs, entry, rid)
        except Refusal as e:
            entry["error"] = e.code
            entry["error_message"] = e.message
            return ec2_error(rid, e.code, e.message)
        return 200, body.encode()

    def ec2_form(self, pairs, action="DescribeInstances"):
        eice = action == "DescribeInstanceConnectEndpoints"
        form = {"filters": {}, "ids": {}, "eids": {}}
        for k, v in pairs:
            if not EC2_PARAM_RE.match(k):
                raise Refusal("UnknownParameter", "The parameter %s is not "
                              "recognized" % k)
            p = k.split(".")
            if p[0] == "Filter":
                f = form["filters"].setdefault(int(p[1]),
                                               {"name": None, "values": {}})
                if p[2] == "Name":
                    f["name"] = v
                else:
                    f["values"][int(p[3])] = v
            elif p[0] == "InstanceId" and not eice:
                form["ids"][int(p[1])] = v
            elif p[0] == "InstanceConnectEndpointId" and eice:
                form["eids"][int(p[1])] = v
            elif "." in k:
                raise Refusal("UnknownParameter", "The parameter %s is not "
                              "recognized" % k)
            else:
                form[k] = v
        filters = []
        for n in sorted(form["filters"]):
            f = form["filters"][n]
            if f["name"] is None:
                raise Refusal("InvalidParameterValue", "The filter "
                              "Filter.%d has no Name" % n)
            if not f["values"]:
                raise Refusal("InvalidParameterValue", "The filter '%s' "
                              "has no value" % f["name"])
            if f["name"] not in (EICE_FILTERS if eice else EC2_FILTERS) \
                    and not f["name"].startswith("tag:"):
                raise Refusal("InvalidParameterValue", "The filter '%s' is "
                              "invalid" % f["name"])
            filters.append((f["name"], [f["values"][m]
                                        for m in sorted(f["values"])]))
        form["filters"] = filters
        form["ids"] = [form["ids"][n] for n in sorted(form["ids"])]
        form["eids"] = [form["eids"][n] for n in sorted(form["eids"])]
        for i in form["eids"]:
            if not EICE_ID_RE.match(i):
                raise Refusal("InvalidInstanceConnectEndpointId.Malformed",
                              'Invalid id: "%s"' % i)
        for i in form["ids"]:
            if not INSTANCE_ID_RE.match(i):
                raise Refusal("InvalidInstanceID.Malformed",
                              'Invalid id: "%s"' % i)
        return form

    def ec2_match(self, inst, filters):
        for name, values in filters:
            res = [wildcard(v) for v in values]
            if name.startswith("tag:"):
                key = name[4:]
                cand = [v for k, v in inst["tags"] if k == key]
            elif name == "tag-key":
                cand = [k for k, _ in inst["tags"]]
            elif name == "tag-value":
                cand = [v for _, v in inst["tags"]]
            else:
                cand = [{"private-ip-address": inst["ip"],
                         "private-dns-name": inst["dns"],
                         "instance-id": inst["id"],
                         "instance-state-name": inst["state"],
                         "availability-zone": inst["az"],
                         "vpc-id": inst["vpc"],
                         "subnet-id": inst["subnet"]}[name]]
            if not any(r.fullmatch(c) for r in res for c in cand if c):
                return False
        return True

    def describe_instances(self, form, region, knobs, entry, rid):
        filters, ids = form["filters"], form["ids"]
        mr = form.get("MaxResults")
        entry.update(filters={n: v for n, v in filters}, instance_ids=ids,
                     max_results=mr,
                     next_token_given="NextToken" in form)
        if mr is not None:
            if not re.fullmatch(r"-?\d+", mr) or \
                    not 5 <= int(mr) <= 1000:
                raise Refusal("InvalidParameterValue", "Value ( %s ) for "
                              "parameter maxResults is invalid. Expecting "
                              "a value from 5 to 1000." % mr)
            entry["max_results"] = mr = int(mr)
            if ids or any(n == "instance-id" for n, _ in filters):
                raise Refusal("InvalidParameterCombination", "The "
                              "parameter instancesSet cannot be used with "
                              "the parameter maxResults")
        insts = self.listing(region, knobs)
        for i in ids:
            if not any(x["id"] == i for x in insts):
                raise Refusal("InvalidInstanceID.NotFound", "The instance "
                              "ID '%s' does not exist" % i)
        match = [x for x in insts if (not ids or x["id"] in ids) and
                 self.ec2_match(x, filters)]
        size = min(mr or EC2_DEFAULT_PAGE, int(knobs.get("ec2_page_cap") or
                                               EC2_DEFAULT_PAGE))
        key = json.dumps(["ec2", region, filters, ids])
        page, nxt = self.page("ec2", key, match, size, form.get("NextToken"))
        entry.update(items=len(page), matched=len(match),
                     next_token_returned=nxt is not None,
                     instances=[x["id"] for x in page])
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<DescribeInstancesResponse xmlns="%s">' % EC2_NS,
               '    <requestId>%s</requestId>' % rid]
        if not page:
            out.append('    <reservationSet/>')
        else:
            out.append('    <reservationSet>')
            k = 0
            while k < len(page):
                res = page[k]["reservation"]
                out += ['        <item>',
                        '            <reservationId>%s</reservationId>' % res,
                        '            <ownerId>%s</ownerId>' % ACCOUNT,
                        '            <groupSet/>',
                        '            <instancesSet>']
                while k < len(page) and page[k]["reservation"] == res:
                    out.append(self.instance_xml(page[k]))
                    k += 1
                out += ['            </instancesSet>', '        </item>']
            out.append('    </reservationSet>')
        if nxt is not None:
            out.append('    <nextToken>%s</nextToken>' % xe(nxt))
        out.append('</DescribeInstancesResponse>\n')
        return "\n".join(out)

    def instance_xml(self, i):
        """One instancesSet item with the nested sets a real one has
        (about 4 KB)."""
        h = hashlib.sha256(i["id"].encode()).hexdigest()
        eni, vol, att = "eni-0" + h[:16], "vol-0" + h[16:32], \
            "eni-attach-0" + h[32:48]
        mac = ":".join(["0e"] + [h[k:k + 2] for k in range(48, 58, 2)])
        sg = ('<groupSet><item><groupId>sg-0123456789abcdef0</groupId>'
              '<groupName>emu-ssm-only</groupName></item></groupSet>')
        tags = "".join("<item><key>%s</key><value>%s</value></item>" %
                       (xe(k), xe(v)) for k, v in i["tags"])
        stopped = i["state"] in ("stopped", "stopping")
        x = [
            "<item>",
            "<instanceId>%s</instanceId>" % i["id"],
            "<imageId>ami-0abcdef1234567890</imageId>",
            "<instanceState><code>%d</code><name>%s</name></instanceState>"
            % (STATE_CODES[i["state"]], i["state"]),
            "<privateDnsName>%s</privateDnsName>" % xe(i["dns"]),
            "<dnsName/>",
            "<reason>%s</reason>" % ("User initiated (2024-02-10 00:00:00 "
                                     "GMT)" if stopped else ""),
            "<keyName>emu-key</keyName>",
            "<amiLaunchIndex>0</amiLaunchIndex>",
            "<productCodes/>",
            "<instanceType>t3.micro</instanceType>",
            "<launchTime>%s</launchTime>" % i["launch"],
            "<placement><availabilityZone>%s</availabilityZone><groupName/>"
            "<tenancy>default</tenancy></placement>" % i["az"],
            "<monitoring><state>disabled</state></monitoring>",
            "<subnetId>%s</subnetId>" % i["subnet"],
            "<vpcId>%s</vpcId>" % i["vpc"],
            "<privateIpAddress>%s</privateIpAddress>" % i["ip"]
            if i["ip"] else "",
            "<sourceDestCheck>true</sourceDestCheck>",
            sg,
        ]
        if stopped:
            x.append("<stateReason><code>Client.UserInitiatedShutdown"
                     "</code><message>Client.UserInitiatedShutdown: User "
                     "initiated shutdown</message></stateReason>")
        x += [
            "<architecture>x86_64</architecture>",
            "<rootDeviceType>ebs</rootDeviceType>",
            "<rootDeviceName>/dev/xvda</rootDeviceName>",
            "<blockDeviceMapping><item><deviceName>/dev/xvda</deviceName>"
            "<ebs><volumeId>%s</volumeId><status>attached</status>"
            "<attachTime>%s</attachTime><deleteOnTermination>true"
            "</deleteOnTermination></ebs></item></blockDeviceMapping>"
            % (vol, i["launch"]),
            "<virtualizationType>hvm</virtualizationType>",
            "<clientToken>terraform-%s</clientToken>" % h[:26],
            "<tagSet>%s</tagSet>" % tags,
            "<hypervisor>xen</hypervisor>",
            "<networkInterfaceSet><item>"
            "<networkInterfaceId>%s</networkInterfaceId>"
            "<subnetId>%s</subnetId>"
            "<vpcId>%s</vpcId><description/>"
            "<ownerId>%s</ownerId><status>in-use</status>"
            "<macAddress>%s</macAddress>%s"
            "<privateDnsName>%s</privateDnsName>"
            "<sourceDestCheck>true</sourceDestCheck>%s"
            "<attachment><attachmentId>%s</attachmentId>"
            "<deviceIndex>0</deviceIndex><status>attached</status>"
            "<attachTime>%s</attachTime><deleteOnTermination>true"
            "</deleteOnTermination><networkCardIndex>0</networkCardIndex>"
            "</attachment>%s%s"
            "<interfaceType>interface</interfaceType></item>"
            "</networkInterfaceSet>"
            % (eni, i["subnet"], i["vpc"], ACCOUNT, mac,
               "<privateIpAddress>%s</privateIpAddress>" % i["ip"]
               if i["ip"] else "", xe(i["dns"]), sg, att, i["launch"],
               "<privateIpAddressesSet><item>"
               "<privateIpAddress>%s</privateIpAddress>"
               "<privateDnsName>%s</privateDnsName><primary>true</primary>"
               "</item></privateIpAddressesSet>" % (i["ip"], xe(i["dns"]))
               if i["ip"] else "<privateIpAddressesSet/>",
               "<ipv6AddressesSet><item><ipv6Address>%s</ipv6Address>"
               "<isPrimaryIpv6>true</isPrimaryIpv6></item>"
               "</ipv6AddressesSet>" % i["ipv6"] if i["ipv6"] else
               "<ipv6AddressesSet/>"),
        ]
        if i["ipv6"]:
            x.append("<ipv6Address>%s</ipv6Address>" % i["ipv6"])
        if i["profile"]:
            x.append("<iamInstanceProfile><arn>arn:aws:iam::%s:instance-"
                     "profile/emu-ssm-core</arn><id>AIPA%s</id>"
                     "</iamInstanceProfile>" % (ACCOUNT, h[:17].upper()))
        x += [
            "<ebsOptimized>true</ebsOptimized>",
            "<enaSupport>true</enaSupport>",
            "<cpuOptions><coreCount>1</coreCount><threadsPerCore>2"
            "</threadsPerCore></cpuOptions>",
            "<capacityReservationSpecification><capacityReservation"
            "Preference>open</capacityReservationPreference>"
            "</capacityReservationSpecification>",
            "<hibernationOptions><configured>false</configured>"
            "</hibernationOptions>",
            "<enclaveOptions><enabled>false</enabled></enclaveOptions>",
            "<metadataOptions><state>applied</state><httpTokens>required"
            "</httpTokens><httpPutResponseHopLimit>2"
            "</httpPutResponseHopLimit><httpEndpoint>enabled"
            "</httpEndpoint><httpProtocolIpv6>disabled</httpProtocolIpv6>"
            "<instanceMetadataTags>disabled</instanceMetadataTags>"
            "</metadataOptions>",
            "<maintenanceOptions><autoRecovery>default</autoRecovery>"
            "</maintenanceOptions>",
            "<bootMode>uefi-preferred</bootMode>",
            "<platformDetails>Linux/UNIX</platformDetails>",
            "<usageOperation>RunInstances</usageOperation>",
            "<usageOperationUpdateTime>%s</usageOperationUpdateTime>"
            % i["launch"],
            "<privateDnsNameOptions><hostnameType>ip-name</hostnameType>"
            "<enableResourceNameDnsARecord>false</enableResourceNameDns"
            "ARecord><enableResourceNameDnsAAAARecord>false"
            "</enableResourceNameDnsAAAARecord></privateDnsNameOptions>",
            "<currentInstanceBootMode>legacy-bios</currentInstanceBootMode>",
            "<networkPerformanceOptions><bandwidthWeighting>default"
            "</bandwidthWeighting></networkPerformanceOptions>",
            "<operator><managed>false</managed></operator>",
            "</item>",
        ]
        return "                " + "\n                    ".join(x)

    # -- EC2 Instance Connect Endpoints ------------------------------------
    def endpoints(self, region, knobs):
        """The region's endpoints as they are now (knob eice_state)."""
        out = []
        for e in base_endpoints(region, self.region):
            e = dict(e)
            e["state"] = (knobs.get("eice_state") or {}).get(e["id"],
                                                             e["state"])
            out.append(e)
        return out

    def endpoint_by_host(self, host, knobs):
        """(region, endpoint) whose dnsName or fipsDnsName is host."""
        for r in self.regions:
            for e in self.endpoints(r, knobs):
                if host in (e["dns"], e["fips_dns"]):
                    return r, e
        return None

    @staticmethod
    def eice_match(e, filters):
        for name, values in filters:
            res = [wildcard(v) for v in values]
            if name.startswith("tag:"):
                cand = [v for k, v in e["tags"] if k == name[4:]]
            else:
                cand = [{"vpc-id": e["vpc"], "state": e["state"],
                         "instance-connect-endpoint-id": e["id"],
                         "subnet-id": e["subnet"]}[name]]
            if not any(r.fullmatch(c) for r in res for c in cand):
                return False
        return True

    def describe_endpoints(self, form, region, knobs, entry, rid):
        filters, ids = form["filters"], form["eids"]
        mr = form.get("MaxResults")
        entry.update(filters={n: v for n, v in filters},
                     endpoint_ids=ids, max_results=mr,
                     next_token_given="NextToken" in form)
        if mr is not None:
            if not re.fullmatch(r"-?\d+", mr) or not 1 <= int(mr) <= 50:
                raise Refusal("InvalidParameterValue", "Value ( %s ) for "
                              "parameter maxResults is invalid. Expecting "
                              "a value from 1 to 50." % mr)
            entry["max_results"] = mr = int(mr)
        eps = self.endpoints(region, knobs)
        for i in ids:
            if not any(e["id"] == i for e in eps):
                raise Refusal("InvalidInstanceConnectEndpointId.NotFound",
                              "The instanceConnectEndpoint ID '%s' does "
                              "not exist" % i)
        match = [e for e in eps if (not ids or e["id"] in ids) and
                 self.eice_match(e, filters)]
        key = json.dumps(["eice", region, filters, ids])
        page, nxt = self.page("ec2", key, match, mr or EICE_DEFAULT_PAGE,
                              form.get("NextToken"))
        entry.update(items=len(page), matched=len(match),
                     next_token_returned=nxt is not None,
                     endpoints=[e["id"] for e in page])
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<DescribeInstanceConnectEndpointsResponse xmlns="%s">'
               % EC2_NS,
               '    <requestId>%s</requestId>' % rid]
        if not page:
            out.append('    <instanceConnectEndpointSet/>')
        else:
            out.append('    <instanceConnectEndpointSet>')
            out += [endpoint_xml(e) for e in page]
            out.append('    </instanceConnectEndpointSet>')
        if nxt is not None:
            out.append('    <nextToken>%s</nextToken>' % xe(nxt))
        out.append('</DescribeInstanceConnectEndpointsResponse>\n')
        return "\n".join(out)

    def start_instances(self, form, region, knobs, entry, rid):
        ids = form["ids"]
        entry["instance_ids"] = ids
        if not ids:
            raise Refusal("MissingParameter", "The request must contain "
                          "the parameter InstanceId")
        insts = {x["id"]: x for x in self.listing(region, knobs)}
        for i in ids:
            if i not in insts:
                raise Refusal("InvalidInstanceID.NotFound", "The instance "
                              "ID '%s' does not exist" % i)
            if insts[i]["state"] in ("terminated", "shutting-down",
                                     "stopping"):
                raise Refusal("IncorrectInstanceState", "The instance "
                              "'%s' is not in a state from which it can be "
                              "started." % i)
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<StartInstancesResponse xmlns="%s">' % EC2_NS,
               '    <requestId>%s</requestId>' % rid,
               '    <instancesSet>']
        states = {}
        for i in ids:
            prev = insts[i]["state"]
            if prev == "stopped":
                now = datetime.datetime.now(datetime.timezone.utc)
                self.started[i] = (time.monotonic(), now.strftime(
                    "%Y-%m-%dT%H:%M:%S.000Z"))
                cur = "pending"
            else:
                cur = prev
            states[i] = [prev, cur]
            out += ['        <item>',
                    '            <instanceId>%s</instanceId>' % i,
                    '            <currentState><code>%d</code><name>%s'
                    '</name></currentState>' % (STATE_CODES[cur], cur),
                    '            <previousState><code>%d</code><name>%s'
                    '</name></previousState>' % (STATE_CODES[prev], prev),
                    '        </item>']
        entry["states"] = states
        out += ['    </instancesSet>', '</StartInstancesResponse>\n']
        return "\n".join(out)

    # -- SSM DescribeInstanceInformation ---------------------------------
    def nodes(self, region, knobs, now):
        """The region's managed nodes: DescribeInstanceInformation list
        entries, each with its tags for filtering (key "_tags")."""
        out = []
        for i in self.listing(region, knobs):
            if i["agent"] is None or i["state"] == "terminated":
                continue
            ping = now - 17.25 if i["agent"] == "online" else \
                iso(i["ping"]).timestamp()
            out.append({
                "InstanceId": i["id"],
                "PingStatus": "Online" if i["agent"] == "online"
                else "ConnectionLost",
                "LastPingDateTime": ping,
                "AgentVersion": knobs.get("agent_version", "3.3.987.0"),
                "IsLatestVersion": False,
                "PlatformType": "Linux", "PlatformName": i["platform"],
                "PlatformVersion": "2023", "ResourceType": "EC2Instance",
                "IPAddress": i["ip"], "ComputerName": i["dns"],
                "AssociationStatus": "Success",
                "LastAssociationExecutionDate": now - 600.5,
                "LastSuccessfulAssociationExecutionDate": now - 600.5,
                "AssociationOverview": {
                    "DetailedStatus": "Success",
                    "InstanceAssociationStatusAggregatedCount":
                    {"Success": 1}},
                "SourceId": i["id"], "SourceType": "AWS::EC2::Instance",
                "_tags": i["tags"]})
        if region == self.region:
            for n in managed_nodes(region):
                out.append({
                    "InstanceId": n["id"], "PingStatus": "Online",
                    "LastPingDateTime": now - 42.5,
                    "AgentVersion": knobs.get("agent_version", "3.3.987.0"),
                    "IsLatestVersion": False, "PlatformType": "Linux",
                    "PlatformName": n["platform"],
                    "PlatformVersion": n["version"],
                    "ActivationId": "4f1a2b3c-0000-4000-8000-0123456789ab",
                    "IamRole": "emu-ssm-service-role",
                    "RegistrationDate": 1704067200.0,
                    "ResourceType": "ManagedInstance", "Name": n["name"],
                    "IPAddress": n["ip"], "ComputerName": n["computer"],
                    "AssociationStatus": "Success",
                    "SourceId": n["id"],
                    "SourceType": "AWS::SSM::ManagedInstance",
                    "_tags": n["tags"]})
        return out

    def dii_filters(self, body):
        flt = []
        for f in body.get("Filters") or []:
            if not isinstance(f, dict) or not isinstance(f.get("Key"), str) \
                    or not isinstance(f.get("Values"), list) or \
                    not all(isinstance(v, str) for v in f["Values"]):
                raise Refusal("ValidationException", "Filters must be "
                              "objects with a string Key and a list of "
                              "string Values")
            flt.append((f["Key"], f["Values"]))
        for f in body.get("InstanceInformationFilterList") or []:
            if not isinstance(f, dict) or not isinstance(f.get("key"), str) \
                    or not isinstance(f.get("valueSet"), list):
                raise Refusal("ValidationException", "bad "
                              "InstanceInformationFilterList")
            flt.append((f["key"], f["valueSet"]))
        for k, vals in flt:
            if not 1 <= len(vals) <= 100:
                raise Refusal("ValidationException", "1 validation error "
                              "detected: Value at 'filters.1.member."
                              "values' failed to satisfy constraint: "
                              "Member must have length between 1 and 100")
            if k not in DII_FILTERS and not k.startswith("tag:"):
                raise Refusal("InvalidFilterKey", "The filter key %s is "
                              "not valid" % k)
        return flt

    @staticmethod
    def dii_match(node, flt):
        for k, vals in flt:
            if k.startswith("tag:"):
                cand = [v for t, v in node["_tags"] if t == k[4:]]
            elif k == "tag-key":
                cand = [t for t, _ in node["_tags"]]
            else:
                cand = [node[{"InstanceIds": "InstanceId",
                              "PingStatus": "PingStatus",
                              "ResourceType": "ResourceType",
                              "PlatformTypes": "PlatformType",
                              "AgentVersion": "AgentVersion"}[k]]]
            if not any(c in vals for c in cand):
                return False
        return True

    def describe_information(self, body, region, knobs, entry, now):
        """The JSON body (bytes) of a DescribeInstanceInformation answer,
        or (code, message)."""
        try:
            flt = self.dii_filters(body)
            mr = body.get("MaxResults")
            entry.update(filters={k: v for k, v in flt}, max_results=mr,
                         next_token_given="NextToken" in body)
            if mr is not None and (not isinstance(mr, int) or
                                   isinstance(mr, bool) or
                                   not 5 <= mr <= 50):
                raise Refusal("ValidationException", "1 validation error "
                              "detected: Value '%s' at 'maxResults' failed "
                              "to satisfy constraint: Member must have "
                              "value between 5 and 50" % mr)
            match = [n for n in self.nodes(region, knobs, now)
                     if self.dii_match(n, flt)]
            key = json.dumps(["ssm", region, flt])
            page, nxt = self.page("ssm", key, match, mr or DII_DEFAULT_PAGE,
                                  body.get("NextToken"))
        except Refusal as e:
            return (e.code, e.message)
        entry.update(items=len(page), matched=len(match),
                     next_token_returned=nxt is not None,
                     instances=[n["InstanceId"] for n in page])
        # LastPingDateTime as the service writes it: epoch seconds in
        # exponent notation with a fraction (1.733390123456E9).
        nums = {}
        lst = []
        for n in page:
            n = {k: v for k, v in n.items() if k != "_tags"}
            for k in ("LastPingDateTime", "LastAssociationExecutionDate",
                      "LastSuccessfulAssociationExecutionDate",
                      "RegistrationDate"):
                if k in n:
                    mark = "@num%d@" % len(nums)
                    nums['"%s"' % mark] = ("%.12f" % (n[k] / 1e9)).rstrip(
                        "0").rstrip(".") + "E9"
                    n[k] = mark
            lst.append(n)
        res = {"InstanceInformationList": lst}
        if nxt is not None:
            res["NextToken"] = nxt
        text = json.dumps(res)
        for mark, num in nums.items():
            text = text.replace(mark, num)
        return text.encode()
