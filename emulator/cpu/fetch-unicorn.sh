#!/bin/bash
# fetch-unicorn.sh - put Unicorn >= 2.1 (Debian's libunicorn2t64 and its headers, libunicorn-dev)
# into the project's cache, without changing the system.
#
# Debian bookworm ships Unicorn 2.0.1, which cannot set EFER.SCE (sysretq then raises #UD) and
# stores slowly; trixie's 2.1.x needs only glibc >= 2.34. We download the trixie packages through
# a private apt configuration (its own sources file and lists folder) that reuses the Debian
# mirror the machine is already configured with, and unpack them with dpkg-deb -x.
#
# usage: fetch-unicorn.sh [CACHE]   (default: <project>/.cache/unicorn)
# Skips everything when SYSGATE_UNICORN points at a library, or the cache already holds one.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${1:-$HERE/../../.cache/unicorn}
SUITE=${SYSGATE_UNICORN_SUITE:-trixie}
log() { echo "fetch-unicorn: $*" >&2; }

if [ -n "${SYSGATE_UNICORN:-}" ]; then log "SYSGATE_UNICORN=$SYSGATE_UNICORN, nothing to fetch"; exit 0; fi
mkdir -p "$CACHE"; CACHE=$(cd "$CACHE" && pwd)
if compgen -G "$CACHE/root/usr/lib/*/libunicorn.so.2*" >/dev/null && [ -f "$CACHE/root/usr/include/unicorn/unicorn.h" ]; then
  log "cached in $CACHE"; exit 0
fi
command -v apt-get >/dev/null || { log "no apt-get: install Unicorn >= 2.1 yourself (e.g. 'brew install unicorn') and set SYSGATE_UNICORN=/path/to/libunicorn.so.2"; exit 1; }

# The machine's own Debian mirror, as apt knows it (never a host name written here).
MIRROR=$(apt-get indextargets --format '$(REPO_URI) $(LABEL)' 2>/dev/null | awk '$2 == "Debian" { print $1; exit }')
if [ -z "$MIRROR" ]; then
  MIRROR=$(grep -rhoE '^(deb|URIs:)[[:space:]]+[^[:space:]]+/debian/?([[:space:]]|$)' /etc/apt/sources.list /etc/apt/sources.list.d 2>/dev/null \
           | awk '{ print $2; exit }')
fi
[ -n "$MIRROR" ] || { log "no Debian mirror in this machine's apt sources; set SYSGATE_UNICORN to a libunicorn.so.2 >= 2.1"; exit 1; }

APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/archives/partial" "$APT/debs"
ARCH=$(dpkg --print-architecture)
echo "deb [trusted=yes arch=$ARCH] $MIRROR $SUITE main" > "$APT/sources.list"
: > "$APT/status"
OPTS=(-o "Dir::Etc::SourceList=$APT/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
      -o "Dir::State::Lists=$APT/lists" -o "Dir::State::Status=$APT/status"
      -o "Dir::Cache=$APT" -o "Dir::Cache::archives=$APT/archives"
      -o "APT::Architecture=$ARCH" -o "APT::Architectures=$ARCH" -o "Debug::NoLocking=1"
      -o "Acquire::AllowInsecureRepositories=1" -o "APT::Sandbox::User=root")
log "reading the $SUITE package list from the machine's Debian mirror"
apt-get "${OPTS[@]}" -q update >&2
cd "$APT/debs"
rm -f ./*.deb
apt-get "${OPTS[@]}" -q download libunicorn2t64 libunicorn-dev >&2
rm -rf "$CACHE/root"; mkdir -p "$CACHE/root"
for d in ./*.deb; do dpkg-deb -x "$d" "$CACHE/root"; done
lib=$(compgen -G "$CACHE/root/usr/lib/*/libunicorn.so.2" | head -1)
[ -n "$lib" ] || { log "libunicorn2t64 did not contain libunicorn.so.2"; exit 1; }
log "Unicorn $(basename "$lib") in $CACHE/root"
