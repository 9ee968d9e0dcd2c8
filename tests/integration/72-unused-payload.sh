#!/usr/bin/env bash
# Stream data of a PayloadType a port session does not use (11, StdErr) is
# acknowledged and dropped; at -vv one line says so, and nothing of it
# reaches stdout.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

ssh_with "-vv"
"${SSHX[@]}" "$DEST" "touch $T/started; until [ -e $T/go ]; do sleep 0.05;
    done; echo after" </dev/null >"$T/out" 2>/dev/null &
ssh_pid=$!
# The remote command runs: the session is open.
for _ in $(seq 1 $((TMO * 20))); do
	[ -e "$T/started" ] && break
	kill -0 "$ssh_pid" 2>/dev/null || break
	sleep 0.05
done
check "the remote command started" [ -e "$T/started" ]
emu_ctl action '{"action": "send_stream", "payload_type": 11,
    "output": "not for stdout"}' >/dev/null
touch "$T/go"
wait "$ssh_pid"
check "ssh exits 0, stdout is the command's alone" same "$T/out" after
px_wait
check "  -vv: one line for the dropped message" \
    [ "$(grep -c 'stream data of PayloadType' "$T"/px/*.err)" = 1 ]
check "  naming its size, type and sequence number" grep -Eq \
    '^ssm-proxy: dropped 14 bytes of stream data of PayloadType 11 \(sequence [0-9]+\): a port session does not use it$' \
    "$T"/px/*.err
check "  exit 0, sanitizer-clean" px_check 1
it_done "unused PayloadType: dropped, named at -vv"
