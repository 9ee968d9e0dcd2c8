#!/usr/bin/env bash
# TerminateSession refused by policy (AccessDeniedException): the session
# stays open at the service until it times out, so the user is told in one
# line at the default verbosity; the tunnel itself ended well (exit 0).
# Other TerminateSession failures stay at -v.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

emu_ctl config '{"fail": [{"api": "TerminateSession", "count": 1,
    "code": "AccessDeniedException", "status": 400,
    "message": "not allowed to terminate"}]}' >/dev/null
out=$("${SSH[@]}" "$DEST" 'echo denied' </dev/null 2>/dev/null)
check "session works (exit $?, '$out')" [ "$out" = denied ]
px_wait
sid=$(emu_ctl get sessions | /usr/bin/python3 -c \
    'import json, sys; print(json.load(sys.stdin)[-1]["session_id"])')
check "  one warning line naming the session" same "$T"/px/*.err \
    "ssm-proxy: warning: TerminateSession failed: AccessDeniedException: not allowed to terminate (session $sid stays open until the service ends it)"
check "  exit 0, sanitizer-clean" px_check 1

emu_ctl config '{"fail": [{"api": "TerminateSession", "count": 1,
    "code": "InternalFailure", "status": 400, "message": "x"}]}' >/dev/null
out=$("${SSH[@]}" "$DEST" 'echo other' </dev/null 2>/dev/null)
check "another TerminateSession error: session works" [ "$out" = other ]
px_wait
check "  nothing on stderr at the default verbosity" same "$T"/px/*.err ""
check "  exit 0, sanitizer-clean" px_check 1
it_done "TerminateSession denied: one warning line"
