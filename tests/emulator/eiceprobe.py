#!/usr/bin/python3
"""Self-test of the emulator's EC2 Instance Connect Endpoint side
(tests/emulator/eice.py, fleet.py): the presign vectors of
tests/vectors/eice, DescribeInstanceConnectEndpoints and the fleet's
network fields, and openTunnel websockets presigned here with
tests/emulator/sigv4.py: relay, refusals, knobs and close codes.

    /usr/bin/python3 tests/emulator/eiceprobe.py STATE_DIR
    /usr/bin/python3 tests/emulator/eiceprobe.py STATE_DIR --tunnel IP PORT

The second form is a ProxyCommand: stdin and stdout through one tunnel
of the endpoint eice-0123456789abcdef0 to IP:PORT (exit 4 when the
tunnel ends with a close code other than 1000 or none).

Prints one "ok"/"FAIL" line per check; exit status 1 if any failed.
Standard library and python3-websockets; the emulator must be running on
STATE_DIR with its default knobs (they are reset at the end).
"""

import asyncio
import datetime
import glob
import hashlib
import hmac
import http.client
import json
import os
import socket
import ssl
import sys
import time
import urllib.parse
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import sigv4  # noqa: E402
import websockets  # noqa: E402
import websockets.exceptions  # noqa: E402
import websockets.legacy.client  # noqa: E402

NS = "{http://ec2.amazonaws.com/doc/2016-11-15/}"
EICE_A, EICE_B = "eice-0123456789abcdef0", "eice-0fedcba9876543210"
EICE_EU = "eice-0eeeeeeeeeeeeeee0"
VPC_A = "vpc-0a0a0a0a0a0a0a0a0"
USABLE = ["create-complete", "update-in-progress", "update-failed",
          "update-complete"]
BAD_PORT = ('{"ErrorCode": "InvalidParameter", "Message": "The specified '
            'RemotePort is not valid. Specify either 22 or 3389 as the '
            'RemotePort and retry your request."}')
DENIED = ("User: arn:aws:iam::123456789012:user/emu is not authorized to "
          "perform: ec2-instance-connect:OpenTunnel on resource: "
          "arn:aws:ec2:us-east-1:123456789012:instance-connect-endpoint/"
          "eice-0123456789abcdef0 because no identity-based policy allows "
          "the ec2-instance-connect:OpenTunnel action")

fails = 0


def check(desc, cond, detail=""):
    global fails
    if cond:
        print("ok   " + desc)
    else:
        fails += 1
        print("FAIL %s %s" % (desc, str(detail)[:400]))


def vectors():
    files = sorted(glob.glob(os.path.join(HERE, "..", "vectors", "eice",
                                          "*.json")))
    check("%d presign vectors found" % len(files), len(files) >= 2)
    for f in files:
        v = json.load(open(f))
        q, creq, sig = sigv4.presign(
            v["host"], v["path"], v["params"], v["access_key"],
            v["secret_key"], v["region"], v["service"], v["amz_date"],
            v["expires"], v["session_token"])
        name = os.path.basename(f)
        check("%s: canonical query" % name,
              creq.split("\n")[2] == v["canonical_query"], creq)
        check("%s: canonical request hash" % name,
              hashlib.sha256(creq.encode()).hexdigest() ==
              v["canonical_request_sha256"])
        check("%s: signature" % name, sig == v["signature"], sig)
        check("%s: URL byte for byte" % name,
              "wss://%s%s?%s" % (v["host"], v["path"], q) == v["url"])
        if v.get("signature_if_unsigned_payload"):
            bad = creq.rsplit("\n", 1)[0] + "\nUNSIGNED-PAYLOAD"
            scope = "%s/%s/%s/aws4_request" % (v["amz_date"][:8],
                                               v["region"], v["service"])
            s2 = hmac.new(sigv4.signing_key(v["secret_key"],
                                            v["amz_date"][:8], v["region"],
                                            v["service"]),
                          sigv4.string_to_sign(v["amz_date"], scope,
                                               bad).encode(),
                          hashlib.sha256).hexdigest()
            check("%s: UNSIGNED-PAYLOAD gives the other signature" % name,
                  s2 == v["signature_if_unsigned_payload"], s2)


class Probe:
    def __init__(self, info):
        self.info = info
        self.ctx = ssl.create_default_context(cafile=info["ca_file"])
        self.ak, self.sk = info["access_key"], info["secret_key"]
        self.token = info["session_token"]
        self.port = info["eice_port"]
        self.eps = {e["id"]: e for e in info["eice_endpoints"]}

    # -- control and EC2 ---------------------------------------------------
    def http(self, method, path, body=b"", headers=None):
        c = http.client.HTTPSConnection("127.0.0.1", self.info["api_port"],
                                        context=self.ctx, timeout=30)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def ctl(self, obj):
        st, data = self.http("POST", "/_emulator/config",
                             json.dumps(obj).encode())
        assert st == 200, data

    def eice_state(self):
        return json.loads(self.http("GET", "/_emulator/eice")[1])

    def ec2(self, action, params, region="us-east-1"):
        p = [("Action", action), ("Version", "2016-11-15")] + params
        body = urllib.parse.urlencode(p, quote_via=urllib.parse.quote)
        host = "127.0.0.1:%d" % self.info["api_port"]
        hs = [("Host", host),
              ("Content-Type", "application/x-www-form-urlencoded")]
        amz = sigv4.fmt_amz_date(datetime.datetime.now(
            datetime.timezone.utc))
        hs += sigv4.sign("POST", "/", "", hs, body.encode(), self.ak,
                         self.sk, region, "ec2", amz, self.token)
        return self.http("POST", "/", body.encode(), dict(hs))

    def push_key(self, iid):
        body = json.dumps({"InstanceId": iid, "InstanceOSUser": "emu",
                           "SSHPublicKey": open(
                               self.info["ssh_pubkey"]).read().strip()})
        host = "127.0.0.1:%d" % self.info["api_port"]
        hs = [("Host", host), ("Content-Type", "application/x-amz-json-1.1"),
              ("X-Amz-Target",
               "AWSEC2InstanceConnectService.SendSSHPublicKey")]
        amz = sigv4.fmt_amz_date(datetime.datetime.now(
            datetime.timezone.utc))
        hs += sigv4.sign("POST", "/", "", hs, body.encode(), self.ak,
                         self.sk, "us-east-1", "ec2-instance-connect", amz,
                         self.token)
        st, data = self.http("POST", "/", body.encode(), dict(hs))
        return st, json.loads(data)

    # -- openTunnel --------------------------------------------------------
    def url(self, eid=EICE_A, ip="10.0.1.5", port=22, duration=None,
            host=None, ak=None, sk=None, token=None, region="us-east-1",
            when=None, expires=60, extra=()):
        host = host or self.eps[eid]["dns"]
        params = [("instanceConnectEndpointId", eid),
                  ("remotePort", str(port)), ("privateIpAddress", ip)]
        if duration is not None:
            params.append(("maxTunnelDuration", str(duration)))
        params += list(extra)
        when = when or datetime.datetime.now(datetime.timezone.utc)
        q, _, _ = sigv4.presign(
            host, "/openTunnel", params, ak or self.ak, sk or self.sk,
            region, "ec2-instance-connect", sigv4.fmt_amz_date(when),
            expires, token if ak else self.token)
        return host, "/openTunnel?" + q

    def raw(self, host, path, sni=None):
        """An upgrade request the emulator should refuse: (status,
        headers dict lowercased, body)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        s = self.ctx.wrap_socket(s, server_hostname=sni or host)
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: "
                   "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13"
                   "\r\n\r\n" % (path, host)).encode())
        data = b""
        while b"\r\n\r\n" not in data:
            b = s.recv(65536)
            if not b:
                break
            data += b
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        hs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hs[k.strip().lower()] = v.strip()
        status = int(lines[0].split()[1])
        if status == 101:
            s.close()
            return status, hs, b""
        n = int(hs.get("content-length", "0"))
        while len(body) < n:
            b = s.recv(65536)
            if not b:
                break
            body += b
        s.close()
        return status, hs, body

    def refused(self, host, path, sni=None):
        st, hs, body = self.raw(host, path, sni)
        try:
            obj = json.loads(body)
        except ValueError:
            obj = {}
        return st, obj, body.decode(errors="replace"), hs

    def connect(self, host, path):
        return websockets.legacy.client.connect(
            "wss://%s%s" % (host, path), host="127.0.0.1", port=self.port,
            ssl=self.ctx, server_hostname=host, compression=None,
            open_timeout=20, close_timeout=5)


async def banner(ws):
    """Binary frames until the sshd's identification line."""
    got = b""
    while b"\n" not in got:
        m = await asyncio.wait_for(ws.recv(), 20)
        if not isinstance(m, bytes):
            return None
        got += m
    return got


def log_entries(info):
    return [json.loads(line) for line in open(info["request_log"])]


def endpoints_of(data):
    root = ET.fromstring(data)
    out = []
    for it in root.iter(NS + "item"):
        if it.find(NS + "instanceConnectEndpointId") is not None:
            out.append({c.tag[len(NS):]: (c.text or "") for c in it})
    return out, root.findtext(NS + "nextToken")


def fleet_checks(p):
    flt = [("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", VPC_A),
           ("Filter.2.Name", "state")] + \
        [("Filter.2.Value.%d" % (k + 1), s) for k, s in enumerate(USABLE)]
    st, data = p.ec2("DescribeInstanceConnectEndpoints", flt)
    eps, _ = endpoints_of(data) if st == 200 else ([], None)
    check("DescribeInstanceConnectEndpoints vpc-id + usable states: 200, "
          "two endpoints", st == 200 and [e["instanceConnectEndpointId"]
                                          for e in eps] == [EICE_A, EICE_B],
          data[:300])
    if len(eps) == 2:
        a = eps[0]
        check("  fields: subnet, state, dnsName, fipsDnsName, arn, AZ",
              a["subnetId"] == "subnet-0a0a0a0a0a0a0a0a1" and
              eps[1]["subnetId"] == "subnet-0a0a0a0a0a0a0a0a2" and
              a["state"] == "create-complete" and a["dnsName"] ==
              EICE_A + ".ec2-instance-connect-endpoint.us-east-1."
              "amazonaws.com" and a["fipsDnsName"] == EICE_A +
              ".fips.ec2-instance-connect-endpoint.us-east-1.amazonaws.com"
              and a["instanceConnectEndpointArn"] == "arn:aws:ec2:us-east-1:"
              "123456789012:instance-connect-endpoint/" + EICE_A and
              a["availabilityZone"] == "us-east-1a" and a["vpcId"] == VPC_A,
              a)
    st, data = p.ec2("DescribeInstanceConnectEndpoints",
                     [("InstanceConnectEndpointId.1", EICE_B)])
    check("by InstanceConnectEndpointId.1: that one",
          st == 200 and [e["instanceConnectEndpointId"] for e in
                         endpoints_of(data)[0]] == [EICE_B], data[:300])
    st, data = p.ec2("DescribeInstanceConnectEndpoints",
                     [("InstanceConnectEndpointId.1",
                       "eice-0000000000000dead")])
    check("unknown id: 400 InvalidInstanceConnectEndpointId.NotFound",
          st == 400 and b"InvalidInstanceConnectEndpointId.NotFound" in data)
    got, tok, pages = [], None, 0
    while pages < 5:
        prm = [("MaxResults", "1")] + ([("NextToken", tok)] if tok else [])
        st, data = p.ec2("DescribeInstanceConnectEndpoints", prm)
        if st != 200:
            break
        eps, tok = endpoints_of(data)
        got += [e["instanceConnectEndpointId"] for e in eps]
        pages += 1
        if not tok:
            break
    check("MaxResults 1: two pages (%d)" % pages,
          got == [EICE_A, EICE_B] and pages == 2)
    st, data = p.ec2("DescribeInstanceConnectEndpoints",
                     [("MaxResults", "51")])
    check("MaxResults 51: 400 InvalidParameterValue",
          st == 400 and b"InvalidParameterValue" in data)
    st, data = p.ec2("DescribeInstanceConnectEndpoints",
                     [("Filter.1.Name", "colour"),
                      ("Filter.1.Value.1", "red")])
    check("unknown filter: 400", st == 400)
    st, data = p.ec2("DescribeInstanceConnectEndpoints", [], "eu-west-1")
    check("eu-west-1: %s in vpc-0e..." % EICE_EU,
          st == 200 and [(e["instanceConnectEndpointId"], e["vpcId"])
                         for e in endpoints_of(data)[0]] ==
          [(EICE_EU, "vpc-0e0e0e0e0e0e0e0e0")])
    st, data = p.ec2("DescribeInstanceConnectEndpoints",
                     [("Filter.1.Name", "vpc-id"),
                      ("Filter.1.Value.1", "vpc-0d0d0d0d0d0d0d0d0")])
    check("the isolated VPC has no endpoint",
          st == 200 and endpoints_of(data)[0] == [])
    p.ctl({"eice_state": {EICE_B: "create-in-progress"}})
    st, data = p.ec2("DescribeInstanceConnectEndpoints", flt)
    check("eice_state create-in-progress: hidden by the state filter",
          [e["instanceConnectEndpointId"] for e in endpoints_of(data)[0]]
          == [EICE_A])
    st, data = p.ec2("DescribeInstanceConnectEndpoints",
                     [("InstanceConnectEndpointId.1", EICE_B)])
    check("  and shown in that state without it",
          [e["state"] for e in endpoints_of(data)[0]] ==
          ["create-in-progress"])
    p.ctl({"eice_state": {}})
    st, data = p.ec2("DescribeInstances",
                     [("InstanceId.1", "i-0a6a6a6a6a6a6a6a6"),
                      ("InstanceId.2", "i-0a2a2a2a2a2a2a2a2"),
                      ("InstanceId.3", "i-0a1a1a1a1a1a1a1a1")])
    insts = {}
    if st == 200:
        for i in ET.fromstring(data).iter(NS + "instancesSet"):
            for it in i:
                insts[it.findtext(NS + "instanceId")] = it
    v6 = insts.get("i-0a6a6a6a6a6a6a6a6")
    check("v6only: no privateIpAddress, ipv6Address, VPC A, subnet a1",
          v6 is not None and v6.find(NS + "privateIpAddress") is None and
          v6.findtext(NS + "ipv6Address") == "2600:1f18:aaaa:bb01::10" and
          v6.findtext(NS + "vpcId") == VPC_A and
          v6.findtext(NS + "subnetId") == "subnet-0a0a0a0a0a0a0a0a1" and
          v6.findtext(".//%sipv6AddressesSet/%sitem/%sipv6Address" %
                      (NS, NS, NS)) == "2600:1f18:aaaa:bb01::10", data[:300])
    iso = insts.get("i-0a2a2a2a2a2a2a2a2")
    check("isolated: 10.9.0.5 in vpc-0d..., subnet-0d...1",
          iso is not None and iso.findtext(NS + "privateIpAddress") ==
          "10.9.0.5" and iso.findtext(NS + "vpcId") ==
          "vpc-0d0d0d0d0d0d0d0d0" and iso.findtext(
              ".//%snetworkInterfaceSet/%sitem/%ssubnetId" % (NS, NS, NS))
          == "subnet-0d0d0d0d0d0d0d0d1")
    st, obj = p.push_key("i-0d1d1d1d1d1d1d1d1")
    check("SendSSHPublicKey to noagent (running, no agent): 200",
          st == 200 and obj.get("Success") is True, obj)
    st, obj = p.push_key("i-0c1c1c1c1c1c1c1c1")
    check("SendSSHPublicKey to stopped1: EC2InstanceStateInvalidException",
          st == 400 and obj.get("__type") ==
          "EC2InstanceStateInvalidException", obj)
    db = insts.get("i-0a1a1a1a1a1a1a1a1")
    check("Db-Primary (us-east-1b): subnet-0a...2",
          db is not None and db.findtext(NS + "subnetId") ==
          "subnet-0a0a0a0a0a0a0a0a2")


async def tunnel_checks(p, info):
    # a good tunnel: the sshd's banner arrives, the client closes
    host, path = p.url()
    t0 = time.monotonic()
    async with p.connect(host, path) as ws:
        b = await banner(ws)
        check("tunnel to web1 10.0.1.5:22 relays the SSH banner",
              b is not None and b.startswith(b"SSH-2.0-"), b)
        check("  x-amzn-RequestId on the 101",
              bool(ws.response_headers.get("x-amzn-RequestId")))
        st = p.eice_state()
        check("  /_emulator/eice counts it", st["connections"].get(EICE_A)
              == 1 and len(st["tunnels"]) == 1, st)
    await asyncio.sleep(0)
    for _ in range(50):
        closed = [e for e in log_entries(info) if e["kind"] == "eice" and
                  e.get("event") == "closed"]
        if closed:
            break
        await asyncio.sleep(0.1)
    check("  logged: upgrade 101 signature_ok, closed by the client 1000",
          [e for e in log_entries(info) if e["kind"] == "eice" and
           e["event"] == "upgrade" and e["status"] == 101 and
           e["signature_ok"] and e["endpoint"] == EICE_A and
           e["host"] == host and e["sni"] == host and e["port"] == 22]
          and closed and closed[-1]["closed_by"] == "client" and
          closed[-1]["close_code"] == 1000 and
          closed[-1]["bytes_down"] > 0, closed)
    check("  and released", p.eice_state()["connections"].get(EICE_A) == 0)

    # FIPS name, IPv6 target, port 3389, temporary credentials
    p.ctl({"credentials": [{"access_key": "ASIAEICETEMP",
                            "secret_key": "tmp/Secret+1",
                            "session_token": "IQoJtoken/with+chars="}]})
    for desc, kw in (
            ("FIPS name", {"host": p.eps[EICE_A]["fips_dns"]}),
            ("IPv6 target v6only", {"ip": "2600:1f18:aaaa:bb01::10"}),
            ("port 3389", {"port": 3389}),
            ("subnet b endpoint, Db-Primary", {"eid": EICE_B,
                                               "ip": "10.0.1.6"}),
            ("temporary credentials (signed token)",
             {"ak": "ASIAEICETEMP", "sk": "tmp/Secret+1",
              "token": "IQoJtoken/with+chars="}),
            ("eu-west-1 endpoint", {"eid": EICE_EU, "ip": "10.1.1.5",
                                    "region": "eu-west-1"})):
        host, path = p.url(**kw)
        try:
            async with p.connect(host, path) as ws:
                b = await banner(ws)
        except (OSError, websockets.exceptions.WebSocketException) as e:
            b = e
        check("tunnel: %s" % desc, isinstance(b, bytes) and
              b.startswith(b"SSH-2.0-"), b)

    # through the CONNECT proxy by the endpoint's name
    host, path = p.url()
    try:
        s = socket.create_connection(("127.0.0.1", info["proxy_port"]), 20)
        s.sendall(("CONNECT %s:443 HTTP/1.1\r\nHost: %s:443\r\n\r\n"
                   % (host, host)).encode())
        resp = b""
        while b"\r\n\r\n" not in resp:
            resp += s.recv(1)
        async with websockets.legacy.client.connect(
                "wss://%s%s" % (host, path), sock=s, ssl=p.ctx,
                server_hostname=host, compression=None) as ws:
            b = await banner(ws)
    except (OSError, websockets.exceptions.WebSocketException) as e:
        b = e
    check("through the CONNECT proxy to %s:443" % host[:22],
          isinstance(b, bytes) and b.startswith(b"SSH-2.0-"), b)
    check("  the upgrade logged via_proxy", [
        e for e in log_entries(info) if e["kind"] == "eice" and
        e["event"] == "upgrade" and e["via_proxy"] and e["status"] == 101])

    # refusals before the upgrade
    host, path = p.url()
    bad = path[:-1] + ("0" if path[-1] != "0" else "1")
    st, obj, body, hs = p.refused(host, bad)
    check("signature altered by one hex digit: 403 "
          "InvalidSignatureException", st == 403 and
          obj.get("ErrorCode") == "InvalidSignatureException" and
          "does not match" in obj.get("Message", ""), body)
    check("  x-amzn-RequestId on the refusal",
          bool(hs.get("x-amzn-requestid")))
    old = datetime.datetime.now(datetime.timezone.utc) - \
        datetime.timedelta(seconds=120)
    host, path = p.url(when=old)
    st, obj, body, _ = p.refused(host, path)
    check("expired (signed 120 s ago for 60 s): 403 Signature expired",
          st == 403 and obj.get("ErrorCode") == "InvalidSignatureException"
          and obj.get("Message", "").startswith("Signature expired"), body)
    host, path = p.url(when=old, expires=300)
    try:
        async with p.connect(host, path) as ws:
            b = await banner(ws)
    except (OSError, websockets.exceptions.WebSocketException) as e:
        b = e
    check("  signed 120 s ago for 300 s: accepted",
          isinstance(b, bytes) and b.startswith(b"SSH-2.0-"), b)
    p.ctl({"clock_offset": 200})
    host, path = p.url(expires=60)
    st, obj, body, _ = p.refused(host, path)
    check("  fresh URL, emulator clock 200 s ahead: expired", st == 403 and
          obj.get("Message", "").startswith("Signature expired"), body)
    p.ctl({"clock_offset": 0})
    host, path = p.url(sk="wrong" + p.sk)
    st, obj, body, _ = p.refused(host, path)
    check("wrong secret: 403", st == 403 and
          obj.get("ErrorCode") == "InvalidSignatureException", body)
    host, path = p.url(port=2222)
    st, obj, body, _ = p.refused(host, path)
    check("remotePort 2222: 400 with the service's exact JSON",
          st == 400 and body == BAD_PORT, body)
    for d in (0, 3601):
        host, path = p.url(duration=d)
        st, obj, body, _ = p.refused(host, path)
        check("maxTunnelDuration %d: 400 InvalidParameter" % d,
              st == 400 and obj.get("ErrorCode") == "InvalidParameter",
              body)
    host, path = p.url(ip="10.9.0.5")
    st, obj, body, _ = p.refused(host, path)
    check("isolated 10.9.0.5 (other VPC): 400 InvalidParameter "
          "PrivateIpAddress", st == 400 and "PrivateIpAddress" in
          obj.get("Message", ""), body)
    host, path = p.url(host=p.eps[EICE_B]["dns"])
    st, obj, body, _ = p.refused(host, path)
    check("Host of another endpoint than the id: 400", st == 400 and
          obj.get("ErrorCode") == "InvalidParameter", body)
    host, path = p.url()
    st, obj, body, _ = p.refused(host, path, sni="localhost")
    check("SNI not the Host: 421 MisdirectedRequest", st == 421 and
          obj.get("ErrorCode") == "MisdirectedRequest", body)
    host, path = p.url(region="us-west-2")
    st, obj, body, _ = p.refused(host, path)
    check("signed for us-west-2: 403", st == 403, body)
    p.ctl({"deny": ["ec2-instance-connect:OpenTunnel"]})
    host, path = p.url()
    st, obj, body, _ = p.refused(host, path)
    check("deny OpenTunnel: 403 AccessDeniedException, exact message",
          st == 403 and obj == {"ErrorCode": "AccessDeniedException",
                                "Message": DENIED}, body)
    p.ctl({"deny": [], "eice_state": {EICE_A: "create-in-progress"}})
    host, path = p.url()
    st, obj, body, _ = p.refused(host, path)
    check("endpoint create-in-progress: 409 IncorrectState",
          st == 409 and obj.get("ErrorCode") == "IncorrectState", body)
    p.ctl({"eice_state": {EICE_A: "update-in-progress"},
           "fail": {"api": "OpenTunnel", "code": "InternalServerException",
                    "status": 503}})
    st, obj, body, _ = p.refused(*p.url())
    check("forced OpenTunnel failure: 503 InternalServerException",
          st == 503 and obj.get("ErrorCode") == "InternalServerException",
          body)
    try:
        async with p.connect(*p.url()) as ws:
            b = await banner(ws)
    except (OSError, websockets.exceptions.WebSocketException) as e:
        b = e
    check("update-in-progress is usable", isinstance(b, bytes), b)
    p.ctl({"eice_state": {}})

    # the limit of concurrent connections
    p.ctl({"eice_max_connections": 2})
    w1 = await p.connect(*p.url())
    w2 = await p.connect(*p.url())
    st, obj, body, _ = p.refused(*p.url())
    check("third connection with eice_max_connections 2: 429 "
          "ThrottlingException", st == 429 and
          obj.get("ErrorCode") == "ThrottlingException", body)
    check("  /_emulator/eice: 2 open",
          p.eice_state()["connections"].get(EICE_A) == 2)
    host, path = p.url(eid=EICE_B, ip="10.0.1.6")
    w3 = await p.connect(host, path)
    check("  counted per endpoint: the other one still opens", True)
    await w1.close()
    await w3.close()
    for _ in range(50):
        if p.eice_state()["connections"].get(EICE_A) == 1:
            break
        await asyncio.sleep(0.1)
    try:
        async with p.connect(*p.url()) as ws:
            b = await banner(ws)
    except (OSError, websockets.exceptions.WebSocketException) as e:
        b = e
    check("  after one closed, another opens", isinstance(b, bytes), b)
    await w2.close()
    p.ctl({"eice_max_connections": 20})

    # closes after the upgrade
    async def closed_with(ws):
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 20)
        except websockets.exceptions.ConnectionClosed:
            pass
        return ws.close_code, ws.close_reason

    t0 = time.monotonic()
    async with p.connect(*p.url(duration=1)) as ws:
        code = await closed_with(ws)
    el = time.monotonic() - t0
    check("maxTunnelDuration 1: closed 1000 after %.2f s" % el,
          code == (1000, "") and 0.9 <= el < 5, code)
    p.ctl({"eice_refuse_target": {"10.0.4.1": True}})
    async with p.connect(*p.url(ip="10.0.4.1")) as ws:
        code = await closed_with(ws)
    check("eice_refuse_target: 101 then 1011 'Unable to connect to "
          "target'", code == (1011, "Unable to connect to target"), code)
    async with p.connect(*p.url(ip="10.0.3.1")) as ws:
        code = await closed_with(ws)
    check("stopped instance: 101 then 1011", code[0] == 1011, code)
    p.ctl({"eice_refuse_target": {}, "eice_drop_after_bytes": 10})
    async with p.connect(*p.url()) as ws:
        code = await closed_with(ws)
    check("eice_drop_after_bytes 10: TCP aborted, no close frame (1006)",
          code[0] == 1006, code)
    p.ctl({"eice_drop_after_bytes": 0})
    async with p.connect(*p.url()) as ws:
        await banner(ws)
        await ws.send("text")
        code = await closed_with(ws)
    check("text frame from the client: close 1003", code[0] == 1003, code)
    async with p.connect(*p.url()) as ws:
        await banner(ws)
        await ws.send(b"SSH-2.0-eiceprobe\r\n" + b"\0" * 64)
        code = await closed_with(ws)
    check("garbage to the sshd: sshd ends, close 1000", code[0] == 1000,
          code)
    await asyncio.sleep(0.3)
    L = [e for e in log_entries(info) if e["kind"] == "eice"]
    errs = [e.get("error") for e in L if e["event"] == "closed"]
    check("closed entries: duration_exceeded, target_refused, "
          "target_stopped, dropped", all(x in errs for x in (
              "duration_exceeded", "target_refused", "target_stopped",
              "dropped")), errs)
    check("refusals logged with status and error", [
        e for e in L if e["event"] == "upgrade" and e["status"] == 429 and
        e["error"] == "ThrottlingException"] and [
        e for e in L if e.get("status") == 403 and
        e.get("signature") == "invalid"])


async def proxy(p, ip, port):
    loop = asyncio.get_running_loop()
    async with p.connect(*p.url(ip=ip, port=port)) as ws:
        def pump():
            while True:
                b = os.read(0, 65536)
                if not b:
                    asyncio.run_coroutine_threadsafe(ws.close(1000), loop)
                    return
                asyncio.run_coroutine_threadsafe(ws.send(b),
                                                 loop).result()
        loop.run_in_executor(None, pump)
        try:
            async for m in ws:
                os.write(1, m)
        except websockets.exceptions.ConnectionClosed:
            pass
        if ws.close_code != 1000:
            sys.stderr.write("eiceprobe: tunnel closed %s %s\n" % (
                ws.close_code, ws.close_reason))
            os._exit(4)
    os._exit(0)


def main(argv):
    with open(os.path.join(argv[1], "emulator.json")) as f:
        info = json.load(f)
    if len(argv) == 5 and argv[2] == "--tunnel":
        asyncio.run(proxy(Probe(info), argv[3], int(argv[4])))
    vectors()
    p = Probe(info)
    try:
        fleet_checks(p)
        asyncio.run(tunnel_checks(p, info))
    finally:
        p.ctl({"reset": True})
    text = open(info["request_log"]).read()
    check("no signature or secret in the request log",
          "X-Amz-Signature" not in text and p.sk not in text and
          "tmp/Secret+1" not in text and "IQoJtoken" not in text)
    print("%d failed" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
