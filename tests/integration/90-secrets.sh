#!/usr/bin/env bash
# No secret on stderr at -vvvv: neither the secret access key, nor the
# session token (raw or percent-encoded), nor a SigV4 signature, nor the
# session's TokenValue: by value (the emulator records what it issued in
# issued-secrets) and by shape (no base64 run of 64 or more, no
# "TokenValue" field at all).
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause --with-session-token

check "emulator issued a session token" [ -n "${AWS_SESSION_TOKEN:-}" ]
ssh_with -vvvv
out=$("${SSHX[@]}" "$DEST" 'echo secret-test' </dev/null 2>"$T/ssh1.err")
check "session at -vvvv works (exit $?)" [ "$out" = secret-test ]
out=$(HTTPS_PROXY=$EMU_PROXY_URL "${SSHX[@]}" "$DEST" 'echo via-proxy' \
    </dev/null 2>"$T/ssh2.err")
check "session at -vvvv through the CONNECT proxy works (exit $?)" \
    [ "$out" = via-proxy ]
check "2 ssm-proxy runs, each exit 0, sanitizer-clean stderr" px_check 2
# A failing call at -vvvv: the error path must not print the key either.
AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY}x timeout "$TMO" "$SSM_PROXY" \
    -vvvv "$EMU_TARGET" "$EMU_SSHD_PORT" </dev/null >/dev/null \
    2>"$T/px/done/fail.err"
check "wrong-secret run at -vvvv fails with exit 2 (got $?)" [ $? -eq 2 ]
check "  sanitizer-clean" san_clean "$T/px/done/fail.err"
ERRS=("$T"/px/done/*.err)
lines=$(cat "${ERRS[@]}" | wc -l)
check "ssm-proxy stderr captured ($lines lines from ${#ERRS[@]} runs)" \
    [ "$lines" -gt 100 ]
check "  secret access key absent" \
    absent -F -- "$AWS_SECRET_ACCESS_KEY" "${ERRS[@]}"
check "  session token absent" absent -F -- "$AWS_SESSION_TOKEN" "${ERRS[@]}"
check "  session token (percent-encoded) absent" \
    absent -F -- "$(enc "$AWS_SESSION_TOKEN")" "${ERRS[@]}"
check "  first 24 characters of the session token absent" \
    absent -F -- "${AWS_SESSION_TOKEN:0:24}" "${ERRS[@]}"
check "  no SigV4 signature value" \
    absent -iE 'Signature=[0-9a-f]{16}|X-Amz-Security-Token[:=] *[A-Za-z0-9%]' \
    "${ERRS[@]}"
check "  no TokenValue field" absent -i 'TokenValue' "${ERRS[@]}"
check "  no base64 run of 64+ characters (TokenValue is 951)" \
    absent -E '[A-Za-z0-9+/]{64,}' "${ERRS[@]}"
# Every secret the emulator handed out (issued-secrets: TokenValues,
# StreamUrl queries, issued keys and tokens), exactly and percent-encoded.
check "  none of the secrets the emulator issued appears" \
    issued_secrets_absent 3 "${ERRS[@]}"
check "secret key absent from ssh's own stderr too" \
    absent -F -- "$AWS_SECRET_ACCESS_KEY" "$T/ssh1.err" "$T/ssh2.err"
it_done "no secret key, session token, signature or TokenValue at -vvvv"
