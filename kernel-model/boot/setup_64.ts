// Boot of the x86-64 kernel model: what Linux's early boot, cpu_init(), trap_init()/idt_setup
// and syscall_init() leave behind. Tables are written into guest memory and the CPU's registers
// are pointed at them, so the CPU itself (not the model) uses them from then on.

import { EFER_LMA, EFER_LME, EFER_NX, EFER_SCE, MSR, type Cpu } from "../cpu.js";
import { idtEntryFor } from "../entry/idtentry.js";
import { kernelText } from "../entry/kernel_text.js";
import { PageTables } from "../mm/pgtable.js";
import { PAGE_SIZE, type PhysMem } from "../mm/phys.js";
import { GATE_INTERRUPT, gateDescriptor, segmentDescriptor, tssDescriptor } from "./desc.js";
import { type BootLayout, type KernelArea, mapKernelImage } from "./kernel_image.js";
import * as L from "./layout_64.js";
import { IA32_SYSCALL_VECTOR } from "./setup_32.js";
import { X86_EFLAGS_AC, X86_EFLAGS_AF, X86_EFLAGS_CF, X86_EFLAGS_DF, X86_EFLAGS_ID, X86_EFLAGS_IF, X86_EFLAGS_IOPL, X86_EFLAGS_NT, X86_EFLAGS_OF, X86_EFLAGS_PF, X86_EFLAGS_RF, X86_EFLAGS_SF, X86_EFLAGS_TF, X86_EFLAGS_ZF } from "../uapi/asm/processor-flags.js";

// The X86_EFLAGS_* bits syscall_init() puts in IA32_FMASK: cleared on SYSCALL entry.
export const SYSCALL_MASK_64 = X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | X86_EFLAGS_ZF | X86_EFLAGS_SF |
  X86_EFLAGS_TF | X86_EFLAGS_IF | X86_EFLAGS_DF | X86_EFLAGS_OF | X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_RF |
  X86_EFLAGS_AC | X86_EFLAGS_ID;

// CR0/CR4 bits (SDM vol. 3A, 2.5)
const CR0_PE = 1n, CR0_MP = 2n, CR0_ET = 0x10n, CR0_NE = 0x20n, CR0_WP = 0x10000n, CR0_AM = 0x40000n, CR0_PG = 0x80000000n;
const CR4_PAE = 0x20n, CR4_OSFXSR = 0x200n, CR4_OSXMMEXCPT = 0x400n;


export interface Boot64 extends BootLayout {
  readonly percpu: KernelArea;
  readonly msrs: { star: bigint; lstar: bigint; fmask: bigint; efer: bigint } & CompatMsrs;
}

/** What syscall_init() writes for IA32 emulation: the compat SYSCALL target and the SYSENTER MSRs. */
export interface CompatMsrs { cstar: bigint; sysenterCs: bigint; sysenterEsp: bigint; sysenterEip: bigint }

export function startKernel64(cpu: Cpu, phys: PhysMem): Boot64 {
  const text = kernelText("entry_64");
  const swapper = new PageTables(phys, "4-level");
  swapper.populate(L.VMALLOC_START); // the kernel stacks' top-level entry exists before any mm copies the kernel half

  // Kernel text, then one contiguous block of data: GDT, IDT, TSS, per-CPU area, a guard page
  // and the stack (the user gets #PF touching any of it: supervisor pages).
  const stackPages = L.THREAD_SIZE / PAGE_SIZE;
  const { area, put } = mapKernelImage(phys, swapper, text, L.KERNEL_DATA_START, 4 + 1 + stackPages, 4);
  const gdt = area(0), idt = area(1), tss = area(2), percpu = area(3), stack = area(5, stackPages);
  const stackTop = stack.va + BigInt(stack.size);

  // GDT (arch/x86/kernel/cpu/common.c: gdt_page), with the TSS descriptor of cpu_init().
  put(gdt, L.GDT_ENTRY_KERNEL32_CS * 8, segmentDescriptor({ code: true, dpl: 0, db: true }));
  put(gdt, L.GDT_ENTRY_KERNEL_CS * 8, segmentDescriptor({ code: true, dpl: 0, long: true }));
  put(gdt, L.GDT_ENTRY_KERNEL_DS * 8, segmentDescriptor({ code: false, dpl: 0, db: true }));
  put(gdt, L.GDT_ENTRY_DEFAULT_USER32_CS * 8, segmentDescriptor({ code: true, dpl: 3, db: true }));
  put(gdt, L.GDT_ENTRY_DEFAULT_USER_DS * 8, segmentDescriptor({ code: false, dpl: 3, db: true }));
  put(gdt, L.GDT_ENTRY_DEFAULT_USER_CS * 8, segmentDescriptor({ code: true, dpl: 3, long: true }));
  const TSS_SIZE = 0x68;
  put(gdt, L.GDT_ENTRY_TSS * 8, tssDescriptor(tss.va, TSS_SIZE - 1, true));

  // TSS: RSP0 is the stack the CPU switches to on an interrupt from user mode.
  phys.mem.writeBigUInt64LE(stackTop, tss.pa + 4);
  phys.mem.writeUInt16LE(TSS_SIZE, tss.pa + 0x66); // I/O map base past the limit: no I/O bitmap

  // IDT (idt_setup_traps & co.): the exception vectors to their entry stubs, all interrupt gates
  // of DPL 0 except the ones user code may raise with INT n: #BP (int3), #OF (into) and, for IA32
  // emulation, vector 128 to entry_INT80_compat (SYSG(IA32_SYSCALL_VECTOR, entry_INT80_compat)).
  const unhandled = text.sym("asm_exc_unhandled");
  for (let v = 0; v < 256; v++) {
    const t = idtEntryFor(v);
    const int80 = v === IA32_SYSCALL_VECTOR;
    const offset = int80 ? text.sym("entry_INT80_compat") : t ? text.sym(t.stub) : unhandled;
    const dpl = int80 ? 3 : t?.dpl ?? 0;
    put(idt, v * 16, gateDescriptor({ offset, selector: L.__KERNEL_CS, type: GATE_INTERRUPT, dpl, present: true }, true));
  }

  // per-CPU: the top of the kernel stack the SYSCALL entry loads.
  phys.mem.writeBigUInt64LE(stackTop, percpu.pa + L.PER_CPU_TOP_OF_STACK);

  // The CPU: paging on with the swapper tables, long mode, descriptor tables, syscall_init().
  const efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NX;
  const msrs = {
    star: (BigInt(L.__USER32_CS & ~3) << 48n) | (BigInt(L.__KERNEL_CS) << 32n),
    lstar: text.sym("entry_SYSCALL_64"),
    fmask: SYSCALL_MASK_64,
    efer,
    // CONFIG_IA32_EMULATION: SYSCALL from compatibility mode goes to IA32_CSTAR; SYSENTER to
    // entry_SYSENTER_compat on the kernel stack (Linux: the per-CPU entry stack)
    cstar: text.sym("entry_SYSCALL_compat"),
    sysenterCs: BigInt(L.__KERNEL_CS),
    sysenterEsp: stackTop,
    sysenterEip: text.sym("entry_SYSENTER_compat"),
  };
  cpu.set("cr3", swapper.root);
  cpu.set("cr4", CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT);
  cpu.wrmsr(MSR.EFER, efer);
  cpu.set("cr0", CR0_PG | CR0_AM | CR0_WP | CR0_NE | CR0_ET | CR0_MP | CR0_PE);
  cpu.setTable("gdtr", { selector: 0, base: gdt.va, limit: L.GDT_ENTRIES * 8 - 1, flags: 0 });
  cpu.setTable("idtr", { selector: 0, base: idt.va, limit: 256 * 16 - 1, flags: 0 });
  cpu.wrmsr(MSR.STAR, msrs.star);
  cpu.wrmsr(MSR.LSTAR, msrs.lstar);
  cpu.wrmsr(MSR.SYSCALL_MASK, msrs.fmask);
  cpu.wrmsr(MSR.CSTAR, msrs.cstar);
  cpu.wrmsr(MSR.IA32_SYSENTER_CS, msrs.sysenterCs);
  cpu.wrmsr(MSR.IA32_SYSENTER_ESP, msrs.sysenterEsp);
  cpu.wrmsr(MSR.IA32_SYSENTER_EIP, msrs.sysenterEip);
  cpu.set("gs_base", percpu.va);
  cpu.wrmsr(MSR.KERNEL_GS_BASE, 0n);
  cpu.set("rsp", stackTop); // the boot stack: init's kernel stack, as head_64.S sets it up
  return { text, swapper, gdt, idt, tss, percpu, stack, stackTop, msrs };
}
