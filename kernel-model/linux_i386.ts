// The i386 kernel model: boot (setup_32), the two 32-bit syscall entries — `int $0x80` through
// IDT vector 128 into entry_INT80_32, and `sysenter` from the vDSO's __kernel_vsyscall into
// entry_SYSENTER_32, whose C side (do_int80_syscall_32, do_fast_syscall_32) is in
// entry/common.ts — and the first switch to user mode.

import { MSR, type Cpu } from "./cpu.js";
import type { CpuState, HookPoint } from "./hooks.js";
import * as L from "./boot/layout_32.js";
import { IA32_SYSCALL_VECTOR, startKernel32, type Boot32 } from "./boot/setup_32.js";
import type { InterruptDelivery } from "./entry/interrupt.js";
import { SysenterInsn32, type SysenterTransition } from "./entry/sysenter_32.js";
import { syscallTable } from "./entry/syscall_tables.js";
import { landingPad } from "./entry/common.js";
import type { KernelState } from "./kernel.js";
import { LinuxKernel } from "./linux.js";
import type { PtRegs } from "./entry/pt_regs.js";
import { MmStruct } from "./mm/mm_struct.js";
import type { PhysMem } from "./mm/phys.js";
import { X86_EFLAGS_FIXED, X86_EFLAGS_IF } from "./uapi/asm/processor-flags.js";


export class LinuxI386 extends LinuxKernel {
  readonly boot: Boot32;
  private readonly sysenterInsn: SysenterInsn32;
  lastSysenter: SysenterTransition | undefined;
  /** The int $0x80 delivery of the syscall in progress, if it came that way. */
  lastInt80: InterruptDelivery | undefined;
  /** Where SYSEXIT returns: the vDSO's landing pad after `int $0x80` in __kernel_vsyscall. */
  get vdsoLandingPad(): bigint | undefined {
    return landingPad(this.vdso);
  }

  constructor(cpu: Cpu, phys: PhysMem, kernel: KernelState) {
    super(cpu, phys, kernel, "i386");
    this.boot = startKernel32(cpu, phys);
    this.sysenterInsn = new SysenterInsn32(cpu, this.kctx, () => this.vdso && this.vdso.base + BigInt(this.vdso.image.sysenter!), this.boot.msrs);
    this.installCommonHooks();
    cpu.onInstruction("sysenter", () => {
      this.kernel.tick();
      if (this.hooks.has("instruction")) this.emitInstruction("sysenter", "sysenter", this.sysenterInsn.address());
      const before = this.hooks.has("transition") ? this.cpuState() : undefined;
      const t = this.sysenterInsn.execute();
      this.lastSysenter = t;
      if (before) {
        const after = { ...this.cpuState(), ip: t.sysenterEip };
        this.hooks.emit("transition", { point: "transition", mechanism: "sysenter", pid: this.task.pid, before, after,
          msrs: { IA32_SYSENTER_CS: t.sysenterCs, IA32_SYSENTER_ESP: t.sysenterEsp, IA32_SYSENTER_EIP: t.sysenterEip } });
      }
      this.checkPause();
    });
    this.trap("do_int80_syscall_32", () => this.entry.do_int80_syscall_32(this.entry.stubRegs()));
    this.trap("do_fast_syscall_32", () => this.entry.do_fast_syscall_32(this.entry.stubRegs(), "sysenter"));
  }

  readonly userSelectors = { cs: L.__USER_CS, ss: L.__USER_DS };

  get table() { return syscallTable("i386"); }
  protected readonly stackArea = { base: L.VMALLOC_START, threadSize: L.THREAD_SIZE };
  protected readonly userPgdEntries = 3;
  get entryPoint(): bigint { return this.text.sym("startup_32"); }

  /** load_sp0: TSS.esp0 for interrupts, and the stack SYSENTER loads (IA32_SYSENTER_ESP, as the model keeps it). */
  protected loadSp0(top: bigint): void {
    this.phys.mem.writeUInt32LE(Number(top), this.boot.tss.pa + 4);
    this.boot.msrs.sysenterEsp = top;
    this.cpu.wrmsr(MSR.IA32_SYSENTER_ESP, top);
  }

  protected override templateFixup(): void {
    this.cpu.wrmsr(MSR.IA32_SYSENTER_ESP, this.boot.msrs.sysenterEsp);
  }

  /** The TLS descriptors are GDT entries 6..8. */
  protected readonly gdtTlsMin = L.GDT_ENTRY_TLS_MIN;

  /** start_thread: clean registers, the flat user data segment in DS/ES, no TLS selector. */
  protected startThread(regs: PtRegs, ip: bigint, sp: bigint): void {
    for (const f of ["bx", "cx", "dx", "si", "di", "bp", "ax", "fs", "gs"] as const) regs.set(f, 0n);
    regs.set("ds", BigInt(L.__USER_DS));
    regs.set("es", BigInt(L.__USER_DS));
    regs.set("ip", ip);
    regs.set("sp", sp);
    regs.set("cs", BigInt(L.__USER_CS));
    regs.set("ss", BigInt(L.__USER_DS));
    regs.set("flags", X86_EFLAGS_IF | X86_EFLAGS_FIXED);
  }

  /** The user half below PAGE_OFFSET; PDPT entry 3 (3..4 GiB) is the kernel's. */
  newMm(): MmStruct {
    return this.makeMm({ taskSize: L.TASK_SIZE_32, mmapBase: L.MMAP_BASE_32, mmapMin: 0x10000n }, this.boot.swapper, 3, 1);
  }

  /** The boot's first switch to user mode, and ret_from_fork for every later task (see LinuxX86_64). */
  protected switchToUser(): void {
    const cpu = this.cpu;
    const first = this.takeFirstUser();
    if (!this.booted) {
      this.kctx.saveTemplate();
      this.templateSaved();
    }
    const f = first.fork;
    const frame = this.pushFirstIretFrame(first, L.__USER_CS, L.__USER_DS);
    if (f) {
      // ret_from_fork: the parent's registers and segments (its TLS descriptors are in the GDT: __switch_to)
      const map: [Parameters<Cpu["set"]>[0], string][] = [["eax", "ax"], ["ebx", "bx"], ["ecx", "cx"], ["edx", "dx"],
        ["esi", "si"], ["edi", "di"], ["ebp", "bp"], ["gs", "gs"], ["fs", "fs"]];
      for (const [r, field] of map) cpu.set(r, f.regs[field] & 0xffffffffn);
      cpu.xrstor(f.xstate);
    } else {
      for (const r of ["eax", "ebx", "ecx", "edx", "esi", "edi", "ebp"] as const) cpu.set(r, 0n);
      cpu.set("fs", 0n);
      cpu.set("gs", 0n);
      cpu.xrstor(this.initXstate);
    }
    cpu.set("esp", frame);
  }

  /** x87/SSE state now, for fork (i386 keeps TLS in the GDT, not in base registers). */
  userExtraState(): { fsBase: bigint; gsBase: bigint; xstate: Buffer } {
    const xstate = Buffer.alloc(this.cpu.xstateSize);
    this.cpu.xsave(xstate);
    return { fsBase: 0n, gsBase: 0n, xstate };
  }

  readonly argFields = ["bx", "cx", "dx", "si", "di", "bp"] as const;

  /** cdecl: the arguments are on the stack above the return address. */
  protected userArgs(): bigint[] {
    const sp = this.cpu.get("esp");
    return Array.from({ length: 6 }, (_, i) => {
      try { return BigInt(this.task.mm.readU32(sp + BigInt(4 + 4 * i))); } catch { return 0n; }
    });
  }

  /** `int $0x80` from user mode, before the IDT delivery (interception point 2). */
  override onSoftwareInterrupt(vector: number): void {
    if (vector !== IA32_SYSCALL_VECTOR || !this.hooks.has("instruction")) return;
    this.emitInstruction("int80", "int $0x80", this.cpu.get("eip") - 2n); // the engine reports the address after `int $0x80`
  }

  override onDelivered(d: InterruptDelivery): void {
    if (d.vector !== IA32_SYSCALL_VECTOR) return;
    this.lastInt80 = d;
    if (this.hooks.has("transition")) this.emitInt80Transition(d);
  }

  protected override hookTraps(point: HookPoint): [bigint, () => void][] {
    const sym = (n: string) => this.text.sym(n);
    const stub = (name: string, mechanism: "int80" | "sysenter"): [bigint, () => void] => [sym(name), () => {
      this.hooks.emit("entry_stub", { point: "entry_stub", mechanism, pid: this.task.pid, stub: name, address: sym(name), kernel: "i386" });
      this.checkPause();
    }];
    const ret = (label: string, instruction: "iret" | "sysexit", mechanism: "int80" | "sysenter", after: () => CpuState): [bigint, () => void] =>
      [sym(label), () => {
        this.hooks.emit("return", { point: "return", mechanism, instruction, pid: this.task.pid, address: sym(label), before: this.cpuState(), after: after() });
        this.checkPause();
      }];
    switch (point) {
      case "entry_stub":
        return [stub("entry_INT80_32", "int80"), stub("entry_SYSENTER_32", "sysenter")];
      case "return":
        return [
          ret("entry_INT80_32_iret", "iret", "int80", () => this.iretFrame()),
          ret("entry_SYSENTER_32_iret", "iret", "sysenter", () => this.iretFrame()),
          // SYSEXIT: EIP from EDX, ESP from ECX, CS/SS = IA32_SYSENTER_CS + 16 / + 24, RPL 3
          ret("entry_SYSEXIT_32", "sysexit", "sysenter", () => {
            const base = Number(this.cpu.rdmsr(MSR.IA32_SYSENTER_CS) & 0xfffcn);
            return { cpl: 3, cs: (base + 16) | 3, ss: (base + 24) | 3, ip: this.cpu.get("edx"), sp: this.cpu.get("ecx"), flags: this.cpu.get("eflags") };
          }),
        ];
      case "instruction":
        return this.vsyscallCallTrap("sysenter");
      default:
        return super.hookTraps(point);
    }
  }
}
