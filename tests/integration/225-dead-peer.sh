#!/usr/bin/env bash
# A dead peer: after ~4 MiB of a 16 MiB scp, down and then up, the
# websocket goes silent at the TCP level (the emulator's
# freeze_ws_after_bytes: no data, no pong, no close, no FIN, no RST) while
# the HTTPS API still answers.  With
# --keepalive 1 lws pings after 1 s of silence and hangs up after 3 s with
# nothing received; ssm-proxy then resumes the session (ResumeSession, a
# second OpenDataChannel) and the transfer completes intact.  Control: with
# --keepalive 3600 the same freeze is never noticed by the ping rule, and
# --progress-timeout 5 ends the session (exit 4, one line): so it was the
# ping rule that recovered the first transfer.
. "$(dirname "$0")/faults.bash"
fx_start

FREEZE=4194304

# Seconds from the freeze to the next ResumeSession, from the request log
# (both logged with the real clock, ms).
detect_secs() {
	/usr/bin/python3 - "$EMU_REQUEST_LOG" <<'PY'
import datetime, json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.endswith("\n")]
ts = lambda e: datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
f = [e for e in L if e.get("event") == "injected_ws_freeze"]
r = [e for e in L if e.get("api") == "ResumeSession" and f and
     ts(e) >= ts(f[-1])]
print("%.1f" % (ts(r[0]) - ts(f[-1])).total_seconds() if r else "none")
PY
}

# 1. --keepalive 1: the ping rule notices the dead peer and resumes, in
#    either direction (frozen after 4 MiB out, or 4 MiB in).
echo "--keepalive 1" >"$T/px.flags"
dead_peer() {	# down|up -> d (seconds to notice), sets secs
	local r0 sid n
	n=$([ "$1" = down ] && echo output_bytes || echo input_bytes)
	r0=$(resumes)
	emu_ctl config '{"reset": true, "agent_pause": false, "fault_seed": '"$SEED"', "freeze_ws_after_bytes": '$FREEZE'}' >/dev/null ||
	    { echo "FAIL emulator config"; exit 1; }
	fx_transfer_test "$1" 16 injected_ws_freezes 1
	sid=$(emu_ctl get sessions | /usr/bin/python3 -c \
	    'import json,sys; print(json.load(sys.stdin)[-1]["session_id"])')
	check "  done within 30 s (took ${secs}s)" [ "$secs" -le 30 ]
	check "  exactly one ResumeSession (got $(($(resumes) - r0)))" \
	    [ $(($(resumes) - r0)) -eq 1 ]
	check "  two OpenDataChannel for the session, both accepted" logq \
	    '[e["result"] for e in L if e["kind"]=="open_data_channel" and
	      e["session_id"]=="'"$sid"'"]==["ok"]*2'
	check "  frozen once, after 4 MiB $n" logq \
	    '[e["'$n'"] >= '$FREEZE' for e in L
	      if e.get("event")=="injected_ws_freeze" and
	      e["session_id"]=="'"$sid"'"]==[True]'
	d=$(detect_secs)
	check "  dead websocket noticed 2 to 6 s after the freeze (${d}s)" \
	    /usr/bin/python3 -c \
	    'import sys; sys.exit(not 2 <= float(sys.argv[1]) <= 6)' "$d"
	check "  the session ended normally" logq \
	    '[e["reason"] in ("TerminateSession flag",
	      "target closed the connection") for e in L
	      if e.get("event")=="closed" and
	      e["session_id"]=="'"$sid"'"]==[True]'
}
dead_peer down
kd=$secs dd=$d
dead_peer up
ku=$secs du=$d

# 2. Control: --keepalive 3600, same freeze; only --progress-timeout 5
#    ends it.
emu_ctl config '{"reset": true, "agent_pause": false, "fault_seed": '"$SEED"', "freeze_ws_after_bytes": '$FREEZE'}' >/dev/null ||
	    { echo "FAIL emulator config"; exit 1; }
echo "--keepalive 3600 --progress-timeout 5" >"$T/px.flags"
r0=$(resumes)
fx_scp down 16
fx_wait
rcf=$(ls "$T"/px/*.rc)
check "control: scp fails (got $rc, ${secs}s)" [ "$rc" -ne 0 ]
check "  within 5 s + 10 s (took ${secs}s)" [ "$secs" -le 15 ]
check "  ssm-proxy exits 4 (got $(cat "$rcf"))" [ "$(cat "$rcf")" = 4 ]
check "  one line on stderr" [ "$(cat "${rcf%.rc}.err")" = \
    "ssm-proxy: the agent acknowledged nothing for 5 s (--progress-timeout): giving up" ]
check "  no ResumeSession (got $(($(resumes) - r0)))" [ "$(resumes)" -eq "$r0" ]
check "  the emulator froze the websocket: $(stat_of injected_ws_freezes)" \
    [ "$(stat_of injected_ws_freezes)" -eq 1 ]
check "  TerminateSession ended the session" logq \
    '[e for e in L if e.get("event")=="closed"][-1]["reason"]==
     "TerminateSession API"'
check "  no ssm-proxy left" eval '! kill -0 "$(cat "${rcf%.rc}.pid")" 2>/dev/null'
check "  sanitizer-clean" san_clean "$T"/px/*.err
mkdir -p "$T/px/done"; mv "$T"/px/*.rc "$T"/px/*.err "$T"/px/*.pid "$T/px/done/"
fx_done "16 MiB, ws frozen after 4 MiB, --keepalive 1: down resumed after ${dd}s, done in ${kd}s, up ${du}s/${ku}s; --keepalive 3600 exit 4 by --progress-timeout in ${secs}s"
