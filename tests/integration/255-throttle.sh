#!/usr/bin/env bash
# Throttling like the service's: the emulator limits StartSession and
# ResumeSession to RATE calls a second (a bucket of BURST), and N ssh
# sessions (sftp: no remote shell, whose start-up files can be slow on
# a busy host) start at once through N ssm-proxy processes.  Every one
# fetches its own file exactly; the throttled StartSessions are retried
# (full jitter, bounded by 60 s, not by max_attempts), so the total stays
# below 4 calls per session and no session waits 60 s; each retry is one
# -v line; every session is terminated.  Then a signal ends a throttled
# wait at once.  The fleet's figures (50 sessions, 5/s, a bucket of 10)
# are THROTTLE_N=50 THROTTLE_RATE=5 THROTTLE_BURST=10; make check runs
# the same ratio of sessions to limit at 20, 2/s, 4 (50 sanitizer builds
# and their TLS handshakes at once are too much for a 2-core runner).
. "$(dirname "$0")/lib.bash"
N=${THROTTLE_N:-20}
RATE=${THROTTLE_RATE:-2}
BURST=${THROTTLE_BURST:-4}
it_start --no-agent-pause \
    --set "throttle={\"rate\":$RATE,\"burst\":$BURST}"

echo -v >"$T/px.flags"
mkdir -p "$T/remote" || exit 1
# One sftp session: fetch remote file $1 into $2, ssm-proxy's trace (its
# API calls, with milliseconds since it started) into $2.trace.
# ConnectTimeout also covers the ProxyCommand's wait for the banner.
fetch() {	# remote local
	echo "get $1 $2" >"$2.batch"
	timeout 120 sftp -o ConnectTimeout=90 -o "ProxyCommand=env \
SSM_PROXY_TRACE=$2.trace $PXWRAP %h %p" -b "$2.batch" "${SSHOPTS[@]}" \
	    "$DEST" </dev/null >/dev/null
}
# Milliseconds from ssm-proxy's start to its StartSession's success.
started_ms() {	# trace
	/usr/bin/python3 -c 'import json, sys
t = [e["t"] for e in map(json.loads, open(sys.argv[1])) if e["ev"] == "api"
     and e.get("op") == "StartSession" and e.get("status") == 200]
print(t[0] if t else 999999)' "$1"
}
pids=()
for i in $(seq 1 $N); do
	echo "hello-$i" >"$T/remote/f$i"
	( t0=${EPOCHREALTIME/./}
	  fetch "$T/remote/f$i" "$T/out$i" 2>"$T/err$i"
	  rc=$?
	  echo "$rc $(( (${EPOCHREALTIME/./} - t0) / 1000 ))" >"$T/rc$i" ) &
	pids+=($!)
done
wait "${pids[@]}"

bad_rc=0 bad_out=0 slow=0 max_ms=0 max_all=0
for i in $(seq 1 $N); do
	read -r rc all <"$T/rc$i"
	[ "$rc" = 0 ] || { bad_rc=$((bad_rc + 1))
	    echo "  session $i: sftp exit $rc: $(head -c 300 "$T/err$i")"; }
	[ "$(cat "$T/out$i" 2>/dev/null)" = "hello-$i" ] ||
	    bad_out=$((bad_out + 1))
	ms=$(started_ms "$T/out$i.trace" 2>/dev/null || echo 999999)
	[ "$ms" -lt 60000 ] || { slow=$((slow + 1))
	    echo "  session $i: StartSession after $ms ms"; }
	[ "$ms" -le "$max_ms" ] || max_ms=$ms
	[ "$all" -le "$max_all" ] || max_all=$all
done
retries=$(cat "$T"/px/*.err | grep -c "^ssm-proxy: StartSession failed: \
ThrottlingException: Rate exceeded; throttled, retrying in [0-9]* ms \
(attempt [0-9]*, for up to 60 s)$")
calls=$(/usr/bin/python3 -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get("api") ==
    "StartSession"))' "$EMU_REQUEST_LOG")
check "$N sessions under a $RATE/s limit (burst $BURST): every sftp exits 0" [ $bad_rc -eq 0 ]
check "  each fetched exactly its own file" [ $bad_out -eq 0 ]
check "  none waited 60 s for StartSession (slowest: $max_ms ms;\
 whole sftp runs: up to $max_all ms)" [ $slow -eq 0 ]
check "$N ssm-proxy runs, each exit 0, sanitizer-clean stderr" px_check $N
check "StartSession calls ($calls) fewer than 4 x $N" logq \
    'sum(1 for e in L if e["kind"] == "api" and
         e["api"] == "StartSession") < 4 * '$N
check "  and some were throttled: signed, HTTP 400, ThrottlingException" \
    logq 'sum(1 for e in L if e["kind"] == "api" and
         e.get("error") == "ThrottlingException" and e["status"] == 400 and
         e.get("throttled") and e["signature"] == "valid") > 0'
check "  each throttled call retried, one -v line each ($retries)" logq \
    'sum(1 for e in L if e["kind"] == "api" and
         e.get("error") == "ThrottlingException") == '"$retries"
check "$N distinct sessions started and terminated" logq \
    'len({e["session_id"] for e in L if e["kind"]=="api" and
      e["api"]=="StartSession" and e["status"]==200}) == '$N' and
     len({e["session_id"] for e in L if e["kind"]=="api" and
      e["api"]=="TerminateSession" and e["status"]==200}) == '$N

# ResumeSession shares the bucket: its one token goes to StartSession, the
# websocket drops after 3 output messages, and the ResumeSession that
# follows is throttled until the bucket refills (5 s), then retried into
# success: the file arrives intact.
emu_ctl config '{"throttle": {"rate": 0.2, "burst": 1},
    "drop_ws_after_output": 3}' >/dev/null || exit 1
before=$(wc -l <"$EMU_REQUEST_LOG")
echo resumed >"$T/remote/r"
fetch "$T/remote/r" "$T/out-r" 2>"$T/err-r"
check "a dropped websocket under throttling: sftp exits 0" [ $? -eq 0 ]
check "  and fetches its file exactly" same "$T/out-r" resumed
# (Before, the API gave up after 3 attempts, "attempt N of 3", and the
# tunnel started ResumeSession again; now the call itself waits it out.)
check "  ResumeSession retried while throttled, bounded by time only" \
    test "$(cat "$T"/px/*.err | grep -c "^ssm-proxy: ResumeSession \
failed: ThrottlingException: Rate exceeded; throttled, retrying")" -gt 0 \
    -a "$(cat "$T"/px/*.err | grep -c "^ssm-proxy: ResumeSession failed.* \
of [0-9]*)$")" -eq 0
check "ssm-proxy run exit 0, sanitizer-clean stderr" px_check 1
check "  ResumeSession throttled, then retried into success" logq \
    '[e.get("error") or e["status"] for e in L['"$before"':]
      if e["kind"] == "api" and e["api"] == "ResumeSession"][:1] ==
     ["ThrottlingException"] and
     [e["status"] for e in L['"$before"':] if e["kind"] == "api" and
      e["api"] == "ResumeSession"][-1] == 200'

# A signal ends a throttled wait at once: an empty bucket that refills
# in 1000 s, one ssm-proxy retrying, SIGTERM, exit 143 without delay.
emu_ctl config '{"throttle": {"rate": 0.001, "burst": 1}}' >/dev/null ||
    exit 1
fetch "$T/remote/r" "$T/out-t" 2>"$T/err-t"
check "the bucket's one token: a session" [ $? -eq 0 ]
mkfifo "$T/in" || exit 1
exec 8<>"$T/in"
"$SSM_PROXY" -v "$EMU_TARGET" "$EMU_SSHD_PORT" <"$T/in" >/dev/null \
    2>"$T/sig.err" &
ppid=$!
for _ in $(seq 1 300); do	# bounded: up to 30 s for the first retry
	grep -q "throttled, retrying" "$T/sig.err" && break
	sleep 0.1
done
check "  the next one is throttled and waits" grep -q \
    "throttled, retrying" "$T/sig.err"
t0=${EPOCHREALTIME/./}
kill -TERM "$ppid"
wait "$ppid"
rc=$?
ms=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
exec 8>&-
check "  SIGTERM ends the wait: exit 143 (got $rc) in $ms ms" \
    test "$rc" -eq 143 -a "$ms" -lt 2000
check "  sanitizer-clean stderr" san_clean "$T/sig.err"
it_done "$N sessions at $RATE StartSession/s: all ok, $calls calls, slowest $max_ms ms"
