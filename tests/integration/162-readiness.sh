#!/usr/bin/env bash
# TargetNotConnected explained: stopped, agent offline since a time, not a
# managed node, always with profile and region; no diagnosis (silently)
# when the lookups are denied; AccessDenied on a name lookup names the
# permission; --start brings a stopped instance up, saying each step.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

STOPPED=i-0c1c1c1c1c1c1c1c1
run() {	# args... : ssm-proxy directly, stdin closed; rc in $rc, $T/err
	"$SSM_PROXY" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
}
TNC='ssm-proxy: StartSession failed: TargetNotConnected:'
WHERE='(profile default, region us-east-1)'

run --cache-ttl 0 offline 22
check "offline: exit 2 (got $rc)" [ $rc -eq 2 ]
check "  agent offline since its last ping" same "$T/err" \
    "$TNC i-0e1e1e1e1e1e1e1e1 is not connected: its SSM agent has been offline (ConnectionLost) since 2024-05-01T08:00:00Z $WHERE"
run i-0d1d1d1d1d1d1d1d1 22
check "noagent (by id): exit 2 (got $rc)" [ $rc -eq 2 ]
check "  not a managed node" same "$T/err" \
    "$TNC i-0d1d1d1d1d1d1d1d1 is not connected: it is not a managed node: no SSM agent has registered it (the instance needs a running agent and an instance profile with AmazonSSMManagedInstanceCore) $WHERE"
run i-0f1f1f1f1f1f1f1f1 22
check "eu-west-1's web1 by id in us-east-1: exit 2 (got $rc)" [ $rc -eq 2 ]
check "  no such instance here" same "$T/err" \
    "$TNC i-0f1f1f1f1f1f1f1f1 is not connected: there is no such instance in this region $WHERE"
run --cache-ttl 0 stopped1 22
check "stopped1: exit 2 (got $rc)" [ $rc -eq 2 ]
check "  stopped; --start would start it" same "$T/err" \
    "$TNC $STOPPED is not connected: the instance is stopped $WHERE; --start would start it"
check "  no StartInstances without --start" logq \
    "not [e for e in L if e.get('api')=='StartInstances']"

emu_ctl config '{"deny": ["ec2:DescribeInstances", "ssm:DescribeInstanceInformation"]}' >/dev/null
run i-0e1e1e1e1e1e1e1e1 22
check "lookups denied: exit 2 (got $rc)" [ $rc -eq 2 ]
check "  no diagnosis, profile and region still said" same "$T/err" \
    "$TNC i-0e1e1e1e1e1e1e1e1 is not connected $WHERE"
run --cache-ttl 0 web1 22
check "name with both lookups denied: exit 2 (got $rc)" [ $rc -eq 2 ]
check "  names the permission" same "$T/err" \
    'ssm-proxy: cannot look up "web1": not allowed to call ec2:DescribeInstances (UnauthorizedOperation)'
emu_ctl config '{"deny": ["ec2:DescribeInstances"]}' >/dev/null
run -v --cache-ttl 0 web1 "$EMU_SSHD_PORT"
check "EC2 denied, SSM answers: web1 connects (exit $rc)" [ $rc -eq 0 ]
check "  a verbose note" grep -q 'looking at managed nodes only' "$T/err"
check "  reached i-0123456789abcdef0" logq \
    "[e['target'] for e in L if e.get('api')=='StartSession'][-1] ==
     'i-0123456789abcdef0'"
emu_ctl config '{"deny": ["ec2:StartInstances"]}' >/dev/null
run --start $STOPPED "$EMU_SSHD_PORT"
check "--start denied: exit 2 (got $rc)" [ $rc -eq 2 ]
check "  one line after the progress line" same "$T/err" \
"ssm-proxy: starting $STOPPED
ssm-proxy: cannot start $STOPPED: not allowed to call ec2:StartInstances (UnauthorizedOperation)"
emu_ctl config '{"deny": []}' >/dev/null

# --start by name: the lookup says stopped, so it is started first.
out=$(timeout "$TMO" ssh "${SSHOPTS[@]/#ProxyCommand=*/ProxyCommand=$PXWRAP --start --cache-ttl 0 %n %p}" \
    "$EMU_SSH_USER@stopped1" echo hello </dev/null 2>"$T/ssherr")
check "ssh --start stopped1: hello ($out)" [ "$out" = hello ]
px_wait
err=$(ls "$T"/px/*.err | head -n 1)
check "  one line per step" same "$err" \
"ssm-proxy: starting $STOPPED (stopped1)
ssm-proxy: $STOPPED is running; waiting for its SSM agent
ssm-proxy: $STOPPED is connected"
check "  StartInstances once, then StartSession reached it" logq \
    "len([e for e in L if e.get('api')=='StartInstances' and
      e['status']==200]) == 1 and
     [(e['target'], e['status']) for e in L if
      e.get('api')=='StartSession'][-1] == ('$STOPPED', 200)"
check "1 ssm-proxy run, exit 0, sanitizer-clean" px_check 1

# --start by id: no lookup says stopped; TargetNotConnected does.
emu_ctl config '{"reset": true, "agent_pause": false}' >/dev/null
run --start $STOPPED "$EMU_SSHD_PORT"
check "--start $STOPPED (by id): exit 0 (got $rc)" [ $rc -eq 0 ]
check "  one line per step" same "$T/err" \
"ssm-proxy: starting $STOPPED
ssm-proxy: $STOPPED is running; waiting for its SSM agent
ssm-proxy: $STOPPED is connected"
it_done "readiness: stopped, offline, no agent, denied lookups, --start"
