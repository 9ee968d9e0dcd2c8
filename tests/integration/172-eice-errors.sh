#!/usr/bin/env bash
# EC2 Instance Connect Endpoint errors, each one line and its exit
# status: options, no endpoint in the VPC, an endpoint not ready, the
# upgrade refused (AccessDenied, the connection limit), the target refused
# (1011 at once), a drop, the maximum duration; IPv6 targets; --transport
# auto falls back for instances SSM cannot reach and stays on SSM for web1.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

TO="--eice-connect-to 127.0.0.1:$EMU_EICE_PORT"
run() {	# args... : ssm-proxy, stdin kept open 8 s; rc, secs, $T/err
	local t0=$SECONDS
	"$SSM_PROXY" "$@" < <(sleep 8) >"$T/out" 2>"$T/err"
	rc=$?
	secs=$((SECONDS - t0))
}
EP=eice-0123456789abcdef0

run --transport eice web1 2222
check "port 2222: exit 1 (got $rc)" [ $rc -eq 1 ]
check "  one line" same "$T/err" \
    "ssm-proxy: port 2222: an EC2 Instance Connect Endpoint reaches ports 22 and 3389 only"
run --eice-id $EP web1 22
check "--eice-id without --transport: exit 1 (got $rc)" [ $rc -eq 1 ]
check "  one line" same "$T/err" \
    "ssm-proxy: --eice-id needs --transport eice or auto"
run --transport eice --max-tunnel-duration 3601 web1 22
check "--max-tunnel-duration 3601: exit 1 (got $rc)" [ $rc -eq 1 ]
check "  one line" same "$T/err" \
    'ssm-proxy: invalid --max-tunnel-duration "3601": expected 1 to 3600 seconds'

run --transport eice $TO --cache-ttl 0 isolated 22
check "isolated (a VPC without endpoint): exit 2 (got $rc)" [ $rc -eq 2 ]
check "  one line" same "$T/err" \
    "ssm-proxy: no EC2 Instance Connect Endpoint in vpc-0d0d0d0d0d0d0d0d0, the VPC of i-0a2a2a2a2a2a2a2a2 (region us-east-1)"
emu_ctl config "{\"eice_state\": {\"$EMU_EICE_B_ID\": \"create-in-progress\"}}" >/dev/null
run --transport eice $TO --eice-id "$EMU_EICE_B_ID" web1 22
check "--eice-id of an endpoint not ready: exit 2 (got $rc)" [ $rc -eq 2 ]
check "  one line" same "$T/err" \
    "ssm-proxy: the EC2 Instance Connect Endpoint $EMU_EICE_B_ID is create-in-progress, not ready for tunnels"
emu_ctl config '{"eice_state": {}}' >/dev/null
run --transport eice $TO --eice-id eice-0000000000000000f web1 22
check "--eice-id unknown: exit 2 (got $rc)" [ $rc -eq 2 ]
check "  one line" same "$T/err" \
    "ssm-proxy: no EC2 Instance Connect Endpoint eice-0000000000000000f in us-east-1"

W="10.0.1.5:22 (i-0123456789abcdef0) through $EP"
emu_ctl config '{"deny": ["ec2-instance-connect:OpenTunnel"]}' >/dev/null
run --transport eice $TO web1 22
check "OpenTunnel denied: exit 3 (got $rc)" [ $rc -eq 3 ]
check "  at once, not at stdin's end (${secs}s)" [ "$secs" -lt 5 ]
check "  one line naming the action and the condition keys" same "$T/err" \
    "ssm-proxy: the EICE endpoint refused the tunnel to $W (HTTP 403): not allowed to call ec2-instance-connect:OpenTunnel for this address and port (condition keys ec2-instance-connect:remotePort, ec2-instance-connect:privateIpAddress), or the signature was refused"
emu_ctl config '{"deny": [], "eice_max_connections": 0}' >/dev/null
run --transport eice $TO web1 22
check "connection limit: exit 3 (got $rc)" [ $rc -eq 3 ]
check "  one line" same "$T/err" \
    "ssm-proxy: the EICE endpoint refused the tunnel to $W (HTTP 429): the endpoint's limit of concurrent connections is reached"
emu_ctl config '{"eice_max_connections": 20, "eice_refuse_target": {"10.0.4.1": true}}' >/dev/null
run --transport eice $TO --cache-ttl 0 noagent 22
check "security group refuses (1011 at once): exit 3 (got $rc)" [ $rc -eq 3 ]
check "  one line with the code and reason" same "$T/err" \
    "ssm-proxy: the EICE endpoint closed the tunnel to 10.0.4.1:22 (i-0d1d1d1d1d1d1d1d1) through $EP: 1011 Unable to connect to target (the endpoint cannot reach it: does its security group let the endpoint in?)"
emu_ctl config '{"eice_refuse_target": {}}' >/dev/null

# SIGTERM while the tunnel is open: one line, 128 + 15.
mkfifo "$T/fifo"
(sleep 30 >"$T/fifo") &
feeder=$!
"$SSM_PROXY" --transport eice $TO web1 22 <"$T/fifo" >"$T/out" 2>"$T/err" &
p=$!
for i in $(seq 100); do grep -q SSH- "$T/out" && break; sleep 0.1; done
kill -TERM $p
wait $p
rc=$?
kill $feeder 2>/dev/null
check "SIGTERM with the tunnel open: exit 143 (got $rc)" [ $rc -eq 143 ]
check "  one line" same "$T/err" "ssm-proxy: ending the EICE tunnel on signal 15"
check "  the sshd's banner had come through" grep -q '^SSH-2.0-' "$T/out"

# With ssh: a drop, the maximum duration, an IPv6-only instance.
OPTS=("${SSHOPTS[@]}" -o HostKeyAlias="[$EMU_TARGET]:$EMU_SSHD_PORT")
ssh_eice() {	# "ssm-proxy flags" target remote-command
	timeout "$TMO" ssh "${OPTS[@]/#ProxyCommand=*/ProxyCommand=$PXWRAP --transport eice $TO $1 %h 22}" \
	    "$EMU_SSH_USER@$2" "$3" </dev/null >"$T/sout" 2>/dev/null
	rc=$?
	px_wait
}
pxerr() { ls "$T"/px/*.err | head -n 1; }
pxrc() { cat "$T"/px/*.rc | head -n 1; }
ssh_eice "--cache-ttl 0" v6only 'echo v6'
check "v6only (no IPv4) over EICE: v6 (rc $rc)" [ "$(cat "$T/sout")" = v6 ]
check "  the tunnel went to its IPv6 address" logq \
    "[e['ip'] for e in L if e['kind']=='eice' and e.get('event')=='upgrade'
     ][-1] == '2600:1f18:aaaa:bb01::10'"
check "  exit 0, sanitizer-clean" px_check 1
emu_ctl config '{"eice_drop_after_bytes": 3000}' >/dev/null
ssh_eice "" web1 'sleep 5'
check "dropped tunnel: ssh fails (rc $rc)" [ $rc -ne 0 ]
check "  ssm-proxy exit 4 ($(pxrc))" [ "$(pxrc)" = 4 ]
check "  one line" same "$(pxerr)" \
    "ssm-proxy: the EICE tunnel dropped; this transport cannot resume"
mkdir -p "$T/px/done" && mv "$T"/px/*.* "$T/px/done/"
emu_ctl config '{"eice_drop_after_bytes": 0}' >/dev/null
ssh_eice "--max-tunnel-duration 3" web1 'sleep 10'
check "--max-tunnel-duration 3: ssh ends (rc $rc)" [ $rc -ne 0 ]
check "  ssm-proxy exit 4 ($(pxrc))" [ "$(pxrc)" = 4 ]
check "  one line" same "$(pxerr)" \
    "ssm-proxy: the EICE tunnel reached its maximum duration (3 s)"
check "  maxTunnelDuration=3 was asked for" logq \
    "[e['duration'] for e in L if e['kind']=='eice' and
      e.get('event')=='upgrade'][-1] == 3"
mkdir -p "$T/px/done" && mv "$T"/px/*.* "$T/px/done/"

# --push-key over EICE: pushed alongside the tunnel, sshd takes that key.
ssh-keygen -q -t ed25519 -N '' -C eice-push -f "$T/ed" || exit 1
PK=("${OPTS[@]/#-i/-o}")
PK=("${PK[@]/#$EMU_SSH_KEY/IdentityAgent=none}")
timeout "$TMO" ssh "${PK[@]/#ProxyCommand=*/ProxyCommand=$PXWRAP --transport eice $TO --push-key=$T/ed --os-user %r %h 22}" \
    -i "$T/ed" "$DEST" 'echo pushed' </dev/null >"$T/sout" 2>/dev/null
check "--push-key over EICE: ssh with the pushed key works ($(cat "$T/sout"))" \
    [ "$(cat "$T/sout")" = pushed ]
check "  SendSSHPublicKey for web1, then a tunnel, no StartSession" logq \
    "[e['status'] for e in L if e.get('api')=='SendSSHPublicKey'][-1] == 200
     and L[-1]['kind'] == 'eice' and
     [e for e in L if e.get('api') in ('SendSSHPublicKey', 'StartSession')
     ][-1]['api'] == 'SendSSHPublicKey'"
check "  exit 0, sanitizer-clean" px_check 1

# auto: SSM first; EICE for an agent offline or absent (port 22 only:
# other ports stay on SSM, as web1's below, the emulator's sshd port).
for h in offline noagent; do
	timeout "$TMO" ssh "${OPTS[@]/#ProxyCommand=*/ProxyCommand=$PXWRAP -v --transport auto $TO --cache-ttl 0 %h 22}" \
	    "$EMU_SSH_USER@$h" 'echo via-eice' </dev/null >"$T/sout" 2>/dev/null
	check "auto, $h: ssh works (got '$(cat "$T/sout")')" \
	    [ "$(cat "$T/sout")" = via-eice ]
	px_wait
	check "  one -v line says why EICE" grep -q \
	    "^ssm-proxy: transport auto: Session Manager cannot reach i-.* (TargetNotConnected); trying the EC2 Instance Connect Endpoint$" "$(pxerr)"
	check "  exit 0, sanitizer-clean" px_check 1
done
timeout "$TMO" ssh "${SSHOPTS[@]/#ProxyCommand=*/ProxyCommand=$PXWRAP -v --transport auto $TO --cache-ttl 0 %h %p}" \
    "$EMU_SSH_USER@web1" 'echo via-ssm' </dev/null >"$T/sout" 2>/dev/null
check "auto, web1 (agent up): ssh works over SSM" [ "$(cat "$T/sout")" = via-ssm ]
px_wait
check "  one -v line says SSM" grep -q \
    "transport auto: Session Manager reaches i-0123456789abcdef0" "$(pxerr)"
check "  no tunnel opened for it" logq \
    "[e.get('api') for e in L if e.get('api')=='StartSession'][-1:] ==
     ['StartSession'] and L[-1]['kind'] != 'eice'"
check "  exit 0, sanitizer-clean" px_check 1
it_done "EICE errors: options, no endpoint, not ready, 403, 429, 1011, drop, duration; IPv6; auto"
