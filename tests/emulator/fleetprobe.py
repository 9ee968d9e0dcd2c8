#!/usr/bin/python3
"""Self-test of the emulator's fleet calls (tests/emulator/fleet.py):
EC2 DescribeInstances and StartInstances (Query protocol, XML),
SSM DescribeInstanceInformation (JSON 1.1) and StartSession in the two
regions, signed here with tests/emulator/sigv4.py.

    /usr/bin/python3 tests/emulator/fleetprobe.py STATE_DIR

Prints one "ok"/"FAIL" line per check; exit status 1 if any failed.
Standard library only; the emulator must be running on STATE_DIR.
"""

import datetime
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import sigv4  # noqa: E402

NS = "{http://ec2.amazonaws.com/doc/2016-11-15/}"
WEB1 = "i-0123456789abcdef0"
WEB1_EU = "i-0f1f1f1f1f1f1f1f1"
STOPPED = "i-0c1c1c1c1c1c1c1c1"
DENIED = ("User: arn:aws:iam::123456789012:user/emu is not authorized to "
          "perform: %s because no identity-based policy allows the %s "
          "action")
EXPECT_DENY = ("You are not authorized to perform this operation. " +
               DENIED % ("ec2:DescribeInstances", "ec2:DescribeInstances"))

fails = 0


def check(desc, cond, detail=""):
    global fails
    if cond:
        print("ok   " + desc)
    else:
        fails += 1
        print("FAIL %s %s" % (desc, detail))


class Client:
    def __init__(self, info):
        self.info = info
        self.ctx = ssl.create_default_context(cafile=info["ca_file"])
        self.ak, self.sk = info["access_key"], info["secret_key"]
        self.token = info["session_token"]

    def post(self, body, ctype, service, region, target=None, secret=None):
        host = "127.0.0.1:%d" % self.info["api_port"]
        hs = [("Host", host), ("Content-Type", ctype)]
        if target:
            hs.append(("X-Amz-Target", target))
        amz = sigv4.fmt_amz_date(datetime.datetime.now(
            datetime.timezone.utc))
        hs += sigv4.sign("POST", "/", "", hs, body, self.ak,
                         secret or self.sk, region, service, amz,
                         self.token)
        c = http.client.HTTPSConnection("127.0.0.1", self.info["api_port"],
                                        context=self.ctx, timeout=30)
        c.request("POST", "/", body=body, headers=dict(hs))
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def ec2(self, params, region="us-east-1", service="ec2", secret=None):
        p = [("Action", "DescribeInstances"), ("Version", "2016-11-15")]
        p += params
        body = urllib.parse.urlencode(p, quote_via=urllib.parse.quote)
        return self.post(body.encode(), "application/x-www-form-urlencoded;"
                         " charset=utf-8", service, region, secret=secret)

    def ssm(self, api, obj, region="us-east-1"):
        st, data = self.post(json.dumps(obj).encode(),
                             "application/x-amz-json-1.1", "ssm", region,
                             target="AmazonSSM." + api)
        return st, data

    def ctl(self, obj):
        req = urllib.request.Request(self.info["control_url"] + "/config",
                                     data=json.dumps(obj).encode(),
                                     method="POST")
        urllib.request.urlopen(req, context=self.ctx, timeout=10).read()


def names(params):
    out = []
    for n, (name, values) in enumerate(params, 1):
        out.append(("Filter.%d.Name" % n, name))
        for m, v in enumerate(values, 1):
            out.append(("Filter.%d.Value.%d" % (n, m), v))
    return out


def instances(data):
    root = ET.fromstring(data)
    return [i for r in root.iter(NS + "reservationSet") for i in
            r.iter(NS + "instancesSet") for i in i.findall(NS + "item")]


def ids(data):
    return [i.findtext(NS + "instanceId") for i in instances(data)]


def err(data):
    root = ET.fromstring(data)
    return (root.tag, root.findtext("Errors/Error/Code"),
            root.findtext("Errors/Error/Message"), root.findtext("RequestID"))


def describe_all(c, flt, region="us-east-1", mr=None):
    got, pages, sizes, tokens = [], 0, [], []
    tok = None
    while True:
        p = names(flt)
        if mr:
            p.append(("MaxResults", str(mr)))
        if tok:
            p.append(("NextToken", tok))
        st, data = c.ec2(p, region)
        if st != 200:
            return None, st, data
        pages += 1
        sizes.append(len(data))
        got += ids(data)
        tok = ET.fromstring(data).findtext(NS + "nextToken")
        if tok is None or pages > 50:
            return got, pages, (sizes, tokens)
        tokens.append(tok)


def main():
    info = json.load(open(os.path.join(sys.argv[1], "emulator.json")))
    c = Client(info)
    rlog = info["request_log"]

    # 1. one Name, one instance, the real document's shape
    st, data = c.ec2(names([("tag:Name", ["web1"]), ("instance-state-name",
                     ["pending", "running", "stopping", "stopped"])]))
    check("DescribeInstances tag:Name=web1: 200", st == 200, data[:300])
    root = ET.fromstring(data)
    check("  root DescribeInstancesResponse in the 2016-11-15 namespace",
          root.tag == NS + "DescribeInstancesResponse", root.tag)
    it = instances(data)
    check("  exactly %s" % WEB1, ids(data) == [WEB1], ids(data))
    if it:
        i = it[0]
        f = i.findtext
        check("  state, AZ, IP, DNS, launchTime, profile, platform",
              (f(NS + "instanceState/" + NS + "name"),
               f(NS + "placement/" + NS + "availabilityZone"),
               f(NS + "privateIpAddress"), f(NS + "privateDnsName"),
               f(NS + "launchTime"),
               f(NS + "iamInstanceProfile/" + NS + "arn") is not None,
               f(NS + "platformDetails")) ==
              ("running", "us-east-1a", "10.0.1.5", "ip-10-0-1-5.ec2.internal",
               "2024-03-01T12:00:00.000Z", True, "Linux/UNIX"))
        tags = {t.findtext(NS + "key"): t.findtext(NS + "value")
                for t in i.find(NS + "tagSet")}
        check("  tagSet holds Name=web1 among others",
              tags.get("Name") == "web1" and len(tags) > 1, tags)
        size = len(ET.tostring(i))
        check("  the item is realistic (%d bytes, nested sets)" % size,
              3000 <= size <= 8000 and i.find(NS + "networkInterfaceSet")
              is not None and i.find(NS + "blockDeviceMapping") is not None)
    check("  no nextToken on the only page",
          root.find(NS + "nextToken") is None)

    # 2. the region is the credential scope's
    st, data = c.ec2(names([("tag:Name", ["web1"])]), "eu-west-1")
    check("eu-west-1 scope: web1 is %s" % WEB1_EU, ids(data) == [WEB1_EU],
          ids(data))
    st, data = c.ec2(names([("tag:Name", ["web1"])]), "ap-south-1")
    check("unknown region in the scope: 403 SignatureDoesNotMatch",
          st == 403 and err(data)[1] == "SignatureDoesNotMatch", data)

    # 3. filter semantics
    def q(flt, region="us-east-1"):
        return sorted(ids(c.ec2(names(flt), region)[1]))
    check("tag:Name=app: both app instances", q([("tag:Name", ["app"])]) ==
          ["i-0b1b1b1b1b1b1b1b1", "i-0b2b2b2b2b2b2b2b2"])
    st, data = c.ec2(names([("tag:Name", ["app"])]))
    check("  in one reservation", len(list(ET.fromstring(data).find(
        NS + "reservationSet"))) == 1)
    check("filters AND: app in us-east-1b",
          q([("tag:Name", ["app"]), ("availability-zone", ["us-east-1b"])])
          == ["i-0b2b2b2b2b2b2b2b2"])
    check("values OR: web1 or app", len(q([("tag:Name", ["web1", "app"])]))
          == 3)
    check("case-sensitive: db-primary finds nothing",
          q([("tag:Name", ["db-primary"])]) == [])
    check("wildcard *: Db-* finds Db-Primary",
          q([("tag:Name", ["Db-*"])]) == ["i-0a1a1a1a1a1a1a1a1"])
    check("wildcard ?: we?b1 and web1? match web1 (zero or one)",
          q([("tag:Name", ["we?b1"])]) == [WEB1] and
          q([("tag:Name", ["web1?"])]) == [WEB1])
    check("escaped \\* is literal: no match",
          q([("tag:Name", ["\\*"])]) == [])
    check("private-ip-address 10.0.1.6", q([("private-ip-address",
                                             ["10.0.1.6"])]) ==
          ["i-0a1a1a1a1a1a1a1a1"])
    check("private-dns-name (eu-west-1)",
          q([("private-dns-name",
              ["ip-10-1-1-5.eu-west-1.compute.internal"])], "eu-west-1") ==
          [WEB1_EU])
    check("terminated 'gone' listed without a state filter",
          q([("tag:Name", ["gone"])]) == ["i-0f0f0f0f0f0f0f0f0"])
    check("  and hidden by instance-state-name",
          q([("tag:Name", ["gone"]), ("instance-state-name",
                                      ["pending", "running", "stopped"])])
          == [])
    check("tag-key Name: the 10 instances of us-east-1",
          len(q([("tag-key", ["Name"])])) == 10)

    # 4. validation as the service
    def code(params):
        st, data = c.ec2(params)
        return st, err(data)[1] if st != 200 else None
    check("MaxResults 4: 400 InvalidParameterValue",
          code([("MaxResults", "4")]) == (400, "InvalidParameterValue"))
    check("MaxResults 1001: 400 InvalidParameterValue",
          code([("MaxResults", "1001")]) == (400, "InvalidParameterValue"))
    check("MaxResults with an instance-id filter: "
          "InvalidParameterCombination",
          code(names([("instance-id", [WEB1])]) + [("MaxResults", "5")]) ==
          (400, "InvalidParameterCombination"))
    check("MaxResults with InstanceId.1: InvalidParameterCombination",
          code([("InstanceId.1", WEB1), ("MaxResults", "5")]) ==
          (400, "InvalidParameterCombination"))
    check("instance-id filter without MaxResults: 200",
          code(names([("instance-id", [WEB1])]))[0] == 200)
    check("unknown filter: InvalidParameterValue",
          code(names([("colour", ["red"])])) ==
          (400, "InvalidParameterValue"))
    check("unknown parameter: UnknownParameter",
          code([("Filters.1.Name", "x")]) == (400, "UnknownParameter"))
    check("bad NextToken: 400",
          code([("NextToken", "bogus")])[0] == 400)
    st, data = c.ec2([], secret="wrong")
    e = err(data)
    check("wrong secret: 403 <Response><Errors><Error> SignatureDoesNotMatch"
          " with a RequestID", st == 403 and e[0] == "Response" and
          e[1] == "SignatureDoesNotMatch" and e[3], (st, e))
    st, data = c.post(b"{}", "application/json", "ec2", "us-east-1")
    check("signed for ec2, not a form: 400 MissingAction",
          st == 400 and err(data)[1] == "MissingAction", data)
    st, data = c.ec2([], service="ssm")
    check("DescribeInstances signed for ssm: SignatureDoesNotMatch",
          st == 403 and err(data)[1] == "SignatureDoesNotMatch", data)

    # 5. pagination: 1000 more instances, pages of 100 (~400 KB)
    c.ctl({"fleet_extra": 1000})
    got, pages, extra = describe_all(c, [("tag:Name", ["node-*"])], mr=100)
    check("1000 node-* over %s pages of MaxResults 100" % pages,
          got is not None and pages == 10 and len(set(got)) == 1000, extra)
    if got is not None:
        sizes, tokens = extra
        check("  a page of 100 is ~400 KB (%d bytes)" % sizes[0],
              350000 <= sizes[0] <= 800000)
        check("  tokens need percent-encoding (+ / =)",
              all("+" in t and "/" in t and "=" in t for t in tokens))
    got, pages, extra = describe_all(c, [("tag:Name", ["node-00*"])])
    check("no MaxResults: one page of 99 (%s)" % pages,
          got is not None and pages == 1 and len(got) == 99)
    c.ctl({"ec2_page_cap": 7})
    got, pages, extra = describe_all(c, [("tag:Name", ["node-00*"])], mr=50)
    check("ec2_page_cap 7: 99 in 15 pages (%s)" % pages,
          got is not None and pages == 15 and len(set(got)) == 99)
    c.ctl({"reset": True})

    # 6. DescribeInstanceInformation
    st, data = c.ssm("DescribeInstanceInformation", {"Filters": [
        {"Key": "InstanceIds", "Values": [WEB1, "i-0e1e1e1e1e1e1e1e1",
                                          "i-0d1d1d1d1d1d1d1d1"]}]})
    lst = json.loads(data).get("InstanceInformationList", []) \
        if st == 200 else []
    by = {n["InstanceId"]: n for n in lst}
    check("DII InstanceIds: web1 Online, offline ConnectionLost, noagent "
          "absent", st == 200 and set(by) == {WEB1, "i-0e1e1e1e1e1e1e1e1"}
          and by[WEB1]["PingStatus"] == "Online" and
          by["i-0e1e1e1e1e1e1e1e1"]["PingStatus"] == "ConnectionLost",
          data[:300])
    check("  LastPingDateTime in exponent form, offline since "
          "2024-05-01T08:00:00Z", b"E9" in data and
          by.get("i-0e1e1e1e1e1e1e1e1", {}).get("LastPingDateTime") ==
          1714550400)
    st, data = c.ssm("DescribeInstanceInformation", {"Filters": [
        {"Key": "tag:Name", "Values": ["onprem1"]}]})
    lst = json.loads(data).get("InstanceInformationList", [])
    check("DII tag:Name=onprem1: the managed node", st == 200 and
          [(n["InstanceId"], n["ResourceType"], n["IPAddress"], n["Name"])
           for n in lst] == [("mi-0123456789abcdef0", "ManagedInstance",
                              "192.168.50.10", "onprem1")], data[:300])
    ids_all, tok, pages = [], None, 0
    while True:
        obj = {"MaxResults": 5}
        if tok:
            obj["NextToken"] = tok
        st, data = c.ssm("DescribeInstanceInformation", obj)
        if st != 200:
            break
        d = json.loads(data)
        pages += 1
        ids_all += [n["InstanceId"] for n in d["InstanceInformationList"]]
        tok = d.get("NextToken")
        if not tok or pages > 10:
            break
    check("DII MaxResults 5: 7 nodes in 2 pages (%d, %d)" % (len(ids_all),
                                                            pages),
          len(set(ids_all)) == 7 and pages == 2)
    st, data = c.ssm("DescribeInstanceInformation", {}, "eu-west-1")
    check("DII eu-west-1: only %s" % WEB1_EU, st == 200 and
          [n["InstanceId"] for n in json.loads(data)[
              "InstanceInformationList"]] == [WEB1_EU])
    st, data = c.ssm("DescribeInstanceInformation", {"MaxResults": 51})
    check("DII MaxResults 51: ValidationException",
          st == 400 and json.loads(data)["__type"] == "ValidationException")
    st, data = c.ssm("DescribeInstanceInformation",
                     {"Filters": [{"Key": "Colour", "Values": ["x"]}]})
    check("DII unknown key: InvalidFilterKey",
          st == 400 and json.loads(data)["__type"] == "InvalidFilterKey")

    # 7. StartSession by region and state
    def start(t, region="us-east-1"):
        st, data = c.ssm("StartSession", {
            "Target": t, "DocumentName": "AWS-StartSSHSession",
            "Parameters": {"portNumber": ["22"]}}, region)
        d = json.loads(data)
        if st == 200:
            c.ssm("TerminateSession", {"SessionId": d["SessionId"]}, region)
        return st, d.get("__type")
    check("StartSession web1 in us-east-1: 200", start(WEB1) == (200, None))
    check("  eu-west-1 web1 in eu-west-1: 200",
          start(WEB1_EU, "eu-west-1") == (200, None))
    check("  eu-west-1 web1 in us-east-1: TargetNotConnected",
          start(WEB1_EU) == (400, "TargetNotConnected"))
    check("  mi- node: 200", start("mi-0123456789abcdef0") == (200, None))
    for name, t in (("stopped1", STOPPED), ("noagent", "i-0d1d1d1d1d1d1d1d1"),
                    ("offline", "i-0e1e1e1e1e1e1e1e1")):
        check("  %s: TargetNotConnected" % name,
              start(t) == (400, "TargetNotConnected"))
    check("  gone (terminated): InvalidInstanceId",
          start("i-0f0f0f0f0f0f0f0f0") == (400, "InvalidInstanceId"))

    # 8. StartInstances: stopped -> pending -> running -> agent online
    # (delays of seconds: each state must be seen even on a busy machine)
    c.ctl({"start_delay": 2, "agent_delay": 3})
    st, data = c.ec2([("Action", "StartInstances"),
                      ("InstanceId.1", STOPPED)])
    root = ET.fromstring(data) if st == 200 else None
    cur = root.findtext(".//%scurrentState/%sname" % (NS, NS)) \
        if root is not None else None
    prev = root.findtext(".//%spreviousState/%sname" % (NS, NS)) \
        if root is not None else None
    check("StartInstances stopped1: pending (was stopped)",
          root is not None and root.tag == NS + "StartInstancesResponse"
          and (cur, prev) == ("pending", "stopped"), data[:300])
    seen, deadline = [], time.monotonic() + 15
    while time.monotonic() < deadline:
        st, data = c.ec2(names([("instance-id", [STOPPED])]))
        s = ET.fromstring(data).findtext(".//%sinstanceState/%sname" %
                                         (NS, NS))
        st2, d2 = c.ssm("DescribeInstanceInformation", {"Filters": [
            {"Key": "InstanceIds", "Values": [STOPPED]}]})
        ping = json.loads(d2)["InstanceInformationList"][0]["PingStatus"]
        if not seen or seen[-1] != (s, ping):
            seen.append((s, ping))
            if seen[-1] == ("running", "ConnectionLost"):
                check("  running, agent not yet online: "
                      "TargetNotConnected",
                      start(STOPPED) == (400, "TargetNotConnected"))
        if ping == "Online":
            break
        time.sleep(0.05)
    check("  transitions %s" % seen, seen == [
        ("pending", "ConnectionLost"), ("running", "ConnectionLost"),
        ("running", "Online")])
    check("  then StartSession: 200", start(STOPPED) == (200, None))
    st, data = c.ec2([("Action", "StartInstances"), ("InstanceId.1", WEB1)])
    check("StartInstances on running web1: currentState running",
          st == 200 and ET.fromstring(data).findtext(
              ".//%scurrentState/%sname" % (NS, NS)) == "running")
    st, data = c.ec2([("Action", "StartInstances"),
                      ("InstanceId.1", "i-0fffffffffffffff0")])
    check("StartInstances unknown id: InvalidInstanceID.NotFound",
          st == 400 and err(data)[1] == "InvalidInstanceID.NotFound")
    c.ctl({"reset": True})
    check("reset: stopped1 stopped again",
          q([("instance-id", [STOPPED])]) == [STOPPED] and
          b"<name>stopped</name>" in c.ec2(
              names([("instance-id", [STOPPED])]))[1])

    # 9. deny knob
    c.ctl({"deny": ["ec2:DescribeInstances",
                    "ssm:DescribeInstanceInformation", "ec2:StartInstances"]})
    st, data = c.ec2([])
    check("deny ec2:DescribeInstances: 403 UnauthorizedOperation, message",
          st == 403 and err(data)[1:3] == ("UnauthorizedOperation",
                                           EXPECT_DENY), data)
    st, data = c.ec2([("Action", "StartInstances"),
                      ("InstanceId.1", STOPPED)])
    check("deny ec2:StartInstances: 403 UnauthorizedOperation",
          st == 403 and err(data)[1] == "UnauthorizedOperation")
    st, data = c.ssm("DescribeInstanceInformation", {})
    d = json.loads(data)
    check("deny ssm:DescribeInstanceInformation: 400 AccessDenied"
          "Exception", st == 400 and d["__type"] == "AccessDeniedException"
          and d["message"] == DENIED % (
              "ssm:DescribeInstanceInformation",
              "ssm:DescribeInstanceInformation"),
          d)
    check("StartSession still allowed", start(WEB1) == (200, None))
    c.ctl({"reset": True, "fail": {"api": "DescribeInstances",
                                   "code": "RequestLimitExceeded"}})
    st, data = c.ec2([])
    check("forced RequestLimitExceeded: 503",
          st == 503 and err(data)[1] == "RequestLimitExceeded")

    # 10. the request log
    L = [json.loads(x) for x in open(rlog)]
    di = [e for e in L if e.get("api") == "DescribeInstances"]
    check("DescribeInstances logged: region, filters, max_results, items",
          any(e.get("region") == "eu-west-1" and e.get("filters") ==
              {"tag:Name": ["web1"]} and e.get("items") == 1
              and e.get("signature") == "valid" and e["status"] == 200
              for e in di) and
          any(e.get("max_results") == 100 and e.get("next_token_given")
              and e.get("items") == 100 for e in di))
    check("StartSession logged with target and region",
          any(e.get("api") == "StartSession" and e.get("target") == WEB1_EU
              and e.get("region") == "eu-west-1" and e["status"] == 200
              for e in L))
    check("StartInstances logged with states",
          any(e.get("api") == "StartInstances" and e.get("states") ==
              {STOPPED: ["stopped", "pending"]} for e in L))
    print("%d failed" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:     # an answer of the wrong shape is a failure
        import traceback
        traceback.print_exc()
        print("FAIL the probe stopped: %r (%d failed before)" % (e, fails))
        sys.exit(1)
