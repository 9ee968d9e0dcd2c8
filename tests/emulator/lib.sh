# Shell helpers for tests that use the emulator.  Source it (bash):
#
#   . tests/emulator/lib.sh
#   emu_require                   fail loudly if sshd/ssh/websockets missing
#   emu_start DIR [options...]    start emulator.py on DIR, wait (bounded)
#                                 for its ready line, source DIR/env.sh
#   emu_ctl ARGS...               tests/emulator/emuctl.py DIR ARGS...
#   emu_stop                      SIGTERM, bounded wait, SIGKILL if needed
#
# The emulator watches this shell ($$) and exits when it dies.

EMU_PY=/usr/bin/python3
EMU_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EMU_PID=
EMU_STATE=

emu_require() {
	local ok=0
	[ -x /usr/sbin/sshd ] || { echo "FATAL: /usr/sbin/sshd missing" \
	    "(openssh-server; run make deps)" >&2; ok=1; }
	command -v ssh >/dev/null || { echo "FATAL: ssh missing" \
	    "(openssh-client)" >&2; ok=1; }
	command -v openssl >/dev/null || { echo "FATAL: openssl missing" >&2
	    ok=1; }
	"$EMU_PY" -c 'import websockets' 2>/dev/null || { echo "FATAL:" \
	    "python3-websockets missing (run make deps)" >&2; ok=1; }
	return $ok
}

emu_start() {
	local dir=$1 line=
	shift
	EMU_STATE=$dir
	rm -f "$dir/.ready"
	mkfifo "$dir/.ready" || return 1
	"$EMU_PY" "$EMU_HOME/emulator.py" --dir "$dir" --parent-pid $$ "$@" \
	    >"$dir/.ready" 2>>"$dir/emulator.stderr" </dev/null &
	EMU_PID=$!
	if ! read -r -t "${EMU_START_TIMEOUT:-40}" line <"$dir/.ready" ||
	    [ "${line%% *}" != ready ] || [ ! -s "$dir/emulator.json" ]; then
		echo "emulator did not become ready (line: '$line')" >&2
		tail -n 20 "$dir/emulator.stderr" "$dir/emulator.log" >&2
		emu_stop
		return 1
	fi
	rm -f "$dir/.ready"
	# shellcheck disable=SC1091
	. "$dir/env.sh"
}

emu_ctl() {
	"$EMU_PY" "$EMU_HOME/emuctl.py" "$EMU_STATE" "$@"
}

emu_stop() {
	[ -n "$EMU_PID" ] || return 0
	local dog
	kill -TERM "$EMU_PID" 2>/dev/null
	sleep 15 &
	dog=$!
	wait -n "$EMU_PID" "$dog" 2>/dev/null
	if kill -0 "$EMU_PID" 2>/dev/null; then
		echo "emulator ignored SIGTERM for 15 s: SIGKILL" >&2
		kill -KILL "$EMU_PID" 2>/dev/null
	fi
	kill "$dog" 2>/dev/null
	wait "$EMU_PID" "$dog" 2>/dev/null
	EMU_PID=
}
