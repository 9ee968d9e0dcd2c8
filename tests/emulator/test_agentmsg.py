"""Unit tests of the emulator's codec and SigV4 verifier against the
vectors of tests/vectors/channel and proxy/aws/AWS-APIS.md "Signing
vectors".

    /usr/bin/python3 tests/emulator/test_agentmsg.py [-v]
"""

import datetime
import hashlib
import json
import os
import sys
import unittest
import uuid

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import agentmsg as am  # noqa: E402
import sigv4  # noqa: E402

CREATED = 1503434274948
UUID_A = uuid.UUID("dd01e56b-ff48-483e-a508-b5f073f31b16")
UUID_B = uuid.UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")

# The vectors live once, as files, in tests/vectors/channel (README.md).
VEC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "vectors", "channel")


def vec_read(name):
    with open(os.path.join(VEC_DIR, name), "rb") as f:
        return f.read()


def vec_hex(name):
    """A .hex file: hex digits, white space between them ignored."""
    return bytes.fromhex("".join(vec_read(name).decode("ascii").split()))


def vec_json(name):
    """A .json file: the payload bytes without the final newline."""
    b = vec_read(name)
    return b[:-1] if b.endswith(b"\n") else b


def vec_lines(name):
    """A text vector: {key: [words]} of its "KEY WORDS..." lines."""
    out = {}
    for line in vec_read(name).decode("ascii").splitlines():
        w = line.split()
        if w and not w[0].startswith("#"):
            out.setdefault(w[0], w[1:])
    return out


V1 = vec_hex("V1.hex")
V2 = vec_hex("V2.hex")
V3 = vec_hex("V3.hex")
V4 = vec_hex("V4.hex")
V4_TERMINATE = vec_hex("V4-terminate.hex")
V5 = vec_hex("V5.hex")
V6 = vec_hex("V6.hex")
V6_PAYLOAD = vec_json("V6.json")
V7 = vec_json("V7.json").decode("ascii")


class TestVectors(unittest.TestCase):

    def check_decode(self, frame, mtype, seq, flags, mid, pt, payload):
        m = am.decode(frame)
        self.assertEqual(m.message_type, mtype)
        self.assertEqual(m.schema_version, 1)
        self.assertEqual(m.created_date, CREATED)
        self.assertEqual(m.sequence_number, seq)
        self.assertEqual(m.flags, flags)
        self.assertEqual(m.message_id, mid)
        self.assertEqual(m.payload_type, pt)
        self.assertEqual(m.payload, payload)
        self.assertTrue(m.digest_ok)
        self.assertEqual(am.validate(m), [])
        return m

    def test_v1(self):
        m = am.AgentMessage(am.INPUT_STREAM_DATA, 1, 2, UUID_A, 0,
                            b"payload", CREATED)
        self.assertEqual(am.encode(m), V1)
        self.assertEqual(len(V1), 127)
        self.check_decode(V1, am.INPUT_STREAM_DATA, 1, 2, UUID_A, 0,
                          b"payload")

    def test_v2(self):
        p = b"SSH-2.0-OpenSSH_9.6\r\n"
        self.assertEqual(hashlib.sha256(p).hexdigest(),
                         "7bfce07c2ab775ed4fd61e86b0e3234ec4ed9a880a09cfef"
                         "fe4eb78e5446437d")
        m = am.AgentMessage(am.INPUT_STREAM_DATA, 0, 0, UUID_A, 1, p,
                            CREATED)
        self.assertEqual(am.encode(m), V2)
        self.check_decode(V2, am.INPUT_STREAM_DATA, 0, 0, UUID_A, 1, p)

    def test_v3(self):
        acked = am.AgentMessage(am.OUTPUT_STREAM_DATA, 0, 1, UUID_A)
        m = am.make_ack(acked, CREATED, UUID_B)
        self.assertEqual(len(m.payload), 176)
        self.assertEqual(m.payload, vec_json("V3.json"))
        self.assertEqual(am.encode(m), V3)
        d = self.check_decode(V3, am.ACKNOWLEDGE, 0, 3, UUID_B, 0,
                              m.payload)
        self.assertEqual(am.parse_ack(d.payload),
                         (am.OUTPUT_STREAM_DATA, str(UUID_A), 0))

    def test_v4(self):
        m = am.AgentMessage(am.INPUT_STREAM_DATA, 5, 0, UUID_B, am.PT_FLAG,
                            am.flag_payload(am.FLAG_DISCONNECT_TO_PORT),
                            CREATED)
        self.assertEqual(am.encode(m), V4)
        self.check_decode(V4, am.INPUT_STREAM_DATA, 5, 0, UUID_B, 10,
                          b"\x00\x00\x00\x01")
        m.payload = am.flag_payload(am.FLAG_TERMINATE_SESSION)
        self.assertEqual(am.encode(m), V4_TERMINATE)

    def test_v5(self):
        p = am.handshake_response_payload("1.2.677.0")
        self.assertEqual(len(p), 147)
        self.assertEqual(p, vec_json("V5.json"))
        self.assertEqual(hashlib.sha256(p).hexdigest(),
                         "035056b24ece59f84a6ba856caba412de915a64e738063c9"
                         "d37bc4a755e55997")
        m = am.AgentMessage(am.INPUT_STREAM_DATA, 0, 0, UUID_B,
                            am.PT_HANDSHAKE_RESPONSE, p, CREATED)
        self.assertEqual(am.encode(m), V5)
        d = self.check_decode(V5, am.INPUT_STREAM_DATA, 0, 0, UUID_B, 6,
                              p)
        obj = json.loads(d.payload)
        self.assertEqual(obj["ProcessedClientActions"][0]["ActionStatus"], 1)

    def test_v6(self):
        self.assertEqual(len(V6_PAYLOAD), 229)
        frame = V6
        m = am.decode(frame)
        self.assertEqual(m.header_length, 112)
        self.assertEqual(m.message_type, am.CHANNEL_CLOSED)
        self.assertEqual(m.payload_type, 0)
        self.assertEqual(m.payload, V6_PAYLOAD)
        self.assertEqual(m.sequence_number, 0)
        self.assertEqual(m.flags, 3)
        self.assertEqual(m.message_id, UUID_A)
        self.assertTrue(m.digest_ok)
        # the emulator's own HL-112 writer reproduces it
        p = am.channel_closed_payload(UUID_A, "2018-01-01T00:00:00.000Z",
                                      "i-0123456789abcdef0",
                                      "user-0123456789abcdef0", "")
        self.assertEqual(p, V6_PAYLOAD)
        w = am.AgentMessage(am.CHANNEL_CLOSED, 0, 3, UUID_A, 0, p, CREATED)
        self.assertEqual(am.encode(w, 112, b"\x00"), frame)

    def test_v7(self):
        s = am.open_data_channel("TOKEN",
                                 "a1b2c3d4-0000-4000-8000-000000000001",
                                 "c0ffee00-0000-4000-8000-000000000002",
                                 "1.2.677.0")
        self.assertEqual(s, V7)
        obj = json.loads(V7)
        self.assertEqual(list(obj), ["MessageSchemaVersion", "RequestId",
                                     "TokenValue", "ClientId",
                                     "ClientVersion"])

    def test_uuid_swap(self):
        self.assertEqual(am.uuid_to_wire(UUID_A).hex(),
                         "a508b5f073f31b16dd01e56bff48483e")
        self.assertEqual(am.uuid_to_wire(UUID_B).hex(),
                         "80b400c04fd430c86ba7b8109dad11d1")
        self.assertEqual(am.uuid_from_wire(am.uuid_to_wire(UUID_B)), UUID_B)

    def test_negative(self):
        f = V1
        for n in range(len(f)):      # every truncation fails cleanly
            with self.assertRaises(am.FrameError):
                am.decode(f[:n])
        with self.assertRaises(am.FrameError):
            am.decode(f + b"x")             # trailing byte (strict)
        self.assertEqual(am.decode(f + b"x", strict=False).payload,
                         b"payload")
        bad = bytearray(f)
        bad[-1] ^= 1                        # payload flip: digest fails
        m = am.decode(bytes(bad))
        self.assertFalse(m.digest_ok)
        self.assertEqual(am.validate(m), ["PayloadDigest mismatch"])
        bad = bytearray(f)
        bad[3] = 100                        # HeaderLength < 112
        with self.assertRaises(am.FrameError):
            am.decode(bytes(bad))
        with self.assertRaises(am.FrameError):
            am.encode(am.AgentMessage("x" * 33))

    def test_t1_rto(self):
        t1 = {k: [float(x) * 1e6 for x in v]          # ms to ns
              for k, v in vec_lines("T1.txt").items()}
        r = am.RttEstimator()
        self.assertEqual([r.rtt_ns, r.rttvar_ns, r.rto_ns], t1["before"])
        r.update(t1["sample"][0])
        self.assertEqual([r.rtt_ns, r.rttvar_ns, r.rto_ns], t1["after"])
        for _ in range(10):
            r.update(5e9)                   # capped at 1 s
        self.assertEqual(r.rto_ns, 1e9)

    def test_version_cmp(self):
        # the agent's thresholds: multiplexing from 1.1.70, keepalives
        # until 1.2.331.0
        for a, b, want in (("1.2.764.0", "1.1.70", 1),
                           ("1.1.70", "1.1.70.0", 0),
                           ("1.1.69.0", "1.1.70", -1),
                           ("1.2.331.0", "1.2.331.0", 0),
                           ("1.2.331.1", "1.2.331.0", 1),
                           ("1.10.0", "1.9.9", 1),
                           (None, "1.1.70", -1), ("x.y", "0", -1)):
            self.assertEqual(am.version_cmp(a, b), want, (a, b))

    def test_handshake_remote_host_properties(self):
        p = am.handshake_request_payload(
            22, "3.3.987.0", "Port", "LocalPortForwarding",
            properties={"localPortNumber": "0", "host": "db.internal"})
        self.assertIn(b'"Properties":{"host":"db.internal",'
                      b'"localPortNumber":"0","portNumber":"22",'
                      b'"type":"LocalPortForwarding"}', p)


class TestSigV4(unittest.TestCase):
    BODY = (b'{"Target":"i-0123456789abcdef0","DocumentName":'
            b'"AWS-StartSSHSession","Parameters":{"portNumber":["22"]}}')
    AK = "AKIDEXAMPLE"
    SK = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    TOKEN = "FQoGZXIvYXdzEXAMPLETOKEN"
    NOW = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    SIG = "9fdf243f3aad6352da3ca115bc23e28bc57481bbff73f63d1f2a9d051c6b9b00"
    SIG_TOK = ("ee2e8771d39a63f36e502702c756139f0ce4784e7a83f837b90fcedd5d9a"
               "b1e6")
    CREQ = ("POST\n/\n\ncontent-type:application/x-amz-json-1.1\n"
            "host:ssm.us-east-1.amazonaws.com\nx-amz-date:20240101T000000Z\n"
            "x-amz-target:AmazonSSM.StartSession\n\n"
            "content-type;host;x-amz-date;x-amz-target\n"
            "520aa003b60e980e9e1f2b9e2cf33247d58ce72318c6cf8e7608199d9f327541")

    def base(self):
        return [("Host", "ssm.us-east-1.amazonaws.com"),
                ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", "AmazonSSM.StartSession")]

    def creds(self, token=None, expired=False):
        def look(ak):
            if ak != self.AK:
                return None
            return {"secret": self.SK, "session_token": token,
                    "expired": expired}
        return look

    def run_verify(self, headers, body=None, token=None, expired=False,
                   now=None):
        return sigv4.verify("POST", "/", "", headers,
                            hashlib.sha256(body or self.BODY).hexdigest(),
                            self.creds(token, expired), "us-east-1", "ssm",
                            now or self.NOW)

    def test_canonical_and_string_to_sign(self):
        self.assertEqual(hashlib.sha256(self.BODY).hexdigest(),
                         "520aa003b60e980e9e1f2b9e2cf33247d58ce72318c6cf8e"
                         "7608199d9f327541")
        hs = self.base() + [("X-Amz-Date", "20240101T000000Z")]
        creq = sigv4.canonical_request(
            "POST", "/", "", hs,
            ["content-type", "host", "x-amz-date", "x-amz-target"],
            hashlib.sha256(self.BODY).hexdigest())
        self.assertEqual(creq, self.CREQ)
        sts = sigv4.string_to_sign("20240101T000000Z",
                                   "20240101/us-east-1/ssm/aws4_request",
                                   creq)
        self.assertEqual(sts.split("\n")[-1],
                         "66097fbecfaa1eb2508d9f384d9009fc3438abb645be166a"
                         "73cfbc5833f42a16")

    def test_sign_and_verify(self):
        add = sigv4.sign("POST", "/", "", self.base(), self.BODY, self.AK,
                         self.SK, "us-east-1", "ssm", "20240101T000000Z")
        auth = dict(add)["Authorization"]
        self.assertEqual(
            auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/"
            "us-east-1/ssm/aws4_request, SignedHeaders=content-type;host;"
            "x-amz-date;x-amz-target, Signature=" + self.SIG)
        v = self.run_verify(self.base() + add)
        self.assertEqual((v.signature, v.code), ("valid", None))
        self.assertEqual(v.access_key, self.AK)

    def test_sign_and_verify_token(self):
        add = sigv4.sign("POST", "/", "", self.base(), self.BODY, self.AK,
                         self.SK, "us-east-1", "ssm", "20240101T000000Z",
                         self.TOKEN)
        auth = dict(add)["Authorization"]
        self.assertIn("SignedHeaders=content-type;host;x-amz-date;"
                      "x-amz-security-token;x-amz-target, Signature=" +
                      self.SIG_TOK, auth)
        v = self.run_verify(self.base() + add, token=self.TOKEN)
        self.assertEqual((v.signature, v.code), ("valid", None))
        self.assertTrue(v.token_signed)
        # the same request against a credential whose token has expired
        v = self.run_verify(self.base() + add, token=self.TOKEN,
                            expired=True)
        self.assertEqual(v.code, "ExpiredTokenException")
        # missing token for a temporary credential
        noks = [x for x in self.base() + add
                if x[0] != "X-Amz-Security-Token"]
        v = self.run_verify(noks, token=self.TOKEN)
        self.assertEqual(v.code, "UnrecognizedClientException")

    def test_verify_vector_header_literally(self):
        # the Authorization header exactly as AWS-APIS.md prints it
        hs = self.base() + [
            ("X-Amz-Date", "20240101T000000Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
             "20240101/us-east-1/ssm/aws4_request, SignedHeaders=content-"
             "type;host;x-amz-date;x-amz-target, Signature=" + self.SIG)]
        self.assertEqual(self.run_verify(hs).signature, "valid")
        hs[-1] = (hs[-1][0], hs[-1][1][:-1] + "1")
        v = self.run_verify(hs)
        self.assertEqual((v.signature, v.code),
                         ("invalid", "InvalidSignatureException"))

    def test_verify_failures(self):
        good = self.base() + sigv4.sign(
            "POST", "/", "", self.base(), self.BODY, self.AK, self.SK,
            "us-east-1", "ssm", "20240101T000000Z")
        # body changed after signing
        v = self.run_verify(good, body=self.BODY + b" ")
        self.assertEqual(v.code, "InvalidSignatureException")
        # clock: 4 minutes is fine, 6 minutes is not (both directions)
        four = self.NOW + datetime.timedelta(minutes=4)
        six = self.NOW + datetime.timedelta(minutes=6)
        self.assertEqual(self.run_verify(good, now=four).signature, "valid")
        v = self.run_verify(good, now=six)
        self.assertEqual(v.code, "InvalidSignatureException")
        self.assertIn("Signature expired", v.message)
        v = self.run_verify(good, now=self.NOW - datetime.timedelta(
            minutes=6))
        self.assertIn("not yet current", v.message)
        # unknown key, missing auth, incomplete auth, wrong service
        bad = [(n, val.replace("AKIDEXAMPLE", "AKIDUNKNOWN"))
               for n, val in good]
        self.assertEqual(self.run_verify(bad).code,
                         "UnrecognizedClientException")
        v = self.run_verify(self.base())
        self.assertEqual((v.signature, v.code),
                         ("absent", "MissingAuthenticationToken"))
        bad = [(n, val.split(", Signature")[0]) for n, val in good]
        self.assertEqual(self.run_verify(bad).code, "IncompleteSignature")
        v = sigv4.verify("POST", "/", "", good,
                         hashlib.sha256(self.BODY).hexdigest(),
                         self.creds(), "us-east-1", "ssmmessages", self.NOW)
        self.assertEqual(v.code, "InvalidSignatureException")
        v = sigv4.verify("POST", "/", "", good,
                         hashlib.sha256(self.BODY).hexdigest(),
                         self.creds(), "eu-west-1", "ssm", self.NOW)
        self.assertEqual(v.code, "InvalidSignatureException")

    def test_query_canonical(self):
        self.assertEqual(sigv4.canonical_query(
            "role=publish_subscribe&cell-number=AA%2Bb%3D%3D&a=b c"),
            "a=b%20c&cell-number=AA%2Bb%3D%3D&role=publish_subscribe")
        self.assertEqual(sigv4.canonical_uri("/v1/data-channel/s-1"),
                         "/v1/data-channel/s-1")


class TestEicePresign(unittest.TestCase):
    """tests/vectors/eice: presigned openTunnel URLs, signed and then
    verified by sigv4.py (a one-digit change must fail)."""

    def test_vectors(self):
        d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                         "vectors", "eice")
        names = sorted(n for n in os.listdir(d) if n.endswith(".json"))
        self.assertGreaterEqual(len(names), 2)
        for n in names:
            with open(os.path.join(d, n)) as f:
                v = json.load(f)
            q, creq, sig = sigv4.presign(
                v["host"], v["path"], v["params"], v["access_key"],
                v["secret_key"], v["region"], v["service"], v["amz_date"],
                v["expires"], v["session_token"])
            self.assertEqual(creq.split("\n")[2], v["canonical_query"], n)
            self.assertEqual(hashlib.sha256(creq.encode()).hexdigest(),
                             v["canonical_request_sha256"], n)
            self.assertEqual(sig, v["signature"], n)
            self.assertEqual("wss://%s%s?%s" % (v["host"], v["path"], q),
                             v["url"], n)
            cred = {"secret": v["secret_key"],
                    "session_token": v["session_token"]}
            now = sigv4.parse_amz_date(v["amz_date"]) + \
                datetime.timedelta(seconds=30)
            hs = [("Host", v["host"])]
            ok = sigv4.verify_presigned("GET", v["path"], q, hs,
                                        lambda ak: cred, v["region"],
                                        v["service"], now)
            self.assertEqual(ok.signature, "valid", (n, ok.message))
            bad = q[:-1] + ("0" if q[-1] != "0" else "1")
            no = sigv4.verify_presigned("GET", v["path"], bad, hs,
                                        lambda ak: cred, v["region"],
                                        v["service"], now)
            self.assertEqual(no.code, "InvalidSignatureException", n)
            late = now + datetime.timedelta(seconds=v["expires"])
            no = sigv4.verify_presigned("GET", v["path"], q, hs,
                                        lambda ak: cred, v["region"],
                                        v["service"], late)
            self.assertTrue(no.message.startswith("Signature expired"), n)


if __name__ == "__main__":
    unittest.main()
