#!/usr/bin/env bash
# --trace FILE and SSM_PROXY_TRACE: a mode 0600 file of JSON lines with
# the API calls (status 200), frames both ways, phases, and not one secret
# the emulator issued; the option wins over the variable; symbolic links
# and non-regular files are refused; a trace that cannot be written stops
# with one warning and the session goes on.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause --with-session-token

# valid FILE: every line a JSON object with "t" (non-decreasing) and "ev";
# prints the kinds seen, "api:StartSession:200" style for API calls.
valid() {
	/usr/bin/python3 - "$1" <<'PY'
import json, sys
kinds, last = set(), 0
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    o = json.loads(line)
    assert isinstance(o, dict) and isinstance(o["t"], int), n
    assert o["t"] >= last, "line %d: time goes back" % n
    last = o["t"]
    k = o["ev"]
    if k == "api":
        k = "api:%s:%d" % (o["op"], o["status"])
        assert all(isinstance(v, int) for v in o.get("fields", {}).values())
    elif k == "frame":
        k = "frame:%s" % o["dir"]
    kinds.add(k)
print(" ".join(sorted(kinds)))
PY
}
has() {		# "kinds" kind...
	local k
	for k in "${@:2}"; do
		[[ " $1 " == *" $k "* ]] || { echo "  no $k in: $1"; return 1; }
	done
}

# 1: ssh with --trace; stdin through cat and back.
head -c 20000 /dev/urandom >"$T/in1"
ssh_with "--trace $T/t1.jsonl"
"${SSHX[@]}" "$DEST" cat <"$T/in1" >"$T/out1" 2>"$T/e1"
check "ssh cat with --trace: bytes back intact (exit $?)" cmp -s "$T/in1" "$T/out1"
# 2: scp with SSM_PROXY_TRACE, a presigned StreamUrl (a signature in its
# query); 3: both, the option wins.
emu_ctl config '{"presigned_stream_url": true}' >/dev/null
head -c 100000 /dev/urandom >"$T/f2"
timeout "$TMO" scp -q "${SSHOPTS[@]/#ProxyCommand=*/ProxyCommand=env SSM_PROXY_TRACE=$T/t2.jsonl $PXWRAP %h %p}" \
    "$T/f2" "$DEST:$T/f2.copy" </dev/null 2>"$T/e2"
check "scp with SSM_PROXY_TRACE (exit $?)" cmp -s "$T/f2" "$T/f2.copy"
emu_ctl config '{"presigned_stream_url": false}' >/dev/null
timeout "$TMO" ssh "${SSHOPTS[@]/#ProxyCommand=*/ProxyCommand=env SSM_PROXY_TRACE=$T/t3-env.jsonl $PXWRAP --trace $T/t3.jsonl %h %p}" \
    "$DEST" true </dev/null 2>"$T/e3"
check "ssh with both (exit $?)" [ -s "$T/t3.jsonl" ]
check "  the option wins: no SSM_PROXY_TRACE file" [ ! -e "$T/t3-env.jsonl" ]
check "3 ssm-proxy runs, each exit 0, sanitizer-clean stderr" px_check 3

for f in t1 t2 t3; do
	check "$f.jsonl is mode 600 ($(stat -c %a "$T/$f.jsonl"))" \
	    [ "$(stat -c %a "$T/$f.jsonl")" = 600 ]
	kinds=$(valid "$T/$f.jsonl")
	check "  every line JSON with t and ev ($(wc -l <"$T/$f.jsonl") lines)" \
	    [ -n "$kinds" ]
	check "  StartSession and TerminateSession 200, frames in and out, phases" \
	    has "$kinds" start api:StartSession:200 api:TerminateSession:200 \
	    frame:in frame:out phase chan end
done
check "t1 records data delivered and acknowledged" \
    grep -q '"decision":"delivered","acked":true,"state":"open"' "$T/t1.jsonl"
check "t1 ends with exit 0" same <(tail -n 1 "$T/t1.jsonl" | sed 's/.*"ev"/"ev"/') '"ev":"end","exit":0}'

# Secrets: the keys and token of env.sh exactly; the TokenValue and the
# StreamUrl's query (cell-number; the presigned one's X-Amz-Signature),
# which the emulator keeps to itself, by shape: no URL, no query
# parameter, no base64 or hex run of 32 characters or more.
TR=("$T"/t1.jsonl "$T"/t2.jsonl "$T"/t3.jsonl)
check "emulator issued a session token" [ -n "${AWS_SESSION_TOKEN:-}" ]
check "  access key id absent" absent -F -- "$AWS_ACCESS_KEY_ID" "${TR[@]}"
check "  secret access key absent" absent -F -- "$AWS_SECRET_ACCESS_KEY" "${TR[@]}"
check "  session token absent" absent -F -- "${AWS_SESSION_TOKEN:0:24}" "${TR[@]}"
check "  session token (percent-encoded) absent" \
    absent -F -- "$(enc "$AWS_SESSION_TOKEN" | cut -c1-24)" "${TR[@]}"
check "  no URL, no StreamUrl query (cell-number, X-Amz-*)" \
    absent -iE 'wss://|https://|[?&][a-z-]+=|cell-number|x-amz-' "${TR[@]}"
check "  no base64 or hex run of 32+ characters (TokenValue 180, signature 64)" \
    absent -E '[A-Za-z0-9+/]{32,}' "${TR[@]}"
check "  TokenValue only as a name with its length" \
    absent -E '"TokenValue":[^0-9]' "${TR[@]}"

# Every secret the emulator handed out (issued-secrets: TokenValues,
# StreamUrl queries and their cell-numbers, issued keys and tokens),
# exactly, and percent-encoded.
check "  none of the secrets the emulator issued appears" \
    issued_secrets_absent 6 "${TR[@]}"

# Refusals: one line, exit 1, nothing else written.
ln -s "$T/t1.jsonl" "$T/link.jsonl"
"$SSM_PROXY" --trace "$T/link.jsonl" "$EMU_TARGET" 22 </dev/null >"$T/o4" 2>"$T/e4"
check "a symbolic link is refused (exit $?)" same "$T/e4" \
    "ssm-proxy: --trace $T/link.jsonl: is a symbolic link"
"$SSM_PROXY" --trace /dev/null "$EMU_TARGET" 22 </dev/null >"$T/o5" 2>"$T/e5"
check "/dev/null is refused (exit $?)" same "$T/e5" \
    "ssm-proxy: --trace /dev/null: not a regular file"
SSM_PROXY_TRACE=$T/nodir/x.jsonl "$SSM_PROXY" "$EMU_TARGET" 22 </dev/null \
    >"$T/o6" 2>"$T/e6"
check "a missing directory is refused (exit $?)" same "$T/e6" \
    "ssm-proxy: --trace $T/nodir/x.jsonl: No such file or directory"
check "  stdout empty each time" [ ! -s "$T/o4" ] && [ ! -s "$T/o5" ] && [ ! -s "$T/o6" ]

# An old file of ours with mode 0644 is truncated and made 0600.
printf 'old\n' >"$T/old.jsonl" && chmod 644 "$T/old.jsonl"
# A file size limit of 4 KiB: the trace stops with one warning line, the
# session ends normally.
printf '#!/bin/bash\nulimit -f 4 && exec "$@"\n' >"$T/limit4k" &&
    chmod +x "$T/limit4k"
timeout "$TMO" ssh "${SSHOPTS[@]/#ProxyCommand=*/ProxyCommand=$T/limit4k $PXWRAP --trace $T/old.jsonl %h %p}" \
    "$DEST" 'echo still-here' </dev/null >"$T/o7" 2>"$T/e7"
check "a trace over the size limit: the session goes on (exit $?)" \
    same "$T/o7" still-here
check "  1 ssm-proxy run, exit 0, sanitizer-clean stderr" px_check 1
check "  one warning line" same "$T/px/done/$(ls -t "$T/px/done" | grep '\.err$' | head -1)" \
    "ssm-proxy: --trace: cannot write the trace: File too large; tracing stopped"
check "  the old file was truncated and made 0600 ($(stat -c %a "$T/old.jsonl"))" \
    [ "$(stat -c %a "$T/old.jsonl")" = 600 ] && ! grep -q '^old' "$T/old.jsonl"
check "  only whole lines, up to 4 KiB ($(wc -c <"$T/old.jsonl") bytes)" \
    valid "$T/old.jsonl"
it_done "--trace: 0600 JSON lines, API calls, frames, phases, no secret"
