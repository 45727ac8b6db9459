// What /proc reads of the kernel's tasks, through a few accessors (get_task_mm, get_files_struct,
// task_state...). procfs never touches task_struct's layout directly, so the files that print
// /proc/<pid>/* do not change when the task and mm structures do: only this one does.

import type { MmStruct, Vma } from "../../mm/mm_struct.js";
import type { KernelState } from "../../kernel.js";
import { standInCmdline } from "../../sched/init_task.js";
import { sigmask } from "../../sched/signal.js";
import type { Cred, Task } from "../../sched/task.js";
import { SIG_DFL, SIG_IGN } from "../../uapi/asm-generic/signal-defs.js";
import type { File } from "../file.js";

/** One guest process as procfs sees it. */
export interface ProcTask {
  readonly pid: number;
  readonly tgid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  readonly comm: string;
  /** task_state_array's letter: R (running), S (sleeping), Z (zombie). */
  readonly state: "R" | "S" | "Z";
  readonly cred: Cred;
  readonly umask: number;
  readonly abi: "x86_64" | "i386";
  readonly exe: { hostPath: string; guestPath: string };
  readonly cwd: string;
  readonly root: string;
  /** Signal masks, bit n-1 for signal n: the thread's pending signals, its process's (shared_pending), ... */
  readonly sigPending: bigint;
  readonly sigShared: bigint;
  readonly sigBlocked: bigint;
  readonly sigIgnored: bigint;
  readonly sigCaught: bigint;
  /** signal->nr_threads: the process's threads not yet released (a leader waiting for the others counts). */
  readonly threads: number;
  /** Undefined for a zombie (its mm is gone: exit_mm). */
  readonly mm: ProcMm | undefined;
  /** The open files, by fd (empty for a zombie). */
  fds(): [number, File, boolean][];
}

export interface ProcMm {
  readonly vmas: readonly Vma[];
  readonly startBrk: bigint;
  readonly brk: bigint;
  readonly startStack: bigint;
  readonly residentPages: number;
  /** The argument and environment strings as the process started (mm->arg_start..env_end). */
  cmdline(): Buffer;
  environ(): Buffer;
}

/** The machine-wide numbers /proc prints. */
export interface ProcSource {
  /** The guest processes, by pid (dead ones are gone; zombies stay until reaped). */
  tasks(): ProcTask[];
  task(pid: number): ProcTask | undefined;
  /** CLOCK_MONOTONIC: uptime. */
  monotonicNs(): bigint;
  realtimeNs(): bigint;
  /** RAM the guest may use, and how much of it is in use, in bytes. */
  memory(): { total: number; used: number };
}

/** mm->arg_start/arg_end/env_start/env_end: the string area create_elf_tables wrote, found once from argv[] and envp[]. */
const argAreas = new WeakMap<MmStruct, { argStart: bigint; argEnd: bigint; envStart: bigint; envEnd: bigint }>();

function argArea(mm: MmStruct, abi: "x86_64" | "i386"): { argStart: bigint; argEnd: bigint; envStart: bigint; envEnd: bigint } | undefined {
  let area = argAreas.get(mm);
  if (area) return area;
  if (mm.startStack === 0n) return undefined;
  const w = abi === "x86_64" ? 8 : 4;
  const word = (addr: bigint): bigint => {
    const b = mm.peek(addr, w);
    return w === 8 ? b.readBigUInt64LE(0) : BigInt(b.readUInt32LE(0));
  };
  const argc = Number(word(mm.startStack));
  if (argc > 0x10000) return undefined;
  const ptrs = (from: bigint, max: number): bigint[] => {
    const out: bigint[] = [];
    for (let p = from; out.length < max; p += BigInt(w)) {
      const v = word(p);
      if (v === 0n) break;
      out.push(v);
    }
    return out;
  };
  const argv = ptrs(mm.startStack + BigInt(w), argc);
  const envp = ptrs(mm.startStack + BigInt(w * (argc + 2)), 0x10000);
  // The strings lie on the stack, up to its top: never read past the area that holds them.
  const strEnd = (addr: bigint): bigint => {
    const vma = mm.findVma(addr);
    if (!vma) return addr;
    const bytes = mm.peek(addr, Number(vma.end - addr < 0x20000n ? vma.end - addr : 0x20000n));
    const nul = bytes.indexOf(0);
    return addr + BigInt(nul < 0 ? bytes.length : nul + 1);
  };
  if (argv.length === 0) return undefined;
  const argEnd = strEnd(argv[argv.length - 1]);
  area = { argStart: argv[0], argEnd, envStart: envp[0] ?? argEnd, envEnd: envp.length ? strEnd(envp[envp.length - 1]) : argEnd };
  argAreas.set(mm, area);
  return area;
}

function procMm(mm: MmStruct, abi: "x86_64" | "i386"): ProcMm {
  return {
    vmas: mm.vmas,
    startBrk: mm.startBrk,
    brk: mm.brk,
    startStack: mm.startStack,
    get residentPages() { return mm.residentPages(); },
    cmdline: () => {
      const a = argArea(mm, abi);
      return a ? mm.peek(a.argStart, Number(a.argEnd - a.argStart)) : Buffer.alloc(0);
    },
    environ: () => {
      const a = argArea(mm, abi);
      return a ? mm.peek(a.envStart, Number(a.envEnd - a.envStart)) : Buffer.alloc(0);
    },
  };
}

/** A stand-in's mm holds nothing (it runs no guest code): its command line is the one it was started with. */
function standInMm(mm: MmStruct, cmdline: Buffer): ProcMm {
  return { ...procMm(mm, "x86_64"), cmdline: () => Buffer.from(cmdline), environ: () => Buffer.alloc(0) };
}

const procMmOf = (t: Task): ProcMm => {
  const cmdline = standInCmdline(t);
  return cmdline ? standInMm(t.mm, cmdline) : procMm(t.mm, t.abi);
};

/** A task, or a stand-in (sched/init_task.ts: pid 1, the first process's parent), whose memory holds no command line. */
export function procTask(t: Task): ProcTask {
  let ignored = 0n, caught = 0n;
  for (const [sig, act] of t.sigactions) {
    if (act.handler === SIG_IGN) ignored |= sigmask(sig);
    else if (act.handler !== SIG_DFL) caught |= sigmask(sig);
  }
  const zombie = t.state === "zombie";
  return {
    pid: t.tgid, tgid: t.tgid, ppid: t.ppid, pgid: t.pgid, sid: t.sid, comm: t.comm,
    state: zombie ? "Z" : t.state === "blocked" ? "S" : "R",
    cred: t.cred, umask: t.umask, abi: t.abi, exe: t.exe, cwd: t.fs.pwd, root: t.fs.root,
    sigPending: t.pending, sigShared: t.signal.pending, sigBlocked: t.blocked, sigIgnored: ignored, sigCaught: caught,
    threads: [...t.kernel.sched.tasks.values()].filter((x) => x.tgid === t.tgid && x.state !== "dead").length,
    mm: zombie ? undefined : procMmOf(t),
    fds: () => (zombie ? [] : t.files.openFds().map((fd) => [fd, t.files.get(fd)!, t.files.getCloexec(fd)])),
  };
}

/** The kernel's tasks and numbers, as procfs reads them. */
export function procSource(k: KernelState): ProcSource {
  const live = (t: Task | undefined): t is Task => t !== undefined && t.state !== "dead";
  return {
    tasks: () => [...k.sched.tasks.values()].filter(live).sort((a, b) => a.pid - b.pid).map((t) => procTask(t)),
    task: (pid) => {
      const t = k.sched.tasks.get(pid);
      return live(t) ? procTask(t) : undefined;
    },
    monotonicNs: () => k.monotonicNs(),
    realtimeNs: () => k.realtimeNs(),
    memory: () => {
      let total = 0, used = 0;
      const seen = new Set<unknown>();
      for (const t of k.sched.tasks.values()) {
        if (!live(t) || t.state === "zombie" || seen.has(t.mm.phys)) continue;
        seen.add(t.mm.phys);
        total = Math.max(total, t.mm.phys.size);
        used += t.mm.phys.framesInUse * 4096;
      }
      return { total, used: Math.min(used, total) };
    },
  };
}
