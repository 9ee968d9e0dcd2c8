#!/usr/bin/env bash
# make bench: ssm-proxy against the emulator (tests/emulator/) and a
# direct-TCP ssh baseline to the same sshd, in one run.  Builds nothing:
# `make bench` runs `make deps` and builds ./ssm-proxy first.
#
#   tests/bench/bench.sh                full run (~3 min on 2 cores)
#   BENCH_QUICK=1 tests/bench/bench.sh  small sizes, for development
#   BENCH_OUT=path                      JSON output (default build/bench.json)
#   KEEP=1                              keep the work directory
#
# Prints a table with the issue's targets and PASS/MISS; writes the same
# figures as JSON.  Exit status: 0 when every transfer arrived intact (a
# MISS is a figure, not a failure), 1 on a wrong SHA-256 or a failed ssh,
# 2 when it cannot run.  When `session-manager-plugin` and `aws` are both
# on PATH they are measured too, in the same run.
#
# ssm-proxy's CPU (user+sys, from wait4 via /usr/bin/time) and peak RSS
# (ru_maxrss) are exact; VmRSS/VmHWM/Private_Dirty (smaps_rollup) are
# sampled every 20 ms by tests/bench/bench_helper.py while a transfer runs.
# ssm-proxy is not dumpable (no core files), so only root reads its
# smaps_rollup: run as another user, the table says why PrivDrt is empty.  The
# emulator's CPU is read from /proc/PID/stat before and after each phase.
set -u
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
. tests/emulator/lib.sh
H="/usr/bin/python3 $root/tests/bench/bench_helper.py"
PROXY=$root/ssm-proxy
OUT=${BENCH_OUT:-$root/build/bench.json}

if [ -n "${BENCH_QUICK:-}" ]; then
	BIG_MB=32 FAITH_MB=4 RAW_ON_MB=4 RAW_OFF_MB=16 CONNECTS=5 CONC_N=10
	CONC_MB=4 PLUGIN_BIG_MB=8 FLEET_N=10 mode=quick
else
	BIG_MB=256 FAITH_MB=16 RAW_ON_MB=16 RAW_OFF_MB=64 CONNECTS=20 CONC_N=100
	CONC_MB=4 PLUGIN_BIG_MB=32 FLEET_N=50 mode=full
fi
CONC_SETUP_MAX=${BENCH_SETUP_MAX:-32}	# sessions in key exchange at once
TMO=${BENCH_TIMEOUT:-600}	# per command
[ -x "$PROXY" ] || { echo "bench: $PROXY missing (make ssm-proxy)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (Debian package time)" >&2; exit 2; }
command -v scp >/dev/null || { echo "bench: scp missing" >&2; exit 2; }
emu_require || exit 2

plugin=
if command -v session-manager-plugin >/dev/null && command -v aws >/dev/null
then
	plugin=$(command -v session-manager-plugin)
fi

# Work files in RAM when /dev/shm has room (3 big files at once + slack).
need_kb=$(( (3 * BIG_MB + 2 * CONC_MB + 64) * 1024 ))
base=/tmp
shm_kb=$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $4}')
[ -n "$shm_kb" ] && [ "$shm_kb" -gt "$need_kb" ] && base=/dev/shm
work=$(mktemp -d "$base/ssm-bench.XXXXXX") || exit 2
emu_dir=$work/emu
mkdir "$emu_dir"
res=$work/results.jsonl
: >"$res"

SAMPLER_PID=
BG_PIDS=()
failed=0
cleanup() {
	local p
	stop_sampler
	for p in "${BG_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	emu_stop
	if [ "${KEEP:-}" ]; then
		echo "bench: work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

note() { printf '%s\n' "bench: $*" >&2; }
now() { printf '%s\n' "$EPOCHREALTIME"; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", a - b }'; }
HZ=$(getconf CLK_TCK)
emu_cpu() { awk '{ print $14 + $15 }' "/proc/$EMU_PID/stat"; }
emu_cpu_s() { awk -v a="$1" -v b="$2" -v hz="$HZ" 'BEGIN { printf "%.3f\n", (b - a) / hz }'; }
rec() { $H rec "$res" "$@"; }
# Reconnects so far: ResumeSession calls the emulator answered.  (Not its
# ws_detached events: a session ended by the TerminateSession API detaches
# its websocket too.)
resumes() { grep -c '"api": "ResumeSession"' "$EMU_REQUEST_LOG" 2>/dev/null; }

# start_sampler EXE INTERVAL_MS OUT: waits for its "ready" line (bounded).
start_sampler() {
	local line=
	rm -f "$work/.sready"
	mkfifo "$work/.sready" || return 1
	$H sample "$1" $$ "$2" "$3" >"$work/.sready" </dev/null &
	SAMPLER_PID=$!
	if ! read -r -t 20 line <"$work/.sready" || [ "$line" != ready ]; then
		note "memory sampler did not start"
		stop_sampler
		return 1
	fi
	rm -f "$work/.sready"
}
stop_sampler() {
	[ -n "$SAMPLER_PID" ] || return 0
	kill -TERM "$SAMPLER_PID" 2>/dev/null
	wait "$SAMPLER_PID" 2>/dev/null
	SAMPLER_PID=
}
# The wrapper's (or /usr/bin/time -f '%e %U %S %M') last line as rec
# arguments; waits (bounded) for the wrapper to release its lock.
time_args() {
	[ -e "$1.lock" ] && flock -w 30 "$1.lock" true
	tail -n 1 "$1" 2>/dev/null | awk 'NF == 4 { printf "proc_wall_s=%s cpu_s=%.2f maxrss_kib=%s\n", $1, $2 + $3, $4 }'
}

SSH_OPTS=(-F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes
    -o UserKnownHostsFile="$work/known_hosts" -o GlobalKnownHostsFile=/dev/null
    -o IdentitiesOnly=yes -o ConnectTimeout=60 -o LogLevel=ERROR
    -o Compression=no)

emu_start "$emu_dir" || exit 2
cp "$EMU_KNOWN_HOSTS" "$work/known_hosts"
SSH_OPTS+=(-i "$EMU_SSH_KEY")
note "emulator pid $EMU_PID, sshd port $EMU_SSHD_PORT, work $work," \
    "mode $mode${plugin:+, with session-manager-plugin}"

# proxy_cmd CLIENT [TIMEFILE]: the ProxyCommand for a client, under the
# rusage wrapper when TIMEFILE is given (not /usr/bin/time: ssh SIGHUPs its
# ProxyCommand, and time dies of it before writing).
proxy_cmd() {
	local pre=
	[ -n "${2:-}" ] && pre="$H wrap $2 -- "
	case $1 in
	ssm-proxy) echo "${pre}$PROXY %h %p" ;;
	name-cold) echo "${pre}$PROXY --cache-ttl 0 %h %p" ;;
	name-warm) echo "${pre}$PROXY %h %p" ;;
	via) echo "${pre}$PROXY --via $EMU_TARGET %h %p" ;;
	eice) echo "${pre}$PROXY --transport eice --eice-connect-to 127.0.0.1:$EMU_EICE_PORT %h 22" ;;
	plugin) echo "${pre}env SSL_CERT_FILE=$EMU_CA_FILE aws ssm start-session --endpoint-url $EMU_API_URL --target %h --document-name AWS-StartSSHSession --parameters portNumber=%p" ;;
	esac
}
# ssh_args CLIENT [TIMEFILE] -> array DEST + OPTS for ssh (port -p) / scp (-P)
set_dest() {
	if [ "$1" = direct ]; then
		PORT_OPT=("$EMU_SSHD_PORT") HOST=127.0.0.1 XOPT=()
	else
		PORT_OPT=("$EMU_SSHD_PORT") HOST=$EMU_TARGET
		# By name (web1 is EMU_TARGET's Name tag): every time looked
		# up, or found in the name cache.
		case $1 in name-*) HOST=web1 ;; via) HOST=$EMU_VIA_HOST ;; esac
		XOPT=(-o ProxyCommand="$(proxy_cmd "$1" "${2:-}")")
		# EICE reaches port 22 only; the emulator maps it to its sshd.
		[ "$1" = eice ] && PORT_OPT=(22) && XOPT+=(-o \
		    HostKeyAlias="[$EMU_TARGET]:$EMU_SSHD_PORT")
	fi
}
set_pause() {	# on|off
	local v=true
	[ "$1" = off ] && v=false
	emu_ctl config "{\"agent_pause\": $v}" >/dev/null ||
	    { note "cannot set agent_pause"; exit 2; }
}

mkfile() {	# path MiB
	head -c $(( $2 * 1048576 )) /dev/urandom >"$1" || exit 2
	sha256sum <"$1" | cut -d' ' -f1 >"$1.sha256"
}

# ---------------------------------------------------------------- connect
connect_bench() {
	local clients=(direct ssm-proxy name-cold name-warm eice) c i t0 t1 rc
	[ -n "$plugin" ] && clients+=(plugin)
	for c in "${clients[@]}"; do : >"$work/conn.$c"; done
	# The name cache of name-warm, filled once before the runs.
	export XDG_CACHE_HOME=$work/cache
	set_dest name-warm
	timeout "$TMO" ssh "${SSH_OPTS[@]}" -p "${PORT_OPT[0]}" "${XOPT[@]}" \
	    "$EMU_SSH_USER@$HOST" true </dev/null 2>>"$work/ssh.err" ||
	    { note "connect: cannot warm the name cache"; failed=1; }
	note "connect: ${#clients[@]} clients x $CONNECTS runs of ssh true"
	for ((i = 0; i < CONNECTS; i++)); do
		for c in "${clients[@]}"; do
			set_dest "$c"
			t0=$(now)
			timeout "$TMO" ssh "${SSH_OPTS[@]}" -p "${PORT_OPT[0]}" \
			    "${XOPT[@]}" "$EMU_SSH_USER@$HOST" true \
			    </dev/null 2>>"$work/ssh.err"
			rc=$?
			t1=$(now)
			if [ $rc -ne 0 ]; then
				note "connect $c run $i: ssh exit $rc"
				echo "$c" >>"$work/conn.failed"
				failed=1
				continue
			fi
			sub "$t1" "$t0" >>"$work/conn.$c"
		done
	done
	for c in "${clients[@]}"; do
		[ -s "$work/conn.$c" ] || continue
		$H connstats <"$work/conn.$c" >"$work/conn.$c.json"
		local bad
		bad=$(grep -cx "$c" "$work/conn.failed" 2>/dev/null)
		rec "connect/$c" "@$work/conn.$c.json" "failures=${bad:-0}" \
		    "intact=$([ "${bad:-0}" -eq 0 ] && echo true || echo false)"
	done
}

# ---------------------------------------------------------------- names
# What a name costs before StartSession, without ssh's noise around it:
# ssm-proxy alone (stdin empty) with --trace; the StartSession event's
# time less the call's own time is when the request left, in ms from the
# process's start.  By id, by name with the cache off, by name with the
# cache warm; interleaved, RUNS times each.
presession_bench() {
	local runs=$((CONNECTS * 2)) c i tr v
	local -A arg=([id]="$EMU_TARGET" [name-cold]="--cache-ttl 0 web1"
	    [name-warm]="web1")
	export XDG_CACHE_HOME=$work/cache
	"$PROXY" web1 "$EMU_SSHD_PORT" </dev/null >/dev/null 2>>"$work/ssh.err"
	note "to StartSession: 3 targets x $runs runs of ssm-proxy alone"
	for c in id name-cold name-warm; do : >"$work/pre.$c"; done
	for ((i = 0; i < runs; i++)); do
		for c in id name-cold name-warm; do
			tr=$work/pre.trace
			rm -f "$tr"
			# shellcheck disable=SC2086
			timeout "$TMO" "$PROXY" --trace "$tr" ${arg[$c]} \
			    "$EMU_SSHD_PORT" </dev/null >/dev/null \
			    2>>"$work/ssh.err"
			v=$(/usr/bin/python3 -c 'import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("ev") == "api" and e.get("op") == "StartSession":
        print((e["t"] - e["ms"]) / 1000.0)
        break' "$tr" 2>/dev/null)
			if [ -z "$v" ]; then
				note "to StartSession $c run $i: no trace event"
				failed=1
				continue
			fi
			echo "$v" >>"$work/pre.$c"
		done
	done
	for c in id name-cold name-warm; do
		[ -s "$work/pre.$c" ] || continue
		$H connstats <"$work/pre.$c" >"$work/pre.$c.json"
		rec "presession/$c" "@$work/pre.$c.json"
	done
}

# ---------------------------------------------------------------- transfers
# xfer CLIENT up|down FILE PAUSE-LABEL
xfer() {
	local c=$1 dir=$2 src=$3 label=$4 tf=$work/xfer.time rc t0 t1 e0 e1
	local dst bytes name="xfer/$1 $2 $4" exe=$PROXY got intact=true
	local smp=$work/xfer.smp
	rm -f "$tf" "$tf.lock" "$smp"
	bytes=$(stat -c %s "$src")
	set_dest "$c" "$tf"
	[ "$c" = plugin ] && exe=$plugin
	if [ "$c" != direct ]; then
		start_sampler "$exe" 20 "$smp" || exit 2
	fi
	note "$name: $((bytes / 1048576)) MiB"
	e0=$(emu_cpu)
	t0=$(now)
	if [ "$dir" = up ]; then
		dst=$work/remote.bin
		timeout "$TMO" scp -q "${SSH_OPTS[@]}" -P "${PORT_OPT[0]}" \
		    "${XOPT[@]}" "$src" "$EMU_SSH_USER@$HOST:$dst" \
		    </dev/null 2>>"$work/ssh.err"
	else
		dst=$work/local.bin
		timeout "$TMO" scp -q "${SSH_OPTS[@]}" -P "${PORT_OPT[0]}" \
		    "${XOPT[@]}" "$EMU_SSH_USER@$HOST:$src" "$dst" \
		    </dev/null 2>>"$work/ssh.err"
	fi
	rc=$?
	t1=$(now)
	e1=$(emu_cpu)
	stop_sampler
	got=$(sha256sum <"$dst" 2>/dev/null | cut -d' ' -f1)
	if [ $rc -ne 0 ] || [ "$got" != "$(cat "$src.sha256")" ]; then
		note "$name: FAILED (scp exit $rc, sha256 ${got:-none})"
		intact=false
		failed=1
	fi
	rm -f "$dst"
	# shellcheck disable=SC2046
	rec "$name" client="$c" direction="$dir" pause="$label" \
	    bytes="$bytes" wall_s="$(sub "$t1" "$t0")" rc=$rc intact=$intact \
	    emu_cpu_s="$(emu_cpu_s "$e0" "$e1")" $(time_args "$tf") \
	    $([ -s "$smp" ] && echo "@$smp")
}

# scp_setup CLIENT PAUSE-LABEL: scp's fixed cost (session setup and
# teardown), the median wall time of copying a 1-byte file, 3 runs; the
# report's "net" rates leave it out.
scp_setup() {
	local c=$1 i t0 t1 rc
	set_dest "$c"
	[ -e "$work/one.bin" ] || printf x >"$work/one.bin"
	: >"$work/setup.times"
	for ((i = 0; i < 3; i++)); do
		t0=$(now)
		timeout "$TMO" scp -q "${SSH_OPTS[@]}" -P "${PORT_OPT[0]}" \
		    "${XOPT[@]}" "$EMU_SSH_USER@$HOST:$work/one.bin" \
		    "$work/one.out" </dev/null 2>>"$work/ssh.err"
		rc=$?
		t1=$(now)
		if [ $rc -ne 0 ] || ! cmp -s "$work/one.bin" "$work/one.out"
		then
			note "setup/$c $2: scp of 1 byte FAILED (exit $rc)"
			failed=1
			rec "setup/$c $2" intact=false
			return
		fi
		sub "$t1" "$t0" >>"$work/setup.times"
		rm -f "$work/one.out"
	done
	$H connstats <"$work/setup.times" >"$work/setup.json"
	rec "setup/$c $2" client="$c" pause="$2" "@$work/setup.json"
}

# agent_ceiling LABEL MiB: no ssh, a TCP source behind the agent; the
# agent's own send rate (target_connected..target_eof) is the ceiling.
agent_ceiling() {
	local label=$1 mb=$2 out=$work/raw.json tf=$work/raw.time e0 e1 port
	note "agent/$label: $mb MiB from a TCP source, no ssh"
	rm -f "$tf"
	e0=$(emu_cpu)
	$H rawdl $((mb * 1048576)) "$out" -- timeout "$TMO" /usr/bin/time \
	    -o "$tf" -f '%e %U %S %M' "$PROXY" "$EMU_TARGET" \
	    2>>"$work/ssh.err" || { note "agent/$label: FAILED"; failed=1; }
	e1=$(emu_cpu)
	[ -s "$out" ] || { note "agent/$label: no result"; failed=1; return; }
	port=$(sed 's/.*"port": \([0-9]*\).*/\1/' "$out")
	$H agentrate "$EMU_REQUEST_LOG" "$port" >"$work/rate.json" ||
	    { note "agent/$label: session not in the request log"; failed=1; }
	# shellcheck disable=SC2046
	rec "agent/$label" "@$out" "@$work/rate.json" pause="$label" \
	    emu_cpu_s="$(emu_cpu_s "$e0" "$e1")" $(time_args "$tf")
}

# ---------------------------------------------------------------- concurrent
# conc CLIENT N MiB: N sessions at once, each echoing MiB through `cat`.
conc() {
	local c=$1 n=$2 mb=$3 in=$work/conc.in i t0 t1 e0 e1 ok=0 sum
	local smp=$work/conc.smp exe=$PROXY want pids=() inflight=0 tailpid line d0
	[ "$c" = plugin ] && exe=$plugin
	mkfile "$in" "$mb"
	want=$(cat "$in.sha256")
	rm -f "$work"/conc.*.sum "$smp"
	start_sampler "$exe" 100 "$smp" || exit 2
	note "concurrent/$c: $n sessions x $mb MiB echoed"
	d0=$(resumes)
	e0=$(emu_cpu)
	t0=$(now)
	# sshd's MaxStartups (64:30:128 in the emulator) drops connections
	# beyond 64 not yet authenticated: admit at most CONC_SETUP_MAX
	# sessions into key exchange at once, counting sshd's log lines.
	rm -f "$work/.sshdlog"
	mkfifo "$work/.sshdlog" || exit 2
	tail -c +$(($(stat -c %s "$EMU_SSHD_LOG") + 1)) -F "$EMU_SSHD_LOG" \
	    2>/dev/null >"$work/.sshdlog" &
	tailpid=$!
	BG_PIDS+=($tailpid)
	exec 8<"$work/.sshdlog"
	set_dest "$c"	# no wrapper: 100 Pythons would skew it
	i=0
	while ((i < n)); do
		if ((inflight < CONC_SETUP_MAX)); then
			( timeout "$TMO" ssh "${SSH_OPTS[@]}" \
			    -p "${PORT_OPT[0]}" "${XOPT[@]}" \
			    "$EMU_SSH_USER@$HOST" cat <"$in" 2>>"$work/ssh.err" |
			    sha256sum | cut -d' ' -f1 >"$work/conc.$i.sum" ) &
			pids+=($!)
			BG_PIDS+=($!)
			i=$((i + 1)) inflight=$((inflight + 1))
			continue
		fi
		if ! read -r -t 120 line <&8; then
			note "concurrent/$c: no sshd progress in 120 s"
			failed=1
			break
		fi
		case $line in
		*"Accepted publickey"* | *"preauth"*closed* | *closed*preauth* | *"drop connection"*)
			inflight=$((inflight - 1)) ;;
		esac
	done
	wait "${pids[@]}"
	exec 8<&-
	kill "$tailpid" 2>/dev/null
	wait "$tailpid" 2>/dev/null
	t1=$(now)
	e1=$(emu_cpu)
	BG_PIDS=()
	stop_sampler
	for ((i = 0; i < n; i++)); do
		[ "$(cat "$work/conc.$i.sum" 2>/dev/null)" = "$want" ] &&
		    ok=$((ok + 1))
	done
	[ $ok -eq "$n" ] || { note "concurrent/$c: $((n - ok)) of $n" \
	    "sessions NOT intact"; failed=1; }
	# shellcheck disable=SC2086
	rec "concurrent/$c" client="$c" sessions="$n" setup_max=$CONC_SETUP_MAX \
	    bytes_each=$((mb * 1048576)) intact_n=$ok \
	    intact="$([ $ok -eq "$n" ] && echo true || echo false)" \
	    wall_s="$(sub "$t1" "$t0")" emu_cpu_s="$(emu_cpu_s "$e0" "$e1")" \
	    resumes=$(($(resumes) - d0)) "@$smp"
	rm -f "$in" "$in.sha256"
}

# ---------------------------------------------------------------- fleet
# tests/ansible/fleet.yml (tests/ansible/fleet.bash) on FLEET_N hosts (or
# BENCH_FLEET_HOSTS) with as many forks, config-examples/ansible.cfg as
# shipped: over direct ssh, through ./ssm-proxy, and through it with the
# emulator's throttle knob (5 StartSession/ResumeSession calls per second,
# burst 10) when it has one.
# Agent pause on (faithful).  Each run is checked host by host.
fleet_bench() {
	local w=$work/fleet n=${BENCH_FLEET_HOSTS:-$FLEET_N} m e0 e1 s0 s1 th0 th1 rc ok label
	. tests/ansible/fleet.bash
	fleet_require >&2 || { note "fleet: skipped"; return; }
	emu_ctl config "{\"fleet_extra\": $n}" >/dev/null ||
	    { note "fleet: cannot set fleet_extra"; failed=1; return; }
	set_pause on
	mkdir -p "$w"
	FLEET_KNOWN_HOSTS=$EMU_KNOWN_HOSTS_ANY fleet_prepare "$w" "$PROXY" >&2 ||
	    { failed=1; return; }
	for label in direct ssm-proxy ssm-proxy-throttled; do
		m=ssm
		[ $label = direct ] && m=direct
		if [ $label = ssm-proxy-throttled ] && ! emu_ctl config \
		    '{"throttle": {"rate": 5, "burst": 10}}' >/dev/null 2>&1
		then
			note "fleet: no throttle knob in the emulator, no throttled row"
			continue
		fi
		fleet_inventory "$w" "$n" "$m"
		note "fleet/$label: fleet.yml on $n hosts, $n forks"
		s0=$(grep -c '"api": "StartSession"' "$EMU_REQUEST_LOG")
		th0=$(grep -c '"error": "ThrottlingException"' "$EMU_REQUEST_LOG")
		e0=$(emu_cpu)
		fleet_run "$w" "$m" "$n"
		rc=$?
		e1=$(emu_cpu)
		s1=$(grep -c '"api": "StartSession"' "$EMU_REQUEST_LOG")
		th1=$(grep -c '"error": "ThrottlingException"' "$EMU_REQUEST_LOG")
		ok=true
		fleet_check "$w" "$m" >"$w/check.$label" 2>&1 && [ $rc = 0 ] ||
		    { ok=false; failed=1; note "fleet/$label: FAILED (exit $rc)"
		    tail -n 5 "$w/check.$label" >&2; }
		fleet_exit "$w" "$m" >&2 || { ok=false; failed=1; }
		rec "fleet/$label" hosts="$n" forks="$n" wall_s="$FLEET_WALL" \
		    emu_cpu_s="$(emu_cpu_s "$e0" "$e1")" \
		    start_sessions=$((s1 - s0)) throttled=$((th1 - th0)) \
		    intact=$ok
	done
	emu_ctl config '{"throttle": null}' >/dev/null 2>&1
}

# ---------------------------------------------------------------- --via
# Hosts behind a bastion: connect time with --via (a session per ssh)
# and through a --share master (a stream per ssh), interleaved in the
# same run; then scp through --via.  The master is started by one
# untimed ssh and ended with SIGTERM.
via_bench() {
	local i c t0 t1 rc m end
	local -A pc=([via]="$PROXY --via $EMU_TARGET %h %p"
	    [via-share]="$PROXY --via $EMU_TARGET --share --share-idle 600 %h %p")
	export XDG_RUNTIME_DIR=$work/xdg
	mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
	timeout "$TMO" ssh "${SSH_OPTS[@]}" -p "$EMU_SSHD_PORT" \
	    -o ProxyCommand="${pc[via-share]}" "$EMU_SSH_USER@$EMU_VIA_HOST" \
	    true </dev/null 2>>"$work/ssh.err" ||
	    { note "via: cannot start the --share master"; failed=1; }
	note "connect: --via and --via --share x $CONNECTS runs of ssh true"
	for c in via via-share; do : >"$work/conn.$c"; done
	for ((i = 0; i < CONNECTS; i++)); do
		for c in via via-share; do
			t0=$(now)
			timeout "$TMO" ssh "${SSH_OPTS[@]}" -p "$EMU_SSHD_PORT" \
			    -o ProxyCommand="${pc[$c]}" \
			    "$EMU_SSH_USER@$EMU_VIA_HOST" true </dev/null \
			    2>>"$work/ssh.err"
			rc=$?
			t1=$(now)
			if [ $rc -ne 0 ]; then
				note "connect $c run $i: ssh exit $rc"
				failed=1
				continue
			fi
			sub "$t1" "$t0" >>"$work/conn.$c"
		done
	done
	for c in via via-share; do
		[ -s "$work/conn.$c" ] || continue
		$H connstats <"$work/conn.$c" >"$work/conn.$c.json"
		rec "connect/$c" "@$work/conn.$c.json"
	done
	m=$(sed -n 's/^ssm-proxy: master \([0-9]*\) on .*/\1/p' \
	    "$XDG_RUNTIME_DIR"/ssm-proxy/*.log 2>/dev/null)
	if [ -n "$m" ]; then
		kill -TERM "$m" 2>/dev/null
		end=$((SECONDS + 30))
		while kill -0 "$m" 2>/dev/null && [ $SECONDS -lt $end ]; do
			sleep 0.1
		done
	fi
	unset XDG_RUNTIME_DIR
	mkfile "$work/via.bin" "$FAITH_MB"
	scp_setup via pause-off
	xfer via up "$work/via.bin" pause-off
	xfer via down "$work/via.bin" pause-off
	rm -f "$work"/via.bin*
}

# ---------------------------------------------------------------- cost
# What a session costs.  Memory at scale: CONC_N ssm-proxy processes, each
# with its tunnel open (the agent connected to a loopback listener of
# bench_helper.py, which says "held"), stdin held open and idle; their
# PSS from smaps_rollup.  Then where the CPU goes, agent pause off: one
# upload and one download of COST_MB with ssm-proxy under `strace -c -f`
# (syscalls), and again under a system-wide `perf record` (functions),
# when perf works.
cost_bench() {
	local n=$CONC_N mb=$((BIG_MB / 4)) i j port="" pids=() d how pc rc
	local fifo=$work/.hold holdpid src=$work/cost.bin perf=
	rm -f "$fifo"
	mkfifo "$fifo" || exit 2
	$H hold >"$fifo" </dev/null &
	holdpid=$!
	BG_PIDS+=("$holdpid")
	read -r -t 20 port <"$fifo"
	rm -f "$fifo"
	[ -n "$port" ] || { note "cost: no listener"; failed=1; return; }
	mkfifo "$fifo" || exit 2
	exec 9<>"$fifo"
	note "cost: $n idle tunnels for PSS"
	# CONC_SETUP_MAX at a time: a hundred TLS handshakes at once
	# overwhelm the emulator.  Each batch opens within 120 s.
	for ((i = 0; i < n; i++)); do
		"$PROXY" "$EMU_TARGET" "$port" <"$fifo" >"$work/held.$i" \
		    2>>"$work/ssh.err" 9>&- &
		pids+=($!)
		((i + 1 < n && (i + 1) % CONC_SETUP_MAX != 0)) && continue
		for ((j = 0; j < 1200; j++)); do
			[ "$(cat "$work"/held.* | grep -cx held)" -gt "$i" ] &&
			    break
			sleep 0.1
		done
	done
	if $H pss "$work/pss.json" "${pids[@]}" &&
	    [ "$(cat "$work"/held.* | grep -cx held)" -eq "$n" ]; then
		rec "pss/ssm-proxy" "@$work/pss.json" intact=true
	else
		note "cost: not every tunnel opened"
		rec "pss/ssm-proxy" intact=false
		failed=1
	fi
	exec 9>&-	# stdin's end: every ssm-proxy ends its session
	rm -f "$fifo"
	j=0
	for i in "${pids[@]}"; do	# bounded: 120 s in all
		while kill -0 "$i" 2>/dev/null && ((j++ < 1200)); do
			sleep 0.1
		done
	done
	kill -TERM "${pids[@]}" "$holdpid" 2>/dev/null
	wait "${pids[@]}" "$holdpid" 2>/dev/null
	BG_PIDS=()
	rm -f "$work"/held.*

	set_pause off
	mkfile "$src" "$mb"
	perf record -q -o "$work/perf.test" true >/dev/null 2>&1 && perf=1
	set_dest ssm-proxy
	for d in up down; do
		note "cost: $d, $mb MiB, under strace -c${perf:+, then perf}"
		: >"$work/perf.txt"
		for how in strace ${perf:+perf}; do
			pc="$PROXY %h %p"
			[ $how = strace ] && pc="strace -c -f -o $work/strace.txt $pc"
			# perf: the ProxyCommand's pid, to pick its samples
			[ $how = perf ] && pc="sh -c 'echo \$\$ >$work/perf.pid; exec $pc'"
			[ $how = perf ] && { perf record -q -a -o "$work/perf.data" \
			    >/dev/null 2>&1 & j=$!; }
			if [ $d = up ]; then
				timeout "$TMO" scp -q "${SSH_OPTS[@]}" -P "${PORT_OPT[0]}" \
				    -o ProxyCommand="$pc" "$src" \
				    "$EMU_SSH_USER@$HOST:$work/cost.out" </dev/null
			else
				timeout "$TMO" scp -q "${SSH_OPTS[@]}" -P "${PORT_OPT[0]}" \
				    -o ProxyCommand="$pc" "$EMU_SSH_USER@$HOST:$src" \
				    "$work/cost.out" </dev/null
			fi 2>>"$work/ssh.err"
			rc=$?
			[ $how = perf ] && { kill -INT "$j"; wait "$j"; }
			if [ $rc -ne 0 ] || ! cmp -s "$src" "$work/cost.out"; then
				note "cost: $d under $how FAILED (scp exit $rc)"
				failed=1
				continue 2
			fi
			rm -f "$work/cost.out"
		done
		[ -n "$perf" ] && perf report -i "$work/perf.data" \
		    --pid "$(cat "$work/perf.pid")" --no-children --percentage relative --sort dso,sym --stdio \
		    2>/dev/null >"$work/perf.txt"
		$H costtop "$work/cost.json" "$work/strace.txt" "$work/perf.txt" &&
		    rec "cost/ssm-proxy $d" "@$work/cost.json" \
		    bytes=$((mb * 1048576)) direction=$d
	done
	rm -f "$src" "$src.sha256" "$work"/perf.* "$work/cost.out"
}

# ---------------------------------------------------------------- run
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
rec meta kind=meta date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" mode=$mode \
    host="$(nproc) cpu, $cpu, $(uname -r)" \
    commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    connect_runs=$CONNECTS plugin="${plugin:-absent}" \
    ssh="$(ssh -V 2>&1)" load_start="$(cut -d' ' -f1 /proc/loadavg)"
clients=(ssm-proxy)
[ -n "$plugin" ] && clients+=(plugin)

set_pause on
connect_bench
presession_bench
agent_ceiling pause-on "$RAW_ON_MB"

# Faithful: the agent's 1 ms pause after each sshd read.
mkfile "$work/faith.bin" "$FAITH_MB"
for c in direct "${clients[@]}"; do
	scp_setup "$c" pause-on
	xfer "$c" up "$work/faith.bin" pause-on
	xfer "$c" down "$work/faith.bin" pause-on
done
rm -f "$work"/faith.bin*

# The client's own ceiling: no pause.
set_pause off
agent_ceiling pause-off "$RAW_OFF_MB"
mkfile "$work/big.bin" "$BIG_MB"
# eice: the emulator's EC2 Instance Connect Endpoint relay (Python).
for c in direct ssm-proxy eice; do
	scp_setup "$c" pause-off
	xfer "$c" up "$work/big.bin" pause-off
	xfer "$c" down "$work/big.bin" pause-off
done
rm -f "$work"/big.bin*
via_bench
if [ -n "$plugin" ]; then	# the plugin is slow: a smaller file
	mkfile "$work/pbig.bin" "$PLUGIN_BIG_MB"
	scp_setup plugin pause-off
	xfer plugin up "$work/pbig.bin" pause-off
	xfer plugin down "$work/pbig.bin" pause-off
	rm -f "$work"/pbig.bin*
fi

cost_bench
for c in "${clients[@]}"; do
	conc "$c" "$CONC_N" "$CONC_MB"
done
fleet_bench

rec meta kind=meta load_end="$(cut -d' ' -f1 /proc/loadavg)"
echo
mkdir -p "$(dirname "$OUT")"
$H report "$res" "$OUT" || failed=1
echo
echo "bench: JSON in $OUT"
[ -s "$work/ssh.err" ] && { echo "bench: ssh/scp stderr (tail):"; tail -n 5 "$work/ssh.err"; }
exit $failed
