#!/usr/bin/env bash
# Targets by name: every form of %h reaches the right instance (the
# emulator's StartSession log entry names target and region), a .REGION
# suffix reaches the second region, case-insensitive names, an ambiguous
# name and --pick, no match, the name cache (warm: no lookup) and a stale
# entry that recovers.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

WEB1=i-0123456789abcdef0
WEB1_EU=i-0f1f1f1f1f1f1f1f1
# ssh with %n (the host as typed) instead of %h, and extra flags.
# Host keys: known_hosts names the fleet, not web1.eu-west-1: any name.
OPTS=("${SSHOPTS[@]/#UserKnownHostsFile=*/UserKnownHostsFile=$EMU_KNOWN_HOSTS_ANY}")
ssh_n() {	# "flags" host command...
	local f=$1 h=$2
	shift 2
	timeout "$TMO" ssh "${OPTS[@]/#ProxyCommand=*/ProxyCommand=$PXWRAP $f %n %p}" \
	    "$EMU_SSH_USER@$h" "$@" </dev/null
}
# The last StartSession answered 200 for target in region.
started() {	# id region
	logq "[(e['target'], e['region']) for e in L if e['kind']=='api' and
	  e['api']=='StartSession' and e['status']==200][-1] == ('$1', '$2')"
}
lookups() {	# number of DescribeInstances + DescribeInstanceInformation
	/usr/bin/python3 -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get("api") in
    ("DescribeInstances", "DescribeInstanceInformation")))' "$EMU_REQUEST_LOG"
}
run() {	# args... : ssm-proxy directly, stdin closed; rc in $rc, $T/err
	"$SSM_PROXY" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
}

out=$(ssh_n "--cache-ttl 0" web1 echo hello)
check "ssh web1 (no cache): hello ($out)" [ "$out" = hello ]
check "  reached $WEB1 in us-east-1" started $WEB1 us-east-1
out=$(ssh_n "--cache-ttl 0" 10.0.1.5 echo hello)
check "ssh 10.0.1.5: hello ($out)" [ "$out" = hello ]
check "  reached $WEB1" started $WEB1 us-east-1
out=$(ssh_n "--cache-ttl 0" ip-10-0-1-5.ec2.internal echo hello)
check "ssh ip-10-0-1-5.ec2.internal: hello ($out)" [ "$out" = hello ]
check "  reached $WEB1" started $WEB1 us-east-1
out=$(ssh_n "--cache-ttl 0" web1.eu-west-1 echo hello)
check "ssh web1.eu-west-1: hello ($out)" [ "$out" = hello ]
check "  reached $WEB1_EU in eu-west-1" started $WEB1_EU eu-west-1
check "  its lookup was signed for eu-west-1" logq \
    "[e['region'] for e in L if e.get('api')=='DescribeInstances'][-1] ==
     'eu-west-1'"
out=$(ssh_n "--cache-ttl 0" Web1 echo hello)
check "ssh Web1 (%n keeps the case; case-insensitive match): hello" \
    [ "$out" = hello ]
check "  reached $WEB1" started $WEB1 us-east-1
out=$(ssh_n "--cache-ttl 0" DB-PRIMARY echo hello)
check "ssh DB-PRIMARY: hello ($out)" [ "$out" = hello ]
check "  reached Db-Primary, i-0a1a1a1a1a1a1a1a1" started i-0a1a1a1a1a1a1a1a1 \
    us-east-1
out=$(ssh_n "--cache-ttl 0" onprem1 echo hello)
check "ssh onprem1 (managed node, SSM only): hello ($out)" [ "$out" = hello ]
check "  reached mi-0123456789abcdef0" started mi-0123456789abcdef0 us-east-1
out=$(ssh_n "--cache-ttl 0 --pick newest" app echo hello)
check "ssh app --pick newest: hello ($out)" [ "$out" = hello ]
check "  reached i-0b2b2b2b2b2b2b2b2 (launched 2024-06)" \
    started i-0b2b2b2b2b2b2b2b2 us-east-1
check "8 ssm-proxy runs, each exit 0, sanitizer-clean" px_check 8

n0=$(lookups)
run --cache-ttl 0 app 22
check "app: exit 1 (got $rc)" [ $rc -eq 1 ]
check "  the candidates, newest first" same "$T/err" \
'ssm-proxy: 2 instances are named "app" in us-east-1 (profile default): add --pick newest|oldest or connect by id
ssm-proxy:   i-0b2b2b2b2b2b2b2b2  running  us-east-1b  10.0.2.2  launched 2024-06-01T00:00:00.000Z
ssm-proxy:   i-0b1b1b1b1b1b1b1b1  running  us-east-1a  10.0.2.1  launched 2024-01-01T00:00:00.000Z'
check "  no StartSession for it" logq \
    "[e['target'] for e in L if e.get('api')=='StartSession'][-1] !=
     'i-0b1b1b1b1b1b1b1b1'"
run --cache-ttl 0 web9 22
check "web9: exit 1 (got $rc)" [ $rc -eq 1 ]
check "  where it looked" same "$T/err" \
    'ssm-proxy: no instance named "web9" in us-east-1 (profile default, tag Name)'
run --cache-ttl 0 10.9.9.9 22
check "10.9.9.9: exit 1, one line (rc $rc)" same "$T/err" \
    'ssm-proxy: no instance with private IP address 10.9.9.9 in us-east-1 (profile default)'
run --cache-ttl 0 --name-tag Environment web1 22
check "--name-tag Environment web1: no match, names the tag" same "$T/err" \
    'ssm-proxy: no instance named "web1" in us-east-1 (profile default, tag Environment)'
run --pick newer web1 22
check "--pick newer: exit 1, one line" same "$T/err" \
    'ssm-proxy: invalid --pick "newer": expected newest or oldest'
run --cache-ttl 604801 web1 22
check "--cache-ttl 604801: exit 1, one line" same "$T/err" \
    'ssm-proxy: invalid --cache-ttl "604801": expected 0 to 604800 seconds'

# The cache: the first connection looks web1 up, the second does not.
out=$(ssh_n "" web1 echo one)
n1=$(lookups)
out2=$(ssh_n "-v" web1 echo two)
n2=$(lookups)
check "web1 twice: one, two ($out, $out2)" [ "$out$out2" = onetwo ]
check "  the first looked it up ($n0 -> $n1 calls)" [ "$n1" -gt "$n0" ]
check "  the second made no lookup call ($n1 -> $n2)" [ "$n2" -eq "$n1" ]
check "  reached $WEB1" started $WEB1 us-east-1
cache=$(ls "$XDG_CACHE_HOME"/ssm-proxy/names-*.tsv 2>/dev/null | head -n 1)
check "  the cache file is 0600 ($cache)" \
    [ "$(stat -c %a "$cache" 2>/dev/null)" = 600 ]
check "2 ssm-proxy runs, each exit 0, sanitizer-clean" px_check 2

# A stale entry: web1 -> a stopped instance, then -> a terminated one.
for stale in i-0c1c1c1c1c1c1c1c1 i-0f0f0f0f0f0f0f0f0; do
	sed -i "s/\\(^web1	\\)[^	]*/\\1$stale/" "$cache"
	check "cache says web1 is $stale" grep -q "^web1	$stale	" "$cache"
	out=$(ssh_n "" web1 echo hello)
	check "  ssh web1 still works ($out)" [ "$out" = hello ]
	check "  StartSession refused $stale, then reached $WEB1" logq \
	    "[(e['target'], e['status']) for e in L if
	      e.get('api')=='StartSession'][-2:] == [('$stale', 400),
	      ('$WEB1', 200)]"
	check "  the cache says $WEB1 again" grep -q "^web1	$WEB1	" "$cache"
done
check "2 ssm-proxy runs, each exit 0, sanitizer-clean" px_check 2
it_done "names: every target form, .REGION, any case, ambiguity, cache, stale entry"
