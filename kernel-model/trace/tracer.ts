// The tracer behind `sysgate trace`: hooks the interception points of a run and writes strace's
// lines. It uses the generic entry (every syscall, inputs read before the service routine runs)
// and the syscall exit (result, outputs); the `instruction` point gives -i its address, the
// `vdso` point shows the calls that never enter the kernel, `signal`/`process` the --- and +++
// lines. In JSON mode every event of every point is written instead, one object per line.

import type { HookEvents, HookPoint, HookRegistry, SyscallEvent } from "../hooks.js";
import type { KernelState } from "../kernel.js";
import { beginCall, formatCall, formatExecve, formatResult, ipPrefix, isError, traceLine, type PendingCall, type TraceMemory } from "./format.js";
import type { TraceAbi } from "./structs.js";
import { SyscallSummary } from "./summary.js";
import { CLOCKS, signalName, xlatValue } from "./xlat.js";

/** What the tracer needs of a run: its hooks, each task's memory and ABI, the syscall tables. */
export interface TraceTarget {
  hooks: Pick<HookRegistry, "on">;
  task(pid: number): { mem: TraceMemory; abi: TraceAbi } | undefined;
  /** Adds a hook to every slot of every table (the `service` point lives in the slots). */
  onEverySyscall(fn: (e: SyscallEvent) => void): void;
}

/** The TraceTarget of a booted kernel (Machine.kstate). */
export function traceTargetOf(k: KernelState): TraceTarget {
  return {
    hooks: k.hooks,
    task(pid) {
      const t = k.sched.tasks.get(pid);
      return t ? { mem: t.mm, abi: t.abi } : undefined; // the task's own: a 32-bit task may run on the x86-64 kernel
    },
    onEverySyscall(fn) {
      for (const abi of ["x86_64", "i386"] as const) for (const slot of k.tableFor(abi).table.slots.values()) slot.hooks.push(fn);
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

/** Signal codes strace names in a siginfo (asm-generic/siginfo.h). */
function siCode(sig: number, code: number): string {
  const generic: Record<number, string> = { 0: "SI_USER", 0x80: "SI_KERNEL", [-1]: "SI_QUEUE", [-6]: "SI_TKILL" };
  if (code <= 0 || code === 0x80) return generic[code] ?? String(code);
  const bySig: Record<number, string[]> = {
    11: ["", "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"],
    7: ["", "BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR"],
    4: ["", "ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP", "ILL_PRVOPC", "ILL_PRVREG", "ILL_COPROC", "ILL_BADSTK"],
    8: ["", "FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF", "FPE_FLTUND", "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB"],
    5: ["", "TRAP_BRKPT", "TRAP_TRACE"],
    17: ["", "CLD_EXITED", "CLD_KILLED", "CLD_DUMPED", "CLD_TRAPPED", "CLD_STOPPED", "CLD_CONTINUED"],
  };
  return bySig[sig]?.[code] || String(code);
}

export class SyscallTracer {
  private readonly pending = new Map<number, Pending>();
  private readonly pids = new Set<number>();
  private readonly lastIp = new Map<number, bigint>();
  private lastPid: number | undefined;
  private lastVdso: { seq: number; address: bigint } | undefined;
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
    on("syscall_entry", (e) => this.entry(e));
    on("syscall_exit", (e) => this.exit(e.pid, e.result));
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
      const mem = this.target.task(p)?.mem;
      const head = formatCall({ ...pend.call, parts: pend.call.parts.map((x) => x ?? "...") }, undefined, mem ?? { read: () => { throw new Error(); } }, { abi: pend.abi, strlen: this.o.strlen });
      this.o.write(`${this.pidPrefix(p)}${this.o.ip ? ipPrefix(pend.ip, pend.abi) : ""}${head.slice(0, -1)} <unfinished ...>\n`);
      pend.unfinished = true;
    }
    this.lastPid = pid;
    this.o.write(this.pidPrefix(pid) + text + "\n");
  }

  private entry(e: SyscallEvent): void {
    this.pids.add(e.pid);
    const t = this.target.task(e.pid);
    if (!t) return;
    const ip = this.lastIp.get(e.pid);
    this.lastIp.delete(e.pid);
    const old = this.pending.get(e.pid);
    if (old && old.call.nr === e.nr) return; // a blocked call restarting: still the same call
    const call = beginCall(e.nr, e.name, e.args, t.mem, { abi: t.abi, strlen: this.o.strlen });
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
    const res = formatResult(p.call, result, p.abi);
    const prefix = this.o.ip ? ipPrefix(p.ip, p.abi) : "";
    if (p.unfinished) {
      const full = formatCall(p.call, result, mem, opts);
      this.line(pid, traceLine(prefix, `<... ${name} resumed>${full.slice(full.indexOf("(") + 1)}`, res));
    } else {
      this.line(pid, traceLine(prefix, formatCall(p.call, result, mem, opts), res));
    }
  }

  /** vDSO functions: shown with their first argument when it is a clock, and no result. */
  private vdso(e: HookEvents["vdso"]): void {
    // one function exported under two names (clock_gettime, __vdso_clock_gettime) fires twice
    if (this.lastVdso && this.lastVdso.address === e.address && this.lastVdso.seq === e.seq - 1) {
      this.lastVdso = { seq: e.seq, address: e.address };
      return;
    }
    this.lastVdso = { seq: e.seq, address: e.address };
    const name = e.function.replace(/^__vdso_|^__kernel_/, "");
    if (this.o.summary || !this.wanted(name)) return;
    const t = this.target.task(e.pid);
    const abi = t?.abi ?? "x86_64";
    const hex = (v: bigint) => (v === 0n ? "NULL" : "0x" + v.toString(16));
    let args: string;
    if (name === "clock_gettime" || name === "clock_getres" || name === "clock_gettime64") args = `${xlatValue(Number(BigInt.asIntN(32, e.args[0])), CLOCKS, "CLOCK")}, ${hex(e.args[1])}`;
    else if (name === "gettimeofday") args = `${hex(e.args[0])}, ${hex(e.args[1])}`;
    else if (name === "time") args = hex(e.args[0]);
    else if (name === "getcpu") args = `${hex(e.args[0])}, ${hex(e.args[1])}, ${hex(e.args[2])}`;
    else args = "...";
    this.line(e.pid, traceLine(this.o.ip ? ipPrefix(e.address, abi) : "", `${name}(${args})`, "? <vdso: no kernel entry>"));
  }

  private signal(e: HookEvents["signal"]): void {
    if (e.action === "sigreturn" || this.o.summary) return;
    const fault = [4, 5, 7, 8, 11].includes(e.sig);
    // the kernel's fatal-signal event carries no siginfo: then only the signal is shown
    const fields = [`si_signo=${signalName(e.sig)}`];
    if (e.code !== undefined) fields.push(`si_code=${siCode(e.sig, e.code)}`);
    if (fault && e.addr !== undefined) fields.push(`si_addr=${e.addr === 0n ? "NULL" : "0x" + e.addr.toString(16)}`);
    else if (e.senderPid !== undefined) fields.push(`si_pid=${e.senderPid}`);
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
    this.pending.delete(e.pid);
    if (this.o.summary) return;
    const status = e.status ?? 0;
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
