#!/usr/bin/env bash
# What the service returns is taken whole up to ssm-proxy's safety caps,
# not the API model's maxima: with the emulator's --long-fields every
# StartSession and ResumeSession answer carries a TokenValue of 16384
# bytes, a StreamUrl of 16384 bytes and a SessionId of 256 characters
# with @ . + = in it.  An ssh command, a small scp (SHA-256) and an
# interactive session resumed after the service closes its websocket all
# work, the upgrade requests carry the whole URL verbatim and signed, both
# channel_closed layouts (HeaderLength 112 and 116) end sessions cleanly,
# and a field over its cap is refused with one line naming it, exit 2,
# and TerminateSession for the session that was started.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause --long-fields

out=$("${SSH[@]}" "$DEST" 'printf long-ok' </dev/null 2>"$T/e1")
rc=$?
check "ssh command with 16 KiB token and URL, 256-char SessionId (exit $rc)" \
    [ "$rc:$out" = "0:long-ok" ]

head -c 1048576 /dev/urandom >"$T/up.bin"
mkdir -p "$T/remote"
timeout "$TMO" scp -q "${SSHOPTS[@]}" "$T/up.bin" "$DEST:$T/remote/up.bin" \
    </dev/null 2>"$T/scp.err"
rc=$?
check "scp 1 MiB up (exit $rc)" [ $rc -eq 0 ]
check "  SHA-256 equal" [ "$(sha "$T/up.bin")" = "$(sha "$T/remote/up.bin" 2>/dev/null)" ]

# ResumeSession: the service closes the websocket of a live session.
ask() {	# line -> the remote echo of it within 10 s
	local got=
	echo "$1" >&"${S[1]}"
	read -r -t 10 got <&"${S[0]}"
	[ "$got" = "echo:$1" ] || { echo "  sent '$1', got '$got'"; return 1; }
}
coproc S { timeout "$TMO" ssh "${SSHOPTS[@]}" "$DEST" \
    'while read -r l; do echo "echo:$l"; done' 2>"$T/ssh.err"; }
spid=$S_PID
check "interactive session answers" ask one
emu_ctl action '{"action": "close_ws", "code": 1000}' >/dev/null
check "  after the service closed its websocket it still answers" ask two
eval "exec ${S[1]}>&-"
wait "$spid" 2>/dev/null
check "  one ResumeSession, answered" logq \
    '[e["status"] for e in L if e.get("api")=="ResumeSession"] == [200]'
check "3 ssm-proxy runs, each exit 0, sanitizer-clean stderr" px_check 3

check "every session id is 256 characters with @ . + =" logq \
    'all(len(e["session_id"]) == 256 and all(c in e["session_id"]
         for c in "@.+=") for e in L if e.get("api")=="StartSession")'
check "every upgrade: the 16 KiB URL verbatim, signed, 101" logq \
    '[(e["url_verbatim"], e["signature"], e["status"]) for e in L
      if e["kind"]=="websocket"] == [(True, "valid", 101)] * 4'
check "every OpenDataChannel (4) accepted the 16 KiB token" logq \
    '[e["result"] for e in L if e["kind"]=="open_data_channel"]==["ok"]*4'
check "a TerminateSession for each of the 3 sessions" logq \
    'len({e["session_id"] for e in L if e.get("api")=="TerminateSession"
          and e["status"]==200}) == 3'

# channel_closed in the normal layout (HeaderLength 116) as well.
emu_ctl config '{"channel_closed_hl": 116}' >/dev/null || exit 1
out=$("${SSH[@]}" "$DEST" 'printf hl116' </dev/null 2>/dev/null)
check "channel_closed with HeaderLength 116 ends the session ('$out')" \
    [ "$out" = hl116 ]
check "  exit 0, sanitizer-clean" px_check 1

# Over a cap: refused by name, length and limit; the session terminated.
mkfifo "$T/in" || exit 1
refused() {	# knob value message
	emu_ctl config '{"'"$1"'": '"$2"'}' >/dev/null || exit 1
	timeout "$TMO" "$SSM_PROXY" "$EMU_TARGET" "$EMU_SSHD_PORT" \
	    <"$T/in" >"$T/px.out" 2>"$T/px.err" &
	local p=$!
	exec 3>"$T/in"
	wait $p
	rc=$?
	exec 3>&-
	cp "$T/px.err" "$T/px/done/refused-$1.err"
	check "$1 $2: exit 2 (got $rc)" [ $rc -eq 2 ]
	check "  one line naming field, length and limit" same "$T/px.err" \
	    "ssm-proxy: StartSession returned $3"
	check "  stdout empty" [ ! -s "$T/px.out" ]
	emu_ctl config '{"'"$1"'": 0}' >/dev/null
}
refused token_len 20000 "a TokenValue of 20000 bytes (limit 16384)"
check "  TerminateSession for the session started" logq \
    '[e["session_id"] for e in L if e.get("api")=="StartSession"][-1] ==
     [e["session_id"] for e in L if e.get("api")=="TerminateSession"
      and e["status"]==200][-1]'
refused stream_url_len 16385 "a StreamUrl of 16385 bytes (limit 16384)"
check "  TerminateSession for the session started" logq \
    '[e["session_id"] for e in L if e.get("api")=="StartSession"][-1] ==
     [e["session_id"] for e in L if e.get("api")=="TerminateSession"
      and e["status"]==200][-1]'
refused session_id_len 257 "a SessionId of 257 bytes (limit 256)"
check "  no websocket for the refused sessions" logq \
    'len([e for e in L if e["kind"]=="websocket"]) == 5'
check "  sanitizer-clean" san_clean "$T"/px/done/refused-*.err
it_done "16 KiB TokenValue and StreamUrl, 256-char SessionId: ssh, scp, resume, both channel_closed layouts; over the caps: exit 2, one line"
