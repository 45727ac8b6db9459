// arch_setup_additional_pages() and update_vsyscall(): map the vvar page and the vDSO image
// into a new address space, and keep the vvar page's clocks current. Deterministic runs freeze
// the TSC extrapolation (mult = 0) and rewrite the page at every kernel entry, so the vDSO
// serves the virtual clock; host runs extrapolate from a TSC sample, as Linux does.

import { type MmStruct, PROT_EXEC, PROT_READ } from "../mm/mm_struct.js";
import { PAGE_SIZE } from "../mm/phys.js";
import { vdsoImage, type VdsoImage } from "./vdso_image.js";
import { VVAR_SIZE, writeVvar } from "./vvar.js";

/** The guest TSC: a reading now and its rate (provided by the emulator). */
export interface Clocksource {
  readTsc(): bigint;
  hz(): number;
}

export interface TimeSource {
  readonly deterministic: boolean;
  realtimeNs(): bigint;
  monotonicNs(): bigint;
}

const SHIFT = 24;

export class VdsoMapping {
  readonly image: VdsoImage;
  /** vdso_base: the ELF header of the image (AT_SYSINFO_EHDR). */
  readonly base: bigint;
  readonly vvar: bigint;
  private readonly page: Buffer;

  constructor(mm: MmStruct, abi: "x86_64" | "i386", private readonly time: TimeSource, private readonly clock?: Clocksource,
    copyOf?: VdsoMapping) {
    this.image = copyOf?.image ?? vdsoImage(abi);
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
    this.update();
  }

  private static framePage(mm: MmStruct, vvar: bigint): Buffer {
    const pte = mm.pgd.lookup(vvar);
    if (!pte) throw new Error("vvar page not populated");
    return mm.phys.mem.subarray(pte.pa, pte.pa + PAGE_SIZE);
  }

  /** The same mapping in a forked copy of the address space. */
  cloneFor(mm: MmStruct): VdsoMapping {
    return new VdsoMapping(mm, this.image.abi, this.time, this.clock, this);
  }

  /** Address of an exported vDSO function in the guest. */
  sym(name: string): bigint {
    const off = this.image.symbols.get(name);
    if (off === undefined) throw new Error(`vDSO has no ${name}`);
    return this.base + BigInt(off);
  }

  /** update_vsyscall: the clocks as the kernel has them now. */
  update(): void {
    const t = this.time;
    if (t.deterministic || !this.clock) {
      writeVvar(this.page, { realtimeNs: t.realtimeNs(), monotonicNs: t.monotonicNs(), mult: 0, shift: 0 });
      return;
    }
    const tsc = this.clock.readTsc();
    const mult = Math.round((1e9 * 2 ** SHIFT) / this.clock.hz());
    writeVvar(this.page, { realtimeNs: t.realtimeNs(), monotonicNs: t.monotonicNs(), tsc, mult, shift: SHIFT });
  }
}
