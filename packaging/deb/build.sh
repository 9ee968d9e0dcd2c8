#!/bin/sh
# Build ssm-proxy_VERSION_ARCH.deb from a built ./ssm-proxy (make deb).
#
#   packaging/deb/build.sh VERSION OUTDIR
#
# Stages the files in OUTDIR/root, takes Depends from the libraries the
# binary links (dpkg-shlibdeps), writes DEBIAN/control (dpkg-gencontrol)
# and packs the tree with root:root ownership (dpkg-deb --root-owner-group,
# no fakeroot).  Run from the top of the source tree.
set -eu

version=$1
out=$2
arch=$(dpkg --print-architecture)
root=$out/root
src=$out/src
doc=$root/usr/share/doc/ssm-proxy

[ -x ssm-proxy ] || { echo "deb: ./ssm-proxy not built" >&2; exit 1; }
rm -rf "$root" "$src"
umask 022
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" \
    "$root/usr/share/lintian/overrides" \
    "$doc/examples" "$root/etc/bash_completion.d" \
    "$root/usr/share/zsh/vendor-completions" "$src/debian"

# The date of the last commit when there is one, so that a rebuild of
# the same tree gives the same package.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null) ||
	    SOURCE_DATE_EPOCH=
	[ -n "$SOURCE_DATE_EPOCH" ] || SOURCE_DATE_EPOCH=$(date +%s)
fi
export SOURCE_DATE_EPOCH

# The binary without its debugging sections (as dh_strip does).
install -m 0755 ssm-proxy "$root/usr/bin/ssm-proxy"
strip --remove-section=.comment --remove-section=.note --strip-unneeded \
    "$root/usr/bin/ssm-proxy"
install -m 0644 man/ssm-proxy.1 "$root/usr/share/man/man1/ssm-proxy.1"
gzip -9n "$root/usr/share/man/man1/ssm-proxy.1"

# bash: the script wraps bash-completion's host completion for ssh, scp
# and sftp, so it must be sourced when bash-completion starts, which it
# does for every file of /etc/bash_completion.d (the directory under
# /usr/share is loaded per command name only).  zsh: sourced from
# ~/.zshrc after compinit (the name does not start with '_', so compinit
# does not take it for a completion function).
install -m 0644 config-examples/ssm-proxy-completion.bash \
    "$root/etc/bash_completion.d/ssm-proxy"
install -m 0644 packaging/deb/lintian-overrides \
    "$root/usr/share/lintian/overrides/ssm-proxy"
install -m 0644 config-examples/ssm-proxy-completion.zsh \
    "$root/usr/share/zsh/vendor-completions/ssm-proxy-completion.zsh"
for f in ssh_config aws-config ansible.cfg iam-policy.json; do
	install -m 0644 "config-examples/$f" "$doc/examples/$f"
done
install -m 0644 README.md "$doc/README.md"
install -m 0644 packaging/deb/copyright "$doc/copyright"

# A native package: its changelog is generated for this version.
date=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
cat >"$src/debian/changelog" <<EOC
ssm-proxy ($version) unstable; urgency=medium

  * Built from the ssm-proxy source tree (make deb); the changes of each
    version are listed at the end of /usr/share/doc/ssm-proxy/README.md.

 -- ssm-proxy developers <dev@ssm-proxy.invalid>  $date
EOC
cp "$src/debian/changelog" "$doc/changelog"
gzip -9n "$doc/changelog"
cp packaging/deb/control "$src/debian/control"

# Depends from the shared libraries, then DEBIAN/control.
(cd "$src" && dpkg-shlibdeps -Tdebian/substvars \
    "$(cd .. && pwd)/root/usr/bin/ssm-proxy" &&
    dpkg-gencontrol -pssm-proxy -Tdebian/substvars \
    -P"$(cd .. && pwd)/root")
echo /etc/bash_completion.d/ssm-proxy >"$root/DEBIAN/conffiles"
(cd "$root" && find usr -type f | LC_ALL=C sort | xargs md5sum) \
    >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" \
    "$root/DEBIAN/md5sums"
find "$root" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h \
    -d "@$SOURCE_DATE_EPOCH" {} +

deb=ssm-proxy_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "deb: $deb"
