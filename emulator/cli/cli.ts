// sysgate's command line: `sysgate run`, `sysgate step`, `sysgate trace`, `sysgate table`
// (main.ts, the entry, loads this module).

import { readFileSync } from "node:fs";
import { projectFile } from "../../kernel-model/tables/data_path.js";
import { DEFAULT_MAX_PROCS } from "../../kernel-model/limits.js";
import { DEFAULT_MEMORY_LIMIT } from "../machine.js";
import { JAIL_PATH } from "./environment.js";
import { DEFAULT_WORKERS } from "./serve_defaults.js";
import { failureStatus, runCommand } from "./run.js";
import { tableCommand } from "./table.js";

const HELP = () => `sysgate: run static x86-64 and i386 Linux programs on Unicorn, every syscall through the kernel's entry path

usage:
  sysgate run [options] ELF [args...]    run a static program; its exit status is sysgate's
  sysgate step [options] ELF [args...]   step through the program's syscalls in a full-screen UI:
                                         each one's entry path, registers, code, pt_regs, memory
  sysgate trace [options] ELF [args...]  strace's view of the run: one line per syscall on stderr
  sysgate serve [--socket PATH] [--workers N]
                                         a server that runs programs for sysgate-client, which
                                         starts in milliseconds: sysgate-client run [run options]
                                         ELF [args...] behaves as sysgate run (its fds 0-2, cwd,
                                         environment, signals and exit status are the guest's).
                                         Socket: PATH, else $SYSGATE_SOCKET, else
                                         $XDG_RUNTIME_DIR/sysgate.sock, else /tmp/sysgate-$UID/sock;
                                         N: programs at once (default ${DEFAULT_WORKERS}), one thread each
  sysgate table --abi 64|32              print the syscall dispatch table
  sysgate kernel-elf --abi 64|32 -o FILE the kernel entry text and its symbols as an ELF file,
                                         for gdb's add-symbol-file (see "Debugging with gdb")
  sysgate help                           this text
  sysgate --version                      sysgate's version

run options:
  --root DIR           DIR is the guest's / (read-write), as after chroot: the program's path
                       is looked up inside DIR (a path that exists only on the host is not
                       found); default: the host's / seen through a scratch layer that
                       takes the guest's writes (in /tmp too) and goes with the run; the
                       current directory read-write
  --bind HOST[:GUEST][:ro]  grant the host path HOST at GUEST (default: the same path),
                       read-write unless :ro
  --env NAME=VALUE     set a variable in the guest's environment (repeatable); --env NAME
                       copies NAME from sysgate's environment
  --clear-env          start the guest's environment empty (then --env adds to it)
                       environment by default: sysgate's own; with --root only TERM, COLORTERM,
                       LANG, LANGUAGE, LC_*, TZ pass, with PATH=${JAIL_PATH}
                       and HOME=/ (the host's tokens and keys stay out of the jail)
  --deterministic      virtual clock, seeded randomness, fixed pid/uid (same run every time)
  --seed N             seed for --deterministic (implies it)
  --no-vdso            no vDSO and no AT_SYSINFO: i386 libcs fall back to int $0x80
  --kernel x86_64|i386 the kernel i386 programs run on: x86_64 (default) runs them in
                       compatibility mode (IA32 emulation); i386 boots the native 32-bit
                       kernel (int $0x80, SYSENTER/SYSEXIT, PAE), which runs no 64-bit program
  --cpu intel|amd      the CPU vendor (default intel): a 32-bit program's fast syscall under
                       the x86-64 kernel is SYSENTER on Intel, SYSCALL on AMD (the other: #UD)
  -q, --quiet          no warning for unimplemented syscalls
  -g PORT              (run, trace) wait for gdb on 127.0.0.1:PORT before the first instruction
                       (in gdb: target remote localhost:PORT; see "Debugging with gdb")
  --gdb-unix PATH      (run, trace) the same on a unix socket file
  --stdin FILE         (step only) the guest's standard input; default: empty
  --                   end of options (the ELF comes next)

limits (what the guest may take from the host; the first time one is hit, sysgate says which):
  --memory SIZE        memory of each process, e.g. 512M, 2G (default ${DEFAULT_MEMORY_LIMIT >> 20}M, at least 16M):
                       image, stack, heap and mmaps; past it the guest gets ENOMEM
  --max-procs N        processes at once in the run (default ${DEFAULT_MAX_PROCS}): fork/clone past it
                       get EAGAIN; RLIMIT_NPROC starts at half of it (Linux: max_threads / 2)
  --phys-memory SIZE   the machine's physical memory in total, all processes together (default
                       2G, at most 4G; only pages in use cost host memory): past it ENOMEM, or
                       the OOM killer's SIGKILL for a page fault that finds no free frame
  argument size        execve's argv + envp strings: a quarter of RLIMIT_STACK (8M: 2M), each
                       string at most 128K (MAX_ARG_STRLEN); E2BIG past either

exit status: the program's own; 128+N when it dies of signal N; 2 for a usage error; 127 when
  the program is not found; 126 when it is found but cannot run (not an ELF, dynamically linked,
  a header Linux would refuse)

trace options (and the run options above):
  -e trace=SET         only these syscalls: names, %file %desc %process %memory %signal
                       %network %ipc %creds %clock %pure %%stat, /regex, all, none; !SET negates
  -c                   count calls, errors and time per syscall instead (strace -c's table)
  -o FILE              the trace goes to FILE instead of stderr
  -i                   each line starts with the address of the syscall instruction
                       (strace shows the address after it: +2)
  -s N                 strings and buffers cut after N bytes (default 32); file names never are
  -f                   accepted for strace's sake: every process is always followed
  --vdso               also the calls the vDSO served without entering the kernel, with
                       their results (strace cannot see those)
  --json               every event of every interception point (and signal/process events),
                       one JSON object per line, bigints as "0x..." strings
  --watch SYM[,SYM]    also report calls of these program functions (the function point)
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  // `sysgate run --help` (before the ELF: after it, the flag belongs to the guest)
  if (cmd && rest[0] !== undefined && (rest[0] === "-h" || rest[0] === "--help")) {
    process.stdout.write(HELP());
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
      // React and ink in production mode (the bundle fixes this at build time; a tsc-only build reads it here)
      process.env.NODE_ENV ??= "production";
      return (await import("./step.js")).stepCommand(rest);
    case "table":
      return tableCommand(rest);
    case "serve":
      return (await import("./serve.js")).serveCommand(rest);
    case "kernel-elf":
      return (await import("../gdb/kernel_elf.js")).kernelElfCommand(rest);
    case "trace":
      return (await import("./trace.js")).traceCommand(rest);
    case undefined:
    case "help":
    case "-h":
    case "--help":
      process.stdout.write(HELP());
      return cmd === undefined ? 2 : 0;
    case "--version":
    case "version":
      process.stdout.write(`sysgate ${version()}\n`);
      return 0;
    default:
      process.stderr.write(`sysgate: unknown command '${cmd}' (try 'sysgate help')\n`);
      return 2;
  }
}

/** The version in the project's package.json. */
function version(): string {
  try {
    return (JSON.parse(readFileSync(projectFile("package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "(unknown version)";
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = failureStatus(e, (line) => process.stderr.write(line));
  },
);
