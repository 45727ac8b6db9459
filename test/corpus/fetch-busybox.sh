#!/bin/bash
# fetch-busybox.sh DEST - get Debian's busybox-static for amd64 and i386 as the reference corpus.
#
# Leaves DEST/amd64/busybox and DEST/i386/busybox (static glibc builds no one here wrote); the
# .debs stay in DEST/debs/<arch>/ so a second run needs no network. Nothing is installed: the
# packages are fetched with `apt-get download` and unpacked with `dpkg-deb -x`. The one system
# change is `dpkg --add-architecture i386` (plus `apt-get update`), which apt needs before it
# will download an i386 package at all.
#
# Exit status: 0 when both binaries are in place; 1 with a one-line reason otherwise (the corpus
# test prints that reason when it skips).
set -euo pipefail

DEST=${1:?usage: fetch-busybox.sh DEST}
PKG=busybox-static
ARCHS="amd64 i386"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

say() { echo "fetch-busybox.sh: $*" >&2; }
fail() { say "$*"; exit 1; }

mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)

have_deb() { compgen -G "$DEST/debs/$1/${PKG}_*_$1.deb" >/dev/null; }
have_bin() { [ -x "$DEST/$1/busybox" ] && [ -s "$DEST/$1/busybox" ]; }

# Everything already there: succeed without needing root or apt (e.g. a CI cache was restored).
all_ready=1
for a in $ARCHS; do have_bin "$a" || all_ready=0; done
[ $all_ready = 1 ] && { say "already present in $DEST"; exit 0; }

extract() {   # arch: unpack the newest .deb, keep only bin/busybox
  local a=$1 deb tmp
  deb=$(ls -1 "$DEST/debs/$a/${PKG}_"*"_$a.deb" | sort -V | tail -1)
  tmp=$(mktemp -d "$DEST/.x.XXXXXX")
  dpkg-deb -x "$deb" "$tmp" || { rm -rf "$tmp"; fail "dpkg-deb -x $deb failed"; }
  [ -f "$tmp/bin/busybox" ] || { rm -rf "$tmp"; fail "$deb has no bin/busybox"; }
  mkdir -p "$DEST/$a"
  mv -f "$tmp/bin/busybox" "$DEST/$a/busybox"
  chmod 755 "$DEST/$a/busybox"
  rm -rf "$tmp"
}

# .debs already downloaded: only dpkg-deb is needed.
need_download=""
for a in $ARCHS; do have_deb "$a" || need_download="$need_download $a"; done

if [ -n "$need_download" ]; then
  command -v apt-get >/dev/null && command -v dpkg >/dev/null \
    || fail "apt-get/dpkg not found: busybox-static is fetched from Debian packages (Debian/Ubuntu hosts only)"
  [ "$(id -u)" = 0 ] || fail "must run as root to fetch busybox-static (dpkg --add-architecture i386, apt-get update)"

  need_update=0
  if [[ " $need_download " == *" i386 "* ]] && ! dpkg --print-foreign-architectures | grep -qx i386 \
     && [ "$(dpkg --print-architecture)" != i386 ]; then
    say "enabling the i386 architecture (dpkg --add-architecture i386)"
    dpkg --add-architecture i386 || fail "dpkg --add-architecture i386 failed"
    need_update=1
  fi
  # (read the whole answer first: `grep -q` closing the pipe early would fail it under pipefail)
  candidate() { local pol; pol=$(apt-cache policy "$PKG:$1" 2>/dev/null || true); [[ $pol == *"Candidate: "[!\(]* ]]; }
  for a in $need_download; do candidate "$a" || need_update=1; done
  if [ $need_update = 1 ]; then
    say "apt-get update"
    # One stale index does not matter as long as the package gets a candidate.
    apt-get update -q >&2 || say "warning: apt-get update reported errors"
  fi
  for a in $need_download; do
    candidate "$a" || fail "apt has no candidate for $PKG:$a (no network, or no Debian sources?)"
    mkdir -p "$DEST/debs/$a"
    # _apt drops privileges for downloads; it must be able to write here.
    chmod 755 "$DEST" "$DEST/debs" "$DEST/debs/$a"
    say "downloading $PKG:$a"
    # (apt warns when _apt cannot reach DEST and downloads as root instead: harmless here)
    (cd "$DEST/debs/$a" && apt-get download -q "$PKG:$a" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) || true
    have_deb "$a" || fail "apt-get download $PKG:$a failed"
  done
fi

for a in $ARCHS; do have_bin "$a" || extract "$a"; done

# The binaries must be what the corpus claims: static ELF of the right machine (no PT_INTERP).
check_elf() {   # file expected-class expected-machine
  local f=$1 cls mach
  [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || fail "$f is not ELF"
  cls=$(od -An -tu1 -j4 -N1 "$f" | tr -d ' ')
  mach=$(od -An -tu2 -j18 -N2 "$f" | tr -d ' ')
  [ "$cls" = "$2" ] && [ "$mach" = "$3" ] || fail "$f: ELF class $cls machine $mach, expected $2/$3"
}
check_elf "$DEST/amd64/busybox" 2 62
check_elf "$DEST/i386/busybox" 1 3
say "ready: $DEST/amd64/busybox $DEST/i386/busybox"
