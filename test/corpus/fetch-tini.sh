#!/bin/bash
# fetch-tini.sh DEST - get Debian's static tini (package `tini`, /usr/bin/tini-static, amd64) for
# the subreaper test: an init that someone else wrote, run natively and under sysgate.
#
# Leaves DEST/amd64/tini-static; the .deb stays in DEST/debs/amd64/ so a second run needs no
# network. Nothing is installed: `apt-get download` and `dpkg-deb -x`, as fetch-busybox.sh does.
# Exit status: 0 when the binary is in place; 1 with a one-line reason otherwise.
set -euo pipefail

DEST=${1:?usage: fetch-tini.sh DEST}
PKG=tini
ARCH=amd64
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

say() { echo "fetch-tini.sh: $*" >&2; }
fail() { say "$*"; exit 1; }

mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
BIN="$DEST/$ARCH/tini-static"
[ -x "$BIN" ] && [ -s "$BIN" ] && { say "already present: $BIN"; exit 0; }

debs="$DEST/debs/$ARCH"
have_deb() { compgen -G "$debs/${PKG}_*_$ARCH.deb" >/dev/null; }
if ! have_deb; then
  command -v apt-get >/dev/null && command -v dpkg >/dev/null \
    || fail "apt-get/dpkg not found: tini is fetched from Debian packages (Debian/Ubuntu hosts only)"
  [ "$(dpkg --print-architecture)" = "$ARCH" ] || fail "the subreaper test runs tini natively: needs an $ARCH host"
  candidate() { local pol; pol=$(apt-cache policy "$PKG:$ARCH" 2>/dev/null || true); [[ $pol == *"Candidate: "[!\(]* ]]; }
  if ! candidate; then
    [ "$(id -u)" = 0 ] || fail "apt has no candidate for $PKG and only root may run apt-get update"
    say "apt-get update"
    apt-get update -q >&2 || say "warning: apt-get update reported errors"
    candidate || fail "apt has no candidate for $PKG:$ARCH (no network, or no Debian sources?)"
  fi
  mkdir -p "$debs"
  chmod 755 "$DEST" "$DEST/debs" "$debs" # _apt drops privileges for downloads
  say "downloading $PKG:$ARCH"
  (cd "$debs" && apt-get download -q "$PKG:$ARCH" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
  have_deb || fail "apt-get download $PKG:$ARCH failed"
fi

deb=$(ls -1 "$debs/${PKG}_"*"_$ARCH.deb" | sort -V | tail -1)
tmp=$(mktemp -d "$DEST/.x.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp" || fail "dpkg-deb -x $deb failed"
[ -f "$tmp/usr/bin/tini-static" ] || fail "$deb has no usr/bin/tini-static"
mkdir -p "$DEST/$ARCH"
mv -f "$tmp/usr/bin/tini-static" "$BIN"
chmod 755 "$BIN"
[ "$(head -c 4 "$BIN" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || fail "$BIN is not ELF"
say "ready: $BIN"
