#!/usr/bin/env bash
# EC2 Instance Connect end to end: ssm-proxy --push-key / --ephemeral-key
# against the emulator's SendSSHPublicKey, whose keys the real sshd accepts
# for 60 s of emulator time (AuthorizedKeysCommand).  The real ssh client
# and a real ssh-agent; the sanitizer build of ssm-proxy.
set -u
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
. tests/emulator/lib.sh

emu_require || exit 1
command -v ssh-agent >/dev/null || { echo "FATAL: ssh-agent missing"; exit 1; }
command -v strace >/dev/null || { echo "FATAL: strace missing (make deps)"; exit 1; }
PROXY=$root/build/san/ssm-proxy
[ -x "$PROXY" ] || { echo "FATAL: $PROXY not built (make tests)"; exit 1; }
dir=$(mktemp -d /tmp/eic-test.XXXXXX) || exit 1
pass=0
fail=0
agent_pids=()
cleanup() {
	local p
	for p in "${agent_pids[@]}"; do kill "$p" 2>/dev/null; done
	emu_stop
	if [ "$fail" -ne 0 ] || [ "${KEEP:-}" ]; then
		echo "--- emulator.log (tail)"; tail -n 20 "$dir/emulator.log"
		echo "--- sshd.log (tail)"; tail -n 15 "$dir/sshd.log"
		echo "--- requests.jsonl (tail)"; tail -n 10 "$dir/requests.jsonl"
	fi
	[ "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
check() {	# description command...
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
logq() {	# python expression over the records L (after line $MARK)
	/usr/bin/python3 - "$EMU_REQUEST_LOG" "$1" "${MARK:-0}" <<'PY'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.endswith("\n")][int(sys.argv[3]):]
r = eval("(" + sys.argv[2] + "\n)")
if not r:
    sys.stderr.write("log assertion false: %s\n" % sys.argv[2])
sys.exit(0 if r else 1)
PY
}
mark() { MARK=$(wc -l <"$EMU_REQUEST_LOG"); }
no_sanitizer() { ! cat "$@" | grep -E 'Sanitizer|runtime error'; }
start_agent() {	# socket path -> SSH_AUTH_SOCK, pid recorded
	local out
	out=$(ssh-agent -s -a "$1") || return 1
	eval "$out" >/dev/null
	agent_pids+=("$SSH_AGENT_PID")
}

emu_start "$dir" --no-agent-pause || { echo "FAIL emulator start"; exit 1; }
unset SSH_AUTH_SOCK SSH_AGENT_PID
export AWS_MAX_ATTEMPTS=1
T=$EMU_TARGET
U=$EMU_SSH_USER
SSH=(timeout 60 ssh -F /dev/null -o BatchMode=yes
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$EMU_KNOWN_HOSTS"
    -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=40
    -o LogLevel=ERROR -p "$EMU_SSHD_PORT")
mkdir -p "$dir/keys" "$dir/home"
ssh-keygen -q -t ed25519 -N '' -C push-test -f "$dir/keys/ed" || exit 1
ssh-keygen -q -t rsa -b 2048 -N '' -C rsa-test -f "$dir/keys/rsa" || exit 1
ssh-keygen -q -t ecdsa -N '' -f "$dir/keys/ecdsa" || exit 1
pubkey() { awk '{print $1 " " $2}' "$1"; }
ED=(-o IdentitiesOnly=yes -o IdentityAgent=none -i "$dir/keys/ed")

# 1. a key that is not in authorized_keys: refused without --push-key,
# accepted with it; the pushed user is %r
out=$("${SSH[@]}" "${ED[@]}" -o ProxyCommand="$PROXY %h %p" "$U@$T" \
    echo nopush 2>"$dir/e1")
check "without --push-key: refused (exit $?)" [ -z "$out" ]
mark
out=$("${SSH[@]}" "${ED[@]}" -o ProxyCommand="$PROXY --push-key=$dir/keys/ed \
    --os-user %r %h %p" "$U@$T" echo pushed 2>"$dir/e2")
check "with --push-key=PRIVATE-KEY-PATH (.pub beside): ssh works" \
    [ "$out" = pushed ]
check "  SendSSHPublicKey signed (ec2-instance-connect), user %r, that key" \
    logq '[e for e in L if e.get("api")=="SendSSHPublicKey"
      and e["signature"]=="valid" and e["status"]==200
      and e["os_user"]=="'"$U"'" and e["instance_id"]=="'"$T"'"
      and e["ssh_public_key"].startswith("'"$(pubkey "$dir/keys/ed.pub")"'")]'
check "  sshd accepted it through the AuthorizedKeysCommand" \
    grep -q "found at /bin/sh $dir/eic-authorized-keys.sh" "$dir/sshd.log"
out=$("${SSH[@]}" "${ED[@]}" -o ProxyCommand="$PROXY %h %p" "$U@$T" \
    echo still 2>/dev/null)
check "within its 60 s the pushed key works without a new push" \
    [ "$out" = still ]
check "the emulator's default key still works without --push-key" \
    [ "$("${SSH[@]}" -o IdentitiesOnly=yes -o IdentityAgent=none \
    -i "$EMU_SSH_KEY" -o ProxyCommand="$PROXY %h %p" "$U@$T" echo dflt \
    2>/dev/null)" = dflt ]

# 2. 60 s of emulator time later the pushed key is refused
emu_ctl config '{"clock_offset": 61}' >/dev/null
out=$("${SSH[@]}" "${ED[@]}" -o ProxyCommand="$PROXY %h %p" "$U@$T" \
    echo expired 2>/dev/null)
check "after 61 s of emulator time: the pushed key is refused" [ -z "$out" ]
emu_ctl config '{"clock_offset": 0}' >/dev/null

# 3. RSA public key file; the default search: agent first, then ~/.ssh
RSA=(-o IdentitiesOnly=yes -o IdentityAgent=none -i "$dir/keys/rsa")
out=$("${SSH[@]}" "${RSA[@]}" -o ProxyCommand="$PROXY \
    --push-key=$dir/keys/rsa.pub --os-user %r %h %p" "$U@$T" echo rsa \
    2>"$dir/e3")
check "RSA-2048 public key file pushed: ssh works" [ "$out" = rsa ]
mkdir -p "$dir/home/.ssh"
ssh-keygen -q -t ed25519 -N '' -f "$dir/home/.ssh/id_ed25519" || exit 1
mark
out=$(HOME=$dir/home "${SSH[@]}" -o IdentitiesOnly=yes -o IdentityAgent=none \
    -i "$dir/home/.ssh/id_ed25519" -o ProxyCommand="$PROXY --push-key \
    --os-user %r %h %p" "$U@$T" echo home 2>"$dir/e4")
check "--push-key without FILE, no agent: ~/.ssh/id_ed25519.pub" \
    [ "$out" = home ]
check "  that key was pushed" logq '[e for e in L
    if e.get("api")=="SendSSHPublicKey" and e["ssh_public_key"].startswith(
    "'"$(pubkey "$dir/home/.ssh/id_ed25519.pub")"'")]'
start_agent "$dir/agent1.sock" || exit 1
ssh-add -q "$dir/keys/rsa" 2>/dev/null
mark
out=$(HOME=$dir/home "${SSH[@]}" -o IdentitiesOnly=yes \
    -i "$dir/keys/rsa.pub" -o ProxyCommand="$PROXY --push-key \
    --os-user %r %h %p" "$U@$T" echo agent 2>"$dir/e5")
check "--push-key without FILE: the agent's first key (RSA) wins" \
    [ "$out" = agent ]
check "  the agent's key was pushed, not ~/.ssh's" logq '[e for e in L
    if e.get("api")=="SendSSHPublicKey" and e["ssh_public_key"].startswith(
    "'"$(pubkey "$dir/keys/rsa.pub")"'")]'
kill "$SSH_AGENT_PID"; unset SSH_AUTH_SOCK SSH_AGENT_PID

# 4. --ephemeral-key with a real agent and no key file anywhere
empty=$dir/empty
mkdir -p "$empty"
start_agent "$dir/agent2.sock" || exit 1
mark
EPH=(-o IdentityFile="$empty/none" -o IdentitiesOnly=no)
out=$(cd "$empty" && HOME=$empty TMPDIR=$empty "${SSH[@]}" "${EPH[@]}" \
    -o ProxyCommand="env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o $dir/trace -e trace=%%file,%%desc,%%network \
    $PROXY --ephemeral-key --key-lifetime 4 --os-user %r %h %p" \
    "$U@$T" echo ephemeral 2>"$dir/e6")
check "--ephemeral-key, no key files: ssh works" [ "$out" = ephemeral ]
check "  an Ed25519 key was pushed for %r" logq '[e for e in L
    if e.get("api")=="SendSSHPublicKey" and e["status"]==200 and
    e["os_user"]=="'"$U"'" and
    e["ssh_public_key"].startswith("ssh-ed25519 ")]'
check "  nothing written: HOME, TMPDIR and cwd stay empty" \
    [ -z "$(ls -A "$empty")" ]
wrote=$(sed -E 's/^[0-9]+ +//' "$dir/trace" | grep -E \
    '^((open|openat|creat)\(.*O_(WRONLY|RDWR|CREAT|TRUNC)|(rename|renameat2?|link|linkat|symlink|symlinkat|mkdir|mkdirat|truncate|unlink|unlinkat)\()' |
    grep -v -E '"/dev/(null|tty|urandom)"' || true)
check "  strace saw ssm-proxy talk to the agent" grep -q agent2.sock "$dir/trace"
check "  strace: ssm-proxy opened no file for writing" [ -z "$wrote" ] ||
    echo "$wrote" | head -n 5
n=0
# No event tells when an agent drops a key: poll, bounded (10 s).
while ssh-add -l >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -le 100 ] || break
	read -r -t 0.1 <> <(:) || true
done
check "  --key-lifetime 4: the agent no longer holds it" \
    [ "$(ssh-add -l 2>/dev/null | grep -c ssm-proxy-ephemeral)" -eq 0 ]

# 5. eight sessions with --ephemeral-key at once, one agent
mark
pids=()
for i in 1 2 3 4 5 6 7 8; do
	( cd "$empty" && HOME=$empty "${SSH[@]}" "${EPH[@]}" \
	    -o ProxyCommand="$PROXY --ephemeral-key --os-user %r %h %p" \
	    "$U@$T" echo "par$i" >"$dir/par$i.out" 2>"$dir/par$i.err" ) &
	pids+=($!)
done
good=0
for i in 1 2 3 4 5 6 7 8; do
	wait "${pids[$((i - 1))]}" && [ "$(cat "$dir/par$i.out")" = "par$i" ] &&
	    good=$((good + 1))
done
check "8 concurrent --ephemeral-key sessions: $good of 8 succeeded" \
    [ "$good" -eq 8 ]
check "  8 different keys pushed" logq 'len(set(e["ssh_public_key"]
    for e in L if e.get("api")=="SendSSHPublicKey" and e["status"]==200))
    == 8'
check "  the agent got 8 keys" [ "$(ssh-add -l | grep -c ssm-proxy-ephemeral)" -eq 8 ]
kill "$SSH_AGENT_PID"; unset SSH_AUTH_SOCK SSH_AGENT_PID
check "  the agent's socket is the only path used" [ -z "$(ls -A "$empty")" ]

# 6. the push overlaps StartSession: its reply is held until StartSession
# has arrived (a client that waited for it first would get ServiceException)
emu_ctl config '{"eic_hold_until_start_session": true,
    "eic_hold_timeout": 10}' >/dev/null
mark
out=$("${SSH[@]}" "${ED[@]}" -o ProxyCommand="$PROXY --push-key=$dir/keys/ed \
    --os-user %r %h %p" "$U@$T" echo overlap 2>"$dir/e7")
check "held SendSSHPublicKey: the session still opens" [ "$out" = overlap ]
check "  the push was held and answered 200, the websocket came after it" \
    logq '[i for i, e in enumerate(L) if e.get("api")=="SendSSHPublicKey"
      and e.get("held") and e["status"]==200 and not e.get("hold_timed_out")
      and all(i < j for j, w in enumerate(L) if w["kind"]=="websocket")]'
emu_ctl config '{"reset": true}' >/dev/null

# 7. each documented error: one line, exit 5, the session ended
run_push() {	# -> $rc, $err (stderr)
	"$PROXY" --push-key="$dir/keys/ed.pub" --os-user "$U" "$T" \
	    "$EMU_SSHD_PORT" </dev/null >"$dir/push.out" 2>"$dir/push.err"
	rc=$?
	err=$(cat "$dir/push.err")
}
pre="ssm-proxy: cannot push the SSH key for $U@$T:"
while IFS='|' read -r code hint; do
	emu_ctl config '{"fail": {"api": "SendSSHPublicKey", "code": "'"$code"'"}}' \
	    >/dev/null
	mark
	run_push
	want="$pre $hint ($code: Forced by the emulator ($code))"
	if [ "$rc" -eq 5 ] && [ "$err" = "$want" ] && [ ! -s "$dir/push.out" ] &&
	    logq '[e for e in L if e.get("api")=="StartSession"] and all(
	      [t for t in L if t.get("api")=="TerminateSession" and
	       t["session_id"]==s["session_id"]]
	      for s in L if s.get("api")=="StartSession" and s["status"]==200)
	      and not [w for w in L if w["kind"]=="websocket"]'; then
		ok "$code: exit 5, one line, session terminated, no websocket"
	else
		bad "$code: exit $rc"; echo "  got:  $err"; echo "  want: $want"
	fi
done <<'EOF_CODES'
AuthException|not authorized to push a key for this instance and OS user (IAM ec2-instance-connect:SendSSHPublicKey, condition ec2:osuser)
InvalidArgsException|the service refused the key, the OS user or the instance id as invalid
EC2InstanceNotFoundException|no such EC2 instance in this account and region
EC2InstanceStateInvalidException|the instance is not running
EC2InstanceUnavailableException|the instance is unavailable at the moment; try again later
ServiceException|EC2 Instance Connect failed; try again later
ThrottlingException|too many requests (throttled); try again later
EOF_CODES

# 8. refused locally, before any request
mark
"$PROXY" --push-key="$dir/keys/ed.pub" --os-user "$U" "$EMU_TARGET_MI" 22 \
    </dev/null >/dev/null 2>"$dir/l1"
rc=$?
check "mi- target: exit 1 (got $rc)" [ $rc -eq 1 ]
check "  message" [ "$(cat "$dir/l1")" = "ssm-proxy: --push-key: $EMU_TARGET_MI is not an EC2 instance id (i-...): EC2 Instance Connect works only for EC2 instances, not for managed nodes (mi-...) or ECS targets" ]
"$PROXY" --push-key "$T" </dev/null >/dev/null 2>"$dir/l2"
rc=$?
check "--push-key without --os-user: exit 1 (got $rc)" [ $rc -eq 1 ]
check "  message" [ "$(cat "$dir/l2")" = "ssm-proxy: --push-key needs --os-user USER (in ssh_config: ProxyCommand ssm-proxy --push-key --os-user %r %h %p)" ]
"$PROXY" --push-key="$dir/keys/ecdsa.pub" --os-user "$U" "$T" </dev/null \
    >/dev/null 2>"$dir/l3"
rc=$?
check "ECDSA key: exit 6 (got $rc)" [ $rc -eq 6 ]
check "  message" [ "$(cat "$dir/l3")" = "ssm-proxy: unsuitable key $dir/keys/ecdsa.pub: ecdsa-sha2-nistp256 keys are not supported by EC2 Instance Connect: use an Ed25519 or RSA key" ]
ssh-keygen -q -t rsa -b 1024 -N '' -f "$dir/keys/rsa1k" 2>/dev/null
"$PROXY" --push-key="$dir/keys/rsa1k" --os-user "$U" "$T" </dev/null \
    >/dev/null 2>"$dir/l4"
rc=$?
check "RSA-1024 key: exit 6 (got $rc)" [ $rc -eq 6 ]
check "  message" [ "$(cat "$dir/l4")" = "ssm-proxy: unsuitable key $dir/keys/rsa1k.pub: RSA key of 1024 bits: EC2 Instance Connect needs 2048 to 16384 bits (AWS documents 2048 and 4096)" ]
"$PROXY" --ephemeral-key --os-user "$U" "$T" </dev/null >/dev/null \
    2>"$dir/l5"
rc=$?
check "--ephemeral-key without an agent: exit 6 (got $rc)" [ $rc -eq 6 ]
check "  message" [ "$(cat "$dir/l5")" = "ssm-proxy: --ephemeral-key needs a running ssh-agent: SSH_AUTH_SOCK is not set" ]
check "  none of these reached the API" logq 'not [e for e in L
    if e["kind"]=="api"]'
check "no sanitizer report anywhere" no_sanitizer "$dir"/e[0-9] "$dir"/par*.err \
    "$dir"/push.err "$dir"/l*

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && echo "#> EC2 Instance Connect: $pass checks (push," \
    "expiry, agent, ephemeral x8, overlap, 7 errors, local refusals)"
[ "$fail" -eq 0 ]
