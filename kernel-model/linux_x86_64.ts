// The x86-64 kernel model: boot (setup_64), the SYSCALL path into entry_SYSCALL_64 and
// do_syscall_64, and the first switch to user mode. 32-bit tasks run on the same CPU in
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
import { PT64 as P, PT_REGS_64_SIZE, type PtRegs } from "./entry/pt_regs.js";
import { MmStruct } from "./mm/mm_struct.js";
import type { PhysMem } from "./mm/phys.js";
import type { SyscallArgs, SyscallContext } from "./syscalls/types.js";
import { X86_EFLAGS_FIXED, X86_EFLAGS_IF, X86_EFLAGS_RF, X86_EFLAGS_TF } from "./uapi/asm/processor-flags.js";
import type { Abi } from "./uapi/abi.js";

/** RF and TF as the Number the SYSRET checks compare the low half of pt_regs->flags with. */
const X86_EFLAGS_RF_TF = Number(X86_EFLAGS_RF | X86_EFLAGS_TF);
const PT_REGS_SIZE_64 = BigInt(PT_REGS_64_SIZE);
/** rdi, rsi, rdx, r10, r8, r9: the x86-64 syscall arguments' pt_regs slots. */
const ARG_SLOTS = [P.di, P.si, P.dx, P.r10, P.r8, P.r9] as const;

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
    this.installCommonHooks(this.boot.idt, this.boot.tss);
    this.ia32 = new Ia32Emulation(this, {
      kctx: this.kctx, msrs: this.boot.msrs, enteredKernel: () => this.enteredKernel(), tick: () => this.kernel.tick(),
      checkPause: () => this.checkPause(), stop: () => this.stop(), cpuState: () => this.cpuState(),
      syscall: (regs, nr, args, mechanism) => this.compatSyscall(regs, nr, args, mechanism), trap: (s, fn) => this.trap(s, fn),
    }, vendor);
    cpu.onInstruction("syscall", () => {
      if (this.compat) return this.ia32.syscall(); // a compat task's SYSCALL: IA32_CSTAR, not LSTAR
      this.enteredKernel();
      this.kernel.tick();
      if (this.hooks.has("instruction")) {
        const rip = cpu.get("rip");
        const nr = Number(BigInt.asIntN(32, cpu.get("rax")));
        this.hooks.emit("instruction", { point: "instruction", mechanism: "syscall", instruction: "syscall", pid: this.task.pid,
          address: rip, function: this.symbols.describe(rip), nr, name: this.table.slot(nr)?.name });
      }
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
    this.trap("do_syscall_64", () => this.do_syscall_64());
  }

  protected readonly argFields = ["di", "si", "dx", "r10", "r8", "r9"] as const;

  /** The current task is a 32-bit one, in compatibility mode (IA32 emulation). */
  get compat(): boolean { return this.current?.abi === "i386"; }

  protected get userSelectors() { return { cs: this.compat ? L.__USER32_CS : L.__USER_CS, ss: L.__USER_DS }; }

  /**
   * TS_COMPAT: set while a syscall that came through a compat entry runs. A 64-bit task may use
   * `int $0x80` too, and then gets the 32-bit ABI (in_ia32_syscall()): ia32_sys_call_table, i386
   * layouts.
   */
  private tsCompat = false;

  private compatSyscall(...a: Parameters<LinuxKernel["syscall"]>): void {
    this.tsCompat = true;
    try {
      this.syscall(...a);
    } finally {
      this.tsCompat = false;
    }
  }

  /** A compat task (or a compat entry) dispatches through ia32_sys_call_table. */
  get table() { return syscallTable(this.compat || this.tsCompat ? "ia32" : "x86_64"); }

  /** A compat task, or a compat entry from a 64-bit one, has the i386 ABI (struct layouts, long size). */
  protected override context(regs: PtRegs): SyscallContext {
    return super.context(regs, this.tsCompat || this.compat ? "i386" : "x86_64");
  }

  /** pt_regs; for a compat task with its DS/ES/FS/GS, which the i386 signal frames save. */
  override ptRegs(va: bigint): PtRegs {
    return this.compat ? new CompatPtRegs(this.phys.mem, this.kernelPa(va), va, this.cpu) : super.ptRegs(va);
  }

  protected override onSoftwareInterrupt(vector: number): void { this.ia32.onSoftwareInterrupt(vector); }
  protected override onDelivered(d: InterruptDelivery): void { this.ia32.onDelivered(d); }

  get text() { return this.boot.text; }

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

  /** What iretq will pop: RIP, CS, RFLAGS, RSP, SS at RSP. */
  private iretFrame(): CpuState {
    const b = this.phys.mem, pa = this.kernelPa(this.cpu.get("rsp"));
    const cs = Number(b.readBigUInt64LE(pa + 8));
    return { ip: b.readBigUInt64LE(pa), cs, cpl: cs & 3, flags: b.readBigUInt64LE(pa + 16), sp: b.readBigUInt64LE(pa + 24), ss: Number(b.readBigUInt64LE(pa + 32)) };
  }
  protected get dataBlock() { return this.boot.gdt; }
  protected get swapper() { return this.boot.swapper; }
  protected get bootStack() { return { va: this.boot.stack.va, pa: this.boot.stack.pa, top: this.boot.stackTop }; }
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
  protected get tlsGdt() { return { first: L.GDT_ENTRY_TLS_MIN, pa: this.boot.gdt.pa }; }

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

  /**
   * arch/x86/entry/common.c do_syscall_64, reached through the trap address the stub calls. The
   * stub passes pt_regs in RDI; they are at the top of the task's kernel stack, where Linux's
   * task_pt_regs(current) finds them too, so no register is read to get there.
   */
  private do_syscall_64(): void {
    const regs = this.taskPtRegs();
    const nr = regs.lo32(P.orig_ax) | 0; // (int) orig_ax
    // The arguments, copied as 32-bit halves into one 64-bit array per kernel that each syscall
    // rewrites: a BigInt is made only for an argument the routine reads (a routine uses them while
    // it runs; a hook's event gets a copy).
    const w = this.argWords;
    for (let i = 0; i < 6; i++) {
      const slot = ARG_SLOTS[i];
      w[i * 2] = regs.lo32(slot);
      w[i * 2 + 1] = regs.hi32(slot);
    }
    this.syscall(regs, nr, this.args as unknown as SyscallArgs, "syscall");
    // Can the exit use SYSRET? The checks of do_syscall_64's return path, in its order, on the
    // 32-bit halves of each field (no BigInt per check).
    const sysretOk =
      regs.lo32(P.cx) === regs.lo32(P.ip) && regs.hi32(P.cx) === regs.hi32(P.ip) &&
      regs.lo32(P.r11) === regs.lo32(P.flags) && regs.hi32(P.r11) === regs.hi32(P.flags) &&
      regs.lo32(P.cs) === L.__USER_CS && regs.hi32(P.cs) === 0 &&
      regs.lo32(P.ss) === L.__USER_DS && regs.hi32(P.ss) === 0 &&
      regs.hi32(P.ip) < 0x8000 && // below 2^47: canonical and a user address
      (regs.lo32(P.flags) & X86_EFLAGS_RF_TF) === 0;
    this.cpu.set("rax", sysretOk ? 1n : 0n);
  }

  /** task_pt_regs(current): the frame entry_SYSCALL_64 pushed below the top of the kernel stack (the last one made is reused). */
  private taskPtRegs(): PtRegs {
    const top = this.task.thread.stack.top;
    if (this.lastPtRegs !== undefined && this.lastStackTop === top) return this.lastPtRegs;
    this.lastStackTop = top;
    return (this.lastPtRegs = this.ptRegs(top - PT_REGS_SIZE_64));
  }
  private lastPtRegs: PtRegs | undefined;
  private readonly argWords = new Uint32Array(12);
  private readonly args = new BigUint64Array(this.argWords.buffer);
  private lastStackTop: bigint | undefined;

}
