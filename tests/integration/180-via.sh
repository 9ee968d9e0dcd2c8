#!/usr/bin/env bash
# --via: hosts behind a managed instance (the bastion), reached through
# AWS-StartPortForwardingSessionToRemoteHost and its multiplexed (smux)
# session, with no sshd or key on the bastion.  Two hosts behind one
# bastion (ssh, scp 64 MiB both ways, sftp), a host the bastion cannot
# reach (one line, exit 3), a websocket dropped under a transfer, and a
# reader that stalls (flow control through the stream).
. "$(dirname "$0")/faults.bash"
fx_start

# Usage errors: one line, exit 1, no API call.
usage_err() {	# expected-line args...
	local want=$1
	shift
	"$SSM_PROXY" "$@" </dev/null >"$T/u.out" 2>"$T/u.err"
	[ $? -eq 1 ] && [ ! -s "$T/u.out" ] && same "$T/u.err" "ssm-proxy: $want"
}
check "--via with --transport eice: usage error" usage_err \
    "--via cannot be combined with EC2 Instance Connect options or --transport" \
    --via "$EMU_TARGET" --transport eice db.internal 22
check "--via with a control character in HOST: usage error" usage_err \
    "invalid host for --via: expected 1 to 255 bytes of UTF-8 without control characters" \
    --via "$EMU_TARGET" "$(printf 'db\tx')" 22
check "--list with --via: usage error" usage_err \
    "--list cannot be combined with --via" --list --via "$EMU_TARGET"
check "  no API call made" logq '[e for e in L if e["kind"]=="api"] == []'

echo "--via $EMU_TARGET" >"$T/px.flags"
DEST=$EMU_SSH_USER@$EMU_VIA_HOST

# ssh to each host: which sshd answered is in its log (sshd2's banner).
"${SSH[@]}" "$EMU_SSH_USER@$EMU_VIA_HOST" 'printf "db:%s" "$((6*7))"' \
    </dev/null >"$T/o1" 2>"$T/e1"
rc=$?
check "ssh to $EMU_VIA_HOST via the bastion exits 0 (got $rc)" [ $rc -eq 0 ]
check "  output exactly 'db:42' ($(cat "$T/o1"))" [ "$(cat "$T/o1")" = db:42 ]
timeout "$TMO" ssh "${SSHOPTS[@]}" -v "$EMU_SSH_USER@$EMU_VIA_HOST2" \
    'printf app; exit 5' </dev/null >"$T/o2" 2>"$T/e2"
rc=$?
check "ssh to $EMU_VIA_HOST2: remote exit 5 (got $rc), output 'app'" \
    [ $rc -eq 5 ] && [ "$(cat "$T/o2")" = app ]
check "  answered by the second sshd (banner emu-sshd2)" \
    grep -q "remote software version.*emu-sshd2" "$T/e2"
check "  ssm-proxy exited 0 twice, sanitizer-clean" px_check 2
check "StartSession: the bastion, the remote-host document, host and port" \
    logq '[(e["target"], e["document"], e["host"], e["port"])
      for e in L if e["kind"]=="api" and e["api"]=="StartSession"
      and e["status"]==200] == [("'"$EMU_TARGET"'", "'"$EMU_REMOTE_HOST_DOC"'",
      "'"$EMU_VIA_HOST"'", "'"$EMU_SSHD_PORT"'"), ("'"$EMU_TARGET"'",
      "'"$EMU_REMOTE_HOST_DOC"'", "'"$EMU_VIA_HOST2"'", "'"$EMU_SSHD_PORT"'")]'
check "  both multiplexed, one smux stream each, ended by flag 2" \
    logq '[len([e for e in L if e.get("event")==k]) for k in (
      "mux_started", "smux_stream_open", "smux_stream_dialled")] == [2, 2, 2]
      and [e["value"] for e in L if e.get("event")=="flag"] == [2, 2]'

fx_transfer_test up 64
fx_transfer_test down 64

mkdir -p "$T/remote"
head -c 300000 /dev/urandom >"$T/remote/s.bin"
printf 'get %s %s\nls %s\n' "$T/remote/s.bin" "$T/s.got" "$T/remote" \
    >"$T/batch"
DEST2=$EMU_SSH_USER@$EMU_VIA_HOST2
timeout "$TMO" sftp -q "${SSHOPTS[@]}" -b "$T/batch" "$DEST2" \
    >"$T/sftp.out" 2>"$T/sftp.err"
rc=$?
check "sftp to $EMU_VIA_HOST2 exits 0 (got $rc)" [ $rc -eq 0 ]
check "  the file came back identical" [ "$(sha "$T/s.got")" = \
    "$(sha "$T/remote/s.bin")" ]
check "  ssm-proxy exited 0" fx_runs 0

# A host the bastion cannot reach: ConnectToPortError.
"${SSH[@]}" "$EMU_SSH_USER@$EMU_VIA_HOST_CLOSED" true </dev/null \
    >"$T/o3" 2>"$T/e3"
rc=$?
check "ssh to $EMU_VIA_HOST_CLOSED fails (ssh $rc)" [ $rc -eq 255 ]
px_wait
f=$(ls "$T"/px/*.rc)
check "  ssm-proxy exit 3 (got $(cat $f))" [ "$(cat $f)" = 3 ]
check "  its stderr is exactly the one line" same "${f%.rc}.err" \
    "ssm-proxy: the bastion $EMU_TARGET could not reach $EMU_VIA_HOST_CLOSED:$EMU_SSHD_PORT"
check "  the session was terminated" logq '[e for e in L
      if e["kind"]=="api" and e["api"]=="TerminateSession"][-1]["status"]==200'
mkdir -p "$T/px/done" && mv "$T"/px/*.rc "$T"/px/*.err "$T"/px/*.pid "$T/px/done/"

# The websocket dropped in the middle of a download: nothing lost.
r0=$(resumes)
emu_ctl config '{"reset": true, "agent_pause": false, "fault_seed": '"$SEED"', "drop_ws_every_bytes": 16777216}' >/dev/null
fx_transfer_test down 64 injected_ws_aborts 3
check "  3 or more ResumeSession calls (got $(($(resumes) - r0)))" \
    [ $(($(resumes) - r0)) -ge 3 ]
# Flow control through the stream (mux.h): a reader that stalls for 10 s
# under --keepalive 1 with 16 MiB pending loses nothing and is not taken
# for a dead peer; the bastion is given by its Name tag (web1).  stdin
# EOF then ends the session: FIN, the host closes, exit 0.
SIZE=$((16 * 1048576))
head -c $SIZE /dev/urandom >"$T/src.bin" || exit 1
coproc SRV { /usr/bin/python3 -c '
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.sendall(open(sys.argv[1], "rb").read())
while c.recv(65536):
    pass
' "$T/src.bin"; }
read -r -t 10 port <&"${SRV[0]}" || { echo "FAIL no server port"; exit 1; }
emu_ctl config '{"reset": true, "agent_pause": false, "host_map": {"slow.internal": '"$port"'}}' >/dev/null
r0=$(resumes)
timeout 150 /usr/bin/python3 - "$SSM_PROXY" $SIZE "$T/px/fc.err" \
    >"$T/harness.out" <<'PY'
import hashlib, subprocess, sys, time
proxy, size, err = sys.argv[1:4]
size = int(size)
p = subprocess.Popen([proxy, "--keepalive", "1", "--via", "web1",
                      "slow.internal", "5432"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=open(err, "wb"))
h = hashlib.sha256()
got = 0
while got < size:
    b = p.stdout.read1(1 << 20)
    if not b:
        break
    h.update(b)
    got += len(b)
    if got >= 1048576 and got - len(b) < 1048576:
        time.sleep(10)    # the reader stalls: stdout fills up
p.stdin.close()           # EOF: FIN, the host closes, the session ends
extra = len(p.stdout.read())
try:
    rc = p.wait(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    rc = "timeout"
print(got, h.hexdigest(), extra, rc)
PY
got= digest= extra= prc=
read -r got digest extra prc <"$T/harness.out"
check "--via web1 slow.internal: all $SIZE bytes through a 10 s stall" \
    [ "$got:$extra" = "$SIZE:0" ]
check "  SHA-256 equal" [ "$digest" = "$(sha "$T/src.bin")" ]
check "  ssm-proxy exit 0 (got $prc), stderr empty" \
    [ "$prc" = 0 ] && [ ! -s "$T/px/fc.err" ]
check "  no ResumeSession ($(($(resumes) - r0)))" [ "$(resumes)" -eq "$r0" ]
check "  StartSession for the id web1 names, host slow.internal, port 5432" \
    logq '[(e["target"], e["host"], e["port"]) for e in L
      if e["kind"]=="api" and e["api"]=="StartSession"][-1] ==
      ("'"$EMU_TARGET"'", "slow.internal", "5432")'
# smuxd reports the stream's end on its own, a moment later.
logq_wait() {
	local end=$((SECONDS + 10))
	until logq "$1" 2>/dev/null; do
		[ $SECONDS -lt $end ] || { logq "$1"; return 1; }
		sleep 0.1
	done
}
check "  the host saw our FIN: the stream closed both ways" \
    logq_wait '[e["bytes_down"] for e in L
      if e.get("event")=="smux_stream_closed"][-1] == '"$SIZE"

fx_done "--via: two hosts behind one bastion (ssh, scp 64 MiB both ways, sftp), unreachable host exit 3, ws drops lose nothing, a stalled reader"
