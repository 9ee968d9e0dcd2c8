#!/usr/bin/env bash
# Values longer than any fixed buffer they once were formatted into are
# carried whole, never cut short: a container authorization token of
# 9000 bytes (the old header buffer held 8 KiB) reaches the container
# endpoint byte for byte, which accepts only the exact token, and the
# credentials it hands out sign the session.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
long=$(head -c 9000 /dev/zero | tr '\0' t)
emu_ctl config "{\"container_token\": \"$long\"}" >/dev/null
AWS_CONTAINER_CREDENTIALS_FULL_URI=$EMU_META_URL/container/v2/credentials/t \
    AWS_CONTAINER_AUTHORIZATION_TOKEN=$long \
    "$SSM_PROXY" "$EMU_TARGET" "$EMU_SSHD_PORT" </dev/null >/dev/null 2>"$T/e1"
rc=$?
check "a 9000-byte container token: the session ends normally (exit 0)" \
    [ "$rc" = 0 ]
check "  the endpoint got the whole token" \
    logq '[e.get("authorization_ok") for e in L if e.get("api") == "container"] == [True]'
check "  nothing on stderr" same "$T/e1" ""
check "  sanitizer-clean" san_clean "$T/e1"
it_done "a 9000-byte container token carried whole, not truncated"
