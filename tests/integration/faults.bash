# Shared setup of the fault-injection tests (sourced, bash): one emulator
# per test file with seeded fault knobs, the real OpenSSH clients, the
# sanitizer build of ssm-proxy.  Same approach as lib.bash (ssh does not
# wait for its ProxyCommand, so a wrapper records each run's stderr and exit
# status and holds a shared flock that fx_wait takes exclusively).
#
#   . "$(dirname "$0")/faults.bash"
#   fx_start [emulator flags...]     temp dir $T, emulator, SSHOPTS, DEST
#                                    (ssm-proxy flags: write $T/px.flags)
#   check "description" command...   count a pass or a failure
#   fx_scp up|down SIZE_MIB          scp a random file; sets $rc, $secs
#   fx_wait                          every ssm-proxy run has exited
#   fx_runs RC                       runs since the last fx_runs, each
#                                    exited RC, sanitizer-clean stderr
#   stat_of NAME                     counter of the latest session
#   fx_done "summary"                print the counts, "#> summary", exit
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
. tests/emulator/lib.sh

SSM_PROXY=${SSM_PROXY:-$(pwd)/build/san/ssm-proxy}
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1:exitcode=87"
TMO=${FX_TIMEOUT:-55}		# seconds for one client command
SEED=${FAULT_SEED:-1}		# same seed, same faults
T=
fx_pass=0
fx_fail=0

check() {	# description command...
	local d=$1
	shift
	if "$@"; then fx_pass=$((fx_pass + 1)); echo "ok   $d"
	else fx_fail=$((fx_fail + 1)); echo "FAIL $d"; fi
}

sha() { sha256sum <"$1" | cut -d' ' -f1; }

san_clean() {
	if grep -l -E 'Sanitizer|runtime error' "$@" 2>/dev/null; then
		grep -h -A 20 -E 'Sanitizer|runtime error' "$@" | head -n 60
		return 1
	fi
	return 0
}

# logq 'python expression over L, the request log records'
logq() {
	/usr/bin/python3 - "$EMU_REQUEST_LOG" "$1" <<'PY'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
r = eval("(" + sys.argv[2] + "\n)")
if not r:
    sys.stderr.write("log assertion false: %s\n" % sys.argv[2])
sys.exit(0 if r else 1)
PY
}

# A counter of the emulator's latest session.
stat_of() {
	emu_ctl get sessions | /usr/bin/python3 -c '
import json, sys
L = json.load(sys.stdin)
print(L[-1]["stats"].get(sys.argv[1], 0) if L else 0)
' "$1"
}

fx_cleanup() {
	local f p left=0
	trap - EXIT
	if [ -n "$T" ] && [ -d "$T/px" ]; then
		for f in "$T"/px/*.pid "$T"/px/done/*.pid; do
			[ -f "$f" ] || continue
			p=$(cat "$f")
			if [ -n "$p" ] && grep -qa ssm-proxy "/proc/$p/cmdline" \
			    2>/dev/null; then
				echo "FAIL ssm-proxy $p still running at exit: killed"
				kill -KILL "$p" 2>/dev/null
				left=1
			fi
		done
	fi
	[ $left -eq 0 ] || fx_fail=$((fx_fail + 1))
	if [ -n "$T" ] && { [ "$fx_fail" -ne 0 ] || [ -n "${KEEP:-}" ]; } &&
	    [ -d "$T/emu" ]; then
		echo "--- sessions"; emu_ctl get sessions 2>/dev/null | head -c 3000
		echo "--- emulator.log (tail)"
		tail -n 12 "$T/emu/emulator.log" 2>/dev/null
		for f in "$T"/px/*.err "$T"/px/done/*.err; do
			[ -s "$f" ] || continue
			echo "--- $f (tail)"; tail -n 8 "$f"
		done
	fi
	emu_stop
	if [ -n "$T" ]; then
		if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
	fi
}

fx_start() {	# emulator flags...
	if [ ! -x "$SSM_PROXY" ]; then
		echo "FATAL: $SSM_PROXY not built (make tests)"; exit 1
	fi
	emu_require || exit 1
	T=$(mktemp -d /tmp/ssm-faults.XXXXXX) || exit 1
	trap fx_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	mkdir -p "$T/emu" "$T/px" && : >"$T/px.lock" || exit 1
	emu_start "$T/emu" --no-agent-pause --set fault_seed="$SEED" "$@" ||
	    { echo "FAIL emulator start"; exit 1; }
	PXWRAP=$T/ssm-proxy-wrap
	cat >"$PXWRAP" <<EOF
#!/bin/bash
# ProxyCommand wrapper: run ssm-proxy, record its stderr and exit status.
exec 9<"$T/px.lock"
flock -s 9 || exit 99
id=\$\$
"$SSM_PROXY" \$(cat "$T/px.flags" 2>/dev/null) "\$@" <&0 2>"$T/px/\$id.err" &
pid=\$!
echo "\$pid" >"$T/px/\$id.pid"
trap 'kill -HUP \$pid 2>/dev/null' HUP
trap 'kill -TERM \$pid 2>/dev/null' TERM
while :; do
	wait "\$pid"
	rc=\$?
	[ "\$rc" -le 128 ] && break
	kill -0 "\$pid" 2>/dev/null && continue
	wait "\$pid"
	rc=\$?
	break
done
echo "\$rc" >"$T/px/\$id.rc.tmp" && mv "$T/px/\$id.rc.tmp" "$T/px/\$id.rc"
EOF
	chmod +x "$PXWRAP"
	SSHOPTS=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes
	    -o UserKnownHostsFile="$EMU_KNOWN_HOSTS"
	    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes
	    -o LogLevel=ERROR -o ConnectTimeout=30 -i "$EMU_SSH_KEY"
	    -o Port="$EMU_SSHD_PORT" -o ProxyCommand="$PXWRAP %h %p")
	DEST=$EMU_SSH_USER@$EMU_TARGET
	echo "emulator $EMU_PID (seed $SEED): api $EMU_API_PORT" \
	    "ws $EMU_WS_PORT sshd $EMU_SSHD_PORT; temp $T"
}

# scp a fresh random file of SIZE MiB up to the "instance" or down from it
# and compare SHA-256; sets rc (scp's status), secs, same (1 if identical).
fx_scp() {	# up|down size-mib
	local src=$T/src.bin dst
	head -c $(($2 * 1024 * 1024)) /dev/urandom >"$src" || exit 1
	mkdir -p "$T/remote"
	rm -f "$T/remote/f.bin" "$T/dst.bin"
	local t0=$SECONDS
	if [ "$1" = up ]; then
		dst=$T/remote/f.bin
		timeout "$TMO" scp -q "${SSHOPTS[@]}" "$src" "$DEST:$dst" \
		    </dev/null 2>"$T/scp.err"
	else
		cp "$src" "$T/remote/f.bin"
		dst=$T/dst.bin
		timeout "$TMO" scp -q "${SSHOPTS[@]}" "$DEST:$T/remote/f.bin" \
		    "$dst" </dev/null 2>"$T/scp.err"
	fi
	rc=$?
	secs=$((SECONDS - t0))
	same=0
	[ -f "$dst" ] && [ "$(sha "$dst")" = "$(sha "$src")" ] && same=1
	[ $rc -eq 0 ] || { echo "  scp exited $rc:"; tail -n 5 "$T/scp.err"; }
}

fx_wait() {
	timeout "$TMO" flock -x "$T/px.lock" true && return 0
	echo "ssm-proxy still running after ${TMO}s"
	return 1
}

fx_runs() {	# expected exit status of every run since the last call
	local f n=0 bad=0
	fx_wait || return 1
	for f in "$T"/px/*.rc; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		if [ "$(cat "$f")" != "$1" ]; then
			echo "  ssm-proxy run $(basename "$f" .rc) exited" \
			    "$(cat "$f"), expected $1"
			tail -n 5 "${f%.rc}.err"
			bad=1
		fi
	done
	[ "$n" -ge 1 ] || { echo "  no ssm-proxy run recorded"; bad=1; }
	san_clean "$T"/px/*.err || bad=1
	mkdir -p "$T/px/done"
	mv "$T"/px/*.rc "$T"/px/*.err "$T"/px/*.pid "$T/px/done/" 2>/dev/null
	return $bad
}

fx_done() {	# summary
	echo "$fx_pass passed, $fx_fail failed"
	if [ "$fx_fail" -eq 0 ] && [ "$fx_pass" -gt 0 ]; then
		echo "#> $1 ($fx_pass checks, ${SECONDS}s)"
		exit 0
	fi
	exit 1
}

# The common shape of a fault test: a 64 MiB (or SIZE) scp in DIRECTION,
# identical SHA-256, ssm-proxy exits 0, the emulator injected the fault.
fx_transfer_test() {	# direction size-mib counter min-count
	fx_scp "$1" "$2"
	check "scp $1 $2 MiB exits 0 (got $rc, ${secs}s)" [ "$rc" -eq 0 ]
	check "  SHA-256 identical" [ "$same" -eq 1 ]
	check "  ssm-proxy exited 0, sanitizer-clean" fx_runs 0
	if [ -n "${3:-}" ]; then
		local got
		got=$(stat_of "$3")
		check "  emulator injected $3: $got (>= $4)" [ "$got" -ge "$4" ]
	fi
}
