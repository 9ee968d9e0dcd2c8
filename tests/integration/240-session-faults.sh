#!/usr/bin/env bash
# One interactive ssh session (a remote line echo) that outlives three
# websocket closes by the service (code 1000), then an agent gone silent
# that --progress-timeout 5 ends with a clear error, exit 4, no process
# left; and a session the service ends with a reason (exit 4) beside the
# normal end (exit 0).
. "$(dirname "$0")/faults.bash"
fx_start

ask() {	# line -> the remote echo of it within 10 s
	local got=
	echo "$1" >&"${S[1]}"
	read -r -t 10 got <&"${S[0]}"
	[ "$got" = "echo:$1" ] || { echo "  sent '$1', got '$got'"; return 1; }
}

echo "--keepalive 1 --progress-timeout 5" >"$T/px.flags"
coproc S { timeout "$TMO" ssh "${SSHOPTS[@]}" "$DEST" \
    'while read -r l; do echo "echo:$l"; done' 2>"$T/ssh.err"; }
spid=$S_PID
check "interactive session answers" ask one
for i in 1 2 3; do
	emu_ctl action '{"action": "close_ws", "code": 1000}' >/dev/null
	check "  after service close $i (code 1000) it still answers" \
	    ask "after-close-$i"
done
check "  3 ResumeSession calls (got $(resumes))" [ "$(resumes)" -eq 3 ]
check "  4 OpenDataChannel, each accepted" logq \
    '[e["result"] for e in L if e["kind"]=="open_data_channel"]==["ok"]*4'

# The agent goes silent; the service still answers pings (--keepalive 1
# pings every second): no reconnect, the progress timeout ends it.
emu_ctl config '{"agent_silent": true}' >/dev/null || exit 1
t0=$SECONDS
echo "unanswered" >&"${S[1]}"
wait "$spid" 2>/dev/null
el=$((SECONDS - t0))
fx_wait
rcf=$(ls "$T"/px/*.rc)
check "silent agent: ssm-proxy exits 4 (got $(cat "$rcf"))" \
    [ "$(cat "$rcf")" = 4 ]
check "  within 5 s + 3 s (took ${el}s)" [ "$el" -le 8 ]
check "  one line on stderr" [ "$(cat "${rcf%.rc}.err")" = \
    "ssm-proxy: the agent acknowledged nothing for 5 s (--progress-timeout): giving up" ]
check "  no reconnect while pings were answered" [ "$(resumes)" -eq 3 ]
check "  TerminateSession called" logq \
    '[e for e in L if e.get("api")=="TerminateSession"]'
check "  no ssm-proxy left" eval '! kill -0 "$(cat "${rcf%.rc}.pid")" 2>/dev/null'
check "  ssh ended too" eval '! kill -0 "$spid" 2>/dev/null'
check "  sanitizer-clean" san_clean "$T"/px/*.err
mkdir -p "$T/px/done"; mv "$T"/px/*.rc "$T"/px/*.err "$T"/px/*.pid "$T/px/done/"

# The service ends the session with a reason: exit 4 and one line.
emu_ctl config '{"reset": true, "agent_pause": false}' >/dev/null
: >"$T/px.flags"
coproc S { timeout "$TMO" ssh "${SSHOPTS[@]}" "$DEST" \
    'while read -r l; do echo "echo:$l"; done' 2>"$T/ssh.err"; }
spid=$S_PID
check "second session answers" ask two
emu_ctl action '{"action": "channel_closed", "output": "Session is terminated by an administrator."}' >/dev/null
wait "$spid" 2>/dev/null
fx_wait
rcf=$(ls "$T"/px/*.rc)
sid=$(emu_ctl get sessions | /usr/bin/python3 -c \
    'import json,sys; print(json.load(sys.stdin)[-1]["session_id"])')
check "service-ended session: exit 4 (got $(cat "$rcf"))" \
    [ "$(cat "$rcf")" = 4 ]
check "  one line naming the reason" [ "$(cat "${rcf%.rc}.err")" = \
    "ssm-proxy: the service closed session $sid: Session is terminated by an administrator." ]
check "  sanitizer-clean" san_clean "$T"/px/*.err
mkdir -p "$T/px/done"; mv "$T"/px/*.rc "$T"/px/*.err "$T"/px/*.pid "$T/px/done/"

# The normal end: sshd closes (channel_closed with an empty Output).
out=$(timeout "$TMO" ssh "${SSHOPTS[@]}" "$DEST" 'echo bye' 2>&1)
check "normal end: ssh output 'bye' (got '$out')" [ "$out" = bye ]
fx_wait
check "  ssm-proxy stderr empty" [ -z "$(cat "$T"/px/*.err)" ]
check "  ssm-proxy exit 0, sanitizer-clean" fx_runs 0
fx_done "3 service closes survived, silent agent ended in ${el}s (exit 4), service end exit 4, normal end exit 0"
