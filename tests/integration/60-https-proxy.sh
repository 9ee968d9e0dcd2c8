#!/usr/bin/env bash
# HTTPS_PROXY: the API calls and the websocket both go through the
# emulator's CONNECT proxy; with NO_PROXY matching 127.0.0.1 both go
# direct, and with a lower-case https_proxy they go through it again.
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
it_done "HTTPS_PROXY: API and websocket via CONNECT; NO_PROXY: direct"
