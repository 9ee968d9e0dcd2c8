# Shared setup of the fault-injection tests (sourced, bash), on top of
# lib.bash: one emulator per test file with its seeded fault knobs, the
# real OpenSSH clients, the sanitizer build of ssm-proxy.
#
#   . "$(dirname "$0")/faults.bash"
#   fx_start [emulator flags...]     it_start with the agent pause off and
#                                    the fault seed; SSHOPTS, DEST
#                                    (ssm-proxy flags: write $T/px.flags)
#   check "description" command...   count a pass or a failure
#   fx_scp up|down SIZE_MIB          scp a random file; sets $rc, $secs
#   fx_wait                          every ssm-proxy run has exited
#   fx_runs RC                       runs since the last fx_runs, each
#                                    exited RC, sanitizer-clean stderr
#   stat_of NAME                     counter of the latest session
#   resumes                          ResumeSession calls so far
#   fx_done "summary"                print the counts, "#> summary", exit
. "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

TMO=${FX_TIMEOUT:-55}		# seconds for one client command
SEED=${FAULT_SEED:-1}		# same seed, same faults

# A counter of the emulator's latest session.
stat_of() {
	emu_ctl get sessions | /usr/bin/python3 -c '
import json, sys
L = json.load(sys.stdin)
print(L[-1]["stats"].get(sys.argv[1], 0) if L else 0)
' "$1"
}

# ResumeSession calls the emulator answered so far: each a reconnect.
resumes() { grep -c '"api": "ResumeSession"' "$EMU_REQUEST_LOG"; }

fx_start() {	# emulator flags...
	echo "fault seed $SEED"
	it_start --no-agent-pause --set fault_seed="$SEED" "$@"
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

fx_wait() { px_wait; }

fx_runs() {	# expected exit status of every run since the last call
	local f n=0 bad=0
	px_wait || return 1
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

fx_done() { it_done "$@"; }

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
