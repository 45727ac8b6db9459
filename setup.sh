#!/bin/bash
# setup.sh - everything sysgate and its tests need on a fresh Debian/Ubuntu machine:
#   * the Debian tools the tests use (nasm to re-assemble the kernel entry text, gcc-multilib
#     to build test programs, strace as the reference tracer, tmux for the terminal-UI test);
#   * the npm packages, whose install step compiles the TypeScript (and sysgate-client, the C
#     client of `sysgate serve`, with gcc or musl-gcc) and fetches Unicorn >= 2.1
#     into .cache/unicorn without touching the system (emulator/cpu/fetch-unicorn.sh).
set -euo pipefail
cd "$(dirname "$0")"
log() { echo "setup: $*" >&2; }

# Every Debian package here is optional: sysgate runs without them, the tests that need one skip.
want=(nasm gcc gcc-multilib binutils strace tmux qemu-user musl-tools time golang-go gdb)
missing=()
for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    log "not a Debian/Ubuntu system: install ${missing[*]} yourself (sysgate runs without them; some tests skip)"
  else
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    if [ -n "$SUDO" ] && ! command -v sudo >/dev/null; then
      log "need root to install ${missing[*]} (no sudo): some tests will skip"
    else
      # Another apt (unattended-upgrades on a fresh machine) may hold the dpkg lock: wait for it.
      apt=($SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q)
      log "installing ${missing[*]} (waiting up to 10 minutes if another apt holds the lock)"
      "${apt[@]}" update >&2 || log "warning: apt-get update reported errors"
      if ! "${apt[@]}" install -y "${missing[@]}" >&2; then
        # one by one, so that a package this release lacks does not keep out the others
        for p in "${missing[@]}"; do
          "${apt[@]}" install -y "$p" >&2 || log "warning: could not install $p: the tests that need it will skip"
        done
      fi
    fi
  fi
fi
command -v node >/dev/null || { log "node (>= 20) is required: apt-get install nodejs npm"; exit 1; }
npm install --no-audit --no-fund >&2
