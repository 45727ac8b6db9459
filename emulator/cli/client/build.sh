#!/bin/bash
# build.sh - build sysgate-client, the thin client of `sysgate serve`, from sysgate-client.c.
#
# usage: emulator/cli/client/build.sh            rebuild the committed prebuilt binary
#                                                (emulator/cli/client/sysgate-client-x86_64)
#        emulator/cli/client/build.sh --check    rebuild into a temporary file, compare with it
#        emulator/cli/client/build.sh --dist     dist/bin/sysgate-client for this machine (npm's
#                                                build step): compiled when a C compiler is
#                                                there, else a copy of the prebuilt one
#
# The prebuilt binary is static (musl-gcc from Debian's musl-tools, or gcc -static), so it runs
# on any x86-64 Linux; no build id, no symbols, fixed flags: the same bytes every time.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
SRC=$HERE/sysgate-client.c
PREBUILT=$HERE/sysgate-client-x86_64
log() { echo "client/build.sh: $*" >&2; }
FLAGS=(-O2 -Wall -Wextra -static -ffile-prefix-map="$HERE"=. -Wl,--build-id=none -s)

# compile OUT: the first compiler that works, static
compile() {
  local out=$1 cc
  for cc in musl-gcc gcc cc; do
    command -v "$cc" >/dev/null || continue
    if "$cc" "${FLAGS[@]}" -o "$out" "$SRC" 2>/dev/null; then echo "$cc"; return 0; fi
  done
  return 1
}

case "${1:-}" in
  "")
    cc=$(compile "$PREBUILT") || { log "no C compiler could build it (apt-get install musl-tools, or gcc)"; exit 1; }
    log "built $PREBUILT with $cc"
    ;;
  --check)
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' EXIT
    compile "$tmp" >/dev/null || { log "no C compiler could build it"; exit 1; }
    cmp -s "$tmp" "$PREBUILT" || { log "$PREBUILT differs from a fresh build of sysgate-client.c"; exit 1; }
    ;;
  --dist)
    mkdir -p "$ROOT/dist/bin"
    out=$ROOT/dist/bin/sysgate-client
    if ! compile "$out" >/dev/null; then
      [ "$(uname -m)" = x86_64 ] || log "warning: no C compiler, and the prebuilt client is for x86-64 only"
      cp "$PREBUILT" "$out"
    fi
    chmod +x "$out"
    ;;
  *)
    echo "usage: $0 [--check|--dist]" >&2
    exit 2
    ;;
esac
