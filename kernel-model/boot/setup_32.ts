// Boot of the i386 kernel model: the state Linux's head_32.S, cpu_init(), trap_init() and
// enable_sep_cpu() leave behind, written into guest memory and CPU registers. Paging is PAE
// (so the NX bit exists, as on any i386 kernel built for PAE hardware).

import { EFER_NX, MSR, type Cpu } from "../cpu.js";
import { idtEntryFor } from "../entry/idtentry.js";
import { kernelText } from "../entry/kernel_text.js";
import { PageTables } from "../mm/pgtable.js";
import { PAGE_SIZE, type PhysMem } from "../mm/phys.js";
import { GATE_INTERRUPT, gateDescriptor, segmentDescriptor, tssDescriptor } from "./desc.js";
import { type BootLayout, mapKernelImage } from "./kernel_image.js";
import * as L from "./layout_32.js";

const CR0_PE = 1n, CR0_MP = 2n, CR0_ET = 0x10n, CR0_NE = 0x20n, CR0_WP = 0x10000n, CR0_AM = 0x40000n, CR0_PG = 0x80000000n;
const CR4_PAE = 0x20n, CR4_OSFXSR = 0x200n, CR4_OSXMMEXCPT = 0x400n;
export const IA32_SYSCALL_VECTOR = 0x80;

/** swapper is the kernel page directory every process's PDPT entry 3 points at. */
export interface Boot32 extends BootLayout {
  /** What enable_sep_cpu() wrote; SYSENTER_ESP follows the current task's kernel stack (load_sp0). */
  readonly msrs: { sysenterCs: bigint; sysenterEsp: bigint; sysenterEip: bigint };
}

export function startKernel32(cpu: Cpu, phys: PhysMem): Boot32 {
  const text = kernelText("entry_32");
  const swapper = new PageTables(phys, "pae");

  // GDT, IDT, TSS, a guard page, then the kernel stack: one contiguous block of kernel data.
  const stackPages = L.THREAD_SIZE / PAGE_SIZE;
  const { area, put } = mapKernelImage(phys, swapper, text, L.KERNEL_DATA_START, 3 + 1 + stackPages, 3);
  const gdt = area(0), idt = area(1), tss = area(2), stack = area(4, stackPages);
  const stackTop = stack.va + BigInt(stack.size);

  // GDT (arch/x86/kernel/cpu/common.c gdt_page, 32-bit): flat 4 GiB code and data segments.
  put(gdt, L.GDT_ENTRY_KERNEL_CS * 8, segmentDescriptor({ code: true, dpl: 0, db: true }));
  put(gdt, L.GDT_ENTRY_KERNEL_DS * 8, segmentDescriptor({ code: false, dpl: 0, db: true }));
  put(gdt, L.GDT_ENTRY_DEFAULT_USER_CS * 8, segmentDescriptor({ code: true, dpl: 3, db: true }));
  put(gdt, L.GDT_ENTRY_DEFAULT_USER_DS * 8, segmentDescriptor({ code: false, dpl: 3, db: true }));
  const TSS_SIZE = 0x68;
  put(gdt, L.GDT_ENTRY_TSS * 8, tssDescriptor(tss.va, TSS_SIZE - 1, false));

  // TSS: ESP0/SS0, the stack an interrupt from user mode switches to.
  phys.mem.writeUInt32LE(Number(stackTop), tss.pa + 4);
  phys.mem.writeUInt32LE(L.__KERNEL_DS, tss.pa + 8);
  phys.mem.writeUInt16LE(TSS_SIZE, tss.pa + 0x66);

  // IDT: the exception stubs, and vector 128 a DPL 3 gate to entry_INT80_32 (idt_setup_traps:
  // SYSG(IA32_SYSCALL_VECTOR, entry_INT80_32)). Every other vector is DPL 0.
  const unhandled = text.sym("asm_exc_unhandled");
  for (let v = 0; v < 256; v++) {
    const t = idtEntryFor(v);
    const int80 = v === IA32_SYSCALL_VECTOR;
    const offset = int80 ? text.sym("entry_INT80_32") : t ? text.sym(t.stub) : unhandled;
    const dpl = int80 ? 3 : t?.dpl ?? 0;
    put(idt, v * 8, gateDescriptor({ offset, selector: L.__KERNEL_CS, type: GATE_INTERRUPT, dpl, present: true }, false));
  }

  // enable_sep_cpu(): the SYSENTER MSRs.
  const msrs = { sysenterCs: BigInt(L.__KERNEL_CS), sysenterEsp: stackTop, sysenterEip: text.sym("entry_SYSENTER_32") };
  cpu.set("cr3", swapper.root);
  cpu.set("cr4", CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT);
  cpu.wrmsr(MSR.EFER, EFER_NX);
  cpu.set("cr0", CR0_PG | CR0_AM | CR0_WP | CR0_NE | CR0_ET | CR0_MP | CR0_PE);
  cpu.setTable("gdtr", { selector: 0, base: gdt.va, limit: L.GDT_ENTRIES * 8 - 1, flags: 0 });
  cpu.setTable("idtr", { selector: 0, base: idt.va, limit: 256 * 8 - 1, flags: 0 });
  cpu.wrmsr(MSR.IA32_SYSENTER_CS, msrs.sysenterCs);
  cpu.wrmsr(MSR.IA32_SYSENTER_ESP, msrs.sysenterEsp);
  cpu.wrmsr(MSR.IA32_SYSENTER_EIP, msrs.sysenterEip);
  cpu.set("esp", stackTop);
  return { text, swapper, gdt, idt, tss, stack, stackTop, msrs };
}
