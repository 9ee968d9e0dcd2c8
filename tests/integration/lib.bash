# Shared setup of the integration tests (sourced, bash).  One emulator per
# test file, the real OpenSSH clients, the sanitizer build of ssm-proxy.
#
#   . "$(dirname "$0")/lib.bash"
#   it_start [emulator flags...]     temp dir $T, emulator, SSH/SSHOPTS arrays
#                                    (extra ssm-proxy flags: write $T/px.flags)
#   check "description" command...   count a pass or a failure
#   px_wait                          wait (bounded) until every ssm-proxy run
#                                    through the wrapper has exited
#   px_check N                       N runs recorded since the last px_check,
#                                    each exited 0, sanitizer-clean stderr
#   it_done "summary"                print the counts, "#> summary", exit
#
# ssh does not wait for its ProxyCommand (it sends it SIGHUP and goes), so
# the ProxyCommand is a small wrapper ($PXWRAP) that runs the binary, passes
# SIGHUP/SIGTERM on, writes the binary's stderr to $T/px/ID.err and its exit
# status to $T/px/ID.rc, and holds a shared flock on $T/px.lock (inherited
# by the binary) for as long as either lives: px_wait takes the lock
# exclusively, which is the event "every ssm-proxy has exited".
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
IT_ROOT=$(pwd)
. tests/emulator/lib.sh

SSM_PROXY=${SSM_PROXY:-$IT_ROOT/build/san/ssm-proxy}
# Any sanitizer report makes ssm-proxy exit non-zero (and we grep stderr).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1:exitcode=87"
TMO=${IT_TIMEOUT:-60}		# seconds for one client command
T=
it_pass=0
it_fail=0

ok() { it_pass=$((it_pass + 1)); echo "ok   $*"; }
bad() { it_fail=$((it_fail + 1)); echo "FAIL $*"; }
check() {	# description command...
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

# Text of a file equals a string exactly (for one-line stderr messages).
same() {	# file expected
	local got
	got=$(cat "$1")
	[ "$got" = "$2" ] && return 0
	echo "  expected: $2"
	echo "  got:      $got"
	return 1
}

# No sanitizer report in any of the files.
san_clean() {
	if grep -l -E 'Sanitizer|runtime error' "$@" 2>/dev/null; then
		grep -h -A 20 -E 'Sanitizer|runtime error' "$@" | head -n 60
		return 1
	fi
	return 0
}

sha() { sha256sum <"$1" | cut -d' ' -f1; }

# For the role tests: HOME in $T, STS at the emulator, and the emulator's
# keys moved from the environment into profile [base] of the credentials
# file (base_ak, base_sk keep them).
creds_base_profile() {
	export HOME=$T/home
	mkdir -p "$HOME"
	export AWS_ENDPOINT_URL_STS=$EMU_API_URL
	base_ak=$AWS_ACCESS_KEY_ID
	base_sk=$AWS_SECRET_ACCESS_KEY
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
	cat >"$AWS_SHARED_CREDENTIALS_FILE" <<EOC
[base]
aws_access_key_id = $base_ak
aws_secret_access_key = $base_sk
EOC
}

# No match of grep's pattern in the files.
absent() {	# grep-options pattern files...
	! grep -q "$@"
}

# A string percent-encoded as in a URL query.
enc() { /usr/bin/python3 -c 'import sys, urllib.parse
print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# None of the secrets the emulator issued (STATE/issued-secrets: TokenValues,
# StreamUrl queries, issued keys and tokens) appears in the files, exactly
# or percent-encoded; at least min of them were issued.  Names the leaks.
issued_secrets_absent() {	# min files...
	local min=$1 sec n=0 leaked=0
	shift
	while IFS= read -r sec; do
		n=$((n + 1))
		if grep -qF -- "$sec" "$@" ||
		    grep -qF -- "$(enc "$sec")" "$@"; then
			leaked=$((leaked + 1))
			echo "  leaked: ${sec:0:12}..."
		fi
	done <"$EMU_STATE/issued-secrets"
	echo "  $n issued secrets checked, $leaked found"
	[ "$n" -ge "$min" ] && [ "$leaked" -eq 0 ]
}

# logq 'python expression over L, the request log records' -> status
logq() {
	/usr/bin/python3 - "$EMU_REQUEST_LOG" "$1" <<'PY'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1]) if l.endswith("\n")]
r = eval("(" + sys.argv[2] + "\n)")
if not r:
    sys.stderr.write("log assertion false: %s\n" % sys.argv[2])
sys.exit(0 if r else 1)
PY
}

it_cleanup() {
	local f p left=0
	trap - EXIT
	if [ -n "$T" ] && [ -d "$T/px" ]; then
		for f in "$T"/px/*.pid "$T"/px/done/*.pid; do
			[ -f "$f" ] || continue
			p=$(cat "$f")
			if [ -n "$p" ] && grep -qa ssm-proxy "/proc/$p/cmdline" \
			    2>/dev/null; then
				echo "FAIL ssm-proxy $p still running at exit: killed"
				kill -KILL "$p" 2>/dev/null
				left=1
			fi
		done
	fi
	[ $left -eq 0 ] || it_fail=$((it_fail + 1))
	if [ -n "$T" ] && { [ "$it_fail" -ne 0 ] || [ -n "${KEEP:-}" ]; } &&
	    [ -d "$T/emu" ]; then
		echo "--- requests.jsonl (tail)"
		tail -n 12 "$T/emu/requests.jsonl" 2>/dev/null
		echo "--- sessions"; emu_ctl get sessions 2>/dev/null | head -c 3000
		echo
		echo "--- emulator.log (tail)"
		tail -n 12 "$T/emu/emulator.log" 2>/dev/null
		for f in "$T"/px/*.err "$T"/px/done/*.err; do
			[ -s "$f" ] || continue
			echo "--- $f (tail)"; tail -n 8 "$f"
		done
	fi
	emu_stop
	if [ -n "$T" ]; then
		if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
	fi
}

it_start() {	# emulator flags...
	if [ ! -x "$SSM_PROXY" ]; then
		echo "FATAL: $SSM_PROXY not built (make tests)"; exit 1
	fi
	emu_require || exit 1
	T=$(mktemp -d /tmp/ssm-integ.XXXXXX) || exit 1
	trap it_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	mkdir -p "$T/emu" "$T/px" && : >"$T/px.lock" || exit 1
	emu_start "$T/emu" "$@" || { echo "FAIL emulator start"; exit 1; }
	# EC2 (names, --list, --start) at the emulator too (env.sh does it;
	# said here for the reader), and the name cache inside $T.
	export AWS_ENDPOINT_URL_EC2=$EMU_API_URL
	export XDG_CACHE_HOME=$T/cache
	PXWRAP=$T/ssm-proxy-wrap
	cat >"$PXWRAP" <<EOF
#!/bin/bash
# ProxyCommand wrapper: run ssm-proxy, record its stderr and exit status.
exec 9<"$T/px.lock"
flock -s 9 || exit 99
id=\$\$
"$SSM_PROXY" \$(cat "$T/px.flags" 2>/dev/null) "\$@" <&0 2>"$T/px/\$id.err" &
pid=\$!
echo "\$pid" >"$T/px/\$id.pid"
trap 'kill -HUP \$pid 2>/dev/null' HUP
trap 'kill -TERM \$pid 2>/dev/null' TERM
# A trapped signal interrupts wait (status > 128): wait again while the
# binary lives; once it is gone, bash still returns its saved status.
while :; do
	wait "\$pid"
	rc=\$?
	[ "\$rc" -le 128 ] && break
	kill -0 "\$pid" 2>/dev/null && continue
	wait "\$pid"
	rc=\$?
	break
done
echo "\$rc" >"$T/px/\$id.rc.tmp" && mv "$T/px/\$id.rc.tmp" "$T/px/\$id.rc"
EOF
	chmod +x "$PXWRAP"
	# Options shared by ssh, scp, sftp (and rsync -e); the port is the
	# emulator's sshd, which the fake agent dials on loopback.
	SSHOPTS=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes
	    -o UserKnownHostsFile="$EMU_KNOWN_HOSTS"
	    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes
	    -o LogLevel=ERROR -o ConnectTimeout=30 -i "$EMU_SSH_KEY"
	    -o Port="$EMU_SSHD_PORT" -o ProxyCommand="$PXWRAP %h %p")
	SSH=(timeout "$TMO" ssh "${SSHOPTS[@]}")
	DEST=$EMU_SSH_USER@$EMU_TARGET
	# EC2 Instance Connect Endpoint: env.sh exports EMU_EICE_PORT (connect
	# there, keep SNI/Host/signature on the DNS name), EMU_EICE_ID and
	# EMU_EICE_DNS (subnet a1), EMU_EICE_FIPS_DNS, EMU_EICE_B_ID and
	# EMU_EICE_B_DNS (subnet a2), EMU_EICE_EU_ID, EMU_EICE_EU_DNS.
	# Hosts behind a bastion (AWS-StartPortForwardingSessionToRemoteHost,
	# EMU_REMOTE_HOST_DOC; multiplexed through build/smuxd): EMU_VIA_HOST
	# (db.internal: this sshd), EMU_VIA_HOST2 (app.internal: a second
	# sshd, EMU_SSHD2_PORT, banner "emu-sshd2"), EMU_VIA_HOST_CLOSED
	# (refuses connections); known_hosts names them with either port.
	echo "emulator $EMU_PID: api $EMU_API_PORT ws $EMU_WS_PORT" \
	    "eice $EMU_EICE_PORT sshd $EMU_SSHD_PORT; temp $T"
}

# ssh options with another ProxyCommand (e.g. extra ssm-proxy flags).
ssh_with() {	# "ssm-proxy flags" -> prints nothing, sets SSHX
	SSHX=(timeout "$TMO" ssh "${SSHOPTS[@]/#ProxyCommand=*/ProxyCommand=$PXWRAP $1 %h %p}")
}

px_wait() {
	timeout "$TMO" flock -x "$T/px.lock" true && return 0
	echo "ssm-proxy still running after ${TMO}s"
	return 1
}

px_check() {	# expected-number-of-runs
	local f n=0 bad_rc=0
	px_wait || return 1
	for f in "$T"/px/*.rc; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		if [ "$(cat "$f")" != 0 ]; then
			echo "  ssm-proxy run $(basename "$f" .rc) exited $(cat "$f")"
			tail -n 5 "${f%.rc}.err"
			bad_rc=1
		fi
	done
	[ "$n" -eq "$1" ] || { echo "  $n ssm-proxy runs recorded, expected $1"
	    bad_rc=1; }
	san_clean "$T"/px/*.err || bad_rc=1
	# The next px_check counts only the runs after this one.
	mkdir -p "$T/px/done"
	mv "$T"/px/*.rc "$T"/px/*.err "$T"/px/*.pid "$T/px/done/" 2>/dev/null
	return $bad_rc
}

it_done() {	# summary
	echo "$it_pass passed, $it_fail failed"
	if [ "$it_fail" -eq 0 ] && [ "$it_pass" -gt 0 ]; then
		echo "#> $1 ($it_pass checks, ${SECONDS}s)"
		exit 0
	fi
	exit 1
}
