#!/usr/bin/env bash
# An MFA code typed on the controlling terminal (ssh runs under a
# pseudo-terminal; ssm-proxy reads /dev/tty), the error without a terminal,
# and role credentials that expire mid-session: refreshed before
# ResumeSession after the emulator closes the websocket.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

creds_base_profile
SERIAL=arn:aws:iam::123456789012:mfa/tester
cat >"$AWS_CONFIG_FILE" <<EOC
[profile mfa]
role_arn = arn:aws:iam::123456789012:role/mfa
source_profile = base
mfa_serial = $SERIAL
[profile mfa-notty]
role_arn = arn:aws:iam::123456789012:role/mfa-notty
source_profile = base
mfa_serial = $SERIAL
[profile rf]
role_arn = arn:aws:iam::123456789012:role/refresh
source_profile = base
EOC
emu_ctl config '{"roles": {"arn:aws:iam::123456789012:role/mfa":
    {"mfa_serial": "'$SERIAL'", "mfa_code": "492817"}}}' >/dev/null

# Run a command under a new pseudo-terminal (its controlling terminal);
# answer the MFA prompt once it appears; print what the terminal showed.
cat >"$T/onpty.py" <<'PY'
import os, pty, select, sys
code, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
buf, sent = b"", False
while True:
    r, _, _ = select.select([fd], [], [], 60)
    if not r:
        break
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    buf += d
    if not sent and b"Enter MFA code for " in buf:
        os.write(fd, code.encode() + b"\n")
        sent = True
_, st = os.waitpid(pid, 0)
sys.stdout.write(buf.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
PY

# 1. MFA through the terminal (ssh -n: only ssm-proxy reads the tty).
AWS_PROFILE=mfa /usr/bin/python3 "$T/onpty.py" 492817 "${SSH[@]}" -n "$DEST" \
    'echo mfa-ok' >"$T/o1" 2>&1
check "MFA on /dev/tty: ssh works" grep -q '^mfa-ok' "$T/o1"
check "  the prompt names the serial" grep -qF "Enter MFA code for $SERIAL: " \
    "$T/o1"
check "  the code is not echoed" bash -c "! grep -q 492817 '$T/o1'"
check "  AssumeRole carried SerialNumber and the right TokenCode" logq \
    '[(e["serial_number"], e.get("mfa_ok"), e["access_key"]) for e in L
      if e.get("api") == "AssumeRole"] == [("'$SERIAL'", True, "'$base_ak'")]'
check "  one ssm-proxy run exits 0" px_check 1

# 2. No controlling terminal (setsid): one clear line, exit 1, no STS call.
AWS_PROFILE=mfa-notty setsid -w "${SSH[@]}" "$DEST" true </dev/null \
    >/dev/null 2>&1
px_wait
check "MFA without a terminal: one line" same "$T"/px/*.err "ssm-proxy: profile mfa-notty needs an MFA code (mfa_serial $SERIAL) and there is no terminal to ask for it on (/dev/tty: No such device or address)"
check "  exit status 1" [ "$(cat "$T"/px/*.rc)" = 1 ]
check "  no AssumeRole for it" logq \
    'not [e for e in L if e.get("role_arn", "").endswith("/mfa-notty")]'
mkdir -p "$T/px/done" && mv "$T"/px/*.* "$T/px/done/"

# 3. Role credentials of 200 s (emulator clock): ssm-proxy sees them
# within its refresh window.  Once the session is up the emulator's clock
# jumps 250 s, so the first key has expired there, and the websocket is
# closed: ResumeSession must be signed with a new role key.
emu_ctl config '{"sts_lifetime": 200}' >/dev/null
mkfifo "$T/in" "$T/out"
exec 7<>"$T/out"
AWS_PROFILE=rf "${SSH[@]}" "$DEST" \
    'echo started; read x; echo "got $x"; seq 1 300000 | sha256sum' \
    <"$T/in" >"$T/out" 2>"$T/e3" &
sshpid=$!
exec 8>"$T/in"
read -r -t 30 l1 <&7
check "refresh: session up ($l1)" [ "$l1" = started ]
emu_ctl config '{"clock_offset": 250}' >/dev/null
emu_ctl action '{"action": "close_ws"}' >/dev/null
echo after-resume >&8
read -r -t 60 l2 <&7
read -r -t 60 l3 <&7
exec 8>&-
wait "$sshpid"
rc=$?
exec 7<&-
want=$(seq 1 300000 | sha256sum)
check "  data after the resume arrives ($l2), ssh exits 0 ($rc)" \
    [ "$l2" = "got after-resume" ] && [ "$rc" = 0 ]
check "  a 2 MB answer completes intact" [ "$l3" = "$want" ]
check "  two AssumeRole for the role, both signed with the base key" logq \
    '[(e["access_key"], e["status"]) for e in L if e.get("api") ==
      "AssumeRole" and e["role_arn"].endswith("/refresh")] ==
     [("'$base_ak'", 200)] * 2'
check "  StartSession with the first key, ResumeSession and TerminateSession with the second" logq \
    '(lambda k: [e["access_key"] for e in L if e.get("api") ==
      "StartSession"][-1] == k[0] and
     [(e["access_key"], e["status"]) for e in L if e.get("api") ==
      "ResumeSession"] == [(k[1], 200)] and
     [e["access_key"] for e in L if e.get("api") ==
      "TerminateSession"][-1] == k[1])(
     [e["issued_access_key"] for e in L if e.get("api") == "AssumeRole" and
      e["role_arn"].endswith("/refresh")])'
check "  the websocket was dialled again with the new key" logq \
    '[e["access_key"] for e in L if e.get("kind") == "websocket"][-2:] ==
     [e["issued_access_key"] for e in L if e.get("api") == "AssumeRole" and
      e["role_arn"].endswith("/refresh")]'
check "  one ssm-proxy run exits 0" px_check 1
it_done "MFA on a pty, no terminal, role credentials refreshed for ResumeSession"
