#!/usr/bin/env bash
# Builds sysgate's vDSO images from the sources in this folder, the way Linux builds its own
# (arch/x86/entry/vdso/Makefile): C and assembly compiled -fPIC, the linker script run through
# cpp, linked with ld -shared --hash-style=both, then checked as vdso2c checks (no dynamic
# relocations, no undefined symbols, one PT_LOAD starting at offset 0).
#
#   kernel-model/vdso/build.sh [OUTDIR]
#
# OUTDIR defaults to this folder: vdso64.so, vdso32.so and TOOLCHAIN (the gcc and binutils that
# made them) are committed. The output is byte-for-byte reproducible with the same toolchain:
# no debug info, sources named by relative path, a content-derived build id.
# test/vdso rebuilds into a temporary folder and compares when TOOLCHAIN matches the machine.
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$(mkdir -p "${1:-$SRC}" && cd "${1:-$SRC}" && pwd)"
CC="${CC:-gcc}"
LD="${LD:-ld}"
READELF="${READELF:-readelf}"

# The kernel version the "Linux" note announces (KERNEL_VERSION(6, 1, 0)).
LINUX_VERSION_CODE=$(( (6 << 16) + (1 << 8) + 0 ))

OBJ="$(mktemp -d)"
trap 'rm -rf "$OBJ"' EXIT

# Flags after Linux's vDSO flags: no stack protector, no SSE/MMX state, frame pointers and
# unwind tables for debuggers, no CET notes; -march fixed so the code does not follow the
# compiler's default target.
CFLAGS_COMMON=(-std=gnu11 -O2 -fPIC -ffreestanding -fno-builtin -fno-common -fno-stack-protector
  -fno-omit-frame-pointer -foptimize-sibling-calls -fasynchronous-unwind-tables
  -fcf-protection=none -fno-jump-tables -mno-sse -mno-mmx -Wall -Wextra -Werror -I.)
CFLAGS_64=(-m64 -march=x86-64 -mtune=generic -mcmodel=small "${CFLAGS_COMMON[@]}")
CFLAGS_32=(-m32 -march=i686 -mtune=generic -mregparm=0 "${CFLAGS_COMMON[@]}")
ASFLAGS=(-DLINUX_VERSION_CODE="$LINUX_VERSION_CODE" -I.)
# -Bsymbolic: calls inside the image (the i386 fallback calls __kernel_vsyscall) bind locally.
LDFLAGS=(-shared --hash-style=both --build-id=sha1 --eh-frame-hdr -Bsymbolic --no-undefined
  -z max-page-size=4096 -z common-page-size=4096 -z noexecstack -z norelro -z noseparate-code)

lds() { # <input .lds.S> <output .lds>
  "$CC" -E -P -x assembler-with-cpp -Ulinux -I. "$1" -o "$2"
}

check() { # <image>: what must hold for the kernel to map the image as it is
  local so="$1"
  if [ -n "$("$READELF" -W -r "$so" | grep -v 'There are no relocations' || true)" ]; then
    echo "build.sh: $so has dynamic relocations: the vDSO is mapped without a loader" >&2
    "$READELF" -W -r "$so" >&2
    exit 1
  fi
  if "$READELF" -W --dyn-syms "$so" | awk '$7 == "UND" && $8 != "" { found = 1 } END { exit !found }'; then
    echo "build.sh: $so has undefined symbols" >&2
    exit 1
  fi
  if [ "$("$READELF" -W -l "$so" | grep -c '^ *LOAD ')" != 1 ]; then
    echo "build.sh: $so must have exactly one PT_LOAD" >&2
    exit 1
  fi
}

cd "$SRC"

# x86-64: arch/x86/entry/vdso/vdso64.so
lds vdso.lds.S "$OBJ/vdso.lds"
"$CC" "${CFLAGS_64[@]}" -c vclock_gettime.c -o "$OBJ/vclock_gettime.o"
"$CC" -m64 "${ASFLAGS[@]}" -c vdso-note.S -o "$OBJ/vdso-note.o"
"$LD" -m elf_x86_64 "${LDFLAGS[@]}" -soname linux-vdso.so.1 -T "$OBJ/vdso.lds" \
  -o "$OUT/vdso64.so" "$OBJ/vdso-note.o" "$OBJ/vclock_gettime.o"
check "$OUT/vdso64.so"

# i386: arch/x86/entry/vdso/vdso32.so
lds vdso32/vdso32.lds.S "$OBJ/vdso32.lds"
"$CC" -m32 "${ASFLAGS[@]}" -c vdso-note.S -o "$OBJ/note32.o"
"$CC" -m32 "${ASFLAGS[@]}" -c vdso32/system_call.S -o "$OBJ/system_call32.o"
"$CC" -m32 "${ASFLAGS[@]}" -c vdso32/sigreturn.S -o "$OBJ/sigreturn32.o"
"$CC" "${CFLAGS_32[@]}" -c vclock_gettime.c -o "$OBJ/vclock_gettime32.o"
"$LD" -m elf_i386 "${LDFLAGS[@]}" -soname linux-gate.so.1 -T "$OBJ/vdso32.lds" \
  -o "$OUT/vdso32.so" "$OBJ/note32.o" "$OBJ/system_call32.o" "$OBJ/sigreturn32.o" \
  "$OBJ/vclock_gettime32.o"
check "$OUT/vdso32.so"

{
  echo "# The toolchain that built vdso64.so and vdso32.so (written by build.sh)."
  echo "gcc: $("$CC" --version | head -n1)"
  echo "ld: $("$LD" --version | head -n1)"
} > "$OUT/TOOLCHAIN"
