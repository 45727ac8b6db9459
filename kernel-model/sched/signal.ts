// Signals (kernel/signal.c, arch/x86/kernel/signal.c, signal_64.c, signal_32.c): sending,
// default actions, and delivery on the way back to user mode by building a Linux-layout signal
// frame on the user stack and pointing pt_regs at the handler; (rt_)sigreturn undoes it.

import { E, Errno } from "../errno.js";
import type { PtRegs } from "../entry/pt_regs.js";
import { CORE_SIGNALS, SIGNAL_DESCRIPTIONS } from "../signal_names.js";
import { rlimitCur } from "./rlimit.js";
import type { SigInfo, Task } from "./task.js";
import { RLIMIT_CORE } from "../uapi/asm-generic/resource.js";
import { SI_KERNEL } from "../uapi/asm-generic/siginfo.js";
import { SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_SIGINFO, SIG_DFL, SIG_IGN } from "../uapi/asm-generic/signal-defs.js";
import { X86_EFLAGS_AC, X86_EFLAGS_AF, X86_EFLAGS_CF, X86_EFLAGS_DF, X86_EFLAGS_OF, X86_EFLAGS_PF, X86_EFLAGS_RF, X86_EFLAGS_SF, X86_EFLAGS_TF, X86_EFLAGS_ZF } from "../uapi/asm/processor-flags.js";
import { _NSIG, SA_RESTORER, SIGCHLD, SIGCONT, SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGWINCH } from "../uapi/asm/signal.js";

/**
 * The kernel's own restart codes (include/linux/errno.h): what a syscall cut short by a signal
 * answers. The way back to user mode turns them into EINTR or a restart of the call
 * (arch_do_signal_or_restart); user space never sees them, a tracer at the syscall exit does.
 */
export const ERESTARTSYS = 512, ERESTARTNOINTR = 513, ERESTARTNOHAND = 514, ERESTART_RESTARTBLOCK = 516;
export const isRestartCode = (result: bigint): boolean => {
  const e = -Number(BigInt.asIntN(32, result));
  return e === ERESTARTSYS || e === ERESTARTNOINTR || e === ERESTARTNOHAND || e === ERESTART_RESTARTBLOCK;
};

export const sigmask = (sig: number): bigint => 1n << BigInt(sig - 1);
const UNBLOCKABLE = sigmask(SIGKILL) | sigmask(SIGSTOP);

type DefaultAction = "term" | "core" | "ign" | "stop" | "cont";
/** The default action of each signal (the sig_kernel_* tables of kernel/signal.c). */
export function defaultAction(sig: number): DefaultAction {
  if (sig === SIGCHLD || sig === SIGURG || sig === SIGWINCH) return "ign";
  if (sig === SIGCONT) return "cont";
  if (sig === SIGSTOP || sig === SIGTSTP || sig === SIGTTIN || sig === SIGTTOU) return "stop";
  if (CORE_SIGNALS.has(sig)) return "core";
  return "term";
}

/** The wait status of a task killed by `sig` (the low 7 bits; 0x80 when it dumped core). */
export const waitStatusKilled = (sig: number, core: boolean): number => (sig & 0x7f) | (core ? 0x80 : 0);

/**
 * The wait status a fatal signal leaves: do_coredump writes nothing (and the status says no core)
 * when RLIMIT_CORE is 0, as with a plain core_pattern and the usual `ulimit -c 0`.
 */
export const fatalStatus = (task: Task, sig: number): number =>
  waitStatusKilled(sig, defaultAction(sig) === "core" && rlimitCur(task.rlimits, RLIMIT_CORE) > 0n);

export const signalName = (sig: number): string => SIGNAL_DESCRIPTIONS[sig]?.[0] ?? (sig >= 34 ? `SIGRT_${sig - 34}` : `SIG${sig}`);

function handlerOf(task: Task, sig: number): bigint {
  return task.sigactions.get(sig)?.handler ?? SIG_DFL;
}

/** A signal's action as sigaction(2) sets it. */
export interface SigAction { handler: bigint; flags: bigint; restorer: bigint; mask: bigint }

/** Does the process run a handler for `sig` (neither SIG_DFL nor SIG_IGN)? */
export function caught(task: Task, sig: number): boolean {
  const h = handlerOf(task, sig);
  return h !== SIG_DFL && h !== SIG_IGN;
}

/**
 * do_sigaction's store: the action for `sig` of `task`'s process. The scheduler is told when the
 * signal goes between default, ignored and caught (Scheduler.handlersChanged): a host that
 * forwards its own signals to the guest listens for those some guest process does not leave to
 * their default action.
 */
export function setSigaction(task: Task, sig: number, act: SigAction): void {
  const kind = (h: bigint) => (h === SIG_DFL || h === SIG_IGN ? h : -1n);
  const was = kind(handlerOf(task, sig));
  task.sigactions.set(sig, act);
  if (kind(act.handler) !== was) task.kernel.sched.handlersChanged = true;
}

/** Would the signal be dropped on arrival (ignored and not blocked)? sig_ignored() */
function ignored(task: Task, sig: number): boolean {
  if (task.blocked & sigmask(sig)) return false;
  const h = handlerOf(task, sig);
  return h === SIG_IGN || (h === SIG_DFL && defaultAction(sig) === "ign");
}

/** A task that can still run or be woken: neither a zombie nor reaped. */
export const alive = (t: Task): boolean => t.state === "runnable" || t.state === "blocked";

/** The live threads of `task`'s process (the leader too, unless it has exited). */
export function liveThreads(task: Task): Task[] {
  return [...task.kernel.sched.tasks.values()].filter((t) => t.tgid === task.tgid && alive(t));
}

/** Every signal pending for `task`: its own and its process's (what signal_pending looks at). */
export const pendingSignals = (task: Task): bigint => task.pending | task.signal.pending;

/** Is a signal pending for `task` that `mask` does not block (SIGKILL and SIGSTOP always count)? */
export const signalPending = (task: Task, mask = task.blocked): boolean => (pendingSignals(task) & (~mask | UNBLOCKABLE)) !== 0n;

/** send_signal to one thread (tkill, tgkill, a fault, SIGPIPE): marks the signal pending and wakes the thread if it sleeps. */
export function sendSignal(task: Task, sig: number, info: SigInfo, wake: (t: Task) => void): void {
  if (!alive(task)) return;
  if (sig === 0) return;
  if (ignored(task, sig) && sig !== SIGKILL) return;
  task.pending |= sigmask(sig);
  if (!task.pendingInfo.has(sig)) task.pendingInfo.set(sig, info);
  task.signalfdWqh.wake(); // signalfd_notify
  if (task.state === "blocked" && (sig === SIGKILL || !(task.blocked & sigmask(sig)))) wake(task);
}

/**
 * send_signal to a process (kill, a timer, SIGCHLD, the terminal): the signal joins the process's
 * shared_pending and complete_signal chooses the thread that will take it: `task` (the thread
 * named, normally the leader) if it does not block the signal, else the next thread from
 * curr_target on that neither blocks it nor has a signal to handle already. With none, the signal
 * waits until a thread unblocks it. A signal that will kill the process ends it now (below).
 * `inKernel`: the task the kernel runs for as it sends (the current one, unless the sender is
 * outside every task, as the host's signals are between two slices of the run: null).
 */
export function sendGroupSignal(task: Task, sig: number, info: SigInfo, wake: (t: Task) => void,
  inKernel: Task | null = task.kernel.sched.current ?? null): void {
  const threads = liveThreads(task);
  if (!threads.length || sig === 0) return; // the process has ended (or only asked whether it exists)
  if (ignored(task, sig) && sig !== SIGKILL) return;
  const s = task.signal;
  // complete_signal's choice, made before this signal counts as pending (wants_signal)
  const wants = (t: Task) => alive(t) && (sig === SIGKILL ||
    (!(t.blocked & sigmask(sig)) && (t === t.kernel.sched.current || !signalPending(t))));
  let target: Task | undefined = wants(task) ? task : undefined;
  if (!target && threads.length > 1) {
    const from = Math.max(0, s.currTarget ? threads.indexOf(s.currTarget) : 0);
    for (let i = 0; i < threads.length && !target; i++) {
      const t = threads[(from + i) % threads.length];
      if (wants(t)) target = t;
    }
    if (target) s.currTarget = target;
  }
  s.pending |= sigmask(sig);
  if (!s.pendingInfo.has(sig)) s.pendingInfo.set(sig, info);
  for (const t of threads) t.signalfdWqh.wake(); // signalfd_notify: the readers of every thread
  if (target && fatalToGroup(task, sig)) return groupExitBySignal(threads, fatalStatus(task, sig), inKernel, wake);
  if (target?.state === "blocked") wake(target); // signal_wake_up
}

/**
 * complete_signal's shortcut: a thread will take `sig`, nothing handles it and its default action
 * ends the process (sig_fatal), the group is not exiting already, and no tracer watches signal
 * delivery (strace's ptrace; SIGKILL all the same). Linux also leaves signals that dump core to
 * the thread's way out; the model takes them here as well, since a thread busy in user mode would
 * not come back to the kernel to die (the status says core as do_coredump's would).
 */
function fatalToGroup(task: Task, sig: number): boolean {
  if (handlerOf(task, sig) !== SIG_DFL || task.signal.groupExitCode !== undefined) return false;
  // init (SIGNAL_UNKILLABLE) and the first process's parent stand for processes that run no guest code
  if (task.kernel.sched.isStandIn(task)) return false;
  const action = defaultAction(sig);
  if (action !== "term" && action !== "core") return false;
  return sig === SIGKILL || !task.machine.hooks.has("signal");
}

/**
 * The group exit complete_signal starts (SIGNAL_GROUP_EXIT, group_exit_code): Linux sends every
 * thread SIGKILL and kicks it out of user mode. Here a thread the kernel is running for
 * (`inKernel`, the sender or the one a timer interrupted) gets the SIGKILL and dies on its way
 * out; every other one, asleep or stopped in user mode, ends now.
 */
function groupExitBySignal(threads: readonly Task[], status: number, inKernel: Task | null, wake: (t: Task) => void): void {
  threads[0].signal.groupExitCode = status;
  for (const t of threads) {
    if (t === inKernel) { t.pending |= sigmask(SIGKILL); continue; }
    if (t.state === "blocked") wake(t); // off its wait queue and timer first (signal_wake_up)
    if (alive(t)) t.machine.exitTask(status, t);
  }
}

/**
 * retarget_shared_pending: `task` blocked `blocked` (or is exiting), so the process's pending
 * signals among them are woken up to in a thread that can take them.
 */
export function retargetSharedPending(task: Task, blocked: bigint, wake: (t: Task) => void): void {
  let retarget = task.signal.pending & blocked;
  for (const t of liveThreads(task)) {
    if (!retarget) return;
    if (t === task) continue;
    const taken = retarget & ~t.blocked;
    if (!taken) continue;
    retarget &= ~taken;
    if (t.state === "blocked") wake(t);
  }
}

/** The lowest deliverable signal: the thread's own first, then its process's (SIGKILL first), or 0. */
export function nextSignal(task: Task): number {
  const mask = ~task.blocked | UNBLOCKABLE;
  for (const deliverable of [task.pending & mask, task.signal.pending & mask]) {
    if (!deliverable) continue;
    if (deliverable & sigmask(SIGKILL)) return SIGKILL;
    for (let sig = 1; sig <= _NSIG; sig++) if (deliverable & sigmask(sig)) return sig;
  }
  return 0;
}

/** dequeue_signal: takes `sig` from the thread's own pending signals, else from its process's. */
export function dequeue(task: Task, sig: number): SigInfo {
  const q = task.pending & sigmask(sig) ? task : task.signal;
  q.pending &= ~sigmask(sig);
  const info = q.pendingInfo.get(sig) ?? { signo: sig, code: SI_KERNEL, pid: 0, uid: 0 };
  q.pendingInfo.delete(sig);
  return info;
}

/** What get_signal decided for one signal. */
export type SignalOutcome =
  | { kind: "none" }
  | { kind: "ignored"; sig: number }
  | { kind: "fatal"; sig: number; core: boolean; info: SigInfo }
  | { kind: "stop"; sig: number }
  | { kind: "handler"; sig: number; info: SigInfo; action: { handler: bigint; flags: bigint; restorer: bigint; mask: bigint } };

/** get_signal: takes the next deliverable signal and decides what happens to it. */
export function getSignal(task: Task): SignalOutcome {
  for (;;) {
    const sig = nextSignal(task);
    if (!sig) return { kind: "none" };
    const info = dequeue(task, sig);
    const action = task.sigactions.get(sig) ?? { handler: SIG_DFL, flags: 0n, restorer: 0n, mask: 0n };
    if (sig !== SIGKILL && sig !== SIGSTOP) {
      if (action.handler === SIG_IGN) continue;
      if (action.handler !== SIG_DFL) {
        if (action.flags & SA_RESETHAND) task.sigactions.delete(sig);
        return { kind: "handler", sig, info, action };
      }
    }
    const def = defaultAction(sig);
    if (def === "ign" || def === "cont") continue;
    if (def === "stop") return { kind: "stop", sig };
    return { kind: "fatal", sig, core: def === "core", info };
  }
}

/** The pieces of the CPU state a frame saves beyond pt_regs. */
export interface FrameContext {
  bits: 64 | 32;
  regs: PtRegs;
  /** Where __kernel_sigreturn / __kernel_rt_sigreturn are (i386, when there is no SA_RESTORER). */
  vdsoSigreturn?: { sigreturn: bigint; rtSigreturn: bigint };
  /** #PF address and trap number for a fault-raised signal. */
  cr2?: bigint;
  trapno?: number;
  errorCode?: bigint;
  userCs: number;
  userSs: number;
}

/** The flags sigreturn takes from the frame (arch/x86/kernel/signal.c FIX_EFLAGS). */
const FIX_EFLAGS = X86_EFLAGS_AC | X86_EFLAGS_OF | X86_EFLAGS_DF | X86_EFLAGS_TF | X86_EFLAGS_SF | X86_EFLAGS_ZF |
  X86_EFLAGS_AF | X86_EFLAGS_PF | X86_EFLAGS_CF | X86_EFLAGS_RF;

/** copy_siginfo_to_user: struct siginfo of the ABI (128 bytes; the union 8-aligned on x86-64). */
export function siginfoBytes(info: SigInfo, bits: 64 | 32): Buffer {
  const b = Buffer.alloc(128);
  b.writeInt32LE(info.signo, 0);
  b.writeInt32LE(info.code, 8);
  const u = bits === 64 ? 16 : 12; // the union is 8-aligned on x86-64
  if (info.timer) {
    b.writeInt32LE(info.timer.id, u);
    b.writeInt32LE(info.timer.overrun, u + 4);
    if (bits === 64) b.writeBigUInt64LE(info.timer.value, u + 8); else b.writeUInt32LE(Number(BigInt.asUintN(32, info.timer.value)), u + 8);
  } else if (info.addr !== undefined) {
    if (bits === 64) b.writeBigUInt64LE(info.addr, u); else b.writeUInt32LE(Number(BigInt.asUintN(32, info.addr)), u);
  } else {
    b.writeInt32LE(info.pid, u);
    b.writeUInt32LE(info.uid >>> 0, u + 4);
    if (info.status !== undefined) b.writeInt32LE(info.status, u + 8);
  }
  return b;
}

const SC64 = ["r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "di", "si", "bp", "bx", "dx", "ax", "cx", "sp", "ip", "flags"] as const;
const SC32 = ["gs", "fs", "es", "ds", "di", "si", "bp", "sp", "bx", "dx", "cx", "ax"] as const;

/**
 * setup_rt_frame / setup_frame and the register changes of handle_signal. Returns the frame
 * address. Throws Errno(EFAULT) when the user stack cannot take the frame (then: SIGSEGV).
 */
export function setupFrame(task: Task, sig: number, info: SigInfo, action: { handler: bigint; flags: bigint; restorer: bigint; mask: bigint },
  c: FrameContext, xstate: Buffer): bigint {
  const { regs, bits } = c;
  const mem = task.mm;
  let sp = regs.get("sp");
  const onAltStack = task.altStack.flags === 0 && sp > task.altStack.sp && sp <= task.altStack.sp + task.altStack.size;
  if (action.flags & SA_ONSTACK && task.altStack.flags === 0 && !onAltStack) sp = task.altStack.sp + task.altStack.size;
  const blockedBefore = task.savedSigmask ?? task.blocked;
  task.savedSigmask = undefined;
  const rt = bits === 64 || (action.flags & SA_SIGINFO) !== 0n;

  let frame: bigint;
  if (bits === 64) {
    if (!(action.flags & SA_RESTORER)) throw new Errno(E.EFAULT); // x86-64 has no default restorer
    sp -= 128n; // the red zone below the interrupted stack pointer belongs to the interrupted code
    const size = 8 + 304 + 128;
    frame = ((sp - BigInt(size)) & ~15n) - 8n; // so the handler starts as if called: (rsp + 8) % 16 == 0
    const b = Buffer.alloc(size);
    b.writeBigUInt64LE(action.restorer, 0); // pretcode
    const uc = 8;
    b.writeBigUInt64LE(0x6n, uc); // uc_flags: UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS
    b.writeBigUInt64LE(task.altStack.sp, uc + 16);
    b.writeInt32LE(onAltStack ? 1 : task.altStack.flags, uc + 24);
    b.writeBigUInt64LE(task.altStack.size, uc + 32);
    const sc = uc + 40;
    SC64.forEach((f, i) => b.writeBigUInt64LE(regs.get(f), sc + i * 8));
    b.writeUInt16LE(c.userCs, sc + 144);
    b.writeUInt16LE(c.userSs, sc + 150);
    b.writeBigUInt64LE(c.errorCode ?? 0n, sc + 152);
    b.writeBigUInt64LE(BigInt(c.trapno ?? 0), sc + 160);
    b.writeBigUInt64LE(blockedBefore, sc + 168); // oldmask
    b.writeBigUInt64LE(c.cr2 ?? 0n, sc + 176);
    b.writeBigUInt64LE(blockedBefore, uc + 296); // uc_sigmask
    siginfoBytes(info, 64).copy(b, 8 + 304);
    mem.write(frame, b);
    regs.set("di", BigInt(sig));
    regs.set("si", frame + 8n + 304n);
    regs.set("dx", frame + BigInt(uc));
    regs.set("ax", 0n);
  } else if (rt) {
    const size = 16 + 128 + 116 + 8;
    frame = ((sp - BigInt(size)) & ~15n) - 4n;
    const b = Buffer.alloc(size);
    const restorer = action.flags & SA_RESTORER ? action.restorer : c.vdsoSigreturn?.rtSigreturn ?? 0n;
    b.writeUInt32LE(Number(restorer), 0);
    b.writeInt32LE(sig, 4);
    b.writeUInt32LE(Number(frame + 16n), 8); // pinfo
    b.writeUInt32LE(Number(frame + 144n), 12); // puc
    siginfoBytes(info, 32).copy(b, 16);
    const uc = 144;
    b.writeUInt32LE(1, uc); // uc_flags: UC_FP_XSTATE is not claimed; 1 = sigcontext valid
    b.writeUInt32LE(Number(task.altStack.sp), uc + 8);
    b.writeInt32LE(onAltStack ? 1 : task.altStack.flags, uc + 12);
    b.writeUInt32LE(Number(task.altStack.size), uc + 16);
    writeSigcontext32(b, uc + 20, c, blockedBefore);
    b.writeBigUInt64LE(blockedBefore, uc + 108);
    // retcode: `mov $173, %eax; int $0x80` kept for the debuggers that look for it
    Buffer.from([0xb8, 173, 0, 0, 0, 0xcd, 0x80, 0]).copy(b, 260);
    mem.write(frame, b);
    regs.set("ax", BigInt(sig));
    regs.set("dx", frame + 16n);
    regs.set("cx", frame + 144n);
  } else {
    const size = 8 + 88 + 624 + 4 + 8;
    frame = ((sp - BigInt(size)) & ~15n) - 4n;
    const b = Buffer.alloc(size);
    const restorer = action.flags & SA_RESTORER ? action.restorer : c.vdsoSigreturn?.sigreturn ?? 0n;
    b.writeUInt32LE(Number(restorer), 0);
    b.writeInt32LE(sig, 4);
    writeSigcontext32(b, 8, c, blockedBefore);
    b.writeUInt32LE(Number((blockedBefore >> 32n) & 0xffffffffn), 8 + 88 + 624); // extramask
    Buffer.from([0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80]).copy(b, 8 + 88 + 624 + 4);
    mem.write(frame, b);
    regs.set("ax", BigInt(sig));
    regs.set("dx", 0n);
    regs.set("cx", 0n);
  }
  task.savedXstate.push(Buffer.from(xstate));
  regs.set("sp", frame);
  regs.set("ip", action.handler);
  regs.set("flags", regs.get("flags") & ~(X86_EFLAGS_DF | X86_EFLAGS_RF | X86_EFLAGS_TF));
  regs.set("cs", BigInt(c.userCs));
  regs.set("ss", BigInt(c.userSs));
  task.blocked = (task.blocked | action.mask | (action.flags & SA_NODEFER ? 0n : sigmask(sig))) & ~UNBLOCKABLE;
  return frame;
}

function writeSigcontext32(b: Buffer, at: number, c: FrameContext, oldmask: bigint): void {
  const r = c.regs;
  SC32.forEach((f, i) => b.writeUInt32LE(Number(BigInt.asUintN(32, r.get(f))), at + i * 4));
  b.writeUInt32LE(c.trapno ?? 0, at + 48);
  b.writeUInt32LE(Number(c.errorCode ?? 0n), at + 52);
  b.writeUInt32LE(Number(r.get("ip")), at + 56);
  b.writeUInt32LE(c.userCs, at + 60);
  b.writeUInt32LE(Number(r.get("flags")), at + 64);
  b.writeUInt32LE(Number(r.get("sp")), at + 68); // sp_at_signal
  b.writeUInt32LE(c.userSs, at + 72);
  b.writeUInt32LE(0, at + 76); // fpstate: kept by the model, not in the frame
  b.writeUInt32LE(Number(oldmask & 0xffffffffn), at + 80);
  b.writeUInt32LE(Number(BigInt.asUintN(32, c.cr2 ?? 0n)), at + 84);
}

/**
 * rt_sigreturn / sigreturn: restore pt_regs, the signal mask and the FP state from the frame the
 * handler returned through. Returns the restored regs->ax (the syscall's "result").
 */
export function restoreFrame(task: Task, regs: PtRegs, bits: 64 | 32, rt: boolean, userCs: number, userSs: number): bigint {
  const mem = task.mm;
  const oldFlags = regs.get("flags");
  if (bits === 64) {
    const frame = regs.get("sp") - 8n;
    const b = mem.read(frame, 8 + 304);
    const sc = 8 + 40;
    SC64.forEach((f, i) => {
      if (f !== "flags") regs.set(f, b.readBigUInt64LE(sc + i * 8));
    });
    regs.set("flags", (oldFlags & ~FIX_EFLAGS) | (b.readBigUInt64LE(sc + 17 * 8) & FIX_EFLAGS));
    task.blocked = b.readBigUInt64LE(8 + 296) & ~UNBLOCKABLE;
  } else {
    const frame = rt ? regs.get("sp") - 4n : regs.get("sp") - 8n;
    const b = mem.read(frame, rt ? 268 : 8 + 88 + 624 + 4);
    const at = rt ? 144 + 20 : 8;
    SC32.forEach((f, i) => regs.set(f, BigInt(b.readUInt32LE(at + i * 4))));
    regs.set("ip", BigInt(b.readUInt32LE(at + 56)));
    regs.set("flags", (oldFlags & ~FIX_EFLAGS) | (BigInt(b.readUInt32LE(at + 64)) & FIX_EFLAGS));
    task.blocked = (rt ? b.readBigUInt64LE(144 + 108)
      : BigInt(b.readUInt32LE(at + 80)) | (BigInt(b.readUInt32LE(8 + 88 + 624)) << 32n)) & ~UNBLOCKABLE;
  }
  regs.set("cs", BigInt(userCs));
  regs.set("ss", BigInt(userSs));
  return regs.get("ax");
}
