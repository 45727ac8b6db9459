// arch_setup_additional_pages() and update_vsyscall(): map the vvar page and the vDSO image
// into a new address space, and keep the vvar page's clocks current. Linux lets the vDSO
// extrapolate from the TSC; Unicorn's `rdtsc` does not follow host time reliably (measured: a
// 10 ms busy wait between two readings moved it by 7-17 MHz worth of ticks, a 100 ms sleep by
// 2.6 GHz worth), so the page is written with mult = 0 and the kernel model rewrites it on kernel
// entries, at most once per millisecond of the clock it serves (virtual or host). The vDSO's time
// therefore moves in steps of at least 1 ms, and stands still for a program that never enters
// the kernel.

import { type MmStruct, PROT_EXEC, PROT_READ } from "../mm/mm_struct.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { vdsoImage, type FastEntry, type VdsoImage } from "./vdso_image.js";
import { VVAR_SIZE, writeVvar } from "./vvar.js";

export interface TimeSource {
  readonly deterministic: boolean;
  realtimeNs(): bigint;
  monotonicNs(): bigint;
}

/** The vvar page is rewritten when its clocks would be this far behind. */
const UPDATE_NS = 1_000_000n;

export class VdsoMapping {
  readonly image: VdsoImage;
  /** vdso_base: the ELF header of the image (AT_SYSINFO_EHDR). */
  readonly base: bigint;
  readonly vvar: bigint;
  private readonly page: Buffer;
  private written = -UPDATE_NS;

  /** `fast`: the i386 image's __kernel_vsyscall entry (default SYSENTER, as on the native i386 kernel). */
  constructor(mm: MmStruct, abi: "x86_64" | "i386", private readonly time: TimeSource, copyOf?: VdsoMapping, fast?: FastEntry) {
    this.image = copyOf?.image ?? vdsoImage(abi, abi === "i386" ? fast ?? "sysenter" : undefined);
    if (copyOf) {
      // fork: the pages were copied with the address space; only the vvar frame is new
      this.base = copyOf.base;
      this.vvar = copyOf.vvar;
      this.page = VdsoMapping.framePage(mm, this.vvar); // already holds the parent's clocks
      return;
    }
    const total = BigInt(this.image.vvarSize + this.image.size);
    this.vvar = mm.getUnmappedArea(total);
    this.base = this.vvar + BigInt(this.image.vvarSize);
    mm.mapRegion(this.vvar, BigInt(this.image.vvarSize), PROT_READ, "[vvar]");
    mm.mapRegion(this.base, BigInt(this.image.size), PROT_READ | PROT_EXEC, "[vdso]");
    mm.poke(this.base, this.image.bytes);
    mm.poke(this.vvar, Buffer.alloc(VVAR_SIZE)); // populate the frame the page lives in
    this.page = VdsoMapping.framePage(mm, this.vvar);
    this.update(true);
  }

  private static framePage(mm: MmStruct, vvar: bigint): Buffer {
    const pte = mm.pgd.lookup(vvar);
    if (!pte) throw new Error("vvar page not populated");
    return mm.phys.mem.subarray(pte.pa, pte.pa + PAGE_SIZE);
  }

  /** The same mapping in a forked copy of the address space. */
  cloneFor(mm: MmStruct): VdsoMapping {
    return new VdsoMapping(mm, this.image.abi, this.time, this);
  }

  /** Address of an exported vDSO function in the guest. */
  sym(name: string): bigint {
    const off = this.image.symbols.get(name);
    if (off === undefined) throw new Error(`vDSO has no ${name}`);
    return this.base + BigInt(off);
  }

  /** update_vsyscall: the clocks as the kernel has them now (skipped if less than 1 ms moved). */
  update(force = false): void {
    const mono = this.time.monotonicNs();
    if (!force && mono - this.written < UPDATE_NS) return;
    this.written = mono;
    writeVvar(this.page, { realtimeNs: this.time.realtimeNs(), monotonicNs: mono, mult: 0, shift: 0 });
  }
}
