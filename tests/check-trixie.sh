#!/bin/sh
# make check-trixie: the build with -Werror and the whole suite (make
# check) inside a Debian 13 root, which `make deps` run there fills with
# the build and test packages.  The root is kept in build/debroot/trixie;
# the source tree (files git knows of, uncommitted changes included) is
# copied to /src inside it, its build/ kept from the last run.
set -eu
cd "$(dirname "$0")/.."

root=build/debroot/trixie
start=$(date +%s)
tests/debroot.sh trixie "$root" make,ca-certificates,rsync
mkdir -p "$root/src"
git ls-files -z --cached --others --exclude-standard |
    rsync -a --delete-missing-args --from0 --files-from=- ./ "$root/src/"
rc=0
tests/debroot-run.sh "$root" -- sh -c \
    'cd /src && make deps && nice make check' || rc=$?
echo "check-trixie: exit $rc after $(( $(date +%s) - start )) s" \
    "(Debian $(cat "$root/etc/debian_version"))"
exit $rc
