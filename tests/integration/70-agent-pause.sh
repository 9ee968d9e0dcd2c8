#!/usr/bin/env bash
# The emulator's default agent, which pauses 1 ms after each 1024-byte
# read from sshd (the real agent's pacing): a 256 KiB file by scp up and
# back down, SHA-256 identical.
. "$(dirname "$0")/lib.bash"
it_start			# agent pause on (the default)

check "emulator agent_pause is on" \
    /usr/bin/python3 -c 'import json, sys
sys.exit(0 if json.load(sys.stdin)["agent_pause"] is True else 1)' \
    < <(emu_ctl get config)
head -c $((256 * 1024)) /dev/urandom >"$T/f.bin" || exit 1
want=$(sha "$T/f.bin")
mkdir -p "$T/remote"
t0=$SECONDS
timeout "$TMO" scp -q "${SSHOPTS[@]}" "$T/f.bin" "$DEST:$T/remote/f.bin" \
    </dev/null 2>"$T/up.err"
check "scp up exits 0 (got $?)" [ $? -eq 0 ]
check "  SHA-256 identical" [ "$(sha "$T/remote/f.bin" 2>/dev/null)" = "$want" ]
timeout "$TMO" scp -q "${SSHOPTS[@]}" "$DEST:$T/remote/f.bin" "$T/back.bin" \
    </dev/null 2>"$T/down.err"
check "scp down exits 0 (got $?)" [ $? -eq 0 ]
check "  SHA-256 identical" [ "$(sha "$T/back.bin" 2>/dev/null)" = "$want" ]
secs=$((SECONDS - t0))
check "2 ssm-proxy runs, each exit 0, sanitizer-clean stderr" px_check 2
check "the agent sent >= 256 output messages in the download session" logq \
    'max(e["stats"].get("output_msgs", 0) for e in L
         if e.get("event")=="closed") >= 256'
it_done "1 ms agent pause on: 256 KiB scp up and down in ${secs}s, intact"
