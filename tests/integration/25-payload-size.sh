#!/usr/bin/env bash
# --payload-size: stdin goes out in messages larger than 1024 bytes; a
# 16 MiB upload through 16 KiB messages arrives with the same SHA-256, and
# the emulator saw messages of that size.  The default stays 1024.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

head -c $((16 * 1024 * 1024)) /dev/urandom >"$T/up.bin" || exit 1
mkdir -p "$T/remote"
ssh_with "--payload-size 16384"
timeout "$TMO" scp -q "${SSHOPTS[@]/#ProxyCommand=*/ProxyCommand=$PXWRAP --payload-size 16384 %h %p}" \
    "$T/up.bin" "$DEST:$T/remote/up.bin" </dev/null 2>"$T/scp.err"
rc=$?
check "scp up with --payload-size 16384 exits 0 (got $rc)" [ $rc -eq 0 ]
check "  same SHA-256" [ "$(sha "$T/remote/up.bin" 2>/dev/null)" = "$(sha "$T/up.bin")" ]
check "  ssm-proxy exit 0, sanitizer-clean" px_check 1
big=$(emu_ctl get sessions | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
print(max(x.get("stats", {}).get("input_max_payload", 0) for x in s))')
check "  the agent saw 16 KiB messages (largest $big bytes)" [ "$big" = 16384 ]

out=$("${SSH[@]}" "$DEST" 'head -c 100000 /dev/zero | wc -c' </dev/null)
check "default session still works ($out)" [ "$out" = 100000 ]
check "  ssm-proxy exit 0, sanitizer-clean" px_check 1
it_done "--payload-size 16384: 16 MiB up intact in 16 KiB messages"
