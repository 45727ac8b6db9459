// Physical memory: one host buffer mapped into the CPU at physical address 0, handed out in
// 4 KiB frames (Linux's page allocator, without zones or orders) with a reference count per
// frame (struct page's _refcount): a frame mapped by several address spaces (a forked page, a
// page-cache page, the vDSO) is freed when its last user lets go. The frame count is the
// machine-wide memory bound: when it runs out, allocations fail with ENOMEM instead of growing
// the host.

import { E, Errno } from "../errno.js";

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
/**
 * The most physical memory a kernel can have: page-table entries are handled as two 32-bit
 * halves (frames below 4 GiB, as on a PAE machine without highmem above 4 GiB), and a Node
 * Buffer is at most 4 GiB long.
 */
export const MAX_PHYS_MEMORY = 2 ** 32;

export class PhysMem {
  readonly mem: Buffer;
  /**
   * The same memory as 32-bit words (little-endian, as the host and the guest are): page-table
   * entries are read and written through it, which V8 compiles to a plain load or store where
   * Buffer.readUInt32LE is a call with range checks.
   */
  readonly u32: Uint32Array;
  private next: number;
  private readonly free: number[] = [];
  private used = 0;
  /** page_ref_count, per frame (0 = free). */
  private readonly refs: Uint32Array;
  /** Frames that were mapped executable at some point: the CPU may hold translations of them. */
  private readonly code: Uint8Array;
  /**
   * Freed frames that held code, kept out of use: the CPU's translations are keyed by frame, and
   * dropping them (a full translation flush) costs most of a second, so these frames wait until
   * free memory runs low and one flush makes them all usable again (reclaimCode).
   */
  private readonly codeFree: number[] = [];
  /** Called when free memory runs low while frames wait for a translation flush. */
  onCodeReclaim: () => void = () => {};
  /** Called when no frame is free: frees what it can (the page cache's unmapped pages); true if it did. */
  onShrink: () => boolean = () => false;

  /**
   * `size` bytes of guest RAM (zeroed, committed by the host only when touched: `mem` if the
   * emulator provides it); frames below `reserved` are never handed out (the first MiB, as on a PC).
   */
  constructor(size: number, reserved = 0x100000, mem?: Buffer) {
    if (size % PAGE_SIZE) throw new Error("physical memory size must be a whole number of pages");
    if (size > MAX_PHYS_MEMORY) throw new Error(`physical memory is at most ${MAX_PHYS_MEMORY / 2 ** 30} GiB`);
    this.mem = mem ?? Buffer.alloc(size);
    if (this.mem.length !== size) throw new Error("physical memory buffer of the wrong size");
    if (this.mem.byteOffset % 4) throw new Error("physical memory must be 4-byte aligned");
    this.u32 = new Uint32Array(this.mem.buffer, this.mem.byteOffset, size / 4);
    this.next = reserved;
    this.refs = new Uint32Array(size / PAGE_SIZE);
    this.code = new Uint8Array(size / PAGE_SIZE);
  }

  get size(): number { return this.mem.length; }
  get framesInUse(): number { return this.used; }
  /** Frames never handed out plus frames freed again (including those waiting for a translation flush). */
  get framesFree(): number { return (this.mem.length - this.next) / PAGE_SIZE + this.free.length + this.codeFree.length; }
  /** Freed frames that held code, waiting for a translation flush before they are handed out again. */
  get framesAwaitingFlush(): number { return this.codeFree.length; }
  /** Everything at or above this physical address has never been handed out (and is still zero). */
  get highWater(): number { return this.next; }

  /**
   * A zeroed frame's physical address, its count 1 (alloc_page(GFP_ZERO)); with `zero` false, a
   * frame whose old contents the caller overwrites whole (a copy-on-write copy) is not cleared.
   */
  allocFrame(zero = true): number {
    if (this.codeFree.length && this.free.length + (this.mem.length - this.next) / PAGE_SIZE < this.lowWater) this.onCodeReclaim();
    let pa = this.free.pop();
    if (pa === undefined && this.next + PAGE_SIZE > this.mem.length && this.onShrink()) pa = this.free.pop();
    if (pa === undefined) {
      if (this.next + PAGE_SIZE > this.mem.length) throw new Errno(E.ENOMEM, "out of physical memory");
      pa = this.next;
      this.next += PAGE_SIZE;
    } else if (zero) {
      this.mem.fill(0, pa, pa + PAGE_SIZE);
    }
    this.used++;
    this.refs[pa / PAGE_SIZE] = 1;
    return pa;
  }

  /** `n` physically contiguous zeroed frames from the never-used part (boot-time allocations). */
  allocContiguous(n: number): number {
    if (this.next + n * PAGE_SIZE > this.mem.length) throw new Errno(E.ENOMEM, "out of physical memory");
    const pa = this.next;
    this.next += n * PAGE_SIZE;
    this.used += n;
    this.refs.fill(1, pa / PAGE_SIZE, pa / PAGE_SIZE + n);
    return pa;
  }

  /** get_page: one more user of the frame. */
  getPage(pa: number): void {
    this.refs[pa / PAGE_SIZE]++;
  }

  /** put_page: one user fewer; the frame is free when none is left. */
  putPage(pa: number): void {
    const i = pa / PAGE_SIZE;
    if (this.refs[i] === 0) throw new Error(`put_page of free frame 0x${pa.toString(16)}`);
    if (--this.refs[i]) return;
    (this.code[i] ? this.codeFree : this.free).push(pa);
    this.used--;
  }

  /** After the CPU dropped every translation: the frames that held code can be used again. */
  reclaimCode(): void {
    for (const pa of this.codeFree) {
      this.code[pa / PAGE_SIZE] = 0;
      this.free.push(pa);
    }
    this.codeFree.length = 0;
  }

  /** Below this many usable frames, frames that held code are reclaimed. */
  private get lowWater(): number {
    return Math.max(256, this.mem.length / PAGE_SIZE / 16);
  }

  /** Kept for callers that own the only reference. */
  freeFrame(pa: number): void {
    this.putPage(pa);
  }

  /** page_count */
  pageCount(pa: number): number {
    return this.refs[pa / PAGE_SIZE];
  }

  /** The frame is mapped executable somewhere: the CPU may translate code from it. */
  markCode(pa: number): void {
    this.code[pa / PAGE_SIZE] = 1;
  }

  /** Whether the CPU may hold translations of the frame's bytes (it was mapped executable since the last flush). */
  isCode(pa: number): boolean {
    return this.code[Math.floor(pa / PAGE_SIZE)] === 1;
  }
}
