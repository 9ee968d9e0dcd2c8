#!/usr/bin/env bash
# sftp in batch mode through ssm-proxy: put, ls, get of a 2 MiB random
# file, SHA-256 identical both ways.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

head -c $((2 * 1024 * 1024)) /dev/urandom >"$T/f.bin" || exit 1
want=$(sha "$T/f.bin")
mkdir -p "$T/remote"
cat >"$T/batch" <<B
cd $T/remote
put $T/f.bin put.bin
ls -l
get put.bin $T/got.bin
B
timeout "$TMO" sftp -b "$T/batch" "${SSHOPTS[@]}" "$DEST" </dev/null \
    >"$T/sftp.out" 2>"$T/sftp.err"
rc=$?
cat "$T/sftp.out"
check "sftp -b exits 0 (got $rc)" [ $rc -eq 0 ]
check "  put: remote copy has the same SHA-256" \
    [ "$(sha "$T/remote/put.bin" 2>/dev/null)" = "$want" ]
check "  ls -l lists put.bin with its size" \
    grep -qE " $((2 * 1024 * 1024)) .* put\.bin\$" "$T/sftp.out"
check "  get: local copy has the same SHA-256" \
    [ "$(sha "$T/got.bin" 2>/dev/null)" = "$want" ]
check "1 ssm-proxy run, exit 0, sanitizer-clean stderr" px_check 1
it_done "sftp -b put, ls, get of 2 MiB, SHA-256 identical"
