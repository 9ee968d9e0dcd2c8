#!/usr/bin/env bash
# The emulator's request log: a valid SigV4 signature on every API call
# (StartSession, TerminateSession) and on every websocket upgrade, with
# temporary credentials (session token signed) and with a long-term key;
# and a TerminateSession for each session, after its websocket.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause --with-session-token

"${SSH[@]}" "$DEST" true </dev/null 2>"$T/e1"
check "session 1 (temporary credentials) exits 0 (got $?)" [ $? -eq 0 ]
"${SSH[@]}" "$DEST" 'echo x' </dev/null >/dev/null 2>"$T/e2"
check "session 2 (temporary credentials) exits 0" [ $? -eq 0 ]
emu_ctl config '{"credentials": [{"access_key": "AKIAEMULONGTERM0001",
    "secret_key": "long/Term+Secret0001"}]}' >/dev/null || exit 1
AWS_ACCESS_KEY_ID=AKIAEMULONGTERM0001 AWS_SECRET_ACCESS_KEY=long/Term+Secret0001 \
    AWS_SESSION_TOKEN= "${SSH[@]}" "$DEST" true </dev/null 2>"$T/e3"
check "session 3 (long-term key, no token) exits 0" [ $? -eq 0 ]
check "3 ssm-proxy runs, each exit 0, sanitizer-clean stderr" px_check 3

check "3 StartSession, 3 upgrades, 3 TerminateSession" logq \
    '[len([e for e in L if e["kind"]=="api" and e["api"]==a])
      for a in ("StartSession", "TerminateSession")] == [3, 3] and
     len([e for e in L if e["kind"]=="websocket"]) == 3'
check "every API call: signature valid, HTTP 200, host/x-amz-date/x-amz-target signed" logq \
    'all(e["signature"]=="valid" and e["status"]==200 and
         {"host", "x-amz-date", "x-amz-target", "content-type"} <=
         set(e["signed_headers"]) for e in L if e["kind"]=="api")'
check "every websocket upgrade: signature valid, 101, URL verbatim" logq \
    'all(e["signature"]=="valid" and e["status"]==101 and e["url_verbatim"]
         and {"host", "x-amz-date"} <= set(e["signed_headers"])
         for e in L if e["kind"]=="websocket")'
check "temporary credentials: token present and signed on API and upgrade" logq \
    'len([e for e in L if e["kind"] in ("api", "websocket") and
          e["access_key"]=="'"$AWS_ACCESS_KEY_ID"'" and
          e["token_present"] and e["token_signed"]]) == 6'
check "long-term key: no token, all 3 requests signed with it" logq \
    'len([e for e in L if e["kind"] in ("api", "websocket") and
          e["access_key"]=="AKIAEMULONGTERM0001" and
          e["signature"]=="valid" and not e["token_present"]]) == 3'
check "each session: TerminateSession once, after its upgrade, as its last API call" logq \
    'all([(x["kind"], x.get("api")) for x in L
          if x.get("session_id")==s and x["kind"] in ("api", "websocket")]
         == [("api", "StartSession"), ("websocket", None),
             ("api", "TerminateSession")]
         for s in {e["session_id"] for e in L if e["kind"]=="api"})'
# Who ends first is a race: ssm-proxy's TerminateSession flag (ssh hung
# up) or sshd closing the connection after the command.
check "each session closed cleanly (flag or sshd EOF), nothing unacked" logq \
    'len([e for e in L if e.get("event")=="closed" and e["reason"] in
          ("TerminateSession flag", "target closed the connection")
          and e["out_unacked"]==0]) == 3'
it_done "SigV4 valid on 6 API calls and 3 upgrades, TerminateSession each"
