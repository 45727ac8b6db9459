// Guest RAM: one host allocation per kernel, reserved without committing memory (pages exist once
// touched), seen from JS as a Buffer and mapped into the engine by its address.
//
// V8 counts every ArrayBuffer's bytes as "external memory" and collects garbage when that grows:
// a Buffer.alloc of 2 GiB, and just as much a koffi.view of an mmap'ed region, starts a full
// mark-compact at once ("external memory pressure") and keeps the heap in a memory-reducing mode;
// a run that makes machines one after another (a test file, the benchmark) pays that for each.
// The bytes of a SharedArrayBuffer are not counted per isolate (measured: 4 GiB of it leave
// process.memoryUsage().external where it was, and start no collection). Node allocates it with
// calloc, which for this size is a fresh anonymous mapping: zero pages until touched. Where that
// allocation is refused (strict overcommit, a small machine), an mmap with MAP_NORESERVE and a
// koffi view of it are the fallback, then Buffer.alloc.

import koffi from "koffi";

const PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 0x02, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000, MADV_DONTNEED = 4;
const PAGE = 4096;

type Fn = (...a: unknown[]) => unknown;
let libc: { mmap: Fn; munmap: Fn; madvise: Fn; addressOf: Fn } | null | undefined;

function bind(): typeof libc {
  if (libc !== undefined) return libc;
  try {
    const lib = koffi.load(process.platform === "linux" ? "libc.so.6" : null);
    libc = {
      mmap: lib.func("void *mmap(void *addr, size_t len, int prot, int flags, int fd, intptr_t off)"),
      munmap: lib.func("int munmap(void *addr, size_t len)"),
      madvise: lib.func("int madvise(void *addr, size_t len, int advice)"),
      // memset(p, 0, 0) returns p: the address koffi passes for a typed array's bytes
      addressOf: lib.func("uintptr_t memset(void *s, int c, size_t n)"),
    };
  } catch {
    libc = null;
  }
  return libc;
}

export interface GuestRam {
  readonly mem: Buffer;
  /** Gives the pages back to the host; the memory stays (reads see zeros) until unmap(). */
  discard(): void;
  /** Ends the mapping: nothing may touch `mem` afterwards. */
  unmap(): void;
}

export function allocGuestRam(size: number): GuestRam {
  const c = bind();
  if (!c) return { mem: Buffer.alloc(size), discard() {}, unmap() {} };
  return sharedRam(c, size) ?? mappedRam(c, size) ?? { mem: Buffer.alloc(size), discard() {}, unmap() {} };
}

/** A SharedArrayBuffer, one page larger, so that guest page 0 can start on a host page boundary. */
function sharedRam(c: NonNullable<typeof libc>, size: number): GuestRam | undefined {
  let sab: SharedArrayBuffer;
  try {
    sab = new SharedArrayBuffer(size + PAGE);
  } catch {
    return undefined; // RangeError: the host refused the allocation
  }
  const at = BigInt(c.addressOf(new Uint8Array(sab, 0, 1), 0, 0) as number | bigint);
  const mem = Buffer.from(sab, Number((BigInt(PAGE) - (at % BigInt(PAGE))) % BigInt(PAGE)), size);
  let live = true;
  const discard = () => { if (live) c.madvise(mem, size, MADV_DONTNEED); };
  // the allocation itself goes with the last reference to it; its pages go now
  return { mem, discard, unmap() { discard(); live = false; } };
}

/** An anonymous mapping seen through koffi.view (counted as external memory by V8). */
function mappedRam(c: NonNullable<typeof libc>, size: number): GuestRam | undefined {
  const p = c.mmap(null, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (!p || koffi.address(p) === 0xffffffffffffffffn) return undefined;
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
