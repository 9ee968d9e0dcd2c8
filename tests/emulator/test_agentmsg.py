"""Unit tests of the emulator's codec and SigV4 verifier against the
vectors of ssm-data-channel.md section 10 and aws-apis.md 1.4.

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

V1 = ("00000074696e7075745f73747265616d5f6461746120202020202020202020202020"
      "2020000000010000015e0baa788400000000000000010000000000000002a508b5f0"
      "73f31b16dd01e56bff48483e239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7"
      "426952f9b852d5a935e500000000000000077061796c6f6164")
V2 = ("00000074696e7075745f73747265616d5f6461746120202020202020202020202020"
      "2020000000010000015e0baa788400000000000000000000000000000000a508b5f0"
      "73f31b16dd01e56bff48483e7bfce07c2ab775ed4fd61e86b0e3234ec4ed9a880a09"
      "cfeffe4eb78e5446437d00000001000000155353482d322e302d4f70656e5353485f"
      "392e360d0a")
V3 = ("0000007461636b6e6f776c656467652020202020202020202020202020202020202020"
      "20000000010000015e0baa78840000000000000000000000000000000380b400c04f"
      "d430c86ba7b8109dad11d1713a0a17057de630213f7292907ce38462812ea213a293"
      "66f537f68c6ab60e8500000000000000b07b2241636b6e6f776c6564676564"
      "4d65737361676554797065223a226f75747075745f73747265616d5f6461746122"
      "2c2241636b6e6f776c65646765644d6573736167654964223a2264643031653536"
      "622d666634382d343833652d613530382d623566303733663331623136222c2241"
      "636b6e6f776c65646765644d65737361676553657175656e63654e756d62657222"
      "3a302c22497353657175656e7469616c4d657373616765223a747275657d")
V4 = ("00000074696e7075745f73747265616d5f6461746120202020202020202020202020"
      "2020000000010000015e0baa78840000000000000005000000000000000080b400c0"
      "4fd430c86ba7b8109dad11d1b40711a88c7039756fb8a73827eabe2c0fe5a0346ca7"
      "e0a104adc0fc764f528d0000000a0000000400000001")
V5 = ("00000074696e7075745f73747265616d5f6461746120202020202020202020202020"
      "2020000000010000015e0baa78840000000000000000000000000000000080b400c0"
      "4fd430c86ba7b8109dad11d1035056b24ece59f84a6ba856caba412de915a64e7380"
      "63c9d37bc4a755e5599700000006000000937b22436c69656e7456657273696f6e"
      "223a22312e322e3637372e30222c2250726f636573736564436c69656e74416374"
      "696f6e73223a5b7b22416374696f6e54797065223a2253657373696f6e54797065"
      "222c22416374696f6e537461747573223a312c22416374696f6e526573756c7422"
      "3a6e756c6c2c224572726f72223a22227d5d2c224572726f7273223a6e756c6c7d")
V6_PAYLOAD = (b'{"MessageType":"channel_closed","MessageId":"dd01e56b-ff48-483e'
              b'-a508-b5f073f31b16","CreatedDate":"2018-01-01T00:00:00.000Z",'
              b'"DestinationId":"i-0123456789abcdef0","SessionId":"user-01234'
              b'56789abcdef0","SchemaVersion":1,"Output":""}')
V6_HEADER = ("00000070"
             "6368616e6e656c5f636c6f73656400000000000000000000000000000000"
             "0000"
             "00000001" "0000015e0baa7884" "0000000000000000"
             "0000000000000003" "a508b5f073f31b16dd01e56bff48483e"
             "83443639e8d54ccb1d9e711d98f03c0ca9ca951d0b3dbc7d3bce0b23e8b38a15"
             "000000e5")
V7 = ('{"MessageSchemaVersion":"1.0","RequestId":"a1b2c3d4-0000-4000-8000-'
      '000000000001","TokenValue":"TOKEN","ClientId":"c0ffee00-0000-4000-'
      '8000-000000000002","ClientVersion":"1.2.677.0"}')


def h(s):
    return bytes.fromhex(s)


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
        self.assertEqual(am.encode(m), h(V1))
        self.assertEqual(len(h(V1)), 127)
        self.check_decode(h(V1), am.INPUT_STREAM_DATA, 1, 2, UUID_A, 0,
                          b"payload")

    def test_v2(self):
        p = b"SSH-2.0-OpenSSH_9.6\r\n"
        self.assertEqual(hashlib.sha256(p).hexdigest(),
                         "7bfce07c2ab775ed4fd61e86b0e3234ec4ed9a880a09cfef"
                         "fe4eb78e5446437d")
        m = am.AgentMessage(am.INPUT_STREAM_DATA, 0, 0, UUID_A, 1, p,
                            CREATED)
        self.assertEqual(am.encode(m), h(V2))
        self.check_decode(h(V2), am.INPUT_STREAM_DATA, 0, 0, UUID_A, 1, p)

    def test_v3(self):
        acked = am.AgentMessage(am.OUTPUT_STREAM_DATA, 0, 1, UUID_A)
        m = am.make_ack(acked, CREATED, UUID_B)
        self.assertEqual(len(m.payload), 176)
        self.assertEqual(am.encode(m), h(V3))
        d = self.check_decode(h(V3), am.ACKNOWLEDGE, 0, 3, UUID_B, 0,
                              m.payload)
        self.assertEqual(am.parse_ack(d.payload),
                         (am.OUTPUT_STREAM_DATA, str(UUID_A), 0))

    def test_v4(self):
        m = am.AgentMessage(am.INPUT_STREAM_DATA, 5, 0, UUID_B, am.PT_FLAG,
                            am.flag_payload(am.FLAG_DISCONNECT_TO_PORT),
                            CREATED)
        self.assertEqual(am.encode(m), h(V4))
        self.check_decode(h(V4), am.INPUT_STREAM_DATA, 5, 0, UUID_B, 10,
                          b"\x00\x00\x00\x01")

    def test_v5(self):
        p = am.handshake_response_payload("1.2.677.0")
        self.assertEqual(len(p), 147)
        self.assertEqual(hashlib.sha256(p).hexdigest(),
                         "035056b24ece59f84a6ba856caba412de915a64e738063c9"
                         "d37bc4a755e55997")
        m = am.AgentMessage(am.INPUT_STREAM_DATA, 0, 0, UUID_B,
                            am.PT_HANDSHAKE_RESPONSE, p, CREATED)
        self.assertEqual(am.encode(m), h(V5))
        d = self.check_decode(h(V5), am.INPUT_STREAM_DATA, 0, 0, UUID_B, 6,
                              p)
        obj = json.loads(d.payload)
        self.assertEqual(obj["ProcessedClientActions"][0]["ActionStatus"], 1)

    def test_v6(self):
        self.assertEqual(len(V6_PAYLOAD), 229)
        frame = h(V6_HEADER) + V6_PAYLOAD
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
        f = h(V1)
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
        r = am.RttEstimator()
        self.assertEqual(r.rto_ns, 200e6)
        r.update(140e6)
        self.assertEqual(r.rttvar_ns, 10e6)
        self.assertEqual(r.rtt_ns, 105e6)
        self.assertEqual(r.rto_ns, 145e6)
        for _ in range(10):
            r.update(5e9)                   # capped at 1 s
        self.assertEqual(r.rto_ns, 1e9)


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
        # the Authorization header exactly as the spec prints it
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


if __name__ == "__main__":
    unittest.main()
