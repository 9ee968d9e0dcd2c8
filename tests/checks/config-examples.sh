#!/usr/bin/env bash
# The ssh_config examples parse, and each Host block resolves to the
# ssm-proxy command it documents (ssh -G prints the resulting config);
# the example IAM policy is JSON and grants every action the README names.
set -u
cd "$(dirname "$0")/../.." || exit 2
f=config-examples/ssh_config
fail=0
check() {	# host, expected proxycommand
	got=$(ssh -G -F "$f" "$1" 2>/dev/null </dev/null | sed -n 's/^proxycommand //p')
	if [ "$got" != "$2" ]; then
		echo "$1: proxycommand is \"$got\", want \"$2\""
		fail=1
	fi
}
check i-0123456789abcdef0 "ssm-proxy %h %p"
check mi-0123456789abcdef0 "ssm-proxy %h %p"
check prod-web "ssm-proxy --profile prod --region eu-west-1 %h %p"
check web-eic "ssm-proxy --push-key --os-user %r %h %p"
check build-box "ssm-proxy --ephemeral-key --os-user %r %h %p"
check web1 "ssm-proxy %n %p"
check DB-PRIMARY "ssm-proxy %n %p"
check web1.eu-west-1 "ssm-proxy %n %p"
check batch-7 "ssm-proxy --start %n %p"
check db.vpc.internal "ssm-proxy --via bastion %h %p"
check pg1.db.internal "ssm-proxy --via bastion --share --share-idle 600 %h %p"
check i-0123456789abcdef0.dev \
    "sh -c 'exec ssm-proxy --profile dev --region us-east-2 \"\${0%%.dev}\" \"\$1\"' %h %p"
cm=$(ssh -G -F "$f" i-0123456789abcdef0 2>/dev/null </dev/null | sed -n 's/^controlmaster //p')
[ "$cm" = "auto" ] || { echo "ControlMaster is \"$cm\", want auto"; fail=1; }
# ansible.cfg: Ansible reads it raw (no %% escapes), so ssh must see
# ProxyCommand="ssm-proxy %h %p"; ansible-config (ansible-core, installed
# by make check) parses it and sees what the file sets.
grep -q 'ProxyCommand="ssm-proxy %h %p"' config-examples/ansible.cfg ||
    { echo "ansible.cfg lost its ProxyCommand"; fail=1; }
if [ -x /usr/bin/ansible-config ]; then
	acfg=$(pwd -P)/config-examples/ansible.cfg
	got=$(cd / && env HOME=/nonexistent ANSIBLE_CONFIG="$acfg" \
	    ANSIBLE_LOCAL_TEMP=/tmp ANSIBLE_NOCOLOR=1 \
	    /usr/bin/ansible-config dump --only-changed -t all 2>&1 |
	    sed -n 's/^\(DEFAULT_TIMEOUT\|ssh_args\|control_path\|pipelining\)(.*) = /\1 = /p' |
	    sort -u)
	want='DEFAULT_TIMEOUT = 90
control_path = %(directory)s/%%C
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=10m -o ProxyCommand="ssm-proxy %h %p"'
	[ "$got" = "$want" ] || { echo "ansible-config reads ansible.cfg as:"
	    echo "$got"; fail=1; }
fi
/usr/bin/python3 - config-examples/iam-policy.json <<'EOF' || fail=1
import json, sys
try:
    with open(sys.argv[1]) as f:
        policy = json.load(f)
except ValueError as e:
    sys.exit("iam-policy.json is not JSON: %s" % e)
acts = set()
for st in policy["Statement"]:
    a = st["Action"]
    acts.update([a] if isinstance(a, str) else a)
need = {"ssm:StartSession", "ssm:TerminateSession", "ssm:ResumeSession",
        "ec2:DescribeInstances", "ssm:DescribeInstanceInformation",
        "ec2:StartInstances", "ec2-instance-connect:SendSSHPublicKey"}
if need - acts:
    sys.exit("iam-policy.json lacks %s" % ", ".join(sorted(need - acts)))
EOF
[ $fail -eq 0 ] && echo "#> config-examples/ssh_config resolves as documented (11 hosts); ansible.cfg parses; iam-policy.json is JSON"
exit $fail
