#!/usr/bin/env bash
# Make the shipped traces again from the emulator (not part of make check;
# run it after a change to the trace format, then check the replay):
#
#   normal.jsonl     ssh: 8 KiB in through cat, 24 KiB out
#   reconnect.jsonl  the websocket aborted after 16 output messages, then
#                    ResumeSession; seeded reordering, duplicates and bad
#                    digests from the agent
#   pause.jsonl      pause_publication while the session is idle, input
#                    queued meanwhile, start_publication
#
# Each is one ssm-proxy --trace run; the fixed sleeps only place the
# pause, and nothing checks timing.
. "$(dirname "$0")/../integration/lib.bash"
out=$IT_ROOT/tests/traces
it_start --no-agent-pause

run() {		# name ssm-proxy-flags remote-command (stdin from $T/in)
	rm -f "$T/$1.jsonl"
	ssh_with "--trace $T/$1.jsonl $2"
	"${SSHX[@]}" "$DEST" "$3" <"$T/in" >"$T/$1.out" 2>"$T/$1.err"
	echo "$1: ssh exit $?, $(wc -c <"$T/$1.out") bytes out"
	px_wait
	cp "$T/$1.jsonl" "$out/$1.jsonl"
}

head -c 8192 /dev/zero | tr '\0' i >"$T/in"
run normal "" 'cat; head -c 24576 /dev/zero | tr "\0" o'

emu_ctl config '{"fault_seed": 11, "drop_ws_after_output": 16,
    "reorder_output_rate": 0.05, "duplicate_output_rate": 0.05,
    "malform_output_rate": 0.08, "malform_kinds": ["digest"]}' >/dev/null
run reconnect "" 'cat >/dev/null; head -c 65536 /dev/zero | tr "\0" o'
emu_ctl config '{"reset": true}' >/dev/null

feed() {	# 4 KiB, pause while idle, 4 KiB queued, resume
	head -c 4096 /dev/zero | tr '\0' a
	sleep 1.5
	emu_ctl action '{"action": "pause_publication"}' >/dev/null
	head -c 4096 /dev/zero | tr '\0' b
	sleep 1
	emu_ctl action '{"action": "start_publication"}' >/dev/null
	sleep 0.5
}
ssh_with "--trace $T/pause.jsonl"
feed | "${SSHX[@]}" "$DEST" 'cat' >"$T/pause.out" 2>"$T/pause.err"
echo "pause: ssh exit $?, $(wc -c <"$T/pause.out") bytes out"
px_wait
cp "$T/pause.jsonl" "$out/pause.jsonl"
ls -l "$out"/*.jsonl
