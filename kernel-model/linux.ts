// The kernel hub: what every booted kernel model holds and wires on its one CPU, whatever the
// architecture: the current task and the switch to another one (schedule → context_switch →
// switch_mm → __switch_to), the model calls of the kernel text and the hook points, kernel
// stacks, address spaces and the end of a task. The paths live in entry/: the syscall path
// (do_syscall_64 ..., the generic entry, signals on the way out) in entry/common.ts, the
// exceptions in entry/traps.ts. linux_x86_64.ts and linux_i386.ts add the boot and the CPU
// transitions of each architecture. A kernel is one CPU engine and one physical memory
// that every task of its kind runs on, each task with its own address space (page-table root)
// and kernel stack; the process table, the hooks and the dispatch tables are machine-wide
// (KernelState).

import { GDT_ENTRY_TLS_ENTRIES } from "./boot/layout_32.js";
import type { BootLayout } from "./boot/kernel_image.js";
import type { Cpu, CpuContext } from "./cpu.js";
import { GenericEntry, type ArgField, type SyscallOutcome } from "./entry/common.js";
import { APIC_TIMER, IDT_TRAPS, LOCAL_TIMER_VECTOR } from "./entry/idtentry.js";
import { InterruptDeliverer, type InterruptDelivery } from "./entry/interrupt.js";
import { KernelContext } from "./entry/kernel_context.js";
import type { KernelText } from "./entry/kernel_text.js";
import { PtRegs } from "./entry/pt_regs.js";
import { Traps } from "./entry/traps.js";
import { HOOK_POINTS, type CpuState, type HookPoint, type InstructionEvent, type Mechanism, type SyscallEvent } from "./hooks.js";
import type { KernelState } from "./kernel.js";
import { PageCache } from "./mm/filemap.js";
import { MmStruct } from "./mm/mm_struct.js";
import type { PageTables } from "./mm/pgtable.js";
import { PAGE_SIZE, type PhysMem } from "./mm/phys.js";
import { delayGroupLeader, doExit, zapOtherThreads } from "./sched/exit.js";
import { sendSignal, signalPending } from "./sched/signal.js";
import type { KernelStack, SigInfo, Task, ThreadState } from "./sched/task.js";
import { SymbolTable } from "./symbols.js";
import type { SyscallTable } from "./syscalls/table.js";
import type { VdsoMapping, VdsoPages } from "./vdso/vdso_mapping.js";
import type { Abi } from "./uapi/abi.js";
import { X86_EFLAGS_FIXED, X86_EFLAGS_IF } from "./uapi/asm/processor-flags.js";

export interface ExitState {
  /** exit status (0..255) when the task exited, undefined when a signal killed it. */
  code?: number;
  signal?: number;
  core?: boolean;
  /** For a death by signal: what happened, for the shell-like message. */
  detail?: string;
}


/** What besides the registers says which task a CPU runs (LinuxKernel.cpuOwner). */
export interface CpuOwner { readonly task: Task | undefined }

/** How a task first returns to user mode on this machine: a new program, or a fork's copy. */
export interface FirstUser {
  ip: bigint;
  sp: bigint;
  /** fork: the parent's pt_regs (ax already 0), FS/GS bases and x87/SSE state. */
  fork?: { regs: Record<string, bigint>; fsBase: bigint; gsBase: bigint; xstate: Buffer };
}

export abstract class LinuxKernel {
  /** The CPL 0 state every kernel entry starts from, saved at the first switch to user mode. */
  protected readonly kctx: KernelContext;
  /** File pages shared by the address spaces of this kernel. */
  readonly pageCache: PageCache;
  /** The vDSO's frames on this kernel (made with the first address space that maps it). */
  /** The vDSO's frames, one set per ABI this kernel runs (the x86-64 kernel: both, with IA32 emulation). */
  private readonly vdsoPagesByAbi = new Map<Abi, VdsoPages>();
  vdsoPagesFor(abi: Abi, make: () => VdsoPages): VdsoPages {
    let p = this.vdsoPagesByAbi.get(abi);
    if (!p) this.vdsoPagesByAbi.set(abi, (p = make()));
    return p;
  }
  /** The IDT delivery of exceptions and INT n (entry/interrupt.ts), set up by installCommonHooks. */
  interrupts!: InterruptDeliverer;
  /** The syscall path: do_syscall_64 ..., the generic entry, signals on the way out (entry/common.ts). */
  readonly entry: GenericEntry;
  /** The exception path: the IDT delivery and the C handlers (entry/traps.ts). */
  readonly traps: Traps;
  /** The last delivery through the IDT. */
  get lastInterrupt(): InterruptDelivery | undefined { return this.traps.lastInterrupt; }
  /** The last syscall's number, slot, arguments and result. */
  get lastSyscall(): SyscallOutcome | undefined { return this.entry.lastSyscall; }
  /** The task whose state is in the CPU now (`current`). */
  current: Task | undefined;
  /** The task that had the CPU before it ended or left (the `prev` of the next context switch). */
  private lastTask: Task | undefined;
  /** The kernel text's names; each address space adds its program's and the vDSO's (mm.symbols). */
  readonly kernelSymbols = new SymbolTable();
  private readonly watched = new Map<bigint, Set<string>>();
  private readonly trapsInstalled = new Set<HookPoint>();
  /** The template context has been saved: the kernel has booted on this CPU. */
  protected booted = false;
  /** The page-table root and kernel stack the template context holds (what a kernel entry's context restore loads). */
  private templateKey = "";
  /** Translated code must go before the CPU runs again (frames that held code were freed or changed). */
  private tbFlushPending = false;
  /** A task that left this kernel (execve to the other ABI): its thread and old mm go once the CPU stopped. */
  private departed: { task: Task; thread: ThreadState; mm: MmStruct } | undefined;
  private readonly spareContexts: CpuContext[] = [];
  private scratch: CpuContext | undefined;
  private readonly freeStacks: KernelStack[] = [];
  private stackSlots = 0;
  /** x87/SSE state after reset: what a new program starts with (fpu__clear). */
  protected readonly initXstate: Buffer;

  /** What the architecture's boot set up. */
  abstract readonly boot: BootLayout;
  get text(): KernelText { return this.boot.text; }
  abstract readonly entryPoint: bigint;
  /** A fresh address space for a task of `abi` (the x86-64 kernel lays out a 32-bit task's as IA32 emulation does). */
  abstract newMm(abi?: Abi): MmStruct;
  protected abstract switchToUser(): void;
  /** Where kernel stacks are mapped (a vmalloc-like area the boot prepared in every page table) and their size. */
  protected abstract readonly stackArea: { base: bigint; threadSize: number };
  /** __switch_to's architecture part: the stack pointers the CPU and the entry code use, TLS. */
  protected abstract loadSp0(top: bigint): void;
  /** GDT_ENTRY_TLS_MIN: the GDT's first entry for the TLS descriptors set_thread_area fills. */
  protected abstract readonly gdtTlsMin: number;
  /** load_TLS: the task's set_thread_area descriptors into the GDT's TLS entries (empty ones cleared). */
  protected loadTls(task: Task): void {
    const first = this.gdtTlsMin, pa = this.boot.gdt.pa;
    for (let i = first; i < first + GDT_ENTRY_TLS_ENTRIES; i++) {
      const at = pa + i * 8;
      const d = task.tls.get(i);
      if (d) d.copy(this.phys.mem, at);
      else this.phys.mem.fill(0, at, at + 8);
    }
  }
  /** start_thread: pt_regs and the CPU's user state for a new program's first instruction. */
  protected abstract startThread(regs: PtRegs, ip: bigint, sp: bigint): void;
  /** Top-level page-table entries that belong to user space (the rest is the shared kernel half). */
  protected abstract readonly userPgdEntries: number;
  /** The argument registers' pt_regs fields, in order. */
  abstract readonly argFields: readonly ArgField[];
  /** The first argument registers of a user-mode function call (SysV ABIs). */
  protected abstract userArgs(): bigint[];
  /** FS base, user GS base and x87/SSE state of the user now (what fork copies besides pt_regs). */
  abstract userExtraState(): { fsBase: bigint; gsBase: bigint; xstate: Buffer };
  /** The user code/stack selectors (what a signal frame's return restores). */
  abstract readonly userSelectors: { cs: number; ss: number };

  constructor(readonly cpu: Cpu, readonly phys: PhysMem, readonly kernel: KernelState, readonly abi: Abi) {
    this.kctx = new KernelContext(cpu);
    this.initXstate = Buffer.alloc(cpu.xstateSize);
    cpu.xsave(this.initXstate);
    phys.onCodeReclaim = () => this.requestTbFlush();
    this.pageCache = new PageCache(phys);
    phys.onShrink = () => this.pageCache.shrink() > 0;
    this.entry = new GenericEntry(this);
    this.traps = new Traps(this);
  }

  /** Names for addresses in the current address space (kernel text, program, vDSO). */
  get symbols(): SymbolTable {
    return this.current?.mm.symbols ?? this.kernelSymbols;
  }
  get vdso(): VdsoMapping | undefined {
    return this.current?.vdso;
  }

  get hooks() { return this.kernel.hooks; }
  /** The dispatch table a syscall entering now goes through (entry/syscall_tables.ts). */
  abstract get table(): SyscallTable;
  /** The ABI of the syscall in progress (the x86-64 kernel: i386 for a compat entry). */
  get syscallAbi(): Abi { return this.abi; }

  /** Hooks shared by both architectures; subclasses call this once their text is known. */
  protected installCommonHooks(): void {
    this.interrupts = new InterruptDeliverer(this.cpu.bits, this.kctx, this.phys.mem, (va) => this.kernelPa(va), this.boot.idt, this.boot.tss);
    for (const [name, addr] of this.text.symbols) if (!name.includes(".")) this.kernelSymbols.add(name, addr);
    this.trap("boot_user_switch", () => this.switchToUser());
    for (const t of [...IDT_TRAPS, APIC_TIMER]) this.trap(t.handler, () => this.traps.handle(t));
    this.cpu.onInterrupt((v) => this.traps.onInterrupt(v));
    this.kernel.machines.add(this);
  }

  /**
   * A "C function" of the kernel: the model call at that symbol of the kernel text (an `int n`,
   * entry/model_call.inc) runs `fn` in the interrupt hook; the engine then continues after it.
   */
  protected trap(symbol: string, fn: () => void): void {
    this.traps.modelCall(this.text.modelCall(symbol), fn);
  }

  /** Stops the CPU after the current hook (a sleep, an exit, a pause, a pending exception). */
  stop(): void {
    this.stopped = true;
    this.cpu.stop();
  }

  /**
   * The model stopped the CPU (a trap asked for it): the task is at a point where the kernel may
   * schedule. A run whose slice ran out (a block budget or an instruction count) can stop anywhere, also in the
   * middle of an entry stub (between saving the user RSP in the per-CPU area and pushing it);
   * like an interrupt with IF clear, that must not lead to another task on this CPU.
   */
  private stopped = false;
  /** Before each run of the CPU. */
  beginRun(): void {
    this.stopped = false;
  }
  /** Did the model stop the last run (rather than the run's slice or a stop request)? */
  get stoppedByKernel(): boolean {
    return this.stopped;
  }
  /** May the run loop give this CPU to another task now? */
  get preemptible(): boolean {
    return this.stopped || (this.cpu.get("cs") & 3n) === 3n;
  }

  /**
   * Traps that only exist while someone listens: the entry stubs, the return instructions and
   * the vDSO functions each cost a call into JS per execution, so they are set up on demand.
   */
  installHookTraps(point: HookPoint): void {
    if (this.trapsInstalled.has(point) || !this.current) return;
    this.trapsInstalled.add(point);
    const traps = this.hookTraps(point);
    for (const [addr, fn] of traps) this.cpu.onExecute(addr, fn);
    if (traps.length) this.cpu.flushCode(); // hooks apply to code translated from now on
  }

  protected hookTraps(point: HookPoint): [bigint, () => void][] {
    if (point !== "vdso" || !this.vdso) return [];
    // one trap per address: `clock_gettime` and `__vdso_clock_gettime` are the same function
    const byAddr = new Map<bigint, string>();
    for (const name of this.vdso.image.symbols.keys()) {
      if (/vsyscall|sigreturn/.test(name)) continue;
      const addr = this.vdso.sym(name);
      if (!byAddr.has(addr) || name.startsWith("__vdso_")) byAddr.set(addr, name);
    }
    return [...byAddr].map(([, name]) => [this.vdso!.sym(name), () => {
      this.hooks.emit("vdso", { point: "vdso", mechanism: "vdso", pid: this.task.pid, function: name,
        address: this.vdso!.sym(name), args: this.userArgs() });
      this.checkPause();
    }]);
  }

  /** Hooks a program function by ELF symbol: every call to it emits a `function` event. */
  watchFunction(name: string): void {
    this.kernel.watchedFunctions.add(name);
    this.applyWatch(name, true);
  }

  private applyWatch(name: string, strict: boolean): void {
    const sym = this.symbols.get(name);
    if (!sym) {
      if (strict) throw new Error(`no function '${name}' in the program's symbol table`);
      return;
    }
    const names = this.watched.get(sym.address);
    if (names) {
      names.add(name);
      return;
    }
    this.watched.set(sym.address, new Set([name]));
    // one trap per address for every address space: it reports the watched names the running
    // program has at that address
    this.cpu.onExecute(sym.address, () => {
      if (!this.hooks.has("function")) return;
      for (const n of this.watched.get(sym.address)!) {
        if (this.symbols.get(n)?.address !== sym.address) continue;
        const sp = this.cpu.get(this.cpu.bits === 64 ? "rsp" : "esp");
        const returnAddress = this.cpu.bits === 64 ? this.task.mm.readU64(sp) : BigInt(this.task.mm.readU32(sp));
        this.hooks.emit("function", { point: "function", pid: this.task.pid, symbol: n, address: sym.address,
          args: this.userArgs(), returnAddress });
      }
      this.checkPause();
    });
    this.requestTbFlush(); // hooks apply to code translated from now on
  }

  /** Symbols arrived (possibly late, for an exec'ed program): apply the function hooks asked for. */
  symbolsLoaded(): void {
    for (const name of this.kernel.watchedFunctions) this.applyWatch(name, false);
  }

  /** After a hook: a pause() stops the CPU once the current hook returns. */
  checkPause(): void {
    if (this.hooks.pauseRequested) this.stop();
  }

  /** CPL, CS:IP, SS:SP and flags now. */
  protected cpuState(): CpuState {
    const b = this.cpu.bits === 64;
    const cs = Number(this.cpu.get("cs"));
    return { cpl: cs & 3, cs, ip: this.cpu.get(b ? "rip" : "eip"), ss: Number(this.cpu.get("ss")),
      sp: this.cpu.get(b ? "rsp" : "esp"), flags: this.cpu.get(b ? "rflags" : "eflags") };
  }

  /** Interception point 2: the syscall instruction (or the call of __kernel_vsyscall) at `address`, the number in EAX/RAX. */
  emitInstruction(mechanism: Exclude<Mechanism, "vdso">, instruction: InstructionEvent["instruction"], address: bigint): void {
    const nr = Number(BigInt.asIntN(32, this.cpu.get(this.cpu.bits === 64 ? "rax" : "eax")));
    this.hooks.emit("instruction", { point: "instruction", mechanism, instruction, pid: this.task.pid,
      address, function: this.symbols.describe(address), nr, name: this.table.slot(nr)?.name });
  }

  /** Interception point 2 for the 32-bit fast path: a trap on the vDSO's __kernel_vsyscall reports its caller. */
  vsyscallCallTrap(mechanism: "sysenter" | "syscall"): [bigint, () => void][] {
    const v = this.vdso;
    if (!v || !v.image.symbols.has("__kernel_vsyscall")) return [];
    return [[v.sym("__kernel_vsyscall"), () => {
      const sp = this.cpu.get(this.cpu.bits === 64 ? "rsp" : "esp") & 0xffffffffn;
      // `call *%gs:0x10` or `call *%eax`: a short indirect call
      this.emitInstruction(mechanism, "call __kernel_vsyscall", BigInt(this.task.mm.readU32(sp)) - 2n);
      this.checkPause();
    }]];
  }

  /** Interception point 3 for `int $0x80`: its delivery through IDT vector 128. */
  emitInt80Transition(d: InterruptDelivery): void {
    const before = { cpl: d.cplBefore, cs: d.userCs, ip: d.userIp, ss: d.userSs, sp: d.userSp, flags: d.flagsBefore };
    this.hooks.emit("transition", { point: "transition", mechanism: "int80", pid: this.task.pid, before,
      after: { ...this.cpuState(), ip: d.gate.offset },
      gate: { vector: d.vector, offset: d.gate.offset, selector: d.gate.selector, dpl: d.gate.dpl, type: d.gate.type, tssSp0: d.stackTop, frame: d.frame } });
  }

  /** What the IRET at the stack pointer will pop: IP, CS, FLAGS, SP, SS in words of the CPU's width (the `return` events). */
  protected iretFrame(): CpuState {
    const b = this.phys.mem, w = this.cpu.bits === 64 ? 8 : 4;
    const pa = this.kernelPa(this.cpu.get(w === 8 ? "rsp" : "esp"));
    const word = (i: number) => (w === 8 ? b.readBigUInt64LE(pa + i * 8) : BigInt(b.readUInt32LE(pa + i * 4)));
    const cs = Number(word(1));
    return { ip: word(0), cs, cpl: cs & 3, flags: word(2), sp: word(3), ss: Number(word(4)) };
  }

  get task(): Task {
    if (!this.current) throw new Error("no task: start one first");
    return this.current;
  }

  /** mm_alloc + pgd_alloc: an address space whose top-level entries [first, first+count) are the kernel's. */
  protected makeMm(layout: ConstructorParameters<typeof MmStruct>[1], swapper: PageTables, first: number, count: number): MmStruct {
    const mm = new MmStruct(this.phys, layout);
    mm.pageCache = this.pageCache;
    mm.pgd.shareTopLevel(swapper, first, count);
    mm.commitLimit = Math.min(mm.commitLimit, this.kernel.commitLimitPages);
    mm.symbols = SymbolTable.copyOf(this.kernelSymbols);
    // Permissions (PROT_EXEC included) are checked when the CPU fills its TLB, so a TLB flush is
    // enough here; frames whose code changes under the CPU are the allocator's business (PhysMem).
    mm.onTlbFlush = () => this.cpu.flushTlb();
    mm.onCowFault = (e) => {
      if (this.hooks.has("cow_fault")) this.hooks.emit("cow_fault", { point: "cow_fault", pid: this.mmUser(mm)?.pid ?? 0, ...e });
    };
    return mm;
  }

  /**
   * The task a fault in `mm` belongs to: the running one if it is `mm`'s, else the first user of
   * `mm` (clone writes the child's tid into the child's memory while the parent runs; Linux does
   * that write in the child, from schedule_tail).
   */
  private mmUser(mm: MmStruct): Task | undefined {
    if (this.current?.mm === mm) return this.current;
    for (const t of this.kernel.sched.tasks.values()) if (t.mm === mm) return t;
    return this.current;
  }

  /** mmput: the last user of an address space lets go of it. */
  mmput(mm: MmStruct): void {
    if (--mm.users > 0) return;
    mm.release(this.userPgdEntries);
  }

  /**
   * Translated code must be dropped (frames that held code are to be reused, a hook was added).
   * Unicorn cannot flush while it runs (a flush from inside a hook crashed node): the CPU stops,
   * the run loop flushes (flushPendingCode) and resumes.
   */
  requestTbFlush(): void {
    this.tbFlushPending = true;
    this.stop();
  }

  /** Called by the run loop with the CPU stopped, before it runs again. */
  flushPendingCode(): void {
    if (!this.tbFlushPending) return;
    this.tbFlushPending = false;
    this.cpu.flushCode();
    this.phys.reclaimCode();
  }

  // ---- tasks on this CPU: copy_thread, context_switch, exec_mmap, finish_task_switch ----------

  /** A kernel stack from the stack area (alloc_thread_stack_node): contiguous frames below a guard page. */
  private allocStack(): KernelStack {
    const reused = this.freeStacks.pop();
    if (reused) return reused;
    if (!this.bootStackUsed) {
      // the first task runs on the stack the boot set up (init's)
      this.bootStackUsed = true;
      return this.bootStack;
    }
    const { base, threadSize } = this.stackArea;
    const pages = threadSize / PAGE_SIZE;
    const slot = BigInt(this.stackSlots++) * BigInt(threadSize + PAGE_SIZE);
    const va = base + slot + BigInt(PAGE_SIZE); // the page below stays unmapped: an overflow faults
    const pa = this.phys.allocContiguous(pages);
    this.stackPa.push(pa);
    for (let i = 0; i < pages; i++) {
      this.boot.swapper.map(va + BigInt(i * PAGE_SIZE), pa + i * PAGE_SIZE, { write: true, user: false, exec: false, global: true });
    }
    return { va, pa, top: va + BigInt(threadSize) };
  }
  private bootStackUsed = false;
  /** The kernel stack of the boot, in the kernel data block. */
  private get bootStack(): KernelStack {
    return { va: this.boot.stack.va, pa: this.boot.stack.pa, top: this.boot.stackTop };
  }
  /** Physical address of each stack slot's first page. */
  private readonly stackPa: number[] = [];

  /**
   * A task starts running on this kernel (fork's copy_thread, or a program exec'd from the other
   * ABI): a kernel stack of its own, and its first return to user mode arranged: the boot path
   * for the first task, ret_from_fork for the others.
   */
  startTask(task: Task, first: FirstUser, vdso?: VdsoMapping): void {
    task.machine = this;
    task.vdso = vdso;
    task.thread = { pc: this.booted ? this.retFromFork : this.entryPoint, first, stack: this.allocStack() };
    if (!this.current) this.switchTo(task);
    for (const p of HOOK_POINTS) if (this.hooks.has(p)) this.installHookTraps(p);
  }

  /** Where a new task's first return to user mode begins (the boot's switch to user mode, past the boot). */
  private get retFromFork(): bigint {
    return this.text.sym("boot_user_switch");
  }

  /** Has `task` left this CPU (exit, death, or exec to the other kernel)? */
  gone(task: Task): boolean {
    return task.machine !== this || task.state === "zombie" || task.state === "dead";
  }

  /**
   * context_switch(prev, next), called by the run loop with the CPU stopped: the outgoing task's
   * CPU state (registers, RIP/RFLAGS, segment bases, KERNEL_GS_BASE, x87/SSE) is saved, then
   * switch_mm loads the incoming address space (an explicit CR3
   * write: restoring a context with another CR3 does not flush the TLB) and __switch_to its
   * kernel stack, TLS and saved state.
   */
  switchTo(next: Task): void {
    const prev = this.current;
    if (prev === next) return;
    const prevCr3 = this.cpu.get("cr3");
    const prevPid = (prev ?? this.lastTask)?.pid;
    if (prev && !this.gone(prev)) {
      prev.thread.ctx = this.cpu.saveContext(prev.thread.ctx ?? this.spareContexts.pop());
    }
    this.current = next;
    const th = next.thread;
    if (th.ctx) this.cpu.restoreContext(th.ctx);
    else if (this.booted) this.kctx.restoreTemplate(); // ret_from_fork starts from the kernel's CPU state
    this.loadSp0(th.stack.top);
    this.switchMm(next.mm);
    this.loadTls(next);
    if (!th.ctx) this.cpu.set(this.cpu.bits === 64 ? "rsp" : "esp", th.stack.top);
    // (the first task on this CPU has no predecessor; a task that ended is one, as in Linux)
    if (prevPid !== undefined && this.hooks.has("context_switch")) {
      this.hooks.emit("context_switch", { point: "context_switch", pid: next.pid, prev: prevPid, next: next.pid,
        prevCr3, nextCr3: BigInt(next.mm.pgd.root), kernel: this.abi });
    }
  }

  /**
   * Which task this CPU runs, besides its registers. A debugger's step back takes this with the
   * registers and puts both back.
   */
  cpuOwner(): CpuOwner {
    return { task: this.current };
  }

  /**
   * Puts a cpuOwner() back: a context switch to its task when another one has the CPU (CR3, the
   * entry template, TSS, TLS follow). The caller restores the registers and the other tasks'
   * saved state.
   */
  restoreCpuOwner(o: CpuOwner): void {
    if (!o.task) {
      if (this.current) this.lastTask = this.current;
      this.current = undefined;
    } else if (o.task !== this.current) this.switchTo(o.task);
  }

  /**
   * switch_mm: CR3 ← the address space's root. The template context every kernel entry starts
   * from holds a CR3 too; it follows, or the next entry would walk the previous tables.
   */
  private switchMm(mm: MmStruct): void {
    const root = mm.pgd.root;
    const key = `${root}:${this.current?.thread.stack.top}`;
    if (this.booted && this.templateKey !== key) {
      this.scratch = this.cpu.saveContext(this.scratch);
      this.kctx.restoreTemplate();
      this.cpu.set("cr3", root);
      this.templateFixup();
      this.kctx.saveTemplate();
      this.cpu.restoreContext(this.scratch);
      this.templateKey = key;
    }
    this.cpu.set("cr3", root);
  }

  /** Per-task CPU state the template must carry besides CR3 (i386: IA32_SYSENTER_ESP). */
  protected templateFixup(): void {}

  /** The boot's first switch to user mode saved the kernel's CPU state: from now on new tasks use ret_from_fork. */
  protected templateSaved(): void {
    this.booted = true;
    this.templateKey = `${this.task.mm.pgd.root}:${this.task.thread.stack.top}`;
  }

  /** How the current task first returns to user mode, taken once (the boot's switch or ret_from_fork). */
  protected takeFirstUser(): FirstUser {
    const th = this.task.thread;
    const first = th.first!;
    th.first = undefined;
    return first;
  }

  /**
   * The IRET frame of a task's first return to user mode, on top of its kernel stack: IP, CS,
   * FLAGS, SP, SS from the lowest address up (SDM vol. 3A, 6.14), in words of the CPU's width,
   * from the program's entry or the parent's registers, with IF set as start_thread leaves it.
   * Returns the frame's address: the stack pointer the IRET runs with.
   */
  protected pushFirstIretFrame(first: FirstUser, cs: number, ss: number): bigint {
    const f = first.fork;
    const words = [f ? f.regs.ip : first.ip, BigInt(cs), f ? f.regs.flags | X86_EFLAGS_IF : X86_EFLAGS_IF | X86_EFLAGS_FIXED,
      f ? f.regs.sp : first.sp, BigInt(ss)];
    const w = this.cpu.bits === 64 ? 8 : 4;
    const frame = this.task.thread.stack.top - BigInt(words.length * w);
    const b = Buffer.alloc(words.length * w);
    words.forEach((v, i) => (w === 8 ? b.writeBigUInt64LE(BigInt.asUintN(64, v), i * 8) : b.writeUInt32LE(Number(BigInt.asUintN(32, v)), i * 4)));
    b.copy(this.phys.mem, this.kernelPa(frame));
    return frame;
  }

  /**
   * exec_mmap + start_thread inside execve, on this same CPU: the task's address space is
   * replaced (CR3 now, the old one put), and pt_regs say where the new program starts, with
   * clean registers, segment bases, TLS and x87/SSE state; the return path uses IRET.
   */
  execMm(regs: PtRegs, mm: MmStruct, first: { ip: bigint; sp: bigint }, vdso?: VdsoMapping): void {
    const task = this.task;
    const old = task.mm;
    task.mm = mm;
    task.vdso = vdso;
    this.switchMm(mm);
    this.mmput(old);
    task.tls.clear();
    this.loadTls(task);
    this.cpu.xrstor(this.initXstate);
    this.startThread(regs, first.ip, first.sp);
    this.entry.execed = true;
  }

  /** The task moves to the other kernel (execve of the other ABI): this CPU lets go of it once stopped. */
  leave(task: Task, oldMm: MmStruct): void {
    this.departed = { task, thread: task.thread, mm: oldMm };
    this.stop();
  }

  /**
   * finish_task_switch for a task that will not run here again: the run loop calls this after the
   * CPU stopped. Returns false when `task` is gone (exit, or exec to the other kernel): its
   * kernel stack and saved context go back, and its address space if it died.
   */
  settle(task: Task): boolean {
    const d = this.departed;
    if (d) {
      this.departed = undefined;
      this.releaseThread(d.thread);
      this.mmput(d.mm);
      if (this.current === d.task) {
        this.current = undefined;
        this.lastTask = d.task;
      }
    }
    if (task.machine === this && !this.gone(task)) return true;
    if (this.current === task) {
      this.current = undefined;
      this.lastTask = task;
    }
    if (task.machine === this) this.reap(task);
    return false;
  }

  /**
   * A warm kernel (`sysgate serve`, emulator/warm_kernels.ts) serves another run: once every task
   * of the last run has ended and given back its stack and address space, the booted kernel (its
   * text, CPU, physical memory, page cache, and the translated code of the frames it keeps) runs
   * the tasks of `kernel`, whose process table, files, clocks and hooks are the new run's. The
   * syscall and exception paths start afresh: their said-once warnings, last syscall and last
   * delivery are per run.
   */
  adopt(kernel: KernelState): void {
    if (this.current || this.departed) throw new Error("adopt: a task of the last run still has this CPU");
    (this as { kernel: KernelState }).kernel = kernel;
    (this as { entry: GenericEntry }).entry = new GenericEntry(this);
    this.traps.reset(); // its model calls stay: they belong to the kernel text
    this.lastTask = undefined;
    kernel.machines.add(this);
  }

  private releaseThread(th: ThreadState): void {
    if (th.ctx) this.spareContexts.push(th.ctx);
    th.ctx = undefined;
    this.freeStacks.push(th.stack);
  }

  /** The resources of a task that ended on this kernel: its stack, saved context and (exit_mm) address space. */
  private reap(task: Task): void {
    if (task.thread.released) return;
    task.thread.released = true;
    this.releaseThread(task.thread);
    this.mmput(task.mm);
  }

  /** A kernel data address in guest RAM (the data block and each kernel stack are physically contiguous). */
  kernelPa(va: bigint): number {
    const { base, threadSize } = this.stackArea;
    const slotSize = BigInt(threadSize + PAGE_SIZE);
    const slot = va >= base ? (va - base) / slotSize : -1n;
    if (slot < 0n || slot >= BigInt(this.stackPa.length)) return this.boot.gdt.pa + Number(va - this.boot.gdt.va);
    return this.stackPa[Number(slot)] + Number(va - base - slot * slotSize - BigInt(PAGE_SIZE));
  }

  /** pt_regs at the address a stub passed (RDI on x86-64, EAX on i386). */
  ptRegs(va: bigint): PtRegs {
    return new PtRegs(this.phys.mem, this.kernelPa(va), va, this.cpu.bits);
  }

  /** A hook on one syscall, by name or number (interception point 6), for every process of this ABI. */
  onSyscall(nameOrNr: string | number, fn: (e: SyscallEvent) => void): () => void {
    const table = this.table;
    const slot = table.lookup(String(nameOrNr));
    if (!slot) throw new Error(`no syscall '${nameOrNr}' in the ${this.abi} table`);
    return this.hooks.onService(table.abi, slot.nr, fn);
  }

  /** send_signal with this kernel's wake-up. */
  signal(task: Task, sig: number, info: SigInfo): void {
    sendSignal(task, sig, info, (t) => this.kernel.sched.wake(t));
  }

  /** do_group_exit: the other threads of the current task's group, then the task itself, end with `status`. */
  do_group_exit(status: number): void {
    zapOtherThreads(this.task, status, this.kernel);
    this.exitTask(status);
  }

  /** do_exit for `task` (the current one unless said), with the wait status word. */
  exitTask(status: number, task: Task = this.task): void {
    if (task === this.current) this.stop();
    // a leader that exited before its threads is told of (strace's `+++ exited`) when the last one ends
    const leader = this.kernel.sched.tasks.get(task.tgid);
    const leaderWaits = leader !== undefined && leader !== task && delayGroupLeader(leader);
    doExit(task, status, this.kernel);
    if (this.hooks.has("process")) {
      if (!delayGroupLeader(task)) this.hooks.emit("process", { point: "process", pid: task.pid, action: "exit", status });
      if (leaderWaits && !delayGroupLeader(leader)) {
        this.hooks.emit("process", { point: "process", pid: leader.pid, action: "exit", status: leader.exitStatus });
      }
    }
    if (task !== this.current && task.machine === this) this.reap(task);
  }

  /** An INT n or exception seen before its delivery (i386 reports `int $0x80` here). */
  onSoftwareInterrupt(_vector: number): void {}

  /** A delivery of a vector the architecture handles itself (int $0x80 on i386). */
  onDelivered(_d: InterruptDelivery): void {}

  /** An exception the engine reported by its return code rather than a hook (#UD). */
  raise(vector: number): void {
    this.traps.raise(vector);
  }

  /**
   * Called by the run loop whenever the CPU stopped with the task still here: delivers a pending
   * exception through the IDT (entry/traps.ts) and returns where the CPU continues.
   */
  resume(): bigint {
    return this.traps.resume();
  }

  /**
   * kick_process, before the run loop gives the CPU to `task` again: a task stopped in user mode
   * (its time ran out, or another one took the CPU) with a signal waiting for it would spin on
   * without entering the kernel, so it gets the timer interrupt, whose way back to user mode
   * delivers the signal. Returns where the CPU continues then, or undefined when nothing waits.
   */
  kick_process(task: Task): bigint | undefined {
    if ((task.pending === 0n && task.signal.pending === 0n) || !signalPending(task)) return undefined;
    if ((this.cpu.get("cs") & 3n) !== 3n) return undefined; // in the kernel: its exit to user mode will see it
    // woken from a sleep, about to run its syscall again: that call's way out delivers it (with
    // EINTR or the restart its handler's SA_RESTART asks for), as the sleeper's would in Linux
    if (task.restartIp !== undefined && this.cpu.get(this.cpu.bits === 64 ? "rip" : "eip") === task.restartIp) return undefined;
    this.traps.interrupt(LOCAL_TIMER_VECTOR);
    return this.traps.resume();
  }
}

/** A wait status word as run()'s result. */
export function exitStateOf(status: number, detail?: string): ExitState {
  const sig = status & 0x7f;
  return sig ? { signal: sig, core: (status & 0x80) !== 0, detail } : { code: (status >> 8) & 0xff };
}

