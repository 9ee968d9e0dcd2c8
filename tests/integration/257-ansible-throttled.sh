#!/usr/bin/env bash
# tests/ansible/fleet.yml on FLEET_HOSTS (12) hosts with 50 forks while the
# emulator throttles StartSession and ResumeSession as the service does
# (knob throttle: a token bucket of THROTTLE_RATE (2) calls per second,
# burst THROTTLE_BURST (4), beyond it ThrottlingException; make check's
# reduced run: Ansible costs seconds of CPU per host on two cores.  `make
# bench` runs 50 hosts at 5/s, burst 10), every host's first connection held at a gate
# until all have come, so that their StartSession calls come at once:
# every host succeeds (the summary says how many calls were throttled),
# fewer StartSession calls than 4 per host, and no host waited more than 60 s for its session.
# Skips (exit 0, says so) when the emulator has no throttle knob.
. "$(dirname "$0")/lib.bash"
. tests/ansible/fleet.bash
fleet_require || exit 1
N=${FLEET_HOSTS:-12}
RATE=${THROTTLE_RATE:-2}
BURST=${THROTTLE_BURST:-4}
it_start --no-agent-pause --set fleet_extra="$N"
if ! emu_ctl config '{"throttle": {"rate": '"$RATE"', "burst": '"$BURST"'}}' \
    >"$T/knob.out" 2>&1; then
	echo "SKIP: the emulator has no throttle knob: $(head -c 200 "$T/knob.out")"
	echo "#> SKIP: the emulator has no throttle knob"
	exit 0
fi
export HOME=$T/home
# A gate before ssm-proxy: every host's first connection waits there until
# all N have arrived, so that the N StartSession calls come at once (as
# with 50 forks on an idle machine) and the bucket of 10 must run dry.
mkfifo "$T/gate.fifo" && exec 7<>"$T/gate.fifo" || exit 1
exec 6>"$T/gate.lock" && flock -x 6 || exit 1
cat >"$T/gate" <<EOF
#!/bin/bash
echo "\$1" >"$T/gate.fifo"
flock -s "$T/gate.lock" true
exec "$PXWRAP" "\$@"
EOF
chmod +x "$T/gate"
fleet_prepare "$T" "$T/gate" || exit 1
fleet_inventory "$T" "$N" ssm

t0=$SECONDS
fleet_run "$T" ssm 50 6>&- 7>&- &
run=$!
n=0
while [ $n -lt "$N" ] && read -r -t 120 -u 7 _; do n=$((n + 1)); done
check "all $N first connections at the gate ($((SECONDS - t0))s)" \
    [ "$n" = "$N" ]
flock -u 6
exec 6>&- 7>&-
wait "$run"
rc=$?
check "ansible-playbook, $N hosts, 50 forks, throttled: exit 0 ($((SECONDS - t0))s)" \
    [ "$rc" = 0 ]
[ "$rc" = 0 ] || tail -n 30 "$T/ssm.log"
check "  every host: ok=8 failed=0 unreachable=0, fetched report, payload" \
    fleet_check "$T" ssm
n_start=$(grep -c '"api": "StartSession"' "$EMU_REQUEST_LOG")
n_thr=$(grep '"api": "StartSession"' "$EMU_REQUEST_LOG" |
    grep -c '"error": "ThrottlingException"')
# Even from the gate, the calls spread over how long ssm-proxy takes to
# start (and to look names up): on a loaded machine N < BURST + RATE x that
# spread, the bucket never empties, and the summary says so (no failure).
if [ "$n_thr" -gt 0 ]; then
	ok "  the throttle bit: $n_thr of $n_start StartSession calls throttled"
	thr="$n_thr of $n_start StartSession calls throttled"
else
	echo "NOTE the throttle did not bite: the $N calls spread too thin"
	thr="NOTE: no call throttled (loaded machine?), no retry exercised"
fi
check "  StartSession calls < 4 x $N hosts" [ "$n_start" -lt $((4 * N)) ]
check "  one session per host" logq \
    'sorted(e["target"] for e in L if e.get("api") == "StartSession" and
            e["status"] == 200) == sorted(["i-05%015x" % k
                                           for k in range(1, '"$N"' + 1)])'
# Every host's first attempt is at or after the run's first StartSession
# (all hosts leave the gate together), so the last success less the first
# attempt bounds every host's wait.
check "  no host waited > 60 s for its session" logq \
    '(lambda t: max(t(e) for e in L if e.get("api") == "StartSession" and
                    e["status"] == 200) -
                min(t(e) for e in L if e.get("api") == "StartSession")
     <= 60)(lambda e: __import__("datetime").datetime.fromisoformat(
                e["time"].replace("Z", "+00:00")).timestamp())'
check "  ssh -O exit for every host" fleet_exit "$T" ssm
check "  no ssm-proxy left; $N runs, each exited 0, sanitizer-clean" \
    px_check "$N"
check "  every session terminated (TerminateSession per StartSession)" logq \
    'sorted(e["session_id"] for e in L if e.get("api") == "TerminateSession"
            and e["status"] == 200) ==
     sorted(e["session_id"] for e in L if e.get("api") == "StartSession"
            and e["status"] == 200)'
it_done "ansible-playbook on $N hosts, 50 forks, StartSession throttled to $RATE/s burst $BURST: $thr"
