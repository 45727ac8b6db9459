// A machine: guest RAM, a CPU, a booted kernel model and one program loaded into it (execve's
// work, done once). run() drives the CPU until the program exits, is killed, or a hook pauses it;
// step() runs single instructions.

import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, isAbsolute, join, relative } from "node:path";
import { MemoryInputFile, MemoryOutputFile } from "../kernel-model/fs/memory_stdio.js";
import { StdioFile } from "../kernel-model/fs/stdio_file.js";
import { FilesStruct } from "../kernel-model/fs/files_struct.js";
import { FsStruct } from "../kernel-model/fs/fs_struct.js";
import { Vfs } from "../kernel-model/fs/vfs.js";
import { KernelState } from "../kernel-model/kernel.js";
import { STACK_TOP_32 } from "../kernel-model/boot/layout_32.js";
import { STACK_TOP_64 } from "../kernel-model/boot/layout_64.js";
import { LinuxI386 } from "../kernel-model/linux_i386.js";
import { VdsoMapping } from "../kernel-model/vdso/vdso_mapping.js";
import type { ExitState } from "../kernel-model/linux.js";
import { LinuxX86_64 } from "../kernel-model/linux_x86_64.js";
import { PROT_READ, PROT_WRITE } from "../kernel-model/mm/mm_struct.js";
import { PAGE_SIZE, PhysMem } from "../kernel-model/mm/phys.js";
import { SIGSEGV } from "../kernel-model/entry/traps.js";
import { Task, type Cred } from "../kernel-model/sched/task.js";
import { UC } from "./cpu/unicorn.js";
import { readTsc, tscHz } from "./cpu/tsc.js";
import { X86Cpu } from "./cpu/x86_cpu.js";
import { loadElfImage, setupBrk } from "./loader/binfmt_elf.js";
import { AT, createElfTables } from "./loader/create_elf_tables.js";
import { ExecFormatError, parseElf, type ElfImage } from "./loader/elf.js";

export interface MachineOptions {
  /** argv of the guest; argv[0] defaults to the path as given. */
  argv?: string[];
  /** Environment strings KEY=VALUE; defaults to sysgate's own environment. */
  env?: string[];
  /** The host directory that is the guest's "/" (read-write); default: host "/" read-only + cwd read-write. */
  root?: string;
  /** The working directory (host mode); default process.cwd(). */
  cwd?: string;
  /** Virtual clock, seeded randomness, fixed ids (DESIGN.md section 4). */
  deterministic?: boolean;
  seed?: bigint;
  /** Bound on guest RAM in bytes (default 1 GiB): past it, allocations fail with ENOMEM. */
  memoryLimit?: number;
  /** Print one line per unimplemented syscall name (default true). */
  warnUnimplemented?: boolean;
  /** Map the vDSO and announce it in the auxv (default true). Without it, i386 libcs fall back to int $0x80. */
  vdso?: boolean;
  /** Where sysgate's own diagnostics go (default: stderr). */
  warn?: (message: string) => void;
  /** The guest's standard input: these bytes then end of file (default: sysgate's own stdin). */
  stdin?: Buffer | string;
  /** Keep the guest's stdout/stderr in memory (Machine.stdout / .stderr) instead of writing them out. */
  captureOutput?: boolean;
}

/** What run() ends with: the task's end, or a pause a hook asked for. */
export type RunResult = (ExitState & { paused?: false }) | { paused: true };

export const DEFAULT_MEMORY_LIMIT = 1 << 30;
/** RAM for the kernel itself (page tables, stacks, tables) on top of the guest's bound. */
const KERNEL_RESERVE = 16 << 20;
const STACK_SIZE = 8n << 20n;

export class Machine {
  private constructor(
    readonly image: ElfImage,
    readonly cpu: X86Cpu,
    readonly kernel: LinuxX86_64 | LinuxI386,
    readonly task: Task,
    readonly vdso: VdsoMapping | undefined,
  ) {}

  /** Loads a static ELF program from a path, or from its bytes (then argv[0] defaults to its name). */
  static async create(program: string | { name: string; bytes: Uint8Array }, opts: MachineOptions = {}): Promise<Machine> {
    let tmp: string | undefined;
    let path: string;
    if (typeof program === "string") path = program;
    else {
      // The ELF needs a host file for /proc/self/exe: keep the bytes in a private temp dir.
      tmp = mkdtempSync(join(tmpdir(), "sysgate-"));
      path = join(tmp, basename(program.name));
      writeFileSync(path, program.bytes, { mode: 0o755 });
    }
    try {
      const m = await Machine.load(path, opts, typeof program === "string" ? program : program.name);
      m.tmp = tmp;
      return m;
    } catch (e) {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  private static async load(path: string, opts: MachineOptions, shownAs: string): Promise<Machine> {
    let bytes: Buffer;
    try {
      if (statSync(path).isDirectory()) throw new ExecFormatError(`${path}: is a directory`);
      bytes = readFileSync(path);
    } catch (e) {
      if (e instanceof ExecFormatError) throw e;
      const err = e as NodeJS.ErrnoException;
      throw new ExecFormatError(`${path}: cannot read: ${err.code === "ENOENT" ? "no such file" : err.code === "EACCES" ? "permission denied" : err.message}`);
    }
    const image = await parseElf(bytes, path);
    const is64 = image.bits === 64;

    const memoryLimit = opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
    if (!Number.isInteger(memoryLimit) || memoryLimit < 16 << 20) throw new ExecFormatError(`memory limit must be at least 16 MiB`);
    const phys = new PhysMem(Math.ceil((memoryLimit + KERNEL_RESERVE) / PAGE_SIZE) * PAGE_SIZE);
    const cpu = new X86Cpu(image.bits, phys.mem);
    const deterministic = opts.deterministic ?? false;
    const warn = opts.warn ?? ((m: string) => process.stderr.write(m + "\n"));

    const hostExe = realpathSync(path);
    const guestExe = opts.root ? "/" + relative(realpathSync(opts.root), hostExe) : hostExe;
    if (opts.root && (guestExe.startsWith("/..") || isAbsolute(relative(realpathSync(opts.root), hostExe)))) {
      throw new ExecFormatError(`${path}: the program must be inside --root ${opts.root}`);
    }
    let kstate!: KernelState;
    const vfs = new Vfs({
      ...(opts.root ? { mode: "root" as const, root: opts.root } : { mode: "host" as const, cwd: opts.cwd ?? process.cwd() }),
      exe: { hostPath: hostExe, guestPath: guestExe },
      getRandomBytes: (b) => kstate.getRandomBytes(b),
    });
    kstate = new KernelState({ vfs, deterministic, seed: opts.seed ?? 0n, machine: is64 ? "x86_64" : "i686", warn });
    const kopts = { warnUnimplemented: opts.warnUnimplemented ?? true };
    const linux = is64 ? new LinuxX86_64(cpu, phys, kstate, kopts) : new LinuxI386(cpu, phys, kstate, kopts);

    // execve: a new address space, the vDSO, the image, the break, the stack and its tables.
    const mm = linux.newMm();
    const vdso = opts.vdso === false ? undefined : new VdsoMapping(mm, linux.abi, kstate, { readTsc, hz: tscHz });
    if (vdso && deterministic) kstate.onTick = () => vdso.update();
    if (vdso && linux instanceof LinuxI386) linux.vdsoLandingPad = vdso.base + BigInt(vdso.image.sysenterReturn!);
    const loaded = loadElfImage(mm, image, guestExe);
    setupBrk(mm, loaded);
    const stackTop = is64 ? STACK_TOP_64 : STACK_TOP_32;
    mm.mapRegion(stackTop - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE, "[stack]");
    const cred: Cred = deterministic
      ? { uid: 1000, gid: 1000, euid: 1000, egid: 1000, suid: 1000, sgid: 1000, fsuid: 1000, fsgid: 1000 }
      : (() => {
          const u = process.getuid?.() ?? 0, g = process.getgid?.() ?? 0;
          return { uid: u, gid: g, euid: u, egid: g, suid: u, sgid: g, fsuid: u, fsgid: g };
        })();
    const random = Buffer.alloc(16);
    kstate.getRandomBytes(random);
    const argv = opts.argv ?? [shownAs];
    const env = opts.env ?? Object.entries(process.env).map(([k, v]) => `${k}=${v}`);
    // ARCH_DLINFO first (arch/x86/include/asm/elf.h), then the generic entries of create_elf_tables.
    const archDlinfo: [number, bigint][] = [];
    if (vdso && !is64) archDlinfo.push([AT.AT_SYSINFO, vdso.sym("__kernel_vsyscall")]);
    if (vdso) archDlinfo.push([AT.AT_SYSINFO_EHDR, vdso.base]);
    archDlinfo.push([AT.AT_MINSIGSTKSZ, is64 ? 2048n : 1024n]);
    const tables = createElfTables(mm, {
      bits: image.bits, stackTop,
      argv: argv.map((s) => Buffer.from(s)), envp: env.map((s) => Buffer.from(s)), execfn: Buffer.from(shownAs),
      platform: is64 ? "x86_64" : "i686", random,
      auxv: [
        ...archDlinfo,
        [AT.AT_HWCAP, 0x178bfbffn],
        [AT.AT_PAGESZ, BigInt(PAGE_SIZE)],
        [AT.AT_CLKTCK, 100n],
        [AT.AT_PHDR, loaded.phdr],
        [AT.AT_PHENT, BigInt(image.phentsize)],
        [AT.AT_PHNUM, BigInt(image.phnum)],
        [AT.AT_BASE, 0n],
        [AT.AT_FLAGS, 0n],
        [AT.AT_ENTRY, loaded.entry],
        [AT.AT_UID, BigInt(cred.uid)],
        [AT.AT_EUID, BigInt(cred.euid)],
        [AT.AT_GID, BigInt(cred.gid)],
        [AT.AT_EGID, BigInt(cred.egid)],
        [AT.AT_SECURE, 0n],
        [AT.AT_HWCAP2, 0n],
      ],
    });
    mm.arg = { start: tables.argvStart, end: tables.envEnd };
    mm.startStack = tables.sp;
    const pid = deterministic ? 1000 : process.pid;
    const files = new FilesStruct();
    const stdin = opts.stdin === undefined ? StdioFile.forHostFd(0) : new MemoryInputFile(Buffer.from(opts.stdin));
    const out = opts.captureOutput ? [new MemoryOutputFile(), new MemoryOutputFile()] as const : undefined;
    files.installAt(0, stdin, false);
    files.installAt(1, out ? out[0] : StdioFile.forHostFd(1), false);
    files.installAt(2, out ? out[1] : StdioFile.forHostFd(2), false);
    const task = new Task(kstate, linux.abi, mm, files, new FsStruct(vfs.initialCwd), cred,
      { pid, ppid: deterministic ? 1 : process.ppid }, basename(shownAs).slice(0, 15));
    for (const sym of image.symbols) linux.symbols.add(sym.name, loaded.bias + sym.value, sym.size);
    linux.exec(task, loaded.entry, tables.sp, vdso);
    const m = new Machine(image, cpu, linux, task, vdso);
    m.output = out;
    return m;
  }

  private tmp: string | undefined;
  private output: readonly [MemoryOutputFile, MemoryOutputFile] | undefined;
  private pc: bigint | undefined;

  /** The hook registry of the interception points (see kernel-model/hooks.ts). */
  get hooks() {
    return this.kernel.hooks;
  }

  /** What the guest wrote to fd 1 / fd 2 (with `captureOutput`). */
  get stdout(): Buffer {
    return this.output?.[0].contents() ?? Buffer.alloc(0);
  }
  get stderr(): Buffer {
    return this.output?.[1].contents() ?? Buffer.alloc(0);
  }

  /**
   * Runs the guest until it ends or a hook pauses it (then run() again continues). The host
   * process never dies of what the guest does.
   */
  run(): RunResult {
    return this.drive(0);
  }

  /** Runs to the end, through any pauses. */
  runToEnd(): ExitState {
    for (;;) {
      const r = this.run();
      if (!r.paused) return r;
    }
  }

  /** Executes `count` instructions (a `syscall` counts as one: it lands on the entry stub). */
  step(count = 1): RunResult {
    return this.drive(count);
  }

  private drive(count: number): RunResult {
    const k = this.kernel;
    if (k.exited) return k.exited;
    let pc = this.pc ?? k.entryPoint;
    for (;;) {
      const rc = this.cpu.run(pc, count);
      if (k.exited) return k.exited;
      const ip = this.cpu.get(this.image.bits === 64 ? "rip" : "eip");
      switch (rc) {
        case UC.UC_ERR_OK:
          pc = k.resume(); // an exception to deliver, or a pause
          break;
        case UC.UC_ERR_INSN_INVALID:
          k.raise(6); // #UD, delivered through the IDT like the exceptions the hook reports
          pc = k.resume();
          break;
        default:
          k.kill(SIGSEGV, `${this.cpu.uc.strerror(rc)} at ip 0x${ip.toString(16)}`);
          return k.exited!;
      }
      this.pc = pc;
      if (k.hooks.pauseRequested) {
        k.hooks.pauseRequested = false;
        return { paused: true };
      }
      if (count) return { paused: true }; // a step always ends after its instructions
    }
  }

  /** Guest memory at a user address (no permission checks: a debugger's view). */
  readMemory(addr: bigint, len: number): Buffer {
    return this.task.mm.peek(addr, len);
  }

  close(): void {
    this.cpu.close();
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
  }
}
