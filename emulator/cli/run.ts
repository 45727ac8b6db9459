// `sysgate run [options] ELF [args...]`: the guest's stdio is sysgate's, its exit status too;
// a death by signal ends sysgate with 128+signal and the message a shell prints.

import { SIGNAL_DESCRIPTIONS } from "../../kernel-model/entry/traps.js";
import { SIGINT, SIGPIPE } from "../../kernel-model/sched/signal.js";
import { runWithHost } from "../host_signals.js";
import { Machine, type MachineOptions } from "../machine.js";
import { UsageError, parseSize } from "./usage.js";

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

export async function runCommand(argv: string[]): Promise<number> {
  const { path, options } = parseRunArgs(argv);
  const machine = await Machine.create(path, options);
  try {
    const st = await runWithHost(machine);
    // bash says nothing when a job dies of SIGINT (the user pressed Ctrl-C) or SIGPIPE
    if (st.signal !== undefined && (st.signal === SIGINT || st.signal === SIGPIPE) && !st.detail) return 128 + st.signal;
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
