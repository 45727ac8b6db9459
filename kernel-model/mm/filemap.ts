// The page cache (mm/filemap.c): a file's page is read into a frame once, keyed by the file's
// identity and the page's offset, and every address space that maps it shares that frame: a
// private mapping until it writes (then do_wp_page gives the writer a copy), a shared one for
// good. Every process running busybox uses the same text frames, and the CPU's translations of
// them. Pages are read when a process first touches them (filemap_fault), a few at a time, so
// mapping a file costs nothing until it is read, however large the file.

import { fileChangeCount, type File } from "../fs/file.js";
import type { Kstat } from "../fs/kstat.js";
import { PAGE_SIZE, type PhysMem } from "./phys.js";

const PAGE = BigInt(PAGE_SIZE);

/**
 * The page cache's name for an inode's pages (its address_space): device and inode, plus the
 * birth time (an inode number the host gave again to a new file), the size and the change times,
 * because the file's own reads and writes go to the host file and not through these frames: a file
 * changed since its pages were cached gets fresh ones. A kernel kept between runs (`sysgate serve`)
 * keeps its cache, so this is also what tells it a program was rebuilt in between.
 *
 * The host stamps those times from a clock that moves in ticks (jiffies: 4 ms here) and gives a
 * freed inode number to the next new file: a file deleted and another of the same size made in
 * the same tick have the same name (measured on ext4). So a file changed within the last
 * RECENT_CHANGE_MS has no name (undefined): its pages are read for each mapping and not shared
 * until it is older, when any later file would have later times.
 */
export function mappingKey(st: Kstat, nowMs = Date.now()): string | undefined {
  const ms = (ts: Kstat["mtime"]) => Number(ts.sec) * 1000 + ts.nsec / 1e6;
  if (nowMs - Math.max(ms(st.mtime), ms(st.ctime)) < RECENT_CHANGE_MS) return undefined;
  const t = (ts: Kstat["mtime"]) => `${ts.sec}.${ts.nsec}`;
  return `${st.devMajor}:${st.devMinor}:${st.ino}:${t(st.btime)}:${st.size}:${t(st.mtime)}:${t(st.ctime)}`;
}

/** How long after a change a file's times may still be shared with a file changed next (see mappingKey). */
export const RECENT_CHANGE_MS = 100;

/**
 * fault_around_bytes (64 KiB): a read fault maps this many pages around the one it needs, read
 * ahead into the cache, so reading a mapping through costs one fault per 16 pages.
 */
export const FAULT_AROUND_PAGES = 16;

export class PageCache {
  private readonly pages = new Map<string, number>();

  constructor(private readonly phys: PhysMem) {}

  /**
   * find_get_page / filemap_fault: the frame with page `index` of the file `fileId`, filled by
   * `fill` when it is not cached yet. The caller gets one reference (the cache keeps its own).
   */
  get(fileId: string, index: number, fill: (page: Buffer) => void): number {
    const key = `${fileId}:${index}`;
    let pa = this.pages.get(key);
    if (pa === undefined) {
      pa = this.phys.allocFrame();
      try {
        fill(this.phys.mem.subarray(pa, pa + PAGE_SIZE));
      } catch (e) {
        this.phys.putPage(pa);
        throw e;
      }
      this.pages.set(key, pa);
    }
    this.phys.getPage(pa);
    return pa;
  }

  /** shrink_page_list, simplified: drops the pages no address space maps. Returns how many went. */
  shrink(): number {
    let n = 0;
    for (const [key, pa] of this.pages) {
      if (this.phys.pageCount(pa) !== 1) continue;
      this.pages.delete(key);
      this.phys.putPage(pa);
      n++;
    }
    return n;
  }

  get cachedPages(): number {
    return this.pages.size;
  }
}

/** What filemap_fault sees of the file at the time of a fault: its pages' name (none: not cached) and its size. */
export interface FileState { key: string | undefined; size: bigint }

/** Each mapped open file's state, and the count of the model's file changes it was taken at. */
const states = new WeakMap<File, { seen: number; state: FileState }>();

/**
 * The file's state for a fault: taken with one fstat, kept on the open file until the model
 * changes a file (a write, truncate or utimes of any), since a file read through a mapping
 * faults once per page (or per 16). What another host process does to the file meanwhile shows
 * at the model's next change.
 */
export function fileState(file: File): FileState {
  const seen = fileChangeCount();
  const known = states.get(file);
  if (known?.seen === seen) return known.state;
  const st = file.stat();
  const state = { key: mappingKey(st), size: st.size };
  states.set(file, { seen, state });
  return state;
}

/** The number of pages that hold the file's bytes (a fault at or past it is VM_FAULT_SIGBUS). */
export function filePages(state: FileState): bigint {
  return (state.size + PAGE - 1n) / PAGE;
}

/**
 * page_cache_sync_readahead, simplified: the pages [first, first + count) of a file read with one
 * host read when the first of them is missing from the cache (and not at all when none is).
 */
export class Readahead {
  private buf: Buffer | undefined;

  constructor(private readonly file: File, readonly first: bigint, readonly count: number) {}

  /** Copies page `index` into `page` if it lies in the window; false if it does not. */
  fill(index: bigint, page: Buffer): boolean {
    if (index < this.first || index >= this.first + BigInt(this.count)) return false;
    if (!this.buf) {
      const buf = Buffer.alloc(this.count * PAGE_SIZE);
      readFull(this.file, buf, this.first * PAGE);
      this.buf = buf;
    }
    const off = Number(index - this.first) * PAGE_SIZE;
    this.buf.copy(page, 0, off, off + PAGE_SIZE);
    return true;
  }
}

/** Reads `dst.length` bytes at `pos` or up to the end of the file (the rest stays zero). */
function readFull(file: File, dst: Buffer, pos: bigint): void {
  let got = 0;
  while (got < dst.length) {
    const n = file.pread(dst.subarray(got), pos + BigInt(got));
    if (n <= 0) break;
    got += n;
  }
}

/**
 * filemap_fault's page: page `index` of `file` as a frame, one reference for the caller. From the
 * cache when there is one (shared with every other mapping of the file), else a private frame.
 * Bytes past the end of the file in its last page read as zero. The caller checked EOF.
 */
export function filemapPage(cache: PageCache | undefined, phys: PhysMem, file: File, state: FileState, index: bigint, ra?: Readahead): number {
  const fill = (page: Buffer): void => {
    if (!ra?.fill(index, page)) readFull(file, page, index * PAGE);
  };
  if (cache && state.key !== undefined) return cache.get(state.key, Number(index), fill);
  const pa = phys.allocFrame();
  try {
    fill(phys.mem.subarray(pa, pa + PAGE_SIZE));
  } catch (e) {
    phys.putPage(pa);
    throw e;
  }
  return pa;
}
