#!/usr/bin/env bash
# Late and bad messages, each on its own, seeded:
#   delay 0.1 % by 300 ms   (the agent resends it meanwhile: late copy is a
#                           duplicate)
#   malformed 0.1 %         the first send of a message replaced by a frame
#                           truncated, with a wrong digest or HeaderLength:
#                           never delivered (SHA-256), recovered by the
#                           agent's resend; with an absurd PayloadLength:
#                           taken as the rest of the frame, its digest
#                           matching (PROTOCOL.md "Strictness")
#   acks held back          for 1 s every 2 s of streaming, then sent all
#                           at once: a 64 MiB upload, our RTO resends are
#                           re-acknowledged by the agent
#   start_publication lost  pause_publication 1 MiB into a 4 MiB upload,
#                           the agent away 1 s, then silent until we send:
#                           our probe while paused resumes the session
. "$(dirname "$0")/faults.bash"
fx_start

emu_ctl config '{"delay_output_rate": 0.001, "delay_output_ms": 300}' \
    >/dev/null || exit 1
fx_transfer_test down 64 injected_output_delays 20
d=$secs
emu_ctl config '{"reset": true, "agent_pause": false, "fault_seed": '"$SEED"', "malform_output_rate": 0.001}' >/dev/null
fx_transfer_test down 64 resends 20
for k in truncated digest length header_length; do
	check "  malformed kind $k injected" \
	    [ "$(stat_of injected_malformed_$k)" -ge 1 ]
done
m=$secs
emu_ctl config '{"reset": true, "agent_pause": false, "fault_seed": '"$SEED"', "delay_acks_every": 2, "delay_acks_secs": 1}' \
    >/dev/null
fx_transfer_test up 64 acks_delayed 1000
a=$secs
emu_ctl config '{"reset": true, "agent_pause": false, "fault_seed": '"$SEED"', "pause_lost_start_after_bytes": 1048576}' \
    >/dev/null
fx_transfer_test up 4 injected_lost_starts 1
check "  the agent came back on a frame of ours, no start_publication" \
    logq '[e for e in L if e.get("event")=="pause_ended"]'
fx_done "64 MiB under delay 0.1% ${d}s, malformed 0.1% ${m}s; up with acks held 1 s in 2 ${a}s; 4 MiB up past a lost start_publication ${secs}s"
