#!/bin/bash
# Assembles the kernel entry text. The outputs (entry_64.bin, entry_64.map) are committed; the
# test suite reassembles them and compares, so what runs is always what the source says.
#   usage: build.sh [OUTDIR]      (default: this folder)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE}
command -v nasm >/dev/null || { echo "build.sh: nasm is missing (Debian/Ubuntu: apt-get install nasm)" >&2; exit 1; }
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
# entry_64_compat.asm is %included by entry_64.asm: one kernel text
for src in entry_64 entry_32; do
  # run from a scratch copy so the map names the files the same wherever it is built
  tmp=$(mktemp -d); cp "$HERE"/*.asm "$HERE"/*.inc "$tmp"/
  (cd "$tmp" && nasm -f bin -I ./ -o "$src.bin" "$src.asm")
  cp "$tmp/$src.bin" "$tmp/$src.map" "$OUT"/
  rm -rf "$tmp"
done
