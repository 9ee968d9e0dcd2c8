#!/usr/bin/env bash
# Every data-channel fault at once, seeded: drops, duplicates, reordering,
# late and malformed messages, acks held back (0.25 s in every second, so
# that even a fast upload meets the windows), the websocket closed (1000)
# every 8 MiB; a 64 MiB scp down and up, SHA-256 identical.
. "$(dirname "$0")/faults.bash"
fx_start

emu_ctl config '{"drop_output_rate": 0.0005, "duplicate_output_rate": 0.005,
    "reorder_output_rate": 0.005, "delay_output_rate": 0.0005,
    "malform_output_rate": 0.0005, "delay_acks_every": 1,
    "delay_acks_secs": 0.25, "close_ws_every_bytes": 8388608}' >/dev/null ||
    exit 1
fx_transfer_test down 64 injected_ws_closes 7
d=$secs
for k in injected_output_drops injected_output_dups injected_output_reorders \
    injected_output_delays acks_delayed; do
	check "  $k: $(stat_of $k)" [ "$(stat_of $k)" -ge 1 ]
done
check "  malformed frames injected" [ "$(stat_of injected_malformed_digest)" \
    -ge 1 ]
fx_transfer_test up 64 acks_delayed 100
fx_done "all faults together: 64 MiB down ${d}s, up ${secs}s, SHA-256 identical"
