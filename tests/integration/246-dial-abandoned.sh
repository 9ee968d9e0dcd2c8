#!/usr/bin/env bash
# ssh gives up while the data channel is still being dialled: the
# StreamUrl points at a listener that accepts and never answers, so the
# websocket is stuck in its TLS handshake when a signal arrives: SIGHUP
# (what ssh sends its ProxyCommand when it is done) or SIGTERM.
# ssm-proxy must end as documented (not abort in libwebsockets, which
# asserts on a close reason for a connection that is not yet a
# websocket) and call TerminateSession, since there is no channel to
# carry the flag.  (EOF on stdin before the channel is open is not an
# end: ssm-proxy opens the channel, then ends it.)
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

/usr/bin/python3 - "$T/stall" <<'PY' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
with open(sys.argv[1] + ".port.tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".port.tmp", sys.argv[1] + ".port")
held = []
while True:
    c, _ = s.accept()
    held.append(c)
    with open(sys.argv[1] + ".accepted", "a") as f:
        f.write("x\n")
PY
stall_pid=$!
for _ in $(seq 100); do [ -s "$T/stall.port" ] && break; sleep 0.1; done
emu_ctl config '{"stream_url_port": '"$(cat "$T/stall.port")"'}' \
    >/dev/null || exit 1

accepted() { [ -f "$T/stall.accepted" ] && wc -l <"$T/stall.accepted" || echo 0; }

run_end() {	# signal expected-exit-status
	local how=$1 want=$2 before pid rc sid i
	before=$(accepted)
	rm -f "$T/in.$how"
	mkfifo "$T/in.$how" || return 1
	"$SSM_PROXY" -v "$EMU_TARGET" "$EMU_SSHD_PORT" <"$T/in.$how" \
	    >"$T/out.$how" 2>"$T/err.$how" &
	pid=$!
	exec 3>"$T/in.$how"
	# wait on the event: the listener accepted our TCP connection
	for i in $(seq 200); do
		[ "$(accepted)" -gt "$before" ] && break
		sleep 0.05
	done
	check "$how: dialling the StreamUrl (connection accepted)" \
	    [ "$(accepted)" -gt "$before" ]
	kill -"$how" "$pid"
	exec 3>&-
	timeout "$TMO" tail --pid="$pid" -f /dev/null
	wait "$pid"
	rc=$?
	check "$how during the TLS handshake: exit status $want (got $rc)" \
	    [ "$rc" -eq "$want" ]
	check "  no libwebsockets assertion" \
	    absent -e Assertion -e 'Aborted' "$T/err.$how"
	check "  nothing on stdout" [ ! -s "$T/out.$how" ]
	sid=$(sed -n 's/^ssm-proxy: started session \([^ ]*\) .*/\1/p' \
	    "$T/err.$how" | head -n 1)
	check "  session $sid terminated" logq \
	    '[e for e in L if e["kind"]=="api" and e["api"]=="TerminateSession"
	      and e.get("session_id")=="'"$sid"'" and e["status"]==200]'
}

run_end TERM 143
run_end HUP 0
kill "$stall_pid" 2>/dev/null
wait "$stall_pid" 2>/dev/null
it_done "ssh gave up mid-dial: TERM 143, HUP 0, sessions terminated"
