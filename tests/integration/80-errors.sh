#!/usr/bin/env bash
# Failures: ssm-proxy run by hand (stdin a fifo held open, so no failure
# comes from an early EOF) must exit with the documented status (1 usage/
# config, 2 API/credentials, 3 channel/handshake) and print exactly one
# line "ssm-proxy: MESSAGE" on stderr and nothing on stdout.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

mkfifo "$T/in" || exit 1
n=0
px() {	# command... -> $rc, $T/px.out, $T/px.err
	timeout "$TMO" "$@" <"$T/in" >"$T/px.out" \
	    2>"$T/px.err" &
	local p=$!
	exec 3>"$T/in"
	wait $p
	rc=$?
	exec 3>&-
	n=$((n + 1))
	cp "$T/px.err" "$T/err.$n"		# for the sanitizer check
}
expect() {	# description exit-status message -- args...
	local d=$1 want_rc=$2 msg=$3
	shift 4
	px "$@"
	check "$d: exit $want_rc (got $rc)" [ "$rc" -eq "$want_rc" ]
	check "  stderr is exactly one line" same "$T/px.err" "ssm-proxy: $msg"
	check "  stdout empty" [ ! -s "$T/px.out" ]
}
TGT=$EMU_TARGET
P=$EMU_SSHD_PORT
B=$SSM_PROXY

expect "invalid target" 1 'invalid target "web 1": expected an instance id (i-...), a managed node id (mi-...), an IP address, a private DNS name or a name, optionally with .REGION' \
    -- "$B" "web 1" 22
expect "invalid port 0" 1 'invalid port "0": expected 1 to 65535' -- "$B" "$TGT" 0
expect "invalid port 65536" 1 'invalid port "65536": expected 1 to 65535' \
    -- "$B" "$TGT" 65536
expect "invalid port 22x" 1 'invalid port "22x": expected 1 to 65535' \
    -- "$B" "$TGT" 22x
px "$B"
check "no arguments: exit 1 (got $rc) with the usage on stderr" \
    [ "$rc:$(head -c 16 "$T/px.err")" = "1:usage: ssm-proxy" ]
expect "unknown profile" 1 "profile nosuch not found in $AWS_CONFIG_FILE or $AWS_SHARED_CREDENTIALS_FILE (named by --profile)" \
    -- "$B" --profile nosuch "$TGT" "$P"
check "  (config and credentials files are empty)" \
    [ -z "$(cat "$AWS_CONFIG_FILE" "$AWS_SHARED_CREDENTIALS_FILE")" ]
expect "no credentials (empty environment and files)" 2 "no credentials for profile default in the environment, $AWS_SHARED_CREDENTIALS_FILE or $AWS_CONFIG_FILE" \
    -- env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    -u AWS_SESSION_TOKEN "$SSM_PROXY" "$TGT" "$P"
expect "no region" 1 "no region configured: use --region, set AWS_REGION or add \"region = ...\" to profile default in $AWS_CONFIG_FILE" \
    -- env -u AWS_REGION -u AWS_DEFAULT_REGION "$SSM_PROXY" "$TGT" "$P"
check "no API call so far" logq \
    'not [e for e in L if e["kind"] in ("api", "websocket")]'
expect "a name no instance has" 1 'no instance named "web.example.com" in us-east-1 (profile default, tag Name)' \
    -- "$B" web.example.com 22

expect "unknown target: TargetNotConnected" 2 "StartSession failed: TargetNotConnected: i-0fffffffffffffff0 is not connected: there is no such instance in this region (profile default, region us-east-1)" \
    -- "$B" i-0fffffffffffffff0 "$P"
emu_ctl config '{"fail": {"api": "StartSession", "code": "TargetNotConnected",
    "message": "'"$TGT"' is not connected."}}' >/dev/null || exit 1
expect "forced TargetNotConnected" 2 "StartSession failed: TargetNotConnected: $TGT is not connected (profile default, region us-east-1)" \
    -- "$B" "$TGT" "$P"
expect "wrong secret key: InvalidSignatureException" 2 "StartSession failed: InvalidSignatureException: The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details." \
    -- env AWS_SECRET_ACCESS_KEY="x$AWS_SECRET_ACCESS_KEY" "$SSM_PROXY" \
    "$TGT" "$P"
check "  logged by the emulator as an invalid signature" logq \
    '[e for e in L if e["kind"]=="api" and e["signature"]=="invalid"
      and e["error"]=="InvalidSignatureException"]'

# A CA that did not sign the emulator's certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$T/other.key" -out "$T/other.pem" -subj /CN=other-ca -days 1 \
    2>/dev/null || exit 1
nlog=$(wc -l <"$EMU_REQUEST_LOG")
expect "AWS_CA_BUNDLE that does not match: TLS verification fails" 2 "cannot reach $EMU_API_URL: SSL certificate problem: unable to get local issuer certificate" \
    -- env AWS_CA_BUNDLE="$T/other.pem" "$SSM_PROXY" "$TGT" "$P"
expect "--ca-bundle that does not match" 2 "cannot reach $EMU_API_URL: SSL certificate problem: unable to get local issuer certificate" \
    -- "$B" --ca-bundle "$T/other.pem" "$TGT" "$P"
expect "AWS_CA_BUNDLE that does not exist" 1 "cannot load the CA bundle $T/none.pem: No such file or directory" \
    -- env AWS_CA_BUNDLE="$T/none.pem" "$SSM_PROXY" "$TGT" "$P"
check "  no request reached the API" [ "$(wc -l <"$EMU_REQUEST_LOG")" -eq "$nlog" ]

LPF='multiplexed port forwarding (port session type LocalPortForwarding) needs --via; use a document such as AWS-StartSSHSession'
emu_ctl config '{"reset": true, "handshake_type": "LocalPortForwarding"}' \
    >/dev/null || exit 1
expect "handshake for a LocalPortForwarding document" 3 "$LPF" \
    -- "$B" "$TGT" "$P"
check "  session refused in the handshake, then TerminateSession" logq \
    '[(e["kind"], e.get("api")) for e in L if e["kind"]=="api"][-2:] ==
     [("api", "StartSession"), ("api", "TerminateSession")] and
     not [e for e in L if e.get("event")=="handshake_complete"]'
check "  the agent got our HandshakeResponse: ActionStatus 2, the reason" \
    logq '[e["actions"] for e in L if e.get("event")=="handshake_failed"]
     [-1:] == [[{"type": "SessionType", "status": 2, "error": "'"$LPF"'"}]]'
emu_ctl config '{"reset": true, "handshake_unknown_action": "Foo"}' \
    >/dev/null || exit 1
expect "handshake with an unknown action" 3 "Unsupported action Foo" \
    -- "$B" "$TGT" "$P"
check "  the agent got ActionStatus 2 for it" logq \
    '[e["actions"][-1] for e in L if e.get("event")=="handshake_failed"]
     [-1:] == [{"type": "Foo", "status": 2,
                "error": "Unsupported action Foo"}]'
# Any other Properties.type is a plain stream on the agent
# (protocol/PROTOCOL.md "Port sessions").
emu_ctl config '{"reset": true, "agent_pause": false,
    "handshake_type": "Standard"}' >/dev/null || exit 1
out=$("${SSH[@]}" "$DEST" 'echo port-type-ok' 2>"$T/ssh.err")
check "Port session with type Standard carries ssh (got '$out')" \
    [ "$out" = port-type-ok ]
check "  ssm-proxy exit 0, sanitizer-clean" px_check 1
check "  the emulator sent the type and completed the handshake" logq \
    '[e for e in L if e.get("event")=="handshake_complete"]'
emu_ctl config '{"reset": true}' >/dev/null
check "every run sanitizer-clean" san_clean "$T"/err.*
it_done "failures: exact one-line messages, exit 1/2/3 ($n runs)"
