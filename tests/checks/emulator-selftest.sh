#!/usr/bin/env bash
# Self-test of the AWS stand-in (tests/emulator/) with the real ssh client
# and the independent reference client tests/emulator/pyclient.py as
# ProxyCommand: StartSession with SigV4, wss, handshake, relay, sshd.
# Also data integrity under injected loss/duplication, a websocket drop
# with ResumeSession, the CONNECT proxy, a signed upgrade, failures
# that must fail, the fleet's EC2/SSM calls (fleetprobe.py) and the EC2
# Instance Connect Endpoint (eiceprobe.py), multiplexed port sessions
# (muxprobe.py).  Everything started here is stopped by the trap.
set -u
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
. tests/emulator/lib.sh

emu_require || exit 1
dir=$(mktemp -d /tmp/emu-selftest.XXXXXX) || exit 1
pass=0
fail=0
cleanup() {
	emu_stop
	if [ "$fail" -ne 0 ] || [ "${KEEP:-}" ]; then
		echo "--- emulator.log (tail)"; tail -n 30 "$dir/emulator.log"
		echo "--- sshd.log (tail)"; tail -n 15 "$dir/sshd.log"
		echo "--- requests.jsonl (tail)"; tail -n 15 "$dir/requests.jsonl"
	fi
	[ "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() {	# description command...
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

emu_start "$dir" || { echo "FAIL emulator start"; exit 1; }
echo "emulator pid $EMU_PID, api $EMU_API_PORT, ws $EMU_WS_PORT," \
    "proxy $EMU_PROXY_PORT, sshd $EMU_SSHD_PORT"

PYC="/usr/bin/python3 $root/tests/emulator/pyclient.py"
SSH=(timeout 40 ssh -F /dev/null -o BatchMode=yes
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$EMU_KNOWN_HOSTS"
    -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes
    -o ConnectTimeout=30 -o LogLevel=ERROR -i "$EMU_SSH_KEY"
    -p "$EMU_SSHD_PORT")
run_ssh() {	# pyclient-options -- ssh-args...
	local popts=()
	while [ "$1" != -- ]; do popts+=("$1"); shift; done
	shift
	"${SSH[@]}" -o ProxyCommand="$PYC ${popts[*]} %h %p" \
	    "$EMU_SSH_USER@$EMU_TARGET" "$@"
}
logq() {	# python expression over the list L of log records -> exit status
	# The emulator writes some records (a tunnel's or session's close)
	# just after the client has gone, so a false assertion is read
	# again as the log grows, for up to 10 s.
	/usr/bin/python3 - "$EMU_REQUEST_LOG" "$1" <<'PY'
import json, sys, time
end = time.monotonic() + 10
while True:
    L = [json.loads(l) for l in open(sys.argv[1]) if l.endswith("\n")]
    r = eval("(" + sys.argv[2] + "\n)")
    if r or time.monotonic() > end:
        break
    time.sleep(0.1)
if not r:
    sys.stderr.write("log assertion false: %s\n" % sys.argv[2])
sys.exit(0 if r else 1)
PY
}

# 1. the basic case the brief names: output and exit status through ssh
out=$(run_ssh -- 'echo hello; exit 3' 2>"$dir/ssh1.err")
rc=$?
check "ssh echo through pyclient: output 'hello'" [ "$out" = hello ]
check "ssh exit status 3 passed through (got $rc)" [ $rc -eq 3 ]
check "StartSession logged with a valid SigV4 signature" logq \
    '[e for e in L if e["kind"]=="api" and e["api"]=="StartSession"
      and e["signature"]=="valid" and e["status"]==200
      and e["access_key"]=="'"$AWS_ACCESS_KEY_ID"'"]'
check "unsigned upgrade logged as absent, URL used verbatim" logq \
    '[e for e in L if e["kind"]=="websocket" and e["status"]==101
      and e["signature"]=="absent" and e["url_verbatim"]]'
check "OpenDataChannel accepted" logq \
    '[e for e in L if e["kind"]=="open_data_channel" and e["result"]=="ok"]'

# 2. bulk both ways, signed upgrade, through the CONNECT proxy
head -c 300000 /dev/urandom >"$dir/in.bin"
HTTPS_PROXY=$EMU_PROXY_URL run_ssh --sign-ws -- cat <"$dir/in.bin" \
    >"$dir/out.bin" 2>"$dir/ssh2.err"
check "300 kB echoed intact via proxy + signed upgrade (exit $?)" \
    cmp -s "$dir/in.bin" "$dir/out.bin"
emu_ctl get sessions >"$dir/sessions2.json"
check "lossless run: acks prompt (few duplicates/resends either way)" \
    /usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))[-1]["stats"]
print(s)
n = s.get("output_msgs", 0)
inp = s.get("frames_in", 0) - s.get("acks_in", 0)   # input_stream_data
# every input frame is acked unless refused (sshd not yet connected)
ref = s.get("refused_not_ready", 0)
sys.exit(0 if n > 250 and inp > 250 and s.get("acks_sent", 0) == inp - ref
         and s.get("input_duplicates", 0) <= n // 10 and
         s.get("resends", 0) <= n // 10 else 1)' "$dir/sessions2.json"
check "signed upgrade verified (ssmmessages), via proxy" logq \
    '[e for e in L if e["kind"]=="websocket" and e["signature"]=="valid"
      and e["via_proxy"] and e["status"]==101]'
check "StartSession via proxy, CONNECT logged" logq \
    '[e for e in L if e["kind"]=="api" and e["via_proxy"]] and
     [e for e in L if e["kind"]=="connect" and e["status"]==200
      and e["target"]=="127.0.0.1:'"$EMU_API_PORT"'"]'

# 3. injected loss, duplication and reordering in both directions
emu_ctl config '{"drop_output_every": 5, "duplicate_output_every": 7,
    "drop_input_every": 6, "agent_pause": false}' >/dev/null
head -c 60000 /dev/urandom >"$dir/in3.bin"
run_ssh -- cat <"$dir/in3.bin" >"$dir/out3.bin" 2>"$dir/ssh3.err"
check "60 kB intact under injected loss/duplication (exit $?)" \
    cmp -s "$dir/in3.bin" "$dir/out3.bin"
emu_ctl get sessions >"$dir/sessions3.json"
check "emulator resent dropped output and saw client resends" \
    /usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))[-1]["stats"]
print(s)
sys.exit(0 if s.get("resends", 0) > 0 and
         s.get("injected_input_drops", 0) > 0 and
         s.get("input_out_of_order", 0) + s.get("input_duplicates", 0) > 0
         else 1)' "$dir/sessions3.json"

# 4. websocket aborted mid-stream: ResumeSession and reconnect
emu_ctl config '{"reset": true, "drop_ws_after_output": 20}' >/dev/null
head -c 60000 /dev/urandom >"$dir/in4.bin"
run_ssh -- cat <"$dir/in4.bin" >"$dir/out4.bin" 2>"$dir/ssh4.err"
check "60 kB intact across a websocket drop (exit $?)" \
    cmp -s "$dir/in4.bin" "$dir/out4.bin"
check "ResumeSession signed and answered, session re-attached" logq \
    '[e for e in L if e["kind"]=="api" and e["api"]=="ResumeSession"
      and e["signature"]=="valid" and e["status"]==200] and
     [e for e in L if e.get("event")=="ws_reattached"]'

# 5. failures must fail
emu_ctl config '{"reset": true,
    "fail": {"api": "StartSession", "code": "ThrottlingException"}}' \
    >/dev/null
run_ssh -- true 2>"$dir/ssh5.err"
rc=$?
check "forced ThrottlingException fails the ssh (exit $rc)" [ $rc -ne 0 ]
check "pyclient reported ThrottlingException" \
    grep -q ThrottlingException "$dir/ssh5.err"
AWS_SECRET_ACCESS_KEY=wrong$AWS_SECRET_ACCESS_KEY run_ssh -- true \
    2>"$dir/ssh6.err"
rc=$?
check "wrong secret key fails (exit $rc)" [ $rc -ne 0 ]
check "InvalidSignatureException logged as invalid" logq \
    '[e for e in L if e["kind"]=="api" and e["signature"]=="invalid"
      and e["error"]=="InvalidSignatureException" and e["status"]==400]'
run_ssh -- true 2>"$dir/ssh7.err" >/dev/null
check "after the forced error the next session works (exit $?)" \
    [ $? -eq 0 ]
out=$("${SSH[@]}" -o ProxyCommand="$PYC %h %p" "$EMU_SSH_USER@i-0fffffffffffffff0" \
    true 2>&1)
check "unknown target fails" [ $? -ne 0 ]
check "  with TargetNotConnected" grep -q TargetNotConnected <<<"$out"

# 6. temporary credentials, clock skew, a handshake the client refuses
emu_ctl config '{"credentials": [
    {"access_key": "ASIAEMUTEMP", "secret_key": "tmp/Secret+1",
     "session_token": "IQoJb3JpZ2luX2VjEXAMPLE+/="},
    {"access_key": "ASIAEMUOLD", "secret_key": "old", "session_token": "T",
     "expired": true}]}' >/dev/null
out=$(AWS_ACCESS_KEY_ID=ASIAEMUTEMP AWS_SECRET_ACCESS_KEY=tmp/Secret+1 \
    AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEXAMPLE+/= \
    run_ssh --sign-ws -- 'echo temp' 2>"$dir/ssh8.err")
check "session token credential works for API and upgrade" [ "$out" = temp ]
check "  token present and signed on both" logq \
    'len([e for e in L if e.get("access_key")=="ASIAEMUTEMP"
      and e["signature"]=="valid" and e["token_signed"]]) == 2'
AWS_ACCESS_KEY_ID=ASIAEMUOLD AWS_SECRET_ACCESS_KEY=old AWS_SESSION_TOKEN=T \
    run_ssh -- true 2>"$dir/ssh9.err"
check "expired token fails with ExpiredTokenException" \
    grep -q ExpiredTokenException "$dir/ssh9.err"
emu_ctl config '{"clock_offset": 400}' >/dev/null
run_ssh -- true 2>"$dir/ssh10.err"
check "request 400 s behind the emulator clock: Signature expired" \
    grep -q "InvalidSignatureException: Signature expired" "$dir/ssh10.err"
emu_ctl config '{"reset": true, "handshake_unknown_action": "Foo"}' \
    >/dev/null
run_ssh -- true 2>"$dir/ssh11.err"
check "action refused by the client: session fails (channel_closed)" \
    grep -q "channel_closed: Handshake failed: action Foo" "$dir/ssh11.err"
emu_ctl config '{"reset": true}' >/dev/null

# 7. raw websocket probes: bad token, binary first frame, RTO pacing of
# an unanswered HandshakeRequest, handshake timeout, TerminateSession
emu_ctl config '{"handshake_timeout": 1}' >/dev/null
/usr/bin/python3 tests/emulator/wsprobe.py "$dir" >"$dir/wsprobe.out" 2>&1
rc=$?
cat "$dir/wsprobe.out"
check "raw websocket probes ($(grep -c '^ok' "$dir/wsprobe.out") ok)" \
    [ $rc -eq 0 ]
emu_ctl config '{"reset": true}' >/dev/null

# 7b. the fleet: DescribeInstances/StartInstances (EC2 Query, XML),
# DescribeInstanceInformation, StartSession by region and state, knobs
/usr/bin/python3 tests/emulator/fleetprobe.py "$dir" >"$dir/fleet.out" 2>&1
rc=$?
cat "$dir/fleet.out"
check "fleet probes ($(grep -c '^ok' "$dir/fleet.out") ok)" [ $rc -eq 0 ]
kh_names() {	# names... -> each one is a host of known_hosts' line
	local n
	for n in "$@"; do
		tr ', ' '\n\n' <"$EMU_KNOWN_HOSTS" | grep -qxF -- "$n" ||
		    { echo "  $n not in known_hosts"; return 1; }
	done
}
check "  known_hosts names the fleet" kh_names web1 Db-Primary db-primary \
    10.0.1.5 ip-10-0-1-5.ec2.internal web1.eu-west-1 web1.us-east-1 \
    i-0f1f1f1f1f1f1f1f1.eu-west-1 onprem1 '[web1]:'"$EMU_SSHD_PORT"
out=$(AWS_REGION=eu-west-1 "${SSH[@]}" -o ProxyCommand="$PYC --sign-ws %h %p" \
    "$EMU_SSH_USER@i-0f1f1f1f1f1f1f1f1" 'echo eu' 2>"$dir/ssh-eu.err")
check "ssh to eu-west-1's web1 in eu-west-1 (signed upgrade)" [ "$out" = eu ]
check "  StartSession logged with that target and region" logq \
    '[e for e in L if e["kind"]=="api" and e["api"]=="StartSession"
      and e.get("region")=="eu-west-1" and e["status"]==200
      and e["target"]=="i-0f1f1f1f1f1f1f1f1"]'
emu_ctl config '{"reset": true}' >/dev/null

# 7c. EC2 Instance Connect Endpoint: presign vectors, endpoints, the
# openTunnel websocket and its refusals and closes (eiceprobe.py), then
# ssh and 1 MB both ways through a tunnel to the agentless instance
/usr/bin/python3 tests/emulator/eiceprobe.py "$dir" >"$dir/eice.out" 2>&1
rc=$?
cat "$dir/eice.out"
check "EICE probes ($(grep -c '^ok' "$dir/eice.out") ok)" [ $rc -eq 0 ]
EICEPX="/usr/bin/python3 $root/tests/emulator/eiceprobe.py $dir --tunnel"
head -c 1000000 /dev/urandom >"$dir/in-eice.bin"
"${SSH[@]}" -o ProxyCommand="$EICEPX 10.0.4.1 22" \
    "$EMU_SSH_USER@i-0d1d1d1d1d1d1d1d1" cat <"$dir/in-eice.bin" \
    >"$dir/out-eice.bin" 2>"$dir/ssh-eice.err"
check "ssh over EICE to noagent: 1 MB echoed intact (exit $?)" \
    cmp -s "$dir/in-eice.bin" "$dir/out-eice.bin"
# Which end closes first is a race: ssh's exit closes the ProxyCommand
# (1006 from the client) while sshd may already have closed its side
# (the emulator's 1000).  Either is a clean end; an error is not.
check "  tunnel logged: 10.0.4.1:22, closed without error, bytes both ways" \
    logq '[e for e in L if e["kind"]=="eice" and e["event"]=="closed"
      and e["ip"]=="10.0.4.1" and e["error"] is None
      and e["closed_by"] in ("client", "emulator")
      and e["bytes_up"] > 1000000 and e["bytes_down"] > 1000000]'
emu_ctl config '{"reset": true}' >/dev/null

# 7d. multiplexed port sessions (AWS-StartPortForwardingSessionToRemoteHost):
# muxprobe.py's own smux client against build/smuxd (the real xtaci/smux)
# through the agent: two streams to db.internal, the second sshd behind
# app.internal, ConnectToPortError for closed.internal and an unmapped
# host, keepalives by ClientVersion, the plain stream for old clients
if [ -x "$root/build/smuxd" ]; then
	/usr/bin/python3 tests/emulator/muxprobe.py "$dir" >"$dir/mux.out" 2>&1
	rc=$?
	cat "$dir/mux.out"
	check "multiplexed port probes ($(grep -c '^ok' "$dir/mux.out") ok)" \
	    [ $rc -eq 0 ]
else
	bad "build/smuxd missing (make tests builds it; make deps installs" \
	    "golang-go and golang-github-xtaci-smux-dev)"
fi
emu_ctl config '{"reset": true}' >/dev/null

# 8. whole-log invariants
check "no digest, frame or validation failure; no data before handshake" \
    logq 'not [e for e in L if e.get("event") in ("digest_failure",
      "frame_error", "validation_failure", "data_before_handshake")]'
check "no secret in the request log" \
    logq 'not [l for l in open("'"$EMU_REQUEST_LOG"'")
               if "'"$AWS_SECRET_ACCESS_KEY"'" in l or "Signature=" in l
               or "IQoJb3JpZ2luX2VjEXAMPLE" in l]'

# 9. stopping leaves nothing behind: every descendant of the emulator
# (sshd, its session processes, their commands) must be gone
tree=$(/usr/bin/python3 - "$EMU_PID" <<'PY'
import os, sys
kids = {}
for d in os.listdir("/proc"):
    try:
        st = open("/proc/%s/stat" % d).read()
        kids.setdefault(int(st[st.rindex(")") + 2:].split()[1]), []).append(d)
    except (OSError, ValueError):
        pass
todo, out = [int(sys.argv[1])], []
while todo:
    for c in kids.get(todo.pop(), []):
        out.append(c)
        todo.append(int(c))
print(" ".join(out))
PY
)
emu_pid=$EMU_PID
emu_stop
gone() {
	local p
	for p in $emu_pid $tree; do
		if kill -0 "$p" 2>/dev/null; then
			echo "left behind: $p $(tr '\0' ' ' </proc/$p/cmdline)"
			return 1
		fi
	done
}
check "emulator and its process tree ($(echo $tree | wc -w) pids) gone" gone

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && echo "#> emulator self-test: $pass checks (ssh via" \
    "pyclient, proxy, signed ws, loss, reconnect, errors, raw ws, fleet, eice," \
    "smux)"
[ "$fail" -eq 0 ]
