#!/usr/bin/python3
"""Stand-in for AWS Systems Manager Session Manager, for ssm-proxy tests.

    /usr/bin/python3 tests/emulator/emulator.py --dir STATE_DIR [options]

Serves, on 127.0.0.1 only:
  * HTTPS AWS JSON 1.1 API (AmazonSSM.StartSession / ResumeSession /
    TerminateSession, and EC2 Instance Connect's SendSSHPublicKey, whose
    keys sshd accepts for 60 s of emulator time through an
    AuthorizedKeysCommand) verifying SigV4, plus an unsigned control
    endpoint /_emulator/... on the same port;
  * the fleet of fleet.py in two regions: SSM DescribeInstanceInformation
    and EC2 DescribeInstances / StartInstances (Query protocol, XML);
  * the data-channel websocket (wss) playing MGS + SSM agent, whose fake
    agent dials a real OpenSSH sshd started here on a loopback port, or,
    for AWS-StartPortForwardingSessionToRemoteHost, serves smux through
    build/smuxd (the real xtaci/smux) to the hosts of host_map (sshd, a
    second sshd, a refusing port);
  * an HTTP CONNECT proxy;
  * an EC2 Instance Connect Endpoint (eice.py): the openTunnel websocket
    on its own TLS port, presigned SigV4, relaying raw bytes to sshd.
When ready it writes STATE_DIR/emulator.json and STATE_DIR/env.sh
atomically and prints one line "ready PATH" on stdout.  Every API call,
websocket upgrade and CONNECT is appended to STATE_DIR/requests.jsonl.

Written from the repository's two protocol documents, protocol/PROTOCOL.md
and proxy/aws/AWS-APIS.md (sections cited by heading), independently of
the C code: nothing is shared with protocol/ or proxy/.  See
tests/emulator/README.md.
"""

import argparse
import asyncio
import base64
import collections
import copy
import ctypes
import datetime
import email.utils
import hashlib
import http
import json
import logging
import os
import pwd
import random
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, HERE)

import agentmsg as am  # noqa: E402
import eice  # noqa: E402
import fleet as fl  # noqa: E402
import sigv4  # noqa: E402

try:
    import websockets
    import websockets.exceptions
    import websockets.legacy.server
    from websockets.legacy.server import WebSocketServerProtocol
    from websockets.frames import OP_PONG
    import websockets.legacy.http
    # The request line carries the StreamUrl, up to ssm-proxy's 16 KiB
    # cap; the library's own limit is 4 or 8 KiB (MAX_LINE up to
    # websockets 10, MAX_LINE_LENGTH in 15).
    websockets.legacy.http.MAX_LINE = 32768
    websockets.legacy.http.MAX_LINE_LENGTH = 32768
except ImportError as e:   # fail loudly: a missing package is never a skip
    sys.stderr.write("emulator: FATAL: python3-websockets is required "
                     "(apt-get install python3-websockets): %s\n" % e)
    sys.exit(2)

SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = "/usr/bin/ssh-keygen"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
DEFAULT_TARGETS = ["i-0123456789abcdef0", "mi-0123456789abcdef0"]
TARGET_RE = re.compile(r"^(i-[0-9a-f]{8}([0-9a-f]{9})?|mi-[0-9a-f]{17})$")
DOCUMENT_RE = re.compile(r"^[a-zA-Z0-9_\-.:/]{3,128}$")
DATA_PATH_RE = re.compile(r"^/v1/data-channel/([^/?#]+)$")
REALISTIC_TOKEN_LEN = 951   # AWS-APIS.md "StartSession"
REALISTIC_CALLER_LEN = 64   # SessionId <caller>-<hex>
LONG_FIELDS = {"token_len": 16384, "stream_url_len": 16384,
               "session_id_len": 256}   # ssm-proxy's caps
HANDSHAKE_TIMEOUT_MSG = ("Handshake timed out. Please ensure that you have "
                         "the latest version of the session manager "
                         "plugin.")
ERROR_STATUS = {"InternalServerError": 500, "InternalFailure": 500,
                "ServiceUnavailable": 503, "ServiceException": 500}
# EC2 Instance Connect (AWS-APIS.md "SendSSHPublicKey")
EIC_PREFIX = "AWSEC2InstanceConnectService."
EIC_INSTANCE_RE = re.compile(r"^i-[a-f0-9]+$")
EIC_USER_RE = re.compile(r"(^[A-Za-z_][A-Za-z0-9\@\._-]{0,30}[A-Za-z0-9\$_-]?$)|"
                         r"(^(?=.{2,32}$)[0-9]{1,32}[A-Za-z\@\._-]"
                         r"[A-Za-z0-9\@\._-]*[A-Za-z0-9\$_-]?$)")
EIC_AZ_RE = re.compile(r"^(\w+-){2,3}\d+\w+$")
EIC_KEY_TYPES = ("ssh-ed25519", "ssh-rsa")
AUTH_KEYS_SCRIPT = "eic-authorized-keys.sh"
# Multiplexed port sessions (README "Multiplexed port sessions"): the
# document, the client version from which the agent multiplexes, and the
# last one that still gets smux keepalives.
REMOTE_HOST_DOC = "AWS-StartPortForwardingSessionToRemoteHost"
REMOTE_HOST_RE = re.compile(r"^[^,$^&()!;'\"<>`{}\[\]|#=]{3,}$")
MUX_CLIENT_VERSION = "1.1.70"
MUX_KEEPALIVE_UNTIL = "1.2.331.0"
SMUXD = os.environ.get("EMU_SMUXD") or os.path.join(
    HERE, "..", "..", "build", "smuxd")
RESEND_TICK = 0.1           # PROTOCOL.md "Retransmission constants"
AGENT_BUFFER_CAP = 100000   # "Sequence numbers and buffers" (agent)

log = logging.getLogger("emulator")

# Run-time knobs (settable with --set KEY=JSON and POST /_emulator/config).
DEFAULT_KNOBS = {
    "clock_offset": 0.0,            # seconds added to the real clock
    "skew": 300,                    # SigV4 allowed clock skew, seconds
    "require_signed_token": True,   # X-Amz-Security-Token must be signed
    "targets": list(DEFAULT_TARGETS),   # connected targets
    "deny_targets": [],             # AccessDeniedException for these
    "documents": ["AWS-StartSSHSession", REMOTE_HOST_DOC],
                                    # allowed DocumentName values
    "port_map": {},                 # {"22": 2222}: requested -> dialled
    # REMOTE_HOST_DOC's host (or host:port) -> "sshd", "sshd2", "closed"
    # (refuses connections) or a port on 127.0.0.1; unmapped: no such host
    "host_map": {"db.internal": "sshd", "app.internal": "sshd2",
                 "closed.internal": "closed"},
    "smux_keepalive": None,         # null: as the agent, by ClientVersion
    "fail": [],                     # forced errors, see README
    "error_style": "plain",         # "plain" or "coral"
    "token_ttl": 600,               # seconds a TokenValue is accepted
    # Sizes of what StartSession/ResumeSession return (0: realistic, see
    # README "Response fields"); --long-fields sets ssm-proxy's caps.
    "token_len": 0,                 # TokenValue length (0: 951)
    "stream_url_len": 0,            # StreamUrl length (0: natural)
    "stream_url_port": 0,           # StreamUrl's port (0: our websocket's)
    "session_id_len": 0,            # SessionId length (0: 82)
    "resume_null_token": False,     # ResumeSession returns TokenValue null
    "presigned_stream_url": False,  # StreamUrl with X-Amz-* query params
    "ws_require_signature": False,  # reject unsigned upgrades with 403
    "open_timeout": 30,             # wait for OpenDataChannel, seconds
    "agent_pause": True,            # agent's 1 ms pause after each read
    "agent_version": "3.3.987.0",
    "session_type": "Port",
    "handshake_type": None,         # adds Properties.type
    "handshake_kms": False,         # adds a KMSEncryption action
    "handshake_unknown_action": None,  # adds an action of this type
    "handshake_timeout": 15,
    "customer_message": "",         # HandshakeComplete.CustomerMessage
    "channel_closed_hl": 112,       # 112 (MGS variant) or 116
    "ack_wait_on_eof": 2.0,         # wait for acks after EOF
    "resume_window": 60,            # session ends if no ws for this long
    "withhold_acks": False,         # never ack input_stream_data
    "drop_output_every": 0,         # skip 1st send of every Nth data msg
    "duplicate_output_every": 0,    # send every Nth data msg twice
    "drop_input_every": 0,          # ignore every Nth input_stream_data
    "drop_ws_after_output": 0,      # abort the ws after N data msgs (once)
    # Seeded faults (tests/emulator/README.md, "Fault injection").
    "fault_seed": 0,                # each session: Random("seed:n")
    "drop_output_rate": 0.0,        # skip the 1st send of a data msg
    "duplicate_output_rate": 0.0,   # send a data msg twice
    "reorder_output_rate": 0.0,     # hold a data msg back 1..3 msgs
    "delay_output_rate": 0.0,       # send a data msg late ...
    "delay_output_ms": 300,         # ... by this long (others go on)
    "malform_output_rate": 0.0,     # replace the 1st send by a bad frame
    "malform_kinds": ["truncated", "digest", "length", "header_length"],
    "delay_acks_every": 0.0,        # every P s of streaming ...
    "delay_acks_secs": 0.0,         # ... hold acks back S s, then send
    "close_ws_after_bytes": 0,      # close the ws (close_ws_code), once
    "close_ws_every_bytes": 0,      # close the ws after every N bytes
    "close_ws_code": 1000,          # as the service does, about hourly
    "recycle_ws_secs": 0,           # close every ws N s after it opened,
                                    # 1000 "Bye", as the service does hourly
    "drop_ws_every_bytes": 0,       # abort the ws after every N bytes
    "freeze_ws_after_bytes": 0,     # ws goes silent, TCP open (once per
                                    # session): a dead peer
    "agent_silent": False,          # agent: no acks, no data, no resends
    "pause_lost_start_after_bytes": 0,  # pause_publication, and no
                                    # start_publication ever (once per
                                    # session, when N data bytes came in)
    "pause_lost_start_secs": 1.0,   # ... every frame ignored this long
    "proxy_auth": None,             # "user:pass" required by the proxy
    "eic_key_validity": 60,         # seconds a pushed key is accepted
    "eic_hold_until_start_session": False,  # hold SendSSHPublicKey's
                                    # reply until a StartSession arrives
    "eic_hold_timeout": 10,         # then ServiceException after this
    # STS, SSO portal, IMDS and container credentials (AWS-APIS.md)
    "roles": {},                    # {arn: {"external_id": X,
                                    #  "mfa_serial": S, "mfa_code": C}}
    "sts_lifetime": None,           # seconds issued creds live (default
                                    # DurationSeconds or 3600)
    "web_identity_tokens": [],      # accepted WebIdentityToken values
    "sso_tokens": [],               # accepted x-amz-sso_bearer_token
    "imds_token_status": None,      # 403/404/405: PUT token refused (v1)
    "imds_role": "emu-instance-role",
    "imds_region": None,            # placement/region answer (404 if None)
    "container_token": None,        # required Authorization value
    "session_token_bytes": 824,     # random bytes in an issued session
                                    # token: 1100 base64 characters, the
                                    # size of real STS tokens
    "sts_delay": 0,                 # seconds STS waits before answering
    # The fleet (fleet.py; README "The fleet")
    "fleet_extra": 0,               # N more running instances node-NNNN
    "ec2_page_cap": 1000,           # largest DescribeInstances page
    "deny": [],                     # "ec2:DescribeInstances", ...: 403
    "start_delay": 1.0,             # StartInstances: pending this long
    "agent_delay": 1.0,             # ... then the agent this long later
    # EC2 Instance Connect Endpoint (eice.py; README "EC2 Instance
    # Connect Endpoint")
    "eice_state": {},               # {"eice-...": "create-in-progress"}
    "eice_max_connections": 20,     # open tunnels per endpoint, then 429
    "eice_refuse_target": {},       # {"10.0.4.1": true}: 101, then 1011
    "eice_drop_after_bytes": 0,     # abort the TCP after N bytes relayed
    # The service's rate limit on StartSession and ResumeSession together
    # (README "Throttling"): {"rate": tokens/s, "burst": bucket size}.
    "throttle": None,
}
EC2_ACTIONS = ("DescribeInstances", "StartInstances",
               "DescribeInstanceConnectEndpoints")
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]{2,64}$")


def utcnow_real():
    return datetime.datetime.now(datetime.timezone.utc)


def iso_ms(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (
        dt.microsecond // 1000)


def xml_escape(t):
    return (t.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


class HttpError(Exception):
    pass


class Request:
    __slots__ = ("method", "target", "path", "query", "version", "headers",
                 "body", "close")

    def header(self, name, default=None):
        name = name.lower()
        for n, v in self.headers:
            if n.lower() == name:
                return v
        return default


async def read_request(reader, idle=120):
    """Minimal HTTP/1.1 request reader.  Returns None on clean EOF."""
    try:
        line = await asyncio.wait_for(reader.readline(), idle)
    except asyncio.TimeoutError:
        return None
    if not line:
        return None
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpError("bad request line %r" % line[:100])
    req = Request()
    req.method, req.target, req.version = parts
    req.path, _, req.query = req.target.partition("?")
    req.headers = []
    total = 0
    while True:
        h = await asyncio.wait_for(reader.readline(), 30)
        total += len(h)
        if total > 65536:
            raise HttpError("headers too large")
        if h in (b"\r\n", b"\n"):
            break
        if not h:
            raise HttpError("EOF in headers")
        s = h.decode("latin-1").rstrip("\r\n")
        if s[:1] in (" ", "\t") and req.headers:   # obsolete folding
            n, v = req.headers[-1]
            req.headers[-1] = (n, v + " " + s.strip())
            continue
        n, colon, v = s.partition(":")
        if not colon:
            raise HttpError("bad header line")
        req.headers.append((n.strip(), v.strip()))
    conn = (req.header("connection") or "").lower()
    req.close = ("close" in conn or
                 (req.version == "HTTP/1.0" and "keep-alive" not in conn))
    return req


async def read_body(req, reader, writer):
    if (req.header("expect") or "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
    te = (req.header("transfer-encoding") or "").lower()
    if "chunked" in te:
        body = bytearray()
        while True:
            sz = (await reader.readline()).split(b";")[0].strip()
            n = int(sz, 16)
            if n == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                break
            body += await reader.readexactly(n)
            await reader.readline()
            if len(body) > 1 << 20:
                raise HttpError("body too large")
        return bytes(body)
    cl = req.header("content-length")
    if cl is None:
        return b""
    n = int(cl)
    if n < 0 or n > 1 << 20:
        raise HttpError("bad Content-Length")
    return await reader.readexactly(n)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def descendants(root):
    """All descendant pids of root (from /proc), deepest last."""
    children = collections.defaultdict(list)
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children[ppid].append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for c in children.get(p, ()):
            out.append(c)
            todo.append(c)
    return out


def set_pdeathsig():
    """Child of the emulator: get SIGTERM when the emulator dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except OSError:
        pass


# ---------------------------------------------------------------------------
# The agent side of one session (PROTOCOL.md "Handshake payloads",
# "Streams, acknowledgements, retransmission", "Port sessions")
# ---------------------------------------------------------------------------

def freeze_connection(ws):
    """Make a websocket connection dead without closing it: its transport
    reads nothing more (so the kernel's buffers fill and the peer's TCP
    window closes), no frame is parsed, so no ping is answered, and
    nothing more is written on it, not even a pong or a close frame.  Its
    TCP connection stays open until transport.abort()."""
    try:
        ws.transport.pause_reading()
    except (AttributeError, RuntimeError):
        pass

    async def dead_read_frame(max_size):
        # Any frame still buffered or arriving is never parsed; the reader
        # task ends only when the connection is aborted.
        await asyncio.shield(ws.connection_lost_waiter)
        raise ConnectionResetError("frozen websocket aborted")

    def dead_write(fin, opcode, data):
        pass                    # pongs, pings, close frames: nothing

    ws.emu_frozen = True
    ws.read_frame = dead_read_frame
    ws.write_frame_sync = dead_write
    t = getattr(ws, "keepalive_ping_task", None)
    if t is not None:
        t.cancel()


class OutMsg:
    __slots__ = ("msg", "frame", "last_sent", "resends")

    def __init__(self, msg, frame, now):
        self.msg = msg
        self.frame = frame
        self.last_sent = now
        self.resends = 0


class Session:

    def __init__(self, emu, sid, target, port, document, access_key):
        self.emu = emu
        self.sid = sid
        self.target = target
        self.port = port
        self.document = document
        self.access_key = access_key
        self.created = time.time()
        self.tokens = {}            # token -> expiry (monotonic)
        self.stream_urls = []       # issued (path?query) strings
        self.state = "created"
        self.end_reason = None
        self.ws = None
        self.client_ids = []
        self.client_version = None
        self.open_count = 0
        # agent streaming state
        self.out_seq = 0
        self.out_buf = collections.OrderedDict()
        self.out_empty = asyncio.Event()
        self.out_empty.set()
        self.rtt = am.RttEstimator()
        self.in_expected = 0
        # One input message at a time, as the agent's single processing
        # loop does: a resend arriving on a new websocket while the old
        # one's copy is still being written must not be written twice.
        self.in_lock = asyncio.Lock()
        self.in_buf = {}
        self.in_count = 0
        self.out_data_count = 0
        # handshake
        self.hs_started = None
        self.hs_req_acked = False
        self.hs_resp_ok = False
        self.hs_complete = False
        self.kms_requested = False
        # target TCP
        self.tcp_reader = None
        self.tcp_writer = None
        self.tcp_ready = False
        # REMOTE_HOST_DOC: the host asked for; the smux server (smuxd)
        # when multiplexed (README "Multiplexed port sessions")
        self.host = None
        self.local_port = None
        self.port_type = None       # Properties.type announced
        self.mux_proc = None
        self.tasks = set()
        self.detach_task = None
        self.ended = asyncio.Event()
        self.send_lock = asyncio.Lock()
        self.stats = collections.Counter()
        # Seeded fault injection: reproducible per (seed, session number).
        self.rng = random.Random("%s:%d" % (emu.knobs["fault_seed"],
                                            len(emu.sessions)))
        self.held = []              # reordered frames: [frame, countdown]
        self.ws_fault_bytes = 0     # data bytes since the last ws fault
        self.ws_froze = False       # freeze_ws_after_bytes done
        self.paused_once = False    # pause_lost_start_after_bytes done
        self.away = False           # paused: silent until client data
        self.away_until = 0.0       # ... and every frame ignored until
        self.frozen = []            # frozen websockets, open until end()
        self.ws_up = asyncio.Event()
        self.streaming_at = None    # monotonic time of target_connected
        self.late_acks = []
        self.late_acks_task = None

    # -- helpers ----------------------------------------------------------
    def knob(self, name):
        return self.emu.knobs[name]

    def silent(self):
        """agent_silent, or away after pause_lost_start_after_bytes."""
        return self.knob("agent_silent") or self.away

    def spawn(self, coro, name):
        t = asyncio.ensure_future(coro)
        t.set_name("%s:%s" % (self.sid, name))
        self.tasks.add(t)
        t.add_done_callback(self._task_done)
        return t

    def _task_done(self, t):
        self.tasks.discard(t)
        if not t.cancelled() and t.exception() is not None:
            log.error("session %s task %s failed: %r", self.sid,
                      t.get_name(), t.exception(),
                      exc_info=t.exception())

    def event(self, event, **kw):
        d = {"kind": "session", "event": event, "session_id": self.sid}
        d.update(kw)
        self.emu.request_log(d)

    def summary(self):
        return {"session_id": self.sid, "target": self.target,
                "region": getattr(self, "region", None),
                "port": self.port, "document": self.document,
                "state": self.state, "end_reason": self.end_reason,
                "ws_attached": self.ws is not None,
                "opens": self.open_count,
                "client_version": self.client_version,
                "handshake_complete": self.hs_complete,
                "tcp_connected": self.tcp_ready,
                "host": self.host,
                "mode": ("multiplexed" if self.mux_proc is not None else
                         "basic" if self.tcp_ready or self.host is None
                         else None),
                "out_seq": self.out_seq, "out_unacked": len(self.out_buf),
                "in_expected": self.in_expected,
                "in_buffered": len(self.in_buf),
                "rto_ms": round(self.rtt.rto_ns / 1e6, 3),
                "stats": dict(self.stats)}

    def valid_token(self, token):
        exp = self.tokens.get(token)
        return exp is not None and time.monotonic() <= exp

    def now_ms(self):
        return int(self.emu.now().timestamp() * 1000)

    # -- websocket attachment ---------------------------------------------
    async def attach(self, ws):
        old = self.ws
        self.ws = ws
        self.ws_up.set()
        self.open_count += 1
        if self.detach_task is not None:
            self.detach_task.cancel()
            self.detach_task = None
        if old is not None and old is not ws:
            self.event("ws_replaced")
            old.transport.abort()
        if self.knob("recycle_ws_secs"):
            self.spawn(self.recycle_ws(ws), "recycle")
        if self.state == "created":
            self.state = "handshake"
            self.spawn(self.resend_loop(), "resend")
            self.spawn(self.handshake_timer(), "hs-timer")
            self.hs_started = time.monotonic()
            await self.send_stream(am.PT_HANDSHAKE_REQUEST,
                                   self.handshake_request(), am.FLAG_SYN)
        else:
            self.event("ws_reattached", opens=self.open_count)

    def detach(self, ws):
        # self.ws is None when an injected close let go of it already.
        if self.ws is not ws and self.ws is not None:
            return
        if self.ws is None and self.detach_task is not None:
            return                  # already detached
        self.ws = None
        self.ws_up.clear()
        if self.state != "ended":
            self.event("ws_detached")
            self.detach_task = self.spawn(self.resume_timer(), "resume")

    async def resume_timer(self):
        await asyncio.sleep(self.knob("resume_window"))
        if self.ws is None and self.state != "ended":
            await self.end("", "no websocket within resume_window")

    async def send_raw(self, frame):
        ws = self.ws
        if ws is None:
            return False
        try:
            async with self.send_lock:
                await ws.send(frame)
            return True
        except websockets.exceptions.ConnectionClosed:
            return False

    async def send_stream(self, pt, payload, flags=0):
        """A sequenced output_stream_data message, buffered until acked
        (PROTOCOL.md "Sequence numbers and buffers")."""
        seq = self.out_seq
        self.out_seq += 1
        msg = am.AgentMessage(am.OUTPUT_STREAM_DATA, seq, flags, None, pt,
                              payload, self.now_ms())
        frame = am.encode(msg)
        if len(self.out_buf) < AGENT_BUFFER_CAP:
            self.out_buf[seq] = OutMsg(msg, frame, time.monotonic())
            self.out_empty.clear()
        skip = dup = False
        if pt == am.PT_OUTPUT:
            self.out_data_count += 1
            n = self.out_data_count
            de = self.knob("drop_output_every")
            if de and n % de == 0:
                skip = True
                self.stats["injected_output_drops"] += 1
            du = self.knob("duplicate_output_every")
            if du and n % du == 0:
                dup = True
                self.stats["injected_output_dups"] += 1
            if not skip:
                skip, dup2 = await self.seeded_faults(frame)
                dup = dup or dup2
        if not skip:
            await self.send_raw(frame)
            if dup:
                await self.send_raw(frame)
        if pt == am.PT_OUTPUT and self.held:
            await self.release_held(False)
        self.stats["output_msgs"] += 1
        if pt == am.PT_OUTPUT:
            self.stats["output_bytes"] += len(payload)
            await self.ws_faults(len(payload))
            da = self.knob("drop_ws_after_output")
            if da and self.out_data_count >= da and self.ws is not None:
                self.emu.knobs["drop_ws_after_output"] = 0   # one shot
                self.event("injected_ws_abort",
                           after_output=self.out_data_count)
                self.ws.transport.abort()

    async def send_ack(self, msg):
        if self.knob("withhold_acks"):
            self.stats["acks_withheld"] += 1
            return
        ack = am.make_ack(msg, self.now_ms())
        held = self.acks_held_until()
        if held is not None:
            self.stats["acks_delayed"] += 1
            self.late_acks.append(am.encode(ack))
            if self.late_acks_task is None:
                self.late_acks_task = self.spawn(
                    self.send_late_acks(held), "late-acks")
            return
        await self.send_raw(am.encode(ack))
        self.stats["acks_sent"] += 1

    # -- seeded fault injection ----------------------------------------------
    def acks_held_until(self):
        """Inside a delay_acks window: the monotonic time it ends."""
        p = self.knob("delay_acks_every")
        d = self.knob("delay_acks_secs")
        if not p or not d or self.streaming_at is None:
            return None
        t = time.monotonic() - self.streaming_at
        k, r = divmod(t, p)
        if r < p - d:
            return None
        return self.streaming_at + (k + 1) * p

    async def send_late_acks(self, until):
        await asyncio.sleep(max(0.0, until - time.monotonic()))
        acks, self.late_acks = self.late_acks, []
        self.late_acks_task = None
        self.event("late_acks", count=len(acks))
        for a in acks:
            await self.send_raw(a)
            self.stats["acks_sent"] += 1

    def malformed(self, frame):
        kinds = self.knob("malform_kinds") or ["digest"]
        kind = kinds[self.rng.randrange(len(kinds))]
        f = bytearray(frame)
        if kind == "truncated":
            f = f[:self.rng.randrange(1, len(f))]
        elif kind == "digest":
            i = am.HEADER_LENGTH + 4 + self.rng.randrange(len(f) - 120) \
                if len(f) > 120 else 80
            f[i] ^= 0x01
        elif kind == "length":
            struct.pack_into(">I", f, am.HEADER_LENGTH,
                             self.rng.choice((0x7ffffff0, 0xffffffff,
                                              len(f))))
        else:   # header_length
            struct.pack_into(">I", f, 0, self.rng.choice(
                (0, 3, 0xfffffff0, len(f) + 8)))
        self.stats["injected_malformed_" + kind] += 1
        return bytes(f)

    async def seeded_faults(self, frame):
        """Faults on the first send of a data message, drawn from the
        session's seeded generator (a fixed number of draws per message,
        so one knob's setting does not shift another's pattern).  Returns
        (skip the normal send, send it twice).  What is not sent
        correctly now is recovered by the resend loop
        (PROTOCOL.md "Retransmission constants")."""
        r = self.rng
        u = [r.random() for _ in range(5)]
        k = self.emu.knobs
        if u[0] < k["drop_output_rate"]:
            self.stats["injected_output_drops"] += 1
            return True, False
        if u[1] < k["malform_output_rate"]:
            await self.send_raw(self.malformed(frame))
            return True, False
        if u[2] < k["delay_output_rate"]:
            self.stats["injected_output_delays"] += 1
            self.spawn(self.send_later(frame, k["delay_output_ms"] / 1000),
                       "delay")
            return True, False
        if u[3] < k["reorder_output_rate"]:
            self.stats["injected_output_reorders"] += 1
            self.held.append([frame, 1 + r.randrange(3), time.monotonic()])
            return True, False
        if u[4] < k["duplicate_output_rate"]:
            self.stats["injected_output_dups"] += 1
            return False, True
        return False, False

    async def send_later(self, frame, secs):
        await asyncio.sleep(secs)
        await self.send_raw(frame)

    async def release_held(self, all_):
        """Send held (reordered) frames whose countdown ended, or all."""
        keep = []
        for h in self.held:
            h[1] -= 1
            if all_ or h[1] <= 0:
                await self.send_raw(h[0])
            else:
                keep.append(h)
        self.held = keep

    async def ws_faults(self, nbytes):
        """Close or abort the websocket after so many data bytes."""
        k = self.emu.knobs
        self.ws_fault_bytes += nbytes
        ws = self.ws
        if ws is None:
            return
        if self.maybe_freeze("output_bytes"):
            return
        once = k["close_ws_after_bytes"]
        every = k["close_ws_every_bytes"]
        drop = k["drop_ws_every_bytes"]
        if once and self.stats["output_bytes"] >= once:
            k["close_ws_after_bytes"] = 0       # one shot
            every = 1
        if every and self.ws_fault_bytes >= every:
            self.ws_fault_bytes = 0
            self.stats["injected_ws_closes"] += 1
            self.event("injected_ws_close", code=k["close_ws_code"],
                       output_bytes=self.stats["output_bytes"])
            # A graceful close: what was sent before it arrives.  The
            # agent's publication waits for the next websocket.
            self.ws = None
            self.ws_up.clear()
            asyncio.ensure_future(self.emu.close_ws(
                ws, k["close_ws_code"], "service closed the connection"))
        elif drop and self.ws_fault_bytes >= drop:
            self.ws_fault_bytes = 0
            # Abort at a quiet moment: publication stops until what is
            # in flight is acknowledged (at most 2 s), so the abrupt loss
            # (no close frame, RST) costs seconds, not the ~100 s that
            # the faithful one-resend-per-tick rule needs for ~1 MB lost.
            try:
                await asyncio.wait_for(self.out_empty.wait(), 2)
            except asyncio.TimeoutError:
                pass
            ws = self.ws
            if ws is None:
                return
            self.stats["injected_ws_aborts"] += 1
            self.event("injected_ws_abort", unacked=len(self.out_buf),
                       output_bytes=self.stats["output_bytes"])
            self.ws = None          # nothing more into the dead socket
            self.ws_up.clear()
            ws.transport.abort()

    async def recycle_ws(self, ws):
        """recycle_ws_secs: close this websocket that long after it
        opened, code 1000 reason "Bye", as the service does hourly."""
        await asyncio.sleep(self.knob("recycle_ws_secs"))
        if self.ws is not ws or self.state == "ended":
            return
        self.stats["injected_ws_recycles"] += 1
        self.event("injected_ws_recycle",
                   output_bytes=self.stats["output_bytes"],
                   input_bytes=self.stats["input_bytes"])
        self.ws = None
        self.ws_up.clear()
        await self.emu.close_ws(ws, 1000, "Bye")

    def maybe_freeze(self, counter):
        """freeze_ws_after_bytes: once per session, when the data bytes
        out (download) or in (upload) reach it."""
        fr = self.knob("freeze_ws_after_bytes")
        if fr and not self.ws_froze and self.stats[counter] >= fr:
            self.ws_froze = True
            return self.freeze_ws()
        return False

    async def maybe_pause(self):
        """pause_lost_start_after_bytes: once per session, when the data
        bytes in reach it, the agent goes away: pause_publication to the
        client, then every frame is ignored for pause_lost_start_secs and
        no start_publication follows; the agent sends nothing (no data,
        no resends) until stream data from the client arrives after that:
        the worst case, an agent with nothing of its own to send."""
        n = self.knob("pause_lost_start_after_bytes")
        if not n or self.paused_once or self.stats["input_bytes"] < n:
            return
        self.paused_once = True
        self.away = True
        self.away_until = time.monotonic() + \
            self.knob("pause_lost_start_secs")
        self.stats["injected_lost_starts"] += 1
        self.event("injected_pause", input_bytes=self.stats["input_bytes"])
        await self.send_publication(am.PAUSE_PUBLICATION)

    def freeze_ws(self):
        """A dead peer: the websocket stops reading and writing entirely
        but its TCP connection stays open (no close frame, no FIN, no
        RST, no pong) until the session ends.  The session lives on, so
        ResumeSession and a new websocket take over, and the agent resends
        what was not acknowledged."""
        ws = self.ws
        if ws is None:
            return False
        self.ws = None              # the agent sends nothing more on it
        self.ws_up.clear()
        freeze_connection(ws)
        self.frozen.append(ws)
        self.stats["injected_ws_freezes"] += 1
        self.event("injected_ws_freeze", unacked=len(self.out_buf),
                   output_bytes=self.stats["output_bytes"],
                   input_bytes=self.stats["input_bytes"])
        self.detach(ws)             # resume_window runs from now
        return True

    async def resend_loop(self):
        """PROTOCOL.md "Retransmission constants", agent behaviour: every
        100 ms look at the oldest unacked message; resend it if older than
        RTO; update LastSentTime."""
        while True:
            await asyncio.sleep(RESEND_TICK)
            if self.held and self.ws is not None:
                await self.release_held(True)
            if self.ws is None or not self.out_buf or self.silent():
                continue
            seq, om = next(iter(self.out_buf.items()))
            now = time.monotonic()
            if now - om.last_sent > self.rtt.rto:
                om.last_sent = now
                om.resends += 1
                self.stats["resends"] += 1
                await self.send_raw(om.frame)

    # -- handshake (PROTOCOL.md "Handshake payloads") --------------------
    def handshake_request(self):
        k = self.emu.knobs
        kms = None
        challenge = None
        if k["handshake_kms"]:
            self.kms_requested = True
            kms = ("arn:aws:kms:%s:123456789012:key/"
                   "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0" % self.emu.region)
            challenge = base64.b64encode(secrets.token_bytes(16)).decode()
        self.port_type = k["handshake_type"]
        props = None
        if self.host is not None:
            self.port_type = self.port_type or "LocalPortForwarding"
            props = {"host": self.host, "localPortNumber": self.local_port}
        return am.handshake_request_payload(
            self.port, k["agent_version"], k["session_type"],
            self.port_type, kms, challenge,
            k["handshake_unknown_action"], props)

    async def handshake_timer(self):
        await asyncio.sleep(self.knob("handshake_timeout"))
        if not self.hs_complete and self.state != "ended":
            why = []
            if not self.hs_req_acked:
                why.append("HandshakeRequest not acknowledged")
            if not self.hs_resp_ok:
                why.append("no valid HandshakeResponse")
            self.event("handshake_timeout", missing=why)
            await self.end(HANDSHAKE_TIMEOUT_MSG, "handshake timeout: " +
                           ", ".join(why))

    async def handshake_response(self, msg):
        """Returns a failure text or None."""
        if self.hs_resp_ok:
            self.event("protocol_note", note="second HandshakeResponse")
            return None
        try:
            obj = json.loads(msg.payload.decode("utf-8"))
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object")
            acts = obj.get("ProcessedClientActions")
            if acts is None:
                acts = []
            if not isinstance(acts, list):
                raise ValueError("ProcessedClientActions not a list")
        except ValueError as e:
            return "Handshake failed: invalid HandshakeResponse: %s" % e
        self.client_version = obj.get("ClientVersion")
        summary = []
        for a in acts:
            if not isinstance(a, dict):
                return "Handshake failed: action entry is not an object"
            at = a.get("ActionType")
            st = a.get("ActionStatus")
            summary.append({"type": at, "status": st,
                            "error": a.get("Error")})
            if st != am.ACTION_SUCCESS:
                self.event("handshake_failed", actions=summary,
                           client_version=self.client_version)
                return ("Handshake failed: action %s has ActionStatus %r "
                        "(%s)" % (at, st, a.get("Error") or ""))
            if at == "KMSEncryption":
                return ("Handshake failed: the emulator cannot do "
                        "KMSEncryption (client claimed success)")
            if at not in ("SessionType", "KMSEncryption"):
                self.event("protocol_note",
                           note="unknown ActionType %r reported successful"
                           % at)
        if self.kms_requested and not any(
                s["type"] == "KMSEncryption" for s in summary):
            return ("Handshake failed: KMSEncryption requested but not "
                    "answered; the agent would now fail the challenge")
        self.hs_resp_ok = True
        self.event("handshake_response", actions=summary,
                   client_version=self.client_version,
                   errors=obj.get("Errors"))
        await self.maybe_complete()
        return None

    async def maybe_complete(self):
        if self.hs_complete or not (self.hs_req_acked and self.hs_resp_ok):
            return
        self.hs_complete = True
        ns = int((time.monotonic() - self.hs_started) * 1e9)
        await self.send_stream(am.PT_HANDSHAKE_COMPLETE,
                               am.handshake_complete_payload(
                                   ns, self.knob("customer_message")))
        self.state = "connecting"
        self.event("handshake_complete", ns=ns)
        self.spawn(self.connect_target(), "dial")

    # -- target TCP (PROTOCOL.md "Port sessions") -------------------------
    async def connect_target(self):
        if self.host is not None:
            port = self.emu.resolve_host(self.host, self.port)
            if self.port_type == "LocalPortForwarding" and am.version_cmp(
                    self.client_version, MUX_CLIENT_VERSION) >= 0:
                await self.start_mux(port)
                return
            if port is None:
                e = "dial tcp: lookup %s: no such host" % self.host
                self.event("dial_failed", host=self.host, error=e)
                await self.end("Unable to start port session: " + e,
                               "dial failed")
                return
        else:
            pm = self.knob("port_map")
            port = int(pm.get(str(self.port), self.port))
        try:
            r, w = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port), 10)
        except (OSError, asyncio.TimeoutError) as e:
            self.event("dial_failed", port=port, host=self.host,
                       error=str(e))
            await self.end("Unable to start port session: dial tcp "
                           "127.0.0.1:%d: %s" % (port, e),
                           "dial failed")
            return
        if self.state == "ended":
            w.close()
            return
        self.tcp_reader, self.tcp_writer = r, w
        self.tcp_ready = True
        self.state = "streaming"
        self.streaming_at = time.monotonic()
        self.event("target_connected", port=port, host=self.host)
        await self.drain_in_buf()
        self.spawn(self.target_reader(), "reader")

    # -- multiplexed port session (README "Multiplexed port sessions") ----
    async def start_mux(self, port):
        """Serve smux over the stream data with build/smuxd, each smux
        stream dialled to 127.0.0.1:port (None: no such host)."""
        keep = self.knob("smux_keepalive")
        if keep is None:
            keep = am.version_cmp(self.client_version,
                                  MUX_KEEPALIVE_UNTIL) <= 0
        if not os.access(SMUXD, os.X_OK):
            self.event("smuxd_missing", path=SMUXD)
            await self.end("Unable to start port session: %s is missing "
                           "(make build/smuxd)" % SMUXD, "smuxd missing")
            return
        args = [SMUXD, "-host", self.host, "-keepalive=%s" %
                ("true" if keep else "false"), "-dial",
                "" if port is None else "127.0.0.1:%d" % port]
        proc = await asyncio.create_subprocess_exec(
            *args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.emu.smuxd_log, preexec_fn=set_pdeathsig)
        self.emu.child_pids.add(proc.pid)
        if self.state == "ended":
            await self.emu.stop_smuxd(proc)
            return
        self.mux_proc = proc
        self.tcp_writer = proc.stdin
        self.tcp_ready = True
        self.state = "streaming"
        self.streaming_at = time.monotonic()
        self.event("mux_started", host=self.host, port=self.port,
                   dial_port=port, keepalive=keep,
                   client_version=self.client_version, pid=proc.pid)
        await self.drain_in_buf()
        self.spawn(self.mux_reader(proc), "mux-reader")

    async def stop_mux(self):
        p = self.mux_proc
        if p.returncode is None:    # else mux_reader saw it exit
            await self.emu.stop_smuxd(p)
            self.event("smux_exit", returncode=p.returncode,
                       unacked=len(self.out_buf))

    async def wait_publishable(self):
        """No subscriber, no publication: while the client's websocket
        is away (or the agent is silent), the agent waits."""
        while (self.ws is None or self.silent()) and self.state != "ended":
            if self.ws is None:
                await self.ws_up.wait()
            else:
                await asyncio.sleep(RESEND_TICK)

    async def mux_reader(self, proc):
        """smuxd's records: 'D' smux bytes, sent as output in chunks of
        at most 1024 bytes ("Chunk sizes"), 'E' events."""
        r = proc.stdout
        while True:
            try:
                kind, n = struct.unpack(">cI", await r.readexactly(5))
                payload = await r.readexactly(n)
            except (asyncio.IncompleteReadError, OSError):
                break
            if kind == b"E":
                await self.mux_event(json.loads(payload))
                continue
            for i in range(0, len(payload), 1024):
                await self.wait_publishable()
                await self.send_stream(am.PT_OUTPUT, payload[i:i + 1024])
                if self.knob("agent_pause"):
                    await asyncio.sleep(0.001)
        rc = await proc.wait()
        self.event("smux_exit", returncode=rc, unacked=len(self.out_buf))
        self.tcp_ready = False
        try:
            await asyncio.wait_for(self.out_empty.wait(),
                                   self.knob("ack_wait_on_eof"))
        except asyncio.TimeoutError:
            self.stats["eof_unacked_at_close"] = len(self.out_buf)
        await self.end("", "smux session closed")

    async def mux_event(self, ev):
        name = str(ev.pop("event", "unknown"))
        self.stats["smux_" + name] += 1
        self.event("smux_" + name, **ev)
        if name == "dial_failed":
            # the agent's answer to a stream it could not dial
            await self.wait_publishable()
            await self.send_stream(am.PT_FLAG, am.flag_payload(
                am.FLAG_CONNECT_TO_PORT_ERROR))
            self.stats["connect_to_port_errors"] += 1

    async def target_reader(self):
        r = self.tcp_reader
        while True:
            try:
                data = await r.read(1024)      # "Chunk sizes"
            except (OSError, ConnectionError) as e:
                self.event("target_read_error", error=str(e))
                await self.end("Session failed: read from target: %s" % e,
                               "target read error")
                return
            if not data:
                break
            await self.wait_publishable()
            await self.send_stream(am.PT_OUTPUT, data)
            if self.knob("agent_pause"):
                await asyncio.sleep(0.001)
        self.event("target_eof", unacked=len(self.out_buf))
        self.tcp_ready = False
        try:
            await asyncio.wait_for(self.out_empty.wait(),
                                   self.knob("ack_wait_on_eof"))
        except asyncio.TimeoutError:
            self.stats["eof_unacked_at_close"] = len(self.out_buf)
        await self.end("", "target closed the connection")

    # -- incoming frames -----------------------------------------------------
    async def on_frame(self, data):
        self.stats["frames_in"] += 1
        if self.knob("agent_silent"):
            self.stats["ignored_silent"] += 1
            return
        if self.away and time.monotonic() < self.away_until:
            self.stats["ignored_away"] += 1
            return
        try:
            msg = am.decode(data, strict=True)
        except am.FrameError as e:
            try:
                msg = am.decode(data, strict=False)
                self.stats["frame_warnings"] += 1
                self.event("frame_warning", error=str(e))
            except am.FrameError as e2:
                self.stats["frame_errors"] += 1
                self.event("frame_error", error=str(e2),
                           length=len(data))
                return
        if msg.header_length != am.HEADER_LENGTH:
            self.event("frame_warning",
                       error="HeaderLength %d" % msg.header_length)
        if msg.raw_message_type is not None and b"\x00" in \
                msg.raw_message_type:
            self.event("frame_warning", error="MessageType NUL-padded")
        if not msg.digest_ok:
            self.stats["digest_failures"] += 1
            self.event("digest_failure", message_type=msg.message_type,
                       seq=msg.sequence_number, length=len(msg.payload))
            log.warning("%s: digest failure on %r", self.sid, msg)
            return      # dropped, not acked
        for p in am.validate(msg):
            self.stats["validation_failures"] += 1
            self.event("validation_failure", error=p,
                       message_type=msg.message_type)
        if self.away and msg.message_type == am.INPUT_STREAM_DATA:
            # Back, without start_publication: client data ends it.
            self.away = False
            self.event("pause_ended", ignored=self.stats["ignored_away"])
        if msg.message_type == am.ACKNOWLEDGE:
            await self.on_ack(msg)
        elif msg.message_type == am.INPUT_STREAM_DATA:
            await self.on_input(msg)
            await self.maybe_pause()    # after the acks it made
        else:
            self.stats["unexpected_type"] += 1
            self.event("unexpected_message", message_type=msg.message_type)

    async def on_ack(self, msg):
        self.stats["acks_in"] += 1
        if msg.flags != am.ACK_FLAGS or msg.sequence_number != 0 or \
                msg.payload_type != 0:
            self.stats["ack_header_unusual"] += 1
        try:
            atype, aid, aseq = am.parse_ack(msg.payload)
        except (ValueError, UnicodeDecodeError) as e:
            self.stats["ack_invalid"] += 1
            self.event("ack_invalid", error=str(e))
            return
        om = self.out_buf.pop(aseq, None)   # match by seq only
        if om is None:
            self.stats["acks_unmatched"] += 1
            return
        if not self.out_buf:
            self.out_empty.set()
        if atype != am.OUTPUT_STREAM_DATA or aid != str(om.msg.message_id):
            self.stats["ack_field_mismatch"] += 1
            self.event("ack_field_mismatch", seq=aseq, type=atype)
        self.rtt.update((time.monotonic() - om.last_sent) * 1e9)
        if aseq == 0 and om.msg.payload_type == am.PT_HANDSHAKE_REQUEST:
            self.hs_req_acked = True
            await self.maybe_complete()

    async def on_input(self, msg):
        async with self.in_lock:
            await self._on_input(msg)

    async def _on_input(self, msg):
        self.in_count += 1
        di = self.knob("drop_input_every")
        if di and self.in_count % di == 0:
            self.stats["injected_input_drops"] += 1
            return
        s = msg.sequence_number
        if s == self.in_expected:
            after = await self.process_input(msg)
            if after is False:
                return              # handler not ready: no ack, no advance
            await self.send_ack(msg)
            self.in_expected += 1
            if callable(after):
                await after()
            await self.drain_in_buf()
        elif s > self.in_expected:
            if len(self.in_buf) < AGENT_BUFFER_CAP:
                self.stats["input_out_of_order"] += 1
                self.in_buf.setdefault(s, msg)
                await self.send_ack(msg)
        else:
            self.stats["input_duplicates"] += 1
            await self.send_ack(msg)   # the agent re-acks duplicates

    async def drain_in_buf(self):
        while self.in_expected in self.in_buf and self.state != "ended":
            m = self.in_buf[self.in_expected]
            after = await self.process_input(m)
            if after is False:
                return
            del self.in_buf[self.in_expected]
            self.in_expected += 1
            if callable(after):
                await after()

    async def process_input(self, msg):
        """True = accepted (ack), False = not ready (no ack), or a
        coroutine function to run after the ack."""
        pt = msg.payload_type
        if pt == am.PT_HANDSHAKE_RESPONSE:
            fail = await self.handshake_response(msg)
            if fail:
                return lambda: self.end(fail, "handshake failed")
            return True
        if pt == am.PT_OUTPUT:
            if not self.hs_complete:
                # PROTOCOL.md "Handshake timing": acked and
                # discarded by the agent
                self.stats["data_before_handshake"] += 1
                self.event("data_before_handshake",
                           seq=msg.sequence_number)
                return True
            if not self.tcp_ready:
                self.stats["refused_not_ready"] += 1
                return False
            self.stats["input_bytes"] += len(msg.payload)
            if len(msg.payload) > self.stats["input_max_payload"]:
                self.stats["input_max_payload"] = len(msg.payload)
            self.maybe_freeze("input_bytes")
            try:
                self.tcp_writer.write(msg.payload)
                await self.tcp_writer.drain()
            except (OSError, ConnectionError) as e:
                self.event("target_write_error", error=str(e))
            return True
        if pt == am.PT_FLAG:
            if len(msg.payload) != 4:
                self.event("protocol_note", note="flag payload of %d bytes"
                           % len(msg.payload))
                return True
            v = int.from_bytes(msg.payload, "big")
            self.event("flag", value=v)
            self.stats["flag_%d" % v] += 1
            if v == am.FLAG_TERMINATE_SESSION:
                return lambda: self.end("", "TerminateSession flag")
            if v == am.FLAG_DISCONNECT_TO_PORT and \
                    self.mux_proc is not None:
                return True         # the multiplexing agent ignores it
            if v == am.FLAG_DISCONNECT_TO_PORT:
                # PROTOCOL.md "Flag payloads": fatal in SSH
                # (no type) mode
                return lambda: self.end("", "DisconnectToPort flag")
            return True
        self.stats["unexpected_payload_type_%d" % pt] += 1
        self.event("unexpected_payload_type", payload_type=pt)
        return True

    # -- ending (PROTOCOL.md "channel_closed", "Ending the session") -------
    def channel_closed_frame(self, output):
        mid = uuid.uuid4()
        payload = am.channel_closed_payload(
            mid, iso_ms(self.emu.now()), self.target, self.sid, output)
        msg = am.AgentMessage(am.CHANNEL_CLOSED, 0, am.ACK_FLAGS, mid, 0,
                              payload, self.now_ms())
        if self.knob("channel_closed_hl") == 112:
            return am.encode(msg, am.HEADER_LENGTH_NO_PT, b"\x00")
        return am.encode(msg)

    async def end(self, output, reason, send_closed=True):
        if self.state == "ended":
            return
        self.state = "ended"
        self.end_reason = reason
        cur = asyncio.current_task()
        for t in list(self.tasks):
            if t is not cur:
                t.cancel()
        if self.tcp_writer is not None:
            self.tcp_writer.close()
        if self.mux_proc is not None:
            asyncio.ensure_future(self.stop_mux())
        self.tcp_ready = False
        ws = self.ws
        if ws is not None and send_closed:
            await self.send_raw(self.channel_closed_frame(output))
            self.stats["channel_closed_sent"] += 1
        if ws is not None:
            asyncio.ensure_future(self.emu.close_ws(ws, 1000, ""))
        for f in self.frozen:       # now let the dead connections go
            f.transport.abort()
        self.frozen = []
        self.event("closed", reason=reason, output=output,
                   stats=dict(self.stats), out_unacked=len(self.out_buf))
        log.info("session %s ended: %s", self.sid, reason)
        self.ended.set()

    async def send_publication(self, mtype):
        msg = am.AgentMessage(mtype, 0, 0, None, 0, b"", self.now_ms())
        await self.send_raw(am.encode(msg))


# ---------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------

class Emulator:

    def __init__(self, args):
        self.args = args
        self.dir = os.path.abspath(args.dir)
        self.region = args.region
        self.knobs = copy.deepcopy(DEFAULT_KNOBS)
        self.creds = {}
        self.sessions = {}
        self.proxy_ports = set()
        self.shutdown = None
        self.sshd = None
        self.sshd_port = None
        self.sshd2 = None           # the second host of host_map
        self.sshd2_port = None
        # a bound, never listening port: connections to it are refused
        self.closed_sock = socket.socket()
        self.closed_sock.bind(("127.0.0.1", 0))
        self.closed_port = self.closed_sock.getsockname()[1]
        self.child_pids = set()     # smuxd: reaped by asyncio, not us
        self.smuxd_log = open(os.path.join(self.dir, "smuxd.log"), "ab")
        self.api_port = self.ws_port = self.proxy_port = None
        self.logf = open(os.path.join(self.dir, "requests.jsonl"), "a",
                         buffering=1)
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.bg = set()
        self.eic_dir = os.path.join(self.dir, "eic-keys")
        self.start_session_seen = None   # asyncio.Event, made in main()
        self.fleet = fl.Fleet(self.region)
        self.bucket = None          # throttle: [tokens, monotonic time]

    # -- clock, logging ----------------------------------------------------
    def now(self):
        return utcnow_real() + datetime.timedelta(
            seconds=float(self.knobs["clock_offset"]))

    def request_log(self, d):
        d.setdefault("time", iso_ms(utcnow_real()))
        self.logf.write(json.dumps(d, sort_keys=False) + "\n")

    def lookup_cred(self, ak):
        return self.creds.get(ak)

    def issued(self, *values):
        """Record secrets handed out (issued-secrets, one a line, 0600),
        so that tests can prove none of them leaks into a log or trace."""
        path = os.path.join(self.dir, "issued-secrets")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a") as f:
            for v in values:
                if v:
                    f.write(v + "\n")

    def add_cred(self, ak, sk, token=None, expired=False, denied=False,
                 expires_at=None):
        self.creds[ak] = {"secret": sk, "session_token": token,
                          "expired": bool(expired), "denied": bool(denied),
                          "expires_at": expires_at}

    def issue_cred(self, lifetime):
        """New temporary credentials valid lifetime s of emulator time."""
        ak = "ASIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "234567") for _ in range(16))
        sk = base64.b64encode(os.urandom(30)).decode()
        tok = base64.b64encode(os.urandom(
            int(self.knobs["session_token_bytes"]))).decode()
        exp = self.now() + datetime.timedelta(seconds=lifetime)
        self.add_cred(ak, sk, tok, expires_at=exp.timestamp())
        self.issued(ak, sk, tok)
        return ak, sk, tok, exp

    def spawn(self, coro):
        t = asyncio.ensure_future(coro)
        self.bg.add(t)
        t.add_done_callback(self.bg.discard)
        return t

    # -- setup ---------------------------------------------------------------
    def run(self, *cmd):
        r = subprocess.run(list(cmd), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (
                cmd[0], r.returncode, r.stderr.decode(errors="replace")))
        return r

    def make_certs(self):
        d = self.dir
        ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
        key, csr = os.path.join(d, "server.key"), os.path.join(d,
                                                               "server.csr")
        crt, ext = os.path.join(d, "server.pem"), os.path.join(d,
                                                               "server.ext")
        self.run(OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca_key,
                 "-out", ca, "-days", "3", "-subj",
                 "/CN=ssm-proxy emulator throwaway CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\n"
                    "extendedKeyUsage=serverAuth\n"
                    "subjectAltName=IP:127.0.0.1,DNS:localhost,%s\n" %
                    eice.cert_names(self.fleet.regions))
        self.run(OPENSSL, "req", "-new", "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                 "-out", csr, "-subj", "/CN=localhost")
        self.run(OPENSSL, "x509", "-req", "-in", csr, "-CA", ca, "-CAkey",
                 ca_key, "-set_serial", str(secrets.randbits(63)), "-days",
                 "2", "-extfile", ext, "-out", crt)
        self.ca_file, self.cert_file, self.key_file = ca, crt, key

    def make_ssh_keys(self):
        d = self.dir
        self.host_key = os.path.join(d, "ssh_host_ed25519_key")
        self.client_key = os.path.join(d, "client_key")
        for p, c in ((self.host_key, "emulator-host"),
                     (self.client_key, "emulator-client")):
            for f in (p, p + ".pub"):
                if os.path.exists(f):
                    os.unlink(f)
            self.run(SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", c,
                     "-f", p)
        self.authorized_keys = os.path.join(d, "authorized_keys")
        shutil.copyfile(self.client_key + ".pub", self.authorized_keys)
        os.chmod(self.authorized_keys, 0o600)
        with open(self.host_key + ".pub") as f:
            self.host_pub = " ".join(f.read().split()[:2])

    def ssl_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    # -- sshd --------------------------------------------------------------------
    @staticmethod
    def sshd_penalties():
        """Whether sshd has PerSourcePenalties (OpenSSH 9.8 and later):
        it refuses, with "Not allowed at this time", an address whose
        connections ended unauthenticated too often, and every client
        here, probes included, comes from 127.0.0.1."""
        try:
            r = subprocess.run([SSHD, "-V"], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return False
        m = re.search(rb"OpenSSH_(\d+)\.(\d+)", r.stdout + r.stderr)
        return bool(m) and (int(m.group(1)), int(m.group(2))) >= (9, 8)

    def sshd_config(self, port, name="sshd"):
        d = self.dir
        use_pam = "no"
        return "\n".join([
            "# generated by tests/emulator/emulator.py",
            "ListenAddress 127.0.0.1",
            "Port %d" % port,
            "HostKey %s" % self.host_key,
            "PidFile %s" % os.path.join(d, name + ".pid"),
            # sshd2's banner says which host a stream reached
            "VersionAddendum %s" % ("none" if name == "sshd" else
                                    "emu-" + name),
            "AuthorizedKeysFile %s" % self.authorized_keys,
            # EC2 Instance Connect: keys pushed with SendSSHPublicKey, as
            # the instance's eic_run_authorized_keys serves them
            # (AWS-APIS.md "SendSSHPublicKey")
            "AuthorizedKeysCommand /bin/sh %s %s %%u" % (
                os.path.join(d, AUTH_KEYS_SCRIPT), self.eic_dir),
            "AuthorizedKeysCommandUser %s" % self.user,
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "StrictModes no",
            "UsePAM %s" % use_pam,
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "MaxStartups 64:30:128",
            "MaxSessions 64",
            "Subsystem sftp internal-sftp",
            "AllowUsers %s" % self.user,
            "PrintMotd no",
            "X11Forwarding no",
            "LogLevel VERBOSE",
            "PerSourcePenalties no" if self.sshd_penalties() else "",
            ""])

    def setup_eic(self):
        """The keys directory sshd's AuthorizedKeysCommand reads, and the
        command itself copied beside it (mode 0755)."""
        os.makedirs(os.path.join(self.eic_dir, "users"), 0o755,
                    exist_ok=True)
        dst = os.path.join(self.dir, AUTH_KEYS_SCRIPT)
        shutil.copyfile(os.path.join(HERE, AUTH_KEYS_SCRIPT), dst)
        os.chmod(dst, 0o755)
        self.write_eic_clock()

    def write_eic_clock(self):
        """The emulator clock's offset, for the AuthorizedKeysCommand."""
        self.atomic_write(os.path.join(self.eic_dir, "clock"),
                          "%.3f\n" % float(self.knobs["clock_offset"]))

    def atomic_write(self, path, text):
        tmp = path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)

    async def start_sshd(self, name="sshd"):
        """sshd (EMU_SSHD_PORT) or sshd2, the second host of host_map
        (EMU_SSHD2_PORT, its own config, pid file and log)."""
        if not os.access(SSHD, os.X_OK):
            raise RuntimeError("%s not found: install openssh-server "
                               "(make deps)" % SSHD)
        if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
            os.makedirs("/run/sshd", 0o755, exist_ok=True)
        cfg = os.path.join(self.dir, name + "_config")
        logf = open(os.path.join(self.dir, name + ".log"), "ab")
        if name == "sshd":
            self.sshd_log = logf
        last = ""
        for attempt in range(8):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            with open(cfg, "w") as f:
                f.write(self.sshd_config(port, name))
            proc = await asyncio.create_subprocess_exec(
                SSHD, "-D", "-e", "-f", cfg, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                preexec_fn=set_pdeathsig, start_new_session=False)
            want = ("Server listening on 127.0.0.1 port %d." % port).encode()
            ok = False
            lines = []
            try:
                async with asyncio.timeout(15) if hasattr(
                        asyncio, "timeout") else _Deadline(15):
                    while True:
                        line = await proc.stderr.readline()
                        if not line:
                            break
                        logf.write(line)
                        logf.flush()
                        lines.append(line.decode(errors="replace"))
                        if want in line:
                            ok = True
                            break
            except asyncio.TimeoutError:
                pass
            if ok:
                if name == "sshd":
                    self.sshd, self.sshd_port = proc, port
                else:
                    self.sshd2, self.sshd2_port = proc, port
                self.spawn(self.tee_sshd(proc, logf))
                log.info("%s pid %d on port %d", name, proc.pid, port)
                return
            last = "".join(lines[-10:])
            if proc.returncode is None:
                proc.terminate()
            await proc.wait()
            if "Address already in use" not in last:
                break
        raise RuntimeError("sshd did not start:\n" + last)

    async def tee_sshd(self, proc, logf):
        while True:
            line = await proc.stderr.readline()
            if not line:
                return
            logf.write(line)
            logf.flush()

    def resolve_host(self, host, port):
        """host_map: "host:port", then "host" (either as given or
        lowercased) -> a port on 127.0.0.1, or None (no such host)."""
        hm = self.knobs["host_map"]
        v = None
        for h in (host, host.lower()):
            v = hm.get("%s:%d" % (h, port), hm.get(h))
            if v is not None:
                break
        if v is None:
            return None
        return {"sshd": self.sshd_port, "sshd2": self.sshd2_port,
                "closed": self.closed_port}.get(v) or int(v)

    async def stop_smuxd(self, proc):
        """End a session's smuxd: at stdin's EOF it exits; SIGKILL if it
        has not within 3 s.  (No signal to a process that may be exiting:
        Popen.send_signal's poll would reap it behind asyncio's back.)"""
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            await asyncio.wait_for(asyncio.shield(proc.wait()), 3)
        except asyncio.TimeoutError:
            log.warning("smuxd pid %d ignored EOF: SIGKILL", proc.pid)
            proc.kill()
            await proc.wait()
        self.child_pids.discard(proc.pid)

    def reap_orphans(self):
        """Reap exited orphans reparented to us (we are a subreaper); the
        sshd listener itself is left to asyncio's child watcher."""
        keep = {p.pid for p in (self.sshd, self.sshd2) if p is not None}
        keep |= self.child_pids
        for p in descendants(os.getpid()):
            if p in keep:
                continue
            try:
                os.waitpid(p, os.WNOHANG)
            except ChildProcessError:
                pass

    async def reaper(self):
        while True:
            await asyncio.sleep(2)
            self.reap_orphans()

    async def stop_children(self):
        """SIGTERM sshd and everything below it (session processes and
        the commands they run, orphans included since we are a child
        subreaper), bounded wait, then SIGKILL."""
        me = os.getpid()
        kids = descendants(me)
        for p in reversed(kids):
            try:
                os.kill(p, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            self.reap_orphans()
            if self.sshd is not None and self.sshd.returncode is None:
                try:
                    await asyncio.wait_for(self.sshd.wait(), 0.05)
                except asyncio.TimeoutError:
                    pass
            else:
                await asyncio.sleep(0.05)
            kids = [p for p in descendants(me)]
            if not kids:
                return
        for p in descendants(me):
            log.warning("SIGKILL to pid %d", p)
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in (self.sshd, self.sshd2):
            if p is not None:
                await p.wait()
        self.reap_orphans()

    # -- HTTP(S) API server ----------------------------------------------------
    def via_proxy(self, writer):
        peer = writer.get_extra_info("peername")
        return bool(peer) and peer[1] in self.proxy_ports

    async def handle_http(self, reader, writer):
        vp = self.via_proxy(writer)
        try:
            while True:
                req = await read_request(reader)
                if req is None:
                    break
                req.body = await read_body(req, reader, writer)
                status, headers, body = await self.dispatch(req, vp)
                self.write_response(writer, status, headers, body,
                                    req.close)
                await writer.drain()
                if req.close:
                    break
        except (HttpError, ValueError) as e:
            log.warning("bad HTTP request: %s", e)
            try:
                self.write_response(writer, 400, [], b"bad request\n", True)
                await writer.drain()
            except (ConnectionError, OSError):
                pass
        except (ConnectionError, OSError, asyncio.IncompleteReadError,
                asyncio.TimeoutError, ssl.SSLError):
            pass
        finally:
            writer.close()

    def write_response(self, writer, status, headers, body, close):
        reason = http.HTTPStatus(status).phrase
        out = ["HTTP/1.1 %d %s" % (status, reason)]
        hs = [("Date", email.utils.formatdate(self.now().timestamp(),
                                              usegmt=True)),
              ("Content-Length", str(len(body)))]
        if close:
            hs.append(("Connection", "close"))
        if not any(n.lower() == "x-amzn-requestid" for n, _ in headers):
            hs.append(("x-amzn-RequestId", str(uuid.uuid4())))
        for n, v in headers + hs:
            out.append("%s: %s" % (n, v))
        writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") +
                     body)

    def aws_error(self, rid, code, message, status=None):
        style = self.knobs["error_style"]
        status = status or ERROR_STATUS.get(code, 400)
        if style == "coral":
            body = {"__type": "com.amazon.coral.service#" + code,
                    "Message": message}
            etype = code + ":http://internal.amazon.com/coral/" \
                "com.amazon.coral.service/"
        else:
            body = {"__type": code, "message": message}
            etype = code
        hs = [("x-amzn-RequestId", rid),
              ("Content-Type", "application/x-amz-json-1.1")]
        if style != "no_header":
            hs.append(("X-Amzn-ErrorType", etype))
        return status, hs, json.dumps(body).encode()

    async def dispatch(self, req, via_proxy):
        if req.path.startswith("/_emulator/"):
            return await self.control(req, via_proxy)
        rid = str(uuid.uuid4())
        entry = {"kind": "api", "api": None, "method": req.method,
                 "path": req.path, "via_proxy": via_proxy,
                 "request_id": rid,
                 "user_agent": req.header("user-agent"),
                 "content_type": req.header("content-type")}
        tgt = req.header("x-amz-target") or ""
        ct = (req.header("content-type") or "").split(";")[0].strip()
        if not tgt and self.is_ec2(req):
            status, hs, body = self.ec2(req, rid, entry)
            entry["status"] = status
            self.request_log(entry)
            return status, hs, body
        if not tgt and ct == "application/x-www-form-urlencoded":
            if self.knobs["sts_delay"]:
                await asyncio.sleep(float(self.knobs["sts_delay"]))
            status, hs, body = self.sts(req, rid, entry)
            entry["status"] = status
            self.request_log(entry)
            return status, hs, body
        if req.path.split("?")[0] == "/federation/credentials":
            status, hs, body = self.sso(req, rid, entry)
            entry["status"] = status
            self.request_log(entry)
            return status, hs, body
        if tgt == "AmazonSSM.StartSession":
            self.start_session_seen.set()
        elif tgt == EIC_PREFIX + "SendSSHPublicKey" and \
                self.knobs["eic_hold_until_start_session"]:
            # The push must overlap StartSession: hold it until one comes.
            entry["held"] = True
            try:
                await asyncio.wait_for(self.start_session_seen.wait(),
                                       float(self.knobs["eic_hold_timeout"]))
            except asyncio.TimeoutError:
                entry.update(api="SendSSHPublicKey", hold_timed_out=True,
                             error="ServiceException", status=500)
                self.request_log(entry)
                return self.aws_error(rid, "ServiceException", "held for "
                                      "%s s and no StartSession arrived" %
                                      self.knobs["eic_hold_timeout"])
        try:
            status, hs, body = self.api(req, rid, entry)
        except Exception as e:      # never let the client hang
            log.exception("API handler failed")
            status, hs, body = self.aws_error(rid, "InternalServerError",
                                              "emulator bug: %s" % e)
            entry["error"] = "InternalServerError"
        entry["status"] = status
        self.request_log(entry)
        return status, hs, body

    def take_token(self):
        """The knob throttle's token bucket: False when it is empty."""
        t = self.knobs["throttle"]
        if not t:
            return True
        rate, burst = float(t["rate"]), float(t["burst"])
        now = time.monotonic()
        if self.bucket is None:
            self.bucket = [burst, now]
        tokens = min(burst, self.bucket[0] + (now - self.bucket[1]) * rate)
        self.bucket[1] = now
        if tokens < 1:
            self.bucket[0] = tokens
            return False
        self.bucket[0] = tokens - 1
        return True

    @staticmethod
    def check_throttle(val):
        if val is None:
            return
        if not isinstance(val, dict) or set(val) != {"rate", "burst"} or \
                any(isinstance(val[n], bool) or
                    not isinstance(val[n], (int, float)) for n in val) or \
                val["rate"] <= 0 or val["burst"] < 1:
            raise ValueError("throttle must be null or {\"rate\": R > 0, "
                             "\"burst\": B >= 1}")

    def take_forced(self, api):
        q = self.knobs["fail"]
        for i, f in enumerate(q):
            if f.get("api", "*") in (api, "*"):
                f["count"] = int(f.get("count", 1)) - 1
                if f["count"] <= 0:
                    del q[i]
                return f
        return None

    def api(self, req, rid, entry):
        tgt = req.header("x-amz-target") or ""
        service = "ssm"
        if tgt.startswith("AmazonSSM."):
            api = tgt[len("AmazonSSM."):]
        elif tgt.startswith(EIC_PREFIX):
            api = tgt[len(EIC_PREFIX):]
            service = "ec2-instance-connect"
        else:
            api = tgt or None
        entry["api"] = api
        v = sigv4.verify(req.method, req.path, req.query, req.headers,
                         hashlib.sha256(req.body).hexdigest(),
                         self.lookup_cred, self.fleet.regions, service,
                         self.now(), self.knobs["skew"],
                         self.knobs["require_signed_token"])
        entry.update(signature=v.signature, access_key=v.access_key,
                     region=v.region,
                     token_present=v.token_present,
                     token_signed=v.token_signed,
                     signed_headers=v.signed_headers, amz_date=v.amz_date)
        if v.code:
            entry["error"] = v.code
            entry["error_message"] = v.message
            if v.canonical_request is not None:
                self.debug_sig(rid, v)
            return self.aws_error(rid, v.code, v.message)
        exp = self.creds[v.access_key].get("expires_at")
        if exp is not None and self.now().timestamp() >= exp:
            entry["error"] = "ExpiredTokenException"
            return self.aws_error(rid, "ExpiredTokenException",
                                  "The security token included in the "
                                  "request is expired")
        if service == "ssm" and api in ("StartSession", "ResumeSession") \
                and not self.take_token():
            entry["error"] = "ThrottlingException"
            entry["throttled"] = True
            return self.aws_error(rid, "ThrottlingException",
                                  "Rate exceeded")
        f = self.take_forced(api)
        if f is not None:
            code = f.get("code", "ThrottlingException")
            entry["error"] = code
            entry["forced"] = True
            return self.aws_error(rid, code, f.get(
                "message", "Forced by the emulator (%s)" % code),
                f.get("status"))
        if self.creds[v.access_key].get("denied"):
            entry["error"] = "AccessDeniedException"
            return self.aws_error(
                rid, "AccessDeniedException",
                "User: arn:aws:iam::123456789012:user/emulator is not "
                "authorized to perform: ssm:%s because no identity-based "
                "policy allows the ssm:%s action" % (api, api))
        if "%s:%s" % (service, api) in self.knobs["deny"]:
            entry["error"] = "AccessDeniedException"
            return self.aws_error(rid, "AccessDeniedException",
                                  self.denied_message(service, api))
        if req.method != "POST":
            entry["error"] = "UnknownOperationException"
            return self.aws_error(rid, "UnknownOperationException",
                                  "Only POST is supported")
        ct = (req.header("content-type") or "").split(";")[0].strip()
        if ct != "application/x-amz-json-1.1":
            entry["error"] = "SerializationException"
            return self.aws_error(rid, "SerializationException",
                                  "Content-Type must be "
                                  "application/x-amz-json-1.1, got %r" % ct)
        try:
            body = json.loads(req.body.decode("utf-8") or "{}")
            if not isinstance(body, dict):
                raise ValueError("body is not a JSON object")
        except (ValueError, UnicodeDecodeError) as e:
            entry["error"] = "SerializationException"
            return self.aws_error(rid, "SerializationException", str(e))
        handler = {"StartSession": self.start_session,
                   "ResumeSession": self.resume_session,
                   "TerminateSession": self.terminate_session,
                   "DescribeInstanceInformation":
                   lambda b, v, e: self.fleet.describe_information(
                       b, v.region, self.knobs, e, self.now().timestamp())
                   }.get(api) \
            if service == "ssm" else \
            {"SendSSHPublicKey": self.send_ssh_public_key}.get(api)
        if handler is None:
            entry["error"] = "UnknownOperationException"
            return self.aws_error(rid, "UnknownOperationException",
                                  "Unknown operation %r" % tgt)
        res = handler(body, v, entry)
        if isinstance(res, tuple):     # (code, message)
            entry["error"] = res[0]
            return self.aws_error(rid, res[0], res[1])
        return 200, [("x-amzn-RequestId", rid),
                     ("Content-Type", "application/x-amz-json-1.1")], \
            res if isinstance(res, bytes) else json.dumps(res).encode()

    # -- EC2 (Query protocol, XML), fleet.py --------------------------------
    @staticmethod
    def denied_message(service, api):
        return ("User: arn:aws:iam::123456789012:user/emu is not authorized "
                "to perform: %s:%s because no identity-based policy allows "
                "the %s:%s action" % (service, api, service, api))

    @staticmethod
    def is_ec2(req):
        """A call without X-Amz-Target is EC2's when it is signed for the
        service ec2 or its form's Action is EC2's (else STS or the SSO
        portal, as before)."""
        m = re.search(r"Credential=[^/,]*/[^/,]*/[^/,]*/([^/,]*)/",
                      req.header("authorization") or "")
        if m and m.group(1) == "ec2":
            return True
        try:
            form = urllib.parse.parse_qs(req.body.decode("utf-8"))
        except UnicodeDecodeError:
            return False
        return form.get("Action", [None])[0] in EC2_ACTIONS

    def ec2(self, req, rid, entry):
        hs = [("x-amzn-RequestId", rid),
              ("Content-Type", "text/xml;charset=UTF-8")]
        try:
            pairs = urllib.parse.parse_qsl(req.body.decode("utf-8"),
                                           keep_blank_values=True,
                                           strict_parsing=True)
        except (ValueError, UnicodeDecodeError):
            pairs = []
        action = dict(pairs).get("Action")
        entry.update(api=action, service="ec2")
        v = sigv4.verify(req.method, req.path, req.query, req.headers,
                         hashlib.sha256(req.body).hexdigest(),
                         self.lookup_cred, self.fleet.regions, "ec2",
                         self.now(), self.knobs["skew"],
                         self.knobs["require_signed_token"])
        entry.update(signature=v.signature, access_key=v.access_key,
                     region=v.region, token_present=v.token_present,
                     token_signed=v.token_signed,
                     signed_headers=v.signed_headers, amz_date=v.amz_date)
        code = msg = None
        exp = self.creds.get(v.access_key, {}).get("expires_at")
        if v.code:
            if v.canonical_request is not None:
                self.debug_sig(rid, v)
            code = {"UnrecognizedClientException": "AuthFailure",
                    "ExpiredTokenException": "RequestExpired",
                    "InvalidSignatureException": "SignatureDoesNotMatch"
                    }.get(v.code, v.code)
            if v.message.startswith("Signature "):    # expired, not yet
                code = "RequestExpired"
            msg = v.message
        elif exp is not None and self.now().timestamp() >= exp:
            code, msg = "RequestExpired", "Request has expired."
        elif req.method != "POST" or not pairs or \
                (req.header("content-type") or "").split(";")[0].strip() \
                != "application/x-www-form-urlencoded":
            code, msg = "MissingAction", "The request must contain the " \
                "parameter Action (form-encoded POST body)"
        elif action not in EC2_ACTIONS:
            code, msg = "InvalidAction", "The action %s is not valid for " \
                "this web service." % action
        else:
            f = self.take_forced(action)
            if f is not None:
                entry["forced"] = True
                code = f.get("code", "RequestLimitExceeded")
                st, body = fl.ec2_error(rid, code, f.get(
                    "message", "Forced by the emulator (%s)" % code),
                    f.get("status"))
                entry["error"] = code
                return st, hs, body
            if self.creds[v.access_key].get("denied") or \
                    "ec2:" + action in self.knobs["deny"]:
                code = "UnauthorizedOperation"
                msg = "You are not authorized to perform this operation. " \
                    + self.denied_message("ec2", action)
        if code is not None:
            entry.update(error=code, error_message=msg)
            st, body = fl.ec2_error(rid, code, msg)
            return st, hs, body
        st, body = self.fleet.ec2(action, pairs, v.region, self.knobs,
                                  entry, rid)
        return st, hs, body

    # -- STS (Query protocol, XML), AWS-APIS.md "STS" -------------------------
    def sts_error(self, rid, code, message, status=400, typ="Sender"):
        body = ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>'
                '\n    <Code>%s</Code>\n    <Message>%s</Message>\n  '
                '</Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n' %
                (STS_NS, typ, code, xml_escape(message), rid))
        return status, [("x-amzn-RequestId", rid),
                        ("Content-Type", "text/xml")], body.encode()

    def sts(self, req, rid, entry):
        try:
            form = dict(urllib.parse.parse_qsl(req.body.decode("utf-8"),
                                               keep_blank_values=True,
                                               strict_parsing=True))
        except (ValueError, UnicodeDecodeError):
            form = {}
        action = form.get("Action")
        entry.update(api=action, service="sts",
                     role_arn=form.get("RoleArn"),
                     role_session_name=form.get("RoleSessionName"),
                     external_id=form.get("ExternalId"),
                     serial_number=form.get("SerialNumber"),
                     duration=form.get("DurationSeconds"))
        if req.method != "POST":
            return self.sts_error(rid, "InvalidAction", "POST required")
        if action == "AssumeRole":
            v = sigv4.verify(req.method, req.path, req.query, req.headers,
                             hashlib.sha256(req.body).hexdigest(),
                             self.lookup_cred, self.region, "sts",
                             self.now(), self.knobs["skew"],
                             self.knobs["require_signed_token"])
            entry.update(access_key=v.access_key,
                         token_present=v.token_present)
            if v.code:
                code = {"UnrecognizedClientException": "InvalidClientTokenId",
                        "InvalidSignatureException": "SignatureDoesNotMatch",
                        "MissingAuthenticationToken":
                        "MissingAuthenticationToken"}.get(v.code, v.code)
                entry["error"] = code
                return self.sts_error(rid, code, v.message, 403)
            c = self.creds[v.access_key]
            if c.get("expires_at") is not None and \
                    self.now().timestamp() >= c["expires_at"]:
                entry["error"] = "ExpiredToken"
                return self.sts_error(rid, "ExpiredToken", "The security "
                                      "token included in the request is "
                                      "expired", 403)
        elif action == "AssumeRoleWithWebIdentity":
            if req.header("authorization"):
                entry["signed"] = True
            tok = form.get("WebIdentityToken", "")
            if tok not in self.knobs["web_identity_tokens"]:
                entry["error"] = "InvalidIdentityToken"
                return self.sts_error(rid, "InvalidIdentityToken",
                                      "Couldn't retrieve verification key "
                                      "from your identity provider")
        else:
            entry["error"] = "InvalidAction"
            return self.sts_error(rid, "InvalidAction", "Could not find "
                                  "operation %s for version 2011-06-15" %
                                  action)
        if form.get("Version") != "2011-06-15":
            entry["error"] = "InvalidAction"
            return self.sts_error(rid, "InvalidAction", "bad Version")
        f = self.take_forced(action)
        if f is not None:
            entry.update(error=f.get("code", "Throttling"), forced=True)
            return self.sts_error(rid, entry["error"], f.get(
                "message", "Forced by the emulator"), f.get("status", 400))
        arn = form.get("RoleArn", "")
        name = form.get("RoleSessionName", "")
        if not ROLE_ARN_RE.match(arn):
            entry["error"] = "ValidationError"
            return self.sts_error(rid, "ValidationError", "1 validation "
                                  "error detected: Value at 'roleArn' "
                                  "failed to satisfy constraint")
        if not SESSION_NAME_RE.match(name):
            entry["error"] = "ValidationError"
            return self.sts_error(rid, "ValidationError", "1 validation "
                                  "error detected: Value at "
                                  "'roleSessionName' failed to satisfy "
                                  "constraint")
        try:
            dur = int(form.get("DurationSeconds", "3600"))
        except ValueError:
            dur = -1
        if not 900 <= dur <= 43200:
            entry["error"] = "ValidationError"
            return self.sts_error(rid, "ValidationError", "The requested "
                                  "DurationSeconds exceeds the "
                                  "MaxSessionDuration set for this role.")
        role = self.knobs["roles"].get(arn, {})
        if action == "AssumeRole":
            if role.get("external_id") is not None and \
                    form.get("ExternalId") != role["external_id"]:
                entry["error"] = "AccessDenied"
                return self.sts_error(rid, "AccessDenied", "User is not "
                                      "authorized to perform: "
                                      "sts:AssumeRole on resource: " + arn,
                                      403)
            if role.get("mfa_serial") is not None and \
                    (form.get("SerialNumber") != role["mfa_serial"] or
                     form.get("TokenCode") != role.get("mfa_code")):
                entry["error"] = "AccessDenied"
                entry["mfa_ok"] = False
                return self.sts_error(rid, "AccessDenied", "MultiFactor"
                                      "Authentication failed with invalid "
                                      "MFA one time pass code.", 403)
            if role.get("mfa_serial") is not None:
                entry["mfa_ok"] = True
        life = self.knobs["sts_lifetime"] or dur
        ak, sk, tok, exp = self.issue_cred(float(life))
        entry["issued_access_key"] = ak
        res = action + "Result"
        body = ('<%sResponse xmlns="%s">\n  <%s>\n    <Credentials>\n'
                '      <AccessKeyId>%s</AccessKeyId>\n'
                '      <SecretAccessKey>%s</SecretAccessKey>\n'
                '      <SessionToken>%s</SessionToken>\n'
                '      <Expiration>%s</Expiration>\n    </Credentials>\n'
                '    <AssumedRoleUser>\n      <AssumedRoleId>AROAEMULATOR:%s'
                '</AssumedRoleId>\n      <Arn>%s</Arn>\n    '
                '</AssumedRoleUser>\n  </%s>\n  <ResponseMetadata>\n    '
                '<RequestId>%s</RequestId>\n  </ResponseMetadata>\n'
                '</%sResponse>\n') % (
                    action, STS_NS, res, ak, xml_escape(sk), xml_escape(tok),
                    exp.strftime("%Y-%m-%dT%H:%M:%SZ"), xml_escape(name),
                    xml_escape(arn.replace(":iam:", ":sts:").replace(
                        ":role/", ":assumed-role/") + "/" + name), res, rid,
                    action)
        return 200, [("x-amzn-RequestId", rid),
                     ("Content-Type", "text/xml")], body.encode()

    # -- IAM Identity Center portal, AWS-APIS.md "IAM Identity Center" -------
    def sso(self, req, rid, entry):
        q = dict(urllib.parse.parse_qsl(req.query, keep_blank_values=True))
        entry.update(api="GetRoleCredentials", service="sso",
                     role_name=q.get("role_name"),
                     account_id=q.get("account_id"),
                     signed=bool(req.header("authorization")))

        def err(status, code, msg):
            entry["error"] = code
            return status, [("x-amzn-RequestId", rid),
                            ("x-amzn-ErrorType", code),
                            ("Content-Type", "application/json")], \
                json.dumps({"message": msg}).encode()
        if req.method != "GET":
            return err(400, "InvalidRequestException", "GET required")
        tok = req.header("x-amz-sso_bearer_token")
        if tok is None or tok not in self.knobs["sso_tokens"]:
            return err(401, "UnauthorizedException",
                       "Session token not found or invalid")
        if not re.match(r"^\d{12}$", q.get("account_id", "")) or \
                not q.get("role_name"):
            return err(400, "InvalidRequestException",
                       "account_id and role_name are required")
        f = self.take_forced("GetRoleCredentials")
        if f is not None:
            return err(f.get("status", 429), f.get(
                "code", "TooManyRequestsException"), "Forced by the emulator")
        ak, sk, tok, exp = self.issue_cred(
            float(self.knobs["sts_lifetime"] or 3600))
        entry["issued_access_key"] = ak
        return 200, [("x-amzn-RequestId", rid),
                     ("Content-Type", "application/json")], json.dumps(
            {"roleCredentials": {"accessKeyId": ak, "secretAccessKey": sk,
                                 "sessionToken": tok,
                                 "expiration": int(exp.timestamp() * 1000)}
             }).encode()

    # -- plain HTTP: IMDS and container credentials (AWS-APIS.md "Instance
    # metadata", "Container credentials") ------------------------------------
    async def handle_meta(self, reader, writer):
        try:
            while True:
                req = await read_request(reader)
                if req is None:
                    break
                req.body = await read_body(req, reader, writer)
                entry = {"kind": "meta", "method": req.method,
                         "path": req.path}
                status, hs, body = self.meta(req, entry)
                entry["status"] = status
                self.request_log(entry)
                self.write_response(writer, status, hs, body, req.close)
                await writer.drain()
                if req.close:
                    break
        except (HttpError, ValueError, ConnectionError, OSError,
                asyncio.IncompleteReadError, asyncio.TimeoutError):
            pass
        finally:
            writer.close()

    def meta(self, req, entry):
        k = self.knobs
        text = [("Content-Type", "text/plain")]
        p = req.path
        if p.startswith("/container/"):
            entry["api"] = "container"
            want = k["container_token"]
            got = req.header("authorization")
            entry["authorization_ok"] = want is None or got == want
            if want is not None and got != want:
                code = "Unauthorized" if got is None else "AccessDenied"
                entry["error"] = code
                return 401 if got is None else 403, \
                    [("Content-Type", "application/json")], json.dumps(
                        {"code": code, "message": "bad authorization "
                         "token"}).encode()
            ak, sk, tok, exp = self.issue_cred(
                float(k["sts_lifetime"] or 3600))
            entry["issued_access_key"] = ak
            return 200, [("Content-Type", "application/json")], json.dumps(
                {"AccessKeyId": ak, "SecretAccessKey": sk, "Token": tok,
                 "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "RoleArn": "arn:aws:iam::123456789012:role/emu-task"}
            ).encode()
        if p == "/latest/api/token":
            entry["api"] = "imds_token"
            if req.method != "PUT":
                return 405, text, b""
            if k["imds_token_status"]:
                return int(k["imds_token_status"]), text, b""
            try:
                ttl = int(req.header(
                    "x-aws-ec2-metadata-token-ttl-seconds") or "")
            except ValueError:
                ttl = 0
            if not 1 <= ttl <= 21600:
                return 400, text, b""
            t = "emu-imds-" + secrets.token_hex(16)
            self.imds_tokens = getattr(self, "imds_tokens", set()) | {t}
            return 200, text + [("X-aws-ec2-metadata-token-ttl-seconds",
                                 str(ttl))], t.encode()
        if not p.startswith("/latest/meta-data/"):
            return 404, text, b""
        tok = req.header("x-aws-ec2-metadata-token")
        entry["v1"] = tok is None
        entry["api"] = "imds"
        if tok is None and not k["imds_token_status"]:
            return 401, text, b""   # IMDSv2 required on this instance
        if tok is not None and tok not in getattr(self, "imds_tokens", ()):
            return 401, text, b""
        base = "/latest/meta-data/iam/security-credentials/"
        if p == "/latest/meta-data/placement/region":
            r = k["imds_region"]
            return (200, text, r.encode()) if r else (404, text, b"")
        if p == base:
            r = k["imds_role"]
            return (200, text, r.encode()) if r else (404, text, b"")
        if p.startswith(base) and k["imds_role"] and \
                p[len(base):] == k["imds_role"]:
            ak, sk, t, exp = self.issue_cred(
                float(k["sts_lifetime"] or 21600))
            entry["issued_access_key"] = ak
            now = self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
            return 200, text, json.dumps(
                {"Code": "Success", "LastUpdated": now, "Type": "AWS-HMAC",
                 "AccessKeyId": ak, "SecretAccessKey": sk, "Token": t,
                 "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")},
                indent=2).encode()
        return 404, text, b""

    def debug_sig(self, rid, v):
        """Canonical request of a failed verification, token redacted,
        for whoever debugs a signer.  Not the request log."""
        creq = v.canonical_request
        creq = re.sub(r"(?m)^(x-amz-security-token:).*$", r"\1<redacted>",
                      creq)
        with open(os.path.join(self.dir, "sigv4-debug.log"), "a") as f:
            f.write("== %s %s %s\n%s\n\n" % (iso_ms(utcnow_real()), rid,
                                             v.code, creq))

    def new_token(self, s):
        # Published TokenValues are base64 text beginning AAEAA, 364 to
        # 951 characters long, past the API model's 300.
        n = self.knobs["token_len"] or REALISTIC_TOKEN_LEN
        tok = ("AAEAA" + base64.b64encode(secrets.token_bytes(
            n * 3 // 4 + 3)).decode())[:n]
        s.tokens[tok] = time.monotonic() + float(self.knobs["token_ttl"])
        self.issued(tok)
        return tok

    def stream_url(self, s):
        # cell-number: about 120 characters of base64, percent-encoded.
        cell = urllib.parse.quote(base64.b64encode(
            secrets.token_bytes(90)).decode(), safe="")
        pq = "/v1/data-channel/%s?role=publish_subscribe&cell-number=%s" % (
            s.sid, cell)
        want = self.knobs["stream_url_len"]
        base = len("wss://127.0.0.1:%d" % self.ws_port)
        if want and want > base + len(pq):
            pq += "A" * (want - base - len(pq))
        if self.knobs["presigned_stream_url"]:
            now = sigv4.fmt_amz_date(self.now())
            pq += ("&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                   "EMULATOR%%2F%s%%2F%s%%2Fssmmessages%%2Faws4_request"
                   "&X-Amz-Date=%s&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
                   "&X-Amz-Signature=%s" % (now[:8], self.region, now,
                                            secrets.token_hex(32)))
        s.stream_urls.append(pq)
        self.issued(cell, pq.split("?", 1)[1])
        return "wss://127.0.0.1:%d%s" % (
            self.knobs["stream_url_port"] or self.ws_port, pq)

    def start_session(self, body, v, entry):
        t = body.get("Target")
        entry["target"] = t
        doc = body.get("DocumentName")
        entry["document"] = doc
        params = body.get("Parameters")
        if not isinstance(t, str) or not t:
            return ("ValidationException", "1 validation error detected: "
                    "Value null at 'target' failed to satisfy constraint: "
                    "Member must not be null")
        if len(t) > 400:
            return ("ValidationException", "1 validation error detected: "
                    "Value at 'target' failed to satisfy constraint: "
                    "Member must have length less than or equal to 400")
        if "Reason" in body and (not isinstance(body["Reason"], str) or
                                 not 1 <= len(body["Reason"]) <= 256):
            return ("ValidationException", "Reason must be 1..256 chars")
        if t in self.knobs["deny_targets"]:
            return ("AccessDeniedException",
                    "User: arn:aws:iam::123456789012:user/emulator is not "
                    "authorized to perform: ssm:StartSession on resource: "
                    "arn:aws:ec2:%s:123456789012:instance/%s" %
                    (v.region, t))
        fv = self.fleet.session_verdict(v.region, t, self.knobs)
        if isinstance(fv, tuple):
            return fv
        if fv is None and (not TARGET_RE.match(t) or
                           t not in self.knobs["targets"]):
            return ("TargetNotConnected", "%s is not connected." % t)
        if doc is None:
            doc_name = "SSM-SessionManagerRunShell"
        else:
            if not isinstance(doc, str) or not DOCUMENT_RE.match(doc):
                return ("ValidationException", "1 validation error "
                        "detected: Value at 'documentName' failed to "
                        "satisfy constraint: Member must satisfy regular "
                        "expression pattern: ^[a-zA-Z0-9_\\-.:/]{3,128}$")
            doc_name = doc.rsplit("document/", 1)[-1] \
                if doc.startswith("arn:") else doc
        if doc_name not in self.knobs["documents"]:
            return ("InvalidDocument", "Document %s is not allowed by the "
                    "emulator (allowed: %s)" % (
                        doc_name, ", ".join(self.knobs["documents"])))
        remote = doc_name == REMOTE_HOST_DOC
        port = "80" if remote else "22"     # the documents' defaults
        if params is not None and (not isinstance(params, dict) or not all(
                isinstance(k, str) and isinstance(val, list) and
                all(isinstance(x, str) for x in val)
                for k, val in params.items())):
            return ("ValidationException", "Parameters must map names "
                    "to lists of strings")
        host = local = None
        if remote:
            bad = self.remote_host_params(params or {})
            if bad:
                return ("ValidationException", bad)
            host = params["host"][0]
            local = params.get("localPortNumber", ["0"])[0]
            entry["host"] = host
        if params is not None:
            names = ("portNumber", "host", "localPortNumber") if remote \
                else ("portNumber",)
            extra = [k for k in params if k not in names]
            if extra:
                return ("ValidationException", "Parameter %s is not "
                        "defined in document %s" % (extra[0], doc_name))
            if "portNumber" in params:
                pn = params["portNumber"]
                if len(pn) != 1 or not pn[0].isdigit() or \
                        not 1 <= int(pn[0]) <= 65535:
                    return ("ValidationException", "portNumber must be a "
                            "list of one string holding a port 1..65535")
                port = pn[0]
        entry["port"] = port
        sid = self.new_session_id()
        s = Session(self, sid, t, int(port), doc_name, v.access_key)
        s.region = v.region
        s.host, s.local_port = host, local
        self.sessions[sid] = s
        entry["session_id"] = sid
        return {"SessionId": sid, "TokenValue": self.new_token(s),
                "StreamUrl": self.stream_url(s)}

    @staticmethod
    def remote_host_params(params):
        """REMOTE_HOST_DOC's parameters: host required, localPortNumber
        0..65535 (the client's listener: recorded, not used)."""
        h = params.get("host")
        if h is None:
            return "Parameter host is required by document %s" % \
                REMOTE_HOST_DOC
        if len(h) != 1 or not REMOTE_HOST_RE.match(h[0]):
            return ("host must be a list of one string of 3 or more "
                    "characters without any of ,$^&()!;'\"<>`{}[]|#=")
        lp = params.get("localPortNumber", ["0"])
        if len(lp) != 1 or not lp[0].isdigit() or int(lp[0]) > 65535:
            return ("localPortNumber must be a list of one string holding "
                    "a port 0..65535")
        return None

    def new_session_id(self):
        """<caller>-<17 hex>, the caller an e-mail-like name of 64
        characters with @ . + = in it (or padded to session_id_len)."""
        tail = "-" + secrets.token_hex(9)[:17]
        caller = "emu.user+ssm=test@"
        n = (self.knobs["session_id_len"] or REALISTIC_CALLER_LEN +
             len(tail)) - len(tail)
        dom = ".example.com"
        caller += "x" * max(0, n - len(caller) - len(dom)) + dom
        return caller[:n] + tail

    def resume_session(self, body, v, entry):
        sid = body.get("SessionId")
        entry["session_id"] = sid
        s = self.sessions.get(sid) if isinstance(sid, str) else None
        if s is None or s.state == "ended":
            return ("DoesNotExistException", "Session %s does not exist or "
                    "has ended" % sid)
        url = "wss://127.0.0.1:%d%s" % (self.ws_port, s.stream_urls[0])
        if self.knobs["resume_null_token"]:
            entry["null_token"] = True
            return {"SessionId": sid, "TokenValue": None, "StreamUrl": url}
        return {"SessionId": sid, "TokenValue": self.new_token(s),
                "StreamUrl": url}

    def terminate_session(self, body, v, entry):
        sid = body.get("SessionId")
        entry["session_id"] = sid
        if not isinstance(sid, str) or not sid:
            return ("ValidationException", "SessionId is required")
        s = self.sessions.get(sid)
        if s is not None and s.state != "ended":
            self.spawn(s.end("", "TerminateSession API"))
        return {"SessionId": sid}

    def send_ssh_public_key(self, body, v, entry):
        """EC2 Instance Connect (AWS-APIS.md "SendSSHPublicKey"): check the
        members, then serve the key to sshd for this OS user for
        eic_key_validity seconds of emulator time."""
        iid = body.get("InstanceId")
        user = body.get("InstanceOSUser")
        key = body.get("SSHPublicKey")
        az = body.get("AvailabilityZone")
        entry.update(instance_id=iid, os_user=user, ssh_public_key=key)
        bad = "InvalidArgsException"
        if not isinstance(iid, str) or not 10 <= len(iid) <= 32 or \
                not EIC_INSTANCE_RE.match(iid):
            return (bad, "InstanceId must match ^i-[a-f0-9]+$ (10 to 32 "
                    "characters)")
        if not isinstance(user, str) or not 1 <= len(user) <= 32 or \
                not EIC_USER_RE.match(user):
            return (bad, "InstanceOSUser is not a valid user name")
        if not isinstance(key, str) or not 80 <= len(key) <= 4096:
            return (bad, "SSHPublicKey must be 80 to 4096 characters")
        if az is not None and (not isinstance(az, str) or
                               not 6 <= len(az) <= 32 or
                               not EIC_AZ_RE.match(az)):
            return (bad, "AvailabilityZone is not valid")
        parts = key.split()
        try:
            blob = base64.b64decode(parts[1], validate=True)
            n = int.from_bytes(blob[:4], "big")
            inner = blob[4:4 + n].decode("ascii")
        except (IndexError, ValueError, UnicodeDecodeError):
            inner = None
        if "\n" in key or len(parts) < 2 or parts[0] not in EIC_KEY_TYPES \
                or inner != parts[0]:
            return (bad, "The SSH public key is not a valid Ed25519 or RSA "
                    "OpenSSH public key")
        where = self.fleet.locate(iid, self.knobs)
        if iid in self.knobs["targets"]:
            pass
        elif where is None or where[0] != v.region or \
                where[1]["state"] == "terminated":
            return ("EC2InstanceNotFoundException",
                    "Instance %s not found" % iid)
        elif where[1]["state"] != "running":
            return ("EC2InstanceStateInvalidException", "Instance %s is "
                    "not in a valid state (%s)" % (iid, where[1]["state"]))
        expiry = self.now().timestamp() + float(
            self.knobs["eic_key_validity"])
        path = os.path.join(self.eic_dir, "users", user)
        now = self.now().timestamp()
        keep = []
        if os.path.exists(path):
            with open(path) as f:
                keep = [l for l in f.read().splitlines()
                        if l and float(l.split(" ", 1)[0]) > now]
        keep.append("%.3f %s" % (expiry, " ".join(parts[:2])))
        self.atomic_write(path, "\n".join(keep) + "\n")
        entry["expiry"] = expiry
        return {"RequestId": entry["request_id"], "Success": True}

    # -- control endpoint (unsigned) ---------------------------------------
    async def control(self, req, via_proxy):
        entry = {"kind": "control", "method": req.method, "path": req.path}
        try:
            status, obj = await self.control_inner(req)
        except (ValueError, KeyError, TypeError) as e:
            status, obj = 400, {"error": str(e)}
        entry["status"] = status
        self.request_log(entry)
        return status, [("Content-Type", "application/json")], \
            (json.dumps(obj, indent=1) + "\n").encode()

    def public_knobs(self):
        k = copy.deepcopy(self.knobs)
        k["credentials"] = [{"access_key": ak, "expired": c["expired"],
                             "denied": c["denied"],
                             "has_token": bool(c["session_token"])}
                            for ak, c in self.creds.items()]
        return k

    def apply_config(self, obj):
        if not isinstance(obj, dict):
            raise ValueError("config must be a JSON object")
        if obj.get("reset"):
            keep = self.knobs["port_map"]
            self.knobs = copy.deepcopy(DEFAULT_KNOBS)
            self.knobs["port_map"] = keep
            self.fleet.reset()
            self.bucket = None
        if obj.get("eic_hold_until_start_session"):
            self.start_session_seen.clear()
        for c in obj.get("credentials", []) or []:
            self.add_cred(c["access_key"], c["secret_key"],
                          c.get("session_token"), c.get("expired", False),
                          c.get("denied", False))
        for k, val in obj.items():
            if k in ("reset", "credentials"):
                continue
            if k not in DEFAULT_KNOBS:
                raise ValueError("unknown knob %r" % k)
            if k == "fail":
                if isinstance(val, dict):
                    val = [val]
                if not isinstance(val, list):
                    raise ValueError("fail must be a list")
                self.knobs["fail"].extend(val)
            elif k == "throttle":
                self.check_throttle(val)
                self.knobs[k] = val
                self.bucket = None      # a new limit starts full
            elif k == "port_map":
                self.knobs["port_map"] = {
                    str(a): (self.sshd_port if b == "sshd" else int(b))
                    for a, b in val.items()}
            else:
                self.knobs[k] = val
        self.write_eic_clock()

    async def control_inner(self, req):
        p = req.path
        body = json.loads(req.body.decode() or "{}") if req.body else {}
        if p == "/_emulator/health":
            return 200, {"ok": True, "pid": os.getpid()}
        if p == "/_emulator/config":
            if req.method == "POST":
                self.apply_config(body)
            return 200, self.public_knobs()
        if p == "/_emulator/sessions":
            return 200, [s.summary() for s in self.sessions.values()]
        if p == "/_emulator/eice":
            return 200, self.eice.state()
        if p == "/_emulator/action" and req.method == "POST":
            return 200, await self.action(body)
        return 404, {"error": "no such control path"}

    async def action(self, body):
        act = body["action"]
        sid = body.get("session_id")
        ss = [s for s in self.sessions.values()
              if s.state != "ended" and (sid is None or s.sid == sid)]
        for s in ss:
            if act in ("pause_publication", "start_publication"):
                await s.send_publication(act)
            elif act == "drop_ws":
                if s.ws is not None:
                    # Let go of it first: nothing more into a dead socket.
                    ws, s.ws = s.ws, None
                    s.ws_up.clear()
                    s.event("injected_ws_abort")
                    ws.transport.abort()
            elif act == "freeze_ws":
                s.freeze_ws()
            elif act == "close_ws":
                if s.ws is not None:
                    ws, s.ws = s.ws, None
                    s.ws_up.clear()
                    s.event("injected_ws_close",
                            code=int(body.get("code", 1001)))
                    await self.close_ws(ws, int(body.get("code", 1001)),
                                        "closed by emulator action")
            elif act in ("terminate", "channel_closed"):
                await s.end(body.get("output", ""), "control action " + act)
            elif act == "send_stream":
                await s.send_stream(int(body["payload_type"]),
                                    body.get("output", "").encode())
            else:
                raise ValueError("unknown action %r" % act)
        return {"action": act, "sessions": [s.sid for s in ss]}

    # -- websocket ---------------------------------------------------------------
    def make_protocol(self):
        emu = self

        class Proto(WebSocketServerProtocol):
            async def process_request(self, path, headers):
                return emu.ws_process_request(self, path, headers)

            async def read_frame(self, max_size):
                # Count the answers to our keepalive pings (--ws-ping-*).
                frame = await super().read_frame(max_size)
                s = getattr(self, "emu_session", None)
                if s is not None and frame.opcode == OP_PONG and \
                        frame.data in self.pings:
                    s.stats["ws_pongs_in"] += 1
                return frame

        return Proto

    def ws_process_request(self, proto, path, headers):
        raw_path, _, raw_query = path.partition("?")
        peer = proto.transport.get_extra_info("peername")
        vp = bool(peer) and peer[1] in self.proxy_ports
        entry = {"kind": "websocket", "path": raw_path, "via_proxy": vp,
                 "signature": "absent"}
        proto.emu_session = None
        m = DATA_PATH_RE.match(raw_path)
        s = self.sessions.get(m.group(1)) if m else None
        entry["session_id"] = m.group(1) if m else None
        ext = headers.get("Sec-WebSocket-Extensions")
        entry["offered_extensions"] = ext
        qs = urllib.parse.parse_qs(raw_query)

        def refuse(status, why):
            entry["status"] = int(status)
            entry["error"] = why
            self.request_log(entry)
            return (status, [("Content-Type", "text/plain")],
                    (why + "\n").encode())

        if s is None:
            return refuse(http.HTTPStatus.NOT_FOUND, "unknown session")
        if s.state == "ended":
            return refuse(http.HTTPStatus.NOT_FOUND, "session has ended")
        entry["url_verbatim"] = path in s.stream_urls
        if qs.get("role") != ["publish_subscribe"]:
            return refuse(http.HTTPStatus.BAD_REQUEST, "role must be "
                          "publish_subscribe")
        hl = list(headers.raw_items())
        entry["presigned_url"] = "X-Amz-Signature" in qs
        if headers.get("Authorization") is not None:
            phash = headers.get("X-Amz-Content-Sha256") or \
                sigv4.EMPTY_SHA256
            v = sigv4.verify("GET", raw_path, raw_query, hl, phash,
                             self.lookup_cred, self.fleet.regions,
                             "ssmmessages",
                             self.now(), self.knobs["skew"],
                             self.knobs["require_signed_token"])
            entry.update(signature=v.signature, access_key=v.access_key,
                         token_present=v.token_present,
                         token_signed=v.token_signed,
                         signed_headers=v.signed_headers)
            if v.code:
                if v.canonical_request is not None:
                    self.debug_sig("ws-" + s.sid, v)
                entry["error_code"] = v.code
                return refuse(http.HTTPStatus.FORBIDDEN,
                              "%s: %s" % (v.code, v.message))
        elif self.knobs["ws_require_signature"]:
            return refuse(http.HTTPStatus.FORBIDDEN, "MissingAuthentication"
                          "Token: unsigned upgrade refused (knob)")
        f = self.take_forced("websocket")
        if f is not None:
            entry["forced"] = True
            return refuse(http.HTTPStatus(int(f.get("status", 403))),
                          f.get("message", "forced by the emulator"))
        entry["status"] = 101
        self.request_log(entry)
        proto.emu_session = s
        return None

    async def close_ws(self, ws, code, reason):
        try:
            await asyncio.wait_for(ws.close(code, reason), 3)
        except (asyncio.TimeoutError, websockets.exceptions.
                ConnectionClosed, OSError):
            try:
                ws.transport.abort()
            except AttributeError:
                pass        # the TLS transport is already gone

    async def ws_handler(self, ws):
        s = getattr(ws, "emu_session", None)
        if s is None:
            await ws.close(1008, "no session")
            return
        ent = {"kind": "open_data_channel", "session_id": s.sid}
        try:
            first = await asyncio.wait_for(ws.recv(),
                                           self.knobs["open_timeout"])
        except asyncio.TimeoutError:
            ent["result"] = "timeout"
            self.request_log(ent)
            await ws.close(1008, "no OpenDataChannel")
            return
        except websockets.exceptions.ConnectionClosed:
            ent["result"] = "closed"
            self.request_log(ent)
            return
        why = None
        obj = None
        if not isinstance(first, str):
            why = "binary_first"
        else:
            try:
                obj = json.loads(first)
                if not isinstance(obj, dict):
                    raise ValueError
            except ValueError:
                why = "not_json"
        if obj is not None:
            ent["fields"] = list(obj)
            ent["schema_version"] = obj.get("MessageSchemaVersion")
            ent["client_id"] = obj.get("ClientId")
            ent["client_version"] = obj.get("ClientVersion")
            rq = obj.get("RequestId")
            ent["request_id_ok"] = isinstance(rq, str) and bool(re.match(
                r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                r"[0-9a-f]{12}$", rq))
            if obj.get("MessageSchemaVersion") != "1.0":
                why = "bad_schema"
            elif not s.valid_token(obj.get("TokenValue")):
                why = "bad_token"
        ent["result"] = why or "ok"
        self.request_log(ent)
        if why:
            await ws.close(1008, "OpenDataChannel rejected: " + why)
            return
        if obj.get("ClientId"):
            s.client_ids.append(obj["ClientId"])
        try:
            await s.attach(ws)
            async for data in ws:
                if getattr(ws, "emu_frozen", False):
                    # Queued before the freeze: a dead peer reads nothing.
                    # recv() ends when end() aborts the connection.
                    s.stats["frozen_frames_dropped"] += 1
                    continue
                if isinstance(data, str):
                    s.stats["text_frames_in"] += 1
                    data = data.encode("utf-8")
                await s.on_frame(data)
                if s.state == "ended":
                    break
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            s.detach(ws)

    # -- CONNECT proxy -------------------------------------------------------
    async def handle_proxy(self, reader, writer):
        entry = {"kind": "connect"}
        up_w = None
        try:
            req = await read_request(reader, 30)
            if req is None:
                return
            entry["method"] = req.method
            entry["target"] = req.target
            entry["proxy_auth_present"] = \
                req.header("proxy-authorization") is not None

            def reply(status, extra=""):
                entry["status"] = status
                self.request_log(entry)
                writer.write(("HTTP/1.1 %d %s\r\n%sContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n" % (
                                  status, http.HTTPStatus(status).phrase,
                                  extra)).encode())

            if req.method != "CONNECT":
                reply(405)
                return
            pa = self.knobs["proxy_auth"]
            if pa:
                want = "Basic " + base64.b64encode(pa.encode()).decode()
                if req.header("proxy-authorization") != want:
                    reply(407, 'Proxy-Authenticate: Basic realm="emu"\r\n')
                    return
            host, _, port = req.target.rpartition(":")
            host = host.strip("[]")
            if port == "443" and \
                    self.fleet.endpoint_by_host(host, self.knobs):
                # an EICE endpoint's DNS name: its port here
                entry["mapped_to"] = "127.0.0.1:%d" % self.eice_port
                host, port = "127.0.0.1", str(self.eice_port)
            if host not in ("127.0.0.1", "localhost", "::1") or \
                    not port.isdigit():
                reply(403)
                entry["error"] = "only loopback targets"
                return
            try:
                up_r, up_w = await asyncio.wait_for(
                    asyncio.open_connection(host, int(port)), 10)
            except (OSError, asyncio.TimeoutError):
                reply(502)
                return
            lport = up_w.get_extra_info("sockname")[1]
            self.proxy_ports.add(lport)
            entry["status"] = 200
            self.request_log(entry)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()

            async def pipe(r, w):
                try:
                    while True:
                        b = await r.read(65536)
                        if not b:
                            break
                        w.write(b)
                        await w.drain()
                except (ConnectionError, OSError):
                    pass
                finally:
                    try:
                        if w.can_write_eof():
                            w.write_eof()
                    except (OSError, RuntimeError):
                        pass
            try:
                await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))
            finally:
                self.proxy_ports.discard(lport)
        except (HttpError, ValueError, ConnectionError, OSError,
                asyncio.TimeoutError):
            pass
        finally:
            if up_w is not None:
                up_w.close()
            writer.close()

    # -- lifecycle ---------------------------------------------------------------
    def write_state(self):
        d = self.dir
        targets = self.knobs["targets"]
        known = os.path.join(d, "known_hosts")
        names = []
        for n in ["127.0.0.1", "localhost"] + list(targets) + \
                self.fleet.all_names(self.knobs):
            names += [n, "[%s]:%d" % (n, self.sshd_port)]
        for n in self.knobs["host_map"]:   # REMOTE_HOST_DOC's hosts
            n = n.split(":")[0]
            names += [n, "[%s]:%d" % (n, self.sshd_port),
                      "[%s]:%d" % (n, self.sshd2_port)]
        with open(known, "w") as f:
            f.write("%s %s\n" % (",".join(names), self.host_pub))
        known_any = os.path.join(d, "known_hosts_any")
        with open(known_any, "w") as f:
            f.write("* %s\n" % self.host_pub)
        c = self.primary
        for n in ("aws-config", "aws-credentials"):
            open(os.path.join(d, n), "a").close()
        info = {
            "pid": os.getpid(),
            "dir": d,
            "api_url": "https://127.0.0.1:%d" % self.api_port,
            "api_port": self.api_port,
            "control_url": "https://127.0.0.1:%d/_emulator" % self.api_port,
            "ws_port": self.ws_port,
            "eice_port": self.eice_port,
            "eice_endpoints": self.eice.summary(),
            "proxy_url": "http://127.0.0.1:%d" % self.proxy_port,
            "proxy_port": self.proxy_port,
            "meta_url": "http://127.0.0.1:%d" % self.meta_port,
            "ca_file": self.ca_file,
            "sshd_port": self.sshd_port,
            "sshd_pid": self.sshd.pid,
            "sshd2_port": self.sshd2_port,
            "sshd2_pid": self.sshd2.pid,
            "closed_port": self.closed_port,
            "host_map": self.knobs["host_map"],
            "smuxd": os.path.abspath(SMUXD),
            "ssh_user": self.user,
            "ssh_key": self.client_key,
            "ssh_pubkey": self.client_key + ".pub",
            "host_key": self.host_pub,
            "known_hosts": known,
            "known_hosts_any": known_any,
            "known_hosts_line": "* " + self.host_pub,
            "region": self.region,
            "access_key": c[0],
            "secret_key": c[1],
            "session_token": c[2],
            "targets": targets,
            "target": targets[0] if targets else None,
            "request_log": os.path.join(d, "requests.jsonl"),
            "sshd_log": os.path.join(d, "sshd.log"),
            "sshd2_log": os.path.join(d, "sshd2.log"),
            "smuxd_log": os.path.join(d, "smuxd.log"),
            "emulator_log": os.path.join(d, "emulator.log"),
        }
        q = shlex.quote
        env = ["# generated by tests/emulator/emulator.py; source it",
               "unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ENDPOINT_URL "
               "AWS_SESSION_TOKEN AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE "
               "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI "
               "AWS_CONTAINER_CREDENTIALS_FULL_URI",
               "unset HTTPS_PROXY https_proxy HTTP_PROXY http_proxy "
               "ALL_PROXY all_proxy NO_PROXY no_proxy",
               "export AWS_ACCESS_KEY_ID=%s" % q(c[0]),
               "export AWS_SECRET_ACCESS_KEY=%s" % q(c[1])]
        if c[2]:
            env.append("export AWS_SESSION_TOKEN=%s" % q(c[2]))
        env += ["export AWS_REGION=%s" % q(self.region),
                "export AWS_DEFAULT_REGION=%s" % q(self.region),
                "export AWS_ENDPOINT_URL_SSM=%s" % q(info["api_url"]),
                "export AWS_ENDPOINT_URL_EC2=%s" % q(info["api_url"]),
                "export AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT=%s" % q(
                    info["api_url"]),
                "export AWS_CA_BUNDLE=%s" % q(self.ca_file),
                "export AWS_CONFIG_FILE=%s" % q(os.path.join(d,
                                                             "aws-config")),
                "export AWS_SHARED_CREDENTIALS_FILE=%s" % q(
                    os.path.join(d, "aws-credentials")),
                "export AWS_EC2_METADATA_DISABLED=true"]
        for k, val in (("DIR", d), ("PID", os.getpid()),
                       ("API_URL", info["api_url"]),
                       ("API_PORT", self.api_port),
                       ("CONTROL_URL", info["control_url"]),
                       ("WS_PORT", self.ws_port),
                       ("EICE_PORT", self.eice_port),
                       ("EICE_ID", eice.MAIN),
                       ("EICE_DNS", self.eice.dns(eice.MAIN)),
                       ("EICE_FIPS_DNS", self.eice.dns(eice.MAIN, True)),
                       ("EICE_B_ID", eice.SUBNET_B),
                       ("EICE_B_DNS", self.eice.dns(eice.SUBNET_B)),
                       ("EICE_EU_ID", eice.EU),
                       ("EICE_EU_DNS", self.eice.dns(eice.EU)),
                       ("PROXY_URL", info["proxy_url"]),
                       ("PROXY_PORT", self.proxy_port),
                       ("META_URL", info["meta_url"]),
                       ("CA_FILE", self.ca_file),
                       ("SSHD_PORT", self.sshd_port),
                       ("SSHD_PID", self.sshd.pid),
                       ("SSHD2_PORT", self.sshd2_port),
                       ("SSHD2_PID", self.sshd2.pid),
                       ("SSHD2_LOG", info["sshd2_log"]),
                       ("CLOSED_PORT", self.closed_port),
                       ("SMUXD", info["smuxd"]),
                       ("REMOTE_HOST_DOC", REMOTE_HOST_DOC),
                       ("VIA_HOST", "db.internal"),
                       ("VIA_HOST2", "app.internal"),
                       ("VIA_HOST_CLOSED", "closed.internal"),
                       ("SSH_USER", self.user),
                       ("SSH_KEY", self.client_key),
                       ("KNOWN_HOSTS", known),
                       ("KNOWN_HOSTS_ANY", known_any),
                       ("TARGET", info["target"] or ""),
                       ("TARGET_MI", next((t for t in targets
                                           if t.startswith("mi-")), "")),
                       ("REGION", self.region),
                       ("REQUEST_LOG", info["request_log"]),
                       ("SSHD_LOG", info["sshd_log"]),
                       ("LOG", info["emulator_log"])):
            env.append("export EMU_%s=%s" % (k, q(str(val))))
        for name, text in (("env.sh", "\n".join(env) + "\n"),
                           ("emulator.json",
                            json.dumps(info, indent=1) + "\n")):
            tmp = os.path.join(d, "." + name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, os.path.join(d, name))

    def watch_parent(self, loop):
        pid = self.args.parent_pid
        if pid is None:
            pid = os.getppid()
        if pid <= 1:
            return
        if not pid_alive(pid):
            self.stop("parent %d already gone" % pid)
            return
        try:
            fd = os.pidfd_open(pid)

            def gone():
                loop.remove_reader(fd)
                os.close(fd)
                self.stop("parent %d exited" % pid)
            loop.add_reader(fd, gone)
            return
        except (AttributeError, OSError):
            pass

        async def poll():
            while pid_alive(pid):
                await asyncio.sleep(0.5)
            self.stop("parent %d exited" % pid)
        self.spawn(poll())

    def watch_stdin(self, loop):
        def readable():
            try:
                b = os.read(0, 4096)
            except OSError:
                b = b""
            if not b:
                loop.remove_reader(0)
                self.stop("stdin EOF")
        try:
            loop.add_reader(0, readable)
        except (OSError, ValueError, PermissionError) as e:
            log.warning("cannot watch stdin: %s", e)

    def stop(self, why):
        if not self.shutdown.is_set():
            log.info("stopping: %s", why)
            self.shutdown.set()

    async def main(self):
        loop = asyncio.get_running_loop()
        self.shutdown = asyncio.Event()
        self.start_session_seen = asyncio.Event()
        try:    # orphans of sshd sessions become ours, so we can end them
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(36, 1)      # PR_SET_CHILD_SUBREAPER
        except OSError:
            pass
        self.spawn(self.reaper())
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.add_signal_handler(sig, self.stop, "signal %d" % sig)
        self.watch_parent(loop)
        if self.args.exit_on_stdin_eof:
            self.watch_stdin(loop)
        api = await asyncio.start_server(self.handle_http, "127.0.0.1", 0,
                                         ssl=self.ssl_context())
        self.api_port = api.sockets[0].getsockname()[1]
        proxy = await asyncio.start_server(self.handle_proxy, "127.0.0.1", 0)
        self.proxy_port = proxy.sockets[0].getsockname()[1]
        self.meta_srv = await asyncio.start_server(self.handle_meta,
                                                   "127.0.0.1", 0)
        self.meta_port = self.meta_srv.sockets[0].getsockname()[1]
        wss = await websockets.legacy.server.serve(
            self.ws_handler, "127.0.0.1", 0, ssl=self.ssl_context(),
            create_protocol=self.make_protocol(), compression=None,
            max_size=1 << 20, ping_interval=self.args.ws_ping_interval,
            ping_timeout=self.args.ws_ping_timeout, close_timeout=2)
        self.ws_port = list(wss.sockets)[0].getsockname()[1]
        self.eice = eice.Eice(self)
        eice_srv = await self.eice.serve()
        self.eice_port = list(eice_srv.sockets)[0].getsockname()[1]
        try:
            if not self.shutdown.is_set():
                await self.start_sshd()
            if not self.shutdown.is_set():
                await self.start_sshd("sshd2")
            pm = self.knobs["port_map"]
            for a, b in list(pm.items()):
                if b == "sshd":
                    pm[a] = self.sshd_port
            if not self.shutdown.is_set():
                self.write_state()
                log.info("ready: api %d ws %d proxy %d sshd %d",
                         self.api_port, self.ws_port, self.proxy_port,
                         self.sshd_port)
                sys.stdout.write("ready %s\n" % os.path.join(
                    self.dir, "emulator.json"))
                sys.stdout.flush()
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.close(devnull)
                await self.shutdown.wait()
        finally:
            eice_srv.close()
            await self.teardown(api, proxy, wss)

    async def teardown(self, api, proxy, wss):
        try:
            os.unlink(os.path.join(self.dir, "emulator.json"))
        except OSError:
            pass
        for s in list(self.sessions.values()):
            if s.state != "ended":
                await s.end("emulator shutting down", "emulator shutdown")
        api.close()
        proxy.close()
        if getattr(self, "meta_srv", None) is not None:
            self.meta_srv.close()
        wss.close()
        try:
            await asyncio.wait_for(wss.wait_closed(), 3)
        except asyncio.TimeoutError:
            pass
        await self.stop_children()
        for t in list(self.bg):
            t.cancel()
        log.info("stopped")


class _Deadline:
    """asyncio.timeout() stand-in for Python < 3.11."""

    def __init__(self, secs):
        self.secs = secs

    async def __aenter__(self):
        self.task = asyncio.current_task()
        self.h = asyncio.get_running_loop().call_later(self.secs,
                                                       self.task.cancel)

    async def __aexit__(self, et, e, tb):
        self.h.cancel()
        if et is asyncio.CancelledError:
            raise asyncio.TimeoutError
        return False


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="SSM Session Manager emulator for ssm-proxy tests")
    p.add_argument("--dir", required=True, help="state directory")
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--access-key", help="default: random AKIA...")
    p.add_argument("--secret-key", help="default: random")
    p.add_argument("--session-token", help="make the primary credential "
                   "temporary with this token")
    p.add_argument("--with-session-token", action="store_true",
                   help="generate a random session token")
    p.add_argument("--credential", action="append", default=[],
                   metavar="AK:SK[:TOKEN]", help="extra credential")
    p.add_argument("--expired-token", action="store_true",
                   help="the primary credential's token is expired")
    p.add_argument("--clock-offset", type=float, default=0.0,
                   metavar="SECS", help="emulator clock = real + SECS")
    p.add_argument("--no-agent-pause", action="store_true",
                   help="no 1 ms pause after each sshd read")
    p.add_argument("--handshake-type", metavar="T",
                   help='add Properties "type": T to the HandshakeRequest')
    p.add_argument("--handshake-kms", action="store_true",
                   help="add a KMSEncryption action")
    p.add_argument("--handshake-unknown-action", metavar="NAME")
    p.add_argument("--handshake-timeout", type=float, default=15)
    p.add_argument("--customer-message", default="")
    p.add_argument("--channel-closed-hl", type=int, choices=(112, 116),
                   default=112)
    p.add_argument("--target", action="append", default=[],
                   help="extra connected target id")
    p.add_argument("--document", action="append", default=[],
                   help="extra allowed DocumentName")
    p.add_argument("--port-map", action="append", default=[],
                   metavar="REQ=PORT|sshd", help="dial PORT when REQ is "
                   "requested, e.g. 22=sshd")
    p.add_argument("--host-map", action="append", default=[],
                   metavar="HOST[:PORT]=sshd|sshd2|closed|PORT",
                   help="where %s's host is dialled (adds to the "
                   "default map)" % REMOTE_HOST_DOC)
    p.add_argument("--fail", action="append", default=[],
                   metavar="API=CODE[:N]", help="fail the next N calls "
                   "of API (or *) with CODE")
    p.add_argument("--ws-require-signature", action="store_true")
    p.add_argument("--long-fields", action="store_true",
                   help="TokenValue, StreamUrl and SessionId as long as "
                   "ssm-proxy accepts (16384, 16384, 256)")
    p.add_argument("--ws-ping-interval", type=float, default=None,
                   help="server websocket pings (default: none)")
    p.add_argument("--ws-ping-timeout", type=float, default=20,
                   help="close a websocket whose pong is this late")
    p.add_argument("--set", action="append", default=[],
                   metavar="KNOB=JSON", help="set any run-time knob")
    p.add_argument("--parent-pid", type=int, default=None,
                   help="exit when this pid exits (default: the parent; "
                   "0 = do not watch)")
    p.add_argument("--exit-on-stdin-eof", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="log to stderr too")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    os.makedirs(args.dir, exist_ok=True)
    handlers = [logging.FileHandler(os.path.join(args.dir, "emulator.log"))]
    if args.verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    logging.basicConfig(level=logging.INFO, handlers=handlers,
                        format="%(asctime)s %(name)s %(levelname)s "
                        "%(message)s")
    logging.getLogger("websockets").setLevel(logging.WARNING)
    for tool in (SSHD, SSH_KEYGEN, OPENSSL):
        if not os.access(tool, os.X_OK):
            sys.stderr.write("emulator: FATAL: %s is missing (make deps)\n"
                             % tool)
            return 2
    emu = Emulator(args)
    ak = args.access_key or "AKIAEMU" + "".join(
        secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        for _ in range(13))
    sk = args.secret_key or base64.b64encode(
        secrets.token_bytes(30)).decode()
    tok = args.session_token or (base64.b64encode(secrets.token_bytes(
        96)).decode() if args.with_session_token else None)
    emu.add_cred(ak, sk, tok, expired=args.expired_token)
    emu.primary = (ak, sk, tok)
    for c in args.credential:
        parts = c.split(":", 2)
        if len(parts) < 2:
            sys.stderr.write("emulator: --credential AK:SK[:TOKEN]\n")
            return 2
        emu.add_cred(parts[0], parts[1], parts[2] if len(parts) > 2
                     else None)
    k = emu.knobs
    k["clock_offset"] = args.clock_offset
    k["agent_pause"] = not args.no_agent_pause
    k["handshake_type"] = args.handshake_type
    k["handshake_kms"] = args.handshake_kms
    k["handshake_unknown_action"] = args.handshake_unknown_action
    k["handshake_timeout"] = args.handshake_timeout
    k["customer_message"] = args.customer_message
    k["channel_closed_hl"] = args.channel_closed_hl
    k["ws_require_signature"] = args.ws_require_signature
    if args.long_fields:
        k.update(LONG_FIELDS)
    k["targets"] += [t for t in args.target if t not in k["targets"]]
    k["documents"] += [d for d in args.document if d not in k["documents"]]
    for pm in args.port_map:
        a, _, b = pm.partition("=")
        k["port_map"][a] = b if b == "sshd" else int(b)
    for hm in args.host_map:
        a, _, b = hm.rpartition("=")
        k["host_map"][a] = b if b in ("sshd", "sshd2", "closed") else int(b)
    for f in args.fail:
        api, _, rest = f.partition("=")
        code, _, n = rest.partition(":")
        k["fail"].append({"api": api, "code": code,
                          "count": int(n or 1)})
    for s in args.set:
        name, _, val = s.partition("=")
        if name not in DEFAULT_KNOBS:
            sys.stderr.write("emulator: unknown knob %r\n" % name)
            return 2
        k[name] = json.loads(val)
        if name == "throttle":
            try:
                emu.check_throttle(k[name])
            except ValueError as e:
                sys.stderr.write("emulator: %s\n" % e)
                return 2
    try:
        emu.make_certs()
        emu.make_ssh_keys()
        emu.setup_eic()
        asyncio.run(emu.main())
    except RuntimeError as e:
        log.error("%s", e)
        sys.stderr.write("emulator: FATAL: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
