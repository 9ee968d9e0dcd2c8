#!/usr/bin/env bash
# Ansible (Debian's ansible-core, the stock ssh connection) across a fleet
# of emulated instances with config-examples/ansible.cfg as shipped
# (ControlMaster, ControlPersist, pipelining, ProxyCommand ssm-proxy):
# tests/ansible/fleet.yml on every host, half by instance id, half by Name
# tag, through ssm-proxy (make bench runs it on 50 hosts, and over direct
# TCP ssh as the baseline).  Credentials come from an assumed role,
# assumed once for the whole run; after `ssh -O exit` for every host's
# master no ssm-proxy is left and every session was terminated.
# FLEET_HOSTS (10) hosts with as many forks.
. "$(dirname "$0")/lib.bash"
. tests/ansible/fleet.bash
fleet_require || exit 1
N=${FLEET_HOSTS:-10}
it_start --no-agent-pause --set fleet_extra="$N"

creds_base_profile
cat >"$AWS_CONFIG_FILE" <<EOC
[profile fleet]
role_arn = arn:aws:iam::123456789012:role/fleet
source_profile = base
EOC
export AWS_PROFILE=fleet

fleet_prepare "$T" "$PXWRAP" || exit 1
check "HOME of the runs is the roles' HOME" [ "$HOME" = "$T/home" ]
fleet_inventory "$T" "$N" ssm

fleet_run "$T" ssm "$N"
rc=$?
check "ansible-playbook through ssm-proxy: exit 0 (${FLEET_WALL}s)" \
    [ "$rc" = 0 ]
[ "$rc" = 0 ] || tail -n 30 "$T/ssm.log"
check "  every host: ok=8 failed=0 unreachable=0, fetched report, payload" \
    fleet_check "$T" ssm
check "  one AssumeRole for the whole run" logq \
    'len([e for e in L if e.get("api") == "AssumeRole"]) == 1'
check "  every StartSession signed with the role's key" logq \
    'set(e["access_key"] for e in L if e.get("api") == "StartSession") ==
     set(e["issued_access_key"] for e in L if e.get("api") == "AssumeRole")'
check "  one session per host: $N StartSession calls, one per target" logq \
    'sorted(e["target"] for e in L if e.get("api") == "StartSession" and
            e["status"] == 200) == sorted(["i-05%015x" % k
                                           for k in range(1, '"$N"' + 1)])
     and len([e for e in L if e.get("api") == "StartSession"]) == '"$N"
check "  $N ControlMaster sockets" [ "$(fleet_sockets "$T")" = "$N" ]
check "  ssh -O exit for every host" fleet_exit "$T" ssm
check "  no ssm-proxy left; $N runs, each exited 0, sanitizer-clean" \
    px_check "$N"
check "  every session terminated (TerminateSession per StartSession)" logq \
    'sorted(e["session_id"] for e in L if e.get("api") == "TerminateSession"
            and e["status"] == 200) ==
     sorted(e["session_id"] for e in L if e.get("api") == "StartSession"
            and e["status"] == 200)'
check "  no ControlMaster socket left" [ "$(fleet_sockets "$T")" = 0 ]

it_done "ansible-playbook on $N hosts through ssm-proxy, one AssumeRole, all sessions terminated"
