// The x86-64 kernel model: boot (setup_64), the SYSCALL instruction into entry_SYSCALL_64 (whose
// C side, do_syscall_64, is in entry/common.ts), and the first switch to user mode. 32-bit tasks run on the same CPU in
// compatibility mode (IA32 emulation, entry/common_compat.ts): a task's ABI says which it is.

import { MSR, type Cpu } from "./cpu.js";
import * as L from "./boot/layout_64.js";
import { startKernel64, type Boot64 } from "./boot/setup_64.js";
import { SyscallInsn64, type SyscallTransition } from "./entry/syscall_64.js";
import { CompatPtRegs, Ia32Emulation } from "./entry/common_compat.js";
import { syscallTable } from "./entry/syscall_tables.js";
import type { InterruptDelivery } from "./entry/interrupt.js";
import type { CpuVendor } from "./entry/syscall_compat.js";
import type { KernelState } from "./kernel.js";
import type { CpuState, HookPoint } from "./hooks.js";
import { LinuxKernel } from "./linux.js";
import type { PtRegs } from "./entry/pt_regs.js";
import { MmStruct } from "./mm/mm_struct.js";
import type { PhysMem } from "./mm/phys.js";
import { X86_EFLAGS_FIXED, X86_EFLAGS_IF } from "./uapi/asm/processor-flags.js";
import type { Abi } from "./uapi/abi.js";

export class LinuxX86_64 extends LinuxKernel {
  readonly boot: Boot64;
  private readonly syscallInsn: SyscallInsn64;
  /** The last SYSCALL transition, for hooks and the UI (built when asked for). */
  get lastTransition(): SyscallTransition | undefined {
    return this.syscallInsn.describe();
  }

  /** IA32 emulation: the compat entry paths (int $0x80, SYSENTER, SYSCALL from compatibility mode). */
  readonly ia32: Ia32Emulation;

  /** `vendor`: which 32-bit fast entry the CPU has (SYSENTER on Intel, SYSCALL on AMD). */
  constructor(cpu: Cpu, phys: PhysMem, kernel: KernelState, vendor: CpuVendor = "intel") {
    super(cpu, phys, kernel, "x86_64");
    this.boot = startKernel64(cpu, phys);
    this.syscallInsn = new SyscallInsn64(this.kctx, this.boot.msrs);
    this.installCommonHooks();
    this.ia32 = new Ia32Emulation(this, {
      kctx: this.kctx, msrs: this.boot.msrs, cpuState: () => this.cpuState(), trap: (s, fn) => this.trap(s, fn),
    }, vendor);
    cpu.onInstruction("syscall", () => {
      if (this.compat) return this.ia32.syscall(); // a compat task's SYSCALL: IA32_CSTAR, not LSTAR
      this.kernel.tick();
      if (this.hooks.has("instruction")) this.emitInstruction("syscall", "syscall", cpu.get("rip"));
      const before = this.hooks.has("transition") ? this.cpuState() : undefined;
      this.syscallInsn.execute();
      if (before) {
        const t = this.syscallInsn.describe()!;
        const after = { ...this.cpuState(), ip: t.lstar }; // the engine adds the length after this hook
        this.hooks.emit("transition", { point: "transition", mechanism: "syscall", pid: this.task.pid, before, after,
          msrs: { IA32_STAR: t.star, IA32_LSTAR: t.lstar, IA32_FMASK: t.fmask } });
      }
      this.checkPause();
    });
    this.trap("do_syscall_64", () => this.entry.do_syscall_64());
  }

  readonly argFields = ["di", "si", "dx", "r10", "r8", "r9"] as const;

  /** The current task is a 32-bit one, in compatibility mode (IA32 emulation). */
  get compat(): boolean { return this.current?.abi === "i386"; }

  get userSelectors() { return { cs: this.compat ? L.__USER32_CS : L.__USER_CS, ss: L.__USER_DS }; }

  /**
   * A compat task, or a compat entry from a 64-bit one (TS_COMPAT: a 64-bit task may use
   * `int $0x80` too), dispatches through ia32_sys_call_table.
   */
  get table() { return syscallTable(this.compat || this.entry.tsCompat ? "ia32" : "x86_64"); }

  /** ... and has the i386 ABI (struct layouts, long size). */
  override get syscallAbi(): Abi { return this.entry.tsCompat || this.compat ? "i386" : "x86_64"; }

  /** pt_regs; for a compat task with its DS/ES/FS/GS, which the i386 signal frames save. */
  override ptRegs(va: bigint): PtRegs {
    return this.compat ? new CompatPtRegs(this.phys.mem, this.kernelPa(va), va, this.cpu) : super.ptRegs(va);
  }

  override onSoftwareInterrupt(vector: number): void { this.ia32.onSoftwareInterrupt(vector); }
  override onDelivered(d: InterruptDelivery): void { this.ia32.onDelivered(d); }

  protected userArgs(): bigint[] {
    return (["rdi", "rsi", "rdx", "rcx", "r8", "r9"] as const).map((r) => this.cpu.get(r));
  }

  protected override hookTraps(point: HookPoint): [bigint, () => void][] {
    const sym = (n: string) => this.text.sym(n);
    const emitReturn = (instruction: "sysretq" | "iretq", after: () => CpuState) => () => {
      // the iretq is shared with the compat paths (swapgs_restore_regs_and_return_to_usermode)
      const mechanism = this.compat && instruction === "iretq" ? this.ia32.mechanism ?? "int80" : "syscall";
      this.hooks.emit("return", { point: "return", mechanism, instruction, pid: this.task.pid,
        address: sym(instruction === "sysretq" ? "entry_SYSRETQ" : "entry_IRETQ"), before: this.cpuState(), after: after() });
      this.checkPause();
    };
    switch (point) {
      case "entry_stub":
        return [[sym("entry_SYSCALL_64"), () => {
          this.hooks.emit("entry_stub", { point: "entry_stub", mechanism: "syscall", pid: this.task.pid, stub: "entry_SYSCALL_64", address: sym("entry_SYSCALL_64"), kernel: "x86_64" });
          this.checkPause();
        }], ...this.ia32.hookTraps(point)];
      case "return":
        return [
          // SYSRET: RIP from RCX, RFLAGS from R11, CS/SS from IA32_STAR[63:48] (+16 / +8, RPL 3)
          [sym("entry_SYSRETQ"), emitReturn("sysretq", () => {
            const base = Number((this.cpu.rdmsr(MSR.STAR) >> 48n) & 0xfffcn);
            return { cpl: 3, cs: (base + 16) | 3, ss: (base + 8) | 3, ip: this.cpu.get("rcx"), flags: this.cpu.get("r11"), sp: this.cpu.get("rsp") };
          })],
          [sym("entry_IRETQ"), emitReturn("iretq", () => this.iretFrame())],
          ...this.ia32.hookTraps(point),
        ];
      case "instruction":
        return this.ia32.hookTraps(point);
      default:
        return super.hookTraps(point);
    }
  }

  protected readonly stackArea = { base: L.VMALLOC_START, threadSize: L.THREAD_SIZE };
  protected readonly userPgdEntries = 256;
  get entryPoint(): bigint { return this.text.sym("startup_64"); }

  /** load_sp0 and pcpu_hot.top_of_stack: where interrupts and entry_SYSCALL_64 put the next kernel frame. */
  protected loadSp0(top: bigint): void {
    const m = this.phys.mem;
    m.writeBigUInt64LE(top, this.boot.tss.pa + 4);
    m.writeBigUInt64LE(top, this.boot.percpu.pa + L.PER_CPU_TOP_OF_STACK);
  }

  /**
   * 64-bit TLS lives in the FS/GS bases, which the saved context carries; a compat task's TLS
   * descriptors (set_thread_area) go into GDT entries 12..14, as __switch_to's load_TLS does.
   */
  protected readonly gdtTlsMin = L.GDT_ENTRY_TLS_MIN;

  /** start_thread: a new program starts with clean registers (rdx = 0: no atexit function), no FS/GS bases. */
  protected startThread(regs: PtRegs, ip: bigint, sp: bigint): void {
    for (const f of ["r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx", "dx", "si", "di"] as const) regs.set(f, 0n);
    regs.set("ip", ip);
    regs.set("sp", sp);
    regs.set("cs", BigInt(this.userSelectors.cs)); // __USER32_CS for a 32-bit program: compatibility mode
    regs.set("ss", BigInt(L.__USER_DS));
    regs.set("flags", X86_EFLAGS_IF | X86_EFLAGS_FIXED);
    // start_thread_common: DS/ES __USER_DS for a compat program (0 for a 64-bit one), FS and GS
    // null, so no TLS selector of the old program outlives its descriptors; GS through
    // load_gs_index, which leaves the kernel's own GS base alone
    const ds = BigInt(this.compat ? L.__USER_DS : 0);
    const kernelGs = this.cpu.get("gs_base");
    this.cpu.set("ds", ds);
    this.cpu.set("es", ds);
    this.cpu.set("fs", 0n);
    this.cpu.set("gs", 0n);
    this.cpu.set("gs_base", kernelGs);
    this.cpu.set("fs_base", 0n);
    this.cpu.wrmsr(MSR.KERNEL_GS_BASE, 0n); // the user's GS base while the kernel runs after swapgs
  }

  /** A fresh user address space whose kernel half (PML4 entries 256..511) is the swapper's (clone_pgd_range). */
  newMm(abi: Abi = "x86_64"): MmStruct {
    if (abi === "i386") return this.makeMm({ taskSize: L.IA32_PAGE_OFFSET, mmapBase: L.MMAP_BASE_COMPAT, mmapMin: 0x10000n, paging: "4-level" }, this.boot.swapper, 256, 256);
    return this.makeMm({ taskSize: L.TASK_SIZE_64, mmapBase: L.MMAP_BASE_64, mmapMin: 0x10000n }, this.boot.swapper, 256, 256);
  }

  /**
   * The boot's first switch to user mode, and ret_from_fork for every later task: an iretq frame
   * on the task's kernel stack, from the program's entry or the parent's registers.
   */
  protected switchToUser(): void {
    const cpu = this.cpu;
    const first = this.takeFirstUser();
    if (!this.booted) {
      // Save the CPL 0 state with the GS bases as they are on a kernel entry: user GS base live,
      // the per-CPU base parked in KERNEL_GS_BASE for entry_SYSCALL_64's swapgs.
      cpu.set("gs_base", 0n);
      cpu.wrmsr(MSR.KERNEL_GS_BASE, this.boot.percpu.va);
      this.kctx.saveTemplate();
      this.templateSaved();
    }
    cpu.set("gs_base", this.boot.percpu.va);
    const f = first.fork;
    // after the swapgs that follows, the user GS base is the one live
    cpu.wrmsr(MSR.KERNEL_GS_BASE, f ? f.gsBase : 0n);
    const frame = this.pushFirstIretFrame(first, this.userSelectors.cs, L.__USER_DS);
    if (f) {
      // ret_from_fork: the child leaves with the parent's registers (and rax = 0)
      const map: [Parameters<Cpu["set"]>[0], string][] = [["rax", "ax"], ["rbx", "bx"], ["rcx", "cx"], ["rdx", "dx"], ["rsi", "si"],
        ["rdi", "di"], ["rbp", "bp"], ["r8", "r8"], ["r9", "r9"], ["r10", "r10"], ["r11", "r11"], ["r12", "r12"], ["r13", "r13"],
        ["r14", "r14"], ["r15", "r15"]];
      for (const [r, field] of map) cpu.set(r, f.regs[field]);
      cpu.set("fs_base", f.fsBase);
      cpu.xrstor(f.xstate);
      if (this.compat) this.compatForkSegments(f.regs);
    } else {
      // start_thread: a new program starts with clean registers (rdx = 0: no atexit function)
      for (const r of ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"] as const) cpu.set(r, 0n);
      cpu.set("fs_base", 0n);
      cpu.xrstor(this.initXstate);
      // compat_start_thread: DS/ES are __USER_DS for a 32-bit program (null ones are 64-bit mode's)
      for (const r of ["ds", "es"] as const) cpu.set(r, BigInt(this.compat ? L.__USER_DS : 0));
    }
    cpu.set("rsp", frame);
  }

  /** ret_from_fork of a compat task: its TLS descriptors in this GDT, its DS/ES/FS/GS (GS base via KERNEL_GS_BASE: swapgs follows). */
  private compatForkSegments(regs: Record<string, bigint>): void {
    for (const [idx, desc] of this.task.tls) desc.copy(this.phys.mem, this.boot.gdt.pa + idx * 8);
    const percpu = this.cpu.get("gs_base");
    for (const s of ["ds", "es", "fs", "gs"] as const) if (regs[s] !== undefined) this.cpu.set(s, regs[s]);
    this.cpu.wrmsr(MSR.KERNEL_GS_BASE, this.cpu.get("gs_base"));
    this.cpu.set("gs_base", percpu);
  }

  /** FS base, user GS base and x87/SSE state now (in a syscall: the user's), for fork. */
  userExtraState(): { fsBase: bigint; gsBase: bigint; xstate: Buffer } {
    const xstate = Buffer.alloc(this.cpu.xstateSize);
    this.cpu.xsave(xstate);
    return { fsBase: this.cpu.get("fs_base"), gsBase: this.cpu.rdmsr(MSR.KERNEL_GS_BASE), xstate };
  }
}
