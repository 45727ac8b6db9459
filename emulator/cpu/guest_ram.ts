// Guest RAM: one anonymous host mapping per machine, reserved without committing memory
// (MAP_NORESERVE: pages exist once touched) and seen from JS as a Buffer. A Buffer.alloc of the
// same size would count as V8 "external memory" and make every fork of a guest process trigger
// garbage collections (a quarter of a shell loop's time, measured); a mapping made through
// koffi does not. Where mmap cannot be called, Buffer.alloc is the fallback.

import koffi from "koffi";

const PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000, MADV_DONTNEED = 4;

type Fn = (...a: unknown[]) => unknown;
let libc: { mmap: Fn; munmap: Fn; madvise: Fn } | null | undefined;

function bind(): typeof libc {
  if (libc !== undefined) return libc;
  try {
    const lib = koffi.load(process.platform === "linux" ? "libc.so.6" : null);
    libc = {
      mmap: lib.func("void *mmap(void *addr, size_t len, int prot, int flags, int fd, intptr_t off)"),
      munmap: lib.func("int munmap(void *addr, size_t len)"),
      madvise: lib.func("int madvise(void *addr, size_t len, int advice)"),
    };
  } catch {
    libc = null;
  }
  return libc;
}

export interface GuestRam {
  readonly mem: Buffer;
  /** Gives the pages back to the host; the mapping stays (reads see zeros) until unmap(). */
  discard(): void;
  /** Ends the mapping: nothing may touch `mem` afterwards. */
  unmap(): void;
}

export function allocGuestRam(size: number): GuestRam {
  const c = bind();
  const p = c?.mmap(null, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (!c || !p || koffi.address(p) === 0xffffffffffffffffn) {
    const mem = Buffer.alloc(size);
    return { mem, discard() {}, unmap() {} };
  }
  const mem = Buffer.from(koffi.view(p, size));
  let mapped = true;
  return {
    mem,
    discard() { if (mapped) c.madvise(p, size, MADV_DONTNEED); },
    unmap() {
      if (!mapped) return;
      mapped = false;
      c.munmap(p, size);
    },
  };
}
