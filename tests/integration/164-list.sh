#!/usr/bin/env bash
# --list: the table (sorted by name, EC2 joined with SSM), --format
# ssh-config checked with ssh -G, the cache filled by a listing, usage
# errors; 1000 instances over 10 pages: a name among them resolves and the
# listing follows every page.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

run() {	# args... : ssm-proxy directly, stdin closed; rc in $rc
	"$SSM_PROXY" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
}
calls() {	# api: how many requests the emulator logged for it
	/usr/bin/python3 -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get("api") ==
    sys.argv[2]))' "$EMU_REQUEST_LOG" "$1"
}
# Columns split on runs of two or more spaces (PLATFORM has one).
cols() { sed -E 's/  +/|/g' "$T/out"; }

run --list
check "--list: exit 0 (got $rc), stderr empty" [ $rc -eq 0 ] && [ ! -s "$T/err" ]
check "  header" [ "$(cols | head -n 1)" = "ID|NAME|STATE|PING|PLATFORM|PRIVATE-IP|AGENT" ]
check "  web1: running, Online, Amazon Linux, 10.0.1.5" \
    grep -qx 'i-0123456789abcdef0|web1|running|Online|Amazon Linux|10.0.1.5|3\..*' <(cols)
check "  noagent: no ping, no agent" \
    grep -qx 'i-0d1d1d1d1d1d1d1d1|noagent|running|-|Linux/UNIX|10.0.4.1|-' <(cols)
check "  onprem1: the managed node, from SSM" \
    grep -qx 'mi-0123456789abcdef0|onprem1|managed|Online|Ubuntu|192.168.50.10|3\..*' <(cols)
names=$(cols | sed 1d | cut -d'|' -f2 | tr '\n' ' ')
check "  sorted by name, terminated left out ($names)" \
    [ "$names" = "app app Db-Primary isolated noagent offline onprem1 stopped1 v6only web1 " ]

run --list --region eu-west-1
check "--list --region eu-west-1: its one web1" \
    [ "$(cols | sed 1d | cut -d'|' -f1,2)" = "i-0f1f1f1f1f1f1f1f1|web1" ]

run --list --format ssh-config
cp "$T/out" "$T/hosts"
check "--format ssh-config: exit 0 (got $rc)" [ $rc -eq 0 ]
g() { ssh -G -F "$T/hosts" "$1" </dev/null 2>/dev/null | sed -n "s/^$2 //p"; }
check "  ssh -G web1: hostname $(g web1 hostname)" [ "$(g web1 hostname)" = i-0123456789abcdef0 ]
check "  ssh -G web1: proxycommand" \
    [ "$(g web1 proxycommand)" = "ssm-proxy --region us-east-1 %h %p" ]
check "  ssh -G db-primary and Db-Primary: i-0a1a1a1a1a1a1a1a1" \
    [ "$(g db-primary hostname) $(g Db-Primary hostname)" = \
    "i-0a1a1a1a1a1a1a1a1 i-0a1a1a1a1a1a1a1a1" ]
check "  ssh -G onprem1: mi-0123456789abcdef0" \
    [ "$(g onprem1 hostname)" = mi-0123456789abcdef0 ]
check "  app (two instances) has no block, a comment says why" \
    grep -qx '# app: 2 instances, skipped (connect by id)' "$T/hosts"
check "  ssh -G app: hostname stays app" [ "$(g app hostname)" = app ]
# The blocks work: connect through one with the wrapper as ssm-proxy.
sed "s|ProxyCommand ssm-proxy|ProxyCommand $PXWRAP|" "$T/hosts" >"$T/hosts2"
out=$(timeout "$TMO" ssh -F "$T/hosts2" -o BatchMode=yes -o IdentitiesOnly=yes \
    -o UserKnownHostsFile="$EMU_KNOWN_HOSTS_ANY" -o StrictHostKeyChecking=yes \
    -o LogLevel=ERROR -i "$EMU_SSH_KEY" -p "$EMU_SSHD_PORT" \
    "$EMU_SSH_USER@web1" echo hello </dev/null)
check "  ssh -F generated web1: hello ($out)" [ "$out" = hello ]
check "  1 ssm-proxy run, exit 0, sanitizer-clean" px_check 1

# The listing filled the cache: a name now costs no lookup.
n0=$(( $(calls DescribeInstances) + $(calls DescribeInstanceInformation) ))
run -v Db-Primary "$EMU_SSHD_PORT"
n1=$(( $(calls DescribeInstances) + $(calls DescribeInstanceInformation) ))
check "after --list, Db-Primary is cached: StartSession without lookup ($n0 -> $n1)" \
    [ "$n0" -eq "$n1" ]
check "  -v says so" grep -q 'Db-Primary is i-0a1a1a1a1a1a1a1a1 (cached)' "$T/err"

run --list web1
check "--list web1: exit 1, one line" same "$T/err" 'ssm-proxy: --list takes no TARGET'
run --list --format yaml
check "--format yaml: exit 1 (got $rc), one line" same "$T/err" \
    'ssm-proxy: invalid --format "yaml": expected table or ssh-config'
run --format table web1
check "--format without --list: exit 1 (got $rc)" same "$T/err" \
    'ssm-proxy: --format needs --list'
run --list --start
check "--list --start: exit 1 (got $rc)" [ $rc -eq 1 ]

# 1000 instances, pages of at most 100.
emu_ctl config '{"fleet_extra": 990, "ec2_page_cap": 100}' >/dev/null
d0=$(calls DescribeInstances)
run --cache-ttl 0 node-0777 "$EMU_SSHD_PORT"
d1=$(calls DescribeInstances)
check "node-0777 among 1000: exit 0 (got $rc)" [ $rc -eq 0 ]
check "  one DescribeInstances call ($d0 -> $d1)" [ $((d1 - d0)) -eq 1 ]
check "  reached the id of node 777" logq \
    "[e['target'] for e in L if e.get('api')=='StartSession'][-1] ==
     'i-05%015x' % 777"
run --cache-ttl 0 --list
d2=$(calls DescribeInstances)
rows=$(sed 1d "$T/out" | wc -l)
check "--list of 999 instances and 1 node: $rows rows" [ "$rows" -eq 1000 ]
check "  10 DescribeInstances pages ($((d2 - d1)))" [ $((d2 - d1)) -eq 10 ]
check "  every page asked for MaxResults=100, 9 with a NextToken" logq \
    "[(e.get('max_results'), bool(e.get('next_token_given'))) for e in L if
      e.get('api')=='DescribeInstances'][-10:] ==
     [(100, False)] + [(100, True)] * 9"
check "  node-0777 listed once" [ "$(grep -c ' node-0777 ' "$T/out")" -eq 1 ]
it_done "--list: table, ssh-config with ssh -G, cache, 1000 instances in 10 pages"
