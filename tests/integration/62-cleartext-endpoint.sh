#!/usr/bin/env bash
# An http:// AWS endpoint that is not loopback gets one warning line at the
# default verbosity (signed headers and the session token cross the network
# in clear text) and is still used, as the AWS CLI uses
# http://localstack:4566.  192.0.2.1 (TEST-NET-1) is reached through the
# emulator's proxy, which refuses anything but CONNECT (HTTP 405): the call
# fails at once, after the warning.  Loopback endpoints get no warning.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

export AWS_MAX_ATTEMPTS=1 HTTPS_PROXY=$EMU_PROXY_URL
W='ssm-proxy: warning: http://192.0.2.1:9 is plain HTTP: credential-derived headers and the session token travel in clear text'
run() {	# name ssm-proxy-args... (stderr to $T/NAME.err, status echoed)
	local n=$1
	shift
	"$SSM_PROXY" "$@" </dev/null >/dev/null 2>"$T/$n.err"
	echo $?
}

rc=$(AWS_ENDPOINT_URL_SSM=http://192.0.2.1:9 run ssm "$EMU_TARGET")
check "SSM at http://192.0.2.1:9: the warning, then StartSession's failure" \
    same "$T/ssm.err" "$W
ssm-proxy: StartSession failed: HTTP 405"
check "  exit 2" [ "$rc" = 2 ]

rc=$(run endpoint-url --endpoint-url http://192.0.2.1:9/ "$EMU_TARGET")
check "--endpoint-url http://192.0.2.1:9/: the same warning first" \
    same <(head -n 1 "$T/endpoint-url.err") "$W"

# SSM and Instance Connect at the same origin: one line, not two.
rc=$(unset AWS_ENDPOINT_URL_SSM AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT
    AWS_ENDPOINT_URL=http://192.0.2.1:9 run both \
    --push-key="$EMU_SSH_KEY" --os-user "$EMU_SSH_USER" "$EMU_TARGET")
check "SSM and Instance Connect both at AWS_ENDPOINT_URL: one warning" \
    [ "$(grep -c 'warning:' "$T/both.err")" = 1 -a \
    "$(head -n 1 "$T/both.err")" = "$W" ]

# STS: AssumeRole from static keys, at a cleartext endpoint.
cat >"$AWS_CONFIG_FILE" <<EOC
[profile role]
role_arn = arn:aws:iam::123456789012:role/clear
credential_source = Environment
EOC
rc=$(HOME=$T AWS_ENDPOINT_URL_STS=http://192.0.2.1:9 \
    run sts --profile role "$EMU_TARGET")
check "STS at http://192.0.2.1:9: the warning first" \
    same <(head -n 1 "$T/sts.err") "$W"
check "  then one line of failure, exit 2" \
    [ "$(wc -l <"$T/sts.err")" = 2 -a "$rc" = 2 ]

# Loopback: no warning (the meta port is plain HTTP on 127.0.0.1).
port=${EMU_META_URL##*:}
port=${port%%/*}
for u in "http://127.0.0.1:$port" "http://localhost:$port" \
    "http://[::1]:1" "$EMU_API_URL"; do
	run loop --endpoint-url "$u" "$EMU_TARGET" >/dev/null
	check "--endpoint-url $u: no warning" \
	    eval '! grep -q warning: "$T/loop.err"'
done
check "no sanitizer report" san_clean "$T"/*.err
it_done "cleartext endpoints: one warning line each, loopback exempt"
