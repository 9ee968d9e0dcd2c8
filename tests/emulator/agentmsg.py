"""AgentMessage codec and agent-side helpers for the test emulator.

Written from protocol/PROTOCOL.md (sections cited by heading), not from
the C code in protocol/.  Standard library only.  Nothing here does I/O.
"""

import hashlib
import json
import struct
import uuid

# PROTOCOL.md "AgentMessage": offsets of the fixed header
HEADER_LENGTH = 116
HEADER_LENGTH_NO_PT = 112       # "Locating the payload": MGS variant
MESSAGE_TYPE_LEN = 32
OFF_MESSAGE_TYPE = 4
OFF_SCHEMA_VERSION = 36
OFF_CREATED_DATE = 40
OFF_SEQUENCE = 48
OFF_FLAGS = 56
OFF_MESSAGE_ID = 64
OFF_DIGEST = 80
OFF_PAYLOAD_TYPE = 112

# PROTOCOL.md "MessageType strings"
INPUT_STREAM_DATA = "input_stream_data"
OUTPUT_STREAM_DATA = "output_stream_data"
ACKNOWLEDGE = "acknowledge"
CHANNEL_CLOSED = "channel_closed"
START_PUBLICATION = "start_publication"
PAUSE_PUBLICATION = "pause_publication"
AGENT_SESSION_STATE = "agent_session_state"
KNOWN_TYPES = (INPUT_STREAM_DATA, OUTPUT_STREAM_DATA, ACKNOWLEDGE,
               CHANNEL_CLOSED, START_PUBLICATION, PAUSE_PUBLICATION,
               AGENT_SESSION_STATE)

# PROTOCOL.md "PayloadType values"
PT_NONE = 0
PT_OUTPUT = 1
PT_ERROR = 2
PT_SIZE = 3
PT_PARAMETER = 4
PT_HANDSHAKE_REQUEST = 5
PT_HANDSHAKE_RESPONSE = 6
PT_HANDSHAKE_COMPLETE = 7
PT_ENC_CHALLENGE_REQUEST = 8
PT_ENC_CHALLENGE_RESPONSE = 9
PT_FLAG = 10
PT_STDERR = 11
PT_EXIT_CODE = 12

# PROTOCOL.md "Flags"
FLAG_SYN = 1
FLAG_FIN = 2
ACK_FLAGS = 3

# PROTOCOL.md "Flag payloads"
FLAG_DISCONNECT_TO_PORT = 1
FLAG_TERMINATE_SESSION = 2
FLAG_CONNECT_TO_PORT_ERROR = 3

# PROTOCOL.md "HandshakeResponse"
ACTION_SUCCESS = 1
ACTION_FAILED = 2
ACTION_UNSUPPORTED = 3


class FrameError(ValueError):
    """A frame that cannot be decoded (bounds, lengths)."""


def uuid_to_wire(u):
    """PROTOCOL.md "AgentMessage" (MessageId): LSB half (bytes 8..15)
    first, then MSB half (0..7)."""
    b = u.bytes
    return b[8:16] + b[0:8]


def uuid_from_wire(b):
    if len(b) != 16:
        raise FrameError("MessageId must be 16 bytes")
    return uuid.UUID(bytes=bytes(b[8:16] + b[0:8]))


class AgentMessage:
    """One decoded or to-be-encoded AgentMessage (PROTOCOL.md
    "AgentMessage")."""

    __slots__ = ("message_type", "schema_version", "created_date",
                 "sequence_number", "flags", "message_id", "payload_type",
                 "payload", "header_length", "payload_digest",
                 "payload_length", "raw_message_type")

    def __init__(self, message_type, sequence_number=0, flags=0,
                 message_id=None, payload_type=0, payload=b"",
                 created_date=0, schema_version=1):
        self.message_type = message_type
        self.schema_version = schema_version
        self.created_date = created_date
        self.sequence_number = sequence_number
        self.flags = flags
        self.message_id = message_id if message_id is not None \
            else uuid.uuid4()
        self.payload_type = payload_type
        self.payload = bytes(payload)
        self.header_length = HEADER_LENGTH
        self.payload_digest = None
        self.payload_length = len(self.payload)
        self.raw_message_type = None

    @property
    def digest_ok(self):
        """PROTOCOL.md "Validation on receipt": digest over the payload
        bytes as located by HL."""
        if self.payload_digest is None:
            return True
        return hashlib.sha256(self.payload).digest() == self.payload_digest

    def __repr__(self):
        return ("AgentMessage(%s seq=%d flags=%d id=%s pt=%d len=%d)" %
                (self.message_type, self.sequence_number, self.flags,
                 self.message_id, self.payload_type, len(self.payload)))


def encode(msg, header_length=HEADER_LENGTH, pad=b" "):
    """Serialize msg.  header_length 116 is the normal layout; 112 gives
    the MGS variant of PROTOCOL.md "Locating the payload" and
    tests/vectors/channel V6 (no PayloadType field).  pad is the
    MessageType padding byte (0x20 normally, 0x00 for the MGS variant)."""
    mt = msg.message_type.encode("ascii")
    if len(mt) > MESSAGE_TYPE_LEN:
        raise FrameError("MessageType longer than 32 bytes")
    if header_length not in (HEADER_LENGTH, HEADER_LENGTH_NO_PT):
        raise FrameError("unsupported HeaderLength %d" % header_length)
    if msg.message_id.int == 0:
        raise FrameError("nil MessageId")
    payload = bytes(msg.payload)
    out = bytearray()
    out += struct.pack(">I", header_length)
    out += mt + pad * (MESSAGE_TYPE_LEN - len(mt))
    out += struct.pack(">I", msg.schema_version)
    out += struct.pack(">Q", msg.created_date)
    out += struct.pack(">q", msg.sequence_number)
    out += struct.pack(">Q", msg.flags)
    out += uuid_to_wire(msg.message_id)
    out += hashlib.sha256(payload).digest()
    if header_length >= HEADER_LENGTH:
        out += struct.pack(">I", msg.payload_type)
    out += struct.pack(">I", len(payload))
    out += payload
    return bytes(out)


def decode(frame, strict=True):
    """Parse one frame following PROTOCOL.md "Locating the payload".
    strict=True requires HL + 4 + PayloadLength == len(frame) (the exact
    case of PROTOCOL.md's Strictness rule);
    strict=False takes the payload as frame[HL+4:HL+4+PayloadLength] and
    ignores trailing bytes.  The digest is *not* checked here: look at
    msg.digest_ok.  Raises FrameError."""
    frame = bytes(frame)
    n = len(frame)
    if n < 4:
        raise FrameError("frame shorter than HeaderLength field")
    (hl,) = struct.unpack_from(">I", frame, 0)
    if hl < HEADER_LENGTH_NO_PT:
        raise FrameError("HeaderLength %d < 112" % hl)
    if n < hl + 4:
        raise FrameError("frame of %d bytes shorter than HeaderLength+4 "
                         "(%d)" % (n, hl + 4))
    raw_mt = frame[OFF_MESSAGE_TYPE:OFF_MESSAGE_TYPE + MESSAGE_TYPE_LEN]
    # PROTOCOL.md "MessageType strings": strip NULs, then whitespace, at
    # both ends
    mt = raw_mt.strip(b"\x00").strip()
    try:
        mt_s = mt.decode("ascii")
    except UnicodeDecodeError:
        raise FrameError("MessageType not ASCII")
    (schema,) = struct.unpack_from(">I", frame, OFF_SCHEMA_VERSION)
    (created,) = struct.unpack_from(">Q", frame, OFF_CREATED_DATE)
    (seq,) = struct.unpack_from(">q", frame, OFF_SEQUENCE)
    (flags,) = struct.unpack_from(">Q", frame, OFF_FLAGS)
    mid = uuid_from_wire(frame[OFF_MESSAGE_ID:OFF_MESSAGE_ID + 16])
    digest = frame[OFF_DIGEST:OFF_DIGEST + 32]
    pt = 0
    if hl >= HEADER_LENGTH:
        (pt,) = struct.unpack_from(">I", frame, OFF_PAYLOAD_TYPE)
    (plen,) = struct.unpack_from(">I", frame, hl)
    start = hl + 4
    if start + plen > n:
        raise FrameError("PayloadLength %d exceeds frame (%d bytes after "
                         "header)" % (plen, n - start))
    if strict and start + plen != n:
        raise FrameError("%d trailing bytes after payload" %
                         (n - start - plen))
    m = AgentMessage(mt_s, seq, flags, mid, pt, frame[start:start + plen],
                     created, schema)
    m.header_length = hl
    m.payload_digest = digest
    m.payload_length = plen
    m.raw_message_type = raw_mt
    return m


def validate(msg):
    """PROTOCOL.md "Validation on receipt" checks; returns a list of
    problems (empty = valid)."""
    if msg.message_type in (START_PUBLICATION, PAUSE_PUBLICATION):
        return []
    problems = []
    if msg.header_length == 0:
        problems.append("HeaderLength is 0")
    if not msg.message_type:
        problems.append("empty MessageType")
    if msg.created_date == 0:
        problems.append("CreatedDate is 0")
    if msg.payload and not msg.digest_ok:
        problems.append("PayloadDigest mismatch")
    return problems


# ---- JSON payloads ------------------------------------------------------

def go_json(obj):
    """Compact JSON in insertion order, as Go's encoding/json emits it."""
    return json.dumps(obj, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def ack_payload(acked_type, acked_id, acked_seq):
    """PROTOCOL.md "Acknowledgement format", tests/vectors/channel V3:
    exact field order."""
    return go_json({"AcknowledgedMessageType": acked_type,
                    "AcknowledgedMessageId": str(acked_id),
                    "AcknowledgedMessageSequenceNumber": acked_seq,
                    "IsSequentialMessage": True})


def make_ack(msg, created_date, message_id=None):
    """An acknowledge message for the stream message msg (PROTOCOL.md
    "Acknowledgement format")."""
    return AgentMessage(ACKNOWLEDGE, 0, ACK_FLAGS, message_id, PT_NONE,
                        ack_payload(msg.message_type, msg.message_id,
                                    msg.sequence_number), created_date)


def parse_ack(payload):
    """Returns (type, id string, seq) of an acknowledge payload.  Go
    matches field names case-insensitively (PROTOCOL.md
    "Acknowledgement format"), so do we."""
    obj = json.loads(payload.decode("utf-8"))
    if not isinstance(obj, dict):
        raise ValueError("acknowledge payload is not an object")
    low = {k.lower(): v for k, v in obj.items()}
    seq = low.get("acknowledgedmessagesequencenumber")
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise ValueError("AcknowledgedMessageSequenceNumber missing or "
                         "not an integer")
    return (low.get("acknowledgedmessagetype"),
            low.get("acknowledgedmessageid"), seq)


def version_cmp(a, b):
    """-1, 0 or 1 as dotted version a is below, equal to or above b;
    missing parts count as 0, and a version that is not dotted numbers
    (or None) is below every real one."""
    def parts(v):
        try:
            return [int(x) for x in v.split(".")]
        except (AttributeError, ValueError):
            return None
    pa, pb = parts(a), parts(b)
    if pa is None or pb is None:
        return (pa is not None) - (pb is not None)
    n = max(len(pa), len(pb))
    pa += [0] * (n - len(pa))
    pb += [0] * (n - len(pb))
    return (pa > pb) - (pa < pb)


def flag_payload(value):
    return struct.pack(">I", value)


def handshake_request_payload(port_number, agent_version="3.3.987.0",
                              session_type="Port", type_property=None,
                              kms_key_id=None, kms_challenge=None,
                              unknown_action=None, properties=None):
    """PROTOCOL.md "HandshakeRequest".  type_property adds
    Properties.type; kms_key_id adds a KMSEncryption action; unknown_action
    adds an action of that type; properties (a dict) are the document's
    other properties (host, localPortNumber), keys sorted as Go does."""
    props = {"portNumber": str(port_number)}
    if type_property is not None:
        props["type"] = type_property
    if properties:
        props.update(properties)
        props = dict(sorted(props.items()))
    actions = [{"ActionType": "SessionType",
                "ActionParameters": {"SessionType": session_type,
                                     "Properties": props}}]
    if kms_key_id is not None:
        params = {"KMSKeyId": kms_key_id}
        if kms_challenge is not None:
            params["Challenge"] = kms_challenge
        actions.append({"ActionType": "KMSEncryption",
                        "ActionParameters": params})
    if unknown_action is not None:
        actions.append({"ActionType": unknown_action,
                        "ActionParameters": {}})
    return go_json({"AgentVersion": agent_version,
                    "RequestedClientActions": actions})


def handshake_response_payload(client_version="1.2.677.0",
                               actions=None, errors=None):
    """PROTOCOL.md "HandshakeResponse", tests/vectors/channel V5 (used by
    the reference client)."""
    if actions is None:
        actions = [{"ActionType": "SessionType", "ActionStatus": 1,
                    "ActionResult": None, "Error": ""}]
    return go_json({"ClientVersion": client_version,
                    "ProcessedClientActions": actions,
                    "Errors": errors})


def handshake_complete_payload(ns, customer_message=""):
    """PROTOCOL.md "HandshakeComplete"."""
    return go_json({"HandshakeTimeToComplete": int(ns),
                    "CustomerMessage": customer_message})


def channel_closed_payload(message_id, created_iso, destination_id,
                           session_id, output=""):
    """PROTOCOL.md "channel_closed", tests/vectors/channel V6 field
    order."""
    return go_json({"MessageType": CHANNEL_CLOSED,
                    "MessageId": str(message_id),
                    "CreatedDate": created_iso,
                    "DestinationId": destination_id,
                    "SessionId": session_id,
                    "SchemaVersion": 1,
                    "Output": output})


def open_data_channel(token, request_id, client_id,
                      client_version="1.2.677.0"):
    """PROTOCOL.md "OpenDataChannel", tests/vectors/channel V7: the first
    TEXT frame, as a str."""
    obj = {"MessageSchemaVersion": "1.0", "RequestId": str(request_id),
           "TokenValue": token, "ClientId": str(client_id)}
    if client_version is not None:
        obj["ClientVersion"] = client_version
    return go_json(obj).decode("utf-8")


# ---- retransmission timer (PROTOCOL.md "Retransmission constants") ------

class RttEstimator:
    """RTT/RTTVAR/RTO in float nanoseconds, with the constants of
    PROTOCOL.md "Retransmission constants"."""

    ALPHA = 1.0 / 8
    BETA = 1.0 / 4
    G_NS = 10e6
    MAX_RTO_NS = 1e9

    def __init__(self):
        self.rtt_ns = 100e6
        self.rttvar_ns = 0.0
        self.rto_ns = 200e6

    def update(self, sample_ns):
        r = float(sample_ns)
        self.rttvar_ns = ((1 - self.BETA) * self.rttvar_ns +
                          self.BETA * abs(self.rtt_ns - r))
        self.rtt_ns = (1 - self.ALPHA) * self.rtt_ns + self.ALPHA * r
        self.rto_ns = min(self.rtt_ns + max(self.G_NS, 4 * self.rttvar_ns),
                          self.MAX_RTO_NS)
        return self.rto_ns

    @property
    def rto(self):
        """Current RTO in seconds."""
        return self.rto_ns / 1e9
