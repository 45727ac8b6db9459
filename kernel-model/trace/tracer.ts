// The tracer behind `sysgate trace`: hooks the interception points of a run and writes strace's
// lines. It uses the generic entry (every syscall, inputs read before the service routine runs)
// and the syscall exit (result, outputs); the `instruction` point gives -i its address, the
// `vdso` point shows the calls that never enter the kernel, `signal`/`process` the --- and +++
// lines. In JSON mode every event of every point is written instead, one object per line.

import type { HookEvents, HookPoint, HookRegistry, SyscallEvent } from "../hooks.js";
import type { KernelState } from "../kernel.js";
import {
  beginCall, formatCall, formatCallHead, formatCallTail, formatExecve, formatResult, ipPrefix, isError, resultSuffix, traceLine,
  type PendingCall, type TraceMemory,
} from "./format.js";
import { formatSigset, formatTimespec, formatTimeval, type TraceAbi } from "./structs.js";
import { SyscallSummary } from "./summary.js";
import { CLOCKS, siCode, signalName, xlatValue } from "./xlat.js";
import { SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGKILL, SIGSEGV, SIGTRAP } from "../uapi/asm/signal.js";
import { SIG_DFL, SIG_IGN } from "../uapi/asm-generic/signal-defs.js";
import { syscallTable } from "../entry/syscall_tables.js";

/** What the tracer needs of a run: its hooks, each task's memory and ABI, the syscall tables. */
export interface TraceTarget {
  hooks: Pick<HookRegistry, "on">;
  task(pid: number): TraceTask | undefined;
  /** Adds a hook to every slot of every table (the `service` point lives in the slots). */
  onEverySyscall(fn: (e: SyscallEvent) => void): void;
}

/** What the tracer reads of a task: its memory, ABI, parent and user (for siginfo's si_pid/si_uid). */
export interface TraceTask {
  mem: TraceMemory; abi: TraceAbi; ppid?: number; uid?: number; exitSignal?: number;
  /** The signal mask: a blocked SIGCHLD is not delivered (sigtimedwait may take it instead). */
  blocked?: bigint;
  /** SIGCHLD has a handler: its delivery is an event of its own, which carries the line. */
  chldHandled?: boolean;
}

/** The TraceTarget of a booted kernel (Machine.kstate). */
export function traceTargetOf(k: KernelState): TraceTarget {
  return {
    hooks: k.hooks,
    task(pid) {
      const t = k.sched.tasks.get(pid);
      // the task's own ABI: a 32-bit task may run on the x86-64 kernel
      if (!t) return undefined;
      const chld = t.sigactions.get(SIGCHLD)?.handler ?? SIG_DFL;
      return { mem: t.mm, abi: t.abi, ppid: t.ppid, uid: t.cred.uid, exitSignal: t.exitSignal, blocked: t.blocked,
        chldHandled: chld !== SIG_DFL && chld !== SIG_IGN };
    },
    onEverySyscall(fn) {
      for (const abi of ["x86_64", "i386"] as const) for (const nr of syscallTable(abi).slots.keys()) k.hooks.onService(abi, nr, fn);
    },
  };
}

export interface TracerOptions {
  /** Where the text goes (whole lines, each ending in "\n"). */
  write: (text: string) => void;
  /** -s N */
  strlen?: number;
  /** -e trace=...: which syscalls get a line (default all). */
  filter?: (name: string) => boolean;
  /** -i: the syscall instruction's address before each line. */
  ip?: boolean;
  /** -c: count instead of printing lines; summary() gives the table. */
  summary?: boolean;
  /** --json: every interception event as one JSON object per line. */
  json?: boolean;
  /** The clock for -c, in nanoseconds (default: the host's monotonic clock). */
  now?: () => bigint;
  /** --vdso: also the calls the vDSO served in user mode, with their results (strace cannot see them). */
  vdso?: boolean;
}

/** JSON for an event: bigints as "0x..." strings, functions (pause, skip) left out. */
export function eventJson(e: object): string {
  return JSON.stringify(e, (_k, v) => (typeof v === "bigint" ? "0x" + BigInt.asUintN(64, v).toString(16) : v));
}

const JSON_POINTS: readonly HookPoint[] = [
  "function", "instruction", "transition", "entry_stub", "syscall_entry", "syscall_exit", "return", "vdso", "signal", "process",
];

interface Pending {
  call: PendingCall;
  abi: TraceAbi;
  ip: bigint | undefined;
  start: bigint;
  /** Its line was started as `<unfinished ...>` because another process ran meanwhile. */
  unfinished: boolean;
}

export class SyscallTracer {
  private readonly pending = new Map<number, Pending>();
  private readonly pids = new Set<number>();
  private readonly lastIp = new Map<number, bigint>();
  /** The user stack pointer at each task's last kernel entry (rt_sigreturn's frame is there). */
  private readonly userSp = new Map<number, bigint>();
  /** A vDSO call per task whose line waits for its results (the task's next event comes after its return). */
  private readonly pendingVdso = new Map<number, HookEvents["vdso"]>();
  /** SIGCHLD a parent will see when it next returns to user mode, as strace -f shows even an ignored one. */
  private readonly pendingChld = new Map<number, { child: number; status: number }>();
  private lastPid: number | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  readonly counts = new SyscallSummary();
  private readonly now: () => bigint;

  constructor(private readonly target: TraceTarget, private readonly o: TracerOptions) {
    this.now = o.now ?? (() => process.hrtime.bigint());
  }

  attach(): this {
    const on = <P extends HookPoint>(p: P, fn: (e: HookEvents[P]) => void) => this.unsubscribe.push(this.target.hooks.on(p, fn));
    if (this.o.json) {
      for (const p of JSON_POINTS) on(p, (e) => this.o.write(eventJson(e) + "\n"));
      this.target.onEverySyscall((e) => this.o.write(eventJson(e) + "\n"));
      return this;
    }
    if (this.o.ip) on("instruction", (e) => { if (!this.lastIp.has(e.pid)) this.lastIp.set(e.pid, e.address); });
    on("transition", (e) => this.userSp.set(e.pid, e.before.sp));
    on("syscall_entry", (e) => this.entry(e));
    on("syscall_exit", (e) => {
      // a SIGCHLD taken by sigtimedwait is never delivered: no `--- SIGCHLD` line follows
      if (e.result === BigInt(SIGCHLD) && /^rt_sigtimedwait/.test(this.pending.get(e.pid)?.call.name ?? "")) this.pendingChld.delete(e.pid);
      this.exit(e.pid, e.result);
      this.flushChld(e.pid);
    });
    on("vdso", (e) => this.vdso(e));
    on("signal", (e) => this.signal(e));
    on("process", (e) => this.process(e));
    return this;
  }

  detach(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** The execve line for the program the machine loaded before the first instruction. */
  execve(pid: number, abi: TraceAbi, path: string, argv: readonly string[], envp: bigint, envCount: number): void {
    this.pids.add(pid);
    if (this.o.json) return;
    if (this.o.summary) this.counts.add("execve", 0n, false);
    else if (this.wanted("execve")) this.line(pid, traceLine(this.o.ip ? ipPrefix(undefined, abi) : "", formatExecve(path, argv, envp, envCount, this.o.strlen), "0"));
  }

  /** -c's table. */
  summary(): string {
    return this.counts.format();
  }

  private wanted(name: string | undefined): boolean {
    return !this.o.filter || this.o.filter(name ?? "");
  }

  /** `[pid N] ` once more than one process has been seen, as strace -f does. */
  private pidPrefix(pid: number): string {
    return this.pids.size > 1 ? `[pid ${String(pid).padStart(5)}] ` : "";
  }

  private line(pid: number, text: string): void {
    // another process's syscall still open: strace closes its line as <unfinished ...>
    for (const [p, pend] of this.pending) {
      if (p === pid || pend.unfinished || this.o.summary || !this.wanted(pend.call.name)) continue;
      // strace shows the inputs read so far; the rest comes after `<... name resumed>`
      this.o.write(`${this.pidPrefix(p)}${this.o.ip ? ipPrefix(pend.ip, pend.abi) : ""}${formatCallHead(pend.call)} <unfinished ...>\n`);
      pend.unfinished = true;
    }
    this.lastPid = pid;
    this.o.write(this.pidPrefix(pid) + text + "\n");
  }

  private entry(e: SyscallEvent): void {
    this.pids.add(e.pid);
    this.flushVdso(e.pid);
    const t = this.target.task(e.pid);
    if (!t) return;
    const ip = this.lastIp.get(e.pid);
    this.lastIp.delete(e.pid);
    const old = this.pending.get(e.pid);
    if (old && old.call.nr === e.nr) return; // a blocked call restarting: still the same call
    const call = beginCall(e.nr, e.name, e.args, t.mem, { abi: t.abi, strlen: this.o.strlen });
    if (e.name === "rt_sigreturn" || e.name === "sigreturn") call.parts = [this.sigreturnMask(e.name, e.pid, t)];
    if (call.ret === "?") {
      // exit/exit_group never come back: strace prints them whole at once
      // (strace -c does not count them either: they have no exit to time)
      if (!this.o.summary && this.wanted(e.name)) this.line(e.pid, traceLine(this.o.ip ? ipPrefix(ip, t.abi) : "", formatCall(call, undefined, t.mem, { abi: t.abi }), "?"));
      return;
    }
    this.pending.set(e.pid, { call, abi: t.abi, ip, start: this.now(), unfinished: false });
  }

  private exit(pid: number, result: bigint | undefined): void {
    const p = this.pending.get(pid);
    if (!p) return;
    this.pending.delete(pid);
    const name = p.call.name ?? `syscall_0x${p.call.nr.toString(16)}`;
    if (this.o.summary) {
      this.counts.add(name, this.now() - p.start, result !== undefined && isError(result, p.abi));
      return;
    }
    if (!this.wanted(p.call.name)) return;
    const mem = this.target.task(pid)?.mem ?? { read: () => { throw new Error("gone"); } };
    const opts = { abi: p.abi, strlen: this.o.strlen };
    const res = formatResult(p.call, result, p.abi) + resultSuffix(p.call, result, mem, p.abi);
    const prefix = this.o.ip ? ipPrefix(p.ip, p.abi) : "";
    if (p.unfinished) {
      this.line(pid, traceLine(prefix, `<... ${name} resumed>${formatCallTail(p.call, result, mem, opts)}`, res));
    } else {
      this.line(pid, traceLine(prefix, formatCall(p.call, result, mem, opts), res));
    }
  }

  /**
   * vDSO functions never enter the kernel, so strace cannot see them and by default neither does
   * this trace. With --vdso each call gets a line once it has returned (the task's next event),
   * with what it wrote and returned, marked as served in user mode.
   */
  private vdso(e: HookEvents["vdso"]): void {
    this.flushVdso(e.pid);
    if (!this.o.vdso || this.o.summary || !this.wanted(e.function.replace(/^__vdso_|^__kernel_/, ""))) return;
    this.pendingVdso.set(e.pid, e);
  }

  private flushVdso(pid: number): void {
    const e = this.pendingVdso.get(pid);
    if (!e) return;
    this.pendingVdso.delete(pid);
    const name = e.function.replace(/^__vdso_|^__kernel_/, "");
    const t = this.target.task(e.pid);
    const abi = t?.abi ?? "x86_64";
    const hex = (v: bigint) => (v === 0n ? "NULL" : "0x" + v.toString(16));
    const read = (addr: bigint, len: number, fmt: (b: Buffer) => string): string => {
      if (addr === 0n || !t) return hex(addr);
      try { return fmt(t.mem.read(addr, len)); } catch { return hex(addr); }
    };
    const ts64 = name === "clock_gettime64" || abi === "x86_64";
    let args: string, result = "0";
    if (name === "clock_gettime" || name === "clock_getres" || name === "clock_gettime64") {
      args = `${xlatValue(Number(BigInt.asIntN(32, e.args[0])), CLOCKS, "CLOCK")}, ${read(e.args[1], ts64 ? 16 : 8, (b) => formatTimespec(b, ts64 ? "x86_64" : "i386"))}`;
    } else if (name === "gettimeofday") {
      args = `${read(e.args[0], abi === "x86_64" ? 16 : 8, (b) => formatTimeval(b, abi))}, ${hex(e.args[1])}`;
    } else if (name === "time") {
      args = hex(e.args[0]);
      result = read(e.args[0], abi === "x86_64" ? 8 : 4, (b) => String(abi === "x86_64" ? b.readBigInt64LE(0) : b.readInt32LE(0)));
      if (e.args[0] === 0n) result = "?";
      else args = `[${result}]`;
    } else if (name === "getcpu") {
      args = `[${read(e.args[0], 4, (b) => String(b.readUInt32LE(0)))}], ${hex(e.args[1])}, ${hex(e.args[2])}`;
    } else {
      args = "...";
      result = "?";
    }
    this.line(e.pid, traceLine(this.o.ip ? ipPrefix(e.address, abi) : "", `${name}(${args})`, `${result} <vdso: no kernel entry>`));
  }

  /** rt_sigreturn's argument as strace shows it: the mask the frame on the user stack restores. */
  private sigreturnMask(name: string, pid: number, t: TraceTask): string {
    const sp = this.userSp.get(pid);
    if (sp === undefined) return "";
    // x86-64: rsp = &frame->uc (ret popped pretcode); uc_sigmask follows uc_flags, uc_link,
    // uc_stack and the 256-byte sigcontext. i386 rt: esp = &frame->sig; then pinfo, puc, a
    // 128-byte siginfo, and uc_sigmask 108 bytes into ucontext_ia32. i386 sigreturn: esp =
    // &frame->sc (the restorer popped sig too), sc.oldmask 80 bytes in.
    const at = t.abi === "x86_64" ? sp + 296n : name === "rt_sigreturn" ? sp + 12n + 128n + 108n : sp + 80n;
    try {
      const mask = t.mem.read(at, name === "sigreturn" ? 4 : 8);
      return `{mask=${formatSigset(name === "sigreturn" ? Buffer.concat([mask, Buffer.alloc(4)]) : mask)}}`;
    } catch {
      return "";
    }
  }

  /** A pending SIGCHLD line for `pid`, now that it returns to user mode. */
  private flushChld(pid: number): void {
    const c = this.pendingChld.get(pid);
    if (!c) return;
    const t = this.target.task(pid);
    if ((t?.blocked ?? 0n) & (1n << BigInt(SIGCHLD - 1))) return; // delivered (and shown) once unblocked, or taken by sigtimedwait
    if (t?.chldHandled) return; // its handler's delivery shows it (signal() below), once
    this.pendingChld.delete(pid);
    this.line(pid, `${this.o.ip ? ipPrefix(undefined, this.target.task(pid)?.abi ?? "x86_64") : ""}--- SIGCHLD {${this.chldFields(c.child, c.status)}} ---`);
  }

  private chldFields(child: number, status: number): string {
    const sig = status & 0x7f;
    const code = sig === 0 ? "CLD_EXITED" : status & 0x80 ? "CLD_DUMPED" : "CLD_KILLED";
    const st = sig === 0 ? String((status >> 8) & 0xff) : signalName(sig);
    const uid = this.target.task(child)?.uid ?? 0;
    return `si_signo=SIGCHLD, si_code=${code}, si_pid=${child}, si_uid=${uid}, si_status=${st}, si_utime=0, si_stime=0`;
  }

  private signal(e: HookEvents["signal"]): void {
    this.flushVdso(e.pid);
    if (e.action === "sigreturn" || this.o.summary) return;
    const chld = this.pendingChld.get(e.pid);
    if (e.sig === SIGCHLD && chld) {
      // the real delivery of the SIGCHLD the tracer was holding: one line, with the child's fields
      this.pendingChld.delete(e.pid);
      this.line(e.pid, `${this.o.ip ? ipPrefix(undefined, this.target.task(e.pid)?.abi ?? "x86_64") : ""}--- SIGCHLD {${this.chldFields(chld.child, chld.status)}} ---`);
      return;
    }
    // SIGKILL is never seen on its way: ptrace has no signal-delivery stop for it
    if (e.sig === SIGKILL) return;
    const fault = [SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV].includes(e.sig);
    const fields = [`si_signo=${signalName(e.sig)}`];
    if (e.code !== undefined) fields.push(`si_code=${siCode(e.sig, e.code)}`);
    if (fault && e.addr !== undefined) fields.push(`si_addr=${e.addr === 0n ? "NULL" : "0x" + e.addr.toString(16)}`);
    else if (e.senderPid !== undefined) {
      fields.push(`si_pid=${e.senderPid}`, `si_uid=${this.target.task(e.senderPid)?.uid ?? this.target.task(e.pid)?.uid ?? 0}`);
    }
    this.line(e.pid, `${this.o.ip ? ipPrefix(undefined, this.target.task(e.pid)?.abi ?? "x86_64") : ""}--- ${signalName(e.sig)} {${fields.join(", ")}} ---`);
  }

  private process(e: HookEvents["process"]): void {
    if (e.action === "fork") {
      this.pids.add(e.child!);
      return;
    }
    if (e.action === "exec") {
      // a successful execve does not return to the old program: its line ends here with 0
      const p = this.pending.get(e.pid);
      if (p) this.exit(e.pid, 0n);
      return;
    }
    this.flushVdso(e.pid);
    this.pending.delete(e.pid);
    if (this.o.summary) return;
    const status = e.status ?? 0;
    // the parent is told (do_notify_parent); strace -f shows it when the parent next runs
    const t = this.target.task(e.pid);
    if (t?.ppid !== undefined && (t.exitSignal ?? 17) === 17 && this.pids.has(t.ppid)) this.pendingChld.set(t.ppid, { child: e.pid, status });
    const sig = status & 0x7f;
    const abi = this.target.task(e.pid)?.abi ?? "x86_64";
    // no "(core dumped)": sysgate writes no core file
    const text = sig ? `+++ killed by ${signalName(sig)} +++` : `+++ exited with ${(status >> 8) & 0xff} +++`;
    this.line(e.pid, (this.o.ip ? ipPrefix(undefined, abi) : "") + text);
  }

  /** The pid whose line was written last (tests). */
  get lastLinePid(): number | undefined {
    return this.lastPid;
  }
}
