#!/usr/bin/env bash
# The first websocket connect is retried like a reconnect
# (protocol/PROTOCOL.md "Reconnection"): the
# emulator refuses the first N upgrades with 403.  N = 2: the third
# attempt, signed afresh, connects and the session works.  N = 10: after
# 5 attempts ssm-proxy gives up with one line and exit 3, and calls
# TerminateSession so that the session does not linger.
. "$(dirname "$0")/faults.bash"
fx_start

refuse() {	# n: the next n upgrades get 403
	emu_ctl config '{"fail": {"api": "websocket", "status": 403,
	    "message": "refused by the test", "count": '"$1"'}}' \
	    >/dev/null || exit 1
}
upgrades() {	# statuses of the upgrades for the latest session
	/usr/bin/python3 - "$EMU_REQUEST_LOG" <<'PY'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.endswith("\n")]
sid = [e["session_id"] for e in L if e.get("api") == "StartSession"][-1]
print(" ".join("%s/%s" % (e["status"], e["signature"]) for e in L
               if e["kind"] == "websocket" and e["session_id"] == sid))
PY
}

refuse 2
out=$(timeout "$TMO" ssh "${SSHOPTS[@]}" "$DEST" 'printf third-time' \
    </dev/null 2>"$T/ssh.err")
rc=$?
check "2 upgrades refused: the session still works (exit $rc, '$out')" \
    [ "$rc:$out" = "0:third-time" ]
u=$(upgrades)
check "  3 upgrades, each signed: $u" \
    [ "$u" = "403/valid 403/valid 101/valid" ]
check "  no ResumeSession for a first connect" [ "$(resumes)" -eq 0 ]
check "  ssm-proxy exit 0, sanitizer-clean" fx_runs 0

refuse 10
mkfifo "$T/in" || exit 1
t0=$SECONDS
timeout "$TMO" "$SSM_PROXY" "$EMU_TARGET" "$EMU_SSHD_PORT" <"$T/in" \
    >"$T/px.out" 2>"$T/px/x.err" &
p=$!
exec 3>"$T/in"
wait $p
rc=$?
exec 3>&-
el=$((SECONDS - t0))
check "10 upgrades refused: exit 3 (got $rc) within 10 s (${el}s)" \
    [ "$rc:$((el <= 10))" = 3:1 ]
check "  one line on stderr" same "$T/px/x.err" \
    "ssm-proxy: cannot open the data channel websocket: HS: ws upgrade response not 101 (5 attempts)"
check "  stdout empty" [ ! -s "$T/px.out" ]
u=$(upgrades)
check "  5 upgrades, each signed: $u" [ "$u" = "$(echo 403/valid \
    403/valid 403/valid 403/valid 403/valid)" ]
check "  TerminateSession for the session" logq \
    '[e["session_id"] for e in L if e.get("api")=="StartSession"][-1] ==
     [e["session_id"] for e in L if e.get("api")=="TerminateSession"
      and e["status"]==200][-1]'
check "  sanitizer-clean" san_clean "$T/px/x.err"
fx_done "first connect: 2 refusals survived, 10 refusals: exit 3 after 5 attempts in ${el}s, TerminateSession"
