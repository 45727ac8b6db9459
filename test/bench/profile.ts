// One getppid round trip taken apart (x86-64, the `syscall` path, no hook on):
//   - engine calls (JS → C through koffi) and hook callbacks (C → JS) per round trip, counted by
//     emulator/cpu/unicorn.ts when SYSGATE_ENGINE_CALLS=1 (so this file runs in a child process);
//   - microseconds per stage, from timestamps taken where JS is entered and left: the SYSCALL
//     instruction hook (and inside it the transition), the engine running the entry stub up to
//     do_syscall_64's trap, the generic entry (and inside it the dispatch), the engine running the
//     exit path (SYSRETQ) and the user loop back to the next `syscall`;
//   - bytes allocated on the JS heap per round trip (v8.GCProfiler: what each collection freed plus
//     what is still in use at the end).
// Each figure is the difference between a run of N round trips and a run of N/10, divided by the
// difference in round trips, so start-up and the first translations cancel out.
//
// `node dist/test/bench/profile.js [--n N]` prints the breakdown; profileRoundTrip() runs that in a
// child process and returns its output.

import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";

const HERE = fileURLToPath(import.meta.url);
// dist/test/bench/profile.js -> the repository root
const ROOT = join(dirname(HERE), "..", "..", "..");
const LOOP = join(ROOT, "samples", "bin", "x86_64", "getppid-loop");

/** Accumulated milliseconds and entry counts per stage. */
const ms: Record<string, number> = {};
const calls: Record<string, number> = {};
let timing = false;

type AnyFn = (...a: unknown[]) => unknown;

/** Wraps proto[name] so that each call adds its duration to stage `label` (when the method exists). */
function time(proto: object, name: string, label: string): void {
  const p = proto as Record<string, AnyFn>;
  const orig = p[name];
  if (typeof orig !== "function") return;
  ms[label] = 0;
  calls[label] = 0;
  p[name] = function (this: unknown, ...a: unknown[]) {
    if (!timing) return orig.apply(this, a);
    const t0 = performance.now();
    try {
      return orig.apply(this, a);
    } finally {
      ms[label] += performance.now() - t0;
      calls[label]++;
    }
  };
}

/** The gaps between JS stages: engine time (with koffi's callback entry and exit). */
let leftInsnHook = 0, leftTrap = 0;
function gap(label: string, since: number): void {
  if (!timing || since === 0) return;
  ms[label] = (ms[label] ?? 0) + performance.now() - since;
  calls[label] = (calls[label] ?? 0) + 1;
}

async function child(n: number, counting: boolean): Promise<void> {
  const { engineCalls } = await import("../../emulator/cpu/unicorn.js");
  const { X86Cpu } = await import("../../emulator/cpu/x86_cpu.js");
  const { KernelContext } = await import("../../kernel-model/entry/kernel_context.js");
  const { SyscallInsn64 } = await import("../../kernel-model/entry/syscall_64.js");
  const { SyscallDispatcher } = await import("../../kernel-model/entry/common.js");
  const { LinuxX86_64 } = await import("../../kernel-model/linux_x86_64.js");
  const { KernelState } = await import("../../kernel-model/kernel.js");
  const { Machine } = await import("../../emulator/machine.js");

  // The two places JS is entered on every round trip: the SYSCALL hook and do_syscall_64's trap.
  const cpuProto = X86Cpu.prototype as unknown as Record<string, AnyFn>;
  const onInstruction = cpuProto.onInstruction, onExecute = cpuProto.onExecute;
  cpuProto.onInstruction = function (this: unknown, insn: unknown, fn: unknown) {
    return onInstruction.call(this, insn, () => {
      gap("engine: exit path, SYSRETQ, user loop", leftTrap);
      const t0 = performance.now();
      (fn as () => void)();
      if (timing) { ms["SYSCALL instruction hook"] += performance.now() - t0; calls["SYSCALL instruction hook"]++; }
      leftInsnHook = performance.now();
    });
  };
  cpuProto.onExecute = function (this: unknown, addr: unknown, fn: unknown) {
    return onExecute.call(this, addr, () => {
      gap("engine: entry stub to do_syscall_64", leftInsnHook);
      leftInsnHook = 0;
      const t0 = performance.now();
      (fn as () => void)();
      if (timing) { ms["do_syscall_64 (generic entry)"] += performance.now() - t0; calls["do_syscall_64 (generic entry)"]++; }
      leftTrap = performance.now();
    });
  };
  ms["SYSCALL instruction hook"] = 0; calls["SYSCALL instruction hook"] = 0;
  ms["do_syscall_64 (generic entry)"] = 0; calls["do_syscall_64 (generic entry)"] = 0;
  time(KernelState.prototype, "tick", "  kernel tick (clock, timers, vvar)");
  time(SyscallInsn64.prototype, "execute", "  transition (SYSCALL semantics, CPL 0 context)");
  time(KernelContext.prototype, "capture", "    capture user registers");
  time(KernelContext.prototype, "enter", "    restore CPL 0 template, write registers back");
  time(LinuxX86_64.prototype, "syscall", "  LinuxKernel.syscall (hooks, dispatch, exit work)");
  time(SyscallDispatcher.prototype, "dispatch", "    dispatch + sys_getppid");

  const run = async (count: number) => {
    const m = await Machine.create(LOOP, { argv: [LOOP, String(count)], env: [], warnUnimplemented: false, captureOutput: true });
    for (const k of Object.keys(engineCalls)) engineCalls[k] = 0;
    for (const k of Object.keys(ms)) { ms[k] = 0; calls[k] = 0; }
    leftInsnHook = leftTrap = 0;
    const gcs: { before: number; after: number }[] = [];
    const prof = new v8.GCProfiler();
    const heap0 = v8.getHeapStatistics().used_heap_size;
    prof.start();
    const t0 = performance.now();
    const st = m.runToEnd();
    const wall = performance.now() - t0;
    const heap1 = v8.getHeapStatistics().used_heap_size;
    const r = prof.stop();
    for (const s of r?.statistics ?? []) gcs.push({ before: s.beforeGC.heapStatistics.usedHeapSize, after: s.afterGC.heapStatistics.usedHeapSize });
    m.close();
    if (st.code !== 0) throw new Error(`getppid-loop ${count}: ${JSON.stringify(st)}`);
    const allocated = heap1 - heap0 + gcs.reduce((s, g) => s + g.before - g.after, 0);
    return { wall, engine: { ...engineCalls }, ms: { ...ms }, calls: { ...calls }, allocated, gcs: gcs.length };
  };

  await run(1000); // warm the JIT
  const small = Math.max(1, Math.floor(n / 10));
  const per = n - small;
  const usPer = (x: number, y: number) => ((y - x) * 1000) / per;
  // plain runs first (no timestamps): the round trip as it is
  const plainA = await run(small), plainB = await run(n);
  if (counting) {
    // this child counts engine calls (the counting wrappers slow every call: no timings here)
    const out = ["engine calls and callbacks per round trip"];
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
  timing = true;
  const a = await run(small), b = await run(n);
  timing = false;

  // performance.now() itself: two per stage are inside each measured interval
  const t0 = performance.now();
  let sink = 0;
  for (let i = 0; i < 100_000; i++) sink += performance.now();
  const nowUs = ((performance.now() - t0) * 1000) / 100_000 + (sink < 0 ? 1 : 0);

  const out: string[] = [];
  const round = usPer(plainA.wall, plainB.wall);
  out.push(`one getppid round trip (x86-64 SYSCALL, no hook), N=${n} minus N=${small}: ${round.toFixed(2)} us ` +
    `(${Math.round(1e6 / round).toLocaleString("en-US")}/s)`);
  out.push("");
  out.push(`microseconds per stage (timed run: ${usPer(a.wall, b.wall).toFixed(2)} us per round trip; ` +
    `performance.now() costs ${nowUs.toFixed(3)} us, included)`);
  const order = [
    "SYSCALL instruction hook", "  kernel tick (clock, timers, vvar)", "  transition (SYSCALL semantics, CPL 0 context)",
    "    capture user registers", "    restore CPL 0 template, write registers back",
    "engine: entry stub to do_syscall_64",
    "do_syscall_64 (generic entry)", "  LinuxKernel.syscall (hooks, dispatch, exit work)", "    dispatch + sys_getppid",
    "engine: exit path, SYSRETQ, user loop",
  ];
  for (const k of order) {
    if (b.ms[k] === undefined) continue;
    const c = (b.calls[k] - (a.calls[k] ?? 0)) / per;
    out.push(`  ${k.padEnd(50)} ${usPer(a.ms[k] ?? 0, b.ms[k]).toFixed(3).padStart(7)} us  (${c.toFixed(2)} calls)`);
  }
  out.push("");
  out.push(`JS heap allocated per round trip: ${((plainB.allocated - plainA.allocated) / per).toFixed(0)} bytes ` +
    `(${plainB.gcs} collections in the N=${n} run)`);
  process.stdout.write(out.join("\n") + "\n");
}

/** Runs the breakdown in a child process (engine calls are counted only there) and returns its text. */
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
