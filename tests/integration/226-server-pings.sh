#!/usr/bin/env bash
# Pings from the service: the emulator pings every 0.2 s and closes a
# websocket (1011) whose pong is over 3 s late (1 s was met on an idle
# machine but not always under a full CI load; a transfer lasts several
# seconds, so a pong that never comes still shows).  ssm-proxy reads the
# websocket itself once it is open (proxy/wsread.c), so it
# must answer each ping, idle and in the middle of a transfer, with its
# PONG written between whole data frames.  A missed pong shows as a
# ResumeSession (the emulator closed the websocket) and as too few pongs.
. "$(dirname "$0")/faults.bash"
fx_start --ws-ping-interval 0.2 --ws-ping-timeout 3

# 1. Idle for 3 s: about 15 pings.
out=$(timeout "$TMO" ssh "${SSHOPTS[@]}" "$DEST" 'sleep 3; echo done' \
    </dev/null 2>"$T/ssh.err")
rc=$?
check "idle 3 s under pings: ssh exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "  the command's output arrived" [ "$out" = done ]
check "  ssm-proxy exited 0, sanitizer-clean" fx_runs 0
idle=$(stat_of ws_pongs_in)
check "  pings answered: $idle (>= 10)" [ "$idle" -ge 10 ]
check "  no websocket closed for a late pong ($(resumes) ResumeSession)" \
    [ "$(resumes)" -eq 0 ]

# 2. Pings in the middle of 32 MiB each way.
fx_transfer_test down 32 ws_pongs_in 2
fx_transfer_test up 32 ws_pongs_in 2
check "  no websocket closed for a late pong ($(resumes) ResumeSession)" \
    [ "$(resumes)" -eq 0 ]

fx_done "service pings every 0.2 s: $idle answered idle, more during 32 MiB down and up, no reconnect"
