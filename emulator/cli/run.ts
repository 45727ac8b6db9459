// `sysgate run [options] ELF [args...]`: the guest's stdio is sysgate's, its exit status too;
// a death by signal ends sysgate with 128+signal and the message a shell prints.

import { SIGNAL_DESCRIPTIONS } from "../../kernel-model/signal_names.js";
import type { ExitState } from "../../kernel-model/linux.js";
import { SIGINT, SIGPIPE } from "../../kernel-model/uapi/asm/signal.js";
import { runWithHost } from "../host_signals.js";
import { MAX_PHYS_MEMORY, Machine, type MachineOptions } from "../machine.js";
import { guestEnvironment } from "./environment.js";
import { checkRoot, resolveInRoot } from "./root_path.js";
import { UsageError, parseCount, parseSize } from "./usage.js";
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { Bind } from "../../kernel-model/fs/vfs.js";
import { E, Errno } from "../../kernel-model/errno.js";
import { UnicornNotFound } from "../cpu/unicorn_library.js";
import { ExecFormatError } from "../loader/elf.js";

/** sysgate's status when sysgate itself failed (sysexits.h's EX_SOFTWARE). */
export const INTERNAL_ERROR = 70;

export interface RunArgs {
  /** The program's host path (under --root: looked up inside DIR). */
  path: string;
  /** The program as the user typed it: argv[0], and what the trace shows. */
  shown: string;
  args: string[];
  options: MachineOptions;
  /** -g PORT / --gdb-unix PATH: wait for gdb there (emulator/gdb). */
  gdb?: { port?: number; path?: string };
}

/** Options of run that take a value (trace and step pass them through with it). */
export const RUN_OPTIONS_WITH_VALUE = new Set(["--root", "--bind", "--memory", "--phys-memory", "--seed", "--env", "--max-procs", "--kernel", "--cpu", "-g", "--gdb-unix"]);

/** The smallest --memory: the kernel's own reserve plus room for a program and its stack. */
const MIN_MEMORY = 16 << 20;

/** Where a command line was typed: relative paths in it (the program, --root, --bind) and --env NAME refer to this. */
export interface Invocation { cwd: string; env: NodeJS.ProcessEnv }

/**
 * Options come before the ELF; everything after it belongs to the guest. `command` names the
 * command in messages; `from` is sysgate's own cwd and environment unless a client of
 * `sysgate serve` typed the line.
 */
export function parseRunArgs(argv: string[], command = "run", from: Invocation = { cwd: process.cwd(), env: process.env }): RunArgs {
  // the command line runs on the host's clock unless asked (the library defaults to deterministic)
  const options: MachineOptions = { deterministic: false };
  const env = { jailed: false, clear: false, set: [] as string[] };
  let rootArg: string | undefined;
  let gdb: RunArgs["gdb"];
  // a relative path typed by a client of `sysgate serve` is relative to the client's cwd (kept
  // as typed when that is sysgate's own: messages then show it as typed)
  const at = (p: string) => (p === "" || isAbsolute(p) || from.cwd === process.cwd() ? p : resolve(from.cwd, p));
  let i = 0;
  const value = (name: string) => {
    if (i + 1 >= argv.length) throw new UsageError(`${command}: ${name} needs a value`);
    return argv[++i];
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") { i++; break; }
    if (!a.startsWith("-") || a === "-") break;
    switch (a) {
      case "--root": rootArg = value(a); options.root = checkRoot(at(rootArg)); env.jailed = true; break;
      case "--bind": (options.binds ??= []).push(parseBind(value(a), command, from.cwd)); break;
      case "--memory": {
        const v = value(a);
        options.memoryLimit = parseSize(v);
        if (options.memoryLimit < MIN_MEMORY) throw new UsageError(`${command}: --memory ${v} is too small: at least 16M`);
        break;
      }
      case "--max-procs": options.maxProcs = parseCount(`${command}: ${a}`, value(a), 2); break;
      case "--env": {
        const v = value(a);
        if (v === "" || v.startsWith("=")) throw new UsageError(`${command}: --env takes NAME=VALUE or NAME, not '${v}'`);
        env.set.push(v);
        break;
      }
      case "--clear-env": env.clear = true; break;
      case "--phys-memory": {
        const v = parseSize(value(a));
        if (v < 16 << 20 || v > MAX_PHYS_MEMORY) throw new UsageError(`${command}: --phys-memory must be between 16M and ${MAX_PHYS_MEMORY / 2 ** 30}G`);
        options.physMemory = v;
        break;
      }
      case "--deterministic": options.deterministic = true; break;
      case "--seed": {
        const v = value(a);
        if (!/^\d+$/.test(v)) throw new UsageError(`${command}: --seed takes a whole number, not '${v}'`);
        options.seed = BigInt(v);
        options.deterministic = true;
        break;
      }
      case "--no-vdso": options.vdso = false; break; // no AT_SYSINFO(_EHDR): i386 libcs use int $0x80
      case "--kernel": {
        const v = value(a);
        if (v !== "x86_64" && v !== "i386") throw new UsageError(`--kernel takes x86_64 or i386, not '${v}'`);
        options.kernel = v;
        break;
      }
      case "--cpu": {
        const v = value(a);
        if (v !== "intel" && v !== "amd") throw new UsageError(`--cpu takes intel or amd, not '${v}'`);
        options.cpu = v;
        break;
      }
      case "-q": case "--quiet": options.warnUnimplemented = false; break;
      case "-g": {
        const v = value(a);
        if (!/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`${command}: -g takes a TCP port (0-65535), not '${v}'`);
        gdb = { port: Number(v) };
        break;
      }
      case "--gdb-unix": gdb = { path: value(a) }; break;
      default: throw new UsageError(`${command}: unknown option '${a}' (try 'sysgate help')`);
    }
  }
  if (i >= argv.length) throw new UsageError(`${command}: which program? usage: sysgate ${command} [options] ELF [args...]`);
  const shown = argv[i];
  const path = rootArg !== undefined ? resolveInRoot(at(rootArg), shown) : shown;
  options.env = guestEnvironment(env, from.env);
  options.cwd = from.cwd;
  // AT_EXECFN is the name the guest would have exec'd: under --root, its path inside DIR
  return { path, shown, args: argv.slice(i + 1), options: { ...options, argv: [shown, ...argv.slice(i + 1)], execfn: shown }, gdb };
}

/** `--bind HOST[:GUEST][:ro|:rw]`: HOST granted at GUEST (default: the same path), read-write unless :ro. */
function parseBind(text: string, command: string, cwd: string): Bind {
  const parts = text.split(":");
  let writable = true;
  if (parts.length > 1 && (parts[parts.length - 1] === "ro" || parts[parts.length - 1] === "rw")) writable = parts.pop() === "rw";
  if (parts.length > 2 || parts[0] === "") throw new UsageError(`${command}: --bind takes HOST[:GUEST][:ro], not '${text}'`);
  const hostPath = resolve(cwd, parts[0]);
  const guestPath = parts[1] ?? hostPath;
  if (!guestPath.startsWith("/")) throw new UsageError(`${command}: --bind: the guest path must be absolute, not '${guestPath}'`);
  if (!existsSync(hostPath)) throw new UsageError(`${command}: --bind: ${parts[0]}: no such file or directory`);
  return { hostPath, guestPath, writable };
}

export async function runCommand(argv: string[]): Promise<number> {
  const { path, options, gdb } = parseRunArgs(argv);
  const machine = await Machine.create(path, options);
  try {
    let st: ExitState;
    if (gdb) {
      const end = await (await import("../gdb/server.js")).serveGdb(machine, gdb, (l) => process.stderr.write(l + "\n"));
      if (end.note) process.stderr.write(`sysgate: ${end.note}\n`);
      st = end.state;
    } else st = await runWithHost(machine);
    return exitStatus(st, (line) => process.stderr.write(line));
  } finally {
    machine.close();
  }
}

/**
 * sysgate's exit status for the guest's end: its own, or 128+N for a death by signal N, with the
 * line a shell prints for it (`say` gets it, newline included).
 */
export function exitStatus(st: ExitState, say: (line: string) => void): number {
  // bash says nothing when a job dies of SIGINT (the user pressed Ctrl-C) or SIGPIPE
  if (st.signal !== undefined && (st.signal === SIGINT || st.signal === SIGPIPE) && !st.detail) return 128 + st.signal;
  if (st.signal !== undefined) {
    const [, text] = SIGNAL_DESCRIPTIONS[st.signal] ?? [`SIG${st.signal}`, `Signal ${st.signal}`];
    say(`${text}${st.detail ? ` (sysgate: ${st.detail})` : ""}\n`);
    return 128 + st.signal;
  }
  return st.code ?? 0;
}

/** The exit status for a run that could not start or broke (cli.ts and `sysgate serve`), its one line to `say`. */
export function failureStatus(e: unknown, say: (line: string) => void): number {
  if (e instanceof UsageError) {
    say(`sysgate: ${e.message}\n`);
    return 2;
  }
  if (e instanceof ExecFormatError || e instanceof UnicornNotFound) {
    // as a shell: 127 when the program is not there, 126 when it is but cannot be run
    say(`sysgate: ${e.message}\n`);
    return e instanceof ExecFormatError && e.errno === E.ENOENT ? 127 : 126;
  }
  if (e instanceof Errno) {
    // the kernel model refused to start the program (its memory, say): one line all the same
    say(`sysgate: cannot start the program: ${e.message}\n`);
    return 126;
  }
  say(`sysgate: internal error: ${(e as Error)?.stack ?? e}\n`);
  return INTERNAL_ERROR;
}
