// load_elf_binary (fs/binfmt_elf.c) for static executables, into a new address space of the
// kernel that runs the program: map the vDSO (arch_setup_additional_pages), open the file
// (open_exec), check every PT_LOAD against the address space and map the
// segments with their permissions (elf_map), zero the bss, place the break after the image
// (set_brk), map the stack (setup_arg_pages) and build the initial stack (create_elf_tables.ts).
// The caller (emulator/machine.ts: the first program, and execve) makes the address space and
// starts the task on what this returns.

import { openSync } from "node:fs";
import { STACK_TOP_32 } from "../../kernel-model/boot/layout_32.js";
import { IA32_PAGE_OFFSET, STACK_TOP_64 } from "../../kernel-model/boot/layout_64.js";
import { compatFastEntry, type CpuVendor } from "../../kernel-model/entry/syscall_compat.js";
import { FMODE_LSEEK, FMODE_PREAD, FMODE_READ } from "../../kernel-model/fs/fcntl.js";
import type { File } from "../../kernel-model/fs/file.js";
import { hostCall } from "../../kernel-model/fs/host_errno.js";
import { HostFile } from "../../kernel-model/fs/host_file.js";
import type { KernelState } from "../../kernel-model/kernel.js";
import type { LinuxKernel } from "../../kernel-model/linux.js";
import { MmStruct, pageDown, pageUp } from "../../kernel-model/mm/mm_struct.js";
import { PAGE_SIZE } from "../../kernel-model/mm/phys.js";
import { defaultRlimit } from "../../kernel-model/sched/rlimit.js";
import type { Task } from "../../kernel-model/sched/task.js";
import type { SymbolTable } from "../../kernel-model/symbols.js";
import type { Abi } from "../../kernel-model/uapi/abi.js";
import { O_LARGEFILE, O_RDONLY } from "../../kernel-model/uapi/asm-generic/fcntl.js";
import { VdsoMapping, VdsoPages } from "../../kernel-model/vdso/vdso_mapping.js";
import { createElfTables, elfAuxv } from "./create_elf_tables.js";
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
 * Maps the image into `mm`. With the program's open file (`exe`, and its page-cache key), the areas that hold its bytes map the
 * file (vm_file, vm_pgoff: /proc/<pid>/maps shows its offsets, device and inode) and a page that
 * holds nothing but one segment's file bytes is the page cache's frame, shared. Every page is
 * mapped now (the image is in memory already); only the pages the bss starts in are private copies.
 */
export function loadElfImage(mm: MmStruct, img: ElfImage, name: string, exe?: { file: File; id: string | undefined }): LoadedImage {
  const file = exe?.file;
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
  if (exe?.id !== undefined && mm.pageCache) {
    const fileId = exe.id;
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

/** struct linux_binprm, reduced: the program being executed and what its initial stack carries. */
export interface LinuxBinprm {
  image: ElfImage;
  /** The page-cache key of the bytes `image` was read from (loader/elf.ts readElfFile; none: not cached). */
  fileKey: string | undefined;
  /** The program's file on the host, and the guest path the guest knows it by. */
  hostExe: string;
  guestExe: string;
  argv: Buffer[];
  envp: Buffer[];
  /** AT_EXECFN's string: the path execve was given. */
  execfn: Buffer;
}

/** What the machine decided for this run, which load_elf_binary follows. */
export interface ExecEnv {
  kstate: KernelState;
  /** A 32-bit program runs on the native i386 kernel (--kernel i386), not under IA32 emulation. */
  nativeI386: boolean;
  /** Which 32-bit fast syscall the CPU has (the compat vDSO's __kernel_vsyscall follows it). */
  cpu: CpuVendor;
  /** Map a vDSO (the default; --no-vdso leaves it out, as vdso=0 on the kernel command line). */
  vdso: boolean;
  /** One symbol table per program image and layout, shared by every address space that runs it. */
  symbolTables: Map<string, SymbolTable>;
}

export interface LoadedProgram {
  ip: bigint;
  sp: bigint;
  bias: bigint;
  vdso: VdsoMapping | undefined;
  /** The program's symbols were not known yet (a new symbol table: the caller adds the ELF's). */
  newSymbols: boolean;
}

/** The stack's size (RLIMIT_STACK's usual 8 MiB), mapped whole. */
const STACK_SIZE = 8n << 20n;

/** open_exec: the program's file open for reading, for the areas of its image to hold. */
function openExec(hostPath: string, guestPath: string): HostFile {
  const hostFd = hostCall(() => openSync(hostPath, "r"));
  return new HostFile({
    hostFd, hostPath, path: guestPath, flags: O_RDONLY | O_LARGEFILE, fmode: FMODE_READ | FMODE_LSEEK | FMODE_PREAD,
    isDir: false, seekable: true, parentIno: () => 0n,
  });
}

/**
 * arch_setup_additional_pages: the vDSO's frames of this ABI on this kernel, mapped into `mm`.
 * __kernel_vsyscall's fast entry is Linux's alternative: SYSENTER on the native i386 kernel
 * (X86_FEATURE_SEP), the vendor's one under IA32 emulation (SYSENTER32 on Intel, SYSCALL32 on AMD).
 */
function archSetupAdditionalPages(env: ExecEnv, linux: LinuxKernel, mm: MmStruct, abi: Abi): VdsoMapping | undefined {
  const fast = abi === "x86_64" ? undefined : env.nativeI386 ? "sysenter" as const : compatFastEntry(env.cpu);
  const pages = linux.vdsoPagesFor(abi, () => new VdsoPages(linux.phys, abi, fast));
  return env.vdso ? new VdsoMapping(mm, pages, env.kstate) : undefined;
}

/** load_elf_binary + create_elf_tables into `mm` (an address space of `linux`) for `task`. */
export function loadElfBinary(env: ExecEnv, linux: LinuxKernel, mm: MmStruct, task: Task, bprm: LinuxBinprm): LoadedProgram {
  const { image } = bprm;
  const is64 = image.bits === 64;
  const vdso = archSetupAdditionalPages(env, linux, mm, is64 ? "x86_64" : "i386");
  // the image's areas hold the program's file open (vm_file), as elf_map's mappings of it do
  const exeFile = openExec(bprm.hostExe, bprm.guestExe);
  // the pages are cached under the key of the bytes they are copied from, not a later look at the file
  const fileId = bprm.fileKey;
  let loaded: LoadedImage;
  try {
    loaded = loadElfImage(mm, image, bprm.guestExe, { file: exeFile, id: fileId });
  } finally {
    exeFile.fput(); // the areas took their own references
  }
  setupBrk(mm, loaded);
  // setup_arg_pages: the stack below STACK_TOP (IA32 emulation: below the 4 GiB compat task size)
  const stackTop = is64 ? STACK_TOP_64 : env.nativeI386 ? STACK_TOP_32 : IA32_PAGE_OFFSET;
  mm.mapRegion(stackTop - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE, "[stack]");
  const random = Buffer.alloc(16);
  env.kstate.getRandomBytes(random);
  const auxv = elfAuxv({
    bits: image.bits, phdr: loaded.phdr, phent: image.phentsize, phnum: image.phnum, entry: loaded.entry,
    cred: task.cred, pageSize: PAGE_SIZE,
    vdso: vdso && { base: vdso.base, vsyscall: is64 ? undefined : vdso.sym("__kernel_vsyscall") },
  });
  const tables = createElfTables(mm, { bits: image.bits, stackTop, argv: bprm.argv, envp: bprm.envp, execfn: bprm.execfn,
    platform: is64 ? "x86_64" : "i686", random, auxv });
  mm.arg = { start: tables.argvStart, end: tables.envEnd };
  mm.startStack = tables.sp;
  // one symbol table per program image and layout, shared by every address space that runs it
  const key = fileId === undefined ? undefined : `${linux.abi}:${fileId}:${loaded.bias}:${vdso?.base}`;
  const known = key === undefined ? undefined : env.symbolTables.get(key);
  if (known) mm.symbols = known;
  else {
    for (const sym of image.symbols) mm.symbols.add(sym.name, loaded.bias + sym.value, sym.size);
    if (vdso) for (const [name, off] of vdso.image.symbols) mm.symbols.add(name, vdso.base + BigInt(off));
    if (key !== undefined) env.symbolTables.set(key, mm.symbols);
  }
  return { ip: loaded.entry, sp: tables.sp, bias: loaded.bias, vdso, newSymbols: !known };
}
