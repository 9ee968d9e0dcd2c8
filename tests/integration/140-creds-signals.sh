#!/usr/bin/env bash
# Signals while credentials are resolved (man page, SIGNALS): two runs at
# their MFA prompts at once (no cache lock is held across a prompt), each
# ended by SIGHUP within a second with status 0; a run waiting for the
# cache lock while another holds it across a slow AssumeRole, ended by
# SIGHUP within a second (status 0); the holder ended by SIGTERM in the
# middle of its STS call (status 143); then a busy lock once the tunnel
# is up: a refresh does not wait for it.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

creds_base_profile
SERIAL=arn:aws:iam::123456789012:mfa/tester
cat >"$AWS_CONFIG_FILE" <<EOC
[profile mfa]
role_arn = arn:aws:iam::123456789012:role/mfa
source_profile = base
mfa_serial = $SERIAL
[profile slow]
role_arn = arn:aws:iam::123456789012:role/slow
source_profile = base
EOC

# Run a command on a new pseudo-terminal (its controlling terminal, so
# /dev/tty is there), stdin and stdout /dev/null; its pid goes to
# OUT.pid, what the terminal shows to OUT; exit with the command's status.
cat >"$T/ptyrun.py" <<'PY'
import os, pty, sys
out, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    n = os.open("/dev/null", os.O_RDWR)
    os.dup2(n, 0)
    os.dup2(n, 1)
    os.execvp(argv[0], argv)
with open(out + ".pid.tmp", "w") as f:
    f.write("%d\n" % pid)
os.rename(out + ".pid.tmp", out + ".pid")
with open(out, "ab", buffering=0) as f:
    while True:
        try:
            d = os.read(fd, 4096)
        except OSError:
            break
        if not d:
            break
        f.write(d)
_, st = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(st) & 255)
PY
# Send SIG to PID and wait (pidfd, an event) at most SECS for it to end;
# print the milliseconds it took; status 1 if it did not end in time.
cat >"$T/siggone.py" <<'PY'
import os, select, signal, sys, time
sig, pid, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
fd = os.pidfd_open(pid)
t0 = time.monotonic()
os.kill(pid, getattr(signal, "SIG" + sig))
p = select.poll()
p.register(fd, select.POLLIN)
done = bool(p.poll(secs * 1000))
print(int((time.monotonic() - t0) * 1000))
sys.exit(0 if done else 1)
PY

# Wait (bounded) for a line matching an extended regex in a growing file.
wait_line() {	# file regex seconds
	grep -q -m1 -E "$2" < <(timeout "$3" tail -n +1 -F "$1" 2>/dev/null)
}
# Signal a process, check it ended within the time, then its status.
ends() {	# what signal pid seconds job-pid want-status
	local ms rc
	ms=$(/usr/bin/python3 "$T/siggone.py" "$2" "$3" "$4")
	rc=$?
	check "$1: SIG$2 ends it within $4 s ($ms ms)" [ "$rc" = 0 ]
	[ "$rc" = 0 ] || kill -KILL "$3" 2>/dev/null
	wait "$5"
	rc=$?
	check "  exit status $6 ($rc)" [ "$rc" = "$6" ]
}

# 1. Two runs at their MFA prompts at once, then SIGHUP to each.
for n in a b; do
	AWS_PROFILE=mfa /usr/bin/python3 "$T/ptyrun.py" "$T/mfa-$n.tty" \
	    "$SSM_PROXY" "$EMU_TARGET" 22 &
	eval "job_$n=\$!"
	check "MFA run $n prompts on its terminal" wait_line "$T/mfa-$n.tty" \
	    "Enter MFA code for $SERIAL: " 30
done
pa=$(cat "$T/mfa-a.tty.pid")
pb=$(cat "$T/mfa-b.tty.pid")
ends "MFA prompt (second run)" HUP "$pb" 1 "$job_b" 0
ends "MFA prompt (first run)" HUP "$pa" 1 "$job_a" 0
check "  no AssumeRole was made" logq \
    'not [e for e in L if e.get("api") == "AssumeRole"]'
check "  no sanitizer report" san_clean "$T"/mfa-*.tty

# 2. A slow AssumeRole: the first run holds the lock across it, the second
# waits for the lock.  SIGHUP ends the waiter, SIGTERM the holder.
emu_ctl config '{"sts_delay": 30}' >/dev/null
AWS_PROFILE=slow "$SSM_PROXY" -vvvv "$EMU_TARGET" 22 </dev/null >/dev/null \
    2>"$T/hold.err" &
hold=$!
check "holder: AssumeRole under way" wait_line "$T/hold.err" \
    'AssumeRole arn:aws:iam::123456789012:role/slow at ' 30
AWS_PROFILE=slow "$SSM_PROXY" -vvvv "$EMU_TARGET" 22 </dev/null >/dev/null \
    2>"$T/wait.err" &
waiter=$!
check "waiter: waits for the lock" wait_line "$T/wait.err" \
    'waiting for .*/\.aws/cli/cache/\.ssm-proxy-[0-9a-f]{40}\.lock' 30
ends "lock wait" HUP "$waiter" 1 "$waiter" 0
ends "STS call" TERM "$hold" 2 "$hold" 143
check "  no sanitizer report" san_clean "$T/hold.err" "$T/wait.err"
emu_ctl config '{"sts_delay": 0}' >/dev/null

# 3. The lock held by someone else and no MFA: SIGINT to the waiter.
lockf=$(ls "$HOME"/.aws/cli/cache/.ssm-proxy-*.lock)
exec 6>"$lockf"
flock -x 6
AWS_PROFILE=slow "$SSM_PROXY" -vvvv "$EMU_TARGET" 22 </dev/null >/dev/null \
    2>"$T/wait2.err" &
w2=$!
check "waiter on a lock held elsewhere" wait_line "$T/wait2.err" \
    'waiting for .*\.lock' 30
ends "lock wait" INT "$w2" 1 "$w2" 130

# 4. Once the tunnel is up a busy lock is a cache miss: role credentials
# of 200 s (in the refresh window) with the lock held by someone else;
# the emulator closes the websocket, ResumeSession needs new ones.
emu_ctl config '{"sts_lifetime": 200}' >/dev/null
mkfifo "$T/in" "$T/out"
exec 7<>"$T/out"
flock -u 6
ssh_with -v
AWS_PROFILE=slow "${SSHX[@]}" "$DEST" 'echo started; read x; echo "got $x"' \
    <"$T/in" >"$T/out" 2>"$T/e4" &
sshpid=$!
exec 8>"$T/in"
read -r -t 60 l1 <&7
check "refresh with a busy lock: session up ($l1)" [ "$l1" = started ]
flock -x 6
emu_ctl action '{"action": "close_ws"}' >/dev/null
echo after-resume >&8
read -r -t 60 l2 <&7
exec 8>&-
wait "$sshpid"
exec 7<&- 6>&-
check "  data after the resume ($l2)" [ "$l2" = "got after-resume" ]
check "  -v: the busy lock was a cache miss" grep -qE \
    "credential cache not used: $HOME/.aws/cli/cache/\\.ssm-proxy-[0-9a-f]{40}\\.lock is busy\$" \
    "$T"/px/*.err
check "  the refresh made its own AssumeRole instead of waiting" logq \
    '(lambda s, r, k: r != s and r in k)(
     [e["access_key"] for e in L if e.get("api") == "StartSession"][-1],
     [e["access_key"] for e in L if e.get("api") == "ResumeSession"][-1],
     [e.get("issued_access_key") for e in L if e.get("api") ==
      "AssumeRole" and e["role_arn"].endswith("/slow")])'
check "  one ssm-proxy run exits 0" px_check 1
it_done "signals at the MFA prompt, in a lock wait, in an STS call; refresh with a busy lock"
