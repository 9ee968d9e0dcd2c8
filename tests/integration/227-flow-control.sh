#!/usr/bin/env bash
# Flow control is not a dead peer (protocol/PROTOCOL.md "Keepalive").
# ssm-proxy is run directly,
# stdin and stdout on pipes of a small harness, with --keepalive 1 (a
# dead peer is given up after 3 s of silence); the "instance" is a TCP
# server that sends 16 MiB at once.  The harness reads 1 MiB, then stops
# reading for 10 s, more than 3 times that timeout, while far more than
# ssm-proxy's stdout buffer and reorder window (4 MiB each) is pending,
# so ssm-proxy stops reading the websocket.  Then it reads the rest.  No
# reconnect may happen (no ResumeSession) and every byte must arrive
# (SHA-256); stdin EOF then ends the session normally.
. "$(dirname "$0")/faults.bash"
fx_start

SIZE=$((16 * 1048576))
head -c $SIZE /dev/urandom >"$T/src.bin" || exit 1
# The instance's port: one connection, the file, then wait for EOF.
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

timeout 150 /usr/bin/python3 - "$SSM_PROXY" "$EMU_TARGET" "$port" $SIZE \
    "$T/px/fc.err" >"$T/harness.out" <<'PY'
import hashlib, subprocess, sys, time
proxy, target, port, size, err = sys.argv[1:6]
size = int(size)
p = subprocess.Popen([proxy, "--keepalive", "1", target, port],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=open(err, "wb"))
h = hashlib.sha256()
got = 0
while got < 1048576:
    b = p.stdout.read1(1048576 - got)
    if not b:
        break
    h.update(b)
    got += len(b)
time.sleep(10)            # the reader stalls: stdout fills up
while got < size:
    b = p.stdout.read1(1 << 20)
    if not b:
        break
    h.update(b)
    got += len(b)
p.stdin.close()           # EOF: the session ends
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
check "all $SIZE bytes arrived (got $got, then $extra more)" \
    [ "$got:$extra" = "$SIZE:0" ]
check "  SHA-256 equal" [ "$digest" = "$(sha "$T/src.bin")" ]
check "  ssm-proxy exit 0 (got $prc)" [ "$prc" = 0 ]
check "  stderr empty" [ ! -s "$T/px/fc.err" ]
check "  no ResumeSession: the stall was not taken for a dead peer ($(resumes))" \
    [ "$(resumes)" -eq 0 ]
check "  one OpenDataChannel" logq \
    '[e["result"] for e in L if e["kind"]=="open_data_channel"] == ["ok"]'
out=$(stat_of output_bytes)
check "  the agent sent all $SIZE bytes ($out)" [ "$out" -eq $SIZE ]
fx_done "stdout stalled 10 s under --keepalive 1 with 15 MiB pending: no reconnect, SHA-256 equal"
