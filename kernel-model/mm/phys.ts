// Physical memory: one host buffer mapped into the CPU at physical address 0, handed out in
// 4 KiB frames (Linux's page allocator, without zones or orders). The frame count is the guest's
// memory bound: when it runs out, allocations fail with ENOMEM instead of growing the host.

import { E, Errno } from "../errno.js";

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

export class PhysMem {
  readonly mem: Buffer;
  private next: number;
  private readonly free: number[] = [];
  private used = 0;

  /**
   * `size` bytes of guest RAM (zeroed, committed by the host only when touched: `mem` if the
   * emulator provides it); frames below `reserved` are never handed out (the first MiB, as on a PC).
   */
  constructor(size: number, reserved = 0x100000, mem?: Buffer) {
    if (size % PAGE_SIZE) throw new Error("physical memory size must be a whole number of pages");
    this.mem = mem ?? Buffer.alloc(size);
    if (this.mem.length !== size) throw new Error("physical memory buffer of the wrong size");
    this.next = reserved;
  }

  get size(): number { return this.mem.length; }
  get framesInUse(): number { return this.used; }
  /** Everything at or above this physical address has never been handed out (and is still zero). */
  get highWater(): number { return this.next; }

  /** A zeroed frame's physical address (alloc_page(GFP_ZERO)). */
  allocFrame(): number {
    let pa = this.free.pop();
    if (pa === undefined) {
      if (this.next + PAGE_SIZE > this.mem.length) throw new Errno(E.ENOMEM, "guest memory limit reached");
      pa = this.next;
      this.next += PAGE_SIZE;
    } else {
      this.mem.fill(0, pa, pa + PAGE_SIZE);
    }
    this.used++;
    return pa;
  }

  /** `n` physically contiguous zeroed frames from the never-used part (boot-time allocations). */
  allocContiguous(n: number): number {
    if (this.next + n * PAGE_SIZE > this.mem.length) throw new Errno(E.ENOMEM, "guest memory limit reached");
    const pa = this.next;
    this.next += n * PAGE_SIZE;
    this.used += n;
    return pa;
  }

  freeFrame(pa: number): void {
    this.free.push(pa);
    this.used--;
  }
}
