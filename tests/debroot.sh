#!/bin/sh
# A Debian root made by mmdebstrap, kept under build/debroot so that the
# next run starts at once (make check-deb, make check-trixie).
#
#   tests/debroot.sh SUITE DIR [PACKAGE,...]
#
# Makes DIR (variant apt, the packages of the third argument added) from
# the Debian archive at $DEBIAN_MIRROR (default deb.debian.org), with the
# suite's updates and security archives, unless DIR/.debroot-done says
# it was made before with the same arguments.  Needs root and mmdebstrap.
set -eu

suite=$1
dir=$2
inc=${3:-}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
secmirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
stamp="$suite $inc $mirror $secmirror"

if [ -f "$dir/.debroot-done" ] && [ "$(cat "$dir/.debroot-done")" = "$stamp" ]
then
	exit 0
fi
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
echo "debroot: making $dir (Debian $suite)"
mmdebstrap --quiet --variant=apt ${inc:+--include="$inc"} \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    "$suite" "$dir" \
    "deb $mirror $suite main" \
    "deb $mirror $suite-updates main" \
    "deb $secmirror $suite-security main"
echo "$stamp" >"$dir/.debroot-done"
