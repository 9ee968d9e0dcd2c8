#!/usr/bin/python3
"""Tiny reference client, used ONLY to self-test the emulator before
ssm-proxy exists.  An ssh ProxyCommand:

    pyclient.py [options] TARGET [PORT]

StartSession (SigV4) -> websocket -> OpenDataChannel -> handshake ->
relay stdin/stdout, with acks, in-order delivery, RTO resends, and a
ResumeSession reconnect when the websocket drops.  Configuration from the
environment as env.sh sets it (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN, AWS_REGION, AWS_ENDPOINT_URL_SSM, AWS_CA_BUNDLE,
HTTPS_PROXY).  Diagnostics go to stderr only.

Exit: 0 session ended normally, 2 API error, 3 websocket or handshake
failure, 4 session lost.
"""

import argparse
import asyncio
import collections
import datetime
import http.client
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import agentmsg as am  # noqa: E402
import sigv4  # noqa: E402

import websockets  # noqa: E402
import websockets.exceptions  # noqa: E402
import websockets.legacy.client  # noqa: E402

CLIENT_VERSION = "1.2.677.0"
VERBOSE = False


def say(fmt, *a):
    sys.stderr.write("pyclient: " + (fmt % a if a else fmt) + "\n")
    sys.stderr.flush()


def debug(fmt, *a):
    if VERBOSE:
        say(fmt, *a)


class ApiError(Exception):
    pass


def amz_now():
    return sigv4.fmt_amz_date(datetime.datetime.now(datetime.timezone.utc))


def proxy_socket(proxy, host, port):
    """An HTTP CONNECT tunnel to host:port through proxy (a URL)."""
    p = urllib.parse.urlsplit(proxy)
    s = socket.create_connection((p.hostname, p.port or 80), timeout=30)
    s.sendall(("CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" %
               (host, port, host, port)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = s.recv(4096)
        if not b:
            raise OSError("proxy closed the connection")
        buf += b
    status = buf.split(b"\r\n", 1)[0].split()
    if len(status) < 2 or status[1] != b"200":
        raise OSError("proxy refused CONNECT: %r" % buf.split(b"\r\n")[0])
    s.settimeout(None)
    return s


class Api:
    def __init__(self, args):
        self.endpoint = args.endpoint
        self.region = args.region
        self.ak = os.environ.get("AWS_ACCESS_KEY_ID")
        self.sk = os.environ.get("AWS_SECRET_ACCESS_KEY")
        self.token = os.environ.get("AWS_SESSION_TOKEN") or None
        self.proxy = args.proxy
        self.ctx = ssl.create_default_context(cafile=args.ca_file)
        if not (self.ak and self.sk and self.endpoint and self.region):
            raise ApiError("need AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
                           "AWS_REGION and AWS_ENDPOINT_URL_SSM")

    def call(self, op, body):
        u = urllib.parse.urlsplit(self.endpoint)
        port = u.port or 443
        data = json.dumps(body, separators=(",", ":")).encode()
        hs = [("Host", u.netloc),
              ("Content-Type", "application/x-amz-json-1.1"),
              ("X-Amz-Target", "AmazonSSM." + op)]
        hs += sigv4.sign("POST", "/", "", hs, data, self.ak, self.sk,
                         self.region, "ssm", amz_now(), self.token)
        if self.proxy:
            p = urllib.parse.urlsplit(self.proxy)
            c = http.client.HTTPSConnection(p.hostname, p.port or 80,
                                            context=self.ctx, timeout=30)
            c.set_tunnel(u.hostname, port)
        else:
            c = http.client.HTTPSConnection(u.hostname, port,
                                            context=self.ctx, timeout=30)
        try:
            c.putrequest("POST", "/", skip_host=True,
                         skip_accept_encoding=True)
            for n, v in hs:
                c.putheader(n, v)
            c.putheader("Content-Length", str(len(data)))
            c.putheader("User-Agent", "ssm-proxy-emulator-pyclient/1")
            c.endheaders(data)
            r = c.getresponse()
            text = r.read()
        finally:
            c.close()
        if r.status != 200:
            # error code as the Go SDK finds it (AWS-APIS.md "Error responses")
            code = r.getheader("X-Amzn-ErrorType")
            msg = ""
            try:
                obj = json.loads(text)
                code = code or obj.get("__type") or obj.get("code")
                msg = obj.get("message") or obj.get("Message") or ""
            except ValueError:
                pass
            code = (code or "HTTP%d" % r.status).split(":")[0]
            code = code.rsplit("#", 1)[-1]
            raise ApiError("%s failed: %s: %s" % (op, code, msg))
        return json.loads(text)


class Client:
    def __init__(self, args, api):
        self.args = args
        self.api = api
        self.ctx = api.ctx
        self.ws = None
        self.client_id = str(uuid.uuid4())
        self.out_seq = 0
        self.out_buf = collections.OrderedDict()   # seq -> [frame, sent]
        self.rtt = am.RttEstimator()
        self.expected = 0
        self.in_buf = {}
        self.hs_done = asyncio.Event()
        self.closed = asyncio.Event()
        self.lost = asyncio.Event()
        self.exit_code = 0
        self.session_id = None
        self.stream_url = None

    async def connect(self, token):
        su = urllib.parse.urlsplit(self.stream_url)
        extra = []
        if self.args.sign_ws:
            extra = sigv4.sign("GET", su.path, su.query,
                               [("Host", su.netloc)], None, self.api.ak,
                               self.api.sk, self.api.region, "ssmmessages",
                               amz_now(), self.api.token)
        kw = {}
        if self.args.proxy:
            loop = asyncio.get_running_loop()
            kw["sock"] = await loop.run_in_executor(
                None, proxy_socket, self.args.proxy, su.hostname,
                su.port or 443)
            kw["server_hostname"] = su.hostname
        ws = await websockets.legacy.client.connect(
            self.stream_url, ssl=self.ctx, extra_headers=extra,
            compression=None, max_size=None, ping_interval=None,
            open_timeout=30, close_timeout=2, **kw)
        await ws.send(am.open_data_channel(token, uuid.uuid4(),
                                           self.client_id, CLIENT_VERSION))
        self.ws = ws
        debug("websocket open")
        return ws

    async def send_raw(self, frame):
        ws = self.ws
        if ws is None:
            return
        try:
            await ws.send(frame)
        except websockets.exceptions.ConnectionClosed:
            pass

    async def send_stream(self, pt, payload):
        seq = self.out_seq
        self.out_seq += 1
        msg = am.AgentMessage(am.INPUT_STREAM_DATA, seq, 0, None, pt,
                              payload, int(time.time() * 1000))
        frame = am.encode(msg)
        self.out_buf[seq] = [frame, time.monotonic()]
        await self.send_raw(frame)

    async def ack(self, msg):
        await self.send_raw(am.encode(am.make_ack(msg,
                                                  int(time.time() * 1000))))

    async def resend_loop(self):
        while True:
            await asyncio.sleep(0.1)
            if not self.out_buf or self.ws is None:
                continue
            seq, ent = next(iter(self.out_buf.items()))
            now = time.monotonic()
            if now - ent[1] > self.rtt.rto:
                ent[1] = now
                debug("resend seq %d", seq)
                await self.send_raw(ent[0])

    async def on_frame(self, data):
        if isinstance(data, str):
            data = data.encode()
        try:
            msg = am.decode(data, strict=False)
        except am.FrameError as e:
            say("bad frame dropped: %s", e)
            return
        if msg.message_type not in (am.START_PUBLICATION,
                                    am.PAUSE_PUBLICATION) and \
                msg.payload and not msg.digest_ok:
            say("digest mismatch, frame dropped")
            return
        t = msg.message_type
        if t == am.ACKNOWLEDGE:
            _, _, seq = am.parse_ack(msg.payload)
            ent = self.out_buf.pop(seq, None)
            if ent is not None:
                self.rtt.update((time.monotonic() - ent[1]) * 1e9)
        elif t == am.CHANNEL_CLOSED:
            try:
                out = json.loads(msg.payload).get("Output") or ""
            except ValueError:
                out = ""
            say("channel_closed%s", (": " + out) if out else "")
            self.closed.set()
        elif t == am.OUTPUT_STREAM_DATA:
            await self.on_output(msg)
        else:
            debug("ignoring %s", t)

    async def on_output(self, msg):
        s = msg.sequence_number
        if s < self.expected:
            await self.ack(msg)         # re-ack duplicates
            return
        if s > self.expected:
            self.in_buf.setdefault(s, msg)
            await self.ack(msg)
            return
        if not await self.deliver(msg, True):
            return
        self.expected += 1
        while self.expected in self.in_buf:
            await self.deliver(self.in_buf.pop(self.expected), False)
            self.expected += 1

    async def deliver(self, msg, ack):
        pt = msg.payload_type
        if pt in (am.PT_HANDSHAKE_REQUEST, am.PT_HANDSHAKE_COMPLETE):
            if ack:
                await self.ack(msg)
            if pt == am.PT_HANDSHAKE_REQUEST:
                await self.handshake(msg)
            else:
                cm = json.loads(msg.payload).get("CustomerMessage")
                if cm:
                    say("%s", cm)
                self.hs_done.set()
                debug("handshake complete")
            return True
        if pt == am.PT_OUTPUT:
            if not self.hs_done.is_set():
                return False            # not ready: no ack, no advance
            view = memoryview(msg.payload)
            while view:
                n = os.write(1, view)
                view = view[n:]
        else:
            debug("ignoring payload type %d", pt)
        if ack:
            await self.ack(msg)
        return True

    async def handshake(self, msg):
        req = json.loads(msg.payload)
        actions, errors = [], []
        for a in req.get("RequestedClientActions") or []:
            at = a.get("ActionType")
            if at == "SessionType":
                st = a["ActionParameters"]["SessionType"]
                props = a["ActionParameters"].get("Properties") or {}
                if st == "Port" and "type" not in props:
                    actions.append({"ActionType": at, "ActionStatus": 1,
                                    "ActionResult": None, "Error": ""})
                else:
                    e = "Unsupported session type %s %r" % (st, props)
                    errors.append(e)
                    actions.append({"ActionType": at, "ActionStatus": 2,
                                    "ActionResult": None, "Error": e})
            else:
                e = "Unsupported action %s" % at
                errors.append(e)
                actions.append({"ActionType": at, "ActionStatus": 3,
                                "ActionResult": None, "Error": e})
        await self.send_stream(am.PT_HANDSHAKE_RESPONSE,
                               am.handshake_response_payload(
                                   CLIENT_VERSION, actions, errors or None))

    async def reader(self, ws):
        try:
            async for data in ws:
                await self.on_frame(data)
                if self.closed.is_set():
                    return
        except websockets.exceptions.ConnectionClosed:
            pass
        if not self.closed.is_set():
            self.lost.set()

    async def stdin_pump(self):
        loop = asyncio.get_running_loop()
        q = asyncio.Queue()

        def rd():
            while True:
                try:
                    b = os.read(0, 1024)
                except OSError:
                    b = b""
                loop.call_soon_threadsafe(q.put_nowait, b)
                if not b:
                    return
        threading.Thread(target=rd, daemon=True).start()
        await self.hs_done.wait()
        while True:
            b = await q.get()
            if not b:
                break
            await self.send_stream(am.PT_OUTPUT, b)
        debug("stdin EOF")
        deadline = time.monotonic() + 5
        while self.out_buf and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await self.send_stream(am.PT_FLAG,
                               am.flag_payload(am.FLAG_TERMINATE_SESSION))
        try:
            await asyncio.wait_for(self.closed.wait(), 3)
        except asyncio.TimeoutError:
            pass
        self.closed.set()

    async def run(self, target, port):
        body = {"Target": target, "DocumentName": self.args.document}
        if port is not None:
            body["Parameters"] = {"portNumber": [str(port)]}
        r = self.api.call("StartSession", body)
        self.session_id = r["SessionId"]
        self.stream_url = r["StreamUrl"]
        debug("session %s", self.session_id)
        ws = await self.connect(r["TokenValue"])
        tasks = [asyncio.ensure_future(self.reader(ws)),
                 asyncio.ensure_future(self.resend_loop()),
                 asyncio.ensure_future(self.stdin_pump())]
        try:
            while True:
                lost = asyncio.ensure_future(self.lost.wait())
                done = asyncio.ensure_future(self.closed.wait())
                await asyncio.wait([lost, done],
                                   timeout=self.args.handshake_timeout
                                   if not self.hs_done.is_set() else None,
                                   return_when=asyncio.FIRST_COMPLETED)
                lost.cancel()
                done.cancel()
                if self.closed.is_set():
                    return 0
                if not self.lost.is_set():
                    if self.hs_done.is_set():
                        continue
                    say("no handshake within %ss",
                        self.args.handshake_timeout)
                    return 3
                self.lost.clear()
                self.ws = None
                ws = await self.reconnect()
                if ws is None:
                    return 4
                tasks.append(asyncio.ensure_future(self.reader(ws)))
                for seq, ent in list(self.out_buf.items()):
                    ent[1] = time.monotonic()
                    await self.send_raw(ent[0])
        finally:
            for t in tasks:
                t.cancel()
            if self.ws is not None:
                try:
                    await asyncio.wait_for(self.ws.close(), 2)
                except Exception:
                    pass

    async def reconnect(self):
        delay = 0.1
        for attempt in range(6):
            try:
                r = await asyncio.get_running_loop().run_in_executor(
                    None, self.api.call, "ResumeSession",
                    {"SessionId": self.session_id})
                if not r.get("TokenValue"):
                    say("Session: %s timed out.", self.session_id)
                    return None
                say("reconnecting (attempt %d)", attempt + 1)
                return await self.connect(r["TokenValue"])
            except ApiError as e:
                say("%s", e)
                if "DoesNotExistException" in str(e):
                    return None
            except (OSError, websockets.exceptions.WebSocketException,
                    asyncio.TimeoutError) as e:
                say("reconnect failed: %s", e)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5)
        return None


def main():
    global VERBOSE
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--endpoint", default=os.environ.get(
        "AWS_ENDPOINT_URL_SSM"))
    p.add_argument("--region", default=os.environ.get("AWS_REGION"))
    p.add_argument("--ca-file", default=os.environ.get("AWS_CA_BUNDLE"))
    p.add_argument("--proxy", default=os.environ.get("HTTPS_PROXY") or
                   os.environ.get("https_proxy"))
    p.add_argument("--document", default="AWS-StartSSHSession")
    p.add_argument("--sign-ws", action="store_true",
                   help="SigV4-sign the websocket upgrade (ssmmessages)")
    p.add_argument("--handshake-timeout", type=float, default=30)
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("target")
    p.add_argument("port", nargs="?", type=int)
    args = p.parse_args()
    VERBOSE = args.verbose
    try:
        api = Api(args)
        return asyncio.run(Client(args, api).run(args.target, args.port))
    except ApiError as e:
        say("%s", e)
        return 2
    except (OSError, websockets.exceptions.WebSocketException,
            asyncio.TimeoutError) as e:
        say("websocket: %s", e)
        return 3
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
