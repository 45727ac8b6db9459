// load_elf_binary (fs/binfmt_elf.c) for static executables: check every PT_LOAD against the address
// space, map the segments with their permissions, zero the bss, place the break after the image,
// then build the initial stack (create_elf_tables.ts).

import type { File } from "../../kernel-model/fs/file.js";
import { mappingKey } from "../../kernel-model/mm/filemap.js";
import { MmStruct, pageDown, pageUp } from "../../kernel-model/mm/mm_struct.js";
import { PAGE_SIZE } from "../../kernel-model/mm/phys.js";
import { defaultRlimit } from "../../kernel-model/sched/rlimit.js";
import { ET_DYN, ExecFormatError, PF_R, PF_W, PF_X, PT_LOAD, PT_PHDR, imageTooLarge, type ElfImage } from "./elf.js";
import { PROT_EXEC, PROT_READ, PROT_WRITE } from "../../kernel-model/uapi/asm-generic/mman-common.js";
import { RLIMIT_STACK } from "../../kernel-model/uapi/asm-generic/resource.js";

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

const hex = (v: bigint) => `0x${v.toString(16)}`;

/**
 * One run of pages with one protection: what one mmap of the image leaves. With `pgoff` the pages
 * are the file's from that page on (elf_map); without, anonymous memory (the bss past the file's
 * last page, set_brk's vm_brk_flags).
 */
interface Area { start: bigint; end: bigint; prot: number; pgoff?: bigint }

/**
 * The areas the PT_LOAD segments make, page aligned. Pages shared by two segments get both
 * permissions (as two overlapping mmaps of the same file would leave them readable for both) and
 * the file of the later segment that maps them. Computed from the segment boundaries, never page
 * by page: a segment may be gigabytes long.
 */
function imageAreas(loads: readonly Area[]): Area[] {
  const cuts = [...new Set(loads.flatMap((s) => [s.start, s.end]))].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const areas: Area[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [start, end] = [cuts[i], cuts[i + 1]];
    let prot = 0, covered = false;
    let pgoff: bigint | undefined;
    for (const s of loads) {
      if (s.start < end && s.end > start) {
        prot |= s.prot;
        covered = true;
        if (s.pgoff !== undefined) pgoff = s.pgoff + (start - s.start) / PAGE;
      }
    }
    if (!covered) continue;
    const last = areas[areas.length - 1];
    const continues = last && last.end === start && last.prot === prot &&
      (last.pgoff === undefined ? pgoff === undefined : pgoff === last.pgoff + (last.end - last.start) / PAGE);
    if (continues) last.end = end;
    else areas.push({ start, end, prot, pgoff });
  }
  return areas;
}

/**
 * Maps the image into `mm`. With the program's open `file`, the areas that hold its bytes map the
 * file (vm_file, vm_pgoff: /proc/<pid>/maps shows its offsets, device and inode) and a page that
 * holds nothing but one segment's file bytes is the page cache's frame, shared. Every page is
 * mapped now (the image is in memory already); only the pages the bss starts in are private copies.
 */
export function loadElfImage(mm: MmStruct, img: ElfImage, name: string, file?: File): LoadedImage {
  const loads = img.segments.filter((s) => s.type === PT_LOAD);
  const taskSize = mm.layout.taskSize;
  // The static-pie's bias places its first page at ELF_ET_DYN_BASE; total_mapping_size must fit.
  const bias = img.type === ET_DYN ? (img.bits === 64 ? ELF_ET_DYN_BASE_64 : ELF_ET_DYN_BASE_32) - pageDown(loads[0].vaddr) : 0n;

  // load_elf_binary's checks for each PT_LOAD ("set_brk can never work. Avoid overflows."): the
  // segment inside the user half (BAD_ADDR, TASK_SIZE - p_memsz < k), with nothing allocated yet.
  // The stack and the mmap area sit above mmap_base: a segment there would map over them.
  const ranges = loads.flatMap((s, i): Area[] => {
    const k = bias + s.vaddr;
    const memsz = BigInt(s.memsz);
    if (k < 0n || k >= taskSize || memsz > taskSize || taskSize - memsz < k) {
      throw new ExecFormatError(`${name}: PT_LOAD segment ${i} (${hex(k)}, ${hex(memsz)} bytes) does not fit below the ` +
        `user address limit ${hex(taskSize)}`);
    }
    if (k + memsz > mm.layout.mmapBase) {
      throw new ExecFormatError(`${name}: PT_LOAD segment ${i} (${hex(k)}-${hex(k + memsz)}) reaches the stack and mmap area ` +
        `(above ${hex(mm.layout.mmapBase)})`);
    }
    if (k < mm.layout.mmapMin && memsz > 0n) {
      throw new ExecFormatError(`${name}: PT_LOAD segment ${i} at ${hex(k)} is below mmap_min_addr (${hex(mm.layout.mmapMin)})`);
    }
    const start = pageDown(k), end = pageUp(k + memsz), prot = protOf(s.flags);
    // elf_map maps the file's pages [p_offset, p_offset + p_filesz) when the offset and the address
    // agree within the page (else the whole segment is copied into anonymous memory)
    const fileEnd = pageUp(k + BigInt(Math.min(s.filesz, s.memsz)));
    if (s.filesz === 0 || (k - BigInt(s.offset)) % PAGE !== 0n || fileEnd === start) return [{ start, end, prot }];
    const pgoff = (BigInt(s.offset) - (k - start)) / PAGE;
    return fileEnd < end ? [{ start, end: fileEnd, prot, pgoff }, { start: fileEnd, end, prot }] : [{ start, end, prot, pgoff }];
  });
  const areas = imageAreas(ranges);
  if (!areas.length) throw new ExecFormatError(`${name}: every PT_LOAD segment is empty: nothing to load`);
  // The image and the stack that follows it (RLIMIT_STACK's size) must fit in the memory bound.
  const pages = areas.reduce((n, a) => n + Number((a.end - a.start) / PAGE), 0);
  const stackPages = Number(defaultRlimit(RLIMIT_STACK)[0] / PAGE);
  if (pages + stackPages > mm.commitLimit) throw imageTooLarge(name, pages + stackPages, mm.commitLimit);
  for (const a of areas) {
    if (!mm.isFree(a.start, a.end)) throw new ExecFormatError(`${name}: PT_LOAD segments at ${hex(a.start)}-${hex(a.end)} overlap a mapping already made (the vDSO)`);
  }
  const entry = bias + img.entry;
  if (entry < 0n || entry >= taskSize) throw new ExecFormatError(`${name}: entry point ${hex(entry)} is outside the user address space`);

  for (const a of areas) {
    const backing = file && a.pgoff !== undefined ? { file, pgoff: a.pgoff, filemap: true } : undefined;
    // the bss past the file's pages is anonymous memory, nameless in /proc/<pid>/maps
    mm.mapRegion(a.start, a.end - a.start, a.prot, a.pgoff !== undefined || !file ? name : "", undefined, backing);
  }
  // File pages through the page cache, where a page belongs to one segment alone: whole pages of
  // the file, as elf_map maps them (a segment's first and last page hold the file's bytes around
  // it too; padzero below clears the bss part of the last one). Every process running the program
  // shares them; the partial first and last pages used to be private copies of each process.
  const cached = new Set<bigint>();
  if (file && mm.pageCache) {
    const fileId = mappingKey(file.stat());
    for (const s of loads) {
      const fileStart = bias + s.vaddr, fileEnd = fileStart + BigInt(s.filesz);
      if (s.filesz === 0 || (s.vaddr - BigInt(s.offset)) % PAGE !== 0n) continue; // not mapped from the file (see above)
      for (let a = pageDown(fileStart); a < fileEnd; a += PAGE) {
        if (loads.some((o) => o !== s && bias + o.vaddr < a + PAGE && bias + o.vaddr + BigInt(o.memsz) > a)) continue;
        const off = BigInt(s.offset) + (a - fileStart);
        if (off < 0n || off % PAGE) continue;
        const pa = mm.pageCache.get(fileId, Number(off / PAGE), (page) => img.bytes.copy(page, 0, Number(off), Number(off + PAGE)));
        mm.mapSharedPage(a, pa);
        cached.add(a);
      }
    }
  }
  // The other file contents (into the file's page where the area maps the file, as the write of
  // a private mapping does), then padzero: the rest of the last file page of a segment with a bss
  // is zeroed; the pages after it are anonymous and zero already.
  for (const s of loads) {
    for (let off = 0; off < s.filesz; ) {
      const va = bias + s.vaddr + BigInt(off);
      const n = Math.min(s.filesz - off, Number(pageDown(va) + PAGE - va));
      if (!cached.has(pageDown(va))) mm.poke(va, img.bytes.subarray(s.offset + off, s.offset + off + n));
      off += n;
    }
    const fileEnd = bias + s.vaddr + BigInt(s.filesz);
    const zeroTo = bias + s.vaddr + BigInt(s.memsz) < pageUp(fileEnd) ? bias + s.vaddr + BigInt(s.memsz) : pageUp(fileEnd);
    if (s.memsz > s.filesz && zeroTo > fileEnd && mm.findVma(pageDown(fileEnd))?.file) mm.poke(fileEnd, Buffer.alloc(Number(zeroTo - fileEnd)));
  }

  const endOfImage = areas[areas.length - 1].end;
  const phdrSeg = img.segments.find((s) => s.type === PT_PHDR);
  let phdr: bigint;
  if (phdrSeg) phdr = bias + phdrSeg.vaddr;
  else {
    // the headers are inside the first segment that maps file offset phoff
    const seg = loads.find((s) => img.phoff >= s.offset && img.phoff < s.offset + s.filesz) ?? loads[0];
    phdr = bias + seg.vaddr + BigInt(img.phoff - seg.offset);
  }
  return { bias, entry, phdr, endOfImage };
}

/** The break starts on the page after the image (mm->start_brk = ELF_PAGEALIGN(elf_brk)). */
export function setupBrk(mm: MmStruct, loaded: LoadedImage): void {
  mm.startBrk = mm.brk = pageUp(loaded.endOfImage);
}
