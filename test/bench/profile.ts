// One getppid round trip taken apart (x86-64, the `syscall` path, no hook on):
//   - the round trip: CPU time of a run of N round trips minus a run of N/10, per round trip (CPU
//     time, because on a shared machine wall time mostly measures the neighbours);
//   - engine calls (JS → C through koffi) and hook callbacks (C → JS) per round trip, counted by
//     emulator/cpu/unicorn.ts when SYSGATE_ENGINE_CALLS=1 (in a child process of its own: the
//     counting slows every call);
//   - microseconds per stage: timestamps where JS is entered and left (the SYSCALL instruction
//     hook, with the transition inside it; do_syscall_64's trap, with the generic entry and the
//     dispatch inside it) and the gaps between them, where the engine runs the entry stub and the
//     exit path (SYSRETQ, the user loop). The median over every round trip of a run, so the
//     moments another process had the CPU drop out;
//   - bytes allocated on the JS heap per round trip (v8.GCProfiler: what each collection freed
//     plus what is still in use at the end).
//
// `node dist/test/bench/profile.js [--n N]` prints the breakdown; profileRoundTrip() runs it in
// child processes and returns the text.

import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";

const HERE = fileURLToPath(import.meta.url);
// dist/test/bench/profile.js -> the repository root
const ROOT = join(dirname(HERE), "..", "..", "..");
const LOOP = join(ROOT, "samples", "bin", "x86_64", "getppid-loop");

/** Per-call durations (ms) of each stage, in the order they were registered. */
const samples = new Map<string, number[]>();
let timing = false;
const record = (label: string, ms: number) => { if (timing) samples.get(label)!.push(ms); };
const stage = (label: string) => { if (!samples.has(label)) samples.set(label, []); };

type AnyFn = (...a: unknown[]) => unknown;

/** Wraps proto[name] so that each call's duration is a sample of stage `label` (when the method exists). */
function time(proto: object, name: string, label: string): void {
  const p = proto as Record<string, AnyFn>;
  const orig = p[name];
  if (typeof orig !== "function") return;
  stage(label);
  p[name] = function (this: unknown, ...a: unknown[]) {
    if (!timing) return orig.apply(this, a);
    const t0 = performance.now();
    try {
      return orig.apply(this, a);
    } finally {
      record(label, performance.now() - t0);
    }
  };
}

const INSN = "SYSCALL instruction hook";
const STUB = "engine: entry stub up to do_syscall_64";
const TRAP = "do_syscall_64 trap (generic entry)";
const EXIT = "engine: exit path, SYSRETQ, user loop";
const ROUND = "round trip (between two SYSCALL hooks)";

async function child(n: number, counting: boolean): Promise<void> {
  const { engineCalls } = await import("../../emulator/cpu/unicorn.js");
  const { X86Cpu } = await import("../../emulator/cpu/x86_cpu.js");
  const { KernelContext } = await import("../../kernel-model/entry/kernel_context.js");
  const { SyscallInsn64 } = await import("../../kernel-model/entry/syscall_64.js");
  const { GenericEntry, SyscallDispatcher } = await import("../../kernel-model/entry/common.js");
  const { KernelState } = await import("../../kernel-model/kernel.js");
  const { Machine } = await import("../../emulator/machine.js");

  // The two places JS is entered on every round trip: the SYSCALL hook and do_syscall_64's trap.
  let leftInsn = 0, leftTrap = 0, enteredInsn = 0;
  for (const l of [ROUND, INSN]) stage(l);
  const cpuProto = X86Cpu.prototype as unknown as Record<string, AnyFn>;
  const onInstruction = cpuProto.onInstruction, onExecute = cpuProto.onExecute;
  cpuProto.onInstruction = function (this: unknown, insn: unknown, fn: unknown) {
    return onInstruction.call(this, insn, () => {
      const t0 = performance.now();
      if (leftTrap) record(EXIT, t0 - leftTrap);
      if (enteredInsn) record(ROUND, t0 - enteredInsn);
      enteredInsn = t0;
      leftTrap = 0;
      (fn as () => void)();
      leftInsn = performance.now();
      record(INSN, leftInsn - t0);
    });
  };
  time(KernelState.prototype, "tick", "  kernel tick (clock, timers, vvar)");
  time(SyscallInsn64.prototype, "execute", "  transition (SYSCALL semantics, CPL 0 context)");
  time(KernelContext.prototype, "capture", "    capture user registers");
  time(KernelContext.prototype, "enter", "    restore CPL 0 template, write registers back");
  for (const l of [STUB, TRAP]) stage(l);
  cpuProto.onExecute = function (this: unknown, addr: unknown, fn: unknown) {
    return onExecute.call(this, addr, () => {
      const t0 = performance.now();
      if (leftInsn) record(STUB, t0 - leftInsn);
      leftInsn = 0;
      (fn as () => void)();
      leftTrap = performance.now();
      record(TRAP, leftTrap - t0);
    });
  };
  time(GenericEntry.prototype, "syscall", "  generic entry: syscall() (hooks, dispatch, exit work)");
  time(SyscallDispatcher.prototype, "call", "    dispatch + sys_getppid");
  stage(EXIT);

  const run = async (count: number) => {
    const m = await Machine.create(LOOP, { argv: [LOOP, String(count)], env: [], warnUnimplemented: false, captureOutput: true });
    for (const k of Object.keys(engineCalls)) engineCalls[k] = 0;
    for (const v of samples.values()) v.length = 0;
    leftInsn = leftTrap = enteredInsn = 0;
    const prof = new v8.GCProfiler();
    const heap0 = v8.getHeapStatistics().used_heap_size;
    prof.start();
    const c0 = process.cpuUsage();
    const st = m.runToEnd();
    const c = process.cpuUsage(c0);
    const heap1 = v8.getHeapStatistics().used_heap_size;
    const r = prof.stop();
    let freed = 0;
    for (const s of r?.statistics ?? []) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
    m.close();
    if (st.code !== 0) throw new Error(`getppid-loop ${count}: ${JSON.stringify(st)}`);
    return { cpuMs: (c.user + c.system) / 1000, engine: { ...engineCalls }, allocated: heap1 - heap0 + freed, gcs: r?.statistics.length ?? 0 };
  };

  await run(1000); // warm the JIT
  const small = Math.max(1, Math.floor(n / 10));
  const per = n - small;
  // plain runs (no timestamps), the best of 3 pairs
  let best: { a: Awaited<ReturnType<typeof run>>; b: Awaited<ReturnType<typeof run>> } | undefined;
  for (let i = 0; i < 3; i++) {
    const a = await run(small), b = await run(n);
    if (!best || b.cpuMs - a.cpuMs < best.b.cpuMs - best.a.cpuMs) best = { a, b };
  }
  const { a: plainA, b: plainB } = best!;
  const out: string[] = [];
  if (counting) {
    out.push("engine calls and callbacks per round trip");
    let total = 0;
    for (const k of Object.keys(plainB.engine).sort()) {
      const v = (plainB.engine[k] - plainA.engine[k]) / per;
      if (v <= 0) continue;
      total += v;
      out.push(`  ${k.padEnd(28)} ${v.toFixed(2).padStart(7)}`);
    }
    out.push(`  ${"total FFI crossings".padEnd(28)} ${total.toFixed(2).padStart(7)}`);
    process.stdout.write(out.join("\n") + "\n");
    return;
  }
  const round = ((plainB.cpuMs - plainA.cpuMs) * 1000) / per;
  out.push(`one getppid round trip (x86-64 SYSCALL, no hook), CPU time of N=${n} minus N=${small}, best of 3: ` +
    `${round.toFixed(2)} us (${Math.round(1e6 / round).toLocaleString("en-US")}/s)`);
  out.push(`JS heap allocated per round trip: ${((plainB.allocated - plainA.allocated) / per).toFixed(0)} bytes ` +
    `(${plainB.gcs} collections in the N=${n} run)`);

  timing = true;
  await run(n);
  timing = false;
  const t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < 100_000; i++) sink += performance.now();
  const nowUs = ((performance.now() - t0) * 1000) / 100_000 + (sink < 0 ? 1 : 0);
  out.push("");
  out.push(`microseconds per stage, median over the ${n.toLocaleString("en-US")} round trips of a timed run ` +
    `(performance.now() costs ${nowUs.toFixed(3)} us; each timed stage includes about one)`);
  for (const [k, v] of samples) {
    if (!v.length) continue;
    v.sort((x, y) => x - y);
    out.push(`  ${k.padEnd(52)} ${(v[v.length >> 1] * 1000).toFixed(3).padStart(7)} us` +
      (Math.abs(v.length - n) > 2 ? `  (${(v.length / n).toFixed(2)} per round trip)` : ""));
  }
  process.stdout.write(out.join("\n") + "\n");
}

/** Runs the breakdown in child processes (engine calls are counted in a separate one) and returns its text. */
export function profileRoundTrip(n = 200_000): string {
  let out = "";
  for (const counting of [false, true]) {
    const r = spawnSync(process.execPath, [HERE, "--child", "--n", String(n)], {
      encoding: "utf8", env: { ...process.env, SYSGATE_ENGINE_CALLS: counting ? "1" : "0" }, maxBuffer: 1 << 20,
    });
    if (r.status !== 0) return `round-trip profile failed: ${r.stderr.trim()}\n`;
    out += (out ? "\n" : "") + r.stdout;
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf("--n");
  const n = i > 0 ? Number(process.argv[i + 1]) : 200_000;
  if (process.argv.includes("--child")) await child(n, process.env.SYSGATE_ENGINE_CALLS === "1");
  else process.stdout.write(profileRoundTrip(n));
}
