#!/usr/bin/python3
"""Raw websocket probes of a running emulator, for emulator-selftest.sh.

    wsprobe.py STATE_DIR

Needs the knob handshake_timeout set to 1 (seconds).  Checks, printing
"ok ..." or "FAIL ..." per check; exit 1 if any failed:
  * an OpenDataChannel with a wrong token is closed with 1008;
  * a binary first frame is closed with 1008;
  * a client that never answers gets the HandshakeRequest resent by the
    agent's RTO rule (200 ms initial RTO, LastSentTime updated on each
    resend: about 5 copies in 1 s, not the 10 a 100 ms tick would give),
    then channel_closed (HeaderLength 112) with the handshake-timeout
    Output;
  * TerminateSession on an open session sends channel_closed, and
    ResumeSession on it then answers DoesNotExistException.
"""

import asyncio
import json
import os
import sys
import time
import uuid

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import agentmsg as am  # noqa: E402
import pyclient  # noqa: E402
import websockets  # noqa: E402
import websockets.exceptions  # noqa: E402
import websockets.legacy.client  # noqa: E402

failed = 0


def check(what, cond, detail=""):
    global failed
    if cond:
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL %s %s" % (what, detail))


class Args:
    pass


async def start(api, port):
    return api.call("StartSession", {
        "Target": "i-0123456789abcdef0",
        "DocumentName": "AWS-StartSSHSession",
        "Parameters": {"portNumber": [str(port)]}})


async def closed_code(ws):
    try:
        await asyncio.wait_for(ws.recv(), 10)
    except websockets.exceptions.ConnectionClosed as e:
        return e.code
    return None


async def main(state):
    with open(os.path.join(state, "emulator.json")) as f:
        info = json.load(f)
    a = Args()
    a.endpoint, a.region = info["api_url"], info["region"]
    a.proxy, a.ca_file = None, info["ca_file"]
    os.environ["AWS_ACCESS_KEY_ID"] = info["access_key"]
    os.environ["AWS_SECRET_ACCESS_KEY"] = info["secret_key"]
    if info["session_token"]:
        os.environ["AWS_SESSION_TOKEN"] = info["session_token"]
    api = pyclient.Api(a)
    kw = {"ssl": api.ctx, "compression": None, "open_timeout": 10}

    r = await start(api, info["sshd_port"])
    ws = await websockets.legacy.client.connect(r["StreamUrl"], **kw)
    await ws.send(am.open_data_channel("wrong-token", uuid.uuid4(),
                                       uuid.uuid4()))
    c = await closed_code(ws)
    check("wrong TokenValue closed with 1008", c == 1008, c)

    ws = await websockets.legacy.client.connect(r["StreamUrl"], **kw)
    await ws.send(b"\0" * 8)
    c = await closed_code(ws)
    check("binary first frame closed with 1008", c == 1008, c)

    ws = await websockets.legacy.client.connect(r["StreamUrl"], **kw)
    await ws.send(am.open_data_channel(r["TokenValue"], uuid.uuid4(),
                                       uuid.uuid4()))
    copies, ids, closed = 0, set(), None
    t0 = time.monotonic()
    try:
        async for f in ws:
            m = am.decode(f)
            if m.message_type == am.OUTPUT_STREAM_DATA:
                copies += 1
                ids.add((m.message_id, m.sequence_number, m.payload_type,
                         m.flags))
            elif m.message_type == am.CHANNEL_CLOSED:
                closed = m
    except websockets.exceptions.ConnectionClosed:
        pass
    took = time.monotonic() - t0
    check("silent client: one HandshakeRequest resent unchanged",
          ids and len(ids) == 1 and
          list(ids)[0][1:] == (0, am.PT_HANDSHAKE_REQUEST, am.FLAG_SYN), ids)
    check("resend pacing follows RTO with LastSentTime updates "
          "(%d copies in %.1f s)" % (copies, took), 3 <= copies <= 7)
    out = json.loads(closed.payload).get("Output") if closed else None
    check("then channel_closed, HL 112, handshake-timeout Output",
          closed is not None and closed.header_length == 112 and
          closed.digest_ok and "Handshake timed out" in (out or ""), out)

    r = await start(api, info["sshd_port"])
    ws = await websockets.legacy.client.connect(r["StreamUrl"], **kw)
    await ws.send(am.open_data_channel(r["TokenValue"], uuid.uuid4(),
                                       uuid.uuid4()))
    first = am.decode(await asyncio.wait_for(ws.recv(), 10))
    api.call("TerminateSession", {"SessionId": r["SessionId"]})
    got = None
    try:
        async for f in ws:
            m = am.decode(f)
            if m.message_type == am.CHANNEL_CLOSED:
                got = json.loads(m.payload)
    except websockets.exceptions.ConnectionClosed:
        pass
    check("TerminateSession sends channel_closed",
          first.payload_type == am.PT_HANDSHAKE_REQUEST and got is not None
          and got.get("SessionId") == r["SessionId"], got)
    try:
        api.call("ResumeSession", {"SessionId": r["SessionId"]})
        err = ""
    except pyclient.ApiError as e:
        err = str(e)
    check("ResumeSession after it: DoesNotExistException",
          "DoesNotExistException" in err, err)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
    sys.exit(1 if failed else 0)
