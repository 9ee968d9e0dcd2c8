#!/usr/bin/env bash
# The folders are layers: protocol/ < proxy/aws/, proxy/ssh/ < proxy/.
# A file may include headers of its own folder and of the folders below
# it, never of a folder above it or beside it (proxy/aws/ and proxy/ssh/
# do not know each other).  proxy/compat.h, the operating system's floor,
# may be included from every layer but protocol/, which does no I/O.
# Quoted includes are resolved the way the Makefile's -I list resolves
# them.
set -u
cd "$(dirname "$0")/../.." || exit 2

rank() {	# folder -> allowed folders
	case $1 in
	protocol)	echo "protocol" ;;
	proxy/aws)	echo "protocol proxy/aws" ;;
	proxy/ssh)	echo "protocol proxy/ssh" ;;
	proxy)		echo "protocol proxy/aws proxy/ssh proxy" ;;
	esac
}

where() {	# header name -> its folder, "" if not ours
	local d
	for d in protocol proxy/aws proxy/ssh proxy; do
		[ -f "$d/$1" ] && { echo "$d"; return; }
	done
}

bad=0 n=0
for f in protocol/*.[ch] proxy/*.[ch] proxy/aws/*.[ch] proxy/ssh/*.[ch]; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	dir=$(dirname "$f")
	allowed=" $(rank "$dir") "
	while IFS= read -r h; do
		d=$(where "$h")
		[ -n "$d" ] || continue
		[ "$d/$h" = proxy/compat.h ] && [ "$dir" != protocol ] && continue
		case $allowed in
		*" $d "*) ;;
		*) echo "FAIL $f includes $d/$h, a folder above or beside $dir"
		   bad=$((bad + 1)) ;;
		esac
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
# The check must be able to fail: a planted include from above is caught.
planted=$(printf '#include "log.h"\n' | sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p')
case " $(rank proxy/aws) " in
*" $(where "$planted") "*) echo "self-test: a planted include of log.h from proxy/aws/ passed"; bad=$((bad + 1)) ;;
esac
[ "$bad" -eq 0 ] || exit 1
echo "#> $n files in protocol/, proxy/aws/, proxy/ssh/ and proxy/ include nothing from above"
