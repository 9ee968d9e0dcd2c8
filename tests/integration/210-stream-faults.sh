#!/usr/bin/env bash
# Agent-to-client faults, each on its own, seeded: a 64 MiB scp download
# (the direction the agent's data flows) with SHA-256 identical, ssm-proxy
# exit 0, and the emulator's counters proving the fault happened.
#   drop 0.1 %       each lost message waits for the agent's resend (oldest
#                    first, one per 100 ms tick): ~60 drops, a few seconds
#   duplicate 1 %    re-acknowledged, delivered once
#   reorder 1 %      held back 1..3 messages, reorder buffer
. "$(dirname "$0")/faults.bash"
fx_start

emu_ctl config '{"drop_output_rate": 0.001}' >/dev/null || exit 1
fx_transfer_test down 64 injected_output_drops 20
d=$secs
emu_ctl config '{"reset": true, "agent_pause": false, "fault_seed": '"$SEED"', "duplicate_output_rate": 0.01}' >/dev/null
fx_transfer_test down 64 injected_output_dups 200
check "  every duplicate acknowledged again (acks_unmatched >= dups)" \
    [ "$(stat_of acks_unmatched)" -ge "$(stat_of injected_output_dups)" ]
u=$secs
emu_ctl config '{"reset": true, "agent_pause": false, "fault_seed": '"$SEED"', "reorder_output_rate": 0.01}' >/dev/null
fx_transfer_test down 64 injected_output_reorders 200
fx_done "64 MiB down under drop 0.1% ${d}s, duplicate 1% ${u}s, reorder 1% ${secs}s"
