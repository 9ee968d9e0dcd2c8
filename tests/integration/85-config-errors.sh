#!/usr/bin/env bash
# Configuration and credential failures end with one exact line and the
# documented status: malformed config and credentials files (1), a failing
# credential_process and one with invalid output (2), an unreachable
# endpoint (2).  And no secret reaches a child process's argv: the
# credential_process child records every process's command line while
# ssm-proxy waits for it.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

mkfifo "$T/in" || exit 1
px() {	# command... -> $rc, $T/px.out, $T/px.err
	timeout "$TMO" "$@" <"$T/in" >"$T/px.out" 2>"$T/px.err" &
	local p=$!
	exec 3>"$T/in"
	wait $p
	rc=$?
	exec 3>&-
}
expect() {	# description exit-status message -- args...
	local d=$1 want_rc=$2 msg=$3
	shift 4
	px "$@"
	check "$d: exit $want_rc (got $rc)" [ "$rc" -eq "$want_rc" ]
	# curl's connect errors carry the time they took ("after 0 ms"; more
	# on a loaded machine): that figure is not ours to pin, nor curl's
	# spelling ("Couldn't connect" in 7.88, "Could not" in 8.14).
	check "  stderr is exactly one line" same \
	    <(sed -E -e 's/ after [0-9]+ ms:/ after N ms:/' \
	    -e "s/: Could not connect to server/: Couldn't connect to server/" \
	    "$T/px.err") "ssm-proxy: $msg"
	check "  stdout empty" [ ! -s "$T/px.out" ]
	check "  sanitizer-clean" san_clean "$T/px.err"
}
TGT=$EMU_TARGET
P=$EMU_SSHD_PORT
not_in() { ! grep -qF -- "$1" "$2"; }
noenv=(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN)

printf '[default]\nregion = %s\nthis line is not ini\n' "$AWS_REGION" \
    >"$T/bad-config"
px env AWS_CONFIG_FILE="$T/bad-config" "$SSM_PROXY" "$TGT" "$P"
check "malformed config file: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "  one line naming the file and line 3" \
    grep -qx "ssm-proxy: $T/bad-config:3: .*" "$T/px.err"
check "  and only one line" [ "$(wc -l <"$T/px.err")" -eq 1 ]

printf '[default\naws_access_key_id = x\n' >"$T/bad-creds"
px env AWS_SHARED_CREDENTIALS_FILE="$T/bad-creds" "$SSM_PROXY" "$TGT" "$P"
check "malformed credentials file: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "  one line naming the file and line 1" \
    grep -qx "ssm-proxy: $T/bad-creds:1: .*" "$T/px.err"
check "  and only one line" [ "$(wc -l <"$T/px.err")" -eq 1 ]

# credential_process: failing, invalid output, and a good one that also
# records the command lines of every process while it runs.
cat >"$T/cp-fail" <<'SH'
#!/bin/sh
echo "helper: no session" >&2
exit 3
SH
printf '#!/bin/sh\necho "not json"\n' >"$T/cp-junk"
cat >"$T/cp-good" <<SH
#!/bin/sh
ps -eo args >"$T/ps.txt"
printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s"}\n' \
    "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"
SH
chmod +x "$T/cp-fail" "$T/cp-junk" "$T/cp-good"
for n in fail junk good; do
	printf '[default]\nregion = %s\ncredential_process = %s\n' \
	    "$AWS_REGION" "$T/cp-$n" >"$T/config-$n"
done
px env AWS_CONFIG_FILE="$T/config-fail" "${noenv[@]}" "$SSM_PROXY" "$TGT" "$P"
check "failing credential_process: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "  its own stderr passes through, then our one line" \
    [ "$(sed -n 1p "$T/px.err")" = "helper: no session" ] &&
    [ "$(wc -l <"$T/px.err")" -eq 2 ] &&
    grep -q "^ssm-proxy: credential_process .*exit.* 3" "$T/px.err"
px env AWS_CONFIG_FILE="$T/config-junk" "${noenv[@]}" "$SSM_PROXY" "$TGT" "$P"
check "credential_process with invalid output: exit 2 (got $rc)" \
    [ "$rc" -eq 2 ]
check "  one line" [ "$(wc -l <"$T/px.err")" -eq 1 ] &&
    grep -q "^ssm-proxy: credential_process" "$T/px.err"

ssh_with ""
out=$(env AWS_CONFIG_FILE="$T/config-good" "${noenv[@]}" \
    "${SSHX[@]}" "$DEST" 'echo via-process' </dev/null 2>"$T/ssh.err")
check "session with credentials from credential_process ($out)" \
    [ "$out" = "via-process" ]
check "  the helper saw the process table" [ -s "$T/ps.txt" ]
check "  ssm-proxy's command line is in it" grep -q "ssm-proxy" "$T/ps.txt"
check "  no secret key in any command line" \
    not_in "$AWS_SECRET_ACCESS_KEY" "$T/ps.txt"
check "ssm-proxy run exits 0, sanitizer-clean" px_check 1

expect "unreachable endpoint" 2 "cannot reach https://127.0.0.1:1: Failed to connect to 127.0.0.1 port 1 after N ms: Couldn't connect to server (after 3 attempts)" \
    -- env AWS_ENDPOINT_URL_SSM=https://127.0.0.1:1 AWS_MAX_ATTEMPTS=3 \
    "$SSM_PROXY" "$TGT" "$P"
it_done "config and credential failures: one line, exit 1 or 2; no secret in argv"
