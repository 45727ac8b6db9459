// The interception points (ARCHITECTURE.md, "Interception points"), in the order a syscall
// meets them, each with a typed event. A hook may observe; at the generic entry and the service
// routine it may rewrite arguments or skip the routine with a chosen result; at the exit it may
// rewrite the result; at any point it may pause the machine. A hook on one syscall is kept by
// ABI and number, so the others never see it; a hook on the generic entry runs for every
// syscall, as in Linux.

import type { Support } from "./syscalls/support.js";
import type { Abi } from "./uapi/abi.js";

/** How the syscall entered the kernel (or did not: the vDSO). */
export type Mechanism = "syscall" | "int80" | "sysenter" | "vdso";

/** CPU state at a privilege transition. */
export interface CpuState {
  cpl: number;
  cs: number;
  ip: bigint;
  ss: number;
  sp: bigint;
  flags: bigint;
}

interface Base {
  /** Thread id of the task (what the kernel calls pid; strace -f's `[pid N]`). */
  pid: number;
  /** Its thread group: the process id getpid() gives (equal to `pid` for a process's first thread). */
  tgid: number;
  /** Order of this event in the run (1, 2, ...): traces compare equal run after run. */
  seq: number;
  /** Ask the machine to stop once this hook returns (Machine.run() then returns `paused`). */
  pause(): void;
}

/** 1. A library function of the program is entered (by ELF symbol: the LD_PRELOAD analogue). */
export interface FunctionEvent extends Base {
  point: "function";
  symbol: string;
  address: bigint;
  /** The first argument registers (rdi rsi rdx rcx r8 r9, or the stack words on i386). */
  args: bigint[];
  returnAddress: bigint;
}

/** 2. The wrapper's entry instruction is about to execute. */
export interface InstructionEvent extends Base {
  point: "instruction";
  mechanism: Exclude<Mechanism, "vdso">;
  instruction: "syscall" | "int $0x80" | "sysenter" | "call __kernel_vsyscall";
  address: bigint;
  /** The function that holds the instruction, as symbol+offset (or the caller's, for the vsyscall call). */
  function: string | undefined;
  /** The syscall number in EAX/RAX. */
  nr: number;
  name: string | undefined;
}

/** 3. The CPU transition from CPL 3 to CPL 0 and what it used. */
export interface TransitionEvent extends Base {
  point: "transition";
  mechanism: Exclude<Mechanism, "vdso">;
  before: CpuState;
  after: CpuState;
  /** SYSCALL: IA32_STAR, IA32_LSTAR, IA32_FMASK. */
  msrs?: Record<string, bigint>;
  /** INT n: the IDT gate and the stack the TSS gave. */
  gate?: { vector: number; offset: bigint; selector: number; dpl: number; type: number; tssSp0: bigint; frame: bigint };
}

/** 4. The kernel's entry stub starts. */
export interface EntryStubEvent extends Base {
  point: "entry_stub";
  mechanism: Exclude<Mechanism, "vdso">;
  stub: string;
  address: bigint;
  /** Which kernel's text the stub is in: x86-64 (entry_*_64, entry_*_compat) or the native i386 one. */
  kernel: "x86_64" | "i386";
}

/** 5 and 6: the generic entry (every syscall) and the service routine's slot (one syscall). */
export interface SyscallEvent extends Base {
  point: "syscall_entry" | "service";
  mechanism: Exclude<Mechanism, "vdso">;
  nr: number;
  name: string | undefined;
  /** The kernel entry point of the slot (`sys_write`), undefined for an empty slot. */
  entryPoint: string | undefined;
  /** The six argument registers; assign to rewrite them (the change reaches pt_regs too). */
  args: bigint[];
  /** Address of struct pt_regs on the kernel stack. */
  ptRegs: bigint;
  /** Skip the service routine: the syscall returns this value (a negative errno for failure). */
  skip(result: bigint | number): void;
}

/** 7. The syscall is leaving: its result may be rewritten. */
export interface SyscallExitEvent extends Base {
  point: "syscall_exit";
  mechanism: Exclude<Mechanism, "vdso">;
  nr: number;
  name: string | undefined;
  entryPoint: string | undefined;
  args: bigint[];
  /** regs->ax: assign to change what user space sees. */
  result: bigint;
  /** True when a hook skipped the service routine. */
  skipped: boolean;
  /** Whether the slot had no implementation (-ENOSYS). */
  implemented: boolean;
  /** The slot's declared support status (supported, partial with a note, or an error and why). */
  support: Support | undefined;
}

/** 8. The return instruction is about to take the CPU back to CPL 3. */
export interface ReturnEvent extends Base {
  point: "return";
  mechanism: Exclude<Mechanism, "vdso">;
  instruction: "sysretq" | "sysretl" | "iretq" | "iret" | "sysexit";
  address: bigint;
  before: CpuState;
  /** Where the instruction will go, read from the registers or the frame it pops. */
  after: CpuState;
}

/** 9. A vDSO function is entered: the syscall is served in user mode. */
export interface VdsoEvent extends Base {
  point: "vdso";
  mechanism: "vdso";
  function: string;
  address: bigint;
  args: bigint[];
}

/** Not an interception point: a signal delivered (handler, fatal default action) or returned from. */
export interface SignalEvent extends Base {
  point: "signal";
  sig: number;
  name: string;
  action: "handler" | "fatal" | "sigreturn";
  /** si_code and the sender (or the fault address) as the siginfo carries them. */
  code?: number;
  senderPid?: number;
  addr?: bigint;
  /** Where the handler runs and its frame (action "handler"). */
  handler?: bigint;
  frame?: bigint;
}

/** Not an interception point: a process was created, replaced its program, or ended. */
export interface ProcessEvent extends Base {
  point: "process";
  action: "fork" | "exec" | "exit";
  /** fork: the child's pid; exec: the program; exit: the wait status word. */
  child?: number;
  program?: string;
  status?: number;
}

/**
 * Not an interception point: schedule() gave the CPU to another task (context_switch: switch_mm
 * loads the next address space's page-table root into CR3, __switch_to its registers). `pid`
 * is the next task.
 */
export interface ContextSwitchEvent extends Base {
  point: "context_switch";
  prev: number;
  next: number;
  /** CR3 before and after (the page-table roots of the two address spaces). */
  prevCr3: bigint;
  nextCr3: bigint;
  /** Which kernel's CPU switched. */
  kernel: "x86_64" | "i386";
}

/**
 * Not an interception point: a write to a copy-on-write page faulted and do_wp_page gave the
 * task a page of its own (a copy in a new frame, or the old frame reused when it was the last user).
 */
export interface CowFaultEvent extends Base {
  point: "cow_fault";
  address: bigint;
  oldFrame: number;
  newFrame: number;
  reused: boolean;
}

export interface HookEvents {
  function: FunctionEvent;
  instruction: InstructionEvent;
  transition: TransitionEvent;
  entry_stub: EntryStubEvent;
  syscall_entry: SyscallEvent;
  service: SyscallEvent;
  syscall_exit: SyscallExitEvent;
  return: ReturnEvent;
  vdso: VdsoEvent;
  signal: SignalEvent;
  process: ProcessEvent;
  context_switch: ContextSwitchEvent;
  cow_fault: CowFaultEvent;
}
export type HookPoint = keyof HookEvents;
export const HOOK_POINTS: readonly HookPoint[] = [
  "function", "instruction", "transition", "entry_stub", "syscall_entry", "service", "syscall_exit", "return", "vdso",
  "signal", "process", "context_switch", "cow_fault",
];

export type Handler<P extends HookPoint> = (e: HookEvents[P]) => void;

/** The handlers of a run, by point; `service` handlers by (ABI, syscall number). */
export class HookRegistry {
  private readonly handlers = new Map<HookPoint, Set<Handler<HookPoint>>>();
  /**
   * Interception point 6 by ABI and number, indexed directly so that a syscall nobody hooked
   * pays one array read. i386 numbers serve both the native i386 table and ia32_sys_call_table.
   */
  private readonly service: Record<Abi, (Handler<"service">[] | undefined)[]> = { x86_64: [], i386: [] };
  private seq = 0;
  /** Called when the first handler of a point arrives, so the kernel can set its trap up. */
  onFirst: (point: HookPoint) => void = () => {};
  /** Set by a handler's pause(); the machine stops after the hook returns. */
  pauseRequested = false;
  /** Every event's `pause`: one function for all of them, not a closure per event. */
  private readonly requestPause = (): void => { this.pauseRequested = true; };

  on<P extends HookPoint>(point: P, fn: Handler<P>): () => void {
    let set = this.handlers.get(point);
    if (!set) {
      set = new Set();
      this.handlers.set(point, set);
    }
    const first = set.size === 0;
    set.add(fn as Handler<HookPoint>);
    if (first) this.onFirst(point);
    return () => set!.delete(fn as Handler<HookPoint>);
  }

  /** A hook on one syscall of `abi`: removed by calling what it returns. */
  onService(abi: Abi, nr: number, fn: Handler<"service">): () => void {
    const list = (this.service[abi][nr] ??= []);
    list.push(fn);
    return () => {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** The hooks on syscall `nr` of `abi` (undefined or empty when there are none). */
  serviceHooks(abi: Abi, nr: number): readonly Handler<"service">[] | undefined {
    return this.service[abi][nr];
  }

  has(point: HookPoint): boolean {
    return (this.handlers.get(point)?.size ?? 0) > 0;
  }

  /** Numbers and delivers an event (built only when someone listens: check has() first). */
  /** The thread group of a thread id (set by the kernel; a thread it does not know is its own group). */
  tgidOf: (tid: number) => number = (tid) => tid;

  emit<P extends HookPoint>(point: P, event: Omit<HookEvents[P], "seq" | "pause" | "tgid">): HookEvents[P] {
    const e = this.stamp(event);
    for (const fn of this.handlers.get(point) ?? []) fn(e as HookEvents[HookPoint]);
    return e;
  }

  /** Gives an event its sequence number and pause(), for handlers kept outside this registry. */
  stamp<P extends HookPoint>(event: Omit<HookEvents[P], "seq" | "pause" | "tgid">): HookEvents[P] {
    const e = event as HookEvents[P];
    e.tgid = this.tgidOf(e.pid);
    e.seq = ++this.seq;
    e.pause = this.requestPause;
    return e;
  }
}
