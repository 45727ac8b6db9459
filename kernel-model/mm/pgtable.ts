// The page tables the CPU walks, kept in guest physical memory as on real hardware (SDM vol. 3A,
// 4.5 "4-level paging" for x86-64; 4.4 "PAE paging" for i386). The model edits them like Linux's
// set_pte()/pte_clear() and flushes the CPU's TLB after removing or restricting an entry.

import type { PhysMem } from "./phys.js";

// PTE bits (arch/x86/include/asm/pgtable_types.h)
export const _PAGE_PRESENT = 1 << 0;
export const _PAGE_RW = 1 << 1;
export const _PAGE_USER = 1 << 2;
export const _PAGE_ACCESSED = 1 << 5;
export const _PAGE_DIRTY = 1 << 6;
export const _PAGE_GLOBAL = 1 << 8;
/** Bit 63 (NX), kept as a flag in the high 32-bit half. */
export const _PAGE_NX_HI = 1 << 31;

/** Bytes one entry maps at each level (level 0 = the PTE level): 4 KiB, 2 MiB, 1 GiB, 512 GiB. */
const SPAN = [2 ** 12, 2 ** 21, 2 ** 30, 2 ** 39];
/** The 48 bits of a virtual address the 4-level walk uses, as a Number (exact below 2^53). */
const low48 = (va: bigint): number => Number(BigInt.asUintN(48, va));
/** Back from 48 bits to the canonical address: bit 47 extended into bits 48-63 (the kernel half). */
const canonical = (va48: number): bigint => (va48 >= 2 ** 47 ? BigInt(va48) | 0xffff000000000000n : BigInt(va48));

export interface PteFlags { write: boolean; user: boolean; exec: boolean; global?: boolean }

/**
 * x86-64 uses 4 levels of 512 8-byte entries; i386 with PAE uses a 4-entry PDPT and then 2 levels
 * of 512 8-byte entries (so NX works on i386 too). Physical addresses stay below 4 GiB here, so an
 * entry is handled as two 32-bit halves.
 */
export class PageTables {
  /** Physical address of the top level (what CR3 holds). */
  readonly root: number;
  private readonly levels: number;

  constructor(private readonly phys: PhysMem, readonly mode: "4-level" | "pae") {
    this.levels = mode === "4-level" ? 4 : 3;
    // The PAE PDPT is only 32 bytes, but giving it a frame keeps the allocator simple.
    this.root = phys.allocFrame();
  }

  /** The table index of `va` (its low 48 bits, a Number) at `level` (0 = the last, PTE, level). */
  private index(va48: number, level: number): number {
    return Math.floor(va48 / SPAN[level]) % (level === 2 && this.levels === 3 ? 4 : 512);
  }

  /** The physical address of the PTE for `va`, creating the intermediate tables when `create`. */
  private pteAddr(va: bigint, create: boolean): number | undefined {
    return this.pteAddr48(low48(va), create);
  }

  private pteAddr48(va48: number, create: boolean): number | undefined {
    const w = this.phys.u32;
    let table = this.root;
    for (let level = this.levels - 1; level > 0; level--) {
      const ea = table + this.index(va48, level) * 8;
      let lo = w[ea >>> 2];
      if (!(lo & _PAGE_PRESENT)) {
        if (!create) return undefined;
        const next = this.phys.allocFrame();
        // Upper levels allow everything; the leaf decides (Linux does the same with _PAGE_TABLE).
        // A PAE PDPTE has no RW/US bits: they are reserved there.
        lo = next | _PAGE_PRESENT | (this.levels === 3 && level === 2 ? 0 : _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED);
        w[ea >>> 2] = lo;
        w[(ea >>> 2) + 1] = 0;
      }
      table = (lo & ~0xfff) >>> 0;
    }
    return table + this.index(va48, 0) * 8;
  }

  map(va: bigint, pa: number, f: PteFlags): void {
    this.setPte(this.pteAddr(va, true)!, pa, f);
  }

  /** set_pte: the entry at physical address `ea` maps `pa` with `f`. */
  private setPte(ea: number, pa: number, f: PteFlags): void {
    let lo = pa | _PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_DIRTY;
    if (f.write) lo |= _PAGE_RW;
    if (f.user) lo |= _PAGE_USER;
    if (f.global) lo |= _PAGE_GLOBAL;
    const w = this.phys.u32;
    w[ea >>> 2] = lo;
    w[(ea >>> 2) + 1] = f.exec ? 0 : _PAGE_NX_HI;
    if (f.exec && f.user) this.phys.markCode(pa);
  }

  /** Clears the PTE; returns the frame it mapped. The caller flushes the TLB. */
  unmap(va: bigint): number | undefined {
    const ea = this.pteAddr(va, false);
    if (ea === undefined) return undefined;
    const w = this.phys.u32;
    const lo = w[ea >>> 2];
    if (!(lo & _PAGE_PRESENT)) return undefined;
    w[ea >>> 2] = 0;
    w[(ea >>> 2) + 1] = 0;
    return (lo & ~0xfff) >>> 0;
  }

  /** The frame and flags mapped at `va`, as the CPU's walk would find them. */
  lookup(va: bigint): { pa: number; write: boolean; user: boolean; exec: boolean } | undefined {
    const ea = this.pteAddr(va, false);
    if (ea === undefined) return undefined;
    const w = this.phys.u32;
    const lo = w[ea >>> 2];
    if (!(lo & _PAGE_PRESENT)) return undefined;
    const hi = w[(ea >>> 2) + 1];
    return { pa: (lo & ~0xfff) >>> 0, write: !!(lo & _PAGE_RW), user: !!(lo & _PAGE_USER), exec: !(hi & _PAGE_NX_HI) };
  }

  /** Changes the permission bits of a present PTE (mprotect). The caller flushes the TLB. */
  protect(va: bigint, f: PteFlags): boolean {
    const cur = this.lookup(va);
    if (!cur) return false;
    this.map(va, cur.pa, f);
    return true;
  }

  /** Creates the tables down to the last level for `va` (the kernel's areas that every mm shares). */
  populate(va: bigint): void {
    this.pteAddr(va, true);
  }

  /** The frame of every present leaf entry in [start, end), as a Number (what exit_mmap puts). */
  forEachPresentFrame(start: bigint, end: bigint, fn: (pa: number) => void): void {
    const w = this.phys.u32;
    this.forEachPresentEntry(start, end, (_va48, ea) => fn((w[ea >>> 2] & ~0xfff) >>> 0));
  }

  /**
   * Every present leaf entry in [start, end), skipping tables that do not exist (what
   * copy_page_range and zap_page_range walk), in Numbers (the low 48 bits of each address): a
   * fork walks every present page of the parent, and a BigInt per entry was most of what a fork
   * cost. `fn` gets the address, the entry's physical address and that of its table.
   */
  private forEachPresentEntry(start: bigint, end: bigint, fn: (va48: number, ea: number, table: number) => void): void {
    const w = this.phys.u32;
    const from = low48(start), to = end >= 1n << 64n ? 2 ** 48 : low48(end);
    if (to <= from) return;
    const walk = (table: number, level: number, base: number): void => {
      const span = SPAN[level];
      const n = level === 2 && this.levels === 3 ? 4 : 512;
      let i = from > base ? Math.min(n, Math.floor((from - base) / span)) : 0;
      for (; i < n; i++) {
        const va = base + span * i;
        if (va >= to) return;
        const ea = table + i * 8;
        const lo = w[ea >>> 2];
        if (!(lo & _PAGE_PRESENT)) continue;
        if (level > 0) walk((lo & ~0xfff) >>> 0, level - 1, va);
        else if (va >= from) fn(va, ea, table);
      }
    };
    walk(this.root, this.levels - 1, 0);
  }

  /**
   * zap_pte_range: clears every present leaf entry of [start, end) in one walk of the tables that
   * exist, handing each address and the frame it mapped to `fn`. The caller flushes the TLB.
   */
  zapRange(start: bigint, end: bigint, fn: (va: bigint, pa: number) => void): void {
    const w = this.phys.u32;
    this.forEachPresentEntry(start, end, (va48, ea) => {
      const pa = (w[ea >>> 2] & ~0xfff) >>> 0;
      w[ea >>> 2] = 0;
      w[(ea >>> 2) + 1] = 0;
      fn(canonical(va48), pa);
    });
  }

  /**
   * change_pte_range (mprotect): every present leaf entry of [start, end) gets the bits `flags`
   * gives for its frame, in one walk. The caller flushes the TLB.
   */
  changeProtection(start: bigint, end: bigint, flags: (pa: number) => PteFlags): void {
    const w = this.phys.u32;
    this.forEachPresentEntry(start, end, (_va48, ea) => {
      const pa = (w[ea >>> 2] & ~0xfff) >>> 0;
      this.setPte(ea, pa, flags(pa));
    });
  }

  /**
   * copy_page_range for fork: every present leaf entry of [start, end) is copied into `child`'s
   * tables, and write-protected in both first when it was writable (copy-on-write). `get` takes a
   * reference for each frame. True if an entry of this address space lost its write permission
   * (its TLB entries must go).
   */
  copyPageRange(child: PageTables, start: bigint, end: bigint, get: (pa: number) => void): boolean {
    const w = this.phys.u32;
    let protectedAny = false;
    let leaf = -1, childLeaf = 0;
    this.forEachPresentEntry(start, end, (va48, ea, table) => {
      let lo = w[ea >>> 2];
      get((lo & ~0xfff) >>> 0);
      if (lo & _PAGE_RW) {
        lo = (lo & ~_PAGE_RW) >>> 0;
        w[ea >>> 2] = lo;
        protectedAny = true;
      }
      // one walk of the child's tables per leaf table of ours (512 pages)
      if (table !== leaf) {
        leaf = table;
        childLeaf = child.pteAddr48(va48, true)! - (ea - table);
      }
      const cea = childLeaf + (ea - table);
      w[cea >>> 2] = lo;
      w[(cea >>> 2) + 1] = w[(ea >>> 2) + 1];
    });
    return protectedAny;
  }

  /**
   * free_pgtables + pgd_free: gives back the table frames below the top-level entries
   * [0, userEntries) (the leaf frames were put by the caller) and the top level itself.
   */
  destroy(userEntries: number): void {
    const w = this.phys.u32;
    const free = (table: number, level: number, entries: number): void => {
      for (let i = 0; i < entries; i++) {
        const lo = w[(table >>> 2) + i * 2];
        if (!(lo & _PAGE_PRESENT)) continue;
        const next = (lo & ~0xfff) >>> 0;
        if (level > 1) free(next, level - 1, 512);
        this.phys.putPage(next);
      }
    };
    free(this.root, this.levels - 1, userEntries);
    this.phys.putPage(this.root);
  }

  /** Makes a copy of the kernel part of another address space's top level (clone_pgd_range). */
  shareTopLevel(from: PageTables, firstIndex: number, count: number): void {
    this.phys.mem.copy(this.phys.mem, this.root + firstIndex * 8, from.root + firstIndex * 8, from.root + (firstIndex + count) * 8);
  }
}
