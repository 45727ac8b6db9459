// Guest RAM: one zeroed host allocation per machine, committed by the host only where touched,
// seen from JS as a Buffer whose address the engine maps as physical memory.
//
// It is a SharedArrayBuffer. V8 counts the bytes of an ordinary ArrayBuffer, or of a view of
// foreign memory (what a mapping made through koffi is), as "external memory": a gigabyte of it
// forces a full, memory-reducing garbage collection the moment the buffer is made (12-35 ms of
// every start, ~100 ms each for machines made one after another in one process, measured) and
// makes later ones more frequent. A SharedArrayBuffer is not counted per isolate, costs nothing to
// make, and its backing store never moves, as the engine needs. One page more than asked is
// allocated so that the RAM starts on a page boundary (the allocator's header sits before it),
// which madvise needs to give pages back. Where the host refuses the allocation (a strict
// overcommit policy), an mmap with MAP_NORESERVE seen through koffi is the fallback.

import koffi from "koffi";
import { hostLibc } from "./libc.js";
// the host is Linux on x86-64 too: its mmap takes the values the guest's does
import { MADV_DONTNEED, MAP_ANONYMOUS, PROT_READ, PROT_WRITE } from "../../kernel-model/uapi/asm-generic/mman-common.js";
import { MAP_NORESERVE } from "../../kernel-model/uapi/asm-generic/mman.js";
import { MAP_PRIVATE } from "../../kernel-model/uapi/linux/mman.js";

const PAGE = 4096;

export interface GuestRam {
  readonly mem: Buffer;
  /** Gives the pages back to the host; the buffer stays (reads see zeros). */
  discard(): void;
  /** The machine is done with it: its pages go back to the host, the rest with the buffer's collection. */
  unmap(): void;
}

export function allocGuestRam(size: number): GuestRam {
  let sab: SharedArrayBuffer;
  try {
    sab = new SharedArrayBuffer(size + PAGE);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const mapped = mappedRam(size);
    if (mapped) return mapped;
    throw e;
  }
  const head = Number(koffi.address(new Uint8Array(sab, 0, 1)) % BigInt(PAGE));
  const mem = Buffer.from(sab, head === 0 ? 0 : PAGE - head, size);
  let live = true;
  const discard = () => {
    if (live) hostLibc()?.madvise(mem, size, MADV_DONTNEED);
  };
  return {
    mem,
    discard,
    unmap() {
      discard();
      live = false;
    },
  };
}

/** An anonymous mapping reserved without commitment, seen through koffi.view (counted as external memory). */
function mappedRam(size: number): GuestRam | undefined {
  const c = hostLibc();
  const p = c?.mmap(null, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (!c || !p || koffi.address(p) === 0xffffffffffffffffn) return undefined;
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
