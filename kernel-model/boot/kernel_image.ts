// The kernel's own pages, as both architectures lay them out: the entry text (supervisor,
// read-only, executable) and one physically contiguous block of data pages (GDT, IDT, TSS, ...,
// a guard page, the kernel stack), supervisor read-write and not executable, mapped in
// init_mm's page tables (swapper_pg_dir) that every process's page tables then share.

import type { KernelText } from "../entry/kernel_text.js";
import type { PageTables } from "../mm/pgtable.js";
import { PAGE_SIZE, type PhysMem } from "../mm/phys.js";

/** A kernel data area (GDT, IDT, TSS, per-CPU area, a stack), as the CPU sees it (va) and in RAM (pa). */
export interface KernelArea { va: bigint; pa: number; size: number }

/** What each architecture's boot (setup_64.ts, setup_32.ts) makes that every kernel uses. */
export interface BootLayout {
  readonly text: KernelText;
  /** init_mm's page tables (swapper_pg_dir): the kernel half every address space shares. */
  readonly swapper: PageTables;
  /** The GDT: the first page of the physically contiguous kernel data block. */
  readonly gdt: KernelArea;
  readonly idt: KernelArea;
  readonly tss: KernelArea;
  /** The boot's kernel stack, in the data block, and its top (TSS.sp0 until the first task has its own). */
  readonly stack: KernelArea;
  readonly stackTop: bigint;
}

export interface KernelImage {
  /** Page `i` of the data block, `pages` long. */
  area(page: number, pages?: number): KernelArea;
  put(a: KernelArea, offset: number, bytes: Buffer): void;
}

export function mapKernelImage(phys: PhysMem, swapper: PageTables, text: KernelText, dataStart: bigint,
  dataPages: number, guardPage: number): KernelImage {
  const textPages = Math.ceil(text.bytes.length / PAGE_SIZE);
  const textPa = phys.allocContiguous(textPages);
  text.bytes.copy(phys.mem, textPa);
  for (let i = 0; i < textPages; i++) {
    swapper.map(text.base + BigInt(i * PAGE_SIZE), textPa + i * PAGE_SIZE, { write: false, user: false, exec: true, global: true });
  }
  const dataPa = phys.allocContiguous(dataPages);
  for (let i = 0; i < dataPages; i++) {
    if (i === guardPage) continue; // left unmapped: a kernel stack overflow faults instead of corrupting
    swapper.map(dataStart + BigInt(i * PAGE_SIZE), dataPa + i * PAGE_SIZE, { write: true, user: false, exec: false, global: true });
  }
  return {
    area: (page, pages = 1) => ({ va: dataStart + BigInt(page * PAGE_SIZE), pa: dataPa + page * PAGE_SIZE, size: pages * PAGE_SIZE }),
    put: (a, offset, bytes) => { bytes.copy(phys.mem, a.pa + offset); },
  };
}
