#!/usr/bin/env node
// sysgate's command line: `sysgate run`, `sysgate step`, `sysgate trace`, `sysgate table`.

import { UnicornNotFound } from "../cpu/unicorn_library.js";
import { ExecFormatError } from "../loader/elf.js";
import { runCommand } from "./run.js";
import { tableCommand } from "./table.js";
import { UsageError } from "./usage.js";

const HELP = `sysgate: run static x86-64 and i386 Linux programs on Unicorn, every syscall through the kernel's entry path

usage:
  sysgate run [options] ELF [args...]    run a static program; its exit status is sysgate's
  sysgate step [options] ELF [args...]   step through the program's syscalls in a full-screen UI:
                                         each one's entry path, registers, code, pt_regs, memory
  sysgate trace [options] ELF [args...]  strace's view of the run: one line per syscall on stderr
  sysgate table --abi 64|32              print the syscall dispatch table
  sysgate kernel-elf --abi 64|32 -o FILE the kernel entry text and its symbols as an ELF file,
                                         for gdb's add-symbol-file (see "Debugging with gdb")
  sysgate help                           this text

run options:
  --root DIR           DIR is the guest's / (read-write); default: the host's / read-only
                       with the current directory read-write
  --memory SIZE        bound on guest memory, e.g. 512M, 2G (default 1G)
  --deterministic      virtual clock, seeded randomness, fixed pid/uid (same run every time)
  --seed N             seed for --deterministic (implies it)
  --no-vdso            no vDSO and no AT_SYSINFO: i386 libcs fall back to int $0x80
  -q, --quiet          no warning for unimplemented syscalls
  -g PORT              (run) wait for gdb on 127.0.0.1:PORT before the first instruction
                       (in gdb: target remote localhost:PORT; see "Debugging with gdb")
  --gdb-unix PATH      (run) the same on a unix socket file
  --stdin FILE         (step only) the guest's standard input; default: empty
  --                   end of options (the ELF comes next)

trace options (and the run options above):
  -e trace=SET         only these syscalls: names, %file %desc %process %memory %signal
                       %network %ipc %creds %clock %pure %%stat, /regex, all, none; !SET negates
  -c                   count calls, errors and time per syscall instead (strace -c's table)
  -o FILE              the trace goes to FILE instead of stderr
  -i                   each line starts with the address of the syscall instruction
                       (strace shows the address after it: +2)
  -s N                 strings and buffers cut after N bytes (default 32); file names never are
  -f                   accepted for strace's sake: every process is always followed
  --json               every event of every interception point (and signal/process events),
                       one JSON object per line, bigints as "0x..." strings
  --watch SYM[,SYM]    also report calls of these program functions (the function point)
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  // `sysgate run --help` (before the ELF: after it, the flag belongs to the guest)
  if (cmd && rest[0] !== undefined && (rest[0] === "-h" || rest[0] === "--help")) {
    process.stdout.write(HELP);
    return 0;
  }
  switch (cmd) {
    case "run":
      return runCommand(rest);
    case "step":
      // loaded on demand: the terminal UI (ink, React, Capstone) would add ~0.3 s to every run.
      // ink draws nothing but the last frame when CI or CONTINUOUS_INTEGRATION is set (it reads
      // them once, at import); someone at a terminal wants the live UI whatever the environment.
      if (process.stdout.isTTY) process.env.CI = process.env.CONTINUOUS_INTEGRATION = "false";
      return (await import("./step.js")).stepCommand(rest);
    case "table":
      return tableCommand(rest);
    case "kernel-elf":
      return (await import("../gdb/kernel_elf.js")).kernelElfCommand(rest);
    case "trace":
      return (await import("./trace.js")).traceCommand(rest);
    case undefined:
    case "help":
    case "-h":
    case "--help":
      process.stdout.write(HELP);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`sysgate: unknown command '${cmd}' (try 'sysgate help')\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof ExecFormatError || e instanceof UnicornNotFound || e instanceof UsageError) {
      process.stderr.write(`sysgate: ${e.message}\n`);
      process.exitCode = e instanceof UsageError ? 2 : 126;
    } else {
      process.stderr.write(`sysgate: internal error: ${(e as Error)?.stack ?? e}\n`);
      process.exitCode = 70;
    }
  },
);
