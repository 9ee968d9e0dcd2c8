#!/usr/bin/env bash
# The hourly recycle: the service closes every websocket with code 1000
# and reason "Bye" after about an hour (aws/session-manager-plugin#135).
# The emulator's recycle_ws_secs does it every second here, while one ssh
# command moves 16 MiB in and 16 MiB out at once: the session lives
# through every close (a ResumeSession each), and both files arrive
# intact (SHA-256).
. "$(dirname "$0")/faults.bash"
fx_start --set recycle_ws_secs=1

MIB=16
mkdir -p "$T/remote"
head -c $((MIB * 1048576)) /dev/urandom >"$T/in.bin"
head -c $((MIB * 1048576)) /dev/urandom >"$T/remote/out.bin"
t0=$SECONDS
timeout "$TMO" ssh "${SSHOPTS[@]}" "$DEST" \
    "cat '$T/remote/out.bin' & cat >'$T/remote/in.bin'; wait" \
    <"$T/in.bin" >"$T/out.bin" 2>"$T/ssh.err"
rc=$?
secs=$((SECONDS - t0))
check "ssh: $MIB MiB in and $MIB MiB out at once (exit $rc, ${secs}s)" \
    [ $rc -eq 0 ]
check "  the file sent arrived intact (SHA-256)" \
    [ "$(sha "$T/in.bin")" = "$(sha "$T/remote/in.bin")" ]
check "  the file received arrived intact (SHA-256)" \
    [ "$(sha "$T/remote/out.bin")" = "$(sha "$T/out.bin")" ]
check "  ssm-proxy exit 0, sanitizer-clean" fx_runs 0
n=$(stat_of injected_ws_recycles)
check "  the service closed the websocket $n times (>= 3)" [ "$n" -ge 3 ]
check "  each close was 1000 \"Bye\" and a ResumeSession followed: $(resumes)" \
    [ "$(resumes)" -eq "$n" ]
check "  one session throughout" logq \
    'len([e for e in L if e.get("api")=="StartSession"]) == 1 and
     len([e for e in L if e["kind"]=="open_data_channel" and
          e["result"]=="ok"]) == '"$((n + 1))"
fx_done "$n service closes (1000 Bye) in one session, $MIB MiB each way intact in ${secs}s"
