// load_elf_binary (fs/binfmt_elf.c) for static executables: map the PT_LOAD segments with their
// permissions, zero the bss, place the break after the image, then build the initial stack
// (create_elf_tables.ts).

import { MmStruct, PROT_EXEC, PROT_READ, PROT_WRITE, pageDown, pageUp } from "../../kernel-model/mm/mm_struct.js";
import { PAGE_SIZE } from "../../kernel-model/mm/phys.js";
import { ET_DYN, PF_R, PF_W, PF_X, PT_LOAD, PT_PHDR, type ElfImage } from "./elf.js";

const PAGE = BigInt(PAGE_SIZE);

/** ELF_ET_DYN_BASE without randomization: where a static-pie is placed (2/3 of TASK_SIZE on x86-64). */
export const ELF_ET_DYN_BASE_64 = 0x555555554000n;
export const ELF_ET_DYN_BASE_32 = 0x56555000n;

export interface LoadedImage {
  /** Load bias: 0 for ET_EXEC, the base address for a static-pie. */
  bias: bigint;
  entry: bigint;
  /** Where the program headers are in memory (AT_PHDR). */
  phdr: bigint;
  endOfImage: bigint;
}

function protOf(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

/**
 * Maps the image into `mm`. With `fileId` (the file's identity) and the address space's page
 * cache, a page that holds nothing but one segment's file bytes is the page cache's frame,
 * shared (elf_map maps the file; only the pages the bss starts in are private copies).
 */
export function loadElfImage(mm: MmStruct, img: ElfImage, name: string, fileId?: string): LoadedImage {
  const loads = img.segments.filter((s) => s.type === PT_LOAD);
  const bias = img.type === ET_DYN ? (img.bits === 64 ? ELF_ET_DYN_BASE_64 : ELF_ET_DYN_BASE_32) - pageDown(loads[0].vaddr) : 0n;

  // Pages shared by two segments get both permissions (as two overlapping mmaps would leave them).
  const pages = new Map<bigint, number>();
  for (const s of loads) {
    for (let a = pageDown(bias + s.vaddr); a < pageUp(bias + s.vaddr + BigInt(s.memsz)); a += PAGE) {
      pages.set(a, (pages.get(a) ?? 0) | protOf(s.flags));
    }
  }
  const sorted = [...pages].sort((x, y) => (x[0] < y[0] ? -1 : 1));
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1][0] === sorted[j][0] + PAGE && sorted[j + 1][1] === sorted[i][1]) j++;
    mm.mapRegion(sorted[i][0], sorted[j][0] + PAGE - sorted[i][0], sorted[i][1], name);
    i = j + 1;
  }
  // File pages through the page cache, where a page is one segment's file bytes and nothing else.
  const cached = new Set<bigint>();
  if (fileId && mm.pageCache) {
    for (const a of pages.keys()) {
      const inside = loads.filter((s) => bias + s.vaddr < a + PAGE && bias + s.vaddr + BigInt(s.memsz) > a);
      if (inside.length !== 1) continue;
      const s = inside[0];
      const fileStart = bias + s.vaddr, fileEnd = fileStart + BigInt(s.filesz);
      if (a < fileStart || a + PAGE > fileEnd) continue;
      const off = BigInt(s.offset) + (a - fileStart);
      if (off % PAGE) continue;
      const pa = mm.pageCache.get(fileId, Number(off / PAGE), (page) => img.bytes.copy(page, 0, Number(off), Number(off + PAGE)));
      mm.mapSharedPage(a, pa);
      cached.add(a);
    }
  }
  // The other file contents; the rest of each segment (bss) stays zero from the fresh frames.
  for (const s of loads) {
    for (let off = 0; off < s.filesz; ) {
      const va = bias + s.vaddr + BigInt(off);
      const n = Math.min(s.filesz - off, Number(pageDown(va) + PAGE - va));
      if (!cached.has(pageDown(va))) mm.poke(va, img.bytes.subarray(s.offset + off, s.offset + off + n));
      off += n;
    }
  }

  const endOfImage = sorted.length ? sorted[sorted.length - 1][0] + PAGE : 0n;
  const phdrSeg = img.segments.find((s) => s.type === PT_PHDR);
  let phdr: bigint;
  if (phdrSeg) phdr = bias + phdrSeg.vaddr;
  else {
    // the headers are inside the first segment that maps file offset phoff
    const seg = loads.find((s) => img.phoff >= s.offset && img.phoff < s.offset + s.filesz) ?? loads[0];
    phdr = bias + seg.vaddr + BigInt(img.phoff - seg.offset);
  }
  return { bias, entry: bias + img.entry, phdr, endOfImage };
}

/** The break starts on the page after the image (mm->start_brk = ELF_PAGEALIGN(elf_brk)). */
export function setupBrk(mm: MmStruct, loaded: LoadedImage): void {
  mm.startBrk = mm.brk = pageUp(loaded.endOfImage);
}
