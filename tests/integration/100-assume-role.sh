#!/usr/bin/env bash
# Assumed-role profiles end to end against the emulator's STS: a
# three-profile source_profile chain, a source_profile cycle, a cache file
# written in the AWS CLI's format and used without any STS call, and 50
# concurrent sessions that cause exactly one AssumeRole.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

creds_base_profile
cat >"$AWS_CONFIG_FILE" <<EOC
[profile mid]
role_arn = arn:aws:iam::123456789012:role/mid
source_profile = base
role_session_name = mid-session
[profile top]
role_arn = arn:aws:iam::123456789012:role/top
source_profile = mid
external_id = ext-42
duration_seconds = 1800
[profile many]
role_arn = arn:aws:iam::123456789012:role/many
source_profile = base
[profile cached]
role_arn = arn:aws:iam::123456789012:role/cached
source_profile = base
[profile loop1]
role_arn = arn:aws:iam::123456789012:role/l1
source_profile = loop2
[profile loop2]
role_arn = arn:aws:iam::123456789012:role/l2
source_profile = loop1
[profile same1]
role_arn = arn:aws:iam::123456789012:role/same
source_profile = same2
[profile same2]
role_arn = arn:aws:iam::123456789012:role/same
source_profile = same1
[profile longtok]
role_arn = arn:aws:iam::123456789012:role/longtok
source_profile = longbase
[profile fifo]
role_arn = arn:aws:iam::123456789012:role/fifo
source_profile = base
EOC
emu_ctl config '{"roles": {"arn:aws:iam::123456789012:role/top":
    {"external_id": "ext-42"}}}' >/dev/null

sts_calls() {	# role-suffix -> number of successful AssumeRole calls
	/usr/bin/python3 - "$EMU_REQUEST_LOG" "$1" <<'PY'
import json, sys
n = 0
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("api") == "AssumeRole" and e.get("status") == 200 and \
            (e.get("role_arn") or "").endswith(sys.argv[2]):
        n += 1
print(n)
PY
}

# 1. A three-profile chain: top <- mid <- base (static keys).
AWS_PROFILE=top "${SSH[@]}" "$DEST" 'echo chain' </dev/null >"$T/o1" \
    2>"$T/e1"
check "chain top <- mid <- base: ssh works ($(cat "$T/e1"))" \
    [ "$(cat "$T/o1")" = chain ]
check "  AssumeRole mid signed with base's key, then top with mid's" logq \
    '[(e["role_arn"].split("/")[-1], e["access_key"] == "'"$base_ak"'",
       e.get("external_id"), e.get("duration"))
      for e in L if e.get("api") == "AssumeRole" and e["status"] == 200] ==
     [("mid", True, None, None), ("top", False, "ext-42", "1800")]'
check "  StartSession signed with the role key of top" logq \
    '[e for e in L if e.get("api") == "StartSession"][-1]["access_key"] ==
     [e for e in L if e.get("api") == "AssumeRole" and
      e["role_arn"].endswith("/top")][-1]["issued_access_key"]'
check "  cache files 0600 in ~/.aws/cli/cache" \
    bash -c '[ "$(stat -c %a "$HOME"/.aws/cli/cache/*.json | sort -u)" = 600 ]'
AWS_PROFILE=top "${SSH[@]}" "$DEST" true </dev/null 2>"$T/e1b"
check "  second run: no new AssumeRole (cache)" \
    [ "$(sts_calls /top)" = 1 ]
check "  two ssm-proxy runs exit 0" px_check 2

# 2. A cache file written by the test in the AWS CLI's format.
key=$(/usr/bin/python3 -c 'import json, hashlib
print(hashlib.sha1(json.dumps({"RoleArn":
    "arn:aws:iam::123456789012:role/cached"}, sort_keys=True).encode())
    .hexdigest())')
exp=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SUTC)
emu_ctl config '{"credentials": [{"access_key": "ASIACACHEDBYCLI00001",
    "secret_key": "cachedsecret", "session_token": "cachedtoken"}]}' \
    >/dev/null
cat >"$HOME/.aws/cli/cache/$key.json" <<EOC
{"Credentials": {"AccessKeyId": "ASIACACHEDBYCLI00001", "SecretAccessKey": "cachedsecret", "SessionToken": "cachedtoken", "Expiration": "$exp"}, "AssumedRoleUser": {"AssumedRoleId": "AROA:x", "Arn": "arn:aws:sts::123456789012:assumed-role/cached/x"}, "ResponseMetadata": {"RequestId": "r", "HTTPStatusCode": 200}}
EOC
AWS_PROFILE=cached "${SSH[@]}" "$DEST" true </dev/null 2>"$T/e2"
check "CLI cache file used: no AssumeRole for cached" \
    [ "$(sts_calls /cached)" = 0 ]
check "  StartSession signed with the cached key" logq \
    '[e for e in L if e.get("api") == "StartSession"][-1]["access_key"] ==
     "ASIACACHEDBYCLI00001"'
check "  one ssm-proxy run exits 0" px_check 1

# 3. 50 concurrent sessions: one AssumeRole.  Fifty sanitizer builds of
# ssm-proxy, fifty ssh and fifty sshd sessions share what may be two busy
# cores: each run gets TMO50 seconds, for its ssh banner too (ssh's
# ConnectTimeout covers the banner exchange through the ProxyCommand),
# and the test prints how long they took.
TMO50=${IT_TIMEOUT_50:-300}
pids=()
t0=$(date +%s%N)
for i in $(seq 1 50); do
	AWS_PROFILE=many timeout "$TMO50" ssh \
	    "${SSHOPTS[@]/#ConnectTimeout=*/ConnectTimeout=$TMO50}" "$DEST" \
	    "echo $i" </dev/null >"$T/c$i.out" 2>"$T/c$i.err" &
	pids+=($!)
done
okc=0
for i in $(seq 1 50); do
	if wait "${pids[$((i - 1))]}" && [ "$(cat "$T/c$i.out")" = "$i" ]; then
		okc=$((okc + 1))
	else
		echo "  session $i: $(tail -n 2 "$T/c$i.err" | tr '\n' ' ')"
	fi
done
echo "  50 sessions done in $((($(date +%s%N) - t0) / 1000000)) ms"
check "50 concurrent sessions on an assumed role all work ($okc)" \
    [ "$okc" -eq 50 ]
check "  exactly one AssumeRole for them ($(sts_calls /many))" \
    [ "$(sts_calls /many)" = 1 ]
check "  50 ssm-proxy runs exit 0" px_check 50

# 4. A source_profile cycle is an error, not a hang: with two roles, and
# with one role on both sides (one cache entry, one lock: it used to wait
# on its own lock forever).
for p in loop1:loop2:l1 same1:same2:same; do
	IFS=: read -r a b role <<<"$p"
	AWS_PROFILE=$a "${SSH[@]}" "$DEST" true </dev/null 2>"$T/e4"
	px_wait
	check "cycle $a/$b: one clear line" same "$(ls "$T"/px/*.err)" \
	    "ssm-proxy: infinite loop in credential configuration: profile $a, the source_profile of profile $b, was already visited (visited profiles: $a, $b)"
	check "  exit status 1" [ "$(cat "$T"/px/*.rc)" = 1 ]
	check "  no AssumeRole for it" [ "$(sts_calls "/$role")" = 0 ]
	mkdir -p "$T/px/done" && mv "$T"/px/*.* "$T/px/done/"
done

# 5. Source credentials whose session token is 8000 characters (real
# ones can be long): it travels whole in X-Amz-Security-Token of the
# AssumeRole it signs.
longtok=$(/usr/bin/python3 -c 'import base64, os
print(base64.b64encode(os.urandom(6000)).decode())')
emu_ctl config '{"credentials": [{"access_key": "ASIALONGTOKEN0000001",
    "secret_key": "longsecret", "session_token": "'"$longtok"'"}]}' \
    >/dev/null
cat >>"$AWS_SHARED_CREDENTIALS_FILE" <<EOC
[longbase]
aws_access_key_id = ASIALONGTOKEN0000001
aws_secret_access_key = longsecret
aws_session_token = $longtok
EOC
AWS_PROFILE=longtok "${SSH[@]}" "$DEST" 'echo long' </dev/null >"$T/o5" \
    2>"$T/e5"
check "8000-character session token of the source: ssh works" \
    [ "$(cat "$T/o5")" = long ]
check "  AssumeRole signed with the long token" logq \
    '[(e["status"], e["access_key"], e["token_present"]) for e in L
      if e.get("api") == "AssumeRole" and
      e["role_arn"].endswith("/longtok")] ==
     [(200, "ASIALONGTOKEN0000001", True)]'
check "  one ssm-proxy run exits 0" px_check 1

# 6. A FIFO planted where the cache entry goes: a miss, not a hang.
key=$(/usr/bin/python3 -c 'import json, hashlib
print(hashlib.sha1(json.dumps({"RoleArn":
    "arn:aws:iam::123456789012:role/fifo"}, sort_keys=True).encode())
    .hexdigest())')
mkfifo "$HOME/.aws/cli/cache/$key.json"
AWS_PROFILE=fifo "${SSH[@]}" "$DEST" 'echo fifo' </dev/null >"$T/o6" \
    2>"$T/e6"
check "FIFO as the cache entry: ssh works" [ "$(cat "$T/o6")" = fifo ]
check "  one AssumeRole" [ "$(sts_calls /fifo)" = 1 ]
check "  one ssm-proxy run exits 0" px_check 1

# 7. A home that is not a directory: no cache, said at -v; it works.
: >"$T/homefile"
ssh_with -v
HOME=$T/homefile AWS_PROFILE=many "${SSHX[@]}" "$DEST" 'echo nohome' \
    </dev/null >"$T/o7" 2>"$T/e7"
check "unusable home: ssh works" [ "$(cat "$T/o7")" = nohome ]
check "  -v says the cache was not used" grep -q \
    "credential cache not used: cannot create $T/homefile/.aws/cli/cache: Not a directory" \
    "$T"/px/*.err
check "  a second AssumeRole for many (no cache)" [ "$(sts_calls /many)" = 2 ]
check "  one ssm-proxy run exits 0" px_check 1
it_done "assume role: 3-profile chain, CLI cache reuse, 50 sessions / 1 AssumeRole, cycles, 8000-character token, FIFO, no home"
