#!/usr/bin/env bash
# The shipped traces (tests/traces/*.jsonl) replay through protocol/chan
# with every decision as recorded, and altered copies do not: a flipped
# decision, a flipped ack, a missing "drained" line, a stdout write of
# bytes never delivered, a file that is not a trace.
set -u
cd "$(dirname "$0")/../.." || exit 2
rp=build/san/trace-replay
[ -x "$rp" ] || { echo "$rp not built (make tests)"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
bad=0
n=0

# expect RC FILE PATTERN: trace-replay FILE exits RC and says PATTERN.
expect() {
	local out rc
	out=$("$rp" "$2" 2>&1)
	rc=$?
	n=$((n + 1))
	if [ "$rc" -ne "$1" ] || ! grep -qE -- "$3" <<<"$out"; then
		echo "FAIL $(basename "$2"): exit $rc, want $1 and /$3/"
		echo "  $out"
		bad=1
	else
		echo "ok   $out"
	fi
}

for f in tests/traces/*.jsonl; do
	expect 0 "$f" 'every decision as recorded; final state closed$'
done
[ "$(ls tests/traces/*.jsonl | wc -l)" -ge 3 ] || { echo "FAIL fewer than 3 traces"; bad=1; }

# The first buffered message recorded as delivered.
sed '0,/"decision":"buffered"/s//"decision":"delivered"/' \
    tests/traces/reconnect.jsonl >"$tmp/flipped.jsonl"
expect 1 "$tmp/flipped.jsonl" 'recorded delivered, replay buffered'
# A delivered message recorded as not acknowledged.
sed '0,/"decision":"delivered","acked":true/s//"decision":"delivered","acked":false/' \
    tests/traces/normal.jsonl >"$tmp/unacked.jsonl"
expect 1 "$tmp/unacked.jsonl" 'recorded acked 0, replay 1'
# A gap filled without the buffered messages it released.
sed '0,/"ev":"drained"/{/"ev":"drained"/d}' tests/traces/reconnect.jsonl \
    >"$tmp/nodrain.jsonl"
expect 1 "$tmp/nodrain.jsonl" 'recorded .*, replay drained|replay also drained'
# A stdout write of more than the channel held.
sed -E '0,/"ev":"stdout","n":[0-9]+/s//"ev":"stdout","n":9999999/' \
    tests/traces/pause.jsonl >"$tmp/bigwrite.jsonl"
expect 1 "$tmp/bigwrite.jsonl" 'stdout took 9999999 bytes, the replay holds [0-9]+'
# Not a trace.
printf 'ssm-proxy: hello\n' >"$tmp/junk.jsonl"
expect 2 "$tmp/junk.jsonl" 'not a trace line'
printf '{"t":0,"ev":"start"}\n' >"$tmp/nochan.jsonl"
expect 2 "$tmp/nochan.jsonl" 'no chan line'

[ $bad -eq 0 ] && echo "#> $(ls tests/traces/*.jsonl | wc -l) traces replay as recorded; $((n - $(ls tests/traces/*.jsonl | wc -l))) altered copies fail"
exit $bad
