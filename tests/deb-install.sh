#!/usr/bin/env bash
# make check-deb: the package of `make deb` in a clean Debian 12 root.
#
# The root (variant apt, with man-db) is made once by tests/debroot.sh and
# kept in build/debroot/bookworm; each run puts a fresh overlay on it, so
# it starts clean and leaves the cache as it was.  apt installs the .deb
# (its Depends come from Debian's archive; downloaded packages are kept in
# build/debroot/apt-archives), then: ssm-proxy --version, man -w, one ssh
# session through the installed binary (ssh and the emulator run outside
# the root, which shares the network; the test's temp dir with the
# emulator's CA bundle and credentials is bind-mounted at the same path),
# apt-get purge, and every path dpkg -L listed is gone unless another
# package still owns it.
if [ "${DEB_INSTALL_INNER:-}" != 1 ]; then
	exec env DEB_INSTALL_INNER=1 unshare --mount --propagation private \
	    "$0" "$@"
fi
. "$(dirname "$0")/integration/lib.bash"
start=$(date +%s)
ver=$(sed -n 's/^VERSION[[:space:]]*:*=[[:space:]]*//p' Makefile | head -n 1)
[ -f VERSION ] && ver=$(cat VERSION)
deb=$IT_ROOT/ssm-proxy_${ver}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { echo "FATAL: $deb missing (make deb)"; exit 1; }
base=$IT_ROOT/build/debroot/bookworm
archives=$IT_ROOT/build/debroot/apt-archives
tests/debroot.sh bookworm "$base" man-db || { echo "FATAL: debroot"; exit 1; }
mkdir -p "$archives/partial"
# mmdebstrap leaves no package lists: fetch them once into the cached root.
if ! ls "$base"/var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
	tests/debroot-run.sh "$base" -- apt-get update -q >/dev/null ||
	    { echo "FATAL: apt-get update in $base"; exit 1; }
fi

# The overlay, in a temp dir of its own (it_start makes $T later).
O=$(mktemp -d /tmp/ssm-debroot.XXXXXX) || exit 1
R=$O/root
mkdir -p "$O/upper" "$O/work" "$R"
mount -t overlay overlay -o "lowerdir=$base,upperdir=$O/upper,workdir=$O/work" \
    "$R" || { echo "FATAL: overlay mount"; exit 1; }
mount -t proc proc "$R/proc"
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
mount -t tmpfs -o mode=0755 tmpfs "$R/run"
mount --bind "$archives" "$R/var/cache/apt/archives"
cat /etc/resolv.conf >"$R/etc/resolv.conf"
cp "$deb" "$R/tmp/"
inroot() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive chroot "$R" "$@"; }

# The ProxyCommand the ssh test runs: the installed binary, in the root.
mkdir -p "$O/bin"
cat >"$O/bin/ssm-proxy" <<EOS
#!/bin/sh
exec chroot "$R" /usr/bin/ssm-proxy "\$@"
EOS
chmod +x "$O/bin/ssm-proxy"
SSM_PROXY=$O/bin/ssm-proxy

it_start --no-agent-pause
trap 'it_cleanup; umount -R "$R" 2>/dev/null; rm -rf "$O"' EXIT
mkdir -p "$R$T" && mount --bind "$T" "$R$T"

inroot apt-get install -y -q --no-install-recommends \
    "/tmp/$(basename "$deb")" >"$T/apt.log" 2>&1
rc=$?
check "apt-get install of $(basename "$deb") exits 0 (got $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || tail -n 20 "$T/apt.log"
installed() { inroot dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
    grep -q 'ok installed'; }
check "  it pulled its Depends in (libwebsockets17 installed)" \
    installed libwebsockets17
inroot ssm-proxy --version >"$T/version" 2>&1
check "ssm-proxy --version: '$(head -n 1 "$T/version")'" \
    grep -q "^ssm-proxy $ver " "$T/version"
check "man -w ssm-proxy: $(inroot man -w ssm-proxy 2>&1)" \
    [ "$(inroot man -w ssm-proxy 2>&1)" = /usr/share/man/man1/ssm-proxy.1.gz ]

"${SSH[@]}" "$DEST" "printf 'via the package\n'; exit 3" </dev/null \
    >"$T/o1" 2>"$T/e1"
rc=$?
check "ssh through the installed binary: remote exit 3 (got $rc)" [ $rc -eq 3 ]
check "  output exact ('$(cat "$T/o1")')" same "$T/o1" "via the package"
check "  1 ssm-proxy run, exit 0" px_check 1
check "  StartSession, TerminateSession" logq \
    'len([e for e in L if e["kind"]=="api" and e["api"]=="StartSession"
      and e["status"]==200]) == 1 and
     len([e for e in L if e["kind"]=="api" and e["api"]=="TerminateSession"
      and e["status"]==200]) == 1'

inroot dpkg -L ssm-proxy >"$T/files" 2>&1
n=$(wc -l <"$T/files")
check "dpkg -L lists the package's $n paths" [ "$n" -ge 10 ]
inroot apt-get purge -y -q ssm-proxy >"$T/purge.log" 2>&1
rc=$?
check "apt-get purge ssm-proxy exits 0 (got $rc)" [ $rc -eq 0 ]
check "  dpkg no longer has it" eval '! installed ssm-proxy'
left=0
while IFS= read -r p; do
	[ "$p" = /. ] && continue
	[ -e "$R$p" ] || [ -L "$R$p" ] || continue
	[ -d "$R$p" ] && [ ! -L "$R$p" ] &&
	    inroot dpkg-query -S "$p" >/dev/null 2>&1 && continue
	echo "  left: $p"
	left=$((left + 1))
done <"$T/files"
check "  nothing of its $n paths left but directories other packages own" \
    [ $left -eq 0 ]
check "  no file named ssm-proxy* anywhere in the root's changes" \
    [ -z "$(find "$O/upper" -name 'ssm-proxy*' ! -path "$O/upper/tmp/*" \
    -print)" ]
echo "deb-install: $(( $(date +%s) - start )) s"
it_done "the .deb: apt install, --version, man -w, ssh through it, purge leaves nothing"
