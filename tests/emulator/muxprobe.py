#!/usr/bin/python3
"""Multiplexed port sessions of a running emulator, for
emulator-selftest.sh (README "Multiplexed port sessions").

    muxprobe.py STATE_DIR

A client of its own: the data channel from pyclient.Client, and a
minimal smux version 1 client written here from the frame layout (8-byte
header: version 1, command SYN 0 / FIN 1 / PSH 2 / NOP 3, little-endian
16-bit length and 32-bit stream id, then the data), for this test only.
The server side is build/smuxd, the real xtaci/smux.  Checks, printing
"ok ..." or "FAIL ..." per check; exit 1 if any failed:
  * AWS-StartPortForwardingSessionToRemoteHost's parameters are checked;
  * its HandshakeRequest announces Properties host, localPortNumber,
    portNumber and type LocalPortForwarding;
  * ClientVersion 1.2.764.0: two streams to db.internal each read sshd's
    banner, exchange bytes, and a FIN is answered by a FIN; keepalives
    off; app.internal reaches the second sshd (banner "emu-sshd2");
  * closed.internal and an unmapped host: each stream gets the Flag
    ConnectToPortError (3) before its FIN, and the session lives on;
  * ClientVersion 1.2.331.0 keeps keepalives; 1.1.69.0 gets the plain
    stream of the host (no smux);
  * the TerminateSession flag ends the session and its smuxd; a frame
    of another smux version ends smuxd's session and so the session.
"""

import asyncio
import json
import os
import struct
import sys

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import agentmsg as am  # noqa: E402
import pyclient  # noqa: E402

DOC = "AWS-StartPortForwardingSessionToRemoteHost"
TARGET = "i-0123456789abcdef0"
SYN, FIN, PSH, NOP = 0, 1, 2, 3
WAIT = 15
failed = 0


def check(what, cond, detail=""):
    global failed
    if cond:
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL %s %s" % (what, detail))


def smux(cmd, sid, data=b""):
    return struct.pack("<BBHI", 1, cmd, len(data), sid) + data


class Args:
    pass


class MuxClient(pyclient.Client):
    """A data channel whose stream data is decoded as smux frames (or
    kept raw: basic mode); every frame and flag lands in self.got."""

    def __init__(self, args, api, version):
        super().__init__(args, api)
        self.version = version
        self.props = None
        self.dec = bytearray()
        self.raw = bytearray()
        self.got = []           # ("flag", v) | ("smux", cmd, sid, data)
        self.changed = asyncio.Event()

    async def handshake(self, msg):
        req = json.loads(msg.payload)
        acts = []
        for a in req.get("RequestedClientActions") or []:
            if a.get("ActionType") == "SessionType":
                self.props = a["ActionParameters"].get("Properties")
            acts.append({"ActionType": a.get("ActionType"),
                         "ActionStatus": 1, "ActionResult": None,
                         "Error": ""})
        await self.send_stream(am.PT_HANDSHAKE_RESPONSE,
                               am.handshake_response_payload(
                                   self.version, acts))

    async def deliver(self, msg, ack):
        pt = msg.payload_type
        if pt not in (am.PT_OUTPUT, am.PT_FLAG):
            return await super().deliver(msg, ack)
        if not self.hs_done.is_set():
            return False
        if pt == am.PT_FLAG:
            self.got.append(("flag", int.from_bytes(msg.payload, "big")))
        else:
            self.raw += msg.payload
            self.dec += msg.payload
            while len(self.dec) >= 8:
                ver, cmd, n, sid = struct.unpack_from("<BBHI", self.dec)
                if len(self.dec) < 8 + n:
                    break
                self.got.append(("smux", cmd, sid,
                                 bytes(self.dec[8:8 + n])))
                del self.dec[:8 + n]
        self.changed.set()
        if ack:
            await self.ack(msg)
        return True

    async def start(self, host, port="22", extra=None):
        params = {"host": [host], "portNumber": [port]}
        params.update(extra or {})
        r = self.api.call("StartSession", {"Target": TARGET,
                                           "DocumentName": DOC,
                                           "Parameters": params})
        self.session_id = r["SessionId"]
        self.stream_url = r["StreamUrl"]
        ws = await self.connect(r["TokenValue"])
        self.tasks = [asyncio.ensure_future(self.reader(ws)),
                      asyncio.ensure_future(self.resend_loop())]
        await asyncio.wait_for(self.hs_done.wait(), WAIT)

    async def until(self, pred):
        """Wait (bounded) until pred() is true; its last value."""
        loop = asyncio.get_running_loop()
        end = loop.time() + WAIT
        while True:
            v = pred()
            if v or loop.time() > end:
                return v
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(),
                                       max(0.01, end - loop.time()))
            except asyncio.TimeoutError:
                pass

    def data(self, sid):
        return b"".join(g[3] for g in self.got
                        if g[0] == "smux" and g[1] == PSH and g[2] == sid)

    def index(self, *want):
        for i, g in enumerate(self.got):
            if g[:len(want)] == want:
                return i
        return None

    async def send(self, cmd, sid, data=b""):
        await self.send_stream(am.PT_OUTPUT, smux(cmd, sid, data))

    async def close(self):
        await self.send_stream(am.PT_FLAG, am.flag_payload(
            am.FLAG_TERMINATE_SESSION))
        try:
            await asyncio.wait_for(self.closed.wait(), WAIT)
        except asyncio.TimeoutError:
            pass
        for t in self.tasks:
            t.cancel()
        if self.ws is not None:
            await self.ws.close()


def log_events(info, sid):
    with open(info["request_log"]) as f:
        return [e for e in map(json.loads, f)
                if e.get("session_id") == sid and e["kind"] == "session"]


async def wait_log(info, sid, event):
    for _ in range(WAIT * 20):
        ev = [e for e in log_events(info, sid) if e["event"] == event]
        if ev:
            return ev
        await asyncio.sleep(0.05)
    return []


def banner(b):
    return b.startswith(b"SSH-2.0-") and b"\r\n" in b


async def validation(api):
    for what, params in (
            ("without host", {"portNumber": ["22"]}),
            ("host with ';'", {"host": ["a;b.internal"]}),
            ("an unknown parameter", {"host": ["db.internal"],
                                      "command": ["x"]})):
        try:
            api.call("StartSession", {"Target": TARGET, "DocumentName": DOC,
                                      "Parameters": params})
            err = ""
        except pyclient.ApiError as e:
            err = str(e)
        check("%s %s: ValidationException" % (DOC, what),
              "ValidationException" in err, err)


async def db_two_streams(info, mk):
    c = mk("1.2.764.0")
    await c.start("db.internal")
    check("handshake Properties: host, localPortNumber, portNumber, "
          "type LocalPortForwarding",
          c.props == {"host": "db.internal", "localPortNumber": "0",
                      "portNumber": "22", "type": "LocalPortForwarding"},
          repr(c.props))
    await c.send(SYN, 1)
    await c.send(SYN, 3)
    await c.until(lambda: banner(c.data(1)) and banner(c.data(3)))
    b1, b3 = c.data(1), c.data(3)
    check("db.internal: two smux streams, each an sshd banner",
          banner(b1) and banner(b3) and b"emu-sshd2" not in b1 + b3,
          repr((b1[:40], b3[:40])))
    n1, n3 = len(b1), len(b3)
    await c.send(PSH, 1, b"SSH-2.0-muxprobe\r\n")
    await c.send(PSH, 3, b"SSH-2.0-muxprobe\r\n")
    ok = await c.until(lambda: len(c.data(1)) > n1 + 100 and
                       len(c.data(3)) > n3 + 100)
    check("  both streams answer our banner with a KEXINIT", ok,
          "%d %d" % (len(c.data(1)) - n1, len(c.data(3)) - n3))
    await c.send(FIN, 1)
    ok = await c.until(lambda: c.index("smux", FIN, 1) is not None)
    check("  FIN on stream 1 is answered by a FIN", ok)
    check("  stream 3 still open (no FIN)",
          c.index("smux", FIN, 3) is None)
    ev = await wait_log(info, c.session_id, "mux_started")
    check("  log: mux_started, dialled sshd",
          ev and ev[0]["dial_port"] == info["sshd_port"] and
          ev[0]["client_version"] == "1.2.764.0", repr(ev))
    ev = await wait_log(info, c.session_id, "smux_ready")
    check("  log: smuxd's smux_ready, version 1, keepalive off",
          ev and ev[0]["keepalive"] is False and ev[0]["version"] == 1,
          repr(ev))
    ev = await wait_log(info, c.session_id, "smux_stream_closed")
    check("  log: smux_stream_closed for stream 1",
          ev and ev[0]["stream"] == 1 and ev[0]["bytes_up"] == 18, repr(ev))
    await c.close()
    check("  TerminateSession flag: channel_closed", c.closed.is_set())
    ev = await wait_log(info, c.session_id, "smux_exit")
    check("  log: smuxd exited with the session", bool(ev), repr(ev))


async def app_second_sshd(info, mk):
    c = mk("1.2.764.0")
    await c.start("app.internal", str(info["sshd_port"]))
    await c.send(SYN, 1)
    b = await c.until(lambda: banner(c.data(1)) and c.data(1))
    check("app.internal: the second sshd's banner (emu-sshd2)",
          b and b"emu-sshd2" in b, repr(b))
    await c.close()


async def refused(info, mk, host, why):
    c = mk("1.2.764.0")
    await c.start(host)
    await c.send(SYN, 1)
    ok = await c.until(lambda: c.index("smux", FIN, 1) is not None)
    fl = c.index("flag", am.FLAG_CONNECT_TO_PORT_ERROR)
    check("%s: ConnectToPortError (3), then the stream's FIN" % host,
          ok and fl is not None and fl < c.index("smux", FIN, 1),
          repr(c.got))
    await c.send(SYN, 3)
    ok = await c.until(lambda: c.index("smux", FIN, 3) is not None)
    n = sum(1 for g in c.got if g == ("flag", 3))
    check("  the session lives on: a second stream, a second flag",
          ok and n == 2 and not c.closed.is_set(), repr(c.got))
    ev = await wait_log(info, c.session_id, "smux_dial_failed")
    check("  log: smux_dial_failed (%s)" % why,
          ev and why in ev[0]["error"], repr(ev))
    await c.close()


async def bad_frame(info, mk):
    c = mk("1.2.764.0")
    await c.start("db.internal")
    await c.send_stream(am.PT_OUTPUT, struct.pack("<BBHI", 9, SYN, 0, 1))
    try:
        await asyncio.wait_for(c.closed.wait(), WAIT)
    except asyncio.TimeoutError:
        pass
    ev = await wait_log(info, c.session_id, "smux_closed")
    check("an smux frame of version 9: smuxd's session fails, "
          "channel_closed", c.closed.is_set() and bool(ev), repr(ev))
    await c.close()


async def old_clients(info, mk):
    c = mk("1.2.331.0")
    await c.start("db.internal")
    ev = await wait_log(info, c.session_id, "smux_ready")
    check("ClientVersion 1.2.331.0: multiplexed, keepalives on",
          ev and ev[0]["keepalive"] is True, repr(ev))
    await c.close()
    c = mk("1.1.69.0")
    await c.start("app.internal")
    ok = await c.until(lambda: banner(bytes(c.raw)))
    check("ClientVersion 1.1.69.0: the plain stream of app.internal",
          ok and b"emu-sshd2" in c.raw, repr(bytes(c.raw[:40])))
    ev = await wait_log(info, c.session_id, "target_connected")
    check("  log: target_connected, host app.internal, no mux_started",
          ev and ev[0]["host"] == "app.internal" and
          ev[0]["port"] == info["sshd2_port"] and
          not [e for e in log_events(info, c.session_id)
               if e["event"] == "mux_started"], repr(ev))
    await c.close()


async def main(d):
    with open(os.path.join(d, "emulator.json")) as f:
        info = json.load(f)
    a = Args()
    a.endpoint, a.region = info["api_url"], info["region"]
    a.proxy, a.ca_file, a.sign_ws = None, info["ca_file"], False
    os.environ["AWS_ACCESS_KEY_ID"] = info["access_key"]
    os.environ["AWS_SECRET_ACCESS_KEY"] = info["secret_key"]
    if info["session_token"]:
        os.environ["AWS_SESSION_TOKEN"] = info["session_token"]
    api = pyclient.Api(a)

    def mk(version):
        return MuxClient(a, api, version)
    await validation(api)
    await db_two_streams(info, mk)
    await app_second_sshd(info, mk)
    await refused(info, mk, "closed.internal", "connection refused")
    await refused(info, mk, "nowhere.internal", "no such host")
    await bad_frame(info, mk)
    await old_clients(info, mk)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: muxprobe.py STATE_DIR\n")
        sys.exit(2)
    try:
        asyncio.run(asyncio.wait_for(main(sys.argv[1]), 180))
    except (asyncio.TimeoutError, OSError, pyclient.ApiError) as e:
        check("probe ran to the end", False, repr(e))
    sys.exit(1 if failed else 0)
