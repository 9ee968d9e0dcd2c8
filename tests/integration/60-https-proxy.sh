#!/usr/bin/env bash
# HTTPS_PROXY: the API calls and the websocket both go through the
# emulator's CONNECT proxy; with NO_PROXY matching 127.0.0.1 both go
# direct, and with a lower-case https_proxy they go through it again.
# http_proxy is never used, not even by libwebsockets on its own, with or
# without NO_PROXY.  Every path of a session follows the one rule: the IAM
# Identity Center portal, STS AssumeRole, SendSSHPublicKey, the SSM calls
# and the websocket all go through HTTPS_PROXY, and none does under a
# NO_PROXY that covers them.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

nlines() { wc -l <"$EMU_REQUEST_LOG"; }
# New log records since line $from, as L.
from=0
logq_new() { logq "$(printf '(lambda L: %s)(L[%d:])' "$1" "$from")"; }
VIA='{e["kind"]: e["via_proxy"] for e in L if e["kind"] in ("api", "websocket")}'
CONN='sorted(e["target"] for e in L if e["kind"]=="connect" and e["status"]==200)'
API=\"127.0.0.1:$EMU_API_PORT\" WS=\"127.0.0.1:$EMU_WS_PORT\"

out=$(HTTPS_PROXY=$EMU_PROXY_URL "${SSH[@]}" "$DEST" 'echo via-proxy' \
    </dev/null 2>"$T/e1")
check "HTTPS_PROXY: session works (exit $?, '$out')" [ "$out" = via-proxy ]
check "  ssm-proxy exit 0, sanitizer-clean" px_check 1
check "  CONNECT to the API port and to the ws port" \
    logq_new "set($CONN) == {$API, $WS}"
check "  API calls and upgrade logged via_proxy" \
    logq_new "$VIA == {'api': True, 'websocket': True} and
      len([e for e in L if e['kind']=='api' and e['via_proxy']]) == 2"

from=$(nlines)
out=$(HTTPS_PROXY=$EMU_PROXY_URL NO_PROXY=localhost,127.0.0.1 "${SSH[@]}" \
    "$DEST" 'echo direct' </dev/null 2>"$T/e2")
check "HTTPS_PROXY + NO_PROXY=localhost,127.0.0.1: session works (exit $?)" \
    [ "$out" = direct ]
check "  ssm-proxy exit 0, sanitizer-clean" px_check 1
check "  no CONNECT at all" logq_new "$CONN == []"
check "  API calls and upgrade logged direct" \
    logq_new "$VIA == {'api': False, 'websocket': False} and
      len([e for e in L if e['kind']=='api']) == 2"

from=$(nlines)
out=$(https_proxy=$EMU_PROXY_URL/ "${SSH[@]}" "$DEST" 'echo lower' \
    </dev/null 2>"$T/e3")
check "https_proxy (lower case, trailing /): session works (exit $?)" \
    [ "$out" = lower ]
check "  ssm-proxy exit 0, sanitizer-clean" px_check 1
check "  CONNECT to both ports again" \
    logq_new "set($CONN) == {$API, $WS}"

# http_proxy is for http:// URLs; libwebsockets 4.1 would take it for the
# websocket when given no proxy, NO_PROXY or not.
from=$(nlines)
out=$(http_proxy=$EMU_PROXY_URL NO_PROXY='*' "${SSH[@]}" "$DEST" \
    'echo star' </dev/null 2>"$T/e4")
check "http_proxy + NO_PROXY='*': session works (exit $?)" [ "$out" = star ]
check "  ssm-proxy exit 0, sanitizer-clean" px_check 1
check "  no CONNECT at all" logq_new "$CONN == []"
check "  API calls and upgrade logged direct" \
    logq_new "$VIA == {'api': False, 'websocket': False}"

from=$(nlines)
out=$(http_proxy=$EMU_PROXY_URL HTTP_PROXY=$EMU_PROXY_URL "${SSH[@]}" \
    "$DEST" 'echo http-only' </dev/null 2>"$T/e5")
check "only http_proxy/HTTP_PROXY: session works (exit $?)" \
    [ "$out" = http-only ]
check "  ssm-proxy exit 0, sanitizer-clean" px_check 1
check "  no CONNECT at all" logq_new "$CONN == []"
check "  API calls and upgrade logged direct" \
    logq_new "$VIA == {'api': False, 'websocket': False}"

# An assumed role whose source is an IAM Identity Center profile, and a key
# pushed with Instance Connect: five kinds of request in one session.
export AWS_ENDPOINT_URL_STS=$EMU_API_URL AWS_ENDPOINT_URL_SSO=$EMU_API_URL
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
SSO_URL=https://proxy-test.awsapps.com/start
cat >"$AWS_CONFIG_FILE" <<EOC
[profile sso]
sso_start_url = $SSO_URL
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = Admin
[profile role]
role_arn = arn:aws:iam::123456789012:role/via-proxy
source_profile = sso
EOC
emu_ctl config '{"sso_tokens": ["sso-tok-proxy"]}' >/dev/null
# A HOME of its own per run: no credentials cached by the run before.
fresh_home() {	# name
	export HOME=$T/$1
	mkdir -p "$HOME/.aws/sso/cache"
	printf '{"startUrl": "%s", "region": "us-east-1", "accessToken": "%s", "expiresAt": "%s"}\n' \
	    "$SSO_URL" sso-tok-proxy "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" \
	    >"$HOME/.aws/sso/cache/$(printf %s "$SSO_URL" | sha1sum | cut -d' ' -f1).json"
}
ssh_with "--push-key=$EMU_SSH_KEY --os-user $EMU_SSH_USER"
APIS="['GetRoleCredentials', 'AssumeRole', 'SendSSHPublicKey', 'StartSession', 'TerminateSession']"
BY_API='{e["api"]: e["via_proxy"] for e in L if e["kind"] == "api"}'

from=$(nlines)
fresh_home h6
out=$(AWS_PROFILE=role HTTPS_PROXY=$EMU_PROXY_URL "${SSHX[@]}" "$DEST" \
    'echo five' </dev/null 2>"$T/e6")
check "HTTPS_PROXY, SSO + role + --push-key: session works (exit $?)" \
    [ "$out" = five ]
check "  ssm-proxy exit 0, sanitizer-clean" px_check 1
check "  SSO, STS, Instance Connect, SSM and the upgrade via the proxy" \
    logq_new "sorted($BY_API) == sorted($APIS) and
      set($BY_API.values()) == {True} and
      [e['via_proxy'] for e in L if e['kind'] == 'websocket'] == [True]"

from=$(nlines)
fresh_home h7
out=$(AWS_PROFILE=role HTTPS_PROXY=$EMU_PROXY_URL NO_PROXY=127.0.0.0/8 \
    "${SSHX[@]}" "$DEST" 'echo none' </dev/null 2>"$T/e7")
check "HTTPS_PROXY + NO_PROXY=127.0.0.0/8: session works (exit $?)" \
    [ "$out" = none ]
check "  ssm-proxy exit 0, sanitizer-clean" px_check 1
check "  no CONNECT at all" logq_new "$CONN == []"
check "  SSO, STS, Instance Connect, SSM and the upgrade direct" \
    logq_new "sorted($BY_API) == sorted($APIS) and
      set($BY_API.values()) == {False} and
      [e['via_proxy'] for e in L if e['kind'] == 'websocket'] == [False]"
# Each endpoint has its own decision: Instance Connect named as localhost
# and excluded, the rest through the proxy.
from=$(nlines)
fresh_home h8
out=$(AWS_PROFILE=role HTTPS_PROXY=$EMU_PROXY_URL NO_PROXY=localhost \
    AWS_ENDPOINT_URL_EC2_INSTANCE_CONNECT=https://localhost:$EMU_API_PORT \
    "${SSHX[@]}" "$DEST" 'echo split' </dev/null 2>"$T/e8")
check "NO_PROXY=localhost, Instance Connect at localhost: works (exit $?)" \
    [ "$out" = split ]
check "  ssm-proxy exit 0, sanitizer-clean" px_check 1
check "  SendSSHPublicKey direct, every other request via the proxy" \
    logq_new "sorted($BY_API) == sorted($APIS) and
      [a for a, v in $BY_API.items() if not v] == ['SendSSHPublicKey'] and
      [e['via_proxy'] for e in L if e['kind'] == 'websocket'] == [True]"
it_done "HTTPS_PROXY: every request via CONNECT; NO_PROXY: direct; http_proxy: unused"
