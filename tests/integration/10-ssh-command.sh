#!/usr/bin/env bash
# ssh through ssm-proxy: `true`, then a remote command whose output bytes
# and exit status must come back exactly; stdin reaches the remote side.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

"${SSH[@]}" "$DEST" true </dev/null >"$T/o1" 2>"$T/e1"
rc=$?
check "ssh true exits 0 (got $rc)" [ $rc -eq 0 ]
check "  no output" [ ! -s "$T/o1" ]

"${SSH[@]}" "$DEST" "printf 'a\nb'; exit 7" </dev/null >"$T/o2" 2>"$T/e2"
rc=$?
check "remote exit status 7 (got $rc)" [ $rc -eq 7 ]
printf 'a\nb' >"$T/want2"
check "  output is exactly 'a\\nb' ($(od -An -c "$T/o2" | tr -s ' '))" \
    cmp -s "$T/o2" "$T/want2"
check "  ssh stderr empty" [ ! -s "$T/e2" ]

printf 'line one\n\0\377binary tail' >"$T/in3"
"${SSH[@]}" "$DEST" 'cat; echo " <end>" >&2; exit 0' <"$T/in3" >"$T/o3" \
    2>"$T/e3"
rc=$?
check "stdin piped through cat comes back byte for byte (exit $rc)" \
    cmp -s "$T/in3" "$T/o3"
check "  remote stderr separate ('$(cat "$T/e3")')" \
    [ "$(cat "$T/e3")" = " <end>" ]

check "3 ssm-proxy runs, each exit 0, sanitizer-clean stderr" px_check 3
check "StartSession and TerminateSession for each of the 3 sessions" logq \
    'len([e for e in L if e["kind"]=="api" and e["api"]=="StartSession"
      and e["status"]==200]) == 3 and
     len([e for e in L if e["kind"]=="api" and e["api"]=="TerminateSession"
      and e["status"]==200]) == 3'
# The CA bundle is read once for the API calls and the websocket alike,
# and the system's anchors not at all (the bundle replaces them).
command -v strace >/dev/null || { echo "FATAL: strace missing (make deps)"; exit 1; }
timeout "$TMO" ssh "${SSHOPTS[@]/#ProxyCommand=*/ProxyCommand=env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o $T/trace -e trace=open,openat $SSM_PROXY %h %p}" \
    "$DEST" true </dev/null 2>"$T/e4"
rc=$?
check "ssh true under strace exits 0 (got $rc)" [ $rc -eq 0 ]
check "  AWS_CA_BUNDLE opened once ($(grep -c -F "\"$AWS_CA_BUNDLE\"" "$T/trace"))" \
    [ "$(grep -c -F "\"$AWS_CA_BUNDLE\"" "$T/trace")" -eq 1 ]
check "  the system's CA bundle never" [ -z "$(grep -E \
    'ca-certificates\.crt|ssl/cert\.pem|/etc/ssl/certs' "$T/trace")" ]
it_done "ssh: exit 0, exact output bytes, exit status 7, stdin, CA read once"
