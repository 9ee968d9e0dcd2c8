#!/usr/bin/env bash
# The manual page passes mandoc -Tlint, and its SYNOPSIS names every option
# that ssm-proxy --help lists (and no other).
set -u
cd "$(dirname "$0")/../.." || exit 2
command -v mandoc >/dev/null || { echo "mandoc missing: run make deps"; exit 1; }
out=$(mandoc -Tlint -Wwarning man/ssm-proxy.1 2>&1)
if [ -n "$out" ]; then echo "$out"; exit 1; fi
# The usage lines of --help (up to its first blank line; the option list
# after it also gives the long forms of -h, -q, -V and -v).
help=$(./ssm-proxy --help) || { echo "ssm-proxy --help failed"; exit 1; }
help=$(echo "$help" | sed '/^$/q')
syn=$(mandoc -Tascii man/ssm-proxy.1 | sed 's/.\x08//g' | \
	awk '/^SYNOPSIS/{s=1;next} /^[A-Z]/{s=0} s')
opts() { grep -oE -- '--[a-z][a-z-]*|\[-[A-Za-z]+\]' | \
	sed -E 's/^\[-([A-Za-z]+)\]$/\1/' | \
	awk '/^--/{print;next} {n=split($0,c,""); for(i=1;i<=n;i++) print "-" c[i]}' | sort -u; }
a=$(echo "$help" | opts)
b=$(echo "$syn" | opts)
if [ "$a" != "$b" ]; then
	echo "--help and the SYNOPSIS disagree:"
	diff <(echo "$a") <(echo "$b")
	exit 1
fi
echo "#> man page lints clean; SYNOPSIS matches --help ($(echo "$a" | wc -l) options)"
