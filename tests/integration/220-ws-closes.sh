#!/usr/bin/env bash
# The websocket closed under a 64 MiB download: once by the service with
# close code 1000 (users see it about hourly), every 4 MiB with code 1000,
# and aborted (no close frame) every 4 MiB.  Each time ssm-proxy calls
# ResumeSession, dials the original StreamUrl with a fresh signature, sends
# OpenDataChannel with the new token, and the stream continues.
. "$(dirname "$0")/faults.bash"
fx_start

r0=$(resumes)
emu_ctl config '{"close_ws_after_bytes": 20000000}' >/dev/null || exit 1
fx_transfer_test down 64 injected_ws_closes 1
check "  one ResumeSession (got $(($(resumes) - r0)))" \
    [ $(($(resumes) - r0)) -eq 1 ]
o=$secs
r0=$(resumes)
emu_ctl config '{"reset": true, "agent_pause": false, "fault_seed": '"$SEED"', "close_ws_every_bytes": 4194304}' >/dev/null
fx_transfer_test down 64 injected_ws_closes 15
check "  15 or more ResumeSession calls (got $(($(resumes) - r0)))" \
    [ $(($(resumes) - r0)) -ge 15 ]
c=$secs
r0=$(resumes)
emu_ctl config '{"reset": true, "agent_pause": false, "fault_seed": '"$SEED"', "drop_ws_every_bytes": 4194304}' >/dev/null
fx_transfer_test down 64 injected_ws_aborts 15
check "  15 or more ResumeSession calls (got $(($(resumes) - r0)))" \
    [ $(($(resumes) - r0)) -ge 15 ]
check "every reconnect dialled the original StreamUrl, signed, new token" \
    logq '[e for e in L if e["kind"]=="websocket"] and all(
      e["status"]==101 and e["url_verbatim"] and e["signature"]=="valid"
      for e in L if e["kind"]=="websocket") and all(
      e["result"]=="ok" for e in L if e["kind"]=="open_data_channel")'
fx_done "64 MiB down: ws closed once ${o}s, closed (1000) every 4 MiB ${c}s, aborted every 4 MiB ${secs}s"
