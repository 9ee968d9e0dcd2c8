#!/usr/bin/env bash
# Signals: SIGTERM and SIGINT end a live session through TerminateSession
# and exit 128+N; SIGHUP (what ssh sends its ProxyCommand when it is done)
# is the normal end, exit 0, session terminated too.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

n_term() {	# number of TerminateSession calls for session $1
	/usr/bin/python3 - "$EMU_REQUEST_LOG" "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("kind") == "api" and e.get("api") == "TerminateSession" \
            and e.get("session_id") == sys.argv[2] and e.get("status") == 200:
        n += 1
print(n)
PY
}

run_signal() {	# signal, expected exit status
	local sig=$1 want=$2 rc line sid
	rm -f "$T/in.$sig" "$T/out.$sig"
	mkfifo "$T/in.$sig" "$T/out.$sig" || return 1
	"$SSM_PROXY" -v "$EMU_TARGET" "$EMU_SSHD_PORT" <"$T/in.$sig" \
	    >"$T/out.$sig" 2>"$T/err.$sig" &
	local pid=$!
	exec 3>"$T/in.$sig"
	exec 4<"$T/out.$sig"
	# The session is open once sshd's banner comes through.
	IFS= read -r -t "$TMO" -u 4 line
	check "SIG$sig: session open (banner seen)" \
	    [ "${line#SSH-2.0-}" != "$line" ]
	kill -"$sig" "$pid"
	timeout "$TMO" cat <&4 >/dev/null
	wait "$pid"
	rc=$?
	exec 3>&- 4<&-
	check "SIG$sig: exit status $want (got $rc)" [ "$rc" -eq "$want" ]
	sid=$(sed -n 's/^ssm-proxy: started session \([^ ]*\) .*/\1/p' \
	    "$T/err.$sig")
	check "SIG$sig: TerminateSession called for $sid" \
	    [ -n "$sid" ] && [ "$(n_term "$sid")" -ge 1 ]
	check "SIG$sig: sanitizer-clean stderr" san_clean "$T/err.$sig"
	if [ "$sig" != HUP ]; then
		check "SIG$sig: one line says why" \
		    grep -q "^ssm-proxy: terminating session $sid on signal" \
		    "$T/err.$sig"
	fi
}

run_signal TERM 143
run_signal INT 130
run_signal HUP 0
it_done "signals: TERM 143, INT 130, HUP 0, each session terminated"
