"""AWS Signature Version 4: verifier for the emulator, signer for the
reference client.  Written from proxy/aws/AWS-APIS.md "SigV4" and "Error
responses", not from the C code.
Standard library only, no I/O."""

import datetime
import hashlib
import hmac
import re
import urllib.parse

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
AMZ_DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")
UNRESERVED = "-_.~"


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret, date, region, service):
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def _remove_dot_segments(path):
    out = []
    for seg in path.split("/"):
        if seg == "..":
            if out:
                out.pop()
        elif seg not in (".", ""):
            out.append(seg)
    res = "/" + "/".join(out)
    if path.endswith("/") and res != "/":
        res += "/"
    return res


def canonical_uri(raw_path):
    """Normalized path, each segment encoded once more (non-S3 rule: the
    path as it appears in the URL is URI-encoded again)."""
    if not raw_path:
        raw_path = "/"
    return urllib.parse.quote(_remove_dot_segments(raw_path),
                              safe="/" + UNRESERVED)


def canonical_query(raw_query):
    """Sorted key=value pairs, RFC 3986 encoded (space = %20)."""
    if not raw_query:
        return ""
    pairs = []
    for part in raw_query.split("&"):
        if part == "":
            continue
        k, _, v = part.partition("=")
        k = urllib.parse.quote(urllib.parse.unquote(k), safe=UNRESERVED)
        v = urllib.parse.quote(urllib.parse.unquote(v), safe=UNRESERVED)
        pairs.append((k, v))
    pairs.sort()
    return "&".join("%s=%s" % kv for kv in pairs)


def _norm_value(v):
    return " ".join(v.strip().split())


def canonical_headers(headers, signed_names):
    """headers: list of (name, value) pairs as received; repeated names are
    joined with ','.  Returns (canonical block, signed header string)."""
    by = {}
    for name, value in headers:
        by.setdefault(name.lower(), []).append(_norm_value(value))
    lines = []
    for n in signed_names:
        lines.append("%s:%s\n" % (n, ",".join(by.get(n, []))))
    return "".join(lines), ";".join(signed_names)


def canonical_request(method, raw_path, raw_query, headers, signed_names,
                      payload_hash):
    block, signed = canonical_headers(headers, signed_names)
    return "\n".join([method.upper(), canonical_uri(raw_path),
                      canonical_query(raw_query), block, signed,
                      payload_hash])


def string_to_sign(amz_date, scope, creq):
    return "\n".join([ALGORITHM, amz_date, scope,
                      hashlib.sha256(creq.encode("utf-8")).hexdigest()])


def sign(method, raw_path, raw_query, headers, payload, access_key, secret,
         region, service, amz_date, session_token=None):
    """Signer for the reference client.  headers: list of (name, value)
    that will be sent, including Host.  Returns the list of headers to
    add (X-Amz-Date, X-Amz-Security-Token, Authorization).  payload is the
    body bytes, or None for an empty payload."""
    add = [("X-Amz-Date", amz_date)]
    if session_token:
        add.append(("X-Amz-Security-Token", session_token))
    allh = list(headers) + add
    names = sorted({n.lower() for n, _ in allh
                    if n.lower() not in ("user-agent", "content-length",
                                         "authorization", "connection",
                                         "expect")})
    phash = hashlib.sha256(payload or b"").hexdigest()
    creq = canonical_request(method, raw_path, raw_query, allh, names,
                             phash)
    date = amz_date[:8]
    scope = "%s/%s/%s/aws4_request" % (date, region, service)
    sts = string_to_sign(amz_date, scope, creq)
    sig = hmac.new(signing_key(secret, date, region, service),
                   sts.encode("utf-8"), hashlib.sha256).hexdigest()
    add.append(("Authorization",
                "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s" %
                (ALGORITHM, access_key, scope, ";".join(names), sig)))
    return add


class AuthError(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, "%s: %s" % (code, message))
        self.code = code
        self.message = message


class Verdict:
    """Outcome of verify(): signature is "valid", "invalid" or "absent";
    code/message name the AWS error when not valid."""

    def __init__(self):
        self.signature = "absent"
        self.access_key = None
        self.code = None
        self.message = None
        self.signed_headers = None
        self.token_present = False
        self.token_signed = False
        self.amz_date = None
        self.region = None              # the credential scope's region
        self.canonical_request = None   # may contain a token: never log

    def fail(self, code, message, signature="invalid"):
        self.signature = signature
        self.code = code
        self.message = message
        return self


def parse_authorization(value):
    """Returns dict with credential (list of 5), signed (list), signature.
    Raises AuthError(IncompleteSignature)."""
    if not value.startswith(ALGORITHM + " "):
        alg = value.split(" ", 1)[0]
        raise AuthError("IncompleteSignature",
                        "Unsupported AWS 'algorithm': '%s'" % alg)
    rest = value[len(ALGORITHM) + 1:]
    parts = {}
    for item in rest.split(","):
        item = item.strip()
        if not item:
            continue
        k, eq, v = item.partition("=")
        if not eq:
            raise AuthError("IncompleteSignature",
                            "Authorization header requires each component "
                            "to be of the form key=value")
        parts[k.strip()] = v.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature")
               if k not in parts]
    if missing:
        raise AuthError("IncompleteSignature",
                        "Authorization header requires '%s' parameter." %
                        missing[0])
    cred = parts["Credential"].split("/")
    if len(cred) != 5 or not cred[0]:
        raise AuthError("IncompleteSignature",
                        "Credential must have exactly 5 slash-delimited "
                        "elements, e.g. keyid/date/region/service/term, "
                        "got '%s'" % "/".join(["..."] + cred[1:]))
    signed = parts["SignedHeaders"].split(";")
    if any(s == "" or s != s.lower() for s in signed):
        raise AuthError("IncompleteSignature",
                        "SignedHeaders must be lowercase names separated "
                        "by ';'")
    if not re.fullmatch(r"[0-9a-f]{64}", parts["Signature"]):
        raise AuthError("IncompleteSignature",
                        "Signature must be 64 lowercase hex digits")
    return {"credential": cred, "signed": signed,
            "signature": parts["Signature"]}


def parse_amz_date(s):
    if not AMZ_DATE_RE.match(s or ""):
        raise AuthError("IncompleteSignature",
                        "Date must be in ISO-8601 'basic format'. Got '%s'."
                        % s)
    return datetime.datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc)


def fmt_amz_date(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def verify(method, raw_path, raw_query, headers, payload_hash, credentials,
           region, service, now, skew=300, require_signed_token=True):
    """Verify a header-signed request.

    headers: list of (name, value) as received.  payload_hash: hex SHA-256
    of the body.  credentials: callable access_key -> dict with "secret",
    optional "session_token", "expired", or None if unknown.  now: aware
    datetime of the verifier's clock.  region: the one accepted, or a
    list of them (the scope's region is kept in the Verdict).  Never
    raises; returns a Verdict."""
    v = Verdict()
    low = {}
    for n, val in headers:
        low.setdefault(n.lower(), val)
    auth = low.get("authorization")
    if auth is None:
        return v.fail("MissingAuthenticationToken",
                      "Missing Authentication Token", "absent")
    try:
        a = parse_authorization(auth.strip())
        access, date, creg, csvc, term = a["credential"]
        v.access_key = access
        v.signed_headers = a["signed"]
        amz = low.get("x-amz-date")
        if amz is None:
            if "date" in low:
                raise AuthError("IncompleteSignature",
                                "Emulator supports only the X-Amz-Date "
                                "header, not Date")
            raise AuthError("IncompleteSignature",
                            "Authorization header requires existence of "
                            "either a 'X-Amz-Date' or a 'Date' header.")
        v.amz_date = amz
        when = parse_amz_date(amz)
        if "host" not in a["signed"]:
            raise AuthError("IncompleteSignature",
                            "'Host' must be a 'SignedHeader' in the AWS "
                            "Authorization.")
        if "x-amz-date" not in a["signed"]:
            raise AuthError("IncompleteSignature",
                            "'X-Amz-Date' must be a 'SignedHeader' in the "
                            "AWS Authorization.")
        if term != "aws4_request":
            raise AuthError("IncompleteSignature",
                            "Credential should be scoped with a valid "
                            "terminator: 'aws4_request', not '%s'." % term)
    except AuthError as e:
        return v.fail(e.code, e.message)
    token = low.get("x-amz-security-token")
    v.token_present = token is not None
    v.token_signed = "x-amz-security-token" in a["signed"]
    cred = credentials(access)
    if cred is None:
        return v.fail("UnrecognizedClientException",
                      "The security token included in the request is "
                      "invalid.")
    want_token = cred.get("session_token")
    if want_token:
        if token is None or not hmac.compare_digest(token, want_token):
            return v.fail("UnrecognizedClientException",
                          "The security token included in the request is "
                          "invalid.")
        if cred.get("expired"):
            return v.fail("ExpiredTokenException",
                          "The security token included in the request is "
                          "expired")
    elif token is not None:
        return v.fail("UnrecognizedClientException",
                      "The security token included in the request is "
                      "invalid.")
    if token is not None and require_signed_token and not v.token_signed:
        return v.fail("IncompleteSignature",
                      "'X-Amz-Security-Token' must be a 'SignedHeader' in "
                      "the AWS Authorization.")
    if date != amz[:8]:
        return v.fail("InvalidSignatureException",
                      "Date in Credential scope does not match YYYYMMDD "
                      "from ISO-8601 version of date from HTTP: '%s' != "
                      "'%s', from '%s'." % (date, amz[:8], amz))
    if creg not in ((region,) if isinstance(region, str) else region):
        return v.fail("InvalidSignatureException",
                      "Credential should be scoped to a valid region, not "
                      "'%s'. " % creg)
    if csvc != service:
        return v.fail("InvalidSignatureException",
                      "Credential should be scoped to correct service: "
                      "'%s'. " % service)
    delta = (when - now).total_seconds()
    if delta < -skew:
        return v.fail("InvalidSignatureException",
                      "Signature expired: %s is now earlier than %s (%s - "
                      "5 min.)" % (amz, fmt_amz_date(now - datetime.
                                   timedelta(seconds=skew)),
                                   fmt_amz_date(now)))
    if delta > skew:
        return v.fail("InvalidSignatureException",
                      "Signature not yet current: %s is still later than "
                      "%s (%s + 5 min.)" % (amz, fmt_amz_date(
                          now + datetime.timedelta(seconds=skew)),
                          fmt_amz_date(now)))
    creq = canonical_request(method, raw_path, raw_query, headers,
                             a["signed"], payload_hash)
    v.canonical_request = creq
    scope = "%s/%s/%s/aws4_request" % (date, creg, csvc)
    sts = string_to_sign(amz, scope, creq)
    want = hmac.new(signing_key(cred["secret"], date, creg, csvc),
                    sts.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, a["signature"]):
        return v.fail("InvalidSignatureException",
                      "The request signature we calculated does not match "
                      "the signature you provided. Check your AWS Secret "
                      "Access Key and signing method. Consult the service "
                      "documentation for details.")
    v.signature = "valid"
    v.region = creg
    return v


# -- query-string (presigned) signing: EC2 Instance Connect Endpoint's
# openTunnel URL (tests/emulator/README.md "EC2 Instance Connect Endpoint")

def _q(s):
    return urllib.parse.quote(s, safe=UNRESERVED)


def presign(host, path, params, access_key, secret, region, service,
            amz_date, expires=60, session_token=None):
    """A presigned GET query signing only the host header, with the
    SHA-256 of the empty payload.  params: list of (name, value) of the
    operation, in the order they are to appear.  Returns (query string
    with X-Amz-Signature last, canonical request, signature)."""
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    q = list(params) + [("X-Amz-Algorithm", ALGORITHM),
                        ("X-Amz-Credential", access_key + "/" + scope),
                        ("X-Amz-Date", amz_date),
                        ("X-Amz-Expires", str(expires)),
                        ("X-Amz-SignedHeaders", "host")]
    if session_token:
        q.append(("X-Amz-Security-Token", session_token))
    raw = "&".join("%s=%s" % (_q(k), _q(v)) for k, v in q)
    creq = canonical_request("GET", path, raw, [("host", host)], ["host"],
                             EMPTY_SHA256)
    sts = string_to_sign(amz_date, scope, creq)
    sig = hmac.new(signing_key(secret, amz_date[:8], region, service),
                   sts.encode("utf-8"), hashlib.sha256).hexdigest()
    return raw + "&X-Amz-Signature=" + sig, creq, sig


def query_pairs(raw_query):
    """[(name, value)] of a raw query, percent-decoded ('+' stays '+')."""
    out = []
    for part in (raw_query or "").split("&"):
        if part:
            k, _, v = part.partition("=")
            out.append((urllib.parse.unquote(k), urllib.parse.unquote(v)))
    return out


def verify_presigned(method, raw_path, raw_query, headers, credentials,
                     region, service, now, skew=300):
    """Verify a query-signed request (X-Amz-* in the query, payload hash
    of the empty string).  Expired when now is later than X-Amz-Date +
    X-Amz-Expires; not yet valid when X-Amz-Date is more than skew
    seconds ahead of now.  Arguments as verify(); never raises."""
    v = Verdict()
    parts = raw_query.split("&") if raw_query else []
    q = {}
    for k, val in query_pairs(raw_query):
        q.setdefault(k, val)
    if "X-Amz-Signature" not in q and "X-Amz-Credential" not in q:
        return v.fail("MissingAuthenticationToken",
                      "Missing Authentication Token", "absent")
    try:
        for k in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                  "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"):
            if k not in q:
                raise AuthError("IncompleteSignature", "The query string "
                                "requires the parameter %s." % k)
        if q["X-Amz-Algorithm"] != ALGORITHM:
            raise AuthError("IncompleteSignature", "Unsupported AWS "
                            "'algorithm': '%s'" % q["X-Amz-Algorithm"])
        cred = q["X-Amz-Credential"].split("/")
        if len(cred) != 5 or not cred[0]:
            raise AuthError("IncompleteSignature", "Credential must have "
                            "exactly 5 slash-delimited elements, e.g. "
                            "keyid/date/region/service/term")
        access, date, creg, csvc, term = cred
        v.access_key = access
        v.signed_headers = q["X-Amz-SignedHeaders"].split(";")
        if "host" not in v.signed_headers:
            raise AuthError("IncompleteSignature", "'Host' must be a "
                            "'SignedHeader' in the AWS Authorization.")
        if not re.fullmatch(r"[0-9a-f]{64}", q["X-Amz-Signature"]):
            raise AuthError("IncompleteSignature", "Signature must be 64 "
                            "lowercase hex digits")
        if not re.fullmatch(r"\d{1,6}", q["X-Amz-Expires"]) or \
                not 1 <= int(q["X-Amz-Expires"]) <= 604800:
            raise AuthError("IncompleteSignature", "X-Amz-Expires must be "
                            "a number of seconds from 1 to 604800")
        v.amz_date = amz = q["X-Amz-Date"]
        when = parse_amz_date(amz)
        if term != "aws4_request":
            raise AuthError("IncompleteSignature", "Credential should be "
                            "scoped with a valid terminator: "
                            "'aws4_request', not '%s'." % term)
    except AuthError as e:
        return v.fail(e.code, e.message)
    token = q.get("X-Amz-Security-Token")
    v.token_present = v.token_signed = token is not None
    c = credentials(access)
    if c is None:
        return v.fail("UnrecognizedClientException", "The security token "
                      "included in the request is invalid.")
    want = c.get("session_token")
    if (want and (token is None or not hmac.compare_digest(token, want))) \
            or (not want and token is not None):
        return v.fail("UnrecognizedClientException", "The security token "
                      "included in the request is invalid.")
    if want and c.get("expired"):
        return v.fail("ExpiredTokenException", "The security token "
                      "included in the request is expired")
    if date != amz[:8]:
        return v.fail("InvalidSignatureException", "Date in Credential "
                      "scope does not match YYYYMMDD from X-Amz-Date: "
                      "'%s' != '%s'." % (date, amz[:8]))
    if creg not in ((region,) if isinstance(region, str) else region):
        return v.fail("InvalidSignatureException", "Credential should be "
                      "scoped to a valid region, not '%s'. " % creg)
    if csvc != service:
        return v.fail("InvalidSignatureException", "Credential should be "
                      "scoped to correct service: '%s'. " % service)
    end = when + datetime.timedelta(seconds=int(q["X-Amz-Expires"]))
    if now > end:
        return v.fail("InvalidSignatureException", "Signature expired: "
                      "%s is now earlier than %s (X-Amz-Date %s + "
                      "X-Amz-Expires %s s)" % (fmt_amz_date(end),
                                               fmt_amz_date(now), amz,
                                               q["X-Amz-Expires"]))
    if (when - now).total_seconds() > skew:
        return v.fail("InvalidSignatureException", "Signature not yet "
                      "current: %s is still later than %s (%s + %d s)" %
                      (amz, fmt_amz_date(now + datetime.timedelta(
                          seconds=skew)), fmt_amz_date(now), skew))
    unsigned = "&".join(p for p in parts
                        if p.partition("=")[0] != "X-Amz-Signature")
    creq = canonical_request(method, raw_path, unsigned, headers,
                             v.signed_headers, EMPTY_SHA256)
    v.canonical_request = creq
    scope = "%s/%s/%s/aws4_request" % (date, creg, csvc)
    sts = string_to_sign(amz, scope, creq)
    good = hmac.new(signing_key(c["secret"], date, creg, csvc),
                    sts.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(good, q["X-Amz-Signature"]):
        return v.fail("InvalidSignatureException", "The request signature "
                      "we calculated does not match the signature you "
                      "provided. Check your AWS Secret Access Key and "
                      "signing method. Consult the service documentation "
                      "for details.")
    v.signature = "valid"
    v.region = creg
    return v
