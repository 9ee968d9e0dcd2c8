#!/usr/bin/env bash
# What ssm-proxy leaves behind and lets others see of itself.
#
# 1. stdin's and stdout's file status flags: tunnel.c makes stdout
#    non-blocking, and the open file descriptions may be a terminal or pipe
#    that ssh or the shell shares.  The test holds the same descriptions
#    (the other ends of its pipes are separate ones) and reads their flags
#    after each way of ending: stdin EOF, SIGTERM, the service closing the
#    session with a reason (exit 4), and a stdin that came non-blocking.
# 2. No core dumps: RLIMIT_CORE 0 and not dumpable, so that no core file
#    and no other process of the same user (/proc/PID/environ, mem, smaps)
#    gets at credentials.  The release build (ASan sets RLIMIT_CORE 0 by
#    itself), run as nobody when the test runs as root, stopped in a TLS
#    handshake that never ends.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

# -- 1. file status flags ----------------------------------------------------
# Prints "MODE rc=N in=BEFORE/AFTER out=BEFORE/AFTER" (O_NONBLOCK 0 or 1).
flags_run() {	# mode
	/usr/bin/python3 - "$SSM_PROXY" "$EMU_TARGET" "$EMU_SSHD_PORT" "$1" \
	    "$T/flags-$1.err" "$IT_ROOT/tests/emulator/emuctl.py" "$EMU_DIR" \
	    <<'PY'
import fcntl, os, select, signal, subprocess, sys, time
px, target, port, mode, errpath, emuctl, emudir = sys.argv[1:]

def nb(fd):
    return 1 if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK else 0

in_r, in_w = os.pipe()
out_r, out_w = os.pipe()
if mode == "nonblocking-stdin":
    fcntl.fcntl(in_r, fcntl.F_SETFL,
                fcntl.fcntl(in_r, fcntl.F_GETFL) | os.O_NONBLOCK)
before = (nb(in_r), nb(out_w))
with open(errpath, "w") as err:
    p = subprocess.Popen([px, target, port], stdin=in_r, stdout=out_w,
                         stderr=err)
# in_r and out_w stay open here: the child's stdin and stdout descriptions.
got, deadline = b"", time.monotonic() + 30
while b"SSH-" not in got and time.monotonic() < deadline:
    if select.select([out_r], [], [], 1)[0]:
        got += os.read(out_r, 4096)
if b"SSH-" not in got:
    print("%s: no SSH banner on stdout" % mode)
    p.kill()
    sys.exit(1)
if mode == "sigterm":
    p.send_signal(signal.SIGTERM)
elif mode == "closed":
    subprocess.run([sys.executable, emuctl, emudir, "action",
                    '{"action": "channel_closed", "output": "gone"}'],
                   stdout=subprocess.DEVNULL, check=True)
else:
    os.close(in_w)
try:
    rc = p.wait(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    rc = "timeout"
print("%s rc=%s in=%d/%d out=%d/%d" % (mode, rc, before[0], nb(in_r),
                                       before[1], nb(out_w)))
PY
}

for m in "stdin-eof 0 0/0 0/0" "sigterm 143 0/0 0/0" "closed 4 0/0 0/0" \
    "nonblocking-stdin 0 1/1 0/0"; do
	set -- $m
	got=$(flags_run "$1")
	check "$1: exit $2, stdin O_NONBLOCK $3, stdout $4 (before/after)" \
	    same <(echo "$got") "$1 rc=$2 in=$3 out=$4"
	check "  sanitizer-clean" san_clean "$T/flags-$1.err"
done
check "  the service's reason, as exit 4 reports it" grep -q \
    "the service closed session .*: gone" "$T/flags-closed.err"

# -- 2. no core dumps ---------------------------------------------------------
REL=${SSM_PROXY_REL:-$IT_ROOT/ssm-proxy}
if [ "$(id -u)" = 0 ]; then
	AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
	AS=()
fi
# A TCP server that accepts and says nothing: ssm-proxy waits in TLS.
coproc HOLD { exec /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); print("accepted", flush=True)
time.sleep(120)
'; }
read -r -t 10 hport <&"${HOLD[0]}"
(
	ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -H -c)"
	exec "${AS[@]}" env -i PATH=/usr/bin:/bin HOME=/nonexistent AWS_CONFIG_FILE= \
	    AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret-in-env \
	    AWS_REGION=us-east-1 \
	    AWS_SHARED_CREDENTIALS_FILE= \
	    AWS_EC2_METADATA_DISABLED=true \
	    "$REL" --endpoint-url "https://127.0.0.1:$hport" \
	    i-0123456789abcdef0 </dev/null >/dev/null 2>"$T/core.err"
) &
pid=$!
read -r -t 30 acc <&"${HOLD[0]}"
check "ssm-proxy (release) connected and waits (pid $pid)" \
    [ "${acc:-}" = accepted ]
check "  RLIMIT_CORE 0, soft and hard, though started unlimited" \
    grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits"
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
check "  not dumpable: /proc/$pid/environ belongs to root, not to uid $uid" \
    [ "$(stat -c %u "/proc/$pid/environ")" = 0 -a "$uid" != 0 ]
check "  its own user cannot read /proc/$pid/environ" \
    eval '! "${AS[@]}" cat "/proc/$pid/environ" >/dev/null 2>&1'
kill -TERM "$pid"
wait "$pid"
check "  SIGTERM: exit 143" [ $? = 143 ]
kill "$HOLD_PID" 2>/dev/null
it_done "stdin/stdout flags restored on every end; no core, not dumpable"
