// `sysgate trace [options] ELF [args...]`: strace's output for a program run under sysgate —
// one line per syscall on stderr (or -o FILE), -c for the summary table, --json for every event
// of every interception point. The formatting lives in kernel-model/trace/.

import { closeSync, openSync, writeSync } from "node:fs";
import { parseTraceExpr, TraceExprError } from "../../kernel-model/trace/filter.js";
import { SyscallTracer, traceTargetOf } from "../../kernel-model/trace/tracer.js";
import { runWithHost } from "../host_signals.js";
import { Machine } from "../machine.js";
import { RUN_OPTIONS_WITH_VALUE, parseRunArgs } from "./run.js";
import { UsageError } from "./usage.js";
import { syscallTable } from "../../kernel-model/entry/syscall_tables.js";

export interface TraceArgs {
  expr?: string;
  summary: boolean;
  output?: string;
  ip: boolean;
  strlen?: number;
  json: boolean;
  /** --vdso: also the calls the vDSO served (no kernel entry). */
  vdso: boolean;
  /** Program functions to watch (--watch SYM): `function` events. */
  watch: string[];
  /** What is left for parseRunArgs: sysgate's run options, the ELF and its arguments. */
  runArgv: string[];
}

/** Trace options and run options may come in any order before the ELF. */
export function parseTraceArgs(argv: string[]): TraceArgs {
  const t: TraceArgs = { summary: false, ip: false, json: false, vdso: false, watch: [], runArgv: [] };
  let i = 0;
  const value = (name: string) => {
    if (i + 1 >= argv.length) throw new UsageError(`trace: ${name} needs a value`);
    return argv[++i];
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--" || !a.startsWith("-") || a === "-") break;
    if (a === "-e") t.expr = value(a);
    else if (a.startsWith("-e") && a.length > 2) t.expr = a.slice(2);
    else if (a === "-c") t.summary = true;
    else if (a === "-o") t.output = value(a);
    else if (a === "-i") t.ip = true;
    else if (a === "-f" || a === "-ff") continue; // every process is followed anyway
    else if (a === "-s" || (a.startsWith("-s") && /^\d+$/.test(a.slice(2)))) {
      const v = a === "-s" ? value(a) : a.slice(2);
      if (!/^\d+$/.test(v)) throw new UsageError(`trace: -s takes a number, not '${v}'`);
      t.strlen = Number(v);
    } else if (a === "--json") t.json = true;
    else if (a === "--vdso") t.vdso = true;
    else if (a === "--watch") t.watch.push(...value(a).split(",").filter(Boolean));
    else if (RUN_OPTIONS_WITH_VALUE.has(a)) t.runArgv.push(a, value(a));
    else t.runArgv.push(a); // parseRunArgs says whether it knows it
  }
  t.runArgv.push(...argv.slice(i));
  return t;
}

export async function traceCommand(argv: string[]): Promise<number> {
  const t = parseTraceArgs(argv);
  const { path, shown, options, gdb } = parseRunArgs(t.runArgv, "trace");
  // -o first: a file that cannot be written is the user's typo, found before the program starts
  let fd = 2;
  if (t.output !== undefined) {
    try {
      fd = openSync(t.output, "w");
    } catch (e) {
      throw new UsageError(`trace: -o ${t.output}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such directory" : (e as Error).message}`);
    }
  }
  let machine: Machine;
  try {
    machine = await Machine.create(path, options);
  } catch (e) {
    if (fd !== 2) closeSync(fd);
    throw e;
  }
  try {
    let filter: ((name: string) => boolean) | undefined;
    if (t.expr) {
      // names of either ABI, as strace accepts (a 64-bit program may exec a 32-bit one)
      const known = (["x86_64", "i386"] as const).flatMap((abi) => [...syscallTable(abi).slots.values()].map((s) => s.name));
      try {
        filter = parseTraceExpr(t.expr, [...known, "execve"]);
      } catch (e) {
        if (e instanceof TraceExprError) throw new UsageError(e.message);
        throw e;
      }
    }
    // Lines are written as they come, so they interleave with the guest's own stderr as in strace.
    const write = (s: string) => { writeSync(fd, s); };
    const deterministic = options.deterministic ?? false;
    const tracer = new SyscallTracer(traceTargetOf(machine.kstate), {
      write, strlen: t.strlen, filter, ip: t.ip, summary: t.summary, json: t.json, vdso: t.vdso,
      // on the virtual clock, -c is as reproducible as the rest of the run
      now: deterministic ? () => machine.kstate.monotonicNs() : undefined,
    }).attach();
    for (const sym of t.watch) machine.kernel.watchFunction(sym);
    if (t.watch.length && !t.json) {
      machine.hooks.on("function", (e) => write(`--- ${e.symbol}(0x${e.args[0].toString(16)}, 0x${e.args[1].toString(16)}, ...) called from 0x${e.returnAddress.toString(16)} ---\n`));
    }
    // The execve strace sees first: here the Machine did its work before the first instruction.
    const task = machine.task;
    const w = machine.task.abi === "x86_64" ? 8n : 4n;
    const argvShown = options.argv ?? [shown];
    const envCount = options.env?.length ?? Object.keys(process.env).length;
    const envp = task.mm.startStack + w * BigInt(argvShown.length + 2);
    tracer.execve(task.pid, task.abi, shown, argvShown, envp, envCount);
    // as strace says of a 32-bit tracee under a 64-bit kernel (IA32 emulation); a native i386 kernel has no other mode
    // strace says it on its own stderr, not in the trace: with -o FILE the file does not have it
    if (!t.json && !t.summary && task.abi === "i386" && machine.cpu.bits === 64) process.stderr.write(`[ Process PID=${task.pid} runs in 32 bit mode. ]\n`);
    // -g: the trace goes on while gdb drives the run (emulator/gdb)
    let st;
    if (gdb) {
      const end = await (await import("../gdb/server.js")).serveGdb(machine, gdb, (l) => process.stderr.write(l + "\n"));
      if (end.note) process.stderr.write(`sysgate: ${end.note}\n`);
      st = end.state;
    } else st = await runWithHost(machine);
    if (t.summary) write(tracer.summary());
    return st.signal !== undefined ? 128 + st.signal : st.code ?? 0;
  } finally {
    if (fd !== 2) closeSync(fd);
    machine.close();
  }
}
