#!/usr/bin/env bash
# --via --share: one session behind the bastion for many connections to
# one host.  20 sequential and 10 concurrent ssh connections cause one
# StartSession; a second host gets its own master and session; another
# uid cannot use the socket; SIGTERM ends a master cleanly, and so does
# the idle time (TerminateSession, process and socket gone).
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

usage_err() {	# expected-line args...
	local want=$1
	shift
	"$SSM_PROXY" "$@" </dev/null >"$T/u.out" 2>"$T/u.err"
	[ $? -eq 1 ] && [ ! -s "$T/u.out" ] && same "$T/u.err" "ssm-proxy: $want"
}
check "--share without --via: usage error" usage_err \
    "--share needs --via" --share "$EMU_TARGET"
check "--share-idle without --share: usage error" usage_err \
    "--share-idle needs --share" --via "$EMU_TARGET" --share-idle 5 db 22
check "--share-idle 0: usage error" usage_err \
    'invalid --share-idle "0": expected 1 to 86400 seconds' \
    --via "$EMU_TARGET" --share --share-idle 0 db 22

export XDG_RUNTIME_DIR=$T/xdg
mkdir -m 0700 "$XDG_RUNTIME_DIR"
D=$XDG_RUNTIME_DIR/ssm-proxy

# until DEADLINE-SECONDS command...: poll an event, with a deadline.
until_ok() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}
gone() { ! kill -0 "$1" 2>/dev/null; }
starts() {	# host -> number of StartSession calls for it
	/usr/bin/python3 - "$EMU_REQUEST_LOG" "$1" <<'PY'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
print(len([e for e in L if e["kind"] == "api" and e["api"] == "StartSession"
           and e.get("host") == sys.argv[2]]))
PY
}
count() {	# python condition on e -> number of log records
	/usr/bin/python3 - "$EMU_REQUEST_LOG" "$1" <<'PY'
import json, sys
print(len([e for e in map(json.loads, open(sys.argv[1]))
           if eval(sys.argv[2])]))
PY
}
terminated() {	# n: TerminateSession answered n times
	[ "$(count 'e["kind"]=="api" and e["api"]=="TerminateSession" and e["status"]==200')" = "$1" ]
}
master_of() {	# host -> the master's pid, from its -v log
	sed -n "s/^ssm-proxy: master \([0-9]*\) on .* for $1:.*/\1/p" \
	    "$D"/*.log 2>/dev/null
}

echo "-v --via $EMU_TARGET --share --share-idle 60" >"$T/px.flags"
H1=$EMU_SSH_USER@$EMU_VIA_HOST
ok_out=0
for i in $(seq 1 20); do
	"${SSH[@]}" "$H1" "printf 'seq%s:%s' $i \$(($i * 3))" </dev/null \
	    >"$T/s$i.out" 2>"$T/s$i.err" &&
	    [ "$(cat "$T/s$i.out")" = "seq$i:$((i * 3))" ] && ok_out=$((ok_out + 1))
done
check "20 sequential ssh to $EMU_VIA_HOST: exit 0, exact output ($ok_out)" \
    [ $ok_out -eq 20 ]
pids=()
for i in $(seq 1 10); do
	"${SSH[@]}" "$H1" "sleep 1; printf 'con%s' $i" </dev/null \
	    >"$T/c$i.out" 2>"$T/c$i.err" &
	pids+=($!)
done
wait "${pids[@]}"
ok_out=0
for i in $(seq 1 10); do
	[ "$(cat "$T/c$i.out")" = "con$i" ] && ok_out=$((ok_out + 1))
done
check "10 concurrent ssh: exact output ($ok_out)" [ $ok_out -eq 10 ]
check "  ssm-proxy exited 0 thirty times, sanitizer-clean" px_check 30
check "  one StartSession for $EMU_VIA_HOST (got $(starts "$EMU_VIA_HOST"))" \
    [ "$(starts "$EMU_VIA_HOST")" = 1 ]
check "  thirty smux streams opened" \
    [ "$(count 'e.get("event")=="smux_stream_open"')" = 30 ]
M1=$(master_of "$EMU_VIA_HOST")
S1=$(ls "$D"/*.sock)
check "  one master ($M1), alive, its socket mode 600" \
    [ -n "$M1" ] && kill -0 "$M1" && [ "$(stat -c %a "$S1")" = 600 ]

# Another uid: the socket where it can reach it, still refused.
chmod 0755 "$T" "$XDG_RUNTIME_DIR" "$D" && chmod 0666 "$S1"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
    /usr/bin/python3 - "$S1" >"$T/nobody.out" 2>&1 <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(sys.argv[1])
print("connected")
got = b""
try:
    s.sendall(b"SSH-2.0-probe\r\n")
    while True:
        d = s.recv(4096)
        if not d:
            break
        got += d
except (BrokenPipeError, ConnectionResetError):
    pass    # closed by the master before or while we wrote
print("received %d bytes" % len(got))
PY
chmod 0700 "$T" "$XDG_RUNTIME_DIR" "$D"
chmod 0600 "$S1"
check "uid nobody connects but gets nothing: closed at once" \
    same "$T/nobody.out" "connected
received 0 bytes"
check "  no stream opened for it" \
    [ "$(count 'e.get("event")=="smux_stream_open"')" = 30 ]
check "  the master's -v log says so" \
    grep -qx "ssm-proxy: refused a connection from uid $(id -u nobody)" \
    "$D"/*.log

# SIGTERM ends the first master cleanly.
check "  no TerminateSession yet" terminated 0
kill -TERM "$M1"
check "SIGTERM: master $M1 gone" until_ok 30 gone "$M1"
check "  its socket gone" [ ! -e "$S1" ]
check "  TerminateSession called once" until_ok 10 terminated 1
check "  its log says why" grep -qx "ssm-proxy: signal 15: ending" \
    "$D"/*.log

# A second host: a master and a session of its own, with a short idle.
echo "-v --via $EMU_TARGET --share --share-idle 2" >"$T/px.flags"
"${SSH[@]}" "$EMU_SSH_USER@$EMU_VIA_HOST2" 'printf app' </dev/null \
    >"$T/h2.out" 2>"$T/h2.err"
rc=$?
check "ssh to $EMU_VIA_HOST2 with --share: exit $rc, output 'app'" \
    [ $rc -eq 0 ] && [ "$(cat "$T/h2.out")" = app ]
check "  ssm-proxy exited 0" px_check 1
M2=$(master_of "$EMU_VIA_HOST2")
check "  its own StartSession and master ($M2, not $M1)" \
    [ "$(starts "$EMU_VIA_HOST2")" = 1 ] && [ -n "$M2" ] && [ "$M2" != "$M1" ]

# The idle time ends the second one.
check "idle 2 s: master $M2 gone" until_ok 30 gone "$M2"
check "  no socket left" [ -z "$(ls "$D"/*.sock 2>/dev/null)" ]
check "  TerminateSession called twice" until_ok 10 terminated 2
check "  its log says why" grep -qx "ssm-proxy: no stream for 2 s: ending" \
    "$D"/*.log
check "  both sessions ended by the TerminateSession flag" \
    [ "$(count 'e.get("event")=="flag" and e.get("value")==2')" = 2 ]

for p in $M1 $M2; do kill -TERM "$p" 2>/dev/null; done
it_done "--via --share: one session, many connections"
