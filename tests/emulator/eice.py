"""The emulator's EC2 Instance Connect Endpoint: the openTunnel websocket.

A client opens wss://<endpoint DNS name>/openTunnel?... with a SigV4
query-string signature (service ec2-instance-connect); after the 101 the
websocket carries the raw bytes of one TCP connection to the instance,
which here is always the emulator's sshd.  Behaviour, status codes and
close codes: tests/emulator/README.md "EC2 Instance Connect Endpoint".
The endpoints themselves are in fleet.py.  Independent of the C code.
"""

import asyncio
import http
import ipaddress
import json
import logging
import re
import time
import uuid

import fleet as fl
import sigv4

import websockets
import websockets.exceptions
import websockets.legacy.server
from websockets.legacy.server import WebSocketServerProtocol

log = logging.getLogger("emulator.eice")

MAIN = "eice-0123456789abcdef0"      # the emulator's region, subnet a1
SUBNET_B = "eice-0fedcba9876543210"  # same VPC, subnet a2
EU = "eice-0eeeeeeeeeeeeeee0"        # eu-west-1
SERVICE = "ec2-instance-connect"
PATH = "/openTunnel"
PORTS = (22, 3389)
MAX_DURATION = 3600
PARAMS = ("instanceConnectEndpointId", "remotePort", "privateIpAddress",
          "maxTunnelDuration")
BAD_PORT = ("The specified RemotePort is not valid. Specify either 22 or "
            "3389 as the RemotePort and retry your request.")
REFUSED_REASON = "Unable to connect to target"
TEXT_REASON = "Text frames are not supported"
CLOSE_OK, CLOSE_UNSUPPORTED, CLOSE_ERROR = 1000, 1003, 1011


def cert_names(regions):
    """subjectAltName entries covering every endpoint name."""
    out = []
    for r in regions:
        out += ["DNS:*.ec2-instance-connect-endpoint.%s.amazonaws.com" % r,
                "DNS:*.fips.ec2-instance-connect-endpoint.%s.amazonaws.com"
                % r]
    return ",".join(out)


def same_ip(a, b):
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return False


class Refused(Exception):
    def __init__(self, status, code, message):
        Exception.__init__(self, "%d %s: %s" % (status, code, message))
        self.status = status
        self.code = code
        self.message = message


class Eice:

    def __init__(self, emu):
        self.emu = emu
        self.open = {}          # endpoint id -> number of open tunnels
        self.total = {}         # endpoint id -> tunnels opened
        self.tunnels = []       # summaries of open tunnels

    @property
    def knobs(self):
        return self.emu.knobs

    def dns(self, eid, fips=False):
        for r in self.emu.fleet.regions:
            for e in self.emu.fleet.endpoints(r, self.knobs):
                if e["id"] == eid:
                    return e["fips_dns" if fips else "dns"]
        return ""

    def summary(self):
        return [{"id": e["id"], "region": r, "vpc": e["vpc"],
                 "subnet": e["subnet"], "dns": e["dns"],
                 "fips_dns": e["fips_dns"]}
                for r in self.emu.fleet.regions
                for e in self.emu.fleet.endpoints(r, self.knobs)]

    def state(self):
        """GET /_emulator/eice."""
        return {"connections": dict(self.open), "opened": dict(self.total),
                "max_connections": int(self.knobs["eice_max_connections"]),
                "tunnels": list(self.tunnels)}

    # -- the server --------------------------------------------------------
    def ssl_context(self):
        ctx = self.emu.ssl_context()

        def sni(obj, name, _ctx):
            obj.emu_sni = name
        ctx.sni_callback = sni
        return ctx

    async def serve(self):
        me = self

        class Proto(WebSocketServerProtocol):
            def __init__(self, *a, **kw):
                WebSocketServerProtocol.__init__(self, *a, **kw)
                self.eice = None
                self.eice_rid = str(uuid.uuid4())
                self.extra_headers = lambda p, h: [
                    ("x-amzn-RequestId", self.eice_rid)]

            async def process_request(self, path, headers):
                return me.process_request(self, path, headers)

            def connection_lost(self, exc):
                me.release(self.eice)
                WebSocketServerProtocol.connection_lost(self, exc)

        return await websockets.legacy.server.serve(
            self.handler, "127.0.0.1", 0, ssl=self.ssl_context(),
            create_protocol=Proto, compression=None, max_size=1 << 20,
            ping_interval=None, close_timeout=2)

    def release(self, t):
        if t is None or t["released"]:
            return
        t["released"] = True
        self.open[t["endpoint"]] -= 1
        if t["summary"] in self.tunnels:
            self.tunnels.remove(t["summary"])

    # -- the upgrade -------------------------------------------------------
    def process_request(self, proto, path, headers):
        raw_path, _, raw_query = path.partition("?")
        peer = proto.transport.get_extra_info("peername")
        sslobj = proto.transport.get_extra_info("ssl_object")
        entry = {"kind": "eice", "event": "upgrade", "path": raw_path,
                 "request_id": proto.eice_rid,
                 "via_proxy": bool(peer) and peer[1] in
                 self.emu.proxy_ports,
                 "host": headers.get("Host"),
                 "sni": getattr(sslobj, "emu_sni", None),
                 "endpoint": None, "ip": None, "port": None,
                 "duration": None, "signature_ok": False, "status": None,
                 "error": None}
        try:
            t = self.admit(proto, raw_path, raw_query, headers, entry)
        except Refused as e:
            entry.update(status=e.status, error=e.code,
                         error_message=e.message)
            self.emu.request_log(entry)
            body = json.dumps({"ErrorCode": e.code, "Message": e.message})
            return (http.HTTPStatus(e.status),
                    [("Content-Type", "application/json"),
                     ("x-amzn-RequestId", proto.eice_rid)],
                    body.encode())
        entry["status"] = 101
        self.emu.request_log(entry)
        proto.eice = t
        return None

    def admit(self, proto, raw_path, raw_query, headers, entry):
        """Checks in the service's order; returns the tunnel or raises
        Refused."""
        emu, knobs = self.emu, self.knobs
        if raw_path != PATH:
            raise Refused(404, "ResourceNotFoundException",
                          "No such path %s; the tunnel is opened at %s"
                          % (raw_path[:100], PATH))
        q = {}
        for k, v in sigv4.query_pairs(raw_query):
            if k in q:
                raise Refused(400, "InvalidParameter", "The parameter %s "
                              "is given more than once." % k)
            q[k] = v
        v = sigv4.verify_presigned(
            "GET", raw_path, raw_query, list(headers.raw_items()),
            emu.lookup_cred, emu.fleet.regions, SERVICE, emu.now(),
            knobs["skew"])
        entry.update(signature=v.signature, access_key=v.access_key,
                     region=v.region, token_present=v.token_present,
                     amz_date=v.amz_date,
                     expires=q.get("X-Amz-Expires"))
        if v.code:
            if v.canonical_request is not None:
                emu.debug_sig("eice-" + proto.eice_rid, v)
            status = 400 if v.code == "IncompleteSignature" else 403
            raise Refused(status, v.code, v.message)
        exp = emu.creds[v.access_key].get("expires_at")
        if exp is not None and emu.now().timestamp() >= exp:
            raise Refused(403, "ExpiredTokenException", "The security "
                          "token included in the request is expired")
        entry["signature_ok"] = True
        for k in q:
            if k not in PARAMS and not k.startswith("X-Amz-"):
                raise Refused(400, "InvalidParameter", "The parameter %s "
                              "is not recognized." % k[:100])
        for k in PARAMS[:3]:
            if not q.get(k):
                raise Refused(400, "InvalidParameter", "The request must "
                              "contain the parameter %s." % k)
        eid, ip = q["instanceConnectEndpointId"], q["privateIpAddress"]
        entry.update(endpoint=eid, ip=ip, port=q["remotePort"],
                     duration=q.get("maxTunnelDuration"))
        host = headers.get("Host") or ""
        where = emu.fleet.endpoint_by_host(host, knobs)
        if where is None or where[0] != v.region:
            raise Refused(400, "InvalidParameter", "The Host header %r is "
                          "not the DNS name of an EC2 Instance Connect "
                          "Endpoint in %s." % (host[:200], v.region))
        region, ep = where
        if ep["id"] != eid:
            raise Refused(400, "InvalidParameter", "The specified "
                          "InstanceConnectEndpointId %s does not match the "
                          "endpoint %s of the Host header." % (eid[:40],
                                                               ep["id"]))
        if entry["sni"] != host:
            raise Refused(421, "MisdirectedRequest", "The TLS server name "
                          "(SNI) %r does not match the Host header %r."
                          % (entry["sni"], host[:200]))
        f = emu.take_forced("OpenTunnel")
        if f is not None:
            entry["forced"] = True
            code = f.get("code", "InternalServerException")
            raise Refused(int(f.get("status", 500)), code, f.get(
                "message", "Forced by the emulator (%s)" % code))
        arn = "arn:aws:ec2:%s:123456789012:instance-connect-endpoint/%s" % (
            region, eid)
        if emu.creds[v.access_key].get("denied") or \
                "%s:OpenTunnel" % SERVICE in knobs["deny"]:
            raise Refused(403, "AccessDeniedException", "User: arn:aws:iam::"
                          "123456789012:user/emu is not authorized to "
                          "perform: ec2-instance-connect:OpenTunnel on "
                          "resource: %s because no identity-based policy "
                          "allows the ec2-instance-connect:OpenTunnel "
                          "action" % arn)
        if ep["state"] not in fl.EICE_USABLE:
            raise Refused(409, "IncorrectState", "The EC2 Instance Connect "
                          "Endpoint %s is in state %s and cannot open "
                          "tunnels. Retry when it is create-complete."
                          % (eid, ep["state"]))
        if not re.fullmatch(r"\d{1,5}", q["remotePort"]) or \
                int(q["remotePort"]) not in PORTS:
            raise Refused(400, "InvalidParameter", BAD_PORT)
        port = int(q["remotePort"])
        dur = q.get("maxTunnelDuration")
        if dur is not None and (not re.fullmatch(r"\d{1,5}", dur) or
                                not 1 <= int(dur) <= MAX_DURATION):
            raise Refused(400, "InvalidParameter", "The specified "
                          "MaxTunnelDuration is not valid. Specify a value "
                          "from 1 to 3600 seconds and retry your request.")
        inst = self.instance(region, ep["vpc"], ip)
        if inst is None:
            raise Refused(400, "InvalidParameter", "The specified "
                          "PrivateIpAddress is not valid. Specify the "
                          "address of an instance in %s, the VPC of %s, "
                          "and retry your request." % (ep["vpc"], eid))
        cap = int(knobs["eice_max_connections"])
        if self.open.get(eid, 0) >= cap:
            raise Refused(429, "ThrottlingException", "The maximum number "
                          "of concurrent connections (%d) to the EC2 "
                          "Instance Connect Endpoint %s has been reached. "
                          "Close a connection and retry your request."
                          % (cap, eid))
        entry.update(port=port, duration=int(dur) if dur else MAX_DURATION)
        self.open[eid] = self.open.get(eid, 0) + 1
        self.total[eid] = self.total.get(eid, 0) + 1
        t = {"endpoint": eid, "ip": ip, "port": port, "instance": inst,
             "duration": int(dur) if dur else MAX_DURATION,
             "entry": entry, "released": False,
             "summary": {"endpoint": eid, "ip": ip, "port": port,
                         "instance": inst["id"], "request_id":
                         proto.eice_rid, "opened": time.time()}}
        self.tunnels.append(t["summary"])
        return t

    def instance(self, region, vpc, ip):
        """The instance of the VPC with that IPv4 or IPv6 address (not a
        terminated one), or None."""
        for i in self.emu.fleet.listing(region, self.knobs):
            if i["vpc"] == vpc and i["state"] != "terminated" and \
                    any(a and same_ip(a, ip) for a in (i["ip"], i["ipv6"])):
                return i
        return None

    # -- after the 101 -----------------------------------------------------
    async def handler(self, ws):
        t = getattr(ws, "eice", None)
        if t is None:
            await ws.close(CLOSE_ERROR, "no tunnel")
            return
        res = {"kind": "eice", "event": "closed", "endpoint": t["endpoint"],
               "host": t["entry"]["host"], "ip": t["ip"], "port": t["port"],
               "instance": t["instance"]["id"], "duration": t["duration"],
               "signature_ok": True, "request_id": ws.eice_rid,
               "bytes_up": 0, "bytes_down": 0, "close_code": None,
               "close_reason": None, "closed_by": None, "error": None}
        t0 = time.monotonic()
        try:
            await self.relay(ws, t, res)
        except Exception as e:      # never leave the client hanging
            log.exception("eice relay failed")
            res["error"] = "emulator bug: %s" % e
            ws.transport.abort()
        finally:
            self.release(t)
            res["elapsed"] = round(time.monotonic() - t0, 3)
            self.emu.request_log(res)

    async def end(self, ws, res, code, reason, by):
        res.update(close_code=code, close_reason=reason, closed_by=by)
        await self.emu.close_ws(ws, code, reason)

    async def relay(self, ws, t, res):
        inst = t["instance"]
        refuse = self.knobs["eice_refuse_target"] or {}
        if inst["state"] != "running" or refuse.get(t["ip"]) or \
                any(same_ip(a, t["ip"]) and refuse[a] for a in refuse):
            res["error"] = "target_refused" if inst["state"] == "running" \
                else "target_" + inst["state"]
            await self.end(ws, res, CLOSE_ERROR, REFUSED_REASON, "emulator")
            return
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", self.emu.sshd_port)
        except OSError as e:
            res["error"] = "dial_failed: %s" % e
            await self.end(ws, res, CLOSE_ERROR, REFUSED_REASON, "emulator")
            return
        drop = int(self.knobs["eice_drop_after_bytes"] or 0)
        done = asyncio.Event()
        why = {}

        def over():
            return drop and res["bytes_up"] + res["bytes_down"] >= drop

        async def up():
            try:
                async for msg in ws:
                    if isinstance(msg, str):
                        why.setdefault("text", True)
                        return
                    writer.write(msg)
                    res["bytes_up"] += len(msg)
                    await writer.drain()
                    if over():
                        why.setdefault("drop", True)
                        return
                why.setdefault("client", True)
            except websockets.exceptions.ConnectionClosed:
                why.setdefault("client", True)
            except OSError:
                why.setdefault("target", True)
            finally:
                done.set()

        async def down():
            try:
                while True:
                    data = await reader.read(65536)
                    if not data:
                        why.setdefault("target", True)
                        return
                    await ws.send(data)
                    res["bytes_down"] += len(data)
                    if over():
                        why.setdefault("drop", True)
                        return
            except websockets.exceptions.ConnectionClosed:
                why.setdefault("client", True)
            except OSError:
                why.setdefault("target", True)
            finally:
                done.set()

        async def timer():
            await asyncio.sleep(t["duration"])
            why.setdefault("duration", True)
            done.set()

        tasks = [asyncio.ensure_future(c) for c in (up(), down(), timer())]
        try:
            await done.wait()
        finally:
            for k in tasks:
                k.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        first = next(iter(why))
        if first == "drop":
            res.update(error="dropped", closed_by="emulator")
            ws.transport.abort()
        elif first == "text":
            await self.end(ws, res, CLOSE_UNSUPPORTED, TEXT_REASON,
                           "emulator")
        elif first == "client":
            res.update(close_code=ws.close_code, close_reason=ws.close_reason,
                       closed_by="client")
        elif first == "duration":
            res["error"] = "duration_exceeded"
            await self.end(ws, res, CLOSE_OK, "", "emulator")
        else:
            await self.end(ws, res, CLOSE_OK, "", "emulator")
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 2)
        except (asyncio.TimeoutError, OSError):
            pass

