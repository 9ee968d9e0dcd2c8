#!/usr/bin/env bash
# The version comes from one place, the Makefile's VERSION: --version
# prints it, README.md's Changes section begins with it, and the second
# line of --version names the libraries that pkg-config built against
# (Debian's -dev packages require the very same library versions at run
# time), the third which calls proxy/compat.c took.
set -u
cd "$(dirname "$0")/../.." || exit 2
B=${SSM_PROXY_REL:-./ssm-proxy}
[ -x "$B" ] || { echo "$B not built (make)"; exit 1; }
fail=0
bad() { echo "FAIL $*"; fail=1; }

v=$(sed -n 's/^VERSION[[:space:]]*:=[[:space:]]*//p' Makefile)
[ -n "$v" ] || { echo "FAIL no VERSION in the Makefile"; exit 1; }
out=$("$B" --version) || bad "--version exited $?"
l1=$(printf '%s\n' "$out" | sed -n 1p)
l2=$(printf '%s\n' "$out" | sed -n 2p)
l3=$(printf '%s\n' "$out" | sed -n 3p)
[ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ] ||
    bad "--version printed $(printf '%s\n' "$out" | wc -l) lines, not 3"
case $l1 in
"ssm-proxy $v (data channel client "*")") ;;
*) bad "first line '$l1' is not 'ssm-proxy $v (data channel client ...)'" ;;
esac
# Debian's libwebsockets.pc says "4.1.6-" (no git tag); --version drops
# the dash.
for lib in "libwebsockets libwebsockets" "openssl OpenSSL" \
    "libcurl libcurl" "yajl yajl" "expat expat"; do
	set -- $lib
	mv=$(pkg-config --modversion "$1" 2>/dev/null) ||
	    { bad "pkg-config knows no $1"; continue; }
	case "$l2, " in
	*"$2 ${mv%-}, "*|*"$2 ${mv%-} "*) ;;
	*) bad "second line '$l2' lacks '$2 ${mv%-}'" ;;
	esac
done
case $l3 in
"system: "?*) ;;
*) bad "third line '$l3' is not 'system: ...'" ;;
esac
if [ "$(uname -s)" = Linux ] && [ "$l3" != "system: POSIX fallbacks only" ]; then
	for c in timerfd MSG_NOSIGNAL; do
		case " ${l3#system: } " in
		*" $c "*) ;;
		*) bad "third line '$l3' lacks Linux's $c" ;;
		esac
	done
fi
top=$(awk '/^## /{ on = ($0 == "## Changes") } on && /^- \*\*/' README.md |
    head -n 1 | sed -n 's/^- \*\*\([^*]*\)\*\*.*/\1/p')
[ "$top" = "$v" ] ||
    bad "README.md's Changes begins with '${top:-nothing}', not the Makefile's $v"
[ $fail -eq 0 ] || exit 1
echo "#> version $v: --version, the libraries' versions, README.md Changes"
