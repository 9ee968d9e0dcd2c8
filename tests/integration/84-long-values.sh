#!/usr/bin/env bash
# Values that do not fit the fixed buffers they are formatted into are
# refused with one line, never cut short and sent: a container
# authorization token of 9000 bytes (the header buffer holds 8 KiB) makes
# no request at all.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
long=$(head -c 9000 /dev/zero | tr '\0' t)
emu_ctl config "{\"container_token\": \"$long\"}" >/dev/null
AWS_CONTAINER_CREDENTIALS_FULL_URI=$EMU_META_URL/container/v2/credentials/t \
    AWS_CONTAINER_AUTHORIZATION_TOKEN=$long \
    "$SSM_PROXY" "$EMU_TARGET" </dev/null >/dev/null 2>"$T/e1"
rc=$?
check "a 9000-byte container token: one line" same "$T/e1" \
    "ssm-proxy: the container authorization token is too long"
check "  exit 1 (a configuration value)" [ "$rc" = 1 ]
check "  no container request made" \
    logq '[e for e in L if e.get("api") == "container"] == []'
check "  sanitizer-clean" san_clean "$T/e1"
it_done "too long for its buffer: refused, not truncated"
