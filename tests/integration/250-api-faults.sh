#!/usr/bin/env bash
# API faults: throttling and 5xx bursts are retried (backoff, bounded);
# TargetNotConnected for the first 3 StartSession calls, as on a freshly
# booted instance, is waited out with --wait-connected; a clock 400 s off
# is corrected from the Date header with one retry; and what cannot be
# retried ends with one line and exit 2 (AccessDenied, InvalidDocument,
# an expired token, server errors that outlast the attempts).  Unknown CA,
# wrong key, TargetNotConnected without waiting: 80-errors.sh.
. "$(dirname "$0")/faults.bash"
fx_start
B=$SSM_PROXY
starts() {	# the StartSession results since mark: "error error None"
	/usr/bin/python3 - "$EMU_REQUEST_LOG" "$mark" <<'PY'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.endswith("\n")][int(sys.argv[2]):]
print(" ".join(str(e.get("error")) for e in L if e.get("api") == "StartSession"))
PY
}
run_ssh() {	# description expected-StartSession-results
	mark=$(wc -l <"$EMU_REQUEST_LOG")
	local t0=$SECONDS
	timeout "$TMO" ssh "${SSHOPTS[@]}" "$DEST" 'echo up' >"$T/out" 2>&1
	check "$1: ssh works ($((SECONDS - t0))s)" [ "$(cat "$T/out")" = up ]
	check "  StartSession results: $2" [ "$(starts)" = "$2" ]
	check "  ssm-proxy exit 0, sanitizer-clean" fx_runs 0
}
expect() {	# description message command...
	local d=$1 msg=$2
	shift 2
	"$@" "$EMU_TARGET" "$EMU_SSHD_PORT" </dev/null >"$T/o" 2>"$T/e"
	local rc=$?
	check "$d: exit 2 (got $rc)" [ $rc -eq 2 ]
	check "  one line: $msg" [ "$(cat "$T/e")" = "ssm-proxy: $msg" ]
	check "  stdout empty, sanitizer-clean" eval '[ ! -s "$T/o" ] && san_clean "$T/e"'
}

emu_ctl config '{"fail": [{"api": "StartSession", "code": "ThrottlingException", "count": 2}]}' >/dev/null
run_ssh "2 ThrottlingException" "ThrottlingException ThrottlingException None"
emu_ctl config '{"fail": [{"api": "StartSession", "code": "InternalServerError", "count": 1}, {"api": "StartSession", "code": "ServiceUnavailable", "count": 1}]}' >/dev/null
run_ssh "HTTP 500 then 503" "InternalServerError ServiceUnavailable None"
emu_ctl config '{"fail": [{"api": "StartSession", "code": "TargetNotConnected", "count": 3, "message": "'"$EMU_TARGET"' is not connected."}]}' >/dev/null
echo "--wait-connected 20" >"$T/px.flags"
run_ssh "TargetNotConnected x3, --wait-connected 20" \
    "TargetNotConnected TargetNotConnected TargetNotConnected None"
: >"$T/px.flags"
emu_ctl config '{"clock_offset": 400}' >/dev/null
run_ssh "clock 400 s ahead" "InvalidSignatureException None"
emu_ctl config '{"clock_offset": -400}' >/dev/null
run_ssh "clock 400 s behind" "InvalidSignatureException None"
emu_ctl config '{"clock_offset": 0}' >/dev/null

# Throttling is retried by time (60 s), not by max_attempts: 5 in a row
# are waited out; 5xx still ends after the standard 3 attempts.  (The
# 60 s budget running out: tests/unit/test_api.c, with a short budget.)
emu_ctl config '{"fail": [{"api": "StartSession", "code": "ThrottlingException", "count": 5}]}' >/dev/null
run_ssh "5 ThrottlingException, more than max_attempts" \
    "ThrottlingException ThrottlingException ThrottlingException ThrottlingException ThrottlingException None"
emu_ctl config '{"fail": [{"api": "StartSession", "code": "InternalServerError", "count": 5}]}' >/dev/null
expect "HTTP 500 beyond the attempts" "StartSession failed: InternalServerError: Forced by the emulator (InternalServerError) (after 3 attempts)" "$B"
emu_ctl config '{"reset": true, "agent_pause": false, "fail": []}' >/dev/null
emu_ctl config '{"fail": {"api": "StartSession", "code": "AccessDeniedException", "message": "User is not authorized to perform: ssm:StartSession"}}' >/dev/null
expect "AccessDenied" "StartSession failed: AccessDeniedException: User is not authorized to perform: ssm:StartSession" "$B"
emu_ctl config '{"fail": {"api": "StartSession", "code": "InvalidDocument", "message": "Document AWS-StartSSHSession does not exist"}}' >/dev/null
expect "InvalidDocument" "StartSession failed: InvalidDocument: Document AWS-StartSSHSession does not exist" "$B"
emu_ctl config '{"credentials": [{"access_key": "AKIAEXPIRED000000001", "secret_key": "s3cr3t-expired", "session_token": "tok-expired", "expired": true}]}' >/dev/null
expect "expired token" "StartSession failed: ExpiredTokenException: The security token included in the request is expired" \
    env AWS_ACCESS_KEY_ID=AKIAEXPIRED000000001 AWS_SECRET_ACCESS_KEY=s3cr3t-expired AWS_SESSION_TOKEN=tok-expired "$B"
fx_done "API faults: throttling (5 waited out), 5xx, TargetNotConnected x3 waited out, clock +-400 s; AccessDenied, InvalidDocument, expired token exit 2"
