#!/usr/bin/env bash
# make demo: ssm-proxy end to end against the AWS emulator (agent pause
# off), with the real ssh, scp and sftp and ./ssm-proxy -v as ProxyCommand:
# a remote command, a 16 MiB file up and down by scp with hashes, sftp
# ls/put/get, then a summary with the API calls from the request log.
# Stops everything it started; exits non-zero if any step fails.
set -u
cd "$(dirname "$0")/.." || exit 2
. tests/emulator/lib.sh

BIN=${SSM_PROXY:-./ssm-proxy}
[ -x "$BIN" ] || { echo "demo: $BIN not built (run make)"; exit 1; }
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
emu_require || exit 1
T=$(mktemp -d /tmp/ssm-demo.XXXXXX) || exit 1
failed=0
cleanup() { emu_stop; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

step() { printf '\n== %s\n' "$*"; }
ms() { echo $(( (${EPOCHREALTIME/./} - $1) / 1000 )); }
result() {	# rc what
	if [ "$1" -eq 0 ]; then echo "   ok: $2"; else echo "   FAILED ($1): $2"
	    failed=$((failed + 1)); fi
}
sha() { sha256sum <"$1" | cut -d' ' -f1; }

step "starting the AWS emulator (1 ms agent pause off)"
mkdir -p "$T/emu" "$T/remote"
emu_start "$T/emu" --no-agent-pause || exit 1
echo "   API $EMU_API_URL, websocket port $EMU_WS_PORT, sshd port" \
    "$EMU_SSHD_PORT, target $EMU_TARGET"
OPTS=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes
    -o UserKnownHostsFile="$EMU_KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null
    -o StrictHostKeyChecking=yes -o LogLevel=ERROR -i "$EMU_SSH_KEY"
    -o Port="$EMU_SSHD_PORT")
# ssh does not wait for its ProxyCommand: each ssm-proxy holds a shared
# lock on $T/lock (then execs, keeping ssh's SIGHUP), and settle() waits
# for all of them to exit by taking it exclusively.
: >"$T/lock"
OPTS+=(-o ProxyCommand="sh -c 'exec 9<$T/lock; flock -s 9; exec $BIN -v \"\$0\" \"\$1\"' %h %p")
settle() { timeout 30 flock -x "$T/lock" true || { echo "   ssm-proxy did not exit"
    failed=$((failed + 1)); }; }
DEST=$EMU_SSH_USER@$EMU_TARGET
echo "   ProxyCommand: $BIN -v %h %p   (its -v lines go to ssh's stderr)"

step "ssh $DEST 'uname -sr; echo hello from \$(hostname)'"
t0=${EPOCHREALTIME/./}
timeout 60 ssh "${OPTS[@]}" "$DEST" 'uname -sr; echo "hello from $(hostname)"' \
    </dev/null 2>"$T/ssh.err" | sed 's/^/   > /'
rc=${PIPESTATUS[0]}
settle; sed 's/^/   stderr: /' "$T/ssh.err"
t_ssh=$(ms "$t0")
result "$rc" "ssh remote command in ${t_ssh} ms"

step "scp of a 16 MiB random file up and back down"
head -c $((16 * 1024 * 1024)) /dev/urandom >"$T/demo.bin"
h0=$(sha "$T/demo.bin")
t0=${EPOCHREALTIME/./}
timeout 120 scp -q "${OPTS[@]}" "$T/demo.bin" "$DEST:$T/remote/demo.bin" \
    </dev/null 2>"$T/scp-up.err"
rc=$?; t_up=$(ms "$t0"); settle; sed 's/^/   stderr: /' "$T/scp-up.err"
h1=$(sha "$T/remote/demo.bin" 2>/dev/null)
result "$rc" "scp up in ${t_up} ms"
t0=${EPOCHREALTIME/./}
timeout 120 scp -q "${OPTS[@]}" "$DEST:$T/remote/demo.bin" "$T/back.bin" \
    </dev/null 2>"$T/scp-down.err"
rc=$?; t_down=$(ms "$t0"); settle; sed 's/^/   stderr: /' "$T/scp-down.err"
h2=$(sha "$T/back.bin" 2>/dev/null)
result "$rc" "scp down in ${t_down} ms"
echo "   sha256 original   $h0"
echo "   sha256 uploaded   $h1"
echo "   sha256 downloaded $h2"
[ "$h0" = "$h1" ] && [ "$h0" = "$h2" ]
result $? "SHA-256 identical both ways"

step "sftp -b: ls, put, get"
head -c 100000 /dev/urandom >"$T/small.bin"
printf 'cd %s\nput %s small.bin\nls -l\nget small.bin %s\n' "$T/remote" \
    "$T/small.bin" "$T/small.back" >"$T/batch"
t0=${EPOCHREALTIME/./}
timeout 60 sftp -b "$T/batch" "${OPTS[@]}" "$DEST" </dev/null \
    2>"$T/sftp.err" | sed 's/^/   > /'
rc=${PIPESTATUS[0]}; t_sftp=$(ms "$t0"); settle; sed 's/^/   stderr: /' "$T/sftp.err"
result "$rc" "sftp batch in ${t_sftp} ms"
[ "$(sha "$T/small.bin")" = "$(sha "$T/small.back" 2>/dev/null)" ]
result $? "sftp put/get round trip identical"

step "what the emulator saw (requests.jsonl)"
/usr/bin/python3 - "$EMU_REQUEST_LOG" <<'PY'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.endswith("\n")]
calls = {}
for e in L:
    if e["kind"] == "api":
        k = (e["api"], e["status"], e["signature"])
        calls[k] = calls.get(k, 0) + 1
for (api, st, sig), n in sorted(calls.items()):
    print("   %-17s x%-2d HTTP %s, SigV4 %s" % (api, n, st, sig))
ws = [e for e in L if e["kind"] == "websocket"]
print("   websocket upgrades x%d: %s" % (len(ws), ", ".join(sorted(
    {"%s/%s" % (e["status"], e["signature"]) for e in ws}))))
closed = [e for e in L if e.get("event") == "closed"]
print("   sessions closed x%d: %s" % (len(closed), ", ".join(sorted(
    {e["reason"] for e in closed}))))
print("   bytes to sshd %d, from sshd %d" % (
    sum(e["stats"].get("input_bytes", 0) for e in closed),
    sum(e["stats"].get("output_bytes", 0) for e in closed)))
PY

step "summary"
echo "   ssh command ${t_ssh} ms; scp 16 MiB up ${t_up} ms, down ${t_down} ms;" \
    "sftp ${t_sftp} ms"
if [ "$failed" -eq 0 ]; then
	echo "   demo: all steps succeeded"
else
	echo "   demo: $failed step(s) FAILED"
fi
[ "$failed" -eq 0 ]
