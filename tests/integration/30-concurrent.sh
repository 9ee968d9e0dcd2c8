#!/usr/bin/env bash
# 16 concurrent ssh sessions through 16 ssm-proxy processes, each
# uploading its own 8 MiB random file (`cat > dst; sha256sum dst`): every
# copy intact, every ssh and every ssm-proxy exits 0.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

N=16
mkdir -p "$T/remote" || exit 1
for i in $(seq 1 $N); do
	head -c $((8 * 1024 * 1024)) /dev/urandom >"$T/in$i.bin" || exit 1
done
t0=$SECONDS
pids=()
for i in $(seq 1 $N); do
	( timeout 120 ssh "${SSHOPTS[@]}" "$DEST" \
	    "cat >$T/remote/dst$i.bin && sha256sum <$T/remote/dst$i.bin" \
	    <"$T/in$i.bin" >"$T/out$i" 2>"$T/err$i"
	  echo $? >"$T/rc$i" ) &
	pids+=($!)
done
wait "${pids[@]}"
secs=$((SECONDS - t0))

bad_rc=0 bad_sum=0 bad_file=0
for i in $(seq 1 $N); do
	want=$(sha "$T/in$i.bin")
	[ "$(cat "$T/rc$i")" = 0 ] || { bad_rc=$((bad_rc + 1))
	    echo "  session $i: ssh exit $(cat "$T/rc$i"): $(head -c 300 "$T/err$i")"; }
	[ "$(cut -d' ' -f1 "$T/out$i")" = "$want" ] ||
	    { bad_sum=$((bad_sum + 1)); echo "  session $i: remote sum differs"; }
	[ "$(sha "$T/remote/dst$i.bin" 2>/dev/null)" = "$want" ] ||
	    { bad_file=$((bad_file + 1)); echo "  session $i: copy differs"; }
done
check "$N concurrent ssh sessions exit 0 (${secs}s)" [ $bad_rc -eq 0 ]
check "  remote sha256sum matches in every session" [ $bad_sum -eq 0 ]
check "  every 8 MiB copy identical (SHA-256)" [ $bad_file -eq 0 ]
check "$N ssm-proxy runs, each exit 0, sanitizer-clean stderr" px_check $N
check "$N distinct sessions started and terminated" logq \
    'len({e["session_id"] for e in L if e["kind"]=="api" and
      e["api"]=="StartSession" and e["status"]==200}) == '$N' and
     len({e["session_id"] for e in L if e["kind"]=="api" and
      e["api"]=="TerminateSession" and e["status"]==200}) == '$N
it_done "$N concurrent sessions x 8 MiB in ${secs}s, all intact"
