#!/usr/bin/env bash
# Standard output carries nothing but the tunnel, at any verbosity:
# 1. ssm-proxy -vvvv run by hand with stdin on a fifo we hold open: the
#    first bytes on its stdout are sshd's banner; once we close stdin it
#    ends the session, exits 0, and its whole stdout was that one line.
# 2. a full ssh session with ProxyCommand "ssm-proxy -vvvv %h %p" works
#    (a stray stdout byte would break the SSH protocol) while stderr has
#    the debug lines.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

mkfifo "$T/in" "$T/out" || exit 1
timeout "$TMO" "$SSM_PROXY" -vvvv "$EMU_TARGET" "$EMU_SSHD_PORT" \
    <"$T/in" >"$T/out" 2>"$T/direct.err" &
ppid=$!
exec 3>"$T/in"			# ssm-proxy's stdin, held open by us
exec 4<"$T/out"			# its stdout
line=
IFS= read -r -t "$TMO" -u 4 line
check "first line on stdout is the sshd banner ('${line%$'\r'}')" \
    [ "${line#SSH-2.0-OpenSSH}" != "$line" ]
check "  ends with CR LF" [ "${line: -1}" = $'\r' ]
exec 3>&-			# EOF on its stdin: it must end the session
timeout "$TMO" cat <&4 >"$T/rest"
exec 4<&-
wait $ppid
rc=$?
check "stdin EOF ends ssm-proxy with exit 0 (got $rc)" [ $rc -eq 0 ]
check "  nothing on stdout but the banner ($(wc -c <"$T/rest") more bytes)" \
    [ ! -s "$T/rest" ]
check "  stderr has the debug lines" \
    grep -q '^ssm-proxy: .*OpenDataChannel' "$T/direct.err"
check "  every stderr line is ssm-proxy's" \
    [ -z "$(grep -v '^ssm-proxy: ' "$T/direct.err" | head -n 3)" ]
check "  stderr sanitizer-clean" san_clean "$T/direct.err"
check "  TerminateSession called" logq \
    '[e for e in L if e["kind"]=="api" and e["api"]=="TerminateSession"
      and e["status"]==200]'

ssh_with -vvvv
out=$("${SSHX[@]}" "$DEST" 'echo through; exit 3' </dev/null 2>"$T/ssh.err")
rc=$?
check "ssh with ssm-proxy -vvvv works: output and exit 3 (got $rc, '$out')" \
    [ "$rc:$out" = "3:through" ]
check "ssm-proxy -vvvv run exits 0, sanitizer-clean stderr" px_check 1
n=$(cat "$T"/px/done/*.err | grep -c '^ssm-proxy: ')
check "  its stderr has the debug lines ($n lines)" \
    grep -q '^ssm-proxy: .*OpenDataChannel' "$T"/px/done/*.err
it_done "stdout is only the tunnel: banner first, -vvvv session works"
