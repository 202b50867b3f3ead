#!/bin/sh
# Builds a minimal Debian root filesystem that SSH scan tests reach through a chrooted sshd user.
# Usage: build-debian-target.sh SUITE DEST
# The tree gets SUITE, SUITE-updates and SUITE-security as apt sources but is never upgraded,
# so it lacks every update published after the release's point release.
set -eu
suite=$1
dest=$2
mirror=${PATCHWARDEN_TEST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${PATCHWARDEN_TEST_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
partial="$dest.partial"

rm -rf "$partial"
mkdir -p "$(dirname "$dest")"
debootstrap --variant=minbase "$suite" "$partial" "$mirror" >"$dest.log" 2>&1 || {
  tail -n 20 "$dest.log" >&2
  exit 1
}
if [ "$suite" = bookworm ]; then
  # One-line format, verified with apt's trusted keyrings (no signed-by).
  cat >"$partial/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SOURCES
else
  # deb822 with Signed-By, as trixie installs it; the keyring path exists only on the target.
  rm -f "$partial/etc/apt/sources.list"
  cat >"$partial/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.pgp

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.pgp
SOURCES
fi
rm -rf "$partial/var/lib/apt/lists/"*
mkdir -p "$partial/var/lib/apt/lists/partial"
# sshd's ChrootDirectory must be root-owned and not writable by others, all the way up.
chown root:root "$partial"
chmod 755 "$partial"
mv "$partial" "$dest"
