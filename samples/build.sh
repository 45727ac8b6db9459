#!/bin/bash
# build.sh - rebuild every sample program from samples/src into samples/bin/{x86_64,i386}.
#
# usage: samples/build.sh           rebuild into samples/bin
#        samples/build.sh --check   rebuild into a temporary folder and compare with samples/bin
#
# Tools (Debian packages): gcc, gcc-multilib (gcc -m32, i386 glibc), nasm, binutils (ld),
# musl-tools (musl-gcc, amd64), apt + dpkg (to fetch musl-dev:i386, see below).
#
# musl-tools ships only the amd64 musl. For the i386 musl samples we download Debian's
# musl-dev:i386 (same version as the installed musl-tools) through a private apt configuration
# (its own sources file and lists folder, reusing the machine's Debian mirror; nothing
# system-wide changes, no `dpkg --add-architecture`), unpack it with dpkg-deb -x into
# samples/.cache/musl-i386, and link with gcc -m32 and a specs file that points there.
#
# The output is reproducible: no build id, no debug info, relative source names, fixed flags,
# so running this twice gives identical bytes (--check verifies it against the committed ones).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$HERE/src
CACHE=${SYSGATE_SAMPLES_CACHE:-$HERE/.cache}
log() { echo "samples/build.sh: $*" >&2; }

OUT=$HERE/bin
CHECK=0
if [ "${1:-}" = "--check" ]; then
  CHECK=1
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--check]" >&2; exit 2
fi

# --- tools -------------------------------------------------------------------------------
missing=()
command -v gcc >/dev/null || missing+=(gcc)
command -v nasm >/dev/null || missing+=(nasm)
command -v ld >/dev/null || missing+=(binutils)
command -v musl-gcc >/dev/null || missing+=(musl-tools)
command -v dpkg-deb >/dev/null || missing+=(dpkg)
command -v apt-get >/dev/null || missing+=(apt)
if command -v gcc >/dev/null && ! echo 'int main(void){return 0;}' | gcc -m32 -static -x c - -o /dev/null 2>/dev/null; then
  missing+=(gcc-multilib)
fi
if [ ${#missing[@]} -gt 0 ]; then
  log "missing tools; install the Debian packages: apt-get install ${missing[*]}"
  exit 1
fi

# --- flags -------------------------------------------------------------------------------
# -ffile-prefix-map keeps the source folder out of the output; --build-id=none drops the one
# field that would otherwise be a hash of everything (stable anyway, but one less thing).
COMMON=(-O2 -Wall -Wextra -ffile-prefix-map="$SRC"=. -Wl,--build-id=none)
STATIC=(-static -no-pie)

# --- musl for i386 -----------------------------------------------------------------------
MUSL32=$CACHE/musl-i386
musl32_fetch() {
  if [ -f "$MUSL32/root/usr/lib/i386-linux-musl/libc.a" ] && [ -f "$MUSL32/musl-gcc.specs" ]; then
    return
  fi
  local version mirror suite keyring apt opts
  version=$(dpkg-query -W -f='${Version}' musl-tools 2>/dev/null || true)
  # The machine's own Debian mirror and release, as apt knows them (no host name written here).
  mirror=$(apt-get indextargets --format '$(REPO_URI) $(LABEL)' 2>/dev/null | awk '$2 == "Debian" { print $1; exit }')
  suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  if [ -z "$mirror" ] || [ -z "$suite" ]; then
    log "cannot tell this machine's Debian mirror/release from apt; to build the musl i386 samples put"
    log "the contents of Debian's musl-dev:i386 (dpkg-deb -x) into $MUSL32/root and rerun"
    exit 1
  fi
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  apt=$MUSL32/apt
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/debs"
  if [ -f "$keyring" ]; then
    echo "deb [arch=i386 signed-by=$keyring] $mirror $suite main" > "$apt/sources.list"
  else
    log "warning: $keyring not found (package debian-archive-keyring), the i386 package list is not verified"
    echo "deb [arch=i386 trusted=yes] $mirror $suite main" > "$apt/sources.list"
  fi
  : > "$apt/status"
  opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
        -o "Dir::State::Lists=$apt/lists" -o "Dir::State::Status=$apt/status"
        -o "Dir::Cache=$apt" -o "Dir::Cache::archives=$apt/archives"
        -o "APT::Architecture=i386" -o "APT::Architectures=i386" -o "Debug::NoLocking=1"
        -o "APT::Sandbox::User=root")
  log "fetching musl-dev:i386 ${version:-(any version)} from $suite into $MUSL32"
  apt-get "${opts[@]}" -q update >&2
  rm -f "$apt/debs"/*.deb
  if ! (cd "$apt/debs" && apt-get "${opts[@]}" -q download "musl-dev${version:+=$version}" >&2); then
    log "warning: musl-dev:i386 $version (the version of musl-tools) not found, taking the newest"
    (cd "$apt/debs" && apt-get "${opts[@]}" -q download musl-dev >&2)
  fi
  rm -rf "$MUSL32/root"; mkdir -p "$MUSL32/root"
  dpkg-deb -x "$apt/debs"/musl-dev_*_i386.deb "$MUSL32/root"
  local lib=$MUSL32/root/usr/lib/i386-linux-musl inc=$MUSL32/root/usr/include/i386-linux-musl
  [ -f "$lib/libc.a" ] || { log "musl-dev:i386 did not contain libc.a"; exit 1; }
  # Like Debian's musl-gcc.specs, with the i386 tree and -m elf_i386 (the *link spec below
  # replaces gcc's, which is where -m32 would add it); gcc -m32 finds its own 32-bit
  # libgcc.a and crtbegin/crtend (from gcc-multilib) through %s.
  cat > "$MUSL32/musl-gcc.specs" <<EOF
%rename cpp_options old_cpp_options

*cpp_options:
-nostdinc -isystem $inc -isystem include%s %(old_cpp_options)

*cc1:
%(cc1_cpu) -nostdinc -isystem $inc -isystem include%s

*link_libgcc:
-L$lib -L .%s

*libgcc:
libgcc.a%s %:if-exists(libgcc_eh.a%s)

*startfile:
%{!shared: $lib/Scrt1.o} $lib/crti.o crtbeginS.o%s

*endfile:
crtendS.o%s $lib/crtn.o

*link:
-m elf_i386 -dynamic-linker /lib/ld-musl-i386.so.1 -nostdlib %{shared:-shared} %{static:-static} %{rdynamic:-export-dynamic}

EOF
}

# --- build -------------------------------------------------------------------------------
X64=$OUT/x86_64
I386=$OUT/i386
mkdir -p "$X64" "$I386"
cd "$SRC" # relative source names: nothing of this folder's path gets into the binaries

asm64() { nasm -f elf64 -I ./ -o "$1.o" "$2"; ld -m elf_x86_64 --build-id=none -o "$1" "$1.o"; rm -f "$1.o"; }
asm32() { nasm -f elf32 -I ./ -o "$1.o" "$2"; ld -m elf_i386 --build-id=none -o "$1" "$1.o"; rm -f "$1.o"; }
glibc64() { local out=$1; shift; gcc "${COMMON[@]}" "${STATIC[@]}" -o "$out" "$@"; }
glibc32() { local out=$1; shift; gcc -m32 "${COMMON[@]}" "${STATIC[@]}" -o "$out" "$@"; }
musl64() { local out=$1; shift; musl-gcc "${COMMON[@]}" "${STATIC[@]}" -o "$out" "$@"; }
musl32() { local out=$1; shift; gcc -m32 -specs "$MUSL32/musl-gcc.specs" "${COMMON[@]}" "${STATIC[@]}" -o "$out" "$@"; }

log "x86_64"
asm64 "$X64/hello-syscall" hello-syscall.asm
glibc64 "$X64/hello-glibc" -DHELLO_FROM='"glibc"' hello.c
musl64 "$X64/hello-musl" -DHELLO_FROM='"musl"' hello.c
gcc "${COMMON[@]}" -static-pie -fPIE -o "$X64/hello-static-pie" -DHELLO_FROM='"static-pie"' hello.c
glibc64 "$X64/auxv" auxv.c
asm64 "$X64/exit-code" exit-code.asm
glibc64 "$X64/fault" fault.c
asm64 "$X64/getppid-loop" getppid-loop.asm
glibc64 "$X64/vdso-gettimeofday" vdso-gettimeofday.c
glibc64 "$X64/clock-read" clock-read.c
musl64 "$X64/clock-read-musl" clock-read.c
glibc64 "$X64/fork-pipe-exec" fork-pipe-exec.c
glibc64 "$X64/segv-handler" segv-handler.c

log "i386"
musl32_fetch
asm32 "$I386/hello-int80" hello-int80.asm
asm32 "$I386/hello-vsyscall" hello-vsyscall.asm
glibc32 "$I386/hello-glibc-32" -DHELLO_FROM='"glibc i386"' hello.c
musl32 "$I386/hello-musl-32" -DHELLO_FROM='"musl i386"' hello.c
asm32 "$I386/getppid-loop-int80" getppid-loop-int80.asm
asm32 "$I386/getppid-loop-sysenter" getppid-loop-sysenter.asm
glibc32 "$I386/vdso-gettimeofday-32" vdso-gettimeofday.c
glibc32 "$I386/clock-read-32" clock-read.c
musl32 "$I386/clock-read-musl-32" clock-read.c
glibc32 "$I386/auxv-32" auxv.c
glibc32 "$I386/fork-pipe-exec-32" fork-pipe-exec.c
glibc32 "$I386/segv-handler-32" segv-handler.c

if [ $CHECK = 1 ]; then
  status=0
  for f in "$X64"/* "$I386"/*; do
    rel=${f#"$OUT"/}
    if ! cmp -s "$f" "$HERE/bin/$rel"; then log "differs from the committed binary: bin/$rel"; status=1; fi
  done
  for f in "$HERE"/bin/x86_64/* "$HERE"/bin/i386/*; do
    rel=${f#"$HERE"/bin/}
    [ -e "$OUT/$rel" ] || { log "committed but no longer built: bin/$rel"; status=1; }
  done
  [ $status = 0 ] && log "all binaries identical to the committed ones"
  exit $status
fi
log "done: $(ls "$X64" | wc -l) x86_64 and $(ls "$I386" | wc -l) i386 binaries in $OUT"
