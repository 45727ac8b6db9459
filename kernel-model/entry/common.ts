// The syscall path (Linux arch/x86/entry/common.c and kernel/entry/common.c): do_syscall_64,
// do_int80_syscall_32 and do_fast_syscall_32 take the number and arguments from pt_regs; the
// generic part they share looks the slot up in the table, calls the service routine and puts the
// result in regs->ax, with the hooks of interception points 5-7 around it; on the way back to
// user mode it sleeps, preempts and delivers signals. IA32 emulation's entries are in
// common_compat.ts; the exceptions' C handlers in traps.ts.

import type { Cpu } from "../cpu.js";
import * as L32 from "../boot/layout_32.js";
import * as L64 from "../boot/layout_64.js";
import { E, ERRNO_NAME, Errno } from "../errno.js";
import type { HookRegistry, Mechanism, SyscallEvent } from "../hooks.js";
import { LimitReached } from "../limits.js";
import { waitStatusKilled } from "../sched/exit.js";
import { rlimitCur } from "../sched/rlimit.js";
import { ERESTARTNOINTR, ERESTARTSYS, getSignal, isRestartCode, nextSignal, setupFrame, signalName, signalPending } from "../sched/signal.js";
import type { SigInfo, Task } from "../sched/task.js";
import { WouldBlock, type WaitQueue } from "../sched/wait.js";
import type { SyscallSlot, SyscallTable } from "../syscalls/table.js";
import type { SyscallArgs, SyscallContext } from "../syscalls/types.js";
import type { Abi } from "../uapi/abi.js";
import { RLIMIT_CORE } from "../uapi/asm-generic/resource.js";
import { SA_RESTART, SIG_DFL, SIG_IGN } from "../uapi/asm-generic/signal-defs.js";
import { X86_EFLAGS_RF, X86_EFLAGS_TF, X86_EFLAGS_VM } from "../uapi/asm/processor-flags.js";
import { SIGKILL, SIGPIPE, SIGSEGV } from "../uapi/asm/signal.js";
import type { VdsoMapping } from "../vdso/vdso_mapping.js";
import { PT64 as P, PT_REGS_64_SIZE, type PtRegs } from "./pt_regs.js";

export interface SyscallOutcome {
  nr: number;
  slot: SyscallSlot | undefined;
  args: SyscallArgs;
  /** The value written to regs->ax, as a signed number. */
  result: bigint;
}

/** The answers a partial routine gives for the part it does not do. */
const MISSING_PART = new Set<number>([E.ENOSYS, E.EINVAL, E.EOPNOTSUPP]);
const MINUS_ENOSYS = BigInt(-E.ENOSYS);

/**
 * The table call of do_syscall_x64 / do_syscall_32_irqs_on, one per table: a routine returns a
 * value or throws Errno; only Errno becomes -errno, anything else is a bug that surfaces.
 */
export class SyscallDispatcher {
  private readonly warned = new Set<string>();

  constructor(readonly table: SyscallTable, private readonly warn: (msg: string) => void, private readonly warnUnimplemented: boolean) {}

  /**
   * Runs one syscall through the slot the caller looked up: the result alone, nothing allocated
   * around it; never throws for what the guest did (errors become -errno).
   */
  call(ctx: SyscallContext, nr: number, slot: SyscallSlot | undefined, args: SyscallArgs): bigint {
    if (slot === undefined || !slot.impl) {
      this.noteUnimplemented(nr, slot);
      return MINUS_ENOSYS;
    }
    const support = slot.support!.status;
    if (support === "error") this.noteUnimplemented(nr, slot);
    let result: bigint;
    try {
      result = BigInt(slot.impl(ctx, args));
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      if (e instanceof LimitReached) ctx.task.kernel.noteLimit(e);
      result = BigInt(-e.errno);
    }
    // a partial routine is worth a word only when the guest met what is missing, not at every use
    if (support === "partial" && MISSING_PART.has(Number(-result))) this.noteUnimplemented(nr, slot);
    return result;
  }

  /**
   * Says once per name that the guest asked for something not modelled, or only partly: the
   * note declared with the routine (support.ts), or sys_ni_syscall's answer for an empty slot.
   */
  private noteUnimplemented(nr: number, slot: SyscallSlot | undefined): void {
    const name = slot?.name ?? `syscall_${nr}`;
    if (!this.warnUnimplemented || this.warned.has(name)) return;
    this.warned.add(name);
    const what = `sysgate: ${name} (${this.table.abi} #${nr}${slot?.entry ? `, ${slot.entry}` : ""})`;
    const s = slot?.support;
    if (s?.status === "partial") this.warn(`${what} is partly supported (${s.note}); this call met the missing part`);
    else if (s?.status === "error") this.warn(`${what} is not supported: ${s.note}; returning -${ERRNO_NAME[s.errno] ?? s.errno}`);
    else this.warn(`${what} is not implemented: returning -ENOSYS`);
  }
}

/** The pt_regs fields that carry a syscall's arguments (x86-64: di si dx r10 r8 r9; i386: bx cx dx si di bp). */
export type ArgField = "di" | "si" | "dx" | "r10" | "r8" | "r9" | "bx" | "cx" | "bp";
type EntryMechanism = Exclude<Mechanism, "vdso">;

/**
 * What the generic entry needs of its kernel: public members of LinuxKernel (linux.ts), and of
 * the machine-wide KernelState (kernel.ts) only what it uses, said here.
 */
export interface EntryKernel {
  readonly cpu: Cpu;
  readonly kernel: {
    readonly hooks: HookRegistry;
    readonly config: { readonly warnUnimplemented: boolean };
    warn(message: string): void;
    readonly sched: {
      block(task: Task, queues: readonly WaitQueue[], deadline?: bigint): void;
      shouldPreempt(now: () => bigint): boolean;
    };
    readonly entryClock: () => bigint;
  };
  readonly abi: Abi;
  /** The task in the CPU (`current`). */
  readonly task: Task;
  readonly vdso: VdsoMapping | undefined;
  /** The dispatch table a syscall entering now goes through (entry/syscall_tables.ts). */
  readonly table: SyscallTable;
  /** The ABI of the syscall in progress: the kernel's, or i386 for a compat entry on the x86-64 kernel. */
  readonly syscallAbi: Abi;
  readonly argFields: readonly ArgField[];
  /** The user code/stack selectors (what a signal frame's return restores). */
  readonly userSelectors: { cs: number; ss: number };
  ptRegs(va: bigint): PtRegs;
  /** Has `task` left this CPU (exit, death, or exec to the other kernel)? */
  gone(task: Task): boolean;
  stop(): void;
  checkPause(): void;
  signal(task: Task, sig: number, info: SigInfo): void;
  exitTask(status: number, task?: Task): void;
  /** do_group_exit: every thread of the current task's group ends with `status`. */
  do_group_exit(status: number): void;
}

/** A fault's details for the signal frame (the sigcontext's cr2, trapno, err). */
export interface FaultInfo { cr2?: bigint; trapno: number; errorCode: bigint }

/**
 * The syscall path of one kernel (arch/x86/entry/common.c with kernel/entry/common.c):
 * do_syscall_64 / do_int80_syscall_32 / do_fast_syscall_32 take the number and the arguments from
 * pt_regs; syscall() is the generic part they share (syscall_enter_from_user_mode's hooks, the
 * table, syscall_exit_to_user_mode); arch_do_signal_or_restart delivers signals on every return
 * to user mode, the exceptions' included (entry/traps.ts). One per kernel; the state here is the
 * syscall in progress.
 */
export class GenericEntry {
  private readonly hooks: HookRegistry;
  /** The last syscall's number, slot, arguments and result (one record, rewritten by each syscall). */
  private readonly last: SyscallOutcome & { valid: boolean } = { nr: 0, slot: undefined, args: [0n, 0n, 0n, 0n, 0n, 0n], result: 0n, valid: false };
  /** Set by a service routine that returns but must then sleep (vfork's parent). */
  private sleepAfter: WaitQueue[] | undefined;
  /** Set by exec (LinuxKernel.execMm): the syscall in progress returns into a new program. */
  execed = false;
  private readonly dispatchers = new Map<SyscallTable, SyscallDispatcher>();
  private lastContext: SyscallContext | undefined;
  private readonly exitCurrent = (code: number, signal?: number): void => {
    this.k.exitTask(signal ? waitStatusKilled(signal, false) : (code & 0xff) << 8);
  };
  private readonly sleepAfterReturn = (queues: readonly WaitQueue[]): void => {
    this.sleepAfter = [...queues];
  };
  // do_syscall_64's arguments, copied as 32-bit halves into one 64-bit array that each syscall
  // rewrites: a BigInt is made only for an argument the routine reads (a routine uses them while
  // it runs; a hook's event gets a copy).
  private readonly argWords = new Uint32Array(12);
  private readonly args64 = new BigUint64Array(this.argWords.buffer);
  private lastPtRegs: PtRegs | undefined;
  private lastStackTop: bigint | undefined;

  constructor(private readonly k: EntryKernel) {
    this.hooks = k.kernel.hooks;
  }

  get lastSyscall(): SyscallOutcome | undefined {
    const l = this.last;
    return l.valid ? { nr: l.nr, slot: l.slot, args: [...l.args] as unknown as SyscallArgs, result: l.result } : undefined;
  }

  /** The dispatcher over `table` (one per table, so "not implemented" is said once per run). */
  dispatcher(table: SyscallTable): SyscallDispatcher {
    let d = this.dispatchers.get(table);
    if (!d) this.dispatchers.set(table, (d = new SyscallDispatcher(table, (m) => this.k.kernel.warn(m), this.k.kernel.config.warnUnimplemented)));
    return d;
  }

  /**
   * do_syscall_64, reached through the model call entry_SYSCALL_64 calls. The stub passes
   * pt_regs in RDI; they are at the top of the task's kernel stack, where Linux's
   * task_pt_regs(current) finds them too, so no register is read to get there. Returns (in RAX)
   * whether the exit may use SYSRET.
   */
  do_syscall_64(): void {
    const regs = this.taskPtRegs();
    const nr = regs.lo32(P.orig_ax) | 0; // (int) orig_ax
    const w = this.argWords;
    for (let i = 0; i < 6; i++) {
      const slot = ARG_SLOTS_64[i];
      w[i * 2] = regs.lo32(slot);
      w[i * 2 + 1] = regs.hi32(slot);
    }
    this.syscall(regs, nr, this.args64 as unknown as SyscallArgs, "syscall");
    // Can the exit use SYSRET? The checks of do_syscall_64's return path, in its order, on the
    // 32-bit halves of each field (no BigInt per check).
    const sysretOk =
      regs.lo32(P.cx) === regs.lo32(P.ip) && regs.hi32(P.cx) === regs.hi32(P.ip) &&
      regs.lo32(P.r11) === regs.lo32(P.flags) && regs.hi32(P.r11) === regs.hi32(P.flags) &&
      regs.lo32(P.cs) === L64.__USER_CS && regs.hi32(P.cs) === 0 &&
      regs.lo32(P.ss) === L64.__USER_DS && regs.hi32(P.ss) === 0 &&
      regs.hi32(P.ip) < 0x8000 && // below 2^47: canonical and a user address
      (regs.lo32(P.flags) & X86_EFLAGS_RF_TF) === 0;
    this.k.cpu.set("rax", sysretOk ? 1n : 0n);
  }

  /** task_pt_regs(current): the frame entry_SYSCALL_64 pushed below the top of the kernel stack (the last one made is reused). */
  private taskPtRegs(): PtRegs {
    const top = this.k.task.thread.stack.top;
    if (this.lastPtRegs !== undefined && this.lastStackTop === top) return this.lastPtRegs;
    this.lastStackTop = top;
    return (this.lastPtRegs = this.k.ptRegs(top - PT_REGS_SIZE_64));
  }

  /**
   * TS_COMPAT (in_ia32_syscall()): set while a syscall that came through a 32-bit entry runs on
   * the x86-64 kernel, a 64-bit task's `int $0x80` included; it then has the 32-bit ABI
   * (ia32_sys_call_table, i386 struct layouts). Cleared on the way out.
   */
  tsCompat = false;

  /** pt_regs at the address the stub passed (RDI on x86-64, EAX on i386). */
  stubRegs(): PtRegs {
    const cpu = this.k.cpu;
    return this.k.ptRegs(cpu.get(cpu.bits === 64 ? "rdi" : "eax"));
  }

  /** do_int80_syscall_32, on the i386 kernel and in IA32 emulation: the number and arguments from pt_regs; always IRET. */
  do_int80_syscall_32(regs: PtRegs): void {
    regs.set("ax", MINUS_ENOSYS);
    this.do_syscall_32(regs, "int80");
  }

  /**
   * do_fast_syscall_32 (SYSENTER, and SYSCALL from compatibility mode): both instructions lose
   * EIP, so the return goes to the vDSO's landing pad; the sixth argument (EBP, which
   * __kernel_vsyscall used to carry ESP or ECX) is the word it pushed on the user stack. Says (in
   * EAX / RAX) whether the exit may use SYSEXIT / SYSRETL.
   */
  do_fast_syscall_32(regs: PtRegs, mechanism: "sysenter" | "syscall"): void {
    const cpu = this.k.cpu;
    regs.set("ax", MINUS_ENOSYS);
    const landing = landingPad(this.k.vdso) ?? 0n;
    regs.set("ip", landing);
    let ok = true;
    try {
      regs.set("bp", BigInt(this.k.task.mm.readU32(regs.get("sp") & 0xffffffffn)));
    } catch {
      regs.set("ax", BigInt(-E.EFAULT)); // user code screwed up: keep it simple, use IRET
      ok = false;
    }
    if (ok) this.do_syscall_32(regs, mechanism);
    if (cpu.bits === 64) {
      // opportunistic SYSRETL (no CX == IP check: the landing pad's pops put ECX right)
      const sysretOk = ok && landing !== 0n && regs.get("cs") === BigInt(L64.__USER32_CS) && regs.get("ss") === BigInt(L64.__USER_DS) &&
        regs.get("ip") === landing && (regs.get("flags") & (X86_EFLAGS_RF | X86_EFLAGS_TF)) === 0n;
      cpu.set("rax", sysretOk ? 1n : 0n);
    } else {
      const sysexitOk = ok && landing !== 0n && regs.get("cs") === BigInt(L32.__USER_CS) && regs.get("ss") === BigInt(L32.__USER_DS) &&
        regs.get("ip") === landing && (regs.get("flags") & (X86_EFLAGS_RF | X86_EFLAGS_TF | X86_EFLAGS_VM)) === 0n;
      cpu.set("eax", sysexitOk ? 1n : 0n);
    }
  }

  /** do_syscall_32_irqs_on: the 32-bit ABI's number (int) orig_ax and arguments, TS_COMPAT on the x86-64 kernel. */
  private do_syscall_32(regs: PtRegs, mechanism: EntryMechanism): void {
    const nr = Number(BigInt.asIntN(32, regs.get("orig_ax")));
    const M = 0xffffffffn; // each argument a u32 zero-extended, as the __ia32_sys_* wrappers take them
    const args: SyscallArgs = [regs.get("bx") & M, regs.get("cx") & M, regs.get("dx") & M, regs.get("si") & M, regs.get("di") & M, regs.get("bp") & M];
    this.tsCompat = this.k.cpu.bits === 64;
    try {
      this.syscall(regs, nr, args, mechanism);
    } finally {
      this.tsCompat = false;
    }
  }

  /**
   * The service routines' view of the syscall in progress. Consecutive syscalls of a task see the
   * same task, address space and pt_regs frame, so the last context is handed out again (it is
   * never changed, only replaced): no object per syscall on the hot path.
   */
  private context(regs: PtRegs): SyscallContext {
    const task = this.k.task;
    const abi = this.k.syscallAbi;
    const c = this.lastContext;
    if (c && c.task === task && c.regs === regs && c.mem === task.mm && c.abi === abi) return c;
    return (this.lastContext = {
      abi, task, mem: task.mm, cpu: this.k.cpu, regs,
      exit: this.exitCurrent,
      sleepAfterReturn: this.sleepAfterReturn,
    });
  }

  /**
   * The generic part of every syscall entry: syscall_enter_from_user_mode (interception points 5
   * and 6: hooks on every syscall, then the slot's own hooks), the service routine through the
   * table unless a hook skipped it, then syscall_exit_to_user_mode (point 7, the exit hooks; the
   * result goes to regs->ax; sleep, preemption and signals on the way out). A routine that would
   * block leaves the task asleep with its syscall instruction to run again.
   */
  syscall(regs: PtRegs, nr: number, args: SyscallArgs, mechanism: EntryMechanism): void {
    const k = this.k;
    const table = k.table;
    const slot = table.slot(nr);
    const own = this.hooks.serviceHooks(table.abi, nr);
    let skipped: bigint | undefined;
    let callArgs = args;
    if (this.hooks.has("syscall_entry") || (own !== undefined && own.length > 0)) {
      const h = this.syscall_enter_from_user_mode(regs, nr, slot, own, args, mechanism);
      skipped = h.skipped;
      callArgs = h.args;
    }
    this.sleepAfter = undefined;
    k.task.restartIp = undefined; // a woken sleeper's call is back in the kernel
    let result: bigint;
    try {
      result = skipped !== undefined ? skipped : this.dispatcher(table).call(this.context(regs), nr, slot, callArgs);
    } catch (e) {
      if (!(e instanceof WouldBlock)) throw e;
      this.blockAndRestart(regs, e);
      return;
    }
    const outcome = this.last;
    outcome.nr = nr;
    outcome.slot = slot;
    outcome.args = callArgs;
    outcome.result = result;
    outcome.valid = true;
    const task = k.task;
    if (k.gone(task)) return; // exit, or execve onto the other kernel: nothing returns here
    if (this.execed) {
      this.execed = false;
      return; // execve: pt_regs already hold the new program's start (start_thread)
    }
    // syscall_exit_to_user_mode
    task.sleepDeadline = undefined; // a timed sleep that was restarted is over
    if (this.hooks.has("syscall_exit")) {
      const e = this.hooks.emit("syscall_exit", {
        point: "syscall_exit", mechanism, pid: task.pid, nr, name: slot?.name, entryPoint: slot?.entry ?? undefined,
        args: [...callArgs], result: BigInt.asIntN(64, outcome.result), skipped: skipped !== undefined, implemented: !!slot?.impl,
        support: slot?.support,
      });
      outcome.result = e.result;
    }
    regs.set("ax", outcome.result);
    if (outcome.result === MINUS_EPIPE) k.signal(task, SIGPIPE, SI_USER_SELF(task));
    const sched = k.kernel.sched;
    if (this.sleepAfter) {
      sched.block(task, this.sleepAfter);
      k.stop();
    } else if (sched.shouldPreempt(k.kernel.entryClock)) {
      k.stop(); // schedule() on the way out: the run loop gives the CPU to the next task
    }
    this.arch_do_signal_or_restart(regs, undefined, isRestartCode(outcome.result));
    k.checkPause();
  }

  /**
   * syscall_enter_from_user_mode's hooks, interception points 5 and 6 (syscall_entry, the slot's
   * own hooks), only when one is set: the events are built here, so a syscall nobody watches
   * builds none.
   */
  private syscall_enter_from_user_mode(regs: PtRegs, nr: number, slot: SyscallSlot | undefined, own: readonly ((e: SyscallEvent) => void)[] | undefined,
    args: SyscallArgs, mechanism: EntryMechanism): { skipped: bigint | undefined; args: SyscallArgs } {
    let skipped: bigint | undefined;
    let callArgs = args;
    const skip = (r: bigint | number): void => { skipped = BigInt(r); };
    const task = this.k.task;
    // the arguments copied by index: spreading the per-kernel BigUint64Array goes through its iterator
    const mk = (point: "syscall_entry" | "service") => ({
      point, mechanism, pid: task.pid, nr, name: slot?.name, entryPoint: slot?.entry ?? undefined,
      args: [callArgs[0], callArgs[1], callArgs[2], callArgs[3], callArgs[4], callArgs[5]], ptRegs: regs.va, skip,
    });
    const apply = (e: SyscallEvent): void => {
      const a = e.args;
      if (a[0] === callArgs[0] && a[1] === callArgs[1] && a[2] === callArgs[2] && a[3] === callArgs[3] &&
        a[4] === callArgs[4] && a[5] === callArgs[5]) return;
      callArgs = a.slice(0, 6).map((v) => BigInt.asUintN(this.k.cpu.bits, v)) as unknown as SyscallArgs;
      this.k.argFields.forEach((f, i) => regs.set(f, callArgs[i])); // as a ptrace SETREGS would
    };
    if (this.hooks.has("syscall_entry")) apply(this.hooks.emit("syscall_entry", mk("syscall_entry")));
    if (skipped === undefined && own?.length) {
      const e = this.hooks.stamp<"service">(mk("service"));
      for (const h of own) h(e);
      apply(e);
    }
    return { skipped, args: callArgs };
  }

  /**
   * The task sleeps; when woken it executes its syscall instruction again. With a signal to
   * deliver it does not sleep (-ERESTARTSYS): a handler without SA_RESTART sees EINTR, otherwise
   * the call is restarted after the handler; a fatal signal ends the task here.
   */
  private blockAndRestart(regs: PtRegs, b: WouldBlock): void {
    const task = this.k.task;
    const sig = nextSignal(task);
    const act = sig ? task.sigactions.get(sig) : undefined;
    if (sig && sig !== SIGKILL && act && act.handler !== SIG_DFL && act.handler !== SIG_IGN && !(act.flags & SA_RESTART)) {
      regs.set("ax", BigInt(-E.EINTR));
    } else {
      regs.set("ip", restartIp(regs));
      regs.set("ax", regs.get("orig_ax"));
    }
    if (sig) {
      if (regs.get("ax") === BigInt(-E.EINTR)) task.sleepDeadline = undefined;
      this.arch_do_signal_or_restart(regs);
      this.k.checkPause();
      return;
    }
    task.waitingIn = b.why;
    task.restartIp = regs.get("ip");
    this.k.kernel.sched.block(task, b.queues, b.deadline);
    this.k.stop();
  }

  /**
   * exit_to_user_mode_loop's signal part (arch_do_signal_or_restart, arch/x86/kernel/signal.c):
   * deliver what is pending before returning with `regs`, from a syscall (`restart`: its result
   * was -ERESTART*) or an exception (`fault`). A fatal signal ends the task here.
   */
  arch_do_signal_or_restart(regs: PtRegs, fault?: FaultInfo, restart = false): void {
    const k = this.k;
    const task = k.task;
    if (k.gone(task)) return;
    // no handler to run: a syscall that answered -ERESTART* is made again
    const noHandler = () => {
      if (!restart) return;
      regs.set("ax", regs.get("orig_ax"));
      regs.set("ip", restartIp(regs));
    };
    // the usual case first, decided without BigInt arithmetic: nothing pending for the thread or its process
    if ((task.pending === 0n && task.signal.pending === 0n) || !signalPending(task)) return noHandler();
    for (;;) {
      const o = getSignal(task);
      if (o.kind === "none") {
        if (task.savedSigmask !== undefined) { task.blocked = task.savedSigmask; task.savedSigmask = undefined; }
        return noHandler();
      }
      if (o.kind === "stop") {
        k.kernel.warn(`sysgate: ${signalName(o.sig)} would stop pid ${task.pid}: job control stops are not modelled; ignored`);
        continue;
      }
      if (o.kind === "fatal") {
        if (this.hooks.has("signal")) {
          this.hooks.emit("signal", { point: "signal", pid: task.pid, sig: o.sig, name: signalName(o.sig), action: "fatal",
            code: o.info.code, senderPid: o.info.pid, addr: o.info.addr });
        }
        // do_coredump writes nothing (and the status says no core) when RLIMIT_CORE is 0, as
        // with a plain core_pattern and the usual `ulimit -c 0`
        const coreLimit = rlimitCur(task.rlimits, RLIMIT_CORE);
        const status = waitStatusKilled(o.sig, o.core && coreLimit > 0n);
        k.do_group_exit(status); // a fatal signal ends the whole thread group
        return;
      }
      if (o.kind === "handler") {
        // handle_signal: a syscall cut short by the signal ends with EINTR, or is made again after
        // the handler (ERESTARTNOINTR always, ERESTARTSYS with SA_RESTART)
        if (restart) {
          const r = -Number(BigInt.asIntN(32, regs.get("ax")));
          if (r === ERESTARTNOINTR || (r === ERESTARTSYS && o.action.flags & SA_RESTART)) {
            regs.set("ax", regs.get("orig_ax"));
            regs.set("ip", restartIp(regs));
          } else regs.set("ax", BigInt(-E.EINTR));
        }
        const xstate = Buffer.alloc(k.cpu.xstateSize);
        k.cpu.xsave(xstate);
        const vdso = k.vdso;
        let frame: bigint;
        try {
          frame = setupFrame(task, o.sig, o.info, o.action, {
            bits: task.abi === "x86_64" ? 64 : 32, regs, userCs: k.userSelectors.cs, userSs: k.userSelectors.ss,
            vdsoSigreturn: vdso && task.abi === "i386"
              ? { sigreturn: vdso.sym("__kernel_sigreturn"), rtSigreturn: vdso.sym("__kernel_rt_sigreturn") } : undefined,
            cr2: fault?.cr2, trapno: fault?.trapno, errorCode: fault?.errorCode,
          }, xstate);
        } catch {
          // force_sigsegv: the frame did not fit on the user stack
          task.lastFault = `cannot write the ${signalName(o.sig)} frame on the user stack`;
          k.exitTask(waitStatusKilled(SIGSEGV, true));
          return;
        }
        if (this.hooks.has("signal")) {
          this.hooks.emit("signal", { point: "signal", pid: task.pid, sig: o.sig, name: signalName(o.sig), action: "handler",
            code: o.info.code, senderPid: o.info.pid, addr: o.info.addr, handler: o.action.handler, frame });
        }
        // pt_regs changed (regs->cx != regs->ip): the return goes through IRET, not SYSRET/SYSEXIT
        return; // one frame at a time; the rest are delivered when the handler returns
      }
    }
  }
}

/** Where a restarted syscall resumes: its own instruction (int $0x80, syscall and sysenter's landing are 2 bytes back). */
function restartIp(regs: PtRegs): bigint {
  return regs.get("ip") - 2n;
}

/** int80_landing_pad in a task's vDSO: where both 32-bit fast paths return (and restart through int $0x80). */
export function landingPad(vdso: VdsoMapping | undefined): bigint | undefined {
  return vdso?.image.sysenterReturn !== undefined ? vdso.base + BigInt(vdso.image.sysenterReturn) : undefined;
}

/** RF and TF as the Number the SYSRET checks compare the low half of pt_regs->flags with. */
const X86_EFLAGS_RF_TF = Number(X86_EFLAGS_RF | X86_EFLAGS_TF);
const PT_REGS_SIZE_64 = BigInt(PT_REGS_64_SIZE);
/** rdi, rsi, rdx, r10, r8, r9: the x86-64 syscall arguments' pt_regs slots. */
const ARG_SLOTS_64 = [P.di, P.si, P.dx, P.r10, P.r8, P.r9] as const;
const MINUS_EPIPE = BigInt(-E.EPIPE);
const SI_USER_SELF = (t: Task) => ({ signo: SIGPIPE, code: 0, pid: t.tgid, uid: t.cred.uid });
