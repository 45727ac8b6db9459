// `sysgate run [options] ELF [args...]`: the guest's stdio is sysgate's, its exit status too;
// a death by signal ends sysgate with 128+signal and the message a shell prints.

import { SIGNAL_DESCRIPTIONS } from "../../kernel-model/entry/traps.js";
import { Machine, type MachineOptions } from "../machine.js";
import { UsageError, parseSize } from "./usage.js";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Bind } from "../../kernel-model/fs/vfs.js";

export interface RunArgs { path: string; args: string[]; options: MachineOptions }

/** Options come before the ELF; everything after it belongs to the guest. */
export function parseRunArgs(argv: string[]): RunArgs {
  // the command line runs on the host's clock unless asked (the library defaults to deterministic)
  const options: MachineOptions = { deterministic: false };
  let i = 0;
  const value = (name: string) => {
    if (i + 1 >= argv.length) throw new UsageError(`${name} needs a value`);
    return argv[++i];
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") { i++; break; }
    if (!a.startsWith("-") || a === "-") break;
    switch (a) {
      case "--root": options.root = value(a); break;
      case "--bind": (options.binds ??= []).push(parseBind(value(a))); break;
      case "--memory": options.memoryLimit = parseSize(value(a)); break;
      case "--deterministic": options.deterministic = true; break;
      case "--seed": {
        const v = value(a);
        if (!/^\d+$/.test(v)) throw new UsageError(`--seed takes a whole number, not '${v}'`);
        options.seed = BigInt(v);
        options.deterministic = true;
        break;
      }
      case "--no-vdso": options.vdso = false; break; // no AT_SYSINFO(_EHDR): i386 libcs use int $0x80
      case "-q": case "--quiet": options.warnUnimplemented = false; break;
      default: throw new UsageError(`unknown option '${a}' for run (try 'sysgate help')`);
    }
  }
  if (i >= argv.length) throw new UsageError("run: which program? usage: sysgate run [options] ELF [args...]");
  const path = argv[i];
  return { path, args: argv.slice(i + 1), options: { ...options, argv: [path, ...argv.slice(i + 1)] } };
}

/** `--bind HOST[:GUEST][:ro|:rw]`: HOST granted at GUEST (default: the same path), read-write unless :ro. */
function parseBind(text: string): Bind {
  const parts = text.split(":");
  let writable = true;
  if (parts.length > 1 && (parts[parts.length - 1] === "ro" || parts[parts.length - 1] === "rw")) writable = parts.pop() === "rw";
  if (parts.length > 2 || parts[0] === "") throw new UsageError(`--bind takes HOST[:GUEST][:ro], not '${text}'`);
  const hostPath = parts[0];
  const guestPath = parts[1] ?? resolve(hostPath);
  if (!guestPath.startsWith("/")) throw new UsageError(`--bind: the guest path must be absolute, not '${guestPath}'`);
  if (!existsSync(hostPath)) throw new UsageError(`--bind: ${hostPath}: no such file or directory`);
  return { hostPath, guestPath, writable };
}

export async function runCommand(argv: string[]): Promise<number> {
  const { path, options } = parseRunArgs(argv);
  const machine = await Machine.create(path, options);
  try {
    const st = machine.runToEnd();
    if (st.signal !== undefined) {
      const [, text] = SIGNAL_DESCRIPTIONS[st.signal] ?? [`SIG${st.signal}`, `Signal ${st.signal}`];
      process.stderr.write(`${text}${st.detail ? ` (sysgate: ${st.detail})` : ""}\n`);
      return 128 + st.signal;
    }
    return st.code ?? 0;
  } finally {
    machine.close();
  }
}
