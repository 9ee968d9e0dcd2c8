#!/bin/sh
# Run a command as root inside a Debian root made by tests/debroot.sh,
# in a private mount namespace (its mounts vanish with it) that shares
# this machine's network: loopback and the Debian archive.
#
#   tests/debroot-run.sh DIR [BIND-DIR...] -- COMMAND [ARG...]
#
# DIR gets /proc, /dev (with /dev/pts and /dev/shm), a fresh /tmp and
# /run, and this machine's resolv.conf and hosts; each BIND-DIR is
# bind-mounted at the same path inside.  The environment is cleared but
# for PATH, HOME, LANG and TERM (no credentials of the caller get in) and
# the variables named in $DEBROOT_KEEP_ENV.
set -eu

dir=$(cd "$1" && pwd)
shift
if [ "${DEBROOT_INNER:-}" != 1 ]; then
	exec env DEBROOT_INNER=1 unshare --mount --propagation private \
	    "$0" "$dir" "$@"
fi
mount -t proc proc "$dir/proc"
mount --rbind /dev "$dir/dev"
mount -t tmpfs -o mode=1777 tmpfs "$dir/tmp"
mount -t tmpfs -o mode=0755 tmpfs "$dir/run"
for f in /etc/resolv.conf /etc/hosts; do
	[ -f "$f" ] && cat "$f" >"$dir$f"
done
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	mkdir -p "$dir$1"
	mount --bind "$1" "$dir$1"
	shift
done
[ "${1:-}" = -- ] && shift
keep=
for v in ${DEBROOT_KEEP_ENV:-}; do
	eval "[ -n \"\${$v+x}\" ]" && keep="$keep $v=$(eval "printf %s \"\$$v\"")"
done
# shellcheck disable=SC2086
exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM=dumb $keep chroot "$dir" "$@"
