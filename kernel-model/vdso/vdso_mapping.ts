// arch_setup_additional_pages() and update_vsyscall(): map the vvar page and the vDSO image
// into a new address space, and keep the vvar page's clocks current. Linux lets the vDSO
// extrapolate from the TSC; Unicorn's `rdtsc` does not follow host time reliably (measured: a
// 10 ms busy wait between two readings moved it by 7-17 MHz worth of ticks, a 100 ms sleep by
// 2.6 GHz worth), so the page is written with mult = 0 and the kernel model rewrites it on kernel
// entries, at most once per millisecond of the clock it serves (virtual or host). The vDSO's time
// therefore moves in steps of at least 1 ms, and stands still for a program that never enters
// the kernel.

import type { MmStruct } from "../mm/mm_struct.js";
import { PAGE_SIZE, type PhysMem } from "../mm/phys.js";
import { vdsoImage, type FastEntry, type VdsoImage } from "./vdso_image.js";
import { writeVvar } from "./vvar.js";
import { PROT_EXEC, PROT_READ } from "../uapi/asm-generic/mman-common.js";

export interface TimeSource {
  readonly deterministic: boolean;
  realtimeNs(): bigint;
  monotonicNs(): bigint;
}

/** The vvar page is rewritten when its clocks would be this far behind. */
const UPDATE_NS = 1_000_000n;

/**
 * The vDSO's frames, one set per kernel (vdso_image's pages and the vvar page): every address
 * space maps these same frames, so the kernel updates one vvar page for all.
 */
export class VdsoPages {
  readonly image: VdsoImage;
  /** Physical address of each vvar page, then each page of the image. */
  readonly vvarFrames: number[] = [];
  readonly textFrames: number[] = [];
  readonly vvarPage: Buffer;

  /** `fast`: the i386 image's __kernel_vsyscall entry (default SYSENTER, as on the native i386 kernel). */
  constructor(readonly phys: PhysMem, abi: "x86_64" | "i386", fast?: FastEntry) {
    this.image = vdsoImage(abi, abi === "i386" ? fast ?? "sysenter" : undefined);
    for (let i = 0; i < this.image.vvarSize / PAGE_SIZE; i++) this.vvarFrames.push(phys.allocFrame());
    for (let off = 0; off < this.image.size; off += PAGE_SIZE) {
      const pa = phys.allocFrame();
      this.image.bytes.copy(phys.mem, pa, off, Math.min(off + PAGE_SIZE, this.image.bytes.length));
      this.textFrames.push(pa);
    }
    this.vvarPage = phys.mem.subarray(this.vvarFrames[0], this.vvarFrames[0] + PAGE_SIZE);
  }
}

export class VdsoMapping {
  readonly image: VdsoImage;
  /** vdso_base: the ELF header of the image (AT_SYSINFO_EHDR). */
  readonly base: bigint;
  readonly vvar: bigint;
  private readonly page: Buffer;
  /** The clock at which the page is next rewritten (a compare per kernel entry, no arithmetic). */
  private nextAt = 0n;

  constructor(mm: MmStruct, private readonly pages: VdsoPages, private readonly time: TimeSource, copyOf?: VdsoMapping) {
    this.image = pages.image;
    this.page = pages.vvarPage;
    if (copyOf) {
      // fork: dup_mmap shared the special pages at the same place
      this.base = copyOf.base;
      this.vvar = copyOf.vvar;
      return;
    }
    const total = BigInt(this.image.vvarSize + this.image.size);
    this.vvar = mm.getUnmappedArea(total);
    this.base = this.vvar + BigInt(this.image.vvarSize);
    // map_vdso: special mappings of the kernel's frames, read-only for the user
    const map = (start: bigint, frames: number[], prot: number, name: string) => {
      mm.mapRegion(start, BigInt(frames.length * PAGE_SIZE), prot, name);
      mm.findVma(start)!.special = true;
      frames.forEach((pa, i) => {
        pages.phys.getPage(pa);
        mm.pgd.map(start + BigInt(i * PAGE_SIZE), pa, { write: false, user: true, exec: (prot & PROT_EXEC) !== 0 });
      });
    };
    map(this.vvar, pages.vvarFrames, PROT_READ, "[vvar]");
    map(this.base, pages.textFrames, PROT_READ | PROT_EXEC, "[vdso]");
    this.update(true);
  }

  /** The same mapping in a forked copy of the address space. */
  cloneFor(mm: MmStruct): VdsoMapping {
    return new VdsoMapping(mm, this.pages, this.time, this);
  }

  /** Address of an exported vDSO function in the guest. */
  sym(name: string): bigint {
    const off = this.image.symbols.get(name);
    if (off === undefined) throw new Error(`vDSO has no ${name}`);
    return this.base + BigInt(off);
  }

  /** update_vsyscall: the clocks as the kernel has them now (skipped if less than 1 ms moved). */
  update(force = false, now?: bigint): void {
    const mono = now ?? this.time.monotonicNs();
    if (!force && mono < this.nextAt) return;
    this.nextAt = mono + UPDATE_NS;
    writeVvar(this.page, { realtimeNs: this.time.realtimeNs(), monotonicNs: mono, mult: 0, shift: 0 });
  }

}
