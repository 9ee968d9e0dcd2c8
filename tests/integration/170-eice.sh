#!/usr/bin/env bash
# --transport eice: ssh (output bytes, exit status), scp of 64 MiB up and
# down (SHA-256) and sftp through the emulator's EC2 Instance Connect
# Endpoint, reached with --eice-connect-to while TLS, Host and the
# presigned signature stay on the endpoint's DNS name; no SSM session.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

EICE="--transport eice --eice-connect-to 127.0.0.1:$EMU_EICE_PORT"
# Port 22 (the EICE only reaches 22 and 3389; the emulator maps it to its
# sshd), with the host key of the sshd's port.
OPTS=("${SSHOPTS[@]/#ProxyCommand=*/ProxyCommand=$PXWRAP $EICE %h 22}"
    -o HostKeyAlias="[$EMU_TARGET]:$EMU_SSHD_PORT")

timeout "$TMO" ssh "${OPTS[@]}" "$DEST" "printf 'a\nb'; exit 7" </dev/null \
    >"$T/o1" 2>"$T/e1"
rc=$?
check "ssh over EICE: remote exit status 7 (got $rc)" [ $rc -eq 7 ]
printf 'a\nb' >"$T/want1"
check "  output is exactly 'a\\nb'" cmp -s "$T/o1" "$T/want1"
check "  ssh stderr empty" [ ! -s "$T/e1" ]

head -c $((64 * 1024 * 1024)) /dev/urandom >"$T/big.bin" || exit 1
want=$(sha "$T/big.bin")
mkdir -p "$T/remote"
t0=$SECONDS
timeout 180 scp -q "${OPTS[@]}" "$T/big.bin" "$DEST:$T/remote/up.bin" \
    </dev/null 2>"$T/scp-up.err"
rc=$?
up=$((SECONDS - t0))
check "scp 64 MiB up over EICE exits 0 (got $rc, ${up}s)" [ $rc -eq 0 ]
check "  same SHA-256" [ "$(sha "$T/remote/up.bin" 2>/dev/null)" = "$want" ]
t0=$SECONDS
timeout 180 scp -q "${OPTS[@]}" "$DEST:$T/remote/up.bin" "$T/down.bin" \
    </dev/null 2>"$T/scp-down.err"
rc=$?
down=$((SECONDS - t0))
check "scp 64 MiB down over EICE exits 0 (got $rc, ${down}s)" [ $rc -eq 0 ]
check "  same SHA-256" [ "$(sha "$T/down.bin" 2>/dev/null)" = "$want" ]
check "  scp stderr empty" [ -z "$(cat "$T/scp-up.err" "$T/scp-down.err")" ]

head -c $((2 * 1024 * 1024)) /dev/urandom >"$T/f.bin" || exit 1
cat >"$T/batch" <<B
cd $T/remote
put $T/f.bin put.bin
get put.bin $T/got.bin
B
timeout "$TMO" sftp -b "$T/batch" "${OPTS[@]}" "$DEST" </dev/null \
    >"$T/sftp.out" 2>"$T/sftp.err"
rc=$?
check "sftp -b over EICE exits 0 (got $rc)" [ $rc -eq 0 ]
check "  put: same SHA-256" \
    [ "$(sha "$T/remote/put.bin" 2>/dev/null)" = "$(sha "$T/f.bin")" ]
check "  get: same SHA-256" \
    [ "$(sha "$T/got.bin" 2>/dev/null)" = "$(sha "$T/f.bin")" ]

# Behind HTTPS_PROXY: no address override, the proxy's CONNECT goes to
# the endpoint's name, port 443.
out=$(HTTPS_PROXY=$EMU_PROXY_URL NO_PROXY= timeout "$TMO" ssh \
    "${SSHOPTS[@]/#ProxyCommand=*/ProxyCommand=$PXWRAP --transport eice %h 22}" \
    -o HostKeyAlias="[$EMU_TARGET]:$EMU_SSHD_PORT" "$DEST" 'echo proxied' \
    </dev/null 2>/dev/null)
check "through HTTPS_PROXY: ssh works ($out)" [ "$out" = proxied ]
check "  CONNECT to the endpoint's name:443, the tunnel via the proxy" logq \
    "[e['via_proxy'] for e in L if e['kind']=='eice' and
      e.get('event')=='upgrade'][-1] is True and
     [e for e in L if e['kind']=='connect' and
      e.get('target')=='$EMU_EICE_DNS:443']"
check "5 ssm-proxy runs, each exit 0, sanitizer-clean stderr" px_check 5
check "5 tunnels: signed, to web1's address, port 22, closed; no SSM" logq \
    "len([e for e in L if e['kind']=='eice' and e.get('event')=='upgrade'
      and e['status']==101 and e['signature_ok'] and e['ip']=='10.0.1.5'
      and e['port']==22 and e['host']=='$EMU_EICE_DNS'
      and e['sni']=='$EMU_EICE_DNS']) == 5 and
     len([e for e in L if e['kind']=='eice' and e.get('event')=='closed'])
      == 5 and not [e for e in L if e.get('api')=='StartSession']"
check "  64 MiB went up and down through the tunnels" logq \
    "sum(e['bytes_up'] for e in L if e['kind']=='eice' and
      e.get('event')=='closed') > 64 * 1024 * 1024 and
     sum(e['bytes_down'] for e in L if e['kind']=='eice' and
      e.get('event')=='closed') > 64 * 1024 * 1024"
calls() {	# api: how many requests the emulator logged for it
	/usr/bin/python3 -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get("api") ==
    sys.argv[2]))' "$EMU_REQUEST_LOG" "$1"
}
# The route is cached like a name: only the first of the 5 runs looked
# it up.
check "the route was looked up once, then cached" \
    [ "$(calls DescribeInstances)" = 1 -a \
    "$(calls DescribeInstanceConnectEndpoints)" = 1 ]
check "  the cache holds it (0600)" eval \
    'grep -q "^eice:$EMU_TARGET	eice-[0-9a-f]*,$EMU_EICE_DNS,10.0.1.5	" \
    "$XDG_CACHE_HOME"/ssm-proxy/names-*.tsv &&
    [ "$(stat -c %a "$XDG_CACHE_HOME"/ssm-proxy/names-*.tsv)" = 600 ]'
# A cached route the endpoint refuses is forgotten: the next run looks
# it up again and finds the VPC's other endpoint (in another subnet).
emu_ctl config "{\"eice_state\": {\"$EMU_EICE_ID\": \"create-in-progress\"}}" \
    >/dev/null
timeout "$TMO" "$SSM_PROXY" $EICE "$EMU_TARGET" 22 </dev/null >/dev/null \
    2>"$T/stale.err"
rc=$?
check "cached route, endpoint not ready: refused, exit 3 (got $rc)" [ $rc -eq 3 ]
check "  the route is forgotten" eval \
    '! grep -q "^eice:" "$XDG_CACHE_HOME"/ssm-proxy/names-*.tsv'
timeout "$TMO" "$SSM_PROXY" $EICE "$EMU_TARGET" 22 </dev/null >/dev/null \
    2>"$T/again.err"
rc=$?
check "the next run looks it up again ($(calls DescribeInstances) lookups)" \
    [ "$(calls DescribeInstances)" = 2 ]
check "  and goes through the VPC's other endpoint (exit $rc)" eval \
    '[ $rc -eq 0 ] && grep -q "^eice:$EMU_TARGET	$EMU_EICE_B_ID," \
    "$XDG_CACHE_HOME"/ssm-proxy/names-*.tsv'
emu_ctl config '{"eice_state": {}}' >/dev/null
it_done "EICE: ssh exit 7, scp 64 MiB up ${up}s down ${down}s, sftp; SHA-256 identical; route cached"
