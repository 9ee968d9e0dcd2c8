#!/usr/bin/env bash
# scp of a 64 MiB random file up and back down through ssm-proxy; the
# SHA-256 must be identical both ways.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

head -c $((64 * 1024 * 1024)) /dev/urandom >"$T/big.bin" || exit 1
want=$(sha "$T/big.bin")
mkdir -p "$T/remote"

t0=$SECONDS
timeout 120 scp -q "${SSHOPTS[@]}" "$T/big.bin" "$DEST:$T/remote/up.bin" \
    </dev/null 2>"$T/scp-up.err"
rc=$?
up=$((SECONDS - t0))
check "scp up exits 0 (got $rc, ${up}s)" [ $rc -eq 0 ]
check "  uploaded copy has the same SHA-256" \
    [ "$(sha "$T/remote/up.bin" 2>/dev/null)" = "$want" ]

t0=$SECONDS
timeout 120 scp -q "${SSHOPTS[@]}" "$DEST:$T/remote/up.bin" "$T/down.bin" \
    </dev/null 2>"$T/scp-down.err"
rc=$?
down=$((SECONDS - t0))
check "scp down exits 0 (got $rc, ${down}s)" [ $rc -eq 0 ]
check "  downloaded copy has the same SHA-256" \
    [ "$(sha "$T/down.bin" 2>/dev/null)" = "$want" ]
check "scp stderr empty" [ -z "$(cat "$T/scp-up.err" "$T/scp-down.err")" ]
check "2 ssm-proxy runs, each exit 0, sanitizer-clean stderr" px_check 2
it_done "scp 64 MiB up ${up}s, down ${down}s, SHA-256 identical"
