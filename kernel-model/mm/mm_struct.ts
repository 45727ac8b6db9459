// mm_struct: a process's address space. The virtual memory areas (vm_area_struct) say what may be
// mapped where; the page tables say what is mapped now. Pages are populated on first touch
// (handle_mm_fault): anonymous memory with a zeroed frame, a file mapping with the file's page
// from the page cache (filemap.ts), copied first when a private mapping writes.
//
// Memory is committed as under Linux's strict overcommit (vm.overcommit_memory = 2): a writable
// private area is charged in full when it is created (VM_ACCOUNT, mm/mmap.c accountable_mapping),
// so running out shows up as ENOMEM from mmap/brk/mremap/mprotect, where a program can handle it,
// and not as a page fault that finds no frame.

import { E, Errno } from "../errno.js";
import { LimitReached } from "../limits.js";
import type { UserMemory } from "./uaccess.js";
import { PAGE_SIZE, type PhysMem } from "./phys.js";
import { PageTables } from "./pgtable.js";
import { SymbolTable } from "../symbols.js";
import type { File } from "../fs/file.js";
import { FAULT_AROUND_PAGES, Readahead, filemapPage, filePages, fileState, type FileState, type PageCache } from "./filemap.js";
import { PROT_EXEC, PROT_READ, PROT_WRITE } from "../uapi/asm-generic/mman-common.js";

/** #PF error code bits (arch/x86/include/asm/trap_pf.h). */
export const PF_PROT = 1, PF_WRITE = 2, PF_USER = 4, PF_INSTR = 16;

const PAGE = BigInt(PAGE_SIZE);
export const pageDown = (a: bigint) => a & ~(PAGE - 1n);
export const pageUp = (a: bigint) => (a + PAGE - 1n) & ~(PAGE - 1n);

export interface Vma {
  start: bigint;
  end: bigint;
  prot: number;
  /** VM_ACCOUNT: the area's pages are charged to the commit total (it is, or was, writable). */
  accounted?: boolean;
  /** What /proc/<pid>/maps would show: a path, [heap], [stack], [vdso], [vvar] or "". */
  name: string;
  /** The kernel's own pages mapped into the process (the vDSO and vvar). */
  special?: boolean;
  /**
   * vm_file: the mapped file, held open by the area as get_file does (a reference taken when the
   * area is made, split or copied by fork, dropped by munmap and exit).
   */
  file?: File;
  /** vm_pgoff: the file offset of `start`, in pages. */
  pgoff?: bigint;
  /**
   * vm_ops = generic_file_vm_ops: a fault reads the file's page (filemap_fault). Without it the
   * area is anonymous memory even when it names a file (a private mapping of /dev/zero).
   */
  filemap?: boolean;
  /** VM_SHARED: the area maps the file's pages themselves (MAP_SHARED), never private copies. */
  shared?: boolean;
}

/** What an area maps, for mapRegion: a file from page `pgoff` (MAP_SHARED or private). */
export interface VmaBacking {
  file: File;
  pgoff: bigint;
  filemap: boolean;
  shared?: boolean;
}

/** handle_mm_fault's answer (VM_FAULT_*): the page is there now, or the signal the access gets. */
export const VM_FAULT_OK = 0, VM_FAULT_SIGSEGV = 1, VM_FAULT_SIGBUS = 2;
export type VmFault = typeof VM_FAULT_OK | typeof VM_FAULT_SIGSEGV | typeof VM_FAULT_SIGBUS;

/** linear_page_index: the page of the file that `addr` of area `v` maps (vm_pgoff + pages from the start). */
export function linearPageIndex(v: Vma, addr: bigint): bigint {
  return (v.pgoff ?? 0n) + (addr - v.start) / PAGE;
}

/** The part [start, end) of `v` as a new area: its own file reference, its file offset moved along. */
function vmaSlice(v: Vma, start: bigint, end: bigint): Vma {
  const part = { ...v, start, end };
  if (v.file) {
    v.file.getFile();
    part.pgoff = linearPageIndex(v, start);
  }
  return part;
}

/** RAM that machine.ts adds to the guest's bound for the kernel's own frames (page tables, stacks). */
export const KERNEL_RESERVE = 16 << 20;

/**
 * A page fault found no free frame although the area allows the access: only possible for memory
 * that is not committed (read-only areas). The fault path kills the task, as the OOM killer would.
 */
export class OutOfMemory extends Error {
  constructor(readonly addr: bigint) {
    super(`out of memory (page fault at 0x${addr.toString(16)} found no free frame)`);
  }
}

export interface AddressLayout {
  /** Highest user address + 1 (TASK_SIZE). */
  taskSize: bigint;
  /** Top of the area that top-down mmap allocates from (mmap_base). */
  mmapBase: bigint;
  /** Lowest address mmap hands out without MAP_FIXED (mmap_min_addr). */
  mmapMin: bigint;
  /** The kernel's paging mode, when its user half is small (a 32-bit task on the x86-64 kernel: 4-level). */
  paging?: "4-level" | "pae";
}

export class MmStruct implements UserMemory {
  readonly pgd: PageTables;
  /** Sorted, non-overlapping. */
  readonly vmas: Vma[] = [];
  startBrk = 0n;
  brk = 0n;
  /** Set by the loader (start_code, end_data... are not needed by anything here). */
  arg = { start: 0n, end: 0n };
  env = { start: 0n, end: 0n };
  startStack = 0n;
  /** The page cache of this physical memory (file pages mapped privately share its frames). */
  pageCache: PageCache | undefined;
  /** mm_users: tasks using this address space. */
  users = 1;
  /** Names for addresses: the kernel's, the program's and the vDSO's (what exec loaded here). */
  symbols = new SymbolTable();
  /** Called after entries are removed or restricted, and after code pages changed. */
  onTlbFlush: (codeChanged: boolean) => void = () => {};
  /** Pages charged by accounted areas (this process's share of /proc/meminfo's Committed_AS). */
  committedPages = 0;
  /**
   * CommitLimit in pages: the guest's memory bound (guest RAM minus the kernel's reserve), and never
   * more than the frames that were free when the address space was made.
   */
  commitLimit: number;

  constructor(readonly phys: PhysMem, readonly layout: AddressLayout, pgd?: PageTables) {
    this.pgd = pgd ?? new PageTables(phys, layout.paging ?? (layout.taskSize > 1n << 32n ? "4-level" : "pae"));
    const total = Math.floor(phys.size / PAGE_SIZE);
    // a machine always has more than twice the reserve; a small test machine keeps half for the kernel
    const reserve = Math.min(KERNEL_RESERVE / PAGE_SIZE, Math.floor(total / 2));
    this.commitLimit = Math.max(0, Math.min(total - reserve, total - phys.framesInUse));
  }

  /**
   * __vm_enough_memory with OVERCOMMIT_NEVER: may `pages` more be committed, once `released`
   * pages charged to areas about to be replaced are given back? Throws ENOMEM if not.
   */
  enoughMemory(pages: number, released = 0): void {
    if (pages > 0 && this.committedPages - released + pages > this.commitLimit) {
      throw new LimitReached(E.ENOMEM, "memory", `a process reached its memory bound (--memory, ${this.commitLimit >> 8} MiB ` +
        `for the program; it asked for ${(this.committedPages - released + pages) >> 8} MiB): ENOMEM to the guest`);
    }
  }

  /** Pages of accounted areas inside [start, end). */
  accountedPagesIn(start: bigint, end: bigint): number {
    let n = 0n;
    for (const v of this.vmas) {
      if (!v.accounted || v.end <= start || v.start >= end) continue;
      n += (v.end < end ? v.end : end) - (v.start > start ? v.start : start);
    }
    return Number(n / PAGE);
  }

  findVma(addr: bigint): Vma | undefined {
    // binary search over sorted areas
    let lo = 0, hi = this.vmas.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.vmas[mid];
      if (addr < v.start) hi = mid - 1;
      else if (addr >= v.end) lo = mid + 1;
      else return v;
    }
    return undefined;
  }

  /** Inserts an area, replacing whatever overlapped it (callers unmap first when they must). */
  private insertVma(v: Vma): void {
    let i = 0;
    while (i < this.vmas.length && this.vmas[i].start < v.start) i++;
    this.vmas.splice(i, 0, v);
  }

  /** Splits areas so that `start` and `end` fall on area boundaries; returns the areas inside. */
  private split(start: bigint, end: bigint): Vma[] {
    const out: Vma[] = [];
    for (let i = 0; i < this.vmas.length; i++) {
      const v = this.vmas[i];
      if (v.end <= start || v.start >= end) continue;
      // __split_vma: each part holds the file, the upper part's file offset moves with its start
      if (v.start < start) {
        this.vmas.splice(i, 0, vmaSlice(v, v.start, start));
        if (v.file) v.pgoff = linearPageIndex(v, start);
        v.start = start;
        i++;
      }
      if (v.end > end) {
        this.vmas.splice(i + 1, 0, vmaSlice(v, end, v.end));
        v.end = end;
      }
      out.push(v);
    }
    return out;
  }

  /** Is [start, end) free of areas? */
  isFree(start: bigint, end: bigint): boolean {
    return !this.vmas.some((v) => v.start < end && v.end > start);
  }

  /** get_unmapped_area, top-down from mmap_base as Linux's default layout does. */
  getUnmappedArea(len: bigint): bigint {
    let top = this.layout.mmapBase;
    for (let i = this.vmas.length - 1; i >= 0; i--) {
      const v = this.vmas[i];
      if (v.start >= top) continue;
      if (v.end <= top - len) break;
      top = v.start;
    }
    const start = top - len;
    if (start < this.layout.mmapMin || !this.isFree(start, top)) {
      // fall back to the lowest hole above mmap_min_addr
      let cand = this.layout.mmapMin;
      for (const v of this.vmas) {
        if (v.start >= cand + len) break;
        if (v.end > cand) cand = v.end;
      }
      if (cand + len > this.layout.taskSize) throw new Errno(E.ENOMEM);
      return cand;
    }
    return start;
  }

  /**
   * mmap_region: creates an area, anonymous or mapping `backing`'s file (the area takes its own
   * reference to it); pages appear on first touch. Overlapped areas are unmapped first.
   * A writable area is charged (`account` overrides); ENOMEM, with nothing changed, past the limit.
   */
  mapRegion(start: bigint, len: bigint, prot: number, name = "", account = (prot & PROT_WRITE) !== 0, backing?: VmaBacking): void {
    const end = pageUp(start + len);
    const pages = Number((end - start) / PAGE);
    if (account) this.enoughMemory(pages, this.accountedPagesIn(start, end));
    this.unmapRegion(start, end - start);
    const v: Vma = { start, end, prot, name, accounted: account };
    if (backing) {
      v.file = backing.file.getFile();
      v.pgoff = backing.pgoff;
      v.filemap = backing.filemap;
      if (backing.shared) v.shared = true;
    }
    this.insertVma(v);
    if (account) this.committedPages += pages;
  }

  /** What an area maps from its start, to make another area that continues or replaces it. */
  backingOf(v: Vma, at = v.start): VmaBacking | undefined {
    if (!v.file) return undefined;
    return { file: v.file, pgoff: linearPageIndex(v, at), filemap: v.filemap ?? false, shared: v.shared };
  }

  unmapRegion(start: bigint, len: bigint): void {
    const end = pageUp(start + len);
    let hadExec = false;
    const gone = new Set(this.split(start, end));
    if (!gone.size) return;
    for (const v of gone) {
      hadExec ||= (v.prot & PROT_EXEC) !== 0;
      if (v.accounted) this.committedPages -= Number((v.end - v.start) / PAGE);
      this.pgd.zapRange(v.start, v.end, (_a, pa) => this.phys.putPage(pa)); // unmap_vmas
      v.file?.fput(); // remove_vma
    }
    for (let i = this.vmas.length - 1; i >= 0; i--) if (gone.has(this.vmas[i])) this.vmas.splice(i, 1);
    this.onTlbFlush(hadExec);
  }

  protectRegion(start: bigint, len: bigint, prot: number): void {
    const end = pageUp(start + len);
    // Linux: ENOMEM when part of the range is not mapped
    for (let a = start; a < end; ) {
      const v = this.findVma(a);
      if (!v) throw new Errno(E.ENOMEM);
      // a shared file mapping without VM_MAYWRITE (the model writes no file through memory): EACCES
      if (prot & PROT_WRITE && v.shared && v.filemap) throw new Errno(E.EACCES);
      a = v.end;
    }
    // mprotect_fixup: gaining PROT_WRITE charges an area not yet accounted; losing it keeps the
    // charge (VM_ACCOUNT stays until munmap), so a later PROT_WRITE cannot fail.
    let charge = 0n;
    if (prot & PROT_WRITE) {
      for (const v of this.vmas) {
        if (v.accounted || v.end <= start || v.start >= end) continue;
        charge += (v.end < end ? v.end : end) - (v.start > start ? v.start : start);
      }
    }
    this.enoughMemory(Number(charge / PAGE));
    this.committedPages += Number(charge / PAGE);
    let codeChanged = false;
    for (const v of this.split(start, end)) {
      codeChanged ||= ((v.prot ^ prot) & PROT_EXEC) !== 0;
      v.prot = prot;
      if (prot & PROT_WRITE) v.accounted = true;
      // change_protection, over the entries that exist: a PROT_NONE page keeps its contents
      // (inaccessible, not discarded)
      this.pgd.changeProtection(v.start, v.end, (pa) => this.ptePerm(prot, pa));
    }
    this.onTlbFlush(codeChanged);
  }

  private pteFlags(prot: number) {
    return { write: (prot & PROT_WRITE) !== 0, user: prot !== 0, exec: (prot & PROT_EXEC) !== 0 };
  }

  /** The PTE bits for a present frame: a frame others share stays read-only (the write fault copies it). */
  private ptePerm(prot: number, pa: number) {
    const f = this.pteFlags(prot);
    if (f.write && this.phys.pageCount(pa) > 1) f.write = false;
    return f;
  }

  /**
   * Maps page `addr` of an existing area to `pa`, a frame the caller holds a reference for (a
   * page-cache page): read-only while others share it.
   */
  mapSharedPage(addr: bigint, pa: number): void {
    const v = this.findVma(addr);
    if (!v) throw new Error(`no area at 0x${addr.toString(16)}`);
    const old = this.pgd.unmap(addr);
    if (old !== undefined) this.phys.putPage(old);
    this.pgd.map(addr, pa, this.ptePerm(v.prot, pa));
  }

  /** Reports each copy-on-write fault (the kernel turns it into a hook event). */
  onCowFault: (e: { address: bigint; oldFrame: number; newFrame: number; reused: boolean }) => void = () => {};

  /**
   * do_wp_page: a write to a present, read-only page of a writable private area. The last user
   * of the frame gets it back writable (wp_page_reuse); otherwise the page is copied into a new
   * frame (wp_page_copy) and the old frame loses a user.
   */
  private doWpPage(page: bigint, pa: number, prot: number): number {
    let frame = pa;
    const reused = this.phys.pageCount(pa) === 1;
    if (!reused) {
      frame = this.phys.allocFrame(false);
      this.phys.mem.copy(this.phys.mem, frame, pa, pa + PAGE_SIZE);
    }
    this.pgd.map(page, frame, this.pteFlags(prot));
    if (!reused) this.phys.putPage(pa);
    // wp_page_copy's ptep_clear_flush: the TLB may still map the page to the old frame for reads.
    // wp_page_reuse only adds write permission to the same frame: a write through the stale
    // read-only entry walks the tables again rather than faulting (test/mm/cow.test.ts), no flush.
    if (!reused) this.onTlbFlush(false);
    this.onCowFault({ address: page, oldFrame: pa, newFrame: frame, reused });
    return frame;
  }

  /**
   * do_user_addr_fault / handle_mm_fault for a user access to `addr` with the #PF error code
   * (bit 0 present, 1 write, 2 user, 4 instruction fetch). Populates the page when the area allows
   * the access; VM_FAULT_SIGSEGV when it does not, VM_FAULT_SIGBUS when the file has no such page.
   */
  handleFault(addr: bigint, errorCode: number): VmFault {
    const v = this.findVma(addr);
    if (!v) return VM_FAULT_SIGSEGV;
    if (errorCode & PF_WRITE && !(v.prot & PROT_WRITE)) return VM_FAULT_SIGSEGV;
    if (errorCode & PF_INSTR && !(v.prot & PROT_EXEC)) return VM_FAULT_SIGSEGV;
    if (!(v.prot & (PROT_READ | PROT_WRITE | PROT_EXEC))) return VM_FAULT_SIGSEGV;
    const page = pageDown(addr);
    try {
      if (errorCode & PF_PROT) {
        // present but not allowed: copy-on-write when the area is writable, else a protection fault
        const pte = this.pgd.lookup(page);
        if (!(errorCode & PF_WRITE) || !pte || !pte.user || pte.write) return VM_FAULT_SIGSEGV;
        this.doWpPage(page, pte.pa, v.prot);
        return VM_FAULT_OK;
      }
      if (this.pgd.lookup(page)) return VM_FAULT_SIGSEGV;
      return this.doPteNone(v, page, (errorCode & PF_WRITE) !== 0) === undefined ? VM_FAULT_SIGBUS : VM_FAULT_OK;
    } catch (e) {
      if (e instanceof Errno && e.errno === E.ENOMEM) throw new OutOfMemory(addr);
      throw e;
    }
  }

  /**
   * handle_pte_fault for a page with no entry: do_anonymous_page, or do_fault for a file mapping
   * (do_read_fault, do_cow_fault for a private mapping's write, do_shared_fault). Returns the
   * frame now mapped, or undefined for a page wholly past the end of the file (SIGBUS).
   */
  private doPteNone(v: Vma, page: bigint, write: boolean): number | undefined {
    if (!v.file || !v.filemap) {
      const pa = this.phys.allocFrame();
      this.pgd.map(page, pa, this.pteFlags(v.prot));
      return pa;
    }
    const file = v.file;
    const index = linearPageIndex(v, page);
    const cow = write && !v.shared;
    let state: FileState, cached: number;
    let around: { from: bigint; to: bigint; ra: Readahead } | undefined;
    try {
      state = fileState(file);
      if (index >= filePages(state)) return undefined; // filemap_fault: VM_FAULT_SIGBUS
      if (!cow) around = this.faultAroundWindow(v, page, file, state);
      cached = filemapPage(this.pageCache, this.phys, file, state, index, around?.ra);
    } catch (e) {
      // a read error of the file is SIGBUS too (filemap_fault's page_not_uptodate)
      if (e instanceof Errno && e.errno !== E.ENOMEM) return undefined;
      throw e;
    }
    if (cow) {
      // do_cow_fault: the writer gets its own copy of the file's page at once
      let pa: number;
      try {
        pa = this.phys.allocFrame(false); // the file's page is copied over it whole
      } finally {
        this.phys.putPage(cached);
      }
      this.phys.mem.copy(this.phys.mem, pa, cached, cached + PAGE_SIZE);
      this.pgd.map(page, pa, this.pteFlags(v.prot));
      return pa;
    }
    // do_read_fault (and do_shared_fault: shared file mappings are never writable in the model)
    this.pgd.map(page, cached, this.ptePerm(v.prot, cached));
    if (around) this.doFaultAround(v, page, around.from, around.to, file, state, around.ra);
    return cached;
  }

  /**
   * fault_around_bytes' window: the aligned FAULT_AROUND_PAGES around `page`, inside the area and
   * the file, and the readahead that reads it with one host read.
   */
  private faultAroundWindow(v: Vma, page: bigint, file: File, state: FileState): { from: bigint; to: bigint; ra: Readahead } {
    const span = BigInt(FAULT_AROUND_PAGES) * PAGE;
    const window = page & ~(span - 1n);
    const from = window > v.start ? window : v.start;
    const eofAddr = v.start + (filePages(state) - (v.pgoff ?? 0n)) * PAGE;
    let to = window + span;
    if (to > v.end) to = v.end;
    if (to > eofAddr) to = eofAddr;
    return { from, to, ra: new Readahead(file, linearPageIndex(v, from), Number((to - from) / PAGE)) };
  }

  /** do_fault_around: the window's other pages that have no entry yet are mapped as well. */
  private doFaultAround(v: Vma, page: bigint, from: bigint, to: bigint, file: File, state: FileState, ra: Readahead): void {
    for (let a = from; a < to; a += PAGE) {
      if (a === page || this.pgd.lookup(a)) continue;
      let pa: number;
      try {
        pa = filemapPage(this.pageCache, this.phys, file, state, linearPageIndex(v, a), ra);
      } catch {
        return; // no frame for the extra pages: the fault itself is served
      }
      this.pgd.map(a, pa, this.ptePerm(v.prot, pa));
    }
  }

  /**
   * mremap's move_vma: the area [from, from + oldLen) (inside one area) moves to `to` and becomes
   * newLen long. The frames move with their PTEs (move_page_tables), nothing is copied; only the
   * growth is charged, checked before anything changes.
   */
  moveRegion(from: bigint, oldLen: bigint, to: bigint, newLen: bigint): void {
    const v = this.findVma(from);
    if (!v || from + oldLen > v.end) throw new Errno(E.EFAULT);
    const { prot, name } = v;
    const accounted = v.accounted ?? false;
    if (accounted) this.enoughMemory(Number((newLen - oldLen) / PAGE));
    // the file goes with the area (held across the unmap below, which drops the old area's hold)
    const backing = this.backingOf(v, from);
    backing?.file.getFile();
    const moved: [bigint, number][] = [];
    for (const part of this.split(from, from + oldLen)) {
      // present entries only: an area of a large file may be gigabytes with few pages populated
      this.pgd.zapRange(part.start, part.end, (a, pa) => moved.push([a - from, pa]));
    }
    // the PTEs are cleared, so this only drops the area and its charge
    this.unmapRegion(from, oldLen);
    this.mapRegion(to, newLen, prot, name, accounted, backing);
    backing?.file.fput();
    for (const [off, pa] of moved) {
      if (off < newLen) this.pgd.map(to + off, pa, prot === 0 ? { write: false, user: false, exec: false } : this.ptePerm(prot, pa));
      else this.phys.putPage(pa);
    }
    this.onTlbFlush((prot & PROT_EXEC) !== 0);
  }

  /**
   * The #PF error code for a fault at `addr`, as the CPU would have pushed it. Unicorn does not
   * report it, so it is rebuilt from the page tables: present and user bits are certain; a
   * fault on a present, user-readable page can only have been a write or a fetch.
   */
  faultErrorCode(addr: bigint, rip: bigint, user: boolean): number {
    const pte = this.pgd.lookup(pageDown(addr));
    let ec = user ? PF_USER : 0;
    const fetch = addr === rip;
    if (fetch) ec |= PF_INSTR;
    if (pte && pte.user) {
      ec |= PF_PROT;
      if (!fetch) ec |= PF_WRITE;
    } else if (pte && user) {
      ec |= PF_PROT; // a supervisor page seen from user mode
    }
    return ec;
  }

  /** The physical address backing `addr`, populating it on the way; throws EFAULT. */
  private physFor(addr: bigint, write: boolean, force: boolean): number {
    const page = pageDown(addr);
    let pte = this.pgd.lookup(page);
    if (!pte || !pte.user) {
      const v = this.findVma(addr);
      if (!v || (!force && v.prot === 0)) throw new Errno(E.EFAULT);
      if (!pte) {
        // a page past the end of a mapped file: the access would be SIGBUS, the copy fails
        if (this.doPteNone(v, page, write && (v.prot & PROT_WRITE) !== 0) === undefined) throw new Errno(E.EFAULT);
        pte = this.pgd.lookup(page)!;
      }
    }
    if (write && !pte.write) {
      const v = this.findVma(addr);
      if (!v) throw new Errno(E.EFAULT);
      // copy_to_user into a copy-on-write page breaks the sharing first, as the user's write would;
      // a debugger's or the loader's write into a frame others share gets a private copy too
      if (v.prot & PROT_WRITE || (force && this.phys.pageCount(pte.pa) > 1)) return this.doWpPage(page, pte.pa, v.prot) + Number(addr - page);
      if (!force) throw new Errno(E.EFAULT);
    }
    return pte.pa + Number(addr - page);
  }

  /** Copies out of user memory (copy_from_user). */
  read(addr: bigint, len: number): Buffer {
    const out = Buffer.allocUnsafe(len);
    this.copy(addr, len, false, false, (pa, off, n) => this.phys.mem.copy(out, off, pa, pa + n));
    return out;
  }

  /** Copies into user memory (copy_to_user). */
  write(addr: bigint, data: Uint8Array): void {
    this.copy(addr, data.length, true, false, (pa, off, n) => this.phys.mem.set(data.subarray(off, off + n), pa));
  }

  /** Kernel-side writes that ignore the user's protection (the loader writing text, the vDSO). */
  poke(addr: bigint, data: Uint8Array): void {
    this.copy(addr, data.length, true, true, (pa, off, n) => this.phys.mem.set(data.subarray(off, off + n), pa));
  }
  peek(addr: bigint, len: number): Buffer {
    const out = Buffer.allocUnsafe(len);
    this.copy(addr, len, false, true, (pa, off, n) => this.phys.mem.copy(out, off, pa, pa + n));
    return out;
  }

  private copy(addr: bigint, len: number, write: boolean, force: boolean, chunk: (pa: number, off: number, n: number) => void): void {
    if (len === 0) return;
    if (addr < 0n || addr + BigInt(len) > this.layout.taskSize) throw new Errno(E.EFAULT);
    let off = 0;
    while (off < len) {
      const a = addr + BigInt(off);
      const inPage = PAGE_SIZE - Number(a & (PAGE - 1n));
      const n = Math.min(inPage, len - off);
      chunk(this.physFor(a, write, force), off, n);
      off += n;
    }
  }

  readCString(addr: bigint, max = 4096): Buffer {
    const parts: Buffer[] = [];
    let total = 0;
    let a = addr;
    for (;;) {
      const n = PAGE_SIZE - Number(a & (PAGE - 1n));
      const pa = this.physFor(a, false, false);
      const chunk = this.phys.mem.subarray(pa, pa + n);
      const z = chunk.indexOf(0);
      const take = z < 0 ? chunk : chunk.subarray(0, z);
      parts.push(Buffer.from(take));
      total += take.length;
      if (total > max) throw new Errno(E.ENAMETOOLONG);
      if (z >= 0) return Buffer.concat(parts, total);
      a += BigInt(n);
    }
  }

  readU32(addr: bigint): number { return this.read(addr, 4).readUInt32LE(0); }
  readU64(addr: bigint): bigint { return this.read(addr, 8).readBigUInt64LE(0); }

  /**
   * dup_mmap + copy_page_range for fork: the same areas, break and stack in `child` (an address
   * space on the same physical memory), and the same frames: nothing is copied. Each frame gains
   * a user; a private writable page becomes read-only in both address spaces, so the first
   * write of either faults into do_wp_page, which copies it then.
   */
  dupInto(child: MmStruct): void {
    for (const v of this.vmas) child.vmas.push({ ...v, file: v.file?.getFile() });
    child.startBrk = this.startBrk;
    child.brk = this.brk;
    child.arg = { ...this.arg };
    child.env = { ...this.env };
    child.startStack = this.startStack;
    child.committedPages = this.committedPages;
    child.symbols = this.symbols;
    let protectedAny = false;
    for (const v of this.vmas) {
      // the frames gain a user; writable entries are write-protected in the parent and the child
      if (this.pgd.copyPageRange(child.pgd, v.start, v.end, (pa) => this.phys.getPage(pa))) protectedAny = true;
    }
    if (protectedAny) this.onTlbFlush(false); // the parent's writable entries became read-only
  }

  /**
   * exit_mmap + pgd_free: every frame is put and the page tables of the user half go back
   * (`userEntries` top-level entries; the kernel half is shared and stays). The address space is
   * unusable afterwards.
   */
  release(userEntries: number): void {
    for (const v of this.vmas) {
      this.pgd.forEachPresentFrame(v.start, v.end, (pa) => this.phys.putPage(pa));
      v.file?.fput();
    }
    this.vmas.length = 0;
    this.committedPages = 0;
    this.pgd.destroy(userEntries);
  }

  /** Pages currently backed by frames (for the memory bound and for tests). */
  residentPages(): number {
    let n = 0;
    for (const v of this.vmas) this.pgd.forEachPresentFrame(v.start, v.end, () => { n++; });
    return n;
  }
}
