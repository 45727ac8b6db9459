// task_struct: one guest thread of execution and the per-process state it points at.
// Fields are named after their Linux counterparts (include/linux/sched.h).

import type { MmStruct } from "../mm/mm_struct.js";
import type { FilesStruct } from "../fs/files_struct.js";
import type { FsStruct } from "../fs/fs_struct.js";
import type { KernelState } from "../kernel.js";
import type { Abi } from "../uapi/abi.js";
import type { CpuContext } from "../cpu.js";
import type { FirstUser, LinuxKernel } from "../linux.js";
import type { VdsoMapping } from "../vdso/vdso_mapping.js";
import type { SigAction } from "./signal.js";
import { WaitQueue } from "./wait.js";

/**
 * signal_struct: what the threads of one process share about signals and their end: the
 * process-directed pending signals (shared_pending), where the search for a thread to take one
 * starts (curr_target), and the group's exit status once exit_group or a fatal signal ended it.
 */
export class SignalStruct {
  /** shared_pending: bit n-1 for signal n, with what each carries. */
  pending = 0n;
  readonly pendingInfo = new Map<number, SigInfo>();
  currTarget: Task | undefined;
  /** group_exit_code, set with SIGNAL_GROUP_EXIT: what the process's wait status says whatever thread ended last. */
  groupExitCode: number | undefined;
}

export type TaskState = "runnable" | "blocked" | "zombie" | "dead";

/** What a signal carries (the kernel_siginfo fields the model fills). */
export interface SigInfo {
  signo: number; code: number; pid: number; uid: number; addr?: bigint; status?: number;
  /** A POSIX timer's signal (SI_TIMER): si_tid, si_overrun, si_value. */
  timer?: { id: number; overrun: number; value: bigint };
}

export interface Cred {
  uid: number; gid: number; euid: number; egid: number;
  suid: number; sgid: number; fsuid: number; fsgid: number;
}

/** A kernel stack: THREAD_SIZE bytes, physically contiguous, mapped in the kernel half. */
export interface KernelStack { va: bigint; pa: number; top: bigint }

/**
 * thread_struct and the kernel stack: what __switch_to saves and restores when the task gives up
 * the CPU (the whole register file: GPRs, RIP/RFLAGS, FS/GS bases, KERNEL_GS_BASE, x87/SSE),
 * and where it continues.
 */
export interface ThreadState {
  /** The CPU state saved when the task was switched out (none before its first run). */
  ctx?: CpuContext;
  /** Where the CPU continues when the task runs next. */
  pc: bigint;
  stack: KernelStack;
  /** How the task first returns to user mode (the boot path or ret_from_fork builds the frame from it). */
  first?: FirstUser;
  /** Its stack and context went back to the kernel. */
  released?: boolean;
}

export class Task {
  /** Thread id (what the kernel calls pid). */
  pid: number;
  /** Thread-group id (what user space calls pid). */
  tgid: number;
  ppid: number;
  pgid: number;
  sid: number;
  comm: string;
  /** set_tid_address: cleared and futex-woken at exit. */
  clearChildTid = 0n;
  robustList = { head: 0n, len: 0n };
  rseq = { addr: 0n, len: 0, sig: 0 };
  /** rt_sigprocmask state: the blocked set, 64 bits. */
  blocked = 0n;
  /** rt_sigaction state, indexed by signal number (1..64): raw struct k_sigaction fields (sighand_struct: one map for threads made with CLONE_SIGHAND). */
  sigactions = new Map<number, SigAction>();
  /** prlimit64 values, by RLIMIT_* resource number: [cur, max] (signal_struct: one map per thread group). */
  rlimits = new Map<number, [bigint, bigint]>();
  /** i386 TLS descriptors from set_thread_area (GDT entries 6..8). */
  readonly tls = new Map<number, Buffer>();
  umask = 0o022;
  /** personality(2): the execution domain (PER_LINUX32 makes uname say i686), kept by fork and exec. */
  personality = 0;
  /** prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants are reparented here rather than to init. */
  isChildSubreaper = false;
  /** prctl(PR_SET_PDEATHSIG): the signal this task gets when its parent exits (0: none; a fork starts without). */
  pdeathSignal = 0;

  // ---- process life (kernel/fork.c, kernel/exit.c) ----
  state: TaskState = "runnable";
  /** Set while blocked: wakes the task from the queues it sleeps on. */
  wakeBlocked: (() => void) | undefined;
  parent: Task | undefined;
  readonly children = new Set<Task>();
  /** The signal the parent gets when this task dies (clone's low byte, SIGCHLD for fork). */
  exitSignal = 17;
  /** The status word wait4 reports (set when the task becomes a zombie). */
  exitStatus = 0;
  /** Woken when a child changes state (the parent's wait_chldexit). */
  readonly childExit = new WaitQueue();
  /** A vfork parent sleeps here until the child execs or exits. */
  readonly vforkDone = new WaitQueue();
  vforkParent: Task | undefined;
  /** The kernel (CPU engine, physical memory, booted kernel text) this task runs on. */
  machine!: LinuxKernel;
  /** Saved CPU state and kernel stack (set when the task starts on a kernel). */
  thread!: ThreadState;
  /** The vDSO mapped in its address space. */
  vdso: VdsoMapping | undefined;
  /** The detail of the fatal fault that ended it, for the shell-like message. */
  lastFault: string | undefined;
  /** The program it runs, for /proc/<pid>/exe. */
  exe: { hostPath: string; guestPath: string } = { hostPath: "", guestPath: "" };

  // ---- signals (kernel/signal.c) ----
  /** The thread group's shared signal state (one object for the threads made with CLONE_THREAD). */
  signal = new SignalStruct();
  /** Pending thread-directed signals, bit n-1 for signal n, with what each carries. */
  pending = 0n;
  readonly pendingInfo = new Map<number, SigInfo>();
  /** sigaltstack: {ss_sp, ss_flags, ss_size}. */
  altStack = { sp: 0n, flags: 2 /* SS_DISABLE */, size: 0n };
  /** The deadline of a timed sleep in progress, kept across its re-executions (restart_block). */
  sleepDeadline: bigint | undefined;
  /** What a blocked task sleeps in (the syscall's reason), for the deadlock report. */
  waitingIn: string | undefined;
  /**
   * The user ip of the syscall instruction a sleeping call runs again once woken (the model's
   * restart of a WouldBlock), until that call enters the kernel: Linux's sleeper wakes inside its
   * syscall, so a signal that came meanwhile is for the syscall's way out, never for user mode there.
   */
  restartIp: bigint | undefined;
  /** rt_sigsuspend's caller mask, put back once a handler's frame saved it (saved_sigmask). */
  savedSigmask: bigint | undefined;
  /** pause/rt_sigsuspend sleep here; a signal sent to the task wakes it. */
  readonly signalWait = new WaitQueue();
  /** sighand->signalfd_wqh: readers and pollers of a signalfd, woken by every signal sent (even a blocked one). */
  readonly signalfdWqh = new WaitQueue();
  /** x87/SSE state saved at each signal delivery, restored by (rt_)sigreturn. */
  readonly savedXstate: Buffer[] = [];

  constructor(
    readonly kernel: KernelState,
    /** The ABI of the program it runs (an execve may change it). */
    public abi: Abi,
    public mm: MmStruct,
    public files: FilesStruct,
    public fs: FsStruct,
    readonly cred: Cred,
    ids: { pid: number; ppid: number },
    comm: string,
  ) {
    this.pid = this.tgid = this.pgid = this.sid = ids.pid;
    this.ppid = ids.ppid;
    this.comm = comm;
  }
}
